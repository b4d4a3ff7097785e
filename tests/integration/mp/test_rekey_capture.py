#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Exposure from a capture (benchmarks/rekey/rekey_capture.py, short): a meeting of 50
replayed by mrfc churn at 60x over Mp/ESP with a libsrtp2 speaker in the conference, what
the daemon sent captured by dumpcap and decrypted afterwards by an SRTP written from
RFC 3711 in Python (checked against the RFC's key-derivation vector), with the keys mrfc's
keys-history file says each participant held:

- immediate (a rekey at every join and leave) and interval:10: no member missed a speaker
  packet while it was a member (rekeys included), nothing was sent to a participant after
  its Subtract's reply or under a key it never held, every packet decrypts to the speaker's
  numbered payload, and no packet authenticates under another key;
- the exposure the capture shows follows the policy: with interval:10 some leaver's key
  still decrypted media sent after it left, and no more than 10 trace seconds (plus the
  transactions' time); with immediate, within the time of one rekey's transaction;
- keys-history is written with mode 0600 (it holds keys).
"""
import os
import stat
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
sys.path.insert(0, os.path.join(TOP, "benchmarks", "rekey"))
import mxplab  # noqa: E402
from mxplab import check, Lab  # noqa: E402
import rekey_capture  # noqa: E402

SPEED = 60.0
# Wall time a transaction may take here (one Mp round trip on a busy VM), in trace seconds.
SLACK = 0.25 * SPEED


def test():
    rekey_capture.self_check()
    with Lab("rekeycapt", mp=True) as lab:
        res = {}
        for pol in ("immediate", "interval:10"):
            o = rekey_capture.run(lab, "meeting", 50, SPEED, pol, 5)
            c = o["capture"]
            res[pol] = c
            print("# %s: %s" % (pol, c), flush=True)
            check(c["speaker_packets"] > 1000 and c["packets_captured"] > c["speaker_packets"],
                  "%s: the speaker's %d packets reached the members (%d sent in all)"
                  % (pol, c["speaker_packets"], c["packets_captured"]))
            empty = o["replies"]["rekeys_empty"]
            check(c["rekeys"] + empty == o["model"]["rekeys"],
                  "%s: %d rekeys (and %d with nobody left), as the model decides (%d)"
                  % (pol, c["rekeys"], empty, o["model"]["rekeys"]))
            check(c["media_lost"] == 0, "%s: no member missed a packet while a member (%d)"
                  % (pol, c["media_lost"]))
            check(c["sent_after_leave"] == 0 and c["sent_under_key_not_held"] == 0,
                  "%s: nothing sent after a Subtract's reply (%d) or under a key the member "
                  "never held (%d)" % (pol, c["sent_after_leave"], c["sent_under_key_not_held"]))
            check(c["undecryptable"] == 0 and c["bad_payload"] == 0,
                  "%s: every packet decrypts to the speaker's payload (%d undecryptable, %d "
                  "bad)" % (pol, c["undecryptable"], c["bad_payload"]))
            check(c["cross_key_auth"] == 0 and c["cross_checked"] > 0,
                  "%s: no packet authenticates under another key (%d tries)"
                  % (pol, c["cross_checked"]))
            check(o["ok"], "%s: the benchmark's own verdict" % pol)
        iv, im = res["interval:10"], res["immediate"]
        check(0 < iv["fwd_max_s"] <= 10 + SLACK,
              "interval:10: a leaver's key decrypted media up to %.1f trace s after it left "
              "(0 < x <= %.0f)" % (iv["fwd_max_s"], 10 + SLACK))
        check(0 < iv["bwd_max_s"] <= 10 + SLACK,
              "interval:10: a joiner's key decrypted up to %.1f trace s of earlier media"
              % iv["bwd_max_s"])
        check(im["fwd_max_s"] <= SLACK and im["bwd_max_s"] <= SLACK,
              "immediate: exposures within one transaction (%.1f / %.1f <= %.0f trace s)"
              % (im["fwd_max_s"], im["bwd_max_s"], SLACK))
        hist = [f for f in os.listdir(lab.dir) if f.endswith(".keys-history")]
        modes = {f: stat.S_IMODE(os.stat(os.path.join(lab.dir, f)).st_mode) for f in hist}
        check(hist and all(m == 0o600 for m in modes.values()),
              "keys-history files are mode 0600: %s" % {f: oct(m) for f, m in modes.items()})


mxplab.main(test)

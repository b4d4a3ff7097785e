#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Mp over ESP against the real daemon, end to end.

mrfc (the MRFC side, ESP in user space with OpenSSL) creates a conference and legs;
libsrtp2 participants (mxp-srtp-peer) send and receive media with the keys mrfc wrote; the
MRFC audits; rekeys one leg with a new MKI in two steps, the switch happening while media
flows, without losing a packet; subtracts (the statistics in the reply match what the
participants sent and received) and the context ends with its last termination. The
daemon's ServiceChange Restart reaches the configured MRFC (a scapy MRFC), retransmitted
until that MRFC exists and answers.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config, read_keys  # noqa: E402
from esp_common import tmpdir  # noqa: E402

N = 30


def media(lab, legs, ids, count=N, interval_ms=20, background=False):
    """Every leg sends count packets and receives; ids[i] is leg i's sender id (it also
    sets the first sequence number, id * 1000: a new run needs larger ids or the daemon
    rightly sees replays). The SSRC of leg i is always 0x100 + i."""
    return lab.peer(KERNEL_IP4, rx=[(l["port"], l["rx"]) for l in legs],
                    tx=[(l["port"], l["mrfp"], l["mrfp_port"], l["tx"], 0x100 + i, ids[i])
                        for i, l in enumerate(legs)], count=count, interval_ms=interval_ms,
                    background=background)


def leg_id(term):
    return int(term.split("/")[1])


def test():
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, "event_poll_ms = 100\n")
        with Lab("mpd", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            keys = os.path.join(lab.dir, "keys.txt")

            # -- ServiceChange Restart to the configured MRFC ----------------------------
            mp0 = lab.ctl_json("show", "mp")
            check(mp0["enabled"] and mp0["service_change"] == "sent",
                  "ServiceChange Restart sent at start (state %s)" % mp0["service_change"])
            lab.ns_add_addr(MRFC_B)   # the MRFC appears only now: retransmissions reach it
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            sc = b.wait_request(r"ServiceChange", timeout=20)
            check(sc is not None and re.search(r"Method\s*=\s*Restart", sc) and
                  '"901 Cold Boot"' in sc and "ROOT" in sc,
                  "the MRFC received ServiceChange Restart (901 Cold Boot) over ESP")
            wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == "answered", 10,
                     "the daemon to see the ServiceChange reply")
            check(True, "ServiceChange answered: no more retransmissions")

            # -- Add: a conference with two legs ------------------------------------------
            r = lab.mrfc("add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4,
                         keys=keys)
            out = r.stdout
            check("result add ok" in out, "mrfc add: %s" % out.strip().splitlines()[-1])
            legs = read_keys(keys)
            check(len(legs) == 2 and all(l["mrfp"] == DAEMON_IP4 and l["mrfp_port"] for l in legs),
                  "two legs with the MRFP's address and allocated ports in the reply")
            reply = out[out.index("Reply"):]
            check(re.search(r"c=IN IP4 %s" % re.escape(DAEMON_IP4), reply) and
                  re.search(r"m=audio %d RTP/SAVP 0" % legs[0]["mrfp_port"], reply) and
                  "a=rtpmap:0 PCMU/8000" in reply and "a=crypto" not in reply,
                  "the reply's Local SDP: our address, the allocated port, the payload type; "
                  "not the key the MRFC gave (fewer keys on the wire)")
            ctx = legs[0]["ctx"]
            conf = lab.ctl_json("show", "conference", str(ctx))
            check(conf["mode"] == "switch" and len(conf["legs"]) == 2,
                  "the conference exists in the daemon")
            for text in (out, r.stderr, lab.ctl("show", "conference", str(ctx)).stdout,
                         lab.ctl("show", "mp").stdout, lab.ctl("show", "esp").stdout,
                         lab.read_log()):
                check(not any(l["tx_b64"] in text or l["rx_b64"] in text for l in legs),
                      "no SRTP key in mrfc's output, the CLI or the daemon's log")
            esp = lab.ctl_json("show", "esp")
            check(esp["accepted"] >= 1 and any(s["dir"] == "in" and s["packets"] >= 1
                                               for s in esp["sas"]),
                  "the request came in through the inbound SA")

            sent = {0: 0, 1: 0}     # what participant i sent to the MRFP
            got = {0: 0, 1: 0}      # what participant i received from it
            res = media(lab, legs, [1, 2])
            rx0, rx1 = res["rx"][str(legs[0]["port"])], res["rx"][str(legs[1]["port"])]
            check(rx0["from"] == {"2": N} and rx1["from"] == {"1": N} and
                  rx0["auth_fail"] == 0 and rx1["auth_fail"] == 0,
                  "media flows between the two participants with mrfc's keys")
            for i in (0, 1):
                sent[i] += N
                got[i] += N

            r = lab.mrfc("audit", "ctx=%d" % ctx, keys=keys)
            check("result audit ok" in r.stdout and legs[0]["term"] in r.stdout and
                  "stat %s rtp/pr %d" % (legs[0]["term"], N) in r.stdout,
                  "AuditValue answers Media and Statistics")
            check("inline" not in r.stdout, "an audit returns no key material")

            # -- mxp/asymmetric on and off (Modify), the contradiction with mxp/strict ------
            term0 = legs[0]["term"]
            r = lab.mrfc("modify", "ctx=%d" % ctx, "term=%s" % term0, "asymmetric=on", keys=keys)
            li = lab.ctl_json("show", "leg", str(leg_id(term0)))
            check("result modify ok" in r.stdout and li["asymmetric"] and not li["strict"],
                  "Modify mxp/asymmetric=on: the leg is asymmetric")
            r = lab.mrfc("modify", "ctx=%d" % ctx, "term=%s" % term0, "strict=on", keys=keys,
                         check_rc=False)
            li = lab.ctl_json("show", "leg", str(leg_id(term0)))
            check("449" in r.stdout + r.stderr and li["asymmetric"] and not li["strict"],
                  "Modify mxp/strict=on on an asymmetric leg: 449, nothing changed")
            r = lab.mrfc("modify", "ctx=%d" % ctx, "term=%s" % term0, "asymmetric=off", keys=keys)
            li = lab.ctl_json("show", "leg", str(leg_id(term0)))
            check("result modify ok" in r.stdout and not li["asymmetric"],
                  "Modify mxp/asymmetric=off: symmetric (latching) again")

            # -- Rekey leg 1 with MKI 2, the switch during media ----------------------------
            term = legs[0]["term"]
            r = lab.mrfc("modify", "ctx=%d" % ctx, "term=%s" % term, "rekey=on", "mki=2",
                         "activate=later", keys=keys)
            check("result modify ok" in r.stdout, "step 1: the new keys installed beside the old")
            mid = read_keys(keys)
            check(mid[0]["rx"].count(";") == 1 and mid[0]["tx_mki"] == 2,
                  "mrfc's key file: receive with MKI 1 and 2, send with MKI 2")
            li = lab.ctl_json("show", "leg", str(leg_id(term)))
            check(sorted(k["mki"] for k in li["in_keys"]) == ["1:4", "2:4"] and
                  [k["mki"] for k in li["out_keys"] if k["active"]] == ["1:4"],
                  "the leg holds both keys each way; it still sends with MKI 1 (%s %s)" % (li["in_keys"], li["out_keys"]))
            count = 150
            p = media(lab, mid, [3, 4], count=count, background=True)
            wait_for(lambda: lab.ctl_json("show", "leg", str(leg_id(term)))["rx_packets"] >= N + 40, 20, "media to flow before the switch")
            r = lab.mrfc("modify", "ctx=%d" % ctx, "term=%s" % term, "activate=2", keys=keys)
            check("result modify ok" in r.stdout, "step 2: switched to MKI 2 during media")
            res = mxplab.peer_result(p)
            after = read_keys(keys)
            rx0, rx1 = res["rx"][str(mid[0]["port"])], res["rx"][str(mid[1]["port"])]
            check(rx0["from"] == {"4": count} and rx1["from"] == {"3": count} and
                  rx0["auth_fail"] == 0 and rx1["auth_fail"] == 0,
                  "no packet lost across the rekey (%s)" % json.dumps(
                      {k: v for k, v in res["rx"].items()}))
            for i in (0, 1):
                sent[i] += count
                got[i] += count
            li = lab.ctl_json("show", "leg", str(leg_id(term)))
            check([k["mki"] for k in li["out_keys"]] == ["2:4"] and
                  [k["mki"] for k in li["in_keys"]] == ["2:4"],
                  "after the switch only MKI 2 remains, keys of MKI 1 wiped")
            check(after[0]["rx"].count(";") == 0 and after[0]["rx_mki"] == 2,
                  "mrfc's key file: MKI 2 only")
            # the new keys alone work (the old would be refused now)
            res = media(lab, after, [5, 6])
            rx0, rx1 = res["rx"][str(after[0]["port"])], res["rx"][str(after[1]["port"])]
            check(rx0["from"] == {"6": N} and rx1["from"] == {"5": N},
                  "media with the MKI 2 keys alone (%s; drops %s)" % (
                      json.dumps(res["rx"]),
                      {k: v for k, v in lab.drops().items() if v}))
            for i in (0, 1):
                sent[i] += N
                got[i] += N

            # one more packet from participant 0, then the same SRTP packet 3 times: replays,
            # refused and reported per reason in the Subtract statistics
            l0 = after[0]
            lab.peer(KERNEL_IP4, tx=[(l0["port"], l0["mrfp"], l0["mrfp_port"], l0["tx"], 0x100, 7)],
                     count=1, wait_ms=200, extra=["--replay", "3"])
            sent[0] += 1

            # -- Subtract: statistics match, the last one ends the context ----------------
            q = lab.ctl_json("show", "leg", str(leg_id(term)))
            r = lab.mrfc("subtract", "ctx=%d" % ctx, "term=%s" % term, keys=keys)
            stats = dict(re.findall(r"stat \S+ (\S+) (\d+)", r.stdout))
            # the call quality estimate (doc/media.md): the worse direction's MOS x 100, R
            worse = min((d for d in (q["quality_in"], q["quality_out"]) if d),
                        key=lambda d: d["mos"])
            check(stats.get("mxp/mos") == str(int(worse["mos"] * 100 + 0.5))
                  and stats.get("mxp/rfactor") == str(int(worse["r"] + 0.5)),
                  "Subtract statistics mxp/mos %s, mxp/rfactor %s: show leg's estimate (MOS "
                  "%.3f, R %.2f)" % (stats.get("mxp/mos"), stats.get("mxp/rfactor"),
                                     worse["mos"], worse["r"]))
            check(stats.get("rtp/pr") == str(sent[0]) and stats.get("rtp/ps") == str(got[0]),
                  "Subtract statistics: %s received, %s sent; the participant sent %d and got "
                  "%d" % (stats.get("rtp/pr"), stats.get("rtp/ps"), sent[0], got[0]))
            check(int(stats.get("nt/or", 0)) > 0 and stats.get("mxp/authfail") == "0",
                  "octets counted, no authentication failure")
            refused = {k: v for k, v in stats.items() if k.startswith("mxp/drop_")}
            check(stats.get("mxp/refused") == "3" and refused == {"mxp/drop_srtp_replay": "3"},
                  "mxp/refused %s, per reason %s: the 3 replays" % (stats.get("mxp/refused"),
                                                                   refused))
            r = lab.mrfc("subtract", "ctx=%d" % ctx, "term=%s" % legs[1]["term"], keys=keys)
            stats = dict(re.findall(r"stat \S+ (\S+) (\d+)", r.stdout))
            check("result subtract ok" in r.stdout and stats.get("rtp/pr") == str(sent[1]),
                  "second leg subtracted with its statistics")
            confs = lab.ctl_json("show", "conferences")
            check(all(c["id"] != ctx for c in confs), "the context ended with its last termination")
            m = lab.ctl_json("show", "mp")
            # 6 transactions, and 3 for mxp/asymmetric (one refused with 449)
            check(m["requests"] == 9 and m["errors"] == 1 and m["reply_cache"] == 9,
                  "show mp: %d transactions, one error (the 449), %d replies cached" % (
                      m["requests"], m["reply_cache"]))
            b.close()
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

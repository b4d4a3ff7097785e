#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The daemon as an MRFP of the 3GPP Mp profile (TS 29.333), over ESP, against a scapy MRFC.

- ServiceChange Restart announces the profile (threegmrfp/1 by default); an MRFC answering
  with another profile is refused (ServiceChangeProfile negotiation, H.248.1 11.3: the
  ServiceChange counts as failed); with [mp] profile = mxp it announces mxp/1 and an
  answer naming mxp/1 is accepted.
- The MRFC audits the packages: every mandatory package of the profile with its version.
- Events and signals of packages the MRFP lacks get their H.248.8 codes (440, 513).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config  # noqa: E402
from esp_common import tmpdir  # noqa: E402


class ProfileMrfc(ScapyMrfc):
    """A scapy MRFC whose ServiceChange reply names a profile."""

    def __init__(self, *a, profile=None, **kw):
        self.profile = profile
        super().__init__(*a, **kw)

    def on_request(self, text, sport):
        if not re.search(r"\b(ServiceChange|SC)\s*=", text) or self.profile is None:
            return super().on_request(text, sport)
        m = re.search(r"\b(?:Transaction|T)\s*=\s*(\d+)", text)
        self.send("MEGACO/3 [%s]:2944\nReply = %s { Context = - { ServiceChange = ROOT { "
                  "Services { Profile = %s, Version = 3 } } } }\n" % (self.local, m.group(1),
                                                                   self.profile), dport=sport)


def run(profile_cfg, answer, want_sent, want_state):
    with tmpdir() as tmp:
        extra = "event_poll_ms = 100\n" + ("profile = %s\n" % profile_cfg if profile_cfg else "")
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        with Lab("mpprof", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            b = ProfileMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4, profile=answer)
            try:
                sc = b.wait_request(r"ServiceChange", timeout=20)
                check(sc is not None and re.search(r"Profile\s*=\s*%s\b" % re.escape(want_sent), sc),
                      "ServiceChange Restart announces Profile = %s" % want_sent)
                wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == want_state, 10,
                         "ServiceChange state %s" % want_state)
                check(True, "an answer with Profile = %s: ServiceChange %s" % (answer, want_state))
                if want_state != "answered":
                    return
                # -- audit of packages --------------------------------------------------
                r = b.transact("Transaction = 7001 { Context = - { AuditValue = ROOT { Audit { "
                               "Packages } } } }")
                check(r is not None and "Packages" in r, "AuditValue ROOT answers Packages")
                for p in ("g", "root", "nt", "rtp", "dd", "tonegen", "cg", "srvtn", "an", "mxp"):
                    check(re.search(r"\b%s-\d+\b" % p, r or ""), "package %s listed with its "
                          "version" % p)
                # -- unsupported packages -----------------------------------------------
                r = lab.mrfc("add", "legs=1", "mode=switch", "remote=%s:5000" % KERNEL_IP4)
                m = re.search(r"leg ctx=(\d+) term=(\S+)", r.stdout)
                check(m is not None, "a switch conference with one leg")
                ctx, term = m.group(1), m.group(2)
                for tid, what, body, code in (
                        (7100, "an optional package's event", "Events = 3 { aasdc/dc }", 440),
                        (7101, "a tone in a switch conference", "Signals { cg/rt }", 513),
                        (7102, "dd/ce without a DigitMap", "Events = 4 { dd/ce }", 501)):
                    # (each its own transaction id: a repeated one gets the stored reply)
                    r = lab.mrfc("raw", "Transaction = %d { Context = %s { Modify = %s { %s } } }"
                                 % (tid, ctx, term, body), check_rc=False)
                    check("error %d" % code in r.stdout, "%s: %d (%s)" % (
                        what, code, r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""))
            finally:
                b.close()


def test():
    run(None, "otherprofile/1", "threegmrfp/1", "failed")
    run("mxp", "mxp/1", "mxp/1", "answered")


if __name__ == "__main__":
    test()

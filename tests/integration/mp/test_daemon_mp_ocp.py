#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""H.248.11 overload control (package ocp) of the daemon, driven by a scapy MRFC over ESP
(doc/mp.md "Overload control").

The daemon keeps 64 replies for 2 s and is overloaded from 10 % of them (7 entries in
the reply cache) until they fall below 8 % (at most 5). The MRFC asks for ocp/mg_overload on ROOT
and sends Adds to context $: once the cache holds 7 replies the Adds are refused with 510
"overloaded" and nothing is created, one Notify ocp/mg_overload on ROOT (null context, the
request's id) comes for the Adds of that second, and the existing contexts are still
served (Modify, AuditValue, Subtract). The daemon counts it all in `show mp`
(overload_refused, overload_notifies, overloaded), never `cache_full`. Once the MRFC sends
slowly, the replies expire and a new context is taken again. tshark dissects the Modify of
ROOT and the Notify with the package's names.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scapy.layers.inet import IP  # noqa: E402

import mxplab  # noqa: E402
from mxplab import check, gen_key, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config, tshark_megaco  # noqa: E402
from esp_common import tmpdir  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"


def add_text(tid, port, ctx="$"):
    kl, kr = gen_key(), gen_key()
    return ("Transaction = %d { Context = %s { Add = $ { Media { Stream = 1 { "
            "LocalControl { Mode = SendReceive }, "
            "Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\na=crypto:1 %s inline:%s|2^31|1:4\n}, "
            "Remote {\nv=0\nc=IN IP4 %s\nm=audio %d RTP/SAVP 0\na=crypto:1 %s inline:%s|2^31|1:4"
            "\n} } } } } }" % (tid, ctx, SUITE, kl, KERNEL_IP4, port, SUITE, kr))


def created(reply):
    """(context, leg) of an Add's reply without error, else None."""
    if reply is None or re.search(r"\bError\s*=", reply):
        return None
    m = re.search(r"Context\s*=\s*(\d+).*?Add\s*=\s*leg/(\d+)", reply, re.S)
    return (int(m.group(1)), int(m.group(2))) if m else None


def ocp_notifies(b):
    """The distinct ocp/mg_overload Notify (by transaction id) the daemon sent."""
    return {re.search(r"Transaction\s*=\s*(\d+)", t).group(1): t for _, t in b.requests
            if "ocp/mg_overload" in t}


def test():
    extra = ("reply_cache = 64\nreply_ttl_ms = 2000\nocp_high_pct = 10\nocp_low_pct = 8\n"
             "retx_initial_ms = 200\n")
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        with Lab("mpocp", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == "answered", 20,
                     "the ServiceChange to be answered")

            # -- the MRFC asks for ocp/mg_overload on ROOT -----------------------------------
            r = b.transact("Transaction = 600 { Context = - { Modify = ROOT { Events = 9 { "
                           "ocp/mg_overload } } } }")
            check(r is not None and "Error" not in r, "Modify ROOT, Events = 9 { "
                  "ocp/mg_overload }: accepted (%s)" % r)
            r = b.transact("Transaction = 601 { Context = - { AuditValue = ROOT { Audit { "
                           "Events, Packages } } } }")
            check(r is not None and re.search(r"Events\s*=\s*9\s*\{\s*ocp/mg_overload", r) and
                  re.search(r"\bocp-1\b", r),
                  "AuditValue ROOT: the request is there, ocp-1 among the packages (%s)" % r)

            # -- Adds to context $ until the cache holds 7 replies ---------------------------
            made, refused, tid = [], [], 602
            while len(refused) < 3 and tid < 630:
                r = b.transact(add_text(tid, 7000 + 2 * (tid - 600)))
                c = created(r)
                if c:
                    made.append(c)
                elif r is not None and re.search(r"Error\s*=\s*510", r):
                    refused.append(r)
                else:
                    check(False, "transaction %d: created or 510 (%s)" % (tid, r))
                tid += 1
            # 600, 601 and four Adds make 6 replies; the next Add is the 7th
            check(len(made) >= 4, "contexts created before the mark (7 replies kept): %d"
                  % len(made))
            check(len(refused) == 3 and all("overloaded" in r and
                                            re.search(r"Context\s*=\s*-", r) for r in refused),
                  "then Adds refused: 510 'overloaded', no context (%s)" % refused[:1])
            n = lab.ctl_json("show", "mp")
            check(n["overload_refused"] == 3 and n["overloaded"] == 1 and n["cache_full"] == 0
                  and n["errors_by_code"].get("510") == 3,
                  "show mp: overload_refused 3, overloaded 1, cache_full 0 (%s)" % {
                      k: n[k] for k in ("overload_refused", "overloaded", "cache_full")})
            check(lab.ctl_json("show", "memory")["conferences"]["count"] == len(made),
                  "%d conferences: nothing created by the refused Adds" % len(made))

            # -- one Notify ocp/mg_overload on ROOT, answered -----------------------------------
            wait_for(lambda: ocp_notifies(b), 5, "ocp/mg_overload")
            nt = list(ocp_notifies(b).values())
            check(len(nt) == 1 and re.search(r"Context\s*=\s*-\s*\{\s*Notify\s*=\s*ROOT\s*\{\s*"
                                             r"ObservedEvents\s*=\s*9\s*\{\s*ocp/mg_overload",
                                             nt[0]),
                  "one Notify: Context = - { Notify = ROOT { ObservedEvents = 9 { "
                  "ocp/mg_overload } } } (%s)" % nt)
            wait_for(lambda: lab.ctl_json("show", "mp")["outstanding_requests"] == 0, 10,
                     "the Notify answered")
            check(lab.ctl_json("show", "mp")["overload_notifies"] == 1, "show mp: one Notify")

            # -- existing contexts are served -------------------------------------------------
            ctx, leg = made[0]
            r = b.transact("Transaction = 640 { Context = %d { Modify = leg/%d { Media { "
                           "Stream = 1 { LocalControl { Mode = ReceiveOnly } } } } } }"
                           % (ctx, leg))
            check(r is not None and "Error" not in r, "Modify of an existing leg: served")
            r = b.transact("Transaction = 641 { Context = %d { AuditValue = * { Audit { } } } }"
                           % ctx)
            check(r is not None and "Error" not in r, "AuditValue of a context: served")
            r = b.transact(add_text(642, 7100, ctx=str(ctx)))
            check(created(r) is not None, "an Add to an existing context: served")
            for i, (c, _) in enumerate(made[1:]):
                r = b.transact("Transaction = %d { Context = %d { Subtract = * } }" % (650 + i, c))
                check(r is not None and "Error" not in r, "Subtract of context %d: served" % c)
            check(lab.ctl_json("show", "mp")["overloaded"] == 1, "still overloaded meanwhile")

            # -- the MRFC slows down: the replies expire (2 s), new contexts again --------------
            back, tid = None, 700
            deadline = time.monotonic() + 15
            while back is None and time.monotonic() < deadline:
                time.sleep(0.7)  # pacing: fewer than 5 replies younger than 2 s
                back = created(b.transact(add_text(tid, 7200)))
                tid += 1
            check(back is not None, "a new context once the pressure ended")
            m = lab.ctl_json("show", "mp")
            check(m["overloaded"] == 0 and m["cache_full"] == 0,
                  "show mp: overloaded 0, cache_full 0")

            # -- tshark: the Modify of ROOT and the Notify by the package's names ---------------
            b.close()
            text, bad = tshark_megaco(os.path.join(lab.dir, "ocp.pcap"),
                                      [IP(x) for x in b.inner])
            for s in (r"Termination ID: ROOT", r"Events Descriptor", r"pkgdName: ocp/mg_overload",
                      r"Notify", r"Observed Events Descriptor", r"RequestID: 9\b",
                      r"ERROR Code: Insufficient resources \(510\)", r"\bocp-1\b"):
                check(re.search(s, text), "tshark shows %s" % s)
            check(not bad, "tshark: no malformed packet (%s)" % bad[:3])
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

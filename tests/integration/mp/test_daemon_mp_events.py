#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The daemon's side of H.248 transactions, against an MRFC written with scapy's ESP layer.

- ServiceChange Restart at start: the MRFC loses the first copy, the retransmission is the
  same text, the answer stops it;
- a retransmitted request gets the byte-identical reply and is not applied twice; after a
  TransactionResponseAck the same id is a new transaction;
- TransactionPending for a transaction that takes longer than [mp] pending_ms;
- Notify for the events the MRFC asked for: mxp/ssrc (learned, then a participant sending
  under another SSRC), mxp/keylimit (soft and exhausted, the participant's key and the
  mixer's), mxp/authfail over mxp/afthresh; a Notify the MRFC does not answer is
  retransmitted (same text) until it does.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, gen_key, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config  # noqa: E402
from esp_common import tmpdir  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"


def crypto(key, lifetime="2^31", mki=1, tag=1):
    return "a=crypto:%d %s inline:%s|%s|%d:4" % (tag, SUITE, key, lifetime, mki)


def add_leg(local_crypto, remote_crypto, port, props="", tid=None, ctx="$"):
    return ("Transaction = %d { Context = %s { Add = $ { Media { Stream = 1 { "
            "LocalControl { Mode = SendReceive%s }, "
            "Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, "
            "Remote {\nv=0\nc=IN IP4 %s\nm=audio %d RTP/SAVP 0\n%s\n} } }, "
            "Events = 77 { mxp/authfail, mxp/keylimit, mxp/ssrc } } } }"
            % (tid, ctx, props, local_crypto, KERNEL_IP4, port, remote_crypto))


def reply_leg(text):
    m = re.search(r"Context\s*=\s*(\d+).*?Add\s*=\s*leg/(\d+).*?m=audio (\d+)", text, re.S)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def notifies(b, leg, event, after=0.0):
    return [t for (ts, t) in b.requests if ts >= after and "Notify = leg/%d" % leg in t and
            event in t]


def test():
    extra = ("event_poll_ms = 100\nauthfail_threshold = 1000\nkeylimit_percent = 50\n"
             "pending_ms = 0\nretx_initial_ms = 200\n")
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        with Lab("mpev", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4, drop_first=1)

            # -- ServiceChange: lost once, retransmitted identically, answered -------------
            wait_for(lambda: len([1 for _, t in b.requests if "ServiceChange" in t]) >= 2, 20,
                     "the ServiceChange retransmission")
            scs = [t for _, t in b.requests if "ServiceChange" in t]
            check(scs[0] == scs[1], "the retransmitted ServiceChange is the same text")
            wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == "answered", 10,
                     "the ServiceChange to be answered")
            # a retransmission the daemon sent before the answer reached it may still be
            # arriving: count once the daemon saw the answer and the ESP thread caught up
            wait_for(lambda: lab.ctl_json("show", "mp")["outstanding_requests"] == 0, 10,
                     "no request outstanding")
            n_sc = len([1 for _, t in b.requests if "ServiceChange" in t])
            time.sleep(1.0)
            check(len([1 for _, t in b.requests if "ServiceChange" in t]) == n_sc,
                  "no ServiceChange after the answer")

            # -- Pending for a transaction that takes longer than pending_ms (0 here) ---------
            keys = os.path.join(lab.dir, "keys.txt")
            r = lab.mrfc("add", "legs=2", "remote=%s:6000" % KERNEL_IP4, keys=keys)
            check("result add ok" in r.stdout and re.search(r"transaction \d+ pending", r.stderr),
                  "TransactionPending before the reply of a two-command transaction")
            check(lab.ctl_json("show", "mp")["pendings"] >= 1, "show mp counts Pending")

            # -- retransmitted request: the same reply, applied once ------------------------
            k = [gen_key() for _ in range(4)]
            text = "MEGACO/3 [%s]:2944\n%s" % (MRFC_B, add_leg(crypto(k[0], "2^6"), crypto(k[1]),
                                                              7000, ", mxp/afthresh = 5",
                                                              tid=501))
            r1 = b.transact(text)
            r2 = b.transact(text)
            check(r1 is not None and r1 == r2, "a retransmitted Add gets the byte-identical reply")
            ctx, leg1, port1 = reply_leg(r1)
            conf = lab.ctl_json("show", "conference", str(ctx))
            check(len(conf["legs"]) == 1, "...and is applied once (one leg)")
            check(lab.ctl_json("show", "mp")["replies_cached"] == 1,
                  "show mp counts the reply from the cache")
            # TransactionResponseAck: the reply is forgotten, the id is free again
            b.send("MEGACO/3 [%s]:2944\nTransactionResponseAck { 501 }\n" % MRFC_B)
            wait_for(lambda: lab.ctl_json("show", "mp")["acks"] == 1, 5, "the ack")
            r3 = b.transact(text)
            check(r3 is not None and reply_leg(r3)[1] != leg1,
                  "after TransactionResponseAck the same id is a new transaction")
            r = b.transact("Transaction = 502 { Context = %d { Subtract = leg/%d } }"
                           % (ctx, reply_leg(r3)[1]))
            check(r is not None and "Subtract" in r, "the extra leg subtracted")

            # -- a second leg in the same context: its key has a short lifetime -------------
            r = b.transact(add_leg(crypto(k[2]), crypto(k[3], "2^6"), 7002, tid=503, ctx=ctx))
            _, leg2, port2 = reply_leg(r)
            check(leg2 > 0, "second leg leg/%d" % leg2)

            # -- media: SSRCs learned, key usage over 50 %, then over the limit -------------
            t0 = time.monotonic()
            b.drop_first = 1   # lose the first Notify: it must be retransmitted
            res = lab.peer(KERNEL_IP4, rx=[(7000, "%s:1:4" % k[0]), (7002, "%s:1:4" % k[2])],
                           tx=[(7000, DAEMON_IP4, port1, "%s:1:4" % k[1], 0xA1, 1),
                               (7002, DAEMON_IP4, port2, "%s:1:4" % k[3], 0xB2, 2)],
                           count=40, interval_ms=10)
            check(res["rx"]["7000"]["from"] == {"2": 40}, "media flows (leg/%d hears leg/%d)"
                  % (leg1, leg2))
            wait_for(lambda: notifies(b, leg1, "mxp/ssrc", t0) and notifies(b, leg2, "mxp/ssrc", t0)
                     and notifies(b, leg1, "mxp/keylimit", t0) and
                     notifies(b, leg2, "mxp/keylimit", t0), 10, "the Notifies")
            n1 = notifies(b, leg1, "mxp/ssrc", t0)[0]
            check("new=%d" % 0xA1 in n1 and re.search(r"ObservedEvents\s*=\s*77", n1) and
                  re.search(r"Context\s*=\s*%d" % ctx, n1),
                  "Notify mxp/ssrc{new=161} with the request id 77 of the Events descriptor")
            kl = notifies(b, leg1, "mxp/keylimit", t0)[0]
            check("dir=out" in kl and "state=soft" in kl and "limit=64" in kl and "mki=1" in kl,
                  "Notify mxp/keylimit: the mixer's key to leg/%d passed 50 %% of 2^6" % leg1)
            kl = notifies(b, leg2, "mxp/keylimit", t0)[0]
            check("dir=in" in kl and "state=soft" in kl,
                  "Notify mxp/keylimit: leg/%d's participant key passed 50 %%" % leg2)
            wait_for(lambda: lab.ctl_json("show", "mp")["retransmissions"] >= 1, 10,
                     "a retransmitted Notify")
            texts = [t for _, t in b.requests if "Notify" in t]
            check(len(texts) > len(set(texts)), "the lost Notify was retransmitted, same text")
            wait_for(lambda: lab.ctl_json("show", "mp")["outstanding_requests"] == 0, 10,
                     "every Notify answered")

            # -- over the limit; forged packets; another SSRC ------------------------------
            t1 = time.monotonic()
            lab.peer(KERNEL_IP4, rx=[(7000, "%s:1:4" % k[0])],
                     tx=[(7000, DAEMON_IP4, port1, "%s:1:4" % k[1], 0xA1, 3),
                         (7002, DAEMON_IP4, port2, "%s:1:4" % k[3], 0xB2, 4)],
                     count=30, interval_ms=10, extra=["--forge", "6"])
            wait_for(lambda: notifies(b, leg1, "mxp/authfail", t1) and
                     [t for t in notifies(b, leg2, "mxp/keylimit", t1) if "exhausted" in t],
                     10, "authfail and exhausted")
            af = notifies(b, leg1, "mxp/authfail", t1)[0]
            check(re.search(r"mxp/authfail\s*\{\s*count=\d+", af),
                  "Notify mxp/authfail{count} once leg/%d passed mxp/afthresh=5" % leg1)
            ex = [t for t in notifies(b, leg2, "mxp/keylimit", t1) if "exhausted" in t][0]
            check("dir=in" in ex and "used=64" in ex,
                  "Notify mxp/keylimit state=exhausted: leg/%d's key reached 2^6" % leg2)
            t2 = time.monotonic()
            lab.peer(KERNEL_IP4, tx=[(7000, DAEMON_IP4, port1, "%s:1:4" % k[1], 0xC3, 5)],
                     count=5, interval_ms=10, wait_ms=100)
            wait_for(lambda: notifies(b, leg1, "dropped=5", t2), 10, "the SSRC change")
            ch = notifies(b, leg1, "dropped=", t2)[0]
            check(all(re.search(r"mxp/ssrc\s*\{\s*old=%d\s*,\s*new=%d\s*,\s*dropped=\d+\s*\}" % (0xA1, 0xC3), t)
                      for t in notifies(b, leg1, "dropped=", t2)),
                  "Notify mxp/ssrc{old=161,new=195,dropped=5}: a participant changed its SSRC "
                  "from 0xA1 to 0xC3 (%s)" % ch)
            m = lab.ctl_json("show", "mp")
            check(m["notifies"] >= 7 and m["gave_up"] == 0 and m["answered_error"] == 0,
                  "show mp: %d Notify sent, all answered" % m["notifies"])
            # audits show the requested events
            r = b.transact("Transaction = 504 { Context = %d { AuditValue = leg/%d { Audit { "
                           "Events } } } }" % (ctx, leg1))
            check(r and re.search(r"Events\s*=\s*77\s*\{[^}]*mxp/ssrc", r),
                  "AuditValue returns the Events descriptor")
            b.close()
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""DTMF over Mp: a mix conference detects RFC 4733 telephone events and notifies them.

Two legs of a mix conference whose SDP offers telephone-event/8000 on payload type 101;
the MRFC (scapy, over ESP) asks for mxp/dtmf on the first. Participants are libsrtp2
(mxp-srtp-peer --dtmf). Checks: one Notify mxp/dtmf{digit="D"} per digit, in the order
sent, '*' and '#' included, with the request id of the Events descriptor; the CLI shows the
count and the last digits; digits a leg sent before the MRFC asked for its events are not
reported afterwards, the ones after are; the events are not mixed (the other participant
hears no event packet: every packet it receives is a PCMU frame). Then with the mrfc tool:
`add dtmf=101 events=dtmf` offers the telephone-event type and asks for the event, and
`listen count=2` prints the two digits' Notify and answers them.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, gen_key, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config, read_keys  # noqa: E402
from esp_common import tmpdir  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"


def sdp(addr, port, key):
    return ("v=0\nc=IN IP4 %s\nm=audio %s RTP/SAVP 0 101\na=rtpmap:0 PCMU/8000\n"
            "a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\na=ptime:20\n"
            "a=crypto:1 %s inline:%s|2^31|1:4\n" % (addr, port, SUITE, key))


def add_leg(tid, ctx, local_key, remote_key, port, events):
    state = "TerminationState { mxp/mode = mix }, " if ctx == "$" else ""
    return ("Transaction = %d { Context = %s { Add = $ { Media { %sStream = 1 { "
            "LocalControl { Mode = SendReceive }, Local {\n%s}, Remote {\n%s} } }%s } } }"
            % (tid, ctx, state, sdp("$", "$", local_key), sdp(KERNEL_IP4, port, remote_key),
               events))


def reply_leg(text):
    m = re.search(r"Context\s*=\s*(\d+).*?Add\s*=\s*leg/(\d+).*?m=audio (\d+)", text, re.S)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def digits_notified(b, leg, after=0.0):
    """The digits of the distinct mxp/dtmf Notifies for a leg, in the order first sent
    (a retransmission is the same text)."""
    seen, out = set(), []
    for ts, t in b.requests:
        if ts < after or "Notify = leg/%d" % leg not in t or "mxp/dtmf" not in t or t in seen:
            continue
        seen.add(t)
        m = re.search(r'mxp/dtmf\s*\{\s*digit="(.)"', t)
        out.append(m.group(1) if m else "?")
    return out


def test():
    extra = "event_poll_ms = 100\npending_ms = 0\n"
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        with Lab("mpdtmf", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == "answered", 20,
                     "the ServiceChange to be answered")
            k = [gen_key() for _ in range(4)]
            r = b.transact(add_leg(601, "$", k[0], k[1], 7100,
                                   ", Events = 88 { mxp/dtmf }"))
            check(r is not None and reply_leg(r) is not None, "a mix conference with leg 1 "
                  "asking for mxp/dtmf: %s" % (r or "no reply")[:200])
            ctx, leg1, port1 = reply_leg(r)
            r = b.transact(add_leg(602, ctx, k[2], k[3], 7102, ""))
            _, leg2, port2 = reply_leg(r)
            check(lab.ctl_json("show", "conference", str(ctx))["mode"] == "mix",
                  "conference %d is a mix conference" % ctx)

            # leg 2 sends a digit before anyone asked for its events
            lab.peer(KERNEL_IP4, tx=[(7102, DAEMON_IP4, port2, "%s:1:4" % k[3], 0xB2, 2, 440)],
                     count=5, interval_ms=20, wait_ms=100, extra=["--dtmf", "5"])
            wait_for(lambda: lab.ctl_json("show", "leg", str(leg2))["dtmf"] == 1, 10,
                     "leg 2's first digit to be counted")

            # leg 1 dials 1 # 9 *, leg 2 listens
            t0 = time.monotonic()
            res = lab.peer(KERNEL_IP4, rx=[(7102, "%s:1:4" % k[2])],
                           tx=[(7100, DAEMON_IP4, port1, "%s:1:4" % k[1], 0xA1, 1, 600)],
                           count=10, interval_ms=20, wait_ms=300,
                           extra=["--dtmf", "1#9*", "--pcm-dir", lab.dir])
            wait_for(lambda: len(digits_notified(b, leg1, t0)) >= 4, 10, "four mxp/dtmf Notifies")
            got = digits_notified(b, leg1, t0)
            check(got == ["1", "#", "9", "*"], "Notify mxp/dtmf{digit} once per digit, in order: %s"
                  % got)
            n = [t for ts, t in b.requests if ts >= t0 and "mxp/dtmf" in t][0]
            check(re.search(r"ObservedEvents\s*=\s*88", n) and
                  re.search(r"Context\s*=\s*%d" % ctx, n),
                  "with the request id 88 of the Events descriptor")
            j = lab.ctl_json("show", "leg", str(leg1))
            check(j["dtmf"] == 4 and j["dtmf_last"] == "1#9*",
                  "show leg: 4 digits, last '1#9*' (%s, %s)" % (j["dtmf"], j["dtmf_last"]))
            check(digits_notified(b, leg2) == [], "no Notify for leg 2: it asked for no events")
            # the other participant heard the mix: PCMU frames only, no event packet
            pcm = os.path.join(lab.dir, "7102.raw")
            heard = res["rx"]["7102"]["packets"]
            check(heard > 0 and res["rx"]["7102"]["bad_payload"] == 0 and
                  os.path.getsize(pcm) == heard * 160 * 2,
                  "leg 2 heard %d mixed PCMU frames and no telephone-event packet" % heard)

            # leg 2 asks for events now: its earlier digit is not reported, the next one is
            r = b.transact("Transaction = 603 { Context = %d { Modify = leg/%d { "
                           "Events = 89 { mxp/dtmf } } } }" % (ctx, leg2))
            check(r is not None and "Modify" in r and "Error" not in r, "Modify leg 2: Events "
                  "89 { mxp/dtmf }")
            t1 = time.monotonic()
            # (sender id 3: its sequence numbers start past those of the first run)
            lab.peer(KERNEL_IP4, tx=[(7102, DAEMON_IP4, port2, "%s:1:4" % k[3], 0xB2, 3, 440)],
                     count=5, interval_ms=20, wait_ms=100, extra=["--dtmf", "7"])
            wait_for(lambda: lab.ctl_json("show", "leg", str(leg2))["dtmf"] == 2 and
                     digits_notified(b, leg2, t1), 10, "leg 2's Notify")
            # the old digit, had it been reported, would come first (oldest first, one poll)
            check(digits_notified(b, leg2) == ["7"],
                  "only the digit sent after the request is notified: %s"
                  % digits_notified(b, leg2))
            m = lab.ctl_json("show", "mp")
            check(m["gave_up"] == 0 and m["answered_error"] == 0, "every Notify answered")
            b.close()
            check(lab.stop() == 0, "clean exit")

    # -- the mrfc tool: add dtmf=101 events=dtmf, then listen prints and answers the Notify
    with tmpdir() as tmp:
        sect, ca, _ = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        sect = sect.replace("mrfc = %s" % MRFC_B, "mrfc = %s" % KERNEL_IP4)
        with Lab("mpdtmf2", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            keys = os.path.join(lab.dir, "keys.txt")
            scen = os.path.join(lab.dir, "scenario.txt")
            with open(scen, "w") as f:
                f.write("add mode=mix legs=2 dtmf=101 events=dtmf remote=%s:7200\n"
                        "listen count=2 duration=20\n" % KERNEL_IP4)
            p = subprocess.Popen(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa", ca,
                                  "--keys-out", keys, "scenario", scen],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for(lambda: os.path.exists(keys) and len(read_keys(keys)) == 2 or
                     p.poll() is not None, 20, "mrfc's Add")
            legs = read_keys(keys)
            check(len(legs) == 2, "mrfc add mode=mix legs=2 dtmf=101 events=dtmf")
            li = lab.ctl_json("show", "conference", str(legs[0]["ctx"]))
            check(li["mode"] == "mix", "a mix conference")
            a, b2 = legs
            lab.peer(KERNEL_IP4, rx=[(b2["port"], b2["rx"])],
                     tx=[(a["port"], a["mrfp"], a["mrfp_port"], a["tx"], 0x301, 1, 500)],
                     count=5, interval_ms=20, wait_ms=100, extra=["--dtmf", "4#"])
            out, err = p.communicate(timeout=30)
            check(p.returncode == 0, "mrfc listen count=2 returned 0 (%d: %s)"
                  % (p.returncode, err[-300:]))
            got = re.findall(r'mxp/dtmf\s*\{\s*digit="(.)"', out)
            check(got == ["4", "#"], "mrfc listen printed the Notify of digits 4 and #: %s" % got)
            m = lab.ctl_json("show", "mp")
            check(m["gave_up"] == 0 and m["answered_error"] == 0,
                  "mrfc answered the Notify (the daemon gave up on none)")
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

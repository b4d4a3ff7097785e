#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A cascaded mix conference: two daemons (MRFP A and MRFP B), each in a lab of its own (its
namespace, veth, addresses and DPDK file prefix), the two namespaces routed to each other
through a third veth. Each MRFP gets a mix context over Mp (ESP) from plain single-MRFP mrfc
runs: participants (A: two talkers and a listener; B: one talker and a listener) and one
cascade leg (mxp/cascade = on) whose remote is the other MRFP's cascade leg, keys crossed
(A's Local key is B's Remote key: mrfc add peerkeys=).

Checks: who hears whom by spectrum (libsrtp2 participants, tones, Goertzel): everyone hears
every other talker of both MRFPs at one copy's amplitude, never itself; the cascade legs are
shown as such (show leg, show conference, AuditValue); refusals over Mp (a switch context:
501, a bad value: 449) create nothing. Then the latency the cascade adds: A's first talker
sends 200 ms bursts into silence; the first packet of each burst leaving the talker (an
AF_PACKET socket on its veth), and the first packet reaching a listener on A and one on B
(UDP sockets in the two namespaces) are timed on one monotonic clock."""
import math
import os
import re
import socket
import statistics
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, run  # noqa: E402
from mplab import read_keys, ns_socket  # noqa: E402

A_DAEMON, A_KERNEL = "192.0.2.2", "192.0.2.1"
B_DAEMON, B_KERNEL = "203.0.113.2", "203.0.113.1"
LINK_A, LINK_B = "10.99.0.1", "10.99.0.2"
TONES = {"a1": 440.0, "a2": 700.0, "b1": 1100.0}
AMP = 8000.0
SECONDS = 4
BURSTS = 6


class LabAt(Lab):
    """A Lab at other addresses and names, so that two run side by side."""

    def __init__(self, name, letter, daemon_ip, kernel_ip, **kw):
        super().__init__(name, ipv6=False, mp=True, **kw)
        tag = "%s%d" % (letter, os.getpid() % 100000)
        self.ns = "mc" + tag
        self.veth_d = "mcd" + tag
        self.veth_k = "mck" + tag
        self.prefix = "mc" + tag
        self.daemon_ip, self.kernel_ip = daemon_ip, kernel_ip

    def _at(self, fn, *a, **kw):
        old = (mxplab.DAEMON_IP4, mxplab.KERNEL_IP4)
        mxplab.DAEMON_IP4, mxplab.KERNEL_IP4 = self.daemon_ip, self.kernel_ip
        try:
            return fn(*a, **kw)
        finally:
            mxplab.DAEMON_IP4, mxplab.KERNEL_IP4 = old

    def _make_net(self):
        return self._at(super()._make_net)

    def config_text(self):
        return self._at(super().config_text)

    def mp_setup(self, *a, **kw):
        return self._at(super().mp_setup, *a, **kw)


def link(a, b):
    """Route the two namespaces to each other (each kernel side is its daemon's gateway)."""
    va, vb = "mcx" + a.ns[2:], "mcy" + b.ns[2:]
    run(["ip", "link", "add", va, "netns", a.ns, "type", "veth", "peer", "name", vb,
         "netns", b.ns])
    for lab, v, mine, other, net in ((a, va, LINK_A, LINK_B, "203.0.113.0/24"),
                                     (b, vb, LINK_B, LINK_A, "192.0.2.0/24")):
        lab.ns_run(["ip", "addr", "add", mine + "/30", "dev", v])
        lab.ns_run(["ip", "link", "set", v, "up"])
        lab.ns_run(["ethtool", "-K", v, "tx", "off"], check_rc=False)
        lab.ns_run(["ip", "route", "add", net, "via", other])
        for k in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                  "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.%s.rp_filter=0" % v,
                  "net.ipv4.conf.%s.rp_filter=0" % lab.veth_k):
            lab.ns_run(["sysctl", "-qw", k])


def amp(x, f, rate=8000.0):
    """Amplitude of f in x (Goertzel over a Hann window, the window's gain compensated)."""
    n = len(x)
    w = 2 * math.pi * f / rate
    k, s1, s2, wsum = 2 * math.cos(w), 0.0, 0.0, 0.0
    for i, v in enumerate(x):
        h = 0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1))
        wsum += h
        s1, s2 = v * h + k * s1 - s2, s1
    re_, im = s1 - s2 * math.cos(w), s2 * math.sin(w)
    return 2 * math.sqrt(re_ * re_ + im * im) / wsum


def heard(path):
    """Median amplitude of each tone over 250 ms blocks of the middle of a recording."""
    with open(path, "rb") as f:
        data = f.read()
    x = struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])
    x = x[len(x) // 4: len(x) * 7 // 8]
    blocks = [x[i:i + 2000] for i in range(0, len(x) - 1999, 2000)]
    if not blocks:
        return {t: 0.0 for t in TONES}, len(x)
    return {t: statistics.median(amp(b, f) for b in blocks) for t, f in TONES.items()}, len(x)


def raw(lab, body, expect_ok=True):
    r = lab.mrfc("raw", body, check_rc=False)
    if expect_ok:
        check("result raw ok" in r.stdout, "raw: %s" % body[:80])
    return r.stdout


class Arrivals(threading.Thread):
    """Timestamps (time.monotonic) of the packets a socket receives; with match, only
    those for which match(frame) is true (an AF_PACKET socket sees every frame)."""

    def __init__(self, sock, match=None):
        super().__init__(daemon=True)
        self.sock, self.match, self.times, self.stop = sock, match, [], False
        sock.settimeout(0.2)

    def run(self):
        while not self.stop:
            try:
                d = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            t = time.monotonic()
            if self.match is None or self.match(d):
                self.times.append(t)

    def close(self):
        self.stop = True
        self.join()
        self.sock.close()


def onsets(times, gap=0.4):
    """The first time of each run of packets after gap seconds of nothing."""
    out, last = [], None
    for t in times:
        if last is None or t - last > gap:
            out.append(t)
        last = t
    return out


def test():
    with LabAt("cascA", "A", A_DAEMON, A_KERNEL) as a, LabAt("cascB", "B", B_DAEMON,
                                                              B_KERNEL) as b:
        link(a, b)
        r = a.ns_run(["ping", "-c", "1", "-W", "2", B_DAEMON], check_rc=False)
        check(r.returncode == 0, "namespace A reaches MRFP B's address through the link")

        # -- refusals over Mp: nothing created ------------------------------------------
        a.mrfc("add", "legs=1", "mode=switch", "cascade=on", "remote=%s:7000" % A_KERNEL,
               "expect=501")
        a.mrfc("add", "legs=1", "mode=mix", "cascade=maybe", "remote=%s:7000" % A_KERNEL,
               "expect=449")
        check(a.ctl_json("show", "conferences") == [],
              "mxp/cascade in a switch context (501) and a bad value (449) create nothing")

        # -- refusals on the lab CLI: a switch conference; a leg made a cascade leg there --
        sw = a.conf_create("mode", "switch")
        keys = "in %s\nout %s\n" % (mxplab.crypto_line(mxplab.gen_key()),
                                    mxplab.crypto_line(mxplab.gen_key()))
        r = a.ctl_input(keys, "leg", "add", str(sw), "remote", A_KERNEL, "7100", "cascade",
                        check_rc=False)
        check(r.returncode == 2 and "cascade legs need a mix conference" in r.stderr and
              a.ctl_json("show", "conference", str(sw))["legs"] == [],
              "leg add ... cascade in a switch conference: exit 2, no leg (%s)" %
              r.stderr.strip())
        leg = a.leg_add(sw, mxplab.gen_key(), mxplab.gen_key(), (A_KERNEL, 7100))
        r = a.ctl("leg", "set", str(leg["id"]), "cascade", "on", check_rc=False)
        check(r.returncode == 2 and "mix conference" in r.stderr and
              not a.ctl_json("show", "leg", str(leg["id"]))["cascade"],
              "leg set ... cascade on in a switch conference: exit 2, unchanged")
        a.ctl("conference", "delete", str(sw))

        # -- the participants: A has a1, a2 (talkers) and a3 (listener), B has b1, b2 ----
        ka, kb = os.path.join(a.dir, "parts.keys"), os.path.join(b.dir, "parts.keys")
        a.mrfc("add", "legs=3", "mode=mix", "remote=%s:6000" % A_KERNEL, keys=ka)
        b.mrfc("add", "legs=2", "mode=mix", "remote=%s:6000" % B_KERNEL, keys=kb)
        pa, pb = read_keys(ka), read_keys(kb)
        ctx_a, ctx_b = pa[0]["ctx"], pb[0]["ctx"]

        # -- the cascade legs: A's first (its remote a placeholder on B), then B's with
        # the keys of A's crossed, then A's remote set to B's leg -----------------------
        ca, cb = os.path.join(a.dir, "casc.keys"), os.path.join(b.dir, "casc.keys")
        # audiolevel=1: a=extmap of RFC 6464's level, so each side's cascade packets
        # name its talkers (CSRCs) and carry their level in an extension, through SRTP
        a.mrfc("add", "ctx=%d" % ctx_a, "legs=1", "cascade=on", "audiolevel=1",
               "remote=%s:40000" % B_DAEMON, keys=ca)
        leg_a = read_keys(ca)[0]
        b.mrfc("add", "ctx=%d" % ctx_b, "legs=1", "cascade=on", "audiolevel=1",
               "peerkeys=" + ca,
               "remote=%s:%d" % (A_DAEMON, leg_a["mrfp_port"]), keys=cb)
        leg_b = read_keys(cb)[0]
        a.mrfc("modify", "ctx=%d" % ctx_a, "term=" + leg_a["term"],
               "remote=%s:%d" % (B_DAEMON, leg_b["mrfp_port"]), keys=ca)
        check(leg_a["tx_b64"] == leg_b["rx_b64"] and leg_a["rx_b64"] == leg_b["tx_b64"],
              "the cascade legs' keys are crossed (A's Local key is B's Remote key)")
        ida, idb = int(leg_a["term"].split("/")[1]), int(leg_b["term"].split("/")[1])
        la, lb = a.ctl_json("show", "leg", str(ida)), b.ctl_json("show", "leg", str(idb))
        check(la["cascade"] and lb["cascade"] and la["remote"] == B_DAEMON and
              la["remote_port"] == leg_b["mrfp_port"] and lb["remote"] == A_DAEMON,
              "show leg: both cascade legs, each aimed at the other MRFP's")
        ci = a.ctl_json("show", "conference", str(ctx_a))
        check(ci["participants"] == 3 and ci["cascade_legs"] == 1,
              "show conference A: 3 participants and 1 cascade leg")
        out = raw(a, "Transaction = 90 { Context = %d { AuditValue = %s { Audit { Media } } } }"
                  % (ctx_a, leg_a["term"]))
        check(re.search(r"mxp/cascade\s*=\s*on", out) is not None,
              "AuditValue of A's cascade leg: mxp/cascade = on")
        check("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level" in out,
              "AuditValue of A's cascade leg: its Local keeps the audio level's a=extmap:1 "
              "after the Modify that moved its remote")

        # -- who hears whom ------------------------------------------------------------
        names = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2"]}
        procs = []
        for lab, parts, tag, daemon, kern in ((a, pa, "a", A_DAEMON, A_KERNEL),
                                              (b, pb, "b", B_DAEMON, B_KERNEL)):
            pcm = os.path.join(lab.dir, "pcm")
            os.makedirs(pcm, exist_ok=True)
            rx = [(p["port"], p["rx"]) for p in parts]
            tx = [(p["port"], daemon, p["mrfp_port"], p["tx"], 0x4000 + i, i + 1,
                   TONES[names[tag][i]]) for i, p in enumerate(parts)
                  if names[tag][i] in TONES]
            procs.append(lab.peer(kern, rx=rx, tx=tx, count=SECONDS * 50, interval_ms=20,
                                  wait_ms=400, extra=["--pcm-dir", pcm], background=True))
        for p in procs:
            mxplab.peer_result(p)
        for lab, parts, tag in ((a, pa, "a"), (b, pb, "b")):
            for i, p in enumerate(parts):
                who = names[tag][i]
                lv, n = heard(os.path.join(lab.dir, "pcm", "%d.raw" % p["port"]))
                check(n > 8000, "%s received %.1f s of audio" % (who, n / 8000.0))
                desc = ", ".join("%s %.0f" % (t, v) for t, v in lv.items())
                for t, v in lv.items():
                    if t == who:
                        check(v < 0.03 * AMP, "%s does not hear itself (%s)" % (who, desc))
                    else:
                        check(0.8 * AMP < v < 1.2 * AMP,
                              "%s hears %s once (%s)" % (who, t, desc))
        st = a.ctl_json("show", "leg", str(ida))
        check(st["rx_packets"] > SECONDS * 50 * 0.8 and st["tx_packets"] > SECONDS * 50 * 0.8,
              "A's cascade leg: %d packets in, %d out" % (st["rx_packets"], st["tx_packets"]))

        # -- latency added by the cascade ------------------------------------------------
        a1, a3, b2 = pa[0], pa[2], pb[1]
        s_a = ns_socket(a.ns, socket.AF_INET, socket.SOCK_DGRAM)
        s_a.bind((A_KERNEL, a3["port"]))
        s_b = ns_socket(b.ns, socket.AF_INET, socket.SOCK_DGRAM)
        s_b.bind((B_KERNEL, b2["port"]))
        s_tx = ns_socket(a.ns, socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL: outgoing frames too
        s_tx.bind((a.veth_k, 0))
        dst = socket.inet_aton(A_DAEMON)

        def from_a1(f):
            return (len(f) > 42 and f[12:14] == b"\x08\x00" and f[30:34] == dst and
                    struct.unpack("!H", f[36:38])[0] == a1["mrfp_port"])
        rec = [Arrivals(s_tx, from_a1), Arrivals(s_a), Arrivals(s_b)]
        for t in rec:
            t.start()
        for k in range(BURSTS):
            # the SSRC the leg learnt; a sender id per burst makes its sequence numbers
            # (id x 1000) go on rising, so no burst is a replay of the one before
            a.peer(A_KERNEL, tx=[(a1["port"], A_DAEMON, a1["mrfp_port"], a1["tx"], 0x4000,
                                  10 + k, TONES["a1"])], count=10, interval_ms=20,
                   wait_ms=1200)
        for t in rec:
            t.close()
        sent, on_a, on_b = (onsets(t.times) for t in rec)
        print("# packets timed: %d from the talker, %d at A's listener, %d at B's" %
              tuple(len(t.times) for t in rec))
        same, other = [], []
        for s in sent:
            fa = [t for t in on_a if s <= t < s + 0.6]
            fb = [t for t in on_b if s <= t < s + 0.6]
            if fa and fb:
                same.append((fa[0] - s) * 1000)
                other.append((fb[0] - s) * 1000)
        added = [o - s for s, o in zip(same, other)]
        print("# latency, burst onset from the talker to the first packet at a listener (ms):")
        print("#   same MRFP:  %s" % " ".join("%.1f" % x for x in same))
        print("#   other MRFP: %s" % " ".join("%.1f" % x for x in other))
        print("#   added by the cascade: median %.1f ms, min %.1f, max %.1f over %d bursts"
              % (statistics.median(added) if added else -1, min(added or [-1]),
                 max(added or [-1]), len(added)), flush=True)
        check(len(sent) == BURSTS and len(added) >= BURSTS - 1,
              "%d bursts sent, %d heard on both MRFPs" % (len(sent), len(added)))
        check(all(0 < x < 250 for x in added),
              "the cascade adds between 0 and 250 ms (median %.1f ms)" % statistics.median(added))
        check(a.stop() == 0 and b.stop() == 0, "both daemons exit cleanly")


mxplab.main(test)

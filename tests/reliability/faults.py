#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""faults: faults injected into a running daemon, and what it does about them (doc/reliability.md).

One daemon (mxplab.Lab: Mp over ESP and media on one veth with net_af_packet, one worker)
with a switch conference of two legs set up by mrfc over Mp/ESP; libsrtp2 participants
(mxp-srtp-peer) send to each other through it during every fault, and a capture on the
participants' side of the veth times every packet the daemon relays to them. In order:

1. MRFC away at start, then away after set-up: the daemon sends ServiceChange Restart to
   [mp] mrfc where nobody answers, retransmits it (and, past the give-up timer, tries again
   every 30 s); mrfc appears (`mrfc listen`) and answers; measured: MRFC up -> ServiceChange
   answered. Then the MRFC goes silent while media flows: conferences kept, media relayed,
   an audit answered when it is back.
2. ESP: (a) an SA pair replaced make before break (new SPIs added with `esp sa add`, mrfc
   moved to them, the policy's outbound SPI moved, the old pair deleted) while a loop of
   audits runs: each transaction answered exactly once, none retransmitted, no ESP drop;
   (b) ESN (the new pair): the daemon's outbound SA resumed just below 2^32 (`seq=` on its
   SA line) carries the replies of (a) across it; mrfc's outbound sequence number started
   just below 2^32 and carried across it, every transaction answered, the daemon's
   inbound SA past 2^32;
   (c) no ESN (a third pair): mrfc sends up to 2^32 - 1 and then refuses (RFC 4303 3.3.3:
   the sender must not cycle), and a packet of that SA with the number wrapped to 1 is
   dropped by the daemon's anti-replay window; the daemon's outbound SA, also at 2^32 - 1,
   refuses to send the reply to a request that came over the ESN pair (seq_overflow).
3. Port flap: the participants' end of the veth, then the daemon's, down and up while
   media flows: the daemon keeps answering, counts its transmit errors, media resumes;
   measured: the gap in relayed media, and what `show ports` says of the link.
4. A stalled worker: the worker thread (rte-worker-1) stopped with ptrace
   (PTRACE_SEIZE + PTRACE_INTERRUPT stop that thread alone) for longer than the 2 s
   command timeout: `show stats` answers at once, a `conference create` is refused after
   the timeout naming the worker, an Mp Add gets an error reply; resumed, a create
   succeeds and media flows again; measured: how long the refusals took.
5. SIGKILL and restart: with the hugepage files of the killed process left behind (the
   daemon runs without --huge-unlink here), a new daemon starts on the same file prefix,
   sends ServiceChange Restart, mrfc (waiting in `mrfc listen`) answers and replays its
   scenario; measured: restart -> ServiceChange answered and restart -> first packet
   relayed to a participant of the rebuilt conference.
7. A stalled worker among two (a third daemon, two workers, --lcores oversubscribed: a
   functional test): a conference on each worker, libsrtp2 participants in both; worker 0
   stopped with ptrace past the command timeout: the first `conference create` goes to
   the other worker after one timeout and the next at once, `show stats` marks it
   unresponsive, a `leg add` to its conference is refused after the timeout naming it and
   leaves nothing behind; resumed, it is responsive again, the next conference
   goes to it (least loaded), and both conferences' participants hear each other again (no
   more missing than the stall's packets, none failing authentication); measured: the
   first and second create times.
6. The MRFC away over SCTP (a second daemon, [mp] transport = sctp): a listening mrfc
   killed (no ABORT) while media flows is noticed by the heartbeats, conferences and media
   go on, and when mrfc listens again the new association gets ServiceChange Disconnected;
   measured: MRFC up -> ServiceChange answered.

Usage: faults.py [--short] [--json FILE]. Prints a table (fault, what was checked, result,
figure) and one JSON line ("benchmark":"faults"); exit 0 when every check passed, 1 when
one failed.
"""
import argparse
import ctypes
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
for d in ("tests/integration", "tests/integration/mp"):
    sys.path.insert(0, os.path.join(TOP, d))
import mxplab  # noqa: E402
from mxplab import DAEMON_IP4, KERNEL_IP4, TestFailure, run, wait_for  # noqa: E402
import mplab  # noqa: E402
import esp_common  # noqa: E402

PORT0 = 40000            # the participants' first port
U32 = 1 << 32

# -- the table -------------------------------------------------------------------------------
ROWS = []


def row(fault, what, ok, figure=""):
    ROWS.append({"fault": fault, "check": what, "ok": bool(ok), "figure": figure})
    print("%s %s: %s%s" % ("ok -" if ok else "NOT OK -", fault, what,
                           (" [%s]" % figure) if figure else ""), flush=True)
    return ok


# -- the participants' side of the veth ------------------------------------------------------
def ptrace_stop(tid):
    """Stop one thread of another process (PTRACE_SEIZE, PTRACE_INTERRUPT: that thread
    alone) and wait until it is stopped. Returns None, or why it could not."""
    if LIBC.ptrace(PTRACE_SEIZE, tid, None, None) != 0 or \
            LIBC.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
        return os.strerror(ctypes.get_errno())
    os.waitpid(tid, 0x40000000)  # __WALL: the thread is stopped
    return None


def ptrace_resume(tid):
    """Let a thread ptrace_stop() stopped run again."""
    LIBC.ptrace(PTRACE_DETACH, tid, None, None)


LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.ptrace.restype = ctypes.c_long
LIBC.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH = 0x4206, 0x4207, 17


class Relayed(threading.Thread):
    """Times of the UDP packets the daemon sends to the participants (the namespace's end of
    the veth, AF_PACKET): what it relayed, whatever the keys."""

    def __init__(self, lab):
        super().__init__(daemon=True)
        self.sock = mplab.ns_socket(lab.ns, socket.AF_PACKET, socket.SOCK_RAW,
                                    socket.htons(0x0800))
        self.sock.bind((lab.veth_k, 0))
        self.sock.settimeout(0.05)
        self.src = socket.inet_aton(DAEMON_IP4)
        self.times = []
        self.stop_flag = False
        self.start()

    def run(self):
        while not self.stop_flag:
            try:
                f = self.sock.recv(2048)
            except socket.timeout:
                continue
            except OSError as e:
                if self.stop_flag or e.errno != errno.ENETDOWN:
                    break
                continue   # the interface went down under the socket: it comes back
            if len(f) < 42 or f[23] != 17 or f[26:30] != self.src:
                continue
            ihl = (f[14] & 15) * 4
            dport = (f[14 + ihl + 2] << 8) | f[14 + ihl + 3]
            if PORT0 <= dport < PORT0 + 200:
                self.times.append(time.monotonic())

    def close(self):
        self.stop_flag = True
        self.join(timeout=2)
        self.sock.close()

    def between(self, t0, t1):
        return [t for t in list(self.times) if t0 <= t <= t1]

    def first_after(self, t0):
        for t in list(self.times):
            if t >= t0:
                return t
        return None

    def max_gap(self, t0, t1):
        """The longest time without a relayed packet between t0 and t1 (s)."""
        ts = [t0] + self.between(t0, t1) + [t1]
        return max(b - a for a, b in zip(ts, ts[1:]))


class Faults:
    def __init__(self, short):
        self.short = short
        self.tmp = None
        self.lab = None
        self.cap = None
        self.peer_id = 0
        self.legs = []
        self.ctx = None
        self.mrfc_opts = []

    # -- helpers ---------------------------------------------------------------------------
    def mrfc(self, *args, check_rc=False, timeout=60):
        return self.lab.mrfc(*(self.mrfc_opts + list(args)), keys=self.keys, check_rc=check_rc,
                             timeout=timeout)

    def listen(self, seconds):
        """mrfc listen in the background (the MRFC up, answering ServiceChange)."""
        return subprocess.Popen(["ip", "netns", "exec", self.lab.ns, mxplab.MRFC, "--sa",
                                 self.lab.mrfc_sa] + self.mrfc_opts +
                                ["listen", "duration=%d" % seconds],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def mp(self):
        return self.lab.ctl_json("show", "mp")

    def esp(self):
        return self.lab.ctl_json("show", "esp")

    def media(self, seconds):
        """Both participants send for `seconds` (50 packets/s each) and receive; background.
        Sender ids grow by 10 a run (the first RTP sequence number is id * 1000)."""
        self.peer_id += 10
        legs = self.legs
        n = max(10, int(seconds * 50))
        return self.lab.peer(KERNEL_IP4, rx=[(l["port"], l["rx"]) for l in legs],
                             tx=[(l["port"], l["mrfp"], l["mrfp_port"], l["tx"], 0x100 + i,
                                  self.peer_id + i) for i, l in enumerate(legs)],
                             count=n, interval_ms=20, wait_ms=400, background=True)

    def media_end(self, p, fault):
        out, err = p.communicate(timeout=600)
        if p.returncode != 0:
            row(fault, "the participants ran", False, err[-200:])
            return None
        j = json.loads(out)
        rx = j["rx"]
        bad = sum(r["auth_fail"] + r["bad_payload"] for r in rx.values())
        got = sum(r["packets"] for r in rx.values())
        sent = sum(j["sent"].values())
        return {"sent": sent, "received": got, "bad": bad}

    def set_sa_file(self, *texts):
        """mrfc's SA file, rewritten in place (its FILE.seq keeps the outbound SA's number)."""
        path = self.lab.mrfc_sa
        tmp = path + ".new"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(texts))
        os.rename(tmp, path)

    def set_seq(self, spi, seq):
        with open(self.lab.mrfc_sa + ".seq", "w") as f:
            f.write("%x %d\n" % (spi, seq))

    def keygen(self, name, spi, esn):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        p, c = os.path.join(d, "mrfp.sa"), os.path.join(d, "mrfc.sa")
        run([mxplab.MRFC, "keygen", "--mrfp", DAEMON_IP4, "--mrfc", KERNEL_IP4, "--mrfp-out", p,
             "--mrfc-out", c, "--spi", str(spi)] + (["--esn"] if esn else []))
        return p, c

    @staticmethod
    def resume_at(path, direction, seq):
        """Give the key file's `sa DIRECTION` line `seq=` (where a resumed SA starts)."""
        with open(path) as f:
            text = f.read().splitlines(True)
        out = [l.rstrip("\n") + " seq=%d\n" % seq if l.split()[:2] == ["sa", direction] else l
               for l in text]
        with open(path, "w") as f:
            f.write("".join(out))

    @staticmethod
    def lines(path, kind):
        return "".join(l for l in open(path) if l.split()[:1] == [kind])

    @staticmethod
    def spis(path):
        return {d["dir"]: int(d["spi"], 0) for d in esp_common.read_sas(path)}

    def setup_conference(self):
        r = self.mrfc("scenario", self.scenario)
        ok = r.returncode == 0 and "result add ok" in r.stdout
        self.legs = [l for l in mplab.read_keys(self.keys)]
        if not ok or not self.legs:
            raise TestFailure("mrfc scenario: %s %s" % (r.stdout[-300:], r.stderr[-300:]))
        self.ctx = self.legs[0]["ctx"]
        self.legs = [l for l in self.legs if l["ctx"] == self.ctx]

    # -- 1. the MRFC away --------------------------------------------------------------------
    def mrfc_away(self):
        F = "MRFC away"
        lab = self.lab
        away = 2.0 if self.short else 45.0
        m0 = self.mp()
        row(F, "ServiceChange Restart sent at start with no MRFC (state %s)"
            % m0["service_change"], m0["service_change"] == "sent")
        t_start = time.monotonic()
        time.sleep(away)   # the outage itself: nothing to wait for
        m1 = self.mp()
        row(F, "retransmitted to nobody for %.0f s" % away,
            m1["retransmissions"] > 0 and m1["answered"] == 0,
            "%d retransmissions, %d given up, state %s" % (m1["retransmissions"],
                                                           m1["gave_up"], m1["service_change"]))
        t_up = time.monotonic()
        lp = subprocess.Popen(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa",
                               lab.mrfc_sa, "listen", "duration=%d" % (away + 70)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: self.mp()["service_change"] == "answered", away + 70,
                     "the ServiceChange answered")
            t_ans = time.monotonic()
        finally:
            lp.send_signal(signal.SIGTERM)
            out, _ = lp.communicate(timeout=10)
        row(F, "mrfc appeared %.0f s after start and received ServiceChange Restart"
            % (t_up - t_start), re.search(r"Method\s*=\s*Restart", out) is not None,
            "MRFC up -> ServiceChange answered %.2f s" % (t_ans - t_up))
        self.figures["mrfc_up_to_sc_s"] = round(t_ans - t_up, 3)

        # away after set-up: the MRFC silent while media flows
        self.setup_conference()
        away2 = 3.0 if self.short else 60.0
        n_conf = len(lab.ctl_json("show", "conferences"))
        p = self.media(away2 + 1)
        wait_for(lambda: self.cap.first_after(time.monotonic() - 0.5), 10, "media relayed")
        t0 = time.monotonic()
        m0 = self.mp()
        time.sleep(away2)  # the outage: no Mp at all
        t1 = time.monotonic()
        m1 = self.mp()
        got = len(self.cap.between(t0, t1))
        res = self.media_end(p, F)
        row(F, "MRFC silent %.0f s: no Mp received, conferences kept" % away2,
            m1["messages"] == m0["messages"] and
            len(lab.ctl_json("show", "conferences")) == n_conf,
            "%d conference(s)" % n_conf)
        row(F, "media relayed while the MRFC was away",
            res is not None and res["bad"] == 0 and got >= 0.8 * 2 * 50 * away2,
            "%d packets relayed in %.1f s, longest gap %.0f ms" % (
                got, t1 - t0, 1000 * self.cap.max_gap(t0, t1)))
        r = self.mrfc("audit", "ctx=%d" % self.ctx, "what=media,stats")
        m = re.findall(r"rtp/ps\s*=\s*(\d+)", r.stdout)
        row(F, "the MRFC back: its audit answered with the legs' statistics",
            r.returncode == 0 and "result audit ok" in r.stdout and len(m) == 2 and
            all(int(x) > 0 for x in m), "rtp/ps %s" % ",".join(m))

    def mrfc_away_sctp(self):
        """The same over SCTP (a daemon of its own with [mp] transport = sctp): an MRFC that
        vanishes (SIGKILL: no ABORT) is noticed by the heartbeats; the association comes
        back with the MRFC and the daemon says ServiceChange Disconnected."""
        F = "MRFC away, SCTP"
        extra = 1.0 if self.short else 60.0
        saved = (self.lab, self.keys, self.cap, self.legs, self.ctx, self.peer_id)
        self.mrfc_opts = ["--transport", "sctp"]
        try:
            with KeptHugeLab("faults-sctp", ipv6=False, mp=True,
                             mp_extra="transport = sctp\n") as lab:
                self.lab, self.keys = lab, os.path.join(lab.dir, "keys.txt")
                self.cap, self.peer_id = Relayed(lab), 0
                try:
                    self.setup_conference()   # over an association of its own
                    lp = self.listen(600)
                    try:
                        wait_for(lambda: self.mp()["sctp_up"] == 1 and
                                 self.mp()["service_change"] == "answered", 60,
                                 "an association with the listening mrfc")
                        p = self.media(600)   # stopped at the end
                        wait_for(lambda: self.cap.first_after(time.monotonic() - 0.5), 10,
                                 "media relayed")
                        lost0 = self.mp()["sctp_comm_lost"]
                        t_kill = time.monotonic()
                        os.kill(lp.pid, signal.SIGKILL)   # ip netns exec execs mrfc
                    finally:
                        lp.kill()
                        lp.communicate()
                    wait_for(lambda: self.mp()["sctp_comm_lost"] > lost0, 60,
                             "the daemon to notice the silent MRFC")
                    t_lost = time.monotonic()
                    time.sleep(extra)   # the rest of the outage
                    t_up = time.monotonic()
                    lp = self.listen(600)
                    try:
                        wait_for(lambda: self.mp()["sctp_up"] == 1 and
                                 self.mp()["service_change"] == "answered", 60,
                                 "the association back and ServiceChange answered")
                        t_ans = time.monotonic()
                    finally:
                        lp.send_signal(signal.SIGTERM)
                        out, _ = lp.communicate(timeout=10)
                    p.kill()
                    p.communicate()
                    row(F, "an MRFC killed mid-association noticed (heartbeats); conferences "
                        "kept", len(lab.ctl_json("show", "conferences")) == 2,
                        "loss noticed %.1f s after the kill" % (t_lost - t_kill))
                    row(F, "media relayed while the MRFC was away",
                        self.cap.max_gap(t_kill, t_ans) < 1.0,
                        "%d packets in %.1f s, longest gap %.0f ms" % (
                            len(self.cap.between(t_kill, t_ans)), t_ans - t_kill,
                            1000 * self.cap.max_gap(t_kill, t_ans)))
                    row(F, "the MRFC back: ServiceChange Disconnected (900 Service Restored)",
                        re.search(r"Method\s*=\s*Disconnected", out) is not None and
                        "900 Service Restored" in out,
                        "MRFC up -> ServiceChange answered %.2f s" % (t_ans - t_up))
                    self.figures["sctp_mrfc_up_to_sc_s"] = round(t_ans - t_up, 2)
                    # The listening mrfc ended on SIGTERM and aborted its association: the
                    # daemon opens the next one at once (0.6 s here; before mrfc closed it,
                    # the daemon learnt it from its heartbeats: 18-20 s). The wait stays
                    # long for an mrfc that dies without closing.
                    t_a = time.monotonic()
                    r = self.mrfc("--sctp-wait", "60000", "audit", "ctx=%d" % self.ctx,
                                  "what=media,stats", timeout=120)
                    row(F, "an audit over the next association answered",
                        r.returncode == 0 and "result audit ok" in r.stdout,
                        "answered %.1f s after it started (exit %d)"
                        % (time.monotonic() - t_a, r.returncode))
                finally:
                    self.cap.close()
        finally:
            self.mrfc_opts = []
            self.lab, self.keys, self.cap, self.legs, self.ctx, self.peer_id = saved

    def stalled_worker_of_two(self):
        """A worker stalled among two (a daemon of its own): new conferences go to the worker
        that answers, commands for the stalled one's conferences are refused after the
        timeout, and the stalled one takes conferences again once it runs."""
        F = "stalled, 2 workers"
        stall = 4.0 if self.short else 8.0
        with mxplab.Lab("faults-2w", ipv6=False, workers=2) as lab:
            workers = lab.ctl_json("show", "stats")["workers"]
            confs, parts = [], []
            for c in range(2):
                cid = lab.conf_create("mode", "switch")
                confs.append((cid, lab.ctl_json("show", "conference", str(cid))["worker"]))
                for i in range(2):
                    k_in, k_out = mxplab.gen_key(), mxplab.gen_key()
                    port = PORT0 + 200 + 4 * c + 2 * i
                    leg = lab.leg_add(cid, k_in, k_out, (KERNEL_IP4, port))
                    parts.append(dict(id=len(parts) + 1, conf=c, port=port, k_in=k_in,
                                      k_out=k_out, leg=leg))
            if not row(F, "one conference on each worker (least loaded first)",
                       len(workers) == 2 and {w for _, w in confs} == {0, 1},
                       "conferences on workers %s" % [w for _, w in confs]):
                return
            count = int((stall + 6) * 50)
            peer = lab.peer(KERNEL_IP4, rx=[(x["port"], x["k_out"]) for x in parts],
                            tx=[(x["port"], DAEMON_IP4, x["leg"]["local_port"], x["k_in"],
                                 0x7000 + x["id"], x["id"]) for x in parts],
                            count=count, wait_ms=3000, background=True)
            time.sleep(1.0)
            # Stall worker 0: with equal loads the first create picks it (lowest index)
            # and must find out that it does not answer.
            sw = 0
            sconf = [c for c, w in confs if w == sw][0]
            lcore = [w["lcore"] for w in workers if w["worker"] == sw][0]
            tid = None
            pid = lab.proc.pid
            for t in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                    if f.read().strip() == "rte-worker-%d" % lcore:
                        tid = int(t)
            if not row(F, "the worker thread found (rte-worker-%d)" % lcore, tid is not None,
                       "tid %s" % tid):
                peer.kill()
                return
            legs_before = lab.ctl_json("show", "conference", str(sconf))["participants"]
            why = ptrace_stop(tid)
            if why:
                row(F, "ptrace the worker", False, why)
                peer.kill()
                return
            t0 = time.monotonic()
            try:
                creates = []
                for _ in range(2):
                    t = time.monotonic()
                    r = lab.ctl("conference", "create", "mode", "switch", "--json",
                                check_rc=False)
                    cid = json.loads(r.stdout)["id"] if r.returncode == 0 else None
                    creates.append((time.monotonic() - t, cid,
                                    lab.ctl_json("show", "conference", str(cid))["worker"]
                                    if cid else None, r.stderr.strip()))
                k = mxplab.crypto_line(mxplab.gen_key())
                t = time.monotonic()
                la = lab.ctl_input("in %s\nout %s\n" % (k, k), "leg", "add", str(sconf),
                                   "remote", KERNEL_IP4, str(PORT0 + 299), check_rc=False)
                leg_add = (time.monotonic() - t, la.returncode, (la.stdout + la.stderr).strip())
                during = {w["worker"]: w["unresponsive"]
                          for w in lab.ctl_json("show", "stats")["workers"]}
                rest = stall - (time.monotonic() - t0)
                if rest > 0:
                    time.sleep(rest)
            finally:
                ptrace_resume(tid)
            t_up = time.monotonic()
            wait_for(lambda: not any(w["unresponsive"] for w in
                                     lab.ctl_json("show", "stats")["workers"]), 5,
                     "the resumed worker to take its commands")
            back_ms = 1000 * (time.monotonic() - t_up)
            after = lab.ctl_json("conference", "create", "mode", "switch")["id"]
            after_w = lab.ctl_json("show", "conference", str(after))["worker"]
            legs_after = lab.ctl_json("show", "conference", str(sconf))["participants"]
            res = mxplab.peer_result(peer, timeout=stall + 60)
        other = 1 - sw
        row(F, "show stats: the stalled worker unresponsive, the other not",
            during.get(sw) is True and during.get(other) is False, "%s" % during)
        row(F, "a leg add to the stalled worker's conference refused after the timeout, "
            "naming the worker, nothing half made",
            leg_add[1] != 0 and re.search(r"worker %d" % sw, leg_add[2]) is not None and
            legs_after == legs_before,
            "%.1f s: %s" % (leg_add[0], leg_add[2][:90]))
        row(F, "conference creates go to the worker that answers: the first after one "
            "timeout, the next at once",
            all(c[1] and c[2] == other for c in creates) and creates[1][0] < 1.0,
            "%.2f s then %.2f s, on worker %s" % (creates[0][0], creates[1][0],
                                                 [c[2] for c in creates]))
        row(F, "resumed: responsive again, and the next conference goes to it (least loaded)",
            after_w == sw, "responsive %.0f ms after the resume; new conference on worker %d"
            % (back_ms, after_w))
        heard, want, auth = {}, {}, 0
        for x in parts:
            got = res["rx"][str(x["port"])]
            auth += got["auth_fail"] + got["bad_payload"]
            for q in parts:
                if q["conf"] == x["conf"] and q is not x:
                    heard[x["id"]] = got["from"].get(str(q["id"]), 0)
                    want[x["id"]] = count
        # What arrived for the stalled worker waited in its queue and handoff ring, and
        # what they could not hold was lost: at most the stall's packets (and a second).
        row(F, "media in both conferences again after the resume (at most the stall's "
            "packets missing), every packet authenticated",
            auth == 0 and all(heard[i] >= want[i] - (stall + 1) * 50 for i in heard),
            "heard %s of %d each" % ([heard[i] for i in sorted(heard)], count))
        self.figures["two_workers_first_create_s"] = round(creates[0][0], 2)
        self.figures["two_workers_next_create_s"] = round(creates[1][0], 3)

    # -- 2. ESP ------------------------------------------------------------------------------
    def audit_loop(self, stop, log):
        while not stop.is_set():
            t = time.monotonic()
            r = self.mrfc("audit", "ctx=%d" % self.ctx, "what=terminations", timeout=30)
            log.append((t, r.returncode, r.stdout[-200:] + r.stderr[-200:]))

    def esp_mbb(self):
        F = "ESP SA replaced"
        lab = self.lab
        k = 8 if self.short else 40
        old = self.spis(lab.mrfp_sa)
        new_p, new_c = self.keygen("esn", 0x30000, True)
        # the daemon's outbound SA of the new pair resumes just below 2^32 (seq= in its SA
        # line, and the same in mrfc's inbound one): its replies cross 2^32 with ESN
        out_start = U32 - k - 1
        self.resume_at(new_p, "out", out_start)
        self.resume_at(new_c, "in", out_start)
        new = self.spis(new_p)
        old_c = open(lab.mrfc_sa).read()
        new_ctext = open(new_c).read()
        m0, e0 = self.mp(), self.esp()
        stop, log = threading.Event(), []
        th = threading.Thread(target=self.audit_loop, args=(stop, log), daemon=True)

        def after(n):
            want = len(log) + n
            wait_for(lambda: len(log) >= want or not th.is_alive(), 120,
                     "%d more audits" % n)

        p = self.media(600)   # stopped at the end
        wait_for(lambda: self.cap.first_after(time.monotonic() - 0.5), 10, "media relayed")
        t_m0 = time.monotonic()
        th.start()
        steps = []
        try:
            after(k)
            # 1. the daemon learns the new pair, still answering through the old one
            lab.ctl_input(self.lines(new_p, "sa"), "esp", "sa", "add")
            steps.append("new SAs added")
            after(k)
            # 2. mrfc sends through the new SA, accepts replies on both
            self.set_sa_file(self.lines(new_c, "sa"), old_c)
            steps.append("mrfc on the new SA")
            after(k)
            # 3. the daemon's replies move to the new outbound SA
            lab.ctl_input(self.lines(new_p, "peer"), "esp", "sa", "add")
            steps.append("policy moved")
            after(k)
            # 4. mrfc forgets the old pair; the daemon deletes it
            self.set_sa_file(new_ctext)
            after(k)
            lab.ctl("esp", "sa", "delete", "in", "0x%x" % old["in"])
            lab.ctl("esp", "sa", "delete", "out", "0x%x" % old["out"])
            steps.append("old SAs deleted")
            after(k)
        finally:
            stop.set()
            th.join(timeout=60)
        lab.mrfp_sa_live = new_p
        m1, e1 = self.mp(), self.esp()
        t_m1 = time.monotonic()
        p.kill()
        p.communicate()
        failed = [x for x in log if x[1] != 0]
        n = len(log)
        row(F, "make before break: %s, audits throughout" % ", ".join(steps),
            len(steps) == 4 and not failed,
            "%d transactions, %d failed%s" % (n, len(failed),
                                              (": " + failed[0][2]) if failed else ""))
        d = {c: m1[c] - m0[c] for c in ("requests", "replies", "replies_cached")}
        row(F, "each transaction answered exactly once (the daemon's counts)",
            d["requests"] == n and d["replies"] == n and d["replies_cached"] == 0,
            "requests %d, replies %d, retransmitted %d" % (d["requests"], d["replies"],
                                                          d["replies_cached"]))
        drops = {k2: e1["drops"].get(k2, 0) - e0["drops"].get(k2, 0) for k2 in e1["drops"]}
        drops = {k2: v for k2, v in drops.items() if v}
        spis_left = {(s["dir"], int(s["spi"], 16)) for s in e1["sas"]}
        row(F, "no ESP drop; the old SPIs gone, the new ones carry Mp",
            not drops and ("in", old["in"]) not in spis_left and
            ("out", old["out"]) not in spis_left and
            any(int(s["spi"], 16) == new["in"] and s["dir"] == "in" and s["packets"] > 0
                for s in e1["sas"]),
            "drops %s; SAs %s" % (drops or "none",
                                 ",".join("%s 0x%x" % x for x in sorted(spis_left))))
        row(F, "media relayed throughout", self.cap.max_gap(t_m0, t_m1) < 1.0,
            "%d packets in %.1f s, longest gap %.0f ms" % (
                len(self.cap.between(t_m0, t_m1)), t_m1 - t_m0,
                1000 * self.cap.max_gap(t_m0, t_m1)))
        self.figures["mbb_transactions"] = n
        self.figures["mbb_lost"] = len(failed) + max(0, n - d["replies"])
        out = [x for x in e1["sas"] if x["dir"] == "out" and int(x["spi"], 16) == new["out"]]
        oseq = out[0]["seq"] if out else 0
        row("ESP sequence numbers", "ESN: the daemon's outbound SA resumed at 2^32-%d (seq=) "
            "carried its replies across 2^32, every one accepted by mrfc" % (U32 - out_start),
            oseq > U32 and not failed and d["replies"] == n,
            "the daemon's outbound SA at %d (2^32+%d)" % (oseq, oseq - U32))

    def esn_wrap(self):
        F = "ESP sequence numbers"
        lab = self.lab
        new = self.spis(lab.mrfp_sa_live)
        # mrfc's outbound (the daemon's inbound, SPI new["in"]) starts just below 2^32
        n = 8 if self.short else 40
        start = U32 - n // 2 - 1
        self.set_seq(new["in"], start)
        e0 = self.esp()
        sc = os.path.join(self.tmp, "esn-audits.txt")
        with open(sc, "w") as f:
            f.write("".join("audit ctx=%d what=terminations\n" % self.ctx for _ in range(n)))
        r = self.mrfc("scenario", sc)
        with open(self.lab.mrfc_sa + ".seq") as f:
            esn_seq = f.read()   # where the ESN pair's outbound number is now
        e1 = self.esp()
        sa = [s for s in e1["sas"] if s["dir"] == "in" and int(s["spi"], 16) == new["in"]]
        seq = sa[0]["seq"] if sa else 0
        dropped = sum(e1["drops"].values()) - sum(e0["drops"].values())
        row(F, "ESN: mrfc's %d transactions from 2^32-%d across 2^32 all answered" % (
            n, U32 - start - 1), r.returncode == 0 and
            r.stdout.count("result audit ok") == n and seq > U32 and dropped == 0,
            "the daemon's inbound SA at %d (2^32+%d), %d ESP drops" % (seq, seq - U32, dropped))

        # no ESN: a third pair; mrfc must stop at 2^32 - 1
        p3, c3 = self.keygen("noesn", 0x40000, False)
        # the daemon's outbound SA of this pair too: its replies to mrfc's three audits are
        # its last three numbers (2^32-3 .. 2^32-1)
        self.resume_at(p3, "out", U32 - 4)
        self.resume_at(c3, "in", U32 - 4)
        s3 = self.spis(p3)
        lab.ctl_input(open(p3).read(), "esp", "sa", "add")   # sa lines and the policy
        self.set_sa_file(open(c3).read())
        self.set_seq(s3["in"], U32 - 4)
        m0 = self.mp()
        results = []
        for _ in range(4):
            r = self.mrfc("audit", "ctx=%d" % self.ctx, "what=terminations", timeout=30)
            results.append(r)
        m1 = self.mp()
        e2 = self.esp()
        sa = [s for s in e2["sas"] if s["dir"] == "in" and int(s["spi"], 16) == s3["in"]]
        seq = sa[0]["seq"] if sa else 0
        last = results[-1]
        row(F, "no ESN: 2^32-3 .. 2^32-1 answered, then mrfc refuses to send (RFC 4303 3.3.3)",
            all(x.returncode == 0 for x in results[:3]) and last.returncode != 0 and
            m1["requests"] - m0["requests"] == 3 and seq == U32 - 1,
            "the daemon's inbound SA at %d; mrfc: %s" % (
                seq, ([x for x in last.stderr.splitlines() if "ESP output" in x] or
                      ["?"])[-1][:100]))
        # a packet of that SA whose number wrapped to 1: the window refuses it
        b = mplab.ScapyMrfc(lab.ns, lab.mrfc_sa, KERNEL_IP4, DAEMON_IP4, answer=False)
        try:
            too_old0 = e2["drops"].get("too_old", 0)
            b.send("MEGACO/3 [%s]:2944\nTransaction = 77 { Context = - { AuditValue = ROOT "
                   "{ Audit { } } } }\n" % KERNEL_IP4, seq=1)
            ok = True
            try:
                wait_for(lambda: self.esp()["drops"].get("too_old", 0) > too_old0, 5,
                         "the wrapped packet dropped")
            except TestFailure:
                ok = False
        finally:
            b.close()
        m2 = self.mp()
        row(F, "no ESN: a packet with the number wrapped to 1 dropped (too_old)",
            ok and m2["requests"] == m1["requests"], "")
        # mrfc back on the ESN pair while the daemon's replies still go through the
        # exhausted no-ESN SA: the daemon takes the request, must not send its reply with a
        # wrapped number, and counts it (seq_overflow)
        self.set_sa_file(open(os.path.join(self.tmp, "esn", "mrfc.sa")).read())
        with open(self.lab.mrfc_sa + ".seq", "w") as f:
            f.write(esn_seq)
        e3 = self.esp()
        r = self.mrfc("--timeout", "1500", "audit", "ctx=%d" % self.ctx, "what=terminations",
                      timeout=30)
        e4, m3 = self.esp(), self.mp()
        out3 = [x for x in e4["sas"] if x["dir"] == "out" and int(x["spi"], 16) == s3["out"]]
        ov = e4["drops"].get("seq_overflow", 0) - e3["drops"].get("seq_overflow", 0)
        row(F, "no ESN: the daemon's outbound SA at 2^32-1 sends no more replies, counts each "
            "refusal (seq_overflow), and the request was still taken",
            r.returncode != 0 and ov >= 1 and m3["requests"] > m2["requests"] and
            bool(out3) and out3[0]["seq"] == U32 - 1,
            "outbound SA at %d; %d reply packet(s) refused; mrfc exit %d" % (
                out3[0]["seq"] if out3 else 0, ov, r.returncode))
        self.figures["seq_overflow_refused"] = ov
        # back to the ESN pair for what follows
        lab.ctl_input(self.lines(lab.mrfp_sa_live, "peer"), "esp", "sa", "add")
        lab.ctl("esp", "sa", "delete", "in", "0x%x" % s3["in"])
        lab.ctl("esp", "sa", "delete", "out", "0x%x" % s3["out"])
        r = self.mrfc("audit", "ctx=%d" % self.ctx, "what=terminations")
        row(F, "the exhausted pair removed, Mp back on the ESN pair", r.returncode == 0,
            "")

    # -- 3. port flap ------------------------------------------------------------------------
    def port_flap(self):
        F = "port flap"
        lab = self.lab
        reps = 1 if self.short else 5
        down = 1.0 if self.short else 5.0
        total = reps * 2 * (down + 2) + 2
        p = self.media(total)
        wait_for(lambda: self.cap.first_after(time.monotonic() - 0.5), 10, "media relayed")
        gaps, resumes, link_seen = [], [], set()
        pt0 = lab.ctl_json("show", "ports")[0]
        for _ in range(reps):
            for end, cmd in (("participants' end", lambda s: lab.ns_run(
                    ["ip", "link", "set", lab.veth_k, s])),
                    ("daemon's end", lambda s: run(["ip", "link", "set", lab.veth_d, s]))):
                time.sleep(0.5)
                t0 = time.monotonic()
                cmd("down")
                time.sleep(down)   # the outage
                link_seen.add((end, "down", lab.ctl_json("show", "ports")[0]["link_up"]))
                cmd("up")
                t_up = time.monotonic()
                t_first = wait_for(lambda: self.cap.first_after(t_up), 15,
                                   "media after the %s came up" % end)
                link_seen.add((end, "up", lab.ctl_json("show", "ports")[0]["link_up"]))
                resumes.append(t_first - t_up)
                gaps.append(self.cap.max_gap(t0, t_first + 0.2))
        pt1 = lab.ctl_json("show", "ports")[0]
        res = self.media_end(p, F)
        alive = lab.proc.poll() is None and lab.ctl("show", "version", check_rc=False).returncode == 0
        row(F, "%d x (participants' end, then the daemon's end) down %.0f s and up" % (
            reps, down), alive and res is not None and res["bad"] == 0,
            "daemon answering; %s" % (res and "%d/%d packets received" % (
                res["received"], res["sent"]) or ""))
        row(F, "media resumes after each up", len(resumes) == 2 * reps,
            "first relayed packet %.0f ms after up (max), longest gap %.0f ms" % (
                1000 * max(resumes), 1000 * max(gaps)))
        self.figures["flap_resume_ms"] = round(1000 * max(resumes))
        row(F, "the daemon counted what it could not send (show ports tx-errors)",
            pt1["tx_errors"] > pt0["tx_errors"], "tx_errors +%d" % (
                pt1["tx_errors"] - pt0["tx_errors"]))
        down = sorted({x[2] for x in link_seen if x[1] == "down"})
        up = sorted({x[2] for x in link_seen if x[1] == "up"})
        row(F, "show ports: link down while either end is down, up again after",
            down == [False] and up == [True], "link_up while down %s, after up %s" % (down, up))

    # -- 4. a stalled worker -----------------------------------------------------------------
    def worker_tid(self):
        pid = self.lab.proc.pid
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                if f.read().strip().startswith("rte-worker"):
                    return int(t)
        return None

    def stalled_worker(self):
        F = "stalled worker"
        lab = self.lab
        reps = 1 if self.short else 3
        stall = 3.0 if self.short else 6.0
        tid = self.worker_tid()
        if not row(F, "the worker thread found (rte-worker-1)", tid is not None, "tid %s" % tid):
            return
        p = self.media(reps * (stall + 6) + 2)
        wait_for(lambda: self.cap.first_after(time.monotonic() - 0.5), 10, "media relayed")
        refusals, mp_err, show_t, gaps, resumed, creates = [], [], [], [], [], []
        for _ in range(reps):
            why = ptrace_stop(tid)
            if why:
                row(F, "ptrace the worker", False, why)
                break
            t0 = time.monotonic()
            try:
                t = time.monotonic()
                s = lab.ctl("show", "stats", check_rc=False)
                show_t.append((time.monotonic() - t, s.returncode))
                t = time.monotonic()
                c = lab.ctl("conference", "create", "mode", "switch", check_rc=False)
                refusals.append((time.monotonic() - t, c.returncode, (c.stdout + c.stderr).strip()))
                # Mp reaches the control core through the worker (it polls the port):
                # an Add sent now waits in the port's ring for the worker to come back.
                skeys = os.path.join(lab.dir, "stall-keys.txt")
                ap = subprocess.Popen(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa",
                                       lab.mrfc_sa, "--keys-out", skeys, "add", "legs=1",
                                       "mode=switch", "remote=%s:%d" % (KERNEL_IP4, PORT0 + 100)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                rest = stall - (time.monotonic() - t0)
                if rest > 0:
                    time.sleep(rest)   # the rest of the stall
            finally:
                ptrace_resume(tid)
            t_up = time.monotonic()
            out, err = ap.communicate(timeout=60)
            m = re.search(r"leg ctx=(\d+)", out)
            mp_err.append((ap.returncode, time.monotonic() - t_up, m and int(m.group(1)),
                           (err.strip().splitlines() or [""])[-1]))
            if m:
                lab.mrfc("subtract", "ctx=%s" % m.group(1), "term=*", keys=skeys,
                         check_rc=False)
            t_first = wait_for(lambda: self.cap.first_after(t_up), 15, "media after the stall")
            resumed.append(t_first - t_up)
            gaps.append(self.cap.max_gap(t0, t_first + 0.2))
            c = lab.ctl_json("conference", "create", "mode", "switch")
            creates.append(c.get("id"))
            lab.ctl("conference", "delete", str(c["id"]))
        res = self.media_end(p, F)
        row(F, "show stats answers during the stall", show_t and all(
            rc == 0 for _, rc in show_t), "%.0f ms" % (1000 * max(t for t, _ in show_t)))
        row(F, "conference create refused after the command timeout, naming the worker",
            refusals and all(rc != 0 and re.search(r"worker 0", txt) for _, rc, txt in refusals),
            "%.1f s: %s" % (max(t for t, _, _ in refusals), refusals[0][2][:90]))
        row(F, "an Mp Add sent during the stall answered once the worker resumed",
            mp_err and all(rc == 0 and ctx for rc, _, ctx, _ in mp_err),
            "%.2f s after the resume%s" % (max(x[1] for x in mp_err), "" if mp_err[0][0] == 0
                                           else ": exit %d %s" % (mp_err[0][0], mp_err[0][3])))
        row(F, "resumed: a conference is created, media flows again",
            len(creates) == reps and all(creates) and res is not None and res["bad"] == 0,
            "first relayed packet %.0f ms after the worker resumed, longest gap %.1f s" % (
                1000 * max(resumed), max(gaps)))
        self.figures["stall_refusal_s"] = round(max(t for t, _, _ in refusals), 2)
        self.figures["stall_resume_ms"] = round(1000 * max(resumed))
        # The Mp Add that failed must leave nothing behind.
        confs = lab.ctl_json("show", "conferences")
        row(F, "nothing half made: only the conference of the media left",
            len(confs) == self.n_confs, "%d conference(s)" % len(confs))

    def huge_files(self):
        d = "/dev/hugepages"
        return [f for f in os.listdir(d) if f.startswith(self.lab.prefix)] \
            if os.path.isdir(d) else []

    # -- 5. SIGKILL and restart --------------------------------------------------------------
    def kill_restart(self):
        F = "SIGKILL and restart"
        lab = self.lab
        reps = 1 if self.short else 3
        to_sc, to_media, left = [], [], []
        for _ in range(reps):
            n_confs = len(lab.ctl_json("show", "conferences"))
            p = self.media(2)
            wait_for(lambda: self.cap.first_after(time.monotonic() - 0.5), 10, "media relayed")
            lab.proc.kill()
            lab.proc.wait()
            p.kill()
            p.communicate()
            huge = self.huge_files()
            rundir = os.path.isdir("/var/run/dpdk/%s" % lab.prefix)
            left.append((len(huge), rundir))
            # the MRFC waits for the restart; mrfc's SA file is the daemon's original pair
            self.set_sa_file(self.orig_mrfc_sa)
            lp = subprocess.Popen(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa",
                                   lab.mrfc_sa, "listen", "duration=60"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.3)  # mrfc opens its socket (no readiness signal)
            t0 = time.monotonic()
            lab.start()
            try:
                wait_for(lambda: self.mp()["service_change"] == "answered", 60,
                         "ServiceChange answered after the restart")
                to_sc.append(time.monotonic() - t0)
            finally:
                lp.send_signal(signal.SIGTERM)
                out, _ = lp.communicate(timeout=10)
            if not re.search(r"Method\s*=\s*Restart", out):
                row(F, "ServiceChange Restart reached mrfc", False, out[-200:])
            os.unlink(self.keys)
            self.setup_conference()
            p = self.media(2)
            t_first = wait_for(lambda: self.cap.first_after(t0), 20, "media after the restart")
            to_media.append(t_first - t0)
            res = self.media_end(p, F)
            n_after = len(lab.ctl_json("show", "conferences"))
            huge_after = len(self.huge_files())
            row(F, "restarted, ServiceChange Restart answered, scenario replayed",
                n_after == n_confs and res is not None and res["bad"] == 0 and
                res["received"] > 0, "%d conference(s) before and %d after; "
                "hugepage files left by the killed daemon %d (after the restart %d), "
                "runtime dir left %s" % (n_confs, n_after, left[-1][0], huge_after, left[-1][1]))
            row(F, "the killed daemon's hugepage files reused, not added to",
                huge_after <= max(left[-1][0], 1) + 8, "%d -> %d" % (left[-1][0], huge_after))
        row(F, "restart -> ServiceChange answered; restart -> media relayed", True,
            "%.2f s; %.2f s (max of %d)" % (max(to_sc), max(to_media), reps))
        self.figures["restart_to_sc_s"] = round(max(to_sc), 2)
        self.figures["restart_to_media_s"] = round(max(to_media), 2)
        self.figures["hugepage_files_left"] = max(x[0] for x in left)

    # -- the run -----------------------------------------------------------------------------
    def run(self):
        self.figures = {}
        with esp_common.tmpdir() as tmp:
            self.tmp = tmp
            with KeptHugeLab("faults", ipv6=False, mp=True, global_extra="") as lab:
                self.lab = lab
                self.keys = os.path.join(lab.dir, "keys.txt")
                self.orig_mrfc_sa = open(lab.mrfc_sa).read()
                self.scenario = os.path.join(tmp, "conferences.txt")
                with open(self.scenario, "w") as f:
                    f.write("add legs=2 mode=switch remote=%s:%d\n" % (KERNEL_IP4, PORT0))
                    f.write("add ctx=$ legs=3 mode=mix remote=%s:%d\n" % (KERNEL_IP4,
                                                                         PORT0 + 10))
                self.cap = Relayed(lab)
                try:
                    for step in (self.mrfc_away, self.esp_mbb, self.esn_wrap, self.port_flap,
                                 self.stalled_worker, self.kill_restart):
                        if step == self.stalled_worker:
                            self.n_confs = len(lab.ctl_json("show", "conferences"))
                        try:
                            step()
                        except TestFailure as e:
                            row(step.__name__, "ran to the end", False, str(e)[:300])
                    rc = lab.stop()
                    row("end", "SIGTERM: the daemon exits 0", rc == 0, "exit %s" % rc)
                finally:
                    self.cap.close()
            try:
                self.mrfc_away_sctp()
            except TestFailure as e:
                row("mrfc_away_sctp", "ran to the end", False, str(e)[:300])
            try:
                self.stalled_worker_of_two()
            except TestFailure as e:
                row("stalled_worker_of_two", "ran to the end", False, str(e)[:300])


class KeptHugeLab(mxplab.Lab):
    """mxplab.Lab without --huge-unlink: the hugepage files of a killed daemon stay behind,
    as they would on a host, for the restart to meet them."""

    def eal_args(self):
        return [a for a in super().eal_args() if a != "--huge-unlink"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="the short mode (about a minute)")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    t0 = time.monotonic()
    f = Faults(a.short)
    try:
        f.run()
    except TestFailure as e:
        row("faults", "the run", False, str(e)[:300])
    failures = [r for r in ROWS if not r["ok"]]
    print()
    w = max(len(r["check"]) for r in ROWS)
    print("%-20s %-*s %-6s %s" % ("fault", w, "checked", "result", "figure"))
    for r in ROWS:
        print("%-20s %-*s %-6s %s" % (r["fault"], w, r["check"], "pass" if r["ok"] else "FAIL",
                                      r["figure"]))
    print("result: %s (%d checks, %d failed, %.0f s)" % (
        "PASS" if not failures else "FAIL", len(ROWS), len(failures), time.monotonic() - t0))
    out = {"benchmark": "faults", "mode": "short" if a.short else "long", "ok": not failures,
           "seconds": round(time.monotonic() - t0, 1), "checks": len(ROWS),
           "failed": [r["fault"] + ": " + r["check"] for r in failures],
           "figures": f.figures if hasattr(f, "figures") else {}}
    line = json.dumps(out, separators=(",", ":"))
    print(line)
    if a.json:
        with open(a.json, "w") as fj:
            fj.write(line + "\n")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

"""DPDK's own tools attach to the running daemon as secondary processes.

dpdk-dumpcap --file-prefix=<the daemon's> captures its port while the namespace pings it
(requests in, replies out, both through the worker's rx/tx bursts where pdump's
callbacks run once dumpcap asks): tshark reads exactly the frames dumpcap counted, among
them the ping run's echo requests and the daemon's replies, each once. dpdk-proc-info reads the port's counters. The daemon keeps
working after they detach and exits cleanly. Needs hugepages (a secondary process maps
the daemon's hugepage files): without them the test is skipped, as the daemon's log says.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, TestFailure, hugepages_free

PINGS = 10


class SharedLab(Lab):
    """The lab's daemon without --huge-unlink: secondary processes need its hugepage files."""

    def eal_args(self):
        return [a for a in super().eal_args() if a != "--huge-unlink"]


def tshark(path, *fields, filt=None):
    cmd = ["tshark", "-r", path, "-T", "fields"] + sum((["-e", f] for f in fields), [])
    if filt:
        cmd += ["-Y", filt]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise TestFailure("tshark cannot read %s: %s" % (path, r.stderr))
    return [line.split("\t") for line in r.stdout.splitlines() if line]


def test():
    if hugepages_free() < 64:
        print("SKIP: no hugepages (dpdk-dumpcap needs the daemon's hugepage files)")
        sys.exit(77)
    with SharedLab("dumpcap", ipv6=False) as lab:
        check("dpdk-dumpcap --file-prefix=%s" % lab.prefix in lab.read_log(),
              "the daemon's log says how dpdk-dumpcap attaches")
        # no IPv6 chatter from the namespace's kernel; resolve both ways first
        lab.ns_run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        lab.ns_run(["ping", "-c", "1", "-W", "2", DAEMON_IP4])
        out = os.path.join(lab.dir, "dumpcap.pcapng")
        # line-buffered stdout; stderr counts the packets it wrote ("Packets captured: N")
        dc = subprocess.Popen(["stdbuf", "-oL", "dpdk-dumpcap", "--file-prefix=%s" % lab.prefix,
                               "-i", "net_af_packet0", "-w", out],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        said = [b""]

        def pump(pred, timeout):
            """Read what dumpcap says until pred(all of it) or timeout; returns pred's."""
            deadline = time.monotonic() + timeout
            while not pred(said[0].decode(errors="replace")):
                if time.monotonic() > deadline or dc.poll() is not None:
                    return False
                ready, _, _ = select.select([dc.stdout], [], [], 0.05)
                if ready:
                    said[0] += os.read(dc.stdout.fileno(), 4096)
            return True

        def read_until(pred, timeout, what):
            if not pump(pred, timeout):
                raise TestFailure("dpdk-dumpcap: %s (it said: %s)" % (
                    what, said[0].decode(errors="replace").strip()[-300:]))

        def captured(text):
            tail = text.rsplit("Packets captured:", 1)
            nums = re.findall(r"\d+", tail[1]) if len(tail) == 2 else []
            return int(nums[-1]) if nums else -1

        try:
            read_until(lambda t: "Capturing on" in t, 30, "did not attach")
            check(True, "dpdk-dumpcap attached to the running daemon")
            # its callbacks may come a moment after it says so: a warm-up ping first
            for _ in range(50):
                lab.ns_run(["ping", "-c", "1", "-W", "1", DAEMON_IP4])
                if pump(lambda t: captured(t) >= 2, 1):
                    break
            warm = captured(said[0].decode(errors="replace"))
            lab.ns_run(["ping", "-c", str(PINGS), "-i", "0.05", "-W", "2", DAEMON_IP4])
            read_until(lambda t: captured(t) >= warm + 2 * PINGS, 20,
                       "did not count the %d packets of the pings" % (2 * PINGS))
            dc.send_signal(signal.SIGINT)
            dc.wait(timeout=20)
        finally:
            if dc.poll() is None:
                dc.kill()
                dc.wait()
        total = captured(said[0].decode(errors="replace"))
        check(dc.returncode == 0, "dpdk-dumpcap stopped on SIGINT (%d)" % dc.returncode)
        frames = tshark(out, "frame.number")
        check(len(frames) == total == warm + 2 * PINGS,
              "tshark reads the %d frames dumpcap counted (%d)" % (total, len(frames)))
        echo = tshark(out, "icmp.type", "icmp.ident", "icmp.seq", "ip.src", "ip.dst",
                      filt="icmp")
        ids = {}
        for typ, ident, seq, src, dst in echo:
            ids.setdefault(ident, []).append((typ, int(seq), src, dst))
        run = [v for v in ids.values() if len(v) == 2 * PINGS]
        want = sorted([("8", q, KERNEL_IP4, DAEMON_IP4) for q in range(1, PINGS + 1)] +
                      [("0", q, DAEMON_IP4, KERNEL_IP4) for q in range(1, PINGS + 1)])
        check(len(run) == 1 and sorted(run[0]) == want,
              "the ping run's %d requests and the daemon's %d replies, in and out" % (PINGS, PINGS))
        check(len(echo) == len(frames), "nothing but pings on the wire (%d of %d frames)"
              % (len(echo), len(frames)))

        pi = subprocess.run(["dpdk-proc-info", "--file-prefix=%s" % lab.prefix, "--",
                             "--stats"], capture_output=True, text=True, timeout=60)
        check(pi.returncode == 0 and "RX-packets" in pi.stdout,
              "dpdk-proc-info attaches and reads the port's counters (%d): %s"
              % (pi.returncode, (pi.stdout + pi.stderr).strip()[-300:]))
        # the daemon still answers after its secondaries left
        lab.ns_run(["ping", "-c", "1", "-W", "2", DAEMON_IP4])
        port = lab.ctl_json("show", "ports")[0]
        check(port["rx_packets"] > PINGS,
              "the daemon still works after dumpcap and proc-info detached (%s)" % port)
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

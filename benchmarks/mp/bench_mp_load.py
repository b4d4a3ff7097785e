#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Mp transactions per second on the daemon's control core, over ESP, while the data plane
carries media.

A daemon (veth + net_af_packet, as the integration tests run it) with its control core on
lcore 0 and one worker on lcore 1; a conference of two SRTP legs (added by mrfc) carrying
media both ways from libsrtp2 participants (mxp-srtp-peer) for the whole run; mp_load, an
MRFC speaking ESP (IP protocol 50), cycling W conferences through Add then Subtract with W
transactions in flight. Reports transactions/s, round trips, errors, and the media packets
sent and received (any loss is reported). Prints a table and one JSON line.

  bench_mp_load.py [--seconds 10] [--window 16] [--pps 50] [--backend openssl]

Run as root from the build tree's parent (MXP_BUILD may point at the build directory).
Core layout (2 cores): core 1 = the worker (busy-polls; media); core 0 = the control core
(EAL main lcore), mp_load and the media participants (taskset -c 0), and the kernel's
side of the veth. The control core therefore shares its core with the load generator: the
figure is what one shared core sustains, not a dedicated-core ceiling.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("MXP_SOURCE") or os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "tests", "integration", "mp"))
os.environ.setdefault("MXP_BUILD", os.path.join(SRC, "build"))

import mxplab  # noqa: E402
from mxplab import Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import mp_config, read_keys  # noqa: E402
from esp_common import tmpdir  # noqa: E402

LOAD = os.path.join(os.environ["MXP_BUILD"], "benchmarks", "mp", "mp_load")


def cpu_busy(interval=1.0):
    """Fraction of the machine's CPU time not idle over interval seconds (/proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]
    t0, i0 = snap()
    time.sleep(interval)
    t1, i1 = snap()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_quiet(max_wait, busy=0.10):
    """The machine is shared: wait until others leave it alone (3 quiet seconds in a row)."""
    deadline = time.monotonic() + max_wait
    quiet = 0
    last = 1.0
    while time.monotonic() < deadline:
        last = cpu_busy()
        quiet = quiet + 1 if last < busy else 0
        if quiet >= 3:
            return True, last
    return False, last


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--window", type=int, default=16)
    ap.add_argument("--pps", type=int, default=50, help="media packets/s per participant")
    ap.add_argument("--backend", default="openssl", help="mp_load's ESP backend")
    ap.add_argument("--max-wait", type=float, default=600,
                    help="seconds to wait for a quiet machine before measuring anyway")
    a = ap.parse_args()
    quiet, busy = wait_quiet(a.max_wait)
    if not quiet:
        print("# the machine stayed busy (%.0f %% CPU used by others): the figure is noisy"
              % (busy * 100), flush=True)
    load1 = os.getloadavg()[0]
    extra = ("reply_cache = 262144\nreply_cache_mb = 256\nevent_poll_ms = 1000\n")
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        with Lab("bmp", extra_config="[media]\nport_min = 20000\nport_max = 60000\n" + sect,
                 ipv6=False, lcores="0,1") as lab:
            lab.mrfc_sa = ca
            keys = os.path.join(lab.dir, "keys.txt")
            lab.mrfc("add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4, keys=keys)
            legs = read_keys(keys)
            count = int(a.pps * (a.seconds + 3))
            ready = os.path.join(lab.dir, "peer-ready")
            cmd = ["ip", "netns", "exec", lab.ns, "taskset", "-c", "0", mxplab.SRTP_PEER,
                   "--bind", KERNEL_IP4, "--count", str(count), "--interval-ms",
                   str(1000 // a.pps), "--wait-ms", "1500", "--ready-file", ready]
            for l in legs:
                cmd += ["--rx", "%d,%s" % (l["port"], l["rx"])]
            for i, l in enumerate(legs):
                cmd += ["--tx", "%d,%s,%d,%s,%d,%d" % (l["port"], l["mrfp"], l["mrfp_port"],
                                                       l["tx"], 0x300 + i, i + 1)]
            peer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            wait_for(lambda: os.path.exists(ready) or peer.poll() is not None, 20, "the peer")
            time.sleep(1.0)  # media running before the load starts
            st0 = lab.ctl_json("show", "stats")
            r = subprocess.run(["ip", "netns", "exec", lab.ns, "taskset", "-c", "0", LOAD,
                                "--sa", ca, "--seconds", str(a.seconds), "--window",
                                str(a.window), "--backend", a.backend,
                                "--remote", "%s:6000" % KERNEL_IP4],
                               capture_output=True, text=True, timeout=a.seconds + 60)
            res = mxplab.peer_result(peer, timeout=a.seconds + 60)
            mp = lab.ctl_json("show", "mp")
            drops = {k: v for k, v in lab.drops().items() if v}
            st1 = lab.ctl_json("show", "stats")
            lj = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
            sent = sum(res["sent"].values())
            got = sum(x["packets"] for x in res["rx"].values())
            lost = sent - got
            confs = lab.ctl_json("show", "conferences")
            lab.stop()
    print(r.stdout.strip().rsplit("\n", 1)[0] if r.stdout else r.stderr)
    print("%-44s %12d" % ("media packets sent (2 participants)", sent))
    print("%-44s %12d" % ("media packets received", got))
    print("%-44s %12d" % ("media packets lost", lost))
    print("%-44s %12s" % ("daemon drops during the run", json.dumps(drops)))
    print("%-44s %12d" % ("daemon Mp errors / cache full", mp["errors"] + mp["cache_full"]))
    print("%-44s %12s" % ("core layout", "worker=core1; control+mp_load+media=core0"))
    print("%-44s %12.2f" % ("load average before the run (shared machine)", load1))
    out = dict(lj, bench="mp_daemon", media_sent=sent, media_received=got, media_lost=lost,
               daemon_errors=mp["errors"], daemon_cache_full=mp["cache_full"],
               daemon_pendings=mp["pendings"], daemon_drops=drops,
               conferences_left=len(confs), worker_rx=st1["rx_packets"] - st0["rx_packets"],
               layout="worker lcore1/core1; control core lcore0 + mp_load + media on core0",
               loadavg_before=load1, backend_load=a.backend, quiet=quiet,
               others_cpu_before=round(busy, 3))
    print(json.dumps(out, sort_keys=True))
    return 0 if lost == 0 and r.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

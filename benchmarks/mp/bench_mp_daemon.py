#!/usr/bin/python3
"""bench_mp_daemon: Mp transactions per second through the real daemon while it carries media.

The daemon runs on a veth (net_af_packet) with its worker on one core; mrfc (the MRFC, ESP
with OpenSSL in user space) runs a scenario of N Add + Subtract pairs over ESP (aes-gcm-128,
IP protocol 50), each waiting for its reply, while a libsrtp2 participant pair streams
media (20 ms pacing or faster) through a switch conference. It reports transactions per
second and whether any media packet was lost meanwhile.

Core layout on a 2-core machine: the daemon's control core (main lcore 0) shares CPU 0 with
mrfc and the media peers; its worker busy-polls CPU 1. The rate is bounded by one request in
flight (mrfc waits for each reply), so it is a latency-bound figure: the control core's
own capacity is higher (bench_mp, no network).

  MXP_BUILD=build bench_mp_daemon.py [--pairs 2000] [--media-pps 500]
"""
import argparse
import json
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "integration"))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "integration", "mp"))
import mxplab  # noqa: E402
from mxplab import Lab, KERNEL_IP4  # noqa: E402
from mplab import read_keys  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=2000, help="Add+Subtract pairs")
    ap.add_argument("--media-pps", type=int, default=500, help="media packets per second per direction")
    a = ap.parse_args()
    with Lab("benchmp", mp=True) as lab:
        keys = os.path.join(lab.dir, "keys.txt")
        lab.mrfc("add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4, keys=keys)
        legs = read_keys(keys)
        interval = max(1, int(1000 / a.media_pps))
        duration_guess = a.pairs / 2000.0 + 2
        count = int(duration_guess * 1000 / interval)
        peer = lab.peer(KERNEL_IP4, rx=[(l["port"], l["rx"]) for l in legs],
                        tx=[(l["port"], l["mrfp"], l["mrfp_port"], l["tx"], 0x500 + i, 20 + i)
                            for i, l in enumerate(legs)],
                        count=count, interval_ms=interval, wait_ms=1000, background=True)
        scen = os.path.join(lab.dir, "pairs.txt")
        with open(scen, "w") as f:
            for _ in range(a.pairs):
                f.write("add legs=1 mode=switch remote=%s:7000 events=off\n" % KERNEL_IP4)
                f.write("subtract term=last\n")
        t0 = time.monotonic()
        r = lab.mrfc("--quiet", "scenario", scen, timeout=600)
        dt = time.monotonic() - t0
        res = mxplab.peer_result(peer)
        ok = r.stdout.count("result add ok") + r.stdout.count("result subtract ok")
        sent = sum(res["sent"].values())
        heard = sum(res["rx"][str(l["port"])]["packets"] for l in legs)
        tps = ok / dt
        mp = lab.ctl_json("show", "mp")
        lab.stop()
    lost = sent - heard
    print("Mp over ESP through the daemon (aes-gcm-128), one request in flight")
    print("%-34s %d" % ("transactions (Add + Subtract)", ok))
    print("%-34s %.2f s" % ("elapsed", dt))
    print("%-34s %.0f" % ("transactions per second", tps))
    print("%-34s %d sent, %d received, %d lost" % ("media during the run", sent, heard, lost))
    print("%-34s %s" % ("daemon errors by code", mp["errors_by_code"] or "none"))
    print(json.dumps({"benchmark": "mp_daemon", "transactions": ok, "seconds": round(dt, 3),
                      "tps": round(tps, 1), "media_sent": sent, "media_received": heard,
                      "media_lost": lost, "layout": "control core + mrfc + peers on cpu0, worker on cpu1"}))


if __name__ == "__main__":
    main()

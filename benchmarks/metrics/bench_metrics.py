#!/usr/bin/python3
"""bench_metrics: what a Prometheus scrape costs the daemon's control core.

A daemon on a veth (net_af_packet) gets N switch conferences of L plain legs each (through
the control socket, no media), then GET /metrics is timed R times from the host (urllib:
the time includes Python's HTTP client; the page is made and written by the control core
in that time, during which it answers nothing else). It prints the page size, the median
and the worst scrape, and one JSON line. Not run by the test suite.

  MXP_BUILD=build benchmarks/metrics/bench_metrics.py [--conferences 1000] [--legs 4]
"""
import argparse
import json
import os
import socket
import struct
import sys
import time
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "integration"))
import mxplab  # noqa: E402
from mxplab import Lab, KERNEL_IP4  # noqa: E402


def ctl(path, line):
    """One control-socket request (the mixplanectl protocol), JSON reply; (status, body)."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    p = b"\x01" + line.encode() + b"\0"
    s.sendall(struct.pack("!I", len(p)) + p)
    buf = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        buf += b
    s.close()
    return buf[4], buf[5:4 + struct.unpack("!I", buf[:4])[0]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conferences", type=int, default=1000)
    ap.add_argument("--legs", type=int, default=4, help="legs per conference (all: <= 5000)")
    ap.add_argument("--scrapes", type=int, default=50)
    a = ap.parse_args()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    url = "http://127.0.0.1:%d/metrics" % port
    with Lab("benchmetrics", extra_config="[metrics]\nlisten = 127.0.0.1:%d\n" % port) as lab:
        rport = 6000
        for _ in range(a.conferences):
            st, out = ctl(lab.sock, "conference create mode switch")
            cid = json.loads(out)["id"]
            for _ in range(a.legs):
                st, out = ctl(lab.sock, "leg add %d plain remote %s %d" % (cid, KERNEL_IP4, rport))
                if st != 0:
                    sys.exit("leg add: %s" % out.decode().strip())
                rport = rport + 2 if rport < 60000 else 6000
        ms, size = [], 0
        for _ in range(a.scrapes):
            t = time.monotonic()
            size = len(urllib.request.urlopen(url, timeout=30).read())
            ms.append((time.monotonic() - t) * 1000)
        ms.sort()
        med, worst = ms[len(ms) // 2], ms[-1]
    print("%12s %8s %10s %12s %11s" % ("conferences", "legs", "page-bytes", "median-ms", "worst-ms"))
    print("%12d %8d %10d %12.2f %11.2f" % (a.conferences, a.conferences * a.legs, size, med, worst))
    print(json.dumps({"benchmark": "metrics_scrape", "conferences": a.conferences,
                      "legs": a.conferences * a.legs, "page_bytes": size,
                      "median_ms": round(med, 3), "worst_ms": round(worst, 3),
                      "scrapes": a.scrapes}))


if __name__ == "__main__":
    main()

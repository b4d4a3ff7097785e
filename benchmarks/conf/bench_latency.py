#!/usr/bin/python3
"""Per-packet latency through the daemon under a realistic paced load, with mixgen over memif.

Runs mixgen at --rate realtime (one packet per 20 ms per sender) against a daemon with a
memif port (doc/benchmarking.md, Latency and jitter), once per scenario:

  switch   20 conferences of 10, 3 senders each (60 streams in, 540 out), individual keys
  group    the same with one key group per conference
  forward  the same in forward mode (the conference key: verify and replicate)

Latency is from the probe's TSC in each packet to the analyser's TSC (one process, no clock
synchronisation; mixgen's own queueing included). Core layout as bench_conf.py: the daemon's
worker alone on CPU 1, its control core and mixgen on CPU 0. Prints a table and one JSON
line ({"bench":"latency","runs":[...]}: mixgen's percentiles and histogram per run). Run as
root with hugepages.

  benchmarks/conf/bench_latency.py [--quick] [--duration S] [--plot FILE.png]
"""
import argparse
import json
import os
import sys

SOURCE = os.environ.get("MXP_SOURCE") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "..", "..")
sys.path[0:0] = [os.path.join(SOURCE, "tests", "integration"),
                 os.path.join(SOURCE, "tests", "integration", "mixgen"),
                 os.path.join(SOURCE, "benchmarks", "common")]
import mglab  # noqa: E402

SCENARIOS = [
    # label, mixgen options
    ("switch, individual keys", ["--mode", "switch", "--keys", "individual"]),
    ("switch, key group", ["--mode", "switch", "--keys", "group"]),
    ("forward", ["--mode", "forward"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=20, help="seconds per run (20)")
    ap.add_argument("--quick", action="store_true", help="5 s runs")
    ap.add_argument("--confs", type=int, default=20)
    ap.add_argument("--plot", metavar="FILE.png", help="also draw the latency chart")
    a = ap.parse_args()
    if a.quick:
        a.duration = 5
    mglab.need_hugepages()
    load0 = os.getloadavg()[0]
    runs = []
    for label, extra in SCENARIOS:
        with mglab.MemifLab("bench-lat", worker_lcores="0,1", mbufs=65535,
                            extra_config="workers = 1\n") as lab:
            r = lab.mixgen("--confs", str(a.confs), "--participants", "10", "--senders", "3",
                           "--rate", "realtime", "--duration", str(a.duration),
                           "--audio", "pattern", "--quiet", *extra,
                           timeout=120 + 2 * a.duration, eal=lab.gen_eal_args(lcores="0"))
            lab.stop()
        if r.json is None:
            sys.exit("bench_latency: mixgen failed (%d): %s" % (r.rc, r.stderr[-800:]))
        j = r.json
        lat = j["latency_us"]
        jit = sorted(leg.get("jitter_us", 0) for leg in j.get("legs", []))
        runs.append(dict(label=label, ok=j["ok"], mode=j["mode"], keys=j["keys"],
                         confs=j["confs"], participants=j["participants"],
                         senders=j["senders"], codec=j["codec"], srtp_bytes=j["srtp_bytes"],
                         secs=j["run"]["secs"], lost=j["run"]["lost"], latency_us=lat,
                         jitter_us_legs=jit, failed=r.failed_checks()))
        print("# %-24s %s" % (label, "ok" if j["ok"] else "FAILED: " + "; ".join(
            r.failed_checks())), file=sys.stderr, flush=True)
    load1 = os.getloadavg()[0]
    print("\nPer-packet latency, mixgen at --rate realtime over memif, %d conferences of 10 "
          "(3 senders), %.0f s" % (a.confs, a.duration))
    print("core layout: daemon worker alone on CPU 1; daemon control core + mixgen on CPU 0\n")
    print("%-26s %9s %8s %8s %8s %8s %9s %7s %11s" % (
        "scenario", "packets", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "lost",
        "jitter p50"))
    for x in runs:
        lat = x["latency_us"]
        jit = x["jitter_us_legs"]
        print("%-26s %9d %8.1f %8.1f %8.1f %8.1f %9.1f %7d %11.1f%s" % (
            x["label"], lat["n"], lat["p50"], lat["p90"], lat["p99"], lat["p999"], lat["max"],
            x["lost"], jit[len(jit) // 2] if jit else 0, "" if x["ok"] else "  FAILED"))
    print("machine: load %.2f -> %.2f" % (load0, load1))
    out = dict(bench="latency", rate="realtime", duration_s=a.duration,
               core_layout="worker cpu1 alone; control core + mixgen cpu0", runs=runs,
               load=[load0, load1])
    print(json.dumps(out, separators=(",", ":")), flush=True)
    if a.plot:
        import plot
        plot.driver_chart("latency", out, a.plot, "quick" if a.quick else "full", "bench_latency")
    return 0   # a run that failed a check is marked in the table and the JSON line


if __name__ == "__main__":
    sys.exit(main())

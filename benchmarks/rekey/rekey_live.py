#!/usr/bin/python3
"""rekey_live: the rekey policies of rekey_policy.py played live against the daemon over Mp.

For each trace and policy, `mrfc churn` replays the trace (time-compressed) into a real
daemon over ESP-protected Mp: a join is an Add into the conference's key group, a leave a
Subtract, a rekey one wildcard Modify. Printed beside the model's figures for the same
trace: rekeys, Mp transactions actually sent (the model counts one Modify per remaining
member; a group key needs one wildcard Modify), transaction latency, and the exposures
observed (in trace seconds, from the replies' times: a leaver's until the next rekey's
reply, a joiner's since the last one).

Media lost at rekeys and the exposure taken from a capture of what the daemon sent:
rekey_capture.py. Core layout as bench_mp_daemon.py: mrfc and the daemon's
control core share CPU 0.

  MXP_BUILD=build rekey_live.py [--quick]
"""
import argparse
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "integration"))
import mxplab  # noqa: E402
from mxplab import Lab, KERNEL_IP4  # noqa: E402
import rekey_policy as model  # noqa: E402

POLICIES = ["immediate", "interval:10", "bounded:10:30"]


def run(lab, kind, n, speed, pol):
    ev = model.trace(kind, n)
    path = os.path.join(lab.dir, "%s-%d.txt" % (kind, n))
    with open(path, "w") as f:
        for (t, d, p) in ev:
            f.write("%.6f %+d %d\n" % (t, d, p))
    r = lab.mrfc("--quiet", "churn", "trace=" + path, "policy=" + pol, "speed=%g" % speed,
                 "remote=%s:30000" % KERNEL_IP4, check_rc=False, timeout=1200)
    live = None
    for line in reversed(r.stdout.splitlines()):
        if line.startswith("{"):
            live = json.loads(line)
            break
    if live is None:
        raise mxplab.TestFailure("mrfc churn printed no JSON line (%d): %s" %
                                 (r.returncode, r.stderr[-500:]))
    rk, mem = model.simulate(ev, pol)
    fwd, bwd = model.exposures(ev, rk)

    def fin(x):
        return None if x == float("inf") else round(x, 1)
    return {"trace": kind, "participants": n, "policy": pol, "speed": speed,
            "ok": live["ok"] and r.returncode == 0,
            "model": {"rekeys": len(rk), "modify_per_leg": sum(mem),
                      "fwd_max_s": fin(max(fwd) if fwd else 0),
                      "fwd_p95_s": fin(model.pct(fwd, 0.95)),
                      "bwd_max_s": fin(max(bwd)), "bwd_p95_s": fin(model.pct(bwd, 0.95))},
            "live": {k: live[k] for k in ("rekeys", "transactions", "errors", "wall_s",
                                          "latency_ms", "fwd_exposure_max_s",
                                          "fwd_exposure_p95_s", "never_rekeyed",
                                          "bwd_exposure_max_s", "bwd_exposure_p95_s")}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smaller traces (meeting of 50, town hall of 200)")
    a = ap.parse_args()
    runs = [("meeting", 50 if a.quick else 200, 120), ("townhall", 200 if a.quick else 1000, 240)]
    out = []
    with Lab("rekeylive", mp=True) as lab:
        for kind, n, speed in runs:
            for pol in POLICIES:
                out.append(run(lab, kind, n, speed, pol))
    print("AS rekey policies, live: mrfc churn against the daemon over Mp/ESP (one group key,")
    print("one wildcard Modify per rekey), beside the model (rekey_policy.py) on the same trace")
    print("%-9s %5s %-14s %5s %13s %13s %9s %15s %13s %13s" % (
        "trace", "N", "policy", "speed", "rekeys m/live", "Modify m/live", "all Mp tx",
        "latency p50/p99", "fwd max m/live", "bwd max m/live"))

    def f(x):
        return "never" if x is None else "%.0f" % x
    for o in out:
        m, lv = o["model"], o["live"]
        print("%-9s %5d %-14s %4gx %6d/%-6d %6d/%-6d %9d %7.2f/%-7.2f %6s/%-6s %6s/%-6s%s" % (
            o["trace"], o["participants"], o["policy"], o["speed"], m["rekeys"], lv["rekeys"],
            m["modify_per_leg"], lv["rekeys"], lv["transactions"], lv["latency_ms"]["p50"],
            lv["latency_ms"]["p99"], f(m["fwd_max_s"]),
            "never" if lv["never_rekeyed"] else "%.0f" % lv["fwd_exposure_max_s"],
            f(m["bwd_max_s"]), "%.0f" % lv["bwd_exposure_max_s"],
            "" if o["ok"] and lv["errors"] == 0 else "  FAILED"))
    print("Modify: the model counts one per remaining member and rekey; live, one wildcard "
          "Modify per rekey. Exposures in trace seconds; latency in ms.")
    ok = all(o["ok"] and o["live"]["errors"] == 0 and o["live"]["rekeys"] == o["model"]["rekeys"]
             for o in out)
    print(json.dumps({"benchmark": "rekey_live", "ok": ok, "runs": out}, separators=(",", ":")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

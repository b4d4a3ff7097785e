#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""flood: honest conferences under a rising flood of hostile media (doc/reliability.md).

One daemon (mglab.MemifLab: one worker on lcore 1, media on a memif) carries honest switch
conferences at real time from mixgen (SRTP, every packet checked), while the same mixgen
adds a flood aimed at the honest legs (--flood: forged SRTP, forged SRTCP, replays of the
participants' own packets, malformed RTP, UDP to a port without a leg, a fifth each) at
rising rates, one run per rate. For each rate it records what the flood achieved, the
honest packets expected and received, their latency, and the daemon's drops.

Pass: at every rate up to --must-hold (default: the first rate of the list above zero,
the "stated flood rate") the honest conferences lose nothing and the daemon refused every
flood packet under its reason and nothing else (mixgen's own checks), and the daemon
exits 0 on SIGTERM at the end. Above it, loss is reported (the good-put curve), not
failed: one worker core has a finite packet rate.

Usage: flood.py [--short] [--rates R,R,...] [--seconds S] [--json FILE]. Prints a table and
one JSON line ("benchmark":"flood"); exit 0 when it passed, 1 when not, 77 without
hugepages.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
for d in ("tests/integration", "tests/integration/mixgen"):
    sys.path.insert(0, os.path.join(TOP, d))
import mglab  # noqa: E402
import mxplab  # noqa: E402
import verdict  # noqa: E402

LONG_RATES = "0,10000,25000,50000,100000,200000,400000,800000,max"
SHORT_RATES = "0,20000,100000"


def one_run(lab, rate, seconds, confs, parts):
    args = ["--mode", "switch", "--confs", str(confs), "--participants", str(parts),
            "--duration", str(seconds)]
    if rate != "0":
        args += ["--flood", "rate=%s,seed=11" % rate]
    r = lab.mixgen(*args, timeout=seconds * 4 + 120)
    j = r.json or {}
    run = j.get("run", {})
    fl = j.get("flood", {})
    lat = j.get("latency_us", {})
    exp, got = run.get("expected", 0), run.get("received", 0)
    return {
        "rate": rate, "rc": r.rc,
        "flood_pps": fl.get("sent_pps", 0), "flood_sent": fl.get("sent", 0),
        "flood_not_taken": fl.get("not_taken", 0),
        "port_full": run.get("backpressure", 0),
        "honest_pps_in": run.get("offered_pps", 0), "honest_pps_out": run.get("rx_pps", 0),
        "expected": exp, "received": got, "lost": run.get("lost", exp - got),
        "goodput": (min(got, exp) / exp) if exp else 0,
        "p99_us": lat.get("p99"), "max_us": lat.get("max"),
        "daemon_drops": j.get("daemon_drops") or {},
        "failed": r.failed_checks() if r.json else [r.stderr[-300:]],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="3 rates of 2 s (./scripts/test.sh)")
    ap.add_argument("--rates", help="flood rates, packets/s or max (%s)" % LONG_RATES)
    ap.add_argument("--seconds", type=float, help="per rate (10; --short: 2)")
    ap.add_argument("--confs", type=int, default=50, help="honest switch conferences (50)")
    ap.add_argument("--participants", type=int, default=4, help="per conference (4)")
    ap.add_argument("--must-hold", help="highest rate that must lose nothing (the first "
                    "non-zero rate of the list)")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    rates = (a.rates or (SHORT_RATES if a.short else LONG_RATES)).split(",")
    secs = a.seconds or (2 if a.short else 10)
    nonzero = [x for x in rates if x != "0"]
    hold = a.must_hold or (nonzero[0] if nonzero else "0")
    if hold not in rates:
        print("flood: --must-hold %s is not one of the rates" % hold)
        return 2
    mglab.need_hugepages()
    rows, failures = [], []
    with mglab.MemifLab("flood") as lab:
        for rate in rates:
            row = one_run(lab, rate, secs, a.confs, a.participants)
            rows.append(row)
            must = rates.index(rate) <= rates.index(hold)
            if must and (row["rc"] != 0 or row["lost"] != 0):
                failures.append("rate %s: honest loss %d, failed checks %s"
                                % (rate, row["lost"], row["failed"]))
        rc = lab.stop()
        if rc != 0:
            failures.append("SIGTERM: exit status %s" % rc)
    held = [r["flood_pps"] for r in rows if r["lost"] == 0 and r["rc"] == 0]
    out = {"benchmark": "flood", "seconds_per_rate": secs, "confs": a.confs,
           "participants": a.participants, "must_hold": hold,
           "highest_flood_pps_without_loss": max(held) if held else 0,
           "rows": rows, "pass": not failures, "failures": failures}
    print("flood: %d honest switch conferences of %d (SRTP, real time), one worker; the "
          "flood aimed at their legs, a fifth of each kind" % (a.confs, a.participants))
    print("%-8s %11s %11s %11s %10s %9s %10s %8s %8s  %s" % (
        "asked", "flood pps", "honest in", "honest out", "lost", "goodput", "port full",
        "p99 us", "max us", "checks"))
    for r in rows:
        print("%-8s %11.0f %11.0f %11.0f %10d %8.4f%% %10d %8s %8s  %s" % (
            r["rate"], r["flood_pps"], r["honest_pps_in"], r["honest_pps_out"], r["lost"],
            100 * r["goodput"], r["port_full"], r["p99_us"], r["max_us"],
            "pass" if r["rc"] == 0 else "; ".join(r["failed"])[:120]))
    print("highest flood rate with every check passed (no honest packet lost or held back "
          "by a full port): %.0f packets/s" % out["highest_flood_pps_without_loss"])
    print("(port full: generator turns that found the daemon's memif ring full; honest "
          "packets then wait in mixgen instead of being dropped as a NIC's ring would)")
    return verdict.finish(out, failures, a.json)


if __name__ == "__main__":
    verdict.run(main)

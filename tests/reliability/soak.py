#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""soak: one daemon under a mixed, impaired, churning load for a while (doc/reliability.md).

The daemon (mglab.MpMemifLab: Mp over ESP on a veth, media on a memif) carries, at once:

- media: mixgen runs back to back, each a new conference created and deleted through the
  CLI (conference churn), rotating switch (4 participants), forward (4) and mix (3), every
  packet impaired on its way in by mixgen --impair (1 % loss, 5 % reordered, 20 ± 20 ms
  delay, 0.5 % duplicated; seeded per run), and in switch and mix runs a rekey of every leg
  both ways halfway (mixgen --rekey-at: MKI 2, no packet may be lost to it);
- control: mrfc churn over Mp/ESP plays a meeting's joins and leaves into a conference of
  its own, with the group key rekeyed by policy interval:30 (wildcard Modify) and an audit
  of the conference every 5 s;
- observation: the daemon's memory (mbuf pools, DPDK heap, conference state) is sampled
  after the first run and after the last, with no conference left; the daemon must then
  stop cleanly on SIGTERM.

Pass: every mixgen run passes all its checks (among them: nothing lost beyond what the
impairment dropped, every duplicate refused as a replay and nothing else dropped, no
packet lost across the rekey, who hears whom), mrfc churn ends without a failed
transaction or audit, memory at the end equals memory after the first run (mbufs in use
and heap allocated: no growth), and exit status 0 on SIGTERM.

Usage: soak.py [--seconds 3600] [--json FILE]. Prints a table and one JSON line; exit
status 0 when it passed, 1 when a check failed, 77 when hugepages are missing (skip).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
for d in ("tests/integration", "tests/integration/mixgen", "tests/integration/mp",
          "benchmarks/rekey"):
    sys.path.insert(0, os.path.join(TOP, d))
import mglab  # noqa: E402
import mxplab  # noqa: E402
import verdict  # noqa: E402
import rekey_policy  # noqa: E402

IMPAIR = "loss=1%,reorder=5%,delay=20,jitter=20,dup=0.5%"
RUNS = [("switch", ["--participants", "4"], True), ("forward", ["--participants", "4"], False),
        ("mix", ["--participants", "3"], True)]


def memory(lab):
    m = lab.ctl_json("show", "memory")
    heap = sum(v["allocated_bytes"] for k, v in m.items() if k.startswith("heap_socket"))
    return {"mbufs_in_use": m["mbufs"]["in_use"],
            "header_mbufs_in_use": m.get("header_mbufs", {}).get("in_use", 0),
            "heap_allocated": heap, "conferences": m["conferences"]["count"],
            "legs": m["legs"]["count"], "state_bytes": m["total_bytes"]}


def churn(lab, seconds, out):
    """mrfc churn of a meeting trace stretched over the soak (in its own thread)."""
    ev = rekey_policy.trace("meeting", 20)
    path = os.path.join(lab.dir, "soak-trace.txt")
    with open(path, "w") as f:
        for (t, d, p) in ev:
            f.write("%.6f %+d %d\n" % (t, d, p))
    speed = max(1.0, ev[-1][0] / max(1.0, seconds * 0.9))
    keys = os.path.join(lab.dir, "churn-keys.txt")
    r = lab.mrfc("--quiet", "churn", "trace=" + path, "policy=interval:30", "speed=%g" % speed,
                 "audit=5", "remote=%s:31000" % mglab.MIXGEN_IP4, keys=keys, check_rc=False,
                 timeout=seconds * 3 + 120)
    out["rc"] = r.returncode
    for line in reversed(r.stdout.splitlines()):
        if line.startswith("{"):
            out["json"] = json.loads(line)
            break
    out["stderr"] = r.stderr[-2000:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=3600, help="length of the soak (3600)")
    ap.add_argument("--run-seconds", type=float, default=None,
                    help="length of each mixgen run (default: 60, or a sixth of a short soak)")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    mglab.need_hugepages()   # exits 77 (skip) without them
    run_s = a.run_seconds or max(4.0, min(60.0, a.seconds / 6))
    results, failures = [], []
    t0 = time.monotonic()
    with mglab.MpMemifLab(name="soak") as lab:
        mp = {}
        th = threading.Thread(target=churn, args=(lab, a.seconds, mp), daemon=True)
        th.start()
        mem_first = None
        i = 0
        while time.monotonic() - t0 < a.seconds or i < len(RUNS):
            mode, args, rekey = RUNS[i % len(RUNS)]
            extra = ["--rekey-at", "%g" % (run_s / 2)] if rekey else []
            r = lab.mixgen("--mode", mode, "--duration", "%g" % run_s, "--impair",
                           "%s,seed=%d" % (IMPAIR, i + 1), *args, *extra,
                           timeout=run_s * 4 + 120)
            j = r.json or {}
            im = j.get("impair", {})
            results.append({"run": i, "mode": mode, "ok": r.rc == 0, "sent": j.get("run", {})
                            .get("sent", 0), "lost": j.get("run", {}).get("lost"),
                            "impair_dropped": im.get("dropped", 0),
                            "dup_sent": im.get("dup_sent", 0),
                            "daemon_drops": j.get("daemon_drops", {}),
                            "failed": r.failed_checks() if r.json else [r.stderr[-300:]]})
            if r.rc != 0:
                failures.append("mixgen run %d (%s): %s" % (i, mode, results[-1]["failed"]))
            if i == 0:
                mem_first = memory(lab)
            i += 1
        th.join(timeout=a.seconds * 3 + 180)
        mem_last = memory(lab)
        rc = lab.stop()
        clean = rc == 0
    cj = mp.get("json") or {}
    if mp.get("rc") != 0 or not cj.get("ok"):
        failures.append("mrfc churn: exit %s %s" % (mp.get("rc"), mp.get("stderr", "")[-300:]))
    grew = {k: (mem_first[k], mem_last[k]) for k in ("mbufs_in_use", "header_mbufs_in_use",
                                                     "heap_allocated")
            if mem_first and mem_last[k] > mem_first[k]}
    left = mem_last["conferences"] - (mem_first["conferences"] - 1 if mem_first else 0)
    if grew:
        failures.append("memory grew between the first run and the end: %s" % grew)
    if not clean:
        failures.append("the daemon's exit status on SIGTERM was %s" % rc)
    sent = sum(x["sent"] for x in results)
    out = {"benchmark": "soak", "ok": not failures, "seconds": round(time.monotonic() - t0, 1),
           "mixgen_runs": len(results), "mixgen_failed": sum(not x["ok"] for x in results),
           "packets_sent": sent,
           "impair_dropped": sum(x["impair_dropped"] for x in results),
           "duplicates_sent": sum(x["dup_sent"] for x in results),
           "lost_by_daemon": sum(x["lost"] or 0 for x in results if x["mode"] != "mix"),
           "mp": {k: cj.get(k) for k in ("joins", "leaves", "rekeys", "audits", "transactions",
                                        "errors", "audit_errors", "latency_ms")},
           "memory_first": mem_first, "memory_last": mem_last, "memory_grew": grew,
           "conferences_left": left, "sigterm_exit": rc, "failures": failures}
    print("soak: %.0f s, %d mixgen runs (%d failed), %d packets sent, %d dropped and %d "
          "duplicated by the impairment, %d lost by the daemon"
          % (out["seconds"], out["mixgen_runs"], out["mixgen_failed"], sent,
             out["impair_dropped"], out["duplicates_sent"], out["lost_by_daemon"]))
    print("%-6s %-8s %-5s %9s %7s %9s %7s  %s" % ("run", "mode", "ok", "sent", "lost",
                                                 "impaired", "dups", "daemon drops"))
    for x in results:
        print("%-6d %-8s %-5s %9d %7s %9d %7d  %s" % (
            x["run"], x["mode"], "yes" if x["ok"] else "NO", x["sent"], x["lost"],
            x["impair_dropped"], x["dup_sent"], json.dumps(x["daemon_drops"])))
    print("Mp (mrfc churn, interval:30, audit every 5 s): %s" % json.dumps(out["mp"]))
    print("memory after the first run: %s" % json.dumps(mem_first))
    print("memory at the end:          %s" % json.dumps(mem_last))
    print("SIGTERM: exit status %s" % rc)
    return verdict.finish(out, failures, a.json)


if __name__ == "__main__":
    verdict.run(main)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""soak: one daemon under a mixed, impaired, churning load for a while (doc/reliability.md).

The daemon (mglab.MpMemifLab: Mp over ESP on a veth, media on a memif) carries, at once:

- media: mixgen runs back to back, each a new conference created and deleted through the
  CLI (conference churn), rotating switch (4 participants), forward (4) and mix (3), every
  packet impaired on its way in by mixgen --impair (1 % loss, 5 % reordered, 20 ± 20 ms
  delay, 0.5 % duplicated; seeded per run), and in switch and mix runs a rekey of every leg
  both ways halfway (mixgen --rekey-at: MKI 2, no packet may be lost to it);
- control: mrfc churn over Mp/ESP plays a meeting's joins and leaves (compressed into a
  short soak, again and again in a long one) into a conference of its own, with the group key rekeyed by policy interval:30 (wildcard Modify) and an audit
  of the conference every 5 s;
- load: before the soak, each mode is calibrated on this machine: impaired runs of 20 s
  (--calibrate-seconds), rekey included, with 8, 16, 32, ... conferences until one fails
  (or --max-legs is reached); the largest
  passing count is the lab's capacity for that mode, and every run of the soak then carries
  --load percent of it (80 %). On a 2-vCPU machine the generator shares the daemon's
  machine, so the capacity is the lab's (mixgen's idle share says who was the limit);
- libsrtp2 participants: a switch conference of three mxp-srtp-peer participants on kernel
  sockets in the namespace (port0, the veth), talking for the whole soak, each checking
  that it heard every packet of the two others, authenticated by libsrtp2 and intact;
- observation: the daemon's memory (mbuf pools, DPDK heap, conference state) is sampled
  after the first run and after the last, with no conference left; the daemon must then
  stop cleanly on SIGTERM.

Pass: every mixgen run passes all its checks (among them: nothing lost beyond what the
impairment dropped, every duplicate refused as a replay and nothing else dropped, no
packet lost across the rekey, who hears whom), mrfc churn ends without a failed
transaction or audit, every libsrtp2 participant heard every packet of the others with no
authentication failure, memory at the end equals memory after the first run (mbufs in use,
heap allocated and Mp legs: no growth), the Mp reply cache empties within 40 s of the
churn's end, and exit status 0 on SIGTERM.

Usage: soak.py [--seconds 3600] [--load 80] [--max-legs 4000] [--json FILE]. Prints the
calibration, a table and one JSON line; exit status 0 when it passed, 1 when a check
failed, 77 when hugepages are missing (skip).
"""
import argparse
import json
import os
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
    mp = lab.ctl_json("show", "mp")
    heap = sum(v["allocated_bytes"] for k, v in m.items() if k.startswith("heap_socket"))
    return {"mbufs_in_use": m["mbufs"]["in_use"],
            "header_mbufs_in_use": m.get("header_mbufs", {}).get("in_use", 0),
            "heap_allocated": heap, "conferences": m["conferences"]["count"],
            "legs": m["legs"]["count"], "state_bytes": m["total_bytes"],
            "mp_legs": mp["legs"], "mp_reply_cache": mp["reply_cache"]}


def mixgen_run(lab, mode, args, rekey, run_s, confs, seed):
    """One impaired mixgen run of `confs` conferences; returns (Result, summary dict)."""
    extra = ["--rekey-at", "%g" % (run_s / 2)] if rekey else []
    parts = int(args[args.index("--participants") + 1])
    # Setting up a leg through the CLI takes a few ms: allow for it beside the run.
    # The impairment's delay queue holds an mbuf per waiting packet (up to 70 ms of them).
    mbufs = ["--mbufs", "131071"] if confs * parts > 256 else []
    # mixgen shares a vCPU with the daemon's control core, whose CLI work (a rekey of
    # thousands of legs) takes it away for milliseconds at a time: a 16,384-slot memif ring
    # (rsize 14, 70 ms at 230 kpps) holds what the daemon sends meanwhile. A NIC's receiver
    # is another machine; this buffer only stands in for it.
    r = lab.mixgen("--mode", mode, "--duration", "%g" % run_s, "--confs", str(confs),
                   *mbufs, "--impair", "%s,seed=%d" % (IMPAIR, seed),
                   *args, *extra, timeout=run_s * 4 + 120 + confs * parts * 0.05,
                   eal=lab.gen_eal_args(rsize=14))
    j = r.json or {}
    im = j.get("impair", {})
    run = j.get("run", {})
    return r, {"mode": mode, "confs": confs, "legs": confs * parts, "ok": r.rc == 0,
               "sent": run.get("sent", 0), "lost": run.get("lost"),
               "offered_pps": run.get("offered_pps", 0), "rx_pps": run.get("rx_pps", 0),
               "mixgen_idle": run.get("mixgen_idle"),
               "impair_dropped": im.get("dropped", 0), "dup_sent": im.get("dup_sent", 0),
               "daemon_drops": j.get("daemon_drops", {}),
               "failed": r.failed_checks() if r.json else [r.stderr[-300:]]}


def calibrate(lab, secs, max_legs, log):
    """Per mode, the largest number of conferences whose impaired run of `secs` passes every
    check: 8, 16, 32, ... until a run fails or max_legs is reached, then halving the
    interval between the last pass and the first failure to within a quarter.
    Returns {mode: {"confs": n, "capped": bool, "steps": [...]}}."""
    cap = {}
    seed = 1000
    for mode, args, rekey in RUNS:
        parts = int(args[args.index("--participants") + 1])
        most = max(1, max_legs // parts)
        n, good, bad, steps = 8, 0, None, []
        while len(steps) < 12:
            n = min(n, most)
            seed += 1
            r, x = mixgen_run(lab, mode, args, rekey, secs, n, seed)
            steps.append({k: x[k] for k in ("confs", "legs", "ok", "offered_pps", "rx_pps",
                                            "mixgen_idle", "failed")})
            log("calibrate %-7s %5d conferences (%5d legs): %s, %.0f pps offered, mixgen idle %s%s"
                % (mode, n, x["legs"], "pass" if x["ok"] else "FAIL", x["offered_pps"],
                   x["mixgen_idle"], "" if x["ok"] else " (%s)" % "; ".join(
                       str(f)[:160] for f in x["failed"][:2])))
            if x["ok"]:
                good = n
            else:
                bad = n
            if bad is None:
                if n >= most:
                    break
                n *= 2
            else:
                # Between the last pass and the first failure, to within a quarter.
                mid = (good + bad) // 2
                if good == 0 or mid <= good or bad - good <= max(1, good // 4):
                    break
                n = mid
        cap[mode] = {"confs": good, "capped": good >= most, "steps": steps}
    return cap


def srtp_peers(lab, seconds):
    """Three libsrtp2 participants (mxp-srtp-peer on kernel sockets in the namespace) in a
    switch conference of their own, talking for the whole soak. Returns (proc, conf, parts,
    count)."""
    conf = lab.conf_create("mode", "switch", "name", "soak-libsrtp2")
    parts = []
    for i, port in enumerate((5000, 5002, 5004)):
        k_in, k_out = mxplab.gen_key(), mxplab.gen_key()
        leg = lab.leg_add(conf, k_in, k_out, (mxplab.KERNEL_IP4, port), "label", "srtp2-%d" % i)
        parts.append(dict(id=i + 1, port=port, k_in=k_in, k_out=k_out, leg=leg))
    count = max(50, int(seconds * 50))
    p = lab.peer(mxplab.KERNEL_IP4, rx=[(x["port"], x["k_out"]) for x in parts],
                 tx=[(x["port"], mxplab.DAEMON_IP4, x["leg"]["local_port"], x["k_in"],
                      0x5000 + x["id"], x["id"]) for x in parts],
                 count=count, wait_ms=1000, background=True)
    return p, conf, parts, count


def srtp_peers_end(lab, p, conf, parts, count, timeout):
    """Collect the libsrtp2 participants' report; returns (summary, failures)."""
    fails = []
    try:
        res = mxplab.peer_result(p, timeout=timeout)
    except Exception as e:  # noqa: BLE001 (reported as a failure of the soak)
        p.kill()
        return {"error": str(e)[-300:]}, ["libsrtp2 participants: %s" % str(e)[-300:]]
    heard, auth, bad = 0, 0, 0
    for x in parts:
        got = res["rx"][str(x["port"])]
        want = {str(q["id"]): count for q in parts if q is not x}
        heard += sum(got["from"].values())
        auth += got["auth_fail"]
        bad += got["bad_payload"]
        if got["from"] != want:
            fails.append("libsrtp2 participant %d heard %s, expected %s" % (x["id"], got["from"],
                                                                          want))
    if auth or bad:
        fails.append("libsrtp2 participants: %d authentication failures, %d bad payloads"
                     % (auth, bad))
    lab.ctl("conference", "delete", str(conf))
    return {"participants": len(parts), "sent": sum(res["sent"].values()), "heard": heard,
            "expected": count * len(parts) * (len(parts) - 1), "auth_fail": auth,
            "bad_payload": bad}, fails


def merge(a, b):
    """Two mrfc churn JSON lines as one: counts added, latencies their worst, ok if both."""
    if a is None:
        return dict(b)
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, bool):
            out[k] = bool(a.get(k, True)) and v
        elif isinstance(v, (int, float)):
            out[k] = a.get(k, 0) + v
        elif isinstance(v, dict):
            out[k] = {kk: max(vv, (a.get(k) or {}).get(kk, vv)) for kk, vv in v.items()
                      if isinstance(vv, (int, float))}
    return out


def churn(lab, seconds, out):
    """mrfc churn of a meeting trace (in its own thread): stretched over the soak when the
    soak is shorter than the trace, else played in real time, again and again until the
    soak's end is near."""
    ev = rekey_policy.trace("meeting", 20)
    path = os.path.join(lab.dir, "soak-trace.txt")
    with open(path, "w") as f:
        for (t, d, p) in ev:
            f.write("%.6f %+d %d\n" % (t, d, p))
    speed = max(1.0, ev[-1][0] / max(1.0, seconds * 0.9))
    keys = os.path.join(lab.dir, "churn-keys.txt")
    end = time.monotonic() + seconds * 0.95
    out["rc"], out["runs"], agg = 0, 0, None
    while True:
        r = lab.mrfc("--quiet", "churn", "trace=" + path, "policy=interval:30",
                     "speed=%g" % speed, "audit=5", "remote=%s:31000" % mglab.MIXGEN_IP4,
                     keys=keys, check_rc=False, timeout=seconds * 3 + 120)
        out["runs"] += 1
        j = None
        for line in reversed(r.stdout.splitlines()):
            if line.startswith("{"):
                j = json.loads(line)
                break
        out["stderr"] = r.stderr[-2000:]
        if r.returncode != 0 or j is None:
            out["rc"] = r.returncode or 1
            break
        agg = merge(agg, j)
        if time.monotonic() + ev[-1][0] / speed > end:
            break
    out["json"] = agg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=3600, help="length of the soak (3600)")
    ap.add_argument("--run-seconds", type=float, default=None,
                    help="length of each mixgen run (default: 60, or a sixth of a short soak)")
    ap.add_argument("--load", type=float, default=80,
                    help="percent of each mode's calibrated capacity every run carries (80); "
                         "0: one conference a run, no calibration")
    ap.add_argument("--max-legs", type=int, default=4000,
                    help="calibration stops at this many legs in one run (4000: the lab's "
                         "port range holds 5,000 legs)")
    ap.add_argument("--calibrate-seconds", type=float, default=20,
                    help="length of each calibration run (20: runs of 5 s passed loads that "
                         "60-s runs did not hold)")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    mglab.need_hugepages()   # exits 77 (skip) without them
    run_s = a.run_seconds or max(4.0, min(60.0, a.seconds / 6))
    results, failures = [], []
    t0 = time.monotonic()
    def log(msg):
        print("# " + msg, flush=True)

    # Calibration's mixgen runs hold jitter buffers for thousands of mix legs: more mbufs
    # (at 1,227 mix legs, two 60-s runs of a one-hour soak ran 32,767 dry: no_mbuf).
    big = a.load > 0 and a.max_legs > 256
    with mglab.MpMemifLab(name="soak", mbufs=65535 if big else 8191) as lab:
        cap, load = {}, {m: 1 for m, _, _ in RUNS}
        if a.load > 0:
            tc = time.monotonic()
            cap = calibrate(lab, a.calibrate_seconds, a.max_legs, log)
            load = {m: max(1, int(c["confs"] * a.load / 100)) for m, c in cap.items()}
            log("calibration took %.0f s; each run carries %s conferences (%g %% of %s)"
                % (time.monotonic() - tc, load, a.load,
                   {m: c["confs"] for m, c in cap.items()}))
            t0 = time.monotonic()   # the soak's length does not include the calibration
        mp = {}
        th = threading.Thread(target=churn, args=(lab, a.seconds, mp), daemon=True)
        th.start()
        peers = srtp_peers(lab, a.seconds)
        mem_first = None
        i = 0
        while time.monotonic() - t0 < a.seconds or i < len(RUNS):
            mode, args, rekey = RUNS[i % len(RUNS)]
            r, x = mixgen_run(lab, mode, args, rekey, run_s, load[mode], i + 1)
            x["run"] = i
            results.append(x)
            if r.rc != 0:
                failures.append("mixgen run %d (%s): %s" % (i, mode, results[-1]["failed"]))
            if i == 0:
                mem_first = memory(lab)
            i += 1
        th.join(timeout=a.seconds * 3 + 180)
        srtp2, fails = srtp_peers_end(lab, *peers, timeout=max(120, a.seconds * 0.2 + 60))
        failures += fails
        # Replies live reply_ttl_ms (30 s): once the MRFC is quiet the cache must empty.
        tq = time.monotonic()
        while memory(lab)["mp_reply_cache"] and time.monotonic() - tq < 40:
            time.sleep(1)
        mem_last = memory(lab)
        rc = lab.stop()
        clean = rc == 0
    cj = mp.get("json") or {}
    if mp.get("rc") != 0 or not cj.get("ok"):
        failures.append("mrfc churn: exit %s %s" % (mp.get("rc"), mp.get("stderr", "")[-300:]))
    grew = {k: (mem_first[k], mem_last[k]) for k in ("mbufs_in_use", "header_mbufs_in_use",
                                                     "heap_allocated", "mp_legs")
            if mem_first and mem_last[k] > mem_first[k]}
    if mem_last["mp_reply_cache"]:
        failures.append("the Mp reply cache still held %d replies 40 s after the Mp churn ended"
                        % mem_last["mp_reply_cache"])
    left = mem_last["conferences"]
    if grew:
        failures.append("memory grew between the first run and the end: %s" % grew)
    if not clean:
        failures.append("the daemon's exit status on SIGTERM was %s" % rc)
    sent = sum(x["sent"] for x in results)
    out = {"benchmark": "soak", "ok": not failures, "seconds": round(time.monotonic() - t0, 1),
           "mixgen_runs": len(results), "mixgen_failed": sum(not x["ok"] for x in results),
           "load_pct": a.load, "capacity_confs": {m: c["confs"] for m, c in cap.items()},
           "capacity_capped": {m: c["capped"] for m, c in cap.items()},
           "calibration": {m: c["steps"] for m, c in cap.items()},
           "run_confs": load, "run_legs": {m: x["legs"] for m in load
                                           for x in results[:len(RUNS)] if x["mode"] == m},
           "offered_pps": {m: round(sum(x["offered_pps"] for x in results if x["mode"] == m)
                                    / max(1, sum(x["mode"] == m for x in results)))
                           for m in load},
           "libsrtp2": srtp2,
           "runs": [{k: x[k] for k in ("run", "mode", "ok", "legs", "sent", "lost",
                                       "offered_pps", "rx_pps", "mixgen_idle")}
                    for x in results],
           "packets_sent": sent,
           "impair_dropped": sum(x["impair_dropped"] for x in results),
           "duplicates_sent": sum(x["dup_sent"] for x in results),
           "lost_by_daemon": sum(x["lost"] or 0 for x in results if x["mode"] != "mix"),
           "mp": dict({k: cj.get(k) for k in ("joins", "leaves", "rekeys", "audits",
                                              "transactions", "errors", "audit_errors",
                                              "latency_ms")}, churn_runs=mp.get("runs")),
           "memory_first": mem_first, "memory_last": mem_last, "memory_grew": grew,
           "conferences_left": left, "sigterm_exit": rc, "failures": failures}
    print("soak: %.0f s, %d mixgen runs (%d failed), %d packets sent, %d dropped and %d "
          "duplicated by the impairment, %d lost by the daemon"
          % (out["seconds"], out["mixgen_runs"], out["mixgen_failed"], sent,
             out["impair_dropped"], out["duplicates_sent"], out["lost_by_daemon"]))
    if cap:
        print("load: %g %% of each mode's calibrated capacity: %s" % (a.load, ", ".join(
            "%s %d of %d%s conferences (%d legs, %d pps offered)"
            % (m, load[m], cap[m]["confs"], "+" if cap[m]["capped"] else "",
               out["run_legs"].get(m, 0), out["offered_pps"][m]) for m in load)))
    print("libsrtp2 participants: %s" % json.dumps(srtp2))
    print("%-6s %-8s %-5s %6s %9s %7s %9s %7s %5s  %s" % ("run", "mode", "ok", "legs", "sent",
                                                          "lost", "impaired", "dups", "idle",
                                                          "daemon drops"))
    for x in results:
        print("%-6d %-8s %-5s %6d %9d %7s %9d %7d %5s  %s" % (
            x["run"], x["mode"], "yes" if x["ok"] else "NO", x["legs"], x["sent"], x["lost"],
            x["impair_dropped"], x["dup_sent"],
            "-" if x["mixgen_idle"] is None else "%.2f" % x["mixgen_idle"],
            json.dumps(x["daemon_drops"])))
    print("Mp (mrfc churn, interval:30, audit every 5 s): %s" % json.dumps(out["mp"]))
    print("memory after the first run: %s" % json.dumps(mem_first))
    print("memory at the end:          %s" % json.dumps(mem_last))
    print("SIGTERM: exit status %s" % rc)
    return verdict.finish(out, failures, a.json)


if __name__ == "__main__":
    verdict.run(main)

#!/usr/bin/python3
"""rekey_policy: when should the application server rekey a conference's group key?

The 3GPP contribution behind mixplane asks whether rekeying on every join and leave is
reasonable, given that participants join and leave in bursts at the start and end of a
conference. This tool replays join/leave traces against rekey policies of the AS side and
reports, for each policy:

  - rekeys: how many group rekeys, and the peak number in any 10 s window;
  - transactions: Mp Modify transactions the rekeys cost (one per remaining member, or one
    wildcard Modify per rekey), and the peak rate in any 10 s window;
  - exposure: how long a participant who left could still decrypt the group's media (until
    the next rekey: forward secrecy), and how much media a participant who joined could
    decrypt from before its join (since the previous rekey: backward secrecy), max and p95.

Policies:
  immediate         rekey on every join and every leave
  interval:T        at most every T s, when membership changed since the last rekey
  count:K           after K membership changes
  bounded:K:E       after K changes, or E s after the oldest unkeyed change, or at a join
                    when the key is older than E: both exposures stay under E
  leave-only:E      rekey only for leaves (joiners get the current key), within E s

Traces (deterministic, seeded):
  meeting   N people join over the first 2 minutes, 1 change per minute for 30 minutes,
            everyone leaves over the last 2 minutes
  webinar   N join over 5 minutes, listeners trickle in and out all along (10 per minute)
  townhall  N = 1000 over 3 minutes, then a 60-minute talk with 30 changes per minute

This is a model of the AS's decisions, run offline; what one rekey costs the mixer is
measured by benchmarks/mp (transactions per second over ESP) and by mixgen (no media loss
across an MKI switch, doc/benchmarking.md). Usage:

  rekey_policy.py [--n 200] [--tps 5000] [--json]
  rekey_policy.py --dump-trace meeting|webinar|townhall [--n N] > trace.txt

The dumped trace ("<seconds> +1|-1 <participant>" lines) is what `mrfc churn` replays live
against the MRFP with the same policies (doc/mp.md "Rekey policies, live").
"""
import argparse
import json
import random


def trace(kind, n, seed=20261128):
    rnd = random.Random(seed)
    ev = []  # (time s, +1 join / -1 leave, participant id)
    pid = 0
    present = set()

    def join(t):
        nonlocal pid
        pid += 1
        present.add(pid)
        ev.append((t, +1, pid))

    def leave(t):
        if present:
            p = rnd.choice(sorted(present))
            present.discard(p)
            ev.append((t, -1, p))

    if kind == "meeting":
        for _ in range(n):
            join(rnd.uniform(0, 120))
        t, end = 120.0, 120 + 1800
        while True:
            t += rnd.expovariate(1 / 60.0)
            if t >= end:   # after the end everybody leaves once (below)
                break
            (join if rnd.random() < 0.5 else leave)(t)
        ev.sort()
        for p in sorted(present_at(ev, end)):
            ev.append((end + rnd.uniform(0, 120), -1, p))
    elif kind == "webinar":
        for _ in range(n):
            join(rnd.uniform(0, 300))
        ev.sort()
        t, end = 300.0, 3900
        while True:
            t += rnd.expovariate(10 / 60.0)
            if t >= end:
                break
            (join if rnd.random() < 0.5 else leave)(t)
        ev.sort()
        for p in sorted(present_at(ev, end)):
            ev.append((end + rnd.uniform(0, 300), -1, p))
    elif kind == "townhall":
        for _ in range(n):
            join(rnd.uniform(0, 180))
        ev.sort()
        t, end = 180.0, 3780
        while True:
            t += rnd.expovariate(30 / 60.0)
            if t >= end:
                break
            (join if rnd.random() < 0.5 else leave)(t)
        ev.sort()
        for p in sorted(present_at(ev, end)):
            ev.append((end + rnd.uniform(0, 180), -1, p))
    ev.sort()
    return ev


def present_at(ev, t):
    s = set()
    for (te, d, p) in sorted(ev):
        if te > t:
            break
        if d > 0:
            s.add(p)
        else:
            s.discard(p)
    return s


def simulate(ev, policy):
    """Return the rekey times for a policy and the list of (event, rekey-before, rekey-after)."""
    name, *args = policy.split(":")
    rekeys = []
    pending = []   # times of changes not yet covered by a rekey
    members = set()
    rk_members = []

    def do_rekey(t):
        rekeys.append(t)
        rk_members.append(len(members))
        pending.clear()

    i = 0
    events = list(ev)
    # time-driven policies need timer points: check at every event and at deadlines
    end = events[-1][0] + 1 if events else 0
    t_last = None
    interval = float(args[0]) if name == "interval" else None
    count = int(args[0]) if name in ("count", "bounded") else None
    bound = float(args[1]) if name == "bounded" else float(args[0]) if name == "leave-only" else None
    while i < len(events):
        t, d, p = events[i]
        # deadlines that fall before this event
        if pending:
            due = None
            if interval is not None:
                due = max(pending[0], (t_last if t_last is not None else -1e9) + interval)
            if bound is not None:
                due = pending[0] + bound if due is None else min(due, pending[0] + bound)
            if due is not None and due <= t:
                do_rekey(due)
                t_last = due
                continue
        members.add(p) if d > 0 else members.discard(p)
        i += 1
        if name == "immediate":
            do_rekey(t)
            t_last = t
        elif name == "leave-only":
            if d < 0:
                pending.append(t)
        elif name == "bounded" and d > 0 and (t_last is None or t - t_last > bound):
            do_rekey(t)  # an old key would show the joiner too much of the past
            t_last = t
        else:
            pending.append(t)
            if count is not None and len(pending) >= count:
                do_rekey(t)
                t_last = t
            elif interval is not None and (t_last is None or t - t_last >= interval):
                do_rekey(t)
                t_last = t
    if pending and (interval is not None or bound is not None):
        do_rekey(end)
    return rekeys, rk_members


def exposures(ev, rekeys):
    """Forward exposure of each leaver, backward exposure of each joiner (seconds)."""
    import bisect
    fwd, bwd = [], []
    for (t, d, p) in ev:
        if d < 0:
            k = bisect.bisect_left(rekeys, t)
            fwd.append((rekeys[k] - t) if k < len(rekeys) else float("inf"))
        else:
            k = bisect.bisect_right(rekeys, t) - 1
            # a rekey at the join instant protects the past
            if k >= 0 and rekeys[k] == t:
                bwd.append(0.0)
            else:
                bwd.append(t - rekeys[k] if k >= 0 else t)
    return fwd, bwd


def peak(times, weights=None, window=10.0):
    best, j, acc = 0, 0, 0
    w = weights or [1] * len(times)
    for i in range(len(times)):
        acc += w[i]
        while times[i] - times[j] > window:
            acc -= w[j]
            j += 1
        best = max(best, acc)
    return best


def pct(v, q):
    if not v:
        return 0.0
    s = sorted(v)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="participants (townhall uses 1000)")
    ap.add_argument("--tps", type=float, default=5000,
                    help="Mp transactions per second the mixer sustains (benchmarks/mp)")
    ap.add_argument("--json", action="store_true", help="only the JSON line")
    ap.add_argument("--dump-trace", choices=("meeting", "webinar", "townhall"),
                    help="print this trace as '<seconds> +1|-1 <participant>' lines and exit "
                         "(townhall: 1000 participants unless --n)")
    a = ap.parse_args()
    if a.dump_trace:
        n = a.n if a.dump_trace != "townhall" or "--n" in " ".join(__import__("sys").argv) \
            else 1000
        print("# rekey_policy.py --dump-trace %s --n %d" % (a.dump_trace, n))
        for (t, d, p) in trace(a.dump_trace, n):
            print("%.6f %+d %d" % (t, d, p))
        return
    policies = ["immediate", "interval:10", "interval:60", "count:5", "count:20",
                "bounded:10:30", "bounded:50:60", "leave-only:30"]
    out = {"benchmark": "rekey_policy", "tps": a.tps, "traces": {}}
    lines = []
    for kind, n in (("meeting", a.n), ("webinar", a.n), ("townhall", 1000)):
        ev = trace(kind, n)
        res = {}
        for pol in policies:
            rk, mem = simulate(ev, pol)
            fwd, bwd = exposures(ev, rk)
            tx_per_leg = sum(mem)            # one Modify per remaining member
            def fin(x):
                return None if x == float("inf") else round(x, 1)
            r = {
                "rekeys": len(rk),
                "peak_rekeys_10s": peak(rk),
                "modify_per_leg": tx_per_leg,
                "peak_modify_per_leg_10s": peak(rk, mem),
                "peak_control_load": round(peak(rk, mem) / 10.0 / a.tps, 4),
                # null = unbounded: a leaver keeps decrypting until the conference ends
                "fwd_exposure_max_s": fin(max(fwd) if fwd else 0),
                "fwd_exposure_p95_s": fin(pct(fwd, 0.95)),
                "bwd_exposure_max_s": fin(max(bwd) if bwd else 0),
                "bwd_exposure_p95_s": fin(pct(bwd, 0.95)),
            }
            res[pol] = r
            lines.append((kind, n, pol, r))
        out["traces"][kind] = {"participants": n, "changes": len(ev), "policies": res}
    if not a.json:
        print("AS rekey policies on join/leave traces (one group key per conference)")
        print("control load = peak Modify rate / %d transactions/s the mixer sustains" % a.tps)
        hdr = "%-9s %5s %-14s %7s %9s %12s %9s %11s %11s" % (
            "trace", "N", "policy", "rekeys", "peak/10s", "Modify tx", "load", "fwd max/p95",
            "bwd max/p95")
        print(hdr)
        def f(x):
            return "never" if x is None else "%.0f" % x
        for kind, n, pol, r in lines:
            print("%-9s %5d %-14s %7d %9d %12d %8.1f%% %5s/%-5s %5s/%-5s" % (
                kind, n, pol, r["rekeys"], r["peak_rekeys_10s"], r["modify_per_leg"],
                100 * r["peak_control_load"], f(r["fwd_exposure_max_s"]), f(r["fwd_exposure_p95_s"]),
                f(r["bwd_exposure_max_s"]), f(r["bwd_exposure_p95_s"])))
        print("exposure: seconds a leaver can still decrypt (fwd) / a joiner can decrypt from before"
              " its join (bwd); 'never' = until the conference ends")
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()

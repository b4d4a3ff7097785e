#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fuzz campaign: every libFuzzer target for a number of executions or a time, with the
committed seeds as its corpus (doc/reliability.md "Fuzzing campaign").

Each target (build-fuzz/tests/fuzz/fuzz_*: clang, libFuzzer, ASan + UBSan) runs over
tests/fuzz/seeds/<target> plus a working corpus of its own under the build tree (new
inputs go there, never into the committed seeds), with -print_final_stats=1. Per target
it reports the executions, executions a second, the coverage libFuzzer measured at the end
(edges "cov" and features "ft"), the corpus size, peak memory and any finding (a crash,
leak, timeout or sanitizer report: the input is kept as an artifact and the run fails).
With --merge, inputs of the working corpus that add coverage are merged into the committed
seeds (libFuzzer -merge=1), so the next run, and the fuzz suite of ./scripts/test.sh,
starts from them.

A long campaign may run in chunks: --total N runs each target until its ledger
(build-fuzz/campaign/ledger/<target>.json, or --ledger DIR: one entry per run, with the
source commit, the date, the executions and coverage) adds up to N executions without a
finding; --seconds S beside it caps this chunk. Each chunk resumes from the working corpus
the last one left, so the chunks are one campaign with restarts (libFuzzer keeps no other
state). On machines that do not last (CI, a VM a session), --ledger tests/fuzz/ledger and
--merge keep both with the source: the next chunk, on another machine, goes on from the
committed ledger and seeds.

Usage: fuzz_campaign.py --build DIR [--runs N | --seconds S | --total N [--seconds S]]
       [--ledger DIR] [--targets a,b] [--merge] [--jobs J] [--json FILE]. --jobs runs J targets at a
time (one core each; default 1). Prints a table and one JSON line
("benchmark":"fuzz_campaign"); exit 0 when no target found anything, 1 otherwise.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
SEEDS = os.path.join(TOP, "tests", "fuzz", "seeds")


def targets(build):
    found = {}
    for p in sorted(glob.glob(os.path.join(build, "tests", "fuzz", "fuzz_*"))):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            found[os.path.basename(p)[len("fuzz_"):]] = p
    return found


def ledger_path(ldir, name):
    return os.path.join(ldir, name + ".json")


def ledger_read(ldir, name):
    """The chunks run so far for a target: a list of dicts (empty if none)."""
    try:
        with open(ledger_path(ldir, name)) as f:
            chunks = json.load(f)
    except FileNotFoundError:
        return []
    if not isinstance(chunks, list):
        raise SystemExit("fuzz campaign: %s is not a ledger (a JSON list)" %
                         ledger_path(ldir, name))
    return chunks


def ledger_done(chunks):
    """Executions of the ledger's chunks, and whether one of them had a finding."""
    return (sum(int(c.get("execs", 0)) for c in chunks),
            any(c.get("finding") for c in chunks))


def build_commit(build):
    """The commit of the source tree the fuzz build was configured from (meson-info), with
    "-dirty" when that tree has changes not committed. (The build may be older than the
    tree: rebuild before a chunk.)"""
    src = TOP
    try:
        with open(os.path.join(build, "meson-info", "meson-info.json")) as f:
            src = json.load(f)["directories"]["source"]
    except (OSError, ValueError, KeyError):
        pass
    return subprocess.run(["git", "-C", src, "describe", "--always", "--dirty", "--abbrev=7"],
                          capture_output=True, text=True).stdout.strip() or None


def ledger_add(ldir, name, row, commit):
    chunks = ledger_read(ldir, name)
    chunks.append({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "commit": commit, "execs": row["execs"], "wall_s": row["wall_s"],
                   "execs_per_s": row["execs_per_s"], "cov": row["cov"], "ft": row["ft"],
                   "corpus": row["corpus"], "finding": row["finding"]})
    os.makedirs(ldir, exist_ok=True)
    tmp = ledger_path(ldir, name) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(chunks, f, indent=1)
        f.write("\n")
    os.replace(tmp, ledger_path(ldir, name))
    return ledger_done(chunks)[0]


def run_target(name, exe, work, runs, seconds, merge):
    corpus = os.path.join(work, "corpus", name)
    arts = os.path.join(work, "artifacts")
    seeds = os.path.join(SEEDS, name)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(arts, exist_ok=True)
    os.makedirs(seeds, exist_ok=True)
    cmd = [exe, "-max_len=4096", "-timeout=10", "-rss_limit_mb=2048",
           "-print_final_stats=1", "-artifact_prefix=%s/%s-" % (arts, name)]
    if runs:
        cmd += ["-runs=%d" % runs]
    if seconds:
        cmd += ["-max_total_time=%d" % seconds]
    cmd += [corpus, seeds]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    wall = time.monotonic() - t0
    err = p.stderr
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", err, re.M))
    last = [l for l in err.splitlines() if re.match(r"^#\d+\s", l)]
    cov = ft = corp = None
    if last:
        m = re.search(r"cov: (\d+) ft: (\d+) corp: (\d+)", last[-1])
        if m:
            cov, ft, corp = (int(x) for x in m.groups())
    finding = None
    if p.returncode != 0:
        m = re.search(r"^(==\d+==ERROR: .*|.*runtime error: .*|.*ALARM: .*|"
                      r"==\d+== ERROR: libFuzzer: .*)$", err, re.M)
        finding = m.group(1)[:300] if m else "exit status %d" % p.returncode
    row = {"target": name, "rc": p.returncode, "wall_s": round(wall, 1),
           "execs": int(stats.get("number_of_executed_units", 0)),
           "execs_per_s": int(stats.get("average_exec_per_sec", 0)),
           "new_units": int(stats.get("new_units_added", 0)),
           "peak_rss_mb": int(stats.get("peak_rss_mb", 0)),
           "cov": cov, "ft": ft, "corpus": corp, "finding": finding,
           "artifacts": sorted(os.path.basename(a) for a in
                               glob.glob(os.path.join(arts, name + "-*")))}
    if merge and p.returncode == 0:
        before = len(os.listdir(seeds))
        m = subprocess.run([exe, "-merge=1", "-max_len=4096", "-timeout=10",
                            "-rss_limit_mb=2048", seeds, corpus],
                           capture_output=True, text=True, errors="replace")
        row["merged"] = len(os.listdir(seeds)) - before if m.returncode == 0 else None
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the clang fuzz build (build-fuzz)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--runs", type=int, help="executions per target")
    g.add_argument("--total", type=int,
                   help="executions per target over every run in its ledger: run the rest "
                        "(with --seconds, at most that long this time)")
    ap.add_argument("--seconds", type=int,
                    help="seconds per target (default 60; with --total, a cap)")
    ap.add_argument("--targets", help="comma-separated (default: every fuzz_* built)")
    ap.add_argument("--ledger", help="the ledgers' directory (default: BUILD/campaign/ledger; "
                    "tests/fuzz/ledger to keep them with the source, so that a campaign "
                    "goes on from another machine)")
    ap.add_argument("--merge", action="store_true",
                    help="merge new coverage into tests/fuzz/seeds")
    ap.add_argument("--jobs", type=int, default=1,
                    help="targets run at a time, one core each (default 1)")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    if a.jobs < 1:
        print("fuzz campaign: --jobs must be at least 1")
        return 2
    have = targets(a.build)
    if not have:
        print("fuzz campaign: no fuzz_* targets in %s/tests/fuzz (build with CC=clang "
              "-Dfuzz=true)" % a.build)
        return 2
    names = a.targets.split(",") if a.targets else sorted(have)
    unknown = [n for n in names if n not in have]
    if unknown:
        print("fuzz campaign: unknown target(s) %s; built: %s" % (", ".join(unknown),
                                                                 ", ".join(sorted(have))))
        return 2
    if a.runs and a.seconds:
        print("fuzz campaign: give --runs or --seconds, not both (--seconds caps --total)")
        return 2
    if (a.runs is not None and a.runs < 1) or (a.total is not None and a.total < 1) or \
            (a.seconds is not None and a.seconds < 1):
        print("fuzz campaign: --runs, --total and --seconds must be at least 1")
        return 2
    runs, seconds = a.runs, (a.seconds or (0 if a.runs or a.total else 60))
    work = os.path.join(a.build, "campaign")
    ldir = a.ledger or os.path.join(work, "ledger")
    def one(n):
        todo = runs
        if a.total:
            done, found = ledger_done(ledger_read(ldir, n))
            if found:
                print("# %s: its ledger has a finding: fix it and start a new ledger "
                      "(remove %s)" % (n, ledger_path(ldir, n)), flush=True)
                return {"target": n, "rc": 1, "wall_s": 0, "execs": 0, "execs_per_s": 0,
                        "new_units": 0, "peak_rss_mb": 0, "cov": None, "ft": None,
                        "corpus": None, "finding": "earlier finding in the ledger",
                        "artifacts": [], "ledger_execs": done}
            todo = a.total - done
            if todo <= 0:
                print("# %s: %d executions in its ledger already" % (n, done), flush=True)
                return {"target": n, "rc": 0, "wall_s": 0, "execs": 0, "execs_per_s": 0,
                        "new_units": 0, "peak_rss_mb": 0, "cov": None, "ft": None,
                        "corpus": None, "finding": None, "artifacts": [],
                        "ledger_execs": done}
        commit = build_commit(a.build)  # the source as the chunk starts ("-dirty": edited)
        r = run_target(n, have[n], work, todo, seconds, a.merge)
        if a.total:
            r["ledger_execs"] = ledger_add(ldir, n, r, commit)
        print("# %s: %d executions in %.0f s%s%s" % (
            n, r["execs"], r["wall_s"],
            ", %d in its ledger" % r["ledger_execs"] if a.total else "",
            ", FINDING: " + r["finding"] if r["finding"] else ""), flush=True)
        return r
    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        rows = list(pool.map(one, names))  # in the order asked, whatever finished first
    found = [r for r in rows if r["finding"]]
    each = ("%d executions over its ledger's runs%s" % (
        a.total, ", at most %d s now" % seconds if seconds else "") if a.total else
        "%d executions" % runs if runs else "%d s" % seconds)
    print("fuzz campaign: %d targets, %s each, ASan + UBSan (build: %s)" % (
        len(rows), each, a.build))
    print("%-18s %14s %10s %7s %8s %8s %8s %8s %14s  %s" % (
        "target", "executions", "exec/s", "cov", "ft", "corpus", "new", "rss MB",
        "ledger" if a.total else "", "finding"))
    for r in rows:
        print("%-18s %14d %10d %7s %8s %8s %8d %8d %14s  %s" % (
            r["target"], r["execs"], r["execs_per_s"], r["cov"], r["ft"], r["corpus"],
            r["new_units"], r["peak_rss_mb"],
            r["ledger_execs"] if a.total else "", r["finding"] or "-"))
    total = sum(r["execs"] for r in rows)
    print("total: %d executions, %d findings" % (total, len(found)))
    out = {"benchmark": "fuzz_campaign", "runs": runs, "seconds": seconds, "total": a.total,
           "total_execs": total, "findings": len(found), "rows": rows}
    line = json.dumps(out, separators=(",", ":"))
    print(line)
    if a.json:
        with open(a.json, "w") as f:
            f.write(line + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""mixgen --impair: user-space netem on what mixgen sends (loss, duplicates, delay with
jitter, reordering; seeded). Against the daemon over memif:

- switch and forward: the impairment happened at the rates asked (binomial bounds), every
  duplicate copy was refused by the daemon as an SRTP replay and nothing else was dropped,
  receivers got every packet that was not dropped on the way in (no loss by the daemon) and
  no duplicate; in forward mode (the daemon relays without renumbering) the reordering is
  seen by the receivers;
- mix: the jitter buffer absorbs it: one mixed packet per ptime, nobody hears itself;
- bad specifications are refused with a specific message and exit status 2.
"""
import math

import mglab
import mxplab
from mxplab import check

SPEC = "loss=5%,dup=5%,reorder=5%,delay=5,jitter=5,seed=7"


def within(k, n, p, what):
    """k of n events at probability p: within 5 standard deviations."""
    sd = math.sqrt(n * p * (1 - p))
    check(abs(k - n * p) <= 5 * sd + 1,
          "%s: %d of %d, expected %.0f +- %.0f (p=%g)" % (what, k, n, n * p, 5 * sd, p))


def impaired_run(lab, mode):
    r = lab.mixgen("--mode", mode, "--participants", "4", "--duration", "3",
                   "--impair", SPEC)
    check(r.json is not None, "%s: mixgen printed its JSON line: %s" % (mode, r.stderr[-400:]))
    check(r.rc == 0, "%s: every check passed under impairment: %s" % (mode, r.failed_checks()))
    im = r.json.get("impair")
    check(im is not None and im["seed"] == 7 and im["loss"] == 0.05,
          "%s: the JSON line reports the impairment: %s" % (mode, im))
    built = r.json["run"]["sent"] + im["dropped"]
    check(built > 400, "%s: %d packets built" % (mode, built))
    within(im["dropped"], built, 0.05, mode + " dropped")
    survivors = built - im["dropped"]
    within(im["duplicated"], survivors, 0.05, mode + " duplicated")
    within(im["reordered"], survivors, 0.05, mode + " reordered")
    check(im["dup_sent"] == im["duplicated"] and im["overflow"] == 0 and im["queued"] == 0,
          "%s: every copy went out, nothing overflowed or stayed queued: %s" % (mode, im))
    drops = r.json.get("daemon_drops") or {}
    check(drops.get("srtp_replay", 0) == im["dup_sent"],
          "%s: the daemon refused exactly the %d copies as replays: %s"
          % (mode, im["dup_sent"], drops))
    per_leg = sum(leg.get("impair_lost", 0) for leg in r.json["legs"])
    check(per_leg == im["dropped"], "%s: per-leg impair_lost adds up (%d vs %d)"
          % (mode, per_leg, im["dropped"]))
    return r


def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-impair") as lab:
        r = impaired_run(lab, "switch")
        check(r.json["run"]["lost"] == 0 and
              all(leg["dup"] == 0 for leg in r.json["legs"]),
              "switch: no loss by the daemon, no duplicate heard: %s" % r.json["run"])
        r = impaired_run(lab, "forward")
        reo = sum(leg["reorder"] for leg in r.json["legs"])
        check(r.json["run"]["lost"] == 0 and reo > 0,
              "forward: receivers get every surviving packet and see the reordering "
              "(%d reordered): %s" % (reo, r.json["run"]))
        r = lab.mixgen("--mode", "mix", "--participants", "3", "--duration", "3",
                       "--impair", "loss=2%,dup=2%,delay=20,jitter=20,seed=3")
        check(r.rc == 0, "mix under impairment: every check passed: %s" % r.failed_checks())
        for spec, want in (("loss=2", "a probability"), ("drop=1%", "unknown 'drop'"),
                           ("delay=-1", "milliseconds"), ("seed=x", "an unsigned integer"),
                           ("loss=0", "nothing to impair"), ("loss", "KEY=VALUE")):
            r = lab.mixgen("--impair", spec, "--duration", "1")
            check(r.rc == 2 and want in r.stderr,
                  "--impair %s refused (exit %d): %r" % (spec, r.rc, r.stderr[-300:]))
        r = lab.mixgen("--impair", "loss=1%", "--search")
        check(r.rc == 2 and "not with --search" in r.stderr,
              "--impair with --search refused: %r" % r.stderr[-300:])
        lab.stop()


mxplab.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mrfc churn: a join/leave trace replayed against the daemon over Mp/ESP, the group key
rekeyed by a policy (doc/mp.md "Rekey policies, live").

- The decisions are the model's (benchmarks/rekey/rekey_policy.py, an independent Python
  implementation): with dry-run=on, for the three traces and every policy the model
  reports, the rekey times and the exposures equal the model's.
- Live, time-compressed, against the daemon: every Add, Subtract and wildcard Modify is
  answered without error, as many rekeys as the model decides, each one observed no
  earlier than the model's time and within the run's latency after it; one step and two
  step (new key installed, then switched to); midway through a trace the conference holds
  exactly the present members, all in one key group, whose receive key is the one mrfc
  last gave them; at the end of the trace the daemon holds no conference.
- Bad arguments are refused with a specific message and exit status 1.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, MRFC  # noqa: E402
from mplab import mp_config, read_keys  # noqa: E402
from esp_common import tmpdir  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(TOP, "benchmarks", "rekey"))
import rekey_policy as model  # noqa: E402

POLICIES = ["immediate", "interval:10", "interval:60", "count:5", "count:20", "bounded:10:30",
            "bounded:50:60", "leave-only:30"]


def write_trace(path, ev):
    with open(path, "w") as f:
        for (t, d, p) in ev:
            f.write("%.6f %+d %d\n" % (t, d, p))


def last_json(out):
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise mxplab.TestFailure("no JSON line in:\n" + out)


def dry_run_equals_model(tmp):
    for kind, n in (("meeting", 30), ("webinar", 30), ("townhall", 200)):
        ev = model.trace(kind, n)
        path = os.path.join(tmp, kind + ".txt")
        write_trace(path, ev)
        for pol in POLICIES:
            r = subprocess.run([MRFC, "--plaintext", "--mrfp", "127.0.0.2", "--quiet", "churn",
                                "trace=" + path, "policy=" + pol, "dry-run=on"],
                               capture_output=True, text=True, timeout=60)
            j = last_json(r.stdout)
            rk, _ = model.simulate(ev, pol)
            fwd, bwd = model.exposures(ev, rk)
            same = (r.returncode == 0 and len(rk) == len(j["rekey_times"]) and
                    all(abs(a - b) < 1e-3 for a, b in zip(rk, j["rekey_times"])))
            fmax = max(fwd) if fwd else 0
            fwd_ok = ((fmax == float("inf")) == (j["never_rekeyed"] > 0) and
                      (fmax == float("inf") or abs(fmax - j["fwd_exposure_max_s"]) < 1e-3))
            bwd_ok = (abs(max(bwd) - j["bwd_exposure_max_s"]) < 1e-3 and
                      abs(model.pct(bwd, 0.95) - j["bwd_exposure_p95_s"]) < 1e-3)
            check(same and fwd_ok and bwd_ok,
                  "%s/%d %s: mrfc decides as the model (%d rekeys vs %d; fwd max %s vs %s; "
                  "bwd max %.1f vs %.1f)" % (kind, n, pol, len(j["rekey_times"]), len(rk),
                                             j["fwd_exposure_max_s"], fmax,
                                             j["bwd_exposure_max_s"], max(bwd)))


def conferences(lab):
    return lab.ctl_json("show", "conferences")


def live(lab, tmp, ev, pol, speed, extra=(), keys=None):
    path = os.path.join(tmp, "live.txt")
    write_trace(path, ev)
    r = lab.mrfc("--quiet", "churn", "trace=" + path, "policy=" + pol, "speed=%g" % speed,
                 "remote=%s:30000" % KERNEL_IP4, *extra, keys=keys, timeout=300)
    j = last_json(r.stdout)
    rk, _ = model.simulate(ev, pol)
    # a rekey the model decides at or after the trace's last event still goes out
    check(j["ok"] and j["errors"] == 0 and j["rekeys"] == len(rk),
          "%s live at %gx %s: every transaction answered, %d rekeys as the model (%d): %s"
          % (pol, speed, " ".join(extra), j["rekeys"], len(rk),
             {k: j[k] for k in ("transactions", "latency_ms", "rekeys_empty")}))
    slack = speed * max(0.25, 4 * j["latency_ms"]["max"] / 1000.0)
    late = [(a, b) for a, b in zip(rk, j["rekey_times"]) if not (a - 1e-3 <= b <= a + slack)]
    check(not late, "%s: every rekey observed at the model's time, within %.2f trace s "
          "(first off: %s)" % (pol, slack, late[:1]))
    return j


def test():
    with tmpdir() as tmp:
        dry_run_equals_model(tmp)
        sect, ca, _ = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, "event_poll_ms = 100\n")
        with Lab("mpchurn", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            meeting = model.trace("meeting", 12)     # about 2,000 trace seconds
            live(lab, tmp, meeting, "immediate", 200)
            check(conferences(lab) == [], "after the trace everybody left: no conference")
            live(lab, tmp, meeting, "bounded:5:30", 200, ("rekey=two-step", "overlap=5"))
            check(conferences(lab) == [], "two-step: no conference left either")

            # Midway: the present members, one key group, the key mrfc last gave them.
            half = meeting[:len(meeting) // 2]
            present = model.present_at(half, half[-1][0])
            keys = os.path.join(lab.dir, "keys.txt")
            live(lab, tmp, half, "count:3", 200, keys=keys)
            confs = conferences(lab)
            check(len(confs) == 1 and confs[0]["legs"] == len(present) and
                  confs[0]["keygroups"] == 1,
                  "midway: one conference of the %d present members, one key group: %s"
                  % (len(present), confs))
            legs = read_keys(keys)
            check(len(legs) == len(present) and len({leg["rx"] for leg in legs}) == 1,
                  "the participant key file has the %d members, one receive key for all"
                  % len(present))
            lab.mrfc("subtract", "ctx=%d" % legs[0]["ctx"], "term=*", keys=keys)

            bad = os.path.join(tmp, "bad.txt")
            with open(bad, "w") as f:
                f.write("1 +1 5\n2 -1 5\n3 -1 5\n")
            for args, want in ((("policy=sometimes",), "expected immediate, interval:T"),
                               (("policy=count:0",), "K a whole number"),
                               (("speed=0",), "speed=0"),
                               (("rekey=three-step",), "one-step or two-step"),
                               ((), "trace=FILE is required"),
                               (("dry-run=on",), "leaves but is not present"),
                               # a keys file must be a regular file: /dev/null keeps its mode
                               (("keys-history=/dev/null",), "not a regular file")):
                extra = () if "trace" in want else ("trace=" + os.path.join(tmp, "live.txt"),)
                if want == "leaves but is not present":
                    extra = ("trace=" + bad,)
                r = lab.mrfc("churn", *(extra + args), check_rc=False)
                check(r.returncode == 1 and want in r.stderr,
                      "churn %s refused (exit %d): %r" % (" ".join(args), r.returncode,
                                                          r.stderr[-200:]))
            check(os.stat("/dev/null").st_mode & 0o777 == 0o666, "/dev/null is still mode 0666")


mxplab.main(test)

"""The soak's short mode (tests/reliability/soak.py, scripts/reliability.sh soak --short):
each mode calibrated up to 64 legs, then 40 s of impaired media at 80 % of that in
conferences created and deleted back to back (switch, forward, mix, with a rekey halfway),
while three libsrtp2 participants talk in a switch conference of their own and mrfc
churns and rekeys a conference over Mp/ESP and audits it. Passes when the soak's own
verdict passes and its figures hold together: every mode was calibrated and ran with
more than one conference, the impairment dropped and duplicated packets, the daemon lost
none, the libsrtp2 participants heard every packet, Mp joins, leaves, rekeys and audits all
answered, memory did not grow, SIGTERM exit 0."""
import json
import os
import subprocess
import sys

import mglab
import mxplab
from mxplab import check

SOAK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "reliability",
                    "soak.py")


def test():
    mglab.need_hugepages()
    p = subprocess.run([sys.executable, SOAK, "--seconds", "40", "--run-seconds", "5",
                        "--max-legs", "64", "--calibrate-seconds", "2"],
                       capture_output=True, text=True, timeout=600)
    print(p.stdout[-4000:])
    line = [x for x in p.stdout.splitlines() if x.startswith("{")]
    check(line, "the soak printed its JSON line: %s" % p.stderr[-1000:])
    j = json.loads(line[-1])
    check(p.returncode == 0 and j["ok"], "the soak passed: %s" % j["failures"])
    check(j["mixgen_runs"] >= 3 and j["mixgen_failed"] == 0,
          "%d mixgen runs, none failed" % j["mixgen_runs"])
    check(j["impair_dropped"] > 0 and j["duplicates_sent"] > 0 and j["lost_by_daemon"] == 0,
          "impairment dropped %d and duplicated %d packets; the daemon lost %d"
          % (j["impair_dropped"], j["duplicates_sent"], j["lost_by_daemon"]))
    check(set(j["capacity_confs"]) == {"switch", "forward", "mix"} and
          all(n > 1 for n in j["run_confs"].values()),
          "every mode calibrated (%s) and run at %g %% of it (%s conferences)"
          % (j["capacity_confs"], j["load_pct"], j["run_confs"]))
    s2 = j["libsrtp2"]
    check(s2.get("heard") == s2.get("expected") and s2["expected"] > 0 and
          s2["auth_fail"] == 0 and s2["bad_payload"] == 0,
          "libsrtp2 participants heard every packet of each other: %s" % s2)
    mp = j["mp"]
    check(mp["joins"] > 0 and mp["leaves"] > 0 and mp["rekeys"] > 0 and mp["audits"] > 0 and
          mp["errors"] == 0 and mp["audit_errors"] == 0,
          "Mp churn: %s" % mp)
    check(not j["memory_grew"] and j["memory_last"]["legs"] == 0 and j["sigterm_exit"] == 0,
          "no memory growth, no leg left, clean SIGTERM: %s" % j["memory_last"])


mxplab.main(test)

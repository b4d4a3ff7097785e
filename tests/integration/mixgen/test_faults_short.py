"""The faults' short mode (tests/reliability/faults.py, scripts/reliability.sh faults --short):
the MRFC away at start and after set-up, an ESP SA pair replaced make before break under a
loop of audits, sequence numbers across 2^32 with and without ESN, a port flap, a stalled
worker and a SIGKILL with restart, each while media flows. Passes when faults.py's verdict
passes and its JSON line holds together: every check ran and passed, no Mp transaction was
lost across the SA replacement, and the restart rebuilt media."""
import json
import os
import subprocess
import sys

import mxplab
from mxplab import check

FAULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "reliability",
                      "faults.py")


def test():
    p = subprocess.run([sys.executable, FAULTS, "--short"], capture_output=True, text=True,
                       timeout=600)
    print(p.stdout[-6000:])
    line = [x for x in p.stdout.splitlines() if x.startswith("{")]
    check(line, "faults.py printed its JSON line: %s" % p.stderr[-1000:])
    j = json.loads(line[-1])
    check(p.returncode == 0 and j["ok"] and not j["failed"], "every check passed: %s"
          % j["failed"])
    f = j["figures"]
    check(j["checks"] >= 25, "%d checks ran" % j["checks"])
    check(f.get("mbb_transactions", 0) > 0 and f.get("mbb_lost") == 0,
          "SA replaced make before break: %s transactions, none lost"
          % f.get("mbb_transactions"))
    check("restart_to_media_s" in f and "mrfc_up_to_sc_s" in f and "stall_refusal_s" in f and
          "flap_resume_ms" in f and "sctp_mrfc_up_to_sc_s" in f,
          "every fault reported its figure: %s" % f)


mxplab.main(test)

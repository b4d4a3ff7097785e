"""The flood's short mode (tests/reliability/flood.py, scripts/reliability.sh flood --short):
50 honest switch conferences of 4 at real time, with mixgen's flood of forged, replayed and
malformed packets at 0, 20,000 and 100,000 packets a second, 2 s each. Passes when the
flood's own verdict passes and its figures hold together: the flood reached about the rate
asked, every honest packet arrived at every rate, the daemon refused each flood packet under
its reason (mixgen's checks), SIGTERM exit 0."""
import json
import os
import subprocess
import sys

import mglab
import mxplab
from mxplab import check

FLOOD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "reliability",
                     "flood.py")


def test():
    mglab.need_hugepages()
    p = subprocess.run([sys.executable, FLOOD, "--short"], capture_output=True, text=True,
                       timeout=600)
    print(p.stdout[-3000:])
    line = [x for x in p.stdout.splitlines() if x.startswith("{")]
    check(line, "the flood printed its JSON line: %s" % p.stderr[-1000:])
    j = json.loads(line[-1])
    check(p.returncode == 0 and j["pass"], "the flood run passed: %s" % j["failures"])
    rows = {r["rate"]: r for r in j["rows"]}
    check(set(rows) == {"0", "20000", "100000"}, "three rates ran: %s" % sorted(rows))
    for rate in ("20000", "100000"):
        r = rows[rate]
        check(r["flood_pps"] > 0.8 * int(rate) and r["flood_sent"] > 0,
              "rate %s: the flood reached %.0f packets/s" % (rate, r["flood_pps"]))
        check(r["lost"] == 0 and r["expected"] > 0 and r["rc"] == 0,
              "rate %s: %d honest packets expected, none lost, every check passed"
              % (rate, r["expected"]))
        d = r["daemon_drops"]
        check(sum(d.values()) == r["flood_sent"],
              "rate %s: the daemon dropped exactly the %d flood packets: %s"
              % (rate, r["flood_sent"], d))
    check(rows["0"]["daemon_drops"] == {} and rows["0"]["lost"] == 0,
          "without a flood nothing was dropped or lost: %s" % rows["0"])


mxplab.main(test)

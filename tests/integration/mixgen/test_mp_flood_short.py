"""The Mp flood's short mode (tests/reliability/mp_flood.py, scripts/reliability.sh mp-flood
--short): garbage, one transaction retransmitted, transactions at 1,000 a second and as
fast as mrfc sends, 2 s each, inside valid ESP, while mixgen carries 10 switch conferences
and the CLI is asked every 50 ms. Passes when its own verdict passes and the figures hold
together: garbage answered 400 and never applied, the retransmitted transaction applied
once, the sustainable rate answered in full, every message accounted for, no media lost,
every CLI request answered, SIGTERM exit 0."""
import json
import os
import subprocess
import sys

import mglab
import mxplab
from mxplab import check

MP_FLOOD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "reliability",
                        "mp_flood.py")


def test():
    mglab.need_hugepages()
    p = subprocess.run([sys.executable, MP_FLOOD, "--short"], capture_output=True, text=True,
                       timeout=600)
    print(p.stdout[-3000:])
    line = [x for x in p.stdout.splitlines() if x.startswith("{")]
    check(line, "the Mp flood printed its JSON line: %s" % p.stderr[-1000:])
    j = json.loads(line[-1])
    check(p.returncode == 0 and j["pass"], "the Mp flood passed: %s" % j["failures"])
    rows = {(r["kind"], str(r["rate"])): r for r in j["rows"]}
    g = rows[("garbage", "max")]
    check(g["flood"]["sent"] > 1000 and g["daemon"]["requests"] == 0 and
          g["daemon"]["e400"] > 0, "garbage: %d sent, none applied, %d answered 400"
          % (g["flood"]["sent"], g["daemon"]["e400"]))
    r = rows[("retransmit", "max")]
    check(r["daemon"]["requests"] - r["daemon"]["replies_cached"] == 1 and
          r["daemon"]["replies_cached"] > 1000,
          "retransmit: applied once, %d copies answered from the reply cache"
          % r["daemon"]["replies_cached"])
    a = rows[("audit", "1000")]
    check(a["flood"]["sent"] >= 1900 and a["flood"]["unanswered"] == 0,
          "1,000 transactions a second: %d sent, all answered" % a["flood"]["sent"])
    m = j["media"]
    check((m["rc"] == 0 or m.get("ok")) and m["lost"] == 0 and m["expected"] > 0,
          "media: %s expected, none lost" % m["expected"])
    o = rows[("add", "max")]["flood"]["ocp"]
    check(o["notifies"] >= 1 and o["refused_overload"] > 0 and
          (o["refused_cache"] == 0 or o["first_cache_ms"] > o["first_overload_ms"]),
          "Adds: ocp/mg_overload and %d refused 'overloaded' before any 'reply cache full' "
          "(%d)" % (o["refused_overload"], o["refused_cache"]))
    check(j["cli"]["failed"] == 0 and j["cli"]["requests"] > 20,
          "CLI: %d requests, all answered" % j["cli"]["requests"])


mxplab.main(test)

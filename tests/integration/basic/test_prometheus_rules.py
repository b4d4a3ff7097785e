"""deploy/prometheus: the example scrape configuration and the alert rules are valid
(promtool check config, check rules), and the rules' unit tests pass (promtool test rules
alerts_test.yml: every alert fires on a series that should raise it and stays quiet on one
that should not). The metric names the rules use are checked against a live daemon's page
by basic_metrics."""
import os
import subprocess
import mxplab
from mxplab import check, SOURCE

DIR = os.path.join(SOURCE, "deploy", "prometheus")


def promtool(*args):
    r = subprocess.run(["promtool"] + list(args), cwd=DIR, capture_output=True, text=True,
                       timeout=120)
    return r.returncode, (r.stdout + r.stderr).strip()


def test():
    rc, out = promtool("check", "config", "prometheus.yml")
    check(rc == 0, "promtool check config prometheus.yml (with alerts.yml)%s" % (
        "" if rc == 0 else ":\n" + out))
    rc, out = promtool("check", "rules", "alerts.yml")
    check(rc == 0 and "SUCCESS" in out, "promtool check rules alerts.yml: %s" % out.splitlines()[-1])
    rc, out = promtool("test", "rules", "alerts_test.yml")
    check(rc == 0, "promtool test rules alerts_test.yml%s" % ("" if rc == 0 else ":\n" + out))
    with open(os.path.join(DIR, "alerts.yml")) as f:
        rules = f.read()
    with open(os.path.join(DIR, "alerts_test.yml")) as f:
        tests = f.read()
    alerts = [l.split(":", 1)[1].strip() for l in rules.splitlines()
              if l.strip().startswith("- alert:")]
    untested = [a for a in alerts if "alertname: %s\n" % a not in tests]
    check(alerts and not untested, "every alert of alerts.yml has unit tests (%s)%s" % (
        ", ".join(alerts), " missing: %s" % untested if untested else ""))


mxplab.main(test)

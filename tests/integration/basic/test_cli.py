"""mixplanectl against a running daemon: owner-only socket, clear errors, --json on every
show command, telemetry with the same counters, graceful SIGINT shutdown."""
import json
import os
import stat
import subprocess
import mxplab
from mxplab import check, Lab, DAEMON_IP4, MIXPLANECTL, MIXPLANE

SHOW = [["show", "version"], ["show", "ports"], ["show", "stats"], ["show", "drops"],
        ["show", "drops", "all"], ["show", "neighbours"], ["show", "neighbors"], ["show", "memory"],
        ["help"]]


def test():
    with Lab("cli") as lab:
        st = os.stat(lab.sock)
        check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0,
              "control socket is owner-only (mode %o)" % stat.S_IMODE(st.st_mode))
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            MIXPLANECTL, "-s", lab.sock, "show", "version"],
                           capture_output=True, text=True)
        check(r.returncode == 4 and "ermission denied" in r.stderr,
              "another user is refused (exit 4): %s" % r.stderr.strip())

        for cmd in SHOW:
            out = lab.ctl(*(cmd + ["--json"])).stdout
            try:
                json.loads(out)
                ok = True
            except ValueError:
                ok = False
            check(ok, "%s --json is valid JSON" % " ".join(cmd))
            check(lab.ctl(*cmd).stdout.strip() != "", "%s prints text" % " ".join(cmd))
        r = lab.ctl("show", "bogus", check_rc=False)
        check(r.returncode == 2 and "unknown command 'show bogus'" in r.stderr,
              "unknown command: exit 2, '%s'" % r.stderr.strip())
        r = lab.ctl("show", "ports", "extra", check_rc=False)
        check(r.returncode == 2 and "usage: show ports" in r.stderr, "extra argument: usage")
        r = lab.ctl("show", "\"unterminated", check_rc=False)
        check(r.returncode == 2, "unterminated quote is a usage error")
        help_text = lab.ctl("help").stdout
        for c in ("show ports", "show stats", "show drops", "show neighbours", "show version"):
            check(c in help_text, "help lists '%s'" % c)

        # Telemetry reads the same counters.
        lab.ns_run(["ping", "-c", "4", "-i", "0.2", DAEMON_IP4])
        stats = lab.stats()
        tel = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix], input="/mixplane/stats\n",
                             capture_output=True, text=True, timeout=30)
        doc = json.loads(tel.stdout[tel.stdout.index("{"):])
        t = doc["/mixplane/stats"]
        check(t["echo_replies"] == stats["echo_replies"] == 4,
              "telemetry /mixplane/stats echo_replies == show stats == 4")
        tel = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix], input="/mixplane/drops\n",
                             capture_output=True, text=True, timeout=30)
        d = json.loads(tel.stdout[tel.stdout.index("{"):])["/mixplane/drops"]
        check(set(d) == set(lab.drops()), "telemetry /mixplane/drops has every drop reason")

        # A second daemon must not steal the socket of a running one.
        cfg2 = lab.cfg + ".2"
        with open(cfg2, "w") as f:
            f.write(lab.config_text())
        r = subprocess.run([MIXPLANE, "-l", "0,1", "--no-pci", "--no-huge", "-m", "1024",
                            "--file-prefix", lab.prefix + "b", "--", "-f", cfg2],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "already listening" in r.stdout + r.stderr,
              "a second daemon on the same socket refuses to start")
        subprocess.run(["rm", "-rf", "/var/run/dpdk/%sb" % lab.prefix])
        check(lab.ctl("show", "version").returncode == 0, "the first daemon still answers")

        rc = lab.stop(sig=2)
        check(rc == 0, "SIGINT: exit 0")
        check(not os.path.exists(lab.sock), "control socket removed on exit")
        r = subprocess.run([MIXPLANECTL, "-s", lab.sock, "show", "ports"], capture_output=True, text=True)
        check(r.returncode == 5 and "not running" in r.stderr, "daemon gone: '%s'" % r.stderr.strip())
        # -s with no path is a usage error, not a fall back to $MIXPLANE_SOCKET or the default
        r = subprocess.run([MIXPLANECTL, "-s", "", "show", "ports"], capture_output=True,
                           text=True, env=dict(os.environ, MIXPLANE_SOCKET=lab.sock))
        check(r.returncode == 2 and "-s needs a socket path" in r.stderr,
              "-s '': exit 2: '%s'" % r.stderr.strip())
        r = subprocess.run([MIXPLANECTL, "-s", "/tmp/" + "x" * 120, "show", "ports"],
                           capture_output=True, text=True)
        check(r.returncode == 2 and "socket path too long" in r.stderr,
              "a socket path longer than sun_path: exit 2: '%s'" % r.stderr.strip())


mxplab.main(test)

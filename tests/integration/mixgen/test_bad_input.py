"""Bad input to mixgen: clear errors and the right exit status, never a hang.

  - bad arguments                              -> exit 2, the option named
  - a daemon that is not running               -> exit 2, "cannot be reached"
  - --mixplanectl naming no program             -> exit 2, the path named; naming the real
                                                  CLI, the run passes through it
  - a port whose link never comes up           -> exit 2 after --link-timeout
  - a WAV file that does not exist             -> exit 2
  - mixgen sending with a key the daemon lacks -> exit 1; the daemon counted authentication
                                                  failures and mixgen says so
  - mixgen holding a wrong key for the daemon's packets -> exit 1, authentication failures
"""
import os
import socket
import time

import mglab
import mxplab
from mxplab import check


def timed(lab, *args, **kw):
    t0 = time.monotonic()
    r = lab.mixgen(*args, **kw)
    return r, time.monotonic() - t0


def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-bad") as lab:
        r, _ = timed(lab, "--participants", "1")
        check(r.rc == 2 and "--participants '1'" in r.stderr,
              "one participant is refused, exit 2: %s" % r.stderr.strip().splitlines()[-1:])
        r, _ = timed(lab, "--no-such-option")
        check(r.rc == 2, "an unknown option: exit 2")
        r, _ = timed(lab, "--rate", "fast")
        check(r.rc == 2 and "--rate 'fast'" in r.stderr, "a bad rate is named: exit 2")

        # The daemon is not running: mixplanectl cannot reach the socket.
        r, dt = timed(lab, "--duration", "1", "--audio", "pattern",
                      sock=os.path.join(lab.dir, "nobody.sock"))
        check(r.rc == 2 and "cannot be reached" in r.stderr and dt < 20,
              "no daemon: exit 2 in %.1f s: %s" % (dt, r.stderr.strip().splitlines()[-1:]))

        # --mixplanectl: each command through that program instead of the socket.
        r, dt = timed(lab, "--duration", "1", "--audio", "pattern",
                      "--mixplanectl", os.path.join(lab.dir, "no-such-ctl"))
        check(r.rc == 2 and "no-such-ctl" in r.stderr and dt < 20,
              "--mixplanectl naming no program: exit 2 in %.1f s: %s"
              % (dt, r.stderr.strip().splitlines()[-1:]))
        r, dt = timed(lab, "--duration", "1", "--audio", "pattern",
                      "--mixplanectl", mxplab.MIXPLANECTL)
        check(r.rc == 0 and r.json and r.json["ok"],
              "--mixplanectl naming the CLI: the run passes through it (exit %s)" % r.rc)

        # A memif socket nobody listens on: the device does not start.
        r, dt = timed(lab, "--duration", "1", "--audio", "pattern", "--link-timeout", "1",
                      eal=lab.gen_eal_args(memif_socket=os.path.join(lab.dir, "nobody-memif.sock")))
        check(r.rc == 2 and "memif server" in r.stderr and dt < 20,
              "a memif without a server: exit 2 in %.1f s: %s"
              % (dt, [l for l in r.stderr.splitlines() if l.startswith("mixgen")]))

        # A socket that accepts but never speaks memif: the link stays down. (DPDK 22.11's
        # memif sockets are abstract by default: the name has no file.)
        path = os.path.join(lab.dir, "silent.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        srv.bind("\0" + path)
        srv.listen(4)
        try:
            r, dt = timed(lab, "--duration", "1", "--audio", "pattern", "--link-timeout", "1",
                          eal=lab.gen_eal_args(memif_socket=path))
        finally:
            srv.close()
        check(r.rc == 2 and "link is still down after 1.0 s" in r.stderr and dt < 20,
              "a port whose link never comes up: exit 2 in %.1f s: %s"
              % (dt, [l for l in r.stderr.splitlines() if l.startswith("mixgen")]))

        r, _ = timed(lab, "--audio", os.path.join(lab.dir, "missing.wav"))
        check(r.rc == 2 and "missing.wav" in r.stderr, "a missing WAV file: exit 2")

        # Wrong keys: mixgen sends with a key the daemon was not given.
        r, dt = timed(lab, "--participants", "3", "--duration", "0.5", "--audio", "pattern",
                      "--fault", "wrong-tx-key")
        check(r.rc == 1 and r.json and not r.json["ok"] and dt < 30,
              "sending with the wrong key: exit 1 in %.1f s" % dt)
        check(r.json["run"]["received"] == 0 and r.json["run"]["sent"] > 0,
              "nothing came back (%d sent)" % r.json["run"]["sent"])
        d = r.check("daemon drops")
        check(d and not d["pass"] and "srtp_auth" in d["detail"]
              and r.json["daemon_drops"].get("srtp_auth") == r.json["run"]["sent"],
              "the report shows the daemon's authentication drops: %s" % (d and d["detail"]))
        check(not r.check("every packet delivered")["pass"], "the delivery check fails")
        left = lab.ctl_json("show", "conferences")
        check(left == [], "mixgen removed its conferences after the failed run")

        # Wrong keys the other way: mixgen cannot authenticate what the daemon sends.
        r, dt = timed(lab, "--participants", "3", "--duration", "0.5", "--audio", "pattern",
                      "--fault", "wrong-rx-key")
        a = r.check("SRTP authentication")
        check(r.rc == 1 and a and not a["pass"] and dt < 30,
              "receiving with the wrong key: exit 1, %s" % (a and a["detail"]))
        check(r.check("daemon drops")["pass"], "... while the daemon dropped nothing")
        rc = lab.stop()
        check(rc == 0, "the daemon exits cleanly (status %s)%s" % (
            rc, "" if rc == 0 else "\n" + lab.read_log()[-2000:]))


mxplab.main(test)

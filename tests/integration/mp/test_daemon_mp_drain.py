#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Health, readiness and drain (mixplanectl health live|ready, drain): what Kubernetes'
probes and preStop hook run (doc/deployment.md "Health, readiness and drain").

- With Mp over ESP and a scapy MRFC as [mp] mrfc: `health ready` is not ready (exit 7, one
  line) while the MRFC has not answered ServiceChange Restart, ready (exit 0) once it has;
  `health live` is live (exit 0), also with --json.
- A conference of two legs set up by mrfc over Mp; `drain delay 60`: the MRFC receives
  ServiceChange on ROOT, Method Graceful, Reason 905, Delay 60; `health ready` says
  draining (exit 7); a new Add to context $ is refused with 503 and `conference create`
  with exit 8; a second drain changes nothing; the existing conference still relays media;
  subtracting its last leg makes the daemon exit 0 well before the delay.
- With Mp, `drain delay 2` with a mix conference up: the MRFC receives Graceful, Delay 2,
  and answers it; the daemon exits 0 when the delay has passed.
- Mp over SCTP, the association down when the drain starts: the next association's
  ServiceChange is Graceful with what is left of the delay, not Disconnected; the daemon
  exits 0 when the last leg is subtracted over it.
- Without Mp: ports up suffice for ready; `drain delay 300`, then `drain delay 2 wait` (the
  preStop form: a shorter delay shortens the drain) with a conference still up returns once
  the daemon has exited, 0, after the delay; a bad delay is refused (exit 2).
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, MIXPLANECTL, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config, read_keys  # noqa: E402
from esp_common import tmpdir  # noqa: E402

DELAY = 60


def health(lab, what, json_out=False):
    """mixplanectl health WHAT: (exit status, stdout)."""
    args = ["health", what] + (["--json"] if json_out else [])
    r = lab.ctl(*args, check_rc=False)
    return r.returncode, r.stdout


def media(lab, legs, ids, count=20):
    return lab.peer(KERNEL_IP4, rx=[(l["port"], l["rx"]) for l in legs],
                    tx=[(l["port"], l["mrfp"], l["mrfp_port"], l["tx"], 0x100 + i, ids[i])
                        for i, l in enumerate(legs)], count=count, interval_ms=20)


def with_mp():
    with tmpdir() as tmp:
        extra = "event_poll_ms = 100\nretx_initial_ms = 100\nretx_max_ms = 400\n" \
                "retx_giveup_ms = 60000\n"
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        with Lab("mpdrain", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            keys = os.path.join(lab.dir, "keys.txt")
            # -- not ready until the MRFC answers ServiceChange Restart ----------------------
            rc, out = health(lab, "ready")
            check(rc == 7 and out.strip().startswith("not ready: the MRFC has not answered "
                                                     "ServiceChange Restart") and
                  len(out.strip().splitlines()) == 1,
                  "health ready before the MRFC answered: exit 7, one line (%d: %s)"
                  % (rc, out.strip()))
            rc, out = health(lab, "ready", json_out=True)
            j = json.loads(out)
            check(rc == 7 and j["ready"] is False and j["ports_up"] and j["esp_sas"] > 0 and
                  j["service_change"] in ("sent", "failed"),
                  "health ready --json: not ready, ports up, ESP loaded (%s)" % out.strip())
            rc, out = health(lab, "live")
            check(rc == 0 and out.startswith("live"), "health live: exit 0 (%s)" % out.strip())
            rc, out = health(lab, "live", json_out=True)
            j = json.loads(out)
            check(rc == 0 and j["live"] is True and j["reason"] is None and j["workers"] == 1,
                  "health live --json (%s)" % out.strip())
            lab.ns_add_addr(MRFC_B)   # the MRFC appears: the Restart's retransmissions reach it
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            try:
                wait_for(lambda: health(lab, "ready")[0] == 0, 15, "health ready to pass")
                rc, out = health(lab, "ready")
                check(rc == 0 and "the MRFC answered" in out,
                      "health ready once the MRFC answered: exit 0 (%s)" % out.strip())

                # -- a conference over Mp, media through it -----------------------------------
                r = lab.mrfc("add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4,
                             keys=keys)
                legs = read_keys(keys)
                ctx = legs[0]["ctx"]
                check("result add ok" in r.stdout and len(legs) == 2,
                      "a conference of two legs over Mp (context %d)" % ctx)
                res = media(lab, legs, [1, 2])
                check(res["rx"][str(legs[0]["port"])]["from"] == {"2": 20},
                      "media flows before the drain")

                r = lab.mrfc("audit", "ctx=-", "term=ROOT", "what=stats")
                check("stat ROOT mxp/draining 0" in r.stdout,
                      "ROOT's statistics say not draining (mxp/draining 0)")

                # -- drain ----------------------------------------------------------------------
                t0 = time.monotonic()
                r = lab.ctl("drain", "delay", str(DELAY))
                check(r.stdout.startswith("draining: 1 conference(s)") and
                      "the MRFC is told: ServiceChange Graceful" in r.stdout,
                      "drain delay %d: %s" % (DELAY, r.stdout.strip()))
                sc = b.wait_request(r"Graceful", timeout=10, after=t0 - 1)
                check(sc is not None and "ROOT" in sc and
                      re.search(r"(Method|MT)\s*=\s*Graceful", sc) and
                      re.search(r"(Delay|DL)\s*=\s*%d\b" % DELAY, sc) and
                      '"905 ' in sc,
                      "the MRFC received ServiceChange ROOT Graceful, 905, Delay %d" % DELAY)
                rc, out = health(lab, "ready")
                check(rc == 7 and out.startswith("not ready: draining: 1 conference(s) left"),
                      "health ready while draining: exit 7 (%s)" % out.strip())
                rc, out = health(lab, "live")
                check(rc == 0, "health live while draining: still live")
                check(lab.ctl_json("show", "version")["draining"] is True and
                      "draining" in lab.ctl("show", "version").stdout,
                      "show version says draining")
                r = lab.mrfc("audit", "ctx=-", "term=ROOT", "what=stats")
                check("stat ROOT mxp/draining 1" in r.stdout,
                      "ROOT's statistics say draining (mxp/draining 1), what mrfc fleet reads")
                r = lab.mrfc("add", "legs=1", "mode=switch", "remote=%s:5100" % KERNEL_IP4,
                             check_rc=False)
                check("error 503" in r.stdout, "Add to context $ while draining: error 503 (%s)"
                      % (r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr))
                r = lab.ctl("conference", "create", check_rc=False)
                check(r.returncode == 8 and "draining" in r.stderr,
                      "conference create while draining: exit 8 (%s)" % r.stderr.strip())
                r = lab.ctl("drain", "delay", str(DELAY + 100))
                check(r.stdout.startswith("already draining"),
                      "drain again (a longer delay): nothing changes (%s)" % r.stdout.strip())
                j = lab.ctl_json("drain", "delay", str(DELAY + 200))
                check(j["draining"] and j["state"] == "already draining" and
                      j["conferences"] == 1 and 0 < j["exits_in_s"] <= DELAY and j["mrfc_told"],
                      "drain --json: %s" % j)
                delays = [re.search(r"(?:Delay|DL)\s*=\s*(\d+)", t) for _, t in b.requests
                          if "Graceful" in t]
                check(delays and all(d and int(d.group(1)) == DELAY for d in delays),
                      "no ServiceChange for a longer delay: every Graceful says %d (%s)"
                      % (DELAY, [d.group(1) if d else None for d in delays]))
                res = media(lab, legs, [3, 4])
                check(res["rx"][str(legs[0]["port"])]["from"] == {"4": 20} and
                      res["rx"][str(legs[1]["port"])]["from"] == {"3": 20},
                      "the existing conference still relays media while draining")
                check(lab.proc.poll() is None, "the daemon runs while a conference is up")

                # -- the last leg goes: the daemon exits ------------------------------------------
                lab.mrfc("subtract", "ctx=%d" % ctx, "term=%s" % legs[0]["term"])
                check(lab.proc.poll() is None, "one leg left: still running")
                lab.mrfc("subtract", "ctx=%d" % ctx, "term=%s" % legs[1]["term"])
                rc = lab.proc.wait(timeout=DELAY / 2)
                took = time.monotonic() - t0
                check(rc == 0 and took < DELAY / 2,
                      "the last conference ended: the daemon exited %d after %.1f s of a "
                      "%d s delay" % (rc, took, DELAY))
                check("drain: the last conference has ended" in lab.read_log(),
                      "the log says why it exited")
            finally:
                b.close()


def delay_passes():
    """With Mp: the delay passes before the conference ends."""
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, "event_poll_ms = 100\n")
        with Lab("mpdrain2", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            try:
                wait_for(lambda: health(lab, "ready")[0] == 0, 15, "health ready to pass")
                r = lab.mrfc("add", "legs=2", "mode=mix", "remote=%s:5200" % KERNEL_IP4)
                check("result add ok" in r.stdout, "a mix conference over Mp")
                answered = lab.ctl_json("show", "mp")["answered"]
                t0 = time.monotonic()
                r = lab.ctl("drain", "delay", "2")
                check("draining: 1 conference(s)" in r.stdout, "drain delay 2: %s"
                      % r.stdout.strip())
                sc = b.wait_request(r"Graceful", timeout=10, after=t0 - 1)
                check(sc is not None and re.search(r"(Delay|DL)\s*=\s*2\b", sc),
                      "the MRFC received ServiceChange Graceful, Delay 2")
                # (the answer takes milliseconds; the delay is 2 s)
                wait_for(lambda: lab.ctl_json("show", "mp")["answered"] > answered, 1.5,
                         "the daemon to count the MRFC's answer to Graceful")
                check(True, "the MRFC's answer to Graceful counted (show mp answered)")
                rc = lab.proc.wait(timeout=20)
                took = time.monotonic() - t0
                check(rc == 0 and took >= 1.5,
                      "the conference still up: the daemon exited %d when the delay passed "
                      "(%.1f s)" % (rc, took))
                check("drain: the delay has passed with 1 conference(s) left" in
                      lab.read_log(), "the log says the delay passed")
            finally:
                b.close()


def over_sctp():
    """Mp over SCTP: the association is down when the drain starts (mrfc runs one command
    per association); the next association's ServiceChange is Graceful with what is left of
    the delay, never Disconnected."""
    sctp = ["--transport", "sctp"]
    with Lab("mpdrain3", mp=True, mp_extra="transport = sctp\n") as lab:
        keys = os.path.join(lab.dir, "keys.txt")
        r = lab.mrfc(*sctp, "add", "legs=2", "mode=switch", "remote=%s:5400" % KERNEL_IP4,
                     keys=keys)
        legs = read_keys(keys)
        ctx = legs[0]["ctx"]
        check("result add ok" in r.stdout and re.search(r"Method\s*=\s*Restart", r.stderr),
              "over SCTP: a conference, and ServiceChange Restart on the first association")
        wait_for(lambda: lab.ctl_json("show", "mp")["sctp_comm_lost"] >= 1, 10,
                 "the association to end with mrfc")
        rc, out = health(lab, "ready")
        check(rc == 7 and "SCTP association" in out,
              "health ready without the association: exit 7 (%s)" % out.strip())
        r = lab.ctl("drain", "delay", str(DELAY))
        check("the MRFC is told" in r.stdout, "drain with the association down: %s"
              % r.stdout.strip())
        r = lab.mrfc(*sctp, "subtract", "ctx=%d" % ctx, "term=%s" % legs[0]["term"])
        m = re.search(r"Method\s*=\s*Graceful[^}]*", r.stderr)
        delay = re.search(r"Delay\s*=\s*(\d+)", m.group(0)) if m else None
        check(m and delay and 0 < int(delay.group(1)) <= DELAY and
              not re.search(r"Disconnected|Restart", r.stderr),
              "the next association hears ServiceChange Graceful, Delay %s (of %d), not "
              "Disconnected" % (delay.group(1) if delay else "?", DELAY))
        check("result subtract ok" in r.stdout and lab.proc.poll() is None,
              "the Subtract applied, one leg left: still running")
        lab.mrfc(*sctp, "subtract", "ctx=%d" % ctx, "term=%s" % legs[1]["term"])
        rc = lab.proc.wait(timeout=DELAY / 2)
        check(rc == 0, "the last leg subtracted over SCTP: the daemon exited %d" % rc)


def without_mp():
    with Lab("drain") as lab:
        check(lab.ctl_json("show", "version")["draining"] is False,
              "show version: not draining")
        rc, out = health(lab, "ready")
        check(rc == 0 and out.startswith("ready: 1 port(s) up"),
              "without Mp, ports up suffice: ready (%s)" % out.strip())
        r = lab.ctl("drain", "delay", "0", check_rc=False)
        check(r.returncode == 2, "drain delay 0: refused, exit 2 (%s)" % r.stderr.strip())
        r = lab.ctl("drain", "delay", "86401", check_rc=False)
        check(r.returncode == 2, "drain delay 86401: refused, exit 2")
        conf = lab.conf_create()
        r = lab.ctl("drain", "delay", "300")
        check(r.stdout.startswith("draining: 1 conference(s)") and "Graceful" not in r.stdout,
              "drain without Mp: %s" % r.stdout.strip())
        t0 = time.monotonic()
        # the preStop form: returns once the daemon has exited
        r = mxplab.run([MIXPLANECTL, "-s", lab.sock, "drain", "delay", "2", "wait"],
                       timeout=30)
        took = time.monotonic() - t0
        check(r.returncode == 0 and "drain delay shortened: 1 conference(s)" in r.stdout,
              "drain delay 2 wait: %s" % r.stdout.strip())
        rc = lab.proc.wait(timeout=10)
        check(rc == 0 and 1.9 <= took < 10,
              "conference %d still up: the daemon exited %d when the delay passed, and the "
              "waiting drain returned after %.1f s" % (conf, rc, took))
        check("drain: the delay has passed with 1 conference(s) left" in lab.read_log(),
              "the log says the delay passed")


def test():
    with_mp()
    delay_passes()
    over_sctp()
    without_mp()


mxplab.main(test)

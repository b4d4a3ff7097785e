#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mrfc fleet: one MRFC, two MRFPs (issue 14, "Many MRFPs per MRFC"; issue 16, rebuild).

Two daemons side by side: A on a veth into the lab namespace (192.0.2.2), B on a second
veth into the same namespace (192.0.3.2), each with its own ESP SA pair and its [mp] mrfc
at the namespace's address on its link. One `mrfc fleet` in the namespace controls both:

- placement by headroom: B is pre-loaded with legs (on=B); the next conferences go to the
  MRFP whose ROOT audit reports the most mxp/capacity, and each daemon's CLI shows the
  conferences and legs the fleet says it placed there; the fleet's status repeats each
  daemon's own counts (mxp/contexts, mxp/legs, mxp/capacity = port pairs - legs);
- media flows through one conference on each MRFP with the keys the fleet wrote;
- B SIGKILLed: the next placement's audit goes unanswered, B is reported down, each of its
  conferences lost (one line each and in status), and the placement lands on A although B
  had more room;
- B restarted: its ServiceChange Restart makes it usable again; rebuild=on creates its
  lost conferences there again (B's CLI shows them) and the next placement goes to B;
- 40 conferences placed in a row spread evenly (the time per placement is printed);
- a ServiceChange Graceful from B (crafted with B's outbound SA by scapy: the daemon's
  `mixplanectl drain` is another change) puts B in draining: the next placement goes to
  A although B has more room, B's conferences stay and can still be ended;
- A SIGKILLed and restarted at once: its conferences are reported lost and rebuilt there;
- with transport=sctp members (H.248.4 inside ESP): placement, join and end;
- cascade conf=NAME across=A,B: a part on B joined by a cascade leg on each daemon, each
  sending to the other's port (who hears whom through it is test_cascade.py's).
"""
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, MRFC, run  # noqa: E402
from mplab import ns_socket, read_keys  # noqa: E402
import esp_common  # noqa: E402

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

DAEMON_B = "192.0.3.2"
KERNEL_B = "192.0.3.1"
PAIRS = 5000            # [media] 20000..29999 (the default): port pairs per address
MP_EXTRA = "retx_initial_ms = 100\nretx_max_ms = 400\n"
BULK = 40               # conferences placed in a row


class TwinLab(Lab):
    """A second daemon whose kernel-side veth end joins another lab's namespace, on its
    own subnet (192.0.3.0/24); IPv4 only (the first lab has the IPv6 addresses)."""

    def __init__(self, name, ns, **kw):
        super().__init__(name, ipv6=False, **kw)
        tag = "%db" % (os.getpid() % 100000)
        self.ns = ns
        self.veth_d = "mxd%s" % tag
        self.veth_k = "mxk%s" % tag
        self.prefix = "mxt%s" % tag

    def _make_net(self):
        subprocess.run(["ip", "link", "del", self.veth_d], capture_output=True)
        run(["ip", "link", "add", self.veth_d, "type", "veth", "peer", "name", self.veth_k])
        run(["ip", "link", "set", self.veth_k, "netns", self.ns])
        subprocess.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.veth_d],
                       capture_output=True)
        run(["ip", "link", "set", self.veth_d, "up"])
        self.ns_run(["ip", "link", "set", self.veth_k, "up"])
        self.ns_run(["ip", "addr", "add", KERNEL_B + "/24", "dev", self.veth_k])
        self.ns_run(["ethtool", "-K", self.veth_k, "tx", "off"], check_rc=False)

    def config_text(self):
        return super().config_text().replace("ipv4 = %s/24" % DAEMON_IP4,
                                             "ipv4 = %s/24" % DAEMON_B).replace(
            "gateway4 = %s" % KERNEL_IP4, "gateway4 = %s" % KERNEL_B)

    def mp_setup(self, alg="aes-gcm-128", udp=False, extra=""):
        self.mrfp_sa = os.path.join(self.dir, "mrfp.sa")
        self.mrfc_sa = os.path.join(self.dir, "mrfc.sa")
        run([MRFC, "keygen", "--mrfp", DAEMON_B, "--mrfc", KERNEL_B, "--mrfp-out",
             self.mrfp_sa, "--mrfc-out", self.mrfc_sa, "--alg", alg])
        return "\n[esp]\nsa_file = %s\n[mp]\nmrfc = %s\n%s" % (self.mrfp_sa, KERNEL_B, extra)

    def cleanup_net(self):
        # the namespace is the other lab's: only this veth pair goes
        subprocess.run(["ip", "link", "del", self.veth_d], capture_output=True)


class Fleet:
    """mrfc fleet in the namespace, fed one command at a time on stdin."""

    def __init__(self, ns, fleet_file, *extra):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", ns, MRFC, "--quiet", "--retx", "100", "--timeout", "2000",
             "fleet", "file=" + fleet_file, "audit=1"] + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._read, args=(self.p.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    @staticmethod
    def _read(f, q):
        for line in f:
            q.put(line.rstrip("\n"))
        q.put(None)

    def _drain(self):
        for line in self.p.stderr:
            self.err.append(line)

    def until_done(self, what, timeout=60):
        """Lines up to and with "done WHAT rc=N": (lines, rc)."""
        out, deadline = [], time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                raise mxplab.TestFailure("mrfc fleet: no 'done %s' within %d s: %s\n%s" % (
                    what, timeout, out, "".join(self.err[-20:])))
            if line is None:
                raise mxplab.TestFailure("mrfc fleet exited (%s): %s\n%s" % (
                    self.p.wait(), out, "".join(self.err[-20:])))
            print("#   " + line, flush=True)
            out.append(line)
            m = re.match(r"done (\S+) rc=(-?\d+)$", line)
            if m and m.group(1) == what:
                return out, int(m.group(2))

    def cmd(self, line, timeout=60):
        print("# fleet> " + line, flush=True)
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.until_done(line.split()[0], timeout)

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            return self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


def placed(lines, conf):
    for l in lines:
        m = re.match(r"placed conf=%s mrfp=(\S+) ctx=(\d+) legs=(\d+)$" % re.escape(conf), l)
        if m:
            return m.group(1), int(m.group(2))
    return None, None


def status(fleet):
    lines, rc = fleet.cmd("status")
    mrfps, confs = {}, {}
    for l in lines:
        w = l.split()
        if w[0] == "mrfp":
            d = dict(x.split("=", 1) for x in w[3:])
            d["state"] = w[2]
            mrfps[w[1]] = d
        elif w[0] == "conf":
            confs[w[1]] = dict(x.split("=", 1) for x in w[2:])
    return mrfps, confs


def daemon_counts(lab):
    confs = lab.ctl_json("show", "conferences")
    return len(confs), sum(c.get("legs", 0) if isinstance(c.get("legs"), int)
                           else len(c.get("legs", [])) for c in confs), confs


def media(lab, bind, legs, ids, count=20):
    """Two participants of one switch conference exchange count packets each."""
    res = lab.peer(bind, rx=[(l["port"], l["rx"]) for l in legs],
                   tx=[(l["port"], l["mrfp"], l["mrfp_port"], l["tx"], 0x100 + i, ids[i])
                       for i, l in enumerate(legs)], count=count)
    rx0, rx1 = res["rx"][str(legs[0]["port"])], res["rx"][str(legs[1]["port"])]
    return rx0["from"] == {str(ids[1]): count} and rx1["from"] == {str(ids[0]): count}


def graceful_from(lab_b, seq):
    """ServiceChange Graceful on ROOT as daemon B would send it: B's outbound SA (scapy),
    from B's address to the fleet's, sent into the namespace."""
    sa = esp_common.scapy_sa(esp_common.sa_of(lab_b.mrfp_sa, "out"))
    text = ("MEGACO/3 [%s]:2944\nTransaction = 900001 { Context = - { ServiceChange = ROOT { "
            "Services { Method = Graceful, Reason = \"905 Termination taken out of service\", "
            "Delay = 30 } } } }\n" % DAEMON_B)
    inner = IP(src=DAEMON_B, dst=KERNEL_B) / UDP(sport=2944, dport=2944) / Raw(text.encode())
    pkt = sa.encrypt(IP(bytes(inner)), seq_num=seq)
    s = ns_socket(lab_b.ns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(bytes(pkt), (KERNEL_B, 0))
    s.close()


def bad_arguments(tmp):
    """Refusals before anything is sent: exit 1 and a message naming the problem."""
    r = subprocess.run([MRFC, "fleet"], capture_output=True, text=True)
    check(r.returncode == 1 and "file=FLEET is required" in r.stderr,
          "mrfc fleet without file=: exit 1 (%s)" % r.stderr.strip())
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("name=A sa=/nonexistent colour=blue\n")
    r = subprocess.run([MRFC, "fleet", "file=" + bad], capture_output=True, text=True)
    check(r.returncode == 1 and "bad.conf:1: 'colour'" in r.stderr,
          "an unknown key in the fleet file: exit 1, the line named (%s)" % r.stderr.strip())
    with open(bad, "w") as f:
        f.write("name=A\n")
    r = subprocess.run([MRFC, "fleet", "file=" + bad], capture_output=True, text=True)
    check(r.returncode == 1 and "sa=FILE are required" in r.stderr,
          "a line without sa=: exit 1")


def sctp_members():
    """transport=sctp members: each MRFP opens its association to the fleet (H.248.4 inside
    ESP); placement by headroom, join, leave and end work over it alike."""
    extra = MP_EXTRA + "transport = sctp\n"
    with Lab("fleetsa", mp=True, mp_extra=extra) as a, \
            TwinLab("fleetsb", a.ns, mp=True, mp_extra=extra) as b:
        fleet_file = os.path.join(a.dir, "fleet.conf")
        with open(fleet_file, "w") as f:
            f.write("name=A sa=%s transport=sctp\nname=B sa=%s transport=sctp\n" % (
                a.mrfc_sa, b.mrfc_sa))
        fl = Fleet(a.ns, fleet_file)
        try:
            lines, rc = fl.until_done("start")
            check(rc == 0 and sum(1 for l in lines if re.match(r"mrfp [AB] up ", l)) == 2,
                  "SCTP: both MRFPs associated and audited")
            lines, rc = fl.cmd("place conf=s1 legs=3 on=B")
            check(placed(lines, "s1")[0] == "B", "SCTP: s1 on B (on=B)")
            lines, rc = fl.cmd("place conf=s2 legs=2")
            check(placed(lines, "s2")[0] == "A", "SCTP: s2 on A, which has more room")
            lines, rc = fl.cmd("join conf=s2 legs=1")
            check(rc == 0 and "joined conf=s2 mrfp=A ctx=1 legs=3" in lines, "SCTP: join")
            check(daemon_counts(a)[:2] == (1, 3) and daemon_counts(b)[:2] == (1, 3),
                  "SCTP: each daemon's CLI holds one conference of 3 legs")
            fl.cmd("end conf=s1")
            fl.cmd("end conf=s2")
            check(daemon_counts(a)[0] == 0 and daemon_counts(b)[0] == 0,
                  "SCTP: both conferences ended")
        finally:
            code = fl.close()
        check(code == 0, "SCTP: the fleet exits with 0")
        check(b.stop() == 0 and a.stop() == 0, "SCTP: both daemons exit cleanly")


def test():
    with esp_common.tmpdir() as tmp:
        bad_arguments(tmp)
    sctp_members()
    with Lab("fleeta", mp=True, mp_extra=MP_EXTRA) as a, \
            TwinLab("fleetb", a.ns, mp=True, mp_extra=MP_EXTRA) as b:
        fleet_file = os.path.join(a.dir, "fleet.conf")
        ka, kb = os.path.join(a.dir, "a.keys"), os.path.join(a.dir, "b.keys")
        with open(fleet_file, "w") as f:
            f.write("# two MRFPs\nname=A sa=%s keys=%s\nname=B sa=%s keys=%s\n" % (
                a.mrfc_sa, ka, b.mrfc_sa, kb))
        fl = Fleet(a.ns, fleet_file, "rebuild=on")
        try:
            lines, rc = fl.until_done("start")
            check(rc == 0 and any(re.match(r"mrfp A up contexts=0 legs=0 capacity=%d" % PAIRS, l)
                                  for l in lines) and
                  any(re.match(r"mrfp B up contexts=0 legs=0 capacity=%d" % PAIRS, l)
                      for l in lines),
                  "the fleet audits both MRFPs at start: up, empty, %d legs of room" % PAIRS)

            # -- placement by headroom ------------------------------------------------
            lines, rc = fl.cmd("place conf=pre legs=6 on=B")
            check(rc == 0 and placed(lines, "pre")[0] == "B", "pre-load B with 6 legs (on=B)")
            lines, rc = fl.cmd("place conf=c1 legs=2 mode=switch remote=%s:5000" % KERNEL_IP4)
            mrfp, ctx1 = placed(lines, "c1")
            check(rc == 0 and mrfp == "A", "c1 goes to A, which reports more room (%s)" % lines)
            lines, rc = fl.cmd("place conf=c2 legs=6")
            check(placed(lines, "c2")[0] == "A", "c2 (6 legs) to A: 2 legs there, 6 on B")
            lines, rc = fl.cmd("place conf=c3 legs=2 mode=switch remote=%s:5100" % KERNEL_B)
            mrfp, ctx3 = placed(lines, "c3")
            check(rc == 0 and mrfp == "B", "c3 to B: now 8 legs on A, 6 on B")
            na, la, ca = daemon_counts(a)
            nb, lb, cb = daemon_counts(b)
            check((na, la, nb, lb) == (2, 8, 2, 8),
                  "the daemons' CLI: A %d conferences %d legs, B %d conferences %d legs" % (
                      na, la, nb, lb))
            check(any(c["id"] == ctx1 for c in ca) and any(c["id"] == ctx3 for c in cb),
                  "c1's context is on A, c3's on B")
            fl.cmd("audit")
            mrfps, confs = status(fl)
            check(all(mrfps[n]["legs"] == "8" and mrfps[n]["contexts"] == "2" and
                      mrfps[n]["capacity"] == str(PAIRS - 8) for n in "AB"),
                  "ROOT's load report in status equals each daemon's count: %s" % mrfps)
            check(all(0 <= int(mrfps[n].get("load", -1)) <= 100 for n in "AB"),
                  "each reports mxp/load, its busiest worker's busy polls in percent")

            # -- media through one conference on each ------------------------------------
            legs_a = [l for l in read_keys(ka) if l["ctx"] == ctx1]
            legs_b = [l for l in read_keys(kb) if l["ctx"] == ctx3]
            check(len(legs_a) == 2 and len(legs_b) == 2 and
                  all(l["mrfp"] == DAEMON_IP4 for l in legs_a) and
                  all(l["mrfp"] == DAEMON_B for l in legs_b),
                  "the fleet's key files: each conference's legs at its MRFP's address")
            check(media(a, KERNEL_IP4, legs_a, [1, 2]), "media through c1 on A")
            check(media(b, KERNEL_B, legs_b, [3, 4]), "media through c3 on B")

            # -- B killed --------------------------------------------------------------
            b.proc.send_signal(signal.SIGKILL)
            b.proc.wait()
            lines, rc = fl.cmd("place conf=c4 legs=2")
            check("down mrfp=B reason=no-reply" in lines,
                  "B's audit unanswered past the give-up: B down")
            lost = sorted(re.match(r"lost conf=(\S+) mrfp=B", l).group(1)
                          for l in lines if l.startswith("lost "))
            check(lost == ["c3", "pre"], "each of B's conferences reported lost: %s" % lost)
            check(placed(lines, "c4")[0] == "A",
                  "c4 lands on the survivor A (B had more room)")
            mrfps, confs = status(fl)
            check(mrfps["B"]["state"] == "down" and mrfps["B"]["lost"] == "2" and
                  confs["pre"]["state"] == "lost" and confs["c1"]["state"] == "live",
                  "status: B down with 2 lost conferences, A's live")

            # -- B restarted -----------------------------------------------------------
            b.start()
            lines, rc = fl.cmd("wait 30 mrfp=B state=up", timeout=60)
            check(rc == 0 and "up mrfp=B method=Restart" in lines,
                  "B's ServiceChange Restart: B usable again")
            rebuilt = sorted(re.match(r"rebuilt conf=(\S+) mrfp=B", l).group(1)
                             for l in lines if l.startswith("rebuilt "))
            check(rebuilt == ["c3", "pre"], "rebuild=on: B's lost conferences created again "
                  "there (%s)" % rebuilt)
            nb, lb, cb = daemon_counts(b)
            check((nb, lb) == (2, 8), "B's CLI: the 2 conferences and 8 legs again")
            mrfps, confs = status(fl)
            check(confs["pre"]["state"] == "live" and confs["c3"]["state"] == "live" and
                  mrfps["B"]["lost"] == "0" and mrfps["B"]["legs"] == "8" and
                  mrfps["B"]["contexts"] == "2",
                  "status: nothing lost any more; B reports the rebuilt 2 contexts, 8 legs")
            legs_b = [l for l in read_keys(kb) if l["ctx"] == int(confs["c3"]["ctx"])]
            check(len(legs_b) == 2 and media(b, KERNEL_B, legs_b, [5, 6]),
                  "media through the rebuilt c3 with its new keys")
            lines, rc = fl.cmd("place conf=c5 legs=2")
            check(placed(lines, "c5")[0] == "B", "the next placement goes to B (8 legs, A 10)")

            # -- many placements: the two fill evenly ----------------------------------
            t0 = time.monotonic()
            where = {"A": 0, "B": 0}
            for i in range(BULK):
                lines, rc = fl.cmd("place conf=bulk%d legs=2" % i)
                where[placed(lines, "bulk%d" % i)[0]] += 1
            dt = time.monotonic() - t0
            print("# %d placements in %.2f s: %.1f ms each (ROOT audits of both MRFPs, one Add "
                  "of 2 legs, over ESP; this machine's 2 shared cores)" % (BULK, dt,
                                                                           dt * 1000 / BULK))
            la, lb = daemon_counts(a)[1], daemon_counts(b)[1]
            check(abs(la - lb) <= 2 and where["A"] + where["B"] == BULK,
                  "%d conferences spread by headroom: %s, the daemons hold %d and %d legs" % (
                      BULK, where, la, lb))
            rcs = [fl.cmd("end conf=bulk%d" % i)[1] for i in range(BULK)]
            check(rcs == [0] * BULK and daemon_counts(a)[1] == 10 and daemon_counts(b)[1] == 10,
                  "every bulk conference ended on its MRFP (10 legs left on each)")

            # -- a conference cascaded across A and B -----------------------------------
            lines, rc = fl.cmd("place conf=m1 legs=2 mode=mix on=A remote=%s:5200" % KERNEL_IP4)
            mrfp, ctx_m = placed(lines, "m1")
            lines, rc = fl.cmd("cascade conf=m1 across=A,B")
            m = [re.match(r"cascaded conf=m1 mrfp=A ctx=(\d+) term=leg/(\d+) to conf=m1@B "
                          r"mrfp=B ctx=(\d+) term=leg/(\d+)$", l) for l in lines]
            m = [x for x in m if x]
            check(rc == 0 and mrfp == "A" and len(m) == 1 and int(m[0].group(1)) == ctx_m,
                  "cascade conf=m1 across=A,B: a part on B, one cascade leg on each (%s)" % lines)
            la = a.ctl_json("show", "leg", m[0].group(2))
            lb = b.ctl_json("show", "leg", m[0].group(4))
            check(la["cascade"] and lb["cascade"] and la["conference"] == ctx_m and
                  lb["conference"] == int(m[0].group(3)) and
                  la["remote"] == DAEMON_B and lb["remote"] == DAEMON_IP4 and
                  la["remote_port"] == lb["local_port"] and lb["remote_port"] == la["local_port"],
                  "the daemons' CLI: each cascade leg (mxp/cascade) sends to the other's port")
            lines, rc = fl.cmd("join conf=m1@B legs=2 remote=%s:5300" % KERNEL_B)
            part = [c for c in daemon_counts(b)[2] if c["id"] == int(m[0].group(3))]
            check(rc == 0 and len(part) == 1 and part[0]["legs"] == 3 and
                  part[0]["mode"] == "mix",
                  "B's participants join B's part (conf=m1@B): a mix conference of 3 legs there")
            for n in ("m1", "m1@B"):
                lines, rc = fl.cmd("end conf=%s" % n)
                check(rc == 0, "end conf=%s" % n)

            # -- B draining: a ServiceChange Graceful -----------------------------------
            lines, rc = fl.cmd("end conf=pre")
            check(rc == 0 and any(l.startswith("ended conf=pre mrfp=B") for l in lines),
                  "pre ended on B (B: 4 legs, A: 10)")
            seq = next(s["seq"] for s in b.ctl_json("show", "esp")["sas"] if s["dir"] == "out")
            graceful_from(b, seq + 20)
            lines, rc = fl.cmd("wait 10 mrfp=B state=draining")
            check(rc == 0 and "draining mrfp=B method=Graceful" in lines,
                  "ServiceChange Graceful from B: draining")
            lines, rc = fl.cmd("place conf=c6 legs=2")
            check(placed(lines, "c6")[0] == "A", "c6 goes to A although B has more room")
            nb, lb, cb = daemon_counts(b)
            mrfps, confs = status(fl)
            check(mrfps["B"]["state"] == "draining" and (nb, lb) == (2, 4) and
                  confs["c3"]["mrfp"] == "B" and confs["c5"]["mrfp"] == "B",
                  "B's conferences untouched (its CLI: %d conferences, %d legs)" % (nb, lb))
            lines, rc = fl.cmd("end conf=c3")
            check(rc == 0 and any(l.startswith("ended conf=c3 mrfp=B") for l in lines),
                  "a draining MRFP's conference ends normally")
            # -- A SIGKILLed and restarted at once (issue 16) ----------------------------
            # Whether the fleet first sees A's audits go unanswered (the restarted daemon's
            # ESP sequence numbers start again below the old window) or its ServiceChange
            # Restart (then it audits each context), A's conferences are reported lost and
            # rebuild=on creates them again.
            mrfps, confs = status(fl)
            on_a = sorted(n for n, c in confs.items() if c["mrfp"] == "A")
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait()
            a.start()
            mxplab.wait_for(lambda: a.ctl_json("show", "mp")["service_change"] == "answered",
                            30, "the fleet to answer the restarted A's ServiceChange")
            lines, rc = fl.cmd("status")
            lost = sorted(re.match(r"lost conf=(\S+) mrfp=A", l).group(1)
                          for l in lines if l.startswith("lost "))
            rebuilt = sorted(re.match(r"rebuilt conf=(\S+) mrfp=A", l).group(1)
                             for l in lines if l.startswith("rebuilt "))
            na, la, ca = daemon_counts(a)
            check(lost == on_a and rebuilt == on_a and na == len(on_a),
                  "A killed and restarted: its conferences %s reported lost and rebuilt "
                  "(%s), A's CLI holds %d" % (on_a, [l for l in lines if "mrfp=A" in l], na))
            lines, rc = fl.cmd("cascade conf=c6 across=A,B")
            check(rc == 1 and "error cascade conf=c6 reason=second-mrfp-draining" in lines,
                  "no cascade into a draining MRFP")
        finally:
            code = fl.close()
        check(code == 2, "the fleet exits with 2: one command (the cascade) failed")
        check(b.stop() == 0 and a.stop() == 0, "both daemons exit cleanly")


mxplab.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mrfc's side of H.248.11 overload control (app/mrfc/mrfc_ocp.c), against a fake MRFP in
the clear (--plaintext) in a private network namespace:

1. the MRFP's ServiceChange is answered and followed by Modify ROOT, Events = N
   { ocp/mg_overload }; with --no-ocp it is not;
2. an MRFP that notifies ocp/mg_overload while mrfc adds new contexts: every Notify is
   answered, and mrfc holds the later Adds back (its leaky bucket, the admitted rate cut
   at each Notify), each still sent in the end;
3. mrfc fleet with two MRFPs over ESP (scapy) reporting the same room: the first conference
   goes to A, which notifies ocp/mg_overload; the next ones go to B, and `status` shows A
   under overload control.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time

if os.environ.get("MXP_NETNS") != "1":
    os.environ["MXP_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)

sys.path.insert(0, os.path.dirname(__file__))
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from esp_common import MRFC, keygen, sa_of, scapy_sa, tmpdir  # noqa: E402

MRFP, MRFP_B, ME = "127.0.0.2", "127.0.0.3", "127.0.0.1"
BASE = [MRFC, "--plaintext", "--mrfp", MRFP, "--local", ME]
failed = []


def check(cond, what):
    print("%s - %s" % ("ok" if cond else "not ok", what), flush=True)
    if not cond:
        failed.append(what)


class FakeMrfp(threading.Thread):
    """Answers Adds (a new context each) and Modify of ROOT; notifies ocp/mg_overload
    before the reply of the Adds numbered in `overload_on` (1-based)."""

    def __init__(self, overload_on=(), addr=MRFP, sa_file=None):
        super().__init__(daemon=True)
        self.addr = addr
        self.esp = sa_file is not None
        if self.esp:   # ESP in IP protocol 50 with the SAs of an MRFP-side key file
            self.s_in = scapy_sa(sa_of(sa_file, "in"))
            self.s_out = scapy_sa(sa_of(sa_file, "out"))
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
            self.sock.bind((addr, 0))
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((addr, 2944))
        self.sock.settimeout(0.05)
        self.overload_on = set(overload_on)
        self.adds = []            # monotonic time of each new Add
        self.root_events = []     # the Modify ROOT requests
        self.replies = set()      # transaction ids mrfc answered
        self.seen = set()
        self.stop = False
        self.peer = None
        self.ntid = 9000
        self.start()

    def send(self, text):
        data = ("MEGACO/3 [%s]:2944\n%s" % (self.addr, text)).encode()
        if not self.esp:
            self.sock.sendto(data, self.peer)
            return
        p = IP(src=self.addr, dst=ME) / UDP(sport=2944, dport=self.peer[1]) / Raw(data)
        self.sock.sendto(bytes(self.s_out.encrypt(IP(bytes(p)))[ESP]), (ME, 0))

    def service_change(self):
        self.ntid += 1
        self.send("Transaction = %d { Context = - { ServiceChange = ROOT { Services { "
                  "Method = Restart, Reason = \"901 Cold Boot\", Version = 3 } } } }\n"
                  % self.ntid)
        return self.ntid

    def handle(self, text):
        r = re.search(r"\bReply\s*=\s*(\d+)", text)
        if r:
            self.replies.add(int(r.group(1)))
            return
        m = re.search(r"\bTransaction\s*=\s*(\d+)", text)
        if not m:
            return
        tid = int(m.group(1))
        new = tid not in self.seen
        self.seen.add(tid)
        if re.search(r"\bModify\s*=\s*ROOT", text):
            if new:
                self.root_events.append(text)
            self.send("Reply = %d { Context = - { Modify = ROOT } }\n" % tid)
        elif re.search(r"\bAuditValue\s*=\s*ROOT", text):
            self.send("Reply = %d { Context = - { AuditValue = ROOT { Statistics { "
                      "mxp/contexts = 0, mxp/legs = 0, mxp/capacity = 1000, mxp/load = 10 } } } }\n"
                      % tid)
        elif re.search(r"\bAdd\s*=\s*\$", text):
            if new:
                self.adds.append(time.monotonic())
            n = len(self.adds)
            if new and n in self.overload_on:
                self.ntid += 1
                self.send("Transaction = %d { Context = - { Notify = ROOT { ObservedEvents = 9 "
                          "{ ocp/mg_overload } } } }\n" % self.ntid)
            sdp = "v=0\r\nc=IN IP4 %s\r\nm=audio %d RTP/SAVP 0\r\n" % (self.addr, 20000 + 2 * n)
            self.send("Reply = %d { Context = %d { Add = leg/%d { Media { Stream = 1 { Local {\n"
                      "%s} } } } } }\n" % (tid, 100 + n, n, sdp))
        else:
            self.send("Reply = %d { Error = 501 { \"not in the fake\" } }\n" % tid)

    def run(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if self.esp:
                pkt = IP(data)
                if pkt.dst != self.addr or not pkt.haslayer(ESP) or \
                        pkt[ESP].spi != self.s_in.spi:
                    continue
                try:
                    dec = self.s_in.decrypt(pkt)
                except Exception as e:  # noqa: BLE001
                    print("# fake MRFP %s: cannot decrypt: %s" % (self.addr, e), flush=True)
                    continue
                self.peer = (ME, dec[UDP].sport)
                data = bytes(dec[UDP].payload)
            else:
                self.peer = addr
            self.handle(data.decode(errors="replace"))

    def close(self):
        self.stop = True
        self.join()
        self.sock.close()


def listen_case(no_ocp):
    what = "--no-ocp" if no_ocp else "default"
    f = FakeMrfp()
    f.peer = (ME, 2944)
    p = subprocess.Popen(BASE + (["--no-ocp"] if no_ocp else []) + ["listen", "duration=3"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sc = None
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and (sc is None or sc not in f.replies):
        sc = f.service_change()  # until mrfc listens and answers
        time.sleep(0.1)
    out, err = p.communicate(timeout=10)
    f.close()
    check(sc in f.replies, "%s: the ServiceChange answered" % what)
    if no_ocp:
        check(not f.root_events, "--no-ocp: no Modify of ROOT (%s)" % f.root_events)
    else:
        check(len(f.root_events) == 1 and
              re.search(r"Context\s*=\s*-\s*\{\s*Modify\s*=\s*ROOT\s*\{\s*Events\s*=\s*\d+\s*\{"
                        r"\s*ocp/mg_overload\s*\}", f.root_events[0]),
              "after the ServiceChange: Modify ROOT, Events { ocp/mg_overload } (%s)"
              % f.root_events)
        check("asked the MRFP for ocp/mg_overload" in err, "mrfc says so on stderr")


def pacing_case():
    n = 14
    f = FakeMrfp(overload_on=range(3, 9))   # six Notify, from the 3rd Add on
    with tmpdir() as tmp:
        scen = os.path.join(tmp, "adds.txt")
        with open(scen, "w") as fh:
            fh.write("".join("add ctx=$ events=off remote=%s:%d\n" % (ME, 40000 + 2 * i)
                             for i in range(n)))
        t0 = time.monotonic()
        r = subprocess.run(BASE + ["scenario", scen], capture_output=True, text=True,
                           timeout=120)
        took = time.monotonic() - t0
    time.sleep(0.2)  # the last Notify's reply may still be on its way
    f.close()
    check(r.returncode == 0, "the scenario of %d new contexts passed (%d: %s)"
          % (n, r.returncode, r.stderr[-300:]))
    check(len(f.adds) == n, "every Add sent in the end (%d of %d)" % (len(f.adds), n))
    notifies = set(range(9001, 9007))
    check(notifies <= f.replies, "every ocp/mg_overload answered (%s of %s)"
          % (sorted(f.replies & notifies), sorted(notifies)))
    waits = [int(w) for w in re.findall(r"overloaded \(ocp/mg_overload\): new context in "
                                        r"(\d+) ms", r.stderr)]
    check(waits and sum(waits) > 0, "mrfc held new contexts back: %d waits, %d ms in all"
          % (len(waits), sum(waits)))
    gaps = [b - a for a, b in zip(f.adds, f.adds[1:])]
    print("# %d Adds in %.2f s; gaps after the first Notify: %s" % (
        len(f.adds), took, ["%.0f" % (1000 * g) for g in gaps[2:]]), flush=True)
    check(max(gaps[2:]) > max(gaps[:2]) * 2,
          "the Adds after ocp/mg_overload come further apart than before it")


def fleet_case():
    with tmpdir() as tmp:
        sa = {}
        for name, addr in (("A", MRFP), ("B", MRFP_B)):
            d = os.path.join(tmp, name)
            os.makedirs(d)
            sa[name] = keygen(d, "aes-gcm-128", addr, ME)
        a = FakeMrfp(overload_on=(1,), addr=MRFP, sa_file=sa["A"][0])
        b = FakeMrfp(addr=MRFP_B, sa_file=sa["B"][0])
        fleet = os.path.join(tmp, "fleet.txt")
        with open(fleet, "w") as fh:
            fh.write("name=A sa=%s mrfp=%s\nname=B sa=%s mrfp=%s\n"
                     % (sa["A"][1], MRFP, sa["B"][1], MRFP_B))
        script = os.path.join(tmp, "script.txt")
        with open(script, "w") as fh:
            fh.write("place conf=c1 events=off\nplace conf=c2 events=off\n"
                     "place conf=c3 events=off\nstatus\n")
        r = subprocess.run([MRFC, "--quiet", "fleet", "file=" + fleet, "script=" + script],
                           capture_output=True, text=True, timeout=60)
        a.close()
        b.close()
    out = r.stdout
    print("# " + out.replace("\n", "\n# "), flush=True)
    check(r.returncode == 0, "mrfc fleet exit 0 (%d: %s)" % (r.returncode, r.stderr[-300:]))
    check(re.search(r"placed conf=c1 mrfp=A\b", out), "c1 on A (the first of two alike)")
    check(9001 in a.replies, "A's ocp/mg_overload answered")
    check(re.search(r"placed conf=c2 mrfp=B\b", out) and re.search(r"placed conf=c3 mrfp=B\b", out),
          "c2 and c3 on B: the MRFP under overload control gets less new work")
    check(re.search(r"mrfp A up .*overload=on admitted=[0-9.]+/s", out) and
          not re.search(r"mrfp B up .*overload=on", out),
          "status: A under overload control, B not")


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", MRFP + "/8", "dev", "lo"], check=False,
                   capture_output=True)
    listen_case(False)
    listen_case(True)
    pacing_case()
    subprocess.run(["ip", "addr", "add", MRFP_B + "/8", "dev", "lo"], check=False,
                   capture_output=True)
    fleet_case()
    if failed:
        print("%d failed" % len(failed))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mrfc against a fake MRFP written with scapy's ESP layer, in a private network namespace.

The fake MRFP decrypts what mrfc sends (IP protocol 50 and UDP 4500), answers Add with
terminations and a Local SDP, drops the first copy of the first transaction (mrfc must
retransmit the identical text), answers a Modify with TransactionPending first, and a
Subtract of an unknown leg with error 430. Checks: the scenario passes, the participant
key file (0600) has the legs and the rekeyed MKI, requests dissect cleanly in tshark, a
wrong key gives no reply (exit 3), plaintext mode works with --plaintext only.
"""
import os
import re
import socket
import subprocess
import sys
import threading

if os.environ.get("MXP_NETNS") != "1":
    os.environ["MXP_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from esp_common import MRFC, keygen, sa_of, scapy_sa, tmpdir, tshark_check  # noqa: E402

MRFP, ME = "127.0.0.2", "127.0.0.1"


class FakeMrfp(threading.Thread):
    def __init__(self, pf, udp, plaintext=False):
        super().__init__(daemon=True)
        self.udp, self.plain = udp, plaintext
        if not plaintext:
            self.s_in = scapy_sa(sa_of(pf, "in"))
            self.s_out = scapy_sa(sa_of(pf, "out"))
        if plaintext:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((MRFP, 2944))
        elif udp:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((MRFP, 4500))
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
            self.sock.bind((MRFP, 0))
        self.sock.settimeout(0.2)
        self.texts, self.seen, self.stop = [], {}, False
        self.retransmitted = self.pendings = 0
        self.nleg = 0
        self.dropped_first = False

    def send_text(self, text, dport, addr):
        if self.plain:
            self.sock.sendto(text, addr)
            return
        p = IP(src=MRFP, dst=ME) / UDP(sport=2944, dport=dport) / Raw(text)
        e = self.s_out.encrypt(IP(bytes(p)))
        if self.udp:
            self.sock.sendto(bytes(e[ESP]), (ME, 4500))
        else:
            self.sock.sendto(bytes(e[ESP]), (ME, 0))

    def reply(self, tid, body):
        return ("MEGACO/3 [%s]:2944\nReply = %s { %s }\n" % (MRFP, tid, body)).encode()

    def handle(self, text, dport, addr):
        m = re.search(r"(?:Transaction|T)\s*=\s*(\d+)", text)
        if not m:
            return
        tid = m.group(1)
        if tid in self.seen:
            assert self.seen[tid] == text, "a retransmission must repeat the text"
            self.retransmitted += 1
        else:
            self.texts.append(text)
            self.seen[tid] = text
            if not self.dropped_first:
                self.dropped_first = True
                return  # lose the first transmission: mrfc must retransmit
        if re.search(r"\b(Add|A)\s*=\s*\$", text):
            n = len(re.findall(r"\b(?:Add|A)\s*=\s*\$", text))
            cmds = []
            for _ in range(n):
                self.nleg += 1
                sdp = ("v=0\r\nc=IN IP4 %s\r\nm=audio %d RTP/SAVP 0\r\n"
                       % (MRFP, 20000 + 2 * self.nleg))
                cmds.append("Add = leg/%d { Media { Stream = 1 { Local {\n%s} } } }"
                            % (self.nleg, sdp))
            body = "Context = 5 { %s }" % ", ".join(cmds)
        elif re.search(r"\b(Modify|MF)\s*=", text):
            if self.pendings == 0:
                self.pendings += 1
                self.send_text(("MEGACO/3 [%s]:2944\nPending = %s { }\n" % (MRFP, tid))
                               .encode(), dport, addr)
            term = re.search(r"\b(?:Modify|MF)\s*=\s*([^\s{,]+)", text).group(1)
            body = "Context = 5 { Modify = %s }" % term
        elif re.search(r"\b(Subtract|S)\s*=\s*leg/99", text):
            body = "Context = 5 { Subtract = leg/99 { Error = 430 { \"no leg/99\" } } }"
        elif re.search(r"\b(Subtract|S)\s*=", text):
            body = ("Context = 5 { Subtract = leg/1 { Media { Stream = 1 { Statistics {"
                    " rtp/ps = 100, rtp/pr = 98 } } } }, Subtract = leg/2 }")
        elif re.search(r"\b(AuditValue|AV)\s*=", text):
            body = "Context = 5 { AuditValue = leg/1 { Media { Stream = 1 { Statistics { rtp/ps = 50 } } } } }"
        else:
            body = "Error = 501 { \"not in the fake\" }"
        self.send_text(self.reply(tid, body), dport, addr)

    def run(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if self.plain:
                self.handle(data.decode(), addr[1], addr)
                continue
            if self.udp:
                pkt = IP(src=ME, dst=MRFP) / UDP(sport=4500, dport=4500) / Raw(data)
                pkt = IP(bytes(pkt))
            else:
                pkt = IP(data)
                if pkt.dst != MRFP or pkt.haslayer(ESP) and pkt[ESP].spi != self.s_in.spi:
                    continue
            try:
                dec = self.s_in.decrypt(pkt)
            except Exception as e:  # noqa: BLE001
                print("# fake MRFP: cannot decrypt: %s" % e)
                continue
            u = dec[UDP]
            if self.udp and dec.getlayer(UDP, nb=2) is not None:
                u = dec.getlayer(UDP, nb=2)
            self.handle(bytes(u.payload).decode(), u.sport, addr)


SCENARIO = """# create a conference with two legs, rekey one, change modes, audit, remove
add legs=2 mode=mix topn=3 remote=127.0.0.1:40000
modify term=leg/1 rekey=on mki=2
modify term=* streammode=recvonly
audit
subtract term=leg/99 expect=430
subtract term=*
"""


def run_case(n, udp, alg, plaintext=False):
    with tmpdir() as tmp:
        pf, cf = keygen(tmp, alg, MRFP, ME, udp=udp)
        fake = FakeMrfp(pf, udp, plaintext)
        fake.start()
        scen = os.path.join(tmp, "s.txt")
        open(scen, "w").write(SCENARIO)
        keys = os.path.join(tmp, "keys.txt")
        args = [MRFC, "--retx", "100", "--timeout", "5000", "--keys-out", keys]
        args += ["--plaintext", "--mrfp", MRFP, "--local", ME] if plaintext else ["--sa", cf]
        r = subprocess.run(args + ["scenario", scen], capture_output=True, text=True,
                           timeout=60)
        fake.stop = True
        assert r.returncode == 0, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
        assert "result add ok" in r.stdout
        assert "leg ctx=5 term=leg/2 mrfp=127.0.0.2:20004" in r.stdout, r.stdout
        assert "result subtract error 430" in r.stdout
        assert "stat leg/1 rtp/ps 100" in r.stdout
        assert fake.retransmitted >= 1 and fake.pendings == 1
        assert "retransmitting" in r.stderr and "pending" in r.stderr
        assert os.stat(keys).st_mode & 0o777 == 0o600
        ktext = open(keys).read()
        # after 'subtract term=*' no leg is left in the file
        assert "leg 5 leg/1" not in ktext, ktext
        # the request texts are clean MEGACO for tshark
        pcap = os.path.join(tmp, "req.pcap")
        wrpcap(pcap, [IP(src=ME, dst=MRFP) / UDP(sport=2944, dport=2944) / Raw(t.encode())
                      for t in fake.texts])
        tshark_check(pcap, ["Transaction: Request", "Crypto suite: AES_CM_128_HMAC_SHA1_80",
                            "Add", "Modify", "Subtract", "AuditValue"])
        print("ok %d - mrfc scenario over %s" % (
            n, "plaintext" if plaintext else "%s %s" % (alg, "UDP-4500" if udp else "IP-50")))


def keys_file_case(n):
    """The participant key file while legs exist, with the rekeyed MKI."""
    with tmpdir() as tmp:
        pf, cf = keygen(tmp, "aes-gcm-128", MRFP, ME)
        fake = FakeMrfp(pf, False)
        fake.dropped_first = True
        fake.start()
        keys = os.path.join(tmp, "keys.txt")
        base = [MRFC, "--sa", cf, "--keys-out", keys, "--timeout", "5000"]
        scen = os.path.join(tmp, "s.txt")
        open(scen, "w").write("add legs=2 remote=127.0.0.1:40000\nmodify term=leg/2 rekey=on mki=7\n")
        r = subprocess.run(base + ["scenario", scen], capture_output=True, text=True, timeout=60)
        fake.stop = True
        assert r.returncode == 0, r.stderr
        lines = open(keys).read().splitlines()
        legs = [l for l in lines if l.startswith("leg ")]
        assert legs == ["leg 5 leg/1 127.0.0.2 20002 127.0.0.1 40000 0",
                        "leg 5 leg/2 127.0.0.2 20004 127.0.0.1 40002 0"], legs
        tx = [l for l in lines if l.startswith("tx ")]
        rx = [l for l in lines if l.startswith("rx ")]
        assert len(tx) == 2 and len(rx) == 2
        assert tx[0].endswith("|2^31|1:4") and tx[1].endswith("|2^31|7:4"), tx
        assert rx[1].endswith("|7:4") and tx[0] != tx[1] and rx[0] != tx[0]
        # the key itself is 30 random bytes, base64
        assert re.match(r"tx 1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}\|", tx[0])
        # keys are never printed: requests (stderr) and replies (stdout) show fingerprints
        for line in tx + rx:
            key = line.split("inline:")[1].split("|")[0]
            assert key not in r.stdout and key not in r.stderr, "a key was printed"
        assert "inline:<fp:" in r.stderr
        print("ok %d - participant key file" % n)


def wrong_key_case(n):
    with tmpdir() as tmp:
        pf, cf = keygen(tmp, "aes-gcm-128", MRFP, ME)
        os.makedirs(os.path.join(tmp, "other"))
        pf2, _ = keygen(os.path.join(tmp, "other"), "aes-gcm-128", MRFP, ME)
        fake = FakeMrfp(pf2, False)  # the MRFP has other keys
        fake.dropped_first = True
        fake.start()
        r = subprocess.run([MRFC, "--quiet", "--sa", cf, "--retx", "100", "--timeout", "1500",
                            "add"], capture_output=True, text=True, timeout=30)
        fake.stop = True
        assert r.returncode == 3, (r.returncode, r.stderr)
        assert fake.texts == []
        print("ok %d - wrong key: nothing decrypts, mrfc gives up with exit 3" % n)


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    n = 0
    for udp, alg in ((False, "aes-gcm-128"), (True, "aes-cbc-128-hmac-sha1-96"),
                     (False, "aes-cbc-128-hmac-sha256-128"), (True, "aes-gcm-256")):
        n += 1
        run_case(n, udp, alg)
    n += 1
    run_case(n, False, "aes-gcm-128", plaintext=True)
    n += 1
    keys_file_case(n)
    n += 1
    wrong_key_case(n)
    print("%d passed, 0 failed" % n)


if __name__ == "__main__":
    main()

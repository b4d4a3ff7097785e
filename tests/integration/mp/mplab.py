# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the daemon-side Mp tests.

- read_keys(): mrfc's participant key file -> mxp-srtp-peer arguments;
- mp_config(): ESP key pairs (mrfc keygen) and the daemon's [mp] section: pair A for the
  mrfc tool at KERNEL_IP4, pair B for a scapy MRFC at MRFC_B, which is also the [mp] mrfc
  that ServiceChange and Notify go to;
- ns_socket(): a socket created inside the lab's network namespace (setns(2) in a helper
  thread), usable from the test process;
- ScapyMrfc: an MRFC written with scapy's ESP layer (an implementation independent of
  lib/esp): sends requests, sends crafted/mutated ESP, answers the daemon's ServiceChange
  and Notify, and keeps every message it decrypted (for tshark);
- Capture, esp_inner(), tshark_megaco(): every frame on the veth, the ESP of an mrfc key
  file decrypted with scapy (IPv4 or IPv6, UDP or SCTP inside), dissected by tshark.
"""
import ctypes
import os
import queue
import re
import socket
import subprocess
import threading
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

import esp_common

MRFC_B = "192.0.2.3"          # the scapy MRFC's address (in the lab namespace)
SPI_B = 0x20000               # pair B's SPIs (pair A's are random 0x1xxxx)


def read_keys(path):
    """Parse mrfc's --keys-out file: one dict per leg (ctx, term, mrfp addr/port,
    participant addr/port, tx and rx keys in mxp-srtp-peer's form BASE64[:MKI:LEN], several
    rx keys joined with ';' during a rekey overlap)."""
    legs, cur = [], None
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "leg":
                cur = dict(ctx=int(w[1]), term=w[2], mrfp=w[3], mrfp_port=int(w[4]),
                           addr=w[5], port=int(w[6]), pt=int(w[7]), rx_all=[])
                legs.append(cur)
            elif w[0] in ("tx", "rx") and cur is not None:
                m = re.search(r"inline:([A-Za-z0-9+/=]+)", line)
                mki = re.search(r"\|(\d+):(\d+)", line)
                spec = m.group(1) + (":%s:%s" % (mki.group(1), mki.group(2)) if mki else "")
                if w[0] == "rx":
                    cur["rx_all"].append(spec)
                    cur["rx"] = ";".join(cur["rx_all"])
                    if len(cur["rx_all"]) > 1:
                        continue  # rx_mki/rx_b64 stay those of the active (first) key
                else:
                    cur["tx"] = spec
                cur[w[0] + "_mki"] = int(mki.group(1)) if mki else None
                cur[w[0] + "_b64"] = m.group(1)
                cur[w[0] + "_line"] = " ".join(w[1:])
    return legs


def mp_config(tmp, daemon_ip, mrfc_ip, extra="", alg="aes-gcm-128", udp=False):
    """Two SA pairs and the [esp] and [mp] sections. Returns (section text, mrfc tool SA file,
    scapy MRFC SA file)."""
    a = os.path.join(tmp, "a")
    b = os.path.join(tmp, "b")
    os.makedirs(a, exist_ok=True)
    os.makedirs(b, exist_ok=True)
    pa, ca = esp_common.keygen(a, alg, daemon_ip, mrfc_ip, udp=udp)
    cmd = [esp_common.MRFC, "keygen", "--alg", alg, "--mrfp", daemon_ip, "--mrfc", MRFC_B,
           "--mrfp-out", os.path.join(b, "mrfp.sa"), "--mrfc-out", os.path.join(b, "mrfc.sa"),
           "--spi", str(SPI_B)] + (["--udp"] if udp else [])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    pb, cb = os.path.join(b, "mrfp.sa"), os.path.join(b, "mrfc.sa")
    both = os.path.join(tmp, "mrfp.sa")
    fd = os.open(both, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(open(pa).read() + open(pb).read())
    sect = "\n[esp]\nsa_file = %s\n[mp]\nmrfc = %s\n%s" % (both, MRFC_B, extra)
    return sect, ca, cb


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def ns_socket(ns, *args):
    """socket.socket(*args) created in network namespace ns."""
    out = {}

    def work():
        with open("/proc/thread-self/ns/net") as me, open("/var/run/netns/" + ns) as there:
            if _libc.setns(there.fileno(), CLONE_NEWNET) != 0:
                out["err"] = ctypes.get_errno()
                return
            try:
                out["sock"] = socket.socket(*args)
            finally:
                _libc.setns(me.fileno(), CLONE_NEWNET)
    t = threading.Thread(target=work)
    t.start()
    t.join()
    if "err" in out:
        raise OSError(out["err"], "setns")
    return out["sock"]


def audio_sdp(addr, port, pt, rtpmap, fmtp):
    """An SDP of one audio payload type (plain RTP/AVP), with its rtpmap and fmtp if given."""
    s = "v=0\nc=IN IP4 %s\nm=audio %s RTP/AVP %d\n" % (addr, port, pt)
    if rtpmap:
        s += "a=rtpmap:%d %s\n" % (pt, rtpmap)
    if fmtp:
        s += "a=fmtp:%d %s\n" % (pt, fmtp)
    return s + "a=ptime:20\n"


def add_reply_leg(text):
    """(context, leg, local port) of an Add reply, or None."""
    m = re.search(r"Context\s*=\s*(\d+).*?Add\s*=\s*leg/(\d+).*?m=audio (\d+)", text, re.S)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def tid_of(text):
    m = re.search(r"(?:Transaction|T|Reply|P|Pending|PN)\s*=\s*(\d+)", text)
    return int(m.group(1)) if m else None


class ScapyMrfc(threading.Thread):
    """An MRFC at `local` speaking to the daemon at `mrfp` with scapy's ESP (the SAs of an
    mrfc-side key file). Requests of the daemon (ServiceChange, Notify) are answered unless
    `answer` is false; `drop_first` of them are ignored first (to see retransmissions)."""

    def __init__(self, ns, key_file, local, mrfp, answer=True, drop_first=0, pending=False):
        super().__init__(daemon=True)
        self.sa_in = esp_common.scapy_sa(esp_common.sa_of(key_file, "in"))
        self.sa_out = esp_common.scapy_sa(esp_common.sa_of(key_file, "out"))
        self.spi_in = int(esp_common.sa_of(key_file, "in")["spi"], 0)
        self.spi_out = int(esp_common.sa_of(key_file, "out")["spi"], 0)
        self.local, self.mrfp = local, mrfp
        self.sock = ns_socket(ns, socket.AF_INET, socket.SOCK_RAW, 50)
        self.sock.bind((local, 0))
        self.sock.settimeout(0.1)
        self.answer, self.drop_first, self.pending = answer, drop_first, pending
        self.seq = 1
        self.lock = threading.Lock()
        self.received = []        # (time, text) of everything decrypted
        self.inner = []           # the inner IP packets (for tshark), both directions
        self.requests = []        # (time, text) of the daemon's requests
        self.replies = queue.Queue()
        self.stop_flag = False
        self.start()

    # -- sending -------------------------------------------------------------------------
    def esp_bytes(self, text, seq=None, sport=2944, dport=2944):
        """The ESP packet (from the SPI) carrying text in UDP sport->dport."""
        with self.lock:
            if seq is None:
                seq = self.seq
                self.seq += 1
        inner = IP(src=self.local, dst=self.mrfp) / UDP(sport=sport, dport=dport) / \
            Raw(text.encode() if isinstance(text, str) else text)
        self.inner.append(bytes(IP(bytes(inner))))
        e = self.sa_out.encrypt(IP(bytes(inner)), seq_num=seq)
        return bytes(e[ESP])

    def send_raw(self, esp):
        self.sock.sendto(esp, (self.mrfp, 0))

    def send(self, text, **kw):
        self.send_raw(self.esp_bytes(text, **kw))

    def transact(self, body, timeout=5.0, compact=False):
        """Send a request (a transaction, or a whole message) and wait for its reply (a
        Pending is skipped). Returns the reply text, or None."""
        text = body if body.startswith(("MEGACO", "!")) else \
            ("%s/3 [%s]:2944\n%s" % ("!" if compact else "MEGACO", self.local, body))
        want = tid_of(text)
        self.send(text)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                r = self.replies.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if want is None or tid_of(r) == want or re.search(r"\bError\s*=|\bER\s*=", r[:200]):
                if re.search(r"\b(Pending|PN)\s*=", r):
                    continue
                return r
        return None

    # -- receiving -----------------------------------------------------------------------
    def run(self):
        while not self.stop_flag:
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            try:
                pkt = IP(data)
                if not pkt.haslayer(ESP) or pkt[ESP].spi != self.spi_in:
                    continue
                dec = self.sa_in.decrypt(pkt)
            except Exception as e:  # noqa: BLE001
                print("# scapy MRFC: cannot decrypt: %s" % e, flush=True)
                continue
            self.inner.append(bytes(dec))
            u = dec[UDP]
            text = bytes(u.payload).decode(errors="replace")
            now = time.monotonic()
            self.received.append((now, text))
            if re.search(r"\b(Transaction|T)\s*=\s*\d+", text):
                self.requests.append((now, text))
                self.on_request(text, u.sport)
            else:
                self.replies.put(text)

    def on_request(self, text, sport):
        if self.drop_first > 0:
            self.drop_first -= 1
            return
        if not self.answer:
            return
        tid = tid_of(text)
        if self.pending:
            self.send("MEGACO/3 [%s]:2944\nPending = %d { }\n" % (self.local, tid), dport=sport)
        m = re.search(r"\b(?:Context|C)\s*=\s*([-0-9]+)", text)
        ctx = m.group(1) if m else "-"
        if re.search(r"\b(ServiceChange|SC)\s*=", text):
            body = "Context = - { ServiceChange = ROOT { Services { Version = 3 } } }"
        else:
            term = re.search(r"\b(?:Notify|N)\s*=\s*([^\s{,]+)", text)
            body = "Context = %s { Notify = %s }" % (ctx, term.group(1) if term else "ROOT")
        self.send("MEGACO/3 [%s]:2944\nReply = %d { %s }\n" % (self.local, tid, body),
                  dport=sport)

    def close(self):
        self.stop_flag = True
        self.join(timeout=2)
        self.sock.close()

    def wait_request(self, pattern, timeout=10.0, after=0.0):
        """The first daemon request matching pattern received after time `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, text in list(self.requests):
                if t >= after and re.search(pattern, text):
                    return text
            time.sleep(0.02)
        return None


class Capture(threading.Thread):
    """Every frame on interface ifname of namespace ns (both directions), until stop()."""

    def __init__(self, ns, ifname):
        super().__init__(daemon=True)
        self.sock = ns_socket(ns, socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.1)
        self.frames, self.stop_flag = [], False
        self.start()

    def run(self):
        while not self.stop_flag:
            try:
                self.frames.append(self.sock.recv(65535))
            except socket.timeout:
                continue
            except OSError:
                break

    def stop(self):
        self.stop_flag = True
        self.join()
        self.sock.close()
        return self.frames


def esp_inner(frames, key_file):
    """The inner IP packets (IP or IPv6) of the frames' ESP packets of the SA pair of an
    mrfc-side key file, decrypted with scapy's ESP (transport mode or UDP 4500)."""
    sas = {}
    for d in ("in", "out"):
        sa = esp_common.scapy_sa(esp_common.sa_of(key_file, d))
        sas[sa.spi] = sa
    inner = []
    for f in frames:
        e = Ether(f)
        if not e.haslayer(ESP):
            continue
        sa = sas.get(e[ESP].spi)
        if sa is None:
            continue
        ip = e[IPv6] if e.haslayer(IPv6) else e[IP]
        try:
            d = sa.decrypt(ip)
        except Exception:  # noqa: BLE001
            continue
        inner.append(IPv6(bytes(d)) if d.version == 6 else IP(bytes(d)))
    return inner


def tshark_megaco(pcap_path, packets):
    """Write packets to pcap_path and dissect the MEGACO ones with tshark -V. Returns (the
    text, the lines saying a packet is malformed or carries an expert error)."""
    wrpcap(pcap_path, packets)
    out = subprocess.run(["tshark", "-r", pcap_path, "-V", "-Y", "megaco"],
                         capture_output=True, text=True)
    text = out.stdout + (out.stderr if out.returncode else "")
    bad = [l for l in text.splitlines() if re.search(r"Malformed|Expert Info \(Error", l)]
    if out.returncode:
        bad.append("tshark exit %d" % out.returncode)
    return text, bad

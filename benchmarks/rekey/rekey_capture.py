#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rekey_capture: the exposure of rekey policies taken from a capture, with media flowing.

rekey_live.py reports exposures from the times of Mp replies. This benchmark measures them
from what the daemon actually sent, decrypted afterwards with the keys each participant held:

- the daemon (Lab, Mp over ESP) gets a conference from `mrfc churn` (a trace's joins and
  leaves, the group key rekeyed by a policy with one wildcard Modify, time compressed by
  --speed), and `mrfc churn keys-history=FILE` records when each reply arrived and which
  group key each participant received with;
- a speaker (mxp-srtp-peer, libsrtp2) added to that conference through the CLI sends a
  numbered packet every --interval-ms; the daemon sends each one, encrypted once for the key
  group, to every member (participant i at port 30000 + 2i in the namespace);
- dumpcap captures everything the daemon sends to the members;
- afterwards, every captured packet is authenticated and decrypted here (SRTP from RFC 3711
  written on Python's `cryptography`, checked against the RFC's key-derivation vector:
  neither mixplane's lib/srtp nor libsrtp2), with the group keys from the history.

Per participant, from the capture:
- forward exposure: how long after its Subtract's reply the daemon still sent media that its
  last key decrypts (to anyone): the last such packet's time minus the reply's time;
- backward exposure: how much media sent before its Add's reply its first key decrypts;
- media lost: speaker packets sent to the others while it was a member (from 50 ms after
  its Add's reply to 50 ms before its Subtract's) that it was not sent; must be 0, rekeys
  included;
- packets sent to it after its Subtract's reply, and packets sent to it that no key it
  held decrypts; both must be 0.
Exposures in trace seconds (wall seconds x speed), beside the model's (rekey_policy.py) and
mrfc's from reply times. Prints a table and one JSON line; exit 0 when every check held.

  MXP_BUILD=build rekey_capture.py [--quick] [--speed 20] [--interval-ms 5]
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import signal
import struct
import subprocess
import sys
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "integration"))
import mxplab  # noqa: E402
from mxplab import Lab, KERNEL_IP4, DAEMON_IP4  # noqa: E402
import rekey_policy as model  # noqa: E402

POLICIES = ["immediate", "interval:10", "bounded:10:30"]
MEMBER_PORT = 30000
SPEAKER_PORT = 29000
MAGIC = 0x4d585054
PAYLOAD = 160
MKI_LEN = 4
TAG_LEN = 10


# ---- SRTP (RFC 3711, AES_CM_128_HMAC_SHA1_80), written from the RFC ----------------------

def _aes_cm(key, iv16, n):
    enc = Cipher(algorithms.AES(key), modes.CTR(iv16)).encryptor()
    return enc.update(b"\0" * n) + enc.finalize()


def kdf(master_key, master_salt, label, n):
    """RFC 3711 4.3.1 with key_derivation_rate 0: x = (label << 48) XOR master_salt."""
    x = int.from_bytes(master_salt, "big") ^ (label << 48)
    return _aes_cm(master_key, (x << 16).to_bytes(16, "big"), n)


class Key:
    """A group key: the session keys of its SRTP direction, and its MKI."""

    def __init__(self, crypto):
        # "1 AES_CM_128_HMAC_SHA1_80 inline:<b64>|2^31|<mki>:4"
        f = crypto.split()
        if f[1] != "AES_CM_128_HMAC_SHA1_80":
            raise ValueError("suite %s not handled here" % f[1])
        parts = f[2][len("inline:"):].split("|")
        raw = base64.b64decode(parts[0])
        self.mki = int(parts[-1].split(":")[0]) if ":" in parts[-1] else None
        self.ke = kdf(raw[:16], raw[16:], 0, 16)
        self.ka = kdf(raw[:16], raw[16:], 1, 20)
        self.ks = kdf(raw[:16], raw[16:], 2, 14)

    def auth(self, pkt, roc):
        """Does this key authenticate the SRTP packet (with a 4-byte MKI)?"""
        body, tag = pkt[:-(MKI_LEN + TAG_LEN)], pkt[-TAG_LEN:]
        mac = hmac.new(self.ka, body + struct.pack(">I", roc), hashlib.sha1).digest()
        return hmac.compare_digest(mac[:TAG_LEN], tag)

    def decrypt(self, pkt, roc, hl):
        body = pkt[:-(MKI_LEN + TAG_LEN)]
        ssrc, seq = struct.unpack(">I", pkt[8:12])[0], struct.unpack(">H", pkt[2:4])[0]
        index = (roc << 16) | seq
        iv = (int.from_bytes(self.ks, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
        ks = _aes_cm(self.ke, iv.to_bytes(16, "big"), len(body) - hl)
        return bytes(a ^ b for a, b in zip(body[hl:], ks))


def self_check():
    """RFC 3711 appendix B.3: key derivation."""
    mk = bytes.fromhex("E1F97A0D3E018BE0D64FA32C06DE4139")
    ms = bytes.fromhex("0EC675AD498AFEEBB6960B3AABE6")
    want = {0: "C61E7A93744F39EE10734AFE3FF7A087", 2: "30CBBC08863D8C85D49DB34A9AE1",
            1: "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"}
    for label, hx in want.items():
        got = kdf(mk, ms, label, len(hx) // 2).hex().upper()
        if got != hx:
            raise SystemExit("rekey_capture: SRTP key derivation fails RFC 3711 B.3 "
                             "(label %d: %s, expected %s)" % (label, got, hx))


# ---- the capture ---------------------------------------------------------------------------

def read_pcap(path):
    """Classic pcap, Ethernet: [(t, dst_port, rtp_bytes)] of UDP/IPv4 packets."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        raise mxplab.TestFailure("%s: not a little-endian classic pcap" % path)
    nano = magic == 0xa1b23c4d
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        fr = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
            continue
        ihl = (fr[14] & 15) * 4
        u = 14 + ihl
        dport = struct.unpack(">H", fr[u + 2:u + 4])[0]
        out.append((sec + frac / (1e9 if nano else 1e6), dport, fr[u + 8:]))
    return out


def read_history(path):
    """mrfc churn's keys-history file (doc/mp.md): joins, leaves and group keys, timed.
    A line of another shape means the file is not what this script reads: stop there."""
    joins, leaves, keys = {}, {}, []
    shapes = {"join": 6, "leave": 4, "rekey": 4}
    with open(path) as f:
        for no, line in enumerate(f, 1):
            w = line.split()
            if not w:
                continue
            if w[0] not in shapes or len(w) < shapes[w[0]]:
                raise SystemExit("%s:%d: not a keys-history line (join, leave or rekey "
                                 "with its fields): %r" % (path, no, w[0]))
            try:
                t = float(w[1])
                if w[0] == "join":
                    joins[int(w[2])] = (t, int(w[4]), " ".join(w[5:]))
                elif w[0] == "leave":
                    leaves[int(w[2])] = t
                else:
                    keys.append((t, int(w[2]), " ".join(w[3:])))
            except ValueError:
                raise SystemExit("%s:%d: a %s line with a field that is not a number"
                                 % (path, no, w[0]))
    return joins, leaves, keys


def analyse(cap, hist_path, speed):
    joins, leaves, rekeys = read_history(hist_path)
    # Every group key, by its a=crypto value; participants' keys held, in order.
    keyobj = {}

    def key(c):
        if c not in keyobj:
            keyobj[c] = Key(c)
        return keyobj[c]
    for _, _, c in joins.values():
        key(c)
    for _, _, c in rekeys:
        key(c)
    by_mki = {}
    for c, k in keyobj.items():
        by_mki.setdefault(k.mki, []).append(k)

    # One SRTP packet goes to every member: identify each by its bytes, decrypt it once.
    uniq = {}     # bytes -> [first time, key, (speaker id, seq)]
    roc = {}      # ssrc -> (roc, highest seq)
    undecryptable = 0
    rtcp = sum(1 for _, port, _ in cap if port & 1)
    cap = [x for x in cap if not x[1] & 1]   # RTP on even ports; RTCP (SRTCP) beside it
    for t, port, p in sorted(cap, key=lambda x: x[0]):
        if p in uniq:
            continue
        if len(p) < 12 + MKI_LEN + TAG_LEN or p[0] >> 6 != 2:
            undecryptable += 1
            continue
        cc = p[0] & 15
        hl = 12 + 4 * cc
        if p[0] & 0x10:
            hl += 4 + 4 * struct.unpack(">H", p[hl + 2:hl + 4])[0]
        ssrc, seq = struct.unpack(">I", p[8:12])[0], struct.unpack(">H", p[2:4])[0]
        r, hi = roc.get(ssrc, (0, seq))
        # RFC 3711 appendix A: the ROC this sequence number most likely belongs to.
        v = r
        if hi < 32768 and seq - hi > 32768:
            v = r - 1
        elif hi >= 32768 and hi - 32768 > seq:
            v = r + 1
        mki = struct.unpack(">I", p[-(MKI_LEN + TAG_LEN):-TAG_LEN])[0]
        found = None
        for k in by_mki.get(mki, []):
            if k.auth(p, v):
                found = k
                break
        if found is None:
            undecryptable += 1
            uniq[p] = [t, None, None]
            continue
        if ssrc not in roc or (v == r and seq > hi) or v > r:
            roc[ssrc] = (v, seq)
        pl = found.decrypt(p, v, hl)
        m, sid, sseq = struct.unpack(">III", pl[:12])
        intact = m == MAGIC and len(pl) == PAYLOAD and all(
            pl[i] == (sid * 37 + sseq * 11 + i) & 255 for i in range(12, PAYLOAD))
        uniq[p] = [t, found, (sid, sseq) if intact else None]

    # A few packets against every other key: none may authenticate.
    cross = 0
    sample = [p for p, u in list(uniq.items())[::max(1, len(uniq) // 200)] if u[1]]
    for p in sample:
        ssrc = struct.unpack(">I", p[8:12])[0]
        for k in keyobj.values():
            if k is not uniq[p][1] and k.auth(p, roc.get(ssrc, (0, 0))[0]):
                cross += 1

    # Per key: the first and last time the daemon sent something it decrypts.
    span = {}
    for p, (t, k, _) in uniq.items():
        if k is None:
            continue
        a, b = span.get(id(k), (t, t))
        span[id(k)] = (min(a, t), max(b, t))
    # Per member port: what it was sent (time, key, speaker seq).
    to = {}
    for t, port, p in cap:
        u = uniq.get(p)
        to.setdefault(port, []).append((t, u[1] if u else None, u[2] if u else None))
    all_seqs = sorted((u[0], u[2]) for u in uniq.values() if u[2])

    fwd, bwd = [], []
    lost = after_leave = not_held = bad_payload = 0
    key_times = [(t, key(c)) for t, _, c in rekeys]
    for pid, (tj, port, cj) in joins.items():
        tl = leaves.get(pid)
        held = [key(cj)] + [k for t, k in key_times if t >= tj and (tl is None or t <= tl)]
        # Backward: media sent before the join that the joiner's first key decrypts.
        a, _ = span.get(id(key(cj)), (None, None))
        bwd.append(max(0.0, tj - a) * speed if a is not None else 0.0)
        if tl is not None:
            last = key(cj)
            for t, k in key_times:
                if tj <= t <= tl:
                    last = k
            _, b = span.get(id(last), (None, None))
            fwd.append(max(0.0, b - tl) * speed if b is not None else 0.0)
        got = to.get(port, [])
        seen = set()
        for t, k, s in got:
            if tl is not None and t > tl:
                after_leave += 1
            if k is not None and all(k is not h for h in held):
                not_held += 1
            if s is None:
                bad_payload += 1
            else:
                seen.add(s)
        # Its Add and Subtract take effect some time before their replies: 50 ms margins.
        end = tl - 0.05 if tl is not None else float("inf")
        want = {s for t, s in all_seqs if tj + 0.05 < t < end}
        lost += len(want - seen)
    return {"participants": len(joins), "leavers": len(leaves), "rekeys": len(rekeys),
            "keys": len(keyobj), "packets_captured": len(cap), "rtcp_packets": rtcp,
            "packets_unique": len(uniq), "speaker_packets": len({x for _, x in all_seqs}),
            "undecryptable": undecryptable, "cross_key_auth": cross,
            "cross_checked": len(sample) * max(0, len(keyobj) - 1),
            "media_lost": lost, "sent_after_leave": after_leave,
            "sent_under_key_not_held": not_held, "bad_payload": bad_payload,
            "fwd_max_s": round(max(fwd), 2) if fwd else 0,
            "fwd_p95_s": round(model.pct(fwd, 0.95), 2) if fwd else 0,
            "bwd_max_s": round(max(bwd), 2) if bwd else 0,
            "bwd_p95_s": round(model.pct(bwd, 0.95), 2) if bwd else 0}


# ---- one live run ----------------------------------------------------------------------------

def find_conference(lab, deadline, old):
    while time.monotonic() < deadline:
        c = [x["id"] for x in lab.ctl_json("show", "conferences") if x["id"] not in old]
        if c:
            return c[0]
        time.sleep(0.01)
    raise mxplab.TestFailure("mrfc churn created no conference")


def run(lab, kind, n, speed, pol, interval_ms):
    ev = model.trace(kind, n)
    tag = "%s-%d-%s" % (kind, n, pol.replace(":", "_"))
    trace = os.path.join(lab.dir, tag + ".trace")
    with open(trace, "w") as f:
        for (t, d, p) in ev:
            f.write("%.6f %+d %d\n" % (t, d, p))
    hist = os.path.join(lab.dir, tag + ".keys-history")
    pcap = os.path.join(lab.dir, tag + ".pcap")
    wall = ev[-1][0] / speed
    old = {x["id"] for x in lab.ctl_json("show", "conferences")}
    dump = subprocess.Popen(
        ["ip", "netns", "exec", lab.ns, "dumpcap", "-q", "-i", lab.veth_k, "-P",
         "-B", "64", "-w", pcap, "-f", "udp and src host %s and dst portrange %d-%d" % (
             DAEMON_IP4, MEMBER_PORT, MEMBER_PORT + 20000)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        mxplab.wait_for(lambda: (os.path.exists(pcap) and os.path.getsize(pcap) >= 24)
                        or dump.poll() is not None, 20, "dumpcap to start")
        if dump.poll() is not None:
            raise mxplab.TestFailure("dumpcap exited (%d): %s" % (dump.returncode,
                                                                dump.stderr.read()[-500:]))
        churn = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa", lab.mrfc_sa, "--quiet", "churn",
             "trace=" + trace, "policy=" + pol, "speed=%g" % speed,
             "remote=%s:%d" % (KERNEL_IP4, MEMBER_PORT), "keys-history=" + hist],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conf = find_conference(lab, time.monotonic() + 20, old)
        # The speaker's keys carry a 4-byte MKI as the group's do: a wildcard Modify gives
        # every leg of the context (the speaker's too) a new Local key with one.
        k_in, k_out = mxplab.gen_key(), mxplab.gen_key()
        r = lab.ctl_input("in %s\nout %s\n" % (mxplab.crypto_line(k_in, mki=(1, 4)),
                                               mxplab.crypto_line(k_out, mki=(1, 4))),
                          "leg", "add", str(conf), "remote", KERNEL_IP4, str(SPEAKER_PORT),
                          "label", "speaker", "--json")
        leg = json.loads(r.stdout)
        count = int(wall * 1000 / interval_ms) + 1
        spk = lab.peer(KERNEL_IP4, tx=[(SPEAKER_PORT, DAEMON_IP4, leg["local_port"],
                                         k_in + ":1:4", 0x5eaca000, 1)],
                       count=count, interval_ms=interval_ms, wait_ms=0, background=True)
        out, err = churn.communicate(timeout=wall * 3 + 120)
        spk.kill()
        spk.wait()
        # The speaker's leg keeps the context's conference after the last Subtract.
        lab.ctl("conference", "delete", str(conf), check_rc=False)
    finally:
        time.sleep(0.2)   # the last packets reach the capture
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=20)
    live = None
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            live = json.loads(line)
            break
    if churn.returncode != 0 or live is None:
        raise mxplab.TestFailure("mrfc churn failed (%d): %s %s" % (churn.returncode, out[-3000:],
                                                                  err[-500:]))
    a = analyse(read_pcap(pcap), hist, speed)
    rk, mem = model.simulate(ev, pol)
    fwd, bwd = model.exposures(ev, rk)

    def fin(x):
        return None if x == float("inf") else round(x, 1)
    ok = (live["ok"] and a["media_lost"] == 0 and a["sent_after_leave"] == 0
          and a["sent_under_key_not_held"] == 0 and a["undecryptable"] == 0
          and a["bad_payload"] == 0 and a["cross_key_auth"] == 0 and a["speaker_packets"] > 0)
    return {"trace": kind, "participants": n, "policy": pol, "speed": speed,
            "interval_ms": interval_ms, "ok": ok,
            "model": {"rekeys": len(rk), "fwd_max_s": fin(max(fwd) if fwd else 0),
                      "fwd_p95_s": fin(model.pct(fwd, 0.95)), "bwd_max_s": fin(max(bwd)),
                      "bwd_p95_s": fin(model.pct(bwd, 0.95))},
            "replies": {k: live[k] for k in ("rekeys", "rekeys_empty", "fwd_exposure_max_s",
                                             "fwd_exposure_p95_s", "bwd_exposure_max_s",
                                             "bwd_exposure_p95_s", "never_rekeyed")},
            "capture": a}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a meeting of 50 at 60x, two policies (about a minute)")
    ap.add_argument("--speed", type=float, default=20,
                    help="trace seconds per wall second (20: a 34-minute meeting in 102 s)")
    ap.add_argument("--interval-ms", type=int, default=5,
                    help="the speaker's packet interval (5: 0.1 trace s at 20x)")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    self_check()
    n, speed = (50, 60.0) if a.quick else (200, a.speed)
    pols = POLICIES[1:] if a.quick else POLICIES
    out = []
    with Lab("rekeycap", mp=True) as lab:
        for pol in pols:
            out.append(run(lab, "meeting", n, speed, pol, a.interval_ms))
            print("# %s: %s" % (pol, json.dumps(out[-1]["capture"])), flush=True)
    print("Exposure taken from a capture of what the daemon sent (mrfc churn, one group key,")
    print("a libsrtp2 speaker; decrypted afterwards with each participant's keys)")
    print("%-8s %4s %-14s %5s %6s %15s %15s %15s %6s %7s %6s" % (
        "trace", "N", "policy", "speed", "rekeys", "fwd max m/rp/cap", "bwd max m/rp/cap",
        "fwd p95 m/cap", "lost", "packets", "result"))

    def f(x):
        return "never" if x is None else "%.1f" % x
    for o in out:
        m, r, c = o["model"], o["replies"], o["capture"]
        print("%-8s %4d %-14s %4gx %6d %15s %15s %15s %6d %7d %6s" % (
            o["trace"], o["participants"], o["policy"], o["speed"], c["rekeys"],
            "%s/%s/%s" % (f(m["fwd_max_s"]), "never" if r["never_rekeyed"] else
                          "%.1f" % r["fwd_exposure_max_s"], f(c["fwd_max_s"])),
            "%s/%.1f/%s" % (f(m["bwd_max_s"]), r["bwd_exposure_max_s"], f(c["bwd_max_s"])),
            "%s/%s" % (f(m["fwd_p95_s"]), f(c["fwd_p95_s"])), c["media_lost"],
            c["packets_captured"], "ok" if o["ok"] else "FAIL"))
    print("m: the model; rp: from mrfc's reply times; cap: from the capture. Exposures in "
          "trace seconds; lost: speaker packets a member was not sent while a member.")
    ok = all(o["ok"] for o in out)
    line = json.dumps({"benchmark": "rekey_capture", "ok": ok, "runs": out},
                      separators=(",", ":"))
    print(line)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(line + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

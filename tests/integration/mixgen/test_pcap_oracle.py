"""mixgen's packets checked by independent implementations: --pcap-out written without a
daemon (--ctl none, net_null, no hugepages), then every frame parsed by scapy (IPv4 and UDP
checksums recomputed) and every SRTP packet unprotected by libsrtp2 (through ctypes) with
the keys of --keys-out. The RTP fields, the probe extension and the pacing must be what
doc/mixgen.md says."""
import ctypes
import ctypes.util
import os
import struct
import subprocess
import tempfile

import mglab
import mxplab
from mxplab import check

from scapy.all import rdpcap, Ether, IP, UDP  # noqa: E402


class CryptoPolicy(ctypes.Structure):
    _fields_ = [("cipher_type", ctypes.c_uint32), ("cipher_key_len", ctypes.c_int),
                ("auth_type", ctypes.c_uint32), ("auth_key_len", ctypes.c_int),
                ("auth_tag_len", ctypes.c_int), ("sec_serv", ctypes.c_int)]


class Ssrc(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("value", ctypes.c_uint)]


class Policy(ctypes.Structure):
    pass


Policy._fields_ = [("ssrc", Ssrc), ("rtp", CryptoPolicy), ("rtcp", CryptoPolicy),
                   ("key", ctypes.c_char_p), ("keys", ctypes.c_void_p),
                   ("num_master_keys", ctypes.c_ulong), ("deprecated_ekt", ctypes.c_void_p),
                   ("window_size", ctypes.c_ulong), ("allow_repeat_tx", ctypes.c_int),
                   ("enc_xtn_hdr", ctypes.c_void_p), ("enc_xtn_hdr_count", ctypes.c_int),
                   ("next", ctypes.POINTER(Policy))]


def libsrtp():
    name = ctypes.util.find_library("srtp2") or "libsrtp2.so.1"
    lib = ctypes.CDLL(name)
    check(lib.srtp_init() == 0, "libsrtp2 (%s) initialised" % name)
    return lib


def session(lib, key_b64, ssrc):
    import base64
    key = base64.b64decode(key_b64)
    p = Policy()
    lib.srtp_crypto_policy_set_rtp_default(ctypes.byref(p.rtp))
    lib.srtp_crypto_policy_set_rtcp_default(ctypes.byref(p.rtcp))
    p.ssrc.type = 1  # ssrc_specific
    p.ssrc.value = ssrc
    buf = ctypes.create_string_buffer(key, len(key))
    p.key = ctypes.cast(buf, ctypes.c_char_p)
    p.window_size = 128
    s = ctypes.c_void_p()
    check(lib.srtp_create(ctypes.byref(s), ctypes.byref(p)) == 0, "libsrtp2 session for SSRC %08x" % ssrc)
    return s


def read_keys(path):
    """mrfc's participant key file format: leg/tx/rx/ssrc lines."""
    legs, cur = [], None
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "leg":
                cur = dict(conf=int(w[1]), leg=int(w[2]), mixer=w[3], mixer_port=int(w[4]),
                           addr=w[5], port=int(w[6]), pt=int(w[7]))
                legs.append(cur)
            elif w[0] in ("tx", "rx"):
                check(w[2] == "AES_CM_128_HMAC_SHA1_80" and w[3].startswith("inline:"),
                      "a=crypto value of %s: suite and inline key" % w[0])
                cur[w[0]] = w[3][len("inline:"):].split("|")[0]
            elif w[0] == "ssrc":
                cur["ssrc"] = int(w[1])
    return legs


def test():
    d = tempfile.mkdtemp(prefix="mxp-mixgen-pcap-")
    pcap, keys = os.path.join(d, "s.pcap"), os.path.join(d, "keys.txt")
    cmd = [mglab.MIXGEN, "-l", "0", "--no-pci", "--no-huge", "-m", "256", "--file-prefix",
           "mgp%d" % os.getpid(), "--log-level", "lib.eal:warning", "--vdev=net_null0", "--",
           "--ctl", "none", "--peer", "198.18.0.1", "--peer-mac", "02:00:00:00:00:01",
           "--confs", "2", "--participants", "3", "--audio", "pattern", "--mbufs", "2047",
           "--pcap-out", pcap, "--pcap-seconds", "1", "--keys-out", keys]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "mixgen --pcap-out ran (rc %d) %s" % (p.returncode, p.stderr[-400:]))
    check(oct(os.stat(keys).st_mode & 0o777) == "0o600", "--keys-out file is mode 0600")
    legs = read_keys(keys)
    check(len(legs) == 6 and all("tx" in l and "rx" in l and "ssrc" in l for l in legs),
          "six legs with their keys and SSRCs in the key file")

    frames = rdpcap(pcap)
    check(len(frames) == 300, "1 s of 6 senders at 20 ms = 300 frames (%d)" % len(frames))
    lib = libsrtp()
    by_ssrc = {l["ssrc"]: (i, l, session(lib, l["tx"], l["ssrc"])) for i, l in enumerate(legs)}
    seen = {s: [] for s in by_ssrc}
    bad_ck = 0
    for k, fr in enumerate(frames):
        ip, udp = fr[IP], fr[UDP]
        raw = bytes(udp.payload)
        # checksums as scapy computes them
        c = Ether(bytes(fr))
        del c[IP].chksum
        del c[UDP].chksum
        c = Ether(bytes(c))
        if c[IP].chksum != ip.chksum or c[UDP].chksum != udp.chksum:
            bad_ck += 1
        ssrc = struct.unpack("!I", raw[8:12])[0]
        idx, leg, s = by_ssrc[ssrc]
        check(fr[Ether].dst == "02:00:00:00:00:01" and ip.dst == "198.18.0.1"
              and ip.src == "198.18.0.100" and udp.sport == leg["port"]
              and udp.dport == leg["mixer_port"], "frame %d addressed from leg %s" % (k, leg["leg"]))\
            if k < 6 else None
        buf = ctypes.create_string_buffer(raw, len(raw))
        n = ctypes.c_int(len(raw))
        rc = lib.srtp_unprotect(s, buf, ctypes.byref(n))
        if rc != 0:
            check(False, "libsrtp2 unprotects frame %d (SSRC %08x): error %d" % (k, ssrc, rc))
        rtp = buf.raw[:n.value]
        seq, ts = struct.unpack("!HI", rtp[2:8])
        seen[ssrc].append((seq, ts, rtp, float(fr.time)))
    check(bad_ck == 0, "IPv4 and UDP checksums of all %d frames are right" % len(frames))
    check(len(frames) == sum(len(v) for v in seen.values()),
          "libsrtp2 authenticated and decrypted every packet")
    for ssrc, pk in seen.items():
        idx = by_ssrc[ssrc][0]
        check(len(pk) == 50, "sender %d: 50 packets" % idx)
        seqs = [(pk[i + 1][0] - pk[i][0]) & 0xffff for i in range(len(pk) - 1)]
        tss = [(pk[i + 1][1] - pk[i][1]) & 0xffffffff for i in range(len(pk) - 1)]
        gaps = [round(pk[i + 1][3] - pk[i][3], 4) for i in range(len(pk) - 1)]
        check(set(seqs) == {1} and set(tss) == {160} and set(gaps) == {0.02},
              "sender %d: sequence +1, timestamp +160, one packet every 20 ms" % idx)
        rtp = pk[0][2]
        check(rtp[0] == 0x90 and rtp[1] & 0x7f == 0 and rtp[1] & 0x80,
              "sender %d: V=2, X=1, PT 0 (PCMU), marker on the first packet" % idx)
        check(rtp[12:16] == b"\xbe\xde\x00\x04" and rtp[16] == (7 << 4 | 11)
              and struct.unpack("!I", rtp[17:21])[0] == idx,
              "sender %d: the probe extension (id 7, 12 bytes) names the sender" % idx)
        check(len(rtp) == 162, "sender %d: 162-byte RTP (172-byte SRTP)" % idx)
    subprocess.run(["rm", "-rf", d])


mxplab.main(test)

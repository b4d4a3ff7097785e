#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""srtp-pcap against independent implementations.

1. ffmpeg (its own SRTP code, not libsrtp) sends SRTP + SRTCP to a local socket; a Python
   receiver writes what arrives to a pcap (scapy). ffmpeg also sends the same audio as
   plain RTP, with the same SSRC and sequence numbers.
2. srtp-pcap decrypts the capture: every packet authenticates, tshark decodes the output as
   RTP/RTCP (g711U stream, nothing lost, no malformed packets), and the payloads equal
   ffmpeg's plain RTP. libsrtp2 decrypting the same capture agrees byte for byte.
3. srtp-pcap encrypts the plain RTP with every suite (and an MKI); libsrtp2 accepts every
   packet and recovers the payloads; srtp-pcap decrypts its own output back to the input.
4. Wrong keys, replays in the capture and bad input give the documented reports and exit
   codes, and no error message contains a key.
"""
import base64
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, UDP, Raw, wrpcap, rdpcap  # noqa: E402

BUILD = os.environ["MXP_BUILD"]
SRTP_PCAP = os.path.join(BUILD, "app", "srtp-pcap", "srtp-pcap")
CHECK = os.path.join(BUILD, "tests", "integration", "srtp", "libsrtp_pcap_check")
SSRC = 0x12345678
SEQ0 = 65500  # the sequence number wraps during the run: the ROC must follow
KEY = base64.b64encode(bytes(range(1, 31))).decode()

failures = 0


def check(cond, what):
    global failures
    print(("ok     " if cond else "FAILED ") + what, flush=True)
    if not cond:
        failures += 1
    return cond


def port_pair():
    """An even UDP port p with p and p + 1 free on 127.0.0.1."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1] & ~1
        s.close()
        try:
            socks = []
            for q in (p, p + 1):
                t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                t.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                t.bind(("127.0.0.1", q))
                socks.append(t)
            return p, socks
        except OSError:
            for t in socks:
                t.close()
    raise RuntimeError("no free UDP port pair")


def ffmpeg_capture(url_scheme, extra, pcap, pkt_size=184):
    """Run ffmpeg sending 3 s of G.711 to a fresh port pair; write what arrives."""
    port, socks = port_pair()
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=3",
           "-c:a", "pcm_mulaw", "-ar", "8000", "-ac", "1",
           "-ssrc", str(SSRC), "-seq", str(SEQ0), "-rtpflags", "send_bye",
           "-f", "rtp"] + extra + ["%s://127.0.0.1:%d?pkt_size=%d" % (url_scheme, port, pkt_size)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    got = []
    try:
        quiet_since = None
        while True:
            r, _, _ = select.select(socks, [], [], 0.2)
            for s in r:
                data, addr = s.recvfrom(65535)
                got.append((time.time(), addr, s.getsockname()[1], data))
            if proc.poll() is not None:
                quiet_since = quiet_since or time.time()
                if not r and time.time() - quiet_since > 0.5:
                    break
    finally:
        if proc.poll() is None:
            proc.kill()
        err = proc.communicate()[1].decode(errors="replace")
        for s in socks:
            s.close()
    if proc.returncode != 0:
        raise RuntimeError("ffmpeg failed: " + err)
    frames = []
    for t, addr, dport, data in got:
        f = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
             IP(src=addr[0], dst="127.0.0.1") / UDP(sport=addr[1], dport=dport) / Raw(data))
        f.time = t
        frames.append(f)
    wrpcap(pcap, frames)
    return port, got


def srtp_pcap(args, keys):
    """Run srtp-pcap with keys in a file (-K): keys stay off the command line."""
    with tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False) as kf:
        kf.write("# test keys\n" + "\n".join(keys) + "\n")
    try:
        r = subprocess.run([SRTP_PCAP] + args + ["-K", kf.name], capture_output=True,
                           text=True, timeout=60)
    finally:
        os.unlink(kf.name)
    return r


def udp_payloads(pcap):
    out = []
    for f in rdpcap(pcap):
        if UDP in f:
            out.append(bytes(f[UDP].payload))
    return out


def tshark_rtp(pcap, port):
    r = subprocess.run(["tshark", "-r", pcap, "-d", "udp.port==%d,rtp" % port,
                        "-Y", "rtp", "-T", "fields", "-e", "rtp.seq", "-e", "rtp.payload"],
                       capture_output=True, text=True, timeout=60)
    rows = []
    for line in r.stdout.splitlines():
        seq, _, payload = line.partition("\t")
        rows.append((int(seq), payload.replace(":", "")))
    return rows


def libsrtp(suite, key, pcap, mki=None):
    args = [CHECK, suite, key] + (list(map(str, mki)) if mki else []) + [pcap]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("libsrtp_pcap_check: " + r.stderr)
    return [line.split() for line in r.stdout.splitlines()]


def main():
    tmp = tempfile.mkdtemp(prefix="srtp_pcap_")
    try:
        run(tmp)
    except Exception as e:  # a broken step must fail the test, not hide the rest
        import traceback
        traceback.print_exc()
        check(False, "test raised %s" % e)
    finally:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


def run(tmp):
    cap = os.path.join(tmp, "ffmpeg_srtp.pcap")
    plain_ff = os.path.join(tmp, "ffmpeg_rtp.pcap")
    dec = os.path.join(tmp, "decrypted.pcap")

    # --- 1. ffmpeg sends SRTP and, separately, the same stream as plain RTP -------------
    port, got = ffmpeg_capture("srtp", ["-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80",
                                        "-srtp_out_params", KEY], cap)
    n_rtp = sum(1 for _, _, d, _ in got if d == port)
    n_rtcp = sum(1 for _, _, d, _ in got if d == port + 1)
    check(n_rtp >= 140 and n_rtcp >= 1,
          "ffmpeg sent %d SRTP and %d SRTCP packets (seq from %d: wraps)" % (n_rtp, n_rtcp, SEQ0))
    # --- 2. decrypt ------------------------------------------------------------------------
    line = "dst=127.0.0.1:%d a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s" % (port, KEY)
    r = srtp_pcap(["decrypt", "--json", cap, dec], [line])
    check(r.returncode == 0, "srtp-pcap decrypt exits 0 (%s)" % r.stderr.strip())
    rep = json.loads(r.stdout) if r.returncode == 0 else {"streams": []}
    st = rep["streams"][0] if rep["streams"] else {}
    check(len(rep["streams"]) == 1 and st.get("ssrc") == SSRC,
          "one stream, SSRC 0x%08x" % SSRC)
    check(st.get("rtp") == n_rtp and st.get("rtcp") == n_rtcp and rep.get("failed") == 0,
          "report: %s RTP + %s RTCP decrypted, %s failed" % (st.get("rtp"), st.get("rtcp"),
                                                             rep.get("failed")))
    check(KEY not in r.stdout + r.stderr, "the key is not printed")

    # the plain run must cut the audio the same way: same RTP packet size
    rtp_size = max(len(p) for p, f in zip(udp_payloads(dec), rdpcap(dec))
                   if f[UDP].dport == port)
    pport, _ = ffmpeg_capture("rtp", [], plain_ff, rtp_size)
    mine = tshark_rtp(dec, port)
    ref = tshark_rtp(plain_ff, pport)
    check(len(mine) == n_rtp and len(ref) == len(mine),
          "tshark decodes %d RTP packets (ffmpeg plain run: %d)" % (len(mine), len(ref)))
    check(mine == ref, "decrypted sequence numbers and payloads equal ffmpeg's plain RTP")
    seqs = [s for s, _ in mine]
    check(65535 in seqs and 0 in seqs, "the stream crossed the sequence wrap")

    z = subprocess.run(["tshark", "-r", dec, "-q", "-d", "udp.port==%d,rtp" % port,
                        "-z", "rtp,streams"], capture_output=True, text=True).stdout
    row = [l for l in z.splitlines() if "0x%08x" % SSRC in l.lower()]
    check(len(row) == 1 and "g711U" in row[0] and " 0 (0.0%)" in row[0],
          "tshark rtp,streams: one g711U stream, nothing lost: " + (row[0].strip() if row else "-"))
    rt = subprocess.run(["tshark", "-r", dec, "-d", "udp.port==%d,rtcp" % (port + 1),
                         "-Y", "rtcp || _ws.malformed", "-T", "fields", "-e", "rtcp.pt",
                         "-e", "_ws.malformed"], capture_output=True, text=True).stdout
    pts = " ".join(rt.split())
    check("200" in pts and "203" in pts and "Malformed" not in rt,
          "decrypted SRTCP is RTCP SR and BYE, not malformed (%s)" % pts)

    # independent oracle: libsrtp2 decrypting the same capture gives the same bytes
    lib = libsrtp("AES_CM_128_HMAC_SHA1_80", KEY, cap)
    lib_rtp = [(int(x[2]), x[4]) for x in lib if x[0] == "rtp" and x[3] == "ok"]
    lib_ok = sum(1 for x in lib if "ok" in x)
    check(lib_rtp == mine, "libsrtp2 decrypts ffmpeg's capture to the same payloads")
    check(all("fail" not in x for x in lib) and lib_ok == n_rtp + n_rtcp,
          "libsrtp2 accepts all %d ffmpeg packets" % (n_rtp + n_rtcp))

    # --- 3. encrypt with every suite; libsrtp2 is the receiver --------------------------------
    plain_payloads = udp_payloads(dec)
    suites = [("AES_CM_128_HMAC_SHA1_80", 30, (7, 4)), ("AES_CM_128_HMAC_SHA1_32", 30, None),
              ("AES_256_CM_HMAC_SHA1_80", 46, (300, 2)), ("AES_256_CM_HMAC_SHA1_32", 46, None),
              ("AEAD_AES_128_GCM", 28, (1, 1)), ("AEAD_AES_256_GCM", 44, None)]
    for suite, klen, mki in suites:
        key = base64.b64encode(bytes((i * 37 + klen) & 255 for i in range(klen))).decode()
        attr = "a=crypto:1 %s inline:%s%s" % (suite, key,
                                              "|2^20|%d:%d" % mki if mki else "")
        enc = os.path.join(tmp, "enc.pcap")
        back = os.path.join(tmp, "back.pcap")
        r = srtp_pcap(["encrypt", "--json", dec, enc], ["ssrc=0x%08x %s" % (SSRC, attr)])
        rep = json.loads(r.stdout) if r.returncode == 0 else {"streams": [{}]}
        check(r.returncode == 0 and rep["streams"][0].get("rtp") == n_rtp,
              "%s: srtp-pcap encrypts %d RTP + %s RTCP" % (suite, n_rtp,
                                                          rep["streams"][0].get("rtcp")))
        lib = libsrtp(suite, key, enc, mki)
        lib_rtp = [(int(x[2]), x[4]) for x in lib if x[0] == "rtp" and x[3] == "ok"]
        bad = [x for x in lib if "fail" in x]
        check(not bad and lib_rtp == mine,
              "%s%s: libsrtp2 accepts all %d packets and recovers the payloads%s" %
              (suite, " with MKI" if mki else "", len(lib),
               "" if not bad else " (failures: %s)" % bad[:2]))
        r = srtp_pcap(["decrypt", enc, back], ["any " + attr])
        check(r.returncode == 0 and udp_payloads(back) == plain_payloads,
              "%s: decrypt(encrypt(x)) == x" % suite)

    # --- 4. failures are reported ------------------------------------------------------------
    wrong = base64.b64encode(bytes(30)).decode()
    r = srtp_pcap(["decrypt", "--json", cap, dec],
                  ["a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + wrong])
    rep = json.loads(r.stdout) if r.stdout.startswith("{") else {"streams": [{}]}
    check(r.returncode == 1 and rep["streams"][0].get("auth_failed") == n_rtp + n_rtcp,
          "wrong key: exit 1, %s auth failures reported" % rep["streams"][0].get("auth_failed"))

    frames = rdpcap(cap)
    dup = os.path.join(tmp, "dup.pcap")
    wrpcap(dup, list(frames) + list(frames[-30:-25]))  # inside the 128-packet window
    r = srtp_pcap(["decrypt", "--json", dup, dec], [line])
    rep = json.loads(r.stdout) if r.stdout.startswith("{") else {"streams": [{}]}
    check(r.returncode == 1 and rep["streams"][0].get("replay") == 5,
          "5 duplicated packets in the capture are reported as replays")

    r = srtp_pcap(["decrypt", os.path.join(tmp, "missing.pcap"), dec], [line])
    check(r.returncode == 2 and "missing.pcap" in r.stderr,
          "missing input: exit 2: " + r.stderr.strip())
    junk = os.path.join(tmp, "junk.pcap")
    with open(junk, "wb") as f:
        f.write(b"this is not a capture")
    r = srtp_pcap(["decrypt", junk, dec], [line])
    check(r.returncode == 2 and "junk.pcap" in r.stderr, "not a pcap: exit 2: " + r.stderr.strip())
    short = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY[:-4]
    r = srtp_pcap(["decrypt", cap, dec], [short])
    check(r.returncode == 2 and "needs 30" in r.stderr and KEY[:-4] not in r.stderr,
          "short key: exit 2 without echoing it: " + r.stderr.strip())
    r = srtp_pcap(["decrypt", cap, dec], [line + " UNENCRYPTED_SRTP"])
    check(r.returncode == 2 and "UNENCRYPTED_SRTP" in r.stderr,
          "unsupported session parameter named: " + r.stderr.strip())


if __name__ == "__main__":
    sys.exit(main())

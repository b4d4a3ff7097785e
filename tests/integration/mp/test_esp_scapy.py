#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ESP interoperability with an independent implementation, scapy's ESP layer.

For every algorithm, IPv4 and IPv6, IP protocol 50 and UDP encapsulation (RFC 3948), and
both lib/esp backends (OpenSSL, intel-ipsec-mb):
  - packets scapy encrypts as the MRFP are accepted by lib/esp (mrfc esp-open) and give
    back the inner UDP datagram;
  - packets lib/esp builds (mrfc esp-seal) decrypt in scapy to the inner datagram;
  - a replayed packet, a packet under a wrong key and a packet with a wrong SPI are
    dropped with the right reason.
ESN runs with GCM only: scapy 2.5 leaves the ESN high bits out of HMAC ICVs (see
tests/vectors/gen_esp_vectors.py); lib/esp's ESN with HMAC is covered by the unit tests.
"""
import os
import subprocess
import sys

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw

sys.path.insert(0, os.path.dirname(__file__))
from esp_common import MRFC, keygen, sa_of, scapy_sa, tmpdir  # noqa: E402

MP = b"MEGACO/3 [%s]:2944\nReply = %d { Context = 5 { Add = leg/1 } }\n"


def run(args, stdin):
    r = subprocess.run([MRFC, "--quiet"] + args, input=stdin, capture_output=True, text=True)
    return r.stdout.splitlines(), r


def one(alg, v6, udp, esn, backend):
    mrfp, mrfc = ("2001:db8::2", "2001:db8::1") if v6 else ("192.0.2.2", "192.0.2.1")
    with tmpdir() as tmp:
        pf, cf = keygen(tmp, alg, mrfp, mrfc, udp=udp, esn=esn)
        # scapy plays the MRFP: its outbound SA is the MRFC's inbound one.
        s_out = scapy_sa(sa_of(pf, "out"))
        s_in = scapy_sa(sa_of(pf, "in"))
        L3 = IPv6 if v6 else IP
        pkts, inners = [], []
        for i in range(1, 6):
            inner = UDP(sport=2944, dport=2944) / Raw(MP % (mrfp.encode(), i) + b"x" * (i * 7))
            p = L3(src=mrfp, dst=mrfc) / inner
            p = p.__class__(bytes(p))
            inners.append(bytes(p[UDP]))
            e = s_out.encrypt(p)
            if udp:
                # scapy 2.5 computes the encapsulating UDP length before the ESP payload
                # is attached (len = 8); a real stack would drop that. Recompute it (and
                # the checksum, which IPv6 requires) before handing the packet over.
                e[UDP].len = None
                e[UDP].chksum = None if v6 else 0
                e = e.__class__(bytes(e))
            pkts.append(bytes(e))
        # 1. scapy -> lib/esp, then a replay, a corrupted ICV and an unknown SPI
        lines = [p.hex() for p in pkts] + [pkts[0].hex()]
        bad = bytearray(pkts[1])
        bad[-1] ^= 0x40
        lines.append(bytes(bad).hex())
        spi_off = (40 if v6 else 20) + (8 if udp else 0)
        wrong = bytearray(pkts[2])
        wrong[spi_off + 3] ^= 0x5a
        lines.append(bytes(wrong).hex())
        out, r = run(["--sa", cf, "--crypto", backend, "esp-open"], "\n".join(lines) + "\n")
        assert len(out) == len(lines), (out, r.stderr)
        for i, inner in enumerate(inners):
            assert out[i] == "ok 17 " + inner.hex(), (i, out[i][:80])
        assert out[5] == "drop replay", out[5]
        assert out[6] == "drop replay", out[6]  # seq 2 already accepted: replay first
        assert out[7] == "drop no_sa", out[7]
        # a fresh SA sees the corrupted packet's ICV fail (not a replay)
        out, r = run(["--sa", cf, "--crypto", backend, "esp-open"], bytes(bad).hex() + "\n")
        assert out == ["drop bad_icv"], out
        # 2. lib/esp -> scapy
        out, r = run(["--sa", cf, "--crypto", backend, "esp-seal"],
                     "\n".join(i.hex() for i in inners) + "\n")
        assert len(out) == len(inners), (out, r.stderr)
        for i, h in enumerate(out):
            pkt = L3(bytes.fromhex(h))
            if udp:
                assert pkt[UDP].dport == 4500 and pkt[UDP].sport == 4500
            dec = s_in.decrypt(pkt)
            # scapy 2.5 leaves the encapsulating UDP header in place for IPv6: take the
            # innermost UDP layer.
            k = 1
            while dec.getlayer(UDP, nb=k + 1) is not None:
                k += 1
            assert bytes(dec.getlayer(UDP, nb=k)) == inners[i], \
                "scapy decrypts lib/esp's packet %d" % i
    return True


def main():
    n = 0
    for alg in ("aes-gcm-128", "aes-gcm-256", "aes-cbc-128-hmac-sha1-96",
                "aes-cbc-128-hmac-sha256-128"):
        for v6 in (False, True):
            for udp in (False, True):
                for backend in ("openssl", "ipsec-mb"):
                    esn = alg.startswith("aes-gcm") and v6
                    one(alg, v6, udp, esn, backend)
                    n += 1
                    print("ok %d - %s %s %s%s %s" % (n, alg, "IPv6" if v6 else "IPv4",
                                                    "UDP-4500" if udp else "IP-50",
                                                    " ESN" if esn else "", backend))
    print("%d passed, 0 failed" % n)


if __name__ == "__main__":
    main()

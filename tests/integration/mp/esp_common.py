# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the Mp/ESP integration tests: key files and scapy SAs."""
import os
import re
import subprocess
import tempfile

from scapy.layers.inet import UDP
from scapy.layers.ipsec import ESP, SecurityAssociation

BUILD = os.environ.get("MXP_BUILD", os.path.join(os.path.dirname(__file__), "../../../build"))
MRFC = os.path.join(BUILD, "app", "mrfc", "mrfc")

SCAPY_ALGS = {
    "aes-gcm-128": ("AES-GCM", None),
    "aes-gcm-256": ("AES-GCM", None),
    "aes-cbc-128-hmac-sha1-96": ("AES-CBC", "HMAC-SHA1-96"),
    "aes-cbc-128-hmac-sha256-128": ("AES-CBC", "SHA2-256-128"),
}


def keygen(tmp, alg, mrfp, mrfc, udp=False, esn=False):
    """Run mrfc keygen; returns (mrfp_file, mrfc_file)."""
    p, c = os.path.join(tmp, "mrfp.sa"), os.path.join(tmp, "mrfc.sa")
    cmd = [MRFC, "keygen", "--alg", alg, "--mrfp", mrfp, "--mrfc", mrfc,
           "--mrfp-out", p, "--mrfc-out", c]
    if udp:
        cmd.append("--udp")
    if esn:
        cmd.append("--esn")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    assert os.stat(p).st_mode & 0o777 == 0o600, "key files must be 0600"
    return p, c


def read_sas(path):
    """SA lines of a key file as dicts."""
    sas = []
    for line in open(path):
        line = line.split("#")[0].strip()
        if not line.startswith("sa "):
            continue
        words = line.split()
        d = {"dir": words[1]}
        for w in words[2:]:
            k, v = w.split("=", 1)
            d[k] = v
        sas.append(d)
    return sas


def scapy_sa(d):
    """A scapy SecurityAssociation for one of our SA lines."""
    crypt, auth = SCAPY_ALGS[d["alg"]]
    kw = dict(spi=int(d["spi"], 0), crypt_algo=crypt, crypt_key=bytes.fromhex(d["key"]))
    if auth:
        kw.update(auth_algo=auth, auth_key=bytes.fromhex(d["auth-key"]))
    else:
        kw.update(auth_algo="NULL")
    if d.get("encap") == "udp":
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    if d.get("esn") == "on":
        kw.update(esn_en=True, esn=0)
    return SecurityAssociation(ESP, **kw)


def sa_of(path, direction):
    return [d for d in read_sas(path) if d["dir"] == direction][0]


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="mxp_mp_")


def tshark_check(pcap, must_contain=()):
    """Dissect with tshark -V; fail on malformed packets or expert errors/warnings;
    return the text."""
    out = subprocess.run(["tshark", "-r", pcap, "-V", "-o", "megaco.ctx_info:TRUE"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        out = subprocess.run(["tshark", "-r", pcap, "-V"], capture_output=True, text=True)
    text = out.stdout
    bad = [l for l in text.splitlines()
           if re.search(r"Malformed|Expert Info \((Error|Warning)|\[Expert Info", l)]
    assert out.returncode == 0, out.stderr
    assert not bad, "tshark complains:\n" + "\n".join(bad[:20])
    for s in must_contain:
        assert s in text, "tshark output lacks %r" % s
    return text

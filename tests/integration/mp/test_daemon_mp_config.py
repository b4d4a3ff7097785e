#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""[mp] configuration: every key validated, each error naming the file, section and key
(mixplane -c checks the file without starting EAL)."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, MIXPLANE  # noqa: E402

PORT = "[port0]\ndevice = net_null0\nipv4 = 192.0.2.2/24\n"

CASES = [
    # (the [mp] section's body, expected substring of the error; None = accepted)
    ("sa_file = {sa}\n", None),
    ("allow_plaintext_mp = yes\n", None),
    ("allow_plaintext_mp = no\n", "[mp] sa_file: missing: Mp is only accepted inside ESP"),
    ("sa_file = relative.sa\n", "[mp] sa_file: 'relative.sa' must be an absolute path"),
    ("sa_file = {tmp}/none.sa\n", "No such file or directory"),
    ("sa_file = {loose}\n", "has mode 644: the keys must be readable by the owner only"),
    ("sa_file = {tmp}\n", "is not a regular file"),
    ("sa_file = {sa}\nmrfc = 192.0.2.300\n", "[mp] mrfc: '192.0.2.300' is not an IPv4 or IPv6"),
    ("sa_file = {sa}\nmrfc = 2001:db8::1\nmrfc_port = 0\n", "[mp] mrfc_port: '0' is not a port"),
    ("sa_file = {sa}\ncompact = maybe\n", "[mp] compact: 'maybe' is not yes, no or auto"),
    ("sa_file = {sa}\nesp_backend = aesni\n", "[mp] esp_backend: 'aesni' is not ipsec-mb or openssl"),
    ("sa_file = {sa}\ngenerate_keys = sometimes\n", "[mp] generate_keys: 'sometimes' is not yes or no"),
    ("sa_file = {sa}\nreply_cache = 10\n", "[mp] reply_cache: '10' is not a number 64..1048576"),
    ("sa_file = {sa}\nreply_ttl_ms = 999\n", "[mp] reply_ttl_ms: '999' is not a number 1000..600000"),
    ("sa_file = {sa}\nkeylimit_percent = 101\n", "[mp] keylimit_percent: '101' is not a number 1..100"),
    ("sa_file = {sa}\nretx_initial_ms = 500\nretx_max_ms = 100\n",
     "[mp] retx_max_ms: 100 is below retx_initial_ms 500"),
    ("sa_file = {sa}\nevent_poll_ms = 10\n", "[mp] event_poll_ms: '10' is not a number 100..60000"),
    ("sa_file = {sa}\nauthfail_threshold = 0\n", "[mp] authfail_threshold: '0' is not a number"),
    ("sa_file = {sa}\nallow-plaintext-mp = yes\n", "[mp] allow-plaintext-mp: unknown key (known keys:"),
    ("enabled = no\n", None),
]


def test():
    with tempfile.TemporaryDirectory(prefix="mxp_mpcfg_") as tmp:
        sa = os.path.join(tmp, "mrfp.sa")
        loose = os.path.join(tmp, "loose.sa")
        for path, mode in ((sa, 0o600), (loose, 0o644)):
            with open(path, "w") as f:
                f.write("# empty key file\n")
            os.chmod(path, mode)
        for body, want in CASES:
            cfg = os.path.join(tmp, "m.ini")
            with open(cfg, "w") as f:
                f.write(PORT + "[mp]\n" + body.format(sa=sa, tmp=tmp, loose=loose))
            r = subprocess.run([MIXPLANE, "--", "-c", "-f", cfg], capture_output=True, text=True)
            line = body.strip().splitlines()[-1].format(sa="SA", tmp="TMP", loose="LOOSE")
            if want is None:
                check(r.returncode == 0, "accepted: %s" % line)
            else:
                check(r.returncode == 2 and want in r.stderr and cfg in r.stderr,
                      "refused: %s -> %s" % (line, r.stderr.strip()[len("mixplane: ") + len(cfg) + 2:]))


mxplab.main(test)

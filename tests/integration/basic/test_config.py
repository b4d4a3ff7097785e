"""Bad configuration files: mixplane exits 2 with a message naming the line, the section, the
key and what is wrong, before touching any device. A good file passes the -c check. The [esp]
section and the old [mp] spelling of its keys. doc/configuration.md carries what
`mixplane --config-reference` prints, and the example file passes -c."""
import difflib
import os
import subprocess
import tempfile
import mxplab
from mxplab import check, MIXPLANE, SOURCE

GOOD = """
[mixplane]
socket = /run/mixplane/test.sock
workers = 1
mbufs = 8191
log_level = info

[port0]
device = net_af_packet0,iface=veth0
ipv4 = 192.0.2.2/24
ipv6 = 2001:db8::2/64
gateway4 = 192.0.2.1
gateway6 = fe80::1
mtu = 1500
"""

BAD = [
    # (what, config, expected fragments of the message)
    ("unknown section", GOOD + "[bogus]\nfoo = 1\n", ["[bogus]", "unknown section"]),
    ("unknown media key", GOOD + "[media]\nfoo = 1\n", ["[media] foo", "unknown key"]),
    ("odd media port_min", GOOD + "[media]\nport_min = 20001\n", ["[media] port_min", "even"]),
    ("opus complexity 11", GOOD + "[media]\nopus_complexity = 11\n",
     ["[media] opus_complexity", "0..10"]),
    ("relative codec plugin", GOOD.replace("workers = 1", "workers = 1\ncodec_plugins = x.so"),
     ["[mixplane] codec_plugins", "absolute"]),
    ("unknown key", GOOD.replace("mtu = 1500", "mtu = 1500\nipv5 = 1"), ["[port0] ipv5", "unknown key"]),
    ("bad IPv4", GOOD.replace("192.0.2.2/24", "192.0.2.300/24"), ["[port0] ipv4", "192.0.2.300/24"]),
    ("IPv4 without prefix", GOOD.replace("192.0.2.2/24", "192.0.2.2"), ["[port0] ipv4", "prefix"]),
    ("gateway outside subnet", GOOD.replace("gateway4 = 192.0.2.1", "gateway4 = 198.51.100.1"),
     ["[port0] gateway4", "subnet"]),
    ("missing device", GOOD.replace("device = net_af_packet0,iface=veth0\n", ""), ["[port0] device", "missing"]),
    ("no address", GOOD.replace("ipv4 = 192.0.2.2/24\n", "").replace("ipv6 = 2001:db8::2/64\n", "")
     .replace("gateway4 = 192.0.2.1\n", "").replace("gateway6 = fe80::1\n", ""), ["[port0]", "address"]),
    ("bad mtu", GOOD.replace("mtu = 1500", "mtu = 90000"), ["[port0] mtu", "90000"]),
    ("bad workers", GOOD.replace("workers = 1", "workers = 1,x"), ["[mixplane] workers"]),
    ("bad mbufs", GOOD.replace("mbufs = 8191", "mbufs = lots"), ["[mixplane] mbufs", "lots"]),
    ("bad log level", GOOD.replace("log_level = info", "log_level = chatty"), ["[mixplane] log_level", "chatty"]),
    ("relative socket", GOOD.replace("/run/mixplane/test.sock", "test.sock"), ["[mixplane] socket", "absolute"]),
    ("duplicate key", GOOD.replace("mtu = 1500", "mtu = 1500\nmtu = 1400"), ["[port0] mtu", "twice"]),
    ("duplicate section", GOOD + "[port0]\ndevice = x\n", ["section [port0] appears twice"]),
    ("syntax error", GOOD + "this is not ini\n", ["line %d:" % (GOOD.count("\n") + 1), "key = value"]),
    ("no ports", "[mixplane]\nworkers = 1\n", ["no [portN] section"]),
    ("same device twice", GOOD + "[port1]\ndevice = net_af_packet0,iface=veth0\nipv4 = 10.0.0.1/24\n",
     ["[port1] device", "already used by [port0]"]),
    # every value error names the line the key is on
    ("line of a bad value", GOOD.replace("mtu = 1500", "mtu = 1279"),
     ["line %d: [port0] mtu: '1279' is not a number 1280..9000" % (GOOD.split("\n").index("mtu = 1500") + 1)]),
    ("ctl_ring not a power of two", GOOD.replace("workers = 1", "workers = 1\nctl_ring = 1000"),
     ["[mixplane] ctl_ring", "'1000' is not a power of two 64..65536"]),
    ("port_max below port_min", GOOD + "[media]\nport_min = 30000\nport_max = 30000\n",
     ["[media] port_max", "30000 leaves no port pair above port_min 30000"]),
    ("port number with a leading zero", GOOD + "[port01]\ndevice = net_null0\nipv4 = 10.0.0.1/24\n",
     ["[port01]", "unknown section"]),
    ("port16", GOOD + "[port16]\ndevice = net_null0\nipv4 = 10.0.0.1/24\n", ["[port16]", "[port15]"]),
    ("empty value", GOOD.replace("mtu = 1500", "mtu ="), ["[port0] mtu", "empty value"]),
    ("gateway4 without ipv4", GOOD.replace("ipv4 = 192.0.2.2/24\n", ""), ["[port0] gateway4", "without ipv4"]),
    ("gateway6 outside", GOOD.replace("gateway6 = fe80::1", "gateway6 = 2001:db9::1"),
     ["[port0] gateway6", "neither link-local nor inside"]),
    ("IPv6 multicast", GOOD.replace("2001:db8::2/64", "ff02::2/64"), ["[port0] ipv6", "unicast IPv6"]),
    ("multicast mac", GOOD.replace("mtu = 1500", "mac = 01:00:5e:00:00:01"), ["[port0] mac", "unicast MAC"]),
    ("three codec plugins", GOOD.replace("workers = 1", "workers = 1\ncodec_plugins = /a.so /b.so /c.so"),
     ["[mixplane] codec_plugins", "at most 2 paths"]),
    ("worker lcore too high", GOOD.replace("workers = 1", "workers = 1-200"), ["[mixplane] workers", "below"]),
    ("[esp] without [mp]", GOOD + "[esp]\nallow_plaintext_mp = yes\n", ["[esp]: given without [mp]"]),
    ("unknown [esp] key", GOOD + "[mp]\n[esp]\nesp_backend = openssl\n",
     ["[esp] esp_backend: unknown key (known keys: sa_file, backend, allow_plaintext_mp)"]),
    ("bad [esp] backend", GOOD + "[mp]\n[esp]\nallow_plaintext_mp = yes\nbackend = aesni\n",
     ["[esp] backend: 'aesni' is not ipsec-mb or openssl"]),
    ("[mp] without ESP keys", GOOD + "[mp]\nmrfc = 192.0.2.1\n",
     ["[esp] sa_file: missing: Mp is only accepted inside ESP"]),
    ("[mp] and [esp] both give allow_plaintext_mp",
     GOOD + "[mp]\nallow_plaintext_mp = yes\n[esp]\nallow_plaintext_mp = yes\n",
     ["[mp] allow_plaintext_mp: also given as [esp] allow_plaintext_mp", "keep only [esp] allow_plaintext_mp"]),
    ("[mp] esp_backend and [esp] backend", GOOD + "[mp]\nesp_backend = openssl\n[esp]\nbackend = openssl\n"
     "allow_plaintext_mp = yes\n", ["[mp] esp_backend: also given as [esp] backend"]),
    ("old spelling: its errors name it", GOOD + "[mp]\nallow_plaintext_mp = yes\nesp_backend = aesni\n",
     ["[mp] esp_backend: 'aesni' is not ipsec-mb or openssl"]),
]

# (what, config, fragments of stderr that must be there, fragments that must not)
GOOD_TOO = [
    ("comments: ';' anywhere, '#' first", GOOD.replace("mtu = 1500", "# the MTU\nmtu = 1500 ; bytes"), [], []),
    ("[esp] allow_plaintext_mp", GOOD + "[mp]\n[esp]\nallow_plaintext_mp = yes\nbackend = openssl\n", [],
     ["deprecated"]),
    ("[mp] enabled = no needs no ESP", GOOD + "[mp]\nenabled = no\n", [], []),
    ("old spelling: one warning a key", GOOD + "[mp]\nallow_plaintext_mp = yes\nesp_backend = openssl\n",
     ["warning: [mp] allow_plaintext_mp is deprecated: write it as [esp] allow_plaintext_mp",
      "warning: [mp] esp_backend is deprecated: write it as [esp] backend"], []),
]

BEGIN = "<!-- BEGIN generated: mixplane --config-reference -->"
END = "<!-- END generated -->"


def run_cfg(text):
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        r = subprocess.run([MIXPLANE, "--no-pci", "--", "-c", "-f", path],
                           capture_output=True, text=True, timeout=30)
        return r, path
    finally:
        os.unlink(path)


def test_sa_file():
    """[esp] sa_file, [mp] sa_file (deprecated) and both."""
    with tempfile.TemporaryDirectory(prefix="mxp_cfg_") as tmp:
        sa = os.path.join(tmp, "mrfp.sa")
        with open(sa, "w") as f:
            f.write("# empty key file\n")
        os.chmod(sa, 0o600)
        r, path = run_cfg(GOOD + "[mp]\nmrfc = 192.0.2.1\n[esp]\nsa_file = %s\n" % sa)
        check(r.returncode == 0 and "deprecated" not in r.stderr, "[esp] sa_file: accepted (%s)" % r.stderr.strip())
        r, path = run_cfg(GOOD + "[mp]\nsa_file = %s\n" % sa)
        warn = [l for l in r.stderr.splitlines() if "deprecated" in l]
        check(r.returncode == 0 and len(warn) == 1 and
              "line %d: warning: [mp] sa_file is deprecated: write it as [esp] sa_file" % (GOOD.count("\n") + 2)
              in warn[0], "[mp] sa_file: accepted with one warning line (%s)" % r.stderr.strip())
        r, path = run_cfg(GOOD + "[mp]\nsa_file = %s\n[esp]\nsa_file = %s\n" % (sa, sa))
        check(r.returncode == 2 and path in r.stderr and
              "[mp] sa_file: also given as [esp] sa_file" in r.stderr, "both sa_file: refused (%s)" % r.stderr.strip())
        os.chmod(sa, 0o640)
        r, path = run_cfg(GOOD + "[mp]\n[esp]\nsa_file = %s\n" % sa)
        check(r.returncode == 2 and "[esp] sa_file: '%s' has mode 640" % sa in r.stderr,
              "[esp] sa_file of mode 640: refused (%s)" % r.stderr.strip())


def test_reference():
    """doc/configuration.md's generated section is what the binary prints (no EAL needed)."""
    outs = []
    for args in (["--config-reference"], ["--", "--config-reference"]):
        r = subprocess.run([MIXPLANE] + args, capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and r.stdout.startswith("## `[mixplane]`"),
              "mixplane %s prints the reference (%s)" % (" ".join(args), r.stderr.strip()))
        outs.append(r.stdout)
    check(outs[0] == outs[1], "the same reference before and after '--'")
    for sec in ("[mixplane]", "[port0]", "[media]", "[mp]", "[esp]"):
        check("## `%s`" % sec in outs[0], "the reference has a section for %s" % sec)
    doc_path = os.path.join(SOURCE, "doc", "configuration.md")
    with open(doc_path) as f:
        doc = f.read()
    check(doc.count(BEGIN) == 1 and doc.count(END) == 1 and doc.index(BEGIN) < doc.index(END),
          "doc/configuration.md has one generated section")
    have = doc[doc.index(BEGIN) + len(BEGIN):doc.index(END)].strip()
    want = outs[0].strip()
    diff = "".join(difflib.unified_diff((have + "\n").splitlines(True), (want + "\n").splitlines(True),
                                        "doc/configuration.md", "mixplane --config-reference"))
    check(have == want, "doc/configuration.md's generated section is up to date%s" % (
        "" if have == want else " (paste `mixplane --config-reference` between the markers):\n" + diff))


def test():
    r, path = run_cfg(GOOD)
    check(r.returncode == 0 and "configuration OK" in r.stdout, "a good file passes -c (%s)" % r.stderr.strip())
    for what, text, frags in BAD:
        r, path = run_cfg(text)
        msg = r.stderr.strip()
        check(r.returncode == 2 and path in msg and all(f in msg for f in frags),
              "%s: exit 2 and '%s'" % (what, msg))
    for what, text, want, not_want in GOOD_TOO:
        r, path = run_cfg(text)
        check(r.returncode == 0 and all(f in r.stderr for f in want) and not any(f in r.stderr for f in not_want),
              "%s: accepted (%s)" % (what, r.stderr.strip()))
    test_sa_file()
    example = os.path.join(SOURCE, "doc", "examples", "mixplane.ini")
    r = subprocess.run([MIXPLANE, "--", "-c", "-f", example], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and not r.stderr, "doc/examples/mixplane.ini passes -c (%s)" % r.stderr.strip())
    test_reference()
    r = subprocess.run([MIXPLANE, "--", "-f", "/nonexistent.ini"], capture_output=True, text=True)
    check(r.returncode == 2 and "/nonexistent.ini" in r.stderr and "No such file" in r.stderr,
          "missing file: %s" % r.stderr.strip())
    r = subprocess.run([MIXPLANE, "-l", "0"], capture_output=True, text=True)
    check(r.returncode == 2 and "missing '--'" in r.stderr, "no '--': usage and a hint")
    r = subprocess.run([MIXPLANE, "--", "-V"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.startswith("mixplane "), "-V prints the version")


mxplab.main(test)

"""Bad configuration files: mixplane exits 2 with a message naming the section, the key and
what is wrong, before touching any device. A good file passes the -c check."""
import os
import subprocess
import tempfile
import mxplab
from mxplab import check, MIXPLANE

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
]


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


def test():
    r, path = run_cfg(GOOD)
    check(r.returncode == 0 and "configuration OK" in r.stdout, "a good file passes -c (%s)" % r.stderr.strip())
    for what, text, frags in BAD:
        r, path = run_cfg(text)
        msg = r.stderr.strip()
        check(r.returncode == 2 and path in msg and all(f in msg for f in frags),
              "%s: exit 2 and '%s'" % (what, msg))
    r = subprocess.run([MIXPLANE, "--", "-f", "/nonexistent.ini"], capture_output=True, text=True)
    check(r.returncode == 2 and "/nonexistent.ini" in r.stderr and "No such file" in r.stderr,
          "missing file: %s" % r.stderr.strip())
    r = subprocess.run([MIXPLANE, "-l", "0"], capture_output=True, text=True)
    check(r.returncode == 2 and "missing '--'" in r.stderr, "no '--': usage and a hint")
    r = subprocess.run([MIXPLANE, "--", "-V"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.startswith("mixplane "), "-V prints the version")


mxplab.main(test)

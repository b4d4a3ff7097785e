"""mxplab: start mixplane on virtual devices for integration tests and clean up after.

A Lab makes a network namespace holding the "kernel side" (a veth end with addresses,
like a participant or the MRFC would have), binds the daemon to the other veth end
with net_af_packet, and offers helpers to run commands in the namespace, talk to the
daemon with mixplanectl and read its counters. Everything it creates is removed on
exit, on exceptions and on SIGTERM/SIGINT.

Use /usr/bin/python3 (Debian's, with scapy).
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("MXP_BUILD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
SOURCE = os.environ.get("MXP_SOURCE") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
MIXPLANE = os.path.join(BUILD, "app", "mixplane", "mixplane")
MIXPLANECTL = os.path.join(BUILD, "app", "mixplanectl", "mixplanectl")
SRTP_PEER = os.path.join(BUILD, "tests", "tools", "mxp-srtp-peer")
MRFC = os.path.join(BUILD, "app", "mrfc", "mrfc")
SUITE = "AES_CM_128_HMAC_SHA1_80"


def gen_key(nbytes=30):
    """A fresh SRTP master key||salt, base64 (as in a=crypto inline:)."""
    import base64
    return base64.b64encode(os.urandom(nbytes)).decode()


def crypto_line(key, suite=SUITE, tag=1, lifetime=None, mki=None):
    s = "a=crypto:%d %s inline:%s" % (tag, suite, key)
    if lifetime:
        s += "|" + lifetime
    if mki:
        s += "|%d:%d" % mki
    return s

KERNEL_IP4 = "192.0.2.1"
DAEMON_IP4 = "192.0.2.2"
KERNEL_IP6 = "2001:db8::1"
DAEMON_IP6 = "2001:db8::2"


class TestFailure(Exception):
    pass


def check(cond, what):
    """Assert with a message; raises TestFailure (the test then exits 1)."""
    if not cond:
        raise TestFailure(what)
    print("ok - " + what, flush=True)


def run(cmd, check_rc=True, timeout=60, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check_rc and r.returncode != 0:
        raise TestFailure("command failed (%d): %s\n%s%s" % (
            r.returncode, " ".join(cmd), r.stdout, r.stderr))
    return r


def hugepages_free():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free"):
                    free = int(line.split()[1])
        with open("/proc/mounts") as f:
            mounted = any(" /dev/hugepages hugetlbfs" in l for l in f)
        return free if mounted else 0
    except OSError:
        return 0


def wait_for(pred, timeout, what, interval=0.05):
    """Poll pred() until it is true (a condition, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TestFailure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


class Lab:
    """A namespace + veth pair + a mixplane daemon bound to the veth with af_packet."""

    def __init__(self, name="basic", ipv6=True, extra_config="", port_extra="",
                 lcores="0,1", tx_csum_off=True, workers=1, mp=False, mp_extra="",
                 mp_alg="aes-gcm-128", mp_udp=False, pmd="af_packet", global_extra="",
                 mbufs=8191):
        tag = "%d" % (os.getpid() % 100000)
        self.ns = "mxt%s" % tag
        self.veth_d = "mxd%s" % tag     # daemon side, root namespace
        self.veth_k = "mxk%s" % tag     # kernel side, inside the namespace
        self.prefix = "mxt%s" % tag
        self.dir = tempfile.mkdtemp(prefix="mxp-%s-" % name)
        self.sock = os.path.join(self.dir, "mixplane.sock")
        self.cfg = os.path.join(self.dir, "mixplane.ini")
        self.log = os.path.join(self.dir, "mixplane.log")
        self.ipv6 = ipv6
        self.extra_config = extra_config
        self.global_extra = global_extra  # more keys of [mixplane]
        self.mbufs = mbufs
        self.port_extra = port_extra
        self.lcores = lcores
        self.workers = workers
        self.mp = mp
        self.mp_extra = mp_extra
        self.mp_alg = mp_alg
        self.mp_udp = mp_udp
        self.tx_csum_off = tx_csum_off
        # "af_packet" (the kernel reassembles IP fragments: PACKET_FANOUT_FLAG_DEFRAG) or
        # "pcap" (libpcap on the veth: the daemon sees every frame as sent, fragments too).
        self.pmd = pmd
        self.proc = None
        self.kernel_mac = None
        self._cleaned = False

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self):
        atexit.register(self.cleanup)
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)
        try:
            self._make_net()
            if self.mp:
                self.extra_config += self.mp_setup(self.mp_alg, self.mp_udp, self.mp_extra)
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def _on_signal(self, signum, frame):
        self.cleanup()
        sys.exit(128 + signum)

    def _make_net(self):
        self.cleanup_net()
        run(["ip", "netns", "add", self.ns])
        run(["ip", "link", "add", self.veth_d, "type", "veth", "peer", "name", self.veth_k])
        run(["ip", "link", "set", self.veth_k, "netns", self.ns])
        # The daemon owns the root-side end: keep the kernel quiet on it.
        subprocess.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.veth_d],
                       capture_output=True)
        run(["ip", "link", "set", self.veth_d, "up"])
        self.ns_run(["ip", "link", "set", "lo", "up"])
        self.ns_run(["ip", "link", "set", self.veth_k, "up"])
        self.ns_run(["ip", "addr", "add", KERNEL_IP4 + "/24", "dev", self.veth_k])
        if self.ipv6:
            self.ns_run(["ip", "addr", "add", KERNEL_IP6 + "/64", "dev", self.veth_k, "nodad"])
        if self.tx_csum_off:
            # veth leaves UDP checksums to "hardware" that af_packet does not emulate:
            # make the kernel compute them, as a real NIC's peer would have.
            self.ns_run(["ethtool", "-K", self.veth_k, "tx", "off"], check_rc=False)
        self.kernel_mac = self.ns_run(
            ["cat", "/sys/class/net/%s/address" % self.veth_k]).stdout.strip().lower()

    def config_text(self):
        qp = ",qpairs=%d" % self.workers if self.workers > 1 else ""
        # af_packet's fanout reassembles IP fragments before the daemon sees them: frames
        # and mbufs must hold the largest Mp message (8 kB + ESP).
        if self.pmd == "pcap":
            port = "[port0]\ndevice = net_pcap0,iface=%s\nipv4 = %s/24\n" % (self.veth_d,
                                                                           DAEMON_IP4)
        else:
            port = ("[port0]\ndevice = net_af_packet0,iface=%s%s,blocksz=16384,framesz=16384\n"
                    "ipv4 = %s/24\n" % (self.veth_d, qp, DAEMON_IP4))
        if self.ipv6:
            port += "ipv6 = %s/64\n" % DAEMON_IP6
        port += "gateway4 = %s\n" % KERNEL_IP4
        port += self.port_extra
        return ("[mixplane]\nsocket = %s\nmbufs = %d\nmbuf_size = 16384\nrx_desc = 512\n"
                "tx_desc = 512\n%s\n%s\n%s"
                % (self.sock, self.mbufs, self.global_extra, port, self.extra_config))

    def eal_args(self):
        if self.workers > 1:
            # More lcores than CPUs: a functional test, not a throughput figure.
            ncpu = os.cpu_count() or 1
            lc = ",".join("%d@%d" % (i, i % ncpu) for i in range(self.workers + 1))
            args = ["--lcores", lc]
        else:
            args = ["-l", self.lcores]
        args += ["--no-pci", "--file-prefix", self.prefix, "--log-level", "lib.eal:warning"]
        if hugepages_free() >= 64:
            args += ["--huge-unlink"]
        else:
            args += ["--no-huge", "-m", "512"]
        return args

    def start(self, wait=True):
        with open(self.cfg, "w") as f:
            f.write(self.config_text())
        logf = open(self.log, "w")
        self.proc = subprocess.Popen(
            [MIXPLANE] + self.eal_args() + ["--", "-f", self.cfg],
            stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            wait_for(lambda: self._ready(), 30, "mixplane to answer on its control socket")

    def _ready(self):
        if self.proc.poll() is not None:
            raise TestFailure("mixplane exited early (%d):\n%s" % (self.proc.returncode,
                                                                  self.read_log()))
        if not os.path.exists(self.sock):
            return False
        return run([MIXPLANECTL, "-s", self.sock, "show", "version"], check_rc=False).returncode == 0

    def read_log(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stop the daemon with sig; return its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("mixplane did not exit within %d s of signal %d" % (timeout, sig))

    def cleanup_net(self):
        subprocess.run(["ip", "link", "del", self.veth_d], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except Exception:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
                except Exception:
                    pass
        self.cleanup_net()
        shutil.rmtree("/var/run/dpdk/%s" % self.prefix, ignore_errors=True)
        try:
            for f in os.listdir("/dev/hugepages"):
                if f.startswith(self.prefix):
                    os.unlink(os.path.join("/dev/hugepages", f))
        except OSError:
            pass
        if os.environ.get("MXP_KEEP_LOGS"):
            print("# logs kept in " + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers -----------------------------------------------------------------------
    def ns_run(self, cmd, check_rc=True, timeout=60, **kw):
        return run(["ip", "netns", "exec", self.ns] + cmd, check_rc=check_rc, timeout=timeout,
                   **kw)

    def ns_python(self, code, timeout=120):
        """Run Python code (e.g. scapy) inside the namespace; returns stdout."""
        return self.ns_run(["/usr/bin/python3", "-c", code], timeout=timeout).stdout

    def ctl(self, *args, check_rc=True):
        """Run mixplanectl; returns the CompletedProcess."""
        return run([MIXPLANECTL, "-s", self.sock] + list(args), check_rc=check_rc)

    def ctl_json(self, *args):
        r = self.ctl(*(list(args) + ["--json"]))
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            raise TestFailure("mixplanectl %s --json is not JSON (%s): %r" % (
                " ".join(args), e, r.stdout[:300]))

    def ns_add_addr(self, addr):
        """Give the kernel side of the namespace another address (a second participant host)."""
        plen = "64" if ":" in addr else "24"
        extra = ["nodad"] if ":" in addr else []
        self.ns_run(["ip", "addr", "add", "%s/%s" % (addr, plen), "dev", self.veth_k] + extra)

    def ctl_input(self, text, *args, check_rc=True):
        """mixplanectl with text on stdin (-i -), e.g. keys; returns CompletedProcess."""
        r = subprocess.run([MIXPLANECTL, "-s", self.sock, "-i", "-"] + list(args), input=text,
                           capture_output=True, text=True, timeout=60)
        if check_rc and r.returncode != 0:
            raise TestFailure("mixplanectl %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                                r.stderr))
        return r

    def conf_create(self, *args):
        return self.ctl_json("conference", "create", *args)["id"]

    def leg_add(self, conf, in_key, out_key, remote=None, *args, suite=SUITE):
        """Add a leg with the participant's key in_key and the mixer's key out_key."""
        keys = "in %s\nout %s\n" % (crypto_line(in_key, suite), crypto_line(out_key, suite))
        cmd = ["leg", "add", str(conf)]
        if remote:
            cmd += ["remote", remote[0], str(remote[1])]
        cmd += list(args) + ["--json"]
        r = self.ctl_input(keys, *cmd)
        return json.loads(r.stdout)

    def peer(self, bind, rx=(), tx=(), count=20, interval_ms=20, wait_ms=600, extra=(),
             background=False):
        """Run mxp-srtp-peer (libsrtp2 participants) in the namespace.
        rx: [(port, key)], tx: [(sport, dst, dport, key, ssrc, id)]. Returns its JSON."""
        cmd = ["ip", "netns", "exec", self.ns, SRTP_PEER, "--bind", bind, "--count", str(count),
               "--interval-ms", str(interval_ms), "--wait-ms", str(wait_ms)] + list(extra)
        for port, key in rx:
            cmd += ["--rx", "%d,%s" % (port, key)]
        for t in tx:
            cmd += ["--tx", ",".join(str(x) for x in t)]
        if background:
            # Start it and wait until its sockets are bound, so no packet is sent to a
            # port nobody listens on yet.
            ready = os.path.join(self.dir, "peer-ready-%d" % len(os.listdir(self.dir)))
            cmd += ["--ready-file", ready]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for(lambda: os.path.exists(ready) or p.poll() is not None, 20,
                     "mxp-srtp-peer to bind its sockets")
            return p
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return peer_result(p)

    def mp_setup(self, alg="aes-gcm-128", udp=False, extra=""):
        """Generate an ESP SA pair with mrfc keygen; returns the [esp] and [mp] config sections' text.
        Call before start() (Lab(..., start=False) is not needed: pass it as extra_config)."""
        self.mrfp_sa = os.path.join(self.dir, "mrfp.sa")
        self.mrfc_sa = os.path.join(self.dir, "mrfc.sa")
        cmd = [MRFC, "keygen", "--mrfp", DAEMON_IP4, "--mrfc", KERNEL_IP4, "--mrfp-out",
               self.mrfp_sa, "--mrfc-out", self.mrfc_sa, "--alg", alg] + (["--udp"] if udp else [])
        run(cmd)
        return "\n[esp]\nsa_file = %s\n[mp]\nmrfc = %s\n%s" % (self.mrfp_sa, KERNEL_IP4, extra)

    def mrfc(self, *args, keys=None, check_rc=True, timeout=60, plaintext=False):
        """Run mrfc in the namespace against the daemon; returns the CompletedProcess."""
        cmd = ["ip", "netns", "exec", self.ns, MRFC]
        cmd += ["--plaintext", "--mrfp", DAEMON_IP4] if plaintext else ["--sa", self.mrfc_sa]
        if keys:
            cmd += ["--keys-out", keys]
        cmd += list(args)
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        print("# mrfc %s: exit %d in %.1f s" % (args[0] if args else "", r.returncode,
                                             time.monotonic() - t0), flush=True)
        if check_rc and r.returncode != 0:
            raise TestFailure("mrfc %s failed (%d):\n%s%s" % (" ".join(args), r.returncode,
                                                            r.stdout, r.stderr))
        return r

    def drops(self):
        return self.ctl_json("show", "drops")

    def stats(self):
        return self.ctl_json("show", "stats")

    def daemon_mac(self):
        return self.ctl_json("show", "ports")[0]["mac"].lower()


def peer_result(p, timeout=120):
    out, err = p.communicate(timeout=timeout)
    if p.returncode != 0:
        raise TestFailure("mxp-srtp-peer failed (%d): %s" % (p.returncode, err))
    return json.loads(out)


def main(fn):
    """Run a test function fn(); print the outcome, exit 0/1."""
    try:
        fn()
    except TestFailure as e:
        print("not ok - %s" % e, flush=True)
        sys.exit(1)
    print("PASS", flush=True)
    sys.exit(0)

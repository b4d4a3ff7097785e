"""mglab: the daemon with a memif server port and mixgen as its memif client, on one machine.

    with MemifLab("name") as lab:
        r = lab.mixgen("--participants", "4", "--duration", "1")
        r.rc, r.json, r.stdout, r.stderr

memif shares packet memory between the two processes, so both need hugepages; without
them the tests using this module are skipped (exit 77). Each process gets its own
--file-prefix and --huge-unlink; everything is removed on exit, on exceptions and on
SIGTERM/SIGINT (mxplab's conventions).
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import wave

import mxplab
from mxplab import TestFailure, hugepages_free, run, wait_for

MIXGEN = os.path.join(mxplab.BUILD, "app", "mixgen", "mixgen")
DAEMON_IP4 = "198.18.0.1"
MIXGEN_IP4 = "198.18.0.100"
SKIP = 77


def need_hugepages(n=200):
    """Skip the test (exit 77) when memif cannot work here."""
    if hugepages_free() < n:
        print("# SKIP: memif needs hugepages (%d free 2 MiB pages, want %d; "
              "scripts/test.sh reserves them)" % (hugepages_free(), n), flush=True)
        sys.exit(SKIP)


def peaks(path, skip_s=0.3):
    """A WAV recording's frequencies (Hz, rounded to 10) holding more than 10 % of the
    strongest peak, by numpy's FFT (independent of mixgen's Goertzel)."""
    import numpy as np  # only the audio tests need it
    with wave.open(path) as w:
        mxplab.check(w.getframerate() == 8000 and w.getnchannels() == 1 and
                     w.getsampwidth() == 2, "%s: 8 kHz mono 16-bit WAV" % os.path.basename(path))
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
    x = x[int(skip_s * 8000):]
    sp = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1 / 8000)
    strong = sp > sp.max() * 0.1
    return sorted({int(round(f[i] / 10.0)) * 10 for i in np.nonzero(strong)[0]})


class Result:
    def __init__(self, rc, stdout, stderr):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.json = None
        for line in reversed(stdout.splitlines()):
            if line.startswith("{"):
                try:
                    self.json = json.loads(line)
                except ValueError as e:
                    raise TestFailure("mixgen's last line is not JSON (%s): %r" % (e, line[:300]))
                break

    def check(self, name):
        """The named check of the JSON line, or None."""
        for c in (self.json or {}).get("checks", []):
            if c["name"] == name:
                return c
        return None

    def failed_checks(self):
        return [c["name"] + ": " + c["detail"] for c in (self.json or {}).get("checks", [])
                if not c["pass"]]


class MemifLab:

    def __init__(self, name="mixgen", worker_lcores="0,1", extra_config="", mbufs=16383):
        tag = "%d" % (os.getpid() % 100000)
        self.dir = tempfile.mkdtemp(prefix="mxp-%s-" % name)
        os.chmod(self.dir, 0o700)
        self.sock = os.path.join(self.dir, "mixplane.sock")
        self.memif = os.path.join(self.dir, "memif.sock")
        self.cfg = os.path.join(self.dir, "mixplane.ini")
        self.log = os.path.join(self.dir, "mixplane.log")
        self.prefix = "mgd%s" % tag
        self.gen_prefix = "mgg%s" % tag
        self.lcores = worker_lcores
        self.extra_config = extra_config
        self.mbufs = mbufs
        self.proc = None
        self._cleaned = False

    def __enter__(self):
        atexit.register(self.cleanup)
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)
        try:
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

    def config_text(self):
        return ("[mixplane]\nsocket = %s\nmbufs = %d\nrx_desc = 1024\ntx_desc = 1024\n%s\n"
                "[media]\nport_min = 20000\nport_max = 29999\n\n"
                "[port0]\ndevice = net_memif0,role=server,socket=%s\nipv4 = %s/24\n"
                % (self.sock, self.mbufs, self.extra_config, self.memif, DAEMON_IP4))

    def start(self):
        with open(self.cfg, "w") as f:
            f.write(self.config_text())
        logf = open(self.log, "w")
        self.proc = subprocess.Popen(
            [mxplab.MIXPLANE, "-l", self.lcores, "--no-pci", "--file-prefix", self.prefix,
             "--huge-unlink", "--log-level", "lib.eal:warning", "--", "-f", self.cfg],
            stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._ready, 30, "mixplane to answer on its control socket")

    def _ready(self):
        if self.proc.poll() is not None:
            raise TestFailure("mixplane exited early (%d):\n%s" % (self.proc.returncode,
                                                                  self.read_log()))
        if not os.path.exists(self.sock):
            return False
        return self.ctl("show", "version", check_rc=False).returncode == 0

    def read_log(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, *args, check_rc=True):
        return run([mxplab.MIXPLANECTL, "-s", self.sock] + list(args), check_rc=check_rc)

    def ctl_json(self, *args):
        return json.loads(self.ctl(*(list(args) + ["--json"])).stdout)

    def gen_eal_args(self, memif_socket=None, lcores="0", rsize=12):
        """mixgen's EAL arguments: the memif client of this daemon. rsize: log2 of the
        memif ring size (the client chooses it; DPDK's default is 10, 1024 slots; 12 gives
        4096 slots, 20 ms of buffer at 200 kpps when this core is busy elsewhere)."""
        vdev = "net_memif0,role=client,socket=%s" % (memif_socket or self.memif)
        if rsize:
            vdev += ",rsize=%d" % rsize
        return ["-l", lcores, "--no-pci", "--file-prefix", self.gen_prefix, "--huge-unlink",
                "--log-level", "lib.eal:warning", "--vdev=" + vdev]

    def mixgen(self, *args, timeout=120, eal=None, sock=None):
        """Run mixgen against this daemon; returns a Result (never raises on exit status)."""
        cmd = [MIXGEN] + (eal if eal is not None else self.gen_eal_args()) + [
            "--", "-s", sock or self.sock, "--mbufs", "16383", "--no-progress"] + list(args)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise TestFailure("mixgen did not finish within %d s: %s\n%s" % (
                timeout, " ".join(cmd), e.stderr))
        finally:
            self._clean_prefix(self.gen_prefix)
        return Result(p.returncode, p.stdout, p.stderr)

    def stop(self, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("mixplane did not exit within %d s" % timeout)

    @staticmethod
    def _clean_prefix(prefix):
        shutil.rmtree("/var/run/dpdk/%s" % prefix, ignore_errors=True)
        try:
            for f in os.listdir("/dev/hugepages"):
                if f.startswith(prefix):
                    os.unlink(os.path.join("/dev/hugepages", f))
        except OSError:
            pass

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
        self._clean_prefix(self.prefix)
        self._clean_prefix(self.gen_prefix)
        if os.environ.get("MXP_KEEP_LOGS"):
            print("# logs kept in " + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class MpMemifLab(mxplab.Lab):
    """The daemon with two ports: port0 the veth of mxplab.Lab, where mrfc in the namespace
    sends Mp over ESP, and port1 a memif server for the media (mixgen is its client; legs
    whose Local c= is '$' get this port's address because their Remote is on its subnet)."""

    def __init__(self, name="mixgen-mp", mbufs=8191):
        super().__init__(name=name, ipv6=False, mp=True, mbufs=mbufs)
        self.memif = os.path.join(self.dir, "memif.sock")
        self.gen_prefix = "mgm%d" % (os.getpid() % 100000)

    def config_text(self):
        text = super().config_text()
        return text + ("\n[port1]\ndevice = net_memif0,role=server,socket=%s\nipv4 = %s/24\n\n"
                       "[media]\nport_min = 20000\nport_max = 29999\n" % (self.memif, DAEMON_IP4))

    gen_eal_args = MemifLab.gen_eal_args
    mixgen = MemifLab.mixgen
    _clean_prefix = staticmethod(MemifLab._clean_prefix)

    def cleanup(self):
        super().cleanup()
        self._clean_prefix(self.gen_prefix)

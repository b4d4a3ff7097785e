"""The container image end to end (doc/deployment.md, "Container image"): builds the image
with scripts/container.sh (the Debian base from mmdebstrap, the two-stage Containerfile),
then runs it as a pod would:

  netns D  [ container: mixplane as uid 10001, NET_RAW+NET_ADMIN+IPC_LOCK only,
             af_packet on veth D, config + ESP key file mounted read-only, the CLI socket
             in a mounted volume, its own hugetlbfs (or --no-huge) ]
      | veth
  netns K  [ containers of the same image: mrfc (the MRFC, Mp over ESP), mixgen (three
             participants over af_packet on veth K) ]

mrfc keygen writes the ESP key files, mrfc sets a conference of three up over ESP, mixgen
plays the legs it was given: every packet decrypted by the daemon and relayed to the two
others, by counts. Then `podman stop` (SIGTERM): the daemon exits 0 with its shutdown line.
Every program runs from the image; nothing of the host build is used.

MXP_IMAGE (localhost/mixplane:latest) names the image; MXP_CONTAINER_NO_BUILD=1 uses it as
it is (scripts/container.sh test sets it after building).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import atexit
import time

import mxplab
from mxplab import TestFailure, check, run, wait_for

IMAGE = os.environ.get("MXP_IMAGE", "localhost/mixplane:latest")
SCRIPT = os.path.join(mxplab.SOURCE, "scripts", "container.sh")
UID = 10001                       # the image's user (deploy/container/Containerfile)
CAPS = ["NET_RAW", "NET_ADMIN", "IPC_LOCK"]
# CAP_NET_ADMIN = 12, CAP_NET_RAW = 13, CAP_IPC_LOCK = 14
CAPS_MASK = (1 << 12) | (1 << 13) | (1 << 14)
DAEMON_IP4 = "192.0.2.2"
MRFC_IP4 = "192.0.2.1"
PARTICIPANTS_IP4 = "192.0.2.100"
LEGS = 3


def podman_options():
    """The podman options scripts/container.sh probe chose for this machine."""
    g, r = os.environ.get("MXP_PODMAN_GLOBAL"), os.environ.get("MXP_PODMAN_RUN")
    if g is None or r is None:
        out = run([SCRIPT, "probe"], timeout=600).stdout
        for line in out.splitlines():
            if line.startswith("podman global options:"):
                g = line.split(":", 1)[1].strip()
            elif line.startswith("podman run options:"):
                r = line.split(":", 1)[1].strip()
        if g is None or r is None:
            raise TestFailure("scripts/container.sh probe printed no options:\n" + out)
    norm = lambda s: [] if s in ("", "(none)") else s.split()
    return norm(g), norm(r)


class ContainerLab:

    def __init__(self):
        tag = "%d" % (os.getpid() % 100000)
        self.ns_d = "mxcd%s" % tag      # the daemon's (the pod's) namespace
        self.ns_k = "mxck%s" % tag      # the MRFC's and the participants' namespace
        self.veth_d = "mxcd%s" % tag
        self.veth_k = "mxck%s" % tag
        self.name = "mxp-test-%s" % tag
        self.dir = tempfile.mkdtemp(prefix="mxp-container-")
        self.huge = None
        self.containers = []
        self._cleaned = False
        self.pglobal, self.prun = podman_options()

    def __enter__(self):
        atexit.register(self.cleanup)
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, lambda signum, frame: (self.cleanup(), sys.exit(128 + signum)))
        try:
            self._make_net()
            self._make_dirs()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def podman(self, *args, check_rc=True, timeout=120):
        return run(["podman"] + self.pglobal + list(args), check_rc=check_rc, timeout=timeout)

    def _make_net(self):
        self.cleanup_net()
        run(["ip", "netns", "add", self.ns_d])
        run(["ip", "netns", "add", self.ns_k])
        run(["ip", "link", "add", self.veth_d, "type", "veth", "peer", "name", self.veth_k])
        run(["ip", "link", "set", self.veth_d, "netns", self.ns_d])
        run(["ip", "link", "set", self.veth_k, "netns", self.ns_k])
        for ns, dev in ((self.ns_d, self.veth_d), (self.ns_k, self.veth_k)):
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
        # the daemon owns its end: keep the kernel of namespace D quiet on it
        run(["ip", "netns", "exec", self.ns_d, "sysctl", "-qw",
             "net.ipv6.conf.%s.disable_ipv6=1" % self.veth_d], check_rc=False)
        run(["ip", "-n", self.ns_k, "addr", "add", MRFC_IP4 + "/24", "dev", self.veth_k])
        # veth leaves UDP checksums to "hardware" af_packet does not emulate (mxplab.Lab)
        run(["ip", "netns", "exec", self.ns_k, "ethtool", "-K", self.veth_k, "tx", "off"],
            check_rc=False)

    def _make_dirs(self):
        """The lab directory belongs to the image's user: the daemon reads etc/ (the key
        file must be its own, mode 0600) and makes its socket in run/; the tools write
        the MRFC's key file and the participants' keys."""
        for d in ("etc", "run"):
            os.mkdir(os.path.join(self.dir, d), 0o700)
        with open(os.path.join(self.dir, "etc", "mixplane.ini"), "w") as f:
            f.write("[mixplane]\nsocket = /run/mixplane/mixplane.sock\nmbufs = 8191\n"
                    "mbuf_size = 16384\nrx_desc = 512\ntx_desc = 512\n\n"
                    "[port0]\ndevice = net_af_packet0,iface=%s,blocksz=16384,framesz=16384\n"
                    "ipv4 = %s/24\ngateway4 = %s\n\n"
                    "[media]\nport_min = 20000\nport_max = 29999\n\n"
                    "[mp]\nmrfc = %s\n\n[esp]\nsa_file = /etc/mixplane/mrfp.sa\n"
                    % (self.veth_d, DAEMON_IP4, MRFC_IP4, MRFC_IP4))
        for root, dirs, files in os.walk(self.dir):
            for n in [root] + [os.path.join(root, x) for x in files]:
                os.chown(n, UID, UID)
        os.chmod(self.dir, 0o700)
        # Hugepages: a hugetlbfs of the daemon's own (uid 10001 may create its files),
        # as a pod's hugepage emptyDir. Unmounting it frees the pages, whatever is left.
        if mxplab.hugepages_free() >= 300:
            self.huge = os.path.join(self.dir, "huge")
            os.mkdir(self.huge, 0o700)
            run(["mount", "-t", "hugetlbfs", "-o", "uid=%d,gid=%d,mode=0700,pagesize=2M"
                 % (UID, UID), "nodev", self.huge])

    def tool(self, *args, timeout=120):
        """Run a program of the image in namespace K as the image's user, with the lab
        directory at /lab and the CLI socket's volume at /run/mixplane."""
        cmd = (["run", "--rm", "--network", "ns:/run/netns/" + self.ns_k] + self.prun +
               ["--cap-drop", "all"] + ["--cap-add=" + c for c in CAPS] +
               ["-v", "%s:/lab" % self.dir, "-v", "%s/run:/run/mixplane" % self.dir,
                IMAGE] + list(args))
        t0 = time.monotonic()
        r = self.podman(*cmd, check_rc=False, timeout=timeout)
        print("# %s %s: exit %d in %.1f s" % (args[0], args[1] if len(args) > 1 else "",
                                            r.returncode, time.monotonic() - t0), flush=True)
        return r

    def start_daemon(self):
        mounts = ["-v", "%s/etc:/etc/mixplane:ro" % self.dir,
                  "-v", "%s/run:/run/mixplane" % self.dir]
        if self.huge:
            mounts += ["-v", "%s:/dev/hugepages" % self.huge, "-e", "MXP_HUGEPAGES=yes"]
        else:
            print("# no hugepages free: the daemon runs with --no-huge", flush=True)
            mounts += ["-e", "MXP_HUGEPAGES=no"]
        self.containers.append(self.name)
        self.podman(*(["run", "-d", "--name", self.name, "--network",
                       "ns:/run/netns/" + self.ns_d] + self.prun +
                      ["--cap-drop", "all"] + ["--cap-add=" + c for c in CAPS] + mounts +
                      ["-e", "MXP_EAL_ARGS=-l 0,1 --no-pci --file-prefix mixplane",
                       IMAGE]))
        wait_for(self._ready, 60, "the daemon in the container to answer on its socket",
                 interval=0.3)

    def state(self):
        r = self.podman("inspect", self.name, "--format",
                        "{{.State.Status}} {{.State.ExitCode}}", check_rc=False)
        parts = r.stdout.split()
        return (parts[0], int(parts[1])) if len(parts) == 2 else ("gone", None)

    def logs(self):
        r = self.podman("logs", self.name, check_rc=False)
        return r.stdout + r.stderr

    def _ready(self):
        st, rc = self.state()
        if st != "running":
            raise TestFailure("the container is %s (exit %s):\n%s" % (st, rc, self.logs()))
        return self.exec("mixplanectl", "show", "version", check_rc=False).returncode == 0

    def exec(self, *args, check_rc=True):
        return self.podman("exec", self.name, *args, check_rc=check_rc)

    def ctl_json(self, *args):
        r = self.exec("mixplanectl", *(list(args) + ["--json"]))
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            raise TestFailure("mixplanectl %s --json is not JSON (%s): %r"
                              % (" ".join(args), e, r.stdout[:300]))

    def cleanup_net(self):
        for ns in (self.ns_d, self.ns_k):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        for c in self.containers:
            # podman rm -f: SIGKILL after stop's timeout, then the container is removed
            subprocess.run(["podman"] + self.pglobal + ["rm", "-f", "-t", "10", c],
                           capture_output=True, timeout=60)
        self.cleanup_net()
        if self.huge:
            subprocess.run(["umount", self.huge], capture_output=True)
        if os.environ.get("MXP_KEEP_LOGS"):
            print("# logs kept in " + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def build_image():
    if os.environ.get("MXP_CONTAINER_NO_BUILD") == "1":
        r = subprocess.run(["podman", "image", "exists", IMAGE])
        check(r.returncode == 0, "the image %s exists (MXP_CONTAINER_NO_BUILD=1)" % IMAGE)
        return
    t0 = time.monotonic()
    p = subprocess.run([SCRIPT, "build", "--image", IMAGE], capture_output=True, text=True,
                       timeout=1500)
    if p.returncode != 0:
        raise TestFailure("scripts/container.sh build failed (%d):\n%s%s"
                          % (p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
    print("# image built (or found in podman's layer cache) in %.0f s" % (time.monotonic() - t0),
          flush=True)


def test():
    build_image()
    with ContainerLab() as lab:
        r = lab.podman("image", "inspect", IMAGE, "--format",
                       "{{.Config.User}} {{.Size}}")
        user, size = r.stdout.split()
        check(user.split(":")[0] == str(UID), "the image runs as uid %d (USER %s)" % (UID, user))
        r = lab.podman("run", "--rm", "--network", "none", *lab.prun, IMAGE, "sh", "-c",
                       "command -v cc gcc ld meson pkg-config; ls /usr/include 2>/dev/null; "
                       "dpkg -l | awk '/^ii/ && $2 ~ /-dev(:|$)/ {print $2}'; true")
        check(r.stdout.strip() == "", "no compiler, linker, headers or -dev package in the "
              "image (%d MB)%s" % (int(size) // 1000000,
                                   ": " + r.stdout.strip()[:300] if r.stdout.strip() else ""))

        r = lab.tool("mrfc", "keygen", "--mrfp", DAEMON_IP4, "--mrfc", MRFC_IP4,
                     "--mrfp-out", "/lab/etc/mrfp.sa", "--mrfc-out", "/lab/mrfc.sa",
                     "--alg", "aes-gcm-128")
        st = os.stat(os.path.join(lab.dir, "etc", "mrfp.sa"))
        check(r.returncode == 0 and st.st_uid == UID and st.st_mode & 0o777 == 0o600,
              "the image's mrfc keygen wrote the ESP key files (uid %d, mode %o)%s"
              % (st.st_uid, st.st_mode & 0o777, "" if r.returncode == 0 else r.stderr[-500:]))

        lab.start_daemon()
        status = lab.exec("cat", "/proc/1/status").stdout
        fields = dict(l.split(":", 1) for l in status.splitlines() if ":" in l)
        uid = fields["Uid"].split()[0]
        eff = int(fields["CapEff"].strip(), 16)
        check(uid == str(UID) and eff == CAPS_MASK,
              "the daemon is process 1 of its container, uid %s, capabilities %#x (%s only)"
              % (uid, eff, "+".join(CAPS)))
        ports = lab.ctl_json("show", "ports")
        check(len(ports) == 1 and ports[0]["link_up"] and lab.veth_d in ports[0]["device"],
              "port0, up, is af_packet on the veth of the pod's namespace: %s"
              % ports[0]["device"])
        huge = "dpdk-dumpcap --file-prefix=mixplane" in lab.logs()
        check(huge == (lab.huge is not None),
              "the daemon runs %s" % ("on the hugetlbfs mounted at /dev/hugepages" if huge
                                      else "with --no-huge (no hugepages free here)"))

        keys = "/lab/keys.txt"
        r = lab.tool("mrfc", "--sa", "/lab/mrfc.sa", "--keys-out", keys, "add",
                     "legs=%d" % LEGS, "mode=switch", "remote=%s:40000" % PARTICIPANTS_IP4)
        if r.returncode != 0 or "result add ok" not in r.stdout:
            raise TestFailure("mrfc add failed (%d):\n%s%s" % (r.returncode, r.stdout[-2000:],
                                                               r.stderr[-2000:]))
        check(True, "the image's mrfc set a conference of %d up over Mp/ESP" % LEGS)
        legs = [l.split() for l in open(os.path.join(lab.dir, "keys.txt"))
                if l.startswith("leg ")]
        check(len(legs) == LEGS and all(l[3] == DAEMON_IP4 for l in legs),
              "%d legs on the daemon's address %s" % (len(legs), DAEMON_IP4))
        ctx = legs[0][1]

        r = lab.tool("mixgen", "-l", "0", "--no-pci", "--no-huge", "-m", "256",
                     "--file-prefix", "mixgen", "--log-level", "lib.eal:warning",
                     "--vdev=net_af_packet0,iface=%s" % lab.veth_k, "--",
                     "-s", "/run/mixplane/mixplane.sock", "--legs", keys,
                     "--ip", PARTICIPANTS_IP4 + "/24", "--duration", "2", "--mbufs", "16383",
                     "--no-progress", timeout=180)
        j = None
        for line in reversed(r.stdout.splitlines()):
            if line.startswith("{"):
                j = json.loads(line)
                break
        if j is None:
            raise TestFailure("mixgen printed no JSON result (exit %d):\n%s%s"
                              % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
        failed = [c["name"] + ": " + c["detail"] for c in j["checks"] if not c["pass"]]
        check(r.returncode == 0 and j["ok"] and not failed,
              "the image's mixgen played mrfc's %d legs, every check passed%s"
              % (LEGS, "" if not failed else ": failed " + "; ".join(failed)))
        sent, received = j["run"]["sent"], j["run"]["received"]
        check(sent > 0 and received == (LEGS - 1) * sent,
              "%d SRTP packets sent, %d received: each heard by the %d others"
              % (sent, received, LEGS - 1))

        conf = lab.ctl_json("show", "conference", ctx)
        check(conf["rx_packets"] == sent and conf["decryptions"] == sent and
              conf["tx_packets"] == (LEGS - 1) * sent and conf["encryptions"] == conf["tx_packets"],
              "the daemon decrypted %d packets and relayed %d (re-encrypted %d)"
              % (conf["decryptions"], conf["tx_packets"], conf["encryptions"]))
        mp = lab.ctl_json("show", "mp")
        check(mp["requests"] >= 1 and mp["errors"] == 0 and mp["plaintext_accepted"] == 0,
              "Mp: %d request(s) over ESP, %d errors, nothing in the clear"
              % (mp["requests"], mp["errors"]))
        esp = lab.ctl_json("show", "esp")
        sas = {sa["dir"]: sa for sa in esp["sas"]}
        check(esp["accepted"] >= 1 and sas["in"]["packets"] >= 1 and sas["in"]["drops"] == 0
              and sas["out"]["packets"] >= 1 and sum(esp["drops"].values()) == 0,
              "ESP: %d packet(s) from the MRFC decrypted, %d sent to it encrypted, no drops"
              % (sas["in"]["packets"], sas["out"]["packets"]))

        # The stop a kubelet or `podman stop` does: SIGTERM to process 1, the daemon.
        t0 = time.monotonic()
        lab.podman("stop", "-t", "20", lab.name, timeout=60)
        took = time.monotonic() - t0
        st, rc = lab.state()
        logs = lab.logs()
        check(st == "exited" and rc == 0,
              "podman stop (SIGTERM): the container exited with status %s in %.1f s"
              % (rc, took))
        check("signal 15: shutting down" in logs and "mixplane: stopped" in logs,
              "the daemon logged the SIGTERM and its clean stop")


mxplab.main(test)

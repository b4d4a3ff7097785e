"""mixplanectl run by a local user the daemon does not serve: it says who refused whom and why,
with exit status 4 (denied), and never dies of SIGPIPE (status 141, "Broken pipe").

Two refusals, as a real user meets them:
 1. the socket's permissions: the daemon's socket is mode 0600 in an owner-only directory,
    so connect() fails with EACCES ('permission denied on SOCKET: ...');
 2. the daemon's peer check (SO_PEERCRED): with the socket made reachable (directory 0755,
    socket 0666, as an operator loosening permissions would), the daemon answers the peer
    with a refusal before closing, also when the client is still sending a request larger
    than the socket's buffer (its send then fails with EPIPE/ECONNRESET).
"""
import os
import subprocess
import mxplab
from mxplab import check, Lab, MIXPLANECTL

NOBODY_UID = 65534
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY_UID, "--regid=%d" % NOBODY_UID, "--clear-groups"]
REFUSAL = ("mixplanectl: the daemon refused this user (uid %d): only uid 0 (the daemon's owner) "
           "may use its control socket" % NOBODY_UID)


def as_nobody(sock, *args, stdin=None):
    return subprocess.run(AS_NOBODY + [MIXPLANECTL, "-s", sock] + list(args), input=stdin,
                          capture_output=True, timeout=30)


def test():
    with Lab("cli-refusal") as lab:
        denied0 = lab.ctl_json("show", "stats")["control"]["cli_denied"]

        # 1. The path a real user hits first: the owner-only directory.
        r = as_nobody(lab.sock, "show", "version")
        err = r.stderr.decode(errors="replace").strip()
        check(r.returncode == 4, "socket permissions: exit status 4, got %d (%s)"
              % (r.returncode, err))
        check(err.startswith("mixplanectl: permission denied on %s: " % lab.sock)
              and "uid %d" % NOBODY_UID in err, "socket permissions: '%s'" % err)

        # The directory searchable, the socket itself still 0600: stat() works, the message
        # says whose socket it is.
        os.chmod(lab.dir, 0o755)
        r = as_nobody(lab.sock, "show", "version")
        err = r.stderr.decode(errors="replace").strip()
        check(r.returncode == 4 and "the socket is mode 0600, owned by uid 0, and this is uid %d"
              % NOBODY_UID in err, "socket mode: exit %d, '%s'" % (r.returncode, err))

        # 2. The socket reachable: the daemon's peer check refuses, and says so.
        os.chmod(lab.sock, 0o666)
        r = as_nobody(lab.sock, "show", "version")
        err = r.stderr.decode(errors="replace").strip()
        check(r.returncode == 4 and err == REFUSAL,
              "peer check: exit status 4 and the refusal, got %d '%s'" % (r.returncode, err))
        check(r.stdout == b"", "peer check: nothing on stdout")

        # A request the socket cannot buffer (4 MiB of body): the daemon closes while the
        # client is still sending. The client must not die of SIGPIPE and must still read
        # the refusal waiting in its socket.
        r = as_nobody(lab.sock, "-i", "-", "show", "version", stdin=b"k" * (4 << 20))
        err = r.stderr.decode(errors="replace").strip()
        check(r.returncode != -13 and r.returncode != 141,
              "large request: no SIGPIPE (exit %d)" % r.returncode)
        check(r.returncode == 4 and err == REFUSAL,
              "large request: exit status 4 and the refusal, got %d '%s'" % (r.returncode, err))

        stats = lab.ctl_json("show", "stats")
        check(stats["control"]["cli_denied"] - denied0 == 2,
              "the daemon counted the two peers it refused (cli_denied +%d)"
              % (stats["control"]["cli_denied"] - denied0))
        check(lab.ctl("show", "version").returncode == 0, "root is still served")


mxplab.main(test)

"""The control socket under a hostile local client (root: the peers the daemon serves).

The control core also runs the Mp plane and the timers: no client may stall it, exhaust its
memory, or keep other CLI users out for longer than the connection timeout (5 s). After each
attack an honest `mixplanectl show version` / `show stats` answers within HONEST_S, and the
daemon's counters (show stats --json, "control") say what it did:
 1. slow readers: connections that pipeline thousands of requests and never read. The
    daemon reads one request per connection and nothing after it (cli_requests grows by one
    per connection), answers it and closes: each reader finds one reply, then the end.
 2. huge requests: a header announcing more than MXP_CTL_MAX_FRAME (64 MiB), headers
    announcing 60 MiB followed by the bytes, and mixplanectl -i with 2 MiB of stdin: each
    refused at its header with a reason (status 1), none of it buffered (cli_oversize; the
    daemon's RSS stays put).
 3. a trickler: a request that comes one byte at a time and never completes. Others are
    served meanwhile; it is closed 5 s after it connected however long it keeps
    trickling (cli_timeout).
 4. many connections: more than the 32 the daemon serves at once; the rest get the "busy"
    refusal (cli_busy), an honest client is served again once some close, and when all are
    gone the daemon holds the descriptors it held before (/proc/PID/fd).
"""
import json
import os
import select
import socket
import struct
import subprocess
import time
import mxplab
from mxplab import check, wait_for, Lab, MIXPLANECTL

HONEST_S = 3.0          # an honest command answers within this (the machine may be loaded)
MAX_CLIENTS = 32
MAX_FRAME = 64 << 20    # MXP_CTL_MAX_FRAME
TIMEOUT_S = 5.0         # CLIENT_TIMEOUT_MS


def frame(cmd, body=b"", flags=0):
    payload = bytes([flags]) + cmd.encode() + b"\0" + body
    return struct.pack(">I", len(payload)) + payload


def connect(lab):
    """A connection; a full listen backlog (EAGAIN on a unix socket) is retried for 10 s."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)

    def attempt():
        try:
            s.connect(lab.sock)
            return True
        except BlockingIOError:
            return False
    wait_for(attempt, 10, "room in the daemon's listen backlog")
    s.settimeout(10)
    return s


def read_reply(s, timeout=10.0):
    """One response frame (status, text), then whether the daemon closed after it."""
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        data += chunk
    check(len(data) >= 5, "a response frame (%d bytes)" % len(data))
    n = struct.unpack(">I", data[:4])[0]
    check(len(data) == 4 + n, "exactly one response frame, then the end (%d + %d bytes)"
          % (n + 4, len(data) - 4 - n))
    return data[4], data[5:].decode(errors="replace")


def daemon_status(lab, key):
    with open("/proc/%d/status" % lab.proc.pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise mxplab.TestFailure("no %s in /proc/%d/status" % (key, lab.proc.pid))


def peak_reset(lab):
    """Start the daemon's peak RSS (VmHWM) afresh from its RSS now."""
    with open("/proc/%d/clear_refs" % lab.proc.pid, "w") as f:
        f.write("5")
    return daemon_status(lab, "VmHWM")


def nfds(lab):
    return len(os.listdir("/proc/%d/fd" % lab.proc.pid))


def settled_nfds(lab):
    """The daemon's descriptors once it has closed the connections it answered: it closes
    one the next time it polls it, so a count taken just after a request (the honest
    client's statistics) may still hold that connection, and a later count that waits
    for it would wait in vain. The same count over 0.2 s is settled."""
    seen = {"n": nfds(lab), "same": 0}

    def steady():
        n = nfds(lab)
        seen["same"] = seen["same"] + 1 if n == seen["n"] else 0
        seen["n"] = n
        return seen["same"] >= 4
    wait_for(steady, 5, "the daemon's descriptors to settle")
    return seen["n"]


class Honest:
    """mixplanectl as an honest user; counts the requests it makes (cli_requests)."""

    def __init__(self, lab):
        self.lab = lab
        self.requests = 0

    def run(self, *args):
        t0 = time.monotonic()
        try:
            r = subprocess.run([MIXPLANECTL, "-s", self.lab.sock] + list(args),
                               capture_output=True, text=True, timeout=HONEST_S)
        except subprocess.TimeoutExpired:
            raise mxplab.TestFailure("'%s' did not answer within %.0f s"
                                     % (" ".join(args), HONEST_S))
        return r, time.monotonic() - t0

    def served(self, what):
        r, dt = self.run("show", "version")
        check(r.returncode == 0 and r.stdout.strip() != "",
              "%s: show version answers (exit %d, %.2f s, %s)"
              % (what, r.returncode, dt, r.stderr.strip()))
        self.requests += 1
        return self.stats(what)

    def stats(self, what):
        r, _ = self.run("show", "stats", "--json")
        check(r.returncode == 0, "%s: show stats answers (%s)" % (what, r.stderr.strip()))
        self.requests += 1
        return json.loads(r.stdout)["control"]


def slow_readers(lab, h):
    c0 = h.stats("before the slow readers")
    r0 = h.requests
    rss0 = peak_reset(lab)
    socks = []
    for _ in range(8):
        s = connect(lab)
        s.setblocking(False)
        burst = frame("help") * 2000 + frame("show drops all") * 2000
        sent = 0
        while sent < len(burst):  # as much as the socket takes, then stop: never read
            try:
                sent += s.send(burst[sent:])
            except BlockingIOError:
                break
            except (BrokenPipeError, ConnectionResetError):
                break
        socks.append(s)
    c = h.served("slow readers")
    check(c["cli_requests"] - c0["cli_requests"] == len(socks) + h.requests - r0,
          "slow readers: one request read per connection, no pipelined one (cli_requests +%d"
          " for %d connections and %d honest requests)"
          % (c["cli_requests"] - c0["cli_requests"], len(socks), h.requests - r0))
    for s in socks:
        st, text = read_reply(s)
        check(st == 0 and "show" in text, "slow reader: its one reply (status %d)" % st)
        s.close()
    rss = daemon_status(lab, "VmHWM")
    check(rss - rss0 < 16 << 10, "slow readers: the daemon's peak RSS stays put (%d -> %d KiB)"
          % (rss0, rss))


def huge_requests(lab, h):
    c0 = h.stats("before the huge requests")
    rss0 = peak_reset(lab)
    # A header beyond the protocol's limit.
    s = connect(lab)
    s.sendall(struct.pack(">I", MAX_FRAME + 1))
    st, text = read_reply(s)
    check(st == 1 and "the request is too large: %d bytes announced" % (MAX_FRAME + 1) in text,
          "a header announcing MXP_CTL_MAX_FRAME + 1: refused with a reason: %r" % text)
    s.close()
    # Headers within the protocol's limit, and the bytes behind them: refused at the header,
    # while the client is still sending.
    for _ in range(4):
        s = connect(lab)
        big = b"\x00" + b"x" * (60 << 20)
        try:
            s.sendall(struct.pack(">I", len(big)) + big)
            check(False, "a 60 MiB request: the daemon closed before taking all of it")
        except (BrokenPipeError, ConnectionResetError):
            pass
        st, text = read_reply(s)
        check(st == 1 and "too large" in text, "a 60 MiB request: refused: %r" % text)
        s.close()
    h.served("huge requests")
    # mixplanectl itself, with a body too large: it prints the daemon's reason.
    r = subprocess.run([MIXPLANECTL, "-s", lab.sock, "-i", "-", "show", "version"],
                       input=b"k" * (2 << 20), capture_output=True, timeout=30)
    err = r.stderr.decode(errors="replace").strip()
    check(r.returncode == 1 and "the request is too large" in err,
          "mixplanectl -i with 2 MiB: exit 1 and the reason (exit %d, '%s')"
          % (r.returncode, err))
    c = h.stats("huge requests")
    check(c["cli_oversize"] - c0["cli_oversize"] == 6,
          "huge requests: 6 counted (cli_oversize +%d)" % (c["cli_oversize"] - c0["cli_oversize"]))
    rss = daemon_status(lab, "VmHWM")
    check(rss - rss0 < 16 << 10, "huge requests: none buffered, peak RSS %d -> %d KiB"
          % (rss0, rss))


def trickler(lab, h):
    c0 = h.stats("before the trickler")
    s = connect(lab)
    t0 = time.monotonic()
    s.sendall(struct.pack(">I", 1000) + b"\x00")
    s.setblocking(False)
    served = 0

    def closed():
        nonlocal served
        try:
            if s.recv(4096) == b"":
                return True
        except BlockingIOError:
            pass
        except ConnectionResetError:
            return True
        try:
            s.send(b"s")  # one more byte: the deadline is from accept, it does not move
        except (BrokenPipeError, ConnectionResetError):
            return True
        if served < 3 and time.monotonic() - t0 < TIMEOUT_S - HONEST_S:
            h.served("while a request trickles in")
            served += 1
        return False

    wait_for(closed, TIMEOUT_S + 10, "the daemon to close the trickling connection")
    dt = time.monotonic() - t0
    check(served >= 1, "an honest client was served while the request trickled in")
    check(dt >= TIMEOUT_S - 0.2, "the trickler was closed at the timeout, not before (%.1f s)"
          % dt)
    s.close()
    c = h.stats("after the trickler")
    check(c["cli_timeout"] - c0["cli_timeout"] == 1,
          "the trickler counted (cli_timeout +%d)" % (c["cli_timeout"] - c0["cli_timeout"]))


def many_connections(lab, h):
    c0 = h.stats("before many connections")
    fd0 = settled_nfds(lab)
    extra = 8
    socks = [connect(lab) for _ in range(MAX_CLIENTS + extra)]
    # The ones over the table are answered at once and closed; the others wait.
    refused = []
    deadline = time.monotonic() + 10
    while len(refused) < extra and time.monotonic() < deadline:
        rd, _, _ = select.select([s for s in socks if s not in refused], [], [], 0.5)
        refused += rd
    check(len(refused) == extra, "%d connections over the table refused (%d)"
          % (extra, len(refused)))
    for s in refused:
        st, text = read_reply(s)
        check(st == 1 and "the daemon is busy: %d control connections are open" % MAX_CLIENTS
              in text, "over the table: the busy refusal: %r" % text)
        s.close()
        socks.remove(s)
    busy = extra
    r, _ = h.run("show", "version")
    check(r.returncode == 1 and "the daemon is busy" in r.stderr,
          "an honest client while the table is full: busy (exit %d, '%s')"
          % (r.returncode, r.stderr.strip()))
    busy += 1
    for s in socks[:4]:
        s.close()
    socks = socks[4:]

    def served():
        nonlocal busy
        r2, _ = h.run("show", "version")
        if r2.returncode == 0:
            h.requests += 1
            return True
        check(r2.returncode == 1 and "busy" in r2.stderr, "busy or served: '%s'"
              % r2.stderr.strip())
        busy += 1
        return False

    wait_for(served, 10, "an honest client to be served once some connections close")
    for s in socks:
        s.close()
    wait_for(lambda: nfds(lab) == fd0, 10,
             "the daemon's descriptors back to %d (now %d)" % (fd0, nfds(lab)))
    c = h.stats("after many connections")
    check(c["cli_busy"] - c0["cli_busy"] == busy,
          "busy refusals counted (cli_busy +%d, %d seen)" % (c["cli_busy"] - c0["cli_busy"], busy))


def test():
    with Lab("cli-hostile") as lab:
        h = Honest(lab)
        fd0 = settled_nfds(lab)
        slow_readers(lab, h)
        huge_requests(lab, h)
        trickler(lab, h)
        many_connections(lab, h)
        # the daemon closes a connection the next time it polls it: a busy machine may
        # sample before that; a leaked descriptor never comes back
        try:
            wait_for(lambda: nfds(lab) == fd0, 5, "the daemon's descriptors back to %d" % fd0)
        except mxplab.TestFailure:
            pass
        check(nfds(lab) == fd0, "no descriptor leaked over the test (%d -> %d)"
              % (fd0, nfds(lab)))
        h.served("the end")


mxplab.main(test)

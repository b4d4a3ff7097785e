"""mixplanectl top, the live view, against a daemon with a conference carrying traffic:
inside tmux (a real terminal) the frame shows the worker and the conference with its
participants and a packet rate, 'q' quits with the terminal's settings restored; --once
fits 80 columns without a terminal; --once --json is one document with non-negative rates."""
import json
import os
import re
import subprocess
import mxplab
from mxplab import check, Lab, wait_for, DAEMON_IP4, KERNEL_IP4, MIXPLANECTL, gen_key

PARTS = 3
PACKETS = 3000      # 20 ms apart: a minute of traffic, stopped when the test is done


class Tmux:
    """A tmux server of our own (its own socket), so nothing else's sessions are touched."""

    def __init__(self, directory):
        self.sock = os.path.join(directory, "tmux.sock")

    def __call__(self, *args, check_rc=True):
        return mxplab.run(["tmux", "-S", self.sock] + list(args), check_rc=check_rc)

    def capture(self, session):
        return self("capture-pane", "-p", "-t", session).stdout

    def start_top(self, lab, session, cols, rows):
        """mixplanectl top in a new session; the shell saves the terminal's settings
        before and after it. Returns the files: settings before, after, exit status."""
        f = [os.path.join(lab.dir, "%s.%s" % (session, x)) for x in ("before", "after", "rc")]
        # an interactive shell outlives Ctrl-C: so must this one (a handler, not an
        # ignore, so top does not inherit SIGINT ignored)
        script = ("trap : INT; stty -g > %s; %s -s %s top -d 0.5; echo $? > %s.tmp; stty -g > %s; "
                  "mv %s.tmp %s; exec sleep 600"
                  % (f[0], MIXPLANECTL, lab.sock, f[2], f[1], f[2], f[2]))
        self("new-session", "-d", "-s", session, "-x", str(cols), "-y", str(rows),
             "sh", "-c", script)
        return f

    def frame(self, session, conf, pred=lambda fr: True, what="a frame"):
        """Poll the pane until it shows the conference with a nonzero packet rate in and
        pred(frame) holds; returns the frame."""
        def ready():
            fr = self.capture(session)
            row = conf_row(fr, conf)
            return fr if (row and nonzero_rate(row[6]) and "busy%" in fr and pred(fr)) else None
        return wait_for(ready, 30, what)

    def exited(self, files, how):
        """Wait for top to exit; check its status and the terminal's settings."""
        wait_for(lambda: os.path.exists(files[2]), 10, "mixplanectl top to exit after " + how)
        with open(files[2]) as f:
            rc = f.read().strip()
        check(rc == "0", "%s: exit status 0 (%s)" % (how, rc))
        with open(files[0]) as f, open(files[1]) as g:
            b, a = f.read().strip(), g.read().strip()
        check(b == a and b != "", "%s: the terminal's settings are restored (stty -g %s)"
              % (how, a))

    def kill(self):
        self("kill-server", check_rc=False)


def conf_row(frame, conf):
    """The fields of the conference's row in a frame, or None."""
    for line in frame.splitlines():
        f = line.split()
        if len(f) >= 10 and f[0] == str(conf):
            return f
    return None


def header_col(frame, word):
    """Column of word in the conference table's header line, or -1."""
    for line in frame.splitlines():
        if line.split()[:2] == ["id", "name"]:
            return line.find(" %s " % word) + 1
    return -1


def is_rate(s):
    return re.fullmatch(r"[0-9.]+[kMGT]?", s) is not None


def nonzero_rate(s):
    return is_rate(s) and float(s.rstrip("kMGT")) > 0


def test():
    with Lab("top") as lab:
        conf = lab.conf_create("mode", "switch", "name", "busy")
        parts = []
        for i in range(PARTS):
            port = 5000 + 2 * i
            k_in, k_out = gen_key(), gen_key()
            leg = lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, port), "label", "p%d" % i)
            parts.append((port, k_in, k_out, leg))
        peer = lab.peer(KERNEL_IP4, rx=[(p[0], p[2]) for p in parts],
                        tx=[(p[0], DAEMON_IP4, p[3]["local_port"], p[1], 0x3000 + i, i + 1)
                            for i, p in enumerate(parts)],
                        count=PACKETS, wait_ms=100, background=True)
        tmux = Tmux(lab.dir)
        try:
            wait_for(lambda: lab.ctl_json("show", "conference", str(conf))["rx_packets"] > 0,
                     20, "traffic through the conference")

            # -- the live view in a terminal -------------------------------------------------
            files = tmux.start_top(lab, "top", 100, 30)
            frame = tmux.frame("top", conf, what="a frame with the conference's packet rate")
            print("# frame:\n# " + "\n# ".join(frame.rstrip().splitlines()), flush=True)
            row = conf_row(frame, conf)
            check(row[1] == "busy" and row[2] == "switch" and row[3] == str(PARTS),
                  "the conference's row: name, mode, %d participants (%s)" % (PARTS, row))
            check(nonzero_rate(row[6]) and nonzero_rate(row[7]),
                  "packet rates in and out are nonzero (%s, %s)" % (row[6], row[7]))
            check(row[4] == str(PARTS), "every participant sending counts as a talker (%s)"
                  % row[4])
            wl = [ln.split() for ln in frame.splitlines()]
            hdr = [i for i, f in enumerate(wl) if f[:3] == ["worker", "lcore", "busy%"]]
            check(len(hdr) == 1 and wl[hdr[0] + 1][0] == "0" and nonzero_rate(wl[hdr[0] + 1][3]),
                  "the worker's line: worker 0 with a nonzero rx rate")
            check(all(len(ln) <= 100 for ln in frame.splitlines()), "every line fits the pane")

            tmux("send-keys", "-t", "top", "r")
            tmux.frame("top", conf, lambda fr: "sorted by rate" in fr.splitlines()[0],
                       "'r': a frame sorted by packet rate")
            tmux("send-keys", "-t", "top", "q")
            tmux.exited(files, "q")

            # -- a resized terminal gets a frame of its new size; Ctrl-C quits -------------
            files = tmux.start_top(lab, "top2", 100, 30)
            tmux.frame("top2", conf, lambda fr: header_col(fr, "mode") == 39,
                       "a 100-column frame (a 30-column name)")
            tmux("resize-window", "-t", "top2", "-x", "80", "-y", "20")
            frame = tmux.frame("top2", conf, lambda fr: header_col(fr, "mode") == 19,
                               "the frame redrawn for 80 columns after the resize")
            check(len(frame.rstrip("\n").splitlines()) <= 20, "the frame fits 20 lines")
            tmux("send-keys", "-t", "top2", "C-c")
            tmux.exited(files, "Ctrl-C")
            tmux.kill()

            # -- one frame for a pipe: 80 columns, no escape sequences -----------------------
            r = subprocess.run([MIXPLANECTL, "-s", lab.sock, "top", "--once", "-d", "0.3"],
                               capture_output=True, text=True, timeout=30,
                               env=dict(os.environ, COLUMNS="80"))
            check(r.returncode == 0, "--once: exit 0 (%s)" % r.stderr.strip())
            lines = r.stdout.splitlines()
            check(all(len(ln) <= 80 for ln in lines) and "\033" not in r.stdout,
                  "--once without a terminal: plain text within 80 columns")
            row = conf_row(r.stdout, conf)
            check(row is not None and row[3] == str(PARTS) and nonzero_rate(row[6]),
                  "--once: the conference with its participants and a packet rate")

            # -- JSON for scripts --------------------------------------------------------------
            r = subprocess.run([MIXPLANECTL, "-s", lab.sock, "top", "--once", "--json",
                                "-d", "0.3", "--sort", "rate"],
                               capture_output=True, text=True, timeout=30)
            check(r.returncode == 0, "--once --json: exit 0 (%s)" % r.stderr.strip())
            doc = json.loads(r.stdout)
            check(doc["window_ms"] is not None and doc["window_ms"] >= 300,
                  "rates over the interval between the two samples (%s ms)" % doc["window_ms"])
            check(doc["sort"] == "rate" and doc["conferences_total"] == 1, "sort and total")
            w = doc["workers"]
            check(len(w) == 1 and all(x[k] is not None and x[k] >= 0 for x in w
                                      for k in ("busy_pct", "rx_pps", "tx_pps", "drops_ps")),
                  "one worker with non-negative load and rates: %s" % w)
            check(w[0]["rx_pps"] > 0, "the worker receives packets")
            c = [x for x in doc["conferences"] if x["id"] == conf]
            check(len(c) == 1 and c[0]["participants"] == PARTS and c[0]["mode"] == "switch",
                  "the conference is present with %d participants" % PARTS)
            check(c[0]["rx_pps"] > 0 and c[0]["tx_pps"] >= 0, "its packet rates: %s / %s"
                  % (c[0]["rx_pps"], c[0]["tx_pps"]))
            mp = doc["mp"]
            check(mp["enabled"] is False and mp["transactions_ps"] == 0 and mp["errors"] == 0,
                  "Mp: off in this lab, no transactions")
            help_text = lab.ctl("help").stdout
            check("show top" in help_text, "help lists 'show top'")
        finally:
            tmux.kill()
            peer.terminate()
            peer.wait()
        check(lab.stop() == 0, "clean exit")

    # -- the Mp section: a daemon with an MRFC over ESP ----------------------------------------
    with Lab("topmp", mp=True) as lab:
        check(lab.ctl_json("show", "top")["mp"]["mrfc_reachable"] is False,
              "before the MRFC answers the ServiceChange: not reachable")
        # an MRFC that answers the daemon's ServiceChange (retransmitted until answered)
        listen = subprocess.Popen(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa",
                                   lab.mrfc_sa, "listen", "duration=60"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: lab.ctl_json("show", "top")["mp"]["mrfc_reachable"], 20,
                     "show top to find the MRFC reachable")
        finally:
            listen.terminate()
            listen.wait()
        lab.mrfc("add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4)
        doc = lab.ctl_json("show", "top")
        mp = doc["mp"]
        check(mp["enabled"] and mp["transport"] == "udp" and mp["mrfc"] == KERNEL_IP4,
              "Mp on, over UDP, the MRFC's address (%s)" % mp)
        check(mp["transactions"] >= 1 and mp["errors"] == 0,
              "the MRFC's Add counted as a transaction, no errors")
        # (each mrfc run starts its ESP sequence numbers over: the add's first packet may be
        # a replay of the listener's, so compare with lib/esp's counters, not with 0)
        esp = lab.ctl_json("show", "esp")
        check(mp["esp"]["sas"] == len(esp["sas"]) == 2 and
              mp["esp"]["accepted"] == esp["accepted"] >= 2 and
              mp["esp"]["auth_failures"] == esp["drops"]["bad_icv"] == 0 and
              mp["esp"]["replays"] == esp["drops"]["replay"] and
              mp["esp"]["too_old"] == esp["drops"]["too_old"],
              "ESP: the two SAs, accepted, auth failures, replays as show esp counts them (%s)"
              % mp["esp"])
        c = doc["conferences"]
        check(len(c) == 1 and c[0]["participants"] == 2 and c[0]["mode"] == "switch",
              "the MRFC's context is a conference of two participants")
        text = lab.ctl("show", "top").stdout
        check("MRFC %s reachable" % KERNEL_IP4 in text and "ESP  2 SAs" in text,
              "the frame's Mp lines: MRFC reachable, 2 SAs")


mxplab.main(test)

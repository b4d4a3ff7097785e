"""Announcements converted before a signal needs them, through the real daemon:
[media] announcement_preload names a 20 s 48 kHz WAV (long enough for the background
loader), a short mu-law file and a missing one. `show announcements` (text and JSON) lists
the two that exist, with their duration, source rate, memory and references, and the long
one becomes ready (polled with a bound); the log has the preload's warning for the missing
name and the loader's line for the long one. `announcement load` converts another file at
run time; its refusals (a name leaving the directory, no such file, an unknown format) are
the signal start's. The daemon stops cleanly with the loader started (a conversion queued at
exit is cancelled, not waited for)."""
import math
import os
import struct
import wave

import mxplab
from mxplab import check, Lab, wait_for

ANN_DIR = [None]


def write_wav(path, seconds, rate):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(round(6000 * math.sin(
            2 * math.pi * 1000 * i / rate)))) for i in range(int(seconds * rate))))


def test():
    ann_dir = os.path.join("/tmp", "mxp-annload-%d" % os.getpid())
    ANN_DIR[0] = ann_dir
    os.makedirs(ann_dir, exist_ok=True)
    write_wav(os.path.join(ann_dir, "long.wav"), 20, 48000)
    write_wav(os.path.join(ann_dir, "later.wav"), 20, 44100)
    with open(os.path.join(ann_dir, "beep.ul"), "wb") as f:
        f.write(bytes([0xff, 0x7f] * 2000))  # 0.5 s of mu-law
    with open(os.path.join(ann_dir, "song.mp3"), "wb") as f:
        f.write(b"ID3" + bytes(100))
    try:
        cfg = ("[media]\nannouncement_dir = %s\nannouncement_preload = long.wav, beep.ul "
               "missing.wav\n" % ann_dir)
        with Lab("annload", extra_config=cfg) as lab:
            run(lab)
    finally:
        for f in os.listdir(ann_dir):
            os.unlink(os.path.join(ann_dir, f))
        os.rmdir(ann_dir)


def by_name(lab):
    j = lab.ctl_json("show", "announcements")
    return {a["name"]: a for a in j["announcements"]}, j


def run(lab):
    names = wait_for(lambda: (lambda d: d if d.get("long.wav", {}).get("state") == "ready"
                              else None)(by_name(lab)[0]), 120, "long.wav converted")
    check(set(names) == {"long.wav", "beep.ul"}, "preloaded: %s" % sorted(names))
    lw, bp = names["long.wav"], names["beep.ul"]
    check(lw["duration_ms"] == 20000 and lw["src_rate"] == 48000 and
          lw["bytes"] == 20 * 8000 * 6 and lw["refs"] == 1,
          "long.wav: 20 s at 48 kHz, %d bytes, held by the cache: %s" % (20 * 8000 * 6, lw))
    check(bp["state"] == "ready" and bp["duration_ms"] == 500 and bp["src_rate"] == 8000,
          "beep.ul: ready, 0.5 s at 8 kHz: %s" % bp)
    r = lab.ctl("show", "announcements")
    check("long.wav" in r.stdout and "ready" in r.stdout and "48000" in r.stdout,
          "show announcements (text):\n%s" % r.stdout)
    with open(lab.log) as f:
        log = f.read()
    check("announcement_preload" in log and "missing.wav" in log,
          "the log names the missing preload")
    wait_for(lambda: "announcement long.wav: converted in" in open(lab.log).read(), 30,
             "the loader's log line")

    r = lab.ctl("announcement", "load", "later.wav")
    check(r.returncode == 0 and "later.wav" in r.stdout, "announcement load: %s" % r.stdout.strip())
    wait_for(lambda: by_name(lab)[0].get("later.wav", {}).get("state") == "ready", 120,
             "later.wav converted")
    for args, want in ((["../etc/passwd"], "refused"), (["none.wav"], "no such file"),
                       (["song.mp3"], "unknown extension")):
        r = lab.ctl("announcement", "load", *args, check_rc=False)
        check(r.returncode != 0 and want in r.stderr,
              "announcement load %s refused: %s" % (args[0], r.stderr.strip()))
    check(set(by_name(lab)[0]) == {"long.wav", "beep.ul", "later.wav"},
          "refusals added nothing")
    # a conversion left queued at exit (later.wav changed: converted again): the daemon
    # still stops, and cleanly (the loader cancels it)
    st = os.stat(os.path.join(ANN_DIR[0], "later.wav"))
    os.utime(os.path.join(ANN_DIR[0], "later.wav"), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    lab.ctl("announcement", "load", "later.wav")
    rc = lab.stop()
    check(rc == 0, "the daemon stopped cleanly with a conversion queued (exit status %s)" % rc)


if __name__ == "__main__":
    mxplab.main(test)

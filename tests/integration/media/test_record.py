"""Recording a mix conference through the real daemon ([media] recording_dir, mixplanectl
conference record). Two libsrtp2 talkers send tones of their own frequency (440 Hz, 1230 Hz)
for 3 s at real 20 ms pacing to a conference with a listener; the recording is read back with
Python's wave and numpy's FFT, and independently with ffprobe: 8 kHz mono 16-bit PCM, both
tones in it, its length the time between the start and the stop within two ticks. Then the
refusals (a switch conference, a path, an existing file); a disk that fills up (a tiny tmpfs
mounted by the test) stops the recording with its state and counter while the conference
and the daemon go on; and a recording running at SIGTERM ends as a valid file."""
import json
import os
import stat
import subprocess
import time
import wave
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

TONES = {1: 440.0, 2: 1230.0}
SECONDS = 3
TICK = 0.020
REC_DIR = "/tmp/mxp-rec-%d" % os.getpid()


def peaks(path):
    """Frequencies (Hz, rounded to 10) holding more than 10 % of the strongest FFT peak of
    the WAV's second half (jitter buffer and talker selection settled)."""
    import numpy as np
    with wave.open(path) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
    x = x[len(x) // 2:]
    sp = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1 / 8000)
    return sorted({int(round(f[i] / 10.0)) * 10 for i in np.nonzero(sp > sp.max() * 0.1)[0]})


def wav_info(path):
    """(rate, channels, sample width, frames) by Python's wave, checking that the header's
    data size is the file's."""
    with wave.open(path) as w:
        info = (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes())
    check(os.path.getsize(path) == 44 + 2 * info[3],
          "%s: the header's data size (%d frames) is the file's (%d bytes)"
          % (os.path.basename(path), info[3], os.path.getsize(path)))
    return info


def ffprobe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", path],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "ffprobe reads %s (%s)" % (os.path.basename(path), r.stderr.strip()))
    return json.loads(r.stdout)["streams"][0]


def talkers(lab, conf, with_listener=True):
    parts = {}
    for tid in TONES:
        k_in, k_out = gen_key(), gen_key()
        parts[tid] = dict(k_in=k_in, k_out=k_out, port=5000 + 2 * tid + 20 * conf,
                          leg=lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, 5000 + 2 * tid + 20 * conf),
                                          "pt", "0"))
    lst = None
    if with_listener:
        k = gen_key()
        lst = dict(port=5010 + 20 * conf, k_out=k,
                   leg=lab.leg_add(conf, gen_key(), k, (KERNEL_IP4, 5010 + 20 * conf),
                                   "mode", "recvonly", "pt", "0"))
    return parts, lst


def talk(lab, parts, lst, seconds=SECONDS):
    rx = [(p["port"], p["k_out"]) for p in parts.values()] + ([(lst["port"], lst["k_out"])] if lst else [])
    tx = [(p["port"], DAEMON_IP4, p["leg"]["local_port"], p["k_in"], 0x4000 + tid, tid, TONES[tid])
          for tid, p in parts.items()]
    return lab.peer(KERNEL_IP4, rx=rx, tx=tx, count=int(seconds * 50), interval_ms=20, wait_ms=300)


def ctl_rc(lab, *args):
    r = lab.ctl(*args, check_rc=False)
    return r.returncode, (r.stdout + r.stderr).strip()


def test(lab):
    conf = lab.conf_create("mode", "mix")
    parts, lst = talkers(lab, conf)

    # ---- a recording of two talkers --------------------------------------------------------
    t0 = time.monotonic()
    lab.ctl("conference", "record", str(conf), "start", "talk.wav")
    t1 = time.monotonic()
    res = talk(lab, parts, lst)
    t2 = time.monotonic()
    print("# first run: %s" % {k: v["packets"] for k, v in res["rx"].items()}, flush=True)
    out = lab.ctl("conference", "record", str(conf), "stop").stdout
    t3 = time.monotonic()
    print("# " + out.strip(), flush=True)
    path = os.path.join(REC_DIR, "talk.wav")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    check(mode & ~0o640 == 0, "the file is created 0640 at most (%o)" % mode)
    rate, ch, width, frames = wav_info(path)
    check((rate, ch, width) == (8000, 1, 2), "wave: 8 kHz mono 16-bit PCM (%d, %d, %d)"
          % (rate, ch, width))
    dur = frames / 8000.0
    check(t2 - t1 - 2 * TICK <= dur <= t3 - t0 + 2 * TICK,
          "%.3f s of audio for %.3f-%.3f s between start and stop (within two ticks)"
          % (dur, t2 - t1, t3 - t0))
    pk = peaks(path)
    check(440 in pk and 1230 in pk, "the recording holds both talkers (peaks %s Hz)" % pk)
    check(all(abs(p - 440) <= 20 or abs(p - 1230) <= 20 for p in pk),
          "and nothing else (peaks %s Hz)" % pk)
    s = ffprobe(path)
    check(s["codec_name"] == "pcm_s16le" and int(s["sample_rate"]) == 8000 and
          int(s["channels"]) == 1 and abs(float(s["duration"]) - dur) < 0.001,
          "ffprobe: pcm_s16le, 8000 Hz, mono, %s s" % s.get("duration"))
    info = lab.ctl_json("show", "conference", str(conf))["recording"]
    check(info["state"] == "stopped" and info["file"] == "talk.wav" and info["dropped"] == 0
          and info["audio_ms"] == frames // 8,
          "show conference: the recording stopped, nothing dropped (%s)" % info)
    txt = lab.ctl("show", "conference", str(conf)).stdout
    check("recording: stopped after" in txt, "show conference says it stopped")

    # ---- refusals: nothing changes -----------------------------------------------------------
    sw = lab.conf_create("mode", "switch")
    rc, msg = ctl_rc(lab, "conference", "record", str(sw), "start", "sw.wav")
    check(rc == 2 and "switch conference" in msg, "a switch conference: refused (%d: %s)" % (rc, msg))
    rc, msg = ctl_rc(lab, "conference", "record", str(conf), "start", "../x.wav")
    check(rc == 2 and "no path" in msg, "a path: refused (%d: %s)" % (rc, msg))
    rc, msg = ctl_rc(lab, "conference", "record", str(conf), "start", "talk.wav")
    check(rc == 1 and "exists" in msg, "an existing file: refused (%d: %s)" % (rc, msg))
    check(wav_info(path)[3] == frames, "and left as it was")
    rc, msg = ctl_rc(lab, "conference", "record", str(conf), "stop")
    check(rc == 1 and "not recording" in msg, "stop without a recording: refused (%d: %s)" % (rc, msg))
    os.unlink(path)

    # ---- a full disk -----------------------------------------------------------------------
    # (a new conference: the talkers' SRTP indices start again, which the first one's legs
    # would refuse as replays)
    conf = lab.conf_create("mode", "mix")
    parts, lst = talkers(lab, conf)
    # 16 kB of the tmpfs free: about a second of audio, then ENOSPC
    st = os.statvfs(REC_DIR)
    with open(os.path.join(REC_DIR, "filler"), "wb") as f:
        f.write(b"\0" * (st.f_bavail * st.f_frsize - 16384))
    lab.ctl("conference", "record", str(conf), "start", "full.wav")
    res = talk(lab, parts, lst)
    got = res["rx"][str(lst["port"])]["packets"]
    check(got >= SECONDS * 50 - 5, "the listener heard the conference throughout (%d packets)" % got)
    mxplab.wait_for(lambda: lab.ctl_json("show", "conference", str(conf))["recording"]["state"]
                    != "active", 5, "the recording to stop")
    info = lab.ctl_json("show", "conference", str(conf))["recording"]
    txt = lab.ctl("show", "conference", str(conf)).stdout
    print("# " + [l for l in txt.splitlines() if l.startswith("recording")][0], flush=True)
    check(info["state"] == "disk-full" and "recording: stopped: disk full after" in txt,
          "the recording stopped: disk full (%s)" % info["state"])
    recs = lab.ctl_json("show", "recordings")
    check(recs["disk_full"] == 1 and recs["active"] == 0,
          "show recordings counts it (%d disk full)" % recs["disk_full"])
    fpath = os.path.join(REC_DIR, "full.wav")
    n = wav_info(fpath)[3]
    check(0 < n < SECONDS * 8000 and 2 * n + 44 == info["bytes"],
          "what fit is a valid WAV (%d frames, %d bytes)" % (n, info["bytes"]))
    ffprobe(fpath)
    check(lab.ctl_json("show", "conference", str(conf))["legs"], "the daemon keeps serving")
    os.unlink(os.path.join(REC_DIR, "filler"))
    os.unlink(fpath)

    # ---- SIGTERM while recording ------------------------------------------------------------
    conf = lab.conf_create("mode", "mix")
    parts, lst = talkers(lab, conf)
    lab.ctl("conference", "record", str(conf), "start", "term.wav", "max-seconds", "60")
    talk(lab, parts, lst, seconds=1)
    check(lab.stop() == 0, "clean exit on SIGTERM")
    rate, ch, width, n = wav_info(os.path.join(REC_DIR, "term.wav"))
    check(n >= 8000 and rate == 8000, "the recording running at SIGTERM is a valid WAV (%d frames)" % n)
    ffprobe(os.path.join(REC_DIR, "term.wav"))


def main():
    os.makedirs(REC_DIR, exist_ok=True)
    mounted = False
    try:
        mxplab.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0750", "mxp-rec", REC_DIR])
        mounted = True
        with Lab("record", extra_config="\n[media]\nrecording_dir = %s\n" % REC_DIR) as lab:
            test(lab)
    finally:
        if mounted:
            subprocess.run(["umount", REC_DIR], capture_output=True)
        try:
            os.rmdir(REC_DIR)
        except OSError:
            pass


mxplab.main(main)

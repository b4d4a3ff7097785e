"""mixgen with audio through the daemon: every participant plays a tone of its own, the
recordings of what each one heard are checked by mixgen (Goertzel) and, independently, by a
numpy FFT of the WAV files: each participant hears exactly the other talkers of its
conference, never itself, never a silent member. Then a WAV file as the source, and PCMA."""
import math
import os
import struct
import tempfile
import wave

import mglab
import mxplab
from mxplab import check
from mglab import peaks



def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-audio") as lab:
        d = tempfile.mkdtemp(prefix="mxp-mixgen-wav-", dir=lab.dir)
        r = lab.mixgen("--confs", "2", "--participants", "4", "--senders", "3", "--duration", "3",
                       "--audio", "tone", "--wav-dir", d)
        spec = r.check("who hears whom (spectrum)")
        check(r.rc == 0 and spec and spec["pass"],
              "tones, 2 conferences of 4 (3 talk): every check passed, %s %s"
              % (spec and spec["detail"], r.failed_checks()))
        legs = {l["label"]: l for l in r.json["legs"]}
        base, step = 400, 100
        for label, leg in sorted(legs.items()):
            k = int(label.split("p")[1])
            want = [base + step * i for i in range(3) if i != k]
            got = peaks(leg["wav"])
            check(got == want, "%s heard %s Hz by FFT (want %s), mixgen says %r"
                  % (label, got, want, leg.get("heard")))
            check(leg["heard"] == " ".join("c%sp%d" % (label[1], i) for i in range(3) if i != k),
                  "%s: mixgen's Goertzel verdict names the same talkers" % label)

        # A WAV file as the source: every payload must be the file's bytes, G.711 encoded.
        src = os.path.join(lab.dir, "speech.wav")
        with wave.open(src, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(
                2 * math.pi * (300 + 200 * t / 16000.0) * t / 8000.0))) for t in range(16000)))
        r = lab.mixgen("--participants", "3", "--duration", "1.5", "--audio", src)
        check(r.rc == 0 and r.check("payload intact")["pass"],
              "a WAV file as the source: payloads intact, every check passed %s"
              % r.failed_checks())

        r = lab.mixgen("--participants", "3", "--duration", "1.5", "--codec", "pcma",
                       "--audio", "tone", "--wav-dir", d)
        check(r.rc == 0 and r.json["codec"] == "PCMA" and
              r.check("who hears whom (spectrum)")["pass"],
              "PCMA: every check passed %s" % r.failed_checks())
        rc = lab.stop()
        check(rc == 0, "the daemon exits cleanly (status %s)%s" % (
            rc, "" if rc == 0 else "\n" + lab.read_log()[-2000:]))


mxplab.main(test)

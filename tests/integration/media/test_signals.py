"""Signals through the real daemon: a mix conference with two SRTP participants (libsrtp2,
PCMU; mxp-srtp-peer decodes what each hears with its own G.711 decoder). Both talk (A a
1.5 kHz tone, B 1 kHz) for the whole test. `mixplanectl leg play` plays the ITU busy tone
to A for 2 s, then an announcement (a WAV written here with Python's wave module: 16-bit, 16 kHz, 600
ms of 800 Hz); `conference play` then plays the dial tone to both. Each recording is
analysed in 20 ms blocks with a Goertzel filter: A hears 425 Hz at -10 dBm0 in the busy
tone's cadence (0.5 s on, 0.5 s off, twice) under B's voice, then 800 Hz for 0.6 s;
B hears neither, but the conference dial tone for 0.5 s. Also: the CLI's refusals (a name
leaving the announcement directory, a forward conference; a switch conference plays) and
`show tones`.
Then, in a plain RTP mix conference, a listener C (with telephone-event 101; rtp_peer.py
records its packets) is played the special information tone while B2 talks (500 Hz): C
is given its private stream for the signal, the PCMU it received is decoded by ffmpeg's
mu-law decoder and must show 950, 1400 and 1800 Hz for 330 ms each, in that order, under
B2's voice; then the digit 5 arrives as RFC 4733 events (marker on the first, duration
growing, the end bit three times with 100 ms)."""
import json
import math
import os
import struct
import subprocess
import time
import wave

import mxcodecs as cdx
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = 160  # 20 ms at 8 kHz
DIAL_AMP = 32767 * 10 ** ((-10 - 3.14) / 20)  # 425 Hz at -10 dBm0 (full scale = +3.14 dBm0)


def amp(x, f, rate=8000):
    """Amplitude of frequency f in block x (Goertzel, Hann window compensated)."""
    n = len(x)
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    wsum = 0.0
    for i, v in enumerate(x):
        h = 0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1))
        wsum += h
        s1, s2 = v * h + k * s1 - s2, s1
    re = s1 - s2 * math.cos(2 * math.pi * f / rate)
    im = s2 * math.sin(2 * math.pi * f / rate)
    return 2 * math.sqrt(re * re + im * im) / wsum


def blocks(path):
    with open(path, "rb") as f:
        data = f.read()
    x = struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])
    return [x[i:i + BLOCK] for i in range(0, len(x) - BLOCK + 1, BLOCK)]


def runs(flags):
    """[(value, length)] of consecutive equal flags."""
    out = []
    for v in flags:
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return out


def test():
    ann_dir = os.path.join("/tmp", "mxp-signals-ann-%d" % os.getpid())
    os.makedirs(ann_dir, exist_ok=True)
    with wave.open(os.path.join(ann_dir, "hello.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(round(6000 * math.sin(2 * math.pi * 800 * i / 16000))))
                               for i in range(int(0.6 * 16000))))
    try:
        with Lab("signals", extra_config="[media]\nannouncement_dir = %s\ntone_country = itu\n"
                 % ann_dir) as lab:
            run(lab)
    finally:
        for f in os.listdir(ann_dir):
            os.unlink(os.path.join(ann_dir, f))
        os.rmdir(ann_dir)


def run(lab):
    conf = lab.conf_create("mode", "mix")
    ka_in, ka_out, kb_in, kb_out = gen_key(), gen_key(), gen_key(), gen_key()
    a = lab.leg_add(conf, ka_in, ka_out, (KERNEL_IP4, 5010), "pt", "0")
    b = lab.leg_add(conf, kb_in, kb_out, (KERNEL_IP4, 5012), "pt", "0")
    a_id, b_id = str(a["id"]), str(b["id"])

    # the CLI: tone table, refusals
    r = lab.ctl("show", "tones")
    check("cg/rt" in r.stdout and "425/1000 -/4000" in r.stdout,
          "show tones lists the ITU ringing tone's cadence")
    r = lab.ctl("leg", "play", a_id, "announcement", "../hello.wav", check_rc=False)
    check(r.returncode != 0 and "refused" in r.stderr, "'..' refused: %s" % r.stderr.strip())
    sw = lab.conf_create("mode", "switch")
    r = lab.ctl("conference", "play", str(sw), "tone", "cg/dt", check_rc=False)
    check(r.returncode == 0, "a switch conference plays: %s" % r.stderr.strip())
    fw = lab.conf_create("mode", "forward")
    r = lab.ctl("conference", "play", str(fw), "tone", "cg/dt", check_rc=False)
    check(r.returncode != 0 and "forward conference" in r.stderr,
          "a forward conference refuses: %s" % r.stderr.strip())

    pcm = os.path.join(lab.dir, "pcm")
    os.makedirs(pcm)
    rx = [(5010, ka_out), (5012, kb_out)]
    # A sends a 1.5 kHz tone, B a 1 kHz tone, for 6 s
    tx = [(5010, DAEMON_IP4, a["local_port"], ka_in, 0x5001, 1, 1500),
          (5012, DAEMON_IP4, b["local_port"], kb_in, 0x5002, 2, 1000)]
    p = lab.peer(KERNEL_IP4, rx=rx, tx=tx, count=300, interval_ms=20, wait_ms=300,
                 extra=["--pcm-dir", pcm], background=True)
    # sequencing only: what is asserted is what the recordings contain
    time.sleep(0.4)
    lab.ctl("leg", "play", a_id, "tone", "cg/bt", "duration", "2000", "tag", "1")
    time.sleep(2.5)
    lab.ctl("leg", "play", a_id, "announcement", "hello.wav")
    time.sleep(1.2)
    lab.ctl("conference", "play", str(conf), "tone", "dt", "duration", "500")
    mxplab.peer_result(p)

    ba = blocks(os.path.join(pcm, "5010.raw"))
    bb = blocks(os.path.join(pcm, "5012.raw"))
    check(len(ba) > 200 and len(bb) > 100, "A got %d, B %d blocks of 20 ms" % (len(ba), len(bb)))
    a425 = [amp(x, 425) for x in ba]
    a800 = [amp(x, 800) for x in ba]
    a1k = [amp(x, 1000) for x in ba]
    on = [v > DIAL_AMP / 4 for v in a425]
    rr = runs(on)
    tone_runs = [n for v, n in rr if v]
    print("# A 425 Hz runs (blocks of 20 ms): %s" % rr)
    # busy tone for 2 s: 2 x 25 blocks on, then the conference's dial tone: 25 blocks
    check(len(tone_runs) == 3 and all(24 <= n <= 26 for n in tone_runs),
          "A hears three 0.5 s bursts of 425 Hz (busy tone x2, then the dial tone): %s" % tone_runs)
    gaps = []
    seen = 0
    for v, n in rr:
        if v:
            seen += 1
        elif seen == 1:
            gaps.append(n)
    check(len(gaps) == 1 and all(24 <= n <= 26 for n in gaps),
          "the busy tone's pauses last 0.5 s: %s" % gaps)
    lvl = sorted(a425[i] for i in range(len(on)) if on[i])
    med = lvl[len(lvl) // 2] if lvl else 0
    check(med and abs(20 * math.log10(med / DIAL_AMP)) < 1.0,
          "425 Hz at -10 dBm0 (%.0f, want %.0f)" % (med, DIAL_AMP))
    both = [i for i in range(len(on)) if on[i]]
    check(both and sum(1 for i in both if a1k[i] > 1000) > 0.9 * len(both),
          "mixed under: A still hears B's 1 kHz during the tone")
    ann = [v > 1000 for v in a800]
    ann_runs = [n for v, n in runs(ann) if v]
    check(len(ann_runs) == 1 and 29 <= ann_runs[0] <= 31,
          "A hears the announcement's 800 Hz for 0.6 s: %s blocks" % ann_runs)
    b_on = [amp(x, 425) > DIAL_AMP / 4 for x in bb]
    b_runs = [n for v, n in runs(b_on) if v]
    check(len(b_runs) == 1 and 24 <= b_runs[0] <= 26,
          "B hears only the conference's dial tone, 0.5 s: %s" % b_runs)
    # (a single block may carry a click, a concealed packet: no run of 800 Hz, not one block)
    b800 = [n for v, n in runs([amp(x, 800) > 1000 for x in bb]) if v]
    check(not b800 or max(b800) <= 2,
          "B does not hear A's announcement (800 Hz runs of 20 ms blocks: %s)" % b800)
    listener(lab)
    switch_amr_wb(lab)
    check(lab.stop() == 0, "clean exit")


def talk_and_record(lab, tag, listener, talker, freq, seconds):
    """rtp_peer.py (started, returned with the path of its output) in the lab's namespace:
    the talker (port, leg) sends a PCMU tone of freq Hz (ffmpeg's encoder) every 20 ms, the
    listener (port, leg, payload type) sends nothing and records what it gets."""
    ul = cdx.mulaw_encode_tone(freq, seconds)
    pay = [ul[i:i + 160].hex() for i in range(0, len(ul) - 159, 160)]
    (lport, lleg, lpt), (tport, tleg) = listener, talker
    spec = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 300, "parts": [
        {"port": lport, "dport": lleg["local_port"], "pt": lpt, "ssrc": lport, "payloads": [],
         "ts_step": [], "interval_ms": []},
        {"port": tport, "dport": tleg["local_port"], "pt": 0, "ssrc": tport, "payloads": pay,
         "ts_step": [160] * len(pay), "interval_ms": [20] * len(pay)}]}
    sp = os.path.join(lab.dir, "spec-%s.json" % tag)
    out = os.path.join(lab.dir, "out-%s.json" % tag)
    json.dump(spec, open(sp, "w"))
    return subprocess.Popen(["ip", "netns", "exec", lab.ns, "/usr/bin/python3",
                             os.path.join(HERE, "rtp_peer.py"), sp, out]), out


def listener(lab):
    """A plain RTP mix conference (a conference is all SRTP or all plain): B2 talks, C
    listens; rtp_peer.py sends B2's PCMU (ffmpeg's encoder) and records what C gets."""
    conf = lab.conf_create("mode", "mix")
    c = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6010", "pt", "0",
                     "event-pt", "101")
    b2 = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6012", "pt", "0")
    rec, out = talk_and_record(lab, "c", (6010, c, 0), (6012, b2), 500.0, 3.6)
    time.sleep(0.5)  # sequencing only
    lab.ctl("leg", "play", str(c["id"]), "tone", "cg/sit", "repeat", "1")
    time.sleep(2.3)
    lab.ctl("leg", "play", str(c["id"]), "dtmf", "5")
    rec.wait(timeout=30)
    got = json.load(open(out))["6010"]
    audio = [p for p in got if p[0] == 0]
    path = os.path.join(lab.dir, "c.ul")
    with open(path, "wb") as f:
        for p in audio:
            f.write(bytes.fromhex(p[4]))
    x = cdx.ffmpeg_decode(path, 8000, fmt="mulaw", in_rate=8000)
    bl = [x[i:i + BLOCK] for i in range(0, len(x) - BLOCK + 1, BLOCK)]
    seq = []
    for blk in bl:
        a = {f: amp(blk, f) for f in (950, 1400, 1800)}
        f, v = max(a.items(), key=lambda kv: kv[1])
        seq.append(f if v > 1000 else 0)
    rr = [(v, n) for v, n in runs(seq) if v]
    print("# C's SIT runs (Hz, blocks of 20 ms): %s" % rr)
    check([v for v, n in rr] == [950, 1400, 1800] and all(15 <= n <= 18 for v, n in rr),
          "C hears 950, 1400, 1800 Hz for 330 ms each (ffmpeg's decoder): %s" % rr)
    sit = [i for i, v in enumerate(seq) if v]
    check(sit and sum(1 for i in sit if amp(bl[i], 500) > 1000) > 0.9 * len(sit),
          "under B2's 500 Hz")
    ssrcs = [p[5] for p in audio]
    check(len(set(ssrcs)) == 2, "C heard its private stream and the shared mix (%d SSRCs)"
          % len(set(ssrcs)))
    ev = [p for p in got if p[0] == 101]
    ends = [p for p in ev if int(p[4][2:4], 16) & 0x80]
    check(ev and ev[0][3] == 1 and all(int(p[4][0:2], 16) == 5 for p in ev),
          "RFC 4733: events of digit 5, the first with the marker bit (%d packets)" % len(ev))
    durs = [int(p[4][4:8], 16) for p in ev]
    check(len(ends) == 3 and all(int(p[4][4:8], 16) == 800 for p in ends) and
          durs == sorted(durs) and len({p[2] for p in ev}) == 1,
          "RFC 4733: one timestamp, growing durations, three end packets of 100 ms (%s)" % durs)



def switch_amr_wb(lab):
    """A plain RTP switch conference: V, a VoLTE phone that names only AMR-WB (payload type
    96, bandwidth-efficient), listens while W talks PCMU. The dial tone played to V comes in
    AMR-WB on a stream of the MRFP's own (the worker encodes it; no decoding in switch
    mode): ffmpeg's AMR-WB decoder reads 425 Hz at -10 dBm0 for the second it lasts, the
    timestamps move by 320 (20 ms at 16 kHz) a packet."""
    conf = lab.conf_create("mode", "switch")
    v = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6020",
                     "codec", "AMR-WB/16000:96", "--json")
    w = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6022", "pt", "0",
                     "--json")
    rec, out = talk_and_record(lab, "v", (6020, v, 96), (6022, w), 1000.0, 2.4)
    time.sleep(0.5)  # sequencing only
    lab.ctl("leg", "play", str(v["id"]), "tone", "cg/dt", "duration", "1000")
    rec.wait(timeout=30)
    got = json.load(open(out))["6020"]
    amr = [p for p in got if p[0] == 96]
    check(amr and len({p[5] for p in amr}) == 1 and 48 <= len(amr) <= 52,
          "V got the tone as AMR-WB (payload type 96) on one stream: %d packets" % len(amr))
    steps = {(b[2] - a[2]) % 2 ** 32 for a, b in zip(amr, amr[1:])}
    check(steps == {320} and amr[0][3] == 1,
          "marker on the first, timestamps +320 a packet (%s)" % sorted(steps))
    path = os.path.join(lab.dir, "v.awb")
    with open(path, "wb") as f:
        f.write(cdx.amr_be_to_storage([bytes.fromhex(p[4]) for p in amr], True))
    x = cdx.ffmpeg_decode(path, 16000)
    bl = [x[i:i + 320] for i in range(0, len(x) - 319, 320)]
    lv = sorted(amp(b, 425, 16000) for b in bl[5:-5])
    med = lv[len(lv) // 2] if lv else 0
    # the reference: the ideal dial tone through vo-amrwbenc (12.65 kbit/s) and the same
    # ffmpeg decoder (which gives a 425 Hz tone back about 5 dB lower)
    enc = cdx.AmrWbEncoder()
    ideal = [int(DIAL_AMP * math.sin(2 * math.pi * 425 * i / 16000)) for i in range(16000)]
    ref_path = os.path.join(lab.dir, "ref.awb")
    with open(ref_path, "wb") as f:
        f.write(b"#!AMR-WB\n" + b"".join(enc.encode(ideal[i:i + 320], 2)
                                          for i in range(0, 16000 - 319, 320)))
    enc.close()
    y = cdx.ffmpeg_decode(ref_path, 16000)
    rl = sorted(amp(y[i:i + 320], 425, 16000) for i in range(1600, len(y) - 1919, 320))
    ref = rl[len(rl) // 2]
    print("# V: %d packets, ffmpeg decoded %d samples, 425 Hz median %.0f; the ideal tone "
          "through vo-amrwbenc and ffmpeg %.0f" % (len(amr), len(x), med, ref))
    check(len(x) >= 48 * 320 and med and abs(20 * math.log10(med / ref)) < 1.5,
          "ffmpeg's AMR-WB decoder hears 425 Hz at -10 dBm0 (%.0f against %.0f)" % (med, ref))
    check(all(amp(b, 1000, 16000) < DIAL_AMP / 30 for b in bl[5:-5]),
          "the signal replaces W's 1 kHz (switch mode)")


if __name__ == "__main__":
    mxplab.main(test)

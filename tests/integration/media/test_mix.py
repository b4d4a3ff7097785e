"""Mix mode through the real daemon: participants (libsrtp2, PCMU) each send a tone of their
own frequency for 3 s at real 20 ms pacing. Each talker must hear the other talkers' tones
and not its own; listeners hear every talker; two listeners that share the mixer's key
receive the same shared mix, encrypted once for both (the key group's encryption count)."""
import math
import os
import struct
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

SECONDS = 3
TONES = {1: 440.0, 2: 770.0, 3: 1230.0}


def goertzel(samples, f, rate=8000):
    """Power of frequency f in samples (normalised)."""
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(1, len(samples)) ** 2


def levels(path, block=2000):
    """Level of each tone: Goertzel power averaged over 250 ms blocks. Per block, not over
    the whole recording: one phase step (a concealed packet under load) would cancel a
    coherent whole-recording sum by 15 dB or more although the tone is plainly there."""
    with open(path, "rb") as f:
        data = f.read()
    n = len(data) // 2
    x = struct.unpack("<%dh" % n, data[:2 * n])
    x = x[len(x) // 3:]  # skip the start (jitter buffer fill, talker selection)
    blocks = [x[i:i + block] for i in range(0, len(x) - block + 1, block)] or [x]
    return {tid: 10 * math.log10(sum(goertzel(b, f) for b in blocks) / len(blocks) + 1e-12)
            for tid, f in TONES.items()}, len(x)


def test():
    with Lab("mix") as lab:
        conf = lab.conf_create("mode", "mix", "topn", "3")
        shared = gen_key()
        parts = {}
        for tid in TONES:
            k_in, k_out = gen_key(), gen_key()
            parts[tid] = dict(k_in=k_in, k_out=k_out, port=5000 + 2 * tid,
                              leg=lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, 5000 + 2 * tid),
                                              "pt", "0"))
        listeners = {}
        for lid in (7, 8):
            listeners[lid] = dict(port=5000 + 2 * lid, k_out=shared,
                                  leg=lab.leg_add(conf, gen_key(), shared, (KERNEL_IP4, 5000 + 2 * lid),
                                                  "mode", "recvonly", "pt", "0"))
        pcm = os.path.join(lab.dir, "pcm")
        os.makedirs(pcm)
        rx = [(p["port"], p["k_out"]) for p in list(parts.values()) + list(listeners.values())]
        tx = [(p["port"], DAEMON_IP4, p["leg"]["local_port"], p["k_in"], 0x4000 + tid, tid, TONES[tid])
              for tid, p in parts.items()]
        lab.peer(KERNEL_IP4, rx=rx, tx=tx, count=SECONDS * 50, interval_ms=20, wait_ms=300,
                 extra=["--pcm-dir", pcm])
        for tid, p in parts.items():
            lv, n = levels(os.path.join(pcm, "%d.raw" % p["port"]))
            others = [lv[o] for o in TONES if o != tid]
            check(n > 8000, "talker %d received %.1f s of audio" % (tid, n / 8000.0))
            check(min(others) - lv[tid] > 20,
                  "talker %d hears the others (%s) and not itself (%.0f dB): mix-minus-self"
                  % (tid, ", ".join("%.0f" % x for x in others), lv[tid]))
        for lid, p in listeners.items():
            lv, n = levels(os.path.join(pcm, "%d.raw" % p["port"]))
            check(n > 8000 and max(lv.values()) - min(lv.values()) < 12,
                  "listener %d hears all three tones (%s dB)" % (lid, ", ".join("%.0f" % x for x in lv.values())))
        with open(os.path.join(pcm, "%d.raw" % listeners[7]["port"]), "rb") as f7, \
                open(os.path.join(pcm, "%d.raw" % listeners[8]["port"]), "rb") as f8:
            a, b = f7.read(), f8.read()
        check(len(a) > 16000 and a[:len(a) // 2] == b[:len(a) // 2],
              "the two listeners of one key group received the same shared mix")
        info = lab.ctl_json("show", "conference", str(conf))
        kg = [k for k in info["keygroups"] if k["members"] == 2][0]
        check(kg["sent"] >= 2 * (kg["encryptions"] - 5) and kg["encryptions"] > 50,
              "shared mix: %d encryptions for %d packets sent to 2 listeners (once per group)"
              % (kg["encryptions"], kg["sent"]))
        check(info["mix_ticks"] >= SECONDS * 50 * 0.9, "mix ticks every 20 ms (%d)" % info["mix_ticks"])
        leg = lab.ctl_json("show", "leg", str(parts[1]["leg"]["id"]))
        check(leg["rx_packets"] == SECONDS * 50 and leg["lost"] == 0,
              "talker 1: %d packets in, none lost by the jitter buffer" % leg["rx_packets"])
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

"""Packetization: participants of a 20 ms mix conference that send 60 ms and 120 ms G.711
packets, in an SRTP conference (libsrtp2) and in a plain RTP one. Each must hear the other's tone in 20 ms packets
(160-byte payloads, the conference's ptime), and the jitter buffer must play the long
packets without loss: before, every packet above 320 bytes was dropped and nothing said
why."""
import math
import os
import struct
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

SECONDS = 4
# participant: (tone Hz, ms per packet)
PARTS = {1: (440.0, 60), 2: (770.0, 120)}


def goertzel(samples, f, rate=8000):
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(1, len(samples)) ** 2


def levels(path, block=2000):
    """dB of each participant's tone, averaged over 250 ms blocks after the first third."""
    with open(path, "rb") as f:
        data = f.read()
    n = len(data) // 2
    x = struct.unpack("<%dh" % n, data[:2 * n])
    x = x[len(x) // 3:]
    blocks = [x[i:i + block] for i in range(0, len(x) - block + 1, block)] or [x]
    return {pid: 10 * math.log10(sum(goertzel(b, t[0]) for b in blocks) / len(blocks) + 1e-12)
            for pid, t in PARTS.items()}, len(x)


def run(lab, srtp, base):
    what = "SRTP" if srtp else "plain"
    conf = lab.conf_create("mode", "mix", "ptime", "20")
    legs = {}
    for pid, (tone, ms) in PARTS.items():
        port = base + 2 * pid
        if srtp:
            k_in, k_out = gen_key(), gen_key()
            leg = lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, port), "pt", "0")
        else:
            k_in = k_out = "plain"
            leg = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4,
                               str(port), "pt", "0")
        legs[pid] = dict(port=port, k_in=k_in, k_out=k_out, leg=leg, ms=ms, tone=tone)
    pcm = os.path.join(lab.dir, "pcm-%s" % what)
    os.makedirs(pcm)
    # one peer per packet size (--tone-ms is per process), both receiving
    procs = {}
    for pid, p in legs.items():
        tx = [(p["port"], DAEMON_IP4, p["leg"]["local_port"], p["k_in"], 0x5000 + pid, pid,
               p["tone"])]
        procs[pid] = lab.peer(KERNEL_IP4, rx=[(p["port"], p["k_out"])], tx=tx,
                              count=SECONDS * 1000 // p["ms"], interval_ms=p["ms"],
                              wait_ms=400, extra=["--pcm-dir", pcm, "--tone-ms", str(p["ms"])],
                              background=True)
    res = {pid: mxplab.peer_result(pr) for pid, pr in procs.items()}
    for pid, p in legs.items():
        other = [o for o in PARTS if o != pid][0]
        r = res[pid]["rx"][str(p["port"])]
        check(r["packets"] > SECONDS * 50 * 0.7 and r["min_payload"] == 160
              and r["max_payload"] == 160,
              "%s: participant %d (sends %d ms) receives 20 ms packets: %d packets of %d-%d bytes"
              % (what, pid, p["ms"], r["packets"], r["min_payload"], r["max_payload"]))
        lv, n = levels(os.path.join(pcm, "%d.raw" % p["port"]))
        check(n > 8000 and lv[other] - lv[pid] > 20,
              "%s: participant %d hears %d's %d ms packets (%.0f dB) and not itself (%.0f dB)"
              % (what, pid, other, legs[other]["ms"], lv[other], lv[pid]))
        leg = lab.ctl_json("show", "leg", str(p["leg"]["id"]))
        sent = res[pid]["sent"][str(pid)]
        # Every packet the peer sent is taken, missing from the sequence (lost before the
        # daemon: the veth/af_packet path of a loaded 2-core lab can drop one) or late (a
        # starved sender sent it after its playout time); none is refused or dropped for any
        # other reason, and at most one in a hundred is missing or late.
        # (A late packet was also counted lost when its playout time passed.)
        late = leg.get("late", 0)
        missing = sent - leg["rx_packets"] - leg["other_drops"]
        check(0 <= missing <= leg["lost"] and leg["other_drops"] == late
              and missing + late <= sent // 100 + 1 and leg.get("refused", 0) == 0,
              "%s: leg %d: %d of %d %d ms packets taken, %d lost, %d dropped (%d late)"
              % (what, pid, leg["rx_packets"], sent, p["ms"], leg["lost"], leg["other_drops"],
                 late))


def test():
    with Lab("ptime") as lab:
        run(lab, True, 5000)
        run(lab, False, 5100)
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

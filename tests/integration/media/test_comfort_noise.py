"""RFC 3389 comfort noise to G.711 listeners of a silent mix conference, through the real
daemon. A participant talks (a PCMU tone, 0.5 s), pauses for 0.8 s, talks again (0.5 s) and
stops; the conference stays silent for 1.5 s. Listeners whose payload types include CN (13) get, while nobody talks, one CN packet
(payload: the noise level, 70 = -70 dBov) at the silence's first tick and every 160 ms
after, on the shared mix's own stream (its SSRC, sequence numbers and clock), instead of
dead air; the first speech packet after a silence has the marker bit. A key group whose
listeners do not all list CN gets nothing in silence, as before (the packet is encrypted
once per group). Checked per packet on plain RTP (the test's own receiver) and through
SRTP with libsrtp2 decrypting; show leg says who gets comfort noise."""
import json
import os
import statistics

import mxcodecs as cdx
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

HERE = os.path.dirname(os.path.abspath(__file__))
TALK_PACKETS = 50          # 1 s of 20 ms PCMU: two talkspurts of 25
PAUSE_MS = 800             # between them
SILENCE_MS = 1500
CN_LEVEL = 70              # CONF_CN_LEVEL_DBOV
CN_EVERY_TS = 8 * 160      # CONF_CN_REPEAT_MS at ptime 20: every 8th tick, 160 units each


def plain_leg(lab, conf, port, pts, *extra):
    return lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, str(port),
                        "pt", pts, *extra)


def run_plain(lab, parts):
    """Plain RTP participants (rtp_peer.py); returns what each port received."""
    spec = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": SILENCE_MS, "parts": parts}
    sp, out = os.path.join(lab.dir, "spec.json"), os.path.join(lab.dir, "out.json")
    json.dump(spec, open(sp, "w"))
    lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "rtp_peer.py"), sp, out], timeout=60)
    return json.load(open(out))


def check_cn_stream(what, rx):
    """rx: [pt, seq, ts, marker, payload hex, ssrc] of one listener, in arrival order."""
    cn = [p for p in rx if p[0] == 13]
    audio = [p for p in rx if p[0] == 0]
    check(len(audio) >= TALK_PACKETS * 0.8 and all(len(p[4]) == 320 for p in audio),
          "%s: hears the talker: %d PCMU packets of 160 bytes" % (what, len(audio)))
    check(len(cn) >= 5 and all(p[4] == "%02x" % CN_LEVEL for p in cn)
          and not any(p[3] for p in cn),
          "%s: %d comfort noise packets (PT 13), each one byte, level %d, no marker: %s"
          % (what, len(cn), CN_LEVEL, sorted(set(p[4] for p in cn))))
    check(len({p[5] for p in rx}) == 1,
          "%s: CN and speech come on one stream (SSRC %s)" % (what, sorted({p[5] for p in rx})))
    # CN takes its sequence numbers like speech: no jump (one packet lost on the veth may
    # leave one gap of 2)
    steps = [(b[1] - a[1]) & 0xFFFF for a, b in zip(rx, rx[1:])]
    check(all(1 <= d <= 2 for d in steps) and sum(d != 1 for d in steps) <= 1,
          "%s: sequence numbers run on through CN (%d packets, steps %s)"
          % (what, len(rx), sorted(set(steps))))
    # after the talker stopped: comfort noise only, at the repeat interval
    last_audio = max(i for i, p in enumerate(rx) if p[0] == 0)
    tail = rx[last_audio + 1:]
    check(len(tail) >= 5 and all(p[0] == 13 for p in tail),
          "%s: after the talk, only CN (%d packets over %d ms)" % (what, len(tail), SILENCE_MS))
    gaps = [(b[2] - a[2]) & 0xFFFFFFFF for a, b in zip(tail, tail[1:])]
    check(gaps and all(g % 160 == 0 and g >= CN_EVERY_TS for g in gaps)
          and statistics.median(gaps) == CN_EVERY_TS,
          "%s: CN every %d timestamp units (160 ms; a late tick may add one): %s"
          % (what, CN_EVERY_TS, gaps))
    # a talkspurt after CN starts with the marker: the second one at least (the first too
    # when a CN packet came before it)
    after_cn = [b for a, b in zip(rx, rx[1:]) if a[0] == 13 and b[0] == 0]
    check(after_cn and all(p[3] == 1 for p in after_cn),
          "%s: speech after CN has the marker bit (%d talkspurt starts)" % (what, len(after_cn)))


def test():
    with Lab("cn") as lab:
        ul = cdx.mulaw_encode_tone(800.0, TALK_PACKETS / 50.0)
        talk = [ul[i:i + 160].hex() for i in range(0, len(ul) - 159, 160)][:TALK_PACKETS]
        # the pause after the first talkspurt: its last packet's interval, and the clock
        half = TALK_PACKETS // 2
        steps = [160] * len(talk)
        gaps = [20] * len(talk)
        steps[half - 1] += PAUSE_MS * 8
        gaps[half - 1] += PAUSE_MS

        # 1. plain RTP, everyone lists CN: the talker (when silent) and the listener get it
        conf = lab.conf_create("mode", "mix", "ptime", "20")
        t = plain_leg(lab, conf, 6100, "0,13")
        l1 = plain_leg(lab, conf, 6102, "0,13", "mode", "recvonly")
        # 2. plain RTP, one listener without CN in the group: nobody gets CN
        conf2 = lab.conf_create("mode", "mix", "ptime", "20")
        t2 = plain_leg(lab, conf2, 6110, "0,13")
        l3 = plain_leg(lab, conf2, 6112, "0,13", "mode", "recvonly")
        l4 = plain_leg(lab, conf2, 6114, "0", "mode", "recvonly")
        parts = [
            {"port": 6100, "dport": t["local_port"], "pt": 0, "ssrc": 0x1100, "payloads": talk,
             "ts_step": steps, "interval_ms": gaps},
            {"port": 6110, "dport": t2["local_port"], "pt": 0, "ssrc": 0x1110, "payloads": talk,
             "ts_step": steps, "interval_ms": gaps}]
        for port, leg in ((6102, l1), (6112, l3), (6114, l4)):
            parts.append({"port": port, "dport": leg["local_port"], "pt": 0, "ssrc": port,
                          "payloads": [], "ts_step": [], "interval_ms": []})
        got = run_plain(lab, parts)
        check_cn_stream("plain listener", got["6102"])
        cn_t = [p for p in got["6100"] if p[0] == 13]
        check(len(cn_t) >= 5, "plain talker: %d CN packets once it stopped talking" % len(cn_t))
        for port in ("6112", "6114"):
            rx = got[port]
            check(len(rx) >= TALK_PACKETS * 0.8 and not any(p[0] == 13 for p in rx),
                  "group with a listener that does not list CN: port %s heard %d packets, "
                  "no CN" % (port, len(rx)))
        text = lab.ctl("show", "leg", str(l1["id"])).stdout
        check("comfort noise RFC 3389 (CN 13)" in text, "show leg: the CN listener's comfort noise")
        text = lab.ctl("show", "leg", str(l4["id"])).stdout
        check("comfort noise off (CN 13 not listed)" in text,
              "show leg: no comfort noise without CN: %s"
              % [x for x in text.splitlines() if "codec" in x])
        text = lab.ctl("show", "leg", str(l3["id"])).stdout
        check("comfort noise off (CN 13 listed, but not by every listener of its key group)"
              in text, "show leg: CN listed in a group where not all did: %s"
              % [x for x in text.splitlines() if "codec" in x])
        j1, j3, j4 = (lab.ctl_json("show", "leg", str(x["id"])) for x in (l1, l3, l4))
        check((j1["cn_listed"], j1["comfort_noise_cn"], j3["cn_listed"], j3["comfort_noise_cn"],
               j4["cn_listed"], j4["comfort_noise_cn"]) == (True, True, True, False, False, False),
              "show leg --json: cn_listed and comfort_noise_cn")

        # 3. SRTP (libsrtp2 decrypts): per key group
        conf3 = lab.conf_create("mode", "mix", "ptime", "20")
        k_in, k_out, k_a, k_b = gen_key(), gen_key(), gen_key(), gen_key()
        st = lab.leg_add(conf3, k_in, k_out, (KERNEL_IP4, 6120), "pt", "0,13")
        lab.leg_add(conf3, gen_key(), k_a, (KERNEL_IP4, 6122), "mode", "recvonly", "pt", "0,13")
        lab.leg_add(conf3, gen_key(), k_b, (KERNEL_IP4, 6124), "mode", "recvonly", "pt", "0")
        res = lab.peer(KERNEL_IP4, rx=[(6120, k_out), (6122, k_a), (6124, k_b)],
                       tx=[(6120, DAEMON_IP4, st["local_port"], k_in, 0x3120, 1, 800.0)],
                       count=TALK_PACKETS, interval_ms=20, wait_ms=SILENCE_MS)
        a, b = res["rx"]["6122"], res["rx"]["6124"]
        check(a["auth_fail"] == 0 and a["cn"] >= 5 and a["cn_level"] == CN_LEVEL
              and a["packets"] - a["cn"] >= TALK_PACKETS * 0.8,
              "SRTP listener with CN: %d CN packets (level %d) and %d speech, all authenticated"
              % (a["cn"], a["cn_level"], a["packets"] - a["cn"]))
        check(b["auth_fail"] == 0 and b["cn"] == 0 and b["packets"] >= TALK_PACKETS * 0.8,
              "SRTP listener without CN (its own key group): %d packets, no CN" % b["packets"])
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

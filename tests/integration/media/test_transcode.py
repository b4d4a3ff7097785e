"""Opus and G.711 in one mix conference through the real daemon: a two-leg conference is a
transcoder. A WebRTC-like participant sends Opus encoded by ffmpeg's libopus (a 500 Hz tone,
20 ms packets, then 60 ms packets), a phone sends PCMU (1 kHz). Each must hear the other's
tone in its own codec and not its own: the Opus the mixer sends is decoded by ffmpeg's own
Opus decoder (not libopus), the PCMU by ffmpeg's mu-law decoder. The mixer's Opus stream
uses the negotiated dynamic payload type and 48 kHz timestamps; show leg reports the codec.
A second conference transcodes Opus <-> AMR-WB: the VoLTE side is vo-amrwbenc itself (23.85
kbit/s, packed bandwidth-efficient by the test), and what it receives is unpacked by the
test and decoded by ffmpeg's AMR-WB decoder.
A third conference is fullband: with Opus participants it mixes at 48 kHz, so a 10 kHz
tone one of them sends (above what wideband carries) reaches the other Opus participant,
decoded at 48 kHz by ffmpeg, while an Opus participant whose SDP says maxplaybackrate=16000
gets wideband Opus without it, and a G.711 phone in the same conference hears the others
as before."""
import json
import math
import os

import mxcodecs as cdx
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4

SECONDS = 4
F_OPUS, F_PCMU, F_AMR, F_FB = 500.0, 1000.0, 700.0, 10000.0
# ffmpeg's sine source is at 1/8 of full scale, halved: amplitude 2048, Goertzel power
# (2048 / 2)^2
SENT_DB = 20 * math.log10(1024)
HERE = os.path.dirname(os.path.abspath(__file__))


def test():
    # the Opus encoders at complexity 2 ([media] opus_complexity; libopus's default is 5)
    with Lab("transcode", extra_config="[media]\nopus_complexity = 2\n") as lab:
        conf = lab.conf_create("mode", "mix")
        phone = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6000",
                             "codec", "PCMU/8000", "--json")
        web = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6002",
                           "codec", "opus/48000:111", "fmtp", "useinbandfec=1;usedtx=0",
                           "--json")
        # bad input: refused with a clear message, nothing created
        r = lab.ctl("leg", "add", str(conf), "plain", "codec", "opus/8000", check_rc=False)
        check(r.returncode != 0 and "not supported" in r.stderr,
              "opus/8000 refused: %s" % r.stderr.strip())
        r = lab.ctl("leg", "add", str(conf), "plain", "codec", "opus/48000", "fmtp",
                    "maxaveragebitrate=1", check_rc=False)
        check(r.returncode != 0 and "maxaveragebitrate" in r.stderr,
              "a bad fmtp value is named: %s" % r.stderr.strip())

        # the participants' media: ffmpeg encodes, half of the Opus in 60 ms packets
        op20 = cdx.opus_encode_tone(os.path.join(lab.dir, "a.opus"), F_OPUS, SECONDS / 2, frame_ms=20)
        op60 = cdx.opus_encode_tone(os.path.join(lab.dir, "b.opus"), F_OPUS, SECONDS / 2, frame_ms=60)
        opus = op20 + op60
        ul = cdx.mulaw_encode_tone(F_PCMU, SECONDS)
        pcmu = [ul[i:i + 160] for i in range(0, len(ul) - 159, 160)]
        spec = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 400, "parts": [
            {"port": 6000, "dport": phone["local_port"], "pt": 0, "ssrc": 0x1111,
             "payloads": [p.hex() for p in pcmu], "ts_step": [160] * len(pcmu),
             "interval_ms": [20] * len(pcmu)},
            {"port": 6002, "dport": web["local_port"], "pt": 111, "ssrc": 0x2222,
             "payloads": [p.hex() for p in opus],
             "ts_step": [cdx.opus_samples(p) for p in opus],
             "interval_ms": [cdx.opus_samples(p) / 48.0 for p in opus]}]}
        sp, out = os.path.join(lab.dir, "spec.json"), os.path.join(lab.dir, "out.json")
        json.dump(spec, open(sp, "w"))
        lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "rtp_peer.py"), sp, out], timeout=60)
        got = json.load(open(out))

        # the phone hears the Opus participant in PCMU
        rx = got["6000"]
        check(len(rx) > 40 * SECONDS and all(p[0] == 0 for p in rx),
              "the phone received %d PCMU packets" % len(rx))
        ulaw = b"".join(bytes.fromhex(p[4]) for p in sorted(rx, key=lambda p: p[1]))
        path = os.path.join(lab.dir, "phone.ul")
        open(path, "wb").write(ulaw)
        x = cdx.ffmpeg_decode(path, 8000, fmt="mulaw", in_rate=8000)
        x = x[len(x) // 4:]
        a, b = cdx.tone_db(x, F_OPUS, 8000), cdx.tone_db(x, F_PCMU, 8000)
        check(abs(a - SENT_DB) < 6 and a - b > 30, "the phone hears the Opus tone (%.0f dB, sent "
              "at %.0f) and not its own (%.0f dB)" % (a, SENT_DB, b))

        # the WebRTC participant hears the phone in Opus, PT 111, 48 kHz timestamps
        rx = sorted(got["6002"], key=lambda p: p[1])
        check(len(rx) > 40 * SECONDS and all(p[0] == 111 for p in rx),
              "the Opus participant received %d packets on payload type 111" % len(rx))
        steps = {(rx[i + 1][2] - rx[i][2]) % (1 << 32) for i in range(len(rx) - 1)
                 if rx[i + 1][1] == (rx[i][1] + 1) & 0xFFFF}
        check(steps == {960}, "Opus timestamps advance 960 a packet (48 kHz clock): %s" % steps)
        pk = [bytes.fromhex(p[4]) for p in rx]
        check(all(cdx.opus_samples(p) == 960 for p in pk), "every Opus packet is 20 ms")
        path = os.path.join(lab.dir, "web.opus")
        cdx.ogg_opus_write(path, pk, [960] * len(pk))
        y = cdx.ffmpeg_decode(path, 16000, codec="opus")
        y = y[len(y) // 4:]
        a, b = cdx.tone_db(y, F_PCMU, 16000), cdx.tone_db(y, F_OPUS, 16000)
        check(abs(a - SENT_DB) < 6 and a - b > 30, "the Opus participant hears the phone's tone "
              "(%.0f dB), decoded by ffmpeg's own Opus decoder, and not its own (%.0f dB)"
              % (a, b))

        leg = lab.ctl_json("show", "leg", str(web["id"]))
        check(leg["codec"] == "opus" and leg["codec_pt"] == 111 and leg["codec_clock"] == 48000,
              "show leg: %s/%s on %s" % (leg["codec"], leg["codec_clock"], leg["codec_pt"]))
        check("useinbandfec=1" in leg["fmtp"], "show leg: fmtp %s" % leg["fmtp"])
        check(leg.get("codec_complexity") == 2, "show leg: the Opus encoder at complexity %s "
              "([media] opus_complexity = 2)" % leg.get("codec_complexity"))
        # Every packet accepted. The sender is paced by a kernel socket on a 2-vCPU test
        # machine: one packet may reach the jitter buffer after its playout time when the
        # sender is descheduled (seen once in CI: 1 of 135); more than that is a failure.
        check(leg["rx_packets"] == len(opus) and leg["late"] <= 1,
              "all %d Opus packets (20 and 60 ms) accepted, at most one late (%d, %d late)"
              % (len(opus), leg["rx_packets"], leg["late"]))
        text = lab.ctl("show", "leg", str(web["id"])).stdout
        check("codec    opus/48000, payload type 111" in text, "show leg text names the codec")

        # a second transcoder: Opus <-> AMR-WB (vo-amrwbenc itself as the VoLTE phone,
        # bandwidth-efficient, ffmpeg's AMR-WB decoder on what it receives)
        conf2 = lab.conf_create("mode", "mix")
        volte = lab.ctl_json("leg", "add", str(conf2), "plain", "remote", KERNEL_IP4, "6004",
                             "codec", "AMR-WB/16000:96", "--json")
        web2 = lab.ctl_json("leg", "add", str(conf2), "plain", "remote", KERNEL_IP4, "6006",
                            "codec", "opus/48000:111", "--json")
        enc = cdx.AmrWbEncoder()
        n = SECONDS * 16000
        x = [int(6000 * math.sin(2 * math.pi * F_AMR * i / 16000)) for i in range(n)]
        amr = [cdx.amr_storage_to_bandwidth_efficient([enc.encode(x[i:i + 320], 8)])
               for i in range(0, n - 319, 320)]
        enc.close()
        spec2 = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 400, "parts": [
            {"port": 6004, "dport": volte["local_port"], "pt": 96, "ssrc": 0x3333,
             "payloads": [p.hex() for p in amr], "ts_step": [320] * len(amr),
             "interval_ms": [20] * len(amr)},
            {"port": 6006, "dport": web2["local_port"], "pt": 111, "ssrc": 0x4444,
             "payloads": [p.hex() for p in op20 + op20],
             "ts_step": [960] * (2 * len(op20)), "interval_ms": [20] * (2 * len(op20))}]}
        json.dump(spec2, open(sp, "w"))
        lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "rtp_peer.py"), sp, out], timeout=60)
        got = json.load(open(out))
        rx = sorted(got["6004"], key=lambda p: p[1])
        path = os.path.join(lab.dir, "volte.amr")
        open(path, "wb").write(cdx.amr_be_to_storage([bytes.fromhex(p[4]) for p in rx], wb=True))
        y = cdx.ffmpeg_decode(path, 16000)[8000:]
        a, b = cdx.tone_db(y, F_OPUS, 16000), cdx.tone_db(y, F_AMR, 16000)
        check(len(rx) > 40 * SECONDS and all(p[0] == 96 for p in rx) and a - b > 25,
              "the VoLTE phone hears the Opus participant in AMR-WB (%d packets, %.0f dB) and "
              "not itself (%.0f dB)" % (len(rx), a, b))
        rx = sorted(got["6006"], key=lambda p: p[1])
        pk = [bytes.fromhex(p[4]) for p in rx]
        path = os.path.join(lab.dir, "web2.opus")
        cdx.ogg_opus_write(path, pk, [cdx.opus_samples(p) for p in pk])
        y = cdx.ffmpeg_decode(path, 16000, codec="opus")[8000:]
        a, b = cdx.tone_db(y, F_AMR, 16000), cdx.tone_db(y, F_OPUS, 16000)
        check(len(rx) > 40 * SECONDS and a - b > 25,
              "the Opus participant hears the VoLTE phone (%.0f dB) and not itself (%.0f dB)"
              % (a, b))

        # fullband: two Opus participants, one limited to wideband by its SDP, a phone
        conf3 = lab.conf_create("mode", "mix")
        fa = lab.ctl_json("leg", "add", str(conf3), "plain", "remote", KERNEL_IP4, "6008",
                          "codec", "opus/48000:111", "--json")
        fb = lab.ctl_json("leg", "add", str(conf3), "plain", "remote", KERNEL_IP4, "6010",
                          "codec", "opus/48000:111", "--json")
        fw = lab.ctl_json("leg", "add", str(conf3), "plain", "remote", KERNEL_IP4, "6012",
                          "codec", "opus/48000:111", "fmtp", "maxplaybackrate=16000",
                          "--json")
        ph3 = lab.ctl_json("leg", "add", str(conf3), "plain", "remote", KERNEL_IP4, "6014",
                           "codec", "PCMU/8000", "--json")
        op_fb = cdx.opus_encode_tone(os.path.join(lab.dir, "fb.opus"), F_FB, SECONDS,
                                     bitrate="64k", frame_ms=20)
        spec3 = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 400, "parts": [
            {"port": 6008, "dport": fa["local_port"], "pt": 111, "ssrc": 0x5555,
             "payloads": [p.hex() for p in op_fb], "ts_step": [960] * len(op_fb),
             "interval_ms": [20] * len(op_fb)},
            {"port": 6010, "dport": fb["local_port"], "pt": 111, "ssrc": 0x6666,
             "payloads": [], "ts_step": [], "interval_ms": []},
            {"port": 6012, "dport": fw["local_port"], "pt": 111, "ssrc": 0x7777,
             "payloads": [], "ts_step": [], "interval_ms": []},
            {"port": 6014, "dport": ph3["local_port"], "pt": 0, "ssrc": 0x8888,
             "payloads": [p.hex() for p in pcmu], "ts_step": [160] * len(pcmu),
             "interval_ms": [20] * len(pcmu)}]}
        json.dump(spec3, open(sp, "w"))
        lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "rtp_peer.py"), sp, out], timeout=60)
        got = json.load(open(out))

        def heard48(port, name):
            rx = sorted(got[port], key=lambda p: p[1])
            pk = [bytes.fromhex(p[4]) for p in rx]
            path = os.path.join(lab.dir, name)
            cdx.ogg_opus_write(path, pk, [cdx.opus_samples(p) for p in pk])
            y = cdx.ffmpeg_decode(path, 48000, codec="opus")
            return len(rx), y[len(y) // 4:]

        n, y = heard48("6010", "fb.out.opus")
        a, b = cdx.tone_db(y, F_FB, 48000), cdx.tone_db(y, F_PCMU, 48000)
        check(n > 40 * SECONDS and abs(a - SENT_DB) < 10 and abs(b - SENT_DB) < 6,
              "fullband: an Opus participant hears the other's 10 kHz tone (%.0f dB, sent at "
              "%.0f; %d packets) and the phone (%.0f dB), decoded at 48 kHz by ffmpeg"
              % (a, SENT_DB, n, b))
        n, y = heard48("6012", "wb.out.opus")
        a, b = cdx.tone_db(y, F_FB, 48000), cdx.tone_db(y, F_PCMU, 48000)
        check(n > 40 * SECONDS and a < SENT_DB - 40 and abs(b - SENT_DB) < 6,
              "maxplaybackrate=16000: that participant gets wideband Opus, without the 10 kHz "
              "tone (%.0f dB) but with the phone (%.0f dB)" % (a, b))
        n, y = heard48("6008", "fa.out.opus")
        a, b = cdx.tone_db(y, F_PCMU, 48000), cdx.tone_db(y, F_FB, 48000)
        check(abs(a - SENT_DB) < 6 and a - b > 30, "the 10 kHz talker hears the phone (%.0f dB) "
              "and not itself (%.0f dB)" % (a, b))
        rx = sorted(got["6014"], key=lambda p: p[1])
        path = os.path.join(lab.dir, "phone3.ul")
        open(path, "wb").write(b"".join(bytes.fromhex(p[4]) for p in rx))
        x = cdx.ffmpeg_decode(path, 8000, fmt="mulaw", in_rate=8000)
        check(len(rx) > 40 * SECONDS and cdx.tone_db(x[len(x) // 4:], F_PCMU, 8000) < SENT_DB - 30,
              "the phone in the fullband conference gets %d packets, not its own tone" % len(rx))
        text = lab.ctl("show", "leg", str(fw["id"])).stdout
        check("maxplaybackrate=16000" in text, "show leg shows the wideband limit")
        rates = [lab.ctl_json("show", "conference", str(c))["mix_rate"] for c in (conf3, conf2)]
        check(rates == [48000, 48000], "show conference: mix_rate %s (Opus listeners)" % rates)
        lab.ctl("leg", "delete", str(fa["id"]))
        lab.ctl("leg", "delete", str(fb["id"]))
        r = lab.ctl_json("show", "conference", str(conf3))["mix_rate"]
        check(r == 16000, "with only the Opus participant that plays wideband left, the "
              "conference mixes at %d Hz" % r)
        lab.ctl("leg", "delete", str(fw["id"]))
        r = lab.ctl_json("show", "conference", str(conf3))["mix_rate"]
        check(r == 8000, "without its Opus participants the conference mixes at %d Hz" % r)

        # an Opus participant that plays wideband (maxplaybackrate=16000) and a phone: the
        # conference mixes at 16 kHz, the Opus encoder gets the mix upsampled to 48 kHz
        conf4 = lab.conf_create("mode", "mix")
        w4 = lab.ctl_json("leg", "add", str(conf4), "plain", "remote", KERNEL_IP4, "6016",
                          "codec", "opus/48000:111", "fmtp", "maxplaybackrate=16000", "--json")
        p4 = lab.ctl_json("leg", "add", str(conf4), "plain", "remote", KERNEL_IP4, "6018",
                          "codec", "PCMU/8000", "--json")
        r = lab.ctl_json("show", "conference", str(conf4))["mix_rate"]
        check(r == 16000, "an Opus participant that plays wideband does not make a fullband "
              "conference: %d Hz with a G.711 phone" % r)
        spec4 = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 400, "parts": [
            {"port": 6016, "dport": w4["local_port"], "pt": 111, "ssrc": 0x9999,
             "payloads": [], "ts_step": [], "interval_ms": []},
            {"port": 6018, "dport": p4["local_port"], "pt": 0, "ssrc": 0xAAAA,
             "payloads": [p.hex() for p in pcmu], "ts_step": [160] * len(pcmu),
             "interval_ms": [20] * len(pcmu)}]}
        json.dump(spec4, open(sp, "w"))
        lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "rtp_peer.py"), sp, out], timeout=60)
        got = json.load(open(out))
        n, y = heard48("6016", "w4.out.opus")
        a = cdx.tone_db(y, F_PCMU, 48000)
        check(n > 40 * SECONDS and abs(a - SENT_DB) < 6, "it hears the phone (%.0f dB, %d Opus "
              "packets)" % (a, n))
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""AMR-WB over Mp: a VoLTE-like participant and a G.711 phone in one mix conference set up
by an MRFC (scapy, over ESP) with a=rtpmap/a=fmtp in Local and Remote.

Checks: the reply's Local SDP says what the MRFP sends (AMR-WB on the offered payload type,
the fmtp it uses); an fmtp the codec cannot honour (crc=1) and a bad value get 449 naming
the parameter, and create nothing. Media: the participant's AMR-WB is encoded by
vo-amrwbenc itself (ctypes; not lib/media's wrapper), octet-aligned, two frames per packet
(40 ms); what the MRFP sends it is decoded by ffmpeg's own AMR-WB decoder. Each hears the
other's tone. The participant asks for mode 0 (CMR): the frames the MRFP sends it switch to
6.60 kbit/s; show leg reports codec, mode and the CMR received."""
import itertools
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "media"))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config, add_reply_leg as reply_leg  # noqa: E402
from mplab import audio_sdp as sdp  # noqa: E402
from esp_common import tmpdir  # noqa: E402
import mxcodecs as cdx  # noqa: E402

SECONDS = 4
F_AMR, F_PCMU = 700.0, 1000.0
AMP = 6000
FMTP = "octet-align=1; mode-set=0,1,2"


def add(tid, ctx, port, pt, rtpmap, fmtp):
    state = "TerminationState { mxp/plainrtp = on%s }, " % (
        ", mxp/mode = mix" if ctx == "$" else "")
    return ("Transaction = %d { Context = %s { Add = $ { Media { %sStream = 1 { "
            "LocalControl { Mode = SendReceive }, Local {\n%s}, Remote {\n%s} } } } } }"
            % (tid, ctx, state, sdp("$", "$", pt, rtpmap, fmtp),
               sdp(KERNEL_IP4, port, pt, rtpmap, fmtp)))


def test():
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, "allow_plaintext_mp = yes\n")
        with Lab("mpcodec", extra_config=sect) as lab:
            lab.ns_add_addr(MRFC_B)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == "answered", 20,
                     "the ServiceChange to be answered")
            # refused: parameters AMR-WB cannot honour, a bad value; nothing created
            r = b.transact(add(701, "$", 7300, 96, "AMR-WB/16000", "crc=1"))
            check(r is not None and re.search(r"Error\s*=\s*449", r) and "crc" in r,
                  "fmtp crc=1: 449 naming crc: %s" % (r or "no reply")[:240])
            r = b.transact(add(702, "$", 7300, 96, "AMR-WB/16000", "mode-set=0,12"))
            check(r is not None and re.search(r"Error\s*=\s*449", r) and "mode-set" in r,
                  "fmtp mode-set=0,12: 449 naming mode-set: %s" % (r or "no reply")[:240])
            check(lab.ctl_json("show", "conferences") == [],
                  "no conference left behind by the refused Adds")

            r = b.transact(add(703, "$", 7300, 96, "AMR-WB/16000", FMTP))
            check(r is not None and reply_leg(r) is not None,
                  "Add an AMR-WB leg: %s" % (r or "no reply")[:300])
            ctx, leg1, port1 = reply_leg(r)
            local = r.split("Local", 1)[1]
            check("a=rtpmap:96 AMR-WB/16000" in local and
                  re.search(r"a=fmtp:96 octet-align=1;\s*mode-set=0,1,2", local),
                  "the reply's Local SDP: AMR-WB on 96 with the fmtp the MRFP uses: %s"
                  % local[:300].replace("\r\n", " | "))
            r = b.transact(add(704, ctx, 7302, 0, "PCMU/8000", None))
            _, leg2, port2 = reply_leg(r)
            # a third participant, AMR-WB too, silent (a listener), asking for mode 1
            r = b.transact(add(705, ctx, 7304, 96, "AMR-WB/16000", FMTP))
            _, leg3, port3 = reply_leg(r)

            # media: AMR-WB from vo-amrwbenc (octet-aligned, 40 ms packets, CMR 0 after 1 s)
            enc = cdx.AmrWbEncoder()
            n = SECONDS * 16000
            x = [int(AMP * math.sin(2 * math.pi * F_AMR * i / 16000)) for i in range(n)]
            frames = [enc.encode(x[i:i + 320], 2) for i in range(0, n - 319, 320)]
            quiet = [enc.encode([0] * 320, 2) for _ in range(len(frames))]
            enc.close()
            amr3 = [cdx.amr_storage_to_octet_aligned(quiet[i:i + 2], cmr=1)
                    for i in range(0, len(quiet) - 1, 2)]
            amr = []
            for i in range(0, len(frames) - 1, 2):
                amr.append(cdx.amr_storage_to_octet_aligned(frames[i:i + 2],
                                                           cmr=0 if i >= 100 else 15))
            ul = cdx.mulaw_encode_tone(F_PCMU, SECONDS)
            pcmu = [ul[i:i + 160] for i in range(0, len(ul) - 159, 160)]
            spec = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 1500, "parts": [
                {"port": 7300, "dport": port1, "pt": 96, "ssrc": 0x51,
                 "payloads": [p.hex() for p in amr], "ts_step": [640] * len(amr),
                 "interval_ms": [40] * len(amr)},
                {"port": 7302, "dport": port2, "pt": 0, "ssrc": 0x52,
                 "payloads": [p.hex() for p in pcmu], "ts_step": [160] * len(pcmu),
                 "interval_ms": [20] * len(pcmu)},
                {"port": 7304, "dport": port3, "pt": 96, "ssrc": 0x53,
                 "payloads": [p.hex() for p in amr3], "ts_step": [640] * len(amr3),
                 "interval_ms": [40] * len(amr3)}]}
            sp, out = os.path.join(lab.dir, "spec.json"), os.path.join(lab.dir, "out.json")
            json.dump(spec, open(sp, "w"))
            lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "..", "media", "rtp_peer.py"),
                        sp, out], timeout=60)
            got = json.load(open(out))

            rx = sorted(got["7302"], key=lambda p: p[1])
            path = os.path.join(lab.dir, "phone.ul")
            open(path, "wb").write(b"".join(bytes.fromhex(p[4]) for p in rx))
            y = cdx.ffmpeg_decode(path, 8000, fmt="mulaw", in_rate=8000)[4000:]
            a, o = cdx.tone_db(y, F_AMR, 8000), cdx.tone_db(y, F_PCMU, 8000)
            check(len(rx) > 40 * SECONDS and a - o > 25,
                  "the phone hears the AMR-WB participant (%.0f dB) and not itself (%.0f dB)"
                  % (a, o))

            rx = sorted(got["7300"], key=lambda p: p[1])
            pays = [bytes.fromhex(p[4]) for p in rx]
            check(len(rx) > 40 * SECONDS and all(p[0] == 96 for p in rx),
                  "the AMR-WB participant receives %d packets on payload type 96" % len(rx))
            path = os.path.join(lab.dir, "amrwb.amr")
            open(path, "wb").write(cdx.amr_rtp_to_storage(pays, wb=True))
            z = cdx.ffmpeg_decode(path, 16000)[8000:]
            a, o = cdx.tone_db(z, F_PCMU, 16000), cdx.tone_db(z, F_AMR, 16000)
            check(a - o > 25, "... carrying the phone's tone (%.0f dB), decoded by ffmpeg's "
                  "AMR-WB decoder, not its own (%.0f dB)" % (a, o))
            # frame types: the first speech frames at mode 2 (the mode-set's highest), the
            # last ones at mode 0 (the CMR)
            fts = [(q[1] >> 3) & 0x0F for q in pays if len(q) > 1]
            speech = [f for f in fts if f <= 8]
            check(speech[:10] == [2] * 10 and speech[-10:] == [0] * 10,
                  "the MRFP sends mode 2, then honours the CMR for mode 0 (%s ... %s)"
                  % (speech[:5], speech[-5:]))
            # the listener hears the shared mix, whose encoder follows the lowest mode its
            # listeners ask for: 1 (the listener's CMR), then 0 (the talker's, from 2 s on)
            rx3 = sorted(got["7304"], key=lambda p: p[1])
            p3 = [bytes.fromhex(p[4]) for p in rx3]
            # (the shared stream's SSRC: the listener may become a talker once the others
            # stop, and then hears its private mix, in the mode it asked for)
            shared = max(set(p[5] for p in rx3), key=[p[5] for p in rx3].count)
            sp3 = [m for m in [(bytes.fromhex(p[4])[1] >> 3) & 0x0F for p in rx3
                               if p[5] == shared and len(p[4]) > 2] if m <= 8]
            path = os.path.join(lab.dir, "listener.amr")
            open(path, "wb").write(cdx.amr_rtp_to_storage(p3, wb=True))
            z3 = cdx.ffmpeg_decode(path, 16000)[8000:]
            a1, a2 = cdx.tone_db(z3, F_AMR, 16000), cdx.tone_db(z3, F_PCMU, 16000)
            # (sent 9 dB apart: amplitudes 6000 and 2048)
            check(len(rx3) > 40 * SECONDS and 4 < a1 - a2 < 14 and a2 > 45,
                  "the listener hears both talkers in AMR-WB (%.0f, %.0f dB)" % (a1, a2))
            check(1 in sp3 and sp3[-10:] == [0] * 10 and max(sp3) <= 2 and
                  sp3.index(1) < sp3.index(0),
                  "the shared mix's mode follows the lowest CMR of its listeners: 1, then 0 "
                  "(modes seen, with counts: %s)"
                  % [(k, len(list(g))) for k, g in itertools.groupby(sp3)])
            # when everyone has stopped, the silent shared mix sends AMR-WB silence
            # descriptors (comfort noise), a few, not a packet a tick
            # (a silent stretch during the call may send a SID too: count after the end)
            last_speech = max(p[2] for p in rx3 if len(p[4]) > 2 and
                              (bytes.fromhex(p[4])[1] >> 3) & 0x0F <= 8 and p[5] == shared)
            tail = [p for p in rx3 if p[5] == shared and (p[2] - last_speech) % (1 << 32) < (1 << 31)
                    and p[2] != last_speech]
            sids = [p for p in tail if len(p[4]) > 2 and (bytes.fromhex(p[4])[1] >> 3) & 0x0F == 9]
            check(len(sids) >= 3 and len(tail) < 20,
                  "the silent mix sends comfort noise: %d SID frames, %d packets after the "
                  "last speech frame in %.1f s" % (len(sids), len(tail), 1.2))
            leg = lab.ctl_json("show", "leg", str(leg1))
            check(leg["codec"] == "AMR-WB" and leg["codec_pt"] == 96 and
                  leg["codec_mode"] == 0 and leg["cmr_received"] == 0,
                  "show leg: %s on %s, mode %s, CMR received %s" % (
                      leg["codec"], leg["codec_pt"], leg["codec_mode"], leg["cmr_received"]))
            check(leg["rx_packets"] == len(amr) and leg["late"] == 0,
                  "every AMR-WB packet accepted (%d of %d), none late" % (leg["rx_packets"],
                                                                         len(amr)))
            b.close()
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

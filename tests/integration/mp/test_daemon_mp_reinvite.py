#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A re-INVITE over Mp: a participant of a mix conference moves from G.711 to AMR-WB.

An MRFC (scapy, over ESP) adds two G.711 participants; they talk (a tone each, sent by a
peer of our own) and each hears the other. A Modify brings the first one's new Remote SDP:
AMR-WB on payload type 96, octet-aligned. Checks: the reply's Local SDP says what the MRFP
now sends (AMR-WB/16000 on 96 with its fmtp); the participant then sends AMR-WB encoded by
vo-amrwbenc (ctypes, not lib/media's wrapper) and the G.711 phone still hears its tone;
what the MRFP sends the participant is on payload type 96 only and carries the phone's tone
as ffmpeg's own AMR-WB decoder hears it. The same Remote again changes nothing (no Local in
the reply, the change count stays 1); a Remote whose fmtp AMR-WB cannot honour (crc=1) gets
449 naming it and changes nothing; `show leg` says AMR-WB, payload type 96, one codec
change."""
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
from mplab import MRFC_B, ScapyMrfc, mp_config, read_keys, add_reply_leg as reply_leg  # noqa: E402
from mplab import audio_sdp as sdp  # noqa: E402
from esp_common import tmpdir  # noqa: E402
import mxcodecs as cdx  # noqa: E402

F_X, F_PHONE = 700.0, 1000.0
AMP = 6000


def add(tid, ctx, port):
    state = "TerminationState { mxp/plainrtp = on%s }, " % (
        ", mxp/mode = mix" if ctx == "$" else "")
    return ("Transaction = %d { Context = %s { Add = $ { Media { %sStream = 1 { "
            "LocalControl { Mode = SendReceive }, Local {\n%s}, Remote {\n%s} } } } } }"
            % (tid, ctx, state, sdp("$", "$", 0, "PCMU/8000", None),
               sdp(KERNEL_IP4, port, 0, "PCMU/8000", None)))


def modify(tid, ctx, leg, port, pt, rtpmap, fmtp):
    return ("Transaction = %d { Context = %s { Modify = leg/%d { Media { Stream = 1 { "
            "Remote {\n%s} } } } } }" % (tid, ctx, leg, sdp(KERNEL_IP4, port, pt, rtpmap, fmtp)))


def run_peer(lab, name, parts):
    spec = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 1000, "parts": parts}
    sp = os.path.join(lab.dir, name + ".json")
    out = os.path.join(lab.dir, name + "-out.json")
    json.dump(spec, open(sp, "w"))
    lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "..", "media", "rtp_peer.py"), sp, out],
               timeout=60)
    return json.load(open(out))


def pcmu_part(port, dport, ssrc, freq, seconds):
    ul = cdx.mulaw_encode_tone(freq, seconds)
    pl = [ul[i:i + 160] for i in range(0, len(ul) - 159, 160)]
    return {"port": port, "dport": dport, "pt": 0, "ssrc": ssrc,
            "payloads": [p.hex() for p in pl], "ts_step": [160] * len(pl),
            "interval_ms": [20] * len(pl)}


def phone_hears(lab, got, port, name):
    rx = sorted(got[str(port)], key=lambda p: p[1])
    path = os.path.join(lab.dir, name)
    open(path, "wb").write(b"".join(bytes.fromhex(p[4]) for p in rx if p[0] == 0))
    y = cdx.ffmpeg_decode(path, 8000, fmt="mulaw", in_rate=8000)[4000:]
    return len(rx), cdx.tone_db(y, F_X, 8000), cdx.tone_db(y, F_PHONE, 8000)


def test():
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, "allow_plaintext_mp = yes\n")
        with Lab("mpreinv", extra_config=sect) as lab:
            lab.ns_add_addr(MRFC_B)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == "answered", 20,
                     "the ServiceChange to be answered")
            r = b.transact(add(801, "$", 7400))
            check(r is not None and reply_leg(r) is not None,
                  "Add a G.711 participant: %s" % (r or "no reply")[:300])
            ctx, leg1, port1 = reply_leg(r)
            r = b.transact(add(802, ctx, 7402))
            _, leg2, port2 = reply_leg(r)

            # 1. both in G.711
            got = run_peer(lab, "g711", [pcmu_part(7400, port1, 0x61, F_X, 1.5),
                                         pcmu_part(7402, port2, 0x62, F_PHONE, 1.5)])
            n, a, o = phone_hears(lab, got, 7402, "phone1.ul")
            check(n > 50 and a - o > 25, "before: the phone hears the participant in G.711 "
                  "(%.0f dB above its own tone, %d packets)" % (a - o, n))
            rx = got["7400"]
            check(len(rx) > 50 and all(p[0] == 0 for p in rx),
                  "before: the participant receives %d packets, payload type 0" % len(rx))

            # 2. the re-INVITE: AMR-WB, octet-aligned, on 96
            r = b.transact(modify(803, ctx, leg1, 7400, 96, "AMR-WB/16000", "octet-align=1"))
            check(r is not None and "Error" not in r and "Local" in r,
                  "Modify with the new Remote: answered with a Local SDP: %s"
                  % (r or "no reply")[:300])
            local = r.split("Local", 1)[1] if r and "Local" in r else ""
            check("a=rtpmap:96 AMR-WB/16000" in local and
                  re.search(r"a=fmtp:96 octet-align=1", local) and
                  "m=audio %d " % port1 in local,
                  "the reply's Local: the same port, AMR-WB on 96 with the fmtp the MRFP uses: %s"
                  % local[:300].replace("\r\n", " | "))
            leg = lab.ctl_json("show", "leg", str(leg1))
            check(leg["codec"] == "AMR-WB" and leg["codec_pt"] == 96 and
                  leg["codec_changes"] == 1,
                  "show leg: %s on %s, %d codec change" % (leg["codec"], leg["codec_pt"],
                                                         leg["codec_changes"]))

            # the same description again: nothing changes, no Local in the reply
            r = b.transact(modify(804, ctx, leg1, 7400, 96, "AMR-WB/16000", "octet-align=1"))
            check(r is not None and "Error" not in r and "Local" not in r,
                  "the same Remote again: answered, no Local: %s" % (r or "no reply")[:200])
            # parameters AMR-WB cannot honour: 449 naming them, nothing changes
            r = b.transact(modify(805, ctx, leg1, 7400, 96, "AMR-WB/16000", "crc=1"))
            check(r is not None and re.search(r"Error\s*=\s*449", r) and "crc" in r,
                  "Remote with fmtp crc=1: 449 naming crc: %s" % (r or "no reply")[:240])
            # a codec the mixer does not decode at all: refused, nothing changes
            r = b.transact(modify(806, ctx, leg1, 7400, 98, "H264/90000", None))
            check(r is not None and re.search(r"Error\s*=\s*4\d\d", r) and "decodes" in r,
                  "Remote with no codec the mixer decodes: refused: %s" % (r or "no reply")[:240])
            leg = lab.ctl_json("show", "leg", str(leg1))
            check(leg["codec"] == "AMR-WB" and leg["codec_changes"] == 1,
                  "after the refused ones: still AMR-WB, %d codec change" % leg["codec_changes"])

            # 3. the participant now sends AMR-WB (vo-amrwbenc, 20 ms packets)
            seconds = 3
            enc = cdx.AmrWbEncoder()
            n = seconds * 16000
            x = [int(AMP * math.sin(2 * math.pi * F_X * i / 16000)) for i in range(n)]
            frames = [enc.encode(x[i:i + 320], 2) for i in range(0, n - 319, 320)]
            enc.close()
            amr = [cdx.amr_storage_to_octet_aligned([f]) for f in frames]
            got = run_peer(lab, "amrwb", [
                {"port": 7400, "dport": port1, "pt": 96, "ssrc": 0x61,
                 "payloads": [p.hex() for p in amr], "ts_step": [320] * len(amr),
                 "interval_ms": [20] * len(amr)},
                pcmu_part(7402, port2, 0x62, F_PHONE, seconds)])
            n, a, o = phone_hears(lab, got, 7402, "phone2.ul")
            check(n > 40 * seconds and a - o > 25,
                  "after: the phone hears the participant's AMR-WB in G.711 (%.0f dB above "
                  "its own tone, %d packets)" % (a - o, n))
            rx = sorted(got["7400"], key=lambda p: p[1])
            check(len(rx) > 40 * seconds and all(p[0] == 96 for p in rx),
                  "after: the participant receives %d packets, all on payload type 96"
                  % len(rx))
            path = os.path.join(lab.dir, "x.amr")
            open(path, "wb").write(cdx.amr_rtp_to_storage([bytes.fromhex(p[4]) for p in rx],
                                                          wb=True))
            z = cdx.ffmpeg_decode(path, 16000)[8000:]
            a, o = cdx.tone_db(z, F_PHONE, 16000), cdx.tone_db(z, F_X, 16000)
            check(a - o > 25, "... carrying the phone's tone (%.0f dB above its own), decoded "
                  "by ffmpeg's AMR-WB decoder" % (a - o))
            leg = lab.ctl_json("show", "leg", str(leg1))
            check(leg["drops"]["bad_payload"] == 0 and leg["drops"]["unknown_pt"] == 0,
                  "no AMR-WB packet refused (bad_payload %d, unknown_pt %d)"
                  % (leg["drops"]["bad_payload"], leg["drops"]["unknown_pt"]))
            text = lab.ctl("show", "leg", str(leg1)).stdout
            check("AMR-WB/16000, payload type 96" in text and "1 codec change" in text,
                  "show leg (text) names the codec and the change")

            # the same from the CLI: the phone's leg to Opus; bad input refused, unchanged
            r = lab.ctl("leg", "set", str(leg2), "codec", "opus/48000:111", "fmtp",
                        "maxaveragebitrate=1", check_rc=False)
            check(r.returncode != 0 and "maxaveragebitrate" in r.stderr,
                  "leg set: a bad fmtp value is named: %s" % r.stderr.strip())
            r = lab.ctl("leg", "set", str(leg2), "event-pt", "101", check_rc=False)
            check(r.returncode != 0 and "codec" in r.stderr,
                  "leg set: event-pt alone is refused: %s" % r.stderr.strip())
            r = lab.ctl("leg", "set", str(leg2), "pt", "13", check_rc=False)
            check(r.returncode != 0 and "decodes" in r.stderr,
                  "leg set: no codec the mixer decodes is refused: %s" % r.stderr.strip())
            leg = lab.ctl_json("show", "leg", str(leg2))
            check(leg["codec"] == "PCMU" and leg["codec_changes"] == 0,
                  "the phone's leg unchanged by the refused ones (%s, %d changes)"
                  % (leg["codec"], leg["codec_changes"]))
            lab.ctl("leg", "set", str(leg2), "codec", "opus/48000:111", "fmtp", "usedtx=1")
            leg = lab.ctl_json("show", "leg", str(leg2))
            check(leg["codec"] == "opus" and leg["codec_pt"] == 111 and leg["dtx"] and
                  leg["codec_changes"] == 1,
                  "leg set codec opus/48000:111 fmtp usedtx=1: %s on %s, DTX %s, %d change"
                  % (leg["codec"], leg["codec_pt"], leg["dtx"], leg["codec_changes"]))

            # mrfc: a leg added with codec= (AMR-WB) and dtmf=, rekeyed by a later mrfc run
            # (its keys file): the Remote it sends keeps the leg's codec, so no codec change
            lab.mrfc_sa = ca
            keys = os.path.join(lab.dir, "mrfc.keys")
            r = lab.mrfc("add", "legs=1", "mode=mix", "remote=%s:7500" % KERNEL_IP4,
                         "codec=AMR-WB/16000:96", "fmtp=octet-align=1; mode-set=0,1,2",
                         "dtmf=101", keys=keys)
            check("result add ok" in r.stdout, "mrfc add of an AMR-WB leg")
            mk = read_keys(keys)
            line = [x for x in open(keys) if x.startswith("leg ")][0]
            check(" codec=AMR-WB/16000" in line and " fmtp=octet-align=1;mode-set=0,1,2" in line
                  and " dtmf=101" in line, "the keys file keeps the leg's codec: %s"
                  % line.strip())
            r = lab.mrfc("modify", "ctx=%d" % mk[0]["ctx"], "term=%s" % mk[0]["term"],
                         "rekey=on", "mki=2", keys=keys)
            check("result modify ok" in r.stdout, "a later mrfc run rekeys it")
            lid = int(mk[0]["term"].split("/")[1])
            leg = lab.ctl_json("show", "leg", str(lid))
            check(leg["codec"] == "AMR-WB" and leg["codec_pt"] == 96 and
                  leg["codec_changes"] == 0,
                  "... and the leg keeps AMR-WB on 96, no codec change (%s on %s, %d)"
                  % (leg["codec"], leg["codec_pt"], leg["codec_changes"]))
            b.close()
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

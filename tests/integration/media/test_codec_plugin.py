"""A codec plugin the daemon loads at start ([mixplane] codec_plugins): "X-L16F", lossless
16 kHz PCM in 10 ms frames on a 48 kHz clock (plugin_xl16.c, a shared library built beside
the tests). A phone (PCMU, 1 kHz) and a participant of the plugin codec (700 Hz, 30 ms
packets) in one mix conference each hear the other. Bad plugin configurations stop the
daemon at start with a message naming the problem; `mixplane -c` loads the plugins too."""
import json
import math
import os
import struct
import subprocess

import mxcodecs as cdx
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, MIXPLANE, BUILD

PLUGIN = os.path.join(BUILD, "tests", "integration", "media", "mxp_plugin_xl16.so")
HERE = os.path.dirname(os.path.abspath(__file__))
SECONDS = 3
AMP = 4000


def xl_payload(x):
    return bytes([len(x) // 160]) + struct.pack(">%dh" % len(x), *x)


def config_fails(global_extra, want):
    """The daemon refuses to start with this [mixplane] text, saying `want`."""
    lab = Lab("plugin-bad", global_extra=global_extra)
    try:
        with open(lab.cfg, "w") as f:
            f.write(lab.config_text())
        r = subprocess.run([MIXPLANE, "--no-huge", "--no-pci", "-l", "0", "--", "-f", lab.cfg,
                            "-c"], capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and want in r.stderr,
              "refused at start (%d): %s" % (r.returncode, r.stderr.strip()[:200]))
    finally:
        lab.cleanup()


def test():
    check(os.path.exists(PLUGIN), "the test plugin is built: %s" % PLUGIN)
    config_fails("codec_plugins = /nonexistent/x.so\n", "codec plugin /nonexistent/x.so")
    config_fails("codec_plugins = relative.so\n", "not an absolute path")
    config_fails("codec_plugins = %s %s\n" % (PLUGIN, PLUGIN), "a codec of that name and clock exists")
    libm = "/lib/x86_64-linux-gnu/libm.so.6"
    if os.path.exists(libm):
        config_fails("codec_plugins = %s\n" % libm, "no symbol mxp_codec_plugin")

    with Lab("plugin", global_extra="codec_plugins = %s\n" % PLUGIN) as lab:
        conf = lab.conf_create("mode", "mix")
        phone = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6000",
                             "codec", "PCMU/8000", "--json")
        xl = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "6002",
                          "codec", "X-L16F/48000:100", "--json")
        r = lab.ctl("leg", "add", str(conf), "plain", "codec", "X-L16F/48000", "fmtp", "a=1",
                    check_rc=False)
        check(r.returncode != 0 and "X-L16F takes no parameters" in r.stderr,
              "the plugin's own fmtp check: %s" % r.stderr.strip())
        n = SECONDS * 16000
        x = [int(AMP * math.sin(2 * math.pi * 700 * i / 16000)) for i in range(n)]
        xl_pkts = [xl_payload(x[i:i + 480]) for i in range(0, n - 479, 480)]  # 30 ms
        ul = cdx.mulaw_encode_tone(1000, SECONDS)
        pcmu = [ul[i:i + 160] for i in range(0, len(ul) - 159, 160)]
        spec = {"bind": KERNEL_IP4, "dst": DAEMON_IP4, "wait_ms": 300, "parts": [
            {"port": 6000, "dport": phone["local_port"], "pt": 0, "ssrc": 0x31,
             "payloads": [p.hex() for p in pcmu], "ts_step": [160] * len(pcmu),
             "interval_ms": [20] * len(pcmu)},
            {"port": 6002, "dport": xl["local_port"], "pt": 100, "ssrc": 0x32,
             "payloads": [p.hex() for p in xl_pkts], "ts_step": [1440] * len(xl_pkts),
             "interval_ms": [30] * len(xl_pkts)}]}
        sp, out = os.path.join(lab.dir, "spec.json"), os.path.join(lab.dir, "out.json")
        json.dump(spec, open(sp, "w"))
        lab.ns_run(["/usr/bin/python3", os.path.join(HERE, "rtp_peer.py"), sp, out], timeout=60)
        got = json.load(open(out))

        rx = sorted(got["6000"], key=lambda p: p[1])
        path = os.path.join(lab.dir, "phone.ul")
        open(path, "wb").write(b"".join(bytes.fromhex(p[4]) for p in rx))
        y = cdx.ffmpeg_decode(path, 8000, fmt="mulaw", in_rate=8000)[2000:]
        a, b = cdx.tone_db(y, 700, 8000), cdx.tone_db(y, 1000, 8000)
        check(len(rx) > 40 * SECONDS and a - b > 30,
              "the phone (%d packets) hears the plugin participant's 700 Hz (%.0f dB) and not "
              "its own 1 kHz (%.0f dB)" % (len(rx), a, b))

        rx = sorted(got["6002"], key=lambda p: p[1])
        pays = [bytes.fromhex(p[4]) for p in rx]
        check(len(rx) > 40 * SECONDS and all(p[0] == 100 for p in rx) and
              all(len(q) == 641 and q[0] == 2 for q in pays),
              "the plugin participant receives X-L16F on PT 100, 20 ms a packet (%d)" % len(rx))
        z = []
        for q in pays:
            z += struct.unpack(">320h", q[1:])
        z = z[4000:]
        a, b = cdx.tone_db(z, 1000, 16000), cdx.tone_db(z, 700, 16000)
        check(a - b > 30, "... carrying the phone's 1 kHz (%.0f dB), not its own (%.0f dB)"
              % (a, b))
        leg = lab.ctl_json("show", "leg", str(xl["id"]))
        check(leg["codec"] == "X-L16F" and leg["codec_clock"] == 48000 and leg["late"] == 0,
              "show leg: %s/%s, %d late" % (leg["codec"], leg["codec_clock"], leg["late"]))
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

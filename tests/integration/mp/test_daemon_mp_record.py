#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mxp/record through the daemon over Mp (ESP): mrfc creates a mix context with two legs, a
Modify of `*` sets mxp/record = NAME.wav, AuditValue reports it, show recordings lists it
active, mxp/record = off stops it and leaves a valid WAV (Python's wave reads it, its header
sizes match the file). Wrong values get their H.248 error and change nothing: a path (449),
a switch context (449), an existing file (449)."""
import os
import re
import struct
import sys
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, KERNEL_IP4  # noqa: E402
from mplab import read_keys  # noqa: E402

REC_DIR = "/tmp/mxp-mprec-%d" % os.getpid()


def header_data(path):
    """The data size a WAV's header gives."""
    with open(path, "rb") as f:
        return struct.unpack("<I", f.read(44)[40:44])[0]


def raw(lab, tid, ctx, body, expect=None):
    r = lab.mrfc("raw", "Transaction = %d { Context = %s { %s } }" % (tid, ctx, body),
                 check_rc=False)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr.strip()
    if expect is None:
        check("result raw ok" in r.stdout, "T%d: %s" % (tid, last))
    else:
        m = re.search(r"result raw error (\d+)", r.stdout)
        check(m and int(m.group(1)) == expect, "T%d: error %d (%s)" % (tid, expect, last))
    return r.stdout


def test():
    os.makedirs(REC_DIR, exist_ok=True)
    try:
        with Lab("mprec", mp=True,
                 extra_config="\n[media]\nrecording_dir = %s\n" % REC_DIR) as lab:
            keys = os.path.join(lab.dir, "legs.keys")
            lab.mrfc("add", "legs=2", "mode=mix", "remote=%s:6000" % KERNEL_IP4, keys=keys)
            ctx = read_keys(keys)[0]["ctx"]
            keys2 = os.path.join(lab.dir, "sw.keys")
            lab.mrfc("add", "legs=1", "mode=switch", "remote=%s:6100" % KERNEL_IP4, keys=keys2)
            sw = read_keys(keys2)[0]["ctx"]
            path = os.path.join(REC_DIR, "board.wav")

            raw(lab, 100, ctx, "Modify = * { Media { TerminationState { mxp/record = ../x.wav } } }",
                expect=449)
            raw(lab, 101, sw, "Modify = * { Media { TerminationState { mxp/record = x.wav } } }",
                expect=449)
            check(not os.listdir(REC_DIR) and lab.ctl_json("show", "recordings")["started"] == 0,
                  "refused: no file, no recording")

            raw(lab, 102, ctx, "Modify = * { Media { TerminationState { mxp/record = board.wav, "
                "mxp/recmax = 3600 } } }")
            rec = lab.ctl_json("show", "conference", str(ctx))["recording"]
            check(rec["state"] == "active" and rec["file"] == "board.wav" and
                  rec["max_seconds"] == 3600 and os.path.exists(path),
                  "recording to board.wav (%s)" % rec["state"])
            out = raw(lab, 103, ctx, "AuditValue = * { Audit { Media } }")
            check(out.count("mxp/record = board.wav") + out.count("mxp/record=board.wav") == 2,
                  "AuditValue reports mxp/record = board.wav on both legs")
            # the header is fixed up while it records (a crash leaves a readable file)
            mxplab.wait_for(lambda: header_data(path) >= 8000, 10,
                            "the header of the file being written to count half a second")
            check(header_data(path) + 44 <= os.path.getsize(path),
                  "the header never claims more than the file holds")
            raw(lab, 104, ctx, "Modify = * { Media { TerminationState { mxp/record = off } } }")
            rec = lab.ctl_json("show", "conference", str(ctx))["recording"]
            check(rec["state"] == "stopped", "mxp/record = off stopped it (%s)" % rec["state"])
            with wave.open(path) as w:
                info = (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes())
            check(info[:3] == (8000, 1, 2) and info[3] * 2 + 44 == os.path.getsize(path) and
                  info[3] >= 4000, "a valid WAV: %s" % (info,))
            out = raw(lab, 105, ctx, "AuditValue = * { Audit { Media } }")
            check("mxp/record = off" in out or "mxp/record=off" in out, "AuditValue: off")
            raw(lab, 106, ctx, "Modify = * { Media { TerminationState { mxp/record = board.wav } } }",
                expect=449)
            check(lab.ctl_json("show", "recordings")["active"] == 0,
                  "an existing file: refused, nothing records")
            check(lab.stop() == 0, "clean exit")
    finally:
        for f in os.listdir(REC_DIR):
            os.unlink(os.path.join(REC_DIR, f))
        os.rmdir(REC_DIR)


mxplab.main(test)

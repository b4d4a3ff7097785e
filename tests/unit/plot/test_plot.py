#!/usr/bin/python3
"""benchmarks/common/plot.py on a fixed set of JSON lines captured from real runs on the
development VM (fixture.jsonl, 2026-12-06): the last bench_datapath line of
benchmarks/datapath/results-v2.txt, then doc/img/data/*.jsonl (scripts/bench.sh --quick of
mix mix_codec mix_transcode and of conf latency; bench_srtp -q and rekey_policy.py), meta
lines included.

Checks, TAP output:
  - every chart of the fixture is written, with no display (Agg, whatever MPLBACKEND says);
  - each is a valid PNG: signature, chunks whose CRCs match, IHDR first and IEND last, the
    size of the figure (800 x 480, the rekey chart 1000 x 480), image data that inflates to
    rows of that size and is not blank, a file between 10 and 150 KB (a blank chart of that
    size compresses to a few KB);
  - a benchmark's whole output (table and JSON line) is read with --scan;
  - a malformed line, a JSON value that is no benchmark's object, bytes that are not UTF-8,
    a missing file and a chart asked for with no data each fail with exit status 2 and a message naming the
    file and line (or the chart), and write no PNG.

  test_plot.py FIXTURE PLOT_PY
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

FIXTURE, PLOT = sys.argv[1], sys.argv[2]
CHARTS = {"srtp": (800, 480), "conf": (800, 480), "datapath": (800, 480), "mix": (800, 480),
          "rekey": (1000, 480), "latency": (800, 480)}
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what), flush=True)
    if not cond:
        failed += 1
    return cond


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(["/usr/bin/python3", PLOT] + list(args), capture_output=True,
                          text=True, env=e, timeout=100)


def png_problems(path, want):
    """What is wrong with the PNG file at path (an empty list when nothing is)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return ["no PNG signature"]
    pos, chunks, idat = 8, [], b""
    while pos + 12 <= len(data):
        ln, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        crc, = struct.unpack(">I", data[pos + 8 + ln:pos + 12 + ln])
        if zlib.crc32(typ + body) != crc:
            return ["bad CRC in chunk %r" % typ]
        chunks.append(typ)
        if typ == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif typ == b"IDAT":
            idat += body
        pos += 12 + ln
    probs = []
    if not chunks or chunks[0] != b"IHDR" or chunks[-1] != b"IEND" or pos != len(data):
        return ["chunks %r, %d of %d bytes" % (chunks[:3], pos, len(data))]
    if (w, h) != want:
        probs.append("%d x %d pixels, want %d x %d" % (w, h, want[0], want[1]))
    chans = {2: 3, 6: 4}.get(ctype)
    raw = zlib.decompress(idat)
    if depth != 8 or chans is None or len(raw) != h * (1 + w * chans):
        probs.append("image data: depth %d, colour type %d, %d bytes" % (depth, ctype, len(raw)))
    elif len(set(raw)) < 16:
        probs.append("image data of %d byte values: a blank image" % len(set(raw)))
    size = len(data)
    if not 10000 <= size <= 150000:
        probs.append("%d bytes" % size)
    return probs


with tempfile.TemporaryDirectory(prefix="mxp-plot-") as tmp:
    out = os.path.join(tmp, "charts")
    # no display, and a backend that would need one: plot.py must choose Agg itself
    r = run("--out", out, FIXTURE, env={"DISPLAY": "", "MPLBACKEND": "TkAgg"})
    ok(r.returncode == 0, "plot.py on the fixture exits 0 (%d: %s)" % (r.returncode,
                                                                       r.stderr.strip()[-300:]))
    for name, want in CHARTS.items():
        p = os.path.join(out, name + ".png")
        if ok(os.path.exists(p), "%s.png written" % name):
            probs = png_problems(p, want)
            ok(not probs, "%s.png is a valid %d x %d PNG of sensible size %s" % (
                name, want[0], want[1], "; ".join(probs)))
    ok(sorted(os.listdir(out)) == sorted(c + ".png" for c in CHARTS),
       "nothing else written: %s" % sorted(os.listdir(out)))

    # a benchmark's own output: a table, then its JSON line
    with open(FIXTURE) as f:
        rekey = [line for line in f if '"benchmark":"rekey_policy"' in line]
    raw = os.path.join(tmp, "rekey-output.txt")
    with open(raw, "w") as f:
        f.write("AS rekey policies on join/leave traces\ntrace N policy\n" + rekey[0])
    r = run("--scan", "--only", "rekey", "--out", os.path.join(tmp, "scan"), raw)
    ok(r.returncode == 0 and os.path.exists(os.path.join(tmp, "scan", "rekey.png")),
       "--scan reads the JSON line out of a benchmark's output (%s)" % r.stderr.strip())
    r = run("--only", "rekey", "--out", os.path.join(tmp, "noscan"), raw)
    ok(r.returncode == 2 and "rekey-output.txt:1: not a JSON line" in r.stderr,
       "without --scan the table's first line is refused: %r" % r.stderr.strip())

    # malformed input: each names the file and the line, exits 2, writes nothing
    with open(FIXTURE) as f:
        lines = f.readlines()
    cases = [
        ("truncated", lines[:2] + [lines[2][:len(lines[2]) // 2] + "\n"] + lines[3:],
         "truncated.jsonl:3: not a JSON line"),
        ("garbage", lines[:4] + ["srtp 172 protect 9.1 Mpps\n"] + lines[4:],
         "garbage.jsonl:5: not a JSON line"),
        ("array", lines[:1] + ["[1, 2, 3]\n"] + lines[1:],
         "array.jsonl:2: not a benchmark's JSON object"),
        ("nokind", lines + ['{"rows": []}\n'],
         "nokind.jsonl:%d: not a benchmark's JSON object" % (len(lines) + 1)),
    ]
    cases.append(("binary", lines[:3] + ["\udcff\udcfe\n"] + lines[3:],
                  "binary.jsonl:4: not UTF-8 text"))
    for name, content, msg in cases:
        path = os.path.join(tmp, name + ".jsonl")
        with open(path, "w", errors="surrogateescape") as f:
            f.writelines(content)
        d = os.path.join(tmp, "out-" + name)
        r = run("--out", d, path)
        ok(r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr,
           "%s input: exit %d, %r" % (name, r.returncode, r.stderr.strip()[:160]))
        ok(not os.path.exists(d) or not os.listdir(d), "%s input: no chart written" % name)
    r = run("--out", os.path.join(tmp, "x"), os.path.join(tmp, "missing.jsonl"))
    ok(r.returncode == 2 and "missing.jsonl: No such file" in r.stderr,
       "a missing file: exit %d, %r" % (r.returncode, r.stderr.strip()))
    only_meta = os.path.join(tmp, "meta.jsonl")
    with open(only_meta, "w") as f:
        f.write(lines[0])
    r = run("--only", "conf", "--out", os.path.join(tmp, "y"), only_meta)
    ok(r.returncode == 2 and "conf: no conf record" in r.stderr,
       "a chart asked for without its data: exit %d, %r" % (r.returncode, r.stderr.strip()))

print("1..%d" % n)
sys.exit(1 if failed else 0)

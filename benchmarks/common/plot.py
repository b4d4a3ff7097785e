#!/usr/bin/python3
"""plot: PNG charts from the JSON lines the benchmarks print (doc/benchmarking.md, Charts).

  benchmarks/common/plot.py [--out DIR] [--only CHART,...] [--scan] [--note TEXT] FILE...

FILE: a results file of scripts/bench.sh (one JSON object a line; `-` is stdin), or with
--scan any text of which only the lines starting with '{' are read (a benchmark's own
output, table and JSON line). A line that is not a JSON object is an error naming the file
and the line (exit status 2). Charts, one PNG each, written when their benchmark is in the
input:

  srtp      SRTP Mpps per driver beside libsrtp2 and the intel-ipsec-mb ceiling (bench_srtp)
  conf      zero-loss throughput per scenario through the daemon (bench_conf.py)
  datapath  the data path alone per scenario, no driver (bench_datapath)
  mix       participants (sessions) per core per codec (bench_mix)
  rekey     rekey policies: exposure against control load (rekey_policy.py)
  latency   per-packet latency percentiles and histogram (mixgen, bench_latency.py)

The caption of each chart names the machine and the date: from the results file's
{"bench":"meta"} line (scripts/bench.sh writes one), else this machine and the file's time.
Other modules import this one (bench_conf.py --plot, bench_latency.py --plot): chart(),
driver_chart(), read_records(), machine_meta(). Matplotlib runs on the Agg backend (no display).
"""
import argparse
import datetime
import json
import math
import os
import platform
import socket
import sys

CHARTS = ("srtp", "conf", "datapath", "mix", "rekey", "latency")
DPI = 100
SIZE = (8.0, 4.8)   # inches: 800 x 480 pixels at DPI


class PlotError(Exception):
    """Bad input or nothing to plot: the message is for the user."""


def kind_of(rec):
    """The benchmark a record comes from (the benchmarks name it "bench" or "benchmark";
    mixgen's line has "tool")."""
    k = rec.get("bench") or rec.get("benchmark")
    if k is None and rec.get("tool") == "mixgen":
        k = "mixgen"
    return k


def read_records(paths, scan=False):
    """Every record of the files as (kind, dict), with "_meta": the meta record before it in
    its file, if any. A malformed line raises PlotError("FILE:LINE: ...")."""
    recs = []
    for path in paths:
        try:
            f = sys.stdin.buffer if path == "-" else open(path, "rb")
        except OSError as e:
            raise PlotError("%s: %s" % (path, e.strerror))
        meta = None   # the file's latest meta record: the caption of what follows it
        with f:
            for no, raw in enumerate(f, 1):
                try:
                    line = raw.decode("utf-8").strip()
                except UnicodeDecodeError as e:
                    raise PlotError("%s:%d: not UTF-8 text (%s)" % (path, no, e.reason))
                if not line or (scan and not line.startswith("{")):
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    raise PlotError("%s:%d: not a JSON line (%s): %.60s" % (path, no, e, line))
                if not isinstance(rec, dict) or kind_of(rec) is None:
                    raise PlotError("%s:%d: not a benchmark's JSON object (no \"bench\", "
                                    "\"benchmark\" or \"tool\" key): %.60s" % (path, no, line))
                rec.setdefault("_src", "%s:%d" % (path, no))
                if path != "-" and "_mtime" not in rec:
                    rec["_mtime"] = os.path.getmtime(path)
                if kind_of(rec) == "meta":
                    meta = rec
                elif meta is not None:
                    rec.setdefault("_meta", meta)
                recs.append((kind_of(rec), rec))
    return recs


def machine_meta(mode=None):
    """This machine, now: the meta record scripts/bench.sh writes."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"bench": "meta", "host": socket.gethostname(), "cpu_model": cpu,
            "cpus": os.cpu_count(), "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "load": round(os.getloadavg()[0], 2), "mode": mode}


def caption(meta, rec, note):
    """The chart's caption: machine, date, mode, and the noise warning."""
    m = dict(meta or {})
    if not m:
        m = machine_meta()   # this machine; its load now says nothing of the run
        m["load"] = None
        if "_mtime" in rec:
            m["date"] = datetime.datetime.fromtimestamp(
                rec["_mtime"], datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["%s, %s CPU(s) %s" % (m.get("host", "?"), m.get("cpus", "?"),
                                   m.get("cpu_model", "?")),
             m.get("date", "?")]
    if m.get("mode"):
        parts.append("%s mode" % m["mode"])
    if m.get("load") is not None:
        parts.append("load %s" % m["load"])
    text = "; ".join(parts)
    load, cpus = m.get("load"), m.get("cpus")
    if load is not None and cpus and load > 0.75 * cpus:
        text += "; a busy shared machine: the figures are noisy lower bounds"
    if note:
        text += "\n" + note
    return text


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotError("no matplotlib for %s: apt-get install python3-matplotlib "
                        "(scripts/lib.sh installs it)" % sys.executable)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _figure(title, ncols=1, size=SIZE):
    plt = _pyplot()
    fig, axes = plt.subplots(1, ncols, figsize=size, dpi=DPI, squeeze=False)
    fig.suptitle(title, fontsize=11)
    return plt, fig, list(axes[0])


def _save(plt, fig, path, cap, top=0.97):
    fig.text(0.01, 0.01, cap, fontsize=6.5, color="0.3", va="bottom", ha="left", wrap=True)
    fig.tight_layout(rect=(0, 0.07, 1, top))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _bar_labels(ax, bars, fmt):
    for b in bars:
        h = b.get_height() if hasattr(b, "get_height") else 0
        if h:
            ax.annotate(fmt % h, (b.get_x() + b.get_width() / 2, h), ha="center",
                        va="bottom", fontsize=6, xytext=(0, 1), textcoords="offset points")


# -- the charts --------------------------------------------------------------------------
# Each takes the records of its benchmark (newest last), the output path and a caption, and
# raises PlotError when the records hold nothing it can draw.

SUITE_SHORT = {"AES_CM_128_HMAC_SHA1_80": "AES-CM/SHA1-80", "AES_CM_128_HMAC_SHA1_32":
               "AES-CM/SHA1-32", "AEAD_AES_128_GCM": "AES-128-GCM", "AEAD_AES_256_GCM":
               "AES-256-GCM", "AES_256_CM_HMAC_SHA1_80": "AES-256-CM/SHA1-80",
               "AES_256_CM_HMAC_SHA1_32": "AES-256-CM/SHA1-32"}


def chart_srtp(recs, path, cap):
    """Grouped bars: per (suite, size, direction), our engine with each crypto driver
    (bursts of 32), libsrtp2 and the intel-ipsec-mb ceiling (the best raw loop)."""
    rows = [r for rec in recs for r in rec.get("rows", [])]
    groups, series = [], {}
    for r in rows:
        impl = r["impl"]
        if impl.startswith("ceiling/"):
            name = "intel-ipsec-mb ceiling"
        elif impl == "libsrtp2":
            name = "libsrtp2 (1 packet per call)"
        elif impl.startswith("mxp/") and impl != "mxp/null" and impl[4:].isidentifier():
            name = "mixplane, %s driver" % impl[4:]
        else:
            continue   # the null driver, the mbuf/stream API and many-stream variants
        g = (r["suite"], r["bytes"], r["op"])
        if g not in groups:
            groups.append(g)
        s = series.setdefault(name, {})
        s[g] = max(s.get(g, 0), r["mpps"])
    if not series:
        raise PlotError("srtp: no rows of a driver, libsrtp2 or the ceiling")
    order = sorted(series, key=lambda n: (not n.startswith("mixplane"), "ceiling" in n, n))
    plt, fig, (ax,) = _figure("SRTP on one core: mixplane's drivers, libsrtp2, "
                              "intel-ipsec-mb ceiling")
    w = 0.8 / len(order)
    for i, name in enumerate(order):
        xs = [j + (i - (len(order) - 1) / 2) * w for j in range(len(groups))]
        ys = [series[name].get(g, 0) for g in groups]
        bars = ax.bar(xs, ys, w, label=name)
        _bar_labels(ax, bars, "%.2f")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(["%s\n%d B %s" % (SUITE_SHORT.get(s, s), b, op) for s, b, op in groups],
                       fontsize=7)
    ax.set_ylabel("million packets per second (Mpps)")
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    _save(plt, fig, path, cap + "\nmixplane: bursts of %s packets a call; ceiling: the best "
          "of intel-ipsec-mb's raw loops over the same packets" % recs[-1].get("burst", "?"))


def _pps(v):
    return "%.2f M" % (v / 1e6) if v >= 1e5 else "%.1f k" % (v / 1e3)


def chart_conf(recs, path, cap):
    """Horizontal bars: per scenario, the zero-loss rate in and out (best search)."""
    rec = recs[-1]
    rows = rec.get("rows") or []
    if not rows:
        raise PlotError("conf: no rows")
    plt, fig, (ax,) = _figure("Zero-loss throughput per worker core through a memif port "
                              "(mixgen, %s-byte SRTP)" % rec.get("srtp_bytes", "?"))
    names = [r["name"].replace("_", " ").replace(" 1 ", " 1→", 1) for r in rows]
    y = range(len(rows))
    h = 0.4
    bi = ax.barh([i - h / 2 for i in y], [r["in_pps"] / 1e6 for r in rows], h,
                 label="in (from the sender)")
    bo = ax.barh([i + h / 2 for i in y], [r["out_pps"] / 1e6 for r in rows], h,
                 label="out (to the receivers)")
    for b, r in zip(bo, rows):
        marks = []
        if r.get("generator_limited") or (r.get("mixgen_idle") is not None and
                                          r["mixgen_idle"] < 0.05):
            marks.append("generator-bound: lower bound")
        if r.get("disturbed"):
            marks.append("disturbed")
        ax.annotate("%s%s" % (_pps(r["out_pps"]), " (" + ", ".join(marks) + ")"
                              if marks else ""), (b.get_width(), b.get_y() + h / 2),
                    va="center", fontsize=6, xytext=(2, 0), textcoords="offset points")
    for b, r in zip(bi, rows):
        ax.annotate(_pps(r["in_pps"]), (b.get_width(), b.get_y() + h / 2),
                    va="center", fontsize=6, xytext=(2, 0), textcoords="offset points")
    ax.set_yticks(list(y))
    ax.set_yticklabels(names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("million packets per second (Mpps), no loss")
    ax.set_xlim(0, max(r["out_pps"] for r in rows) / 1e6 * 1.45)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    cap = cap + "\nbest of %s search(es) of %s s trials, %s %% resolution; %s" % (
        rec.get("repeat", "?"), rec.get("trial_s", "?"),
        round(100 * rec["resolution"]) if "resolution" in rec else "?",
        rec.get("core_layout", ""))
    _save(plt, fig, path, cap)


def chart_datapath(recs, path, cap):
    """Horizontal bars: per scenario, Mpps in and delivered through the worker's calls."""
    rec = recs[-1]
    sc = [(k, v) for k, v in rec.items() if isinstance(v, dict) and "in_mpps" in v]
    if not sc:
        raise PlotError("datapath: no scenarios")
    plt, fig, (ax,) = _figure("The conference data path on one core, no driver "
                              "(bench_datapath, 172-byte SRTP)")
    y = range(len(sc))
    h = 0.4
    bi = ax.barh([i - h / 2 for i in y], [v["in_mpps"] for _, v in sc], h, label="in")
    bo = ax.barh([i + h / 2 for i in y], [v["out_mpps"] for _, v in sc], h, label="delivered")
    for bars in (bi, bo):
        for b in bars:
            ax.annotate("%.2f" % b.get_width(), (b.get_width(), b.get_y() + h / 2),
                        va="center", fontsize=6, xytext=(2, 0), textcoords="offset points")
    ax.set_yticks(list(y))
    ax.set_yticklabels([k.replace("->", "→") for k, _ in sc], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("million packets per second (Mpps)")
    ax.set_xlim(0, max(v["out_mpps"] for _, v in sc) * 1.15)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    _save(plt, fig, path, cap)


def _mix_entries(rec, prefix, label):
    """(label, keys, measured, projected) of one bench_mix record's figures under prefix."""
    out = []
    tc = rec.get("transcode")
    for keys in ("group", "individual"):
        n = rec.get("%s%s_%s" % (prefix, keys, "sessions" if tc else "participants"))
        proj = rec.get("%s%s_%s" % (prefix, keys, "projected_sessions" if tc else "projected"))
        if n:
            out.append((label, keys, n, proj or 0))
    return out


def chart_mix(recs, path, cap):
    """Bars: the most participants (transcoding sessions) one core carried with no late
    tick, per codec and keying, and the linear projection from the core's busy share; the
    best of the records when several measured the same (the PCMU runs bench_mix makes
    beside a codec count as PCMU)."""
    best = {}   # (transcode, label, keys) -> [measured, projected, runs]
    for rec in recs:
        tc = bool(rec.get("transcode"))
        codec = rec.get("codec", "pcmu")
        label = codec.replace(":", "↔")
        if rec.get("opus_complexity") not in (None, 5) and "opus" in codec:
            label += " (complexity %d)" % rec["opus_complexity"]
        entries = _mix_entries(rec, "", label)
        if any(k.startswith("g711_") for k in rec):
            entries += _mix_entries(rec, "g711_", "pcmu↔pcmu" if tc else "pcmu")
        for lab, keys, n, proj in entries:
            b = best.setdefault((tc, lab, keys), [0, 0, 0])
            b[0], b[1], b[2] = max(b[0], n), max(b[1], proj), b[2] + 1
    legs = next((r.get("legs") for r in recs if not r.get("transcode")), "?")
    panels = [(tc, title) for tc, title in (
        (False, "conferences of %s legs: participants" % legs),
        (True, "transcoding: 2-leg sessions")) if any(k[0] == tc for k in best)]
    if not panels:
        raise PlotError("mix: no participants or sessions in the records")
    plt, fig, axes = _figure("Mix: participants (sessions) per worker core with no late "
                             "tick, per codec", ncols=len(panels))
    for ax, (tc, title) in zip(axes, panels):
        keys = sorted((k for k in best if k[0] == tc), key=lambda k: (-best[k][0], k))
        labels = ["%s, %s%s" % (k[1].replace("\n", " "), "key group" if k[2] == "group"
                                else "indiv. keys", " (best of %d)" % best[k][2]
                                if best[k][2] > 1 else "") for k in keys]
        x = range(len(keys))
        w = 0.4
        b1 = ax.bar([i - w / 2 for i in x], [best[k][0] for k in keys], w, label="measured")
        b2 = ax.bar([i + w / 2 for i in x], [best[k][1] for k in keys], w,
                    label="projected to a busy core")
        _bar_labels(ax, b1, "%d")
        _bar_labels(ax, b2, "%d")
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, fontsize=6.5, rotation=30, ha="right")
        ax.set_title(title, fontsize=9)
        vals = [v for k in keys for v in best[k][:2] if v > 0]
        if max(vals) > 20 * min(vals):   # PCMU beside a codec: orders of magnitude apart
            ax.set_yscale("log")
        ax.set_ylabel("sessions per core" if tc else "participants per core")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=6.5)
    _save(plt, fig, path, cap + "\nmeasured: the search's figure; projected: that ÷ the busy "
          "share of the core (%s s runs)" % recs[-1].get("seconds", "?"))


def chart_rekey(recs, path, cap):
    """Per trace, each policy at (peak control load, worst exposure): the trade-off."""
    rec = recs[-1]
    traces = rec.get("traces") or {}
    if not traces:
        raise PlotError("rekey: no traces")
    plt, fig, axes = _figure("Rekey policies: media exposure against control load "
                             "(rekey_policy.py model)", ncols=len(traces),
                             size=(SIZE[0] * 1.25, SIZE[1]))
    never = None
    for ax, (name, t) in zip(axes, traces.items()):
        pols = t["policies"]
        finite = [v for p in pols.values() for v in (p["fwd_exposure_max_s"],
                                                     p["bwd_exposure_max_s"]) if v is not None]
        never = max(finite + [1]) * 3
        for key, marker, lab in (("fwd_exposure_max_s", "o", "a leaver still decrypts (fwd)"),
                                 ("bwd_exposure_max_s", "^", "a joiner decrypts earlier (bwd)")):
            xs = [max(p["peak_control_load"] * 100, 1e-3) for p in pols.values()]
            ys = [p[key] if p[key] is not None else never for p in pols.values()]
            ys = [max(v, 0.3) for v in ys]   # 0 s (immediate) on a log axis
            ax.scatter(xs, ys, marker=marker, label=lab, alpha=0.8)
        at = {}   # policies at the same point share one label
        for pol, p in pols.items():
            y = max(p["fwd_exposure_max_s"] if p["fwd_exposure_max_s"] is not None else never,
                    0.3)
            x = max(p["peak_control_load"] * 100, 1e-3)
            at.setdefault((round(x, 3), round(y, 1)), (x, y, []))[2].append(pol)
        for x, y, names in at.values():
            ax.annotate(", ".join(names), (x, y), fontsize=5.5, xytext=(3, 2),
                        textcoords="offset points")
        ax.axhline(never, color="0.6", lw=0.6, ls=":")
        ax.text(0.99, never * 0.9, "never (until the end)", fontsize=5.5, va="top", ha="right",
                color="0.4",
                transform=ax.get_yaxis_transform())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title("%s, %d participants, %d changes" % (name, t["participants"],
                                                         t["changes"]), fontsize=8)
        ax.set_xlabel("peak control load, %% of %g Mp tx/s" % rec.get("tps", 0), fontsize=7)
        ax.set_ylabel("worst exposure (s); 0 s drawn at 0.3", fontsize=7)
        ax.tick_params(labelsize=6.5)
        ax.grid(alpha=0.3)
    h, lab = axes[0].get_legend_handles_labels()
    fig.legend(h, lab, fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, 0.94), ncol=2)
    _save(plt, fig, path, cap + "\nmodel, not a measurement: peak Modify transactions in any "
          "10 s over the mixer's sustained rate (benchmarks/mp)", top=0.9)


def _latency_runs(recs):
    """mixgen JSON lines, directly or inside bench_latency.py's record: (label, run)."""
    out = []
    for rec in recs:
        runs = rec.get("runs") if kind_of(rec) == "latency" else [rec]
        for r in runs or []:
            if not (r.get("latency_us") or {}).get("n"):
                continue
            label = r.get("label") or "%s %s, %s conf x %s (%s senders), %s" % (
                r.get("mode"), r.get("keys"), r.get("confs"), r.get("participants"),
                r.get("senders"), r.get("codec"))
            out.append((label, r))
    return out


def chart_latency(recs, path, cap):
    """Percentiles (and the histogram when mixgen dumped one) of per-packet latency."""
    runs = _latency_runs(recs)
    if not runs:
        raise PlotError("latency: no mixgen run with latency samples")
    hist = any(r["latency_us"].get("hist") for _, r in runs)
    plt, fig, axes = _figure("Per-packet latency through the daemon, measured by mixgen",
                             ncols=2 if hist else 1)
    qs = [("p50", "50"), ("p90", "90"), ("p99", "99"), ("p999", "99.9"), ("max", "max")]
    ax = axes[0]
    for label, r in runs:
        lat = r["latency_us"]
        ax.plot(range(len(qs)), [lat.get(k, 0) for k, _ in qs], marker="o",
                label="%s (%d packets)" % (label, lat["n"]))
    ax.set_xticks(range(len(qs)))
    ax.set_xticklabels([q for _, q in qs])
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (µs)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6)
    ax.set_title("percentiles", fontsize=9)
    if hist:
        ax = axes[1]
        for label, r in runs:
            h = r["latency_us"].get("hist") or []
            if not h:
                continue
            n = float(sum(c for _, c in h))
            # mixgen's 32 buckets an octave, summed 4 an octave (a readable curve)
            bins = {}
            for x, c in h:
                k = math.floor(math.log2(max(x, 1e-3)) * 4)
                bins[k] = bins.get(k, 0) + c
            ks = range(min(bins), max(bins) + 1)
            ax.step([2 ** ((k + 0.5) / 4) for k in ks], [100 * bins.get(k, 0) / n for k in ks],
                    where="mid", label=label)
        ax.set_xscale("log")
        ax.set_xlabel("latency (µs), 4 bins an octave")
        ax.set_ylabel("share of packets (%)")
        ax.grid(alpha=0.3)
        ax.set_title("distribution", fontsize=9)
    _save(plt, fig, path, cap + "\nfrom the probe's TSC in each packet to the analyser's "
          "(one process, no clock sync), mixgen's own queueing included")


PLOTTERS = {"srtp": (("srtp",), chart_srtp), "conf": (("conf",), chart_conf),
            "datapath": (("datapath",), chart_datapath), "mix": (("mix",), chart_mix),
            "rekey": (("rekey_policy",), chart_rekey),
            "latency": (("latency", "mixgen"), chart_latency)}


def chart(name, recs, path, meta=None, note=None):
    """Draw one chart from records (dicts) of its benchmark into the PNG file path; returns
    it. meta: the run's {"bench":"meta"} record (None: the one before the newest record in its
    file, else this machine and the file's time)."""
    kinds, fn = PLOTTERS[name]
    mine = [r for r in recs if kind_of(r) in kinds]
    if not mine:
        raise PlotError("%s: no %s record in the input" % (name, " or ".join(kinds)))
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fn(mine, path, caption(meta or mine[-1].get("_meta"), mine[-1], note))
    return path


def driver_chart(name, rec, path, mode, prog):
    """A benchmark driver's --plot FILE: the chart of its own JSON record, captioned with
    this machine now; a failure exits naming prog."""
    try:
        chart(name, [rec], path, machine_meta(mode))
    except PlotError as e:
        sys.exit("%s: --plot: %s" % (prog, e))
    print("chart: %s" % path)


def plot_all(recs, out_dir, only=None, note=None, quiet=False):
    """Every chart the records allow (or only those named); returns the written paths.
    A chart named in only with no data raises PlotError; others are skipped."""
    written = []
    for name in (only or CHARTS):
        kinds = PLOTTERS[name][0]
        mine = [r for k, r in recs if k in kinds]
        if not mine and not only:
            if not quiet:
                print("plot: %-8s skipped (no %s record)" % (name, " or ".join(kinds)))
            continue
        p = chart(name, mine, os.path.join(out_dir, name + ".png"), None, note)
        if not quiet:
            print("plot: %-8s %s (%d bytes)" % (name, p, os.path.getsize(p)))
        written.append(p)
    if not written:
        raise PlotError("no chart: the input holds no record of %s" % ", ".join(
            k for n in CHARTS for k in PLOTTERS[n][0]))
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[2:]))
    ap.add_argument("files", nargs="*", metavar="FILE")
    ap.add_argument("--out", default=".", help="directory for the PNGs (default: .)")
    ap.add_argument("--only", default="", help="comma-separated charts: " + ",".join(CHARTS))
    ap.add_argument("--scan", action="store_true",
                    help="read only the lines starting with '{' (a benchmark's whole output)")
    ap.add_argument("--note", default=None, help="a line added to every caption")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--meta", metavar="MODE", help="print this machine's meta record (the "
                    "first line of a results file; MODE: quick or full) and exit")
    a = ap.parse_args(argv)
    if a.meta:
        print(json.dumps(machine_meta(a.meta), separators=(",", ":")))
        return 0
    if not a.files:
        ap.error("no input FILE")
    only = [c for c in a.only.split(",") if c]
    bad = [c for c in only if c not in CHARTS]
    if bad:
        ap.error("unknown chart(s) %s (charts: %s)" % (",".join(bad), ",".join(CHARTS)))
    try:
        plot_all(read_records(a.files, a.scan), a.out, only or None, a.note, a.quiet)
    except PlotError as e:
        print("plot: error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

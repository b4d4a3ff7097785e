#!/usr/bin/python3
"""The demo's final table, from mixgen's JSON lines (scripts/demo.sh): per run and per
participant, who heard whom, packets, loss, latency and jitter, and where the WAV files are.
Usage: demo-table.py NAME=FILE.json ... (prints the table; exit 0)."""
import json
import sys


def main():
    for arg in sys.argv[1:]:
        name, path = arg.split("=", 1)
        try:
            with open(path) as f:
                d = json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as e:
            print("%s: no result (%s)" % (name, e))
            continue
        run = d.get("run", {})
        lat = d.get("latency_us", {})
        exp = run.get("expected", 0)
        lost = run.get("lost", 0)
        print("%s: %s mode, %d participants, %s audio, %s keys: %s" % (
            name, d.get("mode"), d.get("participants", 0), d.get("audio"), d.get("keys"),
            "every check passed" if d.get("ok") else "FAILED"))
        print("  packets sent %d, expected back %d, received %d, lost %d (%.3f %%)" % (
            run.get("sent", 0), exp, run.get("received", 0), lost,
            100.0 * lost / exp if exp else 0.0))
        if lat.get("n"):
            if d.get("mode") == "mix":
                print("  latency through the mixer (per tick, from tone onsets) p50 %.1f ms, "
                      "p99 %.1f ms, max %.1f ms over %d samples" % (
                          lat["p50"] / 1000, lat["p99"] / 1000, lat["max"] / 1000, lat["n"]))
            else:
                print("  latency per packet p50 %.0f us, p99 %.0f us, max %.0f us over %d "
                      "samples" % (lat["p50"], lat["p99"], lat["max"], lat["n"]))
        print("  %-10s %7s %9s %9s %8s %10s  %s" % ("leg", "sent", "expected", "received",
                                                   "auth-fail", "jitter-us", "heard"))
        for leg in d.get("legs", []):
            print("  %-10s %7d %9d %9d %8d %10.1f  %s" % (
                leg["label"], leg["sent"], leg["expected"], leg["received"], leg["auth_fail"],
                leg["jitter_us"], leg.get("heard", "-")))
        wavs = [leg["wav"] for leg in d.get("legs", []) if leg.get("wav")]
        if wavs:
            print("  recordings: %s/ (%d WAV files, what each participant heard)" % (
                wavs[0].rsplit("/", 1)[0], len(wavs)))
        failed = [c["name"] + ": " + c["detail"] for c in d.get("checks", []) if not c["pass"]]
        for c in failed:
            print("  failed check: %s" % c)
        print()


if __name__ == "__main__":
    main()

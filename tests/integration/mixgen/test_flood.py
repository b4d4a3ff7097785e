"""mixgen --flood: hostile packets beside honest conferences, against the daemon over memif.

- switch and mix: with forged SRTP and SRTCP, replays, malformed RTP and UDP to a port
  without a leg at 20,000 packets a second, every honest packet still arrives (no loss, no
  duplicate), and the daemon refused each flood packet under its own reason and nothing
  else (mixgen checks its drop counters against what it sent);
- the JSON line reports the flood per kind;
- bad specifications are refused with a specific message and exit status 2.
"""
import mglab
import mxplab
from mxplab import check

KINDS = ("forged", "replay", "malformed", "rtcp", "unknown")


def flooded_run(lab, mode, parts):
    r = lab.mixgen("--mode", mode, "--participants", str(parts), "--duration", "3",
                   "--flood", "rate=20000,seed=5")
    check(r.json is not None, "%s: mixgen printed its JSON line: %s" % (mode, r.stderr[-400:]))
    check(r.rc == 0, "%s: every check passed under the flood: %s" % (mode, r.failed_checks()))
    fl = r.json.get("flood")
    check(fl is not None and fl["rate"] == 20000 and fl["seed"] == 5,
          "%s: the JSON line reports the flood: %s" % (mode, fl))
    check(fl["sent"] > 20000 and all(fl[k] > fl["sent"] // 10 for k in KINDS),
          "%s: every kind was sent, about a fifth each: %s" % (mode, fl))
    check(fl["sent"] == sum(fl[k] for k in KINDS), "%s: the kinds add up: %s" % (mode, fl))
    drops = r.json.get("daemon_drops") or {}
    check(drops.get("srtp_auth", 0) == fl["forged"] + fl["rtcp"] and
          drops.get("rtp_version", 0) == fl["malformed"] and
          drops.get("udp_no_leg", 0) == fl["unknown"] and
          drops.get("srtp_replay", 0) + drops.get("srtp_too_old", 0) == fl["replay"],
          "%s: each flood packet refused under its reason: %s vs %s" % (mode, drops, fl))
    check(r.json["run"]["lost"] == 0 and all(leg["dup"] == 0 for leg in r.json["legs"]),
          "%s: no honest packet lost or duplicated: %s" % (mode, r.json["run"]))
    return r


def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-flood") as lab:
        flooded_run(lab, "switch", 4)
        flooded_run(lab, "mix", 3)
        for spec, want in (("seed=1", "rate=PPS or rate=max is required"),
                           ("rate=0", "1..100000000"), ("rate=10,kinds=bogus", "kind 'bogus'"),
                           ("rate=10,size=3", "unknown key 'size'"), ("rate", "KEY=VALUE"),
                           ("rate=10,seed=-1", "an unsigned integer")):
            r = lab.mixgen("--flood", spec, "--duration", "1")
            check(r.rc == 2 and want in r.stderr,
                  "--flood %s refused (exit %d): %r" % (spec, r.rc, r.stderr[-300:]))
        r = lab.mixgen("--flood", "rate=10", "--impair", "loss=1%")
        check(r.rc == 2 and "not with --plain" in r.stderr,
              "--flood with --impair refused: %r" % r.stderr[-300:])
        lab.stop()


mxplab.main(test)

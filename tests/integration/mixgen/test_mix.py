"""mixgen in mix mode through the daemon: five participants, four talking a tone each. The
daemon decodes, mixes and re-encodes; every talker must hear the other three and not
itself, the listener all four (mixgen's Goertzel verdict and, independently, a numpy FFT
of the recordings); one mixed packet per ptime per receiver; the latency through the mixer
measured per tick from the tones' onsets."""
import tempfile

import mglab
import mxplab
from mxplab import check
from mglab import peaks


def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-mix") as lab:
        d = tempfile.mkdtemp(prefix="mxp-mixgen-mixwav-", dir=lab.dir)
        r = lab.mixgen("--mode", "mix", "--participants", "5", "--senders", "4", "--duration", "4",
                       "--wav-dir", d, "--keep")
        check(r.rc == 0 and r.json["ok"], "mix of 5 (4 talk): every check passed %s"
              % r.failed_checks())
        base, step = 400, 100
        for leg in r.json["legs"]:
            k = int(leg["label"].split("p")[1])
            want = [base + step * i for i in range(4) if i != k]
            got = peaks(leg["wav"], skip_s=0.5)
            # the tones pause 100 ms a second: the FFT shows their sidebands too; the
            # strongest lines must be exactly the other talkers'
            strong = sorted(f for f in got if any(abs(f - w) <= 10 for w in want))
            stray = [f for f in got if not any(abs(f - w) <= 30 for w in want)]
            check(sorted({min(want, key=lambda w: abs(w - f)) for f in strong}) == want
                  and not stray,
                  "%s heard %s Hz by FFT (want %s; mixgen: %r)" % (leg["label"], strong, want,
                                                                   leg.get("heard")))
        lat = r.check("mix latency")
        check(lat and lat["pass"] and r.json["latency_us"]["n"] > 0
              and r.json["latency_us"]["p50"] < 200000,
              "latency through the mixer timed from tone onsets: %s" % (lat and lat["detail"]))
        conf = r.json["legs"][0]["conference"]
        info = lab.ctl_json("show", "conference", str(conf))
        check(info["mode"] == "mix", "the daemon ran a mix conference")
        # Its counters add up: every mixed packet (private or shared mix) is one sent by the
        # conference, by a key group and to a leg; mixgen received them all.
        legs_tx = sum(l["tx_packets"] for l in info["legs"])
        kg_tx = sum(k["sent"] for k in info["keygroups"])
        got = r.json["run"]["received"]
        check(info["tx_packets"] == legs_tx == kg_tx and got <= legs_tx,
              "the conference's packets sent (%d) = its legs' (%d) = its key groups' (%d); "
              "mixgen received %d" % (info["tx_packets"], legs_tx, kg_tx, got))
        lab.ctl("conference", "delete", str(conf))
        rc = lab.stop()
        check(rc == 0, "the daemon exits cleanly (status %s)" % rc)


mxplab.main(test)

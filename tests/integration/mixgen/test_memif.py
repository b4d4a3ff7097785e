"""mixgen against the daemon over memif: switch and forward conferences, individual and
group keys, several conferences, sampled checking and a short zero-loss search. mixgen's
own verdict is checked, and so is the daemon's independent view of the same run (its leg
and key-group counters)."""
import mglab
import mxplab
from mxplab import check


def legs_by_label(r):
    return {l["label"]: l for l in r.json["legs"]}


def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-memif") as lab:
        # -- switch, individual keys, realtime pacing ----------------------------------------
        r = lab.mixgen("--mode", "switch", "--participants", "4", "--duration", "1.5",
                       "--audio", "pattern", "--keep")
        check(r.rc == 0 and r.json and r.json["ok"],
              "switch, 4 participants, individual keys: every check passed (rc %d) %s%s"
              % (r.rc, r.failed_checks(), r.stderr[-500:] if r.rc else ""))
        run = r.json["run"]
        check(run["expected"] == 3 * run["sent"] and run["received"] == run["expected"],
              "each of %d packets reached the 3 other participants (%d received)"
              % (run["sent"], run["received"]))
        per = [l["sent"] for l in r.json["legs"]]
        check(all(72 <= n <= 77 for n in per),
              "realtime pacing: %s packets per sender in 1.5 s at 20 ms" % per)
        check(r.json["latency_us"]["n"] == run["received"] and r.json["latency_us"]["max"] > 0,
              "a latency sample for every packet received")
        check(r.check("daemon drops")["pass"], "the daemon dropped nothing")
        # The daemon's own counters for the same run (it kept the conference: --keep).
        legs = legs_by_label(r)
        conf = list(legs.values())[0]["conference"]
        info = lab.ctl_json("show", "conference", str(conf))
        for leg in info["legs"]:
            mine = legs[leg["label"]]
            check(leg["rx_packets"] == mine["sent"] and leg["tx_packets"] == mine["received"],
                  "daemon leg %s: %d in / %d out, as mixgen sent %d and received %d"
                  % (leg["label"], leg["rx_packets"], leg["tx_packets"], mine["sent"],
                     mine["received"]))
        check(info["encryptions"] == run["received"],
              "individual keys: one encryption per packet received (%d)" % info["encryptions"])
        lab.ctl("conference", "delete", str(conf))

        # -- forward mode: the conference key, nothing decrypted by the daemon ----------------
        r = lab.mixgen("--mode", "forward", "--participants", "3", "--duration", "1",
                       "--audio", "pattern", "--keep")
        check(r.rc == 0 and r.json["ok"], "forward mode: every check passed %s" % r.failed_checks())
        conf = r.json["legs"][0]["conference"]
        info = lab.ctl_json("show", "conference", str(conf))
        check(info["encryptions"] == 0 and info["decryptions"] == 0,
              "forward mode: the daemon encrypted and decrypted nothing")
        lab.ctl("conference", "delete", str(conf))

        # -- group keys, three conferences at once ---------------------------------------------
        r = lab.mixgen("--keys", "group", "--confs", "3", "--participants", "4", "--senders", "2",
                       "--duration", "1", "--audio", "pattern", "--keep")
        check(r.rc == 0 and r.json["ok"], "3 conferences, group keys: every check passed %s"
              % r.failed_checks())
        confs = sorted({l["conference"] for l in r.json["legs"]})
        check(len(confs) == 3, "three conferences were created")
        for c in confs:
            info = lab.ctl_json("show", "conference", str(c))
            sent = sum(l["sent"] for l in r.json["legs"] if l["conference"] == c)
            kg = [k for k in info["keygroups"] if k["members"] == 4]
            check(len(kg) == 1 and kg[0]["encryptions"] == sent,
                  "conference %d: one key group of 4, %d encryptions for %d packets"
                  % (c, kg[0]["encryptions"] if kg else -1, sent))
            lab.ctl("conference", "delete", str(c))
        check(lab.ctl_json("show", "conferences") == [], "nothing left in the daemon")

        # -- one sender to ten receivers, sampled authentication, a set rate -------------------
        r = lab.mixgen("--participants", "11", "--senders", "1", "--keys", "group",
                       "--rate", "10k", "--duration", "1", "--check", "sample:8",
                       "--audio", "pattern")
        check(r.rc == 0 and r.json["ok"], "1 -> 10 at 10 kpps, sampled checks: passed %s"
              % r.failed_checks())
        run = r.json["run"]
        check(9000 <= run["sent"] <= 10500 and run["received"] == 10 * run["sent"],
              "%d packets sent at 10 kpps, %d received by 10 receivers" % (run["sent"],
                                                                         run["received"]))
        check(0 < r.json["latency_us"]["n"] < run["received"],
              "sampled: %d of %d packets authenticated and timed" % (r.json["latency_us"]["n"],
                                                                   run["received"]))

        # -- rekey during the run (MKI): new keys both ways, nothing lost ---------------------
        for keys in ("individual", "group"):
            r = lab.mixgen("--participants", "4", "--keys", keys, "--duration", "2",
                           "--rekey-at", "1", "--audio", "pattern")
            rk = r.check("rekey")
            check(r.rc == 0 and rk and rk["pass"] and r.json["run"]["lost"] == 0,
                  "rekey with %s keys: %s, %d lost %s" % (keys, rk and rk["detail"],
                                                         r.json["run"]["lost"], r.failed_checks()))
            check(r.json["srtp_bytes"] == 172,
                  "--size is the SRTP size with the MKI (%d bytes)" % r.json["srtp_bytes"])
        r = lab.mixgen("--mode", "forward", "--rekey-at", "1", "--duration", "2")
        check(r.rc == 2 and "forward" in r.stderr, "rekey in forward mode is refused up front")

        # -- a short zero-loss search --------------------------------------------------------------
        r = lab.mixgen("--participants", "2", "--senders", "1", "--search", "--trial", "0.3",
                       "--search-max", "100k", "--search-min", "1000", "--resolution", "0.25",
                       "--audio", "pattern")
        s = r.json.get("search", {}) if r.json else {}
        check(r.rc == 0 and s.get("zero_loss_pps", 0) > 0 and len(s.get("trials", [])) >= 1,
              "zero-loss search: %.0f pps in %d trials" % (s.get("zero_loss_pps", 0),
                                                          len(s.get("trials", []))))
        check(all(t["pass"] == (t["lost"] == 0 and t["errors"] == 0) for t in s["trials"]),
              "a trial passes exactly when it lost nothing")
        rc = lab.stop()
        check(rc == 0, "the daemon exits cleanly (status %s)%s" % (
            rc, "" if rc == 0 else "\n" + lab.read_log()[-2000:]))


mxplab.main(test)

"""Mp over ESP against the real daemon: mrfc (the MRFC side, ESP with OpenSSL in user
space) creates a conference and legs, libsrtp2 participants send media with the keys mrfc
generated, the MRFC audits, rekeys with a new MKI during media, subtracts (the statistics
in the reply match what was sent) and the context ends with its last termination."""
import json
import os
import re
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4
from mplab import read_keys

N = 30


def media(lab, legs, first_id=1, count=N, extra=()):
    """Every leg sends count packets and receives; returns the peer result. Sender ids
    (from first_id) also set the sequence numbers (id * 1000): a new run needs new ids
    or the daemon rightly sees replays."""
    return lab.peer(KERNEL_IP4, rx=[(l["port"], l["rx"]) for l in legs],
                    tx=[(l["port"], l["mrfp"], l["mrfp_port"], l["tx"], 0x100 + i, first_id + i)
                        for i, l in enumerate(legs)], count=count, extra=list(extra))


def test():
    with Lab("mpd", mp=True) as lab:
        keys = os.path.join(lab.dir, "keys.txt")
        # ServiceChange Restart reached mrfc? (we only check the daemon sent it)
        mp0 = lab.ctl_json("show", "mp")
        check(mp0["enabled"] and mp0["requests_sent"] >= 1, "ServiceChange sent at start")
        r = lab.mrfc("add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4, keys=keys)
        out = r.stdout
        check("result add ok" in out, "mrfc add: %s" % out.strip().splitlines()[-1])
        legs = read_keys(keys)
        check(len(legs) == 2 and all(l["mrfp"] == DAEMON_IP4 and l["mrfp_port"] for l in legs),
              "two legs with the MRFP's address and allocated ports in the reply")
        ctx = legs[0]["ctx"]
        conf = lab.ctl_json("show", "conference", str(ctx))
        check(conf["mode"] == "switch" and len(conf["legs"]) == 2, "the conference exists in the daemon")
        for text in (out, r.stderr, lab.ctl("show", "conference", str(ctx)).stdout):
            check(not any(l["tx_b64"] in text or l["rx_b64"] in text for l in legs),
                  "no SRTP key printed by mrfc or the CLI")
        esp = lab.ctl_json("show", "esp")
        check(esp["accepted"] >= 1 and any(s["dir"] == "in" and s["packets"] >= 1 for s in esp["sas"]),
              "the request came in through the inbound SA")

        res = media(lab, legs)
        check(res["rx"][str(legs[0]["port"])]["from"] == {"2": N} and
              res["rx"][str(legs[1]["port"])]["from"] == {"1": N},
              "media flows between the two participants with mrfc's keys")

        r = lab.mrfc("audit", "ctx=%d" % ctx)
        check("result audit ok" in r.stdout and legs[0]["term"] in r.stdout, "AuditValue answered")

        # Rekey leg 1 with MKI 2: the daemon installs the new keys beside the old ones.
        r = lab.mrfc("modify", "ctx=%d" % ctx, "term=%s" % legs[0]["term"], "rekey=on", "mki=2",
                     keys=keys)
        check("result modify ok" in r.stdout, "rekey with a new MKI accepted")
        after = read_keys(keys)
        check(after[0]["tx_mki"] == 2 and after[0]["rx_mki"] == 2, "mrfc wrote the MKI 2 keys")
        li = lab.ctl_json("show", "leg", str(int(legs[0]["term"].split("/")[1])))
        check(len(li["in_keys"]) == 2 and len(li["out_keys"]) == 2 and
              [k["active"] for k in li["out_keys"]] == [False, True],
              "leg has old and new keys, the new outbound one active")
        res = media(lab, after, first_id=3)
        check(res["rx"][str(after[0]["port"])]["from"] == {"4": N} and
              res["rx"][str(after[1]["port"])]["from"] == {"3": N},
              "media flows with the new keys after the rekey (%s, drops %s)" % (json.dumps(res["rx"]), {k: v for k, v in lab.drops().items() if v}))

        # Subtract: the statistics in the reply match what was sent and received.
        r = lab.mrfc("subtract", "ctx=%d" % ctx, "term=%s" % legs[0]["term"], keys=keys)
        stats = dict(re.findall(r"stat \S+ (\S+) (\d+)", r.stdout))
        check(stats.get("rtp/pr") == str(2 * N) and stats.get("rtp/ps") == str(2 * N),
              "Subtract statistics: %s received, %s sent (2 x %d)" % (stats.get("rtp/pr"),
                                                                   stats.get("rtp/ps"), N))
        r = lab.mrfc("subtract", "ctx=%d" % ctx, "term=%s" % legs[1]["term"], keys=keys)
        check("result subtract ok" in r.stdout, "second leg subtracted")
        confs = lab.ctl_json("show", "conferences")
        check(all(c["id"] != ctx for c in confs), "the context ended with its last termination")

        # Errors: each with its code, nothing changed.
        r = lab.mrfc("modify", "ctx=%d" % ctx, "term=leg/1", "streammode=recvonly", "expect=411")
        check(r.returncode == 0, "Modify in a context that ended: 411")
        r = lab.mrfc("raw", "Transaction = 77 { Context = $ { Add = $ { Media { Stream = 1 { Local { v=0 } ",
                     check_rc=False)
        check(r.returncode in (0, 2) and "400" in r.stdout, "syntax error answered with 400")
        d = lab.ctl_json("show", "mp")
        check(d["errors_by_code"].get("411") == 1 and d["errors_by_code"].get("400", 0) >= 1,
              "errors counted by code: %s" % d["errors_by_code"])
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

"""show memory and telemetry /mixplane/memory against a running daemon: conference state per
kind counts what the CLI created and drops back to 0 when it is deleted, the kinds' bytes add
up to the total, bytes per participant = total / legs; the mbuf pools and DPDK's heap; the
telemetry endpoint (answered by the control core through the control socket) has the same
numbers."""
import json
import subprocess
import mxplab
from mxplab import check, Lab, KERNEL_IP4, gen_key


def telemetry(lab, cmd):
    r = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix], input=cmd + "\n",
                       capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout[r.stdout.index("{"):])[cmd]


def rows(doc):
    """The kinds of conference state: the members with a count and bytes."""
    return {k: v for k, v in doc.items() if isinstance(v, dict) and "count" in v}


def check_consistent(m, what):
    r = rows(m)
    check(len(r) >= 9, "%s: %d kinds of conference state (%s)" % (what, len(r), ", ".join(r)))
    for k, v in r.items():
        if v["count"]:
            check(v["bytes"] > 0 and v["bytes_each"] == v["bytes"] // v["count"],
                  "%s: %s: %d x %d bytes" % (what, k, v["count"], v["bytes_each"]))
        else:
            check(v["bytes"] == 0 and v["bytes_each"] is None, "%s: no %s, 0 bytes" % (what, k))
    total = sum(v["bytes"] for v in r.values())
    check(total == m["total_bytes"], "%s: the kinds add up to total_bytes (%d)" % (what, total))
    legs = r["legs"]["count"]
    if legs:
        check(m["bytes_per_participant"] == m["total_bytes"] // legs,
              "%s: bytes per participant = %d / %d legs = %d" % (
                  what, m["total_bytes"], legs, m["bytes_per_participant"]))
    else:
        check(m["bytes_per_participant"] is None, "%s: no legs, no bytes per participant" % what)
    check(m["reserved_bytes"] >= m["total_bytes"], "%s: reserved %d >= total %d" % (
        what, m["reserved_bytes"], m["total_bytes"]))


def check_telemetry(lab, m, what):
    """Nothing changes between the two reads: every kind's count and bytes are the same."""
    t = telemetry(lab, "/mixplane/memory")
    check(t is not None, "%s: telemetry /mixplane/memory answers" % what)
    same = all(t[k]["count"] == v["count"] and t[k]["bytes"] == v["bytes"]
               for k, v in rows(m).items())
    check(same and set(rows(t)) == set(rows(m)) and t["total_bytes"] == m["total_bytes"] and
          t["reserved_bytes"] == m["reserved_bytes"],
          "%s: telemetry has the counts and bytes of show memory" % what)
    check(t["mbufs"]["size"] == m["mbufs"]["size"] and t["mbufs"]["pool"] == m["mbufs"]["pool"],
          "%s: telemetry has the mbuf pools" % what)


def test():
    with Lab("memory") as lab:
        m0 = lab.ctl_json("show", "memory")
        check(all(v["count"] == 0 for v in rows(m0).values()) and m0["total_bytes"] == 0,
              "no conference: every kind 0, total 0")
        check_consistent(m0, "idle")

        # mbuf pools and the heap
        p, h = m0["mbufs"], m0["header_mbufs"]
        check(p["pool"] == "mxp_mbufs" and p["size"] == 8191, "mbufs: the packet pool of 8191")
        check(h["pool"] == "mxp_hdrs" and h["size"] > 0, "header_mbufs: the header pool")
        for x in (p, h):
            check(x["in_use"] + x["available"] == x["size"] and
                  x["bytes"] == x["size"] * x["bytes_each"] > 0,
                  "%s: %d in use + %d available = %d, %d bytes" % (
                      x["pool"], x["in_use"], x["available"], x["size"], x["bytes"]))
        heaps = [v for k, v in m0.items() if k.startswith("heap_socket")]
        check(heaps and all(v["allocated_bytes"] + v["free_bytes"] == v["total_bytes"]
                            for v in heaps), "heap: allocated + free = total per socket")
        check(sum(v["allocated_bytes"] for v in heaps) >= p["bytes"] + h["bytes"],
              "the heap's allocated bytes hold the mbuf pools")

        # a switch conference of 3 legs, then a mix conference of 2, through the CLI
        a = lab.conf_create()
        legs = [lab.leg_add(a, gen_key(), gen_key(), (KERNEL_IP4, 6000 + 2 * i))["id"]
                for i in range(3)]
        ma = lab.ctl_json("show", "memory")
        check(rows(ma)["conferences"]["count"] == 1 and rows(ma)["legs"]["count"] == 3,
              "1 conference and 3 legs counted")
        check_consistent(ma, "1 conference")
        b = lab.conf_create("mode", "mix")
        for i in range(2):
            lab.leg_add(b, gen_key(), gen_key(), (KERNEL_IP4, 6100 + 2 * i))
        m = lab.ctl_json("show", "memory")
        r = rows(m)
        check(r["conferences"]["count"] == 2 and r["legs"]["count"] == 5,
              "2 conferences and 5 legs counted (%d, %d)" % (r["conferences"]["count"],
                                                            r["legs"]["count"]))
        check(r["key_groups"]["count"] >= 2 and r["srtp_streams"]["count"] >= 5 and
              r["srtp_keys"]["count"] >= 2,
              "key groups (%d), SRTP streams (%d) and key sessions (%d)" % (
                  r["key_groups"]["count"], r["srtp_streams"]["count"], r["srtp_keys"]["count"]))
        check(r["mixers"]["count"] >= 1 and r["media_legs"]["count"] >= 2,
              "the mix conference: %d mixer(s), %d media legs" % (r["mixers"]["count"],
                                                                 r["media_legs"]["count"]))
        check_consistent(m, "2 conferences")
        check_telemetry(lab, m, "2 conferences")

        text = lab.ctl("show", "memory").stdout
        lines = text.splitlines()
        check(all(l == l.rstrip() for l in lines), "text: no trailing blanks")
        legs_line = [l.split() for l in lines if l.startswith("legs ")]
        check(legs_line and legs_line[0][1] == "5", "text: legs 5 (%s)" % legs_line)
        pp = [l.split() for l in lines if l.startswith("per participant")]
        check(pp and pp[0][2] == "5", "text: per participant over 5 legs (%s)" % pp)
        for s in ("conference state", "SRTP streams", "SRTP key sessions", "total", "reserved",
                  "buffered packets", "mxp_mbufs", "mxp_hdrs", "DPDK heap", "socket "):
            check(s in text, "text shows '%s'" % s)

        # deleting gives everything back: the mix conference exactly what it took
        lab.ctl("conference", "delete", str(b))
        m = lab.ctl_json("show", "memory")
        diff = {k: (rows(ma)[k]["count"], v["count"]) for k, v in rows(m).items()
                if v["count"] != rows(ma)[k]["count"] or v["bytes"] != rows(ma)[k]["bytes"]}
        check(not diff, "the mix conference deleted: every kind back to the switch "
              "conference's own (differs, before -> after: %s)" % diff)
        lab.ctl("leg", "delete", str(legs[0]))
        m = lab.ctl_json("show", "memory")
        check(rows(m)["legs"]["count"] == 2, "a leg deleted: 2 legs")
        check_consistent(m, "2 legs")
        lab.ctl("conference", "delete", str(a))
        m = lab.ctl_json("show", "memory")
        left = {k: v for k, v in rows(m).items() if v["count"] or v["bytes"]}
        check(not left and m["total_bytes"] == 0,
              "everything deleted: every kind back to 0, total 0 (left: %s)" % left)
        check_consistent(m, "all deleted")
        check_telemetry(lab, m, "all deleted")

        r = lab.ctl("show", "memory", "extra", check_rc=False)
        check(r.returncode == 2 and "usage: show memory" in r.stderr, "extra argument: usage")
        check("show memory" in lab.ctl("help").stdout, "help lists 'show memory'")


mxplab.main(test)

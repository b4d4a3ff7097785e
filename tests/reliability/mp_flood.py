#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mp-flood: the Mp interface flooded inside valid ESP while media flows (doc/reliability.md).

One daemon (mglab.MpMemifLab: Mp over ESP on a veth, media on a memif, one worker) carries
honest switch conferences from mixgen for the whole run, while a thread asks the CLI
`show stats` every 50 ms, and `mrfc flood` sends, one after the other:

1. garbage: random printable bytes where H.248 should be, as fast as mrfc can;
2. retransmit: one AuditValue transaction sent again and again under one id, as fast as
   mrfc can;
3. audit at a sustainable rate (--audit-rate, 1,000 a second): new transactions;
4. add as fast as mrfc can: each transaction creates a context, after mrfc asked for
   ocp/mg_overload on ROOT (H.248.11 overload control, doc/mp.md "Overload control"; the
   lab sets a reply cache of 32,768 replies, which the flood fills, and ocp_high_pct about
   1,200 replies above what step 3 leaves in it, so that Adds first create contexts;
   --default-marks: a cache of 16,384 at the daemon's default marks, 70 % and 50 %);
5. audit as fast as mrfc can: new transactions beyond what the control core handles.

Pass: the media lose nothing (mixgen's checks), every CLI request is answered, and the
daemon exits 0 on SIGTERM; garbage is answered with error 400 (or lost before the parser,
counted), never applied; the retransmitted transaction is applied once and every other
copy that arrived is answered from the reply cache; at the sustainable rate every
transaction is answered without error; beyond it every transaction is answered, answered
510 (the reply cache is full: H.248's "insufficient resources"), or lost on the way in,
and none is answered twice; the Adds are refused with 510 "overloaded" and
ocp/mg_overload is notified (and answered) before any 510 "reply cache full", the MRFP's
counters agree, and every context the flood created is subtracted without error while the
MRFP is still overloaded, even once the refusals have filled the reply cache (a refusal
that applied nothing gives its room to a new request: refusals_evicted). Prints a table
and one JSON line ("benchmark":"mp_flood");
exit 0 when it passed, 1 when not, 77 without hugepages.
"""
import argparse
import json
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
for d in ("tests/integration", "tests/integration/mixgen"):
    sys.path.insert(0, os.path.join(TOP, d))
import mglab  # noqa: E402
import mxplab  # noqa: E402
import verdict  # noqa: E402


def mp_counters(lab):
    m = lab.ctl_json("show", "mp")
    d = lab.ctl_json("show", "drops")
    out = {k: m[k] for k in ("messages", "requests", "replies", "replies_cached", "errors",
                             "parse_errors", "cache_full", "overload_refused",
                             "overload_notifies", "refusals_evicted")}
    out["e400"] = m["errors_by_code"].get("400", 0)
    out["e510"] = m["errors_by_code"].get("510", 0)
    out["ctl_ring_full"] = d.get("ctl_ring_full", 0)
    port = lab.ctl_json("show", "ports")[0]  # port0: the veth Mp arrives on
    out["port_missed"] = port.get("rx_missed", 0) + port.get("rx_errors", 0)
    out["port_rx"] = port.get("rx_packets", 0)
    # what the veth delivered to the kernel side of the daemon's af_packet port
    with open("/sys/class/net/%s/statistics/rx_packets" % lab.veth_d) as f:
        out["veth_rx"] = int(f.read())
    return out


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


def cli_loop(lab, stop, out):
    lat = []
    failed = 0
    while not stop.is_set():
        t0 = time.monotonic()
        r = lab.ctl("show", "stats", check_rc=False)
        if r.returncode == 0:
            lat.append(time.monotonic() - t0)
        else:
            failed += 1
        stop.wait(0.05)
    lat.sort()
    out.update({"requests": len(lat) + failed, "failed": failed,
                "p50_ms": 1000 * lat[len(lat) // 2] if lat else None,
                "p99_ms": 1000 * lat[(len(lat) * 99) // 100] if lat else None,
                "max_ms": 1000 * lat[-1] if lat else None})


def media(lab, seconds, out):
    r = lab.mixgen("--mode", "switch", "--confs", "10", "--participants", "4",
                   "--duration", "%g" % seconds, timeout=seconds * 3 + 120)
    out["rc"] = r.rc
    out["json"] = r.json
    out["failed"] = r.failed_checks() if r.json else [r.stderr[-400:]]
    out["ok"] = r.rc == 0 or only_control_tx_full(r)


def only_control_tx_full(r):
    """mixgen failed only its "daemon drops" check, on tx_full alone, while every media
    packet it expected arrived: the packets the daemon could not send were the control
    core's (Mp replies, through worker 0's 1024-entry ring at some 30,000 replies a second;
    the flood counts them unanswered), not media. Every other failure stands."""
    run = (r.json or {}).get("run", {})
    failed = [c for c in (r.json or {}).get("checks", []) if not c["pass"]]
    if not r.json or run.get("lost") != 0 or run.get("received") != run.get("expected") or \
            [c["name"] for c in failed] != ["daemon drops"]:
        return False
    m = re.search(r"\{.*\}", failed[0]["detail"])
    drops = json.loads(m.group(0)) if m else {}
    media_kinds = ("tx_full", "no_mbuf", "neigh_", "udp_", "ipv4_checksum", "rtp_",
                   "source_mismatch", "leg_not_sending", "ssrc_collision", "srtp_",
                   "handoff_full")
    return drops.get("tx_full", 0) > 0 and \
        all(k == "tx_full" or not k.startswith(media_kinds) for k in drops)


def flood(lab, kind, rate, seconds):
    r = lab.mrfc("--quiet", "flood", "kind=" + kind, "rate=" + str(rate),
                 "seconds=%g" % seconds, check_rc=False, timeout=seconds * 3 + 60)
    line = [x for x in r.stdout.splitlines() if x.startswith("{")]
    if r.returncode != 0 or not line:
        raise mxplab.TestFailure("mrfc flood %s failed (%d): %s" % (kind, r.returncode,
                                                                   r.stderr[-400:]))
    return json.loads(line[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="2 s a flood (./scripts/test.sh)")
    ap.add_argument("--seconds", type=float, help="per flood (10; --short: 2)")
    ap.add_argument("--audit-rate", type=int, default=1000,
                    help="the sustainable rate of step 3 (1000 a second)")
    ap.add_argument("--default-marks", action="store_true",
                    help="overload control at the daemon's default marks (70 %% / 50 %%) of a "
                         "16,384-reply cache, instead of a mark computed for the flood")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    secs = a.seconds or (2 if a.short else 10)
    mglab.need_hugepages()
    failures = []
    rows = []

    def need(cond, what):
        if not cond:
            failures.append(what)

    lab = mglab.MpMemifLab("mp-flood")
    if a.default_marks:
        # The daemon's own marks (ocp_high_pct 70, ocp_low_pct 50) on a cache of 16,384
        # replies: the audit step must leave enough in it that the Adds reach 70 % before
        # they take the lab's 5,000 media port pairs.
        cache = 16384
        high = 70
        if a.audit_rate * secs < cache * high // 100 - 4000:
            ap.error("--default-marks: the audit step leaves %d replies; the Adds would need "
                     "more than 4,000 contexts to reach 70 %% of %d (give --seconds 10 or "
                     "more)" % (a.audit_rate * secs, cache))
        lab.mp_extra = "reply_cache = %d\n" % cache
    else:
        # A reply cache of 32,768 replies that the Add flood fills (refusals must then give
        # their room), and overload control (H.248.11) from about 1,200 replies above what
        # the audit step leaves in it, so that the Adds first create contexts, then are
        # refused.
        cache = 32768
        high = min(90, -(-(int(a.audit_rate * secs) + 1200) * 100 // cache))
        lab.mp_extra = ("reply_cache = %d\nocp_high_pct = %d\nocp_low_pct = %d\n"
                        % (cache, high, max(1, high - 3)))
    with lab:
        med, cli = {}, {}
        stop = threading.Event()
        steps = [("garbage", "max"), ("retransmit", "max"), ("audit", a.audit_rate),
                 ("add", "max"), ("audit", "max")]
        mt = threading.Thread(target=media, args=(lab, secs * len(steps) + 8, med))
        mt.start()
        # mixgen sets its conferences up through the CLI first
        mxplab.wait_for(lambda: lab.ctl_json("show", "memory")["conferences"]["count"] >= 10,
                        60, "mixgen's 10 conferences")
        ct = threading.Thread(target=cli_loop, args=(lab, stop, cli))
        ct.start()
        for kind, rate in steps:
            c0 = mp_counters(lab)
            f = flood(lab, kind, rate, secs)
            d = delta(c0, mp_counters(lab))
            rows.append({"kind": kind, "rate": rate, "flood": f, "daemon": d})
            got = d["messages"] + d["ctl_ring_full"] + d["port_missed"]
            if kind == "garbage":
                # random text: 400, or 406 when it happens to start like a compact
                # header ("!/" and a bad version)
                need(d["requests"] == 0 and f["message_errors"] == d["parse_errors"] and
                     set(f["codes"]) <= {"400", "406"},
                     "garbage: none applied, each one parsed answered with a message-level "
                     "error (400): %s %s" % (d, f))
            elif kind == "retransmit":
                need(d["requests"] - d["replies_cached"] == 1 and
                     f["replies"] == d["replies_cached"] + 1 and f["errors"] == 0,
                     "retransmit: applied once, every other copy answered from the cache: "
                     "%s %s" % (d, f))
            elif kind == "add":
                o = f["ocp"]
                need(o["request_code"] == 0, "add: ocp/mg_overload requested on ROOT: %s" % o)
                need(f["answered_twice"] == 0 and f["replies"] + f["unanswered"] == f["sent"]
                     and set(f["codes"]) <= {"510"} and o["refused_other"] == 0,
                     "add: every Add answered (created, or 510) or lost, never twice: %s" % f)
                need(o["notifies"] >= 1 and o["refused_overload"] >= 1 and
                     (o["first_cache_ms"] < 0 or
                      max(o["first_notify_ms"], o["first_overload_ms"]) < o["first_cache_ms"]),
                     "add: ocp/mg_overload and 510 'overloaded' before any 510 'reply cache "
                     "full': %s" % o)
                need(d["overload_refused"] >= o["refused_overload"] and
                     d["overload_notifies"] >= 1,
                     "add: the MRFP counted its refusals and Notify: %s" % d)
                need(o["subtracted"] == o["created"] and o["subtract_errors"] == 0,
                     "add: every context created subtracted, while overloaded: %s" % o)
                need(o["refused_cache"] == 0 and
                     (f["sent"] <= cache or d["refusals_evicted"] > 0),
                     "add: no 510 'reply cache full' (refusals give their room: %d of %d "
                     "Adds sent, %d refusals forgotten): %s"
                     % (f["sent"], cache, d["refusals_evicted"], o))
            elif rate == a.audit_rate:
                need(f["unanswered"] == 0 and f["errors"] == 0 and f["answered_twice"] == 0,
                     "audit at %s/s: every transaction answered without error: %s"
                     % (rate, f))
            else:
                need(f["answered_twice"] == 0 and
                     f["replies"] + f["unanswered"] == f["sent"] and
                     all(c == "510" for c in f["codes"]),
                     "audit as fast as mrfc sends: answered, 510 or lost, never twice: %s"
                     % f)
            rows[-1]["lost_on_the_way_in"] = max(0, f["sent"] - got)
            # the lab's af_packet ring (the kernel's PACKET_RX_RING, which DPDK 22.11's
            # af_packet driver does not count): reached the veth, not the port
            rows[-1]["lost_in_af_packet"] = max(0, d["veth_rx"] - d["port_rx"])
            # Packets the port received that are not Mp messages: ARP and ICMP of the lab,
            # and ESP the daemon refused before H.248 (counted under ESP's drops).
            other = max(0, d["port_rx"] - d["messages"])
            need(f["sent"] <= got + rows[-1]["lost_in_af_packet"] + other,
                 "%s: every message sent is accounted for (parsed, dropped in the lab's "
                 "af_packet ring, or refused before H.248): %d sent, %d reached H.248, %d "
                 "lost in af_packet, %d other" % (kind, f["sent"], got,
                                                  rows[-1]["lost_in_af_packet"], other))
        mt.join()
        stop.set()
        ct.join()
        need(med.get("ok"), "media under the Mp floods: every mixgen check passed (or only "
             "tx_full of Mp replies, every media packet received): %s" % med.get("failed"))
        if med.get("rc") != 0 and med.get("ok"):
            print("# mixgen: the control core's tx ring was full (Mp replies lost, no media "
                  "packet): %s" % med.get("failed"), flush=True)
        need(cli.get("failed") == 0 and cli.get("requests", 0) > 0,
             "the CLI answered every request during the floods: %s" % cli)
        rc = lab.stop()
        need(rc == 0, "SIGTERM: exit status %s" % rc)
    run = (med.get("json") or {}).get("run", {})
    out = {"benchmark": "mp_flood", "seconds_per_flood": secs, "reply_cache": cache,
           "ocp_high_pct": high, "rows": rows,
           "media": {"expected": run.get("expected"), "received": run.get("received"),
                     "lost": run.get("lost"), "rc": med.get("rc"), "ok": med.get("ok")},
           "cli": cli, "pass": not failures, "failures": failures}
    print("mp-flood: %g s a flood, in valid ESP, while mixgen carries 10 switch conferences "
          "of 4 and the CLI is asked every 50 ms; reply cache %d, overload from %d %%%s"
          % (secs, cache, high, " (the default mark)" if a.default_marks else ""))
    print("%-11s %6s %9s %9s %9s %9s %9s %9s %9s %9s %9s %10s" % (
        "flood", "rate", "sent/s", "replies/s", "cached", "err 400", "err 510", "overload",
        "ring full", "port miss", "af_packet", "p99 ms"))
    for r in rows:
        f, d = r["flood"], r["daemon"]
        print("%-11s %6s %9.0f %9.0f %9d %9d %9d %9d %9d %9d %9d %10s" % (
            r["kind"], r["rate"], f["sent_pps"], f["replies_pps"], d["replies_cached"],
            d["e400"], d["e510"], d["overload_refused"], d["ctl_ring_full"], d["port_missed"],
            r["lost_in_af_packet"],
            "%.1f" % f["latency_ms"]["p99"] if "latency_ms" in f else "-"))
        if "ocp" in f:
            o = f["ocp"]
            print("  ocp: %d Notify (first at %.0f ms), %d Adds refused 'overloaded' (first "
                  "at %.0f ms), %d 'reply cache full' (first at %s), %d contexts created and "
                  "%d subtracted" % (o["notifies"], o["first_notify_ms"],
                                     o["refused_overload"], o["first_overload_ms"],
                                     o["refused_cache"],
                                     "%.0f ms" % o["first_cache_ms"]
                                     if o["first_cache_ms"] >= 0 else "-",
                                     o["created"], o["subtracted"]))
    print("media: %s expected, %s received, %s lost (mixgen exit %s)" % (
        run.get("expected"), run.get("received"), run.get("lost"), med.get("rc")))
    print("CLI during the floods: %s requests, %s failed, p50 %s ms, p99 %s ms, max %s ms" % (
        cli.get("requests"), cli.get("failed"), fmt(cli.get("p50_ms")), fmt(cli.get("p99_ms")),
        fmt(cli.get("max_ms"))))
    return verdict.finish(out, failures, a.json)


def fmt(x):
    return "-" if x is None else "%.1f" % x


if __name__ == "__main__":
    verdict.run(main)

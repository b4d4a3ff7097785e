#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tables full, through the real daemon (issue 16, faults survived), and service back when
the pressure ends.

Leg table: the media port range is what bounds the legs of a daemon ([media] port_min ..
port_max, a port pair each); here it holds 4. The fifth leg is refused over the CLI (exit
status and the reason) and over Mp (510 Insufficient resources with the reason, counted under
errors_by_code), and changes nothing: no conference left behind by a context $ Add, no leg,
no port taken. Once a leg is deleted, a leg is added again, over the CLI and over Mp.

Reply cache: [mp] reply_cache = 64 entries kept 10 minutes. Distinct transactions fill it;
the next one gets 510 without being applied, counted as cache_full. The MRFC's
TransactionResponseAck frees the entries and transactions are answered again.

(The mbuf and header-mbuf pools running dry, and the conference table, are in
tests/unit/conf/test_conf_limits.c: a pool a test can hold empty.)
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, gen_key, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config  # noqa: E402
from esp_common import tmpdir  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"
PAIRS = 4          # port pairs in the media range below
CACHE = 64         # [mp] reply_cache (its minimum)
NO_PORT = "no free port pair in the media range 20000-%d" % (20000 + 2 * PAIRS - 1)


def crypto(key, mki=1):
    return "a=crypto:1 %s inline:%s|2^31|%d:4" % (SUITE, key, mki)


def add(tid, ctx, port):
    return ("Transaction = %d { Context = %s { Add = $ { Media { Stream = 1 { "
            "LocalControl { Mode = SendReceive }, Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n"
            "%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio %d RTP/SAVP 0\n%s\n} } } } } }"
            % (tid, ctx, crypto(gen_key()), KERNEL_IP4, port, crypto(gen_key())))


def audit(tid):
    return "Transaction = %d { Context = - { AuditValue = ROOT { Audit { } } } }" % tid


def tables(lab):
    """Conferences and their legs (ids and local ports), and what the memory view counts."""
    out = {}
    for c in lab.ctl_json("show", "conferences"):
        conf = lab.ctl_json("show", "conference", str(c["id"]))
        out[c["id"]] = sorted((l["id"], l["local_port"]) for l in conf["legs"])
    mem = lab.ctl_json("show", "memory")
    return json.dumps(out, sort_keys=True), mem["conferences"]["count"], mem["legs"]["count"]


def test():
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4,
                                 "reply_cache = %d\nreply_ttl_ms = 600000\n" % CACHE)
        media = "\n[media]\nport_min = 20000\nport_max = %d\n" % (20000 + 2 * PAIRS - 1)
        with Lab("mplim", extra_config=sect + media) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == "answered", 20,
                     "the ServiceChange to be answered")

            # -- leg table full: CLI ------------------------------------------------------
            conf = lab.conf_create()
            legs = [lab.leg_add(conf, gen_key(), gen_key(), (KERNEL_IP4, 6000 + 2 * i))
                    for i in range(PAIRS - 1)]
            # one more over Mp, in a context of its own: the range is now full
            r = b.transact(add(100, "$", 6100))
            m = re.search(r"Context = (\d+).*?Add = leg/(\d+)", r or "", re.S)
            check(m is not None, "an Mp Add while the range has room: %s" % r)
            mp_ctx, mp_leg = map(int, m.groups())
            before = tables(lab)
            check(before[2] == PAIRS, "%d legs: the media range is full" % before[2])

            keys = "in %s\nout %s\n" % (mxplab.crypto_line(gen_key()),
                                       mxplab.crypto_line(gen_key()))
            r = lab.ctl_input(keys, "leg", "add", str(conf), "remote", KERNEL_IP4, "6090",
                              check_rc=False)
            check(r.returncode != 0 and NO_PORT in r.stderr,
                  "CLI leg add beyond the range refused (exit %d): %s" % (r.returncode,
                                                                        r.stderr.strip()))
            check(tables(lab) == before, "the refused CLI leg changed nothing")

            # -- leg table full: Mp, in a new context and in an existing one ---------------
            e0 = lab.ctl_json("show", "mp")["errors_by_code"].get("510", 0)
            for tid, ctx in ((101, "$"), (102, str(mp_ctx))):
                r = b.transact(add(tid, ctx, 6102))
                check(r is not None and re.search(r"Error\s*=\s*510\b", r) and NO_PORT in r,
                      "Mp Add (context %s) beyond the range: 510 with the reason: %s"
                      % (ctx, (r or "no reply").strip().replace("\n", " ")[:300]))
                check(tables(lab) == before, "the refused Mp Add (context %s) changed nothing"
                      % ctx)
            e1 = lab.ctl_json("show", "mp")["errors_by_code"].get("510", 0)
            check(e1 - e0 == 2, "both refusals counted under errors_by_code 510 (%d)" % (e1 - e0))

            # -- recovery: a leg deleted, a leg added (CLI, then Mp) ------------------------
            lab.ctl("leg", "delete", str(legs[0]["id"]))
            r = lab.ctl_input(keys, "leg", "add", str(conf), "remote", KERNEL_IP4, "6090",
                              "--json")
            again = json.loads(r.stdout)
            check(again["local_port"] == legs[0]["local_port"],
                  "after a delete the CLI adds a leg on the freed port %d" % again["local_port"])
            lab.ctl("leg", "delete", str(again["id"]))
            r = b.transact(add(103, str(mp_ctx), 6104))
            check(r is not None and re.search(r"Add = leg/\d+", r) and "Error" not in r,
                  "after a delete an Mp Add succeeds again")

            # -- reply cache full --------------------------------------------------------
            st = lab.ctl_json("show", "mp")
            check(st["reply_cache_capacity"] == CACHE,
                  "reply cache capacity %d" % st["reply_cache_capacity"])
            free = CACHE - st["reply_cache"]
            check(free > 0, "%d of %d entries in use before the flood" % (st["reply_cache"], CACHE))
            first = 1000
            bad = [tid for tid in range(first, first + free)
                   if (lambda r: r is None or "Error" in r)(b.transact(audit(tid)))]
            check(bad == [], "%d distinct transactions answered (not: %s)" % (free, bad))
            full0 = lab.ctl_json("show", "mp")
            check(full0["reply_cache"] == CACHE, "the reply cache is full (%d)"
                  % full0["reply_cache"])
            for tid in (first + free, first + free + 1):
                r = b.transact(audit(tid))
                check(r is not None and re.search(r"Error\s*=\s*510\b", r) and
                      "reply cache full" in r,
                      "transaction %d beyond the cache: 510 reply cache full: %s"
                      % (tid, (r or "no reply").strip().replace("\n", " ")[:200]))
            full1 = lab.ctl_json("show", "mp")
            check(full1["cache_full"] - full0["cache_full"] == 2 and
                  full1["errors_by_code"].get("510", 0) - full0["errors_by_code"].get("510", 0)
                  == 2, "both refusals counted (cache_full %d)" % full1["cache_full"])
            check(full1["reply_cache"] == CACHE, "a refusal takes no entry")

            # -- recovery: the MRFC acknowledges the replies, the entries go -------------------
            b.send("MEGACO/3 [%s]:2944\nTransactionResponseAck { %d-%d }\n"
                   % (MRFC_B, first, first + free - 1))
            wait_for(lambda: lab.ctl_json("show", "mp")["reply_cache"] == CACHE - free, 10,
                     "the acknowledged replies to leave the cache")
            r = b.transact(audit(first + free + 2))
            check(r is not None and "Error" not in r,
                  "after the acknowledgement a new transaction is answered")
            check(lab.ctl_json("show", "mp")["cache_full"] == full1["cache_full"],
                  "no new cache_full")
            b.close()
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

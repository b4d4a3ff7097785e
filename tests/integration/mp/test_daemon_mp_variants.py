#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The other transports and encodings of Mp against the daemon:

1. IPv6, UDP-encapsulated ESP (RFC 3948, port 4500), AES-CBC + HMAC-SHA-256, compact
   H.248 tokens: mrfc adds a leg whose participant is on IPv6, media flows, the reply is in
   the compact style the request used, the leg is subtracted. A reply bigger than the MTU
   (an Add of 12 legs) leaves in IPv6 fragments the MRFC's kernel reassembles.
2. The lab flag: allow_plaintext_mp = yes accepts Mp in the clear from the configured MRFC
   and says so loudly in the log; another host is still refused (not_in_policy); with
   generate_keys = yes the MRFP generates the Local key when the Add gives none; a reply
   bigger than the MTU leaves in IPv4 fragments.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, DAEMON_IP6, KERNEL_IP4, KERNEL_IP6  # noqa: E402
from mplab import read_keys  # noqa: E402
from esp_common import MRFC, keygen, tmpdir  # noqa: E402


def ipv6_udp_compact():
    with tmpdir() as tmp:
        pf, cf = keygen(tmp, "aes-cbc-128-hmac-sha256-128", DAEMON_IP6, KERNEL_IP6, udp=True)
        sect = "\n[mp]\nsa_file = %s\nmrfc = %s\n" % (pf, KERNEL_IP6)
        with Lab("mpv6", extra_config=sect) as lab:
            lab.mrfc_sa = cf
            keys = os.path.join(lab.dir, "keys.txt")
            r = lab.mrfc("--compact", "add", "legs=2", "remote=[%s]:7100" % KERNEL_IP6, keys=keys)
            check("result add ok" in r.stdout and r.stdout.lstrip().startswith("!/3"),
                  "Add over IPv6 / UDP 4500 / AES-CBC-HMAC-SHA-256, answered in compact tokens")
            legs = read_keys(keys)
            check(all(l["mrfp"] == DAEMON_IP6 for l in legs) and "c=IN IP6 %s" % DAEMON_IP6 in r.stdout,
                  "the legs' local address is the daemon's IPv6 address")
            esp = lab.ctl_json("show", "esp")
            check(all(s["udp_encap"] for s in esp["sas"]) and esp["accepted"] >= 1,
                  "the SAs are UDP-encapsulated and the request came through them")
            res = lab.peer(KERNEL_IP6, rx=[(l["port"], l["rx"]) for l in legs],
                           tx=[(l["port"], l["mrfp"], l["mrfp_port"], l["tx"], 0x200 + i, i + 1)
                               for i, l in enumerate(legs)], count=20)
            check(res["rx"][str(legs[0]["port"])]["from"] == {"2": 20} and
                  res["rx"][str(legs[1]["port"])]["from"] == {"1": 20},
                  "media flows between the IPv6 participants")
            r = lab.mrfc("--compact", "subtract", "ctx=%d" % legs[0]["ctx"], "term=*", keys=keys)
            check("result subtract ok" in r.stdout and "stat %s rtp/pr 20" % legs[0]["term"] in r.stdout,
                  "Subtract = * returns each leg's statistics and ends the context")
            check(lab.ctl_json("show", "conferences") == [], "no conference left")
            r = lab.mrfc("--compact", "add", "legs=12", "remote=[%s]:7300" % KERNEL_IP6)
            mp = lab.ctl_json("show", "mp")
            check("result add ok" in r.stdout and r.stdout.count("c=IN IP6 %s" % DAEMON_IP6) >= 12
                  and mp["fragments_sent"] >= 2,
                  "a 12-leg Add: its reply crossed in %d IPv6 fragments, reassembled by the "
                  "MRFC's kernel" % mp["fragments_sent"])
            check(lab.stop() == 0, "clean exit")


def plaintext_lab():
    sect = "\n[mp]\nallow_plaintext_mp = yes\nmrfc = %s\ngenerate_keys = yes\n" % KERNEL_IP4
    with Lab("mppl", extra_config=sect) as lab:
        log = lab.read_log()
        check(log.count("allow_plaintext_mp is ON") >= 3 and "LAB USE ONLY" in log,
              "the daemon warns loudly at start that Mp in the clear is accepted")
        keys = os.path.join(lab.dir, "keys.txt")
        r = lab.mrfc("raw", "Transaction = 70 { Context = $ { Add = $ { Media { Stream = 1 { "
                     "Remote {\nv=0\nc=IN IP4 %s\nm=audio 7200 RTP/SAVP 0\na=crypto:1 "
                     "AES_CM_128_HMAC_SHA1_80 inline:%s|2^31|1:4\n} } } } } }"
                     % (KERNEL_IP4, mxplab.gen_key()), plaintext=True)
        check("result raw ok" in r.stdout and re.search(
            r"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<fp:[0-9a-f]{8}>\|2\^31\|1:4", r.stdout),
              "Mp in the clear accepted from the configured MRFC; with no Local a=crypto the "
              "MRFP generated the key it sends with (same suite and MKI length)")
        check(lab.ctl_json("show", "mp")["keys_generated"] == 1, "show mp counts it")
        # another host of the subnet is not the MRFC: refused
        lab.ns_add_addr("192.0.2.9")
        r = mxplab.run(["ip", "netns", "exec", lab.ns, MRFC, "--plaintext", "--mrfp", DAEMON_IP4,
                        "--local", "192.0.2.9", "--timeout", "1200", "--quiet", "audit",
                        "ctx=1"], check_rc=False)
        check(r.returncode == 3 and lab.ctl_json("show", "esp")["drops"]["not_in_policy"] >= 1,
              "a host that is not the MRFC gets nothing, even in the lab mode")
        r = lab.mrfc("add", "legs=12", "remote=%s:7400" % KERNEL_IP4, plaintext=True)
        mp = lab.ctl_json("show", "mp")
        check("result add ok" in r.stdout and r.stdout.count("c=IN IP4 %s" % DAEMON_IP4) >= 12
              and mp["fragments_sent"] >= 2,
              "a 12-leg Add in the clear: its reply crossed in %d IPv4 fragments"
              % mp["fragments_sent"])
        check(lab.stop() == 0, "clean exit")


def test():
    ipv6_udp_compact()
    plaintext_lab()


mxplab.main(test)

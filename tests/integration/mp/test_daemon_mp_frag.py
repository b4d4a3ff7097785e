#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""IP reassembly on the Mp control path: fragments the daemon gives up on are counted.

The other lab tests use net_af_packet, whose fanout has the kernel reassemble fragments
before the daemon sees them; this one reads the veth with net_pcap, so the fragments scapy
makes reach the daemon's own reassembly (rte_ip_frag) as sent. Each bad set is counted,
fragment by fragment, under the ESP endpoint's drop reason `reassembly` (show esp, its
--json, telemetry /mixplane/esp), and changes nothing else:

- a good set of two IPv4 fragments, and one of two IPv6 fragments, is reassembled (show mp
  `reassembled`), not a drop;
- IPv4 overlapping fragments (2), a duplicate first fragment (2), more fragments than
  rte_ip_frag holds (RTE_LIBRTE_IP_FRAG_MAX_FRAG = 8 in DPDK 22.11: the 7th middle
  fragment gives up the set of 7), an IPv6 duplicate first fragment (2);
- a set that never completes (1 fragment) is given up when its 2 s run out.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, wait_for, DAEMON_IP4, KERNEL_IP4, DAEMON_IP6, KERNEL_IP6  # noqa: E402

SEND = r'''
from scapy.all import (Ether, IP, IPv6, IPv6ExtHdrFragment, UDP, Raw, fragment, fragment6,
                       sendp, conf)
conf.verb = 0
eth = Ether(src=%(smac)r, dst=%(dmac)r)
v4 = dict(src=%(k4)r, dst=%(d4)r, proto=17)
v6 = dict(src=%(k6)r, dst=%(d6)r)
mp = UDP(sport=2944, dport=2944)
what = %(what)r
if what == "good":
    frames = [eth / f for f in fragment(IP(id=101, **v4) / mp / Raw(b"x" * 1600), fragsize=1000)]
elif what == "good6":
    frames = [eth / f for f in fragment6(IPv6(**v6) / IPv6ExtHdrFragment(id=107) / mp /
                                         Raw(b"x" * 1600), 1000)]
elif what == "overlap":
    frames = [eth / IP(id=102, flags="MF", frag=0, **v4) / Raw(b"a" * 1000),
              eth / IP(id=102, frag=63, **v4) / Raw(b"b" * 600)]   # 504..1104 overlaps 0..1000
elif what == "dupfirst":
    frames = [eth / IP(id=103, flags="MF", frag=0, **v4) / Raw(b"a" * 64)] * 2
elif what == "toomany":
    frames = [eth / IP(id=104, flags="MF", frag=k, **v4) / Raw(b"m" * 8) for k in range(1, 8)]
elif what == "v6dup":
    frames = [eth / IPv6(nh=44, **v6) / IPv6ExtHdrFragment(nh=17, id=105, m=1, offset=0) /
              Raw(b"a" * 64)] * 2
elif what == "incomplete":
    frames = [eth / IP(id=106, flags="MF", frag=0, **v4) / Raw(b"a" * 64)]
sendp(frames, iface=%(iface)r)
'''


def telemetry(lab, cmd):
    r = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix], input=cmd + "\n",
                       capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout[r.stdout.index("{"):])[cmd]


def test():
    with Lab("mpfrag", mp=True, pmd="pcap") as lab:
        dmac = lab.daemon_mac()

        def send(what):
            lab.ns_python(SEND % dict(smac=lab.kernel_mac, dmac=dmac, k4=KERNEL_IP4,
                                      d4=DAEMON_IP4, k6=KERNEL_IP6, d6=DAEMON_IP6,
                                      what=what, iface=lab.veth_k))

        def esp():
            return lab.ctl_json("show", "esp")

        def reass():
            return esp()["drops"]["reassembly"]

        check(reass() == 0, "show esp --json: drops.reassembly starts at 0")

        # A good set: reassembled, nothing discarded (Mp in the clear is then refused).
        send("good")
        wait_for(lambda: lab.ctl_json("show", "mp")["reassembled"] == 1, 10, "reassembly")
        wait_for(lambda: esp()["drops"]["plaintext"] == 1, 10, "the plaintext drop")
        check(reass() == 0, "a complete set of 2 fragments is reassembled, none discarded")
        send("good6")
        wait_for(lambda: lab.ctl_json("show", "mp")["reassembled"] == 2, 10, "IPv6 reassembly")
        wait_for(lambda: esp()["drops"]["plaintext"] == 2, 10, "the second plaintext drop")
        check(reass() == 0 and lab.ctl_json("show", "mp")["malformed"] == 0,
              "a complete set of 2 IPv6 fragments is reassembled into a well-formed packet")

        total = 0
        for what, n, desc in (("overlap", 2, "2 overlapping IPv4 fragments"),
                              ("dupfirst", 2, "a duplicated first IPv4 fragment"),
                              ("toomany", 7, "7 middle fragments: more than rte_ip_frag holds"),
                              ("v6dup", 2, "a duplicated first IPv6 fragment")):
            send(what)
            total += n
            wait_for(lambda: reass() >= total, 10, "the discards of " + desc)
            check(reass() == total, "%s: %d counted under reassembly (total %d)"
                  % (desc, n, total))
        check(lab.ctl_json("show", "mp")["reassembled"] == 2, "...and none was reassembled")

        # A set that never completes is given up when its time (2 s) runs out.
        send("incomplete")
        total += 1
        wait_for(lambda: reass() == total, 10, "the incomplete set to time out")
        check(reass() == total, "an incomplete set is discarded after its timeout (total %d)"
              % total)

        e = esp()
        check(e["accepted"] == 0 and sum(v for k, v in e["drops"].items()
                                         if k not in ("reassembly", "plaintext")) == 0,
              "no other drop reason and nothing accepted: %s" % e["drops"])
        txt = lab.ctl("show", "esp").stdout
        check("reassembly=%d" % total in txt, "show esp lists reassembly=%d" % total)
        te = telemetry(lab, "/mixplane/esp")
        check(te["drops"]["reassembly"] == total and te["drops"] == esp()["drops"],
              "telemetry /mixplane/esp drops.reassembly = %d, as show esp" % total)
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

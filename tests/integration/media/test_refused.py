"""Every packet the media path refuses is counted per leg and reason: a plain RTP mix leg
gets a duplicate, a payload over 120 ms, an empty one, an unknown payload type, a sequence
number far off, bad padding, a truncated header and a packet from another port. `show leg`
(JSON and text) and telemetry (/mixplane/leg,ID) show each reason moved by exactly its
packets, and nothing else did."""
import json
import subprocess
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4

SEND_SCAPY = r'''
from scapy.all import IP, UDP, Raw, send, conf
import time
conf.verb = 0
for sport, h in PKTS:
    send(IP(src="192.0.2.1", dst=DST)/UDP(sport=sport, dport=DPORT)/Raw(bytes.fromhex(h)))
    time.sleep(0.02)
'''


def rtp(seq, ts, pt=0, payload=b"\xff" * 160, pad=False):
    b0 = 0xa0 if pad else 0x80
    h = bytes([b0, pt, seq >> 8, seq & 0xff]) + ts.to_bytes(4, "big") + (0x1234).to_bytes(4, "big")
    if pad:
        payload = payload[:-1] + b"\xc8"  # padding count 200 > payload
    return (h + payload).hex()


def telemetry(lab, cmd):
    r = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix], input=cmd + "\n",
                       capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout[r.stdout.index("{"):])[cmd.split(",")[0]]


def test():
    with Lab("refused") as lab:
        conf = lab.conf_create("mode", "mix")
        leg = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, "5600",
                           "pt", "0")
        lid = str(leg["id"])
        good = 5600
        pkts = [
            (good, rtp(1, 1000), None),                              # taken
            (good, rtp(1, 1000), "duplicate"),
            (good, rtp(2, 1160, payload=b"\xff" * 961), "too_large"),
            (good, rtp(3, 1320, payload=b""), "bad_payload"),
            (good, rtp(4, 1480, pt=18), "unknown_pt"),
            (good, rtp(30000, 1640), "outlier"),
            (good, rtp(5, 1800, pad=True), "rtp_malformed"),
            (good, "8000", "rtp_malformed"),
            (5700, rtp(6, 1960), "source_mismatch"),                 # plain: no latching
            (good, rtp(7, 2120, payload=b"\xff" * 960), None),       # 120 ms: taken
        ]
        want = {}
        for _, _, r in pkts:
            if r:
                want[r] = want.get(r, 0) + 1
        before = lab.ctl_json("show", "leg", lid)
        check(before["refused"] == 0 and set(before["drops"]) >= set(want),
              "a new leg has refused nothing and names every reason (%s)"
              % ", ".join(sorted(before["drops"])))
        code = SEND_SCAPY.replace("PKTS", repr([(s, h) for s, h, _ in pkts])).replace(
            "DST", repr(DAEMON_IP4)).replace("DPORT", str(leg["local_port"]))
        lab.ns_python(code)
        mxplab.wait_for(lambda: lab.ctl_json("show", "leg", lid)["refused"] >= sum(want.values()),
                        10, "the refused packets to be counted")
        li = lab.ctl_json("show", "leg", lid)
        print("# drops %s" % {k: v for k, v in li["drops"].items() if v}, flush=True)
        for reason, n in sorted(want.items()):
            check(li["drops"][reason] == n, "show leg: %s counted %d (want %d)"
                  % (reason, li["drops"][reason], n))
        others = {k: v for k, v in li["drops"].items() if k not in want and v}
        check(not others and li["refused"] == sum(want.values()),
              "nothing else refused (%s), %d in all" % (others, li["refused"]))
        check(li["rx_packets"] == 2, "the two good packets taken (%d)" % li["rx_packets"])
        txt = lab.ctl("show", "leg", lid).stdout
        check("refused  %d packets" % sum(want.values()) in txt and "too_large 1" in txt,
              "show leg (text): %s" % [l for l in txt.splitlines() if "refused" in l])
        tm = telemetry(lab, "/mixplane/leg,%s" % lid)
        check(tm["drops"] == li["drops"] and tm["refused"] == li["refused"],
              "telemetry /mixplane/leg,%s: the same counters" % lid)
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

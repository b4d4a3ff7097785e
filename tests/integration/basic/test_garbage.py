"""A few thousand random, truncated and corrupted frames: the daemon counts each under a
drop reason, never crashes, and still answers ping afterwards."""
import mxplab
from mxplab import check, Lab, DAEMON_IP4

N_PER_KIND = 600

SENDER = r'''
import random, sys, json
from scapy.all import Ether, IP, IPv6, UDP, ICMP, ARP, Raw, conf
from scapy.layers.inet6 import ICMPv6EchoRequest
random.seed(20261128)
iface, mac, kmac, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = conf.L2socket(iface=iface)
valid = [
    Ether(dst=mac, src=kmac)/IP(src="192.0.2.1", dst="192.0.2.2")/UDP(sport=1234, dport=5004)/Raw(b"r"*160),
    Ether(dst=mac, src=kmac)/IP(src="192.0.2.1", dst="192.0.2.2")/ICMP()/Raw(b"p"*56),
    Ether(dst=mac, src=kmac)/IPv6(src="2001:db8::1", dst="2001:db8::2")/UDP(sport=1234, dport=5004)/Raw(b"r"*160),
    Ether(dst=mac, src=kmac)/IPv6(src="2001:db8::1", dst="2001:db8::2")/ICMPv6EchoRequest()/Raw(b"p"*56),
    Ether(dst=mac, src=kmac)/ARP(op=1, hwsrc=kmac, psrc="192.0.2.1", pdst="192.0.2.2"),
]
valid = [bytes(v) for v in valid]
sent = {"random": 0, "truncated": 0, "corrupted": 0}
def frames():
    for i in range(n):
        # random bytes, addressed to the daemon half of the time
        l = random.randint(1, 300)
        f = bytes(random.getrandbits(8) for _ in range(l))
        if i % 2 == 0 and l >= 14:
            f = bytes.fromhex(mac.replace(":", "")) + f[6:]
        yield "random", f
        # a valid frame cut short (past the Ethernet header)
        v = random.choice(valid)
        yield "truncated", v[:random.randint(15, len(v) - 1)]
        # a valid frame with 1-4 bytes flipped after the Ethernet header
        v = bytearray(random.choice(valid))
        for _ in range(random.randint(1, 4)):
            k = random.randint(14, len(v) - 1)
            v[k] ^= random.randint(1, 255)
        yield "corrupted", bytes(v)
batch = 0
for kind, f in frames():
    s.send(f)
    sent[kind] += 1
    batch += 1
    if batch == 150:
        batch = 0
        sys.stdout.write("batch\n"); sys.stdout.flush()
        sys.stdin.readline()  # wait for the test to see the daemon catch up
print(json.dumps(sent))
'''


def test():
    with Lab("garbage") as lab:
        mac = lab.daemon_mac()
        lab.ns_run(["ping", "-c", "1", "-W", "2", DAEMON_IP4])
        d0 = lab.drops()
        s0 = lab.stats()
        p0 = lab.ctl_json("show", "ports")[0]

        import subprocess, json
        proc = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns, "/usr/bin/python3", "-c", SENDER, lab.veth_k, mac,
             lab.kernel_mac, str(N_PER_KIND)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        total = 0
        while True:
            line = proc.stdout.readline()
            if not line.startswith("batch"):
                break
            total += 150
            # pace: let the daemon receive the batch before the next one
            mxplab.wait_for(lambda: lab.stats()["rx_packets"] - s0["rx_packets"] >= total,
                            20, "the daemon to receive %d frames" % total)
            proc.stdin.write("\n")
            proc.stdin.flush()
        sent = json.loads(line)
        proc.wait(timeout=30)
        n = sum(sent.values())
        check(n == 3 * N_PER_KIND, "sent %d random, truncated and corrupted frames" % n)
        mxplab.wait_for(lambda: lab.stats()["rx_packets"] - s0["rx_packets"] >= n, 20,
                        "all frames received")

        out = lab.ns_run(["ping", "-c", "3", "-i", "0.2", "-W", "2", DAEMON_IP4]).stdout
        check(" 3 received" in out, "daemon still answers ping after the garbage")
        check(lab.proc.poll() is None, "daemon still running")

        d1 = lab.drops()
        s1 = lab.stats()
        p1 = lab.ctl_json("show", "ports")[0]
        dd = {k: d1[k] - d0[k] for k in d1 if d1[k] != d0[k]}
        print("# drops:", dd)
        accounted = (sum(dd.values()) + (s1["echo_replies"] - s0["echo_replies"])
                     + (s1["to_control"] - s0["to_control"]))
        check(accounted >= n, "every frame is accounted for: %d drops + replies + control >= %d sent"
              % (accounted, n))
        check(p1["rx_missed"] == p0["rx_missed"], "no frame missed by the port")
        for reason in ("l2_not_for_us", "ipv4_malformed", "ipv4_checksum", "udp_malformed",
                       "udp_checksum", "icmp_checksum", "ipv6_malformed", "arp_malformed"):
            check(dd.get(reason, 0) > 0, "drop reason %s counted (%d)" % (reason, dd.get(reason, 0)))
        text = lab.ctl("show", "drops").stdout
        check("udp_checksum" in text and "description" in text, "show drops lists the reasons")
        check(lab.stop() == 0, "clean exit after the garbage")


mxplab.main(test)

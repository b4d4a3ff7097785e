"""Legs through the real daemon: stream modes, removal, IPv6, a 100-leg conference, and bad
input (unexpected source, wrong SSRC, bad tag, replay, malformed RTP) counted under its
reason with nothing forwarded."""
import mxplab
from mxplab import check, Lab, DAEMON_IP4, DAEMON_IP6, KERNEL_IP4, KERNEL_IP6, gen_key

SEND_SCAPY = r'''
import sys
from scapy.all import IP, UDP, Raw, send, conf
conf.verb = 0
dst, dport, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for h in sys.argv[4:]:
    send(IP(src="192.0.2.1", dst=dst)/UDP(sport=sport, dport=dport)/Raw(bytes.fromhex(h)))
'''


def test():
    with Lab("legs") as lab:
        # -- stream modes --------------------------------------------------------------------
        conf = lab.conf_create()
        legs = {}
        for name, port, mode in (("talker", 5200, "sendrecv"), ("listener", 5202, "recvonly"),
                                 ("mute", 5204, "sendonly"), ("away", 5206, "inactive")):
            k_in, k_out = gen_key(), gen_key()
            legs[name] = dict(port=port, k_in=k_in, k_out=k_out,
                              leg=lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, port), "mode", mode))
        L = legs
        tx = [(L[n]["port"], DAEMON_IP4, L[n]["leg"]["local_port"], L[n]["k_in"], 0x300 + i, i + 1)
              for i, n in enumerate(("talker", "listener", "mute", "away"))]
        res = lab.peer(KERNEL_IP4, rx=[(L[n]["port"], L[n]["k_out"]) for n in L], tx=tx, count=10)
        rx = {n: res["rx"][str(L[n]["port"])]["from"] for n in L}
        check(rx["talker"] == {"3": 10}, "sendrecv hears the sendonly leg only (%s)" % rx["talker"])
        check(rx["listener"] == {"1": 10, "3": 10}, "recvonly hears both senders (%s)" % rx["listener"])
        check(rx["mute"] == {} and rx["away"] == {}, "sendonly and inactive legs receive nothing")
        d = lab.drops()
        check(d["leg_not_sending"] == 20, "recvonly and inactive media counted as leg_not_sending (%d)"
              % d["leg_not_sending"])

        # -- removal stops delivery at once ---------------------------------------------------
        r = lab.ctl("leg", "delete", str(L["listener"]["leg"]["id"]))
        check("deleted" in r.stdout and "rx 0 packets, tx 20 packets" in r.stdout,
              "leg delete prints its last counters: %s" % r.stdout.strip())
        res = lab.peer(KERNEL_IP4, rx=[(L["listener"]["port"], L["listener"]["k_out"])],
                       tx=[tx[0]], count=10, wait_ms=300)
        check(res["rx"][str(L["listener"]["port"])]["packets"] == 0,
              "a deleted leg receives nothing more")
        r = lab.ctl("show", "leg", str(L["listener"]["leg"]["id"]), check_rc=False)
        check(r.returncode == 3 and "no leg" in r.stderr, "show leg of a deleted leg: exit 3")

        # -- bad input on a fresh pair of legs ---------------------------------------------------
        conf2 = lab.conf_create()
        ka, kb = gen_key(), gen_key()
        a = lab.leg_add(conf2, ka, gen_key(), (KERNEL_IP4, 5300))
        b_out = gen_key()
        b = lab.leg_add(conf2, kb, b_out, (KERNEL_IP4, 5302))
        # one genuine packet fixes a's SSRC
        lab.peer(KERNEL_IP4, tx=[(5300, DAEMON_IP4, a["local_port"], ka, 0x777, 1)], count=1,
                 wait_ms=100)
        d0 = lab.drops()
        cases = {
            "rtp_truncated": ["8000"],
            "rtp_version": ["40000001000000010000077700112233"],
            "rtp_csrc": ["8f00000100000001000007770011223344"],
            "rtp_ext": ["90000001000000010000077700bede0009"],
            "srtp_auth": ["800003f2000000a000000777" + "ab" * 170],
        }
        hexes = [h for v in cases.values() for h in v]
        lab.ns_python(SEND_SCAPY.replace("sys.argv[4:]", repr(hexes)).replace(
            "sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
            "%r, %d, 5300" % (DAEMON_IP4, a["local_port"])))
        mxplab.wait_for(lambda: sum(lab.drops().values()) - sum(d0.values()) >= len(hexes), 10,
                        "the malformed packets to be counted")
        d1 = lab.drops()
        for reason, pkts in cases.items():
            check(d1[reason] - d0[reason] == len(pkts), "%s counted (%d)" % (reason, d1[reason] - d0[reason]))
        # replay, forgery, bad padding, wrong SSRC, and a valid packet from an unknown host
        lab.ns_add_addr("192.0.2.9")
        # (the tool numbers sender ID n's packets from n*1000: new IDs, fresh sequence numbers)
        res = lab.peer(KERNEL_IP4, rx=[(5302, b_out)],
                       tx=[(5300, DAEMON_IP4, a["local_port"], ka, 0x777, 2)], count=0,
                       extra=["--replay", "0", "--pad-bad", "2", "--forge", "2"], wait_ms=200)
        res2 = lab.peer(KERNEL_IP4, tx=[(5300, DAEMON_IP4, a["local_port"], ka, 0x778, 3)],
                        count=3, wait_ms=100)
        res3 = lab.peer("192.0.2.9", tx=[(5300, DAEMON_IP4, a["local_port"], gen_key(), 0x777, 4)],
                        count=2, wait_ms=100)
        d2 = lab.drops()
        check(d2["rtp_padding"] - d1["rtp_padding"] == 2, "padding beyond the payload: rtp_padding")
        check(d2["srtp_auth"] - d1["srtp_auth"] == 2, "forged packets: srtp_auth")
        check(d2["srtp_ssrc"] - d1["srtp_ssrc"] == 3, "a second SSRC on the leg: srtp_ssrc")
        check(d2["source_mismatch"] - d1["source_mismatch"] == 2,
              "another host with a wrong key: source_mismatch, no latching")
        la = lab.ctl_json("show", "leg", str(a["id"]))
        check(la["remote"] == KERNEL_IP4 and la["latches"] == 0, "the leg did not move")
        check(res["rx"]["5302"]["packets"] == 0, "nothing of the bad input was forwarded")
        # a participant behind NAT: same key, new address and port → latched
        lab.peer("192.0.2.9", tx=[(5999, DAEMON_IP4, a["local_port"], ka, 0x777, 5)], count=3,
                 wait_ms=100)
        la = lab.ctl_json("show", "leg", str(a["id"]))
        check(la["remote"] == "192.0.2.9" and la["remote_port"] == 5999 and la["latches"] == 1,
              "an authenticated packet from a new address latches the leg there (%s:%s, %d)"
              % (la["remote"], la["remote_port"], la["latches"]))

        # -- keys that are refused, with a reason and nothing changed ---------------------------
        import base64
        short = base64.b64encode(b"k" * 20).decode()
        n_before = len(lab.ctl_json("show", "conference", str(conf2))["legs"])
        for keys, want in (
                ("in a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\nout %s\n" % (short, mxplab.crypto_line(gen_key())), "30"),
                ("in a=crypto:1 AES_CM_128_HMAC_SHA1_99 inline:%s\nout %s\n" % (gen_key(), mxplab.crypto_line(gen_key())), "suite"),
                ("in %s\n" % mxplab.crypto_line(gen_key()), "out"),
                ("in a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s UNENCRYPTED_SRTP\nout %s\n" % (gen_key(), mxplab.crypto_line(gen_key())), "UNENCRYPTED_SRTP"),
                ("in %s\nout %s UNENCRYPTED_SRTCP\n" % (mxplab.crypto_line(gen_key()), mxplab.crypto_line(gen_key())), "UNENCRYPTED_SRTCP")):
            r = lab.ctl_input(keys, "leg", "add", str(conf2), "remote", KERNEL_IP4, "5500", check_rc=False)
            check(r.returncode == 2 and want in r.stderr and short not in r.stderr,
                  "refused key: %s" % r.stderr.strip())
        check(len(lab.ctl_json("show", "conference", str(conf2))["legs"]) == n_before,
              "refused legs changed nothing")

        # -- IPv6 legs -------------------------------------------------------------------------
        conf3 = lab.conf_create()
        k = [(gen_key(), gen_key()) for _ in range(2)]
        l6 = [lab.leg_add(conf3, k[i][0], k[i][1], (KERNEL_IP6, 5400 + 2 * i), "ipv6")
              for i in range(2)]
        check(l6[0]["local"] == DAEMON_IP6, "IPv6 leg on the port's IPv6 address")
        res = lab.peer(KERNEL_IP6, rx=[(5400, k[0][1]), (5402, k[1][1])],
                       tx=[(5400, DAEMON_IP6, l6[0]["local_port"], k[0][0], 0x600, 1),
                           (5402, DAEMON_IP6, l6[1]["local_port"], k[1][0], 0x601, 2)], count=20)
        check(res["rx"]["5400"]["from"] == {"2": 20} and res["rx"]["5402"]["from"] == {"1": 20},
              "IPv6 participants hear each other")

        # -- a 100-leg conference: one talker, 99 listeners, half in one key group -------------
        conf4 = lab.conf_create("name", "hundred")
        group = gen_key()
        t_in = gen_key()
        talker = lab.leg_add(conf4, t_in, gen_key(), (KERNEL_IP4, 7000))
        rxs = []
        for i in range(99):
            kout = group if i % 2 else gen_key()
            lab.leg_add(conf4, gen_key(), kout, (KERNEL_IP4, 7002 + 2 * i), "mode", "recvonly")
            rxs.append((7002 + 2 * i, kout))
        rcv = lab.peer(KERNEL_IP4, rx=rxs, count=0, wait_ms=15000, extra=["--expect", str(99 * 10)],
                       background=True)
        lab.peer(KERNEL_IP4, tx=[(7000, DAEMON_IP4, talker["local_port"], t_in, 0x900, 5)], count=10,
                 wait_ms=100)
        rcv = mxplab.peer_result(rcv)
        heard = sum(1 for p, _ in rxs if rcv["rx"][str(p)]["from"] == {"5": 10})
        check(heard == 99, "all 99 listeners heard all 10 packets (%d)" % heard)
        info = lab.ctl_json("show", "conference", str(conf4))
        check(len(info["legs"]) == 100, "100 legs")
        check(info["encryptions"] == 10 * (50 + 1),
              "%d encryptions: 50 individual keys + 1 group, per packet" % info["encryptions"])
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

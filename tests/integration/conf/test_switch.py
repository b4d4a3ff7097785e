"""Switch mode through the real daemon, participants made with libsrtp2 on the kernel side:
every sender's exact payload reaches every other receiver and never the sender; individual
keys cost one encryption per receiver, a key group one encryption per packet."""
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

N = 50


def test():
    with Lab("switch") as lab:
        # -- three participants with individual keys -------------------------------------
        conf = lab.conf_create("mode", "switch", "name", "individual")
        parts = []
        for i, port in enumerate((5000, 5002, 5004)):
            k_in, k_out = gen_key(), gen_key()
            leg = lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, port), "label", "p%d" % i)
            parts.append(dict(id=i + 1, port=port, k_in=k_in, k_out=k_out, leg=leg))
        check(len({p["leg"]["local_port"] for p in parts}) == 3, "three legs, three local ports")
        res = lab.peer(KERNEL_IP4,
                       rx=[(p["port"], p["k_out"]) for p in parts],
                       tx=[(p["port"], DAEMON_IP4, p["leg"]["local_port"], p["k_in"],
                            0x1000 + p["id"], p["id"]) for p in parts], count=N)
        for p in parts:
            got = res["rx"][str(p["port"])]
            want = {str(q["id"]): N for q in parts if q is not p}
            check(got["from"] == want,
                  "participant %d heard exactly %s (got %s)" % (p["id"], want, got["from"]))
            check(got["auth_fail"] == 0 and got["bad_payload"] == 0,
                  "participant %d: every packet authenticated, every payload intact" % p["id"])
            check(len(got["ssrcs"]) == 2 and 0x1000 + p["id"] not in got["ssrcs"],
                  "participant %d: one output stream per sender, own SSRCs" % p["id"])
        c = lab.ctl_json("show", "conference", str(conf))
        check(c["encryptions"] == 2 * 3 * N,
              "individual keys: %d encryptions for %d packets to 2 receivers each"
              % (c["encryptions"], 3 * N))
        check(len(c["keygroups"]) == 3, "three key groups")
        for leg in c["legs"]:
            check(leg["rx_packets"] == N and leg["tx_packets"] == 2 * N and leg["auth_failures"] == 0,
                  "leg %d: %d in, %d out (show conference --json)" % (leg["id"], leg["rx_packets"],
                                                                    leg["tx_packets"]))

        # -- one sender, four receivers sharing the mixer's key (a key group) ---------------
        # The receivers live on another host address the daemon has never heard from: it
        # must resolve it by ARP before it can send.
        lab.ns_add_addr("192.0.2.3")
        conf2 = lab.conf_create("mode", "switch", "name", "group")
        group_key = gen_key()
        s_in = gen_key()
        sender = lab.leg_add(conf2, s_in, gen_key(), (KERNEL_IP4, 6000), "mode", "sendonly")
        rx_ports = [6100 + 2 * i for i in range(4)]
        for port in rx_ports:
            lab.leg_add(conf2, gen_key(), group_key, ("192.0.2.3", port), "mode", "recvonly")
        rcv = lab.peer("192.0.2.3", rx=[(p, group_key) for p in rx_ports], count=0,
                       wait_ms=10000, extra=["--expect", str(4 * N)], background=True)
        snd = lab.peer(KERNEL_IP4, tx=[(6000, DAEMON_IP4, sender["local_port"], s_in, 0x2222, 7)],
                       count=N, wait_ms=100)
        rcv = mxplab.peer_result(rcv)
        check(snd["sent"]["7"] == N, "sender sent %d" % N)
        for p in rx_ports:
            got = rcv["rx"][str(p)]
            check(got["from"] == {"7": N} and got["auth_fail"] == 0,
                  "group receiver %d heard the sender's %d packets, decrypted with the group key (%s)"
                  % (p, N, got))
        c = lab.ctl_json("show", "conference", str(conf2))
        kg = [k for k in c["keygroups"] if k["members"] == 4]
        check(len(kg) == 1, "one key group of four members")
        check(kg[0]["encryptions"] == N and kg[0]["sent"] == 4 * N,
              "key group: %d encryptions and %d packets sent for %d packets in (once per group)"
              % (kg[0]["encryptions"], kg[0]["sent"], N))
        nb = lab.ctl_json("show", "neighbours")
        check(any(n["address"] == "192.0.2.3" and n["state"] == "reachable" for n in nb),
              "the daemon resolved 192.0.2.3 by ARP")
        text = lab.ctl("show", "conference", str(conf2)).stdout
        check("fingerprint" in text and group_key not in text, "show conference: fingerprints, no keys")
        text = lab.ctl("show", "leg", str(sender["id"])).stdout
        check(s_in not in text and "in keys" in text, "show leg: fingerprints, no keys")
        d = lab.drops()
        check(d["srtp_auth"] == 0 and d["source_mismatch"] == 0, "no authentication drops")
        check(lab.stop() == 0, "clean exit with conferences running")


mxplab.main(test)

"""The daemon on a veth (net_af_packet) answers ARP, ping and ping6 from the kernel side;
UDP to an unknown port is counted as dropped; show ports/neighbours report it."""
import mxplab
from mxplab import check, Lab, DAEMON_IP4, DAEMON_IP6, KERNEL_IP4, KERNEL_IP6


def test():
    with Lab("arp-ping") as lab:
        mac = lab.daemon_mac()
        before = lab.ctl_json("show", "ports")[0]

        # ARP: the kernel resolves the daemon's address to the port's MAC.
        lab.ns_run(["ping", "-c", "3", "-i", "0.2", "-W", "2", DAEMON_IP4])
        neigh = lab.ns_run(["ip", "neigh", "show", DAEMON_IP4]).stdout
        check(mac in neigh.lower(), "kernel resolved %s to the daemon MAC %s (%s)"
              % (DAEMON_IP4, mac, neigh.strip()))
        # Ping: exact count of replies.
        out = lab.ns_run(["ping", "-c", "5", "-i", "0.2", "-W", "2", DAEMON_IP4]).stdout
        check(" 5 received" in out, "5 IPv4 echo requests, 5 replies")
        out = lab.ns_run(["ping", "-6", "-c", "5", "-i", "0.2", "-W", "2", DAEMON_IP6]).stdout
        check(" 5 received" in out, "5 IPv6 echo requests, 5 replies (after neighbour discovery)")
        neigh6 = lab.ns_run(["ip", "-6", "neigh", "show", DAEMON_IP6]).stdout.lower()
        check(mac in neigh6, "kernel resolved %s to the daemon MAC by ND" % DAEMON_IP6)
        # A large ping (still one frame) is echoed byte for byte.
        out = lab.ns_run(["ping", "-c", "2", "-s", "1400", "-p", "a5", "-i", "0.2", DAEMON_IP4]).stdout
        check(" 2 received" in out, "1400-byte echo payload returned")

        # The daemon learned the kernel side as a neighbour (from ARP / NS).
        nb = lab.ctl_json("show", "neighbours")
        learned = {(n["address"], n["mac"].lower() if n["mac"] else None, n["state"]) for n in nb}
        check((KERNEL_IP4, lab.kernel_mac, "reachable") in learned,
              "show neighbours has %s at %s" % (KERNEL_IP4, lab.kernel_mac))
        check((KERNEL_IP6, lab.kernel_mac, "reachable") in learned,
              "show neighbours has %s at %s" % (KERNEL_IP6, lab.kernel_mac))
        text = lab.ctl("show", "neighbours").stdout
        check(KERNEL_IP4 in text and "reachable" in text, "show neighbours text table")

        # UDP to a port no leg uses: counted under udp_no_leg, exactly.
        d0 = lab.drops()["udp_no_leg"]
        lab.ns_python(
            "import socket\n"
            "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "[s.sendto(b'x'*40, ('%s', 40000+i)) for i in range(25)]\n"
            "s6=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
            "[s6.sendto(b'y'*40, ('%s', 40000+i)) for i in range(5)]\n" % (DAEMON_IP4, DAEMON_IP6))
        mxplab.wait_for(lambda: lab.drops()["udp_no_leg"] - d0 >= 30, 10, "30 udp_no_leg drops")
        check(lab.drops()["udp_no_leg"] - d0 == 30, "30 datagrams to unknown ports counted as udp_no_leg")

        # show ports: counters moved by at least what we sent and received.
        after = lab.ctl_json("show", "ports")[0]
        check(after["link_up"], "port link is up")
        check(after["ipv4"] == DAEMON_IP4 + "/24" and after["ipv6"] == DAEMON_IP6 + "/64",
              "show ports --json reports the configured addresses")
        rx = after["rx_packets"] - before["rx_packets"]
        tx = after["tx_packets"] - before["tx_packets"]
        check(rx >= 3 + 5 + 5 + 2 + 30, "rx_packets grew by at least the %d frames sent (%d)" % (45, rx))
        check(tx >= 3 + 5 + 5 + 2, "tx_packets grew by at least the 15 echo replies (%d)" % tx)
        check(after["rx_bytes"] > before["rx_bytes"] and after["tx_bytes"] > before["tx_bytes"],
              "byte counters grew")
        st = lab.stats()
        check(st["echo_replies"] >= 15, "show stats counts the echo replies (%d)" % st["echo_replies"])
        text = lab.ctl("show", "ports").stdout
        check("port0" in text and DAEMON_IP4 in text and "rx-pkts" in text, "show ports text table")

        rc = lab.stop()
        check(rc == 0, "SIGTERM: daemon exits 0 (got %s)" % rc)


mxplab.main(test)

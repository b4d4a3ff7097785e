"""show ports says when the link of a net_af_packet port is down: the kernel interface under
it down (the daemon's end of the veth) or without a carrier (the other end down), in the
table and in --json, and up again once both ends are. (DPDK 22.11's af_packet driver reports
its link up from start to stop; the daemon asks the kernel.)"""
import mxplab
from mxplab import Lab, check, run, wait_for


def link(lab):
    j = lab.ctl_json("show", "ports")[0]
    text = lab.ctl("show", "ports").stdout.splitlines()[1].split()
    return j["link_up"], text[3]


def test():
    with Lab("link", ipv6=False) as lab:
        check(link(lab) == (True, "up"), "link up at start: %s" % (link(lab),))
        for end, cmd in (("the other end", lambda s: lab.ns_run(
                ["ip", "link", "set", lab.veth_k, s])),
                ("the daemon's end", lambda s: run(["ip", "link", "set", lab.veth_d, s]))):
            cmd("down")
            check(link(lab) == (False, "down"), "%s down: show ports says down %s"
                  % (end, link(lab),))
            cmd("up")
            up = wait_for(lambda: link(lab)[0], 10, "the carrier back")
            check(up and link(lab)[1] == "up", "%s up again: show ports says up" % end)
        check(lab.ctl("show", "version", check_rc=False).returncode == 0,
              "the daemon still answers")


mxplab.main(test)

"""Two workers (oversubscribed lcores: a functional test): conferences are spread over the
workers, and packets that arrive on the other worker's queue are handed to the owner, so
every participant still hears every other one."""
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

N = 40


def test():
    with Lab("workers", workers=2) as lab:
        st = lab.stats()
        check(len(st["workers"]) == 2, "two workers")
        confs = [lab.conf_create() for _ in range(2)]
        owners = {lab.ctl_json("show", "conference", str(c))["worker"] for c in confs}
        check(owners == {0, 1}, "the two conferences live on different workers (%s)" % owners)
        rx, tx = [], []
        pid = 1
        for c in confs:
            for k in range(3):
                port = 8000 + 2 * pid
                k_in, k_out = gen_key(), gen_key()
                leg = lab.leg_add(c, k_in, k_out, (KERNEL_IP4, port))
                rx.append((port, k_out, c))
                tx.append((port, DAEMON_IP4, leg["local_port"], k_in, 0x7000 + pid, pid))
                pid += 1
        # Every receiver hears the two others of its conference: 6 x 2 x N packets. Wait for
        # all of them (up to 5 s after the last send: three polling threads share two CPUs
        # here, so a worker can be off the CPU for a while at the end); end as soon as they
        # are in.
        res = lab.peer(KERNEL_IP4, rx=[(p, k) for p, k, _ in rx], tx=tx, count=N,
                       wait_ms=5000, extra=["--expect", str(len(rx) * 2 * N)])
        for i, (port, _, c) in enumerate(rx):
            same = [t[5] for j, t in enumerate(tx) if rx[j][2] == c and j != i]
            want = {str(s): N for s in same}
            got = res["rx"][str(port)]["from"]
            if got != want:
                print("# drops:", lab.drops())
                print("# stats:", lab.stats())
            check(got == want, "participant on port %d heard its conference only: %s" % (port, got))
        d = lab.drops()
        check(d["handoff_full"] == 0, "no handoff drops")
        st = lab.stats()
        busy = [w["rx_packets"] for w in st["workers"]]
        print("# packets received per worker:", busy)
        check(lab.stop() == 0, "clean exit with two workers")


mxplab.main(test)

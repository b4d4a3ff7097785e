"""Forward mode: senders use the conference key; the daemon checks tag and replay window
without decrypting and forwards the packets unchanged; forged and replayed packets stop."""
import os
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

N = 40


def test():
    with Lab("forward") as lab:
        conf = lab.conf_create("mode", "forward")
        K = gen_key()
        a = lab.leg_add(conf, K, K, (KERNEL_IP4, 5100))
        b = lab.leg_add(conf, K, K, (KERNEL_IP4, 5102))
        c = lab.leg_add(conf, K, K, (KERNEL_IP4, 5104))
        r = lab.ctl_input("in %s\nout %s\n" % (mxplab.crypto_line(gen_key()), mxplab.crypto_line(K)),
                          "leg", "add", str(conf), "remote", KERNEL_IP4, "5106", check_rc=False)
        check(r.returncode == 2 and "conference key" in r.stderr,
              "a leg with another key is refused in forward mode: %s" % r.stderr.strip())
        check(lab.ctl_json("show", "conference", str(conf))["legs"].__len__() == 3,
              "the refused leg changed nothing")

        sent_hashes = os.path.join(lab.dir, "sent.txt")
        rcv = lab.peer(KERNEL_IP4, rx=[(5102, K), (5104, K)], count=0, wait_ms=10000,
                       extra=["--raw-out", os.path.join(lab.dir, "rcv.txt"),
                              "--expect", str(2 * N)], background=True)
        snd = lab.peer(KERNEL_IP4, tx=[(5100, DAEMON_IP4, a["local_port"], K, 0x4242, 1)],
                       count=N, wait_ms=200, extra=["--raw-out", sent_hashes, "--replay", "3",
                                                    "--forge", "5"])
        rcv = mxplab.peer_result(rcv)
        with open(sent_hashes) as f:
            sent = [l.split()[1] for l in f]
        good = sent[:N]
        for port in ("5102", "5104"):
            got = rcv["rx"][port]
            check(got["from"] == {"1": N} and got["auth_fail"] == 0,
                  "receiver %s got the %d genuine packets and nothing else (%s)" % (port, N, got["from"]))
            check(got["hashes"] == good,
                  "receiver %s: every packet byte-identical to what the sender put on the wire" % port)
        d = lab.drops()
        check(d["srtp_replay"] == 3, "3 replayed packets counted as srtp_replay (%d)" % d["srtp_replay"])
        check(d["srtp_auth"] == 5, "5 forged packets counted as srtp_auth (%d)" % d["srtp_auth"])
        info = lab.ctl_json("show", "conference", str(conf))
        check(info["decryptions"] == 0 and info["encryptions"] == 0,
              "forward mode decrypts and encrypts nothing")
        la = lab.ctl_json("show", "leg", str(a["id"]))
        check(la["rx_packets"] == N and la["replays"] == 3 and la["auth_failures"] == 5,
              "show leg: %d in, 3 replays, 5 auth failures" % N)
        check(la["ssrc"] == 0x4242, "show leg: the sender's SSRC")
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Mp over SCTP (H.248.4) inside ESP against the real daemon, end to end.

The daemon runs with `[mp] transport = sctp` and opens the association to the MRFC (mrfc
--transport sctp in the lab's namespace, user-space SCTP and ESP on both sides). Add,
Modify and Subtract a conference over it; each mrfc run ends the association (ABORT) and
the next one gets a new association followed by ServiceChange Disconnected; the conference
outlives the associations. An mrfc killed with SIGKILL sends nothing: the daemon notices
the silence (heartbeats), counts the association lost, and associates again when an mrfc
is back. Every ESP packet on the veth is decrypted with scapy (its own ESP) and the inner
packets are dissected by tshark: SCTP with PPID 7 carrying MEGACO text. Also: the same
inside UDP-encapsulated ESP (4500), and `transport = sctp` without `mrfc` refused at start.
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, KERNEL_IP4, wait_for  # noqa: E402
from mplab import Capture, esp_inner, read_keys, tshark_megaco  # noqa: E402
from esp_common import MRFC  # noqa: E402

SCTP = ["--transport", "sctp"]


def mp(lab):
    return lab.ctl_json("show", "mp")


def test_needs_mrfc():
    """transport = sctp without [mp] mrfc: the daemon refuses to start and says why."""
    try:
        with Lab("mpsctp0", extra_config="\n[esp]\nallow_plaintext_mp = yes\n[mp]\n"
                                          "transport = sctp\n"):
            pass
        started = True
    except mxplab.TestFailure as e:
        started = False
        msg = str(e)
    check(not started and "transport = sctp needs [mp] mrfc" in msg,
          "transport = sctp without mrfc is refused at start")


def test_udp_encap():
    """The same association inside UDP-encapsulated ESP (port 4500)."""
    with Lab("mpsctpu", mp=True, mp_udp=True, mp_extra="transport = sctp\n") as lab:
        keys = os.path.join(lab.dir, "keys.txt")
        r = lab.mrfc(*SCTP, "add", "legs=1", "mode=mix", "remote=%s:5000" % KERNEL_IP4,
                     keys=keys)
        ctx = read_keys(keys)[0]["ctx"]
        r2 = lab.mrfc(*SCTP, "subtract", "ctx=%d" % ctx, "term=*", keys=keys)
        esp = lab.ctl_json("show", "esp")
        m = mp(lab)
        check("result add ok" in r.stdout and "result subtract ok" in r2.stdout and
              m["sctp_comm_up"] == 2 and esp["accepted"] >= 4 and
              esp["sas"] and all(s["udp_encap"] for s in esp["sas"]),
              "Add and Subtract over SCTP in UDP-encapsulated ESP (%d associations)"
              % m["sctp_comm_up"])


def test():
    test_needs_mrfc()
    test_udp_encap()
    with Lab("mpsctp", mp=True, mp_extra="transport = sctp\n") as lab:
        keys = os.path.join(lab.dir, "keys.txt")
        cap = Capture(lab.ns, lab.veth_k)
        m = mp(lab)
        check(m["transport"] == "sctp" and m["sctp_association"] in ("connecting", "idle")
              and m["sctp_connects"] >= 1 and m["sctp_up"] == 0,
              "the daemon opens the association itself (%s, %d INIT)"
              % (m["sctp_association"], m["sctp_connects"]))

        # -- Add over SCTP: the association comes up, ServiceChange Restart is answered ------
        r = lab.mrfc(*SCTP, "add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4,
                     keys=keys)
        check("result add ok" in r.stdout, "mrfc add over SCTP: %s"
              % r.stdout.strip().splitlines()[-1])
        check(re.search(r"ServiceChange\s*=\s*ROOT", r.stderr) and "Restart" in r.stderr and
              '"901 Cold Boot"' in r.stderr,
              "the first association brings ServiceChange Restart (901 Cold Boot)")
        check("retransmitting" not in r.stderr, "mrfc did not retransmit over SCTP")
        legs = read_keys(keys)
        check(len(legs) == 2, "two legs created")
        ctx = legs[0]["ctx"]
        wait_for(lambda: mp(lab)["answered"] >= 1, 5, "the ServiceChange reply to be seen")
        m = mp(lab)
        check(m["sctp_comm_up"] == 1 and m["answered"] >= 1 and m["retransmissions"] == 0,
              "one association up, the ServiceChange answered, no H.248 retransmission "
              "(comm_up %d, answered %d)" % (m["sctp_comm_up"], m["answered"]))
        wait_for(lambda: mp(lab)["sctp_comm_lost"] >= 1, 10,
                 "the daemon to see the association end when mrfc exits (ABORT)")
        m = mp(lab)
        check(m["sctp_up"] == 0 and m["service_change"] == "none",
              "association lost: ServiceChange back to not answered (%s)" % m["service_change"])
        check(lab.ctl_json("show", "conference", str(ctx))["legs"],
              "the conference outlives the association")

        # -- Modify over a new association: ServiceChange Disconnected ----------------------
        term0 = legs[0]["term"]
        r = lab.mrfc(*SCTP, "modify", "ctx=%d" % ctx, "term=%s" % term0, "mute=on", keys=keys)
        check("result modify ok" in r.stdout, "mrfc modify over a new association")
        check(re.search(r"Method\s*=\s*Disconnected", r.stderr) and
              '"900 Service Restored"' in r.stderr,
              "after a loss the MRFP says ServiceChange Disconnected (900 Service Restored)")
        leg = lab.ctl_json("show", "leg", term0.split("/")[1])
        check(leg["muted"], "the Modify applied (leg muted)")

        # -- a killed mrfc: the daemon notices the silence, associates again ---------------
        wait_for(lambda: mp(lab)["sctp_up"] == 0, 10, "the previous association to end")
        lost0 = mp(lab)["sctp_comm_lost"]
        p = subprocess.Popen(["ip", "netns", "exec", lab.ns, MRFC, "--sa", lab.mrfc_sa] + SCTP +
                             ["listen", "duration=120"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: mp(lab)["sctp_up"] == 1, 30, "the association to a listening mrfc")
            up = mp(lab)["sctp_comm_up"]
            t0 = time.monotonic()
            os.kill(p.pid, signal.SIGKILL)  # ip netns exec execs mrfc: this is mrfc
        finally:
            p.kill()
            p.communicate()
        wait_for(lambda: mp(lab)["sctp_comm_lost"] > lost0, 30,
                 "the daemon to notice the silent MRFC")
        took = time.monotonic() - t0
        m = mp(lab)
        check(m["sctp_up"] == 0 and m["sctp_association"] in ("idle", "connecting"),
              "a killed MRFC is detected as association loss (%.1f s)" % took)
        check("lost" in lab.read_log(), "the daemon logs the loss")

        r = lab.mrfc(*SCTP, "subtract", "ctx=%d" % ctx, "term=*", keys=keys)
        check("result subtract ok" in r.stdout and "stat " in r.stdout,
              "Subtract over the next association, with statistics")
        m = mp(lab)
        check(m["sctp_comm_up"] > up, "re-associated after the loss (%d associations)"
              % m["sctp_comm_up"])
        check(not lab.ctl_json("show", "conferences"), "the conference ended with its legs")
        check(m["parse_errors"] == 0 and m["send_failed"] == 0,
              "no parse error, nothing failed to send")

        # -- tshark: the decrypted inner packets are SCTP carrying MEGACO, PPID 7 ------------
        inner = esp_inner(cap.stop(), lab.mrfc_sa)
        n132 = sum(1 for x in inner if x.proto == 132)
        check(inner and n132 == len(inner),
              "every ESP packet on the wire carries SCTP (%d of %d)" % (n132, len(inner)))
        pcap = os.path.join(lab.dir, "sctp.pcap")
        text, bad = tshark_megaco(pcap, inner)
        out = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.protocols",
                              "-e", "sctp.data_payload_proto_id", "-e", "sctp.data_sid",
                              "-e", "sctp.checksum.status"],
                             capture_output=True, text=True).stdout
        rows = [l.split("\t") for l in out.splitlines()]
        megaco = [r for r in rows if ":megaco" in r[0]]
        data = [r for r in rows if len(r) > 2 and r[1]]   # packets with DATA chunks
        check(len(megaco) >= 6 and all(r[0].startswith("ip:sctp") for r in rows),
              "tshark: %d SCTP packets, %d with MEGACO inside" % (len(rows), len(megaco)))
        check(all({int(x) for x in r[1].split(",")} == {7} and
                  {int(x, 0) for x in r[2].split(",")} == {0} for r in data),
              "every DATA chunk (%d packets) on PPID 7 (H.248), stream 0" % len(data))
        check(re.search(r"Command: (Add|ServiceChange|Modify|Subtract)", text) or
              "Transaction" in text, "tshark dissects the H.248 transactions")
        check(not bad, "no malformed packet: %s" % bad[:3])


if __name__ == "__main__":
    mxplab.main(test)

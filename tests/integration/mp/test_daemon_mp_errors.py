#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bad input to the daemon's Mp control plane: each gets the right H.248.8 error (or, below
H.248, the right ESP drop counter) and changes nothing (conferences, legs and their keys are
compared before and after every case).

H.248: syntax errors (with and without a transaction id), an oversized message (arriving in
IP fragments), nesting deeper than the limit, unknown context, unknown termination, a
termination of another context, a=crypto with a bad key length or an unknown suite, a new
key under an MKI in use, Loopback, RTP/AVP, a mode change, the transaction stopping at a
failed command unless it is optional (O-).
ESP: Mp in the clear, a wrong SPI, a bad ICV, a replayed sequence number, a host not in
the policy, a policy peer using another peer's SA.
Every reply the daemon sent, decrypted with scapy, dissects in tshark as MEGACO.
"""
import json
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, gen_key, Lab, DAEMON_IP4, KERNEL_IP4, wait_for  # noqa: E402
from mplab import MRFC_B, ScapyMrfc, mp_config, ns_socket  # noqa: E402
from esp_common import tmpdir, tshark_check  # noqa: E402
from scapy.layers.inet import IP  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"
OTHER = "192.0.2.9"        # a host of the subnet that is not in the policy


def crypto(key, mki=1, suite=SUITE, tag=1):
    return "a=crypto:%d %s inline:%s|2^31|%d:4" % (tag, suite, key, mki)


def add(tid, ctx, local_c, remote_c, port, proto="RTP/SAVP", mode="SendReceive"):
    return ("Transaction = %d { Context = %s { Add = $ { Media { Stream = 1 { "
            "LocalControl { Mode = %s }, Local {\nv=0\nc=IN IP4 $\nm=audio $ %s 0\n%s\n}, "
            "Remote {\nv=0\nc=IN IP4 %s\nm=audio %d %s 0\n%s\n} } } } } }"
            % (tid, ctx, mode, proto, local_c, KERNEL_IP4, port, proto, remote_c))


def snapshot(lab):
    """Conferences, their legs and every key fingerprint (counters left out)."""
    out = {}
    for c in lab.ctl_json("show", "conferences"):
        conf = lab.ctl_json("show", "conference", str(c["id"]))
        legs = {}
        for l in conf["legs"]:
            li = lab.ctl_json("show", "leg", str(l["id"]))
            legs[l["id"]] = {k: li.get(k) for k in ("mode", "remote", "remote_port", "strict",
                                                    "asymmetric", "muted", "in_keys", "out_keys")}
        out[c["id"]] = (conf["mode"], legs)
    return json.dumps(out, sort_keys=True)


def esp_drops(lab):
    return lab.ctl_json("show", "esp")["drops"]


def test():
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, "pending_ms = 5000\n")
        with Lab("mperr", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            lab.ns_add_addr(OTHER)
            b = ScapyMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4)
            k = [gen_key() for _ in range(8)]
            r = b.transact(add(1, "$", crypto(k[0]), crypto(k[1]), 8000))
            c1, leg1 = map(int, re.search(r"Context = (\d+).*?Add = leg/(\d+)", r, re.S).groups())
            r = b.transact(add(2, "$", crypto(k[2]), crypto(k[3]), 8002))
            c2, leg2 = map(int, re.search(r"Context = (\d+).*?Add = leg/(\d+)", r, re.S).groups())
            before = snapshot(lab)
            check(len(json.loads(before)) == 2, "two contexts of one leg each to protect")

            def case(what, text, pattern, code=None):
                r = b.transact(text)
                ok = r is not None and re.search(pattern, r, re.S) is not None
                check(ok, "%s: %s" % (what, (r or "no reply").strip().replace("\n", " ")[:200]))
                if code:
                    check(lab.ctl_json("show", "mp")["errors_by_code"].get(str(code), 0) >= 1,
                          "...counted under %d" % code)
                check(snapshot(lab) == before, "...and nothing changed")

            case("syntax error", "Transaction = 10 { Context = %d { Modify = leg/%d { Media { "
                 "Stream = 1 { Local { v=0 } " % (c1, leg1),
                 r"Reply\s*=\s*10\s*\{\s*Error\s*=\s*4\d\d\s*\{\s*\"line \d+ col \d+", 400)
            case("no transaction at all", "this is not H.248",
                 r"^(MEGACO|!)/3 \S+\s+Error\s*=\s*4\d\d")
            # Messages larger than the MTU cross the veth in IP fragments (net_af_packet has
            # the kernel reassemble them; the lab's 16 KB frames and mbufs hold them).
            mid = "Transaction = 11 { Context = %d { AuditValue = leg/%d { Audit { Media } } } }\n" % (c1, leg1)
            mid += "".join(";%s\n" % ("x" * 70) for _ in range(22))
            case("a %d-byte message in two IP fragments" % (len(mid) + 30), mid,
                 r"Reply\s*=\s*11\s*\{\s*Context\s*=\s*%d\s*\{\s*AuditValue\s*=\s*leg/%d" % (c1, leg1))
            big = "Transaction = 12 { Context = %d { Subtract = leg/%d } }\n" % (c1, leg1)
            big += "".join(";%s\n" % ("x" * 70) for _ in range(130))
            case("an oversized (%d-byte) message" % len(big), big,
                 r"Error\s*=\s*400\s*\{\s*\"[^\"]*exceeds", 400)
            deep = "Transaction = 13 { Context = %d { Modify = leg/%d { Events = 1 { x/y " % (
                c1, leg1) + "{" * 20 + "}" * 20 + " } } } }"
            case("descriptors nested deeper than 12", deep, r"Error\s*=\s*400\s*\{[^}]*nesting")
            case("unknown context", "Transaction = 13 { Context = 4242 { Modify = leg/%d { Media "
                 "{ Stream = 1 { LocalControl { Mode = ReceiveOnly } } } } } }" % leg1,
                 r"Context\s*=\s*4242\s*\{\s*Error\s*=\s*411", 411)
            case("unknown termination", "Transaction = 14 { Context = %d { Modify = leg/99999 { "
                 "Media { Stream = 1 { LocalControl { Mode = ReceiveOnly } } } } } }" % c1,
                 r"Modify\s*=\s*leg/99999\s*\{\s*Error\s*=\s*430", 430)
            case("termination of another context", "Transaction = 15 { Context = %d { Modify = "
                 "leg/%d { Media { Stream = 1 { LocalControl { Mode = ReceiveOnly } } } } } }"
                 % (c1, leg2), r"Error\s*=\s*435\s*\{\s*\"leg/%d is in context %d" % (leg2, c2),
                 435)
            short = k[4][:28]   # 21 bytes instead of 30
            case("a=crypto with a bad key length", add(16, "$", crypto(k[4]), crypto(short), 8004),
                 r"Error\s*=\s*449\s*\{\s*\"Remote a=crypto 1:", 449)
            case("a=crypto with an unknown suite",
                 add(17, "$", crypto(k[4]), crypto(k[5], suite="AES_CM_512_HMAC_MD5_80"), 8004),
                 r"Error\s*=\s*449\s*\{[^}]*(suite|AES_CM_512)", 449)
            case("a new key under an MKI in use", "Transaction = 18 { Context = %d { Modify = "
                 "leg/%d { Media { Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n"
                 "} } } } } }" % (c1, leg1, crypto(k[6])), r"Error\s*=\s*449\s*\{[^}]*MKI 1", 449)
            case("stream mode Loopback", add(19, "$", crypto(k[4]), crypto(k[5]), 8004,
                                             mode="Loopback"), r"Error\s*=\s*517", 517)
            case("RTP/AVP without the lab flag", add(20, "$", "", "", 8004, proto="RTP/AVP"),
                 r"Error\s*=\s*515", 515)
            case("changing the mode of a running conference", "Transaction = 21 { Context = %d { "
                 "Modify = leg/%d { Media { TerminationState { mxp/mode = forward } } } } }"
                 % (c1, leg1), r"Error\s*=\s*501", 501)
            case("mxp/strict and mxp/asymmetric together", "Transaction = 40 { Context = %d { "
                 "Modify = leg/%d { Media { Stream = 1 { LocalControl { mxp/strict = on, "
                 "mxp/asymmetric = on } } } } } }" % (c1, leg1),
                 r"Error\s*=\s*449\s*\{[^}]*strict and asymmetric", 449)
            case("a non-optional failure ends the transaction",
                 "Transaction = 22 { Context = %d { Modify = leg/99998, AuditValue = leg/%d { Audit { } } } }"
                 % (c1, leg1), r"Modify\s*=\s*leg/99998\s*\{\s*Error\s*=\s*430[^}]*\}\s*\}\s*\}"
                 r"\s*\}\s*$")
            r = b.transact("Transaction = 23 { Context = %d { O-Modify = leg/99998, AuditValue = "
                           "leg/%d { Audit { Media } } } }" % (c1, leg1))
            check(r and "Error = 430" in r and re.search(r"AuditValue\s*=\s*leg/%d\s*\{" % leg1, r),
                  "an optional (O-) failure lets the next command run")
            check(snapshot(lab) == before, "...and nothing changed")

            # -- below H.248: ESP drops, no reply, nothing changed -------------------------
            def esp_case(what, reason, send):
                d0 = esp_drops(lab)[reason]
                n0 = lab.ctl_json("show", "mp")["messages"]
                send()
                wait_for(lambda: esp_drops(lab)[reason] > d0, 5, "the %s drop" % reason)
                check(lab.ctl_json("show", "mp")["messages"] == n0 and snapshot(lab) == before,
                      "%s: dropped as %s, never reaches H.248, nothing changed" % (what, reason))

            audit = "MEGACO/3 [%s]:2944\nTransaction = 30 { Context = %d { Subtract = leg/%d } }" % (
                MRFC_B, c1, leg1)
            good = b.esp_bytes(audit)
            bad_spi = bytes([good[0] ^ 0x40]) + good[1:]
            esp_case("a wrong SPI", "no_sa", lambda: b.send_raw(bad_spi))
            bad_icv = good[:-1] + bytes([good[-1] ^ 1])
            esp_case("a bad ICV", "bad_icv", lambda: b.send_raw(bad_icv))
            # a valid packet, then the same bytes again: the second one is a replay
            rep = b.esp_bytes("MEGACO/3 [%s]:2944\nTransaction = 31 { Context = %d { AuditValue "
                              "= leg/%d { Audit { } } } }" % (MRFC_B, c1, leg1))
            q0 = lab.ctl_json("show", "mp")["requests"]
            b.send_raw(rep)
            wait_for(lambda: lab.ctl_json("show", "mp")["requests"] > q0, 5, "the audit")
            esp_case("a replayed sequence number", "replay", lambda: b.send_raw(rep))
            other = ns_socket(lab.ns, socket.AF_INET, socket.SOCK_RAW, 50)
            other.bind((OTHER, 0))
            esp_case("a host not in the policy", "not_in_policy",
                     lambda: other.sendto(b.esp_bytes(audit), (DAEMON_IP4, 0)))
            other.close()
            a_sock = ns_socket(lab.ns, socket.AF_INET, socket.SOCK_RAW, 50)
            a_sock.bind((KERNEL_IP4, 0))
            esp_case("a policy peer with another peer's SA", "sa_peer",
                     lambda: a_sock.sendto(b.esp_bytes(audit), (DAEMON_IP4, 0)))
            a_sock.close()
            p0 = esp_drops(lab)["plaintext"]
            r = mxplab.run(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--plaintext", "--mrfp",
                            DAEMON_IP4, "--local", KERNEL_IP4, "--timeout", "1500", "--quiet",
                            "raw", "Transaction = 32 { Context = %d { Subtract = leg/%d } }"
                            % (c1, leg1)], check_rc=False)
            check(r.returncode == 3 and esp_drops(lab)["plaintext"] > p0 and
                  snapshot(lab) == before,
                  "Mp in the clear: no reply (mrfc gives up), dropped as plaintext, nothing changed")
            m = lab.ctl_json("show", "mp")
            check(m["plaintext_dropped"] == esp_drops(lab)["plaintext"],
                  "show mp reports the plaintext drops")

            # -- every reply dissects in tshark as MEGACO --------------------------------
            pcap = os.path.join(lab.dir, "replies.pcap")
            replies = [IP(p) for p in b.inner if IP(p).src == DAEMON_IP4]
            wrpcap(pcap, replies)
            text = tshark_check(pcap, ["MEGACO", "Transaction: Reply", "ERROR Code: Unknown "
                                       "TerminationID (430)", "(411)", "(449)", "(435)",
                                       "Session Description Protocol", "Media Port: "])
            frames = len(re.findall(r"^Frame \d+:", text, re.M))
            megaco = len(re.findall(r"^MEGACO", text, re.M))
            check(len(replies) >= 18 and frames == len(replies) and megaco == len(replies),
                  "%d replies (and ServiceChange), decrypted with scapy, dissect in tshark as "
                  "MEGACO (%d frames, %d MEGACO) without malformed or expert errors" % (
                      len(replies), frames, megaco))
            b.close()
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

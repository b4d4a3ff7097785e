"""Bad Mp input against the real daemon: each gets the right H.248 error or ESP drop and
changes nothing. Mp in the clear, a wrong SPI, a bad ICV, a replayed sequence number and a
peer outside the policy are made with scapy's ESP layer (an implementation independent of
lib/esp); H.248 errors go through mrfc raw. The daemon's replies dissect in tshark."""
import base64
import json
import os
import re
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4
from esp_common import sa_of, tshark_check

SCAPY_SEND = r'''
import sys, json
sys.path.insert(0, %(dir)r)
from esp_common import scapy_sa
from scapy.all import IP, UDP, Raw, send, conf
conf.verb = 0
d = json.loads(%(sa)r)
sa = scapy_sa(d)
sa.seq_num = %(seq)d
p = IP(src=%(src)r, dst=%(dst)r) / UDP(sport=2944, dport=2944) / Raw(%(text)r.encode())
e = sa.encrypt(p)
for _ in range(%(copies)d):
    send(e)
'''

AUDIT = "MEGACO/3 [192.0.2.1]:2944\nTransaction = %d { Context = - { AuditValue = ROOT { Audit { } } } }\n"


def esp_drops(lab):
    return lab.ctl_json("show", "esp")["drops"]


def scapy_esp(lab, sa, seq, tid, src=KERNEL_IP4, copies=1, key=None):
    d = dict(sa)
    if key:
        d["key"] = key
    code = SCAPY_SEND % dict(dir=os.path.dirname(os.path.abspath(__file__)), sa=json.dumps(d),
                             seq=seq, src=src, dst=DAEMON_IP4, text=AUDIT % tid, copies=copies)
    lab.ns_run(["/usr/bin/python3", "-c", code])


def reply_text(out):
    m = re.search(r"((?:MEGACO|!)/3.*?)(?=^result )", out, re.S | re.M)
    return m.group(1) if m else ""


def test():
    with Lab("mpbad", mp=True) as lab:
        keys = os.path.join(lab.dir, "keys.txt")
        lab.mrfc("add", "legs=1", "mode=switch", "remote=%s:5000" % KERNEL_IP4, keys=keys)
        ctx = lab.ctl_json("show", "conferences")[0]["id"]
        n_legs = lambda: sum(c["legs"] for c in lab.ctl_json("show", "conferences"))
        check(n_legs() == 1, "one conference with one leg to start with")

        # -- H.248 errors through mrfc raw: code, and nothing changed -------------------------
        short = base64.b64encode(b"x" * 20).decode()
        sdp = lambda crypto: "v=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\na=crypto:%s\n" % crypto
        good = "1 AES_CM_128_HMAC_SHA1_80 inline:%s" % base64.b64encode(os.urandom(30)).decode()
        cases = [
            ("unknown context", "T=201{C=4242{MF=leg/1{M{ST=1{O{MO=SR}}}}}}", 411),
            ("unknown termination", "T=202{C=%d{MF=leg/999{M{ST=1{O{MO=SR}}}}}}" % ctx, 430),
            ("syntax error", "T=203{C=%d{MF=leg/1{M{" % ctx, 400),
            ("bad key length", "T=204{C=%d{A=${M{ST=1{L{%s},R{%s}}}}}}" % (
                ctx, sdp("1 AES_CM_128_HMAC_SHA1_80 inline:" + short), sdp(good)), 449),
            ("unknown suite", "T=205{C=%d{A=${M{ST=1{L{%s},R{%s}}}}}}" % (
                ctx, sdp(good.replace("HMAC_SHA1_80", "HMAC_SHA1_99")), sdp(good)), 449),
            ("deep nesting", "T=206{C=%d{MF=leg/1{SG{" % ctx + "al/x{" * 20 + "}" * 20 + "}}}}", 400),
            ("4 kB request (sent in IP fragments)", "T=207{C=%d{MF=leg/1{M{ST=1{O{MO=SR},L{v=0\n%s\n}}}}}}" % (
                ctx, "a=x-pad:" + "y" * 4000), None),
            ("missing Local", "T=208{C=%d{A=${M{ST=1{R{%s}}}}}}" % (ctx, sdp(good)), 441),
            ("unknown package property", "T=209{C=%d{MF=leg/1{M{TS{mxp/colour=blue}}}}}" % ctx, 450),
            ("a signal of an unknown package", "T=210{C=%d{MF=leg/1{SG{al/ri}}}}" % ctx, 440),
            ("a variable announcement", "T=211{C=%d{MF=leg/1{SG{an/apv{an=1}}}}}" % ctx, 513),
        ]
        replies = []
        for what, text, code in cases:
            r = lab.mrfc("raw", "!/3 [%s]:2944\n%s" % (KERNEL_IP4, text), check_rc=False)
            m = re.search(r"result raw error (\d+)", r.stdout)
            got = int(m.group(1)) if m else None
            last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr.strip()
            check(got == code and (code is not None or r.returncode == 0),
                  "%s: error %s (%s)" % (what, got, last[:200]))
            check(short not in r.stdout + r.stderr, "%s: no key material in the reply" % what)
            replies.append(reply_text(r.stdout))
        check(n_legs() == 1 and len(lab.ctl_json("show", "conferences")) == 1,
              "none of the bad transactions changed anything")
        mp = lab.ctl_json("show", "mp")

        # The daemon's replies are clean MEGACO for Wireshark once ESP is removed.
        from scapy.layers.inet import IP, UDP
        from scapy.packet import Raw
        from scapy.utils import wrpcap
        pcap = os.path.join(lab.dir, "replies.pcap")
        wrpcap(pcap, [IP(src=DAEMON_IP4, dst=KERNEL_IP4) / UDP(sport=2944, dport=2944) /
                      Raw(t.encode()) for t in replies if t])
        tshark_check(pcap, ["MEGACO", "ERROR Code", "Unknown TerminationID (430)"])
        print("ok - the daemon's error replies dissect in tshark without malformed packets")

        # -- ESP: plaintext, wrong SPI, bad ICV, replay, peer not in the policy ---------------
        d0 = esp_drops(lab)
        r = lab.mrfc("--timeout", "600", "audit", plaintext=True, check_rc=False)
        check(r.returncode == 3, "Mp in the clear gets no answer (mrfc exit %d)" % r.returncode)
        d1 = esp_drops(lab)
        check(d1["plaintext"] > d0["plaintext"], "plaintext Mp counted (%d)" % (d1["plaintext"] - d0["plaintext"]))

        sa = sa_of(lab.mrfc_sa, "out")          # what the MRFC sends with
        bad_spi = dict(sa, spi="0x7777")
        scapy_esp(lab, bad_spi, 10 ** 6, 301)
        scapy_esp(lab, sa, 10 ** 6 + 1, 302, key="00" * (len(sa["key"]) // 2))
        scapy_esp(lab, sa, 10 ** 6 + 2, 303, copies=3)   # one good, two replays
        lab.ns_add_addr("192.0.2.9")
        scapy_esp(lab, sa, 10 ** 6 + 3, 304, src="192.0.2.9")
        mxplab.wait_for(lambda: sum(esp_drops(lab).values()) - sum(d1.values()) >= 5, 10,
                        "the ESP drops to be counted")
        d2 = esp_drops(lab)
        delta = {k: d2[k] - d1[k] for k in d2 if d2[k] != d1[k]}
        check(delta.get("no_sa") == 1, "wrong SPI: no_sa (%s)" % delta)
        check(delta.get("bad_icv") == 1, "wrong key: bad_icv (%s)" % delta)
        check(delta.get("replay") == 2, "two replayed copies: replay (%s)" % delta)
        check(delta.get("not_in_policy") == 1, "a host outside the policy: not_in_policy (%s)" % delta)
        mp2 = lab.ctl_json("show", "mp")
        check(mp2["requests"] == mp["requests"] + 1, "exactly one of those ESP packets reached Mp")
        # A message over lib/mp's 8 kB limit (in fragments): 400, nothing applied.
        big = (AUDIT % 305).replace("Audit { }", "Audit { }" + " " * 9000)
        code = SCAPY_SEND % dict(dir=os.path.dirname(os.path.abspath(__file__)), sa=json.dumps(sa),
                                 seq=10 ** 6 + 10, src=KERNEL_IP4, dst=DAEMON_IP4, text=big, copies=1)
        lab.ns_run(["/usr/bin/python3", "-c", code])
        mxplab.wait_for(lambda: lab.ctl_json("show", "mp")["errors_by_code"].get("400", 0) >
                        mp2["errors_by_code"].get("400", 0), 10, "the oversized message's 400")
        check(True, "a 9 kB message is reassembled and refused with 400 (over the 8 kB limit)")
        text = lab.ctl("show", "esp").stdout
        check(sa["key"] not in text and "aes-gcm-128" in text, "show esp: fingerprints, no keys")
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

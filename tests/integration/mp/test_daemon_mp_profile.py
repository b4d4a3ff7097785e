#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The daemon as an MRFP of the 3GPP Mp profile (TS 29.333), over ESP, against a scapy MRFC.

- ServiceChange Restart announces the profile (threegmrfp/1 by default); an MRFC answering
  with another profile is refused (ServiceChangeProfile negotiation, H.248.1 11.3: the
  ServiceChange counts as failed); with [mp] profile = mxp it announces mxp/1 and an
  answer naming mxp/1 is accepted.
- The MRFC audits the packages: every mandatory package of the profile with its version.
- Events and signals of packages the MRFP lacks get their H.248.8 codes (440, 513).
- The TS 23.333 procedures, driven by the mrfc tool over UDP and over SCTP (H.248.4, the
  MRFP opening the association; one run over IPv6 ESP), inside ESP: an announcement to one
  leg of a mix conference with its completion Notify (g/sc, Meth=TO), a tone into the
  conference (Modify = *, srvtn/conf) notified to the legs that asked for g/sc, digit
  collection (dd/std, one Notify per digit, and dd/ce with a named digit map defined on
  ROOT, one Notify for the collected string) in a switch conference from a libsrtp2
  participant's RFC 4733 digits, and the audit of packages; every Notify reaches mrfc
  (over the association for SCTP) and is answered. The veth is captured, scapy decrypts the ESP and tshark dissects
  the H.248 inside with the standard package names.
"""
import math
import os
import re
import subprocess
import sys
import threading
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, DAEMON_IP6, KERNEL_IP4, KERNEL_IP6, \
    wait_for  # noqa: E402
from mplab import (MRFC_B, Capture, ScapyMrfc, esp_inner, mp_config, read_keys,  # noqa: E402
                   tshark_megaco)
from esp_common import keygen, tmpdir  # noqa: E402


class ProfileMrfc(ScapyMrfc):
    """A scapy MRFC whose ServiceChange reply names a profile."""

    def __init__(self, *a, profile=None, **kw):
        self.profile = profile
        super().__init__(*a, **kw)

    def on_request(self, text, sport):
        if not re.search(r"\b(ServiceChange|SC)\s*=", text) or self.profile is None:
            return super().on_request(text, sport)
        m = re.search(r"\b(?:Transaction|T)\s*=\s*(\d+)", text)
        self.send("MEGACO/3 [%s]:2944\nReply = %s { Context = - { ServiceChange = ROOT { "
                  "Services { Profile = %s, Version = 3 } } } }\n" % (self.local, m.group(1),
                                                                   self.profile), dport=sport)


def run(profile_cfg, answer, want_sent, want_state):
    with tmpdir() as tmp:
        extra = "event_poll_ms = 100\n" + ("profile = %s\n" % profile_cfg if profile_cfg else "")
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, extra)
        with Lab("mpprof", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            lab.ns_add_addr(MRFC_B)
            b = ProfileMrfc(lab.ns, cb, MRFC_B, DAEMON_IP4, profile=answer)
            try:
                sc = b.wait_request(r"ServiceChange", timeout=20)
                check(sc is not None and re.search(r"Profile\s*=\s*%s\b" % re.escape(want_sent), sc),
                      "ServiceChange Restart announces Profile = %s" % want_sent)
                wait_for(lambda: lab.ctl_json("show", "mp")["service_change"] == want_state, 10,
                         "ServiceChange state %s" % want_state)
                check(True, "an answer with Profile = %s: ServiceChange %s" % (answer, want_state))
                if want_state != "answered":
                    return
                # -- audit of packages --------------------------------------------------
                r = b.transact("Transaction = 7001 { Context = - { AuditValue = ROOT { Audit { "
                               "Packages } } } }")
                check(r is not None and "Packages" in r, "AuditValue ROOT answers Packages")
                for p in ("g", "root", "nt", "rtp", "dd", "tonegen", "cg", "srvtn", "an", "mxp"):
                    check(re.search(r"\b%s-\d+\b" % p, r or ""), "package %s listed with its "
                          "version" % p)
                # -- the Base Root package: audited, the MRFC's timers set ----------------
                audit = "Context = - { AuditValue = ROOT { Audit { Media } } } }"
                r = b.transact("Transaction = 7002 { " + audit) or ""
                check(re.search(r"root/maxNumberOfContexts\s*=\s*[1-9]", r) and
                      re.search(r"root/MGCOriginatedPendingLimit\s*=\s*4\b", r),
                      "AuditValue ROOT answers the root/ properties")
                r = b.transact("Transaction = 7003 { Context = - { Modify = ROOT { Media { "
                               "TerminationState { root/normalMGCExecutionTime = 700 } } } } }")
                check(r is not None and "Error" not in r, "Modify ROOT sets normalMGCExecutionTime")
                r = b.transact("Transaction = 7004 { " + audit) or ""
                check(re.search(r"root/normalMGCExecutionTime\s*=\s*700\b", r),
                      "the audit reports the MRFC's normalMGCExecutionTime")
                r = b.transact("Transaction = 7005 { Context = - { Modify = ROOT { Media { "
                               "TerminationState { root/maxNumberOfContexts = 1 } } } } }") or ""
                check("455" in r, "root/maxNumberOfContexts is read-only: 455")
                # -- unsupported packages -----------------------------------------------
                r = lab.mrfc("add", "legs=1", "mode=switch", "remote=%s:5000" % KERNEL_IP4)
                m = re.search(r"leg ctx=(\d+) term=(\S+)", r.stdout)
                check(m is not None, "a switch conference with one leg")
                ctx, term = m.group(1), m.group(2)
                for tid, what, body, code in (
                        (7100, "an optional package's event", "Events = 3 { aasdc/dc }", 440),
                        (7101, "a variable announcement", "Signals { an/apv { an = 1 } }",
                         513),
                        (7102, "dd/ce without a DigitMap", "Events = 4 { dd/ce }", 457)):
                    # (each its own transaction id: a repeated one gets the stored reply)
                    r = lab.mrfc("raw", "Transaction = %d { Context = %s { Modify = %s { %s } } }"
                                 % (tid, ctx, term, body), check_rc=False)
                    check("error %d" % code in r.stdout, "%s: %d (%s)" % (
                        what, code, r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""))
            finally:
                b.close()


def write_announcement(path, seconds=0.4):
    """A WAV announcement: 16-bit PCM, 8 kHz, mono, a 1 kHz tone."""
    n = int(8000 * seconds)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(int(8000 * math.sin(2 * math.pi * 1000 * i / 8000)).to_bytes(
            2, "little", signed=True) for i in range(n)))


def procedures(transport, v6=False):
    """The procedures over `transport` (udp|sctp), Mp over IPv6 ESP when v6."""
    t0 = time.monotonic()
    mrfp, mrfc = (DAEMON_IP6, KERNEL_IP6) if v6 else (DAEMON_IP4, KERNEL_IP4)
    what = "%s over %s ESP" % (transport.upper(), "IPv6" if v6 else "IPv4")
    T = ["--transport", transport]
    with tmpdir() as tmp:
        ann = os.path.join(tmp, "ann")
        os.makedirs(ann)
        write_announcement(os.path.join(ann, "welcome.wav"))
        pa, ca = keygen(tmp, "aes-gcm-128", mrfp, mrfc)
        sect = ("\n[media]\nannouncement_dir = %s\n[esp]\nsa_file = %s\n[mp]\nmrfc = %s\n"
                "event_poll_ms = 100\ntransport = %s\n" % (ann, pa, mrfc, transport))
        with Lab("mpproc", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            keys = os.path.join(lab.dir, "keys.txt")
            cap = Capture(lab.ns, lab.veth_k)
            # -- a mix and a switch conference, two legs each (one mrfc run) ----------------
            scen = os.path.join(lab.dir, "add.txt")
            with open(scen, "w") as f:
                f.write("add mode=mix legs=2 remote=%s:7300\n"
                        "add ctx=$ mode=switch legs=2 dtmf=101 remote=%s:7310\n"
                        % (KERNEL_IP4, KERNEL_IP4))
            lab.mrfc(*T, "scenario", scen, keys=keys)
            legs = read_keys(keys)
            check(len(legs) == 4, "%s: a mix and a switch conference of two legs each" % what)
            m1, m2, s1, s2 = legs
            mix, sw = m1["ctx"], s1["ctx"]
            check(lab.ctl_json("show", "conference", str(mix))["mode"] == "mix" and
                  lab.ctl_json("show", "conference", str(sw))["mode"] == "switch",
                  "conference %d mixes, %d switches" % (mix, sw))

            # -- the procedures in one mrfc run (one association over SCTP) -----------------
            scen = os.path.join(lab.dir, "procedures.txt")
            # (the signals last 300 ms and more: their Notify come during `listen`, which
            # counts them (six: two g/sc of the tone, one of the announcement, dd/std twice and
            # dd/ce once), as the digits' do: the participant dials once 8105 is answered)
            with open(scen, "w") as f:
                f.write(
                    "raw Transaction = 8100 { Context = - { Modify = ROOT { DigitMap = pin { "
                    "T:20,(1F|2x.F) } } } }\n"
                    "raw Transaction = 8101 { Context = %d { Modify = %s { Events = 5 { "
                    "dd/std, dd/ce { DigitMap = pin } } } } }\n"
                    "raw Transaction = 8102 { Context = %d { Modify = %s { Events = 10 { "
                    "g/sc } } } }\n"
                    "raw Transaction = 8103 { Context = - { AuditValue = ROOT { Audit { "
                    "Packages } } } }\n"
                    "raw Transaction = 8104 { Context = %d { Modify = %s { Events = 9 { g/sc }, "
                    "Signals { an/apf { an = welcome, noc = 2, NotifyCompletion = { TimeOut, "
                    "InterruptByNewSignalsDescr }, RequestID = 41 } } } } }\n"
                    "raw Transaction = 8105 { Context = %d { Modify = * { Signals { "
                    "srvtn/conf { Duration = 300 } } } } }\n"
                    "listen count=6 duration=20\n"
                    % (sw, s1["term"], mix, m2["term"], mix, m1["term"], mix))
            p = subprocess.Popen(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa", ca] + T +
                                 ["scenario", scen], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            lines, errs, audited = [], [], threading.Event()

            def reader():
                for line in p.stdout:
                    lines.append(line)
                    if re.search(r"Reply\s*=\s*8105", line):
                        audited.set()
            readers = [threading.Thread(target=reader, daemon=True),
                       threading.Thread(target=lambda: errs.extend(p.stderr), daemon=True)]
            for t in readers:
                t.start()
            try:
                audited.wait(30)
                check(audited.is_set(), "%s: mrfc's requests answered" % what)
                # the switch leg's participant dials 1 and # (RFC 4733, libsrtp2)
                lab.peer(KERNEL_IP4, rx=[(s2["port"], s2["rx"])],
                         tx=[(s1["port"], s1["mrfp"], s1["mrfp_port"], s1["tx"], 0x501, 1,
                              500)],
                         count=5, interval_ms=20, wait_ms=100, extra=["--dtmf", "1#"])
                p.wait(timeout=30)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            for t in readers:
                t.join(5)
            out, err = "".join(lines), "".join(errs)
            check(p.returncode == 0, "%s: mrfc scenario exit 0%s" % (
                what, "" if p.returncode == 0 else " (%d: %s)" % (p.returncode, err[-300:])))
            both = out + err
            for tid in (8100, 8101, 8102, 8104, 8105):
                r = re.search(r"Reply\s*=\s*%d\s*\{.*?(?=Reply\s*=|\Z)" % tid, out, re.S)
                check(r and "Error" not in r.group(0), "%s: transaction %d answered without "
                      "error" % (what, tid))
            r = re.search(r"Reply\s*=\s*8103.*?(?=Reply\s*=)", out, re.S).group(0)
            for pk in ("g", "root", "nt", "rtp", "dd", "tonegen", "cg", "srvtn", "an"):
                check(re.search(r"\b%s-\d+\b" % pk, r), "%s: audit lists package %s" % (what, pk))
            notifies = re.findall(r"Notify\s*=\s*(\S+)\s*\{\s*ObservedEvents\s*=\s*(\d+)"
                                  r"\s*\{\s*([^\n]*?)\}\s*\}", both)
            got = [(t, int(rid), ev.strip()) for t, rid, ev in notifies]
            print("# Notify: %s" % got, flush=True)
            an = [g for g in got if g[0] == m1["term"] and "SigID=an/apf" in g[2]]
            check(an and an[0][1] == 9 and re.search(r"g/sc\s*\{.*Meth=TO", an[0][2]) and
                  "RID=41" in an[0][2],
                  "%s: the announcement's end notified to mrfc: g/sc{SigID=an/apf,Meth=TO,"
                  "RID=41} on %s, request 9" % (what, m1["term"]))
            tone = [g for g in got if "SigID=srvtn/conf" in g[2]]
            check({g[0] for g in tone} == {m1["term"], m2["term"]} and
                  all("Meth=TO" in g[2] for g in tone),
                  "%s: the conference tone's end notified on both legs (g/sc, SigID=srvtn/conf)"
                  % what)
            dd = [re.search(r"tid=(\w+)", g[2]).group(1) for g in got
                  if g[0] == s1["term"] and "dd/std" in g[2]]
            check(dd == ["d1", "do"], "%s: digits collected in the switch conference: dd/std "
                  "tid=d1, do (%s)" % (what, dd))
            ce = [g for g in got if g[0] == s1["term"] and "dd/ce" in g[2]]
            check(len(ce) == 1 and ce[0][1] == 5 and 'ds="1F"' in ce[0][2] and
                  "Meth=UM" in ce[0][2],
                  "%s: the digit map collected 1 # (F): one dd/ce{ds=\"1F\",Meth=UM} (%s)"
                  % (what, ce))
            m = lab.ctl_json("show", "mp")
            check(m["gave_up"] == 0 and m["answered_error"] == 0 and m["parse_errors"] == 0,
                  "%s: every Notify answered by mrfc, nothing given up" % what)
            if transport == "sctp":
                check(m["sctp_comm_up"] == 2 and m["sctp_not_sent"] == 0 and
                      m["retransmissions"] == 0,
                      "%s: two associations, nothing unsent, no H.248 retransmission" % what)
            if transport == "sctp" and not v6:
                # -- a Notify while the association is down goes on the next one ------------
                # (mrfc exits, aborting the association, before the 1.2 s announcement ends)
                unsent, retx = m["sctp_not_sent"], m["retransmissions"]
                lab.mrfc(*T, "raw", "Transaction = 8110 { Context = %d { Modify = %s { "
                         "Events = 11 { g/sc }, Signals { an/apf { an = welcome, noc = 3 } } "
                         "} } }" % (mix, m1["term"]))
                wait_for(lambda: lab.ctl_json("show", "mp")["sctp_not_sent"] > unsent, 10,
                         "the g/sc Notify to find the association down")
                r = lab.mrfc(*T, "listen", "count=1", "duration=20")
                check(re.search(r"ObservedEvents\s*=\s*11\s*\{\s*g/sc\s*\{SigID=an/apf,"
                                r"Meth=TO", r.stdout + r.stderr),
                      "%s: a Notify not sent while the association was down is sent on the "
                      "next one once its ServiceChange is answered" % what)
                m = lab.ctl_json("show", "mp")
                check(m["retransmissions"] == retx + 1 and m["gave_up"] == 0,
                      "%s: sent again once (retransmissions %d), nothing given up"
                      % (what, m["retransmissions"]))
            # -- tshark dissects what went over the wire, with the standard names -----------
            inner = esp_inner(cap.stop(), ca)
            proto = 132 if transport == "sctp" else 17
            n = sum(1 for x in inner if (x.nh if v6 else x.proto) == proto)
            check(inner and n == len(inner) and all(x.version == (6 if v6 else 4) for x in inner),
                  "%s: every ESP packet carries %s (%d of %d)" % (what, transport.upper(), n,
                                                                 len(inner)))
            text, bad = tshark_megaco(os.path.join(lab.dir, "mp.pcap"), inner)
            for s in (r"pkgdName: g/sc", r"pkgdName: an/apf", r"an\s*=\s*welcome",
                      r"pkgdName: dd/std", r"tid=d1", r"pkgdName: srvtn/conf",
                      r"pkgdName: dd/ce", r"ds=\"1F\"", r"Meth=UM", r"DigitMap = pin\b",
                      r"DigitMap Descriptor: DigitMap = pin \{\s*T:20,\(1F\|2x\.F\)",
                      r"SigID=an/apf", r"Meth=TO", r"Packages Descriptor", r"\bsrvtn-1\b",
                      r"Observed Events Descriptor", r"RequestID: 9\b"):
                check(re.search(s, text), "%s: tshark shows %s" % (what, s))
            if transport == "sctp":
                check("Stream Control Transmission Protocol" in text and
                      re.search(r"Payload protocol identifier: H.248\S* \(7\)", text),
                      "%s: tshark: SCTP, PPID H.248 (7)" % what)
            check(not bad, "%s: tshark: no malformed packet (%s)" % (what, bad[:3]))
    print("# %s: %.1f s" % (what, time.monotonic() - t0), flush=True)


def test():
    run(None, "otherprofile/1", "threegmrfp/1", "failed")
    run("mxp", "mxp/1", "mxp/1", "answered")
    procedures("udp")
    procedures("sctp")
    procedures("sctp", v6=True)


if __name__ == "__main__":
    mxplab.main(test)

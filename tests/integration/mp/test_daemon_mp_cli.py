#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The operator's side of Mp and ESP: show mp, show esp (text and JSON), manual keying with
esp sa add -i / esp sa delete / esp peer delete, and telemetry /mixplane/mp and
/mixplane/esp. Key fingerprints are shown (first 8 hex digits of SHA-256 of the key
material, computed here independently); key material never appears in the CLI, telemetry or
the log, not even in an error about a bad key line."""
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxplab  # noqa: E402
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4  # noqa: E402
from mplab import mp_config  # noqa: E402
from esp_common import MRFC, read_sas, tmpdir  # noqa: E402

HOST_C = "192.0.2.4"   # an MRFC added at run time with esp sa add


def telemetry(lab, cmd):
    r = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix], input=cmd + "\n",
                       capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout[r.stdout.index("{"):])[cmd], r.stdout


def fingerprint(sa):
    m = bytes.fromhex(sa["key"]) + bytes.fromhex(sa.get("auth-key", ""))
    return hashlib.sha256(m).hexdigest()[:8]


def test():
    with tmpdir() as tmp:
        sect, ca, cb = mp_config(tmp, DAEMON_IP4, KERNEL_IP4, "", alg="aes-cbc-128-hmac-sha1-96")
        mrfp_sas = read_sas(os.path.join(tmp, "mrfp.sa"))
        secrets = [s["key"] for s in mrfp_sas] + [s["auth-key"] for s in mrfp_sas]
        with Lab("mpcli", extra_config=sect) as lab:
            lab.mrfc_sa = ca
            txt = lab.ctl("show", "esp").stdout
            js = lab.ctl_json("show", "esp")
            check(len(js["sas"]) == 4 and js["backend"] == "ipsec-mb",
                  "show esp: four SAs (two pairs), intel-ipsec-mb backend")
            for sa in mrfp_sas:
                row = [s for s in js["sas"] if s["spi"] == "0x%08x" % int(sa["spi"], 0)][0]
                check(row["fingerprint"] == fingerprint(sa) and row["fingerprint"] in txt and
                      row["alg"] == "aes-cbc-128-hmac-sha1-96" and row["peer"] == sa["peer"],
                      "SA %s %s: SPI, peer, algorithm and the key's fingerprint %s" % (
                          row["dir"], row["spi"], row["fingerprint"]))
            check(sorted(p["address"] for p in js["peers"]) == sorted([KERNEL_IP4, "192.0.2.3"]),
                  "show esp lists the policy")
            r = lab.mrfc("add", "legs=1", "remote=%s:7300" % KERNEL_IP4)
            r = lab.mrfc("raw", "Transaction = 900 { Context = 77 { AuditValue = leg/1 { Audit "
                         "{ } } } }", "expect=411")
            mtxt = lab.ctl("show", "mp").stdout
            check("errors by H.248.8 code" in mtxt and "411 The transaction refers to an unknown "
                  "ContextID" in mtxt and "transactions received" in mtxt,
                  "show mp: counters with descriptions, errors by code")

            # -- manual keying: a third MRFC added and removed at run time ----------------
            kd = os.path.join(tmp, "c")
            os.makedirs(kd)
            subprocess.run([MRFC, "keygen", "--alg", "aes-gcm-256", "--mrfp", DAEMON_IP4,
                            "--mrfc", HOST_C, "--mrfp-out", os.path.join(kd, "mrfp.sa"),
                            "--mrfc-out", os.path.join(kd, "mrfc.sa"), "--spi", "0x30000"],
                           check=True, stdout=subprocess.DEVNULL)
            new = open(os.path.join(kd, "mrfp.sa")).read()
            secrets += [s["key"] for s in read_sas(os.path.join(kd, "mrfp.sa"))]
            bad = new.replace("alg=aes-gcm-256", "alg=aes-gcm-999", 1)
            r = lab.ctl_input(bad, "esp", "sa", "add", check_rc=False)
            check(r.returncode == 2 and "input:" in r.stderr and "alg" in r.stderr and
                  len(lab.ctl_json("show", "esp")["sas"]) == 4 and
                  not any(k in r.stderr for k in secrets),
                  "esp sa add with a bad line: refused with its line, nothing added, no key "
                  "in the message (%s)" % r.stderr.strip())
            r = lab.ctl_input(new, "esp", "sa", "add")
            check("2 SA(s) added" in r.stdout and len(lab.ctl_json("show", "esp")["sas"]) == 6,
                  "esp sa add -i: the new pair is in place")
            lab.ns_add_addr(HOST_C)
            base = ["ip", "netns", "exec", lab.ns, MRFC, "--sa", os.path.join(kd, "mrfc.sa"),
                    "--quiet", "--timeout", "1500"]
            r = mxplab.run(base + ["audit", "ctx=1", "term=*"], check_rc=False)
            check(r.returncode == 0 and "result audit ok" in r.stdout,
                  "the MRFC at %s talks to the daemon through the SAs added from the CLI" % HOST_C)
            d0 = lab.ctl_json("show", "esp")["drops"]["no_sa"]
            lab.ctl("esp", "sa", "delete", "in", "0x00030000")
            r = mxplab.run(base + ["audit", "ctx=1", "term=*"], check_rc=False)
            check(r.returncode == 3 and lab.ctl_json("show", "esp")["drops"]["no_sa"] > d0,
                  "esp sa delete: its packets are dropped as no_sa")
            r = lab.ctl("esp", "sa", "delete", "in", "0x00030000", check_rc=False)
            check(r.returncode == 3, "deleting it again: not found (exit 3)")
            lab.ctl("esp", "peer", "delete", HOST_C)
            check(HOST_C not in [p["address"] for p in lab.ctl_json("show", "esp")["peers"]],
                  "esp peer delete removes the host from the policy")

            # -- telemetry ---------------------------------------------------------------
            tm, raw_mp = telemetry(lab, "/mixplane/mp")
            cm = lab.ctl_json("show", "mp")
            check(tm["requests"] == cm["requests"] and tm["errors_by_code"] == cm["errors_by_code"]
                  and tm["service_change"] == cm["service_change"],
                  "telemetry /mixplane/mp matches show mp")
            te, raw_esp = telemetry(lab, "/mixplane/esp")
            ce = lab.ctl_json("show", "esp")
            check(te["accepted"] == ce["accepted"] and te["drops"] == ce["drops"] and
                  len([k for k in te if k.startswith(("in_0x", "out_0x"))]) == len(ce["sas"]),
                  "telemetry /mixplane/esp matches show esp (%s / %s)" % (te, ce))
            outputs = [txt, json.dumps(js), mtxt, raw_mp, raw_esp, lab.ctl("show", "esp").stdout,
                       lab.read_log()]
            check(not any(k in o or k.lower() in o.lower() for k in secrets for o in outputs),
                  "no ESP key in show esp, show mp, telemetry or the log")
            check(lab.stop() == 0, "clean exit")


mxplab.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every message form lib/mp encodes (tests/integration/mp/mp_samples.c), long and compact,
wrapped in UDP/2944 by scapy, must dissect in tshark as MEGACO with no malformed packet
or expert error, and the fields we set must be decoded. Also the requests mrfc sends, and
the 3GPP profile's: ServiceChange with its profile, Signals and Events of the standard
packages (an, srvtn, g, dd), their Notify, a Packages descriptor."""
import glob
import os
import subprocess
import sys
import tempfile

from scapy.layers.inet import IP, UDP
from scapy.packet import Raw
from scapy.utils import wrpcap

sys.path.insert(0, os.path.dirname(__file__))
from esp_common import BUILD, tshark_check  # noqa: E402

SAMPLES = os.path.join(BUILD, "tests", "integration", "mp", "mp_samples")

# file name part -> strings tshark must show for it
EXPECT = {
    "add-reply": ["Transaction: Reply", "Transaction ID: 4242", "Context: 77", "Add",
                  "Termination ID: leg/1", "Session Description Protocol",
                  "Media Port: 20000", "Connection Address: 192.0.2.2",
                  "Crypto suite: AES_CM_128_HMAC_SHA1_80"],
    "subtract-reply": ["Transaction ID: 4243", "Subtract", "Termination ID: leg/1",
                       "rtp/ps"],
    "audit-reply": ["Transaction ID: 4244", "AuditValue", "Termination ID: leg/2"],
    "command-error": ["ERROR Code: Unknown TerminationID (430)",
                      "ERROR String: Unknown TerminationID leg/9"],
    "action-error": ["Context: 99", "ERROR Code:", "(411)"],
    "transaction-error": ["Transaction ID: 4247", "ERROR Code: Syntax error in message (400)"],
    "message-error": ["ERROR Code: Version Not Supported (406)"],
    "pending": ["Transaction ID: 4248"],
    "notify": ["Transaction: Request", "Notify", "Observed Events Descriptor",
               "RequestID: 4242", "mxp/authfail"],
    "servicechange-reply": ["Transaction ID: 9000", "ServiceChange"],
    "servicechange": ["Transaction ID: 9000", "ServiceChange", "Termination ID: ROOT",
                      "Restart", "threegmrfp/1"],
    "servicechange-mxp": ["Transaction ID: 9000", "ServiceChange", "mxp/1"],
    # the 3GPP profile's packages by their standard names (the text dissector shows each
    # signal and event as a pkgdName, its parameters under it)
    "signals": ["Transaction ID: 5100", "Events Descriptor", "pkgdName: g/sc",
                "pkgdName: dd/std", "Signal Descriptor", "pkgdName: an/apf", "an=17",
                "NotifyCompletion={TimeOut}", "WildCard all", "pkgdName: srvtn/conf"],
    "notify-sc": ["Transaction ID: 9002", "Notify", "Observed Events Descriptor",
                  "RequestID: 9", "pkgdName: g/sc", "SigID=an/apf", "Meth=TO"],
    "notify-dd": ["Transaction ID: 9003", "Observed Events Descriptor", "pkgdName: dd/std",
                  "tid=d5"],
    "packages-reply": ["Transaction ID: 5101", "AuditValue", "Termination ID: ROOT",
                       "Packages Descriptor", "g-2", "dd-1", "an-1"],
    "response-ack": ["TransactionResponseAck", "4242"],
    "requests": ["Transaction ID: 5000", "Modify", "WildCard all", "Subtract", "AuditValue",
                 "Local Control Descriptor", "mxp/strict"],
}


def main():
    n = 0
    with tempfile.TemporaryDirectory(prefix="mxp_tshark_") as tmp:
        subprocess.run([SAMPLES, tmp], check=True, stdout=subprocess.DEVNULL)
        files = sorted(glob.glob(os.path.join(tmp, "*.txt")))
        assert len(files) >= 36, files
        for f in files:
            name = os.path.basename(f)[3:-4].rsplit("-", 1)[0]
            data = open(f, "rb").read()
            pcap = f + ".pcap"
            wrpcap(pcap, [IP(src="192.0.2.2", dst="192.0.2.1") /
                          UDP(sport=2944, dport=2944) / Raw(data)])
            text = tshark_check(pcap, ["MEGACO", "Version: 3"] + EXPECT[name])
            n += 1
            print("ok %d - %s" % (n, os.path.basename(f)))
    print("%d passed, 0 failed" % n)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mrfc's transaction ids across runs: each run starts from a fresh random 32-bit id, so runs
that follow each other within the MRFP's reply_ttl_ms do not reuse one (the MRFP would take
the later request for a retransmission, answer it from its reply cache and never apply it).
300 runs of `mrfc --plaintext audit` against a port where nobody answers: the first ids they
print are all distinct and spread over the 32-bit space (with 16 random bits, as before, half
of such series held a duplicate and none went past 2^26)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mxplab  # noqa: E402
from mxplab import check  # noqa: E402

RUNS = 300


def test():
    tids = []
    for _ in range(RUNS):
        r = subprocess.run([mxplab.MRFC, "--plaintext", "--mrfp", "127.0.0.1", "--port", "9",
                            "--timeout", "1", "--retx", "1", "audit"], capture_output=True, text=True,
                           timeout=30)
        m = re.search(r"Transaction\s*=\s*(\d+)", r.stderr)
        check(m is not None or not tids, "mrfc printed its request")
        if m:
            tids.append(int(m.group(1)))
    check(len(tids) == RUNS, "%d runs, %d transaction ids" % (RUNS, len(tids)))
    check(len(set(tids)) == RUNS, "all distinct (%d duplicates)" % (RUNS - len(set(tids))))
    check(max(tids) > 1 << 26 and all(0 < t < 1 << 32 for t in tids),
          "spread over the 32-bit space: largest %d" % max(tids))


mxplab.main(test)

# SPDX-License-Identifier: BSD-3-Clause
"""The end every reliability script shares (soak.py, flood.py, mp_flood.py): the failures,
the verdict line, the one JSON line (also into --json FILE), the exit status; and the
__main__ wrapper that turns a lab's TestFailure into a FAIL line and exit status 1."""
import json
import sys

import mxplab


def finish(out, failures, json_path):
    """Print the failures, "result: PASS|FAIL" and the JSON line of out; 0 or 1."""
    for f in failures:
        print("FAIL: " + f)
    print("result: %s" % ("PASS" if not failures else "FAIL"))
    line = json.dumps(out, separators=(",", ":"))
    print(line)
    if json_path:
        with open(json_path, "w") as f:
            f.write(line + "\n")
    return 0 if not failures else 1


def run(main):
    """sys.exit(main()), a lab's TestFailure printed as a failure (exit status 1)."""
    try:
        sys.exit(main())
    except mxplab.TestFailure as e:
        print("FAIL: %s" % e)
        sys.exit(1)

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The daemon's parts (doc/design.md "The daemon's parts") against app/mixplane's #include
lines: every include is one the table allows, every file is placed, and the table has no
cycle. Starts no process."""
import glob
import os
import re

import mxplab
from mxplab import check, SOURCE

SECTION = "## The daemon's parts"


def read_table():
    """{part: (files, may_use)} from the section's table."""
    text = open(os.path.join(SOURCE, "doc", "design.md")).read()
    check(SECTION in text, "doc/design.md has the section '%s'" % SECTION[3:])
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    parts = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("part", "") or set(cells[0]) <= set("-"):
            continue
        files = re.findall(r"`([^`]+)`", cells[1])
        uses = [u.strip() for u in cells[2].split(",") if u.strip() not in ("", "—", "-")]
        parts[cells[0]] = (files, uses)
    return parts


def acyclic(parts):
    """The parts in an order where each comes after what it uses; None on a cycle."""
    order, state = [], {}

    def visit(p):
        if state.get(p) == 1:
            return False
        if state.get(p) == 2:
            return True
        state[p] = 1
        for u in parts[p][1]:
            if not visit(u):
                return False
        state[p] = 2
        order.append(p)
        return True

    return order if all(visit(p) for p in parts) else None


def test():
    parts = read_table()
    check(len(parts) >= 5, "the table lists the parts (%d)" % len(parts))
    for p, (_, uses) in parts.items():
        unknown = [u for u in uses if u not in parts]
        check(not unknown, "part '%s' uses only parts of the table (unknown: %s)" % (p, unknown))
    check(acyclic(parts) is not None, "no cycle among the parts")
    part_of = {f: p for p, (files, _) in parts.items() for f in files}
    src = os.path.join(SOURCE, "app", "mixplane")
    names = sorted(os.path.basename(f) for f in glob.glob(os.path.join(src, "*.[ch]")))
    unplaced = [n for n in names if n not in part_of]
    check(not unplaced, "every file of app/mixplane is in the table (add: %s)" % unplaced)
    bad = []
    for n in names:
        for inc in re.findall(r'^#include "([^"]+)"', open(os.path.join(src, n)).read(), re.M):
            if inc not in part_of:
                continue  # a library's header (mxp_*.h)
            mine, theirs = part_of[n], part_of[inc]
            if theirs != mine and theirs not in parts[mine][1]:
                bad.append("%s (%s) includes %s (%s)" % (n, mine, inc, theirs))
    check(not bad, "every #include is allowed by the table%s" % (
        "" if not bad else ": " + "; ".join(bad)))


mxplab.main(test)

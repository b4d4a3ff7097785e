#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/kubernetes/ validated offline by scripts/k8s-validate.sh (kubernetes-models' API
schemas, the Multus CRD, the deployment's policies), and the validator can fail: a copy of
the tree with one rule broken at a time must be refused with that rule's message. The
ConfigMap's start.sh runs outside a pod (a stub mixplane) and the daemon checks the
configuration it generates (mixplane -c). Starts no daemon; the npm registry is needed only
for the validator's first install."""
import os
import shutil
import subprocess
import tempfile

import mxplab
from mxplab import check, SOURCE

SCRIPT = os.path.join(SOURCE, "scripts", "k8s-validate.sh")
TREE = os.path.join(SOURCE, "deploy", "kubernetes")

# (what is broken, file, text, replacement, the message expected, the set that fails)
BREAKS = [
    ("limits differ from requests", "base/statefulset.yaml",
     '            limits:\n              cpu: "4"', '            limits:\n              cpu: "3"',
     "Guaranteed QoS: requests == limits (differ: cpu)", "base"),
    ("a fraction of a CPU", "base/statefulset.yaml", 'cpu: "4"', 'cpu: "3500m"',
     "whole CPUs", "base"),
    ("no hugepages", "base/statefulset.yaml", "hugepages-2Mi: 2Gi", "ephemeral-storage: 2Gi",
     "one hugepage size requested", "base"),
    ("the hugepage emptyDir of another size", "base/statefulset.yaml",
     "medium: HugePages\n", "medium: HugePages-1Gi\n", "a hugepage emptyDir", "base"),
    ("no readiness probe", "base/statefulset.yaml", "readinessProbe:", "startupProbeX:",
     "readinessProbe: exec mixplanectl health ready", "base"),
    ("liveness not through mixplanectl", "base/statefulset.yaml",
     '          livenessProbe:\n            exec:\n              command: ["mixplanectl", "health", "live"]',
     '          livenessProbe:\n            exec:\n              command: ["true"]',
     "livenessProbe: exec mixplanectl health live", "base"),
    ("a preStop that does not drain", "base/statefulset.yaml",
     '["mixplanectl", "drain", "delay", "600", "wait"]', '["sleep", "600"]',
     "preStop: exec mixplanectl drain delay N wait", "base"),
    ("a grace period not above the drain delay", "base/statefulset.yaml",
     "terminationGracePeriodSeconds: 660", "terminationGracePeriodSeconds: 600",
     "terminationGracePeriodSeconds (600) > the drain delay (600)", "base"),
    ("a capability too many", "base/statefulset.yaml", '"SYS_RAWIO"]', '"SYS_RAWIO", "SYS_ADMIN"]',
     "capabilities: drop ALL", "base"),
    ("a non-root uid (the capabilities would not be effective)", "base/statefulset.yaml",
     "runAsUser: 0", "runAsUser: 10001", "runAsUser 0: the added capabilities", "base"),
    ("the ESP Secret writable", "base/statefulset.yaml",
     "mountPath: /etc/mixplane/esp\n              readOnly: true",
     "mountPath: /etc/mixplane/esp\n              readOnly: false",
     "the ESP Secret mounted read-only", "base"),
    ("the ESP key files group-readable", "base/statefulset.yaml", "defaultMode: 0400",
     "defaultMode: 0440", "the ESP Secret mounted read-only", "base"),
    ("a PDB that selects nothing", "base/pdb.yaml", "app.kubernetes.io/name: mixplane",
     "app.kubernetes.io/name: other", "the PodDisruptionBudget selects the pods", "base"),
    ("a misspelt field", "base/statefulset.yaml", "            requests:\n",
     "            request:\n", "no unknown fields: spec.template.spec.containers[0].resources.request",
     "base"),
    ("a wrong type (schema)", "base/statefulset.yaml", "containerPort: 9464",
     'containerPort: "metrics"', "schema of apps/v1/StatefulSet", "base"),
    ("a missing required field (schema)", "base/statefulset.yaml",
     "  selector:\n    matchLabels:\n      app.kubernetes.io/name: mixplane\n", "",
     "must have required property selector", "base"),
    ("a StatefulSet without its headless service", "base/statefulset.yaml",
     "  serviceName: mixplane\n", "", "serviceName names a headless Service", "base"),
    ("no image (the API server refuses it; the schema does not)", "base/statefulset.yaml",
     "          image: localhost/mixplane:latest\n", "", "an image", "base"),
    ("a network that is not defined", "base/statefulset.yaml",
     "k8s.v1.cni.cncf.io/networks: mixplane-media, mixplane-mp",
     "k8s.v1.cni.cncf.io/networks: mixplane-media, mixplane-voice",
     "are NetworkAttachmentDefinitions of the set", "base"),
    ("a CNI config without a type", "base/nad-media.yaml", '      "type": "sriov",\n', "",
     "spec.config needs cniVersion and type", "base"),
    ("an SR-IOV resource not requested", "base/nad-mp.yaml", "intel.com/sriov_mp",
     "intel.com/sriov_mp2", "its SR-IOV resource intel.com/sriov_mp2 requested", "base"),
    ("an unknown field in the CRD", "base/nad-mp.yaml", "spec:\n  config:",
     "spec:\n  conifg: x\n  config:", "unknown field spec.conifg", "base"),
    ("an overlay breaking QoS (strategic merge)", "overlays/lab-af-packet/statefulset-lab.yaml",
     '            limits:\n              cpu: "2"', '            limits:\n              cpu: "3"',
     "Guaranteed QoS", "overlays/lab-af-packet"),
    ("an overlay patching a path that does not exist (JSON 6902)",
     "overlays/lab-af-packet/capabilities.yaml", "capabilities/add", "capabilitiez/add",
     "no such path", "overlays/lab-af-packet"),
    ("a kustomization field the validator does not render", "overlays/hugepages-1Gi/kustomization.yaml",
     "resources:\n", "namePrefix: x-\nresources:\n", "field namePrefix is not supported",
     "overlays/hugepages-1Gi"),
    ("an overlay leaving two hugepage sizes", "overlays/hugepages-1Gi/hugepages-1Gi.yaml",
     "              hugepages-2Mi: null\n              hugepages-1Gi: 2Gi\n            limits:",
     "              hugepages-1Gi: 2Gi\n            limits:", "Guaranteed QoS", "overlays/hugepages-1Gi"),
]


def validate(tree):
    return subprocess.run([SCRIPT, tree], capture_output=True, text=True, timeout=300)


def start_script(tmp):
    """The ConfigMap's start.sh run outside a pod (MIXPLANE_ETC/RUN, a stub mixplane on PATH
    that records its arguments and has the real daemon check the generated configuration)
    as ordinal 1 with two VFs from the device plugin."""
    etc, run, bindir = (os.path.join(tmp, d) for d in ("etc", "run", "bin"))
    for d in (etc, run, bindir, os.path.join(etc, "esp")):
        os.makedirs(d, exist_ok=True)
    r = subprocess.run([SCRIPT], env=dict(os.environ, K8S_VALIDATE_WRITE_CONFIG=etc),
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and os.path.exists(os.path.join(etc, "start.sh")),
          "the ConfigMap's files written out")
    mxplab.run([mxplab.MRFC, "keygen", "--mrfp", "192.0.2.11", "--mrfc", "192.0.2.1",
                "--mrfp-out", os.path.join(etc, "esp", "mrfp-1.sa"),
                "--mrfc-out", os.path.join(tmp, "mrfc.sa")])
    args = os.path.join(tmp, "args")
    with open(os.path.join(bindir, "mixplane"), "w") as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "$@" > %s\nwhile [ "$1" != "--" ]; do shift; done\n'
                'shift\nexec %s -- -c "$@"\n' % (args, mxplab.MIXPLANE))
    os.chmod(os.path.join(bindir, "mixplane"), 0o755)
    env = dict(os.environ, MIXPLANE_ETC=etc, MIXPLANE_RUN=run, POD_NAME="mixplane-1",
               PCIDEVICE_INTEL_COM_SRIOV_MEDIA="0000:03:02.0",
               PCIDEVICE_INTEL_COM_SRIOV_MP="0000:03:0a.0",
               PATH=bindir + ":" + os.environ["PATH"])
    r = subprocess.run(["taskset", "-c", "0,1", "sh", os.path.join(etc, "start.sh")], env=env,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "configuration OK: 2 port(s)" in r.stdout,
          "start.sh as mixplane-1: the daemon accepts the generated configuration (%s)"
          % (r.stdout + r.stderr).strip().replace("\n", " | "))
    a = open(args).read().split("\n")
    check(a[:4] == ["-l", "0,1", "--main-lcore", "0"] and
          "-a\n0000:03:02.0\n-a\n0000:03:0a.0" in "\n".join(a),
          "EAL: the container's CPUs (0,1: main lcore 0), the two VFs allowed (%s)" % " ".join(a))
    ini = open(os.path.join(run, "mixplane.ini")).read()
    check("device = 0000:03:02.0" in ini and "ipv4 = 198.51.100.11/24" in ini and
          "ipv4 = 192.0.2.11/24" in ini and "mrfp-1.sa" in ini and "@" not in ini,
          "the configuration has ordinal 1's addresses, devices and key file, no placeholder")
    env["POD_NAME"] = "mixplane-7"
    r = subprocess.run(["taskset", "-c", "0,1", "sh", os.path.join(etc, "start.sh")], env=env,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "no line for ordinal 7" in r.stderr,
          "an ordinal without an addresses line refuses to start: %s" % r.stderr.strip())


def test():
    r = validate(TREE)
    if r.returncode == 2:
        raise mxplab.TestFailure("the validator cannot run: " + r.stderr.strip())
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr.strip()
    check(r.returncode == 0 and ", 0 failed" in r.stdout,
          "deploy/kubernetes: the base and every overlay valid (%s)%s" % (
              last, "" if r.returncode == 0 else "\n" + r.stdout))
    tmp = tempfile.mkdtemp(prefix="mxp-k8s-")
    try:
        start_script(tmp)
        for what, rel, old, new, msg, where in BREAKS:
            copy = os.path.join(tmp, "k8s")
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(TREE, copy)
            p = os.path.join(copy, rel)
            text = open(p).read()
            check(old in text, "%s: the text to break is in %s" % (what, rel))
            with open(p, "w") as f:
                f.write(text.replace(old, new))
            r = validate(copy)
            fails = [l for l in r.stdout.splitlines() if l.startswith("FAIL")]
            hit = [l for l in fails if l.startswith("FAIL %s " % where) and msg in l]
            check(r.returncode == 1 and hit, "%s (%s): refused: %s" % (
                what, rel, hit[0] if hit else "NOT REFUSED AS EXPECTED:\n" + r.stdout + r.stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


mxplab.main(test)

"""mixgen --legs FILE: play legs somebody else set up, from a participant key file in mrfc's
format (mixgen --keys-out writes the same). The legs are made by a first mixgen run that
sends nothing (--pcap-out, --keep); a second run plays them from the file. During the run
the test plays the MRFC's part of a rekey: new keys to the daemon, the file rewritten (the
participant's new SDP), then the daemon's output switched; mixgen must follow the file with
nothing lost. A file with a wrong key must fail with the daemon's authentication drops."""
import base64
import os
import re
import subprocess
import threading
import time

import mglab
import mxplab
from mxplab import check


def rewrite(path, fn):
    with open(path) as f:
        text = f.read()
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(fn(text))
    os.rename(tmp, path)


def new_key():
    return base64.b64encode(os.urandom(30)).decode()


def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-legs") as lab:
        keys = os.path.join(lab.dir, "keys.txt")
        r = lab.mixgen("--participants", "4", "--audio", "pattern", "--mki", "--keep",
                       "--pcap-out", os.devnull, "--pcap-packets", "1", "--keys-out", keys)
        check(r.rc == 0 and os.path.exists(keys), "legs set up and written to a key file")
        legs = [l.split() for l in open(keys) if l.startswith("leg ")]
        conf = legs[0][1]
        check(len(legs) == 4 and oct(os.stat(keys).st_mode & 0o777) == "0o600",
              "4 legs in the file, mode 0600")

        # The MRFC's side of a rekey, 1 s into the run.
        def mrfc_rekey():
            time.sleep(1.0)
            new = {}
            for l in legs:
                leg = l[2]
                kin, kout = new_key(), new_key()
                new[leg] = (kin, kout)
                for d, k in (("in", kin), ("out", kout)):
                    p = subprocess.run([mxplab.MIXPLANECTL, "-s", lab.sock, "-i", "-", "leg", "key",
                                        "add", leg, d],
                                       input="%s a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s|2:4\n"
                                       % (d, k), capture_output=True, text=True)
                    assert p.returncode == 0, p.stderr

            def swap(text):
                out, cur = [], None
                for line in text.splitlines():
                    w = line.split()
                    if w and w[0] == "leg":
                        cur = w[2]
                    elif w and w[0] in ("tx", "rx"):
                        line = "%s 1 AES_CM_128_HMAC_SHA1_80 inline:%s|2:4" % (
                            w[0], new[cur][0 if w[0] == "tx" else 1])
                    out.append(line)
                return "\n".join(out) + "\n"
            rewrite(keys, swap)
            time.sleep(0.3)   # the participants have their new keys: switch the daemon
            for l in legs:
                lab.ctl("leg", "key", "activate", l[2], "2")

        t = threading.Thread(target=mrfc_rekey)
        t.start()
        r = lab.mixgen("--legs", keys, "--duration", "2.5", "--audio", "pattern")
        t.join()
        k = r.check("keys from --legs")
        check(r.rc == 0 and r.json["ok"] and k and k["pass"],
              "played the legs from the file and followed the rekey: %s %s"
              % (k and k["detail"], r.failed_checks()))
        check(r.json["run"]["lost"] == 0 and r.json["run"]["received"] == 3 * r.json["run"]["sent"],
              "nothing lost across the rekey (%d received)" % r.json["run"]["received"])
        check(re.search(r"4 senders and 4 receivers on newer keys", k["detail"]) is not None,
              "every sender and every receiver moved to the new keys")
        lab.ctl("conference", "delete", conf)

        # A key file with a wrong key: the daemon cannot authenticate that participant.
        r = lab.mixgen("--participants", "3", "--audio", "pattern", "--keep",
                       "--pcap-out", os.devnull, "--pcap-packets", "1", "--keys-out", keys)
        legs = [l.split() for l in open(keys) if l.startswith("leg ")]
        bad = [False]

        def corrupt(text):
            out = []
            for line in text.splitlines():
                if line.startswith("tx ") and not bad[0]:
                    line = re.sub(r"inline:[^| ]+", "inline:" + new_key(), line)
                    bad[0] = True
                out.append(line)
            return "\n".join(out) + "\n"
        rewrite(keys, corrupt)
        r = lab.mixgen("--legs", keys, "--duration", "1", "--audio", "pattern")
        d = r.check("daemon drops")
        check(r.rc == 1 and d and "srtp_auth" in d["detail"],
              "a wrong key in the file: exit 1, the daemon's srtp_auth drops reported (%s)"
              % (d and d["detail"]))
        lab.ctl("conference", "delete", legs[0][1])

        with open(os.path.join(lab.dir, "garbage.txt"), "w") as f:
            f.write("leg 1 a b c\n")
        r = lab.mixgen("--legs", os.path.join(lab.dir, "garbage.txt"))
        check(r.rc == 2 and "garbage.txt:1" in r.stderr, "a malformed key file: exit 2, line named")
        rc = lab.stop()
        check(rc == 0, "the daemon exits cleanly (status %s)%s" % (
            rc, "" if rc == 0 else "\n" + lab.read_log()[-2000:]))


mxplab.main(test)

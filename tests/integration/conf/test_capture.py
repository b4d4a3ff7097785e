"""Packet capture of a leg and of a conference (mixplanectl capture), end to end.

A switch conference of three SRTP participants (libsrtp2, mxp-srtp-peer). Leg 1 is
captured while everyone talks; srtp-pcap decrypts the pcapng with the test's own keys
(given out of band, as an operator would) and the payloads must be exactly what the
participants sent: leg 1's packets inbound, the other two's outbound to it, nothing of
the other legs. The capture holds no key, is owner-only, and tshark reads it. Bounds: a
packet bound stops at exactly that count, a byte bound keeps the file under it, a time
bound ends it; removing the leg ends its capture; a conference capture sees every leg; a
mix leg's capture holds its packets in and the mix it heard out, all authenticated.
Bad input is refused with specific errors and changes nothing.
"""
import base64
import json
import logging
import os
import struct
import subprocess
import time

import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, TestFailure, crypto_line, gen_key, wait_for

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, rdpcap  # noqa: E402

SRTP_PCAP = os.path.join(mxplab.BUILD, "app", "srtp-pcap", "srtp-pcap")
N = 40
MAGIC = 0x4D585054  # mxp-srtp-peer's test payload: "MXPT", sender id, sequence, filler
PAYLOAD = 160


def peer_payload(pid, seq):
    """What mxp-srtp-peer sends as participant pid's packet seq (its fill_payload)."""
    return struct.pack("!III", MAGIC, pid, seq) + bytes(
        (pid * 37 + seq * 11 + i) & 0xFF for i in range(12, PAYLOAD))


def tshark_count(path):
    r = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise TestFailure("tshark cannot read %s: %s" % (path, r.stderr))
    return len(r.stdout.split())


def captures(lab):
    return {c["id"]: c for c in lab.ctl_json("show", "captures")}


def wait_end(lab, cid, end, timeout=10):
    wait_for(lambda: captures(lab)[cid]["state"] == "ended", timeout,
             "capture %d to end (%s)" % (cid, end))
    c = captures(lab)[cid]
    check(c["end"] == end, "capture %d ended by %s (%s)" % (cid, end, c["end"]))
    return c


def udp_frames(path):
    """(src, sport, dst, dport, payload) of every UDP frame of a capture."""
    out = []
    for p in rdpcap(path):
        if IP in p and UDP in p:
            out.append((p[IP].src, p[UDP].sport, p[IP].dst, p[UDP].dport, bytes(p[UDP].payload)))
    return out


def talk(lab, parts, count=N):
    return lab.peer(KERNEL_IP4, rx=[(p["port"], p["k_out"]) for p in parts],
                    tx=[(p["port"], DAEMON_IP4, p["leg"]["local_port"], p["k_in"],
                         0x1000 + p["id"], p["id"]) for p in parts], count=count)


def new_conf(lab, ports, name, mode="switch"):
    """A conference of SRTP participants on these kernel-side ports. The peers restart
    their sequence numbers each run: a participant talks once (SRTP replay protection
    would drop a second run under the same key)."""
    conf = lab.conf_create("mode", mode, "name", name)
    parts = []
    for i, port in enumerate(ports):
        k_in, k_out = gen_key(), gen_key()
        leg = lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, port), "label", "%s%d" % (name, i),
                          *(["pt", "0"] if mode == "mix" else []))
        parts.append(dict(id=i + 1, port=port, k_in=k_in, k_out=k_out, leg=leg))
    return conf, parts


def heard_all(res, parts, n):
    for p in parts:
        got = res["rx"][str(p["port"])]
        check(got["packets"] == n * (len(parts) - 1) and got["auth_fail"] == 0,
              "participant %d heard %d packets (%s)" % (p["id"], n * (len(parts) - 1), got))


def decrypt(lab, cap, p, name):
    """srtp-pcap with one participant's keys (a 0600 file: keys off the command line);
    returns its report and the decrypted frames."""
    kf = os.path.join(lab.dir, name + ".keys")
    with open(kf, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write("dst=%s:%d %s\n" % (DAEMON_IP4, p["leg"]["local_port"], crypto_line(p["k_in"])))
        f.write("dst=%s:%d %s\n" % (KERNEL_IP4, p["port"], crypto_line(p["k_out"])))
    dec = os.path.join(lab.dir, name + "-plain.pcap")
    r = subprocess.run([SRTP_PCAP, "decrypt", "-K", kf, "--json", cap, dec],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "srtp-pcap decrypts %s (%d: %s)" % (os.path.basename(cap),
                                                                r.returncode, r.stderr.strip()))
    return json.loads(r.stdout), udp_frames(dec)


def refused(lab, args, status, what, path=None):
    before = len(captures(lab))
    r = lab.ctl(*args, check_rc=False)
    check(r.returncode == status and r.stdout.strip() == "" and r.stderr.strip() != "",
          "%s: refused with status %d (%d: %s)" % (what, status, r.returncode,
                                                   r.stderr.strip()))
    check(len(captures(lab)) == before, "%s: no capture started" % what)
    if path is not None:
        check(not os.path.exists(path), "%s: no file left behind" % what)
    return r.stderr


def test():
    with Lab("capture") as lab:
        d = lab.dir
        # the lab's daemon runs with --huge-unlink (or --no-huge): DPDK's capture tools
        # cannot attach to it, and its log says why (mixplanectl capture still works)
        opt = [a for a in lab.eal_args() if a in ("--huge-unlink", "--no-huge")]
        check(bool(opt) and "cannot attach (EAL option %s" % opt[0] in lab.read_log(),
              "the log says dpdk-dumpcap cannot attach and why (%s)" % opt)
        conf, parts = new_conf(lab, (5000, 5002, 5004), "one")
        p1 = parts[0]
        lp1 = p1["leg"]["local_port"]

        # -- 1. one leg, both directions, decrypted with the participants' keys -------------
        f1 = os.path.join(d, "leg1.pcapng")
        r = lab.ctl_json("capture", "leg", str(p1["leg"]["id"]), "file", f1)
        c1 = r["capture"]
        check(r["seconds"] == 60 and r["packets"] == 100000 and r["bytes"] == 64 << 20,
              "defaults: 60 s, 100000 packets, 64 MiB (%s)" % r)
        heard_all(talk(lab, parts), parts, N)
        st = lab.ctl_json("capture", "stop", str(c1))
        info = wait_end(lab, c1, "stopped")
        mode = os.stat(f1).st_mode & 0o777
        check(mode == 0o600, "capture file is owner-only (%o)" % mode)
        nframes = tshark_count(f1)
        check(nframes == info["packets"] == st["packets"],
              "tshark reads the pcapng: %d frames = %d reported" % (nframes, info["packets"]))
        check(os.path.getsize(f1) == info["bytes"], "reported bytes are the file's size")
        r = subprocess.run(["tshark", "-r", f1, "-c", "1", "-T", "fields", "-e",
                            "frame.time_epoch"], capture_output=True, text=True, timeout=60)
        t0 = float(r.stdout.split()[0])
        check(abs(t0 - time.time()) < 600,
              "packets are stamped with the wall clock (first at %.0f, now %.0f)"
              % (t0, time.time()))
        check(info["ring_full"] == 0 and info["no_mbuf"] == 0 and info["discarded"] == 0,
              "nothing lost on the way (%s)" % info)
        raw = open(f1, "rb").read()
        for p in parts:
            for k in (p["k_in"], p["k_out"]):
                check(k.encode() not in raw and base64.b64decode(k)[:16] not in raw,
                      "no key of participant %d in the capture" % p["id"])
        frames = udp_frames(f1)
        ok_ends = {(DAEMON_IP4, lp1), (DAEMON_IP4, lp1 + 1), (KERNEL_IP4, p1["port"]),
                   (KERNEL_IP4, p1["port"] + 1)}
        others = [f for f in frames if (f[0], f[1]) not in ok_ends or (f[2], f[3]) not in ok_ends]
        check(len(frames) == nframes and not others,
              "only leg 1's packets (%d frames, %d of other legs)" % (len(frames), len(others)))
        tin = sum(1 for f in frames if f[2] == DAEMON_IP4 and f[3] == lp1)
        tout = sum(1 for f in frames if f[0] == DAEMON_IP4 and f[1] == lp1)
        check(tin == N and tout == 2 * N,
              "captured %d RTP in and %d out (want %d and %d)" % (tin, tout, N, 2 * N))
        # the operator's keys, out of band: the participant's for what it sent, the
        # mixer's (its out key) for what it received
        rep, plain = decrypt(lab, f1, p1, "leg1")
        check(rep["failed"] == 0 and sum(s["rtp"] for s in rep["streams"]) == 3 * N,
              "every RTP packet authenticated (%d streams, %d failed)"
              % (len(rep["streams"]), rep["failed"]))
        sent_in, heard = [], {}
        bad = 0
        for src, sport, dst, dport, pl in plain:
            if len(pl) < 12 or 72 <= (pl[1] & 0x7F) <= 76:
                continue  # RTCP
            body = pl[12:]
            if len(body) != PAYLOAD:
                bad += 1
                continue
            pid, seq = struct.unpack("!II", body[4:12])
            if body != peer_payload(pid, seq):
                bad += 1
            elif dst == DAEMON_IP4:
                sent_in.append((pid, seq))
            else:
                heard.setdefault(pid, set()).add(seq)
        check(bad == 0, "every decrypted payload is byte for byte what a participant sent")
        check(len(sent_in) == N and {pid for pid, _ in sent_in} == {1}
              and len({s for _, s in sent_in}) == N,
              "inbound: participant 1's %d packets, each once (%d)" % (N, len(sent_in)))
        check(sorted(heard) == [2, 3] and all(len(v) == N for v in heard.values()),
              "outbound: participants 2 and 3's %d packets each (%s)"
              % (N, {k: len(v) for k, v in heard.items()}))

        # -- 2. the packet bound stops at exactly that count -----------------------------
        f2 = os.path.join(d, "bound.pcapng")
        _, parts2 = new_conf(lab, (5100, 5102, 5104), "two")
        c2 = lab.ctl_json("capture", "leg", str(parts2[1]["leg"]["id"]), "file", f2,
                          "packets", "7")["capture"]
        heard_all(talk(lab, parts2, count=20), parts2, 20)
        info = wait_end(lab, c2, "packets")
        check(info["packets"] == 7 and tshark_count(f2) == 7,
              "packet bound 7: %d reported, %d in the file" % (info["packets"], tshark_count(f2)))

        # -- 3. the byte bound, an overwrite, the time bound, a removed leg ---------------
        _, parts3 = new_conf(lab, (5200, 5202), "three")
        c3 = lab.ctl_json("capture", "leg", str(parts3[0]["leg"]["id"]), "file", f2,
                          "bytes", "8k", "overwrite")["capture"]
        heard_all(talk(lab, parts3, count=30), parts3, 30)
        info = wait_end(lab, c3, "bytes")
        size = os.path.getsize(f2)
        check(size <= 8192 and size == info["bytes"] and tshark_count(f2) == info["packets"] > 0,
              "byte bound 8k: a %d-byte file of %d frames" % (size, info["packets"]))
        c4 = lab.ctl_json("capture", "leg", str(parts[2]["leg"]["id"]), "file",
                          os.path.join(d, "time.pcapng"), "seconds", "1")["capture"]
        wait_end(lab, c4, "seconds", timeout=5)
        c5 = lab.ctl_json("capture", "leg", str(parts[2]["leg"]["id"]), "file",
                          os.path.join(d, "gone.pcapng"))["capture"]
        lab.ctl("leg", "delete", str(parts[2]["leg"]["id"]))
        wait_end(lab, c5, "leg-removed", timeout=5)

        # -- 4. a conference capture sees every leg ---------------------------------------
        f6 = os.path.join(d, "conf.pcapng")
        conf4, parts4 = new_conf(lab, (5300, 5302, 5304), "four")
        c6 = lab.ctl_json("capture", "conference", str(conf4), "file", f6)["capture"]
        heard_all(talk(lab, parts4), parts4, N)
        lab.ctl("capture", "stop", str(c6))
        frames = udp_frames(f6)
        for p in parts4:
            lp = p["leg"]["local_port"]
            n_in = sum(1 for f in frames if f[2] == DAEMON_IP4 and f[3] == lp)
            n_out = sum(1 for f in frames if f[0] == DAEMON_IP4 and f[1] == lp)
            check(n_in == N and n_out == 2 * N,
                  "conference capture: leg %d's %d in and %d out" % (p["leg"]["id"], n_in, n_out))

        # -- 5. a mix conference: the participant's packets in, its mix out ------------------
        f9 = os.path.join(d, "mix.pcapng")
        _, parts9 = new_conf(lab, (5500, 5502), "mix", mode="mix")
        m1 = parts9[0]
        c9 = lab.ctl_json("capture", "leg", str(m1["leg"]["id"]), "file", f9)["capture"]
        res = talk(lab, parts9)
        lab.ctl("capture", "stop", str(c9))
        heard = res["rx"][str(m1["port"])]["packets"]
        check(heard > 0, "mix: participant 1 heard its mix (%d packets)" % heard)
        rep, plain = decrypt(lab, f9, m1, "mix")
        lp = m1["leg"]["local_port"]
        rtp_in = [f[4] for f in plain if f[3] == lp and not 72 <= (f[4][1] & 0x7F) <= 76]
        rtp_out = [f for f in plain if f[1] == lp and not 72 <= (f[4][1] & 0x7F) <= 76]
        intact = sum(1 for pl in rtp_in if pl[12:] == peer_payload(1, struct.unpack(
            "!I", pl[20:24])[0]))
        check(rep["failed"] == 0 and len(rtp_in) == N and intact == N,
              "mix: participant 1's %d packets in, decrypted intact (%d of %d)"
              % (N, intact, len(rtp_in)))
        check(len(rtp_out) == heard,
              "mix: the %d mixed packets it heard, out, authenticated (%d)" % (heard, len(rtp_out)))

        # -- 6. bad input: specific errors, nothing changes ------------------------------
        leg1 = str(p1["leg"]["id"])
        bad_f = os.path.join(d, "bad.pcapng")
        refused(lab, ["capture", "leg", "9999", "file", bad_f], 3, "unknown leg", bad_f)
        refused(lab, ["capture", "conference", "9999", "file", bad_f], 3, "unknown conference",
                bad_f)
        refused(lab, ["capture", "leg", leg1, "file", "rel.pcapng"], 2, "relative path")
        refused(lab, ["capture", "leg", leg1], 2, "no file", None)
        for k, v in (("packets", "0"), ("packets", "10000001"), ("seconds", "0"),
                     ("seconds", "3601"), ("bytes", "100"), ("bytes", "2G"), ("bytes", "1x")):
            e = refused(lab, ["capture", "leg", leg1, "file", bad_f, k, v], 2,
                        "%s %s" % (k, v), bad_f)
            check(k in e, "the error names '%s' (%s)" % (k, e.strip()))
        before = open(f1, "rb").read()
        e = refused(lab, ["capture", "leg", leg1, "file", f1], 2, "existing file")
        check("overwrite" in e and open(f1, "rb").read() == before,
              "an existing file is refused and left as it was")
        link = os.path.join(d, "link.pcapng")
        os.symlink(os.path.join(d, "target"), link)
        refused(lab, ["capture", "leg", leg1, "file", link, "overwrite"], 1, "a symbolic link")
        check(not os.path.exists(os.path.join(d, "target")), "nothing written through the link")
        f7 = os.path.join(d, "busy.pcapng")
        c7 = lab.ctl_json("capture", "leg", leg1, "file", f7)["capture"]
        refused(lab, ["capture", "leg", leg1, "file", bad_f], 1, "a leg captured twice", bad_f)
        refused(lab, ["capture", "stop", "9999"], 3, "stop an unknown capture")
        lab.ctl("capture", "stop")
        check(captures(lab)[c7]["state"] == "ended", "capture stop with no id stops every capture")
        refused(lab, ["capture", "stop", str(c7)], 1, "stop an ended capture")

        # -- 7. a capture running at shutdown is closed cleanly -----------------------------
        f8 = os.path.join(d, "shutdown.pcapng")
        conf5, parts5 = new_conf(lab, (5400, 5402), "five")
        lab.ctl("capture", "conference", str(conf5), "file", f8)
        heard_all(talk(lab, parts5, count=5), parts5, 5)
        check(lab.stop() == 0, "clean exit with a capture running")
        rtp_ports = {p["leg"]["local_port"] for p in parts5} | {p["port"] for p in parts5}
        n = sum(1 for f in udp_frames(f8) if f[1] in rtp_ports and f[3] in rtp_ports)
        check(n == 4 * 5, "the capture running at shutdown holds its %d RTP frames (%d)"
              % (4 * 5, n))


mxplab.main(test)

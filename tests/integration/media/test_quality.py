"""Per-leg call quality (doc/media.md, "Call quality") through the real daemon: a mix conference
of two plain PCMU participants, one of which drops 5 % of its packets (seeded) and reports a
lossy, jittery reception in its RTCP receiver reports while the other sends every packet and
reports a clean one. `show leg --json` must rate the lossy leg below the clean one, and each R
and MOS must be what ITU-T G.107 gives for the counters the daemon reports: the E-model is
recomputed here from G.107's equations (an implementation of this test's own, not the C one).
`show legs worst 1` and `show conference` must point at the lossy leg.

Run with "peer SPEC.json" (in the lab's namespace) it is the participants."""
import json
import math
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

PACKETS = 250            # 5 s of 20 ms PCMU
LOSS = 0.05              # the lossy participant's drop probability
SEED = 15
RR_FRACTION = {"clean": 0, "lossy": 26}      # what each reports of our stream, /256
RR_JITTER = {"clean": 0, "lossy": 160}       # RTP units at 8 kHz (160: 20 ms)


# ---- the participants (run in the namespace) --------------------------------------------

def rr(ssrc, fraction, jitter, sr=None):
    """An RTCP receiver report with one report block (RFC 3550 6.4.2). sr: (LSR, arrival) of
    the last sender report the MRFP sent us, echoed with the delay since (DLSR, 1/65536 s)."""
    lsr, dlsr = 0, 0
    if sr is not None:
        lsr, dlsr = sr[0], int((time.monotonic() - sr[1]) * 65536)
    block = struct.pack("!IIIIII", 0x12345678, fraction << 24, 0, jitter, lsr, dlsr)
    return struct.pack("!BBHI", 0x81, 201, (8 + len(block)) // 4 - 1, ssrc) + block


def peer(spec_path):
    """Each participant sends PACKETS at 20 ms (the lossy one skips its seeded drops) and
    receiver reports at 1 s and 3 s; the last one, after its packets, waits for a sender
    report of the MRFP (RFC 3550 6.2: the first within 3.75 s) to echo, so the MRFP can
    measure the round trip (at most 10 s)."""
    spec = json.load(open(spec_path))
    rng = random.Random(SEED)
    socks, sched, sent, srs, rtcp_of = [], [], {}, {}, {}
    t0 = time.monotonic() + 0.05
    payload = bytes((0x80 + 37 * i) & 0xFF for i in range(160))
    for p in spec["parts"]:
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind((spec["bind"], p["port"]))
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtcp.bind((spec["bind"], p["port"] + 1))
        socks += [rtp, rtcp]
        rtcp_of[rtcp.fileno()] = p["name"]
        sent[p["name"]] = 0
        for i in range(PACKETS):
            if p["loss"] and rng.random() < p["loss"]:
                continue  # dropped: sequence number and timestamp still advance
            hdr = struct.pack("!BBHII", 0x80, 0x80 if i == 0 else 0, (1000 + i) & 0xFFFF,
                              5000 + 160 * i, p["ssrc"])
            sched.append((t0 + i * 0.02, rtp, hdr + payload, p["dport"], p))
        for t in (1.0, 3.0):
            sched.append((t0 + t, rtcp, None, p["dport_rtcp"], p))
    sched.sort(key=lambda e: e[0])

    def drain(timeout):
        r, _, _ = select.select(socks, [], [], max(0.0, timeout))
        for rs in r:
            try:
                d = rs.recv(4096)
            except BlockingIOError:
                continue
            name = rtcp_of.get(rs.fileno())
            if name and len(d) >= 28 and d[1] == 200:  # an SR leads the compound
                srs[name] = (struct.unpack("!I", d[10:14])[0], time.monotonic())

    for when, s, pkt, dport, p in sched:
        while time.monotonic() < when:
            drain(when - time.monotonic())
        if pkt is None:
            pkt = rr(p["ssrc"], p["fraction"], p["jitter"], srs.get(p["name"]))
        else:
            sent[p["name"]] += 1
        s.sendto(pkt, (spec["dst"], dport))
    deadline = time.monotonic() + 10
    while len(srs) < len(spec["parts"]) and time.monotonic() < deadline:
        drain(deadline - time.monotonic())
    for p in spec["parts"]:
        s = [x for x in socks if rtcp_of.get(x.fileno()) == p["name"]][0]
        s.sendto(rr(p["ssrc"], p["fraction"], p["jitter"], srs.get(p["name"])),
                 (spec["dst"], p["dport_rtcp"]))
    json.dump(dict(sent=sent, sr=sorted(srs)), sys.stdout)


# ---- G.107, independently ------------------------------------------------------------------

def g107_r(T=0.0, Tr=0.0, Ta=0.0, ie=0.0, bpl=4.3, ppl=0.0, burst_r=1.0):
    """R of ITU-T G.107 clause 7 with the default values of its Table 3 but the ones given."""
    SLR, RLR, STMR, LSTR, Ds, TELR, WEPL, qdu = 8, 2, 15, 18, 3, 65, 110, 1
    Nc, Nfor, Ps, Pr, A = -70, -64, 35, 35, 0
    OLR = SLR + RLR
    Nos = Ps - SLR - Ds - 100 + 0.004 * (Ps - OLR - Ds - 14) ** 2
    Pre = Pr + 10 * math.log10(1 + 10 ** ((10 - LSTR) / 10))
    Nor = RLR - 121 + Pre + 0.008 * (Pre - 35) ** 2
    Nfo = Nfor + RLR
    No = 10 * math.log10(sum(10 ** (x / 10) for x in (Nc, Nos, Nor, Nfo)))
    Ro = 15 - 1.5 * (SLR + No)
    Xolr = OLR + 0.2 * (64 + No - RLR)
    Iolr = 20 * ((1 + (Xolr / 8) ** 8) ** (1 / 8) - Xolr / 8)
    STMRo = -10 * math.log10(10 ** (-STMR / 10) + math.exp(-T / 4) * 10 ** (-TELR / 10))
    Ist = (12 * (1 + ((STMRo - 13) / 6) ** 8) ** (1 / 8)
           - 28 * (1 + ((STMRo + 1) / 19.4) ** 35) ** (1 / 35)
           - 13 * (1 + ((STMRo - 3) / 33) ** 13) ** (1 / 13) + 29)
    Q = 37 - 15 * math.log10(qdu)
    G = 1.07 + 0.258 * Q + 0.0602 * Q * Q
    Y = (Ro - 100) / 15 + 46 / 8.4 - G / 9
    Z = 46 / 30 - G / 40
    Iq = 15 * math.log10(1 + 10 ** Y + 10 ** Z)
    Is = Iolr + Ist + Iq
    Roe = -1.5 * (No - RLR)
    TERV = TELR - 40 * math.log10((1 + T / 10) / (1 + T / 150)) + 6 * math.exp(-0.3 * T * T)
    Re = 80 + 2.5 * (TERV - 14)
    Idte = ((Roe - Re) / 2 + math.sqrt((Roe - Re) ** 2 / 4 + 100) - 1) * (1 - math.exp(-T))
    Rle = 10.5 * (WEPL + 7) * (Tr + 1) ** -0.25
    Idle = (Ro - Rle) / 2 + math.sqrt((Ro - Rle) ** 2 / 4 + 169)
    Idd = 0.0
    if Ta > 100:
        X = math.log10(Ta / 100) / math.log10(2)
        Idd = 25 * ((1 + X ** 6) ** (1 / 6) - 3 * (1 + (X / 3) ** 6) ** (1 / 6) + 2)
    Ie_eff = ie + (95 - ie) * ppl / (ppl / burst_r + bpl)
    return Ro - Is - (Idte + Idle + Idd) - Ie_eff + A


def g107_mos(r):
    """G.107 Annex B (at least 1)."""
    if r < 0:
        return 1.0
    if r > 100:
        return 4.5
    return max(1.0, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6)


def expect(ppl, delay_ms):
    """G.711 with concealment (G.113 Appendix I: Ie 0, Bpl 25.1), T = Ta, Tr = 2 T."""
    r = min(100.0, max(0.0, g107_r(T=delay_ms, Tr=2 * delay_ms, Ta=delay_ms, ie=0, bpl=25.1,
                                   ppl=ppl)))
    return r, g107_mos(r)


# ---- the test ------------------------------------------------------------------------------

def test():
    import mxplab
    from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4

    with Lab("quality") as lab:
        conf = lab.conf_create("mode", "mix", "ptime", "20")
        parts, legs = [], {}
        for k, name in enumerate(("clean", "lossy")):
            port = 5200 + 4 * k
            leg = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, str(port),
                               "pt", "0", "label", name)
            legs[name] = leg
            parts.append(dict(name=name, port=port, dport=leg["local_port"],
                              dport_rtcp=leg["local_rtcp_port"], ssrc=0x7000 + k,
                              loss=LOSS if name == "lossy" else 0,
                              fraction=RR_FRACTION[name], jitter=RR_JITTER[name]))
        spec = os.path.join(lab.dir, "quality-peer.json")
        with open(spec, "w") as f:
            json.dump(dict(bind=KERNEL_IP4, dst=DAEMON_IP4, parts=parts), f)
        r = subprocess.run(["ip", "netns", "exec", lab.ns, sys.executable, os.path.abspath(__file__),
                            "peer", spec], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "participants ran (%s)" % r.stderr[-300:])
        out = json.loads(r.stdout)
        sent = out["sent"]
        check(out["sr"] == ["clean", "lossy"], "each participant got a sender report to echo "
              "(%s)" % out["sr"])
        # the seeded drops, as the participant made them
        rng = random.Random(SEED)
        dropped = sum(1 for _ in range(PACKETS) if rng.random() < LOSS)
        check(sent["lossy"] == PACKETS - dropped and sent["clean"] == PACKETS,
              "sent: clean %d, lossy %d of %d (%d dropped, seed %d)"
              % (sent["clean"], sent["lossy"], PACKETS, dropped, SEED))
        # the jitter buffer plays out what it holds: every sequence number left it (played
        # or skipped), the last one perhaps excepted (if dropped, nothing skips it); the
        # worker has taken the last receiver report (the one echoing our SR)
        seen = {}

        def settled(name):
            info = lab.ctl_json("show", "leg", str(legs[name]["id"]))
            seen[name] = dict(info["quality"], rtcp_rx=info["rtcp_rx"],
                              expected=(info["quality_in"] or {}).get("expected", 0))
            return seen[name]["expected"] >= PACKETS - 1 and seen[name]["rtt_ms"] is not None
        try:
            mxplab.wait_for(lambda: all([settled(n) for n in legs]), 10,
                            "the jitter buffers to play out and the last reports to arrive")
        except mxplab.TestFailure as e:
            check(False, "%s: %s" % (e, seen))

        q = {}
        for name, leg in legs.items():
            info = lab.ctl_json("show", "leg", str(leg["id"]))
            qa = dict(info["quality"], **{"in": info["quality_in"], "out": info["quality_out"]})
            q[name] = qa
            check(qa["in"] is not None and qa["out"] is not None,
                  "%s: both directions estimated (%s)" % (name, qa))
            check(qa["codec"] == "PCMU" and not qa["codec_assumed"] and qa["ptime_ms"] == 20,
                  "%s: scored as PCMU, 20 ms" % name)
            # the participant echoed our SR: half the round trip (a veth in one host: well
            # under 100 ms even on a loaded lab), not the default
            check(qa["rtt_ms"] is not None and 0 <= qa["rtt_ms"] < 100
                  and abs(qa["network_ms"] - qa["rtt_ms"] / 2) < 1e-4,
                  "%s: network delay %s ms, half the round trip %s ms its report gives"
                  % (name, qa["network_ms"], qa["rtt_ms"]))
            # in: the jitter buffer's counters, recomputed (PCMU has no FEC: the leg's lost)
            qi = qa["in"]
            check(qi["lost"] == info["lost"] and qi["expected"] >= info["rx_packets"] - info["late"],
                  "%s in: %d lost of %d expected, as the leg counts (lost %d, %d packets in, "
                  "%d late)" % (name, qi["lost"], qi["expected"], info["lost"],
                               info["rx_packets"], info["late"]))
            ppl = 100.0 * qi["lost"] / qi["expected"]
            delay = qa["ptime_ms"] + qa["network_ms"] + qi["jitter_buffer_ms"]
            r_in, mos_in = expect(ppl, delay)
            check(abs(qi["ppl"] - ppl) < 1e-3 and abs(qi["delay_ms"] - delay) < 1e-3
                  and qi["ie"] == 0 and abs(qi["bpl"] - 25.1) < 1e-9,
                  "%s in: Ppl %.3f %% (%d of %d), delay %.0f ms, Ie 0, Bpl 25.1"
                  % (name, qi["ppl"], qi["lost"], qi["expected"], qi["delay_ms"]))
            check(abs(qi["r"] - r_in) < 0.01 and abs(qi["mos"] - mos_in) < 0.001,
                  "%s in: R %.2f MOS %.3f, G.107 gives R %.2f MOS %.3f"
                  % (name, qi["r"], qi["mos"], r_in, mos_in))
            # out: the participant's receiver report
            qo = qa["out"]
            ppl_o = 100.0 * RR_FRACTION[name] / 256
            jit_ms = RR_JITTER[name] / 8.0
            delay_o = qa["ptime_ms"] + qa["network_ms"] + 2 * jit_ms
            r_out, mos_out = expect(ppl_o, delay_o)
            check(qo["fraction_lost"] == RR_FRACTION[name] and abs(qo["jitter_ms"] - jit_ms) < 1e-6
                  and abs(qo["delay_ms"] - delay_o) < 1e-3,
                  "%s out: reported %d/256, jitter %.1f ms, delay %.0f ms"
                  % (name, qo["fraction_lost"], qo["jitter_ms"], qo["delay_ms"]))
            check(abs(qo["r"] - r_out) < 0.01 and abs(qo["mos"] - mos_out) < 0.001,
                  "%s out: R %.2f MOS %.3f, G.107 gives R %.2f MOS %.3f"
                  % (name, qo["r"], qo["mos"], r_out, mos_out))
            check(abs(qa["mos"] - min(qi["mos"], qo["mos"])) < 1e-9,
                  "%s: MOS %.3f, the worse direction" % (name, qa["mos"]))

        # the lossy leg lost what it did not send (a packet lost on the veth or late on a
        # loaded lab adds one; the last drop may still be ahead of the playout), the clean one
        # (almost) nothing
        li, ci = q["lossy"]["in"], q["clean"]["in"]
        check(dropped - 1 <= li["lost"] <= dropped + 3 and ci["lost"] <= 3,
              "in: lossy leg lost %d (%d dropped), clean leg %d" % (li["lost"], dropped, ci["lost"]))
        # ranges from the model: 5 % +- 2.5 for the lossy leg at the delays reported, < 1.2 %
        # for the clean one
        lo, _ = expect(7.5, li["delay_ms"])
        hi, _ = expect(2.5, li["delay_ms"])
        c_lo, _ = expect(1.2, ci["delay_ms"])
        check(lo <= li["r"] <= hi and ci["r"] >= c_lo and ci["r"] - li["r"] > 8,
              "in: lossy R %.1f in [%.1f, %.1f], clean R %.1f >= %.1f"
              % (li["r"], lo, hi, ci["r"], c_lo))
        check(q["lossy"]["mos"] < q["clean"]["mos"] - 0.3,
              "lossy leg MOS %.2f below the clean one's %.2f"
              % (q["lossy"]["mos"], q["clean"]["mos"]))

        # finding it: show legs worst, show conference
        worst = lab.ctl_json("show", "legs", "worst", "1")
        check(len(worst["worst"]) == 1 and worst["worst"][0]["leg"] == legs["lossy"]["id"]
              and worst["legs_estimated"] == 2,
              "show legs worst 1: leg %s of %d estimated" % (
                  [w["leg"] for w in worst["worst"]], worst["legs_estimated"]))
        w2 = lab.ctl_json("show", "legs", "worst", "conference", str(conf))
        check([w["leg"] for w in w2["worst"]] == [legs["lossy"]["id"], legs["clean"]["id"]],
              "show legs worst conference %d: lowest MOS first" % conf)
        txt = lab.ctl("show", "conference", str(conf)).stdout
        rows = {ln.split()[1]: ln.split()[-1] for ln in txt.splitlines()
                if ln.split()[1:2] in (["clean"], ["lossy"])}
        check(rows.get("lossy") == "%.2f" % q["lossy"]["mos"]
              and rows.get("clean") == "%.2f" % q["clean"]["mos"],
              "show conference: MOS column %s" % rows)
        txt = lab.ctl("show", "leg", str(legs["lossy"]["id"])).stdout
        check("quality  PCMU" in txt and " MOS " in txt, "show leg prints the estimate")
        worst_txt = lab.ctl("show", "legs", "worst").stdout
        check(worst_txt.splitlines()[1].split()[0] == str(legs["lossy"]["id"])
              and "2 of 2 legs" in worst_txt, "show legs worst (text): the lossy leg first")
        print("# " + "\n# ".join((txt + worst_txt).splitlines()))
        # telemetry carries the same (its JSON nests one level of objects)
        r = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix],
                           input="/mixplane/leg,%d\n" % legs["lossy"]["id"],
                           capture_output=True, text=True, timeout=30)
        tm = json.loads(r.stdout[r.stdout.index("{"):])["/mixplane/leg"]
        check(tm["quality"]["codec"] == "PCMU" and tm["quality_in"]["lost"] == li["lost"]
              and tm["quality_out"]["fraction_lost"] == RR_FRACTION["lossy"],
              "telemetry /mixplane/leg: the estimate's inputs (%s)" % tm.get("quality_in"))
        check(lab.stop() == 0, "clean exit")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "peer":
        peer(sys.argv[2])
    else:
        import mxplab
        mxplab.main(test)

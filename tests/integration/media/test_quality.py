"""Per-leg call quality (doc/media.md, "Call quality") through the real daemon: a mix and a
switch conference, each of two plain PCMU participants, one of which drops 5 % of its packets
(seeded) and reports a lossy, jittery reception in its RTCP receiver reports while the other
sends every packet and reports a clean one. `show leg --json` must rate the lossy leg below the clean one, and each R
and MOS must be what ITU-T G.107 gives for the counters the daemon reports: the E-model is
recomputed here from G.107's equations (an implementation of this test's own, not the C one).
`show legs worst` and `show conference` must point at the lossy legs. The mix conference's
losses are the jitter buffer's, the switch conference's RFC 3550 A.1's.

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
    echoed = {}
    for p in spec["parts"]:
        s = [x for x in socks if rtcp_of.get(x.fileno()) == p["name"]][0]
        pkt = rr(p["ssrc"], p["fraction"], p["jitter"], srs.get(p["name"]))
        echoed[p["name"]] = struct.unpack("!II", pkt[24:32])  # LSR, DLSR
        s.sendto(pkt, (spec["dst"], p["dport_rtcp"]))
    json.dump(dict(sent=sent, sr=sorted(srs), echoed=echoed), sys.stdout)


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

def seeded_drops():
    """Indexes the lossy participant skips (its generator draws the clean one's none)."""
    rng = random.Random(SEED)
    return [i for i in range(PACKETS) if rng.random() < LOSS]


def run(lab, mode, base):
    """A conference of mode with a clean and a lossy participant; checks each leg's estimate
    against G.107 with the counters the daemon reports. Returns (conf, legs, estimates)."""
    import mxplab
    from mxplab import check, DAEMON_IP4, KERNEL_IP4

    mix = mode == "mix"
    conf = lab.conf_create("mode", mode, *(["ptime", "20"] if mix else []))
    parts, legs = [], {}
    for k, name in enumerate(("clean", "lossy")):
        port = base + 4 * k
        leg = lab.ctl_json("leg", "add", str(conf), "plain", "remote", KERNEL_IP4, str(port),
                           "pt", "0", "label", name)
        legs[name] = leg
        parts.append(dict(name=name, port=port, dport=leg["local_port"],
                          dport_rtcp=leg["local_rtcp_port"], ssrc=0x7000 + k,
                          loss=LOSS if name == "lossy" else 0,
                          fraction=RR_FRACTION[name], jitter=RR_JITTER[name]))
    spec = os.path.join(lab.dir, "quality-peer-%s.json" % mode)
    with open(spec, "w") as f:
        json.dump(dict(bind=KERNEL_IP4, dst=DAEMON_IP4, parts=parts), f)
    r = subprocess.run(["ip", "netns", "exec", lab.ns, sys.executable, os.path.abspath(__file__),
                        "peer", spec], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "%s: participants ran (%s)" % (mode, r.stderr[-300:]))
    out = json.loads(r.stdout)
    sent = out["sent"]
    check(out["sr"] == ["clean", "lossy"], "%s: each participant got a sender report to echo "
          "(%s)" % (mode, out["sr"]))
    # the seeded drops, as the participant made them
    drops = seeded_drops()
    dropped = len(drops)
    check(sent["lossy"] == PACKETS - dropped and sent["clean"] == PACKETS,
          "%s: sent: clean %d, lossy %d of %d (%d dropped, seed %d)"
          % (mode, sent["clean"], sent["lossy"], PACKETS, dropped, SEED))
    # mix: the jitter buffer plays out what it holds, every sequence number left it (played
    # or skipped), the last one perhaps excepted (if dropped, nothing skips it); every mode:
    # the worker has taken the last receiver report (the one echoing our SR), sent after
    # the last RTP packet
    seen = {}

    def settled(name):
        info = lab.ctl_json("show", "leg", str(legs[name]["id"]))
        seen[name] = dict(info["quality"], rtcp_rx=info["rtcp_rx"],
                          expected=(info["quality_in"] or {}).get("expected", 0))
        return ((not mix or seen[name]["expected"] >= PACKETS - 1)
                and seen[name]["rtt_ms"] is not None)
    try:
        mxplab.wait_for(lambda: all([settled(n) for n in legs]), 10,
                        "the jitter buffers to play out and the last reports to arrive")
    except mxplab.TestFailure as e:
        check(False, "%s: %s: %s; the last reports echoed (LSR, DLSR) %s"
              % (mode, e, seen, out["echoed"]))

    q = {}
    for name, leg in legs.items():
        what = "%s %s" % (mode, name)
        info = lab.ctl_json("show", "leg", str(leg["id"]))
        qa = dict(info["quality"], **{"in": info["quality_in"], "out": info["quality_out"]})
        q[name] = qa
        check(qa["in"] is not None and qa["out"] is not None,
              "%s: both directions estimated (%s)" % (what, qa))
        # mix: the codec the leg hears; switch: that of its static payload type, assumed
        check(qa["codec"] == "PCMU" and qa["codec_assumed"] == (not mix)
              and qa["ptime_ms"] == 20,
              "%s: scored as PCMU (%s), 20 ms" % (what, "assumed" if not mix else "mixed"))
        # the participant echoed our SR: half the round trip (a veth in one host: well
        # under 100 ms even on a loaded lab), not the default
        check(qa["rtt_ms"] is not None and 0 <= qa["rtt_ms"] < 100
              and abs(qa["network_ms"] - qa["rtt_ms"] / 2) < 1e-4,
              "%s: network delay %s ms, half the round trip %s ms its report gives"
              % (what, qa["network_ms"], qa["rtt_ms"]))
        qi = qa["in"]
        if mix:
            # the jitter buffer's counters (PCMU has no FEC: the leg's lost); the last packet
            # may still be in the buffer
            check(qi["lost"] == info["lost"]
                  and qi["expected"] >= info["rx_packets"] - info["late"] - 1,
                  "%s in: %d lost of %d expected, as the leg counts (lost %d, %d packets "
                  "in, %d late)" % (what, qi["lost"], qi["expected"], info["lost"],
                                    info["rx_packets"], info["late"]))
        else:
            # RFC 3550 A.1: from the first sequence number to the highest, received or not;
            # no jitter buffer
            sent_idx = [i for i in range(PACKETS) if name == "clean" or i not in drops]
            exp = sent_idx[-1] - sent_idx[0] + 1
            check(qi["expected"] == exp and qi["lost"] == exp - info["rx_packets"]
                  and qi["jitter_buffer_ms"] == 0,
                  "%s in: %d lost of %d expected (A.1: %d expected, %d packets in)"
                  % (what, qi["lost"], qi["expected"], exp, info["rx_packets"]))
        ppl = 100.0 * qi["lost"] / qi["expected"]
        delay = qa["ptime_ms"] + qa["network_ms"] + qi["jitter_buffer_ms"]
        r_in, mos_in = expect(ppl, delay)
        check(abs(qi["ppl"] - ppl) < 1e-3 and abs(qi["delay_ms"] - delay) < 1e-3
              and qi["ie"] == 0 and abs(qi["bpl"] - 25.1) < 1e-9,
              "%s in: Ppl %.3f %% (%d of %d), delay %.0f ms, Ie 0, Bpl 25.1"
              % (what, qi["ppl"], qi["lost"], qi["expected"], qi["delay_ms"]))
        check(abs(qi["r"] - r_in) < 0.01 and abs(qi["mos"] - mos_in) < 0.001,
              "%s in: R %.2f MOS %.3f, G.107 gives R %.2f MOS %.3f"
              % (what, qi["r"], qi["mos"], r_in, mos_in))
        # out: the participant's receiver report
        qo = qa["out"]
        ppl_o = 100.0 * RR_FRACTION[name] / 256
        jit_ms = RR_JITTER[name] / 8.0
        delay_o = qa["ptime_ms"] + qa["network_ms"] + 2 * jit_ms
        r_out, mos_out = expect(ppl_o, delay_o)
        check(qo["fraction_lost"] == RR_FRACTION[name] and abs(qo["jitter_ms"] - jit_ms) < 1e-6
              and abs(qo["delay_ms"] - delay_o) < 1e-3,
              "%s out: reported %d/256, jitter %.1f ms, delay %.0f ms"
              % (what, qo["fraction_lost"], qo["jitter_ms"], qo["delay_ms"]))
        check(abs(qo["r"] - r_out) < 0.01 and abs(qo["mos"] - mos_out) < 0.001,
              "%s out: R %.2f MOS %.3f, G.107 gives R %.2f MOS %.3f"
              % (what, qo["r"], qo["mos"], r_out, mos_out))
        check(abs(qa["mos"] - min(qi["mos"], qo["mos"])) < 1e-9,
              "%s: MOS %.3f, the worse direction" % (what, qa["mos"]))

    # the lossy leg lost what it did not send (a packet lost on the veth or late on a loaded
    # lab adds one; mix: the last drop may still be ahead of the playout), the clean one
    # (almost) nothing
    li, ci = q["lossy"]["in"], q["clean"]["in"]
    check(dropped - 1 <= li["lost"] <= dropped + 3 and ci["lost"] <= 3,
          "%s in: lossy leg lost %d (%d dropped), clean leg %d"
          % (mode, li["lost"], dropped, ci["lost"]))
    # ranges from the model: 5 % +- 2.5 for the lossy leg at the delays reported, < 1.2 %
    # for the clean one
    lo, _ = expect(7.5, li["delay_ms"])
    hi, _ = expect(2.5, li["delay_ms"])
    c_lo, _ = expect(1.2, ci["delay_ms"])
    check(lo <= li["r"] <= hi and ci["r"] >= c_lo and ci["r"] - li["r"] > 8,
          "%s in: lossy R %.1f in [%.1f, %.1f], clean R %.1f >= %.1f"
          % (mode, li["r"], lo, hi, ci["r"], c_lo))
    check(q["lossy"]["mos"] < q["clean"]["mos"] - 0.3,
          "%s: lossy leg MOS %.2f below the clean one's %.2f"
          % (mode, q["lossy"]["mos"], q["clean"]["mos"]))

    # finding it in the conference: show legs worst, show conference
    w2 = lab.ctl_json("show", "legs", "worst", "conference", str(conf))
    check([w["leg"] for w in w2["worst"]] == [legs["lossy"]["id"], legs["clean"]["id"]],
          "%s: show legs worst conference %d: lowest MOS first" % (mode, conf))
    txt = lab.ctl("show", "conference", str(conf)).stdout
    rows = {ln.split()[1]: ln.split()[-1] for ln in txt.splitlines()
            if ln.split()[1:2] in (["clean"], ["lossy"])}
    check(rows.get("lossy") == "%.2f" % q["lossy"]["mos"]
          and rows.get("clean") == "%.2f" % q["clean"]["mos"],
          "%s: show conference: MOS column %s" % (mode, rows))
    return conf, legs, q


def test():
    import mxplab
    from mxplab import check, Lab

    with Lab("quality") as lab:
        runs = {mode: run(lab, mode, base) for mode, base in (("mix", 5200), ("switch", 5300))}
        _, legs, q = runs["mix"]
        lossy = sorted(runs[m][1]["lossy"]["id"] for m in runs)

        # finding them among every leg
        worst = lab.ctl_json("show", "legs", "worst", "2")
        check(len(worst["worst"]) == 2 and sorted(w["leg"] for w in worst["worst"]) == lossy
              and worst["legs_estimated"] == 4
              and worst["worst"][0]["quality"]["mos"] <= worst["worst"][1]["quality"]["mos"],
              "show legs worst 2: the two lossy legs %s, lowest first, of %d estimated"
              % ([w["leg"] for w in worst["worst"]], worst["legs_estimated"]))
        txt = lab.ctl("show", "leg", str(legs["lossy"]["id"])).stdout
        check("quality  PCMU" in txt and " MOS " in txt, "show leg prints the estimate")
        worst_txt = lab.ctl("show", "legs", "worst").stdout
        check(sorted(int(ln.split()[0]) for ln in worst_txt.splitlines()[1:3]) == lossy
              and "4 of 4 legs" in worst_txt, "show legs worst (text): the lossy legs first")
        print("# " + "\n# ".join((txt + worst_txt).splitlines()))
        # telemetry carries the same (its JSON nests one level of objects)
        r = subprocess.run(["dpdk-telemetry.py", "-f", lab.prefix],
                           input="/mixplane/leg,%d\n" % legs["lossy"]["id"],
                           capture_output=True, text=True, timeout=30)
        tm = json.loads(r.stdout[r.stdout.index("{"):])["/mixplane/leg"]
        check(tm["quality"]["codec"] == "PCMU"
              and tm["quality_in"]["lost"] == q["lossy"]["in"]["lost"]
              and tm["quality_out"]["fraction_lost"] == RR_FRACTION["lossy"],
              "telemetry /mixplane/leg: the estimate's inputs (%s)" % tm.get("quality_in"))
        check(lab.stop() == 0, "clean exit")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "peer":
        peer(sys.argv[2])
    else:
        import mxplab
        mxplab.main(test)

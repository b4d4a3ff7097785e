"""RTCP of a mix conference through the real daemon (RFC 3550, SRTCP, rtcp-mux).

Three participants (libsrtp2, mxp-srtp-peer) talk for 16 s; one uses rtcp-mux. What the
daemon sends them is captured on the participants' side (dumpcap). Then one leg is removed
and the conference destroyed (BYEs). Every SRTCP packet is decrypted by libsrtp2
(libsrtp_pcap_check, with the key of the participant it went to), and tshark dissects the
decrypted compounds: sender reports, report blocks about each participant's own stream,
SDES CNAME, BYE, no malformed packet. The intervals are RFC 3550's (randomised, 5 s mean,
2.5 s at least, the first after half of that), SRs advance their RTP and NTP times alike.
"""
import os
import signal
import subprocess
import time

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, UDP, Raw, rdpcap, wrpcap  # noqa: E402

import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key, SUITE

SECONDS = 16
CHECK = os.path.join(os.environ["MXP_BUILD"], "tests", "integration", "srtp", "libsrtp_pcap_check")
TONES = {1: 440.0, 2: 770.0, 3: 1230.0}


def tshark_fields(pcap, port, fields):
    out = subprocess.run(["tshark", "-r", pcap, "-d", "udp.port==%d,rtcp" % port, "-T", "fields",
                          "-E", "separator=|"] + sum((["-e", f] for f in fields), []),
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "tshark reads %s" % os.path.basename(pcap))
    return [line.split("|") for line in out.stdout.splitlines()]


def test():
    with Lab("rtcp") as lab:
        conf = lab.conf_create("mode", "mix")
        parts = {}
        for tid in TONES:
            k_in, k_out = gen_key(), gen_key()
            port = 5100 + 4 * tid
            mux = tid == 3
            args = ["pt", "0"] + (["rtcp-mux"] if mux else [])
            parts[tid] = dict(k_in=k_in, k_out=k_out, port=port, mux=mux,
                              rtcp_port=port if mux else port + 1,
                              leg=lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, port), *args))
        cap = os.path.join(lab.dir, "cap.pcap")
        dc = subprocess.Popen(["ip", "netns", "exec", lab.ns, "dumpcap", "-q", "-i", lab.veth_k,
                               "-f", "udp and src host %s" % DAEMON_IP4, "-w", cap],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        mxplab.wait_for(lambda: os.path.exists(cap) and os.path.getsize(cap) > 0, 20,
                        "dumpcap to start")
        rx = [(p["port"], p["k_out"]) for p in parts.values()]
        tx = [(p["port"], DAEMON_IP4, p["leg"]["local_port"], p["k_in"], 0x4000 + tid, tid,
               TONES[tid]) for tid, p in parts.items()]
        res = lab.peer(KERNEL_IP4, rx=rx, tx=tx, count=SECONDS * 50, interval_ms=20, wait_ms=300)
        for tid, p in parts.items():
            check(res["rx"][str(p["port"])]["packets"] > SECONDS * 40,
                  "participant %d heard the mix" % tid)
        leg = lab.ctl_json("show", "leg", str(parts[2]["leg"]["id"]))
        check(leg["rtcp_tx"] >= 2 and leg["rtcp_sr"] + leg["rtcp_rr"] == leg["rtcp_tx"]
              and leg["rtcp_bye"] == 0,
              "show leg counts the reports (%d sent: %d SR-led, %d RR-led)"
              % (leg["rtcp_tx"], leg["rtcp_sr"], leg["rtcp_rr"]))
        # participant 1 leaves, then the conference ends: BYEs
        lab.ctl("leg", "delete", str(parts[1]["leg"]["id"]))
        lab.ctl("conference", "delete", str(conf))
        time.sleep(0.5)  # dumpcap writes what it captured (not a timing assertion)
        dc.send_signal(signal.SIGINT)
        dc.wait(timeout=20)

        frames = [f for f in rdpcap(cap) if UDP in f]
        total = 0
        for tid, p in parts.items():
            rtcp = []
            for f in frames:
                u = f[UDP]
                pl = bytes(u.payload)
                if f[IP].dst != KERNEL_IP4 or u.dport != p["rtcp_port"] or len(pl) < 8:
                    continue
                if p["mux"] and not 200 <= pl[1] <= 204:
                    continue  # RTP on the muxed port
                rtcp.append(f)
            check(len(rtcp) >= 3, "participant %d: %d SRTCP packets" % (tid, len(rtcp)))
            enc = os.path.join(lab.dir, "srtcp-%d.pcap" % tid)
            wrpcap(enc, rtcp)
            out = subprocess.run([CHECK, SUITE, p["k_out"], enc], capture_output=True, text=True,
                                 timeout=60)
            lines = [ln.split() for ln in out.stdout.splitlines() if ln.startswith("rtcp")]
            ok = [ln for ln in lines if ln[2] == "ok"]
            check(len(lines) == len(rtcp) and len(ok) == len(rtcp),
                  "participant %d: libsrtp2 decrypts every SRTCP packet (%d of %d)"
                  % (tid, len(ok), len(rtcp)))
            # the decrypted compounds, for tshark
            plain = [Ether() / IP(src=DAEMON_IP4, dst=KERNEL_IP4) /
                     UDP(sport=f[UDP].sport, dport=f[UDP].dport) / Raw(bytes.fromhex(ln[3]))
                     for f, ln in zip(rtcp, ok)]
            for f, orig in zip(plain, rtcp):
                f.time = orig.time
            dec = os.path.join(lab.dir, "rtcp-%d.pcap" % tid)
            wrpcap(dec, plain)
            v = subprocess.run(["tshark", "-r", dec, "-d", "udp.port==%d,rtcp" % p["rtcp_port"],
                                "-V"], capture_output=True, text=True, timeout=60).stdout
            check("Malformed" not in v and "Expert Info (Warning" not in v
                  and "Expert Info (Error" not in v,
                  "participant %d: tshark dissects every compound cleanly" % tid)
            rows = tshark_fields(dec, p["rtcp_port"],
                                 ["frame.time_epoch", "rtcp.pt", "rtcp.senderssrc",
                                  "rtcp.timestamp.rtp", "rtcp.timestamp.ntp.msw",
                                  "rtcp.timestamp.ntp.lsw",
                                  "rtcp.sender.packetcount", "rtcp.ssrc.identifier",
                                  "rtcp.ssrc.fraction", "rtcp.ssrc.cum_nr", "rtcp.sdes.text",
                                  "rtcp.rc"])
            # field indexes: 0 time, 1 pt, 2 ssrc, 3 rtp, 4 ntp_msw, 5 ntp_lsw, 6 count,
            # 7 block ssrc, 8 fraction, 9 cumulative lost, 10 cname, 11 report counts
            check(len(rows) == len(rtcp), "tshark sees %d RTCP compounds" % len(rows))
            times, srs, blocks = [], {}, 0
            for r in rows:
                pts = r[1].split(",")
                check(pts[0] in ("200", "201") and "202" in pts,
                      "compound: SR/RR first, SDES (%s)" % r[1])
                check(r[10].startswith("mixplane@"), "CNAME %s" % r[10])
                if "203" not in pts:
                    times.append(float(r[0]))
                if pts[0] == "200":
                    ssrcs = r[2].split(",")
                    for i, s in enumerate(ssrcs):
                        ntp = int(r[4].split(",")[i]) + int(r[5].split(",")[i]) / 2.0 ** 32
                        srs.setdefault(s, []).append((int(r[3].split(",")[i]), ntp,
                                                      int(r[6].split(",")[i])))
                if r[11].split(",")[0] not in ("", "0"):
                    ids = [int(x, 16) for x in r[7].split(",")]
                    # (tshark also lists the SDES chunks' SSRCs under this field)
                    check(ids[0] == 0x4000 + tid, "participant %d: the report block is about "
                          "its stream (%s)" % (tid, r[7]))
                    check(r[8].split(",")[0] == "0" and r[9].split(",")[0] == "0",
                          "participant %d: nothing lost on the veth" % tid)
                    blocks += 1
            check(blocks >= 2, "participant %d: %d report blocks" % (tid, blocks))
            gaps = [b - a for a, b in zip(times, times[1:])]
            check(len(times) >= 2 and all(2.5 - 0.1 <= g <= 8.1 for g in gaps),
                  "participant %d: report intervals %s s" % (tid, ", ".join("%.1f" % g for g in gaps)))
            # an SR's packet count grows; RTP runs at 8 kHz between two SRs of a stream
            for s, lst in srs.items():
                for (r1, n1, c1), (r2, n2, c2) in zip(lst, lst[1:]):
                    check(c2 >= c1, "SR packet counts of %s grow" % s)
                    du = (r2 - r1) % 2 ** 32
                    # 2 ms: an SR relates the stream's timestamp to its tick's own time,
                    # not to when a late tick ran (before: 10-14 ms off under load)
                    check(abs(du - (n2 - n1) * 8000) <= 16,
                          "SRs of %s: RTP advanced %d units in %.4f s of NTP time" % (s, du, n2 - n1))
            byes = [r for r in rows if "203" in r[1].split(",")]
            check(len(byes) == 1, "participant %d: one BYE" % tid)
            total += len(rtcp)
        # the leg counters say as much
        check(total > 0, "%d SRTCP packets" % total)
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)

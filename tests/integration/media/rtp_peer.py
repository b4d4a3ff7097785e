"""Plain RTP participants for the codec tests, run in the lab's namespace:
    rtp_peer.py SPEC.json OUT.json
SPEC: {"bind": ip, "dst": ip, "wait_ms": n, "parts": [{"port": local port, "dport": the
leg's port, "pt": n, "ssrc": n, "payloads": [hex, ...], "ts_step": [units per packet, ...],
"interval_ms": [ms per packet, ...]}]}. Each participant sends its payloads at real time
pacing (each after its own interval) and records what it receives; OUT gets, per port, the
received packets as [pt, seq, ts, marker, payload hex, ssrc]."""
import json
import select
import socket
import struct
import sys
import time


def main():
    spec = json.load(open(sys.argv[1]))
    socks, recv, sched = {}, {}, []
    t0 = time.monotonic() + 0.05
    for p in spec["parts"]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((spec["bind"], p["port"]))
        s.setblocking(False)
        socks[s.fileno()] = (s, p["port"])
        recv[p["port"]] = []
        t, seq, ts = t0, 1000, 5000
        for i, hx in enumerate(p["payloads"]):
            hdr = struct.pack("!BBHII", 0x80, p["pt"] | (0x80 if i == 0 else 0), seq & 0xFFFF,
                              ts & 0xFFFFFFFF, p["ssrc"])
            sched.append((t, s, hdr + bytes.fromhex(hx), p["dport"]))
            seq += 1
            ts += p["ts_step"][i]
            t += p["interval_ms"][i] / 1000.0
    sched.sort(key=lambda e: e[0])
    end = (sched[-1][0] if sched else t0) + spec["wait_ms"] / 1000.0
    i = 0
    while True:
        now = time.monotonic()
        while i < len(sched) and sched[i][0] <= now:
            _, s, pkt, dport = sched[i]
            s.sendto(pkt, (spec["dst"], dport))
            i += 1
        if now >= end:
            break
        nxt = sched[i][0] if i < len(sched) else end
        r, _, _ = select.select(list(socks), [], [], max(0.0, min(nxt, end) - now))
        for fd in r:
            s, port = socks[fd]
            while True:
                try:
                    d = s.recv(4096)
                except BlockingIOError:
                    break
                if len(d) < 12:
                    continue
                cc = d[0] & 0x0F
                off = 12 + 4 * cc
                if d[0] & 0x10 and len(d) >= off + 4:
                    off += 4 + 4 * struct.unpack("!H", d[off + 2:off + 4])[0]
                pt = d[1] & 0x7F
                seq, ts = struct.unpack("!HI", d[2:8])
                ssrc = struct.unpack("!I", d[8:12])[0]
                recv[port].append([pt, seq, ts, d[1] >> 7, d[off:].hex(), ssrc])
    json.dump(recv, open(sys.argv[2], "w"))


main()

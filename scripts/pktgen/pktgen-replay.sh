#!/usr/bin/env bash
# Drive the daemon with Pktgen-DPDK 23.06.1 replaying a capture written by mixgen.
#
# The daemon must be running. One trial:
#   1. mixgen sets a conference up (1 sender, N receivers; SRTP keys it generates, or plain
#      RTP legs), resolves the daemon's MAC, writes the sender's packets as a pcap and exits,
#      leaving the conference in place (--keep);
#   2. Pktgen (your build, see doc/benchmarking.md) takes the same port, loads the pcap and
#      sends it at the rate asked, while this script samples the daemon's counters (its
#      first and last snapshots while Pktgen is connected, before and after it sends);
#   3. the daemon's counters say what it accepted, sent and dropped (and why): a table and
#      one JSON line; the conference is deleted. "forwarded" is what left the port: the
#      conference's tx_packets count what it handed to the port, and a full transmit ring
#      then drops some (tx_full), so forwarded = tx_packets - tx_full (never more than the
#      worker's tx_packets) and forwarded + lost_out = expected_out.
#
# The replay problem: Pktgen loops its pcap, and a second pass repeats every SRTP packet
# index, which the daemon's replay protection drops (as srtp_replay, srtp_too_old, or
# srtp_auth once the sequence number wrapped and the rollover counter no longer fits).
#   --profile srtp  (default): the capture holds exactly rate x seconds packets and Pktgen
#                   sends it once (set count); memory ~470 bytes per packet in Pktgen.
#   --profile plain: plain RTP lab legs (no SRTP, no replay window): a small capture may loop
#                   for as long as you like; measures switching without the crypto.
#
# Usage (one machine, memif; the daemon's port is net_memif0,role=server,socket=$MEMIF):
#   PKTGEN=/opt/pktgen/build/app/pktgen scripts/pktgen/pktgen-replay.sh \
#       -s /run/mixplane/mixplane.sock --memif /run/mixplane/memif.sock \
#       --receivers 10 --keys group --pps 200000 --seconds 5
# Two machines (a cable): run it on the generator box with its NIC bound to vfio-pci and the
# daemon's control socket forwarded over ssh (doc/benchmarking.md):
#   ... --pci 0000:3b:00.0 --link-mbps 25000 -s /tmp/mixplane.sock
#
# Options:
#   --pktgen PATH        Pktgen binary ($PKTGEN)
#   -s, --socket PATH    the daemon's control socket
#   --memif PATH | --pci BDF   the port: the daemon's memif socket, or a NIC (two machines)
#   --profile srtp|plain --mode switch|forward --receivers N --keys individual|group
#   --pps N              offered packets per second (100000)
#   --seconds S          length of the run (10)
#   --link-mbps M        the link speed Pktgen computes its rate from (memif: 100000)
#   --rsize L            memif rings of 2^L slots (12: 4096, as the mixgen section uses;
#                        DPDK's default is 10, 1024 slots, which loses to tx_full at 1->10)
#   --cpu C              the CPU Pktgen runs on (both of its lcores; default 0)
#   --ip A/P             the participants' address (198.18.0.100/24)
#   --dir DIR            work directory (default: a temporary one, removed)
#   --keep               keep the conference, pcap and key file
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MXP_BUILD=${MXP_BUILD:-$TOP/build}
MIXGEN=$MXP_BUILD/app/mixgen/mixgen
CTL=$MXP_BUILD/app/mixplanectl/mixplanectl

PKTGEN=${PKTGEN:-}
SOCK= MEMIF= PCI= PROFILE=srtp MODE=switch RECEIVERS=1 KEYS=individual PPS=100000 SECONDS_=10
LINK_MBPS= CPU=0 IP=198.18.0.100/24 DIR= KEEP=0 RSIZE=12
die() { printf 'pktgen-replay: %s\n' "$*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --pktgen) PKTGEN=$2; shift ;;
        -s|--socket) SOCK=$2; shift ;;
        --memif) MEMIF=$2; shift ;;
        --pci) PCI=$2; shift ;;
        --profile) PROFILE=$2; shift ;;
        --mode) MODE=$2; shift ;;
        --receivers) RECEIVERS=$2; shift ;;
        --keys) KEYS=$2; shift ;;
        --pps) PPS=$2; shift ;;
        --seconds) SECONDS_=$2; shift ;;
        --link-mbps) LINK_MBPS=$2; shift ;;
        --rsize) RSIZE=$2; shift ;;
        --cpu) CPU=$2; shift ;;
        --ip) IP=$2; shift ;;
        --dir) DIR=$2; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ -n "$PKTGEN" ] && [ -x "$PKTGEN" ] || die "give --pktgen PATH (or PKTGEN=): your Pktgen-DPDK 23.06.1 build"
[ -x "$MIXGEN" ] || die "$MIXGEN not built (ninja -C $MXP_BUILD)"
[ -n "$SOCK" ] || die "give -s SOCKET: the daemon's control socket"
[ -n "$MEMIF$PCI" ] || die "give --memif PATH (one machine) or --pci BDF (two machines)"
case $PROFILE in srtp|plain) ;; *) die "--profile srtp or plain" ;; esac
case $RSIZE in [0-9]|1[0-6]) ;; *) die "--rsize L: log2 of the memif ring size, 0-16" ;; esac
command -v script >/dev/null || die "'script' (util-linux) is needed: Pktgen wants a terminal"
"$CTL" -s "$SOCK" show version >/dev/null || die "the daemon does not answer on $SOCK"
if [ -n "$MEMIF" ]; then
    # The client chooses the ring size: mixgen (setup) and Pktgen both ask for 2^RSIZE slots.
    VDEV="--vdev=net_memif0,role=client,socket=$MEMIF,rsize=$RSIZE"
    PORT_EAL=(--no-pci "$VDEV")
    LINK_MBPS=${LINK_MBPS:-100000}
else
    PORT_EAL=(-a "$PCI")
    [ -n "$LINK_MBPS" ] || die "--pci needs --link-mbps (the NIC's speed)"
fi

if [ -z "$DIR" ]; then
    DIR=$(mktemp -d /tmp/mixplane-pktgen.XXXXXX)
    [ $KEEP -eq 1 ] || trap 'rm -rf "$DIR"' EXIT
fi
mkdir -p "$DIR" || die "cannot create $DIR"
PCAP=$DIR/replay.pcap KEYFILE=$DIR/keys.txt CMDS=$DIR/replay.pkt

# Packets: SRTP sends the capture once (rate x seconds, at least Pktgen's pool of 24576 so
# that Pktgen does not repeat it inside the pool); plain loops a capture of 24576.
TOTAL=$(python3 -c "print(max(24576, int($PPS * $SECONDS_)))")
if [ "$PROFILE" = srtp ]; then NPCAP=$TOTAL; PLAIN=(); else NPCAP=24576; PLAIN=(--plain); fi

echo "==> mixgen: conference ($MODE, 1 -> $RECEIVERS, keys $KEYS, $PROFILE) and a pcap of $NPCAP packets"
"$MIXGEN" -l "$CPU" "${PORT_EAL[@]}" --file-prefix mgpg$$ --no-huge -m 512 \
    --log-level lib.eal:warning -- -s "$SOCK" --ip "$IP" --mode "$MODE" --keys "$KEYS" \
    --participants $((RECEIVERS + 1)) --senders 1 --audio pattern "${PLAIN[@]}" \
    --pcap-out "$PCAP" --pcap-packets "$NPCAP" --keys-out "$KEYFILE" --keep --quiet \
    --mbufs 4095 || die "mixgen could not set the conference up"
CONF=$(awk '$1 == "leg" {print $2; exit}' "$KEYFILE")
FRAME=$(python3 -c "
import struct,sys
f=open('$PCAP','rb'); f.read(24); h=f.read(16); print(struct.unpack('<IIII',h)[2])")
PCT=$(python3 -c "print('%.4f' % (100.0 * $PPS * ($FRAME + 24) * 8 / ($LINK_MBPS * 1e6)))")
RUN_MS=$(python3 -c "print(int(1000 * $TOTAL / $PPS) + 2000)")
# Pktgen's own pools take ~1.25 GB whatever -m says; the pcap pool ~600 bytes a packet.
PG_MEM=$(python3 -c "print(1600 + int($NPCAP * 600 / 1e6))")

# Pktgen waits 3 s connected before it sends and 2 s after: the script takes its first and
# last snapshots in those windows. Over memif the daemon's port refuses (tx_full) whatever it
# sends while no client is connected (an RTCP report, an ARP request): counted between
# snapshots taken outside the connection, those would read as lost output.
cat > "$CMDS" <<EOF
set 0 count $TOTAL
set 0 rate $PCT
enable 0 pcap
delay 3000
start 0
delay $RUN_MS
stop 0
delay 2000
quit
EOF

snap() {
    "$CTL" -s "$SOCK" --json show conference "$CONF"; echo
    "$CTL" -s "$SOCK" --json show drops; echo
    "$CTL" -s "$SOCK" --json show stats; echo
}
# The link of the daemon's memif port (the one on $MEMIF): up, down, or "none" (a NIC).
link() {
    [ -n "$MEMIF" ] || { echo none; return; }
    "$CTL" -s "$SOCK" --json show ports | python3 -c '
import json, sys
p = [x for x in json.load(sys.stdin) if "socket=" + sys.argv[1] in x["device"]]
print("up" if p and p[0]["link_up"] else "down")' "$MEMIF"
}
conf_rx() {
    "$CTL" -s "$SOCK" --json show conference "$CONF" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["rx_packets"])'
}
# mixgen has gone: wait (5 s at most) until the daemon saw it leave.
for _ in $(seq 50); do [ "$(link)" != up ] && break; sleep 0.1; done
echo "==> Pktgen: $TOTAL packets of $FRAME bytes at $PCT % of $LINK_MBPS Mbit/s (~$PPS pps), conference $CONF"
# Pktgen busy-polls its port lcore: with its CPU to itself it uses ~100 % of it. Less means
# another process had the CPU (the report's pktgen_cpu_share; /usr/bin/time, Debian's time).
TIMECMD=
[ -x /usr/bin/time ] && TIMECMD="/usr/bin/time -o $DIR/pktgen.time -f '%e %U %S'"
: > "$DIR/pktgen.time"
exec 3<&0 # script(1) reads its stdin: the caller's, not /dev/null as for a background job
timeout --foreground $((RUN_MS / 1000 + 90)) script -qfec \
    "$TIMECMD $PKTGEN --lcores=0@$CPU,1@$CPU -n 1 ${PORT_EAL[*]} --file-prefix pg$$ --no-huge -m $PG_MEM \
     --log-level lib.eal:warning -- -P -T -m 1.0 -s 0:$PCAP -f $CMDS" /dev/null \
    > "$DIR/pktgen.out" 2>&1 <&3 &
PG=$!
# Pktgen connected (memif: the daemon's link is up), not yet sending: the first snapshot.
while kill -0 $PG 2>/dev/null && [ "$(link)" = down ]; do sleep 0.1; done
snap > "$DIR/before.json"
# Sample what the daemon accepted, every 200 ms, until it has the whole capture (or Pktgen
# ended: input was lost), then let the worker drain and take the last snapshot.
: > "$DIR/samples.txt"
while kill -0 $PG 2>/dev/null; do
    rx=$(conf_rx 2>/dev/null) || break
    printf '%s %s\n' "$(date +%s.%N)" "$rx" >> "$DIR/samples.txt"
    [ "$rx" -ge "$TOTAL" ] && { sleep 0.5; break; }
    sleep 0.2
done
snap > "$DIR/after.json"
[ "$(link)" = down ] && echo "pktgen-replay: note: Pktgen had left before the last snapshot" >&2
wait $PG
PG_RC=$?
rm -rf /var/run/dpdk/pg$$ /var/run/dpdk/mgpg$$

RING=none; [ -n "$MEMIF" ] && RING=$((1 << RSIZE))
python3 - "$DIR" "$TOTAL" "$PPS" "$RECEIVERS" "$MODE" "$KEYS" "$PROFILE" "$FRAME" "$PG_RC" \
    "$RING" <<'PY'
import json, sys
d, total, pps, nrecv, mode, keys, profile, frame, rc, ring = sys.argv[1:]
total, pps, nrecv, frame, rc = int(total), float(pps), int(nrecv), int(frame), int(rc)
def load(p):
    return [json.loads(l) for l in open(p) if l.strip()]
b, a = load(d + "/before.json"), load(d + "/after.json")
conf_in = a[0]["rx_packets"] - b[0]["rx_packets"]
try:
    e, u, sy = map(float, open(d + "/pktgen.time").read().split()[-3:])
    pg_cpu = round((u + sy) / e, 2) if e > 0 else None
except (OSError, ValueError):
    pg_cpu = None
# The conference's tx_packets: what it handed to the port. The port then refuses what does
# not fit its transmit ring (tx_full, freed): what left = handed - tx_full. The workers'
# tx_packets count what every port took (this conference, RTCP, ARP...): a ceiling.
queued = a[0]["tx_packets"] - b[0]["tx_packets"]
drops = {k: a[1][k] - b[1].get(k, 0) for k in a[1] if a[1][k] - b[1].get(k, 0)}
port_tx = a[2]["tx_packets"] - b[2]["tx_packets"]
tx_full = drops.get("tx_full", 0)
forwarded = max(0, min(queued - tx_full, port_tx))
# The steady rate the daemon accepted: first to last sample that moved.
s = [tuple(map(float, l.split())) for l in open(d + "/samples.txt") if len(l.split()) == 2]
moving = [x for i, x in enumerate(s) if i and x[1] != s[i - 1][1]]
rate = 0.0
if len(moving) >= 2:
    rate = (moving[-1][1] - moving[0][1]) / (moving[-1][0] - moving[0][0])
expected_out = conf_in * nrecv
lost_out = expected_out - forwarded  # forwarded + lost_out == expected_out, always
res = dict(tool="pktgen-replay", profile=profile, mode=mode, keys=keys, receivers=nrecv,
           frame_bytes=frame, ring_slots=None if ring == "none" else int(ring),
           offered=total, target_pps=pps, pktgen_rc=rc,
           accepted=conf_in, expected_out=expected_out, queued_out=queued, tx_full=tx_full,
           forwarded=forwarded, lost_in=total - conf_in, lost_out=lost_out, port_tx=port_tx,
           accepted_pps=round(rate), pktgen_cpu_share=pg_cpu,
           loadavg=float(open("/proc/loadavg").read().split()[0]), forwarded_pct=round(100.0 * forwarded / expected_out, 2)
           if expected_out else 0.0, daemon_drops=drops,
           ok=(rc == 0 and conf_in == total and lost_out == 0 and not drops))
print()
print("%-28s %s" % ("profile / mode / keys", "%s / %s / %s, 1 -> %d" % (profile, mode, keys, nrecv)))
print("%-28s %s" % ("memif ring slots", res["ring_slots"] or "- (NIC)"))
for k in ("offered", "accepted", "lost_in", "expected_out", "queued_out", "tx_full",
          "forwarded", "lost_out", "port_tx", "accepted_pps"):
    print("%-28s %s" % (k, res[k]))
print("%-28s %.2f %%" % ("forwarded / expected_out", res["forwarded_pct"]))
print("%-28s %s (1-min load %.2f)" % ("Pktgen's CPU share", pg_cpu, res["loadavg"]))
print("%-28s %s" % ("daemon drops", drops or "none"))
print("%-28s %s" % ("result", "no loss" if res["ok"] else "LOSS or errors (see drops)"))
print(json.dumps(res, separators=(",", ":")))
sys.exit(0 if res["ok"] else 1)
PY
RC=$?
if [ $KEEP -eq 0 ]; then
    "$CTL" -s "$SOCK" conference delete "$CONF" >/dev/null
else
    echo "kept: conference $CONF, $PCAP, $KEYFILE (mode 0600), $DIR/pktgen.out"
fi
exit $RC

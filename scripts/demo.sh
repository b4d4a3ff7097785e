#!/usr/bin/env bash
# The mixplane demo on one machine with no NIC: installs what is missing, builds,
# reserves hugepages (or falls back to --no-huge), and starts the daemon with two ports:
#   port0  a veth pair (net_af_packet) whose other end lives in a network namespace playing
#          "the network": the kernel answers ARP/ping there, and mrfc, playing the
#          application server (AS/MRFC), drives the daemon over ESP-protected Mp from it;
#   port1  a memif server, whose client is mixgen: the conference participants.
# The namespace pings the daemon (ARP, ICMP, ICMPv6), mrfc sets up a switch conference of
# five and a mix conference of five over Mp, mixgen plays real SRTP audio through both and
# checks who hears whom, mrfc rekeys every leg during the switch call, the conferences are
# torn down over Mp, and the daemon stops on SIGTERM. Exits 0 only if every check passed.
# Without hugepages (memif needs them) the conference part is skipped and says so.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

NS=mxdemo
VD=mxdemo0          # the daemon's end (root namespace)
VK=mxdemo1          # the kernel's end (in $NS)
MEDIA_IP=198.18.0.1 # the daemon's memif address
PART_IP=198.18.0.100 # the participants (mixgen)
DIR=$(mktemp -d /tmp/mixplane-demo.XXXXXX)
SOCK=$DIR/mixplane.sock
PREFIX=mxdemo
GEN_PREFIX=mxdemogen
OUT=${MXP_DEMO_OUT:-/tmp/mixplane-demo-out}   # kept: recordings and mixgen's JSON lines
DAEMON_PID=
checks=0 failures=0

cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null
    fi
    ip link del "$VD" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "/var/run/dpdk/$PREFIX" "/var/run/dpdk/$GEN_PREFIX" "$DIR"
    rm -f /dev/hugepages/${PREFIX}map_* /dev/hugepages/${GEN_PREFIX}map_* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { checks=$((checks + 1)); printf '  \033[32mok\033[0m   %s\n' "$*"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); printf '  \033[31mFAIL\033[0m %s\n' "$*"; }
expect() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
ctl() { "$MXP_BUILD/app/mixplanectl/mixplanectl" -s "$SOCK" "$@"; }
nsx() { ip netns exec "$NS" "$@"; }
passed() {  # passed FILE.json CHECK-NAME: mixgen's named check passed
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[c for c in d["checks"] if c["name"] == sys.argv[2]]; sys.exit(0 if c and c[0]["pass"] else 1)' "$1" "$2"
}
jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
mrfc() { nsx "$MXP_BUILD/app/mrfc/mrfc" --sa "$DIR/mrfc.sa" "$@"; }
mixgen() {
    "$MXP_BUILD/app/mixgen/mixgen" -l 0 --no-pci --file-prefix "$GEN_PREFIX" --huge-unlink \
        --log-level lib.eal:warning --vdev="net_memif0,role=client,socket=$DIR/memif.sock,rsize=12" \
        -- -s "$SOCK" --mbufs 16383 --no-progress "$@"
}

mxp_need_root
mxp_say "1. packages, hugepages, build"
mxp_install_packages
mxp_hugepages "${MXP_HUGEPAGES:-1024}"
mxp_build "$MXP_BUILD"
if [ "$MXP_HUGE" = 1 ]; then MEM=(--huge-unlink); else MEM=(--no-huge -m 512); fi

mxp_say "2. a network namespace '$NS' plays the network: $VK 192.0.2.1/24 2001:db8::1/64"
cleanup 2>/dev/null; DIR=$(mktemp -d /tmp/mixplane-demo.XXXXXX); SOCK=$DIR/mixplane.sock
ip netns add "$NS"
ip link add "$VD" type veth peer name "$VK"
ip link set "$VK" netns "$NS"
sysctl -qw "net.ipv6.conf.$VD.disable_ipv6=1"
ip link set "$VD" up
nsx ip link set lo up
nsx ip link set "$VK" up
nsx ip addr add 192.0.2.1/24 dev "$VK"
nsx ip addr add 2001:db8::1/64 dev "$VK" nodad
nsx ethtool -K "$VK" tx off >/dev/null 2>&1   # veth would leave UDP checksums to "hardware"

mxp_say "3. ESP security associations for Mp (mrfc keygen: one pair, both ends' files 0600)"
"$MXP_BUILD/app/mrfc/mrfc" keygen --mrfp 192.0.2.2 --mrfc 192.0.2.1 --alg aes-gcm-128 \
    --mrfp-out "$DIR/mrfp.sa" --mrfc-out "$DIR/mrfc.sa" | sed 's/^/    /'
MEMIF_PORT=
if [ "$MXP_HUGE" = 1 ]; then
    MEMIF_PORT="
[port1]
; the participants: mixgen is this memif server's client
device = net_memif0,role=server,socket=$DIR/memif.sock
ipv4 = $MEDIA_IP/24
"
fi
cat > "$DIR/mixplane.ini" <<INI
; mixplane demo configuration (see doc/configuration.md)
[mixplane]
socket = $SOCK
mbufs = 16383
; af_packet hands over reassembled IP datagrams: mbufs hold the largest Mp message
mbuf_size = 16384
rx_desc = 1024
tx_desc = 1024

[media]
port_min = 20000
port_max = 29999

[esp]
; ESP SAs (mrfc keygen): Mp is accepted only inside them
sa_file = $DIR/mrfp.sa

[mp]
; the one MRFC allowed to talk Mp
mrfc = 192.0.2.1

[port0]
; the network: ARP, ping and Mp over ESP from the namespace
device = net_af_packet0,iface=$VD,blocksz=16384,framesz=16384
ipv4 = 192.0.2.2/24
ipv6 = 2001:db8::2/64
gateway4 = 192.0.2.1
$MEMIF_PORT
INI
mxp_say "4. start mixplane (control core on lcore 0, one worker on lcore 1)"
sed 's/^/    /' "$DIR/mixplane.ini"
"$MXP_BUILD/app/mixplane/mixplane" -l 0,1 --no-pci --file-prefix "$PREFIX" "${MEM[@]}" \
    --log-level lib.eal:warning -- -f "$DIR/mixplane.ini" > "$DIR/mixplane.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 300); do
    [ -S "$SOCK" ] && ctl show version >/dev/null 2>&1 && break
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.1
done
if ! ctl show version >/dev/null 2>&1; then
    cat "$DIR/mixplane.log"; mxp_die "mixplane did not start"
fi
sed 's/^/    /' "$DIR/mixplane.log"
ok "daemon answers on its control socket $SOCK ($(stat -c %a "$SOCK"), owner-only)"

mxp_say "5. traffic from the kernel side"
MAC=$(ctl --json show ports | jget '[p for p in d if p["name"] == "port0"][0]["mac"].lower()')
nsx ping -c 3 -i 0.2 -W 2 192.0.2.2 | sed 's/^/    /'
expect "ping 192.0.2.2: 3 replies" sh -c "ip netns exec $NS ping -c 3 -i 0.2 -W 2 192.0.2.2 | grep -q ' 3 received'"
expect "ARP: the kernel resolved 192.0.2.2 to $MAC" sh -c "ip netns exec $NS ip neigh show 192.0.2.2 | grep -qi $MAC"
nsx ping -6 -c 3 -i 0.2 -W 2 2001:db8::2 | sed 's/^/    /'
expect "ping6 2001:db8::2: 3 replies (neighbour discovery first)" sh -c "ip netns exec $NS ping -6 -c 3 -i 0.2 -W 2 2001:db8::2 | grep -q ' 3 received'"
nsx /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(10): s.sendto(b"hello", ("192.0.2.2", 30000 + p))'
echo "    sent 10 UDP datagrams to ports no conference uses"
for _ in $(seq 1 50); do
    n=$(ctl --json show drops | jget 'd["udp_no_leg"]')
    [ "$n" -ge 10 ] && break; sleep 0.1
done
expect "the 10 datagrams are counted under udp_no_leg ($n)" test "$n" -eq 10

mxp_say "6. conferences over Mp: mrfc (the AS/MRFC, in $NS) -> ESP -> mixplane; mixgen plays the participants"
rm -rf "$OUT"
skipped=
if [ "$MXP_HUGE" != 1 ]; then
    skipped="the participants' media (memif needs hugepages, and this machine has none)"
    printf '  \033[33mSKIPPED\033[0m %s: only the Mp part runs\n' "$skipped"
    echo "  \$ mrfc add legs=5 mode=switch remote=192.0.2.1:40000"
    mrfc --keys-out "$DIR/keys.txt" add legs=5 mode=switch remote=192.0.2.1:40000 > "$DIR/mrfc.out" 2>&1
    rc=$?; grep -E '^(result|leg) ' "$DIR/mrfc.out" | sed 's/^/    /'
    expect "Add of 5 legs answered over ESP (mrfc exit $rc)" test "$rc" -eq 0
    echo "  \$ mixplanectl show conferences"; ctl show conferences | sed 's/^/    /'
    CTX=$(awk '$1 == "leg" {print $2; exit}' "$DIR/keys.txt" 2>/dev/null)
    echo "  \$ mrfc subtract ctx=$CTX term=*"
    mrfc --keys-out "$DIR/keys.txt" subtract ctx="$CTX" term='*' > "$DIR/mrfc.out" 2>&1
    expect "Subtract of the conference answered over ESP" test $? -eq 0
    n=$(ctl --json show conferences | jget 'len(d)')
    expect "no conference left in the daemon ($n)" test "$n" -eq 0
else
    K1=$DIR/switch-keys.txt K2=$DIR/mix-keys.txt     # participant keys: secret, removed at exit
    mkdir -p "$OUT"
    echo "  \$ mrfc --keys-out switch-keys.txt add legs=5 mode=switch keys=group remote=$PART_IP:40000"
    echo "    (keys=group: the five legs get one Local key, so the mixer encrypts each packet once for all)"
    mrfc --keys-out "$K1" add legs=5 mode=switch keys=group remote=$PART_IP:40000 > "$DIR/mrfc.out" 2>&1
    rc=$?; grep -E '^(result|leg) ' "$DIR/mrfc.out" | sed 's/^/    /'
    expect "Add of 5 legs answered over ESP (mrfc exit $rc)" test "$rc" -eq 0
    CTX1=$(awk '$1 == "leg" {print $2; exit}' "$K1" 2>/dev/null)
    echo "  \$ mixplanectl show conferences"; ctl show conferences | sed 's/^/    /'
    echo "  \$ mixplanectl show esp            (keys by fingerprint only)"; ctl show esp | sed 's/^/    /'

    echo "  mixgen plays the 5 legs for 6 s (a tone each); at 2 s mrfc rekeys the group without loss:"
    echo "    \$ mrfc modify term=* rekey=on mki=2 activate=later   (the new key beside the old; the participants get it)"
    echo "    \$ mrfc modify term=* activate=2                      (the mixer switches to it; the old one is wiped)"
    mixgen --legs "$K1" --duration 6 --wav-dir "$OUT/wav-switch" > "$DIR/switch.out" 2> "$DIR/switch.err" &
    GEN=$!
    sleep 2
    rk=0
    mrfc --keys-out "$K1" modify ctx="$CTX1" term='*' rekey=on mki=2 activate=later > "$DIR/rekey.out" 2>&1 || rk=1
    sleep 0.5   # the participants learn the new key (in IMS: a re-INVITE; here: the key file)
    mrfc --keys-out "$K1" modify ctx="$CTX1" term='*' activate=2 >> "$DIR/rekey.out" 2>&1 || rk=1
    [ "$rk" -eq 0 ] || sed 's/^/    /' "$DIR/rekey.out"
    expect "mrfc rekeyed the key group during the call (two Modifies)" test "$rk" -eq 0
    wait "$GEN"; rc=$?
    grep -v '^{' "$DIR/switch.out" | sed 's/^/    /'
    tail -n 1 "$DIR/switch.out" > "$OUT/switch.json"
    expect "switch: mixgen's checks passed (exit $rc)" test "$rc" -eq 0
    expect "switch: every leg heard the 4 others, each by its own tone (spectrum)" \
        passed "$OUT/switch.json" "who hears whom (spectrum)"
    expect "switch: mixgen followed the new keys from mrfc's key file" \
        passed "$OUT/switch.json" "keys from --legs"
    echo "  \$ mixplanectl show conference $CTX1"; ctl show conference "$CTX1" | sed 's/^/    /'
    ctl --json show conference "$CTX1" > "$DIR/conf1.json"
    read -r crx ctx_ enc kgs < <(jget '"%d %d %d %d" % (d["rx_packets"], d["tx_packets"], d["encryptions"], len(d["keygroups"]))' < "$DIR/conf1.json")
    expect "encrypt once per key group: $crx packets in, $enc encryptions, $ctx_ sent (one key group: $kgs)" \
        test "$enc" -eq "$crx" -a "$ctx_" -eq $((4 * crx)) -a "$kgs" -eq 1

    echo "  \$ mrfc --keys-out mix-keys.txt add legs=5 mode=mix topn=5 remote=$PART_IP:41000"
    echo "    (topn=5: all five talkers are mixed; the default mixes the 3 loudest)"
    mrfc --keys-out "$K2" add legs=5 mode=mix topn=5 remote=$PART_IP:41000 > "$DIR/mrfc.out" 2>&1
    rc=$?; grep -E '^(result|leg) ' "$DIR/mrfc.out" | sed 's/^/    /'
    expect "Add of a mix conference of 5 answered over ESP" test $rc -eq 0
    CTX2=$(awk '$1 == "leg" {print $2; exit}' "$K2" 2>/dev/null)
    echo "  mixgen plays the 5 legs for 4 s in mix mode (the daemon decodes, mixes, encodes once per codec)"
    mixgen --legs "$K2" --mode mix --duration 4 --wav-dir "$OUT/wav-mix" > "$DIR/mix.out" 2> "$DIR/mix.err"
    rc=$?
    grep -v '^{' "$DIR/mix.out" | sed 's/^/    /'
    tail -n 1 "$DIR/mix.out" > "$OUT/mix.json"
    expect "mix: mixgen's checks passed (exit $rc)" test "$rc" -eq 0

    echo "  \$ mrfc subtract term=* (both conferences)"
    s1=0; mrfc --keys-out "$K1" subtract ctx="$CTX1" term='*' > "$DIR/mrfc.out" 2>&1 || s1=1
    mrfc --keys-out "$K2" subtract ctx="$CTX2" term='*' >> "$DIR/mrfc.out" 2>&1 || s1=1
    expect "Subtract of both conferences answered" test "$s1" -eq 0
    n=$(ctl --json show conferences | jget 'len(d)')
    expect "no conference left in the daemon ($n)" test "$n" -eq 0
    for f in switch mix; do grep -v '^TELEMETRY:\|^mixgen: port .* up' "$DIR/$f.err" | sed "s/^/    mixgen ($f): /"; done
fi

mxp_say "7. what the daemon saw (mixplanectl)"
for c in "show ports" "show stats" "show drops" "show neighbours" "show mp"; do
    echo "  \$ mixplanectl $c"
    ctl $c | sed 's/^/    /'
done
expect "telemetry: dpdk-telemetry.py reads /mixplane/stats" sh -c \
    "echo /mixplane/stats | dpdk-telemetry.py -f $PREFIX | grep -q echo_replies"

mxp_say "8. graceful shutdown (SIGTERM)"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
tail -n 3 "$DIR/mixplane.log" | sed 's/^/    /'
expect "mixplane exited with status 0" test "$rc" -eq 0
expect "control socket removed" test ! -e "$SOCK"

if [ -s "$OUT/switch.json" ] || [ -s "$OUT/mix.json" ]; then
    mxp_say "9. the result: who heard whom, packets, loss, latency, recordings"
    /usr/bin/python3 "$MXP_TOP/scripts/demo-table.py" "switch conference, one key group (rekeyed at 2 s)=$OUT/switch.json" \
        "mix conference=$OUT/mix.json" | sed 's/^/  /'
    echo "  mixgen's JSON lines: $OUT/switch.json $OUT/mix.json"
fi

echo
if [ $failures -eq 0 ]; then
    printf '\033[32mdemo passed: %d checks\033[0m\n' "$checks"
    [ -z "$skipped" ] || printf '\033[33mskipped: %s\033[0m\n' "$skipped"
    exit 0
fi
printf '\033[31mdemo failed: %d of %d checks\033[0m\n' "$failures" "$checks"
exit 1

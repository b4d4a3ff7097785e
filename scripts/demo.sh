#!/usr/bin/env bash
# The mixplane demo on one machine with no NIC: installs what is missing, builds,
# reserves hugepages (or falls back to --no-huge), starts the daemon on a veth pair
# (net_af_packet) whose other end lives in a network namespace playing "the network",
# drives real traffic at it from the kernel side, shows what the daemon saw, and stops
# it cleanly. Exits 0 only if every check passed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

NS=mxdemo
VD=mxdemo0          # the daemon's end (root namespace)
VK=mxdemo1          # the kernel's end (in $NS)
DIR=$(mktemp -d /tmp/mixplane-demo.XXXXXX)
SOCK=$DIR/mixplane.sock
PREFIX=mxdemo
DAEMON_PID=
checks=0 failures=0

cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null
    fi
    ip link del "$VD" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "/var/run/dpdk/$PREFIX" "$DIR"
    rm -f /dev/hugepages/${PREFIX}map_* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { checks=$((checks + 1)); printf '  \033[32mok\033[0m   %s\n' "$*"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); printf '  \033[31mFAIL\033[0m %s\n' "$*"; }
expect() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
ctl() { "$MXP_BUILD/app/mixplanectl/mixplanectl" -s "$SOCK" "$@"; }
nsx() { ip netns exec "$NS" "$@"; }

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

cat > "$DIR/mixplane.ini" <<INI
; mixplane demo configuration (see doc/configuration.md)
[mixplane]
socket = $SOCK
mbufs = 8191
rx_desc = 512
tx_desc = 512

[port0]
device = net_af_packet0,iface=$VD
ipv4 = 192.0.2.2/24
ipv6 = 2001:db8::2/64
gateway4 = 192.0.2.1
INI
mxp_say "3. start mixplane (control core on lcore 0, one worker on lcore 1)"
sed 's/^/    /' "$DIR/mixplane.ini"
"$MXP_BUILD/app/mixplane/mixplane" -l 0,1 --no-pci --file-prefix "$PREFIX" "${MEM[@]}" \
    --log-level lib.eal:warning -- -f "$DIR/mixplane.ini" > "$DIR/mixplane.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 300); do
    ctl show version >/dev/null 2>&1 && break
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.1
done
if ! ctl show version >/dev/null 2>&1; then
    cat "$DIR/mixplane.log"; mxp_die "mixplane did not start"
fi
sed 's/^/    /' "$DIR/mixplane.log"
ok "daemon answers on its control socket $SOCK ($(stat -c %a "$SOCK"), owner-only)"

mxp_say "4. traffic from the kernel side"
MAC=$(ctl --json show ports | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mac"].lower())')
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
    n=$(ctl --json show drops | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["udp_no_leg"])')
    [ "$n" -ge 10 ] && break; sleep 0.1
done
expect "the 10 datagrams are counted under udp_no_leg ($n)" test "$n" -eq 10

mxp_say "5. what the daemon saw (mixplanectl)"
for c in "show ports" "show stats" "show drops" "show neighbours"; do
    echo "  \$ mixplanectl $c"
    ctl $c | sed 's/^/    /'
done
expect "telemetry: dpdk-telemetry.py reads /mixplane/stats" sh -c \
    "echo /mixplane/stats | dpdk-telemetry.py -f $PREFIX | grep -q echo_replies"

mxp_say "6. graceful shutdown (SIGTERM)"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
tail -n 3 "$DIR/mixplane.log" | sed 's/^/    /'
expect "mixplane exited with status 0" test "$rc" -eq 0
expect "control socket removed" test ! -e "$SOCK"

echo
if [ $failures -eq 0 ]; then
    printf '\033[32mdemo passed: %d checks\033[0m\n' "$checks"
    exit 0
fi
printf '\033[31mdemo failed: %d of %d checks\033[0m\n' "$failures" "$checks"
exit 1

# lib.sh - shared by the integration tests. Each test runs as root inside its own
# network namespace (run.sh starts it with `unshare -n`), so it only ever talks to
# 10.0.0.1 (the kernel side of tun0) and 10.0.0.2 (the stack).
set -u
# Run directly (not by run.sh), a test would make tun0 in the machine's own namespace:
# it starts again in a private one instead (a private one has only lo until the test
# makes its links).
if ip -o link show | awk -F': ' '{ print $2 }' | grep -qv '^lo$' && [ -z "${TUNTCP_NS_DONE:-}" ]; then
	TUNTCP_NS_DONE=1 exec unshare -n bash "$0" "$@"
fi
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${TUNTCP_BUILD:-$TOP/build}
T=$(mktemp -d /tmp/tuntcp-it.XXXXXX)
PIDS=()
fails=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$fails" -ne 0 ] || [ -n "${KEEP:-}" ]; then echo "  (files kept in $T)"; else rm -rf "$T"; fi
}
trap cleanup EXIT

say() { echo "  $*"; }
fail() { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { # check "what" command...
	local what=$1; shift
	if "$@"; then say "ok: $what"; else fail "$what"; fi
}
finish() { [ "$fails" -eq 0 ] && exit 0 || exit 1; }

# The namespace's loopback, and tun0 made beforehand so tcpdump can watch it from
# the first packet; the app attaches to it and configures it.
net_up() {
	ip link set lo up
	ip tuntap add dev tun0 mode tun
	ip link set tun0 up
}

# start_tcpdump: -vv makes tcpdump verify every checksum; -S absolute seq numbers.
start_tcpdump() {
	tcpdump -i tun0 -n -vv -S -l >"$T/tcpdump.txt" 2>"$T/tcpdump.err" &
	PIDS+=($!); TCPDUMP=$!
	wait_for "tcpdump to listen" 50 grep -q 'listening on' "$T/tcpdump.err"
}
stop_tcpdump() {
	sleep 0.2
	kill -INT "$TCPDUMP" 2>/dev/null; wait "$TCPDUMP" 2>/dev/null
}

wait_for() { # wait_for "what" tenths command...
	local what=$1 n=$2; shift 2
	for _ in $(seq "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done
	fail "timed out waiting for $what"; return 1
}

tun_ready() { ip -4 addr show tun0 2>/dev/null | grep -q '10.0.0.1/24' && ip link show tun0 | grep -q 'UP'; }

# start_stack APP args...: the app with a short MSL, its log and pcap in $T.
start_stack() {
	local app=$1; shift
	"$B/$app" --msl 1 --log "$T/stack.log" --pcap "$T/stack.pcap" "$@" >"$T/app.out" 2>"$T/app.err" &
	PIDS+=($!); STACK=$!
	wait_for "$app to configure tun0" 50 tun_ready
}

# Every packet the stack sent: IP header and TCP checksums correct, per tcpdump.
checksums_correct() {
	local sent bad
	sent=$(grep -c '^ *10\.0\.0\.2[.:> ]' "$T/tcpdump.txt")
	bad=$(grep -E -c 'incorrect|bad cksum|wrong icmp cksum' "$T/tcpdump.txt")
	say "tcpdump: $sent packets from the stack, $bad bad checksums"
	[ "$sent" -gt 0 ] && [ "$bad" -eq 0 ]
}

log_has() { grep -q -- "$1" "$T/stack.log"; }
log_order() { # log_order pattern... : the patterns appear in this order
	local line=0 n p
	for p in "$@"; do
		n=$(grep -n -- "$p" "$T/stack.log" | awk -F: -v l="$line" '$1 > l { print $1; exit }')
		[ -n "$n" ] || { say "log lacks (in order): $p"; return 1; }
		line=$n
	done
}
# ss_state PORT: the kernel socket state of the connection with the stack's port
ss_state() { ss -tanH "( sport = :$1 or dport = :$1 )" | awk '$0 ~ /10\.0\.0\.2/ { print $1; exit }'; }

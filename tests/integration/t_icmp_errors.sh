# ICMP errors reach the connection, and the stack answers what it does not speak.
# The kernel side rejects the stack's SYN with ICMP (nftables `reject with icmp type
# ...` in this namespace): pingpong-client reports "connect: Connection refused" (port
# unreachable) and "connect: No route to host" (administratively prohibited) at once,
# where without ICMP handling it would retry its SYN for about two minutes; the log
# names the ICMP error. Then `nc -u` sends a datagram to the stack, which answers
# ICMP protocol unreachable (tcpdump shows it, checksums correct).
source "$(dirname "$0")/lib.sh"
net_up
start_tcpdump
nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority 0;
		iifname "tun0" tcp dport 5000 reject with icmp type port-unreachable
		iifname "tun0" tcp dport 5001 reject with icmp type admin-prohibited
	}
}
NFT
rules_in() { nft list table inet lab >/dev/null; }
check "nft: the reject rules are in" rules_in

# connect_fails PORT MESSAGE: pingpong-client exits non-zero within 2 s, saying MESSAGE
connect_fails() {
	local port=$1 msg=$2 t0=$EPOCHREALTIME rc secs
	timeout 20 "$B/pingpong-client" --msl 1 --log "$T/client-$port.log" -v \
		10.0.0.1 "$port" >"$T/c$port.out" 2>"$T/c$port.err"; rc=$?
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
	say "port $port: exit $rc after $secs s: $(head -n 1 "$T/c$port.err")"
	check "port $port: pingpong-client fails" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
	check "port $port: it says '$msg'" grep -qx "$msg" "$T/c$port.err"
	check "port $port: at once (under 2 s, no SYN retried)" \
		awk -v s="$secs" 'BEGIN { exit !(s < 2) }'
}
connect_fails 5000 "connect: Connection refused"
check "log: SYN-SENT -> CLOSED (rcvd ICMP port unreachable)" \
	grep -q "SYN-SENT -> CLOSED (rcvd ICMP port unreachable) \[3.9.2.2\]" "$T/client-5000.log"
check "-v: the ICMP error as tcpdump prints it" \
	grep -qE "in  IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP 10\.0\.0\.1 tcp port 5000 unreachable, length [0-9]+" \
	"$T/client-5000.log"
connect_fails 5001 "connect: No route to host"
check "log: SYN-SENT -> CLOSED (rcvd ICMP communication administratively prohibited)" \
	grep -q "SYN-SENT -> CLOSED (rcvd ICMP communication administratively prohibited)" \
	"$T/client-5001.log"

# UDP to the stack: protocol unreachable, from a running app (the stack needs no listener).
start_stack pingpong-server --count 1 --stats
echo hello | timeout 5 nc -u -w 1 10.0.0.2 9 >/dev/null 2>&1
stop_tcpdump
check "tcpdump: nc's datagram" grep -qE "10\.0\.0\.1\.[0-9]+ > 10\.0\.0\.2\.9: .*UDP, length 6" "$T/tcpdump.txt"
check "tcpdump: the stack answered ICMP 10.0.0.2 protocol 17 unreachable" \
	grep -qE "10\.0\.0\.2 > 10\.0\.0\.1: ICMP 10\.0\.0\.2 protocol 17 unreachable" "$T/tcpdump.txt"
check "every checksum the stack sent is correct" checksums_correct
kill -INT "$STACK" 2>/dev/null; wait "$STACK" 2>/dev/null
check "--stats: one protocol unreachable sent" grep -qE "^ +1 icmp protocol unreachable sent" "$T/app.err"
finish

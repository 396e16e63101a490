#!/usr/bin/env bash
# record.sh - makes the ladder fixtures in this folder from real runs (root: each
# scenario in a private network namespace of its own, tun0 as tests/integration/lib.sh
# makes it). Writes NAME.pcapng and NAME.log (the stack's own capture and log),
# NAME.kernel.log (build/kernel-states, when the kernel can be traced), NAME.tun0.cap
# (tcpdump -w on tun0) and, for the server, NAME.any.cap (tcpdump -i any: Linux SLL2);
# simclose.pcapng, simclose.log and simclose.b.log: two stacks closing at once.
# Times are UTC (TZ=UTC), as check_ladder reads them. Then run mkvariants.py, and
# LADDER_UPDATE=1 build/tests/check_ladder to write the expected ladders (NAME*.txt):
# read each one before it is committed.
#   usage: tests/ladder/record.sh [SCENARIO]...   (default: all)
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=$(cd "$here/../.." && pwd)/build
export TZ=UTC

# scenario NAME: runs inside the namespace
scenario() {
	local name=$1 D; D=$(mktemp -d /tmp/ladder-rec.XXXXXX)
	ip link set lo up
	ip tuntap add dev tun0 mode tun
	ip link set tun0 up
	if "$B/kernel-states" -o "$D/kernel.log" --ready "$D/ready" 2>"$D/kernel.err" & then KS=$!; fi
	for _ in $(seq 50); do [ -e "$D/ready" ] || ! kill -0 "$KS" 2>/dev/null && break; sleep 0.1; done
	tcpdump -i tun0 -n --immediate-mode -U -w "$D/tun0.cap" 2>"$D/td0.err" & TD0=$!
	tcpdump -i any -n --immediate-mode -U -w "$D/any.cap" 2>"$D/td1.err" & TD1=$!
	for _ in $(seq 50); do grep -q listening "$D/td0.err" && grep -q listening "$D/td1.err" && break; sleep 0.1; done
	local S=(--msl 1 --isn 1000 --log "$D/stack.log" --pcap "$D/stack.pcapng")
	case $name in
	server|data-drop|data-drop-pcap|two)
		local extra=() n=1
		case $name in
		data-drop) extra=(--rule in:data#1:drop) ;;
		data-drop-pcap) extra=(--rule in:data#1:drop --pcap-format pcap) ;;
		two) n=2 ;;
		esac
		"$B/pingpong-server" "${S[@]}" --linger 300 --count $n "${extra[@]}" & SV=$!
		for _ in $(seq 50); do ip -4 addr show tun0 | grep -q 10.0.0.1/24 && break; sleep 0.1; done
		sleep 0.3
		[ "$name" = two ] && ping -c 1 -W 1 10.0.0.2 >/dev/null
		for _ in $(seq $n); do
			python3 -c 'import socket; s=socket.create_connection(("10.0.0.2",1234)); s.send(b"ping"); s.recv(9); s.close()'
		done
		sleep 0.5; wait $SV ;;
	client|fin-drop|refused)
		ip addr add 10.0.0.1/24 dev tun0
		local port=5000 extra=()
		[ "$name" = fin-drop ] && extra=(--rule out:fin#1:drop)
		[ "$name" = refused ] && port=5001
		python3 -c 'import socket,time,sys; l=socket.create_server(("10.0.0.1",5000)); open(sys.argv[1],"w").close(); c,_=l.accept(); c.send(c.recv(9).replace(b"i",b"o")); c.recv(9); time.sleep(0.2); c.close(); time.sleep(0.5)' "$D/listening" & P=$!
		for _ in $(seq 50); do [ -e "$D/listening" ] && break; sleep 0.1; done
		"$B/pingpong-client" "${S[@]}" "${extra[@]}" 10.0.0.1 $port >/dev/null || true
		[ "$name" = refused ] && python3 -c 'import socket; socket.create_connection(("10.0.0.1",5000)).close()'
		wait $P ;;
	esac
	sleep 0.5
	kill -INT $TD0 $TD1; wait $TD0 $TD1 2>/dev/null || true
	[ -n "${KS:-}" ] && { kill -INT "$KS" 2>/dev/null; wait "$KS" 2>/dev/null || true; }
	local out=$OUT/$name ext=pcapng
	[ "$name" = data-drop-pcap ] && ext=cap
	cp "$D/stack.pcapng" "$out.$ext"
	cp "$D/stack.log" "$out.log"
	cp "$D/tun0.cap" "$out.tun0.cap"
	[ "$name" = server ] && cp "$D/any.cap" "$out.any.cap"
	# kernel-states traces every namespace: keep the lines of this run's connections
	if [ -s "$D/kernel.log" ]; then
		grep -o '10\.0\.0\.2:[0-9]* > 10\.0\.0\.1:[0-9]*' "$D/stack.log" | sort -u |
			awk '{ split($1, a, ":"); split($3, b, ":"); print "10.0.0.1:" b[2] " > 10.0.0.2:" a[2] " " }' >"$D/conns"
		grep -F -f "$D/conns" "$D/kernel.log" >"$out.kernel.log" || rm -f "$out.kernel.log"
	fi
	rm -rf "$D"
}

# RFC 793's figure 14 needs two stacks whose FINs cross: build/simclose runs them on the
# in-memory wire in virtual time (5 ms each way), no namespace needed. A's capture.
simclose() {
	"$B/simclose" --seed 7 --msl 1 --isn 100 --log "$here/simclose.log" \
		--pcap "$here/simclose.pcapng" --log-b "$here/simclose.b.log" --pcap-b /dev/null
}

if [ "${1:-}" = --in-namespace ]; then
	shift; OUT=$1; shift; scenario "$1"; exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "record.sh: needs root (a network namespace, tun0)"; exit 1; }
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(server client fin-drop data-drop data-drop-pcap refused two simclose)
for n in "${names[@]}"; do
	echo "recording $n"
	if [ "$n" = simclose ]; then simclose; else unshare -n bash "$0" --in-namespace "$here" "$n"; fi
done

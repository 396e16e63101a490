#!/usr/bin/env bash
# make demo: the ping/pong capture of seed 002, for real. In a private network
# namespace: pingpong-server runs on the stack (10.0.0.2), a kernel-side client
# (python, 10.0.0.1) sends "ping" and gets "pong", tcpdump captures tun0, and
# kernel-states records the kernel's own TCP state changes (tracepoint
# sock:inet_sock_set_state); the capture, the stack's transition log and the
# kernel's states are printed merged by time. Without tracefs the kernel's lines
# are left out, with a note.
# Files stay in build/demo/: tcpdump.txt, stack.log, kernel.log, stack.pcap (opens in
# Wireshark).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/demo

if [ "${1:-}" != --inside ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "make demo creates a network namespace and a TUN device: run it as root (sudo make demo)."
		echo "Without root, see README.md: 'Running the pieces by hand'."
		exit 1
	fi
	mkdir -p "$out"
	exec unshare -n bash "$0" --inside
fi

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
ip link set lo up
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null   # no IPv6 chatter on tun0
ip tuntap add dev tun0 mode tun
ip link set tun0 up
rm -f "$out"/*
tcpdump -i tun0 -n -S -l ip >"$out/tcpdump.txt" 2>"$out/tcpdump.err" &
pids+=($!); td=$!
for _ in $(seq 50); do grep -q 'listening on' "$out/tcpdump.err" && break; sleep 0.1; done

# The kernel's side: its TCP state changes, on the stack's clock. Exit 3: no tracefs.
"$top/build/kernel-states" -o "$out/kernel.log" --ready "$out/kernel.ready" 2>"$out/kernel.err" &
ks=$!; pids+=($ks)
for _ in $(seq 50); do [ -e "$out/kernel.ready" ] || ! kill -0 "$ks" 2>/dev/null && break; sleep 0.1; done
if [ ! -e "$out/kernel.ready" ]; then
	wait "$ks" 2>/dev/null
	ks=""
fi

echo "== pingpong-server on the stack (10.0.0.2:1234), in a private network namespace"
"$top/build/pingpong-server" --count 1 --log "$out/stack.log" --pcap "$out/stack.pcap" &
pids+=($!); srv=$!
for _ in $(seq 50); do ip -4 addr show tun0 | grep -q 10.0.0.1 && break; sleep 0.1; done

echo "== the kernel's client (python, 10.0.0.1): connect, send ping, read the reply, close"
python3 - <<'PY'
import socket
s = socket.create_connection(("10.0.0.2", 1234), timeout=10)
s.sendall(b"ping")
print("   client got:", s.recv(100).decode())
s.close()
PY
wait "$srv"
sleep 0.2
kill -INT "$td"; wait "$td" 2>/dev/null
[ -n "$ks" ] && { kill -INT "$ks"; wait "$ks" 2>/dev/null; }
touch "$out/kernel.log"; rm -f "$out/kernel.ready"

echo
tcpdump -n -S -r "$out/stack.pcap" 2>/dev/null >"$out/stack-pcap.txt"
if [ -n "$ks" ]; then
	echo "== the stack's own capture, its transition log and the kernel's states (\"kernel\"),"
	echo "   merged by time (sort -m): one clock, so no transition comes before its segment"
else
	echo "== the stack's own capture and its transition log, merged by time (sort -m);"
	echo "   no kernel lines: $(head -n 1 "$out/kernel.err")"
fi
sort -m -s -k1,1 "$out/stack-pcap.txt" "$out/stack.log" "$out/kernel.log" | grep -v '^$'
echo
echo "== files: $out/{tcpdump.txt,stack.log,kernel.log,stack.pcap}"
echo "   tcpdump.txt is tun0 seen by the kernel (tcpdump); stack.pcap is the stack's own"
echo "   capture, pcapng with a comment on each packet that caused a transition:"
echo "   tshark -r $out/stack.pcap -Y frame.comment -T fields -e frame.comment"

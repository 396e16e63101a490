# Window scaling (RFC 7323 2) with a kernel peer: a python client sends T_BYTES
# (default 20M) to the stack's sink started with --rcvbuf 1M over a link the stack
# delays by 5 ms each way. `ss -ti` on the kernel side must show wscale:5,N (our
# shift 5 for 1 MiB, the kernel's own N), and tcpdump must show, at some point, a
# kernel sequence number more than 65535 past the stack's last ACK. The same
# transfer again with --no-wscale: no wscale in ss, at most 65535 in flight; both
# rates are printed.
source "$(dirname "$0")/lib.sh"
BYTES=${T_BYTES:-20M}
TMO=${T_TIMEOUT:-50}
case $BYTES in
*k) N=$((${BYTES%k} << 10)) ;;
*M) N=$((${BYTES%M} << 20)) ;;
*) N=$((BYTES)) ;;
esac
net_up
# headers only, to a file, with a big buffer: printing -vv lines drops packets at this rate
tcpdump -i tun0 -n -s 96 -B 32768 -U -w "$T/cap.pcap" 2>"$T/tcpdump.err" &
PIDS+=($!); TCPDUMP=$!
wait_for "tcpdump to listen" 50 grep -q 'listening on' "$T/tcpdump.err"

# run NAME sink-options...: one transfer; ss -ti of it in $T/NAME.ss, rates shown
run() {
	local name=$1 rc prc; shift
	timeout "$TMO" "$B/sink" --count 1 --msl 1 --delay 5ms --log "$T/$name.log" "$@" \
		>"$T/$name.sink" 2>"$T/$name.err" &
	PIDS+=($!); SINK=$!
	wait_for "sink to listen" 50 grep -q "^sink: listening" "$T/$name.sink" || return
	timeout "$TMO" python3 - "$N" "$TMO" >"$T/$name.ksrc" 2>&1 <<'PY' &
import os, socket, sys, time
n = int(sys.argv[1])
s = socket.create_connection(("10.0.0.2", 9000), timeout=float(sys.argv[2]))
t0, left, b = time.monotonic(), n, os.urandom(1 << 20)
while left:
    k = min(left, len(b)); s.sendall(b[:k]); left -= k
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
t = time.monotonic() - t0
print("kernel: sent %d bytes in %.3f s (%.1f Mbit/s)" % (n, t, n * 8 / t / 1e6 if t else 0))
PY
	PIDS+=($!); KSRC=$!
	while kill -0 "$KSRC" 2>/dev/null; do ss -tin dst 10.0.0.2 >>"$T/$name.ss"; sleep 0.05; done
	wait "$KSRC"; prc=$?
	wait "$SINK"; rc=$?
	grep -h "Mbit/s" "$T/$name.ksrc" | sed "s/^/  $name: /"
	check "$name: python client exits 0" [ "$prc" -eq 0 ]
	check "$name: sink exits 0" [ "$rc" -eq 0 ]
	check "$name: sink received $N bytes" grep -q "received $N bytes" "$T/$name.sink"
}

# most_in_flight FILE NAME: the largest (kernel's highest seq sent) - (stack's last ACK)
# seen on run NAME's connection (its client port, from the sink's line: a capture read
# while tcpdump still writes may hold the previous run's last packets)
most_in_flight() {
	local port
	port=$(sed -n 's/^sink: 10\.0\.0\.1:\([0-9]*\) received.*/\1/p' "$T/$2.sink")
	awk -v p="${port:-0}" '$0 ~ " 10\\.0\\.0\\.1\\." p " > 10\\.0\\.0\\.2\\.9000: .*seq [0-9]+:[0-9]+" {
		split($0, a, "seq "); split(a[2], b, "[:,]"); if (b[2] > hi) hi = b[2] }
	$0 ~ " 10\\.0\\.0\\.2\\.9000 > 10\\.0\\.0\\.1\\." p ": .* ack [0-9]+" {
		split($0, a, " ack "); split(a[2], b, ","); ack = b[1] }
	ack && hi - ack > max { max = hi - ack }
	END { print max + 0 }' "$1"
}

# text: the capture so far, one line a packet, absolute sequence numbers
text() { tcpdump -r "$T/cap.pcap" -n -S 2>/dev/null; }

run scaled --rcvbuf 1M
sleep 0.3
text >"$T/scaled.tcpdump"
grep -o "wscale:[0-9,]*" "$T/scaled.ss" | sort -u | sed 's/^/  scaled: ss -ti shows /'
check "scaled: ss shows the stack's shift 5 and the kernel's own" \
	grep -q "wscale:5,[0-9]" "$T/scaled.ss"
flight=$(most_in_flight "$T/scaled.tcpdump" scaled)
say "scaled: most in flight $flight bytes"
check "scaled: more than 65535 bytes in flight" [ "$flight" -gt 65535 ]
check "scaled: the stack's SYN,ACK carries wscale 5" \
	grep -q "10.0.0.2.9000 > .*Flags \[S.\].*wscale 5" "$T/scaled.tcpdump"

lines=$(wc -l <"$T/scaled.tcpdump")
run unscaled --rcvbuf 1M --no-wscale
sleep 0.3
kill -INT "$TCPDUMP" 2>/dev/null; wait "$TCPDUMP" 2>/dev/null
text | tail -n +"$((lines + 1))" >"$T/unscaled.tcpdump"
flight=$(most_in_flight "$T/unscaled.tcpdump" unscaled)
say "--no-wscale: most in flight $flight bytes"
no_wscale_in_ss() { ! grep -q "wscale" "$T/unscaled.ss"; }
check "--no-wscale: ss shows no wscale" no_wscale_in_ss
check "--no-wscale: at most 65535 bytes in flight" [ "$flight" -le 65535 ]
grep -h "dropped by kernel" "$T/tcpdump.err" | sed 's/^/  tcpdump: /'
finish

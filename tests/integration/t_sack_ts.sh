# time-limit: 600
# SACK (RFC 2018, 6675) and timestamps (RFC 7323) with a kernel peer. (1) A kernel
# client connects to the stack's sink: the kernel's socket must have `sack` and `ts`
# (`ss -ti`, or the tcp_info bits ss prints them from) and the stack's SYN,ACK carry
# sackOK and TS; with --no-sack --no-timestamps, neither. (2) T_BYTES (default 10M) each way through the stack's
# own 2% loss in both directions with --rcvbuf 1M, SACK on and then off
# (t_source_sink.sh in a namespace of its own each time): byte exact both ways; the
# times are printed, and SACK must not be slower than half the speed of --no-sack
# (a generous bound: the gain itself varies with the machine's load).
source "$(dirname "$0")/lib.sh"
BYTES=${T_BYTES:-10M}
LOSS=${T_LOSS:-2%}
net_up
tcpdump -i tun0 -n -S -l >"$T/tcpdump.txt" 2>"$T/tcpdump.err" &
PIDS+=($!); TCPDUMP=$!
wait_for "tcpdump to listen" 50 grep -q 'listening on' "$T/tcpdump.err"

# negotiated NAME sink-options...: one short connection from the kernel; `ss -ti` of
# it while it is open in $T/NAME.ss
negotiated() {
	local name=$1 rc; shift
	timeout 20 "$B/sink" --count 1 --msl 1 --log "$T/$name.log" "$@" >"$T/$name.sink" 2>&1 &
	PIDS+=($!); SINK=$!
	wait_for "sink to listen" 50 grep -q "^sink: listening" "$T/$name.sink" || return
	timeout 20 python3 - >"$T/$name.py" 2>&1 <<'PY' &
import socket, time
s = socket.create_connection(("10.0.0.2", 9000), timeout=10)
time.sleep(0.5)
s.sendall(b"x" * 100000)
i = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)   # what ss -i reads (tcp_info)
print("tcpi_options", i[5], flush=True)
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
PY
	PIDS+=($!); PY=$!
	established() { ss -tinH state established dst 10.0.0.2 >"$T/$name.ss" && [ -s "$T/$name.ss" ]; }
	wait_for "$name: the kernel's connection in ss" 40 established
	wait "$PY"; rc=$?
	wait "$SINK"
	say "$name: ss -ti shows:$(grep -oE '\b(sack|ts|wscale:[0-9,]+)\b' "$T/$name.ss" | sort -u | tr '\n' ' ' | sed 's/^/ /')"
	say "$name: the kernel's tcp_info: $(grep tcpi_options "$T/$name.py")"
	check "$name: the kernel client exits 0" [ "$rc" -eq 0 ]
	check "$name: the sink received 100000 bytes" grep -q "received 100000 bytes" "$T/$name.sink"
}

# ss -ti prints " ts" and " sack" from tcpi_options (TCPI_OPT_TIMESTAMPS 1, TCPI_OPT_SACK
# 2); this machine's ss (iproute2 6.1 on a newer kernel) leaves them out even between two
# kernel sockets, so the bits themselves, read by the client, are what is checked
opt_bit() { local v; v=$(sed -n 's/^tcpi_options //p' "$T/$1.py"); [ -n "$v" ] && [ $(( v & $2 )) -ne 0 ]; }
ss_or_bit() { grep -qw "$3" "$T/$1.ss" || opt_bit "$1" "$2"; }
negotiated modern
check "the kernel's connection has sack (ss -ti, or tcpi_options bit 2)" ss_or_bit modern 2 sack
check "the kernel's connection has ts (ss -ti, or tcpi_options bit 1)" ss_or_bit modern 1 ts
negotiated plain --no-sack --no-timestamps
check "--no-sack --no-timestamps: neither sack nor ts" \
	bash -c "! grep -qwE 'sack|ts' '$T/plain.ss' && [ \$(( \$(sed -n 's/^tcpi_options //p' '$T/plain.py') & 3 )) -eq 0 ]"
sleep 0.3
kill -INT "$TCPDUMP" 2>/dev/null; wait "$TCPDUMP" 2>/dev/null
synacks=$(grep -F "10.0.0.2.9000 > " "$T/tcpdump.txt" | grep -F "Flags [S.]")
say "the stack's SYN,ACKs:"
echo "$synacks" | sed 's/^.*Flags/    Flags/'
check "the first SYN,ACK carries sackOK and TS" \
	bash -c "head -n 1 <<<\"\$0\" | grep -q 'sackOK,TS val [0-9]* ecr [0-9]*'" "$synacks"
check "the second carries MSS alone" bash -c "sed -n 2p <<<\"\$0\" | grep -q 'options \[mss 1460\]'" "$synacks"
check "the stack's data ACKs carry TS" grep -qE "10\.0\.0\.2\.9000 > .*Flags \[\.\], ack .*options \[nop,nop,TS val" "$T/tcpdump.txt"

# lossy NAME options...: t_source_sink.sh in a namespace of its own; its output in
# $T/NAME.out, and "S K" (the two transfer times, s) printed
lossy() {
	local name=$1; shift
	T_BYTES=$BYTES T_TIMEOUT=240 T_STACK_OPTS="--loss $LOSS --impair-seed 2026 --rcvbuf 1M $*" \
		timeout 560 unshare -n bash "$(dirname "$0")/t_source_sink.sh" >"$T/$name.out" 2>&1
}
# secs FILE WHO: the seconds of "WHO: ... in X s" in the output
secs() { sed -nE "s/^ *$2: (sent|received) [0-9]+ bytes.* in ([0-9.]+) s.*/\2/p" "$1" | head -n 1; }

for name in sack nosack; do
	opts=""; [ $name = nosack ] && opts="--no-sack"
	lossy "$name" $opts; rc=$?
	grep -E '^  (ok|FAIL):' "$T/$name.out" | sed "s/^  /    $name: /"
	check "$name: $BYTES each way through $LOSS loss, byte exact" [ "$rc" -eq 0 ]
done
s1=$(secs "$T/sack.out" source)
s0=$(secs "$T/nosack.out" source); k0=$(sed -nE 's/^ *kernel: sent [0-9]+ bytes in ([0-9.]+) s.*/\1/p' "$T/nosack.out")
k1=$(sed -nE 's/^ *kernel: sent [0-9]+ bytes in ([0-9.]+) s.*/\1/p' "$T/sack.out")
say "stack -> kernel: SACK ${s1:-?} s, --no-sack ${s0:-?} s"
say "kernel -> stack: SACK ${k1:-?} s, --no-sack ${k0:-?} s"
check "SACK is not slower than half the speed of --no-sack, both ways" awk -v a="${s1:-999}" \
	-v b="${s0:-0}" -v c="${k1:-999}" -v d="${k0:-0}" 'BEGIN { exit !(a <= 2 * b && c <= 2 * d) }'
finish

# Stack client -> kernel server: ping/pong, the stack closes first (FIN-WAIT-1,
# FIN-WAIT-2, TIME-WAIT for 2*MSL), the kernel passively (CLOSE-WAIT, LAST-ACK).
source "$(dirname "$0")/lib.sh"
net_up
ip addr add 10.0.0.1/24 dev tun0
ip link set tun0 up
python3 - >"$T/server.out" 2>&1 <<'PY' &
import socket, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.0.0.1", 5000)); ls.listen(1)
print("listening", flush=True)
c, peer = ls.accept()
print("got", c.recv(100).decode(), flush=True)
c.sendall(b"pong")
print("eof", c.recv(100) == b"", flush=True)
time.sleep(1.0)          # the kernel stays in CLOSE-WAIT for a second
c.close()
print("closed", flush=True)
PY
PIDS+=($!); SERVER=$!
wait_for "the kernel server" 50 grep -q listening "$T/server.out"
start_tcpdump
start=$(date +%s.%N)
"$B/pingpong-client" --msl 1 --log "$T/stack.log" --pcap "$T/stack.pcap" 10.0.0.1 5000 >"$T/app.out" 2>"$T/app.err" &
CLIENT=$!
wait_for "FIN-WAIT-2 in the stack log" 50 log_has "FIN-WAIT-1 -> FIN-WAIT-2"
port=$(grep -m1 -o '10\.0\.0\.2:[0-9]*' "$T/stack.log" | cut -d: -f2)
check "ss: kernel in CLOSE-WAIT while the stack is in FIN-WAIT-2" [ "$(ss_state "$port")" = CLOSE-WAIT ]
wait "$CLIENT"; rc=$?
end=$(date +%s.%N)
check "pingpong-client exits 0 once CLOSED" [ "$rc" -eq 0 ]
check "pingpong-client printed pong" [ "$(cat "$T/app.out")" = pong ]
check "the kernel server got ping, then EOF" grep -q "got ping" "$T/server.out"
check "ss: the kernel connection is gone" [ -z "$(ss_state "$port")" ]
check "log: active open and active close, in order" log_order \
	"CLOSED -> SYN-SENT (active OPEN, sent SYN) \[3.10.1\]" "SYN-SENT -> ESTABLISHED (rcvd SYN,ACK)" \
	"ESTABLISHED -> FIN-WAIT-1 (CLOSE)" "FIN-WAIT-1 -> FIN-WAIT-2 (rcvd ACK of FIN)" \
	"FIN-WAIT-2 -> TIME-WAIT (rcvd FIN) \[3.10.7.4\] for 2\*MSL = 2.000 s" "TIME-WAIT -> CLOSED (2\*MSL timeout)"
tw=$(awk '/-> TIME-WAIT/ { split($1, a, ":"); s = a[1]*3600 + a[2]*60 + a[3] } /TIME-WAIT -> CLOSED/ { split($1, a, ":"); e = a[1]*3600 + a[2]*60 + a[3] } END { printf "%.3f", e - s }' "$T/stack.log")
say "TIME-WAIT lasted $tw s (2*MSL with --msl 1)"
check "TIME-WAIT lasted 2*MSL" awk -v t="$tw" 'BEGIN { exit !(t >= 1.99 && t < 2.3) }'
stop_tcpdump
check "every checksum the stack sent is correct" checksums_correct
finish

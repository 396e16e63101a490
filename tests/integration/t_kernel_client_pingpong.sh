# Kernel client -> stack server: ping/pong, the client closes first, so the stack
# closes passively (CLOSE-WAIT, LAST-ACK) while the kernel goes through FIN-WAIT-2
# and TIME-WAIT. ss must show the kernel's side of each step the stack logged.
source "$(dirname "$0")/lib.sh"
net_up
start_tcpdump
start_stack pingpong-server --count 1 --linger 1500 --isn 1000
python3 - >"$T/client.out" <<'PY'
import socket
s = socket.create_connection(("10.0.0.2", 1234), timeout=5)
print(s.getsockname()[1])
s.sendall(b"ping")
print(s.recv(100).decode())
s.close()
PY
port=$(sed -n 1p "$T/client.out")
check "the kernel client got pong" [ "$(sed -n 2p "$T/client.out")" = pong ]
wait_for "CLOSE-WAIT in the stack log" 30 log_has "ESTABLISHED -> CLOSE-WAIT"
check "ss: kernel in FIN-WAIT-2 while the stack is in CLOSE-WAIT" [ "$(ss_state "$port")" = FIN-WAIT-2 ]
wait "$STACK"; rc=$?
check "pingpong-server exits 0 after --count 1" [ "$rc" -eq 0 ]
check "ss: kernel in TIME-WAIT after the stack's LAST-ACK -> CLOSED" [ "$(ss_state "$port")" = TIME-WAIT ]
check "server printed the message" grep -q "says: ping" "$T/app.out"
check "log: passive open and passive close, in order" log_order \
	"CLOSED -> LISTEN (passive OPEN)" ":1234 > 10.0.0.1:$port LISTEN -> SYN-RECEIVED (rcvd SYN) \[3.10.7.2\]" \
	"SYN-RECEIVED -> ESTABLISHED" "ESTABLISHED -> CLOSE-WAIT (rcvd FIN)" \
	"CLOSE-WAIT -> LAST-ACK (CLOSE)" "LAST-ACK -> CLOSED (rcvd ACK of FIN)"
check "log lines start with tcpdump's time format" grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} 10\.0\.0\.2:1234' "$T/stack.log"
stop_tcpdump
check "every checksum the stack sent is correct" checksums_correct
check "--isn 1000: the SYN,ACK carries seq 1000" grep -qE 'Flags \[S\.\], cksum 0x[0-9a-f]+ \(correct\), seq 1000, ack' "$T/tcpdump.txt"
live=$(grep -c '10\.0\.0\..*1234.*Flags' "$T/tcpdump.txt")
pcap=$(tcpdump -r "$T/stack.pcap" -n 2>/dev/null | grep -c '1234.*Flags')
say "tcp segments: tcpdump saw $live, the stack's pcap has $pcap"
check "the stack's pcap holds the same TCP segments as tcpdump saw" [ "$live" -eq "$pcap" -a "$pcap" -ge 8 ]
finish

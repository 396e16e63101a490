# Step mode (--step): the stack stops before each state transition, says what it is
# about to do, and waits for `tuntcp-ss step`; the kernel does not wait. (1) A kernel
# client's SYN arrives: the stack stops before LISTEN -> SYN-RECEIVED (no log line yet,
# no SYN-ACK), the kernel sends its SYN again (tcpdump sees it), tuntcp-ss shows the
# pause and the stack's TCBs meanwhile; `step` lets one transition go at a time through
# the handshake, `continue` runs the rest. (2) --step=segment stops before each segment
# taken or sent too. (3) SIGINT ends a paused program, its socket removed.
# time-limit: 150
source "$(dirname "$0")/lib.sh"
net_up
start_tcpdump
SS=$B/tuntcp-ss
transitions() { grep -c -- ' -> ' "$T/stack.log"; }
paused_before() { "$SS" --pid "$STACK" 2>/dev/null | grep -q "paused before: .*$1"; }
# step_expect TEXT: `tuntcp-ss step` releases the transition TEXT, which is then logged
step_expect() {
	"$SS" --pid "$STACK" step >"$T/step.out" 2>&1 && grep -q -- "did: .*$1" "$T/step.out" &&
		wait_for "the log line of $1" 30 log_has "$1"
}

# (1) the handshake, one transition at a time
start_stack pingpong-server --count 1 --linger 500 --step
wait_for "the pause before CLOSED -> LISTEN" 50 grep -q 'step 1: next: .*CLOSED -> LISTEN' "$T/app.err"
check "paused before CLOSED -> LISTEN: not in the log yet" [ "$(transitions)" -eq 0 ]
check "tuntcp-ss step lets CLOSED -> LISTEN go" step_expect "CLOSED -> LISTEN"
wait_for "pingpong-server to listen" 30 grep -q listening "$T/app.out"
"$SS" --pid "$STACK" step >"$T/notpaused.out" 2>&1; rc=$?
check "tuntcp-ss step while nothing waits: exit 1, 'not paused'" \
	eval '[ $rc -eq 1 ] && grep -q "not paused" "$T/notpaused.out"'
python3 - >"$T/client.out" 2>&1 <<'PY' &
import socket
s = socket.create_connection(("10.0.0.2", 1234), timeout=60)
s.sendall(b"ping")
print(s.recv(100).decode(), flush=True)
s.close()
PY
PIDS+=($!); CLIENT=$!
wait_for "the pause before LISTEN -> SYN-RECEIVED" 50 grep -q 'next: .*LISTEN -> SYN-RECEIVED' "$T/app.err"
port=$(sed -n 's/.*next: .* > 10\.0\.0\.1:\([0-9]*\) LISTEN -> SYN-RECEIVED.*/\1/p' "$T/app.err")
"$SS" --pid "$STACK" >"$T/paused.txt" 2>&1
cat "$T/paused.txt" | sed 's/^/    /'
check "tuntcp-ss answers while the stack is paused, and says before what" \
	grep -q "paused before: 10.0.0.2:1234 > 10.0.0.1:$port LISTEN -> SYN-RECEIVED (rcvd SYN)" "$T/paused.txt"
check "... the listener already counts the half-open child" grep -qE 'synq:1/[0-9]+ ' "$T/paused.txt"
syns() { grep -c "10\.0\.0\.1\.$port > 10\.0\.0\.2\.1234: Flags \[S\]" "$T/tcpdump.txt"; }
wait_for "the kernel to send its SYN again" 40 eval '[ "$(syns)" -ge 2 ]'
say "tcpdump: the kernel sent its SYN $(syns) times while the stack waited"
check "while paused: no LISTEN -> SYN-RECEIVED in the log" [ "$(transitions)" -eq 1 ]
check "while paused: no SYN-ACK sent" [ "$(grep -c 'Flags \[S\.\]' "$T/tcpdump.txt")" -eq 0 ]
check "step: LISTEN -> SYN-RECEIVED, and only it" step_expect "LISTEN -> SYN-RECEIVED (rcvd SYN)"
wait_for "the pause before SYN-RECEIVED -> ESTABLISHED" 50 paused_before "SYN-RECEIVED -> ESTABLISHED"
check "one transition logged per step (2)" [ "$(transitions)" -eq 2 ]
wait_for "the SYN-ACK, sent after that step" 30 grep -q 'Flags \[S\.\]' "$T/tcpdump.txt"
check "step: SYN-RECEIVED -> ESTABLISHED" step_expect "SYN-RECEIVED -> ESTABLISHED (rcvd ACK of SYN)"
wait_for "the pause before ESTABLISHED -> CLOSE-WAIT" 50 paused_before "ESTABLISHED -> CLOSE-WAIT"
check "one transition logged per step (3)" [ "$(transitions)" -eq 3 ]
wait_for "the kernel client to get pong" 30 grep -qx pong "$T/client.out"
"$SS" --pid "$STACK" continue >"$T/continue.out" 2>&1
check "tuntcp-ss continue ends step mode" grep -q 'step mode ended' "$T/continue.out"
wait "$STACK"; rc=$?
check "pingpong-server runs on to the end and exits 0" [ "$rc" -eq 0 ]
check "log: the whole connection, in order" log_order "CLOSED -> LISTEN" \
	"LISTEN -> SYN-RECEIVED" "SYN-RECEIVED -> ESTABLISHED" "ESTABLISHED -> CLOSE-WAIT" \
	"CLOSE-WAIT -> LAST-ACK" "LAST-ACK -> CLOSED"
check "no pause after continue" [ "$(grep -c '^step [0-9]*: next' "$T/app.err")" -eq 4 ]
wait "$CLIENT"

# (2) --step=segment: before the SYN is taken, before the SYN-ACK leaves
start_stack pingpong-server --count 1 --linger 0 --step=segment
wait_for "the pause before CLOSED -> LISTEN" 50 grep -q 'next: .*CLOSED -> LISTEN' "$T/app.err"
"$SS" --pid "$STACK" step >/dev/null 2>&1
python3 - >"$T/client2.out" 2>&1 <<'PY' &
import socket
s = socket.create_connection(("10.0.0.2", 1234), timeout=60)
s.sendall(b"ping"); print(s.recv(100).decode(), flush=True); s.close()
PY
PIDS+=($!); CLIENT=$!
wait_for "the pause before the SYN is taken" 50 paused_before "in  IP 10.0.0.1.[0-9]* > 10.0.0.2.1234: Flags \[S\]"
check "step: the SYN taken; next, LISTEN -> SYN-RECEIVED" \
	eval '"$SS" --pid "$STACK" step | grep -q "next: .*LISTEN -> SYN-RECEIVED"'
check "step: the transition; next, the SYN-ACK going out" \
	eval '"$SS" --pid "$STACK" step | grep -q "next: out IP 10.0.0.2.1234 > .*Flags \[S\.\]"'
"$SS" --pid "$STACK" continue >/dev/null 2>&1
wait "$STACK"; rc=$?
check "then continue: pingpong-server exits 0" [ "$rc" -eq 0 ]
wait "$CLIENT"
check "and the client got pong" grep -qx pong "$T/client2.out"

# (3) SIGINT while paused: in the app's thread (tcp_listen), and in the network thread
for where in "CLOSED -> LISTEN" "LISTEN -> SYN-RECEIVED"; do
	start_stack pingpong-server --step
	wait_for "the first pause" 50 grep -q 'step 1: next' "$T/app.err"
	if [ "$where" != "CLOSED -> LISTEN" ]; then
		"$SS" --pid "$STACK" step >/dev/null 2>&1
		python3 -c 'import socket; socket.create_connection(("10.0.0.2", 1234), timeout=5)' 2>/dev/null &
		PIDS+=($!)
		wait_for "the pause before $where" 50 paused_before "$where"
	fi
	sock=$(ls /run/tuntcp/tun0."$STACK".sock "$B"/tun0."$STACK".sock 2>/dev/null | head -n 1)
	kill -INT "$STACK"
	timeout 5 tail --pid="$STACK" -f /dev/null; alive=$?
	wait "$STACK"; rc=$?
	check "SIGINT while paused before $where: exit 130 at once" [ "$alive" -eq 0 -a "$rc" -eq 130 ]
	check "... and the control socket is removed" [ -n "$sock" -a ! -e "$sock" ]
done
stop_tcpdump
check "every checksum the stack sent is correct" checksums_correct
finish

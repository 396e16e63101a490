# The kernel's own TCP states (build/kernel-states: the tracepoint
# sock:inet_sock_set_state) during two ping-pongs over tun0: a kernel client with the
# stack's server, then the stack's client with a kernel server. Each kernel socket
# must report the states Linux goes through, in order, on the clock of the stack's
# log and tcpdump: a change a segment caused comes after that segment's tcpdump line
# (at most 50 ms), a change the kernel's program caused (connect, close) before the
# segment it sends. Without tracefs: skipped (exit 77), failed under CI=true.
source "$(dirname "$0")/lib.sh"
SLACK_US=50000
lport=$((20000 + RANDOM % 10000))   # the kernel server's port: no other test's (see README: namespaces)

secs() { awk '{ split($1, t, ":"); printf "%.6f\n", t[1] * 3600 + t[2] * 60 + t[3] }'; }
# kernel_at ERE: the time of the first kernel line that matches
kernel_at() { grep -E -m1 -- "$1" "$T/kernel.log" | secs; }
# seg_at ERE [AFTER]: the time of the first tcpdump line that matches (after the
# first line that matches AFTER)
seg_at() {
	P=$1 A=${2:-} awk 'ENVIRON["A"] != "" && !seen && $0 ~ ENVIRON["A"] { seen = 1; next }
		(ENVIRON["A"] == "" || seen) && $0 ~ ENVIRON["P"] { print; exit }' "$T/tcpdump.txt" | secs
}
# in_order "what" EARLIER LATER: LATER comes 0..SLACK_US after EARLIER
in_order() {
	local us
	if [ -z "$2" ] || [ -z "$3" ]; then fail "$1: a line is missing"; return; fi
	us=$(awk -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d < -43200) d += 86400
		if (d > 43200) d -= 86400; printf "%.0f", d * 1e6 }')
	if [ "$us" -ge 0 ] && [ "$us" -le $SLACK_US ]; then say "ok: $1 ($us us)"
	else fail "$1: $us us (want 0 to $SLACK_US)"; fi
}
# states "ADDR:PORT > ADDR:PORT": that socket's changes, "OLD -> NEW" joined by ", "
states() {
	grep -F " kernel $1 " "$T/kernel.log" | sed -E 's/^.* kernel [^ ]+ > [^ ]+ ([A-Z0-9-]+ -> [A-Z0-9-]+).*/\1/' |
		paste -sd, - | sed 's/,/, /g'
}
expect_states() { # expect_states "what" SOCKET "OLD -> NEW, ..."
	local got
	got=$(states "$2")
	if [ "$got" = "$3" ]; then say "ok: $1: $got"; else fail "$1: got \"$got\", want \"$3\""; fi
}

if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$B/kernel-states"; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$B/kernel-states" 2>"$T/nobody.err"
	check "not root: exit 3" [ $? -eq 3 ]
	check "not root: one line that says so" grep -qx "kernel-states: no tracefs (not root); the kernel's states will be inferred" "$T/nobody.err"
fi

net_up
"$B/kernel-states" -o "$T/kernel.log" --ready "$T/kernel.ready" 2>"$T/kernel.err" &
KS=$!; PIDS+=($KS)
for _ in $(seq 50); do [ -e "$T/kernel.ready" ] || ! kill -0 $KS 2>/dev/null && break; sleep 0.1; done
if [ ! -e "$T/kernel.ready" ]; then
	wait $KS; rc=$?
	say "kernel-states exit $rc: $(cat "$T/kernel.err")"
	if [ $rc -eq 3 ] && [ "${CI:-}" != true ]; then say "skipped: the kernel's states cannot be traced here"; exit 77; fi
	fail "kernel-states is not tracing (CI=true requires it)"; finish
fi
tcpdump -i tun0 -n -S -l ip >"$T/tcpdump.txt" 2>"$T/tcpdump.err" &
PIDS+=($!); TCPDUMP=$!
wait_for "tcpdump to listen" 50 grep -q 'listening on' "$T/tcpdump.err"

# 1. The kernel's client, the stack's server (which closes 300 ms after the client).
start_stack pingpong-server --count 1 --linger 300
python3 -c 'import socket; s = socket.create_connection(("10.0.0.2", 1234), timeout=5)
print(s.getsockname()[1]); s.sendall(b"ping"); print(s.recv(100).decode()); s.close()' >"$T/client.out"
cport=$(sed -n 1p "$T/client.out")
wait "$STACK"
check "kernel client -> stack server: pong" [ "$(sed -n 2p "$T/client.out")" = pong ]

# 2. The stack's client, the kernel's server (which closes 300 ms after the stack).
python3 - "$lport" >"$T/server.out" 2>&1 <<'PY' &
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.0.0.1", int(sys.argv[1]))); ls.listen(1)
print("listening", flush=True)
c, peer = ls.accept()
c.sendall(c.recv(100).replace(b"i", b"o"))
c.recv(100)
time.sleep(0.3)
c.close(); ls.close()
PY
PIDS+=($!); SERVER=$!
wait_for "the kernel's server" 50 grep -q listening "$T/server.out"
"$B/pingpong-client" --msl 0.5 --log "$T/client.log" 10.0.0.1 "$lport" >"$T/client-app.out" 2>&1
check "stack client -> kernel server: pong" [ "$(cat "$T/client-app.out")" = pong ]
wait "$SERVER"
sport=$(grep -m1 -o '10\.0\.0\.2:[0-9]*' "$T/client.log" | cut -d: -f2)

sleep 0.2
kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null
kill -INT $KS; wait $KS; rc=$?
check "kernel-states exits 0 on SIGINT" [ $rc -eq 0 ]
check "its tracefs instance is gone" unshare -m --propagation private sh -c \
	"mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; ! test -e /sys/kernel/tracing/instances/tuntcp-$KS"
sort -m -s -k1,1 "$T/tcpdump.txt" "$T/stack.log" "$T/client.log" "$T/kernel.log" >"$T/merged.txt"
well_formed() {
	! grep -Ev '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} kernel [0-9.]+:([0-9]+|\*) > ([0-9.]+:[0-9]+|\*:\*) [A-Z0-9-]+ -> [A-Z0-9-]+( \(.*\))?$' "$T/kernel.log"
}
check "every kernel line: TIME kernel ADDR:PORT > ADDR:PORT OLD -> NEW" well_formed

# The kernel as client: its socket, then each change against the wire.
k=10.0.0.1:$cport s=10.0.0.2:1234 kw="10\.0\.0\.1\.$cport" sw="10\.0\.0\.2\.1234"
expect_states "kernel client's states" "$k > $s" \
	"CLOSED -> SYN-SENT, SYN-SENT -> ESTABLISHED, ESTABLISHED -> FIN-WAIT-1, FIN-WAIT-1 -> FIN-WAIT-2, FIN-WAIT-2 -> CLOSED"
check "kernel client: FIN-WAIT-2 -> CLOSED says a timewait socket goes on" \
	grep -q "kernel $k > $s FIN-WAIT-2 -> CLOSED (now a timewait socket in FIN-WAIT-2: no more events)" "$T/kernel.log"
in_order "CLOSED -> SYN-SENT, then its SYN" "$(kernel_at "$k > $s CLOSED -> SYN-SENT")" \
	"$(seg_at "IP $kw > $sw: Flags \[S\]")"
in_order "the stack's SYN,ACK, then SYN-SENT -> ESTABLISHED" "$(seg_at "IP $sw > $kw: Flags \[S\.\]")" \
	"$(kernel_at "$k > $s SYN-SENT -> ESTABLISHED")"
in_order "ESTABLISHED -> FIN-WAIT-1, then its FIN" "$(kernel_at "$k > $s ESTABLISHED -> FIN-WAIT-1")" \
	"$(seg_at "IP $kw > $sw: Flags \[F\.\]")"
in_order "the stack's ACK of that FIN, then FIN-WAIT-1 -> FIN-WAIT-2" \
	"$(seg_at "IP $sw > $kw: Flags \[\.\]" "IP $kw > $sw: Flags \[F\.\]")" \
	"$(kernel_at "$k > $s FIN-WAIT-1 -> FIN-WAIT-2")"

# The kernel as server: its listener, the child made at the handshake's ACK.
k=10.0.0.1:$lport s=10.0.0.2:$sport kw="10\.0\.0\.1\.$lport" sw="10\.0\.0\.2\.$sport"
expect_states "kernel listener's states" "$k > *:*" "CLOSED -> LISTEN, LISTEN -> CLOSED"
expect_states "kernel server's connection" "$k > $s" \
	"LISTEN -> SYN-RECEIVED, SYN-RECEIVED -> ESTABLISHED, ESTABLISHED -> CLOSE-WAIT, CLOSE-WAIT -> LAST-ACK, LAST-ACK -> CLOSED"
ack=$(seg_at "IP $sw > $kw: Flags \[\.\]")
check "no kernel change for the connection before the handshake's ACK (the SYN made a request socket)" \
	awk -v ack="$ack" -v c=" kernel $k > $s " 'index($0, c) { split($1, t, ":")
		if (t[1] * 3600 + t[2] * 60 + t[3] < ack) { print "  early: " $0; bad = 1 } } END { exit bad }' "$T/kernel.log"
in_order "the handshake's ACK, then LISTEN -> SYN-RECEIVED (the child is made)" \
	"$ack" "$(kernel_at "$k > $s LISTEN -> SYN-RECEIVED")"
in_order "LISTEN -> SYN-RECEIVED, then SYN-RECEIVED -> ESTABLISHED" \
	"$(kernel_at "$k > $s LISTEN -> SYN-RECEIVED")" "$(kernel_at "$k > $s SYN-RECEIVED -> ESTABLISHED")"
in_order "the stack's FIN, then ESTABLISHED -> CLOSE-WAIT" "$(seg_at "IP $sw > $kw: Flags \[F\.\]")" \
	"$(kernel_at "$k > $s ESTABLISHED -> CLOSE-WAIT")"
in_order "CLOSE-WAIT -> LAST-ACK, then the kernel's FIN" "$(kernel_at "$k > $s CLOSE-WAIT -> LAST-ACK")" \
	"$(seg_at "IP $kw > $sw: Flags \[F\.\]")"
in_order "the stack's last ACK, then LAST-ACK -> CLOSED" \
	"$(seg_at "IP $sw > $kw: Flags \[\.\]" "IP $kw > $sw: Flags \[F\.\]")" \
	"$(kernel_at "$k > $s LAST-ACK -> CLOSED")"
finish

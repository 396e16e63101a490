# A RST in the middle of a connection (seed 004): the kernel client aborts with
# SO_LINGER 0; the stack validates the RST and goes ESTABLISHED -> CLOSED. Then the
# other way: a kernel server accepts and resets at once; pingpong-client's connect
# succeeded, so the reset is reported by its send or recv, not by connect.
source "$(dirname "$0")/lib.sh"
net_up
start_tcpdump
start_stack echo-server --count 1
python3 - <<'PY'
import socket, struct, time
s = socket.create_connection(("10.0.0.2", 7), timeout=5)
s.sendall(b"hello"); assert s.recv(100) == b"hello"
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
wait_for "the stack to log the RST" 30 log_has "ESTABLISHED -> CLOSED (rcvd RST)"
wait "$STACK"; rc=$?
check "echo-server finishes the connection and exits 0" [ "$rc" -eq 0 ]
stop_tcpdump
check "tcpdump saw the kernel's RST" grep -qE '10\.0\.0\.1\.[0-9]+ > 10\.0\.0\.2\.7: Flags \[R' "$T/tcpdump.txt"
check "the stack sent nothing after the RST" bash -c "! sed -n '/Flags \[R/,\$p' '$T/tcpdump.txt' | grep -q '^ *10\.0\.0\.2\.7 >'"
python3 - <<'PY' &
import socket, struct
l = socket.create_server(("10.0.0.1", 5002))
c, _ = l.accept()
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
PY
PIDS+=($!)
wait_for "the kernel server" 50 bash -c "ss -ltnH 'sport = :5002' | grep -q ."
"$B/pingpong-client" --msl 1 10.0.0.1 5002 >"$T/c.out" 2>"$T/c.err"; rc=$?
say "pingpong-client: exit $rc, $(cat "$T/c.err")"
check "a reset after the handshake: pingpong-client fails" [ "$rc" -ne 0 ]
check "... and says so from send or recv, not connect" \
	grep -qE '^(send|recv): (Connection reset by peer|Broken pipe)$' "$T/c.err"
finish

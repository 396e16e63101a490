#!/usr/bin/env bash
# The servers' own options, and synflood (labs 05 to 07 rely on them):
# (1) echo-server --prefix TEXT answers TEXT + data, in one segment.
# (2) --backlog N bounds a listener's queues (tuntcp-ss: synq:0/N acceptq:0/N+1), 128 by
#     default; with --no-accept, N+1 kernel connects succeed and the next SYN is dropped.
# (3) pingpong-server --answer-anyway, after the client's RST: recv says ECONNRESET, then
#     send says EPIPE.
# (4) synflood fills the half-open queue: with --no-syncookies only N SYNs are answered,
#     with SYN cookies all of them; it refuses a device that is not a TUN device.
source "$(dirname "$0")/lib.sh"
net_up
start_tcpdump
SS=$B/tuntcp-ss
listening() { wait_for "the server to listen" 50 grep -q 'listening on' "$T/app.out"; }
stop_stack() { kill "$STACK" 2>/dev/null; wait "$STACK" 2>/dev/null; }

# (1)
start_stack echo-server --count 1 --prefix 'Server: '
listening
got=$(python3 -c 'import socket
s = socket.create_connection(("10.0.0.2", 7), timeout=5)
s.sendall(b"Just a test.\r\n"); print(repr(s.recv(100))); s.close()')
check "echo-server --prefix: 'Server: ' + data ($got)" [ "$got" = "b'Server: Just a test.\\r\\n'" ]
wait_for "echo-server to exit after --count 1" 50 bash -c "! kill -0 $STACK"
stop_tcpdump
check "... in one segment of 22 bytes" grep -q '10\.0\.0\.2\.7 > 10\.0\.0\.1\.[0-9]*: Flags \[P\.\], .*length 22$' "$T/tcpdump.txt"

# (2)
start_stack pingpong-server
listening
"$SS" --pid "$STACK" >"$T/ss-default.txt" 2>&1
check "pingpong-server listens with backlog 128 by default" grep -q 'synq:0/128 acceptq:0/129' "$T/ss-default.txt"
stop_stack
start_stack sink --backlog 1 --no-accept
listening
"$SS" --pid "$STACK" >"$T/ss-sink.txt" 2>&1
check "sink --backlog 1: synq:0/1 acceptq:0/2" grep -q 'synq:0/1 acceptq:0/2' "$T/ss-sink.txt"
stop_stack
start_stack pingpong-server --no-accept --backlog 2 --stats
listening
python3 >"$T/clients.txt" 2>&1 <<'PY'
import socket
keep = []
for k in range(1, 5):
    s = socket.socket(); s.settimeout(1.5)
    try:
        s.connect(("10.0.0.2", 1234)); keep.append(s); print(k, "connected", flush=True)
    except OSError as e:
        print(k, "failed:", e.strerror or "timed out", flush=True)
PY
check "--no-accept --backlog 2: three connects succeed" [ "$(grep -c connected "$T/clients.txt")" -eq 3 ]
check "... the 4th times out (its SYN is dropped)" grep -q '^4 failed: timed out' "$T/clients.txt"
"$SS" --pid "$STACK" >"$T/ss-full.txt" 2>&1
check "... tuntcp-ss: the accept queue is full (acceptq:3/3)" grep -q 'acceptq:3/3' "$T/ss-full.txt"
stop_stack
check "... --stats: SYNs dropped, accept queue full" grep -q 'dropped: tcp listen, accept queue full' "$T/app.err"

# (3)
start_stack pingpong-server --count 1 --linger 100 --answer-anyway
listening
python3 -c 'import socket, struct, time
s = socket.create_connection(("10.0.0.2", 1234), timeout=5)
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()'
wait_for "pingpong-server to exit after --count 1" 50 bash -c "! kill -0 $STACK"
check "--answer-anyway: recv says ECONNRESET" grep -qx 'recv: Connection reset by peer' "$T/app.err"
check "... then send says EPIPE" grep -qx 'send: Broken pipe' "$T/app.err"

# (4)
start_stack pingpong-server --no-accept --backlog 4 --no-syncookies --stats
listening
"$B/synflood" --count 10 --wait 300 >"$T/flood1.txt" 2>&1
sed 's/^/    /' "$T/flood1.txt"
check "synflood, cookies off, backlog 4: 4 of 10 SYNs answered" \
	grep -q '^synflood: 4 answered with a SYN,ACK, 6 not answered' "$T/flood1.txt"
stop_stack
check "... the stack counted 6 drops (half-open queue full)" \
	grep -qE '^ +6 dropped: tcp listen, half-open queue full$' "$T/app.err"
start_stack pingpong-server --no-accept --backlog 4 --stats
listening
"$B/synflood" --count 10 --wait 300 >"$T/flood2.txt" 2>&1
check "synflood, cookies on: all 10 answered" grep -q '^synflood: 10 answered' "$T/flood2.txt"
stop_stack
check "... 6 of them with a SYN cookie" grep -qE '^ +6 tcp syn cookies sent$' "$T/app.err"
"$B/synflood" --dev lo --count 1 >"$T/flood3.txt" 2>&1
rc=$?
check "synflood refuses a device that is not a TUN device (exit 3)" \
	bash -c "[ $rc -eq 3 ] && grep -q 'not a TUN device' '$T/flood3.txt'"
finish

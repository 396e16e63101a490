# tuntcp-ss, `ss -tino` for the stack, asks running stacks over their control sockets:
# (1) echo-server: LISTEN with both queues; a kernel client with a tiny receive buffer
# holds a connection whose window closes, so ESTABLISHED shows rtt, cwnd, Send-Q and
# the persist timer; --watch refreshes; the socket goes away when the program ends.
# (2) pingpong-client closes first: TIME-WAIT with its timer. (3) SIGINT removes the
# socket too; and with no stack, a dead one or one that never answers, tuntcp-ss fails
# with a message and exit status 1.
source "$(dirname "$0")/lib.sh"
net_up
SS=$B/tuntcp-ss
# sock PID: the control socket of process PID (in whichever directory it went)
sock() { ls /run/tuntcp/tun0."$1".sock "$B"/tun0."$1".sock 2>/dev/null | head -n 1; }
answers() { "$SS" --pid "$1" >/dev/null 2>&1; }
# fails_with STATUS TEXT FILE: the last run's exit status was STATUS and FILE says TEXT
fails_with() { [ "$rc" -eq "$1" ] && grep -q -- "$2" "$3"; }

# (1) LISTEN and ESTABLISHED, from echo-server
start_stack echo-server --count 1
check "echo-server made its control socket (/run/tuntcp or build/)" [ -S "$(sock "$STACK")" ]
"$SS" --pid "$STACK" >"$T/listen.txt" 2>&1
cat "$T/listen.txt" | sed 's/^/    /'
# the backlog is the app's (listen()'s, clamped to 1..128)
bl=$(sed -nE 's/^LISTEN +0 +([0-9]+) +10\.0\.0\.2:7 +\*:\*$/\1/p' "$T/listen.txt")
check "LISTEN: Recv-Q 0 (accept queue), Send-Q the backlog ($bl)" [ -n "$bl" ]
queues="synq:0/$bl acceptq:0/$((bl + 1))"
check "LISTEN: both queues with their limits ($queues)" grep -q "$queues" "$T/listen.txt"
python3 - "$T/go" >"$T/client.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # the window soon closes
s.connect(("10.0.0.2", 7)); s.settimeout(30)
print(s.getsockname()[1], flush=True)
s.sendall(b"x" * 200000)
print("sent", flush=True)
while not os.path.exists(sys.argv[1]): time.sleep(0.05)
got = 0
while got < 200000:
    b = s.recv(65536)
    if not b: break
    got += len(b)
s.shutdown(socket.SHUT_WR)
print("echoed", got, s.recv(10) == b"", flush=True)
s.close()
PY
PIDS+=($!); CLIENT=$!
wait_for "the client to send" 100 grep -q sent "$T/client.out"
port=$(sed -n 1p "$T/client.out")
persisting() { "$SS" --pid "$STACK" >"$T/est.txt" 2>&1 && grep -q 'timer:(persist,' "$T/est.txt"; }
wait_for "the persist timer in tuntcp-ss" 50 persisting
cat "$T/est.txt" | sed 's/^/    /'
est=$(grep -A1 "^ESTABLISHED .*10\.0\.0\.1:$port\$" "$T/est.txt")
check "ESTABLISHED with the kernel client's port" [ -n "$est" ]
check "ESTABLISHED: Send-Q holds what the closed window stops" \
	awk -v l="$(head -n 1 <<<"$est")" 'BEGIN { split(l, f, " +"); exit !(f[3] > 0) }'
# mss: 1460 less the 12 bytes of timestamps (as Linux's ss shows it)
for key in 'rtt:[0-9.]*/[0-9.]*' 'rto:[0-9]*' 'mss:1448' 'cwnd:[0-9]*([0-9]*B)' 'ssthresh:' \
	   'rcv_wnd:[0-9]*' 'bytes_received:200000' 'segs_out:[0-9]*' 'handle:[0-9]'; do
	check "ESTABLISHED shows $key" grep -q -- "$key" <<<"$est"
done
# the kernel's window closed: 0, or (with timestamps' 12 bytes in its accounting) a
# few bytes, less than a segment, which sender's SWS avoidance leaves unused
wnd=$(grep -o 'snd_wnd:[0-9]*' <<<"$est" | cut -d: -f2)
check "ESTABLISHED shows snd_wnd:${wnd:-?}, below one segment (1448)" [ "${wnd:-9999}" -lt 1448 ]
check "the listener's accept queue is empty again (accepted)" grep -q "$queues" "$T/est.txt"
timeout 2.3 "$SS" --pid "$STACK" --watch --interval 500 >"$T/watch.txt" 2>&1
n=$(grep -c '^State ' "$T/watch.txt")
check "--watch --interval 500 refreshed $n times in 2.3 s" [ "$n" -ge 4 ]
touch "$T/go"
wait "$CLIENT"
check "the client got all 200000 bytes back" grep -q 'echoed 200000 True' "$T/client.out"
wait "$STACK"; rc=$?
check "echo-server exits 0" [ "$rc" -eq 0 ]
check "its socket is gone once it ended" [ -z "$(sock "$STACK")" ]

# (2) TIME-WAIT, from pingpong-client (it closes first)
python3 - >"$T/server.out" 2>&1 <<'PY' &
import socket
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.0.0.1", 5000)); ls.listen(1)
print("listening", flush=True)
c, _ = ls.accept(); c.recv(100); c.sendall(b"pong"); c.recv(100); c.close()
PY
PIDS+=($!)
wait_for "the kernel server" 50 grep -q listening "$T/server.out"
"$B/pingpong-client" --msl 3 --log "$T/client.log" 10.0.0.1 5000 >"$T/pc.out" 2>"$T/pc.err" &
PIDS+=($!); PC=$!
wait_for "TIME-WAIT in the client's log" 50 grep -q -- '-> TIME-WAIT' "$T/client.log"
"$SS" --pid "$PC" >"$T/tw.txt" 2>&1
cat "$T/tw.txt" | sed 's/^/    /'
check "TIME-WAIT shown" grep -qE '^TIME-WAIT +0 +0 +10\.0\.0\.2:[0-9]+ +10\.0\.0\.1:5000$' "$T/tw.txt"
check "TIME-WAIT has its timer, 2*MSL = 6 s at most" grep -qE 'timer:\(timewait,[1-6](\.[0-9]{3})?sec,0\)' "$T/tw.txt"
wait "$PC"; rc=$?
check "pingpong-client exits 0 after TIME-WAIT" [ "$rc" -eq 0 ]

# (3) SIGINT removes the socket; no stack, a dead one, a silent one: exit 1, said why
start_stack pingpong-server
check "pingpong-server answers tuntcp-ss" answers "$STACK"
kill -INT "$STACK"; wait "$STACK"; rc=$?
check "SIGINT ends pingpong-server (130)" [ "$rc" -eq 130 ]
check "and its socket is gone" [ -z "$(sock "$STACK")" ]
"$SS" --pid "$STACK" >"$T/none.out" 2>&1; rc=$?
check "no stack with that PID: exit 1, 'no running tuntcp stack'" \
	fails_with 1 'no running tuntcp stack' "$T/none.out"
"$SS" --socket "$T/nobody.sock" >"$T/gone.out" 2>&1; rc=$?
check "a socket nobody serves: exit 1, 'nobody answers'" fails_with 1 'nobody answers' "$T/gone.out"
python3 - "$T/silent.sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); time.sleep(30)          # a stack that hangs: never answers
PY
PIDS+=($!)
wait_for "the silent socket" 50 test -S "$T/silent.sock"
t0=$(date +%s%N)
"$SS" --socket "$T/silent.sock" >"$T/silent.out" 2>&1; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
say "$(cat "$T/silent.out") (after $ms ms)"
check "a stack that never answers: exit 1, 'no answer'" fails_with 1 'no answer' "$T/silent.out"
check "... within 4 s" [ "$ms" -lt 4000 ]
"$SS" --pid 1 bogus >/dev/null 2>&1; rc=$?
check "an unknown command: exit 2" [ "$rc" -eq 2 ]
finish

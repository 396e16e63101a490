# Without CAP_NET_ADMIN (a student's account): the device was made and set up by an
# administrator (ip tuntap add ... user NAME), and the app attaches to it instead of
# configuring it. Here: uid root but every capability dropped, device owned by root.
source "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || { echo "  no setpriv"; exit 77; }
ip link set lo up
ip tuntap add dev tun0 mode tun user root
ip addr add 10.0.0.1/24 dev tun0
ip link set tun0 up
setpriv --inh-caps=-all --bounding-set=-all \
	"$B/pingpong-server" --count 1 --linger 500 --msl 1 --log "$T/stack.log" >"$T/app.out" 2>"$T/app.err" &
PIDS+=($!); STACK=$!
wait_for "the app to listen" 50 grep -q listening "$T/app.out"
out=$(python3 -c '
import socket
s = socket.create_connection(("10.0.0.2", 1234), timeout=5)
s.sendall(b"ping"); print(s.recv(100).decode()); s.close()')
check "ping-pong through the attached device" [ "$out" = pong ]
wait "$STACK"; rc=$?
check "pingpong-server exits 0" [ "$rc" -eq 0 ]
check "the app says it attached rather than configured" grep -q "attached to tun0" "$T/app.err"
check "log: LAST-ACK -> CLOSED" log_has "LAST-ACK -> CLOSED"
finish

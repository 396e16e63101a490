# 2 MB through echo-server and back, with a half-close: the kernel client sends
# everything, shuts down its write side, and reads the echo to EOF. Compared by hash.
source "$(dirname "$0")/lib.sh"
net_up
start_stack echo-server --count 1
python3 - >"$T/echo.out" <<'PY'
import hashlib, os, socket, threading
data = os.urandom(2 * 1024 * 1024)
s = socket.create_connection(("10.0.0.2", 7), timeout=20)
def send():
    s.sendall(data); s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b: break
    got += b
t.join(); s.close()
print(len(got), hashlib.sha256(data).hexdigest(), hashlib.sha256(got).hexdigest())
PY
read -r n sent got <"$T/echo.out"
say "echoed $n bytes; sha256 sent $sent, received $got"
check "2 MB echoed intact" [ "$n" = 2097152 -a "$sent" = "$got" ]
wait "$STACK"; rc=$?
check "echo-server exits 0" [ "$rc" -eq 0 ]
check "log: the half-close (CLOSE-WAIT while still sending), then LAST-ACK -> CLOSED" log_order \
	"ESTABLISHED -> CLOSE-WAIT (rcvd FIN)" "CLOSE-WAIT -> LAST-ACK" "LAST-ACK -> CLOSED"
finish

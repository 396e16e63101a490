# echo-server --events (one thread, net_poll): 20 kernel clients at once, each sending
# 512 KB and reading the echo (half the clients read only after a pause, so the server
# has echoes it cannot queue and must wait for room), all compared by hash; idle
# clients meanwhile do not stop the others; --count ends the program.
source "$(dirname "$0")/lib.sh"
net_up
start_stack echo-server --events --count 25
python3 - >"$T/echo.out" 2>&1 <<'PY'
import hashlib, os, socket, threading, time
idle = [socket.create_connection(("10.0.0.2", 7), timeout=20) for _ in range(5)]
bad, good = [], []
def one(k):
    data = os.urandom(512 * 1024)
    s = socket.create_connection(("10.0.0.2", 7), timeout=30)
    def send():
        s.sendall(data); s.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send); t.start()
    if k % 2:
        time.sleep(1)            # a slow reader: the server's echo waits for room
    got = bytearray()
    while (b := s.recv(65536)):
        got += b
    t.join(); s.close()
    (good if hashlib.sha256(got).digest() == hashlib.sha256(data).digest() else bad).append(k)
ts = [threading.Thread(target=one, args=(k,)) for k in range(20)]
[t.start() for t in ts]; [t.join() for t in ts]
for s in idle:
    s.close()
print("intact", len(good), "bad", len(bad))
PY
cat "$T/echo.out" | sed 's/^/  /'
check "20 clients at once, 512 KB each, every echo intact" grep -q "^intact 20 bad 0" "$T/echo.out"
wait "$STACK"; rc=$?
check "echo-server --events --count 25 exits 0 after 25 connections" [ "$rc" -eq 0 ]
check "no error on its stderr" [ ! -s "$T/app.err" ]
finish

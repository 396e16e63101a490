# time-limit: 600
# echo-server --events holds 10,000 idle connections from the kernel (issue 12): each
# echoes a byte, the server's memory (VmRSS) is read with 1,000 and with 10,000 of them
# open, and a new connection still echoes. RSS per idle connection is printed and
# checked against 1 KB; the latency of a new connection's echo is printed, not checked
# (no timed assertion: performance is `make bench`'s).
source "$(dirname "$0")/lib.sh"
N=${MANY_CONNS:-10000}
net_up
# the default table (16,384); no --pcap, the log to a file: the memory measured is the server's own
"$B/echo-server" --events --msl 1 --log "$T/stack.log" >"$T/app.out" 2>"$T/app.err" &
PIDS+=($!); STACK=$!
wait_for "echo-server to configure tun0" 50 tun_ready
python3 - "$STACK" "$N" >"$T/many.out" 2>&1 <<'PY'
import resource, selectors, socket, sys, time
pid, total = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (total + 1000, total + 1000))

def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def echo_once(s):
    s.sendall(b"x")
    return s.recv(1) == b"x"

def new_conn_echo_us():
    t = time.perf_counter()
    s = socket.create_connection(("10.0.0.2", 7), timeout=10)
    ok = echo_once(s)
    s.close()
    return ok, (time.perf_counter() - t) * 1e6

def open_batch(n):
    """n connections at once (non-blocking connects), each then echoes a byte."""
    sel, out = selectors.DefaultSelector(), []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("10.0.0.2", 7))
        sel.register(s, selectors.EVENT_WRITE)
        out.append(s)
    pending, deadline = set(out), time.time() + 60
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            pending.discard(key.fileobj); sel.unregister(key.fileobj)
    for s in out:
        s.setblocking(True); s.settimeout(30)
    return out if not pending else None

time.sleep(0.3)
base = rss_kb()
warm = [new_conn_echo_us() for _ in range(5)]
lat0 = sorted(us for _, us in warm)[2]
conns, bad, marks = [], 0, {}
while len(conns) < total:
    batch = open_batch(min(100, total - len(conns)))
    if batch is None:
        print("connect timed out at", len(conns)); break
    for s in batch:
        s.sendall(b"x")
    bad += sum(s.recv(1) != b"x" for s in batch)
    conns += batch
    if len(conns) in (1000, total):
        time.sleep(0.5)                        # echoes acknowledged, buffers given back
        marks[len(conns)] = rss_kb()
print("open", len(conns), "echo failures", bad)
print(f"rss base {base} kB")
for n, kb in sorted(marks.items()):
    print(f"rss with {n} idle connections {kb} kB: {(kb - base) * 1024 / n:.0f} B per connection")
# every idle connection is still there and still echoes
alive = 0
for i in range(0, len(conns), 100):
    batch = conns[i:i + 100]
    for s in batch:
        s.sendall(b"y")
    alive += sum(s.recv(1) == b"y" for s in batch)
print("still echoing", alive)
ok, lat = new_conn_echo_us()
lat1 = sorted([lat] + [new_conn_echo_us()[1] for _ in range(4)])[2]
print("new connection echoes", "yes" if ok else "no")
print(f"new connection, connect + 1-byte echo: {lat0:.0f} us idle, {lat1:.0f} us with {len(conns)} open")
per = (marks.get(total, base) - base) * 1024 / max(len(conns), 1)
print("per-connection-bytes", int(per))
for s in conns:
    s.close()
PY
sed 's/^/  /' "$T/many.out"
check "$N connections opened, each echoed a byte" grep -q "^open $N echo failures 0" "$T/many.out"
check "all $N still echo" grep -q "^still echoing $N\$" "$T/many.out"
check "a new connection echoes with $N open" grep -q "^new connection echoes yes" "$T/many.out"
per=$(sed -n 's/^per-connection-bytes //p' "$T/many.out")
per_ok() { [ -n "$per" ] && [ "$per" -le 1024 ]; }
check "RSS per idle connection <= 1 KB (${per:-?} B)" per_ok
check "no error on its stderr" [ ! -s "$T/app.err" ]
finish

# Bulk data both ways, checked end to end by SHA-256: (1) the stack's source sends
# T_BYTES to a python sink on the kernel side, which hashes what arrived; (2) a
# python client sends T_BYTES of random bytes to the stack's sink. Both ends print
# the length and hash; they must agree. The rates are printed.
# Environment: T_BYTES (default 20M; suffix k, M, G), T_STACK_OPTS (more options for
# both apps, e.g. "--loss 5% --reorder 2%"), T_TIMEOUT (seconds per transfer; the
# default 55 keeps both within run.sh's 120 s per test).
source "$(dirname "$0")/lib.sh"
BYTES=${T_BYTES:-20M}
TMO=${T_TIMEOUT:-55}
read -r -a OPTS <<<"${T_STACK_OPTS:-}"
case $BYTES in
*k) N=$((${BYTES%k} << 10)) ;;
*M) N=$((${BYTES%M} << 20)) ;;
*G) N=$((${BYTES%G} << 30)) ;;
*) N=$((BYTES)) ;;
esac
say "$N bytes each way${OPTS[*]:+, stack options: ${OPTS[*]}}"
net_up
ip addr add 10.0.0.1/24 dev tun0
ip link set tun0 up

# show FILE...: the rate lines of the apps and of python (or how far they got)
show() { grep -hE '^(source|sink|kernel): .*(Mbit/s|timed out)' "$@" 2>/dev/null | sed 's/^/  /'; }
# timed_out STATUS: a note when `timeout` ended the program
timed_out() { [ "$1" -ne 124 ] || echo " (killed after T_TIMEOUT=$TMO s)"; }
# hash_line FILE: "N HEX" from an app's line "...ed N bytes sha256 HEX in ..."
hash_line() { [ -f "$1" ] && sed -nE 's/.* (sent|received) ([0-9]+) bytes sha256 ([0-9a-f]{64}) in .*/\2 \3/p' "$1"; }

# (1) stack source -> kernel sink. The sink stops at its own deadline, saying how
# much arrived; `timeout` is only the backstop.
timeout $((TMO + 10)) python3 - "$TMO" >"$T/ksink.out" 2>&1 <<'PY' &
import hashlib, socket, sys, time
deadline = time.monotonic() + float(sys.argv[1])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.0.0.1", 9000)); ls.listen(1)
ls.settimeout(float(sys.argv[1]))
print("listening", flush=True)
c, peer = ls.accept()
t0, h, n = time.monotonic(), hashlib.sha256(), 0
try:
    while True:
        c.settimeout(max(deadline - time.monotonic(), 0.001))
        b = c.recv(65536)
        if not b: break
        h.update(b); n += len(b)
except socket.timeout:
    print("kernel: timed out after %s s, %d bytes received" % (sys.argv[1], n)); sys.exit(1)
t = time.monotonic() - t0
c.close()
print("kernel: received %d bytes in %.3f s (%.1f Mbit/s)" % (n, t, n * 8 / t / 1e6 if t else 0))
print(n, h.hexdigest())
PY
PIDS+=($!); KSINK=$!
wait_for "the kernel sink" 50 grep -q listening "$T/ksink.out"
timeout "$TMO" "$B/source" --msl 1 --log "$T/source.log" "${OPTS[@]}" --bytes "$BYTES" 10.0.0.1 \
	>"$T/source.out" 2>"$T/source.err"
rc=$?
[ "$rc" -eq 0 ] || { kill "$KSINK" 2>/dev/null; sed 's/^/  /' "$T/source.err"; }
wait "$KSINK"; krc=$?
show "$T/source.out" "$T/ksink.out"
check "source exits 0$(timed_out "$rc")" [ "$rc" -eq 0 ]
check "python sink exits 0" [ "$krc" -eq 0 ]
read -r sn sh <<<"$(hash_line "$T/source.out")"
read -r kn kh <<<"$(tail -n 1 "$T/ksink.out")"
check "stack -> kernel: $N bytes sent and received" [ "${sn:-}" = "$N" -a "${kn:-}" = "$N" ]
check "stack -> kernel: the same sha256 both ends" [ -n "${sh:-}" -a "${sh:-}" = "${kh:-}" ]
check "source waited out TIME-WAIT" grep -qs "TIME-WAIT -> CLOSED (2\*MSL timeout)" "$T/source.log"

# (2) kernel client -> stack sink
timeout "$TMO" "$B/sink" --count 1 --msl 1 --log "$T/sink.log" "${OPTS[@]}" \
	>"$T/sink.out" 2>"$T/sink.err" &
PIDS+=($!); SINK=$!
wait_for "sink to listen" 50 grep -q "^sink: listening" "$T/sink.out" &&
timeout "$TMO" python3 - "$N" "$TMO" >"$T/ksrc.out" 2>&1 <<'PY'
import hashlib, os, socket, sys, time
n, h = int(sys.argv[1]), hashlib.sha256()
s = socket.create_connection(("10.0.0.2", 9000), timeout=float(sys.argv[2]))
t0, left = time.monotonic(), n
while left:
    b = os.urandom(min(left, 1 << 20))
    h.update(b); s.sendall(b); left -= len(b)
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
t = time.monotonic() - t0
s.close()
print("kernel: sent %d bytes in %.3f s (%.1f Mbit/s)" % (n, t, n * 8 / t / 1e6 if t else 0))
print(n, h.hexdigest())
PY
prc=$?
[ "$prc" -eq 0 ] || { sleep 1; kill "$SINK" 2>/dev/null; }   # sink may wait for nobody
wait "$SINK"; rc=$?
[ "$rc" -eq 0 ] || sed 's/^/  /' "$T/sink.err"
show "$T/ksrc.out" "$T/sink.out"
check "python client exits 0$(timed_out "$prc")" [ "$prc" -eq 0 ]
check "sink exits 0$(timed_out "$rc")" [ "$rc" -eq 0 ]
read -r kn kh <<<"$(tail -n 1 "$T/ksrc.out" 2>/dev/null)"
read -r sn sh <<<"$(hash_line "$T/sink.out")"
check "kernel -> stack: $N bytes sent and received" [ "${kn:-}" = "$N" -a "${sn:-}" = "$N" ]
check "kernel -> stack: the same sha256 both ends" [ -n "${sh:-}" -a "${sh:-}" = "${kh:-}" ]
check "sink closed after the peer: LAST-ACK -> CLOSED" grep -qs "LAST-ACK -> CLOSED" "$T/sink.log"
finish

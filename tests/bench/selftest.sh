#!/usr/bin/env bash
# tests/bench/selftest.sh BUILD_DIR - do the bench's own tools work? (`make bench-selftest`)
# In a private network namespace: refpeer completes a handshake, a transfer and a close
# with the kernel in each role (sink, echo, source), kb's modes talk to it, and
# corebench moves data between two stacks in memory. Counts only; no timing asserted.
# Exit 77 (skipped) without root or /dev/net/tun, except under CI=true.
set -u
b=${1:-build}
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null; then
	if [ "${CI:-}" = true ]; then echo "bench-selftest: needs root and /dev/net/tun"; exit 1; fi
	echo "bench-selftest: skipped (needs root, /dev/net/tun, network namespaces)"; exit 77
fi
exec unshare -n bash -s "$b" <<'INNER'
set -u
b=$1 pass=0 fail=0 tmp=$(mktemp -d /tmp/tuntcp-bench-selftest.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
wait_for() {   # FILE PATTERN: up to 5 s
	for _ in $(seq 50); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1
}
ip link set lo up

# 1. refpeer sink: the kernel sends 0.2 s of data; both count the same bytes
timeout 20 "$b/bench/refpeer" sink --count 1 >"$tmp/sink.out" 2>&1 & pids+=($!)
if wait_for "$tmp/sink.out" listening; then
	timeout 20 "$b/bench/kb" send 10.0.0.2 9000 0.2 >"$tmp/send.out" 2>&1
	wait_for "$tmp/sink.out" received
	sent=$(sed -n 's/^bytes=\([0-9]*\).*/\1/p' "$tmp/send.out")
	got=$(sed -n 's/.* received \([0-9]*\) bytes.*/\1/p' "$tmp/sink.out")
	if [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$got" ]; then ok "refpeer sink ($got bytes)"
	else bad "refpeer sink" "kb sent '${sent:-?}', refpeer received '${got:-?}'"; fi
else bad "refpeer sink" "not listening: $(cat "$tmp/sink.out")"; fi
wait "${pids[-1]}" 2>/dev/null

# 2. refpeer echo: ping-pong and a connect loop from the kernel
timeout 30 "$b/bench/refpeer" echo >"$tmp/echo.out" 2>&1 & pids+=($!)
if wait_for "$tmp/echo.out" listening; then
	out=$(timeout 20 "$b/bench/kb" pingpong 10.0.0.2 7 200 10 2>&1)
	case $out in p50=*n=200*) ok "refpeer echo, ping-pong";; *) bad "refpeer echo, ping-pong" "$out";; esac
	out=$(timeout 20 "$b/bench/kb" connrate 10.0.0.2 7 0.1 2>&1)
	case $out in conns=[1-9]*) ok "refpeer echo, connect loop";; *) bad "refpeer echo, connect loop" "$out";; esac
	out=$( (echo go; sleep 1) | timeout 20 "$b/bench/kb" idle 10.0.0.2 7 2 20 10 2000 2>&1)
	case $out in *established=20\ failed=0*) ok "refpeer echo, 20 idle connections";;
		*) bad "refpeer echo, idle connections" "$out";; esac
else bad "refpeer echo" "not listening: $(cat "$tmp/echo.out")"; fi
kill "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null
sleep 0.2

# 3. refpeer source: 1 MiB to a kernel receiver, with and without window scaling
for ws in "" "--wscale 7"; do
	timeout 20 "$b/bench/kb" recv 9000 >"$tmp/recv.out" 2>&1 & pids+=($!)
	wait_for "$tmp/recv.out" listening
	timeout 20 "$b/bench/refpeer" source --bytes 1M $ws >"$tmp/source.out" 2>&1
	wait "${pids[-1]}" 2>/dev/null
	if grep -q '^bytes=1048576 ' "$tmp/recv.out" && grep -q 'sent 1048576 bytes' "$tmp/source.out"
	then ok "refpeer source ${ws:-(no wscale)}"
	else bad "refpeer source ${ws:-(no wscale)}" "$(cat "$tmp/recv.out" "$tmp/source.out")"; fi
	sleep 0.2
done

# 4. corebench: two stacks in memory
out=$(timeout 60 "$b/bench/corebench" --bytes 1M 2>&1)
case $out in segs=[1-9]*bytes=1048576*) ok "corebench";; *) bad "corebench" "$out";; esac

echo "bench-selftest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
INNER

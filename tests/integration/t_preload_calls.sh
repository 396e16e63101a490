# Unmodified programs on the stack, call by call (tests/integration/preload_calls.py):
# python3 under tuntcp-run against python3 on the kernel side, one program on the
# stack at a time (one stack per device). A selectors (epoll) echo server with 1,000
# messages on 10 connections; a ForkingTCPServer; then the client's checks: names,
# options, TCP_INFO, MSG_PEEK/WAITALL/DONTWAIT, FIONREAD, readv/writev, sendmsg/recvmsg,
# sendfile, dup/dup2, O_NONBLOCK, SO_RCVTIMEO, ECONNRESET then EPIPE, ECONNREFUSED
# (blocking, and through SO_ERROR), SO_LINGER 0, port 0, 127.0.0.1/UNIX/UDP left to
# the kernel, a forked child using its parent's connection.
# time-limit: 180
source "$(dirname "$0")/lib.sh"
net_up
PY=$TOP/tests/integration/preload_calls.py
RUN="$B/tuntcp-run --msl 1"
on_stack() { # NAME MODE: preload_calls.py MODE on the stack, in the background
	$RUN --log "$T/$1.log" -- python3 "$PY" "$2" >"$T/$1.out" 2>"$T/$1.err" &
	PIDS+=($!); LAST=$!
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
results() { # FILE: print the checks; count the failures
	sed 's/^/    /' "$1"
	fails=$((fails + $(grep -c '^FAIL' "$1")))
	grep -q '^ok' "$1" || fail "no check ran ($1)"
}

on_stack epoll epoll-server
EPOLL=$LAST
wait_for "the epoll server on the stack" 100 grep -q listening "$T/epoll.out"
timeout 60 python3 "$PY" kernel-epoll 1000 >"$T/k-epoll.out" 2>&1
results "$T/k-epoll.out"
stop "$EPOLL"

on_stack forking forking-server
FORK=$LAST
wait_for "the forking server on the stack" 100 grep -q listening "$T/forking.out"
timeout 60 python3 "$PY" kernel-forking >"$T/k-forking.out" 2>&1
results "$T/k-forking.out"
stop "$FORK"

python3 "$PY" kernel-helper >"$T/helper.out" 2>&1 &
PIDS+=($!); HELPER=$!
wait_for "the kernel-side helper" 50 grep -q listening "$T/helper.out"
timeout 90 $RUN --log "$T/client.log" -- python3 "$PY" stack-client >"$T/client.out" 2>"$T/client.err"
results "$T/client.out"
[ -s "$T/client.err" ] && sed 's/^/    stderr: /' "$T/client.err" | head -20
stop "$HELPER"
finish

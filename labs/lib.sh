# labs/lib.sh - what every lab's `run` shares. A run is one command: it re-executes
# itself in a private network namespace (root needed), makes tun0, captures it with
# tcpdump, records the kernel's own TCP states (build/kernel-states, when tracefs is
# there), starts what the lab needs, and leaves in build/labs/NAME/:
#   stack.log     the stack's transition log (and -v lines)
#   stack.pcap    the stack's own capture (pcapng: comments on transitions,
#                 retransmissions, impairments)
#   tun0.pcap     tcpdump on tun0 (the wire as the kernel sees it), tun0.txt its text
#   kernel.log    the kernel's state changes, on the same clock (if tracefs)
#   timeline.txt  the three merged by time (sort -m)
#   ladder-*.txt  the ladder diagram of each connection in each capture (and .svg)
# Options every lab takes (before its own): --msl S (default 1), --loss P%, --delay T,
# --nodelay, --no-delayed-ack, --no-sack, --no-timestamps, --no-wscale, --no-rack,
# --cc NAME, --isn N, -v;
# they go to every stack app it starts.
# Usage in a run script:  source "$(dirname "$0")/../lib.sh"; lab_init "$@"; ...; lab_finish
set -u
LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$LAB_TOP/build
LAB_NAME=$(basename "$(cd "$(dirname "$0")" && pwd)")
OUT=$B/labs/$LAB_NAME
PIDS=()
STACK_OPTS=(--msl 1)
LAB_ARGS=()

lab_usage_common() {
	cat <<'EOF'
Options for the stack (every lab): --msl SECONDS (default 1), --loss P%, --delay TIME,
--nodelay, --no-delayed-ack, --no-sack, --no-timestamps, --no-wscale, --no-rack,
--cc cubic|newreno, --isn N, -v (segments, timers, RTT samples in stack.log).
EOF
}

# The common options go to STACK_OPTS; the lab's own stay in LAB_ARGS.
lab_parse() {
	while [ $# -gt 0 ]; do
		case $1 in
		--msl|--loss|--delay|--isn|--reorder|--dup|--rule|--cc) STACK_OPTS+=("$1" "$2"); shift 2 ;;
		--nodelay|--no-delayed-ack|--no-sack|--no-timestamps|--no-wscale|--no-rack|-v|-vv) STACK_OPTS+=("$1"); shift ;;
		-h|--help) LAB_ARGS+=("$1"); shift ;;
		*) LAB_ARGS+=("$1"); shift ;;
		esac
	done
}

say() { echo "   $*"; }
step() { echo "== $*"; }

lab_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}

wait_for() { # wait_for tenths command...
	local n=$1; shift
	for _ in $(seq "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
tun_ready() { ip -4 addr show tun0 2>/dev/null | grep -q '10.0.0.1/' && ip link show tun0 | grep -q UP; }
# listening PORT: a kernel-side server is ready
listening() { ss -ltnH "sport = :$1" | grep -q .; }

# lab_init "$@": into a namespace of our own, tun0, tcpdump and kernel-states running.
lab_init() {
	if [ "${LAB_INSIDE:-}" != 1 ]; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "$LAB_NAME: a lab makes a network namespace and a TUN device: run it as root"
			echo "  sudo make lab L=$LAB_NAME    (or: sudo labs/$LAB_NAME/run)"
			exit 1
		fi
		[ -x "$B/pingpong-server" ] || { echo "$LAB_NAME: build first: make"; exit 1; }
		LAB_INSIDE=1 exec unshare -n bash "$0" "$@"
	fi
	lab_parse "$@"
	trap lab_cleanup EXIT
	mkdir -p "$OUT"
	rm -rf "${OUT:?}"/*
	ip link set lo up
	sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null   # no IPv6 chatter on tun0
	ip tuntap add dev tun0 mode tun           # addressed now: a kernel-side server can
	ip addr add 10.0.0.1/24 dev tun0          # bind 10.0.0.1 before any stack app runs
	ip link set tun0 up
	tcpdump -i tun0 -n -S -U --immediate-mode -B 8192 -w "$OUT/tun0.pcap" 2>"$OUT/tcpdump.err" &
	PIDS+=($!); LAB_TCPDUMP=$!
	wait_for 50 grep -q 'listening on' "$OUT/tcpdump.err"
	LAB_KSTATES=""
	if [ -x "$B/kernel-states" ]; then
		"$B/kernel-states" -o "$OUT/kernel.log" --ready "$OUT/.kernel.ready" 2>"$OUT/kernel.err" &
		LAB_KSTATES=$!
		PIDS+=($!)
		wait_for 50 test -e "$OUT/.kernel.ready" || LAB_KSTATES=""
	fi
}

# lab_stack APP [args...]: a stack server in the background with the lab's log and
# capture, once it listens (one per lab run: a second one would start the files anew);
# $STACK is its PID.
lab_stack() {
	local app=$1; shift
	"$B/$app" "${STACK_OPTS[@]}" --log "$OUT/stack.log" --pcap "$OUT/stack.pcap" "$@" \
		>>"$OUT/$app.out" 2>>"$OUT/$app.err" &
	STACK=$!; PIDS+=($!)
	# a server says "listening on" once it listens (tun0 is addressed before any app runs)
	wait_for 50 grep -q "listening on" "$OUT/$app.out" ||
		{ echo "$app did not start:"; cat "$OUT/$app.err"; exit 1; }
}

# lab_app APP [args...]: a stack app in the foreground (a client), same files.
lab_app() {
	local app=$1; shift
	"$B/$app" "${STACK_OPTS[@]}" --log "$OUT/$app.log" --pcap "$OUT/$app.pcap" "$@" \
		>>"$OUT/$app.out" 2>>"$OUT/$app.err"
}

# lab_finish: stop the recorders, merge the timeline, draw the ladders, say where.
lab_finish() {
	local logs=() f
	sleep 0.3
	[ -n "$LAB_KSTATES" ] && kill -INT "$LAB_KSTATES" 2>/dev/null
	kill -INT "$LAB_TCPDUMP" 2>/dev/null
	lab_cleanup                                # and whatever the lab left running
	PIDS=()
	tcpdump -n -S -r "$OUT/tun0.pcap" >"$OUT/tun0.txt" 2>/dev/null
	for f in "$OUT"/*.log; do [ -s "$f" ] && logs+=("$f"); done
	sort -m "${logs[@]}" "$OUT/tun0.txt" >"$OUT/timeline.txt" 2>/dev/null
	if [ -x "$B/ladder" ]; then                  # one ladder file per capture the stack wrote
		local logargs=() p base
		for f in "${logs[@]}"; do logargs+=(--log "$f"); done
		for p in "$OUT"/*.pcap; do
			base=$(basename "$p" .pcap)
			[ "$base" = tun0 ] && continue
			"$B/ladder" "$p" "${logargs[@]}" >"$OUT/ladder-$base.txt" 2>>"$OUT/ladder.err"
			"$B/ladder" "$p" "${logargs[@]}" --svg "$OUT/ladder-$base.svg" >/dev/null 2>&1
		done
	fi
	[ -z "$LAB_KSTATES" ] && echo "(kernel states: tracefs not available here; the ladder infers them)"
	step "done: everything is in build/labs/$LAB_NAME/"
	(cd "$OUT" && ls -1 | grep -v '^\.' | sed 's/^/     /')
	echo "   next: read timeline.txt (and ladder.txt), answer labs/$LAB_NAME/answers.txt,"
	echo "         then: sudo make check L=$LAB_NAME"
}

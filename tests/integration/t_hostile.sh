# Hostile and malformed input: a kernel client opens a connection to pingpong-server and
# holds it; hostile (hostile.c, compiled here) writes a few hundred malformed and hostile
# packets into tun0 (truncated, bad headers and checksums, IP and TCP options, fragments,
# illegal flags, bogus addresses, land, RFC 5961 cases on a connection of its own, blind
# guesses at the held connection, random bytes, a SYN flood) and checks every answer
# the stack gives. Then the server must still run, the held connection must still
# work, and a new kernel client must complete a ping-pong. tcpdump (-vv, checksums
# verified) shows what the stack sent: every checksum correct, nothing to a source that
# must be dropped silently. With -v the stack logs each drop with its reason: the main
# reasons must all appear, and be counted by --stats (when the app has it).
# Environment: T_SEED (hostile's seed, default random and printed), T_COUNT (SYNs in
# the flood, default 300; half as many blind guesses, a quarter as many random packets),
# T_SYNCOOKIES=0 (--no-syncookies: then the flood keeps the new client out).
source "$(dirname "$0")/lib.sh"

# Counter names as stat_name() has them (stack/stack.c), so a renamed string needs no
# change here. --stats prints "%10llu NAME" or "%10llu dropped: NAME"; the last value
# printed counts (at exit, or at SIGUSR1).
stat_name() { sed -n "s/^[[:space:]]*\[$1\] = \"\(.*\)\",\$/\1/p" "$TOP/stack/stack.c"; }
stat_count() {
	awk -v n="$1" '{ c = $1; sub(/^ *[0-9]+ /, ""); if ($0 == n) v = c } END { print v + 0 }' \
		"$T/app.err"
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
joined() { paste -sd';' - | sed 's/;/; /g'; }   # lines -> "a; b; c"

SEED=${T_SEED:-$RANDOM}
COUNT=${T_COUNT:-300}
say "seed $SEED (T_SEED=$SEED sends the same packets), flood of $COUNT SYNs"
if ! ${CC:-cc} -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$T/hostile" \
	"$TOP/tests/integration/hostile.c" 2>"$T/cc.err"; then
	sed 's/^/  /' "$T/cc.err"; fail "hostile.c compiles"; finish
fi

net_up
sysctl -qw net.ipv4.ip_forward=0 2>/dev/null   # answers to made-up sources die in the kernel
start_tcpdump                                  # everything on tun0
# Only what the kernel receives on tun0, that is what the stack sent (hostile's own
# packets, even those claiming to come from 10.0.0.2, are outgoing).
tcpdump -i tun0 -Q in -n -vv -S -l >"$T/stack-sent.txt" 2>"$T/tcpdump-in.err" &
PIDS+=($!); TCPDUMP_IN=$!
wait_for "the second tcpdump to listen" 50 grep -q 'listening on' "$T/tcpdump-in.err"

# --stats: counters at exit and on SIGUSR1. SYN cookies are on by default (as Linux's
# tcp_syncookies=1); with T_SYNCOOKIES=0 the server runs with --no-syncookies and the
# flood holds the half-open queue for the SYN-ACK retries, about a minute.
STATS=(--stats) COOKIES=() NOCOOKIES=()
if [ "${T_SYNCOOKIES:-1}" != 0 ]; then COOKIES=(on); else NOCOOKIES=(--no-syncookies); fi
start_stack pingpong-server --count 2 --linger 200 -v "${STATS[@]}" "${NOCOOKIES[@]}"
wait_for "pingpong-server to listen" 50 grep -q "listening on" "$T/app.out"

# The held connection: connect now, say ping only once $T/go exists.
python3 - "$T/go" >"$T/held.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection(("10.0.0.2", 1234), timeout=5)
print(s.getsockname()[1], flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
s.settimeout(10)
s.sendall(b"ping")
print(s.recv(100).decode(), flush=True)
s.close()
PY
PIDS+=($!); HELD=$!
wait_for "the held connection" 50 grep -q . "$T/held.out"
hport=$(sed -n 1p "$T/held.out")
wait_for "the held connection in the log" 30 log_has "10.0.0.1:$hport SYN-RECEIVED -> ESTABLISHED"

t0=$EPOCHREALTIME
timeout 60 "$T/hostile" --dev tun0 --src 10.0.0.1 --dst 10.0.0.2 --port 1234 \
	--victim-port "$hport" --seed "$SEED" --count "$COUNT" >"$T/hostile.out" 2>&1
hrc=$?
say "hostile ran $(elapsed "$t0") s, exit $hrc:"
sed -n '/^category/,/^total/p' "$T/hostile.out" | sed 's/^/    /'
grep -E '^(note|FAIL):' "$T/hostile.out" | sed 's/^/    /'
check "hostile: every check of the stack's answers passed" [ "$hrc" -eq 0 ]
check "pingpong-server is still running after the attack" kill -0 "$STACK"
if [ ${#STATS[@]} -gt 0 ]; then        # the counters now, in case it never exits
	kill -USR1 "$STACK"
	wait_for "the counters after SIGUSR1" 30 grep -qF "$(stat_name STAT_IP_IN)" "$T/app.err"
fi

# The held connection still works, then a new client does a whole ping-pong.
touch "$T/go"
wait "$HELD"; rc=$?
check "the held connection still works: ping, pong, close" \
	[ "$rc" -eq 0 -a "$(sed -n 2p "$T/held.out")" = pong ]
[ "$rc" -eq 0 ] || sed 's/^/    held: /' "$T/held.out"
check "the held connection was never reset" \
	bash -c "! grep -q '10.0.0.1:$hport [A-Z-]* -> CLOSED (rcvd RST)' '$T/stack.log'"
t1=$EPOCHREALTIME
timeout 30 python3 - >"$T/client.out" 2>&1 <<'PY'
import socket
s = socket.create_connection(("10.0.0.2", 1234), timeout=20)
s.settimeout(10)
s.sendall(b"ping")
print(s.recv(100).decode())
s.close()
PY
rc=$?
say "the new client took $(elapsed "$t1") s"
check "a new kernel client completes a ping-pong after the attack" \
	[ "$rc" -eq 0 -a "$(cat "$T/client.out")" = pong ]
[ "$rc" -eq 0 ] || sed 's/^/    client: /' "$T/client.out"
wait_for "pingpong-server to exit after its 2 connections" 50 bash -c "! kill -0 $STACK"
kill "$STACK" 2>/dev/null
wait "$STACK"; rc=$?
check "pingpong-server exits 0" [ "$rc" -eq 0 ]
stop_tcpdump
sleep 0.2; kill -INT "$TCPDUMP_IN" 2>/dev/null; wait "$TCPDUMP_IN" 2>/dev/null

# Drop reasons: each main one in the log (-v) and in the counters (--stats).
MAIN=(IP_SHORT IP_VERSION IP_IHL IP_LEN IP_CSUM IP_FRAG IP_NOT_US IP_SRC IP_PROTO
	ICMP_SHORT ICMP_CSUM ICMP_TYPE TCP_SHORT TCP_OFF TCP_CSUM TCP_OPT TCP_PORT0 TCP_FLAGS
	TCP_LISTEN TCP_NO_CONN TCP_SEQ TCP_RST TCP_SYN TCP_NO_ACK TCP_ACK)
missing=() nostat=()
for id in "${MAIN[@]}"; do
	name=$(stat_name "STAT_DROP_$id")
	[ -n "$name" ] || { missing+=("STAT_DROP_$id (no name in stack/stack.c)"); continue; }
	[ "$(grep -cF -- "drop ($name) " "$T/stack.log")" -gt 0 ] || missing+=("$name")
	[ ${#STATS[@]} -eq 0 ] || [ "$(stat_count "dropped: $name")" -gt 0 ] || nostat+=("$name")
done
all=$(sed -n 's/^[[:space:]]*\[STAT_DROP_[A-Z0-9_]*\] = "\(.*\)",$/\1/p' "$TOP/stack/stack.c" |
	while IFS= read -r name; do
		n=$(grep -cF -- "drop ($name) " "$T/stack.log"); [ "$n" -eq 0 ] || echo "$n $name"
	done | sort -rn | joined)
say "drops in the log: $all"
check "the log names every main drop reason (${#MAIN[@]})" [ ${#missing[@]} -eq 0 ]
[ ${#missing[@]} -eq 0 ] || say "  missing: $(IFS=';'; echo "${missing[*]}")"
if [ ${#STATS[@]} -gt 0 ]; then
	check "--stats: every main drop counter is non-zero" [ ${#nostat[@]} -eq 0 ]
	[ ${#nostat[@]} -eq 0 ] || say "  zero or absent: $(IFS=';'; echo "${nostat[*]}")"
	for id in STAT_RST_SENT STAT_CHALLENGE_ACK STAT_TCP_WSCALE_BIG \
		${COOKIES[@]:+STAT_SYNCOOKIE_SENT STAT_SYNCOOKIE_OK}; do
		name=$(stat_name "$id")
		check "--stats: $id (${name:-no name}) is non-zero" \
			[ -n "$name" -a "$(stat_count "$name")" -gt 0 ]
	done
	say "counters: $(awk -v first="$(stat_name STAT_IP_IN)" '
		{ c = $1; t = $0; sub(/^ *[0-9]+ /, "", t) }
		t == first { n = 0 }
		c ~ /^[0-9]+$/ && t !~ /^dropped: / { l[n++] = c " " t }
		END { for (i = 0; i < n; i++) print l[i] }' "$T/app.err" | joined)"
else
	say "(pingpong-server has no --stats: the counters are checked in the log only)"
fi

# tcpdump -vv -Q in: one record per packet the stack sent (-vv prints two lines or more).
records() {
	awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\./ { if (r != "") print r; r = $0; next }
	     { r = r " " $0 } END { if (r != "") print r }' "$T/stack-sent.txt"
}
records >"$T/stack-sent.records"
sent=$(grep -c . "$T/stack-sent.records")
bad=$(grep -Ec 'incorrect|bad cksum|wrong icmp cksum' "$T/stack-sent.records")
say "tcpdump: the stack sent $sent packets, $bad with a bad checksum"
check "tcpdump: every checksum the stack sent is correct" [ "$sent" -gt 0 -a "$bad" -eq 0 ]
# Nothing to the silent source, to 0.0.0.0, broadcast, multicast, loopback, or itself.
NOBODY='10\.0\.0\.66|10\.0\.0\.2|0\.0\.0\.0|255\.255\.255\.255|2(2[4-9]|3[0-9])\.[0-9.]+|127\.[0-9.]+'
FORBIDDEN=" 10\.0\.0\.2(\.[0-9]+)? > ($NOBODY)(\.[0-9]+)?:"
grep -E "$FORBIDDEN" "$T/stack-sent.records" >"$T/forbidden.txt"
check "tcpdump: no answer to a packet that must be dropped silently" [ ! -s "$T/forbidden.txt" ]
head -n 5 "$T/forbidden.txt" | sed 's/^/    /'
dests=$(grep -oE ' 10\.0\.0\.2(\.[0-9]+)? > [0-9]+(\.[0-9]+){3}' "$T/stack-sent.records" |
	awk '{ split($3, a, "."); d = $3
	       if (a[1] == 198 && (a[2] == 18 || a[2] == 19)) d = "198.18.0.0/15 (flood)"
	       else if (a[1] == 192 && a[2] == 0 && a[3] == 2) d = "192.0.2.0/24 (random)"
	       n[d]++ } END { for (d in n) print n[d] " to " d }' | sort -rn | joined)
say "tcpdump: the stack sent $dests"
check "tcpdump: the padded SYNs and option probes got SYN,ACKs" \
	grep -qE ' 10\.0\.0\.2\.1234 > 10\.0\.0\.3\.[0-9]+: Flags \[S\.\]' "$T/stack-sent.records"
finish

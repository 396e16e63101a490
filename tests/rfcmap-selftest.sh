#!/usr/bin/env bash
# rfcmap-selftest.sh - the test of tests/rfcmap.py. It must pass on the real
# labs/rfc9293.md and tree. On a copy broken in one way, it must fail and name the fault.
# The broken copies have: a made-up function, test or script; a test that is never
# added to its suite; a label that is not RFC 9293's; a row done with no test; a row not
# done with no reason; a wrong count in the header; rows out of the RFC's order; a label
# in the code, or above a test, that its row does not name. Prints one line, or the
# cases that went wrong.
# shellcheck disable=SC2016  # the backquotes in the table's text are meant literally
set -u
cd "$(dirname "$0")/.." || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
RFC=${RFC9293:-../shared/rfc/rfc9293.txt}
[ -f "$RFC" ] || RFC=
bad=0 n=0

# mutate FILE OLD NEW: OLD must be in FILE; its first occurrence becomes NEW.
mutate() {
	python3 - "$@" <<'PY' || exit 2
import sys
path, old, new = sys.argv[1:4]
s = open(path).read()
if old not in s:
    sys.exit(f"rfcmap-selftest: {path}: {old!r} not found: the case needs updating")
open(path, "w").write(s.replace(old, new, 1))
PY
}

# A copy of what the checker reads, to break.
fresh() {
	rm -rf "$T/tree"
	mkdir -p "$T/tree/tests" "$T/tree/labs"
	cp -r stack tun apps "$T/tree/"
	cp tests/*.c tests/*.h "$T/tree/tests/"
	cp -r tests/integration "$T/tree/tests/"
	cp labs/rfc9293.md "$T/tree/labs/"
}

run() {
	python3 tests/rfcmap.py --root "$T/tree" ${RFC:+--rfc "$RFC"} >"$T/out" 2>&1
}

# expect_fail WHAT MESSAGE: the checker fails on the broken copy and says MESSAGE.
expect_fail() {
	n=$((n + 1))
	if run; then
		echo "rfcmap-selftest: FAIL: $1: the checker passed"
		bad=$((bad + 1))
	elif ! grep -qF -- "$2" "$T/out"; then
		echo "rfcmap-selftest: FAIL: $1: the checker failed, but never said: $2"
		sed 's/^/    /' "$T/out" | head -n 8
		bad=$((bad + 1))
	fi
}

n=$((n + 1))
fresh
if ! run || ! tail -n 1 "$T/out" | grep -q '; 0 errors$'; then
	echo "rfcmap-selftest: FAIL: the real table and tree do not pass"
	sed 's/^/    /' "$T/out" | head -n 20
	bad=$((bad + 1))
fi
M=$T/tree/labs/rfc9293.md

fresh
mutate "$M" '`tcp_in.c:tcp_rcv_rst`' '`tcp_in.c:tcp_made_up`'
expect_fail "a made-up function" "no function tcp_made_up() in stack/tcp_in.c"

fresh
mutate "$M" 'tests/check_rst.c:established_rst_outside_window_is_dropped_silently' \
	'tests/check_rst.c:established_made_up'
expect_fail "a made-up test" "no START_TEST(established_made_up) in tests/check_rst.c"

fresh
mutate "$M" '`tests/integration/t_hostile.sh`' '`tests/integration/t_made_up.sh`'
expect_fail "a made-up script" "no script tests/integration/t_made_up.sh"

fresh
mutate "$T/tree/tests/check_icmp.c" 'tcase_add_test(tc, source_quench_is_discarded);' ''
expect_fail "a test never added to its suite" "source_quench_is_discarded is never added to a suite"

fresh
mutate "$M" '| MUST-1 | 3.1 |' '| MUST-70 | 3.1 |'
expect_fail "a label that is not RFC 9293's" "MUST-70 is not one of RFC 9293's labels"

fresh
mutate "$M" '| MUST-1 | 3.1 |' '| MUST-2 | 3.1 |'
expect_fail "a label twice, another missing" "MUST-1 has no row"

fresh
mutate "$M" '| done | `icmp.c:icmp_input` | `tests/check_icmp.c:source_quench_is_discarded` |' \
	'| done | `icmp.c:icmp_input` | |'
expect_fail "a row done with no test" "MUST-55: marked done, but names no test"

fresh
mutate "$M" '| not done: `IP_DEFAULT_TTL`' '| not done | `IP_DEFAULT_TTL`'
expect_fail "a row not done with no reason" "MUST-49: 'not done' needs a reason"

fresh
mutate "$M" '| MUST | 69 |' '| MUST | 68 |'
expect_fail "a wrong count in the header" "header: MUST rows is 68, counted 69"

fresh
mutate "$T/tree/stack/ip.c" '		goto drop;' '		goto drop;   /* MUST-13 */'
expect_fail "a label in code its row does not name" \
	"MUST-13 is in ip_input(), which the MUST-13 row does not name"

fresh
mutate "$T/tree/stack/ip.c" '		goto drop;' '		goto drop;   /* MUST-99 */'
expect_fail "a label in code that is not RFC 9293's" "MUST-99 is not one of RFC 9293's labels"

fresh
mutate "$T/tree/tests/check_ip.c" 'START_TEST(ip_short_packet_is_dropped)' \
	$'/* MUST-13 */\nSTART_TEST(ip_short_packet_is_dropped)'
expect_fail "a label above a test its row does not name" \
	"MUST-13 is above (or in) test ip_short_packet_is_dropped"

if [ -n "$RFC" ]; then
	fresh
	python3 - "$M" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
a = next(i for i, l in enumerate(lines) if l.startswith("| MUST-2 |"))
b = next(i for i, l in enumerate(lines) if l.startswith("| MUST-3 |"))
lines[a], lines[b] = lines[b], lines[a]
open(p, "w").write("\n".join(lines))
PY
	expect_fail "rows out of the RFC's order" "MUST-2 is out of the RFC's order"
fi

if [ "$bad" -ne 0 ]; then
	echo "rfcmap-selftest: $bad of $n cases went wrong"
	exit 1
fi
echo "rfcmap-selftest: the checker passes on the real table and fails," \
	"naming the fault, on $((n - 1)) broken copies"

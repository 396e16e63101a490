# labs/check-lib.sh - what every lab's `check` shares. A check grades the student's own
# run (the files in build/labs/NAME/) and answers (labs/NAME/answers.txt, lines
# "key: answer"): each item prints PASS or FAIL, and on FAIL a hint that points to the
# place in the capture or the RFC. Expected answers are read from the student's own
# artefacts (their ISNs, their ports, their times), so a neighbour's answers fail.
# `check --key` prints the instructor's key: the answers this run's artefacts give,
# graded against themselves (what `make labs` runs, so a lab that no longer produces
# what its questions ask about fails).
# Usage:  source "$(dirname "$0")/../check-lib.sh"; check_init "$@"; ...; check_finish
set -u
LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_NAME=$(basename "$(cd "$(dirname "$0")" && pwd)")
OUT=$LAB_TOP/build/labs/$LAB_NAME
ANSWERS=$(cd "$(dirname "$0")" && pwd)/answers.txt
KEY=0
passed=0 failed=0

check_init() {
	[ "${1:-}" = --key ] && KEY=1
	[ "${1:-}" = --answers ] && ANSWERS=$2
	if [ ! -s "$OUT/stack.log" ] && [ ! -s "$OUT/timeline.txt" ]; then
		echo "$LAB_NAME: no run to grade in build/labs/$LAB_NAME/: sudo make lab L=$LAB_NAME first"
		exit 1
	fi
}

# The student's answer to `key` (trimmed, lower case); empty if none.
answer_of() {
	[ -f "$ANSWERS" ] || return 0
	sed -n "s/^$1:[[:space:]]*//p" "$ANSWERS" | head -n 1 | tr 'A-Z' 'a-z' | sed 's/[[:space:]]*$//'
}

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; echo "     hint: $2"; failed=$((failed + 1)); }

# grade KEY EXPECTED HINT: the answer to KEY must be EXPECTED (compared without case and
# spaces; several acceptable answers separated by |). --key: shows the expected answer.
grade() {
	local key=$1 want=$2 hint=$3 got w
	if [ -z "$want" ]; then
		fail "$key: the run has no answer to this question (rerun the lab)" "$hint"
		return
	fi
	if [ "$KEY" = 1 ]; then
		pass "$key: ${want%%|*}"
		return
	fi
	got=$(answer_of "$key" | tr -d ' ')
	IFS='|' read -r -a alts <<<"$(tr 'A-Z' 'a-z' <<<"$want" | tr -d ' ')"
	for w in "${alts[@]}"; do
		[ -n "$got" ] && [ "$got" = "$w" ] && { pass "$key"; return; }
	done
	fail "$key: ${got:-no answer}" "$hint"
}

# verify WHAT HINT COMMAND...: a fact about the run (a challenge the student made happen).
verify() {
	local what=$1 hint=$2; shift 2
	if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what" "$hint"; fi
}

check_finish() {
	echo "check: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# Helpers to read the run's files.
logline() { grep -h -m1 -- "$1" "$OUT"/*.log 2>/dev/null; }
# The Nth (default 1st) packet line of tun0.txt matching an extended regex.
wire() { grep -E -- "$1" "$OUT/tun0.txt" | sed -n "${2:-1}p"; }
field_after() { sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }  # "seq 123" -> 123

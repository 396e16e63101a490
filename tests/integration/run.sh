#!/usr/bin/env bash
# Integration tests: the stack over a real TUN device against the Linux kernel.
# Each t_*.sh runs as root in a private network namespace of its own. Without
# root or /dev/net/tun the tests report themselves skipped, except under CI=true.
# A test may raise its time limit (120 s) with a line "# time-limit: SECONDS".
# Arguments: names of the tests to run (e.g. t_echo_hash), default all.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0 skip=0
why=""
[ "$(id -u)" -eq 0 ] || why="not root"
[ -c /dev/net/tun ] || why="${why:+$why, }no /dev/net/tun"
for tool in unshare ip tcpdump ss python3 ping; do
	command -v $tool >/dev/null 2>&1 || why="${why:+$why, }no $tool"
done
if [ -z "$why" ] && ! unshare -n true 2>/dev/null; then why="cannot create a network namespace"; fi
tests=("$dir"/t_*.sh)
if [ $# -gt 0 ]; then tests=(); for n in "$@"; do tests+=("$dir/${n%.sh}.sh"); done; fi
if [ -n "$why" ]; then
	if [ "${CI:-}" = true ]; then
		echo "integration: cannot run ($why), and CI=true requires them"
		echo "integration: 0 passed, ${#tests[@]} failed"; exit 1
	fi
	for t in "${tests[@]}"; do echo "SKIP $(basename "$t" .sh): $why"; done
	echo "integration: 0 passed, 0 failed, ${#tests[@]} skipped"; exit 0
fi
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "== $name"
	limit=$(sed -n 's/^# time-limit: \([0-9]*\).*/\1/p' "$t")   # default 120 s
	timeout "${limit:-120}" unshare -n bash "$t"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name" ;;
	77) skip=$((skip + 1)); echo "SKIP $name" ;;
	*) fail=$((fail + 1)); echo "FAIL $name (exit $rc)" ;;
	esac
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Run every Check test binary given; print one total line "N passed, N failed".
# Check's own per-suite lines are kept; a failing test prints its transcript.
set -u
pass=0 fail=0 status=0
for t in "$@"; do
	out=$(CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-20} "$t" 2>&1)
	rc=$?
	summary=$(grep -E '^[0-9]+%: Checks: ' <<<"$out" | tail -n 1)
	checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$summary")
	failures=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$summary")
	if [ -z "$summary" ]; then
		echo "$t: no result (exit $rc)"; echo "$out" | tail -n 40
		fail=$((fail + 1)); status=1; continue
	fi
	failures=$((failures))
	pass=$((pass + checks - failures)); fail=$((fail + failures))
	printf '%-40s %s\n' "$(basename "$t")" "$summary"
	if [ "$rc" -ne 0 ] || [ "$failures" -ne 0 ]; then
		echo "$out" | grep -v -E '^(Running suite|[0-9]+%: Checks)'; status=1
	fi
done
echo "unit: $pass passed, $fail failed"
exit $status

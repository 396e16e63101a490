#!/usr/bin/env bash
# tests/impl-labs.sh - the implementation labs (labs/impl-*/, labs/impl.sh) are neither
# broken nor trivially passed. For each lab, in a scratch work folder:
#   - `start` writes each marked file with stubs and no reference code left, never
#     over a student's edits (without --force, which moves the edited copy aside);
#   - the stripped copy builds (-Werror, INTERNAL_CHECKS) and FAILS its grading suites,
#     with a failure that is not a timeout; so does each region alone left unwritten
#     (the others being the reference), so every marked region is graded;
#   - the reference pasted into the copy, and --reference (the real tree), pass 100%.
# No root needed. One line "impl-labs: N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
tmp=$PWD/build/impl/test        # a fixed place, so the graders' builds are reused, not piled up
rm -rf "$tmp"; mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; [ -s "$tmp/out" ] && tail -n 25 "$tmp/out" | sed 's/^/    /'; }

# grade LAB DIR [OPTION...]: run the grader, its output in $tmp/out; echo its exit status.
grade() {
	labs/impl.sh grade "$1" --dir "$2" "${@:3}" >"$tmp/out" 2>&1
	echo $?
}

# The copy in $2 must build and fail with at least one failure that is not a timeout
# (a failing copy may spin until the limit, so the limits are short here, and the
# grading stops at the first suite with a failure).
must_fail() {
	local lab=$1 dir=$2 what=$3 rc
	rc=$(CK_TIMEOUT_MULTIPLIER=0.05 grade "$lab" "$dir" --fail-fast)
	if [ "$rc" = 1 ] && grep -q "^$lab: [0-9]* passed, [1-9][0-9]* failed" "$tmp/out" &&
	   grep '^FAIL ' "$tmp/out" | grep -qv 'Test timeout expired'; then
		ok "$lab: $what builds and fails ($(grep "^$lab: [0-9]* passed" "$tmp/out" | sed "s/^$lab: //"))"
	else
		bad "$lab: $what should build and fail (grade exit $rc, 1 expected)"
	fi
}

must_pass() {
	local lab=$1 dir=$2 what=$3 rc
	rc=$(grade "$lab" "$dir" ${4:+"$4"})
	if [ "$rc" = 0 ] && grep -q "^$lab: [1-9][0-9]* passed, 0 failed" "$tmp/out"; then
		ok "$lab: $what passes ($(grep "^$lab: [0-9]* passed" "$tmp/out" | sed "s/^$lab: //"))"
	else
		bad "$lab: $what should pass (grade exit $rc)"
	fi
}

labs=$(labs/impl.sh list)
[ -n "$labs" ] || bad "no implementation lab (labs/impl-*/README.md)"
for lab in $labs; do
	w=$tmp/$lab
	files=$(labs/impl.sh files "$lab")
	suites=$(sed -n 's/^\*\*Graded by:\*\*//p' "labs/$lab/README.md" | grep -o 'check_[a-z0-9_]*')
	if [ -n "$suites" ]; then
		ok "$lab: graded by $(echo "$suites" | tr '\n' ' ' | sed 's/ $//')"
	else
		bad "$lab: no '**Graded by:**' line naming check_ suites in its README"
	fi

	# start: every marked file, stubbed, nothing of the reference regions left
	: >"$tmp/out"
	if labs/impl.sh start "$lab" --dir "$w" >"$tmp/out" 2>&1; then
		good=1
		for f in $files; do
			b=$w/${f##*/}
			[ -f "$b" ] && grep -q "TODO($lab)" "$b" && ! grep -q "LAB [a-z0-9-]*: \(BEGIN\|END\)" "$b" &&
				[ "$(grep -c "TODO($lab)" "$b")" = "$(labs/impl.sh regions "$lab" "$f" | wc -l)" ] || good=0
		done
		if [ "$good" = 1 ]; then
			ok "$lab: start writes $(echo "$files" | sed 's|stack/||' | tr '\n' ' ')with one stub per region, no markers"
		else
			bad "$lab: start: a file missing, a marker left or a stub missing in $w"
		fi
	else
		bad "$lab: start failed"
	fi

	# never over a student's edits; --force moves them aside
	f=$(echo "$files" | head -n 1); b=$w/${f##*/}
	echo "/* a student's edit */" >>"$b"
	cp "$b" "$tmp/edited"
	labs/impl.sh start "$lab" --dir "$w" >"$tmp/out" 2>&1
	if cmp -s "$b" "$tmp/edited" && grep -q 'kept' "$tmp/out"; then
		ok "$lab: start again keeps the student's edits"
	else
		bad "$lab: start again overwrote the student's edits"
	fi
	labs/impl.sh start "$lab" --dir "$w" --force >"$tmp/out" 2>&1
	old=$(find "$tmp" -maxdepth 1 -name "$lab.old-*" | head -n 1)
	if ! grep -q "a student's edit" "$b" && [ -n "$old" ] && cmp -s "$old/${f##*/}" "$tmp/edited"; then
		ok "$lab: start --force starts over and moves the edited copy aside"
	else
		bad "$lab: start --force did not start over, or lost the edited copy"
	fi

	must_fail "$lab" "$w" "the stripped copy"

	# each region alone left unwritten, the rest being the reference
	for f in $files; do
		labs/impl.sh regions "$lab" "$f" >"$tmp/regions"
		while read -r n fn; do
			for g in $files; do cp "$g" "$w/${g##*/}"; done
			labs/impl.sh strip "$lab" "$f" "$n" >"$w/${f##*/}"
			must_fail "$lab" "$w" "${f##*/} with only $fn() unwritten"
		done <"$tmp/regions"
	done

	for g in $files; do cp "$g" "$w/${g##*/}"; done
	must_pass "$lab" "$w" "the copy with the reference code written in"
	must_pass "$lab" "$w" "the reference (--reference, the real stack/)" --reference
done
echo "impl-labs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

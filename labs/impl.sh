#!/usr/bin/env bash
# labs/impl.sh - the implementation labs (labs/impl-*/): the real stack is the solution.
# Code a student writes is marked in stack/*.c by two comment lines,
#     /* LAB impl-rto: BEGIN */   ...   /* LAB impl-rto: END */
# `start` copies the files that hold a lab's regions into a work folder (labs/L/work/),
# each region replaced by a stub that compiles: a TODO line, `(void)p;` for each parameter
# only the cut code used, and a default return when the region ended a function.
# `grade` builds the Check suites named on the handout's "**Graded by:**" line with the
# Makefile's own rules and flags (INTERNAL_CHECKS), from the tree's stack/ with the
# student's files in place of the marked ones, runs them and prints PASS/FAIL per test
# and "L: N passed, N failed"; exit 0 all passed, 1 a test failed, 2 it did not build.
#   labs/impl.sh start L [--force] [--dir D]     make lab-start L=... [FORCE=1] [WORK=D]
#   labs/impl.sh grade L [--reference | --dir D] [--fail-fast]
#                                                make lab-grade L=... [REF=1] [WORK=D]
#   labs/impl.sh list | files L | regions L FILE | strip L FILE [N]   (for tests)
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP" || exit 2

labs() { for d in labs/impl-*/README.md; do [ -f "$d" ] && basename "$(dirname "$d")"; done; }

usage() {
	echo "usage: make lab-start L=NAME [FORCE=1] [WORK=DIR]   copy a lab's files, reference code cut out"
	echo "       make lab-grade L=NAME [REF=1] [WORK=DIR]     grade that copy (REF=1: the real stack)"
	echo "labs: $(labs | tr '\n' ' ' | sed 's/ $//')"
	exit 2
}

# Files of stack/ with regions of lab $1.
lab_files() { grep -l "^[[:space:]]*/\* LAB $1: BEGIN \*/" stack/*.c 2>/dev/null; }

# strip LAB FILE [N] [regions]: FILE with LAB's regions (only the Nth if N > 0) replaced
# by stubs, other labs' marker lines removed; "regions" prints "N FUNCTION" per region
# instead. Two passes: the first finds the parameters that only the cut code uses (the
# stub casts them to void, or -Werror stops the build). Marker lines stand alone; code
# outside a region must not need it to compile (a local it alone uses is declared in
# it); tests/impl-labs.sh builds every stub.
strip() {
	awk -v lab="$1" -v only="${3:-0}" -v mode="${4:-strip}" -v file="$2" '
	function fail(msg) { printf "%s:%d: %s\n", file, FNR, msg > "/dev/stderr"; bad = 1; exit 2 }
	# The function whose "{" this is: its name, the value its stub returns, its
	# parameters. K&R layout: the header starts in column 0, "{" stands alone.
	function parse(h,   p, pre, args, n, a, i, v) {
		p = index(h, "("); pre = substr(h, 1, p - 1); args = substr(h, p + 1)
		sub(/\)[^)]*$/, "", args)
		match(pre, /[A-Za-z_][A-Za-z0-9_]*[ \t]*$/)
		fname = substr(pre, RSTART, RLENGTH); sub(/[ \t]+$/, "", fname)
		pre = " " substr(pre, 1, RSTART - 1) " "
		gsub(/[ \t](static|inline)[ \t]/, " ", pre)
		if (pre ~ /\*/) ret = "NULL"
		else if (pre ~ /^[ \t]*void[ \t]*$/) ret = ""
		else if (pre ~ /[ \t]bool[ \t]/) ret = "false"
		else ret = "0"
		nparams = 0; n = split(args, a, ",")
		for (i = 1; i <= n; i++) {
			v = a[i]; gsub(/\[[^]]*\]/, "", v); sub(/[ \t]+$/, "", v)
			if (v !~ /^[ \t]*void$/ && match(v, /[A-Za-z_][A-Za-z0-9_]*$/))
				params[++nparams] = substr(v, RSTART, RLENGTH)
		}
	}
	function header(line) {
		if (line ~ /^[A-Za-z_].*\(/ && line !~ /^(typedef|#)/) { hdr = line; collecting = 1 }
		else if (collecting && line != "{") hdr = hdr " " line
		if (collecting && line ~ /;[ \t]*$/) collecting = 0
		if (collecting && line == "{") { parse(hdr); collecting = 0; return 1 }
		return 0
	}
	function words(line, set,   w, n, i) {
		gsub(/\/\*([^*]|\*[^\/])*\*\//, " ", line); gsub(/"([^"\\]|\\.)*"/, " ", line)
		gsub(/[^A-Za-z0-9_]/, " ", line); n = split(line, w, " ")
		for (i = 1; i <= n; i++) set[w[i]] = 1
	}
	function marker(line) {
		if (line !~ /^[ \t]*\/\* LAB [a-z0-9-]+: (BEGIN|END) \*\/[ \t]*$/) return ""
		name = line; sub(/^[ \t]*\/\* LAB /, "", name); sub(/:.*/, "", name)
		return line ~ /BEGIN/ ? "BEGIN" : "END"
	}
	# first pass: for each region cut, the parameters used in it and nowhere else
	NR == FNR {
		if ((m = marker($0)) == "BEGIN" && name == lab) { n1++; cut1 = (only == 0 || only == n1); first[n1] = infunc ? fn1 : "" }
		if (m == "END" && name == lab) cut1 = 0
		if (m != "") next
		if (header($0)) { infunc = 1; fn1 = ++nfunc; delete out }
		if (infunc && cut1) { delete w1; words($0, w1); for (x in w1) used[n1, x] = 1 }
		else if (infunc) words($0, out)
		if (infunc && $0 == "}") {
			for (r = 1; r <= n1; r++) {
				if (first[r] != fn1) continue
				for (i = 1; i <= nparams; i++)
					if (((r, params[i]) in used) && !(params[i] in out))
						voids[r] = voids[r] (voids[r] == "" ? "" : " ") "(void)" params[i] ";"
			}
			infunc = 0
		}
		next
	}
	function stub(next_line) {
		print ind "/* TODO(" lab "): " fname " (labs/" lab "/README.md) */"
		if (voids[n] != "")
			print ind voids[n]
		if (next_line == "}" && ret != "")
			print ind "return " ret ";"
	}
	(m = marker($0)) != "" {
		if (m == "BEGIN") {
			if (open != "") fail("LAB " name ": BEGIN inside the region of " open)
			if (!infunc2) fail("LAB " name ": BEGIN outside a function body")
			open = name
			if (name != lab) next
			n++; cut = (only == 0 || only == n)
			if (mode == "regions") print n, fname
			ind = $0; sub(/[^ \t].*/, "", ind)
			next
		}
		if (open != name) fail("LAB " name ": END without its BEGIN")
		open = ""
		if (name == lab && cut) { cut = 0; pending = 1 }
		next
	}
	{
		if (pending) { if (mode == "strip") stub($0); pending = 0 }
		if (header($0)) infunc2 = 1
		else if ($0 == "}") infunc2 = 0
		if (cut) next
		if (mode == "strip") print
	}
	END {
		if (bad) exit 2
		if (open != "") fail("LAB " open ": BEGIN without END")
		if (pending) fail("LAB " lab ": END on the last line")
	}' "$2" "$2"
}

lab_check() {
	[ -n "${1:-}" ] || usage
	if [ ! -f "labs/$1/README.md" ] || [ -z "$(lab_files "$1")" ]; then
		echo "$1: no such implementation lab (no labs/$1/README.md, or no code marked LAB $1 in stack/)"
		usage
	fi
}

# The suites that grade lab $1: the `check_*` words on its handout's "Graded by:" line.
lab_suites() { sed -n 's/^\*\*Graded by:\*\*//p' "labs/$1/README.md" | grep -o 'check_[a-z0-9_]*' | awk '!seen[$0]++'; }

relpath() { case $1 in "$TOP"/*) echo "${1#"$TOP"/}" ;; *) echo "$1" ;; esac; }

start() {
	local lab=$1 dir=$2 force=$3 f edited=() fresh=() work=""
	[ "$dir" = "$TOP/labs/$lab/work" ] || work=" WORK=$(relpath "$dir")"
	tmp=$(mktemp -d) || exit 2
	trap 'rm -rf "$tmp"' EXIT
	for f in $(lab_files "$lab"); do
		strip "$lab" "$f" >"$tmp/${f##*/}" || { echo "$lab: cannot strip $f"; exit 2; }
		if [ -f "$dir/${f##*/}" ] && ! cmp -s "$tmp/${f##*/}" "$dir/${f##*/}"; then
			edited+=("${f##*/}")
		fi
		fresh+=("${f##*/}")
	done
	if [ ${#edited[@]} -gt 0 ] && [ "$force" = 0 ]; then
		echo "$lab: $(relpath "$dir")/ holds your work (${edited[*]}, changed since lab-start): kept."
		echo "$lab: grade it: make lab-grade L=$lab$work;  start over: make lab-start L=$lab$work FORCE=1 (your copy is moved aside)"
		return 0
	fi
	if [ ${#edited[@]} -gt 0 ]; then
		local old
		old="$dir.old-$(date +%Y%m%d-%H%M%S)"
		mv "$dir" "$old" || exit 2
		echo "$lab: your previous copy is now $(relpath "$old")/"
	fi
	mkdir -p "$dir" || exit 2
	for f in "${fresh[@]}"; do
		cp "$tmp/$f" "$dir/$f" || exit 2
	done
	echo "$lab: your copy is $(relpath "$dir")/; the handout is labs/$lab/README.md. Write:"
	for f in $(lab_files "$lab"); do
		strip "$lab" "$f" 0 regions | while read -r _ fn; do
			printf '    %-36s %s\n' "$(relpath "$dir")/${f##*/}" "$fn()"
		done
	done | uniq
	echo "(every place is a line /* TODO($lab): ... */). Then: make lab-grade L=$lab$work"
}

# A first build starts from the tree's own objects (same rules and flags) of every file
# but the student's, so it compiles only those; make rebuilds any that are out of date.
seed() {
	local lab=$1 obj=$2 o skip
	# shellcheck disable=SC2046
	${MAKE:-make} --no-print-directory -s -C "$TOP" $(lab_suites "$lab" | sed 's|^|build/tests/|') >/dev/null 2>&1 || return 0
	skip=" $(lab_files "$lab" | sed 's|^\(.*\)\.c$|chk/\1.o|' | tr '\n' ' ') "
	(cd "$TOP/build" && find chk/stack tun tests apps -name '*.o' 2>/dev/null) | while read -r o; do
		case $skip in *" $o "*) continue ;; esac     # never the reference of the student's files
		mkdir -p "$obj/${o%/*}" && cp -p "$TOP/build/$o" "$obj/$o"
	done
}

# Build the lab's suites from a tree whose stack/ is the real one with the student's
# files in place of the marked ones, with the Makefile's own rules. Echo the binaries' folder.
build_student() {
	local lab=$1 dir=$2 out=$3 src=$3/src f b suites log=$3/build.log
	[ -d "$dir" ] || { echo "$lab: no copy in $(relpath "$dir")/: make lab-start L=$lab first (WORK=$(relpath "$dir") for this folder)" >&2; return 2; }
	rm -rf "$src"
	mkdir -p "$src/stack" || return 2
	for f in stack/*; do
		ln -s "$TOP/$f" "$src/$f"
	done
	for f in $(lab_files "$lab"); do
		b=${f##*/}
		[ -f "$dir/$b" ] || { echo "$lab: $(relpath "$dir")/$b is missing: make lab-start L=$lab" >&2; return 2; }
		ln -sf "$(cd "$dir" && pwd)/$b" "$src/$f"
	done
	for f in tun apps tests; do
		ln -s "$TOP/$f" "$src/$f"
	done
	[ -d "$out/obj" ] || seed "$lab" "$out/obj"
	suites=$(lab_suites "$lab" | sed "s|^|$out/obj/tests/|")
	local jobs
	jobs=-j$(nproc 2>/dev/null || echo 2)
	local mf=${MAKEFLAGS:-}
	case " ${mf%% -- *} " in *" -j"*|*jobserver*) jobs= ;; esac   # make -jN lab-grade: its jobserver
	# shellcheck disable=SC2086
	if ! ${MAKE:-make} --no-print-directory $jobs -C "$src" -f "$TOP/Makefile" B="$out/obj" $suites >"$log" 2>&1; then
		# the compiler names the student's files by their place in the work folder
		for f in $(lab_files "$lab"); do
			sed -i "s|$f|$(relpath "$dir")/${f##*/}|g" "$log"
		done
		grep -v -E '^ +(CC|LD) ' "$log" | head -n 60 >&2
		echo "$lab: your copy does not build (the compiler's messages above; all of them: $(relpath "$log"))" >&2
		return 2
	fi
	echo "$out/obj/tests"
}

grade() {
	local lab=$1 dir=$2 ref=$3 failfast=$4 bin t out tap line name pass=0 fail=0 first=""
	if [ "$ref" = 1 ]; then
		out=$TOP/build/impl/$lab/reference
		mkdir -p "$out"
		# shellcheck disable=SC2046
		${MAKE:-make} --no-print-directory -s $(lab_suites "$lab" | sed 's|^|build/tests/|') >"$out/build.log" 2>&1 ||
			{ cat "$out/build.log"; echo "$lab: the reference does not build"; return 2; }
		bin=$TOP/build/tests
		echo "$lab: grading the reference (the real stack/)"
	else
		out=$TOP/build/impl/$lab/work                     # another folder: its own build
		[ "$dir" = "$TOP/labs/$lab/work" ] || out=$out-$(printf %s "$dir" | cksum | cut -d' ' -f1)
		mkdir -p "$out"
		bin=$(build_student "$lab" "$dir" "$out") || return 2
		echo "$lab: grading $(relpath "$dir")/ ($(lab_files "$lab" | sed 's|.*/||' | tr '\n' ' ' | sed 's/ $//'))"
	fi
	: >"$out/grade.log"
	for t in $(lab_suites "$lab"); do
		tap=$out/$t.tap
		rm -f "$tap"
		# a stub can make a test spin until its timeout: a fifth of the suite's own is plenty
		CK_TAP_LOG_FILE_NAME=$tap CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-0.2} \
			CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-20} "$bin/$t" >"$out/$t.log" 2>&1
		{ echo "==== $t"; cat "$out/$t.log"; } >>"$out/grade.log"
		if ! grep -q '^\(not \)\?ok ' "$tap" 2>/dev/null; then
			echo "FAIL $t: no result (it crashed or hung: $(relpath "$out/$t.log"))"
			fail=$((fail + 1)); continue
		fi
		while IFS= read -r line; do
			# "ok N - tests/check_x.c:tcase:test: Passed", "not ok N - ...:test: why"
			name=$(sed -E 's/^(not )?ok [0-9]+ - [^:]*:[^:]*:([^:]*):.*/\2/' <<<"$line")
			case $line in
			ok\ *)
				pass=$((pass + 1))
				echo "PASS $t $name" ;;
			not\ ok\ *)
				fail=$((fail + 1))
				echo "FAIL $t $name: $(sed -E 's/^not ok [0-9]+ - [^:]*:[^:]*:[^:]*: ?//' <<<"$line")"
				[ -n "$first" ] || first=$t ;;
			esac
		done <"$tap"
		if grep -q '^not ok .*Received signal' "$tap"; then    # INTERNAL_CHECKS stopped it: say why
			grep -a 'invariant broken' "$out/$t.log" | sort | uniq -c | sort -rn | head -n 5 |
				sed -E 's/^ *([0-9]+) (.*)/     \2 (in \1 tests)/; s/ \(in 1 tests\)$//'
		fi
		[ "$failfast" = 1 ] && [ "$fail" -gt 0 ] && break
	done
	if [ "$fail" -gt 0 ] && [ -n "$first" ] && grep -q '^---- transcript' "$out/$first.log"; then
		echo "---- the first transcript in $first's output (what the peer sent, what the stack did):"
		sed -n '/^---- transcript/,/^---- FAILED/p' "$out/$first.log" | awk '/^---- FAILED/ { print; exit } { print }' | tail -n 40
	fi
	echo "$lab: $pass passed, $fail failed"
	if [ "$fail" -gt 0 ]; then
		echo "$lab: every failing test's transcript: $(relpath "$out/grade.log"); one suite again: $(relpath "$bin")/${first:-check_...}"
		return 1
	fi
	[ "$pass" -gt 0 ]
}

cmd=${1:-}; shift || true
case $cmd in
list)	labs ;;
files)	lab_check "${1:-}"; lab_files "$1" ;;
regions) lab_check "${1:-}"; strip "$1" "${2:?file}" 0 regions ;;
strip)	lab_check "${1:-}"; strip "$1" "${2:?file}" "${3:-0}" ;;
start|grade)
	lab=${1:-}; shift || true
	lab_check "$lab"
	dir=$TOP/labs/$lab/work force=0 ref=0 failfast=0
	while [ $# -gt 0 ]; do
		case $1 in
		--force) force=1 ;;
		--reference) ref=1 ;;
		--fail-fast) failfast=1 ;;
		--dir) dir=${2:?--dir needs a folder}; shift ;;
		*) usage ;;
		esac
		shift
	done
	case $dir in /*) ;; *) dir=$TOP/$dir ;; esac
	while [ "${dir%/}" != "$dir" ] && [ "$dir" != / ]; do dir=${dir%/}; done
	if [ "$cmd" = start ]; then start "$lab" "$dir" "$force"; else grade "$lab" "$dir" "$ref" "$failfast"; fi ;;
*)	usage ;;
esac

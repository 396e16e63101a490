#!/usr/bin/env bash
# run.sh FUZZER SECONDS [libFuzzer options or corpus dirs...] - what `make fuzz` runs.
# Fuzzes for SECONDS from the seed corpus (tests/fuzz/corpus, only read) and the
# scratch corpus next to the binary (build/fuzz/corpus, where new inputs go); more
# corpus directories given are only read.
# Exit 0 when nothing was found; otherwise non-zero, with the reproducer's path
# and the command that replays it. The whole log is in build/fuzz/fuzz.log.
set -u
bin=$1 secs=$2
shift 2
case $secs in
''|*[!0-9]*|0) echo "fuzz: FUZZ_TIME must be a number of seconds > 0 (make fuzz-replay runs the inputs once)"; exit 2 ;;
esac
dir=$(dirname "$bin")
seeds=$(dirname "$0")/corpus
mkdir -p "$dir/corpus" "$dir/artifacts"
log=$dir/fuzz.log
stamp=$dir/.fuzz-start
touch "$stamp"

echo "fuzz: $bin for ${secs}s; seeds $seeds ($(ls "$seeds" | wc -l) files), scratch corpus $dir/corpus ($(ls "$dir/corpus" | wc -l) files)"
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	-print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$seeds" "$@" >"$log" 2>&1
rc=$?

grep -E '^#[0-9]+.*(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log" |
	sed 's/^/fuzz: /'
found=$(find "$dir/artifacts" -type f -newer "$stamp" | sort)
if [ $rc -eq 0 ] && [ -z "$found" ]; then
	echo "fuzz: nothing found in ${secs}s (corpus now $(ls "$dir/corpus" | wc -l) files)"
	exit 0
fi
echo "fuzz: FAILED (exit $rc); the report:"
sed -n '/INVARIANT FAILED\|==[0-9]*== *ERROR: \|runtime error: /,/^SUMMARY: /p' "$log" |
	grep -v -E ' in (fuzzer::|__libc_start|_start|main|__sanitizer_print_stack_trace|raise|abort|__pthread_kill)|^NOTE: |^ +Combine libFuzzer|BuildId: [0-9a-f]+\)$' |
	head -n 50
for f in $found; do
	echo "fuzz: reproducer: $f"
	echo "fuzz:   replay:  $bin $f"
	echo "fuzz:   decode:  FUZZ_VERBOSE=1 $bin $f 2>&1 | less"
	echo "fuzz:   shrink:  $bin -minimize_crash=1 -runs=100000 -exact_artifact_path=$f.min $f"
done
[ -z "$found" ] && echo "fuzz: no reproducer written; see $log"
exit 1

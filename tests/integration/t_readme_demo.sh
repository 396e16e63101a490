# The README quotes `make demo`'s output: this runs the demo and checks that the README's
# sample still has the shape of what the demo prints today (the same lines in the same
# order, per source, once times, sequence numbers, ports and other numbers are masked),
# so the sample cannot go stale. Kernel lines are compared only when this machine
# records them, and only those of the demo's own connection (the tracepoint sees every
# namespace: a test running beside this one must not count).
source "$(dirname "$0")/lib.sh"
mask() { sed -E 's/^[0-9:.]+ //; s/[0-9]+(\.[0-9]+)?/N/g' | grep -v '^$'; }
"$TOP/apps/demo.sh" >"$T/demo.out" 2>&1
check "make demo runs" grep -q "client got: pong" "$T/demo.out"
sed -n '/^== the stack.s own capture/,/^== files/p' "$T/demo.out" | grep -E '^[0-9]{2}:' >"$T/demo.lines"
awk '/^## What `make demo` shows/ { f = 1 } f && /^```$/ { n++; next } f && n == 1 { print } n == 2 { exit }' \
	"$TOP/README.md" >"$T/readme.lines"
port=$(grep -m1 -oE ' > 10\.0\.0\.1:[0-9]+ LISTEN -> SYN-RECEIVED' "$T/demo.lines" | grep -oE ':[0-9]+ ' | tr -d ': ')
grep -E -v " kernel " "$T/demo.lines" >"$T/d"
grep -E " kernel 10\.0\.0\.1:$port " "$T/demo.lines" >>"$T/d"
sort -s -k1,1 "$T/d" >"$T/demo.lines"
if ! grep -q ' kernel ' "$T/demo.lines"; then
	grep -v ' kernel ' "$T/readme.lines" >"$T/r" && mv "$T/r" "$T/readme.lines"
fi
# Each source's lines in order: the stack's capture, its log, the kernel's states (how
# they interleave varies by microseconds from run to run). The listener's close races
# the connection's last ACK, so it is checked on its own.
group() { # group SOURCE FILE: that source's lines, masked
	case $1 in
	capture) grep -E '^[0-9:.]+ IP ' "$2" ;;
	kernel) grep ' kernel ' "$2" ;;
	log) grep -v -E '^[0-9:.]+ IP | kernel |\*:\* LISTEN -> CLOSED' "$2" ;;
	esac | mask
}
for src in capture log kernel; do
	group $src "$T/demo.lines" >"$T/demo.$src"
	group $src "$T/readme.lines" >"$T/readme.$src"
	check "the README's demo sample: the $src's lines have the shape of a real run" \
		cmp -s "$T/demo.$src" "$T/readme.$src"
	diff "$T/readme.$src" "$T/demo.$src" | head -n 10 | sed 's/^/    /'
done
check "the listener's close is in both" bash -c "grep -q '\*:\* LISTEN -> CLOSED' '$T/demo.lines' &&
	grep -q '\*:\* LISTEN -> CLOSED' '$T/readme.lines'"
finish

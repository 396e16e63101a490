# --ack-burst (RFC 9293 MUST-59) against the Linux kernel: a python client sends
# T_BYTES (default 8M) of random bytes to `sink --ack-burst --stats`, once with the
# option and once without. Both must arrive byte exact (SHA-256 at both ends). With
# the option, the stack's --stats must count ACKs held to the end of a burst, and its
# capture must hold fewer pure ACKs per data segment received than without it (where
# an ACK goes out for every second full segment). The counts are printed.
source "$(dirname "$0")/lib.sh"
BYTES=${T_BYTES:-8M}
case $BYTES in
*k) N=$((${BYTES%k} << 10)) ;;
*M) N=$((${BYTES%M} << 20)) ;;
*) N=$((BYTES)) ;;
esac
net_up

# transfer NAME sink-options...: one connection from the kernel to the sink; its
# stdout, stderr (--stats), log and pcap are $T/NAME.*
transfer() {
	local name=$1 rc prc; shift
	timeout 60 "$B/sink" --count 1 --msl 1 --stats --log "$T/$name.log" --pcap "$T/$name.pcap" \
		"$@" >"$T/$name.out" 2>"$T/$name.err" &
	PIDS+=($!); SINK=$!
	wait_for "sink to listen" 50 grep -q "^sink: listening" "$T/$name.out" || return
	timeout 50 python3 - "$N" >"$T/$name.py" 2>&1 <<'PY'
import hashlib, os, socket, sys
n, h = int(sys.argv[1]), hashlib.sha256()
s = socket.create_connection(("10.0.0.2", 9000), timeout=40)
left = n
while left:
    b = os.urandom(min(left, 1 << 20))
    h.update(b); s.sendall(b); left -= len(b)
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
s.close()
print(n, h.hexdigest())
PY
	prc=$?
	[ "$prc" -eq 0 ] || { sleep 1; kill "$SINK" 2>/dev/null; }
	wait "$SINK"; rc=$?
	check "$name: the python client exits 0" [ "$prc" -eq 0 ]
	check "$name: sink exits 0" [ "$rc" -eq 0 ]
	read -r kn kh <<<"$(tail -n 1 "$T/$name.py" 2>/dev/null)"
	read -r sn sh <<<"$(sed -nE 's/.* received ([0-9]+) bytes sha256 ([0-9a-f]{64}) in .*/\1 \2/p' "$T/$name.out")"
	check "$name: $N bytes sent and received, the same sha256 both ends" \
		[ "${kn:-}" = "$N" -a "${sn:-}" = "$N" -a -n "${sh:-}" -a "${sh:-}" = "${kh:-}" ]
}

# segments NAME: "DATA ACKS": data segments the stack received, pure ACKs it sent
segments() {
	tcpdump -r "$T/$1.pcap" -n 2>/dev/null | awk '
		/10\.0\.0\.1\.[0-9]+ > 10\.0\.0\.2\.9000:/ && / length [1-9]/ { d++ }
		/10\.0\.0\.2\.9000 > 10\.0\.0\.1\.[0-9]+:/ && /Flags \[\.\]/ && / length 0/ { a++ }
		END { print d + 0, a + 0 }'
}
# held NAME: what --stats says of ACKs held to the end of a burst (0 if absent)
held() { sed -nE 's/^ *([0-9]+) tcp acks held to the end of a burst$/\1/p' "$T/$1.err" | tail -n 1 | grep . || echo 0; }

transfer plain
transfer burst --ack-burst
read -r pd pa <<<"$(segments plain)"
read -r bd ba <<<"$(segments burst)"
say "without --ack-burst: $pd data segments in, $pa pure ACKs out; held: $(held plain)"
say "with --ack-burst:    $bd data segments in, $ba pure ACKs out; held: $(held burst)"
check "without --ack-burst no ACK is held" [ "$(held plain)" -eq 0 ]
check "with --ack-burst, --stats counts ACKs held to the end of a burst" [ "$(held burst)" -gt 0 ]
check "with --ack-burst, fewer pure ACKs per data segment than without" \
	[ "$pd" -gt 0 -a "$bd" -gt 0 -a $((ba * pd)) -lt $((pa * bd)) ]
finish

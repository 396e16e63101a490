# time-limit: 900
# RACK-TLP (RFC 8985) against the kernel. nftables in this namespace drops 5% of the
# packets at random in both directions (`numgen random mod 100 < 5`: the stack's data
# on its way in from tun0, the kernel's ACKs on their way out to it). The stack's
# source sends T_BYTES (default 20M) to a python sink on the kernel side, with RACK-TLP
# and then with --no-rack: byte exact (length and SHA-256 at both ends) each time, and
# with RACK the counters (--stats) must show it at work (segments deemed lost by RACK,
# tail loss probes). The times and the RTO counts are printed; no timed assertion.
source "$(dirname "$0")/lib.sh"
BYTES=${T_BYTES:-20M}
TMO=${T_TIMEOUT:-400}
case $BYTES in
*k) N=$((${BYTES%k} << 10)) ;;
*M) N=$((${BYTES%M} << 20)) ;;
*) N=$((BYTES)) ;;
esac
net_up
ip addr add 10.0.0.1/24 dev tun0
ip link set tun0 up
nft -f - <<'NFT'
table inet rack {
	chain input {
		type filter hook input priority 0;
		iifname "tun0" numgen random mod 100 < 5 drop
	}
	chain output {
		type filter hook output priority 0;
		oifname "tun0" numgen random mod 100 < 5 drop
	}
}
NFT
rules_in() { nft list table inet rack >/dev/null; }
check "nft: 5% random loss both ways" rules_in

# counter FILE NAME: a counter the stack printed under --stats (0 if absent)
counter() { awk -v n="$2" '{ c = $1; $1 = ""; sub(/^ /, ""); if ($0 == n) v = c } END { print v + 0 }' "$1"; }

# transfer NAME OPTS...: the stack's source -> kernel sink, checked end to end
transfer() {
	local name=$1 rc krc sn sh kn kh; shift
	timeout $((TMO + 10)) python3 - "$TMO" >"$T/$name.ksink" 2>&1 <<'PY' &
import hashlib, socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.0.0.1", 9000)); ls.listen(1); ls.settimeout(float(sys.argv[1]))
print("listening", flush=True)
c, peer = ls.accept()
c.settimeout(float(sys.argv[1]))
t0, h, n = time.monotonic(), hashlib.sha256(), 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
t = time.monotonic() - t0
print("kernel: received %d bytes in %.3f s (%.1f Mbit/s)" % (n, t, n * 8 / t / 1e6 if t else 0))
print(n, h.hexdigest())
PY
	PIDS+=($!); local ksink=$!
	wait_for "$name: the kernel sink" 50 grep -q listening "$T/$name.ksink"
	timeout "$TMO" "$B/source" --msl 1 --stats --log "$T/$name.log" "$@" --bytes "$BYTES" \
		10.0.0.1 >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" -eq 0 ] || kill "$ksink" 2>/dev/null
	wait "$ksink"; krc=$?
	read -r sn sh <<<"$(sed -nE 's/.* sent ([0-9]+) bytes sha256 ([0-9a-f]{64}) in .*/\1 \2/p' "$T/$name.out")"
	read -r kn kh <<<"$(tail -n 1 "$T/$name.ksink")"
	say "$name: $(grep -h '^kernel: ' "$T/$name.ksink"); $(counter "$T/$name.err" "tcp retransmission timeouts") RTOs, $(counter "$T/$name.err" "tcp segments deemed lost by rack") RACK losses, $(counter "$T/$name.err" "tcp tail loss probes sent") TLP probes, $(counter "$T/$name.err" "tcp losses repaired by a tail loss probe") TLP losses, $(counter "$T/$name.err" "tcp retransmissions") retransmissions"
	check "$name: source exits 0" [ "$rc" -eq 0 ]
	check "$name: python sink exits 0" [ "$krc" -eq 0 ]
	check "$name: $N bytes sent and received" [ "${sn:-}" = "$N" -a "${kn:-}" = "$N" ]
	check "$name: the same sha256 both ends" [ -n "${sh:-}" -a "${sh:-}" = "${kh:-}" ]
}

transfer rack
check "rack: segments deemed lost by RACK" [ "$(counter "$T/rack.err" "tcp segments deemed lost by rack")" -gt 0 ]
check "rack: tail loss probes sent" [ "$(counter "$T/rack.err" "tcp tail loss probes sent")" -gt 0 ]
transfer no-rack --no-rack
check "--no-rack: no RACK, no TLP" [ "$(counter "$T/no-rack.err" "tcp segments deemed lost by rack")" -eq 0 -a \
	"$(counter "$T/no-rack.err" "tcp tail loss probes sent")" -eq 0 ]
finish

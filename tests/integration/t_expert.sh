# time-limit: 300
# What Wireshark's expert analysis (`tshark -z expert`) says of the stack as a sender
# (issue 13). A capture on tun0 (the kernel's view of the wire) of 20 MB from the stack's
# `source` to a kernel receiver, (1) on a clean link: the stack retransmits nothing,
# no "ACKed unseen segment", and the stack never fills the kernel's window; (2) through
# the stack's own 2% loss in both directions (a fixed seed): no "ACKed unseen segment",
# and every spurious retransmission tshark finds is one the sender could not have
# avoided (the counts are printed: RTOs and probes after lost ACKs).
source "$(dirname "$0")/lib.sh"
if ! command -v tshark >/dev/null; then
	if [ "${CI:-}" = true ]; then fail "tshark is missing (tests/deps.sh installs it)"; finish; fi
	echo "  SKIP: no tshark (apt-get install tshark)"; exit 0
fi
net_up
ip addr add 10.0.0.1/24 dev tun0

# transfer NAME stack-options...: the capture $T/NAME.pcap and the source's output
transfer() {
	local name=$1; shift
	tcpdump -i tun0 -n -s 128 -w "$T/$name.pcap" 2>"$T/$name.tcpdump" &
	local td=$!
	PIDS+=($td)
	wait_for "tcpdump to listen" 50 grep -q 'listening on' "$T/$name.tcpdump"
	timeout 100 python3 - >"$T/$name.ksink" 2>&1 <<'PY' &
import socket
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.0.0.1", 9000)); ls.listen(1)
print("listening", flush=True)
c, _ = ls.accept(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    n += len(b)
print("kernel: received", n, flush=True)
PY
	local ks=$!
	PIDS+=($ks)
	wait_for "the kernel receiver" 50 grep -q listening "$T/$name.ksink"
	timeout 100 "$B/source" --msl 1 --stats --log "$T/$name.log" "$@" --bytes 20M 10.0.0.1 \
		>"$T/$name.out" 2>"$T/$name.err"
	check "$name: source exits 0" [ $? -eq 0 ]
	wait "$ks"
	check "$name: the kernel received 20971520 bytes" grep -q "received 20971520" "$T/$name.ksink"
	sleep 0.3
	kill -INT "$td" 2>/dev/null; wait "$td" 2>/dev/null
	tshark -r "$T/$name.pcap" -q -z expert >"$T/$name.expert" 2>/dev/null
	sed -n 's/^source: /  source: /p' "$T/$name.out"
}

# count NAME FILTER: how many frames of the capture match a display filter
count() { tshark -r "$T/$1.pcap" -Y "$2" 2>/dev/null | wc -l; }
# stat NAME WORDS: a counter the source printed with --stats (0 when absent)
stat() { local v; v=$(grep -E "^ +[0-9]+ $2\$" "$T/$1.err" | awk '{print $1}'); echo "${v:-0}"; }

transfer clean
warns=$(grep -E 'retransmission|full|unseen|Spurious|spurious' "$T/clean.expert" | sed 's/  */ /g' | paste -sd';' -)
say "clean: tshark's expert warnings about retransmissions, full windows, unseen segments: ${warns:-none}"
check "clean: the stack retransmits nothing" \
	[ "$(count clean 'ip.src==10.0.0.2 && tcp.analysis.retransmission')" -eq 0 ]
check "clean: no ACKed unseen segment" [ "$(count clean 'tcp.analysis.ack_lost_segment')" -eq 0 ]
check "clean: the stack never fills the kernel's window" \
	[ "$(count clean 'ip.src==10.0.0.2 && tcp.analysis.window_full')" -eq 0 ]

transfer lossy --loss 2% --impair-seed 2026 --rcvbuf 1M
rexmt=$(count lossy 'ip.src==10.0.0.2 && tcp.analysis.retransmission')
spurious=$(count lossy 'ip.src==10.0.0.2 && tcp.analysis.spurious_retransmission')
rto=$(stat lossy "tcp retransmission timeouts")
tlp=$(stat lossy "tcp tail loss probes sent")
say "lossy: the stack's retransmissions $rexmt, spurious $spurious; its RTOs $rto, probes $tlp"
check "lossy: no ACKed unseen segment" [ "$(count lossy 'tcp.analysis.ack_lost_segment')" -eq 0 ]
check "lossy: each spurious retransmission is an RTO's or a probe's (after lost ACKs)" \
	[ "$spurious" -le $((rto + tlp)) ]
finish

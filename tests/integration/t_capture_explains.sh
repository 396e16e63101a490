# The capture explains itself, and the log can be read by a program: pingpong-server
# writes its own capture (pcapng by default) while the impairment layer drops its
# first FIN; tshark shows a comment on each packet that caused a transition, on the
# dropped FIN and on its retransmission. The same run's log in JSON (--log-format
# json -v) is one valid object a line, with transitions, segments, the impairment
# and the connection's summary. --pcap-format pcap still writes a classic pcap.
source "$(dirname "$0")/lib.sh"
net_up
# --no-rack: this test is about the RTO's retransmission; with RACK-TLP (the default) the
# lone FIN would come again as a tail loss probe at the RTO's time instead, as on Linux
start_stack pingpong-server --count 2 --linger 100 -v --log-format json --no-rack \
	--rule out:fin#1:drop --impair-seed 1
ping_pong() {
	python3 -c 'import socket
s = socket.create_connection(("10.0.0.2", 1234), timeout=5); s.send(b"ping"); s.recv(9); s.close()'
}
check "a kernel client's ping-pong" ping_pong
sleep 0.6                                           # the FIN again after one RTO
comments=$(tshark -r "$T/stack.pcap" -Y frame.comment -T fields -e frame.comment 2>/dev/null)
echo "$comments" | sed 's/^/    /'
check "tshark: the SYN carries LISTEN -> SYN-RECEIVED" \
	grep -q "^LISTEN -> SYN-RECEIVED (rcvd SYN) \[3.10.7.2\]$" <<<"$comments"
check "tshark: the peer's FIN carries ESTABLISHED -> CLOSE-WAIT" \
	grep -q "^ESTABLISHED -> CLOSE-WAIT (rcvd FIN)" <<<"$comments"
check "tshark: the dropped FIN is in the file, marked as the impairment's" \
	grep -q "^impair out: drop (rule out:fin#1:drop)$" <<<"$comments"
check "tshark: its retransmission says so, with the RTO" \
	grep -qE "^retransmission 1, RTO [0-9]+ ms$" <<<"$comments"
tcpdump_reads() { tcpdump -r "$T/stack.pcap" -n -c 1 >/dev/null 2>&1; }
check "tcpdump reads the pcapng too" tcpdump_reads
check "the log: every line is one JSON object" python3 - "$T/stack.log" <<'PY'
import json, sys
kinds = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    kinds[o["kind"]] = o
for k in ("state", "segment", "impair", "summary", "timer"):
    assert k in kinds, "no %s line" % k
s = kinds["summary"]
assert s["how"].startswith("the peer closed first"), s["how"]
assert s["rexmt_timeout"] == 1 and s["bytes_in"] == 4 and s["bytes_out"] == 4, s
print("  kinds:", " ".join(sorted(kinds)))
PY
kill "$STACK"; wait "$STACK" 2>/dev/null
"$B/pingpong-server" --count 1 --pcap "$T/classic.pcap" --pcap-format pcap >/dev/null 2>&1 &
PIDS+=($!); C=$!
wait_for "the second server" 50 tun_ready
check "a second ping-pong" ping_pong
wait "$C"
check "--pcap-format pcap: a classic pcap (magic a1b2c3d4)" \
	[ "$(od -An -tx4 -N4 "$T/classic.pcap" | tr -d ' ')" = a1b2c3d4 ]
finish

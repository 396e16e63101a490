# build/ladder on fresh runs: a kernel client with the stack's server (the stack's own
# pcapng and log, then tcpdump's capture of tun0 with the same log), and the stack's
# client whose first FIN the link drops. Each ladder must show both ends, each end's
# states in the order RFC 9293 says, the dropped FIN stopping half-way and coming again,
# and an SVG that parses as XML. With tracefs, kernel-states gives the kernel's column.
source "$(dirname "$0")/lib.sh"

STATE_RE='^(CLOSED|LISTEN|SYN-SENT|SYN-RECEIVED|ESTABLISHED|FIN-WAIT-1|FIN-WAIT-2|CLOSE-WAIT|CLOSING|LAST-ACK|TIME-WAIT)$'

# column A|B FILE: that end's states down the ladder, repeats folded: "CLOSED SYN-SENT ..."
column() {
	awk -v col="$1" -v re="$STATE_RE" '/^ *[0-9]+\. / {
		n = 0; for (i = 2; i <= NF && n < 2; i++) if ($i ~ re) { n++; st[n] = $i }
		s = col == "A" ? st[1] : st[2]
		if (n == 2 && s != last) { printf "%s%s", sep, s; sep = " "; last = s }
	} END { print "" }' "$2"
}
expect_column() { # expect_column "what" A|B FILE "STATES" (an ERE)
	local got; got=$(column "$2" "$3")
	if [[ $got =~ ^$4$ ]]; then say "ok: $1: $got"; else fail "$1: got \"$got\", want \"$4\""; fi
}

net_up
KLOG=()
"$B/kernel-states" -o "$T/kernel.log" --ready "$T/kernel.ready" 2>"$T/kernel.err" &
KS=$!; PIDS+=($KS)
for _ in $(seq 50); do [ -e "$T/kernel.ready" ] || ! kill -0 $KS 2>/dev/null && break; sleep 0.1; done
if [ -e "$T/kernel.ready" ]; then KLOG=(--log "$T/kernel.log"); say "kernel-states is tracing";
else say "kernel-states: $(cat "$T/kernel.err"): the kernel's column is inferred"; fi
tcpdump -i tun0 -n --immediate-mode -U -w "$T/tun0.cap" 2>"$T/tcpdump.err" &
PIDS+=($!); TCPDUMP=$!
wait_for "tcpdump to listen" 50 grep -q 'listening on' "$T/tcpdump.err"

# 1. A kernel client, the stack's server (it closes 300 ms after the client did).
"$B/pingpong-server" --msl 1 --linger 300 --count 1 --log "$T/server.log" --pcap "$T/server.pcapng" \
	>"$T/server.out" 2>&1 &
SERVER=$!; PIDS+=($SERVER)
wait_for "pingpong-server to configure tun0" 50 tun_ready
wait_for "pingpong-server to listen" 50 grep -q listening "$T/server.out"
python3 -c 'import socket; s=socket.create_connection(("10.0.0.2",1234)); s.send(b"ping"); s.recv(9); s.close()'
wait "$SERVER"
sleep 0.3
"$B/ladder" "$T/server.pcapng" --log "$T/server.log" "${KLOG[@]}" --svg "$T/server.svg" >"$T/server.txt" 2>&1
check "ladder of the stack's own capture: status 0" [ $? -eq 0 ]
check "header: the kernel's client is A, the stack (tuntcp) B" \
	grep -Eq 'TCP A  10\.0\.0\.1:[0-9]+ \((inferred|kernel, then inferred)\) +TCP B  10\.0\.0\.2:1234 \(tuntcp\)' "$T/server.txt"
expect_column "kernel client (A)" A "$T/server.txt" "CLOSED SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT"
expect_column "stack server (B)" B "$T/server.txt" "LISTEN SYN-RECEIVED ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED"
check "the server's CLOSE is written above its FIN" grep -Eq '^ {40,}\(CLOSE\)$' "$T/server.txt"
arrows=$(grep -Ec '^ *[0-9]+\. .*(-->|<--)' "$T/server.txt")
check "the SVG parses as XML: two ends and one line per arrow ($arrows)" python3 - "$T/server.svg" "$arrows" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
lines = root.findall("{http://www.w3.org/2000/svg}line")
sys.exit(0 if root.tag.endswith("svg") and len(lines) == int(sys.argv[2]) + 2 else 1)
PY

# 2. The stack's client, a kernel server; the link drops the stack's first FIN.
ip addr add 10.0.0.1/24 dev tun0 2>/dev/null
python3 - "$T/listening" >"$T/kserver.out" 2>&1 <<'PY' &
import socket, sys, time
ls = socket.create_server(("10.0.0.1", 5000)); open(sys.argv[1], "w").close()
c, _ = ls.accept(); c.send(c.recv(9).replace(b"i", b"o")); c.recv(9)
time.sleep(0.2); c.close(); time.sleep(0.5)
PY
PIDS+=($!)
wait_for "the kernel server" 50 test -e "$T/listening"
# --no-rack: the FIN comes again after the RTO (RACK-TLP would send it as a probe then)
"$B/pingpong-client" --msl 1 --log "$T/client.log" --pcap "$T/client.pcapng" --no-rack --rule out:fin#1:drop \
	10.0.0.1 5000 >"$T/client.out" 2>&1
check "pingpong-client exits 0" [ $? -eq 0 ]
stop_tcpdump
"$B/ladder" "$T/client.pcapng" --log "$T/client.log" "${KLOG[@]}" >"$T/client.txt" 2>&1
check "ladder of the client's capture: status 0" [ $? -eq 0 ]
expect_column "stack client (A)" A "$T/client.txt" "CLOSED SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT CLOSED"
# (Linux keeps a half-open connection as a request, not a socket: kernel-states logs
# LISTEN -> SYN-RECEIVED -> ESTABLISHED together, when the handshake's ACK arrives)
expect_column "kernel server (B)" B "$T/client.txt" "LISTEN (SYN-RECEIVED )?ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED"
check "the dropped FIN stops half-way, with the rule's note" \
	grep -Eq 'FIN-WAIT-1 +--> <SEQ=5><ACK=5><CTL=FIN,ACK> X +ESTABLISHED +impair out: drop \(rule out:fin#1:drop\)' "$T/client.txt"
check "then comes again as a retransmission" \
	grep -Eq 'FIN-WAIT-1 +--> <SEQ=5><ACK=5><CTL=FIN,ACK> +--> CLOSE-WAIT +retransmission' "$T/client.txt"
check "TIME-WAIT ends on its own row, 2*MSL later" grep -Eq '^ +\(2\*MSL timeout\)$' "$T/client.txt"

# 3. tcpdump's view of both runs with the stacks' logs: the same states, two ladders.
"$B/ladder" "$T/tun0.cap" --log "$T/server.log" --log "$T/client.log" >"$T/tun0.txt" 2>&1
check "ladder of tun0's capture: status 0, two connections" grep -q '^Connection 2 of 2: ' "$T/tun0.txt"
awk '/^Connection 2 of 2/ { exit } { print }' "$T/tun0.txt" >"$T/tun0-1.txt"
awk '/^Connection 2 of 2/ { on = 1 } on' "$T/tun0.txt" >"$T/tun0-2.txt"
expect_column "tun0, server run (B)" B "$T/tun0-1.txt" "LISTEN SYN-RECEIVED ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED"
expect_column "tun0, client run (A)" A "$T/tun0-2.txt" "CLOSED SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT CLOSED"
check "tun0 never saw the dropped FIN: drawn from the note" \
	grep -q 'X .*impair out: drop (rule out:fin#1:drop)' "$T/tun0-2.txt"
finish

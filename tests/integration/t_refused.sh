# Connection refused, both ways: the kernel connecting to a closed port of the
# stack gets ECONNREFUSED (the stack's RST,ACK per RFC 9293 3.10.7.1), and the
# stack connecting to a closed kernel port reports "connect: Connection refused".
source "$(dirname "$0")/lib.sh"
net_up
start_tcpdump
start_stack pingpong-server --count 1
out=$(python3 -c '
import socket
try:
    socket.create_connection(("10.0.0.2", 4321), timeout=5); print("connected")
except ConnectionRefusedError: print("refused")
except Exception as e: print(e)')
check "kernel -> closed stack port: ECONNREFUSED" [ "$out" = refused ]
kill "$STACK"; wait "$STACK" 2>/dev/null
"$B/pingpong-client" --msl 1 --log "$T/client.log" 10.0.0.1 5999 >"$T/c.out" 2>"$T/c.err"; rc=$?
check "stack -> closed kernel port: exit status non-zero" [ "$rc" -ne 0 ]
check "stack -> closed kernel port: 'connect: Connection refused'" grep -qx "connect: Connection refused" "$T/c.err"
check "log: SYN-SENT -> CLOSED (rcvd RST)" grep -q "SYN-SENT -> CLOSED (rcvd RST) \[3.10.7.3\]" "$T/client.log"
stop_tcpdump
check "the stack answered the SYN with RST,ACK" grep -qE '10\.0\.0\.2\.4321 > 10\.0\.0\.1\.[0-9]+: Flags \[R\.\], .*seq 0, ack [0-9]+' "$T/tcpdump.txt"
check "every checksum the stack sent is correct" checksums_correct
finish

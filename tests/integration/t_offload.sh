# --offload (IFF_VNET_HDR, TUN_F_TSO4, TUN_F_CSUM): the kernel hands the stack TCP
# segments of up to 64 KiB with their checksums left to it, and takes the stack's
# back-to-back segments as one (gso.c). 20 MB kernel -> sink --offload --rcvbuf 1M
# arrive intact (SHA-256) and the log shows segments longer than the MSS; source
# --offload -> kernel is intact too, and tcpdump on tun0 shows TSO frames from the
# stack; ping still works; rates printed.
source "$(dirname "$0")/lib.sh"
net_up
send20() { # kernel -> stack: 20 MB, prints "SHA RATE"
	python3 - <<'PY'
import hashlib, os, socket, time
data = os.urandom(20 << 20)
s = socket.create_connection(("10.0.0.2", 9000), timeout=30)
t = time.monotonic(); s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(1)
print(hashlib.sha256(data).hexdigest(), "%.0f" % (len(data) * 8 / (time.monotonic() - t) / 1e6))
PY
}
for mode in "" "--offload"; do
	start_stack sink --count 1 --rcvbuf 1M -v $mode
	wait_for "sink to listen" 50 grep -q listening "$T/app.out"
	read -r want rate < <(send20)
	wait "$STACK"
	say "kernel -> sink ${mode:-(no offload)}: $rate Mbit/s"
	check "kernel -> sink ${mode:-(no offload)}: 20 MB intact" grep -q "received 20971520 bytes sha256 $want" "$T/app.out"
	big=$(grep -cE ' in  IP 10\.0\.0\.1\.[0-9]+ > 10\.0\.0\.2\.9000: .*length ([2-9][0-9]{3}|[0-9]{5})$' "$T/stack.log")
	if [ -n "$mode" ]; then
		check "--offload: $big segments longer than 1460 bytes arrived (TSO)" [ "$big" -gt 0 ]
		check "--offload: no TCP checksum drop" bash -c "! grep -q 'drop (tcp checksum)' '$T/stack.log'"
	else
		check "without it: none longer than 1460 ($big)" [ "$big" -eq 0 ]
	fi
	mv "$T/stack.log" "$T/stack${mode:+-offload}.log"
done
nc -l 10.0.0.1 9001 | sha256sum >"$T/nc.sha" &
PIDS+=($!); NC=$!
wait_for "nc -l on the kernel side" 50 bash -c "ss -ltnH 'sport = :9001' | grep -q ."
tcpdump -i tun0 -n -s 80 -w "$T/out.pcap" 2>"$T/tcpdump.err" &
PIDS+=($!); TD=$!
wait_for "tcpdump to listen" 50 grep -q 'listening on' "$T/tcpdump.err"
"$B/source" --offload -v --msl 1 --bytes 5M 10.0.0.1 9001 >"$T/source.out" 2>"$T/source.err"
wait "$NC"
sleep 0.3; kill -INT "$TD"; wait "$TD" 2>/dev/null
check "source --offload -> kernel: 5 MB intact" bash -c \
	"grep -q \"sha256 \$(cut -d' ' -f1 '$T/nc.sha') \" '$T/source.out'"
big=$(tcpdump -n -r "$T/out.pcap" 2>/dev/null |
	grep -cE '^.* IP 10\.0\.0\.2\.[0-9]+ > 10\.0\.0\.1\.9001: .*length ([2-9][0-9]{3}|[0-9]{5})$')
check "source --offload: the kernel got $big TSO frames from the stack (segments merged)" [ "$big" -gt 0 ]
check "  ... while the stack's own log has none longer than the MSS" bash -c \
	"! grep -qE ' out IP 10\.0\.0\.2\.[0-9]+ > 10\.0\.0\.1\.9001: .*length ([2-9][0-9]{3}|[0-9]{5})' '$T/source.err'"
start_stack sink --offload --count 1
check "ping with --offload" bash -c "ping -c 2 -W 2 10.0.0.2 >/dev/null"
finish

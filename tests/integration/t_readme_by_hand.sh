# The README's "Running the pieces by hand", typed as a student types it: the shell
# `make shell` gives (tun0 up and addressed first), pingpong-server with its log and
# pcap, ping, the python client, the merged view; then the other direction, a python
# server binding 10.0.0.1 before the stack's client runs. Each step must work as written.
source "$(dirname "$0")/lib.sh"
ip link set lo up
ip tuntap add dev tun0 mode tun && ip addr add 10.0.0.1/24 dev tun0 && ip link set tun0 up
cd "$T" || exit 1
"$B/pingpong-server" --count 1 --log stack.log --pcap stack.pcap >server.out 2>&1 &
PIDS+=($!); SRV=$!
wait_for "pingpong-server" 50 grep -q "listening on" server.out
pings() { ping -c 2 -W 2 10.0.0.2 >/dev/null; }
check "ping: the stack answers ICMP echo" pings
out=$(python3 -c 'import socket; s=socket.create_connection(("10.0.0.2",1234)); s.send(b"ping"); print(s.recv(9)); s.close()')
check "the python client prints b'pong'" [ "$out" = "b'pong'" ]
wait "$SRV"
sort -m stack.log <(tcpdump -n -S -r stack.pcap 2>/dev/null) >merged.txt
check "the merged view has the transitions and the segments" \
	grep -q "LAST-ACK -> CLOSED" merged.txt
python3 -c 'import socket; l=socket.create_server(("10.0.0.1",5000)); c,_=l.accept(); c.send(c.recv(9).replace(b"i",b"o")); c.recv(9); c.close()' &
PIDS+=($!)
wait_for "the kernel's server" 50 bash -c "ss -ltnH 'sport = :5000' | grep -q ."
out=$("$B/pingpong-client" --msl 1 10.0.0.1 5000 2>client.err); rc=$?
check "pingpong-client prints pong and exits 0" [ "$rc" -eq 0 -a "$out" = pong ]
finish

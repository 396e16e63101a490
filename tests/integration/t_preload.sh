# Unmodified programs on the stack (build/tuntcp-run, build/libtuntcp.so): the seed's
# PHP server and client both ways, curl against python3 -m http.server (headers and a
# 10 MB file by SHA-256), nc both ways (10 MB each), socat as an echo server, what
# goes wrong said plainly (a missing program: 127; an IPv6-only server: how to bind).
# t_preload_calls.sh checks the calls one by one (epoll, fork, SO_ERROR, SO_LINGER).
# time-limit: 240
source "$(dirname "$0")/lib.sh"
for tool in php socat curl nc; do
	command -v $tool >/dev/null || { echo "  $tool not installed (tests/deps.sh installs it)"; exit 77; }
done
php -m | grep -q '^sockets$' || { echo "  php has no sockets extension"; exit 77; }
net_up
RUN="$B/tuntcp-run --msl 1"
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# on_stack NAME PROGRAM...: in the background on the stack, its log, pcap and output in $T
on_stack() {
	local name=$1; shift
	$RUN --log "$T/$name.log" --pcap "$T/$name.pcap" -- "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PIDS+=($!); LAST=$!
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
listening_on() { grep -q "$1 > \*:\* CLOSED -> LISTEN" "$2"; }

# --- the seed's PHP server on the stack, its client on the kernel side ---
cat >"$T/server.php" <<'EOF'
<?php

$server = socket_create(AF_INET, SOCK_STREAM, 0);
socket_bind($server, '0.0.0.0', 1234);
socket_listen($server, 5);

while (1) {
    $connectSocket = socket_accept($server);
    echo "从客户端收到了数据：" . socket_read($connectSocket, 1024) . PHP_EOL;
    socket_write($connectSocket, 'pong', 4);
    sleep(2);
    socket_close($connectSocket);
}
EOF
client_php() { # the seed's client, with our address for the seed's server's
	sed "s/115.159.111.235/$1/" <<'EOF'
<?php

$client = socket_create(AF_INET, SOCK_STREAM, 0);

if (socket_connect($client, '115.159.111.235', 1234)) {
    socket_write($client, 'ping', 4);
    echo "从服务端收到了数据：" . socket_read($client, 1024) . PHP_EOL;
}

socket_close($client);
EOF
}
client_php 10.0.0.2 >"$T/client-to-stack.php"
client_php 10.0.0.1 >"$T/client-to-kernel.php"

on_stack php-server php "$T/server.php"
PHPS=$LAST
wait_for "the PHP server to listen on the stack" 100 listening_on '10.0.0.2:1234' "$T/php-server.log"
start_tcpdump
timeout 10 php "$T/client-to-stack.php" >"$T/php-client.out" 2>&1
sed 's/^/    kernel-side client: /' "$T/php-client.out"
check "PHP client (kernel) got pong from the PHP server on the stack" grep -q 'pong' "$T/php-client.out"
wait_for "the server's close after its sleep(2)" 50 grep -q 'LAST-ACK -> CLOSED' "$T/php-server.log"
stop_tcpdump
stop "$PHPS"
sed -n 's/^[0-9:.]* //p' "$T/php-server.log" | grep -v summary | sed 's/^/    stack: /'
check "server log: ping received, then both closes (the client first: CLOSE-WAIT, LAST-ACK)" bash -c "
	grep -q 'ping' '$T/php-server.out' &&
	grep -q 'ESTABLISHED -> CLOSE-WAIT (rcvd FIN)' '$T/php-server.log' &&
	grep -q 'CLOSE-WAIT -> LAST-ACK (CLOSE)' '$T/php-server.log' &&
	grep -q 'LAST-ACK -> CLOSED (rcvd ACK of FIN)' '$T/php-server.log'"
# the README's sample of this log (its transitions; times and the client's port vary)
strip() { sed -n -E 's/^[0-9:.]+ //; s/(10\.0\.0\.1):[0-9]+/\1:PORT/; /summary:/!p' "$@"; }
awk '/<!-- preload-php-sample/ { on = 1; next } on && /^```/ { if (++fence == 2) exit; next } on' \
	"$TOP/README.md" >"$T/readme-sample.txt"
check "the README's sample of the PHP server's log is what this run logged" bash -c \
	"[ -s '$T/readme-sample.txt' ] && diff <(strip '$T/readme-sample.txt') <(strip '$T/php-server.log') &&
	 grep -q 'summary: the peer closed first, four-way;' '$T/readme-sample.txt' &&
	 grep -q 'summary: the peer closed first, four-way;' '$T/php-server.log'"
check "the capture has the seed's shape: SYN, SYN-ACK, ACK, ping, pong, FIN from the client, FIN from the server 2 s later" \
	python3 - "$T/tcpdump.txt" <<'EOF'
import re, sys
flags = [m.group(1) for m in re.finditer(r'Flags \[([^\]]*)\]', open(sys.argv[1]).read())]
# SYN, SYN-ACK, ACK; ping [P.] and its ACK; pong [P.] and its ACK; the client's FIN, ACK;
# the server's FIN, ACK (the ACKs may be delayed or piggybacked: check the order of the rest)
want = ['S', 'S.', 'P.', 'P.', 'F.', 'F.']
got = [f for f in flags if f in ('S', 'S.', 'P.', 'F.', 'FP.')]
print("    flags:", " ".join(flags))
sys.exit(0 if got == want else 1)
EOF

# --- the PHP server on the kernel side, the seed's client on the stack ---
sed "s/'0.0.0.0'/'10.0.0.1'/" "$T/server.php" >"$T/server-kernel.php"
php "$T/server-kernel.php" >"$T/php-kserver.out" 2>&1 &
PIDS+=($!); PHPK=$!
wait_for "the PHP server on the kernel side" 50 bash -c "ss -ltnH 'sport = :1234' | grep -q ."
timeout 10 $RUN --log "$T/php-client.log" -- php "$T/client-to-kernel.php" >"$T/php-sclient.out" 2>&1
sed 's/^/    stack-side client: /' "$T/php-sclient.out"
check "PHP client on the stack got pong from the kernel's PHP server" grep -q 'pong' "$T/php-sclient.out"
check "client log: it closed first (FIN-WAIT-1 ...) and the program waited for the close" \
	grep -q 'ESTABLISHED -> FIN-WAIT-1 (CLOSE)' "$T/php-client.log"
stop "$PHPK"

# --- python3 -m http.server on the stack, curl on the kernel side ---
mkdir -p "$T/www"
head -c 10000000 /dev/urandom >"$T/www/big.bin"
(cd "$T/www" && exec $RUN --log "$T/http.log" -- python3 -m http.server 8000 --bind 10.0.0.2) \
	>"$T/http.out" 2>&1 &
PIDS+=($!); HTTP=$!
wait_for "http.server on the stack" 100 grep -q 'Serving HTTP on 10.0.0.2' "$T/http.out"
curl -sS -I http://10.0.0.2:8000/big.bin >"$T/head.txt" 2>&1
tr -d '\r' <"$T/head.txt" | sed 's/^/    /'
check "curl -I: 200 and Content-Length 10000000" bash -c \
	"tr -d '\r' <'$T/head.txt' | grep -q '^HTTP/1.0 200 OK' && tr -d '\r' <'$T/head.txt' | grep -qi '^Content-length: 10000000'"
curl -sS -o "$T/big.got" -w '%{speed_download}\n' http://10.0.0.2:8000/big.bin >"$T/speed.txt"
say "curl GET 10 MB: $(awk '{ printf "%.0f Mbit/s", $1 * 8 / 1e6 }' "$T/speed.txt")"
check "curl GET: 10 MB intact (SHA-256)" [ "$(sha "$T/www/big.bin")" = "$(sha "$T/big.got")" ]
stop "$HTTP"

# --- the library alone, configured by the environment: curl on the stack ---
(cd "$T/www" && exec python3 -m http.server 8080 --bind 10.0.0.1) >"$T/khttp.out" 2>&1 &
PIDS+=($!); KHTTP=$!
wait_for "http.server on the kernel side" 50 bash -c "ss -ltnH 'sport = :8080' | grep -q ."
LD_PRELOAD=$B/libtuntcp.so TUNTCP_IP=10.0.0.2 TUNTCP_MSL=1 TUNTCP_LOG=$T/env.log \
	TUNTCP_PCAP=$T/env.pcap TUNTCP_VERBOSE=1 curl -sS -o "$T/env.got" http://10.0.0.1:8080/big.bin
check "LD_PRELOAD + TUNTCP_*: curl on the stack fetches 10 MB intact" \
	[ "$(sha "$T/www/big.bin")" = "$(sha "$T/env.got")" ]
check "  ... its log has the transitions and (TUNTCP_VERBOSE=1) the segments" bash -c \
	"grep -q 'CLOSED -> SYN-SENT' '$T/env.log' && grep -q ' out .*Flags \[S\]' '$T/env.log'"
check "  ... and its pcap the connection (tcpdump reads it)" bash -c \
	"tcpdump -n -r '$T/env.pcap' 2>/dev/null | grep -q '10.0.0.2.* > 10.0.0.1.8080: Flags \[S\]'"
stop "$KHTTP"

# --- nc both ways, 10 MB each ---
head -c 10000000 /dev/urandom >"$T/ten.bin"
on_stack nc-listen nc -l 10.0.0.2 5001
NCL=$LAST
wait_for "nc -l on the stack" 100 listening_on '10.0.0.2:5001' "$T/nc-listen.log"
timeout 30 nc -N 10.0.0.2 5001 <"$T/ten.bin"
wait "$NCL"
check "kernel nc -> nc -l on the stack: 10 MB intact" [ "$(sha "$T/ten.bin")" = "$(sha "$T/nc-listen.out")" ]
nc -l 10.0.0.1 5002 >"$T/nc-kernel.out" &
PIDS+=($!); NCK=$!
wait_for "nc -l on the kernel side" 50 bash -c "ss -ltnH 'sport = :5002' | grep -q ."
timeout 30 $RUN --log "$T/nc-send.log" -- nc -N 10.0.0.1 5002 <"$T/ten.bin"
wait "$NCK"
check "nc on the stack -> kernel nc -l: 10 MB intact" [ "$(sha "$T/ten.bin")" = "$(sha "$T/nc-kernel.out")" ]

# --- socat as an echo server on the stack (a child per connection: fork) ---
on_stack socat socat TCP-LISTEN:7,bind=10.0.0.2,reuseaddr,fork EXEC:cat
SOCAT=$LAST
wait_for "socat on the stack" 100 listening_on '10.0.0.2:7' "$T/socat.log"
check "socat echoes 100 KB, on 3 connections one after another" python3 - <<'EOF'
import os, socket
for i in range(3):
    data = os.urandom(100000)
    s = socket.create_connection(("10.0.0.2", 7), timeout=10)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while chunk := s.recv(65536):
        got += chunk
    s.close()
    assert got == data, (i, len(got))
EOF
stop "$SOCAT"

# --- what goes wrong, said plainly ---
$RUN -- no-such-program-xyz >"$T/missing.out" 2>&1
rc=$?
check "a program that cannot be found: exit 127 and its name" bash -c \
	"[ $rc -eq 127 ] && grep -q 'no-such-program-xyz: command not found' '$T/missing.out'"
(cd "$T/www" && exec timeout 5 $RUN -- python3 -m http.server 8001 --bind ::) >"$T/v6.out" 2>&1
sed -n 's/^tuntcp: /    tuntcp: /p' "$T/v6.out"
check "an IPv6 server is told how to bind to the stack instead" \
	grep -q 'IPv6 TCP socket.*stays with the Linux kernel.*--bind 10.0.0.2' "$T/v6.out"
finish

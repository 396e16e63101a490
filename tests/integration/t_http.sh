# HTTP over the stack, both ways. (1) http-server on the stack, curl and nc on the
# kernel side: HEAD (curl -I) with its headers, a 1 MB GET compared by SHA-256, two
# URLs in one curl on one connection (keep-alive: one SYN, the access log shows one
# client port twice), 404, 405 and 400 (printf | nc), no path out of --root. (2)
# http-client on the stack against python3 -m http.server on the kernel side: the
# body's SHA-256, the server closing first (HTTP/1.0), and a 404.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "  curl not installed"; exit 77; }
net_up
ip addr add 10.0.0.1/24 dev tun0
start_tcpdump
WWW=$T/www
mkdir -p "$WWW/sub" "$T/kernel"
printf '<h1>tuntcp</h1>\n' >"$WWW/index.html"
printf 'sub\n' >"$WWW/sub/index.html"
head -c 1048576 /dev/urandom >"$WWW/big.bin"
echo secret >"$T/outside.txt"

# (1) the stack as the server
start_stack http-server --root "$WWW"
wait_for "http-server to listen" 50 grep -q 'serving' "$T/app.out"
curl -sS -I http://10.0.0.2/ >"$T/head.txt" 2>&1
tr -d '\r' <"$T/head.txt" | sed 's/^/    /'
check "HEAD: 200, Content-Length 16, Content-Type text/html, keep-alive" bash -c \
	"tr -d '\r' <'$T/head.txt' | grep -q '^HTTP/1.1 200 OK' &&
	 tr -d '\r' <'$T/head.txt' | grep -q '^Content-Length: 16$' &&
	 tr -d '\r' <'$T/head.txt' | grep -q '^Content-Type: text/html' &&
	 tr -d '\r' <'$T/head.txt' | grep -q '^Connection: keep-alive$'"
curl -sS -o "$T/big.got" http://10.0.0.2/big.bin
want=$(sha256sum <"$WWW/big.bin" | cut -d' ' -f1)
got=$(sha256sum <"$T/big.got" | cut -d' ' -f1)
say "1 MB: sha256 served $want, received $got"
check "GET: 1 MB intact" [ "$want" = "$got" ]
curl -sS -v http://10.0.0.2/index.html http://10.0.0.2/sub/ >"$T/two.out" 2>"$T/two.err"
check "keep-alive: curl re-used its connection for the second URL" \
	grep -q 'Re-using existing connection' "$T/two.err"
ports=$(grep -E '"GET /(index.html|sub/) HTTP/1.1" 200' "$T/app.out" | cut -d' ' -f1 | sort -u | wc -l)
check "keep-alive: both requests came from one client port (access log)" [ "$ports" -eq 1 ]
check "both bodies arrived" bash -c "[ \"\$(cat '$T/two.out')\" = \"\$(printf '<h1>tuntcp</h1>\nsub')\" ]"
printf 'GET /nothere HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n' |
	timeout 10 nc -N 10.0.0.2 80 >"$T/404.txt"
check "404 for a missing file, then the server closes" bash -c \
	"head -n1 '$T/404.txt' | grep -q '^HTTP/1.1 404 ' && grep -q '^Connection: close' '$T/404.txt'"
printf 'GET /../outside.txt HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n' |
	timeout 10 nc -N 10.0.0.2 80 >"$T/up.txt"
check "a path out of --root is not served (404)" bash -c \
	"head -n1 '$T/up.txt' | grep -q '^HTTP/1.1 404 ' && ! grep -q secret '$T/up.txt'"
printf 'DELETE / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n' | timeout 10 nc -N 10.0.0.2 80 >"$T/405.txt"
check "405 with Allow: GET, HEAD for another method" bash -c \
	"head -n1 '$T/405.txt' | grep -q '^HTTP/1.1 405 ' && grep -q '^Allow: GET, HEAD' '$T/405.txt'"
printf 'hello there\r\n\r\n' | timeout 10 nc -N 10.0.0.2 80 >"$T/400.txt"
check "400 for a bad request line" grep -q '^HTTP/1.1 400 ' "$T/400.txt"
printf 'GET / HTTP/1.1\r\n\r\n' | timeout 10 nc -N 10.0.0.2 80 >"$T/400host.txt"
check "400 for HTTP/1.1 without Host" grep -q '^HTTP/1.1 400 ' "$T/400host.txt"
sed 's/^/    /' "$T/app.out"
kill "$STACK"; wait "$STACK" 2>/dev/null

# (2) the stack as the client of a kernel server
head -c 300000 /dev/urandom >"$T/kernel/file.bin"
(cd "$T/kernel" && exec python3 -m http.server --bind 10.0.0.1 8000 >"$T/pyhttp.out" 2>&1) &
PIDS+=($!)
wait_for "python's http.server" 50 bash -c "ss -ltnH 'sport = :8000' | grep -q ."
timeout 20 "$B/http-client" --msl 1 --log "$T/client.log" -o "$T/file.got" \
	http://10.0.0.1:8000/file.bin >"$T/client.out" 2>"$T/client.err"
rc=$?
sed 's/^/    /' "$T/client.out" "$T/client.err"
want=$(sha256sum <"$T/kernel/file.bin" | cut -d' ' -f1)
check "http-client: exit 0, the body's sha256 printed and saved intact" bash -c \
	"[ $rc -eq 0 ] && grep -q 'status 200, body 300000 bytes sha256 $want' '$T/client.out' &&
	 [ \"\$(sha256sum <'$T/file.got' | cut -d' ' -f1)\" = $want ]"
check "http-client: the HTTP/1.0 server closed first (the stack went CLOSE-WAIT -> LAST-ACK)" \
	grep -q 'summary: the peer closed first' "$T/client.log"
timeout 20 "$B/http-client" --msl 1 --log "$T/client404.log" http://10.0.0.1:8000/nothere \
	>"$T/client404.out" 2>&1
check "http-client: a 404 is a complete response (exit 0)" grep -q '^http-client: status 404' "$T/client404.out"
stop_tcpdump
check "tcpdump: every checksum the stack sent is correct" checksums_correct
finish

/* http-client - the stack as an HTTP/1.1 client (RFC 9110, RFC 9112): one GET of
 * http://ADDR[:PORT]/PATH, e.g. of `python3 -m http.server` on the kernel side.
 * Prints the status line and the header fields as they came, then the body's size
 * and SHA-256 (or saves the body with -o FILE). The body is framed as RFC 9112 6.3
 * says: chunked transfer coding, else Content-Length, else until the server closes.
 * When the server says it will close (HTTP/1.0 without keep-alive, or
 * `Connection: close`), the client waits for its FIN before closing, so the server
 * closes first and holds the TIME-WAIT; otherwise the client closes first.
 * Exit status 0 on a complete response (any status code), 1 on a failure. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "net.h"
#include "sha256.h"

#define BUF_SIZE 65536

/* The response as it is read: bytes received and not yet used sit in buf. */
struct response {
	struct net *n;
	int fd;
	char buf[BUF_SIZE];
	size_t len;
	bool eof;
	/* from the head */
	int status;
	bool chunked, server_closes;
	long long content_length;        /* -1: none */
	/* the body */
	unsigned long long body_len;
	struct sha256 hash;
	FILE *out;                       /* -o FILE, or NULL */
};

/* "http://10.0.0.1:8000/dir/file" -> addr, port (80), path ("/"). */
static int parse_url(const char *url, uint32_t *addr, unsigned long *port, const char **path)
{
	char host[32];
	const char *h = url + 7, *end;
	size_t hl;

	if (strncmp(url, "http://", 7))
		return -1;
	end = h + strcspn(h, ":/");
	hl = (size_t)(end - h);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = 0;
	if (net_parse_addr(host, addr))
		return -1;
	*port = 80;
	if (*end == ':') {
		char num[8];
		size_t nl = strcspn(end + 1, "/");
		if (nl == 0 || nl >= sizeof(num))
			return -1;
		memcpy(num, end + 1, nl);
		num[nl] = 0;
		if (net_parse_uint(num, 65535, port) || !*port)
			return -1;
		end += 1 + nl;
	}
	*path = *end ? end : "/";
	return 0;
}

/* More bytes into r->buf. 1: some came; 0: the server closed; -1: an error. */
static int fill(struct response *r)
{
	ssize_t got;

	if (r->eof || r->len == sizeof(r->buf))
		return 0;
	got = net_recv(r->n, r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
	if (got < 0) {
		fprintf(stderr, "http-client: recv: %s\n", strerror((int)-got));
		return -1;
	}
	r->eof = got == 0;
	r->len += (size_t)got;
	return got > 0;
}

static void consume(struct response *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

/* One header field of the response: what frames the body, and who closes. */
static void parse_header(struct response *r, const char *line)
{
	const char *v = strchr(line, ':');

	if (!v)
		return;
	for (v++; *v == ' '; v++)
		;
	if (!strncasecmp(line, "Content-Length:", 15))
		r->content_length = atoll(v);
	else if (!strncasecmp(line, "Transfer-Encoding:", 18))
		r->chunked = strcasestr(v, "chunked") != NULL;
	else if (!strncasecmp(line, "Connection:", 11) && strcasestr(v, "close"))
		r->server_closes = true;
	else if (!strncasecmp(line, "Connection:", 11) && strcasestr(v, "keep-alive"))
		r->server_closes = false;
}

/* Read the status line and the header fields, print them, take what they say. */
static int read_head(struct response *r)
{
	char *end, *line, *save;
	int f;

	while (!(end = memmem(r->buf, r->len, "\r\n\r\n", 4)))
		if ((f = fill(r)) <= 0) {
			if (f == 0)
				fprintf(stderr, "http-client: the server closed before a whole response head\n");
			return -1;
		}
	*end = 0;
	fputs(r->buf, stdout);
	fputs("\n\n", stdout);
	line = strtok_r(r->buf, "\r\n", &save);
	if (!line || sscanf(line, "HTTP/1.%*d %d", &r->status) != 1) {
		fprintf(stderr, "http-client: not an HTTP/1.x status line: %.60s\n", line ? line : "");
		return -1;
	}
	r->server_closes = !strncmp(line, "HTTP/1.0", 8);   /* RFC 9112 9.3 */
	r->content_length = -1;
	while ((line = strtok_r(NULL, "\r\n", &save)))
		parse_header(r, line);
	consume(r, (size_t)(end - r->buf) + 4);
	return 0;
}

/* `n` bytes of body from the front of r->buf. */
static void take_body(struct response *r, size_t n)
{
	sha256_update(&r->hash, r->buf, n);
	if (r->out)
		fwrite(r->buf, 1, n, r->out);
	r->body_len += n;
	consume(r, n);
}

/* A body of `len` bytes, or (len < 0) one that ends when the server closes. */
static int read_sized(struct response *r, long long len)
{
	int f;

	for (;;) {
		size_t k = len >= 0 && (unsigned long long)len < r->len ? (size_t)len : r->len;
		take_body(r, k);
		if (len >= 0 && (len -= (long long)k) == 0)
			return 0;
		if ((f = fill(r)) < 0)
			return -1;
		if (f == 0)
			return len < 0 ? 0 : -1;
	}
}

/* A line of the chunked coding, CRLF removed, into line. */
static int read_line(struct response *r, char *line, size_t size)
{
	char *nl;

	while (!(nl = memchr(r->buf, '\n', r->len)))
		if (fill(r) <= 0)
			return -1;
	snprintf(line, size, "%.*s", (int)(nl - r->buf), r->buf);
	line[strcspn(line, "\r")] = 0;
	consume(r, (size_t)(nl - r->buf) + 1);
	return 0;
}

/* RFC 9112 7.1: chunk-size (hex) CRLF, data CRLF, ..., a last chunk of size 0,
 * trailer fields, CRLF. */
static int read_chunked(struct response *r)
{
	char line[256];
	long long size;

	for (;;) {
		if (read_line(r, line, sizeof(line)) < 0)
			return -1;
		size = strtoll(line, NULL, 16);
		if (size < 0)
			return -1;
		if (size == 0)
			break;
		if (read_sized(r, size) < 0 || read_line(r, line, sizeof(line)) < 0)
			return -1;
	}
	do {                                  /* the trailer section, up to its empty line */
		if (read_line(r, line, sizeof(line)) < 0)
			return -1;
	} while (line[0]);
	return 0;
}

static int read_body(struct response *r)
{
	if ((r->status >= 100 && r->status < 200) || r->status == 204 || r->status == 304)
		return 0;
	if (r->chunked)
		return read_chunked(r);
	return read_sized(r, r->content_length);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int get(struct response *r, uint32_t addr, unsigned long port, const char *path)
{
	char req[2048], host[16], hex[SHA256_HEX_LEN];
	uint8_t digest[SHA256_DIGEST_LEN];
	double t0 = now_s();
	ssize_t s;
	int len;

	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%lu\r\nUser-Agent: "
		       "tuntcp-http-client\r\nAccept: */*\r\n\r\n", path, net_addr_str(addr, host), port);
	if (len >= (int)sizeof(req)) {
		fprintf(stderr, "http-client: path too long\n");
		return -1;
	}
	if ((s = net_send(r->n, r->fd, req, (size_t)len)) < 0) {
		fprintf(stderr, "http-client: send: %s\n", strerror((int)-s));
		return -1;
	}
	sha256_init(&r->hash);
	if (read_head(r) < 0 || read_body(r) < 0) {
		fprintf(stderr, "http-client: response cut short after %llu bytes of body\n", r->body_len);
		return -1;
	}
	sha256_final(&r->hash, digest);
	sha256_hex(digest, hex);
	printf("http-client: status %d, body %llu bytes sha256 %s in %.3f s\n", r->status,
	       r->body_len, hex, now_s() - t0);
	fflush(stdout);
	return 0;
}

/* The server announced it closes: wait for its FIN (anything more is not ours). */
static void wait_server_close(struct response *r)
{
	while (fill(r) > 0)
		r->len = 0;
}

static void usage(FILE *f)
{
	fputs("usage: http-client [-o FILE] [network options] http://ADDR[:PORT]/PATH\n"
	      "GETs the URL (ADDR a dotted IPv4 address, PORT default 80), prints the status\n"
	      "line and header fields, then\n"
	      "  http-client: status N, body N bytes sha256 HEX in T s\n"
	      "If the server closes the connection (HTTP/1.0, Connection: close) the client\n"
	      "waits for its FIN first; otherwise it closes first and waits out TIME-WAIT.\n"
	      "  -o FILE             write the body to FILE\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' }, NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	static struct response r;
	const char *outfile = NULL, *path;
	struct net_options o;
	unsigned long port;
	uint32_t addr;
	int c, rc;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "o:", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		outfile = optarg;
	}
	if (optind != argc - 1 || parse_url(argv[optind], &addr, &port, &path))
		net_bad_usage(argv[0], "expected one URL http://ADDR[:PORT]/PATH");
	if (outfile && !(r.out = fopen(outfile, "wb"))) {
		perror(outfile);
		return 1;
	}
	if (!(r.n = net_start(&o)))
		return 1;
	if ((r.fd = net_connect(r.n, addr, (uint16_t)port)) < 0) {
		fprintf(stderr, "http-client: connect: %s\n", strerror(-r.fd));
		net_stop(r.n);
		return 1;
	}
	rc = get(&r, addr, port, path);
	if (rc == 0 && r.server_closes)
		wait_server_close(&r);
	net_close_wait(r.n, r.fd);
	net_stop(r.n);
	if (r.out && fclose(r.out)) {
		perror(outfile);
		return 1;
	}
	return rc < 0;
}

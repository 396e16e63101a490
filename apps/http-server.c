/* http-server - a small HTTP/1.1 server (RFC 9110, RFC 9112) on the stack: GET and
 * HEAD of the files under --root, index.html for a directory, Content-Length and a
 * Content-Type from the file's extension, persistent connections (several requests
 * on one connection, RFC 9112 9.3) and `Connection: close`. Answers 400 to a bad
 * request, 404 to a missing file (or a path that climbs out of the root), 405 to any
 * other method. One thread per connection, so a client that keeps its connection
 * open does not lock the others out. One line per request on stdout:
 *   10.0.0.1:40312 "GET /big.bin HTTP/1.1" 200 1048576 keep-alive
 * Not supported: directory listings, ranges, conditional requests, request bodies
 * in chunked transfer coding (400), HTTP/2. Uses only the public API (tun/net.h). */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "net.h"

#define HEAD_MAX  8192            /* a request's line and headers (RFC 9112 3: our limit) */
#define CHUNK     65536           /* a file is sent in pieces of this size */

struct server {
	struct net *n;
	char root[PATH_MAX];          /* --root, made absolute (realpath) */
};

/* One connection: the bytes read and not yet used (a request may come in pieces,
 * and a client may send its next request before the answer to the first). */
struct conn {
	const struct server *srv;
	int fd;
	char peer[32];
	char buf[HEAD_MAX];
	size_t len;
};

/* A parsed request (RFC 9112 3: request-line, then header fields). */
struct request {
	char method[16], target[1024], version[16];
	bool keep_alive;              /* RFC 9112 9.3: persistent after this one? */
	bool has_host, chunked;
	long long body_len;           /* Content-Length, skipped unread */
};

/* ---- reading a request ---- */

/* The end of the header section (the empty line; a bare LF is accepted as a line
 * end, RFC 9112 2.2) within c->buf, or NULL. *skip: the bytes it ends with. */
static char *head_end(struct conn *c, size_t *skip)
{
	char *crlf = memmem(c->buf, c->len, "\r\n\r\n", 4), *lf = memmem(c->buf, c->len, "\n\n", 2);

	if (crlf && (!lf || crlf < lf)) {
		*skip = 4;
		return crlf;
	}
	*skip = 2;
	return lf;
}

/* Read until c->buf holds a whole request head. 1: it does (NUL-terminated, its
 * length in *head_len, the bytes after it still in buf); 0: the peer closed
 * before one began; -1: closed in the middle, an error, or a head too long. */
static int read_head(struct conn *c, size_t *head_len)
{
	size_t skip;
	ssize_t r;
	char *end;

	while (!(end = head_end(c, &skip))) {
		if (c->len == sizeof(c->buf) - 1)
			return -1;
		r = net_recv(c->srv->n, c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (r <= 0)
			return r == 0 && c->len == 0 ? 0 : -1;
		c->len += (size_t)r;
	}
	*end = 0;
	*head_len = (size_t)(end - c->buf) + skip;
	return 1;
}

/* Drop the first `n` bytes of c->buf: what is left is the next request's. */
static void consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Skip a request body of `len` bytes (a GET may carry one; we never use it). */
static int skip_body(struct conn *c, long long len)
{
	char sink[4096];
	ssize_t r;

	while (len > 0 && c->len) {
		size_t k = (size_t)len < c->len ? (size_t)len : c->len;
		consume(c, k);
		len -= (long long)k;
	}
	for (; len > 0; len -= r)
		if ((r = net_recv(c->srv->n, c->fd, sink, len < (long long)sizeof(sink) ?
				  (size_t)len : sizeof(sink))) <= 0)
			return -1;
	return 0;
}

/* ---- parsing it ---- */

/* "GET /index.html HTTP/1.1": three tokens, one space apart (RFC 9112 3). */
static bool parse_request_line(char *line, struct request *rq)
{
	char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;

	if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == line || sp2 == sp1 + 1 ||
	    (size_t)(sp1 - line) >= sizeof(rq->method) ||
	    (size_t)(sp2 - sp1 - 1) >= sizeof(rq->target) || strlen(sp2 + 1) >= sizeof(rq->version))
		return false;
	memcpy(rq->method, line, (size_t)(sp1 - line));
	rq->method[sp1 - line] = 0;
	memcpy(rq->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	rq->target[sp2 - sp1 - 1] = 0;
	strcpy(rq->version, sp2 + 1);
	for (const char *p = rq->method; *p; p++)
		if (!isupper((unsigned char)*p))
			return false;              /* a method is a token; the known ones are upper case */
	return !strcmp(rq->version, "HTTP/1.1") || !strcmp(rq->version, "HTTP/1.0");
}

/* Does a comma-separated header value (Connection: keep-alive, Upgrade) name `opt`? */
static bool has_option(const char *value, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = value; (p = strcasestr(p, opt)); p += n)
		if ((p == value || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == 0 || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

/* One "Name: value" line into *rq; false if it is no header field at all. */
static bool parse_header(char *line, struct request *rq, bool *conn_close, bool *conn_keep)
{
	char *colon = strchr(line, ':'), *space = strpbrk(line, " \t"), *v;

	if (!colon || colon == line || (space && space < colon))
		return false;                      /* RFC 9112 5.1: no space before the colon */
	*colon = 0;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (!strcasecmp(line, "Host"))
		rq->has_host = true;
	else if (!strcasecmp(line, "Connection")) {
		*conn_close |= has_option(v, "close");
		*conn_keep |= has_option(v, "keep-alive");
	} else if (!strcasecmp(line, "Content-Length"))
		rq->body_len = isdigit((unsigned char)*v) ? atoll(v) : -1;
	else if (!strcasecmp(line, "Transfer-Encoding"))
		rq->chunked = true;
	return true;
}

/* The whole head (NUL-terminated) into *rq. false: a bad request (400). */
static bool parse_request(char *head, struct request *rq)
{
	bool conn_close = false, conn_keep = false;
	char *line, *save;

	memset(rq, 0, sizeof(*rq));
	if (!(line = strtok_r(head, "\n", &save)))
		return false;
	line[strcspn(line, "\r")] = 0;
	if (!parse_request_line(line, rq))
		return false;
	while ((line = strtok_r(NULL, "\n", &save))) {
		line[strcspn(line, "\r")] = 0;
		if (!parse_header(line, rq, &conn_close, &conn_keep))
			return false;
	}
	/* RFC 9112 9.3: HTTP/1.1 is persistent unless "close"; 1.0 only with "keep-alive" */
	rq->keep_alive = !conn_close && (!strcmp(rq->version, "HTTP/1.1") || conn_keep);
	/* RFC 9112 3.2: a 1.1 request without Host gets 400 */
	return rq->body_len >= 0 && (rq->has_host || strcmp(rq->version, "HTTP/1.1"));
}

/* ---- finding the file ---- */

/* Percent-decode `in` into out (RFC 3986 2.1); false on a bad escape or a NUL. */
static bool url_decode(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && *in != '?' && *in != '#'; in++) {
		int ch = (unsigned char)*in;
		if (ch == '%') {
			unsigned v;
			if (!isxdigit((unsigned char)in[1]) || !isxdigit((unsigned char)in[2]) ||
			    sscanf(in + 1, "%2x", &v) != 1 || v == 0)
				return false;
			ch = (int)v;
			in += 2;
		}
		if (o + 1 >= size)
			return false;
		out[o++] = (char)ch;
	}
	out[o] = 0;
	return true;
}

/* The file a target names, as an open descriptor, or -1 (404); its resolved path in
 * real. No path leaves the root: a ".." segment is refused, and the resolved path
 * (symbolic links followed) must still lie under it. A directory means its index.html. */
static int open_target(const struct server *srv, const char *target, struct stat *st,
		       char real[PATH_MAX])
{
	char path[1024], full[PATH_MAX + 1100];
	size_t rl = strlen(srv->root);
	int fd;

	if (target[0] != '/' || !url_decode(target, path, sizeof(path)) || strstr(path, "/../") ||
	    (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/..")))
		return -1;
	snprintf(full, sizeof(full), "%s%s", srv->root, path);
	if (stat(full, st) == 0 && S_ISDIR(st->st_mode))
		strncat(full, path[strlen(path) - 1] == '/' ? "index.html" : "/index.html",
			sizeof(full) - strlen(full) - 1);
	if (!realpath(full, real) || strncmp(real, srv->root, rl) ||
	    (rl > 1 && real[rl] && real[rl] != '/'))          /* not /rootother */
		return -1;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* From the resolved file name's extension. */
static const char *content_type(const char *path)
{
	static const char *const types[][2] = {
		{ ".html", "text/html; charset=utf-8" }, { ".htm", "text/html; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" }, { ".css", "text/css" },
		{ ".js", "text/javascript" }, { ".json", "application/json" },
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" }, { ".svg", "image/svg+xml" }, { ".ico", "image/x-icon" },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i][0]), pl = strlen(path);
		if (pl >= el && !strcasecmp(path + pl - el, types[i][0]))
			return types[i][1];
	}
	return "application/octet-stream";
}

/* ---- answering ---- */

/* The status line and header fields into buf (RFC 9112 4, RFC 9110 6.6.1: Date). */
static int response_head(char *buf, size_t size, int status, const char *type, long long len,
			 bool keep_alive, bool allow)
{
	const char *reason = status == 200 ? "OK" : status == 400 ? "Bad Request" :
			     status == 404 ? "Not Found" : "Method Not Allowed";
	char date[64];
	time_t t = time(NULL);
	struct tm tm;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
	return snprintf(buf, size, "HTTP/1.1 %d %s\r\nServer: tuntcp-http\r\nDate: %s\r\n"
			"Content-Type: %s\r\nContent-Length: %lld\r\n%sConnection: %s\r\n\r\n",
			status, reason, date, type, len, allow ? "Allow: GET, HEAD\r\n" : "",
			keep_alive ? "keep-alive" : "close");
}

/* An error: a small HTML body (none for HEAD). */
static int send_error(struct conn *c, int status, bool head_only, bool keep_alive)
{
	char body[128], buf[512];
	int bl = snprintf(body, sizeof(body), "<h1>%d</h1>\n", status);
	int hl = response_head(buf, sizeof(buf), status, "text/html; charset=utf-8", bl, keep_alive,
			       status == 405);

	if (!head_only)
		memcpy(buf + hl, body, (size_t)bl + 1);
	return net_send(c->srv->n, c->fd, buf, (size_t)hl + (head_only ? 0 : (size_t)bl)) < 0 ? -1 : 0;
}

/* 200: the head and the file's first bytes in one write (so the first segment is a
 * full one), then the rest piece by piece. */
static int send_file(struct conn *c, int fd, const struct stat *st, const struct request *rq,
		     const char *path)
{
	char buf[CHUNK];
	size_t used = (size_t)response_head(buf, sizeof(buf), 200, content_type(path),
					    (long long)st->st_size, rq->keep_alive, false);
	bool head_only = !strcmp(rq->method, "HEAD");
	long long left = head_only ? 0 : (long long)st->st_size;
	ssize_t r;

	while (used || left) {
		if (left && used < sizeof(buf)) {      /* never past Content-Length, if it grew */
			size_t want = sizeof(buf) - used < (unsigned long long)left ? sizeof(buf) - used :
				      (size_t)left;
			if ((r = read(fd, buf + used, want)) <= 0)
				return -1;             /* the file shrank under us: cut the connection */
			used += (size_t)r;
			left -= r;
		}
		if (net_send(c->srv->n, c->fd, buf, used) < 0)
			return -1;
		used = 0;
	}
	return 0;
}

/* The access log: the request line as it came, the status, the body's length and
 * whether the connection goes on. */
static void log_request(const struct conn *c, const char *line, int status, long long len,
			bool keep_alive)
{
	printf("%s \"%s\" %d %lld %s\n", c->peer, line, status, len,
	       keep_alive ? "keep-alive" : "close");
	fflush(stdout);
}

/* One request, answered. 1: the connection goes on; 0: close it. */
static int serve_request(struct conn *c, char *head, size_t head_len)
{
	char line[128], path[PATH_MAX];
	struct request rq;
	struct stat st;
	int fd, status;

	snprintf(line, sizeof(line), "%.*s", (int)strcspn(head, "\r\n"), head);
	if (!parse_request(head, &rq)) {
		log_request(c, line, 400, 0, false);
		send_error(c, 400, false, false);  /* we cannot tell where the next request starts */
		return 0;
	}
	consume(c, head_len);
	if (strcmp(rq.method, "GET") && strcmp(rq.method, "HEAD")) {
		log_request(c, line, 405, 0, false);   /* its body is not ours to read: close */
		send_error(c, 405, false, false);
		return 0;
	}
	if (rq.chunked || skip_body(c, rq.body_len) < 0) {
		log_request(c, line, 400, 0, false);
		send_error(c, 400, false, false);
		return 0;
	}
	if ((fd = open_target(c->srv, rq.target, &st, path)) < 0) {
		log_request(c, line, 404, 0, rq.keep_alive);
		return send_error(c, 404, !strcmp(rq.method, "HEAD"), rq.keep_alive) < 0 ? 0 : rq.keep_alive;
	}
	log_request(c, line, 200, (long long)st.st_size, rq.keep_alive);
	status = send_file(c, fd, &st, &rq, path);
	close(fd);
	return status < 0 ? 0 : rq.keep_alive;
}

/* A connection's thread: requests one after another until one says close or the
 * client closes (then we close too: a persistent connection's client closes first). */
static void *serve_conn(void *arg)
{
	struct conn *c = arg;
	size_t head_len;
	uint32_t addr;
	uint16_t port;
	char a[16];
	int r;

	net_peer(c->srv->n, c->fd, &addr, &port);
	snprintf(c->peer, sizeof(c->peer), "%s:%u", net_addr_str(addr, a), port);
	while ((r = read_head(c, &head_len)) != 0) {
		if (r < 0) {
			if (c->len)                    /* a head too long, or cut short */
				send_error(c, 400, false, false);
			break;
		}
		if (!serve_request(c, c->buf, head_len))
			break;
	}
	net_close(c->srv->n, c->fd);
	free(c);
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: http-server [--port N] [--root DIR] [--backlog N] [--count N] [network options]\n"
	      "Serves the files under DIR over HTTP/1.1: GET and HEAD, index.html for a\n"
	      "directory, persistent connections; 400, 404, 405. One thread per connection;\n"
	      "one line per request on stdout.\n"
	      "  --port N            port to listen on (default 80)\n"
	      "  --root DIR          the directory served (default: the current one)\n"
	      "  --backlog N         listen() backlog (default 16)\n"
	      "  --count N           exit after N connections have finished (default: forever)\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "root", required_argument, 0, 'r' },
		{ "backlog", required_argument, 0, 'b' }, { "count", required_argument, 0, 'c' },
		NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	static struct server srv;
	struct net_options o;
	unsigned long port = 80, backlog = 16, count = 0, v;
	const char *root = ".";
	pthread_t *threads;
	char a[16];
	int c, lfd;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'r') {
			root = optarg;
			continue;
		}
		if (net_parse_uint(optarg, c == 'p' ? 65535 : 1000000, &v) || (c != 'c' && !v))
			net_bad_usage(argv[0], "bad value for --%s: %s", c == 'p' ? "port" :
				      c == 'b' ? "backlog" : "count", optarg);
		*(c == 'p' ? &port : c == 'b' ? &backlog : &count) = v;
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (!realpath(root, srv.root)) {
		perror(root);
		return 1;
	}
	if (!(srv.n = net_start(&o)))
		return 1;
	if ((lfd = net_listen(srv.n, (uint16_t)port, (int)backlog)) < 0) {
		fprintf(stderr, "http-server: listen: %s\n", strerror(-lfd));
		return 1;
	}
	printf("http-server: listening on %s:%lu, serving %s\n", net_addr_str(o.ip, a), port, srv.root);
	fflush(stdout);
	threads = calloc(count ? count : 1, sizeof(*threads));
	for (unsigned long i = 0; !count || i < count; i++) {
		struct conn *cn = calloc(1, sizeof(*cn));
		cn->srv = &srv;
		if ((cn->fd = net_accept(srv.n, lfd)) < 0) {
			fprintf(stderr, "http-server: accept: %s\n", strerror(-cn->fd));
			return 1;
		}
		pthread_create(&threads[count ? i : 0], NULL, serve_conn, cn);
		if (!count)
			pthread_detach(threads[0]);
	}
	for (unsigned long i = 0; i < count; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	net_close(srv.n, lfd);
	net_stop(srv.n);
	return 0;
}

/* kb.c - the bench's kernel-side programs: plain Linux sockets, one mode each.
 * Every result is one line of key=value words on stdout; servers first print
 * "kb: listening" (flushed) once they accept. With $KB_TCP_CC set, every socket uses
 * that congestion control (make bench TCP_CC=cubic).
 *
 *   kb send HOST PORT SECONDS      send for SECONDS, shut down, wait for the peer's
 *                                  close; bytes= secs= (connect to EOF) gbps=
 *   kb recv PORT                   accept one connection, read to its end;
 *                                  bytes= secs= (first byte to EOF) gbps=
 *   kb sendn HOST PORT BYTES       send BYTES of source's stream (seed 1), shut down,
 *                                  wait for the peer's close; bytes= secs= (connect to
 *                                  EOF) mbps= sha256= (no SO_SNDTIMEO: for lossy links)
 *   kb recvn PORT                  accept one connection, read and hash it to its end;
 *                                  bytes= secs= (accept to EOF) mbps= sha256=
 *   kb echo PORT                   serve connections one after another, echo all
 *   kb hold PORT                   accept connections, keep them open, echo (epoll)
 *   kb pingpong HOST PORT N W      W warm-up then N 1-byte round trips (TCP_NODELAY);
 *                                  p50= p99= min= mean= max= (microseconds)
 *   kb connrate HOST PORT SECONDS  connect, send "ping", read 4 bytes, close (the client
 *                                  closes first), again; conns= failed= (5 s without
 *                                  progress) secs= rate= slowest_ms=
 *   kb idle HOST PORT WARM MAX BATCH TIMEOUT_MS
 *                                  open WARM connections, print "warm=W", wait for a line
 *                                  on stdin, then open up to MAX more, BATCH at a time,
 *                                  each given TIMEOUT_MS to complete; stop at the first
 *                                  batch with a failure; print established= failed=;
 *                                  then, on a line "echo", send a byte on every one
 *                                  (warm-up ones too) and print echoed=N (within 3 s);
 *                                  hold them until stdin closes */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sha256.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "kb: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* $KB_TCP_CC: the congestion control of every socket (TCP_CONGESTION; root may pick
 * any the kernel has, where a namespace's default may only be an allowed one). */
static void set_cc(int fd)
{
	const char *cc = getenv("KB_TCP_CC");
	if (cc && *cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)) < 0)
		die("TCP_CONGESTION");
}

static struct sockaddr_in sa(const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	if (host && inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "kb: bad address %s\n", host);
		exit(2);
	}
	return a;
}

static int dial(const char *host, const char *port, int nodelay)
{
	struct sockaddr_in a = sa(host, port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct timeval tv = { 5, 0 };   /* a stall fails the run instead of hanging it */

	if (fd < 0)
		die("socket");
	set_cc(fd);
	if (nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	return fd;
}

static int serve(const char *port)
{
	struct sockaddr_in a = sa(NULL, port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		die("socket");
	set_cc(fd);            /* accepted sockets inherit it */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(fd, 4096) < 0)
		die("listen");
	printf("kb: listening\n");
	fflush(stdout);
	return fd;
}

static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return r < 0 ? r : (ssize_t)got;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static char buf[1 << 18];

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int m_send(char **av)
{
	double secs = atof(av[2]), t0, end;
	unsigned long long bytes = 0;
	int fd;

	memset(buf, 'k', sizeof(buf));
	t0 = now_s();
	fd = dial(av[0], av[1], 0);
	end = t0 + secs;
	while (now_s() < end) {
		ssize_t w = write(fd, buf, sizeof(buf));
		if (w < 0)
			die("write");
		bytes += (unsigned long long)w;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	double t = now_s() - t0;
	printf("bytes=%llu secs=%.6f gbps=%.4f\n", bytes, t, (double)bytes * 8 / t / 1e9);
	return 0;
}

static int m_recv(char **av)
{
	int l = serve(av[0]), fd = accept(l, NULL, NULL);
	unsigned long long bytes = 0;
	double t0 = 0;
	ssize_t r;

	if (fd < 0)
		die("accept");
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (!bytes)
			t0 = now_s();
		bytes += (unsigned long long)r;
	}
	double t = now_s() - t0;
	close(fd);
	printf("bytes=%llu secs=%.6f gbps=%.4f\n", bytes, t, (double)bytes * 8 / t / 1e9);
	return 0;
}

/* The lossy-link pair (make bench loss_in, loss_out): the same bytes as the stack's
 * source and sink, hashed, so that a transfer through loss is checked byte for byte. */
static void print_hashed(unsigned long long bytes, double t, struct sha256 *h)
{
	uint8_t d[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN];

	sha256_final(h, d);
	sha256_hex(d, hex);
	printf("bytes=%llu secs=%.6f mbps=%.3f sha256=%s\n", bytes, t, (double)bytes * 8 / t / 1e6, hex);
}

static int m_sendn(char **av)
{
	unsigned long long total = strtoull(av[2], NULL, 10), bytes = 0;
	struct sockaddr_in a = sa(av[0], av[1]);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sha256 h;
	struct prng p;
	double t0 = now_s();

	if (fd < 0)
		die("socket");
	set_cc(fd);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	sha256_init(&h);
	prng_init(&p, 1);
	while (bytes < total) {
		size_t n = total - bytes < sizeof(buf) ? (size_t)(total - bytes) : sizeof(buf);
		prng_fill(&p, buf, n);
		sha256_update(&h, buf, n);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);
			if (w < 0)
				die("write");
			off += (size_t)w;
		}
		bytes += n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	print_hashed(bytes, now_s() - t0, &h);
	return 0;
}

static int m_recvn(char **av)
{
	int l = serve(av[0]), fd = accept(l, NULL, NULL);
	unsigned long long bytes = 0;
	double t0 = now_s();
	struct sha256 h;
	ssize_t r;

	if (fd < 0)
		die("accept");
	sha256_init(&h);
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		sha256_update(&h, buf, (size_t)r);
		bytes += (unsigned long long)r;
	}
	if (r < 0)
		die("read");
	double t = now_s() - t0;
	close(fd);
	print_hashed(bytes, t, &h);
	return 0;
}

static int m_echo(char **av)
{
	int l = serve(av[0]), one = 1;
	for (;;) {
		int fd = accept(l, NULL, NULL);
		ssize_t r;
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)r) < 0)
				break;
		close(fd);
	}
	return 0;
}

static void many_files(void)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		rl.rlim_cur = rl.rlim_max = 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int m_hold(char **av)
{
	many_files();
	int l = serve(av[0]), ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l }, evs[256];

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) < 0)
		die("epoll");
	for (;;) {                        /* keep every connection; echo what comes */
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
				struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
				if (c >= 0)
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r <= 0) {
				close(fd);
			} else if (write(fd, buf, (size_t)r) < 0) {
				close(fd);
			}
		}
	}
	return 0;
}

static int m_pingpong(char **av)
{
	int n = atoi(av[2]), w = atoi(av[3]), fd = dial(av[0], av[1], 1);
	double *rtt = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)), sum = 0;
	char c = 'p';

	if (!rtt || n <= 0)
		return 2;
	for (int i = -w; i < n; i++) {
		double t0 = now_s();
		if (write(fd, &c, 1) != 1)
			die("write");
		if (read(fd, &c, 1) != 1)
			die("read");
		if (i >= 0)
			sum += rtt[i] = (now_s() - t0) * 1e6;
	}
	close(fd);
	qsort(rtt, (size_t)n, sizeof(double), cmp_double);
	printf("p50=%.2f p99=%.2f min=%.2f mean=%.2f max=%.2f n=%d\n", rtt[n / 2],
	       rtt[(size_t)((double)n * 0.99)], rtt[0], sum / n, rtt[n - 1], n);
	free(rtt);
	return 0;
}

static int m_connrate(char **av)
{
	double secs = atof(av[2]), t0 = now_s(), end = t0 + secs, slow = 0, t;
	struct sockaddr_in a = sa(av[0], av[1]);
	struct timeval tv = { 5, 0 };    /* a stalled connection counts as failed, then on */
	long n = 0, failed = 0;
	int one = 1;

	do {
		double c0 = now_s();
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;
		if (fd < 0)
			die("socket");
		set_cc(fd);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, "ping", 4) == 4 &&
		     read_full(fd, buf, 4) == 4;
		close(fd);
		if (ok)
			n++;
		else
			failed++;
		t = now_s();
		if (t - c0 > slow)
			slow = t - c0;
	} while (t < end);
	printf("conns=%ld failed=%ld secs=%.6f rate=%.1f slowest_ms=%.3f\n", n, failed, t - t0,
	       (double)n / (t - t0), slow * 1e3);
	return 0;
}

static int *fds;                   /* the connections open_many made, for echo_check */
static long nfds;

/* Open up to `max` connections, `batch` at a time; returns how many completed. */
static long open_many(const char *host, const char *port, long max, long batch, int timeout_ms,
		      long *failed)
{
	struct sockaddr_in a = sa(host, port);
	struct pollfd *p = calloc((size_t)batch, sizeof(*p));
	long done = 0;

	*failed = 0;
	if (!p)
		die("calloc");
	while (done < max && !*failed) {
		long k = max - done < batch ? max - done : batch, pending = k;
		for (long i = 0; i < k; i++) {
			p[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			p[i].events = POLLOUT;
			if (p[i].fd < 0)
				die("socket");
			set_cc(p[i].fd);
			if (connect(p[i].fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
				die("connect");
		}
		double end = now_s() + timeout_ms / 1e3;
		while (pending > 0) {
			int left = (int)((end - now_s()) * 1e3);
			if (left <= 0 || poll(p, (nfds_t)k, left) <= 0)
				break;
			for (long i = 0; i < k; i++) {
				int err = 0;
				socklen_t el = sizeof(err);
				if (p[i].fd < 0 || !p[i].revents)
					continue;
				getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					(*failed)++;
					close(p[i].fd);
				} else {
					done++;
					fds = realloc(fds, sizeof(*fds) * (size_t)(nfds + 1));
					if (!fds)
						die("realloc");
					fds[nfds++] = p[i].fd;
				}
				p[i].fd = -1;    /* poll ignores it from now on (kept open) */
				pending--;
			}
		}
		*failed += pending;
	}
	free(p);
	return done;
}

/* Send one byte on every connection; how many echo it back within 3 s? A handshake
 * can complete without the peer keeping the connection (a SYN cookie, then no room):
 * only an echo shows that it is really there. */
static long echo_check(void)
{
	long ok = 0, left = nfds;
	struct pollfd *p = calloc((size_t)(nfds ? nfds : 1), sizeof(*p));
	char c;

	if (!p)
		die("calloc");
	for (long i = 0; i < nfds; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
		if (write(fds[i], "e", 1) != 1)
			p[i].fd = -1, left--;
	}
	double end = now_s() + 3;
	while (left > 0) {
		int ms = (int)((end - now_s()) * 1e3);
		if (ms <= 0 || poll(p, (nfds_t)nfds, ms) <= 0)
			break;
		for (long i = 0; i < nfds; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (recv(p[i].fd, &c, 1, MSG_DONTWAIT) == 1)
				ok++;
			p[i].fd = -1;
			left--;
		}
	}
	free(p);
	return ok;
}

static int m_idle(char **av)
{
	long warm = atol(av[2]), max = atol(av[3]), batch = atol(av[4]), failed;
	int timeout = atoi(av[5]);
	char line[64];

	many_files();
	if (batch <= 0)
		return 2;
	long w = open_many(av[0], av[1], warm, batch, timeout, &failed);
	printf("warm=%ld failed=%ld\n", w, failed);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	double t0 = now_s();
	long n = open_many(av[0], av[1], max, batch, timeout, &failed);
	printf("established=%ld failed=%ld secs=%.3f\n", n, failed, now_s() - t0);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) && !strncmp(line, "echo", 4)) {
		printf("echoed=%ld of %ld\n", echo_check(), nfds);
		fflush(stdout);
	}
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int args; int (*fn)(char **); } modes[] = {
		{ "send", 3, m_send }, { "recv", 1, m_recv }, { "echo", 1, m_echo },
		{ "hold", 1, m_hold }, { "pingpong", 4, m_pingpong }, { "connrate", 3, m_connrate },
		{ "idle", 6, m_idle }, { "sendn", 3, m_sendn }, { "recvn", 1, m_recvn },
	};
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name) && argc - 2 == modes[i].args)
			return modes[i].fn(argv + 2);
	fputs("usage: kb send HOST PORT SECONDS | recv PORT | sendn HOST PORT BYTES | recvn PORT |\n"
	      "          echo PORT | hold PORT |\n"
	      "          pingpong HOST PORT N WARMUP | connrate HOST PORT SECONDS |\n"
	      "          idle HOST PORT WARM MAX BATCH TIMEOUT_MS\n"
	      "The bench's kernel-side programs (tests/bench/README.md).\n", stderr);
	return 2;
}

/* slow-reader - a receiver that reads slowly, to watch flow control (RFC 9293 3.8.6):
 * accept a connection, wait --wait ms without reading (the receive buffer fills and
 * the window closes), then read at most --read bytes every --every ms until the peer
 * closes (the window opens in steps: receiver's SWS avoidance, 3.8.6.2.2), and close.
 * Prints one line per connection:
 *   slow-reader: ADDR:PORT read N bytes in R reads (at most S bytes every E ms after W ms) in T s
 * Uses only the public API (tun/net.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "net.h"

struct pace {
	unsigned long wait_ms, read, every_ms;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read fd slowly to end of stream, print its line, close it. */
static void read_slowly(struct net *n, int fd, const struct pace *p)
{
	char *buf = malloc(p->read), peer[16];
	unsigned long long total = 0, reads = 0;
	double t0 = now_s();
	uint32_t addr;
	uint16_t port;
	ssize_t r;

	net_peer(n, fd, &addr, &port);
	usleep((useconds_t)(p->wait_ms * 1000));
	while ((r = net_recv(n, fd, buf, p->read)) > 0) {
		total += (unsigned long long)r;
		reads++;
		usleep((useconds_t)(p->every_ms * 1000));
	}
	if (r < 0)
		fprintf(stderr, "slow-reader: recv: %s after %llu bytes\n", strerror((int)-r), total);
	printf("slow-reader: %s:%u read %llu bytes in %llu reads (at most %lu bytes every %lu ms "
	       "after %lu ms) in %.3f s\n", net_addr_str(addr, peer), port, total, reads, p->read,
	       p->every_ms, p->wait_ms, now_s() - t0);
	fflush(stdout);
	free(buf);
	net_close(n, fd);
}

static void usage(FILE *f)
{
	fputs("usage: slow-reader [--port N] [--count N] [--wait MS] [--read N] [--every MS]\n"
	      "                   [network options]\n"
	      "Accepts connections one after another; for each waits, then reads slowly until\n"
	      "the peer closes, prints what it read and closes.\n"
	      "  --port N            port to listen on (default 9000)\n"
	      "  --count N           exit after N connections (default: serve forever)\n"
	      "  --wait MS           wait this long before the first read (default 1000)\n"
	      "  --read N            read at most N bytes at a time (default 1000)\n"
	      "  --every MS          wait this long after each read (default 10)\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "count", required_argument, 0, 'c' },
		{ "wait", required_argument, 0, 'w' }, { "read", required_argument, 0, 'r' },
		{ "every", required_argument, 0, 'e' }, NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct pace p = { .wait_ms = 1000, .read = 1000, .every_ms = 10 };
	unsigned long port = 9000, count = 0, v;
	struct net_options o;
	struct net *n;
	int c, lfd, fd;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (net_parse_uint(optarg, c == 'p' ? 65535 : 100000000, &v) ||
		    ((c == 'p' || c == 'r') && !v))
			net_bad_usage(argv[0], "bad value for --%s: %s", c == 'p' ? "port" : c == 'c' ?
				      "count" : c == 'w' ? "wait" : c == 'r' ? "read" : "every", optarg);
		*(c == 'p' ? &port : c == 'c' ? &count : c == 'w' ? &p.wait_ms : c == 'r' ? &p.read :
		  &p.every_ms) = v;
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (!(n = net_start(&o)))
		return 1;
	lfd = net_serve(n, (uint16_t)port, 128, false, "slow-reader");
	for (unsigned long served = 0; !count || served < count; served++) {
		if ((fd = net_accept(n, lfd)) < 0) {
			fprintf(stderr, "slow-reader: accept: %s\n", strerror(-fd));
			return 1;
		}
		read_slowly(n, fd, &p);
	}
	net_close(n, lfd);
	net_stop(n);
	return 0;
}

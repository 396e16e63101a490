/* sink - the receiving end of a bulk transfer: accept connections one after
 * another, read each to end of stream, print how much arrived, its SHA-256 and
 * the rate, then close. The counterpart of source, or of any sender that prints
 * the hash of what it sent. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "net.h"
#include "sha256.h"

#define BUF_SIZE 65536

/* A number from min to max for --name; else one line and exit 2. */
static void usage(FILE *f)
{
	fputs("usage: sink [--port N] [--count N] [--backlog N] [--no-accept] [--no-hash]\n"
	      "            [network options]\n"
	      "Accepts connections one after another and reads each until the peer closes;\n"
	      "prints for each\n"
	      "  sink: ADDR:PORT received N bytes sha256 HEX in T s (R Mbit/s)\n"
	      "with T from accept to end of stream, then closes it.\n"
	      "  --port N            port to listen on (default 9000)\n"
	      "  --count N           exit after N connections (default: serve forever)\n"
	      "  --backlog N         listen()'s backlog, 1 to 128 (default 128, somaxconn before\n"
	      "                      Linux 5.4): N half-open connections, N+1 waiting for accept\n"
	      "  --no-accept         listen, never accept: connections wait in the accept queue\n"
	      "                      until it is full (SIGINT or SIGTERM ends the program)\n"
	      "  --no-hash           no SHA-256 (it costs more than the stack: for benchmarks);\n"
	      "                      the line then says: received N bytes in T s (R Mbit/s)\n", f);
	net_usage_common(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read fd to end of stream, print its line (or the error), close it. */
static int hash = 1;                  /* --no-hash: 0 */

static void drain(struct net *n, int fd)
{
	static uint8_t buf[BUF_SIZE];
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN], peer[16];
	double t0 = now_s(), t;
	uint64_t total = 0;
	struct sha256 h;
	uint32_t addr;
	uint16_t port;
	ssize_t r;

	net_peer(n, fd, &addr, &port);
	net_addr_str(addr, peer);
	sha256_init(&h);
	while ((r = net_recv(n, fd, buf, sizeof(buf))) > 0) {
		if (hash)
			sha256_update(&h, buf, (size_t)r);
		total += (uint64_t)r;
	}
	t = now_s() - t0;
	if (r < 0) {
		fprintf(stderr, "sink: %s:%u: recv: %s after %" PRIu64 " bytes\n", peer, port,
			strerror((int)-r), total);
	} else {
		sha256_final(&h, digest);
		sha256_hex(digest, hex);
		printf("sink: %s:%u received %" PRIu64 " bytes%s%s in %.3f s (%.1f Mbit/s)\n", peer,
		       port, total, hash ? " sha256 " : "", hash ? hex : "", t,
		       t > 0 ? (double)total * 8 / t / 1e6 : 0.0);
		fflush(stdout);
	}
	net_close(n, fd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "count", required_argument, 0, 'c' },
		{ "backlog", required_argument, 0, 'b' }, { "no-accept", no_argument, 0, 'A' },
		{ "no-hash", no_argument, 0, 'H' }, NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct net_options o;
	unsigned long port = 9000, count = 0, backlog = 128;
	int c, lfd, fd, no_accept = 0;
	struct net *n;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'A':
			no_accept = 1;
			break;
		case 'H':
			hash = 0;
			break;
		case 'p':
			port = net_option_number(argv[0], "port", optarg, 1, 65535);
			break;
		case 'b':
			backlog = net_option_number(argv[0], "backlog", optarg, 1, 128);
			break;
		default:                             /* 'c' */
			count = net_option_number(argv[0], "count", optarg, 0, 100000000);
		}
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (!(n = net_start(&o)))
		return 1;
	lfd = net_serve(n, (uint16_t)port, (int)backlog, no_accept, "sink");
	for (unsigned long served = 0; !count || served < count; served++) {
		if ((fd = net_accept(n, lfd)) < 0) {
			fprintf(stderr, "sink: accept: %s\n", strerror(-fd));
			return 1;
		}
		drain(n, fd);
	}
	net_close(n, lfd);
	net_stop(n);
	return 0;
}

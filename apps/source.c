/* source - the sending end of a bulk transfer: connect, send N bytes of a
 * deterministic stream (prng in sha256.h, seeded by --seed), shut down the write
 * side, read until the peer closes (so every byte is known delivered), then close
 * and wait out TIME-WAIT. Prints the stream's SHA-256 and the rate; the receiver
 * (sink, or anything that hashes what it gets) prints the same hash.
 * Exit status 0 on success; on failure the reason on stderr and 1. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "net.h"
#include "sha256.h"

#define BUF_SIZE 65536

static void usage(FILE *f)
{
	fputs("usage: source --bytes N [--seed S] [--no-hash] [network options] HOST [PORT]\n"
	      "Connects to HOST:PORT (default port 9000), sends N bytes of a deterministic\n"
	      "pseudo-random stream, shuts down its write side, reads until the peer closes,\n"
	      "then closes and waits out TIME-WAIT (2*MSL; --msl 1 makes that 2 s). Prints\n"
	      "  source: sent N bytes sha256 HEX in T s (R Mbit/s)\n"
	      "with T from the connection's establishment until the peer closed.\n"
	      "  --bytes N           how much to send; suffix k, M or G for powers of 1024 (20M)\n"
	      "  --seed S            the stream's seed (default 1): the same S and N, the same bytes\n"
	      "  --no-hash           no SHA-256 (it costs more than the stack: for benchmarks);\n"
	      "                      the line then says: source: sent N bytes in T s (R Mbit/s)\n", f);
	net_usage_common(f);
}

/* N with an optional suffix k, M or G (powers of 1024). */
static int parse_size(const char *s, uint64_t *v)
{
	static const char suffixes[] = "kMG";
	const char *sfx;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end && !end[1] && (sfx = strchr(suffixes, *end)))
		shift = 10 * (unsigned)(sfx - suffixes + 1);
	else if (*end)
		return -1;
	if (*v > UINT64_MAX >> shift)
		return -1;
	*v <<= shift;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Send `bytes` of the stream and hash them; then half-close and read to EOF.
 * 0, or a negative errno with *what naming the call that failed. */
static int transfer(struct net *n, int fd, uint64_t bytes, uint64_t seed, int hash,
		    char hex[SHA256_HEX_LEN], const char **what)
{
	static uint8_t buf[BUF_SIZE];
	uint8_t digest[SHA256_DIGEST_LEN];
	struct sha256 h;
	struct prng p;
	ssize_t r;

	sha256_init(&h);
	prng_init(&p, seed);
	for (uint64_t left = bytes; left; left -= (uint64_t)r) {
		size_t len = left < BUF_SIZE ? (size_t)left : BUF_SIZE;

		prng_fill(&p, buf, len);
		if (hash)
			sha256_update(&h, buf, len);
		*what = "send";
		if ((r = net_send(n, fd, buf, len)) < 0)
			return (int)r;
	}
	sha256_final(&h, digest);
	sha256_hex(digest, hex);
	*what = "shutdown";
	if ((r = net_shutdown(n, fd)) < 0)
		return (int)r;
	*what = "recv";                      /* anything the peer sends is discarded */
	while ((r = net_recv(n, fd, buf, sizeof(buf))) > 0)
		;
	return (int)r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bytes", required_argument, 0, 'b' }, { "seed", required_argument, 0, 's' },
		{ "no-hash", no_argument, 0, 'H' }, NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct net_options o;
	unsigned long port = 9000, seed = 1;
	uint64_t bytes = 0;
	int c, fd, err, have_bytes = 0, hash = 1;
	char hex[SHA256_HEX_LEN], host[16];
	const char *what = "connect";
	uint32_t addr;
	struct net *n;
	double t0, t;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'b' && parse_size(optarg, &bytes))
			net_bad_usage(argv[0], "bad value for --bytes: %s", optarg);
		if (c == 's' && net_parse_uint(optarg, ULONG_MAX, &seed))
			net_bad_usage(argv[0], "bad value for --seed: %s", optarg);
		have_bytes |= c == 'b';
		hash &= c != 'H';
	}
	if (!have_bytes)
		net_bad_usage(argv[0], "missing --bytes N");
	net_args_host_port(argc, argv, &addr, &port);
	if (!(n = net_start(&o)))
		return 1;
	if ((fd = net_connect(n, addr, (uint16_t)port)) < 0) {
		fprintf(stderr, "source: connect %s:%lu: %s\n", net_addr_str(addr, host), port,
			strerror(-fd));
		net_stop(n);
		return 1;
	}
	t0 = now_s();
	if ((err = transfer(n, fd, bytes, seed, hash, hex, &what)) < 0) {
		fprintf(stderr, "source: %s %s:%lu: %s\n", what, net_addr_str(addr, host), port,
			strerror(-err));
		net_close(n, fd);
		net_stop(n);
		return 1;
	}
	t = now_s() - t0;
	printf("source: sent %" PRIu64 " bytes%s%s in %.3f s (%.1f Mbit/s)\n", bytes,
	       hash ? " sha256 " : "", hash ? hex : "", t, t > 0 ? (double)bytes * 8 / t / 1e6 : 0.0);
	fflush(stdout);
	net_close_wait(n, fd);
	net_stop(n);
	return 0;
}

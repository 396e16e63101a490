/* pingpong-server - the server of the ping/pong capture: for each connection, read
 * the client's message, answer "pong", wait --linger ms, close. Connections are
 * served one after another. Uses only the public API (tun/net.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net.h"

static void usage(FILE *f)
{
	fputs("usage: pingpong-server [--port N] [--linger MS] [--count N] [network options]\n"
	      "Answers every message with \"pong\", waits, then closes (the server closes last).\n"
	      "  --port N            port to listen on (default 1234)\n"
	      "  --linger MS         wait this long after answering before closing (default 2000)\n"
	      "  --count N           exit after N connections (default: serve forever)\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "linger", required_argument, 0, 'l' },
		{ "count", required_argument, 0, 'c' }, NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct net_options o;
	unsigned long port = 1234, linger = 2000, count = 0, v;
	int c, lfd;
	struct net *n;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (!optarg || net_parse_uint(optarg, c == 'p' ? 65535 : 100000000, &v) ||
		    (c == 'p' && v == 0))
			net_bad_usage(argv[0], "bad value for --%s: %s", c == 'p' ? "port" :
				      c == 'l' ? "linger" : "count", optarg ? optarg : "");
		*(c == 'p' ? &port : c == 'l' ? &linger : &count) = v;
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (!(n = net_start(&o)))
		return 1;
	lfd = net_serve(n, (uint16_t)port, "pingpong-server");
	for (unsigned long served = 0; !count || served < count; served++) {
		char buf[512], peer[16];
		uint32_t addr;
		uint16_t pport;
		int fd = net_accept(n, lfd);
		ssize_t r = net_recv(n, fd, buf, sizeof(buf) - 1);

		net_peer(n, fd, &addr, &pport);
		if (r >= 0) {
			buf[r] = 0;
			printf("%s:%u says: %s\n", net_addr_str(addr, peer), pport, buf);
			fflush(stdout);
			if (r > 0 && (r = net_send(n, fd, "pong", 4)) < 0)
				fprintf(stderr, "send: %s\n", strerror((int)-r));
		} else {
			fprintf(stderr, "recv: %s\n", strerror((int)-r));
		}
		usleep((useconds_t)linger * 1000);
		net_close(n, fd);
	}
	net_close(n, lfd);
	net_stop(n);
	return 0;
}

/* pingpong-server - the server of the ping/pong capture: for each connection, read
 * the client's message, answer "pong", wait --linger ms, close. Connections are
 * served one after another. A failed recv or send is printed on stderr
 * ("recv: Connection reset by peer"); --answer-anyway still answers after a failed
 * recv, as a careless server does, so the error a send gets after a RST shows
 * (EPIPE). --no-accept listens and never accepts. Uses only the public API (tun/net.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net.h"

struct server { unsigned long linger; int answer_anyway; };

/* A number from min to max for --name; else one line and exit 2. */
static void usage(FILE *f)
{
	fputs("usage: pingpong-server [--port N] [--linger MS] [--count N] [--backlog N]\n"
	      "                       [--no-accept] [--answer-anyway] [network options]\n"
	      "Answers every message with \"pong\", waits, then closes (the server closes last).\n"
	      "  --port N            port to listen on (default 1234)\n"
	      "  --linger MS         wait this long after answering before closing (default 2000)\n"
	      "  --count N           exit after N connections (default: serve forever)\n"
	      "  --backlog N         listen()'s backlog, 1 to 128 (default 128, somaxconn before\n"
	      "                      Linux 5.4): N half-open connections, N+1 waiting for accept\n"
	      "  --no-accept         listen, never accept: connections wait in the accept queue\n"
	      "                      until it is full (SIGINT or SIGTERM ends the program)\n"
	      "  --answer-anyway     send \"pong\" even when recv failed (after a RST: recv says\n"
	      "                      ECONNRESET, then send says EPIPE)\n", f);
	net_usage_common(f);
}

/* One connection: read the message, answer, linger, close. */
static void serve_one(struct net *n, int fd, const struct server *sv)
{
	char buf[512], peer[16];
	uint32_t addr;
	uint16_t pport;
	ssize_t r = net_recv(n, fd, buf, sizeof(buf) - 1);

	net_peer(n, fd, &addr, &pport);
	if (r >= 0) {
		buf[r] = 0;
		printf("%s:%u says: %s\n", net_addr_str(addr, peer), pport, buf);
		fflush(stdout);
	} else {
		fprintf(stderr, "recv: %s\n", strerror((int)-r));
	}
	if ((r > 0 || (r < 0 && sv->answer_anyway)) && (r = net_send(n, fd, "pong", 4)) < 0)
		fprintf(stderr, "send: %s\n", strerror((int)-r));
	usleep((useconds_t)sv->linger * 1000);
	net_close(n, fd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "linger", required_argument, 0, 'l' },
		{ "count", required_argument, 0, 'c' }, { "backlog", required_argument, 0, 'b' },
		{ "no-accept", no_argument, 0, 'A' }, { "answer-anyway", no_argument, 0, 'a' },
		NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct server sv = { .linger = 2000 };
	struct net_options o;
	unsigned long port = 1234, count = 0, backlog = 128;
	int c, lfd, no_accept = 0;
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
		case 'a':
			sv.answer_anyway = 1;
			break;
		case 'p':
			port = net_option_number(argv[0], "port", optarg, 1, 65535);
			break;
		case 'l':
			sv.linger = net_option_number(argv[0], "linger", optarg, 0, 100000000);
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
	lfd = net_serve(n, (uint16_t)port, (int)backlog, no_accept, "pingpong-server");
	for (unsigned long served = 0; !count || served < count; served++)
		serve_one(n, net_accept(n, lfd), &sv);
	net_close(n, lfd);
	net_stop(n);
	return 0;
}

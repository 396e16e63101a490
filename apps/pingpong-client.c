/* pingpong-client - the client of the ping/pong capture: connect, send "ping",
 * print the reply, close, and stay until the connection has left TIME-WAIT.
 * Exit status 0 on success; on failure the reason and 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net.h"

static void usage(FILE *f)
{
	fputs("usage: pingpong-client [--message TEXT] [network options] HOST [PORT]\n"
	      "Connects to HOST:PORT (default port 1234), sends \"ping\", prints the reply,\n"
	      "closes first (so this side goes through TIME-WAIT) and exits once CLOSED.\n"
	      "  --message TEXT      send TEXT instead of \"ping\"\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "message", required_argument, 0, 'm' }, NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct net_options o;
	const char *msg = "ping";
	unsigned long port = 1234;
	uint32_t addr;
	char buf[512];
	ssize_t r;
	int c, fd;
	struct net *n;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		msg = optarg;
	}
	net_args_host_port(argc, argv, &addr, &port);
	if (!(n = net_start(&o)))
		return 1;
	if ((fd = net_connect(n, addr, (uint16_t)port)) < 0) {
		fprintf(stderr, "connect: %s\n", strerror(-fd));
		return 1;
	}
	if ((r = net_send(n, fd, msg, strlen(msg))) < 0) {
		fprintf(stderr, "send: %s\n", strerror((int)-r));
		return 1;
	}
	if ((r = net_recv(n, fd, buf, sizeof(buf) - 1)) < 0) {
		fprintf(stderr, "recv: %s\n", strerror((int)-r));
		return 1;
	}
	buf[r] = 0;
	printf("%s\n", buf);
	fflush(stdout);
	net_close_wait(n, fd);
	net_stop(n);
	return 0;
}

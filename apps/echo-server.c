/* echo-server - echoes everything back until the peer closes, then closes too.
 * --prefix TEXT answers TEXT + data (seed 001's server answers "Server: " + data).
 * One thread per connection, so several clients can be served at once. A failed
 * recv or send (a RST from the peer: ECONNRESET, then EPIPE) is printed on stderr.
 * --no-accept listens and never accepts: connections wait in the accept queue. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net.h"

#define BUF_SIZE 16384

struct conn { struct net *n; int fd; const char *prefix; };

static void *echo(void *arg)
{
	struct conn *c = arg;
	size_t plen = strlen(c->prefix);
	char *out = malloc(plen + BUF_SIZE), peer[16];
	uint32_t addr;
	uint16_t port;
	ssize_t r = 0, w = 0;

	net_peer(c->n, c->fd, &addr, &port);
	if (!out) {
		fprintf(stderr, "echo-server: out of memory\n");
		goto done;
	}
	memcpy(out, c->prefix, plen);        /* prefix and data in one send: one segment */
	while ((r = net_recv(c->n, c->fd, out + plen, BUF_SIZE)) > 0)
		if ((w = net_send(c->n, c->fd, out, plen + (size_t)r)) < 0)
			break;
	if (r < 0 || w < 0)
		fprintf(stderr, "echo-server: %s:%u: %s: %s\n", net_addr_str(addr, peer), port,
			r < 0 ? "recv" : "send", strerror((int)-(r < 0 ? r : w)));
done:
	net_close(c->n, c->fd);
	free(out);
	free(c);
	return NULL;
}

/* A number from min to max for --name; else one line and exit 2. */
static void usage(FILE *f)
{
	fputs("usage: echo-server [--port N] [--count N] [--prefix TEXT] [--backlog N]\n"
	      "                   [--no-accept] [network options]\n"
	      "Sends back everything it receives until the peer closes.\n"
	      "  --port N            port to listen on (default 7)\n"
	      "  --count N           exit after N connections have finished (default: forever)\n"
	      "  --prefix TEXT       answer TEXT followed by the data (seed 001: 'Server: ')\n"
	      "  --backlog N         listen()'s backlog, 1 to 128 (default 128, somaxconn before\n"
	      "                      Linux 5.4): N half-open connections, N+1 waiting for accept\n"
	      "  --no-accept         listen, never accept: connections wait in the accept queue\n"
	      "                      until it is full (SIGINT or SIGTERM ends the program)\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "count", required_argument, 0, 'c' },
		{ "prefix", required_argument, 0, 'x' }, { "backlog", required_argument, 0, 'b' },
		{ "no-accept", no_argument, 0, 'A' }, NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct net_options o;
	unsigned long port = 7, count = 0, backlog = 128;
	const char *prefix = "";
	int c, lfd, no_accept = 0;
	pthread_t *threads;
	struct net *n;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'x':
			prefix = optarg;
			break;
		case 'A':
			no_accept = 1;
			break;
		case 'p':
			port = net_option_number(argv[0], "port", optarg, 1, 65535);
			break;
		case 'b':
			backlog = net_option_number(argv[0], "backlog", optarg, 1, 128);
			break;
		default:                                     /* 'c' */
			count = net_option_number(argv[0], "count", optarg, 0, 1000000);
		}
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (strlen(prefix) > 1024)
		net_bad_usage(argv[0], "--prefix: at most 1024 bytes");
	if (!(n = net_start(&o)))
		return 1;
	lfd = net_serve(n, (uint16_t)port, (int)backlog, no_accept, "echo-server");
	threads = calloc(count ? count : 1, sizeof(*threads));
	for (unsigned long i = 0; !count || i < count; i++) {
		struct conn *cn = malloc(sizeof(*cn));
		cn->n = n;
		cn->prefix = prefix;
		cn->fd = net_accept(n, lfd);
		pthread_create(&threads[count ? i : 0], NULL, echo, cn);
		if (!count)
			pthread_detach(threads[0]);
	}
	for (unsigned long i = 0; i < count; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	net_close(n, lfd);
	net_stop(n);
	return 0;
}

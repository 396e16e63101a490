/* echo-server - echoes everything back until the peer closes, then closes too.
 * One thread per connection, so several clients can be served at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net.h"

struct conn { struct net *n; int fd; };

static void *echo(void *arg)
{
	struct conn *c = arg;
	char buf[16384];
	ssize_t r;

	while ((r = net_recv(c->n, c->fd, buf, sizeof(buf))) > 0)
		if (net_send(c->n, c->fd, buf, (size_t)r) < 0)
			break;
	net_close(c->n, c->fd);
	free(c);
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: echo-server [--port N] [--count N] [network options]\n"
	      "Sends back everything it receives until the peer closes.\n"
	      "  --port N            port to listen on (default 7)\n"
	      "  --count N           exit after N connections have finished (default: forever)\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "count", required_argument, 0, 'c' },
		NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct net_options o;
	unsigned long port = 7, count = 0, v;
	pthread_t *threads;
	struct net *n;
	int c, lfd;

	net_options_default(&o);
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (net_parse_uint(optarg, c == 'p' ? 65535 : 1000000, &v) || (c == 'p' && !v))
			net_bad_usage(argv[0], "bad value for --%s: %s", c == 'p' ? "port" : "count", optarg);
		*(c == 'p' ? &port : &count) = v;
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (!(n = net_start(&o)))
		return 1;
	lfd = net_serve(n, (uint16_t)port, "echo-server");
	threads = calloc(count ? count : 1, sizeof(*threads));
	for (unsigned long i = 0; !count || i < count; i++) {
		struct conn *cn = malloc(sizeof(*cn));
		cn->n = n;
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

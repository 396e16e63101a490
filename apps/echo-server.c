/* echo-server - echoes everything back until the peer closes, then closes too.
 * --prefix TEXT answers TEXT + data (seed 001's server answers "Server: " + data).
 * One thread per connection, so several clients can be served at once; with --events
 * one thread serves them all (net_events). A failed
 * recv or send (a RST from the peer: ECONNRESET, then EPIPE) is printed on stderr.
 * --no-accept listens and never accepts: connections wait in the accept queue. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
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

/* --events: one thread for every connection, an event set (net_events) for
 * readiness: a wake-up costs what the connections that changed cost, however many sit
 * idle. A connection costs its small record, by handle, plus what it has not managed
 * to send yet. */
struct econn {
	bool open;
	char *pend;                          /* the echo not yet queued, [off, len) */
	size_t off, len;
};

static void echo_error(struct net *n, int fd, const char *what, ssize_t r)
{
	char peer[16];
	uint32_t addr;
	uint16_t port;

	net_peer(n, fd, &addr, &port);
	fprintf(stderr, "echo-server: %s:%u: %s: %s\n", net_addr_str(addr, peer), port, what,
		strerror((int)-r));
}

/* Queue what fits of c's pending echo; -1 on an error (the connection is done). */
static int econn_flush(struct net *n, int fd, struct econn *c)
{
	ssize_t w = net_send_some(n, fd, c->pend + c->off, c->len - c->off);

	if (w < 0 && w != -EAGAIN) {
		echo_error(n, fd, "send", w);
		return -1;
	}
	c->off += w > 0 ? (size_t)w : 0;
	if (c->off == c->len) {
		free(c->pend);
		c->pend = NULL;
	}
	return 0;
}

/* Data arrived: echo it (what does not fit waits in c->pend). 0, or 1 when the
 * connection is done (end of stream or an error). */
static int econn_input(struct net *n, int fd, struct econn *c, const char *prefix, char *buf)
{
	size_t plen = strlen(prefix);
	ssize_t r = net_recv(n, fd, buf + plen, BUF_SIZE);

	if (r <= 0) {
		if (r < 0)
			echo_error(n, fd, "recv", r);
		return 1;
	}
	memcpy(buf, prefix, plen);
	if (!(c->pend = malloc(plen + (size_t)r)))
		return 1;
	memcpy(c->pend, buf, plen + (size_t)r);
	c->off = 0;
	c->len = plen + (size_t)r;
	return econn_flush(n, fd, c) ? 1 : 0;
}

/* The connections by handle, with room for fd; NULL when there is no memory. */
static struct econn *econn_room(struct econn *cs, size_t *cap, int fd)
{
	size_t want = *cap ? *cap : 64;

	while (want <= (size_t)fd)
		want *= 2;
	if (want == *cap)
		return cs;
	if (!(cs = realloc(cs, want * sizeof(*cs))))
		return NULL;
	memset(cs + *cap, 0, (want - *cap) * sizeof(*cs));
	*cap = want;
	return cs;
}

/* Every connection waiting in the accept queue, watched from now on. */
static struct econn *accept_ready(struct net *n, struct net_events *ev, int lfd,
				  struct econn *cs, size_t *cap)
{
	struct tcp_status st;

	do {
		int fd = net_accept(n, lfd);
		if (fd < 0)
			break;
		if (!(cs = econn_room(cs, cap, fd)) || net_events_ctl(ev, fd, NET_POLLIN)) {
			net_close(n, fd);
			break;
		}
		cs[fd] = (struct econn){ .open = true };
	} while (net_status(n, lfd, &st) == 0 && st.acceptq_len > 0);
	return cs;
}

/* One ready connection: 1 when it is done. */
static int econn_ready(struct net *n, struct net_events *ev, int fd, int revents,
		       struct econn *c, const char *prefix, char *buf)
{
	int end = 0;

	if (revents & NET_POLLOUT)
		end = econn_flush(n, fd, c);
	else if (revents & NET_POLLIN)
		end = econn_input(n, fd, c, prefix, buf);
	if (!end && !net_events_ctl(ev, fd, c->pend ? NET_POLLOUT : NET_POLLIN))
		return 0;
	net_close(n, fd);                    /* the set forgets it */
	free(c->pend);
	*c = (struct econn){ 0 };
	return 1;
}

static void serve_events(struct net *n, int lfd, const char *prefix, unsigned long count)
{
	struct net_events *ev = net_events_new(n);
	struct net_pollfd ready[64];
	struct econn *cs = NULL;
	size_t cap = 0;
	char *buf = malloc(1024 + BUF_SIZE);
	unsigned long done = 0;

	if (!ev || !buf || net_events_ctl(ev, lfd, NET_POLLIN))
		goto out;
	while (!count || done < count) {
		int k = net_events_wait(ev, ready, 64, -1);
		for (int i = 0; i < k; i++) {
			int fd = ready[i].fd;
			if (fd == lfd) {
				if (!(cs = accept_ready(n, ev, lfd, cs, &cap)))
					goto out;
			} else if ((size_t)fd < cap && cs[fd].open) {
				done += (unsigned long)econn_ready(n, ev, fd, ready[i].revents, &cs[fd],
								   prefix, buf);
			}
		}
	}
out:
	if (ev)
		net_events_free(ev);
	free(buf);
	free(cs);
}

/* A number from min to max for --name; else one line and exit 2. */
static void usage(FILE *f)
{
	fputs("usage: echo-server [--port N] [--count N] [--prefix TEXT] [--backlog N]\n"
	      "                   [--no-accept] [--events] [network options]\n"
	      "Sends back everything it receives until the peer closes.\n"
	      "  --port N            port to listen on (default 7)\n"
	      "  --count N           exit after N connections have finished (default: forever)\n"
	      "  --prefix TEXT       answer TEXT followed by the data (seed 001: 'Server: ')\n"
	      "  --backlog N         listen()'s backlog, 1 to 128 (default 128, somaxconn before\n"
	      "                      Linux 5.4): N half-open connections, N+1 waiting for accept\n"
	      "  --no-accept         listen, never accept: connections wait in the accept queue\n"
	      "                      until it is full (SIGINT or SIGTERM ends the program)\n"
	      "  --events            one thread for all connections (net_events), instead of one\n"
	      "                      thread each: an idle connection costs a few bytes\n", f);
	net_usage_common(f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "count", required_argument, 0, 'c' },
		{ "prefix", required_argument, 0, 'x' }, { "backlog", required_argument, 0, 'b' },
		{ "no-accept", no_argument, 0, 'A' }, { "events", no_argument, 0, 'e' },
		NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct net_options o;
	unsigned long port = 7, count = 0, backlog = 128;
	const char *prefix = "";
	int c, lfd, no_accept = 0, events = 0;
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
		case 'e':
			events = 1;
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
	/* The stack's buffers (64 KiB and more) are given back when drained: from their own
	 * mappings, not the heap, they return to the system then, and thousands of idle
	 * connections keep no freed buffer resident (glibc would else move its threshold
	 * up after the first free and serve them from the heap). */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
	if (!(n = net_start(&o)))
		return 1;
	lfd = net_serve(n, (uint16_t)port, (int)backlog, no_accept, "echo-server");
	if (events) {
		serve_events(n, lfd, prefix, count);
		net_close(n, lfd);
		net_stop(n);
		return 0;
	}
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

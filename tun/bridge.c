/* bridge.c - one kernel fd per stack connection (bridge.h): the socketpairs, and the
 * pump the network thread runs after every wake-up, the lock held. */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bridge.h"
#include "stack.h"
#include "tcp.h"

#define BRIDGE_STAGE 65536        /* bytes taken from the stack, not yet read by the program */
#define BRIDGE_SOCKBUF 65536      /* the socketpair's buffer towards the program */
#define BRIDGE_ALIVE_US 100000    /* how often a half-closed app end is looked up */

enum bphase {
	BR_NEW,                   /* a socket: neither connecting nor listening */
	BR_CONNECTING,            /* SYN sent; the app end holds `junk` if non-blocking */
	BR_OPEN,                  /* connected: the pump runs both ways */
	BR_LISTEN,
	BR_FAILED,                /* refused, reset or timed out: err tells the program */
};

struct bconn {
	int fd;                   /* our end of the socketpair (non-blocking) */
	int h;                    /* the stack's handle; -1 before connect/listen, after failure */
	enum bphase phase;
	int err;                  /* -errno the program has not been told yet */
	size_t junk;              /* filler in our receive queue, to be taken back */
	bool app_eof;             /* the program sends no more (FIN queued) */
	bool app_gone;            /* every copy of the app end is closed */
	bool peer_eof;            /* the peer's FIN has been passed on */
	bool linger0;
	bool hup;                 /* both ends shut for writing: the program may have closed
	                             it or only shut it down; the kernel is asked */
	unsigned long app_ino;    /* the app end's inode, for that question */
	uint64_t ask_at;
	int tokens;               /* a listener: bytes written for connections not yet accepted */
	int pfd;                  /* its index in the last poll set, -1 if none */
	uint8_t *stage;           /* from the stack, [off, len) not yet written to the program */
	size_t off, len;
	struct bconn *next;
};

struct bridge {
	struct net *n;
	struct stack *s;
	struct bconn *conns;
	int live;
	int diag;                 /* NETLINK_SOCK_DIAG, -1 if there is none */
	uint8_t buf[65536];       /* from the program, on its way to tcp_send */
};

static int bridge_fill(void *ctx, struct pollfd *pfd, int max, uint64_t *wake_at);
static _Thread_local bool bridge_thread;   /* set in the network thread, by bridge_fill */
static _Thread_local int bridge_inside;    /* the bridge writes to an app end itself */

bool bridge_in_thread(void)
{
	return bridge_thread || bridge_inside;
}
static void bridge_run(void *ctx, struct pollfd *pfd, int nfds, uint64_t now);

struct bridge *bridge_new(struct net *n)
{
	struct bridge *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->n = n;
	b->diag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	b->s = net_lock(n);
	net_unlock(n);
	net_set_poller(n, &(struct net_poller){ .fill = bridge_fill, .run = bridge_run, .ctx = b });
	return b;
}

void bridge_free(struct bridge *b)
{
	if (!b)
		return;
	while (b->conns) {
		struct bconn *c = b->conns;
		b->conns = c->next;
		close(c->fd);
		free(c->stage);
		free(c);
	}
	if (b->diag >= 0)
		close(b->diag);
	free(b);
}

struct bconn *bridge_socket(struct bridge *b, int flags, int *app_fd)
{
	struct bconn *c = calloc(1, sizeof(*c));
	int sv[2], size = BRIDGE_SOCKBUF;

	if (!c)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		free(c);
		return NULL;
	}
	if (!(flags & SOCK_CLOEXEC))
		fcntl(sv[1], F_SETFD, 0);
	if (flags & SOCK_NONBLOCK)
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	struct stat stb;
	fstat(sv[1], &stb);
	*c = (struct bconn){ .fd = sv[0], .h = -1, .phase = BR_NEW, .pfd = -1, .next = b->conns,
			     .app_ino = (unsigned long)stb.st_ino };
	b->conns = c;
	b->live++;
	*app_fd = sv[1];
	return c;
}

/* Make the app end unwritable: write from it until our side is full. */
static size_t bridge_fill_junk(struct bridge *b, int app_fd)
{
	size_t total = 0;
	ssize_t r;

	memset(b->buf, 0, sizeof(b->buf));
	bridge_inside++;
	while ((r = send(app_fd, b->buf, sizeof(b->buf), MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
		total += (size_t)r;
	bridge_inside--;
	return total;
}

static void bridge_drain_junk(struct bconn *c, uint8_t *buf, size_t size)
{
	while (c->junk) {
		ssize_t r = recv(c->fd, buf, c->junk < size ? c->junk : size, MSG_DONTWAIT);
		if (r <= 0)
			return;
		c->junk -= (size_t)r;
	}
}

int bridge_connect(struct bridge *b, struct bconn *c, int h, int app_fd, bool nonblock)
{
	c->h = h;
	c->phase = BR_CONNECTING;
	c->err = 0;
	c->junk = nonblock ? bridge_fill_junk(b, app_fd) : 0;
	return 0;
}

/* The connection failed (err) or ended with an error: the program's reads see end of
 * file (the first one reports err), its writes EPIPE; nothing more is read from it. */
static void bridge_fail(struct bridge *b, struct bconn *c, int err, uint64_t now)
{
	if (c->h >= 0)
		tcp_release(b->s, now, c->h);
	c->h = -1;
	__atomic_store_n(&c->err, err, __ATOMIC_RELEASE);   /* bridge_has_error reads it unlocked */
	c->phase = BR_FAILED;
	bridge_drain_junk(c, b->buf, sizeof(b->buf));
	shutdown(c->fd, SHUT_RDWR);       /* reads: end of file; writes: EPIPE (and SIGPIPE) */
	c->peer_eof = c->app_eof = true;
	free(c->stage);
	c->stage = NULL;
	c->off = c->len = 0;
}

/* SYN-SENT resolved? Connected: the filler is taken back (the app end becomes
 * writable); failed: the error. */
static void bridge_connecting(struct bridge *b, struct bconn *c, uint64_t now)
{
	struct tcp_status st;

	if (tcp_status(b->s, c->h, &st) == 0 &&
	    (st.state == TCP_SYN_SENT || st.state == TCP_SYN_RECEIVED))
		return;
	if (st.synchronized) {
		c->phase = BR_OPEN;
		bridge_drain_junk(c, b->buf, sizeof(b->buf));
	} else {
		bridge_fail(b, c, st.error ? st.error : -ECONNREFUSED, now);
	}
}

int bridge_connect_result(struct bridge *b, struct bconn *c)
{
	int err;

	if (c->phase == BR_CONNECTING)
		bridge_connecting(b, c, net_now());
	if (c->phase == BR_CONNECTING)
		return 1;
	if (c->phase != BR_FAILED)
		return 0;
	err = c->err;                     /* a blocking connect reports it, and may try again */
	*c = (struct bconn){ .fd = c->fd, .h = -1, .phase = BR_NEW, .pfd = c->pfd,
			     .next = c->next, .linger0 = c->linger0, .app_ino = c->app_ino };
	return err;
}

void bridge_listen(struct bridge *b, struct bconn *c, int h)
{
	(void)b;
	c->h = h;
	c->phase = BR_LISTEN;
}

void bridge_accepted(struct bridge *b, struct bconn *c)
{
	(void)b;
	c->tokens--;
}

void bridge_open(struct bridge *b, struct bconn *c, int h)
{
	(void)b;
	c->h = h;
	c->phase = BR_OPEN;
}

int bridge_take_error(struct bridge *b, struct bconn *c)
{
	int err = c->err;

	(void)b;
	c->err = 0;
	return err;
}

bool bridge_has_error(const struct bconn *c)
{
	return __atomic_load_n(&c->err, __ATOMIC_ACQUIRE) != 0;
}

int bridge_handle(const struct bconn *c)
{
	return c->h;
}

bool bridge_connected(const struct bconn *c)
{
	return c->phase == BR_OPEN;
}

void bridge_linger0(struct bconn *c, bool on)
{
	c->linger0 = on;
}

int bridge_live(const struct bridge *b)
{
	return b->live;
}

/* ---- the pump (network thread) ---- */

static bool bridge_closed_now(struct bridge *b, struct bconn *c, uint64_t now);

/* What the program wrote, to the send buffer as it has room; its end of file: FIN. */
static void bridge_to_stack(struct bridge *b, struct bconn *c, uint64_t now)
{
	struct tcp_status st;

	while (!c->app_eof && c->phase == BR_OPEN) {
		if (tcp_status(b->s, c->h, &st) || !st.snd_space)
			return;
		ssize_t r = recv(c->fd, b->buf, st.snd_space < sizeof(b->buf) ? st.snd_space : sizeof(b->buf),
				 MSG_DONTWAIT);
		if (r == 0) {
			c->app_eof = true;
			if (!(c->linger0 && bridge_closed_now(b, c, now)))
				tcp_shutdown(b->s, now, c->h);   /* else no FIN: the RST follows */
		} else if (r < 0) {
			return;
		} else {
			ssize_t w = tcp_send(b->s, now, c->h, b->buf, (size_t)r);
			if (w < 0)
				bridge_fail(b, c, (int)w, now);
		}
	}
}

/* What the stack received, to the program as it reads; the peer's FIN: end of file. */
static void bridge_to_app(struct bridge *b, struct bconn *c, uint64_t now)
{
	while (c->phase == BR_OPEN && !c->peer_eof) {
		if (c->off == c->len) {
			if (!c->stage && !(c->stage = malloc(BRIDGE_STAGE)))
				return;
			ssize_t r = tcp_recv(b->s, now, c->h, c->stage, BRIDGE_STAGE);
			if (r == -EAGAIN)
				break;
			if (r == 0) {
				c->peer_eof = true;
				shutdown(c->fd, SHUT_WR);
			} else if (r < 0) {
				bridge_fail(b, c, (int)r, now);
			}
			if (r <= 0)
				break;
			c->off = 0;
			c->len = (size_t)r;
		}
		ssize_t w = send(c->fd, c->stage + c->off, c->len - c->off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EPIPE)
			w = (ssize_t)(c->len - c->off);   /* the program reads no more: dropped */
		if (w <= 0)
			break;
		c->off += (size_t)w;
	}
	if (c->stage && c->off == c->len) {
		free(c->stage);                 /* no buffer while nothing waits */
		c->stage = NULL;
		c->off = c->len = 0;
	}
}

/* A listener: one byte for every connection that joined the accept queue. */
static void bridge_announce(struct bridge *b, struct bconn *c)
{
	struct tcp_status st;

	if (tcp_status(b->s, c->h, &st))
		return;
	while (c->tokens < st.acceptq_len && send(c->fd, "a", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
		c->tokens++;
}

/* Every copy of the app end is closed and what it wrote is in the stack: close (or
 * abort, SO_LINGER 0) the connection, which the stack finishes on its own. */
static bool bridge_finished(struct bridge *b, struct bconn *c, uint64_t now)
{
	if (!c->app_gone || (c->phase == BR_OPEN && !c->app_eof))
		return false;
	if (c->h >= 0) {
		if (c->linger0 || c->phase == BR_CONNECTING)
			tcp_abort(b->s, now, c->h);
		else
			tcp_close(b->s, now, c->h);
		tcp_release(b->s, now, c->h);
	}
	close(c->fd);
	free(c->stage);
	return true;
}

static void bridge_pump(struct bridge *b, struct bconn *c, uint64_t now)
{
	switch (c->phase) {
	case BR_CONNECTING:
		bridge_connecting(b, c, now);
		break;
	case BR_LISTEN:
		bridge_announce(b, c);
		break;
	default:
		break;
	}
	if (c->phase == BR_OPEN) {
		bridge_to_stack(b, c, now);
		bridge_to_app(b, c, now);
	}
}

static short bridge_events(struct bridge *b, struct bconn *c)
{
	struct tcp_status st;
	short ev = 0;

	if (c->phase == BR_OPEN && !c->app_eof && tcp_status(b->s, c->h, &st) == 0 && st.snd_space)
		ev |= POLLIN;
	if (c->off < c->len)
		ev |= POLLOUT;
	return ev;                        /* POLLHUP comes anyway: the program closed it */
}

/* Is the UNIX socket with inode `ino` open anywhere? The kernel's sock_diag knows
 * (unix_diag: -ENOENT once the last fd is closed). 1 yes, 0 no, -1 cannot tell. */
static int bridge_unix_open(int diag, unsigned long ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = (uint32_t)ino,
			 .udiag_cookie = { ~0u, ~0u } },
	};
	union {
		struct nlmsghdr nlh;
		char buf[512];
	} a;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (diag < 0 || sendto(diag, &q, sizeof(q), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ||
	    recv(diag, &a, sizeof(a), 0) < (ssize_t)sizeof(struct nlmsghdr))
		return -1;
	if (a.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY)
		return 1;
	if (a.nlh.nlmsg_type == NLMSG_ERROR &&
	    ((struct nlmsgerr *)NLMSG_DATA(&a.nlh))->error == -ENOENT)
		return 0;
	return -1;
}

/* POLLHUP on our end: both directions are shut. If we had not shut ours, the
 * program closed its end for sure; else it may only have shut down writing. */
static void bridge_hangup(struct bridge *b, struct bconn *c, uint64_t now)
{
	if (!c->peer_eof) {
		c->app_gone = true;
		return;
	}
	c->hup = true;
	if (now < c->ask_at)
		return;
	c->app_gone = bridge_unix_open(b->diag, c->app_ino) != 1;
	c->ask_at = now + BRIDGE_ALIVE_US;
}

/* End of file from the program: has it closed the socket (not only shut it down)? */
static bool bridge_closed_now(struct bridge *b, struct bconn *c, uint64_t now)
{
	struct pollfd p = { .fd = c->fd };

	if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP)) {
		c->ask_at = 0;
		bridge_hangup(b, c, now);
	}
	return c->app_gone;
}

static int bridge_fill(void *ctx, struct pollfd *pfd, int max, uint64_t *wake_at)
{
	struct bridge *b = ctx;
	int k = 0;

	bridge_thread = true;
	for (struct bconn *c = b->conns; c; c = c->next) {
		c->pfd = -1;
		if (c->hup && c->ask_at < *wake_at)
			*wake_at = c->ask_at;
		if (c->app_gone || c->hup || k == max)
			continue;                 /* POLLHUP stays: polling it again would spin */
		pfd[k] = (struct pollfd){ .fd = c->fd, .events = bridge_events(b, c) };
		c->pfd = k++;
	}
	return k;
}

static void bridge_run(void *ctx, struct pollfd *pfd, int nfds, uint64_t now)
{
	struct bridge *b = ctx;

	for (struct bconn **p = &b->conns, *c; (c = *p);) {
		if (c->hup || (c->pfd >= 0 && c->pfd < nfds && pfd[c->pfd].fd == c->fd &&
			       (pfd[c->pfd].revents & (POLLHUP | POLLERR))))
			bridge_hangup(b, c, now);
		bridge_pump(b, c, now);
		if (bridge_finished(b, c, now)) {
			*p = c->next;
			free(c);
			b->live--;
		} else {
			p = &c->next;
		}
	}
}

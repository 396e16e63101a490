/* preload.c - libtuntcp.so: unmodified programs on the stack (LD_PRELOAD; tuntcp-run
 * sets it up). The first AF_INET SOCK_STREAM socket a process opens starts the stack
 * in that process (the TUN device, a network thread, options from the environment);
 * every such socket is then a real kernel fd, one end of a socketpair that the
 * bridge (bridge.h) joins to a stack connection. Only the calls that name addresses
 * or the protocol are taken over here: socket, bind, listen, accept, accept4, connect,
 * getsockname, getpeername, getsockopt, setsockopt, shutdown, and the ones that copy
 * or close fds (close, dup, dup2, dup3, fcntl F_DUPFD*) so that the table of stack
 * sockets follows them. Reads and writes are the kernel's own, except that a
 * connection's error (reset, timeout) is reported once, as Linux does, before the
 * end of file or EPIPE that follows it. Everything else - UNIX sockets, UDP, IPv6,
 * files, pipes, the resolver - is left alone; so are sockets a program binds or
 * connects to 127.0.0.0/8 (they become the kernel's own TCP sockets at that call).
 * A forked child keeps its inherited stack sockets (the parent's network thread
 * pumps them while the parent lives) but cannot open new ones. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h>            /* struct tcp_info; netinet/tcp.h would clash with tcp.h */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "bridge.h"
#include "net.h"
#include "options.h"
#include "stack.h"
#include "tcp.h"

#define EXPORT __attribute__((visibility("default")))   /* the rest is hidden */
#define PRELOAD_FDS 65536          /* fds above this are never stack sockets */
#define EXIT_WAIT_MS 10000         /* at exit, how long closing connections get */

/* A stack socket as the program sees it; every fd that names it (dup) shares it. */
struct psock {
	int refs;
	struct bconn *c;
	uint32_t laddr;            /* bind()'s, host order; 0: any */
	uint16_t lport;
	bool listening;
	int backlog;
	/* options the stack does not have, kept to be read back as set */
	int reuseaddr, reuseport, keepalive, nodelay, rcvbuf, sndbuf, tos;
	struct linger linger;
};

static struct {
	pthread_mutex_t lock;      /* the fd table and starting; then net's lock (never the reverse) */
	struct psock *fds[PRELOAD_FDS];
	struct net_options o;
	struct net *n;
	struct bridge *b;
	pid_t owner;               /* the process running the stack; 0 before it starts */
	int start_err;             /* errno of a failed start: not tried again */
	bool said_child, said_v6;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- the real calls ---- */

#define REAL(name) static __typeof__(name) *real_##name
REAL(socket); REAL(bind); REAL(listen); REAL(accept4); REAL(connect); REAL(getsockname);
REAL(getpeername); REAL(getsockopt); REAL(setsockopt); REAL(shutdown); REAL(close);
REAL(dup); REAL(dup2); REAL(dup3); REAL(fcntl); REAL(read); REAL(readv); REAL(recv);
REAL(recvfrom); REAL(recvmsg); REAL(write); REAL(writev); REAL(send); REAL(sendto);
REAL(sendmsg);

static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		fprintf(stderr, "tuntcp: %s not found in libc\n", name);
		abort();
	}
	return f;
}

static void preload_resolve(void)
{
#define R(name) real_##name = (__typeof__(real_##name))real(#name)
	R(socket); R(bind); R(listen); R(accept4); R(connect); R(getsockname); R(getpeername);
	R(getsockopt); R(setsockopt); R(shutdown); R(close); R(dup); R(dup2); R(dup3); R(fcntl);
	R(read); R(readv); R(recv); R(recvfrom); R(recvmsg); R(write); R(writev); R(send);
	R(sendto); R(sendmsg);
#undef R
}

/* ---- options: TUNTCP_ARGS (tuntcp-run's options, \x1f between words), then one
 * variable per option: TUNTCP_IP=10.0.0.2, TUNTCP_MSL=1, TUNTCP_NODELAY=1, ... ---- */

static const struct option preload_options[] = { NET_LONG_OPTIONS, { 0, 0, 0, 0 } };

static const struct option *preload_option(const char *name, size_t len)
{
	for (const struct option *op = preload_options; op->name; op++)
		if (strlen(op->name) == len && !strncmp(op->name, name, len))
			return op;
	return NULL;
}

static void preload_bad(const char *what)
{
	fprintf(stderr, "tuntcp: %s (see tuntcp-run --help)\n", what);
	exit(2);
}

/* TUNTCP_ARGS: "--msl\x1f" "1\x1f" "-v" ... as tuntcp-run was given them. */
static void preload_args(char *args)
{
	char *save = NULL, *w = strtok_r(args, "\x1f", &save);

	for (; w; w = strtok_r(NULL, "\x1f", &save)) {
		if (!strcmp(w, "-v") || !strcmp(w, "-vv")) {
			g.o.verbose += (int)strlen(w) - 1;
			continue;
		}
		if (strncmp(w, "--", 2))
			preload_bad("TUNTCP_ARGS: not an option");
		char *eq = strchr(w, '=');
		const struct option *op = preload_option(w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2));
		if (!op || op->val == 'h')
			preload_bad("TUNTCP_ARGS: unknown option");
		const char *val = eq ? eq + 1 : NULL;
		if (op->has_arg == required_argument && !val && !(val = strtok_r(NULL, "\x1f", &save)))
			preload_bad("TUNTCP_ARGS: an option without its value");
		net_option(&g.o, op->val, val, "tuntcp");
	}
}

/* TUNTCP_<NAME>: the option --name (dashes as underscores); flags take 1 (or 0 for
 * off), TUNTCP_VERBOSE a count, TUNTCP_RULE several rules separated by ';'. */
static void preload_env(void)
{
	char var[64], *val;

	for (const struct option *op = preload_options; op->name; op++) {
		size_t k = (size_t)snprintf(var, sizeof(var), "TUNTCP_%s", op->name);
		for (size_t i = 0; i < k; i++)
			var[i] = var[i] == '-' ? '_' : (char)(var[i] >= 'a' && var[i] <= 'z' ? var[i] - 32 : var[i]);
		if (op->val == 'h' || !(val = getenv(var)) || !*val)
			continue;
		if (op->val == 'v') {
			g.o.verbose = atoi(val);
		} else if (op->has_arg == no_argument) {
			if (strcmp(val, "0"))
				net_option(&g.o, op->val, NULL, var);
		} else if (op->val == NET_OPT_RULE) {
			char *copy = strdup(val), *save = NULL;
			for (char *r = strtok_r(copy, ";", &save); r; r = strtok_r(NULL, ";", &save))
				net_option(&g.o, op->val, r, var);   /* the rules keep pointers: not freed */
		} else {
			net_option(&g.o, op->val, val, var);
		}
	}
}

static void preload_exit(void);
static void preload_forked(void);
static void preload_prepare(void) { pthread_mutex_lock(&g.lock); }
static void preload_parent(void) { pthread_mutex_unlock(&g.lock); }

__attribute__((constructor)) static void preload_init(void)
{
	char *args = getenv("TUNTCP_ARGS");

	preload_resolve();
	net_options_default(&g.o);
	if (args)
		preload_args(strdup(args));
	preload_env();
	g.o.no_signals = 1;                   /* the program's signals stay the program's */
	pthread_atfork(preload_prepare, preload_parent, preload_forked);
}

/* The child of a fork: the stack runs in the parent; the child's inherited sockets
 * are pumped there. */
static void preload_forked(void)
{
	pthread_mutex_unlock(&g.lock);
}

static bool preload_owner(void)
{
	return g.owner && g.owner == getpid();
}

/* Start the stack in this process (g.lock held). 0, or an errno. */
static int preload_start(void)
{
	sigset_t all, old;

	if (g.owner && g.owner != getpid()) {
		if (!g.said_child)
			fprintf(stderr, "tuntcp: a forked child cannot open stack sockets: the stack "
				"runs in process %d (its sockets inherited from there still work)\n",
				(int)g.owner);
		g.said_child = true;
		return EPERM;
	}
	if (g.owner || g.start_err)
		return g.start_err;
	sigfillset(&all);                      /* the stack's threads take no signal of the program's */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	g.n = net_start(&g.o);
	g.b = g.n ? bridge_new(g.n) : NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!g.b) {
		fprintf(stderr, "tuntcp: the stack did not start (above: why); AF_INET TCP sockets fail "
			"with EACCES\n");
		return g.start_err = EACCES;
	}
	g.owner = getpid();
	atexit(preload_exit);
	return 0;
}

/* ---- the fd table ---- */

static struct psock *psock_of(int fd)
{
	if (fd < 0 || fd >= PRELOAD_FDS || bridge_in_thread())
		return NULL;
	return __atomic_load_n(&g.fds[fd], __ATOMIC_ACQUIRE);
}

static void psock_set(int fd, struct psock *ps)
{
	if (ps)
		ps->refs++;
	__atomic_store_n(&g.fds[fd], ps, __ATOMIC_RELEASE);
}

/* fd no longer names its psock (g.lock held). */
static void psock_forget(int fd)
{
	struct psock *ps = psock_of(fd);

	if (!ps)
		return;
	__atomic_store_n(&g.fds[fd], NULL, __ATOMIC_RELEASE);
	if (--ps->refs == 0)
		free(ps);                      /* the bridge frees its part when the kernel says so */
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* ---- socket, bind, listen, accept, connect ---- */

EXPORT int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), fd, err;
	struct psock *ps;
	struct bconn *c;

	if (domain != AF_INET || base != SOCK_STREAM || (protocol && protocol != IPPROTO_TCP))
		return real_socket(domain, type, protocol);
	pthread_mutex_lock(&g.lock);
	if ((err = preload_start()) || !(ps = calloc(1, sizeof(*ps)))) {
		pthread_mutex_unlock(&g.lock);
		return fail(err ? err : ENOMEM);
	}
	net_lock(g.n);
	c = bridge_socket(g.b, type & (SOCK_NONBLOCK | SOCK_CLOEXEC), &fd);
	net_unlock(g.n);
	if (!c || fd >= PRELOAD_FDS) {
		err = errno;
		free(ps);
		pthread_mutex_unlock(&g.lock);
		if (c)
			real_close(fd);        /* the bridge sees it closed and lets go */
		return fail(c ? EMFILE : err);
	}
	ps->c = c;
	psock_set(fd, ps);
	pthread_mutex_unlock(&g.lock);
	return fd;
}

static bool is_loopback(uint32_t addr)
{
	return addr >> 24 == 127;
}

/* A socket bound or connecting to 127.0.0.0/8 becomes a kernel TCP socket: a new
 * one takes its fd number (it has done nothing else yet). */
static int to_kernel(int fd, struct psock *ps)
{
	int flags = real_fcntl(fd, F_GETFL), fdflags = real_fcntl(fd, F_GETFD), one = 1;
	int k = real_socket(AF_INET, SOCK_STREAM, 0);

	if (k < 0)
		return -1;
	if (ps->reuseaddr)
		real_setsockopt(k, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	real_fcntl(k, F_SETFL, flags & O_NONBLOCK);
	pthread_mutex_lock(&g.lock);
	for (int i = 0; i < PRELOAD_FDS; i++)      /* dups of it name another socket now */
		if (psock_of(i) == ps && i != fd)
			psock_forget(i);
	psock_forget(fd);
	real_dup3(k, fd, fdflags & FD_CLOEXEC ? O_CLOEXEC : 0);
	pthread_mutex_unlock(&g.lock);
	real_close(k);
	return 0;
}

static int sin_of(const struct sockaddr *sa, socklen_t len, uint32_t *addr, uint16_t *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	if (!sa || len < sizeof(*sin))
		return EINVAL;
	if (sin->sin_family != AF_INET)
		return EAFNOSUPPORT;
	*addr = ntohl(sin->sin_addr.s_addr);
	*port = ntohs(sin->sin_port);
	return 0;
}

static void sin_to(struct sockaddr *sa, socklen_t *len, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(addr) };

	if (!sa || !len)
		return;
	memcpy(sa, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
}

/* An IPv6 TCP socket stays the kernel's: say once how to reach the stack instead. */
static void preload_v6_bind(int fd, const struct sockaddr *sa)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	char a[INET6_ADDRSTRLEN] = "?";

	if (g.said_v6 || !sa || sa->sa_family != AF_INET6 ||
	    real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM)
		return;
	g.said_v6 = true;
	inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof(a));
	fprintf(stderr, "tuntcp: %s binds an IPv6 TCP socket ([%s]:%u): that one stays with the "
		"Linux kernel, since the stack speaks IPv4 only. Bind it to the stack's IPv4 address "
		"instead (for example: python3 -m http.server --bind 10.0.0.2 PORT).\n",
		program_invocation_short_name, a, ntohs(((const struct sockaddr_in6 *)sa)->sin6_port));
}

EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct psock *ps = psock_of(fd);
	uint32_t addr;
	uint16_t port;
	int err;

	if (!ps) {
		preload_v6_bind(fd, sa);
		return real_bind(fd, sa, len);
	}
	if ((err = sin_of(sa, len, &addr, &port)))
		return fail(err);
	if (is_loopback(addr))
		return to_kernel(fd, ps) ? -1 : real_bind(fd, sa, len);
	if (addr != INADDR_ANY && addr != g.o.ip)
		return fail(EADDRNOTAVAIL);        /* the stack has one address */
	if (ps->lport || ps->listening)
		return fail(EINVAL);
	ps->laddr = addr;
	ps->lport = port;
	return 0;
}

EXPORT int listen(int fd, int backlog)
{
	struct psock *ps = psock_of(fd);
	struct stack *s;
	int h = -EADDRINUSE;

	if (!ps)
		return real_listen(fd, backlog);
	if (!preload_owner())
		return fail(EOPNOTSUPP);
	if (ps->listening)
		return 0;
	if (backlog < 1 || backlog > 4096)
		backlog = backlog < 1 ? 1 : 4096;
	s = net_lock(g.n);
	if (bridge_handle(ps->c) >= 0) {
		net_unlock(g.n);
		return fail(EINVAL);
	}
	if (ps->lport) {
		h = tcp_listen(s, net_now(), ps->lport, backlog);
	} else {                                  /* port 0: an ephemeral one, as Linux's range */
		for (int i = 0; i < 64 && h == -EADDRINUSE; i++) {
			uint16_t port = (uint16_t)(32768 + (uint32_t)rand() % 28232);
			if ((h = tcp_listen(s, net_now(), port, backlog)) >= 0)
				ps->lport = port;
		}
	}
	if (h >= 0)
		bridge_listen(g.b, ps->c, h);
	net_unlock(g.n);
	if (h < 0)
		return fail(-h);
	ps->listening = true;
	ps->backlog = backlog;
	return 0;
}

/* The connection behind one byte of the listener's app end, as a new socket. */
static int accept_one(struct psock *ls, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct psock *ps = calloc(1, sizeof(*ps));
	struct tcp_status st;
	struct stack *s;
	struct bconn *c = NULL;
	int h, fd = -1;

	if (!ps)
		return -ENOMEM;
	pthread_mutex_lock(&g.lock);
	s = net_lock(g.n);
	bridge_accepted(g.b, ls->c);
	h = tcp_accept(s, bridge_handle(ls->c));
	if (h >= 0 && !(c = bridge_socket(g.b, flags & (SOCK_NONBLOCK | SOCK_CLOEXEC), &fd)))
		tcp_abort(s, net_now(), h), tcp_release(s, net_now(), h);
	if (c) {
		bridge_open(g.b, c, h);
		tcp_status(s, h, &st);
	}
	net_unlock(g.n);
	if (!c) {
		pthread_mutex_unlock(&g.lock);
		free(ps);
		return h < 0 ? h : -ENOMEM;
	}
	*ps = (struct psock){ .c = c, .laddr = st.laddr, .lport = st.lport };
	psock_set(fd, ps);
	pthread_mutex_unlock(&g.lock);
	sin_to(sa, len, st.raddr, st.rport);
	return fd;
}

EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct psock *ps = psock_of(fd);
	char token;

	if (!ps)
		return real_accept4(fd, sa, len, flags);
	if (!ps->listening)
		return fail(EINVAL);
	if (!preload_owner())
		return fail(EOPNOTSUPP);
	for (;;) {
		/* blocks, or not, as the fd does (O_NONBLOCK, SO_RCVTIMEO); EINTR as any read */
		ssize_t r = real_recv(fd, &token, 1, 0);
		if (r < 0)
			return -1;
		if (r == 0)
			return fail(EINVAL);          /* the listener is gone */
		int nfd = accept_one(ps, sa, len, flags);
		if (nfd != -EAGAIN)                   /* -EAGAIN: reset before accept(): next one */
			return nfd < 0 ? fail(-nfd) : nfd;
	}
}

EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accept4(fd, sa, len, 0);
}

/* SO_SNDTIMEO of the fd in ms, -1 if none: a blocking connect() gives up then. */
static long sndtimeo_ms(int fd)
{
	struct timeval tv = { 0 };
	socklen_t l = sizeof(tv);

	if (real_getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &l) || (!tv.tv_sec && !tv.tv_usec))
		return -1;
	return (long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct psock *ps = psock_of(fd);
	struct stack *s;
	uint32_t addr;
	uint16_t port;
	int h, r, err;
	bool nonblock;
	long timeo;
	uint64_t until;

	if (!ps)
		return real_connect(fd, sa, len);
	if ((err = sin_of(sa, len, &addr, &port)))
		return fail(err);
	if (is_loopback(addr))
		return to_kernel(fd, ps) ? -1 : real_connect(fd, sa, len);
	if (!preload_owner())
		return fail(EOPNOTSUPP);
	if (ps->listening)
		return fail(EISCONN);
	nonblock = real_fcntl(fd, F_GETFL) & O_NONBLOCK;
	timeo = nonblock ? 0 : sndtimeo_ms(fd);
	s = net_lock(g.n);
	if ((h = bridge_handle(ps->c)) >= 0) {
		r = bridge_connect_result(g.b, ps->c);
		net_unlock(g.n);
		return fail(r == 1 ? EALREADY : r == 0 ? EISCONN : -r);
	}
	h = tcp_connect(s, net_now(), addr, port, ps->lport);
	if (h < 0) {
		net_unlock(g.n);
		return fail(-h);
	}
	bridge_connect(g.b, ps->c, h, fd, nonblock);
	until = net_now() + (uint64_t)(timeo > 0 ? timeo : 0) * 1000;
	while ((r = bridge_connect_result(g.b, ps->c)) == 1 && !nonblock) {
		if (timeo > 0 && net_now() >= until)
			break;
		net_wait_locked(g.n, timeo > 0 ? 100 : -1);
	}
	net_unlock(g.n);
	if (r == 1)
		return fail(EINPROGRESS);
	return r < 0 ? fail(-r) : 0;
}

/* ---- names and options ---- */

static struct tcp_status psock_status(struct psock *ps)
{
	struct tcp_status st = { .state = TCP_CLOSED };
	struct stack *s;

	if (!preload_owner())
		return st;
	s = net_lock(g.n);
	if (bridge_handle(ps->c) >= 0)
		tcp_status(s, bridge_handle(ps->c), &st);
	net_unlock(g.n);
	return st;
}

EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct psock *ps = psock_of(fd);
	struct tcp_status st;

	if (!ps)
		return real_getsockname(fd, sa, len);
	st = psock_status(ps);
	if (st.lport && !ps->listening)          /* connected: the address the stack has */
		sin_to(sa, len, st.laddr ? st.laddr : g.o.ip, st.lport);
	else                                     /* as bound: 0.0.0.0 stays 0.0.0.0 */
		sin_to(sa, len, ps->laddr, ps->lport);
	return 0;
}

EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct psock *ps = psock_of(fd);
	struct tcp_status st;

	if (!ps)
		return real_getpeername(fd, sa, len);
	st = psock_status(ps);
	if (ps->listening || !st.rport || !st.synchronized)
		return fail(ENOTCONN);
	sin_to(sa, len, st.raddr, st.rport);
	return 0;
}

/* RFC 9293 states as Linux numbers them in tcp_info (include/net/tcp_states.h). */
static uint8_t linux_state(enum tcp_state st)
{
	static const uint8_t map[TCP_NSTATES] = {
		[TCP_CLOSED] = 7, [TCP_LISTEN] = 10, [TCP_SYN_SENT] = 2, [TCP_SYN_RECEIVED] = 3,
		[TCP_ESTABLISHED] = 1, [TCP_FIN_WAIT_1] = 4, [TCP_FIN_WAIT_2] = 5,
		[TCP_CLOSE_WAIT] = 8, [TCP_CLOSING] = 11, [TCP_LAST_ACK] = 9, [TCP_TIME_WAIT] = 6,
	};
	return map[st];
}

/* TCP_INFO from tcp_status: what ss -ti would show; the rest stays 0. */
static void fill_tcp_info(struct psock *ps, struct tcp_info *ti)
{
	struct tcp_status st = psock_status(ps);
	uint32_t mss = st.mss ? st.mss : 536;

	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = linux_state(ps->listening ? TCP_LISTEN : st.state);
	ti->tcpi_retransmits = (uint8_t)st.rexmt_count;
	ti->tcpi_probes = (uint8_t)st.probes;
	ti->tcpi_rto = st.rto_ms * 1000;
	ti->tcpi_snd_mss = mss;
	ti->tcpi_rcv_mss = mss;
	ti->tcpi_unacked = ps->listening ? (uint32_t)st.acceptq_len : 0;
	ti->tcpi_sacked = ps->listening ? (uint32_t)st.backlog : 0;
	ti->tcpi_rtt = st.srtt_us;
	ti->tcpi_rttvar = st.rttvar_us;
	ti->tcpi_snd_ssthresh = st.ssthresh / mss;
	ti->tcpi_snd_cwnd = st.cwnd / mss;
	ti->tcpi_advmss = mss;
	ti->tcpi_total_retrans = st.retrans;
}

static int opt_int(void *val, socklen_t *len, int v)
{
	if (!val || !len || *len < sizeof(int))
		return fail(EINVAL);
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static int sol_socket_get(int fd, struct psock *ps, int name, void *val, socklen_t *len)
{
	int err = 0;

	switch (name) {
	case SO_ERROR:
		if (preload_owner()) {
			struct stack *s = net_lock(g.n);
			if (!(err = -bridge_take_error(g.b, ps->c)) && bridge_handle(ps->c) >= 0 &&
			    bridge_connected(ps->c))
				err = -tcp_sock_error(s, bridge_handle(ps->c));
			net_unlock(g.n);
		}
		return opt_int(val, len, err > 0 ? err : 0);
	case SO_TYPE: return opt_int(val, len, SOCK_STREAM);
	case SO_DOMAIN: return opt_int(val, len, AF_INET);
	case SO_PROTOCOL: return opt_int(val, len, IPPROTO_TCP);
	case SO_ACCEPTCONN: return opt_int(val, len, ps->listening);
	case SO_REUSEADDR: return opt_int(val, len, ps->reuseaddr);
	case SO_REUSEPORT: return opt_int(val, len, ps->reuseport);
	case SO_KEEPALIVE: return opt_int(val, len, ps->keepalive);
	case SO_RCVBUF: return opt_int(val, len, ps->rcvbuf ? ps->rcvbuf : (int)(g.o.rcvbuf ? g.o.rcvbuf : 65535));
	case SO_SNDBUF: return opt_int(val, len, ps->sndbuf ? ps->sndbuf : 262144);
	case SO_LINGER:
		if (!val || !len || *len < sizeof(struct linger))
			return fail(EINVAL);
		memcpy(val, &ps->linger, sizeof(ps->linger));
		*len = sizeof(ps->linger);
		return 0;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		return real_getsockopt(fd, SOL_SOCKET, name, val, len);
	default:
		return fail(ENOPROTOOPT);
	}
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct psock *ps = psock_of(fd);

	if (!ps)
		return real_getsockopt(fd, level, name, val, len);
	if (level == SOL_SOCKET)
		return sol_socket_get(fd, ps, name, val, len);
	if (level == IPPROTO_TCP && name == TCP_INFO) {
		struct tcp_info ti;
		if (!val || !len)
			return fail(EINVAL);
		fill_tcp_info(ps, &ti);
		memcpy(val, &ti, *len < sizeof(ti) ? *len : sizeof(ti));
		*len = *len < sizeof(ti) ? *len : (socklen_t)sizeof(ti);
		return 0;
	}
	if (level == IPPROTO_TCP && name == TCP_NODELAY)
		return opt_int(val, len, ps->nodelay || g.o.no_nagle);
	if (level == IPPROTO_TCP && name == TCP_MAXSEG)
		return opt_int(val, len, (int)(psock_status(ps).mss ? psock_status(ps).mss : 536));
	if (level == IPPROTO_IP && name == IP_TOS)
		return opt_int(val, len, ps->tos);
	if (level == IPPROTO_IP && name == IP_TTL)
		return opt_int(val, len, 64);
	return fail(ENOPROTOOPT);
}

static int *sol_socket_slot(struct psock *ps, int name)
{
	switch (name) {
	case SO_REUSEADDR: return &ps->reuseaddr;
	case SO_REUSEPORT: return &ps->reuseport;
	case SO_KEEPALIVE: return &ps->keepalive;
	case SO_RCVBUF: return &ps->rcvbuf;
	case SO_SNDBUF: return &ps->sndbuf;
	default: return NULL;
	}
}

/* Options accepted and ignored (documented in the README): the stack has none of them
 * per socket, and programs set them as a matter of course. */
static bool ignored_option(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_BROADCAST || name == SO_OOBINLINE || name == SO_PRIORITY ||
		       name == SO_RCVLOWAT || name == SO_SNDLOWAT;
	if (level == IPPROTO_TCP)
		return name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT ||
		       name == TCP_QUICKACK || name == TCP_USER_TIMEOUT || name == TCP_CORK ||
		       name == TCP_DEFER_ACCEPT || name == TCP_NOTSENT_LOWAT;
	return level == IPPROTO_IP && (name == IP_TTL || name == IP_RECVERR);
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct psock *ps = psock_of(fd);
	int v = 0, *slot;

	if (!ps)
		return real_setsockopt(fd, level, name, val, len);
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
		return real_setsockopt(fd, level, name, val, len);   /* reads and writes honour them */
	if (level == SOL_SOCKET && name == SO_LINGER) {
		if (!val || len < sizeof(struct linger))
			return fail(EINVAL);
		memcpy(&ps->linger, val, sizeof(ps->linger));
		if (preload_owner()) {
			net_lock(g.n);
			bridge_linger0(ps->c, ps->linger.l_onoff && !ps->linger.l_linger);
			net_unlock(g.n);
		}
		return 0;
	}
	if (!val || len < sizeof(int))
		return fail(EINVAL);
	memcpy(&v, val, sizeof(v));
	if (level == SOL_SOCKET && (slot = sol_socket_slot(ps, name)))
		*slot = v;
	else if (level == IPPROTO_TCP && name == TCP_NODELAY)
		ps->nodelay = v;                  /* Nagle is the stack's (--nodelay), for all */
	else if (level == IPPROTO_IP && name == IP_TOS)
		ps->tos = v;
	else if (!ignored_option(level, name))
		return fail(ENOPROTOOPT);
	return 0;
}

EXPORT int shutdown(int fd, int how)
{
	struct psock *ps = psock_of(fd);

	if (ps && ps->listening)
		return fail(ENOTCONN);
	return real_shutdown(fd, how);   /* SHUT_WR: the bridge reads end of file and sends FIN */
}

/* ---- fds: close and copies ---- */

EXPORT int close(int fd)
{
	if (psock_of(fd)) {
		pthread_mutex_lock(&g.lock);
		psock_forget(fd);
		pthread_mutex_unlock(&g.lock);
	}
	return real_close(fd);
}

/* newfd now names what fd names (after a successful dup of a stack socket). */
static int copied(int fd, int newfd)
{
	struct psock *ps = psock_of(fd);

	if (newfd < 0 || newfd == fd || (!ps && !psock_of(newfd)))
		return newfd;
	pthread_mutex_lock(&g.lock);
	psock_forget(newfd);
	if (ps && newfd < PRELOAD_FDS)
		psock_set(newfd, ps);
	pthread_mutex_unlock(&g.lock);
	return newfd;
}

EXPORT int dup(int fd)
{
	return copied(fd, real_dup(fd));
}

EXPORT int dup2(int fd, int newfd)
{
	return copied(fd, real_dup2(fd, newfd));
}

EXPORT int dup3(int fd, int newfd, int flags)
{
	return copied(fd, real_dup3(fd, newfd, flags));
}

static int fcntl_common(int fd, int cmd, va_list ap)
{
	void *arg = va_arg(ap, void *);           /* an int or a pointer: passed on as it came */
	int r = real_fcntl(fd, cmd, arg);

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return copied(fd, r);
	return r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int r;

	va_start(ap, cmd);
	r = fcntl_common(fd, cmd, ap);
	va_end(ap);
	return r;
}

/* glibc's other name for it */
EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

/* ---- reads and writes: the kernel's, with a connection's error told once ---- */

/* The error (reset, timeout) a read or write reports before what the kernel says. */
static int pending_error(int fd)
{
	struct psock *ps = psock_of(fd);
	int err;

	if (!ps || !preload_owner() || !bridge_has_error(ps->c))
		return 0;                     /* the usual case: no lock, no wake-up */
	net_lock(g.n);
	err = bridge_take_error(g.b, ps->c);
	net_unlock(g.n);
	return -err;
}

/* After a read returned r: end of file, or an error first? */
static ssize_t read_result(int fd, ssize_t r)
{
	int err;

	if (r != 0 || !psock_of(fd) || !(err = pending_error(fd)))
		return r;
	return fail(err);
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	return read_result(fd, real_read(fd, buf, len));
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return read_result(fd, real_readv(fd, iov, n));
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return read_result(fd, real_recv(fd, buf, len, flags));
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa, socklen_t *alen)
{
	return read_result(fd, real_recvfrom(fd, buf, len, flags, sa, alen));
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return read_result(fd, real_recvmsg(fd, msg, flags));
}

static bool write_error(int fd, int *err)
{
	return psock_of(fd) && (*err = pending_error(fd)) != 0;
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	int err;

	return write_error(fd, &err) ? fail(err) : real_write(fd, buf, len);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	int err;

	return write_error(fd, &err) ? fail(err) : real_writev(fd, iov, n);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	int err;

	return write_error(fd, &err) ? fail(err) : real_send(fd, buf, len, flags);
}

/* A connected stream ignores the address (a UNIX one would say EISCONN). */
EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *sa,
	       socklen_t alen)
{
	int err;

	if (!psock_of(fd))
		return real_sendto(fd, buf, len, flags, sa, alen);
	return write_error(fd, &err) ? fail(err) : real_send(fd, buf, len, flags);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;
	int err;

	if (!psock_of(fd))
		return real_sendmsg(fd, msg, flags);
	if (write_error(fd, &err))
		return fail(err);
	m = *msg;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	return real_sendmsg(fd, &m, flags);
}

/* ---- libraries loaded later ---- */

/* RTLD_DEEPBIND makes a library bind to libc before this one, past LD_PRELOAD: PHP
 * loads its extensions (sockets among them) that way. Loaded without it, their
 * socket calls come here as everyone else's. */
EXPORT void *dlopen(const char *file, int mode)
{
	static void *(*real_dlopen)(const char *, int);

	if (!real_dlopen)
		real_dlopen = (void *(*)(const char *, int))real("dlopen");
	return real_dlopen(file, mode & ~RTLD_DEEPBIND);
}

/* ---- exit: what the program wrote and closed still goes out ---- */

/* The program ends: its stack sockets are closed as the kernel would close them,
 * then the bridge hands what they hold to the stack, which sends it and closes
 * (up to EXIT_WAIT_MS), and the log and capture are completed. */
static void preload_exit(void)
{
	uint64_t until = net_now() + EXIT_WAIT_MS * 1000ull;

	if (!preload_owner())
		return;
	pthread_mutex_lock(&g.lock);
	for (int fd = 0; fd < PRELOAD_FDS; fd++)
		if (psock_of(fd)) {
			psock_forget(fd);
			real_close(fd);
		}
	pthread_mutex_unlock(&g.lock);
	net_lock(g.n);
	while (bridge_live(g.b) && net_now() < until)
		net_wait_locked(g.n, 100);
	net_unlock(g.n);
	net_stop(g.n);
	g.owner = 0;
}

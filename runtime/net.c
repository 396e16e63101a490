/* net.c - the runtime (net.h): a TUN device, one network thread that feeds the
 * core and runs its timers, and blocking calls for applications built on the
 * core's non-blocking ones. One mutex guards the stack; one condition variable
 * wakes blocked callers whenever the network thread has done something. With
 * impairments configured (impair.h), packets pass through one impair object each
 * way - out: env.emit -> impair -> write(); in: read() -> impair -> stack_input()
 * - and the thread also wakes for their release times. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                /* ppoll; the Makefile defines it, `make sanitize` does not */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "net.h"
#include "stack.h"
#include "tcp.h"
#include "tun.h"

#define RX_BATCH 64                /* packets read per wake-up before timers run */

struct net {
	struct net_options o;
	struct stack *s;
	struct log log;
	int tunfd, evfd, sigfd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	uint64_t sleep_until;      /* the deadline the network thread sleeps towards */
	uint64_t tx_errors;
	struct impair *imp_in, *imp_out;   /* both NULL: no impairment, the fast path */
	uint8_t rx[65536];
	uint8_t ibuf[65536], obuf[65536];  /* packets leaving the impair queues */
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- options shared by every app ---- */

void net_options_default(struct net_options *o)
{
	memset(o, 0, sizeof(*o));
	o->tun = "tun0";
	o->ip = 0x0a000002;
	o->tun_ip = 0x0a000001;
	o->prefix = 24;
	o->mtu = 1500;
	o->msl_ms = 30000;
}

void net_usage_common(FILE *f)
{
	fputs("Network options (the same for every app):\n"
	      "  --tun NAME          TUN device to create, or attach to if it exists (default tun0)\n"
	      "  --ip ADDR           the stack's IPv4 address (default 10.0.0.2)\n"
	      "  --tun-ip ADDR/LEN   the kernel side's address on the device (default 10.0.0.1/24)\n"
	      "  --mtu N             device MTU; the stack's MSS is MTU-40 (default 1500)\n"
	      "  --msl SECONDS       maximum segment lifetime; TIME-WAIT lasts 2*MSL\n"
	      "                      (default 30, so TIME-WAIT is 60 s as on Linux)\n"
	      "  --isn N             every initial sequence number is N (default: random)\n"
	      "  --pcap FILE         write every packet the stack sends and receives to FILE\n"
	      "  --log FILE          the state-transition log goes to FILE (default: stderr)\n"
	      "  -v, --verbose       also log every segment, drop and timer; -vv: user calls too\n"
	      "  --nodelay           send small segments at once (Nagle's algorithm off)\n"
	      "  --no-delayed-ack    acknowledge every segment at once (no delayed ACK)\n"
	      "  --syncookies        answer SYNs with SYN cookies when the half-open queue is full\n"
	      "  --abort-on-overflow RST a handshake that finds the accept queue full (else wait)\n"
	      "  --stats             print every counter (drops by reason, RSTs, challenge ACKs,\n"
	      "                      retransmissions...) on exit; SIGUSR1 prints them any time\n"
	      "  -h, --help          this help\n"
	      "Link impairments, done by the stack itself (no netem needed). Each applies to\n"
	      "both directions unless its value starts with in: (packets the stack receives)\n"
	      "or out: (packets it sends). Random ones are logged with -v, rules always.\n"
	      "  --loss [in:|out:]P%      lose packets at random (P may have decimals: 0.5%)\n"
	      "  --delay [in:|out:]TIME   hold every packet back (500ms, 2s, 1500us; bare: ms)\n"
	      "  --jitter [in:|out:]TIME  add a uniform random 0..TIME to the delay\n"
	      "  --reorder [in:|out:]P%   a packet swaps places with the next one (or waits 10 ms)\n"
	      "  --dup [in:|out:]P%       send a packet twice\n"
	      "  --corrupt [in:|out:]P%   flip one random bit (the receiver's checksum drops it)\n"
	      "  --impair-seed N          seed of every random decision (default: random, printed)\n"
	      "  --rule DIR:MATCH[#N]:ACTION   act on chosen packets (before the random ones);\n"
	      "                           DIR in or out; MATCH syn, syn-ack, data, ack (pure),\n"
	      "                           fin, rst, any, last-ack (the final ACK of a close);\n"
	      "                           #N: only the Nth match, else every one; ACTION drop,\n"
	      "                           dup, corrupt or delay=TIME. Repeatable.\n"
	      "  e.g.  --loss 5% --reorder in:2%        --rule out:fin#1:drop\n", f);
}

void net_bad_usage(const char *prog, const char *fmt, ...)
{
	const char *base = strrchr(prog, '/');
	va_list ap;

	fprintf(stderr, "%s: ", base ? base + 1 : prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(2);
}

int net_parse_addr(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

int net_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return (errno || end == s || *end || *v > max || *s == '-') ? -1 : 0;
}

void net_args_host_port(int argc, char **argv, uint32_t *addr, unsigned long *port)
{
	if (optind >= argc)
		net_bad_usage(argv[0], "missing HOST");
	if (net_parse_addr(argv[optind], addr))
		net_bad_usage(argv[0], "HOST must be an IPv4 address: %s", argv[optind]);
	if (optind + 1 < argc && (net_parse_uint(argv[optind + 1], 65535, port) || !*port))
		net_bad_usage(argv[0], "bad PORT: %s", argv[optind + 1]);
	if (optind + 2 < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind + 2]);
}

static int parse_prefixed(const char *arg, uint32_t *addr, int *prefix)
{
	char buf[32];
	char *slash;
	unsigned long p = 24;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	if ((slash = strchr(buf, '/'))) {
		*slash = 0;
		if (net_parse_uint(slash + 1, 30, &p) || p < 1)
			return -1;
	}
	*prefix = (int)p;
	return net_parse_addr(buf, addr);
}

static int net_impair_option(struct net_options *o, int c, const char *arg, const char *prog)
{
	static const char *const names[] = {
		[NET_OPT_LOSS - NET_OPT_LOSS] = "loss", [NET_OPT_DELAY - NET_OPT_LOSS] = "delay",
		[NET_OPT_JITTER - NET_OPT_LOSS] = "jitter", [NET_OPT_REORDER - NET_OPT_LOSS] = "reorder",
		[NET_OPT_DUP - NET_OPT_LOSS] = "dup", [NET_OPT_CORRUPT - NET_OPT_LOSS] = "corrupt",
		[NET_OPT_IMPAIR_SEED - NET_OPT_LOSS] = "impair-seed", [NET_OPT_RULE - NET_OPT_LOSS] = "rule",
	};
	char err[256];

	if (impair_option(&o->impair_in, &o->impair_out, names[c - NET_OPT_LOSS], arg, err,
			  sizeof(err)))
		net_bad_usage(prog, "%s", err);
	if (c == NET_OPT_IMPAIR_SEED)
		o->impair_seed_set = 1;
	return 1;
}

int net_option(struct net_options *o, int c, const char *arg, const char *prog)
{
	unsigned long v;
	char *end;
	double msl;

	switch (c) {
	case NET_OPT_TUN:
		if (!*arg || strlen(arg) >= 16)
			net_bad_usage(prog, "--tun: a device name of 1 to 15 characters");
		o->tun = arg;
		return 1;
	case NET_OPT_IP:
		if (net_parse_addr(arg, &o->ip))
			net_bad_usage(prog, "--ip: not an IPv4 address: %s", arg);
		return 1;
	case NET_OPT_TUN_IP:
		if (parse_prefixed(arg, &o->tun_ip, &o->prefix))
			net_bad_usage(prog, "--tun-ip: expected ADDR/PREFIX, e.g. 10.0.0.1/24: %s", arg);
		return 1;
	case NET_OPT_MTU:
		if (net_parse_uint(arg, 9000, &v) || v < 576)
			net_bad_usage(prog, "--mtu: a number from 576 to 9000: %s", arg);
		o->mtu = (int)v;
		return 1;
	case NET_OPT_MSL:
		msl = strtod(arg, &end);
		if (end == arg || *end || !(msl > 0 && msl <= 3600))
			net_bad_usage(prog, "--msl: seconds, more than 0 and at most 3600: %s", arg);
		o->msl_ms = (uint32_t)(msl * 1000 + 0.5);
		if (!o->msl_ms)
			o->msl_ms = 1;
		return 1;
	case NET_OPT_ISN:
		if (net_parse_uint(arg, 0xffffffffu, &v))
			net_bad_usage(prog, "--isn: a number from 0 to 4294967295: %s", arg);
		o->fixed_isn = 1;
		o->isn = (uint32_t)v;
		return 1;
	case NET_OPT_PCAP:
		o->pcap = arg;
		return 1;
	case NET_OPT_LOG:
		o->log = arg;
		return 1;
	case 'v':
		o->verbose++;
		return 1;
	case NET_OPT_NODELAY:
		o->no_nagle = 1;
		return 1;
	case NET_OPT_NO_DELAYED_ACK:
		o->no_delayed_ack = 1;
		return 1;
	case NET_OPT_SYNCOOKIES:
		o->syncookies = 1;
		return 1;
	case NET_OPT_ABORT_ON_OVERFLOW:
		o->abort_on_overflow = 1;
		return 1;
	case NET_OPT_STATS:
		o->stats = 1;
		return 1;
	default:
		if (c >= NET_OPT_LOSS && c <= NET_OPT_RULE)
			return net_impair_option(o, c, arg, prog);
		return 0;
	}
}

int net_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       struct net_options *o)
{
	char opts[64];
	int c;

	snprintf(opts, sizeof(opts), ":" NET_SHORT_OPTIONS "%s", shortopts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, opts, longopts, NULL)) != -1) {
		if (c == '?')
			net_bad_usage(argv[0], "unknown option %s", argv[optind - 1]);
		if (c == ':')
			net_bad_usage(argv[0], "option %s needs a value", argv[optind - 1]);
		if (!net_option(o, c, optarg, argv[0]))
			return c;
	}
	return -1;
}

const char *net_addr_str(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, addr >> 16 & 255, addr >> 8 & 255, addr & 255);
	return buf;
}

/* ---- the core's environment ---- */

static void net_write(struct net *n, const uint8_t *pkt, size_t len)
{
	if (write(n->tunfd, pkt, len) != (ssize_t)len)
		n->tx_errors++;
}

/* Write every packet the out queue has due; called with the lock held. */
static void net_release_out(struct net *n, uint64_t now)
{
	size_t len;

	while ((len = impair_pop(n->imp_out, now, n->obuf, sizeof(n->obuf))))
		net_write(n, n->obuf, len);
}

static void net_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct net *n = ctx;
	uint64_t now;

	if (!n->imp_out) {
		net_write(n, pkt, len);
		return;
	}
	now = now_us();
	impair_offer(n->imp_out, now, pkt, len);
	net_release_out(n, now);           /* undelayed packets leave at once */
}

static uint32_t net_rand(void *ctx)
{
	uint32_t v;

	(void)ctx;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)now_us() * 2654435761u;
	return v;
}

static void net_trace(void *ctx, const struct trace_event *ev)
{
	log_trace(&((struct net *)ctx)->log, ev);
}

static void net_note(struct net *n, const char *dir, uint64_t now, int level, const char *what,
		     const uint8_t *pkt, size_t len)
{
	log_note(&n->log, now, level, dir, what, pkt, len);
}

static void net_note_in(void *ctx, uint64_t now, int level, const char *what,
			const uint8_t *pkt, size_t len)
{
	net_note(ctx, "in", now, level, what, pkt, len);
}

static void net_note_out(void *ctx, uint64_t now, int level, const char *what,
			 const uint8_t *pkt, size_t len)
{
	net_note(ctx, "out", now, level, what, pkt, len);
}

/* ---- the network thread ---- */

/* The earliest of the core's timers and the impair queues' release times. */
static uint64_t net_next_event(const struct net *n)
{
	uint64_t t = stack_next_deadline(n->s);

	if (n->imp_in && impair_next(n->imp_in) < t)
		t = impair_next(n->imp_in);
	if (n->imp_out && impair_next(n->imp_out) < t)
		t = impair_next(n->imp_out);
	return t;
}

/* Called with the lock held after a user call: if that call armed an earlier
 * timer than the one the network thread sleeps towards, wake it. */
static void net_kick(struct net *n)
{
	uint64_t one = 1;

	pthread_cond_broadcast(&n->cond);
	if (net_next_event(n) < n->sleep_until && write(n->evfd, &one, sizeof(one)) < 0)
		return;
}

/* SIGUSR1 prints the counters; SIGINT and SIGTERM end the program (with the
 * counters first under --stats), the log flushed. */
static void net_on_signal(struct net *n)
{
	struct signalfd_siginfo si;

	if (read(n->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1 || n->o.stats)
		net_print_stats(n, stderr);
	if (si.ssi_signo == SIGUSR1)
		return;
	pthread_mutex_lock(&n->lock);
	log_flush(&n->log);
	exit(128 + (int)si.ssi_signo);
}

/* Sleep in ppoll until an fd is ready or `deadline` (us precision: impairment
 * delays and jitter are often a few ms). */
static void net_wait(struct pollfd *pfd, nfds_t nfds, uint64_t deadline)
{
	uint64_t now = now_us(), d = deadline > now ? deadline - now : 0;
	struct timespec ts = { .tv_sec = (time_t)(d / 1000000), .tv_nsec = (long)(d % 1000000) * 1000 };

	ppoll(pfd, nfds, deadline == UINT64_MAX ? NULL : &ts, NULL);
}

static void net_receive(struct net *n)
{
	for (int i = 0; i < RX_BATCH; i++) {
		ssize_t len = read(n->tunfd, n->rx, sizeof(n->rx));
		if (len <= 0)
			break;
		if (n->imp_in)
			impair_offer(n->imp_in, now_us(), n->rx, (size_t)len);
		else
			stack_input(n->s, now_us(), n->rx, (size_t)len);
	}
}

/* Hand over what the impair queues have due: in -> the core, out -> the device. */
static void net_release(struct net *n)
{
	size_t len;

	if (!n->imp_in)
		return;
	while ((len = impair_pop(n->imp_in, now_us(), n->ibuf, sizeof(n->ibuf))))
		stack_input(n->s, now_us(), n->ibuf, len);
	net_release_out(n, now_us());
}

static void *net_loop(void *arg)
{
	struct net *n = arg;
	struct pollfd pfd[3] = {
		{ .fd = n->tunfd, .events = POLLIN }, { .fd = n->evfd, .events = POLLIN },
		{ .fd = n->sigfd, .events = POLLIN },
	};
	uint64_t drain;

	pthread_mutex_lock(&n->lock);
	while (!n->stop) {
		n->sleep_until = net_next_event(n);
		pthread_mutex_unlock(&n->lock);
		net_wait(pfd, 3, n->sleep_until);
		if (pfd[2].revents & POLLIN)
			net_on_signal(n);
		if ((pfd[1].revents & POLLIN) && read(n->evfd, &drain, sizeof(drain)) < 0)
			drain = 0;
		pthread_mutex_lock(&n->lock);
		if (pfd[0].revents & POLLIN)
			net_receive(n);
		net_release(n);
		stack_poll(n->s, now_us());
		pthread_cond_broadcast(&n->cond);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* ---- start and stop ---- */

static int net_open_tun(struct net *n)
{
	const struct net_options *o = &n->o;
	int err;

	n->tunfd = tun_open(o->tun);
	if (n->tunfd < 0) {
		fprintf(stderr, "tun: cannot open %s: %s\n  (run as root, or let an admin create it "
			"for you: ip tuntap add dev %s mode tun user $USER)\n",
			o->tun, strerror(-n->tunfd), o->tun);
		return -1;
	}
	err = tun_configure(o->tun, o->tun_ip, o->prefix, o->mtu);
	if (err && tun_is_up(o->tun)) {
		fprintf(stderr, "tun: attached to %s as its owner set it up (not configured: %s)\n",
			o->tun, strerror(-err));
	} else if (err) {
		char a[16];
		fprintf(stderr, "tun: %s is down and cannot be configured (%s); as root run:\n"
			"  ip addr add %s/%d dev %s && ip link set %s up\n", o->tun, strerror(-err),
			net_addr_str(o->tun_ip, a), o->prefix, o->tun, o->tun);
	}
	fcntl(n->tunfd, F_SETFL, fcntl(n->tunfd, F_GETFL) | O_NONBLOCK);
	return 0;
}

static int net_open_signals(struct net *n)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);  /* every thread; the network thread reads them */
	n->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return n->sigfd < 0 ? -1 : 0;
}

/* Both directions or none: last-ack rules need the FINs of both (one shared
 * connection table), so an unimpaired direction still passes through. */
static int net_open_impair(struct net *n)
{
	struct net_options *o = &n->o;

	if (!impair_active(&o->impair_in) && !impair_active(&o->impair_out))
		return 0;
	if (!o->impair_seed_set)
		o->impair_in.seed = o->impair_out.seed = net_rand(NULL);
	fprintf(stderr, "impair: seed %u (repeat this run with --impair-seed %u)\n",
		o->impair_in.seed, o->impair_in.seed);
	n->imp_in = impair_new(&o->impair_in, "in", NULL);
	n->imp_out = n->imp_in ? impair_new(&o->impair_out, "out", n->imp_in) : NULL;
	if (!n->imp_out)
		return -1;
	impair_set_note(n->imp_in, net_note_in, n);
	impair_set_note(n->imp_out, net_note_out, n);
	return 0;
}

struct net *net_start(const struct net_options *o)
{
	struct net *n = calloc(1, sizeof(*n));
	struct stack_config cfg = { .addr = o->ip, .prefix = o->prefix, .mtu = (uint16_t)o->mtu,
				    .msl_ms = o->msl_ms, .fixed_isn = o->fixed_isn, .isn = o->isn,
				    .no_nagle = o->no_nagle, .no_delayed_ack = o->no_delayed_ack,
				    .syncookies = o->syncookies,
				    .abort_on_overflow = o->abort_on_overflow };
	struct stack_env env = { .ctx = n, .emit = net_emit, .rand = net_rand, .trace = net_trace };
	int err;

	if (!n)
		return NULL;
	n->o = *o;
	if ((err = log_open(&n->log, o->log, o->pcap, o->verbose))) {
		fprintf(stderr, "cannot open %s: %s\n", o->pcap ? o->pcap : o->log, strerror(-err));
		return NULL;
	}
	if (net_open_impair(n) || net_open_tun(n) || net_open_signals(n) ||
	    (n->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return NULL;
	n->s = stack_new(&cfg, &env);
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	if (!n->s || pthread_create(&n->thread, NULL, net_loop, n))
		return NULL;
	return n;
}

void net_stop(struct net *n)
{
	uint64_t one = 1, until = now_us() + 10000000;

	pthread_mutex_lock(&n->lock);
	while (tcp_closing_count(n->s) && now_us() < until) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&n->cond, &n->lock, &ts);
	}
	n->stop = 1;
	pthread_mutex_unlock(&n->lock);
	if (write(n->evfd, &one, sizeof(one)) < 0)
		one = 0;
	pthread_join(n->thread, NULL);
	if (n->o.stats)
		net_print_stats(n, stderr);
	log_close(&n->log);
	stack_free(n->s);
	impair_free(n->imp_in);              /* packets still queued are lost */
	impair_free(n->imp_out);
	close(n->tunfd);
	close(n->evfd);
	close(n->sigfd);
	free(n);
}

/* ---- blocking calls ---- */

static struct tcp_status net_status(struct net *n, int fd)
{
	struct tcp_status st = { .state = TCP_CLOSED };

	tcp_status(n->s, fd, &st);
	return st;
}

int net_listen(struct net *n, uint16_t port, int backlog)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_listen(n->s, now_us(), port, backlog);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int net_serve(struct net *n, uint16_t port, const char *name)
{
	char a[16];
	int lfd = net_listen(n, port, 16);

	if (lfd < 0) {
		fprintf(stderr, "%s: listen: %s\n", name, strerror(-lfd));
		exit(1);
	}
	printf("%s: listening on %s:%u\n", name, net_addr_str(n->o.ip, a), port);
	fflush(stdout);
	return lfd;
}

int net_accept(struct net *n, int lfd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	while ((r = tcp_accept(n->s, lfd)) == -EAGAIN)
		pthread_cond_wait(&n->cond, &n->lock);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int net_connect(struct net *n, uint32_t addr, uint16_t port)
{
	struct tcp_status st;
	int fd;

	pthread_mutex_lock(&n->lock);
	fd = tcp_connect(n->s, now_us(), addr, port, 0);
	if (fd >= 0) {
		net_kick(n);
		while ((st = net_status(n, fd)).state == TCP_SYN_SENT || st.state == TCP_SYN_RECEIVED)
			pthread_cond_wait(&n->cond, &n->lock);
		if (st.state == TCP_CLOSED) {
			tcp_release(n->s, now_us(), fd);
			fd = st.error ? st.error : -ECONNREFUSED;
		}
	}
	pthread_mutex_unlock(&n->lock);
	return fd;
}

ssize_t net_send(struct net *n, int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t r = 0;

	pthread_mutex_lock(&n->lock);
	while (done < len) {
		r = tcp_send(n->s, now_us(), fd, (const char *)buf + done, len - done);
		if (r == -EAGAIN)
			pthread_cond_wait(&n->cond, &n->lock);
		else if (r < 0)
			break;
		else
			done += (size_t)r;
	}
	net_kick(n);
	pthread_mutex_unlock(&n->lock);
	return r < 0 && r != -EAGAIN ? r : (ssize_t)done;
}

ssize_t net_recv(struct net *n, int fd, void *buf, size_t len)
{
	ssize_t r;

	pthread_mutex_lock(&n->lock);
	while ((r = tcp_recv(n->s, now_us(), fd, buf, len)) == -EAGAIN)
		pthread_cond_wait(&n->cond, &n->lock);
	net_kick(n);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int net_shutdown(struct net *n, int fd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_shutdown(n->s, now_us(), fd);
	net_kick(n);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int net_close(struct net *n, int fd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_close(n->s, now_us(), fd);
	tcp_release(n->s, now_us(), fd);
	net_kick(n);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int net_close_wait(struct net *n, int fd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_close(n->s, now_us(), fd);
	net_kick(n);
	while (r == 0 && net_status(n, fd).state != TCP_CLOSED)
		pthread_cond_wait(&n->cond, &n->lock);
	tcp_release(n->s, now_us(), fd);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int net_peer(struct net *n, int fd, uint32_t *addr, uint16_t *port)
{
	struct tcp_status st;
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_status(n->s, fd, &st);
	pthread_mutex_unlock(&n->lock);
	*addr = st.raddr;
	*port = st.rport;
	return r;
}

static void net_print_impair(const struct impair *im, FILE *f)
{
	static const char *const names[] = { "dropped", "delayed", "duplicated", "corrupted",
					     "reordered", "dropped: queue full" };
	const struct impair_stats *st;

	if (!im)
		return;
	st = impair_stats(im);
	uint64_t v[] = { st->dropped, st->delayed, st->duplicated, st->corrupted, st->reordered,
			 st->overflow };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i])
			fprintf(f, "%10llu impair %s: %s\n", (unsigned long long)v[i], impair_dir(im),
				names[i]);
}

void net_print_stats(struct net *n, FILE *f)
{
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < STAT_COUNT; i++)
		if (stack_stat(n->s, (enum stat_id)i))
			fprintf(f, "%10llu %s%s\n", (unsigned long long)stack_stat(n->s, (enum stat_id)i),
				i >= STAT_DROP_FIRST ? "dropped: " : "", stat_name((enum stat_id)i));
	net_print_impair(n->imp_in, f);
	net_print_impair(n->imp_out, f);
	pthread_mutex_unlock(&n->lock);
}

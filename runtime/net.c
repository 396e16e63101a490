/* net.c - the runtime (net.h): a TUN device, one network thread that feeds the
 * core and runs its timers, and blocking calls for applications built on the
 * core's non-blocking ones. One mutex guards the stack; one condition variable
 * wakes blocked callers whenever the network thread has done something. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	uint8_t rx[65536];
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
	      "  -h, --help          this help\n", f);
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
	default:
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

static void net_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct net *n = ctx;

	if (write(n->tunfd, pkt, len) != (ssize_t)len)
		n->tx_errors++;
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

/* ---- the network thread ---- */

/* Called with the lock held after a user call: if that call armed an earlier
 * timer than the one the network thread sleeps towards, wake it. */
static void net_kick(struct net *n)
{
	uint64_t one = 1;

	pthread_cond_broadcast(&n->cond);
	if (stack_next_deadline(n->s) < n->sleep_until && write(n->evfd, &one, sizeof(one)) < 0)
		return;
}

static void net_on_signal(struct net *n)
{
	struct signalfd_siginfo si;

	if (read(n->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	pthread_mutex_lock(&n->lock);
	log_flush(&n->log);
	exit(128 + (int)si.ssi_signo);
}

static int poll_timeout(uint64_t deadline)
{
	uint64_t now = now_us();

	if (deadline == UINT64_MAX)
		return -1;
	if (deadline <= now)
		return 0;
	return (deadline - now) / 1000 + 1 > INT_MAX ? INT_MAX : (int)((deadline - now) / 1000 + 1);
}

static void net_receive(struct net *n)
{
	for (int i = 0; i < RX_BATCH; i++) {
		ssize_t len = read(n->tunfd, n->rx, sizeof(n->rx));
		if (len <= 0)
			break;
		stack_input(n->s, now_us(), n->rx, (size_t)len);
	}
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
		n->sleep_until = stack_next_deadline(n->s);
		pthread_mutex_unlock(&n->lock);
		poll(pfd, 3, poll_timeout(n->sleep_until));
		if (pfd[2].revents & POLLIN)
			net_on_signal(n);
		if ((pfd[1].revents & POLLIN) && read(n->evfd, &drain, sizeof(drain)) < 0)
			drain = 0;
		pthread_mutex_lock(&n->lock);
		if (pfd[0].revents & POLLIN)
			net_receive(n);
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
	pthread_sigmask(SIG_BLOCK, &set, NULL);  /* every thread; the network thread reads them */
	n->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return n->sigfd < 0 ? -1 : 0;
}

struct net *net_start(const struct net_options *o)
{
	struct net *n = calloc(1, sizeof(*n));
	struct stack_config cfg = { .addr = o->ip, .mtu = (uint16_t)o->mtu, .msl_ms = o->msl_ms,
				    .fixed_isn = o->fixed_isn, .isn = o->isn };
	struct stack_env env = { .ctx = n, .emit = net_emit, .rand = net_rand, .trace = net_trace };
	int err;

	if (!n)
		return NULL;
	n->o = *o;
	if ((err = log_open(&n->log, o->log, o->pcap, o->verbose))) {
		fprintf(stderr, "cannot open %s: %s\n", o->pcap ? o->pcap : o->log, strerror(-err));
		return NULL;
	}
	if (net_open_tun(n) || net_open_signals(n) ||
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
	log_close(&n->log);
	stack_free(n->s);
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

void net_print_stats(struct net *n, FILE *f)
{
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < STAT_COUNT; i++)
		if (stack_stat(n->s, (enum stat_id)i))
			fprintf(f, "%10llu %s%s\n", (unsigned long long)stack_stat(n->s, (enum stat_id)i),
				i >= STAT_DROP_FIRST ? "dropped: " : "", stat_name((enum stat_id)i));
	pthread_mutex_unlock(&n->lock);
}

/* net.c - the runtime (net.h): a TUN device, one network thread that feeds the
 * core and runs its timers, and blocking calls for applications built on the
 * core's non-blocking ones. One mutex guards the stack; one condition variable
 * wakes blocked callers whenever the network thread has done something. With
 * impairments configured (impair.h), packets pass through one impair object each
 * way - out: env.emit -> impair -> write(); in: read() -> impair -> stack_input()
 * - and the thread also wakes for their release times. What is due when, and
 * running it, is loop.c's (shared with sim.c); this file adds the real clock,
 * the device and the sleeping in ppoll. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                /* ppoll; the Makefile defines it, `make sanitize` does not */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "loop.h"
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
	struct loop loop;          /* the stack, and imp_in, imp_out as queues NET_IN, NET_OUT */
	uint8_t rx[65536];
};

enum { NET_IN, NET_OUT };          /* the impair queues' numbers in the loop */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- the core's environment ---- */

static void net_write(struct net *n, const uint8_t *pkt, size_t len)
{
	if (write(n->tunfd, pkt, len) != (ssize_t)len)
		n->tx_errors++;
}

/* The impair queues' sinks: in -> the core, out -> the device. */
static void net_to_core(void *ctx, uint64_t now, const uint8_t *pkt, size_t len)
{
	stack_input(((struct net *)ctx)->s, now, pkt, len);
}

static void net_to_device(void *ctx, uint64_t now, const uint8_t *pkt, size_t len)
{
	(void)now;
	net_write(ctx, pkt, len);
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
	loop_release(&n->loop, NET_OUT, now);   /* undelayed packets leave at once */
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

/* Called with the lock held after a user call: if that call armed an earlier
 * timer than the one the network thread sleeps towards, wake it. */
static void net_kick(struct net *n)
{
	uint64_t one = 1;

	pthread_cond_broadcast(&n->cond);
	if (loop_next(&n->loop).at < n->sleep_until && write(n->evfd, &one, sizeof(one)) < 0)
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
		n->sleep_until = loop_next(&n->loop).at;
		pthread_mutex_unlock(&n->lock);
		net_wait(pfd, 3, n->sleep_until);
		if (pfd[2].revents & POLLIN)
			net_on_signal(n);
		if ((pfd[1].revents & POLLIN) && read(n->evfd, &drain, sizeof(drain)) < 0)
			drain = 0;
		pthread_mutex_lock(&n->lock);
		if (pfd[0].revents & POLLIN)
			net_receive(n);
		loop_run_due(&n->loop, now_us());
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
	loop_set_queue(&n->loop, NET_IN, n->imp_in, net_to_core, n);
	loop_set_queue(&n->loop, NET_OUT, n->imp_out, net_to_device, n);
	return 0;
}

struct net *net_start(const struct net_options *o)
{
	struct net *n = calloc(1, sizeof(*n));
	struct stack_config cfg = { .addr = o->ip, .prefix = o->prefix, .mtu = (uint16_t)o->mtu,
				    .msl_ms = o->msl_ms, .fixed_isn = o->fixed_isn, .isn = o->isn,
				    .no_nagle = o->no_nagle, .no_delayed_ack = o->no_delayed_ack,
				    .no_syncookies = o->no_syncookies,
				    .abort_on_overflow = o->abort_on_overflow };
	struct stack_env env = { .ctx = n, .emit = net_emit, .rand = net_rand, .trace = net_trace };
	struct log_config lc = { .log_path = o->log, .pcap_path = o->pcap, .verbose = o->verbose,
				 .json = o->log_json, .classic_pcap = o->pcap_classic };
	int err;

	if (!n)
		return NULL;
	n->o = *o;
	if ((err = log_open(&n->log, &lc))) {
		fprintf(stderr, "cannot open %s: %s\n", o->pcap ? o->pcap : o->log, strerror(-err));
		return NULL;
	}
	if (net_open_impair(n) || net_open_tun(n) || net_open_signals(n) ||
	    (n->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return NULL;
	if ((n->s = stack_new(&cfg, &env)))
		loop_add_stack(&n->loop, n->s);
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

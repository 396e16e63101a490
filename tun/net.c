/* net.c - the runtime (net.h): a TUN device, one network thread that feeds the
 * core and runs its timers, and blocking calls for applications built on the
 * core's non-blocking ones. One mutex guards the stack. A blocked call sleeps on a
 * condition of its own, and is woken only when the core reports a change to the
 * connection it waits on (stack_env.changed), after the lock is let go of; the
 * packets a call made are written after that too (net_release). With
 * impairments configured (impair.h), packets pass through one impair object each
 * way - out: env.emit -> impair -> write(); in: read() -> impair -> stack_input()
 * - and the thread also wakes for their release times. What is due when, and
 * running it, is loop.c's (shared with sim.c); this file adds the real clock,
 * the device and the sleeping in ppoll. It also answers tuntcp-ss on the control
 * socket (control.h: a thread of its own, which takes the lock only to copy the
 * connections' status) and pauses the stack in step mode (step.h: in the trace
 * callback, with the lock held, so nothing else touches the stack meanwhile).
 * The link is the TUN device, or (net_start_pair, for tests without root) one end
 * of a SOCK_SEQPACKET socketpair whose other end is a second net: one IPv4 packet
 * per read and write either way. */
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
#include <sys/socket.h>
#include <linux/virtio_net.h>
#include <time.h>
#include <unistd.h>
#include "control.h"
#include "gso.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "ss.h"
#include "stack.h"
#include "step.h"
#include "tcp.h"
#include "tun.h"

#define RX_BATCH 64                /* packets read per wake-up before timers run */
#define NET_WAIT_BUCKETS 256       /* blocked calls, found by the handle they wait on */
#define TXQ_BYTES (256 * 1024)     /* packets made under the lock, written after it */
#define TXQ_PACKETS 64
#define NET_SIGNALS 64             /* wake-ups kept until the lock is let go of */
#define NET_LEASE_US 1000          /* the link is left to a driver this long after it stops */

/* A condition variable a blocked thread sleeps on. They are never destroyed before
 * net_stop, only reused: a thread may be woken after the lock is let go of (so that it
 * does not wake only to wait for the lock), when its waiter may be gone and the slot
 * reused - which costs the new waiter a spurious wake-up, and every wait is a loop. */
struct net_slot {
	pthread_cond_t cond;
	struct net_slot *next;     /* in the free list */
	struct net_slot *all;      /* every slot, for net_stop */
};

/* A thread blocked in a call, and what would end its wait. */
struct net_waiter {
	struct net_slot *slot;
	int h;                     /* the connection (or listener) it waits on */
	int want;                  /* TCP_EV_* that end the wait */
	struct net_pollfd *set;    /* or, net_poll: any of these */
	int count;
	struct net_waiter *next;
};

/* An event set (net_events_new): what each watched handle waits for, and the handles
 * to ask at the next wait - those a call changed since, and those found ready then. */
struct net_events {
	struct net *n;
	short *want;               /* by handle: NET_POLLIN | NET_POLLOUT, 0 when not watched */
	bool *listed;              /* by handle: in cand */
	uint32_t cap;              /* entries of want and listed */
	int *cand;                 /* handles to ask */
	uint32_t n_cand, cap_cand;
	struct net_waiter *waiter; /* the thread in net_events_wait, if any ... */
	bool driving;              /* ... reading the link itself (net_drive) */
	int evfd;                  /* wakes it then */
	struct net_events *next;
};

/* Packets the stack made during a call, back to back, waiting to be written. */
struct net_txq {
	uint8_t *buf;
	size_t len;
	uint32_t ends[TXQ_PACKETS];  /* where each packet ends in buf */
	int n;
};

struct net {
	struct net_options o;
	struct stack *s;
	struct log log;
	int linkfd;                /* the TUN device, or one end of net_start_pair's socketpair */
	bool paired;               /* the socketpair: no signals, no control socket */
	int evfd, sigfd;           /* sigfd -1: signals are not ours (a pair) */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* net_stop and net_wait_locked wait on it */
	/* The threads in blocking calls, each on a condition of its own: those waiting on
	 * one connection in the bucket of its handle, net_poll's on a list of their own.
	 * The core reports which handles each call changed (env.changed); only their
	 * waiters, and the event sets that watch them, are looked at. */
	struct net_waiter *waiters[NET_WAIT_BUCKETS];
	struct net_waiter *pollers;
	int *changed;              /* handles changed since the waiters were last looked at */
	uint32_t n_changed, cap_changed;
	bool changed_all;          /* ... or any may have (the core could not say, or no memory) */
	struct net_events *events; /* the event sets */
	/* Run to completion (net_drive): a thread waiting on an event set reads the link
	 * itself, runs the core and goes on to its own work without a thread switch.
	 * Meanwhile the network thread leaves the link out of its ppoll; it takes it back
	 * NET_LEASE_US after the driver last stopped, if nobody drives it by then. */
	struct net_events *driver; /* the set whose thread reads the link now, or NULL */
	uint64_t drive_stops;      /* how many times a driver stopped ... */
	uint64_t seen_stops;       /* ... when the network thread last looked */
	uint64_t last_stop;        /* when one last stopped (us) */
	bool link_gone;            /* a pair's other end closed */
	uint64_t rx_loop, rx_driven;  /* packets read by the network thread, by a driver */
	struct net_slot *free_slots, *all_slots;
	struct net_slot *sig[NET_SIGNALS];  /* to wake once the lock is let go of */
	int n_sig;
	int stop;
	uint64_t sleep_until;      /* the deadline the network thread sleeps towards */
	uint64_t tx_errors;        /* under tx_lock */
	/* Packets leave once the lock is let go of (net_release): a write to the TUN
	 * device runs the kernel's own TCP receive in the writer's context, and may wake
	 * the peer there; meanwhile the other threads must be able to use the stack.
	 * tx_lock, taken before the lock is let go of, keeps the packets in the order the
	 * stack made them; txq[txq_i] fills while the other one is being written. */
	pthread_mutex_t tx_lock;
	struct net_txq txq[2];
	int txq_i;
	struct impair *imp_in, *imp_out;   /* both NULL: no impairment, the fast path */
	struct loop loop;          /* the stack, and imp_in, imp_out as queues NET_IN, NET_OUT */
	struct step step;          /* --step; off: STEP_OFF */
	int exit_signo;            /* SIGINT or SIGTERM taken while paused: the network thread exits */
	struct ctl *ctl;           /* the control socket; NULL: none */
	struct net_poller poller;  /* more fds to poll, and work after each wake-up (bridge.h) */
	struct pollfd *pfd;        /* what the network thread polls: link, evfd, sigfd, poller's */
	bool offload;              /* --offload: a virtio_net header on every packet (tun.h) */
	struct gso gso;            /* --offload: segments merged for the kernel (gso.h) */
	uint8_t rx[65536 + 64];
};

#define NET_PFD_FIXED 3
#define NET_PFD_MAX (NET_PFD_FIXED + 4096)

enum { NET_IN, NET_OUT };          /* the impair queues' numbers in the loop */

static int net_control(void *ctx, const char *cmd, FILE *out);

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* `ms` from now, as pthread_cond_timedwait and pthread_mutex_timedlock take it. */
static struct timespec net_abstime(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += ms % 1000 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* ---- the core's environment ---- */

/* One packet (or --offload frame) to the link, tx_lock held. */
static void net_write_out(struct net *n, const uint8_t *pkt, size_t len)
{
	/* MSG_NOSIGNAL: a pair's other end may be gone (net_stop), no SIGPIPE for that */
	ssize_t r = n->paired ? send(n->linkfd, pkt, len, MSG_NOSIGNAL) : write(n->linkfd, pkt, len);

	if (r != (ssize_t)len)
		n->tx_errors++;
}

/* Write what q holds, and empty it (tx_lock held). */
static void net_txq_write(struct net *n, struct net_txq *q)
{
	for (int i = 0; i < q->n; i++) {
		uint32_t start = i ? q->ends[i - 1] : 0;
		net_write_out(n, q->buf + start, q->ends[i] - start);
	}
	q->n = 0;
	q->len = 0;
}

/* The queued packets, now, the lock held: before a wait that lets go of it. */
static void net_tx_flush(struct net *n)
{
	struct net_txq *q = &n->txq[n->txq_i];

	if (!q->n)
		return;
	pthread_mutex_lock(&n->tx_lock);
	net_txq_write(n, q);
	pthread_mutex_unlock(&n->tx_lock);
}

/* Before a wait that lets go of the lock without net_release: the queued packets
 * leave, and the threads to wake are woken. */
static void net_pending_out(struct net *n)
{
	net_tx_flush(n);
	for (int i = 0; i < n->n_sig; i++)
		pthread_cond_signal(&n->sig[i]->cond);
	n->n_sig = 0;
}

/* A packet the stack made (the lock held): queued, written by net_release. */
static void net_tx(struct net *n, const uint8_t *pkt, size_t len)
{
	struct net_txq *q = &n->txq[n->txq_i];
	bool now = step_on(&n->step) != STEP_OFF;   /* on the wire before a pause */

	if (q->n == TXQ_PACKETS || q->len + len > TXQ_BYTES || !q->buf || now) {
		net_tx_flush(n);
		if (len > TXQ_BYTES || !q->buf || now) {
			pthread_mutex_lock(&n->tx_lock);
			net_write_out(n, pkt, len);
			pthread_mutex_unlock(&n->tx_lock);
			return;
		}
	}
	memcpy(q->buf + q->len, pkt, len);
	q->len += len;
	q->ends[q->n++] = (uint32_t)q->len;
}

/* Let go of the lock, then wake the threads the call's work let go on, and write
 * the packets it made (in order: tx_lock is taken first, and the other queue is
 * empty once we hold it). A thread woken before would only wait for the lock. */
static void net_release(struct net *n)
{
	struct net_txq *q = &n->txq[n->txq_i];
	struct net_slot *sig[NET_SIGNALS];
	int n_sig = n->n_sig;
	bool out = q->n > 0;           /* q is ours after the swap; else others' once unlocked */

	memcpy(sig, n->sig, (size_t)n_sig * sizeof(*sig));
	n->n_sig = 0;
	if (out) {
		pthread_mutex_lock(&n->tx_lock);
		n->txq_i ^= 1;
	}
	pthread_mutex_unlock(&n->lock);
	for (int i = 0; i < n_sig; i++)
		pthread_cond_signal(&sig[i]->cond);
	if (out) {
		net_txq_write(n, q);
		pthread_mutex_unlock(&n->tx_lock);
	}
}

/* --offload: a frame (virtio_net header and packet) from gso.c to the device. */
static void net_write_frame(void *ctx, const uint8_t *frame, size_t len)
{
	net_tx(ctx, frame, len);
}

static void net_write(struct net *n, const uint8_t *pkt, size_t len)
{
	if (n->offload) {                /* merged with what follows it in this batch */
		gso_add(&n->gso, pkt, len, net_write_frame, n);
		return;
	}
	net_tx(n, pkt, len);
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

/* The core changed connection h (-1: perhaps any): its waiters are looked at when the
 * lock is next let go of (net_wake_waiters). */
static void net_changed(void *ctx, int h)
{
	struct net *n = ctx;

	if (n->changed_all)
		return;
	if (h >= 0 && n->n_changed == n->cap_changed) {
		uint32_t cap = n->cap_changed * 2 + 64;
		int *c = realloc(n->changed, cap * sizeof(*c));

		if (c) {
			n->changed = c;
			n->cap_changed = cap;
		}
	}
	if (h < 0 || n->n_changed == n->cap_changed) {
		n->changed_all = true;
		return;
	}
	n->changed[n->n_changed++] = h;
}

static uint32_t net_rand(void *ctx)
{
	uint32_t v;

	(void)ctx;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)now_us() * 2654435761u;
	return v;
}

/* Step mode stops before every transition, and in segment mode before every TCP
 * segment too (not the kernel's IPv6 chatter). */
static bool net_step_wants(enum step_mode m, const struct trace_event *ev)
{
	if (ev->kind == TRACE_STATE)
		return true;
	if (m != STEP_SEGMENT || (ev->kind != TRACE_SEG_IN && ev->kind != TRACE_SEG_OUT))
		return false;
	return ev->len >= 20 && ev->pkt[0] >> 4 == 4 && ev->pkt[9] == 6;
}

static void net_flush(struct net *n);

/* Called inside the core, the lock held: before the state changes, before a
 * segment is taken or leaves; so the pause comes before the event's log line. */
static void net_trace(void *ctx, const struct trace_event *ev)
{
	struct net *n = ctx;
	enum step_mode m = step_on(&n->step);

	if (m != STEP_OFF && net_step_wants(m, ev)) {
		char what[512];
		size_t k = ev->kind == TRACE_STATE ? 0 :
			   (size_t)snprintf(what, sizeof(what), ev->kind == TRACE_SEG_IN ? "in  " : "out ");
		trace_format(ev, what + k, sizeof(what) - k);
		net_flush(n);                 /* what came before the pause is out, and logged */
		step_pause(&n->step, what);
	}
	log_trace(&n->log, ev);
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

/* Wake a thread from its ppoll on eventfd fd. */
static void net_wake_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0)
		return;                             /* the counter is full: it wakes anyway */
}

/* Wake the network thread from its ppoll. */
static void net_wake(struct net *n)
{
	net_wake_fd(n->evfd);
}

/* Called with the lock held after a user call: if that call armed a timer (or
 * queued a delayed packet) earlier than the deadline the network thread sleeps
 * towards, wake it so that it sleeps towards the new one. */
static void net_rearm(struct net *n)
{
	if (loop_next(&n->loop).at < n->sleep_until)
		net_wake(n);
}

/* Wake the threads whose wait is over: what they wait for has happened on their
 * connection, or the connection is gone (the lock held). Only the connections the
 * core changed since the last time are looked at: with ten thousand idle
 * connections a packet for one costs what it costs with one. */
static int net_poll_scan(struct net *n, struct net_pollfd *p, int count);
static void net_events_note(struct net_events *e, int h);

/* Wake the thread sleeping on slot w when the lock is let go of (net_release). */
static void net_signal(struct net *n, struct net_slot *w)
{
	if (n->n_sig < NET_SIGNALS)
		n->sig[n->n_sig++] = w;
	else
		pthread_cond_signal(&w->cond);
}

static struct net_waiter **net_bucket(struct net *n, int h)
{
	return &n->waiters[(unsigned)h % NET_WAIT_BUCKETS];
}

/* The threads blocked on connection h whose wait is over. */
static void net_wake_blocked(struct net *n, int h)
{
	int ev = tcp_poll_events(n->s, h);

	for (struct net_waiter *w = *net_bucket(n, h); w; w = w->next)
		if (w->h == h && (ev < 0 || (ev & w->want)))
			net_signal(n, w->slot);
}

static void net_wake_changed(struct net *n, int h)
{
	net_wake_blocked(n, h);
	for (struct net_events *e = n->events; e; e = e->next)
		net_events_note(e, h);
}

static void net_wake_waiters(struct net *n)
{
	if (n->changed_all) {
		for (int b = 0; b < NET_WAIT_BUCKETS; b++)
			for (struct net_waiter *w = n->waiters[b]; w; w = w->next)
				net_wake_blocked(n, w->h);
		for (struct net_events *e = n->events; e; e = e->next)
			for (uint32_t h = 0; h < e->cap; h++)
				net_events_note(e, (int)h);
	}
	for (uint32_t i = 0; !n->changed_all && i < n->n_changed; i++)
		net_wake_changed(n, n->changed[i]);
	if (n->changed_all || n->n_changed)  /* net_poll's sets: asked in full, as poll(2) does */
		for (struct net_waiter *w = n->pollers; w; w = w->next)
			if (net_poll_scan(n, w->set, w->count) > 0)
				net_signal(n, w->slot);
	n->n_changed = 0;
	n->changed_all = false;
	pthread_cond_broadcast(&n->cond);     /* net_stop's and net_wait_locked's waits */
}

/* What the stack has logged and captured goes out now: once per batch or user
 * call, not once per line or packet. */
static void net_flush(struct net *n)
{
	if (n->offload)
		gso_flush(&n->gso, net_write_frame, n);
	log_flush(&n->log);
}

/* After a user call that may have changed what other callers wait for. */
static void net_kick(struct net *n)
{
	net_wake_waiters(n);
	net_rearm(n);
	net_flush(n);
}

/* Every app thread waits here, the lock held, until `want` (TCP_EV_*) happens on
 * connection h, or it errs, closes or is gone. The call it made just before may
 * have armed a timer (net_send's tcp_send arms the retransmission timer and may
 * send the only segments in flight): without net_rearm the network thread would
 * sleep on towards its old deadline, perhaps for ever, and nothing would wake
 * this thread - a lost wakeup. */
static int net_wait_as(struct net *n, struct net_waiter *w, struct net_waiter **list,
		       const struct timespec *until)
{
	struct net_waiter **p;
	int r;

	if (!(w->slot = n->free_slots) && (w->slot = calloc(1, sizeof(*w->slot)))) {
		pthread_cond_init(&w->slot->cond, NULL);
		w->slot->all = n->all_slots;
		n->all_slots = w->slot;
	}
	if (!w->slot)
		return ENOMEM;                 /* the caller's loop asks again */
	n->free_slots = w->slot->next;
	w->next = *list;
	*list = w;
	net_rearm(n);
	net_flush(n);
	net_pending_out(n);
	r = until ? pthread_cond_timedwait(&w->slot->cond, &n->lock, until) :
		    pthread_cond_wait(&w->slot->cond, &n->lock);
	for (p = list; *p != w; p = &(*p)->next)
		;
	*p = w->next;
	w->slot->next = n->free_slots;
	n->free_slots = w->slot;
	return r;
}

static void net_block(struct net *n, int h, int want)
{
	struct net_waiter w = { .h = h, .want = want | TCP_EV_ERROR | TCP_EV_CLOSED };

	net_wait_as(n, &w, net_bucket(n, h), NULL);
}

/* The next signal, or 0 when there is none (another thread took it: the network
 * thread and a thread paused in step mode both watch for them). */
static int net_read_signal(struct net *n)
{
	struct signalfd_siginfo si;

	return read(n->sigfd, &si, sizeof(si)) == sizeof(si) ? (int)si.ssi_signo : 0;
}

static void net_print_counters(struct net *n, FILE *f);

/* SIGINT or SIGTERM, the lock held: the counters under --stats, the control
 * socket removed, the log flushed, and the program ends. */
static void net_exit_locked(struct net *n, int sig)
{
	if (n->o.stats)
		net_print_counters(n, stderr);
	ctl_unlink(n->ctl);
	log_flush(&n->log);
	net_pending_out(n);
	exit(128 + sig);
}

/* SIGUSR1 prints the counters; SIGINT and SIGTERM end the program. A thread paused
 * in step mode holds the lock: the pause ends first. */
static void net_on_signal(struct net *n)
{
	int sig = net_read_signal(n);

	if (sig == SIGUSR1)
		net_print_stats(n, stderr);
	if (!sig || sig == SIGUSR1)
		return;
	step_end(&n->step);
	pthread_mutex_lock(&n->lock);
	net_exit_locked(n, sig);
}

/* A signal while a thread waits in step mode, read by that thread (it holds the lock):
 * SIGUSR1 prints the counters and the pause goes on; SIGINT and SIGTERM end step mode
 * and the network thread ends the program once the lock is free. */
static bool net_step_signal(void *ctx)
{
	struct net *n = ctx;
	int sig = net_read_signal(n);

	if (sig == SIGUSR1)
		net_print_counters(n, stderr);
	if (!sig || sig == SIGUSR1)
		return false;
	n->exit_signo = sig;
	net_wake(n);
	return true;
}

/* Sleep in ppoll until an fd is ready or `deadline` (us precision: impairment
 * delays and jitter are often a few ms). */
static void net_wait(struct pollfd *pfd, nfds_t nfds, uint64_t deadline)
{
	uint64_t now = now_us(), d = deadline > now ? deadline - now : 0;
	struct timespec ts = { .tv_sec = (time_t)(d / 1000000), .tv_nsec = (long)(d % 1000000) * 1000 };

	ppoll(pfd, nfds, deadline == UINT64_MAX ? NULL : &ts, NULL);
}

/* Up to RX_BATCH packets from the link to the core (or the impairments); how many. */
static uint64_t net_receive(struct net *n)
{
	uint64_t got = 0;

	stack_burst_begin(n->s);            /* --ack-burst: one ACK for what this loop reads */
	for (int i = 0; i < RX_BATCH; i++) {
		ssize_t len = read(n->linkfd, n->rx, sizeof(n->rx));
		uint8_t *pkt = n->rx;
		if (len <= 0)
			break;
		got++;
		if (n->offload && (len = tun_vnet_packet(n->rx, (size_t)len, &pkt)) < 0)
			continue;                  /* counted by nobody: the kernel sent nonsense */
		if (n->imp_in)
			impair_offer(n->imp_in, now_us(), pkt, (size_t)len);
		else
			stack_input(n->s, now_us(), pkt, (size_t)len);
	}
	stack_burst_end(n->s, now_us());
	return got;
}

/* Does the network thread poll the link this time? Not while a driver reads it (and
 * while drivers keep stopping and starting again, it looks every NET_LEASE_US), nor
 * within NET_LEASE_US of the last stop: the driver is most likely back by then. */
static bool net_link_mine(struct net *n)
{
	uint64_t now = now_us(), back = n->last_stop + NET_LEASE_US;
	bool busy = n->drive_stops != n->seen_stops;

	n->seen_stops = n->drive_stops;
	if (n->link_gone)
		return false;
	if (n->driver) {
		if (busy && now + NET_LEASE_US < n->sleep_until)
			n->sleep_until = now + NET_LEASE_US;
		return false;
	}
	if (now >= back)
		return true;
	if (back < n->sleep_until)
		n->sleep_until = back;
	return false;
}

/* The poller's fds after the three of our own; how many in all. */
static nfds_t net_poll_set(struct net *n)
{
	if (!n->poller.fill)
		return NET_PFD_FIXED;
	return NET_PFD_FIXED + (nfds_t)n->poller.fill(n->poller.ctx, n->pfd + NET_PFD_FIXED,
						      NET_PFD_MAX - NET_PFD_FIXED, &n->sleep_until);
}

static void *net_loop(void *arg)
{
	struct net *n = arg;
	struct pollfd *pfd = n->pfd;
	uint64_t drain;
	nfds_t nfds;

	pthread_mutex_lock(&n->lock);
	while (!n->stop) {
		n->sleep_until = loop_next(&n->loop).at;
		pfd[0].fd = net_link_mine(n) ? n->linkfd : -1;
		nfds = net_poll_set(n);
		net_flush(n);
		net_wake_waiters(n);
		net_release(n);          /* woken only now, a thread finds the lock free */
		net_wait(pfd, nfds, n->sleep_until);
		if (pfd[2].revents & POLLIN)
			net_on_signal(n);
		if ((pfd[1].revents & POLLIN) && read(n->evfd, &drain, sizeof(drain)) < 0)
			drain = 0;
		pthread_mutex_lock(&n->lock);
		if (n->exit_signo)
			net_exit_locked(n, n->exit_signo);
		if (pfd[0].revents & POLLIN)
			n->rx_loop += net_receive(n);
		if (pfd[0].revents & (POLLHUP | POLLERR))
			n->link_gone = true;       /* a pair's other end closed */
		loop_run_due(&n->loop, now_us());
		if (n->poller.run)
			n->poller.run(n->poller.ctx, pfd + NET_PFD_FIXED, nfds - NET_PFD_FIXED, now_us());
	}
	net_release(n);
	return NULL;
}

/* ---- start and stop ---- */

static int net_open_tun(struct net *n)
{
	const struct net_options *o = &n->o;
	int err;

	n->offload = o->offload;
	n->linkfd = tun_open_with(o->tun, o->offload);
	if (n->linkfd < 0) {
		fprintf(stderr, "tun: cannot open %s: %s\n  (run as root, or let an admin create it "
			"for you: ip tuntap add dev %s mode tun user $USER)\n",
			o->tun, strerror(-n->linkfd), o->tun);
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
	tun_wait_running(o->tun, 2000);   /* else the kernel may drop our first SYN's answer */
	fcntl(n->linkfd, F_SETFL, fcntl(n->linkfd, F_GETFL) | O_NONBLOCK);
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
	n->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);   /* two threads may read it */
	return n->sigfd < 0 ? -1 : 0;
}

/* The link: the TUN device, or `pairfd` (net_start_pair) and then no signals. */
static int net_open_link(struct net *n, int pairfd)
{
	n->sigfd = -1;
	if (pairfd < 0)
		return net_open_tun(n) || (!n->o.no_signals && net_open_signals(n)) ? -1 : 0;
	n->linkfd = pairfd;
	n->paired = true;
	return 0;
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

/* net_start, on the TUN device (pairfd -1) or on one end of a socketpair. */
static struct net *net_open(const struct net_options *o, int pairfd)
{
	struct net *n = calloc(1, sizeof(*n));
	struct stack_config cfg = net_stack_config(o);
	/* RTT samples are for -v lines only */
	struct stack_env env = { .ctx = n, .emit = net_emit, .rand = net_rand, .trace = net_trace,
				 .trace_kinds = o->verbose ? 0 : ~(1u << TRACE_RTT),
				 .changed = net_changed };
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
	if (!(n->pfd = calloc(NET_PFD_MAX, sizeof(*n->pfd))) || net_open_impair(n) ||
	    net_open_link(n, pairfd) ||
	    (n->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    step_init(&n->step, o->step, n->sigfd, net_step_signal, n))
		return NULL;
	if ((n->s = stack_new(&cfg, &env)))
		loop_add_stack(&n->loop, n->s);
	pthread_mutex_init(&n->lock, NULL);
	pthread_mutex_init(&n->tx_lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	for (int i = 0; i < 2; i++)
		n->txq[i].buf = malloc(TXQ_BYTES);   /* NULL: each packet written at once */
	n->pfd[0] = (struct pollfd){ .fd = n->linkfd, .events = POLLIN };
	n->pfd[1] = (struct pollfd){ .fd = n->evfd, .events = POLLIN };
	n->pfd[2] = (struct pollfd){ .fd = n->sigfd, .events = POLLIN };
	if (!n->s || pthread_create(&n->thread, NULL, net_loop, n))
		return NULL;
	n->ctl = pairfd < 0 ? ctl_start(o->tun, net_control, n) : NULL;
	return n;
}

struct net *net_start(const struct net_options *o)
{
	return net_open(o, -1);
}

int net_start_pair(const struct net_options *oa, const struct net_options *ob, struct net *pair[2])
{
	int sv[2];

	/* non-blocking, as the TUN fd: a full socket buffer loses the packet (tx_errors),
	 * as a full device queue would */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv)) {
		perror("net_start_pair: socketpair");
		return -1;
	}
	if (!(pair[0] = net_open(oa, sv[0]))) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (!(pair[1] = net_open(ob, sv[1]))) {
		net_stop(pair[0]);
		close(sv[1]);
		return -1;
	}
	return 0;
}

/* Step mode ends first: a paused thread holds the lock. */
void net_stop(struct net *n)
{
	uint64_t until = now_us() + 10000000;

	step_end(&n->step);
	pthread_mutex_lock(&n->lock);
	while (tcp_closing_count(n->s) && now_us() < until) {
		struct timespec ts = net_abstime(100);
		net_pending_out(n);
		pthread_cond_timedwait(&n->cond, &n->lock, &ts);
	}
	n->stop = 1;
	net_release(n);
	net_wake(n);
	pthread_join(n->thread, NULL);
	ctl_stop(n->ctl);
	if (n->o.stats)
		net_print_stats(n, stderr);
	log_close(&n->log);
	stack_free(n->s);
	impair_free(n->imp_in);              /* packets still queued are lost */
	impair_free(n->imp_out);
	close(n->linkfd);
	close(n->evfd);
	if (n->sigfd >= 0)
		close(n->sigfd);
	step_free(&n->step);
	while (n->events)
		net_events_free(n->events);
	free(n->changed);
	while (n->all_slots) {
		struct net_slot *w = n->all_slots;
		n->all_slots = w->all;
		pthread_cond_destroy(&w->cond);
		free(w);
	}
	free(n->txq[0].buf);
	free(n->txq[1].buf);
	free(n->pfd);
	free(n);
}

/* ---- the stack itself, for code with its own policy (bridge.c) ---- */

struct stack *net_lock(struct net *n)
{
	pthread_mutex_lock(&n->lock);
	return n->s;
}

void net_unlock(struct net *n)
{
	net_wake_waiters(n);
	net_flush(n);
	net_wake(n);                /* the poller's fds may have changed */
	net_release(n);
}

int net_wait_locked(struct net *n, long ms)
{
	struct timespec ts;

	net_rearm(n);
	net_flush(n);
	net_pending_out(n);
	if (ms < 0)
		return pthread_cond_wait(&n->cond, &n->lock), 0;
	ts = net_abstime(ms);
	return pthread_cond_timedwait(&n->cond, &n->lock, &ts) ? -ETIMEDOUT : 0;
}

uint64_t net_now(void)
{
	return now_us();
}

void net_set_poller(struct net *n, const struct net_poller *p)
{
	pthread_mutex_lock(&n->lock);
	n->poller = *p;
	net_wake(n);
	net_release(n);
}

const struct net_options *net_options_of(const struct net *n)
{
	return &n->o;
}

/* ---- blocking calls ---- */

static struct tcp_status net_status_locked(struct net *n, int fd)
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
	net_release(n);
	return r;
}

int net_serve(struct net *n, uint16_t port, int backlog, bool no_accept, const char *name)
{
	char a[16];
	int lfd = net_listen(n, port, backlog);

	if (lfd < 0) {
		fprintf(stderr, "%s: listen: %s\n", name, strerror(-lfd));
		ctl_unlink(n->ctl);
		exit(1);
	}
	printf("%s: listening on %s:%u\n", name, net_addr_str(n->o.ip, a), port);
	fflush(stdout);
	while (no_accept)
		pause();                     /* connections stay queued; a signal ends the program */
	return lfd;
}

int net_accept(struct net *n, int lfd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	while ((r = tcp_accept(n->s, lfd)) == -EAGAIN)
		net_block(n, lfd, TCP_EV_ACCEPT);
	net_release(n);
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
		while ((st = net_status_locked(n, fd)).state == TCP_SYN_SENT || st.state == TCP_SYN_RECEIVED)
			net_block(n, fd, TCP_EV_CONNECTED);
		if (st.state == TCP_CLOSED && !st.synchronized) {   /* else: connected, then reset:
		                                                      the next call reports it */
			tcp_release(n->s, now_us(), fd);
			fd = st.error ? st.error : -ECONNREFUSED;
		}
	}
	net_release(n);
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
			net_block(n, fd, TCP_EV_WRITABLE);
		else if (r < 0)
			break;
		else
			done += (size_t)r;
	}
	net_kick(n);
	net_release(n);
	return r < 0 && r != -EAGAIN ? r : (ssize_t)done;
}

ssize_t net_recv(struct net *n, int fd, void *buf, size_t len)
{
	ssize_t r;

	pthread_mutex_lock(&n->lock);
	while ((r = tcp_recv(n->s, now_us(), fd, buf, len)) == -EAGAIN)
		net_block(n, fd, TCP_EV_READABLE);
	net_kick(n);
	net_release(n);
	return r;
}

ssize_t net_send_some(struct net *n, int fd, const void *buf, size_t len)
{
	ssize_t r;

	pthread_mutex_lock(&n->lock);
	r = tcp_send(n->s, now_us(), fd, buf, len);
	net_kick(n);
	net_release(n);
	return r;
}

/* Each entry's revents from its connection's events; how many have some. */
static int net_poll_scan(struct net *n, struct net_pollfd *p, int count)
{
	int ready = 0;

	for (int i = 0; i < count; i++) {
		int ev = tcp_poll_events(n->s, p[i].fd);
		if (ev < 0)
			ev = TCP_EV_ERROR;
		p[i].revents = 0;
		if (ev & (TCP_EV_READABLE | TCP_EV_ACCEPT | TCP_EV_ERROR | TCP_EV_CLOSED))
			p[i].revents |= p[i].events & NET_POLLIN;
		if (ev & (TCP_EV_WRITABLE | TCP_EV_ERROR))
			p[i].revents |= p[i].events & NET_POLLOUT;
		ready += p[i].revents != 0;
	}
	return ready;
}

int net_poll(struct net *n, struct net_pollfd *p, int count, int timeout_ms)
{
	struct net_waiter w = { .set = p, .count = count };
	struct timespec until = net_abstime(timeout_ms < 0 ? 0 : timeout_ms);
	int ready;

	pthread_mutex_lock(&n->lock);
	while (!(ready = net_poll_scan(n, p, count)) && timeout_ms &&
	       net_wait_as(n, &w, &n->pollers, timeout_ms < 0 ? NULL : &until) != ETIMEDOUT)
		;
	net_release(n);
	return ready;
}

/* ---- event sets ---- */

/* Handle h changed: the set asks it at the next wait (if it watches it). */
static void net_events_note(struct net_events *e, int h)
{
	int *c;

	if (h < 0 || (uint32_t)h >= e->cap || !e->want[h] || e->listed[h])
		return;
	if (e->n_cand == e->cap_cand) {
		if (!(c = realloc(e->cand, (e->cap_cand * 2 + 64) * sizeof(*c))))
			return;            /* cannot happen: cand has room for every watched handle */
		e->cand = c;
		e->cap_cand = e->cap_cand * 2 + 64;
	}
	e->listed[h] = true;
	e->cand[e->n_cand++] = h;
	if (e->driving)
		net_wake_fd(e->evfd);
	else if (e->waiter)
		net_signal(e->n, e->waiter->slot);
}

/* net_close: fd's waiters wake (it is gone: -EBADF), and no set watches it now (the
 * handle may soon name another connection). */
static void net_forget(struct net *n, int fd)
{
	net_changed(n, fd);
	for (struct net_events *e = n->events; e; e = e->next)
		if (fd >= 0 && (uint32_t)fd < e->cap)
			e->want[fd] = 0;
}

struct net_events *net_events_new(struct net *n)
{
	struct net_events *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->n = n;
	if ((e->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(e);
		return NULL;
	}
	pthread_mutex_lock(&n->lock);
	e->next = n->events;
	n->events = e;
	net_release(n);
	return e;
}

void net_events_free(struct net_events *e)
{
	struct net_events **p;

	pthread_mutex_lock(&e->n->lock);
	for (p = &e->n->events; *p != e; p = &(*p)->next)
		;
	*p = e->next;
	net_release(e->n);
	close(e->evfd);
	free(e->want);
	free(e->listed);
	free(e->cand);
	free(e);
}

/* Room for handle h in want and listed (and in cand, which never holds more). */
static int net_events_grow(struct net_events *e, int h)
{
	uint32_t cap = e->cap ? e->cap : 64;
	short *want;
	bool *listed;
	int *cand;

	while (cap <= (uint32_t)h)
		cap *= 2;
	if (cap == e->cap)
		return 0;
	if (!(want = realloc(e->want, cap * sizeof(*want))))
		return -ENOMEM;
	e->want = want;
	if (!(listed = realloc(e->listed, cap * sizeof(*listed))))
		return -ENOMEM;
	e->listed = listed;
	if (!(cand = realloc(e->cand, cap * sizeof(*cand))))
		return -ENOMEM;
	e->cand = cand;
	e->cap_cand = cap;
	memset(want + e->cap, 0, (cap - e->cap) * sizeof(*want));
	memset(listed + e->cap, 0, (cap - e->cap) * sizeof(*listed));
	e->cap = cap;
	return 0;
}

int net_events_ctl(struct net_events *e, int fd, int events)
{
	struct net *n = e->n;
	int r = 0;

	pthread_mutex_lock(&n->lock);
	if (fd < 0 || (events && tcp_poll_events(n->s, fd) < 0))
		r = -EBADF;
	else if (!(r = net_events_grow(e, fd))) {
		e->want[fd] = (short)(events & (NET_POLLIN | NET_POLLOUT));
		net_events_note(e, fd);        /* perhaps ready already: asked at the next wait */
	}
	net_release(n);
	return r;
}

/* The listed handles that are ready go to out (up to max) and stay listed, as
 * epoll's level-triggered entries do; the others leave the list. */
static int net_events_collect(struct net_events *e, struct net_pollfd *out, int max)
{
	uint32_t i = 0;
	int k = 0;

	while (i < e->n_cand) {
		int h = e->cand[i];
		struct net_pollfd p = { .fd = h, .events = e->want[h] };
		if (!p.events || !net_poll_scan(e->n, &p, 1)) {
			e->listed[h] = false;
			e->cand[i] = e->cand[--e->n_cand];
			continue;
		}
		if (k < max)
			out[k++] = p;
		i++;
	}
	return k;
}

/* Can a thread waiting on an event set read the link itself? Not when another one
 * does, not when the link is gone, not in step mode (the network thread pauses there),
 * not with impairments (their queues are the network thread's). */
static bool net_can_drive(struct net *n)
{
	return !n->driver && !n->link_gone && step_on(&n->step) == STEP_OFF &&
	       !n->imp_in && !n->imp_out;
}

/* e's thread waits for the link (and its eventfd) until `until` (us, UINT64_MAX: no
 * limit), the lock let go of meanwhile; what comes it gives the core, as the network
 * thread would. ETIMEDOUT when the time ran out. */
static int net_drive(struct net *n, struct net_events *e, uint64_t until)
{
	struct pollfd p[2] = { { .fd = n->linkfd, .events = POLLIN },
			       { .fd = e->evfd, .events = POLLIN } };
	uint64_t drain, now;

	n->driver = e;
	e->driving = true;
	net_rearm(n);
	net_flush(n);
	net_release(n);
	net_wait(p, 2, until);
	if ((p[1].revents & POLLIN) && read(e->evfd, &drain, sizeof(drain)) < 0)
		drain = 0;
	pthread_mutex_lock(&n->lock);
	if (p[0].revents & POLLIN)
		n->rx_driven += net_receive(n);
	if (p[0].revents & (POLLHUP | POLLERR))
		n->link_gone = true;
	now = now_us();
	n->driver = NULL;
	e->driving = false;
	n->drive_stops++;
	n->last_stop = now;
	if (n->sleep_until > now + NET_LEASE_US)
		net_wake(n);                   /* it would take the link back too late */
	net_rearm(n);                          /* what came may have armed a timer */
	net_wake_waiters(n);                   /* e's entries among them */
	return now >= until ? ETIMEDOUT : 0;
}

int net_events_wait(struct net_events *e, struct net_pollfd *out, int max, int timeout_ms)
{
	struct net *n = e->n;
	struct net_waiter w = { .h = -1 };
	struct net_waiter *none = NULL;
	struct timespec until = net_abstime(timeout_ms < 0 ? 0 : timeout_ms);
	uint64_t until_us = timeout_ms < 0 ? UINT64_MAX : now_us() + (uint64_t)timeout_ms * 1000;
	int ready;

	pthread_mutex_lock(&n->lock);
	net_wake_waiters(n);                   /* what changed before this call, listed */
	while (!(ready = net_events_collect(e, out, max)) && timeout_ms) {
		int r;
		if (net_can_drive(n)) {
			r = net_drive(n, e, until_us);
		} else {
			e->waiter = &w;
			r = net_wait_as(n, &w, &none, timeout_ms < 0 ? NULL : &until);
			e->waiter = NULL;
		}
		if (r == ETIMEDOUT) {
			ready = net_events_collect(e, out, max);
			break;
		}
	}
	net_release(n);
	return ready;
}

int net_shutdown(struct net *n, int fd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_shutdown(n->s, now_us(), fd);
	net_kick(n);
	net_release(n);
	return r;
}

int net_close(struct net *n, int fd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_close(n->s, now_us(), fd);
	tcp_release(n->s, now_us(), fd);
	net_forget(n, fd);
	net_kick(n);
	net_release(n);
	return r;
}

int net_close_wait(struct net *n, int fd)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_close(n->s, now_us(), fd);
	net_kick(n);
	while (r == 0 && net_status_locked(n, fd).state != TCP_CLOSED)
		net_block(n, fd, TCP_EV_CLOSED);
	tcp_release(n->s, now_us(), fd);
	net_forget(n, fd);
	net_release(n);
	return r;
}

int net_peer(struct net *n, int fd, uint32_t *addr, uint16_t *port)
{
	struct tcp_status st;
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_status(n->s, fd, &st);
	net_release(n);
	*addr = st.raddr;
	*port = st.rport;
	return r;
}

int net_status(struct net *n, int fd, struct tcp_status *st)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = tcp_status(n->s, fd, st);
	net_release(n);
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

static void net_print_counters(struct net *n, FILE *f)
{
	for (int i = 0; i < STAT_COUNT; i++)
		if (stack_stat(n->s, (enum stat_id)i))
			fprintf(f, "%10llu %s%s\n", (unsigned long long)stack_stat(n->s, (enum stat_id)i),
				i >= STAT_DROP_FIRST ? "dropped: " : "", stat_name((enum stat_id)i));
	if (n->rx_driven)                 /* run to completion happened: how much of it */
		fprintf(f, "%10llu link packets read by the network thread\n"
			   "%10llu link packets read by a thread waiting for events (run to completion)\n",
			(unsigned long long)n->rx_loop, (unsigned long long)n->rx_driven);
	net_print_impair(n->imp_in, f);
	net_print_impair(n->imp_out, f);
	log_print_ended(&n->log, f);
}

/* ---- what tuntcp-ss sees (the control thread) ---- */

/* Run fn on the stack without waiting long for it: under the lock, or while a thread
 * waits in step mode (holding the lock) under step_hold: nothing else can touch the
 * stack then. -EBUSY if neither comes within CTL_IO_MS. */
static int net_view(struct net *n, void (*fn)(struct net *n, void *arg), void *arg)
{
	uint64_t give_up = now_us() + CTL_IO_MS * 1000;

	do {
		struct timespec ts = net_abstime(20);
		if (!pthread_mutex_timedlock(&n->lock, &ts)) {
			fn(n, arg);
			net_release(n);
			return 0;
		}
		if (step_hold(&n->step)) {
			fn(n, arg);
			step_unhold(&n->step);
			return 0;
		}
	} while (now_us() < give_up);
	return -EBUSY;
}

static void net_view_counters(struct net *n, void *f)
{
	net_print_counters(n, f);
}

void net_print_stats(struct net *n, FILE *f)
{
	if (net_view(n, net_view_counters, f))
		fprintf(f, "stats: the stack is busy, try again\n");
}

/* Every TCB's status, and the time they were taken at. */
struct net_snap {
	struct tcp_status *st;
	int count, slots;
	uint64_t now;
};

/* Under the lock: the table's size is known (it grows as connections come). */
static void net_take(struct net *n, void *arg)
{
	struct net_snap *sn = arg;

	sn->now = now_us();
	sn->slots = tcp_status_slots(n->s);
	if (!(sn->st = calloc((size_t)sn->slots, sizeof(*sn->st))))
		return;
	for (int i = 0; i < sn->slots; i++)
		if (tcp_status_slot(n->s, i, &sn->st[sn->count]) == 0)
			sn->count++;
}

static void net_ctl_step_line(struct net *n, FILE *out)
{
	enum step_mode m = step_on(&n->step);
	char what[512];

	if (m == STEP_OFF)
		return;
	fprintf(out, "step mode (%s): ", m == STEP_SEGMENT ? "transitions and segments" : "transitions");
	if (step_waiting(&n->step, what, sizeof(what)))
		fprintf(out, "paused before: %s\n", what);
	else
		fprintf(out, "running (waits for the network or its app)\n");
}

/* The snapshot is taken under the lock; formatting and sending happen without it. */
static int net_ctl_status(struct net *n, FILE *out)
{
	struct net_snap sn = { 0 };
	char a[16];

	if (net_view(n, net_take, &sn) || !sn.st) {
		free(sn.st);
		fprintf(out, "the stack has held its lock for over %d ms", CTL_IO_MS);
		return -1;
	}
	fprintf(out, "%s (pid %ld) on %s, stack %s: %d of %d TCBs in use\n",
		program_invocation_short_name, (long)getpid(), n->o.tun, net_addr_str(n->o.ip, a),
		sn.count, sn.slots);
	net_ctl_step_line(n, out);
	ss_print_header(out);
	for (int i = 0; i < sn.count; i++)
		ss_print(out, &sn.st[i], sn.now);
	free(sn.st);
	return 0;
}

/* Release the pause, and say what comes next (if the stack stops again soon). */
static int net_ctl_step(struct net *n, FILE *out)
{
	char what[512];
	long seq = step_release(&n->step, what, sizeof(what));

	if (seq == -EINVAL)
		fprintf(out, "not in step mode (start the program with --step)");
	else if (seq == -EAGAIN)
		fprintf(out, "not paused: the stack waits for the network or its app");
	if (seq < 0)
		return -1;
	fprintf(out, "did: %s\n", what);
	switch (step_next(&n->step, (unsigned long)seq, 300, what, sizeof(what))) {
	case 1:
		fprintf(out, "next: %s\n", what);
		break;
	case 0:
		fprintf(out, "running (waits for the network or its app)\n");
		break;
	default:
		fprintf(out, "step mode ended\n");
	}
	return 0;
}

static int net_control(void *ctx, const char *cmd, FILE *out)
{
	struct net *n = ctx;

	if (!strcmp(cmd, "status"))
		return net_ctl_status(n, out);
	if (!strcmp(cmd, "step"))
		return net_ctl_step(n, out);
	if (!strcmp(cmd, "continue") && step_end(&n->step) == 0) {
		fprintf(out, "step mode ended: the stack runs on\n");
		return 0;
	}
	if (!strcmp(cmd, "continue"))
		fprintf(out, "not in step mode");
	else
		fprintf(out, "unknown command %s (status, step or continue)", cmd);
	return -1;
}

/* net.h - the runtime: one network thread drives the core over a TUN device, or
 * a socketpair to a second stack (net_start_pair), (poll on it, timers from
 * stack_next_deadline) and gives applications blocking, socket-like calls. The
 * only code that reads the real clock. The
 * link's impairments (impair.h) sit between the device and the core, "out" on
 * what the stack sends, "in" on what it receives. An app configures all of it
 * with the shared command-line options (options.h).
 * Entry points: net_start, net_start_pair, net_stop, net_listen, net_serve, net_accept,
 * net_connect, net_send, net_send_some, net_recv, net_poll, net_events_*, net_shutdown,
 * net_close, net_close_wait, net_peer, net_status, net_print_stats; net_lock,
 * net_unlock, net_wait_locked, net_set_poller. */
#ifndef TUNTCP_NET_H
#define TUNTCP_NET_H
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "options.h"
#include "tcp.h"

struct net;
/* Opens the device (configuring it when permitted), the log and pcap, and starts
 * the network thread. NULL (with a message on stderr) on failure. */
struct net *net_start(const struct net_options *o);
/* Two stacks linked to each other instead of to a TUN device: a SOCK_SEQPACKET
 * socketpair carries whole IPv4 packets between pair[0] (configured by oa: its
 * ip, impairments, log...) and pair[1] (ob). Each has its own network thread
 * and the real clock, so the blocking calls run for real, without root (the unit
 * tests of this file). Neither takes signals nor makes a control socket. 0, or
 * -1 with a message on stderr. Stop each with net_stop. */
int net_start_pair(const struct net_options *oa, const struct net_options *ob, struct net *pair[2]);
/* Waits (up to 10 s) for closing connections to finish, prints nothing, frees. */
void net_stop(struct net *n);

/* The stack itself, for code that runs its own policy on it (bridge.c): net_lock
 * returns it with the lock held, net_unlock lets go (waking blocked callers and the
 * network thread); net_wait_locked waits, the lock held, until the network thread has
 * done something or `ms` pass (-1: no limit; -ETIMEDOUT when they did). net_now is
 * the clock the stack runs on. */
struct stack *net_lock(struct net *n);
void net_unlock(struct net *n);
int net_wait_locked(struct net *n, long ms);
uint64_t net_now(void);
const struct net_options *net_options_of(const struct net *n);
/* More fds for the network thread: before it sleeps, fill() puts up to `max` pollfds
 * in pfd and returns how many (and may bring *wake_at, the time it sleeps until,
 * closer); after every wake-up run() sees them with their revents and does its
 * work. Both are called with the lock held. */
struct pollfd;
struct net_poller {
	int (*fill)(void *ctx, struct pollfd *pfd, int max, uint64_t *wake_at);
	void (*run)(void *ctx, struct pollfd *pfd, int nfds, uint64_t now);
	void *ctx;
};
void net_set_poller(struct net *n, const struct net_poller *p);

/* Blocking calls; a negative errno on failure, as the socket calls return -1/errno.
 * Any thread may call them, several at once. Before a call blocks, the network
 * thread learns of every timer the call armed, so a blocked call always wakes when
 * the stack lets it. net_close on a connection another thread is blocked on wakes
 * that thread with -EBADF. */
int net_listen(struct net *n, uint16_t port, int backlog);
/* A server's start: listen on `port` and print "NAME: listening on ADDR:PORT" on
 * stdout; on failure a message and exit 1. Returns the listener. */
int net_serve(struct net *n, uint16_t port, int backlog, bool no_accept, const char *name);
int net_accept(struct net *n, int lfd);
int net_connect(struct net *n, uint32_t addr, uint16_t port);
ssize_t net_send(struct net *n, int fd, const void *buf, size_t len);   /* all of it */
ssize_t net_recv(struct net *n, int fd, void *buf, size_t len);
int net_shutdown(struct net *n, int fd);
/* Not blocking: queues what fits in the send buffer; how much (-EAGAIN: nothing fits). */
ssize_t net_send_some(struct net *n, int fd, const void *buf, size_t len);
/* poll(2) over connections and listeners: NET_POLLIN when a recv (or, on a listener, an
 * accept) would not block - data, end of stream, an error -, NET_POLLOUT when the send
 * buffer has room. Waits up to timeout_ms (-1: no limit); returns how many entries
 * have revents, 0 when the time ran out. A bad fd reads as NET_POLLIN (the call says why). */
enum { NET_POLLIN = 1, NET_POLLOUT = 2 };
struct net_pollfd {
	int fd;
	short events, revents;
};
int net_poll(struct net *n, struct net_pollfd *p, int count, int timeout_ms);
/* epoll(7) over connections, for servers with many of them: a set of watched handles
 * (connections and listeners), each with the NET_POLL* it waits for. net_poll asks
 * every entry on every wake-up; a set asks only the handles the core changed since
 * (and those found ready before: entries are level-triggered, as epoll's are), so ten
 * thousand idle connections cost nothing. net_events_ctl watches fd for `events`
 * (0: no longer; net_close forgets it too); -EBADF for no such handle. net_events_wait
 * puts up to max ready entries in out (fd, events, revents) and returns how many,
 * waiting up to timeout_ms (-1: no limit; 0 when the time ran out). One thread waits on
 * a set at a time. */
struct net_events;
struct net_events *net_events_new(struct net *n);
int net_events_ctl(struct net_events *e, int fd, int events);
int net_events_wait(struct net_events *e, struct net_pollfd *out, int max, int timeout_ms);
void net_events_free(struct net_events *e);
int net_close(struct net *n, int fd);
/* close(), then wait until the connection is really CLOSED (after TIME-WAIT). */
int net_close_wait(struct net *n, int fd);
int net_peer(struct net *n, int fd, uint32_t *addr, uint16_t *port);
/* The connection's status now (tcp_status: state, queues, windows, timers). */
int net_status(struct net *n, int fd, struct tcp_status *st);
/* The core's counters, and the impairments' when any is configured. */
void net_print_stats(struct net *n, FILE *f);

#endif

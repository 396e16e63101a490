/* net.h - the runtime: one network thread drives the core over a TUN device
 * (poll on the device, timers from stack_next_deadline) and gives applications
 * blocking, socket-like calls. The only code that reads the real clock. The
 * link's impairments (impair.h) sit between the device and the core, "out" on
 * what the stack sends, "in" on what it receives. An app configures all of it
 * with the shared command-line options (options.h).
 * Entry points: net_start, net_stop, net_listen, net_serve, net_accept, net_connect,
 * net_send, net_recv, net_shutdown, net_close, net_close_wait, net_print_stats. */
#ifndef TUNTCP_NET_H
#define TUNTCP_NET_H
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "options.h"

struct net;
/* Opens the device (configuring it when permitted), the log and pcap, and starts
 * the network thread. NULL (with a message on stderr) on failure. */
struct net *net_start(const struct net_options *o);
/* Waits (up to 10 s) for closing connections to finish, prints nothing, frees. */
void net_stop(struct net *n);

/* Blocking calls; a negative errno on failure, as the socket calls return -1/errno. */
int net_listen(struct net *n, uint16_t port, int backlog);
/* A server's start: listen on `port` and print "NAME: listening on ADDR:PORT" on
 * stdout; on failure a message and exit 1. Returns the listener. */
int net_serve(struct net *n, uint16_t port, const char *name);
int net_accept(struct net *n, int lfd);
int net_connect(struct net *n, uint32_t addr, uint16_t port);
ssize_t net_send(struct net *n, int fd, const void *buf, size_t len);   /* all of it */
ssize_t net_recv(struct net *n, int fd, void *buf, size_t len);
int net_shutdown(struct net *n, int fd);
int net_close(struct net *n, int fd);
/* close(), then wait until the connection is really CLOSED (after TIME-WAIT). */
int net_close_wait(struct net *n, int fd);
int net_peer(struct net *n, int fd, uint32_t *addr, uint16_t *port);
/* The core's counters, and the impairments' when any is configured. */
void net_print_stats(struct net *n, FILE *f);

#endif

/* net.h - the runtime: one network thread drives the core over a TUN device
 * (poll on the device, timers from stack_next_deadline) and gives applications
 * blocking, socket-like calls. The only code that reads the real clock.
 * Also the command-line options every app shares (NET_LONG_OPTIONS, net_option),
 * the link's impairments among them (impair.h: applied between the device and the
 * core, "out" to what the stack sends, "in" to what it receives).
 * Entry points: net_start, net_stop, net_listen, net_accept, net_connect,
 * net_send, net_recv, net_shutdown, net_close, net_wait_closed. */
#ifndef TUNTCP_NET_H
#define TUNTCP_NET_H
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "impair.h"

struct net_options {
	const char *tun;           /* --tun NAME, default tun0 */
	uint32_t ip;               /* --ip ADDR, the stack's address, default 10.0.0.2 */
	uint32_t tun_ip;           /* --tun-ip ADDR/PREFIX, the kernel side, default 10.0.0.1/24 */
	int prefix;
	int mtu;                   /* --mtu N, default 1500 */
	uint32_t msl_ms;           /* --msl SECONDS, default 30 (TIME-WAIT 60 s) */
	int fixed_isn;             /* --isn N */
	uint32_t isn;
	const char *pcap;          /* --pcap FILE */
	const char *log;           /* --log FILE, default stderr */
	int verbose;               /* -v, -vv */
	int no_nagle;              /* --nodelay: Nagle's algorithm off */
	int no_delayed_ack;        /* --no-delayed-ack: ACK every segment at once */
	int syncookies;            /* --syncookies: SYN cookies when the half-open queue is full */
	int abort_on_overflow;     /* --abort-on-overflow: RST the ACK that finds the accept queue full */
	int stats;                 /* --stats: print the counters on exit (SIGUSR1: any time) */
	struct impair_conf impair_in, impair_out;   /* --loss, --delay, ..., --rule */
	int impair_seed_set;       /* --impair-seed N; default: random, printed */
};

enum { NET_OPT_TUN = 1000, NET_OPT_IP, NET_OPT_TUN_IP, NET_OPT_MTU, NET_OPT_MSL,
       NET_OPT_ISN, NET_OPT_PCAP, NET_OPT_LOG, NET_OPT_NODELAY, NET_OPT_NO_DELAYED_ACK,
       NET_OPT_LOSS, NET_OPT_DELAY, NET_OPT_JITTER, NET_OPT_REORDER, NET_OPT_DUP,
       NET_OPT_CORRUPT, NET_OPT_IMPAIR_SEED, NET_OPT_RULE, NET_OPT_SYNCOOKIES,
       NET_OPT_ABORT_ON_OVERFLOW, NET_OPT_STATS };

#define NET_LONG_OPTIONS \
	{ "tun", required_argument, 0, NET_OPT_TUN }, \
	{ "ip", required_argument, 0, NET_OPT_IP }, \
	{ "tun-ip", required_argument, 0, NET_OPT_TUN_IP }, \
	{ "mtu", required_argument, 0, NET_OPT_MTU }, \
	{ "msl", required_argument, 0, NET_OPT_MSL }, \
	{ "isn", required_argument, 0, NET_OPT_ISN }, \
	{ "pcap", required_argument, 0, NET_OPT_PCAP }, \
	{ "log", required_argument, 0, NET_OPT_LOG }, \
	{ "nodelay", no_argument, 0, NET_OPT_NODELAY }, \
	{ "no-delayed-ack", no_argument, 0, NET_OPT_NO_DELAYED_ACK }, \
	{ "loss", required_argument, 0, NET_OPT_LOSS }, \
	{ "delay", required_argument, 0, NET_OPT_DELAY }, \
	{ "jitter", required_argument, 0, NET_OPT_JITTER }, \
	{ "reorder", required_argument, 0, NET_OPT_REORDER }, \
	{ "dup", required_argument, 0, NET_OPT_DUP }, \
	{ "corrupt", required_argument, 0, NET_OPT_CORRUPT }, \
	{ "impair-seed", required_argument, 0, NET_OPT_IMPAIR_SEED }, \
	{ "rule", required_argument, 0, NET_OPT_RULE }, \
	{ "syncookies", no_argument, 0, NET_OPT_SYNCOOKIES }, \
	{ "abort-on-overflow", no_argument, 0, NET_OPT_ABORT_ON_OVERFLOW }, \
	{ "stats", no_argument, 0, NET_OPT_STATS }, \
	{ "verbose", no_argument, 0, 'v' }, \
	{ "help", no_argument, 0, 'h' }
#define NET_SHORT_OPTIONS "vh"

void net_options_default(struct net_options *o);
/* getopt_long that handles the common options itself and returns the app's own
 * (and 'h'); -1 at the end. Unknown options and bad values: one line, exit 2. */
int net_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       struct net_options *o);
/* Handle one getopt_long result `c` that is a common option. Returns 1 if it was
 * one, 0 if it is the app's own, and exits with status 2 on a bad value. */
int net_option(struct net_options *o, int c, const char *arg, const char *prog);
void net_usage_common(FILE *f);
/* A one-line error and exit status 2, for the apps' own bad options. */
void net_bad_usage(const char *prog, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
int net_parse_addr(const char *s, uint32_t *addr);
/* The positional arguments HOST [PORT] from optind on (PORT stays as given when
 * absent); anything wrong or left over: one line and exit 2. */
void net_args_host_port(int argc, char **argv, uint32_t *addr, unsigned long *port);
int net_parse_uint(const char *s, unsigned long max, unsigned long *v);

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
const char *net_addr_str(uint32_t addr, char buf[16]);
/* The core's counters, and the impairments' when any is configured. */
void net_print_stats(struct net *n, FILE *f);

#endif

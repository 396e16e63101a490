/* options.h - the command-line options every app shares: the network's
 * (--tun, --ip, --mtu, --msl, ...), the core's switches (--nodelay, ...), step mode
 * (--step) and the link's impairments (--loss, --rule, ...: impair_option reads
 * them into one impair_conf per direction), gathered in a struct net_options for
 * net_start.
 * Also the small parsers the apps use for their own options and arguments.
 * Entry points: net_options_default, net_stack_config, net_getopt (or net_option), net_usage_common,
 * net_bad_usage, net_args_host_port, net_parse_uint, net_parse_addr, net_addr_str. */
#ifndef TUNTCP_OPTIONS_H
#define TUNTCP_OPTIONS_H
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include "impair.h"
#include "stack.h"

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
	int log_json;              /* --log-format json: one JSON object a line */
	int pcap_classic;          /* --pcap-format pcap: classic pcap, no comments (default pcapng) */
	int verbose;               /* -v, -vv */
	int no_nagle;              /* --nodelay: Nagle's algorithm off */
	int no_delayed_ack;        /* --no-delayed-ack: ACK every segment at once */
	int ack_burst;             /* --ack-burst: one ACK per burst read from the link */
	int no_syncookies;         /* --no-syncookies: drop SYNs when the half-open queue is full */
	int abort_on_overflow;     /* --abort-on-overflow: RST the ACK that finds the accept queue full */
	uint32_t rcvbuf;           /* --rcvbuf BYTES: receive buffer per connection (0: 65535) */
	int no_wscale;             /* --no-wscale: no window scaling (RFC 7323) */
	int no_sack;               /* --no-sack: no SACK (RFC 2018): NewReno loss recovery */
	int no_timestamps;         /* --no-timestamps: no timestamps option (RFC 7323 3-5) */
	int no_rack;               /* --no-rack: no RACK-TLP (RFC 8985) */
	int cc;                    /* --cc NAME: enum stack_cc (cubic, the default, or newreno) */
	uint32_t max_conns;        /* --max-conns N: connections the table may hold (0: default) */
	int stats;                 /* --stats: print the counters on exit (SIGUSR1: any time) */
	int step;                  /* --step[=segment]: enum step_mode (step.h), 0 off */
	struct impair_conf impair_in, impair_out;   /* --loss, --delay, ..., --rule */
	int impair_seed_set;       /* --impair-seed N; default: random, printed */
	int offload;               /* --offload: IFF_VNET_HDR, TSO and checksums from the kernel */
	int no_signals;            /* not an option: the program keeps its signals (the
	                              preload library); else SIGINT/SIGTERM end it, SIGUSR1
	                              prints the counters */
};

enum { NET_OPT_TUN = 1000, NET_OPT_IP, NET_OPT_TUN_IP, NET_OPT_MTU, NET_OPT_MSL,
       NET_OPT_ISN, NET_OPT_PCAP, NET_OPT_LOG, NET_OPT_NODELAY, NET_OPT_NO_DELAYED_ACK,
       NET_OPT_LOSS, NET_OPT_DELAY, NET_OPT_JITTER, NET_OPT_REORDER, NET_OPT_DUP,
       NET_OPT_CORRUPT, NET_OPT_IMPAIR_SEED, NET_OPT_RULE, NET_OPT_NO_SYNCOOKIES,
       NET_OPT_ABORT_ON_OVERFLOW, NET_OPT_STATS, NET_OPT_LOG_FORMAT, NET_OPT_PCAP_FORMAT,
       NET_OPT_STEP, NET_OPT_RCVBUF, NET_OPT_NO_WSCALE, NET_OPT_NO_SACK,
       NET_OPT_NO_TIMESTAMPS, NET_OPT_OFFLOAD, NET_OPT_NO_RACK, NET_OPT_CC,
       NET_OPT_MAX_CONNS, NET_OPT_ACK_BURST };

#define NET_LONG_OPTIONS \
	{ "tun", required_argument, 0, NET_OPT_TUN }, \
	{ "ip", required_argument, 0, NET_OPT_IP }, \
	{ "tun-ip", required_argument, 0, NET_OPT_TUN_IP }, \
	{ "mtu", required_argument, 0, NET_OPT_MTU }, \
	{ "msl", required_argument, 0, NET_OPT_MSL }, \
	{ "isn", required_argument, 0, NET_OPT_ISN }, \
	{ "pcap", required_argument, 0, NET_OPT_PCAP }, \
	{ "log", required_argument, 0, NET_OPT_LOG }, \
	{ "log-format", required_argument, 0, NET_OPT_LOG_FORMAT }, \
	{ "pcap-format", required_argument, 0, NET_OPT_PCAP_FORMAT }, \
	{ "nodelay", no_argument, 0, NET_OPT_NODELAY }, \
	{ "no-delayed-ack", no_argument, 0, NET_OPT_NO_DELAYED_ACK }, \
	{ "ack-burst", no_argument, 0, NET_OPT_ACK_BURST }, \
	{ "loss", required_argument, 0, NET_OPT_LOSS }, \
	{ "delay", required_argument, 0, NET_OPT_DELAY }, \
	{ "jitter", required_argument, 0, NET_OPT_JITTER }, \
	{ "reorder", required_argument, 0, NET_OPT_REORDER }, \
	{ "dup", required_argument, 0, NET_OPT_DUP }, \
	{ "corrupt", required_argument, 0, NET_OPT_CORRUPT }, \
	{ "impair-seed", required_argument, 0, NET_OPT_IMPAIR_SEED }, \
	{ "rule", required_argument, 0, NET_OPT_RULE }, \
	{ "no-syncookies", no_argument, 0, NET_OPT_NO_SYNCOOKIES }, \
	{ "abort-on-overflow", no_argument, 0, NET_OPT_ABORT_ON_OVERFLOW }, \
	{ "rcvbuf", required_argument, 0, NET_OPT_RCVBUF }, \
	{ "no-wscale", no_argument, 0, NET_OPT_NO_WSCALE }, \
	{ "offload", no_argument, 0, NET_OPT_OFFLOAD }, \
	{ "no-sack", no_argument, 0, NET_OPT_NO_SACK }, \
	{ "no-timestamps", no_argument, 0, NET_OPT_NO_TIMESTAMPS }, \
	{ "no-rack", no_argument, 0, NET_OPT_NO_RACK }, \
	{ "cc", required_argument, 0, NET_OPT_CC }, \
	{ "max-conns", required_argument, 0, NET_OPT_MAX_CONNS }, \
	{ "stats", no_argument, 0, NET_OPT_STATS }, \
	{ "step", optional_argument, 0, NET_OPT_STEP }, \
	{ "verbose", no_argument, 0, 'v' }, \
	{ "help", no_argument, 0, 'h' }
#define NET_SHORT_OPTIONS "vh"

void net_options_default(struct net_options *o);
/* The core's configuration these options give. */
struct stack_config net_stack_config(const struct net_options *o);
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
/* --NAME's value, a number from min to max, or one line and exit 2. */
unsigned long net_option_number(const char *prog, const char *name, const char *arg,
				unsigned long min, unsigned long max);

/* "10.0.0.2" */
const char *net_addr_str(uint32_t addr, char buf[16]);

#endif

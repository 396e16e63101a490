/* options.c - the apps' shared command-line options (options.h): defaults,
 * the --help text, getopt_long with the common options handled here and the
 * app's own handed back, and one-line usage errors (exit status 2). The
 * impairment options are passed on to impair_option (impair_rules.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"
#include "step.h"

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
	      "  --pcap-format F     pcapng (default: packets that caused a transition, were\n"
	      "                      retransmitted or impaired carry a comment) or pcap\n"
	      "  --log FILE          the state-transition log goes to FILE (default: stderr)\n"
	      "  --log-format F      text (default) or json: one JSON object a line\n"
	      "  -v, --verbose       also log every segment, drop and timer; -vv: user calls too\n"
	      "  --nodelay           send small segments at once (Nagle's algorithm off)\n"
	      "  --no-delayed-ack    acknowledge every segment at once (no delayed ACK)\n"
	      "  --ack-burst         acknowledge in-order data once per burst read from the link\n"
	      "                      (as Linux does a GRO batch), not every second segment\n"
	      "  --no-syncookies     drop SYNs that find the half-open queue full (default: answer\n"
	      "                      them with SYN cookies, as Linux's tcp_syncookies=1)\n"
	      "  --abort-on-overflow RST a handshake that finds the accept queue full (else wait)\n"
	      "  --rcvbuf BYTES      receive buffer per connection, up to 4M (K, M: KiB, MiB;\n"
	      "                      default 65535); above 65535 the window is scaled (RFC 7323)\n"
	      "  --no-wscale         no window scale option: 16-bit windows, rcvbuf <= 65535\n"
	      "  --offload           the kernel may hand the stack TCP segments of up to 64 KiB,\n"
	      "                      checksums left to it (IFF_VNET_HDR, TSO, checksum offload)\n"
	      "  --no-sack           no SACK (RFC 2018): loss recovery by NewReno (RFC 6582)\n"
	      "  --no-timestamps     no timestamps (RFC 7323): no per-ACK RTT sample, no PAWS\n"
	      "  --no-rack           no RACK-TLP (RFC 8985): losses found by duplicate ACKs and\n"
	      "                      the retransmission timeout alone\n"
	      "  --cc NAME           congestion control: cubic (RFC 9438, the default, as Linux)\n"
	      "                      or newreno (RFC 5681, 6582)\n"
	      "  --max-conns N       connections (listeners included) the stack may hold\n"
	      "                      (default 16384; up to 1000000)\n"
	      "  --stats             print every counter (drops by reason, RSTs, challenge ACKs,\n"
	      "                      retransmissions...) on exit; SIGUSR1 prints them any time\n"
	      "  --step[=segment]    pause before every state transition (and every TCP segment\n"
	      "                      sent or taken) until Enter or `tuntcp-ss step`;\n"
	      "                      c Enter or `tuntcp-ss continue` ends step mode\n"
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

unsigned long net_option_number(const char *prog, const char *name, const char *arg,
				unsigned long min, unsigned long max)
{
	unsigned long v;

	if (net_parse_uint(arg, max, &v) || v < min)
		net_bad_usage(prog, "--%s: a number from %lu to %lu: %s", name, min, max, arg);
	return v;
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

static void net_msl_option(struct net_options *o, const char *arg, const char *prog)
{
	char *end;
	double msl = strtod(arg, &end);

	if (end == arg || *end || !(msl > 0 && msl <= 3600))
		net_bad_usage(prog, "--msl: seconds, more than 0 and at most 3600: %s", arg);
	o->msl_ms = (uint32_t)(msl * 1000 + 0.5);
	if (!o->msl_ms)
		o->msl_ms = 1;
}

/* The common options whose value needs checking. */
/* --rcvbuf BYTES, with K or M for KiB or MiB: 1 byte to 4 MiB (the core's TCP_RCVBUF_MAX) */
static void net_rcvbuf_option(struct net_options *o, const char *arg, const char *prog)
{
	char num[16];
	size_t n = strlen(arg);
	unsigned long v, mul = 1;

	if (n && n < sizeof(num) && (arg[n - 1] == 'K' || arg[n - 1] == 'M')) {
		mul = arg[n - 1] == 'K' ? 1024 : 1024 * 1024;
		n--;
	}
	snprintf(num, sizeof(num), "%.*s", (int)n, arg);
	if (n >= sizeof(num) || net_parse_uint(num, 4ul * 1024 * 1024, &v) || !v ||
	    v * mul > 4ul * 1024 * 1024)
		net_bad_usage(prog, "--rcvbuf: bytes from 1 to 4M (4194304): %s", arg);
	o->rcvbuf = (uint32_t)(v * mul);
}

static int net_value_option(struct net_options *o, int c, const char *arg, const char *prog)
{
	unsigned long v;

	switch (c) {
	case NET_OPT_LOG_FORMAT:
		if (strcmp(arg, "text") && strcmp(arg, "json"))
			net_bad_usage(prog, "--log-format: text or json, not %s", arg);
		o->log_json = !strcmp(arg, "json");
		return 1;
	case NET_OPT_STEP:
		if (arg && strcmp(arg, "state") && strcmp(arg, "segment"))
			net_bad_usage(prog, "--step: state (the default) or segment, not %s", arg);
		o->step = arg && !strcmp(arg, "segment") ? STEP_SEGMENT : STEP_STATE;
		return 1;
	case NET_OPT_PCAP_FORMAT:
		if (strcmp(arg, "pcapng") && strcmp(arg, "pcap"))
			net_bad_usage(prog, "--pcap-format: pcapng or pcap, not %s", arg);
		o->pcap_classic = !strcmp(arg, "pcap");
		return 1;
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
		net_msl_option(o, arg, prog);
		return 1;
	case NET_OPT_RCVBUF:
		net_rcvbuf_option(o, arg, prog);
		return 1;
	case NET_OPT_CC:
		if (strcmp(arg, "cubic") && strcmp(arg, "newreno"))
			net_bad_usage(prog, "--cc: cubic or newreno, not %s", arg);
		o->cc = !strcmp(arg, "newreno") ? STACK_CC_NEWRENO : STACK_CC_CUBIC;
		return 1;
	case NET_OPT_MAX_CONNS:
		if (net_parse_uint(arg, 1000000, &v) || v < 2)
			net_bad_usage(prog, "--max-conns: a number from 2 to 1000000: %s", arg);
		o->max_conns = (uint32_t)v;
		return 1;
	case NET_OPT_ISN:
		if (net_parse_uint(arg, 0xffffffffu, &v))
			net_bad_usage(prog, "--isn: a number from 0 to 4294967295: %s", arg);
		o->fixed_isn = 1;
		o->isn = (uint32_t)v;
		return 1;
	default:
		return 0;
	}
}

int net_option(struct net_options *o, int c, const char *arg, const char *prog)
{
	switch (c) {
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
	case NET_OPT_ACK_BURST:
		o->ack_burst = 1;
		return 1;
	case NET_OPT_NO_SYNCOOKIES:
		o->no_syncookies = 1;
		return 1;
	case NET_OPT_ABORT_ON_OVERFLOW:
		o->abort_on_overflow = 1;
		return 1;
	case NET_OPT_NO_WSCALE:
		o->no_wscale = 1;
		return 1;
	case NET_OPT_OFFLOAD:
		o->offload = 1;
		return 1;
	case NET_OPT_NO_SACK:
		o->no_sack = 1;
		return 1;
	case NET_OPT_NO_TIMESTAMPS:
		o->no_timestamps = 1;
		return 1;
	case NET_OPT_NO_RACK:
		o->no_rack = 1;
		return 1;
	case NET_OPT_STATS:
		o->stats = 1;
		return 1;
	default:
		if (c >= NET_OPT_LOSS && c <= NET_OPT_RULE)
			return net_impair_option(o, c, arg, prog);
		return net_value_option(o, c, arg, prog);
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

struct stack_config net_stack_config(const struct net_options *o)
{
	struct stack_config cfg = { .addr = o->ip, .prefix = o->prefix, .mtu = (uint16_t)o->mtu,
				    .msl_ms = o->msl_ms, .fixed_isn = o->fixed_isn, .isn = o->isn,
				    .no_nagle = o->no_nagle, .no_delayed_ack = o->no_delayed_ack,
				    .ack_burst = o->ack_burst,
				    .no_syncookies = o->no_syncookies, .rcvbuf = o->rcvbuf,
				    .no_wscale = o->no_wscale, .no_sack = o->no_sack,
				    .no_timestamps = o->no_timestamps, .no_rack = o->no_rack,
				    .cc = o->cc, .max_conns = o->max_conns,
				    .abort_on_overflow = o->abort_on_overflow };
	return cfg;
}

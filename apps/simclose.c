/* simclose - RFC 793's figure 14 on demand: two stacks on the in-memory wire
 * (tun/sim.h), in virtual time, open a connection and then both CLOSE it at the same
 * moment (or --gap MS apart), so that their FINs cross on the wire and each goes
 * FIN-WAIT-1 -> CLOSING -> TIME-WAIT (RFC 9293 3.6, case 3) every time it runs.
 * Stack A (--ip, default 10.0.0.2) connects to stack B (--peer-ip, default 10.0.0.1,
 * port 1234). Each writes its own transition log and capture, stamped from the
 * moment the program starts as if the virtual time were real: A to --log/--pcap, B
 * to --log-b/--pcap-b. Prints the states each went through.
 * Entry point: main. Exit status 0 once both connections are CLOSED, else 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "log.h"
#include "options.h"
#include "sim.h"
#include "tcp.h"
#include "trace.h"

#define MS        1000ull                /* the wire's clock counts microseconds */
#define B_PORT    1234
#define RUN_MAX   (120 * 1000 * MS)      /* give up if not both CLOSED by then */

struct side {
	struct stack *s;
	struct log log;
	int h;                               /* the connection's handle */
	char states[256];                    /* "SYN-SENT ESTABLISHED ..." */
	char name[48];                       /* "10.0.0.2:40000 > 10.0.0.1:1234" */
};

struct world {
	struct sim *sim;
	struct side side[2];                 /* A, B */
};

static void usage(FILE *f)
{
	fputs("usage: simclose [--latency MS] [--gap MS] [--seed N] [--peer-ip ADDR]\n"
	      "                [--log-b FILE] [--pcap-b FILE] [network options]\n"
	      "Two stacks on an in-memory wire, in virtual time: A connects to B, then both\n"
	      "close at the same moment, so their FINs cross and both pass through CLOSING\n"
	      "(RFC 793 figure 14). A's log and capture: --log, --pcap; B's: --log-b, --pcap-b.\n"
	      "  --latency MS        the wire's one-way delay (default 5)\n"
	      "  --gap MS            B closes MS ms after A (default 0); the FINs cross only\n"
	      "                      while the gap is shorter than the latency\n"
	      "  --seed N            the wire's seed: ISNs and ports (default: random, printed)\n"
	      "  --peer-ip ADDR      B's address (default 10.0.0.1)\n"
	      "  --log-b FILE, --pcap-b FILE   B's transition log and capture\n"
	      "Of the network options, --ip (A's address), --msl, --isn, --log, --pcap,\n"
	      "--log-format, --pcap-format, -v, --nodelay and --no-delayed-ack apply (to both\n"
	      "stacks); impairments do not: vary --latency and --gap instead.\n", f);
	net_usage_common(f);
}

/* Every event of either stack goes to its own log; state changes of the
 * connection (not B's listener) are also remembered for the summary on stdout. */
static void on_trace(void *ctx, int i, const struct trace_event *ev)
{
	struct side *sd = &((struct world *)ctx)->side[i];
	size_t n = strlen(sd->states);

	log_trace(&sd->log, ev);
	if (ev->kind == TRACE_STATE && ev->conn.raddr && n + 16 < sizeof(sd->states))
		snprintf(sd->states + n, sizeof(sd->states) - n, "%s%s", n ? " " : "",
			 tcp_state_name(ev->to));
}

static enum tcp_state state_of(const struct side *sd)
{
	struct tcp_status st;

	return tcp_status(sd->s, sd->h, &st) ? TCP_CLOSED : st.state;
}

static int open_log(struct side *sd, const char *log, const char *pcap, const struct net_options *o,
		    uint64_t base)
{
	struct log_config lc = { .log_path = log, .pcap_path = pcap, .verbose = o->verbose,
				 .json = o->log_json, .classic_pcap = o->pcap_classic };
	int err = log_open(&sd->log, &lc);

	if (err) {
		fprintf(stderr, "simclose: cannot open %s: %s\n", pcap ? pcap : log, strerror(-err));
		return -1;
	}
	sd->log.virtual_time = 1;            /* stamp with base + the wire's clock */
	sd->log.base = base;
	return 0;
}

/* A connects to B; both ESTABLISHED, or -1. */
static int world_connect(struct world *w, uint32_t b_addr)
{
	struct side *a = &w->side[0], *b = &w->side[1];
	int lh = tcp_listen(b->s, sim_now(w->sim), B_PORT, 1);

	a->h = tcp_connect(a->s, sim_now(w->sim), b_addr, B_PORT, 0);
	sim_run_for(w->sim, 200 * MS);
	b->h = tcp_accept(b->s, lh);
	tcp_close(b->s, sim_now(w->sim), lh);        /* one connection is all we want */
	tcp_release(b->s, sim_now(w->sim), lh);
	if (lh < 0 || a->h < 0 || b->h < 0 || state_of(a) != TCP_ESTABLISHED ||
	    state_of(b) != TCP_ESTABLISHED) {
		fprintf(stderr, "simclose: the connection did not open\n");
		return -1;
	}
	return 0;
}

/* The close of figure 14: A's CLOSE, B's `gap` later; then wait out both TIME-WAITs. */
static int world_close(struct world *w, uint64_t gap)
{
	struct side *a = &w->side[0], *b = &w->side[1];
	uint64_t until = sim_now(w->sim) + RUN_MAX;

	tcp_close(a->s, sim_now(w->sim), a->h);
	sim_run_for(w->sim, gap);
	tcp_close(b->s, sim_now(w->sim), b->h);
	while ((state_of(a) != TCP_CLOSED || state_of(b) != TCP_CLOSED) && sim_now(w->sim) < until)
		sim_run_for(w->sim, 10 * MS);
	return state_of(a) == TCP_CLOSED && state_of(b) == TCP_CLOSED ? 0 : -1;
}

static void side_name(struct side *sd)
{
	struct tcp_status st;
	char la[16], ra[16];

	if (tcp_status(sd->s, sd->h, &st))
		return;
	snprintf(sd->name, sizeof(sd->name), "%s:%u > %s:%u", net_addr_str(st.laddr, la), st.lport,
		 net_addr_str(st.raddr, ra), st.rport);
}

struct own_opts {
	unsigned long latency, gap, seed;    /* ms, ms, 0: random */
	uint32_t peer;                       /* B's address */
	const char *log_b, *pcap_b;
};

static unsigned long own_uint(char **argv, const char *name, const char *arg, unsigned long max)
{
	unsigned long v;

	if (net_parse_uint(arg, max, &v))
		net_bad_usage(argv[0], "bad value for --%s: %s", name, arg);
	return v;
}

/* This program's own options (the network options are net_getopt's). */
static void own_option(struct own_opts *p, int c, const char *arg, char **argv)
{
	switch (c) {
	case 'l':
		if (!(p->latency = own_uint(argv, "latency", arg, 60000)))
			net_bad_usage(argv[0], "--latency: at least 1 ms");
		break;
	case 'g':
		p->gap = own_uint(argv, "gap", arg, 60000);
		break;
	case 's':
		p->seed = own_uint(argv, "seed", arg, 0xffffffffu);
		break;
	case 'p':
		if (net_parse_addr(arg, &p->peer))
			net_bad_usage(argv[0], "--peer-ip: not an IPv4 address: %s", arg);
		break;
	case 'L':
		p->log_b = arg;
		break;
	default:                             /* 'P' */
		p->pcap_b = arg;
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "latency", required_argument, 0, 'l' }, { "gap", required_argument, 0, 'g' },
		{ "seed", required_argument, 0, 's' }, { "peer-ip", required_argument, 0, 'p' },
		{ "log-b", required_argument, 0, 'L' }, { "pcap-b", required_argument, 0, 'P' },
		NET_LONG_OPTIONS, { 0, 0, 0, 0 },
	};
	struct own_opts p = { .latency = 5, .peer = 0x0a000001 };
	struct net_options o;
	struct world w = { 0 };
	uint32_t s32;
	uint64_t base;
	int c, rc;

	net_options_default(&o);
	o.msl_ms = 1000;                     /* TIME-WAIT 2 s unless --msl says otherwise */
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		own_option(&p, c, optarg, argv);
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (impair_active(&o.impair_in) || impair_active(&o.impair_out))
		net_bad_usage(argv[0], "impairments are not applied here: vary --latency and --gap");
	if (p.peer == o.ip)
		net_bad_usage(argv[0], "A and B need two addresses (--ip, --peer-ip)");
	if (!p.seed)
		p.seed = getrandom(&s32, sizeof(s32), 0) == sizeof(s32) && s32 ? s32 : 1;
	printf("simclose: seed %lu (repeat this run with --seed %lu)\n", p.seed, p.seed);

	struct stack_config ca = { .addr = o.ip, .msl_ms = o.msl_ms, .fixed_isn = o.fixed_isn,
				   .isn = o.isn, .no_nagle = o.no_nagle,
				   .no_delayed_ack = o.no_delayed_ack };
	struct stack_config cb = ca;

	cb.addr = p.peer;
	w.side[0].h = w.side[1].h = -1;
	w.sim = sim_new((uint32_t)p.seed, p.latency * MS);
	base = wall_clock_us() - sim_now(w.sim);   /* virtual time starts now */
	if (open_log(&w.side[0], o.log, o.pcap, &o, base) ||
	    open_log(&w.side[1], p.log_b, p.pcap_b, &o, base))
		return 1;
	w.side[0].s = sim_stack(w.sim, sim_add(w.sim, &ca));
	w.side[1].s = sim_stack(w.sim, sim_add(w.sim, &cb));
	sim_set_trace(w.sim, on_trace, &w);
	if (!(rc = world_connect(&w, p.peer))) {
		side_name(&w.side[0]);
		side_name(&w.side[1]);
		rc = world_close(&w, p.gap * MS);
	}
	for (int i = 0; i < 2; i++) {
		printf("simclose: %c %s: %s\n", 'A' + i, w.side[i].name, w.side[i].states);
		if (w.side[i].h >= 0)
			tcp_release(w.side[i].s, sim_now(w.sim), w.side[i].h);
	}
	sim_free(w.sim);
	log_close(&w.side[0].log);
	log_close(&w.side[1].log);
	return rc ? 1 : 0;
}

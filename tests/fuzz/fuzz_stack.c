/* fuzz_stack.c - libFuzzer driver for tuntcp's core (stack/ *.c): arbitrary
 * packets, user calls and time, fed to one stack in every state, with the
 * stack's invariants checked after every step. `make fuzz` builds and runs it;
 * tests/fuzz/README.md says how, and how to replay and read a crash.
 *
 * Build by hand:
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *           -DINTERNAL_CHECKS -Istack tests/fuzz/fuzz_stack.c stack/ *.c -o fuzz_stack
 * Replay:   ./fuzz_stack crash-file            (FUZZ_VERBOSE=1: every step, segment, TCB)
 * States:   FUZZ_STATS=1 ./fuzz_stack -runs=0 tests/fuzz/corpus   (transitions reached)
 * Without libFuzzer (-DFUZZ_STANDALONE, any compiler): ./fuzz_stack FILE|DIR...
 *
 * An input is 2 setup bytes, then commands: an opcode byte and its operands
 * (reading past the end gives zeros); tests/fuzz/mkseeds.py writes them. The
 * driver plays the peer 10.0.0.1 (and 10.0.0.9 for raw packets and SYN floods,
 * whose streams it does not model), and routers on the path that send ICMP errors.
 * It keeps, per 4-tuple, what the stack sent (ISS, highest sequence, last ACK and
 * window), so segments can be built from fields relative to the connection's real
 * sequence numbers: most are acceptable, and a connection goes through every state.
 * ICMP errors quote segments built from the same numbers, so most name a sequence
 * number in flight (RFC 5927) and reach the connection.
 *
 * Checks (abort() with "INVARIANT FAILED" on violation):
 *  - every packet the stack emits parses, checksums, comes from its address,
 *    fits the MTU, has no SYN with RST/FIN; no RST answers a RST (RFC 9293 MUST);
 *    no data segment is larger than the connection's SMSS (with INTERNAL_CHECKS:
 *    "fragmentation needed" lowers it);
 *  - ICMP: only echo replies, to an echo request just received, and protocol
 *    unreachable, to a valid datagram of another protocol just received from a
 *    source that is not bogus, quoting exactly its header and first 8 bytes (as
 *    many as fit the MTU), its checksum right, at most ICMP_RATE_BURST + 1 to one
 *    destination in any ICMP_RATE_MS; with INTERNAL_CHECKS, an ICMP error that is
 *    malformed or quotes a sequence number outside SND.UNA..SND.MAX changes nothing,
 *    one in a synchronized state never ends the connection, "fragmentation needed"
 *    lowers the SMSS to the next-hop MTU - 40 (never below 28, never up);
 *    data bytes are the ones the user wrote, in stream order; the ACK number and
 *    the right window edge never go back (no shrinking window, 3.8.6.2.2);
 *    new data stays inside the peer's window and the congestion window;
 *  - the user gets exactly the bytes the peer sent, in order, each once; every
 *    byte the stack acknowledged is read or queued, every byte the user wrote is
 *    acknowledged or queued;
 *  - with INTERNAL_CHECKS: the core's own invariants (stack/tcp_invariant.c: sequence
 *    variables ordered, queues, reassembly pieces and listener queues consistent,
 *    the timers each state needs, no ACK left pending, no orphan without a timer,
 *    nothing sent outside the queue or the peer's window), which the core checks
 *    after every input and poll and this driver after every user call too; and
 *    nothing sent past SND.MAX;
 *  - liveness at the end of every input: the user releases every handle, the
 *    peer falls silent, and the stack must free every TCB within bounded virtual
 *    time and a bounded number of timer events. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "config.h"
#include "stack.h"
#include "tcp.h"
#include "trace.h"
#include "wire.h"
#ifdef INTERNAL_CHECKS
#include "tcp_priv.h"
#endif

#define US_IP    0x0a000002u
#define PEER_IP  0x0a000001u
#define OTHER_IP 0x0a000009u
#define ROUTER_IP 0xc0000201u   /* 192.0.2.1, a router on the path */
#define GW_IP    0x0a0000feu    /* 10.0.0.254, the gateway */
#define MIN_MTU  68              /* RFC 791: every link takes 68 bytes: SMSS >= 28 */
#define RATE_DSTS 32            /* destinations of ICMP errors whose sends are remembered */
#define MAXT 24                 /* 4-tuples modelled */
#define MAXH 32                 /* handles held */
#define MAX_STEPS 400
#define MSL_MS 100              /* TIME-WAIT is 200 ms of virtual time */
/* The checks scan every slot of the table after every step: coverage callbacks
 * there guide nothing and cost a fifth of the time. */
#if defined(__clang__) && __clang_major__ >= 13
#define NOCOV __attribute__((no_sanitize("coverage")))
#else
#define NOCOV
#endif
#define S_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define S_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define S_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)

/* Opcodes: the byte modulo OP_COUNT. tests/fuzz/mkseeds.py writes the same. */
enum {
	OP_RAW, OP_RAWFIX, OP_SEG, OP_TIME, OP_SEND, OP_RECV, OP_CLOSE, OP_SHUTDOWN,
	OP_ABORT, OP_RELEASE, OP_ACCEPT, OP_CONNECT, OP_LISTEN, OP_SYN, OP_BULK, OP_PEER,
	OP_RUN, OP_FLOOD, OP_ICMP, OP_PROTO, OP_SOCKERR, OP_COUNT
};

struct in { const uint8_t *p; size_t n, i; };
static uint8_t u8(struct in *in) { return in->i < in->n ? in->p[in->i++] : 0; }
static uint16_t u16(struct in *in) { uint16_t a = u8(in); return (uint16_t)(a << 8 | u8(in)); }
static uint32_t u32(struct in *in) { uint32_t a = u16(in); return a << 16 | u16(in); }

/* One 4-tuple as the peer sees it. "our" = what the stack sent. An incarnation
 * of a connection starts with the stack's SYN (or SYN,ACK). */
struct tup {
	uint32_t raddr; uint16_t rport, lport;
	uint32_t peer_iss, peer_nxt;      /* the peer's (this driver's) sequence numbers */
	uint32_t peer_ack; uint16_t peer_wnd;  /* the last ACK and window the peer sent */
	bool have_iss; uint32_t our_iss;  /* the stack's ISS (from its SYN) */
	uint32_t our_max;                 /* highest sequence the stack sent, + 1 */
	bool have_ack; uint32_t our_ack;  /* last ACK the stack sent: its RCV.NXT */
	uint32_t our_edge;                /* our_ack + window of that ACK */
	bool fin_sent; uint32_t our_fin;  /* the stack's FIN, and its sequence number */
	bool ts, sack;                    /* the peer's SYN offered timestamps and SACK: its
	                                     segments carry TSopt, its dup ACKs SACK blocks */
	uint32_t our_tsval;               /* the stack's last TSval (the peer's TSecr) */
};
struct hnd { int h; bool held, listener, have_last; uint64_t sent, rcvd; uint8_t last_rx; };

static struct {
	struct stack *s;
	uint64_t now, last_poll;
	uint32_t rng;
	struct tup t[MAXT]; int nt;
	struct hnd h[MAXH]; int nh;
	bool verbose, small_cap, in_rst;
	uint16_t mtu;
	unsigned long nev;
	char *tbuf;                       /* 512 bytes, formatter output goes at its end */
	unsigned long trans[TCP_NSTATES][TCP_NSTATES];   /* FUZZ_STATS */
	unsigned long inputs;
	bool stats;
	uint32_t msl_ms;
	uint16_t flood_port;              /* next source port of cmd_flood */
	bool synack_seen; uint32_t synack_seq;  /* the last SYN,ACK to 10.0.0.9 (cmd_flood) */
	uint16_t synack_dport;
	uint64_t pkts_in, pkts_out;       /* what the stack's counters must say */
	const uint8_t *cur; size_t cur_len;   /* the packet being input (what ICMP answers) */
	struct rate {                     /* ICMP errors sent to dst: the last BURST + 1 times */
		uint32_t dst; int n, head;
		uint64_t at[ICMP_RATE_BURST + 1];
	} rate[RATE_DSTS];
	int nrate;
} G;

static uint8_t txbuf[65536 + 300000], recvbuf[70000];   /* txbuf[k] = tx_pat(k) */
static void check_internal(void);

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	if (!G.verbose)
		return;
	fprintf(stderr, "[t=%llu.%06llu] ", (unsigned long long)(G.now / 1000000),
		(unsigned long long)(G.now % 1000000));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "INVARIANT FAILED %s:%d: %s: ", \
	__FILE__, __LINE__, #c); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } } while (0)

/* The byte the user writes at stream offset k. */
static uint8_t tx_pat(uint64_t k) { return (uint8_t)(k + (k >> 8) * 7); }

static struct tup *tup_find(uint32_t raddr, uint16_t rport, uint16_t lport, bool create)
{
	for (int i = 0; i < G.nt; i++)
		if (G.t[i].raddr == raddr && G.t[i].rport == rport && G.t[i].lport == lport)
			return &G.t[i];
	if (!create || G.nt == MAXT)
		return NULL;
	struct tup *t = &G.t[G.nt++];
	memset(t, 0, sizeof(*t));
	t->raddr = raddr;
	t->rport = rport;
	t->lport = lport;
	t->peer_iss = t->peer_nxt = 0x10000000u * (uint32_t)G.nt - 7;
	t->peer_wnd = 65535;
	return t;
}

/* ---- env ---- */

/* RFC 1122 3.2.1.3, as the stack's prefix (/24) makes it: a source nobody may answer. */
static bool src_bogus(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) == 0xe || a == 0xffffffffu ||
	       a == US_IP || a == (US_IP | 0xffu);
}

/* An ICMP error to dst now: no more than ICMP_RATE_BURST + 1 in any ICMP_RATE_MS. */
static void check_icmp_rate(uint32_t dst)
{
	struct rate *r = NULL;

	for (int i = 0; i < RATE_DSTS && !r; i++)
		if (G.rate[i].n && G.rate[i].dst == dst)
			r = &G.rate[i];
	if (!r) {                  /* a new one takes the oldest slot: forgetting weakens, never fails */
		r = &G.rate[G.nrate++ % RATE_DSTS];
		memset(r, 0, sizeof(*r));
		r->dst = dst;
	}
	if (r->n == ICMP_RATE_BURST + 1)
		CHECK(G.now - r->at[r->head] > ICMP_RATE_MS * 1000ull,
		      "ICMP rate: %d errors to %08x within %llu us (at most %d in %d ms)", ICMP_RATE_BURST + 2, dst,
		      (unsigned long long)(G.now - r->at[r->head]), ICMP_RATE_BURST + 1, ICMP_RATE_MS);
	else
		r->n++;
	r->at[r->head] = G.now;
	r->head = (r->head + 1) % (ICMP_RATE_BURST + 1);
}

/* An ICMP message the stack emitted: only in answer to the packet being input
 * (RFC 1122 3.2.2: never to an ICMP error, a broadcast or a bogus source). */
static void check_icmp_out(const struct ip_pkt *ip, size_t len)
{
	const uint8_t *p = ip->payload;
	struct ip_pkt q;                     /* the datagram answered */
	size_t ihl, quote;

	CHECK(ip->payload_len >= 8, "emitted ICMP message of %zu bytes", ip->payload_len);
	CHECK(inet_fold(inet_sum(p, ip->payload_len, 0)) == 0, "emitted ICMP type %u: bad checksum", p[0]);
	CHECK(G.cur && ip_parse(&q, G.cur, G.cur_len) == 0, "ICMP type %u sent, not in answer to a valid "
	      "datagram", p[0]);
	CHECK(q.dst == US_IP && !src_bogus(q.src), "ICMP type %u sent in answer to %08x -> %08x", p[0],
	      q.src, q.dst);
	CHECK(ip->dst == q.src, "ICMP type %u sent to %08x, the datagram came from %08x", p[0], ip->dst, q.src);
	if (p[0] == ICMP_ECHO_REPLY) {
		CHECK(q.proto == IPPROTO_ICMP_ && q.payload_len >= 8 && q.payload[0] == ICMP_ECHO_REQUEST &&
		      q.payload[1] == 0, "echo reply to no echo request");
		CHECK(p[1] == 0 && ip->payload_len == q.payload_len && !memcmp(p + 4, q.payload + 4,
		      q.payload_len - 4), "echo reply is not the request's id, sequence and data");
		return;
	}
	CHECK(p[0] == ICMP_UNREACH && p[1] == ICMP_UNREACH_PROTOCOL, "the stack sent ICMP type %u code %u",
	      p[0], p[1]);
	CHECK(q.proto != IPPROTO_TCP_ && q.proto != IPPROTO_ICMP_, "protocol unreachable for protocol %u",
	      q.proto);
	CHECK(get32(p + 4) == 0, "protocol unreachable: unused field %08x", get32(p + 4));
	CHECK(len <= G.mtu, "emitted ICMP error of %zu bytes > MTU %u", len, G.mtu);
	ihl = (size_t)(G.cur[0] & 15) * 4;
	quote = ihl + (q.payload_len < 8 ? q.payload_len : 8);
	if (IP_HDR_LEN + 8 + quote > G.mtu)
		quote = G.mtu - IP_HDR_LEN - 8;            /* as much as the link takes */
	CHECK(ip->payload_len == 8 + quote && !memcmp(p + 8, G.cur, quote), "protocol unreachable quotes "
	      "%zu bytes, not the datagram's header and first 8 bytes (or as many as fit the MTU: %zu)",
	      ip->payload_len - 8, quote);
	check_icmp_rate(ip->dst);
}

static void fz_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ip_pkt ip;
	struct seg sg;
	struct tup *t;
	uint32_t end;

	(void)ctx;
	G.pkts_out++;
	CHECK(ip_parse(&ip, pkt, len) == 0, "stack emitted an invalid IPv4 packet (len %zu)", len);
	CHECK(ip.src == US_IP, "emitted src %08x", ip.src);
	if (ip.proto == IPPROTO_ICMP_) {
		check_icmp_out(&ip, len);
		return;
	}
	CHECK(ip.proto == IPPROTO_TCP_, "emitted IP protocol %u", ip.proto);
	CHECK(len <= G.mtu, "emitted TCP packet of %zu bytes > MTU %u", len, G.mtu);
	CHECK(tcp_parse(&sg, &ip) == 0, "emitted TCP segment does not parse/checksum");
	CHECK(!((sg.flags & TH_SYN) && (sg.flags & (TH_RST | TH_FIN))), "flags %02x", sg.flags);
	if (sg.flags & TH_RST) {
		CHECK(!G.in_rst, "the stack answered a RST with a RST (seq %u)", sg.seq);
		return;
	}
	if ((sg.flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && sg.dst == OTHER_IP) {
		G.synack_seen = true;
		G.synack_seq = sg.seq;
		G.synack_dport = sg.dport;
	}
	if (!(t = tup_find(sg.dst, sg.dport, sg.sport, true)))
		return;
	if (sg.has_ts)
		t->our_tsval = sg.ts_val;
	end = sg.seq + seg_len(&sg);
	if (sg.flags & TH_SYN) {             /* a new incarnation, or the SYN again */
		t->have_iss = true;
		t->our_iss = sg.seq;
		t->our_max = end;
		t->have_ack = t->fin_sent = false;
	}
	if (!t->have_iss)
		return;
#ifdef INTERNAL_CHECKS
	if (sg.dlen) {                       /* "fragmentation needed" lowers it (tcp_icmp.c) */
		const struct tcb *c = tcb_lookup(G.s, sg.dst, sg.dport, sg.sport);
		CHECK(!c || sg.dlen <= c->snd.mss, "a data segment of %u bytes > SMSS %u", sg.dlen,
		      c->snd.mss);
	}
#endif
	if (sg.dlen && S_GT(sg.seq + sg.dlen, t->our_max)) {
		uint32_t dend = sg.seq + sg.dlen;
#ifdef INTERNAL_CHECKS
		const struct tcb *c = tcb_lookup(G.s, sg.dst, sg.dport, sg.sport);
		if (c && c->snd.iss == t->our_iss) {
			uint32_t sacked = 0;          /* RFC 6675: SACKed bytes are out of the pipe */
			for (int i = 0; i < c->sack.n_sb; i++)
				sacked += c->sack.sb[i].end - c->sack.sb[i].seq;
			CHECK(S_LEQ(dend, c->snd.una + c->snd.wnd), "new data up to %u past the peer's window "
			      "(SND.UNA %u + SND.WND %u)", dend, c->snd.una, c->snd.wnd);
			CHECK(S_LEQ(dend, c->snd.una + c->cc.cwnd + sacked + 2u * c->snd.mss), "new data up to %u "
			      "past the congestion window (SND.UNA %u + cwnd %u + SACKed %u + 2 SMSS)", dend,
			      c->snd.una, c->cc.cwnd, sacked);
		}
#endif
		(void)dend;
	}
	if (S_GT(end, t->our_max))
		t->our_max = end;
	if (sg.flags & TH_FIN) {
		uint32_t f = sg.seq + sg.dlen;
		CHECK(!t->fin_sent || t->our_fin == f, "the stack sent FINs at %u and at %u", t->our_fin, f);
		t->fin_sent = true;
		t->our_fin = f;
	}
	if (sg.flags & TH_ACK) {
		if (t->have_ack && !(sg.flags & TH_SYN)) {
			CHECK(S_GEQ(sg.ack, t->our_ack), "the ACK went back from %u to %u", t->our_ack, sg.ack);
			CHECK(S_GEQ(sg.ack + sg.wnd, t->our_edge), "the window shrank: right edge %u, was %u "
			      "(ack %u wnd %u)", sg.ack + sg.wnd, t->our_edge, sg.ack, sg.wnd);
		}
		t->have_ack = true;
		t->our_ack = sg.ack;
		t->our_edge = sg.ack + sg.wnd;
	}
	for (uint32_t i = 0; i < sg.dlen; i++) {
		uint32_t k = sg.seq + i - t->our_iss - 1;
		CHECK(sg.data[i] == tx_pat(k), "emitted data byte at seq %u (stream offset %u) is %02x, "
		      "the user wrote %02x", sg.seq + i, k, sg.data[i], tx_pat(k));
	}
}

static uint32_t fz_rand(void *ctx)
{
	(void)ctx;
	G.rng ^= G.rng << 13;
	G.rng ^= G.rng >> 17;
	G.rng ^= G.rng << 5;
	return G.rng;
}

static void fz_trace(void *ctx, const struct trace_event *ev)
{
	char *end = G.tbuf + 512;
	size_t cap, r;

	(void)ctx;
	G.nev++;
	CHECK(ev->now == G.now, "trace event time %llu != now %llu", (unsigned long long)ev->now,
	      (unsigned long long)G.now);
	if (ev->kind == TRACE_STATE && (unsigned)ev->from < TCP_NSTATES && (unsigned)ev->to < TCP_NSTATES)
		G.trans[ev->from][ev->to]++;
	if (G.nev > 64 && G.nev % 4 && !G.verbose)
		return;            /* the formatters' cost: all of the first events, then one in 4 */
	cap = G.small_cap ? G.nev % 64 : 512;
	r = trace_format(ev, end - cap, cap);
	CHECK(cap ? r < cap && strlen(end - cap) == r : r == 0, "trace_format returned %zu, cap %zu", r, cap);
	if (G.verbose && ev->kind != TRACE_USER) {
		char line[512];
		trace_format(ev, line, sizeof line);
		say("    %s %s", ev->kind == TRACE_SEG_IN ? "in " : ev->kind == TRACE_SEG_OUT ? "out" : "   ",
		    line);
	}
	if (ev->pkt) {
		cap = 1 + (G.nev * 7) % 200;
		r = trace_format_packet(ev->pkt, ev->len, end - cap, cap);
		CHECK(r < cap && strlen(end - cap) == r, "trace_format_packet returned %zu, cap %zu", r, cap);
	}
}

/* ---- the peer ---- */

static void input(const uint8_t *pkt, size_t len)
{
	struct ip_pkt ip;

	/* a RST (checksum or not: a bad one is dropped, and answered by nothing) */
	G.in_rst = ip_parse(&ip, pkt, len) == 0 && ip.proto == IPPROTO_TCP_ &&
		   ip.payload_len >= 20 && (ip.payload[13] & TH_RST);
	G.pkts_in++;
	G.cur = pkt;
	G.cur_len = len;
	stack_input(G.s, G.now, pkt, len);
	G.in_rst = false;
	G.cur = NULL;
}

/* A TCP segment to tuple t with checksums right. opt/optlen: raw option bytes
 * (padded with zeros to a multiple of 4, at most 40). The data follows the
 * pattern byte(seq) = seq & 0xff, so the receiving side can be checked. */
static void send_seg(struct tup *t, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		     const uint8_t *opt, size_t optlen, uint32_t dlen)
{
	static uint8_t b[20 + 60 + 1600];
	uint8_t ob[40 + 12];
	size_t ol, hl, tl;
	uint8_t *tp = b + 20;
	uint32_t dseq = seq + !!(flags & TH_SYN), end;

	if (t->ts && !(flags & (TH_SYN | TH_RST)) && optlen + 12 <= 40) {
		if (optlen)
			memcpy(ob, opt, optlen);  /* TSopt on every segment (RFC 7323 3.2) */
		ob[optlen] = ob[optlen + 1] = TCP_OPT_NOP;
		ob[optlen + 2] = TCP_OPT_TS;
		ob[optlen + 3] = 10;
		put32(ob + optlen + 4, (uint32_t)(G.now / 1000));
		put32(ob + optlen + 8, t->our_tsval);
		opt = ob;
		optlen += 12;
	}
	ol = (optlen + 3) & ~(size_t)3;
	hl = 20 + ol;

	if (dlen > 1600 - 20 - hl)
		dlen = (uint32_t)(1600 - 20 - hl);
	tl = hl + dlen;
	memset(b, 0, 20 + hl);
	put16(tp, t->rport);
	put16(tp + 2, t->lport);
	put32(tp + 4, seq);
	put32(tp + 8, ack);
	tp[12] = (uint8_t)(hl / 4 << 4);
	tp[13] = flags;
	put16(tp + 14, wnd);
	if (optlen)
		memcpy(tp + 20, opt, optlen);
	for (uint32_t i = 0; i < dlen; i++)
		tp[hl + i] = (uint8_t)(dseq + i);
	put16(tp + 16, tcp_cksum(t->raddr, US_IP, tp, tl));
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(20 + tl));
	b[8] = 64;
	b[9] = IPPROTO_TCP_;
	put32(b + 12, t->raddr);
	put32(b + 16, US_IP);
	put16(b + 10, inet_fold(inet_sum(b, 20, 0)));
	end = seq + dlen + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	if (t->have_ack && !(flags & TH_SYN) && S_GT(end, t->our_edge))
		end = t->our_edge;     /* past the window the stack advertised: not taken, sent again */
	if (!(flags & TH_RST) && S_GT(end, t->peer_nxt))
		t->peer_nxt = end;
	if (flags & TH_ACK) {
		t->peer_ack = ack;
		t->peer_wnd = wnd;
	}
	say("peer %08x:%u > :%u flags %02x seq %u ack %u wnd %u optlen %zu dlen %u", t->raddr,
	    t->rport, t->lport, flags, seq, ack, wnd, optlen, dlen);
	input(b, 20 + tl);
}

static const uint8_t mss_opt_1460[4] = { 2, 4, 0x05, 0xb4 };
/* A Linux SYN's options (TS val and ecr filled in by peer_syn_opts) */
static const uint8_t linux_syn_opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0,
					    1, 3, 3, 7 };

/* The stack's RCV.NXT as its last ACK said (cmd_seg's offsets start there). */
static uint32_t rcv_nxt_of(const struct tup *t) { return t->have_ack ? t->our_ack : t->peer_nxt; }
/* Where a peer that behaves sends next: its own SND.NXT (the stack's ACKs may lag,
 * delayed), as long as that lies inside the window the stack last advertised;
 * past it the stack will have trimmed or dropped what was sent, and the peer
 * goes back to the stack's RCV.NXT (go-back-N). */
static uint32_t peer_next(struct tup *t)
{
	if (t->have_ack && !(S_LEQ(t->our_ack, t->peer_nxt) && S_LEQ(t->peer_nxt, t->our_edge)))
		t->peer_nxt = t->our_ack;
	return t->peer_nxt;
}
/* An ACK of everything the stack sent. */
static uint32_t snd_max_of(const struct tup *t) { return t->have_iss ? t->our_max : 0; }

/* ---- handles ---- */

static struct hnd *hnd_add(int h, bool listener)
{
	struct hnd *x;

	if (h < 0)
		return NULL;
	for (int i = 0; i < G.nh; i++)
		CHECK(!(G.h[i].held && G.h[i].h == h), "handle %d issued twice", h);
	if (G.nh == MAXH) {
		tcp_release(G.s, G.now, h);
		return NULL;
	}
	x = &G.h[G.nh++];
	memset(x, 0, sizeof(*x));
	x->h = h;
	x->held = true;
	x->listener = listener;
	return x;
}

static void hnd_forget(int h)
{
	for (int i = 0; i < G.nh; i++)
		if (G.h[i].held && G.h[i].h == h)
			G.h[i].held = false;
}

/* Handle operand: mostly one we hold; sometimes a stale or out-of-range number. */
static struct hnd *pick(struct in *in, int *raw)
{
	static const int weird[] = { -1, 1024, 100000, -100000, 0, 1, 2, 3, 4, 5, 6, 7, 1023, 8, 9, 10 };
	uint8_t b = u8(in);
	struct hnd *x;

	if (b >= 0xf0 || G.nh == 0) {
		*raw = weird[b & 15];
		for (int i = 0; i < G.nh; i++)
			if (G.h[i].held && G.h[i].h == *raw)
				return &G.h[i];
		return NULL;
	}
	x = &G.h[b % G.nh];
	*raw = x->h;
	if (x->held)
		return x;
	for (int i = 0; i < G.nh; i++)    /* a released one: its number is stale, or reissued */
		if (G.h[i].held && G.h[i].h == *raw)
			return &G.h[i];
	return NULL;
}

static void check_invariants(void)
{
	struct tcp_status st;
	uint64_t d = stack_next_deadline(G.s);

	CHECK(d > G.last_poll, "next deadline %llu <= last poll %llu (now %llu)", (unsigned long long)d,
	      (unsigned long long)G.last_poll, (unsigned long long)G.now);
	for (int i = 0; i < G.nh; i++) {
		if (!G.h[i].held)
			continue;
		int r = tcp_status(G.s, G.h[i].h, &st);
		CHECK(r == 0, "tcp_status(%d) = %d for a held handle", G.h[i].h, r);
		CHECK((unsigned)st.state < TCP_NSTATES, "state %d", st.state);
		CHECK(st.rcv_queued <= TCP_RCVBUF && st.snd_queued <= TCP_SNDBUF, "queues %zu %zu",
		      st.rcv_queued, st.snd_queued);
		CHECK(st.snd_queued + st.snd_space == (G.h[i].listener ? 0 : TCP_SNDBUF),
		      "snd %zu + %zu", st.snd_queued, st.snd_space);
		CHECK(st.error <= 0 && st.soft_error <= 0, "error %d, soft error %d", st.error, st.soft_error);
		CHECK(st.laddr == US_IP, "laddr");
		CHECK(st.ooo_pieces >= 0 && st.ooo_pieces <= TCP_OOO_RANGES, "ooo pieces %d", st.ooo_pieces);
	}
	check_internal();
}

#ifdef INTERNAL_CHECKS
NOCOV static void dump_tcbs(void)
{
	for (int h = 0; h < (int)G.s->cap; h++) {
		struct tcb *t = G.s->conns[h];
		if (t && t->raddr)
			say("      tcb %d %s%s iss %u una %u nxt %u max %u data_seq %u sndq %u wnd %u cwnd %u | "
			    "irs %u rcv_nxt %u adv %u rcvq %u ooo %d | rexmt %llu persist %llu tw %llu delack %llu",
			    h, tcp_state_name(t->state), t->user_ref ? "" : " (orphan)", t->snd.iss, t->snd.una,
			    t->snd.nxt, t->snd.max, t->snd.data_seq, t->snd.q.len, t->snd.wnd, t->cc.cwnd,
			    t->rcv.irs, t->rcv.nxt, t->rcv.adv, t->rcv.q.len, t->rcv.n_ooo,
			    (unsigned long long)t->timer.rexmt, (unsigned long long)t->timer.persist,
			    (unsigned long long)t->timer.timewait, (unsigned long long)t->timer.delack);
	}
}

/* The core's own invariants (stack_check, tcp_invariant.c: it stops the program on a
 * broken one), then what only this driver knows: every byte the user wrote or the
 * peer sent accounted for, and nothing sent past SND.MAX. */
NOCOV static void check_internal(void)
{
	struct stack *s = G.s;

	if (G.verbose)
		dump_tcbs();
	stack_check(s);
	for (int h = 0; h < (int)G.s->cap; h++) {
		struct tcb *t = s->conns[h];

		if (!t || t->state == TCP_CLOSED || t->state == TCP_LISTEN)
			continue;
		for (int i = 0; i < G.nh; i++)
			if (G.h[i].held && G.h[i].h == h) {
				CHECK((uint32_t)G.h[i].sent == t->snd.data_seq - t->snd.iss - 1 + t->snd.q.len,
				      "%d: the user wrote %llu bytes, %u are acknowledged and %u queued", h,
				      (unsigned long long)G.h[i].sent, t->snd.data_seq - t->snd.iss - 1,
				      t->snd.q.len);
				if (t->state != TCP_SYN_SENT)
					CHECK((uint32_t)G.h[i].rcvd + t->rcv.q.len ==
					      t->rcv.nxt - t->rcv.irs - 1 - t->fin_rcvd, "%d: %u bytes acknowledged "
					      "to the peer, but the user read %llu and %u are queued", h,
					      t->rcv.nxt - t->rcv.irs - 1 - t->fin_rcvd,
					      (unsigned long long)G.h[i].rcvd, t->rcv.q.len);
			}
		struct tup *u = tup_find(t->raddr, t->rport, t->lport, false);
		if (u && u->have_iss && u->our_iss == t->snd.iss)
			CHECK(S_LEQ(u->our_max, t->snd.max), "%d %s: the stack sent up to %u but SND.MAX is %u",
			      h, tcp_state_name(t->state), u->our_max, t->snd.max);
	}
}
#else
static void check_internal(void) {}
#endif

static void do_poll(uint64_t now)
{
	uint64_t d;

	G.now = now;
	say("poll");
	stack_poll(G.s, G.now);
	G.last_poll = G.now;
	d = stack_next_deadline(G.s);
	CHECK(d > G.now, "after stack_poll(%llu) a deadline %llu is still due", (unsigned long long)G.now,
	      (unsigned long long)d);
}

/* Time passes by `us`; every timer fires at its own time (at most `max` polls). */
static int run_for(uint64_t us, int max)
{
	uint64_t end = G.now + us, d;
	int n = 0;

	while (n < max && (d = stack_next_deadline(G.s)) <= end) {
		do_poll(d > G.now ? d : G.now);
		check_invariants();
		n++;
	}
	if (n < max)
		G.now = end;
	return n;
}

/* ---- setup ---- */

static struct tup *peer_open(uint16_t rport, uint16_t lport, uint32_t iss)
{
	struct tup *t = tup_find(PEER_IP, rport, lport, true);

	if (!t)
		return NULL;
	t->peer_iss = t->peer_nxt = iss;
	send_seg(t, TH_SYN, iss, 0, 65535, mss_opt_1460, 4, 0);
	return t;
}

static struct tup *tup_of(int h)
{
	struct tcp_status st;

	if (tcp_status(G.s, h, &st))
		return NULL;
	return tup_find(st.raddr, st.rport, st.lport, false);
}

/* Setup byte: bit 0 listen on 1234; 1 connect to 10.0.0.1:80; 2 a peer opens a
 * connection to 1234 and it is accepted; 3 the peer answers the connect with
 * SYN,ACK; 4 the peer closes the accepted one; 5 the user closes the connect;
 * (read before: 6 the default MSL, 30 s; 7 no trace callback). */
static void setup(uint8_t b)
{
	int lh = -1, ah = -1, ph = -1;
	struct tup *t;

	if (b & 1) {
		lh = tcp_listen(G.s, G.now, 1234, 4);
		say("tcp_listen(1234) = %d", lh);
		hnd_add(lh, true);
	}
	if (b & 2) {
		ah = tcp_connect(G.s, G.now, PEER_IP, 80, 0);
		say("tcp_connect(10.0.0.1:80) = %d", ah);
		hnd_add(ah, false);
	}
	if ((b & 4) && lh >= 0) {
		t = peer_open(40000, 1234, 0xfffffff0u);
		if (t && t->have_iss) {
			send_seg(t, TH_ACK, t->peer_iss + 1, t->our_iss + 1, 65535, NULL, 0, 0);
			ph = tcp_accept(G.s, lh);
			say("tcp_accept -> %d", ph);
			hnd_add(ph, false);
		}
	}
	if ((b & 8) && ah >= 0 && (t = tup_of(ah)) && t->have_iss) {
		t->peer_iss = t->peer_nxt = 0x7ffffff0u;
		send_seg(t, TH_SYN | TH_ACK, t->peer_iss, t->our_iss + 1, 65535, mss_opt_1460, 4, 0);
	}
	if ((b & 16) && ph >= 0 && (t = tup_of(ph)))
		send_seg(t, TH_FIN | TH_ACK, t->peer_nxt, t->our_max, 65535, NULL, 0, 0);
	if ((b & 32) && ah >= 0)
		say("tcp_close(%d) = %d", ah, tcp_close(G.s, G.now, ah));
}

/* ---- commands ---- */

/* Any bytes as an IP packet (the parser's input). */
static void cmd_raw(struct in *in)
{
	static uint8_t b[1601];
	size_t len = u16(in) % 1601, avail = in->n - in->i;

	if (len > avail)
		len = avail;
	memcpy(b, in->p + in->i, len);
	in->i += len;
	if (len >= 16 && get32(b + 12) == PEER_IP)
		put32(b + 12, OTHER_IP);     /* 10.0.0.1 is the modelled peer: keep its streams clean */
	say("raw packet, %zu bytes", len);
	input(b, len);
}

/* An IPv4 header that passes validation (mostly) around fuzzed bytes. */
static void cmd_rawfix(struct in *in)
{
	static uint8_t b[60 + 1600];
	static const uint32_t srcs[16] = { OTHER_IP, OTHER_IP + 1, 0x0a000003u, 0, 0xffffffffu,
		0xe0000001u, US_IP, 0xc0a80001u, 0x0a0000ffu /* subnet broadcast */, 0x7f000001u,
		0x00010203u /* 0/8 */, 0x0a000000u, 0x0a0001ffu, 0xefffffffu, 0xf0000001u, 0x0a0000feu };
	uint8_t m = u8(in), m2 = u8(in);
	uint8_t proto = (m & 3) == 3 ? u8(in) : (m & 3) == 2 ? IPPROTO_ICMP_ : IPPROTO_TCP_;
	size_t ihl = 20 + 4 * ((m >> 2) & 3);
	size_t plen = u16(in) % 1561, avail = in->n - in->i, total;
	uint32_t src = (m & 0x20) ? srcs[m2 & 15] : OTHER_IP;

	if (plen > avail)
		plen = avail;
	memset(b, 0, ihl);
	memcpy(b + ihl, in->p + in->i, plen);
	in->i += plen;
	total = ihl + plen;
	b[0] = (uint8_t)(0x40 | ihl / 4);
	put16(b + 2, (uint16_t)total);
	if (m & 0x40)
		put16(b + 6, (uint16_t)(m2 << 5));      /* fragment bits / offset */
	b[8] = 64;
	b[9] = proto;
	put32(b + 12, src);
	put32(b + 16, (m & 0x80) && (m2 & 0x80) ? OTHER_IP : US_IP);
	if (proto == IPPROTO_TCP_ && plen >= 20) {
		put16(b + ihl + 16, 0);
		put16(b + ihl + 16, tcp_cksum(src, get32(b + 16), b + ihl, plen));
	} else if (proto == IPPROTO_ICMP_ && plen >= 4) {
		put16(b + ihl + 2, 0);
		put16(b + ihl + 2, inet_fold(inet_sum(b + ihl, plen, 0)));
	}
	if ((m & 0x90) == 0x10)
		put16(b + 2, (uint16_t)(total - (m2 & 15)));   /* total length shorter than buffer */
	put16(b + 10, inet_fold(inet_sum(b, ihl, 0)));
	say("raw-fixed packet proto %u src %08x ihl %zu payload %zu", proto, src, ihl, plen);
	input(b, total);
}

/* A segment with every field chosen: to a known 4-tuple; SEQ and ACK absolute or
 * relative to the stack's RCV.NXT and SND.MAX (offset * 1, 256, 65536 or 2^24);
 * window 65535, 0 or given; options none, MSS, or raw bytes; data of some length. */
static void cmd_seg(struct in *in)
{
	static const uint32_t scale[4] = { 1, 256, 65536, 0x1000000 };
	uint8_t ti = u8(in), flags = u8(in), sm = u8(in), am = u8(in), wm = u8(in), om = u8(in), dm = u8(in);
	struct tup *t;
	uint32_t seq, ack, dlen = 0;
	uint16_t wnd;
	uint8_t opt[40];
	size_t optlen = 0;

	if (G.nt == 0)
		return;
	t = &G.t[ti % G.nt];
	seq = (sm & 0x80) ? u32(in) : rcv_nxt_of(t) + (uint32_t)((int8_t)u8(in) * (int32_t)scale[sm & 3]);
	ack = (am & 0x80) ? u32(in) : snd_max_of(t) + (uint32_t)((int8_t)u8(in) * (int32_t)scale[am & 3]);
	wnd = (wm & 3) == 0 ? 65535 : (wm & 3) == 1 ? 0 : (wm & 3) == 2 ? t->peer_wnd : u16(in);
	switch (om & 3) {
	case 0:
		break;
	case 1:
		opt[0] = 2;
		opt[1] = 4;
		put16(opt + 2, u16(in));
		optlen = 4;
		break;
	default:
		optlen = u8(in) % 41;
		for (size_t i = 0; i < optlen; i++)
			opt[i] = u8(in);
	}
	switch (dm & 3) {
	case 0: break;
	case 1: dlen = u8(in); break;
	case 2: dlen = u16(in) % 1461; break;
	case 3: dlen = 1460; break;
	}
	send_seg(t, flags, seq, ack, wnd, opt, optlen, dlen);
}

/* The peer's SYN or SYN,ACK: MSS only, none (a & 0x40), or as Linux's: MSS,
 * SACK-permitted, timestamps, window scale 7 (a & 0x20), which then go on. */
static void peer_syn(struct tup *t, uint8_t flags, uint32_t ack, uint16_t wnd, uint8_t a)
{
	uint8_t o[20];

	t->ts = t->sack = (a & 0x20) && !(a & 0x40);
	if (!t->ts) {
		send_seg(t, flags, t->peer_iss, ack, wnd, (a & 0x40) ? NULL : mss_opt_1460,
			 (a & 0x40) ? 0 : 4, 0);
		return;
	}
	memcpy(o, linux_syn_opts, sizeof(o));
	put32(o + 8, (uint32_t)(G.now / 1000));
	put32(o + 12, (flags & TH_ACK) ? t->our_tsval : 0);
	send_seg(t, flags, t->peer_iss, ack, wnd, o, sizeof(o), 0);
}

/* A peer that mostly behaves: one well-formed step on a 4-tuple. */
static void cmd_peer(struct in *in)
{
	static const uint16_t wnds[4] = { 65535, 0, 1000, 8192 };
	uint8_t ti = u8(in), a = u8(in);
	struct tup *t;
	uint32_t seq, ack;
	uint16_t wnd = wnds[(a >> 3) & 3];

	if (G.nt == 0)
		return;
	t = &G.t[ti % G.nt];
	seq = peer_next(t);
	ack = snd_max_of(t);
	switch (a & 7) {
	case 0:                  /* ACK of everything */
		send_seg(t, TH_ACK, seq, ack, wnd, NULL, 0, 0);
		break;
	case 1:                  /* data, n bytes */
		send_seg(t, TH_ACK | TH_PSH | ((a & 0x80) ? TH_FIN : 0), seq, ack, wnd, NULL, 0,
			 (a & 0x40) ? 1460 : u8(in));
		break;
	case 2:                  /* FIN, ACK of everything */
		send_seg(t, TH_FIN | TH_ACK, seq, ack, wnd, NULL, 0, 0);
		break;
	case 3:                  /* FIN, and an ACK of all but the stack's FIN: CLOSING */
		send_seg(t, TH_FIN | TH_ACK, seq, t->fin_sent ? t->our_fin : ack, wnd, NULL, 0, 0);
		break;
	case 4:                  /* SYN,ACK of the stack's SYN (a new peer ISN unless bit 7;
	                            bit 6: no MSS; bit 5: sackOK, TS and wscale, as Linux) */
		if (!(a & 0x80))
			t->peer_iss = t->peer_nxt = 0x7ffffff0u + ((uint32_t)a << 20);
		peer_syn(t, TH_SYN | TH_ACK, t->have_iss ? t->our_iss + 1 : 0, wnd, a);
		break;
	case 5:                  /* RST at RCV.NXT: resets */
		send_seg(t, TH_RST | ((a & 0x80) ? TH_ACK : 0), seq, ack, wnd, NULL, 0, 0);
		break;
	case 6:                  /* three duplicate ACKs: fast retransmit (SACK: each shows
	                            one more segment past the first hole, RFC 6675 recovery) */
		for (uint32_t i = 0; i < 3; i++) {
			uint8_t sb[12] = { TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK, 10 };
			put32(sb + 4, t->peer_ack + 1460 * (i + 1));
			put32(sb + 8, t->peer_ack + 1460 * (i + 2));
			send_seg(t, TH_ACK, seq, t->peer_ack, t->peer_wnd, t->sack ? sb : NULL,
				 t->sack ? 12 : 0, 0);
		}
		break;
	case 7:                  /* a SYN without ACK (simultaneous open, or a SYN in a synchronized
	                            state; bit 5: Linux's options) */
		if (!(a & 0x80))
			t->peer_iss = t->peer_nxt = 0x7ffffff0u + ((uint32_t)a << 20);
		peer_syn(t, TH_SYN, 0, wnd, a & ~0x40);
		break;
	}
}

static void cmd_time(struct in *in)
{
	uint8_t m = u8(in);
	uint64_t now = G.now, d;

	switch (m & 3) {
	case 0: now += (uint64_t)u8(in) * 1000; break;
	case 1: now += (uint64_t)u16(in) * 1000; break;
	case 2: d = stack_next_deadline(G.s); if (d != UINT64_MAX && d > now) now = d; break;
	case 3: now += u8(in); break;
	}
	if (now > (1ull << 50))
		now = 1ull << 50;
	if (m & 4) {          /* time passes, no poll: the next call runs with timers overdue */
		G.now = now;
		say("clock -> %llu (no poll)", (unsigned long long)now);
		return;
	}
	do_poll(now);
}

/* Time passes, every timer firing at its own time: ms, up to 64 timer events. */
static void cmd_run(struct in *in)
{
	uint16_t ms = u16(in);

	say("run %u ms", ms);
	run_for((uint64_t)ms * 1000, 64);
}

static void check_rx(struct hnd *x, const uint8_t *p, ssize_t n)
{
	struct tcp_status st;

	if (tcp_status(G.s, x->h, &st) || st.raddr != PEER_IP)
		return;      /* only the modelled peer's streams follow the pattern */
	for (ssize_t i = 0; i < n; i++) {
		if (x->have_last)
			CHECK(p[i] == (uint8_t)(x->last_rx + 1), "received byte %zd is %02x, expected %02x "
			      "(stream corrupted/reordered)", i, p[i], (uint8_t)(x->last_rx + 1));
		x->last_rx = p[i];
		x->have_last = true;
	}
}

static void cmd_user(struct in *in, int op)
{
	int raw;
	struct hnd *x = pick(in, &raw);
	uint8_t m = u8(in);
	size_t len;
	ssize_t r;

	switch (op) {
	case OP_SEND:
		len = (m & 3) == 0 ? u8(in) : (m & 3) == 1 ? u16(in) : (m & 3) == 2 ? 0 : 300000;
		r = tcp_send(G.s, G.now, raw, txbuf + (x ? x->sent % 65536 : 0), len);
		say("tcp_send(%d, %zu) = %zd", raw, len, r);
		CHECK(r <= (ssize_t)len, "send returned %zd > %zu", r, len);
		if (r > 0 && x)
			x->sent += (uint64_t)r;
		break;
	case OP_RECV:
		len = (m & 3) == 0 ? u8(in) : (m & 3) == 1 ? u16(in) % sizeof recvbuf : (m & 3) == 2 ? 0 :
		      sizeof recvbuf;
		r = tcp_recv(G.s, G.now, raw, recvbuf, len);
		say("tcp_recv(%d, %zu) = %zd", raw, len, r);
		CHECK(r <= (ssize_t)len, "recv returned %zd > %zu", r, len);
		if (r > 0 && x) {
			check_rx(x, recvbuf, r);
			x->rcvd += (uint64_t)r;
		}
		break;
	case OP_CLOSE:
		r = tcp_close(G.s, G.now, raw);
		say("tcp_close(%d) = %zd", raw, r);
		break;
	case OP_SHUTDOWN:
		r = tcp_shutdown(G.s, G.now, raw);
		say("tcp_shutdown(%d) = %zd", raw, r);
		break;
	case OP_ABORT:
		r = tcp_abort(G.s, G.now, raw);
		say("tcp_abort(%d) = %zd", raw, r);
		break;
	case OP_RELEASE:
		say("tcp_release(%d)", raw);
		tcp_release(G.s, G.now, raw);
		hnd_forget(raw);
		break;
	case OP_ACCEPT:
		r = tcp_accept(G.s, raw);
		say("tcp_accept(%d) = %zd", raw, r);
		if (r >= 0)
			hnd_add((int)r, false);
		break;
	case OP_SOCKERR:          /* SO_ERROR: the error, else the soft one; each read once */
		r = tcp_sock_error(G.s, raw);
		say("tcp_sock_error(%d) = %zd", raw, r);
		CHECK(r <= 0, "tcp_sock_error returned %zd", r);
		if (m & 1) {
			int r2 = tcp_sock_error(G.s, raw), r3 = tcp_sock_error(G.s, raw);
			CHECK(r3 == (r == -EBADF ? -EBADF : 0) && r2 <= 0, "tcp_sock_error: %zd, %d, then %d",
			      r, r2, r3);
		}
		break;
	}
}

static void cmd_connect(struct in *in)
{
	uint8_t m = u8(in);
	uint16_t rport = (m & 1) ? u16(in) : 80;
	uint16_t lport = (m & 6) == 0 ? 0 : (m & 6) == 2 ? 1234 : (m & 6) == 4 ? 40000 : u16(in);
	uint32_t raddr = (m & 8) ? 0 : PEER_IP;
	int h = tcp_connect(G.s, G.now, raddr, rport, lport);

	say("tcp_connect(%08x:%u, lport %u) = %d", raddr, rport, lport, h);
	hnd_add(h, false);
}

static void cmd_listen(struct in *in)
{
	uint8_t m = u8(in);
	uint16_t port = (m & 3) == 0 ? 1234 : (m & 3) == 1 ? 80 : (m & 3) == 2 ? 0 : u16(in);
	int h = tcp_listen(G.s, G.now, port, (int8_t)u8(in));

	say("tcp_listen(%u) = %d", port, h);
	hnd_add(h, true);
}

/* The peer opens a connection from port 40000+0..7 (and may complete it). */
static void cmd_syn(struct in *in)
{
	uint8_t m = u8(in);
	uint16_t rport = (uint16_t)(40000 + (m & 7));
	uint16_t lport = (m & 8) ? u16(in) : 1234;
	uint32_t iss = (m & 16) ? u32(in) : 0xfffffff0u - m;
	struct tup *t = tup_find(PEER_IP, rport, lport, true);

	if (!t)
		return;
	t->peer_iss = t->peer_nxt = iss;
	t->have_ack = false;
	if (m & 32)
		send_seg(t, TH_SYN, iss, 0, (m & 64) ? 0 : 65535, NULL, 0, 0);
	else
		send_seg(t, TH_SYN, iss, 0, 65535, mss_opt_1460, 4, 0);
	if ((m & 128) && t->have_iss)    /* and complete the handshake */
		send_seg(t, TH_ACK, iss + 1, t->our_iss + 1, 65535, NULL, 0, 0);
}

/* The peer streams `n` full in-order segments (fills the receive window: trimming,
 * zero window, window updates after reads), maybe a FIN with the last. */
static void cmd_bulk(struct in *in)
{
	uint8_t ti = u8(in), m = u8(in);
	int n = m & 63;
	struct tup *t;

	if (G.nt == 0)
		return;
	t = &G.t[ti % G.nt];
	say("bulk: %d segments%s%s", n, (m & 64) ? " then FIN" : "", (n & 1) ? ", one burst" : "");
	if (n & 1)                      /* odd counts come as one burst (cfg.ack_burst is on) */
		stack_burst_begin(G.s);
	for (int i = 0; i < n; i++)
		send_seg(t, TH_ACK | ((m & 64) && i == n - 1 ? TH_FIN : 0), peer_next(t), snd_max_of(t),
			 (m & 128) ? 0 : 65535, NULL, 0, 1460);
	if (n & 1) {
		stack_burst_end(G.s, G.now);
		check_invariants();
	}
}

/* A SYN flood from 10.0.0.9 (source ports counting up): 1 to 253 SYNs to a port,
 * each SYN,ACK (or cookie) maybe completed by its ACK, maybe with data. The
 * half-open and accept queues fill, SYN cookies take over, the TCB table fills. */
static void cmd_flood(struct in *in)
{
	uint8_t m = u8(in);
	uint16_t lport = (m & 3) == 0 ? 1234 : (m & 3) == 1 ? 80 : (m & 3) == 2 ? 40000 : u16(in);
	int n = 1 + 4 * (u8(in) & 63);
	struct tup t = { .raddr = OTHER_IP, .lport = lport, .peer_wnd = 65535 };

	say("flood: %d SYNs to port %u%s", n, lport, (m & 4) ? ", each completed" : "");
	for (int k = 0; k < n; k++) {
		t.rport = (uint16_t)(1024 + G.flood_port++ % 60000);
		t.peer_iss = 0x55555555u + (uint32_t)k * 7919u;
		G.synack_seen = false;
		send_seg(&t, TH_SYN, t.peer_iss, 0, 65535, (m & 8) ? NULL : mss_opt_1460, (m & 8) ? 0 : 4, 0);
		if ((m & 4) && G.synack_seen && G.synack_dport == t.rport)
			send_seg(&t, TH_ACK | ((m & 16) ? TH_PSH : 0), t.peer_iss + 1, G.synack_seq + 1, 65535,
				 NULL, 0, (m & 16) ? 10 : 0);
	}
}

/* ---- ICMP ---- */

/* The stack's SND.UNA as the peer knows it: its last ACK, if that acknowledged
 * something of this incarnation; else the ISS. */
static uint32_t una_of(const struct tup *t)
{
	return S_GT(t->peer_ack, t->our_iss) && S_LEQ(t->peer_ack, t->our_max) ? t->peer_ack : t->our_iss;
}

/* The SEQ an ICMP error quotes: the oldest byte in flight, the newest, a random one
 * between (RFC 5927: taken), SND.MAX or SND.UNA - 1 (just outside: dropped), the
 * SYN, any number; bit 3: off by a small amount. */
static uint32_t icmp_seq(const struct tup *t, uint8_t sm, struct in *in)
{
	uint32_t una = una_of(t), max = t->our_max, seq = 0, r;

	switch (sm & 7) {
	case 0: seq = una; break;
	case 1: seq = max - 1; break;
	case 2: seq = max; break;
	case 3: seq = una - 1; break;
	case 4: r = u16(in); seq = una + (S_GT(max, una) ? r % (max - una) : 0); break;
	case 5: seq = t->our_iss; break;
	case 6: seq = u32(in); break;
	case 7: seq = max + (uint32_t)(int32_t)(int8_t)u8(in) * 256u; break;
	}
	if (sm & 8)
		seq += (uint32_t)(int32_t)(int8_t)u8(in);
	return seq;
}

/* The type and code of an ICMP message, from k's low 5 bits (the high 3 give the
 * codes of time exceeded, parameter problem and echo): destination unreachable with
 * any code 0..16 (and more weight for "fragmentation needed", port and host
 * unreachable), time exceeded, parameter problem, source quench, redirect, echo
 * request (code 0 or 1: answered only with 0), anything. */
static void icmp_kind(uint8_t k, struct in *in, uint8_t *type, uint8_t *code)
{
	static const uint8_t more[8] = { 4, 4, 4, 3, 3, 1, 17, 18 };   /* 24..31 */
	uint8_t c = k & 31;

	if (c >= 24)
		c = more[c - 24];
	*type = ICMP_UNREACH;
	*code = c;
	switch (c) {
	case 17: *type = ICMP_TIME_EXCEEDED; *code = k >> 7; break;
	case 18: *type = ICMP_PARAM_PROBLEM; *code = ((k >> 5) & 3) % 3; break;
	case 19: *type = ICMP_QUENCH; *code = 0; break;
	case 20:                                         /* redirect (host), or an echo request */
		*type = (k & 0x80) ? ICMP_ECHO_REQUEST : 5;
		*code = (k & 0x80) ? (k >> 6) & 1 : 1;
		break;
	case 21: *code = ICMP_UNREACH_NEEDFRAG; break;
	case 22: *code = ICMP_UNREACH_PORT; break;
	case 23: *type = u8(in); *code = u8(in); break;
	default: break;                                  /* 0..16: unreachable, that code */
	}
}

#ifdef INTERNAL_CHECKS
/* What a connection was before an ICMP error, to see what the error did. */
struct tcb_view { bool have, ts; enum tcp_state state; bool passive; uint16_t mss; int soft, err;
		  uint32_t una, nxt, max; };

static struct tcb_view tcb_view(const struct tup *t)
{
	const struct tcb *c = tcb_lookup(G.s, t->raddr, t->rport, t->lport);
	struct tcb_view v = { .have = c != NULL };

	if (c) {
		v.state = c->state; v.passive = c->passive; v.mss = c->snd.mss; v.soft = c->soft_error;
		v.ts = c->ts.ok;
		v.err = c->error; v.una = c->snd.una; v.nxt = c->snd.nxt; v.max = c->snd.max;
	}
	return v;
}

static bool synchronized(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2 ||
	       st == TCP_CLOSE_WAIT || st == TCP_CLOSING || st == TCP_LAST_ACK || st == TCP_TIME_WAIT;
}

/* RFC 5927 4.1, RFC 9293 3.9.2.2 MUST-56, RFC 1191: what an ICMP error may do.
 * valid: well-formed, for TCP, about us, from a source that is not bogus, of a type
 * and code a connection reads; mtu: the next-hop MTU it says (for code 4). */
static void check_icmp_effect(const struct tup *t, const struct tcb_view *b, bool valid,
			      uint8_t type, uint8_t code, uint32_t seq, uint16_t mtu)
{
	struct tcb_view a = tcb_view(t);
	bool taken = valid && b->have && b->state != TCP_CLOSED && b->state != TCP_LISTEN &&
		     S_GEQ(seq, b->una) && S_GT(b->max, seq);

	if (!b->have)
		return;
	if (!taken) {
		CHECK(a.have && a.state == b->state && a.mss == b->mss && a.soft == b->soft && a.err == b->err &&
		      a.nxt == b->nxt, "an ICMP error (type %u code %u, SEQ %u, SND.UNA %u SND.MAX %u%s) "
		      "changed the connection: %s -> %s, SMSS %u -> %u, soft error %d -> %d",
		      type, code, seq, b->una, b->max, valid ? "" : ", malformed", tcp_state_name(b->state),
		      a.have ? tcp_state_name(a.state) : "freed", b->mss, a.mss, b->soft, a.soft);
		return;
	}
	if (type == ICMP_UNREACH && code == ICMP_UNREACH_NEEDFRAG) {
		uint32_t m = (mtu < MIN_MTU ? MIN_MTU : mtu) - (b->ts ? TCP_TS_OPT_LEN : 0);
		CHECK(a.have && a.state == b->state, "fragmentation needed changed the state");
		CHECK(a.mss <= b->mss && a.mss >= MIN_MTU - 40 - (b->ts ? TCP_TS_OPT_LEN : 0),
		      "fragmentation needed (mtu %u): "
		      "SMSS %u -> %u", mtu, b->mss, a.mss);
		CHECK(!mtu || a.mss == (m - 40 < b->mss ? m - 40 : b->mss), "fragmentation needed (mtu %u): "
		      "SMSS %u -> %u", mtu, b->mss, a.mss);
	} else if (synchronized(b->state)) {
		CHECK(a.have && a.state == b->state, "an ICMP error (type %u code %u) in %s: %s "
		      "(MUST-56: a soft error)", type, code, tcp_state_name(b->state),
		      a.have ? tcp_state_name(a.state) : "freed");
	} else if (b->state == TCP_SYN_SENT || (b->state == TCP_SYN_RECEIVED && !b->passive)) {
		CHECK(!a.have || a.state == TCP_CLOSED, "an ICMP error (type %u code %u) in %s left it %s",
		      type, code, tcp_state_name(b->state), tcp_state_name(a.state));
	}
}
#endif

/* An ICMP error from the peer or a router, quoting a segment of tuple t built
 * from its real numbers. Operands: tuple, kind (icmp_kind), how SEQ is chosen
 * (icmp_seq; bits 4-6 the sender, 7 the quoted total length given), next-hop MTU
 * (one of a few, or given), form: bits 0-2 a quote that is well-formed (0-2), with
 * IP options (3), IHL below 5 (4), shorter than IHL + 8 (5), not from us (6), not
 * TCP (7); bit 3 the whole TCP header and data quoted (RFC 1812); bits 4-5 the
 * form's detail; bit 6 IP options outside; bit 7 a wrong ICMP checksum. */
static void cmd_icmp(struct in *in)
{
	static const uint32_t senders[8] = { PEER_IP, ROUTER_IP, GW_IP, OTHER_IP, PEER_IP, ROUTER_IP,
		0x0a0000ffu /* subnet broadcast */, 0xe0000001u /* multicast */ };
	static const uint16_t mtus[10] = { 0, 67, 68, 69, 296, 576, 1000, 1280, 1500, 65535 };
	static uint8_t b[24 + 8 + 60 + 32];
	struct tup fake = { .raddr = PEER_IP, .rport = 80, .lport = TCP_EPHEMERAL_LO }, *t;
	uint8_t ti = u8(in), k = u8(in), sm = u8(in), mb = u8(in), f = u8(in), type, code, form = f & 7;
	uint16_t mtu = mb < 0xf0 ? mtus[mb % 10] : u16(in);
	uint16_t tot = (sm & 0x80) ? u16(in) : G.mtu;
	uint32_t src = senders[(sm >> 4) & 7], seq;
	size_t oihl = (f & 0x40) ? 24 : 20, qihl = form == 3 ? 24 + 4 * ((f >> 4) & 3) : 20, qlen;
	uint8_t *ic = b + oihl, *q = ic + 8;

	t = G.nt ? &G.t[ti % G.nt] : &fake;
	icmp_kind(k, in, &type, &code);
	seq = icmp_seq(t, sm, in);
	memset(b, 0, sizeof b);
	q[0] = (uint8_t)(0x40 | qihl / 4);           /* the segment we sent, as IP carried it */
	put16(q + 2, tot);
	put16(q + 6, 0x4000);
	q[8] = 64;
	q[9] = IPPROTO_TCP_;
	put32(q + 12, US_IP);
	put32(q + 16, t->raddr);
	put16(q + qihl, t->lport);
	put16(q + qihl + 2, t->rport);
	put32(q + qihl + 4, seq);
	put32(q + qihl + 8, t->our_ack);
	q[qihl + 12] = 5 << 4;
	q[qihl + 13] = TH_ACK | TH_PSH;
	put16(q + qihl + 14, 65535);
	for (int i = 0; i < 12; i++)
		q[qihl + 20 + i] = (uint8_t)(seq + i - t->our_iss - 1);
	qlen = qihl + ((f & 8) ? 32 : 8);
	switch (form) {
	case 4: q[0] = (uint8_t)(0x40 | (((f >> 4) & 3) + !!(f & 8))); break;   /* IHL 0..4 */
	case 5: qlen = u8(in) % (qihl + 8); break;
	case 6:
		if (f & 0x10)
			q[0] = 0x65;                          /* IPv6 */
		else
			put32(q + 12, (f & 0x20) ? PEER_IP : OTHER_IP);
		break;
	case 7: q[9] = (f & 0x30) == 0 ? 17 : (f & 0x30) == 0x10 ? IPPROTO_ICMP_ : u8(in); break;
	default: break;                                /* 0-3: well-formed */
	}
	put16(q + 10, inet_fold(inet_sum(q, qihl, 0)));
	ic[0] = type;
	ic[1] = code;
	put16(ic + 6, mtu);
	put16(ic + 2, inet_fold(inet_sum(ic, 8 + qlen, 0)) ^ ((f & 0x80) ? 0x0101 : 0));
	b[0] = (uint8_t)(0x40 | oihl / 4);
	put16(b + 2, (uint16_t)(oihl + 8 + qlen));
	b[8] = 64;
	b[9] = IPPROTO_ICMP_;
	put32(b + 12, src);
	put32(b + 16, US_IP);
	put16(b + 10, inet_fold(inet_sum(b, oihl, 0)));
	say("ICMP type %u code %u from %08x quoting :%u > %08x:%u seq %u (una %u max %u) mtu %u form %u%s",
	    type, code, src, t->lport, t->raddr, t->rport, seq, una_of(t), t->our_max, mtu, form,
	    (f & 0x80) ? " bad checksum" : "");
#ifdef INTERNAL_CHECKS
	struct tcb_view before = tcb_view(t);
	bool valid = form <= 3 && !(f & 0x80) && !src_bogus(src) &&
		     ((type == ICMP_UNREACH && code < 16) || type == ICMP_TIME_EXCEEDED ||
		      type == ICMP_PARAM_PROBLEM);
	input(b, oihl + 8 + qlen);
	check_icmp_effect(t, &before, valid, type, code, seq, mtu);
#else
	input(b, oihl + 8 + qlen);
#endif
}

/* Datagrams of a protocol the stack does not speak (UDP, SCTP or any number): 1 to
 * 16 from one source (or two taking turns), some time apart: protocol unreachable
 * and its rate limit. m: protocol (bits 0-1), source (2-5), IP options (6-7);
 * c: count (0-3), length (4-6, or given if 7); g: gap (0-2), two sources (3), a
 * fragment (4), link padding past the total length (5), a random source in 10/16
 * each time (6), a destination not ours (7). */
static void cmd_proto(struct in *in)
{
	static const uint32_t srcs[16] = { PEER_IP, 0xac100001u /* 172.16.0.1: hashes as 10.0.0.1 */,
		OTHER_IP, ROUTER_IP, 0x0a00000au /* hashes as 192.0.2.1 */, 0x0a000003u, GW_IP, PEER_IP,
		/* bogus: never answered */ 0x0a0000ffu, 0xffffffffu, 0xe0000001u, 0x7f000001u, 0, US_IP,
		0x00010203u, 0xefffffffu };
	static const uint32_t gaps_us[8] = { 0, 0, 1000, 100000, 999000, 1000000, 1001000, 3000000 };
	static const uint16_t lens[7] = { 0, 1, 7, 8, 9, 20, 100 };
	static const uint32_t dsts[4] = { 0x0a0000ffu, 0xffffffffu, 0xe0000001u, OTHER_IP };
	static uint8_t b[60 + 1500 + 8];
	uint8_t m = u8(in), c = u8(in), g = u8(in);
	uint8_t proto = (m & 3) == 3 ? u8(in) : (m & 3) == 2 ? 132 : 17;
	uint16_t rnd = (g & 0x40) ? u16(in) : 0;
	size_t ihl = (m >> 6) == 0 ? 20 : (m >> 6) == 1 ? 24 : (m >> 6) == 2 ? 40 : 60;
	size_t plen = (c & 0x70) == 0x70 ? u16(in) % 1501 : lens[(c >> 4) & 7];
	size_t pad = (g & 0x20) ? 8 : 0;
	int n = 1 + (c & 15);

	say("%d datagrams of protocol %u, %zu bytes", n, proto, plen);
	for (int i = 0; i < n; i++) {
		uint32_t src = srcs[(((m >> 2) & 15) + ((g & 8) ? (unsigned)i % 2 : 0)) % 16];
		if (g & 0x40)
			src = 0x0a000000u | (uint16_t)(rnd + i * 7919);
		memset(b, 0, ihl);
		b[0] = (uint8_t)(0x40 | ihl / 4);
		put16(b + 2, (uint16_t)(ihl + plen));
		put16(b + 4, (uint16_t)i);
		if (g & 0x10)
			put16(b + 6, 0x2000);                  /* MF: a fragment, never answered */
		b[8] = 64;
		b[9] = proto;
		put32(b + 12, src);
		put32(b + 16, (g & 0x80) ? dsts[i % 4] : US_IP);
		for (size_t j = 0; j < plen + pad; j++)
			b[ihl + j] = (uint8_t)(j * 31 + i);
		put16(b + 10, inet_fold(inet_sum(b, ihl, 0)));
		say("protocol %u datagram from %08x", proto, src);
		input(b, ihl + plen + pad);
		if (gaps_us[g & 7])
			run_for(gaps_us[g & 7], 64);
		check_invariants();
	}
}

/* The end of every input: the user lets go of everything, the peer says nothing
 * more. Every TCB must be gone within a day of virtual time, in a bounded number
 * of timer events (no connection lives forever, no timer fires in a loop). */
static void drain(void)
{
	struct tcp_status st;
	uint64_t drops = 0;
	int polls;

	CHECK(stack_stat(G.s, STAT_IP_IN) == G.pkts_in && stack_stat(G.s, STAT_IP_OUT) == G.pkts_out,
	      "counters: %llu packets in and %llu out, the stack says %llu and %llu",
	      (unsigned long long)G.pkts_in, (unsigned long long)G.pkts_out,
	      (unsigned long long)stack_stat(G.s, STAT_IP_IN), (unsigned long long)stack_stat(G.s, STAT_IP_OUT));
	for (int i = STAT_DROP_FIRST; i < STAT_COUNT; i++)
		drops += stack_stat(G.s, (enum stat_id)i);
	CHECK(drops <= G.pkts_in, "%llu drops counted for %llu packets", (unsigned long long)drops,
	      (unsigned long long)G.pkts_in);
	for (int i = -1; i <= STAT_COUNT; i++)
		CHECK(stat_name((enum stat_id)i) && stack_stat(G.s, (enum stat_id)i) <= G.pkts_in + G.pkts_out + 1000000,
		      "stat %d", i);
	CHECK(tcp_state_name((enum tcp_state)-1) && tcp_state_name(TCP_NSTATES), "state names");
	CHECK(tcp_status(G.s, -1, &st) == -EBADF && tcp_status(G.s, STACK_MAX_CONNS, &st) == -EBADF,
	      "tcp_status on a bogus handle");
	CHECK(stack_addr(G.s) == US_IP && tcp_closing_count(G.s) >= 0, "stack_addr, tcp_closing_count");
	for (int i = 0; i < G.nh; i++)
		if (G.h[i].held) {
			say("tcp_release(%d) (end of input)", G.h[i].h);
			tcp_release(G.s, G.now, G.h[i].h);
			G.h[i].held = false;
		}
	check_invariants();
	polls = run_for(24ull * 3600 * 1000000, 100000);
	CHECK(polls < 100000, "liveness: 100000 timer events and the stack is still busy");
#ifdef INTERNAL_CHECKS
	for (int h = 0; h < (int)G.s->cap; h++) {
		const struct tcb *t = G.s->conns[h];
		CHECK(!t, "liveness: a day after the user released everything, TCB %d lives on in %s "
		      "(orphan, the peer silent)", h, tcp_state_name(t->state));
	}
#endif
	CHECK(stack_next_deadline(G.s) == UINT64_MAX, "a timer is still armed after everything closed");
	CHECK(tcp_closing_count(G.s) == 0, "closing count %d with nothing left", tcp_closing_count(G.s));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void print_stats(void)
{
	static const enum tcp_state order[] = { TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECEIVED,
		TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
		TCP_TIME_WAIT };
	bool seen[TCP_NSTATES] = { false };

	fprintf(stderr, "fuzz_stack: %lu inputs; state transitions taken (count of events):\n", G.inputs);
	for (int f = 0; f < TCP_NSTATES; f++)
		for (int t = 0; t < TCP_NSTATES; t++)
			if (G.trans[f][t]) {
				fprintf(stderr, "  %-12s -> %-12s %lu\n", tcp_state_name((enum tcp_state)f),
					tcp_state_name((enum tcp_state)t), G.trans[f][t]);
				seen[t] = true;
			}
	fprintf(stderr, "states entered:");
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		fprintf(stderr, " %s%s", tcp_state_name(order[i]), seen[order[i]] ? "" : "(NEVER)");
	fputc('\n', stderr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	G.verbose = getenv("FUZZ_VERBOSE") != NULL;
#ifndef FUZZ_STANDALONE
	G.stats = getenv("FUZZ_STATS") != NULL;    /* (standalone: one child per input) */
#endif
	G.tbuf = malloc(512);
	stack_free(NULL);
	for (size_t k = 0; k < sizeof txbuf; k++)
		txbuf[k] = tx_pat(k);
	if (G.stats)
		atexit(print_stats);
	return 0;
}

/* Second setup byte: the stack's configuration. */
static void configure(uint8_t c, struct stack_config *cfg)
{
	static const uint16_t mtus[4] = { 1500, 576, 0 /* the default */, 88 };

	cfg->no_delayed_ack = c & 1;
	cfg->no_nagle = (c >> 1) & 1;
	cfg->mtu = mtus[(c >> 2) & 3];
	cfg->no_syncookies = (c >> 4) & 1;
	cfg->abort_on_overflow = (c >> 5) & 1;
	G.small_cap = (c >> 6) & 1;
	if (c & 128) {
		cfg->fixed_isn = 1;
		cfg->isn = 0xffffff00u;
	}
}

/* SACK and timestamps are on (the default) but with tiny buffers and delayed ACKs
 * off (no SACK) or Nagle off (no timestamps): the configuration byte is full. */
static void configure_modern(uint8_t c, struct stack_config *cfg)
{
	cfg->no_sack = (c & 0x41) == 0x41;
	cfg->no_timestamps = (c & 0x42) == 0x42;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	uint8_t sb = u8(&in), cb = u8(&in);
	struct stack_config cfg = { .addr = US_IP, .prefix = 24, .msl_ms = MSL_MS, .ack_burst = 1 };
	struct stack_env env = { .ctx = NULL, .emit = fz_emit, .rand = fz_rand, .trace = fz_trace };

	memset(G.t, 0, sizeof G.t);
	memset(G.h, 0, sizeof G.h);
	G.nt = G.nh = 0;
	G.nev = 0;
	G.inputs++;
	G.rng = 0x9e3779b9u ^ sb ^ (uint32_t)cb << 8;
	G.now = G.last_poll = 1000000;
	configure(cb, &cfg);
	configure_modern(cb, &cfg);
	if (sb & 64)
		cfg.msl_ms = 0;             /* the default: TIME-WAIT lasts 60 s */
	if (sb & 128)
		env.trace = NULL;           /* nobody listens */
	G.msl_ms = cfg.msl_ms ? cfg.msl_ms : TCP_DEFAULT_MSL_MS;
	G.pkts_in = G.pkts_out = 0;
	G.flood_port = 0;
	memset(G.rate, 0, sizeof G.rate);
	G.nrate = 0;
	G.mtu = cfg.mtu ? cfg.mtu : STACK_MTU;
	G.s = stack_new(&cfg, &env);
	setup(sb);
	check_invariants();
	for (int steps = 0; in.i < in.n && steps < MAX_STEPS; steps++) {
		uint8_t op = u8(&in) % OP_COUNT;
		switch (op) {
		case OP_RAW: cmd_raw(&in); break;
		case OP_RAWFIX: cmd_rawfix(&in); break;
		case OP_SEG: cmd_seg(&in); break;
		case OP_TIME: cmd_time(&in); break;
		case OP_SEND: case OP_RECV: case OP_CLOSE: case OP_SHUTDOWN: case OP_ABORT:
		case OP_RELEASE: case OP_ACCEPT: case OP_SOCKERR: cmd_user(&in, op); break;
		case OP_CONNECT: cmd_connect(&in); break;
		case OP_LISTEN: cmd_listen(&in); break;
		case OP_SYN: cmd_syn(&in); break;
		case OP_BULK: cmd_bulk(&in); break;
		case OP_PEER: cmd_peer(&in); break;
		case OP_RUN: cmd_run(&in); break;
		case OP_FLOOD: cmd_flood(&in); break;
		case OP_ICMP: cmd_icmp(&in); break;
		case OP_PROTO: cmd_proto(&in); break;
		}
		check_invariants();
	}
	drain();
	say("stack_free");
	stack_free(G.s);
	G.s = NULL;
	return 0;
}

#ifdef FUZZ_STANDALONE
/* Replay files (or every file in directories) without libFuzzer: for a coverage
 * build, or a compiler without -fsanitize=fuzzer. Each input runs in a child of
 * its own, so one that fails is listed and the others still run (and a coverage
 * build still counts them: LLVM_PROFILE_FILE=...%m.profraw merges the children). */
static int failed;

static void replay(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;
	pid_t pid;
	int st;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		failed++;
		return;
	}
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		LLVMFuzzerTestOneInput(buf, n);
		exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "fuzz_stack: FAILED: %s\n", path);
		failed++;
	}
}

int main(int argc, char **argv)
{
	int files = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat stt;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &stt) == 0 && S_ISDIR(stt.st_mode) && (d = opendir(argv[i]))) {
			while ((e = readdir(d))) {
				char p[4096];
				if (e->d_name[0] == '.')
					continue;
				snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
				replay(p);
				files++;
			}
			closedir(d);
		} else {
			replay(argv[i]);
			files++;
		}
	}
	fprintf(stderr, "fuzz_stack: replayed %d inputs, %d failed\n", files, failed);
	return failed != 0;
}
#endif

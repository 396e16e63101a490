/* fuzz_stack.c - libFuzzer driver for tuntcp's core (stack/ *.c). A first version,
 * kept for issue 4 (which makes it `make fuzz` with a seed corpus).
 *
 * Build:  clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *             -DINTERNAL_CHECKS -Istack tests/fuzz/fuzz_stack.c stack/ *.c -o fuzz_stack
 * Decode an input:  FUZZ_VERBOSE=1 ./fuzz_stack crash-file
 *
 * Input = 1 setup byte, then commands (one opcode byte + operands; reads past the
 * end give 0). The driver plays the peer 10.0.0.1 (and 10.0.0.9 for "raw-fixed"
 * packets), keeps a model of every 4-tuple it has seen the stack use, and checks
 * invariants after every command (abort() on violation). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define MAXT 24
#define MAXH 32
#ifndef SEQ_GT
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#endif

struct in { const uint8_t *p; size_t n, i; };
static uint8_t u8(struct in *in) { return in->i < in->n ? in->p[in->i++] : 0; }
static uint16_t u16(struct in *in) { uint16_t a = u8(in); return (uint16_t)(a << 8 | u8(in)); }
static uint32_t u32(struct in *in) { uint32_t a = u16(in); return a << 16 | u16(in); }

struct tup {
	uint32_t raddr; uint16_t rport, lport;
	uint32_t peer_iss, peer_nxt;      /* what the peer (this driver) sent */
	int have_ack; uint32_t our_ack;   /* last ACK the stack sent: its RCV.NXT */
	int have_iss; uint32_t our_iss, our_max;
};
struct hnd { int h; int held; int listener; uint64_t sent; int have_last; uint8_t last_rx; };

static struct {
	struct stack *s;
	uint64_t now, last_poll;
	uint32_t rng;
	struct tup t[MAXT]; int nt;
	struct hnd h[MAXH]; int nh;
	int verbose, small_cap;
	uint64_t stack_now;            /* the last `now` the stack was given */
	unsigned long nev;
	char *tbuf;                       /* 512 bytes, formatter output goes at its end */
} G;

static uint8_t sendbuf[300000], recvbuf[70000];
static void check_internal(void);

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

static uint8_t tx_pat(uint64_t k) { return (uint8_t)(k + (k >> 8) * 7); }

static struct tup *tup_find(uint32_t raddr, uint16_t rport, uint16_t lport, int create)
{
	for (int i = 0; i < G.nt; i++)
		if (G.t[i].raddr == raddr && G.t[i].rport == rport && G.t[i].lport == lport)
			return &G.t[i];
	if (!create || G.nt == MAXT)
		return NULL;
	struct tup *t = &G.t[G.nt++];
	memset(t, 0, sizeof(*t));
	t->raddr = raddr; t->rport = rport; t->lport = lport;
	t->peer_iss = t->peer_nxt = 0x10000000u * (uint32_t)G.nt - 7;
	return t;
}

/* ---- env ---- */
static void fz_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ip_pkt ip;
	struct seg sg;
	(void)ctx;
	CHECK(ip_parse(&ip, pkt, len) == 0, "stack emitted an invalid IPv4 packet (len %zu)", len);
	CHECK(ip.src == US_IP, "emitted src %08x", ip.src);
	if (ip.proto != IPPROTO_TCP_)
		return;
	CHECK(len <= 1500, "emitted TCP packet of %zu bytes > MTU", len);
	CHECK(tcp_parse(&sg, &ip) == 0, "emitted TCP segment does not parse/checksum");
	CHECK(!((sg.flags & TH_SYN) && (sg.flags & (TH_RST | TH_FIN))), "flags %02x", sg.flags);
	if (sg.flags & TH_RST)
		return;
	struct tup *t = tup_find(sg.dst, sg.dport, sg.sport, 1);
	if (!t)
		return;
	uint32_t end = sg.seq + seg_len(&sg);
	if (sg.flags & TH_SYN) {
		if (!t->have_iss || t->our_iss != sg.seq) {
			t->have_iss = 1;
			t->our_iss = sg.seq;
			t->our_max = end;
		}
	}
	if (t->have_iss && SEQ_GT(end, t->our_max))
		t->our_max = end;
	if (sg.flags & TH_ACK) {
		t->have_ack = 1;
		t->our_ack = sg.ack;
	}
	if (sg.dlen && t->have_iss)
		for (uint32_t i = 0; i < sg.dlen; i++) {
			uint32_t k = sg.seq + i - t->our_iss - 1;
			CHECK(sg.data[i] == tx_pat(k), "emitted data byte at seq %u (stream offset %u) is %02x, user wrote %02x",
			      sg.seq + i, k, sg.data[i], tx_pat(k));
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
	cap = G.small_cap ? 1 + G.nev % 64 : 512;
	r = trace_format(ev, end - cap, cap);
	CHECK(r < cap && strlen(end - cap) == r, "trace_format returned %zu, strlen %zu, cap %zu", r,
	      strlen(end - cap), cap);
	if (G.verbose && ev->kind != TRACE_USER) {
		char line[512];
		trace_format(ev, line, sizeof line);
		say("    %s %s", ev->kind == TRACE_SEG_IN ? "in " : ev->kind == TRACE_SEG_OUT ? "out" : "   ", line);
	}
	if (ev->pkt) {
		cap = 1 + (G.nev * 7) % 200;
		r = trace_format_packet(ev->pkt, ev->len, end - cap, cap);
		CHECK(r < cap && strlen(end - cap) == r, "trace_format_packet returned %zu, cap %zu", r, cap);
	}
}

/* ---- peer side ---- */
static void input(const uint8_t *pkt, size_t len)
{
	G.stack_now = G.now;
	stack_input(G.s, G.now, pkt, len);
}

/* A TCP segment to tuple t with checksums fixed. opt/optlen: raw option bytes
 * (padded with zeros to a multiple of 4, at most 40). Data follows the pattern
 * byte(seq) = seq & 0xff so the receive side can be checked. */
static void send_seg(struct tup *t, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		     const uint8_t *opt, size_t optlen, uint32_t dlen)
{
	static uint8_t b[20 + 60 + 1600];
	size_t ol = (optlen + 3) & ~(size_t)3, hl = 20 + ol, tl;
	uint8_t *tp = b + 20;
	uint32_t dseq = seq + !!(flags & TH_SYN);

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
	if (SEQ_GT(seq + dlen + !!(flags & TH_SYN) + !!(flags & TH_FIN), t->peer_nxt))
		t->peer_nxt = seq + dlen + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	say("peer %08x:%u > :%u flags %02x seq %u ack %u wnd %u optlen %zu dlen %u", t->raddr,
	    t->rport, t->lport, flags, seq, ack, wnd, optlen, dlen);
	input(b, 20 + tl);
}

static const uint8_t mss_opt_1460[4] = { 2, 4, 0x05, 0xb4 };

/* ---- handles ---- */
static struct hnd *hnd_add(int h, int listener)
{
	if (h < 0)
		return NULL;
	for (int i = 0; i < G.nh; i++)
		if (G.h[i].held && G.h[i].h == h)
			return &G.h[i];   /* cannot happen: a held handle is not reissued */
	if (G.nh == MAXH) {
		tcp_release(G.s, G.now, h);
		return NULL;
	}
	struct hnd *x = &G.h[G.nh++];
	memset(x, 0, sizeof(*x));
	x->h = h;
	x->held = 1;
	x->listener = listener;
	return x;
}

static void hnd_forget(int h)
{
	for (int i = 0; i < G.nh; i++)
		if (G.h[i].held && G.h[i].h == h)
			G.h[i].held = 0;
}

/* Handle operand: mostly one we hold; sometimes a stale or out-of-range number. */
static struct hnd *pick(struct in *in, int *raw)
{
	uint8_t b = u8(in);
	*raw = -1;
	if (b >= 0xf0 || G.nh == 0) {
		static const int weird[] = { -1, 1024, 100000, -100000, 0, 1, 2, 3, 4, 5, 6, 7, 1023, 8, 9, 10 };
		*raw = weird[b & 15];
		for (int i = 0; i < G.nh; i++)
			if (G.h[i].held && G.h[i].h == *raw)
				return &G.h[i];
		return NULL;
	}
	struct hnd *x = &G.h[b % G.nh];
	*raw = x->h;
	return x->held ? x : NULL;    /* a released one: its number is stale */
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
		CHECK(st.rcv_queued <= 65535 && st.snd_queued <= 256 * 1024, "queues %zu %zu",
		      st.rcv_queued, st.snd_queued);
		CHECK(st.snd_queued + st.snd_space == (G.h[i].listener ? 0 : 256 * 1024) ||
		      (G.h[i].listener && st.snd_space == 0), "snd %zu + %zu", st.snd_queued, st.snd_space);
		CHECK(st.error <= 0, "error %d", st.error);
		CHECK(st.laddr == US_IP, "laddr");
	}
	CHECK(tcp_closing_count(G.s) >= 0, "closing count");
	check_internal();
}

#ifdef INTERNAL_CHECKS
/* Invariants on the TCBs themselves (the driver peeks at struct stack). */
static void check_internal(void)
{
	struct stack *s = G.s;
	if (G.verbose)
		for (int h = 0; h < STACK_MAX_CONNS; h++) {
			struct tcb *t = s->conns[h];
			if (t && t->raddr)
				say("      tcb %d %s iss %u una %u nxt %u max %u data_seq %u sndq %u wnd %u | irs %u rcv_nxt %u rcvq %u | rexmt %llu persist %llu tw %llu",
				    h, tcp_state_name(t->state), t->iss, t->snd_una, t->snd_nxt, t->snd_max, t->data_seq,
				    t->sndq.len, t->snd_wnd, t->irs, t->rcv_nxt, t->rcvq.len, (unsigned long long)t->t_rexmt,
				    (unsigned long long)t->t_persist, (unsigned long long)t->t_timewait);
		}
	for (int h = 0; h < STACK_MAX_CONNS; h++) {
		struct tcb *t = s->conns[h], *c;
		if (!t)
			continue;
		CHECK(t->handle == h, "handle");
		CHECK(t->sndq.len <= t->sndq.cap && t->rcvq.len <= t->rcvq.cap, "ring lengths");
		if (t->state == TCP_LISTEN && !t->raddr) {
			int n = 0, q = 0;
			for (int k = 0; k < STACK_MAX_CONNS; k++)
				if (s->conns[k] && s->conns[k]->listener == t)
					n++;
			for (c = t->aq_head; c; c = c->aq_next, q++)
				CHECK(c->listener == t && q < 1024, "accept queue member not ours / loop");
			CHECK(n == t->n_children, "listener %d: n_children %d but %d children", h, t->n_children, n);
			CHECK(n <= t->backlog, "listener %d: %d children > backlog %d", h, n, t->backlog);
			continue;
		}
		if (t->state == TCP_CLOSED || t->state == TCP_LISTEN)
			continue;
		CHECK(SEQ_LEQ(t->snd_una, t->snd_nxt) || t->snd_nxt == t->iss, "%d %s: SND.UNA %u > SND.NXT %u", h,
		      tcp_state_name(t->state), t->snd_una, t->snd_nxt);
		CHECK(SEQ_LEQ(t->snd_nxt, t->snd_max) && SEQ_LEQ(t->snd_una, t->snd_max), "%d: NXT %u / UNA %u > MAX %u",
		      h, t->snd_nxt, t->snd_una, t->snd_max);
		if (SEQ_GT(t->snd_una, t->iss)) {
			CHECK(SEQ_LEQ(t->data_seq, t->snd_una), "%d: data_seq %u > una %u", h, t->data_seq, t->snd_una);
			CHECK(SEQ_LEQ(t->snd_max, t->data_seq + t->sndq.len + 1), "%d: snd_max %u beyond data+FIN %u", h,
			      t->snd_max, t->data_seq + t->sndq.len + 1);
		}
		if (t->state == TCP_TIME_WAIT)
			CHECK(t->t_timewait, "TIME-WAIT without its timer");
		bool sending = t->state == TCP_ESTABLISHED || t->state == TCP_CLOSE_WAIT ||
			       t->state == TCP_FIN_WAIT_1 || t->state == TCP_CLOSING || t->state == TCP_LAST_ACK;
		bool owe = t->sndq.len > 0 || (t->fin_queued && !tcp_fin_acked(t)) || t->snd_una != t->snd_max;
#ifdef AVOID_BUG2   /* known: zero window + RTO with data in flight leaves no timer */
		if (t->snd_wnd == 0)
			owe = false;
#endif
		if (sending && owe)
			CHECK(t->t_rexmt || t->t_persist, "liveness: %d in %s owes the peer %u bytes%s (una %u nxt %u max %u, "
			      "snd_wnd %u) but no retransmission or persist timer is armed", h, tcp_state_name(t->state),
			      t->sndq.len, t->fin_queued ? " + FIN" : "", t->snd_una, t->snd_nxt, t->snd_max, t->snd_wnd);
		if (t->state == TCP_SYN_SENT || t->state == TCP_SYN_RECEIVED)
			CHECK(t->t_rexmt, "%s without a retransmission timer", tcp_state_name(t->state));
	}
}
#else
static void check_internal(void) {}
#endif

static void do_poll(uint64_t now)
{
	G.now = now;
	say("poll");
	G.stack_now = G.now;
	stack_poll(G.s, G.now);
	G.last_poll = G.now;
	uint64_t d = stack_next_deadline(G.s);
	CHECK(d > G.now, "after stack_poll(%llu) a deadline %llu is still due", (unsigned long long)G.now,
	      (unsigned long long)d);
}

/* ---- setup ---- */
static struct tup *peer_open(uint16_t rport, uint16_t lport, uint32_t iss)
{
	struct tup *t = tup_find(PEER_IP, rport, lport, 1);
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
	return tup_find(st.raddr, st.rport, st.lport, 0);
}

static void setup(uint8_t b)
{
	int lh = -1, ah = -1, ph = -1;
	struct tup *t;

	if (b & 1) {
		say("tcp_listen(1234)");
		lh = tcp_listen(G.s, G.now, 1234, 4);
		hnd_add(lh, 1);
	}
	if (b & 2) {
		say("tcp_connect(10.0.0.1:80)");
		ah = tcp_connect(G.s, G.now, PEER_IP, 80, 0);
		hnd_add(ah, 0);
	}
	if ((b & 4) && lh >= 0) {
		t = peer_open(40000, 1234, 0xfffffff0u);
		if (t && t->have_iss) {
			send_seg(t, TH_ACK, t->peer_iss + 1, t->our_iss + 1, 65535, NULL, 0, 0);
			ph = tcp_accept(G.s, lh);
			say("tcp_accept -> %d", ph);
			hnd_add(ph, 0);
		}
	}
	if ((b & 8) && ah >= 0 && (t = tup_of(ah)) && t->have_iss) {
		t->peer_iss = 0x7ffffff0u;
		send_seg(t, TH_SYN | TH_ACK, t->peer_iss, t->our_iss + 1, 65535, mss_opt_1460, 4, 0);
	}
	if ((b & 16) && ph >= 0 && (t = tup_of(ph)))
		send_seg(t, TH_FIN | TH_ACK, t->peer_nxt, t->our_max, 65535, NULL, 0, 0);
	if ((b & 32) && ah >= 0) {
		say("tcp_close(%d)", ah);
		tcp_close(G.s, G.now, ah);
	}
	G.small_cap = !!(b & 64);
}

/* ---- commands ---- */
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
	static const uint32_t srcs[8] = { OTHER_IP, OTHER_IP + 1, 0x0a000003u, 0, 0xffffffffu,
					  0xe0000001u, US_IP, 0xc0a80001u };
	uint8_t m = u8(in), m2 = u8(in);
	uint8_t proto = (m & 3) == 3 ? u8(in) : (m & 3) == 2 ? IPPROTO_ICMP_ : IPPROTO_TCP_;
	size_t ihl = 20 + 4 * ((m >> 2) & 3);
	size_t plen = u16(in) % 1561, avail = in->n - in->i, total;
	uint32_t src = (m & 0x20) ? srcs[m2 & 7] : OTHER_IP;

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
	seq = (sm & 0x80) ? u32(in) : (t->have_ack ? t->our_ack : t->peer_nxt) +
		(uint32_t)((int8_t)u8(in) * (int32_t)scale[sm & 3]);
	ack = (am & 0x80) ? u32(in) : (t->have_iss ? t->our_max : 0) +
		(uint32_t)((int8_t)u8(in) * (int32_t)scale[am & 3]);
	wnd = (wm & 3) == 0 ? 65535 : (wm & 3) == 1 ? 0 : u16(in);
	switch (om & 3) {
	case 0: break;
	case 1: opt[0] = 2; opt[1] = 4; put16(opt + 2, u16(in)); optlen = 4; break;
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
		x->have_last = 1;
	}
}

static void cmd_user(struct in *in, int op)
{
	int raw;
	struct hnd *x = pick(in, &raw);
	uint8_t m = u8(in);
	size_t len;
	ssize_t r;

	if (op <= 4)
		G.stack_now = G.now;       /* these calls take `now` */
	switch (op) {
	case 0: /* SEND */
		len = (m & 3) == 0 ? u8(in) : (m & 3) == 1 ? u16(in) : (m & 3) == 2 ? 0 : sizeof sendbuf;
		for (size_t i = 0; i < len; i++)
			sendbuf[i] = tx_pat((x ? x->sent : 0) + i);
		r = tcp_send(G.s, G.now, raw, sendbuf, len);
		say("tcp_send(%d, %zu) = %zd", raw, len, r);
		CHECK(r <= (ssize_t)len, "send returned %zd > %zu", r, len);
		if (r > 0 && x)
			x->sent += (uint64_t)r;
		break;
	case 1: /* RECEIVE */
		len = (m & 3) == 0 ? u8(in) : (m & 3) == 1 ? u16(in) % sizeof recvbuf : (m & 3) == 2 ? 0 : sizeof recvbuf;
		r = tcp_recv(G.s, G.now, raw, recvbuf, len);
		say("tcp_recv(%d, %zu) = %zd", raw, len, r);
		CHECK(r <= (ssize_t)len, "recv returned %zd > %zu", r, len);
		if (r > 0 && x)
			check_rx(x, recvbuf, r);
		break;
	case 2:
		r = tcp_close(G.s, G.now, raw);
		say("tcp_close(%d) = %zd", raw, r);
		break;
	case 3:
		r = tcp_shutdown(G.s, G.now, raw);
		say("tcp_shutdown(%d) = %zd", raw, r);
		break;
	case 4:
#ifdef AVOID_BUG1   /* known: tcp_abort on a listener already CLOSED divides by ring cap 0 */
		{
			struct tcp_status st;
			if (tcp_status(G.s, raw, &st) == 0 && st.raddr == 0 && st.state == TCP_CLOSED)
				break;
		}
#endif
		r = tcp_abort(G.s, G.now, raw);
		say("tcp_abort(%d) = %zd", raw, r);
		break;
	case 5:
		say("tcp_release(%d)", raw);
		tcp_release(G.s, G.now, raw);
		hnd_forget(raw);
		break;
	case 6:
		r = tcp_accept(G.s, raw);
		say("tcp_accept(%d) = %zd", raw, r);
		if (r >= 0)
			hnd_add((int)r, 0);
		break;
	}
}

static void cmd_connect(struct in *in)
{
	uint8_t m = u8(in);
	uint16_t rport = (m & 1) ? u16(in) : 80;
	uint16_t lport = (m & 6) == 0 ? 0 : (m & 6) == 2 ? 1234 : (m & 6) == 4 ? 40000 : u16(in);
	uint32_t raddr = (m & 8) ? 0 : PEER_IP;
	G.stack_now = G.now;
	int h = tcp_connect(G.s, G.now, raddr, rport, lport);
	say("tcp_connect(%08x:%u, lport %u) = %d", raddr, rport, lport, h);
	hnd_add(h, 0);
}

static void cmd_listen(struct in *in)
{
	uint8_t m = u8(in);
	uint16_t port = (m & 3) == 0 ? 1234 : (m & 3) == 1 ? 80 : (m & 3) == 2 ? 0 : u16(in);
	G.stack_now = G.now;
	int h = tcp_listen(G.s, G.now, port, (int8_t)u8(in));
	say("tcp_listen(%u) = %d", port, h);
	hnd_add(h, 1);
}

static void cmd_syn(struct in *in)
{
	uint8_t m = u8(in);
	uint16_t rport = (uint16_t)(40000 + (m & 7));
	uint16_t lport = (m & 8) ? u16(in) : 1234;
	uint32_t iss = (m & 16) ? u32(in) : 0xfffffff0u - m;
	struct tup *t = tup_find(PEER_IP, rport, lport, 1);
	if (!t)
		return;
	t->peer_iss = t->peer_nxt = iss;
	if (m & 32)
		send_seg(t, TH_SYN, iss, 0, (m & 64) ? 0 : 65535, NULL, 0, 0);
	else
		send_seg(t, TH_SYN, iss, 0, 65535, mss_opt_1460, 4, 0);
	if ((m & 128) && t->have_iss)    /* and complete the handshake */
		send_seg(t, TH_ACK, iss + 1, t->our_iss + 1, 65535, NULL, 0, 0);
}

/* The peer streams `n` full in-order segments (fills the receive window: trimming,
 * zero window, window updates after reads). */
static void cmd_bulk(struct in *in)
{
	uint8_t ti = u8(in), m = u8(in);
	int n = m & 63;
	if (G.nt == 0)
		return;
	struct tup *t = &G.t[ti % G.nt];
	say("bulk: %d segments%s", n, (m & 64) ? " then FIN" : "");
	for (int i = 0; i < n; i++)
		send_seg(t, TH_ACK | ((m & 64) && i == n - 1 ? TH_FIN : 0),
			 t->have_ack ? t->our_ack : t->peer_nxt, t->have_iss ? t->our_max : 0,
			 (m & 128) ? 0 : 65535, NULL, 0, 1460);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	G.verbose = getenv("FUZZ_VERBOSE") != NULL;
	G.tbuf = malloc(512);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	uint8_t sb = u8(&in);
	struct stack_config cfg = { .addr = US_IP, .msl_ms = 100 };
	struct stack_env env = { .ctx = NULL, .emit = fz_emit, .rand = fz_rand, .trace = fz_trace };

	memset(G.t, 0, sizeof G.t);
	memset(G.h, 0, sizeof G.h);
	G.nt = G.nh = 0;
	G.nev = 0;
	G.rng = 0x9e3779b9u ^ sb;
	G.now = G.last_poll = G.stack_now = 1000000;
	if (sb & 128) {
		cfg.fixed_isn = 1;
		cfg.isn = 0xffffff00u;
	}
	G.s = stack_new(&cfg, &env);
	setup(sb);
	check_invariants();
	for (int steps = 0; in.i < in.n && steps < 400; steps++) {
		uint8_t op = u8(&in);
		switch (op % 20) {
		case 0: cmd_raw(&in); break;
		case 1: case 2: cmd_rawfix(&in); break;
		case 3: case 4: case 5: case 6: cmd_seg(&in); break;
		case 7: case 8: cmd_time(&in); break;
		case 9: cmd_user(&in, 0); break;
		case 10: cmd_user(&in, 1); break;
		case 11: cmd_user(&in, 2); break;
		case 12: cmd_user(&in, 3); break;
		case 13: cmd_user(&in, 4); break;
		case 14: cmd_user(&in, 5); break;
		case 15: cmd_user(&in, 6); break;
		case 16: cmd_connect(&in); break;
		case 17: cmd_listen(&in); break;
		case 18: cmd_syn(&in); break;
		case 19: cmd_bulk(&in); break;
		}
		check_invariants();
	}
	say("stack_free");
	stack_free(G.s);
	G.s = NULL;
	return 0;
}

/* harness.c - the scripted peer and virtual clock behind the unit tests (harness.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "tcp_priv.h"

static void h_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct harness *h = ctx;
	struct sent *e;

	if (h->qlen == (int)(sizeof(h->q) / sizeof(h->q[0])))
		h_fail(h, "the stack sent more than %d segments nobody expected", h->qlen);
	e = &h->q[(h->qhead + h->qlen++) % 256];
	e->len = len < sizeof(e->pkt) ? len : sizeof(e->pkt);
	memcpy(e->pkt, pkt, e->len);
}

static uint32_t h_rand(void *ctx)
{
	struct harness *h = ctx;

	h->rng ^= h->rng << 13;           /* xorshift32: seeded, replayable */
	h->rng ^= h->rng >> 17;
	h->rng ^= h->rng << 5;
	return h->rng;
}

static void h_trace(void *ctx, const struct trace_event *ev)
{
	struct harness *h = ctx;
	char line[512];
	const char *tag = ev->kind == TRACE_SEG_IN ? "  in  " : ev->kind == TRACE_SEG_OUT ? "  out " : "  ";

	if (ev->kind == TRACE_USER)
		return;
	trace_format(ev, line, sizeof(line));
	h_say(h, "%s%s", tag, line);
}

void h_say(struct harness *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (h->logcap - h->loglen < 1024) {
		h->logcap = h->logcap * 2 + 4096;
		h->log = realloc(h->log, h->logcap);
	}
	n = snprintf(h->log + h->loglen, h->logcap - h->loglen, "%8.3f ", (double)h->now / 1e6);
	va_start(ap, fmt);
	n += vsnprintf(h->log + h->loglen + n, h->logcap - h->loglen - (size_t)n, fmt, ap);
	va_end(ap);
	h->loglen += (size_t)n < h->logcap - h->loglen - 2 ? (size_t)n : h->logcap - h->loglen - 2;
	h->log[h->loglen++] = '\n';
	h->log[h->loglen] = 0;
}

void h_fail(struct harness *h, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "---- transcript (seed %u, replay with TUNTCP_SEED=%u) ----\n%s"
		"---- FAILED: %s\n", h->seed, h->seed, h->log ? h->log : "", msg);
	ck_abort_msg("%s", msg);
	abort();
}

struct harness *h_new(void)
{
	return h_new_opts(0);
}

struct stack_config h_config(int opts)
{
	struct stack_config cfg = { .addr = STACK_IP, .prefix = 24, .msl_ms = MSL_MS,
				    .fixed_isn = !(opts & H_RANDOM_ISN), .isn = ISS,
				    .no_delayed_ack = !(opts & H_DELAYED_ACK),
				    .no_nagle = !(opts & H_NAGLE),
				    .no_syncookies = !!(opts & H_NO_SYNCOOKIES),
				    .abort_on_overflow = !!(opts & H_ABORT_ON_OVERFLOW) };
	return cfg;
}

struct harness *h_new_opts(int opts)
{
	struct stack_config cfg = h_config(opts);

	return h_new_config(&cfg);
}

struct harness *h_new_config(const struct stack_config *cfg)
{
	struct harness *h = calloc(1, sizeof(*h));
	const char *seed = getenv("TUNTCP_SEED");
	struct stack_env env = { .ctx = h, .emit = h_emit, .rand = h_rand, .trace = h_trace };

	h->seed = seed ? (uint32_t)strtoul(seed, NULL, 0) : 12345u;
	h->rng = h->seed ? h->seed : 1;
	h->now = 1000000;                     /* t = 1 s: 0 means "timer off" in the core */
	h->lh = h->h = -1;
	h->peer_wnd = 65535;
	h->s = stack_new(cfg, &env);
	h_say(h, "stack 10.0.0.2, peer 10.0.0.1, ISS %u, IRS %u, seed %u", ISS, IRS, h->seed);
	return h;
}

void h_free(struct harness *h)
{
	stack_free(h->s);
	free(h->log);
	free(h);
}

void peer_sends_raw(struct harness *h, const uint8_t *pkt, size_t len)
{
	stack_input(h->s, h->now, pkt, len);
}

void peer_sends_seg(struct harness *h, const struct seg *sg)
{
	static uint8_t buf[IP_HDR_LEN + TCP_HDR_LEN + 40 + 65536];

	peer_sends_raw(h, buf, tcp_build(buf, sg, 1));
}

void peer_sends(struct harness *h, uint8_t flags, uint32_t seq, uint32_t ack,
		const char *data, uint32_t dlen)
{
	struct seg sg = {
		.src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = h->lport,
		.seq = seq, .ack = ack, .flags = flags, .wnd = h->peer_wnd,
		.mss = (flags & TH_SYN) ? 1460 : 0, .data = (const uint8_t *)data, .dlen = dlen,
	};
	peer_sends_seg(h, &sg);
}

int sent_pending(const struct harness *h)
{
	return h->qlen;
}

static const char *flag_names(uint8_t f, char *buf)
{
	snprintf(buf, 40, "%s%s%s%s%s", f & TH_SYN ? "SYN " : "", f & TH_FIN ? "FIN " : "",
		 f & TH_RST ? "RST " : "", f & TH_PSH ? "PSH " : "", f & TH_ACK ? "ACK" : "");
	return buf;
}

struct seg expect_sent(struct harness *h, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t dlen)
{
	struct ip_pkt ip;
	struct seg sg;
	struct sent *e;
	char want[40], got[40];

	if (h->qlen == 0)
		h_fail(h, "expected the stack to send [%s] seq %u ack %u len %u, it sent nothing",
		       flag_names(flags, want), seq, ack, dlen);
	e = &h->q[h->qhead];
	h->qhead = (h->qhead + 1) % 256;
	h->qlen--;
	if (ip_parse(&ip, e->pkt, e->len) || ip.proto != IPPROTO_TCP_ || tcp_parse(&sg, &ip))
		h_fail(h, "the stack sent a packet that does not parse as TCP/IPv4");
	if ((sg.flags & ~TH_PSH) != (flags & ~TH_PSH) || sg.seq != seq ||
	    ((flags & TH_ACK) && sg.ack != ack) || sg.dlen != dlen)
		h_fail(h, "expected [%s] seq %u ack %u len %u, the stack sent [%s] seq %u ack %u len %u",
		       flag_names(flags, want), seq, ack, dlen, flag_names(sg.flags, got),
		       sg.seq, sg.ack, sg.dlen);
	return sg;
}

struct ip_pkt expect_sent_icmp(struct harness *h, uint8_t type, uint8_t code)
{
	struct ip_pkt ip;
	struct sent *e;

	if (h->qlen == 0)
		h_fail(h, "expected the stack to send ICMP type %u code %u, it sent nothing", type, code);
	e = &h->q[h->qhead];
	h->qhead = (h->qhead + 1) % 256;
	h->qlen--;
	if (ip_parse(&ip, e->pkt, e->len) || ip.proto != IPPROTO_ICMP_ || ip.payload_len < 8 ||
	    inet_fold(inet_sum(ip.payload, ip.payload_len, 0)) != 0)
		h_fail(h, "the stack sent a packet that is no valid ICMP/IPv4");
	if (ip.payload[0] != type || ip.payload[1] != code)
		h_fail(h, "expected ICMP type %u code %u, the stack sent type %u code %u", type, code,
		       ip.payload[0], ip.payload[1]);
	return ip;
}

void expect_nothing_sent(struct harness *h)
{
	struct ip_pkt ip;
	char line[256];

	if (h->qlen == 0)
		return;
	ip_parse(&ip, h->q[h->qhead].pkt, h->q[h->qhead].len);
	trace_format_packet(h->q[h->qhead].pkt, h->q[h->qhead].len, line, sizeof(line));
	h_fail(h, "expected nothing sent, the stack sent: %s", line);
}

struct seg peek_sent(struct harness *h)
{
	struct ip_pkt ip;
	struct seg sg = { .flags = 0 };

	if (sent_pending(h) == 0)
		h_fail(h, "expected the stack to send a segment, it sent nothing");
	if (ip_parse(&ip, h->q[h->qhead].pkt, h->q[h->qhead].len) || tcp_parse(&sg, &ip))
		h_fail(h, "the stack sent a packet that does not parse as TCP/IPv4");
	return sg;
}

void expect_rst(struct harness *h, uint32_t seq)
{
	struct seg sg = peek_sent(h);

	if (!(sg.flags & TH_RST))
		h_fail(h, "expected a RST with seq %u, the stack sent flags 0x%02x seq %u",
		       seq, sg.flags, sg.seq);
	expect_sent(h, sg.flags, seq, sg.ack, 0);
}

void expect_recv(struct harness *h, const char *want)
{
	char buf[256];
	ssize_t n = user_recv(h, buf, sizeof(buf));

	if (n != (ssize_t)strlen(want) || memcmp(buf, want, strlen(want)) != 0)
		h_fail(h, "expected recv() to return \"%s\" (%zu bytes), it returned %zd",
		       want, strlen(want), n);
}

void expect_state(struct harness *h, enum tcp_state st)
{
	struct tcb *tcb = tcb_lookup(h->s, PEER_IP, PEER_PORT, h->lport);
	enum tcp_state got = tcb ? tcb->state : TCP_CLOSED;

	int hh = h->h >= 0 ? h->h : h->lh;

	if (!tcb && hh >= 0 && h->s->conns[hh])
		got = h->s->conns[hh]->state;
	if (got != st)
		h_fail(h, "expected state %s, the connection is %s", tcp_state_name(st),
		       tcp_state_name(got));
}

void expect_stat(struct harness *h, enum stat_id st, uint64_t n)
{
	if (stack_stat(h->s, st) != n)
		h_fail(h, "expected counter '%s' to be %llu, it is %llu", stat_name(st),
		       (unsigned long long)n, (unsigned long long)stack_stat(h->s, st));
}

/* Move the clock, firing every timer on the way at its own time. */
void advance_ms(struct harness *h, uint64_t ms)
{
	uint64_t end = h->now + ms * 1000;

	h_say(h, "(%llu ms pass)", (unsigned long long)ms);
	for (;;) {
		uint64_t next = stack_next_deadline(h->s);
		if (next > end)
			break;
		h->now = next > h->now ? next : h->now;
		stack_poll(h->s, h->now);
	}
	h->now = end;
}

void h_listen(struct harness *h)
{
	h->lport = PORT;
	h->lh = tcp_listen(h->s, h->now, PORT, 8);
	h_say(h, "user: listen(%d) = %d", PORT, h->lh);
	if (h->lh < 0)
		h_fail(h, "listen failed: %d", h->lh);
}

void h_passive_established(struct harness *h)
{
	h_listen(h);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_state(h, TCP_ESTABLISHED);
	h->h = tcp_accept(h->s, h->lh);
	h_say(h, "user: accept() = %d", h->h);
	if (h->h < 0)
		h_fail(h, "accept failed: %d", h->h);
}

void h_active_established(struct harness *h)
{
	struct seg sg;

	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	h_say(h, "user: connect(10.0.0.1:%d) = %d", PEER_PORT, h->h);
	if (h->h < 0)
		h_fail(h, "connect failed: %d", h->h);
	sg = expect_sent(h, TH_SYN, ISS, 0, 0);
	h->lport = sg.sport;
	peer_sends(h, TH_SYN | TH_ACK, IRS, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_ESTABLISHED);
}

void h_goto(struct harness *h, enum tcp_state st)
{
	switch (st) {
	case TCP_CLOSED:
		return;
	case TCP_LISTEN:
		h_listen(h);
		return;
	case TCP_SYN_SENT:
		h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
		h->lport = expect_sent(h, TH_SYN, ISS, 0, 0).sport;
		break;
	case TCP_SYN_RECEIVED:
		h_listen(h);
		peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
		expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
		break;
	case TCP_ESTABLISHED:
		h_passive_established(h);
		break;
	case TCP_FIN_WAIT_1:
		h_passive_established(h);
		user_close(h);
		expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
		break;
	case TCP_FIN_WAIT_2:
		h_goto(h, TCP_FIN_WAIT_1);
		peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
		expect_nothing_sent(h);
		break;
	case TCP_CLOSING:
		h_goto(h, TCP_FIN_WAIT_1);
		peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 1, NULL, 0);
		expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
		break;
	case TCP_TIME_WAIT:
		h_goto(h, TCP_FIN_WAIT_2);
		peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);
		expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
		break;
	case TCP_CLOSE_WAIT:
		h_passive_established(h);
		peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 1, NULL, 0);
		expect_sent(h, TH_ACK, ISS + 1, IRS + 2, 0);
		break;
	case TCP_LAST_ACK:
		h_goto(h, TCP_CLOSE_WAIT);
		user_close(h);
		expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 2, 0);
		break;
	default:
		h_fail(h, "h_goto: no path to state %d", st);
	}
	expect_state(h, st);
}

void h_fin_wait_1_by_shutdown(struct harness *h)
{
	h_passive_established(h);
	CHECK_EQ(h, user_shutdown(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_FIN_WAIT_1);
}

ssize_t user_send(struct harness *h, const char *data)
{
	ssize_t r = tcp_send(h->s, h->now, h->h, data, strlen(data));
	h_say(h, "user: send(\"%s\") = %zd", data, r);
	return r;
}

ssize_t user_recv(struct harness *h, char *buf, size_t len)
{
	ssize_t r = tcp_recv(h->s, h->now, h->h, buf, len);
	h_say(h, "user: recv() = %zd", r);
	if (r > 0 && (size_t)r < len)
		buf[r] = 0;
	return r;
}

int user_close(struct harness *h)
{
	int r = tcp_close(h->s, h->now, h->h);
	h_say(h, "user: close() = %d", r);
	return r;
}

int user_shutdown(struct harness *h)
{
	int r = tcp_shutdown(h->s, h->now, h->h);
	h_say(h, "user: shutdown(SHUT_WR) = %d", r);
	return r;
}

int user_abort(struct harness *h)
{
	int r = tcp_abort(h->s, h->now, h->h);
	h_say(h, "user: abort() = %d", r);
	return r;
}

int h_error(struct harness *h)
{
	struct tcp_status st;

	return tcp_status(h->s, h->h, &st) ? -9999 : st.error;
}

int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

/* check_wscale.c - window scaling, RFC 7323 section 2: the option on our SYN when our
 * buffer needs a shift, on our SYN,ACK only when the peer's SYN had it (2.2), never
 * with --no-wscale; our shift the smallest that lets 16 bits say the buffer; the
 * peer's shift (above 14: 14) applied to every window after its SYN, never to the
 * SYN's own (2.3); an advertised right edge that rounding never moves left (2.4);
 * and between two stacks on the in-memory wire, more than 64 KiB in flight. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "seq.h"
#include "sim.h"

#define BUF_1M (1024 * 1024)

static struct harness *h;
static char data[65536];          /* what the peer sends: byte i is 'a' + i % 26 */

static void setup(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	h = NULL;
}

static void teardown(void) { if (h) h_free(h); }

/* The stack under test with receive buffer `rcvbuf` (0: the default), scaling on or off. */
static void stack_with(uint32_t rcvbuf, bool no_wscale)
{
	struct stack_config cfg = h_config(0);

	cfg.rcvbuf = rcvbuf;
	cfg.no_wscale = no_wscale;
	h = h_new_config(&cfg);
	h_say(h, "stack: rcvbuf %u%s", rcvbuf, no_wscale ? ", --no-wscale" : "");
}

/* The peer's SYN (or SYN,ACK), with the window scale option when shift >= 0. */
static void peer_sends_syn(uint8_t flags, uint32_t ack, uint16_t wnd, int shift)
{
	struct seg sg = {
		.src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = h->lport,
		.seq = IRS, .ack = ack, .flags = flags, .wnd = wnd, .mss = 1460,
		.has_wscale = shift >= 0, .wscale = (uint8_t)(shift < 0 ? 0 : shift),
	};

	h_say(h, "peer: SYN%s wnd %u, wscale %d", (flags & TH_ACK) ? ",ACK" : "", wnd, shift);
	peer_sends_seg(h, &sg);
}

/* A passive open whose SYN carries `shift` (-1: no option): returns our SYN,ACK. */
static struct seg passive_open(int shift)
{
	struct seg synack;

	h_listen(h);
	peer_sends_syn(TH_SYN, 0, 65535, shift);
	synack = expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_state(h, TCP_ESTABLISHED);
	h->h = tcp_accept(h->s, h->lh);
	if (h->h < 0)
		h_fail(h, "accept failed: %d", h->h);
	return synack;
}

/* An active open answered by a SYN,ACK with window `wnd` and `shift` (-1: none). */
static struct seg active_open(uint16_t wnd, int shift)
{
	struct seg syn;

	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	syn = expect_sent(h, TH_SYN, ISS, 0, 0);
	h->lport = syn.sport;
	peer_sends_syn(TH_SYN | TH_ACK, ISS + 1, wnd, shift);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_ESTABLISHED);
	return syn;
}

static struct tcp_status status(void)
{
	struct tcp_status st;

	if (tcp_status(h->s, h->h, &st))
		h_fail(h, "no status for handle %d", h->h);
	return st;
}

START_TEST(listen_syn_without_wscale_gets_syn_ack_without_it)
{
	struct seg synack;

	stack_with(BUF_1M, false);
	synack = passive_open(-1);
	CHECK_EQ(h, synack.has_wscale, false);
	CHECK_EQ(h, synack.wnd, 65535);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, data, 1000);   /* no scaling: 16 bits, */
	CHECK_EQ(h, expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 1000, 0).wnd, 64535);  /* edge held */
}
END_TEST

START_TEST(listen_syn_with_wscale_gets_our_shift_on_an_unscaled_syn_ack)
{
	struct seg synack;

	stack_with(BUF_1M, false);
	synack = passive_open(7);
	CHECK_EQ(h, synack.has_wscale, true);
	CHECK_EQ(h, synack.wscale, 5);                  /* 1 MiB >> 5 = 32768 <= 65535 */
	CHECK_EQ(h, synack.wnd, 65535);                 /* a SYN's window is never scaled */
}
END_TEST

START_TEST(no_wscale_never_offers_and_caps_the_buffer)
{
	struct seg syn, synack;

	stack_with(BUF_1M, true);
	syn = active_open(1000, 7);
	CHECK_EQ(h, syn.has_wscale, false);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);        /* peer_wnd: 65535, unscaled */
	CHECK_EQ(h, status().snd_wnd, 65535);
	h_free(h);
	stack_with(BUF_1M, true);
	synack = passive_open(7);
	CHECK_EQ(h, synack.has_wscale, false);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, data, 1000);
	CHECK_EQ(h, expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 1000, 0).wnd, 65535 - 1000);
}
END_TEST

/* Linux's rule (tcp_select_initial_window): the smallest shift that fits 16 bits. */
START_TEST(syn_offers_the_smallest_shift_for_the_buffer)
{
	static const struct { uint32_t rcvbuf; int shift; } t[] = {
		{ 0, -1 }, { 65535, -1 }, { 65536, 1 }, { 131070, 1 }, { 131071, 1 }, { 131072, 2 },
		{ 262144, 3 }, { BUF_1M, 5 }, { 4 * BUF_1M, 7 }, { 64 * BUF_1M, 7 },  /* capped */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct seg syn;

		stack_with(t[i].rcvbuf, false);
		h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
		syn = expect_sent(h, TH_SYN, ISS, 0, 0);
		CHECK_EQ(h, syn.has_wscale, t[i].shift >= 0);
		if (t[i].shift >= 0)
			CHECK_EQ(h, syn.wscale, t[i].shift);
		CHECK_EQ(h, syn.wnd, 65535);
		h_free(h);
		h = NULL;
	}
	stack_with(0, false);                           /* for teardown */
}
END_TEST

START_TEST(syn_sent_peer_shift_applies_after_its_syn_ack_not_to_it)
{
	stack_with(BUF_1M, false);
	active_open(1000, 3);
	CHECK_EQ(h, status().snd_wnd, 1000);            /* the SYN,ACK's window: unscaled */
	h->peer_wnd = 1000;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	CHECK_EQ(h, status().snd_wnd, 8000);            /* 1000 << 3 */
}
END_TEST

START_TEST(syn_sent_peer_without_wscale_leaves_both_unscaled)
{
	stack_with(BUF_1M, false);
	active_open(1000, -1);
	h->peer_wnd = 1000;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, data, 100);
	CHECK_EQ(h, status().snd_wnd, 1000);
	CHECK_EQ(h, expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 100, 0).wnd, 65435);
}
END_TEST

START_TEST(peer_shift_above_14_is_used_as_14_and_counted)
{
	stack_with(BUF_1M, false);
	active_open(1000, 15);
	expect_stat(h, STAT_TCP_WSCALE_BIG, 1);
	h->peer_wnd = 2;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	CHECK_EQ(h, status().snd_wnd, 2u << 14);
}
END_TEST

/* More than 64 KiB taken without a drop, and the window the ACKs say, in bytes,
 * is what the stack enforces (RCV.WND exact inside, only the field shifted). */
START_TEST(established_big_buffer_takes_more_than_64k_and_updates_the_window)
{
	uint32_t seq = IRS + 1, wnd = 0;
	struct seg ack;
	char buf[4096];

	stack_with(BUF_1M, false);
	passive_open(7);
	for (int i = 0; i < 100; i++, seq += 1460) {     /* 146000 bytes, the user reads none */
		peer_sends(h, TH_ACK, seq, ISS + 1, data, 1460);
		ack = expect_sent(h, TH_ACK, ISS + 1, seq + 1460, 0);
		wnd = (uint32_t)ack.wnd << 5;
		CHECK_EQ(h, status().rcv_wnd, wnd);
	}
	expect_stat(h, STAT_DROP_TCP_SEQ, 0);
	if (wnd < BUF_1M - 146000 - 31)                  /* at most rounded down to 2^5 */
		h_fail(h, "window %u after 146000 bytes of %u", wnd, BUF_1M);
	while (user_recv(h, buf, sizeof(buf)) > 0)
		;
	while (sent_pending(h))                          /* window updates as the user reads */
		ack = expect_sent(h, TH_ACK, ISS + 1, seq, 0);
	CHECK_EQ(h, (uint32_t)ack.wnd << 5, BUF_1M);
	CHECK_EQ(h, status().rcv_wnd, BUF_1M);
}
END_TEST

/* Odd-sized segments while the user reads nothing: a window rounded down each time
 * would pull the right edge back; it is rounded up instead (RFC 7323 2.4). */
static uint32_t edge;                  /* the right edge the stack last advertised */

/* Every ACK the stack sent: its right edge, ACK + (SEG.WND << 5), never left of the last. */
static void expect_edges_never_left(uint32_t ack)
{
	while (sent_pending(h)) {
		struct seg sg = expect_sent(h, TH_ACK, ISS + 1, ack, 0);
		uint32_t e = sg.ack + ((uint32_t)sg.wnd << 5);

		if (SEQ_LT(e, edge))
			h_fail(h, "right edge moved left: %u after %u", e, edge);
		edge = e;
	}
}

START_TEST(established_rounding_never_moves_the_right_edge_left)
{
	uint32_t seq = IRS + 1;
	char buf[70000];

	stack_with(BUF_1M, false);
	passive_open(7);
	edge = IRS + 1 + 65535;                          /* the SYN,ACK's */
	for (int i = 0; i < 400; i++, seq += 333) {
		peer_sends(h, TH_ACK, seq, ISS + 1, data, 333);
		expect_edges_never_left(seq + 333);
		if (i % 50 == 49) {
			user_recv(h, buf, 1000 + 100 * (uint32_t)i);   /* reads of odd sizes */
			expect_edges_never_left(seq + 333);
		}
	}
	expect_stat(h, STAT_DROP_TCP_SEQ, 0);
}
END_TEST

/* Bytes in flight from B (stack 1) to A (stack 0), from what each sends: B's highest
 * data byte sent, A's highest ACK; the peak is kept. */
struct flight { uint32_t snd_max, acked; bool started; uint32_t peak; };

static void flight_trace(void *ctx, int i, const struct trace_event *ev)
{
	struct flight *f = ctx;
	struct ip_pkt ip;
	struct seg sg;

	if (ev->kind != TRACE_SEG_OUT || ip_parse(&ip, ev->pkt, ev->len) || tcp_parse(&sg, &ip) ||
	    (sg.flags & TH_SYN))
		return;
	if (i == 1 && sg.dlen && (!f->started || SEQ_GT(sg.seq + sg.dlen, f->snd_max)))
		f->snd_max = sg.seq + sg.dlen;
	if (i == 1 && !f->started) {
		f->acked = sg.seq;
		f->started = true;
	}
	if (i == 0 && f->started && SEQ_GT(sg.ack, f->acked))
		f->acked = sg.ack;
	if (f->started && SEQ_GT(f->snd_max, f->acked) && f->snd_max - f->acked > f->peak)
		f->peak = f->snd_max - f->acked;
}

/* Two stacks, B sends 4 MiB to A over a 10 ms RTT: the peak in flight and the time. */
static uint32_t sim_transfer(uint32_t rcvbuf, bool no_wscale, uint64_t *usec)
{
	struct stack_config ca = { .addr = 0x0a000001u, .msl_ms = 1000, .rcvbuf = rcvbuf,
				   .no_wscale = no_wscale };
	struct stack_config cb = ca;
	struct sim *sim = sim_new(42, 5000);                /* 5 ms one way */
	struct flight f = { 0 };
	struct stack *a, *b;
	uint32_t total = 4 * BUF_1M, sent = 0, got = 0;
	uint64_t start;
	int lh, ha, hb;
	static char buf[65536];

	cb.addr = 0x0a000002u;
	a = sim_stack(sim, sim_add(sim, &ca));
	b = sim_stack(sim, sim_add(sim, &cb));
	sim_set_trace(sim, flight_trace, &f);
	lh = tcp_listen(a, sim_now(sim), 1234, 4);
	hb = tcp_connect(b, sim_now(sim), 0x0a000001u, 1234, 0);
	sim_run_for(sim, 100000);
	ha = tcp_accept(a, lh);
	ck_assert_int_ge(ha, 0);
	start = sim_now(sim);
	while (got < total && sim_now(sim) - start < 600000000ull) {
		size_t want = total - sent < sizeof(data) ? total - sent : sizeof(data);
		ssize_t n = sent < total ? tcp_send(b, sim_now(sim), hb, data, want) : 0;

		sent += n > 0 ? (uint32_t)n : 0;
		sim_run_for(sim, 1000);
		while ((n = tcp_recv(a, sim_now(sim), ha, buf, sizeof(buf))) > 0)
			got += (uint32_t)n;
	}
	ck_assert_uint_eq(got, total);
	*usec = sim_now(sim) - start;
	tcp_close(b, sim_now(sim), hb);
	tcp_close(a, sim_now(sim), ha);
	sim_run_for(sim, 3000000);
	tcp_release(a, sim_now(sim), ha);
	tcp_release(b, sim_now(sim), hb);
	tcp_close(a, sim_now(sim), lh);
	tcp_release(a, sim_now(sim), lh);
	sim_free(sim);
	return f.peak;
}

START_TEST(two_stacks_transfer_more_than_64k_in_flight_only_with_scaling)
{
	uint64_t t_on, t_off;
	uint32_t w_on = sim_transfer(BUF_1M, false, &t_on);
	uint32_t w_off = sim_transfer(BUF_1M, true, &t_off);

	fprintf(stderr, "sim 4 MiB, 10 ms RTT: scaled: peak in flight %u, %.3f s; "
		"--no-wscale: %u, %.3f s\n", w_on, t_on / 1e6, w_off, t_off / 1e6);
	ck_assert_uint_gt(w_on, 65535);
	ck_assert_uint_le(w_off, 65535);
	ck_assert_uint_lt(t_on, t_off);
}
END_TEST

/* RFC 9293 figure 7 with both SYNs offering shift 5: each side's SYN,ACK window is
 * taken unscaled, and afterwards each sees the other's full 1 MiB. */
START_TEST(two_stacks_simultaneous_open_both_scale)
{
	struct stack_config ca = { .addr = 0x0a000001u, .msl_ms = 1000, .rcvbuf = BUF_1M };
	struct stack_config cb = ca;
	struct sim *sim = sim_new(7, 5000);
	struct stack *a, *b;
	struct tcp_status sa, sb;
	char buf[64];
	int ha, hb;

	cb.addr = 0x0a000002u;
	a = sim_stack(sim, sim_add(sim, &ca));
	b = sim_stack(sim, sim_add(sim, &cb));
	ha = tcp_connect(a, sim_now(sim), 0x0a000002u, 2000, 1000);
	hb = tcp_connect(b, sim_now(sim), 0x0a000001u, 1000, 2000);
	sim_run_for(sim, 100000);
	ck_assert_int_eq(tcp_send(a, sim_now(sim), ha, "hi", 2), 2);
	ck_assert_int_eq(tcp_send(b, sim_now(sim), hb, "ho", 2), 2);
	sim_run_for(sim, 100000);
	ck_assert_int_eq(tcp_recv(a, sim_now(sim), ha, buf, sizeof(buf)), 2);
	ck_assert_int_eq(tcp_recv(b, sim_now(sim), hb, buf, sizeof(buf)), 2);
	sim_run_for(sim, 100000);
	ck_assert_int_eq(tcp_status(a, ha, &sa), 0);
	ck_assert_int_eq(tcp_status(b, hb, &sb), 0);
	ck_assert_int_eq(sa.state, TCP_ESTABLISHED);
	ck_assert_uint_gt(sa.snd_wnd, 65535);
	ck_assert_uint_gt(sb.snd_wnd, 65535);
	ck_assert_uint_eq(sa.snd_wnd, sb.rcv_wnd);
	ck_assert_uint_eq(sb.snd_wnd, sa.rcv_wnd);
	tcp_abort(a, sim_now(sim), ha);
	tcp_abort(b, sim_now(sim), hb);
	tcp_release(a, sim_now(sim), ha);
	tcp_release(b, sim_now(sim), hb);
	sim_free(sim);
}
END_TEST

static Suite *wscale_suite(void)
{
	Suite *s = suite_create("wscale");
	TCase *tc = tcase_create("rfc7323");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, listen_syn_without_wscale_gets_syn_ack_without_it);
	tcase_add_test(tc, listen_syn_with_wscale_gets_our_shift_on_an_unscaled_syn_ack);
	tcase_add_test(tc, no_wscale_never_offers_and_caps_the_buffer);
	tcase_add_test(tc, syn_offers_the_smallest_shift_for_the_buffer);
	tcase_add_test(tc, syn_sent_peer_shift_applies_after_its_syn_ack_not_to_it);
	tcase_add_test(tc, syn_sent_peer_without_wscale_leaves_both_unscaled);
	tcase_add_test(tc, peer_shift_above_14_is_used_as_14_and_counted);
	tcase_add_test(tc, established_big_buffer_takes_more_than_64k_and_updates_the_window);
	tcase_add_test(tc, established_rounding_never_moves_the_right_edge_left);
	tcase_add_test(tc, two_stacks_transfer_more_than_64k_in_flight_only_with_scaling);
	tcase_add_test(tc, two_stacks_simultaneous_open_both_scale);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(wscale_suite()) ? 1 : 0;
}

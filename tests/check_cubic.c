/* check_cubic.c - CUBIC (RFC 9438) against its formulas: the integer cube root, K,
 * W_cubic(t) after a reduction (concave, then convex), the Reno-friendly region on
 * short round trips, beta = 0.7 on a loss, fast convergence, the timeout rule, and
 * D-SACK undo; NewReno beside it (--cc newreno). Most tests drive tcp_cc_* directly
 * on a TCB of their own, in virtual time (s->now); the reference values are the
 * RFC's formulas in floating point (the core has none). Then two stacks on the
 * in-memory wire move data through loss with each --cc, byte exact. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "sim.h"
#include "tcp_priv.h"

#define MSS 1460u

static struct harness *h;
static struct tcb *t;                   /* driven directly, outside the stack's table */

static void setup_cc(enum stack_cc cc, bool sack, uint32_t srtt_us)
{
	struct stack_config cfg = h_config(0);

	cfg.cc = cc;
	h = h_new_config(&cfg);
	t = calloc(1, sizeof(*t));
	t->state = TCP_ESTABLISHED;
	t->laddr = STACK_IP;
	t->raddr = PEER_IP;
	t->lport = PORT;
	t->rport = PEER_PORT;
	t->snd.mss = MSS;
	t->snd.iss = 1000;
	t->snd.una = t->snd.nxt = t->snd.max = 1001;
	t->snd.syn_acked = true;
	t->sack.ok = sack;
	t->rtt.valid = true;
	t->rtt.srtt_us = srtt_us;
	h->s->now = 1000000;
	tcp_cc_init(h->s, t);
}

static void teardown(void)
{
	if (t)
		tcp_cubic_free(t);                   /* its state, from the first reduction on */
	free(t);
	t = NULL;
	h_free(h);
}

/* The sender keeps cwnd in flight (SND.MAX = SND.UNA + cwnd). */
static void fill(void)
{
	t->snd.max = t->snd.nxt = t->snd.una + t->cc.cwnd;
}

/* An ACK of n new bytes, `us` after the last event. */
static void ack(uint32_t n, uint64_t us)
{
	h->s->now += us;
	t->snd.una += n;
	tcp_cc_ack(h->s, t, n);
	fill();
}

/* One round trip with the window full: an ACK per segment, evenly spread. */
static void round_trip(uint32_t rtt_us)
{
	uint32_t n = t->cc.cwnd / MSS;

	for (uint32_t i = 0; i < n; i++)
		ack(MSS, rtt_us / n);
}

/* cwnd = flight = w segments, then a loss found by SACK (or three dup ACKs
 * without): recovery, its retransmission acknowledged, recovery over. */
static void loss_at(uint32_t w)
{
	t->cc.cwnd = w * MSS;
	fill();
	if (t->sack.ok) {
		CHECK_EQ(h, tcp_cc_loss_detected(h->s, t), CC_RETRANSMIT_UNA);
	} else {
		for (int i = 0; i < 3; i++)
			tcp_cc_dupack(h->s, t);
	}
	CHECK_EQ(h, t->cc.in_recovery, 1);
}

static void recovery_over(void)
{
	h->s->now += t->rtt.srtt_us;
	t->snd.una = t->cc.recover;
	tcp_cc_ack(h->s, t, MSS);
	CHECK_EQ(h, t->cc.in_recovery, 0);
	fill();
}

/* RFC 9438 4.2, Figure 1, in bytes: (C*(t-K)^3 + W_max) * SMSS, W_max in segments. */
static double w_cubic(double t_s, double k_s, double w_max_seg)
{
	return (0.4 * pow(t_s - k_s, 3) + w_max_seg) * MSS;
}

static bool logged(const char *what)
{
	return strstr(h->log, what) != NULL;
}

/* ---- the formulas ---- */

START_TEST(cube_root_is_the_integer_floor)
{
	h = h_new();
	for (uint64_t y = 0; y < 5000; y++) {
		uint64_t c = y * y * y;
		CHECK_EQ(h, cubic_cbrt(c), y);
		CHECK_EQ(h, cubic_cbrt(c + 3 * y * y + 3 * y), y);     /* (y+1)^3 - 1 */
	}
	CHECK_EQ(h, cubic_cbrt(UINT64_MAX), 2642245);                /* 2642246^3 > 2^64 */
	CHECK_EQ(h, cubic_cbrt(2642245ull * 2642245 * 2642245), 2642245);
	CHECK_EQ(h, cubic_cbrt(2642245ull * 2642245 * 2642245 - 1), 2642244);
}
END_TEST

/* K = cbrt(W_max * (1 - beta) / C) (4.2), to the ms, for windows of 10 to 1000
 * segments; cwnd_epoch above W_max gives K = 0. */
START_TEST(k_is_rfc_9438s_formula)
{
	h = h_new();
	for (uint32_t w = 10; w <= 1000; w += 7) {
		uint32_t w_max = w * MSS, epoch = w_max / 10 * 7;
		double k = cbrt((w_max - epoch) / (double)MSS / 0.4) * 1000;
		uint32_t got = cubic_k_ms(w_max, epoch, MSS);
		if (got > k + 1 || got + 1 < k)
			h_fail(h, "W_max %u segments: K %u ms, RFC %.3f ms", w, got, k);
	}
	CHECK_EQ(h, cubic_k_ms(100 * MSS, 70 * MSS, MSS), 4217);     /* cbrt(75) = 4.2172 s */
	CHECK_EQ(h, cubic_k_ms(70 * MSS, 80 * MSS, MSS), 0);
}
END_TEST

/* W_cubic(t) (Figure 1) within a byte of the formula, before K and after. */
START_TEST(w_cubic_is_rfc_9438s_formula)
{
	h = h_new();
	for (uint64_t ms = 0; ms < 20000; ms += 37) {
		double want = w_cubic(ms / 1000.0, 4.217, 100);
		uint32_t got = cubic_w(100 * MSS, 4217, MSS, ms);
		if (want < 0)
			want = 0;
		if (fabs(got - want) > 1.5)
			h_fail(h, "t %llu ms: W_cubic %u bytes, RFC %.1f", (unsigned long long)ms, got, want);
	}
	CHECK_EQ(h, cubic_w(100 * MSS, 4217, MSS, 4217), 100 * MSS);       /* t = K: W_max */
	CHECK_EQ(h, cubic_w(100 * MSS, 0, MSS, 3600000), UINT32_MAX);      /* an hour: no wrap */
}
END_TEST

/* ---- reductions ---- */

/* 4.6: ssthresh = flight_size * 0.7 and cwnd = ssthresh (SACK recovery); W_max is
 * the window before (4.7, first loss); the trace says so, with K. */
START_TEST(loss_reduces_by_beta_0_7_and_remembers_w_max)
{
	setup_cc(STACK_CC_CUBIC, true, 100000);
	loss_at(100);
	CHECK_EQ(h, t->cc.ssthresh, 70 * MSS);
	CHECK_EQ(h, t->cc.cwnd, 70 * MSS);
	CHECK_EQ(h, t->cc.cubic->w_max, 100 * MSS);
	CHECK_EQ(h, logged("CUBIC: W_max 142.5 KB, ssthresh 99.8 KB (beta 0.7), K 4.217 s"), 1);
}
END_TEST

/* Without SACK the same beta, and NewReno's fast recovery: cwnd = ssthresh + 3 SMSS. */
START_TEST(three_dup_acks_reduce_by_beta_0_7)
{
	setup_cc(STACK_CC_CUBIC, false, 100000);
	loss_at(100);
	CHECK_EQ(h, t->cc.ssthresh, 70 * MSS);
	CHECK_EQ(h, t->cc.cwnd, 73 * MSS);
}
END_TEST

/* --cc newreno halves, as before. */
START_TEST(newreno_halves_on_the_same_loss)
{
	setup_cc(STACK_CC_NEWRENO, true, 100000);
	loss_at(100);
	CHECK_EQ(h, t->cc.ssthresh, 50 * MSS);
	CHECK_EQ(h, t->cc.cwnd, 50 * MSS);
	CHECK_EQ(h, logged("CUBIC"), 0);
}
END_TEST

/* 4.7: a loss below the last W_max lowers it to cwnd * (1 + beta) / 2 = 0.85 cwnd. */
START_TEST(fast_convergence_lowers_w_max)
{
	setup_cc(STACK_CC_CUBIC, true, 100000);
	loss_at(100);
	recovery_over();
	loss_at(80);
	CHECK_EQ(h, t->cc.cubic->w_max, 80 * MSS * 17 / 20);
	CHECK_EQ(h, t->cc.ssthresh, 56 * MSS);
	CHECK_EQ(h, logged("CUBIC: W_max 96.9 KB (fast convergence), ssthresh 79.8 KB"), 1);
	recovery_over();
	loss_at(90);                                    /* above: W_max = cwnd again */
	CHECK_EQ(h, t->cc.cubic->w_max, 90 * MSS);
}
END_TEST

/* ---- the curve ---- */

/* After a loss at 100 segments, with a 100 ms RTT (CUBIC's region, not Reno's):
 * cwnd follows W_cubic(t), from 70 segments up to the plateau W_max at t = K
 * (concave), then beyond (convex); never above the target W_cubic(t + RTT). */
START_TEST(window_follows_w_cubic_concave_then_convex)
{
	double k = cbrt(30 / 0.4);
	uint64_t t0;

	setup_cc(STACK_CC_CUBIC, true, 100000);
	loss_at(100);
	recovery_over();
	t0 = h->s->now;
	round_trip(100000);                             /* the first ACK starts the epoch */
	CHECK_EQ(h, logged("CUBIC: congestion avoidance from cwnd 99.8 KB: W_max 142.5 KB, K 4.217 s"), 1);
	CHECK_EQ(h, logged("CUBIC: concave region"), 1);
	while (h->s->now - t0 < 7000000) {
		double ts = (h->s->now - t0) / 1e6, want = w_cubic(ts, k, 100);
		double ahead = w_cubic(ts + 0.1, k, 100);
		double est = t->cc.cubic->w_est;            /* 4.3: cwnd is W_est where it is more */
		if (t->cc.cwnd + 2 * MSS < want || t->cc.cwnd > fmax(ahead, est) + 1)
			h_fail(h, "t %.3f s: cwnd %u, W_cubic(t) %.0f, W_cubic(t+RTT) %.0f, W_est %.0f",
			       ts, t->cc.cwnd, want, ahead, est);
		if (fabs(ts - k) < 0.05)
			CHECK_EQ(h, t->cc.cwnd / MSS >= 99 && t->cc.cwnd / MSS <= 100, 1);   /* the plateau */
		round_trip(100000);
	}
	CHECK_EQ(h, logged("CUBIC: convex region"), 1);
	CHECK_EQ(h, t->cc.cwnd > 110 * MSS, 1);
}
END_TEST

/* 4.3: with a 1 ms RTT Reno would gain faster than the curve: cwnd is W_est, which
 * grows by alpha = 9/17 segment a round trip until it reaches the window before the
 * loss (cwnd_prior), then by one, as Reno. */
START_TEST(reno_friendly_region_takes_over_on_short_rtts)
{
	uint32_t rounds = 0;

	setup_cc(STACK_CC_CUBIC, true, 1000);
	loss_at(100);
	recovery_over();
	while (t->cc.cubic->w_est < 100 * MSS) {
		round_trip(1000);
		rounds++;
	}
	CHECK_EQ(h, logged("CUBIC: Reno-friendly region"), 1);
	CHECK_EQ(h, logged("CUBIC: concave region"), 0);
	/* 30 segments at 9/17 each round trip (the window grows meanwhile: a little
	 * more per ACK than 9/17 / cwnd of the round trip's start) */
	CHECK_EQ(h, rounds >= 50 && rounds <= 58, 1);
	CHECK_EQ(h, t->cc.cwnd, t->cc.cubic->w_est);
	for (int i = 0; i < 10; i++)
		round_trip(1000);
	CHECK_EQ(h, t->cc.cwnd / MSS, 110);             /* alpha 1: one a round trip */
	CHECK_EQ(h, t->cc.cwnd > cubic_w(t->cc.cubic->w_max, t->cc.cubic->k_ms, MSS,
					 (h->s->now - t->cc.cubic->t_epoch) / 1000), 1);
}
END_TEST

/* 4.8: a timeout: ssthresh = 0.7 flight, cwnd one segment; after slow start the
 * curve starts at K = 0 with W_max = cwnd: convex at once. */
START_TEST(timeout_then_the_curve_starts_at_k_0)
{
	uint64_t t0;

	setup_cc(STACK_CC_CUBIC, true, 100000);
	t->cc.cwnd = 100 * MSS;
	fill();
	tcp_cc_timeout(h->s, t);
	CHECK_EQ(h, t->cc.ssthresh, 70 * MSS);
	CHECK_EQ(h, t->cc.cwnd, MSS);
	CHECK_EQ(h, t->cc.cubic->w_max, 0);
	CHECK_EQ(h, logged("CUBIC: timeout: ssthresh 99.8 KB (beta 0.7)"), 1);
	t->snd.una = t->snd.max;                        /* everything resent and acknowledged */
	fill();
	while (!t->cc.cubic->epoch)
		round_trip(100000);                     /* slow start, then the first CA ACK */
	t0 = t->cc.cubic->t_epoch;
	CHECK_EQ(h, t->cc.cubic->cwnd_epoch, 70 * MSS);
	CHECK_EQ(h, t->cc.cubic->w_max, 70 * MSS);
	CHECK_EQ(h, t->cc.cubic->k_ms, 0);
	CHECK_EQ(h, logged("W_max 99.8 KB, K 0.000 s"), 1);
	/* Reno's 9/17 segment a round trip leads at first; the convex curve,
	 * 0.4 t^3 segments, overtakes it near t = 3.7 s */
	while (h->s->now - t0 < 5000000) {
		double ts = (h->s->now - t0) / 1e6, want = w_cubic(ts, 0, 70);
		double est = t->cc.cubic->w_est;
		if (t->cc.cwnd + 2 * MSS < fmax(want, est) ||
		    t->cc.cwnd > fmax(w_cubic(ts + 0.1, 0, 70), est) + 1)
			h_fail(h, "t %.3f s: cwnd %u, W_cubic(t) %.0f, W_est %.0f", ts, t->cc.cwnd,
			       want, est);
		round_trip(100000);
	}
	CHECK_EQ(h, logged("CUBIC: convex region"), 1);
	CHECK_EQ(h, t->cc.cwnd / MSS >= 118, 1);       /* W_cubic(5 s) = 70 + 0.4 * 125 = 120 */
}
END_TEST

/* ---- spurious reductions, 4.9 ---- */

/* A reduction whose one retransmission comes back D-SACKed is undone: cwnd,
 * ssthresh and W_max as before, counted. */
START_TEST(dsack_of_every_retransmission_undoes_the_reduction)
{
	setup_cc(STACK_CC_CUBIC, true, 100000);
	t->cc.ssthresh = 80 * MSS;
	loss_at(100);
	t->sum.rexmt_fast++;                            /* the caller resent SND.UNA */
	recovery_over();
	CHECK_EQ(h, t->cc.cwnd, 70 * MSS);
	t->sack.dsacks_rcvd++;                          /* ... which the peer had */
	ack(MSS, 1000);
	CHECK_EQ(h, t->cc.ssthresh, 80 * MSS);
	CHECK_EQ(h, t->cc.cwnd >= 100 * MSS, 1);
	/* no loss before this one: no W_max to go back to, the curve starts at cwnd */
	CHECK_EQ(h, t->cc.cubic->w_max, 100 * MSS);
	expect_stat(h, STAT_SPURIOUS_UNDO, 1);
	CHECK_EQ(h, logged("CUBIC: D-SACKs for all 1 resent: reduction undone"), 1);
}
END_TEST

/* Two retransmissions, one D-SACK: one of them was needed, the reduction stays;
 * and once SND.UNA is past what recovery sent, a late D-SACK undoes nothing. */
START_TEST(dsack_of_some_retransmissions_keeps_the_reduction)
{
	setup_cc(STACK_CC_CUBIC, true, 100000);
	loss_at(100);
	t->sum.rexmt_fast += 2;
	recovery_over();
	t->sack.dsacks_rcvd++;
	ack(MSS, 1000);
	CHECK_EQ(h, t->cc.ssthresh, 70 * MSS);
	round_trip(100000);
	round_trip(100000);                             /* SND.UNA passes the mark */
	t->sack.dsacks_rcvd++;
	ack(MSS, 1000);
	CHECK_EQ(h, t->cc.ssthresh, 70 * MSS);
	expect_stat(h, STAT_SPURIOUS_UNDO, 0);
}
END_TEST

/* NewReno does not undo. */
START_TEST(newreno_does_not_undo)
{
	setup_cc(STACK_CC_NEWRENO, true, 100000);
	loss_at(100);
	t->sum.rexmt_fast++;
	recovery_over();
	t->sack.dsacks_rcvd++;
	ack(MSS, 1000);
	CHECK_EQ(h, t->cc.ssthresh, 50 * MSS);
	expect_stat(h, STAT_SPURIOUS_UNDO, 0);
}
END_TEST

/* ---- two stacks ---- */

/* A sends `bytes` to B over `delay_us` each way with `loss_ppm` loss each way (and
 * `reorder_ppm` reordering), both with 1 MiB buffers. Byte exact; returns the
 * virtual time taken and prints what happened. */
static uint64_t transfer(enum stack_cc cc, bool no_sack, uint32_t delay_us, uint32_t loss_ppm,
			 uint32_t reorder_ppm, uint32_t bytes, uint64_t *undos)
{
	struct stack_config ca = { .addr = PEER_IP, .msl_ms = 1000, .no_sack = no_sack,
				   .rcvbuf = 1024 * 1024, .cc = cc };
	struct stack_config cb = ca;
	struct impair_conf imp = { .loss = loss_ppm, .reorder = reorder_ppm,
				   .jitter_us = reorder_ppm ? 3000 : 0, .seed = 42 };
	static uint8_t buf[65536];
	struct sim *sim = sim_new(7, delay_us);
	struct stack *a, *b;
	uint64_t sent = 0, got = 0, t0;
	ssize_t r;
	int lh, ha, hb;

	cb.addr = STACK_IP;
	a = sim_stack(sim, sim_add(sim, &ca));
	b = sim_stack(sim, sim_add(sim, &cb));
	sim_set_impair(sim, 0, &imp);
	sim_set_impair(sim, 1, &imp);
	lh = tcp_listen(b, sim_now(sim), 9000, 4);
	ha = tcp_connect(a, sim_now(sim), STACK_IP, 9000, 0);
	while ((hb = tcp_accept(b, lh)) == -EAGAIN)
		sim_run_for(sim, 1000);
	t0 = sim_now(sim);
	while (got < bytes && sim_now(sim) - t0 < 1200000000ull) {
		for (; sent < bytes; sent += (uint64_t)r) {
			uint32_t n = bytes - sent < sizeof(buf) ? (uint32_t)(bytes - sent) : sizeof(buf);
			for (uint32_t i = 0; i < n; i++)
				buf[i] = (uint8_t)((sent + i) * 29 / 11);
			if ((r = tcp_send(a, sim_now(sim), ha, buf, n)) <= 0)
				break;
		}
		sim_run_for(sim, 1000);
		while ((r = tcp_recv(b, sim_now(sim), hb, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < r; i++, got++)
				ck_assert_uint_eq(buf[i], (uint8_t)(got * 29 / 11));
	}
	ck_assert_uint_eq(got, bytes);
	t0 = sim_now(sim) - t0;
	fprintf(stderr, "cubic: %u bytes, --cc %s%s, %u ms each way, %.1f%% loss%s: %.2f s of "
		"virtual time (%.2f Mbit/s), %llu retransmissions, %llu timeouts, %llu undone\n",
		bytes, cc == STACK_CC_CUBIC ? "cubic" : "newreno", no_sack ? " --no-sack" : "",
		delay_us / 1000, loss_ppm / 1e4, reorder_ppm ? ", reordering" : "", t0 / 1e6,
		bytes * 8.0 / t0, (unsigned long long)stack_stat(a, STAT_RETRANSMIT),
		(unsigned long long)stack_stat(a, STAT_RTO_TIMEOUT),
		(unsigned long long)stack_stat(a, STAT_SPURIOUS_UNDO));
	if (undos)
		*undos = stack_stat(a, STAT_SPURIOUS_UNDO);
	sim_free(sim);
	return t0;
}

START_TEST(two_stacks_through_loss_each_cc_with_and_without_sack)
{
	h = h_new();
	for (int cc = 0; cc < 2; cc++)
		for (int no_sack = 0; no_sack < 2; no_sack++) {
			transfer(cc ? STACK_CC_NEWRENO : STACK_CC_CUBIC, no_sack, 5000, 20000, 0,
				 1024 * 1024, NULL);
			transfer(cc ? STACK_CC_NEWRENO : STACK_CC_CUBIC, no_sack, 5000, 0, 0,
				 1024 * 1024, NULL);
		}
}
END_TEST

/* 1% loss each way, 10 ms each way (a 20 ms round trip): the figures in the README. */
START_TEST(two_stacks_one_percent_loss_20_ms_rtt_newreno_and_cubic)
{
	h = h_new();
	transfer(STACK_CC_NEWRENO, false, 10000, 10000, 0, 4 * 1024 * 1024, NULL);
	transfer(STACK_CC_CUBIC, false, 10000, 10000, 0, 4 * 1024 * 1024, NULL);
}
END_TEST

/* Reordering makes needless fast retransmits; their D-SACKs undo reductions. */
START_TEST(two_stacks_reordering_cubic_undoes_spurious_reductions)
{
	uint64_t undos;

	h = h_new();
	transfer(STACK_CC_CUBIC, false, 5000, 0, 50000, 2 * 1024 * 1024, &undos);
	ck_assert_uint_gt(undos, 0);
	transfer(STACK_CC_NEWRENO, false, 5000, 0, 50000, 2 * 1024 * 1024, &undos);
	ck_assert_uint_eq(undos, 0);
}
END_TEST

static void setup(void)
{
	h = NULL;
	t = NULL;
}

Suite *suite(void)
{
	Suite *s = suite_create("cubic");
	TCase *tc = tcase_create("cubic");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cube_root_is_the_integer_floor);
	tcase_add_test(tc, k_is_rfc_9438s_formula);
	tcase_add_test(tc, w_cubic_is_rfc_9438s_formula);
	tcase_add_test(tc, loss_reduces_by_beta_0_7_and_remembers_w_max);
	tcase_add_test(tc, three_dup_acks_reduce_by_beta_0_7);
	tcase_add_test(tc, newreno_halves_on_the_same_loss);
	tcase_add_test(tc, fast_convergence_lowers_w_max);
	tcase_add_test(tc, window_follows_w_cubic_concave_then_convex);
	tcase_add_test(tc, reno_friendly_region_takes_over_on_short_rtts);
	tcase_add_test(tc, timeout_then_the_curve_starts_at_k_0);
	tcase_add_test(tc, dsack_of_every_retransmission_undoes_the_reduction);
	tcase_add_test(tc, dsack_of_some_retransmissions_keeps_the_reduction);
	tcase_add_test(tc, newreno_does_not_undo);
	tcase_add_test(tc, two_stacks_through_loss_each_cc_with_and_without_sack);
	tcase_add_test(tc, two_stacks_one_percent_loss_20_ms_rtt_newreno_and_cubic);
	tcase_add_test(tc, two_stacks_reordering_cubic_undoes_spurious_reductions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

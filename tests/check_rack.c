/* check_rack.c - RACK-TLP (RFC 8985), stories with a scripted peer in virtual time:
 * a segment is deemed lost by time (RACK.rtt + reo_wnd after it left, once a later one
 * was delivered), not by counting duplicate ACKs; reordering inside the window is no
 * loss; a D-SACK widens the window; a lost retransmission is found and sent again
 * without an RTO; a lost tail is repaired by a tail loss probe (PTO = 2*SRTT, plus the
 * worst-case delayed ACK for one segment, capped by the RTO) without an RTO, and a
 * probe that repaired the only loss is counted (7.4); --no-rack gives the old
 * behaviour: the RTO in the same story. Then two stacks through 5% loss each way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "seq.h"
#include "tcp_rack.h"
#include "impair.h"
#include "sim.h"

#define MSS 1460u
#define STEP_MS 10u                /* each ACK of the slow start comes 10 ms later */

static struct harness *h;
static char data[70000];

static void setup(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + (i * 7 + i / 26) % 26);
	h = NULL;
}
static void teardown(void) { if (h) h_free(h); }

static void stack_with(bool no_rack)
{
	struct stack_config cfg = h_config(0);

	cfg.no_timestamps = 1;         /* 4 SACK blocks fit; RACK needs no timestamps */
	cfg.no_rack = no_rack;
	h = h_new_config(&cfg);
	h_say(h, "stack: --no-timestamps%s", no_rack ? " --no-rack" : "");
}

static void peer_seg(uint8_t flags, uint32_t seq, uint32_t ack, const struct seg *opt)
{
	struct seg sg = opt ? *opt : (struct seg){ 0 };

	sg.src = PEER_IP;
	sg.dst = STACK_IP;
	sg.sport = PEER_PORT;
	sg.dport = h->lport;
	sg.seq = seq;
	sg.ack = ack;
	sg.flags = flags;
	sg.wnd = 65535;
	sg.mss = (flags & TH_SYN) ? 1460 : 0;
	h_say(h, "peer: %s seq %u ack %u, %d SACK blocks", (flags & TH_SYN) ? "SYN" : "segment",
	      seq, ack, sg.n_sack);
	peer_sends_seg(h, &sg);
}

/* Passive open, the peer's SYN offering SACK; the handshake takes 10 ms. */
static void passive_open(void)
{
	struct seg opt = { .sack_ok = true };

	h_listen(h);
	peer_seg(TH_SYN, IRS, 0, &opt);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	advance_ms(h, STEP_MS);                      /* a first RTT sample of 10 ms */
	peer_seg(TH_ACK, IRS + 1, ISS + 1, NULL);
	expect_state(h, TCP_ESTABLISHED);
	h->h = tcp_accept(h->s, h->lh);
	if (h->h < 0)
		h_fail(h, "accept failed: %d", h->h);
}

/* The peer acknowledges `ack` (in MSS from the first data byte) with n SACK blocks. */
static void peer_sacks(uint32_t ack, int n, const uint32_t *edges)
{
	struct seg opt = { .n_sack = (uint8_t)n };

	for (int i = 0; i < n; i++) {
		opt.sack[i].start = ISS + 1 + edges[2 * i] * MSS;
		opt.sack[i].end = ISS + 1 + edges[2 * i + 1] * MSS;
	}
	peer_seg(TH_ACK, IRS + 1, ISS + 1 + ack * MSS, &opt);
}

static void expect_data(uint32_t seg)
{
	expect_sent(h, TH_ACK, ISS + 1 + seg * MSS, IRS + 1, MSS);
}

static struct tcp_status status(void)
{
	struct tcp_status st;

	CHECK_EQ(h, tcp_status(h->s, h->h, &st), 0);
	h_say(h, "status: cwnd %u ssthresh %u recovery %d srtt %u us rto %u ms", st.cwnd,
	      st.ssthresh, st.in_recovery, st.srtt_us, st.rto_ms);
	return st;
}

/* The data segments sent since, all of MSS bytes: how many, and how many at `seg`. */
static int drain(uint32_t seg, int *at_seg)
{
	int n = 0;

	while (sent_pending(h)) {
		struct seg sg = expect_sent(h, TH_ACK, peek_sent(h).seq, IRS + 1, MSS);
		n++;
		if (at_seg && sg.seq == ISS + 1 + seg * MSS)
			(*at_seg)++;
	}
	return n;
}

/* Slow start, one ACK every 10 ms, each for one segment, until segments 9..20 are in
 * flight (9 and 10 left together at 40 ms, the last at 90 ms). */
static void twelve_in_flight(bool no_rack)
{
	stack_with(no_rack);
	passive_open();
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 40 * MSS), 40 * MSS);
	CHECK_EQ(h, drain(0, NULL), 3);
	for (uint32_t i = 1; i <= 9; i++) {
		advance_ms(h, STEP_MS);
		peer_sacks(i, 0, NULL);
		CHECK_EQ(h, drain(0, NULL), 2);
	}
	advance_ms(h, STEP_MS);
}

/* 9 is lost, the peer has 10: that alone says nothing yet; 9 is deemed lost when it
 * has had RACK.rtt + reo_wnd since it left (reo_wnd = min_RTT/4 = 2.5 ms: no
 * reordering seen, fewer than DupThresh segments SACKed). No duplicate ACK count. */
START_TEST(established_rack_marks_a_loss_by_time_after_the_reordering_window)
{
	uint32_t e[] = { 10, 11 };
	int nine = 0;

	twelve_in_flight(false);
	peer_sacks(9, 1, e);
	expect_data(21);                                     /* limited transmit (RFC 3042) */
	expect_nothing_sent(h);
	CHECK_EQ(h, status().in_recovery, 0);
	advance_ms(h, 2);
	expect_nothing_sent(h);                              /* inside reo_wnd: maybe reordering */
	expect_stat(h, STAT_RACK_LOSS, 0);
	advance_ms(h, 1);                                    /* the reordering timer: 2.5 ms */
	expect_data(9);
	drain(9, &nine);
	CHECK_EQ(h, nine, 0);
	expect_stat(h, STAT_RACK_LOSS, 1);
	CHECK_EQ(h, status().in_recovery, 1);
	expect_stat(h, STAT_RTO_TIMEOUT, 0);
}
END_TEST

/* The same, but 9 arrives 2 ms late: reordering inside the window is no loss. */
START_TEST(established_rack_reordering_inside_the_window_is_no_loss)
{
	uint32_t e[] = { 10, 11 };

	twelve_in_flight(false);
	peer_sacks(9, 1, e);
	expect_data(21);
	advance_ms(h, 2);
	peer_sacks(11, 0, NULL);                             /* 9 came after all */
	drain(0, NULL);
	advance_ms(h, 5);
	CHECK_EQ(h, drain(9, NULL) >= 0, 1);
	expect_stat(h, STAT_RACK_LOSS, 0);
	expect_stat(h, STAT_RETRANSMIT, 0);
	CHECK_EQ(h, status().in_recovery, 0);
}
END_TEST

/* 11 left 10 ms after 9: once it is SACKed, 9 is lost at once (10 ms > reo_wnd). */
START_TEST(established_rack_a_segment_sent_well_before_a_delivered_one_is_lost_at_once)
{
	uint32_t e1[] = { 10, 11 }, e2[] = { 10, 12 };

	twelve_in_flight(false);
	peer_sacks(9, 1, e1);
	expect_data(21);
	expect_stat(h, STAT_RACK_LOSS, 0);
	peer_sacks(9, 1, e2);
	expect_stat(h, STAT_RACK_LOSS, 1);
	expect_data(9);
	CHECK_EQ(h, status().in_recovery, 1);
	expect_stat(h, STAT_DUPACK, 2);                      /* two duplicate ACKs were enough */
}
END_TEST

/* RFC 8985 6.2 step 4: 9 is only late, by more than reo_wnd: RACK resends it, and the
 * peer, having both copies, sends a D-SACK. The reordering window doubles (2 *
 * min_RTT/4 = 5 ms) and stays so after the recovery: the next segment SACKed past a
 * hole waits 5 ms, not 2.5, before the hole is deemed lost. */
START_TEST(established_rack_dsack_widens_the_reordering_window)
{
	uint32_t e[] = { 10, 11 }, d[] = { 9, 10 }, e2[2];
	uint32_t first = 0;
	int n;

	twelve_in_flight(false);
	peer_sacks(9, 1, e);
	expect_data(21);
	advance_ms(h, 3);
	expect_data(9);                                      /* deemed lost: resent */
	drain(0, NULL);
	advance_ms(h, 1);
	peer_sacks(11, 0, NULL);                             /* the first 9 arrives */
	drain(0, NULL);
	advance_ms(h, STEP_MS);
	peer_sacks(11, 1, d);                                /* and the second: a D-SACK */
	expect_stat(h, STAT_DSACK_RCVD, 1);
	drain(0, NULL);
	peer_sacks(22, 0, NULL);                             /* all: RecoveryPoint */
	CHECK_EQ(h, status().in_recovery, 0);
	n = 0;
	while (sent_pending(h)) {
		struct seg sg = expect_sent(h, TH_ACK, peek_sent(h).seq, IRS + 1, MSS);
		if (n++ == 0)
			first = (sg.seq - ISS - 1) / MSS;
	}
	CHECK_EQ(h, n >= 2, 1);                              /* first and first + 1 left together */
	advance_ms(h, STEP_MS);
	e2[0] = first + 1;
	e2[1] = first + 2;
	peer_sacks(first, 1, e2);
	drain(0, NULL);
	advance_ms(h, 3);
	expect_nothing_sent(h);                              /* 2.5 ms would have been too short */
	expect_stat(h, STAT_RACK_LOSS, 1);
	advance_ms(h, 3);
	expect_data(first);                                  /* 5 ms: now it is lost */
	expect_stat(h, STAT_RACK_LOSS, 2);
}
END_TEST

/* The retransmission of 9 is lost too. Data sent after it is SACKed a round trip later:
 * RACK deems the retransmission lost by the same rule and 9 goes a third time, in the
 * same recovery, without waiting for the RTO. */
START_TEST(established_rack_lost_retransmission_is_resent_without_rto)
{
	uint32_t e[] = { 10, 11 }, e2[] = { 10, 0 }, first = 0;
	int nine = 0, n;

	twelve_in_flight(false);
	peer_sacks(9, 1, e);
	expect_data(21);
	advance_ms(h, 3);
	expect_data(9);                                      /* lost by time: resent ... */
	drain(9, &nine);
	CHECK_EQ(h, nine, 0);
	advance_ms(h, STEP_MS);                              /* ... and lost again */
	for (uint32_t top = 12; top <= 22; top++) {          /* 10..21 arrive, one ACK each */
		e2[1] = top;
		peer_sacks(9, 1, e2);
		n = drain(9, &nine);
		if (n && !first)
			first = top;
	}
	CHECK_EQ(h, nine, 0);
	CHECK_EQ(h, first != 0, 1);                          /* new data went after the resend */
	expect_stat(h, STAT_RACK_LOSS, 1);
	advance_ms(h, STEP_MS);
	e2[1] = 23;                                          /* 22, sent after 9's resend */
	peer_sacks(9, 1, e2);
	drain(9, &nine);
	CHECK_EQ(h, nine, 1);                                /* 9 a third time */
	expect_stat(h, STAT_RACK_LOSS, 2);
	expect_stat(h, STAT_RTO_TIMEOUT, 0);
	CHECK_EQ(h, status().in_recovery, 1);
}
END_TEST

/* Six segments; after 0..3 are acknowledged 4 and 5 are lost: the tail. */
static void lost_tail(bool no_rack)
{
	stack_with(no_rack);
	passive_open();
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 6 * MSS), 6 * MSS);
	CHECK_EQ(h, drain(0, NULL), 3);                      /* IW 3 */
	advance_ms(h, STEP_MS);
	peer_sacks(1, 0, NULL);
	CHECK_EQ(h, drain(0, NULL), 2);                      /* 3, 4 */
	advance_ms(h, STEP_MS);
	peer_sacks(2, 0, NULL);
	CHECK_EQ(h, drain(0, NULL), 1);                      /* 5: all sent */
	advance_ms(h, STEP_MS);
	peer_sacks(4, 0, NULL);                              /* 4 and 5 never arrive */
	expect_nothing_sent(h);
}

/* RFC 8985 7: two segments in flight, no ACK comes: after PTO = 2*SRTT the last
 * segment goes again (no new data to send). Its SACK shows 4 lost: RACK resends it
 * (the recovery that follows answers for the loss, as in Linux). No RTO. */
START_TEST(established_tlp_probe_repairs_a_lost_tail_without_rto)
{
	uint32_t e[] = { 5, 6 }, pto_ms;
	struct tcp_status st;

	lost_tail(false);
	st = status();
	pto_ms = (2 * st.srtt_us + 999) / 1000;
	CHECK_EQ(h, pto_ms < st.rto_ms, 1);
	advance_ms(h, pto_ms - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_data(5);                                      /* the probe: the last segment */
	expect_stat(h, STAT_TLP_PROBE, 1);
	advance_ms(h, STEP_MS);
	peer_sacks(4, 1, e);                                 /* the probe arrived, 4 did not */
	expect_data(4);
	expect_stat(h, STAT_RACK_LOSS, 1);
	peer_sacks(6, 0, NULL);
	advance_ms(h, 1000);
	expect_nothing_sent(h);
	expect_stat(h, STAT_RTO_TIMEOUT, 0);
}
END_TEST

/* RFC 8985 7.4: only the last segment is lost and the probe (that segment again)
 * repairs it. An ACK of exactly TLP.end_seq says nothing yet (as Linux); the next one
 * past it, with no D-SACK of the probe, shows a loss was repaired: counted, and
 * congestion control answers as for any loss. No RTO. */
START_TEST(established_tlp_probe_that_repaired_the_only_loss_is_counted)
{
	struct tcp_status st;

	stack_with(false);
	passive_open();
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 6 * MSS), 6 * MSS);
	CHECK_EQ(h, drain(0, NULL), 3);
	advance_ms(h, STEP_MS);
	peer_sacks(1, 0, NULL);
	CHECK_EQ(h, drain(0, NULL), 2);
	advance_ms(h, STEP_MS);
	peer_sacks(2, 0, NULL);
	CHECK_EQ(h, drain(0, NULL), 1);
	advance_ms(h, STEP_MS);
	peer_sacks(5, 0, NULL);                              /* 5, the last, never arrives */
	st = status();
	advance_ms(h, st.rto_ms);
	expect_data(5);                                      /* the probe, not a timeout */
	expect_stat(h, STAT_TLP_PROBE, 1);
	advance_ms(h, STEP_MS);
	peer_sacks(6, 0, NULL);
	expect_stat(h, STAT_TLP_LOSS, 0);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, MSS), MSS);
	expect_data(6);
	advance_ms(h, STEP_MS);
	peer_sacks(7, 0, NULL);
	expect_stat(h, STAT_TLP_LOSS, 1);
	CHECK_EQ(h, status().cwnd < st.cwnd, 1);
	expect_stat(h, STAT_RTO_TIMEOUT, 0);
}
END_TEST

/* --no-rack: the same lost tail waits for the RTO, as before RACK-TLP. */
START_TEST(established_no_rack_lost_tail_waits_for_the_rto)
{
	struct tcp_status st;

	lost_tail(true);
	st = status();
	advance_ms(h, st.rto_ms - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_data(4);
	expect_stat(h, STAT_RTO_TIMEOUT, 1);
	expect_stat(h, STAT_TLP_PROBE, 0);
	expect_stat(h, STAT_RACK_LOSS, 0);
}
END_TEST

/* One segment in flight: PTO = 2*SRTT + WCDelAckT (200 ms), but never after the RTO
 * would fire: at that moment the probe goes instead of a timeout. */
START_TEST(established_tlp_one_segment_pto_adds_the_delayed_ack_capped_by_rto)
{
	struct tcp_status st;
	uint32_t pto_ms;

	stack_with(false);
	passive_open();
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, MSS), MSS);
	drain(0, NULL);
	advance_ms(h, STEP_MS);
	peer_sacks(1, 0, NULL);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data + MSS, MSS), MSS);
	expect_data(1);
	st = status();
	pto_ms = (2 * st.srtt_us + RACK_WCDELACKT_MS * 1000 + 999) / 1000;
	if (pto_ms > st.rto_ms)
		pto_ms = st.rto_ms;
	h_say(h, "PTO %u ms", pto_ms);
	advance_ms(h, pto_ms - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_data(1);
	expect_stat(h, STAT_TLP_PROBE, 1);
	expect_stat(h, STAT_RTO_TIMEOUT, 0);
}
END_TEST

/* ---- two stacks on the in-memory wire ---- */

struct counts { uint64_t rto, rack, tlp, rexmt, us; };

/* A sends `bytes` to B over 10 ms each way, 5% loss each way (seeded: the same losses
 * every run); B checks every byte. A's counters. */
static struct counts lossy_transfer(bool no_rack, uint32_t bytes)
{
	struct stack_config ca = { .addr = PEER_IP, .msl_ms = 1000, .no_rack = no_rack,
				   .rcvbuf = 1024 * 1024 };
	struct stack_config cb = ca;
	struct impair_conf imp = { .loss = 50000, .seed = 13 };
	static uint8_t buf[65536];
	struct sim *sim = sim_new(7, 10000);
	struct stack *a, *b;
	uint64_t sent = 0, got = 0, t0;
	struct counts c;
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
	while (got < bytes && sim_now(sim) - t0 < 600000000ull) {
		for (; sent < bytes; sent += (uint64_t)r) {
			uint32_t n = bytes - sent < sizeof(buf) ? (uint32_t)(bytes - sent) : sizeof(buf);
			for (uint32_t i = 0; i < n; i++)
				buf[i] = (uint8_t)((sent + i) * 31 / 7);
			if ((r = tcp_send(a, sim_now(sim), ha, buf, n)) <= 0)
				break;
		}
		sim_run_for(sim, 1000);
		while ((r = tcp_recv(b, sim_now(sim), hb, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < r; i++, got++)
				ck_assert_uint_eq(buf[i], (uint8_t)(got * 31 / 7));
	}
	ck_assert_uint_eq(got, bytes);
	c = (struct counts){ stack_stat(a, STAT_RTO_TIMEOUT), stack_stat(a, STAT_RACK_LOSS),
			     stack_stat(a, STAT_TLP_PROBE), stack_stat(a, STAT_RETRANSMIT),
			     sim_now(sim) - t0 };
	fprintf(stderr, "rack: %u bytes, 5%% loss each way, %s: %.2f s of virtual time, %llu "
		"retransmissions, %llu timeouts, %llu RACK losses, %llu TLP probes\n", bytes,
		no_rack ? "--no-rack" : "RACK-TLP", c.us / 1e6, (unsigned long long)c.rexmt,
		(unsigned long long)c.rto, (unsigned long long)c.rack, (unsigned long long)c.tlp);
	sim_free(sim);
	return c;
}

/* Both arrive intact; RACK-TLP finds losses and probes tails, --no-rack never does, and
 * RACK-TLP needs fewer timeouts for the same losses. */
START_TEST(two_stacks_random_loss_rack_needs_fewer_timeouts)
{
	struct counts with, without;

	h = h_new();
	with = lossy_transfer(false, 4 * 1024 * 1024);
	without = lossy_transfer(true, 4 * 1024 * 1024);
	ck_assert_uint_gt(with.rack, 0);
	ck_assert_uint_gt(with.tlp, 0);
	ck_assert_uint_eq(without.rack + without.tlp, 0);
	ck_assert_uint_lt(with.rto, without.rto);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("rack");
	TCase *tc = tcase_create("rack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, established_rack_marks_a_loss_by_time_after_the_reordering_window);
	tcase_add_test(tc, established_rack_reordering_inside_the_window_is_no_loss);
	tcase_add_test(tc, established_rack_a_segment_sent_well_before_a_delivered_one_is_lost_at_once);
	tcase_add_test(tc, established_rack_dsack_widens_the_reordering_window);
	tcase_add_test(tc, established_rack_lost_retransmission_is_resent_without_rto);
	tcase_add_test(tc, established_tlp_probe_repairs_a_lost_tail_without_rto);
	tcase_add_test(tc, established_tlp_probe_that_repaired_the_only_loss_is_counted);
	tcase_add_test(tc, established_no_rack_lost_tail_waits_for_the_rto);
	tcase_add_test(tc, established_tlp_one_segment_pto_adds_the_delayed_ack_capped_by_rto);
	tcase_add_test(tc, two_stacks_random_loss_rack_needs_fewer_timeouts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

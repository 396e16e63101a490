/* check_ts.c - the timestamps option, RFC 7323 3-5, stories with a scripted peer:
 * TSopt on the SYNs only when both offer it (3.2), never with --no-timestamps; then on
 * every segment but a RST, echoing TS.Recent, which only a segment at or before
 * Last.ACK.sent updates (4.3); 12 bytes less data per segment (RFC 6691); an RTT
 * sample from every ACK that moves SND.UNA (RTTM, 4); PAWS drops an old timestamp
 * and answers it (5.3), except after 24 days idle (5.5) or on a RST; a segment
 * without TSopt is dropped (3.2). And two stacks on the wire, timestamps on and off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "seq.h"
#include "sim.h"

#define MSS 1460u

static struct harness *h;
static char data[8000];
static uint32_t peer_ts;                 /* the peer's clock, TSval of its next segment */
static uint32_t stack_ts;                /* the last TSval the stack sent */

static void setup(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	h = NULL;
	peer_ts = 1000;
}
static void teardown(void) { if (h) h_free(h); }

static void stack_with(bool no_ts)
{
	struct stack_config cfg = h_config(0);

	cfg.no_timestamps = no_ts;
	cfg.no_sack = 1;
	h = h_new_config(&cfg);
	h_say(h, "stack:%s", no_ts ? " --no-timestamps" : "");
}

/* A segment from the peer, with TSopt (TSval tsval, TSecr the stack's last) if ts. */
static void peer_seg_ts(uint8_t flags, uint32_t seq, uint32_t ack, const char *d, uint32_t n,
			bool ts, uint32_t tsval)
{
	struct seg sg = {
		.src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = h->lport,
		.seq = seq, .ack = ack, .flags = flags, .wnd = 65535,
		.mss = (flags & TH_SYN) ? 1460 : 0, .data = (const uint8_t *)d, .dlen = n,
		.has_ts = ts, .ts_val = tsval, .ts_ecr = (flags & TH_ACK) ? stack_ts : 0,
	};

	h_say(h, "peer: seq %u ack %u len %u%s TSval %u", seq, ack, n, ts ? "" : " (no TSopt)", tsval);
	peer_sends_seg(h, &sg);
}

static void peer_seg(uint8_t flags, uint32_t seq, uint32_t ack, const char *d, uint32_t n)
{
	peer_seg_ts(flags, seq, ack, d, n, true, peer_ts);
}

/* The stack's next segment, its TSval remembered. */
static struct seg expect_ts(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t n)
{
	struct seg sg = expect_sent(h, flags, seq, ack, n);

	if (sg.has_ts)
		stack_ts = sg.ts_val;
	return sg;
}

/* Passive open, the peer's SYN with TSopt if ts. Returns the SYN,ACK. */
static struct seg passive_open(bool ts)
{
	struct seg synack;

	h_listen(h);
	peer_seg_ts(TH_SYN, IRS, 0, NULL, 0, ts, peer_ts);
	synack = expect_ts(TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_seg_ts(TH_ACK, IRS + 1, ISS + 1, NULL, 0, ts, peer_ts);
	expect_state(h, TCP_ESTABLISHED);
	h->h = tcp_accept(h->s, h->lh);
	if (h->h < 0)
		h_fail(h, "accept failed: %d", h->h);
	return synack;
}

START_TEST(listen_syn_with_ts_gets_a_syn_ack_echoing_it)
{
	struct seg sa;

	stack_with(false);
	sa = passive_open(true);
	CHECK_EQ(h, sa.has_ts, true);
	CHECK_EQ(h, sa.ts_ecr, 1000);
	CHECK_EQ(h, strstr(h->log, "TS val ") != NULL, 1);   /* -v: as tcpdump prints it */
	CHECK_EQ(h, strstr(h->log, " ecr 1000]") != NULL, 1);
	{
		struct tcp_status st;                        /* what tuntcp-ss shows: ts */
		CHECK_EQ(h, tcp_status(h->s, h->h, &st), 0);
		CHECK_EQ(h, st.ts_ok, 1);
		CHECK_EQ(h, st.mss, 1460 - 12);
	}
}
END_TEST

START_TEST(listen_syn_without_ts_gets_none_and_data_carries_none)
{
	stack_with(false);
	CHECK_EQ(h, passive_open(false).has_ts, false);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 2000), 2000);
	CHECK_EQ(h, expect_ts(TH_ACK, ISS + 1, IRS + 1, MSS).has_ts, false);
}
END_TEST

START_TEST(no_timestamps_neither_offers_nor_answers)
{
	stack_with(true);
	CHECK_EQ(h, passive_open(true).has_ts, false);
	peer_seg_ts(TH_ACK, IRS + 1, ISS + 1, data, 10, false, 0);   /* not dropped */
	CHECK_EQ(h, expect_ts(TH_ACK, ISS + 1, IRS + 11, 0).has_ts, false);
	expect_stat(h, STAT_DROP_TCP_NO_TS, 0);
}
END_TEST

/* Every segment carries TSopt, data is MSS - 12 bytes per segment, and the ACK
 * of the peer's data echoes its TSval. */
START_TEST(established_data_segments_carry_ts_and_are_12_bytes_shorter)
{
	struct seg sg;

	stack_with(false);
	passive_open(true);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 2000), 2000);
	sg = expect_ts(TH_ACK, ISS + 1, IRS + 1, MSS - 12);
	CHECK_EQ(h, sg.has_ts, true);
	CHECK_EQ(h, sg.ts_ecr, 1000);
	expect_ts(TH_ACK, ISS + 1 + MSS - 12, IRS + 1, 2000 - (MSS - 12));
	peer_ts = 1010;
	peer_seg(TH_ACK, IRS + 1, ISS + 2001, data, 100);
	CHECK_EQ(h, expect_ts(TH_ACK, ISS + 2001, IRS + 101, 0).ts_ecr, 1010);
}
END_TEST

/* RFC 7323 4.3: a segment past a hole (after Last.ACK.sent) does not update
 * TS.Recent; the one that fills the hole does. */
START_TEST(established_ts_recent_only_from_segments_at_last_ack_sent)
{
	stack_with(false);
	passive_open(true);
	peer_ts = 2000;
	peer_seg(TH_ACK, IRS + 1 + 100, ISS + 1, data, 100);        /* past a hole */
	CHECK_EQ(h, expect_ts(TH_ACK, ISS + 1, IRS + 1, 0).ts_ecr, 1000);
	peer_ts = 2001;
	peer_seg(TH_ACK, IRS + 1, ISS + 1, data, 100);              /* fills it */
	CHECK_EQ(h, expect_ts(TH_ACK, ISS + 1, IRS + 201, 0).ts_ecr, 2001);
}
END_TEST

/* RFC 7323 5.3: an older TSval is an old duplicate: dropped, answered by an ACK. */
START_TEST(established_paws_drops_an_old_timestamp_and_acks)
{
	stack_with(false);
	passive_open(true);
	peer_ts = 5000;
	peer_seg(TH_ACK, IRS + 1, ISS + 1, data, 100);
	expect_ts(TH_ACK, ISS + 1, IRS + 101, 0);
	peer_seg_ts(TH_ACK, IRS + 101, ISS + 1, data, 100, true, 4999);   /* older */
	CHECK_EQ(h, expect_ts(TH_ACK, ISS + 1, IRS + 101, 0).ts_ecr, 5000);
	expect_stat(h, STAT_DROP_TCP_PAWS, 1);
	peer_seg_ts(TH_ACK, IRS + 101, ISS + 1, data, 100, true, 5000);   /* equal: taken */
	expect_ts(TH_ACK, ISS + 1, IRS + 201, 0);
}
END_TEST

/* TS wraps like sequence numbers: 5 after 0xfffffff0 is newer. */
START_TEST(established_paws_compares_timestamps_modulo_2_32)
{
	stack_with(false);
	peer_ts = 0xfffffff0u;
	passive_open(true);
	peer_seg_ts(TH_ACK, IRS + 1, ISS + 1, data, 100, true, 5);
	expect_ts(TH_ACK, ISS + 1, IRS + 101, 0);
	expect_stat(h, STAT_DROP_TCP_PAWS, 0);
}
END_TEST

/* RFC 7323 5.5: after more than 24 days without a segment TS.Recent is invalid, so
 * an older TSval is taken (and becomes TS.Recent); after 23 days it is not. */
START_TEST(established_paws_24_day_idle_rule)
{
	stack_with(false);
	passive_open(true);
	peer_ts = 5000;
	peer_seg(TH_ACK, IRS + 1, ISS + 1, data, 10);
	expect_ts(TH_ACK, ISS + 1, IRS + 11, 0);
	advance_ms(h, 23ull * 24 * 3600 * 1000);
	peer_seg_ts(TH_ACK, IRS + 11, ISS + 1, data, 10, true, 4000);
	expect_ts(TH_ACK, ISS + 1, IRS + 11, 0);
	expect_stat(h, STAT_DROP_TCP_PAWS, 1);
	advance_ms(h, 2ull * 24 * 3600 * 1000);                       /* 25 days idle */
	peer_seg_ts(TH_ACK, IRS + 11, ISS + 1, data, 10, true, 4000);
	CHECK_EQ(h, expect_ts(TH_ACK, ISS + 1, IRS + 21, 0).ts_ecr, 4000);
	expect_stat(h, STAT_DROP_TCP_PAWS, 1);
	expect_stat(h, STAT_TS_PAWS_IDLE, 1);
}
END_TEST

/* A RST is never judged by its timestamp (RFC 7323 5.3 R1). */
START_TEST(established_rst_with_an_old_timestamp_still_resets)
{
	stack_with(false);
	peer_ts = 5000;
	passive_open(true);
	peer_seg_ts(TH_RST, IRS + 1, 0, NULL, 0, true, 1);
	expect_state(h, TCP_CLOSED);
}
END_TEST

/* RFC 7323 3.2: once agreed, a non-RST segment without TSopt is dropped silently. */
START_TEST(established_segment_without_ts_is_dropped)
{
	stack_with(false);
	passive_open(true);
	peer_seg_ts(TH_ACK, IRS + 1, ISS + 1, data, 10, false, 0);
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_NO_TS, 1);
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, (char[16]){ 0 }, 16), -EAGAIN);
}
END_TEST

/* RTTM: each ACK that moves SND.UNA gives a sample, now - TSecr: here two in one
 * flight (the classic method times one segment a flight). */
START_TEST(established_rttm_one_sample_per_ack_from_the_echo)
{
	uint32_t t0, t1;

	stack_with(false);
	passive_open(true);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 100), 100);
	t0 = expect_ts(TH_ACK, ISS + 1, IRS + 1, 100).ts_val;
	advance_ms(h, 10);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 100), 100);   /* Nagle off: goes */
	t1 = expect_ts(TH_ACK, ISS + 101, IRS + 1, 100).ts_val;
	CHECK_EQ(h, t1 - t0, 10);                                      /* 1 ms ticks */
	advance_ms(h, 30);
	stack_ts = t0;
	peer_seg(TH_ACK, IRS + 1, ISS + 101, NULL, 0);
	CHECK_EQ(h, strstr(h->log, "rtt: sample 40.000 ms") != NULL, 1);
	advance_ms(h, 5);
	stack_ts = t1;
	peer_seg(TH_ACK, IRS + 1, ISS + 201, NULL, 0);
	CHECK_EQ(h, strstr(h->log, "rtt: sample 35.000 ms") != NULL, 1);
}
END_TEST

/* A retransmission's ACK echoes the copy that arrived: still a sample (RFC 7323 4.1),
 * where Karn's rule would give none. */
START_TEST(established_rttm_samples_the_ack_of_a_retransmission)
{
	uint32_t t;

	stack_with(false);
	passive_open(true);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 100), 100);
	expect_ts(TH_ACK, ISS + 1, IRS + 1, 100);
	advance_ms(h, RTO_MS);
	t = expect_ts(TH_ACK, ISS + 1, IRS + 1, 100).ts_val;          /* resent */
	advance_ms(h, 20);
	stack_ts = t;
	peer_seg(TH_ACK, IRS + 1, ISS + 101, NULL, 0);
	CHECK_EQ(h, strstr(h->log, "rtt: sample 20.000 ms") != NULL, 1);
}
END_TEST

/* ---- RFC 6191: a new SYN in TIME-WAIT ---- */

/* A passive connection (timestamps if ts) the stack closes first: TIME-WAIT. */
static void time_wait(bool ts)
{
	passive_open(ts);
	CHECK_EQ(h, user_close(h), 0);
	expect_ts(TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	peer_ts += 10;
	peer_seg_ts(TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0, ts, peer_ts);
	expect_ts(TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
}

/* SHLD-4: the listener answers the new SYN (a higher TSval, any sequence number):
 * the old connection leaves TIME-WAIT at once. */
START_TEST(time_wait_syn_with_a_newer_timestamp_opens_a_new_connection)
{
	stack_with(false);
	time_wait(true);
	peer_seg_ts(TH_SYN, IRS - 5000, 0, NULL, 0, true, peer_ts + 1);   /* an older ISN */
	expect_ts(TH_SYN | TH_ACK, ISS, IRS - 4999, 0);
	expect_state(h, TCP_SYN_RECEIVED);
	CHECK_EQ(h, strstr(h->log, "TIME-WAIT -> CLOSED (rcvd a newer SYN in TIME-WAIT) "
			   "[RFC 6191]") != NULL, 1);
}
END_TEST

/* An old TSval: not a new incarnation; TIME-WAIT stays, PAWS drops the SYN and
 * answers with an ACK. */
START_TEST(time_wait_syn_with_an_old_timestamp_keeps_time_wait)
{
	stack_with(false);
	time_wait(true);
	peer_seg_ts(TH_SYN, IRS + 100000, 0, NULL, 0, true, peer_ts - 1);
	expect_ts(TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
	expect_stat(h, STAT_DROP_TCP_PAWS, 1);
}
END_TEST

/* Without timestamps the sequence number decides (RFC 6191 2, RFC 1122 4.2.2.13);
 * a SYN below RCV.NXT gets RFC 5961 4.2's challenge ACK, as before. */
START_TEST(time_wait_without_timestamps_a_syn_past_rcv_nxt_opens_a_new_connection)
{
	stack_with(true);
	time_wait(false);
	peer_seg_ts(TH_SYN, IRS + 1, 0, NULL, 0, false, 0);             /* below RCV.NXT */
	expect_ts(TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
	peer_seg_ts(TH_SYN, IRS + 100000, 0, NULL, 0, false, 0);
	expect_ts(TH_SYN | TH_ACK, ISS, IRS + 100001, 0);
	expect_state(h, TCP_SYN_RECEIVED);
}
END_TEST

/* ---- two stacks ---- */

static int rtt_samples;

static void count_rtt(void *ctx, int stack, const struct trace_event *ev)
{
	(void)ctx;
	if (stack == 0 && ev->kind == TRACE_RTT)
		rtt_samples++;
}

/* A sends 1 MiB to B over 10 ms each way with 1% loss; returns A's RTT samples. */
static int sim_transfer(bool no_ts)
{
	struct stack_config ca = { .addr = PEER_IP, .msl_ms = 1000, .no_timestamps = no_ts };
	struct stack_config cb = ca;
	struct impair_conf imp = { .loss = 10000, .seed = 9 };
	static uint8_t buf[16384];
	struct sim *sim = sim_new(3, 10000);
	struct stack *a, *b;
	uint64_t sent = 0, got = 0, bytes = 1024 * 1024;
	int ha, hb, lh;
	ssize_t r;

	cb.addr = STACK_IP;
	a = sim_stack(sim, sim_add(sim, &ca));
	b = sim_stack(sim, sim_add(sim, &cb));
	sim_set_impair(sim, 0, &imp);
	sim_set_impair(sim, 1, &imp);
	rtt_samples = 0;
	sim_set_trace(sim, count_rtt, NULL);
	lh = tcp_listen(b, sim_now(sim), 9000, 4);
	ha = tcp_connect(a, sim_now(sim), STACK_IP, 9000, 0);
	while ((hb = tcp_accept(b, lh)) == -EAGAIN)
		sim_run_for(sim, 1000);
	while (!(got == bytes && sent == bytes) && sim_now(sim) < 300000000ull) {
		for (; sent < bytes; sent += (uint64_t)r) {
			size_t n = bytes - sent < sizeof(buf) ? (size_t)(bytes - sent) : sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)((sent + i) % 251);
			if ((r = tcp_send(a, sim_now(sim), ha, buf, n)) <= 0)
				break;
		}
		sim_run_for(sim, 1000);
		while ((r = tcp_recv(b, sim_now(sim), hb, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < r; i++, got++)
				ck_assert_uint_eq(buf[i], (uint8_t)(got % 251));
	}
	ck_assert_uint_eq(got, bytes);
	fprintf(stderr, "ts: 1 MiB through 1%% loss, %s: %.2f s of virtual time, %d RTT samples\n",
		no_ts ? "--no-timestamps" : "timestamps", sim_now(sim) / 1e6, rtt_samples);
	sim_free(sim);
	return rtt_samples;
}

START_TEST(two_stacks_with_and_without_timestamps_arrive_intact)
{
	int with, without;

	h = h_new();
	with = sim_transfer(false);
	without = sim_transfer(true);
	ck_assert_int_gt(with, 2 * without);                  /* a sample per ACK, not per flight */
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("ts");
	TCase *tc = tcase_create("ts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, listen_syn_with_ts_gets_a_syn_ack_echoing_it);
	tcase_add_test(tc, listen_syn_without_ts_gets_none_and_data_carries_none);
	tcase_add_test(tc, no_timestamps_neither_offers_nor_answers);
	tcase_add_test(tc, established_data_segments_carry_ts_and_are_12_bytes_shorter);
	tcase_add_test(tc, established_ts_recent_only_from_segments_at_last_ack_sent);
	tcase_add_test(tc, established_paws_drops_an_old_timestamp_and_acks);
	tcase_add_test(tc, established_paws_compares_timestamps_modulo_2_32);
	tcase_add_test(tc, established_paws_24_day_idle_rule);
	tcase_add_test(tc, established_rst_with_an_old_timestamp_still_resets);
	tcase_add_test(tc, established_segment_without_ts_is_dropped);
	tcase_add_test(tc, established_rttm_one_sample_per_ack_from_the_echo);
	tcase_add_test(tc, established_rttm_samples_the_ack_of_a_retransmission);
	tcase_add_test(tc, time_wait_syn_with_a_newer_timestamp_opens_a_new_connection);
	tcase_add_test(tc, time_wait_syn_with_an_old_timestamp_keeps_time_wait);
	tcase_add_test(tc, time_wait_without_timestamps_a_syn_past_rcv_nxt_opens_a_new_connection);
	tcase_add_test(tc, two_stacks_with_and_without_timestamps_arrive_intact);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

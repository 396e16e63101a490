/* check_robust.c - long-lived and awkward connections: more than 2^31 and 2^32
 * bytes sent (sequence numbers wrap around the ISS), windows that shrink under
 * data in flight, peers that go silent, blind segments (RFC 5961), odd options.
 * White-box only where the harness cannot reach: the bulk tests switch tracing
 * off (2 GiB of segments would otherwise go into the transcript) and read
 * SND.MAX to acknowledge everything sent, as a real peer would. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "harness.h"
#include "tcp_priv.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

/* The stack sends `total` bytes and the peer acknowledges every flight at once
 * (each ACK advances SND.UNA). Nothing the stack emits is kept. */
static void bulk_send(uint64_t total)
{
	static char buf[65536];
	struct tcb *t = tcb_get(h->s, h->h);
	void (*trace)(void *, const struct trace_event *) = h->s->env.trace;
	uint64_t queued = 0;

	h_say(h, "(bulk: the stack sends %llu bytes, the peer acks each flight; tracing off)",
	      (unsigned long long)total);
	h->s->env.trace = NULL;
	while (queued < total || t->snd.una != t->snd.max) {
		if (queued < total) {
			uint64_t want = total - queued < sizeof(buf) ? total - queued : sizeof(buf);
			ssize_t n = tcp_send(h->s, h->now, h->h, buf, (size_t)want);
			if (n > 0)
				queued += (uint64_t)n;
		}
		h->qhead = h->qlen = 0;
		if (t->snd.una != t->snd.max)
			peer_sends(h, TH_ACK, IRS + 1, t->snd.max, NULL, 0);
		if (t->state != TCP_ESTABLISHED) {
			h->s->env.trace = trace;
			h_fail(h, "bulk: connection left ESTABLISHED after %llu bytes",
			       (unsigned long long)queued);
		}
	}
	h->qhead = h->qlen = 0;
	h->s->env.trace = trace;
	h_say(h, "(bulk done: SND.UNA = SND.NXT = %u)", t->snd.una);
}

/* "Our SYN is acknowledged" is a fact of the connection, not SND.UNA > ISS: after
 * 2^31 bytes that comparison turns false again, and an ACK that does not advance
 * SND.UNA (a data segment, a window update) would look like one in SYN-RECEIVED. */
START_TEST(established_after_2gib_sent_data_with_old_ack_is_accepted)
{
	uint32_t una;

	h_passive_established(h);
	bulk_send((1ull << 31) + 65536);
	una = ISS + 1 + (uint32_t)((1ull << 31) + 65536);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, una, "hi", 2);   /* ack == SND.UNA */
	expect_sent(h, TH_ACK, una, IRS + 3, 0);
	expect_recv(h, "hi");
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

START_TEST(established_after_2gib_sent_window_update_is_not_answered_by_rst)
{
	uint32_t una;

	h_passive_established(h);
	bulk_send((1ull << 31) + 65536);
	una = ISS + 1 + (uint32_t)((1ull << 31) + 65536);
	h->peer_wnd = 1000;
	peer_sends(h, TH_ACK, IRS + 1, una, NULL, 0);             /* pure window update */
	expect_nothing_sent(h);
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

/* After 2^32 - 1 bytes SND.NXT is ISS again: that is data, not a SYN to resend. */
START_TEST(established_after_2pow32_minus_1_bytes_sent_data_still_flows)
{
	h_passive_established(h);
	bulk_send((1ull << 32) - 1);                              /* SND.NXT == ISS */
	CHECK_EQ(h, user_send(h, "x"), 1);
	expect_sent(h, TH_ACK | TH_PSH, ISS, IRS + 1, 1);
}
END_TEST

/* The peer shrinks its window to zero with data in flight. RFC 9293 3.8.6
 * MUST-35: the window must still be probed, so the connection cannot stall; and the
 * shrinking is survived (MUST-34). */
START_TEST(established_window_shrinks_to_zero_with_data_in_flight_is_still_probed)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "hello"), 5);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 5);
	h->peer_wnd = 0;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);         /* nothing acked, window 0 */
	expect_nothing_sent(h);
	advance_ms(h, 120000);
	CHECK_EQ(h, sent_pending(h) > 0, 1);                       /* a probe or retransmission */
}
END_TEST

/* ABORT on a listener the user already closed (whose rings were never allocated). */
START_TEST(listen_abort_after_close_does_not_crash)
{
	h_listen(h);
	h->h = h->lh;
	CHECK_EQ(h, user_close(h), 0);
	CHECK_EQ(h, user_abort(h), 0);
	expect_nothing_sent(h);
}
END_TEST

/* A peer that acknowledges our FIN but never sends its own must not keep a TCB
 * its user closed forever (1024 such peers would fill the table). Linux: an
 * orphaned FIN-WAIT-2 lasts tcp_fin_timeout (60 s). */
START_TEST(fin_wait_2_orphan_is_freed_after_a_timeout)
{
	h_goto(h, TCP_FIN_WAIT_2);
	tcp_release(h->s, h->now, h->h);
	h->h = -1;
	advance_ms(h, 10 * 60 * 1000);
	CHECK_EQ(h, tcb_lookup(h->s, PEER_IP, PEER_PORT, h->lport) == NULL, 1);
	CHECK_EQ(h, tcp_closing_count(h->s), 0);
}
END_TEST

/* RFC 5961 5.2 (and RFC 9293 3.10.7.4 fifth): an ACK below SND.UNA - MAX.SND.WND
 * is not acceptable: discard the segment (its data is not delivered), send an ACK.
 * (MAY-12) */
START_TEST(established_data_with_ack_far_below_snd_una_is_discarded)
{
	char buf[64];

	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1 - 200000, "evil", 4);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), -EAGAIN);
}
END_TEST

/* A peer that advertised a zero window and then vanished: the probes go
 * unanswered, and after a bounded number the connection is dropped (Linux
 * tcp_probe_timer aborts after tcp_retries2 unanswered probes). */
START_TEST(fin_wait_1_orphan_behind_zero_window_with_silent_peer_gives_up)
{
	h_passive_established(h);
	h->peer_wnd = 0;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	CHECK_EQ(h, user_send(h, "hello"), 5);
	CHECK_EQ(h, user_close(h), 0);
	tcp_release(h->s, h->now, h->h);
	h->h = -1;
	for (int i = 0; i < 60; i++) {                 /* one hour, the peer says nothing */
		advance_ms(h, 60000);
		h->qhead = h->qlen = 0;
	}
	CHECK_EQ(h, tcb_lookup(h->s, PEER_IP, PEER_PORT, h->lport) == NULL, 1);
}
END_TEST

/* A SYN that also carries FIN makes no sense; Linux drops it, and so do we. */
START_TEST(listen_syn_with_fin_is_dropped)
{
	h_listen(h);
	peer_sends(h, TH_SYN | TH_FIN, IRS, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_FLAGS, 1);
	expect_state(h, TCP_LISTEN);
}
END_TEST

/* An MSS option of 1 would make the stack send 1-byte segments: it is raised to 48. */
START_TEST(established_mss_option_of_1_is_raised_to_48)
{
	struct seg sg = { .src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = PORT,
			  .seq = IRS, .flags = TH_SYN, .wnd = 65535, .mss = 1 };
	char data[101];

	h_listen(h);
	peer_sends_seg(h, &sg);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	h->h = tcp_accept(h->s, h->lh);
	memset(data, 'm', 100);
	data[100] = 0;
	CHECK_EQ(h, user_send(h, data), 100);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 48);
	expect_sent(h, TH_ACK, ISS + 49, IRS + 1, 48);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 97, IRS + 1, 4);
}
END_TEST

/* The receive buffer is full (window 0) and the peer closes: a bare FIN needs no
 * buffer space, so it is taken (as Linux does) and the stack enters CLOSE-WAIT. */
START_TEST(established_bare_fin_with_zero_receive_window_is_accepted)
{
	static char chunk[1461];
	uint32_t seq = IRS + 1, left = 65535;

	h_passive_established(h);
	memset(chunk, 'z', 1460);
	while (left) {
		uint32_t n = left < 1460 ? left : 1460;
		peer_sends(h, TH_ACK, seq, ISS + 1, chunk, n);
		expect_sent(h, TH_ACK, ISS + 1, seq + n, 0);
		seq += n;
		left -= n;
	}
	peer_sends(h, TH_FIN | TH_ACK, seq, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, seq + 1, 0);
	expect_state(h, TCP_CLOSE_WAIT);
}
END_TEST

/* Only the peer's own FIN, retransmitted, restarts TIME-WAIT; another FIN does not. */
START_TEST(time_wait_fin_with_other_seq_does_not_restart_2msl)
{
	h_goto(h, TCP_TIME_WAIT);
	advance_ms(h, 1500);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 100000, ISS + 2, NULL, 0); /* not RCV.NXT-1 */
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	advance_ms(h, 500);
	expect_state(h, TCP_CLOSED);
}
END_TEST

/* The window is updated by SEG.SEQ as sent: an old segment that overlaps new data
 * (and is trimmed to RCV.NXT) must not install its stale, larger window. */
START_TEST(established_old_overlapping_segment_does_not_install_its_stale_window)
{
	static char d[1201];

	h_passive_established(h);
	memset(d, 'w', 150);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, d, 100);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 101, 0);
	h->peer_wnd = 1000;
	peer_sends(h, TH_ACK, IRS + 101, ISS + 1, NULL, 0);         /* window update: 1000 */
	h->peer_wnd = 65535;
	peer_sends(h, TH_ACK, IRS + 51, ISS + 1, d, 100);           /* old, with 50 new bytes */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 151, 0);
	memset(d, 'x', 1200);
	CHECK_EQ(h, user_send(h, d), 1200);
	expect_nothing_sent(h);        /* sender SWS (3.8.6.2.1): 1000 < MSS and < 65535/2 */
	advance_ms(h, RTO_MS);         /* the override timeout: send what fits */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 151, 1000);           /* the window is 1000 */
	expect_nothing_sent(h);
}
END_TEST

/* Text on a SYN,ACK is trimmed to the window our SYN offered, like any other
 * segment: with a 100-byte receive buffer, 200 bytes arrive and 100 are taken,
 * acknowledged and read; the rest the peer sends again. */
START_TEST(syn_sent_text_on_syn_ack_is_trimmed_to_the_window)
{
	static char text[200];
	struct stack_config cfg = h_config(0);
	char buf[300];
	struct seg sg;

	memset(text, 'x', sizeof(text));
	cfg.rcvbuf = 100;
	h_free(h);
	h = h_new_config(&cfg);
	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	sg = expect_sent(h, TH_SYN, ISS, 0, 0);
	CHECK_EQ(h, sg.wnd, 100);
	h->lport = sg.sport;
	peer_sends(h, TH_SYN | TH_ACK, IRS, ISS + 1, text, sizeof(text));
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 100, 0);
	expect_state(h, TCP_ESTABLISHED);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 100);
}
END_TEST

/* A broken invariant in a release build: counted, traced, the step dropped, and
 * the stack goes on. Here the bug is made by hand: an advertised edge past the
 * buffer (RCV.ADV is never set so), and data up to it. */
START_TEST(invariant_broken_in_a_release_build_is_counted_and_the_segment_dropped)
{
	static char big[TCP_RCVBUF];
	struct tcb *t;

	h_passive_established(h);
	h->s->internal_checks = false;               /* as a build without INTERNAL_CHECKS */
	t = tcb_get(h->s, h->h);
	ring_write(&t->rcv.q, (const uint8_t *)big, t->rcv.q.cap - 10);   /* 10 bytes free */
	t->rcv.adv = t->rcv.nxt + 1000;              /* the bug: a promise of 1000 */
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, big, 1000);
	expect_stat(h, STAT_INVARIANT, 1);
	expect_stat(h, STAT_DROP_INVARIANT, 1);
	CHECK_EQ(h, strstr(h->log, "invariants broken (a bug: please report it): segment text fits "
			   "the free receive buffer") != NULL, 1);      /* the log names it */
	CHECK_EQ(h, t->rcv.nxt, IRS + 1);            /* nothing taken that was not stored */
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

/* In a test build (INTERNAL_CHECKS, as every test here is) it stops at once. */
START_TEST(invariant_broken_in_a_test_build_aborts)
{
	h_passive_established(h);
	stack_invariant(h->s, false, "a made-up invariant");
}
END_TEST

/* MUST-46 */
START_TEST(closed_open_to_broadcast_or_multicast_fails_with_enetunreach)
{
	CHECK_EQ(h, tcp_connect(h->s, h->now, 0xffffffffu, 80, 0), -ENETUNREACH);
	CHECK_EQ(h, tcp_connect(h->s, h->now, 0xe0000001u, 80, 0), -ENETUNREACH);
	CHECK_EQ(h, tcp_connect(h->s, h->now, 0xefffffffu, 80, 0), -ENETUNREACH);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-66 */
START_TEST(established_rst_at_rcv_nxt_with_zero_window_resets)
{
	static char fill[100];
	struct stack_config cfg = h_config(0);

	cfg.rcvbuf = sizeof(fill);
	h_free(h);
	h = h_new_config(&cfg);
	h_passive_established(h);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, fill, sizeof(fill));
	CHECK_EQ(h, expect_sent(h, TH_ACK, ISS + 1, IRS + 101, 0).wnd, 0);   /* window closed */
	peer_sends(h, TH_RST, IRS + 101, 0, NULL, 0);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, h_error(h), -ECONNRESET);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("robust");
	TCase *tc = tcase_create("robust");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, established_after_2gib_sent_data_with_old_ack_is_accepted);
	tcase_add_test(tc, established_after_2gib_sent_window_update_is_not_answered_by_rst);
	tcase_add_test(tc, established_after_2pow32_minus_1_bytes_sent_data_still_flows);
	tcase_add_test(tc, established_window_shrinks_to_zero_with_data_in_flight_is_still_probed);
	tcase_add_test(tc, listen_abort_after_close_does_not_crash);
	tcase_add_test(tc, fin_wait_2_orphan_is_freed_after_a_timeout);
	tcase_add_test(tc, established_data_with_ack_far_below_snd_una_is_discarded);
	tcase_add_test(tc, fin_wait_1_orphan_behind_zero_window_with_silent_peer_gives_up);
	tcase_add_test(tc, listen_syn_with_fin_is_dropped);
	tcase_add_test(tc, established_mss_option_of_1_is_raised_to_48);
	tcase_add_test(tc, established_bare_fin_with_zero_receive_window_is_accepted);
	tcase_add_test(tc, time_wait_fin_with_other_seq_does_not_restart_2msl);
	tcase_add_test(tc, established_old_overlapping_segment_does_not_install_its_stale_window);
	tcase_add_test(tc, syn_sent_text_on_syn_ack_is_trimmed_to_the_window);
	tcase_add_test(tc, closed_open_to_broadcast_or_multicast_fails_with_enetunreach);
	tcase_add_test(tc, established_rst_at_rcv_nxt_with_zero_window_resets);
	tcase_add_test(tc, invariant_broken_in_a_release_build_is_counted_and_the_segment_dropped);
	tcase_add_test_raise_signal(tc, invariant_broken_in_a_test_build_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

/* check_summary.c - one line per connection when it ends (TRACE_SUMMARY): who closed
 * first and how (four-way, FIN+ACK combined, simultaneous through CLOSING, half-close,
 * the peer's FIN never coming), or what ended it (reset by the peer or by us, in which
 * state; a timeout), the time in each state, bytes and segments each way,
 * retransmissions by kind, RTT, RTO and cwnd. No line for a listener, nor for a
 * half-open child that never became a connection. */
#include <stdio.h>
#include <string.h>
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

/* The transcript holds exactly one summary line, and it contains `want`. */
static void expect_summary(const char *want)
{
	const char *p = strstr(h->log, " summary: ");
	char line[600];
	size_t n;

	if (!p)
		h_fail(h, "no summary line");
	if (strstr(p + 1, " summary: "))
		h_fail(h, "more than one summary line");
	n = strcspn(p, "\n");
	snprintf(line, sizeof(line), "%.*s", (int)n, p);
	if (!strstr(line, want))
		h_fail(h, "the summary line\n  %s\nlacks\n  %s", line, want);
}

static void expect_no_summary(void)
{
	if (strstr(h->log, " summary: "))
		h_fail(h, "a summary line where none belongs");
}

START_TEST(passive_close_is_four_way_the_peer_first)
{
	char buf[16];

	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "ping", 4);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 5, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 4);
	CHECK_EQ(h, user_send(h, "pong"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 5, 4);
	advance_ms(h, 10);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 5, ISS + 5, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 5, IRS + 6, 0);
	advance_ms(h, 2000);
	user_close(h);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 5, IRS + 6, 0);
	peer_sends(h, TH_ACK, IRS + 6, ISS + 6, NULL, 0);
	expect_state(h, TCP_CLOSED);
	expect_summary("summary: the peer closed first, four-way; 2.010 s: SYN-RECEIVED 0.000 s, "
		       "ESTABLISHED 0.010 s, CLOSE-WAIT 2.000 s, LAST-ACK 0.000 s; data out 4 B, "
		       "in 4 B; segments out 5, in 5; retransmissions 0 (timeout 0, fast 0); ");
}
END_TEST

START_TEST(active_close_with_fin_and_ack_in_one_segment_says_so)
{
	h_goto(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS);
	expect_summary("summary: we closed first, FIN+ACK combined (FIN-WAIT-1 -> TIME-WAIT); "
		       "2.000 s:");
	expect_summary("TIME-WAIT 2.000 s;");
}
END_TEST

START_TEST(simultaneous_close_goes_through_closing)
{
	h_goto(h, TCP_CLOSING);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 2, NULL, 0);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS);
	expect_summary("summary: we closed first, simultaneous close through CLOSING;");
	expect_summary(" CLOSING 0.000 s, TIME-WAIT 2.000 s;");
}
END_TEST

START_TEST(half_close_data_after_our_fin_is_named)
{
	char buf[16];

	h_fin_wait_1_by_shutdown(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 2, "late", 4);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 5, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 4);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 5, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 6, 0);
	user_close(h);
	advance_ms(h, 2 * MSL_MS);
	expect_summary("summary: we closed first, four-way, half-close;");
	expect_summary("data out 0 B, in 4 B;");
}
END_TEST

START_TEST(reset_by_the_peer_names_the_state)
{
	h_passive_established(h);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_state(h, TCP_CLOSED);
	expect_summary("summary: reset by the peer in ESTABLISHED;");
}
END_TEST

START_TEST(reset_by_the_peer_in_last_ack_is_no_normal_close)
{
	h_goto(h, TCP_LAST_ACK);
	peer_sends(h, TH_RST, IRS + 2, 0, NULL, 0);
	expect_state(h, TCP_CLOSED);
	expect_summary("summary: reset by the peer in LAST-ACK;");
}
END_TEST

START_TEST(reset_by_us_names_the_call)
{
	h_passive_established(h);
	user_abort(h);
	expect_rst(h, ISS + 1);
	expect_summary("summary: reset by us in ESTABLISHED (ABORT, sent RST);");
}
END_TEST

START_TEST(syn_sent_timeout_counts_its_retransmissions)
{
	h_goto(h, TCP_SYN_SENT);
	advance_ms(h, 200000);
	while (sent_pending(h))
		expect_sent(h, TH_SYN, ISS, 0, 0);
	expect_state(h, TCP_CLOSED);
	expect_summary("summary: timed out in SYN-SENT (retransmission timeout, gave up);");
	expect_summary("segments out 7, in 0; retransmissions 6 (timeout 6, fast 0); no rtt sample");
}
END_TEST

START_TEST(lost_data_is_counted_as_a_timeout_retransmission)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "data"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	advance_ms(h, RTO_MS);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);  /* the first was lost */
	peer_sends(h, TH_ACK, IRS + 1, ISS + 5, NULL, 0);
	user_abort(h);
	expect_rst(h, ISS + 5);
	expect_summary("data out 4 B, in 0 B; segments out 4, in 3; retransmissions 1 "
		       "(timeout 1, fast 0);");
}
END_TEST

START_TEST(no_summary_for_a_listener_or_a_child_that_returned_to_listen)
{
	h_goto(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);              /* back to LISTEN */
	tcp_close(h->s, h->now, h->lh);
	expect_no_summary();
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("summary");
	TCase *tc = tcase_create("summary");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, passive_close_is_four_way_the_peer_first);
	tcase_add_test(tc, active_close_with_fin_and_ack_in_one_segment_says_so);
	tcase_add_test(tc, simultaneous_close_goes_through_closing);
	tcase_add_test(tc, half_close_data_after_our_fin_is_named);
	tcase_add_test(tc, reset_by_the_peer_names_the_state);
	tcase_add_test(tc, reset_by_the_peer_in_last_ack_is_no_normal_close);
	tcase_add_test(tc, reset_by_us_names_the_call);
	tcase_add_test(tc, syn_sent_timeout_counts_its_retransmissions);
	tcase_add_test(tc, lost_data_is_counted_as_a_timeout_retransmission);
	tcase_add_test(tc, no_summary_for_a_listener_or_a_child_that_returned_to_listen);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

/* check_close.c - closing a connection (RFC 9293 3.6, figures 12 and 13, and the
 * CLOSE / FIN rules of 3.10.4 and 3.10.7.4): active, passive and simultaneous
 * close, FIN with the ACK of our FIN, half-close, TIME-WAIT and its 2*MSL timer,
 * FIN retransmission, data with FIN, and closing with data unread (RST, 3.6.1). */
#include <stdio.h>
#include <string.h>
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }


/* How many times the transcript says the connection entered `state`
 * (from the transcript position `mark` on). */
static int entered(size_t mark, enum tcp_state state)
{
	char needle[40];
	int n = 0;

	snprintf(needle, sizeof(needle), "-> %s (", tcp_state_name(state));
	for (const char *p = h->log + mark; (p = strstr(p, needle)); p++)
		n++;
	return n;
}




/* Active close, figure 12 left side */

START_TEST(established_close_sends_fin_and_enters_fin_wait_1)
{
	h_passive_established(h);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_FIN_WAIT_1);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(fin_wait_1_ack_of_fin_enters_fin_wait_2)
{
	h_goto(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_FIN_WAIT_2);
}
END_TEST

START_TEST(fin_wait_2_fin_is_acked_and_enters_time_wait)
{
	h_goto(h, TCP_FIN_WAIT_2);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-13 */
START_TEST(time_wait_enters_closed_after_exactly_2msl)
{
	h_goto(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS - 1);
	expect_state(h, TCP_TIME_WAIT);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(time_wait_expired_connection_answers_segments_with_rst)
{
	h_goto(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS);
	expect_state(h, TCP_CLOSED);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 2, NULL, 0);     /* 3.10.7.1: no connection */
	expect_sent(h, TH_RST, ISS + 2, 0, 0);
}
END_TEST

START_TEST(established_active_close_runs_the_four_way_handshake_to_closed)
{
	h_passive_established(h);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_state(h, TCP_FIN_WAIT_2);
	advance_ms(h, 500);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS - 1);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 1);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
}
END_TEST

/* Passive close, figure 12 right side */

START_TEST(established_fin_is_acked_and_enters_close_wait)
{
	h_passive_established(h);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 2, 0);
	expect_state(h, TCP_CLOSE_WAIT);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(close_wait_close_sends_fin_and_enters_last_ack)
{
	h_goto(h, TCP_CLOSE_WAIT);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 2, 0);
	expect_state(h, TCP_LAST_ACK);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(last_ack_ack_of_fin_enters_closed)
{
	h_goto(h, TCP_LAST_ACK);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 2, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);                 /* no TIME-WAIT on this side, no timer left */
	expect_nothing_sent(h);
}
END_TEST

START_TEST(last_ack_fin_is_retransmitted_on_timeout)
{
	h_goto(h, TCP_LAST_ACK);
	advance_ms(h, RTO_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 2, 0);
	advance_ms(h, 2 * RTO_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 2, 0);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 2, NULL, 0);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
}
END_TEST

/* FIN and the ACK of our FIN in one segment (3.10.7.4 eighth, FIN-WAIT-1) */

START_TEST(fin_wait_1_fin_with_ack_of_fin_enters_time_wait_directly)
{
	size_t mark;

	h_goto(h, TCP_FIN_WAIT_1);
	mark = h->loglen;
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
	CHECK_EQ(h, entered(mark, TCP_FIN_WAIT_2), 0);
	CHECK_EQ(h, entered(mark, TCP_TIME_WAIT), 1);
	expect_nothing_sent(h);
}
END_TEST

/* Simultaneous close, figure 13 */

START_TEST(fin_wait_1_fin_without_ack_of_fin_enters_closing)
{
	h_goto(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_CLOSING);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-13 */
START_TEST(closing_ack_of_fin_enters_time_wait_then_closed_after_2msl)
{
	h_goto(h, TCP_CLOSING);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 2, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS - 1);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 1);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(close_wait_retransmitted_fin_is_acked_again)
{
	h_goto(h, TCP_CLOSE_WAIT);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 1, NULL, 0);   /* our ACK was lost */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 2, 0);
	expect_state(h, TCP_CLOSE_WAIT);
	expect_recv(h, "");
}
END_TEST

START_TEST(fin_wait_1_ack_of_data_only_stays_in_fin_wait_1)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "abc"), 3);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 3);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 4, IRS + 1, 0);     /* the FIN follows the data */
	peer_sends(h, TH_ACK, IRS + 1, ISS + 4, NULL, 0);         /* data acked, FIN not */
	expect_state(h, TCP_FIN_WAIT_1);
	expect_nothing_sent(h);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 5, NULL, 0);
	expect_state(h, TCP_FIN_WAIT_2);
}
END_TEST

START_TEST(closing_fin_is_retransmitted_on_timeout)
{
	h_goto(h, TCP_CLOSING);
	advance_ms(h, RTO_MS);                     /* one RTO after the FIN left */
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 2, 0);
	expect_state(h, TCP_CLOSING);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 2, NULL, 0);
	expect_state(h, TCP_TIME_WAIT);
}
END_TEST

/* Half-close: shutdown(SHUT_WR), then the peer goes on sending (3.6.1) */

/* MAY-1 */
START_TEST(fin_wait_2_after_shutdown_still_receives_and_delivers_data)
{
	h_fin_wait_1_by_shutdown(h);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_state(h, TCP_FIN_WAIT_2);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 2, "still here", 10);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 11, 0);
	expect_recv(h, "still here");
	peer_sends(h, TH_FIN | TH_ACK, IRS + 11, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 12, 0);
	expect_state(h, TCP_TIME_WAIT);
	expect_recv(h, "");                                      /* end of stream */
	expect_nothing_sent(h);
}
END_TEST

START_TEST(fin_wait_1_after_shutdown_still_receives_and_delivers_data)
{
	h_fin_wait_1_by_shutdown(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "early", 5);   /* FIN not yet acked */
	expect_sent(h, TH_ACK, ISS + 2, IRS + 6, 0);
	expect_state(h, TCP_FIN_WAIT_1);
	expect_recv(h, "early");
	CHECK_EQ(h, user_recv(h, (char[8]){0}, 8), -EAGAIN);
}
END_TEST

START_TEST(established_shutdown_then_send_returns_epipe)
{
	h_passive_established(h);
	CHECK_EQ(h, user_shutdown(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	CHECK_EQ(h, user_send(h, "too late"), -EPIPE);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(close_wait_send_still_delivers_data)
{
	h_goto(h, TCP_CLOSE_WAIT);
	CHECK_EQ(h, user_send(h, "reply"), 5);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 2, 5);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 6, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSE_WAIT);
}
END_TEST

START_TEST(fin_wait_2_close_after_shutdown_sends_nothing_more)
{
	h_fin_wait_1_by_shutdown(h);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_state(h, TCP_FIN_WAIT_2);
	CHECK_EQ(h, user_close(h), 0);             /* the FIN is already out */
	expect_nothing_sent(h);
	expect_state(h, TCP_FIN_WAIT_2);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
}
END_TEST

/* End of stream */

/* MUST-12 */
START_TEST(close_wait_recv_returns_0_at_end_of_stream)
{
	h_goto(h, TCP_CLOSE_WAIT);
	expect_recv(h, "");
	expect_recv(h, "");                      /* and again: EOF is not consumed */
}
END_TEST

START_TEST(established_data_with_fin_delivers_data_then_end_of_stream)
{
	h_passive_established(h);
	peer_sends(h, TH_FIN | TH_ACK | TH_PSH, IRS + 1, ISS + 1, "bye", 3);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 5, 0);             /* 3 bytes and the FIN */
	expect_state(h, TCP_CLOSE_WAIT);
	expect_recv(h, "bye");
	expect_recv(h, "");
	expect_nothing_sent(h);
}
END_TEST

START_TEST(fin_wait_2_data_with_fin_enters_time_wait_and_delivers_data)
{
	h_fin_wait_1_by_shutdown(h);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	peer_sends(h, TH_FIN | TH_ACK | TH_PSH, IRS + 1, ISS + 2, "last", 4);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 6, 0);
	expect_state(h, TCP_TIME_WAIT);
	expect_recv(h, "last");
	expect_recv(h, "");
}
END_TEST

START_TEST(fin_wait_1_queued_data_leaves_with_fin_in_one_segment)
{
	h_passive_established(h);
	h->peer_wnd = 0;                                         /* hold our data back */
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	CHECK_EQ(h, user_send(h, "tail"), 4);
	expect_nothing_sent(h);
	CHECK_EQ(h, user_close(h), 0);
	expect_state(h, TCP_FIN_WAIT_1);                          /* 3.10.4: "in any case" */
	expect_nothing_sent(h);
	h->peer_wnd = 65535;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);         /* window opens */
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 4);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 6, NULL, 0);
	expect_state(h, TCP_FIN_WAIT_2);
	expect_nothing_sent(h);
}
END_TEST

/* TIME-WAIT (3.10.7.4 eighth: a retransmitted FIN restarts the 2*MSL timeout) */

START_TEST(time_wait_retransmitted_fin_is_acked_and_restarts_2msl)
{
	h_goto(h, TCP_TIME_WAIT);
	advance_ms(h, 1500);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);   /* our ACK was lost */
	expect_sent(h, TH_ACK, ISS + 2, IRS + 2, 0);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 500);                       /* the first deadline passes */
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS - 500 - 1);
	expect_state(h, TCP_TIME_WAIT);
	advance_ms(h, 1);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(time_wait_ack_does_not_restart_2msl)
{
	h_goto(h, TCP_TIME_WAIT);
	advance_ms(h, 1500);
	peer_sends(h, TH_ACK, IRS + 2, ISS + 2, NULL, 0);         /* an ACK is not a FIN */
	expect_nothing_sent(h);
	advance_ms(h, 500);
	expect_state(h, TCP_CLOSED);
}
END_TEST

/* FIN retransmission (3.8.1, RFC 6298 5.5: the RTO doubles) */

START_TEST(fin_wait_1_fin_is_retransmitted_after_rto_then_twice_that)
{
	h_goto(h, TCP_FIN_WAIT_1);
	advance_ms(h, RTO_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	advance_ms(h, 2 * RTO_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_state(h, TCP_FIN_WAIT_2);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

/* Closing with data the user never reads (3.6.1; RFC 2525 2.17; as Linux) */

/* SHLD-3 */
START_TEST(established_close_with_unread_data_sends_rst_and_enters_closed)
{
	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "unread", 6);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 7, 0);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_RST | TH_ACK, ISS + 1, IRS + 7, 0);     /* <SEQ=SND.NXT> */
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

/* SHLD-3 */
START_TEST(close_wait_close_with_unread_data_sends_rst_and_enters_closed)
{
	h_passive_established(h);
	peer_sends(h, TH_FIN | TH_ACK | TH_PSH, IRS + 1, ISS + 1, "unread", 6);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 8, 0);
	expect_state(h, TCP_CLOSE_WAIT);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_RST | TH_ACK, ISS + 1, IRS + 8, 0);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
}
END_TEST

/* SHLD-3 */
START_TEST(fin_wait_2_data_after_close_is_answered_by_rst)
{
	h_goto(h, TCP_FIN_WAIT_2);                                /* by close(): nobody reads */
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 2, "late", 4);
	expect_rst(h, ISS + 2);                                   /* SND.NXT */
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
}
END_TEST

/* MAY-1 */
START_TEST(fin_wait_1_data_after_close_is_answered_by_rst)
{
	h_goto(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "late", 4);   /* our FIN not yet seen */
	/* As Linux (tcp_rcv_state_process, then tcp_v4_send_reset): <SEQ=SEG.ACK>, the
	 * peer's RCV.NXT, the only value an RFC 5961 3.2 peer accepts without a challenge. */
	expect_rst(h, ISS + 1);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);                                     /* and no more FINs */
	expect_nothing_sent(h);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("close");
	TCase *tc = tcase_create("close");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, established_close_sends_fin_and_enters_fin_wait_1);
	tcase_add_test(tc, fin_wait_1_ack_of_fin_enters_fin_wait_2);
	tcase_add_test(tc, fin_wait_2_fin_is_acked_and_enters_time_wait);
	tcase_add_test(tc, time_wait_enters_closed_after_exactly_2msl);
	tcase_add_test(tc, time_wait_expired_connection_answers_segments_with_rst);
	tcase_add_test(tc, established_active_close_runs_the_four_way_handshake_to_closed);
	tcase_add_test(tc, established_fin_is_acked_and_enters_close_wait);
	tcase_add_test(tc, close_wait_close_sends_fin_and_enters_last_ack);
	tcase_add_test(tc, last_ack_ack_of_fin_enters_closed);
	tcase_add_test(tc, last_ack_fin_is_retransmitted_on_timeout);
	tcase_add_test(tc, fin_wait_1_fin_with_ack_of_fin_enters_time_wait_directly);
	tcase_add_test(tc, fin_wait_1_fin_without_ack_of_fin_enters_closing);
	tcase_add_test(tc, closing_ack_of_fin_enters_time_wait_then_closed_after_2msl);
	tcase_add_test(tc, close_wait_retransmitted_fin_is_acked_again);
	tcase_add_test(tc, fin_wait_1_ack_of_data_only_stays_in_fin_wait_1);
	tcase_add_test(tc, closing_fin_is_retransmitted_on_timeout);
	tcase_add_test(tc, fin_wait_2_after_shutdown_still_receives_and_delivers_data);
	tcase_add_test(tc, fin_wait_1_after_shutdown_still_receives_and_delivers_data);
	tcase_add_test(tc, established_shutdown_then_send_returns_epipe);
	tcase_add_test(tc, close_wait_send_still_delivers_data);
	tcase_add_test(tc, fin_wait_2_close_after_shutdown_sends_nothing_more);
	tcase_add_test(tc, close_wait_recv_returns_0_at_end_of_stream);
	tcase_add_test(tc, established_data_with_fin_delivers_data_then_end_of_stream);
	tcase_add_test(tc, fin_wait_2_data_with_fin_enters_time_wait_and_delivers_data);
	tcase_add_test(tc, fin_wait_1_queued_data_leaves_with_fin_in_one_segment);
	tcase_add_test(tc, time_wait_retransmitted_fin_is_acked_and_restarts_2msl);
	tcase_add_test(tc, time_wait_ack_does_not_restart_2msl);
	tcase_add_test(tc, fin_wait_1_fin_is_retransmitted_after_rto_then_twice_that);
	tcase_add_test(tc, established_close_with_unread_data_sends_rst_and_enters_closed);
	tcase_add_test(tc, close_wait_close_with_unread_data_sends_rst_and_enters_closed);
	tcase_add_test(tc, fin_wait_2_data_after_close_is_answered_by_rst);
	tcase_add_test(tc, fin_wait_1_data_after_close_is_answered_by_rst);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

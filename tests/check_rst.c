/* check_rst.c - resets, received and sent: a RST in each state (RFC 9293 3.10.7.3,
 * 3.10.7.4 second), RFC 5961 3.2 (only an exact RST aborts; one in the window gets
 * a challenge ACK), the RSTs answering segments with no connection (3.10.7.1),
 * an ACK in LISTEN or SYN-SENT (3.10.7.2, 3.10.7.3), ABORT (3.10.5), and how the
 * user sees it: the error once, then EPIPE on send and end of stream on receive. */
#include <stdio.h>
#include <string.h>
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }



/* The peer, from its port, to `dport` of the stack, with any flags and data. */
static void peer_sends_to(uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
			  const char *data)
{
	struct seg sg = {
		.src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = dport,
		.seq = seq, .ack = ack, .flags = flags, .wnd = 65535,
		.data = (const uint8_t *)data, .dlen = data ? (uint32_t)strlen(data) : 0,
	};

	h_say(h, "peer: to port %u, flags 0x%02x seq %u ack %u len %u", dport, flags, seq, ack,
	      sg.dlen);
	peer_sends_seg(h, &sg);
}

/* A reply aimed back at the peer's port from `sport`. */
static void expect_ports(const struct seg *sg, uint16_t sport)
{
	CHECK_EQ(h, sg->sport, sport);
	CHECK_EQ(h, sg->dport, PEER_PORT);
	CHECK_EQ(h, sg->dst, PEER_IP);
}

/* The connection died with `err`: the user sees it once (by recv), then end of
 * stream on recv and EPIPE on send, as Linux does. */
static void expect_error_once_by_recv(int err)
{
	char buf[16];

	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), err);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 0);
	CHECK_EQ(h, user_send(h, "more"), -EPIPE);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 0);
}


/* SYN-SENT (3.10.7.3) */

START_TEST(syn_sent_rst_with_acceptable_ack_enters_closed_with_econnrefused)
{
	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_RST | TH_ACK, 0, ISS + 1, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	expect_error_once_by_recv(-ECONNREFUSED);
	advance_ms(h, 10000);                                    /* no SYN retransmission */
	expect_nothing_sent(h);
}
END_TEST

START_TEST(syn_sent_connection_refused_is_reported_once_by_send)
{
	char buf[16];

	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_RST | TH_ACK, 0, ISS + 1, NULL, 0);
	CHECK_EQ(h, user_send(h, "hello"), -ECONNREFUSED);
	CHECK_EQ(h, user_send(h, "hello"), -EPIPE);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 0);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(syn_sent_rst_without_ack_is_ignored)
{
	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_RST, 0, 0, NULL, 0);                    /* "drop the segment" */
	expect_nothing_sent(h);
	expect_state(h, TCP_SYN_SENT);
	CHECK_EQ(h, h_error(h), 0);
	peer_sends(h, TH_SYN | TH_ACK, IRS, ISS + 1, NULL, 0);   /* and it still connects */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

START_TEST(syn_sent_rst_with_unacceptable_ack_is_ignored)
{
	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_RST | TH_ACK, 0, ISS + 2, NULL, 0);     /* SEG.ACK > SND.NXT */
	expect_nothing_sent(h);                                   /* no RST for a RST */
	expect_state(h, TCP_SYN_SENT);
	peer_sends(h, TH_RST | TH_ACK, 0, ISS, NULL, 0);         /* SEG.ACK =< ISS */
	expect_nothing_sent(h);
	expect_state(h, TCP_SYN_SENT);
	CHECK_EQ(h, h_error(h), 0);
}
END_TEST

START_TEST(syn_sent_unacceptable_ack_gets_rst_with_seq_of_ack)
{
	struct seg sg;

	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_ACK, IRS, ISS + 100, NULL, 0);          /* SEG.ACK > SND.NXT */
	sg = expect_sent(h, TH_RST, ISS + 100, 0, 0);             /* <SEQ=SEG.ACK><CTL=RST> */
	expect_ports(&sg, h->lport);
	expect_state(h, TCP_SYN_SENT);
	peer_sends(h, TH_SYN | TH_ACK, IRS, ISS, NULL, 0);       /* SEG.ACK =< ISS */
	expect_sent(h, TH_RST, ISS, 0, 0);
	expect_state(h, TCP_SYN_SENT);
	advance_ms(h, 1000);                                      /* still trying */
	expect_sent(h, TH_SYN, ISS, 0, 0);
}
END_TEST

/* SYN-RECEIVED (3.10.7.4 second) */

/* MUST-11 */
START_TEST(syn_received_passive_rst_returns_to_listen_and_listener_keeps_working)
{
	h_goto(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_LISTEN);        /* the child is gone: the listener answers */
	CHECK_EQ(h, tcp_accept(h->s, h->lh), -EAGAIN);
	advance_ms(h, 10000);                                    /* no SYN-ACK retransmission */
	expect_nothing_sent(h);
	peer_sends(h, TH_SYN, IRS + 5000, 0, NULL, 0);           /* a new SYN, same ports */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 5001, 0);
	expect_state(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_ACK, IRS + 5001, ISS + 1, NULL, 0);
	expect_state(h, TCP_ESTABLISHED);
	if ((h->h = tcp_accept(h->s, h->lh)) < 0)
		h_fail(h, "accept after the reset child: %d", h->h);
}
END_TEST

/* MUST-11 */
START_TEST(syn_received_active_rst_enters_closed_with_econnrefused)
{
	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);                  /* simultaneous open */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_state(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	expect_error_once_by_recv(-ECONNREFUSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(syn_received_unacceptable_ack_gets_rst_with_seq_of_ack)
{
	h_goto(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 50, NULL, 0);       /* acks what was never sent */
	expect_sent(h, TH_RST, ISS + 50, 0, 0);                   /* 3.10.7.4 fifth */
	expect_state(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);        /* the right ACK still works */
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

/* Synchronized states with a user (3.10.7.4 second: ECONNRESET) */

/* MUST-12 */
START_TEST(established_rst_enters_closed_and_recv_reports_econnreset_once)
{
	h_passive_established(h);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	expect_error_once_by_recv(-ECONNRESET);
}
END_TEST

START_TEST(established_rst_enters_closed_and_send_reports_econnreset_once)
{
	char buf[16];

	h_passive_established(h);
	peer_sends(h, TH_RST | TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, user_send(h, "hello"), -ECONNRESET);
	CHECK_EQ(h, user_send(h, "hello"), -EPIPE);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 0);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(established_rst_drops_unacknowledged_data_and_stops_retransmission)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "lost"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
	CHECK_EQ(h, h_error(h), -ECONNRESET);
}
END_TEST

START_TEST(fin_wait_1_rst_enters_closed_with_econnreset)
{
	h_fin_wait_1_by_shutdown(h);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	expect_error_once_by_recv(-ECONNRESET);
	advance_ms(h, 10000);                                    /* no FIN retransmission */
	expect_nothing_sent(h);
}
END_TEST

START_TEST(fin_wait_2_rst_enters_closed_with_econnreset)
{
	h_fin_wait_1_by_shutdown(h);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);
	expect_state(h, TCP_FIN_WAIT_2);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	expect_error_once_by_recv(-ECONNRESET);
}
END_TEST

START_TEST(fin_wait_1_after_close_rst_enters_closed)
{
	h_goto(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(fin_wait_2_after_close_rst_enters_closed)
{
	h_goto(h, TCP_FIN_WAIT_2);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
}
END_TEST

START_TEST(close_wait_rst_enters_closed_with_econnreset)
{
	h_goto(h, TCP_CLOSE_WAIT);
	peer_sends(h, TH_RST, IRS + 2, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	expect_error_once_by_recv(-ECONNRESET);
}
END_TEST

START_TEST(closed_after_rst_close_sends_nothing)
{
	h_passive_established(h);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, user_close(h), 0);             /* as close(2) on a reset socket */
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
}
END_TEST

/* CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED state, delete the TCB, and return" */

START_TEST(closing_rst_enters_closed)
{
	h_goto(h, TCP_CLOSING);
	peer_sends(h, TH_RST, IRS + 2, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(last_ack_rst_enters_closed)
{
	h_goto(h, TCP_LAST_ACK);
	peer_sends(h, TH_RST, IRS + 2, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);                                    /* no FIN retransmission */
	expect_nothing_sent(h);
}
END_TEST

START_TEST(time_wait_rst_enters_closed)
{
	h_goto(h, TCP_TIME_WAIT);
	peer_sends(h, TH_RST, IRS + 2, 0, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

/* RFC 5961 3.2: the RST must carry exactly RCV.NXT */

START_TEST(established_rst_in_window_but_not_rcv_nxt_gets_challenge_ack)
{
	h_passive_established(h);
	peer_sends(h, TH_RST, IRS + 100, 0, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);              /* challenge ACK */
	expect_state(h, TCP_ESTABLISHED);
	expect_stat(h, STAT_CHALLENGE_ACK, 1);
	CHECK_EQ(h, h_error(h), 0);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);              /* the exact one does reset */
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
}
END_TEST

START_TEST(fin_wait_2_rst_in_window_but_not_rcv_nxt_gets_challenge_ack)
{
	h_goto(h, TCP_FIN_WAIT_2);
	peer_sends(h, TH_RST | TH_ACK, IRS + 2, ISS + 2, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 2, IRS + 1, 0);
	expect_state(h, TCP_FIN_WAIT_2);
}
END_TEST

START_TEST(established_rst_outside_window_is_dropped_silently)
{
	h_passive_established(h);
	peer_sends(h, TH_RST, IRS + 1 + 65535, 0, NULL, 0);      /* just past the window */
	expect_nothing_sent(h);
	peer_sends(h, TH_RST, IRS, 0, NULL, 0);                  /* just before RCV.NXT */
	expect_nothing_sent(h);
	peer_sends(h, TH_RST | TH_ACK, IRS + 0x80000000u, ISS + 1, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_ESTABLISHED);
	CHECK_EQ(h, h_error(h), 0);
}
END_TEST

/* No connection (3.10.7.1) */

START_TEST(closed_port_syn_with_data_gets_rst_ack_counting_syn_and_data)
{
	struct seg sg;

	peer_sends_to(999, TH_SYN, 5000, 0, "abc");
	sg = expect_sent(h, TH_RST | TH_ACK, 0, 5000 + 1 + 3, 0);
	expect_ports(&sg, 999);
}
END_TEST

START_TEST(closed_port_data_without_ack_gets_rst_ack_counting_data)
{
	struct seg sg;

	peer_sends_to(999, TH_PSH, 5000, 0, "hello");
	sg = expect_sent(h, TH_RST | TH_ACK, 0, 5005, 0);         /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
	expect_ports(&sg, 999);
}
END_TEST

START_TEST(closed_port_fin_without_ack_gets_rst_ack_counting_fin)
{
	peer_sends_to(999, TH_FIN, 5000, 0, NULL);
	expect_sent(h, TH_RST | TH_ACK, 0, 5001, 0);
	peer_sends_to(999, TH_FIN | TH_PSH, 6000, 0, "ab");
	expect_sent(h, TH_RST | TH_ACK, 0, 6003, 0);
}
END_TEST

START_TEST(closed_port_sequence_wraps_in_the_rst_ack)
{
	peer_sends_to(999, TH_SYN, 0xffffffffu, 0, NULL);
	expect_sent(h, TH_RST | TH_ACK, 0, 0, 0);                  /* 0xffffffff + 1 */
}
END_TEST

START_TEST(closed_port_ack_gets_rst_with_seq_of_ack)
{
	struct seg sg;

	peer_sends_to(999, TH_ACK, 5000, 7777, NULL);
	sg = expect_sent(h, TH_RST, 7777, 0, 0);                   /* <SEQ=SEG.ACK><CTL=RST> */
	expect_ports(&sg, 999);
	peer_sends_to(999, TH_FIN | TH_ACK | TH_PSH, 5000, 8888, "xy");
	expect_sent(h, TH_RST, 8888, 0, 0);
	peer_sends_to(999, TH_SYN | TH_ACK, 5000, 9999, NULL);
	expect_sent(h, TH_RST, 9999, 0, 0);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(closed_port_rst_is_never_answered)
{
	peer_sends_to(999, TH_RST, 5000, 0, NULL);
	peer_sends_to(999, TH_RST | TH_ACK, 5000, 7777, NULL);
	peer_sends_to(999, TH_RST | TH_PSH, 5000, 0, "data");
	expect_nothing_sent(h);
}
END_TEST

START_TEST(closed_connection_rst_is_never_answered)
{
	h_goto(h, TCP_TIME_WAIT);
	advance_ms(h, 2 * MSL_MS);
	expect_state(h, TCP_CLOSED);
	peer_sends(h, TH_RST, IRS + 2, 0, NULL, 0);
	peer_sends(h, TH_RST | TH_ACK, IRS + 2, ISS + 2, NULL, 0);
	expect_nothing_sent(h);
}
END_TEST

/* LISTEN (3.10.7.2) */

START_TEST(listen_ack_gets_rst_with_seq_of_ack)
{
	struct seg sg;

	h_listen(h);
	peer_sends(h, TH_ACK, IRS + 1, 12345, NULL, 0);
	sg = expect_sent(h, TH_RST, 12345, 0, 0);                  /* <SEQ=SEG.ACK><CTL=RST> */
	expect_ports(&sg, PORT);
	expect_state(h, TCP_LISTEN);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, 54321, "data", 4);
	expect_sent(h, TH_RST, 54321, 0, 0);
	expect_state(h, TCP_LISTEN);
}
END_TEST

START_TEST(listen_rst_is_ignored)
{
	h_listen(h);
	peer_sends(h, TH_RST, IRS, 0, NULL, 0);
	peer_sends(h, TH_RST | TH_ACK, IRS, ISS + 1, NULL, 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_LISTEN);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);                   /* still listening */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
}
END_TEST

/* ABORT (3.10.5) */

START_TEST(established_abort_sends_rst_and_enters_closed)
{
	h_passive_established(h);
	CHECK_EQ(h, user_abort(h), 0);
	expect_rst(h, ISS + 1);                                   /* <SEQ=SND.NXT><CTL=RST> */
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(established_abort_with_data_in_flight_sends_rst_at_snd_nxt)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "abc"), 3);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 3);
	CHECK_EQ(h, user_abort(h), 0);
	expect_rst(h, ISS + 4);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);                                    /* nothing retransmitted */
	expect_nothing_sent(h);
}
END_TEST

START_TEST(syn_sent_abort_sends_nothing_and_enters_closed)
{
	h_goto(h, TCP_SYN_SENT);
	CHECK_EQ(h, user_abort(h), 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(close_wait_abort_sends_rst_and_enters_closed)
{
	h_goto(h, TCP_CLOSE_WAIT);
	CHECK_EQ(h, user_abort(h), 0);
	expect_rst(h, ISS + 1);
	expect_state(h, TCP_CLOSED);
}
END_TEST

START_TEST(time_wait_abort_sends_nothing_and_enters_closed)
{
	h_goto(h, TCP_TIME_WAIT);
	CHECK_EQ(h, user_abort(h), 0);             /* 3.10.5: "respond with ok", no RST */
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("rst");
	TCase *tc = tcase_create("rst");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, syn_sent_rst_with_acceptable_ack_enters_closed_with_econnrefused);
	tcase_add_test(tc, syn_sent_connection_refused_is_reported_once_by_send);
	tcase_add_test(tc, syn_sent_rst_without_ack_is_ignored);
	tcase_add_test(tc, syn_sent_rst_with_unacceptable_ack_is_ignored);
	tcase_add_test(tc, syn_sent_unacceptable_ack_gets_rst_with_seq_of_ack);
	tcase_add_test(tc, syn_received_passive_rst_returns_to_listen_and_listener_keeps_working);
	tcase_add_test(tc, syn_received_active_rst_enters_closed_with_econnrefused);
	tcase_add_test(tc, syn_received_unacceptable_ack_gets_rst_with_seq_of_ack);
	tcase_add_test(tc, established_rst_enters_closed_and_recv_reports_econnreset_once);
	tcase_add_test(tc, established_rst_enters_closed_and_send_reports_econnreset_once);
	tcase_add_test(tc, established_rst_drops_unacknowledged_data_and_stops_retransmission);
	tcase_add_test(tc, fin_wait_1_rst_enters_closed_with_econnreset);
	tcase_add_test(tc, fin_wait_2_rst_enters_closed_with_econnreset);
	tcase_add_test(tc, fin_wait_1_after_close_rst_enters_closed);
	tcase_add_test(tc, fin_wait_2_after_close_rst_enters_closed);
	tcase_add_test(tc, close_wait_rst_enters_closed_with_econnreset);
	tcase_add_test(tc, closed_after_rst_close_sends_nothing);
	tcase_add_test(tc, closing_rst_enters_closed);
	tcase_add_test(tc, last_ack_rst_enters_closed);
	tcase_add_test(tc, time_wait_rst_enters_closed);
	tcase_add_test(tc, established_rst_in_window_but_not_rcv_nxt_gets_challenge_ack);
	tcase_add_test(tc, fin_wait_2_rst_in_window_but_not_rcv_nxt_gets_challenge_ack);
	tcase_add_test(tc, established_rst_outside_window_is_dropped_silently);
	tcase_add_test(tc, closed_port_syn_with_data_gets_rst_ack_counting_syn_and_data);
	tcase_add_test(tc, closed_port_data_without_ack_gets_rst_ack_counting_data);
	tcase_add_test(tc, closed_port_fin_without_ack_gets_rst_ack_counting_fin);
	tcase_add_test(tc, closed_port_sequence_wraps_in_the_rst_ack);
	tcase_add_test(tc, closed_port_ack_gets_rst_with_seq_of_ack);
	tcase_add_test(tc, closed_port_rst_is_never_answered);
	tcase_add_test(tc, closed_connection_rst_is_never_answered);
	tcase_add_test(tc, listen_ack_gets_rst_with_seq_of_ack);
	tcase_add_test(tc, listen_rst_is_ignored);
	tcase_add_test(tc, established_abort_sends_rst_and_enters_closed);
	tcase_add_test(tc, established_abort_with_data_in_flight_sends_rst_at_snd_nxt);
	tcase_add_test(tc, syn_sent_abort_sends_nothing_and_enters_closed);
	tcase_add_test(tc, close_wait_abort_sends_rst_and_enters_closed);
	tcase_add_test(tc, time_wait_abort_sends_nothing_and_enters_closed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

/* check_handshake.c - opening a connection: passive, active, simultaneous (RFC 9293
 * 3.5, figures 6 and 7), and the lost SYN / SYN-ACK. */
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

START_TEST(listen_syn_sends_syn_ack_and_enters_syn_received)
{
	h_listen(h);
	expect_state(h, TCP_LISTEN);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	struct seg sg = expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	CHECK_EQ(h, sg.mss, 1460);
	expect_state(h, TCP_SYN_RECEIVED);
}
END_TEST

START_TEST(syn_received_ack_of_syn_enters_established_and_accepts)
{
	h_passive_established(h);
	char buf[16];
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), -EAGAIN);
}
END_TEST

START_TEST(closed_connect_sends_syn_and_syn_ack_establishes)
{
	h_active_established(h);
	CHECK_EQ(h, h_error(h), 0);
}
END_TEST

/* MUST-60 */
START_TEST(data_flows_both_ways_in_established)
{
	char buf[64];

	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "ping", 4);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 5, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "ping");
	CHECK_EQ(h, user_send(h, "pong"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 5, 4);
	peer_sends(h, TH_ACK, IRS + 5, ISS + 5, NULL, 0);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-10 */
START_TEST(syn_sent_syn_without_ack_enters_syn_received_simultaneous_open)
{
	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_state(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_SYN | TH_ACK, IRS, ISS + 1, NULL, 0);   /* figure 7, line 6 */
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

START_TEST(syn_sent_rst_with_acceptable_ack_refuses_connection)
{
	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_RST | TH_ACK, 0, ISS + 1, NULL, 0);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, h_error(h), -ECONNREFUSED);
}
END_TEST

START_TEST(syn_sent_lost_syn_is_retransmitted_after_1s_then_2s)
{
	h_goto(h, TCP_SYN_SENT);
	advance_ms(h, 999);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_SYN, ISS, 0, 0);
	advance_ms(h, 1999);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_SYN, ISS, 0, 0);
}
END_TEST

START_TEST(closed_port_syn_gets_rst_ack)
{
	h->lport = 999;
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_sent(h, TH_RST | TH_ACK, 0, IRS + 1, 0);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("handshake");
	TCase *tc = tcase_create("handshake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, listen_syn_sends_syn_ack_and_enters_syn_received);
	tcase_add_test(tc, syn_received_ack_of_syn_enters_established_and_accepts);
	tcase_add_test(tc, closed_connect_sends_syn_and_syn_ack_establishes);
	tcase_add_test(tc, data_flows_both_ways_in_established);
	tcase_add_test(tc, syn_sent_syn_without_ack_enters_syn_received_simultaneous_open);
	tcase_add_test(tc, syn_sent_rst_with_acceptable_ack_refuses_connection);
	tcase_add_test(tc, syn_sent_lost_syn_is_retransmitted_after_1s_then_2s);
	tcase_add_test(tc, closed_port_syn_gets_rst_ack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

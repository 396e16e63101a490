/* check_states.c - the rest of the state diagram (RFC 9293 figure 5) and its edges:
 * CLOSE in LISTEN, SYN-SENT and SYN-RECEIVED (3.10.4), giving up after bounded
 * retransmissions (3.8.3, RFC 6298 5), SYN and unacceptable segments in a
 * synchronized state (3.10.7.4 first and fourth, RFC 5961 4), ACKs of unsent data,
 * a duplicate SYN in SYN-RECEIVED, the MSS option (3.7.1), the receive window,
 * sequence numbers across 2^32, and the peer's zero window (3.8.6.1). */
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

static char pattern[65536];      /* byte i is 'a' + i % 26 */

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (char)('a' + i % 26);
}

/* The user sends n bytes of the pattern; all of them must be queued. */
static void user_send_n(uint32_t n)
{
	ssize_t r = tcp_send(h->s, h->now, h->h, pattern, n);

	h_say(h, "user: send(%u bytes) = %zd", n, r);
	CHECK_EQ(h, r, n);
}

/* The user reads and expects exactly n bytes. */
static void user_recv_n(uint32_t n)
{
	static char buf[70000];
	ssize_t r = tcp_recv(h->s, h->now, h->h, buf, sizeof(buf));

	h_say(h, "user: recv() = %zd", r);
	CHECK_EQ(h, r, n);
}

/* The peer's SYN or SYN,ACK with a chosen MSS option (0: none). */
static void peer_sends_syn_mss(uint8_t flags, uint32_t ack, uint16_t mss)
{
	struct seg sg = {
		.src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = h->lport,
		.seq = IRS, .ack = ack, .flags = flags, .wnd = 65535, .mss = mss,
	};

	h_say(h, "peer: flags 0x%02x seq %u ack %u, MSS option %u", flags, IRS, ack, mss);
	peer_sends_seg(h, &sg);
}

/* Passive open where the peer's SYN carries `mss` (0: no option). */
static void passive_established_mss(uint16_t mss)
{
	h_listen(h);
	peer_sends_syn_mss(TH_SYN, 0, mss);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_state(h, TCP_ESTABLISHED);
	if ((h->h = tcp_accept(h->s, h->lh)) < 0)
		h_fail(h, "accept failed: %d", h->h);
}

/* The retransmission timeout after n timeouts: 1 s, doubling, at most TCP_RTO_MAX_MS. */
/* The RTO after n timeouts, from `rto` (TCP_RTO_INITIAL_MS before any RTT sample) */
static uint64_t backed_off(uint64_t rto, int n)
{
	while (n-- > 0)
		rto = rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto * 2;
	return rto;
}


/* A zero-window probe: either Linux's (SEQ=SND.UNA-1, no data) or RFC 1122
 * 4.2.2.17's (one byte of new data at SND.UNA). */
static void expect_window_probe(uint32_t snd_una, uint32_t rcv_nxt)
{
	struct seg sg = peek_sent(h);

	if (!((sg.seq == snd_una - 1 && sg.dlen == 0) || (sg.seq == snd_una && sg.dlen == 1)))
		h_fail(h, "expected a window probe (seq %u len 0, or seq %u len 1), the stack "
		       "sent seq %u len %u", snd_una - 1, snd_una, sg.seq, sg.dlen);
	expect_sent(h, TH_ACK, sg.seq, rcv_nxt, sg.dlen);
}

/* CLOSED -> LISTEN -> CLOSED */

START_TEST(closed_passive_open_enters_listen_and_sends_nothing)
{
	h_listen(h);
	expect_state(h, TCP_LISTEN);
	expect_nothing_sent(h);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(listen_close_enters_closed_and_port_refuses_syn)
{
	h_listen(h);
	h->h = h->lh;
	CHECK_EQ(h, user_close(h), 0);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);                   /* 3.10.7.1 */
	expect_sent(h, TH_RST | TH_ACK, 0, IRS + 1, 0);
}
END_TEST

START_TEST(listen_send_without_foreign_socket_fails_and_sends_nothing)
{
	h_listen(h);
	h->h = h->lh;
	/* 3.10.2 SEND in LISTEN: "If the foreign socket is unspecified, then return
	 * 'error: foreign socket unspecified'". A BSD listener never has one. */
	if (user_send(h, "data") >= 0)
		h_fail(h, "send on a listener succeeded");
	expect_nothing_sent(h);
	expect_state(h, TCP_LISTEN);
}
END_TEST

/* SYN-SENT -> CLOSED by CLOSE */

START_TEST(syn_sent_close_enters_closed_and_stops_retransmitting)
{
	h_goto(h, TCP_SYN_SENT);
	CHECK_EQ(h, user_close(h), 0);
	expect_nothing_sent(h);                                   /* 3.10.4: delete the TCB */
	expect_state(h, TCP_CLOSED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
	peer_sends(h, TH_SYN | TH_ACK, IRS, ISS + 1, NULL, 0);   /* a late SYN,ACK */
	expect_sent(h, TH_RST, ISS + 1, 0, 0);                    /* <SEQ=SEG.ACK><CTL=RST> */
}
END_TEST

/* SYN-RECEIVED -> FIN-WAIT-1 by CLOSE (figure 5; 3.10.4 SYN-RECEIVED: "If no SENDs
 * have been issued and there is no pending data to send, then form a FIN segment
 * and send it, and enter FIN-WAIT-1 state"). Linux does the same (tcp_close_state). */

START_TEST(syn_received_close_sends_fin_and_enters_fin_wait_1)
{
	h_goto(h, TCP_SYN_SENT);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);                  /* simultaneous open */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_state(h, TCP_SYN_RECEIVED);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 2, NULL, 0);        /* acks SYN and FIN */
	expect_state(h, TCP_FIN_WAIT_2);
	expect_nothing_sent(h);
}
END_TEST

/* Giving up (3.8.3: R2 for the SYN, bounded data retransmissions; RFC 6298 5.5) */

/* MUST-22 */
START_TEST(syn_sent_gives_up_after_syn_retries_with_etimedout)
{
	char buf[8];

	h_goto(h, TCP_SYN_SENT);
	for (int i = 0; i < TCP_SYN_RETRIES; i++) {
		advance_ms(h, backed_off(TCP_RTO_INITIAL_MS, i) - 1);
		expect_nothing_sent(h);
		advance_ms(h, 1);
		expect_sent(h, TH_SYN, ISS, 0, 0);
		expect_state(h, TCP_SYN_SENT);
	}
	advance_ms(h, backed_off(TCP_RTO_INITIAL_MS, TCP_SYN_RETRIES) - 1);
	expect_state(h, TCP_SYN_SENT);
	advance_ms(h, 1);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), -ETIMEDOUT);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 0);
	advance_ms(h, 600000);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-22 */
START_TEST(syn_received_syn_ack_retransmitted_then_child_dropped_listener_stays)
{
	h_goto(h, TCP_SYN_RECEIVED);
	for (int i = 0; i < TCP_SYNACK_RETRIES; i++) {            /* Linux: tcp_synack_retries */
		advance_ms(h, backed_off(TCP_RTO_INITIAL_MS, i) - 1);
		expect_nothing_sent(h);
		advance_ms(h, 1);
		expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	}
	advance_ms(h, backed_off(TCP_RTO_INITIAL_MS, TCP_SYNACK_RETRIES));
	expect_nothing_sent(h);
	expect_state(h, TCP_LISTEN);                  /* the child is gone, the listener not */
	CHECK_EQ(h, tcp_accept(h->s, h->lh), -EAGAIN);
	peer_sends(h, TH_SYN, IRS + 7000, 0, NULL, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 7001, 0);
}
END_TEST

START_TEST(established_data_is_retransmitted_after_rto_then_twice_that)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "data"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	advance_ms(h, RTO_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	advance_ms(h, 2 * RTO_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 5, NULL, 0);
	advance_ms(h, 100000);
	expect_nothing_sent(h);
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

/* MUST-20, SHLD-11 */
START_TEST(established_data_retransmission_gives_up_with_etimedout)
{
	char buf[8];

	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "data"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	for (int i = 0; i < TCP_DATA_RETRIES; i++) {
		advance_ms(h, backed_off(RTO_MS, i) - 1);
		expect_nothing_sent(h);
		advance_ms(h, 1);
		expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	}
	advance_ms(h, backed_off(RTO_MS, TCP_DATA_RETRIES) - 1);
	expect_state(h, TCP_ESTABLISHED);
	advance_ms(h, 1);
	expect_state(h, TCP_CLOSED);
	expect_nothing_sent(h);                                   /* as Linux: no RST */
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), -ETIMEDOUT);
	CHECK_EQ(h, user_send(h, "more"), -EPIPE);
}
END_TEST

/* 3.10.7.4 fourth with RFC 5961 4.2: a SYN in a synchronized state */

START_TEST(established_syn_in_window_gets_challenge_ack_and_does_not_reset)
{
	h_passive_established(h);
	peer_sends(h, TH_SYN, IRS + 100, 0, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_ESTABLISHED);
	expect_stat(h, STAT_RST_SENT, 0);
	CHECK_EQ(h, h_error(h), 0);
	CHECK_EQ(h, user_send(h, "ok"), 2);                       /* still usable */
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 2);
}
END_TEST

START_TEST(established_old_syn_gets_ack_and_does_not_reset)
{
	h_passive_established(h);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);                  /* the handshake's SYN again */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	peer_sends(h, TH_SYN | TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_ESTABLISHED);
	expect_stat(h, STAT_RST_SENT, 0);
}
END_TEST

/* 3.10.7.4 first: an unacceptable segment is answered with
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and dropped */

START_TEST(established_segment_beyond_window_is_answered_with_ack)
{
	char buf[8];

	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1 + 70000, ISS + 1, "far", 3);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), -EAGAIN);
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

START_TEST(established_duplicate_segment_is_answered_with_ack)
{
	char buf[8];

	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "hello", 5);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 6, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 5);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "hello", 5);   /* our ACK was lost */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 6, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), -EAGAIN);     /* not delivered twice */
}
END_TEST

/* 3.10.7.4 fifth: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT),
 * then send an ACK, drop the segment, and return." */

START_TEST(established_ack_of_unsent_data_is_answered_with_ack_and_dropped)
{
	char buf[8];

	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 100, "oops", 4);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);              /* the data is not taken */
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), -EAGAIN);
	expect_state(h, TCP_ESTABLISHED);
	expect_stat(h, STAT_RST_SENT, 0);
}
END_TEST

/* SYN-RECEIVED: the peer's SYN again means our SYN,ACK was lost */

START_TEST(syn_received_duplicate_syn_resends_syn_ack)
{
	h_goto(h, TCP_SYN_RECEIVED);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_state(h, TCP_SYN_RECEIVED);
	expect_nothing_sent(h);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_state(h, TCP_ESTABLISHED);
	expect_nothing_sent(h);
}
END_TEST

START_TEST(syn_received_syn_ack_is_retransmitted_after_1s)
{
	h_goto(h, TCP_SYN_RECEIVED);
	advance_ms(h, 999);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_state(h, TCP_ESTABLISHED);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
}
END_TEST

/* MSS (3.7.1) */

/* MUST-14, SHLD-5, MAY-3, MUST-67 */
START_TEST(syn_and_syn_ack_carry_mss_option)
{
	struct seg sg;

	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	sg = expect_sent(h, TH_SYN, ISS, 0, 0);
	CHECK_EQ(h, sg.mss, 1460);                                /* MTU 1500 - 40 */
	h->lport = sg.sport;
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);                  /* simultaneous open */
	sg = expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	CHECK_EQ(h, sg.mss, 1460);
}
END_TEST

/* MUST-14 */
START_TEST(established_peer_mss_in_syn_ack_limits_segment_size)
{
	struct seg sg;

	fill_pattern();
	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	h->lport = expect_sent(h, TH_SYN, ISS, 0, 0).sport;
	peer_sends_syn_mss(TH_SYN | TH_ACK, ISS + 1, 1000);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	user_send_n(3000);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 1000);
	expect_sent(h, TH_ACK, ISS + 1001, IRS + 1, 1000);
	sg = expect_sent(h, TH_ACK | TH_PSH, ISS + 2001, IRS + 1, 1000);
	CHECK_EQ(h, sg.data[0], pattern[2000]);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-16, SHLD-28 */
START_TEST(established_peer_mss_in_syn_limits_segment_size)
{
	fill_pattern();
	passive_established_mss(1000);
	user_send_n(3000);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 1000);
	expect_sent(h, TH_ACK, ISS + 1001, IRS + 1, 1000);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 2001, IRS + 1, 1000);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-15 */
START_TEST(established_no_mss_option_means_536)
{
	fill_pattern();
	passive_established_mss(0);
	user_send_n(1000);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 536);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 537, IRS + 1, 1000 - 536);
	expect_nothing_sent(h);
}
END_TEST

/* MUST-16 */
START_TEST(established_peer_mss_above_ours_is_capped_at_ours)
{
	fill_pattern();
	passive_established_mss(9000);
	user_send_n(2000);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 1460);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1461, IRS + 1, 540);
	expect_nothing_sent(h);
}
END_TEST

/* The receive window (3.8.6): it shrinks as data waits unread, opens when read */

/* MUST-1, SHLD-14 */
START_TEST(established_receive_window_shrinks_and_update_sent_after_read)
{
	uint32_t seq = IRS + 1, queued = 0;
	struct seg sg;

	fill_pattern();
	h_passive_established(h);
	while (queued < TCP_RCVBUF) {
		uint32_t n = TCP_RCVBUF - queued < 1460 ? TCP_RCVBUF - queued : 1460;
		peer_sends(h, TH_ACK, seq, ISS + 1, pattern, n);
		seq += n;
		queued += n;
		sg = expect_sent(h, TH_ACK, ISS + 1, seq, 0);
		CHECK_EQ(h, sg.wnd, TCP_RCVBUF - queued);
	}
	user_recv_n(TCP_RCVBUF);
	sg = expect_sent(h, TH_ACK, ISS + 1, seq, 0);             /* the window update */
	CHECK_EQ(h, sg.wnd, TCP_RCVBUF);
	expect_nothing_sent(h);
}
END_TEST

/* MAY-8 */
START_TEST(established_zero_receive_window_refuses_data_and_acks)
{
	uint32_t seq = IRS + 1;
	struct seg sg;
	char buf[8];

	fill_pattern();
	h_passive_established(h);
	for (uint32_t left = TCP_RCVBUF; left; ) {
		uint32_t n = left < 1460 ? left : 1460;
		peer_sends(h, TH_ACK, seq, ISS + 1, pattern, n);
		expect_sent(h, TH_ACK, ISS + 1, seq + n, 0);
		seq += n;
		left -= n;
	}
	peer_sends(h, TH_ACK, seq, ISS + 1, "x", 1);              /* the peer's window probe */
	sg = expect_sent(h, TH_ACK, ISS + 1, seq, 0);             /* not taken, but answered */
	CHECK_EQ(h, sg.wnd, 0);
	user_recv_n(TCP_RCVBUF);
	sg = expect_sent(h, TH_ACK, ISS + 1, seq, 0);
	CHECK_EQ(h, sg.wnd, TCP_RCVBUF);
	peer_sends(h, TH_ACK, seq, ISS + 1, "x", 1);
	expect_sent(h, TH_ACK, ISS + 1, seq + 1, 0);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 1);
}
END_TEST

/* Sequence numbers wrap: ISS and IRS are just below 2^32 */

START_TEST(established_sequence_numbers_wrap_past_2_32)
{
	fill_pattern();
	h_passive_established(h);
	user_send_n(600);                                      /* ISS+1 .. ISS+600 wrap */
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 600);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 301, NULL, 0);       /* a partial ACK, past 0 */
	expect_nothing_sent(h);
	advance_ms(h, RTO_MS);                                    /* only the rest again */
	expect_sent(h, TH_ACK | TH_PSH, ISS + 301, IRS + 1, 300);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 601, NULL, 0);
	advance_ms(h, 10000);
	expect_nothing_sent(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 601, pattern, 32);   /* IRS+1 .. past 0 */
	expect_sent(h, TH_ACK, ISS + 601, IRS + 33, 0);
	user_recv_n(32);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 33, ISS + 601, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 601, IRS + 34, 0);
	expect_state(h, TCP_CLOSE_WAIT);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 601, IRS + 34, 0);
	peer_sends(h, TH_ACK, IRS + 34, ISS + 602, NULL, 0);
	expect_state(h, TCP_CLOSED);
}
END_TEST

/* The peer's zero window (3.8.6.1): stop, probe, go on when it opens */

/* MUST-36, SHLD-29, SHLD-30 */
START_TEST(established_zero_window_stops_sending_probes_then_data_flows)
{
	h_passive_established(h);
	h->peer_wnd = 0;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	CHECK_EQ(h, user_send(h, "hello"), 5);
	expect_nothing_sent(h);
	advance_ms(h, RTO_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);                          /* RFC 1122 4.2.2.17: after one RTO */
	expect_window_probe(ISS + 1, IRS + 1);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);         /* still zero */
	advance_ms(h, 2 * RTO_MS - 1);             /* and the interval grows */
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_window_probe(ISS + 1, IRS + 1);
	h->peer_wnd = 65535;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);         /* the window opens */
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 5);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 6, NULL, 0);
	advance_ms(h, 100000);
	expect_nothing_sent(h);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("states");
	TCase *tc = tcase_create("states");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, closed_passive_open_enters_listen_and_sends_nothing);
	tcase_add_test(tc, listen_close_enters_closed_and_port_refuses_syn);
	tcase_add_test(tc, listen_send_without_foreign_socket_fails_and_sends_nothing);
	tcase_add_test(tc, syn_sent_close_enters_closed_and_stops_retransmitting);
	tcase_add_test(tc, syn_received_close_sends_fin_and_enters_fin_wait_1);
	tcase_add_test(tc, syn_sent_gives_up_after_syn_retries_with_etimedout);
	tcase_add_test(tc, syn_received_syn_ack_retransmitted_then_child_dropped_listener_stays);
	tcase_add_test(tc, established_data_is_retransmitted_after_rto_then_twice_that);
	tcase_add_test(tc, established_data_retransmission_gives_up_with_etimedout);
	tcase_add_test(tc, established_syn_in_window_gets_challenge_ack_and_does_not_reset);
	tcase_add_test(tc, established_old_syn_gets_ack_and_does_not_reset);
	tcase_add_test(tc, established_segment_beyond_window_is_answered_with_ack);
	tcase_add_test(tc, established_duplicate_segment_is_answered_with_ack);
	tcase_add_test(tc, established_ack_of_unsent_data_is_answered_with_ack_and_dropped);
	tcase_add_test(tc, syn_received_duplicate_syn_resends_syn_ack);
	tcase_add_test(tc, syn_received_syn_ack_is_retransmitted_after_1s);
	tcase_add_test(tc, syn_and_syn_ack_carry_mss_option);
	tcase_add_test(tc, established_peer_mss_in_syn_ack_limits_segment_size);
	tcase_add_test(tc, established_peer_mss_in_syn_limits_segment_size);
	tcase_add_test(tc, established_no_mss_option_means_536);
	tcase_add_test(tc, established_peer_mss_above_ours_is_capped_at_ours);
	tcase_add_test(tc, established_receive_window_shrinks_and_update_sent_after_read);
	tcase_add_test(tc, established_zero_receive_window_refuses_data_and_acks);
	tcase_add_test(tc, established_sequence_numbers_wrap_past_2_32);
	tcase_add_test(tc, established_zero_window_stops_sending_probes_then_data_flows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

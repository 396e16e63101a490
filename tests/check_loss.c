/* check_loss.c - what happens when a packet is lost, stories with a scripted peer:
 * the retransmission timeout from measured round trips (RFC 6298, Karn), holes
 * filled by reassembly (every byte once, in order; a FIN past a hole waits),
 * delayed ACKs and Nagle, the sender's silly-window avoidance, the persist timer,
 * and congestion control: slow start, congestion avoidance, fast retransmit and
 * NewReno's fast recovery (RFC 5681, RFC 6582). Windows are read from tcp_status,
 * as `ss -ti` shows them on Linux. */
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "harness.h"

#define MSS 1460u                        /* both sides: MTU 1500 */

static struct harness *h;
static char data[70000];                 /* byte i of a stream is data[i] */
static uint32_t peer_nxt;                /* how much of its stream the peer has sent */

static void setup(void)
{
	h = h_new();
	peer_nxt = 0;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + (i * 7 + i / 26) % 26);
}
static void teardown(void) { h_free(h); }

/* The test is about NewReno's arithmetic (RFC 5681, 6582): --cc newreno, not the default CUBIC. */
static void newreno(void)
{
	struct stack_config cfg = h_config(0);

	cfg.cc = STACK_CC_NEWRENO;
	h_free(h);
	h = h_new_config(&cfg);
}

static struct tcp_status status(void)
{
	struct tcp_status st;

	CHECK_EQ(h, tcp_status(h->s, h->h, &st), 0);
	h_say(h, "status: srtt %u us rttvar %u us rto %u ms cwnd %u ssthresh %u", st.srtt_us,
	      st.rttvar_us, st.rto_ms, st.cwnd, st.ssthresh);
	return st;
}

/* The user queues bytes [off, off+n) of the stream. */
static void send_bytes(uint32_t off, uint32_t n)
{
	ssize_t r = tcp_send(h->s, h->now, h->h, data + off, n);

	h_say(h, "user: send(%u bytes) = %zd", n, r);
	CHECK_EQ(h, r, n);
}

/* The peer sends bytes [off, off+n) of its stream (offset 0 is IRS+1). */
static void peer_data(uint32_t off, uint32_t n, uint8_t extra)
{
	peer_sends(h, TH_ACK | extra, IRS + 1 + off, ISS + 1, data + off, n);
	if (off + n > peer_nxt)
		peer_nxt = off + n;
}

/* The user reads everything there is and expects exactly bytes [off, off+n). */
static void expect_read(uint32_t off, uint32_t n)
{
	static char buf[70000];
	ssize_t r = tcp_recv(h->s, h->now, h->h, buf, sizeof(buf));

	h_say(h, "user: recv() = %zd", r);
	CHECK_EQ(h, r, n);
	CHECK_EQ(h, memcmp(buf, data + off, n), 0);
}

/* The peer acknowledges up to byte `off` of our stream. */
static void peer_acks(uint32_t off)
{
	peer_sends(h, TH_ACK, IRS + 1 + peer_nxt, ISS + 1 + off, NULL, 0);
}

/* The stack sends bytes [off, off+n) of its stream. */
static void expect_data(uint32_t off, uint32_t n)
{
	expect_sent(h, TH_ACK, ISS + 1 + off, IRS + 1, n);
}

/* Every segment the stack sent must be a pure ACK; the last one is returned. */
static struct seg last_ack(void)
{
	struct seg sg = peek_sent(h);

	while (sent_pending(h))
		sg = expect_sent(h, TH_ACK, peek_sent(h).seq, peek_sent(h).ack, 0);
	return sg;
}

/* Virtual time passes in 10 ms steps until the stack sends something. */
static uint64_t wait_for_segment(uint64_t max_ms)
{
	uint64_t t = 0;

	while (!sent_pending(h) && t < max_ms) {
		advance_ms(h, 10);
		t += 10;
	}
	return t;
}

/* A passive open whose ACK comes `rtt_ms` after the SYN,ACK: one RTT sample. */
static void established_with_rtt(uint64_t rtt_ms)
{
	h_listen(h);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	advance_ms(h, rtt_ms);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	h->h = tcp_accept(h->s, h->lh);
	CHECK_EQ(h, h->h >= 0, 1);
}

/* ---- RFC 6298: the retransmission timeout ---- */

/* MUST-18 */
START_TEST(rto_first_sample_is_srtt_plus_4_rttvar)
{
	struct tcp_status st;

	established_with_rtt(100);
	st = status();
	CHECK_EQ(h, st.srtt_us, 100000);                     /* 2.2: SRTT = R */
	CHECK_EQ(h, st.rttvar_us, 50000);                    /*      RTTVAR = R/2 */
	CHECK_EQ(h, st.rto_ms, 300);                         /*      RTO = SRTT + 4*RTTVAR */
	send_bytes(0, 10);
	expect_data(0, 10);
	advance_ms(h, 299);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_data(0, 10);                                  /* the timer says 300 ms */
}
END_TEST

/* -v shows each RTT sample with SRTT, RTTVAR and the RTO it gives, and a timeout's
 * backed-off RTO (what a student needs to answer "what is the RTO now?"). */
START_TEST(rtt_samples_and_rto_changes_are_in_the_trace)
{
	established_with_rtt(100);
	CHECK_EQ(h, strstr(h->log, "rtt: sample 100.000 ms: srtt 100.000 ms, rttvar 50.000 ms, "
			   "rto 300 ms") != NULL, 1);
	send_bytes(0, 10);
	expect_data(0, 10);
	advance_ms(h, 300);
	expect_data(0, 10);
	CHECK_EQ(h, strstr(h->log, "timer: retransmission timeout (rto 300 ms), rto now 600 ms")
		 != NULL, 1);
}
END_TEST

/* MUST-18 */
START_TEST(rto_later_samples_are_smoothed)
{
	struct tcp_status st;

	established_with_rtt(100);
	send_bytes(0, 10);
	expect_data(0, 10);
	advance_ms(h, 100);
	peer_acks(10);                                       /* R = 100 ms again */
	st = status();
	CHECK_EQ(h, st.srtt_us, 100000);                     /* 2.3: 7/8 100 + 1/8 100 */
	CHECK_EQ(h, st.rttvar_us, 37500);                    /* 3/4 50 + 1/4 |100 - 100| */
	CHECK_EQ(h, st.rto_ms, 250);
	send_bytes(10, 10);
	expect_data(10, 10);
	advance_ms(h, 20);
	peer_acks(20);                                       /* R = 20 ms */
	st = status();
	CHECK_EQ(h, st.srtt_us, 90000);                      /* 7/8 100 + 1/8 20 */
	CHECK_EQ(h, st.rttvar_us, 48125);                    /* 3/4 37.5 + 1/4 80 */
	CHECK_EQ(h, st.rto_ms, 283);                         /* 90 + 192.5, rounded up */
	send_bytes(20, 10);
	expect_data(20, 10);
	advance_ms(h, 282);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_data(20, 10);
}
END_TEST

START_TEST(rto_has_a_floor_of_200_ms)
{
	established_with_rtt(1);                             /* 1 + 4 * 0.5 = 3 ms */
	CHECK_EQ(h, status().rto_ms, TCP_RTO_MIN_MS);
}
END_TEST

/* Karn: the ACK of a retransmitted segment may be for either copy: no sample,
 * and the backed-off RTO stays until a segment sent once is acknowledged (MUST-18). */
START_TEST(rto_karn_no_sample_from_a_retransmission_backoff_kept)
{
	struct tcp_status st;

	established_with_rtt(100);                           /* RTO 300 ms */
	send_bytes(0, 10);
	expect_data(0, 10);
	advance_ms(h, 300);
	expect_data(0, 10);                                  /* backed off to 600 ms */
	advance_ms(h, 50);
	peer_acks(10);
	st = status();
	CHECK_EQ(h, st.srtt_us, 100000);                     /* unchanged */
	CHECK_EQ(h, st.rto_ms, 600);                         /* still backed off */
	send_bytes(10, 10);
	expect_data(10, 10);
	advance_ms(h, 100);
	peer_acks(20);                                       /* a clean sample: R = 100 */
	st = status();
	CHECK_EQ(h, st.rto_ms, 250);
}
END_TEST

/* MUST-19, MUST-20 */
START_TEST(rto_backs_off_by_doubling_then_gives_up_with_etimedout)
{
	uint64_t rto = 300, total = 0;
	char buf[4];

	established_with_rtt(100);
	send_bytes(0, 10);
	expect_data(0, 10);
	for (int i = 0; i < TCP_DATA_RETRIES; i++) {
		advance_ms(h, rto - 1);
		expect_nothing_sent(h);
		advance_ms(h, 1);
		expect_data(0, 10);
		total += rto;
		rto = rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto * 2;
	}
	advance_ms(h, rto);
	total += rto;
	CHECK_EQ(h, total, 136500);              /* 300 ms * (2^8 - 1), then the 60 s ceiling */
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, buf, sizeof(buf)), -ETIMEDOUT);
}
END_TEST

/* RFC 6298 3: a SYN,ACK sent again (for a duplicate SYN) gives no sample (MUST-18). */
START_TEST(rto_karn_syn_ack_sent_twice_gives_no_sample)
{
	h_listen(h);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	advance_ms(h, 900);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);                 /* our SYN,ACK was lost */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	advance_ms(h, 10);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);       /* for which copy? */
	h->h = tcp_accept(h->s, h->lh);
	CHECK_EQ(h, status().srtt_us, 0);                    /* no sample */
	CHECK_EQ(h, status().rto_ms, TCP_RTO_INITIAL_MS);
}
END_TEST

/* RFC 6298 5.7: the SYN timed out, so data starts with an RTO of 3 s. */
START_TEST(rto_is_3_s_when_data_starts_after_a_lost_syn)
{
	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	h->lport = expect_sent(h, TH_SYN, ISS, 0, 0).sport;
	advance_ms(h, TCP_RTO_INITIAL_MS);
	expect_sent(h, TH_SYN, ISS, 0, 0);                      /* the first one was lost */
	peer_sends(h, TH_SYN | TH_ACK, IRS, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	CHECK_EQ(h, status().cwnd, MSS);                     /* RFC 5681 3.1: IW one segment */
	send_bytes(0, 10);
	expect_data(0, 10);
	advance_ms(h, TCP_RTO_SYN_LOST_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_data(0, 10);
}
END_TEST

/* ---- reassembly ---- */

/* SHLD-31 */
START_TEST(reasm_segment_past_a_hole_waits_and_is_delivered_when_it_fills)
{
	char buf[8];

	h_passive_established(h);
	peer_data(100, 100, 0);                              /* bytes 0..99 are lost */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);         /* a duplicate ACK, at once */
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(h, status().ooo_pieces, 1);
	peer_data(0, 100, 0);                                /* the hole fills */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 201, 0);       /* both acknowledged at once */
	expect_read(0, 200);
	expect_stat(h, STAT_TCP_OOO_QUEUED, 1);
}
END_TEST

/* SHLD-31 */
START_TEST(reasm_overlaps_and_duplicates_deliver_each_byte_once)
{
	h_passive_established(h);
	peer_data(300, 100, 0);
	peer_data(100, 100, 0);
	peer_data(150, 200, 0);                              /* overlaps both */
	peer_data(100, 100, 0);                              /* a duplicate */
	peer_data(500, 50, 0);                               /* another hole: 400..499 */
	CHECK_EQ(h, status().ooo_pieces, 2);
	while (sent_pending(h))
		expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);     /* each one: a dup ACK */
	peer_data(0, 120, 0);                                /* overlaps the first piece */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 401, 0);
	expect_read(0, 400);
	peer_data(390, 120, 0);                              /* old bytes, then new ones */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 551, 0);
	expect_read(400, 150);
	CHECK_EQ(h, status().ooo_pieces, 0);
}
END_TEST

START_TEST(reasm_fin_past_a_hole_waits_for_the_hole)
{
	char buf[8];

	h_passive_established(h);
	peer_data(100, 100, TH_FIN);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_ESTABLISHED);                    /* not CLOSE-WAIT yet */
	peer_data(0, 100, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 202, 0);       /* 200 bytes and the FIN */
	expect_state(h, TCP_CLOSE_WAIT);
	expect_read(0, 200);
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(reasm_keeps_a_bounded_number_of_pieces)
{
	h_passive_established(h);
	for (uint32_t i = 0; i <= TCP_OOO_RANGES; i++)       /* one piece too many */
		peer_data(100 + 20 * i, 10, 0);
	expect_stat(h, STAT_DROP_TCP_OOO, 1);
	CHECK_EQ(h, status().ooo_pieces, TCP_OOO_RANGES);
	for (uint32_t i = 0; i <= TCP_OOO_RANGES; i++)       /* the peer fills every gap */
		peer_data(i ? 90 + 20 * i : 0, i ? 10 : 100, 0);
	peer_data(100 + 20 * TCP_OOO_RANGES, 10, 0);         /* and resends the dropped one */
	CHECK_EQ(h, last_ack().ack, IRS + 1 + 110 + 20 * TCP_OOO_RANGES);
	expect_read(0, 110 + 20 * TCP_OOO_RANGES);
}
END_TEST

/* With every piece in use, the segment at RCV.NXT needs none: it is taken. */
START_TEST(reasm_in_order_segment_is_taken_when_every_piece_is_in_use)
{
	h_passive_established(h);
	for (uint32_t i = 0; i < TCP_OOO_RANGES; i++)         /* after a hole of 2 MSS */
		peer_data(2 * MSS + 20 * i, 10, 0);
	last_ack();
	peer_data(0, MSS, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + MSS, 0);
	peer_data(MSS, MSS, 0);                              /* reaches the first piece */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 2 * MSS + 10, 0);
	CHECK_EQ(h, status().ooo_pieces, TCP_OOO_RANGES - 1);
	expect_stat(h, STAT_DROP_TCP_OOO, 0);
}
END_TEST

/* Nothing exists past the peer's FIN: bytes sent beyond it are not delivered. */
START_TEST(reasm_data_past_a_waiting_fin_is_cut)
{
	char buf[8];

	h_passive_established(h);
	peer_data(300, 100, 0);                              /* a piece past the coming FIN */
	peer_data(100, 100, TH_FIN);                         /* FIN at 200 */
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, data, 400);  /* a peer gone wrong: 0..399 */
	last_ack();
	expect_state(h, TCP_CLOSE_WAIT);
	expect_read(0, 200);
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, buf, sizeof(buf)), 0);
}
END_TEST

/* ---- delayed ACK and Nagle ---- */

/* SHLD-18, MUST-40 */
START_TEST(delack_one_segment_is_acked_after_the_delay)
{
	h_free(h);
	h = h_new_opts(H_DELAYED_ACK);
	h_passive_established(h);
	peer_data(0, 100, TH_PSH);
	expect_nothing_sent(h);
	advance_ms(h, TCP_DELACK_MS - 1);
	expect_nothing_sent(h);
	advance_ms(h, 1);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 101, 0);
	expect_stat(h, STAT_DELAYED_ACK, 1);
}
END_TEST

/* SHLD-19, MUST-58 */
START_TEST(delack_every_second_full_segment_is_acked_at_once)
{
	h_free(h);
	h = h_new_opts(H_DELAYED_ACK);
	h_passive_established(h);
	peer_data(0, MSS, 0);
	expect_nothing_sent(h);
	peer_data(MSS, MSS, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 2 * MSS, 0);
	peer_data(2 * MSS, MSS, 0);
	expect_nothing_sent(h);
}
END_TEST

/* --ack-burst: delayed ACKs, and the ACK that SHLD-19 owes waits for the burst's end */
static void ack_burst(void)
{
	struct stack_config cfg = h_config(H_DELAYED_ACK);

	cfg.ack_burst = 1;
	h_free(h);
	h = h_new_config(&cfg);
	h_passive_established(h);
}

/* MUST-59 (--ack-burst): one ACK for a burst of six full segments; SHLD-19 outside it */
START_TEST(ack_burst_acks_a_burst_once_at_its_end)
{
	ack_burst();
	stack_burst_begin(h->s);
	for (uint32_t i = 0; i < 6; i++)
		peer_data(i * MSS, MSS, 0);
	expect_nothing_sent(h);
	stack_burst_end(h->s, h->now);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 6 * MSS, 0);
	expect_nothing_sent(h);
	expect_stat(h, STAT_ACK_BURST, 1);
	peer_data(6 * MSS, MSS, 0);                          /* outside a burst: as ever */
	peer_data(7 * MSS, MSS, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 8 * MSS, 0);
	expect_read(0, 8 * MSS);
}
END_TEST

/* Within a burst, a hole is still reported at once (MAY-13), and a lone segment waits
 * for the delayed-ACK timer, not for the burst's end (SHLD-18) */
START_TEST(ack_burst_keeps_the_other_ack_rules)
{
	ack_burst();
	stack_burst_begin(h->s);
	peer_data(2 * MSS, MSS, 0);                          /* a hole before it */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	peer_data(0, MSS, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + MSS, 0);   /* fills part of the hole */
	peer_data(MSS, MSS, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 3 * MSS, 0);   /* fills it */
	stack_burst_end(h->s, h->now);
	expect_nothing_sent(h);
	stack_burst_begin(h->s);
	peer_data(3 * MSS, 1, TH_PSH);                       /* in order, under two segments */
	stack_burst_end(h->s, h->now);
	expect_nothing_sent(h);
	advance_ms(h, TCP_DELACK_MS);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 2 + 3 * MSS, 0);
	expect_stat(h, STAT_ACK_BURST, 0);
}
END_TEST

/* MUST-59: without --ack-burst a burst changes nothing */
START_TEST(ack_burst_off_a_burst_changes_nothing)
{
	h_free(h);
	h = h_new_opts(H_DELAYED_ACK);
	h_passive_established(h);
	stack_burst_begin(h->s);
	peer_data(0, MSS, 0);
	peer_data(MSS, MSS, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + 2 * MSS, 0);
	stack_burst_end(h->s, h->now);
	expect_nothing_sent(h);
}
END_TEST

/* MAY-13 */
START_TEST(delack_out_of_order_and_hole_filling_are_acked_at_once)
{
	h_free(h);
	h = h_new_opts(H_DELAYED_ACK);
	h_passive_established(h);
	peer_data(100, 100, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	peer_data(0, 100, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 201, 0);
}
END_TEST

/* MUST-58 */
START_TEST(delack_rides_on_the_reply)
{
	h_free(h);
	h = h_new_opts(H_DELAYED_ACK);
	h_passive_established(h);
	peer_data(0, 4, TH_PSH);                             /* "ping" */
	expect_read(0, 4);
	send_bytes(0, 4);                                    /* "pong" carries the ACK */
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 5, 4);
	peer_acks(4);
	advance_ms(h, 1000);
	expect_nothing_sent(h);                              /* no ACK of its own */
}
END_TEST

/* SHLD-7, MUST-60, SHLD-27, MAY-16 */
START_TEST(nagle_holds_small_segments_while_data_is_unacknowledged)
{
	h_free(h);
	h = h_new_opts(H_NAGLE);
	h_passive_established(h);
	send_bytes(0, 1);
	expect_data(0, 1);                                   /* nothing in flight: goes */
	send_bytes(1, 1);
	send_bytes(2, 1);
	expect_nothing_sent(h);                              /* held */
	peer_acks(1);
	expect_data(1, 2);                                   /* together */
}
END_TEST

START_TEST(nagle_off_sends_each_small_segment)
{
	h_passive_established(h);                            /* h_new(): Nagle off */
	send_bytes(0, 1);
	send_bytes(1, 1);
	expect_data(0, 1);
	expect_data(1, 1);
}
END_TEST

/* SHLD-7 */
START_TEST(nagle_does_not_hold_the_fin)
{
	h_free(h);
	h = h_new_opts(H_NAGLE);
	h_passive_established(h);
	send_bytes(0, 1);
	expect_data(0, 1);
	send_bytes(1, 1);
	CHECK_EQ(h, user_close(h), 0);
	expect_sent(h, TH_ACK | TH_FIN, ISS + 2, IRS + 1, 1);
}
END_TEST

/* ---- flow control ---- */

/* 3.8.6.2.1: with the peer's window at 4000, a 1080-byte tail that would fit is
 * less than an MSS and less than half the largest window: it waits for the ACK.
 * (MUST-38) */
START_TEST(sws_sender_waits_for_a_useful_window)
{
	h->peer_wnd = 4000;
	h_passive_established(h);
	send_bytes(0, 5000);
	expect_data(0, MSS);
	expect_data(MSS, MSS);
	expect_nothing_sent(h);
	peer_acks(2 * MSS);
	expect_data(2 * MSS, MSS);
	expect_data(3 * MSS, 5000 - 3 * MSS);
}
END_TEST

/* MAY-8 */
START_TEST(zero_window_advertised_when_the_user_stops_reading_then_updated)
{
	uint32_t off = 0;
	struct seg sg;

	h_passive_established(h);
	while (off < TCP_RCVBUF) {
		uint32_t n = TCP_RCVBUF - off < MSS ? TCP_RCVBUF - off : MSS;
		peer_data(off, n, 0);
		sg = expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + off + n, 0);
		off += n;
	}
	CHECK_EQ(h, sg.wnd, 0);                              /* the buffer is full */
	expect_read(0, TCP_RCVBUF);
	sg = expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + TCP_RCVBUF, 0);   /* window update */
	CHECK_EQ(h, sg.wnd, TCP_RCVBUF);
}
END_TEST

/* 3.8.6.2.2: after a zero window, reading more than an MSS (less than two) is
 * enough for a window update (MUST-39). */
START_TEST(window_update_once_an_mss_is_free)
{
	static char buf[2000];
	struct seg sg;

	h_passive_established(h);
	for (uint32_t off = 0; off < TCP_RCVBUF; off += MSS)
		peer_data(off, TCP_RCVBUF - off < MSS ? TCP_RCVBUF - off : MSS, 0);
	CHECK_EQ(h, last_ack().wnd, 0);
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, buf, 1000), 1000);
	expect_nothing_sent(h);                              /* less than an MSS */
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, buf, 1000), 1000);
	sg = expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + TCP_RCVBUF, 0);
	CHECK_EQ(h, sg.wnd, 2000);
}
END_TEST

/* A peer that keeps answering probes with a zero window is alive: no give-up.
 * (MUST-36, MUST-37, SHLD-30) */
START_TEST(persist_connection_survives_while_probes_are_answered)
{
	h_passive_established(h);
	h->peer_wnd = 0;
	peer_acks(0);
	send_bytes(0, 100);
	for (int i = 0; i < 3 * TCP_DATA_RETRIES; i++) {
		uint64_t waited = wait_for_segment(2 * TCP_PERSIST_MAX_MS);
		CHECK_EQ(h, waited <= TCP_PERSIST_MAX_MS + 10, 1);   /* backs off up to 60 s */
		expect_sent(h, TH_ACK, ISS, IRS + 1, 0);         /* a probe: SND.UNA - 1 */
		peer_acks(0);
	}
	expect_stat(h, STAT_WINDOW_PROBE, 3 * TCP_DATA_RETRIES);
	expect_state(h, TCP_ESTABLISHED);
	h->peer_wnd = 65535;
	peer_acks(0);
	expect_data(0, 100);
}
END_TEST

/* ---- congestion control ---- */

/* MUST-19 */
START_TEST(cc_initial_window_then_slow_start)
{
	h_passive_established(h);
	CHECK_EQ(h, status().cwnd, 3 * MSS);                 /* min(4*1460, max(2*1460, 4380)) */
	CHECK_EQ(h, status().ssthresh, TCP_SSTHRESH_INIT);
	send_bytes(0, 10 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	expect_nothing_sent(h);                              /* cwnd is full */
	peer_acks(MSS);                                      /* +1 MSS: two more */
	CHECK_EQ(h, status().cwnd, 4 * MSS);
	expect_data(3 * MSS, MSS);
	expect_data(4 * MSS, MSS);
	expect_nothing_sent(h);
}
END_TEST

/* RFC 5681 3.1: a timeout halves ssthresh (of the flight) and cwnd is one
 * segment; then slow start up to ssthresh and congestion avoidance past it (MUST-19). */
START_TEST(cc_timeout_then_slow_start_then_congestion_avoidance)
{
	newreno();
	h_passive_established(h);
	send_bytes(0, 20 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	advance_ms(h, RTO_MS);
	expect_data(0, MSS);                                 /* only one segment again */
	expect_nothing_sent(h);
	CHECK_EQ(h, status().cwnd, MSS);
	CHECK_EQ(h, status().ssthresh, 2 * MSS);             /* max(3 MSS / 2, 2 MSS) */
	peer_acks(MSS);
	CHECK_EQ(h, status().cwnd, 2 * MSS);                 /* slow start: reached ssthresh */
	expect_data(MSS, MSS);
	expect_data(2 * MSS, MSS);
	peer_acks(2 * MSS);
	CHECK_EQ(h, status().cwnd, 2 * MSS + MSS / 2);       /* avoidance: + MSS*MSS/cwnd */
	CHECK_EQ(h, strstr(h->log, "slow start -> congestion avoidance") != NULL, 1);
}
END_TEST

/* Seven segments in flight, the third lost: the peer's duplicate ACKs bring a fast
 * retransmit, fast recovery inflates cwnd per dup ACK, the full ACK ends it. */
START_TEST(cc_three_dup_acks_fast_retransmit_and_recovery)
{
	struct tcp_status st;

	newreno();
	h_passive_established(h);
	send_bytes(0, 12 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	peer_acks(MSS);                                      /* cwnd 4 MSS */
	expect_data(3 * MSS, MSS);
	expect_data(4 * MSS, MSS);
	peer_acks(2 * MSS);                                  /* cwnd 5 MSS */
	expect_data(5 * MSS, MSS);
	expect_data(6 * MSS, MSS);
	expect_nothing_sent(h);                              /* in flight: segments 2..6 */
	peer_acks(2 * MSS);                                  /* segment 2 is lost: dup 1 */
	expect_data(7 * MSS, MSS);                           /* limited transmit (RFC 3042) */
	peer_acks(2 * MSS);                                  /* dup 2 */
	expect_data(8 * MSS, MSS);
	peer_acks(2 * MSS);                                  /* dup 3 */
	expect_data(2 * MSS, MSS);                           /* fast retransmit */
	expect_nothing_sent(h);
	st = status();
	CHECK_EQ(h, st.ssthresh, 7 * MSS / 2);               /* FlightSize / 2 */
	CHECK_EQ(h, st.cwnd, 7 * MSS / 2 + 3 * MSS);
	CHECK_EQ(h, st.in_recovery, 1);
	expect_stat(h, STAT_FAST_RETRANSMIT, 1);
	peer_acks(2 * MSS);                                  /* dup 4: cwnd + MSS */
	CHECK_EQ(h, status().cwnd, 7 * MSS / 2 + 4 * MSS);
	expect_nothing_sent(h);                   /* 7 in flight, room for half a segment */
	peer_acks(2 * MSS);                                  /* dup 5 */
	expect_data(9 * MSS, MSS);                           /* one new segment fits */
	expect_nothing_sent(h);
	peer_acks(9 * MSS);                                  /* the full ACK */
	st = status();
	CHECK_EQ(h, st.in_recovery, 0);
	CHECK_EQ(h, st.cwnd, 2 * MSS);                       /* min(ssthresh, flight + MSS) */
	CHECK_EQ(h, strstr(h->log, "cc: 3 duplicate ACKs: fast retransmit") != NULL, 1);
	CHECK_EQ(h, strstr(h->log, "[cwnd 4380 ssthresh inf]") != NULL, 1);
}
END_TEST

/* Two holes in one window: the partial ACK after the first retransmission
 * retransmits the second at once (RFC 6582), no timeout needed. */
START_TEST(cc_partial_ack_retransmits_the_next_hole)
{
	newreno();
	h_passive_established(h);
	send_bytes(0, 12 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	peer_acks(MSS);
	expect_data(3 * MSS, MSS);
	expect_data(4 * MSS, MSS);
	peer_acks(2 * MSS);
	expect_data(5 * MSS, MSS);
	expect_data(6 * MSS, MSS);
	/* segments 2 and 4 are lost; 3, 5, 6 bring three dup ACKs */
	for (int i = 0; i < 3; i++)
		peer_acks(2 * MSS);
	expect_data(7 * MSS, MSS);                           /* limited transmit */
	expect_data(8 * MSS, MSS);
	expect_data(2 * MSS, MSS);                           /* fast retransmit */
	peer_acks(4 * MSS);                                  /* partial: up to the 2nd hole */
	expect_data(4 * MSS, MSS);
	expect_nothing_sent(h);
	CHECK_EQ(h, status().in_recovery, 1);
	CHECK_EQ(h, status().cwnd, 7 * MSS / 2 + 3 * MSS - 2 * MSS + MSS);   /* deflated */
	peer_acks(9 * MSS);
	CHECK_EQ(h, status().in_recovery, 0);
	expect_stat(h, STAT_FAST_RETRANSMIT, 1);
	expect_stat(h, STAT_RTO_TIMEOUT, 0);
}
END_TEST

/* RFC 3042: with only three segments in flight, the first two duplicate ACKs
 * each send one new segment, so the third one can arrive. */
START_TEST(cc_limited_transmit_on_the_first_two_dup_acks)
{
	h_passive_established(h);
	send_bytes(0, 10 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	peer_acks(MSS);
	expect_data(3 * MSS, MSS);
	expect_data(4 * MSS, MSS);                           /* segment 1 is lost */
	peer_acks(MSS);                                      /* dup 1 */
	expect_data(5 * MSS, MSS);
	peer_acks(MSS);                                      /* dup 2 */
	expect_data(6 * MSS, MSS);
	expect_nothing_sent(h);
	peer_acks(MSS);                                      /* dup 3 */
	expect_data(MSS, MSS);                               /* fast retransmit */
	expect_stat(h, STAT_FAST_RETRANSMIT, 1);
}
END_TEST

/* After a timeout SND.NXT steps back to resend; a pure ACK must still carry the
 * next new octet (SND.MAX), or the peer, which has the old ones, drops it unread. */
START_TEST(cc_after_a_timeout_pure_acks_carry_snd_max)
{
	h_passive_established(h);
	send_bytes(0, 3 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	advance_ms(h, RTO_MS);
	expect_data(0, MSS);                                 /* SND.NXT is back at 1 MSS */
	peer_data(0, 10, 0);
	expect_sent(h, TH_ACK, ISS + 1 + 3 * MSS, IRS + 11, 0);
}
END_TEST

/* recover starts at the ISS (RFC 6582): the very first bytes can be fast-retransmitted. */
START_TEST(cc_fast_retransmit_of_the_first_bytes_sent)
{
	h_passive_established(h);
	for (uint32_t i = 0; i < 4; i++) {
		send_bytes(50 * i, 50);
		expect_data(50 * i, 50);
	}
	for (int i = 0; i < 3; i++)
		peer_acks(0);                                    /* the first 50 are lost */
	expect_data(0, 200);                                 /* again, the four joined */
	expect_stat(h, STAT_FAST_RETRANSMIT, 1);
}
END_TEST

/* A flood of duplicate ACKs inflates cwnd in recovery, but not past the send buffer. */
START_TEST(cc_cwnd_is_bounded_under_a_dup_ack_flood)
{
	h_passive_established(h);
	send_bytes(0, 3 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	for (int i = 0; i < 3; i++)
		peer_acks(0);
	expect_data(0, MSS);
	for (int i = 0; i < 20000; i++)                      /* 29 MB worth without a bound */
		peer_acks(0);
	CHECK_EQ(h, status().cwnd <= TCP_SNDBUF, 1);
	CHECK_EQ(h, status().cwnd >= TCP_SNDBUF / 2, 1);
}
END_TEST

START_TEST(cc_dup_ack_with_data_or_a_new_window_is_not_counted)
{
	h_passive_established(h);
	send_bytes(0, 3 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		expect_data(i * MSS, MSS);
	peer_data(0, 10, 0);                                 /* carries data */
	peer_data(10, 10, 0);
	h->peer_wnd = 60000;
	peer_acks(0);                                        /* a window update */
	peer_acks(0);                                        /* dup 1 */
	peer_acks(0);                                        /* dup 2 */
	while (sent_pending(h))
		expect_sent(h, TH_ACK, ISS + 1 + 3 * MSS, peek_sent(h).ack, 0);
	expect_stat(h, STAT_DUPACK, 2);
	expect_stat(h, STAT_FAST_RETRANSMIT, 0);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("loss");
	TCase *tc = tcase_create("loss");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rto_first_sample_is_srtt_plus_4_rttvar);
	tcase_add_test(tc, rtt_samples_and_rto_changes_are_in_the_trace);
	tcase_add_test(tc, rto_later_samples_are_smoothed);
	tcase_add_test(tc, rto_has_a_floor_of_200_ms);
	tcase_add_test(tc, rto_karn_no_sample_from_a_retransmission_backoff_kept);
	tcase_add_test(tc, rto_backs_off_by_doubling_then_gives_up_with_etimedout);
	tcase_add_test(tc, rto_karn_syn_ack_sent_twice_gives_no_sample);
	tcase_add_test(tc, rto_is_3_s_when_data_starts_after_a_lost_syn);
	tcase_add_test(tc, reasm_in_order_segment_is_taken_when_every_piece_is_in_use);
	tcase_add_test(tc, reasm_data_past_a_waiting_fin_is_cut);
	tcase_add_test(tc, window_update_once_an_mss_is_free);
	tcase_add_test(tc, cc_fast_retransmit_of_the_first_bytes_sent);
	tcase_add_test(tc, cc_cwnd_is_bounded_under_a_dup_ack_flood);
	tcase_add_test(tc, reasm_segment_past_a_hole_waits_and_is_delivered_when_it_fills);
	tcase_add_test(tc, reasm_overlaps_and_duplicates_deliver_each_byte_once);
	tcase_add_test(tc, reasm_fin_past_a_hole_waits_for_the_hole);
	tcase_add_test(tc, reasm_keeps_a_bounded_number_of_pieces);
	tcase_add_test(tc, delack_one_segment_is_acked_after_the_delay);
	tcase_add_test(tc, delack_every_second_full_segment_is_acked_at_once);
	tcase_add_test(tc, ack_burst_acks_a_burst_once_at_its_end);
	tcase_add_test(tc, ack_burst_keeps_the_other_ack_rules);
	tcase_add_test(tc, ack_burst_off_a_burst_changes_nothing);
	tcase_add_test(tc, delack_out_of_order_and_hole_filling_are_acked_at_once);
	tcase_add_test(tc, delack_rides_on_the_reply);
	tcase_add_test(tc, nagle_holds_small_segments_while_data_is_unacknowledged);
	tcase_add_test(tc, nagle_off_sends_each_small_segment);
	tcase_add_test(tc, nagle_does_not_hold_the_fin);
	tcase_add_test(tc, sws_sender_waits_for_a_useful_window);
	tcase_add_test(tc, zero_window_advertised_when_the_user_stops_reading_then_updated);
	tcase_add_test(tc, persist_connection_survives_while_probes_are_answered);
	tcase_add_test(tc, cc_initial_window_then_slow_start);
	tcase_add_test(tc, cc_timeout_then_slow_start_then_congestion_avoidance);
	tcase_add_test(tc, cc_three_dup_acks_fast_retransmit_and_recovery);
	tcase_add_test(tc, cc_partial_ack_retransmits_the_next_hole);
	tcase_add_test(tc, cc_limited_transmit_on_the_first_two_dup_acks);
	tcase_add_test(tc, cc_after_a_timeout_pure_acks_carry_snd_max);
	tcase_add_test(tc, cc_dup_ack_with_data_or_a_new_window_is_not_counted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

/* check_window.c - the window the stack advertised is the window it enforces:
 * RCV.WND in the acceptability test (RFC 9293 3.10.7.4 first, the table of four
 * cases, with RFC 5961 3.2 for a RST) and in trimming is what is left of the window
 * last advertised, whose right edge receiver SWS avoidance holds still (3.8.6.2.2),
 * never the free buffer space (as Linux's tcp_receive_window()). In SYN-RECEIVED and
 * every synchronized state, a pure ACK, a RST and one byte arrive at RCV.NXT-1,
 * RCV.NXT, RCV.NXT+RCV.WND-1 and RCV.NXT+RCV.WND, where RCV.WND, read from the
 * stack's last segment, is smaller than the free space (SYN-RECEIVED: equal). */
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

enum {
	DATA_LEN = 1000,   /* the peer's data: the window ACKing it is that much smaller */
	READ_LEN = 100,    /* the user reads fewer than min(half the buffer, MSS) = 1460:
	                      free space grows, the advertised edge stays (3.8.6.2.2) */
	FILL_MSS = 1460,   /* the peer's segments when it fills the window */
};

static char pattern[65536];      /* the peer's data: byte i is 'a' + i % 26 */
#define PROBE "X"                /* the one byte sent at an edge: not in the pattern */

/* The connection under test, as the peer knows it from what the stack sent. */
static struct {
	enum tcp_state st;
	bool closed;          /* the user called CLOSE (else at most shutdown) */
	uint32_t rcv_nxt;     /* RCV.NXT */
	uint32_t rcv_wnd;     /* RCV.WND: the stack's last ack + wnd - RCV.NXT */
	uint32_t snd_nxt;     /* SND.NXT: the SEQ the stack's ACKs carry */
	uint32_t ack;         /* the peer's SEG.ACK: acceptable, and moves no state */
	uint32_t unread;      /* bytes waiting for the user */
} c;

enum edge { BEFORE, AT, LAST, PAST };
static const char *const edge_name[] = {
	"RCV.NXT-1", "RCV.NXT", "RCV.NXT+RCV.WND-1", "RCV.NXT+RCV.WND",
};

static uint32_t edge_seq(enum edge e)
{
	switch (e) {
	case BEFORE:
		return c.rcv_nxt - 1;
	case AT:
		return c.rcv_nxt;
	case LAST:
		return c.rcv_nxt + c.rcv_wnd - 1;
	case PAST:
		return c.rcv_nxt + c.rcv_wnd;
	}
	h_fail(h, "no edge %d", e);
}

/* Text is still taken: the peer's FIN has not come (3.10.7.4 seventh). */
static bool takes_text(enum tcp_state st)
{
	return st == TCP_SYN_RECEIVED || st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 ||
	       st == TCP_FIN_WAIT_2;
}

/* The user reads, with room for `room` bytes: exactly n, the last one `last` (0: any). */
static void user_reads_of(uint32_t room, uint32_t n, char last)
{
	static char buf[70000];
	ssize_t r = tcp_recv(h->s, h->now, h->h, buf, room);

	h_say(h, "user: recv() = %zd", r);
	CHECK_EQ(h, r, n);
	if (last && n)
		CHECK_EQ(h, buf[n - 1], last);
}

/* The user reads everything queued: exactly n bytes, the last one `last` (0: any);
 * then nothing more: the end of the stream after the peer's FIN, else EAGAIN. */
static void user_reads(uint32_t n, char last)
{
	char more[8];

	user_reads_of(70000, n, last);
	CHECK_EQ(h, user_recv(h, more, sizeof(more)), takes_text(c.st) ? -EAGAIN : 0);
}

/* ESTABLISHED: the peer sends DATA_LEN bytes, the stack ACKs them with a window
 * DATA_LEN smaller, and the user reads `nread` of them, too few for a window update. */
static struct seg established_with_data_read(uint32_t nread)
{
	struct seg sg;

	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, pattern, DATA_LEN);
	sg = expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + DATA_LEN, 0);
	user_reads_of(nread, nread, 0);
	expect_nothing_sent(h);
	c.rcv_nxt = IRS + 1 + DATA_LEN;
	c.snd_nxt = c.ack = ISS + 1;
	return sg;
}

/* FIN-WAIT-1 by shutdown (still reading) or, all read, by CLOSE: our FIN goes out. */
static struct seg fin_wait_1(void)
{
	struct seg sg;

	established_with_data_read(c.closed ? DATA_LEN : READ_LEN);
	CHECK_EQ(h, c.closed ? user_close(h) : user_shutdown(h), 0);
	sg = expect_sent(h, TH_FIN | TH_ACK, ISS + 1, c.rcv_nxt, 0);
	c.snd_nxt = ISS + 2;
	return sg;
}

/* The stack's last segment so far, on the way to st. */
static struct seg goto_state(enum tcp_state st)
{
	struct seg sg;

	switch (st) {
	case TCP_SYN_RECEIVED:
		h_listen(h);
		peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
		sg = expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
		c.rcv_nxt = IRS + 1;
		c.snd_nxt = c.ack = ISS + 1;
		return sg;
	case TCP_ESTABLISHED:
		return established_with_data_read(READ_LEN);
	case TCP_FIN_WAIT_1:
		return fin_wait_1();
	case TCP_FIN_WAIT_2:
		sg = fin_wait_1();
		peer_sends(h, TH_ACK, c.rcv_nxt, ISS + 2, NULL, 0);
		expect_nothing_sent(h);
		c.ack = ISS + 2;
		return sg;
	case TCP_CLOSING:                                   /* the FINs cross */
		fin_wait_1();
		peer_sends(h, TH_FIN | TH_ACK, c.rcv_nxt, ISS + 1, NULL, 0);
		c.rcv_nxt++;
		return expect_sent(h, TH_ACK, ISS + 2, c.rcv_nxt, 0);
	case TCP_TIME_WAIT:
		goto_state(TCP_FIN_WAIT_2);
		peer_sends(h, TH_FIN | TH_ACK, c.rcv_nxt, ISS + 2, NULL, 0);
		c.rcv_nxt++;
		return expect_sent(h, TH_ACK, ISS + 2, c.rcv_nxt, 0);
	case TCP_CLOSE_WAIT:
		established_with_data_read(READ_LEN);
		peer_sends(h, TH_FIN | TH_ACK, c.rcv_nxt, ISS + 1, NULL, 0);
		c.rcv_nxt++;
		return expect_sent(h, TH_ACK, ISS + 1, c.rcv_nxt, 0);
	case TCP_LAST_ACK:                                  /* shutdown: CLOSE would RST */
		goto_state(TCP_CLOSE_WAIT);
		CHECK_EQ(h, user_shutdown(h), 0);
		c.snd_nxt = ISS + 2;
		return expect_sent(h, TH_FIN | TH_ACK, ISS + 1, c.rcv_nxt, 0);
	default:
		h_fail(h, "no path to state %s", tcp_state_name(st));
	}
}

/* The connection in st, RCV.WND read from the stack's last segment, and (but in
 * SYN-RECEIVED, which holds no data yet) smaller than the free space. */
static void enter(enum tcp_state st, bool closed)
{
	struct seg last;
	uint32_t free_space;

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (char)('a' + i % 26);
	c.st = st;
	c.closed = closed;
	last = goto_state(st);
	expect_state(h, st);
	c.rcv_wnd = last.ack + last.wnd - c.rcv_nxt;
	c.unread = st == TCP_SYN_RECEIVED || closed ? 0 : DATA_LEN - READ_LEN;
	free_space = TCP_RCVBUF - c.unread;
	h_say(h, "-- %s%s: RCV.NXT %u, RCV.WND %u (edge %u), free space %u, SND.NXT %u",
	      tcp_state_name(st), closed ? " after CLOSE" : "", c.rcv_nxt, c.rcv_wnd,
	      c.rcv_nxt + c.rcv_wnd, free_space, c.snd_nxt);
	if (st == TCP_SYN_RECEIVED ? c.rcv_wnd != free_space : c.rcv_wnd >= free_space)
		h_fail(h, "%s: RCV.WND %u, free space %u: not the window this test needs",
		       tcp_state_name(st), c.rcv_wnd, free_space);
}

/* The peer, at an edge: a pure ACK, a RST, one byte of data. */
static void peer_acks_at(enum edge e)
{
	h_say(h, "peer: ACK at %s = %u, in %s", edge_name[e], edge_seq(e), tcp_state_name(c.st));
	peer_sends(h, TH_ACK, edge_seq(e), c.ack, NULL, 0);
}

static void peer_resets_at(enum edge e)
{
	h_say(h, "peer: RST at %s = %u, in %s", edge_name[e], edge_seq(e), tcp_state_name(c.st));
	peer_sends(h, TH_RST, edge_seq(e), 0, NULL, 0);
}

static void peer_sends_byte_at(enum edge e)
{
	h_say(h, "peer: one byte at %s = %u, in %s", edge_name[e], edge_seq(e),
	      tcp_state_name(c.st));
	peer_sends(h, TH_ACK, edge_seq(e), c.ack, PROBE, 1);
}

/* 3.10.7.4 first: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (also the challenge ACK) */
static void expect_ack_of_rcv_nxt(void)
{
	expect_sent(h, TH_ACK, c.snd_nxt, c.rcv_nxt, 0);
}

/* Dropped: nothing (more) sent, the state and the user's view as they were. */
static void expect_unchanged(void)
{
	expect_nothing_sent(h);
	expect_state(h, c.st);
	if (h->h >= 0)
		CHECK_EQ(h, h_error(h), 0);
}

/* SYN-RECEIVED: the handshake completes (by the peer's ACK of our SYN, unless its
 * data did that already) and the user accepts the connection. */
static void user_accepts_if_syn_received(bool handshake_done)
{
	if (c.st != TCP_SYN_RECEIVED)
		return;
	if (!handshake_done) {
		expect_state(h, TCP_SYN_RECEIVED);
		peer_sends(h, TH_ACK, c.rcv_nxt, ISS + 1, NULL, 0);
		expect_nothing_sent(h);
	}
	expect_state(h, TCP_ESTABLISHED);
	h->h = tcp_accept(h->s, h->lh);
	h_say(h, "user: accept() = %d", h->h);
	if (h->h < 0)
		h_fail(h, "accept failed: %d", h->h);
}

/* The peer sends [from, to) in order, FILL_MSS at a time; each is ACKed, the
 * last with `want`. */
static void peer_fills(uint32_t from, uint32_t to, uint32_t want)
{
	h_say(h, "peer: fills %u .. %u (%u bytes)", from, to, to - from);
	for (uint32_t seq = from; seq != to; ) {
		uint32_t n = to - seq < FILL_MSS ? to - seq : FILL_MSS;

		peer_sends(h, TH_ACK, seq, c.ack, pattern, n);
		seq += n;
		expect_sent(h, TH_ACK, c.snd_nxt, seq == to ? want : seq, 0);
	}
}

/* The byte refused is nowhere: the window fills up to its edge without it (no ACK
 * covers it) and the user reads only what came before; after the peer's FIN, the
 * user reads what was queued, then the end of the stream. */
static void expect_byte_not_taken(void)
{
	uint32_t edge = c.rcv_nxt + c.rcv_wnd;

	if (!takes_text(c.st)) {
		user_reads(c.unread, 0);
		return;
	}
	user_accepts_if_syn_received(false);
	peer_fills(c.rcv_nxt, edge, edge);
	user_reads(c.unread + c.rcv_wnd, 0);
}

/* The tests, one function per behaviour, each run in every state below. */

/* A pure ACK outside the window: an ACK back, and dropped. */
static void ack_outside_is_acked(enum tcp_state st, enum edge e)
{
	enter(st, false);
	peer_acks_at(e);
	expect_ack_of_rcv_nxt();
	expect_unchanged();
}

/* A pure ACK in the window: processed, nothing sent; in SYN-RECEIVED it is the
 * ACK of our SYN (3.10.7.4 fifth). */
static void ack_inside_is_accepted(enum tcp_state st, enum edge e)
{
	enter(st, false);
	peer_acks_at(e);
	expect_nothing_sent(h);
	expect_state(h, st == TCP_SYN_RECEIVED ? TCP_ESTABLISHED : st);
}

/* A RST outside the window: dropped, never answered. */
static void rst_outside_is_dropped_silently(enum tcp_state st, enum edge e)
{
	enter(st, false);
	peer_resets_at(e);
	expect_unchanged();
}

/* A RST at RCV.NXT (3.10.7.4 second): the connection is reset. */
static void rst_at_rcv_nxt_resets(enum tcp_state st)
{
	enter(st, false);
	peer_resets_at(AT);
	expect_nothing_sent(h);
	switch (st) {
	case TCP_SYN_RECEIVED:                     /* passive: back to LISTEN */
		expect_state(h, TCP_LISTEN);
		break;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		expect_state(h, TCP_CLOSED);
		CHECK_EQ(h, h_error(h), -ECONNRESET);
		break;
	default:                                   /* CLOSING, LAST-ACK, TIME-WAIT */
		expect_state(h, TCP_CLOSED);
		break;
	}
}

/* A RST in the window but not at RCV.NXT: a challenge ACK (RFC 5961 3.2). */
static void rst_inside_gets_challenge_ack(enum tcp_state st)
{
	enter(st, false);
	peer_resets_at(LAST);
	expect_ack_of_rcv_nxt();
	expect_unchanged();
}

/* One byte outside the window: an ACK back, the byte not taken, no RST. */
static void byte_outside_is_acked_not_taken(enum tcp_state st, enum edge e)
{
	enter(st, false);
	peer_sends_byte_at(e);
	expect_ack_of_rcv_nxt();
	expect_unchanged();
	expect_byte_not_taken();
}

/* One byte at RCV.NXT, text still taken: delivered and ACKed. */
static void byte_at_rcv_nxt_is_taken(enum tcp_state st)
{
	enter(st, false);
	peer_sends_byte_at(AT);
	expect_sent(h, TH_ACK, c.snd_nxt, c.rcv_nxt + 1, 0);
	user_accepts_if_syn_received(true);
	expect_state(h, st == TCP_SYN_RECEIVED ? TCP_ESTABLISHED : st);
	user_reads(c.unread + 1, PROBE[0]);
}

/* One byte at the window's last octet: held past the hole, ACKed at once
 * (RFC 5681 4.2), and delivered when the hole is filled. */
static void byte_at_last_octet_is_held_and_acked(enum tcp_state st)
{
	uint32_t edge;

	enter(st, false);
	edge = c.rcv_nxt + c.rcv_wnd;
	peer_sends_byte_at(LAST);
	expect_ack_of_rcv_nxt();
	user_accepts_if_syn_received(true);
	expect_state(h, st == TCP_SYN_RECEIVED ? TCP_ESTABLISHED : st);
	peer_fills(c.rcv_nxt, edge - 1, edge);
	user_reads(c.unread + c.rcv_wnd, PROBE[0]);
}

/* Two bytes across the advertised edge: acceptable by the first (3.10.7.4 first),
 * trimmed to the window by the second: the first is held and ACKed, the second is
 * not taken (no ACK covers it once the hole is filled). */
static void two_bytes_across_edge_are_trimmed(enum tcp_state st)
{
	uint32_t edge;

	enter(st, false);
	edge = c.rcv_nxt + c.rcv_wnd;
	h_say(h, "peer: two bytes at %s = %u, in %s", edge_name[LAST], edge_seq(LAST),
	      tcp_state_name(st));
	peer_sends(h, TH_ACK, edge_seq(LAST), c.ack, PROBE "Y", 2);
	expect_ack_of_rcv_nxt();
	user_accepts_if_syn_received(true);
	expect_state(h, st == TCP_SYN_RECEIVED ? TCP_ESTABLISHED : st);
	peer_fills(c.rcv_nxt, edge - 1, edge);
	user_reads(c.unread + c.rcv_wnd, PROBE[0]);
}

/* One byte in the window after the peer's FIN: the text is ignored (3.10.7.4
 * seventh, "This should not occur"); nothing is sent (what the stack does). */
static void byte_after_fin_is_ignored(enum tcp_state st, enum edge e)
{
	enter(st, false);
	peer_sends_byte_at(e);
	expect_unchanged();
	user_reads(c.unread, 0);
}

/* After CLOSE (all read): a byte outside the window is ACKed and dropped, not
 * taken as data nobody will read (which would get a RST). */
static void closed_byte_outside_is_acked_not_reset(enum tcp_state st, enum edge e)
{
	enter(st, true);
	peer_sends_byte_at(e);
	expect_ack_of_rcv_nxt();
	expect_unchanged();
	expect_stat(h, STAT_RST_SENT, 0);
}

/* After CLOSE: a byte in the window is data nobody will read: RST, CLOSED
 * (RFC 9293 3.6.1 / RFC 1122 4.2.2.13, as Linux: <SEQ=SEG.ACK><CTL=RST>). */
static void closed_byte_inside_gets_rst(enum tcp_state st, enum edge e)
{
	enter(st, true);
	peer_sends_byte_at(e);
	expect_rst(h, c.ack);
	expect_nothing_sent(h);
	expect_state(h, TCP_CLOSED);
}

/* Every state, every edge: state_event_expectation. */
#define EDGE_TESTS(st, ST)                                                                  \
	START_TEST(st##_ack_before_rcv_nxt_is_acked) { ack_outside_is_acked(ST, BEFORE); }  \
	START_TEST(st##_ack_at_rcv_nxt_is_accepted) { ack_inside_is_accepted(ST, AT); }     \
	START_TEST(st##_ack_at_last_advertised_octet_is_accepted)                           \
	{ ack_inside_is_accepted(ST, LAST); }                                                \
	START_TEST(st##_ack_past_advertised_edge_is_acked) { ack_outside_is_acked(ST, PAST); } \
	START_TEST(st##_rst_before_rcv_nxt_is_dropped_silently)                              \
	{ rst_outside_is_dropped_silently(ST, BEFORE); }                                     \
	START_TEST(st##_rst_at_rcv_nxt_resets) { rst_at_rcv_nxt_resets(ST); }               \
	START_TEST(st##_rst_at_last_advertised_octet_gets_challenge_ack)                     \
	{ rst_inside_gets_challenge_ack(ST); }                                               \
	START_TEST(st##_rst_past_advertised_edge_is_dropped_silently)                        \
	{ rst_outside_is_dropped_silently(ST, PAST); }                                       \
	START_TEST(st##_byte_before_rcv_nxt_is_acked_not_taken)                              \
	{ byte_outside_is_acked_not_taken(ST, BEFORE); }                                     \
	START_TEST(st##_byte_past_advertised_edge_is_acked_not_taken)                        \
	{ byte_outside_is_acked_not_taken(ST, PAST); }

#define TEXT_TESTS(st, ST)                                                                  \
	START_TEST(st##_byte_at_rcv_nxt_is_taken) { byte_at_rcv_nxt_is_taken(ST); }         \
	START_TEST(st##_byte_at_last_advertised_octet_is_held_and_acked)                     \
	{ byte_at_last_octet_is_held_and_acked(ST); }                                        \
	START_TEST(st##_two_bytes_across_advertised_edge_are_trimmed_to_it)                  \
	{ two_bytes_across_edge_are_trimmed(ST); }

#define AFTER_FIN_TESTS(st, ST)                                                             \
	START_TEST(st##_byte_at_rcv_nxt_is_ignored) { byte_after_fin_is_ignored(ST, AT); }  \
	START_TEST(st##_byte_at_last_advertised_octet_is_ignored)                            \
	{ byte_after_fin_is_ignored(ST, LAST); }

#define AFTER_CLOSE_TESTS(st, ST)                                                           \
	START_TEST(st##_after_close_byte_before_rcv_nxt_is_acked_not_reset)                  \
	{ closed_byte_outside_is_acked_not_reset(ST, BEFORE); }                              \
	START_TEST(st##_after_close_byte_at_rcv_nxt_gets_rst)                                \
	{ closed_byte_inside_gets_rst(ST, AT); }                                             \
	START_TEST(st##_after_close_byte_at_last_advertised_octet_gets_rst)                  \
	{ closed_byte_inside_gets_rst(ST, LAST); }                                           \
	START_TEST(st##_after_close_byte_past_advertised_edge_is_acked_not_reset)            \
	{ closed_byte_outside_is_acked_not_reset(ST, PAST); }

EDGE_TESTS(syn_received, TCP_SYN_RECEIVED)
TEXT_TESTS(syn_received, TCP_SYN_RECEIVED)
EDGE_TESTS(established, TCP_ESTABLISHED)
TEXT_TESTS(established, TCP_ESTABLISHED)
EDGE_TESTS(fin_wait_1, TCP_FIN_WAIT_1)
TEXT_TESTS(fin_wait_1, TCP_FIN_WAIT_1)
AFTER_CLOSE_TESTS(fin_wait_1, TCP_FIN_WAIT_1)
EDGE_TESTS(fin_wait_2, TCP_FIN_WAIT_2)
TEXT_TESTS(fin_wait_2, TCP_FIN_WAIT_2)
AFTER_CLOSE_TESTS(fin_wait_2, TCP_FIN_WAIT_2)
EDGE_TESTS(close_wait, TCP_CLOSE_WAIT)
AFTER_FIN_TESTS(close_wait, TCP_CLOSE_WAIT)
EDGE_TESTS(closing, TCP_CLOSING)
AFTER_FIN_TESTS(closing, TCP_CLOSING)
EDGE_TESTS(last_ack, TCP_LAST_ACK)
AFTER_FIN_TESTS(last_ack, TCP_LAST_ACK)
EDGE_TESTS(time_wait, TCP_TIME_WAIT)
AFTER_FIN_TESTS(time_wait, TCP_TIME_WAIT)

#define ADD_EDGE_TESTS(tc, st)                                                              \
	do {                                                                                \
		tcase_add_test(tc, st##_ack_before_rcv_nxt_is_acked);                       \
		tcase_add_test(tc, st##_ack_at_rcv_nxt_is_accepted);                        \
		tcase_add_test(tc, st##_ack_at_last_advertised_octet_is_accepted);          \
		tcase_add_test(tc, st##_ack_past_advertised_edge_is_acked);                 \
		tcase_add_test(tc, st##_rst_before_rcv_nxt_is_dropped_silently);            \
		tcase_add_test(tc, st##_rst_at_rcv_nxt_resets);                             \
		tcase_add_test(tc, st##_rst_at_last_advertised_octet_gets_challenge_ack);   \
		tcase_add_test(tc, st##_rst_past_advertised_edge_is_dropped_silently);      \
		tcase_add_test(tc, st##_byte_before_rcv_nxt_is_acked_not_taken);            \
		tcase_add_test(tc, st##_byte_past_advertised_edge_is_acked_not_taken);      \
	} while (0)

#define ADD_TEXT_TESTS(tc, st)                                                              \
	do {                                                                                \
		tcase_add_test(tc, st##_byte_at_rcv_nxt_is_taken);                          \
		tcase_add_test(tc, st##_byte_at_last_advertised_octet_is_held_and_acked);   \
		tcase_add_test(tc, st##_two_bytes_across_advertised_edge_are_trimmed_to_it); \
	} while (0)

#define ADD_AFTER_FIN_TESTS(tc, st)                                                         \
	do {                                                                                \
		tcase_add_test(tc, st##_byte_at_rcv_nxt_is_ignored);                        \
		tcase_add_test(tc, st##_byte_at_last_advertised_octet_is_ignored);          \
	} while (0)

#define ADD_AFTER_CLOSE_TESTS(tc, st)                                                       \
	do {                                                                                \
		tcase_add_test(tc, st##_after_close_byte_before_rcv_nxt_is_acked_not_reset);\
		tcase_add_test(tc, st##_after_close_byte_at_rcv_nxt_gets_rst);              \
		tcase_add_test(tc, st##_after_close_byte_at_last_advertised_octet_gets_rst);\
		tcase_add_test(tc, st##_after_close_byte_past_advertised_edge_is_acked_not_reset); \
	} while (0)

Suite *suite(void)
{
	Suite *s = suite_create("window");
	TCase *tc = tcase_create("window");

	tcase_add_checked_fixture(tc, setup, teardown);
	ADD_EDGE_TESTS(tc, syn_received);
	ADD_TEXT_TESTS(tc, syn_received);
	ADD_EDGE_TESTS(tc, established);
	ADD_TEXT_TESTS(tc, established);
	ADD_EDGE_TESTS(tc, fin_wait_1);
	ADD_TEXT_TESTS(tc, fin_wait_1);
	ADD_AFTER_CLOSE_TESTS(tc, fin_wait_1);
	ADD_EDGE_TESTS(tc, fin_wait_2);
	ADD_TEXT_TESTS(tc, fin_wait_2);
	ADD_AFTER_CLOSE_TESTS(tc, fin_wait_2);
	ADD_EDGE_TESTS(tc, close_wait);
	ADD_AFTER_FIN_TESTS(tc, close_wait);
	ADD_EDGE_TESTS(tc, closing);
	ADD_AFTER_FIN_TESTS(tc, closing);
	ADD_EDGE_TESTS(tc, last_ack);
	ADD_AFTER_FIN_TESTS(tc, last_ack);
	ADD_EDGE_TESTS(tc, time_wait);
	ADD_AFTER_FIN_TESTS(tc, time_wait);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

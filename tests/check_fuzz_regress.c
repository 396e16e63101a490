/* check_fuzz_regress.c - what the fuzzer (tests/fuzz/fuzz_stack.c, `make fuzz`)
 * found, replayed as stories through the harness: each test is a minimized
 * reproducer told with peer_sends/expect_sent, and failed on the bug it is named
 * for (the comment says what the stack did). The raw reproducers are in
 * tests/fuzz/regress/ (`make fuzz-replay`). At the end, a test built from the seed
 * corpus: malformed options in every state. */
#include <string.h>
#include "config.h"
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

static void fill(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = 0;
}

/* tests/fuzz/regress/fast-retransmit-sends-past-snd-max. With Nagle on, 149 bytes
 * go out (nothing was in flight) and the next 134 wait for their ACK. Three
 * duplicate ACKs: the fast retransmit must resend the missing segment, the 149
 * bytes at SND.UNA (RFC 5681 3.2), not 283 bytes of which 134 were never sent:
 * those would pass SND.MAX (which stays put, so the peer's ACK of them would be
 * taken for an ACK of unsent data) and ignore Nagle, cwnd and the peer's window. */
START_TEST(established_fast_retransmit_does_not_send_bytes_never_sent)
{
	static char a[150], b[135];

	h_free(h);
	h = h_new_opts(H_NAGLE);
	h_passive_established(h);
	fill(a, 149, 'a');
	fill(b, 134, 'b');
	CHECK_EQ(h, user_send(h, a), 149);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 149);
	CHECK_EQ(h, user_send(h, b), 134);
	expect_nothing_sent(h);                               /* Nagle: 149 unacknowledged */
	for (int i = 0; i < 3; i++)
		peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);  /* duplicate ACKs */
	expect_stat(h, STAT_FAST_RETRANSMIT, 1);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 149);   /* the bug: 283 bytes */
}
END_TEST

/* The same through the peer's window: it offers 100 bytes, the stack sends 100
 * (the override timeout of sender SWS avoidance) and holds the rest. Three
 * duplicate ACKs resend those 100 bytes, not a full MSS past the window.
 * (SHLD-16, MUST-38) */
START_TEST(established_fast_retransmit_stays_inside_the_peer_window)
{
	static char d[3001];

	h_passive_established(h);
	h->peer_wnd = 100;
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);        /* window 100 */
	fill(d, 3000, 'w');
	CHECK_EQ(h, user_send(h, d), 3000);
	expect_nothing_sent(h);                               /* sender SWS: 100 is too small */
	advance_ms(h, RTO_MS);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 100);         /* what fits, at last */
	expect_nothing_sent(h);
	for (int i = 0; i < 3; i++)
		peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);  /* duplicate ACKs, window 100 */
	expect_stat(h, STAT_FAST_RETRANSMIT, 1);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 100);         /* the bug: 1460 bytes */
}
END_TEST

/* tests/fuzz/regress/fin-wait-1-stuck-after-a-second-fin. The peer sends a FIN
 * past a hole (it waits for the hole), the user shuts down (FIN-WAIT-1), and the
 * peer sends another FIN, at RCV.NXT, that acknowledges ours. The ACK step sees a
 * FIN coming and skips FIN-WAIT-2; the FIN step ignores this FIN because one is
 * pending already. The connection is left in FIN-WAIT-1 with its FIN acknowledged
 * and no timer at all: it never leaves, not even closed and released (a peer can
 * pin TCBs forever). RFC 9293 3.10.7.4 fifth: FIN-WAIT-1 with the FIN acknowledged
 * enters FIN-WAIT-2 (whose orphan timeout, or the FIN, then ends it). */
START_TEST(fin_wait_1_second_fin_from_the_peer_does_not_leave_it_stuck)
{
	struct tcp_status st;

	h_passive_established(h);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1 + 23, ISS + 1, NULL, 0);   /* FIN past a hole */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	CHECK_EQ(h, user_shutdown(h), 0);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_FIN_WAIT_1);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 2, NULL, 0);   /* a FIN at RCV.NXT, ACK of ours */
	CHECK_EQ(h, tcp_status(h->s, h->h, &st), 0);
	h_say(h, "(state %s)", tcp_state_name(st.state));
	CHECK_EQ(h, st.state == TCP_FIN_WAIT_2 || st.state == TCP_TIME_WAIT, 1);   /* the bug: FIN-WAIT-1 */
	tcp_release(h->s, h->now, h->h);
	h->h = -1;
	advance_ms(h, 10 * 60 * 1000);                       /* the peer says nothing more */
	CHECK_EQ(h, tcp_closing_count(h->s), 0);
}
END_TEST

/* tests/fuzz/regress/fin-inside-data-held-past-a-hole. 100 bytes arrive past a
 * hole, [63, 163); then the hole's segment, [1, 81), with a FIN at 81: inside
 * the piece already held. The stack merges the piece first (RCV.NXT to 163, the
 * user gets 82 bytes from past the peer's FIN), then records the FIN at 81,
 * behind RCV.NXT, where it waits forever: no end of stream, no CLOSE-WAIT, and
 * every later byte is cut away as past the FIN. Nothing exists past a FIN (the
 * stack's own tcp_reasm_cut; Linux's tcp_fin purges its out-of-order queue): the
 * stream ends at 81. */
START_TEST(established_fin_inside_data_held_past_a_hole_ends_the_stream_there)
{
	static char d[101], buf[256];

	h_passive_established(h);
	fill(d, 100, 'o');
	peer_sends(h, TH_ACK, IRS + 63, ISS + 1, d, 100);          /* [63, 163), past a hole */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	peer_sends(h, TH_FIN | TH_ACK, IRS + 1, ISS + 1, d, 80);    /* [1, 81), FIN at 81 */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 82, 0);   /* the bug: ACK 163, the FIN is never taken */
	expect_state(h, TCP_CLOSE_WAIT);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 80);
	CHECK_EQ(h, user_recv(h, buf, sizeof(buf)), 0);       /* end of stream */
}
END_TEST

/* ---- from the seed corpus (malformed-options-*) ---- */

/* A segment from the peer to the connection under test: ACK, SEQ = IRS + 1 + soff,
 * ACK = ISS + 1, 1 byte of data, the given option bytes (zero-padded). */
static void peer_sends_with_options(struct harness *hh, const uint8_t *opt, size_t optlen)
{
	uint8_t b[20 + 20 + 40 + 1];
	size_t hl = 20 + ((optlen + 3) & ~(size_t)3), tl = hl + 1;
	uint8_t *t = b + 20;

	memset(b, 0, sizeof(b));
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(20 + tl));
	b[8] = 64;
	b[9] = IPPROTO_TCP_;
	put32(b + 12, PEER_IP);
	put32(b + 16, STACK_IP);
	put16(b + 10, inet_fold(inet_sum(b, 20, 0)));
	put16(t, PEER_PORT);
	put16(t + 2, hh->lport ? hh->lport : PORT);
	put32(t + 4, IRS + 1);
	put32(t + 8, ISS + 1);
	t[12] = (uint8_t)(hl / 4 << 4);
	t[13] = TH_ACK;
	put16(t + 14, 65535);
	memcpy(t + 20, opt, optlen);
	t[hl] = 'x';
	put16(t + 16, tcp_cksum(PEER_IP, STACK_IP, t, tl));
	peer_sends_raw(hh, b, 20 + tl);
}

/* RFC 9293 3.1 (MUST-7): an illegal option length must be survived. The stack
 * drops such a segment and counts it, in every state alike: no answer (not even
 * a RST to a closed port), no state change, no data delivered (MUST-5). */
START_TEST(every_state_segment_with_malformed_options_is_dropped_and_counted)
{
	static const struct { uint8_t len, b[8]; } opts[] = {
		{ 2, { 7, 0 } },                   /* length 0 */
		{ 2, { 5, 1 } },                   /* length 1 */
		{ 3, { 2, 3, 5 } },                /* MSS of length 3 */
		{ 4, { 1, 1, 8, 10 } },            /* runs past the header */
		{ 4, { 1, 1, 1, 2 } },             /* no room for the length byte */
	};
	static const enum tcp_state states[] = {
		TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_ESTABLISHED,
		TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
		TCP_TIME_WAIT,
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		h_free(h);
		h = h_new();
		h_goto(h, states[i]);
		h_say(h, "(in %s: %zu segments with malformed options)", tcp_state_name(states[i]),
		      sizeof(opts) / sizeof(opts[0]));
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			peer_sends_with_options(h, opts[k].b, opts[k].len);
		expect_nothing_sent(h);
		expect_state(h, states[i]);
		expect_stat(h, STAT_DROP_TCP_OPT, sizeof(opts) / sizeof(opts[0]));
		if (h->h >= 0 && states[i] != TCP_SYN_SENT && states[i] != TCP_SYN_RECEIVED)
			CHECK_EQ(h, user_recv(h, buf, sizeof(buf)) > 0, 0);
	}
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("fuzz_regress");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, established_fast_retransmit_does_not_send_bytes_never_sent);
	tcase_add_test(tc, established_fast_retransmit_stays_inside_the_peer_window);
	tcase_add_test(tc, fin_wait_1_second_fin_from_the_peer_does_not_leave_it_stuck);
	tcase_add_test(tc, established_fin_inside_data_held_past_a_hole_ends_the_stream_there);
	tcase_add_test(tc, every_state_segment_with_malformed_options_is_dropped_and_counted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

/* check_hardening.c - a hostile peer, with the scripted harness: TCP options that
 * lie about their length, window scale and MSS values out of range, the urgent
 * pointer past the data, blind RSTs/SYNs/ACKs (RFC 5961) and the rate limit on
 * the challenge ACKs they get, RFC 6528 ISNs, the listener's half-open and
 * accept queues (sized from the backlog as Linux does), SYN cookies, and a SYN
 * flood next to an established connection. Packets are built byte by byte here,
 * so nothing is checked by the builder before the stack sees it. */
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "harness.h"
#include "siphash.h"

#define BACKLOG 8                        /* h_listen() listens with this backlog */

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

static void with_opts(int opts)
{
	h_free(h);
	h = h_new_opts(opts);
}

/* A TCP segment from src:sport with the given raw option bytes and urgent pointer. */
static void raw_tcp(uint32_t src, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
		    const uint8_t *opt, size_t optlen, const char *data, size_t dlen, uint16_t up)
{
	uint8_t p[IP_HDR_LEN + TCP_HDR_LEN + 40 + 512];
	uint8_t *t = p + IP_HDR_LEN;
	size_t hl = TCP_HDR_LEN + optlen, tl = hl + dlen;

	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(IP_HDR_LEN + tl));
	p[8] = 64;
	p[9] = IPPROTO_TCP_;
	put32(p + 12, src);
	put32(p + 16, STACK_IP);
	put16(p + 10, inet_fold(inet_sum(p, IP_HDR_LEN, 0)));
	put16(t, sport);
	put16(t + 2, PORT);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(hl / 4 << 4);
	t[13] = flags;
	put16(t + 14, 65535);
	put16(t + 18, up);
	if (optlen)
		memcpy(t + TCP_HDR_LEN, opt, optlen);
	if (dlen)
		memcpy(t + hl, data, dlen);
	put16(t + 16, tcp_cksum(src, STACK_IP, t, tl));
	peer_sends_raw(h, p, IP_HDR_LEN + tl);
}

/* A SYN from 10.0.0.1:sport with an MSS option of 1460 */
static void syn_from(uint16_t sport, uint32_t seq)
{
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };

	raw_tcp(PEER_IP, sport, TH_SYN, seq, 0, mss, sizeof(mss), NULL, 0, 0);
}

static void ack_from(uint16_t sport, uint32_t seq, uint32_t ack)
{
	raw_tcp(PEER_IP, sport, TH_ACK, seq, ack, NULL, 0, NULL, 0, 0);
}

/* ---- options ---- */

/* Each option that lies about its length: the segment is dropped, counted, unanswered.
 * (MUST-68, MUST-7) */
START_TEST(options_with_bad_lengths_drop_the_segment)
{
	static const uint8_t bad[][8] = {
		{ 2, 0, 0, 0 },                  /* length 0 */
		{ 8, 1, 0, 0 },                  /* length 1 */
		{ 2, 3, 5, 0 },                  /* MSS of length 3 */
		{ 2, 8, 5, 0xb4, 0, 0, 0, 0 },   /* MSS of length 8 */
		{ 3, 4, 7, 0 },                  /* window scale of length 4 */
		{ 4, 3, 0, 0 },                  /* SACK permitted of length 3 */
		{ 8, 6, 0, 0 },                  /* timestamps of length 6 */
		{ 1, 1, 1, 99 },                 /* an unknown kind running past the header */
	};

	h_listen(h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = (i == 3) ? 8 : 4;
		raw_tcp(PEER_IP, (uint16_t)(PEER_PORT + i), TH_SYN, IRS, 0, bad[i], len, NULL, 0, 0);
	}
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_OPT, sizeof(bad) / sizeof(bad[0]));
	syn_from(50000, IRS);                                /* the listener is fine */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
}
END_TEST

/* Odd but well-formed options: answered as RFC 9293 and RFC 7323 say.
 * (MUST-4, MUST-6, MUST-68, MUST-64) */
START_TEST(options_odd_values_are_survived)
{
	static const uint8_t ws15[] = { 3, 3, 15, 1 }, ws255[] = { 1, 3, 3, 255 };
	static const uint8_t nops[40] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					  1, 1, 1, 0 };
	static const uint8_t unknown[] = { 99, 6, 1, 2, 3, 4, 0, 0 };

	h_listen(h);
	raw_tcp(PEER_IP, 40001, TH_SYN, IRS, 0, ws15, sizeof(ws15), NULL, 0, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	raw_tcp(PEER_IP, 40002, TH_SYN, IRS, 0, ws255, sizeof(ws255), NULL, 0, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_stat(h, STAT_TCP_WSCALE_BIG, 2);              /* counted; we never scale */
	raw_tcp(PEER_IP, 40003, TH_SYN, IRS, 0, nops, sizeof(nops), NULL, 0, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	raw_tcp(PEER_IP, 40004, TH_SYN, IRS, 0, unknown, sizeof(unknown), NULL, 0, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);    /* unknown kinds are skipped */
}
END_TEST

/* MSS 0 means no MSS (536, as Linux); MSS 1 is raised to the floor of 48 (MUST-15). */
START_TEST(options_mss_of_0_and_1)
{
	static const uint8_t mss0[] = { 2, 4, 0, 0 }, mss1[] = { 2, 4, 0, 1 };
	static char d[1200];

	h_listen(h);
	raw_tcp(PEER_IP, PEER_PORT, TH_SYN, IRS, 0, mss0, sizeof(mss0), NULL, 0, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	h->h = tcp_accept(h->s, h->lh);
	memset(d, 'm', sizeof(d));
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, d, 600), 600);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, TCP_DEFAULT_MSS);
	expect_sent(h, TH_ACK, ISS + 1 + TCP_DEFAULT_MSS, IRS + 1, 600 - TCP_DEFAULT_MSS);
	raw_tcp(PEER_IP, PEER_PORT + 1, TH_SYN, IRS, 0, mss1, sizeof(mss1), NULL, 0, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	ack_from(PEER_PORT + 1, IRS + 1, ISS + 1);
	h->h = tcp_accept(h->s, h->lh);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, d, 100), 100);
	CHECK_EQ(h, peek_sent(h).dlen, TCP_MIN_MSS);
}
END_TEST

/* The urgent pointer is never an index: URG with a pointer far past the data. */
START_TEST(urgent_pointer_past_the_data_is_ignored)
{
	char buf[8] = { 0 };

	h_passive_established(h);
	raw_tcp(PEER_IP, PEER_PORT, TH_ACK | TH_URG | TH_PSH, IRS + 1, ISS + 1, NULL, 0, "abc", 3, 65535);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 4, 0);
	CHECK_EQ(h, tcp_recv(h->s, h->now, h->h, buf, sizeof(buf)), 3);
	CHECK_EQ(h, strcmp(buf, "abc"), 0);
}
END_TEST

/* ---- RFC 5961 and the rate limit ---- */

/* 20 blind RSTs in the window within a second: 10 challenge ACKs, then silence;
 * the connection lives on, and a second later the peer may be challenged again. */
START_TEST(challenge_acks_are_rate_limited_per_connection)
{
	h_passive_established(h);
	for (int i = 0; i < 20; i++)
		peer_sends(h, TH_RST, IRS + 100 + (uint32_t)i, 0, NULL, 0);
	for (int i = 0; i < TCP_CHALLENGE_ACK_MAX; i++)
		expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_nothing_sent(h);
	expect_stat(h, STAT_CHALLENGE_ACK, TCP_CHALLENGE_ACK_MAX);
	expect_stat(h, STAT_CHALLENGE_ACK_LIMITED, 20 - TCP_CHALLENGE_ACK_MAX);
	expect_state(h, TCP_ESTABLISHED);
	advance_ms(h, 1000);
	peer_sends(h, TH_SYN, IRS + 5000, 0, NULL, 0);          /* a blind SYN */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1 + 100000, NULL, 0);   /* ACK of data never sent */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_state(h, TCP_ESTABLISHED);
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);             /* only the exact one resets */
	expect_state(h, TCP_CLOSED);
}
END_TEST

/* A flood of blind ACKs outside the window: one ACK back per TCP_OOW_ACK_MS (as
 * Linux), so neither a flood nor two confused peers make an endless ACK loop. A
 * blind SYN outside the window still gets its challenge ACK (RFC 5961 4.2). */
START_TEST(out_of_window_acks_are_answered_at_a_limited_rate)
{
	h_passive_established(h);
	for (int i = 0; i < 100; i++)
		peer_sends(h, TH_ACK, IRS + 1 + 200000 + (uint32_t)i, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_nothing_sent(h);
	expect_stat(h, STAT_OOW_ACK_LIMITED, 99);
	advance_ms(h, TCP_OOW_ACK_MS);
	peer_sends(h, TH_ACK, IRS + 1 + 300000, ISS + 1, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	peer_sends(h, TH_SYN, IRS + 400000, 0, NULL, 0);          /* outside the window */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
	expect_stat(h, STAT_CHALLENGE_ACK, 1);
	peer_sends(h, TH_ACK, IRS + 1 - 5000, ISS + 1, "old", 3);  /* old data: always answered */
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 0);
}
END_TEST

/* ---- RFC 6528 ISNs ---- */

/* SHLD-1 */
START_TEST(siphash_matches_the_paper)
{
	uint8_t key[16], msg[15];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	CHECK_EQ(h, siphash24(key, msg, 15), 0xa129ca6149be45e5ull);   /* appendix A */
	CHECK_EQ(h, siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
}
END_TEST

/* The ISN of a SYN,ACK to the peer's SYN from `sport` at the current time */
static uint32_t isn_for(uint16_t sport)
{
	syn_from(sport, IRS);
	return expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0).seq;
}

/* ISN = M + F(4-tuple, secret): the same 4-tuple later is M (4 us ticks) higher;
 * another 4-tuple is unrelated; another run (another secret) is unrelated.
 * (MUST-8, SHLD-1, MUST-9) */
START_TEST(isn_is_a_clock_plus_a_keyed_hash_of_the_4_tuple)
{
	uint32_t a, a2, b, other;
	struct harness *first;

	with_opts(H_RANDOM_ISN);
	h_listen(h);
	a = isn_for(41000);
	advance_ms(h, 1000);
	expect_sent(h, TH_SYN | TH_ACK, a, IRS + 1, 0);        /* (its RTO: sent again) */
	ack_from(41000, IRS + 1, a + 1);
	h->h = tcp_accept(h->s, h->lh);
	CHECK_EQ(h, tcp_abort(h->s, h->now, h->h), 0);           /* gone: the 4-tuple is free */
	expect_rst(h, a + 1);
	tcp_release(h->s, h->now, h->h);
	a2 = isn_for(41000);
	CHECK_EQ(h, a2 - a, 1000000 / 4);                        /* 1 s later: 250000 ticks of 4 us */
	b = isn_for(41001);
	CHECK_EQ(h, b != a2, 1);                                 /* another 4-tuple: unrelated */
	first = h;
	setenv("TUNTCP_SEED", "777", 1);                         /* another run, another secret */
	h = h_new_opts(H_RANDOM_ISN);
	unsetenv("TUNTCP_SEED");
	h_listen(h);
	other = isn_for(41000);
	h_free(h);
	h = first;
	CHECK_EQ(h, other != a && other != a2, 1);
}
END_TEST

/* ---- the listener's queues ---- */

/* Linux: the half-open queue is full at `backlog` children; the next SYN is dropped. */
START_TEST(listen_half_open_queue_full_without_cookies_drops_the_syn)
{
	with_opts(H_NO_SYNCOOKIES);
	h_listen(h);
	for (uint16_t i = 0; i < BACKLOG; i++) {
		syn_from((uint16_t)(41000 + i), IRS);
		expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	}
	syn_from(42000, IRS);
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_SYNQ_FULL, 1);
	ack_from(41000, IRS + 1, ISS + 1);                       /* one completes: room again */
	syn_from(42000, IRS);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
}
END_TEST

/* The half-open children time out (TCP_SYNACK_RETRIES), and the queue is empty again. */
START_TEST(listen_half_open_children_time_out)
{
	h_listen(h);
	for (uint16_t i = 0; i < BACKLOG; i++)
		syn_from((uint16_t)(41000 + i), IRS);
	advance_ms(h, 200000);
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	syn_from(42000, IRS);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_stat(h, STAT_DROP_TCP_SYNQ_FULL, 0);
}
END_TEST

/* Establish `n` connections from ports 41000.. that nobody accepts. */
static void established_unaccepted(int n)
{
	for (int i = 0; i < n; i++) {
		syn_from((uint16_t)(41000 + i), IRS);
		expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
		ack_from((uint16_t)(41000 + i), IRS + 1, ISS + 1);
	}
}

/* Linux: the accept queue is full past `backlog`; then a SYN is dropped, and the
 * ACK that would complete a handshake is dropped (the SYN,ACK comes again). */
START_TEST(listen_accept_queue_full_drops_syn_and_waits_on_the_ack)
{
	h_listen(h);
	established_unaccepted(BACKLOG + 1);
	syn_from(42000, IRS);
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_ACCEPTQ_FULL, 1);
	CHECK_EQ(h, tcp_accept(h->s, h->lh) >= 0, 1);            /* room for one */
	syn_from(42000, IRS);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	syn_from(42001, IRS);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	ack_from(42000, IRS + 1, ISS + 1);                       /* fills the queue */
	ack_from(42001, IRS + 1, ISS + 1);                       /* finds it full: dropped */
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_ACCEPTQ_FULL, 2);
	advance_ms(h, TCP_RTO_INITIAL_MS);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);        /* 42001's, again */
	CHECK_EQ(h, tcp_accept(h->s, h->lh) >= 0, 1);
	ack_from(42001, IRS + 1, ISS + 1);                       /* now it fits */
	for (int i = 0; i < BACKLOG + 1; i++)
		CHECK_EQ(h, tcp_accept(h->s, h->lh) >= 0, 1);
	CHECK_EQ(h, tcp_accept(h->s, h->lh), -EAGAIN);
}
END_TEST

START_TEST(listen_accept_queue_full_with_abort_on_overflow_sends_rst)
{
	with_opts(H_ABORT_ON_OVERFLOW);
	h_listen(h);
	established_unaccepted(BACKLOG + 1);
	CHECK_EQ(h, tcp_accept(h->s, h->lh) >= 0, 1);
	syn_from(42000, IRS);
	syn_from(42001, IRS);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	ack_from(42000, IRS + 1, ISS + 1);
	ack_from(42001, IRS + 1, ISS + 1);
	expect_rst(h, ISS + 1);                                  /* <SEQ=SEG.ACK><CTL=RST> */
	advance_ms(h, 10000);
	expect_nothing_sent(h);                                  /* that child is gone */
}
END_TEST

/* ---- SYN cookies ---- */

/* SHLD-5 */
START_TEST(syncookies_answer_when_the_half_open_queue_is_full)
{
	struct seg sa;
	int c;

	with_opts(H_RANDOM_ISN);
	h_listen(h);
	for (uint16_t i = 0; i < BACKLOG; i++) {
		syn_from((uint16_t)(41000 + i), IRS);
		expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	}
	syn_from(42000, IRS);
	sa = expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	CHECK_EQ(h, sa.mss, 1460);
	expect_stat(h, STAT_SYNCOOKIE_SENT, 1);
	advance_ms(h, 30000);                                    /* nothing was kept: no timer */
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	raw_tcp(PEER_IP, 42000, TH_ACK | TH_PSH, IRS + 1, sa.seq + 1, NULL, 0, "hi", 2, 0);
	expect_stat(h, STAT_SYNCOOKIE_OK, 1);
	expect_sent(h, TH_ACK, sa.seq + 1, IRS + 3, 0);
	c = tcp_accept(h->s, h->lh);
	CHECK_EQ(h, c >= 0, 1);
	h->h = c;
	expect_state(h, TCP_ESTABLISHED);
	expect_recv(h, "hi");
	CHECK_EQ(h, tcp_send(h->s, h->now, c, "ok", 2), 2);
	expect_sent(h, TH_ACK | TH_PSH, sa.seq + 1, IRS + 3, 2);
}
END_TEST

/* The half-open queue full, and one more SYN answered with a cookie: the overflow
 * that makes ACKs at the listener worth checking as cookies. */
static struct seg overflow_with_cookie(uint16_t sport)
{
	for (uint16_t i = 0; i < BACKLOG; i++)
		syn_from((uint16_t)(41000 + i), IRS);
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	syn_from(sport, IRS);
	expect_stat(h, STAT_SYNCOOKIE_SENT, 1);
	return expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
}

START_TEST(syncookies_a_forged_or_old_ack_is_refused)
{
	struct seg sa;

	with_opts(H_RANDOM_ISN);
	h_listen(h);
	sa = overflow_with_cookie(42000);
	ack_from(43000, IRS + 1, 0x12345678);                    /* a guess */
	expect_rst(h, 0x12345678);
	expect_stat(h, STAT_DROP_TCP_COOKIE, 1);
	ack_from(42000, IRS + 2, sa.seq + 1);                    /* not the SYN's ISN + 1 */
	expect_rst(h, sa.seq + 1);
	advance_ms(h, 3 * TCP_COOKIE_SLOT_S * 1000);             /* too old now, */
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	for (uint16_t i = 0; i <= BACKLOG; i++)                  /* though an overflow is recent */
		syn_from((uint16_t)(44000 + i), IRS);
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	expect_stat(h, STAT_SYNCOOKIE_SENT, 2);
	ack_from(42000, IRS + 1, sa.seq + 1);
	expect_rst(h, sa.seq + 1);
	expect_stat(h, STAT_DROP_TCP_COOKIE, 3);
	expect_stat(h, STAT_SYNCOOKIE_OK, 0);
}
END_TEST

/* As Linux: an ACK at a listener is taken for a cookie only shortly after the
 * half-open queue overflowed; else it is what 3.10.7.2 says, a bad ACK: RST. */
START_TEST(syncookies_an_ack_long_after_the_overflow_is_no_cookie)
{
	struct seg sa;

	with_opts(H_RANDOM_ISN);
	h_listen(h);
	ack_from(43000, IRS + 1, 0x12345678);                    /* no overflow yet */
	expect_rst(h, 0x12345678);
	expect_stat(h, STAT_DROP_TCP_LISTEN, 1);
	expect_stat(h, STAT_DROP_TCP_COOKIE, 0);
	sa = overflow_with_cookie(42000);
	advance_ms(h, TCP_COOKIE_RECENT_MS + 1000);
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	ack_from(42000, IRS + 1, sa.seq + 1);                    /* a valid cookie, too late */
	expect_rst(h, sa.seq + 1);
	expect_stat(h, STAT_DROP_TCP_LISTEN, 2);
	expect_stat(h, STAT_SYNCOOKIE_OK, 0);
}
END_TEST

/* ---- a SYN flood next to an established connection ---- */

START_TEST(syn_flood_without_cookies_leaves_established_connections_working_and_the_listener_recovers)
{
	with_opts(H_NO_SYNCOOKIES);
	h_passive_established(h);
	for (uint32_t i = 0; i < 5000; i++)                      /* random sources, ports */
		raw_tcp(0x0a000100u + (i % 200), (uint16_t)(1024 + i * 7), TH_SYN, i * 2654435761u,
			0, NULL, 0, NULL, 0, 0);
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, ISS, peek_sent(h).ack, 0);
	expect_stat(h, STAT_DROP_TCP_SYNQ_FULL, 5000 - BACKLOG);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "still", 5);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 6, 0);
	expect_recv(h, "still");
	CHECK_EQ(h, user_send(h, "here"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 6, 4);
	peer_sends(h, TH_ACK, IRS + 6, ISS + 5, NULL, 0);
	advance_ms(h, 200000);                                   /* the flood's children die */
	while (sent_pending(h))
		expect_sent(h, TH_SYN | TH_ACK, ISS, peek_sent(h).ack, 0);
	expect_state(h, TCP_ESTABLISHED);
	syn_from(45000, IRS);                                    /* a new client gets in */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_stat(h, STAT_DROP_TCP_NOMEM, 0);
}
END_TEST

/* With the defaults (SYN cookies on, as Linux's tcp_syncookies=1) a flood of forged
 * SYNs does not lock a listener out: a new client is answered with a cookie and
 * its ACK opens the connection at once, not when the flood's children time out. */
START_TEST(syn_flood_with_default_cookies_lets_a_new_client_in_at_once)
{
	struct seg sa;
	int c;

	h_listen(h);
	for (uint32_t i = 0; i < 500; i++) {                     /* random sources, ports */
		raw_tcp(0x0a000100u + (i % 200), (uint16_t)(1024 + i * 7), TH_SYN, i * 2654435761u,
			0, NULL, 0, NULL, 0, 0);
		while (sent_pending(h))
			expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, peek_sent(h).ack, 0);
	}
	expect_stat(h, STAT_SYNCOOKIE_SENT, 500 - BACKLOG);
	expect_stat(h, STAT_DROP_TCP_SYNQ_FULL, 0);
	syn_from(45000, IRS);                                    /* a real client, right away */
	sa = expect_sent(h, TH_SYN | TH_ACK, peek_sent(h).seq, IRS + 1, 0);
	ack_from(45000, IRS + 1, sa.seq + 1);
	expect_stat(h, STAT_SYNCOOKIE_OK, 1);
	c = tcp_accept(h->s, h->lh);
	CHECK_EQ(h, c >= 0, 1);
	h->h = c;
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("hardening");
	TCase *tc = tcase_create("hardening");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, options_with_bad_lengths_drop_the_segment);
	tcase_add_test(tc, options_odd_values_are_survived);
	tcase_add_test(tc, options_mss_of_0_and_1);
	tcase_add_test(tc, urgent_pointer_past_the_data_is_ignored);
	tcase_add_test(tc, challenge_acks_are_rate_limited_per_connection);
	tcase_add_test(tc, out_of_window_acks_are_answered_at_a_limited_rate);
	tcase_add_test(tc, siphash_matches_the_paper);
	tcase_add_test(tc, isn_is_a_clock_plus_a_keyed_hash_of_the_4_tuple);
	tcase_add_test(tc, listen_half_open_queue_full_without_cookies_drops_the_syn);
	tcase_add_test(tc, listen_half_open_children_time_out);
	tcase_add_test(tc, listen_accept_queue_full_drops_syn_and_waits_on_the_ack);
	tcase_add_test(tc, listen_accept_queue_full_with_abort_on_overflow_sends_rst);
	tcase_add_test(tc, syncookies_answer_when_the_half_open_queue_is_full);
	tcase_add_test(tc, syncookies_a_forged_or_old_ack_is_refused);
	tcase_add_test(tc, syncookies_an_ack_long_after_the_overflow_is_no_cookie);
	tcase_add_test(tc, syn_flood_without_cookies_leaves_established_connections_working_and_the_listener_recovers);
	tcase_add_test(tc, syn_flood_with_default_cookies_lets_a_new_client_in_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

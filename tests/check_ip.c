/* check_ip.c - wire.c and ip.c/icmp.c: the Internet checksum, IPv4 header
 * validation (every bad field dropped with its own counted reason, nothing read
 * past the packet), TCP option parsing, ICMP echo replies. */
#include <string.h>
#include "harness.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

/* A valid ICMP echo request from the peer, 8 bytes of data. */
static size_t echo_request(uint8_t *p)
{
	static const uint8_t req[] = {
		0x45, 0, 0, 36, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		8, 0, 0, 0, 0xbe, 0xef, 0, 1, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
	};
	memcpy(p, req, sizeof(req));
	put16(p + 10, inet_fold(inet_sum(p, 20, 0)));
	put16(p + 22, inet_fold(inet_sum(p + 20, 16, 0)));
	return sizeof(req);
}

static void fix_ip_cksum(uint8_t *p)
{
	put16(p + 10, 0);
	put16(p + 10, inet_fold(inet_sum(p, (size_t)(p[0] & 15) * 4, 0)));
}

/* MUST-2 */
START_TEST(checksum_matches_rfc1071_example)
{
	/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	CHECK_EQ(h, inet_fold(inet_sum(d, sizeof(d), 0)), (uint16_t)~0xddf2);
	static const uint8_t odd[] = { 0x01, 0x02, 0x03 };   /* the odd byte is padded */
	CHECK_EQ(h, inet_fold(inet_sum(odd, 3, 0)), (uint16_t)~(0x0102 + 0x0300));
}
END_TEST

START_TEST(echo_request_gets_echo_reply_with_same_id_seq_and_data)
{
	uint8_t p[64];
	struct ip_pkt ip;

	peer_sends_raw(h, p, echo_request(p));
	CHECK_EQ(h, sent_pending(h), 1);
	CHECK_EQ(h, ip_parse(&ip, h->q[0].pkt, h->q[0].len), 0);   /* IP checksum verified */
	CHECK_EQ(h, ip.src, STACK_IP);
	CHECK_EQ(h, ip.dst, PEER_IP);
	CHECK_EQ(h, ip.proto, 1);
	CHECK_EQ(h, ip.payload[0], ICMP_ECHO_REPLY);
	CHECK_EQ(h, inet_fold(inet_sum(ip.payload, ip.payload_len, 0)), 0);
	ck_assert(memcmp(ip.payload + 4, p + 24, 12) == 0);
	expect_stat(h, STAT_ICMP_ECHO, 1);
}
END_TEST

/* Each malformed header is dropped for its own reason and gets no answer. */
static void expect_dropped(const uint8_t *p, size_t len, enum stat_id why)
{
	peer_sends_raw(h, p, len);
	expect_nothing_sent(h);
	expect_stat(h, why, 1);
}

START_TEST(ip_short_packet_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	expect_dropped(p, 19, STAT_DROP_IP_SHORT);
}
END_TEST

START_TEST(ip_version_6_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	p[0] = 0x65;
	expect_dropped(p, 36, STAT_DROP_IP_VERSION);
}
END_TEST

START_TEST(ip_header_length_below_5_or_past_packet_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	p[0] = 0x44;
	expect_dropped(p, 36, STAT_DROP_IP_IHL);
	echo_request(p);
	p[0] = 0x4f;                               /* 60-byte header in a 36-byte packet */
	peer_sends_raw(h, p, 36);
	expect_stat(h, STAT_DROP_IP_IHL, 2);
}
END_TEST

START_TEST(ip_total_length_longer_than_received_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	put16(p + 2, 60);
	fix_ip_cksum(p);
	expect_dropped(p, 36, STAT_DROP_IP_LEN);
}
END_TEST

START_TEST(ip_trailing_link_padding_is_ignored)
{
	uint8_t p[64] = { 0 };
	size_t n = echo_request(p);
	peer_sends_raw(h, p, n + 10);              /* 10 bytes of padding after the packet */
	CHECK_EQ(h, sent_pending(h), 1);
	CHECK_EQ(h, get16(h->q[0].pkt + 2), 36);   /* the reply has the real length */
}
END_TEST

START_TEST(ip_bad_header_checksum_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	p[10] ^= 0x55;
	expect_dropped(p, 36, STAT_DROP_IP_CSUM);
}
END_TEST

START_TEST(ip_fragment_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	put16(p + 6, 0x2000);                      /* more fragments */
	fix_ip_cksum(p);
	expect_dropped(p, 36, STAT_DROP_IP_FRAG);
}
END_TEST

/* MUST-57 */
START_TEST(ip_not_our_address_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	p[19] = 3;
	fix_ip_cksum(p);
	expect_dropped(p, 36, STAT_DROP_IP_NOT_US);
}
END_TEST

/* MUST-63 */
START_TEST(ip_broadcast_source_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	memset(p + 12, 0xff, 4);
	fix_ip_cksum(p);
	expect_dropped(p, 36, STAT_DROP_IP_SRC);
}
END_TEST

/* RFC 1122 3.2.1.3: sources in 0/8, 127/8, multicast, and our own address (MUST-63) */
START_TEST(ip_bogus_sources_are_dropped)
{
	static const uint8_t src[][4] = { { 0, 0, 0, 0 }, { 0, 1, 2, 3 }, { 127, 0, 0, 1 },
					  { 127, 9, 9, 9 }, { 224, 0, 0, 1 }, { 239, 1, 1, 1 },
					  { 10, 0, 0, 2 }, { 10, 0, 0, 255 } };   /* 10.0.0.2/24 */

	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		uint8_t p[64];
		echo_request(p);
		memcpy(p + 12, src[i], 4);
		fix_ip_cksum(p);
		peer_sends_raw(h, p, 36);
		expect_nothing_sent(h);
		expect_stat(h, STAT_DROP_IP_SRC, i + 1);
	}
}
END_TEST

/* RFC 1122 3.2.2.1: dropped, and answered with ICMP protocol unreachable. */
START_TEST(ip_unknown_protocol_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	p[9] = 17;                                 /* UDP */
	fix_ip_cksum(p);
	peer_sends_raw(h, p, 36);
	expect_stat(h, STAT_DROP_IP_PROTO, 1);
	expect_sent_icmp(h, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL);
}
END_TEST

/* MUST-50 */
START_TEST(ip_options_are_skipped_and_the_payload_still_served)
{
	uint8_t p[64], q[64];
	size_t n = echo_request(p);

	memcpy(q, p, 20);                          /* header + 4 bytes of NOP options */
	q[0] = 0x46;
	memset(q + 20, 1, 4);
	memcpy(q + 24, p + 20, n - 20);
	put16(q + 2, (uint16_t)(n + 4));
	fix_ip_cksum(q);
	peer_sends_raw(h, q, n + 4);
	CHECK_EQ(h, sent_pending(h), 1);
}
END_TEST

START_TEST(icmp_bad_checksum_is_dropped)
{
	uint8_t p[64];
	echo_request(p);
	p[30] ^= 1;
	expect_dropped(p, 36, STAT_DROP_ICMP_CSUM);
}
END_TEST

/* MUST-3 */
START_TEST(tcp_bad_checksum_is_dropped_without_answer)
{
	uint8_t p[64];
	struct seg sg = { .src = PEER_IP, .dst = STACK_IP, .sport = 5, .dport = 9, .seq = 1,
			  .flags = TH_SYN, .wnd = 100 };
	size_t n = tcp_build(p, &sg, 1);

	p[n - 1] ^= 0x40;                          /* a bit in the TCP header */
	expect_dropped(p, n, STAT_DROP_TCP_CSUM);
}
END_TEST

/* A SYN with the given option bytes (a multiple of 4). */
static size_t syn_with_options(uint8_t *p, const uint8_t *opt, size_t olen)
{
	struct seg sg = { .src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = PORT,
			  .seq = IRS, .flags = TH_SYN, .wnd = 1000 };
	size_t n = tcp_build(p, &sg, 1);
	uint8_t *t = p + 20;

	memcpy(p + n, opt, olen);
	t[12] = (uint8_t)((20 + olen) / 4) << 4;
	put16(p + 2, (uint16_t)(n + olen));
	fix_ip_cksum(p);
	put16(t + 16, 0);
	put16(t + 16, tcp_cksum(PEER_IP, STACK_IP, t, 20 + olen));
	return n + olen;
}

/* MUST-7 */
START_TEST(tcp_option_length_zero_or_past_header_is_dropped)
{
	uint8_t p[128];
	static const uint8_t zero[] = { 8, 0, 0, 0 }, past[] = { 1, 1, 8, 10 };

	h_listen(h);
	expect_dropped(p, syn_with_options(p, zero, 4), STAT_DROP_TCP_OPT);
	peer_sends_raw(h, p, syn_with_options(p, past, 4));
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_OPT, 2);
}
END_TEST

START_TEST(tcp_mss_option_with_wrong_length_is_dropped)
{
	uint8_t p[128];
	static const uint8_t bad[] = { 2, 3, 5, 1, 0, 0, 0, 0 };

	h_listen(h);
	expect_dropped(p, syn_with_options(p, bad, 8), STAT_DROP_TCP_OPT);
}
END_TEST

/* MUST-4, MUST-14, MUST-64, SHLD-28 */
START_TEST(tcp_mss_option_limits_what_the_stack_sends)
{
	uint8_t p[128];
	static const uint8_t mss[] = { 1, 2, 4, 0x02, 0x00, 0, 0, 0 };  /* nop, MSS 512, EOL */
	char big[2000];

	h_listen(h);
	peer_sends_raw(h, p, syn_with_options(p, mss, 8));
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	h->h = tcp_accept(h->s, h->lh);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	user_send(h, big);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 512);
	expect_sent(h, TH_ACK, ISS + 513, IRS + 1, 512);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ip");
	TCase *tc = tcase_create("ip");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, checksum_matches_rfc1071_example);
	tcase_add_test(tc, echo_request_gets_echo_reply_with_same_id_seq_and_data);
	tcase_add_test(tc, ip_short_packet_is_dropped);
	tcase_add_test(tc, ip_version_6_is_dropped);
	tcase_add_test(tc, ip_header_length_below_5_or_past_packet_is_dropped);
	tcase_add_test(tc, ip_total_length_longer_than_received_is_dropped);
	tcase_add_test(tc, ip_trailing_link_padding_is_ignored);
	tcase_add_test(tc, ip_bad_header_checksum_is_dropped);
	tcase_add_test(tc, ip_fragment_is_dropped);
	tcase_add_test(tc, ip_not_our_address_is_dropped);
	tcase_add_test(tc, ip_broadcast_source_is_dropped);
	tcase_add_test(tc, ip_bogus_sources_are_dropped);
	tcase_add_test(tc, ip_unknown_protocol_is_dropped);
	tcase_add_test(tc, ip_options_are_skipped_and_the_payload_still_served);
	tcase_add_test(tc, icmp_bad_checksum_is_dropped);
	tcase_add_test(tc, tcp_bad_checksum_is_dropped_without_answer);
	tcase_add_test(tc, tcp_option_length_zero_or_past_header_is_dropped);
	tcase_add_test(tc, tcp_mss_option_with_wrong_length_is_dropped);
	tcase_add_test(tc, tcp_mss_option_limits_what_the_stack_sends);
	suite_add_tcase(s, tc);
	return run_suite(s) ? 1 : 0;
}

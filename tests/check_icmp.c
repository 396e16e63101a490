/* check_icmp.c - ICMP errors reach the connection (RFC 9293 3.9.2.2, MUST-54..56,
 * RFC 1122 4.2.3.9, RFC 5927, RFC 1191) and the stack answers for what it does not
 * speak (RFC 1122 3.2.2.1): every unreachable code in SYN-SENT with Linux's errno,
 * time exceeded and parameter problem, the RFC 5927 checks (4-tuple, sequence number
 * between SND.UNA and SND.MAX), soft errors in ESTABLISHED (kept, read as SO_ERROR,
 * reported instead of ETIMEDOUT, cleared by an ACK), fragmentation needed, a passive
 * half-open child, source quench, protocol unreachable and its rate limit, and the
 * tcpdump-style lines of each message. */
#include <string.h>
#include "harness.h"

#define ROUTER_IP 0x0a000063u             /* 10.0.0.99: a router on the path */

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

/* A segment the stack might have sent on h's connection, as an ICMP error quotes it. */
static size_t our_segment(uint8_t *buf, uint8_t flags, uint32_t seq, uint32_t dlen)
{
	static const uint8_t zeros[1460];
	struct seg sg = {
		.src = STACK_IP, .dst = PEER_IP, .sport = h->lport, .dport = PEER_PORT,
		.seq = seq, .flags = flags, .wnd = 65535, .data = zeros, .dlen = dlen,
	};
	return tcp_build(buf, &sg, 7);
}

/* An ICMP error of type/code from `from`, quoting the first `quote` bytes of `orig`. */
static void icmp_from(uint32_t from, uint8_t type, uint8_t code, uint16_t mtu,
		      const uint8_t *orig, size_t quote)
{
	uint8_t p[IP_HDR_LEN + 8 + 128];
	size_t len = IP_HDR_LEN + 8 + quote;

	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	put16(p + 2, (uint16_t)len);
	p[8] = 64;
	p[9] = IPPROTO_ICMP_;
	put32(p + 12, from);
	put32(p + 16, STACK_IP);
	put16(p + 10, inet_fold(inet_sum(p, IP_HDR_LEN, 0)));
	p[20] = type;
	p[21] = code;
	put16(p + 26, mtu);
	memcpy(p + 28, orig, quote);
	put16(p + 22, inet_fold(inet_sum(p + 20, 8 + quote, 0)));
	peer_sends_raw(h, p, len);
}

/* The usual error: a router's, quoting our segment at `seq` (IP header + 8 bytes). */
static void icmp_about(uint8_t type, uint8_t code, uint32_t seq)
{
	uint8_t seg[IP_HDR_LEN + TCP_HDR_LEN + 1460];

	our_segment(seg, TH_ACK, seq, 0);
	icmp_from(ROUTER_IP, type, code, 0, seg, IP_HDR_LEN + 8);
}

static void syn_sent(void)
{
	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	h->lport = expect_sent(h, TH_SYN, ISS, 0, 0).sport;
	expect_state(h, TCP_SYN_SENT);
}

/* ---- SYN-SENT: the attempt is aborted, with Linux's errno ---- */

/* MUST-54 */
START_TEST(syn_sent_port_unreachable_refuses_the_connection_at_once)
{
	syn_sent();
	icmp_about(ICMP_UNREACH, ICMP_UNREACH_PORT, ISS);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, h_error(h), -ECONNREFUSED);
	expect_stat(h, STAT_ICMP_ERROR, 1);
	expect_nothing_sent(h);
	advance_ms(h, 10000);                        /* and no SYN comes again */
	expect_nothing_sent(h);
}
END_TEST

/* Linux's icmp_err_convert: the errno of each destination-unreachable code (SHLD-26). */
START_TEST(syn_sent_every_unreachable_code_aborts_with_the_errno_linux_reports)
{
	static const int want[16] = {
		ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, 0, EOPNOTSUPP, ENETUNREACH,
		EHOSTDOWN, ENONET, ENETUNREACH, EHOSTUNREACH, ENETUNREACH, EHOSTUNREACH,
		EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
	};

	for (uint8_t code = 0; code < 16; code++) {
		if (code == ICMP_UNREACH_NEEDFRAG)
			continue;                    /* not an abort: path MTU, below */
		h_free(h);
		h = h_new();
		syn_sent();
		icmp_about(ICMP_UNREACH, code, ISS);
		h_say(h, "(code %u)", code);
		expect_state(h, TCP_CLOSED);
		CHECK_EQ(h, h_error(h), -want[code]);
	}
}
END_TEST

START_TEST(syn_sent_time_exceeded_aborts_with_ehostunreach)
{
	syn_sent();
	icmp_about(ICMP_TIME_EXCEEDED, 0, ISS);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, h_error(h), -EHOSTUNREACH);
}
END_TEST

START_TEST(syn_sent_parameter_problem_aborts_with_eproto)
{
	syn_sent();
	icmp_about(ICMP_PARAM_PROBLEM, 0, ISS);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, h_error(h), -EPROTO);
}
END_TEST

/* ---- RFC 5927 4.1: only an error about a segment we sent and is unacknowledged ---- */

START_TEST(syn_sent_icmp_quoting_another_sequence_number_is_dropped)
{
	syn_sent();
	icmp_about(ICMP_UNREACH, ICMP_UNREACH_PORT, ISS + 1);       /* never sent */
	icmp_about(ICMP_UNREACH, ICMP_UNREACH_PORT, ISS - 1);
	expect_stat(h, STAT_DROP_ICMP_SEQ, 2);
	expect_state(h, TCP_SYN_SENT);
	CHECK_EQ(h, h_error(h), 0);
}
END_TEST

/* MUST-54 */
START_TEST(icmp_for_another_connection_or_not_from_us_is_dropped)
{
	uint8_t seg[IP_HDR_LEN + TCP_HDR_LEN + 1460];

	syn_sent();
	our_segment(seg, TH_SYN, ISS, 0);
	put16(seg + IP_HDR_LEN, (uint16_t)(h->lport + 1));          /* another local port */
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, seg, IP_HDR_LEN + 8);
	expect_stat(h, STAT_DROP_ICMP_NO_CONN, 1);
	our_segment(seg, TH_SYN, ISS, 0);
	put32(seg + 12, ROUTER_IP);                                 /* a datagram not ours */
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, seg, IP_HDR_LEN + 8);
	expect_stat(h, STAT_DROP_ICMP_QUOTE, 1);
	our_segment(seg, TH_SYN, ISS, 0);
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, seg, IP_HDR_LEN + 4);  /* short */
	expect_stat(h, STAT_DROP_ICMP_QUOTE, 2);
	expect_state(h, TCP_SYN_SENT);
}
END_TEST

/* RFC 9293 MUST-55 */
START_TEST(source_quench_is_discarded)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "data"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	icmp_about(ICMP_QUENCH, 0, ISS + 1);
	expect_stat(h, STAT_DROP_ICMP_QUENCH, 1);
	expect_nothing_sent(h);
	CHECK_EQ(h, tcp_sock_error(h->s, h->h), 0);
}
END_TEST

/* ---- synchronized states: soft errors (MUST-56, SHLD-25) ---- */

/* MUST-47, MUST-56, SHLD-25 */
START_TEST(established_unreachable_is_a_soft_error_the_connection_goes_on)
{
	struct tcp_status st;

	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "data"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	icmp_about(ICMP_UNREACH, ICMP_UNREACH_PORT, ISS + 1);     /* even a "hard" one */
	expect_state(h, TCP_ESTABLISHED);
	CHECK_EQ(h, h_error(h), 0);
	tcp_status(h->s, h->h, &st);
	CHECK_EQ(h, st.soft_error, -ECONNREFUSED);
	CHECK_EQ(h, tcp_sock_error(h->s, h->h), -ECONNREFUSED);  /* as SO_ERROR: once */
	CHECK_EQ(h, tcp_sock_error(h->s, h->h), 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 5, NULL, 0);
	expect_state(h, TCP_ESTABLISHED);
}
END_TEST

/* SHLD-25 */
START_TEST(established_soft_error_is_reported_instead_of_etimedout)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "data"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	icmp_about(ICMP_UNREACH, 1, ISS + 1);                    /* host unreachable */
	advance_ms(h, 600000);                                   /* every retransmission lost */
	while (sent_pending(h))
		expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	expect_state(h, TCP_CLOSED);
	CHECK_EQ(h, h_error(h), -EHOSTUNREACH);
}
END_TEST

START_TEST(established_ack_of_new_data_clears_the_soft_error)
{
	h_passive_established(h);
	CHECK_EQ(h, user_send(h, "data"), 4);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	icmp_about(ICMP_UNREACH, 1, ISS + 1);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 5, NULL, 0);
	CHECK_EQ(h, tcp_sock_error(h->s, h->h), 0);
}
END_TEST

START_TEST(established_icmp_with_nothing_in_flight_is_dropped)
{
	h_passive_established(h);
	icmp_about(ICMP_UNREACH, ICMP_UNREACH_PORT, ISS + 1);    /* SND.UNA = SND.MAX */
	expect_stat(h, STAT_DROP_ICMP_SEQ, 1);
	CHECK_EQ(h, tcp_sock_error(h->s, h->h), 0);
}
END_TEST

/* ---- fragmentation needed: path MTU discovery (RFC 1191) ---- */

static void send_bytes(uint32_t n)
{
	static char buf[8192];

	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, buf, n), (ssize_t)n);
}

START_TEST(established_fragmentation_needed_lowers_the_mss_and_resends_at_the_new_size)
{
	uint8_t seg[IP_HDR_LEN + TCP_HDR_LEN + 1460];

	h_passive_established(h);
	send_bytes(2920);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 1460);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1461, IRS + 1, 1460);
	our_segment(seg, TH_ACK, ISS + 1, 1460);                 /* a router with MTU 1000 */
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 1000, seg, IP_HDR_LEN + 8);
	expect_stat(h, STAT_ICMP_ERROR, 1);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 960);           /* at once, 1000 - 40 */
	expect_state(h, TCP_ESTABLISHED);
	CHECK_EQ(h, h_error(h), 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 961, NULL, 0);
	expect_sent(h, TH_ACK, ISS + 961, IRS + 1, 960);         /* the rest, 960 at a time */
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1921, IRS + 1, 960);
	CHECK_EQ(h, strstr(h->log, "rcvd ICMP fragmentation needed (mtu 1000): MSS 1460 -> 960") != NULL, 1);
}
END_TEST

START_TEST(fragmentation_needed_without_mtu_takes_the_plateau_below_and_never_below_68)
{
	uint8_t seg[IP_HDR_LEN + TCP_HDR_LEN + 1460];

	h_passive_established(h);
	send_bytes(1460);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 1460);
	our_segment(seg, TH_ACK | TH_PSH, ISS + 1, 1460);       /* total length 1500: 1492 */
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 0, seg, IP_HDR_LEN + 8);
	expect_sent(h, TH_ACK, ISS + 1, IRS + 1, 1452);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1453, IRS + 1, 8);
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 40, seg, IP_HDR_LEN + 8);
	for (uint32_t off = 0; off + 28 <= 1460; off += 28)     /* MTU 68: 28 bytes at a time */
		expect_sent(h, TH_ACK, ISS + 1 + off, IRS + 1, 28);
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1 + 1456, IRS + 1, 4);
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 1400, seg, IP_HDR_LEN + 8);
	expect_nothing_sent(h);                                  /* never back up */
}
END_TEST

/* ---- a passive half-open child ---- */

/* SHLD-26 */
START_TEST(syn_received_passive_child_is_dropped_on_a_hard_error_only)
{
	uint8_t seg[IP_HDR_LEN + TCP_HDR_LEN + 1460];

	h_listen(h);
	h->lport = PORT;
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	our_segment(seg, TH_SYN | TH_ACK, ISS, 0);
	icmp_from(ROUTER_IP, ICMP_UNREACH, 1, 0, seg, IP_HDR_LEN + 8);   /* soft: stays */
	expect_state(h, TCP_SYN_RECEIVED);
	icmp_from(ROUTER_IP, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, seg, IP_HDR_LEN + 8);
	expect_state(h, TCP_LISTEN);                             /* the child is gone: */
	advance_ms(h, 5000);
	expect_nothing_sent(h);                                  /* no SYN,ACK again, and */
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);        /* the handshake's ACK finds */
	expect_rst(h, ISS + 1);                                  /* only the listener */
}
END_TEST

/* ---- what the stack sends: protocol unreachable, rate-limited ---- */

static void udp_from(uint32_t src, uint16_t sport)
{
	uint8_t p[IP_HDR_LEN + 8 + 5];

	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	put16(p + 2, sizeof(p));
	p[8] = 64;
	p[9] = 17;
	put32(p + 12, src);
	put32(p + 16, STACK_IP);
	put16(p + 10, inet_fold(inet_sum(p, IP_HDR_LEN, 0)));
	put16(p + 20, sport);
	put16(p + 22, 9);
	put16(p + 24, 8 + 5);
	memcpy(p + 28, "hello", 5);
	peer_sends_raw(h, p, sizeof(p));
}

START_TEST(udp_gets_protocol_unreachable_quoting_its_header_and_8_bytes)
{
	struct ip_pkt ip;

	udp_from(PEER_IP, 40000);
	ip = expect_sent_icmp(h, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL);
	CHECK_EQ(h, ip.src, STACK_IP);
	CHECK_EQ(h, ip.dst, PEER_IP);
	CHECK_EQ(h, ip.payload_len, 8 + IP_HDR_LEN + 8);
	CHECK_EQ(h, get32(ip.payload + 8 + 12), PEER_IP);        /* the quoted header */
	CHECK_EQ(h, ip.payload[8 + 9], 17);
	CHECK_EQ(h, get16(ip.payload + 8 + IP_HDR_LEN), 40000);  /* and the UDP header */
	expect_stat(h, STAT_DROP_IP_PROTO, 1);
	expect_stat(h, STAT_ICMP_UNREACH_SENT, 1);
}
END_TEST

/* As Linux: a burst of 6 per destination, then one a second. */
START_TEST(protocol_unreachable_is_rate_limited_per_destination)
{
	for (int i = 0; i < 10; i++)
		udp_from(PEER_IP, (uint16_t)(40000 + i));
	for (int i = 0; i < ICMP_RATE_BURST; i++)
		expect_sent_icmp(h, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL);
	expect_nothing_sent(h);
	expect_stat(h, STAT_ICMP_RATE_LIMITED, 10 - ICMP_RATE_BURST);
	udp_from(0x0a000005u, 40000);                            /* another destination */
	expect_sent_icmp(h, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL);
	advance_ms(h, 500);
	udp_from(PEER_IP, 40100);
	expect_nothing_sent(h);
	advance_ms(h, 500);
	udp_from(PEER_IP, 40101);                                /* a second later: one more */
	expect_sent_icmp(h, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL);
	udp_from(PEER_IP, 40102);
	expect_nothing_sent(h);
}
END_TEST

/* ---- the trace: each message as tcpdump -n prints it ---- */

static void expect_line(uint8_t type, uint8_t code, uint16_t mtu, const char *want)
{
	uint8_t seg[IP_HDR_LEN + TCP_HDR_LEN + 1460], p[IP_HDR_LEN + 8 + 28];
	char line[256];

	h->lport = 40000;
	our_segment(seg, TH_SYN, 1000, 0);
	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	put16(p + 2, sizeof(p));
	p[9] = IPPROTO_ICMP_;
	put32(p + 12, PEER_IP);
	put32(p + 16, STACK_IP);
	p[20] = type;
	p[21] = code;
	put16(p + 26, mtu);
	if (type == ICMP_PARAM_PROBLEM)
		p[24] = 20;                                      /* the octet in question */
	memcpy(p + 28, seg, 28);
	put16(p + 10, inet_fold(inet_sum(p, IP_HDR_LEN, 0)));
	trace_format_packet(p, sizeof(p), line, sizeof(line));
	if (strcmp(line, want) != 0)
		h_fail(h, "type %u code %u:\n  got  %s\n  want %s", type, code, line, want);
}

START_TEST(trace_prints_icmp_errors_as_tcpdump_does)
{
	expect_line(3, 3, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 tcp port 40000 unreachable, length 36");
	expect_line(3, 2, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 protocol 6 unreachable, length 36");
	expect_line(3, 0, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP net 10.0.0.1 unreachable, length 36");
	expect_line(3, 1, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP host 10.0.0.1 unreachable, length 36");
	expect_line(3, 4, 1400, "IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 unreachable - need to frag "
		    "(mtu 1400), length 36");
	expect_line(3, 13, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP host 10.0.0.1 unreachable - admin "
		    "prohibited filter, length 36");
	expect_line(11, 0, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP time exceeded in-transit, length 36");
	expect_line(12, 0, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP parameter problem - octet 20, length 36");
	expect_line(4, 0, 0, "IP 10.0.0.1 > 10.0.0.2: ICMP source quench, length 36");
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("icmp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, syn_sent_port_unreachable_refuses_the_connection_at_once);
	tcase_add_test(tc, syn_sent_every_unreachable_code_aborts_with_the_errno_linux_reports);
	tcase_add_test(tc, syn_sent_time_exceeded_aborts_with_ehostunreach);
	tcase_add_test(tc, syn_sent_parameter_problem_aborts_with_eproto);
	tcase_add_test(tc, syn_sent_icmp_quoting_another_sequence_number_is_dropped);
	tcase_add_test(tc, icmp_for_another_connection_or_not_from_us_is_dropped);
	tcase_add_test(tc, source_quench_is_discarded);
	tcase_add_test(tc, established_unreachable_is_a_soft_error_the_connection_goes_on);
	tcase_add_test(tc, established_soft_error_is_reported_instead_of_etimedout);
	tcase_add_test(tc, established_ack_of_new_data_clears_the_soft_error);
	tcase_add_test(tc, established_icmp_with_nothing_in_flight_is_dropped);
	tcase_add_test(tc, established_fragmentation_needed_lowers_the_mss_and_resends_at_the_new_size);
	tcase_add_test(tc, fragmentation_needed_without_mtu_takes_the_plateau_below_and_never_below_68);
	tcase_add_test(tc, syn_received_passive_child_is_dropped_on_a_hard_error_only);
	tcase_add_test(tc, udp_gets_protocol_unreachable_quoting_its_header_and_8_bytes);
	tcase_add_test(tc, protocol_unreachable_is_rate_limited_per_destination);
	tcase_add_test(tc, trace_prints_icmp_errors_as_tcpdump_does);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

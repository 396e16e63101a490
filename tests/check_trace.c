/* check_trace.c - what students read: the transition log line (the format the
 * issue and the README promise, so `sort -m` merges it with tcpdump), the
 * tcpdump-style packet line, and the pcap file the stack writes itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "log.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

START_TEST(state_line_has_connection_states_cause_and_rfc_section)
{
	struct trace_event ev = {
		.kind = TRACE_STATE, .from = TCP_LISTEN, .to = TCP_SYN_RECEIVED, .cause = "rcvd SYN",
		.rfc = "3.10.7.2", .conn = { STACK_IP, PEER_IP, 1234, 42606 },
	};
	char line[256];

	trace_format(&ev, line, sizeof(line));
	ck_assert_str_eq(line, "10.0.0.2:1234 > 10.0.0.1:42606 LISTEN -> SYN-RECEIVED (rcvd SYN) [3.10.7.2]");
}
END_TEST

START_TEST(time_wait_line_says_how_long_it_lasts)
{
	struct trace_event ev = {
		.kind = TRACE_STATE, .from = TCP_FIN_WAIT_2, .to = TCP_TIME_WAIT, .cause = "rcvd FIN",
		.rfc = "3.10.7.4", .conn = { STACK_IP, PEER_IP, 40000, 80 }, .duration = 60000000,
	};
	char line[256];

	trace_format(&ev, line, sizeof(line));
	ck_assert_str_eq(line, "10.0.0.2:40000 > 10.0.0.1:80 FIN-WAIT-2 -> TIME-WAIT (rcvd FIN) "
			       "[3.10.7.4] for 2*MSL = 60.000 s");
}
END_TEST

START_TEST(listener_line_shows_any_peer)
{
	struct trace_event ev = {
		.kind = TRACE_STATE, .from = TCP_CLOSED, .to = TCP_LISTEN, .cause = "passive OPEN",
		.rfc = "3.10.1", .conn = { STACK_IP, 0, 1234, 0 },
	};
	char line[256];

	trace_format(&ev, line, sizeof(line));
	ck_assert_str_eq(line, "10.0.0.2:1234 > *:* CLOSED -> LISTEN (passive OPEN) [3.10.1]");
}
END_TEST

START_TEST(packet_line_is_tcpdump_style_with_absolute_numbers)
{
	uint8_t p[128];
	char line[256];
	struct seg sg = { .src = PEER_IP, .dst = STACK_IP, .sport = 42606, .dport = 1234,
			  .seq = 2099912038u, .ack = 2547375255u, .flags = TH_PSH | TH_ACK,
			  .wnd = 221, .data = (const uint8_t *)"ping", .dlen = 4 };

	trace_format_packet(p, tcp_build(p, &sg, 1), line, sizeof(line));
	ck_assert_str_eq(line, "IP 10.0.0.1.42606 > 10.0.0.2.1234: Flags [P.], seq 2099912038:2099912042, "
			       "ack 2547375255, win 221, length 4");
	sg.flags = TH_SYN;
	sg.mss = 1460;
	sg.dlen = 0;
	trace_format_packet(p, tcp_build(p, &sg, 1), line, sizeof(line));
	ck_assert_str_eq(line, "IP 10.0.0.1.42606 > 10.0.0.2.1234: Flags [S], seq 2099912038, win 221, "
			       "options [mss 1460], length 0");
}
END_TEST

/* The peer's segment sg with these option bytes (a multiple of 4) in its header. */
static size_t with_options(uint8_t *p, struct seg sg, const uint8_t *opt, size_t olen)
{
	uint8_t body[256], *t = p + IP_HDR_LEN;
	size_t n;

	if (olen)                              /* built as data, then moved into the header */
		memcpy(body, opt, olen);
	if (sg.dlen)
		memcpy(body + olen, sg.data, sg.dlen);
	sg.data = body;
	sg.dlen += (uint32_t)olen;
	n = tcp_build(p, &sg, 1);
	t[12] = (uint8_t)((TCP_HDR_LEN + olen) / 4 << 4);
	put16(t + 16, 0);
	put16(t + 16, tcp_cksum(sg.src, sg.dst, t, n - IP_HDR_LEN));
	return n;
}

/* The -v line of the peer's segment sg with these options. */
static const char *line_with_options(struct seg sg, const uint8_t *opt, size_t olen)
{
	static char line[512];
	uint8_t p[512];

	trace_format_packet(p, with_options(p, sg, opt, olen), line, sizeof(line));
	return line;
}

/* The start of tcpdump -n -S's line for peer_syn: tests compare whole lines. */
#define SYN_LINE "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [S], seq 4294967280, win 64240, "
#define expect_line(sg, opt, want) ck_assert_str_eq(line_with_options(sg, opt, sizeof(opt)), want)

static const struct seg peer_syn = { .src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT,
				     .dport = PORT, .seq = IRS, .flags = TH_SYN, .wnd = 64240 };

/* What Linux puts on its SYN, byte for byte, and what tcpdump -n -S prints for it. */
static const uint8_t linux_syn[] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07 };

START_TEST(linux_syn_line_shows_every_option_in_wire_order)
{
	/* the whole line, as it stands next to tcpdump's */
	expect_line(peer_syn, linux_syn, "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [S], seq 4294967280, "
		    "win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
}
END_TEST

START_TEST(linux_syn_is_parsed_for_mss_and_window_scale_only)
{
	uint8_t p[128];
	struct ip_pkt ip;
	struct seg sg;

	ck_assert_int_eq(ip_parse(&ip, p, with_options(p, peer_syn, linux_syn, sizeof(linux_syn))), 0);
	ck_assert_int_eq(tcp_parse(&sg, &ip), 0);
	ck_assert_uint_eq(sg.mss, 1460);
	ck_assert_uint_eq(sg.wscale, 7);
	ck_assert_uint_eq(sg.dlen, 0);
	h_listen(h);                            /* and the stack answers it */
	peer_sends_raw(h, p, with_options(p, peer_syn, linux_syn, sizeof(linux_syn)));
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
}
END_TEST

START_TEST(sack_blocks_are_printed_with_absolute_edges)
{
	static const uint8_t one[] = { 1, 1, 5, 10, 0xb2, 0xd0, 0x5e, 0x00, 0xb2, 0xd0, 0x63, 0xa8 };
	static const uint8_t two[] = { 1, 1, 5, 18, 0, 0, 0x0b, 0x51, 0, 0, 0x10, 0xf9,
				       0, 0, 0x16, 0xa1, 0, 0, 0x1c, 0x49 };
	struct seg ack = { .src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = PORT,
			   .seq = 1001, .ack = 2999999000u, .flags = TH_ACK, .wnd = 501 };

	expect_line(ack, one, "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [.], ack 2999999000, win 501, "
		    "options [nop,nop,sack 1 {3000000000:3000001448}], length 0");
	expect_line(ack, two, "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [.], ack 2999999000, win 501, "
		    "options [nop,nop,sack 2 {2897:4345}{5793:7241}], length 0");
}
END_TEST

START_TEST(options_end_at_eol_and_padding_after_it_is_not_printed)
{
	static const uint8_t eol[] = { 2, 4, 5, 0xb4, 1, 0, 0, 0 }, nops[] = { 1, 1, 1, 1 };

	expect_line(peer_syn, eol, SYN_LINE "options [mss 1460,nop,eol], length 0");
	expect_line(peer_syn, nops, SYN_LINE "options [nop,nop,nop,nop], length 0");
}
END_TEST

START_TEST(unknown_kind_is_printed_with_its_number_and_value_in_hex)
{
	static const uint8_t val[] = { 0x99, 4, 0xde, 0xad }, empty[] = { 253, 2, 1, 1 };

	expect_line(peer_syn, val, SYN_LINE "options [unknown-153 0xdead], length 0");
	expect_line(peer_syn, empty, SYN_LINE "options [unknown-253,nop,nop], length 0");
}
END_TEST

START_TEST(fast_open_and_mptcp_are_printed_as_tcpdump_does)
{
	static const uint8_t tfo[] = { 34, 2, 1, 1 }, cookie[] = { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0 },
			     mptcp[] = { 30, 4, 0x01, 0x81 }, uto[] = { 28, 4, 0, 7 };

	expect_line(peer_syn, tfo, SYN_LINE "options [tfo  cookiereq,nop,nop], length 0");  /* sic */
	expect_line(peer_syn, cookie, SYN_LINE "options [tfo  cookie 0102030405060708,eol], length 0");
	expect_line(peer_syn, mptcp, SYN_LINE "options [mptcp 4 capable v1 csum], length 0");
	expect_line(peer_syn, uto, SYN_LINE "options [uto 0x7 180], length 0");
}
END_TEST

START_TEST(malformed_option_ends_the_line_with_bad_opt_and_no_length)
{
	static const uint8_t past[] = { 1, 1, 8, 10 }, first[] = { 8, 0, 0, 0 },
			     short_ts[] = { 1, 8, 2, 0 }, wrong[] = { 2, 3, 5, 1, 0, 0, 0, 0 };

	expect_line(peer_syn, past, SYN_LINE "options [nop,nop,[bad opt]]");
	expect_line(peer_syn, first, SYN_LINE "options [[bad opt]");      /* sic: no "]" */
	expect_line(peer_syn, short_ts, SYN_LINE "options [nop,TS[bad opt]]");
	/* a known kind of the wrong length: tcpdump reads its usual size and goes on */
	expect_line(peer_syn, wrong, SYN_LINE "options [mss 1281[len 3],eol], length 0");
}
END_TEST

START_TEST(option_length_byte_past_the_packet_is_a_truncation)
{
	static const uint8_t last[] = { 1, 1, 1, 3 };
	struct seg data = peer_syn;

	expect_line(peer_syn, last, SYN_LINE "options [nop,nop,nop, [|tcp]");
	data.data = (const uint8_t *)"x";       /* the length byte is then the data's */
	data.dlen = 1;
	expect_line(data, last, "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [S], seq 4294967280:4294967281, "
		    "win 64240, options [nop,nop,nop,[bad opt]]");
}
END_TEST

START_TEST(drop_line_of_a_malformed_option_shows_the_segment)
{
	static const uint8_t past[] = { 2, 4, 5, 0xb4, 1, 1, 8, 10 };
	uint8_t p[128];
	struct trace_event ev = { .kind = TRACE_DROP, .reason = STAT_DROP_TCP_OPT, .pkt = p,
				  .len = with_options(p, peer_syn, past, sizeof(past)) };
	char line[256];

	trace_format(&ev, line, sizeof(line));
	ck_assert_str_eq(line, "drop (tcp option malformed) IP 10.0.0.1.40000 > 10.0.0.2.1234: "
			       "Flags [S], seq 4294967280, win 64240, options [mss 1460,nop,nop,[bad opt]]");
	h_listen(h);                            /* the stack still drops it, counted */
	peer_sends_raw(h, p, ev.len);
	expect_nothing_sent(h);
	expect_stat(h, STAT_DROP_TCP_OPT, 1);
}
END_TEST

START_TEST(stack_syn_line_shows_mss_sackok_and_timestamps_as_linux)
{
	char line[256], want[256];
	struct seg sg;

	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	sg = peek_sent(h);
	trace_format_packet(h->q[h->qhead].pkt, h->q[h->qhead].len, line, sizeof(line));
	snprintf(want, sizeof(want), "IP 10.0.0.2.%u > 10.0.0.1.40000: Flags [S], seq 4294967040, "
		 "win %u, options [mss %u,sackOK,TS val %u ecr 0], length 0", sg.sport, sg.wnd,
		 sg.mss, sg.ts_val);
	ck_assert_str_eq(line, want);
	ck_assert_uint_ne(sg.mss, 0);
}
END_TEST

START_TEST(stack_syn_line_shows_its_mss_only_without_sack_and_timestamps)
{
	char line[256], want[256];
	struct stack_config cfg = h_config(0);
	struct seg sg;

	h_free(h);
	cfg.no_sack = cfg.no_timestamps = 1;
	h = h_new_config(&cfg);
	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	sg = peek_sent(h);
	trace_format_packet(h->q[h->qhead].pkt, h->q[h->qhead].len, line, sizeof(line));
	snprintf(want, sizeof(want), "IP 10.0.0.2.%u > 10.0.0.1.40000: Flags [S], seq 4294967040, "
		 "win %u, options [mss %u], length 0", sg.sport, sg.wnd, sg.mss);
	ck_assert_str_eq(line, want);
}
END_TEST

START_TEST(flags_are_in_tcpdump_order_and_rst_ack_shows_its_seq)
{
	struct seg sg = { .src = PEER_IP, .dst = STACK_IP, .sport = PEER_PORT, .dport = PORT,
			  .seq = 7, .ack = 9, .flags = TH_SYN | TH_ACK | TH_ECE, .wnd = 100 };

	ck_assert_str_eq(line_with_options(sg, NULL, 0),
			 "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [S.E], seq 7, ack 9, win 100, length 0");
	sg.flags = TH_RST | TH_ACK;
	ck_assert_str_eq(line_with_options(sg, NULL, 0),
			 "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [R.], seq 7, ack 9, win 100, length 0");
	sg.flags = TH_URG | TH_ACK | TH_PSH | TH_CWR;
	ck_assert_str_eq(line_with_options(sg, NULL, 0),
			 "IP 10.0.0.1.40000 > 10.0.0.2.1234: Flags [P.UW], ack 9, win 100, urg 0, length 0");
}
END_TEST

START_TEST(long_option_line_is_cut_to_the_buffer_and_stays_a_string)
{
	char line[256], cut[40];
	uint8_t p[128];
	size_t n = with_options(p, peer_syn, linux_syn, sizeof(linux_syn));

	trace_format_packet(p, n, line, sizeof(line));
	for (size_t cap = 1; cap <= sizeof(cut); cap++) {
		ck_assert_uint_eq(trace_format_packet(p, n, cut, cap), cap - 1);
		ck_assert_int_eq(strncmp(cut, line, cap - 1), 0);
		ck_assert_uint_eq(strlen(cut), cap - 1);
	}
}
END_TEST

START_TEST(log_time_is_local_hh_mm_ss_microseconds)
{
	char ts[16];
	time_t t = 1700000000;
	struct tm tm;
	char want[16];

	localtime_r(&t, &tm);
	snprintf(want, sizeof(want), "%02d:%02d:%02d.000042", tm.tm_hour, tm.tm_min, tm.tm_sec);
	log_time((uint64_t)t * 1000000 + 42, ts);
	ck_assert_str_eq(ts, want);
}
END_TEST

START_TEST(pcap_file_has_raw_ip_header_and_one_record_per_packet)
{
	char path[] = "/tmp/tuntcp-pcap-XXXXXX";
	int fd = mkstemp(path);
	struct log l;
	uint8_t pkt[60] = { 0x45 }, buf[256];
	struct trace_event in = { .kind = TRACE_SEG_IN, .pkt = pkt, .len = 40, .now = 5 };
	struct trace_event st = { .kind = TRACE_STATE, .cause = "x", .rfc = "y" };
	FILE *f;
	size_t n;
	uint32_t w[6];

	ck_assert_int_ge(fd, 0);
	struct log_config lc = { .log_path = "/dev/null", .pcap_path = path, .classic_pcap = 1 };

	ck_assert_int_eq(log_open(&l, &lc), 0);
	l.virtual_time = 1;
	l.base = 7000000;
	log_trace(&l, &in);
	log_trace(&l, &st);                     /* not a packet: not in the pcap */
	log_close(&l);
	f = fdopen(fd, "rb");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	unlink(path);
	ck_assert_uint_eq(n, 24 + 16 + 40);
	memcpy(w, buf, 24);
	ck_assert_uint_eq(w[0], 0xa1b2c3d4);
	ck_assert_uint_eq(w[5], 101);             /* LINKTYPE_RAW */
	memcpy(w, buf + 24, 16);
	ck_assert_uint_eq(w[0], 7);               /* seconds */
	ck_assert_uint_eq(w[1], 5);               /* microseconds */
	ck_assert_uint_eq(w[2], 40);
	ck_assert_uint_eq(buf[40], 0x45);
}
END_TEST

/* --log-format json: one object a line, stable member names (README). */
START_TEST(json_state_event_has_its_members)
{
	struct trace_event ev = {
		.kind = TRACE_STATE, .from = TCP_LISTEN, .to = TCP_SYN_RECEIVED,
		.cause = "rcvd SYN", .rfc = "3.10.7.2",
		.conn = { 0x0a000002, 0x0a000001, 1234, 42606 },
	};
	char buf[512];

	trace_format_json(&ev, "19:10:39.758393", 1764531039758393ull, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"time\":\"19:10:39.758393\",\"epoch_us\":1764531039758393,"
			 "\"kind\":\"state\",\"local\":\"10.0.0.2:1234\",\"remote\":\"10.0.0.1:42606\","
			 "\"from\":\"LISTEN\",\"to\":\"SYN-RECEIVED\",\"cause\":\"rcvd SYN\","
			 "\"rfc\":\"3.10.7.2\"}");
}
END_TEST

START_TEST(json_segment_has_the_tcp_fields_and_a_retransmission)
{
	uint8_t pkt[64];
	struct seg sg = { .src = 0x0a000002, .dst = 0x0a000001, .sport = 1234, .dport = 42606,
			  .seq = 1000, .ack = 2000, .flags = TH_ACK | TH_FIN, .wnd = 65535 };
	struct trace_event ev = { .kind = TRACE_SEG_OUT, .pkt = pkt, .cwnd = 2920,
				  .ssthresh = 0x7fffffff, .rexmt = 2, .rto_ms = 400 };
	char buf[1024];

	ev.len = tcp_build(pkt, &sg, 1);
	trace_format_json(&ev, "00:00:00.000000", 0, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "\"kind\":\"segment\",\"dir\":\"out\",\"line\":\"IP 10.0.0.2.1234 > "
			      "10.0.0.1.42606: Flags [F.], seq 1000, ack 2000, win 65535, length 0\","
			      "\"sport\":1234,\"dport\":42606,\"flags\":\"F.\",\"seq\":1000,\"ack\":2000,"
			      "\"win\":65535,\"len\":0,\"cwnd\":2920,\"ssthresh\":null,"
			      "\"retransmission\":2,\"rto_ms\":400}"), "%s", buf);
}
END_TEST

START_TEST(json_strings_are_escaped)
{
	struct trace_event ev = { .kind = TRACE_TIMER, .cause = "a \"quoted\"\\ cause\n" };
	char buf[512];

	trace_format_json(&ev, "t", 0, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "\"what\":\"a \\\"quoted\\\"\\\\ cause\\u000a\"}"), "%s", buf);
}
END_TEST

/* Read a whole file. */
static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static uint32_t at32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* pcapng: a section header, an interface (LINKTYPE_RAW), then one Enhanced Packet
 * block a packet with its direction; the transition a received packet caused is
 * its comment, added after it was written (the block rewritten in place). */
START_TEST(pcapng_packet_carries_its_transition_as_a_comment)
{
	char path[] = "/tmp/tuntcp-pcapng-XXXXXX";
	int fd = mkstemp(path);
	struct capture c;
	uint8_t pkt[40] = { 0x45 }, f[1024];
	const char *want = "LISTEN -> SYN-RECEIVED (rcvd SYN) [3.10.7.2]";
	size_t n, off;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(capture_open(&c, path, true), 0);
	capture_packet(&c, 5000000, 77, CAPTURE_IN, pkt, sizeof(pkt), NULL);
	capture_comment(&c, 77, want);
	capture_comment(&c, 78, "another time: not this packet's");
	capture_close(&c);
	n = slurp(path, f, sizeof(f));
	unlink(path);
	ck_assert_uint_eq(at32(f), 0x0a0d0d0a);                 /* SHB */
	ck_assert_uint_eq(at32(f + 8), 0x1a2b3c4d);
	ck_assert_uint_eq(at32(f + 28), 1);                      /* IDB */
	ck_assert_uint_eq(f[28 + 8], 101);                       /* LINKTYPE_RAW */
	off = 28 + 20;
	ck_assert_uint_eq(at32(f + off), 6);                     /* EPB */
	ck_assert_uint_eq(at32(f + off + 4), n - off);           /* the last block, rewritten */
	ck_assert_uint_eq(at32(f + off + 16), 5000000);          /* time stamp low, us */
	ck_assert_uint_eq(at32(f + off + 20), 40);
	ck_assert_uint_eq(at32(f + off + 28 + 40 + 4), 1);       /* epb_flags: inbound */
	ck_assert_uint_eq(f[off + 28 + 40 + 8], 1);              /* opt_comment ... */
	ck_assert_int_eq(memcmp(f + off + 28 + 40 + 12, want, strlen(want)), 0);
}
END_TEST

START_TEST(every_state_has_its_rfc_name)
{
	static const char *const names[] = { "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED",
		"ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK",
		"TIME-WAIT" };
	for (int i = 0; i < TCP_NSTATES; i++)
		ck_assert_str_eq(tcp_state_name((enum tcp_state)i), names[i]);
	for (int i = 0; i < STAT_COUNT; i++)
		ck_assert_str_ne(stat_name((enum stat_id)i), "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, state_line_has_connection_states_cause_and_rfc_section);
	tcase_add_test(tc, time_wait_line_says_how_long_it_lasts);
	tcase_add_test(tc, listener_line_shows_any_peer);
	tcase_add_test(tc, packet_line_is_tcpdump_style_with_absolute_numbers);
	tcase_add_test(tc, linux_syn_line_shows_every_option_in_wire_order);
	tcase_add_test(tc, linux_syn_is_parsed_for_mss_and_window_scale_only);
	tcase_add_test(tc, sack_blocks_are_printed_with_absolute_edges);
	tcase_add_test(tc, options_end_at_eol_and_padding_after_it_is_not_printed);
	tcase_add_test(tc, unknown_kind_is_printed_with_its_number_and_value_in_hex);
	tcase_add_test(tc, fast_open_and_mptcp_are_printed_as_tcpdump_does);
	tcase_add_test(tc, malformed_option_ends_the_line_with_bad_opt_and_no_length);
	tcase_add_test(tc, option_length_byte_past_the_packet_is_a_truncation);
	tcase_add_test(tc, drop_line_of_a_malformed_option_shows_the_segment);
	tcase_add_test(tc, stack_syn_line_shows_mss_sackok_and_timestamps_as_linux);
	tcase_add_test(tc, stack_syn_line_shows_its_mss_only_without_sack_and_timestamps);
	tcase_add_test(tc, flags_are_in_tcpdump_order_and_rst_ack_shows_its_seq);
	tcase_add_test(tc, long_option_line_is_cut_to_the_buffer_and_stays_a_string);
	tcase_add_test(tc, log_time_is_local_hh_mm_ss_microseconds);
	tcase_add_test(tc, pcap_file_has_raw_ip_header_and_one_record_per_packet);
	tcase_add_test(tc, every_state_has_its_rfc_name);
	tcase_add_test(tc, json_state_event_has_its_members);
	tcase_add_test(tc, json_segment_has_the_tcp_fields_and_a_retransmission);
	tcase_add_test(tc, json_strings_are_escaped);
	tcase_add_test(tc, pcapng_packet_carries_its_transition_as_a_comment);
	suite_add_tcase(s, tc);
	return run_suite(s) ? 1 : 0;
}

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
	ck_assert_int_eq(log_open(&l, "/dev/null", path, 0), 0);
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
	tcase_add_test(tc, log_time_is_local_hh_mm_ss_microseconds);
	tcase_add_test(tc, pcap_file_has_raw_ip_header_and_one_record_per_packet);
	tcase_add_test(tc, every_state_has_its_rfc_name);
	suite_add_tcase(s, tc);
	return run_suite(s) ? 1 : 0;
}

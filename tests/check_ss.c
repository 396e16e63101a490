/* check_ss.c - what tuntcp-ss prints and where it finds a stack: every TCB listed by
 * tcp_status_slot (listeners, half-open and unaccepted children, orphans, TIME-WAIT),
 * each as `ss -tino` prints a connection (tun/ss.c), ss's timer text, and the control
 * socket's names and directories (tun/control.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "control.h"
#include "harness.h"
#include "ss.h"

static struct harness *h;
static void setup(void) { h = h_new(); }
static void teardown(void) { h_free(h); }

/* The text ss_print gives for the TCB in `slot`, now. */
static const char *ss_text(int slot)
{
	static char buf[1024];
	struct tcp_status st;
	FILE *f;

	CHECK_EQ(h, tcp_status_slot(h->s, slot, &st), 0);
	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	ss_print(f, &st, h->now);
	fclose(f);
	h_say(h, "tuntcp-ss:\n%s", buf);
	return buf;
}

/* The slot of the TCB whose peer port is `rport` (0: the listener). */
static int slot_of(uint16_t rport)
{
	struct tcp_status st;

	for (int i = 0; i < tcp_status_slots(h->s); i++)
		if (tcp_status_slot(h->s, i, &st) == 0 && st.rport == rport)
			return i;
	h_fail(h, "no TCB with peer port %u", rport);
}

static void expect_text(const char *got, const char *want)
{
	if (strcmp(got, want))
		h_fail(h, "tuntcp-ss printed\n%s\nexpected\n%s", got, want);
}

static void expect_has(const char *got, const char *part)
{
	if (!strstr(got, part))
		h_fail(h, "tuntcp-ss printed\n%s\nwithout \"%s\"", got, part);
}

START_TEST(ss_time_is_written_as_ss_writes_timers)
{
	char t[32];

	ck_assert_str_eq(ss_time(180, t), "180ms");
	ck_assert_str_eq(ss_time(40, t), "040ms");
	ck_assert_str_eq(ss_time(1500, t), "1.500sec");
	ck_assert_str_eq(ss_time(1000, t), "1sec");
	ck_assert_str_eq(ss_time(12345, t), "12sec");        /* past 9 s: no milliseconds */
	ck_assert_str_eq(ss_time(61000, t), "1min1sec");
	ck_assert_str_eq(ss_time(600000, t), "10min");
	ck_assert_str_eq(ss_time(0, t), "due");
}
END_TEST

START_TEST(header_names_ss_columns)
{
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	ss_print_header(f);
	fclose(f);
	ck_assert_str_eq(buf, "State        Recv-Q Send-Q   Local Address:Port     Peer Address:Port\n");
}
END_TEST

START_TEST(listen_shows_accept_queue_backlog_and_both_queues)
{
	h_listen(h);
	expect_text(ss_text(h->lh),
		    "LISTEN       0      8             10.0.0.2:1234                *:*\n"
		    "\t synq:0/8 acceptq:0/9 handle:0\n");
}
END_TEST

START_TEST(slots_list_every_tcb_and_empty_slots_say_enoent)
{
	struct tcp_status st;
	int n = 0;

	h_listen(h);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	for (int i = 0; i < tcp_status_slots(h->s); i++) {
		int r = tcp_status_slot(h->s, i, &st);
		if (r != -ENOENT)
			CHECK_EQ(h, r, 0);
		n += r == 0;
	}
	CHECK_EQ(h, n, 2);                                       /* the listener and its child */
	CHECK_EQ(h, tcp_status_slot(h->s, -1, &st), -EINVAL);
	CHECK_EQ(h, tcp_status_slot(h->s, tcp_status_slots(h->s), &st), -EINVAL);
}
END_TEST

START_TEST(syn_received_child_is_half_open_with_its_syn_ack_timer)
{
	h_listen(h);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	expect_has(ss_text(h->lh), "synq:1/8 acceptq:0/9");
	expect_text(ss_text(slot_of(PEER_PORT)),
		    "SYN-RECEIVED 0      0             10.0.0.2:1234         10.0.0.1:40000\n"
		    "\t timer:(on,1sec,0) rto:1000 mss:1460 cwnd:3(4380B) ssthresh:inf snd_wnd:65535 "
		    "rcv_wnd:65535 bytes_acked:0 bytes_received:0 segs_out:1 segs_in:1 half-open\n");
	advance_ms(h, 1000);                                     /* the SYN-ACK again */
	expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	expect_has(ss_text(slot_of(PEER_PORT)), "timer:(on,2sec,1)");
}
END_TEST

START_TEST(established_child_waits_unaccepted_in_the_accept_queue)
{
	h_listen(h);
	peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 1, NULL, 0);
	expect_has(ss_text(h->lh), "LISTEN       1      8 ");
	expect_has(ss_text(h->lh), "synq:0/8 acceptq:1/9");
	expect_has(ss_text(slot_of(PEER_PORT)), " unaccepted\n");
}
END_TEST

START_TEST(established_shows_rtt_cwnd_windows_and_counters)
{
	h_passive_established(h);
	advance_ms(h, 5);
	user_send(h, "pong");
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 4);
	advance_ms(h, 20);
	peer_sends(h, TH_ACK, IRS + 1, ISS + 5, NULL, 0);
	expect_text(ss_text(h->h),
		    "ESTABLISHED  0      0             10.0.0.2:1234         10.0.0.1:40000\n"
		    "\t rtt:2.5/5 rto:200 mss:1460 cwnd:3(4384B) ssthresh:inf snd_wnd:65535 "
		    "rcv_wnd:65535 bytes_acked:4 bytes_received:0 segs_out:2 segs_in:3 handle:1\n");
}
END_TEST

START_TEST(data_in_flight_shows_queue_and_retransmission_timer)
{
	h_passive_established(h);
	user_send(h, "hello");
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 5);
	expect_has(ss_text(h->h), "ESTABLISHED  0      5 ");
	expect_has(ss_text(h->h), "timer:(on,200ms,0)");
	advance_ms(h, 120);
	expect_has(ss_text(h->h), "timer:(on,080ms,0)");
	advance_ms(h, 80);                                       /* the RTO fires: resent */
	expect_sent(h, TH_ACK | TH_PSH, ISS + 1, IRS + 1, 5);
	expect_has(ss_text(h->h), "timer:(on,400ms,1)");
	expect_has(ss_text(h->h), "retrans:1/1");
}
END_TEST

START_TEST(delayed_ack_shows_as_delack_timer)
{
	h_free(h);
	h = h_new_opts(H_DELAYED_ACK);
	h_passive_established(h);
	peer_sends(h, TH_ACK | TH_PSH, IRS + 1, ISS + 1, "ping", 4);
	expect_has(ss_text(h->h), "ESTABLISHED  4      0 ");
	expect_has(ss_text(h->h), "timer:(delack,040ms,0)");
}
END_TEST

START_TEST(time_wait_shows_its_timer_and_no_tcp_info)
{
	h_goto(h, TCP_TIME_WAIT);
	advance_ms(h, 500);
	const char *t = ss_text(h->h);
	expect_has(t, "TIME-WAIT    0      0 ");
	expect_has(t, "\t timer:(timewait,1.500sec,0) bytes_acked:");
	if (strstr(t, "rto:") || strstr(t, "cwnd:"))
		h_fail(h, "TIME-WAIT with tcp info:\n%s", t);
}
END_TEST

START_TEST(closed_by_user_is_an_orphan_and_the_error_is_named)
{
	h_passive_established(h);
	user_close(h);
	expect_sent(h, TH_FIN | TH_ACK, ISS + 1, IRS + 1, 0);
	expect_has(ss_text(h->h), "FIN-WAIT-1");
	expect_has(ss_text(h->h), " orphan\n");
	peer_sends(h, TH_RST, IRS + 1, 0, NULL, 0);
	expect_has(ss_text(h->h), "CLOSED ");
	expect_has(ss_text(h->h), " error:ECONNRESET\n");
}
END_TEST

START_TEST(persist_recovery_and_holes_are_shown)
{
	struct tcp_status st = {
		.state = TCP_ESTABLISHED, .laddr = STACK_IP, .raddr = PEER_IP, .lport = 80,
		.rport = 50000, .snd_queued = 100, .mss = 1000, .cwnd = 5000, .ssthresh = 2000,
		.rto_ms = 400, .persist_at = 3000000, .probes = 2, .in_recovery = 1,
		.ooo_pieces = 3, .segs_out = 9, .retrans = 4, .rexmt_count = 1, .user_held = 1,
		.handle = 7, .soft_error = -EHOSTUNREACH,
	};
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	ss_print(f, &st, 1000000);
	fclose(f);
	ck_assert_str_eq(buf, "ESTABLISHED  0      100           10.0.0.2:80           10.0.0.1:50000\n"
			      "\t timer:(persist,2sec,2) rto:400 mss:1000 cwnd:5(5000B) ssthresh:2(2000B) "
			      "snd_wnd:0 rcv_wnd:0 recovery ooo:3 bytes_acked:0 bytes_received:0 "
			      "segs_out:9 segs_in:0 retrans:1/4 handle:7 soft_error:EHOSTUNREACH\n");
}
END_TEST

START_TEST(socket_is_named_after_device_and_pid)
{
	char p[CTL_PATH_MAX], tun[16], longdir[CTL_PATH_MAX];
	long pid;

	CHECK_EQ(h, ctl_sock_path(p, "/run/tuntcp", "tun0", 4242), 0);
	ck_assert_str_eq(p, "/run/tuntcp/tun0.4242.sock");
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = 0;
	CHECK_EQ(h, ctl_sock_path(p, longdir + 10, "tun0", 1), -ENAMETOOLONG);
	CHECK_EQ(h, ctl_parse_name("tun0.4242.sock", tun, &pid), 0);
	ck_assert_str_eq(tun, "tun0");
	CHECK_EQ(h, pid, 4242);
	CHECK_EQ(h, ctl_parse_name("my.tun.12.sock", tun, &pid), 0);  /* dots in a device name */
	ck_assert_str_eq(tun, "my.tun");
	CHECK_EQ(h, pid, 12);
	const char *bad[] = { "tun0.sock", "tun0.x1.sock", ".12.sock", "tun0.12.socket", "tun0.0.sock",
			      "a-device-name-too-long.1.sock", "tun0.12", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ctl_parse_name(bad[i], tun, &pid) == 0)
			h_fail(h, "\"%s\" taken as a socket name", bad[i]);
}
END_TEST

START_TEST(socket_is_picked_by_device_or_pid_or_as_the_only_one)
{
	const char *one[] = { "README", "tun0.100.sock" };
	const char *two[] = { "tun0.100.sock", "tun1.200.sock", "notes.txt" };

	CHECK_EQ(h, ctl_pick(one, 2, NULL, 0), 1);
	CHECK_EQ(h, ctl_pick(two, 3, NULL, 0), -EEXIST);
	CHECK_EQ(h, ctl_pick(two, 3, "tun1", 0), 1);
	CHECK_EQ(h, ctl_pick(two, 3, NULL, 100), 0);
	CHECK_EQ(h, ctl_pick(two, 3, "tun1", 100), -ENOENT);
	CHECK_EQ(h, ctl_pick(two, 0, NULL, 0), -ENOENT);
}
END_TEST

START_TEST(socket_dirs_are_run_then_xdg_then_the_programs_folder)
{
	char d[CTL_NDIRS][CTL_PATH_MAX];

	CHECK_EQ(h, ctl_dirs(d, "/run/user/1000", "/home/s/tuntcp/build"), 3);
	ck_assert_str_eq(d[0], "/run/tuntcp");
	ck_assert_str_eq(d[1], "/run/user/1000/tuntcp");
	ck_assert_str_eq(d[2], "/home/s/tuntcp/build");
	CHECK_EQ(h, ctl_dirs(d, NULL, "/b"), 2);
	ck_assert_str_eq(d[1], "/b");
	CHECK_EQ(h, ctl_dirs(d, "", ""), 1);
}
END_TEST

/* The stories in the order told, most basic first. */
int main(void)
{
	const TTest *const stories[] = {
		ss_time_is_written_as_ss_writes_timers,
		header_names_ss_columns,
		listen_shows_accept_queue_backlog_and_both_queues,
		slots_list_every_tcb_and_empty_slots_say_enoent,
		syn_received_child_is_half_open_with_its_syn_ack_timer,
		established_child_waits_unaccepted_in_the_accept_queue,
		established_shows_rtt_cwnd_windows_and_counters,
		data_in_flight_shows_queue_and_retransmission_timer,
		delayed_ack_shows_as_delack_timer,
		time_wait_shows_its_timer_and_no_tcp_info,
		closed_by_user_is_an_orphan_and_the_error_is_named,
		persist_recovery_and_holes_are_shown,
		socket_is_named_after_device_and_pid,
		socket_is_picked_by_device_or_pid_or_as_the_only_one,
		socket_dirs_are_run_then_xdg_then_the_programs_folder,
	};
	Suite *s = suite_create("ss");
	TCase *tc = tcase_create("ss");

	tcase_add_checked_fixture(tc, setup, teardown);
	for (size_t i = 0; i < sizeof(stories) / sizeof(stories[0]); i++)
		tcase_add_test(tc, stories[i]);
	suite_add_tcase(s, tc);
	return run_suite(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* check_netpoll.c - the runtime's readiness calls (net.h): net_poll and event sets
 * (net_events) over connections and a listener, and net_send_some, for real over
 * net_start_pair (no root). A is the client (10.0.0.1), B the server (10.0.0.2). Each
 * test has a time limit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                /* open_memstream; the Makefile defines it, `make sanitize` does not */
#endif
#include <check.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "net.h"

#define A_IP      0x0a000001u
#define B_IP      0x0a000002u
#define PORT      5000

static struct net *n[2];
static int lfd;

static void up(void)
{
	struct net_options o[2];

	for (int i = 0; i < 2; i++) {
		net_options_default(&o[i]);
		o[i].ip = i ? B_IP : A_IP;
		o[i].msl_ms = 100;
		o[i].log = "/dev/null";
	}
	ck_assert_int_eq(net_start_pair(&o[0], &o[1], n), 0);
	lfd = net_listen(n[1], PORT, 4);
	ck_assert_int_ge(lfd, 0);
}

static void down(void)
{
	net_stop(n[0]);
	net_stop(n[1]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(poll_waits_for_a_connection_then_data_then_end_of_stream)
{
	struct net_pollfd p[2] = { { .fd = lfd, .events = NET_POLLIN } };
	double t0 = now_s();
	char buf[8];
	int a, b;

	up();
	ck_assert_int_eq(net_poll(n[1], p, 1, 200), 0);          /* nothing: the time runs out */
	ck_assert(now_s() - t0 >= 0.19);
	a = net_connect(n[0], B_IP, PORT);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(net_poll(n[1], p, 1, 5000), 1);
	ck_assert_int_eq(p[0].revents, NET_POLLIN);
	b = net_accept(n[1], lfd);                                /* does not block */
	ck_assert_int_ge(b, 0);
	p[1] = (struct net_pollfd){ .fd = b, .events = NET_POLLIN | NET_POLLOUT };
	p[0].revents = 0;
	ck_assert_int_eq(net_poll(n[1], p, 2, 5000), 1);          /* writable, nothing to read */
	ck_assert_int_eq(p[1].revents, NET_POLLOUT);
	p[1].events = NET_POLLIN;
	ck_assert_int_eq(net_send(n[0], a, "hello", 5), 5);
	ck_assert_int_eq(net_poll(n[1], p + 1, 1, 5000), 1);
	ck_assert_int_eq(net_recv(n[1], b, buf, sizeof(buf)), 5);
	net_shutdown(n[0], a);
	ck_assert_int_eq(net_poll(n[1], p + 1, 1, 5000), 1);      /* end of stream: readable */
	ck_assert_int_eq(net_recv(n[1], b, buf, sizeof(buf)), 0);
	net_close(n[1], b);
	net_close(n[0], a);
	net_close(n[1], lfd);
	down();
}
END_TEST

START_TEST(send_some_queues_what_fits_and_says_eagain_when_nothing_does)
{
	static char big[1 << 20];
	struct net_pollfd p;
	ssize_t r, total = 0;
	int a, b;

	up();
	a = net_connect(n[0], B_IP, PORT);
	b = net_accept(n[1], lfd);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	/* B does not read: fill A's send buffer and B's receive buffer, until A's buffer
	 * stays full (B's window is 0) */
	p = (struct net_pollfd){ .fd = a, .events = NET_POLLOUT };
	do {
		while ((r = net_send_some(n[0], a, big, sizeof(big))) > 0)
			total += r;
		ck_assert_int_eq(r, -EAGAIN);
	} while (net_poll(n[0], &p, 1, 300) == 1);               /* room again: an ACK came */
	ck_assert_int_gt(total, 0);
	ck_assert_int_lt(total, (ssize_t)sizeof(big));
	while (net_poll(n[1], &(struct net_pollfd){ .fd = b, .events = NET_POLLIN }, 1, 1000) == 1 &&
	       (r = net_recv(n[1], b, big, sizeof(big))) > 0 && (total -= r) > 0)
		;
	ck_assert_int_eq(total, 0);                               /* every byte queued arrived */
	ck_assert_int_eq(net_poll(n[0], &p, 1, 5000), 1);
	ck_assert_int_eq(p.revents, NET_POLLOUT);
	net_close(n[0], a);
	net_close(n[1], b);
	net_close(n[1], lfd);
	down();
}
END_TEST

START_TEST(poll_on_a_closed_handle_is_readable_and_the_call_says_why)
{
	struct net_pollfd p = { .fd = 77, .events = NET_POLLIN };
	char c;

	up();
	ck_assert_int_eq(net_poll(n[0], &p, 1, 1000), 1);
	ck_assert_int_eq(p.revents, NET_POLLIN);
	ck_assert_int_eq(net_recv(n[0], 77, &c, 1), -EBADF);
	net_close(n[1], lfd);
	down();
}
END_TEST

/* What --stats says the threads waiting on event sets read from the link themselves. */
static unsigned long long driven_packets(struct net *net)
{
	char *text = NULL, *line;
	size_t size = 0;
	unsigned long long count = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	net_print_stats(net, f);
	fclose(f);
	line = strstr(text, " link packets read by a thread waiting for events");
	if (line) {
		while (line > text && line[-1] != '\n')
			line--;
		count = strtoull(line, NULL, 10);
	}
	free(text);
	return count;
}

START_TEST(events_wait_for_a_connection_then_data_then_end_of_stream)
{
	struct net_events *e;
	struct net_pollfd out[4];
	double t0 = now_s();
	char buf[8];
	int a, b;

	up();
	e = net_events_new(n[1]);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(net_events_ctl(e, lfd, NET_POLLIN), 0);
	ck_assert_int_eq(net_events_wait(e, out, 4, 200), 0);    /* nothing: the time runs out */
	ck_assert(now_s() - t0 >= 0.19);
	a = net_connect(n[0], B_IP, PORT);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(net_events_wait(e, out, 4, 5000), 1);
	ck_assert_int_eq(out[0].fd, lfd);
	ck_assert_int_eq(out[0].revents, NET_POLLIN);
	b = net_accept(n[1], lfd);                                /* does not block */
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(net_events_ctl(e, b, NET_POLLIN | NET_POLLOUT), 0);
	ck_assert_int_eq(net_events_wait(e, out, 4, 5000), 1);   /* writable, nothing to read; */
	ck_assert_int_eq(out[0].fd, b);                           /* the listener has no more */
	ck_assert_int_eq(out[0].revents, NET_POLLOUT);
	ck_assert_int_eq(net_events_ctl(e, b, NET_POLLIN), 0);
	ck_assert_int_eq(net_events_wait(e, out, 4, 100), 0);
	ck_assert_int_eq(net_send(n[0], a, "hello", 5), 5);
	ck_assert_int_eq(net_events_wait(e, out, 4, 5000), 1);
	ck_assert_int_eq(out[0].revents, NET_POLLIN);
	ck_assert_int_eq(net_events_wait(e, out, 4, 0), 1);      /* level-triggered: still there */
	ck_assert_int_eq(net_recv(n[1], b, buf, sizeof(buf)), 5);
	ck_assert_int_eq(net_events_wait(e, out, 4, 0), 0);      /* read: gone */
	net_shutdown(n[0], a);
	ck_assert_int_eq(net_events_wait(e, out, 4, 5000), 1);   /* end of stream: readable */
	ck_assert_int_eq(out[0].fd, b);
	ck_assert_int_eq(net_recv(n[1], b, buf, sizeof(buf)), 0);
	ck_assert_uint_gt(driven_packets(n[1]), 0);               /* read while it waited */
	net_close(n[1], b);
	net_close(n[0], a);
	net_events_free(e);
	net_close(n[1], lfd);
	down();
}
END_TEST

#define MANY 300

/* Among many idle watched connections, a wait reports the one that has data, and a
 * closed handle is forgotten: its number, reused by a new connection, is not watched. */
START_TEST(events_report_the_ready_one_among_many_and_forget_a_closed_handle)
{
	static int a[MANY], b[MANY];
	struct net_events *e;
	struct net_pollfd out[8];
	char c;
	int big, k = MANY / 2, a2, b2;

	up();
	big = net_listen(n[1], PORT + 1, 128);
	ck_assert_int_ge(big, 0);
	e = net_events_new(n[1]);
	ck_assert_ptr_nonnull(e);
	for (int i = 0; i < MANY; i++) {
		a[i] = net_connect(n[0], B_IP, PORT + 1);
		ck_assert_int_ge(a[i], 0);
		b[i] = net_accept(n[1], big);
		ck_assert_int_ge(b[i], 0);
		ck_assert_int_eq(net_events_ctl(e, b[i], NET_POLLIN), 0);
	}
	ck_assert_int_eq(net_events_wait(e, out, 8, 100), 0);    /* all idle */
	ck_assert_int_eq(net_send(n[0], a[k], "x", 1), 1);
	ck_assert_int_eq(net_events_wait(e, out, 8, 5000), 1);
	ck_assert_int_eq(out[0].fd, b[k]);
	ck_assert_int_eq(out[0].revents, NET_POLLIN);
	ck_assert_int_eq(net_recv(n[1], b[k], &c, 1), 1);
	net_close(n[1], b[k]);                                    /* forgotten ... */
	net_close(n[0], a[k]);
	a2 = net_connect(n[0], B_IP, PORT + 1);
	ck_assert_int_ge(a2, 0);
	b2 = net_accept(n[1], big);
	ck_assert_int_ge(b2, 0);
	ck_assert_int_eq(net_send(n[0], a2, "y", 1), 1);
	ck_assert_int_eq(net_events_wait(e, out, 8, 300), 0);    /* ... even if b2 == b[k] */
	ck_assert_int_eq(net_events_ctl(e, b2, NET_POLLIN), 0);
	ck_assert_int_eq(net_events_wait(e, out, 8, 5000), 1);   /* data already there */
	ck_assert_int_eq(out[0].fd, b2);
	ck_assert_int_eq(net_events_ctl(e, 100000, NET_POLLIN), -EBADF);
	net_events_free(e);
	for (int i = 0; i < MANY; i++)
		if (i != k) {
			net_close(n[0], a[i]);
			net_close(n[1], b[i]);
		}
	net_close(n[0], a2);
	net_close(n[1], b2);
	net_close(n[1], big);
	net_close(n[1], lfd);
	down();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netpoll");
	TCase *tc = tcase_create("net_poll, net_events and net_send_some over a socketpair");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, poll_waits_for_a_connection_then_data_then_end_of_stream);
	tcase_add_test(tc, send_some_queues_what_fits_and_says_eagain_when_nothing_does);
	tcase_add_test(tc, poll_on_a_closed_handle_is_readable_and_the_call_says_why);
	tcase_add_test(tc, events_wait_for_a_connection_then_data_then_end_of_stream);
	tcase_add_test(tc, events_report_the_ready_one_among_many_and_forget_a_closed_handle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* check_net.c - the runtime's blocking calls (net.h), for real: two stacks linked by
 * net_start_pair (a socketpair instead of TUN, no root), each with its own network
 * thread and the real clock, and app threads that block in net_send and net_recv.
 * A is the client (10.0.0.1), B the server (10.0.0.2). Covered: a net_send larger
 * than the send buffer, also when the segments it sent are lost or delayed (the
 * lost wakeup: a timer armed inside net_send that the network thread did not see),
 * a zero window, a peer's RST while blocked in net_recv, and net_close while
 * another thread is blocked in net_recv. A hang is a failure: every test has a
 * time limit. On a failure the steps taken and both stacks' logs are printed. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "net.h"
#include "sha256.h"

#define A_IP      0x0a000001u
#define B_IP      0x0a000002u
#define PORT      5000
#define BIG       (1024 * 1024)    /* more than TCP_SNDBUF (256 KiB): net_send must loop */
#define TIME_LIMIT 20              /* s per test: a hang fails, it does not stall the run */

/* A step of the story, on stderr with the stacks' logs (shown when a test fails). */
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "test: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- two stacks and one connection between them ---- */

struct pair {
	struct net *n[2];              /* A, B */
	int lfd;                       /* B's listener */
	int a, b;                      /* the connection, at A and at B */
};

static void pair_options(struct net_options *o, uint32_t ip)
{
	net_options_default(o);
	o->ip = ip;
	o->msl_ms = 100;                /* TIME-WAIT 0.2 s */
	o->impair_seed_set = 1;         /* the rules below are not random: no seed to print */
}

/* A configured by oa (its impairments), B by the defaults; A connects to B. */
static void pair_up_with(struct pair *p, const struct net_options *oa)
{
	struct net_options ob;

	pair_options(&ob, B_IP);
	ck_assert_int_eq(net_start_pair(oa, &ob, p->n), 0);
	p->lfd = net_listen(p->n[1], PORT, 4);
	ck_assert_int_ge(p->lfd, 0);
	say("A connects to B");
	p->a = net_connect(p->n[0], B_IP, PORT);
	ck_assert_int_ge(p->a, 0);
	p->b = net_accept(p->n[1], p->lfd);
	ck_assert_int_ge(p->b, 0);
	say("connected");
}

static void pair_up(struct pair *p)
{
	struct net_options oa;

	pair_options(&oa, A_IP);
	pair_up_with(p, &oa);
}

static void pair_down(struct pair *p)
{
	net_close(p->n[1], p->lfd);
	net_stop(p->n[0]);
	net_stop(p->n[1]);
}

static struct tcp_status status(struct net *n, int fd)
{
	struct tcp_status st;

	ck_assert_int_eq(net_status(n, fd, &st), 0);
	return st;
}

/* ---- app threads ---- */

/* Reads a connection until end of stream or an error, hashing what arrives. */
struct reader {
	struct net *n;
	int fd;
	size_t got;
	ssize_t last;                  /* what the last net_recv returned: 0 or -errno */
	uint8_t digest[SHA256_DIGEST_LEN];
	pthread_t thread;
	atomic_int started, done;
};

static void *reader_run(void *arg)
{
	struct reader *r = arg;
	struct sha256 h;
	uint8_t buf[16384];

	sha256_init(&h);
	r->started = 1;
	while ((r->last = net_recv(r->n, r->fd, buf, sizeof(buf))) > 0) {
		sha256_update(&h, buf, (size_t)r->last);
		r->got += (size_t)r->last;
	}
	sha256_final(&h, r->digest);
	r->done = 1;
	return NULL;
}

static void reader_start(struct reader *r, struct net *n, int fd)
{
	*r = (struct reader){ .n = n, .fd = fd };
	ck_assert_int_eq(pthread_create(&r->thread, NULL, reader_run, r), 0);
	while (!r->started)
		sleep_ms(1);
	sleep_ms(100);                 /* long enough to be blocked in net_recv */
}

/* One net_send of `len` bytes, from a thread of its own. */
struct sender {
	struct net *n;
	int fd;
	const uint8_t *buf;
	size_t len;
	ssize_t r;
	pthread_t thread;
	atomic_int done;
};

static void *sender_run(void *arg)
{
	struct sender *s = arg;

	s->r = net_send(s->n, s->fd, s->buf, s->len);
	s->done = 1;
	return NULL;
}

static uint8_t *pattern(size_t len, uint8_t digest[SHA256_DIGEST_LEN])
{
	uint8_t *buf = malloc(len);
	struct prng p;
	struct sha256 h;

	ck_assert_ptr_nonnull(buf);
	prng_init(&p, 42);
	prng_fill(&p, buf, len);
	sha256_init(&h);
	sha256_update(&h, buf, len);
	sha256_final(&h, digest);
	return buf;
}

/* A sends BIG bytes in one net_send; B reads them all; A's FIN ends the stream.
 * A's status before both close. */
static struct tcp_status transfer_big(struct pair *p)
{
	uint8_t want[SHA256_DIGEST_LEN];
	uint8_t *buf = pattern(BIG, want);
	struct reader r;
	struct tcp_status st;

	reader_start(&r, p->n[1], p->b);
	say("A sends 1 MiB in one net_send");
	ck_assert_int_eq(net_send(p->n[0], p->a, buf, BIG), BIG);
	say("net_send returned; A shuts down its side");
	ck_assert_int_eq(net_shutdown(p->n[0], p->a), 0);
	pthread_join(r.thread, NULL);
	say("B read %zu bytes, then %zd", r.got, r.last);
	ck_assert_int_eq(r.last, 0);
	ck_assert_uint_eq(r.got, BIG);
	ck_assert_mem_eq(r.digest, want, SHA256_DIGEST_LEN);
	free(buf);
	st = status(p->n[0], p->a);
	/* B's close completes before the nets stop: A's last ACK may wait in A's queue */
	ck_assert_int_eq(net_close_wait(p->n[1], p->b), 0);
	ck_assert_int_eq(net_close(p->n[0], p->a), 0);
	return st;
}

/* ---- the tests ---- */

START_TEST(established_send_of_1mib_in_one_call_arrives_whole)
{
	struct pair p;

	pair_up(&p);
	transfer_big(&p);
	pair_down(&p);
}
END_TEST

/* The lost wakeup. The network thread sleeps with no deadline (nothing is in
 * flight); net_send's first tcp_send sends the first window and arms the
 * retransmission timer, then blocks: the send buffer is full. Those segments are
 * lost, so no ACK comes to wake the network thread: only the timer armed inside
 * net_send can, if the network thread learns of it before net_send waits. */
START_TEST(established_send_of_1mib_whose_first_window_is_lost_completes)
{
	struct net_options oa;
	struct pair p;
	char err[128];

	pair_options(&oa, A_IP);
	for (int i = 1; i <= 3; i++) {     /* the initial window: 3 segments (RFC 5681 3.1) */
		char rule[32];
		snprintf(rule, sizeof(rule), "data#%d:drop", i);
		ck_assert_msg(impair_add_rule(&oa.impair_out, rule, err, sizeof(err)) == 0, "%s", err);
	}
	pair_up_with(&p, &oa);
	ck_assert_uint_ge(transfer_big(&p).retrans, 1);
	pair_down(&p);
}
END_TEST

/* The same with every packet A sends delayed 5 ms: the segments net_send sends wait
 * in the impairment queue, and their release times are deadlines too. */
START_TEST(established_send_of_1mib_over_a_delayed_link_completes)
{
	struct net_options oa;
	struct pair p;

	pair_options(&oa, A_IP);
	oa.impair_out.delay_us = 5000;
	pair_up_with(&p, &oa);
	transfer_big(&p);
	pair_down(&p);
}
END_TEST

/* B reads nothing until A is blocked in net_send against B's zero window and has
 * probed it (RFC 9293 3.8.6.1); then B reads everything. */
START_TEST(established_zero_window_send_blocks_then_completes)
{
	uint8_t want[SHA256_DIGEST_LEN];
	struct pair p;
	struct sender s;
	struct reader r;
	struct tcp_status st;

	pair_up(&p);
	s = (struct sender){ .n = p.n[0], .fd = p.a, .buf = pattern(BIG, want), .len = BIG };
	say("A sends 1 MiB in one net_send; B does not read");
	ck_assert_int_eq(pthread_create(&s.thread, NULL, sender_run, &s), 0);
	for (int i = 0; i < 500; i++) {
		st = status(p.n[0], p.a);
		if (st.snd_wnd == 0 && st.snd_space == 0 && st.probes >= 1)
			break;
		sleep_ms(10);
	}
	say("A: window %u, send buffer space %zu, probes %d", st.snd_wnd, st.snd_space, st.probes);
	ck_assert_uint_eq(st.snd_wnd, 0);
	ck_assert_uint_eq(st.snd_space, 0);
	ck_assert_int_ge(st.probes, 1);
	ck_assert_int_eq(s.done, 0);
	say("B starts reading");
	reader_start(&r, p.n[1], p.b);
	pthread_join(s.thread, NULL);
	say("A's net_send returned %zd", s.r);
	ck_assert_int_eq(s.r, BIG);
	ck_assert_int_eq(net_shutdown(p.n[0], p.a), 0);
	pthread_join(r.thread, NULL);
	ck_assert_int_eq(r.last, 0);
	ck_assert_uint_eq(r.got, BIG);
	ck_assert_mem_eq(r.digest, want, SHA256_DIGEST_LEN);
	free((void *)s.buf);
	net_close(p.n[1], p.b);
	net_close(p.n[0], p.a);
	pair_down(&p);
}
END_TEST

/* B closes with data unread: an RST (RFC 2525 2.17). A, blocked in net_recv, gets
 * ECONNRESET; after that, as on Linux, a send fails with EPIPE. */
START_TEST(established_peer_reset_while_blocked_in_recv_returns_econnreset_then_epipe)
{
	struct pair p;
	struct reader r;

	pair_up(&p);
	ck_assert_int_eq(net_send(p.n[0], p.a, "hello", 5), 5);
	for (int i = 0; i < 500 && status(p.n[1], p.b).rcv_queued < 5; i++)
		sleep_ms(10);
	ck_assert_uint_eq(status(p.n[1], p.b).rcv_queued, 5);
	say("A blocks in net_recv");
	reader_start(&r, p.n[0], p.a);
	ck_assert_int_eq(r.done, 0);
	say("B closes with 5 bytes unread: RST");
	ck_assert_int_eq(net_close(p.n[1], p.b), 0);
	pthread_join(r.thread, NULL);
	say("A's net_recv returned %zd", r.last);
	ck_assert_int_eq(r.last, -ECONNRESET);
	ck_assert_int_eq(net_send(p.n[0], p.a, "x", 1), -EPIPE);
	net_close(p.n[0], p.a);
	pair_down(&p);
}
END_TEST

/* One thread of A blocks in net_recv; another closes the connection. The reader
 * wakes (with EBADF: the handle is closed) and B sees the FIN. */
START_TEST(established_close_while_another_thread_reads_wakes_it)
{
	struct pair p;
	struct reader r;
	char c;

	pair_up(&p);
	say("A blocks in net_recv");
	reader_start(&r, p.n[0], p.a);
	ck_assert_int_eq(r.done, 0);
	say("another thread of A closes the connection");
	ck_assert_int_eq(net_close(p.n[0], p.a), 0);
	pthread_join(r.thread, NULL);
	say("A's net_recv returned %zd", r.last);
	ck_assert_int_eq(r.last, -EBADF);
	ck_assert_int_eq(net_recv(p.n[1], p.b, &c, 1), 0);
	net_close(p.n[1], p.b);
	pair_down(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("blocking calls over a socketpair");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, TIME_LIMIT);
	tcase_add_test(tc, established_send_of_1mib_in_one_call_arrives_whole);
	tcase_add_test(tc, established_send_of_1mib_whose_first_window_is_lost_completes);
	tcase_add_test(tc, established_send_of_1mib_over_a_delayed_link_completes);
	tcase_add_test(tc, established_zero_window_send_blocks_then_completes);
	tcase_add_test(tc, established_peer_reset_while_blocked_in_recv_returns_econnreset_then_epipe);
	tcase_add_test(tc, established_close_while_another_thread_reads_wakes_it);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

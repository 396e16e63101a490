/* check_bridge.c - the bridge (tun/bridge.h) that gives unmodified programs one kernel
 * fd per stack connection, without root: two stacks linked by net_start_pair, A with a
 * bridge (its sockets are app fds, read and written with plain read/write), B with the
 * blocking API. Covered: data both ways (more than every buffer on the way), the
 * program's shutdown(SHUT_WR) as FIN, the peer's FIN as end of file, close as the
 * connection's close, SO_LINGER 0 as RST, a refused non-blocking connect (unwritable
 * until it is over; then SO_ERROR's error, end of file, EPIPE), and a listener's app
 * fd readable once per connection waiting. Every test has a time limit. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "bridge.h"
#include "net.h"
#include "stack.h"
#include "tcp.h"

#define A_IP      0x0a000001u
#define B_IP      0x0a000002u
#define PORT      5000
#define BIG       (1024 * 1024)
#define TIME_LIMIT 20

struct two {
	struct net *n[2];
	struct bridge *br;             /* A's */
	int lfd;                       /* B's listener */
};

static void two_up(struct two *t)
{
	struct net_options o[2];

	for (int i = 0; i < 2; i++) {
		net_options_default(&o[i]);
		o[i].ip = i ? B_IP : A_IP;
		o[i].msl_ms = 100;
		o[i].log = "/dev/null";
	}
	ck_assert_int_eq(net_start_pair(&o[0], &o[1], t->n), 0);
	ck_assert_ptr_nonnull(t->br = bridge_new(t->n[0]));
	t->lfd = net_listen(t->n[1], PORT, 4);
	ck_assert_int_ge(t->lfd, 0);
}

/* Wait until every socket of the bridge is handed to the stack, then stop. */
static void two_down(struct two *t)
{
	for (int i = 0; i < 200; i++) {
		net_lock(t->n[0]);
		int live = bridge_live(t->br);
		net_unlock(t->n[0]);
		if (!live)
			break;
		poll(NULL, 0, 10);
	}
	net_stop(t->n[0]);
	net_stop(t->n[1]);
	bridge_free(t->br);
}

/* A's socket connected to B's listener: the app fd, and B's end in *b. */
static int bridged_connect(struct two *t, uint16_t port, bool nonblock, struct bconn **cp, int *r)
{
	struct stack *s = net_lock(t->n[0]);
	int fd = -1;
	struct bconn *c = bridge_socket(t->br, nonblock ? SOCK_NONBLOCK : 0, &fd);
	int h = tcp_connect(s, net_now(), B_IP, port, 0);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_ge(h, 0);
	bridge_connect(t->br, c, h, fd, nonblock);
	while (!nonblock && (*r = bridge_connect_result(t->br, c)) == 1)
		net_wait_locked(t->n[0], -1);
	net_unlock(t->n[0]);
	*cp = c;
	return fd;
}

static ssize_t read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t r = 1;

	while (got < len && (r = read(fd, buf + got, len - got)) > 0)
		got += (size_t)r;
	return r < 0 ? r : (ssize_t)got;
}

struct sender {
	pthread_t thread;
	struct net *n;
	int fd;
	const char *buf;
	size_t len;
	ssize_t r;
};

static void *send_all(void *arg)
{
	struct sender *s = arg;

	s->r = net_send(s->n, s->fd, s->buf, s->len);
	return NULL;
}

START_TEST(bridge_carries_a_connection_both_ways_and_closes_it)
{
	struct two t;
	struct bconn *c;
	int r = 1;
	char *big = malloc(BIG), *got = malloc(BIG), byte;
	struct sender snd;

	two_up(&t);
	int fd = bridged_connect(&t, PORT, false, &c, &r);
	ck_assert_int_eq(r, 0);
	int b = net_accept(t.n[1], t.lfd);
	ck_assert_int_ge(b, 0);

	/* the program writes, B reads */
	for (int i = 0; i < BIG; i++)
		big[i] = (char)(i * 7 + i / 251);
	snd = (struct sender){ .n = t.n[1], .fd = b, .buf = big, .len = BIG };
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	ck_assert_int_eq(net_recv(t.n[1], b, got, 5), 5);
	ck_assert_mem_eq(got, "hello", 5);

	/* B sends 1 MiB (more than B's send buffer, the stack's receive buffer and the
	 * socketpair together); the program reads it all with plain read() */
	pthread_create(&snd.thread, NULL, send_all, &snd);
	ck_assert_int_eq(read_all(fd, got, BIG), BIG);
	pthread_join(snd.thread, NULL);
	ck_assert_int_eq(snd.r, BIG);
	ck_assert_mem_eq(got, big, BIG);

	/* shutdown(SHUT_WR) is B's end of file; B's close is the program's */
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(net_recv(t.n[1], b, &byte, 1), 0);
	ck_assert_int_eq(net_close(t.n[1], b), 0);
	ck_assert_int_eq(read(fd, &byte, 1), 0);
	close(fd);
	two_down(&t);
	free(big);
	free(got);
}
END_TEST

START_TEST(bridge_close_with_linger0_resets)
{
	struct two t;
	struct bconn *c;
	int r = 1;
	char buf[8];

	two_up(&t);
	int fd = bridged_connect(&t, PORT, false, &c, &r);
	ck_assert_int_eq(r, 0);
	int b = net_accept(t.n[1], t.lfd);
	ck_assert_int_eq(write(fd, "data", 4), 4);
	ck_assert_int_eq(net_recv(t.n[1], b, buf, 4), 4);
	net_lock(t.n[0]);
	bridge_linger0(c, true);
	net_unlock(t.n[0]);
	close(fd);
	ck_assert_int_eq(net_recv(t.n[1], b, buf, sizeof(buf)), -ECONNRESET);
	net_close(t.n[1], b);
	two_down(&t);
}
END_TEST

START_TEST(bridge_nonblocking_connect_refused_tells_so_error_then_eof_and_epipe)
{
	struct two t;
	struct bconn *c;
	int r = 1;
	char byte;
	struct pollfd p;

	two_up(&t);
	int fd = bridged_connect(&t, PORT + 1, true, &c, &r);   /* nobody listens there */
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	ck_assert_int_eq(poll(&p, 1, 5000), 1);                 /* writable once it is over */
	net_lock(t.n[0]);
	ck_assert_int_eq(bridge_connect_result(t.br, c), -ECONNREFUSED);
	net_unlock(t.n[0]);
	ck_assert_int_eq(read(fd, &byte, 1), 0);
	ck_assert_int_eq(send(fd, "x", 1, MSG_NOSIGNAL), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(fd);
	two_down(&t);
}
END_TEST

START_TEST(bridge_nonblocking_connect_is_unwritable_until_established)
{
	struct two t;
	struct bconn *c;
	int r = 1;
	struct pollfd p;
	char buf[4];

	two_up(&t);
	int fd = bridged_connect(&t, PORT, true, &c, &r);
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert(p.revents & POLLOUT);
	net_lock(t.n[0]);
	ck_assert_int_eq(bridge_connect_result(t.br, c), 0);
	net_unlock(t.n[0]);
	int b = net_accept(t.n[1], t.lfd);
	ck_assert_int_eq(write(fd, "abc", 3), 3);                /* no filler reached B */
	ck_assert_int_eq(net_recv(t.n[1], b, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "abc", 3);
	net_close(t.n[1], b);
	close(fd);
	two_down(&t);
}
END_TEST

START_TEST(bridge_listener_fd_is_readable_once_per_waiting_connection)
{
	struct two t;
	int fd = -1, h, conns[2];
	struct stack *s;
	struct bconn *l;
	struct pollfd p;
	char tokens[4];

	two_up(&t);
	s = net_lock(t.n[0]);
	l = bridge_socket(t.br, SOCK_NONBLOCK, &fd);
	h = tcp_listen(s, net_now(), 6000, 4);
	ck_assert_int_ge(h, 0);
	bridge_listen(t.br, l, h);
	net_unlock(t.n[0]);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 200), 0);                   /* nothing waits */
	for (int i = 0; i < 2; i++)
		ck_assert_int_ge(conns[i] = net_connect(t.n[1], A_IP, 6000), 0);
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	for (int i = 0; i < 50 && recv(fd, tokens, sizeof(tokens), MSG_PEEK) < 2; i++)
		poll(NULL, 0, 10);
	ck_assert_int_eq(recv(fd, tokens, sizeof(tokens), 0), 2);
	s = net_lock(t.n[0]);
	for (int i = 0; i < 2; i++) {
		bridge_accepted(t.br, l);
		int a = tcp_accept(s, h);
		ck_assert_int_ge(a, 0);
		tcp_abort(s, net_now(), a);
		tcp_release(s, net_now(), a);
	}
	net_unlock(t.n[0]);
	for (int i = 0; i < 2; i++)
		net_close(t.n[1], conns[i]);
	close(fd);
	two_down(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bridge");
	TCase *tc = tcase_create("one kernel fd per connection, over a socketpair link");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, TIME_LIMIT);
	tcase_add_test(tc, bridge_carries_a_connection_both_ways_and_closes_it);
	tcase_add_test(tc, bridge_close_with_linger0_resets);
	tcase_add_test(tc, bridge_nonblocking_connect_refused_tells_so_error_then_eof_and_epipe);
	tcase_add_test(tc, bridge_nonblocking_connect_is_unwritable_until_established);
	tcase_add_test(tc, bridge_listener_fd_is_readable_once_per_waiting_connection);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

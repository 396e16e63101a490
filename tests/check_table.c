/* check_table.c - the connection table (issue 12), two stacks on the in-memory wire in
 * virtual time: it holds 10,000 connections by default and handles stay valid while
 * it grows; a freed slot is reused at once; a SYN that finds the table full is answered
 * (a SYN cookie) and counted, never dropped in silence; the rings' memory is held only
 * while data waits, and the out-of-order list only while pieces wait; the TCB is 512
 * bytes at most, and an idle connection holds no RACK, SACK or (before a reduction)
 * CUBIC state; with thousands of
 * idle connections, stack_next_deadline is still the earliest timer of them all.
 * The rings and the heap are internals (tcp_priv.h): what a test may look at. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"
#include "tcp_priv.h"

#define A_IP  0x0a000001u
#define B_IP  0x0a000002u
#define PORT  9000
#define MANY  10000
#define MS    1000ull
#define SEC   1000000ull

struct world {
	struct sim *sim;
	struct stack *a, *b;           /* A connects, B listens */
	int lh;
	int drop_data_from_a;          /* drop this many of A's next data segments */
};

static bool drop_data(void *ctx, int from, const uint8_t *pkt, size_t len)
{
	struct world *w = ctx;
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;

	if (from != 0 || w->drop_data_from_a <= 0 || len <= ihl + 12 ||
	    len - ihl - (size_t)(pkt[ihl + 12] >> 4) * 4 == 0)
		return false;                        /* only A's segments with data */
	w->drop_data_from_a--;
	return true;
}

/* B's table holds at most b_max (0: the default), and B answers with SYN cookies
 * unless no_cookies; A's table is the default. */
static void world_init_cookies(struct world *w, uint32_t b_max, int no_cookies)
{
	struct stack_config ca = { .addr = A_IP, .msl_ms = 1000 };
	struct stack_config cb = { .addr = B_IP, .msl_ms = 1000, .max_conns = b_max,
				   .no_syncookies = no_cookies };

	memset(w, 0, sizeof(*w));
	w->sim = sim_new(42, 100);                   /* 0.1 ms one way */
	w->a = sim_stack(w->sim, sim_add(w->sim, &ca));
	w->b = sim_stack(w->sim, sim_add(w->sim, &cb));
	sim_set_drop(w->sim, drop_data, w);
	w->lh = tcp_listen(w->b, sim_now(w->sim), PORT, 128);
	ck_assert_int_ge(w->lh, 0);
}

static void world_init(struct world *w, uint32_t b_max)
{
	world_init_cookies(w, b_max, 0);
}

static struct tcp_status status(struct stack *s, int h)
{
	struct tcp_status st;

	ck_assert_int_eq(tcp_status(s, h, &st), 0);
	return st;
}

static void accept_all(struct world *w, int *hb, int *nb)
{
	int h;

	while ((h = tcp_accept(w->b, w->lh)) >= 0)
		hb[(*nb)++] = h;
}

/* n connections from A to B, opened 100 at a time and accepted as they come. */
static int open_many(struct world *w, int n, int *ha, int *hb)
{
	int na = 0, nb = 0;

	while (na < n) {
		for (int k = 0; k < 100 && na < n; k++) {
			ha[na] = tcp_connect(w->a, sim_now(w->sim), B_IP, PORT, 0);
			ck_assert_msg(ha[na] >= 0, "connect %d: %d", na, ha[na]);
			na++;
		}
		sim_run_for(w->sim, 2 * MS);
		accept_all(w, hb, &nb);
	}
	sim_run_for(w->sim, 2 * MS);
	accept_all(w, hb, &nb);
	return nb;
}

/* What the heap says against what every connection says: the earliest of all timers. */
static uint64_t earliest_by_scan(const struct stack *s)
{
	uint64_t t = UINT64_MAX;
	struct tcp_status st;

	for (int i = 0; i < tcp_status_slots(s); i++) {
		if (tcp_status_slot(s, i, &st))
			continue;
		uint64_t at[] = { st.rexmt_at, st.persist_at, st.timewait_at, st.delack_at };
		for (int k = 0; k < 4; k++)
			if (at[k] && at[k] < t)
				t = at[k];
	}
	return t;
}

START_TEST(ten_thousand_connections_by_default_and_handles_stay_valid_as_the_table_grows)
{
	static int ha[MANY], hb[MANY];
	struct world w;
	struct tcp_status st;
	int first_slots;

	world_init(&w, MANY + 1);                    /* B: the listener too */
	first_slots = tcp_status_slots(w.a);
	ck_assert_int_eq(first_slots, STACK_TABLE_MIN);   /* small to begin with */
	ha[0] = tcp_connect(w.a, sim_now(w.sim), B_IP, PORT, 0);
	st = status(w.a, ha[0]);
	ck_assert_int_eq(open_many(&w, MANY - 1, ha + 1, hb), MANY);   /* and the first */
	sim_run_for(w.sim, 2 * MS);
	ck_assert_int_ge(tcp_status_slots(w.a), MANY);
	/* the first handle, given when the table had 64 slots, names the same connection */
	ck_assert_int_eq(status(w.a, ha[0]).lport, st.lport);
	ck_assert_int_eq(status(w.a, ha[0]).state, TCP_ESTABLISHED);
	for (int i = 0; i < MANY; i++) {
		st = status(w.a, ha[i]);
		ck_assert_int_eq(st.state, TCP_ESTABLISHED);
		ck_assert_int_eq(st.handle, ha[i]);
		ck_assert_int_eq(tcp_poll_events(w.a, ha[i]), st.events);
	}
	ck_assert_int_eq(tcp_poll_events(w.b, w.lh), status(w.b, w.lh).events);
	ck_assert_int_eq(tcp_poll_events(w.a, MANY), -EBADF);
	/* every connection still carries data, the last one as the first */
	for (int i = 0; i < MANY; i += MANY - 1)
		ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha[i], "ping", 4), 4);
	sim_run_for(w.sim, 100 * MS);
	for (int i = 0; i < MANY; i += MANY - 1)
		ck_assert_uint_eq(status(w.a, ha[i]).bytes_acked, 4);
	ck_assert_uint_eq(stack_stat(w.a, STAT_RETRANSMIT), 0);
	sim_free(w.sim);
}
END_TEST

START_TEST(a_freed_slot_is_reused_at_once_and_the_table_does_not_grow)
{
	struct world w;
	int ha[50], hb[50], slots;

	world_init(&w, 0);
	ck_assert_int_eq(open_many(&w, 50, ha, hb), 50);
	slots = tcp_status_slots(w.a);
	for (int round = 0; round < 1000; round++) {
		int i = round % 50, h;
		ck_assert_int_eq(tcp_abort(w.a, sim_now(w.sim), ha[i]), 0);   /* CLOSED at once */
		tcp_release(w.a, sim_now(w.sim), ha[i]);
		h = tcp_connect(w.a, sim_now(w.sim), B_IP, PORT, 0);
		ck_assert_int_eq(h, ha[i]);          /* the slot just freed */
		ha[i] = h;
		sim_run_for(w.sim, 2 * MS);
		while ((h = tcp_accept(w.b, w.lh)) >= 0)
			tcp_release(w.b, sim_now(w.sim), h);   /* B: the old one was reset */
	}
	ck_assert_int_eq(tcp_status_slots(w.a), slots);
	sim_free(w.sim);
}
END_TEST

/* B holds 4: its listener and 3 connections. The 4th SYN finds no room: it is answered
 * with a SYN cookie and counted, and once a slot is free, the cookie's connection opens
 * when A's data comes (its ACK returns the cookie). */
START_TEST(a_syn_that_finds_the_table_full_is_answered_with_a_cookie_and_counted)
{
	struct world w;
	int ha[4], hb[4], nb = 0;
	char buf[16];

	world_init(&w, 4);
	ck_assert_int_eq(open_many(&w, 3, ha, hb), 3);
	ck_assert_uint_eq(stack_stat(w.b, STAT_TABLE_FULL), 0);
	ha[3] = tcp_connect(w.a, sim_now(w.sim), B_IP, PORT, 0);
	sim_run_for(w.sim, 2 * MS);
	ck_assert_uint_eq(stack_stat(w.b, STAT_TABLE_FULL), 1);
	ck_assert_uint_eq(stack_stat(w.b, STAT_SYNCOOKIE_SENT), 1);
	ck_assert_int_eq(status(w.a, ha[3]).state, TCP_ESTABLISHED);   /* answered */
	ck_assert_uint_eq(stack_stat(w.b, STAT_DROP_TCP_NOMEM), 1);       /* its ACK: no room yet */
	ck_assert_int_eq(tcp_connect(w.b, sim_now(w.sim), A_IP, 7, 0), -ENOBUFS);   /* nor for B's own */
	/* one of B's connections ends (A closes first: B's side leaves no TIME-WAIT) */
	ck_assert_int_eq(tcp_close(w.a, sim_now(w.sim), ha[0]), 0);
	sim_run_for(w.sim, 2 * MS);
	ck_assert_int_eq(tcp_recv(w.b, sim_now(w.sim), hb[0], buf, sizeof(buf)), 0);
	ck_assert_int_eq(tcp_close(w.b, sim_now(w.sim), hb[0]), 0);
	tcp_release(w.b, sim_now(w.sim), hb[0]);
	sim_run_for(w.sim, 2 * MS);
	/* the cookie's connection: A's data carries the ACK that opens it on B */
	ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha[3], "hello", 5), 5);
	sim_run_for(w.sim, 2 * MS);
	accept_all(&w, hb, &nb);
	ck_assert_int_eq(nb, 1);
	ck_assert_int_eq(tcp_recv(w.b, sim_now(w.sim), hb[0], buf, sizeof(buf)), 5);
	ck_assert_uint_eq(stack_stat(w.b, STAT_SYNCOOKIE_OK), 1);
	sim_free(w.sim);
}
END_TEST

/* The same full table with --no-syncookies: the 4th SYN is refused at once with a RST
 * (the client's connect fails with ECONNREFUSED), counted, never dropped in silence. */
START_TEST(with_cookies_off_a_syn_that_finds_the_table_full_is_refused_by_rst)
{
	struct world w;
	int ha[4], hb[4];

	world_init_cookies(&w, 4, 1);
	ck_assert_int_eq(open_many(&w, 3, ha, hb), 3);
	ha[3] = tcp_connect(w.a, sim_now(w.sim), B_IP, PORT, 0);
	sim_run_for(w.sim, 2 * MS);
	ck_assert_uint_eq(stack_stat(w.b, STAT_TABLE_FULL), 1);
	ck_assert_uint_eq(stack_stat(w.b, STAT_SYNCOOKIE_SENT), 0);
	ck_assert_uint_eq(stack_stat(w.b, STAT_RST_SENT), 1);
	ck_assert_int_eq(tcp_sock_error(w.a, ha[3]), -ECONNREFUSED);
	sim_free(w.sim);
}
END_TEST

START_TEST(buffers_are_held_only_while_data_waits)
{
	struct world w;
	int ha, hb, n = 0;
	struct tcb *ta, *tb;
	static char data[8000], buf[8000];

	world_init(&w, 0);
	ck_assert_int_eq(open_many(&w, 1, &ha, &hb), 1);
	ta = tcb_get(w.a, ha);
	tb = tcb_get(w.b, hb);
	/* idle: no memory, but the whole buffer is offered */
	ck_assert_ptr_null(ta->snd.q.buf);
	ck_assert_ptr_null(ta->rcv.q.buf);
	ck_assert_ptr_null(tb->rcv.q.buf);
	ck_assert_uint_eq(status(w.b, hb).rcv_wnd, TCP_RCVBUF);
	ck_assert_uint_eq(status(w.a, ha).snd_space, TCP_SNDBUF);
	ck_assert(status(w.a, ha).events & TCP_EV_WRITABLE);
	/* data waits for its ACK: the send ring has memory; acknowledged, it goes back */
	ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha, data, 1000), 1000);
	ck_assert_ptr_nonnull(ta->snd.q.buf);
	sim_run_for(w.sim, 100 * MS);                /* B's ACK, delayed or not */
	ck_assert_ptr_null(ta->snd.q.buf);
	ck_assert_int_eq(w.a->snd_pool.n, 1);        /* kept for the next send */
	/* data waits for the user: the receive ring has memory until it is read */
	ck_assert_ptr_nonnull(tb->rcv.q.buf);
	ck_assert_int_eq(tcp_recv(w.b, sim_now(w.sim), hb, buf, 600), 600);
	ck_assert_ptr_nonnull(tb->rcv.q.buf);
	ck_assert_int_eq(tcp_recv(w.b, sim_now(w.sim), hb, buf, sizeof(buf)), 400);
	ck_assert_ptr_null(tb->rcv.q.buf);
	ck_assert_int_eq(w.b->rcv_pool.n, 1);
	/* a hole: the pieces after it are held, with their list, until it is filled */
	ck_assert_ptr_null(tb->rcv.ooo);
	w.drop_data_from_a = 1;
	ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha, data, sizeof(data)), (ssize_t)sizeof(data));
	sim_run_for(w.sim, 150);                     /* arrived (0.1 ms), not yet repaired */
	ck_assert_int_gt(tb->rcv.n_ooo, 0);
	ck_assert_ptr_nonnull(tb->rcv.ooo);
	ck_assert_int_eq(tcp_recv(w.b, sim_now(w.sim), hb, buf, sizeof(buf)), -EAGAIN);
	sim_run_for(w.sim, 1 * SEC);                 /* repaired (fast retransmit or RTO) */
	ck_assert_int_eq(tb->rcv.n_ooo, 0);
	ck_assert_ptr_null(tb->rcv.ooo);
	while (n < (int)sizeof(data)) {
		ssize_t r = tcp_recv(w.b, sim_now(w.sim), hb, buf, sizeof(buf));
		ck_assert_int_gt(r, 0);
		n += (int)r;
	}
	ck_assert_ptr_null(tb->rcv.q.buf);
	ck_assert_ptr_null(ta->snd.q.buf);
	sim_free(w.sim);
}
END_TEST

/* Read everything that arrived at B (n bytes are due). */
static void read_all(struct world *w, int hb, int n)
{
	static char buf[16384];

	while (n > 0) {
		ssize_t r = tcp_recv(w->b, sim_now(w->sim), hb, buf, sizeof(buf));
		ck_assert_int_gt(r, 0);
		n -= (int)r;
	}
}

/* The TCB is 512 bytes at most, and what only some connections need is held only while
 * they need it: after a transfer with a loss, an idle connection holds no RACK log, no
 * SACK scoreboard, no out-of-order list (nor the pieces' SACK order, which lives with
 * it). CUBIC's state comes with its first reduction and stays (it remembers W_max):
 * none in slow start, none for a receiver, none ever with NewReno. */
START_TEST(an_idle_connection_holds_no_extras_after_a_transfer_with_loss)
{
	static char data[60000];
	struct world w;
	int ha, hb;
	struct tcb *ta, *tb;

	ck_assert_uint_le(sizeof(struct tcb), 512);
	for (int cc = STACK_CC_CUBIC; cc <= STACK_CC_NEWRENO; cc++) {
		world_init(&w, 0);
		w.a->cfg.cc = w.b->cfg.cc = cc;
		ck_assert_int_eq(open_many(&w, 1, &ha, &hb), 1);
		ta = tcb_get(w.a, ha);
		tb = tcb_get(w.b, hb);
		/* slow start only: no CUBIC state yet */
		ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha, data, 20000), 20000);
		sim_run_for(w.sim, 100 * MS);
		read_all(&w, hb, 20000);
		ck_assert_ptr_null(ta->cc.cubic);
		ck_assert_ptr_null(ta->rack.log);
		/* a loss: pieces held past the hole, blocks on the board, the log of the flight */
		w.drop_data_from_a = 1;
		ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha, data, sizeof(data)),
				 (ssize_t)sizeof(data));
		sim_run_for(w.sim, 200);                 /* arrived, SACKed, not yet repaired */
		ck_assert_ptr_nonnull(tb->rcv.ooo);
		ck_assert_ptr_nonnull(ta->sack.sb);
		ck_assert_ptr_nonnull(ta->rack.log);
		sim_run_for(w.sim, 2 * SEC);             /* repaired */
		read_all(&w, hb, (int)sizeof(data));
		sim_run_for(w.sim, 1 * SEC);             /* idle */
		ck_assert_uint_ge(stack_stat(w.a, STAT_RETRANSMIT), 1);
		ck_assert_ptr_null(ta->rack.log);
		ck_assert_ptr_null(ta->sack.sb);
		ck_assert_ptr_null(tb->rcv.ooo);
		ck_assert_ptr_null(ta->rcv.ooo);
		ck_assert_ptr_null(tb->rack.log);
		ck_assert_ptr_null(tb->sack.sb);
		ck_assert_ptr_null(tb->cc.cubic);
		if (cc == STACK_CC_CUBIC)
			ck_assert_ptr_nonnull(ta->cc.cubic);
		else
			ck_assert_ptr_null(ta->cc.cubic);
		sim_free(w.sim);
	}
}
END_TEST

/* Thousands of idle connections and a few timers: the earliest is found without a
 * scan (the heap's top), and it is right: the same as a scan of every connection. */
START_TEST(next_deadline_is_the_earliest_timer_among_thousands_of_idle_connections)
{
	static int ha[3000], hb[3000];
	struct world w;
	uint64_t t;

	world_init(&w, 0);
	ck_assert_int_eq(open_many(&w, 3000, ha, hb), 3000);
	sim_run_for(w.sim, 1 * SEC);                 /* delayed ACKs and the like: done */
	ck_assert_uint_eq(stack_next_deadline(w.a), UINT64_MAX);
	ck_assert_uint_eq(stack_next_deadline(w.b), UINT64_MAX);
	/* A's data to connection 2999 is lost: its retransmission timer is the one */
	w.drop_data_from_a = 1000;
	ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha[2999], "x", 1), 1);
	t = stack_next_deadline(w.a);
	ck_assert_uint_eq(t, status(w.a, ha[2999]).rexmt_at);
	ck_assert_uint_eq(t, earliest_by_scan(w.a));
	/* a later one on connection 5 does not change it; then closes add TIME-WAITs */
	sim_run_for(w.sim, 50 * MS);
	ck_assert_int_eq(tcp_send(w.a, sim_now(w.sim), ha[5], "y", 1), 1);
	ck_assert_uint_eq(stack_next_deadline(w.a), t);
	for (int i = 100; i < 200; i++)
		ck_assert_int_eq(tcp_close(w.a, sim_now(w.sim), ha[i]), 0);
	ck_assert_uint_eq(stack_next_deadline(w.a), earliest_by_scan(w.a));
	sim_run_for(w.sim, 10 * MS);
	ck_assert_uint_eq(stack_next_deadline(w.a), earliest_by_scan(w.a));
	ck_assert_uint_eq(stack_next_deadline(w.b), earliest_by_scan(w.b));
	/* the timer fires when due: connection 2999 resends */
	sim_run_until(w.sim, t);
	ck_assert_uint_ge(stack_stat(w.a, STAT_RETRANSMIT), 1);
	ck_assert_uint_eq(stack_next_deadline(w.a), earliest_by_scan(w.a));
	w.drop_data_from_a = 0;
	sim_run_for(w.sim, 10 * SEC);                /* data repaired; FIN-WAIT-2s wait on */
	ck_assert_uint_eq(status(w.a, ha[2999]).bytes_acked, 1);
	ck_assert_uint_eq(stack_next_deadline(w.a), earliest_by_scan(w.a));
	ck_assert_uint_eq(stack_next_deadline(w.b), earliest_by_scan(w.b));
	sim_run_for(w.sim, 100 * SEC);               /* and end (60 s) */
	ck_assert_uint_eq(stack_next_deadline(w.a), UINT64_MAX);
	sim_free(w.sim);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);                  /* 10,000 connections through a checked core */
	tcase_add_test(tc, ten_thousand_connections_by_default_and_handles_stay_valid_as_the_table_grows);
	tcase_add_test(tc, a_freed_slot_is_reused_at_once_and_the_table_does_not_grow);
	tcase_add_test(tc, a_syn_that_finds_the_table_full_is_answered_with_a_cookie_and_counted);
	tcase_add_test(tc, with_cookies_off_a_syn_that_finds_the_table_full_is_refused_by_rst);
	tcase_add_test(tc, buffers_are_held_only_while_data_waits);
	tcase_add_test(tc, an_idle_connection_holds_no_extras_after_a_transfer_with_loss);
	tcase_add_test(tc, next_deadline_is_the_earliest_timer_among_thousands_of_idle_connections);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* check_sim.c - two stacks on the in-memory wire, in virtual time: ping-pong,
 * simultaneous open (RFC 9293 figure 7), simultaneous close (figure 14 of RFC 793,
 * through CLOSING), and a lost FIN that is retransmitted. Each test checks the
 * sequence of states each side went through, as the log shows them. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"
#include "tcp.h"
#include "trace.h"
#include "wire.h"

#define A_IP 0x0a000001u
#define B_IP 0x0a000002u
#define SEC  1000000ull

struct world {
	struct sim *sim;
	struct stack *a, *b;
	char states[2][512];           /* "SYN-SENT ESTABLISHED ..." per stack */
	int fins_dropped, drop_fins;   /* drop the first drop_fins FINs that A sends */
};

static void on_trace(void *ctx, int i, const struct trace_event *ev)
{
	struct world *w = ctx;
	size_t n = strlen(w->states[i]);

	if (ev->kind == TRACE_STATE && ev->conn.raddr)   /* connections, not listeners */
		snprintf(w->states[i] + n, sizeof(w->states[i]) - n, "%s%s", n ? " " : "",
			 tcp_state_name(ev->to));
}

static bool drop_fin(void *ctx, int from, const uint8_t *pkt, size_t len)
{
	struct world *w = ctx;

	if (from != 0 || len < 40 || !(pkt[33] & TH_FIN) || w->fins_dropped >= w->drop_fins)
		return false;
	w->fins_dropped++;
	return true;
}

static void world_init(struct world *w)
{
	struct stack_config ca = { .addr = A_IP, .msl_ms = 1000 }, cb = { .addr = B_IP, .msl_ms = 1000 };
	const char *seed = getenv("TUNTCP_SEED");

	memset(w, 0, sizeof(*w));
	w->sim = sim_new(seed ? (uint32_t)atoi(seed) : 42, 5000);   /* 5 ms one way */
	w->a = sim_stack(w->sim, sim_add(w->sim, &ca));
	w->b = sim_stack(w->sim, sim_add(w->sim, &cb));
	sim_set_trace(w->sim, on_trace, w);
	sim_set_drop(w->sim, drop_fin, w);
	if (getenv("TUNTCP_SIM_LOG"))
		sim_set_log(w->sim, stderr, 1);
}

static enum tcp_state state_of(struct stack *s, int h)
{
	struct tcp_status st;

	return tcp_status(s, h, &st) ? TCP_CLOSED : st.state;
}

static uint64_t now(struct world *w) { return sim_now(w->sim); }

/* A connection from B (client) to A (server, port 1234); returns both handles. */
static void connect_b_to_a(struct world *w, int *ha, int *hb)
{
	int lh = tcp_listen(w->a, now(w), 1234, 4);

	ck_assert_int_ge(lh, 0);
	*hb = tcp_connect(w->b, now(w), A_IP, 1234, 0);
	ck_assert_int_ge(*hb, 0);
	sim_run_for(w->sim, 100000);
	*ha = tcp_accept(w->a, lh);
	ck_assert_int_ge(*ha, 0);
	ck_assert_int_eq(state_of(w->b, *hb), TCP_ESTABLISHED);
	ck_assert_int_eq(state_of(w->a, *ha), TCP_ESTABLISHED);
	tcp_close(w->a, now(w), lh);
	tcp_release(w->a, now(w), lh);
}

START_TEST(two_stacks_ping_pong_client_closes_first_and_waits_in_time_wait)
{
	struct world w;
	char buf[16] = { 0 };
	int ha, hb;

	world_init(&w);
	connect_b_to_a(&w, &ha, &hb);
	ck_assert_int_eq(tcp_send(w.b, now(&w), hb, "ping", 4), 4);
	sim_run_for(w.sim, 100000);
	ck_assert_int_eq(tcp_recv(w.a, now(&w), ha, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "ping");
	ck_assert_int_eq(tcp_send(w.a, now(&w), ha, "pong", 4), 4);
	sim_run_for(w.sim, 100000);
	ck_assert_int_eq(tcp_recv(w.b, now(&w), hb, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "pong");
	tcp_close(w.b, now(&w), hb);                        /* the client closes first */
	sim_run_for(w.sim, 100000);
	ck_assert_int_eq(tcp_recv(w.a, now(&w), ha, buf, sizeof(buf)), 0);   /* EOF */
	tcp_close(w.a, now(&w), ha);
	sim_run_for(w.sim, 100000);
	ck_assert_int_eq(state_of(w.a, ha), TCP_CLOSED);
	ck_assert_int_eq(state_of(w.b, hb), TCP_TIME_WAIT);
	sim_run_for(w.sim, 2 * SEC);                        /* 2*MSL */
	ck_assert_int_eq(state_of(w.b, hb), TCP_CLOSED);
	ck_assert_str_eq(w.states[1], "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT CLOSED");
	ck_assert_str_eq(w.states[0], "SYN-RECEIVED ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED");
	tcp_release(w.a, now(&w), ha);
	tcp_release(w.b, now(&w), hb);
	sim_free(w.sim);
}
END_TEST

/* MUST-10 */
START_TEST(two_stacks_simultaneous_open_both_pass_syn_received)
{
	struct world w;
	int ha, hb;

	world_init(&w);
	ha = tcp_connect(w.a, now(&w), B_IP, 2000, 1000);
	hb = tcp_connect(w.b, now(&w), A_IP, 1000, 2000);
	ck_assert_int_ge(ha, 0);
	ck_assert_int_ge(hb, 0);
	sim_run_for(w.sim, 100000);
	ck_assert_int_eq(state_of(w.a, ha), TCP_ESTABLISHED);
	ck_assert_int_eq(state_of(w.b, hb), TCP_ESTABLISHED);
	ck_assert_str_eq(w.states[0], "SYN-SENT SYN-RECEIVED ESTABLISHED");
	ck_assert_str_eq(w.states[1], "SYN-SENT SYN-RECEIVED ESTABLISHED");
	ck_assert_int_eq(tcp_send(w.a, now(&w), ha, "hi", 2), 2);
	sim_run_for(w.sim, 100000);
	char buf[8] = { 0 };
	ck_assert_int_eq(tcp_recv(w.b, now(&w), hb, buf, sizeof(buf)), 2);
	sim_free(w.sim);
}
END_TEST

START_TEST(two_stacks_simultaneous_close_both_pass_closing_and_time_wait)
{
	struct world w;
	int ha, hb;

	world_init(&w);
	connect_b_to_a(&w, &ha, &hb);
	tcp_close(w.a, now(&w), ha);                        /* both close before either FIN lands */
	tcp_close(w.b, now(&w), hb);
	sim_run_for(w.sim, 100000);
	ck_assert_int_eq(state_of(w.a, ha), TCP_TIME_WAIT);
	ck_assert_int_eq(state_of(w.b, hb), TCP_TIME_WAIT);
	sim_run_for(w.sim, 2 * SEC);
	ck_assert_int_eq(state_of(w.a, ha), TCP_CLOSED);
	ck_assert_int_eq(state_of(w.b, hb), TCP_CLOSED);
	ck_assert_str_eq(w.states[0], "SYN-RECEIVED ESTABLISHED FIN-WAIT-1 CLOSING TIME-WAIT CLOSED");
	ck_assert_str_eq(w.states[1], "SYN-SENT ESTABLISHED FIN-WAIT-1 CLOSING TIME-WAIT CLOSED");
	sim_free(w.sim);
}
END_TEST

START_TEST(two_stacks_lost_fin_is_retransmitted_after_rto)
{
	struct world w;
	int ha, hb;
	char buf[8];

	world_init(&w);
	connect_b_to_a(&w, &ha, &hb);
	w.drop_fins = 1;                                    /* A's first FIN vanishes */
	tcp_close(w.a, now(&w), ha);
	sim_run_for(w.sim, 150000);
	ck_assert_int_eq(w.fins_dropped, 1);
	ck_assert_int_eq(state_of(w.a, ha), TCP_FIN_WAIT_1);
	ck_assert_int_eq(tcp_recv(w.b, now(&w), hb, buf, sizeof(buf)), -EAGAIN);
	sim_run_for(w.sim, 100000);      /* RTT 10 ms: RTO = 10 + 4 * 5 = 30, floor 200 ms */
	ck_assert_int_eq(tcp_recv(w.b, now(&w), hb, buf, sizeof(buf)), 0);
	ck_assert_int_eq(state_of(w.a, ha), TCP_FIN_WAIT_2);
	ck_assert_uint_eq(stack_stat(w.a, STAT_RETRANSMIT), 1);
	tcp_close(w.b, now(&w), hb);
	sim_run_for(w.sim, 3 * SEC);
	ck_assert_int_eq(state_of(w.a, ha), TCP_CLOSED);
	ck_assert_int_eq(state_of(w.b, hb), TCP_CLOSED);
	ck_assert_str_eq(w.states[0], "SYN-RECEIVED ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT CLOSED");
	sim_free(w.sim);
}
END_TEST

START_TEST(two_stacks_connect_to_closed_port_is_refused)
{
	struct world w;
	int hb;

	world_init(&w);
	hb = tcp_connect(w.b, now(&w), A_IP, 4321, 0);
	sim_run_for(w.sim, 100000);
	ck_assert_int_eq(state_of(w.b, hb), TCP_CLOSED);
	char buf[4];
	ck_assert_int_eq(tcp_recv(w.b, now(&w), hb, buf, sizeof(buf)), -ECONNREFUSED);
	sim_free(w.sim);
}
END_TEST

START_TEST(two_stacks_one_megabyte_arrives_intact)
{
	struct world w;
	static uint8_t out[1 << 20], in[1 << 20];
	size_t sent = 0, got = 0;
	int ha, hb;

	world_init(&w);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + (i >> 9));
	connect_b_to_a(&w, &ha, &hb);
	while (got < sizeof(in)) {
		ssize_t r;
		if (sent < sizeof(out) && (r = tcp_send(w.b, now(&w), hb, out + sent, sizeof(out) - sent)) > 0)
			sent += (size_t)r;
		sim_run_for(w.sim, 1000);
		while ((r = tcp_recv(w.a, now(&w), ha, in + got, sizeof(in) - got)) > 0)
			got += (size_t)r;
		ck_assert_uint_lt(sim_now(w.sim), 600 * SEC);
	}
	ck_assert(memcmp(in, out, sizeof(in)) == 0);
	sim_free(w.sim);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("two stacks");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, two_stacks_ping_pong_client_closes_first_and_waits_in_time_wait);
	tcase_add_test(tc, two_stacks_simultaneous_open_both_pass_syn_received);
	tcase_add_test(tc, two_stacks_simultaneous_close_both_pass_closing_and_time_wait);
	tcase_add_test(tc, two_stacks_lost_fin_is_retransmitted_after_rto);
	tcase_add_test(tc, two_stacks_connect_to_closed_port_is_refused);
	tcase_add_test(tc, two_stacks_one_megabyte_arrives_intact);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

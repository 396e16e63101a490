/* check_transfer.c - bulk data between two stacks on the in-memory wire, in
 * virtual time, over a bad link: every byte must arrive, once, in order, in both
 * directions at once. The stream's byte i is a function of i, so the receiver
 * checks each byte where it lands, and the whole transfer must end with both
 * sides closed cleanly. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impair.h"
#include "sim.h"
#include "tcp.h"

#define A_IP 0x0a000001u
#define B_IP 0x0a000002u
#define SEC  1000000ull
#define MB   (1024 * 1024)

/* Byte i of the stream from stack `from` */
static uint8_t stream_byte(int from, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(from + 1) * 0xbf58476d1ce4e5b9ull;

	x ^= x >> 31;
	x *= 0x94d049bb133111ebull;
	return (uint8_t)(x >> 56);
}

struct end {
	struct stack *s;
	int h, from;
	uint64_t sent, rcvd, bad;      /* bytes queued, bytes read, bytes that were wrong */
	bool eof, closed;
};

static void pump_send(struct sim *sim, struct end *e, uint64_t total)
{
	static uint8_t buf[16384];

	while (e->sent < total) {
		size_t n = total - e->sent < sizeof(buf) ? (size_t)(total - e->sent) : sizeof(buf);
		ssize_t r;
		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(e->from, e->sent + i);
		r = tcp_send(e->s, sim_now(sim), e->h, buf, n);
		if (r <= 0)
			return;
		e->sent += (uint64_t)r;
	}
	if (!e->closed) {
		ck_assert_int_eq(tcp_shutdown(e->s, sim_now(sim), e->h), 0);
		e->closed = true;
	}
}

static void pump_recv(struct sim *sim, struct end *e, int peer)
{
	static uint8_t buf[65536];
	ssize_t r;

	while ((r = tcp_recv(e->s, sim_now(sim), e->h, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			e->bad += buf[i] != stream_byte(peer, e->rcvd + (uint64_t)i);
		e->rcvd += (uint64_t)r;
	}
	if (r == 0)
		e->eof = true;
	else
		ck_assert_int_eq(r, -EAGAIN);
}

static enum tcp_state state_of(struct end *e)
{
	struct tcp_status st;

	return tcp_status(e->s, e->h, &st) ? TCP_CLOSED : st.state;
}

/* What the link did to both directions together */
static struct impair_stats link_stats(const struct sim *sim)
{
	struct impair_stats t = { 0 };

	for (int i = 0; i < 2; i++) {
		const struct impair_stats *st = sim_impair_stats(sim, i);
		t.offered += st ? st->offered : 0;
		t.dropped += st ? st->dropped : 0;
	}
	return t;
}

/* A connects to B; both send `total` bytes and half-close; both read to EOF. */
static void transfer(const struct impair_conf *ca, const struct impair_conf *cb,
		     uint64_t total, uint64_t limit_us)
{
	struct stack_config cfa = { .addr = A_IP, .msl_ms = 1000 }, cfb = { .addr = B_IP, .msl_ms = 1000 };
	const char *seed = getenv("TUNTCP_SEED");
	struct sim *sim = sim_new(seed ? (uint32_t)atoi(seed) : 7, 5000);   /* 5 ms one way */
	struct end a = { .from = 0 }, b = { .from = 1 };
	int lh;

	a.s = sim_stack(sim, sim_add(sim, &cfa));
	b.s = sim_stack(sim, sim_add(sim, &cfb));
	if (getenv("TUNTCP_SIM_LOG"))
		sim_set_log(sim, stderr, 1);
	sim_set_impair(sim, 0, ca);
	sim_set_impair(sim, 1, cb);
	lh = tcp_listen(b.s, sim_now(sim), 9000, 4);
	a.h = tcp_connect(a.s, sim_now(sim), B_IP, 9000, 0);
	while ((b.h = tcp_accept(b.s, lh)) == -EAGAIN && sim_now(sim) < limit_us)
		sim_run_for(sim, 1000);
	ck_assert_int_ge(b.h, 0);
	while (!(a.eof && b.eof && a.rcvd == total && b.rcvd == total) && sim_now(sim) < limit_us) {
		pump_send(sim, &a, total);
		pump_send(sim, &b, total);
		sim_run_for(sim, 1000);
		pump_recv(sim, &a, 1);
		pump_recv(sim, &b, 0);
	}
	fprintf(stderr, "transfer: %llu bytes each way in %.1f s of virtual time; "
		"A sent %llu retransmissions (%llu fast, %llu timeouts), B %llu (%llu fast, "
		"%llu timeouts); the link lost %llu of %llu packets\n",
		(unsigned long long)total, (double)sim_now(sim) / SEC - 1,
		(unsigned long long)stack_stat(a.s, STAT_RETRANSMIT),
		(unsigned long long)stack_stat(a.s, STAT_FAST_RETRANSMIT),
		(unsigned long long)stack_stat(a.s, STAT_RTO_TIMEOUT),
		(unsigned long long)stack_stat(b.s, STAT_RETRANSMIT),
		(unsigned long long)stack_stat(b.s, STAT_FAST_RETRANSMIT),
		(unsigned long long)stack_stat(b.s, STAT_RTO_TIMEOUT),
		(unsigned long long)link_stats(sim).dropped, (unsigned long long)link_stats(sim).offered);
	ck_assert_uint_eq(a.rcvd, total);
	ck_assert_uint_eq(b.rcvd, total);
	ck_assert_uint_eq(a.bad, 0);
	ck_assert_uint_eq(b.bad, 0);
	ck_assert(a.eof && b.eof);
	tcp_close(a.s, sim_now(sim), a.h);
	tcp_close(b.s, sim_now(sim), b.h);
	sim_run_for(sim, 30 * SEC);                         /* closing, then 2*MSL */
	ck_assert_int_eq(state_of(&a), TCP_CLOSED);
	ck_assert_int_eq(state_of(&b), TCP_CLOSED);
	sim_free(sim);
}

static struct impair_conf lossy(uint32_t loss_pct, uint32_t reorder_pct, uint32_t dup_pct)
{
	struct impair_conf c;

	memset(&c, 0, sizeof(c));
	c.loss = loss_pct * 10000;                          /* parts per million */
	c.reorder = reorder_pct * 10000;
	c.dup = dup_pct * 10000;
	c.seed = 1234;
	return c;
}

/* MUST-1, REC-1 */
START_TEST(transfer_1mb_each_way_clean_link)
{
	struct impair_conf none = lossy(0, 0, 0);

	transfer(&none, &none, 1 * MB, 600 * SEC);
}
END_TEST

START_TEST(transfer_10mb_each_way_10pct_loss_reorder_dup)
{
	struct impair_conf c = lossy(10, 5, 5);

	transfer(&c, &c, 10 * MB, 3600 * SEC);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("transfer");
	TCase *tc = tcase_create("transfer");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, transfer_1mb_each_way_clean_link);
	tcase_add_test(tc, transfer_10mb_each_way_10pct_loss_reorder_dup);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* check_impair.c - the link's impairment layer (tun/impair.h) in virtual time:
 * option and rule parsing, random loss/delay/jitter/dup/corruption/reordering
 * (rates, bounds, reproducibility with a seed), targeted rules (fin#1, data#3,
 * last-ack), the queue cap; then two stacks on the simulated wire under
 * sim_set_impair: corruption caught by checksums, a dropped FIN and last ACK. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impair.h"
#include "sim.h"
#include "tcp.h"
#include "trace.h"
#include "wire.h"

#define STACK_A 0x0a000002u      /* "out" packets come from here ... */
#define PEER_A  0x0a000001u      /* ... "in" packets from here */
#define SEC     1000000ull
#define MS      1000ull
#define T0      (1 * SEC)

static uint32_t test_seed(void)
{
	const char *s = getenv("TUNTCP_SEED");

	return s ? (uint32_t)strtoul(s, NULL, 0) : 12345u;
}

/* A TCP segment from the stack (from_stack) or from its peer; the payload
 * bytes are a pattern that depends on seq, so copies can be told apart. */
static size_t build(uint8_t *buf, bool from_stack, uint8_t flags, uint32_t seq, uint32_t dlen)
{
	uint8_t data[1460];
	struct seg sg = {
		.src = from_stack ? STACK_A : PEER_A, .dst = from_stack ? PEER_A : STACK_A,
		.sport = from_stack ? 1234 : 40000, .dport = from_stack ? 40000 : 1234,
		.seq = seq, .ack = 1, .flags = flags, .wnd = 65535, .data = data, .dlen = dlen,
	};

	for (uint32_t i = 0; i < dlen && i < sizeof(data); i++)
		data[i] = (uint8_t)(seq + i * 13);
	return tcp_build(buf, &sg, 1);
}

static uint32_t seq_of(const uint8_t *pkt) { return get32(pkt + IP_HDR_LEN + 4); }

/* What the note callback heard. */
struct notes {
	int count[2];                  /* per level: 0 rules, 1 random */
	char last[160];
	char all[8192];
};

static void on_note(void *ctx, uint64_t now, int level, const char *what,
		    const uint8_t *pkt, size_t len)
{
	struct notes *nt = ctx;
	size_t n = strlen(nt->all);

	(void)now, (void)pkt, (void)len;
	nt->count[level ? 1 : 0]++;
	snprintf(nt->last, sizeof(nt->last), "%s", what);
	if (n < sizeof(nt->all) - 1)
		snprintf(nt->all + n, sizeof(nt->all) - n, "%s\n", what);
}

struct released { uint64_t at; size_t len; uint8_t pkt[1600]; };

/* Pop everything due up to `until`, each at its own release time. */
static int drain(struct impair *im, uint64_t until, struct released *r, int max)
{
	int n = 0;
	uint64_t t;
	uint8_t scratch[1600];

	while ((t = impair_next(im)) <= until && t != UINT64_MAX) {
		struct released *x = n < max ? &r[n] : NULL;
		size_t len = impair_pop(im, t, x ? x->pkt : scratch, sizeof(scratch));
		ck_assert_uint_gt(len, 0);
		if (x) {
			x->at = t;
			x->len = len;
		}
		n++;
	}
	return n;
}

static struct impair *make(const struct impair_conf *c, const char *dir, struct notes *nt)
{
	struct impair *im = impair_new(c, dir, NULL);

	ck_assert_ptr_nonnull(im);
	if (nt) {
		memset(nt, 0, sizeof(*nt));
		impair_set_note(im, on_note, nt);
	}
	return im;
}

/* ---- parsing ---- */

START_TEST(percent_accepts_decimals_and_an_optional_percent_sign)
{
	uint32_t v;

	ck_assert_int_eq(impair_parse_percent("5%", &v), 0);
	ck_assert_uint_eq(v, 50000);
	ck_assert_int_eq(impair_parse_percent("0.5%", &v), 0);
	ck_assert_uint_eq(v, 5000);
	ck_assert_int_eq(impair_parse_percent("0.5", &v), 0);
	ck_assert_uint_eq(v, 5000);
	ck_assert_int_eq(impair_parse_percent("100", &v), 0);
	ck_assert_uint_eq(v, 1000000);
	ck_assert_int_eq(impair_parse_percent("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(impair_parse_percent(".25%", &v), 0);
	ck_assert_uint_eq(v, 2500);
	const char *bad[] = { "101%", "100.1", "-1%", "-0", "abc", "", "%", "5%%", "5 %", "nan",
			      "inf", "5x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(impair_parse_percent(bad[i], &v) == -1, "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(duration_accepts_ms_s_us_and_a_bare_number_of_ms)
{
	uint32_t v;

	ck_assert_int_eq(impair_parse_duration("500ms", &v), 0);
	ck_assert_uint_eq(v, 500000);
	ck_assert_int_eq(impair_parse_duration("2s", &v), 0);
	ck_assert_uint_eq(v, 2000000);
	ck_assert_int_eq(impair_parse_duration("1500us", &v), 0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(impair_parse_duration("20", &v), 0);
	ck_assert_uint_eq(v, 20000);
	ck_assert_int_eq(impair_parse_duration("1.5s", &v), 0);
	ck_assert_uint_eq(v, 1500000);
	ck_assert_int_eq(impair_parse_duration("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	const char *bad[] = { "5m", "-1ms", "61s", "ms", "", "1 ms", "2sec", "nan" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(impair_parse_duration(bad[i], &v) == -1, "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(option_without_prefix_sets_both_directions_in_and_out_only_one)
{
	struct impair_conf in = { 0 }, out = { 0 };
	char err[256];

	ck_assert_int_eq(impair_option(&in, &out, "loss", "5%", err, sizeof(err)), 0);
	ck_assert_uint_eq(in.loss, 50000);
	ck_assert_uint_eq(out.loss, 50000);
	ck_assert_int_eq(impair_option(&in, &out, "reorder", "in:2%", err, sizeof(err)), 0);
	ck_assert_uint_eq(in.reorder, 20000);
	ck_assert_uint_eq(out.reorder, 0);
	ck_assert_int_eq(impair_option(&in, &out, "dup", "out:0.5", err, sizeof(err)), 0);
	ck_assert_uint_eq(in.dup, 0);
	ck_assert_uint_eq(out.dup, 5000);
	ck_assert_int_eq(impair_option(&in, &out, "corrupt", "1%", err, sizeof(err)), 0);
	ck_assert_uint_eq(in.corrupt, 10000);
	ck_assert_int_eq(impair_option(&in, &out, "delay", "out:50ms", err, sizeof(err)), 0);
	ck_assert_uint_eq(out.delay_us, 50000);
	ck_assert_uint_eq(in.delay_us, 0);
	ck_assert_int_eq(impair_option(&in, &out, "jitter", "2", err, sizeof(err)), 0);
	ck_assert_uint_eq(in.jitter_us, 2000);
	ck_assert_uint_eq(out.jitter_us, 2000);
	ck_assert_int_eq(impair_option(&in, &out, "impair-seed", "4294967295", err, sizeof(err)), 0);
	ck_assert_uint_eq(in.seed, 4294967295u);
	ck_assert_uint_eq(out.seed, 4294967295u);
	ck_assert_int_eq(impair_option(&in, &out, "rule", "out:fin#1:drop", err, sizeof(err)), 0);
	ck_assert_int_eq(out.nrules, 1);
	ck_assert_int_eq(in.nrules, 0);
	ck_assert_int_eq(impair_option(&in, &out, "rule", "in:syn:delay=1s", err, sizeof(err)), 0);
	ck_assert_int_eq(in.nrules, 1);
	ck_assert_uint_eq(in.rules[0].delay_us, 1000000);
}
END_TEST

START_TEST(option_bad_values_give_one_line_naming_the_option)
{
	struct impair_conf in = { 0 }, out = { 0 };
	char err[256];
	static const char *const cases[][3] = {
		{ "loss", "150%", "--loss" }, { "loss", "-5%", "--loss" }, { "loss", "up:5%", "--loss" },
		{ "reorder", "in:", "--reorder" }, { "dup", "x", "--dup" },
		{ "corrupt", "out:101", "--corrupt" }, { "delay", "5m", "--delay" },
		{ "jitter", "in:-1", "--jitter" }, { "impair-seed", "-1", "--impair-seed" },
		{ "impair-seed", "4294967296", "--impair-seed" }, { "rule", "fin#1:drop", "--rule" },
		{ "rule", "up:fin:drop", "--rule" }, { "rule", "out:fin:explode", "--rule" },
		{ "bogus", "1", "--bogus" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		ck_assert_msg(impair_option(&in, &out, cases[i][0], cases[i][1], err, sizeof(err)) == -1,
			      "--%s %s accepted", cases[i][0], cases[i][1]);
		ck_assert_msg(strstr(err, cases[i][2]) && !strchr(err, '\n'), "message: %s", err);
		ck_assert_msg(!strcmp(cases[i][0], "bogus") || strstr(err, cases[i][1]) != NULL,
			      "value not in message: %s", err);
	}
	ck_assert(!impair_active(&in) && !impair_active(&out));
}
END_TEST

START_TEST(rule_parses_match_nth_and_each_action)
{
	struct impair_conf c = { 0 };
	char err[256], text[64];
	static const char *const good[] = {
		"fin#1:drop", "data#3:drop", "last-ack:delay=500ms", "syn-ack:dup", "any:corrupt",
		"rst#2:delay=2s", "syn:delay=1500us", "ack#10:drop",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(impair_add_rule(&c, good[i], err, sizeof(err)) == 0, "%s: %s", good[i], err);
		impair_rule_format(&c.rules[i], text, sizeof(text));
		ck_assert_str_eq(text, good[i]);              /* notes show it as written */
	}
	ck_assert_int_eq(c.rules[0].match, IMPAIR_M_FIN);
	ck_assert_uint_eq(c.rules[0].nth, 1);
	ck_assert_int_eq(c.rules[0].action, IMPAIR_DROP);
	ck_assert_int_eq(c.rules[1].match, IMPAIR_M_DATA);
	ck_assert_uint_eq(c.rules[1].nth, 3);
	ck_assert_int_eq(c.rules[2].match, IMPAIR_M_LAST_ACK);
	ck_assert_uint_eq(c.rules[2].nth, 0);
	ck_assert_int_eq(c.rules[2].action, IMPAIR_DELAY);
	ck_assert_uint_eq(c.rules[2].delay_us, 500000);
	ck_assert_int_eq(c.rules[3].match, IMPAIR_M_SYN_ACK);
	ck_assert_int_eq(c.rules[3].action, IMPAIR_DUP);
	ck_assert_int_eq(c.rules[4].match, IMPAIR_M_ANY);
	ck_assert_int_eq(c.rules[4].action, IMPAIR_CORRUPT);
	impair_add_rule(&c, "fin:delay=250", err, sizeof(err));   /* bare number: ms */
	ck_assert_uint_eq(c.rules[8].delay_us, 250000);
	ck_assert(impair_active(&c));
}
END_TEST

START_TEST(rule_rejects_bad_text_and_a_seventeenth_rule)
{
	struct impair_conf c = { 0 };
	char err[256];
	static const char *const bad[] = {
		"fin", "fin#0:drop", "fin#x:drop", "fin#:drop", "foo:drop", "fin:explode", "fin:delay=",
		"fin:delay=5m", "fin#1", ":drop", "FIN:drop", "fin#-1:drop", "fin:delay=61s",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(impair_add_rule(&c, bad[i], err, sizeof(err)) == -1, "accepted %s", bad[i]);
	ck_assert_int_eq(c.nrules, 0);
	for (int i = 0; i < IMPAIR_MAX_RULES; i++)
		ck_assert_int_eq(impair_add_rule(&c, "any:dup", err, sizeof(err)), 0);
	ck_assert_int_eq(impair_add_rule(&c, "any:dup", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "16"));
}
END_TEST

START_TEST(active_only_when_something_is_configured)
{
	struct impair_conf c = { .seed = 7 };

	ck_assert(!impair_active(&c));
	c.jitter_us = 1;
	ck_assert(impair_active(&c));
	c = (struct impair_conf){ .corrupt = 1 };
	ck_assert(impair_active(&c));
	c = (struct impair_conf){ .nrules = 1 };
	ck_assert(impair_active(&c));
}
END_TEST

/* ---- random impairments ---- */

START_TEST(perfect_link_passes_every_packet_at_once_in_order)
{
	struct impair_conf c = { 0 };
	struct notes nt;
	struct impair *im = make(&c, "out", &nt);
	uint8_t p[1600], got[1600];

	for (uint32_t i = 0; i < 5; i++) {
		size_t len = build(p, true, TH_ACK | TH_PSH, 100 + i, 10);
		impair_offer(im, T0, p, len);
	}
	ck_assert_uint_eq(impair_next(im), T0);
	for (uint32_t i = 0; i < 5; i++) {
		ck_assert_uint_eq(impair_pop(im, T0, got, sizeof(got)), 50);
		ck_assert_uint_eq(seq_of(got), 100 + i);
	}
	ck_assert_uint_eq(impair_pop(im, T0, got, sizeof(got)), 0);
	ck_assert_uint_eq(impair_next(im), UINT64_MAX);
	ck_assert_int_eq(nt.count[0] + nt.count[1], 0);
	impair_free(im);
}
END_TEST

START_TEST(loss_five_percent_of_100000_packets_within_tolerance)
{
	struct impair_conf c = { .loss = 50000, .seed = test_seed() };
	struct notes nt;
	struct impair *im = make(&c, "out", &nt);
	uint8_t p[1600], got[1600];
	size_t len = build(p, true, TH_ACK, 1, 0);
	uint64_t passed = 0;

	for (int i = 0; i < 100000; i++) {
		impair_offer(im, T0 + (uint64_t)i, p, len);
		while (impair_pop(im, T0 + (uint64_t)i, got, sizeof(got)))
			passed++;
	}
	/* binomial: mean 5000, sd 69; +-300 is more than 4 sd */
	ck_assert_msg(impair_stats(im)->dropped >= 4700 && impair_stats(im)->dropped <= 5300,
		      "dropped %llu of 100000 (seed %u)",
		      (unsigned long long)impair_stats(im)->dropped, c.seed);
	ck_assert_uint_eq(passed + impair_stats(im)->dropped, 100000);
	ck_assert_uint_eq(impair_stats(im)->offered, 100000);
	ck_assert_int_eq(nt.count[1], (int)impair_stats(im)->dropped);
	ck_assert_int_eq(nt.count[0], 0);
	ck_assert_str_eq(nt.last, "drop (loss 5%)");
	impair_free(im);
}
END_TEST

/* Everything a run produced: release times and bytes, as one string of numbers. */
static uint64_t run_fingerprint(const struct impair_conf *c, const char *dir)
{
	struct impair *im = make(c, dir, NULL);
	static struct released r[4000];
	uint8_t p[1600];
	uint64_t h = 1469598103934665603ull;
	int n;

	for (uint32_t i = 0; i < 1000; i++) {
		size_t len = build(p, true, TH_ACK | TH_PSH, i * 100, 100);
		impair_offer(im, T0 + i * MS, p, len);
	}
	n = drain(im, UINT64_MAX, r, 4000);
	for (int i = 0; i < n; i++) {
		h = (h ^ r[i].at) * 1099511628211ull;
		for (size_t k = 0; k < r[i].len; k++)
			h = (h ^ r[i].pkt[k]) * 1099511628211ull;
	}
	impair_free(im);
	return h;
}

START_TEST(same_seed_same_decisions_other_seed_or_direction_differs)
{
	struct impair_conf c = { .loss = 200000, .dup = 100000, .corrupt = 100000,
				 .reorder = 50000, .delay_us = 5000, .jitter_us = 3000,
				 .seed = test_seed() };
	uint64_t a = run_fingerprint(&c, "out"), b = run_fingerprint(&c, "out");

	ck_assert_msg(a == b, "two runs with seed %u differ", c.seed);
	ck_assert(run_fingerprint(&c, "in") != a);        /* the direction salts the seed */
	c.seed++;
	ck_assert(run_fingerprint(&c, "out") != a);
}
END_TEST

START_TEST(delay_and_jitter_keep_each_packet_within_delay_plus_jitter)
{
	struct impair_conf c = { .delay_us = 50000, .jitter_us = 10000, .seed = test_seed() };
	struct notes nt;
	struct impair *im = make(&c, "out", &nt);
	uint8_t p[1600], got[1600];
	uint64_t lo = UINT64_MAX, hi = 0;

	for (uint32_t i = 0; i < 2000; i++) {
		uint64_t now = T0 + i * 100 * MS, at;
		impair_offer(im, now, p, build(p, true, TH_ACK, i, 0));
		at = impair_next(im);
		ck_assert_uint_ge(at, now + 50000);
		ck_assert_uint_le(at, now + 60000);
		ck_assert_uint_eq(impair_pop(im, at - 1, got, sizeof(got)), 0);   /* not early */
		ck_assert_uint_eq(impair_pop(im, at, got, sizeof(got)), 40);
		lo = at - now < lo ? at - now : lo;
		hi = at - now > hi ? at - now : hi;
	}
	ck_assert_uint_lt(lo, 50500);                         /* the whole range is used */
	ck_assert_uint_gt(hi, 59500);
	ck_assert_uint_eq(impair_stats(im)->delayed, 2000);
	ck_assert_ptr_nonnull(strstr(nt.last, "(delay 50ms, jitter 10ms)"));
	ck_assert_int_eq(nt.count[1], 2000);
	impair_free(im);
}
END_TEST

START_TEST(equal_release_times_keep_arrival_order)
{
	struct impair_conf c = { .delay_us = 20000 };
	struct impair *im = make(&c, "in", NULL);
	struct released r[8];
	uint8_t p[1600];

	for (uint32_t i = 0; i < 8; i++)
		impair_offer(im, T0, p, build(p, false, TH_ACK | TH_PSH, i, 1));
	ck_assert_int_eq(drain(im, T0 + 19999, r, 8), 0);
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 8), 8);
	for (uint32_t i = 0; i < 8; i++) {
		ck_assert_uint_eq(r[i].at, T0 + 20000);
		ck_assert_uint_eq(seq_of(r[i].pkt), i);
	}
	impair_free(im);
}
END_TEST

START_TEST(dup_releases_two_identical_copies)
{
	struct impair_conf c = { .dup = 1000000, .seed = test_seed() };
	struct notes nt;
	struct impair *im = make(&c, "out", &nt);
	struct released r[4];
	uint8_t p[1600];
	size_t len = build(p, true, TH_ACK | TH_PSH, 77, 100);

	impair_offer(im, T0, p, len);
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 4), 2);
	ck_assert_uint_eq(r[0].len, len);
	ck_assert_uint_eq(r[1].len, len);
	ck_assert(memcmp(r[0].pkt, p, len) == 0);
	ck_assert(memcmp(r[1].pkt, p, len) == 0);
	ck_assert_uint_eq(r[0].at, T0);
	ck_assert_uint_eq(r[1].at, T0);
	ck_assert_uint_eq(impair_stats(im)->duplicated, 1);
	ck_assert_str_eq(nt.last, "dup (dup 100%)");
	impair_free(im);
}
END_TEST

static int bits_differing(const uint8_t *a, const uint8_t *b, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += __builtin_popcount((unsigned)(a[i] ^ b[i]));
	return n;
}

START_TEST(corrupt_flips_exactly_one_bit_and_the_checksums_catch_it)
{
	struct impair_conf c = { .corrupt = 1000000, .seed = test_seed() };
	struct notes nt;
	struct impair *im = make(&c, "out", &nt);
	uint8_t p[1600], got[1600];
	bool header_hit = false, payload_hit = false;

	for (uint32_t i = 0; i < 3000; i++) {
		size_t len = build(p, true, TH_ACK | TH_PSH, i, i % 200), n;
		struct ip_pkt ip;
		struct seg sg;
		impair_offer(im, T0, p, len);
		n = impair_pop(im, T0, got, sizeof(got));
		ck_assert_uint_eq(n, len);
		ck_assert_int_eq(bits_differing(p, got, len), 1);
		ck_assert_msg(ip_parse(&ip, got, n) != 0 || tcp_parse(&sg, &ip) != 0,
			      "a flipped bit passed both checksums (seed %u, packet %u)", c.seed, i);
		for (size_t k = 0; k < len; k++)
			if (p[k] != got[k])
				*(k < IP_HDR_LEN ? &header_hit : &payload_hit) = true;
	}
	ck_assert(header_hit && payload_hit);               /* anywhere in the packet */
	ck_assert_uint_eq(impair_stats(im)->corrupted, 3000);
	ck_assert_ptr_nonnull(strstr(nt.last, "corrupt (bit "));
	ck_assert_ptr_nonnull(strstr(nt.last, ") (corrupt 100%)"));
	impair_free(im);
}
END_TEST

START_TEST(reorder_swaps_a_packet_with_the_next_one)
{
	struct impair_conf c = { .reorder = 1000000, .seed = test_seed() };
	struct notes nt;
	struct impair *im = make(&c, "out", &nt);
	struct released r[8];
	uint8_t p[1600];

	/* every packet is chosen, but one is held at a time: 1 waits for 2, 3 for 4 */
	for (uint32_t i = 1; i <= 4; i++)
		impair_offer(im, T0 + i * MS, p, build(p, true, TH_ACK | TH_PSH, i, 10));
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 8), 4);
	ck_assert_uint_eq(seq_of(r[0].pkt), 2);
	ck_assert_uint_eq(seq_of(r[1].pkt), 1);
	ck_assert_uint_eq(seq_of(r[2].pkt), 4);
	ck_assert_uint_eq(seq_of(r[3].pkt), 3);
	ck_assert_uint_eq(r[1].at, T0 + 2 * MS);           /* right after the one it swapped with */
	ck_assert_uint_eq(r[3].at, T0 + 4 * MS);
	ck_assert_uint_eq(impair_stats(im)->reordered, 2);
	ck_assert_str_eq(nt.last, "reorder (held for the next packet) (reorder 100%)");
	impair_free(im);
}
END_TEST

START_TEST(reorder_releases_a_lone_packet_after_the_hold_timeout)
{
	struct impair_conf c = { .reorder = 1000000, .seed = test_seed() };
	struct impair *im = make(&c, "in", NULL);
	uint8_t p[1600], got[1600];

	impair_offer(im, T0, p, build(p, false, TH_ACK | TH_PSH, 9, 10));
	ck_assert_uint_eq(impair_next(im), T0 + IMPAIR_REORDER_HOLD);
	ck_assert_uint_eq(impair_pop(im, T0 + IMPAIR_REORDER_HOLD - 1, got, sizeof(got)), 0);
	ck_assert_uint_eq(impair_pop(im, T0 + IMPAIR_REORDER_HOLD, got, sizeof(got)), 50);
	ck_assert_uint_eq(seq_of(got), 9);
	ck_assert_uint_eq(impair_next(im), UINT64_MAX);
	/* a next packet after the timeout swaps with nothing */
	impair_offer(im, T0 + 20 * MS, p, build(p, false, TH_ACK | TH_PSH, 10, 10));
	ck_assert_uint_eq(impair_next(im), T0 + 20 * MS + IMPAIR_REORDER_HOLD);
	impair_free(im);
}
END_TEST

START_TEST(queue_beyond_its_cap_drops_and_counts)
{
	struct impair_conf c = { .delay_us = 1000000 };
	struct notes nt;
	struct impair *im = make(&c, "out", &nt);
	uint8_t p[1600];
	size_t len = build(p, true, TH_ACK | TH_PSH, 1, 100);

	for (int i = 0; i < IMPAIR_QUEUE_MAX + 4; i++)
		impair_offer(im, T0, p, len);
	ck_assert_uint_eq(impair_stats(im)->overflow, 4);
	ck_assert_ptr_nonnull(strstr(nt.last, "drop (queue full"));
	ck_assert_int_eq(drain(im, UINT64_MAX, NULL, 0), IMPAIR_QUEUE_MAX);
	impair_offer(im, T0, p, len);                        /* room again */
	ck_assert_uint_eq(impair_stats(im)->overflow, 4);
	impair_free(im);
}
END_TEST

/* ---- targeted rules ---- */

START_TEST(rule_out_fin_1_drop_drops_only_the_first_fin)
{
	struct impair_conf c = { 0 };
	struct notes nt;
	char err[128];
	struct impair *im;
	struct released r[8];
	uint8_t p[1600];

	ck_assert_int_eq(impair_add_rule(&c, "fin#1:drop", err, sizeof(err)), 0);
	im = make(&c, "out", &nt);
	impair_offer(im, T0, p, build(p, true, TH_ACK | TH_PSH, 1, 5));
	impair_offer(im, T0, p, build(p, true, TH_FIN | TH_ACK, 6, 0));        /* dropped */
	impair_offer(im, T0, p, build(p, true, TH_FIN | TH_ACK, 6, 0));        /* retransmitted */
	impair_offer(im, T0, p, build(p, true, TH_FIN | TH_ACK | TH_PSH, 7, 3));
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 8), 3);
	ck_assert_uint_eq(seq_of(r[0].pkt), 1);
	ck_assert_uint_eq(seq_of(r[1].pkt), 6);
	ck_assert_uint_eq(seq_of(r[2].pkt), 7);
	ck_assert_uint_eq(impair_stats(im)->dropped, 1);
	ck_assert_int_eq(nt.count[0], 1);
	ck_assert_int_eq(nt.count[1], 0);
	ck_assert_str_eq(nt.last, "drop (rule out:fin#1:drop)");
	impair_free(im);
}
END_TEST

START_TEST(rule_data_3_drop_drops_only_the_third_data_packet)
{
	struct impair_conf c = { 0 };
	char err[128];
	struct impair *im;
	struct released r[16];
	uint8_t p[1600];
	uint32_t want[] = { 100, 200, 1, 2, 400, 500 };

	ck_assert_int_eq(impair_add_rule(&c, "data#3:drop", err, sizeof(err)), 0);
	im = make(&c, "in", NULL);
	impair_offer(im, T0, p, build(p, false, TH_ACK | TH_PSH, 100, 10));
	impair_offer(im, T0, p, build(p, false, TH_ACK | TH_PSH, 200, 10));
	impair_offer(im, T0, p, build(p, false, TH_ACK, 1, 0));               /* no data */
	impair_offer(im, T0, p, build(p, false, TH_FIN | TH_ACK, 2, 0));      /* no data */
	impair_offer(im, T0, p, build(p, false, TH_ACK | TH_PSH, 300, 10));   /* the 3rd */
	impair_offer(im, T0, p, build(p, false, TH_ACK | TH_PSH, 400, 10));
	impair_offer(im, T0, p, build(p, false, TH_FIN | TH_ACK, 500, 10));   /* data and FIN */
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 16), 6);
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(seq_of(r[i].pkt), want[i]);
	impair_free(im);
}
END_TEST

START_TEST(rule_with_each_action_dup_corrupt_delay)
{
	struct impair_conf c = { .delay_us = 3000 };
	struct notes nt;
	char err[128];
	struct impair *im;
	struct released r[8];
	uint8_t p[1600], syn[1600];
	size_t len;

	impair_add_rule(&c, "syn:dup", err, sizeof(err));
	impair_add_rule(&c, "syn-ack:corrupt", err, sizeof(err));
	impair_add_rule(&c, "rst:delay=2s", err, sizeof(err));
	im = make(&c, "out", &nt);
	len = build(syn, true, TH_SYN, 5, 0);
	impair_offer(im, T0, syn, len);
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 8), 2);      /* two copies, the fixed delay */
	ck_assert(memcmp(r[0].pkt, syn, len) == 0 && memcmp(r[1].pkt, syn, len) == 0);
	ck_assert_uint_eq(r[1].at, T0 + 3000);
	ck_assert_str_eq(nt.last, "dup (rule out:syn:dup)");
	len = build(p, true, TH_SYN | TH_ACK, 6, 0);
	impair_offer(im, T0, p, len);
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 8), 1);
	ck_assert_int_eq(bits_differing(r[0].pkt, p, len), 1);
	ck_assert_ptr_nonnull(strstr(nt.last, "(rule out:syn-ack:corrupt)"));
	impair_offer(im, T0, p, build(p, true, TH_RST, 7, 0));
	ck_assert_uint_eq(impair_next(im), T0 + 2 * SEC);        /* replaces the fixed delay */
	ck_assert_str_eq(nt.last, "delay 2000 ms (rule out:rst:delay=2s)");
	ck_assert_int_eq(nt.count[0], 3);
	impair_free(im);
}
END_TEST

START_TEST(rule_acts_first_and_spares_that_packet_from_random_impairment)
{
	struct impair_conf c = { .loss = 1000000 };
	struct notes nt;
	char err[128];
	struct impair *im;
	struct released r[8];
	uint8_t p[1600];

	impair_add_rule(&c, "data#1:dup", err, sizeof(err));
	im = make(&c, "out", &nt);
	impair_offer(im, T0, p, build(p, true, TH_ACK | TH_PSH, 1, 10));
	impair_offer(im, T0, p, build(p, true, TH_ACK | TH_PSH, 11, 10));
	ck_assert_int_eq(drain(im, UINT64_MAX, r, 8), 2);       /* both copies of the first */
	ck_assert_uint_eq(seq_of(r[0].pkt), 1);
	ck_assert_uint_eq(seq_of(r[1].pkt), 1);
	ck_assert_int_eq(nt.count[0], 1);
	ck_assert_int_eq(nt.count[1], 1);
	impair_free(im);
}
END_TEST

/* A close as the two directions of one link see it; out = what the stack sends. */
START_TEST(rule_last_ack_delays_only_the_final_ack_of_a_close)
{
	struct impair_conf co = { 0 }, ci = { 0 };
	struct notes nt;
	char err[128];
	struct impair *out, *in;
	struct released r[8];
	uint8_t p[1600];

	ck_assert_int_eq(impair_add_rule(&co, "last-ack:delay=500ms", err, sizeof(err)), 0);
	out = make(&co, "out", &nt);
	in = impair_new(&ci, "in", out);                      /* shares the connection table */
	impair_offer(out, T0, p, build(p, true, TH_ACK, 1, 0));             /* an ACK, no FIN yet */
	impair_offer(out, T0, p, build(p, true, TH_FIN | TH_ACK, 1, 0));    /* the stack closes */
	impair_offer(in, T0, p, build(p, false, TH_ACK, 50, 0));            /* peer ACKs it */
	impair_offer(out, T0, p, build(p, true, TH_ACK, 2, 0));             /* one FIN only: no */
	ck_assert_int_eq(drain(out, UINT64_MAX, r, 8), 3);
	ck_assert_int_eq(drain(in, UINT64_MAX, r, 8), 1);
	ck_assert_int_eq(nt.count[0], 0);
	impair_offer(in, T0 + MS, p, build(p, false, TH_FIN | TH_ACK, 50, 0)); /* the peer's FIN */
	impair_offer(out, T0 + MS, p, build(p, true, TH_ACK, 2, 0));         /* the last ACK */
	ck_assert_uint_eq(impair_next(out), T0 + MS + 500000);
	ck_assert_str_eq(nt.last, "delay 500 ms (rule out:last-ack:delay=500ms)");
	impair_offer(in, T0 + 2 * MS, p, build(p, false, TH_FIN | TH_ACK, 50, 0)); /* again */
	impair_offer(out, T0 + 2 * MS, p, build(p, true, TH_ACK, 2, 0));         /* also last */
	ck_assert_int_eq(nt.count[0], 2);
	impair_offer(out, T0 + 3 * MS, p, build(p, true, TH_SYN, 100, 0));   /* a new connection */
	impair_offer(out, T0 + 3 * MS, p, build(p, true, TH_ACK, 101, 0));
	ck_assert_int_eq(nt.count[0], 2);
	impair_free(out);                                    /* either may go first */
	ck_assert_int_eq(drain(in, UINT64_MAX, r, 8), 2);
	impair_free(in);
}
END_TEST

START_TEST(rule_last_ack_on_a_simultaneous_close_is_each_sides_ack)
{
	struct impair_conf c = { 0 };
	char err[128];
	struct impair *out;
	uint8_t p[1600];

	impair_add_rule(&c, "last-ack:drop", err, sizeof(err));
	out = make(&c, "out", NULL);
	impair_offer(out, T0, p, build(p, true, TH_FIN | TH_ACK, 1, 0));
	impair_offer(out, T0, p, build(p, false, TH_FIN | TH_ACK, 50, 0));  /* the same wire */
	impair_offer(out, T0, p, build(p, true, TH_ACK, 2, 0));
	impair_offer(out, T0, p, build(p, false, TH_ACK, 51, 0));
	ck_assert_uint_eq(impair_stats(out)->dropped, 2);
	impair_free(out);
}
END_TEST

START_TEST(a_fin_that_was_dropped_does_not_count_for_last_ack)
{
	struct impair_conf c = { 0 };
	char err[128];
	struct impair *out;
	uint8_t p[1600];

	impair_add_rule(&c, "fin#1:drop", err, sizeof(err));
	impair_add_rule(&c, "last-ack:drop", err, sizeof(err));
	out = make(&c, "out", NULL);
	impair_offer(out, T0, p, build(p, false, TH_FIN | TH_ACK, 50, 0));  /* lost */
	impair_offer(out, T0, p, build(p, true, TH_FIN | TH_ACK, 1, 0));
	impair_offer(out, T0, p, build(p, true, TH_ACK, 2, 0));             /* not last: passes */
	ck_assert_uint_eq(impair_stats(out)->dropped, 1);
	impair_free(out);
}
END_TEST

/* ---- two stacks on the simulated wire ---- */

#define A_IP 0x0a000001u
#define B_IP 0x0a000002u

struct world {
	struct sim *sim;
	struct stack *a, *b;
	char states[2][512];
	char *log;
	size_t loglen;
	FILE *logf;
};

static void on_trace(void *ctx, int i, const struct trace_event *ev)
{
	struct world *w = ctx;
	size_t n = strlen(w->states[i]);

	if (ev->kind == TRACE_STATE && ev->conn.raddr)
		snprintf(w->states[i] + n, sizeof(w->states[i]) - n, "%s%s", n ? " " : "",
			 tcp_state_name(ev->to));
}

static void world_init(struct world *w, int log_verbose)
{
	struct stack_config ca = { .addr = A_IP, .msl_ms = 1000 }, cb = { .addr = B_IP, .msl_ms = 1000 };

	memset(w, 0, sizeof(*w));
	w->sim = sim_new(test_seed(), 5000);
	w->a = sim_stack(w->sim, sim_add(w->sim, &ca));
	w->b = sim_stack(w->sim, sim_add(w->sim, &cb));
	sim_set_trace(w->sim, on_trace, w);
	if (log_verbose >= 0) {
		w->logf = open_memstream(&w->log, &w->loglen);
		sim_set_log(w->sim, w->logf, log_verbose);
	} else if (getenv("TUNTCP_SIM_LOG")) {
		sim_set_log(w->sim, stderr, 1);
	}
}

static void world_free(struct world *w)
{
	sim_free(w->sim);
	if (w->logf)
		fclose(w->logf);
	free(w->log);
}

static uint64_t now(struct world *w) { return sim_now(w->sim); }

static enum tcp_state state_of(struct stack *s, int h)
{
	struct tcp_status st;

	return tcp_status(s, h, &st) ? TCP_CLOSED : st.state;
}

static void connect_b_to_a(struct world *w, int *ha, int *hb)
{
	int lh = tcp_listen(w->a, now(w), 1234, 4);

	*hb = tcp_connect(w->b, now(w), A_IP, 1234, 0);
	for (int i = 0; i < 100 && (*ha = tcp_accept(w->a, lh)) < 0; i++)
		sim_run_for(w->sim, 100000);
	ck_assert_int_ge(*ha, 0);
	tcp_close(w->a, now(w), lh);
	tcp_release(w->a, now(w), lh);
}

START_TEST(sim_corruption_is_caught_by_checksums_and_data_arrives_intact)
{
	static uint8_t out[1024 * 1024], in[1024 * 1024];
	struct impair_conf c = { .corrupt = 20000, .seed = test_seed() };   /* 2% */
	struct world w;
	size_t sent = 0, got = 0;
	uint64_t csum_a, csum_b;
	int ha, hb;

	world_init(&w, -1);
	sim_set_impair(w.sim, 0, &c);
	sim_set_impair(w.sim, 1, &c);
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
		ck_assert_msg(sim_now(w.sim) < 900 * SEC, "stalled at %zu of %zu bytes (seed %u)",
			      got, sizeof(in), c.seed);
	}
	ck_assert(memcmp(in, out, sizeof(in)) == 0);
	csum_a = stack_stat(w.a, STAT_DROP_TCP_CSUM) + stack_stat(w.a, STAT_DROP_IP_CSUM);
	csum_b = stack_stat(w.b, STAT_DROP_TCP_CSUM) + stack_stat(w.b, STAT_DROP_IP_CSUM);
	ck_assert_uint_gt(csum_a, 0);
	ck_assert_uint_gt(sim_impair_stats(w.sim, 1)->corrupted, 0);
	ck_assert_uint_le(csum_a, sim_impair_stats(w.sim, 1)->corrupted);
	ck_assert_uint_le(csum_b, sim_impair_stats(w.sim, 0)->corrupted);
	ck_assert_uint_eq(sim_impair_stats(w.sim, 0)->dropped + sim_impair_stats(w.sim, 1)->dropped, 0);
	world_free(&w);
}
END_TEST

START_TEST(sim_rule_drops_the_first_fin_and_the_log_shows_it_without_v)
{
	struct impair_conf ca = { 0 }, cb = { .dup = 1000000, .seed = test_seed() };
	struct world w;
	char err[128];
	int ha, hb;

	world_init(&w, 0);
	impair_add_rule(&ca, "fin#1:drop", err, sizeof(err));
	sim_set_impair(w.sim, 0, &ca);
	sim_set_impair(w.sim, 1, &cb);                      /* random: counted, not logged */
	connect_b_to_a(&w, &ha, &hb);
	tcp_close(w.a, now(&w), ha);
	sim_run_for(w.sim, 30000);                          /* three round trips, no RTO yet */
	ck_assert_int_eq(state_of(w.a, ha), TCP_FIN_WAIT_1);
	sim_run_for(w.sim, 3 * SEC);                        /* the RTO resends it */
	ck_assert_int_eq(state_of(w.a, ha), TCP_FIN_WAIT_2);
	tcp_close(w.b, now(&w), hb);
	sim_run_for(w.sim, 5 * SEC);
	ck_assert_int_eq(state_of(w.a, ha), TCP_CLOSED);
	ck_assert_int_eq(state_of(w.b, hb), TCP_CLOSED);
	fflush(w.logf);
	ck_assert_msg(strstr(w.log, " A impair out: drop (rule out:fin#1:drop) IP 10.0.0.1.1234 > "
			      "10.0.0.2.") != NULL, "log:\n%s", w.log);
	ck_assert_ptr_null(strstr(w.log, "(dup 100%)"));
	ck_assert_uint_gt(sim_impair_stats(w.sim, 1)->duplicated, 0);
	ck_assert_uint_gt(sim_impair_notes(w.sim), 1);
	world_free(&w);
}
END_TEST

START_TEST(sim_last_ack_dropped_the_server_resends_its_fin_from_last_ack)
{
	struct impair_conf cb = { 0 };
	struct world w;
	char err[128];
	int ha, hb;

	world_init(&w, 1);
	impair_add_rule(&cb, "last-ack#1:drop", err, sizeof(err));
	sim_set_impair(w.sim, 1, &cb);
	connect_b_to_a(&w, &ha, &hb);
	tcp_close(w.b, now(&w), hb);                        /* the client closes first */
	sim_run_for(w.sim, 100000);
	tcp_close(w.a, now(&w), ha);
	sim_run_for(w.sim, 30000);                          /* three round trips, no RTO yet */
	ck_assert_int_eq(state_of(w.a, ha), TCP_LAST_ACK);  /* its ACK was lost */
	sim_run_for(w.sim, 3 * SEC);                        /* FIN again, re-ACKed from TIME-WAIT */
	ck_assert_int_eq(state_of(w.a, ha), TCP_CLOSED);
	ck_assert_uint_eq(stack_stat(w.a, STAT_RETRANSMIT), 1);
	ck_assert_uint_eq(sim_impair_stats(w.sim, 1)->dropped, 1);
	ck_assert_str_eq(w.states[0], "SYN-RECEIVED ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED");
	fflush(w.logf);
	ck_assert_msg(strstr(w.log, "B impair out: drop (rule out:last-ack#1:drop) IP 10.0.0.2.") != NULL,
		      "log:\n%s", w.log);
	world_free(&w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("impair");
	TCase *parse = tcase_create("parsing"), *rnd = tcase_create("random"),
	      *rules = tcase_create("rules"), *sim = tcase_create("sim");
	SRunner *sr;
	int failed;

	tcase_add_test(parse, percent_accepts_decimals_and_an_optional_percent_sign);
	tcase_add_test(parse, duration_accepts_ms_s_us_and_a_bare_number_of_ms);
	tcase_add_test(parse, option_without_prefix_sets_both_directions_in_and_out_only_one);
	tcase_add_test(parse, option_bad_values_give_one_line_naming_the_option);
	tcase_add_test(parse, rule_parses_match_nth_and_each_action);
	tcase_add_test(parse, rule_rejects_bad_text_and_a_seventeenth_rule);
	tcase_add_test(parse, active_only_when_something_is_configured);
	tcase_add_test(rnd, perfect_link_passes_every_packet_at_once_in_order);
	tcase_add_test(rnd, loss_five_percent_of_100000_packets_within_tolerance);
	tcase_add_test(rnd, same_seed_same_decisions_other_seed_or_direction_differs);
	tcase_add_test(rnd, delay_and_jitter_keep_each_packet_within_delay_plus_jitter);
	tcase_add_test(rnd, equal_release_times_keep_arrival_order);
	tcase_add_test(rnd, dup_releases_two_identical_copies);
	tcase_add_test(rnd, corrupt_flips_exactly_one_bit_and_the_checksums_catch_it);
	tcase_add_test(rnd, reorder_swaps_a_packet_with_the_next_one);
	tcase_add_test(rnd, reorder_releases_a_lone_packet_after_the_hold_timeout);
	tcase_add_test(rnd, queue_beyond_its_cap_drops_and_counts);
	tcase_add_test(rules, rule_out_fin_1_drop_drops_only_the_first_fin);
	tcase_add_test(rules, rule_data_3_drop_drops_only_the_third_data_packet);
	tcase_add_test(rules, rule_with_each_action_dup_corrupt_delay);
	tcase_add_test(rules, rule_acts_first_and_spares_that_packet_from_random_impairment);
	tcase_add_test(rules, rule_last_ack_delays_only_the_final_ack_of_a_close);
	tcase_add_test(rules, rule_last_ack_on_a_simultaneous_close_is_each_sides_ack);
	tcase_add_test(rules, a_fin_that_was_dropped_does_not_count_for_last_ack);
	tcase_add_test(sim, sim_corruption_is_caught_by_checksums_and_data_arrives_intact);
	tcase_add_test(sim, sim_rule_drops_the_first_fin_and_the_log_shows_it_without_v);
	tcase_add_test(sim, sim_last_ack_dropped_the_server_resends_its_fin_from_last_ack);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, rnd);
	suite_add_tcase(s, rules);
	suite_add_tcase(s, sim);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* check_sack.c - selective acknowledgments, stories with a scripted peer: SACK-permitted
 * on the SYNs (RFC 2018 2, as Linux: only when both offer it, never with --no-sack);
 * the blocks the stack sends as receiver for several holes (most recent first, as
 * many as fit: 4, 3 beside timestamps; RFC 2018 4); D-SACK for a duplicate (RFC 2883);
 * the sender's scoreboard and RFC 6675 loss recovery that resends several holes in one
 * round trip, NewReno (one hole per round trip) when the peer did not permit SACK; and
 * two stacks over a lossy wire, SACK on and off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "impair.h"
#include "seq.h"
#include "sim.h"

#define MSS 1460u

static struct harness *h;
static char data[70000];

static void setup(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + (i * 7 + i / 26) % 26);
	h = NULL;
}
static void teardown(void) { if (h) h_free(h); }

static void stack_with(bool no_sack, bool no_ts)
{
	struct stack_config cfg = h_config(0);

	cfg.no_sack = no_sack;
	cfg.no_timestamps = no_ts;
	cfg.cc = STACK_CC_NEWRENO;    /* the stories count RFC 6675's ssthresh = FlightSize / 2 */
	cfg.no_rack = 1;          /* these stories are RFC 6675's DupThresh: check_rack has RACK's */
	h = h_new_config(&cfg);
	h_say(h, "stack:%s%s --no-rack --cc newreno", no_sack ? " --no-sack" : "", no_ts ? " --no-timestamps" : "");
}

/* A segment from the peer with the options of `opt` (sack_ok, TS, blocks). */
static void peer_seg(uint8_t flags, uint32_t seq, uint32_t ack, const char *d, uint32_t n,
		     const struct seg *opt)
{
	struct seg sg = opt ? *opt : (struct seg){ 0 };

	sg.src = PEER_IP;
	sg.dst = STACK_IP;
	sg.sport = PEER_PORT;
	sg.dport = h->lport;
	sg.seq = seq;
	sg.ack = ack;
	sg.flags = flags;
	sg.wnd = 65535;
	sg.mss = (flags & TH_SYN) ? 1460 : 0;
	sg.data = (const uint8_t *)d;
	sg.dlen = n;
	h_say(h, "peer: %s seq %u ack %u len %u, %d SACK blocks%s", (flags & TH_SYN) ? "SYN" :
	      "segment", seq, ack, n, sg.n_sack, sg.sack_ok ? ", sackOK" : "");
	peer_sends_seg(h, &sg);
}

/* Passive open; the peer's SYN offers SACK if `sack`. Returns our SYN,ACK. */
static struct seg passive_open(bool sack)
{
	struct seg opt = { .sack_ok = sack }, synack;

	h_listen(h);
	peer_seg(TH_SYN, IRS, 0, NULL, 0, &opt);
	synack = expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
	peer_seg(TH_ACK, IRS + 1, ISS + 1, NULL, 0, NULL);
	expect_state(h, TCP_ESTABLISHED);
	h->h = tcp_accept(h->s, h->lh);
	if (h->h < 0)
		h_fail(h, "accept failed: %d", h->h);
	return synack;
}

/* The peer sends bytes [off, off+n) of its stream; the stack's ACK is returned. */
static struct seg peer_data(uint32_t off, uint32_t n, uint32_t want_ack)
{
	peer_seg(TH_ACK, IRS + 1 + off, ISS + 1, data + off, n, NULL);
	return expect_sent(h, TH_ACK, ISS + 1, IRS + 1 + want_ack, 0);
}

static void expect_block(const struct seg *sg, int i, uint32_t off, uint32_t end)
{
	if (i >= sg->n_sack)
		h_fail(h, "SACK block %d missing: %d blocks", i, sg->n_sack);
	CHECK_EQ(h, sg->sack[i].start, IRS + 1 + off);
	CHECK_EQ(h, sg->sack[i].end, IRS + 1 + end);
}

static struct tcp_status status(void);

/* ---- negotiation ---- */

START_TEST(listen_syn_with_sackok_gets_a_syn_ack_with_it)
{
	stack_with(false, false);
	CHECK_EQ(h, passive_open(true).sack_ok, true);
	CHECK_EQ(h, status().sack_ok, 1);                    /* what tuntcp-ss shows: sack */
	CHECK_EQ(h, status().ts_ok, 0);                      /* the peer's SYN had no TSopt */
}
END_TEST

START_TEST(listen_syn_without_sackok_gets_none_and_acks_carry_no_blocks)
{
	stack_with(false, false);
	CHECK_EQ(h, passive_open(false).sack_ok, false);
	CHECK_EQ(h, peer_data(100, 100, 0).n_sack, 0);        /* a hole, but no SACK */
}
END_TEST

START_TEST(no_sack_never_offers_nor_answers_sackok)
{
	struct seg syn;

	stack_with(true, true);
	CHECK_EQ(h, passive_open(true).sack_ok, false);
	CHECK_EQ(h, peer_data(100, 100, 0).n_sack, 0);
	h_free(h);
	stack_with(true, true);
	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	syn = expect_sent(h, TH_SYN, ISS, 0, 0);
	CHECK_EQ(h, syn.sack_ok, false);
	CHECK_EQ(h, syn.has_ts, false);
}
END_TEST

START_TEST(connect_syn_offers_sackok_as_linux_does)
{
	struct seg syn;

	stack_with(false, false);
	h->h = tcp_connect(h->s, h->now, PEER_IP, PEER_PORT, 0);
	syn = expect_sent(h, TH_SYN, ISS, 0, 0);
	CHECK_EQ(h, syn.sack_ok, true);
	CHECK_EQ(h, syn.mss, 1460);
	CHECK_EQ(h, syn.has_ts, true);
	CHECK_EQ(h, syn.ts_ecr, 0);                          /* no ACK: TSecr 0 (RFC 7323 3.2) */
}
END_TEST

START_TEST(sack_option_round_trips_through_the_wire_format)
{
	uint8_t buf[IP_HDR_LEN + TCP_HDR_LEN + 40 + 16];
	struct seg sg = { .src = 1, .dst = 2, .sport = 3, .dport = 4, .seq = 5, .ack = 6,
			  .flags = TH_ACK, .wnd = 7, .has_ts = true, .ts_val = 8, .ts_ecr = 9,
			  .n_sack = 3, .data = (const uint8_t *)"0123456789abcdef", .dlen = 16,
			  .sack = { { 100, 200 }, { 300, 400 }, { 0xfffffff0u, 0x10 } } };
	struct ip_pkt ip;
	struct seg got;
	size_t len = tcp_build(buf, &sg, 1);

	h = h_new();
	CHECK_EQ(h, len, IP_HDR_LEN + TCP_HDR_LEN + 12 + 28 + 16);   /* all 40 bytes used */
	CHECK_EQ(h, ip_parse(&ip, buf, len), 0);
	CHECK_EQ(h, tcp_parse(&got, &ip), 0);
	CHECK_EQ(h, got.n_sack, 3);
	CHECK_EQ(h, got.sack[2].start, 0xfffffff0u);
	CHECK_EQ(h, got.sack[2].end, 0x10);
	CHECK_EQ(h, got.has_ts && got.ts_val == 8 && got.ts_ecr == 9, 1);
	CHECK_EQ(h, memcmp(got.data, "0123456789abcdef", 16), 0);
}
END_TEST

/* ---- receiver: RFC 2018 4, RFC 2883 ---- */

/* Three holes: each ACK names first the piece the latest segment went to, then the
 * others by recency; a piece that grows becomes the most recent again. */
START_TEST(established_several_holes_blocks_most_recent_first)
{
	struct seg a;

	stack_with(false, true);
	passive_open(true);
	peer_data(0, 100, 100);
	a = peer_data(200, 100, 100);                        /* hole 100..200 */
	CHECK_EQ(h, a.n_sack, 1);
	expect_block(&a, 0, 200, 300);
	a = peer_data(400, 100, 100);
	CHECK_EQ(h, a.n_sack, 2);
	expect_block(&a, 0, 400, 500);
	expect_block(&a, 1, 200, 300);
	a = peer_data(600, 100, 100);
	expect_block(&a, 0, 600, 700);
	expect_block(&a, 1, 400, 500);
	expect_block(&a, 2, 200, 300);
	a = peer_data(300, 50, 100);                         /* the first piece grows */
	CHECK_EQ(h, a.n_sack, 3);
	expect_block(&a, 0, 200, 350);
	expect_block(&a, 1, 600, 700);
	expect_block(&a, 2, 400, 500);
	a = peer_data(100, 100, 350);                        /* the first hole fills */
	CHECK_EQ(h, a.n_sack, 2);
	expect_block(&a, 0, 600, 700);
	expect_block(&a, 1, 400, 500);
}
END_TEST

/* Five pieces: without timestamps 4 blocks fit in 40 bytes of options; the oldest
 * piece is left out. */
START_TEST(established_five_holes_report_the_four_most_recent)
{
	struct seg a;

	stack_with(false, true);
	passive_open(true);
	for (uint32_t i = 1; i <= 5; i++)
		a = peer_data(200 * i, 100, 0);
	CHECK_EQ(h, a.n_sack, 4);
	for (int i = 0; i < 4; i++)
		expect_block(&a, i, 200 * (5 - (uint32_t)i), 200 * (5 - (uint32_t)i) + 100);
}
END_TEST

/* A segment wholly below RCV.NXT: the ACK reports it first, as a D-SACK. */
START_TEST(established_duplicate_segment_is_reported_as_dsack)
{
	struct seg a;

	stack_with(false, true);
	passive_open(true);
	peer_data(0, 100, 100);
	a = peer_data(0, 100, 100);                          /* the same again */
	CHECK_EQ(h, a.n_sack, 1);
	expect_block(&a, 0, 0, 100);
	expect_stat(h, STAT_DSACK_SENT, 1);
	CHECK_EQ(h, strstr(h->log, "[D-SACK") != NULL, 1);   /* -v says so */
	a = peer_data(100, 100, 200);
	CHECK_EQ(h, a.n_sack, 0);                            /* reported once */
}
END_TEST

/* A duplicate of a piece held past a hole: the D-SACK, then that piece (RFC 2883 4). */
START_TEST(established_duplicate_of_a_held_piece_is_dsack_then_its_piece)
{
	struct seg a;

	stack_with(false, true);
	passive_open(true);
	peer_data(200, 100, 0);
	peer_data(400, 100, 0);
	a = peer_data(200, 50, 0);
	CHECK_EQ(h, a.n_sack, 3);
	expect_block(&a, 0, 200, 250);
	expect_block(&a, 1, 200, 300);
	expect_block(&a, 2, 400, 500);
}
END_TEST

/* ---- sender: scoreboard and RFC 6675 recovery ---- */

/* The peer ACKs `ack` (offset in our stream) with blocks [s, e) given as offsets. */
static void peer_sacks(uint32_t ack, int n, const uint32_t *edges)
{
	struct seg opt = { .n_sack = (uint8_t)n };

	for (int i = 0; i < n; i++) {
		opt.sack[i].start = ISS + 1 + edges[2 * i];
		opt.sack[i].end = ISS + 1 + edges[2 * i + 1];
	}
	peer_seg(TH_ACK, IRS + 1, ISS + 1 + ack, NULL, 0, &opt);
}

static void expect_data(uint32_t off, uint32_t n)
{
	expect_sent(h, TH_ACK, ISS + 1 + off, IRS + 1, n);
}

static struct tcp_status status(void)
{
	struct tcp_status st;

	CHECK_EQ(h, tcp_status(h->s, h->h, &st), 0);
	h_say(h, "status: cwnd %u ssthresh %u recovery %d", st.cwnd, st.ssthresh, st.in_recovery);
	return st;
}

/* The data segments the stack sent since, each of MSS bytes; returns how many,
 * the offset of the first in *first (if any). */
static int drain(uint32_t *first)
{
	int n = 0;

	while (sent_pending(h)) {
		struct seg sg = expect_sent(h, TH_ACK, peek_sent(h).seq, IRS + 1, MSS);
		if (n++ == 0 && first)
			*first = sg.seq - ISS - 1;
	}
	return n;
}

/* Slow start, every segment ACKed on its own, until segments 9..20 are in flight
 * (cwnd 12 MSS). */
static void twelve_in_flight(bool sack)
{
	stack_with(!sack, true);
	passive_open(sack);
	CHECK_EQ(h, tcp_send(h->s, h->now, h->h, data, 40 * MSS), 40 * MSS);
	CHECK_EQ(h, drain(NULL), 3);
	for (uint32_t i = 1; i <= 9; i++) {
		peer_sacks(i * MSS, 0, NULL);
		drain(NULL);
	}
	CHECK_EQ(h, status().cwnd, 12 * MSS);
	expect_nothing_sent(h);
}

/* The peer has 10, 12, 14 and then, one by one, 15..19 of the flight 9..20
 * (9, 11, 13 lost), and says so in SACK blocks, most recent first. */
static void peer_sacks_above(uint32_t top)
{
	uint32_t e[6] = { 14 * MSS, top * MSS, 12 * MSS, 13 * MSS, 10 * MSS, 11 * MSS };

	peer_sacks(9 * MSS, 3, e);
}

/* Segments 9, 11 and 13 are lost. The third duplicate ACK starts recovery (RFC 6675
 * 5): 9 is resent, ssthresh = cwnd = FlightSize / 2. The pipe then counts what is
 * still in flight; as further ACKs SACK more, 11 and 13 are deemed lost and resent
 * (NextSeg rule 1) in that same round trip, then new data goes (rule 2). */
START_TEST(established_sack_recovery_resends_three_holes_in_one_round_trip)
{
	uint32_t e1[] = { 10 * MSS, 11 * MSS }, e2[] = { 12 * MSS, 13 * MSS, 10 * MSS, 11 * MSS };
	uint32_t first = 0;

	twelve_in_flight(true);
	peer_sacks(9 * MSS, 1, e1);
	expect_data(21 * MSS, MSS);                          /* limited transmit (RFC 3042) */
	peer_sacks(9 * MSS, 2, e2);
	expect_data(22 * MSS, MSS);
	CHECK_EQ(h, status().in_recovery, 0);
	peer_sacks_above(15);                                /* the third: recovery */
	expect_data(9 * MSS, MSS);
	expect_nothing_sent(h);                              /* pipe 11 MSS > cwnd 7 MSS */
	CHECK_EQ(h, status().in_recovery, 1);
	CHECK_EQ(h, status().ssthresh, 7 * MSS);
	CHECK_EQ(h, status().cwnd, 7 * MSS);
	peer_sacks_above(16);
	expect_nothing_sent(h);
	peer_sacks_above(17);
	expect_nothing_sent(h);                              /* pipe 7 MSS: 6 + 9 resent */
	peer_sacks_above(18);
	expect_data(11 * MSS, MSS);                          /* lost: 3 MSS SACKed above it */
	peer_sacks_above(19);
	expect_data(13 * MSS, MSS);                          /* all three in one round trip */
	peer_sacks_above(20);
	CHECK_EQ(h, drain(&first), 1);
	CHECK_EQ(h, first, 23 * MSS);                        /* no hole left: new data */
	expect_stat(h, STAT_SACK_RECOVERY, 1);
	expect_stat(h, STAT_SACK_RETRANSMIT, 2);
	peer_sacks(24 * MSS, 0, NULL);                       /* past RecoveryPoint (23) */
	CHECK_EQ(h, status().in_recovery, 0);
	CHECK_EQ(h, status().cwnd, 7 * MSS);
	expect_stat(h, STAT_RTO_TIMEOUT, 0);
}
END_TEST

/* The same losses with a peer that did not permit SACK: NewReno resends 9 on the
 * third duplicate ACK and nothing else of the holes until a partial ACK shows the
 * next one, a round trip later (RFC 6582). */
START_TEST(established_without_sack_newreno_resends_one_hole_per_round_trip)
{
	uint32_t first = 0;

	twelve_in_flight(false);
	for (int i = 0; i < 3; i++)
		peer_sacks(9 * MSS, 0, NULL);
	expect_data(21 * MSS, MSS);
	expect_data(22 * MSS, MSS);
	expect_data(9 * MSS, MSS);
	for (int i = 0; i < 5; i++) {                        /* 15..19 arrive */
		peer_sacks(9 * MSS, 0, NULL);
		while (sent_pending(h))
			CHECK_EQ(h, SEQ_GEQ(expect_sent(h, TH_ACK, peek_sent(h).seq, IRS + 1,
							 MSS).seq, ISS + 1 + 23 * MSS), 1);   /* new data only */
	}
	peer_sacks(11 * MSS, 0, NULL);                       /* partial ACK, a round trip later */
	CHECK_EQ(h, drain(&first) >= 1, 1);
	CHECK_EQ(h, first, 11 * MSS);
	expect_stat(h, STAT_SACK_RECOVERY, 0);
}
END_TEST

/* RFC 2018 8: a timeout turns the SACKed bits off (the receiver may have reneged);
 * RFC 6675 5.1: the blocks of later ACKs fill the board again, and going back from
 * SND.UNA the stack skips what they show the peer holds. Lost: 9, 10, 11, 13. */
START_TEST(established_timeout_clears_the_scoreboard_then_skips_what_is_sacked_again)
{
	uint32_t e[] = { 14 * MSS, 15 * MSS, 12 * MSS, 13 * MSS }, e2[] = { 14 * MSS, 15 * MSS };

	twelve_in_flight(true);
	peer_sacks(9 * MSS, 1, e + 2);
	peer_sacks(9 * MSS, 2, e);
	expect_data(21 * MSS, MSS);                          /* limited transmit */
	expect_data(22 * MSS, MSS);
	advance_ms(h, RTO_MS);
	expect_data(9 * MSS, MSS);                           /* the timeout: 9 again */
	CHECK_EQ(h, status().cwnd, MSS);
	expect_nothing_sent(h);
	peer_sacks(10 * MSS, 2, e);                          /* 9 arrived; 12, 14 held */
	expect_data(10 * MSS, MSS);
	expect_data(11 * MSS, MSS);
	peer_sacks(13 * MSS, 1, e2);                         /* 10, 11 arrived: 12 was held */
	expect_data(13 * MSS, MSS);
	expect_data(15 * MSS, MSS);                          /* 14 SACKed: skipped */
	expect_nothing_sent(h);
	expect_stat(h, STAT_RTO_TIMEOUT, 1);
}
END_TEST

/* The scoreboard forgets what the cumulative ACK covers, and a D-SACK block (below
 * the ACK) is counted, not recorded. */
START_TEST(established_dsack_received_is_counted_and_scoreboard_follows_snd_una)
{
	uint32_t d[] = { 2 * MSS, 3 * MSS };

	twelve_in_flight(true);
	peer_sacks(9 * MSS, 1, d);                           /* below SND.UNA: a duplicate */
	expect_stat(h, STAT_DSACK_RCVD, 1);
	expect_data(21 * MSS, MSS);                          /* a dup ACK: limited transmit */
	peer_sacks(9 * MSS, 1, d);
	peer_sacks(9 * MSS, 1, d);                           /* the third: fast retransmit */
	expect_data(22 * MSS, MSS);
	expect_data(9 * MSS, MSS);
	CHECK_EQ(h, status().in_recovery, 1);
	expect_stat(h, STAT_DSACK_RCVD, 3);
}
END_TEST

/* ---- two stacks on the in-memory wire ---- */

struct pair { struct sim *sim; struct stack *a, *b; int ha, hb; uint64_t seen; };

/* Of A's data segments, in each run of 200 the 100th, 102nd and 104th are lost:
 * three holes in one window, every few round trips. */
static bool drop_three_holes(void *ctx, int from, const uint8_t *pkt, size_t len)
{
	struct pair *p = ctx;
	uint64_t k;

	(void)pkt;
	if (from != 0 || len <= IP_HDR_LEN + TCP_HDR_LEN + 40)
		return false;
	k = p->seen++ % 200;
	return k == 100 || k == 102 || k == 104;
}

/* A sends `bytes` to B over 10 ms each way, both with a 1 MiB buffer; random loss
 * `loss_ppm` each way, or the three holes above. Returns the virtual time taken. */
static uint64_t transfer(bool no_sack, uint32_t loss_ppm, bool holes, uint32_t bytes)
{
	struct stack_config ca = { .addr = PEER_IP, .msl_ms = 1000, .no_sack = no_sack,
				   .rcvbuf = 1024 * 1024, .cc = STACK_CC_NEWRENO };  /* SACK against NewReno's recovery */
	struct stack_config cb = ca;
	struct impair_conf imp = { .loss = loss_ppm, .seed = 42 };
	static uint8_t buf[65536];
	struct pair p = { 0 };
	uint64_t sent = 0, got = 0, t0;
	ssize_t r;
	int lh;

	cb.addr = STACK_IP;
	p.sim = sim_new(7, 10000);
	p.a = sim_stack(p.sim, sim_add(p.sim, &ca));
	p.b = sim_stack(p.sim, sim_add(p.sim, &cb));
	sim_set_impair(p.sim, 0, &imp);
	sim_set_impair(p.sim, 1, &imp);
	if (holes)
		sim_set_drop(p.sim, drop_three_holes, &p);
	lh = tcp_listen(p.b, sim_now(p.sim), 9000, 4);
	p.ha = tcp_connect(p.a, sim_now(p.sim), STACK_IP, 9000, 0);
	while ((p.hb = tcp_accept(p.b, lh)) == -EAGAIN)
		sim_run_for(p.sim, 1000);
	t0 = sim_now(p.sim);
	while (got < bytes && sim_now(p.sim) - t0 < 600000000ull) {
		for (; sent < bytes; sent += (uint64_t)r) {
			uint32_t n = bytes - sent < sizeof(buf) ? (uint32_t)(bytes - sent) : sizeof(buf);
			for (uint32_t i = 0; i < n; i++)
				buf[i] = (uint8_t)((sent + i) * 31 / 7);
			if ((r = tcp_send(p.a, sim_now(p.sim), p.ha, buf, n)) <= 0)
				break;
		}
		sim_run_for(p.sim, 1000);
		while ((r = tcp_recv(p.b, sim_now(p.sim), p.hb, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < r; i++, got++)
				ck_assert_uint_eq(buf[i], (uint8_t)(got * 31 / 7));
	}
	ck_assert_uint_eq(got, bytes);
	fprintf(stderr, "sack: %u bytes, %s, %s: %.2f s of virtual time, %llu retransmissions "
		"(%llu timeouts, %llu SACK recoveries, %llu RACK losses, %llu TLP probes, %llu D-SACKs)\n", bytes, holes ? "three holes per 200 "
		"segments" : loss_ppm ? "random loss" : "clean link", no_sack ? "--no-sack" : "SACK",
		(sim_now(p.sim) - t0) / 1e6, (unsigned long long)stack_stat(p.a, STAT_RETRANSMIT),
		(unsigned long long)stack_stat(p.a, STAT_RTO_TIMEOUT),
		(unsigned long long)stack_stat(p.a, STAT_SACK_RECOVERY),
		(unsigned long long)stack_stat(p.a, STAT_RACK_LOSS),
		(unsigned long long)stack_stat(p.a, STAT_TLP_PROBE),
		(unsigned long long)stack_stat(p.a, STAT_DSACK_RCVD));
	if (!no_sack && (loss_ppm || holes))
		ck_assert_uint_gt(stack_stat(p.a, STAT_SACK_RECOVERY), 0);
	if (no_sack)
		ck_assert_uint_eq(stack_stat(p.a, STAT_SACK_RECOVERY), 0);
	t0 = sim_now(p.sim) - t0;
	sim_free(p.sim);
	return t0;
}

START_TEST(two_stacks_clean_link_with_and_without_sack_arrive_intact)
{
	h = h_new();
	transfer(false, 0, false, 2 * 1024 * 1024);
	transfer(true, 0, false, 2 * 1024 * 1024);
}
END_TEST

START_TEST(two_stacks_random_loss_with_and_without_sack_arrive_intact)
{
	h = h_new();
	transfer(false, 20000, false, 2 * 1024 * 1024);
	transfer(true, 20000, false, 2 * 1024 * 1024);
}
END_TEST

/* Three holes in a window: SACK repairs them in one round trip, NewReno in three. */
START_TEST(two_stacks_three_holes_a_window_sack_is_faster_than_newreno)
{
	uint64_t with, without;

	h = h_new();
	with = transfer(false, 0, true, 8 * 1024 * 1024);
	without = transfer(true, 0, true, 8 * 1024 * 1024);
	ck_assert_uint_lt(with, without);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("sack");
	TCase *tc = tcase_create("sack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, listen_syn_with_sackok_gets_a_syn_ack_with_it);
	tcase_add_test(tc, listen_syn_without_sackok_gets_none_and_acks_carry_no_blocks);
	tcase_add_test(tc, no_sack_never_offers_nor_answers_sackok);
	tcase_add_test(tc, connect_syn_offers_sackok_as_linux_does);
	tcase_add_test(tc, sack_option_round_trips_through_the_wire_format);
	tcase_add_test(tc, established_several_holes_blocks_most_recent_first);
	tcase_add_test(tc, established_five_holes_report_the_four_most_recent);
	tcase_add_test(tc, established_duplicate_segment_is_reported_as_dsack);
	tcase_add_test(tc, established_duplicate_of_a_held_piece_is_dsack_then_its_piece);
	tcase_add_test(tc, established_sack_recovery_resends_three_holes_in_one_round_trip);
	tcase_add_test(tc, established_without_sack_newreno_resends_one_hole_per_round_trip);
	tcase_add_test(tc, established_dsack_received_is_counted_and_scoreboard_follows_snd_una);
	tcase_add_test(tc, established_timeout_clears_the_scoreboard_then_skips_what_is_sacked_again);
	tcase_add_test(tc, two_stacks_clean_link_with_and_without_sack_arrive_intact);
	tcase_add_test(tc, two_stacks_random_loss_with_and_without_sack_arrive_intact);
	tcase_add_test(tc, two_stacks_three_holes_a_window_sack_is_faster_than_newreno);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite()) ? 1 : 0;
}

/* tcp_invariant.c - the core's invariants, stated once. stack_invariant() checks one
 * condition at the line where it must hold (a ring write, reassembly, a segment about
 * to leave); stack_check() checks every TCB as a whole, and runs after every
 * stack_input and stack_poll in test and fuzz builds. A broken invariant is a bug:
 * in test and fuzz builds (INTERNAL_CHECKS) it stops the program at once, naming
 * itself; in release builds it is counted (STAT_INVARIANT), the packet or step at
 * hand is dropped (STAT_DROP_INVARIANT for a segment received), and the stack goes on.
 * Entry points: stack_invariant, stack_check. */
#include <stdio.h>
#include <stdlib.h>
#include "tcp_priv.h"

bool stack_invariant(struct stack *s, bool ok, const char *what)
{
	struct trace_event ev = { .kind = TRACE_DROP, .reason = STAT_INVARIANT, .cause = what };

	if (ok)
		return true;
	stat_inc(s, STAT_INVARIANT);
	stack_trace(s, &ev);
	if (s->internal_checks) {
		fprintf(stderr, "tuntcp: invariant broken: %s\n", what);   /* as assert() would */
		abort();
	}
	return false;
}

/* Each check: the condition and what it says. */
#define CHECK(s, cond) stack_invariant((s), (cond), #cond)

static bool can_send(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_FIN_WAIT_1 ||
	       st == TCP_CLOSING || st == TCP_LAST_ACK;
}

/* A listener's queues: each child in one, counted right, within the backlog. */
static void check_listener(struct stack *s, const struct tcb *l)
{
	const struct listener *q = l->listen;
	int n = 0;

	for (const struct tcb *c = q->synq.head; c; c = c->qnext, n++)
		CHECK(s, c->parent == q && c->state == TCP_SYN_RECEIVED && !c->user_ref);
	CHECK(s, n == q->synq.n && n <= q->backlog);
	n = 0;
	for (const struct tcb *c = q->acceptq.head; c; c = c->qnext, n++)
		CHECK(s, c->parent == q && c->snd.syn_acked && !c->user_ref);
	CHECK(s, n == q->acceptq.n && n <= q->backlog + 1);
}

/* Sequence variables in order, the queues consistent with them (3.3.1). */
static void check_snd(struct stack *s, const struct tcb *t)
{
	uint32_t data_end = t->snd.data_seq + t->snd.q.len;

	CHECK(s, SEQ_LEQ(t->snd.una, t->snd.nxt));
	CHECK(s, SEQ_LEQ(t->snd.nxt, t->snd.max));
	CHECK(s, t->snd.mss > 0 && t->snd.q.len <= t->snd.q.cap);
	if (!t->snd.syn_acked) {
		CHECK(s, t->snd.una == t->snd.iss);    /* (after 2^31 bytes ISS is not comparable) */
		return;
	}
	CHECK(s, t->cc.cwnd > 0);
	CHECK(s, SEQ_LEQ(t->snd.data_seq, t->snd.una));
	CHECK(s, SEQ_LEQ(t->snd.max, data_end + 1));
	CHECK(s, t->fin_queued || SEQ_LEQ(t->snd.max, data_end));
}

static void check_rcv(struct stack *s, const struct tcb *t)
{
	uint32_t free = t->rcv.q.cap - t->rcv.q.len;

	CHECK(s, t->rcv.q.len <= t->rcv.q.cap);
	CHECK(s, t->rcv.n_ooo <= TCP_OOO_RANGES);
	if (t->rcv.ooo) {                           /* the SACK order lives with the pieces */
		const struct ooo_mem *m = (const struct ooo_mem *)t->rcv.ooo;
		CHECK(s, m->n_recent >= 0 && m->n_recent <= TCP_OOO_RANGES);
	}
	if (t->rcv.q.buf)
		CHECK(s, tcp_adv_left(t) <= free);      /* the window promised is buffer we have */
	for (int i = 0; i < t->rcv.n_ooo; i++) {
		const struct range *r = &t->rcv.ooo[i];
		CHECK(s, SEQ_GT(r->seq, t->rcv.nxt) && SEQ_GT(r->end, r->seq));
		CHECK(s, r->end - t->rcv.nxt <= free);
		CHECK(s, i == 0 || SEQ_GT(r->seq, t->rcv.ooo[i - 1].end));
		CHECK(s, !t->rcv.fin_pending || SEQ_LEQ(r->end, t->rcv.fin_seq));
	}
	CHECK(s, !t->rcv.fin_pending || SEQ_GT(t->rcv.fin_seq, t->rcv.nxt));
}

/* The SACK scoreboard (RFC 6675 3): ranges sent and not yet cumulatively ACKed, in
 * order, apart (touching ones merge); none without SACK. */
static void check_sack(struct stack *s, const struct tcb *t)
{
	CHECK(s, t->sack.n_sb >= 0 && t->sack.n_sb <= TCP_SACK_SCOREBOARD);
	CHECK(s, t->sack.ok || (t->sack.n_sb == 0 && !t->sack.dsack));
	for (int i = 0; i < t->sack.n_sb; i++) {
		const struct range *r = &t->sack.sb[i];
		CHECK(s, SEQ_GEQ(r->seq, t->snd.una) && SEQ_GT(r->end, r->seq));
		CHECK(s, SEQ_LEQ(r->end, t->snd.max));
		CHECK(s, i == 0 || SEQ_GT(r->seq, t->sack.sb[i - 1].end));
	}
}

/* Timers that must run: what is owed to the peer is retransmitted or probed, states
 * that end by a timer have it, an ACK owed has gone out or waits for its timer. */
static void check_timers(struct stack *s, const struct tcb *t)
{
	bool owe = t->snd.q.len || (t->fin_queued && !tcp_fin_acked(t)) || t->snd.una != t->snd.max;

	if (t->state == TCP_TIME_WAIT)
		CHECK(s, t->timer.timewait && !t->timer.rexmt && !t->timer.persist);
	if (t->state == TCP_SYN_SENT || t->state == TCP_SYN_RECEIVED)
		CHECK(s, t->timer.rexmt != 0);
	if (can_send(t->state) && owe)
		CHECK(s, t->timer.rexmt || t->timer.persist);
	if (t->state != TCP_SYN_SENT) {
		CHECK(s, !t->ack_now);
		CHECK(s, !t->rcv.unacked || t->timer.delack);
	}
	CHECK(s, !t->timer.delack || t->timer.delack <= s->now + TCP_DELACK_MS * 1000ull);
}

/* Its place in the timer heap (stack.c) is its next deadline: else a timer could be
 * missed. Checked once it is settled. */
static void check_heap(struct stack *s, const struct tcb *t)
{
	uint64_t at = tcp_next_deadline(t);
	uint32_t i = t->heap_i - 1;

	if (!t->heap_i) {
		CHECK(s, at == UINT64_MAX);
		return;
	}
	CHECK(s, i < s->n_heap && s->heap[i].tcb == t && s->heap[i].at == at);
	CHECK(s, i == 0 || s->heap[(i - 1) / 2].at <= at);
}

static void check_tcb(struct stack *s, int h, const struct tcb *t)
{
	CHECK(s, t->handle == h);
	CHECK(s, !t->rcv.q.buf || t->rcv.q.len || t->rcv.n_ooo || t->touched);   /* drained: given back */
	CHECK(s, !t->snd.q.buf || t->snd.q.len || t->touched);
	CHECK(s, !t->rcv.n_ooo == !t->rcv.ooo || t->touched);
	CHECK(s, !t->cc.cubic || s->cfg.cc == STACK_CC_CUBIC);   /* NewReno needs no CUBIC state */
	CHECK(s, !t->rack.log || t->rack.on);                    /* a log only with RACK on */
	if (t->state == TCP_CLOSED) {
		CHECK(s, t->user_ref);                  /* else it was freed */
		CHECK(s, tcp_next_deadline(t) == UINT64_MAX);
		return;
	}
	if (!t->user_ref && !t->parent)
		CHECK(s, tcp_next_deadline(t) != UINT64_MAX);   /* an orphan ends by a timer */
	if (t->listen) {
		check_listener(s, t);
		return;
	}
	check_snd(s, t);
	check_rcv(s, t);
	check_sack(s, t);
	check_timers(s, t);
}

/* Every TCB, between two calls into the core; the table's bookkeeping. */
void stack_check(struct stack *s)
{
	uint32_t n = 0;

	for (uint32_t h = 0; h < s->cap; h++) {
		if (!s->conns[h])
			continue;
		n++;
		check_tcb(s, (int)h, s->conns[h]);
		if (!s->conns[h]->touched)
			check_heap(s, s->conns[h]);
	}
	CHECK(s, n == s->n_conns && n + s->n_spare == s->cap && n <= s->cfg.max_conns);
}

/* The TCBs the call in progress touched: in a large table, the only ones that changed. */
void stack_check_touched(struct stack *s)
{
	for (uint32_t i = 0; i < s->n_touched; i++) {
		const struct tcb *t = s->conns[s->touched[i]];
		if (t && t->touched)
			check_tcb(s, s->touched[i], t);
	}
}

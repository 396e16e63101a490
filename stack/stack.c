/* stack.c - struct stack and the core's entry points: stack_new, stack_input,
 * stack_poll, stack_next_deadline; emit, trace and drop helpers used by the
 * rest of stack/. Every entry point records `now` for the code below it, and ends
 * by settling the TCBs it touched (stack_settle).
 * Timers cost no scan of the table: the TCBs with a timer armed sit in a binary
 * min-heap keyed by their next deadline (tcp_next_deadline). stack_next_deadline
 * reads its top, O(1); stack_poll takes off the top the TCBs whose time has come,
 * O(log n) each; a TCB whose timers a call changed moves in the heap when the call
 * settles it, O(log n). Thousands of idle connections cost nothing per call. */
#include <stdlib.h>
#include <string.h>
#include "tcp_priv.h"

static const char *const stat_names[STAT_COUNT] = {
	[STAT_IP_IN] = "ip packets received",
	[STAT_IP_OUT] = "ip packets sent",
	[STAT_TCP_IN] = "tcp segments received",
	[STAT_TCP_OUT] = "tcp segments sent",
	[STAT_ICMP_ECHO] = "icmp echo requests answered",
	[STAT_RST_SENT] = "tcp resets sent",
	[STAT_RETRANSMIT] = "tcp retransmissions",
	[STAT_CHALLENGE_ACK] = "tcp challenge acks sent",
	[STAT_RTO_TIMEOUT] = "tcp retransmission timeouts",
	[STAT_FAST_RETRANSMIT] = "tcp fast retransmits",
	[STAT_DUPACK] = "tcp duplicate acks received",
	[STAT_TCP_OOO_QUEUED] = "tcp segments queued out of order",
	[STAT_WINDOW_PROBE] = "tcp zero-window probes sent",
	[STAT_DELAYED_ACK] = "tcp delayed acks sent",
	[STAT_CHALLENGE_ACK_LIMITED] = "tcp challenge acks not sent (rate limit)",
	[STAT_OOW_ACK_LIMITED] = "tcp acks to out-of-window acks not sent (rate limit)",
	[STAT_SYNCOOKIE_SENT] = "tcp syn cookies sent",
	[STAT_SYNCOOKIE_OK] = "tcp connections from a syn cookie",
	[STAT_TCP_WSCALE_BIG] = "tcp window scale above 14 (used as 14)",
	[STAT_INVARIANT] = "invariants broken (a bug: please report it)",
	[STAT_ICMP_ERROR] = "icmp errors taken by a connection",
	[STAT_ICMP_UNREACH_SENT] = "icmp protocol unreachable sent",
	[STAT_ICMP_RATE_LIMITED] = "icmp errors not sent (rate limit)",
	[STAT_SACK_RECOVERY] = "tcp sack loss recoveries",
	[STAT_SACK_RETRANSMIT] = "tcp holes resent by sack recovery",
	[STAT_DSACK_SENT] = "tcp d-sack blocks sent",
	[STAT_DSACK_RCVD] = "tcp d-sack blocks received",
	[STAT_TS_PAWS_IDLE] = "tcp ts.recent invalid after 24 days idle",
	[STAT_RACK_LOSS] = "tcp segments deemed lost by rack",
	[STAT_TLP_PROBE] = "tcp tail loss probes sent",
	[STAT_TLP_LOSS] = "tcp losses repaired by a tail loss probe",
	[STAT_SPURIOUS_UNDO] = "tcp window reductions undone (spurious)",
	[STAT_TABLE_FULL] = "tcp syns that found the connection table full",
	[STAT_ACK_BURST] = "tcp acks held to the end of a burst",
	[STAT_DROP_IP_SHORT] = "ip packet shorter than its header",
	[STAT_DROP_IP_VERSION] = "ip version is not 4",
	[STAT_DROP_IP_IHL] = "ip header length invalid",
	[STAT_DROP_IP_LEN] = "ip total length invalid",
	[STAT_DROP_IP_CSUM] = "ip header checksum",
	[STAT_DROP_IP_FRAG] = "ip fragment (not supported)",
	[STAT_DROP_IP_NOT_US] = "ip destination not ours",
	[STAT_DROP_IP_SRC] = "ip source invalid",
	[STAT_DROP_IP_PROTO] = "ip protocol not supported",
	[STAT_DROP_ICMP_SHORT] = "icmp too short",
	[STAT_DROP_ICMP_CSUM] = "icmp checksum",
	[STAT_DROP_ICMP_TYPE] = "icmp type not supported",
	[STAT_DROP_ICMP_QUENCH] = "icmp source quench (ignored)",
	[STAT_DROP_ICMP_QUOTE] = "icmp error quotes no header of ours",
	[STAT_DROP_ICMP_NO_CONN] = "icmp error for no connection",
	[STAT_DROP_ICMP_SEQ] = "icmp error outside the send window",
	[STAT_DROP_TCP_SHORT] = "tcp segment shorter than its header",
	[STAT_DROP_TCP_OFF] = "tcp data offset invalid",
	[STAT_DROP_TCP_CSUM] = "tcp checksum",
	[STAT_DROP_TCP_OPT] = "tcp option malformed",
	[STAT_DROP_TCP_PORT0] = "tcp port 0",
	[STAT_DROP_TCP_FLAGS] = "tcp illegal flag combination",
	[STAT_DROP_TCP_NO_CONN] = "tcp no connection (reset sent, except to a reset)",
	[STAT_DROP_TCP_LISTEN] = "tcp listen, not a SYN",
	[STAT_DROP_TCP_SYNQ_FULL] = "tcp listen, half-open queue full",
	[STAT_DROP_TCP_ACCEPTQ_FULL] = "tcp listen, accept queue full",
	[STAT_DROP_TCP_COOKIE] = "tcp listen, ack is no valid syn cookie",
	[STAT_DROP_TCP_NOMEM] = "tcp no memory, or no room in the table for a cookie's connection",
	[STAT_DROP_TCP_SYN_SENT] = "tcp syn-sent, unacceptable",
	[STAT_DROP_TCP_SEQ] = "tcp sequence outside window",
	[STAT_DROP_TCP_RST] = "tcp reset not acceptable",
	[STAT_DROP_TCP_SYN] = "tcp syn in synchronized state",
	[STAT_DROP_TCP_NO_ACK] = "tcp no ack bit",
	[STAT_DROP_TCP_ACK] = "tcp ack unacceptable",
	[STAT_DROP_TCP_OOO] = "tcp out-of-order queue full",
	[STAT_DROP_TCP_PAWS] = "tcp old timestamp (paws)",
	[STAT_DROP_TCP_NO_TS] = "tcp no timestamp",
	[STAT_DROP_TCP_STATE] = "tcp nothing to do in this state",
	[STAT_DROP_INVARIANT] = "tcp taking it would break an invariant (a bug)",
};

const char *stat_name(enum stat_id st)
{
	return (unsigned)st < STAT_COUNT && stat_names[st] ? stat_names[st] : "?";
}

struct stack *stack_new(const struct stack_config *cfg, const struct stack_env *env)
{
	struct stack *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->env = *env;
#ifdef INTERNAL_CHECKS
	s->internal_checks = true;                  /* test and fuzz builds: stop at a broken one */
#endif
	if (!s->cfg.mtu)
		s->cfg.mtu = STACK_MTU;
	if (!s->cfg.rcvbuf)
		s->cfg.rcvbuf = TCP_RCVBUF;
	if (s->cfg.rcvbuf > (s->cfg.no_wscale ? TCP_RCVBUF : TCP_RCVBUF_MAX))
		s->cfg.rcvbuf = s->cfg.no_wscale ? TCP_RCVBUF : TCP_RCVBUF_MAX;
	while ((s->cfg.rcvbuf >> s->wscale) > 65535)
		s->wscale++;                             /* RFC 7323 2.3: the smallest that says it */
	if (!s->cfg.msl_ms)
		s->cfg.msl_ms = TCP_DEFAULT_MSL_MS;
	s->mss = (uint16_t)(s->cfg.mtu - IP_HDR_LEN - TCP_HDR_LEN);   /* MMS_R - 20 (MUST-67) */
	s->ip_id = (uint16_t)env->rand(env->ctx);
	for (int i = 0; i < 16; i += 4) {            /* RFC 6528: secrets, once per run (MUST-9) */
		put32(s->isn_key + i, env->rand(env->ctx));
		put32(s->cookie_key + i, env->rand(env->ctx));
	}
	s->next_port = (uint16_t)(TCP_EPHEMERAL_LO +
		env->rand(env->ctx) % (TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO + 1));
	if (tcb_table_init(s)) {
		stack_free(s);
		return NULL;
	}
	return s;
}

void stack_free(struct stack *s)
{
	if (!s)
		return;
	tcb_table_free(s);
	free(s);
}

bool stack_tracing(const struct stack *s, enum trace_kind kind)
{
	return s->env.trace && (!s->env.trace_kinds || (s->env.trace_kinds & 1u << kind));
}

void stack_trace(struct stack *s, struct trace_event *ev)
{
	ev->now = s->now;
	if (s->env.trace)
		s->env.trace(s->env.ctx, ev);
}

/* s->out[0..len) leaves; `rexmt` says whether (and how) it is a retransmission. */
void stack_emit(struct stack *s, size_t len, const struct tcb *tcb, int rexmt)
{
	struct trace_event ev = { .kind = TRACE_SEG_OUT, .pkt = s->out, .len = len, .rexmt = rexmt };

	if (tcb && tcb->snd.syn_acked) {               /* -v shows the windows it was sent with */
		ev.cwnd = tcb->cc.cwnd;
		ev.ssthresh = tcb->cc.ssthresh;
		ev.rto_ms = tcb->timer.rto_fired_ms;
	}
	if (tcb && tcb->rcv.wscale && !(s->out[IP_HDR_LEN + 13] & TH_SYN))   /* tcpdump: raw */
		ev.scaled_wnd = (uint32_t)get16(s->out + IP_HDR_LEN + 14) << tcb->rcv.wscale;

	stat_inc(s, STAT_IP_OUT);
	stack_trace(s, &ev);
	s->env.emit(s->env.ctx, s->out, len);
}

void stack_drop(struct stack *s, enum stat_id reason, const uint8_t *pkt, size_t len)
{
	struct trace_event ev = { .kind = TRACE_DROP, .reason = reason, .pkt = pkt, .len = len };

	stat_inc(s, reason);
	stack_trace(s, &ev);
}

/* ---- the timer heap: heap[0] has the earliest deadline; tcb->heap_i is 1 + its index ---- */

static void heap_put(struct stack *s, uint32_t i, struct timer_node n)
{
	s->heap[i] = n;
	n.tcb->heap_i = i + 1;
}

static void heap_up(struct stack *s, uint32_t i)
{
	struct timer_node n = s->heap[i];

	for (uint32_t p; i > 0 && s->heap[p = (i - 1) / 2].at > n.at; i = p)
		heap_put(s, i, s->heap[p]);
	heap_put(s, i, n);
}

static void heap_down(struct stack *s, uint32_t i)
{
	struct timer_node n = s->heap[i];

	for (uint32_t c; (c = 2 * i + 1) < s->n_heap; i = c) {
		if (c + 1 < s->n_heap && s->heap[c + 1].at < s->heap[c].at)
			c++;
		if (s->heap[c].at >= n.at)
			break;
		heap_put(s, i, s->heap[c]);
	}
	heap_put(s, i, n);
}

/* The TCB's next deadline is `at` (UINT64_MAX: none): it enters, moves in or leaves
 * the heap. The heap has room for every TCB of the table. */
void timer_heap_set(struct stack *s, struct tcb *tcb, uint64_t at)
{
	uint32_t i = tcb->heap_i - 1;

	if (!tcb->heap_i) {
		if (at == UINT64_MAX)
			return;
		i = s->n_heap++;
	} else if (at == UINT64_MAX) {
		tcb->heap_i = 0;
		if (i == --s->n_heap)
			return;
		heap_put(s, i, s->heap[s->n_heap]);  /* the last one fills the hole */
		at = s->heap[i].at;
		tcb = s->heap[i].tcb;
	}
	heap_put(s, i, (struct timer_node){ at, tcb });
	heap_up(s, i);
	heap_down(s, tcb->heap_i - 1);
}

/* A TCB the call touched: its timers, its drained buffers given back, its invariants. */
static void settle_tcb(struct stack *s, struct tcb *t)
{
	t->touched = false;
	tcb_rings_put(s, t);
	timer_heap_set(s, t, tcp_next_deadline(t));
	if (s->env.changed) {
		s->env.changed(s->env.ctx, t->handle);
		if (t->parent)                      /* it may have joined the accept queue */
			s->env.changed(s->env.ctx, t->parent->handle);
	}
}

/* The end of every call into the core: each TCB it touched is settled. */
void stack_settle(struct stack *s)
{
	if (s->touch_overflow) {
		if (s->env.changed)
			s->env.changed(s->env.ctx, -1);
		for (uint32_t h = 0; h < s->cap; h++)
			if (s->conns[h])
				settle_tcb(s, s->conns[h]);
	} else {
		for (uint32_t i = 0; i < s->n_touched; i++) {
			struct tcb *t = s->conns[s->touched[i]];
			if (t && t->touched)
				settle_tcb(s, t);
		}
	}
	s->n_touched = 0;
	s->touch_overflow = false;
}

/* After stack_input and stack_poll: settle, then (test builds) check what may have
 * changed: every TCB while the table is small, else those the call touched. */
static void stack_step_done(struct stack *s)
{
	if (s->internal_checks && s->n_conns > STACK_CHECK_ALL)
		stack_check_touched(s);
	stack_settle(s);
	if (s->internal_checks && s->n_conns <= STACK_CHECK_ALL)
		stack_check(s);
}

void stack_input(struct stack *s, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct trace_event ev = { .kind = TRACE_SEG_IN, .pkt = pkt, .len = len };

	s->now = now;
	stat_inc(s, STAT_IP_IN);
	stack_trace(s, &ev);
	ip_input(s, pkt, len);
	stack_step_done(s);
}

void stack_burst_begin(struct stack *s)
{
	s->in_burst = s->cfg.ack_burst;
	s->n_burst = 0;
}

/* May tcb's ACK wait for the end of the burst? Yes if it is on the list, or now joins it. */
bool stack_burst_hold(struct stack *s, const struct tcb *tcb)
{
	if (!s->in_burst)
		return false;
	for (uint32_t i = 0; i < s->n_burst; i++)
		if (s->burst[i] == tcb->handle)
			return true;
	if (s->n_burst == STACK_BURST_HOLD)
		return false;
	s->burst[s->n_burst++] = tcb->handle;
	stat_inc(s, STAT_ACK_BURST);
	return true;
}

/* The burst is over: each connection that held its ACK sends it now (with data, if
 * it has some to send), unless something sent it meanwhile. */
void stack_burst_end(struct stack *s, uint64_t now)
{
	s->in_burst = false;
	if (!s->n_burst)
		return;
	s->now = now;
	for (uint32_t i = 0; i < s->n_burst; i++) {
		struct tcb *t = s->conns[s->burst[i]];
		if (!t || !t->rcv.unacked)
			continue;
		tcb_touch(s, t);
		t->ack_now = true;
		tcp_output(s, t);
	}
	s->n_burst = 0;
	stack_step_done(s);
}

/* The TCBs whose time has come leave the heap one by one, earliest first; their
 * timers run; settling puts them back with their next deadline. */
void stack_poll(struct stack *s, uint64_t now)
{
	s->now = now;
	while (s->n_heap && s->heap[0].at <= now) {
		struct tcb *t = s->heap[0].tcb;
		timer_heap_set(s, t, UINT64_MAX);
		tcb_touch(s, t);
		tcp_timers(s, t);                    /* may free it */
	}
	stack_step_done(s);
}

uint64_t stack_next_deadline(const struct stack *s)
{
	return s->n_heap ? s->heap[0].at : UINT64_MAX;
}

uint64_t stack_stat(const struct stack *s, enum stat_id st)
{
	return (unsigned)st < STAT_COUNT ? s->stats[st] : 0;
}

uint32_t stack_addr(const struct stack *s)
{
	return s->cfg.addr;
}

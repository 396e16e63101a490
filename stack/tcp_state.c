/* tcp_state.c - the one place where a connection changes state (tcp_set_state),
 * which also traces the change and does what entering a state implies: timers for
 * TIME-WAIT, the accept queue for a passive ESTABLISHED, stopping timers at CLOSED.
 * RFC 9293 3.3.2 (state names), 3.6 (closing), 3.10.7 (transitions). */
#include "tcp_priv.h"

static const char *const state_names[TCP_NSTATES] = {
	"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state st)
{
	return (unsigned)st < TCP_NSTATES ? state_names[st] : "?";
}

void tcp_trace_conn(struct stack *s, const struct tcb *tcb, enum trace_kind kind, const char *cause)
{
	struct trace_event ev = {
		.kind = kind, .cause = cause, .from = tcb->state, .to = tcb->state,
		.conn = { tcb->laddr, tcb->raddr, tcb->lport, tcb->rport },
		.cwnd = tcb->cc.cwnd, .ssthresh = tcb->cc.ssthresh,
	};
	stack_trace(s, &ev);
}

/* The time spent in the state being left (in ms, as the summary line prints it; a
 * state is entered once in a connection's life), and what the path says about the close. */
static void summary_step(struct stack *s, struct tcb *tcb, enum tcp_state to)
{
	struct tcb_life *m = &tcb->sum;

	if (m->since) {
		m->in_state_ms[tcb->state] += (uint32_t)((s->now - m->since) / 1000);
		m->visited |= (uint16_t)(1u << tcb->state);
	}
	m->since = s->now ? s->now : 1;
	if (!m->born)
		m->born = m->since;
	m->via_closing |= to == TCP_CLOSING;
	m->fin_ack_merged |= tcb->state == TCP_FIN_WAIT_1 && to == TCP_TIME_WAIT;
}

/* A connection ends: its summary line, built from its life (struct tcb_life). Not for
 * a listener, nor for a half-open child that never was a connection (it "returns to
 * LISTEN"). */
static void summary_trace(struct stack *s, struct tcb *tcb, enum tcp_state from, const char *cause)
{
	const struct tcb_life *l = &tcb->sum;
	struct trace_summary m = {
		.ended_in = from, .cause = cause, .first_fin = l->first_fin,
		.via_closing = l->via_closing, .fin_ack_merged = l->fin_ack_merged,
		.half_close = l->half_close, .passive = tcb->passive, .since = l->since,
		.lifetime_us = l->born ? s->now - l->born : 0, .visited = l->visited,
		.bytes_out = l->bytes_out, .bytes_in = l->bytes_in,
		.segs_out = l->segs_out, .segs_in = l->segs_in,
		.rexmt_timeout = l->rexmt_timeout, .rexmt_fast = l->rexmt_fast,
		.rtt_min_us = l->rtt_min_us, .srtt_us = tcb->rtt.valid ? tcb->rtt.srtt_us : 0,
		.rto_ms = tcb->timer.rto_ms, .cwnd = tcb->cc.cwnd,
	};
	struct trace_event ev = {
		.kind = TRACE_SUMMARY, .from = from, .to = TCP_CLOSED, .sum = &m,
		.conn = { tcb->laddr, tcb->raddr, tcb->lport, tcb->rport },
	};

	for (int i = 0; i < TCP_NSTATES; i++)
		m.in_state[i] = l->in_state_ms[i] * 1000ull;
	stack_trace(s, &ev);
}

/* FIN-WAIT-1/2, CLOSING, LAST-ACK: a user's CLOSE still at work (tcp_closing_count). */
static bool closing(enum tcp_state st)
{
	return st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2 || st == TCP_CLOSING ||
	       st == TCP_LAST_ACK;
}

void tcp_set_state(struct stack *s, struct tcb *tcb, enum tcp_state to,
		   const char *cause, const char *rfc)
{
	enum tcp_state from = tcb->state;
	uint64_t twait = (uint64_t)s->cfg.msl_ms * 2 * 1000;
	struct trace_event ev = {
		.kind = TRACE_STATE, .from = tcb->state, .to = to, .cause = cause, .rfc = rfc,
		.conn = { tcb->laddr, tcb->raddr, tcb->lport, tcb->rport },
		.duration = to == TCP_TIME_WAIT ? twait : 0,
	};

	stack_trace(s, &ev);
	summary_step(s, tcb, to);
	s->n_closing += closing(to) - closing(from);
	tcb->state = to;
	switch (to) {
	case TCP_ESTABLISHED:
		listener_established(tcb);
		break;
	case TCP_FIN_WAIT_2:
		tcp_orphan_timer(s, tcb);
		break;
	case TCP_TIME_WAIT:
		tcb->timer.rexmt = tcb->timer.persist = tcb->timer.delack = 0;
		tcb->timer.timewait = s->now + twait;   /* 2*MSL (MUST-13) */
		break;
	case TCP_LISTEN:
		if (!tcb->passive)
			break;
		/* a passive child in SYN-RECEIVED "returns to LISTEN": its listener
		 * goes on listening, the child itself is deleted */
		tcb->state = TCP_CLOSED;
		/* fall through */
	case TCP_CLOSED:
		tcb->timer.rexmt = tcb->timer.persist = tcb->timer.timewait = tcb->timer.delack = 0;
		if (to == TCP_CLOSED && !tcb->listen && from != TCP_LISTEN)
			summary_trace(s, tcb, from, cause);
		break;
	default:
		break;
	}
}

/* The connection ends with an error the user will see (-ECONNRESET, ...): aborted,
 * not closed (MUST-12). */
void tcp_fail(struct stack *s, struct tcb *tcb, int err, const char *cause, const char *rfc)
{
	tcb->error = err;
	tcp_set_state(s, tcb, TCP_CLOSED, cause, rfc);
}

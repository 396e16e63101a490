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

/* The time spent in the state being left, and what the path says about the close. */
static void summary_step(struct stack *s, struct tcb *tcb, enum tcp_state to)
{
	struct trace_summary *m = &tcb->sum;

	if (m->since) {
		m->in_state[tcb->state] += s->now - m->since;
		m->visited |= 1u << tcb->state;
	}
	m->since = s->now ? s->now : 1;
	m->via_closing |= to == TCP_CLOSING;
	m->fin_ack_merged |= tcb->state == TCP_FIN_WAIT_1 && to == TCP_TIME_WAIT;
	m->passive = tcb->passive;
}

/* A connection ends: its summary line. Not for a listener, nor for a half-open child
 * that never was a connection (it "returns to LISTEN"). */
static void summary_trace(struct stack *s, struct tcb *tcb, enum tcp_state from, const char *cause)
{
	struct trace_summary *m = &tcb->sum;
	struct trace_event ev = {
		.kind = TRACE_SUMMARY, .from = from, .to = TCP_CLOSED, .sum = m,
		.conn = { tcb->laddr, tcb->raddr, tcb->lport, tcb->rport },
	};

	m->ended_in = from;
	m->cause = cause;
	m->lifetime_us = 0;
	for (int i = 0; i < TCP_NSTATES; i++)
		m->lifetime_us += m->in_state[i];
	m->srtt_us = tcb->rtt.valid ? tcb->rtt.srtt_us : 0;
	m->rto_ms = tcb->timer.rto_ms;
	m->cwnd = tcb->cc.cwnd;
	stack_trace(s, &ev);
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

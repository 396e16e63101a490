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

void tcp_set_state(struct stack *s, struct tcb *tcb, enum tcp_state to,
		   const char *cause, const char *rfc)
{
	uint64_t twait = (uint64_t)s->cfg.msl_ms * 2 * 1000;
	struct trace_event ev = {
		.kind = TRACE_STATE, .from = tcb->state, .to = to, .cause = cause, .rfc = rfc,
		.conn = { tcb->laddr, tcb->raddr, tcb->lport, tcb->rport },
		.duration = to == TCP_TIME_WAIT ? twait : 0,
	};

	stack_trace(s, &ev);
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
		tcb->timer.timewait = s->now + twait;
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
		break;
	default:
		break;
	}
}

/* The connection ends with an error the user will see (-ECONNRESET, ...). */
void tcp_fail(struct stack *s, struct tcb *tcb, int err, const char *cause, const char *rfc)
{
	tcb->error = err;
	tcp_set_state(s, tcb, TCP_CLOSED, cause, rfc);
}

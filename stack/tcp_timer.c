/* tcp_timer.c - timers as absolute deadlines: retransmission (RFC 9293 3.8.1,
 * RFC 6298 5: back off by doubling, give up after a bounded number of tries),
 * persist (zero-window probes, 3.8.6.1), TIME-WAIT (2*MSL, 3.10.8) and the
 * FIN-WAIT-2 timeout of a closed connection (which shares TIME-WAIT's deadline).
 * Entry points: tcp_timers, tcp_next_deadline, tcp_rexmt_arm, tcp_rexmt_restart. */
#include <errno.h>
#include "tcp_priv.h"

static uint64_t earliest(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	return (!b || a < b) ? a : b;
}

uint64_t tcp_next_deadline(const struct tcb *tcb)
{
	uint64_t t = earliest(earliest(tcb->t_rexmt, tcb->t_persist), tcb->t_timewait);

	return t ? t : UINT64_MAX;
}

void tcp_rexmt_arm(struct stack *s, struct tcb *tcb)
{
	if (!tcb->t_rexmt)
		tcb->t_rexmt = s->now + (uint64_t)tcb->rto_ms * 1000;
}

/* New data was acknowledged: forget the backoff, time what is still in flight. */
void tcp_rexmt_restart(struct stack *s, struct tcb *tcb)
{
	tcb->rexmt_count = 0;
	tcb->rto_ms = TCP_RTO_INITIAL_MS;    /* RTT estimation (RFC 6298 2): not yet */
	tcb->t_rexmt = 0;
	if (tcb->snd_una != tcb->snd_max)
		tcp_rexmt_arm(s, tcb);
}

static void tcp_rexmt_timeout(struct stack *s, struct tcb *tcb)
{
	bool handshake = tcb->state == TCP_SYN_SENT || tcb->state == TCP_SYN_RECEIVED;
	int limit = handshake ? TCP_SYN_RETRIES : TCP_DATA_RETRIES;

	tcb->t_rexmt = 0;
	if (tcb->rexmt_count >= limit) {
		if (tcb->state == TCP_SYN_RECEIVED && tcb->passive)
			tcp_set_state(s, tcb, TCP_LISTEN, "SYN-ACK never acknowledged", "3.8.3");
		else
			tcp_fail(s, tcb, -ETIMEDOUT, "retransmission timeout, gave up", "3.8.3");
		return;
	}
	tcb->rexmt_count++;
	tcb->rto_ms = tcb->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : tcb->rto_ms * 2;
	tcp_trace_conn(s, tcb, TRACE_TIMER, "retransmission timeout");
	tcb->snd_nxt = tcb->snd_una;             /* go back: resend from the oldest byte */
	tcp_output(s, tcb);
}

static void tcp_persist_timeout(struct stack *s, struct tcb *tcb)
{
	if (tcb->probes++ >= TCP_DATA_RETRIES) {     /* nobody answers probes: gone (as Linux) */
		tcp_fail(s, tcb, -ETIMEDOUT, "zero-window probes unanswered, gave up", "3.8.6.1");
		return;
	}
	tcp_trace_conn(s, tcb, TRACE_TIMER, "persist timeout, window probe");
	tcb->rto_ms = tcb->rto_ms * 2 > TCP_PERSIST_MAX_MS ? TCP_PERSIST_MAX_MS : tcb->rto_ms * 2;
	tcb->t_persist = s->now + (uint64_t)tcb->rto_ms * 1000;
	tcp_output_probe(s, tcb);
}

/* A connection its user closed that sits in FIN-WAIT-2 waits for the peer's FIN
 * for TCP_FIN_WAIT_2_MS only, as Linux does; the peer may never send it. */
void tcp_orphan_timer(struct stack *s, struct tcb *tcb)
{
	if (tcb->state == TCP_FIN_WAIT_2 && tcb->user_closed && !tcb->t_timewait)
		tcb->t_timewait = s->now + (uint64_t)TCP_FIN_WAIT_2_MS * 1000;
}

void tcp_timers(struct stack *s, struct tcb *tcb)
{
	if (tcb->t_timewait && s->now >= tcb->t_timewait)
		tcp_set_state(s, tcb, TCP_CLOSED, tcb->state == TCP_TIME_WAIT ? "2*MSL timeout" :
			      "FIN-WAIT-2 timeout, closed by its user", "3.10.8");
	if (tcb->t_rexmt && s->now >= tcb->t_rexmt)
		tcp_rexmt_timeout(s, tcb);
	if (tcb->t_persist && s->now >= tcb->t_persist)
		tcp_persist_timeout(s, tcb);
	tcb_maybe_free(s, tcb);
}

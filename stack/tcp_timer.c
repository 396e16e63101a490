/* tcp_timer.c - timers as absolute deadlines, and the round-trip time they need:
 * RTT measurement and the retransmission timeout (RFC 6298: SRTT, RTTVAR, Karn's
 * rule, backoff by doubling, give up after a bounded number of tries), persist
 * (zero-window probes with their own backoff, RFC 9293 3.8.6.1), delayed ACK
 * (3.8.6.3), TIME-WAIT (2*MSL, 3.10.8) and the FIN-WAIT-2 timeout of a closed
 * connection (which shares TIME-WAIT's deadline). RACK-TLP's reordering timer and
 * probe timeout are tcp_rack.c's: they fire from here, before the RTO.
 * Entry points: tcp_timers, tcp_next_deadline, tcp_rexmt_arm, tcp_rexmt_restart,
 * tcp_rtt_start, tcp_rtt_ack, tcp_delack, tcp_orphan_timer. */
#include <errno.h>
#include <stdio.h>
#include "tcp_priv.h"

static uint64_t earliest(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	return (!b || a < b) ? a : b;
}

uint64_t tcp_next_deadline(const struct tcb *tcb)
{
	uint64_t t = earliest(earliest(tcb->timer.rexmt, tcb->timer.persist),
			      earliest(tcb->timer.timewait, tcb->timer.delack));

	t = earliest(t, tcb->rack.timer);            /* RACK's reordering timer or TLP's PTO */

	return t ? t : UINT64_MAX;
}

/* ---- round-trip time, RFC 6298 ---- */

/* A segment starting at `seq` goes out for the first time: time it, unless one is
 * being timed already. */
void tcp_rtt_start(struct stack *s, struct tcb *tcb, uint32_t seq)
{
	if (tcb->rtt.timing)
		return;
	tcb->rtt.timing = true;
	tcb->rtt.seq = seq;
	tcb->rtt.start = s->now;
}

/* RFC 6298 2.2, 2.3 and (2.4, 2.5) the bounds (MUST-18). */
static void tcp_rtt_sample(struct tcb *tcb, uint32_t r)
{
	/* LAB impl-rto: BEGIN */
	uint32_t err, rto_us;

	if (!tcb->rtt.valid || r < tcb->sum.rtt_min_us)
		tcb->sum.rtt_min_us = r;
	if (!tcb->rtt.valid) {
		tcb->rtt.srtt_us = r;
		tcb->rtt.rttvar_us = r / 2;
		tcb->rtt.valid = true;
	} else {
		err = tcb->rtt.srtt_us > r ? tcb->rtt.srtt_us - r : r - tcb->rtt.srtt_us;
		tcb->rtt.rttvar_us = tcb->rtt.rttvar_us - tcb->rtt.rttvar_us / 4 + err / 4;  /* beta 1/4 */
		tcb->rtt.srtt_us = tcb->rtt.srtt_us - tcb->rtt.srtt_us / 8 + r / 8;          /* alpha 1/8 */
	}
	rto_us = tcb->rtt.srtt_us + (4 * tcb->rtt.rttvar_us > TCP_CLOCK_G_US ? 4 * tcb->rtt.rttvar_us :
				 TCP_CLOCK_G_US);
	tcb->timer.rto_ms = (rto_us + 999) / 1000;
	if (tcb->timer.rto_ms < TCP_RTO_MIN_MS)
		tcb->timer.rto_ms = TCP_RTO_MIN_MS;
	if (tcb->timer.rto_ms > TCP_RTO_MAX_MS)
		tcb->timer.rto_ms = TCP_RTO_MAX_MS;
	/* LAB impl-rto: END */
}

/* An ACK moved SND.UNA to `ack`: if it covers the timed segment, that is a sample. */
void tcp_rtt_ack(struct stack *s, struct tcb *tcb, uint32_t ack)
{
	/* LAB impl-rto: BEGIN */
	if (!tcb->rtt.timing || !SEQ_GT(ack, tcb->rtt.seq))
		return;
	tcb->rtt.timing = false;
	/* LAB impl-rto: END */
	tcp_rtt_measured(s, tcb, s->now - tcb->rtt.start);
}

/* An RTT sample of r us (the timed segment's, or an echoed timestamp's: tcp_ts.c). */
void tcp_rtt_measured(struct stack *s, struct tcb *tcb, uint64_t r)
{
	r = r > UINT32_MAX / 8 ? UINT32_MAX / 8 : r;
	tcp_rtt_sample(tcb, (uint32_t)r);
	if (!stack_tracing(s, TRACE_RTT))
		return;                              /* nobody reads it: no text on every ACK */
	snprintf(s->note, sizeof(s->note), "sample %u.%03u ms: srtt %u.%03u ms, rttvar %u.%03u ms, "
		 "rto %u ms", (unsigned)r / 1000, (unsigned)r % 1000, tcb->rtt.srtt_us / 1000,
		 tcb->rtt.srtt_us % 1000, tcb->rtt.rttvar_us / 1000, tcb->rtt.rttvar_us % 1000,
		 tcb->timer.rto_ms);
	tcp_trace_conn(s, tcb, TRACE_RTT, s->note);
}

/* ---- retransmission ---- */

/* What a connection that gives up reports: the last ICMP soft error if there was one
 * (RFC 9293 SHLD-25, as Linux), else ETIMEDOUT. */
static int tcp_timeout_error(const struct tcb *tcb)
{
	return tcb->soft_error ? tcb->soft_error : -ETIMEDOUT;
}

void tcp_rexmt_arm(struct stack *s, struct tcb *tcb)
{
	if (!tcb->timer.rexmt)
		tcb->timer.rexmt = s->now + (uint64_t)tcb->timer.rto_ms * 1000;
}

/* New data was acknowledged (RFC 6298 5.3): restart the timer for what is still in
 * flight. The backed-off RTO stays until a new sample replaces it (Karn). */
void tcp_rexmt_restart(struct stack *s, struct tcb *tcb)
{
	tcb->timer.rexmt_count = 0;
	tcb->timer.rexmt = 0;
	if (tcb->snd.una != tcb->snd.max)
		tcp_rexmt_arm(s, tcb);
}

static void tcp_rexmt_timeout(struct stack *s, struct tcb *tcb)
{
	bool handshake = !tcb->snd.syn_acked;
	int limit = !handshake ? TCP_DATA_RETRIES : tcb->passive ? TCP_SYNACK_RETRIES :
		    TCP_SYN_RETRIES;

	tcb->timer.rexmt = 0;
	if (tcb->timer.rexmt_count >= limit) {       /* R2 (MUST-20), a SYN's too (MUST-22) */
		if (tcb->state == TCP_SYN_RECEIVED && tcb->passive)   /* MUST-11 */
			tcp_set_state(s, tcb, TCP_LISTEN, "SYN-ACK never acknowledged", "3.8.3");
		else
			tcp_fail(s, tcb, tcp_timeout_error(tcb), "retransmission timeout, gave up", "3.8.3");
		return;
	}
	stat_inc(s, STAT_RTO_TIMEOUT);
	snprintf(s->note, sizeof(s->note), "retransmission timeout (rto %u ms), rto now %u ms",
		 tcb->timer.rto_ms, tcb->timer.rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS :
		 tcb->timer.rto_ms * 2);
	tcp_trace_conn(s, tcb, TRACE_TIMER, s->note);
	if (!handshake) {
		tcp_cc_timeout(s, tcb);
		tcp_rack_rto(s, tcb);
	}
	tcb->timer.rexmt_count++;
	tcb->timer.rto_fired_ms = tcb->timer.rto_ms;
	/* exponential backoff (MUST-19) */
	tcb->timer.rto_ms = tcb->timer.rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS :
			    tcb->timer.rto_ms * 2;
	tcb->rtt.timing = false;                 /* Karn: never time a retransmission */
	tcb->snd.nxt = tcb->snd.una;             /* go back: resend from the oldest byte */
	tcp_output(s, tcb);
}

/* ---- persist, delayed ACK, TIME-WAIT, FIN-WAIT-2 ---- */

static void tcp_persist_timeout(struct stack *s, struct tcb *tcb)
{
	tcb->timer.persist = 0;
	/* exponential backoff (SHLD-30) */
	tcb->timer.persist_ms = tcb->timer.persist_ms * 2 > TCP_PERSIST_MAX_MS ? TCP_PERSIST_MAX_MS :
			  tcb->timer.persist_ms * 2;
	if (tcb->snd.wnd) {                      /* a small window: send what fits (3.8.6.2.1) */
		tcp_trace_conn(s, tcb, TRACE_TIMER, "persist timeout, send into the small window");
		tcp_output_forced(s, tcb);
		return;
	}
	if (tcb->timer.probes++ >= TCP_DATA_RETRIES) {     /* nobody answers probes: gone (as Linux) */
		tcp_fail(s, tcb, tcp_timeout_error(tcb), "zero-window probes unanswered, gave up",
			 "3.8.6.1");
		return;
	}
	tcp_trace_conn(s, tcb, TRACE_TIMER, "persist timeout, window probe");
	stat_inc(s, STAT_WINDOW_PROBE);
	tcb->timer.persist = s->now + (uint64_t)tcb->timer.persist_ms * 1000;
	tcp_output_probe(s, tcb);                    /* MUST-36 */
}

/* Data arrived in order: ACK it now if two full segments wait for their ACK
 * (RFC 9293 3.8.6.3: SHLD-19, MUST-58) - or at the end of the burst, with
 * cfg.ack_burst - else within TCP_DELACK_MS (SHLD-18), under half a second (MUST-40). */
void tcp_delack(struct stack *s, struct tcb *tcb)
{
	if (s->cfg.no_delayed_ack ||
	    (tcb->rcv.unacked >= 2u * tcb->snd.mss && !stack_burst_hold(s, tcb)))
		tcb->ack_now = true;
	else if (!tcb->timer.delack)
		tcb->timer.delack = s->now + TCP_DELACK_MS * 1000;
}

static void tcp_delack_timeout(struct stack *s, struct tcb *tcb)
{
	tcb->timer.delack = 0;
	stat_inc(s, STAT_DELAYED_ACK);
	tcp_send_ack(s, tcb);
}

/* A connection its user closed that sits in FIN-WAIT-2 waits for the peer's FIN
 * for TCP_FIN_WAIT_2_MS only, as Linux does; the peer may never send it. */
void tcp_orphan_timer(struct stack *s, struct tcb *tcb)
{
	if (tcb->state == TCP_FIN_WAIT_2 && tcb->user_closed && !tcb->timer.timewait)
		tcb->timer.timewait = s->now + (uint64_t)TCP_FIN_WAIT_2_MS * 1000;
}

void tcp_timers(struct stack *s, struct tcb *tcb)
{
	if (tcb->timer.timewait && s->now >= tcb->timer.timewait)
		tcp_set_state(s, tcb, TCP_CLOSED, tcb->state == TCP_TIME_WAIT ? "2*MSL timeout" :
			      "FIN-WAIT-2 timeout, closed by its user", tcb->state == TCP_TIME_WAIT ?
			      "3.10.8" : "Linux tcp_fin_timeout");
	if (tcb->timer.delack && s->now >= tcb->timer.delack)
		tcp_delack_timeout(s, tcb);
	if (tcb->rack.timer && s->now >= tcb->rack.timer)
		tcp_rack_timeout(s, tcb);            /* RFC 8985 6.3, 7.3 */
	if (tcb->timer.rexmt && s->now >= tcb->timer.rexmt)
		tcp_rexmt_timeout(s, tcb);
	if (tcb->timer.persist && s->now >= tcb->timer.persist)
		tcp_persist_timeout(s, tcb);
	if (tcb->state == TCP_CLOSED)
		tcp_rack_free(tcb);
	tcb_maybe_free(s, tcb);
}

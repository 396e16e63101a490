/* tcp_cc.c - congestion control: slow start and congestion avoidance (RFC 5681 3.1),
 * fast retransmit and fast recovery (RFC 5681 3.2) with NewReno's partial ACKs
 * (RFC 6582), or, when the peer permits SACK, loss recovery by RFC 6675 (the
 * scoreboard and NextSeg are tcp_sack.c's), and the loss window after a timeout. cwnd and ssthresh are in bytes,
 * SMSS is tcb->snd.mss. Every change worth seeing is traced ("cc: ..."). It only
 * decides: what to retransmit now is returned to the caller, which sends it.
 * Two algorithms (--cc, s->cfg.cc) share all of this and differ only in the few
 * functions under "the algorithm" below: NewReno, whose arithmetic is right there,
 * and CUBIC (RFC 9438, tcp_cubic.c), the default, as on Linux.
 * Entry points: tcp_cc_init, tcp_cc_ack, tcp_cc_dupack, tcp_cc_loss_detected, tcp_cc_timeout. */
#include <stdio.h>
#include "tcp_priv.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

uint32_t tcp_flight_size(const struct tcb *tcb)
{
	return tcb->snd.max - tcb->snd.una;
}

static void cc_trace(struct stack *s, struct tcb *tcb, const char *what)
{
	tcp_trace_conn(s, tcb, TRACE_CC, what);
}

/* RFC 5681 3.1: IW = min(4*SMSS, max(2*SMSS, 4380)). (If the SYN had to be sent
 * again, tcp_ack_advance makes it one segment when the handshake completes.) */
void tcp_cc_init(struct stack *s, struct tcb *tcb)
{
	uint32_t smss = tcb->snd.mss;

	(void)s;
	tcb->cc.cwnd = MIN(4 * smss, MAX(2 * smss, 4380u));
	tcb->cc.ssthresh = TCP_SSTHRESH_INIT;
	tcb->cc.recover = tcb->snd.iss;
	tcb->cc.dupacks = 0;
	tcb->cc.in_recovery = false;
	tcp_cubic_init(tcb);
}

/* ---- the algorithm: what NewReno and CUBIC do differently ---- */

/* CUBIC, with its state (allocated at its first use: tcp_cubic_get); without memory
 * for it, NewReno's arithmetic serves for this step. */
static bool cc_cubic(struct stack *s, struct tcb *tcb)
{
	return s->cfg.cc == STACK_CC_CUBIC && tcp_cubic_get(s, tcb);
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2*SMSS) */
static uint32_t cc_half_flight(const struct tcb *tcb)
{
	return MAX(tcp_flight_size(tcb) / 2, 2u * tcb->snd.mss);
}

/* A loss (3 duplicate ACKs, SACK, RACK): the new ssthresh. NewReno halves what is in
 * flight; CUBIC takes 0.7 of it and remembers the window it lost at (W_max). */
static uint32_t cc_loss_ssthresh(struct stack *s, struct tcb *tcb)
{
	return cc_cubic(s, tcb) ? tcp_cubic_loss(s, tcb) : cc_half_flight(tcb);
}

/* A retransmission timeout (the first for this data): the new ssthresh. */
static uint32_t cc_timeout_ssthresh(struct stack *s, struct tcb *tcb)
{
	return cc_cubic(s, tcb) ? tcp_cubic_timeout(s, tcb) : cc_half_flight(tcb);
}

/* Congestion avoidance: how many bytes an ACK of `acked` adds to cwnd. NewReno:
 * SMSS*SMSS/cwnd (RFC 5681 (3)), about one segment per round trip; CUBIC: what
 * its curve W_cubic(t) says (RFC 9438 4.2-4.5). */
static uint32_t cc_avoid(struct stack *s, struct tcb *tcb, uint32_t acked)
{
	if (cc_cubic(s, tcb))
		return tcp_cubic_avoid(s, tcb, acked);
	return MAX(1u, tcb->snd.mss * tcb->snd.mss / tcb->cc.cwnd);
}

/* Once recovery is over: was the reduction spurious (D-SACKs)? CUBIC undoes it
 * (RFC 9438 4.9); NewReno, the simple one, keeps it. (No CUBIC state: no reduction.) */
static void cc_undo(struct stack *s, struct tcb *tcb)
{
	if (s->cfg.cc == STACK_CC_CUBIC && tcb->cc.cubic)
		tcp_cubic_undo(s, tcb);
}

/* cwnd grows by at most `add`, and never past what could ever be in flight (the
 * send buffer): a flood of duplicate ACKs cannot make it wrap. */
static void cc_grow(struct tcb *tcb, uint32_t add)
{
	tcb->cc.cwnd = tcb->cc.cwnd + add > TCP_SNDBUF ? MAX(tcb->cc.cwnd, (uint32_t)TCP_SNDBUF) :
		    tcb->cc.cwnd + add;
}

/* ---- loss recovery with SACK, RFC 6675 5 ---- */

/* (4) Enter loss recovery: RecoveryPoint = HighData, ssthresh = cwnd = FlightSize/2
 * (4.2); the first segment presumed lost is resent by the caller (4.3), which then
 * sends while cwnd - pipe >= 1 SMSS (4.4, tcp_out.c). */
static enum cc_action cc_sack_enter(struct stack *s, struct tcb *tcb)
{
	tcb->cc.ssthresh = cc_loss_ssthresh(s, tcb);
	tcb->cc.cwnd = tcb->cc.ssthresh;
	tcb->cc.recover = tcb->snd.max;              /* RecoveryPoint */
	tcb->cc.in_recovery = true;
	tcb->sack.high_rxt = tcb->snd.una;
	stat_inc(s, STAT_FAST_RETRANSMIT);
	stat_inc(s, STAT_SACK_RECOVERY);
	cc_trace(s, tcb, "SACK: loss recovery (RFC 6675), resend the holes deemed lost");
	return CC_RETRANSMIT_UNA;
}

/* A duplicate ACK (RFC 6675 2: one that SACKs new data counts too). Recovery starts
 * on the DupThresh-th, or as soon as the first unacknowledged byte is deemed lost
 * (5 (2)), but not before SND.UNA passes the last RecoveryPoint (5.1). In recovery,
 * it changes nothing here: the pipe it shrank lets more go. */
static enum cc_action cc_sack_dupack(struct stack *s, struct tcb *tcb)
{
	if (tcb->cc.in_recovery || !SEQ_GEQ(tcb->snd.una, tcb->cc.recover))
		return CC_NONE;
	if (tcb->cc.dupacks >= TCP_DUPACK_THRESH || tcp_sack_is_lost(tcb, tcb->snd.una))
		return cc_sack_enter(s, tcb);
	return CC_NONE;
}

/* New data acknowledged in recovery: the cumulative ACK of RecoveryPoint ends it
 * (RFC 6675 5 (A) ... "terminated"), cwnd stays ssthresh (RFC 5681 3.2 (6)). A
 * partial one asks for nothing: NextSeg finds the next hole. */
static enum cc_action cc_sack_ack(struct stack *s, struct tcb *tcb)
{
	if (SEQ_LT(tcb->sack.high_rxt, tcb->snd.una))
		tcb->sack.high_rxt = tcb->snd.una;
	if (SEQ_LT(tcb->snd.una, tcb->cc.recover))
		return CC_NONE;
	tcb->cc.cwnd = tcb->cc.ssthresh;
	tcb->cc.in_recovery = false;
	cc_trace(s, tcb, "SACK: RecoveryPoint acknowledged, loss recovery done");
	return CC_NONE;
}

/* New data was acknowledged (SND.UNA has already moved): `acked` bytes. A partial
 * ACK asks for the next hole to be retransmitted at once and, as every ACK of new
 * data does, restarts the timer (RFC 6582 3.2 step 5 allows this "Slow-but-Steady"
 * variant). */
enum cc_action tcp_cc_ack(struct stack *s, struct tcb *tcb, uint32_t acked)
{
	uint32_t smss = tcb->snd.mss, before;

	tcb->cc.dupacks = 0;
	cc_undo(s, tcb);
	before = tcb->cc.cwnd;
	if (tcb->cc.in_recovery && tcb->sack.ok)
		return cc_sack_ack(s, tcb);
	if (tcb->cc.in_recovery) {
		if (SEQ_GEQ(tcb->snd.una, tcb->cc.recover)) {      /* full ACK: RFC 6582 3.2 step 3 */
			tcb->cc.cwnd = MIN(tcb->cc.ssthresh, MAX(tcp_flight_size(tcb), smss) + smss);
			tcb->cc.in_recovery = false;
			cc_trace(s, tcb, "full ACK, fast recovery done");
		} else {                                        /* partial ACK: the next hole */
			tcb->cc.cwnd = acked >= tcb->cc.cwnd ? smss : tcb->cc.cwnd - acked;
			if (acked >= smss)
				cc_grow(tcb, smss);
			cc_trace(s, tcb, "partial ACK, retransmit the next hole");
			return CC_RETRANSMIT_UNA;
		}
		return CC_NONE;
	}
	if (tcb->cc.cwnd < tcb->cc.ssthresh)
		cc_grow(tcb, MIN(acked, smss));                 /* slow start (MUST-19) */
	else
		cc_grow(tcb, cc_avoid(s, tcb, acked));          /* congestion avoidance */
	if (before < tcb->cc.ssthresh && tcb->cc.cwnd >= tcb->cc.ssthresh)
		cc_trace(s, tcb, "cwnd reached ssthresh: slow start -> congestion avoidance");
	if (SEQ_GT(tcb->snd.una, tcb->cc.recover))
		tcb->cc.recover = tcb->snd.una;   /* stays within reach of sequence comparisons */
	return CC_NONE;
}

/* A duplicate ACK (RFC 5681 2, checked by the caller). The third starts fast
 * retransmit, unless it acknowledges nothing sent after the last recovery began
 * (RFC 6582 3.2 step 1: those are echoes of the retransmissions). */
enum cc_action tcp_cc_dupack(struct stack *s, struct tcb *tcb)
{
	stat_inc(s, STAT_DUPACK);
	tcb->cc.dupacks++;
	cc_undo(s, tcb);
	if (tcb->sack.ok)
		return cc_sack_dupack(s, tcb);
	if (tcb->cc.in_recovery) {
		cc_grow(tcb, tcb->snd.mss);                     /* each one: a segment left */
		return CC_NONE;
	}
	if (tcb->cc.dupacks != TCP_DUPACK_THRESH || !SEQ_GEQ(tcb->snd.una, tcb->cc.recover))
		return CC_NONE;
	tcb->cc.ssthresh = cc_loss_ssthresh(s, tcb);
	tcb->cc.recover = tcb->snd.max;
	tcb->cc.cwnd = tcb->cc.ssthresh + TCP_DUPACK_THRESH * tcb->snd.mss;
	tcb->cc.in_recovery = true;
	stat_inc(s, STAT_FAST_RETRANSMIT);
	cc_trace(s, tcb, "3 duplicate ACKs: fast retransmit, fast recovery");
	return CC_RETRANSMIT_UNA;
}

/* Loss detected by other means than duplicate ACKs (RACK-TLP, RFC 8985 6.2 and 7.4):
 * with SACK, enter RFC 6675 loss recovery unless already in it or the loss is of data
 * sent before the last recovery began; the lost segments are resent by NextSeg. */
enum cc_action tcp_cc_loss_detected(struct stack *s, struct tcb *tcb)
{
	if (!tcb->sack.ok || tcb->cc.in_recovery || !SEQ_GEQ(tcb->snd.una, tcb->cc.recover))
		return CC_NONE;
	return cc_sack_enter(s, tcb);
}

/* RFC 5681 3.1 (4), (5): after a timeout, one segment at a time again; ssthresh
 * is lowered (NewReno: halved) only for the first timeout of a segment. RFC 6582 4: recover = SND.MAX. */
void tcp_cc_timeout(struct stack *s, struct tcb *tcb)
{
	if (tcb->timer.rexmt_count == 0)
		tcb->cc.ssthresh = cc_timeout_ssthresh(s, tcb);
	tcb->cc.cwnd = tcb->snd.mss;
	tcb->cc.recover = tcb->snd.max;
	tcb->cc.dupacks = 0;
	tcb->cc.in_recovery = false;                 /* RFC 6675 5.1: recovery ends */
	tcp_sack_clear(tcb);
	cc_trace(s, tcb, "retransmission timeout: cwnd to one segment");
}

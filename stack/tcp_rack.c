/* tcp_rack.c - RACK-TLP loss detection (RFC 8985). RACK (6): every segment in flight
 * has the time it was last sent (a transmission log, allocated while data is in flight);
 * a segment is deemed lost once one sent later has been delivered and it has had a
 * round trip plus a reordering window to arrive itself. That finds a lost retransmission
 * as well as a first loss, without counting duplicate ACKs. TLP (7): when ACKs stop
 * coming in the open state, a probe after about two round trips makes the receiver
 * answer, so that a lost tail is repaired by RACK rather than by the RTO.
 * RACK-TLP runs only with SACK (as Linux: TLP needs SACK, and RACK learns of delivery
 * past a hole from SACK blocks); without SACK, or with --no-rack, loss recovery is
 * RFC 6675's (DupThresh) or NewReno's, as before.
 * Coexistence with RFC 6675 (RFC 8985 6.2 leaves it open): as Linux, with RACK on, a
 * segment is lost only when RACK says so: the DupThresh rule of IsLost is not used,
 * recovery begins on the first loss RACK finds (tcp_cc_loss_detected), and NextSeg
 * resends the segments RACK marked (no rule 3 "holes not deemed lost"). With no
 * reordering seen, the reordering window is 0 once DupThresh segments are SACKed, so a
 * loss is found no later than by three duplicate ACKs.
 * Entry points: tcp_rack_init, tcp_rack_sent, tcp_rack_ack, tcp_rack_dupack,
 * tcp_rack_timeout, tcp_rack_rto, tcp_rack_free; for tcp_sack.c tcp_rack_is_lost,
 * tcp_rack_first_lost, tcp_rack_pipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tcp_priv.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

void tcp_rack_init(const struct stack *s, struct tcb *tcb)
{
	tcb->rack.on = !s->cfg.no_rack && tcb->sack.ok;
	tcb->rack.reo_wnd_mult = 1;
}

void tcp_rack_free(struct tcb *tcb)
{
	free(tcb->rack.log);
	tcb->rack.log = NULL;
}

static void rack_trace(struct stack *s, struct tcb *tcb, enum trace_kind kind, const char *what)
{
	tcp_trace_conn(s, tcb, kind, what);
}

static uint32_t seg_end(const struct rack_seg *e)
{
	return e->seq + e->len;
}

/* ---- the transmission log ---- */

/* Room for a full send buffer of segments of the peer's MSS (and a FIN). A new flight
 * has had nothing delivered: no byte above SND.UNA (RACK.fack), no RACK.xmit_ts. */
static struct rack_log *log_get(struct tcb *tcb)
{
	int cap = MIN(TCP_SNDBUF / tcb->snd.mss + 2, RACK_LOG_MAX);
	struct rack_log *log = tcb->rack.log;

	if (!log && (log = malloc(sizeof(*log) + (size_t)cap * sizeof(log->seg[0])))) {
		*log = (struct rack_log){ .fack = tcb->snd.una, .cap = cap };
		tcb->rack.log = log;
	}
	return log;
}

/* Make a segment boundary at `seq` (a retransmission cut differently), if there is room. */
static void log_split(struct rack_log *log, uint32_t seq)
{
	for (int i = 0; i < log->n; i++) {
		struct rack_seg *e = &log->seg[i];
		if (!SEQ_LT(e->seq, seq) || !SEQ_LT(seq, seg_end(e)))
			continue;
		if (log->n == log->cap)
			return;
		memmove(e + 1, e, (size_t)(log->n - i) * sizeof(*e));
		log->n++;
		e->len = (uint32_t)(seq - e->seq);
		e[1].len = (uint32_t)(e[1].len - e->len);
		e[1].seq = seq;
		return;
	}
}

/* Sent again: each segment of [seq, end) now leaves at `now`, a copy in flight. */
static void log_resent(struct stack *s, struct rack_log *log, uint32_t seq, uint32_t end)
{
	log_split(log, seq);
	log_split(log, end);
	for (int i = 0; i < log->n; i++) {
		struct rack_seg *e = &log->seg[i];
		if (SEQ_LT(e->seq, end) && SEQ_LT(seq, seg_end(e))) {
			e->xmit_ts = s->now;
			e->order = log->next_order++;
			e->flags |= RACK_RETRANS | RACK_EVER_RETRANS;
		}
	}
}

/* New data [seq, end): a segment at the end (or joined to the last one when full). */
static void log_new(struct stack *s, struct rack_log *log, uint32_t seq, uint32_t end)
{
	struct rack_seg *last = log->n ? &log->seg[log->n - 1] : NULL;

	if (log->n == log->cap) {
		last->len = end - last->seq;
		last->xmit_ts = s->now;                  /* later, never too early */
		last->order = log->next_order++;
		return;
	}
	log->seg[log->n++] = (struct rack_seg){ .xmit_ts = s->now, .seq = seq, .len = end - seq,
						.order = log->next_order++ };
}

/* ---- TLP: scheduling the probe, RFC 8985 7.2 ---- */

static void timer_set(struct tcb *tcb, uint8_t kind, uint64_t at)
{
	tcb->rack.timer_kind = kind;
	tcb->rack.timer = at;
}

/* 7.2: a PTO in the open state (not in loss recovery nor after an RTO), with data in
 * flight up to `max` (this segment's end when one is being sent), and no probe
 * outstanding: 2*SRTT (at least 10 ms), plus the worst-case delayed ACK when one segment
 * is in flight, never later than the RTO. */
static void tlp_arm(struct stack *s, struct tcb *tcb, uint32_t max)
{
	uint32_t flight = max - tcb->snd.una;
	uint64_t pto = tcb->rtt.valid ? 2ull * tcb->rtt.srtt_us : RACK_PTO_NO_RTT_MS * 1000ull;

	if (tcb->rack.timer_kind == RACK_TIMER_REO && tcb->rack.timer)
		return;                                  /* the reordering timer goes first */
	timer_set(tcb, RACK_TIMER_NONE, 0);
	if (!flight || tcb->cc.in_recovery || tcb->timer.rexmt_count || tcb->rack.tlp_on ||
	    SEQ_LT(tcb->snd.nxt, tcb->snd.max) || !tcb->snd.syn_acked || !tcb->snd.wnd)
		return;
	if (pto < RACK_PTO_MIN_MS * 1000ull)
		pto = RACK_PTO_MIN_MS * 1000ull;          /* a floor, as Linux: SRTT may be ~0 */
	if (flight <= tcb->snd.mss)
		pto += RACK_WCDELACKT_MS * 1000ull;
	if (tcb->timer.rexmt && tcb->timer.rexmt <= s->now)
		return;                                  /* the RTO is due: it goes first */
	if (tcb->timer.rexmt && s->now + pto > tcb->timer.rexmt)
		pto = tcb->timer.rexmt - s->now;
	timer_set(tcb, RACK_TIMER_PTO, s->now + pto);
}

/* A segment (data and/or FIN) of `len` in sequence space left at `seq`. */
void tcp_rack_sent(struct stack *s, struct tcb *tcb, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len, max = tcb->snd.max;
	struct rack_log *log;

	if (!tcb->rack.on || !len || !(log = log_get(tcb)))
		return;
	if (SEQ_LT(seq, max))
		log_resent(s, log, seq, SEQ_LT(end, max) ? end : max);
	if (SEQ_GT(end, max)) {
		log_new(s, log, SEQ_GT(seq, max) ? seq : max, end);
		if (tcb->rack.timer_kind != RACK_TIMER_REO)
			tlp_arm(s, tcb, end);            /* 7.2: new data sent */
	}
}

/* ---- RACK, RFC 8985 6.2: on each ACK ---- */

/* RACK_sent_after(): RFC 8985 compares the times, and breaks a tie by end_seq. Here
 * transmissions are numbered, which says exactly which left later: many segments leave
 * in the same microsecond (in virtual time, all of a burst), and a retransmission sent
 * before new data has the lower end_seq yet left first, or after it and still lower. */
static bool sent_after(uint32_t order1, uint32_t order2)
{
	return (int32_t)(order1 - order2) > 0;
}

/* Steps 1-3 for one segment just delivered (cumulatively ACKed or SACKed). A segment
 * sent more than once whose "round trip" is shorter than the minimum RTT was answered
 * for its first copy: no sample (step 2). */
static void rack_delivered(struct stack *s, struct tcb *tcb, const struct rack_seg *e)
{
	struct rack_vars *r = &tcb->rack;
	struct rack_log *log = r->log;               /* the flight's view: e is in it */
	uint64_t rtt = s->now - e->xmit_ts;

	if ((e->flags & RACK_EVER_RETRANS) && r->min_rtt_us && rtt < r->min_rtt_us)
		return;
	if (!(e->flags & RACK_EVER_RETRANS) && (!r->min_rtt_us || rtt < r->min_rtt_us))
		r->min_rtt_us = (uint32_t)MAX(MIN(rtt, UINT32_MAX / 2), 1u);   /* step 1 */
	if (!log->delivered || sent_after(e->order, log->order)) {
		log->delivered = true;
		log->rtt_us = (uint32_t)MIN(rtt, UINT32_MAX / 2);
		log->xmit_ts = e->xmit_ts;
		log->order = e->order;
	}
	if (SEQ_GT(seg_end(e), log->fack))
		log->fack = seg_end(e);
	else if (SEQ_LT(seg_end(e), log->fack) && !(e->flags & RACK_EVER_RETRANS))
		r->reordering_seen = true;               /* step 3: delivered below one delivered */
}

/* Is [seq, end) inside one SACKed range of the scoreboard? Segments are asked in
 * sequence order, so the search goes on from where it was (*j): one pass for all. */
static bool sacked(const struct tcb *tcb, int *j, uint32_t seq, uint32_t end)
{
	while (*j < tcb->sack.n_sb && SEQ_LEQ(tcb->sack.sb[*j].end, seq))
		(*j)++;
	return *j < tcb->sack.n_sb && SEQ_LEQ(tcb->sack.sb[*j].seq, seq) &&
	       SEQ_LEQ(end, tcb->sack.sb[*j].end);
}

/* Every segment this ACK delivered: the cumulative ACK's leave the log, the SACKed ones
 * are flagged. Returns how many segments are SACKed (RACK.segs_sacked). */
static int rack_scan_delivered(struct stack *s, struct tcb *tcb, uint32_t ack)
{
	struct rack_log *log = tcb->rack.log;
	int i = 0, j, n_sacked = 0;

	for (; i < log->n && SEQ_LEQ(seg_end(&log->seg[i]), ack); i++)
		if (!(log->seg[i].flags & RACK_SACKED))
			rack_delivered(s, tcb, &log->seg[i]);
	log->n -= i;
	memmove(&log->seg[0], &log->seg[i], (size_t)log->n * sizeof(log->seg[0]));
	if (log->n && SEQ_LT(log->seg[0].seq, ack)) {        /* partly acknowledged */
		log->seg[0].len = (uint32_t)(seg_end(&log->seg[0]) - ack);
		log->seg[0].seq = ack;
	}
	for (i = 0, j = 0; i < log->n; i++) {
		struct rack_seg *e = &log->seg[i];
		if (!(e->flags & RACK_SACKED) && sacked(tcb, &j, e->seq, seg_end(e))) {
			rack_delivered(s, tcb, e);
			e->flags = (uint8_t)((e->flags | RACK_SACKED) & ~(RACK_LOST | RACK_RETRANS));
		}
		n_sacked += !!(e->flags & RACK_SACKED);
	}
	return n_sacked;
}

/* Step 4: a D-SACK says a retransmission was needless: the reordering window widens by
 * min_RTT/4, once per round trip, for the next 16 recoveries. */
static void rack_update_reo_wnd_state(struct tcb *tcb, bool dsack)
{
	struct rack_vars *r = &tcb->rack;

	if (dsack && (!r->dsack_round_on || SEQ_GEQ(tcb->snd.una, r->dsack_round))) {
		r->dsack_round_on = true;
		r->dsack_round = tcb->snd.max;
		if (r->reo_wnd_mult < UINT8_MAX)
			r->reo_wnd_mult++;
		r->reo_wnd_persist = RACK_REO_PERSIST;
	} else if (r->was_recovering && !tcb->cc.in_recovery && r->reo_wnd_persist &&
		   --r->reo_wnd_persist == 0) {
		r->reo_wnd_mult = 1;                     /* a recovery ended */
	}
	r->was_recovering = tcb->cc.in_recovery;
}

/* RACK.reo_wnd: 0 while no reordering was seen and either in recovery or with
 * DupThresh segments SACKed (RACK then acts as fast as three duplicate ACKs); else
 * min_RTT/4 per step, at most SRTT. */
static uint64_t rack_reo_wnd(const struct tcb *tcb, int segs_sacked)
{
	const struct rack_vars *r = &tcb->rack;
	uint64_t w = (uint64_t)r->reo_wnd_mult * r->min_rtt_us / 4;

	if (!r->reordering_seen && (tcb->cc.in_recovery || segs_sacked >= TCP_DUPACK_THRESH))
		return 0;
	return tcb->rtt.valid ? MIN(w, tcb->rtt.srtt_us) : w;
}

/* Step 5: every segment sent before the most recently delivered one that has had
 * RACK.rtt + reo_wnd since it left is lost; the others wait, the reordering timer for
 * the longest wait. Returns how many were marked; *wait: 0 or that wait (us). */
static int rack_detect_loss(struct stack *s, struct tcb *tcb, uint64_t reo_wnd, uint64_t *wait,
			    uint64_t *late_us)
{
	struct rack_log *log = tcb->rack.log;
	int lost = 0;

	*wait = 0;
	for (int i = 0; log && i < log->n; i++) {
		struct rack_seg *e = &log->seg[i];
		uint64_t due = e->xmit_ts + log->rtt_us + reo_wnd;
		if ((e->flags & RACK_SACKED) || (e->flags & (RACK_LOST | RACK_RETRANS)) == RACK_LOST ||
		    !log->delivered || !sent_after(log->order, e->order))
			continue;
		if (due > s->now) {
			*wait = MAX(*wait, due - s->now);
			continue;
		}
		if (!lost++)
			*late_us = log->xmit_ts - e->xmit_ts;
		e->flags = (uint8_t)((e->flags | RACK_LOST) & ~RACK_RETRANS);
		stat_inc(s, STAT_RACK_LOSS);
	}
	return lost;
}

/* Losses found: trace them, and begin loss recovery if not in it (RFC 8985 6.2 ends
 * where RFC 6675 begins; tcp_cc.c decides). The first lost segment goes at once
 * (RFC 6675 5 (4.3)), NextSeg sends the others as the pipe allows. */
static void rack_losses(struct stack *s, struct tcb *tcb, int lost, uint64_t late_us)
{
	if (stack_tracing(s, TRACE_CC)) {
		unsigned late = (unsigned)MIN(late_us, UINT32_MAX);
		snprintf(s->note, sizeof(s->note), "RACK: %u deemed lost, sent %u.%03u ms before the "
			 "last delivered one", (unsigned)lost, late / 1000, late % 1000);
		rack_trace(s, tcb, TRACE_CC, s->note);
	}
	if (tcp_cc_loss_detected(s, tcb) != CC_RETRANSMIT_UNA)
		return;
	tcb->rack.tlp_on = false;        /* recovery answers for the loss (as Linux) */
	tcp_rack_resend_first(s, tcb);
}

/* Steps 4 and 5, then the timer: the reordering timer if a segment waits, else the PTO. */
static void rack_detect_and_arm(struct stack *s, struct tcb *tcb, int segs_sacked)
{
	uint64_t wait, late = 0, reo_wnd = rack_reo_wnd(tcb, segs_sacked);
	int lost = rack_detect_loss(s, tcb, reo_wnd, &wait, &late);

	if (lost)
		rack_losses(s, tcb, lost, late);
	if (wait) {
		timer_set(tcb, RACK_TIMER_REO, s->now + wait);
		return;
	}
	if (tcb->rack.timer_kind == RACK_TIMER_REO)
		timer_set(tcb, RACK_TIMER_NONE, 0);
	tlp_arm(s, tcb, tcb->snd.max);
}

/* RFC 8985 7.4 (as Linux's tcp_process_tlp_ack): a probe that resent the last segment
 * ends its episode with a D-SACK (both copies arrived: nothing was lost) or with an ACK
 * past TLP.end_seq without one (the probe repaired a loss: congestion control reacts as
 * for any loss). A probe of new data ends at once: RACK judges what it reveals. */
static void tlp_ack(struct stack *s, struct tcb *tcb, uint32_t ack, bool dsack)
{
	struct rack_vars *r = &tcb->rack;

	if (!r->tlp_on || (r->tlp_is_retrans && SEQ_LT(ack, r->tlp_end_seq)))
		return;
	r->tlp_on = false;
	if (!r->tlp_is_retrans)
		return;
	if (dsack) {
		rack_trace(s, tcb, TRACE_CC, "TLP: D-SACK of the probe, no loss");
	} else if (SEQ_GT(ack, r->tlp_end_seq)) {
		stat_inc(s, STAT_TLP_LOSS);
		rack_trace(s, tcb, TRACE_CC, "TLP: the probe repaired a loss, reduce cwnd");
		tcp_cc_loss_detected(s, tcb);
	} else {
		r->tlp_on = true;                        /* ACK == end_seq: wait for more */
	}
}

/* An acceptable ACK, after SND.UNA moved and the scoreboard took its blocks; `dsack`:
 * it carried a D-SACK. */
void tcp_rack_ack(struct stack *s, struct tcb *tcb, const struct seg *sg, bool dsack)
{
	int segs_sacked;

	if (!tcb->rack.on)
		return;
	rack_update_reo_wnd_state(tcb, dsack);
	tlp_ack(s, tcb, sg->ack, dsack);
	if (!tcb->rack.log)
		return;
	segs_sacked = rack_scan_delivered(s, tcb, sg->ack);
	if (!tcb->rack.log->n || tcb->snd.una == tcb->snd.max) {
		tcp_rack_free(tcb);                      /* all acknowledged */
		timer_set(tcb, RACK_TIMER_NONE, 0);
		return;
	}
	rack_detect_and_arm(s, tcb, segs_sacked);
}

/* A duplicate ACK with RACK on: counted (RFC 3042 limited transmit reads cc.dupacks),
 * but it starts no recovery: RACK does (this file's header). */
void tcp_rack_dupack(struct stack *s, struct tcb *tcb)
{
	stat_inc(s, STAT_DUPACK);
	tcb->cc.dupacks++;
}

/* ---- timers ---- */

/* 7.3: the PTO fired: a probe (new data, else the last segment again), then the RTO. */
static void tlp_timeout(struct stack *s, struct tcb *tcb)
{
	bool retrans = false;

	if (!tcp_tlp_send(s, tcb, &retrans))
		return;
	timer_set(tcb, RACK_TIMER_NONE, 0);          /* one probe per episode */
	tcb->rack.tlp_on = true;
	tcb->rack.tlp_is_retrans = retrans;
	tcb->rack.tlp_end_seq = tcb->snd.max;
	stat_inc(s, STAT_TLP_PROBE);
	snprintf(s->note, sizeof(s->note), "TLP: probe timeout (srtt %u.%03u ms), %s",
		 tcb->rtt.srtt_us / 1000, tcb->rtt.srtt_us % 1000,
		 retrans ? "resend the last segment" : "send a new segment");
	rack_trace(s, tcb, TRACE_TIMER, s->note);
	tcb->timer.rexmt = 0;                        /* 7.3: the RTO, from now */
	tcp_rexmt_arm(s, tcb);
}

/* 6.3: the reordering timer fired: what waited for it may now be lost. */
static void reo_timeout(struct stack *s, struct tcb *tcb)
{
	int segs_sacked = 0;

	rack_trace(s, tcb, TRACE_TIMER, "RACK: reordering timer");
	for (int i = 0; tcb->rack.log && i < tcb->rack.log->n; i++)
		segs_sacked += !!(tcb->rack.log->seg[i].flags & RACK_SACKED);
	rack_detect_and_arm(s, tcb, segs_sacked);
	tcp_output(s, tcb);
}

void tcp_rack_timeout(struct stack *s, struct tcb *tcb)
{
	uint8_t kind = tcb->rack.timer_kind;

	timer_set(tcb, RACK_TIMER_NONE, 0);
	if (!tcb->rack.on || !tcb->rack.log || tcb->snd.una == tcb->snd.max)
		return;
	if (kind == RACK_TIMER_REO)
		reo_timeout(s, tcb);
	else if (kind == RACK_TIMER_PTO)
		tlp_timeout(s, tcb);
}

/* The RTO fired: every segment not SACKed is lost (RFC 8985 6.3 marks those that timed
 * out; after an RTO all have); the go-back from SND.UNA resends them. No probe, no
 * reordering wait, no TLP episode until the open state again. */
void tcp_rack_rto(struct stack *s, struct tcb *tcb)
{
	(void)s;
	timer_set(tcb, RACK_TIMER_NONE, 0);
	tcb->rack.tlp_on = false;
	for (int i = 0; tcb->rack.log && i < tcb->rack.log->n; i++) {
		struct rack_seg *e = &tcb->rack.log->seg[i];
		if (!(e->flags & RACK_SACKED))
			e->flags = (uint8_t)((e->flags | RACK_LOST) & ~RACK_RETRANS);
	}
}

/* ---- for the scoreboard ---- */

bool tcp_rack_is_lost(const struct tcb *tcb, uint32_t seq)
{
	const struct rack_log *log = tcb->rack.log;

	for (int i = 0; log && i < log->n; i++)
		if (seq_in(seq, log->seg[i].seq, seg_end(&log->seg[i])))
			return (log->seg[i].flags & (RACK_LOST | RACK_RETRANS)) == RACK_LOST;
	return false;
}

/* NextSeg rule 1 with RACK: the first segment deemed lost and not yet sent again. */
bool tcp_rack_first_lost(const struct tcb *tcb, uint32_t *seq, uint32_t *len)
{
	const struct rack_log *log = tcb->rack.log;

	for (int i = 0; log && i < log->n; i++)
		if ((log->seg[i].flags & (RACK_LOST | RACK_RETRANS | RACK_SACKED)) == RACK_LOST) {
			*seq = log->seg[i].seq;
			*len = log->seg[i].len;
			return true;
		}
	return false;
}

/* SetPipe with RACK (as Linux's packets_out - sacked - lost + retrans): a segment not
 * SACKed counts unless deemed lost, and once more for a copy sent again. */
uint32_t tcp_rack_pipe(const struct tcb *tcb)
{
	const struct rack_log *log = tcb->rack.log;
	uint32_t pipe = 0;

	for (int i = 0; log && i < log->n; i++) {
		const struct rack_seg *e = &log->seg[i];
		if (e->flags & RACK_SACKED)
			continue;
		pipe += (e->flags & RACK_LOST) ? 0 : e->len;
		pipe += (e->flags & RACK_RETRANS) ? e->len : 0;
	}
	return pipe;
}

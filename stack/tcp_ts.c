/* tcp_ts.c - the timestamps option, RFC 7323 3-5: negotiated on the SYNs (3.2), then
 * on every segment but a RST; TS.Recent and Last.ACK.sent decide what is echoed
 * (4.3); every ACK that moves SND.UNA gives an RTT sample (RTTM, 4.1, 4.2); PAWS
 * drops a segment with an older timestamp (5.3), unless TS.Recent has been idle for
 * more than 24 days (5.5). Our clock ticks each ms (TCP_TS_HZ) from a start that is
 * a keyed hash of the connection (5.4, as Linux).
 * Entry points: tcp_ts_new, tcp_ts_init, tcp_ts_fill, tcp_ts_sent, tcp_ts_paws, tcp_ts_recent,
 * tcp_ts_rttm, tcp_ts_syn_newer. */
#include "siphash.h"
#include "tcp_priv.h"

/* Timestamps wrap as sequence numbers do (RFC 7323 5.2). */
#define TS_LT(a, b)  SEQ_LT(a, b)
#define TS_GEQ(a, b) SEQ_GEQ(a, b)
#define TS_GT(a, b)  SEQ_GT(a, b)

static uint32_t ts_clock(const struct stack *s, const struct tcb *tcb)
{
	return (uint32_t)(s->now / (1000000 / TCP_TS_HZ)) + tcb->ts.offset;
}

/* RFC 7323 5.4: a random start per connection, so that timestamps tell nothing about
 * other connections or the uptime: the 4-tuple hashed with this run's secret. */
static uint32_t ts_offset(const struct stack *s, const struct tcb *tcb)
{
	uint8_t t[13];

	put32(t, tcb->laddr);
	put16(t + 4, tcb->lport);
	put32(t + 6, tcb->raddr);
	put16(t + 10, tcb->rport);
	t[12] = 'T';
	return (uint32_t)siphash24(s->isn_key, t, sizeof(t));
}

/* A new TCB (its 4-tuple known): offered unless --no-timestamps, and its clock. */
void tcp_ts_new(const struct stack *s, struct tcb *tcb)
{
	tcb->ts.offer = !s->cfg.no_timestamps;
	tcb->ts.offset = ts_offset(s, tcb);
}

/* RFC 7323 3.2: timestamps are in force only if both SYNs carried them; then the
 * SYN's TSval is the first TS.Recent, and our segments carry 12 bytes less data
 * (RFC 6691: the MSS does not count options). */
void tcp_ts_init(struct stack *s, struct tcb *tcb, const struct seg *syn)
{
	tcb->ts.offer = tcb->ts.offer && syn->has_ts;
	tcb->ts.ok = tcb->ts.offer;
	if (!tcb->ts.ok)
		return;
	tcb->ts.recent = syn->ts_val;
	tcb->ts.recent_at = s->now;
	tcb->ts.last_ack_sent = syn->seq + 1;
	tcb->snd.mss = (uint16_t)(tcb->snd.mss - TCP_TS_OPT_LEN);
}

/* The option on a segment we send: on a SYN if we offer it (TSecr 0 without ACK,
 * 3.2), on any other but a RST once in force (RFC 7323 3.2 recommends RSTs without). */
void tcp_ts_fill(const struct stack *s, const struct tcb *tcb, struct seg *sg)
{
	bool want = (sg->flags & TH_SYN) ? tcb->ts.offer : tcb->ts.ok;

	if (!want || (sg->flags & TH_RST))
		return;
	sg->has_ts = true;
	sg->ts_val = ts_clock(s, tcb);
	sg->ts_ecr = (sg->flags & TH_ACK) ? tcb->ts.recent : 0;
}

/* RFC 7323 4.3: Last.ACK.sent is the ACK field we sent last. */
void tcp_ts_sent(struct tcb *tcb, const struct seg *sg)
{
	if (sg->flags & TH_ACK)
		tcb->ts.last_ack_sent = sg->ack;
}

/* RFC 7323 5.3 R1, the first check of a segment once timestamps are in force: a
 * segment without TSopt is dropped silently (3.2); one whose TSval is older than
 * TS.Recent is an old duplicate: dropped, and answered with an ACK as any segment
 * outside the window is (rate-limited when it carries nothing). A RST is never
 * judged by its timestamp. If TS.Recent is more than 24 days old it is no longer
 * valid (5.5): the segment is taken and its TSval becomes TS.Recent. */
int tcp_ts_paws(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	if (!tcb->ts.ok || (sg->flags & TH_RST))
		return 0;
	if (!sg->has_ts)
		return STAT_DROP_TCP_NO_TS;
	if (!TS_LT(sg->ts_val, tcb->ts.recent))
		return 0;
	if (s->now - tcb->ts.recent_at > (uint64_t)TCP_PAWS_IDLE_S * 1000000) {
		stat_inc(s, STAT_TS_PAWS_IDLE);
		tcb->ts.recent = sg->ts_val;
		tcb->ts.recent_at = s->now;
		return 0;
	}
	if (seg_len(sg))
		tcb->ack_now = true;
	else
		tcp_oow_ack(s, tcb);
	return STAT_DROP_TCP_PAWS;
}

/* RFC 7323 4.3 (R3 of 5.3): an acceptable segment's TSval becomes TS.Recent if it is
 * not older and the segment starts at or before the last ACK we sent, so that the
 * echo tells the sender how old the oldest unacknowledged data was. */
void tcp_ts_recent(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	if (!tcb->ts.ok || !sg->has_ts || !TS_GEQ(sg->ts_val, tcb->ts.recent) ||
	    SEQ_GT(sg->seq, tcb->ts.last_ack_sent))
		return;
	tcb->ts.recent = sg->ts_val;
	tcb->ts.recent_at = s->now;
}

/* RFC 7323 4.1, 4.2 (RTTM): an ACK that moves SND.UNA echoes the TSval of the
 * segment that made the peer send it: now minus that is an RTT sample, one per such
 * ACK, retransmissions included (the echo says which copy arrived). TSval counts
 * whole ms, so the sample is from the start of that ms: up to 1 ms long (the caller
 * prefers the timed segment's exact sample when the ACK covers it). */
void tcp_ts_rttm(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	uint32_t ms;

	if (!tcb->ts.ok || !sg->has_ts)
		return;
	ms = ts_clock(s, tcb) - sg->ts_ecr;
	if ((int32_t)ms < 0)
		return;                              /* an echo from the future: no sample */
	tcp_rtt_measured(s, tcb, (uint64_t)ms * (1000000 / TCP_TS_HZ) + s->now % (1000000 / TCP_TS_HZ));
}

/* RFC 6191 2: is a SYN for the 4-tuple of a connection in TIME-WAIT from a newer
 * incarnation? With timestamps on both (the old one's and the SYN's, and ours not
 * switched off): a TSval above TS.Recent, or equal with a higher sequence number;
 * else: a sequence number past the last one the old connection saw. */
bool tcp_ts_syn_newer(const struct stack *s, const struct tcb *tcb, const struct seg *syn)
{
	bool seq_newer = SEQ_GEQ(syn->seq, tcb->rcv.nxt);

	if (tcb->ts.ok && syn->has_ts && !s->cfg.no_timestamps)
		return TS_GT(syn->ts_val, tcb->ts.recent) ||
		       (syn->ts_val == tcb->ts.recent && seq_newer);
	return seq_newer;
}

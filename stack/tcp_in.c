/* tcp_in.c - SEGMENT ARRIVES, RFC 9293 3.10.7, one short function per step, called
 * in the RFC's order: CLOSED (3.10.7.1), LISTEN (3.10.7.2), SYN-SENT (3.10.7.3),
 * and for the other states (3.10.7.4) sequence check, RST, SYN, ACK, text, FIN.
 * Each step returns 0, or the reason the segment was dropped (counted by the caller).
 * Entry point: tcp_input. */
#include <errno.h>
#include "tcp_priv.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* 3.10.7.1: no connection. Anything but a RST is answered with a RST. */
static int tcp_closed_input(struct stack *s, const struct seg *sg)
{
	tcp_reply_rst(s, sg);
	return STAT_DROP_TCP_NO_CONN;
}

/* RFC 7323 2.2-2.3: scaling is in force only if both SYNs carry the option; the
 * peer's shift above 14 is used as 14 (counted in tcp_input). Without it our SYN,ACK
 * does not carry it either. */
static void tcp_init_wscale(const struct stack *s, struct tcb *tcb, const struct seg *syn)
{
	tcb->rcv.ws_offer = tcb->rcv.ws_offer && syn->has_wscale;
	tcb->snd.wscale = tcb->rcv.ws_offer ? MIN(syn->wscale, TCP_WSCALE_MAX) : 0;
	tcb->rcv.wscale = tcb->rcv.ws_offer ? s->wscale : 0;
}

static void tcp_init_rcv(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	uint16_t mss = sg->mss ? sg->mss : TCP_DEFAULT_MSS;   /* no option: 536 (MUST-15) */

	if (mss < TCP_MIN_MSS)
		mss = TCP_MIN_MSS;                /* no 1-byte segments on a peer's say-so */
	tcb->rcv.irs = sg->seq;
	tcb->rcv.nxt = tcb->rcv.adv = sg->seq + 1;
	tcb->snd.wnd = tcb->snd.max_wnd = sg->wnd;   /* SND.WND, WL1, WL2 from the SYN */
	tcb->snd.wl1 = sg->seq;
	tcb->snd.wl2 = sg->ack;
	tcb->snd.mss = mss < s->mss ? mss : s->mss;   /* the effective send MSS (MUST-16) */
	tcp_init_wscale(s, tcb, sg);
	tcp_sack_init(tcb, sg);
	tcp_rack_init(s, tcb);                       /* after SACK: RACK-TLP needs it */
	tcp_ts_init(s, tcb, sg);
	tcp_cc_init(s, tcb);
}

/* A child of listener l for the segment's 4-tuple, its receive side set from
 * `syn`, ISS chosen; still in LISTEN (born a copy of its listener, so the log
 * says LISTEN ->). NULL when the table is full. */
static struct tcb *tcp_child(struct stack *s, struct tcb *l, const struct seg *syn, uint32_t iss)
{
	struct tcb *c = tcb_new(s, TCP_LISTEN, syn->src, syn->sport, syn->dport);

	if (!c)
		return NULL;
	c->passive = true;                           /* a passive OPEN (MUST-11) */
	c->sum.segs_in = 1;                          /* the SYN */
	listener_adopt(l->listen, c);
	c->snd.iss = iss;                                /* first: tcp_cc_init sets recover = ISS */
	tcp_init_rcv(s, c, syn);
	c->snd.una = c->snd.nxt = c->snd.max = c->snd.iss;
	c->snd.data_seq = c->snd.iss + 1;
	return c;
}

static int tcp_synced_input(struct stack *s, struct tcb *tcb, struct seg *sg);

/* An ACK at a listener that returns one of our SYN cookies: the connection opens
 * straight into ESTABLISHED, and the segment is then processed as in that state. */
static int tcp_listen_cookie_ack(struct stack *s, struct tcb *l, struct seg *sg)
{
	struct seg syn = *sg;
	struct tcb *c;

	if (!(syn.mss = tcp_cookie_check(s, sg))) {
		tcp_reply_rst(s, sg);
		return STAT_DROP_TCP_COOKIE;
	}
	if (listener_acceptq_full(l->listen))
		return STAT_DROP_TCP_ACCEPTQ_FULL;
	syn.seq = sg->seq - 1;                       /* the SYN it answers */
	syn.has_ts = false;                          /* our cookie SYN-ACK offered MSS alone */
	if (!(c = tcp_child(s, l, &syn, sg->ack - 1)) || tcb_alloc_bufs(s, c)) {
		if (c)
			tcb_maybe_free(s, c);
		return STAT_DROP_TCP_NOMEM;
	}
	c->snd.una = c->snd.nxt = c->snd.max = sg->ack;
	c->snd.syn_acked = true;
	c->rcv.adv = c->rcv.nxt + MIN(tcp_rcv_wnd(s, c), 65535u);   /* what our cookie SYN-ACK offered */
	stat_inc(s, STAT_SYNCOOKIE_OK);
	tcp_set_state(s, c, TCP_ESTABLISHED, "rcvd ACK of a SYN cookie", "RFC 4987 3.6");
	tcp_synced_input(s, c, sg);
	tcp_output(s, c);
	tcb_maybe_free(s, c);
	return 0;
}

/* 3.10.7.2: a SYN creates a child TCB in SYN-RECEIVED and is answered by SYN,ACK,
 * unless a queue is full: then the SYN is dropped (the peer will retry), or with
 * cookies on and the half-open queue full, answered with a cookie. With the whole
 * connection table full and cookies off, it is refused with a RST. An ACK can be
 * the answer to a cookie only shortly after the half-open queue overflowed. */
static int tcp_listen_input(struct stack *s, struct tcb *l, struct seg *sg)
{
	struct tcb *c;

	if (sg->flags & TH_RST)
		return STAT_DROP_TCP_LISTEN;         /* first: ignore a RST */
	if ((sg->flags & TH_ACK) && !(sg->flags & TH_SYN) && !s->cfg.no_syncookies &&
	    listener_cookies_recent(l->listen, s->now))
		return tcp_listen_cookie_ack(s, l, sg);
	if (sg->flags & TH_ACK) {                    /* second: an ACK is bad here */
		tcp_reply_rst(s, sg);
		return STAT_DROP_TCP_LISTEN;
	}
	if (!(sg->flags & TH_SYN))                   /* fifth: nothing else to do */
		return STAT_DROP_TCP_LISTEN;
	if (sg->flags & TH_FIN)                      /* SYN+FIN: nonsense, dropped as Linux does */
		return STAT_DROP_TCP_FLAGS;
	if (listener_acceptq_full(l->listen))
		return STAT_DROP_TCP_ACCEPTQ_FULL;
	if (listener_synq_full(l->listen) && !s->cfg.no_syncookies) {
		listener_overflow(l->listen, s->now);
		tcp_reply_cookie(s, sg);
		return 0;
	}
	if (listener_synq_full(l->listen) && tcb_table_full(s)) {
		stat_inc(s, STAT_TABLE_FULL);        /* no cookies, no room: refused at once */
		tcp_reply_rst(s, sg);
		return STAT_DROP_TCP_NOMEM;
	}
	if (listener_synq_full(l->listen))
		return STAT_DROP_TCP_SYNQ_FULL;
	if (!(c = tcp_child(s, l, sg, tcp_new_isn(s, sg->dst, sg->dport, sg->src, sg->sport))))
		return STAT_DROP_TCP_NOMEM;
	tcp_set_state(s, c, TCP_SYN_RECEIVED, "rcvd SYN", "3.10.7.2");
	tcp_output(s, c);                            /* SYN,ACK; data in a SYN is not kept */
	return 0;
}

/* Acknowledged bytes leave the send queue; SND.UNA moves; the RTT is sampled (by
 * the one timed segment, else by the echoed timestamp, RFC 7323 4), the timer
 * restarts, and congestion control counts what was acknowledged (and may ask for
 * a retransmission). */
static enum cc_action tcp_ack_advance(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	uint32_t acked = 0, una = tcb->snd.una, ack = sg->ack;
	bool synced = tcb->snd.syn_acked;

	if (SEQ_GT(ack, tcb->snd.data_seq))
		acked = ack - tcb->snd.data_seq < tcb->snd.q.len ? ack - tcb->snd.data_seq : tcb->snd.q.len;
	ring_drop(&tcb->snd.q, acked);
	tcb->snd.data_seq += acked;
	tcb->sum.bytes_out += acked;
	if (!synced && tcb->timer.rexmt_count) {      /* the SYN (or SYN,ACK) was lost at least once: */
		tcb->cc.cwnd = tcb->snd.mss;          /* RFC 5681 3.1: IW is one segment */
		if (tcb->timer.rto_ms < TCP_RTO_SYN_LOST_MS)
			tcb->timer.rto_ms = TCP_RTO_SYN_LOST_MS;   /* RFC 6298 5.7 */
	}
	tcb->snd.syn_acked = true;             /* callers checked ack > ISS while unsynchronized */
	tcb->soft_error = 0;                   /* something got through (as Linux) */
	if (tcb->rtt.timing && SEQ_GT(ack, tcb->rtt.seq))
		tcp_rtt_ack(s, tcb, ack);             /* the timed segment: to the microsecond */
	else
		tcp_ts_rttm(s, tcb, sg);              /* else the echo (RFC 7323 4): to the ms */
	tcb->snd.una = ack;
	if (SEQ_LT(tcb->snd.nxt, ack))
		tcb->snd.nxt = ack;
	tcp_rexmt_restart(s, tcb);
	return synced ? tcp_cc_ack(s, tcb, ack - una) : CC_NONE;
}

/* Entering ESTABLISHED; a CLOSE that came earlier now sends its FIN. */
static void tcp_established(struct stack *s, struct tcb *tcb, const char *cause, const char *rfc)
{
	tcp_set_state(s, tcb, TCP_ESTABLISHED, cause, rfc);
	if (tcb->fin_queued)
		tcp_set_state(s, tcb, TCP_FIN_WAIT_1, "CLOSE issued before ESTABLISHED", "3.10.4");
}

static void tcp_trim(struct tcb *tcb, struct seg *sg);
static int tcp_rcv_text(struct stack *s, struct tcb *tcb, struct seg *sg);
static void tcp_rcv_fin(struct stack *s, struct tcb *tcb);

/* 3.10.7.3: SYN-SENT. Check the ACK, then RST, then SYN. */
static int tcp_syn_sent_input(struct stack *s, struct tcb *tcb, struct seg *sg)
{
	bool ack_ok = false;

	if (sg->flags & TH_ACK) {
		if (SEQ_LEQ(sg->ack, tcb->snd.iss) || SEQ_GT(sg->ack, tcb->snd.max)) {
			tcp_reply_rst(s, sg);        /* <SEQ=SEG.ACK><CTL=RST>, not to a RST */
			return STAT_DROP_TCP_SYN_SENT;
		}
		ack_ok = true;
	}
	if (sg->flags & TH_RST) {
		if (!ack_ok)
			return STAT_DROP_TCP_RST;
		tcp_fail(s, tcb, -ECONNREFUSED, "rcvd RST", "3.10.7.3");
		return 0;
	}
	if (!(sg->flags & TH_SYN))
		return STAT_DROP_TCP_SYN_SENT;
	tcp_init_rcv(s, tcb, sg);
	if (!ack_ok) {                               /* simultaneous open, figure 7 (MUST-10) */
		tcb->snd.nxt = tcb->snd.iss;             /* resend our SYN, now with ACK */
		tcp_set_state(s, tcb, TCP_SYN_RECEIVED, "rcvd SYN", "3.10.7.3");
		return 0;
	}
	tcp_ack_advance(s, tcb, sg);
	tcb->ack_now = true;
	tcp_established(s, tcb, "rcvd SYN,ACK", "3.10.7.3");
	sg->flags &= (uint8_t)~TH_SYN;                /* text or FIN: from the sixth step on, */
	sg->seq++;
	tcb->rcv.adv = tcb->rcv.nxt + MIN(tcp_rcv_wnd(s, tcb), 65535u);   /* what our SYN offered */
	tcp_trim(tcb, sg);
	if (tcp_rcv_text(s, tcb, sg) == 0 && tcb->state != TCP_CLOSED)
		tcp_rcv_fin(s, tcb);
	return 0;
}

/* 3.10.7.4 eighth, TIME-WAIT: a retransmitted FIN is acknowledged again and the
 * 2*MSL timer restarts. (It fails the sequence check, so it is caught there.) */
static void tcp_time_wait_refin(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	if (!(sg->flags & TH_FIN) || sg->seq + sg->dlen + 1 != tcb->rcv.nxt)
		return;                              /* not the FIN we acknowledged */
	tcb->timer.timewait = s->now + (uint64_t)s->cfg.msl_ms * 2000;
	tcp_trace_conn(s, tcb, TRACE_TIMER, "rcvd FIN again, 2*MSL restarted");
}

/* RFC 6191 (RFC 9293 3.6.1, SHLD-4; Linux does it): a SYN in TIME-WAIT whose
 * timestamp, or sequence number, is newer than the old connection's opens a new one:
 * TIME-WAIT ends at once and the SYN goes on to the listener. Any other SYN there gets
 * the challenge ACK of RFC 5961 4.2, as before. */
static bool tcp_time_wait_new_syn(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	if (tcb->state != TCP_TIME_WAIT || (sg->flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) != TH_SYN ||
	    !tcp_ts_syn_newer(s, tcb, sg))
		return false;
	tcp_set_state(s, tcb, TCP_CLOSED, "rcvd a newer SYN in TIME-WAIT", "RFC 6191");
	tcb_maybe_free(s, tcb);
	return true;
}

/* 3.10.7.4 first: is any of the segment inside the receive window? */
static int tcp_check_seq(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	uint32_t wnd = tcp_adv_left(tcb), len = seg_len(sg), nxt = tcb->rcv.nxt;
	bool ok;

	if (len == 0)
		ok = wnd ? seq_in(sg->seq, nxt, nxt + wnd) : sg->seq == nxt;
	else
		ok = wnd && (seq_in(sg->seq, nxt, nxt + wnd) ||
			     seq_in(sg->seq + len - 1, nxt, nxt + wnd));
	if (!ok && wnd == 0 && sg->seq == nxt)
		ok = true;                           /* zero window: ACK, RST still (MUST-66) */
	if (ok)
		return 0;
	if (sg->dlen && SEQ_LEQ(sg->seq + sg->dlen, nxt))
		tcp_sack_dup(tcb, sg->seq, sg->seq + sg->dlen);   /* all old: RFC 2883 4 (1) */
	if (tcb->state == TCP_TIME_WAIT)
		tcp_time_wait_refin(s, tcb, sg);
	if (sg->flags & TH_RST)
		return STAT_DROP_TCP_SEQ;            /* never answered */
	if (sg->flags & TH_SYN)
		tcp_challenge_ack(s, tcb);           /* RFC 5961 4.2: whatever its SEQ */
	else if (len == 0)
		tcp_oow_ack(s, tcb);                 /* an ACK answering an ACK: rate-limited */
	else
		tcb->ack_now = true;                 /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
	return STAT_DROP_TCP_SEQ;
}

/* Trim the segment to the window: bytes already received go from the front,
 * bytes beyond the window (and then the FIN) from the back. (No SYN is left:
 * the fourth step or tcp_syn_received_dup_syn has dealt with it.) */
static void tcp_trim(struct tcb *tcb, struct seg *sg)
{
	uint32_t end = tcb->rcv.nxt + tcp_adv_left(tcb), d;

	if (SEQ_LT(sg->seq, tcb->rcv.nxt)) {
		d = tcb->rcv.nxt - sg->seq;
		d = d < sg->dlen ? d : sg->dlen;
		tcp_sack_dup(tcb, sg->seq, sg->seq + d);  /* partly old: RFC 2883 4 (1) */
		sg->data += d;
		sg->dlen -= d;
		sg->seq = tcb->rcv.nxt;
	}
	if (SEQ_GT(sg->seq + sg->dlen, end)) {
		sg->dlen = SEQ_GT(end, sg->seq) ? end - sg->seq : 0;
		sg->flags &= (uint8_t)~(TH_FIN | TH_PSH);
		tcb->ack_now = true;                 /* tell the sender what fitted */
	} else if ((sg->flags & TH_FIN) && sg->dlen && sg->seq + sg->dlen == end) {
		sg->flags &= (uint8_t)~TH_FIN;        /* data filled the window: the FIN is past it */
		tcb->ack_now = true;
	}   /* a bare FIN at RCV.NXT is taken even by a zero window: it needs no buffer (Linux) */
}

/* 3.10.7.4 second, with RFC 5961 3.2: only an exact RST resets; one that is
 * merely in the window gets a challenge ACK. */
static int tcp_rcv_rst(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	if (sg->seq != tcb->rcv.nxt) {
		tcp_challenge_ack(s, tcb);
		return STAT_DROP_TCP_RST;
	}
	switch (tcb->state) {
	case TCP_SYN_RECEIVED:
		if (tcb->passive)                    /* MUST-11 */
			tcp_set_state(s, tcb, TCP_LISTEN, "rcvd RST", "3.10.7.4");
		else
			tcp_fail(s, tcb, -ECONNREFUSED, "rcvd RST", "3.10.7.4");
		break;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		ring_drop(&tcb->snd.q, tcb->snd.q.len);  /* unsent data is lost; unread stays */
		tcp_fail(s, tcb, -ECONNRESET, "rcvd RST", "3.10.7.4");   /* aborted (MUST-12) */
		break;
	default:                                     /* CLOSING, LAST-ACK, TIME-WAIT */
		tcp_set_state(s, tcb, TCP_CLOSED, "rcvd RST", "3.10.7.4");
		break;
	}
	return 0;
}

/* 3.10.7.4 fourth, with RFC 5961 4.2: a SYN in a synchronized state gets a
 * challenge ACK; in a passive SYN-RECEIVED the child returns to LISTEN. */
static int tcp_rcv_syn(struct stack *s, struct tcb *tcb)
{
	if (tcb->state == TCP_SYN_RECEIVED && tcb->passive) {
		tcp_set_state(s, tcb, TCP_LISTEN, "rcvd SYN", "3.10.7.4");
		return 0;
	}
	tcp_challenge_ack(s, tcb);
	return STAT_DROP_TCP_SYN;
}

/* 3.10.7.4 fifth, SYN-RECEIVED: the ACK of our SYN completes the handshake.
 * (Also FIN-WAIT-1 when CLOSE came in SYN-RECEIVED: the ACK still has to cover the SYN.) */
static int tcp_rcv_ack_syn_received(struct stack *s, struct tcb *tcb, const struct seg *sg)
{
	if (!SEQ_GT(sg->ack, tcb->snd.una) || SEQ_GT(sg->ack, tcb->snd.max)) {
		tcp_reply_rst(s, sg);                /* <SEQ=SEG.ACK><CTL=RST> */
		return STAT_DROP_TCP_ACK;
	}
	if (tcb->parent && listener_acceptq_full(tcb->parent)) {   /* as Linux: wait, or RST */
		if (!s->cfg.abort_on_overflow)
			return STAT_DROP_TCP_ACCEPTQ_FULL;   /* our SYN,ACK comes again later */
		tcp_reply_rst(s, sg);
		tcp_set_state(s, tcb, TCP_CLOSED, "accept queue full, sent RST",
			      "Linux tcp_abort_on_overflow");
		return STAT_DROP_TCP_ACCEPTQ_FULL;
	}
	if (tcb_alloc_bufs(s, tcb)) {
		tcp_reply_rst(s, sg);
		tcp_set_state(s, tcb, TCP_CLOSED, "no memory for the buffers, sent RST", "3.10.7.4");
		return STAT_DROP_TCP_NOMEM;
	}
	if (tcb->state == TCP_SYN_RECEIVED)     /* else FIN-WAIT-1: CLOSE came first */
		tcp_established(s, tcb, "rcvd ACK of SYN", "3.10.7.4");
	return 0;                               /* SND.WND, WL1, WL2: tcp_update_window */
}

/* SEG.WND in bytes: shifted by Snd.Wind.Shift on every segment but a SYN (RFC 7323 2.3). */
static uint32_t tcp_seg_wnd(const struct tcb *tcb, const struct seg *sg)
{
	return (sg->flags & TH_SYN) ? sg->wnd : (uint32_t)sg->wnd << tcb->snd.wscale;
}

/* Window update (3.10.7.4 fifth), judged by SEG.SEQ as it arrived, not as trimmed. */
static void tcp_update_window(struct tcb *tcb, const struct seg *sg, uint32_t seq)
{
	uint32_t wnd = tcp_seg_wnd(tcb, sg);

	if (SEQ_GT(tcb->snd.una, sg->ack) || SEQ_GT(tcb->snd.wl1, seq) ||
	    (tcb->snd.wl1 == seq && SEQ_GT(tcb->snd.wl2, sg->ack)))
		return;                              /* an older segment: its window is stale */
	tcb->snd.wnd = wnd;
	tcb->snd.wl1 = seq;
	tcb->snd.wl2 = sg->ack;
	if (wnd > tcb->snd.max_wnd)
		tcb->snd.max_wnd = wnd;
}

/* RFC 5681 2: a duplicate ACK acknowledges nothing new, carries no data, SYN or
 * FIN, leaves the window as it was, and comes while data is outstanding. */
static bool tcp_is_dupack(const struct tcb *tcb, const struct seg *orig)
{
	return orig->ack == tcb->snd.una && orig->dlen == 0 &&
	       !(orig->flags & (TH_SYN | TH_FIN)) && tcp_seg_wnd(tcb, orig) == tcb->snd.wnd &&
	       tcb->snd.max != tcb->snd.una;
}

/* 3.10.7.4 fifth: the ACK field, then what our FIN being acknowledged means in
 * CLOSING and LAST-ACK (FIN-WAIT-1: tcp_fin_wait_1_acked, after the FIN step).
 * `orig` is the segment as it arrived, before trimming. */
static int tcp_rcv_ack(struct stack *s, struct tcb *tcb, const struct seg *sg,
		       const struct seg *orig)
{
	enum cc_action act = CC_NONE;
	uint32_t dsacks = tcb->sack.dsacks_rcvd;
	bool dup;
	int r;

	if (!tcb->snd.syn_acked && (r = tcp_rcv_ack_syn_received(s, tcb, sg)))
		return r;
	if (SEQ_GT(sg->ack, tcb->snd.max) ||                      /* acks what was never sent */
	    SEQ_LT(sg->ack, tcb->snd.una - tcb->snd.max_wnd)) {   /* RFC 5961 5.2: blind (MAY-12) */
		tcp_challenge_ack(s, tcb);
		return STAT_DROP_TCP_ACK;
	}
	tcb->timer.probes = 0;                             /* the peer is alive (MUST-37) */
	dup = tcp_is_dupack(tcb, orig);
	if (tcb->sack.ok && tcp_sack_update(s, tcb, orig) && orig->ack == tcb->snd.una &&
	    tcb->snd.max != tcb->snd.una)
		dup = true;                   /* RFC 6675 2: it SACKs new data (scoreboard updated) */
	if (SEQ_GT(sg->ack, tcb->snd.una))
		act = tcp_ack_advance(s, tcb, sg);
	tcp_update_window(tcb, sg, orig->seq);
	if (dup && tcb->rack.on)
		tcp_rack_dupack(s, tcb);      /* RACK finds the losses, not DupThresh */
	else if (dup)
		act = tcp_cc_dupack(s, tcb);
	if (act == CC_RETRANSMIT_UNA)
		tcp_retransmit_una(s, tcb);   /* with SACK, tcp_output then sends what NextSeg says */
	tcp_rack_ack(s, tcb, sg, tcb->sack.dsacks_rcvd != dsacks);   /* RFC 8985 6.2, 7.4 */
	/* LAB impl-close-states: BEGIN */
	if (!tcp_fin_acked(tcb))
		return 0;
	switch (tcb->state) {
	case TCP_CLOSING:
		tcp_set_state(s, tcb, TCP_TIME_WAIT, "rcvd ACK of FIN", "3.10.7.4");
		break;
	case TCP_LAST_ACK:
		tcp_set_state(s, tcb, TCP_CLOSED, "rcvd ACK of FIN", "3.10.7.4");
		break;
	default:
		break;
	}
	/* LAB impl-close-states: END */
	return 0;
}

/* Where the peer's stream ends, noted before its text is taken: nothing exists
 * past a FIN, so data held past it is cut away, and of two FINs (a peer gone
 * wrong) the earlier one counts. */
static void tcp_fin_note(struct tcb *tcb, const struct seg *sg)
{
	uint32_t fin = sg->seq + sg->dlen;

	if (!(sg->flags & TH_FIN) || tcb->fin_rcvd ||
	    (tcb->rcv.fin_pending && !SEQ_LT(fin, tcb->rcv.fin_seq)))
		return;
	tcb->rcv.fin_pending = true;
	tcb->rcv.fin_seq = fin;
	tcp_reasm_cut(tcb, fin);
	tcb->ack_now = true;
}

/* 3.10.7.4 fifth, FIN-WAIT-1: "if the FIN segment is now acknowledged, then enter
 * FIN-WAIT-2". Done after the eighth step, so that a FIN and the ACK of ours in
 * one segment take FIN-WAIT-1 straight to TIME-WAIT, as the eighth step says. */
static void tcp_fin_wait_1_acked(struct stack *s, struct tcb *tcb)
{
	/* LAB impl-close-states: BEGIN */
	if (tcb->state == TCP_FIN_WAIT_1 && tcp_fin_acked(tcb))
		tcp_set_state(s, tcb, TCP_FIN_WAIT_2, "rcvd ACK of FIN", "3.10.7.4");
	/* LAB impl-close-states: END */
}

/* 3.10.7.4 seventh: text goes to the receive queue, in order or held past a
 * hole (tcp_reasm.c). In-order text may wait for a delayed ACK; anything out of
 * order, or filling a hole, is ACKed at once (RFC 5681 4.2). */
static int tcp_rcv_text(struct stack *s, struct tcb *tcb, struct seg *sg)
{
	bool in_order = sg->seq == tcb->rcv.nxt && tcb->rcv.n_ooo == 0;
	int r;

	tcp_fin_note(tcb, sg);
	if (sg->dlen == 0)
		return 0;
	if (tcb->state != TCP_ESTABLISHED && tcb->state != TCP_FIN_WAIT_1 &&
	    tcb->state != TCP_FIN_WAIT_2)
		return 0;                            /* after a FIN: ignore text */
	if (tcb->state != TCP_ESTABLISHED)
		tcb->sum.half_close = true;          /* still receiving after our FIN */
	/* MAY-1: no reading after CLOSE; SHLD-3: data that comes anyway gets a RST */
	if (tcb->user_closed) {              /* 3.6.1: nobody will read it; RST as Linux */
		tcp_reply_rst(s, sg);
		tcp_set_state(s, tcb, TCP_CLOSED, "rcvd data after CLOSE, sent RST", "3.6.1");
		return 0;
	}
	if (tcb->rcv.fin_pending && SEQ_GT(sg->seq + sg->dlen, tcb->rcv.fin_seq))
		sg->dlen = SEQ_GT(tcb->rcv.fin_seq, sg->seq) ? tcb->rcv.fin_seq - sg->seq : 0;  /* past the FIN */
	if ((r = tcp_reasm(s, tcb, sg->seq, sg->data, sg->dlen)) || !in_order) {   /* MAY-13 */
		tcb->ack_now = true;
		return r;
	}
	tcb->rcv.unacked += sg->dlen;
	tcp_delack(s, tcb);
	return 0;
}

/* 3.10.7.4 eighth: the peer's FIN ends its stream, once every byte before it is
 * here: a FIN past a hole waits (fin_pending, tcp_fin_note) until it is filled. */
static void tcp_rcv_fin(struct stack *s, struct tcb *tcb)
{
	if (!tcb->rcv.fin_pending || tcb->rcv.fin_seq != tcb->rcv.nxt)
		return;
	tcb->rcv.fin_pending = false;
	tcb->rcv.nxt++;
	tcb->fin_rcvd = true;                       /* closed normally: end of stream (MUST-12) */
	if (!tcb->sum.first_fin)
		tcb->sum.first_fin = 2;              /* the peer closes first */
	tcb->ack_now = true;
	/* LAB impl-close-states: BEGIN */
	switch (tcb->state) {
	case TCP_ESTABLISHED:             /* (SYN-RECEIVED has left for it in the fifth step) */
		tcp_set_state(s, tcb, TCP_CLOSE_WAIT, "rcvd FIN", "3.10.7.4");
		break;
	case TCP_FIN_WAIT_1:
		if (tcp_fin_acked(tcb))
			tcp_set_state(s, tcb, TCP_TIME_WAIT, "rcvd FIN,ACK of our FIN", "3.10.7.4");
		else
			tcp_set_state(s, tcb, TCP_CLOSING, "rcvd FIN", "3.10.7.4");
		break;
	case TCP_FIN_WAIT_2:
		tcp_set_state(s, tcb, TCP_TIME_WAIT, "rcvd FIN", "3.10.7.4");
		break;
	default:                                     /* CLOSE-WAIT, CLOSING, LAST-ACK stay */
		break;
	}
	/* LAB impl-close-states: END */
}

/* Our SYN not yet acknowledged (SYN-RECEIVED, or FIN-WAIT-1 after an early CLOSE)
 * and a SYN we already have: the peer's SYN again (our SYN,ACK was lost: send it
 * again), or in a simultaneous open the peer's SYN,ACK, whose SYN is a duplicate
 * but whose ACK completes the handshake (figure 7, line 6). */
static bool tcp_syn_received_dup_syn(struct tcb *tcb, struct seg *sg)
{
	if (tcb->state == TCP_SYN_SENT || tcb->snd.syn_acked || !(sg->flags & TH_SYN) ||
	    sg->seq != tcb->rcv.irs)
		return false;
	if (!(sg->flags & TH_ACK)) {
		tcb->snd.nxt = tcb->snd.iss;
		return true;
	}
	sg->flags &= (uint8_t)~TH_SYN;
	sg->seq++;
	sg->wnd = (uint16_t)(sg->wnd >> tcb->snd.wscale);   /* a SYN's window is not scaled
	                                       (RFC 7323 2.3): as the ACK it now is, rounded down */
	return false;
}

/* 3.10.7.4: SYN-RECEIVED and every synchronized state. */
static int tcp_synced_input(struct stack *s, struct tcb *tcb, struct seg *sg)
{
	struct seg orig;
	int r;

	if (tcp_syn_received_dup_syn(tcb, sg))
		return 0;
	if ((r = tcp_ts_paws(s, tcb, sg)) || (r = tcp_check_seq(s, tcb, sg)))   /* first */
		return r;
	tcp_ts_recent(s, tcb, sg);                   /* RFC 7323 4.3: acceptable, so TS.Recent */
	if (sg->flags & TH_RST)                      /* second */
		return tcp_rcv_rst(s, tcb, sg);
	/* third: security (RFC 9293 3.10.7.4): not implemented */
	if (sg->flags & TH_SYN)                      /* fourth */
		return tcp_rcv_syn(s, tcb);
	if (!(sg->flags & TH_ACK))                   /* fifth */
		return STAT_DROP_TCP_NO_ACK;
	orig = *sg;
	tcp_trim(tcb, sg);
	if ((r = tcp_rcv_ack(s, tcb, sg, &orig)) || tcb->state == TCP_CLOSED)
		return r;
	/* sixth: URG: not implemented, the urgent pointer is never used */
	r = tcp_rcv_text(s, tcb, sg);                /* seventh */
	if (tcb->state == TCP_CLOSED)
		return r;
	if (!r)
		tcp_rcv_fin(s, tcb);                 /* eighth */
	tcp_fin_wait_1_acked(s, tcb);
	return r;
}

/* Connections first, then listeners (so a port can be listened on while a connection
 * from it opens: MUST-42); a CLOSED TCB still held by its user is no
 * connection. */
static struct tcb *tcp_demux(struct stack *s, const struct seg *sg)
{
	struct tcb *tcb = tcb_lookup(s, sg->src, sg->sport, sg->dport);

	if (tcb && tcb->state != TCP_CLOSED)
		return tcb;
	tcb = tcb_lookup(s, 0, 0, sg->dport);
	return tcb && tcb->state == TCP_LISTEN ? tcb : NULL;
}

void tcp_input(struct stack *s, const struct ip_pkt *ip, const uint8_t *pkt, size_t len)
{
	struct seg sg;
	struct tcb *tcb;
	int reason = tcp_parse(&sg, ip);

	if (reason) {
		stack_drop(s, reason, pkt, len);
		return;
	}
	stat_inc(s, STAT_TCP_IN);
	if (sg.has_wscale && sg.wscale > TCP_WSCALE_MAX)
		stat_inc(s, STAT_TCP_WSCALE_BIG);        /* RFC 7323 2.3: log it, use 14 */
	tcb = tcp_demux(s, &sg);
	if (tcb && tcp_time_wait_new_syn(s, tcb, &sg))
		tcb = tcp_demux(s, &sg);                 /* the old one is gone: a listener's turn */
	if (tcb && !tcb->listen)
		tcb->sum.segs_in++;
	if (!tcb)
		reason = tcp_closed_input(s, &sg);
	else if (tcb->state == TCP_LISTEN)
		reason = tcp_listen_input(s, tcb, &sg);
	else if (tcb->state == TCP_SYN_SENT)
		reason = tcp_syn_sent_input(s, tcb, &sg);
	else
		reason = tcp_synced_input(s, tcb, &sg);
	if (reason)
		stack_drop(s, reason, pkt, len);
	if (tcb) {
		tcp_output(s, tcb);
		if (tcb->state == TCP_CLOSED)
			tcp_rack_free(tcb);              /* nothing is in flight any more */
		tcb_maybe_free(s, tcb);
	}
}

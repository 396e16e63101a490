/* tcp_out.c - what to send and sending it: SYN, SYN-ACK, data within the peer's
 * window, FIN after the last byte, pure ACKs, and RSTs (RFC 9293 3.10.7.1).
 * Every TCP segment leaves through tcp_emit(). Data is copied once, from the send
 * queue straight into the packet; tcp_rack.c is told when each segment left. Entry
 * points: tcp_output, tcp_send_ack, tcp_send_rst, tcp_reply_rst, tcp_output_probe;
 * for RACK-TLP tcp_rack_resend_first and tcp_tlp_send (the tail loss probe). */
#include "tcp_priv.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Room the receive ring keeps past rcvbuf when our windows are scaled (1/32 of it,
 * at least 2^shift): a right edge held still (never left, RFC 7323 2.4) while RCV.NXT
 * moves by amounts that are no multiple of 2^shift must be rounded up, into this. */
uint32_t tcp_rcv_slack(const struct stack *s)
{
	uint32_t unit = 1u << s->wscale;

	return !s->wscale ? 0 : s->cfg.rcvbuf / 32 > unit ? s->cfg.rcvbuf / 32 : unit;
}

/* The free receive buffer (the slack not counted), at most what 16 bits shifted by
 * Rcv.Wind.Shift can say: the most we could advertise. A half-open child has no
 * buffer yet: it will have all of it. */
uint32_t tcp_rcv_wnd(const struct stack *s, const struct tcb *tcb)
{
	uint32_t room = tcb->rcv.q.cap - tcb->rcv.q.len, slack = tcp_rcv_slack(s);
	uint32_t free = !tcb->rcv.q.buf ? s->cfg.rcvbuf : room > slack ? room - slack : 0;

	return MIN(free, 65535u << tcb->rcv.wscale);
}

/* RCV.WND: what is left of the window last advertised, from RCV.NXT. This is the
 * window segments are checked and trimmed against (3.10.7.4), as Linux's
 * tcp_receive_window(): never the free space, which may reach past that edge. */
uint32_t tcp_adv_left(const struct tcb *tcb)
{
	return SEQ_GT(tcb->rcv.adv, tcb->rcv.nxt) ? tcb->rcv.adv - tcb->rcv.nxt : 0;
}

/* The window to advertise (3.8.6.2.2, receiver's SWS avoidance, MUST-39): its right
 * edge moves only by a useful step, min(half the buffer, MSS), and never back (SHLD-14).
 * (Free space is never below what is left: data that arrives takes both down alike.) */
uint32_t tcp_adv_wnd(const struct stack *s, const struct tcb *tcb)
{
	uint32_t free = tcp_rcv_wnd(s, tcb), step = MIN(tcb->rcv.q.cap / 2, s->mss);
	uint32_t left = tcp_adv_left(tcb);

	return free >= left + step ? free : MIN(left, free);
}

/* Our FIN sits right after the last queued byte. */
bool tcp_fin_acked(const struct tcb *tcb)
{
	return tcb->fin_queued && SEQ_GT(tcb->snd.una, tcb->snd.data_seq + tcb->snd.q.len);
}

/* For the trace: 0 for a segment sent the first time (or one without data, SYN or
 * FIN); the Nth retransmission after a timeout; -1 for one resent at once. */
static int tcp_rexmt_kind(const struct tcb *tcb, uint32_t seq, uint8_t flags, uint32_t dlen)
{
	if (!(dlen || (flags & (TH_SYN | TH_FIN))) || !SEQ_LT(seq, tcb->snd.max))
		return 0;
	return tcb->timer.rexmt_count ? tcb->timer.rexmt_count : -1;
}

/* Before a segment leaves: its data is queued data, inside the peer's window, and
 * one without data (SYN, FIN, ACK, RST) is not past SND.MAX. */
static bool tcp_emit_ok(struct stack *s, const struct tcb *tcb, uint32_t seq, uint32_t dlen)
{
	uint32_t data_end = tcb->snd.data_seq + tcb->snd.q.len;

	if (!dlen)
		return stack_invariant(s, SEQ_LEQ(seq, tcb->snd.max),
				       "a segment without data is at most at SND.MAX");
	return stack_invariant(s, SEQ_GEQ(seq, tcb->snd.data_seq) && SEQ_LEQ(seq + dlen, data_end),
			       "data sent is data queued") &&
	       stack_invariant(s, SEQ_LEQ(seq + dlen, tcb->snd.una + tcb->snd.wnd),
			       "data sent fits the peer's window");
}

/* RFC 7323 2.3: the 16-bit window field for `wnd` bytes from RCV.NXT, shifted by
 * `shift` (0 on a SYN: its window is never scaled). Rounded down, so it promises no
 * buffer we lack; but if that would move the right edge left of the one already
 * advertised (2.4), rounded up instead, into the ring's slack. Each such ACK may
 * move the edge up to 2^shift - 1 past the free buffer; should many tiny segments the
 * user does not read use all the slack up, the edge goes back by less than 2^shift
 * (a deviation: never seen with segments of 2^shift bytes or more). */
static uint16_t tcp_wnd_field(const struct stack *s, const struct tcb *tcb, uint32_t wnd,
			      uint8_t shift)
{
	uint32_t f = MIN(wnd >> shift, 65535u), left = tcp_adv_left(tcb), up;
	uint32_t room = tcb->rcv.q.buf ? tcb->rcv.q.cap - tcb->rcv.q.len :
		s->cfg.rcvbuf + tcp_rcv_slack(s);

	if ((f << shift) >= left)
		return (uint16_t)f;
	up = (left + (1u << shift) - 1) >> shift;
	return (uint16_t)(up <= 65535u && (up << shift) <= room ? up : f);
}

/* RFC 2018 3: how many SACK blocks fit beside the other options (4, 3 with
 * timestamps) and, on a segment with data, within the peer's MSS. */
static int tcp_sack_room(const struct tcb *tcb, const struct seg *sg)
{
	uint32_t room = 40 - (uint32_t)tcp_opts_len(sg);

	if (sg->dlen)
		room = MIN(room, tcb->snd.mss > sg->dlen ? tcb->snd.mss - sg->dlen : 0);
	return room >= 12 ? (int)((room - 4) / 8) : 0;
}

/* The options of a segment other than a SYN's: timestamps, then SACK blocks. */
static void tcp_emit_options(struct stack *s, struct tcb *tcb, struct seg *sg)
{
	tcp_ts_fill(s, tcb, sg);
	if (!(sg->flags & TH_ACK) || (sg->flags & (TH_SYN | TH_RST)))
		return;
	sg->n_sack = (uint8_t)tcp_sack_blocks(tcb, sg->sack, MIN(tcp_sack_room(tcb, sg),
								  TCP_SACK_MAX_BLOCKS));
	if (sg->n_sack && tcb->sack.dsack)
		stat_inc(s, STAT_DSACK_SENT);
	tcp_sack_sent(tcb);
}

static void tcp_emit(struct stack *s, struct tcb *tcb, uint32_t seq, uint8_t flags, uint32_t dlen)
{
	uint8_t shift = (flags & TH_SYN) ? 0 : tcb->rcv.wscale;
	struct seg sg = {
		.src = tcb->laddr, .dst = tcb->raddr, .sport = tcb->lport, .dport = tcb->rport,
		.seq = seq, .ack = (flags & TH_ACK) ? tcb->rcv.nxt : 0, .flags = flags,
		/* the MSS option on every SYN, never on another segment (SHLD-5, MUST-65) */
		.wnd = tcp_wnd_field(s, tcb, tcp_adv_wnd(s, tcb), shift),
		.mss = (flags & TH_SYN) ? s->mss : 0,
		/* window scale: on a SYN only, on a SYN,ACK only if the peer's SYN had it (2.2) */
		.has_wscale = (flags & TH_SYN) && tcb->rcv.ws_offer, .wscale = s->wscale,
		.sack_ok = (flags & TH_SYN) && tcb->sack.offer,   /* RFC 2018 2: SYNs only */
		.dlen = dlen,
	};
	uint8_t *data = s->out + IP_HDR_LEN + TCP_HDR_LEN;

	if (!tcp_emit_ok(s, tcb, seq, dlen))
		return;
	if (dlen) {
		ring_peek(&tcb->snd.q, seq - tcb->snd.data_seq, data, dlen);
		sg.data = data;
	}
	tcp_emit_options(s, tcb, &sg);
	if (flags & TH_ACK) {
		tcp_ts_sent(tcb, &sg);
		tcb->rcv.adv = tcb->rcv.nxt + ((uint32_t)sg.wnd << shift);   /* exact, in bytes */
		tcb->ack_now = false;
		tcb->timer.delack = 0;
		tcb->rcv.unacked = 0;
	}
	stat_inc(s, STAT_TCP_OUT);
	tcb->sum.segs_out++;
	stack_emit(s, tcp_build(s->out, &sg, s->ip_id++), tcb, tcp_rexmt_kind(tcb, seq, flags, dlen));
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. While a timeout has SND.NXT stepped back
 * to resend, the next new octet is SND.MAX: an ACK carries that (as BSD does), or
 * the peer, which has those octets already, would find it outside its window,
 * drop it unread and answer with an ACK of its own, forever. */
void tcp_send_ack(struct stack *s, struct tcb *tcb)
{
	tcp_emit(s, tcb, tcb->snd.max, TH_ACK, 0);
}

/* Abort: <SEQ=SND.NXT><CTL=RST> (SND.MAX, as for an ACK), with the ACK as Linux adds it. */
void tcp_send_rst(struct stack *s, struct tcb *tcb)
{
	stat_inc(s, STAT_RST_SENT);
	tcp_emit(s, tcb, tcb->snd.max, TH_RST | TH_ACK, 0);
}

/* RFC 9293 3.10.7.1: answer a segment that has no connection. Never answers a RST. */
void tcp_reply_rst(struct stack *s, const struct seg *in)
{
	struct seg sg = {
		.src = in->dst, .dst = in->src, .sport = in->dport, .dport = in->sport,
	};

	if (in->flags & TH_RST)
		return;
	if (in->flags & TH_ACK) {
		sg.seq = in->ack;                        /* <SEQ=SEG.ACK><CTL=RST> */
		sg.flags = TH_RST;
	} else {
		sg.ack = in->seq + seg_len(in);          /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		sg.flags = TH_RST | TH_ACK;
	}
	stat_inc(s, STAT_RST_SENT);
	stat_inc(s, STAT_TCP_OUT);
	stack_emit(s, tcp_build(s->out, &sg, s->ip_id++), NULL, 0);
}

/* A listener's SYN-ACK with a SYN cookie for its ISN (tcp_syncookie.c): no TCB. */
void tcp_reply_cookie(struct stack *s, const struct seg *syn)
{
	struct seg sg = {
		.src = syn->dst, .dst = syn->src, .sport = syn->dport, .dport = syn->sport,
		.seq = tcp_cookie_make(s, syn), .ack = syn->seq + 1, .flags = TH_SYN | TH_ACK,
		.wnd = (uint16_t)MIN(s->cfg.rcvbuf, 65535u), .mss = s->mss,
	};

	stat_inc(s, STAT_SYNCOOKIE_SENT);
	stat_inc(s, STAT_TCP_OUT);
	stack_emit(s, tcp_build(s->out, &sg, s->ip_id++), NULL, 0);
}

/* RFC 5961: an ACK that asks a blind sender to prove itself (for a RST in the
 * window but not at RCV.NXT, a SYN, an ACK of data never sent or older than the
 * largest window). At most TCP_CHALLENGE_ACK_MAX a second per
 * connection (RFC 5961 7), so a flood of forgeries cannot make us flood back. */
void tcp_challenge_ack(struct stack *s, struct tcb *tcb)
{
	if (s->now - tcb->chack_since >= 1000000) {
		tcb->chack_since = s->now;
		tcb->chack_count = 0;
	}
	if (tcb->chack_count >= TCP_CHALLENGE_ACK_MAX) {
		stat_inc(s, STAT_CHALLENGE_ACK_LIMITED);
		return;
	}
	tcb->chack_count++;
	tcb->ack_now = true;
	stat_inc(s, STAT_CHALLENGE_ACK);
}

/* The ACK owed to an out-of-window segment without data: at most one per
 * TCP_OOW_ACK_MS (as Linux), so two sides that each find the other's ACKs out of
 * their window cannot start an endless ACK loop, and a flood of blind ACKs gets
 * next to nothing back. Out-of-window data is always answered: its ACK may be the
 * one the sender needs to move on. */
void tcp_oow_ack(struct stack *s, struct tcb *tcb)
{
	if (tcb->oow_ack_at && s->now - tcb->oow_ack_at < TCP_OOW_ACK_MS * 1000ull) {
		stat_inc(s, STAT_OOW_ACK_LIMITED);
		return;
	}
	tcb->oow_ack_at = s->now;
	tcb->ack_now = true;
}

/* States in which data and FIN may be (re)transmitted. */
static bool tcp_can_send_data(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_FIN_WAIT_1 ||
	       st == TCP_CLOSING || st == TCP_LAST_ACK;
}

/* The congestion window, and RFC 3042 limited transmit: the first two duplicate
 * ACKs each let one more new segment go, so that a small window still brings the
 * third duplicate ACK that starts a fast retransmit instead of waiting for a timeout. */
static uint32_t tcp_cwnd_now(const struct tcb *tcb)
{
	int extra = tcb->cc.in_recovery ? 0 : tcb->cc.dupacks < 2 ? tcb->cc.dupacks : 2;

	return tcb->cc.cwnd + (uint32_t)extra * tcb->snd.mss;
}

/* How much of the queue, from `seq`, to send now; 0 with no FIN due: nothing.
 * The window is the smaller of the peer's and the congestion window; one the peer
 * shrank below `seq` leaves nothing usable (MUST-34). A short segment waits
 * (3.8.6.2.1, sender's SWS avoidance, MUST-38; and Nagle, 3.7.4, SHLD-7) unless
 * it is all there is and nothing is unacknowledged, it fills half the largest
 * window the peer ever offered, it is a retransmission, or the persist timer
 * says enough waiting. */
static uint32_t tcp_send_len(const struct stack *s, const struct tcb *tcb, uint32_t seq,
			     bool force)
{
	uint32_t data_end = tcb->snd.data_seq + tcb->snd.q.len, avail = data_end - seq;
	uint32_t win_end = tcb->snd.una + MIN(tcb->snd.wnd, tcp_cwnd_now(tcb));
	uint32_t usable = SEQ_GT(win_end, seq) ? MIN(win_end - seq, avail) : 0;
	bool nagle_ok = s->cfg.no_nagle || tcb->fin_queued || tcb->snd.una == tcb->snd.max;

	if (usable >= tcb->snd.mss)
		return tcb->snd.mss;               /* a full segment whenever possible (SHLD-28) */
	if (usable == avail && nagle_ok)
		return usable;                     /* everything left, nothing in flight */
	if (usable && (usable >= tcb->snd.max_wnd / 2 || SEQ_LT(seq, tcb->snd.max) || force))
		return usable;
	return 0;
}

/* A segment at `seq` is about to leave: new data is timed (one segment at a time);
 * a retransmission is counted, and ends any timing (Karn, RFC 6298 3; MUST-18). */
static void tcp_rtt_karn(struct stack *s, struct tcb *tcb, uint32_t seq)
{
	if (SEQ_GEQ(seq, tcb->snd.max)) {
		tcp_rtt_start(s, tcb, seq);
		return;
	}
	stat_inc(s, STAT_RETRANSMIT);
	if (tcb->timer.rexmt_count)
		tcb->sum.rexmt_timeout++;
	else
		tcb->sum.rexmt_fast++;
	tcb->rtt.timing = false;
}

/* Build and send the segment at `seq` with dlen bytes; a FIN rides on the last byte. */
static uint32_t tcp_send_data(struct stack *s, struct tcb *tcb, uint32_t seq, uint32_t dlen,
			      bool fin_ok)
{
	uint32_t data_end = tcb->snd.data_seq + tcb->snd.q.len;
	uint8_t flags = TH_ACK;

	if (seq + dlen == data_end && tcb->fin_queued && fin_ok)
		flags |= TH_FIN;
	if (dlen && seq + dlen == data_end)
		flags |= TH_PSH;                     /* the send queue is empty now (MUST-61) */
	if ((flags & TH_FIN) && !tcb->sum.first_fin)
		tcb->sum.first_fin = 1;              /* we close first */
	if (dlen && tcb->state == TCP_CLOSE_WAIT && SEQ_GEQ(seq, tcb->snd.max))
		tcb->sum.half_close = true;          /* still sending after the peer's FIN */
	tcp_rtt_karn(s, tcb, seq);
	tcp_emit(s, tcb, seq, flags, dlen);
	tcp_rexmt_arm(s, tcb);
	tcp_rack_sent(s, tcb, seq, dlen + !!(flags & TH_FIN));   /* when it left (RFC 8985) */
	return dlen + !!(flags & TH_FIN);
}

/* Send one segment starting at SND.NXT if there is anything to send. */
static bool tcp_output_one(struct stack *s, struct tcb *tcb, bool force)
{
	uint32_t seq = tcb->snd.nxt, data_end = tcb->snd.data_seq + tcb->snd.q.len, dlen;
	uint32_t room = UINT32_MAX;
	uint8_t flags;

	if (!tcb->snd.syn_acked && seq == tcb->snd.iss) {  /* SYN not sent, or being resent */
		if (tcb->state != TCP_SYN_SENT && tcb->state != TCP_SYN_RECEIVED &&
		    tcb->state != TCP_FIN_WAIT_1)      /* CLOSE in SYN-RECEIVED */
			return false;
		flags = tcb->state == TCP_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;
		tcp_rtt_karn(s, tcb, seq);
		tcp_emit(s, tcb, seq, flags, 0);
		tcp_rexmt_arm(s, tcb);
		tcb->snd.nxt = seq + 1;
	} else {
		if (tcb->sack.ok && SEQ_LT(seq, tcb->snd.max))
			seq = tcb->snd.nxt = tcp_sack_skip(tcb, seq, &room);   /* SACKed: not again */
		if (!tcp_can_send_data(tcb->state) || SEQ_GT(seq, data_end))
			return false;                  /* FIN already sent */
		dlen = MIN(tcp_send_len(s, tcb, seq, force), room);
		if (dlen == 0 && !(seq == data_end && tcb->fin_queued))
			return false;
		tcb->snd.nxt = seq + tcp_send_data(s, tcb, seq, dlen, true);
	}
	if (SEQ_GT(tcb->snd.nxt, tcb->snd.max))
		tcb->snd.max = tcb->snd.nxt;
	return true;
}

/* Fast retransmit and NewReno's partial ACK: the first unacknowledged segment
 * again, whatever cwnd says, but only bytes sent before (up to SND.MAX), within
 * the peer's window (SHLD-16); the FIN too if it was sent. SND.NXT stays where it is. */
uint32_t tcp_retransmit_una(struct stack *s, struct tcb *tcb)
{
	uint32_t data_end = tcb->snd.data_seq + tcb->snd.q.len, seq = tcb->snd.una;
	uint32_t sent_end = SEQ_LT(tcb->snd.max, data_end) ? tcb->snd.max : data_end;
	uint32_t win_end = tcb->snd.una + tcb->snd.wnd, len;
	bool fin_sent = SEQ_GT(tcb->snd.max, data_end);

	if (!tcb->snd.syn_acked || !tcp_can_send_data(tcb->state) || SEQ_GT(seq, data_end))
		return 0;
	len = MIN(SEQ_GT(sent_end, seq) ? sent_end - seq : 0, tcb->snd.mss);
	if (SEQ_LT(win_end, seq + len))
		len = SEQ_GT(win_end, seq) ? win_end - seq : 0;
	if (!len && !(fin_sent && seq == data_end))
		return 0;
	tcp_send_data(s, tcb, seq, len, fin_sent);
	if (tcb->sack.ok && SEQ_LT(tcb->sack.high_rxt, seq + len))
		tcb->sack.high_rxt = seq + len;      /* RFC 6675 5 (4.3) */
	return len;
}

/* ---- loss recovery with SACK (RFC 6675 5): which segment, tcp_sack.c decides ---- */

/* New data NextSeg may send (its rule 2): up to a segment within the peer's window,
 * or the FIN when every byte has been sent. */
static uint32_t tcp_sack_new_len(const struct tcb *tcb, bool *fin)
{
	uint32_t data_end = tcb->snd.data_seq + tcb->snd.q.len, nxt = tcb->snd.nxt;
	uint32_t win_end = tcb->snd.una + tcb->snd.wnd;
	uint32_t room = SEQ_GT(win_end, nxt) ? win_end - nxt : 0;

	*fin = nxt == data_end && tcb->fin_queued;
	if (!SEQ_LT(nxt, data_end))
		return 0;
	return MIN(MIN(data_end - nxt, room), tcb->snd.mss);
}

/* Sent data again from `seq`, cut to the data sent and the peer's window; the FIN again
 * if it was sent and this reaches it (alone too, with `fin_alone`). Returns the length
 * in sequence space, 0 when nothing went. */
static uint32_t tcp_resend(struct stack *s, struct tcb *tcb, uint32_t seq, uint32_t len,
			   bool fin_alone)
{
	uint32_t data_end = tcb->snd.data_seq + tcb->snd.q.len;
	uint32_t win_end = tcb->snd.una + tcb->snd.wnd;
	bool fin_sent = SEQ_GT(tcb->snd.max, data_end);

	if (SEQ_GT(seq + len, data_end))
		len = SEQ_GT(data_end, seq) ? data_end - seq : 0;
	if (SEQ_GT(seq + len, win_end))
		len = SEQ_GT(win_end, seq) ? win_end - seq : 0;
	if (!len && !(fin_alone && fin_sent && seq == data_end))
		return 0;
	return tcp_send_data(s, tcb, seq, len, fin_sent);
}

/* A hole NextSeg chose (with RACK: a segment it deemed lost, a lone FIN too). Returns
 * the bytes sent (with RACK: the sequence space). */
static uint32_t tcp_sack_resend(struct stack *s, struct tcb *tcb, uint32_t seq, uint32_t len)
{
	uint32_t n = tcp_resend(s, tcb, seq, len, tcb->rack.on), data_end;

	if (!n)
		return 0;
	stat_inc(s, STAT_SACK_RETRANSMIT);
	data_end = tcb->snd.data_seq + tcb->snd.q.len;
	len = SEQ_GT(seq + len, data_end) ? (SEQ_GT(data_end, seq) ? data_end - seq : 0) : len;
	tcb->sack.high_rxt = seq + MIN(len, n);
	return tcb->rack.on ? n : MIN(len, n);
}

/* One segment by NextSeg: its length in sequence space, 0 when nothing may go. */
static uint32_t tcp_sack_step(struct stack *s, struct tcb *tcb)
{
	bool fin;
	uint32_t new_len = tcp_sack_new_len(tcb, &fin), seq, len, n;

	switch (tcp_sack_next_seg(tcb, new_len || fin, &seq, &len)) {
	case SACK_NEXT_LOST:
	case SACK_NEXT_HOLE:
		return tcp_sack_resend(s, tcb, seq, len);
	case SACK_NEXT_NEW:
		n = tcp_send_data(s, tcb, tcb->snd.nxt, new_len, true);
		tcb->snd.nxt += n;
		tcb->snd.max = tcb->snd.nxt;
		return n;
	default:
		return 0;
	}
}

/* RFC 6675 5 (4.3) with RACK: the first segment deemed lost goes now, whatever the pipe. */
bool tcp_rack_resend_first(struct stack *s, struct tcb *tcb)
{
	uint32_t seq, len;

	return tcp_can_send_data(tcb->state) && tcp_rack_first_lost(tcb, &seq, &len) &&
	       tcp_sack_resend(s, tcb, seq, len) > 0;
}

/* RFC 8985 7.3: the tail loss probe. New data if there is some and the peer's window
 * takes it (cwnd aside), else the last segment sent, again. */
bool tcp_tlp_send(struct stack *s, struct tcb *tcb, bool *is_retrans)
{
	const struct rack_log *log = tcb->rack.log;
	uint32_t new_len, n;
	bool fin;

	if (!tcp_can_send_data(tcb->state) || tcb->snd.nxt != tcb->snd.max)
		return false;
	new_len = tcp_sack_new_len(tcb, &fin);
	*is_retrans = !new_len && !fin;
	if (!*is_retrans) {
		n = tcp_send_data(s, tcb, tcb->snd.nxt, new_len, true);
		tcb->snd.nxt += n;
		tcb->snd.max = tcb->snd.nxt;
		return n > 0;
	}
	if (!log || !log->n)
		return false;
	return tcp_resend(s, tcb, log->seg[log->n - 1].seq, log->seg[log->n - 1].len, true) > 0;
}

/* RFC 6675 5 (C): in loss recovery, while cwnd - pipe >= 1 SMSS, send NextSeg. */
static bool tcp_sack_output(struct stack *s, struct tcb *tcb)
{
	uint32_t pipe = tcp_sack_pipe(tcb), n;
	bool sent = false;

	while (tcb->cc.cwnd >= pipe + tcb->snd.mss && (n = tcp_sack_step(s, tcb))) {
		pipe += n;
		sent = true;
	}
	return sent;
}

/* RFC 9293 3.8.6.1: data waits, nothing is in flight to bring an ACK, and the
 * window is zero (probe it: MUST-36) or too small to be worth a segment (send into it
 * later anyway): the persist timer. Also when the window shrank to zero under
 * data in flight (MUST-35), once the retransmission timer has given its turn up. */
static void tcp_persist_check(struct stack *s, struct tcb *tcb)
{
	bool waiting = tcp_can_send_data(tcb->state) && tcb->snd.syn_acked &&
		       SEQ_LT(tcb->snd.nxt, tcb->snd.data_seq + tcb->snd.q.len);

	if (waiting && !tcb->timer.rexmt) {
		if (!tcb->timer.persist_ms)
			tcb->timer.persist_ms = tcb->timer.rto_ms;   /* one RTO first (SHLD-29) */
		if (!tcb->timer.persist)
			tcb->timer.persist = s->now + (uint64_t)tcb->timer.persist_ms * 1000;
	} else {
		tcb->timer.persist = 0;
		tcb->timer.persist_ms = 0;
	}
}

/* Everything that may go now; `force`: short segments too (the persist timer). */
static void tcp_output_all(struct stack *s, struct tcb *tcb, bool force)
{
	bool sent = false;

	if (tcb->state == TCP_CLOSED || tcb->state == TCP_LISTEN)
		return;
	if (tcb->sack.ok && tcb->cc.in_recovery && tcb->snd.nxt == tcb->snd.max &&
	    tcp_can_send_data(tcb->state))
		sent = tcp_sack_output(s, tcb);
	else
		while (tcp_output_one(s, tcb, force))
			sent = true;
	if (!sent && tcb->ack_now && tcb->state != TCP_SYN_SENT)
		tcp_send_ack(s, tcb);                /* else the ACK rode on data (MUST-58) */
	tcp_persist_check(s, tcb);
}

void tcp_output(struct stack *s, struct tcb *tcb)
{
	tcp_output_all(s, tcb, false);
}

/* The persist timer's turn with a small window: send what fits despite sender's
 * SWS avoidance and Nagle (3.8.6.2.1). */
void tcp_output_forced(struct stack *s, struct tcb *tcb)
{
	tcp_output_all(s, tcb, true);
}

/* A zero-window probe that carries no data, as Linux sends it: an old sequence
 * number, so the peer must answer with an ACK that shows its current window. */
void tcp_output_probe(struct stack *s, struct tcb *tcb)
{
	tcp_emit(s, tcb, tcb->snd.una - 1, TH_ACK, 0);
}

/* tcp_icmp.c - an ICMP error for a connection (RFC 9293 3.9.2.2, MUST-54..56; RFC 1122
 * 4.2.3.9; RFC 5927; RFC 1191). It must name one of our connections and a sequence
 * number we sent that is not yet acknowledged (RFC 5927 4.1: SND.UNA <= SEQ < SND.MAX),
 * else it is dropped, so a blind attacker has as much to guess as for a RST. Then, as
 * Linux does:
 *  - fragmentation needed: the MSS drops to the next-hop MTU - 40, and what is in
 *    flight is sent again at the new size (path MTU discovery);
 *  - SYN-SENT, or an active SYN-RECEIVED: any other error aborts the attempt with its
 *    errno (RFC 5461 4: soft errors count as hard while connecting, as Linux has it);
 *    a passive half-open child is dropped on a hard error only;
 *  - a synchronized state: a soft error (MUST-56). The connection goes on; the error
 *    is kept (tcp_sock_error reads it, as SO_ERROR) and is the one reported instead of
 *    ETIMEDOUT if the retransmissions give up. An ACK of new data clears it.
 * Entry point: tcp_icmp_error. */
#include <errno.h>
#include <stdio.h>
#include "tcp_priv.h"

/* What an error means to a connection: Linux's errno for it, whether RFC 1122 (and
 * Linux) call it hard, and the cause the log gives. */
struct icmp_meaning {
	int err;
	bool hard;
	const char *cause;
};

/* Destination unreachable, by code (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
static const struct icmp_meaning unreach[16] = {
	{ ENETUNREACH, false, "rcvd ICMP net unreachable" },
	{ EHOSTUNREACH, false, "rcvd ICMP host unreachable" },
	{ ENOPROTOOPT, true, "rcvd ICMP protocol unreachable" },
	{ ECONNREFUSED, true, "rcvd ICMP port unreachable" },
	{ EMSGSIZE, false, "rcvd ICMP fragmentation needed" },
	{ EOPNOTSUPP, false, "rcvd ICMP source route failed" },
	{ ENETUNREACH, true, "rcvd ICMP net unknown" },
	{ EHOSTDOWN, true, "rcvd ICMP host unknown" },
	{ ENONET, true, "rcvd ICMP source host isolated" },
	{ ENETUNREACH, true, "rcvd ICMP net administratively prohibited" },
	{ EHOSTUNREACH, true, "rcvd ICMP host administratively prohibited" },
	{ ENETUNREACH, false, "rcvd ICMP net unreachable for TOS" },
	{ EHOSTUNREACH, false, "rcvd ICMP host unreachable for TOS" },
	{ EHOSTUNREACH, true, "rcvd ICMP communication administratively prohibited" },
	{ EHOSTUNREACH, true, "rcvd ICMP host precedence violation" },
	{ EHOSTUNREACH, true, "rcvd ICMP precedence cutoff" },
};
static const struct icmp_meaning time_exceeded = { EHOSTUNREACH, false, "rcvd ICMP time exceeded" };
static const struct icmp_meaning param_problem = { EPROTO, false, "rcvd ICMP parameter problem" };

static const struct icmp_meaning *icmp_meaning(const struct icmp_err *e)
{
	if (e->type == ICMP_TIME_EXCEEDED)
		return &time_exceeded;
	if (e->type == ICMP_PARAM_PROBLEM)
		return &param_problem;
	return e->code < 16 ? &unreach[e->code] : NULL;
}

/* RFC 1191 7.1: an old router says no MTU; guess the plateau below what we sent. */
static uint32_t pmtu_plateau(uint32_t sent)
{
	static const uint16_t plateau[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296 };

	for (size_t i = 0; i < sizeof(plateau) / sizeof(plateau[0]); i++)
		if (plateau[i] < sent)
			return plateau[i];
	return TCP_MIN_PMTU;
}

/* RFC 1191: our segments are too big for the path. The MSS drops to the next-hop MTU
 * - 40 (never below TCP_MIN_PMTU - 40, nor up), and what is in flight is sent again
 * at the new size, without any congestion response (as Linux's tcp_simple_retransmit). */
static void tcp_pmtu_reduce(struct stack *s, struct tcb *tcb, const struct icmp_err *e)
{
	uint32_t mtu = e->mtu ? e->mtu : pmtu_plateau(e->tot_len), mss;

	if (mtu < TCP_MIN_PMTU)
		mtu = TCP_MIN_PMTU;
	mss = mtu - IP_HDR_LEN - TCP_HDR_LEN - (tcb->ts.ok ? TCP_TS_OPT_LEN : 0);

	if (mss >= tcb->snd.mss)
		return;
	snprintf(s->note, sizeof(s->note), "rcvd ICMP fragmentation needed (mtu %u): MSS %u -> %u",
		 mtu, tcb->snd.mss, mss);
	tcp_trace_conn(s, tcb, TRACE_ICMP, s->note);
	tcb->snd.mss = (uint16_t)mss;      /* data per segment: timestamps take 12 bytes */
	if (tcb->snd.syn_acked && tcb->snd.una != tcb->snd.max) {
		tcb->snd.nxt = tcb->snd.una;         /* go back: resend from the oldest byte */
		tcb->rtt.timing = false;             /* Karn */
		tcp_output(s, tcb);
	}
}

/* What the error does to the connection in its state (see the top of the file). */
static void tcp_icmp_act(struct stack *s, struct tcb *tcb, const struct icmp_meaning *m)
{
	if (tcb->state == TCP_SYN_SENT || (tcb->state == TCP_SYN_RECEIVED && !tcb->passive)) {
		tcp_fail(s, tcb, -m->err, m->cause, "3.9.2.2");   /* SHLD-26, while connecting */
	} else if (tcb->state == TCP_SYN_RECEIVED && m->hard) {
		tcp_set_state(s, tcb, TCP_LISTEN, m->cause, "3.9.2.2");
	} else {
		tcb->soft_error = -m->err;           /* MUST-56: not aborted; SHLD-25: kept */
		tcp_trace_conn(s, tcb, TRACE_ICMP, m->cause);
	}
}

/* An ICMP error quoting a TCP segment we sent (icmp.c has checked the quote): to the
 * connection it names (MUST-54). */
int tcp_icmp_error(struct stack *s, const struct icmp_err *e)
{
	struct tcb *tcb = tcb_lookup(s, e->dst, e->dport, e->sport);
	const struct icmp_meaning *m = icmp_meaning(e);

	if (!m)
		return STAT_DROP_ICMP_TYPE;
	if (!tcb || tcb->state == TCP_CLOSED || tcb->state == TCP_LISTEN)
		return STAT_DROP_ICMP_NO_CONN;
	if (!SEQ_GEQ(e->seq, tcb->snd.una) || !SEQ_LT(e->seq, tcb->snd.max))
		return STAT_DROP_ICMP_SEQ;
	stat_inc(s, STAT_ICMP_ERROR);
	if (e->type == ICMP_UNREACH && e->code == ICMP_UNREACH_NEEDFRAG)
		tcp_pmtu_reduce(s, tcb, e);
	else
		tcp_icmp_act(s, tcb, m);
	tcb_maybe_free(s, tcb);
	return 0;
}

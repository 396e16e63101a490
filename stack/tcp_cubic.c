/* tcp_cubic.c - CUBIC (RFC 9438), the congestion window as a cubic function of the
 * time since the last reduction: W_cubic(t) = C*(t-K)^3 + W_max (4.2). After a loss
 * cwnd climbs fast, flattens out as it nears W_max, the window that saw the loss
 * (concave region, 4.4), then probes past it ever faster (convex region, 4.5); where
 * Reno would do better (short RTTs), it follows Reno's estimate W_est (4.3). A loss
 * reduces by beta = 0.7 (4.6), not 0.5.
 * tcp_cc.c decides *when* (slow start, dup ACKs, recovery); this file only says what
 * ssthresh becomes on a loss and how cwnd grows in congestion avoidance.
 * Integer arithmetic only (no libm): windows in bytes (the RFC's segments * SMSS),
 * times in ms, and an integer cube root, as Linux's tcp_cubic.c has (Linux uses a
 * table and a Newton step; here it is computed bit by bit). */
#include <stdio.h>
#include <stdlib.h>
#include "tcp_priv.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* RFC 9438 5.1, 4.6, 4.3, as fractions: C = 0.4 segments/s^3, beta_cubic = 0.7,
 * alpha_cubic = 3 * (1 - beta) / (1 + beta) = 9/17. */
#define CUBIC_BETA_NUM   7
#define CUBIC_BETA_DEN   10
#define CUBIC_ALPHA_NUM  9
#define CUBIC_ALPHA_DEN  17
/* |t - K| beyond this (524 s) is not worth more: the window would be millions of
 * segments, and (t-K)^3 * SMSS must fit in 64 bits. */
#define CUBIC_DT_MAX_MS  (1u << 19)

enum { REGION_NONE, REGION_RENO, REGION_CONCAVE, REGION_CONVEX };

/* ---- the formulas ---- */

/* floor(cbrt(x)), one bit of the root at a time (Hacker's Delight 9-3): the next bit
 * is 1 if (2y+1)^3 still fits, i.e. if x >= 3*2y*(2y+1) + 1 at this scale. */
uint32_t cubic_cbrt(uint64_t x)
{
	uint64_t y = 0;

	for (int sh = 63; sh >= 0; sh -= 3) {
		uint64_t b;

		y *= 2;
		b = 3 * y * (y + 1) + 1;
		if ((x >> sh) >= b) {
			x -= b << sh;
			y++;
		}
	}
	return (uint32_t)y;
}

/* 4.2 Figure 2: K = cbrt((W_max - cwnd_epoch) / C) seconds, with windows in segments.
 * In bytes and ms: K_ms = cbrt((W_max - cwnd_epoch) / SMSS * 10^9 / 0.4). With
 * cwnd_epoch = beta * W_max this is RFC 9438's cbrt(W_max * (1 - beta) / C). */
uint32_t cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss)
{
	uint64_t d = w_max > cwnd_epoch ? w_max - cwnd_epoch : 0;

	return cubic_cbrt(d / smss * 2500000000u + d % smss * 2500000000u / smss);
}

/* 4.2 Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, in bytes, t and K in ms:
 * C * SMSS * dt^3 = 0.4 * SMSS * dt_ms^3 / 10^9 = (dt_ms^3 / 1000) * SMSS / 2500000. */
uint32_t cubic_w(uint32_t w_max, uint32_t k_ms, uint32_t smss, uint64_t t_ms)
{
	uint64_t dt = t_ms > k_ms ? t_ms - k_ms : k_ms - t_ms, delta;

	dt = MIN(dt, (uint64_t)CUBIC_DT_MAX_MS);
	delta = dt * dt * dt / 1000 * smss / 2500000;
	if (t_ms < k_ms)
		return delta >= w_max ? 0 : (uint32_t)(w_max - delta);
	return (uint32_t)MIN((uint64_t)w_max + delta, (uint64_t)UINT32_MAX);
}

/* ---- the trace ---- */

/* "64.2 KB": bytes as a student reads them in the trace */
#define KB(x) (unsigned)((x) / 1024), (unsigned)((x) % 1024 * 10 / 1024)

static void cubic_trace(struct stack *s, struct tcb *tcb)
{
	tcp_trace_conn(s, tcb, TRACE_CC, s->note);
}

/* The region cwnd grows in, traced when it changes (4.3, 4.4, 4.5). */
static void cubic_region(struct stack *s, struct tcb *tcb, int region)
{
	static const char *const name[] = {
		[REGION_RENO] = "Reno-friendly region (W_cubic(t) < W_est: grows as Reno would, 4.3)",
		[REGION_CONCAVE] = "concave region (cwnd < W_max: nears it ever slower, 4.4)",
		[REGION_CONVEX] = "convex region (cwnd > W_max: probes ever faster, 4.5)",
	};

	if (tcb->cc.cubic->region == region)
		return;
	tcb->cc.cubic->region = (uint8_t)region;
	if (!stack_tracing(s, TRACE_CC))
		return;
	snprintf(s->note, sizeof(s->note), "CUBIC: %s", name[region]);
	cubic_trace(s, tcb);
}

/* ---- congestion avoidance, 4.2 to 4.5 ---- */

/* No state until its first use (tcp_cubic_get). */
void tcp_cubic_init(struct tcb *tcb)
{
	tcp_cubic_free(tcb);
}

/* CUBIC's state, taken at its first use: a reduction, or congestion avoidance (before
 * either, cwnd only grows in slow start and the state is all zeros). False without
 * memory, counted: the caller uses NewReno's arithmetic for that step. */
bool tcp_cubic_get(struct stack *s, struct tcb *tcb)
{
	if (!tcb->cc.cubic && !(tcb->cc.cubic = calloc(1, sizeof(*tcb->cc.cubic))))
		stat_inc(s, STAT_DROP_TCP_NOMEM);
	return tcb->cc.cubic != NULL;
}

void tcp_cubic_free(struct tcb *tcb)
{
	free(tcb->cc.cubic);
	tcb->cc.cubic = NULL;
}

/* The first ACK of a congestion avoidance stage starts its clock: t = 0 now, with
 * cwnd_epoch and W_est = cwnd (4.2, 4.3). With no W_max above cwnd (after a timeout,
 * 4.8; or none yet) the curve starts at its plateau: K = 0, W_max = cwnd. */
static void cubic_epoch_start(struct stack *s, struct tcb *tcb)
{
	struct cubic_vars *c = tcb->cc.cubic;
	uint32_t cwnd = tcb->cc.cwnd;

	c->epoch = true;
	c->t_epoch = s->now;
	c->cwnd_epoch = cwnd;
	c->w_est = cwnd;
	c->est_acc = c->cub_acc = 0;
	if (c->w_max <= cwnd) {
		c->w_max = cwnd;
		c->k_ms = 0;
	} else {
		c->k_ms = cubic_k_ms(c->w_max, cwnd, tcb->snd.mss);
	}
	c->region = REGION_NONE;
	snprintf(s->note, sizeof(s->note), "CUBIC: congestion avoidance from cwnd %u.%u KB: "
		 "W_max %u.%u KB, K %u.%03u s", KB(cwnd), KB(c->w_max), c->k_ms / 1000, c->k_ms % 1000);
	cubic_trace(s, tcb);
}

/* 4.3: W_est += alpha_cubic * segments_acked / cwnd (segments), i.e. in bytes
 * alpha * SMSS * acked / cwnd; alpha is 1 once W_est has reached cwnd_prior. The
 * remainder of the division is kept for the next ACK. */
static void cubic_reno_grow(struct cubic_vars *c, uint32_t smss, uint32_t cwnd, uint32_t acked)
{
	uint64_t den = (uint64_t)CUBIC_ALPHA_DEN * cwnd, inc;
	uint32_t alpha = c->w_est >= c->cwnd_prior ? CUBIC_ALPHA_DEN : CUBIC_ALPHA_NUM;

	c->est_acc += (uint64_t)acked * smss * alpha;
	inc = c->est_acc / den;
	c->est_acc %= den;
	c->w_est = (uint32_t)MIN((uint64_t)c->w_est + inc, (uint64_t)UINT32_MAX);
}

/* Congestion avoidance, an ACK of `acked` new bytes: how many bytes cwnd grows.
 * Reno-friendly region if W_cubic(t) < W_est: cwnd = W_est (4.3). Else toward
 * target = W_cubic(t + RTT), kept within [cwnd, 1.5 cwnd], by (target - cwnd) / cwnd
 * segments per segment acknowledged (4.4, 4.5). */
uint32_t tcp_cubic_avoid(struct stack *s, struct tcb *tcb, uint32_t acked)
{
	struct cubic_vars *c = tcb->cc.cubic;
	uint32_t cwnd = tcb->cc.cwnd, smss = tcb->snd.mss, target, add;
	uint64_t t_ms;

	if (!c->epoch)
		cubic_epoch_start(s, tcb);
	t_ms = (s->now - c->t_epoch) / 1000;
	cubic_reno_grow(c, smss, cwnd, acked);
	if (cubic_w(c->w_max, c->k_ms, smss, t_ms) < c->w_est) {
		cubic_region(s, tcb, REGION_RENO);
		return c->w_est > cwnd ? c->w_est - cwnd : 0;
	}
	cubic_region(s, tcb, t_ms < c->k_ms ? REGION_CONCAVE : REGION_CONVEX);
	target = cubic_w(c->w_max, c->k_ms, smss, t_ms + tcb->rtt.srtt_us / 1000);
	target = MAX(target, cwnd);
	target = MIN(target, cwnd + cwnd / 2);
	c->cub_acc += (uint64_t)(target - cwnd) * acked;
	add = (uint32_t)(c->cub_acc / cwnd);
	c->cub_acc %= cwnd;
	return add;
}

/* ---- reductions, 4.6 to 4.9 ---- */

/* 4.6 and 4.7: remember the state before (for 4.9), W_max = cwnd, or lower if the
 * last one was higher still (fast convergence: W_max = cwnd * (1 + beta) / 2, room
 * for a new flow); ssthresh = flight_size * beta, at least 2 SMSS. */
static uint32_t cubic_reduce(struct tcb *tcb, bool *fast)
{
	struct cubic_vars *c = tcb->cc.cubic;
	uint32_t cwnd = tcb->cc.cwnd;
	uint64_t flight = tcp_flight_size(tcb);

	c->prior = (struct cubic_prior){ .cwnd = cwnd, .ssthresh = tcb->cc.ssthresh,
		.w_max = c->w_max, .k_ms = c->k_ms, .w_est = c->w_est,
		.cwnd_epoch = c->cwnd_epoch, .t_epoch = c->t_epoch, .epoch = c->epoch };
	*fast = cwnd < c->w_max;
	c->w_max = *fast ? (uint32_t)((uint64_t)cwnd * (CUBIC_BETA_DEN + CUBIC_BETA_NUM) /
				      (2 * CUBIC_BETA_DEN)) : cwnd;
	c->cwnd_prior = cwnd;
	c->epoch = false;
	c->region = REGION_NONE;
	return (uint32_t)MAX(flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN, 2u * tcb->snd.mss);
}

/* A congestion event (3 duplicate ACKs, SACK or RACK loss): the new ssthresh. The
 * reduction may be undone if D-SACKs show every retransmission needless (4.9). */
uint32_t tcp_cubic_loss(struct stack *s, struct tcb *tcb)
{
	struct cubic_vars *c = tcb->cc.cubic;
	bool fast;
	uint32_t ssthresh = cubic_reduce(tcb, &fast), k = cubic_k_ms(c->w_max, ssthresh, tcb->snd.mss);

	/* D-SACKs for the last episode may still be on their way: they would count for
	 * this one (the counter says not which data they cover), so no undo for it. */
	c->undo_ok = tcb->sack.ok && !c->undo_ok;
	c->undo_rexmt = tcb->sum.rexmt_fast;
	c->undo_dsacks = tcb->sack.dsacks_rcvd;
	c->undo_end_set = false;
	snprintf(s->note, sizeof(s->note), "CUBIC: W_max %u.%u KB%s, ssthresh %u.%u KB (beta 0.7), "
		 "K %u.%03u s", KB(c->w_max), fast ? " (fast convergence)" : "", KB(ssthresh),
		 k / 1000, k % 1000);
	cubic_trace(s, tcb);
	return ssthresh;
}

/* 4.8: a timeout sets ssthresh as 4.6 does (tcp_cc.c puts cwnd to one segment); the
 * first congestion avoidance stage after it starts with K = 0 and W_max = its cwnd.
 * No undo past a timeout. */
uint32_t tcp_cubic_timeout(struct stack *s, struct tcb *tcb)
{
	bool fast;
	uint32_t ssthresh = cubic_reduce(tcb, &fast);

	tcb->cc.cubic->w_max = 0;
	tcb->cc.cubic->undo_ok = false;
	snprintf(s->note, sizeof(s->note), "CUBIC: timeout: ssthresh %u.%u KB (beta 0.7); "
		 "next, K = 0 and W_max = cwnd (4.8)", KB(ssthresh));
	cubic_trace(s, tcb);
	return ssthresh;
}

/* 4.9, as Linux's D-SACK undo: once recovery is over, if the D-SACKs received since
 * the reduction cover every segment retransmitted since, nothing was lost: cwnd,
 * ssthresh and the curve go back to what they were. The chance ends when SND.UNA
 * passes what was sent by the end of recovery (their D-SACKs would have come). */
bool tcp_cubic_undo(struct stack *s, struct tcb *tcb)
{
	struct cubic_vars *c = tcb->cc.cubic;
	uint32_t rexmt, dsacks;

	if (!c || !c->undo_ok || tcb->cc.in_recovery)
		return false;                        /* (no state: no reduction yet) */
	rexmt = tcb->sum.rexmt_fast - c->undo_rexmt;
	dsacks = tcb->sack.dsacks_rcvd - c->undo_dsacks;
	if (!c->undo_end_set) {
		c->undo_end = tcb->snd.max;
		c->undo_end_set = true;
	}
	if (rexmt == 0 || dsacks < rexmt) {
		if (SEQ_GT(tcb->snd.una, c->undo_end))
			c->undo_ok = false;
		return false;
	}
	tcb->cc.cwnd = MAX(tcb->cc.cwnd, c->prior.cwnd);
	tcb->cc.ssthresh = MAX(tcb->cc.ssthresh, c->prior.ssthresh);
	c->w_max = c->prior.w_max;
	c->k_ms = c->prior.k_ms;
	c->w_est = c->prior.w_est;
	c->cwnd_epoch = c->prior.cwnd_epoch;
	c->t_epoch = c->prior.t_epoch;
	c->epoch = c->prior.epoch;
	c->undo_ok = false;
	stat_inc(s, STAT_SPURIOUS_UNDO);
	snprintf(s->note, sizeof(s->note), "CUBIC: D-SACKs for all %u resent: "
		 "reduction undone, cwnd %u.%u KB, W_max %u.%u KB", rexmt % 10000u,
		 KB(tcb->cc.cwnd), KB(c->w_max));
	cubic_trace(s, tcb);
	return true;
}

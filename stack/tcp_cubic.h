/* tcp_cubic.h - CUBIC congestion control (RFC 9438): its per-connection state (cc.cubic
 * points to it from the first reduction or congestion avoidance on) and the functions
 * tcp_cubic.c offers tcp_cc.c. Windows are in bytes
 * (the RFC counts segments: one segment is SMSS bytes), times in ms. */
#ifndef TUNTCP_TCP_CUBIC_H
#define TUNTCP_TCP_CUBIC_H
#include <stdbool.h>
#include <stdint.h>

/* What a spurious congestion event gives back (RFC 9438 4.9): the state before it. */
struct cubic_prior {
	uint32_t cwnd, ssthresh, w_max, k_ms, w_est, cwnd_epoch;
	uint64_t t_epoch;
	bool epoch;
};

struct cubic_vars {
	uint32_t w_max;                /* W_max: cwnd just before the last reduction (4.6),
	                                  lowered by fast convergence (4.7); 0 after a timeout */
	uint32_t cwnd_prior;           /* cwnd just before the last reduction (4.3's alpha) */
	bool epoch;                    /* a congestion avoidance stage is under way ... */
	uint64_t t_epoch;              /* ... since then (us, s->now): t = 0 of W_cubic(t) */
	uint32_t cwnd_epoch;           /* cwnd when it began (4.2) */
	uint32_t k_ms;                 /* K: when W_cubic(t) is back at W_max (4.2, Figure 2) */
	uint32_t w_est;                /* W_est: what Reno would have now (4.3) */
	uint64_t est_acc, cub_acc;     /* remainders of the integer divisions that grow W_est
	                                  and cwnd, so no fraction of a byte is lost */
	uint8_t region;                /* where cwnd grew last (for the trace) */
	/* D-SACK undo (4.9): the reduction of an episode is undone when the D-SACKs that
	 * came since it began cover every retransmission sent since */
	bool undo_ok;                  /* an episode whose reduction could still be undone */
	uint32_t undo_rexmt, undo_dsacks;   /* tcb->sum.rexmt_fast, sack.dsacks_rcvd then */
	bool undo_end_set;             /* recovery is over; the chance ends when SND.UNA ... */
	uint32_t undo_end;             /* ... passes SND.MAX as it was then */
	struct cubic_prior prior;      /* the state to go back to */
};

struct stack;
struct tcb;

/* tcp_cubic.c, called by tcp_cc.c when s->cfg.cc is STACK_CC_CUBIC; all but init, get,
 * undo and free need the state (tcp_cubic_get true) */
void tcp_cubic_init(struct tcb *tcb);
bool tcp_cubic_get(struct stack *s, struct tcb *tcb);          /* false: no memory */
void tcp_cubic_free(struct tcb *tcb);                          /* tcb_free calls it */
uint32_t tcp_cubic_loss(struct stack *s, struct tcb *tcb);      /* 4.6, 4.7: the new ssthresh */
uint32_t tcp_cubic_timeout(struct stack *s, struct tcb *tcb);   /* 4.8: the new ssthresh */
uint32_t tcp_cubic_avoid(struct stack *s, struct tcb *tcb, uint32_t acked);  /* 4.2-4.5 */
bool tcp_cubic_undo(struct stack *s, struct tcb *tcb);          /* 4.9 */

/* The formulas, integer only (for tcp_cubic.c and its tests) */
uint32_t cubic_cbrt(uint64_t x);                                /* floor of the cube root */
uint32_t cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss);   /* K (Figure 2) */
uint32_t cubic_w(uint32_t w_max, uint32_t k_ms, uint32_t smss, uint64_t t_ms);  /* W_cubic(t) */

#endif

/* tcp_rack.h - RACK-TLP (RFC 8985): the per-connection state (struct rack_vars, part of
 * the TCB) and the functions tcp_rack.c offers the rest of the core. */
#ifndef TUNTCP_TCP_RACK_H
#define TUNTCP_TCP_RACK_H
#include <stdbool.h>
#include <stdint.h>

#define RACK_LOG_MAX      1024     /* segments the transmission log holds at most; past it a
                                      new segment joins the last one (detected later, never
                                      wrongly) */
#define RACK_REO_PERSIST  16       /* RFC 8985 6.2 step 4: recoveries a widened reo_wnd lasts */
#define RACK_WCDELACKT_MS 200      /* RFC 8985 7.2: worst-case delayed ACK, added to a PTO
                                      when one segment is in flight */
#define RACK_PTO_NO_RTT_MS 1000    /* RFC 8985 7.2: the PTO before any RTT sample */
#define RACK_PTO_MIN_MS   10       /* the PTO is never shorter (Linux's floor) */

/* One segment in flight in the transmission log, in sequence order: the sequence space
 * it covers (a FIN counts) and when it was last sent. */
enum { RACK_SACKED = 1,            /* delivered (SACKed): never lost */
       RACK_LOST = 2,              /* deemed lost (by RACK, or by an RTO) ... */
       RACK_RETRANS = 4,           /* ... and sent again since: that copy is in flight */
       RACK_EVER_RETRANS = 8 };    /* sent more than once: its ACK may be the first copy's */
struct rack_seg {
	uint64_t xmit_ts;              /* us: its latest transmission */
	uint32_t seq, len;
	uint32_t order;                /* transmissions numbered: which of two left later */
	uint8_t flags;
};

/* The log, allocated while data is in flight (tcp_rack.c), freed when all is acknowledged;
 * with it, RACK's view of this flight (6.2): which of its segments, sent most recently,
 * was delivered. Segments sent after the log began were all sent after whatever an earlier
 * flight delivered, so that flight's view has nothing more to say and goes with its log. */
struct rack_log {
	bool delivered;                /* RACK.xmit_ts is set: a segment was delivered */
	uint32_t order;                /* RACK.end_seq's role: the transmission number of the
	                                  most recently sent segment delivered (tcp_rack.c) */
	uint32_t next_order;           /* the next transmission's number */
	uint32_t fack;                 /* RACK.fack: the highest sequence delivered */
	uint32_t rtt_us;               /* RACK.rtt: that segment's round trip */
	uint64_t xmit_ts;              /* RACK.xmit_ts (us) */
	int n, cap;
	struct rack_seg seg[];
};

enum { RACK_TIMER_NONE, RACK_TIMER_REO, RACK_TIMER_PTO };

/* What lasts across flights (idle periods): the reordering window's state, min_RTT, the
 * D-SACK round and the TLP episode (both may end only after all is acknowledged), and
 * the timer. */
struct rack_vars {
	bool on : 1;                   /* RACK-TLP in use (needs SACK; not with --no-rack) */
	bool reordering_seen : 1;      /* RACK.reordering_seen */
	bool dsack_round_on : 1;       /* RACK.dsack_round is set ... */
	bool was_recovering : 1;       /* cc.in_recovery at the last ACK: did recovery end? */
	bool tlp_on : 1;               /* a TLP episode: TLP.end_seq is set ... */
	bool tlp_is_retrans : 1;       /* ... TLP.is_retrans */
	uint8_t timer_kind;            /* what `timer` is: the reordering timer or the PTO */
	uint8_t reo_wnd_mult;          /* RACK.reo_wnd_mult (6.2 step 4), in min_RTT/4 */
	uint8_t reo_wnd_persist;       /* RACK.reo_wnd_persist */
	uint32_t min_rtt_us;           /* RACK.min_RTT (0: none yet) */
	uint32_t dsack_round;          /* ... to this sequence (SND.NXT when it began) */
	uint32_t tlp_end_seq;          /* TLP.end_seq */
	uint64_t timer;                /* the deadline of timer_kind (us), 0 when off */
	struct rack_log *log;          /* what was sent when, and RACK's view of it (above):
	                                  NULL while nothing is in flight */
};

struct stack;
struct tcb;
struct seg;

void tcp_rack_init(const struct stack *s, struct tcb *tcb);
void tcp_rack_free(struct tcb *tcb);          /* tcb_free must call it (the log) */
void tcp_rack_sent(struct stack *s, struct tcb *tcb, uint32_t seq, uint32_t len);
void tcp_rack_dupack(struct stack *s, struct tcb *tcb);
void tcp_rack_ack(struct stack *s, struct tcb *tcb, const struct seg *sg, bool dsack);
void tcp_rack_timeout(struct stack *s, struct tcb *tcb);
void tcp_rack_rto(struct stack *s, struct tcb *tcb);
/* For the scoreboard (tcp_sack.c) while RACK is on: */
bool tcp_rack_is_lost(const struct tcb *tcb, uint32_t seq);
bool tcp_rack_first_lost(const struct tcb *tcb, uint32_t *seq, uint32_t *len);
uint32_t tcp_rack_pipe(const struct tcb *tcb);
/* tcp_out.c: RFC 6675 5 (4.3), the first lost segment whatever the pipe; the probe. */
bool tcp_rack_resend_first(struct stack *s, struct tcb *tcb);
bool tcp_tlp_send(struct stack *s, struct tcb *tcb, bool *is_retrans);

#endif

/* tcp_priv.h - internals of the core, for stack/ only (not for applications):
 * struct stack, the TCB, and the functions the stack/ files call in each other. */
#ifndef TUNTCP_TCP_PRIV_H
#define TUNTCP_TCP_PRIV_H
#include <stdbool.h>
#include "config.h"
#include "seq.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_cubic.h"
#include "tcp_rack.h"
#include "tcp_sack.h"
#include "trace.h"
#include "wire.h"

/* A byte ring: the send queue (from SND.UNA) and the receive queue (to the user).
 * `cap` is its size from the moment the connection may use it; its memory (`buf`)
 * comes only when data first needs it, and goes back to the stack's pool once the
 * ring is drained (tcp_conn.c): an idle connection holds no buffer. */
struct ring {
	uint8_t *buf;                  /* NULL: no memory now (empty, all of cap free) */
	uint32_t cap, head, len;
};

/* Spare ring memory of one size, kept for the next connection that needs some. */
struct ring_pool {
	void *free;                    /* a list linked through the buffers' first bytes */
	uint32_t size;                 /* each buffer's size */
	int n;                         /* how many wait here (at most TCP_BUF_POOL) */
};

/* A listener's children, oldest first. */
struct childq {
	struct tcb *head, *tail;
	int n;
};

/* A listener's bookkeeping (tcp_listen.c): its two queues, bounded by listen()'s backlog. */
struct listener {
	int backlog;
	struct childq synq;            /* half-open: SYN-RECEIVED */
	struct childq acceptq;         /* handshake done, waiting for accept() */
	uint64_t last_overflow;        /* when a SYN last found synq full (0: never) */
	struct stack *stack;           /* its stack: a full table is a full synq too */
	int handle;                    /* the listener's own (stack_env.changed reports it) */
};

/* Send sequence variables, RFC 9293 3.3.1 (and the send queue they describe). */
struct snd_vars {
	uint32_t iss;                  /* ISS */
	uint32_t una, nxt;             /* SND.UNA, SND.NXT */
	uint32_t max;                  /* highest SND.NXT so far (it steps back on retransmit) */
	uint32_t wnd, wl1, wl2;        /* SND.WND, SND.WL1, SND.WL2 */
	uint32_t max_wnd;              /* largest SND.WND seen: RFC 5961 5.2 ACK check */
	uint32_t data_seq;             /* sequence number of the first byte in q */
	uint16_t mss;                  /* the peer's MSS (effective, <= ours): SMSS */
	uint8_t wscale;                /* Snd.Wind.Shift (RFC 7323 2.3): SEG.WND << this after
	                                  the SYN; 0 unless both SYNs had the option */
	bool syn_acked;                /* our SYN is acknowledged (never compare with ISS: it wraps) */
	struct ring q;                 /* unacknowledged and unsent data; q.buf[head] is data_seq */
};

/* Receive sequence variables, RFC 9293 3.3.1 (and the receive queue). */
struct rcv_vars {
	uint32_t irs, nxt;             /* IRS, RCV.NXT */
	uint32_t adv;                  /* right edge of the window last advertised: RCV.WND is
	                                  adv - nxt (tcp_adv_left), the window segments must fit */
	uint32_t fin_seq;
	uint32_t unacked;              /* bytes received since our last ACK (delayed ACK) */
	bool fin_pending;              /* the peer's FIN is here but waits for a hole to fill */
	bool ws_offer;                 /* our SYN (or SYN,ACK) carries the window scale option */
	uint8_t wscale;                /* Rcv.Wind.Shift (RFC 7323 2.3): our windows >> this on
	                                  the wire after the SYN; 0 unless both sides offered */
	uint8_t n_ooo;                 /* out-of-order pieces held (in q's free part) ... */
	struct range *ooo;             /* ... their ranges, in order: room for TCP_OOO_RANGES
	                                  taken when the first one arrives (tcp_reasm.c), NULL
	                                  once none is held (when the call settles); the same
	                                  memory holds the SACK order of the pieces (struct
	                                  ooo_mem, tcp_sack.h) */
	struct ring q;                 /* in-order data the user has not read, then room in
	                                  which out-of-order data waits at its own offset */
};

/* Timestamps, RFC 7323 3-5: tcp_ts.c */
struct ts_vars {
	uint64_t recent_at;            /* when TS.Recent was set (us): the 24-day rule (5.5) */
	uint32_t offset;               /* added to our clock: a random start per connection (5.4) */
	uint32_t recent;               /* TS.Recent: the TSval to echo */
	uint32_t last_ack_sent;        /* Last.ACK.sent (4.3) */
	bool offer;                    /* our SYN (or SYN,ACK) carries TSopt */
	bool ok;                       /* both SYNs did: every segment but a RST carries it */
};

/* Round-trip time, RFC 6298: tcp_timer.c */
struct rtt_vars {
	uint64_t start;                /* when the timed segment left */
	uint32_t srtt_us, rttvar_us;
	uint32_t seq;                  /* the timed segment starts here ... */
	bool timing;                   /* ... (one at a time is timed; Karn: never a resent one) */
	bool valid;                    /* SRTT and RTTVAR hold a measurement */
};

/* Congestion control, RFC 5681 and NewReno (RFC 6582): tcp_cc.c */
struct cc_vars {
	uint32_t cwnd, ssthresh;
	uint32_t recover;              /* RFC 6582: SND.MAX when the last recovery or timeout
	                                  began; outside recovery it follows SND.UNA up */
	int dupacks;                   /* duplicate ACKs since SND.UNA last moved */
	bool in_recovery;              /* fast recovery until SND.UNA passes `recover` */
	struct cubic_vars *cubic;      /* CUBIC's state (tcp_cubic.c): allocated at its first
	                                  reduction or congestion avoidance (before, cwnd only
	                                  grows in slow start), freed with the TCB; NULL
	                                  before, and always with --cc newreno */
};

/* Timers: absolute deadlines in us, 0 when off (tcp_timer.c), and their state. */
struct timer_vars {
	uint64_t rexmt, persist, timewait, delack;
	uint32_t rto_ms;               /* current retransmission timeout (backs off) */
	int rexmt_count;               /* consecutive retransmissions of the same data */
	uint32_t persist_ms;           /* current persist interval (backs off on its own) */
	int probes;                    /* zero-window probes since the peer last answered */
	uint32_t rto_fired_ms;         /* the RTO that expired last (for the trace) */
};

/* A connection's life so far, for the summary line traced when it ends (tcp_state.c
 * builds the struct trace_summary of trace.h from it): times in each state are kept in
 * milliseconds, which is what the line prints. */
struct tcb_life {
	uint64_t born;                 /* when it first changed state (0: not yet) ... */
	uint64_t since;                /* ... and when it entered the current one */
	uint64_t bytes_out, bytes_in;  /* data bytes acknowledged, each way */
	uint32_t in_state_ms[TCP_NSTATES];
	uint32_t segs_out, segs_in, rexmt_timeout, rexmt_fast;
	uint32_t rtt_min_us;           /* 0: no sample */
	uint16_t visited;              /* bit (1 << state) for each state it was in */
	uint8_t first_fin;             /* who closed first: 0 nobody, 1 we, 2 the peer */
	bool via_closing;              /* simultaneous close: went through CLOSING */
	bool fin_ack_merged;           /* FIN-WAIT-1 straight to TIME-WAIT */
	bool half_close;               /* data flowed the other way after the first FIN */
};

/* Transmission Control Block, RFC 9293 3.3.1, its variables grouped as the RFC groups them.
 * What only some connections need lives outside it, allocated while they need it: a
 * listener's queues (listen), out-of-order bookkeeping with the receiver's SACK order
 * (rcv.ooo), the sender's SACK scoreboard (sack.sb), RACK's log of what is in flight
 * (rack.log), CUBIC's state from its first reduction (cc.cubic), the rings' memory.
 * An idle connection holds 512 bytes at most (tests/check_table.c). */
struct tcb {
	enum tcp_state state;
	int handle;                    /* index in stack.conns */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t heap_i;               /* 1 + its index in the timer heap (stack.c), 0: no timer */
	struct tcb *hnext;             /* demux hash chain */

	struct snd_vars snd;
	struct rcv_vars rcv;
	struct rtt_vars rtt;
	struct cc_vars cc;
	struct timer_vars timer;
	struct sack_vars sack;
	struct ts_vars ts;
	struct rack_vars rack;         /* RACK-TLP (tcp_rack.c) */

	/* rate limits on what blind segments can make us send */
	uint64_t chack_since;          /* RFC 5961 7: challenge ACKs are counted since then */
	uint64_t oow_ack_at;           /* when we last answered an out-of-window ACK */
	uint8_t chack_count;           /* challenge ACKs since chack_since: at most
	                                  TCP_CHALLENGE_ACK_MAX a second (a byte, beside the
	                                  bools below: the TCB stays within 512 bytes) */

	/* user side */
	bool fin_queued;               /* CLOSE or shutdown: a FIN follows the queued data */
	bool fin_rcvd;                 /* peer's FIN processed: RECEIVE returns 0 after rcv.q */
	bool user_closed;              /* CLOSE called: no more SEND or RECEIVE */
	bool user_ref;                 /* a user holds the handle */
	bool ack_now;                  /* send an ACK at the next output */
	bool passive;                  /* came from a listener (SYN-RECEIVED returns to LISTEN) */
	bool touched;                  /* in stack.touched: settled at the end of this call */
	int error;                     /* -errno to report to the user, 0 if none */
	int soft_error;                /* the last ICMP soft error (-errno), 0 if none: SO_ERROR */

	/* passive open */
	struct listener *listen;       /* a listener's queues (tcp_listen.c); NULL for others */
	struct listener *parent;       /* a child not yet accepted: its listener's queues ... */
	struct tcb *qnext;             /* ... and its link in one of them */

	struct tcb_life sum;           /* its life so far, traced when it ends (tcp_state.c) */
};
_Static_assert(TCP_OOO_RANGES <= UINT8_MAX && TCP_CHALLENGE_ACK_MAX < UINT8_MAX,
	       "rcv.n_ooo and chack_count are bytes");

/* ICMP errors sent to the destinations of one hash bucket: credit (us) for more (icmp.c). */
struct icmp_bucket {
	uint64_t credit, last;
};

struct stack {
	struct stack_config cfg;
	struct stack_env env;
	uint64_t now;                  /* time of the call in progress */
	uint16_t mss;                  /* ours: MTU - 40 */
	uint8_t wscale;                /* ours: the smallest shift that lets 16 bits say rcvbuf */
	uint16_t ip_id;
	uint16_t next_port;            /* ephemeral port hint */
	/* The connection table (tcp_conn.c): it grows by doubling up to cfg.max_conns, and
	 * every array below has `cap` entries. A handle is an index in conns; it stays
	 * valid while the table grows (the TCBs themselves never move). */
	struct tcb **conns;            /* NULL: a free slot */
	struct tcb **hash;             /* demux buckets (cap of them, a power of two) */
	int *spare;                    /* free slots, a stack: n_spare of them, lowest on top */
	uint32_t cap, n_conns, n_spare;
	int n_closing;                 /* TCBs in FIN-WAIT-1/2, CLOSING, LAST-ACK */
	/* Timers without scans (stack.c): a binary min-heap of the TCBs with a timer
	 * armed, keyed by their next deadline; and the TCBs a call touched, whose timers
	 * and buffers are settled (heap updated, drained rings given back) before it returns. */
	struct timer_node { uint64_t at; struct tcb *tcb; } *heap;
	uint32_t n_heap;
	int *touched;
	uint32_t n_touched;
	bool touch_overflow;           /* more touched than fit: settle every TCB */
	/* The connections whose ACK waits for the end of the burst (cfg.ack_burst) */
	bool in_burst;
	uint8_t n_burst;
	int burst[STACK_BURST_HOLD];
	struct ring_pool snd_pool, rcv_pool;
	uint64_t stats[STAT_COUNT];
	uint8_t isn_key[16];           /* RFC 6528: the secret of the ISN hash, per run */
	uint8_t cookie_key[16];        /* the secret of SYN cookies, per run */
	struct icmp_bucket icmp_rate[ICMP_RATE_SLOTS];
	char note[96];                 /* a trace cause with numbers in it, built just before */
	bool internal_checks;          /* INTERNAL_CHECKS build: stack_check after each entry,
	                                  a broken invariant stops the program */
	uint8_t out[IP_HDR_LEN + TCP_HDR_LEN + 40 + 65536];  /* packets are built here */
};

static inline void stat_inc(struct stack *s, enum stat_id st) { s->stats[st]++; }

/* stack.c */
void stack_emit(struct stack *s, size_t len, const struct tcb *tcb, int rexmt);  /* s->out[0..len) */
void stack_trace(struct stack *s, struct trace_event *ev);
/* Does anyone want events of this kind (stack_env.trace_kinds)? */
bool stack_tracing(const struct stack *s, enum trace_kind kind);
void stack_drop(struct stack *s, enum stat_id reason, const uint8_t *pkt, size_t len);

/* tcp_invariant.c: false (and counted, traced, fatal in test builds) if !ok */
bool stack_invariant(struct stack *s, bool ok, const char *what);
void stack_check_touched(struct stack *s);   /* the TCBs the call in progress touched */

/* ip.c, icmp.c */
void ip_input(struct stack *s, const uint8_t *pkt, size_t len);
void icmp_input(struct stack *s, const struct ip_pkt *ip, const uint8_t *pkt, size_t len);
void icmp_unreach(struct stack *s, const struct ip_pkt *ip, const uint8_t *pkt, uint8_t code);

/* tcp_icmp.c */
int tcp_icmp_error(struct stack *s, const struct icmp_err *e);

/* tcp_in.c */
void tcp_input(struct stack *s, const struct ip_pkt *ip, const uint8_t *pkt, size_t len);

/* tcp_out.c */
void tcp_output(struct stack *s, struct tcb *tcb);
void tcp_output_forced(struct stack *s, struct tcb *tcb);
uint32_t tcp_retransmit_una(struct stack *s, struct tcb *tcb);
void tcp_send_ack(struct stack *s, struct tcb *tcb);
void tcp_send_rst(struct stack *s, struct tcb *tcb);
void tcp_reply_rst(struct stack *s, const struct seg *sg);  /* 3.10.7.1 */
void tcp_reply_cookie(struct stack *s, const struct seg *syn);
void tcp_challenge_ack(struct stack *s, struct tcb *tcb);
void tcp_oow_ack(struct stack *s, struct tcb *tcb);
void tcp_output_probe(struct stack *s, struct tcb *tcb);
uint32_t tcp_rcv_slack(const struct stack *s);
uint32_t tcp_rcv_wnd(const struct stack *s, const struct tcb *tcb);
uint32_t tcp_adv_left(const struct tcb *tcb);
uint32_t tcp_adv_wnd(const struct stack *s, const struct tcb *tcb);
bool tcp_fin_acked(const struct tcb *tcb);

/* tcp_cc.c: it decides, the caller sends */
enum cc_action { CC_NONE, CC_RETRANSMIT_UNA };  /* ... the first unacknowledged segment */
void tcp_cc_init(struct stack *s, struct tcb *tcb);
enum cc_action tcp_cc_ack(struct stack *s, struct tcb *tcb, uint32_t acked);
enum cc_action tcp_cc_dupack(struct stack *s, struct tcb *tcb);
enum cc_action tcp_cc_loss_detected(struct stack *s, struct tcb *tcb);
void tcp_cc_timeout(struct stack *s, struct tcb *tcb);
uint32_t tcp_flight_size(const struct tcb *tcb);

/* tcp_sack.c: RFC 2018 (blocks), RFC 2883 (D-SACK), RFC 6675 (loss recovery) */
void tcp_sack_init(struct tcb *tcb, const struct seg *syn);
int tcp_sack_blocks(const struct tcb *tcb, struct sack_block *out, int max);
void tcp_sack_sent(struct tcb *tcb);
void tcp_sack_note(struct tcb *tcb, uint32_t seq);
void tcp_sack_dup(struct tcb *tcb, uint32_t seq, uint32_t end);
uint32_t tcp_sack_update(struct stack *s, struct tcb *tcb, const struct seg *sg);
bool tcp_sack_is_lost(const struct tcb *tcb, uint32_t seq);
void tcp_sack_free(struct tcb *tcb);         /* tcb_free calls it (the scoreboard) */
uint32_t tcp_sack_pipe(const struct tcb *tcb);
enum sack_next { SACK_NEXT_NONE, SACK_NEXT_LOST, SACK_NEXT_NEW, SACK_NEXT_HOLE };
enum sack_next tcp_sack_next_seg(const struct tcb *tcb, bool new_ok, uint32_t *seq,
				 uint32_t *len);
uint32_t tcp_sack_skip(const struct tcb *tcb, uint32_t seq, uint32_t *len);
void tcp_sack_clear(struct tcb *tcb);

/* tcp_ts.c: RFC 7323 3-5 (TSopt, RTTM, PAWS) */
void tcp_ts_new(const struct stack *s, struct tcb *tcb);
void tcp_ts_init(struct stack *s, struct tcb *tcb, const struct seg *syn);
void tcp_ts_fill(const struct stack *s, const struct tcb *tcb, struct seg *sg);
void tcp_ts_sent(struct tcb *tcb, const struct seg *sg);
int tcp_ts_paws(struct stack *s, struct tcb *tcb, const struct seg *sg);
void tcp_ts_recent(struct stack *s, struct tcb *tcb, const struct seg *sg);
void tcp_ts_rttm(struct stack *s, struct tcb *tcb, const struct seg *sg);
bool tcp_ts_syn_newer(const struct stack *s, const struct tcb *tcb, const struct seg *syn);

/* tcp_reasm.c */
int tcp_reasm(struct stack *s, struct tcb *tcb, uint32_t seq, const uint8_t *data, uint32_t len);
void tcp_reasm_cut(struct tcb *tcb, uint32_t fin);
void tcp_reasm_clear(struct tcb *tcb);
void tcp_reasm_release(struct tcb *tcb);

/* tcp_timer.c */
void tcp_rtt_start(struct stack *s, struct tcb *tcb, uint32_t seq);
void tcp_rtt_ack(struct stack *s, struct tcb *tcb, uint32_t ack);
void tcp_rtt_measured(struct stack *s, struct tcb *tcb, uint64_t r_us);
void tcp_delack(struct stack *s, struct tcb *tcb);
void tcp_timers(struct stack *s, struct tcb *tcb);
uint64_t tcp_next_deadline(const struct tcb *tcb);
void tcp_rexmt_arm(struct stack *s, struct tcb *tcb);
void tcp_rexmt_restart(struct stack *s, struct tcb *tcb);
void tcp_orphan_timer(struct stack *s, struct tcb *tcb);

/* tcp_state.c */
void tcp_set_state(struct stack *s, struct tcb *tcb, enum tcp_state to,
		   const char *cause, const char *rfc);
void tcp_fail(struct stack *s, struct tcb *tcb, int err, const char *cause, const char *rfc);
void tcp_trace_conn(struct stack *s, const struct tcb *tcb, enum trace_kind kind, const char *cause);

/* tcp_conn.c: TCB table and demux, and the rings' memory */
int tcb_table_init(struct stack *s);
void tcb_table_free(struct stack *s);
bool tcb_table_full(const struct stack *s);
struct tcb *tcb_new(struct stack *s, enum tcp_state born, uint32_t raddr, uint16_t rport,
		    uint16_t lport);
void tcb_maybe_free(struct stack *s, struct tcb *tcb);
void tcb_free(struct stack *s, struct tcb *tcb);
struct tcb *tcb_lookup(struct stack *s, uint32_t raddr, uint16_t rport, uint16_t lport);
struct tcb *tcb_get(const struct stack *s, int h);
void tcb_touch(struct stack *s, struct tcb *tcb);
int tcb_alloc_bufs(const struct stack *s, struct tcb *tcb);
bool tcb_ring_get(struct stack *s, struct tcb *tcb, struct ring *r);
void tcb_rings_put(struct stack *s, struct tcb *tcb);
uint32_t tcp_new_isn(const struct stack *s, uint32_t laddr, uint16_t lport,
		     uint32_t raddr, uint16_t rport);

/* stack.c: the timer heap, and the end of every call into the core */
void timer_heap_set(struct stack *s, struct tcb *tcb, uint64_t at);
void stack_settle(struct stack *s);
bool stack_burst_hold(struct stack *s, const struct tcb *tcb);

/* tcp_listen.c */
struct listener *listener_new(struct stack *s, int backlog);
void listener_free(struct listener *l);
bool listener_synq_full(const struct listener *l);
bool listener_acceptq_full(const struct listener *l);
void listener_adopt(struct listener *l, struct tcb *c);
void listener_established(struct tcb *c);
void listener_unlink(struct tcb *c);
struct tcb *listener_accept(struct listener *l);
struct tcb *listener_first_child(const struct listener *l);
void listener_overflow(struct listener *l, uint64_t now);
bool listener_cookies_recent(const struct listener *l, uint64_t now);

/* tcp_syncookie.c */
uint32_t tcp_cookie_make(const struct stack *s, const struct seg *syn);
uint16_t tcp_cookie_check(const struct stack *s, const struct seg *ack);

/* ring.c */
void ring_init(struct ring *r, uint32_t cap);
void ring_free(struct ring *r);
void ring_give(struct ring *r, struct ring_pool *p);
bool ring_take(struct ring *r, struct ring_pool *p);
void ring_pool_free(struct ring_pool *p);
uint32_t ring_write(struct ring *r, const uint8_t *p, uint32_t n);
uint32_t ring_read(struct ring *r, uint8_t *p, uint32_t n);
void ring_peek(const struct ring *r, uint32_t off, uint8_t *p, uint32_t n);
void ring_drop(struct ring *r, uint32_t n);
bool ring_write_at(struct ring *r, uint32_t off, const uint8_t *p, uint32_t n);
bool ring_extend(struct ring *r, uint32_t n);

#endif

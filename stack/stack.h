/* stack.h - the core's contract with whoever drives it (runtime thread, tests, sim).
 * The core does no I/O and reads no clock: time comes in as `now` (microseconds on
 * any monotonic scale), packets leave through env.emit, events through env.trace,
 * randomness from env.rand. All state lives in one struct stack.
 * Entry points: stack_new, stack_free, stack_input, stack_poll, stack_next_deadline. */
#ifndef TUNTCP_STACK_H
#define TUNTCP_STACK_H
#include <stddef.h>
#include <stdint.h>

struct stack;
struct trace_event;            /* trace.h */

struct stack_env {
	void *ctx;
	void (*emit)(void *ctx, const uint8_t *pkt, size_t len);  /* one whole IPv4 packet */
	uint32_t (*rand)(void *ctx);                               /* all randomness */
	void (*trace)(void *ctx, const struct trace_event *ev);     /* may be NULL */
	/* The kinds of event trace wants, a bit each (1u << TRACE_RTT, trace.h); the core
	 * does not describe the others (an RTT sample's text, on every ACK). 0: all. */
	uint32_t trace_kinds;
	/* May be NULL. At the end of every call into the core, once for each connection or
	 * listener the call may have changed (its handle), so that a runtime can find what
	 * became readable or writable without asking every connection; -1 when it cannot
	 * say which (then any may have). A child not yet accepted reports its listener too. */
	void (*changed)(void *ctx, int handle);
};

struct stack_config {
	uint32_t addr;             /* the stack's IPv4 address, host order */
	int prefix;                /* its subnet's prefix length (24: /24), 0 if unknown */
	uint16_t mtu;              /* 0: STACK_MTU */
	uint32_t rcvbuf;           /* receive buffer per connection; 0: TCP_RCVBUF. At most
	                              TCP_RCVBUF_MAX, or 65535 with no_wscale */
	int no_wscale;             /* nonzero: no window scale option (RFC 7323 2) sent or
	                              honoured: windows are 16 bits, as before it existed */
	int no_sack;               /* nonzero: no SACK-permitted option (RFC 2018) sent or
	                              honoured: loss recovery is NewReno's (RFC 6582) */
	int no_timestamps;         /* nonzero: no timestamps option (RFC 7323 3): no RTTM, no PAWS */
	int no_rack;               /* nonzero: no RACK-TLP (RFC 8985): losses are found by
	                              duplicate ACKs (RFC 6675 / 5681) and the RTO alone */
	int cc;                    /* congestion control: STACK_CC_CUBIC (0, the default, as
	                              Linux) or STACK_CC_NEWRENO */
	uint32_t max_conns;        /* connections (listeners included) the table may grow to;
	                              0: STACK_MAX_CONNS */
	uint32_t msl_ms;           /* 0: TCP_DEFAULT_MSL_MS; TIME-WAIT lasts 2*MSL */
	int fixed_isn;             /* nonzero: every ISN is `isn` (reproducible captures) */
	uint32_t isn;
	int no_delayed_ack;        /* nonzero: ACK every segment at once (RFC 9293 3.8.6.3 off) */
	int no_nagle;              /* nonzero: send small segments at once (TCP_NODELAY) */
	int ack_burst;             /* nonzero: within a burst (stack_burst_begin/_end), the ACK
	                              owed every second full segment (SHLD-19) waits for the
	                              burst's end: one ACK for the lot, as Linux ACKs a GRO batch */
	int no_syncookies;         /* nonzero: a SYN that finds the half-open queue full is
	                              dropped; else (the default, as Linux's tcp_syncookies=1)
	                              it is answered with a SYN cookie */
	int abort_on_overflow;     /* nonzero: the handshake's ACK that finds the accept queue
	                              full is answered by RST (Linux tcp_abort_on_overflow) */
};

enum stack_cc { STACK_CC_CUBIC, STACK_CC_NEWRENO };

/* Counters: every drop has a reason; names in stat_name(). */
enum stat_id {
	STAT_IP_IN, STAT_IP_OUT, STAT_TCP_IN, STAT_TCP_OUT,
	STAT_ICMP_ECHO, STAT_RST_SENT, STAT_RETRANSMIT, STAT_CHALLENGE_ACK,
	STAT_RTO_TIMEOUT, STAT_FAST_RETRANSMIT, STAT_DUPACK, STAT_TCP_OOO_QUEUED,
	STAT_WINDOW_PROBE, STAT_DELAYED_ACK,
	STAT_CHALLENGE_ACK_LIMITED,            /* a challenge ACK not sent: over the rate limit */
	STAT_OOW_ACK_LIMITED,                  /* an ACK to an out-of-window ACK not sent: rate limit */
	STAT_SYNCOOKIE_SENT, STAT_SYNCOOKIE_OK,
	STAT_TCP_WSCALE_BIG,                   /* a window scale shift above 14 (RFC 7323: as 14) */
	STAT_INVARIANT,                        /* an invariant of the core broken: a bug (release builds) */
	STAT_ICMP_ERROR,                       /* an ICMP error taken by the connection it names */
	STAT_ICMP_UNREACH_SENT,                /* ICMP protocol unreachable sent */
	STAT_ICMP_RATE_LIMITED,                /* an ICMP error not sent: over the rate limit */
	STAT_SACK_RECOVERY,                    /* loss recovery by SACK (RFC 6675) began */
	STAT_SACK_RETRANSMIT,                  /* a hole resent by SACK loss recovery (NextSeg) */
	STAT_DSACK_SENT,                       /* a D-SACK block sent: a duplicate arrived (RFC 2883) */
	STAT_DSACK_RCVD,                       /* a D-SACK block received: we resent needlessly */
	STAT_TS_PAWS_IDLE,                     /* TS.Recent invalidated after 24 days idle (RFC 7323 5.5) */
	STAT_RACK_LOSS,                        /* a segment deemed lost by RACK (RFC 8985 6.2) */
	STAT_TLP_PROBE,                        /* a tail loss probe sent (RFC 8985 7.3) */
	STAT_TLP_LOSS,                         /* a probe repaired a loss: cwnd reduced (RFC 8985 7.4) */
	STAT_SPURIOUS_UNDO,                    /* a reduction undone: D-SACKs showed it spurious */
	STAT_TABLE_FULL,                       /* a SYN found the connection table full (answered) */
	STAT_ACK_BURST,                        /* an ACK held to the end of a burst (cfg.ack_burst) */
	STAT_DROP_FIRST,                       /* drop reasons follow */
	STAT_DROP_IP_SHORT = STAT_DROP_FIRST,  /* shorter than an IPv4 header */
	STAT_DROP_IP_VERSION,                  /* version != 4 */
	STAT_DROP_IP_IHL,                      /* IHL < 5 or header past the packet */
	STAT_DROP_IP_LEN,                      /* total length < header, or > bytes received */
	STAT_DROP_IP_CSUM,                     /* header checksum */
	STAT_DROP_IP_FRAG,                     /* fragments: not supported */
	STAT_DROP_IP_NOT_US,                   /* destination is not our address */
	STAT_DROP_IP_SRC,                      /* source is broadcast/multicast/zero/ours */
	STAT_DROP_IP_PROTO,                    /* neither ICMP nor TCP (protocol unreachable sent) */
	STAT_DROP_ICMP_SHORT, STAT_DROP_ICMP_CSUM, STAT_DROP_ICMP_TYPE,
	STAT_DROP_ICMP_QUENCH,                 /* source quench: discarded (RFC 9293 MUST-55) */
	STAT_DROP_ICMP_QUOTE,                  /* an error that quotes no IPv4 header + 8 bytes */
	STAT_DROP_ICMP_NO_CONN,                /* an error about no connection of ours */
	STAT_DROP_ICMP_SEQ,                    /* an error quoting a SEQ outside SND.UNA..SND.MAX (RFC 5927) */
	STAT_DROP_TCP_SHORT,                   /* shorter than a TCP header */
	STAT_DROP_TCP_OFF,                     /* data offset < 5 or past the segment */
	STAT_DROP_TCP_CSUM,
	STAT_DROP_TCP_OPT,                     /* malformed option */
	STAT_DROP_TCP_PORT0,                   /* source or destination port 0 */
	STAT_DROP_TCP_FLAGS,                   /* an illegal flag combination (SYN+FIN) */
	STAT_DROP_TCP_NO_CONN,                 /* closed port or connection (RST answered) */
	STAT_DROP_TCP_LISTEN,                  /* LISTEN: neither SYN nor answered */
	STAT_DROP_TCP_SYNQ_FULL,               /* LISTEN: SYN with the half-open queue full */
	STAT_DROP_TCP_ACCEPTQ_FULL,            /* LISTEN: SYN, or a child's ACK, with the accept queue full */
	STAT_DROP_TCP_COOKIE,                  /* LISTEN: an ACK that is no valid SYN cookie (RST sent) */
	STAT_DROP_TCP_NOMEM,                   /* no free TCB */
	STAT_DROP_TCP_SYN_SENT,                /* SYN-SENT: unacceptable ACK, or no SYN */
	STAT_DROP_TCP_SEQ,                     /* outside the receive window (ACK answered) */
	STAT_DROP_TCP_RST,                     /* RST that failed validation */
	STAT_DROP_TCP_SYN,                     /* SYN in a synchronized state (challenge ACK) */
	STAT_DROP_TCP_NO_ACK,                  /* no ACK bit in a synchronized state */
	STAT_DROP_TCP_ACK,                     /* ACK of data not yet sent, or bad in SYN-RECEIVED */
	STAT_DROP_TCP_OOO,                     /* past a hole, and TCP_OOO_RANGES pieces wait already */
	STAT_DROP_TCP_PAWS,                    /* an old timestamp (RFC 7323 5: PAWS), ACK answered */
	STAT_DROP_TCP_NO_TS,                   /* no timestamp though both sides agreed (RFC 7323 3.2) */
	STAT_DROP_TCP_STATE,                   /* nothing to do in this state */
	STAT_DROP_INVARIANT,                   /* taking it would break an invariant (a bug) */
	STAT_COUNT
};

struct stack *stack_new(const struct stack_config *cfg, const struct stack_env *env);
void stack_free(struct stack *s);

/* One IPv4 packet arrived. The buffer is only read, and only during the call. */
void stack_input(struct stack *s, uint64_t now, const uint8_t *pkt, size_t len);
/* A burst: packets read from the link at one go, until it had no more (or a batch's
 * worth). Between these two calls stack_input may hold back the ACKs that in-order data
 * owes under RFC 9293 SHLD-19 (cfg.ack_burst); stack_burst_end sends them, one per
 * connection. Without cfg.ack_burst the calls change nothing. */
void stack_burst_begin(struct stack *s);
void stack_burst_end(struct stack *s, uint64_t now);
/* Run expired timers and send what is pending. */
void stack_poll(struct stack *s, uint64_t now);
/* Absolute time of the next timer, or UINT64_MAX when none is armed. */
uint64_t stack_next_deadline(const struct stack *s);

/* Check every invariant of every connection (tcp_invariant.c). Test and fuzz builds
 * (INTERNAL_CHECKS) do it after every stack_input and stack_poll, and stop at once
 * on a broken one; release builds count it (STAT_INVARIANT) and go on. */
void stack_check(struct stack *s);

uint64_t stack_stat(const struct stack *s, enum stat_id st);
const char *stat_name(enum stat_id st);
uint32_t stack_addr(const struct stack *s);

#endif

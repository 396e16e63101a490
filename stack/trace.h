/* trace.h - the one observability channel of the core: every segment in and out,
 * every state change (with cause and RFC section), timer, drop and user call is an
 * event handed to env.trace. Logs, -v lines and pcap are all built from these.
 * Entry points: trace_format (a log line without the time), trace_format_packet
 * (tcpdump-style text of a packet). Both are pure functions. */
#ifndef TUNTCP_TRACE_H
#define TUNTCP_TRACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stack.h"
#include "tcp.h"

enum trace_kind {
	TRACE_SEG_IN,     /* pkt: an IPv4 packet the stack received (valid or not) */
	TRACE_SEG_OUT,    /* pkt: an IPv4 packet the stack emitted */
	TRACE_STATE,      /* conn: from -> to, cause, rfc; duration: TIME-WAIT length */
	TRACE_TIMER,      /* conn: a timer fired; cause names it */
	TRACE_DROP,       /* pkt: dropped for `reason`; or no pkt: an invariant broken, cause says which */
	TRACE_USER,       /* conn: a user call; cause names it */
	TRACE_CC,         /* conn: congestion control acted; cause says how; cwnd, ssthresh */
	TRACE_ICMP,       /* conn: an ICMP error the connection took without changing state */
	TRACE_SUMMARY,    /* conn: the connection has ended; sum says how it lived */
	TRACE_RTT,        /* conn: an RTT sample; cause gives it with SRTT, RTTVAR and the RTO */
};

struct trace_conn { uint32_t laddr, raddr; uint16_t lport, rport; };

/* A connection's life, traced once when it ends (TRACE_SUMMARY), built then from what
 * its TCB keeps (struct tcb_life, compact: times in each state to the millisecond).
 * Bytes are data bytes acknowledged, each way; retransmissions count segments sent
 * again, after a timeout or by fast retransmit (and other immediate resends). */
struct trace_summary {
	enum tcp_state ended_in;       /* the state it left for CLOSED ... */
	const char *cause;             /* ... and why ("rcvd RST", "2*MSL timeout", ...) */
	int first_fin;                 /* who closed first: 0 nobody, 1 we, 2 the peer */
	bool via_closing;              /* simultaneous close: went through CLOSING */
	bool fin_ack_merged;           /* FIN-WAIT-1 straight to TIME-WAIT */
	bool half_close;               /* data flowed the other way after the first FIN */
	bool passive;                  /* opened by a listener */
	uint64_t since;                /* (when the current state was entered) */
	uint64_t lifetime_us, in_state[TCP_NSTATES];   /* in_state: whole milliseconds, in us */
	unsigned visited;              /* bit (1 << state) for each state it was in */
	uint64_t bytes_out, bytes_in;
	uint32_t segs_out, segs_in, rexmt_timeout, rexmt_fast;
	uint32_t rtt_min_us, srtt_us;  /* 0: no sample */
	uint32_t rto_ms, cwnd;
};

struct trace_event {
	enum trace_kind kind;
	uint64_t now;                  /* the core's time of the event */
	struct trace_conn conn;
	const uint8_t *pkt;            /* SEG_IN, SEG_OUT, DROP */
	size_t len;
	enum tcp_state from, to;       /* STATE */
	const char *cause;             /* "rcvd SYN", "retransmission timeout", ... */
	const char *rfc;               /* "3.10.7.2" */
	enum stat_id reason;           /* DROP */
	uint64_t duration;             /* STATE into TIME-WAIT: how long it lasts (us) */
	uint32_t cwnd, ssthresh;       /* CC, and SEG_OUT of a synchronized connection; else 0 */
	uint32_t scaled_wnd;           /* SEG_OUT with window scaling in force (RFC 7323): the
	                                  window field << Rcv.Wind.Shift, in bytes; else 0 */
	const struct trace_summary *sum;   /* SUMMARY */
	int rexmt;                     /* SEG_OUT: 0, or the Nth retransmission after a timeout,
	                                  or -1 for one sent at once (fast retransmit, path MTU) */
	uint32_t rto_ms;               /* SEG_OUT retransmitted after a timeout: the RTO that fired */
};

/* "10.0.0.2:1234 > 10.0.0.1:42606 LISTEN -> SYN-RECEIVED (rcvd SYN) [3.10.7.2]" */
size_t trace_format(const struct trace_event *ev, char *buf, size_t cap);
/* "IP 10.0.0.1.42606 > 10.0.0.2.1234: Flags [S], seq 1, win 64240, options [mss 1460], length 0" */
size_t trace_format_packet(const uint8_t *pkt, size_t len, char *buf, size_t cap);
/* The event as one JSON object (no newline), stamped with `time` (the text log's
 * "HH:MM:SS.uuuuuu") and epoch_us; the members are listed in the README. */
size_t trace_format_json(const struct trace_event *ev, const char *time, uint64_t epoch_us,
			 char *buf, size_t cap);
/* What the link's impairment did to a packet, as JSON ("kind":"impair"). */
size_t trace_format_json_impair(const char *time, uint64_t epoch_us, const char *dir,
				const char *what, const uint8_t *pkt, size_t len,
				char *buf, size_t cap);

#endif

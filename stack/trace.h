/* trace.h - the one observability channel of the core: every segment in and out,
 * every state change (with cause and RFC section), timer, drop and user call is an
 * event handed to env.trace. Logs, -v lines and pcap are all built from these.
 * Entry points: trace_format (a log line without the time), trace_format_packet
 * (tcpdump-style text of a packet). Both are pure functions. */
#ifndef TUNTCP_TRACE_H
#define TUNTCP_TRACE_H
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
};

struct trace_conn { uint32_t laddr, raddr; uint16_t lport, rport; };

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
};

/* "10.0.0.2:1234 > 10.0.0.1:42606 LISTEN -> SYN-RECEIVED (rcvd SYN) [3.10.7.2]" */
size_t trace_format(const struct trace_event *ev, char *buf, size_t cap);
/* "IP 10.0.0.1.42606 > 10.0.0.2.1234: Flags [S], seq 1, win 64240, options [mss 1460], length 0" */
size_t trace_format_packet(const uint8_t *pkt, size_t len, char *buf, size_t cap);

#endif

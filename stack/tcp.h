/* tcp.h - the user calls of RFC 9293 3.10.1-3.10.6, non-blocking, BSD-flavoured.
 * A connection is named by a small integer handle, valid until tcp_release().
 * Every call returns >= 0, or a negative errno: -EAGAIN when it would block,
 * -ECONNREFUSED, -ECONNRESET, -EPIPE, -ETIMEDOUT, -ENOTCONN, -EBADF, ...
 * The runtime (tun/net.h) turns them into blocking calls. */
#ifndef TUNTCP_TCP_H
#define TUNTCP_TCP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stack;

enum tcp_state {   /* RFC 9293 3.3.2; names in tcp_state_name() */
	TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_ESTABLISHED,
	TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
	TCP_TIME_WAIT, TCP_NSTATES
};
const char *tcp_state_name(enum tcp_state st);

/* OPEN, passive: a listener on `port` with a queue of `backlog` connections. */
int tcp_listen(struct stack *s, uint64_t now, uint16_t port, int backlog);
/* A connection that completed its handshake on listener `lh`, or -EAGAIN. */
int tcp_accept(struct stack *s, int lh);
/* OPEN, active: sends a SYN; lport 0 picks an ephemeral port. Returns the handle
 * at once; tcp_status() tells when it is ESTABLISHED or failed. */
int tcp_connect(struct stack *s, uint64_t now, uint32_t raddr, uint16_t rport, uint16_t lport);
/* SEND: queues up to len bytes; returns how many, or -EAGAIN when the buffer is full. */
ssize_t tcp_send(struct stack *s, uint64_t now, int h, const void *buf, size_t len);
/* RECEIVE: returns bytes read, 0 at end of stream, or -EAGAIN. */
ssize_t tcp_recv(struct stack *s, uint64_t now, int h, void *buf, size_t len);
/* shutdown(SHUT_WR): no more sends, FIN after the queued data; receiving goes on. */
int tcp_shutdown(struct stack *s, uint64_t now, int h);
/* CLOSE: as close(2): FIN after queued data, or RST when unread data remains.
 * The connection goes on through FIN-WAIT/TIME-WAIT; the handle stays readable
 * by tcp_status() until tcp_release(). */
int tcp_close(struct stack *s, uint64_t now, int h);
/* ABORT: RST now (unless nothing was synchronized), CLOSED. */
int tcp_abort(struct stack *s, uint64_t now, int h);
/* Give the handle back; the stack frees the TCB once it is CLOSED. */
void tcp_release(struct stack *s, uint64_t now, int h);

/* How many connections a user closed are still closing (FIN-WAIT-1/2,
 * CLOSING, LAST-ACK): a program waits for them before it exits. */
int tcp_closing_count(const struct stack *s);

/* STATUS */
enum { TCP_EV_READABLE = 1, TCP_EV_WRITABLE = 2, TCP_EV_CONNECTED = 4,
       TCP_EV_ERROR = 8, TCP_EV_CLOSED = 16, TCP_EV_ACCEPT = 32 };
struct tcp_status {
	enum tcp_state state;
	int error;                 /* the pending -errno, 0 if none */
	int soft_error;            /* the last ICMP soft error (-errno), 0 if none */
	int events;                /* TCP_EV_* */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	size_t rcv_queued, snd_queued, snd_space;
	/* what `ss -ti` shows on Linux */
	uint32_t srtt_us, rttvar_us;   /* RFC 6298, 0 before the first sample */
	uint32_t rto_ms;               /* the retransmission timeout now (backed off or not) */
	uint32_t cwnd, ssthresh;       /* RFC 5681, bytes */
	uint32_t snd_wnd, rcv_wnd;     /* the peer's window, RCV.WND (what is left of ours) */
	int in_recovery;               /* fast recovery (RFC 6582) in progress */
	int ooo_pieces;                /* out-of-order pieces waiting for a hole to fill */
	/* what `ss -tino` shows besides (tuntcp-ss) */
	int handle;                    /* the slot: the handle, if a user holds it */
	int user_held;                 /* a user holds the handle ... */
	int user_closed;               /* ... and has called CLOSE (or ABORT) on it */
	int child;                     /* 0, or a listener's child nobody accepted yet:
	                                  1 half-open (in its synq), 2 waiting for accept() */
	int rtt_valid;                 /* srtt_us and rttvar_us hold a measurement */
	int synchronized;              /* the handshake completed (whatever the state is now) */
	uint32_t mss;                  /* SMSS: the peer's MSS, bounded by ours (less the 12
	                                  bytes of timestamps when they are in force) */
	int ts_ok, sack_ok;            /* timestamps (RFC 7323), SACK (RFC 2018) in force */
	int wscale_ok;                 /* window scaling in force (RFC 7323 2) ... */
	int snd_wscale, rcv_wscale;    /* ... the peer's shift and ours */
	int backlog;                   /* a listener: listen()'s backlog (clamped, >= 1), else 0 */
	int synq_len, synq_max;        /* a listener: half-open children, and the limit */
	int acceptq_len, acceptq_max;  /* a listener: children waiting for accept(), and the limit */
	/* the timers: absolute deadlines on the core's clock (the `now` it is given), 0 when off */
	uint64_t rexmt_at, persist_at, timewait_at, delack_at;
	int rexmt_count;               /* retransmissions of the same data so far */
	int probes;                    /* zero-window probes unanswered so far */
	/* the connection's counters so far (struct trace_summary in trace.h) */
	uint64_t bytes_acked;          /* data bytes sent and acknowledged */
	uint64_t bytes_received;       /* data bytes received in order */
	uint32_t segs_out, segs_in;
	uint32_t retrans;              /* segments sent again: after a timeout or at once */
};
int tcp_status(const struct stack *s, int h, struct tcp_status *st);
/* tcp_status(s, h, &st).events alone, or -EBADF: cheaper, for a poll over many handles. */
int tcp_poll_events(const struct stack *s, int h);
/* STATUS of whatever TCB occupies slot `slot` (0 <= slot < tcp_status_slots(s)), held by
 * a user or not: listeners, half-open children, orphans, TIME-WAIT. -ENOENT for an
 * empty slot, -EINVAL past the end. For a view of every connection, as `ss -a`.
 * The table grows as connections come (up to stack_config.max_conns): the number of
 * slots is the table's size now. */
int tcp_status_slot(const struct stack *s, int slot, struct tcp_status *st);
int tcp_status_slots(const struct stack *s);
/* As getsockopt(SO_ERROR): the pending error or else the last ICMP soft error (-errno),
 * 0 if none; what it returns is cleared. -EBADF for a bad handle. */
int tcp_sock_error(struct stack *s, int h);

#endif

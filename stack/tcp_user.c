/* tcp_user.c - the user calls, RFC 9293 3.10.1-3.10.6: OPEN (tcp_listen,
 * tcp_connect, tcp_accept), SEND, RECEIVE, CLOSE (and shutdown), ABORT, STATUS
 * (tcp_status of a handle; tcp_status_slot of any TCB, for a view like `ss -a`).
 * Non-blocking; errors are negative errno values, reported as Linux reports them:
 * a pending error once, then EPIPE on send and end-of-stream on receive.
 * Each call ends by settling the TCBs it touched (stack_settle: timers, buffers);
 * the calls themselves are the static *_call functions, the public ones wrap them. */
#include <errno.h>
#include "tcp_priv.h"

static bool state_is(const struct tcb *tcb, enum tcp_state a, enum tcp_state b)
{
	return tcb->state == a || tcb->state == b;
}

/* The user's view of a handle, with the call's time recorded. */
static struct tcb *user_tcb(struct stack *s, uint64_t now, int h, const char *call)
{
	struct tcb *tcb = tcb_get(s, h);

	s->now = now;
	if (tcb) {
		tcb_touch(s, tcb);
		tcp_trace_conn(s, tcb, TRACE_USER, call);
	}
	return tcb;
}

static int take_error(struct tcb *tcb)
{
	int err = tcb->error;

	tcb->error = 0;
	return err;
}

static void release_call(struct stack *s, uint64_t now, int h);

/* 3.10.1 OPEN, passive */
static int listen_call(struct stack *s, uint64_t now, uint16_t port, int backlog)
{
	struct tcb *l;

	s->now = now;
	if (port == 0)
		return -EINVAL;
	/* a new record or an error, never a change to another one (MUST-41) */
	if ((l = tcb_lookup(s, 0, 0, port)) && l->state == TCP_LISTEN)
		return -EADDRINUSE;
	if (!(l = tcb_new(s, TCP_CLOSED, 0, 0, port)))
		return -ENOBUFS;
	l->user_ref = true;
	if (!(l->listen = listener_new(s, backlog))) {
		release_call(s, now, l->handle);
		return -ENOBUFS;
	}
	l->listen->handle = l->handle;
	tcp_set_state(s, l, TCP_LISTEN, "passive OPEN", "3.10.1");
	return l->handle;
}

int tcp_accept(struct stack *s, int lh)
{
	struct tcb *l = tcb_get(s, lh), *c;

	if (!l || l->state != TCP_LISTEN)
		return -EINVAL;
	if (!(c = listener_accept(l->listen)))
		return -EAGAIN;
	c->user_ref = true;                          /* no timer, no buffer changes: no settling */
	return c->handle;
}

static uint16_t ephemeral_port(struct stack *s, uint32_t raddr, uint16_t rport)
{
	for (int i = 0; i <= TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO; i++) {
		uint16_t p = s->next_port;
		s->next_port = p == TCP_EPHEMERAL_HI ? TCP_EPHEMERAL_LO : p + 1;
		if (!tcb_lookup(s, raddr, rport, p) && !tcb_lookup(s, 0, 0, p))
			return p;
	}
	return 0;
}

/* 3.10.1 OPEN, active: SYN-SENT, and the SYN goes out now. */
static int connect_call(struct stack *s, uint64_t now, uint32_t raddr, uint16_t rport,
			uint16_t lport)
{
	struct tcb *tcb;

	s->now = now;
	if (raddr == 0 || rport == 0)
		return -EINVAL;
	if (raddr == 0xffffffffu || (raddr >> 28) == 0xe)
		return -ENETUNREACH;                 /* broadcast, multicast: as Linux (MUST-46) */
	if (!lport && !(lport = ephemeral_port(s, raddr, rport)))
		return -EADDRNOTAVAIL;
	if ((tcb = tcb_lookup(s, raddr, rport, lport)) && tcb->state != TCP_CLOSED)
		return -EADDRINUSE;
	if (!(tcb = tcb_new(s, TCP_CLOSED, raddr, rport, lport)))
		return -ENOBUFS;
	tcb_alloc_bufs(s, tcb);                      /* their sizes; memory when data comes */
	tcb->user_ref = true;
	tcb->snd.iss = tcp_new_isn(s, tcb->laddr, lport, raddr, rport);
	tcb->snd.una = tcb->snd.nxt = tcb->snd.max = tcb->snd.iss;
	tcb->snd.data_seq = tcb->snd.iss + 1;
	tcp_set_state(s, tcb, TCP_SYN_SENT, "active OPEN, sent SYN", "3.10.1");
	tcp_output(s, tcb);
	return tcb->handle;
}

/* 3.10.2 SEND */
static ssize_t send_call(struct stack *s, uint64_t now, int h, const void *buf, size_t len)
{
	struct tcb *tcb = user_tcb(s, now, h, "SEND");
	uint32_t n;

	if (!tcb || tcb->user_closed)
		return -EBADF;
	if (tcb->error)
		return take_error(tcb);
	if (tcb->state == TCP_LISTEN)
		return -ENOTCONN;
	if (tcb->fin_queued || !(state_is(tcb, TCP_SYN_SENT, TCP_SYN_RECEIVED) ||
				 state_is(tcb, TCP_ESTABLISHED, TCP_CLOSE_WAIT)))
		return -EPIPE;                       /* after shutdown, or the connection is gone */
	if (len && tcb->snd.q.len < tcb->snd.q.cap && !tcb_ring_get(s, tcb, &tcb->snd.q))
		return -ENOBUFS;                     /* the send queue's memory, on its first byte */
	/* queued, and sent as soon as the windows allow: never held for ever (MUST-60) */
	n = ring_write(&tcb->snd.q, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	if (n == 0)
		return len ? -EAGAIN : 0;
	tcp_output(s, tcb);
	return n;
}

/* After the user reads, a window whose right edge may move (3.8.6.2.2, MUST-39: by
 * min(half the buffer, MSS)) is announced at once. */
static void tcp_window_update(struct stack *s, struct tcb *tcb)
{
	if (!state_is(tcb, TCP_ESTABLISHED, TCP_FIN_WAIT_1) && tcb->state != TCP_FIN_WAIT_2)
		return;
	if (tcp_adv_wnd(s, tcb) > tcp_adv_left(tcb))
		tcp_send_ack(s, tcb);
}

/* 3.10.3 RECEIVE */
static ssize_t recv_call(struct stack *s, uint64_t now, int h, void *buf, size_t len)
{
	struct tcb *tcb = user_tcb(s, now, h, "RECEIVE");   /* none after CLOSE (MAY-1) */
	uint32_t n;

	if (!tcb || tcb->user_closed)
		return -EBADF;
	if (tcb->state == TCP_LISTEN)
		return -ENOTCONN;
	if (tcb->rcv.q.len && len) {
		n = ring_read(&tcb->rcv.q, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
		tcp_window_update(s, tcb);
		return n;
	}
	if (tcb->error)
		return take_error(tcb);
	if (tcb->fin_rcvd || tcb->state == TCP_CLOSED || len == 0)
		return 0;
	return -EAGAIN;
}

/* CLOSE's FIN: it follows the queued data (3.10.4, simplex close). */
static void tcp_queue_fin(struct stack *s, struct tcb *tcb)
{
	if (tcb->fin_queued)
		return;
	tcb->fin_queued = true;
	if (tcb->state == TCP_ESTABLISHED)
		tcp_set_state(s, tcb, TCP_FIN_WAIT_1, "CLOSE", "3.10.4");
	else if (tcb->state == TCP_CLOSE_WAIT)
		tcp_set_state(s, tcb, TCP_LAST_ACK, "CLOSE", "3.10.4");
	else if (tcb->state == TCP_SYN_RECEIVED && tcb->snd.q.len == 0)
		tcp_set_state(s, tcb, TCP_FIN_WAIT_1, "CLOSE", "3.10.4");
	/* SYN-SENT, or SYN-RECEIVED with data queued: the FIN waits for ESTABLISHED */
	tcp_output(s, tcb);
}

/* shutdown(SHUT_WR): no more sends; receiving goes on (half-close). */
static int shutdown_call(struct stack *s, uint64_t now, int h)
{
	struct tcb *tcb = user_tcb(s, now, h, "shutdown(SHUT_WR)");

	if (!tcb || tcb->user_closed)
		return -EBADF;
	if (tcb->state == TCP_CLOSED || tcb->state == TCP_LISTEN)
		return -ENOTCONN;
	tcp_queue_fin(s, tcb);
	return 0;
}

static void tcp_abort_conn(struct stack *s, struct tcb *tcb, const char *cause, const char *rfc)
{
	bool synced = !state_is(tcb, TCP_CLOSED, TCP_LISTEN) && tcb->state != TCP_SYN_SENT &&
		      !state_is(tcb, TCP_TIME_WAIT, TCP_CLOSING) && tcb->state != TCP_LAST_ACK;

	if (synced)
		tcp_send_rst(s, tcb);
	ring_drop(&tcb->snd.q, tcb->snd.q.len);
	ring_drop(&tcb->rcv.q, tcb->rcv.q.len);
	tcp_reasm_clear(tcb);
	if (tcb->state != TCP_CLOSED)
		tcp_set_state(s, tcb, TCP_CLOSED, cause, rfc);
}

/* Closing a listener resets the connections nobody accepted (as Linux does). */
static void tcp_close_listener(struct stack *s, struct tcb *l)
{
	struct tcb *c;

	while ((c = listener_first_child(l->listen))) {
		tcp_abort_conn(s, c, "listener closed", "3.10.4");
		tcb_maybe_free(s, c);                /* CLOSED, nobody holds it: gone */
	}
	tcp_set_state(s, l, TCP_CLOSED, "CLOSE", "3.10.4");
}

/* 3.10.4 CLOSE */
static int close_call(struct stack *s, uint64_t now, int h)
{
	struct tcb *tcb = user_tcb(s, now, h, "CLOSE");

	if (!tcb || tcb->user_closed)
		return -EBADF;
	if (tcb->state == TCP_LISTEN) {
		tcp_close_listener(s, tcb);
	} else if (tcb->state == TCP_SYN_SENT) {
		tcp_set_state(s, tcb, TCP_CLOSED, "CLOSE", "3.10.4");
	} else if (tcb->rcv.q.len) {                  /* RFC 2525 2.17, as Linux (SHLD-3) */
		tcp_abort_conn(s, tcb, "CLOSE with unread data, sent RST", "3.6.1");
	} else if (tcb->state != TCP_CLOSED) {
		tcp_queue_fin(s, tcb);
	}
	tcb->user_closed = true;
	tcp_orphan_timer(s, tcb);                    /* CLOSE after shutdown, in FIN-WAIT-2 */
	return 0;
}

/* 3.10.5 ABORT */
static int abort_call(struct stack *s, uint64_t now, int h)
{
	struct tcb *tcb = user_tcb(s, now, h, "ABORT");

	if (!tcb)
		return -EBADF;
	if (tcb->state == TCP_LISTEN)
		tcp_close_listener(s, tcb);
	else
		tcp_abort_conn(s, tcb, "ABORT, sent RST", "3.10.5");
	tcb->user_closed = true;
	return 0;
}

static void release_call(struct stack *s, uint64_t now, int h)
{
	struct tcb *tcb = tcb_get(s, h);

	s->now = now;
	if (!tcb)
		return;
	tcb_touch(s, tcb);
	if (!tcb->user_closed)
		close_call(s, now, h);
	tcb->user_ref = false;
	tcb_maybe_free(s, tcb);
}

/* ---- the public calls: each settles what it touched before it returns ---- */

int tcp_listen(struct stack *s, uint64_t now, uint16_t port, int backlog)
{
	int r = listen_call(s, now, port, backlog);

	stack_settle(s);
	return r;
}

int tcp_connect(struct stack *s, uint64_t now, uint32_t raddr, uint16_t rport, uint16_t lport)
{
	int r = connect_call(s, now, raddr, rport, lport);

	stack_settle(s);
	return r;
}

ssize_t tcp_send(struct stack *s, uint64_t now, int h, const void *buf, size_t len)
{
	ssize_t r = send_call(s, now, h, buf, len);

	stack_settle(s);
	return r;
}

ssize_t tcp_recv(struct stack *s, uint64_t now, int h, void *buf, size_t len)
{
	ssize_t r = recv_call(s, now, h, buf, len);

	stack_settle(s);
	return r;
}

int tcp_shutdown(struct stack *s, uint64_t now, int h)
{
	int r = shutdown_call(s, now, h);

	stack_settle(s);
	return r;
}

int tcp_close(struct stack *s, uint64_t now, int h)
{
	int r = close_call(s, now, h);

	stack_settle(s);
	return r;
}

int tcp_abort(struct stack *s, uint64_t now, int h)
{
	int r = abort_call(s, now, h);

	stack_settle(s);
	return r;
}

void tcp_release(struct stack *s, uint64_t now, int h)
{
	release_call(s, now, h);
	stack_settle(s);
}

static int tcp_events(const struct tcb *tcb)
{
	int ev = 0;
	bool open = state_is(tcb, TCP_ESTABLISHED, TCP_CLOSE_WAIT);

	if (tcb->rcv.q.len || tcb->fin_rcvd || tcb->error || tcb->state == TCP_CLOSED)
		ev |= TCP_EV_READABLE;
	if ((open && !tcb->fin_queued && tcb->snd.q.len < tcb->snd.q.cap) || tcb->error)
		ev |= TCP_EV_WRITABLE;
	if (!state_is(tcb, TCP_CLOSED, TCP_LISTEN) && !state_is(tcb, TCP_SYN_SENT, TCP_SYN_RECEIVED))
		ev |= TCP_EV_CONNECTED;
	if (tcb->error)
		ev |= TCP_EV_ERROR;
	if (tcb->state == TCP_CLOSED)
		ev |= TCP_EV_CLOSED;
	if (tcb->listen && tcb->listen->acceptq.head)
		ev |= TCP_EV_ACCEPT;
	return ev;
}

/* getsockopt(SO_ERROR) (MUST-47, SHLD-25): the pending error, else the last soft one; either is
 * then cleared, as on Linux. */
int tcp_sock_error(struct stack *s, int h)
{
	struct tcb *tcb = tcb_get(s, h);
	int err;

	if (!tcb)
		return -EBADF;
	if ((err = take_error(tcb)))
		return err;
	err = tcb->soft_error;
	tcb->soft_error = 0;
	return err;
}

/* A listener's queues, as Linux bounds them (tcp_listen.c). */
static void status_listener(const struct listener *l, struct tcp_status *st)
{
	st->backlog = l->backlog;
	st->synq_len = l->synq.n;
	st->synq_max = l->backlog;
	st->acceptq_len = l->acceptq.n;
	st->acceptq_max = l->backlog + 1;
}

/* Which of its listener's queues a child not yet accepted waits in. */
static int status_child(const struct tcb *tcb)
{
	if (!tcb->parent)
		return 0;
	for (const struct tcb *c = tcb->parent->acceptq.head; c; c = c->qnext)
		if (c == tcb)
			return 2;
	return 1;
}

static void status_fill(const struct tcb *tcb, struct tcp_status *st)
{
	*st = (struct tcp_status){
		.state = tcb->state, .error = tcb->error, .soft_error = tcb->soft_error,
		.events = tcp_events(tcb), .laddr = tcb->laddr, .raddr = tcb->raddr,
		.lport = tcb->lport, .rport = tcb->rport,
		.rcv_queued = tcb->rcv.q.len, .snd_queued = tcb->snd.q.len,
		.snd_space = tcb->snd.q.cap - tcb->snd.q.len,
		.srtt_us = tcb->rtt.valid ? tcb->rtt.srtt_us : 0,
		.rttvar_us = tcb->rtt.valid ? tcb->rtt.rttvar_us : 0,
		.rto_ms = tcb->timer.rto_ms, .cwnd = tcb->cc.cwnd, .ssthresh = tcb->cc.ssthresh,
		.snd_wnd = tcb->snd.wnd, .rcv_wnd = tcp_adv_left(tcb),
		.in_recovery = tcb->cc.in_recovery, .ooo_pieces = tcb->rcv.n_ooo,
		.handle = tcb->handle, .user_held = tcb->user_ref, .user_closed = tcb->user_closed,
		.child = status_child(tcb), .rtt_valid = tcb->rtt.valid, .mss = tcb->snd.mss,
		.ts_ok = tcb->ts.ok, .sack_ok = tcb->sack.ok, .wscale_ok = tcb->rcv.ws_offer,
		.snd_wscale = tcb->snd.wscale, .rcv_wscale = tcb->rcv.wscale,
		.synchronized = tcb->snd.syn_acked && !tcb->listen,
		.rexmt_at = tcb->timer.rexmt, .persist_at = tcb->timer.persist,
		.timewait_at = tcb->timer.timewait, .delack_at = tcb->timer.delack,
		.rexmt_count = tcb->timer.rexmt_count, .probes = tcb->timer.probes,
		.bytes_acked = tcb->sum.bytes_out, .bytes_received = tcb->sum.bytes_in,
		.segs_out = tcb->sum.segs_out, .segs_in = tcb->sum.segs_in,
		.retrans = tcb->sum.rexmt_timeout + tcb->sum.rexmt_fast,
	};
	if (tcb->listen)
		status_listener(tcb->listen, st);
}

/* The events alone (TCP_EV_*), or -EBADF: what a poll over many connections needs,
 * read from a few of the TCB's cache lines, where tcp_status reads them all. */
int tcp_poll_events(const struct stack *s, int h)
{
	const struct tcb *tcb = tcb_get(s, h);

	return tcb ? tcp_events(tcb) : -EBADF;
}

/* 3.10.6 STATUS */
int tcp_status(const struct stack *s, int h, struct tcp_status *st)
{
	const struct tcb *tcb = tcb_get(s, h);

	if (!tcb)
		return -EBADF;
	status_fill(tcb, st);
	return 0;
}

int tcp_status_slot(const struct stack *s, int slot, struct tcp_status *st)
{
	if (slot < 0 || (uint32_t)slot >= s->cap)
		return -EINVAL;
	if (!s->conns[slot])
		return -ENOENT;
	status_fill(s->conns[slot], st);
	return 0;
}

/* The table's size now: it grows (up to max_conns) as connections come. */
int tcp_status_slots(const struct stack *s)
{
	return (int)s->cap;
}

int tcp_closing_count(const struct stack *s)
{
	return s->n_closing;                         /* kept by tcp_set_state */
}

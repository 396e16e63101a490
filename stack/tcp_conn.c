/* tcp_conn.c - the TCB table: handles, allocation, O(1) demultiplexing by a hash of
 * (local port, remote address, remote port), and initial sequence numbers.
 * Listeners are found under remote address 0, port 0.
 * Entry points: tcb_new, tcb_alloc_bufs, tcb_lookup, tcb_get, tcb_maybe_free, tcp_new_isn. */
#include <stdlib.h>
#include "siphash.h"
#include "tcp_priv.h"

static unsigned tcb_bucket(uint32_t raddr, uint16_t rport, uint16_t lport)
{
	uint32_t h = raddr * 2654435761u ^ ((uint32_t)rport << 16 | lport) * 2246822519u;

	return (h ^ h >> 15) & (STACK_HASH_BUCKETS - 1);
}

struct tcb *tcb_lookup(struct stack *s, uint32_t raddr, uint16_t rport, uint16_t lport)
{
	struct tcb *t = s->hash[tcb_bucket(raddr, rport, lport)];

	while (t && !(t->raddr == raddr && t->rport == rport && t->lport == lport))
		t = t->hnext;
	return t;
}

struct tcb *tcb_get(const struct stack *s, int h)
{
	if (h < 0 || h >= STACK_MAX_CONNS || !s->conns[h] || !s->conns[h]->user_ref)
		return NULL;
	return s->conns[h];
}

static int tcb_free_slot(const struct stack *s)
{
	for (int h = 0; h < STACK_MAX_CONNS; h++)
		if (!s->conns[h])
			return h;
	return -1;
}

/* The send and receive buffers (320 KiB by default; the receive one with its slack,
 * tcp_rcv_slack): a connection gets them when it is opened by the user or, from a
 * listener, once its handshake completes, so half-open connections (a SYN flood)
 * cost only their TCB. 0, or -1 when out of memory. */
int tcb_alloc_bufs(const struct stack *s, struct tcb *tcb)
{
	if (tcb->rcv.q.buf)
		return 0;
	if (ring_init(&tcb->snd.q, TCP_SNDBUF) ||
	    ring_init(&tcb->rcv.q, s->cfg.rcvbuf + tcp_rcv_slack(s))) {
		ring_free(&tcb->snd.q);
		ring_free(&tcb->rcv.q);
		return -1;
	}
	return 0;
}

/* A TCB without buffers, hashed in under its 4-tuple; NULL when the table is full.
 * It is born CLOSED, or for a listener's child LISTEN: a copy of its listener
 * (3.10.7.2), so that the log says LISTEN -> SYN-RECEIVED. */
struct tcb *tcb_new(struct stack *s, enum tcp_state born, uint32_t raddr, uint16_t rport,
		    uint16_t lport)
{
	int h = tcb_free_slot(s);
	struct tcb *tcb;
	unsigned b;

	if (h < 0 || !(tcb = calloc(1, sizeof(*tcb))))
		return NULL;
	tcb->handle = h;
	tcb->state = born;
	tcb->laddr = s->cfg.addr;
	tcb->raddr = raddr;
	/* RFC 7323 2.2: offered when our buffer needs a shift (with 64 KiB, segments stay
	 * exactly as before scaling existed); tcp_init_rcv takes it back if the peer's SYN
	 * lacks it */
	tcb->rcv.ws_offer = !s->cfg.no_wscale && s->wscale > 0;
	tcb->rport = rport;
	tcb->lport = lport;
	tcb->sack.offer = !s->cfg.no_sack;           /* RFC 2018 2; tcp_sack_init takes it back */
	tcp_ts_new(s, tcb);                          /* RFC 7323 3.2; tcp_ts_init likewise */
	tcb->timer.rto_ms = TCP_RTO_INITIAL_MS;
	tcb->snd.mss = TCP_DEFAULT_MSS;
	b = tcb_bucket(raddr, rport, lport);
	tcb->hnext = s->hash[b];
	s->hash[b] = tcb;
	s->conns[h] = tcb;
	return tcb;
}

static void tcb_unhash(struct stack *s, struct tcb *tcb)
{
	struct tcb **pp = &s->hash[tcb_bucket(tcb->raddr, tcb->rport, tcb->lport)];

	while (*pp != tcb)
		pp = &(*pp)->hnext;
	*pp = tcb->hnext;
}

/* The TCB's memory: its buffers, a listener's queues, itself. */
void tcb_free(struct tcb *tcb)
{
	ring_free(&tcb->snd.q);
	ring_free(&tcb->rcv.q);
	listener_free(tcb->listen);
	free(tcb);
}

/* Free a TCB once it is CLOSED and no user holds its handle. */
void tcb_maybe_free(struct stack *s, struct tcb *tcb)
{
	if (tcb->state != TCP_CLOSED || tcb->user_ref)
		return;
	listener_unlink(tcb);
	tcb_unhash(s, tcb);
	s->conns[tcb->handle] = NULL;
	tcb_free(tcb);
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a
 * clock ticking every 4 us (MUST-8), F SipHash-2-4 keyed by a secret drawn once per
 * run (SHLD-1, MUST-9):
 * a new connection of the same 4-tuple starts higher than the last one did, and
 * nobody who cannot see the secret can guess another 4-tuple's ISN. `--isn N`
 * fixes it for reproducible captures. */
uint32_t tcp_new_isn(const struct stack *s, uint32_t laddr, uint16_t lport,
		     uint32_t raddr, uint16_t rport)
{
	uint8_t t[12];

	if (s->cfg.fixed_isn)
		return s->cfg.isn;
	put32(t, laddr);
	put16(t + 4, lport);
	put32(t + 6, raddr);
	put16(t + 10, rport);
	return (uint32_t)(s->now / 4) + (uint32_t)siphash24(s->isn_key, t, sizeof(t));
}

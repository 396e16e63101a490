/* tcp_conn.c - the TCB table: handles, allocation, O(1) demultiplexing by a hash of
 * (local port, remote address, remote port), initial sequence numbers, and the memory
 * of the rings. Listeners are found under remote address 0, port 0.
 * The table starts small and doubles as it fills, up to cfg.max_conns: a handle is an
 * index, so it stays valid while the table grows; a free slot is found in O(1) (a
 * stack of spare slots). A call that touches a TCB (tcb_lookup, tcb_new, a user call)
 * puts it on the stack's touched list, settled before the call returns (stack.c).
 * Entry points: tcb_table_init, tcb_new, tcb_alloc_bufs, tcb_ring_get, tcb_rings_put,
 * tcb_lookup, tcb_get, tcb_touch, tcb_maybe_free, tcp_new_isn. */
#include <stdlib.h>
#include <string.h>
#include "siphash.h"
#include "tcp_priv.h"

static unsigned tcb_bucket(const struct stack *s, uint32_t raddr, uint16_t rport, uint16_t lport)
{
	uint32_t h = raddr * 2654435761u ^ ((uint32_t)rport << 16 | lport) * 2246822519u;

	return (h ^ h >> 15) & (s->cap - 1);
}

static void tcb_hash(struct stack *s, struct tcb *tcb)
{
	unsigned b = tcb_bucket(s, tcb->raddr, tcb->rport, tcb->lport);

	tcb->hnext = s->hash[b];
	s->hash[b] = tcb;
}

/* Every array of the table with room for `cap` slots; the new slots spare. Each array
 * is reallocated in turn (one that failed leaves the others merely larger). */
static int tcb_table_resize(struct stack *s, uint32_t cap)
{
	struct tcb **conns = realloc(s->conns, cap * sizeof(*conns));
	int *spare, *touched;
	struct timer_node *heap;

	if (conns)
		s->conns = conns;
	spare = conns ? realloc(s->spare, cap * sizeof(*spare)) : NULL;
	if (spare)
		s->spare = spare;
	touched = spare ? realloc(s->touched, cap * sizeof(*touched)) : NULL;
	if (touched)
		s->touched = touched;
	heap = touched ? realloc(s->heap, cap * sizeof(*heap)) : NULL;
	if (heap)
		s->heap = heap;
	struct tcb **hash = heap ? calloc(cap, sizeof(*hash)) : NULL;
	if (!hash)
		return -1;
	/* the new slots: spare, the lowest on top (handles are handed out lowest first) */
	for (uint32_t h = cap; h-- > s->cap;) {
		s->conns[h] = NULL;
		s->spare[s->n_spare++] = (int)h;
	}
	free(s->hash);                               /* rehashed: chains stay short */
	s->hash = hash;
	s->cap = cap;
	for (uint32_t h = 0; h < cap; h++)
		if (s->conns[h])
			tcb_hash(s, s->conns[h]);
	return 0;
}

int tcb_table_init(struct stack *s)
{
	if (!s->cfg.max_conns)
		s->cfg.max_conns = STACK_MAX_CONNS;
	if (s->cfg.max_conns > STACK_MAX_CONNS_LIMIT)
		s->cfg.max_conns = STACK_MAX_CONNS_LIMIT;
	s->snd_pool.size = TCP_SNDBUF;
	s->rcv_pool.size = s->cfg.rcvbuf + tcp_rcv_slack(s);
	return tcb_table_resize(s, STACK_TABLE_MIN);
}

void tcb_table_free(struct stack *s)
{
	for (uint32_t h = 0; h < s->cap; h++)
		if (s->conns[h])
			tcb_free(s, s->conns[h]);
	ring_pool_free(&s->snd_pool);
	ring_pool_free(&s->rcv_pool);
	free(s->conns);
	free(s->hash);
	free(s->spare);
	free(s->touched);
	free(s->heap);
}

/* No TCB can be added: max_conns of them live already. */
bool tcb_table_full(const struct stack *s)
{
	return s->n_conns >= s->cfg.max_conns;
}

/* A free slot, the table grown (doubled, up to max_conns) if need be; -1 if none. */
static int tcb_slot(struct stack *s)
{
	uint32_t cap = s->cap * 2 < s->cfg.max_conns ? s->cap * 2 : s->cfg.max_conns;

	if (tcb_table_full(s))
		return -1;
	if (!s->n_spare && (cap <= s->cap || tcb_table_resize(s, cap)))
		return -1;
	return s->spare[--s->n_spare];
}

struct tcb *tcb_lookup(struct stack *s, uint32_t raddr, uint16_t rport, uint16_t lport)
{
	struct tcb *t = s->hash[tcb_bucket(s, raddr, rport, lport)];

	while (t && !(t->raddr == raddr && t->rport == rport && t->lport == lport))
		t = t->hnext;
	if (t)
		tcb_touch(s, t);                     /* the caller may change it */
	return t;
}

struct tcb *tcb_get(const struct stack *s, int h)
{
	if (h < 0 || (uint32_t)h >= s->cap || !s->conns[h] || !s->conns[h]->user_ref)
		return NULL;
	return s->conns[h];
}

/* The call in progress may change this TCB's timers or drain its rings: settle it
 * before the call returns (stack_settle). */
void tcb_touch(struct stack *s, struct tcb *tcb)
{
	if (tcb->touched)
		return;
	if (s->n_touched == s->cap) {                /* slots freed and reused in one call */
		s->touch_overflow = true;
		return;
	}
	tcb->touched = true;
	s->touched[s->n_touched++] = tcb->handle;
}

/* The buffers' sizes (the send queue TCP_SNDBUF, the receive queue rcvbuf and its slack,
 * tcp_rcv_slack): a connection gets them when it is opened by the user or, from a
 * listener, once its handshake completes. Their memory comes later, when data first
 * needs it (tcb_ring_get), so a half-open or idle connection costs only its TCB. 0. */
int tcb_alloc_bufs(const struct stack *s, struct tcb *tcb)
{
	if (tcb->rcv.q.cap)
		return 0;
	ring_init(&tcb->snd.q, s->snd_pool.size);
	ring_init(&tcb->rcv.q, s->rcv_pool.size);
	return 0;
}

static struct ring_pool *tcb_pool(struct stack *s, const struct tcb *tcb, const struct ring *r)
{
	return r == &tcb->snd.q ? &s->snd_pool : &s->rcv_pool;
}

/* Memory for one of the TCB's rings before data goes in; false when out of memory
 * (the caller drops what it had, counted: STAT_DROP_TCP_NOMEM, or -ENOBUFS). */
bool tcb_ring_get(struct stack *s, struct tcb *tcb, struct ring *r)
{
	return ring_take(r, tcb_pool(s, tcb, r));
}

/* Rings drained give their memory back, as does the out-of-order bookkeeping once
 * no piece is held: the receive ring keeps it while a piece waits in its free part. */
void tcb_rings_put(struct stack *s, struct tcb *tcb)
{
	if (!tcb->snd.q.len)
		ring_give(&tcb->snd.q, &s->snd_pool);
	if (!tcb->rcv.n_ooo) {
		tcp_reasm_release(tcb);
		if (!tcb->rcv.q.len)
			ring_give(&tcb->rcv.q, &s->rcv_pool);
	}
}

/* A TCB without buffers, hashed in under its 4-tuple; NULL when the table is full.
 * It is born CLOSED, or for a listener's child LISTEN: a copy of its listener
 * (3.10.7.2), so that the log says LISTEN -> SYN-RECEIVED. */
struct tcb *tcb_new(struct stack *s, enum tcp_state born, uint32_t raddr, uint16_t rport,
		    uint16_t lport)
{
	struct tcb *tcb;
	int h;

	if (tcb_table_full(s) || !(tcb = calloc(1, sizeof(*tcb))))
		return NULL;
	if ((h = tcb_slot(s)) < 0) {
		free(tcb);
		return NULL;
	}
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
	tcb_hash(s, tcb);
	s->conns[h] = tcb;
	s->n_conns++;
	tcb_touch(s, tcb);
	return tcb;
}

static void tcb_unhash(struct stack *s, struct tcb *tcb)
{
	struct tcb **pp = &s->hash[tcb_bucket(s, tcb->raddr, tcb->rport, tcb->lport)];

	while (*pp != tcb)
		pp = &(*pp)->hnext;
	*pp = tcb->hnext;
}

/* The TCB's memory: its buffers (to the pool), its out-of-order bookkeeping, RACK's
 * log, the SACK scoreboard, CUBIC's state, a listener's queues, its timer in the heap,
 * itself. */
void tcb_free(struct stack *s, struct tcb *tcb)
{
	timer_heap_set(s, tcb, UINT64_MAX);
	tcb->snd.q.len = tcb->rcv.q.len = 0;
	ring_give(&tcb->snd.q, &s->snd_pool);
	ring_give(&tcb->rcv.q, &s->rcv_pool);
	tcb->rcv.n_ooo = 0;
	tcp_reasm_release(tcb);
	tcp_rack_free(tcb);                          /* RACK's transmission log, if data was in flight */
	tcp_sack_free(tcb);                          /* the SACK scoreboard, if blocks were held */
	tcp_cubic_free(tcb);                         /* CUBIC's state, if it reduced or grew */
	listener_free(tcb->listen);
	free(tcb);
}

/* Free a TCB once it is CLOSED and no user holds its handle: its slot is spare. */
void tcb_maybe_free(struct stack *s, struct tcb *tcb)
{
	if (tcb->state != TCP_CLOSED || tcb->user_ref)
		return;
	listener_unlink(tcb);
	tcb_unhash(s, tcb);
	s->conns[tcb->handle] = NULL;
	s->spare[s->n_spare++] = tcb->handle;
	s->n_conns--;
	tcb_free(s, tcb);
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

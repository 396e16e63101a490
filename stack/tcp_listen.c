/* tcp_listen.c - a listener's bookkeeping, all in one place (as lwIP's tcp_pcb_listen):
 * the half-open queue (children in SYN-RECEIVED) and the accept queue (children whose
 * handshake completed, oldest first), bounded by listen()'s backlog as Linux bounds
 * them, and when the half-open queue last overflowed: SYN cookies are answered only
 * then, and their ACKs taken only shortly after (as Linux's tcp_synq_no_recent_overflow).
 * A connection table that is full is a full half-open queue too: a SYN that finds no
 * room for a child is answered with a cookie (and counted, STAT_TABLE_FULL) as one
 * that finds the queue full, never dropped in silence.
 * A child is in exactly one queue from its birth until it is accepted or freed.
 * Entry points: listener_new, listener_free, listener_adopt, listener_established,
 * listener_unlink, listener_accept, listener_first_child, listener_synq_full,
 * listener_acceptq_full, listener_overflow, listener_cookies_recent. */
#include <stdlib.h>
#include "tcp_priv.h"

static void childq_append(struct childq *q, struct tcb *c)
{
	c->qnext = NULL;
	if (q->tail)
		q->tail->qnext = c;
	else
		q->head = c;
	q->tail = c;
	q->n++;
}

/* Take c out of q; false if it is not there. */
static bool childq_remove(struct childq *q, struct tcb *c)
{
	struct tcb **pp = &q->head, *prev = NULL;

	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (!*pp)
		return false;
	*pp = c->qnext;
	if (q->tail == c)
		q->tail = prev;
	c->qnext = NULL;
	q->n--;
	return true;
}

/* listen()'s backlog, clamped to 1..TCP_BACKLOG_MAX (Linux's somaxconn). */
struct listener *listener_new(struct stack *s, int backlog)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->backlog = backlog < 1 ? 1 : backlog > TCP_BACKLOG_MAX ? TCP_BACKLOG_MAX : backlog;
	l->stack = s;
	return l;
}

void listener_free(struct listener *l)
{
	free(l);
}

/* The half-open queue is full at `backlog` children (Linux), or when the table has no
 * room for one more; the accept queue past `backlog`. */
bool listener_synq_full(const struct listener *l)
{
	return l->synq.n >= l->backlog || tcb_table_full(l->stack);
}

bool listener_acceptq_full(const struct listener *l) { return l->acceptq.n > l->backlog; }

/* A new child, half-open. */
void listener_adopt(struct listener *l, struct tcb *c)
{
	c->parent = l;
	childq_append(&l->synq, c);
}

/* The child's handshake completed: it waits in the accept queue. */
void listener_established(struct tcb *c)
{
	if (c->parent && childq_remove(&c->parent->synq, c))
		childq_append(&c->parent->acceptq, c);
}

/* The child goes away (freed, or accepted): out of whichever queue holds it. */
void listener_unlink(struct tcb *c)
{
	struct listener *l = c->parent;

	if (!l)
		return;
	if (!childq_remove(&l->synq, c))
		childq_remove(&l->acceptq, c);
	c->parent = NULL;
}

/* The oldest child in the accept queue, now the user's; NULL if none. */
struct tcb *listener_accept(struct listener *l)
{
	struct tcb *c = l->acceptq.head;

	if (c)
		listener_unlink(c);
	return c;
}

/* Any child at all (closing the listener resets them one by one). */
struct tcb *listener_first_child(const struct listener *l)
{
	return l->acceptq.head ? l->acceptq.head : l->synq.head;
}

/* A SYN found the half-open queue (or the table) full and was answered with a cookie. */
void listener_overflow(struct listener *l, uint64_t now)
{
	l->last_overflow = now ? now : 1;
	if (tcb_table_full(l->stack))
		stat_inc(l->stack, STAT_TABLE_FULL);
}

/* May an ACK at this listener be a cookie's? Only shortly after an overflow. */
bool listener_cookies_recent(const struct listener *l, uint64_t now)
{
	return l->last_overflow && now - l->last_overflow <= TCP_COOKIE_RECENT_MS * 1000ull;
}

/* ring.c - a fixed-size byte ring for the send and receive queues. The receive
 * queue also keeps out-of-order data in its free part, past the in-order bytes
 * (ring_write_at), and takes it in once the hole before it is filled (ring_extend).
 * A ring has its size from ring_init, its memory only while it holds data: taken on
 * the first write (ring_take), given back once drained (ring_give), to a pool of
 * spare buffers of its size, so that most connections, idle, hold none.
 * Entry points: ring_init, ring_take, ring_give, ring_write, ring_write_at,
 * ring_extend, ring_read, ring_peek, ring_drop, ring_free, ring_pool_free. */
#include <stdlib.h>
#include <string.h>
#include "tcp_priv.h"

/* A ring of `cap` bytes, empty, no memory yet. */
void ring_init(struct ring *r, uint32_t cap)
{
	*r = (struct ring){ .cap = cap };
}

/* Memory for an empty ring: a spare buffer from the pool (if any, of its size), else
 * a new one. False when there is none to be had. */
bool ring_take(struct ring *r, struct ring_pool *p)
{
	if (r->buf)
		return true;
	if (p && p->free && p->size == r->cap) {
		r->buf = p->free;
		memcpy(&p->free, r->buf, sizeof(p->free));   /* the next one */
		p->n--;
	} else if (!r->cap || !(r->buf = malloc(r->cap))) {
		return false;
	}
	r->head = 0;
	return true;
}

/* A drained ring gives its memory back: to the pool while it keeps fewer than
 * TCP_BUF_POOL, else to the system. It keeps its size. Only when nothing waits in it
 * (no queued bytes, and for a receive queue no out-of-order piece): the caller knows. */
void ring_give(struct ring *r, struct ring_pool *p)
{
	if (!r->buf)
		return;
	if (p && p->size == r->cap && p->n < TCP_BUF_POOL && r->cap >= sizeof(void *)) {
		memcpy(r->buf, &p->free, sizeof(p->free));
		p->free = r->buf;
		p->n++;
	} else {
		free(r->buf);
	}
	r->buf = NULL;
	r->head = r->len = 0;
}

void ring_pool_free(struct ring_pool *p)
{
	while (p->free) {
		void *b = p->free;
		memcpy(&p->free, b, sizeof(p->free));
		free(b);
	}
	p->n = 0;
}

void ring_free(struct ring *r)
{
	free(r->buf);
	*r = (struct ring){ 0 };
}

/* Copy n bytes starting `off` bytes after the head, in at most two pieces. */
void ring_peek(const struct ring *r, uint32_t off, uint8_t *p, uint32_t n)
{
	uint32_t start, first;

	if (n == 0)
		return;                          /* also for a ring without memory */
	start = (r->head + off) % r->cap;
	first = r->cap - start < n ? r->cap - start : n;
	memcpy(p, r->buf + start, first);
	memcpy(p + first, r->buf, n - first);
}

/* Copy n bytes into the free part, `off` bytes past the last queued byte; the
 * queue's length does not change. False, and nothing written, if they do not fit:
 * the caller checks that (an invariant, never a silent loss). */
bool ring_write_at(struct ring *r, uint32_t off, const uint8_t *p, uint32_t n)
{
	uint32_t start, first;

	if ((uint64_t)off + n > r->cap - r->len)
		return false;
	if (n == 0)
		return true;
	if (!ring_take(r, NULL))                 /* the core takes memory before: tcb_ring_get */
		return false;
	start = (uint32_t)(((uint64_t)r->head + r->len + off) % r->cap);
	first = r->cap - start < n ? r->cap - start : n;
	memcpy(r->buf + start, p, first);
	memcpy(r->buf, p + first, n - first);
	return true;
}

/* The next n bytes of the free part become queued data; false (and nothing done)
 * if there are not that many. */
bool ring_extend(struct ring *r, uint32_t n)
{
	if (n > r->cap - r->len)
		return false;
	r->len += n;
	return true;
}

/* As much of p as fits; returns how much that was. */
uint32_t ring_write(struct ring *r, const uint8_t *p, uint32_t n)
{
	if (n > r->cap - r->len)
		n = r->cap - r->len;
	ring_write_at(r, 0, p, n);
	ring_extend(r, n);
	return n;
}

void ring_drop(struct ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	if (n == 0)
		return;                          /* also for a listener's empty rings (cap 0) */
	r->head = (r->head + n) % r->cap;   /* not reset when empty: data may wait past it */
	r->len -= n;
}

uint32_t ring_read(struct ring *r, uint8_t *p, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	ring_peek(r, 0, p, n);
	ring_drop(r, n);
	return n;
}

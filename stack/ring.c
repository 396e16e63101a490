/* ring.c - a fixed-size byte ring for the send and receive queues.
 * Entry points: ring_init, ring_write, ring_read, ring_peek, ring_drop. */
#include <stdlib.h>
#include <string.h>
#include "tcp_priv.h"

int ring_init(struct ring *r, uint32_t cap)
{
	r->buf = malloc(cap);
	r->cap = r->buf ? cap : 0;
	r->head = r->len = 0;
	return r->buf ? 0 : -1;
}

void ring_free(struct ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->len = 0;
}

/* Copy n bytes starting `off` bytes after the head, in at most two pieces. */
void ring_peek(const struct ring *r, uint32_t off, uint8_t *p, uint32_t n)
{
	uint32_t start = (r->head + off) % r->cap;
	uint32_t first = r->cap - start < n ? r->cap - start : n;

	memcpy(p, r->buf + start, first);
	memcpy(p + first, r->buf, n - first);
}

uint32_t ring_write(struct ring *r, const uint8_t *p, uint32_t n)
{
	uint32_t tail, first;

	if (n > r->cap - r->len)
		n = r->cap - r->len;
	tail = (r->head + r->len) % r->cap;
	first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, n - first);
	r->len += n;
	return n;
}

void ring_drop(struct ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	if (n == 0)
		return;                          /* also for a listener's empty rings (cap 0) */
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	if (r->len == 0)
		r->head = 0;
}

uint32_t ring_read(struct ring *r, uint8_t *p, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	ring_peek(r, 0, p, n);
	ring_drop(r, n);
	return n;
}

/* loop.c - the shared event loop (loop.h): the next event of a set of stacks and
 * their impairment queues, and running what is due. No clock and no waiting
 * here: `now` comes in, as in the core. Called by net.c (real time, under its
 * lock) and sim.c (virtual time). */
#include <assert.h>
#include "loop.h"

void loop_add_stack(struct loop *l, struct stack *s)
{
	assert(l->nstacks < LOOP_MAX);
	l->stacks[l->nstacks++] = s;
}

void loop_set_queue(struct loop *l, int i, struct impair *imp, loop_sink_fn sink, void *ctx)
{
	assert(i >= 0 && i < LOOP_MAX);
	l->queues[i].imp = imp;
	l->queues[i].sink = sink;
	l->queues[i].ctx = ctx;
	if (i >= l->nqueues)
		l->nqueues = i + 1;
}

static uint64_t loop_next_timer(const struct loop *l)
{
	uint64_t t = UINT64_MAX;

	for (int i = 0; i < l->nstacks; i++) {
		uint64_t d = stack_next_deadline(l->stacks[i]);
		t = d < t ? d : t;
	}
	return t;
}

struct loop_event loop_next(const struct loop *l)
{
	struct loop_event ev = { .at = UINT64_MAX, .queue = -1 };
	uint64_t timer = loop_next_timer(l);

	for (int i = 0; i < l->nqueues; i++) {
		const struct impair *imp = l->queues[i].imp;
		uint64_t at = imp ? impair_next(imp) : UINT64_MAX;
		if (at < ev.at) {
			ev.at = at;
			ev.queue = i;
		}
	}
	if (timer < ev.at) {
		ev.at = timer;
		ev.queue = -1;
	}
	return ev;
}

void loop_release(struct loop *l, int i, uint64_t now)
{
	struct loop_queue *q = &l->queues[i];
	size_t len;

	if (!q->imp)
		return;
	while ((len = impair_pop(q->imp, now, q->buf, sizeof(q->buf))))
		q->sink(q->ctx, now, q->buf, len);
}

static void loop_poll(struct loop *l, uint64_t now)
{
	for (int i = 0; i < l->nstacks; i++)
		stack_poll(l->stacks[i], now);
}

void loop_run(struct loop *l, struct loop_event ev, uint64_t now)
{
	if (ev.queue >= 0)
		loop_release(l, ev.queue, now);
	else
		loop_poll(l, now);
}

void loop_run_due(struct loop *l, uint64_t now)
{
	for (int i = 0; i < l->nqueues; i++)
		loop_release(l, i, now);
	loop_poll(l, now);
}

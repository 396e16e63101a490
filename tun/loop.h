/* loop.h - the event loop both runtimes share: a set of stacks (their timers)
 * and impairment queues (their release times, impair.h), what is due next
 * among them, and running it. The caller owns the clock and the waiting:
 * net.c reads the real clock and sleeps in ppoll until loop_next; sim.c jumps
 * its virtual clock to each event in turn and also has its wire to deliver.
 * Entry points: loop_add_stack, loop_set_queue, loop_next, loop_run, loop_run_due,
 * loop_release. */
#ifndef TUNTCP_LOOP_H
#define TUNTCP_LOOP_H
#include <stddef.h>
#include <stdint.h>
#include "impair.h"
#include "stack.h"

#define LOOP_MAX 4                 /* stacks, and queues, in one loop */

/* Where a queue's due packets go: the core, the TUN device, the wire. */
typedef void (*loop_sink_fn)(void *ctx, uint64_t now, const uint8_t *pkt, size_t len);

struct loop_queue {
	struct impair *imp;            /* not owned; NULL: none (skipped) */
	loop_sink_fn sink;
	void *ctx;
	/* A packet on its way to the sink. One per queue: a sink may release another
	 * queue (net: in -> the core -> emit -> the out queue -> the device). */
	uint8_t buf[65536];
};

struct loop {
	struct stack *stacks[LOOP_MAX];   /* not owned */
	int nstacks;
	struct loop_queue queues[LOOP_MAX];
	int nqueues;
};

/* The next event: the release of queue `queue`, or the stacks' earliest timer
 * (queue -1); at is UINT64_MAX when there is none. */
struct loop_event {
	uint64_t at;
	int queue;
};

void loop_add_stack(struct loop *l, struct stack *s);
/* Queue i (0 <= i < LOOP_MAX) is imp, releasing into sink; replaces what was there. */
void loop_set_queue(struct loop *l, int i, struct impair *imp, loop_sink_fn sink, void *ctx);
/* The earliest event; at equal times a release comes before the timers, and the
 * lower-numbered queue first. */
struct loop_event loop_next(const struct loop *l);
/* Every packet queue i has due at `now`, to its sink. */
void loop_release(struct loop *l, int i, uint64_t now);
/* Run one event at `now`: every packet its queue has due, or every stack's timers. */
void loop_run(struct loop *l, struct loop_event ev, uint64_t now);
/* Run everything due at `now`: every queue's due packets, then every stack's
 * timers (unconditionally: stack_poll also frees what has closed). For a real
 * clock, where all of it happens at one `now` and the core should see the
 * packets before its timers fire. */
void loop_run_due(struct loop *l, uint64_t now);

#endif

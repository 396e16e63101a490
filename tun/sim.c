/* sim.c - the in-memory wire (sim.h). Packets in flight sit in a queue ordered
 * by delivery time; sim_run_until() alternates between the earliest delivery
 * and the next event of the stacks and their impair queues (loop.c, the loop
 * net.c runs in real time), jumping the virtual clock to each, so every event
 * happens at its own virtual time. */
#include <stdlib.h>
#include <string.h>
#include "loop.h"
#include "sim.h"

_Static_assert(SIM_MAX_STACKS <= LOOP_MAX, "one loop holds every stack and its queue");

struct flight {
	uint64_t at;                   /* delivery time */
	uint64_t order;                /* FIFO among equal times */
	int to;
	size_t len;
	uint8_t *pkt;
};

struct node {
	struct sim *sim;
	int index;
	struct stack *s;
	struct log log;
	char tag[4];
	struct impair *imp;            /* NULL: what it sends goes straight on the wire;
					* else queue `index` in the loop */
};

struct sim {
	uint64_t now, delay, order;
	uint32_t rng;
	struct node nodes[SIM_MAX_STACKS];
	int n;
	struct flight *q;              /* unsorted; small, so a scan finds the earliest */
	size_t qlen, qcap;
	sim_drop_fn drop;
	void *drop_ctx;
	bool logging;
	sim_trace_fn trace;
	void *trace_ctx;
	uint64_t delivered, dropped, notes;
	struct loop loop;              /* every stack, and the impair queues */
};

static uint32_t sim_rand(void *ctx)
{
	struct sim *sim = ((struct node *)ctx)->sim;

	sim->rng ^= sim->rng << 13;
	sim->rng ^= sim->rng >> 17;
	sim->rng ^= sim->rng << 5;
	return sim->rng;
}

static int sim_route(const struct sim *sim, const uint8_t *pkt, size_t len)
{
	uint32_t dst;

	if (len < 20)
		return -1;
	dst = (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 | (uint32_t)pkt[18] << 8 | pkt[19];
	for (int i = 0; i < sim->n; i++)
		if (stack_addr(sim->nodes[i].s) == dst)
			return i;
	return -1;
}

/* A packet stack `from` sent (after its impairments) onto the wire. */
static void sim_wire(struct sim *sim, int from, const uint8_t *pkt, size_t len)
{
	int to = sim_route(sim, pkt, len);
	struct flight *f;

	if (to < 0 || (sim->drop && sim->drop(sim->drop_ctx, from, pkt, len))) {
		sim->dropped++;
		return;
	}
	if (sim->qlen == sim->qcap) {
		sim->qcap = sim->qcap * 2 + 64;
		sim->q = realloc(sim->q, sim->qcap * sizeof(*sim->q));
	}
	f = &sim->q[sim->qlen++];
	f->at = sim->now + sim->delay;
	f->order = sim->order++;
	f->to = to;
	f->len = len;
	f->pkt = malloc(len);
	memcpy(f->pkt, pkt, len);
}

/* An impair queue's sink: what node ctx sent, now due, goes on the wire. */
static void sim_to_wire(void *ctx, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct node *nd = ctx;

	(void)now;                     /* the sim's clock: the loop runs at sim->now */
	sim_wire(nd->sim, nd->index, pkt, len);
}

static void sim_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct node *nd = ctx;

	if (nd->imp)
		impair_offer(nd->imp, nd->sim->now, pkt, len);   /* released by the loop */
	else
		sim_wire(nd->sim, nd->index, pkt, len);
}

static void sim_note(void *ctx, uint64_t now, int level, const char *what,
		     const uint8_t *pkt, size_t len)
{
	struct node *nd = ctx;

	nd->sim->notes++;
	if (nd->sim->logging)
		log_note(&nd->log, now, level, "out", what, pkt, len);
}

static void sim_impair_node(struct sim *sim, int i, const struct impair_conf *c);

static void sim_trace(void *ctx, const struct trace_event *ev)
{
	struct node *nd = ctx;

	if (nd->sim->logging)
		log_trace(&nd->log, ev);
	if (nd->sim->trace)
		nd->sim->trace(nd->sim->trace_ctx, nd->index, ev);
}

struct sim *sim_new(uint32_t seed, uint64_t delay_us)
{
	struct sim *sim = calloc(1, sizeof(*sim));

	sim->rng = seed ? seed : 1;
	sim->delay = delay_us;
	sim->now = 1000000;            /* start at 1 s: 0 means "no timer" in the core */
	return sim;
}

int sim_add(struct sim *sim, const struct stack_config *cfg)
{
	struct node *nd = &sim->nodes[sim->n];
	struct stack_env env = { .ctx = nd, .emit = sim_emit, .rand = sim_rand, .trace = sim_trace };

	if (sim->n == SIM_MAX_STACKS)
		return -1;
	nd->sim = sim;
	nd->index = sim->n;
	nd->tag[0] = (char)('A' + sim->n);
	nd->s = stack_new(cfg, &env);
	loop_add_stack(&sim->loop, nd->s);
	sim->n++;
	for (int i = 0; i < sim->n - 1; i++)
		if (sim->nodes[i].imp) {       /* a wire with impairments: this one too */
			sim_impair_node(sim, nd->index, &(struct impair_conf){ 0 });
			break;
		}
	return nd->index;
}

struct stack *sim_stack(struct sim *sim, int i)
{
	return sim->nodes[i].s;
}

void sim_set_drop(struct sim *sim, sim_drop_fn fn, void *ctx)
{
	sim->drop = fn;
	sim->drop_ctx = ctx;
}

static void sim_impair_node(struct sim *sim, int i, const struct impair_conf *c)
{
	struct impair *link = NULL;
	struct impair_conf salted = *c;

	for (int k = 0; k < sim->n; k++)      /* one wire: one connection table (last-ack) */
		link = k != i && sim->nodes[k].imp ? sim->nodes[k].imp : link;
	salted.seed ^= (uint32_t)i * 0x9e3779b9u;
	impair_free(sim->nodes[i].imp);
	sim->nodes[i].imp = impair_new(&salted, "out", link);
	impair_set_note(sim->nodes[i].imp, sim_note, &sim->nodes[i]);
	loop_set_queue(&sim->loop, i, sim->nodes[i].imp, sim_to_wire, &sim->nodes[i]);
}

/* Every stack then sends through an impair object, perfect ones for the others:
 * a last-ack rule must see the FINs of both sides. */
void sim_set_impair(struct sim *sim, int from, const struct impair_conf *c)
{
	static const struct impair_conf perfect;

	if (from < 0 || from >= sim->n)
		return;
	sim_impair_node(sim, from, c ? c : &perfect);
	for (int i = 0; i < sim->n; i++)
		if (!sim->nodes[i].imp)
			sim_impair_node(sim, i, &perfect);
}

const struct impair_stats *sim_impair_stats(const struct sim *sim, int from)
{
	return from >= 0 && from < sim->n && sim->nodes[from].imp ?
	       impair_stats(sim->nodes[from].imp) : NULL;
}

uint64_t sim_impair_notes(const struct sim *sim) { return sim->notes; }

void sim_set_trace(struct sim *sim, sim_trace_fn fn, void *ctx)
{
	sim->trace = fn;
	sim->trace_ctx = ctx;
}

void sim_set_log(struct sim *sim, FILE *out, int verbose)
{
	sim->logging = out != NULL;
	for (int i = 0; i < sim->n; i++) {
		struct log *l = &sim->nodes[i].log;
		memset(l, 0, sizeof(*l));
		l->out = out;
		l->verbose = verbose;
		l->virtual_time = 1;
		l->tag = sim->nodes[i].tag;
	}
}

uint64_t sim_now(const struct sim *sim) { return sim->now; }
uint64_t sim_delivered(const struct sim *sim) { return sim->delivered; }
uint64_t sim_dropped(const struct sim *sim) { return sim->dropped; }

static size_t sim_earliest(const struct sim *sim)
{
	size_t best = 0;

	for (size_t i = 1; i < sim->qlen; i++)
		if (sim->q[i].at < sim->q[best].at ||
		    (sim->q[i].at == sim->q[best].at && sim->q[i].order < sim->q[best].order))
			best = i;
	return best;
}

/* Deliver the packet in flight q[i]. */
static void sim_deliver(struct sim *sim, size_t i)
{
	struct flight f = sim->q[i];

	sim->q[i] = sim->q[--sim->qlen];
	sim->now = f.at > sim->now ? f.at : sim->now;
	sim->delivered++;
	stack_input(sim->nodes[f.to].s, sim->now, f.pkt, f.len);
	free(f.pkt);
}

/* One event at a time, each at its own time. At equal times a packet on the wire
 * arrives first, then the impair queues release, then the timers fire. */
void sim_run_until(struct sim *sim, uint64_t t)
{
	for (;;) {
		struct loop_event ev = loop_next(&sim->loop);
		size_t i = sim->qlen ? sim_earliest(sim) : 0;
		uint64_t pkt_at = sim->qlen ? sim->q[i].at : UINT64_MAX;

		if (ev.at > t && pkt_at > t)
			break;
		if (pkt_at <= ev.at) {
			sim_deliver(sim, i);
		} else {
			sim->now = ev.at > sim->now ? ev.at : sim->now;
			loop_run(&sim->loop, ev, sim->now);
		}
	}
	sim->now = t > sim->now ? t : sim->now;
}

void sim_run_for(struct sim *sim, uint64_t us)
{
	sim_run_until(sim, sim->now + us);
}

void sim_free(struct sim *sim)
{
	for (size_t i = 0; i < sim->qlen; i++)
		free(sim->q[i].pkt);
	free(sim->q);
	for (int i = 0; i < sim->n; i++) {
		stack_free(sim->nodes[i].s);
		impair_free(sim->nodes[i].imp);
	}
	free(sim);
}

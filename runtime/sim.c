/* sim.c - the in-memory wire (sim.h). Packets in flight sit in a queue ordered
 * by delivery time; sim_run_until() alternates between the earliest delivery
 * and the earliest stack timer, so every event happens at its own virtual time. */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

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
	uint64_t delivered, dropped;
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

static void sim_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct node *nd = ctx;
	struct sim *sim = nd->sim;
	int to = sim_route(sim, pkt, len);
	struct flight *f;

	if (to < 0 || (sim->drop && sim->drop(sim->drop_ctx, nd->index, pkt, len))) {
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
	return sim->n++;
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

static uint64_t sim_next_timer(const struct sim *sim)
{
	uint64_t t = UINT64_MAX;

	for (int i = 0; i < sim->n; i++) {
		uint64_t d = stack_next_deadline(sim->nodes[i].s);
		t = d < t ? d : t;
	}
	return t;
}

void sim_run_until(struct sim *sim, uint64_t t)
{
	for (;;) {
		uint64_t timer = sim_next_timer(sim);
		size_t i = sim->qlen ? sim_earliest(sim) : 0;
		uint64_t pkt_at = sim->qlen ? sim->q[i].at : UINT64_MAX;

		if (timer > t && pkt_at > t)
			break;
		if (pkt_at <= timer) {
			struct flight f = sim->q[i];
			sim->q[i] = sim->q[--sim->qlen];
			sim->now = f.at > sim->now ? f.at : sim->now;
			sim->delivered++;
			stack_input(sim->nodes[f.to].s, sim->now, f.pkt, f.len);
			free(f.pkt);
		} else {
			sim->now = timer > sim->now ? timer : sim->now;
			for (int k = 0; k < sim->n; k++)
				stack_poll(sim->nodes[k].s, sim->now);
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
	for (int i = 0; i < sim->n; i++)
		stack_free(sim->nodes[i].s);
	free(sim);
}

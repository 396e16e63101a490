/* impair.c - the link's impairments (impair.h). impair_offer() decides each
 * packet's fate - targeted rules first, then random loss, corruption,
 * duplication, delay + jitter and reordering - and queues its copies in a heap
 * ordered by (release time, arrival order); impair_pop() hands out the due ones.
 * A reordered packet waits in a one-packet "held" slot for the next packet.
 * The configuration it applies is read from text by impair_rules.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impair.h"
#include "wire.h"

struct entry {
	uint64_t at, order;            /* release time; FIFO among equal times */
	size_t len;
	uint8_t *data;                 /* owned */
};

/* last-ack needs to know, per connection, which sides have sent a FIN. Keyed by
 * the unordered 4-tuple: side 0 is the endpoint that sorts lower. */
struct conn {
	uint32_t addr[2];
	uint16_t port[2];
	bool fin[2];
	bool used;
	uint64_t stamp;                /* least recently used is replaced */
};

struct conns {
	int refs;
	uint64_t clock;
	struct conn t[IMPAIR_CONNS];
};

struct impair {
	struct impair_conf c;
	char dir[8];
	uint64_t rng;
	struct conns *conns;
	uint32_t seen[IMPAIR_MAX_RULES];      /* matches so far, per rule (for #N) */
	struct entry *heap;
	size_t n, cap, bytes;                 /* bytes: queued, held included */
	struct entry held;                    /* a reordered packet waiting */
	int held_copies;                      /* 0: nothing held */
	uint64_t order;
	struct impair_stats st;
	impair_note_fn note;
	void *note_ctx;
};

/* What the rules look at, from the IPv4 and TCP headers. */
struct pinfo {
	bool tcp;
	uint8_t flags;
	size_t dlen;
	uint32_t addr[2];              /* src, dst */
	uint16_t port[2];
};

bool impair_active(const struct impair_conf *c)
{
	return c->loss || c->reorder || c->dup || c->corrupt || c->delay_us || c->jitter_us ||
	       c->nrules;
}

/* ---- text for notes (rules and durations: impair_rules.c) ---- */

/* "5%", "0.5%" */
static void percent_fmt(uint32_t ppm, char *buf, size_t cap)
{
	snprintf(buf, cap, "%g%%", ppm / (double)(IMPAIR_PPM / 100));
}

/* "500 ms", "12.345 ms": how long a packet was held back */
static void wait_fmt(uint64_t us, char *buf, size_t cap)
{
	if (us % 1000 == 0)
		snprintf(buf, cap, "%llu ms", (unsigned long long)(us / 1000));
	else
		snprintf(buf, cap, "%.3f ms", (double)us / 1000);
}

static void note(struct impair *im, uint64_t now, int level, const uint8_t *pkt, size_t len,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void note(struct impair *im, uint64_t now, int level, const uint8_t *pkt, size_t len,
		 const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (!im->note)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	im->note(im->note_ctx, now, level, what, pkt, len);
}

/* ---- randomness: splitmix64, seeded per direction ---- */

static uint64_t rng_next(struct impair *im)
{
	uint64_t z = (im->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(struct impair *im, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	return ppm >= IMPAIR_PPM || rng_next(im) % IMPAIR_PPM < ppm;
}

/* ---- packets and connections ---- */

static void classify(const uint8_t *p, size_t len, struct pinfo *pi)
{
	size_t ihl, tot, doff;
	const uint8_t *t;

	memset(pi, 0, sizeof(*pi));
	if (len < IP_HDR_LEN || p[0] >> 4 != 4 || p[9] != IPPROTO_TCP_)
		return;
	ihl = (size_t)(p[0] & 15) * 4;
	tot = get16(p + 2);
	if (ihl < IP_HDR_LEN || tot > len || tot < ihl + TCP_HDR_LEN)
		return;
	t = p + ihl;
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > tot - ihl)
		return;
	pi->tcp = true;
	pi->flags = t[13];
	pi->dlen = tot - ihl - doff;
	pi->addr[0] = get32(p + 12);
	pi->addr[1] = get32(p + 16);
	pi->port[0] = get16(t);
	pi->port[1] = get16(t + 2);
}

static bool pure_ack(const struct pinfo *pi)
{
	return pi->tcp && (pi->flags & TH_ACK) && !(pi->flags & (TH_SYN | TH_FIN | TH_RST)) &&
	       pi->dlen == 0;
}

/* The packet's sender is side 0 or 1 of its connection. */
static int conn_side(const struct pinfo *pi)
{
	uint64_t src = (uint64_t)pi->addr[0] << 16 | pi->port[0];
	uint64_t dst = (uint64_t)pi->addr[1] << 16 | pi->port[1];

	return src < dst ? 0 : 1;
}

static struct conn *conn_find(struct conns *cs, const struct pinfo *pi, bool create)
{
	int s = conn_side(pi);
	struct conn *victim = &cs->t[0];

	for (int i = 0; i < IMPAIR_CONNS; i++) {
		struct conn *k = &cs->t[i];
		if (k->used && k->addr[s] == pi->addr[0] && k->port[s] == pi->port[0] &&
		    k->addr[!s] == pi->addr[1] && k->port[!s] == pi->port[1]) {
			k->stamp = ++cs->clock;
			return k;
		}
		if (!k->used || (victim->used && k->stamp < victim->stamp))
			victim = k;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->stamp = ++cs->clock;
	victim->addr[s] = pi->addr[0];
	victim->port[s] = pi->port[0];
	victim->addr[!s] = pi->addr[1];
	victim->port[!s] = pi->port[1];
	return victim;
}

static bool is_last_ack(struct impair *im, const struct pinfo *pi)
{
	struct conn *k;
	int s = conn_side(pi);

	if (!pure_ack(pi) || !(k = conn_find(im->conns, pi, false)))
		return false;
	return k->fin[s] && k->fin[!s];
}

/* Runs after the decision: a FIN counts once it is on its way, not dropped. */
static void conn_update(struct impair *im, const struct pinfo *pi, bool sent)
{
	struct conn *k;

	if (!pi->tcp)
		return;
	if ((pi->flags & (TH_SYN | TH_ACK)) == TH_SYN && (k = conn_find(im->conns, pi, false)))
		k->fin[0] = k->fin[1] = false;        /* a new connection on an old 4-tuple */
	if (sent && (pi->flags & TH_FIN))
		conn_find(im->conns, pi, true)->fin[conn_side(pi)] = true;
}

static bool rule_matches(enum impair_match m, const struct pinfo *pi, bool last_ack)
{
	switch (m) {
	case IMPAIR_M_SYN: return pi->tcp && (pi->flags & (TH_SYN | TH_ACK)) == TH_SYN;
	case IMPAIR_M_SYN_ACK: return pi->tcp && (pi->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
	case IMPAIR_M_DATA: return pi->tcp && pi->dlen > 0;
	case IMPAIR_M_ACK: return pure_ack(pi);
	case IMPAIR_M_FIN: return pi->tcp && (pi->flags & TH_FIN);
	case IMPAIR_M_RST: return pi->tcp && (pi->flags & TH_RST);
	case IMPAIR_M_ANY: return true;
	case IMPAIR_M_LAST_ACK: return last_ack;
	}
	return false;
}

/* Every rule counts its own matches; the first whose turn it is acts. -1: none. */
static int rule_pick(struct impair *im, const struct pinfo *pi)
{
	bool last_ack = is_last_ack(im, pi);
	int pick = -1;

	for (int i = 0; i < im->c.nrules; i++) {
		const struct impair_rule *r = &im->c.rules[i];
		if (!rule_matches(r->match, pi, last_ack))
			continue;
		im->seen[i]++;
		if (pick < 0 && (r->nth == 0 || r->nth == im->seen[i]))
			pick = i;
	}
	return pick;
}

/* ---- the queue: a binary heap on (at, order) ---- */

static bool before(const struct entry *a, const struct entry *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void heap_push(struct impair *im, struct entry e)
{
	size_t i;

	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->heap = realloc(im->heap, im->cap * sizeof(*im->heap));
		if (!im->heap)
			abort();
	}
	for (i = im->n++; i > 0 && before(&e, &im->heap[(i - 1) / 2]); i = (i - 1) / 2)
		im->heap[i] = im->heap[(i - 1) / 2];
	im->heap[i] = e;
}

static struct entry heap_pop(struct impair *im)
{
	struct entry top = im->heap[0], last = im->heap[--im->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < im->n) {
		if (c + 1 < im->n && before(&im->heap[c + 1], &im->heap[c]))
			c++;
		if (!before(&im->heap[c], &last))
			break;
		im->heap[i] = im->heap[c];
		i = c;
	}
	if (im->n)
		im->heap[i] = last;
	return top;
}

static uint8_t *copy_of(const uint8_t *pkt, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	memcpy(p, pkt, len);
	return p;
}

/* copies of data (owned) at `at`, each its own allocation */
static void push_copies(struct impair *im, uint64_t at, uint8_t *data, size_t len, int copies)
{
	for (int i = 0; i < copies; i++) {
		struct entry e = { .at = at, .order = im->order++, .len = len,
				   .data = i ? copy_of(data, len) : data };
		heap_push(im, e);
	}
}

/* The held packet goes right after the packet just queued at `at`, or at its
 * own deadline if that comes first. */
static void release_held(struct impair *im, uint64_t at)
{
	if (!im->held_copies)
		return;
	push_copies(im, at < im->held.at ? at : im->held.at, im->held.data, im->held.len,
		    im->held_copies);
	im->held_copies = 0;
}

static size_t queued(const struct impair *im)
{
	return im->n + (size_t)im->held_copies;
}

/* Queue copies of data (owned); `hold`: reordered, wait for the next packet. */
static void enqueue(struct impair *im, uint64_t now, uint64_t at, uint8_t *data, size_t len,
		    int copies, bool hold)
{
	if (queued(im) + (size_t)copies > IMPAIR_QUEUE_MAX ||
	    im->bytes + len * (size_t)copies > IMPAIR_QUEUE_BYTES) {
		im->st.overflow++;
		note(im, now, 1, data, len, "drop (queue full: %zu packets, %zu bytes)", queued(im),
		     im->bytes);
		free(data);
		return;
	}
	im->bytes += len * (size_t)copies;
	if (hold) {
		im->held = (struct entry){ .at = at + IMPAIR_REORDER_HOLD, .len = len, .data = data };
		im->held_copies = copies;
		return;
	}
	push_copies(im, at, data, len, copies);
	release_held(im, at);
}

/* ---- decisions ---- */

static bool apply_rule(struct impair *im, uint64_t now, const uint8_t *pkt, size_t len, int i)
{
	const struct impair_rule *r = &im->c.rules[i];
	char rule[48], wait[24];
	uint8_t *data;
	size_t bit;

	impair_rule_format(r, rule, sizeof(rule));
	switch (r->action) {
	case IMPAIR_DROP:
		im->st.dropped++;
		note(im, now, 0, pkt, len, "drop (rule %s:%s)", im->dir, rule);
		return false;
	case IMPAIR_DELAY:
		im->st.delayed++;
		wait_fmt(r->delay_us, wait, sizeof(wait));
		note(im, now, 0, pkt, len, "delay %s (rule %s:%s)", wait, im->dir, rule);
		enqueue(im, now, now + r->delay_us, copy_of(pkt, len), len, 1, false);
		return true;
	case IMPAIR_DUP:
		im->st.duplicated++;
		note(im, now, 0, pkt, len, "dup (rule %s:%s)", im->dir, rule);
		enqueue(im, now, now + im->c.delay_us, copy_of(pkt, len), len, 2, false);
		return true;
	case IMPAIR_CORRUPT:
		break;
	}
	im->st.corrupted++;
	data = copy_of(pkt, len);
	bit = len ? (size_t)(rng_next(im) % (len * 8)) : 0;
	if (len)
		data[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	note(im, now, 0, pkt, len, "corrupt (bit %zu) (rule %s:%s)", bit, im->dir, rule);
	enqueue(im, now, now + im->c.delay_us, data, len, 1, false);
	return true;
}

static uint64_t random_delay(struct impair *im, uint64_t now, const uint8_t *pkt, size_t len)
{
	uint64_t d = im->c.delay_us;
	char wait[24], base[16], jit[16];

	if (im->c.jitter_us)
		d += rng_next(im) % ((uint64_t)im->c.jitter_us + 1);
	if (d == 0)
		return 0;
	im->st.delayed++;
	wait_fmt(d, wait, sizeof(wait));
	impair_duration_format(im->c.delay_us, base, sizeof(base));
	impair_duration_format(im->c.jitter_us, jit, sizeof(jit));
	note(im, now, 1, pkt, len, "delay %s (delay %s, jitter %s)", wait, base, jit);
	return d;
}

static bool apply_random(struct impair *im, uint64_t now, const uint8_t *pkt, size_t len)
{
	char pct[24];
	uint8_t *data;
	int copies = 1;
	uint64_t at;
	bool hold;

	if (chance(im, im->c.loss)) {
		im->st.dropped++;
		percent_fmt(im->c.loss, pct, sizeof(pct));
		note(im, now, 1, pkt, len, "drop (loss %s)", pct);
		return false;
	}
	data = copy_of(pkt, len);
	if (len && chance(im, im->c.corrupt)) {
		size_t bit = (size_t)(rng_next(im) % (len * 8));
		data[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		im->st.corrupted++;
		percent_fmt(im->c.corrupt, pct, sizeof(pct));
		note(im, now, 1, pkt, len, "corrupt (bit %zu) (corrupt %s)", bit, pct);
	}
	if (chance(im, im->c.dup)) {
		copies = 2;
		im->st.duplicated++;
		percent_fmt(im->c.dup, pct, sizeof(pct));
		note(im, now, 1, pkt, len, "dup (dup %s)", pct);
	}
	at = now + random_delay(im, now, pkt, len);
	hold = !im->held_copies && chance(im, im->c.reorder);   /* one held at a time */
	if (hold) {
		im->st.reordered++;
		percent_fmt(im->c.reorder, pct, sizeof(pct));
		note(im, now, 1, pkt, len, "reorder (held for the next packet) (reorder %s)", pct);
	}
	enqueue(im, now, at, data, len, copies, hold);
	return true;
}

void impair_offer(struct impair *im, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct pinfo pi;
	int rule;
	bool sent;

	classify(pkt, len, &pi);
	im->st.offered++;
	rule = rule_pick(im, &pi);
	sent = rule >= 0 ? apply_rule(im, now, pkt, len, rule) : apply_random(im, now, pkt, len);
	conn_update(im, &pi, sent);
}

uint64_t impair_next(const struct impair *im)
{
	uint64_t t = im->n ? im->heap[0].at : UINT64_MAX;

	return im->held_copies && im->held.at < t ? im->held.at : t;
}

size_t impair_pop(struct impair *im, uint64_t now, uint8_t *buf, size_t cap)
{
	struct entry e;
	size_t n;

	if (im->held_copies && im->held.at <= now)
		release_held(im, UINT64_MAX);        /* nothing came: the hold timed out */
	if (!im->n || im->heap[0].at > now)
		return 0;
	e = heap_pop(im);
	im->bytes -= e.len;
	n = e.len < cap ? e.len : cap;
	memcpy(buf, e.data, n);
	free(e.data);
	return n;
}

/* ---- the object ---- */

struct impair *impair_new(const struct impair_conf *c, const char *dir, struct impair *link)
{
	struct impair *im = calloc(1, sizeof(*im));
	uint32_t h = 2166136261u;          /* FNV-1a of dir: the two directions differ */

	if (!im)
		return NULL;
	im->c = *c;
	snprintf(im->dir, sizeof(im->dir), "%s", dir ? dir : "");
	for (const char *p = im->dir; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	im->rng = (uint64_t)h << 32 | c->seed;
	im->conns = link ? link->conns : calloc(1, sizeof(*im->conns));
	if (!im->conns) {
		free(im);
		return NULL;
	}
	im->conns->refs++;
	return im;
}

void impair_free(struct impair *im)
{
	if (!im)
		return;
	while (im->n)
		free(heap_pop(im).data);
	if (im->held_copies)
		free(im->held.data);
	if (--im->conns->refs == 0)
		free(im->conns);
	free(im->heap);
	free(im);
}

void impair_set_note(struct impair *im, impair_note_fn fn, void *ctx)
{
	im->note = fn;
	im->note_ctx = ctx;
}

const struct impair_stats *impair_stats(const struct impair *im) { return &im->st; }
const char *impair_dir(const struct impair *im) { return im->dir; }

/* corebench.c - the core alone: two stacks in one process, joined by an in-memory
 * wire that costs nothing (a packet is copied once into a queue and handed to the
 * other stack), A sending BYTES to B as fast as the core lets it. No TUN, no threads,
 * no clock in the loop except the virtual one (1 us per round; when nothing moves it
 * jumps to the next timer). Only the public contract is used (stack.h, tcp.h), as a
 * runtime would: input a batch, poll each stack, let the apps send and receive.
 *
 *   corebench [--bytes N] [--reps R]
 *
 * Prints per repetition one line:
 *   segs=S bytes=N ns_per_seg=X gbps_per_cpu=G pkts_a=.. pkts_b=..
 * with X the thread's CPU time in transfer() divided by the data segments A sent
 * (both ends' work counted: B's input and ACKs too). Under valgrind --tool=callgrind
 * --collect-atstart=no --toggle-collect=transfer the instructions of transfer() are
 * the core's (and the wire's copy) per data segment times S. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stack.h"
#include "tcp.h"

#define QCAP 4096
#define PKT_MAX 2048

struct q {
	size_t head, tail;         /* tail - head packets waiting */
	uint16_t len[QCAP];
	uint8_t pkt[QCAP][PKT_MAX];
};

struct end {
	struct stack *s;
	struct q *to;              /* the other end's input queue */
	uint64_t data_segs, pkts;
	uint32_t rng;
};

static void emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct end *e = ctx;
	struct q *q = e->to;

	e->pkts++;
	if (len >= 40 && (pkt[0] & 0x0f) == 5) {
		size_t tot = (size_t)(pkt[2] << 8 | pkt[3]), thl = (size_t)(pkt[32] >> 4) * 4;
		if (tot > 20 + thl)
			e->data_segs++;
	}
	if (q->tail - q->head == QCAP || len > PKT_MAX)
		return;                  /* the wire drops it (never seen: windows are small) */
	memcpy(q->pkt[q->tail % QCAP], pkt, len);
	q->len[q->tail % QCAP] = (uint16_t)len;
	q->tail++;
}

static uint32_t rnd(void *ctx)
{
	struct end *e = ctx;
	e->rng = e->rng * 1664525u + 1013904223u;
	return e->rng;
}

static struct end a, b;
static struct q qa, qb;            /* qa: what A receives */
static uint64_t now = 1000000;
static uint8_t appbuf[256 * 1024], sink[256 * 1024];

static int deliver(struct end *e, struct q *q)
{
	int n = 0;
	while (q->head != q->tail) {
		stack_input(e->s, now, q->pkt[q->head % QCAP], q->len[q->head % QCAP]);
		q->head++;
		n++;
	}
	return n;
}

static void step(void)
{
	int moved = deliver(&b, &qb) + deliver(&a, &qa);
	stack_poll(a.s, now);
	stack_poll(b.s, now);
	if (!moved && qa.head == qa.tail && qb.head == qb.tail) {
		uint64_t da = stack_next_deadline(a.s), db = stack_next_deadline(b.s);
		uint64_t d = da < db ? da : db;
		if (d != UINT64_MAX && d > now)
			now = d;         /* nothing in flight: on to the next timer */
	}
	now++;
}

/* The measured part: `bytes` from A's handle ha to B's hb. Not static, not inlined:
 * callgrind's --toggle-collect names it. */
__attribute__((noinline)) unsigned long long transfer(int ha, int hb, unsigned long long bytes)
{
	unsigned long long sent = 0, got = 0;
	long idle = 0;

	while (got < bytes) {
		if (sent < bytes) {
			size_t n = bytes - sent < sizeof(appbuf) ? (size_t)(bytes - sent) : sizeof(appbuf);
			ssize_t w = tcp_send(a.s, now, ha, appbuf, n);
			if (w > 0)
				sent += (unsigned long long)w;
		}
		ssize_t r;
		int any = 0;
		while ((r = tcp_recv(b.s, now, hb, sink, sizeof(sink))) > 0)
			got += (unsigned long long)r, any = 1;
		idle = any ? 0 : idle + 1;
		if (idle > 10000000)
			break;               /* stuck: reported as a short transfer */
		step();
	}
	return got;
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K') v <<= 10, end++;
	else if (*end == 'M') v <<= 20, end++;
	else if (*end == 'G') v <<= 30, end++;
	if (end == s || *end) {
		fprintf(stderr, "corebench: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run(unsigned long long bytes)
{
	struct stack_config ca = { .addr = 0x0a000001, .prefix = 24 }, cb = { .addr = 0x0a000002, .prefix = 24 };
	struct stack_env ea = { .ctx = &a, .emit = emit, .rand = rnd },
			 eb = { .ctx = &b, .emit = emit, .rand = rnd };
	int l, ha, hb = -EAGAIN;

	memset(&qa, 0, sizeof(qa));
	memset(&qb, 0, sizeof(qb));
	a = (struct end){ .to = &qb, .rng = 1 };
	b = (struct end){ .to = &qa, .rng = 2 };
	a.s = stack_new(&ca, &ea);
	b.s = stack_new(&cb, &eb);
	if (!a.s || !b.s)
		return fprintf(stderr, "corebench: stack_new failed\n"), 1;
	l = tcp_listen(b.s, now, 9000, 16);
	ha = tcp_connect(a.s, now, cb.addr, 9000, 0);
	if (l < 0 || ha < 0)
		return fprintf(stderr, "corebench: listen %d, connect %d\n", l, ha), 1;
	for (int i = 0; i < 1000 && hb < 0; i++) {
		step();
		hb = tcp_accept(b.s, l);
	}
	if (hb < 0)
		return fprintf(stderr, "corebench: no connection (%d)\n", hb), 1;
	for (size_t i = 0; i < sizeof(appbuf); i++)
		appbuf[i] = (uint8_t)(i * 131 + 7);
	a.data_segs = a.pkts = b.pkts = 0;
	double t0 = cpu_s();
	unsigned long long got = transfer(ha, hb, bytes);
	double t = cpu_s() - t0;
	if (got < bytes)
		return fprintf(stderr, "corebench: stuck after %llu of %llu bytes\n", got, bytes), 1;
	double ns = t * 1e9 / (double)a.data_segs;
	printf("segs=%llu bytes=%llu ns_per_seg=%.1f gbps_per_cpu=%.3f pkts_a=%llu pkts_b=%llu\n",
	       (unsigned long long)a.data_segs, got, ns, (double)got * 8 / t / 1e9,
	       (unsigned long long)a.pkts, (unsigned long long)b.pkts);
	fflush(stdout);
	tcp_close(a.s, now, ha);
	tcp_close(b.s, now, hb);
	stack_free(a.s);
	stack_free(b.s);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long bytes = 64ull << 20;
	long reps = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bytes = number(argv[++i]);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = (long)number(argv[++i]);
		else {
			fputs("usage: corebench [--bytes N] [--reps R]\n"
			      "Two stacks in memory, A sends N bytes to B; per repetition the CPU time\n"
			      "per data segment (tests/bench/README.md).\n",
			      strcmp(argv[i], "--help") ? stderr : stdout);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	for (long r = 0; r < reps; r++)
		if (run(bytes))
			return 1;
	return 0;
}

/* impair.h - the link's own impairments (the kernel here has no netem): one
 * object per direction loses, delays, jitters, reorders, duplicates and corrupts
 * packets at random (seeded, so a run can be repeated), and targeted rules pick
 * one packet ("drop the first FIN"). No clock and no I/O: time comes in as `now`
 * (us), packets are offered and later popped when due. Two files: impair_rules.c
 * reads the configuration from text (options, rules) and writes it back;
 * impair.c is the engine that applies it.
 * Entry points: impair_option, impair_add_rule (impair_rules.c); impair_active,
 * impair_new, impair_offer, impair_next, impair_pop, impair_free (impair.c). */
#ifndef TUNTCP_IMPAIR_H
#define TUNTCP_IMPAIR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPAIR_MAX_RULES    16
#define IMPAIR_REORDER_HOLD 10000            /* us a reordered packet waits for a next one */
#define IMPAIR_QUEUE_MAX    4096             /* packets queued per direction ... */
#define IMPAIR_QUEUE_BYTES  (16u << 20)      /* ... and bytes; beyond either: dropped */
#define IMPAIR_MAX_DURATION 60000000u        /* us: longest --delay, --jitter, delay= */
#define IMPAIR_CONNS        64               /* connections tracked for last-ack */
#define IMPAIR_PPM          1000000u         /* probabilities are parts per million */

enum impair_match {
	IMPAIR_M_SYN,        /* SYN without ACK */
	IMPAIR_M_SYN_ACK,    /* SYN with ACK */
	IMPAIR_M_DATA,       /* carries payload */
	IMPAIR_M_ACK,        /* pure ACK: no data, no SYN/FIN/RST */
	IMPAIR_M_FIN,        /* FIN bit */
	IMPAIR_M_RST,        /* RST bit */
	IMPAIR_M_ANY,        /* every packet, ICMP too */
	IMPAIR_M_LAST_ACK,   /* pure ACK after a FIN each way: the final ACK of a close */
};

enum impair_action { IMPAIR_DROP, IMPAIR_DELAY, IMPAIR_DUP, IMPAIR_CORRUPT };

/* MATCH[#N]:ACTION; nth 0 means every matching packet, N the Nth (1-based).
 * Each rule counts every packet its MATCH fits; of the rules whose turn it is,
 * the first acts, and that packet gets no random impairment. The fixed delay
 * (delay_us, no jitter) still applies to it, except that delay= replaces it. */
struct impair_rule {
	enum impair_match match;
	uint32_t nth;
	enum impair_action action;
	uint32_t delay_us;               /* IMPAIR_DELAY */
};

/* One direction's configuration; all zero is a perfect link. */
struct impair_conf {
	uint32_t loss, reorder, dup, corrupt;   /* ppm */
	uint32_t delay_us, jitter_us;           /* each packet waits delay + U[0, jitter] */
	uint32_t seed;
	int nrules;
	struct impair_rule rules[IMPAIR_MAX_RULES];
};

/* Counters: what this direction did. */
struct impair_stats {
	uint64_t offered, dropped, delayed, duplicated, corrupted, reordered;
	uint64_t overflow;                      /* dropped because the queue was full */
};

/* ---- the configuration as text (impair_rules.c) ---- */

/* A command-line option, by its long name without "--": loss, delay, jitter,
 * reorder, dup, corrupt (value "[in:|out:]VALUE", both directions without a
 * prefix), impair-seed (N), rule ("in:RULE" or "out:RULE"). 0, or -1 with a
 * one-line message in err. */
int impair_option(struct impair_conf *in, struct impair_conf *out, const char *name,
		  const char *arg, char *err, size_t errlen);
/* Append "MATCH[#N]:ACTION", e.g. "fin#1:drop", "last-ack:delay=500ms". */
int impair_add_rule(struct impair_conf *c, const char *text, char *err, size_t errlen);
/* "5%" or "0.5" -> ppm; "500ms", "2s", "1500us", "20" (ms) -> us. 0 or -1. */
int impair_parse_percent(const char *s, uint32_t *ppm);
int impair_parse_duration(const char *s, uint32_t *us);
/* "fin#1:drop", "last-ack:delay=500ms": the rule as impair_add_rule reads it. */
void impair_rule_format(const struct impair_rule *r, char *buf, size_t cap);
/* "500ms", "2s", "1500us": a duration as impair_parse_duration reads it. */
void impair_duration_format(uint32_t us, char *buf, size_t cap);

/* ---- the engine (impair.c) ---- */

/* Does c impair anything? If not, a runtime can skip the queue entirely. */
bool impair_active(const struct impair_conf *c);

struct impair;
/* One direction. `dir` ("in", "out") names it in notes and salts the seed, so
 * the two directions draw different numbers from one seed. `link`: NULL, or an
 * object for another direction of the same link, whose connection table (for
 * last-ack) this one then shares; either may be freed first. */
struct impair *impair_new(const struct impair_conf *c, const char *dir, struct impair *link);
void impair_free(struct impair *im);

/* Every impaired packet is reported: `what` says what happened and why, e.g.
 * "drop (loss 5%)", "delay 500 ms (rule out:last-ack:delay=500ms)"; `level` is
 * 0 for targeted rules (always worth showing) and 1 for random ones (-v). pkt is
 * the packet as offered. */
typedef void (*impair_note_fn)(void *ctx, uint64_t now, int level, const char *what,
			       const uint8_t *pkt, size_t len);
void impair_set_note(struct impair *im, impair_note_fn fn, void *ctx);

/* A packet enters this direction at `now`: decide its fate, queue its copies. */
void impair_offer(struct impair *im, uint64_t now, const uint8_t *pkt, size_t len);
/* Earliest release time of a queued packet, UINT64_MAX if none. */
uint64_t impair_next(const struct impair *im);
/* One packet due at `now` (release order, FIFO among equal times) copied into
 * buf (truncated to cap); its length, or 0 if none is due. */
size_t impair_pop(struct impair *im, uint64_t now, uint8_t *buf, size_t cap);
const struct impair_stats *impair_stats(const struct impair *im);
const char *impair_dir(const struct impair *im);

#endif

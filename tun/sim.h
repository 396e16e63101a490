/* sim.h - an in-memory wire between stacks, with a virtual clock: the link that
 * tests and lab replays use instead of TUN. Deterministic (seeded), no root, no
 * threads; a 60 s TIME-WAIT passes instantly. Packets are delivered after a
 * fixed one-way delay; a drop callback can make any chosen packet disappear, and
 * each stack's packets can pass through an impair object (impair.h) first.
 * Entry points: sim_new, sim_add, sim_set_impair, sim_run_until, sim_run_for, sim_free. */
#ifndef TUNTCP_SIM_H
#define TUNTCP_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "impair.h"
#include "log.h"
#include "stack.h"

#define SIM_MAX_STACKS 4

struct sim;
/* Return true to drop the packet that stack `from` just sent. */
typedef bool (*sim_drop_fn)(void *ctx, int from, const uint8_t *pkt, size_t len);

struct sim *sim_new(uint32_t seed, uint64_t delay_us);
void sim_free(struct sim *sim);
/* A stack on the wire, configured by cfg (its addr, msl, isn). Returns its index. */
int sim_add(struct sim *sim, const struct stack_config *cfg);
struct stack *sim_stack(struct sim *sim, int i);
void sim_set_drop(struct sim *sim, sim_drop_fn fn, void *ctx);
/* The packets stack `from` sends are impaired by c (its direction is "out"; the
 * seed is salted with `from`) before the wire's fixed delay and drop callback.
 * Release times are events in virtual time. Notes go to the sim log (at -v for
 * random ones) and are counted. The other stacks get a perfect one (so last-ack
 * rules see every FIN); NULL makes this one perfect. Replacing one loses the
 * packets it held. */
void sim_set_impair(struct sim *sim, int from, const struct impair_conf *c);
const struct impair_stats *sim_impair_stats(const struct sim *sim, int from);  /* NULL: none */
uint64_t sim_impair_notes(const struct sim *sim);
/* Every trace event of every stack, with the stack's index (for tests). */
typedef void (*sim_trace_fn)(void *ctx, int stack, const struct trace_event *ev);
void sim_set_trace(struct sim *sim, sim_trace_fn fn, void *ctx);
/* Send every stack's trace to a log (tagged "A", "B", ...), in virtual time. */
void sim_set_log(struct sim *sim, FILE *out, int verbose);
uint64_t sim_now(const struct sim *sim);
/* Deliver packets and fire timers in time order up to `t` (absolute, us). */
void sim_run_until(struct sim *sim, uint64_t t);
void sim_run_for(struct sim *sim, uint64_t us);
uint64_t sim_delivered(const struct sim *sim);
uint64_t sim_dropped(const struct sim *sim);

#endif

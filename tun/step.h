/* step.h - step mode for the classroom (--step): before each state transition, and
 * with --step=segment before each TCP segment it sends or takes, the stack says what
 * it is about to do and waits until it is let go: Enter on its terminal (when stdin is
 * one and the program is in the foreground) or `tuntcp-ss step`. `c` Enter or
 * `tuntcp-ss continue` ends step mode. The waiting thread is inside the core with the
 * runtime's lock held, so the whole stack waits with it (the kernel does not); while
 * it waits, step_hold lets another thread read the stack without that lock.
 * Entry points: step_init, step_free, step_on, step_pause, step_release, step_end,
 * step_hold, step_unhold, step_waiting, step_next. */
#ifndef TUNTCP_STEP_H
#define TUNTCP_STEP_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum step_mode { STEP_OFF, STEP_STATE, STEP_SEGMENT };

/* Called by the waiting thread when `fd` (signals) is readable: true ends step mode. */
typedef bool (*step_intr_fn)(void *ctx);

struct step {
	pthread_mutex_t mu;
	pthread_cond_t cond;           /* paused, released, readers gone */
	atomic_int mode;               /* enum step_mode; read without mu on every event */
	bool paused;                   /* a thread waits in step_pause ... */
	bool go;                       /* ... and may go on */
	int readers;                   /* step_hold: the waiter stays until they are done */
	unsigned long seq;             /* pauses so far */
	char what[512];                /* what the stack is about to do */
	int evfd;                      /* wakes the waiter: released, ended */
	bool tty;                      /* stdin is a terminal: Enter releases too */
	int intr_fd;                   /* also polled while waiting, -1 for none */
	step_intr_fn on_intr;
	void *ctx;
};

/* 0, or -errno (the eventfd). */
int step_init(struct step *st, enum step_mode mode, int intr_fd, step_intr_fn on_intr, void *ctx);
void step_free(struct step *st);
/* The mode now (STEP_OFF once ended). */
enum step_mode step_on(struct step *st);
/* Say `what` on stderr and wait until released or step mode ends. */
void step_pause(struct step *st, const char *what);
/* Let the waiting thread go; `what` gets what it was about to do. The pause's number
 * (> 0, for step_next), -EINVAL when step mode is off, -EAGAIN when nothing waits (the
 * stack is running: it waits for the network or its app). */
long step_release(struct step *st, char *what, size_t cap);
/* Step mode off for good, and whoever waits goes on. -EINVAL if it was off. */
int step_end(struct step *st);
/* True when a thread waits in step_pause: it keeps waiting until step_unhold, so the
 * caller may read what that thread's lock guards. */
bool step_hold(struct step *st);
void step_unhold(struct step *st);
/* True (and `what`) when a thread waits in step_pause and has not been released. */
bool step_waiting(struct step *st, char *what, size_t cap);
/* After a release: wait up to timeout_ms for the next pause. 1 (and `what`) when the
 * stack waits again, 0 when it still runs, -EINVAL when step mode is off. */
int step_next(struct step *st, unsigned long after_seq, int timeout_ms, char *what, size_t cap);

#endif

/* step.c - step mode (step.h): one thread at a time waits in step_pause (the one inside
 * the core: only the holder of the runtime's lock gets there), polling an eventfd
 * (step_release, step_end from the control thread or net_stop), the terminal (Enter)
 * and the signal fd; the control thread reads the stack meanwhile under step_hold. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "step.h"

int step_init(struct step *st, enum step_mode mode, int intr_fd, step_intr_fn on_intr, void *ctx)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cond, NULL);
	atomic_init(&st->mode, (int)mode);
	st->tty = isatty(STDIN_FILENO);
	st->intr_fd = intr_fd;
	st->on_intr = on_intr;
	st->ctx = ctx;
	st->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return st->evfd < 0 ? -errno : 0;
}

void step_free(struct step *st)
{
	if (st->evfd >= 0)
		close(st->evfd);
	st->evfd = -1;
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->mu);
}

enum step_mode step_on(struct step *st)
{
	return (enum step_mode)atomic_load(&st->mode);
}

static void step_wake(struct step *st)      /* with mu held */
{
	uint64_t one = 1;

	pthread_cond_broadcast(&st->cond);
	if (write(st->evfd, &one, sizeof(one)) < 0)
		return;                                 /* the counter is full: it is awake anyway */
}

/* The terminal releases only a program in its foreground: a background one that read
 * it would be stopped (SIGTTIN), and the line belongs to the shell. */
static bool step_tty_usable(const struct step *st)
{
	return st->tty && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/* A line typed on the terminal: "c..." ends step mode, anything else releases. */
static void step_tty_line(struct step *st)
{
	char line[64];
	ssize_t n = read(STDIN_FILENO, line, sizeof(line));

	if (n > 0 && line[0] == 'c') {
		step_end(st);
		return;
	}
	pthread_mutex_lock(&st->mu);
	if (n <= 0)
		st->tty = false;                        /* end of input: only tuntcp-ss now */
	else
		st->go = true;
	pthread_mutex_unlock(&st->mu);
}

/* One wait for something to happen (1 s at most: a terminal may come to the foreground). */
static void step_poll(struct step *st)
{
	struct pollfd pfd[3] = { { .fd = st->evfd, .events = POLLIN },
				 { .fd = st->intr_fd, .events = POLLIN },
				 { .fd = step_tty_usable(st) ? STDIN_FILENO : -1, .events = POLLIN } };
	uint64_t drain;

	if (poll(pfd, 3, 1000) <= 0)
		return;
	if ((pfd[0].revents & POLLIN) && read(st->evfd, &drain, sizeof(drain)) < 0)
		drain = 0;
	if ((pfd[1].revents & POLLIN) && st->on_intr && st->on_intr(st->ctx))
		step_end(st);
	if (pfd[2].revents & (POLLIN | POLLHUP))
		step_tty_line(st);
}

static bool step_may_go(struct step *st)
{
	bool go;

	pthread_mutex_lock(&st->mu);
	go = st->go || step_on(st) == STEP_OFF;
	pthread_mutex_unlock(&st->mu);
	return go;
}

static void step_say(struct step *st, unsigned long seq, const char *what)
{
	fprintf(stderr, "step %lu: next: %s\n", seq, what);
	if (seq == 1)
		fprintf(stderr, "step: the stack waits: %s`tuntcp-ss step` lets it go on, %s"
			"`tuntcp-ss continue` ends step mode\n", st->tty ? "Enter or " : "",
			st->tty ? "c Enter or " : "");
}

void step_pause(struct step *st, const char *what)
{
	unsigned long seq;

	if (step_on(st) == STEP_OFF)
		return;
	pthread_mutex_lock(&st->mu);
	st->paused = true;
	st->go = false;
	seq = ++st->seq;
	snprintf(st->what, sizeof(st->what), "%s", what);
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
	step_say(st, seq, what);
	while (!step_may_go(st))
		step_poll(st);
	pthread_mutex_lock(&st->mu);
	while (st->readers)                         /* a reader looks at the stack: not yet */
		pthread_cond_wait(&st->cond, &st->mu);
	st->paused = false;
	pthread_mutex_unlock(&st->mu);
}

long step_release(struct step *st, char *what, size_t cap)
{
	long r;

	pthread_mutex_lock(&st->mu);
	if (step_on(st) == STEP_OFF) {
		r = -EINVAL;
	} else if (!st->paused || st->go) {
		r = -EAGAIN;
	} else {
		st->go = true;
		snprintf(what, cap, "%s", st->what);
		r = (long)st->seq;
		step_wake(st);
	}
	pthread_mutex_unlock(&st->mu);
	return r;
}

int step_end(struct step *st)
{
	int was;

	pthread_mutex_lock(&st->mu);
	was = atomic_exchange(&st->mode, STEP_OFF);
	step_wake(st);
	pthread_mutex_unlock(&st->mu);
	return was == STEP_OFF ? -EINVAL : 0;
}

bool step_hold(struct step *st)
{
	bool held;

	pthread_mutex_lock(&st->mu);
	held = st->paused;
	st->readers += held;
	pthread_mutex_unlock(&st->mu);
	return held;
}

void step_unhold(struct step *st)
{
	pthread_mutex_lock(&st->mu);
	st->readers--;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
}

bool step_waiting(struct step *st, char *what, size_t cap)
{
	bool w;

	pthread_mutex_lock(&st->mu);
	w = st->paused && !st->go && step_on(st) != STEP_OFF;
	if (w)
		snprintf(what, cap, "%s", st->what);
	pthread_mutex_unlock(&st->mu);
	return w;
}

int step_next(struct step *st, unsigned long after_seq, int timeout_ms, char *what, size_t cap)
{
	for (int waited = 0;; waited += 5) {
		pthread_mutex_lock(&st->mu);
		bool again = st->paused && !st->go && st->seq > after_seq;
		if (again)
			snprintf(what, cap, "%s", st->what);
		pthread_mutex_unlock(&st->mu);
		if (step_on(st) == STEP_OFF)
			return -EINVAL;
		if (again)
			return 1;
		if (waited >= timeout_ms)
			return 0;
		usleep(5000);
	}
}

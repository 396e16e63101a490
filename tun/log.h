/* log.h - where trace events go: the transition log (one line per state change,
 * tcpdump's time format, so `sort -m` merges it with a capture; or one JSON object a
 * line), -v packet lines, and a capture file written by the stack itself (capture.h). Entry points: log_open, log_trace,
 * log_note, log_flush, log_close. */
#ifndef TUNTCP_LOG_H
#define TUNTCP_LOG_H
#include <stdint.h>
#include <stdio.h>
#include "capture.h"
#include "trace.h"

#define LOG_ENDED 16   /* summary lines kept for --stats */

struct log {
	FILE *out;             /* the transition log (stderr by default) */
	struct capture *cap;   /* NULL: no capture file */
	int verbose;           /* 1: segments, drops and timers too; 2: user calls too */
	int json;              /* JSON lines instead of text */
	int virtual_time;      /* stamp events with base + ev->now instead of the wall clock */
	uint64_t base;         /* wall-clock us at virtual time 0 */
	const char *tag;       /* prefix for every line (sim: which stack), may be NULL */
	char ended[LOG_ENDED][512];   /* the summary lines of the last connections that ended */
	unsigned n_ended;             /* how many ended in all (the last LOG_ENDED are kept) */
};

struct log_config {
	const char *log_path;  /* NULL: stderr */
	const char *pcap_path; /* NULL: no capture */
	int verbose;
	int json;              /* one JSON object a line instead of text */
	int classic_pcap;      /* pcap instead of pcapng (which carries comments) */
};

/* Opens the log and the capture. 0 or -errno. */
int log_open(struct log *l, const struct log_config *c);
void log_trace(void *ctx, const struct trace_event *ev);   /* a stack_env.trace */
/* What the link's impairment did to a packet (impair.h), when the log's verbosity
 * is at least verbose_needed: "... impair out: drop (loss 5%) IP 10.0.0.2.1234 > ..." */
void log_note(struct log *l, uint64_t now, int verbose_needed, const char *dir,
	      const char *what, const uint8_t *pkt, size_t len);
void log_flush(struct log *l);
/* The summary lines of the connections that ended last (for --stats). */
void log_print_ended(const struct log *l, FILE *f);
void log_close(struct log *l);

/* "19:10:39.758393": tcpdump's default format, local time */
void log_time(uint64_t wall_us, char buf[16]);
uint64_t wall_clock_us(void);

#endif

/* log.c - the trace sink: formats events (stack/trace.c) with a time stamp as text or
 * JSON lines, and hands packets, the transitions they caused, retransmissions and
 * impairments to the capture file (capture.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"

uint64_t wall_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void log_time(uint64_t wall_us, char buf[16])
{
	time_t t = (time_t)(wall_us / 1000000);
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, 16, "%02d:%02d:%02d.%06u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(wall_us % 1000000));
}

int log_open(struct log *l, const struct log_config *c)
{
	memset(l, 0, sizeof(*l));
	l->verbose = c->verbose;
	l->json = c->json;
	l->out = stderr;
	if (c->log_path && !(l->out = fopen(c->log_path, "w")))
		return -errno;
	if (c->log_path)                   /* flushed by log_flush: per batch, not per line */
		setvbuf(l->out, NULL, _IOFBF, 1 << 16);
	if (c->pcap_path) {
		int err;
		if (!(l->cap = malloc(sizeof(*l->cap))))
			return -ENOMEM;
		if ((err = capture_open(l->cap, c->pcap_path, !c->classic_pcap))) {
			free(l->cap);
			l->cap = NULL;
			return err;
		}
	}
	return 0;
}

/* What the capture gets of an event: packets, with a comment on a retransmission;
 * the transitions a received packet caused, as its comment. */
static void log_capture(struct log *l, uint64_t wall, const struct trace_event *ev)
{
	char text[320];

	if (ev->kind == TRACE_SEG_IN || ev->kind == TRACE_SEG_OUT) {
		if (ev->rexmt > 0)
			snprintf(text, sizeof(text), "retransmission %d, RTO %u ms", ev->rexmt,
				 ev->rto_ms);
		else
			snprintf(text, sizeof(text), "%s", ev->rexmt ? "fast retransmission" : "");
		capture_packet(l->cap, wall, ev->now, ev->kind == TRACE_SEG_IN ? CAPTURE_IN :
			       CAPTURE_OUT, ev->pkt, ev->len, text[0] ? text : NULL);
	} else if (ev->kind == TRACE_STATE) {
		snprintf(text, sizeof(text), "%s -> %s (%s) [%s]", tcp_state_name(ev->from),
			 tcp_state_name(ev->to), ev->cause, ev->rfc);
		capture_comment(l->cap, ev->now, text);
	}
}

static int log_wants(const struct log *l, enum trace_kind k)
{
	switch (k) {
	case TRACE_STATE:
	case TRACE_SUMMARY: return 1;
	case TRACE_USER: return l->verbose >= 2;
	default: return l->verbose >= 1;
	}
}

void log_trace(void *ctx, const struct trace_event *ev)
{
	struct log *l = ctx;
	uint64_t wall = l->virtual_time ? l->base + ev->now : wall_clock_us();
	char ts[16], line[1024];
	const char *dir = ev->kind == TRACE_SEG_IN ? "in  " : ev->kind == TRACE_SEG_OUT ? "out " : "";

	if (l->cap)
		log_capture(l, wall, ev);
	if (ev->kind == TRACE_SUMMARY)
		trace_format(ev, l->ended[l->n_ended++ % LOG_ENDED], sizeof(l->ended[0]));
	if (!l->out || !log_wants(l, ev->kind))
		return;
	log_time(wall, ts);
	if (l->json) {
		trace_format_json(ev, ts, wall, line, sizeof(line));
		fprintf(l->out, "%s\n", line);
		return;
	}
	trace_format(ev, line, sizeof(line));
	fprintf(l->out, "%s %s%s%s%s\n", ts, l->tag ? l->tag : "", l->tag ? " " : "", dir, line);
}

void log_note(struct log *l, uint64_t now, int verbose_needed, const char *dir,
	      const char *what, const uint8_t *pkt, size_t len)
{
	uint64_t wall = l->virtual_time ? l->base + now : wall_clock_us();
	char ts[16], text[1024];

	if (l->cap)
		capture_impair(l->cap, wall, strcmp(dir, "in") ? CAPTURE_OUT : CAPTURE_IN, what, pkt, len);
	if (!l->out || l->verbose < verbose_needed)
		return;
	log_time(wall, ts);
	if (l->json) {
		trace_format_json_impair(ts, wall, dir, what, pkt, len, text, sizeof(text));
		fprintf(l->out, "%s\n", text);
		return;
	}
	trace_format_packet(pkt, len, text, sizeof(text));
	fprintf(l->out, "%s %s%simpair %s: %s %s\n", ts, l->tag ? l->tag : "", l->tag ? " " : "",
		dir, what, text);
}

void log_print_ended(const struct log *l, FILE *f)
{
	unsigned n = l->n_ended < LOG_ENDED ? l->n_ended : LOG_ENDED;

	if (!l->n_ended)
		return;
	fprintf(f, "connections that ended: %u%s\n", l->n_ended,
		l->n_ended > n ? " (the last ones:)" : "");
	for (unsigned i = l->n_ended - n; i < l->n_ended; i++)
		fprintf(f, "  %s\n", l->ended[i % LOG_ENDED]);
}

void log_flush(struct log *l)
{
	if (l->out)
		fflush(l->out);
	if (l->cap)
		capture_flush(l->cap);
}

void log_close(struct log *l)
{
	log_flush(l);
	if (l->out && l->out != stderr)
		fclose(l->out);
	if (l->cap)
		capture_close(l->cap);
	free(l->cap);
	l->cap = NULL;
	l->out = NULL;
}

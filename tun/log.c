/* log.c - the trace sink: formats events (stack/trace.c) with a time stamp, writes
 * the log and the pcap file (LINKTYPE_RAW: packets start at the IPv4 header). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "log.h"

#define LINKTYPE_RAW 101

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

static void pcap_put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }   /* host order */
static void pcap_put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

static void pcap_header(FILE *f)
{
	pcap_put32(f, 0xa1b2c3d4);   /* magic, microsecond time stamps */
	pcap_put16(f, 2);
	pcap_put16(f, 4);
	pcap_put32(f, 0);            /* time zone */
	pcap_put32(f, 0);            /* accuracy */
	pcap_put32(f, 65535);        /* snap length */
	pcap_put32(f, LINKTYPE_RAW);
}

static void pcap_record(FILE *f, uint64_t wall_us, const uint8_t *pkt, size_t len)
{
	pcap_put32(f, (uint32_t)(wall_us / 1000000));
	pcap_put32(f, (uint32_t)(wall_us % 1000000));
	pcap_put32(f, (uint32_t)len);
	pcap_put32(f, (uint32_t)len);
	fwrite(pkt, 1, len, f);
}

int log_open(struct log *l, const struct log_config *c)
{
	memset(l, 0, sizeof(*l));
	l->verbose = c->verbose;
	l->json = c->json;
	l->pcapng = !c->classic_pcap;
	l->out = stderr;
	if (c->log_path && !(l->out = fopen(c->log_path, "w")))
		return -errno;
	if (c->log_path)
		setvbuf(l->out, NULL, _IOLBF, 0);
	if (c->pcap_path) {
		if (!(l->pcap = fopen(c->pcap_path, "wb")))
			return -errno;
		pcap_header(l->pcap);
	}
	return 0;
}

static int log_wants(const struct log *l, enum trace_kind k)
{
	switch (k) {
	case TRACE_STATE: return 1;
	case TRACE_USER: return l->verbose >= 2;
	default: return l->verbose >= 1;
	}
}

void log_trace(void *ctx, const struct trace_event *ev)
{
	struct log *l = ctx;
	uint64_t wall = l->virtual_time ? l->base + ev->now : wall_clock_us();
	char ts[16], line[512];
	const char *dir = ev->kind == TRACE_SEG_IN ? "in  " : ev->kind == TRACE_SEG_OUT ? "out " : "";

	if (l->pcap && (ev->kind == TRACE_SEG_IN || ev->kind == TRACE_SEG_OUT))
		pcap_record(l->pcap, wall, ev->pkt, ev->len);
	if (!l->out || !log_wants(l, ev->kind))
		return;
	log_time(wall, ts);
	trace_format(ev, line, sizeof(line));
	fprintf(l->out, "%s %s%s%s%s\n", ts, l->tag ? l->tag : "", l->tag ? " " : "", dir, line);
}

void log_note(struct log *l, uint64_t now, int verbose_needed, const char *dir,
	      const char *what, const uint8_t *pkt, size_t len)
{
	uint64_t wall = l->virtual_time ? l->base + now : wall_clock_us();
	char ts[16], text[256];

	if (!l->out || l->verbose < verbose_needed)
		return;
	log_time(wall, ts);
	trace_format_packet(pkt, len, text, sizeof(text));
	fprintf(l->out, "%s %s%simpair %s: %s %s\n", ts, l->tag ? l->tag : "", l->tag ? " " : "",
		dir, what, text);
}

void log_flush(struct log *l)
{
	if (l->out)
		fflush(l->out);
	if (l->pcap)
		fflush(l->pcap);
}

void log_close(struct log *l)
{
	log_flush(l);
	if (l->out && l->out != stderr)
		fclose(l->out);
	if (l->pcap)
		fclose(l->pcap);
	l->out = l->pcap = NULL;
}

/* ladder - draws every TCP connection of a capture as a ladder diagram in the style of
 * RFC 793's figures 7-14: the two ends side by side, each segment an arrow between them,
 * each end's state after it sent or received that segment.
 *   build/ladder FILE.pcap [--log FILE]... [--abs] [--svg OUT.svg] [--time-scale]
 * The parts, in the order of this file:
 *   capture   classic pcap and pcapng (raw IPv4, Ethernet, Linux cooked SLL and SLL2)
 *             into TCP segments, with pcapng's packet comments
 *   logs      the stack's transition lines, kernel-states' "kernel" lines, and the
 *             impairment layer's notes
 *   rows      one connection per 4-tuple, one row per segment; notes matched to their
 *             segment (or a row made for a segment the capture never saw)
 *   states    logged transitions placed on rows; a side without a log gets states
 *             inferred from its segments (RFC 9293 3.10)
 *   text, svg the two drawings
 * Entry point: main. A damaged capture is an error (exit 1), never a crash. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "seq.h"
#include "tcp.h"
#include "wire.h"

#define FILE_MAX       (1024u << 20)   /* a capture larger than 1 GiB is refused */
#define RECORD_MAX     (256u << 10)    /* one packet record, at most (tcpdump's snaplen) */
#define NOTE_MAX       256             /* the notes beside one arrow */
#define CAUSE_MAX      64
#define ERR_MAX        256
#define NEAR_US        20000           /* a note and its packet: within 20 ms */
#define CAUSED_US      200000          /* a transition 200 ms after its segment: a timer's */
#define SAME_US        1000            /* one segment's transitions: at most 1 ms apart */
#define DAY_US         (86400 * (int64_t)1000000)
#define STATE_W        12              /* strlen("SYN-RECEIVED") */

/* ==== the pieces ==== */

struct ep { uint32_t addr; uint16_t port; };

struct segment {                     /* one TCP segment, host order */
	int64_t t;                       /* us since the epoch (UTC) */
	struct ep src, dst;
	uint32_t seq, ack, len;          /* len: bytes of data */
	uint8_t flags;                   /* TH_* */
};

struct pkt { struct segment s; char *comment; size_t order; };   /* comment: pcapng's */
struct packets { struct pkt *p; size_t n, cap, other; };   /* other: not TCP over IPv4 */

enum source { SRC_NONE, SRC_TUNTCP, SRC_KERNEL, SRC_LOG };
enum kind { K_RECV, K_SEND, K_EVENT };           /* what made a transition happen */

struct trans {                       /* "10.0.0.2:1234 > 10.0.0.1:53326 LISTEN -> ..." */
	int64_t t;
	struct ep local, remote;
	enum tcp_state from, to;
	char cause[CAUSE_MAX];           /* "rcvd SYN", "CLOSE", "" for the kernel */
	enum source src;
	int conn, side;                  /* where it belongs: -1 if no connection */
	int row_id;                      /* the row it is drawn on */
	enum kind kind;
	size_t order;                    /* in the logs: ties in time keep it */
};

enum action { ACT_OTHER, ACT_DROP, ACT_DUP, ACT_DELAY, ACT_CORRUPT };
struct note {                        /* "impair in: drop (rule ...) IP 10.0.0.1.38206 > ..." */
	int64_t t;
	char text[160];                  /* up to " IP " */
	enum action act;
	int64_t delay;                   /* ACT_DELAY: for how long, us */
	struct segment s;
	bool has_seq;                    /* tcpdump prints no seq on a pure ACK */
};

struct logs { struct trans *tr; size_t ntr, captr; struct note *no; size_t nno, capno; };

enum row_kind { ROW_SEG, ROW_EVENT };
enum { RANK_CAPTURED, RANK_NOTED, RANK_EVENT };  /* order of rows with equal times */

struct row {
	int id, rank, order;
	int64_t t;
	enum row_kind kind;
	int from;                        /* the sending side, 0 (A) or 1 (B); an event's side */
	struct segment s;
	bool dropped;                    /* the impairment layer dropped or corrupted it */
	char note[NOTE_MAX];
	int st[2];                       /* each side's state after this row */
	char cause[2][CAUSE_MAX];        /* a user call or timer that changed it here */
};

struct side {
	struct ep ep;
	enum source src;                 /* where its states come from */
	bool then_inferred;              /* the log stops early: inferred after that */
	bool has_base;
	uint32_t base;
	int init;                        /* state before the first row */
};
struct conn {
	struct side side[2];             /* 0: TCP A, the end that sent the first SYN */
	struct row *rows;
	size_t nrows, cap;
	int next_id;
	bool ended;                      /* a FIN or RST went by: a new SYN is a new connection */
	bool has_isn[2];
	uint32_t isn[2];
};
struct ladder { struct conn *c; size_t n, cap; };

struct opts {
	const char *capture, *svg;
	const char **logs;
	int nlogs;
	bool abs, time_scale;
};

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* Room for one more of n elements; out of memory ends the program (status 1). */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t nc = *cap ? *cap * 2 : 16;
	void *q;

	if (n < *cap)
		return p;
	if (!(q = realloc(p, nc * size))) {
		fputs("ladder: out of memory\n", stderr);
		exit(1);
	}
	*cap = nc;
	return q;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fputs("ladder: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static bool ep_eq(struct ep a, struct ep b) { return a.addr == b.addr && a.port == b.port; }

static char *ep_fmt(struct ep e, char buf[24])
{
	snprintf(buf, 24, "%u.%u.%u.%u:%u", e.addr >> 24, e.addr >> 16 & 255, e.addr >> 8 & 255,
		 e.addr & 255, e.port);
	return buf;
}

/* Sequence space a segment takes: its data, and one each for SYN and FIN. */
static uint32_t seg_space(const struct segment *s)
{
	return s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
}

/* Text from a file, for a terminal or an SVG: printable ASCII, at most cap - 1 bytes. */
static void text_copy(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[i] = 0;
}

/* ==== capture: classic pcap and pcapng into segments ==== */

static uint16_t rd16(const uint8_t *p, bool be) { return be ? get16(p) : (uint16_t)(p[1] << 8 | p[0]); }
static uint32_t rd32(const uint8_t *p, bool be)
{
	return be ? get32(p) : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

enum { LINK_NULL = 0, LINK_ETHERNET = 1, LINK_RAW_BSD = 12, LINK_RAW_OLD = 14, LINK_RAW = 101,
       LINK_LOOP = 108, LINK_SLL = 113, LINK_IPV4 = 228, LINK_SLL2 = 276 };

static bool link_supported(uint32_t link)
{
	switch (link) {
	case LINK_NULL: case LINK_ETHERNET: case LINK_RAW_BSD: case LINK_RAW_OLD: case LINK_RAW:
	case LINK_LOOP: case LINK_SLL: case LINK_IPV4: case LINK_SLL2:
		return true;
	default:
		return false;
	}
}

/* Where the IPv4 packet starts in a frame of this link type, or -1 if it is not IPv4. */
static long link_ip_offset(uint32_t link, const uint8_t *p, size_t n)
{
	size_t off = 12;

	switch (link) {
	case LINK_ETHERNET:                 /* ethertype after the two addresses, VLAN tags skipped */
		while (n >= off + 2 && (get16(p + off) == 0x8100 || get16(p + off) == 0x88a8))
			off += 4;
		return n >= off + 2 && get16(p + off) == 0x0800 ? (long)off + 2 : -1;
	case LINK_SLL:                      /* 16 bytes, the protocol last */
		return n >= 16 && get16(p + 14) == 0x0800 ? 16 : -1;
	case LINK_SLL2:                     /* 20 bytes, the protocol first */
		return n >= 20 && get16(p) == 0x0800 ? 20 : -1;
	case LINK_NULL: case LINK_LOOP:     /* 4 bytes of address family, AF_INET is 2 */
		return n >= 4 && (rd32(p, false) == 2 || rd32(p, true) == 2) ? 4 : -1;
	default:                            /* raw IP */
		return 0;
	}
}

/* An IPv4 packet carrying a TCP segment (not a fragment) into s; false for anything
 * else. Checksums are not checked: offloading leaves them wrong in many captures, and a
 * snap length may cut the data off: the lengths come from the headers. */
static bool ip_tcp_decode(const uint8_t *p, size_t n, struct segment *s)
{
	size_t ihl, tot, doff;
	const uint8_t *t;

	if (n < 20 || p[0] >> 4 != 4 || p[9] != IPPROTO_TCP_ || (get16(p + 6) & 0x3fff))
		return false;
	ihl = (size_t)(p[0] & 15) * 4;
	tot = get16(p + 2) ? get16(p + 2) : n;     /* 0: a segmentation-offload giant */
	if (ihl < 20 || n < ihl + 20 || tot < ihl + 20)
		return false;
	t = p + ihl;
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || tot < ihl + doff)
		return false;
	s->src = (struct ep){ get32(p + 12), get16(t) };
	s->dst = (struct ep){ get32(p + 16), get16(t + 2) };
	s->seq = get32(t + 4);
	s->ack = get32(t + 8);
	s->flags = t[13];
	s->len = (uint32_t)(tot - ihl - doff);
	return true;
}

static void packets_add(struct packets *cap, uint32_t link, int64_t t, const uint8_t *p,
			size_t n, const uint8_t *comment, size_t clen)
{
	long off = link_ip_offset(link, p, n);
	struct pkt *k;

	cap->p = grow(cap->p, &cap->cap, cap->n, sizeof(*cap->p));
	k = &cap->p[cap->n];
	if (off < 0 || !ip_tcp_decode(p + off, n - (size_t)off, &k->s)) {
		cap->other++;                   /* not drawn */
		return;
	}
	k->s.t = t;
	k->order = cap->n;
	k->comment = NULL;
	if (comment && clen && (k->comment = malloc(clen + 1)))
		text_copy(k->comment, clen + 1, comment, clen);
	cap->n++;
}

/* Classic pcap: a 24-byte header (magic a1b2c3d4, or a1b23c4d for nanoseconds, in the
 * writer's byte order), then records of 16 bytes and the packet. */
static int pcap_read(struct packets *cap, const uint8_t *b, size_t n, char *err)
{
	uint32_t m = rd32(b, false), link;
	bool be = m == 0xd4c3b2a1 || m == 0x4d3cb2a1, nano = m == 0xa1b23c4d || m == 0x4d3cb2a1;
	size_t off = 24, i = 1;

	if (n < 24)
		return fail(err, "truncated: %zu bytes, a pcap header has 24", n);
	if (!link_supported(link = rd32(b + 20, be) & 0xffff))
		return fail(err, "link type %u is not supported (raw IP, Ethernet, Linux SLL/SLL2)", link);
	for (; off < n; i++) {
		uint32_t sec, frac, incl;

		if (n - off < 16)
			return fail(err, "truncated: record %zu at byte %zu has %zu of its 16 header bytes",
				    i, off, n - off);
		sec = rd32(b + off, be), frac = rd32(b + off + 4, be), incl = rd32(b + off + 8, be);
		if (incl > RECORD_MAX || frac >= (nano ? 1000000000u : 1000000u))
			return fail(err, "damaged: record %zu at byte %zu (length %u, fraction %u)",
				    i, off, incl, frac);
		if (incl > n - off - 16)
			return fail(err, "truncated: record %zu at byte %zu needs %u bytes, %zu left",
				    i, off, incl, n - off - 16);
		packets_add(cap, link, (int64_t)sec * 1000000 + (nano ? frac / 1000 : frac),
			    b + off + 16, incl, NULL, 0);
		off += 16 + (size_t)incl;
	}
	return 0;
}

/* pcapng (draft-ietf-opsawg-pcapng): blocks of type, length, body, length again. */
enum { NG_SHB = 0x0a0d0d0a, NG_IDB = 1, NG_OPB = 2, NG_EPB = 6, NG_BOM = 0x1a2b3c4d };
enum { OPT_END = 0, OPT_COMMENT = 1, IF_TSRESOL = 9, IF_TSOFFSET = 14 };

struct ng_if { uint32_t link; uint64_t units; int64_t offset_s; };   /* units: ticks a second */
struct ng { bool be; struct ng_if *ifs; size_t nifs, cap; };

/* The option `code` in the options area p[0..n): 1 and its value, 0 if absent, -1 if the
 * area is malformed (an option running past it). */
static int ng_option(const uint8_t *p, size_t n, bool be, unsigned code,
		     const uint8_t **val, size_t *vlen)
{
	while (n >= 4) {
		unsigned c = rd16(p, be);
		size_t len = rd16(p + 2, be), padded = (len + 3) & ~(size_t)3;

		if (c == OPT_END)
			return 0;
		if (padded > n - 4)
			return -1;
		if (c == code) {
			*val = p + 4;
			*vlen = len;
			return 1;
		}
		p += 4 + padded;
		n -= 4 + padded;
	}
	return 0;
}

static bool ng_options_ok(const uint8_t *p, size_t n, bool be)
{
	const uint8_t *v;
	size_t vlen;

	return ng_option(p, n, be, OPT_END, &v, &vlen) == 0;   /* walks them all */
}

/* if_tsresol: 10^-r seconds, or 2^-r with the top bit set; microseconds by default. */
static int ng_units(const uint8_t *opt, size_t n, bool be, uint64_t *units, char *err)
{
	const uint8_t *v;
	size_t vlen;
	int r = ng_option(opt, n, be, IF_TSRESOL, &v, &vlen);
	unsigned e;

	*units = 1000000;
	if (r <= 0)
		return r;
	e = v[0] & 0x7f;
	if (vlen != 1 || (v[0] & 0x80 ? e > 63 : e > 19))
		return fail(err, "damaged: interface time resolution %#x", v[0]);
	for (*units = 1; e; e--)
		*units *= v[0] & 0x80 ? 2 : 10;
	return 0;
}

static int ng_idb(struct ng *ng, const uint8_t *body, size_t n, char *err)
{
	struct ng_if f = { 0 };
	const uint8_t *v;
	size_t vlen;

	if (n < 8)
		return fail(err, "damaged: interface description block of %zu bytes", n);
	f.link = rd16(body, ng->be);
	if (!link_supported(f.link))
		return fail(err, "interface %zu: link type %u is not supported", ng->nifs, f.link);
	if (!ng_options_ok(body + 8, n - 8, ng->be) ||
	    ng_units(body + 8, n - 8, ng->be, &f.units, err) < 0)
		return fail(err, "damaged: options of interface %zu", ng->nifs);
	if (ng_option(body + 8, n - 8, ng->be, IF_TSOFFSET, &v, &vlen) == 1 && vlen == 8)
		f.offset_s = (int64_t)((uint64_t)rd32(v + (ng->be ? 0 : 4), ng->be) << 32 |
				       rd32(v + (ng->be ? 4 : 0), ng->be));
	ng->ifs = grow(ng->ifs, &ng->cap, ng->nifs, sizeof(*ng->ifs));
	ng->ifs[ng->nifs++] = f;
	return 0;
}

/* A time stamp of `units` ticks a second as us since the epoch. */
static int ng_time(const struct ng_if *f, uint32_t hi, uint32_t lo, int64_t *t, char *err)
{
	uint64_t ts = (uint64_t)hi << 32 | lo, sec = ts / f->units, frac = ts % f->units;

	if (sec > (uint64_t)1 << 40)
		return fail(err, "damaged: time stamp %" PRIu64 " s", sec);
	*t = ((int64_t)sec + f->offset_s) * 1000000 +
	     (int64_t)((long double)frac * 1000000 / (long double)f->units);
	return 0;
}

/* Enhanced (6) and obsolete (2) packet blocks: the packet, its time, its comment. */
static int ng_packet(struct ng *ng, struct packets *cap, uint32_t type, const uint8_t *body,
		     size_t n, char *err)
{
	bool epb = type == NG_EPB;
	uint32_t ifid = epb ? rd32(body, ng->be) : rd16(body, ng->be), caplen;
	const uint8_t *c = NULL;
	size_t clen = 0, padded;
	int64_t t = 0;

	if (n < 20)
		return fail(err, "damaged: packet block of %zu bytes", n);
	caplen = rd32(body + 12, ng->be);
	padded = ((size_t)caplen + 3) & ~(size_t)3;
	if (ifid >= ng->nifs)
		return fail(err, "damaged: a packet on interface %u, which was not described", ifid);
	if (caplen > RECORD_MAX || padded > n - 20)
		return fail(err, "damaged: a packet of %u bytes in a block of %zu", caplen, n);
	if (ng_time(&ng->ifs[ifid], rd32(body + 4, ng->be), rd32(body + 8, ng->be), &t, err) < 0)
		return -1;
	if (!ng_options_ok(body + 20 + padded, n - 20 - padded, ng->be))
		return fail(err, "damaged: the options of a packet block");
	ng_option(body + 20 + padded, n - 20 - padded, ng->be, OPT_COMMENT, &c, &clen);
	packets_add(cap, ng->ifs[ifid].link, t, body + 20, caplen, c, clen);
	return 0;
}

/* One block at b (n bytes left in the file): its length in *len, 0 or -1. */
static int ng_block(struct ng *ng, struct packets *cap, const uint8_t *b, size_t n,
		    size_t *len, char *err)
{
	uint32_t type;

	if (n < 12)
		return fail(err, "truncated: %zu bytes where a block begins", n);
	if (rd32(b, false) == NG_SHB) {             /* a section: its own byte order */
		if (n < 28)
			return fail(err, "truncated: a section header block");
		if (rd32(b + 8, false) != NG_BOM && rd32(b + 8, true) != NG_BOM)
			return fail(err, "damaged: a section header without its byte-order magic");
		ng->be = rd32(b + 8, true) == NG_BOM;
		ng->nifs = 0;
	}
	type = rd32(b, ng->be);
	*len = rd32(b + 4, ng->be);
	if (*len < 12 || *len % 4 || *len > n)
		return fail(err, "%s: a block of type %#x claims %zu bytes, %zu left",
			    *len > n ? "truncated" : "damaged", type, *len, n);
	if (rd32(b + *len - 4, ng->be) != *len)
		return fail(err, "damaged: a block of type %#x whose two lengths differ", type);
	if (type == NG_IDB)
		return ng_idb(ng, b + 8, *len - 12, err);
	if (type == NG_EPB || type == NG_OPB)
		return ng_packet(ng, cap, type, b + 8, *len - 12, err);
	return 0;                                   /* other blocks carry nothing we draw */
}

static int pcapng_read(struct packets *cap, const uint8_t *b, size_t n, char *err)
{
	struct ng ng = { 0 };
	size_t off = 0, len = 0;
	int rc = 0;

	while (off < n && rc == 0) {
		rc = ng_block(&ng, cap, b + off, n - off, &len, err);
		if (rc < 0) {
			size_t e = strlen(err);
			snprintf(err + e, ERR_MAX - e, " (at byte %zu)", off);
		}
		off += len;
	}
	free(ng.ifs);
	return rc;
}

static int file_read(const char *path, uint8_t **buf, size_t *len, char *err)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, r;

	*buf = NULL;
	*len = 0;
	if (!f)
		return fail(err, "cannot open: %s", strerror(errno));
	do {
		*buf = grow(*buf, &cap, *len + 1, 1);
		*len += r = fread(*buf + *len, 1, cap - *len, f);
	} while (r && *len <= FILE_MAX);
	if (ferror(f) || *len > FILE_MAX) {
		fclose(f);
		return fail(err, *len > FILE_MAX ? "larger than 1 GiB" : "cannot read");
	}
	fclose(f);
	return 0;
}

static int pkt_cmp(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->s.t != y->s.t)
		return x->s.t < y->s.t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;   /* ties: the file's order */
}

/* The capture's TCP segments in time order. */
static int packets_read(struct packets *cap, const char *path, char *err)
{
	uint8_t *b;
	size_t n;
	int rc;

	if (file_read(path, &b, &n, err) < 0)
		return -1;
	if (n >= 4 && rd32(b, false) == NG_SHB)
		rc = pcapng_read(cap, b, n, err);
	else if (n >= 4 && (rd32(b, false) == 0xa1b2c3d4 || rd32(b, true) == 0xa1b2c3d4 ||
			    rd32(b, false) == 0xa1b23c4d || rd32(b, true) == 0xa1b23c4d))
		rc = pcap_read(cap, b, n, err);
	else
		rc = fail(err, n < 4 ? "empty or truncated: not a capture" :
			  "not a capture: neither pcap nor pcapng (starts with %02x %02x %02x %02x)",
			  n ? b[0] : 0, n > 1 ? b[1] : 0, n > 2 ? b[2] : 0, n > 3 ? b[3] : 0);
	free(b);
	if (rc == 0 && cap->n)             /* merged captures may be out of order */
		qsort(cap->p, cap->n, sizeof(*cap->p), pkt_cmp);
	return rc;
}

/* ==== logs: transitions and impairment notes ==== */

/* "21:22:11.951243 ": tcpdump's default time (local time of day) as us since midnight,
 * or -1 if the line does not start with one. */
static int64_t tod_parse(const char *s)
{
	static const char shape[] = "dd:dd:dd.dddddd ";
	int64_t v[4] = { 0 };
	int k = 0;

	for (int i = 0; shape[i]; i++) {
		if (shape[i] == 'd' && !isdigit((unsigned char)s[i]))
			return -1;
		if (shape[i] != 'd' && s[i] != shape[i])
			return -1;
		if (shape[i] == 'd')
			v[k] = v[k] * 10 + (s[i] - '0');
		else
			k++;
	}
	if (v[0] > 23 || v[1] > 59 || v[2] > 60)
		return -1;
	return ((v[0] * 60 + v[1]) * 60 + v[2]) * 1000000 + v[3];
}

/* A time of day in the logs as us since the epoch: the day is the capture's (its first
 * packet's, in local time, as tcpdump and the stack print it), or the one before or
 * after when that puts it nearer (a run across midnight). */
struct clock_base { int64_t midnight, first; };

static struct clock_base clock_base(int64_t first)
{
	time_t sec = (time_t)(first / 1000000);
	struct tm tm;

	localtime_r(&sec, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (struct clock_base){ (int64_t)mktime(&tm) * 1000000, first };
}

static int64_t tod_to_time(const struct clock_base *cb, int64_t tod)
{
	int64_t t = cb->midnight + tod;

	if (t - cb->first > DAY_US / 2)
		t -= DAY_US;
	else if (cb->first - t > DAY_US / 2)
		t += DAY_US;
	return t;
}

static int state_parse(const char *name)
{
	for (int i = 0; i < TCP_NSTATES; i++)
		if (!strcmp(name, tcp_state_name((enum tcp_state)i)))
			return i;
	return -1;
}

/* "10.0.0.2:1234" or "10.0.0.2.1234" (tcpdump's), sep telling which; *n: chars read. */
static bool ep_parse(const char *s, char sep, struct ep *e, int *n)
{
	unsigned a[4], port;
	char fmt[32];

	snprintf(fmt, sizeof(fmt), "%%3u.%%3u.%%3u.%%3u%c%%5u%%n", sep);
	*n = 0;
	if (sscanf(s, fmt, &a[0], &a[1], &a[2], &a[3], &port, n) != 5 || !*n ||
	    (a[0] | a[1] | a[2] | a[3]) > 255 || port > 65535)
		return false;
	e->addr = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
	e->port = (uint16_t)port;
	return true;
}

/* "L > R FROM -> TO (cause) ...": a connection's transition as one side saw it. Listener
 * lines ("> *:*"), summaries, timers and the rest do not parse and are skipped. */
static void trans_parse(struct logs *lg, const char *p, int64_t t, enum source src)
{
	struct trans tr = { .t = t, .src = src, .conn = -1, .row_id = -1, .order = lg->ntr };
	char from[16], to[16];
	int n, from_st, to_st;

	if (!ep_parse(p, ':', &tr.local, &n) || strncmp(p += n, " > ", 3) ||
	    !ep_parse(p += 3, ':', &tr.remote, &n))
		return;
	p += n;
	if (sscanf(p, " %15s -> %15s%n", from, to, &n) != 2 || (from_st = state_parse(from)) < 0 ||
	    (to_st = state_parse(to)) < 0)
		return;
	tr.from = (enum tcp_state)from_st;
	tr.to = (enum tcp_state)to_st;
	p += n;
	while (*p == ' ')
		p++;
	if (*p == '(') {
		size_t k = strcspn(p + 1, ")\n");
		text_copy(tr.cause, sizeof(tr.cause), (const uint8_t *)p + 1, k);
	}
	lg->tr = grow(lg->tr, &lg->captr, lg->ntr, sizeof(*lg->tr));
	lg->tr[lg->ntr++] = tr;
}

static uint8_t flags_parse(const char *f)
{
	static const char letters[] = "FSRP.UEW";      /* tcpdump's, in TH_* bit order */
	uint8_t v = 0;

	for (; *f; f++) {
		const char *l = strchr(letters, *f);
		if (l)
			v |= (uint8_t)(1u << (l - letters));
	}
	return v;
}

/* tcpdump's line of a segment: "IP A.P > B.Q: Flags [P.], seq S:E, ack A, ..., length N" */
static bool note_seg_parse(const char *p, struct note *no)
{
	char fl[12];
	const char *q;
	unsigned a, b;
	int n;

	if (strncmp(p, "IP ", 3) || !ep_parse(p += 3, '.', &no->s.src, &n) ||
	    strncmp(p += n, " > ", 3) || !ep_parse(p += 3, '.', &no->s.dst, &n))
		return false;
	p += n;
	if (sscanf(p, ": Flags [%11[^]]]%n", fl, &n) != 1)
		return false;
	no->s.flags = flags_parse(fl);
	if ((q = strstr(p, ", seq ")) && (n = sscanf(q, ", seq %u:%u", &a, &b)) >= 1) {
		no->has_seq = true;
		no->s.seq = a;
		no->s.len = n == 2 ? b - a : 0;
	}
	if ((q = strstr(p, ", ack ")) && sscanf(q, ", ack %u", &a) == 1)
		no->s.ack = a;
	if ((q = strstr(p, ", length ")) && sscanf(q, ", length %u", &a) == 1)
		no->s.len = a;
	return true;
}

/* "impair in: drop (rule in:data#3:drop) IP ...": what the link did to a segment. */
static void note_parse(struct logs *lg, const char *p, int64_t t)
{
	static const struct { const char *word; enum action act; } acts[] = {
		{ "drop", ACT_DROP }, { "dup", ACT_DUP }, { "delay", ACT_DELAY },
		{ "corrupt", ACT_CORRUPT } };
	struct note no = { .t = t };
	const char *ip = strstr(p, " IP "), *what = p + strcspn(p, ":") + 2;
	double ms;

	if (!ip || what > ip || !note_seg_parse(ip + 1, &no))
		return;
	text_copy(no.text, sizeof(no.text), (const uint8_t *)p, (size_t)(ip - p));
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strncmp(what, acts[i].word, strlen(acts[i].word)))
			no.act = acts[i].act;
	if (no.act == ACT_DELAY && sscanf(what, "delay %lf ms", &ms) == 1 && ms >= 0 && ms < 1e9)
		no.delay = (int64_t)(ms * 1000);
	lg->no = grow(lg->no, &lg->capno, lg->nno, sizeof(*lg->no));
	lg->no[lg->nno++] = no;
}

/* One line: "TIME [TAG] L > R FROM -> TO ..." or "TIME [TAG] impair DIR: ..."; a TAG is a
 * word before them: "kernel" for kernel-states' lines, another for a simulator's stack. */
static void log_line(struct logs *lg, const char *line, const struct clock_base *cb)
{
	int64_t tod = tod_parse(line);
	const char *p = line + 16;
	enum source src = SRC_TUNTCP;

	if (tod < 0)
		return;
	if (!isdigit((unsigned char)*p) && strncmp(p, "impair ", 7)) {
		size_t w = strcspn(p, " ");
		src = w == 6 && !strncmp(p, "kernel", 6) ? SRC_KERNEL : SRC_LOG;
		p += w + (p[w] == ' ');
	}
	if (!strncmp(p, "impair in: ", 11) || !strncmp(p, "impair out: ", 12))
		note_parse(lg, p, tod_to_time(cb, tod));
	else
		trans_parse(lg, p, tod_to_time(cb, tod), src);
}

static int log_read(struct logs *lg, const char *path, const struct clock_base *cb, char *err)
{
	FILE *f = fopen(path, "r");
	char line[2048];

	if (!f)
		return fail(err, "cannot open: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		int c;

		if (n && line[n - 1] != '\n' && !feof(f))   /* too long: skip the rest */
			while ((c = getc(f)) != EOF && c != '\n')
				;
		log_line(lg, line, cb);
	}
	if (ferror(f)) {
		fclose(f);
		return fail(err, "cannot read");
	}
	fclose(f);
	return 0;
}

static int trans_cmp(const void *a, const void *b)
{
	const struct trans *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* ==== rows: connections, their segments, the notes matched to them ==== */

static struct row *row_init(struct row *r, int id, int64_t t, enum row_kind kind, int rank,
			    int order)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->rank = rank;
	r->order = order;
	r->t = t;
	r->kind = kind;
	r->st[0] = r->st[1] = -1;
	return r;
}

static struct row *row_add(struct conn *c, int64_t t, enum row_kind kind, int rank, int order)
{
	c->rows = grow(c->rows, &c->cap, c->nrows, sizeof(*c->rows));
	return row_init(&c->rows[c->nrows++], c->next_id++, t, kind, rank, order);
}

/* Appends "; text" to a row's notes, unless it says that already. */
static void note_add(struct row *r, const char *text)
{
	size_t n = strlen(r->note);

	if (!*text || strstr(r->note, text))
		return;
	snprintf(r->note + n, sizeof(r->note) - n, "%s%s", n ? "; " : "", text);
}

static bool note_says_dropped(const char *text)
{
	return strstr(text, "impair in: drop") || strstr(text, "impair out: drop") ||
	       strstr(text, "impair in: corrupt") || strstr(text, "impair out: corrupt");
}

/* The side of c that sends s: 0, 1, or -1 if s is not c's. */
static int conn_side_of(const struct conn *c, const struct segment *s)
{
	for (int x = 0; x < 2; x++)
		if (ep_eq(s->src, c->side[x].ep) && ep_eq(s->dst, c->side[!x].ep))
			return x;
	return -1;
}

/* A SYN with a new ISN after a FIN or RST: the 4-tuple's next connection. */
static bool conn_is_new(const struct conn *c, const struct segment *s, int x)
{
	return c->ended && (s->flags & (TH_SYN | TH_ACK)) == TH_SYN &&
	       (!c->has_isn[x] || s->seq != c->isn[x]);
}

/* The latest connection of the 4-tuple of s, or a new one. */
static struct conn *conn_for(struct ladder *L, const struct segment *s, int *x)
{
	struct conn *c;

	for (size_t i = L->n; i-- > 0;)
		if ((*x = conn_side_of(&L->c[i], s)) >= 0) {
			if (conn_is_new(&L->c[i], s, *x))
				break;
			return &L->c[i];
		}
	L->c = grow(L->c, &L->cap, L->n, sizeof(*L->c));
	c = memset(&L->c[L->n++], 0, sizeof(*c));
	c->side[0].ep = s->src;
	c->side[1].ep = s->dst;
	*x = 0;
	return c;
}

static void conns_build(struct ladder *L, const struct packets *cap)
{
	for (size_t i = 0; i < cap->n; i++) {
		const struct pkt *k = &cap->p[i];
		int x;
		struct conn *c = conn_for(L, &k->s, &x);
		struct row *r = row_add(c, k->s.t, ROW_SEG, RANK_CAPTURED, (int)i);

		r->from = x;
		r->s = k->s;
		if (k->comment) {
			note_add(r, k->comment);
			r->dropped = note_says_dropped(k->comment);
		}
		if ((k->s.flags & TH_SYN) && !c->has_isn[x]) {
			c->has_isn[x] = true;
			c->isn[x] = k->s.seq;
		}
		c->ended |= (k->s.flags & (TH_FIN | TH_RST)) != 0;
	}
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->order - y->order;
}

static void rows_sort(struct conn *c) { qsort(c->rows, c->nrows, sizeof(*c->rows), row_cmp); }

/* The connection a note or transition at time t of this 4-tuple belongs to: the last one
 * begun by then (a second early: the stack logs SYN-SENT before its SYN), else the first. */
static struct conn *conn_at(struct ladder *L, struct ep a, struct ep b, int64_t t, int *x)
{
	struct segment s = { .src = a, .dst = b };
	struct conn *found = NULL;

	for (size_t i = 0; i < L->n; i++) {
		int side = conn_side_of(&L->c[i], &s);

		if (side < 0 || (found && L->c[i].rows[0].t > t + 1000000))
			continue;
		found = &L->c[i];
		*x = side;
	}
	return found;
}

static bool note_is(const struct note *no, const struct row *r)
{
	const struct segment *a = &r->s, *b = &no->s;

	return r->kind == ROW_SEG && ep_eq(a->src, b->src) && ep_eq(a->dst, b->dst) &&
	       a->flags == b->flags && a->len == b->len && (!no->has_seq || a->seq == b->seq) &&
	       (!(b->flags & TH_ACK) || a->ack == b->ack) && !strstr(r->note, no->text);
}

/* Whether a row already carries this note: a pcapng comment of the stack said it. */
static bool note_said(const struct conn *c, const struct note *no)
{
	for (size_t i = 0; i < c->nrows; i++) {
		const struct row *r = &c->rows[i];

		if (r->kind == ROW_SEG && strstr(r->note, no->text) && llabs(r->t - no->t) <= NEAR_US &&
		    ep_eq(r->s.src, no->s.src) && r->s.flags == no->s.flags)
			return true;
	}
	return false;
}

/* The row of the segment a note is about, or NULL. The stack writes a segment it sends
 * to its capture just before the link acts on it, and tcpdump on tun0 sees one the stack
 * receives just before: so first the latest such segment at most NEAR_US before the
 * note. Else one that came after (a duplicate, a delayed or corrupted segment, as the
 * other view saw it); a dropped one has none: its retransmission is another segment. */
static struct row *note_row(struct conn *c, const struct note *no)
{
	struct row *best = NULL;

	for (size_t i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];

		if (note_is(no, r) && r->t <= no->t && no->t - r->t <= NEAR_US)
			best = r;
	}
	for (size_t i = 0; !best && no->act != ACT_DROP && i < c->nrows; i++) {
		struct row *r = &c->rows[i];

		if (note_is(no, r) && r->t > no->t && r->t - no->t <= no->delay + NEAR_US)
			best = r;
	}
	return best;
}

/* A segment only the note saw (dropped before the capture): a row of its own. */
static void note_row_add(struct conn *c, const struct note *no, int x, int order)
{
	struct row *r = row_add(c, no->t, ROW_SEG, RANK_NOTED, order);

	r->from = x;
	r->s = no->s;
	r->s.t = no->t;
	note_add(r, no->text);
	r->dropped = no->act == ACT_DROP || no->act == ACT_CORRUPT;
}

/* The link notes a segment on its way in when the stack reads it from tun0, a batch at a
 * time, before the stack records the segments read just before it: so a segment it
 * dropped on the way in (its note, or the stack's pcapng) is moved after those its sender
 * sent before it that came within NEAR_US (README, known gaps). */
static void conn_settle_in_drops(struct conn *c)
{
	for (size_t i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];
		int64_t t = r->t;

		if (!r->dropped || !strstr(r->note, "impair in: drop"))
			continue;
		for (size_t j = 0; j < c->nrows; j++) {
			const struct row *q = &c->rows[j];

			if (q->from == r->from && q->t > t && q->t - r->t <= NEAR_US && !q->dropped &&
			    SEQ_LEQ(q->s.seq + seg_space(&q->s), r->s.seq))
				t = q->t;
		}
		r->t = r->s.t = t;
		r->rank = RANK_NOTED;                    /* after those of the same time */
	}
}

static void notes_apply(struct ladder *L, const struct logs *lg)
{
	for (size_t i = 0; i < lg->nno; i++) {
		const struct note *no = &lg->no[i];
		int x;
		struct conn *c = conn_at(L, no->s.src, no->s.dst, no->t, &x);
		struct row *r;

		if (!c || note_said(c, no))
			continue;                    /* not in the capture, or noted there */
		if ((r = note_row(c, no))) {
			note_add(r, no->text);
			r->dropped |= no->act == ACT_DROP || no->act == ACT_CORRUPT;
		} else {
			note_row_add(c, no, x, (int)i);
		}
	}
}

/* TCP A is the end that sent the first SYN (RFC 793's figures: A opens). */
static void conn_orient(struct conn *c)
{
	struct side sd;
	bool h;
	uint32_t isn;

	for (size_t i = 0; i < c->nrows; i++) {
		if ((c->rows[i].s.flags & (TH_SYN | TH_ACK)) != TH_SYN)
			continue;
		if (c->rows[i].from == 0)
			return;
		sd = c->side[0], c->side[0] = c->side[1], c->side[1] = sd;
		h = c->has_isn[0], c->has_isn[0] = c->has_isn[1], c->has_isn[1] = h;
		isn = c->isn[0], c->isn[0] = c->isn[1], c->isn[1] = isn;
		for (size_t j = 0; j < c->nrows; j++)
			c->rows[j].from = !c->rows[j].from;
		return;
	}
}

/* What relative numbers count from: the ISN (the SYN's SEQ); without a SYN in the
 * capture, the first SEQ minus one, as if the SYN came just before. A side that only
 * sent RSTs keeps its absolute numbers. */
static void conn_bases(struct conn *c)
{
	for (int x = 0; x < 2; x++) {
		struct side *sd = &c->side[x];

		sd->has_base = c->has_isn[x];
		sd->base = c->isn[x];
		for (size_t i = 0; !sd->has_base && i < c->nrows; i++) {
			const struct row *r = &c->rows[i];

			if (r->from == x && !(r->s.flags & TH_RST)) {
				sd->has_base = true;
				sd->base = r->s.seq - 1;
			}
		}
	}
}

/* Whether row i is the second copy of a segment the link duplicated (seen on tun0). */
static bool is_dup_copy(const struct conn *c, size_t i)
{
	const struct row *r = &c->rows[i];

	while (i-- > 0) {
		const struct row *q = &c->rows[i];

		if (q->from == r->from && q->s.seq == r->s.seq && q->s.len == r->s.len &&
		    q->s.flags == r->s.flags)
			return strstr(q->note, ": dup") && r->t - q->t <= NEAR_US;
	}
	return false;
}

/* Retransmissions (a segment starting below the highest SEQ its side had sent) and
 * resets get a note. */
static void conn_marks(struct conn *c)
{
	bool have[2] = { false, false };
	uint32_t max[2] = { 0, 0 };

	for (size_t i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];
		uint32_t space = seg_space(&r->s), end = r->s.seq + space;
		int x = r->from;

		if (space && have[x] && SEQ_LT(r->s.seq, max[x]))
			note_add(r, is_dup_copy(c, i) ? "duplicated by the link" :
				 strstr(r->note, "retransmission") ? "" : "retransmission");
		if (space && (!have[x] || SEQ_GT(end, max[x])))
			max[x] = end;
		have[x] |= space != 0;
		if (r->s.flags & TH_RST)
			note_add(r, "reset");
	}
}

/* ==== states: logged transitions placed on rows ==== */

/* What made a transition happen: its cause if the log gives one (the stack's), else the
 * two states (kernel-states writes none). A send-driven one is drawn on the segment it
 * sent (RFC 793: "(Close) FIN-WAIT-1 --> <CTL=FIN>"), a receive-driven one on the last
 * segment it received, a timer's (and anything else) on a row of its own. flag: the
 * control bit the segment it sent carries. */
static enum kind trans_kind(const struct trans *tr, uint8_t *flag)
{
	const char *c = tr->cause;

	*flag = 0;
	if (strstr(c, "timeout") || strstr(c, "MSL") || strstr(c, "ICMP") || strstr(c, "icmp") ||
	    strstr(c, "retransmissions") || (tr->from == TCP_TIME_WAIT && tr->to == TCP_CLOSED))
		return K_EVENT;
	if (tr->to == TCP_SYN_SENT || tr->to == TCP_FIN_WAIT_1 || tr->to == TCP_LAST_ACK) {
		*flag = tr->to == TCP_SYN_SENT ? TH_SYN : TH_FIN;
		return K_SEND;
	}
	if (strstr(c, "rcvd"))
		return K_RECV;
	if (tr->to == TCP_CLOSED) {        /* ABORT, CLOSE with unread data, or unknown */
		*flag = TH_RST;
		return K_SEND;
	}
	return K_RECV;
}

struct placer {
	struct conn *c;
	int x;
	size_t min;                      /* no transition goes on a row before this one */
	bool placed;                     /* one was placed on a segment's row ... */
	int64_t last_t;                  /* ... at this time */
	struct row *ev;                  /* rows of their own, added once all are placed */
	size_t nev, capev;
};

static long first_sent(const struct placer *p, int64_t t, uint8_t flag)
{
	for (size_t i = p->min; i < p->c->nrows; i++) {
		const struct row *r = &p->c->rows[i];

		if (r->from == p->x && (r->s.flags & flag) && r->t >= t)
			return (long)i;
	}
	return -1;
}

/* Whether side x's segment r could be what made x take transition tr (RFC 9293 3.10.7):
 * a SYN, a SYN,ACK, an ACK of x's SYN or FIN, a FIN (or the retransmission that fills
 * the hole before it), a RST. */
static bool row_causes(const struct conn *c, int x, const struct row *r, const struct trans *tr)
{
	const struct segment *s = &r->s;
	bool ack = s->flags & TH_ACK, fin = s->flags & TH_FIN;
	bool acks_syn = ack && c->has_isn[x] && SEQ_GT(s->ack, c->isn[x]);
	bool acks_fin = false;

	for (size_t i = 0; ack && i < c->nrows; i++) {
		const struct segment *q = &c->rows[i].s;

		if (c->rows[i].from == x && (q->flags & TH_FIN)) {
			acks_fin = SEQ_GT(s->ack, q->seq + q->len + !!(q->flags & TH_SYN));
			break;
		}
	}
	if (tr->to == TCP_CLOSED && (s->flags & TH_RST))
		return true;
	if (tr->to == TCP_SYN_RECEIVED)
		return s->flags & TH_SYN;
	if (tr->from == TCP_SYN_SENT)
		return (s->flags & TH_SYN) && acks_syn;
	if (tr->from == TCP_SYN_RECEIVED && tr->to == TCP_ESTABLISHED)
		return acks_syn;
	if (tr->from == TCP_FIN_WAIT_1 && tr->to == TCP_TIME_WAIT)
		return fin && acks_fin;
	if (tr->to == TCP_CLOSE_WAIT || tr->to == TCP_CLOSING || tr->to == TCP_TIME_WAIT)
		return fin || (s->len && strstr(r->note, "retransmission"));
	if (tr->to == TCP_FIN_WAIT_2 || tr->to == TCP_CLOSED)
		return acks_fin;
	return false;
}

/* The row x's transition tr goes on (RFC 793's figures: a state beside the segment that
 * caused it). Of the segments x received (and the link did not drop) since it last
 * sent one, the first that could have caused it: a capture on tun0 sees segments on
 * their way to the stack before the stack reads them, so the last is not always it.
 * Else the row it happened at or just after, by time. At most CAUSED_US before: a
 * later change is a timer's. A segment x sent at the very time of tr came after it
 * (virtual time stands still while a stack works). -1: none. */
static long rcvd_cause(const struct placer *p, const struct trans *tr, size_t from)
{
	long last = -1, first_ok = -1;

	for (size_t i = from; i < p->c->nrows && p->c->rows[i].t <= tr->t; i++) {
		const struct row *r = &p->c->rows[i];

		if (tr->t - r->t > CAUSED_US || (r->from != p->x && r->dropped))
			continue;
		last = (long)i;
		if (r->from == p->x && r->t < tr->t)
			first_ok = -1;               /* it sent: look at what came after */
		else if (r->from != p->x && first_ok < 0 && row_causes(p->c, p->x, r, tr))
			first_ok = (long)i;
	}
	return first_ok >= 0 ? first_ok : last;
}

/* A row of its own for tr, shared with any other side's at the very same time. */
static int event_add(struct placer *p, const struct trans *tr)
{
	struct row *r;

	while (p->min < p->c->nrows && p->c->rows[p->min].t <= tr->t)
		p->min++;
	for (size_t i = 0; i < p->nev; i++)
		if (p->ev[i].t == tr->t)
			return p->ev[i].id;
	p->ev = grow(p->ev, &p->capev, p->nev, sizeof(*p->ev));
	r = row_init(&p->ev[p->nev++], p->c->next_id++, tr->t, ROW_EVENT, RANK_EVENT, 0);
	r->from = p->x;
	return r->id;
}

static void trans_place(struct placer *p, struct trans *tr)
{
	uint8_t flag;
	long i = -1;

	tr->kind = trans_kind(tr, &flag);
	if (tr->kind == K_SEND) {
		i = first_sent(p, tr->t, flag);
		if (flag == TH_RST && (i < 0 || p->c->rows[i].t - tr->t > CAUSED_US)) {
			i = -1;
			tr->kind = K_RECV;       /* not an ABORT: a RST or ACK received? */
		}
	}
	if (tr->kind == K_RECV)                /* two changes SAME_US apart: two segments */
		i = rcvd_cause(p, tr, p->min + (p->placed && tr->t - p->last_t > SAME_US));
	if (i < 0) {
		tr->kind = K_EVENT;
		tr->row_id = event_add(p, tr);
		return;
	}
	tr->row_id = p->c->rows[i].id;
	p->min = (size_t)i;
	p->placed = true;
	p->last_t = tr->t;
}

/* Which connection and side each transition belongs to (-1: none in the capture). */
static void trans_assign(struct ladder *L, struct logs *lg)
{
	for (size_t i = 0; i < lg->ntr; i++) {
		struct trans *tr = &lg->tr[i];
		int x;
		struct conn *c = conn_at(L, tr->local, tr->remote, tr->t, &x);

		tr->conn = c ? (int)(c - L->c) : -1;
		tr->side = x;
	}
}

static void states_place(struct ladder *L, struct logs *lg, size_t ci)
{
	struct conn *c = &L->c[ci];
	struct placer p = { .c = c };

	for (p.x = 0; p.x < 2; p.x++) {
		p.min = 0;
		p.placed = false;
		for (size_t i = 0; i < lg->ntr; i++)
			if (lg->tr[i].conn == (int)ci && lg->tr[i].side == p.x) {
				trans_place(&p, &lg->tr[i]);
				c->side[p.x].src = lg->tr[i].src;
			}
	}
	for (size_t i = 0; i < p.nev; i++) {
		c->rows = grow(c->rows, &c->cap, c->nrows, sizeof(*c->rows));
		c->rows[c->nrows++] = p.ev[i];
	}
	free(p.ev);
	rows_sort(c);
}

/* "(CLOSE)" over a row: the user call or timer that changed a side's state there. */
static const char *trans_cause(const struct trans *tr)
{
	if (tr->cause[0])
		return tr->cause;
	if (tr->kind == K_SEND)
		return tr->to == TCP_SYN_SENT ? "OPEN" : tr->to == TCP_CLOSED ? "ABORT" : "CLOSE";
	return tr->from == TCP_TIME_WAIT ? "2 MSL" : "";
}

static void cause_add(char *buf, const char *cause)
{
	size_t n = strlen(buf);

	if (*cause)
		snprintf(buf + n, CAUSE_MAX - n, "%s(%s)", n ? " " : "", cause);
}

/* Linux hands a closing connection over to a small timewait socket whose changes are
 * not traced: kernel-states logs "FIN-WAIT-2 -> CLOSED (now a timewait socket in
 * FIN-WAIT-2: no more events)". The log stops there, the connection does not. */
static bool trans_ends_log(const struct trans *tr)
{
	return tr->src == SRC_KERNEL && tr->to == TCP_CLOSED && (tr->from == TCP_FIN_WAIT_1 ||
	       tr->from == TCP_FIN_WAIT_2 || tr->from == TCP_CLOSING);
}

/* Applies side x's transitions drawn on this row to its state st, in order. A row shows
 * one state: one passed on the way is named above it, "(via SYN-RECEIVED)" (Linux makes
 * a connection's socket only when the handshake's ACK arrives). *ends: the log ends. */
static int row_fold(struct row *row, int x, const struct logs *lg, size_t ci, int st, bool *ends)
{
	int n = 0;

	for (size_t i = 0; i < lg->ntr; i++) {
		const struct trans *tr = &lg->tr[i];
		char via[CAUSE_MAX];

		if (tr->conn != (int)ci || tr->side != x || tr->row_id != row->id)
			continue;
		if (n++ && !trans_ends_log(tr)) {
			snprintf(via, sizeof(via), "via %s", tcp_state_name(tr->from));
			cause_add(row->cause[x], via);
		}
		st = (int)tr->to;
		if (tr->kind != K_RECV)
			cause_add(row->cause[x], trans_cause(tr));
		*ends |= trans_ends_log(tr);
	}
	return st;
}

/* Each row's state of a logged side: what its last transition on or before it says.
 * Returns the row from which the log says no more (trans_ends_log), or -1. */
static long states_fold(struct conn *c, const struct logs *lg, size_t ci, int x)
{
	int st = -1;
	long end = -1;

	for (size_t i = 0; i < lg->ntr && st < 0; i++)
		if (lg->tr[i].conn == (int)ci && lg->tr[i].side == x)
			st = (int)lg->tr[i].from;
	c->side[x].init = st;
	for (size_t r = 0; r < c->nrows; r++) {
		bool ends = false;

		st = c->rows[r].st[x] = row_fold(&c->rows[r], x, lg, ci, st, &ends);
		if (ends && end < 0)
			end = (long)r;
	}
	return end;
}

/* ==== states: inferred for a side without a log (RFC 9293 3.10) ==== */

struct infer {
	int st;
	bool passive;                    /* SYN-RECEIVED came from LISTEN: a RST goes back */
	bool has_iss, fin_sent;
	uint32_t iss, fin_seq;           /* our SYN's and our FIN's sequence numbers */
};

static bool sends_syn_ack(const struct conn *c, int x)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].kind == ROW_SEG && c->rows[i].from == x &&
		    (c->rows[i].s.flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
			return true;
	return false;
}

/* Before the first segment: CLOSED if x opens; if it is opened to, LISTEN when it
 * answers with a SYN,ACK (else a closed port); ESTABLISHED if the capture has no SYN. */
static int infer_initial(const struct conn *c, int x)
{
	for (size_t i = 0; i < c->nrows; i++) {
		const struct row *r = &c->rows[i];

		if (r->kind != ROW_SEG || !(r->s.flags & TH_SYN))
			continue;
		if (!(r->s.flags & TH_ACK))
			return r->from == x ? TCP_CLOSED : sends_syn_ack(c, x) ? TCP_LISTEN : TCP_CLOSED;
		return r->from == x ? TCP_LISTEN : TCP_SYN_SENT;   /* the SYN was not captured */
	}
	return TCP_ESTABLISHED;
}

/* The row on which x takes the peer's FIN: the one it arrives on when in order, else the
 * one that fills the hole before it. x's first ACK of the FIN tells which: the last
 * segment x received before sending it. -1: no FIN reached x. */
static long infer_fin_row(const struct conn *c, int x)
{
	long rf = -1, got;
	uint32_t fin = 0;

	for (size_t i = 0; i < c->nrows && rf < 0; i++) {
		const struct row *r = &c->rows[i];

		if (r->kind == ROW_SEG && r->from != x && !r->dropped && (r->s.flags & TH_FIN)) {
			rf = (long)i;
			fin = r->s.seq + r->s.len + !!(r->s.flags & TH_SYN);
		}
	}
	got = rf;
	for (size_t i = (size_t)(rf + 1); rf >= 0 && i < c->nrows; i++) {
		const struct row *r = &c->rows[i];

		if (r->kind != ROW_SEG)
			continue;
		if (r->from == x && (r->s.flags & TH_ACK) && SEQ_GT(r->s.ack, fin))
			return got;
		if (r->from != x && !r->dropped)
			got = (long)i;
	}
	return rf;
}

static void infer_sent(struct infer *in, const struct segment *s)
{
	if (s->flags & TH_RST) {
		in->st = TCP_CLOSED;
		return;
	}
	if (s->flags & TH_SYN) {
		in->has_iss = true;
		in->iss = s->seq;
		if (in->st == TCP_CLOSED && !(s->flags & TH_ACK))
			in->st = TCP_SYN_SENT;          /* 3.10.1 active OPEN */
		else if (in->st == TCP_LISTEN || in->st == TCP_SYN_SENT)
			in->st = TCP_SYN_RECEIVED;      /* its SYN,ACK: the SYN came unseen */
	}
	if (s->flags & TH_FIN) {
		in->fin_sent = true;
		in->fin_seq = s->seq + s->len + !!(s->flags & TH_SYN);
		if (in->st == TCP_ESTABLISHED || in->st == TCP_SYN_RECEIVED)
			in->st = TCP_FIN_WAIT_1;        /* 3.10.4 CLOSE */
		else if (in->st == TCP_CLOSE_WAIT)
			in->st = TCP_LAST_ACK;
	}
}

/* 3.10.7.3 and 3.10.7.4, in their order: RST, SYN, ACK, then (on its row) the FIN. */
static void infer_rcvd(struct infer *in, const struct segment *s, bool take_fin)
{
	bool acks_syn = in->has_iss && SEQ_GT(s->ack, in->iss) && (s->flags & TH_ACK);
	bool acks_fin = in->fin_sent && SEQ_GT(s->ack, in->fin_seq) && (s->flags & TH_ACK);

	if (s->flags & TH_RST) {
		if (in->st != TCP_LISTEN && in->st != TCP_CLOSED)
			in->st = in->st == TCP_SYN_RECEIVED && in->passive ? TCP_LISTEN : TCP_CLOSED;
		return;
	}
	if ((s->flags & TH_SYN) && !(s->flags & TH_ACK) &&
	    (in->st == TCP_LISTEN || in->st == TCP_SYN_SENT)) {
		in->passive = in->st == TCP_LISTEN;
		in->st = TCP_SYN_RECEIVED;
	} else if ((s->flags & TH_SYN) && in->st == TCP_SYN_SENT && acks_syn) {
		in->st = TCP_ESTABLISHED;
	} else if (in->st == TCP_SYN_RECEIVED && acks_syn) {
		in->st = TCP_ESTABLISHED;
	}
	if (acks_fin && in->st == TCP_FIN_WAIT_1)
		in->st = TCP_FIN_WAIT_2;
	else if (acks_fin && in->st == TCP_CLOSING)
		in->st = TCP_TIME_WAIT;
	else if (acks_fin && in->st == TCP_LAST_ACK)
		in->st = TCP_CLOSED;
	if (!take_fin)
		return;
	if (in->st == TCP_ESTABLISHED || in->st == TCP_SYN_RECEIVED)
		in->st = TCP_CLOSE_WAIT;
	else if (in->st == TCP_FIN_WAIT_1)
		in->st = TCP_CLOSING;
	else if (in->st == TCP_FIN_WAIT_2)
		in->st = TCP_TIME_WAIT;
}

/* Side x's states from the segments alone, on rows `from` and after. */
static void states_infer(struct conn *c, int x, size_t from)
{
	struct infer in = { .st = infer_initial(c, x) };
	long fin_row = infer_fin_row(c, x);

	if (from == 0)
		c->side[x].init = in.st;
	for (size_t i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];

		if (r->kind == ROW_SEG && r->from == x)
			infer_sent(&in, &r->s);
		else if (r->kind == ROW_SEG && !r->dropped)
			infer_rcvd(&in, &r->s, (long)i == fin_row);
		if (i >= from)
			r->st[x] = in.st;
	}
}

/* ==== text ==== */

/* RFC 793's control names, ACK last as in its figures; PSH, URG, ECE, CWR are left out,
 * as there. */
static void ctl_fmt(uint8_t flags, char *buf, size_t cap)
{
	static const struct { uint8_t bit; const char *name; } ctl[] = {
		{ TH_SYN, "SYN" }, { TH_FIN, "FIN" }, { TH_RST, "RST" }, { TH_ACK, "ACK" } };
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
		if (flags & ctl[i].bit)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", ctl[i].name);
}

/* "<SEQ=1><ACK=1><CTL=ACK><DATA=4 bytes>" */
static void seg_label(const struct conn *c, const struct row *r, bool abs, char *buf, size_t cap)
{
	const struct side *me = &c->side[r->from], *peer = &c->side[!r->from];
	uint32_t seq = r->s.seq - (abs || !me->has_base ? 0 : me->base);
	uint32_t ack = r->s.ack - (abs || !peer->has_base ? 0 : peer->base);
	char ctl[24];
	int n;

	ctl_fmt(r->s.flags, ctl, sizeof(ctl));
	n = snprintf(buf, cap, "<SEQ=%u>", seq);
	if (r->s.flags & TH_ACK)
		n += snprintf(buf + n, cap - (size_t)n, "<ACK=%u>", ack);
	if (ctl[0])
		n += snprintf(buf + n, cap - (size_t)n, "<CTL=%s>", ctl);
	if (r->s.len)
		snprintf(buf + n, cap - (size_t)n, "<DATA=%u byte%s>", r->s.len, r->s.len == 1 ? "" : "s");
}

static int64_t conn_t0(const struct conn *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].kind == ROW_SEG)
			return c->rows[i].t;
	return c->nrows ? c->rows[0].t : 0;
}

/* Seconds since the connection's first segment: "0.000133" */
static void reltime_fmt(int64_t us, char *buf, size_t cap)
{
	int64_t a = us < 0 ? -us : us;

	snprintf(buf, cap, "%s%" PRId64 ".%06" PRId64, us < 0 ? "-" : "", a / 1000000, a % 1000000);
}

static const char *state_str(int st) { return st < 0 ? "" : tcp_state_name((enum tcp_state)st); }

static const char *source_mark(const struct side *sd)
{
	static const char *const mark[] = { "(inferred)", "(tuntcp)", "(kernel)", "(log)" };
	static const char *const then[] = { "(inferred)", "(tuntcp, then inferred)",
		"(kernel, then inferred)", "(log, then inferred)" };

	return sd->then_inferred ? then[sd->src] : mark[sd->src];
}

static size_t conn_segments(const struct conn *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nrows; i++)
		n += c->rows[i].kind == ROW_SEG;
	return n;
}

/* A line being laid out in columns; printed without trailing blanks. */
struct line { char b[1024]; size_t n; };

static void line_at(struct line *l, size_t col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line_at(struct line *l, size_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	while (l->n < col && l->n + 1 < sizeof(l->b))
		l->b[l->n++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(l->b + l->n, sizeof(l->b) - l->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->n = l->n + (size_t)n < sizeof(l->b) ? l->n + (size_t)n : sizeof(l->b) - 1;
}

static void line_out(FILE *f, struct line *l)
{
	while (l->n && l->b[l->n - 1] == ' ')
		l->n--;
	l->b[l->n] = 0;
	fprintf(f, "%s\n", l->b);
	l->n = 0;
}

struct cols { size_t time, a, arrow, label, label_w, arrow_b, b, note; };

static struct cols cols_for(const struct conn *c, bool abs)
{
	size_t time_w = 8, label_w = 24;
	char buf[160];
	struct cols k;

	for (size_t i = 0; i < c->nrows; i++) {
		reltime_fmt(c->rows[i].t - conn_t0(c), buf, sizeof(buf));
		time_w = strlen(buf) > time_w ? strlen(buf) : time_w;
		seg_label(c, &c->rows[i], abs, buf, sizeof(buf));
		label_w = c->rows[i].kind == ROW_SEG && strlen(buf) > label_w ? strlen(buf) : label_w;
	}
	k.time = 5;                                    /* after "999." */
	for (size_t n = c->nrows + 1; n >= 1000; n /= 10)
		k.time++;
	k.a = k.time + time_w + 2;
	k.arrow = k.a + STATE_W + 1;
	k.label = k.arrow + 4;
	k.label_w = label_w;
	k.arrow_b = k.label + label_w + 1;
	k.b = k.arrow_b + 4;
	k.note = k.b + STATE_W + 2;
	return k;
}

/* "    3.  0.000133  ESTABLISHED  <-- <SEQ=0><ACK=1><CTL=SYN,ACK>   <-- SYN-RECEIVED" */
static void text_row(FILE *f, const struct conn *c, const struct row *r, size_t num,
		     const struct cols *k, bool abs)
{
	struct line l = { .n = 0 };
	char t[32], label[160];
	bool ab = r->from == 0;

	if (r->cause[0][0] || r->cause[1][0]) {
		line_at(&l, k->a, "%s", r->cause[0]);
		line_at(&l, k->b, "%s", r->cause[1]);
		line_out(f, &l);
	}
	reltime_fmt(r->t - conn_t0(c), t, sizeof(t));
	line_at(&l, 0, "%3zu.", num);
	line_at(&l, k->time, "%s", t);
	line_at(&l, k->a, "%s", state_str(r->st[0]));
	if (r->kind == ROW_SEG) {
		seg_label(c, r, abs, label, sizeof(label));
		line_at(&l, k->arrow, "%s", ab ? "-->" : r->dropped ? "  X" : "<--");
		line_at(&l, k->label, "%s%s", label, ab && r->dropped ? " X" : "");
		line_at(&l, k->arrow_b, "%s", ab ? (r->dropped ? "" : "-->") : "<--");
	}
	line_at(&l, k->b, "%s", state_str(r->st[1]));
	if (r->note[0])
		line_at(&l, k->note, "%s", r->note);
	line_out(f, &l);
}

static void text_conn(FILE *f, const struct conn *c, size_t idx, size_t total, bool abs)
{
	struct cols k = cols_for(c, abs);
	struct line l = { .n = 0 };
	char a[24], b[24], ts[16], span[32];
	int64_t t0 = conn_t0(c);

	log_time((uint64_t)t0, ts);
	reltime_fmt(c->rows[c->nrows - 1].t - t0, span, sizeof(span));
	fprintf(f, "Connection %zu of %zu: %s > %s, %zu segments in %s s from %s\n\n", idx + 1,
		total, ep_fmt(c->side[0].ep, a), ep_fmt(c->side[1].ep, b), conn_segments(c), span, ts);
	line_at(&l, k.time, "time (s)");
	line_at(&l, k.a, "TCP A  %s %s", a, source_mark(&c->side[0]));
	line_at(&l, l.n + 2 > k.b ? l.n + 2 : k.b, "TCP B  %s %s", b, source_mark(&c->side[1]));
	line_out(f, &l);
	line_at(&l, 0, "  1.");
	line_at(&l, k.a, "%s", state_str(c->side[0].init));
	line_at(&l, k.b, "%s", state_str(c->side[1].init));
	line_out(f, &l);
	for (size_t i = 0; i < c->nrows; i++)
		text_row(f, c, &c->rows[i], i + 2, &k, abs);
}

static void text_write(FILE *f, const struct ladder *L, bool abs)
{
	for (size_t i = 0; i < L->n; i++) {
		if (i)
			fputc('\n', f);
		text_conn(f, &L->c[i], i, L->n, abs);
	}
}

/* ==== SVG ==== */

#define SVG_GAP     30               /* between rows, px */
#define SVG_CAUSE   14               /* more above a row with a "(CLOSE)" */
#define SVG_TOP     80               /* a connection's title and header */
#define SVG_CHAR_W  7.3              /* of 12 px monospace, about */

struct svg_lay { int x_num, x_time, xa, xb, x_note; double px_us; };

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void svg_text(FILE *f, int x, int y, const char *anchor, const char *extra, const char *s)
{
	if (!*s)
		return;
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\"%s>", x, y, anchor, extra);
	xml_text(f, s);
	fputs("</text>\n", f);
}

/* Each row's y below the first row. With --time-scale the gaps follow time, at least
 * SVG_GAP so that labels stay apart; the whole span gets as much room as the rows. */
static int svg_row_y(const struct conn *c, const struct svg_lay *lay, int *y)
{
	int64_t prev = conn_t0(c);
	int at = 0;

	for (size_t i = 0; i < c->nrows; i++) {
		const struct row *r = &c->rows[i];
		int gap = SVG_GAP + (r->cause[0][0] || r->cause[1][0] ? SVG_CAUSE : 0);
		double scaled = lay->px_us * (double)(r->t - prev);

		at += scaled > gap ? (int)scaled : gap;
		y[i] = at;
		prev = r->t > prev ? r->t : prev;
	}
	return at;
}

static void svg_arrow(FILE *f, const struct conn *c, const struct row *r, int y,
		      const struct svg_lay *lay, bool abs)
{
	int x1 = r->from == 0 ? lay->xa : lay->xb, x2 = r->from == 0 ? lay->xb : lay->xa;
	int mid = (lay->xa + lay->xb) / 2, end = r->dropped ? mid : x2;
	const char *color = r->s.flags & TH_RST ? "#c00000" : "#000000";
	char label[160];

	seg_label(c, r, abs, label, sizeof(label));
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"%s%s/>\n", x1, y - 6,
		end, r->dropped ? y : y + 6, color,
		strstr(r->note, "retransmission") ? " stroke-dasharray=\"6,3\"" : "",
		r->dropped ? "" : r->s.flags & TH_RST ? " marker-end=\"url(#head-rst)\"" :
		" marker-end=\"url(#head)\"");
	if (r->dropped)
		fprintf(f, "<path d=\"M%d,%d l10,10 m0,-10 l-10,10\" stroke=\"#c00000\" "
			"stroke-width=\"2\"/>\n", mid - 5, y - 5);
	svg_text(f, mid, y - 9, "middle", "", label);
}

static void svg_row(FILE *f, const struct conn *c, const struct row *r, size_t num, int y,
		    const struct svg_lay *lay, bool abs)
{
	char s[32];

	snprintf(s, sizeof(s), "%zu.", num);
	svg_text(f, lay->x_num, y + 4, "end", "", s);
	reltime_fmt(r->t - conn_t0(c), s, sizeof(s));
	svg_text(f, lay->x_time, y + 4, "start", " fill=\"#555555\"", s);
	svg_text(f, lay->xa - 8, y - 12, "end", " font-style=\"italic\"", r->cause[0]);
	svg_text(f, lay->xb + 8, y - 12, "start", " font-style=\"italic\"", r->cause[1]);
	svg_text(f, lay->xa - 8, y + 4, "end", "", state_str(r->st[0]));
	svg_text(f, lay->xb + 8, y + 4, "start", "", state_str(r->st[1]));
	if (r->kind == ROW_SEG)
		svg_arrow(f, c, r, y, lay, abs);
	svg_text(f, lay->x_note, y + 4, "start", " fill=\"#555555\"", r->note);
}

/* One connection from y0 down; returns the height it took. */
static int svg_conn(FILE *f, const struct conn *c, size_t idx, int y0,
		    const struct svg_lay *lay, bool abs)
{
	int *y = xcalloc(c->nrows, sizeof(*y)), first = y0 + SVG_TOP, h = svg_row_y(c, lay, y);
	char a[24], b[24], title[120];

	snprintf(title, sizeof(title), "Connection %zu: %s > %s", idx + 1, ep_fmt(c->side[0].ep, a),
		 ep_fmt(c->side[1].ep, b));
	svg_text(f, lay->x_num - 20, y0 + 20, "start", " font-weight=\"bold\"", title);
	svg_text(f, lay->xa, y0 + 46, "middle", " font-weight=\"bold\"", "TCP A");
	svg_text(f, lay->xb, y0 + 46, "middle", " font-weight=\"bold\"", "TCP B");
	snprintf(title, sizeof(title), "%s %s", a, source_mark(&c->side[0]));
	svg_text(f, lay->xa, y0 + 60, "middle", "", title);
	snprintf(title, sizeof(title), "%s %s", b, source_mark(&c->side[1]));
	svg_text(f, lay->xb, y0 + 60, "middle", "", title);
	for (int x = 0; x < 2; x++)
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\" "
			"stroke-width=\"2\"/>\n", x ? lay->xb : lay->xa, first - 12,
			x ? lay->xb : lay->xa, first + h + 20);
	svg_text(f, lay->x_num, first + 4, "end", "", "1.");
	svg_text(f, lay->xa - 8, first + 4, "end", "", state_str(c->side[0].init));
	svg_text(f, lay->xb + 8, first + 4, "start", "", state_str(c->side[1].init));
	for (size_t i = 0; i < c->nrows; i++)
		svg_row(f, c, &c->rows[i], i + 2, first + y[i], lay, abs);
	free(y);
	return SVG_TOP + h + 60;
}

static struct svg_lay svg_layout(const struct ladder *L, bool abs, bool time_scale,
				 size_t *note_w)
{
	struct svg_lay lay = { .x_num = 30, .x_time = 36 };
	size_t label_w = 30, rows = 0;
	int64_t span = 0;
	char buf[160];

	*note_w = 0;
	for (size_t i = 0; i < L->n; i++) {
		const struct conn *c = &L->c[i];

		rows += c->nrows;
		span += c->rows[c->nrows - 1].t - conn_t0(c);
		for (size_t j = 0; j < c->nrows; j++) {
			seg_label(c, &c->rows[j], abs, buf, sizeof(buf));
			label_w = strlen(buf) > label_w ? strlen(buf) : label_w;
			*note_w = strlen(c->rows[j].note) > *note_w ? strlen(c->rows[j].note) : *note_w;
		}
	}
	lay.xa = lay.x_time + (int)(10 * SVG_CHAR_W) + (int)(STATE_W * SVG_CHAR_W) + 16;
	lay.xb = lay.xa + (int)((double)label_w * SVG_CHAR_W) + 60;
	lay.x_note = lay.xb + (int)(STATE_W * SVG_CHAR_W) + 24;
	/* proportional: the whole time span gets three times the room the rows need */
	lay.px_us = time_scale && span > 0 ? 3.0 * (double)rows * SVG_GAP / (double)span : 0;
	return lay;
}

static int svg_conn_height(const struct conn *c, const struct svg_lay *lay)
{
	int *y = xcalloc(c->nrows, sizeof(*y)), h = svg_row_y(c, lay, y);

	free(y);
	return SVG_TOP + h + 60;
}

static void svg_write(FILE *f, const struct ladder *L, bool abs, bool time_scale)
{
	size_t note_w;
	struct svg_lay lay = svg_layout(L, abs, time_scale, &note_w);
	int width = lay.x_note + (int)((double)note_w * SVG_CHAR_W) + 20, height = 20, y = 20;

	for (size_t i = 0; i < L->n; i++)
		height += svg_conn_height(&L->c[i], &lay);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">\n",
		width, height, width, height);
	fputs("<defs>\n"
	      "<marker id=\"head\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" refY=\"4\" "
	      "orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M0,0 L10,4 L0,8 z\"/></marker>\n"
	      "<marker id=\"head-rst\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" refY=\"4\" "
	      "orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M0,0 L10,4 L0,8 z\" "
	      "fill=\"#c00000\"/></marker>\n</defs>\n", f);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
	for (size_t i = 0; i < L->n; i++)
		y += svg_conn(f, &L->c[i], i, y, &lay, abs);
	fputs("</svg>\n", f);
}

/* ==== main ==== */

static void usage(FILE *f)
{
	fputs("usage: ladder FILE.pcap [--log FILE]... [--abs] [--svg OUT.svg] [--time-scale]\n"
	      "Draws every TCP connection in a capture as a ladder, as RFC 793's figures do:\n"
	      "TCP A (the end that sent the first SYN) left, TCP B right, one numbered row per\n"
	      "segment with each end's state after it sent or received that segment.\n"
	      "  FILE.pcap        pcap or pcapng: the stack's --pcap, or tcpdump -w (raw IP,\n"
	      "                   Ethernet, or Linux cooked as with -i any); other traffic is skipped\n"
	      "  --log FILE       a log of the same run, repeatable, any order: the stack's --log,\n"
	      "                   kernel-states' lines (marked \"kernel\"), impairment notes.\n"
	      "                   Times of day in the logs are read in this time zone (TZ)\n"
	      "  --abs            sequence numbers as on the wire\n"
	      "  --svg OUT.svg    also draw the ladders as a picture\n"
	      "  --time-scale     in the picture, space rows in proportion to time\n"
	      "Reading it:\n"
	      "  SYN-SENT     --> <SEQ=0><CTL=SYN>       --> SYN-RECEIVED   an arrow from A to B\n"
	      "  FIN-WAIT-1   --> <SEQ=5><ACK=5><CTL=FIN,ACK> X   the link dropped it half-way\n"
	      "  Sequence numbers are relative: <SEQ=n> and <ACK=n> count from each side's\n"
	      "  initial sequence number (ISN), so its SYN is SEQ=0, its first byte of data SEQ=1\n"
	      "  and the ACK of its SYN ACK=1. (RFC 793's figures show absolute numbers from ISNs\n"
	      "  of 100 and 300: --abs, with the stack's --isn 100, draws its side the same way.)\n"
	      "  A side whose SYN is not in the capture counts from its first SEQ minus one.\n"
	      "  <CTL=...> names SYN, FIN, RST and ACK (not PSH, as RFC 793 does not);\n"
	      "  <DATA=n bytes> is the data the segment carries.\n"
	      "  The time is seconds since the connection's first segment. A state is what that\n"
	      "  end's log says was true after the row (marked tuntcp or kernel), or what RFC 9293\n"
	      "  3.10 says it must be from the segments alone (marked inferred). A user call or\n"
	      "  timer that changed it is written above the row: (CLOSE), (2*MSL timeout).\n"
	      "  Beside the arrow: the capture's comments, the impairment layer's notes,\n"
	      "  \"retransmission\", \"reset\". Exit status 1 if a file cannot be read.\n", f);
}

/* 0, 1 when it printed the help, -1 on a usage error (said on stderr). */
static int opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "log", required_argument, 0, 'l' }, { "abs", no_argument, 0, 'a' },
		{ "svg", required_argument, 0, 's' }, { "time-scale", no_argument, 0, 't' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	o->logs = xcalloc((size_t)argc, sizeof(*o->logs));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->logs[o->nlogs++] = optarg; break;
		case 'a': o->abs = true; break;
		case 's': o->svg = optarg; break;
		case 't': o->time_scale = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ladder: %s\n", optind < argc ? "one capture file, please" :
			"which capture? (ladder --help)");
		return -1;
	}
	if (o->time_scale && !o->svg) {
		fputs("ladder: --time-scale is for the picture: give --svg OUT.svg too\n", stderr);
		return -1;
	}
	o->capture = argv[optind];
	return 0;
}

static void ladder_build(struct ladder *L, const struct packets *cap, struct logs *lg)
{
	conns_build(L, cap);
	notes_apply(L, lg);
	for (size_t i = 0; i < L->n; i++) {
		conn_settle_in_drops(&L->c[i]);
		rows_sort(&L->c[i]);
		conn_orient(&L->c[i]);
		conn_bases(&L->c[i]);
		conn_marks(&L->c[i]);
	}
	if (lg->ntr)
		qsort(lg->tr, lg->ntr, sizeof(*lg->tr), trans_cmp);
	trans_assign(L, lg);
	for (size_t i = 0; i < L->n; i++) {
		states_place(L, lg, i);
		for (int x = 0; x < 2; x++) {
			struct conn *c = &L->c[i];
			long end = c->side[x].src != SRC_NONE ? states_fold(c, lg, i, x) : 0;

			c->side[x].then_inferred = end > 0;
			if (end >= 0)
				states_infer(c, x, (size_t)end);
		}
	}
}

static int svg_file(const char *path, const struct ladder *L, const struct opts *o)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "ladder: %s: cannot create: %s\n", path, strerror(errno));
		return -1;
	}
	svg_write(f, L, o->abs, o->time_scale);
	if (fclose(f)) {
		fprintf(stderr, "ladder: %s: cannot write: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void free_all(struct packets *cap, struct logs *lg, struct ladder *L, struct opts *o)
{
	for (size_t i = 0; i < cap->n; i++)
		free(cap->p[i].comment);
	for (size_t i = 0; i < L->n; i++)
		free(L->c[i].rows);
	free(cap->p);
	free(lg->tr);
	free(lg->no);
	free(L->c);
	free(o->logs);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct packets cap = { 0 };
	struct logs lg = { 0 };
	struct ladder L = { 0 };
	struct clock_base cb;
	char err[ERR_MAX];
	int rc = 0;

	if ((rc = opts_parse(argc, argv, &o)) != 0) {
		free(o.logs);
		return rc < 0 ? 2 : 0;
	}
	if (packets_read(&cap, o.capture, err) < 0) {
		fprintf(stderr, "ladder: %s: %s\n", o.capture, err);
		rc = 1;
	}
	cb = clock_base(cap.n ? cap.p[0].s.t : 0);
	for (int i = 0; rc == 0 && i < o.nlogs; i++)
		if (log_read(&lg, o.logs[i], &cb, err) < 0) {
			fprintf(stderr, "ladder: %s: %s\n", o.logs[i], err);
			rc = 1;
		}
	if (rc == 0) {
		ladder_build(&L, &cap, &lg);
		text_write(stdout, &L, o.abs);
		if (cap.other)
			printf("%s(not drawn: %zu packet%s not TCP over IPv4)\n", L.n ? "\n" : "",
			       cap.other, cap.other == 1 ? "" : "s");
		if (L.n == 0)
			printf("no TCP connection in %s\n", o.capture);
		if (o.svg && svg_file(o.svg, &L, &o) < 0)
			rc = 1;
	}
	free_all(&cap, &lg, &L, &o);
	return rc;
}

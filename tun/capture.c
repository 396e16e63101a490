/* capture.c - write the stack's capture (capture.h): pcapng (a Section Header, one
 * Interface Description for LINKTYPE_RAW with microsecond time stamps, an Enhanced
 * Packet block per packet with opt_comment and epb_flags), or classic pcap. The
 * pcapng format is draft-ietf-opsawg-pcapng; blocks are written in host byte order,
 * which the Section Header's byte-order magic announces. */
#include <errno.h>
#include <string.h>
#include "capture.h"

#define LINKTYPE_RAW 101

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }   /* host order */
static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

static void pad4(FILE *f, size_t n)
{
	static const uint8_t zero[4];

	fwrite(zero, 1, (4 - n % 4) % 4, f);
}

static size_t up4(size_t n) { return (n + 3) & ~(size_t)3; }

static void pcap_header(FILE *f)
{
	put32(f, 0xa1b2c3d4);            /* magic, microsecond time stamps */
	put16(f, 2);
	put16(f, 4);
	put32(f, 0);                     /* time zone */
	put32(f, 0);                     /* accuracy */
	put32(f, 65535);                 /* snap length */
	put32(f, LINKTYPE_RAW);
}

static void pcapng_header(FILE *f)
{
	put32(f, 0x0a0d0d0a);            /* Section Header Block */
	put32(f, 28);
	put32(f, 0x1a2b3c4d);            /* byte-order magic */
	put16(f, 1);                     /* version 1.0 */
	put16(f, 0);
	put32(f, 0xffffffff);            /* section length: not given */
	put32(f, 0xffffffff);
	put32(f, 28);
	put32(f, 1);                     /* Interface Description Block */
	put32(f, 20);
	put16(f, LINKTYPE_RAW);
	put16(f, 0);
	put32(f, 65535);                 /* snap length; if_tsresol absent: microseconds */
	put32(f, 20);
}

int capture_open(struct capture *c, const char *path, bool pcapng)
{
	memset(c, 0, sizeof(*c));
	c->ng = pcapng;
	c->last_at = -1;
	if (!(c->f = fopen(path, "wb")))
		return -errno;
	if (pcapng)
		pcapng_header(c->f);
	else
		pcap_header(c->f);
	fflush(c->f);
	return 0;
}

static void pcap_record(FILE *f, uint64_t wall_us, const uint8_t *pkt, size_t len)
{
	put32(f, (uint32_t)(wall_us / 1000000));
	put32(f, (uint32_t)(wall_us % 1000000));
	put32(f, (uint32_t)len);
	put32(f, (uint32_t)len);
	fwrite(pkt, 1, len, f);
}

/* Enhanced Packet Block: the packet, its direction (epb_flags bits 0-1: 1 inbound,
 * 2 outbound) and a comment if there is one. */
static void epb(FILE *f, uint64_t wall_us, int dir, const uint8_t *pkt, size_t len,
		const char *comment)
{
	size_t clen = comment && *comment ? strlen(comment) : 0;
	size_t opts = 8 + (clen ? 4 + up4(clen) : 0) + 4;
	uint32_t total = (uint32_t)(28 + up4(len) + opts + 4);   /* + the length again */

	put32(f, 6);
	put32(f, total);
	put32(f, 0);                     /* interface 0 */
	put32(f, (uint32_t)(wall_us >> 32));
	put32(f, (uint32_t)wall_us);
	put32(f, (uint32_t)len);
	put32(f, (uint32_t)len);
	fwrite(pkt, 1, len, f);
	pad4(f, len);
	put16(f, 2);                     /* epb_flags */
	put16(f, 4);
	put32(f, dir == CAPTURE_IN ? 1 : 2);
	if (clen) {
		put16(f, 1);             /* opt_comment */
		put16(f, (uint16_t)clen);
		fwrite(comment, 1, clen, f);
		pad4(f, clen);
	}
	put32(f, 0);                     /* opt_endofopt */
	put32(f, total);
}

static void write_last(struct capture *c)
{
	if (c->ng)
		epb(c->f, c->last_wall, c->last_dir, c->last_pkt, c->last_len, c->last_comment);
	else
		pcap_record(c->f, c->last_wall, c->last_pkt, c->last_len);
}

void capture_flush(struct capture *c)
{
	if (c->f)
		fflush(c->f);
}

static uint16_t ip_id(const uint8_t *pkt, size_t len)
{
	return len >= 6 ? (uint16_t)(pkt[4] << 8 | pkt[5]) : 0;
}

/* An "in" impairment noted for this packet before it reached the stack. */
static void take_note(struct capture *c, const uint8_t *pkt, size_t len)
{
	for (int i = 0; i < c->n_notes; i++) {
		if (c->notes[i].len != len || c->notes[i].id != ip_id(pkt, len))
			continue;
		snprintf(c->last_comment, sizeof(c->last_comment), "impair in: %s", c->notes[i].what);
		c->notes[i] = c->notes[--c->n_notes];
		return;
	}
}

void capture_packet(struct capture *c, uint64_t wall_us, uint64_t core_now, int dir,
		    const uint8_t *pkt, size_t len, const char *comment)
{
	if (!c->f || len > sizeof(c->last_pkt))
		return;
	c->last_at = ftell(c->f);
	c->last_wall = wall_us;
	c->last_now = core_now;
	c->last_dir = dir;
	c->last_len = (uint32_t)len;
	memcpy(c->last_pkt, pkt, len);
	c->last_comment[0] = 0;
	if (dir == CAPTURE_IN)
		take_note(c, pkt, len);
	if (comment) {
		size_t n = strlen(c->last_comment);
		snprintf(c->last_comment + n, sizeof(c->last_comment) - n, "%s%s", n ? "; " : "",
			 comment);
	}
	write_last(c);
}

/* Append to the last packet's comment and write its block again, in place. */
static void comment_last(struct capture *c, const char *text)
{
	size_t n = strlen(c->last_comment);

	if (n + 2 + strlen(text) >= sizeof(c->last_comment))
		return;
	snprintf(c->last_comment + n, sizeof(c->last_comment) - n, "%s%s", n ? "; " : "", text);
	fseek(c->f, c->last_at, SEEK_SET);
	write_last(c);
}

void capture_comment(struct capture *c, uint64_t core_now, const char *text)
{
	if (c->f && c->ng && c->last_at >= 0 && c->last_dir == CAPTURE_IN &&
	    c->last_now == core_now)
		comment_last(c, text);
}

void capture_impair(struct capture *c, uint64_t wall_us, int dir, const char *what,
		    const uint8_t *pkt, size_t len)
{
	char text[200];

	if (!c->f || !c->ng)
		return;
	snprintf(text, sizeof(text), "impair %s: %s", dir == CAPTURE_IN ? "in" : "out", what);
	if (dir == CAPTURE_OUT && c->last_at >= 0 && c->last_dir == CAPTURE_OUT &&
	    c->last_len == len && ip_id(c->last_pkt, len) == ip_id(pkt, len)) {
		comment_last(c, text);           /* the packet the stack just sent */
	} else if (dir == CAPTURE_OUT || !strncmp(what, "drop", 4)) {
		capture_packet(c, wall_us, UINT64_MAX, dir, pkt, len, text);   /* not otherwise here */
	} else if (c->n_notes < (int)(sizeof(c->notes) / sizeof(c->notes[0]))) {
		c->notes[c->n_notes].len = (uint32_t)len;      /* dup, delay, corrupt, reorder: */
		c->notes[c->n_notes].id = ip_id(pkt, len);     /* the comment goes on the packet */
		snprintf(c->notes[c->n_notes++].what, sizeof(c->notes[0].what), "%s", what);
	}
}

void capture_close(struct capture *c)
{
	if (c->f)
		fclose(c->f);
	c->f = NULL;
}

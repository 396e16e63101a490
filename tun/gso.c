/* gso.c - TSO out of the stack (gso.h). */
#include <string.h>
#include "gso.h"
#include "wire.h"

#define HDR sizeof(struct virtio_net_hdr)

/* A TCP segment without IP options, carrying data: its TCP header offset and length
 * and its payload length, else false. */
static bool tcp_data(const uint8_t *pkt, size_t len, size_t *thl, size_t *data)
{
	if (len < 40 || pkt[0] != 0x45 || pkt[9] != 6 || (size_t)(pkt[2] << 8 | pkt[3]) != len)
		return false;
	*thl = (size_t)(pkt[32] >> 4) * 4;
	if (*thl < 20 || 20 + *thl > len)
		return false;
	*data = len - 20 - *thl;
	return *data > 0;
}

/* Does pkt continue the pending packet: same addresses, ports, ack, window, options
 * and flags (PSH allowed on the last), its sequence number right after, and at most
 * one MSS of data, the pending ones all full? */
static bool follows(const struct gso *g, const uint8_t *pkt, size_t len)
{
	const uint8_t *p = g->frame + HDR;
	size_t thl, data;

	if (!g->len || g->closed || !tcp_data(pkt, len, &thl, &data) || thl != g->thl ||
	    data > g->mss || g->len + data > 65535)
		return false;
	if (memcmp(pkt + 12, p + 12, 12))                   /* addresses and ports */
		return false;
	if (get32(pkt + 24) != get32(p + 24) + (uint32_t)(g->len - 20 - thl))
		return false;                                   /* not the next byte */
	if (memcmp(pkt + 28, p + 28, 5) || (pkt[33] & ~0x08) != p[33])
		return false;                                   /* ack, offset; flags but PSH */
	return !memcmp(pkt + 34, p + 34, 2) && !memcmp(pkt + 38, p + 38, thl - 18);
}

static void start(struct gso *g, const uint8_t *pkt, size_t len)
{
	size_t thl = 0, data = 0;

	memcpy(g->frame + HDR, pkt, len);
	g->len = len;
	g->segs = 1;
	g->closed = !tcp_data(pkt, len, &thl, &data) || (pkt[33] & 0x08);
	g->mss = g->closed ? 0 : (uint16_t)data;
	g->thl = thl;
}

void gso_add(struct gso *g, const uint8_t *pkt, size_t len, gso_write_fn write, void *ctx)
{
	uint8_t *p = g->frame + HDR;

	if (follows(g, pkt, len)) {
		size_t data = len - 20 - g->thl;
		memcpy(p + g->len, pkt + 20 + g->thl, data);
		g->len += data;
		g->segs++;
		p[33] |= pkt[33] & 0x08;       /* PSH: on the last segment only, as TSO does */
		g->closed = data < g->mss || (pkt[33] & 0x08);
		return;
	}
	gso_flush(g, write, ctx);
	if (len > 65535)
		return;
	start(g, pkt, len);
}

void gso_flush(struct gso *g, gso_write_fn write, void *ctx)
{
	struct virtio_net_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	uint8_t *p = g->frame + HDR;

	if (!g->len)
		return;
	if (g->segs > 1) {
		size_t thl = (size_t)(p[32] >> 4) * 4, tcplen = g->len - 20;
		uint32_t src = get32(p + 12), dst = get32(p + 16);
		uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 +
				  (uint32_t)tcplen;

		put16(p + 2, (uint16_t)g->len);
		put16(p + 10, 0);
		put16(p + 10, inet_fold(inet_sum(p, 20, 0)));
		/* the TCP checksum left to the kernel: the field holds the pseudo-header's sum */
		put16(p + 36, (uint16_t)~inet_fold(pseudo));
		h = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					     .hdr_len = (uint16_t)(20 + thl), .gso_size = g->mss,
					     .csum_start = 20, .csum_offset = 16 };
	}
	memcpy(g->frame, &h, HDR);
	write(ctx, g->frame, HDR + g->len);
	g->len = 0;
}

/* gso.h - TSO out of the stack, for --offload: full-sized TCP segments of one
 * connection that the core sends in one batch, back to back, go to the kernel as one
 * packet of up to 64 KiB with a virtio_net header (VIRTIO_NET_HDR_GSO_TCPV4), as a
 * NIC's TSO would take them; the kernel's TCP receives it whole, as after GRO. The
 * core, its log and its pcap still see every segment.
 * Entry points: gso_add, gso_flush. */
#ifndef TUNTCP_GSO_H
#define TUNTCP_GSO_H
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a frame goes: a virtio_net header and the IPv4 packet behind it. */
typedef void (*gso_write_fn)(void *ctx, const uint8_t *frame, size_t len);

struct gso {
	size_t len;                /* the pending IPv4 packet's length (0: none) */
	uint16_t mss;              /* the first segment's payload: every one but the last */
	size_t thl;                /* its TCP header's length */
	int segs;
	bool closed;               /* a short segment or PSH ended it: no more after it */
	uint8_t frame[sizeof(struct virtio_net_hdr) + 65535];
};

/* One IPv4 packet from the core: merged into the pending one, or the pending one
 * written and this one pending (or written at once when it cannot be merged). */
void gso_add(struct gso *g, const uint8_t *pkt, size_t len, gso_write_fn write, void *ctx);
/* Write what is pending (at the end of a batch). */
void gso_flush(struct gso *g, gso_write_fn write, void *ctx);

#endif

/* check_tun.c - what tun.c does to packets without a device: a segment the kernel
 * hands over with --offload (IFF_VNET_HDR) has its checksums completed exactly as the
 * core computes them (tun_vnet_packet), and malformed headers are refused; segments the
 * stack sends back to back become one TSO frame for the kernel (gso.c), and only those. */
#include <check.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include "gso.h"
#include "tun.h"
#include "wire.h"

#define SRC 0x0a000001u
#define DST 0x0a000002u

/* A virtio_net header and an IPv4/TCP packet with `data` bytes of payload, its TCP
 * checksum field holding only the pseudo-header's sum (as the kernel leaves it with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM), and a wrong IPv4 total length and checksum when gso. */
static size_t make(uint8_t *buf, size_t data, bool gso)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20,
				    .csum_offset = 16,
				    .gso_type = gso ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_NONE,
				    .gso_size = gso ? 1460 : 0, .hdr_len = 40 };
	uint8_t *ip = buf + sizeof(h), *tcp = ip + 20;
	size_t len = 40 + data;
	uint32_t pseudo = (SRC >> 16) + (SRC & 0xffff) + (DST >> 16) + (DST & 0xffff) + 6 + 20 + data;

	memcpy(buf, &h, sizeof(h));
	memset(ip, 0, len);
	ip[0] = 0x45;
	ip[2] = gso ? 0 : (uint8_t)(len >> 8);
	ip[3] = gso ? 0 : (uint8_t)len;
	ip[8] = 64;
	ip[9] = 6;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(SRC >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(DST >> (24 - 8 * i));
	}
	if (!gso) {
		uint16_t c = inet_fold(inet_sum(ip, 20, 0));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	tcp[0] = 0x30; tcp[1] = 0x39; tcp[2] = 0x23; tcp[3] = 0x28;
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	for (size_t i = 0; i < data; i++)
		tcp[20 + i] = (uint8_t)(i * 31 + 7);
	while (pseudo >> 16)
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
	tcp[16] = (uint8_t)(pseudo >> 8);      /* not complemented: the partial sum */
	tcp[17] = (uint8_t)pseudo;
	return sizeof(h) + len;
}

START_TEST(vnet_packet_completes_the_tcp_checksum)
{
	static uint8_t buf[70000];
	uint8_t *pkt;
	size_t n = make(buf, 1001, false);                    /* an odd length too */
	ssize_t len = tun_vnet_packet(buf, n, &pkt);

	ck_assert_int_eq(len, 40 + 1001);
	ck_assert_int_eq(tcp_cksum(SRC, DST, pkt + 20, 20 + 1001), 0);   /* the core's check */
	ck_assert_int_eq(inet_fold(inet_sum(pkt, 20, 0)), 0);
}
END_TEST

START_TEST(vnet_packet_of_a_tso_segment_gets_a_valid_ipv4_header)
{
	static uint8_t buf[70000];
	uint8_t *pkt;
	size_t n = make(buf, 64000, true);
	ssize_t len = tun_vnet_packet(buf, n, &pkt);

	ck_assert_int_eq(len, 40 + 64000);
	ck_assert_int_eq(pkt[2] << 8 | pkt[3], 40 + 64000);
	ck_assert_int_eq(inet_fold(inet_sum(pkt, 20, 0)), 0);
	ck_assert_int_eq(tcp_cksum(SRC, DST, pkt + 20, 20 + 64000), 0);
}
END_TEST

START_TEST(vnet_packet_refuses_offsets_past_the_packet)
{
	static uint8_t buf[2000];
	struct virtio_net_hdr h;
	uint8_t *pkt;
	size_t n = make(buf, 100, false);

	memcpy(&h, buf, sizeof(h));
	h.csum_offset = 200;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(tun_vnet_packet(buf, n, &pkt), -1);
	ck_assert_int_eq(tun_vnet_packet(buf, sizeof(h) + 10, &pkt), -1);   /* too short */
}
END_TEST

/* ---- gso.c: segments merged for the kernel ---- */

/* A TCP segment 10.0.0.2:9000 -> 10.0.0.1:40000 with full checksums. */
static size_t segment(uint8_t *pkt, uint32_t seq, uint32_t ack, uint8_t flags, size_t data)
{
	uint8_t *t = pkt + 20;
	size_t len = 40 + data;

	memset(pkt, 0, len);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint16_t)len);
	pkt[8] = 64;
	pkt[9] = 6;
	put32(pkt + 12, DST);
	put32(pkt + 16, SRC);
	put16(pkt + 10, inet_fold(inet_sum(pkt, 20, 0)));
	put16(t, 9000);
	put16(t + 2, 40000);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	for (size_t i = 0; i < data; i++)
		t[20 + i] = (uint8_t)(seq + i);
	put16(t + 16, tcp_cksum(DST, SRC, t, 20 + data));
	return len;
}

static uint8_t frames[4][70000];
static size_t frame_len[4];
static int nframes;

static void keep(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	ck_assert_int_lt(nframes, 4);
	memcpy(frames[nframes], frame, len);
	frame_len[nframes++] = len;
}

START_TEST(gso_merges_back_to_back_segments_into_one_tso_frame)
{
	static struct gso g;
	static uint8_t pkt[2000];
	struct virtio_net_hdr h;
	uint8_t *ip;
	ssize_t len;

	nframes = 0;
	for (int i = 0; i < 3; i++)
		gso_add(&g, pkt, segment(pkt, 1000 + 1460 * (uint32_t)i, 7, 0x10, 1460), keep, NULL);
	gso_add(&g, pkt, segment(pkt, 1000 + 1460 * 3, 7, 0x18, 500), keep, NULL);   /* PSH, short */
	ck_assert_int_eq(nframes, 0);                      /* nothing written before the flush */
	gso_flush(&g, keep, NULL);
	ck_assert_int_eq(nframes, 1);
	memcpy(&h, frames[0], sizeof(h));
	ck_assert_int_eq(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_int_eq(h.gso_size, 1460);
	ck_assert_int_eq(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	len = tun_vnet_packet(frames[0], frame_len[0], &ip);    /* as the kernel would complete it */
	ck_assert_int_eq(len, 40 + 3 * 1460 + 500);
	ck_assert_int_eq(get16(ip + 2), len);
	ck_assert_int_eq(inet_fold(inet_sum(ip, 20, 0)), 0);
	ck_assert_int_eq(tcp_cksum(DST, SRC, ip + 20, (size_t)len - 20), 0);
	ck_assert_int_eq(get32(ip + 24), 1000);
	ck_assert_int_eq(ip[33], 0x18);                     /* PSH: the last segment's */
	for (size_t i = 0; i < 3 * 1460 + 500; i++)
		ck_assert_int_eq(ip[40 + i], (uint8_t)(1000 + i));
}
END_TEST

START_TEST(gso_keeps_apart_what_cannot_be_one_tso_frame)
{
	static struct gso g;
	static uint8_t pkt[2000];
	struct virtio_net_hdr h;

	nframes = 0;
	gso_add(&g, pkt, segment(pkt, 1000, 7, 0x10, 1460), keep, NULL);
	gso_add(&g, pkt, segment(pkt, 9999, 7, 0x10, 1460), keep, NULL);   /* not the next byte */
	gso_add(&g, pkt, segment(pkt, 9999 + 1460, 8, 0x10, 1460), keep, NULL);   /* a new ack */
	gso_add(&g, pkt, segment(pkt, 9999 + 2920, 8, 0x10, 0), keep, NULL);      /* no data */
	gso_flush(&g, keep, NULL);
	ck_assert_int_eq(nframes, 4);
	for (int i = 0; i < 4; i++) {
		memcpy(&h, frames[i], sizeof(h));
		ck_assert_int_eq(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);    /* each as it was */
		ck_assert_int_eq(tcp_cksum(DST, SRC, frames[i] + sizeof(h) + 20,
					   frame_len[i] - sizeof(h) - 20), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tun");
	TCase *tc = tcase_create("offload: virtio_net headers");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, vnet_packet_completes_the_tcp_checksum);
	tcase_add_test(tc, vnet_packet_of_a_tso_segment_gets_a_valid_ipv4_header);
	tcase_add_test(tc, vnet_packet_refuses_offsets_past_the_packet);
	tcase_add_test(tc, gso_merges_back_to_back_segments_into_one_tso_frame);
	tcase_add_test(tc, gso_keeps_apart_what_cannot_be_one_tso_frame);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

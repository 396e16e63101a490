/* wire.h - IPv4, ICMP and TCP on the wire: header layout, parsing into host-order
 * structs, building packets, the Internet checksum. No state.
 * Entry points: ip_parse, tcp_parse, tcp_build, icmp_build_echo_reply, inet_cksum. */
#ifndef TUNTCP_WIRE_H
#define TUNTCP_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define IP_HDR_LEN   20          /* without options */
#define TCP_HDR_LEN  20          /* without options */
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_  6
#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8

/* TCP control bits (RFC 9293 3.1) */
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08,
       TH_ACK = 0x10, TH_URG = 0x20, TH_ECE = 0x40, TH_CWR = 0x80 };

/* A parsed IPv4 header, host order. */
struct ip_pkt {
	uint32_t src, dst;
	uint8_t proto, ttl;
	uint16_t id;
	const uint8_t *payload;     /* points into the packet */
	size_t payload_len;         /* from the total-length field, not the buffer */
};

/* A parsed (or to-be-built) TCP segment, host order, RFC 9293 3.3.1 names.
 * dlen counts data bytes only; seg_len() adds SYN and FIN as SEG.LEN does. */
struct seg {
	uint32_t src, dst;          /* IPv4 addresses from the pseudo-header */
	uint16_t sport, dport;
	uint32_t seq, ack;          /* SEG.SEQ, SEG.ACK */
	uint8_t flags;              /* TH_* */
	uint16_t wnd;               /* SEG.WND */
	uint16_t up;                /* SEG.UP: parsed, never used as an index */
	uint16_t mss;               /* MSS option, 0 when absent */
	uint8_t wscale;             /* window scale shift on a SYN, 0 when absent (not used:
	                               we never send the option, so no scaling is in force) */
	const uint8_t *data;
	uint32_t dlen;
};

static inline uint32_t seg_len(const struct seg *sg)
{
	return sg->dlen + !!(sg->flags & TH_SYN) + !!(sg->flags & TH_FIN);
}

/* Both parsers return 0, or a positive STAT_DROP_* reason (stack.h). */
int ip_parse(struct ip_pkt *ip, const uint8_t *pkt, size_t len);
int tcp_parse(struct seg *sg, const struct ip_pkt *ip);

/* Write IPv4 + TCP (+ MSS option when sg->mss) + data into buf, which must hold
 * IP_HDR_LEN + TCP_HDR_LEN + 4 + sg->dlen bytes. Returns the packet length. */
size_t tcp_build(uint8_t *buf, const struct seg *sg, uint16_t ip_id);

/* Turn a valid echo request (in place, in buf) into its reply. Returns the length. */
size_t icmp_build_echo_reply(uint8_t *buf, const struct ip_pkt *req, uint16_t ip_id);

/* RFC 1071 Internet checksum; sum is a partial sum to continue from (0 to start). */
uint32_t inet_sum(const void *data, size_t len, uint32_t sum);
uint16_t inet_fold(uint32_t sum);
uint16_t tcp_cksum(uint32_t src, uint32_t dst, const uint8_t *tcp, size_t len);

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif

/* wire.h - IPv4, ICMP and TCP on the wire: header layout, parsing into host-order
 * structs, building packets, the Internet checksum. No state.
 * Entry points: ip_parse, tcp_parse, tcp_opt_at, tcp_build, icmp_build_echo_reply,
 * inet_cksum. */
#ifndef TUNTCP_WIRE_H
#define TUNTCP_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP_HDR_LEN   20          /* without options */
#define TCP_SACK_MAX_BLOCKS 4    /* RFC 2018 3: at most 4 fit in 40 bytes of options */
#define TCP_TS_OPT_LEN 12        /* NOP, NOP, timestamps: what TSopt takes on every segment */
#define TCP_HDR_LEN  20          /* without options */
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_  6
#define ICMP_ECHO_REPLY   0
#define ICMP_UNREACH      3      /* destination unreachable (RFC 792) */
#define ICMP_QUENCH       4      /* source quench (deprecated: RFC 6633) */
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ICMP_UNREACH_PROTOCOL 2  /* codes of ICMP_UNREACH that this stack names */
#define ICMP_UNREACH_PORT     3
#define ICMP_UNREACH_NEEDFRAG 4

/* TCP control bits (RFC 9293 3.1) */
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08,
       TH_ACK = 0x10, TH_URG = 0x20, TH_ECE = 0x40, TH_CWR = 0x80 };

/* TCP option kinds (IANA registry). The stack reads MSS and window scale and checks
 * the length of SACK-permitted and timestamps; the rest are named for the trace. */
enum { TCP_OPT_EOL = 0, TCP_OPT_NOP = 1, TCP_OPT_MSS = 2, TCP_OPT_WSCALE = 3,
       TCP_OPT_SACK_OK = 4, TCP_OPT_SACK = 5, TCP_OPT_ECHO = 6, TCP_OPT_ECHOREPLY = 7,
       TCP_OPT_TS = 8, TCP_OPT_CC = 11, TCP_OPT_CCNEW = 12, TCP_OPT_CCECHO = 13,
       TCP_OPT_MD5 = 19, TCP_OPT_SCPS = 20, TCP_OPT_UTO = 28, TCP_OPT_AO = 29,
       TCP_OPT_MPTCP = 30, TCP_OPT_TFO = 34, TCP_OPT_EXP = 254 };

/* One TCP option as it is on the wire (RFC 9293 3.2). */
struct tcp_opt {
	uint8_t kind;
	uint8_t len;                /* the whole option: 1 for EOL and NOP, else its length byte */
	const uint8_t *val;         /* the len - 2 bytes after kind and length (past kind for 1) */
};

/* A parsed IPv4 header, host order. */
struct ip_pkt {
	uint32_t src, dst;
	uint8_t proto, ttl;
	uint16_t id;
	const uint8_t *payload;     /* points into the packet */
	size_t payload_len;         /* from the total-length field, not the buffer */
};

/* An ICMP error (destination unreachable, time exceeded, parameter problem) and what
 * it quotes: the IPv4 header of the datagram that caused it and that datagram's first
 * 8 bytes, read as TCP (ports, sequence number). Host order. */
struct icmp_err {
	uint8_t type, code;
	uint16_t mtu;               /* next-hop MTU of "fragmentation needed" (RFC 1191), or 0 */
	uint32_t src, dst;          /* the quoted datagram's addresses */
	uint8_t proto;
	uint16_t tot_len;           /* its total length */
	uint16_t sport, dport;      /* its first 8 bytes: ports ... */
	uint32_t seq;               /* ... and, for TCP, SEG.SEQ */
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
	bool has_wscale;            /* a window scale option (RFC 7323 2.2): parsed on a SYN,
	                               written by tcp_build ... */
	uint8_t wscale;             /* ... with this shift (as sent: may be above 14) */
	bool sack_ok;               /* SACK-permitted (RFC 2018 2): parsed on a SYN, written on one */
	bool has_ts;                /* a timestamps option (RFC 7323 3.2), any segment ... */
	uint32_t ts_val, ts_ecr;    /* ... TSval and TSecr */
	uint8_t n_sack;             /* SACK blocks (RFC 2018 3), in the order on the wire */
	struct sack_block { uint32_t start, end; } sack[TCP_SACK_MAX_BLOCKS];
	const uint8_t *data;
	uint32_t dlen;
};

static inline uint32_t seg_len(const struct seg *sg)
{
	return sg->dlen + !!(sg->flags & TH_SYN) + !!(sg->flags & TH_FIN);
}

/* Both parsers return 0, or a positive STAT_DROP_* reason (stack.h). On
 * STAT_DROP_TCP_OPT tcp_parse has filled every header field (the trace prints it). */
int ip_parse(struct ip_pkt *ip, const uint8_t *pkt, size_t len);
int tcp_parse(struct seg *sg, const struct ip_pkt *ip);

/* The option at opt[off] (off < len) of the len bytes of options: 0 with *o filled,
 * or -EINVAL when its length byte is missing, below 2, or runs past len. */
int tcp_opt_at(const uint8_t *opt, size_t len, size_t off, struct tcp_opt *o);

/* The bytes of options tcp_build writes for sg (a multiple of 4, at most 40). */
size_t tcp_opts_len(const struct seg *sg);

/* Write IPv4 + TCP + options + data into buf, which must hold IP_HDR_LEN +
 * TCP_HDR_LEN + 40 + sg->dlen bytes. Options in Linux's layout: on a SYN MSS,
 * SACK-permitted, timestamps, window scale (each when asked for, NOPs where Linux
 * puts them); on other segments timestamps, then SACK blocks. Returns the length. */
size_t tcp_build(uint8_t *buf, const struct seg *sg, uint16_t ip_id);

/* Turn a valid echo request (in place, in buf) into its reply. Returns the length. */
size_t icmp_build_echo_reply(uint8_t *buf, const struct ip_pkt *req, uint16_t ip_id);

/* The ICMP message (ip->payload, checksum already checked) as an error quoting at
 * least an IPv4 header and 8 bytes: 0 with *e filled, or STAT_DROP_ICMP_QUOTE. */
int icmp_parse_error(struct icmp_err *e, const struct ip_pkt *ip);

/* Destination unreachable `code` from us to the sender of `orig`, quoting its IPv4
 * header and the first 8 bytes after it (RFC 792, RFC 1122 3.2.2), cut so that the
 * whole message is at most `mtu` bytes. buf holds IP_HDR_LEN + 8 + ICMP_QUOTE_MAX
 * bytes. Returns the packet length. */
#define ICMP_QUOTE_MAX (60 + 8)
size_t icmp_build_unreach(uint8_t *buf, const struct ip_pkt *orig, const uint8_t *pkt,
			  uint8_t code, uint16_t ip_id, size_t mtu);

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

/* wire.c - parse and build IPv4, ICMP (echo, errors) and TCP headers; the Internet checksum.
 * Every length and offset is checked against the bytes actually present before it
 * is used (RFC 791 3.1, RFC 9293 3.1, RFC 1071). No state. */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include "config.h"
#include "seq.h"
#include "stack.h"
#include "wire.h"

/* The one's complement sum does not care about byte order (RFC 1071 2(B)): add the data
 * as native 64-bit words with end-around carry, fold to 16 bits, and swap the bytes
 * back on a little-endian machine. Eight bytes a step instead of two. */
uint32_t inet_sum(const void *data, size_t len, uint32_t sum32)
{
	const uint8_t *p = data;
	uint64_t sum = 0, w = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		sum += w;
		sum += sum < w;                 /* the carry, end-around */
	}
	if (len) {                              /* the rest, zero-padded: as the odd byte is */
		w = 0;
		memcpy(&w, p, len);
		sum += w;
		sum += sum < w;
	}
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	sum = (sum >> 8 | sum << 8) & 0xffff;   /* big-endian 16-bit words, as on the wire */
#endif
	sum += sum32;
	return (uint32_t)((sum & 0xffffffffu) + (sum >> 32));
}

uint16_t inet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 9293 3.1: the checksum covers a pseudo-header, the TCP header and the data. */
uint16_t tcp_cksum(uint32_t src, uint32_t dst, const uint8_t *tcp, size_t len)
{
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);

	sum += IPPROTO_TCP_ + (uint32_t)len;
	return inet_fold(inet_sum(tcp, len, sum));
}

/* RFC 791 3.1 and RFC 1122 3.2.1: check every field before use. */
int ip_parse(struct ip_pkt *ip, const uint8_t *pkt, size_t len)
{
	size_t ihl, total;

	if (len < IP_HDR_LEN)
		return STAT_DROP_IP_SHORT;
	if (pkt[0] >> 4 != 4)
		return STAT_DROP_IP_VERSION;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < IP_HDR_LEN || ihl > len)
		return STAT_DROP_IP_IHL;
	total = get16(pkt + 2);
	if (total < ihl || total > len)     /* bytes past total are link padding: ignored */
		return STAT_DROP_IP_LEN;
	if (inet_fold(inet_sum(pkt, ihl, 0)) != 0)
		return STAT_DROP_IP_CSUM;
	if (get16(pkt + 6) & 0x3fff)         /* MF set or a fragment offset */
		return STAT_DROP_IP_FRAG;
	ip->id = get16(pkt + 4);
	ip->ttl = pkt[8];
	ip->proto = pkt[9];
	ip->src = get32(pkt + 12);
	ip->dst = get32(pkt + 16);
	ip->payload = pkt + ihl;             /* IP options are skipped, not interpreted (MUST-50) */
	ip->payload_len = total - ihl;
	return 0;
}

/* RFC 9293 3.2: an option is one byte (EOL, NOP) or kind, length, value (MUST-68). */
int tcp_opt_at(const uint8_t *opt, size_t len, size_t off, struct tcp_opt *o)
{
	assert(off < len);
	o->kind = opt[off];
	o->len = 1;
	o->val = opt + off + 1;
	if (o->kind == TCP_OPT_EOL || o->kind == TCP_OPT_NOP)
		return 0;
	if (off + 1 >= len || opt[off + 1] < 2 || off + opt[off + 1] > len)
		return -EINVAL;
	o->len = opt[off + 1];
	o->val = opt + off + 2;
	return 0;
}

/* The length each known option kind must have: MSS 4, window scale 3 (RFC 7323),
 * SACK permitted 2 (RFC 2018), timestamps 10 (RFC 7323). */
static const uint8_t opt_len[9] = { [TCP_OPT_MSS] = 4, [TCP_OPT_WSCALE] = 3,
				    [TCP_OPT_SACK_OK] = 2, [TCP_OPT_TS] = 10 };

/* RFC 2018 3: n blocks of two edges each; a block that is no range, one of a length
 * that is no multiple of 8, or more than 4 are ignored (as Linux), not dropped. */
static void tcp_parse_sack(struct seg *sg, const struct tcp_opt *o)
{
	size_t n = ((size_t)o->len - 2) / 8;

	if (((size_t)o->len - 2) % 8 || n == 0)
		return;
	for (size_t i = 0; i < n && sg->n_sack < TCP_SACK_MAX_BLOCKS; i++) {
		struct sack_block b = { get32(o->val + 8 * i), get32(o->val + 8 * i + 4) };
		if (SEQ_LT(b.start, b.end))
			sg->sack[sg->n_sack++] = b;
	}
}

/* One option the stack reads: MSS, window scale (RFC 7323 2.2) and SACK-permitted
 * (RFC 2018 2) on a SYN only; timestamps (RFC 7323 3.2) and SACK blocks on any. */
static void tcp_parse_known(struct seg *sg, const struct tcp_opt *o)
{
	bool syn = sg->flags & TH_SYN;

	if (o->kind == TCP_OPT_MSS && syn)
		sg->mss = get16(o->val);
	else if (o->kind == TCP_OPT_WSCALE && syn) {
		sg->has_wscale = true;
		sg->wscale = o->val[0];
	} else if (o->kind == TCP_OPT_SACK_OK && syn)
		sg->sack_ok = true;
	else if (o->kind == TCP_OPT_TS) {
		sg->has_ts = true;
		sg->ts_val = get32(o->val);
		sg->ts_ecr = get32(o->val + 4);
	} else if (o->kind == TCP_OPT_SACK)
		tcp_parse_sack(sg, o);
}

/* RFC 9293 3.2: unknown kinds are skipped (MUST-6), nothing after EOL is read.
 * Options are walked byte by byte, so one may start anywhere (MUST-64). An option of
 * length 0 or 1, one running past the header, or a known kind of the wrong length
 * drops the segment (counted): MUST-7 asks only that it be survived. */
static int tcp_parse_options(struct seg *sg, const uint8_t *opt, size_t len)
{
	struct tcp_opt o;

	for (size_t i = 0; i < len; i += o.len) {
		if (tcp_opt_at(opt, len, i, &o) != 0)
			return STAT_DROP_TCP_OPT;
		if (o.kind == TCP_OPT_EOL)
			break;
		if (o.kind < sizeof(opt_len) && opt_len[o.kind] && o.len != opt_len[o.kind])
			return STAT_DROP_TCP_OPT;      /* a known kind of the wrong length */
		tcp_parse_known(sg, &o);
	}
	return 0;
}

int tcp_parse(struct seg *sg, const struct ip_pkt *ip)
{
	const uint8_t *p = ip->payload;
	size_t len = ip->payload_len, off;

	if (len < TCP_HDR_LEN)
		return STAT_DROP_TCP_SHORT;
	off = (size_t)(p[12] >> 4) * 4;
	if (off < TCP_HDR_LEN || off > len)
		return STAT_DROP_TCP_OFF;
	if (tcp_cksum(ip->src, ip->dst, p, len) != 0)
		return STAT_DROP_TCP_CSUM;           /* MUST-3 */
	memset(sg, 0, sizeof(*sg));
	sg->src = ip->src;
	sg->dst = ip->dst;
	sg->sport = get16(p);
	sg->dport = get16(p + 2);
	if (sg->sport == 0 || sg->dport == 0)
		return STAT_DROP_TCP_PORT0;
	sg->seq = get32(p + 4);
	sg->ack = get32(p + 8);
	sg->flags = p[13];
	sg->wnd = get16(p + 14);             /* unsigned (MUST-1) */
	sg->up = get16(p + 18);
	sg->data = p + off;
	sg->dlen = (uint32_t)(len - off);
	/* the options of every segment, not just a SYN's (MUST-5) */
	return tcp_parse_options(sg, p + TCP_HDR_LEN, off - TCP_HDR_LEN);
}

static void ip_build(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		     size_t total, uint16_t id)
{
	buf[0] = 0x45;                       /* version 4, IHL 5 */
	buf[1] = 0;
	put16(buf + 2, (uint16_t)total);
	put16(buf + 4, id);
	put16(buf + 6, 0x4000);              /* DF: path MTU discovery (RFC 1191) */
	buf[8] = IP_DEFAULT_TTL;
	buf[9] = proto;
	put16(buf + 10, 0);
	put32(buf + 12, src);
	put32(buf + 16, dst);
	put16(buf + 10, inet_fold(inet_sum(buf, IP_HDR_LEN, 0)));
}

size_t tcp_opts_len(const struct seg *sg)
{
	size_t n = (sg->mss ? 4 : 0) + (sg->has_wscale ? 4 : 0) + (sg->has_ts ? 12 : 0);

	if (sg->sack_ok && !sg->has_ts)
		n += 4;                      /* NOP, NOP, SACK-permitted */
	return n + (sg->n_sack ? 4 + 8u * sg->n_sack : 0);   /* with TS, SACK-permitted
	                                        takes the place of TS's two NOPs */
}

static uint8_t *opt_nops(uint8_t *o, int n)
{
	while (n--)
		*o++ = TCP_OPT_NOP;
	return o;
}

static uint8_t *opt_ts(uint8_t *o, const struct seg *sg)
{
	o[0] = TCP_OPT_TS;
	o[1] = 10;
	put32(o + 2, sg->ts_val);
	put32(o + 6, sg->ts_ecr);
	return o + 10;
}

/* As Linux lays them out (tcp_options_write): "mss,sackOK,TS,nop,wscale" on a SYN,
 * "nop,nop,TS" and "nop,nop,sack" on the others. */
static void tcp_build_options(uint8_t *o, const struct seg *sg)
{
	if (sg->mss) {
		o[0] = TCP_OPT_MSS;
		o[1] = 4;                    /* its length (MUST-68): one 32-bit word, no padding */
		put16(o + 2, sg->mss);
		o += 4;
	}
	if (sg->sack_ok) {
		o = opt_nops(o, sg->has_ts ? 0 : 2);
		*o++ = TCP_OPT_SACK_OK;
		*o++ = 2;
	}
	if (sg->has_ts)
		o = opt_ts(opt_nops(o, sg->sack_ok ? 0 : 2), sg);
	if (sg->has_wscale) {                /* NOP, then kind 3, length 3, shift: as Linux */
		o = opt_nops(o, 1);
		*o++ = TCP_OPT_WSCALE;
		*o++ = 3;
		*o++ = sg->wscale;
	}
	if (sg->n_sack) {
		o = opt_nops(o, 2);
		*o++ = TCP_OPT_SACK;
		*o++ = (uint8_t)(2 + 8 * sg->n_sack);
		for (int i = 0; i < sg->n_sack; i++, o += 8) {
			put32(o, sg->sack[i].start);
			put32(o + 4, sg->sack[i].end);
		}
	}
}

size_t tcp_build(uint8_t *buf, const struct seg *sg, uint16_t ip_id)
{
	uint8_t *t = buf + IP_HDR_LEN;
	size_t hlen = TCP_HDR_LEN + tcp_opts_len(sg);
	size_t tlen = hlen + sg->dlen;

	assert(hlen <= TCP_HDR_LEN + 40);
	put16(t, sg->sport);
	put16(t + 2, sg->dport);
	put32(t + 4, sg->seq);
	put32(t + 8, sg->ack);
	t[12] = (uint8_t)(hlen / 4) << 4;
	t[13] = sg->flags;
	put16(t + 14, sg->wnd);
	put16(t + 16, 0);
	put16(t + 18, 0);                    /* urgent pointer: not implemented */
	if (sg->dlen && sg->data != t + hlen)     /* first: the data may sit where options go */
		memmove(t + hlen, sg->data, sg->dlen);
	tcp_build_options(t + TCP_HDR_LEN, sg);
	put16(t + 16, tcp_cksum(sg->src, sg->dst, t, tlen));   /* MUST-2 */
	ip_build(buf, sg->src, sg->dst, IPPROTO_TCP_, IP_HDR_LEN + tlen, ip_id);
	return IP_HDR_LEN + tlen;
}

size_t icmp_build_echo_reply(uint8_t *buf, const struct ip_pkt *req, uint16_t ip_id)
{
	uint8_t *icmp = buf + IP_HDR_LEN;
	size_t len = req->payload_len;

	memmove(icmp, req->payload, len);     /* drop any IP options of the request */
	icmp[0] = ICMP_ECHO_REPLY;
	put16(icmp + 2, 0);
	put16(icmp + 2, inet_fold(inet_sum(icmp, len, 0)));
	ip_build(buf, req->dst, req->src, IPPROTO_ICMP_, IP_HDR_LEN + len, ip_id);
	return IP_HDR_LEN + len;
}

int icmp_parse_error(struct icmp_err *e, const struct ip_pkt *ip)
{
	const uint8_t *q = ip->payload + 8;          /* the quoted datagram */
	size_t qlen = ip->payload_len - 8, ihl;

	if (ip->payload_len < 8 + IP_HDR_LEN + 8 || (q[0] >> 4) != 4)
		return STAT_DROP_ICMP_QUOTE;
	ihl = (size_t)(q[0] & 0x0f) * 4;
	if (ihl < IP_HDR_LEN || qlen < ihl + 8)
		return STAT_DROP_ICMP_QUOTE;
	e->type = ip->payload[0];
	e->code = ip->payload[1];
	e->mtu = get16(ip->payload + 6);
	e->tot_len = get16(q + 2);
	e->proto = q[9];
	e->src = get32(q + 12);
	e->dst = get32(q + 16);
	e->sport = get16(q + ihl);
	e->dport = get16(q + ihl + 2);
	e->seq = get32(q + ihl + 4);
	return 0;
}

size_t icmp_build_unreach(uint8_t *buf, const struct ip_pkt *orig, const uint8_t *pkt,
			  uint8_t code, uint16_t ip_id, size_t mtu)
{
	uint8_t *icmp = buf + IP_HDR_LEN;
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
	size_t quote = ihl + (orig->payload_len < 8 ? orig->payload_len : 8);

	if (IP_HDR_LEN + 8 + quote > mtu)
		quote = mtu > IP_HDR_LEN + 8 ? mtu - IP_HDR_LEN - 8 : 0;   /* as much as fits */

	memset(icmp, 0, 8);
	icmp[0] = ICMP_UNREACH;
	icmp[1] = code;
	memcpy(icmp + 8, pkt, quote);
	put16(icmp + 2, inet_fold(inet_sum(icmp, 8 + quote, 0)));
	ip_build(buf, orig->dst, orig->src, IPPROTO_ICMP_, IP_HDR_LEN + 8 + quote, ip_id);
	return IP_HDR_LEN + 8 + quote;
}

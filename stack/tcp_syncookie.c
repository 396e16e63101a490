/* tcp_syncookie.c - SYN cookies (RFC 4987 3.6): when a listener's half-open queue
 * is full and cookies are on, the SYN is answered without keeping anything; all
 * the stack needs later is in the SYN-ACK's own sequence number, which the peer's
 * ACK returns:
 *     ISN = t (5 bits, a clock of TCP_COOKIE_SLOT_S) | MSS index (3 bits) | hash (24 bits)
 * where the hash is SipHash-2-4 of the 4-tuple, the peer's ISN and t under a
 * per-run secret. An ACK at a listener whose SEG.ACK - 1 is such a cookie, at
 * most one slot old, opens the connection. Entry points: tcp_cookie_make,
 * tcp_cookie_check. */
#include "siphash.h"
#include "tcp_priv.h"

static const uint16_t cookie_mss[8] = { 48, 536, 1220, 1300, 1400, 1440, 1460, 8960 };

static uint32_t cookie_clock(const struct stack *s)
{
	return (uint32_t)(s->now / (TCP_COOKIE_SLOT_S * 1000000ull)) & 31;
}

/* The hash of a SYN (seen from the segment: peer's ISN = irs) at clock t */
static uint32_t cookie_hash(const struct stack *s, const struct seg *sg, uint32_t irs, uint32_t t)
{
	uint8_t b[20];

	put32(b, sg->dst);
	put16(b + 4, sg->dport);
	put32(b + 6, sg->src);
	put16(b + 10, sg->sport);
	put32(b + 12, irs);
	put32(b + 16, t);
	return (uint32_t)siphash24(s->cookie_key, b, sizeof(b)) & 0xffffff;
}

/* The ISN of a SYN-ACK that answers `syn` with a cookie. The peer's MSS is
 * rounded down to one of eight values (the smallest if it is below all). */
uint32_t tcp_cookie_make(const struct stack *s, const struct seg *syn)
{
	uint16_t mss = syn->mss ? syn->mss : TCP_DEFAULT_MSS;
	uint32_t t = cookie_clock(s), i = 7;

	while (i > 0 && cookie_mss[i] > mss)
		i--;
	return t << 27 | i << 24 | cookie_hash(s, syn, syn->seq, t);
}

/* An ACK at a listener: the peer's MSS its cookie keeps, or 0 if it is none. */
uint16_t tcp_cookie_check(const struct stack *s, const struct seg *ack)
{
	uint32_t c = ack->ack - 1, t = c >> 27;

	if (((cookie_clock(s) - t) & 31) > 1)
		return 0;                            /* too old (or from the future) */
	if ((c & 0xffffff) != cookie_hash(s, ack, ack->seq - 1, t))
		return 0;
	return cookie_mss[c >> 24 & 7];
}

/* ip.c - IPv4 input: validate the header (wire.c), check the addresses, hand the
 * payload to ICMP or TCP. RFC 791, RFC 1122 3.2.1. Entry point: ip_input. */
#include "tcp_priv.h"

/* RFC 1122 3.2.1.3: a source in 0/8 ("this network") or 127/8 (loopback, never
 * from outside the host), a broadcast (limited, or our subnet's when its prefix is
 * known), multicast, or ourselves is bogus (RFC 9293 MUST-63). */
static bool ip_src_bogus(const struct stack *s, uint32_t src)
{
	int p = s->cfg.prefix;
	uint32_t host = p > 0 && p < 31 ? 0xffffffffu >> p : 0;

	return (src >> 24) == 0 || (src >> 24) == 127 || src == 0xffffffffu ||
	       (src >> 28) == 0xe || src == s->cfg.addr ||
	       (host && (src & ~host) == (s->cfg.addr & ~host) && (src & host) == host);
}

void ip_input(struct stack *s, const uint8_t *pkt, size_t len)
{
	struct ip_pkt ip;
	int reason = ip_parse(&ip, pkt, len);

	if (reason)
		goto drop;
	reason = STAT_DROP_IP_NOT_US;
	if (ip.dst != s->cfg.addr)         /* broadcast and multicast too (MUST-57) */
		goto drop;
	reason = STAT_DROP_IP_SRC;
	if (ip_src_bogus(s, ip.src))
		goto drop;
	switch (ip.proto) {
	case IPPROTO_TCP_:
		tcp_input(s, &ip, pkt, len);
		return;
	case IPPROTO_ICMP_:
		icmp_input(s, &ip, pkt, len);
		return;
	default:                           /* RFC 1122 3.2.2.1: say so */
		stack_drop(s, STAT_DROP_IP_PROTO, pkt, len);
		icmp_unreach(s, &ip, pkt, ICMP_UNREACH_PROTOCOL);
		return;
	}
drop:
	stack_drop(s, reason, pkt, len);
}

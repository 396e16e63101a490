/* icmp.c - ICMP (RFC 792, RFC 1122 3.2.2): echo requests are answered, so `ping` works;
 * errors (destination unreachable, time exceeded, parameter problem) are checked and
 * handed to the TCP connection they name (tcp_icmp.c); source quench is discarded
 * (RFC 9293 MUST-55); anything else is dropped and counted. The stack also sends one
 * error itself: protocol unreachable, for a protocol it does not speak (RFC 1122
 * 3.2.2.1), rate-limited per destination as Linux does (a bucket of ICMP_RATE_BURST,
 * one more every ICMP_RATE_MS). Entry points: icmp_input, icmp_unreach. */
#include "tcp_priv.h"

static void icmp_echo_reply(struct stack *s, const struct ip_pkt *ip)
{
	if (ip->payload_len > sizeof(s->out) - IP_HDR_LEN)
		return;                        /* cannot happen: IPv4 is at most 64 KiB */
	stat_inc(s, STAT_ICMP_ECHO);
	stack_emit(s, icmp_build_echo_reply(s->out, ip, s->ip_id++), NULL, 0);
}

/* An error: it must quote a TCP segment from us; the connection does the rest (MUST-54). */
static int icmp_error_input(struct stack *s, const struct ip_pkt *ip)
{
	struct icmp_err e;
	int reason = icmp_parse_error(&e, ip);

	if (reason)
		return reason;
	if (e.proto != IPPROTO_TCP_ || e.src != s->cfg.addr)
		return STAT_DROP_ICMP_QUOTE;
	return tcp_icmp_error(s, &e);
}

void icmp_input(struct stack *s, const struct ip_pkt *ip, const uint8_t *pkt, size_t len)
{
	uint8_t type = ip->payload_len ? ip->payload[0] : 0;
	int reason = 0;

	if (ip->payload_len < 8)
		reason = STAT_DROP_ICMP_SHORT;
	else if (inet_fold(inet_sum(ip->payload, ip->payload_len, 0)) != 0)
		reason = STAT_DROP_ICMP_CSUM;
	else if (type == ICMP_ECHO_REQUEST && ip->payload[1] == 0)
		icmp_echo_reply(s, ip);
	else if (type == ICMP_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM)
		reason = icmp_error_input(s, ip);
	else if (type == ICMP_QUENCH)
		reason = STAT_DROP_ICMP_QUENCH;   /* silently (MUST-55) */
	else
		reason = STAT_DROP_ICMP_TYPE;   /* echo replies, redirects, timestamps, ... */
	if (reason)
		stack_drop(s, reason, pkt, len);
}

/* Linux's rate limit for ICMP errors (icmp_ratelimit, inet_peer_xrlim_allow): per
 * destination, credit for ICMP_RATE_BURST messages that comes back at one per
 * ICMP_RATE_MS. Destinations share ICMP_RATE_SLOTS buckets by a hash of their address:
 * two that collide share one limit, so no choice of sources ever gets more. */
static bool icmp_rate_ok(struct stack *s, uint32_t dst)
{
	struct icmp_bucket *b = &s->icmp_rate[(dst * 2654435761u >> 16) % ICMP_RATE_SLOTS];
	uint64_t cost = ICMP_RATE_MS * 1000ull, cap = ICMP_RATE_BURST * cost;

	if (!b->last) {
		b->credit = cap;
	} else {
		b->credit += s->now - b->last;
		if (b->credit > cap)
			b->credit = cap;
	}
	b->last = s->now ? s->now : 1;
	if (b->credit < cost) {
		stat_inc(s, STAT_ICMP_RATE_LIMITED);
		return false;
	}
	b->credit -= cost;
	return true;
}

/* Destination unreachable `code` in answer to the valid datagram `ip` (never an ICMP
 * error, a broadcast or a fragment: ip.c drops those before a protocol is looked at). */
void icmp_unreach(struct stack *s, const struct ip_pkt *ip, const uint8_t *pkt, uint8_t code)
{
	if (!icmp_rate_ok(s, ip->src))
		return;
	stat_inc(s, STAT_ICMP_UNREACH_SENT);
	stack_emit(s, icmp_build_unreach(s->out, ip, pkt, code, s->ip_id++, s->cfg.mtu), NULL, 0);
}

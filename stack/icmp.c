/* icmp.c - ICMP echo (RFC 792): answer echo requests so `ping` works; drop the rest.
 * Entry point: icmp_input. */
#include "tcp_priv.h"

void icmp_input(struct stack *s, const struct ip_pkt *ip, const uint8_t *pkt, size_t len)
{
	int reason = 0;
	size_t out;

	if (ip->payload_len < 8)
		reason = STAT_DROP_ICMP_SHORT;
	else if (inet_fold(inet_sum(ip->payload, ip->payload_len, 0)) != 0)
		reason = STAT_DROP_ICMP_CSUM;
	else if (ip->payload[0] != ICMP_ECHO_REQUEST || ip->payload[1] != 0)
		reason = STAT_DROP_ICMP_TYPE;   /* not implemented: other ICMP messages */
	if (reason) {
		stack_drop(s, reason, pkt, len);
		return;
	}
	if (ip->payload_len > sizeof(s->out) - IP_HDR_LEN)
		return;                        /* cannot happen: IPv4 is at most 64 KiB */
	stat_inc(s, STAT_ICMP_ECHO);
	out = icmp_build_echo_reply(s->out, ip, s->ip_id++);
	stack_emit(s, out, NULL);
}

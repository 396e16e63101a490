/* trace.c - turn trace events into text: the transition log line and the
 * tcpdump-style line of a packet. Pure functions: the caller adds the time and
 * decides where the text goes (runtime/log.c). */
#include <stdio.h>
#include "trace.h"
#include "wire.h"

static size_t addr_fmt(char *buf, size_t cap, uint32_t a)
{
	int n = snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	return n < 0 ? 0 : (size_t)n;
}

static const char *kind_word(enum trace_kind k)
{
	switch (k) {
	case TRACE_TIMER: return "timer";
	case TRACE_USER: return "user";
	case TRACE_CC: return "cc";
	default: return "";
	}
}

/* " [cwnd 4380 ssthresh inf]": the congestion window a segment was sent with */
static size_t cc_fmt(const struct trace_event *ev, char *buf, size_t cap)
{
	char th[16] = "inf";
	int n;

	if (ev->ssthresh < 0x7fffffffu)
		snprintf(th, sizeof(th), "%u", ev->ssthresh);
	n = snprintf(buf, cap, " [cwnd %u ssthresh %s]", ev->cwnd, th);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

size_t trace_format(const struct trace_event *ev, char *buf, size_t cap)
{
	char la[16], ra[16], rp[8];
	int n;

	if (cap == 0)
		return 0;
	snprintf(rp, sizeof(rp), "%u", ev->conn.rport);
	addr_fmt(la, sizeof(la), ev->conn.laddr);
	addr_fmt(ra, sizeof(ra), ev->conn.raddr);
	if (!ev->conn.raddr)
		snprintf(ra, sizeof(ra), "*");      /* a listener: any peer */
	if (ev->kind == TRACE_STATE) {
		n = snprintf(buf, cap, "%s:%u > %s:%s %s -> %s (%s) [%s]", la, ev->conn.lport,
			     ra, ev->conn.rport ? rp : "*", tcp_state_name(ev->from),
			     tcp_state_name(ev->to), ev->cause, ev->rfc);
		if (ev->to == TCP_TIME_WAIT && n > 0 && (size_t)n < cap)
			n += snprintf(buf + n, cap - (size_t)n, " for 2*MSL = %llu.%03llu s",
				      (unsigned long long)(ev->duration / 1000000),
				      (unsigned long long)(ev->duration / 1000 % 1000));
	} else if (ev->kind == TRACE_DROP) {
		n = snprintf(buf, cap, "drop (%s) ", stat_name(ev->reason));
		if (n > 0 && (size_t)n < cap)
			n += (int)trace_format_packet(ev->pkt, ev->len, buf + n, cap - (size_t)n);
	} else if (ev->kind == TRACE_TIMER || ev->kind == TRACE_USER || ev->kind == TRACE_CC) {
		n = snprintf(buf, cap, "%s:%u > %s:%u %s %s: %s", la, ev->conn.lport, ra,
			     ev->conn.rport, tcp_state_name(ev->from), kind_word(ev->kind), ev->cause);
		if (ev->kind == TRACE_CC && n > 0 && (size_t)n < cap)
			n += (int)cc_fmt(ev, buf + n, cap - (size_t)n);
	} else {
		n = (int)trace_format_packet(ev->pkt, ev->len, buf, cap);
		if (ev->kind == TRACE_SEG_OUT && ev->cwnd && n > 0 && (size_t)n < cap)
			n += (int)cc_fmt(ev, buf + n, cap - (size_t)n);
	}
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static size_t flags_fmt(char *buf, uint8_t f)
{
	size_t n = 0;

	if (f & TH_SYN) buf[n++] = 'S';
	if (f & TH_FIN) buf[n++] = 'F';
	if (f & TH_RST) buf[n++] = 'R';
	if (f & TH_PSH) buf[n++] = 'P';
	if (f & TH_URG) buf[n++] = 'U';
	if (f & TH_ECE) buf[n++] = 'E';
	if (f & TH_CWR) buf[n++] = 'W';
	if (f & TH_ACK) buf[n++] = '.';
	buf[n] = 0;
	if (n == 0)
		snprintf(buf, 5, "none");
	return n;
}

/* tcpdump -n -S style: absolute sequence numbers. */
static int tcp_fmt(char *buf, size_t cap, const char *sa, const char *da, const struct seg *sg)
{
	char fl[12];
	int n;

	flags_fmt(fl, sg->flags);
	n = snprintf(buf, cap, "IP %s.%u > %s.%u: Flags [%s]", sa, sg->sport, da, sg->dport, fl);
	if (n > 0 && (size_t)n < cap && (seg_len(sg) || !(sg->flags & TH_ACK)))
		n += snprintf(buf + n, cap - (size_t)n, sg->dlen ? ", seq %u:%u" : ", seq %u",
			      sg->seq, sg->seq + sg->dlen);
	if (n > 0 && (size_t)n < cap && (sg->flags & TH_ACK))
		n += snprintf(buf + n, cap - (size_t)n, ", ack %u", sg->ack);
	if (n > 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, ", win %u", sg->wnd);
	if (n > 0 && (size_t)n < cap && sg->mss)
		n += snprintf(buf + n, cap - (size_t)n, ", options [mss %u]", sg->mss);
	if (n > 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, ", length %u", sg->dlen);
	return n;
}

size_t trace_format_packet(const uint8_t *pkt, size_t len, char *buf, size_t cap)
{
	struct ip_pkt ip;
	struct seg sg;
	char sa[16], da[16];
	int n, bad = ip_parse(&ip, pkt, len);

	if (cap == 0)
		return 0;
	if (bad) {
		n = snprintf(buf, cap, "%s, %zu bytes", len && pkt[0] >> 4 == 6 ?
			     "IP6 (not supported)" : "IP bad packet", len);
		return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
	}
	addr_fmt(sa, sizeof(sa), ip.src);
	addr_fmt(da, sizeof(da), ip.dst);
	if (ip.proto == IPPROTO_TCP_ && (bad = tcp_parse(&sg, &ip)) == 0)
		n = tcp_fmt(buf, cap, sa, da, &sg);
	else if (ip.proto == IPPROTO_TCP_)
		n = snprintf(buf, cap, "IP %s > %s: tcp, bad (%s), length %zu", sa, da,
			     stat_name((enum stat_id)bad), ip.payload_len);
	else if (ip.proto == IPPROTO_ICMP_ && ip.payload_len >= 8)
		n = snprintf(buf, cap, "IP %s > %s: ICMP echo %s, id %u, seq %u, length %zu", sa, da,
			     ip.payload[0] == ICMP_ECHO_REQUEST ? "request" : "reply",
			     get16(ip.payload + 4), get16(ip.payload + 6), ip.payload_len);
	else
		n = snprintf(buf, cap, "IP %s > %s: proto %u, length %zu", sa, da, ip.proto,
			     ip.payload_len);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

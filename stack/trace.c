/* trace.c - turn trace events into text: the transition log line and the
 * tcpdump-style line of a packet. Pure functions: the caller adds the time and
 * decides where the text goes (tun/log.c). A TCP line is what tcpdump 4.99
 * -n -S prints (print-tcp.c), every option included, so the two can be compared
 * side by side; the one gap is named at mptcp_fmt. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "seq.h"
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
	case TRACE_ICMP: return "icmp";
	case TRACE_RTT: return "rtt";
	default: return "";
	}
}

/* " [cwnd 4380 ssthresh inf]": the congestion window a segment was sent with; with
 * window scaling, " [cwnd 4380 ssthresh inf scaled win 1048448]": the window in bytes
 * (the line before it stays tcpdump's, which prints the raw 16-bit field) */
static size_t cc_fmt(const struct trace_event *ev, char *buf, size_t cap)
{
	char th[16] = "inf", sw[32] = "";
	int n;

	if (ev->ssthresh < 0x7fffffffu)
		snprintf(th, sizeof(th), "%u", ev->ssthresh);
	if (ev->scaled_wnd)
		snprintf(sw, sizeof(sw), " scaled win %u", ev->scaled_wnd);
	n = snprintf(buf, cap, " [cwnd %u ssthresh %s%s]", ev->cwnd, th, sw);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* A line being built: it never overruns, stays a C string, and n stops at cap - 1. */
struct line { char *buf; size_t cap, n; };

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (l->n + 1 >= l->cap)
		return;
	va_start(ap, fmt);
	r = vsnprintf(l->buf + l->n, l->cap - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n = l->n + (size_t)r < l->cap ? l->n + (size_t)r : l->cap - 1;
}

/* How a connection ended, in words: who closed first and how, or what ended it. */
static void summary_how(struct line *l, const struct trace_summary *m)
{
	const char *st = tcp_state_name(m->ended_in), *c = m->cause ? m->cause : "?";
	bool normal = (m->ended_in == TCP_TIME_WAIT || m->ended_in == TCP_LAST_ACK ||
		       m->ended_in == TCP_FIN_WAIT_2) && !strstr(c, "RST") && !strstr(c, "gave up");

	if (normal) {
		line_add(l, "%s closed first, %s%s", m->first_fin == 1 ? "we" : "the peer",
			 m->via_closing ? "simultaneous close through CLOSING" :
			 m->fin_ack_merged ? "FIN+ACK combined (FIN-WAIT-1 -> TIME-WAIT)" :
			 m->ended_in == TCP_FIN_WAIT_2 ? "the peer's FIN never came (FIN-WAIT-2 timeout)" :
			 "four-way", m->half_close ? ", half-close" : "");
	} else if (!strncmp(c, "rcvd RST", 8)) {
		line_add(l, "reset by the peer in %s", st);
	} else if (strstr(c, "sent RST")) {
		line_add(l, "reset by us in %s (%s)", st, c);
	} else if (strstr(c, "gave up")) {
		line_add(l, "timed out in %s (%s)", st, c);
	} else {
		line_add(l, "ended in %s (%s)", st, c);
	}
}

/* "summary: we closed first, four-way; 2.004 s: ESTABLISHED 0.001 s, ...; data out 4 B,
 * in 4 B; segments out 5, in 4; retransmissions 0 (timeout 0, fast 0); rtt min 0.061 ms,
 * srtt 0.061 ms, rto 200 ms; cwnd 4384" */
static void summary_fmt(struct line *l, const struct trace_summary *m)
{
	const char *sep = "";

	line_add(l, "summary: ");
	summary_how(l, m);
	line_add(l, "; %llu.%03llu s:", (unsigned long long)(m->lifetime_us / 1000000),
		 (unsigned long long)(m->lifetime_us / 1000 % 1000));
	for (int i = 0; i < TCP_NSTATES; i++) {
		if (!(m->visited & 1u << i))
			continue;
		line_add(l, "%s %s %llu.%03llu s", sep, tcp_state_name((enum tcp_state)i),
			 (unsigned long long)(m->in_state[i] / 1000000),
			 (unsigned long long)(m->in_state[i] / 1000 % 1000));
		sep = ",";
	}
	line_add(l, "; data out %llu B, in %llu B; segments out %u, in %u; retransmissions %u "
		 "(timeout %u, fast %u); ", (unsigned long long)m->bytes_out,
		 (unsigned long long)m->bytes_in, m->segs_out, m->segs_in,
		 m->rexmt_timeout + m->rexmt_fast, m->rexmt_timeout, m->rexmt_fast);
	if (m->srtt_us)
		line_add(l, "rtt min %u.%03u ms, srtt %u.%03u ms, ", m->rtt_min_us / 1000,
			 m->rtt_min_us % 1000, m->srtt_us / 1000, m->srtt_us % 1000);
	else
		line_add(l, "no rtt sample, ");
	line_add(l, "rto %u ms; cwnd %u", m->rto_ms, m->cwnd);
}

/* " [D-SACK a:b]" after a segment whose first SACK block reports a duplicate
 * (RFC 2883 4: below the cumulative ACK, or inside the second block); tcpdump
 * prints it as any other block. */
static size_t dsack_fmt(const uint8_t *pkt, size_t len, char *buf, size_t cap)
{
	struct ip_pkt ip;
	struct seg sg;
	const struct sack_block *b = sg.sack;
	int n;

	if (ip_parse(&ip, pkt, len) || ip.proto != IPPROTO_TCP_ || tcp_parse(&sg, &ip) ||
	    !sg.n_sack || !(sg.flags & TH_ACK))
		return 0;
	if (!SEQ_LEQ(b[0].end, sg.ack) && !(sg.n_sack > 1 && SEQ_GEQ(b[0].start, b[1].start) &&
					    SEQ_LEQ(b[0].end, b[1].end)))
		return 0;
	n = snprintf(buf, cap, " [D-SACK %u:%u]", b[0].start, b[0].end);
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
	} else if (ev->kind == TRACE_SUMMARY) {
		struct line l = { buf, cap, 0 };
		line_add(&l, "%s:%u > %s:%u ", la, ev->conn.lport, ra, ev->conn.rport);
		summary_fmt(&l, ev->sum);
		n = (int)l.n;
	} else if (ev->kind == TRACE_DROP && !ev->pkt) {   /* no packet: a broken invariant */
		n = snprintf(buf, cap, "%s: %s", stat_name(ev->reason), ev->cause ? ev->cause : "?");
	} else if (ev->kind == TRACE_DROP) {
		n = snprintf(buf, cap, "drop (%s) ", stat_name(ev->reason));
		if (n > 0 && (size_t)n < cap)
			n += (int)trace_format_packet(ev->pkt, ev->len, buf + n, cap - (size_t)n);
	} else if (ev->kind == TRACE_TIMER || ev->kind == TRACE_USER || ev->kind == TRACE_CC ||
		   ev->kind == TRACE_ICMP || ev->kind == TRACE_RTT) {
		n = snprintf(buf, cap, "%s:%u > %s:%u %s %s: %s", la, ev->conn.lport, ra,
			     ev->conn.rport, tcp_state_name(ev->from), kind_word(ev->kind), ev->cause);
		if (ev->kind == TRACE_CC && n > 0 && (size_t)n < cap)
			n += (int)cc_fmt(ev, buf + n, cap - (size_t)n);
	} else {
		n = (int)trace_format_packet(ev->pkt, ev->len, buf, cap);
		if (n > 0 && (size_t)n < cap)
			n += (int)dsack_fmt(ev->pkt, ev->len, buf + n, cap - (size_t)n);
		if (ev->kind == TRACE_SEG_OUT && ev->cwnd && n > 0 && (size_t)n < cap)
			n += (int)cc_fmt(ev, buf + n, cap - (size_t)n);
	}
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static void line_hex(struct line *l, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		line_add(l, "%02x", p[i]);
}

/* In tcpdump's order (its tcp_flag_values): "S.E" for SYN, ACK, ECE. */
static void flags_fmt(char *buf, uint8_t f)
{
	static const struct { uint8_t bit; char c; } order[] = { { TH_FIN, 'F' },
		{ TH_SYN, 'S' }, { TH_RST, 'R' }, { TH_PSH, 'P' }, { TH_ACK, '.' },
		{ TH_URG, 'U' }, { TH_ECE, 'E' }, { TH_CWR, 'W' } };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (f & order[i].bit)
			buf[n++] = order[i].c;
	buf[n] = 0;
	if (n == 0)
		snprintf(buf, 5, "none");
}

/* The option names of tcpdump 4.99 (print-tcp.c); a kind not here is "unknown-N". */
static const char *const opt_names[256] = {
	[TCP_OPT_EOL] = "eol", [TCP_OPT_NOP] = "nop", [TCP_OPT_MSS] = "mss",
	[TCP_OPT_WSCALE] = "wscale", [TCP_OPT_SACK_OK] = "sackOK", [TCP_OPT_SACK] = "sack",
	[TCP_OPT_ECHO] = "echo", [TCP_OPT_ECHOREPLY] = "echoreply", [TCP_OPT_TS] = "TS",
	[TCP_OPT_CC] = "cc", [TCP_OPT_CCNEW] = "ccnew", [TCP_OPT_CCECHO] = "",
	[TCP_OPT_MD5] = "md5", [TCP_OPT_SCPS] = "scps", [TCP_OPT_UTO] = "uto",
	[TCP_OPT_AO] = "tcp-ao", [TCP_OPT_MPTCP] = "mptcp", [TCP_OPT_TFO] = "tfo",
	[TCP_OPT_EXP] = "exp",
};

/* How many value bytes tcpdump reads: a fixed number for the kinds of fixed size,
 * whatever their length byte says (it then adds "[len N]" and reads on from there,
 * as we do), else what the length byte says. */
static size_t opt_value_len(const struct tcp_opt *o)
{
	switch (o->kind) {
	case TCP_OPT_EOL: case TCP_OPT_NOP: case TCP_OPT_SACK_OK:
		return 0;
	case TCP_OPT_WSCALE:
		return 1;
	case TCP_OPT_MSS: case TCP_OPT_SCPS: case TCP_OPT_UTO:
		return 2;
	case TCP_OPT_ECHO: case TCP_OPT_ECHOREPLY: case TCP_OPT_CC: case TCP_OPT_CCNEW:
	case TCP_OPT_CCECHO:
		return 4;
	case TCP_OPT_TS:
		return 8;
	case TCP_OPT_MD5:
		return 16;
	default:
		return (size_t)o->len - 2;
	}
}

/* RFC 7413 TCP Fast Open: a cookie request, or a cookie of 4 to 16 bytes. */
static void tfo_fmt(struct line *l, const uint8_t *v, size_t len)
{
	if (len == 0) {
		line_add(l, " cookiereq");
	} else if (len % 2 || len < 4 || len > 16) {
		line_add(l, " (invalid)");
	} else {
		line_add(l, " cookie ");
		line_hex(l, v, len);
	}
}

/* RFC 8684 MPTCP: length and subtype, and MP_CAPABLE decoded as tcpdump does. Not
 * implemented: the other subtypes' fields (tcpdump prints them): this stack never
 * answers MP_CAPABLE, so a peer falls back to TCP after its SYN (RFC 8684 3.1). */
static bool mptcp_fmt(struct line *l, const struct tcp_opt *o, uint8_t flags)
{
	static const char *const sub[] = { "capable", "join", "dss", "add-addr", "rem-addr",
		"prio", "fail", "fast-close", "unknown" };
	const uint8_t *v = o->val;
	unsigned n = o->len, ver;

	if (n < 3)
		return false;
	ver = v[0] & 15;
	line_add(l, " %u %s", n, sub[v[0] >> 4 < 8 ? v[0] >> 4 : 8]);
	if (v[0] >> 4 != 0)
		return true;
	if (!((n == 4 || n == 12) && (flags & TH_SYN)) &&
	    !((n == 20 || n == 22) && (flags & (TH_SYN | TH_ACK)) == TH_ACK))
		return false;
	if (ver > 1) {
		line_add(l, " Unknown Version (%u)", ver);
		return true;
	}
	line_add(l, " v%u%s", ver, v[1] & 0x80 ? " csum" : "");
	if (n >= 12)
		line_add(l, " {0x%" PRIx64, (uint64_t)get32(v + 2) << 32 | get32(v + 6));
	if (n >= 20)
		line_add(l, ",0x%" PRIx64, (uint64_t)get32(v + 10) << 32 | get32(v + 14));
	if (n >= 12)
		line_add(l, "}");
	return true;
}

/* The value of a named kind of fixed size (opt_value_len), as tcpdump prints it. */
static void opt_fixed_fmt(struct line *l, const struct tcp_opt *o, size_t d)
{
	const uint8_t *v = o->val;

	switch (o->kind) {
	case TCP_OPT_MSS:
		line_add(l, " %u", get16(v));
		break;
	case TCP_OPT_WSCALE:
		line_add(l, " %u", v[0]);
		break;
	case TCP_OPT_TS:
		line_add(l, " val %u ecr %u", get32(v), get32(v + 4));
		break;
	case TCP_OPT_SCPS:
		line_add(l, " cap %02x id %u", v[0], v[1]);
		break;
	case TCP_OPT_UTO:                        /* RFC 5482: seconds, or minutes if bit 0 */
		line_add(l, " 0x%x %u", get16(v), get16(v) & 1 ? (get16(v) >> 1) * 60u : get16(v) >> 1);
		break;
	case TCP_OPT_MD5:                        /* as Debian's tcpdump (with OpenSSL) has it */
		line_add(l, " shared secret not supplied with -M, can't check - ");
		line_hex(l, v, d);
		break;
	default:                                 /* echo, echoreply, cc, ccnew, ccecho */
		line_add(l, " %u", get32(v));
		break;
	}
}

/* What follows an option's name, from its d value bytes; false for tcpdump's
 * "[bad opt]". SACK edges are absolute, as the sequence numbers (tcpdump -S). */
static bool opt_value_fmt(struct line *l, const struct tcp_opt *o, size_t d, uint8_t flags)
{
	const uint8_t *v = o->val;

	switch (o->kind) {
	case TCP_OPT_SACK:
		if (d % 8)
			line_add(l, " invalid sack");
		else
			line_add(l, " %zu ", d / 8);
		for (size_t i = 0; d % 8 == 0 && i < d; i += 8)
			line_add(l, "{%u:%u}", get32(v + i), get32(v + i + 4));
		return true;
	case TCP_OPT_AO:                         /* RFC 5925 2.2 */
		if (d < 2)
			line_add(l, " (invalid)");
		else
			line_add(l, " keyid %u rnextkeyid %u%s", v[0], v[1], d > 2 ? " mac 0x" : "");
		line_hex(l, v + 2, d > 2 ? d - 2 : 0);
		return true;
	case TCP_OPT_MPTCP:
		return mptcp_fmt(l, o, flags);
	case TCP_OPT_TFO:
		line_add(l, " ");                /* sic: tcpdump prints "tfo  cookiereq" */
		tfo_fmt(l, v, d);
		return true;
	case TCP_OPT_EXP:                        /* RFC 6994: a 16-bit experiment id first */
		if (d < 2)
			return false;
		if (get16(v) != 0xf989) {
			line_add(l, "-%04x", get16(v));
			return true;
		}
		line_add(l, "-tfo");             /* RFC 7413 before its kind was assigned */
		tfo_fmt(l, v + 2, d - 2);
		return true;
	case TCP_OPT_EOL: case TCP_OPT_NOP: case TCP_OPT_SACK_OK:
		return true;
	default:
		if (opt_names[o->kind]) {        /* the other named kinds have a fixed size */
			opt_fixed_fmt(l, o, d);
			return true;
		}
		if (d)                           /* an unknown kind: its value in hex */
			line_add(l, " 0x");
		line_hex(l, v, d);
		return true;
	}
}

/* Where tcpdump gives up on the options it ends the line, without a length: a
 * length byte past the end of the packet is a truncation, anything else a bad option
 * (closed by "]" only after a first good one). */
static bool opt_bad(struct line *l, size_t off, bool truncated)
{
	if (truncated)
		line_add(l, " [|tcp]");
	else
		line_add(l, off ? "[bad opt]]" : "[bad opt]");
	return false;
}

/* ", options [...]": every option in wire order, also those the stack ignores, as
 * tcpdump 4.99 prints them. False where tcpdump stops the line. */
static bool opts_fmt(struct line *l, const uint8_t *opt, size_t len, const struct seg *sg)
{
	struct tcp_opt o;
	size_t d;

	if (len == 0)
		return true;
	line_add(l, ", options [");
	for (size_t off = 0; off < len; off = (size_t)(o.val - opt) + d) {
		if (off)
			line_add(l, ",");
		if (tcp_opt_at(opt, len, off, &o) != 0)
			return opt_bad(l, off, off + 1 == len && sg->dlen == 0);
		if (opt_names[o.kind])
			line_add(l, "%s", opt_names[o.kind]);
		else
			line_add(l, "unknown-%u", o.kind);
		d = opt_value_len(&o);
		if (d > (size_t)(opt + len - o.val) || !opt_value_fmt(l, &o, d, sg->flags))
			return opt_bad(l, off, false);
		if ((size_t)(o.val - opt) - off + d != o.len)
			line_add(l, "[len %u]", o.len);
		if (o.kind == TCP_OPT_EOL)
			break;
	}
	line_add(l, "]");
	return true;
}

/* tcpdump -n -S style (print-tcp.c): absolute sequence numbers. */
static void tcp_fmt(struct line *l, const char *sa, const char *da, const struct ip_pkt *ip,
		    const struct seg *sg)
{
	const uint8_t *opt = ip->payload + TCP_HDR_LEN;
	char fl[12];

	flags_fmt(fl, sg->flags);
	line_add(l, "IP %s.%u > %s.%u: Flags [%s]", sa, sg->sport, da, sg->dport, fl);
	if (sg->dlen || (sg->flags & (TH_SYN | TH_FIN | TH_RST)))
		line_add(l, ", seq %u", sg->seq);
	if (sg->dlen)
		line_add(l, ":%u", sg->seq + sg->dlen);
	if (sg->flags & TH_ACK)
		line_add(l, ", ack %u", sg->ack);
	line_add(l, ", win %u", sg->wnd);
	if (sg->flags & TH_URG)
		line_add(l, ", urg %u", sg->up);
	if (opts_fmt(l, opt, (size_t)(sg->data - opt), sg))
		line_add(l, ", length %u", sg->dlen);
}

/* Destination unreachable as tcpdump names each code: what follows "ICMP ". */
static void icmp_unreach_fmt(struct line *l, const uint8_t *icmp, size_t len, const char *qd)
{
	static const char *const what[16] = {
		"net %s unreachable", "host %s unreachable", NULL, NULL, NULL,
		"%s unreachable - source route failed", "net %s unreachable - unknown",
		"host %s unreachable - unknown", "%s unreachable - source host isolated",
		"net %s unreachable - admin prohibited", "host %s unreachable - admin prohibited",
		"net %s unreachable - tos prohibited", "host %s unreachable - tos prohibited",
		"host %s unreachable - admin prohibited filter",
		"host %s unreachable - host precedence violation",
		"host %s unreachable - precedence cutoff",
	};
	const uint8_t *q = icmp + 8;
	const uint8_t *q4 = q + (q[0] & 0x0f) * 4;     /* the quoted datagram's first 8 bytes */
	uint8_t code = icmp[1], proto = q[9];

	if (code == ICMP_UNREACH_PROTOCOL)
		line_add(l, "%s protocol %u unreachable", qd, proto);
	else if (code == ICMP_UNREACH_PORT && (size_t)(q4 + 4 - icmp) > len)
		line_add(l, "[|icmp]");                  /* the quoted ports are not there */
	else if (code == ICMP_UNREACH_PORT && (proto == IPPROTO_TCP_ || proto == 17))
		line_add(l, "%s %s port %u unreachable", qd, proto == 17 ? "udp" : "tcp", get16(q4 + 2));
	else if (code == ICMP_UNREACH_PORT)
		line_add(l, "%s protocol %u port %u unreachable", qd, proto, get16(q4 + 2));
	else if (code == ICMP_UNREACH_NEEDFRAG && get16(icmp + 6))
		line_add(l, "%s unreachable - need to frag (mtu %u)", qd, get16(icmp + 6));
	else if (code == ICMP_UNREACH_NEEDFRAG)
		line_add(l, "%s unreachable - need to frag", qd);
	else if (code < 16)
		line_add(l, what[code], qd);
	else
		line_add(l, "%s unreachable - #%u", qd, code);
}

/* "ICMP ..., length N" as tcpdump -n prints it (without -v: the quoted datagram of
 * an error is not printed). */
static void icmp_fmt(struct line *l, const char *sa, const char *da, const struct ip_pkt *ip)
{
	const uint8_t *p = ip->payload;
	char qd[16];

	line_add(l, "IP %s > %s: ICMP ", sa, da);
	if (ip->payload_len < 8) {
		line_add(l, "[|icmp]");
		return;
	}
	if (p[0] == ICMP_UNREACH || p[0] == ICMP_TIME_EXCEEDED || p[0] == ICMP_PARAM_PROBLEM) {
		if (ip->payload_len < 8 + IP_HDR_LEN) {   /* the quoted header is needed */
			line_add(l, "[|icmp]");
			return;
		}
		addr_fmt(qd, sizeof(qd), get32(p + 8 + 16));
	}
	if (p[0] == ICMP_ECHO_REQUEST || p[0] == ICMP_ECHO_REPLY)
		line_add(l, "echo %s, id %u, seq %u", p[0] == ICMP_ECHO_REQUEST ? "request" : "reply",
			 get16(p + 4), get16(p + 6));
	else if (p[0] == ICMP_UNREACH)
		icmp_unreach_fmt(l, p, ip->payload_len, qd);
	else if (p[0] == ICMP_TIME_EXCEEDED && p[1] < 2)
		line_add(l, p[1] ? "ip reassembly time exceeded" : "time exceeded in-transit");
	else if (p[0] == ICMP_TIME_EXCEEDED)
		line_add(l, "time exceeded-#%u", p[1]);
	else if (p[0] == ICMP_PARAM_PROBLEM && p[1])
		line_add(l, "parameter problem - code %u", p[1]);
	else if (p[0] == ICMP_PARAM_PROBLEM)
		line_add(l, "parameter problem - octet %u", p[4]);
	else if (p[0] == ICMP_QUENCH)
		line_add(l, "source quench");
	else
		line_add(l, "type-#%u", p[0]);
	line_add(l, ", length %zu", ip->payload_len);
}

/* UDP, as tcpdump -n prints it: the stack does not speak it, but a student sends it. */
static void udp_fmt(struct line *l, const char *sa, const char *da, const struct ip_pkt *ip)
{
	if (ip->payload_len < 8 || get16(ip->payload + 4) < 8)
		line_add(l, "IP %s > %s: [|udp]", sa, da);
	else
		line_add(l, "IP %s.%u > %s.%u: UDP, length %u", sa, get16(ip->payload), da,
			 get16(ip->payload + 2), get16(ip->payload + 4) - 8u);
}

size_t trace_format_packet(const uint8_t *pkt, size_t len, char *buf, size_t cap)
{
	struct line l = { buf, cap, 0 };
	struct ip_pkt ip;
	struct seg sg;
	char sa[16], da[16];
	int bad = ip_parse(&ip, pkt, len);

	if (cap == 0)
		return 0;
	buf[0] = 0;
	if (bad) {
		line_add(&l, "%s, %zu bytes", len && pkt[0] >> 4 == 6 ?
			 "IP6 (not supported)" : "IP bad packet", len);
		return l.n;
	}
	addr_fmt(sa, sizeof(sa), ip.src);
	addr_fmt(da, sizeof(da), ip.dst);
	bad = ip.proto == IPPROTO_TCP_ ? tcp_parse(&sg, &ip) : 0;
	if (ip.proto == IPPROTO_TCP_ && (bad == 0 || bad == STAT_DROP_TCP_OPT))
		tcp_fmt(&l, sa, da, &ip, &sg);   /* a bad option: tcpdump prints the header too */
	else if (ip.proto == IPPROTO_TCP_)
		line_add(&l, "IP %s > %s: tcp, bad (%s), length %zu", sa, da,
			 stat_name((enum stat_id)bad), ip.payload_len);
	else if (ip.proto == IPPROTO_ICMP_)
		icmp_fmt(&l, sa, da, &ip);
	else if (ip.proto == 17)
		udp_fmt(&l, sa, da, &ip);
	else
		line_add(&l, "IP %s > %s: proto %u, length %zu", sa, da, ip.proto,
			 ip.payload_len);
	return l.n;
}

/* ---- JSON: one object per event, for grading scripts and notebooks ---- */

/* An object being built: members are separated by commas as they are added. */
struct json { struct line l; int members; };

static void json_key(struct json *j, const char *key)
{
	line_add(&j->l, "%s\"%s\":", j->members++ ? "," : "", key);
}

static void json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	line_add(&j->l, "\"");
	for (; v && *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == '"' || c == '\\')
			line_add(&j->l, "\\%c", c);
		else if (c < 0x20)
			line_add(&j->l, "\\u%04x", c);
		else
			line_add(&j->l, "%c", c);
	}
	line_add(&j->l, "\"");
}

static void json_num(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	line_add(&j->l, "%" PRIu64, v);
}

static void json_conn(struct json *j, const struct trace_conn *c)
{
	char a[16], buf[24];

	addr_fmt(a, sizeof(a), c->laddr);
	snprintf(buf, sizeof(buf), "%s:%u", a, c->lport);
	json_str(j, "local", buf);
	addr_fmt(a, sizeof(a), c->raddr);
	if (c->raddr)
		snprintf(buf, sizeof(buf), "%s:%u", a, c->rport);
	else
		snprintf(buf, sizeof(buf), "*:*");
	json_str(j, "remote", buf);
}

/* cwnd and ssthresh (null while "infinite", RFC 5681's initial value) */
static void json_cc(struct json *j, const struct trace_event *ev)
{
	json_num(j, "cwnd", ev->cwnd);
	if (ev->scaled_wnd)
		json_num(j, "scaled_win", ev->scaled_wnd);
	if (ev->ssthresh < 0x7fffffffu) {
		json_num(j, "ssthresh", ev->ssthresh);
	} else {
		json_key(j, "ssthresh");
		line_add(&j->l, "null");
	}
}

/* A packet: its tcpdump-style line, and for TCP the fields a script wants. */
static void json_packet(struct json *j, const uint8_t *pkt, size_t len)
{
	char text[512], fl[12];
	struct ip_pkt ip;
	struct seg sg;

	trace_format_packet(pkt, len, text, sizeof(text));
	json_str(j, "line", text);
	if (ip_parse(&ip, pkt, len) || ip.proto != IPPROTO_TCP_ || tcp_parse(&sg, &ip))
		return;
	flags_fmt(fl, sg.flags);
	json_num(j, "sport", sg.sport);
	json_num(j, "dport", sg.dport);
	json_str(j, "flags", fl);
	json_num(j, "seq", sg.seq);
	json_num(j, "ack", sg.ack);
	json_num(j, "win", sg.wnd);
	json_num(j, "len", sg.dlen);
}

static void json_segment(struct json *j, const struct trace_event *ev)
{
	json_str(j, "dir", ev->kind == TRACE_SEG_IN ? "in" : "out");
	json_packet(j, ev->pkt, ev->len);
	if (ev->kind == TRACE_SEG_OUT && ev->cwnd)
		json_cc(j, ev);
	if (ev->rexmt > 0) {
		json_num(j, "retransmission", (uint64_t)ev->rexmt);
		json_num(j, "rto_ms", ev->rto_ms);
	} else if (ev->rexmt < 0) {
		json_str(j, "retransmission", "at once");
	}
}

static void json_summary(struct json *j, const struct trace_summary *m)
{
	char how[256];
	struct line h = { how, sizeof(how), 0 };

	how[0] = 0;
	summary_how(&h, m);
	json_str(j, "how", how);
	json_str(j, "first_fin", m->first_fin == 1 ? "us" : m->first_fin == 2 ? "peer" : "");
	json_str(j, "ended_in", tcp_state_name(m->ended_in));
	json_str(j, "cause", m->cause);
	json_num(j, "lifetime_us", m->lifetime_us);
	json_key(j, "states_us");
	line_add(&j->l, "{");
	for (int i = 0, k = 0; i < TCP_NSTATES; i++)
		if (m->visited & 1u << i)
			line_add(&j->l, "%s\"%s\":%" PRIu64, k++ ? "," : "",
				 tcp_state_name((enum tcp_state)i), m->in_state[i]);
	line_add(&j->l, "}");
	json_num(j, "bytes_out", m->bytes_out);
	json_num(j, "bytes_in", m->bytes_in);
	json_num(j, "segs_out", m->segs_out);
	json_num(j, "segs_in", m->segs_in);
	json_num(j, "rexmt_timeout", m->rexmt_timeout);
	json_num(j, "rexmt_fast", m->rexmt_fast);
	json_num(j, "rtt_min_us", m->rtt_min_us);
	json_num(j, "srtt_us", m->srtt_us);
	json_num(j, "rto_ms", m->rto_ms);
	json_num(j, "cwnd", m->cwnd);
}

static const char *const json_kinds[] = {
	[TRACE_SEG_IN] = "segment", [TRACE_SEG_OUT] = "segment", [TRACE_STATE] = "state",
	[TRACE_TIMER] = "timer", [TRACE_DROP] = "drop", [TRACE_USER] = "user",
	[TRACE_CC] = "cc", [TRACE_ICMP] = "icmp", [TRACE_SUMMARY] = "summary", [TRACE_RTT] = "rtt",
};

/* What each kind adds to the common members. */
static void json_body(struct json *j, const struct trace_event *ev)
{
	switch (ev->kind) {
	case TRACE_SEG_IN:
	case TRACE_SEG_OUT:
		json_segment(j, ev);
		break;
	case TRACE_DROP:
		json_str(j, "reason", stat_name(ev->reason));
		if (ev->pkt)
			json_packet(j, ev->pkt, ev->len);
		else
			json_str(j, "what", ev->cause);
		break;
	case TRACE_STATE:
		json_conn(j, &ev->conn);
		json_str(j, "from", tcp_state_name(ev->from));
		json_str(j, "to", tcp_state_name(ev->to));
		json_str(j, "cause", ev->cause);
		json_str(j, "rfc", ev->rfc);
		if (ev->to == TCP_TIME_WAIT)
			json_num(j, "time_wait_us", ev->duration);
		break;
	case TRACE_SUMMARY:
		json_conn(j, &ev->conn);
		json_summary(j, ev->sum);
		break;
	default:                                     /* timer, user, cc, icmp, rtt */
		json_conn(j, &ev->conn);
		json_str(j, "state", tcp_state_name(ev->from));
		json_str(j, "what", ev->cause);
		if (ev->kind == TRACE_CC)
			json_cc(j, ev);
		break;
	}
}

/* "{"time":...,"epoch_us":...,"kind":...": the members every object starts with. */
static void json_begin(struct json *j, const char *time, uint64_t epoch_us, const char *kind)
{
	j->l.buf[0] = 0;
	line_add(&j->l, "{");
	json_str(j, "time", time);
	json_num(j, "epoch_us", epoch_us);
	json_str(j, "kind", kind);
}

size_t trace_format_json(const struct trace_event *ev, const char *time, uint64_t epoch_us,
			 char *buf, size_t cap)
{
	struct json j = { { buf, cap, 0 }, 0 };

	if (cap == 0)
		return 0;
	json_begin(&j, time, epoch_us, (unsigned)ev->kind < sizeof(json_kinds) /
		   sizeof(json_kinds[0]) ? json_kinds[ev->kind] : "?");
	json_body(&j, ev);
	line_add(&j.l, "}");
	return j.l.n;
}

size_t trace_format_json_impair(const char *time, uint64_t epoch_us, const char *dir,
				const char *what, const uint8_t *pkt, size_t len,
				char *buf, size_t cap)
{
	struct json j = { { buf, cap, 0 }, 0 };

	if (cap == 0)
		return 0;
	json_begin(&j, time, epoch_us, "impair");
	json_str(&j, "dir", dir);
	json_str(&j, "what", what);
	json_packet(&j, pkt, len);
	line_add(&j.l, "}");
	return j.l.n;
}

/* hostile.c - a hostile network for t_hostile.sh: sends a few hundred malformed and
 * hostile IPv4 packets into a TUN device, as if they came from the network, at a
 * stack listening on --dst:--port, and watches what the stack answers.
 *
 * The packets go out through an AF_PACKET socket bound to the device (a raw IP
 * socket would not do: the kernel rewrites the total length and checksum of what it
 * sends), so what is written here is what the stack reads, byte for byte. The same
 * socket sees what the stack sends back. Every case is sent from an address that
 * says what the stack must do with it:
 *   --silent-src (10.0.0.66)   must be dropped without an answer (a bad checksum...);
 *   --answer-src (10.0.0.3)    may or must be answered: the answer is waited for and
 *                              checked; a child connection it creates is reset at once;
 *   bogus sources (0.0.0.0, broadcast, multicast, loopback, the stack's own
 *                              address) must never be answered either;
 *   198.18.0.0/15              the SYN flood; 192.0.2.0/24 random packets.
 * It also completes a handshake of its own (from --answer-src) to test an established
 * connection precisely (RFC 5961: in-window RST and SYN get a challenge ACK, ...), and,
 * with --victim-port, sprays blind RSTs, SYNs and ACKs at the 4-tuple of a connection
 * the kernel (--src) holds open. The SYN flood comes last: it may fill the backlog.
 *
 * Output: one line per category (packets sent, answers seen), "note:" lines for what
 * the RFCs leave open, "FAIL:" lines for what the stack must not do. Exit status 0,
 * 1 when something failed, 2 on bad usage, 3 when it cannot run.
 * It only ever sends on --dev, which must be a TUN device, and refuses to run in a
 * network namespace with other devices than loopback and TUN ones, or in PID 1's:
 * run it inside `unshare -n`. Its own connection sits in the listener's accept queue
 * (the test's server is busy with the held connection): an application that accepted
 * it and answered would upset the checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20,
       ECE = 0x40, CWR = 0x80 };

/* What the stack must do with a packet. */
enum expect {
	ANY,        /* no check (floods, random bytes, blind guesses) */
	SILENT,     /* drop it without a word */
	ANSWER,     /* answer it (the answer's flags are checked) */
	MAYBE,      /* either: the RFCs allow both; the outcome is printed as a note */
};

enum cat {
	C_TRUNC, C_VERSION, C_IHL, C_TOTLEN, C_PADDING, C_IPCSUM, C_IPOPT, C_FRAG, C_SRC,
	C_DST, C_PROTO, C_ICMP, C_TCPCSUM, C_TCPOFF, C_TCPOPT, C_URG, C_FLAGS, C_CLOSED,
	C_PORT0, C_LAND, C_PAYLOAD, C_CONN, C_BLIND, C_RANDOM, C_FLOOD, C_COUNT
};

static struct {
	const char *name;
	unsigned sent, answered;
} cats[C_COUNT] = {
	[C_TRUNC] = { .name = "truncated" },            [C_VERSION] = { .name = "ip version" },
	[C_IHL] = { .name = "ip header length" },       [C_TOTLEN] = { .name = "ip total length" },
	[C_PADDING] = { .name = "bytes past total length" }, [C_IPCSUM] = { .name = "ip checksum" },
	[C_IPOPT] = { .name = "ip options" },           [C_FRAG] = { .name = "ip fragments" },
	[C_SRC] = { .name = "bogus source address" },   [C_DST] = { .name = "not our destination" },
	[C_PROTO] = { .name = "ip protocol" },          [C_ICMP] = { .name = "icmp" },
	[C_TCPCSUM] = { .name = "tcp checksum" },       [C_TCPOFF] = { .name = "tcp data offset" },
	[C_TCPOPT] = { .name = "tcp options" },         [C_URG] = { .name = "urgent pointer" },
	[C_FLAGS] = { .name = "illegal flags at listener" }, [C_CLOSED] = { .name = "closed port" },
	[C_PORT0] = { .name = "port 0" },               [C_LAND] = { .name = "land (src == dst)" },
	[C_PAYLOAD] = { .name = "zero and max payload" }, [C_CONN] = { .name = "established (RFC 5961)" },
	[C_BLIND] = { .name = "blind into held conn" }, [C_RANDOM] = { .name = "random bytes" },
	[C_FLOOD] = { .name = "syn flood" },
};

/* ---- configuration ---- */

static const char *dev = "tun0";
static uint32_t kern = 0x0a000001, stk = 0x0a000002;  /* --src, --dst */
static uint32_t ans_src, sil_src;                       /* --answer-src, --silent-src */
static uint16_t lport = 1234, victim_port;
static unsigned count = 300;
static uint64_t rng;

#define FLOOD_NET   0xc6120000u      /* 198.18.0.0/15 (RFC 2544) */
#define FLOOD_MASK  0xfffe0000u
#define RANDOM_NET  0xc0000200u      /* 192.0.2.0/24 (TEST-NET-1) */
#define RANDOM_MASK 0xffffff00u

static int fd = -1;
static struct sockaddr_ll dev_addr;
static unsigned failures, notes, total_sent;
static uint16_t next_port = 20000, ip_id = 1, conn_port;
static unsigned cleanups;

/* ---- small helpers ---- */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* splitmix64: every random choice comes from --seed */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
static uint32_t rnd32(void) { return (uint32_t)rnd(); }
static void rnd_bytes(uint8_t *p, size_t n) { while (n--) *p++ = (uint8_t)rnd(); }

static uint16_t port(void)
{
	uint16_t p = next_port++;

	if (next_port >= 60000)
		next_port = 20000;
	return p;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *ipstr(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	return buf;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	failures++;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("note: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	notes++;
}

/* ---- checksums and packet building ---- */

static uint16_t cksum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
}

static size_t ihl_of(const uint8_t *p) { return (size_t)(p[0] & 15) * 4; }

/* The IP header checksum, over IHL bytes (20 when IHL is nonsense). */
static void ip_fix(uint8_t *p, size_t len)
{
	size_t ihl = ihl_of(p);

	if (ihl < 20 || ihl > len)
		ihl = 20;
	put16(p + 10, 0);
	put16(p + 10, cksum(p, ihl, 0));
}

/* The TCP checksum of a packet whose IHL and total length are sane. */
static void tcp_fix(uint8_t *p)
{
	size_t ihl = ihl_of(p), tlen = get16(p + 2) - ihl;
	uint8_t *t = p + ihl;

	put16(t + 16, 0);
	put16(t + 16, cksum(t, tlen, pseudo(get32(p + 12), get32(p + 16), 6, tlen)));
}

static void ip_header(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, size_t ihl,
		      size_t total)
{
	memset(p, 0, 20);
	p[0] = (uint8_t)(0x40 | ihl / 4);
	put16(p + 2, (uint32_t)total);
	put16(p + 4, ip_id++);
	put16(p + 6, 0x4000);                 /* DF */
	p[8] = 64;
	p[9] = proto;
	put32(p + 12, src);
	put32(p + 16, dst);
}

/* A TCP segment as the stack should see it; build() makes a correct packet of it. */
struct tcp {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, urp;
	const uint8_t *opt;                   /* TCP options, a multiple of 4 bytes */
	size_t optlen;
	const uint8_t *ipopt;                 /* IP options, a multiple of 4 bytes */
	size_t ipoptlen;
	const uint8_t *data;
	size_t dlen;
};

static const uint8_t mss1460[] = { 2, 4, 0x05, 0xb4 };

/* A SYN from `src` (a fresh port) to the listener, with an MSS option. */
static struct tcp syn_from(uint32_t src)
{
	return (struct tcp){ .src = src, .dst = stk, .sport = port(), .dport = lport,
			     .seq = rnd32(), .flags = SYN, .win = 64240,
			     .opt = mss1460, .optlen = sizeof(mss1460) };
}

static size_t build(uint8_t *p, const struct tcp *t)
{
	size_t ihl = 20 + t->ipoptlen, off = 20 + t->optlen, len = ihl + off + t->dlen;
	uint8_t *h = p + ihl;

	ip_header(p, t->src, t->dst, 6, ihl, len);
	if (t->ipoptlen)
		memcpy(p + 20, t->ipopt, t->ipoptlen);
	memset(h, 0, 20);
	put16(h, t->sport);
	put16(h + 2, t->dport);
	put32(h + 4, t->seq);
	put32(h + 8, t->ack);
	h[12] = (uint8_t)(off / 4 << 4);
	h[13] = t->flags;
	put16(h + 14, t->win);
	put16(h + 18, t->urp);
	if (t->optlen)
		memcpy(h + 20, t->opt, t->optlen);
	if (t->dlen)
		memcpy(h + off, t->data, t->dlen);
	tcp_fix(p);
	ip_fix(p, len);
	return len;
}

static size_t build_icmp(uint8_t *p, uint32_t src, uint8_t type, uint16_t id,
			 const uint8_t *data, size_t dlen)
{
	uint8_t *c = p + 20;

	ip_header(p, src, stk, 1, 20, 28 + dlen);
	memset(c, 0, 8);
	c[0] = type;
	put16(c + 4, id);
	put16(c + 6, 1);
	if (dlen)
		memcpy(c + 8, data, dlen);
	put16(c + 2, cksum(c, 8 + dlen, 0));
	ip_fix(p, 28 + dlen);
	return 28 + dlen;
}

/* ---- what the stack sends back ---- */

struct reply {
	uint32_t dst;
	uint16_t sport, dport;    /* ICMP: dport is the echo identifier */
	uint32_t seq, ack, dlen;
	uint8_t proto, flags, type;
	bool taken;
};
static bool proto_unreach[256];  /* protocols the stack answered with "protocol unreachable" */
#define MAX_REPLIES 8192
static struct reply replies[MAX_REPLIES];
static size_t n_replies;
static unsigned stack_bad_cksum, stack_sent;

/* Packets that must not be answered, to name the culprit if one is. */
struct silent { uint32_t src; uint16_t port; enum cat cat; char what[56]; };
#define MAX_SILENT 4096
static struct silent silents[MAX_SILENT];
static size_t n_silent;

static bool forbidden_dst(uint32_t a)
{
	return a == sil_src || a == 0 || a == 0xffffffffu || (a >> 28) == 0xe || a == stk ||
	       (a >> 24) == 127;
}

static bool in_flood(uint32_t a) { return (a & FLOOD_MASK) == FLOOD_NET; }

static const char *flag_str(uint8_t f, char buf[12])
{
	size_t n = 0;

	if (f & SYN) buf[n++] = 'S';
	if (f & FIN) buf[n++] = 'F';
	if (f & RST) buf[n++] = 'R';
	if (f & PSH) buf[n++] = 'P';
	if (f & URG) buf[n++] = 'U';
	if (f & ECE) buf[n++] = 'E';
	if (f & CWR) buf[n++] = 'W';
	if (f & ACK) buf[n++] = '.';
	buf[n] = 0;
	return n ? buf : "none";
}

static const char *reply_str(const struct reply *r, char buf[160])
{
	char d[16], s[16], f[12];

	if (r->proto == 6)
		snprintf(buf, 160, "%s.%u > %s.%u Flags [%s] seq %u ack %u length %u",
			 ipstr(stk, s), r->sport, ipstr(r->dst, d), r->dport,
			 flag_str(r->flags, f), r->seq, r->ack, r->dlen);
	else
		snprintf(buf, 160, "%s > %s proto %u type %u id %u", ipstr(stk, s),
			 ipstr(r->dst, d), r->proto, r->type, r->dport);
	return buf;
}

static void send_raw(const uint8_t *p, size_t len);

/* One packet from the stack: check its checksums, see whom it answers. */
static void take_reply(const uint8_t *p, size_t len)
{
	struct reply r = { 0 };
	size_t ihl, total;
	char buf[160];

	if (len < 20 || p[0] >> 4 != 4 || get32(p + 12) != stk)
		return;
	ihl = ihl_of(p);
	total = get16(p + 2);
	if (ihl < 20 || total < ihl || total > len)
		return;
	stack_sent++;
	r.dst = get32(p + 16);
	r.proto = p[9];
	if (cksum(p, ihl, 0) != 0)
		stack_bad_cksum++;
	if (r.proto == 6 && total >= ihl + 20) {
		const uint8_t *t = p + ihl;
		if (cksum(t, total - ihl, pseudo(stk, r.dst, 6, total - ihl)) != 0)
			stack_bad_cksum++;
		r.sport = get16(t);
		r.dport = get16(t + 2);
		r.seq = get32(t + 4);
		r.ack = get32(t + 8);
		r.flags = t[13];
		r.dlen = (uint32_t)(total - ihl - (size_t)(t[12] >> 4) * 4);
	} else if (r.proto == 1 && total >= ihl + 8) {
		if (cksum(p + ihl, total - ihl, 0) != 0)
			stack_bad_cksum++;
		r.type = p[ihl];
		r.dport = get16(p + ihl + 4);
		if (r.type == 3 && p[ihl + 1] == 2 && total >= ihl + 8 + 20 && r.dst == ans_src)
			proto_unreach[p[ihl + 8 + 9]] = true;   /* the quoted header's protocol */
	}
	if (forbidden_dst(r.dst)) {
		const struct silent *s = NULL;
		for (size_t i = 0; i < n_silent && !s; i++)
			if (silents[i].src == r.dst && silents[i].port == r.dport)
				s = &silents[i];
		fail("answered a packet it must drop: [%s] %s; the stack sent %s",
		     s ? cats[s->cat].name : "?", s ? s->what : "(not found by address and port)",
		     reply_str(&r, buf));
	}
	/* A SYN,ACK to one of our probes: reset the child at once (its RCV.NXT is the
	 * ACK field), so it does not hold a place in the backlog. */
	if (r.proto == 6 && (r.flags & (SYN | ACK | RST)) == (SYN | ACK) && !in_flood(r.dst) &&
	    r.dst != kern && !(r.dst == ans_src && r.dport == conn_port)) {
		uint8_t pkt[60];
		struct tcp t = { .src = r.dst, .dst = stk, .sport = r.dport, .dport = r.sport,
				 .seq = r.ack, .flags = RST };
		send_raw(pkt, build(pkt, &t));
		cleanups++;
	}
	if (in_flood(r.dst))
		cats[C_FLOOD].answered++;
	if (r.dst == kern && r.dport == victim_port && victim_port)
		cats[C_BLIND].answered++;
	if (n_replies < MAX_REPLIES)
		replies[n_replies++] = r;
}

/* Read what the stack sent, for up to `ms` milliseconds (0: what is there now). */
static void drain(int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	static uint8_t buf[65536];

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);

		if (n > 0) {
			if (from.sll_pkttype != PACKET_OUTGOING)   /* not the kernel's own */
				take_reply(buf, (size_t)n);
			continue;
		}
		uint64_t now = now_ms();
		if (now >= end)
			return;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		poll(&pfd, 1, (int)(end - now));
	}
}

/* The first answer to (addr, port) not looked at yet, waiting up to `ms`. */
static struct reply *wait_reply(uint32_t addr, uint16_t prt, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	for (;;) {
		for (size_t i = 0; i < n_replies; i++) {
			struct reply *r = &replies[i];
			if (!r->taken && r->dst == addr && r->dport == prt) {
				r->taken = true;
				return r;
			}
		}
		uint64_t now = now_ms();
		if (now >= end)
			return NULL;
		drain(end - now < 5 ? (int)(end - now) : 5);
	}
}

/* Forget the answers to (addr, port) not looked at yet. */
static void flush_replies(uint32_t addr, uint16_t prt)
{
	drain(0);
	while (wait_reply(addr, prt, 0))
		;
}

/* ---- sending ---- */

static void send_raw(const uint8_t *p, size_t len)
{
	if (sendto(fd, p, len, 0, (const struct sockaddr *)&dev_addr, sizeof(dev_addr)) < 0) {
		fprintf(stderr, "hostile: sending %zu bytes on %s: %s\n", len, dev, strerror(errno));
		exit(3);
	}
}

/* The source address and port (ICMP: echo identifier) of a packet we send. */
static void src_port(const uint8_t *p, size_t len, uint32_t *src, uint16_t *prt)
{
	size_t ihl = len >= 1 ? ihl_of(p) : 0;

	*src = len >= 16 ? get32(p + 12) : 0;
	*prt = 0;
	if (ihl >= 20 && len >= ihl + 6)
		*prt = get16(p + ihl + (p[9] == 1 ? 4 : 0));
}

static void emit(enum cat c, enum expect e, const char *what, const uint8_t *p, size_t len)
{
	send_raw(p, len);
	cats[c].sent++;
	if (e == SILENT && n_silent < MAX_SILENT) {
		struct silent *s = &silents[n_silent++];
		src_port(p, len, &s->src, &s->port);
		s->cat = c;
		snprintf(s->what, sizeof(s->what), "%s", what);
	}
	if (++total_sent % 16 == 0)
		drain(1);                     /* the device queue holds 500: let the stack read */
	else
		drain(0);
}

/* Send a packet that must (ANSWER) or may (MAYBE) be answered, and wait for the
 * answer: `want` is the flags it must have (TCP), or 0 (ICMP echo: a reply). */
static void probe(enum cat c, enum expect e, const char *what, const uint8_t *p, size_t len,
		  uint8_t want)
{
	uint32_t src;
	uint16_t prt;
	struct reply *r;
	char buf[160], f[12];

	if (e == SILENT || e == ANY) {
		emit(c, e, what, p, len);
		return;
	}
	src_port(p, len, &src, &prt);
	emit(c, e, what, p, len);
	r = wait_reply(src, prt, e == ANSWER ? 1000 : 300);
	if (r)
		cats[c].answered++;
	if (e == MAYBE) {
		note("[%s] %s: %s", cats[c].name, what, r ? "answered" : "dropped");
		return;
	}
	if (!r) {
		fail("[%s] %s: no answer (wanted %s)", cats[c].name, what,
		     want ? flag_str(want, f) : "icmp echo reply");
		return;
	}
	if (want ? r->proto != 6 || r->flags != want : r->proto != 1 || r->type != 0)
		fail("[%s] %s: answered with %s (wanted %s)", cats[c].name, what,
		     reply_str(r, buf), want ? flag_str(want, f) : "icmp echo reply");
	else if (want == (SYN | ACK) && r->ack != get32(p + ihl_of(p) + 4) + 1)
		fail("[%s] %s: SYN,ACK acknowledges %u, not SEG.SEQ+1", cats[c].name, what, r->ack);
}

/* ---- the cases ---- */

/* A valid SYN to the listener, in pkt; returns its length. */
static size_t valid_syn(uint8_t *p, uint32_t src)
{
	struct tcp t = syn_from(src);

	return build(p, &t);
}

static void truncated(void)
{
	static const size_t ip_short[] = { 1, 2, 4, 8, 12, 16, 19 };
	static const size_t tcp_short[] = { 0, 1, 8, 12, 19 };
	uint8_t p[1600];
	char what[56];
	size_t n = valid_syn(p, sil_src);

	for (size_t i = 0; i < sizeof(ip_short) / sizeof(ip_short[0]); i++) {
		snprintf(what, sizeof(what), "SYN cut to %zu bytes", ip_short[i]);
		emit(C_TRUNC, SILENT, what, p, ip_short[i]);
	}
	for (size_t i = 0; i < sizeof(tcp_short) / sizeof(tcp_short[0]); i++) {
		n = valid_syn(p, sil_src);
		put16(p + 2, (uint32_t)(20 + tcp_short[i]));
		ip_fix(p, n);
		snprintf(what, sizeof(what), "%zu bytes of TCP header", tcp_short[i]);
		emit(C_TRUNC, SILENT, what, p, 20 + tcp_short[i]);
	}
	/* IHL 6 (an IP option), but the packet ends inside the header */
	for (size_t len = 20; len < 24; len += 2) {
		uint8_t ipo[4] = { 1, 1, 1, 0 };
		struct tcp t = syn_from(sil_src);
		t.ipopt = ipo;
		t.ipoptlen = 4;
		build(p, &t);
		snprintf(what, sizeof(what), "IHL 6, packet of %zu bytes", len);
		emit(C_TRUNC, SILENT, what, p, len);
	}
	/* the total length is right, the bytes are not all there */
	for (size_t cut = 1; cut <= 20; cut *= 4) {
		n = valid_syn(p, sil_src);
		snprintf(what, sizeof(what), "SYN missing its last %zu bytes", cut);
		emit(C_TRUNC, SILENT, what, p, n - cut);
	}
}

static void version(void)
{
	static const uint8_t v[] = { 0, 1, 2, 3, 5, 6, 7, 15 };
	uint8_t p[100];
	char what[56];

	for (size_t i = 0; i < sizeof(v); i++) {
		size_t n = valid_syn(p, sil_src);
		p[0] = (uint8_t)(v[i] << 4 | 5);
		ip_fix(p, n);
		snprintf(what, sizeof(what), "SYN with IP version %u", v[i]);
		emit(C_VERSION, SILENT, what, p, n);
	}
}

static void header_length(void)
{
	uint8_t p[100];
	char what[56];

	for (unsigned ihl = 0; ihl < 5; ihl++) {          /* shorter than the fixed header */
		size_t n = valid_syn(p, sil_src);
		p[0] = (uint8_t)(0x40 | ihl);
		ip_fix(p, n);
		snprintf(what, sizeof(what), "SYN with IHL %u", ihl);
		emit(C_IHL, SILENT, what, p, n);
	}
	for (unsigned ihl = 12; ihl <= 15; ihl++) {       /* past the 44-byte packet */
		size_t n = valid_syn(p, sil_src);
		p[0] = (uint8_t)(0x40 | ihl);
		put16(p + 2, (uint32_t)n);
		ip_fix(p, n);
		snprintf(what, sizeof(what), "SYN with IHL %u in %zu bytes", ihl, n);
		emit(C_IHL, SILENT, what, p, n);
	}
	{   /* IHL 15 present in full, but the total length ends before it */
		uint8_t ipo[40];
		struct tcp t = syn_from(sil_src);
		memset(ipo, 1, sizeof(ipo));
		t.ipopt = ipo;
		t.ipoptlen = sizeof(ipo);
		size_t n = build(p, &t);
		put16(p + 2, 40);
		ip_fix(p, n);
		emit(C_IHL, SILENT, "IHL 15, total length 40", p, n);
	}
}

static void total_length(void)
{
	static const uint16_t big[] = { 45, 100, 1500, 65535 };
	static const uint16_t small[] = { 0, 1, 19 };
	uint8_t p[100];
	char what[56];

	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		size_t n = valid_syn(p, sil_src);            /* 44 bytes */
		put16(p + 2, big[i]);
		ip_fix(p, n);
		snprintf(what, sizeof(what), "total length %u, %zu bytes sent", big[i], n);
		emit(C_TOTLEN, SILENT, what, p, n);
	}
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		size_t n = valid_syn(p, sil_src);
		put16(p + 2, small[i]);
		ip_fix(p, n);
		snprintf(what, sizeof(what), "total length %u < IHL", small[i]);
		emit(C_TOTLEN, SILENT, what, p, n);
	}
	{
		size_t n = valid_syn(p, sil_src);
		put16(p + 2, 30);                             /* 10 bytes of TCP header */
		ip_fix(p, n);
		emit(C_TOTLEN, SILENT, "total length 30: TCP header cut", p, n);
	}
}

/* Link padding: bytes after the total length are not part of the packet. */
static void padding(void)
{
	static const size_t pad[] = { 1, 3, 20, 100, 1400 };
	uint8_t p[1600];
	char what[56];

	for (size_t i = 0; i < sizeof(pad) / sizeof(pad[0]); i++) {
		size_t n = valid_syn(p, ans_src);
		if (i % 2)
			rnd_bytes(p + n, pad[i]);
		else
			memset(p + n, 0, pad[i]);
		snprintf(what, sizeof(what), "SYN + %zu %s bytes past total length", pad[i],
			 i % 2 ? "random" : "zero");
		probe(C_PADDING, ANSWER, what, p, n + pad[i], SYN | ACK);
	}
}

static void ip_checksum(void)
{
	uint8_t p[100];
	uint16_t c;

	size_t n = valid_syn(p, sil_src);
	c = get16(p + 10);
	put16(p + 10, c ^ 1);
	emit(C_IPCSUM, SILENT, "SYN, IP checksum off by one bit", p, n);
	do                                                /* 0 and 0xffff are the same sum */
		n = valid_syn(p, sil_src);
	while (get16(p + 10) == 0 || get16(p + 10) == 0xffff);
	put16(p + 10, 0);
	emit(C_IPCSUM, SILENT, "SYN, IP checksum 0", p, n);
	n = valid_syn(p, sil_src);
	c = get16(p + 10);
	if (c >> 8 == (c & 0xff))
		c ^= 0x0f00;                              /* a swap would change nothing */
	else
		c = (uint16_t)(c << 8 | c >> 8);
	put16(p + 10, c);
	emit(C_IPCSUM, SILENT, "SYN, IP checksum bytes swapped", p, n);
	n = valid_syn(p, sil_src);
	p[8] = 1;                                         /* TTL changed after the checksum */
	emit(C_IPCSUM, SILENT, "SYN, TTL changed after checksum", p, n);
	{
		uint8_t ipo[4] = { 148, 4, 0, 0 };
		struct tcp t = syn_from(sil_src);
		t.ipopt = ipo;
		t.ipoptlen = 4;
		n = build(p, &t);
		p[22] = 1;                                    /* option changed after the checksum */
		emit(C_IPCSUM, SILENT, "SYN, IP option changed after checksum", p, n);
	}
}

static void ip_options(void)
{
	static const struct { const char *what; enum expect e; uint8_t len, o[40]; } cases[] = {
		{ "NOP NOP NOP EOL", ANSWER, 4, { 1, 1, 1, 0 } },
		{ "router alert", ANSWER, 4, { 148, 4, 0, 0 } },
		{ "record route", ANSWER, 12, { 7, 11, 4 } },
		{ "timestamp", ANSWER, 12, { 68, 12, 5, 0 } },
		{ "40 bytes of NOP", ANSWER, 40, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						    1, 1, 1, 1 } },
		{ "EOL then garbage", ANSWER, 4, { 0, 0xff, 0xff, 0xff } },
		{ "option length 0", MAYBE, 4, { 7, 0, 0, 0 } },
		{ "option length 1", MAYBE, 4, { 7, 1, 0, 0 } },
		{ "option length past the header", MAYBE, 4, { 7, 40, 4, 0 } },
		{ "unknown option 0xff", MAYBE, 4, { 0xff, 4, 0, 0 } },
		{ "timestamp pointer past its end", MAYBE, 8, { 68, 8, 200, 0 } },
	};
	uint8_t p[200];
	char what[56];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tcp t = syn_from(ans_src);
		t.ipopt = cases[i].o;
		t.ipoptlen = cases[i].len;
		snprintf(what, sizeof(what), "SYN with IP option: %s", cases[i].what);
		probe(C_IPOPT, cases[i].e, what, p, build(p, &t), SYN | ACK);
	}
}

static void fragments(void)
{
	static const struct { const char *what; uint16_t frag; } cases[] = {
		{ "MF", 0x2000 }, { "offset 8", 0x0001 }, { "MF, offset 8", 0x2001 },
		{ "offset 65528", 0x1fff }, { "DF and MF", 0x6000 }, { "MF, offset 1480", 0x20b9 },
	};
	uint8_t p[100], q[100];
	char what[56];
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = valid_syn(p, sil_src);
		put16(p + 6, cases[i].frag);
		ip_fix(p, n);
		snprintf(what, sizeof(what), "SYN as a fragment: %s", cases[i].what);
		emit(C_FRAG, SILENT, what, p, n);
	}
	/* a SYN in two fragments that would reassemble: first 8 bytes of TCP, then 16 */
	n = valid_syn(p, sil_src);
	memcpy(q, p, n);
	put16(p + 2, 28);
	put16(p + 6, 0x2000);
	ip_fix(p, 28);
	emit(C_FRAG, SILENT, "SYN, first of two fragments", p, 28);
	memmove(q + 20, q + 28, n - 28);
	put16(q + 2, (uint32_t)(n - 8));
	put16(q + 6, 0x0001);
	ip_fix(q, n - 8);
	emit(C_FRAG, SILENT, "SYN, second of two fragments", q, n - 8);
	/* the reserved flag (RFC 791: must be zero; RFC 3514 aside, nobody sets it) */
	n = valid_syn(p, ans_src);
	put16(p + 6, 0xc000);
	ip_fix(p, n);
	probe(C_FRAG, MAYBE, "SYN with the reserved IP flag set", p, n, SYN | ACK);
}

static void sources(void)
{
	static const struct { const char *what; uint32_t a; } bogus[] = {
		{ "0.0.0.0", 0 }, { "255.255.255.255", 0xffffffffu }, { "224.0.0.1", 0xe0000001u },
		{ "239.255.255.250", 0xeffffffau },
	};
	uint8_t p[100];
	char what[56], a[16];

	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		snprintf(what, sizeof(what), "SYN from %s", bogus[i].what);
		emit(C_SRC, SILENT, what, p, valid_syn(p, bogus[i].a));
	}
	snprintf(what, sizeof(what), "SYN from %s (the stack's own)", ipstr(stk, a));
	emit(C_SRC, SILENT, what, p, valid_syn(p, stk));
	/* RFC 1122 3.2.1.3 (g): 127/8 "MUST NOT appear outside a host", and such a
	 * datagram MUST be discarded silently (Linux: a martian source) */
	emit(C_SRC, SILENT, "SYN from 127.0.0.1 (loopback)", p, valid_syn(p, 0x7f000001u));
	/* RFC 1122 rules these out too, but the core knows no netmask, and Linux takes
	 * class E sources */
	probe(C_SRC, MAYBE, "SYN from 240.0.0.1 (class E)", p, valid_syn(p, 0xf0000001u), SYN | ACK);
	snprintf(what, sizeof(what), "SYN from %s (directed broadcast)",
		 ipstr((kern & 0xffffff00u) | 0xff, a));
	probe(C_SRC, MAYBE, what, p, valid_syn(p, (kern & 0xffffff00u) | 0xff), SYN | ACK);
}

static void destinations(void)
{
	static const struct { const char *what; uint32_t a; } dsts[] = {
		{ "another host", 0 }, { "255.255.255.255", 0xffffffffu }, { "224.0.0.1", 0xe0000001u },
		{ "0.0.0.0", 0 }, { "127.0.0.1", 0x7f000001u },
	};
	uint8_t p[100];
	char what[56];

	for (size_t i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		struct tcp t = syn_from(sil_src);
		t.dst = i == 0 ? (stk & 0xffffff00u) | 99 : dsts[i].a;
		snprintf(what, sizeof(what), "SYN to %s", dsts[i].what);
		emit(C_DST, SILENT, what, p, build(p, &t));
	}
}

/* Protocols the stack does not speak: each answered with ICMP protocol unreachable
 * (RFC 1122 3.2.2.1), five in all, within the burst its rate limit allows. */
static void protocols(void)
{
	static const uint8_t protos[] = { 17, 0, 41, 132, 255 };
	uint8_t p[100];
	char what[56];

	for (size_t i = 0; i < sizeof(protos); i++) {
		ip_header(p, ans_src, stk, protos[i], 20, 28);
		put16(p + 20, port());
		put16(p + 22, lport);
		put16(p + 24, 8);
		put16(p + 26, 0);
		ip_fix(p, 28);
		snprintf(what, sizeof(what), "IP protocol %u", protos[i]);
		emit(C_PROTO, ANY, what, p, 28);
	}
	drain(300);
	for (size_t i = 0; i < sizeof(protos); i++) {
		if (proto_unreach[protos[i]])
			cats[C_PROTO].answered++;
		else
			fail("[ip protocol] IP protocol %u: no ICMP protocol unreachable", protos[i]);
	}
}

/* ICMP destination unreachable (type 3) from --silent-src, quoting `quote`. */
static size_t icmp_error(uint8_t *p, uint8_t code, uint16_t mtu, const uint8_t *quote, size_t qlen)
{
	size_t n = build_icmp(p, sil_src, 3, 0, quote, qlen);

	p[21] = code;
	put16(p + 24, 0);
	put16(p + 26, mtu);
	put16(p + 22, 0);
	put16(p + 22, cksum(p + 20, n - 20, 0));
	return n;
}

static void icmp(void)
{
	uint8_t p[1600], data[1472], quote[28];
	size_t n;

	rnd_bytes(data, sizeof(data));
	probe(C_ICMP, ANSWER, "echo request", p, build_icmp(p, ans_src, 8, port(), data, 56), 0);
	probe(C_ICMP, ANSWER, "echo request, 1472 bytes (1500 in all)", p,
	      build_icmp(p, ans_src, 8, port(), data, sizeof(data)), 0);
	{   /* an odd length */
		n = build_icmp(p, ans_src, 8, port(), data, 7);
		probe(C_ICMP, ANSWER, "echo request, 7 bytes of data", p, n, 0);
	}
	n = build_icmp(p, sil_src, 8, port(), data, 56);
	p[21] ^= 0x40;                                   /* code changed after the checksum */
	emit(C_ICMP, SILENT, "echo request, bad checksum", p, n);
	n = build_icmp(p, sil_src, 8, port(), data, 0);
	put16(p + 2, 24);
	ip_fix(p, 24);
	emit(C_ICMP, SILENT, "echo request, 4 bytes of ICMP", p, 24);
	emit(C_ICMP, SILENT, "timestamp request", p, build_icmp(p, sil_src, 13, port(), data, 12));
	emit(C_ICMP, SILENT, "unsolicited echo reply", p, build_icmp(p, sil_src, 0, port(), data, 8));
	/* forged errors quoting the held connection (RFC 5927): never answered, never fatal */
	ip_header(quote, stk, kern, 6, 20, 40);
	ip_fix(quote, 20);
	put16(quote + 20, lport);
	put16(quote + 22, victim_port ? victim_port : 40000);
	put32(quote + 24, rnd32());
	emit(C_ICMP, SILENT, "port unreachable quoting the held conn", p,
	     icmp_error(p, 3, 0, quote, sizeof(quote)));
	emit(C_ICMP, SILENT, "frag needed (MTU 68) quoting the held conn", p,
	     icmp_error(p, 4, 68, quote, sizeof(quote)));
}

static void tcp_checksum(void)
{
	uint8_t p[200], data[100];
	size_t n;

	n = valid_syn(p, sil_src);
	p[37] ^= 1;
	emit(C_TCPCSUM, SILENT, "SYN, TCP checksum off by one bit", p, n);
	do
		n = valid_syn(p, sil_src);
	while (get16(p + 36) == 0 || get16(p + 36) == 0xffff);
	put16(p + 36, 0);
	emit(C_TCPCSUM, SILENT, "SYN, TCP checksum 0", p, n);
	n = valid_syn(p, sil_src);
	put16(p + 36, 0);
	put16(p + 36, cksum(p + 20, n - 20, 0));          /* no pseudo-header */
	emit(C_TCPCSUM, SILENT, "SYN, TCP checksum without pseudo-header", p, n);
	{   /* the TCP checksum covers another source address than the IP header's */
		struct tcp t = syn_from(sil_src + 1);
		n = build(p, &t);
		put32(p + 12, sil_src);
		ip_fix(p, n);
		emit(C_TCPCSUM, SILENT, "SYN, pseudo-header source differs", p, n);
	}
	n = valid_syn(p, sil_src);
	p[22 + 20] = 3;                                   /* MSS changed after the checksum */
	emit(C_TCPCSUM, SILENT, "SYN, MSS changed after checksum", p, n);
	{
		struct tcp t = { .src = sil_src, .dst = stk, .sport = port(), .dport = lport,
				 .seq = rnd32(), .ack = rnd32(), .flags = ACK | PSH, .win = 1000,
				 .data = data, .dlen = sizeof(data) };
		rnd_bytes(data, sizeof(data));
		n = build(p, &t);
		p[n - 1] ^= 0x80;                         /* data changed after the checksum */
		emit(C_TCPCSUM, SILENT, "data to the listener, bad TCP checksum", p, n);
	}
}

static void data_offset(void)
{
	uint8_t p[100], data[20] = { 0 };
	char what[56];

	for (unsigned off = 0; off < 5; off++) {
		struct tcp t = syn_from(sil_src);
		size_t n = build(p, &t);
		p[32] = (uint8_t)(off << 4);
		tcp_fix(p);
		snprintf(what, sizeof(what), "SYN with data offset %u", off);
		emit(C_TCPOFF, SILENT, what, p, n);
	}
	for (unsigned off = 6; off <= 15; off += 3) {     /* past a 20-byte segment */
		struct tcp t = syn_from(sil_src);
		t.optlen = 0;
		size_t n = build(p, &t);
		p[32] = (uint8_t)(off << 4);
		tcp_fix(p);
		snprintf(what, sizeof(what), "SYN with data offset %u in 20 bytes", off);
		emit(C_TCPOFF, SILENT, what, p, n);
	}
	{
		struct tcp t = syn_from(sil_src);
		t.optlen = 0;
		t.data = data;
		t.dlen = sizeof(data);
		size_t n = build(p, &t);
		p[32] = 15 << 4;
		tcp_fix(p);
		emit(C_TCPOFF, SILENT, "SYN with data offset 15 in 40 bytes", p, n);
	}
}

static void tcp_options(void)
{
	static const struct { const char *what; enum expect e; uint8_t len, o[40]; } cases[] = {
		{ "MSS 0", ANSWER, 4, { 2, 4, 0, 0 } },
		{ "MSS 1", ANSWER, 4, { 2, 4, 0, 1 } },
		{ "MSS 65535", ANSWER, 4, { 2, 4, 0xff, 0xff } },
		{ "two MSS options", ANSWER, 8, { 2, 4, 0x05, 0xb4, 2, 4, 0, 100 } },
		{ "window scale 15", ANSWER, 4, { 3, 3, 15, 0 } },
		{ "window scale 255", ANSWER, 4, { 3, 3, 255, 0 } },
		{ "unknown kind 99, length 4", ANSWER, 4, { 99, 4, 1, 2 } },
		{ "unknown kind 253, length 2", ANSWER, 4, { 253, 2, 1, 0 } },
		{ "40 bytes of NOP", ANSWER, 40, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						    1, 1, 1, 1 } },
		{ "EOL then garbage", ANSWER, 4, { 0, 2, 0, 0 } },
		{ "Linux's SYN options", ANSWER, 20, { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0,
						       0, 1, 3, 3, 7 } },
		{ "option length 0", MAYBE, 4, { 8, 0, 0, 0 } },
		{ "option length 1", MAYBE, 4, { 8, 1, 0, 0 } },
		{ "unknown kind, length 0", MAYBE, 4, { 99, 0, 0, 0 } },
		{ "option running past the header", MAYBE, 4, { 8, 10, 0, 0 } },
		{ "kind without its length byte", MAYBE, 4, { 1, 1, 1, 8 } },
		{ "MSS of length 3", MAYBE, 4, { 2, 3, 5, 0 } },
		{ "MSS of length 2", MAYBE, 4, { 2, 2, 1, 0 } },
		{ "MSS of length 6", MAYBE, 8, { 2, 6, 5, 0xb4, 0, 0, 0, 0 } },
		{ "MSS cut by the header end", MAYBE, 4, { 1, 1, 2, 4 } },
	};
	uint8_t p[200];
	char what[56];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tcp t = syn_from(ans_src);
		t.opt = cases[i].o;
		t.optlen = cases[i].len;
		snprintf(what, sizeof(what), "SYN with %s", cases[i].what);
		probe(C_TCPOPT, cases[i].e, what, p, build(p, &t), SYN | ACK);
	}
}

static void flags(void)
{
	static const struct { const char *what; uint8_t f; } silent[] = {
		{ "no flags", 0 }, { "FIN without ACK", FIN }, { "SYN+FIN", SYN | FIN },
		{ "SYN+RST", SYN | RST }, { "christmas tree SYN+FIN+RST+PSH+URG", SYN | FIN | RST | PSH | URG },
		{ "FIN+PSH+URG", FIN | PSH | URG }, { "RST", RST }, { "RST+FIN", RST | FIN },
		{ "PSH", PSH }, { "URG", URG }, { "ECE+CWR", ECE | CWR },
		{ "SYN+FIN+PSH", SYN | FIN | PSH }, { "every flag but ACK", 0xff & ~ACK },
		{ "SYN+FIN+ECE+CWR", SYN | FIN | ECE | CWR }, { "RST+ACK", RST | ACK },
		{ "every flag", 0xff },
	};
	static const struct { const char *what; uint8_t f; } acks[] = {
		{ "ACK+FIN", ACK | FIN }, { "ACK+SYN+FIN", ACK | SYN | FIN }, { "ACK+PSH+URG", ACK | PSH | URG },
	};
	uint8_t p[100];
	char what[56];

	for (size_t i = 0; i < sizeof(silent) / sizeof(silent[0]); i++) {
		struct tcp t = syn_from(sil_src);
		t.flags = silent[i].f;
		t.ack = rnd32();
		snprintf(what, sizeof(what), "%s to the listener", silent[i].what);
		emit(C_FLAGS, SILENT, what, p, build(p, &t));
	}
	for (size_t i = 0; i < sizeof(acks) / sizeof(acks[0]); i++) {   /* RFC 9293 3.10.7.2 */
		struct tcp t = syn_from(ans_src);
		t.flags = acks[i].f;
		t.ack = rnd32();
		snprintf(what, sizeof(what), "%s to the listener", acks[i].what);
		probe(C_FLAGS, ANSWER, what, p, build(p, &t), RST);
	}
	{   /* ECN setup (RFC 3168) is legal */
		struct tcp t = syn_from(ans_src);
		t.flags = SYN | ECE | CWR;
		probe(C_FLAGS, ANSWER, "SYN+ECE+CWR (ECN setup)", p, build(p, &t), SYN | ACK);
	}
}

/* RFC 9293 3.10.7.1: no connection: anything but a RST gets a RST. */
static void closed_port(void)
{
	static const struct { const char *what; uint8_t f, want; } cases[] = {
		{ "SYN", SYN, RST | ACK }, { "ACK", ACK, RST }, { "FIN", FIN, RST | ACK },
		{ "no flags", 0, RST | ACK }, { "SYN+FIN", SYN | FIN, RST | ACK },
		{ "christmas tree", SYN | FIN | PSH | URG, RST | ACK },
	};
	uint8_t p[100];
	char what[56];
	uint16_t closed = lport == 1 ? 2 : lport - 1;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tcp t = syn_from(ans_src);
		t.dport = closed;
		t.flags = cases[i].f;
		t.ack = rnd32();
		snprintf(what, sizeof(what), "%s to closed port %u", cases[i].what, closed);
		probe(C_CLOSED, ANSWER, what, p, build(p, &t), cases[i].want);
	}
	struct tcp t = syn_from(sil_src);
	t.dport = closed;
	t.flags = RST;
	emit(C_CLOSED, SILENT, "RST to a closed port", p, build(p, &t));
	t.flags = RST | ACK;
	t.sport = port();
	emit(C_CLOSED, SILENT, "RST+ACK to a closed port", p, build(p, &t));
}

static void port_zero(void)
{
	uint8_t p[100];
	struct tcp t = syn_from(sil_src);

	t.sport = 0;
	emit(C_PORT0, SILENT, "SYN from port 0", p, build(p, &t));
	t = syn_from(sil_src);
	t.dport = 0;
	emit(C_PORT0, SILENT, "SYN to port 0", p, build(p, &t));
	t = syn_from(sil_src);
	t.dport = 0;
	t.flags = ACK;
	emit(C_PORT0, SILENT, "ACK to port 0", p, build(p, &t));
	t.sport = 0;
	t.flags = SYN;
	emit(C_PORT0, SILENT, "SYN from port 0 to port 0", p, build(p, &t));
}

static void land(void)
{
	uint8_t p[100];
	struct tcp t = syn_from(stk);

	t.sport = lport;
	emit(C_LAND, SILENT, "land: SYN src == dst, sport == dport", p, build(p, &t));
	t.flags = SYN | ACK;
	emit(C_LAND, SILENT, "land: SYN+ACK src == dst", p, build(p, &t));
	t.flags = ACK;
	t.sport = port();
	emit(C_LAND, SILENT, "land: ACK src == dst", p, build(p, &t));
}

static void listener_payloads(void)
{
	uint8_t p[1600], data[1460];
	struct tcp t = syn_from(ans_src);

	rnd_bytes(data, sizeof(data));
	t.optlen = 0;
	t.data = data;
	t.dlen = sizeof(data);
	probe(C_PAYLOAD, ANSWER, "SYN carrying 1460 bytes (1500 in all)", p, build(p, &t), SYN | ACK);
	t = syn_from(ans_src);
	t.flags = ACK | PSH;
	t.ack = rnd32();
	t.optlen = 0;
	t.data = data;
	t.dlen = sizeof(data);
	t.dport = lport == 1 ? 2 : lport - 1;
	probe(C_PAYLOAD, ANSWER, "1460 bytes to a closed port", p, build(p, &t), RST);
	t = syn_from(ans_src);
	t.flags = SYN | URG;
	t.urp = 1000;
	probe(C_URG, ANSWER, "SYN+URG, urgent pointer 1000, no data", p, build(p, &t), SYN | ACK);
}

/* ---- an established connection of our own (RFC 5961) ---- */

static struct {
	uint16_t port;
	uint32_t rcv;     /* the stack's RCV.NXT: our next sequence number */
	uint32_t snd;     /* the stack's SND.NXT: what we acknowledge */
	unsigned challenges;
} conn;

static void conn_send(enum cat c, const char *what, uint32_t seq, uint32_t ack, uint8_t fl,
		      const uint8_t *data, size_t dlen, uint16_t urp)
{
	uint8_t p[1600];
	struct tcp t = { .src = ans_src, .dst = stk, .sport = conn.port, .dport = lport,
			 .seq = seq, .ack = ack, .flags = fl, .win = 65535, .urp = urp,
			 .data = data, .dlen = dlen };

	flush_replies(ans_src, conn.port);
	emit(c, ANY, what, p, build(p, &t));
}

/* The answer must be an ACK <SEQ=SND.NXT><ACK=ack>. `may_limit`: a challenge ACK or
 * a reply to an unacceptable segment, which RFC 5961 section 7 lets the stack
 * rate-limit: silence is a note, a wrong answer a failure. */
static void conn_want_ack(enum cat c, const char *what, uint32_t ack, bool may_limit)
{
	char buf[160];
	struct reply *r = wait_reply(ans_src, conn.port, may_limit ? 700 : 1000);

	if (!r) {
		if (may_limit) {
			note("[%s] %s: no ACK (rate-limited?)", cats[c].name, what);
		} else {
			fail("[%s] %s: no ACK", cats[c].name, what);
		}
		return;
	}
	cats[c].answered++;
	if (r->proto != 6 || r->flags != ACK || r->seq != conn.snd || r->ack != ack)
		fail("[%s] %s: answered %s, wanted an ACK seq %u ack %u", cats[c].name, what,
		     reply_str(r, buf), conn.snd, ack);
	else if (may_limit)
		conn.challenges++;
}

static void conn_want_silence(enum cat c, const char *what)
{
	char buf[160];
	struct reply *r = wait_reply(ans_src, conn.port, 150);

	if (r) {
		cats[c].answered++;
		fail("[%s] %s: must be dropped silently, answered %s", cats[c].name, what,
		     reply_str(r, buf));
	}
}

static bool conn_open(void)
{
	uint8_t p[100];
	uint32_t iss = rnd32();
	struct reply *r = NULL;

	conn.port = conn_port = port();
	for (int i = 0; i < 3 && !r; i++) {
		struct tcp t = { .src = ans_src, .dst = stk, .sport = conn.port, .dport = lport,
				 .seq = iss, .flags = SYN, .win = 65535, .opt = mss1460,
				 .optlen = sizeof(mss1460) };
		emit(C_CONN, ANY, "handshake SYN", p, build(p, &t));
		r = wait_reply(ans_src, conn.port, 1000);
	}
	if (!r || r->flags != (SYN | ACK) || r->ack != iss + 1) {
		fail("[%s] no SYN,ACK for our own connection", cats[C_CONN].name);
		return false;
	}
	conn.rcv = iss + 1;
	conn.snd = r->seq + 1;
	conn_send(C_CONN, "handshake ACK", conn.rcv, conn.snd, ACK, NULL, 0, 0);
	return true;
}

static void conn_data(enum cat c, const char *what, const uint8_t *data, size_t dlen,
		      uint8_t fl, uint16_t urp)
{
	conn_send(c, what, conn.rcv, conn.snd, fl, data, dlen, urp);
	conn.rcv += (uint32_t)dlen;
	conn_want_ack(c, what, conn.rcv, false);
}

static void established(void)
{
	uint8_t data[1460], p[1600], nops[40];
	const uint32_t R = conn.rcv, S = conn.snd;

	rnd_bytes(data, sizeof(data));
	memset(nops, 1, sizeof(nops));
	/* RFC 5961 3.2: RST */
	conn_send(C_CONN, "RST in the window, not at RCV.NXT", R + 1000, 0, RST, NULL, 0, 0);
	conn_want_ack(C_CONN, "RST in the window, not at RCV.NXT", R, true);
	conn_send(C_CONN, "RST past the window", R + 70000, 0, RST, NULL, 0, 0);
	conn_want_silence(C_CONN, "RST past the window");
	conn_send(C_CONN, "RST just before RCV.NXT", R - 1, 0, RST, NULL, 0, 0);
	conn_want_silence(C_CONN, "RST just before RCV.NXT");
	conn_send(C_CONN, "RST+ACK in the window, not at RCV.NXT", R + 1, S, RST | ACK, NULL, 0, 0);
	conn_want_ack(C_CONN, "RST+ACK in the window, not at RCV.NXT", R, true);
	{   /* exactly at RCV.NXT, but corrupt: must not reset anything */
		struct tcp t = { .src = ans_src, .dst = stk, .sport = conn.port, .dport = lport,
				 .seq = R, .flags = RST, .win = 65535 };
		size_t n = build(p, &t);
		p[37] ^= 1;
		flush_replies(ans_src, conn.port);
		emit(C_TCPCSUM, SILENT, "exact RST with a bad TCP checksum", p, n);
		conn_want_silence(C_TCPCSUM, "exact RST with a bad TCP checksum");
	}
	/* RFC 5961 4.2: SYN */
	conn_send(C_CONN, "SYN at RCV.NXT", R, 0, SYN, NULL, 0, 0);
	conn_want_ack(C_CONN, "SYN at RCV.NXT", R, true);
	conn_send(C_CONN, "SYN outside the window", R + 100000, 0, SYN, NULL, 0, 0);
	conn_want_ack(C_CONN, "SYN outside the window", R, true);
	conn_send(C_CONN, "SYN+ACK in the window", R + 10, S, SYN | ACK, NULL, 0, 0);
	conn_want_ack(C_CONN, "SYN+ACK in the window", R, true);
	/* RFC 5961 5.2 and RFC 9293 3.10.7.4: the ACK field */
	conn_send(C_CONN, "ACK of data never sent", R, S + 100000, ACK, NULL, 0, 0);
	conn_want_ack(C_CONN, "ACK of data never sent", R, true);
	conn_send(C_CONN, "ACK older than SND.UNA - MAX.SND.WND", R, S - 200000, ACK, NULL, 0, 0);
	conn_want_ack(C_CONN, "ACK older than SND.UNA - MAX.SND.WND", R, true);
	conn_send(C_CONN, "old duplicate ACK (SND.UNA - 10)", R, S - 10, ACK, NULL, 0, 0);
	conn_want_silence(C_CONN, "old duplicate ACK (SND.UNA - 10)");
	/* data outside the window */
	conn_send(C_CONN, "data past the window", R + 100000, S, ACK | PSH, data, 10, 0);
	conn_want_ack(C_CONN, "data past the window", R, true);
	conn_send(C_CONN, "old data, before RCV.NXT", R - 5000, S, ACK | PSH, data, 10, 0);
	conn_want_ack(C_CONN, "old data, before RCV.NXT", R, true);
	/* illegal flag combinations in the connection */
	conn_send(C_CONN, "no flags at RCV.NXT", R, S, 0, NULL, 0, 0);
	conn_want_silence(C_CONN, "no flags at RCV.NXT");
	conn_send(C_CONN, "FIN without ACK at RCV.NXT", R, S, FIN, NULL, 0, 0);
	conn_want_silence(C_CONN, "FIN without ACK at RCV.NXT");
	conn_send(C_CONN, "FIN+PSH+URG without ACK, with data", R, S, FIN | PSH | URG, data, 5, 3);
	conn_want_silence(C_CONN, "FIN+PSH+URG without ACK, with data");
	conn_send(C_CONN, "SYN+FIN at RCV.NXT", R, S, SYN | FIN, NULL, 0, 0);
	conn_want_ack(C_CONN, "SYN+FIN at RCV.NXT", R, true);
	conn_send(C_CONN, "christmas tree, RST not at RCV.NXT", R + 1, S,
		  SYN | FIN | RST | PSH | URG, NULL, 0, 0);
	conn_want_ack(C_CONN, "christmas tree, RST not at RCV.NXT", R, true);
	/* the urgent pointer, past the data and with none */
	conn_data(C_URG, "3 bytes, URG, urgent pointer 5000", data, 3, ACK | PSH | URG, 5000);
	conn_send(C_URG, "URG, urgent pointer 65535, no data", conn.rcv, S, ACK | URG, NULL, 0, 65535);
	conn_want_silence(C_URG, "URG, urgent pointer 65535, no data");
	/* payloads: none, and as much as one packet holds */
	conn_send(C_PAYLOAD, "zero-length ACK at RCV.NXT", conn.rcv, S, ACK, NULL, 0, 0);
	conn_want_silence(C_PAYLOAD, "zero-length ACK at RCV.NXT");
	conn_data(C_PAYLOAD, "1460 bytes of data (1500 in all)", data, 1460, ACK | PSH, 0);
	{
		struct tcp t = { .src = ans_src, .dst = stk, .sport = conn.port, .dport = lport,
				 .seq = conn.rcv, .ack = S, .flags = ACK | PSH, .win = 65535,
				 .opt = nops, .optlen = sizeof(nops), .data = data, .dlen = 1420 };
		flush_replies(ans_src, conn.port);
		emit(C_PAYLOAD, ANY, "40 bytes of NOP options + 1420 bytes", p, build(p, &t));
		conn.rcv += 1420;
		conn_want_ack(C_PAYLOAD, "40 bytes of NOP options + 1420 bytes", conn.rcv, false);
	}
	{   /* 100 bytes of data, 64 bytes of link padding after them */
		struct tcp t = { .src = ans_src, .dst = stk, .sport = conn.port, .dport = lport,
				 .seq = conn.rcv, .ack = S, .flags = ACK | PSH, .win = 65535,
				 .data = data, .dlen = 100 };
		size_t n = build(p, &t);
		rnd_bytes(p + n, 64);
		flush_replies(ans_src, conn.port);
		emit(C_PADDING, ANY, "100 bytes of data + 64 past total length", p, n + 64);
		conn.rcv += 100;
		conn_want_ack(C_PADDING, "100 bytes of data + 64 past total length", conn.rcv, false);
	}
	{   /* data at RCV.NXT, corrupt: must not be taken (the next ACK shows it) */
		struct tcp t = { .src = ans_src, .dst = stk, .sport = conn.port, .dport = lport,
				 .seq = conn.rcv, .ack = S, .flags = ACK | PSH, .win = 65535,
				 .data = data, .dlen = 10 };
		size_t n = build(p, &t);
		p[n - 1] ^= 1;
		flush_replies(ans_src, conn.port);
		emit(C_TCPCSUM, SILENT, "data at RCV.NXT, bad TCP checksum", p, n);
		conn_want_silence(C_TCPCSUM, "data at RCV.NXT, bad TCP checksum");
	}
	conn_data(C_CONN, "4 bytes: the connection still works", (const uint8_t *)"live", 4,
		  ACK | PSH, 0);
	if (conn.challenges == 0)
		fail("[%s] not one challenge ACK or ACK to an unacceptable segment", cats[C_CONN].name);
	/* RFC 5961 3.2: only a RST exactly at RCV.NXT resets; then the 4-tuple is free */
	conn_send(C_CONN, "RST at RCV.NXT", conn.rcv, 0, RST, NULL, 0, 0);
	conn_want_silence(C_CONN, "RST at RCV.NXT");
	conn_send(C_CONN, "ACK after the reset", conn.rcv, S, ACK, NULL, 0, 0);
	{
		char buf[160];
		struct reply *r = wait_reply(ans_src, conn.port, 1000);
		if (!r || r->flags != RST || r->seq != S)
			fail("[%s] ACK after the exact RST: wanted a RST seq %u (connection gone), got %s",
			     cats[C_CONN].name, S, r ? reply_str(r, buf) : "nothing");
		else
			cats[C_CONN].answered++;
	}
	conn_port = 0;
}

/* ---- bulk: blind guesses, random bytes, SYN flood ---- */

static void blind(unsigned n)
{
	uint8_t p[100];

	for (unsigned i = 0; i < n; i++) {
		static const uint8_t kinds[] = { RST, RST | ACK, SYN, ACK, ACK | FIN };
		struct tcp t = { .src = kern, .dst = stk, .sport = victim_port, .dport = lport,
				 .seq = rnd32(), .ack = rnd32(), .flags = kinds[i % sizeof(kinds)],
				 .win = (uint16_t)rnd32() };
		emit(C_BLIND, ANY, "blind guess", p, build(p, &t));
	}
}

static void random_packets(unsigned n)
{
	uint8_t p[1600];

	for (unsigned i = 0; i < n; i++) {
		size_t len = 1 + rnd32() % 1500;
		rnd_bytes(p, len);
		if (i % 2) {         /* a valid IPv4 header, then random TCP with a good checksum */
			len = 40 + rnd32() % 1461;
			ip_header(p, RANDOM_NET | (rnd32() & 0xff), stk, 6, 20, len);
			p[32] = (uint8_t)((p[32] & 0x0f) | (5 + rnd32() % 11) << 4);
			if ((size_t)(p[32] >> 4) * 4 > len - 20)
				p[32] = 0x50;
			tcp_fix(p);
			ip_fix(p, len);
		}
		emit(C_RANDOM, ANY, "random", p, len);
	}
}

static void syn_flood(unsigned n)
{
	uint8_t p[100];

	for (unsigned i = 0; i < n; i++) {
		struct tcp t = syn_from(FLOOD_NET | (rnd32() & ~FLOOD_MASK));
		t.sport = (uint16_t)(1024 + rnd32() % 64512);
		if ((t.src & 0xffff) == 0 || (t.src & 0xffff) == 0xffff)
			t.src ^= 1;
		send_raw(p, build(p, &t));
		cats[C_FLOOD].sent++;
		total_sent++;
		if (i % 50 == 49)
			drain(2);
	}
}

/* ---- setup ---- */

static void usage(FILE *f)
{
	fputs("usage: hostile [--dev NAME] [--src ADDR] [--dst ADDR] [--port N] [--victim-port N]\n"
	      "               [--seed N] [--count N] [--answer-src ADDR] [--silent-src ADDR]\n"
	      "Sends malformed and hostile IPv4 packets on a TUN device (only there) at a stack.\n"
	      "  --dev NAME         the TUN device (default tun0)\n"
	      "  --src ADDR         the kernel's address on it (default 10.0.0.1)\n"
	      "  --dst ADDR         the stack's address (default 10.0.0.2)\n"
	      "  --port N           the port the stack listens on (default 1234)\n"
	      "  --victim-port N    a connection --src:N <-> dst:port is open: blind attacks at it\n"
	      "  --seed N           seed of every random choice (default 1)\n"
	      "  --count N          SYNs in the flood; N/2 blind guesses, N/4 random packets (300)\n"
	      "  --answer-src ADDR  source of what may be answered (default: --src's net .3)\n"
	      "  --silent-src ADDR  source of what must not be (default: --src's net .66)\n", f);
}

static uint32_t parse_addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "hostile: not an IPv4 address: %s\n", s);
		exit(2);
	}
	return ntohl(a.s_addr);
}

static unsigned long parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "hostile: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

/* The device's driver name (ethtool -i), "" when it has none. */
static void driver_of(int sock, const char *name, char drv[32])
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (char *)&info;
	drv[0] = 0;
	if (ioctl(sock, SIOCETHTOOL, &ifr) == 0)
		snprintf(drv, 32, "%s", info.driver);
}

/* Only ever on a TUN device (what is sent there reaches the process that holds it,
 * no wire), and only in a network namespace that has nothing else but loopback: not
 * in PID 1's, where the machine's own interfaces are. */
static void check_safe(void)
{
	char self[64] = "", init[64] = "", drv[32];
	struct if_nameindex *ifs, *i;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (readlink("/proc/self/ns/net", self, sizeof(self) - 1) > 0 &&
	    readlink("/proc/1/ns/net", init, sizeof(init) - 1) > 0 && strcmp(self, init) == 0) {
		fprintf(stderr, "hostile: refusing to run in PID 1's network namespace; "
			"run it inside `unshare -n`\n");
		exit(3);
	}
	if (sock < 0 || !(ifs = if_nameindex())) {
		fprintf(stderr, "hostile: cannot list the network devices: %s\n", strerror(errno));
		exit(3);
	}
	driver_of(sock, dev, drv);
	if (strcmp(drv, "tun") != 0) {
		fprintf(stderr, "hostile: %s is not a TUN device (driver \"%s\")\n", dev, drv);
		exit(3);
	}
	for (i = ifs; i->if_index; i++) {
		driver_of(sock, i->if_name, drv);
		if (strcmp(i->if_name, "lo") != 0 && strcmp(drv, "tun") != 0) {
			fprintf(stderr, "hostile: refusing to run beside %s (driver \"%s\"): only in a "
				"namespace of loopback and TUN devices (unshare -n)\n", i->if_name, drv);
			exit(3);
		}
	}
	if_freenameindex(ifs);
	close(sock);
}

/* Packets the device dropped on its way to the stack (its queue was full). */
static unsigned long tx_dropped(void)
{
	struct ifaddrs *ifa, *i;
	unsigned long v = 0;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    strcmp(i->ifa_name, dev) == 0)
			v = ((const struct rtnl_link_stats *)i->ifa_data)->tx_dropped;
	freeifaddrs(ifa);
	return v;
}

static void open_device(void)
{
	int rcvbuf = 4 << 20;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0) {
		fprintf(stderr, "hostile: AF_PACKET socket: %s\n", strerror(errno));
		exit(3);
	}
	memset(&dev_addr, 0, sizeof(dev_addr));
	dev_addr.sll_family = AF_PACKET;
	dev_addr.sll_protocol = htons(ETH_P_IP);
	dev_addr.sll_ifindex = (int)if_nametoindex(dev);
	if (!dev_addr.sll_ifindex ||
	    bind(fd, (const struct sockaddr *)&dev_addr, sizeof(dev_addr)) < 0) {
		fprintf(stderr, "hostile: bind to %s: %s\n", dev, strerror(errno));
		exit(3);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, 0, 'd' }, { "src", required_argument, 0, 's' },
		{ "dst", required_argument, 0, 't' }, { "port", required_argument, 0, 'p' },
		{ "victim-port", required_argument, 0, 'v' }, { "seed", required_argument, 0, 'S' },
		{ "count", required_argument, 0, 'c' }, { "answer-src", required_argument, 0, 'a' },
		{ "silent-src", required_argument, 0, 'q' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	unsigned long seed = 1, dropped;
	uint64_t t0;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 's': kern = parse_addr(optarg); break;
		case 't': stk = parse_addr(optarg); break;
		case 'p': lport = (uint16_t)parse_num(optarg, 65535); break;
		case 'v': victim_port = (uint16_t)parse_num(optarg, 65535); break;
		case 'S': seed = parse_num(optarg, ~0ul); break;
		case 'c': count = (unsigned)parse_num(optarg, 100000); break;
		case 'a': ans_src = parse_addr(optarg); break;
		case 'q': sil_src = parse_addr(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || lport == 0) {
		usage(stderr);
		return 2;
	}
	if (!ans_src)
		ans_src = (kern & 0xffffff00u) | 3;
	if (!sil_src)
		sil_src = (kern & 0xffffff00u) | 66;
	if (ans_src == kern || ans_src == stk || sil_src == kern || sil_src == stk ||
	    ans_src == sil_src) {
		fprintf(stderr, "hostile: --answer-src and --silent-src must be other addresses\n");
		return 2;
	}
	rng = seed;
	check_safe();
	open_device();
	dropped = tx_dropped();
	t0 = now_ms();
	printf("hostile: seed %lu, %s, stack %u.%u.%u.%u:%u\n", seed, dev, stk >> 24,
	       stk >> 16 & 255, stk >> 8 & 255, stk & 255, lport);
	fflush(stdout);

	if (conn_open())
		established();
	truncated();
	version();
	header_length();
	total_length();
	padding();
	ip_checksum();
	ip_options();
	fragments();
	sources();
	destinations();
	protocols();
	icmp();
	tcp_checksum();
	data_offset();
	tcp_options();
	flags();
	closed_port();
	port_zero();
	land();
	listener_payloads();
	if (victim_port)
		blind(count / 2);
	random_packets(count / 4);
	syn_flood(count);
	drain(500);

	printf("%-28s %6s %9s\n", "category", "sent", "answered");
	for (int i = 0; i < C_COUNT; i++)
		printf("%-28s %6u %9u\n", cats[i].name, cats[i].sent, cats[i].answered);
	printf("total: %u packets in %.1f s; the stack sent %u packets (%u bad checksums); "
	       "%u probe children reset\n", total_sent, (double)(now_ms() - t0) / 1000,
	       stack_sent, stack_bad_cksum, cleanups);
	if (tx_dropped() != dropped)
		note("%s dropped %lu packets before the stack read them", dev, tx_dropped() - dropped);
	if (stack_bad_cksum)
		fail("the stack sent %u packets with a bad checksum", stack_bad_cksum);
	printf("hostile: %u notes, %u failures\n", notes, failures);
	return failures ? 1 : 0;
}

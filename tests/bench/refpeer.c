/* refpeer.c - the bench's zero-cost TCP peer on TUN: the ceiling any userspace
 * stack over TUN can reach on this machine (tests/bench/README.md).
 *
 * It does only what TCP needs for the bench's traffic, and nothing a real stack must
 * do beyond that: a handshake with the MSS option (no window scaling, so the window is
 * the stack's default 65535), in-order data (anything else is answered by a duplicate
 * ACK and dropped), ACKs, FIN. Checksums are cheap: incoming ones are not verified
 * (the kernel wrote them), outgoing ones add a precomputed sum of the payload to the
 * header's. Connections live in an array indexed by the peer's port (O(1), the
 * kernel side is one address). One thread, no timers except the source's go-back-N
 * retransmission after 200 ms without progress.
 *
 *   refpeer sink   [--port 9000] [--count N] [--ack-every N]   read to the end, ACK
 *   refpeer echo   [--port 7]                                  send every byte back
 *   refpeer source --bytes N [--port 9000]                     connect to 10.0.0.1, send
 *
 * Common: --tun NAME (tun0), --ip ADDR (10.0.0.2), --tun-ip ADDR/LEN (10.0.0.1/24),
 * --mtu N (1500). It creates the device (or attaches to it) and configures it as the
 * stack's apps do, then prints "refpeer: listening on ..." (servers) and flushes.
 * sink prints "refpeer: ADDR:PORT received N bytes in T s (R Mbit/s)" per connection;
 * source prints "refpeer: sent N bytes in T s (R Mbit/s)". SIGINT/SIGTERM end it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16 };
enum { C_FREE, C_SYN_RCVD, C_EST, C_LAST_ACK };

struct conn {
	uint8_t state;
	uint32_t iss, snd_nxt, rcv_nxt;
	uint32_t unacked;          /* data segments received since our last ACK */
	uint64_t bytes;
	struct timespec t0;
};

static struct {
	const char *tun;
	uint32_t ip, tun_ip;
	int prefix, mtu, mss;
	uint16_t port;
	uint64_t bytes;            /* source */
	long count;                /* sink: exit after N connections */
	int ack_every;             /* sink: ACK after N data segments (0: when the queue is drained) */
	int wscale;                /* source: window scale shift offered on the SYN, -1: none */
	int ack_delay_us;          /* sink: with ACKs owed and the queue drained, wait this long
	                              for more before sending them */
	int fd;
} g = { "tun0", 0x0a000002, 0x0a000001, 24, 1500, 1460, 0, 0, -1, 0, -1, -1, 0 };

static struct conn *conns;     /* [65536], by the peer's port */
static uint16_t *pending;      /* ports with an ACK owed (sink, --ack-every 0) */
static int npending;
static uint8_t txbuf[65536 + 64];

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* The one's complement sum of 16-bit big-endian words (an odd byte padded). */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void die(const char *what)
{
	fprintf(stderr, "refpeer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Build IPv4 + TCP headers in front of the payload already at buf + 40 (+4 with the
 * MSS option on a SYN) and write the packet. psum: the payload's sum16. */
static void emit(uint8_t *buf, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq,
		 uint32_t ack, uint8_t flags, size_t plen, uint32_t psum)
{
	int ws = (flags & F_SYN) && !(flags & F_ACK) && g.wscale >= 0;   /* the source's SYN */
	size_t thl = flags & F_SYN ? 24 + (ws ? 4 : 0) : 20, len = 20 + thl + plen;
	uint8_t *ip = buf, *tcp = buf + 20;
	uint32_t s;

	ip[0] = 0x45; ip[1] = 0;
	wr16(ip + 2, (uint32_t)len);
	wr16(ip + 4, 0); wr16(ip + 6, 0x4000);      /* DF, no id needed */
	ip[8] = 64; ip[9] = IPPROTO_TCP;
	wr16(ip + 10, 0);
	wr32(ip + 12, g.ip); wr32(ip + 16, dst);
	wr16(ip + 10, fold(sum16(ip, 20, 0)));
	wr16(tcp, sport); wr16(tcp + 2, dport);
	wr32(tcp + 4, seq); wr32(tcp + 8, ack);
	tcp[12] = (uint8_t)(thl / 4) << 4; tcp[13] = flags;
	wr16(tcp + 14, 65535);
	wr16(tcp + 16, 0); wr16(tcp + 18, 0);
	if (flags & F_SYN) {
		tcp[20] = 2; tcp[21] = 4;
		wr16(tcp + 22, (uint32_t)g.mss);
		if (ws) {
			tcp[24] = 1; tcp[25] = 3; tcp[26] = 3; tcp[27] = (uint8_t)g.wscale;
		}
	}
	/* pseudo-header: addresses, protocol, TCP length */
	s = (g.ip >> 16) + (g.ip & 0xffff) + (dst >> 16) + (dst & 0xffff) + IPPROTO_TCP +
	    (uint32_t)(thl + plen);
	s = sum16(tcp, thl, s) + psum;
	wr16(tcp + 16, fold(s));
	if (write(g.fd, buf, len) < 0 && errno != EAGAIN && errno != ENOBUFS)
		die("write");
}

static void send_ack(uint16_t port, struct conn *c, uint8_t flags)
{
	emit(txbuf, g.tun_ip, g.port, port, c->snd_nxt, c->rcv_nxt, flags, 0, 0);
	c->unacked = 0;
}

static void flush_pending(void)
{
	for (int i = 0; i < npending; i++) {
		struct conn *c = &conns[pending[i]];
		if (c->state == C_EST && c->unacked)
			send_ack(pending[i], c, F_ACK);
	}
	npending = 0;
}

/* One packet from the kernel, for a server (sink or echo). */
static void server_input(const uint8_t *pkt, size_t n, int echo)
{
	if (n < 40 || pkt[0] != 0x45 || pkt[9] != IPPROTO_TCP)
		return;                              /* not TCP over IPv4, or IP options */
	size_t tot = rd16(pkt + 2);
	if (tot > n)
		return;
	const uint8_t *tcp = pkt + 20;
	size_t thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || 20 + thl > tot || rd16(tcp + 2) != g.port)
		return;
	uint16_t port = rd16(tcp);
	uint32_t seq = rd32(tcp + 4), ack = rd32(tcp + 8), src = rd32(pkt + 12);
	uint8_t fl = tcp[13];
	const uint8_t *data = tcp + thl;
	size_t dlen = tot - 20 - thl;
	struct conn *c = &conns[port];

	(void)ack;
	if (src != g.tun_ip)
		return;
	if (fl & F_RST) {
		c->state = C_FREE;
		return;
	}
	if (fl & F_SYN) {                            /* a new connection (or its SYN again) */
		if (c->state != C_SYN_RCVD || c->rcv_nxt != seq + 1) {
			c->state = C_SYN_RCVD;
			c->iss = (uint32_t)port * 2654435761u;
			c->rcv_nxt = seq + 1;
			c->bytes = 0;
			c->unacked = 0;
			clock_gettime(CLOCK_MONOTONIC, &c->t0);
		}
		c->snd_nxt = c->iss;
		send_ack(port, c, F_SYN | F_ACK);
		c->snd_nxt = c->iss + 1;
		return;
	}
	if (c->state == C_FREE || !(fl & F_ACK))
		return;
	if (c->state == C_SYN_RCVD)
		c->state = C_EST;
	if (c->state == C_LAST_ACK) {
		if (ack == c->snd_nxt) {
			c->state = C_FREE;               /* our FIN is acknowledged: gone */
		} else if (fl & F_FIN) {                 /* their FIN again: ours was lost */
			c->snd_nxt--;
			send_ack(port, c, F_FIN | F_ACK);
			c->snd_nxt++;
		}
		return;
	}
	if (seq != c->rcv_nxt) {
		uint32_t skip = c->rcv_nxt - seq;    /* old bytes at the front */
		if ((int32_t)(c->rcv_nxt - seq) < 0 || skip >= dlen + !!(fl & F_FIN)) {
			if (dlen || (fl & F_FIN))
				send_ack(port, c, F_ACK); /* out of order or old: a duplicate ACK */
			return;
		}
		data += skip;
		dlen -= skip;
	}
	if (dlen) {
		c->rcv_nxt += (uint32_t)dlen;
		c->bytes += dlen;
		if (echo) {
			memcpy(txbuf + 40, data, dlen);
			emit(txbuf, g.tun_ip, g.port, port, c->snd_nxt, c->rcv_nxt, F_ACK | F_PSH,
			     dlen, sum16(txbuf + 40, dlen, 0));
			c->snd_nxt += (uint32_t)dlen;
			c->unacked = 0;
		} else if (++c->unacked >= (uint32_t)(g.ack_every ? g.ack_every : 64)) {
			send_ack(port, c, F_ACK);
		} else if (c->unacked == 1) {
			if (npending == 65536)
				flush_pending();
			pending[npending++] = port;  /* acknowledged when the queue is drained */
		}
	}
	if (fl & F_FIN) {                            /* they close: we close at once */
		c->rcv_nxt++;
		send_ack(port, c, F_FIN | F_ACK);
		c->snd_nxt++;
		c->state = C_LAST_ACK;
		if (!echo) {
			double t = since(&c->t0);
			printf("refpeer: 10.0.0.1:%u received %llu bytes in %.6f s (%.1f Mbit/s)\n",
			       port, (unsigned long long)c->bytes, t, (double)c->bytes * 8 / t / 1e6);
			fflush(stdout);
			if (g.count > 0 && --g.count == 0) {
				flush_pending();
				exit(0);
			}
		}
	}
}

static void serve(int echo)
{
	static uint8_t rx[65536];
	struct pollfd pfd = { .fd = g.fd, .events = POLLIN };

	printf("refpeer: listening on 10.0.0.2:%u\n", g.port);
	fflush(stdout);
	if (echo) {                                  /* every reply goes at once: block in read */
		for (;;) {
			ssize_t n = read(g.fd, rx, sizeof(rx));
			if (n < 0 && errno != EINTR)
				die("read");
			if (n > 0)
				server_input(rx, (size_t)n, 1);
		}
	}
	if (fcntl(g.fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
	for (;;) {                                   /* sink: ACK what a batch brought */
		ssize_t n = read(g.fd, rx, sizeof(rx));
		if (n > 0) {
			server_input(rx, (size_t)n, 0);
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("read");
		if (npending && g.ack_delay_us) {    /* wait a little for more before ACKing */
			struct timespec d = { 0, g.ack_delay_us * 1000L };
			if (ppoll(&pfd, 1, &d, NULL) > 0)
				continue;
		}
		flush_pending();
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			die("poll");
	}
}

/* The stack as a client: connect to tun_ip:port, send g.bytes, close. */
static void source(void)
{
	static uint8_t rx[65536];
	uint32_t iss = 0x5eed0000, irs = 0, base = iss + 1, wnd = 0, shift = 0;
	uint64_t sent = 0, acked = 0, total = g.bytes;
	uint16_t lport = 40000 + (uint16_t)(getpid() % 20000);
	uint32_t psum_full = 0;
	int dup = 0, synced = 0, fin_sent = 0, fin_acked = 0, fin_rcvd = 0, tries = 0;
	struct pollfd pfd = { .fd = g.fd, .events = POLLIN };
	double t0 = 0, last_progress, tsyn = 0;

	for (int i = 0; i < g.mss; i++)              /* a fixed payload, its sum known */
		txbuf[40 + i] = (uint8_t)("tuntcp refpeer payload "[i % 23]);
	psum_full = sum16(txbuf + 40, (size_t)g.mss, 0);
	if (fcntl(g.fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
	last_progress = now_s();
	for (;;) {
		double t = now_s();
		if (!synced) {
			if (t - tsyn > 1.0) {
				if (++tries > 6) {
					fprintf(stderr, "refpeer: connect: timed out\n");
					exit(1);
				}
				uint8_t syn[64];
				emit(syn, g.tun_ip, lport, g.port, iss, 0, F_SYN, 0, 0);
				tsyn = t;
			}
		} else {
			/* send what the window allows, and the FIN after the data */
			int burst = 0;
			while (sent < total && burst < 16) {
				uint64_t room = acked + wnd > sent ? acked + wnd - sent : 0;
				size_t len = total - sent < (uint64_t)g.mss ? (size_t)(total - sent) : (size_t)g.mss;
				if (room < len)
					break;
				uint32_t psum = len == (size_t)g.mss ? psum_full : sum16(txbuf + 40, len, 0);
				emit(txbuf, g.tun_ip, lport, g.port, base + (uint32_t)sent, irs + 1 + (uint32_t)fin_rcvd,
				     F_ACK | (sent + len == total ? F_PSH : 0), len, psum);
				sent += len;
				burst++;
			}
			if (sent == total && !fin_sent) {
				uint8_t fin[64];
				emit(fin, g.tun_ip, lport, g.port, base + (uint32_t)total, irs + 1 + (uint32_t)fin_rcvd,
				     F_FIN | F_ACK, 0, 0);
				fin_sent = 1;
			}
			if (fin_acked && fin_rcvd)
				break;
			if (burst == 16)
				goto drain;      /* more to send: read ACKs without waiting */
		}
		if (poll(&pfd, 1, synced ? 200 : 100) == 0 && synced && now_s() - last_progress > 0.2) {
			sent = acked;            /* nothing for 200 ms: go back N */
			fin_sent = 0;
			last_progress = now_s();
		}
drain:
		for (;;) {
			ssize_t n = read(g.fd, rx, sizeof(rx));
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die("read");
			}
			if (n < 40 || rx[0] != 0x45 || rx[9] != IPPROTO_TCP)
				continue;
			const uint8_t *tcp = rx + 20;
			if (rd16(tcp) != g.port || rd16(tcp + 2) != lport)
				continue;
			uint8_t fl = tcp[13];
			uint32_t seq = rd32(tcp + 4), ack = rd32(tcp + 8), win = rd16(tcp + 14);
			size_t dlen = rd16(rx + 2) - 20 - (size_t)(tcp[12] >> 4) * 4;
			if (fl & F_RST) {
				fprintf(stderr, "refpeer: connection reset\n");
				exit(1);
			}
			if (!synced) {
				if ((fl & (F_SYN | F_ACK)) != (F_SYN | F_ACK) || ack != iss + 1)
					continue;
				irs = seq;
				wnd = win;
				for (size_t o = 20, oe = (size_t)(tcp[12] >> 4) * 4; o < oe && tcp[o];) {
					if (tcp[o] == 1) {
						o++;
						continue;
					}
					if (o + 2 > oe || tcp[o + 1] < 2 || o + tcp[o + 1] > oe)
						break;
					if (tcp[o] == 2 && tcp[o + 1] == 4 && rd16(tcp + o + 2) < g.mss)
						g.mss = rd16(tcp + o + 2);
					if (tcp[o] == 3 && tcp[o + 1] == 3 && g.wscale >= 0)
						shift = tcp[o + 2] > 14 ? 14 : tcp[o + 2];
					o += tcp[o + 1];
				}
				emit(txbuf, g.tun_ip, lport, g.port, base, irs + 1, F_ACK, 0, 0);
				synced = 1;
				t0 = now_s();
				last_progress = t0;
				continue;
			}
			if ((fl & F_FIN) && !fin_rcvd && seq + (uint32_t)dlen == irs + 1) {
				fin_rcvd = 1;
				emit(txbuf, g.tun_ip, lport, g.port, base + (uint32_t)(total + 1), irs + 2,
				     F_ACK, 0, 0);
			}
			int32_t d = (int32_t)(ack - (base + (uint32_t)acked));
			uint64_t top = sent + (uint64_t)fin_sent;
			if (d > 0 && acked + (uint64_t)d <= top) {
				acked += (uint64_t)d;
				if (acked == total + 1)
					fin_acked = 1, acked = total;
				dup = 0;
				last_progress = now_s();
			} else if (d == 0 && win << shift == wnd && !dlen && !(fl & F_FIN) && sent > acked) {
				/* Three duplicate ACKs: send the first unacknowledged segment again
				 * (a window update that changes nothing counts too, since the
				 * window is capped at 65535: one spare segment, no rewind) */
				if (++dup == 3 && acked < total) {
					size_t len = total - acked < (uint64_t)g.mss ? (size_t)(total - acked) : (size_t)g.mss;
					emit(txbuf, g.tun_ip, lport, g.port, base + (uint32_t)acked,
					     irs + 1 + (uint32_t)fin_rcvd, F_ACK, len,
					     len == (size_t)g.mss ? psum_full : sum16(txbuf + 40, len, 0));
				}
			}
			wnd = win << shift;
		}
	}
	double t = now_s() - t0;
	printf("refpeer: sent %llu bytes in %.6f s (%.1f Mbit/s)\n", (unsigned long long)total, t,
	       (double)total * 8 / t / 1e6);
	fflush(stdout);
}

static int tun_up(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), sock;

	if (fd < 0)
		die("/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", g.tun);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die("socket");
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(g.tun_ip) };
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0 && errno != EEXIST)
		die("SIOCSIFADDR");
	sin.sin_addr.s_addr = htonl(g.prefix ? ~0u << (32 - g.prefix) : 0);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
		die("SIOCSIFNETMASK");
	ifr.ifr_mtu = g.mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
		die("SIOCSIFMTU");
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS");
	for (int ms = 0; ms < 2000; ms++) {          /* until the kernel's queue runs */
		struct timespec one = { 0, 1000000 };
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING))
			break;
		nanosleep(&one, NULL);
	}
	close(sock);
	return fd;
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K') v <<= 10, end++;
	else if (*end == 'M') v <<= 20, end++;
	else if (*end == 'G') v <<= 30, end++;
	if (end == s || *end) {
		fprintf(stderr, "refpeer: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

static uint32_t addr(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "refpeer: bad address: %s\n", s);
		exit(2);
	}
	return ntohl(a.s_addr);
}

static void usage(FILE *f, int status)
{
	fputs("usage: refpeer sink   [--port 9000] [--count N] [--ack-every N] [--ack-delay US]\n"
	      "       refpeer echo   [--port 7]\n"
	      "       refpeer source --bytes N [--port 9000] [--wscale SHIFT]\n"
	      "common: --tun NAME (tun0) --ip ADDR (10.0.0.2) --tun-ip ADDR/LEN (10.0.0.1/24)\n"
	      "        --mtu N (1500)\n"
	      "The bench's zero-cost TCP peer on TUN (tests/bench/README.md).\n", f);
	exit(status);
}

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int echo = !strcmp(mode, "echo");

	if (!strcmp(mode, "--help") || !strcmp(mode, "-h"))
		usage(stdout, 0);
	if (strcmp(mode, "sink") && !echo && strcmp(mode, "source"))
		usage(stderr, 2);
	g.port = echo ? 7 : 9000;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			usage(stdout, 0);
		if (!v)
			usage(stderr, 2);
		i++;
		if (!strcmp(o, "--port")) g.port = (uint16_t)number(v);
		else if (!strcmp(o, "--count")) g.count = (long)number(v);
		else if (!strcmp(o, "--ack-every")) g.ack_every = (int)number(v);
		else if (!strcmp(o, "--ack-delay")) g.ack_delay_us = (int)number(v);
		else if (!strcmp(o, "--bytes")) g.bytes = number(v);
		else if (!strcmp(o, "--wscale")) g.wscale = (int)number(v);
		else if (!strcmp(o, "--tun")) g.tun = v;
		else if (!strcmp(o, "--ip")) g.ip = addr(v);
		else if (!strcmp(o, "--mtu")) g.mtu = (int)number(v), g.mss = g.mtu - 40;
		else if (!strcmp(o, "--tun-ip")) {
			char a[32], *slash;
			snprintf(a, sizeof(a), "%s", v);
			if ((slash = strchr(a, '/')))
				*slash = 0, g.prefix = (int)number(slash + 1);
			g.tun_ip = addr(a);
		} else
			usage(stderr, 2);
	}
	if (g.mss < 88 || g.mss > 65495 || g.prefix > 32 || g.ack_every > 1000 || g.wscale > 14 ||
	    g.ack_delay_us > 999999)
		usage(stderr, 2);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	conns = calloc(65536, sizeof(*conns));
	pending = calloc(65536, sizeof(*pending));
	if (!conns || !pending)
		die("calloc");
	g.fd = tun_up();
	if (!strcmp(mode, "source")) {
		if (!g.bytes)
			usage(stderr, 2);
		source();
		return 0;
	}
	serve(echo);
	return 0;
}

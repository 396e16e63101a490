/* synflood - a SYN flood for the labs (seed 003: the half-open queue, SYN cookies).
 * Sends --count SYNs to 10.0.0.2:--port, --rate a second, each from a random source
 * in 198.18.0.0/15 (RFC 2544's benchmarking range: nobody there answers, so every
 * half-open connection stays half-open until the stack gives up on it), then
 * listens --wait ms, and counts what the stack sent back: SYN,ACKs (first, and
 * again: a SYN,ACK retransmitted means the stack kept state for that SYN; one sent
 * once only may be a SYN cookie) and RSTs. Only to 10.0.0.2.
 *
 * The SYNs go out through an AF_PACKET socket bound to the TUN device, on the
 * kernel's side of it: the stack reads them as if they came from the network, byte
 * for byte (a raw IP socket would have the kernel route them). The same socket
 * sees what the stack writes back. As tests/integration/hostile.c, it refuses to
 * run outside a network namespace of loopback and TUN devices (unshare -n). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DST         0x0a000002u      /* 10.0.0.2, the stack: the only destination */
#define FLOOD_NET   0xc6120000u      /* 198.18.0.0/15 (RFC 2544), the sources */
#define FLOOD_MASK  0xfffe0000u
#define SPORT_BASE  20000            /* SYN i comes from port SPORT_BASE + i */
#define MAX_COUNT   40000            /* so SPORT_BASE + i stays a port */
enum { TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10 };

struct flood {
	int fd;
	struct sockaddr_ll dev;
	uint16_t port;
	uint32_t *src;              /* the source of SYN i */
	uint16_t *answers;          /* SYN,ACKs to SYN i */
	unsigned count, rsts;
	uint64_t rng;
};

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p) { return get16(p) << 16 | get16(p + 2); }

static uint32_t rnd32(struct flood *f)      /* splitmix64: one --seed, one flood */
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (uint32_t)(z ^ (z >> 31));
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The Internet checksum (RFC 1071) of p, added to sum. */
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

/* SYN i: IPv4 header, TCP header with an MSS option (44 bytes in all). */
static size_t build_syn(struct flood *f, unsigned i, uint8_t *p)
{
	uint8_t *t = p + 20;
	uint32_t src = f->src[i], pseudo;

	memset(p, 0, 44);
	p[0] = 0x45;                                /* version 4, IHL 5 */
	put16(p + 2, 44);
	put16(p + 4, i);                            /* identification */
	p[8] = 64;                                  /* TTL */
	p[9] = 6;                                   /* TCP */
	put32(p + 12, src);
	put32(p + 16, DST);
	put16(p + 10, cksum(p, 20, 0));
	put16(t, SPORT_BASE + i);
	put16(t + 2, f->port);
	put32(t + 4, rnd32(f));                     /* ISN */
	t[12] = 6 << 4;                             /* data offset: 24 bytes */
	t[13] = TH_SYN;
	put16(t + 14, 64240);
	t[20] = 2;                                  /* option MSS, length 4: 1460 */
	t[21] = 4;
	put16(t + 22, 1460);
	pseudo = (src >> 16) + (src & 0xffff) + (DST >> 16) + (DST & 0xffff) + 6 + 24;
	put16(t + 16, cksum(t, 24, pseudo));
	return 44;
}

/* One packet the stack wrote: a SYN,ACK or RST to one of our SYNs is counted. */
static void take(struct flood *f, const uint8_t *p, size_t len)
{
	const uint8_t *t = p + (p[0] & 15) * 4;
	unsigned i;

	if (len < 40 || p[0] >> 4 != 4 || p[9] != 6 || get32(p + 12) != DST ||
	    (size_t)(t - p) + 20 > len || get16(t) != f->port)
		return;
	i = get16(t + 2) - SPORT_BASE;
	if (get16(t + 2) < SPORT_BASE || i >= f->count || get32(p + 16) != f->src[i])
		return;
	if ((t[13] & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		f->answers[i]++;
	else if (t[13] & TH_RST)
		f->rsts++;
}

/* Take what the stack sent until `until` (microseconds, now_us). */
static void listen_until(struct flood *f, uint64_t until)
{
	static uint8_t buf[65536];

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(f->fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		uint64_t now;

		if (n > 0) {
			if (from.sll_pkttype != PACKET_OUTGOING)   /* not our own SYNs */
				take(f, buf, (size_t)n);
			continue;
		}
		if ((now = now_us()) >= until)
			return;
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		poll(&pfd, 1, (int)((until - now + 999) / 1000));
	}
}

static const char *driver_of(const char *name, char drv[32])
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (char *)&info;
	drv[0] = 0;
	if (s >= 0 && ioctl(s, SIOCETHTOOL, &ifr) == 0)
		snprintf(drv, 32, "%s", info.driver);
	if (s >= 0)
		close(s);
	return drv;
}

/* Only on a TUN device, in a namespace of loopback and TUN devices only, not in
 * PID 1's: what it sends reaches the stack and nothing else. Else exit 3. */
static void check_safe(const char *dev)
{
	char self[64] = "", init[64] = "", drv[32];
	struct if_nameindex *ifs, *i;
	const char *why = NULL;

	if (readlink("/proc/self/ns/net", self, sizeof(self) - 1) > 0 &&
	    readlink("/proc/1/ns/net", init, sizeof(init) - 1) > 0 && !strcmp(self, init))
		why = "this is PID 1's network namespace";
	else if (strcmp(driver_of(dev, drv), "tun"))
		why = "the device is not a TUN device";
	else if ((ifs = if_nameindex())) {
		for (i = ifs; i->if_index && !why; i++)
			if (strcmp(i->if_name, "lo") && strcmp(driver_of(i->if_name, drv), "tun"))
				why = "the namespace has other devices than loopback and TUN";
		if_freenameindex(ifs);
	}
	if (why) {
		fprintf(stderr, "synflood: refusing to run on %s: %s (run it inside unshare -n, as "
			"the labs do)\n", dev, why);
		exit(3);
	}
}

static void open_device(struct flood *f, const char *dev)
{
	int rcvbuf = 4 << 20;

	f->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	memset(&f->dev, 0, sizeof(f->dev));
	f->dev.sll_family = AF_PACKET;
	f->dev.sll_protocol = htons(ETH_P_IP);
	f->dev.sll_ifindex = (int)if_nametoindex(dev);
	if (f->fd < 0 || !f->dev.sll_ifindex ||
	    bind(f->fd, (const struct sockaddr *)&f->dev, sizeof(f->dev)) < 0) {
		fprintf(stderr, "synflood: %s: %s\n", dev, strerror(errno));
		exit(3);
	}
	setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
}

/* Send the SYNs at `rate` a second, taking answers in between, then listen. */
static void flood(struct flood *f, unsigned rate, unsigned wait_ms)
{
	uint64_t t0 = now_us();
	uint8_t pkt[44];

	for (unsigned i = 0; i < f->count; i++) {
		size_t len = build_syn(f, i, pkt);
		const struct sockaddr *to = (const struct sockaddr *)&f->dev;

		if (sendto(f->fd, pkt, len, 0, to, sizeof(f->dev)) < 0) {
			fprintf(stderr, "synflood: send: %s\n", strerror(errno));
			exit(3);
		}
		listen_until(f, t0 + (uint64_t)(i + 1) * 1000000 / rate);
	}
	listen_until(f, now_us() + (uint64_t)wait_ms * 1000);
}

static void report(const struct flood *f, unsigned wait_ms)
{
	unsigned answered = 0, again = 0, total = 0;

	for (unsigned i = 0; i < f->count; i++) {
		answered += f->answers[i] > 0;
		again += f->answers[i] > 1;
		total += f->answers[i];
	}
	printf("synflood: %u SYNs sent to 10.0.0.2:%u from 198.18.0.0/15, then %u ms listening\n",
	       f->count, f->port, wait_ms);
	printf("synflood: %u answered with a SYN,ACK, %u not answered; %u SYN,ACKs in all\n",
	       answered, f->count - answered, total);
	printf("synflood: %u SYN,ACKs came again (retransmitted: state kept), %u came once "
	       "(a SYN cookie, or no retransmission yet); %u RSTs\n",
	       again, answered - again, f->rsts);
}

static void usage(FILE *out)
{
	fputs("usage: synflood [--port N] [--count N] [--rate N] [--wait MS] [--seed S]\n"
	      "                [--dev NAME]\n"
	      "Sends N SYNs to 10.0.0.2:PORT through the TUN device, each from a random source\n"
	      "in 198.18.0.0/15 (nobody there answers the SYN,ACKs), then counts what came back.\n"
	      "Root only, and only in a network namespace of loopback and TUN devices (as\n"
	      "the labs make).\n"
	      "  --port N     the stack's port (default 1234)\n"
	      "  --count N    how many SYNs (default 100, at most 40000)\n"
	      "  --rate N     SYNs a second (default 1000)\n"
	      "  --wait MS    listen this long after the last SYN (default 1000; 1000 sees no\n"
	      "               retransmitted SYN,ACK yet, 3500 sees two: RTO 1 s, then 2 s)\n"
	      "  --seed S     the sources and ISNs are drawn from seed S (default 1)\n"
	      "  --dev NAME   the TUN device (default tun0)\n", out);
}

static unsigned long number(const char *s, unsigned long min, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "synflood: --%s: a number from %lu to %lu: %s (try --help)\n", what,
			min, max, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, 0, 'p' }, { "count", required_argument, 0, 'c' },
		{ "rate", required_argument, 0, 'r' }, { "wait", required_argument, 0, 'w' },
		{ "seed", required_argument, 0, 's' }, { "dev", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct flood f = { .port = 1234, .count = 100, .rng = 1 };
	unsigned rate = 1000, wait_ms = 1000;
	const char *dev = "tun0";
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': f.port = (uint16_t)number(optarg, 1, 65535, "port"); break;
		case 'c': f.count = (unsigned)number(optarg, 1, MAX_COUNT, "count"); break;
		case 'r': rate = (unsigned)number(optarg, 1, 1000000, "rate"); break;
		case 'w': wait_ms = (unsigned)number(optarg, 0, 600000, "wait"); break;
		case 's': f.rng = number(optarg, 0, ~0ul, "seed"); break;
		case 'd': dev = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "synflood: unexpected argument: %s (try --help)\n", argv[optind]);
		return 2;
	}
	check_safe(dev);
	open_device(&f, dev);
	f.src = calloc(f.count, sizeof(*f.src));
	f.answers = calloc(f.count, sizeof(*f.answers));
	for (unsigned i = 0; i < f.count; i++)
		f.src[i] = FLOOD_NET | (rnd32(&f) & ~FLOOD_MASK);
	flood(&f, rate, wait_ms);
	report(&f, wait_ms);
	free(f.src);
	free(f.answers);
	close(f.fd);
	return 0;
}

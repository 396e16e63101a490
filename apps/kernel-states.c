/* kernel-states - the Linux kernel's own TCP state changes, from its tracepoint
 * sock:inet_sock_set_state, written as the stack writes its transition log (same
 * clock, same time format, marked "kernel"), so `sort -m` puts the kernel's states,
 * the stack's and tcpdump's lines in one time line:
 *   21:22:11.951290 kernel 10.0.0.1:53326 > 10.0.0.2:1234 SYN-SENT -> ESTABLISHED
 * Root only. Works in a private tracefs instance, removed on exit (SIGINT, SIGTERM).
 * Without tracefs it says so on stderr and exits 3, so callers fall back.
 * Entry point: main; tracefs_find, instance_open/close, event_parse, queue_*. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include "log.h"
#include "options.h"

#define EXIT_NO_TRACEFS 3
#define MAX_ADDRS       16
#define QUEUE_MAX       256        /* events held back at most (then the oldest goes) */
#define HOLD_US         20000      /* each event waits 20 ms, so that one recorded late
				    * on another CPU still comes out in time order */
#define PORT_WAIT_US    3000000    /* how long a connect()'s first line waits for its
				    * port (see queue_resolve_port) */
#define BUFFER_KB       "256"      /* the instance's trace buffer, per CPU */
#define EVENT           "events/sock/inet_sock_set_state"
#define ROOT_MAX        64         /* "/sys/kernel/debug/tracing" */
#define PATH_LEN        256

/* The kernel's state numbers (include/net/tcp_states.h) and their RFC 9293 names.
 * TCP_NEW_SYN_RECV is a listener's request socket (a SYN answered, no socket yet). */
enum { K_ESTABLISHED = 1, K_SYN_SENT, K_SYN_RECV, K_FIN_WAIT1, K_FIN_WAIT2, K_TIME_WAIT,
       K_CLOSE, K_CLOSE_WAIT, K_LAST_ACK, K_LISTEN, K_CLOSING, K_NEW_SYN_RECV, K_NSTATES };
static const char *const kstate_kernel[K_NSTATES] = {
	[K_ESTABLISHED] = "TCP_ESTABLISHED", [K_SYN_SENT] = "TCP_SYN_SENT",
	[K_SYN_RECV] = "TCP_SYN_RECV", [K_FIN_WAIT1] = "TCP_FIN_WAIT1",
	[K_FIN_WAIT2] = "TCP_FIN_WAIT2", [K_TIME_WAIT] = "TCP_TIME_WAIT",
	[K_CLOSE] = "TCP_CLOSE", [K_CLOSE_WAIT] = "TCP_CLOSE_WAIT",
	[K_LAST_ACK] = "TCP_LAST_ACK", [K_LISTEN] = "TCP_LISTEN",
	[K_CLOSING] = "TCP_CLOSING", [K_NEW_SYN_RECV] = "TCP_NEW_SYN_RECV",
};
static const char *const kstate_rfc[K_NSTATES] = {
	[K_ESTABLISHED] = "ESTABLISHED", [K_SYN_SENT] = "SYN-SENT",
	[K_SYN_RECV] = "SYN-RECEIVED", [K_FIN_WAIT1] = "FIN-WAIT-1",
	[K_FIN_WAIT2] = "FIN-WAIT-2", [K_TIME_WAIT] = "TIME-WAIT", [K_CLOSE] = "CLOSED",
	[K_CLOSE_WAIT] = "CLOSE-WAIT", [K_LAST_ACK] = "LAST-ACK", [K_LISTEN] = "LISTEN",
	[K_CLOSING] = "CLOSING", [K_NEW_SYN_RECV] = "SYN-RECEIVED",
};

struct ks_options {
	uint8_t addr[MAX_ADDRS][4];   /* --addr: record sockets with one of these as an end */
	int naddr;
	const char *out;              /* -o FILE, NULL: stdout */
	const char *ready;            /* --ready FILE: touched once tracing is live */
};

/* The instance's clock and how to turn its stamps into CLOCK_REALTIME. */
struct kclock {
	clockid_t id;                 /* CLOCK_TAI or CLOCK_MONOTONIC */
	int64_t to_real_us;           /* add to a stamp to get CLOCK_REALTIME */
};

struct instance {
	char dir[ROOT_MAX + 40];      /* ROOT/instances/tuntcp-PID; empty: none made */
	int pipe_fd;                  /* its trace_pipe, non-blocking */
	struct kclock clock;
};

struct kev {                          /* one state change, as read */
	uint64_t us;                  /* when, CLOCK_REALTIME microseconds */
	uint64_t sk;                  /* the socket's kernel address; 0: not in the format */
	int oldstate, newstate;       /* the kernel's numbers */
	uint16_t sport, dport;
	uint8_t saddr[4], daddr[4];
	int port_pending;             /* connect() traced before its port was chosen */
	char note[64];                /* what /proc/net/tcp adds; may be empty */
};

struct queue {                        /* events held back, in time order */
	struct kev ev[QUEUE_MAX];
	int n;
};

struct ks {
	struct ks_options opt;
	FILE *out;
	struct instance in;
	struct queue q;
	int sigfd;                    /* SIGINT, SIGTERM, SIGHUP, SIGPIPE */
	char buf[16384];              /* trace_pipe text not yet split into lines */
	size_t len;
};

static void usage(FILE *f)
{
	fputs("usage: kernel-states [--addr A]... [-o FILE] [--ready FILE]\n"
	      "Records the Linux kernel's TCP state changes (tracepoint sock:inet_sock_set_state)\n"
	      "as lines of the stack's transition log, on the same clock, marked \"kernel\":\n"
	      "  21:22:11.951290 kernel 10.0.0.1:53326 > 10.0.0.2:1234 SYN-SENT -> ESTABLISHED\n"
	      "Runs as root until SIGINT or SIGTERM. Exit 3 when the kernel cannot be asked\n"
	      "(not root, no tracefs, no tracepoint): callers then infer the kernel's states.\n"
	      "  --addr A      record sockets with A as one end; repeatable\n"
	      "                (default 10.0.0.1 and 10.0.0.2)\n"
	      "  -o FILE       write the lines to FILE (default stdout), one flush a line\n"
	      "  --ready FILE  create FILE once tracing is live (wait for it, then start traffic)\n"
	      "  --help        this text\n", f);
}

static void options_parse(int argc, char **argv, struct ks_options *o)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, 0, 'a' }, { "ready", required_argument, 0, 'r' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	uint32_t a;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		} else if (c == 'o') {
			o->out = optarg;
		} else if (c == 'r') {
			o->ready = optarg;
		} else if (c == 'a') {
			if (net_parse_addr(optarg, &a))
				net_bad_usage(argv[0], "--addr: not an IPv4 address: %s", optarg);
			if (o->naddr == MAX_ADDRS)
				net_bad_usage(argv[0], "--addr: at most %d addresses", MAX_ADDRS);
			a = htonl(a);
			memcpy(o->addr[o->naddr++], &a, 4);
		} else {
			exit(2);   /* getopt_long has said what was wrong */
		}
	}
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (!o->naddr) {
		inet_pton(AF_INET, "10.0.0.1", o->addr[0]);
		inet_pton(AF_INET, "10.0.0.2", o->addr[1]);
		o->naddr = 2;
	}
}

/* ---- tracefs ---------------------------------------------------------------- */

static void say_why(char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static int path_exists(const char *dir, const char *name)
{
	char p[PATH_LEN];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/* Where tracefs is. When it is not mounted, mount it in a mount namespace of our
 * own: tracefs is one file system whatever the mount point, so the instance made
 * through it is the kernel's, and nothing is left mounted when we exit. */
static int tracefs_find(char root[ROOT_MAX], char *why, size_t n)
{
	static const char *const where[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		if (path_exists(where[i], "instances")) {
			snprintf(root, ROOT_MAX, "%s", where[i]);
			return 0;
		}
	}
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("nodev", where[0], "tracefs", 0, NULL)) {
		say_why(why, n, "cannot mount tracefs on %s: %s", where[0], strerror(errno));
		return -1;
	}
	snprintf(root, ROOT_MAX, "%s", where[0]);
	return 0;
}

static int tfs_write(const char *dir, const char *name, const char *value)
{
	char p[PATH_LEN];
	int fd, r = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Instances left by a kernel-states that was killed (SIGKILL) before it could remove
 * its own. One still in use cannot be removed (EBUSY), so this never breaks a run. */
static void instances_remove_stale(const char *root)
{
	char dir[ROOT_MAX + 16], name[32], p[PATH_LEN];
	struct dirent *d;
	DIR *ds;
	int pid;

	snprintf(dir, sizeof(dir), "%s/instances", root);
	if (!(ds = opendir(dir)))
		return;
	while ((d = readdir(ds))) {
		if (sscanf(d->d_name, "tuntcp-%d", &pid) != 1 || pid <= 0)
			continue;
		snprintf(name, sizeof(name), "tuntcp-%d", pid);
		if (strcmp(name, d->d_name) || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, name);
		rmdir(p);
	}
	closedir(ds);
}

/* ---- the clock -------------------------------------------------------------- */

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The stack and tcpdump stamp with CLOCK_REALTIME, which tracefs does not offer.
 * "tai" (CLOCK_TAI) is CLOCK_REALTIME plus the kernel's TAI offset, a whole number of
 * seconds that changes only at a leap second: a stamp converts exactly, even one
 * recorded before the wall clock was stepped (NTP, settimeofday). "mono"
 * (CLOCK_MONOTONIC) is the fallback on older kernels, which lack "tai": its
 * distance to CLOCK_REALTIME changes whenever the wall clock is stepped, so it is
 * measured again before every batch of events is converted. Both are in ns and
 * printed in us by trace_pipe. */
static void kclock_measure(struct kclock *c)
{
	int64_t r1, k, r2;

	r1 = clock_us(CLOCK_REALTIME);
	k = clock_us(c->id);
	r2 = clock_us(CLOCK_REALTIME);
	c->to_real_us = (r1 + r2) / 2 - k;
	if (c->id == CLOCK_TAI)   /* whole seconds, rounded */
		c->to_real_us = (c->to_real_us + (c->to_real_us < 0 ? -500000 : 500000)) /
				1000000 * 1000000;
}

static int kclock_choose(struct instance *in)
{
	if (tfs_write(in->dir, "trace_clock", "tai") == 0)
		in->clock.id = CLOCK_TAI;
	else if (tfs_write(in->dir, "trace_clock", "mono") == 0)
		in->clock.id = CLOCK_MONOTONIC;
	else
		return -1;
	kclock_measure(&in->clock);
	return 0;
}

/* ---- the instance ------------------------------------------------------------- */

/* The kernel filters what it can: TCP, and one of our addresses at either end (a
 * 4-byte array field compares as a u32 in memory order). There is no field for
 * the network namespace: see the README. Older kernels may refuse the address
 * part; event_wanted() filters again anyway. */
static void instance_filter(const struct instance *in, const struct ks_options *o)
{
	char f[64 + MAX_ADDRS * 60] = "protocol == 6 && (";
	uint32_t a;

	for (int i = 0; i < o->naddr; i++) {
		memcpy(&a, o->addr[i], 4);
		snprintf(f + strlen(f), sizeof(f) - strlen(f), "%ssaddr == 0x%08x || daddr == 0x%08x",
			 i ? " || " : "", a, a);
	}
	strcat(f, ")");
	if (tfs_write(in->dir, EVENT "/filter", f))
		tfs_write(in->dir, EVENT "/filter", "protocol == 6");
}

static int instance_open(struct instance *in, const char *root, const struct ks_options *o,
			 char *why, size_t n)
{
	char p[PATH_LEN];
	int r;

	instances_remove_stale(root);
	snprintf(in->dir, sizeof(in->dir), "%s/instances/tuntcp-%d", root, (int)getpid());
	if (mkdir(in->dir, 0700)) {
		say_why(why, n, "cannot make the instance %s: %s", in->dir, strerror(errno));
		in->dir[0] = 0;
		return -1;
	}
	if (!path_exists(in->dir, EVENT "/enable")) {
		say_why(why, n, "the kernel has no tracepoint sock:inet_sock_set_state");
		return -1;
	}
	if (kclock_choose(in)) {
		say_why(why, n, "the instance takes neither trace_clock tai nor mono");
		return -1;
	}
	tfs_write(in->dir, "buffer_size_kb", BUFFER_KB);
	tfs_write(in->dir, "trace_options", "fields");   /* raw fields, with skaddr (newer kernels) */
	instance_filter(in, o);
	snprintf(p, sizeof(p), "%s/trace_pipe", in->dir);
	if ((in->pipe_fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		r = -errno;
	else
		r = tfs_write(in->dir, EVENT "/enable", "1");
	if (r) {
		say_why(why, n, "cannot trace sock:inet_sock_set_state: %s", strerror(-r));
		return -1;
	}
	return 0;
}

static void instance_close(struct instance *in)
{
	if (!in->dir[0])
		return;
	tfs_write(in->dir, EVENT "/enable", "0");
	if (in->pipe_fd >= 0)
		close(in->pipe_fd);
	in->pipe_fd = -1;
	if (rmdir(in->dir))
		fprintf(stderr, "kernel-states: cannot remove %s: %s\n", in->dir, strerror(errno));
	in->dir[0] = 0;
}

/* ---- one event ------------------------------------------------------------------ */

/* The text after " NAME=" in an event, or NULL. */
static const char *event_field(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
		if (p[-1] == ' ' && p[n] == '=')
			return p + n + 1;
	return NULL;
}

/* "TCP_SYN_SENT" (the default format) or "0x2 (2)" (with the option "fields"). */
static int event_state(const char *v)
{
	size_t n;
	long s;

	if (!v)
		return -1;
	if (strncmp(v, "TCP_", 4) == 0) {
		n = strcspn(v, " ");
		for (s = 1; s < K_NSTATES; s++)
			if (strlen(kstate_kernel[s]) == n && !strncmp(v, kstate_kernel[s], n))
				return (int)s;
		return -1;
	}
	s = strtol(v, NULL, 0);
	return s > 0 && s < K_NSTATES ? (int)s : -1;
}

/* "10.0.0.1" (default format) or "0x100000a (16777226)": the array read as a u32. */
static int event_addr(const char *v, uint8_t a[4])
{
	char s[16];
	size_t n;
	uint32_t u;

	if (!v)
		return -1;
	n = strcspn(v, " ");
	if (memchr(v, '.', n)) {
		if (n >= sizeof(s))
			return -1;
		memcpy(s, v, n);
		s[n] = 0;
		return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
	}
	u = (uint32_t)strtoul(v, NULL, 16);
	memcpy(a, &u, 4);
	return 0;
}

static int event_is_tcp(const char *v)
{
	return v && (strncmp(v, "IPPROTO_TCP ", 12) == 0 || strtol(v, NULL, 0) == 6);
}

/* One line of trace_pipe, in either format:
 *   python3-23333 [001] ..s2. 2492.849227: inet_sock_set_state: family=AF_INET
 *   protocol=IPPROTO_TCP sport=5000 dport=49084 saddr=10.0.0.1 daddr=10.0.0.1 ...
 *   oldstate=TCP_LISTEN newstate=TCP_SYN_RECV
 * The stamp is the instance's clock, in us. 0, or -1 if it is not such an event. */
static int event_parse(const char *line, const struct kclock *c, struct kev *e)
{
	const char *t = strstr(line, " inet_sock_set_state: "), *ts;
	unsigned long long sec;
	unsigned long usec;

	if (!t || t - line < 2 || t[-1] != ':')
		return -1;
	for (ts = t - 1; ts > line && ts[-1] != ' '; ts--)
		;
	if (sscanf(ts, "%llu.%6lu:", &sec, &usec) != 2)
		return -1;
	memset(e, 0, sizeof(*e));
	e->us = (uint64_t)((int64_t)(sec * 1000000 + usec) + c->to_real_us);
	e->oldstate = event_state(event_field(t, "oldstate"));
	e->newstate = event_state(event_field(t, "newstate"));
	if (e->oldstate < 0 || e->newstate < 0 || !event_field(t, "sport") ||
	    !event_field(t, "dport") || !event_is_tcp(event_field(t, "protocol")) ||
	    event_addr(event_field(t, "saddr"), e->saddr) ||
	    event_addr(event_field(t, "daddr"), e->daddr))
		return -1;
	e->sport = (uint16_t)strtoul(event_field(t, "sport"), NULL, 0);
	e->dport = (uint16_t)strtoul(event_field(t, "dport"), NULL, 0);
	if (event_field(t, "skaddr"))
		e->sk = strtoull(event_field(t, "skaddr"), NULL, 0);
	e->port_pending = e->newstate == K_SYN_SENT && e->sport == 0;
	return 0;
}

/* One of our addresses at either end (the kernel's filter may be missing). */
static int event_wanted(const struct ks_options *o, const struct kev *e)
{
	for (int i = 0; i < o->naddr; i++)
		if (!memcmp(o->addr[i], e->saddr, 4) || !memcmp(o->addr[i], e->daddr, 4))
			return 1;
	return 0;
}

/* Linux ends a connection's full socket early: tcp_time_wait() puts a small
 * timewait socket in its place (in TIME-WAIT, or in FIN-WAIT-2 for an orphan that
 * waits for the peer's FIN) and the full socket reports -> CLOSED. The timewait
 * socket's changes and its end are never traced; /proc/net/tcp lists it (with its
 * state), and we say so on the line, when we run in its network namespace. */
static void event_note_timewait(struct kev *e)
{
	unsigned la, lp, ra, rp, st;
	uint32_t s, d;
	char line[256];
	FILE *f;

	if (e->newstate != K_CLOSE || (e->oldstate != K_FIN_WAIT1 &&
	    e->oldstate != K_FIN_WAIT2 && e->oldstate != K_CLOSING))
		return;
	if (!(f = fopen("/proc/net/tcp", "re")))
		return;
	memcpy(&s, e->saddr, 4);
	memcpy(&d, e->daddr, 4);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %x:%x %x:%x %x", &la, &lp, &ra, &rp, &st) == 5 &&
		    la == s && lp == e->sport && ra == d && rp == e->dport &&
		    (st == K_TIME_WAIT || st == K_FIN_WAIT2)) {
			snprintf(e->note, sizeof(e->note), " (now a timewait socket in %s: no more events)",
				 kstate_rfc[st]);
			break;
		}
	}
	fclose(f);
}

static void endpoint(char buf[24], const uint8_t a[4], uint16_t port, int port_known)
{
	static const uint8_t any[4];
	char s[INET_ADDRSTRLEN];

	if (!memcmp(a, any, 4) && !port)
		snprintf(buf, 24, "*:*");   /* a listener's remote end, as the stack writes it */
	else if (!port_known)
		snprintf(buf, 24, "%s:*", inet_ntop(AF_INET, a, s, sizeof(s)));
	else
		snprintf(buf, 24, "%s:%u", inet_ntop(AF_INET, a, s, sizeof(s)), port);
}

/* "21:22:11.951290 kernel 10.0.0.1:53326 > 10.0.0.2:1234 SYN-SENT -> ESTABLISHED" */
static void event_print(FILE *out, const struct kev *e)
{
	char t[16], src[24], dst[24];

	log_time(e->us, t);
	endpoint(src, e->saddr, e->sport, !e->port_pending);
	endpoint(dst, e->daddr, e->dport, 1);
	fprintf(out, "%s kernel %s > %s %s -> %s%s\n", t, src, dst, kstate_rfc[e->oldstate],
		kstate_rfc[e->newstate], e->note);
}

/* ---- the events held back ------------------------------------------------------ */

static int64_t queue_deadline(const struct kev *e)
{
	return (int64_t)e->us + (e->port_pending ? PORT_WAIT_US : HOLD_US);
}

/* Prints the events whose time has come (all of them if `all`), oldest first. */
static void queue_release(struct queue *q, int64_t now, FILE *out, int all)
{
	int i = 0;

	while (i < q->n && (all || queue_deadline(&q->ev[i]) <= now))
		event_print(out, &q->ev[i++]);
	q->n -= i;
	memmove(q->ev, q->ev + i, (size_t)q->n * sizeof(q->ev[0]));
}

/* poll's timeout: until the oldest event is due; -1 when none waits. */
static int queue_timeout_ms(const struct queue *q, int64_t now)
{
	int64_t left;

	if (!q->n)
		return -1;
	left = queue_deadline(&q->ev[0]) - now;
	return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

static void queue_push(struct queue *q, const struct kev *e, FILE *out)
{
	int i;

	if (q->n == QUEUE_MAX) {   /* full: the oldest goes now, late or not */
		event_print(out, &q->ev[0]);
		memmove(q->ev, q->ev + 1, (size_t)--q->n * sizeof(q->ev[0]));
	}
	for (i = q->n; i > 0 && q->ev[i - 1].us > e->us; i--)
		q->ev[i] = q->ev[i - 1];
	q->ev[i] = *e;
	q->n++;
}

/* connect() reports CLOSED -> SYN-SENT before it picks the local port
 * (tcp_v4_connect: tcp_set_state, then inet_hash_connect), so that event has sport
 * 0. The socket's next event, SYN-SENT -> something, has the port: the first line
 * waits for it (up to PORT_WAIT_US, then it shows the port as *). The socket is
 * known by its address in the kernel, or without the "fields" option by its ends. */
static void queue_resolve_port(struct queue *q, const struct kev *e)
{
	if (e->oldstate != K_SYN_SENT || !e->sport)
		return;
	for (int i = 0; i < q->n; i++) {
		struct kev *w = &q->ev[i];

		if (w->port_pending && (e->sk ? w->sk == e->sk :
		    !memcmp(w->saddr, e->saddr, 4) && !memcmp(w->daddr, e->daddr, 4) &&
		    w->dport == e->dport)) {
			w->sport = e->sport;
			w->port_pending = 0;
			return;
		}
	}
}

/* ---- reading trace_pipe --------------------------------------------------------- */

static void ks_line(struct ks *k, const char *line)
{
	struct kev e;

	if (event_parse(line, &k->in.clock, &e) == 0) {
		if (!event_wanted(&k->opt, &e))
			return;
		queue_resolve_port(&k->q, &e);
		event_note_timewait(&e);
		queue_push(&k->q, &e, k->out);
	} else if (strstr(line, "[LOST ")) {   /* "CPU:1 [LOST 23 EVENTS]" */
		fprintf(stderr, "kernel-states: %s (the trace buffer overflowed)\n", line);
	}
}

static void ks_lines(struct ks *k)
{
	char *line = k->buf, *nl;

	while ((nl = strchr(line, '\n'))) {
		*nl = 0;
		ks_line(k, line);
		line = nl + 1;
	}
	k->len -= (size_t)(line - k->buf);
	memmove(k->buf, line, k->len);
	if (k->len == sizeof(k->buf) - 1)
		k->len = 0;   /* a line this long is no event of ours */
}

/* Everything trace_pipe holds now. 0 or -errno. */
static int ks_read(struct ks *k)
{
	ssize_t r;

	kclock_measure(&k->in.clock);
	while ((r = read(k->in.pipe_fd, k->buf + k->len, sizeof(k->buf) - 1 - k->len)) > 0) {
		k->len += (size_t)r;
		k->buf[k->len] = 0;
		ks_lines(k);
	}
	return r < 0 && errno != EAGAIN && errno != EINTR ? -errno : 0;
}

/* Until a signal: read events, print each once it is due. Then what is left. */
static int ks_run(struct ks *k)
{
	struct pollfd p[2] = { { k->in.pipe_fd, POLLIN, 0 }, { k->sigfd, POLLIN, 0 } };
	int r = 0;

	while (!r && !ferror(k->out)) {
		int64_t now = clock_us(CLOCK_REALTIME);

		queue_release(&k->q, now, k->out, 0);
		if (poll(p, 2, queue_timeout_ms(&k->q, now)) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents)
			break;
		if (p[0].revents)
			r = ks_read(k);
	}
	if (!r)
		r = ks_read(k);   /* what the kernel recorded before the signal */
	queue_release(&k->q, 0, k->out, 1);
	fflush(k->out);
	return r ? r : ferror(k->out) ? -EIO : 0;
}

/* ---- main -------------------------------------------------------------------------- */

/* SIGINT, SIGTERM, SIGHUP and SIGPIPE (a reader gone) all end the run through a
 * signalfd, so the instance is always removed. */
static int signals_take(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGPIPE);
	sigprocmask(SIG_BLOCK, &s, NULL);
	return signalfd(-1, &s, SFD_CLOEXEC);
}

static int ks_start(struct ks *k)
{
	char root[ROOT_MAX], why[PATH_LEN] = "";

	if (geteuid() != 0)
		snprintf(why, sizeof(why), "not root");
	else if (tracefs_find(root, why, sizeof(why)) == 0 &&
		 instance_open(&k->in, root, &k->opt, why, sizeof(why)) == 0)
		return 0;
	instance_close(&k->in);
	fprintf(stderr, "kernel-states: no tracefs (%s); the kernel's states will be inferred\n", why);
	return -1;
}

static int ready_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct ks k = { .in.pipe_fd = -1, .sigfd = -1 };
	int r;

	options_parse(argc, argv, &k.opt);
	if ((k.sigfd = signals_take()) < 0) {
		perror("kernel-states: signalfd");
		return 1;
	}
	k.out = k.opt.out ? fopen(k.opt.out, "w") : stdout;
	if (!k.out) {
		fprintf(stderr, "kernel-states: %s: %s\n", k.opt.out, strerror(errno));
		return 1;
	}
	setvbuf(k.out, NULL, _IOLBF, 0);
	if (ks_start(&k))
		return EXIT_NO_TRACEFS;
	if (k.opt.ready && (r = ready_touch(k.opt.ready)) < 0)
		fprintf(stderr, "kernel-states: %s: %s\n", k.opt.ready, strerror(-r));
	else if ((r = ks_run(&k)) < 0)
		fprintf(stderr, "kernel-states: %s\n", strerror(-r));
	instance_close(&k.in);
	if (k.out != stdout)
		fclose(k.out);
	return r < 0 ? 1 : 0;
}

/* ss.c - a connection's status as `ss -tino` prints it (ss.h): iproute2's misc/ss.c
 * is the model for the columns, the timer text (print_ms_timer) and the detail
 * keys (rtt:SRTT/RTTVAR in ms, rto, mss, cwnd in segments, ssthresh, snd_wnd,
 * rcv_wnd, bytes_acked, bytes_received, segs_out, segs_in, retrans). Additions: a
 * listener's two queues with their limits, cwnd and ssthresh in bytes too, every
 * armed timer (ss shows one) including delack, and who holds the connection. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                /* accept4, memrchr, strerrorname_np */
#endif
#include <stdbool.h>
#include <string.h>
#include "options.h"
#include "ss.h"

void ss_print_header(FILE *f)
{
	fprintf(f, "%-12s %-6s %-6s %15s:%-5s %15s:%s\n", "State", "Recv-Q", "Send-Q",
		"Local Address", "Port", "Peer Address", "Port");
}

const char *ss_time(uint64_t ms, char buf[32])
{
	unsigned long long min = ms / 60000, sec = ms / 1000 % 60, msec = ms % 1000;
	int n = 0;

	if (!ms)
		return strcpy(buf, "due");
	buf[0] = 0;
	if (min) {
		msec = 0;
		n = snprintf(buf, 32, "%llumin", min);
		if (min > 9)
			sec = 0;
	}
	if (sec) {
		if (sec > 9)
			msec = 0;
		n += snprintf(buf + n, 32 - (size_t)n, "%llu%s", sec, msec ? "." : "sec");
	}
	if (msec)   /* "1.500sec" as iproute2 since 2024; before it printed "1.500ms" */
		snprintf(buf + n, 32 - (size_t)n, "%03llu%s", msec, sec ? "sec" : "ms");
	return buf;
}

static void ss_timer(FILE *f, const char *name, uint64_t at, int count, uint64_t now)
{
	uint64_t left_ms = at > now ? (at - now + 999) / 1000 : 0;
	char t[32];

	if (at)
		fprintf(f, " timer:(%s,%s,%d)", name, ss_time(left_ms, t), count);
}

/* ss's names: "on" is the retransmission timer. The FIN-WAIT-2 timeout of a closed
 * connection shares TIME-WAIT's deadline and name (on Linux too). */
static void ss_timers(FILE *f, const struct tcp_status *st, uint64_t now)
{
	ss_timer(f, "on", st->rexmt_at, st->rexmt_count, now);
	ss_timer(f, "persist", st->persist_at, st->probes, now);
	ss_timer(f, "delack", st->delack_at, 0, now);
	ss_timer(f, "timewait", st->timewait_at, 0, now);
}

/* "4(5840B)": a window in segments of `mss`, as ss counts it, and in bytes. */
static void ss_window(FILE *f, const char *name, uint32_t bytes, uint32_t mss)
{
	if (bytes >= 0x7fffffffu)
		fprintf(f, " %s:inf", name);            /* RFC 5681 3.1: "arbitrarily high" */
	else
		fprintf(f, " %s:%u(%uB)", name, mss ? bytes / mss : 0, bytes);
}

/* What ss -i shows of a connection that has (or is getting) a peer. */
static void ss_tcp_info(FILE *f, const struct tcp_status *st)
{
	if (st->ts_ok)
		fputs(" ts", f);                         /* the options in force, as ss -i */
	if (st->sack_ok)
		fputs(" sack", f);
	if (st->wscale_ok && st->synchronized)
		fprintf(f, " wscale:%d,%d", st->snd_wscale, st->rcv_wscale);
	if (st->rtt_valid)
		fprintf(f, " rtt:%g/%g", st->srtt_us / 1000.0, st->rttvar_us / 1000.0);
	fprintf(f, " rto:%u mss:%u", st->rto_ms, st->mss);
	ss_window(f, "cwnd", st->cwnd, st->mss);
	ss_window(f, "ssthresh", st->ssthresh, st->mss);
	fprintf(f, " snd_wnd:%u rcv_wnd:%u", st->snd_wnd, st->rcv_wnd);
	if (st->in_recovery)
		fputs(" recovery", f);
	if (st->ooo_pieces)
		fprintf(f, " ooo:%d", st->ooo_pieces);
}

/* ss's counters; retrans:X/Y is ss's "now/in all": X the retransmissions of the data
 * still unacknowledged, Y every segment sent again. */
static void ss_counters(FILE *f, const struct tcp_status *st)
{
	fprintf(f, " bytes_acked:%llu bytes_received:%llu segs_out:%u segs_in:%u",
		(unsigned long long)st->bytes_acked, (unsigned long long)st->bytes_received,
		st->segs_out, st->segs_in);
	if (st->retrans)
		fprintf(f, " retrans:%d/%u", st->rexmt_count, st->retrans);
}

static const char *ss_errname(int err)
{
	const char *s = strerrorname_np(-err);

	return s ? s : "?";
}

/* Who holds it: a user by its handle, nobody (an orphan: closed, finishing its close
 * alone), or its listener (a child not yet accepted). */
static void ss_owner(FILE *f, const struct tcp_status *st)
{
	if (st->child)
		fputs(st->child == 1 ? " half-open" : " unaccepted", f);
	else if (!st->child && (!st->user_held || st->user_closed))
		fputs(" orphan", f);
	else if (!st->child)
		fprintf(f, " handle:%d", st->handle);
	if (st->error)
		fprintf(f, " error:%s", ss_errname(st->error));
	if (st->soft_error)
		fprintf(f, " soft_error:%s", ss_errname(st->soft_error));
}

/* A listener has queues (backlog >= 1); a half-open child is born in LISTEN, a copy
 * of its listener, and has none. */
static void ss_details(FILE *f, const struct tcp_status *st, uint64_t now)
{
	bool listener = st->backlog > 0;

	fputc('\t', f);
	if (listener)
		fprintf(f, " synq:%d/%d acceptq:%d/%d", st->synq_len, st->synq_max,
			st->acceptq_len, st->acceptq_max);
	ss_timers(f, st, now);
	if (!listener && st->state != TCP_CLOSED && st->state != TCP_TIME_WAIT)
		ss_tcp_info(f, st);
	if (st->segs_out || st->segs_in)
		ss_counters(f, st);
	ss_owner(f, st);
	fputc('\n', f);
}

void ss_print(FILE *f, const struct tcp_status *st, uint64_t now)
{
	char la[16], ra[16], rp[8];
	unsigned long long rq = st->rcv_queued, sq = st->snd_queued;

	snprintf(rp, sizeof(rp), "%u", st->rport);
	if (st->backlog) {                        /* as ss -l: the accept queue, and its backlog */
		rq = (unsigned long long)st->acceptq_len;
		sq = (unsigned long long)st->backlog;
	}
	fprintf(f, "%-12s %-6llu %-6llu %15s:%-5u %15s:%s\n", tcp_state_name(st->state), rq, sq,
		net_addr_str(st->laddr, la), st->lport, st->raddr ? net_addr_str(st->raddr, ra) : "*",
		st->rport ? rp : "*");
	ss_details(f, st, now);
}

/* harness.h - a scripted peer for the core, in virtual time. One stack under test
 * (10.0.0.2) and a peer (10.0.0.1) that is this test: the test says what the peer
 * sends and what it expects the stack to send, like a story:
 *     peer_sends(h, TH_SYN, IRS, 0, NULL, 0);
 *     expect_sent(h, TH_SYN | TH_ACK, ISS, IRS + 1, 0);
 *     expect_state(h, TCP_SYN_RECEIVED);
 * On a failure the whole transcript (every action, segment and transition) and
 * the random seed are printed. */
#ifndef TUNTCP_HARNESS_H
#define TUNTCP_HARNESS_H
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include "config.h"
#include "stack.h"
#include "tcp.h"
#include "trace.h"
#include "wire.h"

#define STACK_IP  0x0a000002u       /* 10.0.0.2 */
#define PEER_IP   0x0a000001u       /* 10.0.0.1 */
#define ISS       0xffffff00u       /* the stack's ISN: near the wrap, on purpose */
#define IRS       0xfffffff0u       /* the peer's ISN */
#define PORT      1234              /* the stack's listening port */
#define PEER_PORT 40000
#define MSL_MS    1000              /* so TIME-WAIT is 2 s of virtual time */
/* The fixtures' handshakes take no virtual time: the RTT sample is 0 and the RTO
 * after them is the floor (RFC 6298 2.4). Before any sample it is TCP_RTO_INITIAL_MS. */
#define RTO_MS    TCP_RTO_MIN_MS

struct sent { uint8_t pkt[2048]; size_t len; };

struct harness {
	struct stack *s;
	uint64_t now;                 /* virtual time, us */
	uint32_t seed, rng;
	struct sent q[256];           /* what the stack emitted, oldest first */
	int qhead, qlen;
	char *log;                    /* the transcript */
	size_t loglen, logcap;
	int lh, h;                    /* listener and connection under test, -1 if none */
	uint16_t lport;               /* the stack's port of h */
	uint16_t peer_wnd;            /* window the peer advertises (default 65535) */
};

/* h_new(): ACKs go out at once and small segments are not held (delayed ACK and
 * Nagle off), so a story shows one segment per step; h_new_opts() turns them on. */
enum { H_DELAYED_ACK = 1, H_NAGLE = 2, H_RANDOM_ISN = 4, H_NO_SYNCOOKIES = 8,
       H_ABORT_ON_OVERFLOW = 16 };
struct harness *h_new(void);
struct harness *h_new_opts(int opts);
struct stack_config h_config(int opts);            /* what h_new_opts(opts) runs with ... */
struct harness *h_new_config(const struct stack_config *cfg);   /* ... changed by a test */
void h_free(struct harness *h);
void h_say(struct harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void h_fail(struct harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* The peer */
void peer_sends(struct harness *h, uint8_t flags, uint32_t seq, uint32_t ack,
		const char *data, uint32_t dlen);
void peer_sends_seg(struct harness *h, const struct seg *sg);      /* full control */
void peer_sends_raw(struct harness *h, const uint8_t *pkt, size_t len);

/* Expectations: each pops the oldest segment the stack sent and checks it. */
struct seg expect_sent(struct harness *h, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t dlen);
void expect_nothing_sent(struct harness *h);
struct ip_pkt expect_sent_icmp(struct harness *h, uint8_t type, uint8_t code);  /* checksum checked */
struct seg peek_sent(struct harness *h);           /* the oldest, left in the queue */
void expect_rst(struct harness *h, uint32_t seq);  /* RST at seq, ACK bit either way */
void expect_recv(struct harness *h, const char *want);  /* the user reads exactly want */
void expect_state(struct harness *h, enum tcp_state st);
void expect_stat(struct harness *h, enum stat_id st, uint64_t n);
int sent_pending(const struct harness *h);

/* Time */
void advance_ms(struct harness *h, uint64_t ms);

/* Fixtures: the connection h->h in a given state, nothing left unread in the queue. */
void h_listen(struct harness *h);
void h_passive_established(struct harness *h);     /* via LISTEN, SYN, SYN-ACK, ACK, accept */
void h_active_established(struct harness *h);      /* via connect, SYN, SYN-ACK, ACK */
void h_goto(struct harness *h, enum tcp_state st); /* any state, by the usual path */
void h_fin_wait_1_by_shutdown(struct harness *h);  /* half-close: FIN-WAIT-1, still reading */

/* User calls on h->h at the current virtual time */
ssize_t user_send(struct harness *h, const char *data);
ssize_t user_recv(struct harness *h, char *buf, size_t len);
int user_close(struct harness *h);
int user_shutdown(struct harness *h);
int user_abort(struct harness *h);
int h_error(struct harness *h);                    /* tcp_status().error */

#define CHECK_EQ(h, a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) h_fail(h, "%s:%d: %s == %lld, expected %s == %lld", __FILE__, __LINE__, \
			     #a, a_, #b, b_); } while (0)

/* Run a suite: returns the number of failures. */
int run_suite(Suite *s);

#endif

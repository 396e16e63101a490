/* config.h - every tunable of the core, one line each, with its reason.
 * Runtime options (--msl, --isn, ...) override the ones marked "default". */
#ifndef TUNTCP_CONFIG_H
#define TUNTCP_CONFIG_H

#define STACK_MAX_CONNS        16384    /* default: TCBs per stack (listeners included), --max-conns */
#define STACK_MAX_CONNS_LIMIT  1000000  /* a larger max_conns is used as this (as --max-conns) */
#define STACK_TABLE_MIN        64       /* the table starts this big and doubles as it fills */
#define STACK_CHECK_ALL        64       /* test builds check every TCB after each step up to this
                                           many, else those the step touched (tcp_invariant.c) */
#define STACK_MTU              1500     /* default link MTU: MSS = MTU - 40 */
#define STACK_BURST_HOLD       16       /* connections whose ACK a burst may hold (cfg.ack_burst);
                                           more ACK as usual */

#define IP_DEFAULT_TTL         64       /* as Linux */
#define ICMP_RATE_MS           1000     /* ICMP errors: one per this per destination ... (Linux icmp_ratelimit) */
#define ICMP_RATE_BURST        6        /* ... after a burst of this many (Linux XRLIM_BURST_FACTOR) */
#define ICMP_RATE_SLOTS        16       /* destinations whose rate is remembered */
#define TCP_MIN_PMTU           68       /* path MTU floor (RFC 791's minimum): MSS >= 28 */

#define TCP_DEFAULT_MSL_MS     30000    /* default: TIME-WAIT = 2*MSL = 60 s, as Linux */
#define TCP_DEFAULT_MSS        536      /* RFC 9293 3.7.1: when the peer sends no MSS option */
#define TCP_MIN_MSS            48       /* a smaller MSS option is raised to this (Linux) */
#define TCP_SNDBUF             (256 * 1024) /* bytes queued for sending per connection */
#define TCP_RCVBUF             65535    /* default receive buffer = largest unscaled window */
#define TCP_BUF_POOL           16       /* spare send and receive buffers a stack keeps, each */
#define TCP_RCVBUF_MAX         (4 * 1024 * 1024) /* --rcvbuf limit with window scaling (shift 7) */
#define TCP_WSCALE_MAX         14       /* RFC 7323 2.3: a larger shift is used as 14 */
#define TCP_RTO_INITIAL_MS     1000     /* RFC 6298 2.1: initial RTO 1 s */
#define TCP_RTO_MIN_MS         200      /* RFC 6298 2.4 says 1 s; Linux uses 200 ms, so do we */
#define TCP_RTO_MAX_MS         60000    /* RFC 6298 2.5: at least 60 s; backoff stops here */
#define TCP_RTO_SYN_LOST_MS    3000     /* RFC 6298 5.7: RTO once data flows after a lost SYN */
#define TCP_CLOCK_G_US         1000     /* RFC 6298 G, clock granularity: 1 ms */
#define TCP_DELACK_MS          40       /* delayed ACK timer (Linux's; RFC 9293 3.8.6.3: < 500 ms) */
#define TCP_DUPACK_THRESH      3        /* RFC 5681 3.2: fast retransmit on the 3rd dup ACK */
#define TCP_SSTHRESH_INIT      0x7fffffffu /* RFC 5681 3.1: "arbitrarily high"; logged as inf */
#define TCP_OOO_RANGES         16       /* out-of-order pieces kept per connection (in rcvq) */
#define TCP_SACK_SCOREBOARD    32       /* SACKed ranges a sender remembers (RFC 6675 3); more are
                                           forgotten from the top (the receiver reports them again) */
#define TCP_TS_HZ              1000     /* RFC 7323 5.4: our timestamp clock ticks each ms */
#define TCP_PAWS_IDLE_S        (24 * 24 * 3600) /* RFC 7323 5.5: TS.Recent older than 24 days is invalid */
#define TCP_SYN_RETRIES        6        /* SYN retransmissions before giving up (Linux: 6) */
#define TCP_SYNACK_RETRIES     5        /* a half-open child's SYN-ACK: then it is dropped (Linux: 5) */
#define TCP_DATA_RETRIES       8        /* data / FIN retransmissions before ETIMEDOUT */
#define TCP_FIN_WAIT_2_MS      60000    /* an orphan (closed, released) in FIN-WAIT-2 dies after this (Linux tcp_fin_timeout) */
#define TCP_PERSIST_MAX_MS     60000    /* zero-window probes back off up to this */
#define TCP_EPHEMERAL_LO       49152    /* connect()'s local ports, RFC 6335 range */
#define TCP_EPHEMERAL_HI       65535
#define TCP_BACKLOG_MAX        128      /* listen() backlog is clamped to this (Linux's somaxconn before 5.4) */
#define TCP_CHALLENGE_ACK_MAX  10       /* RFC 5961 7: challenge ACKs per second per connection */
#define TCP_OOW_ACK_MS         500      /* one ACK per this to out-of-window ACKs (Linux tcp_invalid_ratelimit) */
#define TCP_COOKIE_SLOT_S      64       /* SYN cookie clock; a cookie lives 1 to 2 slots */
#define TCP_COOKIE_RECENT_MS   120000   /* cookie ACKs taken this long after an overflow (Linux) */

#endif

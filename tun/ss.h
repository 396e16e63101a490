/* ss.h - the text of tuntcp-ss: a connection's tcp_status as `ss -tino` prints it,
 * one line of columns (State, Recv-Q, Send-Q, Local Address:Port, Peer Address:Port)
 * and a tab-indented line of details (a listener's queues, timers as ss -o shows them,
 * rtt, rto, mss, cwnd, ssthresh, windows, counters). States keep RFC 9293's names, as
 * the transition log does (ss abbreviates: ESTAB, SYN-RECV). Pure functions: time comes
 * in as `now`, on the clock of the deadlines in the status.
 * Entry points: ss_print_header, ss_print, ss_time. */
#ifndef TUNTCP_SS_H
#define TUNTCP_SS_H
#include <stdint.h>
#include <stdio.h>
#include "tcp.h"

/* "State        Recv-Q Send-Q    Local Address:Port      Peer Address:Port" */
void ss_print_header(FILE *f);
/* The connection's two lines. */
void ss_print(FILE *f, const struct tcp_status *st, uint64_t now);
/* A time as ss prints a timer's (its print_ms_timer): "180ms", "1.500ms" (1.5 s: ss's
 * own odd form), "59sec", "2min"; "due" for 0 (a timer that came due and has not fired). */
const char *ss_time(uint64_t ms, char buf[32]);

#endif

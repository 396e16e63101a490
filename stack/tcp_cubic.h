/* tcp_cubic.h - CUBIC congestion control (RFC 9438): its per-connection state (part of
 * struct cc_vars) and the functions tcp_cubic.c offers tcp_cc.c. */
#ifndef TUNTCP_TCP_CUBIC_H
#define TUNTCP_TCP_CUBIC_H
#include <stdint.h>

struct cubic_vars {
	uint32_t w_max;                /* W_max: cwnd (bytes) just before the last reduction */
};

#endif

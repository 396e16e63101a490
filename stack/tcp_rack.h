/* tcp_rack.h - RACK-TLP (RFC 8985): the per-connection state (struct rack_vars, part of
 * the TCB) and the functions tcp_rack.c offers the rest of the core. */
#ifndef TUNTCP_TCP_RACK_H
#define TUNTCP_TCP_RACK_H
#include <stdbool.h>
#include <stdint.h>

struct rack_vars {
	bool on;                       /* RACK-TLP in use on this connection */
};

#endif

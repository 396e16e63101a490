/* tcp_sack.h - SACK (RFC 2018, 2883, 6675): the per-connection state (struct sack_vars,
 * part of the TCB); the functions tcp_sack.c offers are declared in tcp_priv.h. */
#ifndef TUNTCP_TCP_SACK_H
#define TUNTCP_TCP_SACK_H
#include <stdbool.h>
#include <stdint.h>
#include "config.h"

/* A range of sequence numbers [seq, end). */
struct range {
	uint32_t seq, end;
};

/* The memory rcv.ooo points to (tcp_reasm.c takes it with the first piece held past a
 * hole and gives it back once none is held): the pieces' ranges, then which piece each
 * ACK's SACK blocks name first (RFC 2018 4), which means something only while pieces
 * are held. rcv.ooo is the first member: tcp_sack.c finds the rest from it. */
struct ooo_mem {
	struct range piece[TCP_OOO_RANGES];  /* rcv.ooo[0 .. rcv.n_ooo - 1] */
	uint32_t recent[TCP_OOO_RANGES];     /* a byte of each piece held, most recently
	                                        arrived first ... */
	int n_recent;                        /* ... n_recent of them */
};

/* SACK, RFC 2018 and RFC 6675: tcp_sack.c */
struct sack_vars {
	bool offer;                    /* our SYN (or SYN,ACK) carries SACK-permitted */
	bool ok;                       /* both SYNs did: blocks are sent and used */
	/* receiver (RFC 2018 4, RFC 2883): the pieces' order is in rcv.ooo's memory */
	bool dsack;                    /* a duplicate to report first in the next ACK ... */
	struct range dup;              /* ... these bytes */
	/* sender: the scoreboard (RFC 6675 3), SACKed ranges above SND.UNA, in order */
	int n_sb;
	struct range *sb;              /* TCP_SACK_SCOREBOARD of them, allocated with the first
	                                  block and freed when the board empties: NULL while
	                                  n_sb is 0 (an idle connection holds none) */
	uint32_t high_rxt;             /* HighRxt: the end of what loss recovery resent */
	uint32_t dsacks_rcvd;          /* D-SACKs the peer sent us (for the trace and tests) */
};

#endif

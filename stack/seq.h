/* seq.h - sequence number arithmetic modulo 2^32 (RFC 9293 3.4).
 * Never compare sequence numbers with < or >: they wrap. */
#ifndef TUNTCP_SEQ_H
#define TUNTCP_SEQ_H
#include <stdint.h>

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/* lo <= x < hi, on the circle */
static inline int seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return SEQ_LEQ(lo, x) && SEQ_LT(x, hi);
}

#endif

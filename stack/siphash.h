/* siphash.h - SipHash-2-4, a keyed 64-bit hash of a short input. */
#ifndef TUNTCP_SIPHASH_H
#define TUNTCP_SIPHASH_H
#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif

/* sha256.h - SHA-256 (FIPS 180-4 section 6.2), incremental, for the apps that
 * check a transfer end to end (source, sink); and prng, the deterministic byte
 * stream that source sends, here so the unit tests can pin it down.
 * Entry points: sha256_init, sha256_update, sha256_final, sha256_hex;
 * prng_init, prng_fill. */
#ifndef TUNTCP_SHA256_H
#define TUNTCP_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN    65       /* 64 hex digits and the terminating NUL */

struct sha256 {
	uint32_t h[8];             /* H(i), the intermediate hash value (5.3.3, 6.2.2) */
	uint64_t len;              /* message length so far, in bytes */
	uint8_t block[64];         /* the partial message block not yet hashed */
	size_t used;               /* bytes in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Pads (5.1.1), hashes the last block(s) and writes the digest; c is spent. */
void sha256_final(struct sha256 *c, uint8_t digest[SHA256_DIGEST_LEN]);
/* The digest as 64 lower-case hex digits, as sha256sum and hashlib print it. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN]);

/* prng: the byte stream source sends. splitmix64 (Steele, Lea, Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014): the state starts at the
 * seed; for each 64-bit word, state += 0x9e3779b97f4a7c15, z = state,
 * z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9, z = (z ^ z >> 27) * 0x94d049bb133111eb,
 * word = z ^ z >> 31. Each word is sent as 8 bytes, least significant first.
 * Any seed (0 too) gives a good stream; the same seed, the same bytes, however
 * the stream is cut into prng_fill calls. Not for cryptography. */
struct prng {
	uint64_t state;
	uint64_t word;             /* the current word's bytes not yet handed out, */
	unsigned left;             /* low byte first: left of them */
};

void prng_init(struct prng *p, uint64_t seed);
void prng_fill(struct prng *p, void *buf, size_t len);

#endif

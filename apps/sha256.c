/* sha256.c - SHA-256 as FIPS 180-4 specifies it (section numbers below are that
 * standard's), written for clarity over speed: one compression function (6.2.2),
 * the padding (5.1.1), and buffering so data can arrive in pieces of any size.
 * Also prng (sha256.h): the deterministic stream that source sends.
 * Entry points: sha256_init, sha256_update, sha256_final, sha256_hex; prng_*. */
#include <string.h>
#include "sha256.h"

/* 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* 5.3.3: the first 32 bits of the fractional parts of the square roots of the
 * first 8 primes. */
static const uint32_t H0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* 3.2 and 4.1.2: the operations and the six logical functions. */
static uint32_t rotr(uint32_t x, int n) { return x >> n | x << (32 - n); }
static uint32_t ch(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (~x & z); }
static uint32_t maj(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (x & z) ^ (y & z); }
static uint32_t big_sigma0(uint32_t x) { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
static uint32_t big_sigma1(uint32_t x) { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
static uint32_t small_sigma0(uint32_t x) { return rotr(x, 7) ^ rotr(x, 18) ^ x >> 3; }
static uint32_t small_sigma1(uint32_t x) { return rotr(x, 17) ^ rotr(x, 19) ^ x >> 10; }

/* 3.1: words are big-endian. */
static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* 6.2.2: hash one 512-bit message block M(i) into H(i-1). */
static void sha256_block(uint32_t h[8], const uint8_t m[64])
{
	uint32_t w[64], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6],
		 hh = h[7];

	for (int t = 0; t < 16; t++)                      /* step 1: the message schedule */
		w[t] = load_be32(m + 4 * t);
	for (int t = 16; t < 64; t++)
		w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];
	for (int t = 0; t < 64; t++) {                    /* step 3 */
		uint32_t t1 = hh + big_sigma1(e) + ch(e, f, g) + K[t] + w[t];
		uint32_t t2 = big_sigma0(a) + maj(a, b, c);

		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;                                        /* step 4: H(i) */
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void sha256_init(struct sha256 *c)
{
	memcpy(c->h, H0, sizeof(c->h));
	c->len = 0;
	c->used = 0;
}

void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->len += len;
	if (c->used) {                                    /* top up the partial block */
		size_t n = len < 64 - c->used ? len : 64 - c->used;

		memcpy(c->block + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used < 64)
			return;
		sha256_block(c->h, c->block);
		c->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)             /* whole blocks straight from data */
		sha256_block(c->h, p);
	memcpy(c->block, p, len);
	c->used = len;
}

/* 5.1.1: a 1 bit, zeros up to 448 mod 512 bits, then the length in bits as a
 * 64-bit big-endian number. */
void sha256_final(struct sha256 *c, uint8_t digest[SHA256_DIGEST_LEN])
{
	uint64_t bits = c->len * 8;

	c->block[c->used++] = 0x80;
	if (c->used > 56) {                               /* no room for the length */
		memset(c->block + c->used, 0, 64 - c->used);
		sha256_block(c->h, c->block);
		c->used = 0;
	}
	memset(c->block + c->used, 0, 56 - c->used);
	store_be32(c->block + 56, (uint32_t)(bits >> 32));
	store_be32(c->block + 60, (uint32_t)bits);
	sha256_block(c->h, c->block);
	for (int i = 0; i < 8; i++)                       /* 6.2.2: H(N) is the digest */
		store_be32(digest + 4 * i, c->h[i]);
}

void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN])
{
	static const char xd[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
		hex[2 * i] = xd[digest[i] >> 4];
		hex[2 * i + 1] = xd[digest[i] & 15];
	}
	hex[2 * SHA256_DIGEST_LEN] = 0;
}

/* ---- prng: splitmix64, as sha256.h describes it ---- */

static uint64_t prng_next(struct prng *p)
{
	uint64_t z = p->state += 0x9e3779b97f4a7c15u;

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9u;
	z = (z ^ z >> 27) * 0x94d049bb133111ebu;
	return z ^ z >> 31;
}

void prng_init(struct prng *p, uint64_t seed)
{
	p->state = seed;
	p->word = 0;
	p->left = 0;
}

/* Low byte of each word first, so the stream is the same on any host and however
 * it is cut: the rest of the current word, then whole words, then a part of one. */
void prng_fill(struct prng *p, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i = 0;

	for (; i < len && p->left; i++) {
		b[i] = (uint8_t)p->word;
		p->word >>= 8;
		p->left--;
	}
	if (i + 8 <= len) {
		struct prng q = *p;            /* a local copy: stores to b cannot touch it */

		for (; i + 8 <= len; i += 8) {
			uint64_t w = prng_next(&q);

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			w = __builtin_bswap64(w);      /* low byte first */
#endif
			memcpy(b + i, &w, 8);
		}
		*p = q;
	}
	for (; i < len; i++) {
		if (!p->left) {
			p->word = prng_next(p);
			p->left = 8;
		}
		b[i] = (uint8_t)p->word;
		p->word >>= 8;
		p->left--;
	}
}

/* check_sha256.c - apps/sha256.c against the example vectors of FIPS 180-4
 * (NIST's "SHA256.pdf" examples and the one-million-'a' message), the padding at
 * the block boundaries, data fed in pieces split at every offset; and the prng
 * stream that source sends: the same seed, the same bytes, however it is cut. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "sha256.h"

#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG_896 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
#define SHA_896 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"

static const char *hash_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN])
{
	uint8_t digest[SHA256_DIGEST_LEN];
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final(&h, digest);
	sha256_hex(digest, hex);
	return hex;
}

static const char *hash_str(const char *s)
{
	static char hex[SHA256_HEX_LEN];

	return hash_hex(s, strlen(s), hex);
}

START_TEST(empty_message_matches_fips_vector)
{
	ck_assert_str_eq(hash_str(""),
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(abc_one_block_matches_fips_vector)
{
	ck_assert_str_eq(hash_str("abc"),
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* 56 bytes: the length no longer fits, so the padding takes a second block. */
START_TEST(message_448_bits_two_blocks_matches_fips_vector)
{
	ck_assert_str_eq(hash_str(MSG_448),
			 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(message_896_bits_matches_fips_vector)
{
	ck_assert_str_eq(hash_str(MSG_896), SHA_896);
}
END_TEST

START_TEST(one_million_a_matches_fips_vector_in_one_call_and_in_pieces)
{
	const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char *a = malloc(1000000), hex[SHA256_HEX_LEN];
	uint8_t digest[SHA256_DIGEST_LEN];
	struct sha256 h;

	memset(a, 'a', 1000000);
	ck_assert_str_eq(hash_hex(a, 1000000, hex), want);
	sha256_init(&h);
	for (size_t off = 0, n = 1; off < 1000000; off += n, n = n % 997 + 1)
		sha256_update(&h, a + off, off + n > 1000000 ? 1000000 - off : n);
	sha256_final(&h, digest);
	sha256_hex(digest, hex);
	ck_assert_str_eq(hex, want);
	free(a);
}
END_TEST

/* 55 bytes: the last that pads in one block; 63 and 64: a block and a spill. */
START_TEST(padding_at_block_boundaries_is_right)
{
	static const struct { size_t len; const char *hex; } v[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	};
	char a[64], hex[SHA256_HEX_LEN];

	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_str_eq(hash_hex(a, v[i].len, hex), v[i].hex);
}
END_TEST

/* Every split point i < j of the 112-byte message, fed as three updates. */
START_TEST(updates_split_at_every_offset_give_the_same_digest)
{
	const char *m = MSG_896;
	size_t len = strlen(m);
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN];
	struct sha256 h;

	for (size_t i = 0; i <= len; i++)
		for (size_t j = i; j <= len; j++) {
			sha256_init(&h);
			sha256_update(&h, m, i);
			sha256_update(&h, m + i, j - i);
			sha256_update(&h, m + j, len - j);
			sha256_final(&h, digest);
			sha256_hex(digest, hex);
			ck_assert_msg(!strcmp(hex, SHA_896), "split at %zu and %zu: %s", i, j, hex);
		}
}
END_TEST

/* The reference values come from an independent implementation of the
 * description in sha256.h (and 0xe220a8397b1dcdaf is splitmix64's well-known
 * first output for seed 0), so any program can regenerate what source sends. */
START_TEST(prng_stream_matches_reference)
{
	static const uint8_t seed1[16] = {
		0xc1, 0x5c, 0x02, 0x89, 0xec, 0x2d, 0x0a, 0x91,
		0x67, 0xec, 0x8e, 0x65, 0xa1, 0x8d, 0xeb, 0xbe,
	};
	static const uint8_t seed0[8] = { 0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2 };
	uint8_t *buf = malloc(1 << 20);
	char hex[SHA256_HEX_LEN];
	struct prng p;

	prng_init(&p, 1);
	prng_fill(&p, buf, 16);
	ck_assert_mem_eq(buf, seed1, 16);
	prng_init(&p, 0);
	prng_fill(&p, buf, 8);
	ck_assert_mem_eq(buf, seed0, 8);
	prng_init(&p, 1);                  /* what `source --bytes 1M` sends */
	prng_fill(&p, buf, 1 << 20);
	ck_assert_str_eq(hash_hex(buf, 1 << 20, hex),
			 "85b66b3a5816d686deb42f2d2473d9a7121ceb75c822b838f958c76ca86ed8ea");
	free(buf);
}
END_TEST

START_TEST(prng_same_seed_gives_same_bytes_however_cut)
{
	enum { N = 100000 };
	uint8_t *whole = malloc(N), *cut = malloc(N);
	struct prng p;

	prng_init(&p, 42);
	prng_fill(&p, whole, N);
	prng_init(&p, 42);
	for (size_t off = 0, n = 0; off < N; off += n, n = n % 13 + 1)
		prng_fill(&p, cut + off, off + n > N ? N - off : n);
	ck_assert_mem_eq(whole, cut, N);
	free(whole);
	free(cut);
}
END_TEST

START_TEST(prng_different_seeds_give_different_streams)
{
	uint8_t a[64], b[64];
	struct prng p;

	prng_init(&p, 1);
	prng_fill(&p, a, sizeof(a));
	prng_init(&p, 2);
	prng_fill(&p, b, sizeof(b));
	ck_assert(memcmp(a, b, sizeof(a)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("sha256");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, empty_message_matches_fips_vector);
	tcase_add_test(tc, abc_one_block_matches_fips_vector);
	tcase_add_test(tc, message_448_bits_two_blocks_matches_fips_vector);
	tcase_add_test(tc, message_896_bits_matches_fips_vector);
	tcase_add_test(tc, one_million_a_matches_fips_vector_in_one_call_and_in_pieces);
	tcase_add_test(tc, padding_at_block_boundaries_is_right);
	tcase_add_test(tc, updates_split_at_every_offset_give_the_same_digest);
	tcase_add_test(tc, prng_stream_matches_reference);
	tcase_add_test(tc, prng_same_seed_gives_same_bytes_however_cut);
	tcase_add_test(tc, prng_different_seeds_give_different_streams);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

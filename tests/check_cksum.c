/* check_cksum.c - the Internet checksum (RFC 1071) as wire.c computes it, eight bytes a
 * step, against the plain definition: big-endian 16-bit words one by one, an odd last
 * byte padded with zero, every length from 0 to 300 at every alignment, with partial
 * sums carried in (as the TCP pseudo-header is), and a known packet. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "wire.h"

static uint16_t reference(const uint8_t *p, size_t len, uint32_t start)
{
	uint64_t sum = start;

	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

START_TEST(checksum_matches_the_definition_at_every_length_and_alignment)
{
	static uint8_t buf[400];
	uint32_t seed = 12345;

	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = round == 3 ? 0xff : (uint8_t)(seed >> 16);   /* all ones: every carry */
		}
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len <= 300; len++)
				for (uint32_t start = 0; start < 0x30000; start += 0x17fff)
					ck_assert_uint_eq(inet_fold(inet_sum(buf + off, len, start)),
							  reference(buf + off, len, start));
	}
}
END_TEST

START_TEST(checksum_of_rfc1071s_example)
{
	/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
	static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	ck_assert_uint_eq(inet_fold(inet_sum(ex, sizeof(ex), 0)), (uint16_t)~0xddf2);
}
END_TEST

START_TEST(checksum_split_anywhere_sums_the_same_when_the_split_is_even)
{
	static uint8_t buf[3000];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2)
		ck_assert_uint_eq(inet_fold(inet_sum(buf + cut, sizeof(buf) - cut, inet_sum(buf, cut, 0))),
				  reference(buf, sizeof(buf), 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cksum");
	TCase *tc = tcase_create("inet_sum");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, checksum_matches_the_definition_at_every_length_and_alignment);
	tcase_add_test(tc, checksum_of_rfc1071s_example);
	tcase_add_test(tc, checksum_split_anywhere_sums_the_same_when_the_split_is_even);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

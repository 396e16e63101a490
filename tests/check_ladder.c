/* check_ladder.c - build/ladder on real captures (tests/ladder/, made by record.sh and
 * mkvariants.py): each ladder exactly as expected (NAME.txt beside the capture), the
 * SVG's shape, and damaged files refused cleanly: status 1 and one line, never a crash.
 * LADDER=PATH runs another build (an ASan one); LADDER_UPDATE=1 writes the ladders it
 * draws as the expected ones (read them before committing). Times are UTC, as recorded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define FIX "tests/ladder/"

struct run { char *out; size_t len; int status; };   /* status: exit code, or -signal */

static char tmp[64];

static void setup(void)
{
	setenv("TZ", "UTC", 1);
	snprintf(tmp, sizeof(tmp), "/tmp/check_ladder.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *ladder(void)
{
	const char *l = getenv("LADDER");
	return l && *l ? l : "build/ladder";
}

/* build/ladder ARGS, stdout and stderr together */
static struct run run(const char *args)
{
	struct run r = { .out = NULL };
	size_t cap = 0;
	char cmd[1024];
	FILE *p;
	int st;

	ck_assert_msg(access(ladder(), X_OK) == 0, "%s is not built (make %s)", ladder(), ladder());
	snprintf(cmd, sizeof(cmd), "exec %s %s 2>&1", ladder(), args);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	for (;;) {
		if (r.len + 4096 > cap)
			ck_assert_ptr_nonnull(r.out = realloc(r.out, cap = cap * 2 + 8192));
		size_t n = fread(r.out + r.len, 1, cap - r.len - 1, p);
		if (n == 0)
			break;
		r.len += n;
	}
	r.out[r.len] = 0;
	st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
	return r;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(b = malloc((size_t)n + 1));
	ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

static void spill(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* The ladder of ARGS is exactly tests/ladder/EXPECTED; a difference is shown as diff -u. */
static void expect_ladder(const char *args, const char *expected)
{
	struct run r = run(args);
	char path[256], got[256], cmd[600];
	char *want;

	snprintf(path, sizeof(path), FIX "%s", expected);
	ck_assert_msg(r.status == 0, "ladder %s: status %d:\n%s", args, r.status, r.out);
	if (getenv("LADDER_UPDATE"))
		spill(path, r.out, r.len);
	want = slurp(path, NULL);
	if (strcmp(want, r.out)) {
		snprintf(got, sizeof(got), "%s/got.txt", tmp);
		spill(got, r.out, r.len);
		snprintf(cmd, sizeof(cmd), "diff -u %s %s", path, got);
		fprintf(stderr, "ladder %s\n", args);
		fflush(stderr);
		if (system(cmd) < 0)
			perror("diff");
		ck_abort_msg("ladder %s: not as in %s (diff above)", args, path);
	}
	free(want);
	free(r.out);
}

/* ---- ladders of real runs ---- */

/* A test that the ladder of ARGS is EXPECTED: one line each, named as any other. */
#define LADDER_TEST(name, args, expected) \
	START_TEST(name) { expect_ladder(args, expected); } END_TEST

#define LOGS(name) " --log " FIX name ".log --log " FIX name ".kernel.log"

LADDER_TEST(stack_server_and_kernel_client_both_logged_draw_figure_13,
	    FIX "server.pcapng" LOGS("server"), "server.txt")
LADDER_TEST(logs_in_any_order_draw_the_same_ladder,
	    "--log " FIX "server.kernel.log " FIX "server.pcapng --log " FIX "server.log", "server.txt")
LADDER_TEST(abs_shows_sequence_numbers_as_on_the_wire,
	    FIX "server.pcapng --abs" LOGS("server"), "server.abs.txt")
LADDER_TEST(tcpdump_capture_alone_infers_both_columns, FIX "server.tun0.cap", "server.tun0.txt")
LADDER_TEST(ethernet_capture_draws_the_same_ladder, FIX "server.eth.cap", "server.tun0.txt")
LADDER_TEST(linux_cooked_sll_capture_draws_the_same_ladder, FIX "server.sll.cap", "server.tun0.txt")
LADDER_TEST(big_endian_nanosecond_pcap_draws_the_same_ladder, FIX "server.be-ns.cap", "server.tun0.txt")
LADDER_TEST(big_endian_nanosecond_pcapng_on_a_second_interface_draws_the_same_ladder,
	    FIX "server.be-ns.pcapng", "server.tun0.txt")
LADDER_TEST(linux_any_capture_with_the_stack_log,
	    FIX "server.any.cap --log " FIX "server.log", "server.any.txt")
LADDER_TEST(stack_client_closes_first_and_waits_out_time_wait,
	    FIX "client.pcapng" LOGS("client"), "client.txt")
LADDER_TEST(dropped_fin_in_the_stacks_capture_stops_half_way_then_comes_again,
	    FIX "fin-drop.pcapng --log " FIX "fin-drop.log", "fin-drop.txt")
LADDER_TEST(dropped_fin_missing_on_tun0_is_drawn_from_the_impairment_note,
	    FIX "fin-drop.tun0.cap" LOGS("fin-drop"), "fin-drop.tun0.txt")
LADDER_TEST(dropped_data_in_the_stacks_pcapng_carries_its_comment,
	    FIX "data-drop.pcapng" LOGS("data-drop"), "data-drop.txt")
LADDER_TEST(dropped_data_on_tun0_is_matched_to_its_note,
	    FIX "data-drop.tun0.cap --log " FIX "data-drop.log", "data-drop.tun0.txt")
LADDER_TEST(dropped_data_not_in_a_classic_pcap_gets_a_row_from_its_note,
	    FIX "data-drop-pcap.cap --log " FIX "data-drop-pcap.log", "data-drop-pcap.txt")
LADDER_TEST(refused_connection_draws_the_reset,
	    FIX "refused.pcapng --log " FIX "refused.log", "refused.txt")
LADDER_TEST(two_connections_and_other_traffic_draw_two_ladders, FIX "two.tun0.cap", "two.tun0.txt")
LADDER_TEST(two_connections_each_get_their_own_transitions,
	    FIX "two.pcapng" LOGS("two"), "two.txt")
LADDER_TEST(simultaneous_close_draws_figure_14_both_through_closing,
	    FIX "simclose.pcapng --log " FIX "simclose.log --log " FIX "simclose.b.log", "simclose.txt")

/* ---- the SVG ---- */

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Tags nest and close (<a>...</a>, <b/>), and no '<' or '&' is left unescaped in text:
 * the shape of well-formed XML, without a parser. */
static void expect_xml_shape(const char *s)
{
	const char *stack[64];
	size_t depth = 0, nlen;

	for (const char *p = s; (p = strchr(p, '<')); ) {
		const char *end = strchr(p, '>');

		ck_assert_msg(end != NULL, "a tag does not close: %.40s", p);
		ck_assert_msg(!memchr(p + 1, '<', (size_t)(end - p - 1)), "'<' in a tag: %.40s", p);
		nlen = strcspn(p + 1 + (p[1] == '/'), " />");
		if (p[1] == '/') {
			ck_assert_msg(depth > 0, "</%.*s> closes nothing", (int)nlen, p + 2);
			depth--;
			ck_assert_msg(strcspn(stack[depth], " />") == nlen &&
				      !strncmp(stack[depth], p + 2, nlen), "</%.*s> closes <%.10s",
				      (int)nlen, p + 2, stack[depth]);
		} else if (end[-1] != '/') {
			ck_assert_int_lt(depth, 64);
			stack[depth++] = p + 1;
		}
		p = end + 1;
		for (const char *q = p; *q && *q != '<'; q++)
			ck_assert_msg(*q != '&' || !strncmp(q, "&lt;", 4) || !strncmp(q, "&gt;", 4) ||
				      !strncmp(q, "&amp;", 5) || !strncmp(q, "&quot;", 6),
				      "an unescaped '&' in text: %.20s", q);
	}
	ck_assert_msg(depth == 0, "%zu tags left open", depth);
}

START_TEST(svg_has_two_ends_one_line_per_arrow_and_an_x_per_drop)
{
	char args[256], path[128];
	struct run r;
	char *svg;
	size_t len;

	snprintf(path, sizeof(path), "%s/fin-drop.svg", tmp);
	snprintf(args, sizeof(args), FIX "fin-drop.pcapng --log " FIX "fin-drop.log --svg %s", path);
	r = run(args);
	ck_assert_int_eq(r.status, 0);
	svg = slurp(path, &len);
	ck_assert_msg(!strncmp(svg, "<svg ", 5), "starts with %.20s", svg);
	ck_assert_msg(len > 7 && !strcmp(svg + len - 7, "</svg>\n"), "ends with %s", svg + len - 10);
	expect_xml_shape(svg);
	ck_assert_int_eq(count(svg, "<line "), 11 + 2);   /* 11 segments, 2 ends */
	ck_assert_int_eq(count(svg, "stroke-width=\"2\"/>"), 2 + 1);   /* the ends, one X */
	ck_assert_int_eq(count(svg, "stroke-dasharray"), 1);           /* the retransmission */
	ck_assert_int_eq(count(svg, "&lt;SEQ=5&gt;&lt;ACK=5&gt;&lt;CTL=FIN,ACK&gt;"), 2);
	ck_assert_ptr_nonnull(strstr(svg, ">TIME-WAIT</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">(2*MSL timeout)</text>"));
	ck_assert_ptr_null(strstr(svg, "href"));          /* self-contained */
	free(svg);
	free(r.out);
}
END_TEST

static int svg_height(const char *path)
{
	char *svg = slurp(path, NULL), *h = strstr(svg, "height=\"");
	int v;

	ck_assert_ptr_nonnull(h);
	v = atoi(h + 8);
	free(svg);
	return v;
}

START_TEST(svg_time_scale_gives_the_two_second_time_wait_its_room)
{
	char args[256], a[128], b[128];
	struct run r;

	snprintf(a, sizeof(a), "%s/even.svg", tmp);
	snprintf(b, sizeof(b), "%s/scaled.svg", tmp);
	snprintf(args, sizeof(args), FIX "client.pcapng --log " FIX "client.log --svg %s", a);
	free((r = run(args)).out);
	ck_assert_int_eq(r.status, 0);
	snprintf(args, sizeof(args), FIX "client.pcapng --log " FIX "client.log --svg %s --time-scale", b);
	free((r = run(args)).out);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_gt(svg_height(b), svg_height(a) + 300);
}
END_TEST

/* ---- damaged files and bad usage ---- */

/* Status 1 and one line "ladder: PATH: why", or a ladder (status 0). Never a signal. */
static void expect_clean(const char *path, const char *why)
{
	char args[200], head[200];
	struct run r;

	snprintf(args, sizeof(args), "%s", path);
	r = run(args);
	ck_assert_msg(r.status == 0 || r.status == 1, "%s: status %d\n%s", path, r.status, r.out);
	if (r.status == 1) {
		snprintf(head, sizeof(head), "ladder: %s: ", path);
		ck_assert_msg(!strncmp(r.out, head, strlen(head)) && count(r.out, "\n") == 1,
			      "%s: not one line that says why:\n%s", path, r.out);
		ck_assert_msg(!why || strstr(r.out, why), "%s: says %s, not %s", path, r.out, why);
	} else {
		ck_assert_msg(!why, "%s: status 0, expected an error (%s)", path, why);
	}
	free(r.out);
}

static char *fixture(const char *name, size_t *len)
{
	char path[64];

	snprintf(path, sizeof(path), FIX "%s", name);
	return slurp(path, len);
}

START_TEST(truncated_capture_says_so_with_status_1)
{
	static const char *const caps[] = { "server.pcapng", "server.tun0.cap" };
	char path[128];

	snprintf(path, sizeof(path), "%s/cut", tmp);
	for (size_t c = 0; c < 2; c++) {
		size_t len;
		char *b = fixture(caps[c], &len);

		spill(path, b, len - 3);                  /* inside the last record */
		expect_clean(path, "truncated");
		for (size_t n = 0; n < len; n += 5) {    /* and anywhere: status 0 or 1 */
			spill(path, b, n);
			expect_clean(path, NULL);
		}
		free(b);
	}
}
END_TEST

START_TEST(garbage_empty_and_missing_files_fail_cleanly)
{
	char path[128], garbage[4096];

	snprintf(path, sizeof(path), "%s/empty", tmp);
	spill(path, "", 0);
	expect_clean(path, "not a capture");
	snprintf(path, sizeof(path), "%s/garbage", tmp);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 2654435761u >> 13);
	spill(path, garbage, sizeof(garbage));
	expect_clean(path, "not a capture");
	snprintf(path, sizeof(path), "%s/missing", tmp);
	expect_clean(path, "cannot open");
}
END_TEST

/* Every fourth byte of the stack's pcapng and of a Linux cooked pcap, changed in turn
 * (to 0xff or a seeded value): a ladder or a clean refusal. */
START_TEST(damaged_bytes_anywhere_give_a_ladder_or_a_clean_error)
{
	static const char *const caps[] = { "data-drop.pcapng", "server.sll.cap" };
	uint32_t seed = 12345;
	char path[128];

	snprintf(path, sizeof(path), "%s/flip", tmp);
	for (size_t c = 0; c < 2; c++) {
		size_t len;
		char *b = fixture(caps[c], &len);

		for (size_t i = 0; i < len; i += 4) {
			char keep = b[i];

			seed = seed * 1103515245u + 12345u;
			b[i] = (char)(i % 8 ? seed >> 16 : 0xff);
			spill(path, b, len);
			expect_clean(path, NULL);
			b[i] = keep;
		}
		free(b);
	}
}
END_TEST

START_TEST(a_missing_log_fails_and_bad_usage_says_how)
{
	struct run r = run(FIX "server.pcapng --log /nonexistent/stack.log");

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "ladder: /nonexistent/stack.log: cannot open"));
	free(r.out);
	r = run("");
	ck_assert_int_eq(r.status, 2);
	free(r.out);
	r = run(FIX "server.pcapng --time-scale");
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.out, "--svg"));
	free(r.out);
	r = run("--help");
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "relative"));
	free(r.out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ladder");
	TCase *t = tcase_create("ladders");
	TCase *svg = tcase_create("svg");
	TCase *bad = tcase_create("damaged");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_checked_fixture(svg, setup, teardown);
	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_set_timeout(bad, 60);                     /* a few hundred runs each */
	tcase_add_test(t, stack_server_and_kernel_client_both_logged_draw_figure_13);
	tcase_add_test(t, logs_in_any_order_draw_the_same_ladder);
	tcase_add_test(t, abs_shows_sequence_numbers_as_on_the_wire);
	tcase_add_test(t, tcpdump_capture_alone_infers_both_columns);
	tcase_add_test(t, ethernet_capture_draws_the_same_ladder);
	tcase_add_test(t, linux_cooked_sll_capture_draws_the_same_ladder);
	tcase_add_test(t, big_endian_nanosecond_pcap_draws_the_same_ladder);
	tcase_add_test(t, big_endian_nanosecond_pcapng_on_a_second_interface_draws_the_same_ladder);
	tcase_add_test(t, linux_any_capture_with_the_stack_log);
	tcase_add_test(t, stack_client_closes_first_and_waits_out_time_wait);
	tcase_add_test(t, dropped_fin_in_the_stacks_capture_stops_half_way_then_comes_again);
	tcase_add_test(t, dropped_fin_missing_on_tun0_is_drawn_from_the_impairment_note);
	tcase_add_test(t, dropped_data_in_the_stacks_pcapng_carries_its_comment);
	tcase_add_test(t, dropped_data_on_tun0_is_matched_to_its_note);
	tcase_add_test(t, dropped_data_not_in_a_classic_pcap_gets_a_row_from_its_note);
	tcase_add_test(t, refused_connection_draws_the_reset);
	tcase_add_test(t, two_connections_and_other_traffic_draw_two_ladders);
	tcase_add_test(t, two_connections_each_get_their_own_transitions);
	tcase_add_test(t, simultaneous_close_draws_figure_14_both_through_closing);
	tcase_add_test(svg, svg_has_two_ends_one_line_per_arrow_and_an_x_per_drop);
	tcase_add_test(svg, svg_time_scale_gives_the_two_second_time_wait_its_room);
	tcase_add_test(bad, truncated_capture_says_so_with_status_1);
	tcase_add_test(bad, garbage_empty_and_missing_files_fail_cleanly);
	tcase_add_test(bad, damaged_bytes_anywhere_give_a_ladder_or_a_clean_error);
	tcase_add_test(bad, a_missing_log_fails_and_bad_usage_says_how);
	suite_add_tcase(s, t);
	suite_add_tcase(s, svg);
	suite_add_tcase(s, bad);
	return run_suite(s) ? 1 : 0;
}

/* impair_rules.c - the impairments' configuration as text (impair.h): the
 * command-line options (--loss in:5%, --delay 50ms, --rule out:fin#1:drop, ...)
 * parsed into one struct impair_conf per direction, and rules and durations
 * formatted back the same way for notes. No packets here: the engine that
 * applies a configuration is impair.c.
 * Entry points: impair_option, impair_add_rule, impair_parse_percent,
 * impair_parse_duration, impair_rule_format, impair_duration_format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impair.h"

static const char *const match_names[] = {
	[IMPAIR_M_SYN] = "syn", [IMPAIR_M_SYN_ACK] = "syn-ack", [IMPAIR_M_DATA] = "data",
	[IMPAIR_M_ACK] = "ack", [IMPAIR_M_FIN] = "fin", [IMPAIR_M_RST] = "rst",
	[IMPAIR_M_ANY] = "any", [IMPAIR_M_LAST_ACK] = "last-ack",
};
#define N_MATCHES (sizeof(match_names) / sizeof(match_names[0]))

/* ---- values and rules ---- */

static bool starts_number(const char *s)
{
	return (*s >= '0' && *s <= '9') || *s == '.';
}

int impair_parse_percent(const char *s, uint32_t *ppm)
{
	char *end;
	double p;

	if (!starts_number(s))
		return -1;
	p = strtod(s, &end);
	if (*end == '%')
		end++;
	if (end == s || *end || !(p >= 0 && p <= 100))
		return -1;
	*ppm = (uint32_t)(p * (IMPAIR_PPM / 100) + 0.5);
	return 0;
}

int impair_parse_duration(const char *s, uint32_t *us)
{
	char *end;
	double v, unit;

	if (!starts_number(s))
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	if (!*end || !strcmp(end, "ms"))
		unit = 1000;               /* a bare number is ms */
	else if (!strcmp(end, "s"))
		unit = 1000000;
	else if (!strcmp(end, "us"))
		unit = 1;
	else
		return -1;
	if (!(v >= 0 && v * unit <= IMPAIR_MAX_DURATION))
		return -1;
	*us = (uint32_t)(v * unit + 0.5);
	return 0;
}

static int parse_match(const char *s, size_t n, struct impair_rule *r)
{
	const char *hash = memchr(s, '#', n);
	size_t name_len = hash ? (size_t)(hash - s) : n;
	char num[16];
	char *end;
	unsigned long v;

	for (r->match = 0; r->match < N_MATCHES; r->match++)
		if (strlen(match_names[r->match]) == name_len &&
		    !strncmp(s, match_names[r->match], name_len))
			break;
	if (r->match == N_MATCHES)
		return -1;
	r->nth = 0;
	if (!hash)
		return 0;
	n -= name_len + 1;
	if (n == 0 || n >= sizeof(num) || hash[1] < '0' || hash[1] > '9')
		return -1;
	memcpy(num, hash + 1, n);
	num[n] = 0;
	v = strtoul(num, &end, 10);
	if (*end || v < 1 || v > 1000000000)
		return -1;
	r->nth = (uint32_t)v;
	return 0;
}

static int parse_action(const char *s, struct impair_rule *r)
{
	r->delay_us = 0;
	if (!strcmp(s, "drop"))
		r->action = IMPAIR_DROP;
	else if (!strcmp(s, "dup"))
		r->action = IMPAIR_DUP;
	else if (!strcmp(s, "corrupt"))
		r->action = IMPAIR_CORRUPT;
	else if (!strncmp(s, "delay=", 6) && !impair_parse_duration(s + 6, &r->delay_us))
		r->action = IMPAIR_DELAY;
	else
		return -1;
	return 0;
}

/* Parse and append; on error a message without the text (callers add it). */
static int add_rule(struct impair_conf *c, const char *text, char *err, size_t errlen)
{
	const char *colon = strchr(text, ':');
	struct impair_rule r;

	if (c->nrules >= IMPAIR_MAX_RULES) {
		snprintf(err, errlen, "at most %d rules per direction", IMPAIR_MAX_RULES);
		return -1;
	}
	if (!colon || parse_match(text, (size_t)(colon - text), &r)) {
		snprintf(err, errlen, "expected MATCH[#N]:ACTION with MATCH one of syn, syn-ack, "
			 "data, ack, fin, rst, any, last-ack and N >= 1");
		return -1;
	}
	if (parse_action(colon + 1, &r)) {
		snprintf(err, errlen, "expected ACTION drop, dup, corrupt or delay=DURATION "
			 "(e.g. delay=500ms, at most 60s)");
		return -1;
	}
	c->rules[c->nrules++] = r;
	return 0;
}

int impair_add_rule(struct impair_conf *c, const char *text, char *err, size_t errlen)
{
	char msg[160];

	if (add_rule(c, text, msg, sizeof(msg)) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", msg, text);
	return -1;
}

/* "in:5%" -> which directions, and the value after the prefix. */
static const char *split_dir(const char *arg, struct impair_conf *in, struct impair_conf *out,
			     struct impair_conf *to[2])
{
	to[0] = in;
	to[1] = out;
	if (!strncmp(arg, "in:", 3)) {
		to[1] = NULL;
		return arg + 3;
	}
	if (!strncmp(arg, "out:", 4)) {
		to[0] = NULL;
		return arg + 4;
	}
	return arg;
}

static int option_rule(struct impair_conf *in, struct impair_conf *out, const char *arg,
		       char *err, size_t errlen)
{
	struct impair_conf *to[2];
	const char *rule = split_dir(arg, in, out, to);
	char msg[160];

	if (rule == arg) {
		snprintf(err, errlen, "--rule: expected DIR:MATCH[#N]:ACTION with DIR in or out, "
			 "e.g. out:fin#1:drop: %s", arg);
		return -1;
	}
	if (add_rule(to[0] ? to[0] : to[1], rule, msg, sizeof(msg))) {
		snprintf(err, errlen, "--rule: %s: %s", msg, arg);
		return -1;
	}
	return 0;
}

static int option_seed(struct impair_conf *in, struct impair_conf *out, const char *arg,
		       char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	v = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end || v > 0xffffffffu) {
		snprintf(err, errlen, "--impair-seed: a number from 0 to 4294967295: %s", arg);
		return -1;
	}
	in->seed = out->seed = (uint32_t)v;
	return 0;
}

/* The field of c that option `name` sets, and whether its value is a percentage
 * (else a duration); NULL if it is neither. */
static uint32_t *option_field(struct impair_conf *c, const char *name, bool *percent)
{
	static const char *const names[] = { "loss", "reorder", "dup", "corrupt", "delay", "jitter" };
	uint32_t *const fields[] = { &c->loss, &c->reorder, &c->dup, &c->corrupt, &c->delay_us,
				     &c->jitter_us };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			*percent = i < 4;          /* the first four; delay and jitter are durations */
			return fields[i];
		}
	return NULL;
}

/* --loss, --reorder, --dup, --corrupt (PERCENT), --delay, --jitter (DURATION) */
static int option_value(struct impair_conf *in, struct impair_conf *out, const char *name,
			const char *arg, char *err, size_t errlen)
{
	struct impair_conf *to[2];
	const char *val = split_dir(arg, in, out, to);
	bool percent;
	uint32_t v;

	if (!option_field(in, name, &percent)) {
		snprintf(err, errlen, "not an impairment option: --%s", name);
		return -1;
	}
	if (percent && impair_parse_percent(val, &v)) {
		snprintf(err, errlen, "--%s: [in:|out:]PERCENT from 0 to 100, e.g. 5%% "
			 "or in:0.5%%: %s", name, arg);
		return -1;
	}
	if (!percent && impair_parse_duration(val, &v)) {
		snprintf(err, errlen, "--%s: [in:|out:]DURATION up to 60s, e.g. 50ms, 1.5s, 800us "
			 "(a bare number is ms): %s", name, arg);
		return -1;
	}
	for (int d = 0; d < 2; d++)
		if (to[d])
			*option_field(to[d], name, &percent) = v;
	return 0;
}

int impair_option(struct impair_conf *in, struct impair_conf *out, const char *name,
		  const char *arg, char *err, size_t errlen)
{
	if (!strcmp(name, "rule"))
		return option_rule(in, out, arg, err, errlen);
	if (!strcmp(name, "impair-seed"))
		return option_seed(in, out, arg, err, errlen);
	return option_value(in, out, name, arg, err, errlen);
}

/* ---- back to text, as the parser reads it ---- */

void impair_duration_format(uint32_t us, char *buf, size_t cap)
{
	if (us && us % 1000000 == 0)
		snprintf(buf, cap, "%us", us / 1000000);
	else if (us % 1000 == 0)
		snprintf(buf, cap, "%ums", us / 1000);
	else
		snprintf(buf, cap, "%uus", us);
}

void impair_rule_format(const struct impair_rule *r, char *buf, size_t cap)
{
	static const char *const actions[] = { "drop", "delay=", "dup", "corrupt" };
	char nth[16] = "", dur[16] = "";

	if (r->nth)
		snprintf(nth, sizeof(nth), "#%u", r->nth);
	if (r->action == IMPAIR_DELAY)
		impair_duration_format(r->delay_us, dur, sizeof(dur));
	snprintf(buf, cap, "%s%s:%s%s", (unsigned)r->match < N_MATCHES ? match_names[r->match] : "?",
		 nth, actions[r->action & 3], dur);
}

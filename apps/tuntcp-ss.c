/* tuntcp-ss - `ss -tino` for a running tuntcp stack: asks it over its control socket
 * (tun/control.h) for every TCB it has (listeners with their queues, connections held
 * by a user, half-open children, orphans, TIME-WAIT) and prints them as ss does; with
 * --watch, again every second. `tuntcp-ss step` and `tuntcp-ss continue` drive a stack
 * started with --step. Exit status 0; 1 when no stack answers; 2 on a usage error. */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "control.h"
#include "options.h"

#define SS_MAX_FOUND 64            /* sockets looked at, at most */

static void usage(FILE *f)
{
	fputs("usage: tuntcp-ss [--tun NAME | --pid PID | --socket PATH] [--watch] [--interval MS]\n"
	      "                 [status | step | continue]\n"
	      "Shows a running tuntcp stack's connections as `ss -tino` does (status, the default),\n"
	      "or drives one started with --step: step lets it do what it waits to do, continue\n"
	      "ends step mode. Without --tun, --pid or --socket it asks the only stack running.\n"
	      "  --tun NAME          the stack on device NAME\n"
	      "  --pid PID           the stack in process PID\n"
	      "  --socket PATH       the control socket PATH (DIR/TUN.PID.sock)\n"
	      "  -w, --watch         show it again every second (or every --interval MS)\n"
	      "  --interval MS       how often --watch refreshes (default 1000)\n"
	      "Sockets are looked for in /run/tuntcp, $XDG_RUNTIME_DIR/tuntcp and the folder of\n"
	      "this program.\n", f);
}

/* The live stacks' sockets in every directory where one may be. */
struct found {
	char path[SS_MAX_FOUND][CTL_PATH_MAX];
	const char *name[SS_MAX_FOUND];
	int n;
};

static void ss_scan(struct found *fd, const char *dir)
{
	char tun[16];
	struct dirent *e;
	DIR *d = opendir(dir);
	long pid;

	while (d && (e = readdir(d)) && fd->n < SS_MAX_FOUND) {
		if (ctl_parse_name(e->d_name, tun, &pid) || !ctl_pid_alive(pid) ||
		    ctl_sock_path(fd->path[fd->n], dir, tun, pid))
			continue;
		fd->name[fd->n] = strrchr(fd->path[fd->n], '/') + 1;
		fd->n++;
	}
	if (d)
		closedir(d);
}

/* The socket of the stack asked for into path; on failure a message and exit 1. */
static void ss_find(const char *tun, long pid, char path[CTL_PATH_MAX])
{
	char dirs[CTL_NDIRS][CTL_PATH_MAX], exe[CTL_PATH_MAX];
	static struct found fd;
	int nd, i;

	ctl_exe_dir(exe);
	nd = ctl_dirs(dirs, getenv("XDG_RUNTIME_DIR"), exe);
	for (i = 0; i < nd; i++)
		ss_scan(&fd, dirs[i]);
	i = ctl_pick(fd.name, fd.n, tun, pid);
	if (i >= 0) {
		memcpy(path, fd.path[i], CTL_PATH_MAX);
		return;
	}
	if (i == -EEXIST) {
		fprintf(stderr, "tuntcp-ss: more than one stack runs; choose with --tun or --pid:\n");
		for (i = 0; i < fd.n; i++)
			fprintf(stderr, "  %s\n", fd.path[i]);
	} else {
		fprintf(stderr, "tuntcp-ss: no running tuntcp stack%s%s found (looked in", tun ? " on " : "",
			tun ? tun : "");
		for (i = 0; i < nd; i++)
			fprintf(stderr, " %s", dirs[i]);
		fprintf(stderr, ")\n");
	}
	exit(1);
}

/* One request; on failure a message and exit 1. */
static void ss_ask(const char *path, const char *cmd)
{
	char err[256] = "";
	int r = ctl_request(path, cmd, CTL_TIMEOUT_MS, stdout, err, sizeof(err));

	fflush(stdout);
	if (r == 0)
		return;
	if (r == 1)
		fprintf(stderr, "tuntcp-ss: %s\n", err);
	else if (r == -ETIMEDOUT)
		fprintf(stderr, "tuntcp-ss: %s: no answer within %d ms (the stack is stuck?)\n", path,
			CTL_TIMEOUT_MS);
	else if (r == -ECONNREFUSED || r == -ENOENT || r == -EPROTO)
		fprintf(stderr, "tuntcp-ss: %s: nobody answers (the stack has ended)\n", path);
	else
		fprintf(stderr, "tuntcp-ss: %s: %s%s\n", path, strerror(-r),
			r == -EACCES ? " (the stack runs as another user)" : "");
	exit(1);
}

static void ss_watch(const char *path, unsigned long interval_ms)
{
	char now[32];
	time_t t;

	for (;;) {
		t = time(NULL);
		strftime(now, sizeof(now), "%H:%M:%S", localtime(&t));
		printf("%s%s, every %lu ms (Ctrl-C ends)\n", isatty(STDOUT_FILENO) ? "\033[H\033[2J" : "\n",
		       now, interval_ms);
		ss_ask(path, "status");
		usleep((useconds_t)interval_ms * 1000);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tun", required_argument, 0, 't' }, { "pid", required_argument, 0, 'p' },
		{ "socket", required_argument, 0, 's' }, { "watch", no_argument, 0, 'w' },
		{ "interval", required_argument, 0, 'i' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *tun = NULL, *sock = NULL, *cmd = "status";
	unsigned long pid = 0, interval = 1000;
	char path[CTL_PATH_MAX];
	int c, watch = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":wh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		} else if (c == 't') {
			tun = optarg;
		} else if (c == 'p' && (net_parse_uint(optarg, 0x7fffffff, &pid) || !pid)) {
			net_bad_usage(argv[0], "--pid: a process ID: %s", optarg);
		} else if (c == 's') {
			sock = optarg;
		} else if (c == 'w') {
			watch = 1;
		} else if (c == 'i' && (net_parse_uint(optarg, 3600000, &interval) || interval < 10)) {
			net_bad_usage(argv[0], "--interval: milliseconds, 10 or more: %s", optarg);
		} else if (c == 'i') {
			watch = 1;
		} else if (c == '?' || c == ':') {
			net_bad_usage(argv[0], "%s option %s", c == '?' ? "unknown" : "a value is needed for",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc)
		net_bad_usage(argv[0], "unexpected argument: %s", argv[optind]);
	if (strcmp(cmd, "status") && strcmp(cmd, "step") && strcmp(cmd, "continue"))
		net_bad_usage(argv[0], "unknown command %s: status, step or continue", cmd);
	if (sock && strlen(sock) >= CTL_PATH_MAX)
		net_bad_usage(argv[0], "--socket: a path shorter than %d bytes", CTL_PATH_MAX);
	if (sock)
		snprintf(path, sizeof(path), "%s", sock);
	else
		ss_find(tun, (long)pid, path);
	if (watch && !strcmp(cmd, "status"))
		ss_watch(path, interval);
	ss_ask(path, cmd);
	return 0;
}

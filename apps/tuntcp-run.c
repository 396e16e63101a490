/* tuntcp-run - run an unmodified program on the stack: `tuntcp-run [options] -- PROGRAM
 * [ARGS]`. Checks the options and the device, then runs PROGRAM with the preload
 * library (build/libtuntcp.so, beside this program) in LD_PRELOAD and the options in
 * TUNTCP_ARGS. In the program, the first AF_INET TCP socket starts the stack (the
 * device, the log, the capture); every AF_INET TCP socket is then the stack's. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net.h"
#include "options.h"
#include "tun.h"

static void usage(FILE *f)
{
	fputs("usage: tuntcp-run [network options] -- PROGRAM [ARGS...]\n"
	      "Runs PROGRAM with its IPv4 TCP sockets on the stack (LD_PRELOAD=libtuntcp.so):\n"
	      "  tuntcp-run -- nc -l 10.0.0.2 1234\n"
	      "  tuntcp-run --log s.log --pcap s.pcap -- python3 -m http.server 80 --bind 10.0.0.2\n"
	      "Everything else the program does (UNIX sockets, UDP, IPv6, files, 127.0.0.0/8)\n"
	      "stays with the kernel. The library alone reads the same options from the\n"
	      "environment: TUNTCP_IP=10.0.0.2, TUNTCP_MSL=1, TUNTCP_NODELAY=1, ... (README).\n", f);
	net_usage_common(f);
}

/* The library: beside this program (build/), found through /proc/self/exe. */
static void library_path(char *buf, size_t size)
{
	ssize_t r = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	buf[r > 0 ? r : 0] = 0;
	slash = strrchr(buf, '/');
	snprintf(slash ? slash + 1 : buf, size - (size_t)(slash ? slash + 1 - buf : 0), "libtuntcp.so");
}

/* TUNTCP_ARGS: the options as given, \x1f between the words. */
static void export_args(int argc, char **argv)
{
	size_t len = 1;
	char *all;

	for (int i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	all = calloc(1, len);
	for (int i = 1; all && i < argc; i++) {
		if (i > 1)
			strcat(all, "\x1f");
		strcat(all, argv[i]);
	}
	if (all)
		setenv("TUNTCP_ARGS", all, 1);
	free(all);
}

/* Can the device be had? Said now, plainly, rather than at the program's first socket. */
static void check_device(const struct net_options *o)
{
	int fd = tun_open(o->tun);

	if (fd < 0) {
		fprintf(stderr, "tuntcp-run: cannot open the TUN device %s: %s\n"
			"  (run as root, or let an admin create it: ip tuntap add dev %s mode tun "
			"user $USER)\n", o->tun, strerror(-fd), o->tun);
		exit(1);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { NET_LONG_OPTIONS, { 0, 0, 0, 0 } };
	struct net_options o;
	char lib[PATH_MAX], preload[PATH_MAX + 512];
	const char *old;
	int c, nopts;

	net_options_default(&o);
	setenv("POSIXLY_CORRECT", "1", 1);        /* options end at PROGRAM, -- or not */
	while ((c = net_getopt(argc, argv, "", longopts, &o)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		net_bad_usage(argv[0], "unknown option");
	}
	unsetenv("POSIXLY_CORRECT");
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	nopts = optind - (strcmp(argv[optind - 1], "--") ? 0 : 1);
	library_path(lib, sizeof(lib));
	if (access(lib, R_OK)) {
		fprintf(stderr, "tuntcp-run: %s: %s (make builds it)\n", lib, strerror(errno));
		return 1;
	}
	check_device(&o);
	export_args(nopts, argv);
	old = getenv("LD_PRELOAD");
	snprintf(preload, sizeof(preload), "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", preload, 1);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "tuntcp-run: %s: %s\n", argv[optind],
		errno == ENOENT ? "command not found" : strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

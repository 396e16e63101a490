/* control.c - the control socket (control.h): where it goes, the server thread that
 * answers one request per connection, and the client's side of a request. Nothing
 * here knows the stack: the server hands each command to its handler (net.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                /* accept4, memrchr, strerrorname_np */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "control.h"

struct ctl {
	int lfd, stopfd;
	char path[CTL_PATH_MAX];
	pthread_t thread;
	ctl_handler fn;
	void *ctx;
};

/* ---- where the socket goes (pure) ---- */

int ctl_dirs(char dirs[CTL_NDIRS][CTL_PATH_MAX], const char *xdg, const char *exe_dir)
{
	int n = 0;

	snprintf(dirs[n++], CTL_PATH_MAX, "/run/tuntcp");
	if (xdg && *xdg && strlen(xdg) + sizeof("/tuntcp") <= CTL_PATH_MAX)
		snprintf(dirs[n++], CTL_PATH_MAX, "%s/tuntcp", xdg);
	if (exe_dir && *exe_dir && strlen(exe_dir) < CTL_PATH_MAX)
		snprintf(dirs[n++], CTL_PATH_MAX, "%s", exe_dir);
	return n;
}

int ctl_sock_path(char buf[CTL_PATH_MAX], const char *dir, const char *tun, long pid)
{
	int n = snprintf(buf, CTL_PATH_MAX, "%s/%s.%ld.sock", dir, tun, pid);

	return n < 0 || n >= CTL_PATH_MAX ? -ENAMETOOLONG : 0;
}

int ctl_parse_name(const char *name, char tun[16], long *pid)
{
	size_t len = strlen(name), i;
	const char *dot;

	if (len < sizeof("a.1.sock") - 1 || strcmp(name + len - 5, ".sock"))
		return -1;
	i = len - 5;                                /* the PID's digits end here */
	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	dot = name + i - 1;
	if (i == len - 5 || i < 2 || *dot != '.' || (size_t)(dot - name) >= 16 || len - 5 - i > 9)
		return -1;
	memcpy(tun, name, (size_t)(dot - name));
	tun[dot - name] = 0;
	*pid = strtol(name + i, NULL, 10);
	return *pid > 0 ? 0 : -1;
}

int ctl_pick(const char *const names[], int n, const char *tun, long pid)
{
	int found = -ENOENT;
	char t[16];
	long p;

	for (int i = 0; i < n; i++) {
		if (ctl_parse_name(names[i], t, &p) || (tun && strcmp(t, tun)) || (pid && p != pid))
			continue;
		if (found >= 0)
			return -EEXIST;
		found = i;
	}
	return found;
}

bool ctl_pid_alive(long pid)
{
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

void ctl_exe_dir(char dir[CTL_PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", dir, CTL_PATH_MAX - 1);
	char *slash;

	dir[n > 0 ? n : 0] = 0;
	if (n <= 0 || n >= CTL_PATH_MAX - 1 || !(slash = strrchr(dir, '/')))
		dir[0] = 0;
	else
		*slash = 0;
}

/* ---- the server ---- */

static void ctl_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* All of it, or give up (the peer went away, or stopped reading for CTL_IO_MS). */
static int ctl_send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The request: one line, at most 63 bytes. */
static int ctl_read_cmd(int fd, char cmd[64])
{
	size_t len = 0;
	ssize_t n;

	while (len < 63 && (n = recv(fd, cmd + len, 63 - len, 0)) > 0) {
		len += (size_t)n;
		if (memchr(cmd, '\n', len))
			break;
	}
	cmd[len] = 0;
	cmd[strcspn(cmd, "\r\n")] = 0;
	return len ? 0 : -1;
}

static void ctl_serve(struct ctl *c, int fd)
{
	char cmd[64], *body = NULL;
	size_t len = 0;
	FILE *out;
	int r;

	ctl_timeouts(fd, CTL_IO_MS);
	if (ctl_read_cmd(fd, cmd) || !(out = open_memstream(&body, &len)))
		return;
	r = c->fn(c->ctx, cmd, out);
	fclose(out);
	if (len > CTL_REPLY_MAX) {                   /* bounded: cut at a line */
		char *nl = memrchr(body, '\n', CTL_REPLY_MAX);
		len = nl ? (size_t)(nl - body) + 1 : 0;
	}
	if (ctl_send_all(fd, r ? "error: " : "ok\n", r ? 7 : 3) == 0)
		ctl_send_all(fd, body, len);
	free(body);
}

static void *ctl_loop(void *arg)
{
	struct ctl *c = arg;
	struct pollfd pfd[2] = { { .fd = c->lfd, .events = POLLIN },
				 { .fd = c->stopfd, .events = POLLIN } };

	while (poll(pfd, 2, -1) >= 0 || errno == EINTR) {
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				ctl_serve(c, fd);
				close(fd);
			}
		}
	}
	return NULL;
}

/* Sockets left by programs that ended without removing theirs (killed, or exited
 * without net_stop): the PID in the name is gone. */
static void ctl_sweep(const char *dir)
{
	char tun[16], path[CTL_PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	long pid;

	while (d && (e = readdir(d)))
		if (!ctl_parse_name(e->d_name, tun, &pid) && !ctl_pid_alive(pid) &&
		    !ctl_sock_path(path, dir, tun, pid))
			unlink(path);
	if (d)
		closedir(d);
}

/* Bind the socket in `dir`, made if need be; 0 or -errno. */
static int ctl_bind(struct ctl *c, const char *dir, const char *tun)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int err;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	ctl_sweep(dir);
	if ((err = ctl_sock_path(c->path, dir, tun, (long)getpid())))
		return err;
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	unlink(c->path);                             /* ours: a dead process with our PID */
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	chmod(c->path, 0600);                        /* only the stack's user may look or step */
	return 0;
}

/* The first directory that takes the socket, then the thread. */
struct ctl *ctl_start(const char *tun, ctl_handler fn, void *ctx)
{
	char dirs[CTL_NDIRS][CTL_PATH_MAX], exe[CTL_PATH_MAX];
	struct ctl *c = calloc(1, sizeof(*c));
	int n, i, err = -ENOENT;
	bool bound;

	if (!c)
		return NULL;
	ctl_exe_dir(exe);
	n = ctl_dirs(dirs, getenv("XDG_RUNTIME_DIR"), exe);
	c->fn = fn;
	c->ctx = ctx;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c->stopfd = eventfd(0, EFD_CLOEXEC);
	if (c->lfd < 0 || c->stopfd < 0)
		err = -errno;
	else
		for (i = 0; i < n && (err = ctl_bind(c, dirs[i], tun)); i++)
			;
	bound = !err;
	if (!err && listen(c->lfd, 8))
		err = -errno;
	if (!err)
		err = -pthread_create(&c->thread, NULL, ctl_loop, c);
	if (!err)
		return c;
	fprintf(stderr, "control: no socket for tuntcp-ss (%s): running without\n", strerror(-err));
	if (bound)
		unlink(c->path);
	close(c->lfd);
	close(c->stopfd);
	free(c);
	return NULL;
}

void ctl_unlink(const struct ctl *c)
{
	if (c)
		unlink(c->path);
}

void ctl_stop(struct ctl *c)
{
	uint64_t one = 1;

	if (!c)
		return;
	if (write(c->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(c->thread, NULL);
	close(c->lfd);
	close(c->stopfd);
	unlink(c->path);
	free(c);
}

/* ---- the client ---- */

static uint64_t ctl_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for `events` on fd until `deadline` (ctl_ms); 0, or -ETIMEDOUT. */
static int ctl_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;

	while ((now = ctl_ms()) < deadline) {
		int r = poll(&p, 1, (int)(deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	return -ETIMEDOUT;
}

/* A connected socket, or -errno. A listener whose backlog is full (a stack that
 * stopped answering) says EAGAIN: try again until the deadline. */
static int ctl_connect(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		if (err != EAGAIN || ctl_ms() >= deadline) {
			close(fd);
			return err == EAGAIN ? -ETIMEDOUT : -err;
		}
		usleep(10000);
	}
	return fd;
}

/* The whole reply, until the server closes; -ETIMEDOUT past the deadline. */
static int ctl_read_reply(int fd, uint64_t deadline, char **buf, size_t *len)
{
	size_t cap = 4096;
	int err;

	*len = 0;
	if (!(*buf = malloc(cap)))
		return -ENOMEM;
	for (;;) {
		if ((err = ctl_wait(fd, POLLIN, deadline)))
			return err;
		if (*len + 1 == cap) {
			char *p = cap < CTL_REPLY_MAX + 4096 ? realloc(*buf, cap * 2) : NULL;
			if (!p)
				return -EMSGSIZE;
			*buf = p;
			cap *= 2;
		}
		ssize_t n = recv(fd, *buf + *len, cap - 1 - *len, 0);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		*len += n > 0 ? (size_t)n : 0;
	}
	(*buf)[*len] = 0;
	return 0;
}

int ctl_request(const char *path, const char *cmd, int timeout_ms, FILE *out, char *err,
		size_t errcap)
{
	uint64_t deadline = ctl_ms() + (uint64_t)timeout_ms;
	char *reply = NULL, *nl, line[64];
	size_t len = (size_t)snprintf(line, sizeof(line), "%s\n", cmd);
	int fd, r;

	if (len >= sizeof(line))
		return -EINVAL;
	if ((fd = ctl_connect(path, deadline)) < 0)
		return fd;
	r = ctl_wait(fd, POLLOUT, deadline);
	if (!r && send(fd, line, len, MSG_NOSIGNAL) < 0)
		r = -errno;
	if (!r)
		r = ctl_read_reply(fd, deadline, &reply, &len);
	close(fd);
	if (!r && !strncmp(reply, "ok\n", 3)) {
		fwrite(reply + 3, 1, len - 3, out);
	} else if (!r && !strncmp(reply, "error: ", 7)) {
		nl = strchr(reply + 7, '\n');
		snprintf(err, errcap, "%.*s", nl ? (int)(nl - reply - 7) : (int)(len - 7), reply + 7);
		r = 1;
	} else if (!r) {
		r = -EPROTO;                             /* closed without an answer */
	}
	free(reply);
	return r;
}

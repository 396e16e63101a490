/* control.h - the control socket through which tuntcp-ss talks to a running stack:
 * a UNIX stream socket, one request per connection (a command line: "status", "step",
 * "continue"), a text reply, then the server closes. Its first line is "ok" or
 * "error: WHY". The server answers from a thread of its own, so a slow or stuck client
 * never holds up the network thread; replies are bounded (CTL_REPLY_MAX) and every
 * read and write has a timeout, both sides.
 * The socket is DIR/TUN.PID.sock in the first directory of ctl_dirs where it can be
 * made: /run/tuntcp, $XDG_RUNTIME_DIR/tuntcp, the program's own folder (build/).
 * Entry points: ctl_start, ctl_stop, ctl_unlink, ctl_request (the client), ctl_exe_dir,
 * ctl_pid_alive,
 * and the pure ones: ctl_dirs, ctl_sock_path, ctl_parse_name, ctl_pick. */
#ifndef TUNTCP_CONTROL_H
#define TUNTCP_CONTROL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CTL_REPLY_MAX   (1 << 20)   /* bytes of one reply, at most (1024 TCBs: ~400 KiB) */
#define CTL_IO_MS       1000        /* the server's timeout on each read and write, and
                                       on the stack's lock for a snapshot */
#define CTL_TIMEOUT_MS  3000        /* the client's, for the whole request */
#define CTL_NDIRS       3
#define CTL_PATH_MAX    108         /* sizeof(sockaddr_un.sun_path) */

/* The server's answer to one command: writes the reply's body to `out` and returns 0,
 * or writes why not and returns -1 (the reply then starts "error: "). */
typedef int (*ctl_handler)(void *ctx, const char *cmd, FILE *out);

struct ctl;
/* Make the socket for device `tun` and start answering. NULL (with a line on stderr
 * saying why) when no directory will take it: the program runs on without. */
struct ctl *ctl_start(const char *tun, ctl_handler fn, void *ctx);
/* Stop the thread, close and remove the socket. NULL is fine. */
void ctl_stop(struct ctl *c);
/* Only remove the socket file: for a program that exits at once (a signal). */
void ctl_unlink(const struct ctl *c);

/* The client: send `cmd`, copy the reply's body to `out`. 0; 1 when the server said
 * "error: ..." (the rest of that line copied to `err`); or -errno (-ETIMEDOUT when
 * nobody answered within timeout_ms). */
int ctl_request(const char *path, const char *cmd, int timeout_ms, FILE *out, char *err,
		size_t errcap);

/* False when no process has this PID (its socket is stale). */
bool ctl_pid_alive(long pid);
/* The folder of the running program (build/), "" if unknown. */
void ctl_exe_dir(char dir[CTL_PATH_MAX]);
/* Where sockets go, in order of preference: fills dirs[] (each CTL_PATH_MAX) and
 * returns how many; xdg ($XDG_RUNTIME_DIR) and exe_dir may be NULL or empty. */
int ctl_dirs(char dirs[CTL_NDIRS][CTL_PATH_MAX], const char *xdg, const char *exe_dir);
/* "DIR/TUN.PID.sock" into buf[CTL_PATH_MAX]; -ENAMETOOLONG if it does not fit. */
int ctl_sock_path(char buf[CTL_PATH_MAX], const char *dir, const char *tun, long pid);
/* "tun0.4242.sock" -> tun0 and 4242; -1 if the name is not of that form. */
int ctl_parse_name(const char *name, char tun[16], long *pid);
/* Of n socket names, the one for device `tun` (NULL: any) and process `pid` (0: any):
 * its index, -ENOENT if none, -EEXIST if more than one matches. */
int ctl_pick(const char *const names[], int n, const char *tun, long pid);

#endif

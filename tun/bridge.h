/* bridge.h - one kernel fd per stack connection, for programs not written for
 * tuntcp (the preload library, tun/preload/). Each socket the program opens is one
 * end of a UNIX stream socketpair (its "app end"); the bridge holds the other end
 * and, in the network thread, pumps bytes between it and the stack's connection:
 * what the program writes goes to tcp_send as the send buffer has room, what the
 * stack receives is written to the program as it reads. The kernel then does the
 * rest as for any socket: blocking, O_NONBLOCK, poll/select/epoll, dup, fork, exec.
 *   - end of stream: the program's shutdown(SHUT_WR) or last close() reaches the
 *     bridge as end of file (FIN); the peer's FIN reaches the program as end of file;
 *   - a listener's app end has one readable byte per connection waiting in the
 *     accept queue (accept() takes one, then the connection);
 *   - a non-blocking connect() fills the app end with filler bytes so that it is not
 *     writable until the handshake completes (they are taken back then), as a TCP
 *     socket is not writable before; a failed one becomes writable and readable
 *     (end of file), and SO_ERROR tells why.
 * Every function here but bridge_new is called with the net's lock held (net_lock).
 * Entry points: bridge_new, bridge_free, bridge_socket, bridge_connect, bridge_connect_result,
 * bridge_listen, bridge_accepted, bridge_open, bridge_take_error, bridge_handle,
 * bridge_linger0, bridge_live. */
#ifndef TUNTCP_BRIDGE_H
#define TUNTCP_BRIDGE_H
#include <stdbool.h>
#include <stdint.h>
#include "net.h"

struct bridge;
struct bconn;

/* The bridge of a running net: its pumping runs in the net's network thread. */
struct bridge *bridge_new(struct net *n);
/* After net_stop: closes what is left. */
void bridge_free(struct bridge *b);
/* A new socket: the socketpair, the app end (SOCK_NONBLOCK, SOCK_CLOEXEC from `flags`)
 * in *app_fd. NULL with errno set on failure. Freed by the bridge when the program
 * has closed every copy of the app end and the connection is handed to the stack. */
struct bconn *bridge_socket(struct bridge *b, int flags, int *app_fd);
/* Handle `h` (tcp_connect's) is connecting; nonblock: fill the app end (app_fd). */
int bridge_connect(struct bridge *b, struct bconn *c, int h, int app_fd, bool nonblock);
/* 1 still connecting, 0 connected, or the -errno it failed with (then the socket
 * is back to new: it may connect again). */
int bridge_connect_result(struct bridge *b, struct bconn *c);
void bridge_listen(struct bridge *b, struct bconn *c, int h);
/* accept() took one byte of the listener's app end. */
void bridge_accepted(struct bridge *b, struct bconn *c);
/* An accepted connection, handle h, becomes c's. */
void bridge_open(struct bridge *b, struct bconn *c, int h);
/* The error the program has not been told (-errno), cleared; 0 if none. */
int bridge_take_error(struct bridge *b, struct bconn *c);
/* Is there one? Without the lock (every read and write of the program asks). */
bool bridge_has_error(const struct bconn *c);
/* The stack's handle (-1 when none), and whether the bridge is past connecting. */
int bridge_handle(const struct bconn *c);
bool bridge_connected(const struct bconn *c);
/* SO_LINGER with a zero timeout: the last close() aborts (RST) instead of FIN. */
void bridge_linger0(struct bconn *c, bool on);
/* How many sockets the bridge still pumps (at exit: wait until 0). */
int bridge_live(const struct bridge *b);
/* Is this the network thread (that pumps)? The preload library's wrappers must not
 * take the lock there: they go straight to the kernel. */
bool bridge_in_thread(void);

#endif

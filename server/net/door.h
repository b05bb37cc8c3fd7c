/*
 * door.h: the front door of every accepted connection: what libwebsockets
 * 4.1 does not check on its own (see door.c).
 *
 *   - An HTTP request line over DOOR_LINE_MAX bytes is answered 414, a head
 *     (request line and headers) over DOOR_HEAD_MAX bytes 431, and the
 *     connection ends; lws never sees those bytes.
 *   - After a WebSocket upgrade, every frame header is checked against RFC
 *     6455: a client's frame must be masked, a control frame carries at
 *     most 125 bytes, a 64-bit length has its top bit clear.  A frame that
 *     breaks a rule, and everything after it, never reaches lws; the
 *     session is closed with 1002 (protocol error) naming the rule.
 *
 * Ownership: the door keeps a small state per descriptor, from door_accept()
 * until the descriptor is accepted again (fds are reused).  door_bind()
 * names the session of a WebSocket connection so that a broken frame can
 * close it; door_unbind() when the session goes.  Single-threaded: the loop
 * thread accepts, and lws reads, on it.
 */
#ifndef SL_NET_DOOR_H
#define SL_NET_DOOR_H

#include <stddef.h>

#define DOOR_LINE_MAX 8192  /* request line, bytes (414 above) */
#define DOOR_HEAD_MAX 16384 /* request line and headers, bytes (431 above) */

/* Called when a frame broke RFC 6455 on a bound connection: close owner
 * with code 1002 and the reason (borrowed for the call). */
typedef void (*door_violation_fn)(void *owner, const char *reason);

void door_init(door_violation_fn on_violation);
void door_accept(int fd);
/* Bind a WebSocket session; a frame broken before the bind is reported now. */
void door_bind(int fd, void *owner);
void door_unbind(int fd);
void door_free(void);

/*
 * The scanner itself, for the fuzzer and the unit test: feed n bytes read on
 * fd; returns how many of them may go on to lws (the rest is dropped), and
 * sets *reply to an HTTP answer to send (static) when the request is refused.
 */
size_t door_scan(int fd, const unsigned char *buf, size_t n, const char **reply);

#endif

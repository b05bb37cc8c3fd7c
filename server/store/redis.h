/*
 * redis.h: one asynchronous Redis connection on a libuv loop, with the
 * timeouts, reconnect and queue cap that hiredis 0.14 lacks.
 *
 * States: DISCONNECTED -> CONNECTING -> CONNECTED -> DISCONNECTED ...
 * The object connects when started and reconnects after any loss with an
 * exponential backoff (100 ms doubling to 5 s, with jitter), until closed.
 * A connect attempt that does not complete in connect_timeout_ms is dropped.
 *
 * Commands: redis_command() only accepts a command while CONNECTED (a store
 * that is down answers SL_EUNAVAIL at once; nothing waits for a reconnect)
 * and while fewer than max_pending commands are in flight (SL_EFULL).
 *   - It returns 0 and then calls the callback EXACTLY ONCE, later (never
 *     from inside redis_command), with either a reply (err 0; err SL_EIO
 *     when the reply is a Redis error, the reply then holds its text) or an
 *     error and no reply: SL_EUNAVAIL (connection lost or closed) or
 *     SL_ETIMEOUT (no reply within the command's timeout).
 *   - Or it returns a negative code and never calls the callback.
 * hiredis cannot cancel one command, so a command that times out drops the
 * whole connection (a Redis that does not answer for seconds is not
 * healthy); every pending command then fails and the reconnect begins.
 * An idle connection (nothing heard for 1 s, nothing in flight) is probed
 * with a PING of its own, so a Redis that stopped answering is seen as down
 * without any traffic (redis_up() false, on_state(false)).
 *
 * The reply passed to a callback is borrowed: it is freed when the callback
 * returns.  Callbacks may issue new commands and may call redis_close().
 *
 * Ownership: redis_new() returns owned.  redis_close() begins closing (fails
 * pending commands with SL_EUNAVAIL, stops timers); on_closed runs once every
 * handle is closed; redis_free() after that (or after the loop ended).
 */
#ifndef SL_STORE_REDIS_H
#define SL_STORE_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct redis redis;

/*
 * Where to connect, asked before every connect attempt (a connection that
 * follows a Redis Cluster slot's primary: store/cluster.h).  Writes the
 * host (NUL-terminated, at most hostlen bytes) and port; returns 0, or < 0
 * when no address is known yet (the attempt is retried after the backoff).
 */
typedef int (*redis_addr_fn)(void *ctx, char *host, size_t hostlen, int *port);

struct redis_opts {
	const char *name; /* for logs: "append", "tail" (borrowed, copied) */
	const char *host; /* copied; ignored when addr is set */
	int port;
	redis_addr_fn addr; /* NULL: always host:port */
	void *addr_ctx;
	uint32_t connect_timeout_ms;
	uint32_t command_timeout_ms; /* default per command */
	size_t max_pending;          /* commands in flight at most */
};

enum redis_state { REDIS_ST_DISCONNECTED, REDIS_ST_CONNECTING, REDIS_ST_CONNECTED };

/* err: 0, SL_EIO (Redis error reply), SL_EUNAVAIL or SL_ETIMEOUT. */
typedef void (*redis_reply_fn)(void *ctx, int err, const redisReply *reply);
/* Called when the connection comes up (after the handshake) or goes down. */
typedef void (*redis_state_fn)(void *ctx, bool up);

redis *redis_new(uv_loop_t *loop, const struct redis_opts *o, redis_state_fn on_state, void *ctx);
void redis_start(redis *r);
enum redis_state redis_get_state(const redis *r);
bool redis_up(const redis *r);
size_t redis_pending(const redis *r);
/* Counts the connections made: a new value means a new connection (a
 * Redis WAIT only covers the writes of its own connection). */
uint64_t redis_conn_id(const redis *r);
/* "HOST:PORT" of the current (or last tried) address. */
const char *redis_addr(const redis *r);
/* After a redirection: drop the connection (its pending commands fail with
 * SL_EUNAVAIL) and connect again after the first backoff step, or, when
 * waiting out a backoff, connect now; addr is asked again. */
void redis_reconnect(redis *r);

/*
 * Send one command (argv borrowed, copied into hiredis's buffer).
 * timeout_ms 0 means the default.  Returns 0 (cb will run once) or
 * SL_EUNAVAIL / SL_EFULL / SL_EINVAL (cb will never run).
 */
int redis_command(redis *r, uint32_t timeout_ms, redis_reply_fn cb, void *ctx, int argc,
		  const char **argv, const size_t *argvlen);

/* Begin closing; on_closed (may be NULL) runs once all handles closed. */
void redis_close(redis *r, void (*on_closed)(void *ctx), void *ctx);
void redis_free(redis *r);

/* Backoff delay before reconnect attempt n (0-based), without jitter. */
uint32_t redis_backoff_ms(unsigned attempt);

#endif

/*
 * log.h: the event log in Redis (module prefix evlog_, since log() is libm's).
 *
 * Two connections (store/redis.h):
 *   - "append": the append script, tokens, snapshot writes.
 *   - "tail":   at start GET sl:{ev}:snap and load it into the core, then
 *               XREAD BLOCK 1000 COUNT 1000 STREAMS sl:{ev}:log <last id>
 *               forever, folding each entry into the core with core_apply().
 *               After any reconnect it resumes from the last applied id.
 * Records are folded ONLY from the tail, never on append, so every node that
 * tails the same log holds the same state.
 *
 * The append is one Lua script (SCRIPT LOAD on every connect, EVALSHA; on
 * NOSCRIPT the same call is made once with EVAL, which loads it again):
 *   KEYS log, dev-hash; ARGV dev, last seq, payload.
 *   dev non-empty and last <= HGET dev  -> {"dup", watermark}
 *   else XADD log * m payload, HSET dev last -> {"ok", id}
 *
 * A snapshot ({id, core} as msgpack under sl:{ev}:snap) is written every
 * snapshot_every folded records and at close.
 *
 * Ownership: evlog_new() borrows the core (which must outlive the evlog) and
 * returns owned.  Callbacks follow redis.h: a function that returns 0 calls
 * its callback exactly once, later; one that returns < 0 never does.
 */
#ifndef SL_STORE_LOG_H
#define SL_STORE_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core.h"

typedef struct evlog evlog;

struct evlog_opts {
	const char *event; /* copied */
	const char *host;
	int port;
	uint32_t timeout_ms;     /* connect and command timeout */
	uint64_t snapshot_every; /* records between snapshots */
	size_t max_pending;      /* appends in flight at most */
};

evlog *evlog_new(uv_loop_t *loop, const struct evlog_opts *o, core *c);
void evlog_start(evlog *l);

bool evlog_up(const evlog *l);        /* the append connection is up */
bool evlog_caught_up(const evlog *l); /* the tail reached the end once */
const char *evlog_last_id(const evlog *l); /* last applied stream id */
const char *evlog_event(const evlog *l);

/*
 * Append one record (msgpack bytes, borrowed).  dev "" or NULL: no dedupe.
 * cb: err 0 with the stream id (dup false), or err 0 and dup true (nothing
 * written; watermark is the device's last seq), or SL_EGAP (nothing written:
 * first > watermark + 1; watermark given), or err < 0 (SL_EUNAVAIL,
 * SL_ETIMEOUT, SL_EIO).  Strings in the callback are borrowed.
 */
typedef void (*evlog_append_fn)(void *ctx, int err, const char *id, bool dup,
				uint64_t watermark);
int evlog_append(evlog *l, const char *dev, size_t dev_len, uint64_t first, uint64_t last,
		 const char *rec, size_t len, evlog_append_fn cb, void *ctx);

/* Tokens: hash is the sha256 hex of the token; value msgpack {role, device}. */
typedef void (*evlog_get_fn)(void *ctx, int err, const char *val, size_t len);
typedef void (*evlog_done_fn)(void *ctx, int err);
/* err SL_ENOENT when the hash is absent. */
int evlog_token_get(evlog *l, const char *hash, evlog_get_fn cb, void *ctx);
int evlog_token_put(evlog *l, const char *hash, const char *val, size_t len,
		    evlog_done_fn cb, void *ctx);
/* err SL_ENOENT when the token was not there. */
int evlog_token_del(evlog *l, const char *hash, evlog_done_fn cb, void *ctx);

/*
 * Close: write a last snapshot if records were folded since the last one
 * (waiting at most the command timeout), then close both connections;
 * on_closed runs once every handle is closed.
 */
void evlog_close(evlog *l, void (*on_closed)(void *ctx), void *ctx);
void evlog_free(evlog *l);

#endif

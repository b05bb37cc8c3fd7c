/*
 * log.h: the event log in Redis (module prefix evlog_, since log() is libm's).
 *
 * Commands go through the node's store/cluster.h (shared by every event):
 *   - appends and token changes on the connection for writes of the primary
 *     that owns the event's slot, each followed by a WAIT for the replicas
 *     when the evlog asks for them (an ack only after WAIT said enough);
 *   - token lookups and snapshot writes on its command connection;
 * and one connection of the event's own (store/redis.h) follows that slot:
 *   - "tail":   at start GET sl:{ev}:snap and load it into the core, then
 *               XREAD BLOCK 1000 COUNT 1000 STREAMS sl:{ev}:log <last id>
 *               forever, folding each entry into the core with core_apply().
 *               After any reconnect it resumes from the last applied id;
 *               a MOVED reconnects it to the slot's new primary.
 * Records are folded ONLY from the tail, never on append, so every node that
 * tails the same log holds the same state.
 *
 * The append is one Lua script (EVALSHA; on NOSCRIPT, after a Redis restart
 * or on a promoted replica, the same call is made once with EVAL, which
 * caches it again) that
 * checks the writer's token, the device's watermark (sl:{ev}:dev for
 * passings, sl:{ev}:devc for check-ins), then XADDs and moves the watermark;
 * see append_lua in log.c.
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
#include "store/cluster.h"

typedef struct evlog evlog;

struct evlog_opts {
	const char *event;   /* copied */
	cluster *cl;         /* borrowed: where the event's slot lives; must outlive the evlog */
	int wait;            /* replicas that must have an append (or a token change) before
				it is acknowledged (WAIT); < 0: 1 with a cluster, else 0 */
	uint32_t wait_ms;    /* WAIT's timeout */
	uint32_t timeout_ms; /* connect and command timeout */
	uint64_t snapshot_every; /* records between snapshots */
	size_t max_pending;      /* appends in flight at most */
};

evlog *evlog_new(uv_loop_t *loop, const struct evlog_opts *o, core *c);
void evlog_start(evlog *l);

bool evlog_up(const evlog *l);             /* the append and tail connections are up */
bool evlog_caught_up(const evlog *l);      /* the tail reached the end once */
const char *evlog_last_id(const evlog *l); /* last applied stream id */
const char *evlog_event(const evlog *l);
const char *evlog_node(const evlog *l); /* "HOST:PORT" of the event's primary, or "" */

/*
 * Append one record (msgpack bytes, borrowed) as w says: who writes (the
 * token, checked in the same atomic step as the write), under which device
 * and seqs.  cb gets, in *ack (borrowed for the call):
 *   err 0, id: written; first: the first seq (the server's when it numbered
 *     the batch);
 *   err 0, dup: nothing written, the device already had up to last
 *     (watermark given);
 *   SL_EGAP: nothing written, first > watermark + 1 (watermark given);
 *   SL_EAUTH: nothing written, the writer's token is no longer in Redis;
 *   SL_ERANGE: nothing written, the server's numbering would pass SL_SEQ_MAX;
 *   SL_EUNAVAIL, SL_ETIMEOUT, SL_EIO: the store failed (nothing known to be
 *     written: a resend is safe, deduplicated by (device, seq));
 *   SL_EUNSAFE: written, but fewer replicas than asked confirmed it in time
 *     (in the log, not yet safe from a failover: a resend is answered dup,
 *     and acknowledged, once they have it).
 */
enum evlog_space { EVLOG_PASSINGS, EVLOG_CHECKINS };
struct evlog_write {
	const char *tokhash; /* the writer's token hash (64 hex), or NULL:
				the deployment's admin token (a file) */
	const char *dev;     /* NULL: not deduplicated (officials' records) */
	size_t dev_len;
	enum evlog_space space; /* each device has a seq space per kind */
	uint64_t first, last;   /* seqs (<= SL_SEQ_MAX); numbered by the
				   server: last - first + 1 is the count */
	size_t seq_off;         /* 0: seqs as given; else the server numbers
				   the batch: rec[seq_off - 1] is 0xcf and the
				   8 bytes from rec[seq_off] are its seq slot */
};
struct evlog_ack {
	int err;
	const char *id; /* the stream id when written */
	bool dup;
	uint64_t watermark;
	uint64_t first;
};
typedef void (*evlog_append_fn)(void *ctx, const struct evlog_ack *ack);
int evlog_append(evlog *l, const struct evlog_write *w, const char *rec, size_t len,
		 evlog_append_fn cb, void *ctx);

/*
 * Tokens: hash is the sha256 hex of the token; value msgpack {role, device,
 * point}.  issuer: the hash of the token that issues or revokes, checked in
 * the same step (SL_EAUTH when revoked), or NULL for the deployment's admin.
 */
typedef void (*evlog_get_fn)(void *ctx, int err, const char *val, size_t len);
typedef void (*evlog_done_fn)(void *ctx, int err);
/* err SL_ENOENT when the hash is absent. */
int evlog_token_get(evlog *l, const char *hash, evlog_get_fn cb, void *ctx);
int evlog_token_put(evlog *l, const char *issuer, const char *hash, const char *val, size_t len,
		    evlog_done_fn cb, void *ctx);
/* err SL_ENOENT when the token was not there. */
int evlog_token_del(evlog *l, const char *issuer, const char *hash, evlog_done_fn cb, void *ctx);

/*
 * Close: write a last snapshot if records were folded since the last one
 * (waiting at most the command timeout), close the tail, and wait for every
 * command of this evlog still in flight on the shared connections (each
 * ends within its timeout); on_closed runs then.
 */
void evlog_close(evlog *l, void (*on_closed)(void *ctx), void *ctx);
void evlog_free(evlog *l);

#endif

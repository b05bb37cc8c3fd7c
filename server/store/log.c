/*
 * log.c: the event log on top of store/redis.c.  See log.h.
 *
 * Tail state machine (on the "tail" connection):
 *   up -> (snapshot not read yet) GET snap -> load -> XREAD loop
 *   up -> (snapshot read)         XREAD loop from last_id
 * Exactly one tail command is in flight at a time (tail_busy).  A lost
 * connection fails it (SL_EUNAVAIL/SL_ETIMEOUT); the next "up" restarts the
 * machine from last_id.  A Redis error reply (say WRONGTYPE) is retried
 * after a pause so that it cannot spin.
 *
 * The core is borrowed from the owner; this file is the only one that calls
 * core_apply() and core_snapshot_load().  Tokens are in log_tok.c; what the
 * two share (struct evlog) in log_int.h.
 *
 * Appends carry a heap `struct append_op` holding copies of the arguments so
 * that a NOSCRIPT reply can resend the call with EVAL; it is freed exactly
 * once, when the user callback has run.
 */
#include "store/log.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "slp.h"
#include "store/log_int.h"
#include "store/redis.h"

#define TAIL_BLOCK_MS 1000
#define TAIL_COUNT 1000
#define TAIL_RETRY_MS 1000
#define TAIL_REDIRECT_MS 100 /* a slot being moved or failed over: ask again soon */

/*
 * The append.  KEYS: the log, the watermarks of this kind of input (one
 * hash for passings, one for check-ins: a device has a seq space for each),
 * the tokens.  ARGV: device ('' for officials' records, not deduplicated),
 * first seq, last seq, payload, the writer's token hash ('' for the
 * deployment's admin token, which lives in a file, not in Redis), and the
 * offset of the payload's seq slot ('' when the device numbers its input).
 *
 * The token is checked first, in the same atomic step as the write: a token
 * revoked on any node writes nothing from that moment ({"auth"}).
 *
 * Seqs from the device: a batch whose last seq is at or below the device's
 * watermark is a duplicate.  A batch that starts past watermark + 1 is
 * refused as a gap: an ack means "everything up to last is durable", so
 * batch k+1 must never be appended while batch k (refused, say, by a Redis
 * blip) is still missing.  A device's first batch may start anywhere.  A
 * batch that overlaps the watermark (first <= watermark < last: a resend
 * with other boundaries) is answered "overlap" and nothing is written: the
 * caller cuts the batch to what follows the watermark (slp_trim_batch) and
 * appends that, so the log holds each (device, seq) once.  Seqs are at most
 * 2^53 - 1 (SL_SEQ_MAX, checked by the caller), so Lua's doubles compare
 * them exactly.
 *
 * A duplicate writes the watermark again (the same value): a WAIT after it
 * then covers the write it duplicates, which a WAIT on another connection
 * (before a reconnect, say) may not have seen replicated.
 *
 * Seqs from the server (an official's own device): the batch gets seqs
 * watermark + 1 on, written into the payload's 8-byte big-endian slot
 * (msgpack uint64, 0xcf), and the reply carries the first one.
 */
static const char append_lua[] =
	"if ARGV[5] ~= '' and redis.call('HEXISTS', KEYS[3], ARGV[5]) == 0 then\n"
	"  return {'auth', '0'}\n"
	"end\n"
	"local dev = ARGV[1]\n"
	"local rec = ARGV[4]\n"
	"local first, last = ARGV[2], ARGV[3]\n"
	"local w = false\n"
	"if dev ~= '' then w = redis.call('HGET', KEYS[2], dev) end\n"
	"if ARGV[6] ~= '' then\n"
	"  local n = tonumber(last) - tonumber(first)\n"
	"  local f = (tonumber(w) or 0) + 1\n"
	"  if f + n > 9007199254740991 then return {'range', w} end\n"
	"  local hi = math.floor(f / 4294967296)\n"
	"  local off = tonumber(ARGV[6])\n"
	"  rec = string.sub(rec, 1, off) .. struct.pack('>I4I4', hi, f - hi * 4294967296)\n"
	"        .. string.sub(rec, off + 9)\n"
	"  first = string.format('%.0f', f)\n"
	"  last = string.format('%.0f', f + n)\n"
	"elseif w then\n"
	"  if tonumber(last) <= tonumber(w) then\n"
	"    redis.call('HSET', KEYS[2], dev, w)\n"
	"    return {'dup', w}\n"
	"  end\n"
	"  if tonumber(first) <= tonumber(w) then return {'overlap', w} end\n"
	"  if tonumber(first) > tonumber(w) + 1 then return {'gap', w} end\n"
	"end\n"
	"local id = redis.call('XADD', KEYS[1], '*', 'm', rec)\n"
	"if dev ~= '' then\n"
	"  redis.call('HSET', KEYS[2], dev, last)\n"
	"end\n"
	"return {'ok', id, first}\n";

struct append_op {
	evlog *l;
	evlog_append_fn cb;
	void *ctx;
	char *dev;
	size_t dev_len;
	const char *k_wm; /* l->k_dev or l->k_devc */
	char first[24], last[24];
	char tokhash[65]; /* "" for the deployment's admin */
	char seq_off[24]; /* "" unless the server numbers the batch */
	char *rec;
	size_t len;
	bool retried;
	struct evlog_ack ack; /* the script's answer, while WAIT runs */
	char id[48];
};

static void tail_next(evlog *l);
static void close_conns(evlog *l);

static char *key(const char *ev, const char *what)
{
	sl_buf b = SL_BUF_INIT;

	sl_buf_addf(&b, "sl:{%s}:%s", ev, what);
	return sl_buf_detach(&b, NULL);
}

static void sha1_hex(const char *s, size_t n, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(s, n, md, &mdlen, EVP_sha1(), NULL);
	sl_hex(out, md, 20);
}

/* ---- snapshots ----------------------------------------------------------- */

static void on_snap_written(void *ctx, int err, const redisReply *rep,
			    const struct cluster_via *via)
{
	evlog *l = ctx;

	(void)via;
	l->snap_busy = false;
	if (err)
		sl_warn("cannot write snapshot of '%s': %s", l->event,
			err == SL_EIO && rep ? rep->str : sl_strerror(err));
	evlog__inflight_done(l);
	if (l->closing.on)
		close_conns(l);
}

/* Returns 0 when a write is in flight. */
static int snapshot_write(evlog *l)
{
	sl_buf core_bytes = SL_BUF_INIT, b = SL_BUF_INIT;
	msgpack_packer pk;
	const char *argv[3];
	size_t argvlen[3];
	uint64_t since = l->since_snap;
	int rc;

	if (l->snap_busy || !cluster_slot_up(l->cl, l->follow.slot))
		return SL_EUNAVAIL;
	core_snapshot_save(l->core, &core_bytes);
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "id", l->last_id);
	slp_pack_key(&pk, "core");
	msgpack_pack_bin(&pk, core_bytes.len);
	msgpack_pack_bin_body(&pk, core_bytes.data, core_bytes.len);
	sl_buf_release(&core_bytes);
	argv[0] = "SET";
	argv[1] = l->k_snap;
	argv[2] = b.data;
	argvlen[0] = 3;
	argvlen[1] = strlen(l->k_snap);
	argvlen[2] = b.len;
	rc = cluster_command(l->cl, l->k_snap, argvlen[1], 0, on_snap_written, l, 3, argv, argvlen);
	if (rc == 0) {
		l->inflight++;
		l->snap_busy = true;
		l->since_snap = 0;
		sl_debug("writing snapshot of '%s' at %s (%zu bytes, %" PRIu64 " new records)",
			 l->event, l->last_id, b.len, since);
	}
	sl_buf_release(&b);
	return rc;
}

static void snapshot_load(evlog *l, const char *buf, size_t len)
{
	msgpack_unpacked u;
	const msgpack_object *core_o;
	const char *id;
	size_t idn;
	char err[200] = "";
	int rc;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, buf, len, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    u.data.type != MSGPACK_OBJECT_MAP || slp_get_str(&u.data, "id", &id, &idn) != 0 ||
	    idn == 0 || idn >= sizeof(l->last_id) || !(core_o = slp_get(&u.data, "core")) ||
	    (core_o->type != MSGPACK_OBJECT_BIN && core_o->type != MSGPACK_OBJECT_STR)) {
		sl_error("snapshot '%s' is malformed: replaying the whole log", l->k_snap);
		goto out;
	}
	rc = core_snapshot_load(l->core, core_o->via.bin.ptr, core_o->via.bin.size, err,
				sizeof(err));
	if (rc < 0) {
		sl_error("cannot load snapshot '%s': %s: replaying the whole log", l->k_snap,
			 err[0] ? err : sl_strerror(rc));
		goto out;
	}
	memcpy(l->last_id, id, idn);
	l->last_id[idn] = '\0';
	sl_info("loaded snapshot of '%s' at %s (%" PRIu64 " records)", l->event, l->last_id,
		core_nrecords(l->core));
out:
	msgpack_unpacked_destroy(&u);
}

/* ---- the tail ------------------------------------------------------------ */

static void on_retry(uv_timer_t *t)
{
	tail_next(t->data);
}

static void tail_retry_later(evlog *l)
{
	if (!l->closing.on)
		uv_timer_start(&l->retry, on_retry, TAIL_RETRY_MS, 0);
}

/*
 * A Redis Cluster's answer on the tail: MOVED (the slot has a new primary:
 * reconnect there; the next "up" resumes from last_id), or a slot in motion
 * or a failover in progress (ask again shortly).  True when handled.
 */
static bool tail_redirected(evlog *l, int err, const redisReply *rep)
{
	int k;

	if (err != SL_EIO || !rep || !rep->str)
		return false;
	k = cluster_note_error(l->cl, rep->str);
	if (k == 1) {
		sl_info("log '%s': %s", l->k_log, rep->str);
		if (redis_up(l->t)) /* else on_tail_moved has gone there already */
			redis_reconnect(l->t);
	} else if (k == 2) {
		sl_debug("log '%s': %s: asking again", l->k_log, rep->str);
		uv_timer_start(&l->retry, on_retry, TAIL_REDIRECT_MS, 0);
	}
	return k != 0;
}

static void on_snap_read(void *ctx, int err, const redisReply *rep)
{
	evlog *l = ctx;

	l->tail_busy = false;
	if (l->closing.on)
		return;
	if (err == SL_EUNAVAIL || err == SL_ETIMEOUT)
		return; /* the next "up" starts over */
	if (tail_redirected(l, err, rep))
		return;
	if (err) {
		sl_error("cannot read snapshot '%s': %s: replaying the whole log", l->k_snap,
			 rep ? rep->str : sl_strerror(err));
	} else if (rep->type == REDIS_REPLY_STRING) {
		snapshot_load(l, rep->str, rep->len);
	}
	l->snap_read = true;
	tail_next(l);
}

static void apply_entry(evlog *l, const redisReply *e)
{
	const redisReply *id, *fv;
	char err[256];
	int rc;

	if (e->type != REDIS_REPLY_ARRAY || e->elements < 2)
		return;
	id = e->element[0];
	fv = e->element[1];
	if (id->type != REDIS_REPLY_STRING || id->len >= sizeof(l->last_id))
		return;
	memcpy(l->last_id, id->str, id->len);
	l->last_id[id->len] = '\0';
	l->since_snap++;
	if (fv->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i + 1 < fv->elements; i += 2) {
		const redisReply *f = fv->element[i], *v = fv->element[i + 1];
		if (f->type != REDIS_REPLY_STRING || f->len != 1 || f->str[0] != 'm' ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		err[0] = '\0';
		rc = core_apply(l->core, v->str, v->len, err, sizeof(err));
		if (rc < 0)
			sl_warn("log record %s of '%s' ignored: %s", l->last_id, l->event,
				err[0] ? err : sl_strerror(rc));
		return;
	}
	sl_warn("log record %s of '%s' has no field 'm'", l->last_id, l->event);
}

static void on_xread(void *ctx, int err, const redisReply *rep)
{
	evlog *l = ctx;
	size_t n = 0;

	l->tail_busy = false;
	if (l->closing.on)
		return;
	if (err == SL_EUNAVAIL || err == SL_ETIMEOUT)
		return;
	if (tail_redirected(l, err, rep))
		return;
	if (err) {
		sl_error("cannot read log '%s': %s", l->k_log, rep ? rep->str : sl_strerror(err));
		tail_retry_later(l);
		return;
	}
	/* nil on timeout; else [[key, [[id, [f, v, ...]], ...]]] */
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1) {
		const redisReply *s = rep->element[0];
		if (s->type == REDIS_REPLY_ARRAY && s->elements >= 2 &&
		    s->element[1]->type == REDIS_REPLY_ARRAY) {
			const redisReply *es = s->element[1];
			n = es->elements;
			for (size_t i = 0; i < es->elements; i++)
				apply_entry(l, es->element[i]);
		}
	}
	if (n < TAIL_COUNT && !l->caught_up) {
		l->caught_up = true;
		sl_info("caught up with log '%s' at %s (%" PRIu64 " records)", l->k_log, l->last_id,
			core_nrecords(l->core));
	}
	if (l->snapshot_every && l->since_snap >= l->snapshot_every)
		snapshot_write(l);
	tail_next(l);
}

static void tail_next(evlog *l)
{
	int rc;

	if (l->closing.on || l->tail_busy || !redis_up(l->t))
		return;
	if (!l->snap_read) {
		const char *argv[] = {"GET", l->k_snap};
		size_t argvlen[] = {3, strlen(l->k_snap)};
		rc = redis_command(l->t, 0, on_snap_read, l, 2, argv, argvlen);
	} else {
		char block[16], count[16];
		snprintf(block, sizeof(block), "%d", TAIL_BLOCK_MS);
		snprintf(count, sizeof(count), "%d", TAIL_COUNT);
		/* no BLOCK until caught up: an empty answer then means "at the end" */
		const char *argv[8];
		size_t argvlen[8];
		int argc = 0;
		argv[argc++] = "XREAD";
		if (l->caught_up) {
			argv[argc++] = "BLOCK";
			argv[argc++] = block;
		}
		argv[argc++] = "COUNT";
		argv[argc++] = count;
		argv[argc++] = "STREAMS";
		argv[argc++] = l->k_log;
		argv[argc++] = l->last_id;
		for (int i = 0; i < argc; i++)
			argvlen[i] = strlen(argv[i]);
		rc = redis_command(l->t, TAIL_BLOCK_MS + l->timeout_ms, on_xread, l, argc, argv,
				   argvlen);
	}
	if (rc == 0)
		l->tail_busy = true;
	else if (rc != SL_EUNAVAIL)
		tail_retry_later(l);
}

/* The event's slot has another primary (a failover, a move): go there now. */
static void on_tail_moved(void *ctx)
{
	evlog *l = ctx;

	sl_info("log '%s': its slot is on %s now: following it", l->k_log, evlog_node(l));
	redis_reconnect(l->t);
}

static void on_tail_state(void *ctx, bool up)
{
	evlog *l = ctx;

	if (up)
		tail_next(l);
}

/* ---- appends ------------------------------------------------------------- */

/* Replicas an append or a token change waits for. */
int evlog__wait_n(const evlog *l)
{
	if (l->wait >= 0)
		return l->wait;
	return cluster_is_cluster(l->cl) ? 1 : 0;
}

/* A write's timeout: it may queue behind a WAIT on its connection. */
uint32_t evlog__write_timeout(const evlog *l)
{
	return l->timeout_ms + (evlog__wait_n(l) > 0 ? l->wait_ms : 0);
}

static int append_send(struct append_op *op);

static void append_done(struct append_op *op, const struct evlog_ack *ack)
{
	evlog *l = op->l;

	op->cb(op->ctx, ack);
	free(op->dev);
	free(op->rec);
	free(op);
	evlog__inflight_done(l);
}

static void append_fail(struct append_op *op, int err, uint64_t wm)
{
	struct evlog_ack ack = {.err = err, .watermark = wm};

	append_done(op, &ack);
}

static void on_append_waited(void *ctx, int err, int replicas)
{
	struct append_op *op = ctx;
	int want = evlog__wait_n(op->l);

	if (!err && replicas >= want) {
		append_done(op, &op->ack);
		return;
	}
	sl_warn("append to '%s' %s: %d of %d replicas confirmed it in %u ms: not acknowledged",
		op->l->k_log, op->ack.dup ? "(a resend)" : "written", err ? 0 : replicas, want,
		op->l->wait_ms);
	append_fail(op, SL_EUNSAFE, 0);
}

/* The script's answer in ack (0), or "overlap" (1, wm set), or -1. */
static int append_reply(struct append_op *op, const redisReply *rep, struct evlog_ack *ack,
			uint64_t *wm)
{
	const redisReply *a, *b;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 ||
	    (a = rep->element[0])->type != REDIS_REPLY_STRING ||
	    ((b = rep->element[1])->type != REDIS_REPLY_STRING && b->type != REDIS_REPLY_NIL)) {
		sl_warn("append to '%s': unexpected reply", op->l->k_log);
		return -1;
	}
	*wm = b->type == REDIS_REPLY_STRING ? strtoull(b->str, NULL, 10) : 0;
	memset(ack, 0, sizeof(*ack));
	if (strcmp(a->str, "overlap") == 0)
		return 1;
	if (strcmp(a->str, "dup") == 0) {
		ack->dup = true;
		ack->watermark = *wm;
	} else if (strcmp(a->str, "gap") == 0) {
		ack->err = SL_EGAP;
		ack->watermark = *wm;
	} else if (strcmp(a->str, "auth") == 0) {
		ack->err = SL_EAUTH;
	} else if (strcmp(a->str, "range") == 0) {
		ack->err = SL_ERANGE;
		ack->watermark = *wm;
	} else if (strcmp(a->str, "ok") == 0 && rep->elements == 3 &&
		   rep->element[2]->type == REDIS_REPLY_STRING && b->len < sizeof(op->id)) {
		memcpy(op->id, b->str, b->len + 1);
		ack->id = op->id;
		ack->first = strtoull(rep->element[2]->str, NULL, 10);
	} else {
		sl_warn("append to '%s': unexpected reply '%s'", op->l->k_log, a->str);
		ack->err = SL_EIO;
	}
	return 0;
}

/* Append only what follows the watermark.  Each round moves first past a
 * watermark below last, so this ends (in ok, dup or gap). */
static void append_overlap(struct append_op *op, uint64_t wm)
{
	sl_buf t = SL_BUF_INIT;

	if (slp_trim_batch(op->rec, op->len, wm + 1, &t) < 0) {
		sl_buf_release(&t);
		sl_warn("append to '%s': cannot cut an overlapping batch of '%s' at seq %" PRIu64,
			op->l->k_log, op->dev, wm + 1);
		append_fail(op, SL_EIO, 0);
		return;
	}
	free(op->rec);
	op->rec = sl_buf_detach(&t, &op->len);
	snprintf(op->first, sizeof(op->first), "%" PRIu64, wm + 1);
	if (append_send(op) < 0)
		append_fail(op, SL_EUNAVAIL, 0);
}

static void on_appended(void *ctx, int err, const redisReply *rep, const struct cluster_via *via)
{
	struct append_op *op = ctx;
	uint64_t wm = 0;
	int k;

	if (err == SL_EIO && rep && !op->retried && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		op->retried = true;
		if (append_send(op) == 0)
			return;
		err = SL_EUNAVAIL;
	}
	if (err) {
		if (err == SL_EIO)
			sl_warn("append to '%s' failed: %s", op->l->k_log, rep->str);
		append_fail(op, err, 0);
		return;
	}
	k = append_reply(op, rep, &op->ack, &wm);
	if (k < 0) {
		append_fail(op, SL_EIO, 0);
	} else if (k == 1) {
		append_overlap(op, wm);
	} else if (op->ack.err || evlog__wait_n(op->l) == 0) {
		append_done(op, &op->ack);
	} else if (cluster_wait(op->l->cl, via, evlog__wait_n(op->l), op->l->wait_ms,
				on_append_waited, op) < 0) {
		append_fail(op, SL_EUNAVAIL, 0);
	}
}

/* EVALSHA, or EVAL after a NOSCRIPT (which also caches the script again). */
static int append_send(struct append_op *op)
{
	evlog *l = op->l;
	const char *argv[13];
	size_t argvlen[13];

	argv[0] = op->retried ? "EVAL" : "EVALSHA";
	argv[1] = op->retried ? append_lua : l->sha;
	argv[2] = "3";
	argv[3] = l->k_log;
	argv[4] = op->k_wm;
	argv[5] = l->k_tok;
	argv[6] = op->dev;
	argv[7] = op->first;
	argv[8] = op->last;
	argv[9] = op->rec;
	argv[10] = op->tokhash;
	argv[11] = op->seq_off;
	for (int i = 0; i < 12; i++) /* strings, but the script, the device and the payload */
		argvlen[i] = i == 1 || i == 6 || i == 9 ? 0 : strlen(argv[i]);
	argvlen[1] = op->retried ? sizeof(append_lua) - 1 : 40;
	argvlen[6] = op->dev_len;
	argvlen[9] = op->len;
	return cluster_write(l->cl, l->k_log, argvlen[3], evlog__write_timeout(l), on_appended, op,
			     12, argv, argvlen);
}

int evlog_append(evlog *l, const struct evlog_write *w, const char *rec, size_t len,
		 evlog_append_fn cb, void *ctx)
{
	struct append_op *op;
	int rc;

	if (l->closing.on || !cluster_up(l->cl))
		return SL_EUNAVAIL;
	if (l->inflight >= l->max_pending)
		return SL_EFULL;
	op = sl_calloc(1, sizeof(*op));
	*op = (struct append_op){.l = l, .cb = cb, .ctx = ctx, .len = len};
	op->dev = sl_strndup(w->dev ? w->dev : "", w->dev ? w->dev_len : 0);
	op->dev_len = w->dev ? w->dev_len : 0;
	op->k_wm = w->space == EVLOG_CHECKINS ? l->k_devc : l->k_dev;
	snprintf(op->first, sizeof(op->first), "%" PRIu64, w->first);
	snprintf(op->last, sizeof(op->last), "%" PRIu64, w->last);
	snprintf(op->tokhash, sizeof(op->tokhash), "%s", w->tokhash ? w->tokhash : "");
	if (w->seq_off)
		snprintf(op->seq_off, sizeof(op->seq_off), "%zu", w->seq_off);
	op->rec = sl_malloc(len ? len : 1);
	memcpy(op->rec, rec, len);
	rc = append_send(op);
	if (rc < 0) {
		free(op->dev);
		free(op->rec);
		free(op);
		return rc;
	}
	l->inflight++;
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

evlog *evlog_new(uv_loop_t *loop, const struct evlog_opts *o, core *c)
{
	evlog *l = sl_calloc(1, sizeof(*l));
	struct redis_opts ro = {0};

	l->loop = loop;
	l->core = c;
	l->event = sl_strdup(o->event);
	l->k_log = key(o->event, "log");
	l->k_dev = key(o->event, "dev");
	l->k_devc = key(o->event, "devc");
	l->k_snap = key(o->event, "snap");
	l->k_tok = key(o->event, "tok");
	l->timeout_ms = o->timeout_ms ? o->timeout_ms : 2000;
	l->wait = o->wait;
	l->wait_ms = o->wait_ms ? o->wait_ms : 1000;
	l->snapshot_every = o->snapshot_every;
	l->max_pending = o->max_pending ? o->max_pending : 10000;
	sha1_hex(append_lua, sizeof(append_lua) - 1, l->sha);
	strcpy(l->last_id, "0-0");

	l->cl = o->cl;
	l->follow.cl = o->cl;
	l->follow.slot = cluster_keyslot(l->k_log, strlen(l->k_log));
	l->follow.on_moved = on_tail_moved;
	l->follow.ctx = l;
	cluster_follow_add(o->cl, &l->follow);
	ro.addr = cluster_follow_addr;
	ro.addr_ctx = &l->follow;
	ro.connect_timeout_ms = l->timeout_ms;
	ro.command_timeout_ms = l->timeout_ms;
	ro.name = "tail";
	ro.max_pending = 4;
	l->t = redis_new(loop, &ro, on_tail_state, l);
	uv_timer_init(loop, &l->retry);
	l->retry.data = l;
	return l;
}

void evlog_start(evlog *l)
{
	cluster_slot_up(l->cl, l->follow.slot); /* connects to the slot's primary */
	redis_start(l->t);
}

bool evlog_up(const evlog *l)
{
	/* both: a node whose tail is down takes writes but shows stale results */
	return cluster_slot_up(l->cl, l->follow.slot) && redis_up(l->t);
}

const char *evlog_node(const evlog *l)
{
	return cluster_slot_addr(l->cl, l->follow.slot);
}

bool evlog_caught_up(const evlog *l)
{
	return l->caught_up;
}

const char *evlog_last_id(const evlog *l)
{
	return l->last_id;
}

const char *evlog_event(const evlog *l)
{
	return l->event;
}

static void on_part_closed(void *ctx)
{
	evlog *l = ctx;

	if (--l->open == 0)
		sl_close_done(&l->closing);
}

/* A command on the shared connections ended; the last one, when closing,
 * is the last part closed. */
void evlog__inflight_done(evlog *l)
{
	l->inflight--;
	if (l->open && !l->drained && l->inflight == 0) {
		l->drained = true;
		on_part_closed(l);
	}
}

static void on_retry_closed(uv_handle_t *h)
{
	on_part_closed(h->data);
}

static void close_conns(evlog *l)
{
	if (l->open)
		return; /* already closing the parts */
	l->open = 3;    /* the tail, the timer, what is in flight */
	cluster_follow_del(l->cl, &l->follow);
	redis_close(l->t, on_part_closed, l);
	uv_close((uv_handle_t *)&l->retry, on_retry_closed);
	if (l->inflight == 0) {
		l->drained = true;
		on_part_closed(l);
	}
}

void evlog_close(evlog *l, void (*on_closed)(void *ctx), void *ctx)
{
	if (!sl_close_begin(&l->closing, on_closed, ctx))
		return;
	uv_timer_stop(&l->retry);
	if (l->snap_busy)
		return; /* on_snap_written closes */
	if (l->since_snap > 0 && snapshot_write(l) == 0)
		return;
	close_conns(l);
}

void evlog_free(evlog *l)
{
	if (!l)
		return;
	if (l->inflight)
		sl_warn("log '%s' freed with %zu commands in flight", l->k_log, l->inflight);
	if (!l->open)
		cluster_follow_del(l->cl, &l->follow); /* never closed */
	redis_free(l->t);
	SL_FREE_MANY(l->event, l->k_log, l->k_dev, l->k_devc, l->k_snap, l->k_tok, l);
}

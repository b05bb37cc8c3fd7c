/*
 * fanout.c: topics and the tick that turns the core's change set into one
 * frame per topic and format, shared by every subscriber (session.h).
 *
 * Topics are keyed by (name, offset, limit) since a snapshot depends on the
 * row window; a delta does not, but one topic object per key keeps the
 * bookkeeping simple.  A topic exists while it has subscribers.
 *
 * The tick: once the log tail has caught up, and if the core changed since
 * the last tick (change set, "changed all", or new records), each topic
 * encodes ONE message as msgpack (a snapshot after a config or wave change,
 * else a delta, nothing when untouched), transcodes it to JSON at most once,
 * and queues the same frames to every subscriber.  Then the change set is
 * cleared.  Before the tail caught up, subscribers wait: the change set keeps
 * growing, and the first tick after catching up sends them snapshots.
 *
 * Bounded frames: a delta carries every changed row of its topic, whatever
 * the subscriber's window, so a busy tick of a whole marathon makes deltas
 * of hundreds of KB (and MB when ticks come late).  A delta over
 * NET_DELTA_MAX is replaced by the topic's snapshot when that is smaller (a
 * window's snapshot is bounded by its limit; each topic remembers the size
 * of its last one, so a whole-ranking topic is not encoded every tick to
 * learn that it is bigger).  It is still one frame per topic and format,
 * shared.  Each tick first lets session.c report the sessions closed as
 * too slow and give freed memory back (sess_tick).
 *
 * It calls down to session.c (queueing frames, replies) and roles.c only:
 * tests/unit/test_fanout.c links it with stubs of those and of the core.
 */
#include <string.h>

#include "net/net_int.h"

/* ---- topics -------------------------------------------------------------- */

static void send_to_subs(struct topic *t, const char *mp, size_t len)
{
	struct frame *fm = NULL, *fj = NULL;
	bool json_failed = false;

	for (size_t i = 0; i < t->nsubs; i++) {
		sess *s = t->subs[i];
		if (!s->wsi || s->close_code)
			continue;
		if (s->fmt == SLP_JSON) {
			if (!fj && !json_failed) {
				sl_buf js = SL_BUF_INIT;
				if (slp_msgpack_to_json(mp, len, &js) == 0)
					fj = frame_new(js.data, js.len, true);
				else
					json_failed = true;
				sl_buf_release(&js);
			}
			if (fj)
				sess_queue(s, fj);
		} else {
			if (!fm)
				fm = frame_new(mp, len, false);
			sess_queue(s, fm);
		}
	}
	if (json_failed)
		sl_warn("cannot transcode an update of '%.*s' to JSON", (int)t->len, t->name);
	frame_unref(fm);
	frame_unref(fj);
}

static int encode_snapshot(net *n, struct topic *t, sl_buf *b)
{
	msgpack_packer pk;
	size_t from = b->len;
	int rc;

	slp_packer_init(&pk, b);
	rc = core_topic_snapshot(n->core, t->name, t->len, t->offset, t->limit, &pk);
	if (rc == 0)
		t->snap_len = b->len - from;
	return rc;
}

/* The ok of a subscribe; with the limit granted when it is not the one asked. */
static void send_subscribe_ok(sess *s, uint64_t id, size_t limit, size_t asked)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;

	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, limit != asked ? 3 : 2);
	slp_pack_kv_str(&pk, "t", "ok");
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	if (limit != asked) {
		slp_pack_key(&pk, "limit");
		msgpack_pack_uint64(&pk, limit);
	}
	sess_send_mp(s, b.data, b.len);
	sl_buf_release(&b);
}

static size_t topic_index(net *n, struct topic *t)
{
	for (size_t i = 0; i < n->ntopics; i++)
		if (n->topics[i] == t)
			return i;
	return n->ntopics;
}

static void topic_free(net *n, struct topic *t)
{
	size_t i = topic_index(n, t);

	if (i < n->ntopics)
		n->topics[i] = n->topics[--n->ntopics];
	free(t->subs);
	free(t->name);
	free(t);
}

static void remove_sub(net *n, struct topic *t, sess *s)
{
	for (size_t i = 0; i < t->nsubs; i++) {
		if (t->subs[i] == s) {
			t->subs[i] = t->subs[--t->nsubs];
			break;
		}
	}
	for (size_t i = 0; i < s->nsubs; i++) {
		if (s->subs[i] == t) {
			s->subs[i] = s->subs[--s->nsubs];
			break;
		}
	}
	if (t->nsubs == 0)
		topic_free(n, t);
}

/* A topic that cannot be encoded any more (its race went away). */
static void topic_fail(net *n, struct topic *t, int rc)
{
	sl_buf msg = SL_BUF_INIT;

	sl_buf_addf(&msg, "topic '%.*s': %s", (int)t->len, t->name, sl_strerror(rc));
	while (t->nsubs > 0) {
		sess *s = t->subs[t->nsubs - 1];
		sess_send_err(s, 0, rc, msg.data);
		remove_sub(n, t, s); /* frees t with the last subscriber */
	}
	sl_buf_release(&msg);
}

int fanout_subscribe(net *n, sess *s, uint64_t id, const char *name, size_t len, size_t offset,
		     size_t limit, size_t asked)
{
	bool caught = evlog_caught_up(n->log);
	struct topic *t = NULL;
	int rc;

	rc = core_topic_check(n->core, name, len);
	if (rc == SL_EINVAL || (rc < 0 && caught))
		return rc;
	for (size_t i = 0; i < n->ntopics && !t; i++) {
		struct topic *x = n->topics[i];
		if (x->len == len && memcmp(x->name, name, len) == 0 && x->offset == offset &&
		    x->limit == limit)
			t = x;
	}
	if (!t) {
		t = sl_calloc(1, sizeof(*t));
		t->name = sl_strndup(name, len);
		t->len = len;
		t->offset = offset;
		t->limit = limit;
		SL_GROW(n->topics, n->tcap, n->ntopics + 1);
		n->topics[n->ntopics++] = t;
	}
	bool already = false;
	for (size_t i = 0; i < t->nsubs; i++)
		already |= t->subs[i] == s;
	if (!already) {
		if (s->nsubs >= NET_MAX_SUBS) {
			if (t->nsubs == 0)
				topic_free(n, t);
			return SL_ERANGE;
		}
		SL_GROW(t->subs, t->cap, t->nsubs + 1);
		t->subs[t->nsubs++] = s;
		SL_GROW(s->subs, s->subcap, s->nsubs + 1);
		s->subs[s->nsubs++] = t;
	}

	/* the snapshot first: a request gets one reply, ok or err, never both */
	sl_buf snap = SL_BUF_INIT;
	if (caught && (rc = encode_snapshot(n, t, &snap)) < 0) {
		sl_buf_release(&snap);
		remove_sub(n, t, s);
		return rc;
	}
	send_subscribe_ok(s, id, limit, asked);
	if (!caught)
		t->need_snapshot = true; /* sent by the first tick after catching up */
	else
		sess_send_mp(s, snap.data, snap.len);
	sl_buf_release(&snap);
	return 0;
}

void fanout_unsubscribe(net *n, sess *s, const char *name, size_t len)
{
	for (size_t i = s->nsubs; i-- > 0;) {
		struct topic *t = s->subs[i];
		if (t->len == len && memcmp(t->name, name, len) == 0)
			remove_sub(n, t, s);
	}
}

void fanout_drop_denied(net *n, sess *s)
{
	for (size_t i = s->nsubs; i-- > 0;) {
		struct topic *t = s->subs[i];
		/* denied now, or wider than the new role's window (an official's limit 0) */
		if (net_topic_denied(s->role, s->device, t->name, t->len) ||
		    net_window_limit(s->role, t->name, t->len, t->limit) != t->limit)
			remove_sub(n, t, s);
	}
}

void fanout_drop_sess(net *n, sess *s)
{
	while (s->nsubs > 0)
		remove_sub(n, s->subs[s->nsubs - 1], s);
	free(s->subs);
	s->subs = NULL;
	s->subcap = 0;
}

/*
 * One topic's message of this tick into b (empty: nothing to send): its
 * snapshot when snap, else its delta, or its snapshot when the delta is
 * over NET_DELTA_MAX and the snapshot smaller.  0 or a negative SL_E* code.
 */
static int encode_update(net *n, struct topic *t, bool snap, sl_buf *b, sl_buf *alt)
{
	msgpack_packer pk;
	bool empty = false;
	int rc;

	if (snap)
		return encode_snapshot(n, t, b);
	slp_packer_init(&pk, b);
	rc = core_topic_delta(n->core, t->name, t->len, &pk, &empty);
	if (rc < 0 || empty) {
		sl_buf_reset(b);
		return rc;
	}
	if (b->len <= NET_DELTA_MAX || t->snap_len >= b->len)
		return 0;
	sl_buf_reset(alt);
	if (encode_snapshot(n, t, alt) == 0 && alt->len < b->len) {
		sl_buf_reset(b);
		sl_buf_add(b, alt->data, alt->len);
	}
	return 0;
}

void fanout_tick(net *n)
{
	const uint32_t *idx;
	size_t nchanged;
	uint64_t nrec;
	bool all;
	sl_buf b = SL_BUF_INIT, alt = SL_BUF_INIT;

	sess_tick(n);
	if (!evlog_caught_up(n->log))
		return; /* subscribers wait for their first snapshot */
	nrec = core_nrecords(n->core);
	nchanged = core_changed(n->core, &idx);
	all = core_changed_all(n->core);
	bool flip = !n->was_caught_up;
	n->was_caught_up = true;
	if (!flip && !all && nchanged == 0 && nrec == n->seen_records)
		return;

	for (size_t i = n->ntopics; i-- > 0;) {
		struct topic *t = n->topics[i];
		bool snap = all || t->need_snapshot;
		int rc;

		sl_buf_reset(&b);
		t->need_snapshot = false;
		rc = encode_update(n, t, snap, &b, &alt);
		if (rc < 0) {
			topic_fail(n, t, rc);
			continue;
		}
		if (b.len > 0)
			send_to_subs(t, b.data, b.len);
	}
	sl_buf_release(&b);
	sl_buf_release(&alt);
	core_changes_clear(n->core);
	n->seen_records = nrec;
}

void fanout_free(net *n)
{
	while (n->ntopics > 0) {
		struct topic *t = n->topics[n->ntopics - 1];
		if (t->nsubs == 0)
			topic_free(n, t);
		else
			remove_sub(n, t, t->subs[t->nsubs - 1]); /* frees t with the last */
	}
	free(n->topics);
	n->topics = NULL;
}

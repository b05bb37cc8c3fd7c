/*
 * fanout.c: topics and the tick that turns the core's change set into one
 * frame per topic and format, shared by every subscriber (session.h).
 *
 * A chan is one topic name; its windows (struct topic, net_int.h) are the
 * (offset, limit) its subscribers asked for, since a snapshot depends on
 * the row window and a delta does not.  Chans are found by name in a
 * chained hash table, a window among its chan's few; a window exists while
 * it has subscribers, a chan while it has windows.  Each link between a
 * window and a session knows its place in the other's list, so
 * unsubscribing and closing cost the same however many subscribers a topic
 * has (20,000 spectators of `status` leaving at once, or a flood of slow
 * readers closed in one tick, was quadratic before).
 *
 * The tick: once the log tail has caught up, and if the core changed since
 * the last tick (change set, "changed all", or new records), each chan
 * encodes ONE delta as msgpack (nothing when untouched), transcodes it to
 * JSON at most once, and queues the same frames to every subscriber of
 * every window; a window due a snapshot (after a config or wave change, or
 * subscribed before the tail caught up) gets its own.  athlete/<bib> chans
 * (a marathon's trackers follow thousands) are kept apart and ticked from
 * the change set: only those of the participants that changed are looked
 * up and encoded, so a tick costs what changed, not what is followed.
 * Then the change set is cleared.  Before the tail caught up, subscribers wait: the change set
 * keeps growing, and the first tick after catching up sends them
 * snapshots.
 *
 * Bounded frames: a delta carries every changed row of its topic, whatever
 * the subscriber's window, so a busy tick of a whole marathon makes deltas
 * of hundreds of KB (and MB when ticks come late).  A delta over
 * NET_DELTA_MAX is replaced by the topic's snapshot when that is smaller (a
 * window's snapshot is bounded by its limit; each topic remembers the size
 * of its last one, so a whole-ranking topic is not encoded every tick to
 * learn that it is bigger).  It is still one frame per window and format,
 * shared.
 *
 * Each event has its own fan-out (struct fan: its core, its log, its
 * chans); net.c ticks each (and session.c's sess_tick) from one timer.
 *
 * It calls down to session.c (queueing frames, replies) and roles.c only:
 * tests/unit/test_fanout.c links it with stubs of those and of the core.
 */
#include <string.h>

#include "hmap.h"
#include "net/net_int.h"
#include "slid.h"

#define ATHLETE "athlete/"
#define ATHLETE_LEN (sizeof(ATHLETE) - 1)

/* ---- frames to subscribers ------------------------------------------------- */

/* One message of a tick and its frames, built on first need, shared. */
struct out {
	const char *mp;
	size_t len;
	struct frame *fm, *fj;
	bool json_failed;
};

static void out_send(struct topic *t, struct out *o)
{
	for (size_t i = 0; i < t->nsubs; i++) {
		sess *s = t->subs[i].s;
		if (!s->wsi || s->close_code)
			continue;
		if (s->fmt == SLP_JSON) {
			if (!o->fj && !o->json_failed) {
				sl_buf js = SL_BUF_INIT;
				if (slp_msgpack_to_json(o->mp, o->len, &js) == 0) {
					o->fj = frame_new(js.data, js.len, true);
				} else {
					o->json_failed = true;
					sl_warn("cannot transcode an update of '%.*s' to JSON",
						(int)t->c->len, t->c->name);
				}
				sl_buf_release(&js);
			}
			if (o->fj)
				sess_queue(s, o->fj);
		} else {
			if (!o->fm)
				o->fm = frame_new(o->mp, o->len, false);
			sess_queue(s, o->fm);
		}
	}
}

static void out_release(struct out *o)
{
	frame_unref(o->fm);
	frame_unref(o->fj);
	*o = (struct out){0};
}

static void send_to_subs(struct topic *t, const char *mp, size_t len)
{
	struct out o = {.mp = mp, .len = len};

	out_send(t, &o);
	out_release(&o);
}

/* ---- chans and windows ------------------------------------------------------ */

static struct chan **chash_slot(struct fan *f, const char *name, size_t len, uint64_t h)
{
	struct chan **pc = &f->chash[h & (f->nchash - 1)];

	while (*pc && !((*pc)->len == len && memcmp((*pc)->name, name, len) == 0))
		pc = &(*pc)->hnext;
	return pc;
}

static void chash_grow(struct fan *f)
{
	size_t old = f->nchash, cap = old ? old * 2 : 64;
	struct chan **oldv = f->chash;

	f->chash = sl_calloc(cap, sizeof(*f->chash));
	f->nchash = cap;
	for (size_t i = 0; i < old; i++) {
		for (struct chan *c = oldv[i], *next; c; c = next) {
			next = c->hnext;
			c->hnext = f->chash[c->h & (cap - 1)];
			f->chash[c->h & (cap - 1)] = c;
		}
	}
	free(oldv);
}

static struct chan *chan_find(struct fan *f, const char *name, size_t len)
{
	if (!f->nchash)
		return NULL;
	return *chash_slot(f, name, len, hmap_hash(name, len));
}

static struct chan *chan_get(struct fan *f, const char *name, size_t len)
{
	struct chan *c = chan_find(f, name, len);

	if (c)
		return c;
	if (f->chans[0].n + f->chans[1].n + 1 > f->nchash)
		chash_grow(f);
	c = sl_calloc(1, sizeof(*c));
	c->name = sl_strndup(name, len);
	c->len = len;
	c->h = hmap_hash(name, len);
	c->f = f;
	c->hnext = f->chash[c->h & (f->nchash - 1)];
	f->chash[c->h & (f->nchash - 1)] = c;
	c->athlete = len > ATHLETE_LEN && memcmp(name, ATHLETE, ATHLETE_LEN) == 0;
	struct chan_list *l = &f->chans[c->athlete];
	SL_GROW(l->v, l->cap, l->n + 1);
	c->at = l->n;
	l->v[l->n++] = c;
	return c;
}

static void chan_free(struct fan *f, struct chan *c)
{
	struct chan **pc = chash_slot(f, c->name, c->len, c->h);

	struct chan_list *l = &f->chans[c->athlete];

	*pc = c->hnext;
	l->v[c->at] = l->v[--l->n];
	l->v[c->at]->at = c->at;
	free(c->wins);
	free(c->name);
	free(c);
}

static struct topic *topic_get(struct fan *f, const char *name, size_t len, size_t offset, size_t limit)
{
	struct chan *c = chan_get(f, name, len);
	struct topic *t;

	for (size_t i = 0; i < c->nwins; i++)
		if (c->wins[i]->offset == offset && c->wins[i]->limit == limit)
			return c->wins[i];
	t = sl_calloc(1, sizeof(*t));
	t->c = c;
	t->offset = offset;
	t->limit = limit;
	SL_GROW(c->wins, c->wcap, c->nwins + 1);
	t->at = c->nwins;
	c->wins[c->nwins++] = t;
	f->ntopics++;
	return t;
}

/* Frees t, and its chan with its last window. */
static void topic_free(struct fan *f, struct topic *t)
{
	struct chan *c = t->c;

	c->wins[t->at] = c->wins[--c->nwins];
	c->wins[t->at]->at = t->at;
	f->ntopics--;
	free(t->subs);
	free(t);
	if (c->nwins == 0)
		chan_free(f, c);
}

static void add_sub(struct topic *t, sess *s)
{
	SL_GROW(t->subs, t->cap, t->nsubs + 1);
	SL_GROW(s->subs, s->subcap, s->nsubs + 1);
	t->subs[t->nsubs] = (struct topic_sub){s, s->nsubs};
	s->subs[s->nsubs] = (struct sess_sub){t, t->nsubs};
	t->nsubs++;
	s->nsubs++;
}

/* s's i-th subscription goes; the topic with its last subscriber. */
static void remove_sub(sess *s, size_t i)
{
	struct topic *t = s->subs[i].t;
	struct fan *f = t->c->f;
	size_t j = s->subs[i].at;

	t->subs[j] = t->subs[--t->nsubs];
	if (j < t->nsubs)
		t->subs[j].s->subs[t->subs[j].at].at = j;
	s->subs[i] = s->subs[--s->nsubs];
	if (i < s->nsubs)
		s->subs[i].t->subs[s->subs[i].at].at = i;
	if (t->nsubs == 0)
		topic_free(f, t);
}

/* A topic that cannot be encoded any more (its race went away). */
static void topic_fail(struct topic *t, int rc)
{
	sl_buf msg = SL_BUF_INIT;

	sl_buf_addf(&msg, "topic '%.*s': %s", (int)t->c->len, t->c->name, sl_strerror(rc));
	while (t->nsubs > 0) {
		struct topic_sub ts = t->subs[t->nsubs - 1];
		sess_send_err(ts.s, 0, rc, msg.data);
		remove_sub(ts.s, ts.at); /* frees t with the last subscriber */
	}
	sl_buf_release(&msg);
}

static int encode_snapshot(struct fan *f, struct topic *t, sl_buf *b)
{
	msgpack_packer pk;
	size_t from = b->len;
	int rc;

	slp_packer_init(&pk, b);
	rc = core_topic_snapshot(f->core, t->c->name, t->c->len, t->offset, t->limit, &pk);
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

int fanout_subscribe(struct fan *f, sess *s, uint64_t id, const char *name, size_t len, size_t offset,
		     size_t limit, size_t asked)
{
	bool caught = evlog_caught_up(f->log);
	int rc;

	rc = core_topic_check(f->core, name, len);
	if (rc == SL_EINVAL || (rc < 0 && caught))
		return rc;
	struct topic *t = topic_get(f, name, len, offset, limit);
	bool already = false;
	for (size_t i = 0; i < s->nsubs; i++)
		already |= s->subs[i].t == t;
	if (!already) {
		if (s->nsubs >= NET_MAX_SUBS) {
			if (t->nsubs == 0)
				topic_free(f, t);
			return SL_ERANGE;
		}
		add_sub(t, s);
	}

	/* the snapshot first: a request gets one reply, ok or err, never both */
	sl_buf snap = SL_BUF_INIT;
	if (caught && (rc = encode_snapshot(f, t, &snap)) < 0) {
		sl_buf_release(&snap);
		for (size_t i = s->nsubs; i-- > 0;)
			if (s->subs[i].t == t)
				remove_sub(s, i);
		return rc;
	}
	send_subscribe_ok(s, id, limit, asked);
	if (!caught) {
		t->need_snapshot = true; /* sent by the first tick after catching up */
		f->snap_waiting++;
	} else {
		sess_send_mp(s, snap.data, snap.len);
	}
	sl_buf_release(&snap);
	return 0;
}

void fanout_unsubscribe(sess *s, const char *name, size_t len)
{
	for (size_t i = s->nsubs; i-- > 0;) {
		struct topic *t = s->subs[i].t;
		if (t->c->len == len && memcmp(t->c->name, name, len) == 0)
			remove_sub(s, i);
	}
}

void fanout_drop_denied(sess *s)
{
	for (size_t i = s->nsubs; i-- > 0;) {
		struct topic *t = s->subs[i].t;
		/* denied now, or wider than the new role's window (an official's limit 0) */
		if (net_topic_denied(s->role, s->device, t->c->name, t->c->len) ||
		    net_window_limit(s->role, t->c->name, t->c->len, t->limit) != t->limit)
			remove_sub(s, i);
	}
}

void fanout_drop_sess(sess *s)
{
	while (s->nsubs > 0)
		remove_sub(s, s->nsubs - 1);
	free(s->subs);
	s->subs = NULL;
	s->subcap = 0;
}

/*
 * One chan's part of a tick.  A window due a snapshot (after a config or
 * wave change, or subscribed before the tail caught up) gets its own; the
 * others share the chan's delta, encoded once, transcoded once, the same
 * frames for all (nothing when the chan is untouched), or their snapshot
 * when the delta is over NET_DELTA_MAX and the snapshot smaller.  A window
 * that cannot be encoded fails (topic_fail); so does every window of a chan
 * whose delta cannot be.  c may be freed.
 */
static void tick_chan(struct fan *f, struct chan *c, bool all, sl_buf *delta, sl_buf *b)
{
	struct out od = {0};
	bool have_delta = false, empty = true;
	msgpack_packer pk;
	int rc;

	for (size_t i = c->nwins; i-- > 0;) {
		struct topic *t = c->wins[i];
		bool snap = all || t->need_snapshot;

		t->need_snapshot = false;
		if (!snap && !have_delta) {
			have_delta = true;
			sl_buf_reset(delta);
			slp_packer_init(&pk, delta);
			rc = core_topic_delta(f->core, c->name, c->len, &pk, &empty);
			if (rc < 0) {
				for (size_t k = c->nwins; k-- > 0;)
					topic_fail(c->wins[k], rc); /* the last frees c */
				return;
			}
			od = (struct out){.mp = delta->data, .len = delta->len};
		}
		if (!snap && empty)
			continue;
		sl_buf_reset(b);
		if (snap) {
			if ((rc = encode_snapshot(f, t, b)) < 0)
				topic_fail(t, rc);
			else
				send_to_subs(t, b->data, b->len);
		} else if (delta->len > NET_DELTA_MAX && t->snap_len < delta->len &&
			   encode_snapshot(f, t, b) == 0 && b->len < delta->len) {
			send_to_subs(t, b->data, b->len);
		} else {
			out_send(t, &od);
		}
	}
	out_release(&od);
}

/*
 * The athlete/<bib> chans of the participants in the change set, the only
 * ones that can have a delta: a tick costs what changed, not how many
 * athletes are followed.
 */
static void tick_athletes(struct fan *f, const uint32_t *idx, size_t nchanged, sl_buf *delta, sl_buf *b)
{
	char name[ATHLETE_LEN + SL_ID_MAX + 1];

	if (!f->chans[1].n)
		return;
	memcpy(name, ATHLETE, ATHLETE_LEN);
	for (size_t i = 0; i < nchanged; i++) {
		const char *bib = core_part_bib(f->core, idx[i]);
		size_t bl = bib ? strlen(bib) : 0;
		if (bl == 0 || bl > SL_ID_MAX)
			continue;
		memcpy(name + ATHLETE_LEN, bib, bl);
		struct chan *c = chan_find(f, name, ATHLETE_LEN + bl);
		if (c)
			tick_chan(f, c, false, delta, b);
	}
}

void fanout_tick(struct fan *f)
{
	size_t nchanged;
	uint64_t nrec;
	bool all;
	const uint32_t *idx;
	sl_buf b = SL_BUF_INIT, delta = SL_BUF_INIT;

	if (!evlog_caught_up(f->log))
		return; /* subscribers wait for their first snapshot */
	nrec = core_nrecords(f->core);
	nchanged = core_changed(f->core, &idx);
	all = core_changed_all(f->core);
	bool flip = !f->was_caught_up;
	f->was_caught_up = true;
	if (!flip && !all && nchanged == 0 && nrec == f->seen_records && !f->snap_waiting)
		return;

	/* tick_chan may free v[i]: the last one takes its place, done already */
	for (size_t i = f->chans[0].n; i-- > 0;)
		tick_chan(f, f->chans[0].v[i], all, &delta, &b);
	if (all || flip || f->snap_waiting) {
		for (size_t i = f->chans[1].n; i-- > 0;)
			tick_chan(f, f->chans[1].v[i], all, &delta, &b);
		f->snap_waiting = 0;
	} else {
		tick_athletes(f, idx, nchanged, &delta, &b);
	}
	sl_buf_release(&b);
	sl_buf_release(&delta);
	core_changes_clear(f->core);
	f->seen_records = nrec;
}

void fanout_free(struct fan *f)
{
	for (int k = 0; k < 2; k++) {
		struct chan_list *l = &f->chans[k];
		while (l->n > 0) {
			struct chan *c = l->v[l->n - 1];
			struct topic *t = c->wins[c->nwins - 1];
			struct topic_sub ts = t->subs[t->nsubs - 1];
			remove_sub(ts.s, ts.at); /* frees t with the last, c with its last */
		}
		free(l->v);
		*l = (struct chan_list){0};
	}
	free(f->chash);
	f->chash = NULL;
	f->nchash = 0;
}

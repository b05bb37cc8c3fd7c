/*
 * event.c: the events this node holds, and the deployment's directory.
 *
 * One splitlined serves every event in its Redis (or only its --event).
 * An event is loaded on first use (a hello naming it, an HTTP request under
 * /api/events/<event>/): its own core, event log (the append and tail
 * connections of store/log.h: snapshot, then the tail), export cache and
 * fan-out.  It is held by the sessions bound to it and the requests that
 * wait on it (refs); after event_idle_ms with none, its log is closed (a
 * last snapshot) and everything of it freed, so memory follows the events
 * in use (the heap is trimmed after each unload).  The --event of a
 * single-event node is pinned: never unloaded.
 *
 * Requests that need more than a loaded event park on it (struct ev_wait):
 * a token lookup needs its store up, an export its tail caught up; the
 * tick runs them when it is, or fails them with SL_EUNAVAIL at their
 * deadline.
 *
 * The directory: each loaded event's summary (core_summary) is written to
 * the registry (store/registry.h) when it changes, at most every
 * EV_SUMMARY_MS; the tick reads the registry's list every EV_LIST_MS, and
 * /api/events.json lists it, loaded events fresher.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "net/export_cache.h"
#include "net/net_int.h"
#include "slid.h"

struct event *event_find(net *n, const char *id, size_t len)
{
	for (struct event *e = n->events; e; e = e->next)
		if (!e->closing && strlen(e->id) == len && memcmp(e->id, id, len) == 0)
			return e;
	return NULL;
}

struct event *event_load(net *n, const char *id, size_t len)
{
	struct event *e;
	struct evlog_opts o = n->store;

	if (n->drain.on || len >= sizeof(e->id))
		return NULL;
	e = sl_calloc(1, sizeof(*e));
	memcpy(e->id, id, len);
	e->n = n;
	e->core = core_new();
	o.event = e->id;
	e->log = evlog_new(n->loop, &o, e->core);
	e->xc = xcache_new(n->loop, e->core);
	e->fan.core = e->core;
	e->fan.log = e->log;
	e->idle_since = uv_now(n->loop);
	e->pinned = n->only && strcmp(n->only, e->id) == 0;
	e->next = n->events;
	n->events = e;
	n->nevents++;
	evlog_start(e->log);
	sl_info("event '%s' loaded (%zu held)", e->id, n->nevents);
	return e;
}

void event_ref(struct event *e)
{
	e->refs++;
}

void event_unref(struct event *e)
{
	if (e && --e->refs == 0)
		e->idle_since = uv_now(e->n->loop);
}

struct event *event_get(net *n, const char *id, size_t len)
{
	struct event *e = event_find(n, id, len);

	if (!e && !n->only && listing_find(&n->listed, id, len))
		e = event_load(n, id, len);
	return e;
}

size_t events_hold(net *n, char *const *ids, size_t nids, struct event ***out)
{
	size_t k = 0;

	*out = sl_calloc(nids + 1, sizeof(**out));
	for (size_t i = 0; i < nids; i++) {
		struct event *e = event_get(n, ids[i], strlen(ids[i]));
		if (e) {
			event_ref(e);
			(*out)[k++] = e;
		}
	}
	return k;
}

void events_release(struct event **v, size_t nv)
{
	for (size_t i = 0; i < nv; i++)
		event_unref(v[i]);
	free(v);
}

void event_bind(sess *s, struct event *e)
{
	if (s->ev == e)
		return;
	fanout_drop_sess(s); /* topics are an event's */
	score_drop_sess(s->n, s);
	if (s->ev)
		event_unref(s->ev);
	s->ev = e;
	event_ref(e);
}

void event_wait(struct event *e, struct ev_wait *w, uint32_t timeout_ms)
{
	w->until_ms = uv_now(e->n->loop) + timeout_ms;
	w->next = e->waits;
	e->waits = w;
	event_ref(e);
}

void event_wait_cancel(struct event *e, struct ev_wait *w)
{
	for (struct ev_wait **pw = &e->waits; *pw; pw = &(*pw)->next) {
		if (*pw == w) {
			*pw = w->next;
			w->next = NULL;
			event_unref(e);
			return;
		}
	}
}

/* Run the parked requests whose event is ready, or whose time is up. */
static void run_waits(struct event *e, uint64_t now)
{
	bool up = evlog_up(e->log), caught = evlog_caught_up(e->log);
	struct ev_wait **pw = &e->waits;

	while (*pw) {
		struct ev_wait *w = *pw;
		bool ready = w->need_caught_up ? caught : up;
		if (!ready && now < w->until_ms) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		w->next = NULL;
		event_unref(e);
		w->fn(w, ready ? 0 : SL_EUNAVAIL);
	}
}

/* Write e's summary to the registry when it changed (at most every EV_SUMMARY_MS). */
static void put_summary(net *n, struct event *e, uint64_t now)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t nrec = core_nrecords(e->core);

	if (!evlog_caught_up(e->log) || (nrec == e->summary_records && e->summary.len) ||
	    now - e->summary_at < EV_SUMMARY_MS || !registry_up(n->reg))
		return;
	slp_packer_init(&pk, &b);
	if (core_summary(e->core, &pk) == 0 &&
	    (b.len != e->summary.len || memcmp(b.data, e->summary.data, b.len) != 0) &&
	    registry_put(n->reg, e->id, b.data, b.len) == 0) {
		sl_buf_reset(&e->summary);
		sl_buf_add(&e->summary, b.data, b.len);
	}
	e->summary_records = nrec;
	e->summary_at = now;
	sl_buf_release(&b);
}

static void event_free(struct event *e)
{
	fanout_free(&e->fan);
	xcache_free(e->xc);
	evlog_free(e->log);
	core_free(e->core);
	sl_buf_release(&e->summary);
	free(e);
}

static void on_event_closed(void *ctx)
{
	struct event *e = ctx;
	net *n = e->n;

	if (--n->closing_events == 0 && n->events_closing.on)
		sl_close_done(&n->events_closing);
	if (n->events_closing.on)
		return; /* stopping: sessions and requests that lws has not closed yet may
			   still hold it; events_free frees it after the loop */
	for (struct event **pe = &n->events; *pe; pe = &(*pe)->next) {
		if (*pe == e) {
			*pe = e->next;
			break;
		}
	}
	n->nevents--;
	sl_info("event '%s' unloaded (%zu held)", e->id, n->nevents);
	event_free(e);
	/* glibc keeps a freed core's heap for reuse: give it back, so that memory
	 * follows the events in use, not the most ever held (BENCHMARKS.md) */
	malloc_trim(0);
}

static void event_close(struct event *e)
{
	e->closing = true;
	e->n->closing_events++;
	evlog_close(e->log, on_event_closed, e);
}

static bool idle(const net *n, const struct event *e, uint64_t now)
{
	return !e->pinned && !e->closing && e->refs == 0 && !e->waits &&
	       now - e->idle_since >= n->event_idle_ms && xcache_idle(e->xc);
}

static void listing_clear(struct ev_listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		sl_buf_release(&l->v[i].mp);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct ev_listed *listing_find(struct ev_listing *l, const char *id, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i].id) == len && memcmp(l->v[i].id, id, len) == 0)
			return &l->v[i];
	return NULL;
}

void listing_put(struct ev_listing *l, const char *id, const char *val, size_t len)
{
	struct ev_listed *x = listing_find(l, id, strlen(id));

	if (!x) {
		l->v = sl_realloc(l->v, (l->n + 1) * sizeof(*l->v));
		x = &l->v[l->n++];
		x->id = sl_strdup(id);
		x->mp = (sl_buf)SL_BUF_INIT;
	}
	sl_buf_reset(&x->mp);
	sl_buf_add(&x->mp, val, len);
}

static void listing_fill(struct ev_listing *l, int err, size_t cnt, const char *const *ids,
			 const char *const *vals, const size_t *lens)
{
	l->busy = false;
	if (err)
		return;
	listing_clear(l);
	l->v = sl_calloc(cnt + 1, sizeof(*l->v));
	for (size_t i = 0; i < cnt; i++) {
		if (!sl_event_id_ok(ids[i], strlen(ids[i])))
			continue;
		struct ev_listed *x = &l->v[l->n++];
		x->id = sl_strdup(ids[i]);
		sl_buf_add(&x->mp, vals[i], lens[i]);
	}
}

static void on_listed(void *ctx, int err, size_t cnt, const char *const *ids,
		      const char *const *vals, const size_t *lens)
{
	listing_fill(&((net *)ctx)->listed, err, cnt, ids, vals, lens);
}

static void on_series_listed(void *ctx, int err, size_t cnt, const char *const *ids,
			     const char *const *vals, const size_t *lens)
{
	listing_fill(&((net *)ctx)->series, err, cnt, ids, vals, lens);
}

void events_tick(net *n)
{
	uint64_t now = uv_now(n->loop);

	for (struct event *e = n->events, *next; e; e = next) {
		next = e->next;
		if (e->closing)
			continue;
		fanout_tick(&e->fan);
		xcache_tick(e->xc);
		run_waits(e, now);
		put_summary(n, e, now);
		if (idle(n, e, now))
			event_close(e);
	}
	if (now - n->listed_at >= EV_LIST_MS && registry_up(n->reg) && !n->listed.busy &&
	    !n->series.busy) {
		n->listed_at = now;
		n->listed.busy = registry_list(n->reg, REGISTRY_EVENTS, on_listed, n) == 0;
		n->series.busy = registry_list(n->reg, REGISTRY_SERIES, on_series_listed, n) == 0;
	}
}

/* Summaries by date, latest first, then by id. */
struct row {
	const char *id;
	const char *mp;
	size_t len;
	char date[16];
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(y->date, x->date);
	return c ? c : strcmp(x->id, y->id);
}

static void row_date(struct row *r)
{
	msgpack_unpacked u;
	const char *d;
	size_t dn;

	r->date[0] = '\0';
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, r->mp, r->len, NULL) == MSGPACK_UNPACK_SUCCESS &&
	    slp_get_str(&u.data, "date", &d, &dn) == 0 && dn < sizeof(r->date)) {
		memcpy(r->date, d, dn);
		r->date[dn] = '\0';
	}
	msgpack_unpacked_destroy(&u);
}

void events_listing(net *n, sl_buf *b)
{
	struct row *rows = sl_calloc(n->listed.n + n->nevents + 1, sizeof(*rows));
	size_t k = 0;

	for (struct event *e = n->events; e; e = e->next)
		if (!e->closing && e->summary.len && (!n->only || strcmp(n->only, e->id) == 0))
			rows[k++] = (struct row){e->id, e->summary.data, e->summary.len, ""};
	for (size_t i = 0; i < n->listed.n; i++) {
		const struct ev_listed *l = &n->listed.v[i];
		struct event *e = event_find(n, l->id, strlen(l->id));
		if ((e && e->summary.len) || (n->only && strcmp(n->only, l->id) != 0))
			continue;
		rows[k++] = (struct row){l->id, l->mp.data, l->mp.len, ""};
	}
	for (size_t i = 0; i < k; i++)
		row_date(&rows[i]);
	qsort(rows, k, sizeof(*rows), row_cmp);
	sl_buf_adds(b, "{\"events\":[");
	for (size_t i = 0; i < k; i++) {
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, rows[i].mp, rows[i].len, NULL) ==
		    MSGPACK_UNPACK_SUCCESS) {
			if (b->data[b->len - 1] != '[')
				sl_buf_addc(b, ',');
			slp_object_to_json(&u.data, b);
		}
		msgpack_unpacked_destroy(&u);
	}
	sl_buf_adds(b, "]}\n");
	free(rows);
}

void events_close(net *n, void (*done)(void *ctx), void *ctx)
{
	if (!sl_close_begin(&n->events_closing, done, ctx))
		return;
	for (struct event *e = n->events, *next; e; e = next) {
		next = e->next; /* e may be freed by the time evlog_close returns */
		if (!e->closing)
			event_close(e);
	}
	if (n->closing_events == 0)
		sl_close_done(&n->events_closing);
}

void events_free(net *n)
{
	while (n->events) {
		struct event *e = n->events;
		n->events = e->next;
		event_free(e);
	}
	n->nevents = 0;
	listing_clear(&n->listed);
	listing_clear(&n->series);
}

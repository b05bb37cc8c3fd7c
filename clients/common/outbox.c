/*
 * outbox.c: the device clients' pending-input window, reply reader and
 * backoff (see outbox.h for the design and the invariants).
 */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsc.h"

/* ---- backoff with jitter ---- */

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

void outbox_backoff_reconnect(outbox_backoff *b)
{
	outbox_backoff_init(b, 100, 5000, OUTBOX_JITTER_PCT, 0);
}

void outbox_backoff_init(outbox_backoff *b, int64_t min_ms, int64_t max_ms, int jitter_pct,
			 uint64_t seed)
{
	if (!seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		       ((uint64_t)getpid() << 40);
	}
	b->min_ms = min_ms;
	b->max_ms = max_ms < min_ms ? min_ms : max_ms;
	b->cur_ms = min_ms;
	b->jitter_pct = jitter_pct < 0 ? 0 : jitter_pct > 100 ? 100 : jitter_pct;
	b->rng = seed ? seed : 1;
}

int64_t outbox_backoff_next(outbox_backoff *b)
{
	int64_t d = b->cur_ms, span = d * b->jitter_pct / 100;
	if (span > 0)
		d -= (int64_t)(xorshift(&b->rng) % (uint64_t)(span + 1));
	if (d < 1 && b->cur_ms > 0)
		d = 1;
	b->cur_ms = b->cur_ms > b->max_ms / 2 ? b->max_ms : b->cur_ms * 2;
	return d;
}

void outbox_backoff_reset(outbox_backoff *b)
{
	b->cur_ms = b->min_ms;
}

/* ---- the window ---- */

void outbox_init(outbox *o, size_t window, uint64_t acked)
{
	memset(o, 0, sizeof(*o));
	o->window = window;
	o->acked = acked;
}

void outbox_release(outbox *o)
{
	free(o->fl);
	o->fl = NULL;
	o->nfl = o->cap = o->inflight = 0;
}

bool outbox_room(const outbox *o)
{
	return o->inflight < o->window;
}

void outbox_sent(outbox *o, uint64_t seq, uint64_t n, uint64_t id, size_t tag, int64_t now)
{
	SL_GROW(o->fl, o->cap, o->nfl + 1);
	o->fl[o->nfl++] = (outbox_flight){.seq = seq, .n = n, .id = id, .sent_at = now, .tag = tag};
	o->inflight++;
}

const outbox_flight *outbox_find(const outbox *o, uint64_t id)
{
	for (size_t i = 0; i < o->nfl; i++)
		if (!o->fl[i].acked && o->fl[i].id == id)
			return &o->fl[i];
	return NULL;
}

int outbox_ack(outbox *o, uint64_t id, uint64_t last, outbox_flight *out)
{
	outbox_flight *f = (outbox_flight *)outbox_find(o, id);
	if (!f)
		return SL_ENOENT;
	f->acked = true;
	o->inflight--;
	*out = *f;
	if (last > o->acked)
		o->acked = last;
	size_t k = 0;
	for (; k < o->nfl; k++) {
		const outbox_flight *h = &o->fl[k];
		uint64_t end = h->seq + h->n - 1;
		if (!h->acked && end > o->acked)
			break;
		if (!h->acked)
			o->inflight--; /* covered by last */
		if (end > o->acked)
			o->acked = end;
	}
	memmove(o->fl, o->fl + k, (o->nfl - k) * sizeof(*o->fl));
	o->nfl -= k;
	return 0;
}

size_t outbox_drop(outbox *o)
{
	size_t n = o->inflight;
	o->nfl = 0;
	o->inflight = 0;
	return n;
}

void outbox_gap(outbox *o, uint64_t expected)
{
	o->acked = expected ? expected - 1 : 0;
	outbox_drop(o);
}

int64_t outbox_oldest(const outbox *o)
{
	for (size_t i = 0; i < o->nfl; i++)
		if (!o->fl[i].acked)
			return o->fl[i].sent_at;
	return -1;
}

/* ---- replies ---- */

void outbox_reply_read(const slp_msg *m, outbox_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->code = r->msg = "";
	size_t tn;
	const char *t = slp_type(m, &tn);
	if (t && tn == 3 && !memcmp(t, "ack", 3))
		r->kind = OUTBOX_ACK;
	else if (t && tn == 3 && !memcmp(t, "err", 3))
		r->kind = OUTBOX_ERR;
	else if (t && tn == 2 && !memcmp(t, "ok", 2))
		r->kind = OUTBOX_OK;
	int64_t id;
	if (t && slp_get_int(&m->root, "id", &id) == 0) {
		r->has_id = true;
		r->id = (uint64_t)id;
	}
	r->has_last = slp_get_int(&m->root, "last", &r->last) == 0;
	r->has_seq = slp_get_int(&m->root, "seq", &r->seq) == 0;
	slp_get_bool(&m->root, "dup", &r->dup);
	if (r->kind != OUTBOX_ERR)
		return;
	slp_get_str(&m->root, "code", &r->code, &r->code_len);
	slp_get_str(&m->root, "msg", &r->msg, &r->msg_len);
	r->has_expected = slp_get_int(&m->root, "expected", &r->expected) == 0;
	r->err = wsc_err_from_code(r->code, r->code_len);
	r->retry = sl_err_retry(r->err);
}

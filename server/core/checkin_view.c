/*
 * checkin_view.c: check-in as it is saved and seen: the snapshot of the
 * state (athletes, devices with their answers, the audit trail) and its
 * load; one bib's check-in, counts, a scan's answer and the audit rows
 * (checkin_get ... checkin_audit); the topics scans/<dev>, checkin/<race>
 * and audit.  Pure, except a snapshot load.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin_int.h"
#include "cval.h"
#include "slp.h"

static void pack_bin(msgpack_packer *pk, const sl_buf *b)
{
	msgpack_pack_bin(pk, b->len);
	msgpack_pack_bin_body(pk, b->data, b->len);
}

/* [bib, in, dev, volunteer|nil, t, seq, undone] */
static void pack_ath(msgpack_packer *pk, const struct ath *a)
{
	msgpack_pack_array(pk, 7);
	slp_pack_str(pk, a->bib);
	if (a->in)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	msgpack_pack_uint32(pk, a->in ? a->dev : 0);
	if (a->vol)
		slp_pack_str(pk, a->vol);
	else
		msgpack_pack_nil(pk);
	msgpack_pack_int64(pk, a->in ? a->t : 0);
	msgpack_pack_uint64(pk, a->in ? a->seq : 0);
	msgpack_pack_uint32(pk, a->undone);
}

/* [seq, warning, op, ath|-1, answer bin] */
static void pack_answer(msgpack_packer *pk, const struct ans *an)
{
	msgpack_pack_array(pk, 5);
	msgpack_pack_uint64(pk, an->seq);
	msgpack_pack_uint8(pk, an->w);
	msgpack_pack_uint8(pk, an->op);
	msgpack_pack_int64(pk, an->ath == NONE32 ? -1 : (int64_t)an->ath);
	pack_bin(pk, &an->mp);
}

/*
 * {"aths":[[bib, in, dev, volunteer|nil, t, seq, undone]...],
 *  "devs":[[id, wm, [[seq, warning, op, ath|-1, answer bin]...]]...],
 *  "audit":[row bin...]}; indices as in memory.
 */
void checkin_snapshot_pack(const core *c, msgpack_packer *pk)
{
	const struct checkin *k = c->ck;
	msgpack_pack_map(pk, 3);
	slp_pack_key(pk, "aths");
	msgpack_pack_array(pk, k->naths);
	for (size_t i = 0; i < k->naths; i++)
		pack_ath(pk, &k->aths[i]);
	slp_pack_key(pk, "devs");
	msgpack_pack_array(pk, k->ndevs);
	for (size_t i = 0; i < k->ndevs; i++) {
		const struct ckdev *d = &k->devs[i];
		msgpack_pack_array(pk, 3);
		slp_pack_str(pk, d->id);
		msgpack_pack_uint64(pk, d->wm);
		msgpack_pack_array(pk, d->n);
		for (size_t j = 0; j < d->n; j++)
			pack_answer(pk, &d->a[j]);
	}
	slp_pack_key(pk, "audit");
	msgpack_pack_array(pk, k->naudit);
	for (size_t i = 0; i < k->naudit; i++)
		pack_bin(pk, &k->audit[i]);
}

static bool as_u64(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	int64_t x;
	if (slp_as_int(o, &x) < 0 || x < 0 || (uint64_t)x > max)
		return false;
	*v = (uint64_t)x;
	return true;
}

static bool as_str(const msgpack_object *o, size_t max)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size > 0 && o->via.str.size <= max &&
	       !memchr(o->via.str.ptr, '\0', o->via.str.size);
}

int checkin_snapshot_load(core *c, const msgpack_object *m, char *err, size_t errlen)
{
	const msgpack_object_array *aths, *devs, *audit;
	if (m->type != MSGPACK_OBJECT_MAP || slp_get_arr(m, "aths", &aths) < 0 ||
	    slp_get_arr(m, "devs", &devs) < 0 || slp_get_arr(m, "audit", &audit) < 0)
		CVAL_FAIL(SL_EPARSE, "snapshot.checkins: expected {aths, devs, audit}");
	struct checkin *k = checkin__ck_of(c);
	for (uint32_t i = 0; i < aths->size; i++) {
		const msgpack_object *o = &aths->ptr[i];
		const msgpack_object *f = o->via.array.ptr;
		uint64_t dev, seq, undone;
		int64_t t;
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 7 ||
		    !as_str(&f[0], 64) || f[1].type != MSGPACK_OBJECT_BOOLEAN ||
		    !as_u64(&f[2], UINT32_MAX, &dev) ||
		    !(f[3].type == MSGPACK_OBJECT_NIL || as_str(&f[3], 64)) ||
		    slp_as_int(&f[4], &t) < 0 || !as_u64(&f[5], UINT64_MAX >> 1, &seq) ||
		    !as_u64(&f[6], UINT32_MAX, &undone) ||
		    checkin__ath_upsert(k, f[0].via.str.ptr, f[0].via.str.size) != i)
			CVAL_FAIL(SL_EPARSE,
				  "snapshot.checkins.aths[%u]: expected a new [bib, in, dev, "
				  "volunteer, t, "
				  "seq, undone]",
				  i);
		struct ath *a = &k->aths[i];
		a->in = f[1].via.boolean;
		a->dev = (uint32_t)dev;
		a->vol = f[3].type == MSGPACK_OBJECT_NIL
				 ? NULL
				 : sl_strndup(f[3].via.str.ptr, f[3].via.str.size);
		a->t = t;
		a->seq = seq;
		a->undone = (uint32_t)undone;
		if (a->in && dev >= devs->size)
			CVAL_FAIL(SL_EPARSE, "snapshot.checkins.aths[%u]: no device %llu", i,
				  (unsigned long long)dev);
	}
	for (uint32_t i = 0; i < devs->size; i++) {
		const msgpack_object *o = &devs->ptr[i];
		const msgpack_object *f = o->via.array.ptr;
		uint64_t wm;
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
		    !as_str(&f[0], 64) || !as_u64(&f[1], UINT64_MAX >> 1, &wm) ||
		    f[2].type != MSGPACK_OBJECT_ARRAY ||
		    checkin__dev_upsert(k, f[0].via.str.ptr, f[0].via.str.size) != i)
			CVAL_FAIL(
				SL_EPARSE,
				"snapshot.checkins.devs[%u]: expected a new [device, wm, answers]",
				i);
		struct ckdev *d = &k->devs[i];
		d->wm = wm;
		for (uint32_t j = 0; j < f[2].via.array.size; j++) {
			const msgpack_object *x = &f[2].via.array.ptr[j];
			const msgpack_object *g = x->via.array.ptr;
			uint64_t sq, w, op;
			int64_t ath;
			if (x->type != MSGPACK_OBJECT_ARRAY || x->via.array.size != 5 ||
			    !as_u64(&g[0], UINT64_MAX >> 1, &sq) || !as_u64(&g[1], W_N - 1, &w) ||
			    !as_u64(&g[2], OP_N - 1, &op) || slp_as_int(&g[3], &ath) < 0 ||
			    ath < -1 || ath >= (int64_t)k->naths ||
			    g[4].type != MSGPACK_OBJECT_BIN || (d->n && sq <= d->a[d->n - 1].seq))
				CVAL_FAIL(SL_EPARSE,
					  "snapshot.checkins.devs[%u][%u]: expected [seq, warning, "
					  "op, "
					  "ath, "
					  "answer] in seq order",
					  i, j);
			SL_GROW(d->a, d->cap, d->n + 1);
			struct ans *an = &d->a[d->n++];
			*an = (struct ans){.seq = sq,
					   .w = (uint8_t)w,
					   .op = (uint8_t)op,
					   .ath = ath < 0 ? NONE32 : (uint32_t)ath};
			sl_buf_init(&an->mp);
			sl_buf_add(&an->mp, g[4].via.bin.ptr, g[4].via.bin.size);
		}
		d->nclear = d->n;
	}
	for (uint32_t i = 0; i < audit->size; i++) {
		const msgpack_object *o = &audit->ptr[i];
		if (o->type != MSGPACK_OBJECT_BIN)
			CVAL_FAIL(SL_EPARSE, "snapshot.checkins.audit[%u]: expected bin", i);
		SL_GROW(k->audit, k->caudit, k->naudit + 1);
		sl_buf_init(&k->audit[k->naudit]);
		sl_buf_add(&k->audit[k->naudit], o->via.bin.ptr, o->via.bin.size);
		k->naudit++;
	}
	k->nclear_audit = k->naudit;
	return 0;
}

int checkin_get(const core *c, const char *bib, struct checkin_info *out)
{
	uint32_t pi;
	memset(out, 0, sizeof(*out));
	if (!hmap_get(&c->bibs, bib, strlen(bib), &pi))
		return SL_ENOENT;
	const struct ath *a = checkin__ath_of(c, bib, strlen(bib));
	if (a) {
		out->in = a->in;
		out->undone = a->undone;
		if (a->in) {
			out->dev = c->ck->devs[a->dev].id;
			out->volunteer = a->vol;
			out->t = a->t;
			out->seq = a->seq;
		}
	}
	return 0;
}

static bool in_race(const struct part *p, int race)
{
	return race < 0 ? p->race >= 0 : p->race == race; /* blank bibs: in no race */
}

/* Registrations without a bib still waiting, of a race (-1: any). */
static size_t pending_n(const core *c, int race)
{
	size_t n = 0;
	for (size_t i = 0; i < c->npend; i++)
		n += c->pend[i].reg && (race < 0 || core__pending_race(c, &c->pend[i]) == race);
	return n;
}

void checkin_counts(const core *c, const char *race, size_t *registered, size_t *checked_in)
{
	int r = -1;
	*registered = *checked_in = 0;
	if (race) {
		if (!c->has_cfg || (r = cfg_race_find(&c->cfg, race, strlen(race))) < 0)
			return;
	}
	for (size_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		if (!in_race(p, r))
			continue;
		(*registered)++;
		*checked_in += checkin__is_in(c, p);
	}
	*registered += pending_n(c, r);
}

int checkin_answer(const core *c, const char *dev, uint64_t seq, const char **warning,
		   const char **bib)
{
	uint32_t di;
	if (!c->ck || !hmap_get(&c->ck->devmap, dev, strlen(dev), &di))
		return SL_ENOENT;
	const struct ckdev *d = &c->ck->devs[di];
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->a[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= d->n || d->a[lo].seq != seq)
		return SL_ENOENT;
	*warning = checkin__wnames[d->a[lo].w];
	*bib = d->a[lo].ath != NONE32 ? c->ck->aths[d->a[lo].ath].bib : "";
	return 0;
}

size_t checkin_audit(const core *c, size_t i, const char **mp, size_t *len)
{
	if (!c->ck || i >= c->ck->naudit || !mp || !len)
		return c->ck ? c->ck->naudit : 0;
	*mp = c->ck->audit[i].data;
	*len = c->ck->audit[i].len;
	return c->ck->naudit;
}

enum { CT_SCANS, CT_COUNTS, CT_AUDIT };

static bool pfx(const char *s, size_t n, const char *p, size_t *off)
{
	size_t pn = strlen(p);
	if (n < pn || memcmp(s, p, pn) != 0)
		return false;
	*off = pn;
	return true;
}

/* 1 when ours; *kind, *arg (the device index or NONE32; the race). */
static bool parse(const core *c, const char *s, size_t n, int *kind, int *rc, uint32_t *dev,
		  int *race)
{
	size_t off;
	*rc = 0;
	if (pfx(s, n, "scans/", &off)) {
		*kind = CT_SCANS;
		if (n - off > 64 || n == off || memchr(s + off, '\0', n - off))
			*rc = SL_EINVAL;
		else if (!c->ck || !hmap_get(&c->ck->devmap, s + off, n - off, dev))
			*dev = NONE32;
		return true;
	}
	if (n == 5 && !memcmp(s, "audit", 5)) {
		*kind = CT_AUDIT;
		return true;
	}
	if (pfx(s, n, "checkin/", &off)) {
		*kind = CT_COUNTS;
		if (!sl_id_ok(s + off, n - off))
			*rc = SL_EINVAL;
		else if (!c->has_cfg || (*race = cfg_race_find(&c->cfg, s + off, n - off)) < 0)
			*rc = SL_ENOENT;
		return true;
	}
	return false;
}

bool checkin_topic_check(const core *c, const char *topic, size_t n, int *rc)
{
	int kind, race;
	uint32_t dev;
	return parse(c, topic, n, &kind, rc, &dev, &race);
}

static void head(msgpack_packer *pk, const char *type, const char *topic, size_t n, size_t total,
		 size_t extra)
{
	msgpack_pack_map(pk, 3 + extra);
	slp_pack_kv_str(pk, "t", type);
	slp_pack_kv_strn(pk, "topic", topic, n);
	slp_pack_kv_int(pk, "n", (int64_t)total);
}

/* checkin/<race> head: race, checked_in, waves [{wave, n, checked_in}]. */
static void pack_counts(const core *c, msgpack_packer *pk, int race)
{
	const struct cfg_race *r = &c->cfg.races[race];
	size_t *nw = sl_calloc(2 * r->nwaves + 2, sizeof(*nw)), in = 0;
	for (size_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		if (p->race != race)
			continue;
		bool x = checkin__is_in(c, p);
		in += x;
		if (p->wave >= 0 && (size_t)p->wave < r->nwaves) {
			nw[2 * p->wave]++;
			nw[2 * p->wave + 1] += x;
		}
	}
	for (size_t i = 0; i < c->npend; i++) { /* waiting for a bib: in a wave when given */
		const struct entry *e = &c->pend[i];
		int w;
		if (e->reg && e->wave && core__pending_race(c, e) == race &&
		    (w = cfg_wave_find(r, e->wave, strlen(e->wave))) >= 0)
			nw[2 * w]++;
	}
	slp_pack_kv_str(pk, "race", r->id);
	slp_pack_kv_int(pk, "checked_in", (int64_t)in);
	slp_pack_key(pk, "waves");
	msgpack_pack_array(pk, r->nwaves);
	for (size_t w = 0; w < r->nwaves; w++) {
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "wave", r->waves[w].id);
		slp_pack_kv_int(pk, "n", (int64_t)nw[2 * w]);
		slp_pack_kv_int(pk, "checked_in", (int64_t)nw[2 * w + 1]);
	}
	free(nw);
}

static size_t race_n(const core *c, int race)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nparts; i++)
		n += c->parts[i].race == race;
	return n + pending_n(c, race);
}

/* Bytes packed before (an answer, an audit row) into the packer's output. */
static void pack_raw(msgpack_packer *pk, const sl_buf *b)
{
	pk->callback(pk->data, b->data, b->len);
}

/* A no-show (or changed) row: the athlete and "in". */
static void pack_nsrow(const core *c, msgpack_packer *pk, uint32_t pi)
{
	msgpack_pack_map(pk, ATH_FIELDS + 1);
	checkin__pack_part(c, pk, pi);
	slp_pack_kv_bool(pk, "in", checkin__is_in(c, &c->parts[pi]));
}

/* A registration without a bib: a no-show until it gets one. */
static void pack_pendrow(const core *c, msgpack_packer *pk, uint32_t q, int race)
{
	msgpack_pack_map(pk, ATH_FIELDS + 1);
	checkin__pack_entry(c, pk, &c->pend[q], race, -1);
	slp_pack_kv_bool(pk, "in", false);
}

static int reg_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	return strcmp(c->pend[*(const uint32_t *)a].reg, c->pend[*(const uint32_t *)b].reg);
}

static int bib_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	return entry_bib_cmp(c->parts[*(const uint32_t *)a].e.bib,
			     c->parts[*(const uint32_t *)b].e.bib);
}

bool checkin_topic_snapshot(const core *c, const char *topic, size_t n, size_t offset, size_t limit,
			    msgpack_packer *pk, int *rc)
{
	int kind, race = -1;
	uint32_t dev = NONE32;
	if (!parse(c, topic, n, &kind, rc, &dev, &race))
		return false;
	if (*rc < 0)
		return true;
	if (kind == CT_SCANS) {
		/* offset: the first seq wanted; limit: at most the last limit answers */
		const struct ckdev *d = dev != NONE32 ? &c->ck->devs[dev] : NULL;
		size_t from = 0, cnt = d ? d->n : 0;
		while (from < cnt && d->a[from].seq < offset)
			from++;
		if (limit && cnt - from > limit)
			from = cnt - limit;
		head(pk, "snapshot", topic, n, cnt, 2);
		slp_pack_kv_int(pk, "offset", (int64_t)offset);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, cnt - from);
		for (size_t i = from; i < cnt; i++)
			pack_raw(pk, &d->a[i].mp);
		return true;
	}
	if (kind == CT_AUDIT) {
		/* offset: the first row wanted (i); limit: at most that many rows */
		size_t total = c->ck ? c->ck->naudit : 0;
		size_t from = offset < total ? offset : total, cnt = total - from;
		if (limit && limit < cnt)
			cnt = limit;
		head(pk, "snapshot", topic, n, total, 2);
		slp_pack_kv_int(pk, "offset", (int64_t)offset);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, cnt);
		for (size_t i = 0; i < cnt; i++)
			pack_raw(pk, &c->ck->audit[from + i]);
		return true;
	}
	/* checkin/<race>: counts, and the no-shows: by bib, then those waiting
	 * for a bib by reg (from offset, limit) */
	uint32_t *ids = sl_malloc((c->nparts + 1) * sizeof(*ids));
	uint32_t *pids = sl_malloc((c->npend + 1) * sizeof(*pids));
	size_t m = 0, pm = 0;
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i].race == race && !checkin__is_in(c, &c->parts[i]))
			ids[m++] = (uint32_t)i;
	qsort_r(ids, m, sizeof(*ids), bib_qcmp, (void *)c);
	for (size_t i = 0; i < c->npend; i++)
		if (c->pend[i].reg && core__pending_race(c, &c->pend[i]) == race)
			pids[pm++] = (uint32_t)i;
	qsort_r(pids, pm, sizeof(*pids), reg_qcmp, (void *)c);
	size_t all = m + pm, from = offset < all ? offset : all, cnt = all - from;
	if (limit && limit < cnt)
		cnt = limit;
	head(pk, "snapshot", topic, n, race_n(c, race), 6);
	slp_pack_kv_int(pk, "offset", (int64_t)offset);
	slp_pack_kv_int(pk, "no_shows", (int64_t)all);
	pack_counts(c, pk, race);
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, cnt);
	for (size_t i = from; i < from + cnt; i++) {
		if (i < m)
			pack_nsrow(c, pk, ids[i]);
		else
			pack_pendrow(c, pk, pids[i - m], race);
	}
	free(ids);
	free(pids);
	return true;
}

bool checkin_topic_delta(const core *c, const char *topic, size_t n, msgpack_packer *pk,
			 bool *empty, int *rc)
{
	int kind, race = -1;
	uint32_t dev = NONE32;
	*empty = true;
	if (!parse(c, topic, n, &kind, rc, &dev, &race))
		return false;
	if (*rc < 0 || !c->ck)
		return true;
	const struct checkin *k = c->ck;
	if (kind == CT_SCANS) {
		if (dev == NONE32 || k->devs[dev].nclear == k->devs[dev].n)
			return true;
		const struct ckdev *d = &k->devs[dev];
		*empty = false;
		head(pk, "delta", topic, n, d->n, 1);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, d->n - d->nclear);
		for (size_t i = d->nclear; i < d->n; i++)
			pack_raw(pk, &d->a[i].mp);
		return true;
	}
	if (kind == CT_AUDIT) {
		if (k->nclear_audit == k->naudit)
			return true;
		*empty = false;
		head(pk, "delta", topic, n, k->naudit, 1);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, k->naudit - k->nclear_audit);
		for (size_t i = k->nclear_audit; i < k->naudit; i++)
			pack_raw(pk, &k->audit[i]);
		return true;
	}
	/* rows whose check-in changed; an athlete who just got a bib carries
	 * its reg, so a client drops the row it kept for the registration */
	uint32_t *ids = sl_malloc((k->nchg + 1) * sizeof(*ids));
	size_t m = 0;
	for (size_t i = 0; i < k->nchg; i++) {
		const char *bib = k->aths[k->chg[i]].bib;
		uint32_t pi;
		if (hmap_get(&c->bibs, bib, strlen(bib), &pi) && c->parts[pi].race == race)
			ids[m++] = pi;
	}
	if (m) {
		size_t ns = 0;
		for (size_t i = 0; i < c->nparts; i++)
			ns += c->parts[i].race == race && !checkin__is_in(c, &c->parts[i]);
		ns += pending_n(c, race);
		*empty = false;
		head(pk, "delta", topic, n, race_n(c, race), 5);
		slp_pack_kv_int(pk, "no_shows", (int64_t)ns);
		pack_counts(c, pk, race);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, m);
		for (size_t i = 0; i < m; i++)
			pack_nsrow(c, pk, ids[i]);
	}
	free(ids);
	return true;
}

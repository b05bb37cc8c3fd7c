/*
 * checkin.c: check-in scans and their answers (see checkin.h, and
 * PROTOCOL.md "Check-in").
 *
 * A scanned code is a bib ("1234"), a chip of a participant, or a
 * registration code "sl:<event>:<bib>" (what the printed QR codes hold).
 * Each scan of a checkins record, in seq order, past its device's
 * watermark, gets one answer:
 *   - wrong_event: a registration code of another event;
 *   - unknown_code: no participant has that bib or chip;
 *   - not_registered_for_race: the scan names a race (the desk's race) and
 *     the athlete runs another; nobody is checked in;
 *   - already_checked_in: with the device, volunteer and time of the scan
 *     that checked the athlete in;
 *   - "" (none): the athlete is checked in now by this scan.
 * checkin_undo (an official) clears a bib's check-in; its next scan checks
 * it in again.  The answers of a device are kept in seq order (rising, not
 * necessarily contiguous: a device may also send passings in the same seq
 * space).
 *
 * Invariants: a bib is checked in by at most one scan at a time; the count
 * of checked-in bibs equals the number of "checked in now" answers minus
 * the undos applied.  Nothing iterates a hash table, so bytes out are a
 * function of the records.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "slp.h"

enum { W_NONE, W_ALREADY, W_UNKNOWN, W_EVENT, W_RACE };
static const char *const wnames[] = {"", "already_checked_in", "unknown_code", "wrong_event",
				     "not_registered_for_race"};

#define MAX_SCANS 10000
#define T_MIN 946684800000LL  /* 2000-01-01 */
#define T_MAX 4102444800000LL /* 2100-01-01 */

struct ath {
	char *bib;
	bool in, chg;
	uint32_t dev; /* device index of the checking scan */
	char *vol;    /* volunteer of that scan, or NULL */
	int64_t t;
	uint64_t seq;
	uint32_t undone;
};

struct ans {
	uint64_t seq;
	char *code;
	char *vol;
	int64_t t;
	uint8_t w;
	uint32_t ath; /* NONE32: no athlete */
	/* already_checked_in: who checked the athlete in */
	uint32_t by_dev;
	char *by_vol;
	int64_t by_t;
};

struct ckdev {
	char *id;
	uint64_t wm;
	struct ans *a;
	size_t n, cap, nclear; /* answers [nclear, n) are new since the last clear */
};

struct checkin {
	hmap athmap; /* bib -> ath index */
	struct ath *aths;
	size_t naths, caths;
	hmap devmap; /* device -> ckdev index */
	struct ckdev *devs;
	size_t ndevs, cdevs;
	sl_buf *recs; /* the records as received, log order */
	size_t nrecs, crecs;
	uint32_t *chg; /* aths changed since the last clear */
	size_t nchg, cchg;
	bool any;
};

static struct checkin *ck_of(core *c)
{
	if (!c->ck) {
		c->ck = sl_calloc(1, sizeof(*c->ck));
		hmap_init(&c->ck->athmap);
		hmap_init(&c->ck->devmap);
	}
	return c->ck;
}

void checkin_free(core *c)
{
	struct checkin *k = c->ck;
	if (!k)
		return;
	for (size_t i = 0; i < k->naths; i++) {
		free(k->aths[i].bib);
		free(k->aths[i].vol);
	}
	free(k->aths);
	hmap_release(&k->athmap);
	for (size_t i = 0; i < k->ndevs; i++) {
		for (size_t j = 0; j < k->devs[i].n; j++) {
			free(k->devs[i].a[j].code);
			free(k->devs[i].a[j].vol);
			free(k->devs[i].a[j].by_vol);
		}
		free(k->devs[i].a);
		free(k->devs[i].id);
	}
	free(k->devs);
	hmap_release(&k->devmap);
	for (size_t i = 0; i < k->nrecs; i++)
		sl_buf_release(&k->recs[i]);
	free(k->recs);
	free(k->chg);
	free(k);
	c->ck = NULL;
}

static uint32_t ath_upsert(struct checkin *k, const char *bib, size_t n)
{
	bool added;
	uint32_t ai = *hmap_upsert(&k->athmap, bib, n, (uint32_t)k->naths, &added);
	if (added) {
		SL_GROW(k->aths, k->caths, k->naths + 1);
		k->aths[k->naths++] = (struct ath){.bib = sl_strndup(bib, n)};
	}
	return ai;
}

static uint32_t dev_upsert(struct checkin *k, const char *id, size_t n)
{
	bool added;
	uint32_t di = *hmap_upsert(&k->devmap, id, n, (uint32_t)k->ndevs, &added);
	if (added) {
		SL_GROW(k->devs, k->cdevs, k->ndevs + 1);
		k->devs[k->ndevs++] = (struct ckdev){.id = sl_strndup(id, n)};
	}
	return di;
}

static void mark(struct checkin *k, uint32_t ai)
{
	k->any = true;
	if (k->aths[ai].chg)
		return;
	k->aths[ai].chg = true;
	SL_GROW(k->chg, k->cchg, k->nchg + 1);
	k->chg[k->nchg++] = ai;
}

static bool str_field(const msgpack_object *m, const char *key, size_t maxn, bool required,
		      const char **s, size_t *n, const char *path, char *err, size_t errlen)
{
	int rc = slp_get_str(m, key, s, n);
	if (rc == SL_ENOENT && !required) {
		*s = NULL;
		*n = 0;
		return true;
	}
	if (rc < 0 || *n > maxn || (required && *n == 0) || memchr(*s, '\0', *n)) {
		cval_err(err, errlen, "%s%s: expected a string of %s to %zu bytes", path, key,
			 required ? "1" : "0", maxn);
		return false;
	}
	return true;
}

/* The participant a code names: bib, chip, or sl:<event>:<bib>. */
static uint32_t resolve(const core *c, const char *code, size_t n, int *w, const char **bib,
			size_t *bn)
{
	uint32_t pi, ci;
	*w = W_NONE;
	if (n > 3 && !memcmp(code, "sl:", 3)) {
		const char *ev = code + 3, *colon = memchr(ev, ':', n - 3);
		const char *mine = c->has_cfg ? c->cfg.event : "";
		if (!colon) {
			*w = W_UNKNOWN;
			return NONE32;
		}
		if ((size_t)(colon - ev) != strlen(mine) || memcmp(ev, mine, strlen(mine)) != 0) {
			*w = W_EVENT;
			return NONE32;
		}
		size_t skip = (size_t)(colon + 1 - code);
		code += skip;
		n -= skip;
	}
	if (n > 0 && hmap_get(&c->bibs, code, n, &pi)) {
		*bib = code;
		*bn = n;
		return pi;
	}
	char kb[136];
	if (n > 0 && n + 1 <= sizeof(kb)) {
		kb[0] = 'c';
		memcpy(kb + 1, code, n);
		if (hmap_get(&c->codemap, kb, n + 1, &ci) && c->codes[ci].pidx != NONE32) {
			pi = c->codes[ci].pidx;
			*bib = c->parts[pi].e.bib;
			*bn = strlen(*bib);
			return pi;
		}
	}
	*w = W_UNKNOWN;
	return NONE32;
}

static void keep_rec(struct checkin *k, const char *rec, size_t len)
{
	SL_GROW(k->recs, k->crecs, k->nrecs + 1);
	sl_buf_init(&k->recs[k->nrecs]);
	sl_buf_add(&k->recs[k->nrecs], rec, len);
	k->nrecs++;
}

static int fold_scans(core *c, const msgpack_object *root, const char *rec, size_t len, bool dry,
		      char *err, size_t errlen)
{
	const char *dev;
	size_t devn;
	int64_t seq;
	const msgpack_object_array *a;

	if (!str_field(root, "dev", 64, true, &dev, &devn, "", err, errlen))
		return SL_EINVAL;
	if (slp_get_int(root, "seq", &seq) < 0 || seq < 1) {
		cval_err(err, errlen, "seq: expected integer >= 1");
		return SL_EINVAL;
	}
	if (slp_get_arr(root, "scans", &a) < 0 || a->size < 1 || a->size > MAX_SCANS) {
		cval_err(err, errlen, "scans: expected an array of 1 to %d maps", MAX_SCANS);
		return SL_EINVAL;
	}
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *s = &a->ptr[i];
		char path[32];
		const char *x;
		size_t xn;
		int64_t t;
		snprintf(path, sizeof(path), "scans[%u].", i);
		if (s->type != MSGPACK_OBJECT_MAP) {
			cval_err(err, errlen, "scans[%u]: expected map", i);
			return SL_EINVAL;
		}
		if (!str_field(s, "code", 128, true, &x, &xn, path, err, errlen) ||
		    !str_field(s, "volunteer", 64, false, &x, &xn, path, err, errlen))
			return SL_EINVAL;
		if (slp_get_int(s, "t", &t) < 0) {
			cval_err(err, errlen, "scans[%u].t: expected integer", i);
			return SL_EINVAL;
		}
		if (t < T_MIN || t >= T_MAX) {
			cval_err(err, errlen, "scans[%u].t: %lld is not within the years 2000 to 2100",
				 i, (long long)t);
			return SL_ERANGE;
		}
		if (slp_get(s, "race") &&
		    (slp_get_str(s, "race", &x, &xn) < 0 || !cval_id_ok(x, xn))) {
			cval_err(err, errlen, "scans[%u].race: expected a race id", i);
			return SL_EINVAL;
		}
	}
	if (dry)
		return 0;

	struct checkin *k = ck_of(c);
	keep_rec(k, rec, len);
	uint32_t di = dev_upsert(k, dev, devn);
	for (uint32_t i = 0; i < a->size; i++) {
		uint64_t sq = (uint64_t)seq + i;
		if (sq <= k->devs[di].wm)
			continue; /* folded before: a resend */
		const msgpack_object *s = &a->ptr[i];
		const char *code, *vol, *race, *bib = NULL;
		size_t cn, vn, rn = 0, bn = 0;
		int64_t t;
		int w;
		slp_get_str(s, "code", &code, &cn);
		if (slp_get_str(s, "volunteer", &vol, &vn) != 0 || vn == 0)
			vol = NULL;
		if (slp_get_str(s, "race", &race, &rn) != 0)
			race = NULL;
		slp_get_int(s, "t", &t);
		uint32_t pi = resolve(c, code, cn, &w, &bib, &bn);
		struct ans an = {.seq = sq,
				 .code = sl_strndup(code, cn),
				 .vol = vol ? sl_strndup(vol, vn) : NULL,
				 .t = t,
				 .ath = NONE32,
				 .by_dev = NONE32};
		if (pi != NONE32) {
			const struct part *p = &c->parts[pi];
			uint32_t ai = ath_upsert(k, bib, bn);
			struct ath *at = &k->aths[ai];
			an.ath = ai;
			if (race && (p->race < 0 || !c->has_cfg ||
				     strlen(c->cfg.races[p->race].id) != rn ||
				     memcmp(c->cfg.races[p->race].id, race, rn) != 0)) {
				w = W_RACE;
			} else if (at->in) {
				w = W_ALREADY;
				an.by_dev = at->dev;
				an.by_vol = at->vol ? sl_strdup(at->vol) : NULL;
				an.by_t = at->t;
			} else {
				at->in = true;
				at->dev = di;
				free(at->vol);
				at->vol = vol ? sl_strndup(vol, vn) : NULL;
				at->t = t;
				at->seq = sq;
				mark(k, ai);
			}
		}
		an.w = (uint8_t)w;
		struct ckdev *d = &k->devs[di];
		SL_GROW(d->a, d->cap, d->n + 1);
		d->a[d->n++] = an;
		d->wm = sq;
		k->any = true;
	}
	return 0;
}

static int fold_undo(core *c, const msgpack_object *root, const char *rec, size_t len, bool dry,
		     char *err, size_t errlen)
{
	const char *bib, *x;
	size_t bn, xn;
	uint32_t pi, ai;

	if (!str_field(root, "bib", 64, true, &bib, &bn, "", err, errlen) ||
	    !str_field(root, "official", 64, true, &x, &xn, "", err, errlen) ||
	    !str_field(root, "reason", 256, false, &x, &xn, "", err, errlen))
		return SL_EINVAL;
	if (!hmap_get(&c->bibs, bib, bn, &pi)) {
		cval_err(err, errlen, "bib: '%.*s' is not registered", (int)bn, bib);
		return SL_ENOENT;
	}
	if (!c->ck || !hmap_get(&c->ck->athmap, bib, bn, &ai) || !c->ck->aths[ai].in) {
		cval_err(err, errlen, "bib: '%.*s' is not checked in", (int)bn, bib);
		return SL_ESTATE;
	}
	if (dry)
		return 0;
	struct checkin *k = c->ck;
	keep_rec(k, rec, len);
	struct ath *at = &k->aths[ai];
	at->in = false;
	at->undone++;
	free(at->vol);
	at->vol = NULL;
	mark(k, ai);
	return 0;
}

int checkin_fold(core *c, const msgpack_object *root, const char *rec, size_t len, bool undo,
		 bool dry, char *err, size_t errlen)
{
	return undo ? fold_undo(c, root, rec, len, dry, err, errlen)
		    : fold_scans(c, root, rec, len, dry, err, errlen);
}

void checkin_changes_clear(core *c)
{
	struct checkin *k = c->ck;
	if (!k)
		return;
	for (size_t i = 0; i < k->nchg; i++)
		k->aths[k->chg[i]].chg = false;
	k->nchg = 0;
	for (size_t i = 0; i < k->ndevs; i++)
		k->devs[i].nclear = k->devs[i].n;
	k->any = false;
}

bool checkin_changed(const core *c)
{
	return c->ck && c->ck->any;
}

/* ---- snapshots ----------------------------------------------------------- */

size_t checkin_nrecords(const core *c)
{
	return c->ck ? c->ck->nrecs : 0;
}

void checkin_snapshot_pack(const core *c, msgpack_packer *pk, sl_buf *out)
{
	size_t n = checkin_nrecords(c);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		sl_buf_add(out, c->ck->recs[i].data, c->ck->recs[i].len);
}

int checkin_snapshot_load(core *c, const msgpack_object *arr, char *err, size_t errlen)
{
	if (arr->type != MSGPACK_OBJECT_ARRAY) {
		cval_err(err, errlen, "snapshot.checkins: expected array");
		return SL_EPARSE;
	}
	for (uint32_t i = 0; i < arr->via.array.size; i++) {
		const msgpack_object *o = &arr->via.array.ptr[i];
		const char *k;
		size_t kn;
		char perr[200];
		if (o->type != MSGPACK_OBJECT_MAP || slp_get_str(o, "k", &k, &kn) != 0 ||
		    !((kn == 8 && !memcmp(k, "checkins", 8)) ||
		      (kn == 12 && !memcmp(k, "checkin_undo", 12)))) {
			cval_err(err, errlen, "snapshot.checkins[%u]: expected a checkins record", i);
			return SL_EPARSE;
		}
		sl_buf one = SL_BUF_INIT;
		msgpack_packer opk;
		slp_packer_init(&opk, &one);
		msgpack_pack_object(&opk, *o);
		int rc = checkin_fold(c, o, one.data, one.len, kn == 12, false, perr, sizeof(perr));
		sl_buf_release(&one);
		if (rc < 0) {
			cval_err(err, errlen, "snapshot.checkins[%u]: %s", i, perr);
			return SL_EPARSE;
		}
	}
	return 0;
}

/* ---- queries ------------------------------------------------------------- */

static const struct ath *ath_of(const core *c, const char *bib, size_t n)
{
	uint32_t ai;
	if (!c->ck || !hmap_get(&c->ck->athmap, bib, n, &ai))
		return NULL;
	return &c->ck->aths[ai];
}

int checkin_get(const core *c, const char *bib, struct checkin_info *out)
{
	uint32_t pi;
	memset(out, 0, sizeof(*out));
	if (!hmap_get(&c->bibs, bib, strlen(bib), &pi))
		return SL_ENOENT;
	const struct ath *a = ath_of(c, bib, strlen(bib));
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
	return race < 0 || p->race == race;
}

static bool is_in(const core *c, const struct part *p)
{
	const struct ath *a = ath_of(c, p->e.bib, strlen(p->e.bib));
	return a && a->in;
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
		*checked_in += is_in(c, p);
	}
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
	*warning = wnames[d->a[lo].w];
	*bib = d->a[lo].ath != NONE32 ? c->ck->aths[d->a[lo].ath].bib : "";
	return 0;
}

/* ---- topics -------------------------------------------------------------- */

enum { CT_SCANS, CT_COUNTS };

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
	if (pfx(s, n, "checkin/", &off)) {
		*kind = CT_COUNTS;
		if (!cval_id_ok(s + off, n - off))
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

static void pack_part(const core *c, msgpack_packer *pk, uint32_t pi)
{
	const struct part *p = &c->parts[pi];
	const struct cfg_race *r = p->race >= 0 && c->has_cfg ? &c->cfg.races[p->race] : NULL;
	slp_pack_kv_str(pk, "bib", p->e.bib);
	slp_pack_kv_str(pk, "name", p->e.name);
	slp_pack_key(pk, "race");
	if (r)
		slp_pack_str(pk, r->id);
	else
		msgpack_pack_nil(pk);
	slp_pack_key(pk, "wave");
	if (r && p->wave >= 0 && (size_t)p->wave < r->nwaves)
		slp_pack_str(pk, r->waves[p->wave].id);
	else
		msgpack_pack_nil(pk);
	slp_pack_key(pk, "chips");
	msgpack_pack_array(pk, p->e.nchips);
	for (int i = 0; i < p->e.nchips; i++)
		slp_pack_str(pk, p->e.chips[i]);
}

static void opt_str(msgpack_packer *pk, const char *k, const char *v)
{
	slp_pack_key(pk, k);
	if (v)
		slp_pack_str(pk, v);
	else
		msgpack_pack_nil(pk);
}

/*
 * One answer: {"seq","code","t","volunteer","ok","warning","msg", and when
 * an athlete was found "bib","name","race","wave","chips"; with
 * already_checked_in "by":{"dev","volunteer","t"}}.
 */
static void pack_ans(const core *c, msgpack_packer *pk, const struct ans *a)
{
	const struct checkin *k = c->ck;
	uint32_t pi = NONE32;
	if (a->ath != NONE32) {
		const char *bib = k->aths[a->ath].bib;
		if (!hmap_get(&c->bibs, bib, strlen(bib), &pi))
			pi = NONE32;
	}
	sl_buf msg = SL_BUF_INIT;
	switch (a->w) {
	case W_NONE:
		sl_buf_adds(&msg, "checked in");
		break;
	case W_ALREADY:
		sl_buf_addf(&msg, "already checked in by %s on %s at ",
			    a->by_vol ? a->by_vol : "?", k->devs[a->by_dev].id);
		sl_fmt_iso(&msg, a->by_t);
		break;
	case W_UNKNOWN:
		sl_buf_addf(&msg, "unknown code '%s'", a->code);
		break;
	case W_EVENT:
		sl_buf_addf(&msg, "code '%s' is for another event", a->code);
		break;
	case W_RACE:
		sl_buf_adds(&msg, "not registered for this race");
		break;
	}
	msgpack_pack_map(pk, 7 + (pi != NONE32 ? 5 : 0) + (a->w == W_ALREADY));
	slp_pack_key(pk, "seq");
	msgpack_pack_uint64(pk, a->seq);
	slp_pack_kv_str(pk, "code", a->code);
	slp_pack_kv_int(pk, "t", a->t);
	opt_str(pk, "volunteer", a->vol);
	slp_pack_kv_bool(pk, "ok", a->w == W_NONE);
	opt_str(pk, "warning", a->w == W_NONE ? NULL : wnames[a->w]);
	slp_pack_kv_str(pk, "msg", msg.data);
	if (pi != NONE32)
		pack_part(c, pk, pi);
	if (a->w == W_ALREADY) {
		slp_pack_key(pk, "by");
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "dev", k->devs[a->by_dev].id);
		opt_str(pk, "volunteer", a->by_vol);
		slp_pack_kv_int(pk, "t", a->by_t);
	}
	sl_buf_release(&msg);
}

static void head(msgpack_packer *pk, const char *type, const char *topic, size_t n,
		 size_t total, size_t extra)
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
		bool x = is_in(c, p);
		in += x;
		if (p->wave >= 0 && (size_t)p->wave < r->nwaves) {
			nw[2 * p->wave]++;
			nw[2 * p->wave + 1] += x;
		}
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
	return n;
}

/* A no-show (or changed) row: the athlete and "in". */
static void pack_nsrow(const core *c, msgpack_packer *pk, uint32_t pi)
{
	msgpack_pack_map(pk, 6);
	pack_part(c, pk, pi);
	slp_pack_kv_bool(pk, "in", is_in(c, &c->parts[pi]));
}

static int bib_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	return entry_bib_cmp(c->parts[*(const uint32_t *)a].e.bib,
			     c->parts[*(const uint32_t *)b].e.bib);
}

bool checkin_topic_snapshot(const core *c, const char *topic, size_t n, size_t offset,
			    size_t limit, msgpack_packer *pk, int *rc)
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
			pack_ans(c, pk, &d->a[i]);
		return true;
	}
	/* checkin/<race>: counts, and the no-shows by bib (from offset, limit) */
	uint32_t *ids = sl_malloc((c->nparts + 1) * sizeof(*ids));
	size_t m = 0;
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i].race == race && !is_in(c, &c->parts[i]))
			ids[m++] = (uint32_t)i;
	qsort_r(ids, m, sizeof(*ids), bib_qcmp, (void *)c);
	size_t from = offset < m ? offset : m, cnt = m - from;
	if (limit && limit < cnt)
		cnt = limit;
	head(pk, "snapshot", topic, n, race_n(c, race), 6);
	slp_pack_kv_int(pk, "offset", (int64_t)offset);
	slp_pack_kv_int(pk, "no_shows", (int64_t)m);
	pack_counts(c, pk, race);
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, cnt);
	for (size_t i = 0; i < cnt; i++)
		pack_nsrow(c, pk, ids[from + i]);
	free(ids);
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
			pack_ans(c, pk, &d->a[i]);
		return true;
	}
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
			ns += c->parts[i].race == race && !is_in(c, &c->parts[i]);
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

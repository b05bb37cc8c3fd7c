/*
 * snapshot.c: the whole state of a core as one msgpack map, and back.
 *
 * Only facts are saved; load rebuilds the derived state (resolution,
 * crossings, trees) with core__rebuild(), the same code a config change
 * runs.  The map, in this key order:
 *
 *   v        3 (2 is read too)
 *   records  records folded
 *   config   the config map as received, or nil
 *   waves    [[race, wave, t0], ...]  wave_start overrides, in arrival order
 *   pts      [point id, ...]          interned point ids, in index order
 *   codes    [[ns, code], ...]        ns 0 chip, 1 bib, in index order
 *   rows     [participant row, ...]   in participant index order
 *   reads    [code, pt, t, kind, ...] four integers per read, in fold order;
 *                                     kind + 16: the read is void
 *   devs     [[device, seq, segs], ...] watermarks, in first-seen order;
 *                                     segs [seq, read, n, ...]: where its
 *                                     reads are (v 2: no segs)
 *   adjs     [adjust record, ...]     officials' decisions, only when some
 *   rrecs    [record, ...]            race_official and lineup records, only
 *                                     when some
 *   pend     [participant row, ...]   registrations without a bib, only when
 *                                     some
 *   checkins {aths, devs, audit}      check-in state (checkin.c), only when
 *                                     some; loaded after the rest
 *
 * Load recreates every index in the same order (points, codes, then
 * participants, reads), so a loaded core is the saved core: folding the
 * rest of the log gives the same exports and the same snapshot bytes as
 * folding everything.  Load needs an empty core; on a bad snapshot it
 * empties the core again and says which part is wrong.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "slp.h"

void core_snapshot_save(const core *c, sl_buf *out)
{
	msgpack_packer pk;
	slp_packer_init(&pk, out);
	/* "adjs" and "rrecs" only when there are some */
	msgpack_pack_map(&pk,
			 9 + (c->nadjs > 0) + (c->nrrecs > 0) + (c->npend > 0) + checkin_any(c));
	slp_pack_kv_int(&pk, "v", 3);
	slp_pack_kv_int(&pk, "records", (int64_t)c->nrecords);
	slp_pack_key(&pk, "config");
	if (c->has_cfg)
		sl_buf_add(out, c->cfg_mp.data, c->cfg_mp.len); /* packer writes straight through */
	else
		msgpack_pack_nil(&pk);

	slp_pack_key(&pk, "waves");
	msgpack_pack_array(&pk, c->novr);
	for (size_t i = 0; i < c->novr; i++) {
		msgpack_pack_array(&pk, 3);
		slp_pack_str(&pk, c->ovr[i].race);
		slp_pack_str(&pk, c->ovr[i].wave);
		msgpack_pack_int64(&pk, c->ovr[i].t0);
	}
	slp_pack_key(&pk, "pts");
	msgpack_pack_array(&pk, c->ngpts);
	for (size_t i = 0; i < c->ngpts; i++)
		slp_pack_str(&pk, c->gpts[i]);
	slp_pack_key(&pk, "codes");
	msgpack_pack_array(&pk, c->ncodes);
	for (size_t i = 0; i < c->ncodes; i++) {
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int(&pk, c->codes[i].ns);
		slp_pack_strn(&pk, c->codes[i].s, c->codes[i].len);
	}
	slp_pack_key(&pk, "rows");
	msgpack_pack_array(&pk, c->nparts);
	for (size_t i = 0; i < c->nparts; i++)
		entry_pack(&pk, &c->parts[i].e);
	slp_pack_key(&pk, "reads");
	msgpack_pack_array(&pk, 4 * c->nreads);
	for (size_t i = 0; i < c->nreads; i++) {
		const struct rd *r = &c->reads[i];
		msgpack_pack_uint32(&pk, r->code);
		msgpack_pack_uint32(&pk, r->gpt);
		msgpack_pack_int64(&pk, r->t);
		msgpack_pack_int(&pk, r->kind + (r->vd ? 16 : 0));
	}
	slp_pack_key(&pk, "devs");
	msgpack_pack_array(&pk, c->ndevs);
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct dev *d = &c->devs[i];
		msgpack_pack_array(&pk, 3);
		slp_pack_str(&pk, d->id);
		msgpack_pack_uint64(&pk, d->seq);
		msgpack_pack_array(&pk, 3 * d->nseg);
		for (size_t s = 0; s < d->nseg; s++) {
			msgpack_pack_uint64(&pk, d->seg[s].seq);
			msgpack_pack_uint32(&pk, d->seg[s].ri);
			msgpack_pack_uint32(&pk, d->seg[s].n);
		}
	}
	if (c->nadjs) {
		slp_pack_key(&pk, "adjs");
		msgpack_pack_array(&pk, c->nadjs);
		for (size_t i = 0; i < c->nadjs; i++)
			adj_pack(&pk, &c->adjs[i]);
	}
	if (c->nrrecs) {
		slp_pack_key(&pk, "rrecs");
		msgpack_pack_array(&pk, c->nrrecs);
		for (size_t i = 0; i < c->nrrecs; i++)
			sl_buf_add(out, c->rrecs[i].data, c->rrecs[i].len);
	}
	if (c->npend) {
		size_t live = 0;
		for (size_t i = 0; i < c->npend; i++)
			live += c->pend[i].reg != NULL;
		slp_pack_key(&pk, "pend");
		msgpack_pack_array(&pk, live);
		for (size_t i = 0; i < c->npend; i++)
			if (c->pend[i].reg)
				entry_pack(&pk, &c->pend[i]);
	}
	if (checkin_any(c)) {
		slp_pack_key(&pk, "checkins");
		checkin_snapshot_pack(c, &pk);
	}
}

static const msgpack_object_array *arr(const msgpack_object *root, const char *key)
{
	const msgpack_object_array *a;
	return slp_get_arr(root, key, &a) == 0 ? a : NULL;
}

static bool tuple(const msgpack_object *o, uint32_t n)
{
	return o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == n;
}

static bool str_ok(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size > 0 && o->via.str.size <= 1024 &&
	       !memchr(o->via.str.ptr, '\0', o->via.str.size);
}

/*
 * The steps of a load, in the order they must run: point ids and codes get
 * the indices the reads refer to; rows before reads, so that reads fold
 * into their participants.  Each returns 0 or SL_EPARSE with the sentence.
 * A step that starts from an array the snapshot must have (load_steps[]
 * names its key) gets it in a, checked; the others get NULL.
 */
typedef int load_step(core *c, const msgpack_object *root, const msgpack_object_array *a, char *err,
		      size_t errlen);

static int load_waves(core *c, const msgpack_object *root, const msgpack_object_array *a, char *err,
		      size_t errlen)
{
	(void)root;
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *w = &a->ptr[i];
		int64_t t0;
		if (!tuple(w, 3) || !str_ok(&w->via.array.ptr[0]) ||
		    !str_ok(&w->via.array.ptr[1]) || slp_as_int(&w->via.array.ptr[2], &t0) < 0)
			CVAL_FAIL(SL_EPARSE, "snapshot.waves[%u]: expected [race, wave, t0]", i);
		char *race = cval_id_obj(&w->via.array.ptr[0]);
		char *wave = cval_id_obj(&w->via.array.ptr[1]);
		core__set_override(c, race, wave, t0); /* no config yet: stored only */
		free(race);
		free(wave);
	}
	return 0;
}

static int load_points_codes(core *c, const msgpack_object *root, const msgpack_object_array *a,
			     char *err, size_t errlen)
{
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];
		if (o->type != MSGPACK_OBJECT_STR ||
		    core__gpt_intern(c, o->via.str.ptr, o->via.str.size) != i)
			CVAL_FAIL(SL_EPARSE, "snapshot.pts[%u]: expected a new point id", i);
	}
	if (!(a = arr(root, "codes")))
		CVAL_FAIL(SL_EPARSE, "snapshot.codes: expected array");
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];
		int64_t ns;
		if (!tuple(o, 2) || slp_as_int(&o->via.array.ptr[0], &ns) < 0 || ns < 0 || ns > 1 ||
		    !str_ok(&o->via.array.ptr[1]) ||
		    core__code_upsert(c, (int)ns, o->via.array.ptr[1].via.str.ptr,
				      o->via.array.ptr[1].via.str.size) != i)
			CVAL_FAIL(SL_EPARSE, "snapshot.codes[%u]: expected a new [ns, code]", i);
	}
	return 0;
}

static int load_entries(core *c, const msgpack_object *root, const msgpack_object_array *a,
			char *err, size_t errlen)
{
	struct entry e;
	char path[48], perr[200];
	for (uint32_t i = 0; i < a->size; i++) {
		snprintf(path, sizeof(path), "snapshot.rows[%u]", i);
		if (entry_parse(&a->ptr[i], &e, path, perr, sizeof(perr)) < 0)
			CVAL_FAIL(SL_EPARSE, "%s", perr);
		core__put_entry(c, &e, false);
	}
	a = arr(root, "pend");
	for (uint32_t i = 0; a && i < a->size; i++) {
		snprintf(path, sizeof(path), "snapshot.pend[%u]", i);
		if (entry_parse(&a->ptr[i], &e, path, perr, sizeof(perr)) < 0)
			CVAL_FAIL(SL_EPARSE, "%s", perr);
		if (e.bib || !e.reg) {
			entry_release(&e);
			CVAL_FAIL(SL_EPARSE, "%s: expected a registration without a bib", path);
		}
		core__put_pending(c, &e);
	}
	return 0;
}

/* A device's segments [seq, read, n, ...]: in seq order, within the reads. */
static int load_segs(core *c, uint32_t di, const msgpack_object *o)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size % 3)
		return -1;
	const msgpack_object *v = o->via.array.ptr;
	uint64_t next = 1;
	for (uint32_t i = 0; i < o->via.array.size; i += 3) {
		int64_t seq, ri, n;
		if (slp_as_int(&v[i], &seq) < 0 || slp_as_int(&v[i + 1], &ri) < 0 ||
		    slp_as_int(&v[i + 2], &n) < 0 || seq < (int64_t)next ||
		    (uint64_t)seq > SL_SEQ_MAX || n < 1 ||
		    (uint64_t)n - 1 > SL_SEQ_MAX - (uint64_t)seq || /* the last seq is <= 2^53-1 */ ri < 0 || (uint64_t)ri > c->nreads ||
		    (uint64_t)n > c->nreads - (uint64_t)ri)
			return -1;
		SL_GROW(c->devs[di].seg, c->devs[di].cseg, c->devs[di].nseg + 1);
		c->devs[di].seg[c->devs[di].nseg++] =
			(struct rseg){(uint64_t)seq, (uint32_t)ri, (uint32_t)n};
		next = (uint64_t)(seq + n);
	}
	return 0;
}

static int load_reads(core *c, const msgpack_object *root, const msgpack_object_array *a, char *err,
		      size_t errlen)
{
	a = arr(root, "reads");
	if (!a || a->size % 4)
		CVAL_FAIL(SL_EPARSE, "snapshot.reads: expected an array of 4 integers per read");
	for (uint32_t i = 0; i < a->size; i += 4) {
		int64_t ci, g, t, kind;
		if (slp_as_int(&a->ptr[i], &ci) < 0 || ci < 0 || (size_t)ci >= c->ncodes ||
		    slp_as_int(&a->ptr[i + 1], &g) < 0 || g < 0 || (size_t)g >= c->ngpts ||
		    slp_as_int(&a->ptr[i + 2], &t) < 0 || slp_as_int(&a->ptr[i + 3], &kind) < 0 ||
		    (kind & 15) < SLP_KIND_RFID || (kind & 15) > SLP_KIND_BACKUP || kind & ~31)
			CVAL_FAIL(SL_EPARSE, "snapshot.reads[%u]: expected code, point, time, kind",
				  i / 4);
		core__add_read(c, (uint32_t)ci, (uint32_t)g, t, (int)(kind & 15));
		if (kind & 16)
			core__read_void(c, (uint32_t)c->nreads - 1, true);
	}
	if (!(a = arr(root, "devs")))
		CVAL_FAIL(SL_EPARSE, "snapshot.devs: expected array");
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];
		int64_t seq;
		if (!(tuple(o, 2) || tuple(o, 3)) || !str_ok(&o->via.array.ptr[0]) ||
		    slp_as_int(&o->via.array.ptr[1], &seq) < 0 || seq < 0)
			CVAL_FAIL(SL_EPARSE, "snapshot.devs[%u]: expected [device, seq, segments]", i);
		uint32_t di = core__dev_index(c, o->via.array.ptr[0].via.str.ptr,
					      o->via.array.ptr[0].via.str.size);
		c->devs[di].seq = (uint64_t)seq;
		if (o->via.array.size == 3 && load_segs(c, di, &o->via.array.ptr[2]) < 0)
			CVAL_FAIL(SL_EPARSE,
				  "snapshot.devs[%u]: segments: expected [seq, read, n, ...] of "
				  "reads that exist, in seq order",
				  i);
	}
	return 0;
}

/* Officials' adjustments, and their race records as they came. */
static int load_decisions(core *c, const msgpack_object *root, const msgpack_object_array *a,
			  char *err, size_t errlen)
{
	char perr[200];
	a = arr(root, "adjs");
	for (uint32_t i = 0; a && i < a->size; i++) {
		struct adj_rec ar;
		if (adj_parse(&a->ptr[i], &ar, perr, sizeof(perr)) < 0)
			CVAL_FAIL(SL_EPARSE, "snapshot.adjs[%u]: %s", i, perr);
		core__add_adj(c, &ar, false);
	}
	a = arr(root, "rrecs");
	for (uint32_t i = 0; a && i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];
		const char *k;
		size_t kn;
		sl_buf one = SL_BUF_INIT;
		msgpack_packer opk;
		bool corr = false;
		if (o->type != MSGPACK_OBJECT_MAP || slp_get_str(o, "k", &k, &kn) != 0 ||
		    !((kn == 6 && !memcmp(k, "lineup", 6)) ||
		      (kn == 13 && !memcmp(k, "race_official", 13)) ||
		      (corr = kn == 14 && !memcmp(k, "race_corrected", 14))))
			CVAL_FAIL(SL_EPARSE,
				  "snapshot.rrecs[%u]: expected a race_official, lineup or "
				  "race_corrected record",
				  i);
		slp_packer_init(&opk, &one);
		msgpack_pack_object(&opk, *o);
		int r2 = corr ? core__race_corrected_load(c, o, one.data, one.len, perr,
							  sizeof(perr))
			      : core__race_record(c, o, one.data, one.len, kn == 6, 2, perr,
						  sizeof(perr));
		sl_buf_release(&one);
		if (r2 < 0)
			CVAL_FAIL(SL_EPARSE, "snapshot.rrecs[%u]: %s", i, perr);
	}
	return 0;
}

static const struct {
	const char *key; /* the array the step starts from, or NULL */
	load_step *load;
} load_steps[] = {
	{"waves", load_waves}, {"pts", load_points_codes}, {"rows", load_entries},
	{NULL, load_reads},    {NULL, load_decisions},
};

int core_snapshot_load(core *c, const char *buf, size_t len, char *err, size_t errlen)
{
	msgpack_zone z;
	msgpack_object root;
	const msgpack_object *cfgo;
	struct cfg cfg;
	size_t off = 0;
	int64_t v;
	int rc = 0;

	memset(&cfg, 0, sizeof(cfg));
	if (c->has_cfg || c->nparts || c->npend || c->nreads || c->ncodes || c->ndevs || c->novr ||
	    c->nrecords) {
		cval_err(err, errlen, "snapshot: the core is not empty");
		return SL_ESTATE;
	}
	msgpack_zone_init(&z, 1 << 16);
	if (slp_check_bounds(buf, len, NULL, 0) < 0 || /* counts backed by bytes */
	    msgpack_unpack(buf, len, &off, &z, &root) != MSGPACK_UNPACK_SUCCESS ||
	    root.type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL_OUT(SL_EPARSE, "snapshot: malformed msgpack");
	if (slp_get_int(&root, "v", &v) < 0 || v < 2 || v > 3) /* 2: no read segments */
		CVAL_FAIL_OUT(SL_EPARSE, "snapshot.v: expected 2 or 3");
	if (slp_get_int(&root, "records", &v) < 0 || v < 0)
		CVAL_FAIL_OUT(SL_EPARSE, "snapshot.records: expected integer");
	uint64_t nrec = (uint64_t)v;

	cfgo = slp_get(&root, "config");
	if (cfgo && cfgo->type != MSGPACK_OBJECT_NIL) {
		char cerr[200];
		if (cfg_parse(cfgo, &cfg, 0, cerr, sizeof(cerr)) < 0)
			CVAL_FAIL_OUT(SL_EPARSE, "snapshot.config: %s", cerr);
	}
	for (size_t i = 0; i < sizeof(load_steps) / sizeof(load_steps[0]); i++) {
		const char *key = load_steps[i].key;
		const msgpack_object_array *a = NULL;
		if (key && !(a = arr(&root, key)))
			CVAL_FAIL_OUT(SL_EPARSE, "snapshot.%s: expected array", key);
		if ((rc = load_steps[i].load(c, &root, a, err, errlen)) < 0)
			goto out;
	}
	if (cfgo && cfgo->type != MSGPACK_OBJECT_NIL)
		core__install_cfg(c, &cfg, cfgo); /* rebuilds the derived state */
	else
		core__rebuild(c);
	if ((cfgo = slp_get(&root, "checkins"))) {
		char perr[240];
		if (checkin_snapshot_load(c, cfgo, perr, sizeof(perr)) < 0)
			CVAL_FAIL_OUT(SL_EPARSE, "%s", perr);
	}
	c->nrecords = nrec;
	core_changes_clear(c);
	c->chg_all = c->chg_status = true;
out:
	if (rc < 0) {
		cfg_release(&cfg);
		core__reset(c);
	}
	msgpack_zone_destroy(&z);
	return rc;
}

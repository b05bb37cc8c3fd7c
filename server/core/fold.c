/*
 * fold.c: record dispatch.  A log record is decoded, validated as a whole,
 * and only then applied, so an error changes nothing.  Its kind ("k")
 * picks the handler from one table (kinds[]); applying stores facts
 * (config, entries, reads, watermarks, wave starts, adjustments) and queues
 * the participants they touch, and at the end of the record each queued
 * participant is recomputed once (crossing.c).  A new config or a wave
 * start recomputes all it touches and sets chg_all so views send fresh
 * snapshots.
 *
 * A plain passings record is read straight from its bytes (protocol/mpr.c)
 * and skips the object tree; anything else goes through msgpack_unpack.
 * The record being folded is described in c->cur (who, why, when) for the
 * corrections of official races and the audit trail (audit.c).
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "mpr.h"
#include "slid.h"
#include "slp.h"

/* One record being folded: what its kind's handler gets. */
struct rec {
	const msgpack_object *root; /* the record's map */
	msgpack_zone *zone;         /* the record's zone, for decoding more */
	const slp_batch *raw;       /* passings already read from the bytes, or NULL */
	const char *bytes;          /* the record as received */
	size_t len;
	bool dry;    /* only check (core_check) */
	size_t *row; /* participants: the row at fault, or NULL */
};

/*
 * A record kind: its handler (check, then unless dry apply; 0 or a negative
 * SL_E* with the sentence in err) and how a change it makes to an official
 * race is described (describe()).
 */
struct kind {
	const char *k;
	int (*fn)(core *c, const struct rec *r, char *err, size_t errlen);
	bool corrects;    /* false: corrects nothing (race_official, lineup) */
	bool bulk;        /* rebuilds everything: compared by digest */
	const char *what; /* the correction's why without reason or device */
	const char *from; /* what a device sends in it: "reads", "scans" */
};
static const struct kind *kind_find(const char *k, size_t kn);

/*
 * What a record would correct in a race that is official (c->cur): who,
 * why, when.  Officials' records say it themselves (official, reason);
 * device input is "reads from device D"; race_official and lineup correct
 * nothing.  kd: the record's kind, NULL when unknown.
 */
static void describe(core *c, const msgpack_object *root, const struct kind *kd,
		     const slp_batch *raw)
{
	memset(&c->cur, 0, sizeof(c->cur));
	c->cur.gen = ++c->rec_gen;
	if (raw)
		c->cur.at = raw->rx; /* root is a stand-in without it */
	else
		slp_get_int(root, "rx", &c->cur.at);
	if (kd && !kd->corrects)
		return;
	if (slp_get_str(root, "reason", &c->cur.why, &c->cur.whylen) == 0 && c->cur.whylen) {
		slp_get_str(root, "official", &c->cur.by, &c->cur.bylen);
		return;
	}
	const char *dev = raw ? raw->dev : NULL;
	size_t dn = raw ? raw->dev_len : 0;
	if (!dev)
		slp_get_str(root, "dev", &dev, &dn);
	if (dev && dn) {
		int n = snprintf(c->cur.buf, sizeof(c->cur.buf), "%s from device '%.*s'",
				 kd ? kd->from : "scans", (int)(dn > 64 ? 64 : dn), dev);
		c->cur.why = c->cur.buf;
		c->cur.whylen = (size_t)n;
		c->cur.by = dev;
		c->cur.bylen = dn;
		return;
	}
	c->cur.bulk = kd && kd->bulk;
	int n = snprintf(c->cur.buf, sizeof(c->cur.buf), "%s", kd ? kd->what : "record");
	c->cur.why = c->cur.buf;
	c->cur.whylen = (size_t)n;
}

static int do_config(core *c, const struct rec *r, char *err, size_t errlen)
{
	const msgpack_object *root = r->root;
	bool dry = r->dry;
	const msgpack_object *m;
	struct cfg cfg;
	int rc = slp_get_map(root, "config", &m);
	if (rc == SL_ENOENT)
		CVAL_FAIL(SL_EINVAL, "config: required");
	if (rc < 0)
		CVAL_FAIL(SL_EINVAL, "config: expected map");
	/* core_check (dry) judges a config sent now; the log's are facts */
	if ((rc = cfg_parse(m, &cfg, dry ? CFG_STRICT : 0, err, errlen)) < 0)
		return rc;
	if (c->has_cfg && strcmp(cfg.event, c->cfg.event) != 0) {
		cval_err(err, errlen, "event: '%s' is not this event '%s'", cfg.event,
			 c->cfg.event);
		cfg_release(&cfg);
		return SL_EINVAL;
	}
	if (dry) {
		cfg_release(&cfg);
		return 0;
	}
	core__install_cfg(c, &cfg, m);
	return 0;
}

/* What the rows of one participants record claim, checked row by row. */
struct rows_seen {
	hmap chips, bibs, regs; /* -> row */
};

/*
 * Row i of a participants record, parsed into es[i] and checked against the
 * rows before it and the core.  On error es[i] holds nothing.
 */
static int check_row(const core *c, const msgpack_object *row, struct entry *es, size_t i,
		     struct rows_seen *seen, char *err, size_t errlen)
{
	struct entry *e = &es[i];
	char path[48];
	int rc;
	snprintf(path, sizeof(path), "rows[%zu]", i);
	if ((rc = entry_parse(row, e, path, err, errlen)) < 0)
		return rc;
	int ri = 0;
	if (e->race) {
		if ((ri = cfg_race_find(&c->cfg, e->race, strlen(e->race))) < 0)
			CVAL_FAIL_OUT(SL_EINVAL, "%s.race: no race '%s'", path, e->race);
	} else if (c->cfg.nraces > 1 && !e->blank) {
		CVAL_FAIL_OUT(SL_EINVAL, "%s.race: required when the event has several races",
			      path);
	}
	if (e->wave && cfg_wave_find(&c->cfg.races[ri], e->wave, strlen(e->wave)) < 0)
		CVAL_FAIL_OUT(SL_EINVAL, "%s.wave: no wave '%s' in race '%s'", path, e->wave,
			      c->cfg.races[ri].id);
	if (e->reg) {
		bool added;
		uint32_t pi, q,
			*o = hmap_upsert(&seen->regs, e->reg, strlen(e->reg), (uint32_t)i, &added);
		if (!added)
			CVAL_FAIL_OUT(SL_EINVAL, "%s.reg: '%s' is also in rows[%u]", path, e->reg,
				      *o);
		if (core__reg_find(c, e->reg, strlen(e->reg), &pi, &q) == 1) {
			/* given a bib at pickup: the row updates that athlete,
			 * keeping the bib and, when it names none, the chips */
			const struct entry *pe = &c->parts[pi].e;
			if (!e->bib) {
				e->bib = sl_strdup(pe->bib);
				if (!e->nchips) {
					for (int k = 0; k < pe->nchips; k++)
						e->chips[k] = sl_strdup(pe->chips[k]);
					e->nchips = pe->nchips;
				}
			} else if (strcmp(e->bib, pe->bib) != 0) {
				CVAL_FAIL_OUT(SL_EINVAL, "%s.reg: '%s' belongs to bib '%s'", path,
					      e->reg, pe->bib);
			}
		}
	}
	if (!e->bib) {
		if (e->nchips)
			CVAL_FAIL_OUT(
				SL_EINVAL,
				"%s.chips: a registration without a bib gets its chip at pickup",
				path);
		return 0;
	}
	uint32_t held;
	if (e->blank && hmap_get(&c->bibs, e->bib, strlen(e->bib), &held) &&
	    !c->parts[held].e.blank)
		CVAL_FAIL_OUT(SL_EINVAL, "%s.blank: bib '%s' is already given to '%s'", path,
			      e->bib, c->parts[held].e.name);
	hmap_set(&seen->bibs, e->bib, strlen(e->bib), (uint32_t)i);
	for (int k = 0; k < e->nchips; k++) {
		bool added;
		uint32_t *o = hmap_upsert(&seen->chips, e->chips[k], strlen(e->chips[k]),
					  (uint32_t)i, &added);
		if (!added && strcmp(es[*o].bib, e->bib) != 0)
			CVAL_FAIL_OUT(SL_EINVAL,
				      "%s.chips[%d]: chip '%s' is also given to bib '%s'", path, k,
				      e->chips[k], es[*o].bib);
		*o = (uint32_t)i;
	}
out:
	if (rc < 0)
		entry_release(e);
	return rc;
}

/*
 * Every row of a participants record into es; on error es holds nothing
 * and *bad is the row at fault.
 */
static int check_rows(const core *c, const msgpack_object_array *a, struct entry *es, char *err,
		      size_t errlen, size_t *bad)
{
	struct rows_seen seen = {HMAP_INIT, HMAP_INIT, HMAP_INIT};
	int rc = 0;
	size_t i, n = 0; /* es[0 .. n) hold entries */

	for (i = 0; i < a->size; i++, n++)
		if ((rc = check_row(c, &a->ptr[i], es, i, &seen, err, errlen)) < 0)
			goto out;
	/* A chip may move to another bib only when its holder is re-imported. */
	for (i = 0; i < a->size; i++) {
		const struct entry *e = &es[i];
		for (int k = 0; k < e->nchips; k++) {
			uint32_t ci, dummy;
			if (!core__code_find(c, NS_CHIP, e->chips[k], strlen(e->chips[k]), &ci))
				continue;
			uint32_t owner = c->codes[ci].pidx;
			if (owner == NONE32)
				continue;
			const char *ob = c->parts[owner].e.bib;
			if (strcmp(ob, e->bib) != 0 &&
			    !hmap_get(&seen.bibs, ob, strlen(ob), &dummy)) {
				cval_err(err, errlen,
					 "rows[%zu].chips[%d]: chip '%s' belongs to bib '%s'", i, k,
					 e->chips[k], ob);
				rc = SL_EINVAL;
				goto out;
			}
		}
	}
out:
	if (rc < 0) {
		*bad = i;
		for (size_t j = 0; j < n; j++)
			entry_release(&es[j]);
	}
	hmap_release(&seen.chips);
	hmap_release(&seen.bibs);
	hmap_release(&seen.regs);
	return rc;
}

static int do_participants(core *c, const struct rec *r, char *err, size_t errlen)
{
	const msgpack_object *root = r->root;
	bool dry = r->dry;
	const msgpack_object_array *a;
	if (!c->has_cfg)
		CVAL_FAIL(SL_ESTATE, "participants: no event config yet");
	int rc = slp_get_arr(root, "rows", &a);
	if (rc == SL_ENOENT)
		CVAL_FAIL(SL_EINVAL, "rows: required");
	if (rc < 0)
		CVAL_FAIL(SL_EINVAL, "rows: expected array");
	struct entry *es = sl_calloc(a->size ? a->size : 1, sizeof(*es));
	size_t bad;
	if ((rc = check_rows(c, a, es, err, errlen, &bad)) < 0) {
		if (r->row)
			*r->row = bad;
		free(es);
		return rc;
	}
	for (uint32_t i = 0; i < a->size; i++) {
		uint32_t pi, q;
		if (dry) {
			entry_release(&es[i]);
		} else if (!es[i].bib) {
			core__put_pending(c, &es[i]);
		} else {
			if (es[i].reg &&
			    core__reg_find(c, es[i].reg, strlen(es[i].reg), &pi, &q) == 2)
				entry_release(&c->pend[q]); /* the registration got its bib */
			core__put_entry(c, &es[i], true);
		}
	}
	free(es);
	if (!dry)
		core__recount(c);
	return 0;
}

/* r->raw: the batch already read by mpr_passings(), or NULL to parse root. */
static int do_passings(core *c, const struct rec *r, char *err, size_t errlen)
{
	const slp_batch *raw = r->raw;
	bool dry = r->dry;
	slp_batch b;
	int rc = 0;
	if (raw)
		b = *raw;
	else
		rc = slp_batch_parse(r->root, r->zone, &b, err, errlen);
	if (rc < 0)
		return rc;
	if (!b.dev || !b.dev_len)
		CVAL_FAIL(SL_EINVAL, "dev: required");
	if (dry)
		return 0;
	core__fold_batch(c, &b);
	return 0;
}

static int do_wave_start(core *c, const struct rec *r, char *err, size_t errlen)
{
	const msgpack_object *root = r->root;
	bool dry = r->dry;
	char *race = NULL, *wave = NULL;
	int64_t t0;
	int rc, ri;

	if (!c->has_cfg)
		CVAL_FAIL(SL_ESTATE, "wave_start: no event config yet");
	if ((rc = cval_id(root, "race", true, &race, "", err, errlen)) < 0)
		goto out;
	if ((rc = cval_id(root, "wave", true, &wave, "", err, errlen)) < 0)
		goto out;
	if ((rc = slp_get_int(root, "t0", &t0)) < 0) {
		cval_err(err, errlen, rc == SL_ENOENT ? "t0: required" : "t0: expected integer");
		rc = SL_EINVAL;
		goto out;
	}
	if (!sl_time_ok(t0)) {
		cval_err(err, errlen,
			 "t0: %lld is not a time in the years 2000 to 2100 (ms since the epoch)",
			 (long long)t0);
		rc = SL_ERANGE;
		goto out;
	}
	if ((ri = cfg_race_find(&c->cfg, race, strlen(race))) < 0) {
		cval_err(err, errlen, "race: no race '%s'", race);
		rc = SL_ENOENT;
		goto out;
	}
	if (cfg_wave_find(&c->cfg.races[ri], wave, strlen(wave)) < 0) {
		cval_err(err, errlen, "wave: no wave '%s' in race '%s'", wave, race);
		rc = SL_ENOENT;
		goto out;
	}
	/* after official, a change says why and who (it corrects the results) */
	const char *why, *who;
	size_t wn = 0, on = 0;
	if (slp_get_str(root, "reason", &why, &wn) == SL_EINVAL ||
	    slp_get_str(root, "official", &who, &on) == SL_EINVAL) {
		cval_err(err, errlen, "%s: expected string",
			 slp_get_str(root, "reason", &why, &wn) == SL_EINVAL ? "reason"
									     : "official");
		rc = SL_EINVAL;
		goto out;
	}
	if (core__race_is_official(c, race) &&
	    (slp_get_str(root, "reason", &why, &wn) != 0 || wn == 0 ||
	     slp_get_str(root, "official", &who, &on) != 0 || on == 0)) {
		cval_err(err, errlen,
			 "race '%s' is official: a wave start now needs a reason and an official "
			 "(--reason, --official)",
			 race);
		rc = SL_ESTATE;
		goto out;
	}
	if (!dry)
		core__set_override(c, race, wave, t0);
out:
	free(race);
	free(wave);
	return rc;
}

static int do_adjust(core *c, const struct rec *r, char *err, size_t errlen)
{
	const msgpack_object *root = r->root;
	bool dry = r->dry;
	struct adj_rec a;
	uint32_t pi;
	int rc;
	if (!c->has_cfg)
		CVAL_FAIL(SL_ESTATE, "adjust: no event config yet");
	if ((rc = adj_parse(root, &a, err, errlen)) < 0)
		return rc;
	rc = 0;
	if (!hmap_get(&c->bibs, a.bib, strlen(a.bib), &pi)) {
		cval_err(err, errlen, "bib: no participant '%s'", a.bib);
		rc = SL_ENOENT;
	} else if (a.pt) {
		const struct part *p = &c->parts[pi];
		const struct cfg_race *r = p->race >= 0 ? &c->cfg.races[p->race] : NULL;
		int slot;
		if (!r || cfg_point_find(r, a.pt, strlen(a.pt)) < 0) {
			cval_err(err, errlen, "pt: no point '%s' in the race of bib '%s'", a.pt,
				 a.bib);
			rc = SL_ENOENT;
		} else if (a.station && cfg_station_find(r, a.station, strlen(a.station), &slot) !=
						cfg_point_find(r, a.pt, strlen(a.pt))) {
			cval_err(err, errlen, "station: '%s' is no station of point '%s'",
				 a.station, a.pt);
			rc = SL_ENOENT;
		}
	}
	if (rc < 0 || dry) {
		adj_release(&a);
		return rc;
	}
	core__add_adj(c, &a, true);
	return 0;
}

/*
 * read_void {dev, seq, on?, reason, official}: the read seq of device dev
 * counts for nothing (on, the default) or counts again (on false).  The
 * read must have been folded; checked now, a void read cannot be voided
 * again nor a counted one restored.  From the log it is a fact and only
 * sets the state, so two officials who voided the same read agree.
 */
static int do_read_void(core *c, const struct rec *r, char *err, size_t errlen)
{
	const msgpack_object *root = r->root;
	const char *dev, *s;
	size_t dn, sn;
	int64_t seq;
	bool on = true;
	uint32_t ri;
	int rc;
	if ((rc = slp_get_str(root, "dev", &dev, &dn)) != 0 || !sl_device_ok(dev, dn))
		CVAL_FAIL(SL_EINVAL, "dev: %s",
			  rc == SL_ENOENT ? "required: the device that sent the read"
			  : rc < 0	  ? "expected string"
					  : "not a device name ([A-Za-z0-9_.-], 1 to 64)");
	if ((rc = slp_get_int(root, "seq", &seq)) != 0 || seq < 1 || (uint64_t)seq > SL_SEQ_MAX)
		CVAL_FAIL(SL_EINVAL, "seq: %s",
			  rc == SL_ENOENT ? "required: the read's seq on its device"
					  : "expected an integer from 1 to 2^53-1");
	if (slp_get_bool(root, "on", &on) == SL_EINVAL)
		CVAL_FAIL(SL_EINVAL, "on: expected boolean");
	if (slp_get_str(root, "reason", &s, &sn) != 0 || sn == 0)
		CVAL_FAIL(SL_EINVAL, "reason: required (why the read %s)",
			  on ? "does not count" : "counts again");
	if (slp_get_str(root, "official", &s, &sn) != 0 || sn == 0)
		CVAL_FAIL(SL_EINVAL, "official: required (who decided)");
	if (core__read_find(c, dev, dn, (uint64_t)seq, &ri) < 0) {
		uint32_t di;
		if (!hmap_get(&c->devmap, dev, dn, &di))
			CVAL_FAIL(SL_ENOENT, "dev: no read came from device '%.*s'", (int)dn, dev);
		CVAL_FAIL(SL_ENOENT, "seq: device '%.*s' has no read %lld (its reads go up to %llu)",
			  (int)dn, dev, (long long)seq, (unsigned long long)c->devs[di].seq);
	}
	if (r->dry && c->reads[ri].vd == on)
		CVAL_FAIL(SL_ESTATE, "read %lld of device '%.*s' %s", (long long)seq, (int)dn, dev,
			  on ? "is void already" : "is not void: nothing to restore");
	if (!r->dry)
		core__read_void(c, ri, on);
	return 0;
}

static int do_race_official(core *c, const struct rec *r, char *err, size_t errlen)
{
	return core__race_record(c, r->root, r->bytes, r->len, false, r->dry, err, errlen);
}

static int do_lineup(core *c, const struct rec *r, char *err, size_t errlen)
{
	return core__race_record(c, r->root, r->bytes, r->len, true, r->dry, err, errlen);
}

static int do_checkins(core *c, const struct rec *r, char *err, size_t errlen)
{
	return checkin_fold(c, r->root, false, r->dry, err, errlen);
}

static int do_checkin_undo(core *c, const struct rec *r, char *err, size_t errlen)
{
	return checkin_fold(c, r->root, true, r->dry, err, errlen);
}

/* Every record kind of the log (PROTOCOL.md, "Log records"). */
static const struct kind kinds[] = {
	{"passings", do_passings, true, false, "record", "reads"},
	{"participants", do_participants, true, true, "participants changed", "scans"},
	{"wave_start", do_wave_start, true, false, "wave start changed", "scans"},
	{"config", do_config, true, true, "event configuration changed", "scans"},
	{"adjust", do_adjust, true, false, "record", "scans"},
	{"race_official", do_race_official, false, false, "record", "scans"},
	{"lineup", do_lineup, false, false, "record", "scans"},
	{"checkins", do_checkins, true, false, "record", "scans"},
	{"checkin_undo", do_checkin_undo, true, false, "record", "scans"},
	{"read_void", do_read_void, true, false, "record", "scans"},
};

static const struct kind *kind_find(const char *k, size_t kn)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].k) == kn && !memcmp(kinds[i].k, k, kn))
			return &kinds[i];
	return NULL;
}

/* A record's map: 0 and *root, or SL_EPARSE with the sentence. */
static int decode(const char *rec, size_t len, msgpack_zone *zp, bool raw, msgpack_object *root,
		  char *err, size_t errlen)
{
	/* A plain passings record skips the object tree (mpr_passings()). */
	static const msgpack_object_kv raw_kv = {{MSGPACK_OBJECT_STR, {.str = {1, "k"}}},
						 {MSGPACK_OBJECT_STR, {.str = {8, "passings"}}}};
	size_t off = 0;
	int ur = MSGPACK_UNPACK_SUCCESS;
	if (raw)
		*root = (msgpack_object){MSGPACK_OBJECT_MAP,
					 {.map = {1, (msgpack_object_kv *)&raw_kv}}};
	else if (slp_check_bounds(rec, len, NULL, 0) < 0) /* counts backed by bytes */
		ur = MSGPACK_UNPACK_PARSE_ERROR;
	else
		ur = msgpack_unpack(rec, len, &off, zp, root);
	if (ur != MSGPACK_UNPACK_SUCCESS)
		CVAL_FAIL(SL_EPARSE, ur == MSGPACK_UNPACK_EXTRA_BYTES
					     ? "record: trailing bytes after the map"
					     : "record: malformed msgpack");
	if (root->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EPARSE, "record: expected map");
	return 0;
}

/* Official races' results before a record that rebuilds (see core__results_digest in place.c). */
struct digests {
	struct {
		char *race;
		uint64_t h;
	} * was;
	size_t n;
};

static void digests_take(const core *c, struct digests *d)
{
	for (size_t i = 0; c->cur.bulk && c->has_cfg && c->rs && i < c->cfg.nraces; i++) {
		if (!c->rs[i].official)
			continue;
		d->was = sl_realloc(d->was, (d->n + 1) * sizeof(*d->was));
		d->was[d->n].race = sl_strdup(c->cfg.races[i].id);
		d->was[d->n++].h = core__results_digest(c, (int)i);
	}
}

/* After the record (folded when ok): a race whose results moved is corrected. */
static void digests_compare(core *c, struct digests *d, bool ok)
{
	for (size_t i = 0; i < d->n; i++) {
		int ri = ok ? cfg_race_find(&c->cfg, d->was[i].race, strlen(d->was[i].race)) : -1;
		if (ri >= 0 && c->rs[ri].official && core__results_digest(c, ri) != d->was[i].h)
			core__race_corrected(c, ri);
		free(d->was[i].race);
	}
	free(d->was);
}

static int fold(core *c, const char *rec, size_t len, bool dry, char *err, size_t errlen,
		size_t *row)
{
	msgpack_zone z;
	msgpack_object root;
	const char *k;
	size_t kn;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!rec || !len) {
		cval_err(err, errlen, "record: empty");
		return SL_EPARSE;
	}
	/* Applying reuses the core's zone (its first chunk stays allocated). */
	msgpack_zone *zp = dry ? &z : &c->zone;
	if (dry)
		msgpack_zone_init(&z, 4096);
	slp_batch rawb;
	bool raw = !dry && mpr_passings(rec, len, &rawb, &c->rawreads, &c->crawreads);
	if ((rc = decode(rec, len, zp, raw, &root, err, errlen)) < 0)
		goto out;
	if ((rc = slp_get_str(&root, "k", &k, &kn)) < 0) {
		cval_err(err, errlen, rc == SL_ENOENT ? "k: required" : "k: expected string");
		rc = SL_EINVAL;
		goto out;
	}
	const struct kind *kd = kind_find(k, kn);
	const struct rec r = {&root, zp, raw ? &rawb : NULL, rec, len, dry, row};
	struct digests d = {NULL, 0};
	if (!dry) {
		describe(c, &root, kd, r.raw);
		core__audit_prepare(c, &root, k, kn, r.raw);
		digests_take(c, &d);
	}
	if (kd) {
		rc = kd->fn(c, &r, err, errlen);
	} else {
		cval_err(err, errlen, "k: unknown record kind '%.*s'", (int)(kn > 40 ? 40 : kn), k);
		rc = SL_EINVAL;
	}
	if (rc == 0 && !dry) {
		core__flush(c);
		c->nrecords++;
		c->chg_status = true;
	}
	if (rc == 0 && !dry && c->cur.audit)
		core__audit_decision(c, &root, r.raw);
	digests_compare(c, &d, rc == 0);
	memset(&c->cur, 0, sizeof(c->cur));
out:
	if (dry)
		msgpack_zone_destroy(&z);
	else
		msgpack_zone_clear(&c->zone);
	return rc;
}

int core_apply(core *c, const char *rec, size_t len, char *err, size_t errlen)
{
	return fold(c, rec, len, false, err, errlen, NULL);
}

int core_check(const core *c, const char *rec, size_t len, char *err, size_t errlen)
{
	/* The dry path never writes to the core. */
	return fold((core *)c, rec, len, true, err, errlen, NULL);
}

int core_check_row(const core *c, const char *rec, size_t len, char *err, size_t errlen,
		   int64_t *row)
{
	size_t bad = SIZE_MAX;
	int rc = fold((core *)c, rec, len, true, err, errlen, &bad);
	*row = rc < 0 && bad != SIZE_MAX ? (int64_t)bad : -1;
	return rc;
}

/*
 * official.c: what officials said about races.  The race_official and
 * lineup records are checked here and kept as the msgpack maps they came
 * as, in log order (c->rrecs), and folded into c->rfacts by race id, so
 * they survive a new config and a snapshot saves them as they are.
 *
 * A race is provisional, official (race_official on), or corrected: a
 * result changed after it was made official (core__race_corrected, called
 * when a result changes, by whom and why from c->cur).  The last
 * correction is kept as a record of its own in rrecs
 * ({"k":"race_corrected",race,by,why,at}: never on the wire, only in
 * snapshots), so that a snapshot knows it as the log does.
 *
 * The bottom of the core: calls no other file of it.
 */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "cval.h"
#include "slp.h"

struct rfact *core__rfact(core *c, const char *race, bool create)
{
	for (size_t i = 0; i < c->nrfacts; i++)
		if (!strcmp(c->rfacts[i].race, race))
			return &c->rfacts[i];
	if (!create)
		return NULL;
	c->rfacts = sl_realloc(c->rfacts, (c->nrfacts + 1) * sizeof(*c->rfacts));
	struct rfact *f = &c->rfacts[c->nrfacts++];
	memset(f, 0, sizeof(*f));
	f->race = sl_strdup(race);
	return f;
}

const struct rfact *core__rfact_get(const core *c, const char *race)
{
	return core__rfact((core *)c, race, false);
}

void core__rfacts_free(core *c)
{
	for (size_t i = 0; i < c->nrfacts; i++) {
		struct rfact *f = &c->rfacts[i];
		free(f->race);
		free(f->official_by);
		free(f->corr_by);
		free(f->corr_why);
		for (size_t k = 0; k < f->novr; k++)
			free(f->ovr[k].bib);
		free(f->ovr);
	}
	free(c->rfacts);
	c->rfacts = NULL;
	c->nrfacts = 0;
	for (size_t i = 0; i < c->nrrecs; i++)
		sl_buf_release(&c->rrecs[i]);
	free(c->rrecs);
	c->rrecs = NULL;
	c->nrrecs = 0;
}

/*
 * race_official {race, official, on?}; lineup {race, official, reason,
 * lanes: [{bib, lane}] | nil}.  Checks, then (unless dry) folds and keeps
 * the record.
 */
int core__race_record(core *c, const msgpack_object *root, const char *rec, size_t len, bool lineup,
		      int mode, char *err, size_t errlen)
{
	bool dry = mode == 1, load = mode == 2;
	const char *race, *off, *reason;
	size_t rn, on_, reasn;
	bool on = true;
	int rc;
	if (!c->has_cfg && !load)
		CVAL_FAIL(SL_ESTATE, "%s: no event config yet",
			  lineup ? "lineup" : "race_official");
	if (slp_get_str(root, "race", &race, &rn) != 0 || rn == 0)
		CVAL_FAIL(SL_EINVAL, "race: expected string");
	if (!load && cfg_race_find(&c->cfg, race, rn) < 0)
		CVAL_FAIL(SL_ENOENT, "race: no race '%.*s'", (int)(rn > 64 ? 64 : rn), race);
	if (slp_get_str(root, "official", &off, &on_) != 0 || on_ == 0)
		CVAL_FAIL(SL_EINVAL, "official: expected a non-empty string");
	const msgpack_object_array *lanes = NULL;
	if (!lineup) {
		if ((rc = slp_get_bool(root, "on", &on)) == SL_EINVAL)
			CVAL_FAIL(SL_EINVAL, "on: expected boolean");
	} else {
		if (slp_get_str(root, "reason", &reason, &reasn) != 0)
			CVAL_FAIL(SL_EINVAL, "reason: expected string");
		const msgpack_object *lo = slp_get(root, "lanes");
		if (lo && lo->type != MSGPACK_OBJECT_NIL) {
			if (lo->type != MSGPACK_OBJECT_ARRAY || lo->via.array.size > 99)
				CVAL_FAIL(SL_EINVAL,
					  "lanes: expected an array of at most 99 {bib, lane}");
			lanes = &lo->via.array;
			for (uint32_t i = 0; i < lanes->size; i++) {
				const msgpack_object *o = &lanes->ptr[i];
				const char *b;
				size_t bn;
				int64_t l;
				uint32_t pi;
				if (o->type != MSGPACK_OBJECT_MAP ||
				    slp_get_str(o, "bib", &b, &bn) != 0)
					CVAL_FAIL(SL_EINVAL, "lanes[%u].bib: expected string", i);
				if (slp_get_int(o, "lane", &l) != 0 || l < 0 || l > 99)
					CVAL_FAIL(SL_EINVAL, "lanes[%u].lane: expected 0..99", i);
				if (!load && !hmap_get(&c->bibs, b, bn, &pi))
					CVAL_FAIL(SL_ENOENT, "lanes[%u].bib: no participant '%.*s'",
						  i, (int)(bn > 64 ? 64 : bn), b);
			}
		}
	}
	if (dry)
		return 0;
	char *rid = sl_strndup(race, rn);
	struct rfact *f = core__rfact(c, rid, true);
	free(rid);
	if (!lineup) {
		/* made official (again), or withdrawn: no correction stands */
		f->official = on;
		free(f->official_by);
		f->official_by = sl_strndup(off, on_);
		f->official_at = 0;
		slp_get_int(root, "rx", &f->official_at);
		f->corrected = false;
		free(f->corr_by);
		free(f->corr_why);
		f->corr_by = f->corr_why = NULL;
		f->corr_at = 0;
		int ri = c->has_cfg && c->rs ? cfg_race_find(&c->cfg, race, rn) : -1;
		if (ri >= 0)
			c->rs[ri].official = on;
	} else {
		for (size_t k = 0; k < f->novr; k++)
			free(f->ovr[k].bib);
		free(f->ovr);
		f->ovr = NULL;
		f->novr = 0;
		f->has_ovr = lanes != NULL;
		if (lanes) {
			f->ovr = sl_calloc(lanes->size + 1, sizeof(*f->ovr));
			for (uint32_t i = 0; i < lanes->size; i++) {
				const char *b;
				size_t bn;
				int64_t l;
				slp_get_str(&lanes->ptr[i], "bib", &b, &bn);
				slp_get_int(&lanes->ptr[i], "lane", &l);
				f->ovr[i].bib = sl_strndup(b, bn);
				f->ovr[i].lane = (int)l;
			}
			f->novr = lanes->size;
		}
	}
	c->rrecs = sl_realloc(c->rrecs, (c->nrrecs + 1) * sizeof(sl_buf));
	c->rrecs[c->nrrecs] = (sl_buf)SL_BUF_INIT;
	sl_buf_add(&c->rrecs[c->nrrecs++], rec, len);
	c->prog_chg = true;
	return 0;
}

bool core__race_is_official(const core *c, const char *race)
{
	const struct rfact *f = core__rfact_get(c, race);
	return f && f->official;
}

/*
 * The last correction of an official race, kept as a record of its own in
 * rrecs ({"k":"race_corrected",race,by,why,at}: never on the wire, only in
 * snapshots), so that a snapshot knows it as the log does.
 */
static void set_corrected(struct rfact *f, const char *by, size_t bn, const char *why, size_t wn,
			  int64_t at)
{
	free(f->corr_by);
	free(f->corr_why);
	f->corr_by = sl_strndup(by ? by : "", by ? bn : 0);
	f->corr_why = sl_strndup(why ? why : "", why ? wn : 0);
	f->corr_at = at;
	f->corrected = true;
}

void core__race_corrected(core *c, int ri)
{
	const char *race = c->cfg.races[ri].id;
	struct rfact *f = core__rfact(c, race, true);
	if (f->corrected && f->corr_at == c->cur.at && strlen(f->corr_why) == c->cur.whylen &&
	    !memcmp(f->corr_why, c->cur.why, c->cur.whylen))
		return; /* this record said so already */
	set_corrected(f, c->cur.by, c->cur.bylen, c->cur.why, c->cur.whylen, c->cur.at);
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "k", "race_corrected");
	slp_pack_kv_str(&pk, "race", race);
	slp_pack_kv_str(&pk, "by", f->corr_by);
	slp_pack_kv_str(&pk, "why", f->corr_why);
	slp_pack_kv_int(&pk, "at", f->corr_at);
	c->rrecs = sl_realloc(c->rrecs, (c->nrrecs + 1) * sizeof(sl_buf));
	c->rrecs[c->nrrecs++] = b;
	c->chg_status = true;
}

int core__race_corrected_load(core *c, const msgpack_object *root, const char *rec, size_t len,
			      char *err, size_t errlen)
{
	const char *race, *by, *why;
	size_t rn, bn, wn;
	int64_t at = 0;
	if (slp_get_str(root, "race", &race, &rn) != 0 || rn == 0 ||
	    slp_get_str(root, "by", &by, &bn) != 0 || slp_get_str(root, "why", &why, &wn) != 0 ||
	    slp_get_int(root, "at", &at) != 0)
		CVAL_FAIL(SL_EINVAL, "race_corrected: expected race, by, why, at");
	char *rid = sl_strndup(race, rn);
	struct rfact *f = core__rfact(c, rid, true);
	free(rid);
	set_corrected(f, by, bn, why, wn, at);
	c->rrecs = sl_realloc(c->rrecs, (c->nrrecs + 1) * sizeof(sl_buf));
	c->rrecs[c->nrrecs] = (sl_buf)SL_BUF_INIT;
	sl_buf_add(&c->rrecs[c->nrrecs++], rec, len);
	return 0;
}

const char *core_race_results_state(const core *c, const char *race)
{
	const struct rfact *f = core__rfact_get(c, race);
	return !f || !f->official ? "provisional" : f->corrected ? "corrected" : "official";
}

void core__pack_results_state(const core *c, msgpack_packer *pk, const char *race)
{
	const struct rfact *f = core__rfact_get(c, race);
	bool off = f && f->official, corr = off && f->corrected;
	msgpack_pack_map(pk, 6);
	slp_pack_kv_str(pk, "state", core_race_results_state(c, race));
	slp_pack_kv_str_or_nil(pk, "official_by", off ? f->official_by : NULL);
	slp_pack_kv_int_or_nil(pk, "official_at", off ? f->official_at : 0, off && f->official_at);
	slp_pack_kv_str_or_nil(pk, "corrected_by", corr ? f->corr_by : NULL);
	slp_pack_kv_str_or_nil(pk, "corrected_why", corr ? f->corr_why : NULL);
	slp_pack_kv_int_or_nil(pk, "corrected_at", corr ? f->corr_at : 0, corr && f->corr_at);
}

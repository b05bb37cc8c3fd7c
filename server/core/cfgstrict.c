/*
 * cfgstrict.c: the rules a config sent now must also pass (CFG_STRICT,
 * config.h), as a pass on either side of config.c's parse.  The keys are
 * checked on the raw map first, against protocol/evkeys.c's table (a typo
 * explains a "required" further on better than the "required" does); the
 * rules over values after the parse: times without an offset, wave bib
 * ranges that overlap, categories with the same rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cval.h"
#include "evkeys.h"
#include "slp.h"

/* Every key of map is one of kind's; else "path.key: unknown key; did you mean ...". */
int cfg__keys_of(const msgpack_object *map, int kind, const char *path, char *err, size_t errlen)
{
	if (map->type != MSGPACK_OBJECT_MAP)
		return 0; /* the parse says what it should be */
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type != MSGPACK_OBJECT_STR)
			CVAL_FAIL(SL_EINVAL, "%s%skeys: expected strings", path, *path ? "." : "");
		const char *s = k->via.str.ptr;
		size_t n = k->via.str.size;
		if (evkeys_known(kind, s, n))
			continue;
		const char *near = evkeys_suggest(kind, s, n);
		if (kind == EVK_STATION && !near && evkeys_known(EVK_POINT, s, n))
			CVAL_FAIL(SL_EINVAL,
				  "%s%s%.*s: unknown key; a backup station (station_of) has only "
				  "id and "
				  "station_of",
				  path, *path ? "." : "", (int)(n > 64 ? 64 : n), s);
		if (near)
			CVAL_FAIL(SL_EINVAL, "%s%s%.*s: unknown key; did you mean '%s'?", path,
				  *path ? "." : "", (int)(n > 64 ? 64 : n), s, near);
		CVAL_FAIL(SL_EINVAL, "%s%s%.*s: unknown key", path, *path ? "." : "",
			  (int)(n > 64 ? 64 : n), s);
	}
	return 0;
}

/* keys_of over every map of list key of o, as path.key[i]. */
static int keys_of_list(const msgpack_object *o, const char *key, int kind, const char *path,
			char *err, size_t errlen)
{
	const msgpack_object *a = slp_get(o, key);
	char ip[300];
	int rc;
	if (!a || a->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (uint32_t i = 0; i < a->via.array.size; i++) {
		const msgpack_object *m = &a->via.array.ptr[i];
		const msgpack_object *so =
			m->type == MSGPACK_OBJECT_MAP ? slp_get(m, "station_of") : NULL;
		int k = kind == EVK_POINT && so && so->type != MSGPACK_OBJECT_NIL ? EVK_STATION
										  : kind;
		snprintf(ip, sizeof(ip), "%s.%s[%u]", path, key, i);
		if ((rc = cfg__keys_of(m, k, ip, err, errlen)) < 0)
			return rc;
	}
	return 0;
}

int cfg__strict_keys(const msgpack_object *map, char *err, size_t errlen)
{
	const msgpack_object *races, *h;
	char rp[64], hp[96];
	int rc;
	if ((rc = cfg__keys_of(map, EVK_EVENT, "", err, errlen)) < 0)
		return rc;
	races = map->type == MSGPACK_OBJECT_MAP ? slp_get(map, "races") : NULL;
	if (!races || races->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (uint32_t i = 0; i < races->via.array.size; i++) {
		const msgpack_object *r = &races->via.array.ptr[i];
		snprintf(rp, sizeof(rp), "races[%u]", i);
		if ((rc = cfg__keys_of(r, EVK_RACE, rp, err, errlen)) < 0)
			return rc;
		if (r->type != MSGPACK_OBJECT_MAP)
			continue;
		if ((rc = keys_of_list(r, "waves", EVK_WAVE, rp, err, errlen)) < 0 ||
		    (rc = keys_of_list(r, "points", EVK_POINT, rp, err, errlen)) < 0 ||
		    (rc = keys_of_list(r, "categories", EVK_CATEGORY, rp, err, errlen)) < 0)
			return rc;
		if ((h = slp_get(r, "awards")) && h->type == MSGPACK_OBJECT_MAP) {
			snprintf(hp, sizeof(hp), "%s.awards", rp);
			if ((rc = cfg__keys_of(h, EVK_AWARDS, hp, err, errlen)) < 0)
				return rc;
		}
		if ((rc = keys_of_list(r, "teams", EVK_TEAM, rp, err, errlen)) < 0)
			return rc;
		if ((h = slp_get(r, "handicap")) && h->type == MSGPACK_OBJECT_MAP) {
			snprintf(hp, sizeof(hp), "%s.handicap", rp);
			if ((rc = cfg__keys_of(h, EVK_HANDICAP, hp, err, errlen)) < 0 ||
			    (rc = keys_of_list(h, "rows", EVK_HCAP_ROW, hp, err, errlen)) < 0)
				return rc;
		}
	}
	return 0;
}

/* One overlap refuses the config: the first, in err. */
struct overlap_err {
	const struct cfg *c;
	char *err;
	size_t errlen;
	int rc;
};

static bool overlap_refused(const struct evspan *a, const struct evspan *b, const char *both,
			    void *ctx)
{
	struct overlap_err *o = ctx;
	const struct cfg_race *ra = &o->c->races[a->race];
	if (a->race == b->race)
		cval_err(o->err, o->errlen,
			 "races[%u].waves[%u].bibs: %lld-%lld overlaps wave '%s' (%lld-%lld): "
			 "%s would be in both",
			 b->race, b->wave, (long long)b->lo, (long long)b->hi, ra->waves[a->wave].id,
			 (long long)a->lo, (long long)a->hi, both);
	else
		cval_err(o->err, o->errlen,
			 "races[%u].waves[%u].bibs: %lld-%lld overlaps wave '%s' of race '%s' "
			 "(%lld-%lld): %s would be in both races (a bib is one athlete in one "
			 "race)",
			 b->race, b->wave, (long long)b->lo, (long long)b->hi, ra->waves[a->wave].id,
			 ra->id, (long long)a->lo, (long long)a->hi, both);
	o->rc = SL_EINVAL;
	return false;
}

/*
 * No bib in two waves' ranges: a bib is one athlete, in one race and one
 * wave (the core keys participants by bib across the event), so a bib that
 * two ranges hold would be put in the first one and silently not the other.
 */
static int strict_overlaps(const struct cfg *c, char *err, size_t errlen)
{
	struct evspan *v = NULL;
	size_t n = 0, cap = 0;
	struct overlap_err o = {c, err, errlen, 0};
	for (size_t i = 0; i < c->nraces; i++)
		for (size_t j = 0; j < c->races[i].nwaves; j++) {
			const struct cfg_wave *w = &c->races[i].waves[j];
			if (!w->has_bibs)
				continue;
			SL_GROW(v, cap, n + 1);
			v[n++] = (struct evspan){w->bib_lo, w->bib_hi, (uint32_t)i, (uint32_t)j};
		}
	evkeys_overlaps(v, n, overlap_refused, &o);
	free(v);
	return o.rc;
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Categories may overlap (age groups and masters do, on purpose) but two
 * with the very same rule are one category twice: every athlete of one is
 * in the other, and the two lists say the same thing under two names.
 * Pairwise: at most CFG_MAX_ITEMS categories a race.
 */
static int strict_cats(const struct cfg *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->nraces; i++) {
		const struct cfg_race *r = &c->races[i];
		for (size_t k = 1; k < r->ncats; k++)
			for (size_t j = 0; j < k; j++) {
				const struct cfg_cat *x = &r->cats[j], *y = &r->cats[k];
				if (x->sex == y->sex && x->age_min == y->age_min &&
				    x->age_max == y->age_max && str_same(x->field, y->field) &&
				    str_same(x->equals, y->equals))
					CVAL_FAIL(SL_EINVAL,
						  "races[%zu].categories[%zu]: the same rule as "
						  "category '%s' "
						  "(categories[%zu]): one of the two is a copy",
						  i, k, x->id, j);
			}
	}
	return 0;
}

/* Times in the config name an instant: each carries its UTC offset. */
static int strict_times(const msgpack_object *map, char *err, size_t errlen)
{
	const msgpack_object_array *races, *waves;
	if (slp_get_arr(map, "races", &races) < 0)
		return 0;
	for (uint32_t i = 0; i < races->size; i++) {
		if (races->ptr[i].type != MSGPACK_OBJECT_MAP ||
		    slp_get_arr(&races->ptr[i], "waves", &waves) < 0)
			continue;
		for (uint32_t j = 0; j < waves->size; j++) {
			const msgpack_object *st;
			char tb[64];
			int64_t ms;
			bool zoned;
			if (waves->ptr[j].type != MSGPACK_OBJECT_MAP ||
			    !(st = slp_get(&waves->ptr[j], "start")) ||
			    st->type != MSGPACK_OBJECT_STR || st->via.str.size >= sizeof(tb))
				continue;
			memcpy(tb, st->via.str.ptr, st->via.str.size);
			tb[st->via.str.size] = '\0';
			if (sl_parse_iso_ex(tb, &ms, &zoned) == 0 && !zoned)
				CVAL_FAIL(SL_EINVAL,
					  "races[%u].waves[%u].start: '%s' has no UTC offset: add "
					  "one (Z, "
					  "+hh:mm or -hh:mm), or give the event a timezone and let "
					  "splitline "
					  "event create add it",
					  i, j, tb);
		}
	}
	return 0;
}

int cfg__strict_rules(const msgpack_object *map, const struct cfg *c, char *err, size_t errlen)
{
	int rc;
	if ((rc = strict_times(map, err, errlen)) < 0 ||
	    (rc = strict_overlaps(c, err, errlen)) < 0 || (rc = strict_cats(c, err, errlen)) < 0)
		return rc;
	return 0;
}

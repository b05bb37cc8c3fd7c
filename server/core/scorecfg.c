/*
 * scorecfg.c: a race's `awards` map and `teams` list (PROTOCOL.md,
 * "Awards" and "Team scores"), parsed into its cfg_race after the rest of
 * the config (config.h: cfg__score), so a team's `category` can be checked
 * against the race's categories.  server/score computes from them; the core
 * only keeps them.
 *
 * Strength: a config sent now (CFG_STRICT) with a bad value is refused with
 * the path ("races[0].teams[1].n: 0 is out of range 1..100"); a config
 * record already in the log is folded as written, where a bad `awards` or
 * `teams` means what an unknown key meant then: nothing (the default
 * awards, no teams), so an event recorded before gives the same results.
 *
 * Ownership: the strings of a cfg_team belong to its race
 * (cfg__score_release).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cval.h"
#include "slp.h"

#define AWARDS_OVERALL 5
#define AWARDS_CATEGORY 3
#define TEAM_MAX_N 100

/* An optional boolean: 0, or SL_EINVAL naming path.key. */
static int get_bool(const msgpack_object *map, const char *key, bool *out, const char *path,
		    char *err, size_t errlen)
{
	char pb[256];
	const msgpack_object *o = slp_get(map, key);
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		CVAL_FAIL(SL_EINVAL, "%s: expected true or false",
			  cval_path(pb, sizeof(pb), path, key));
	*out = o->via.boolean;
	return 0;
}

/* The race's key, NULL when absent; its path into path. */
static const msgpack_object *race_key(const msgpack_object *race, const char *key,
				      const char *rpath, char path[96])
{
	const msgpack_object *o = slp_get(race, key);
	snprintf(path, 96, "%s.%s", rpath, key);
	return o && o->type != MSGPACK_OBJECT_NIL ? o : NULL;
}

static int parse_awards(const msgpack_object *race, struct cfg_awards *a, const char *rpath,
			char *err, size_t errlen)
{
	char path[96];
	const msgpack_object *o = race_key(race, "awards", rpath, path);
	int64_t v;
	bool given;
	int rc;
	if (!o)
		return 0;
	if (o->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL,
			  "%s: expected a map with overall, category and "
			  "exclude_overall",
			  path);
	if ((rc = cval_int(o, "overall", 0, 100, &v, &given, path, err, errlen)) < 0)
		return rc;
	if (given)
		a->overall = (int)v;
	if ((rc = cval_int(o, "category", 0, 100, &v, &given, path, err, errlen)) < 0)
		return rc;
	if (given)
		a->category = (int)v;
	return get_bool(o, "exclude_overall", &a->exclude_overall, path, err, errlen);
}

/* field: club, or fields.<name> (a custom field of the participant row). */
static int parse_field(const msgpack_object *o, struct cfg_team *t, const char *path, char *err,
		       size_t errlen)
{
	int rc = cval_str(o, "field", false, &t->field, path, err, errlen);
	if (rc < 0)
		return rc;
	if (!t->field) {
		t->field = sl_strdup("club");
		return 0;
	}
	size_t n = strlen(t->field);
	if (strcmp(t->field, "club") == 0 ||
	    (n > 7 && n <= 7 + 64 && strncmp(t->field, "fields.", 7) == 0))
		return 0;
	CVAL_FAIL(SL_EINVAL, "%s.field: expected club or fields.<name>", path);
}

static int parse_counts(const msgpack_object *o, struct cfg_team *t, const char *path, char *err,
			size_t errlen)
{
	int64_t v;
	bool given;
	int rc;
	if ((rc = cval_int(o, "n", 1, TEAM_MAX_N, &v, &given, path, err, errlen)) < 0)
		return rc;
	t->n = given ? (int)v : 5;
	if ((rc = cval_int(o, "min", t->n, TEAM_MAX_N, &v, &given, path, err, errlen)) < 0)
		return rc;
	t->min = given ? (int)v : t->n;
	if ((rc = cval_int(o, "max", t->n, TEAM_MAX_N, &v, &given, path, err, errlen)) < 0)
		return rc;
	t->max = given ? (int)v : (t->n + 2 > TEAM_MAX_N ? TEAM_MAX_N : t->n + 2);
	return get_bool(o, "displacers", &t->displacers, path, err, errlen);
}

static int parse_team(const msgpack_object *o, const struct cfg_race *r, struct cfg_team *t,
		      const char *path, char *err, size_t errlen)
{
	const msgpack_object *s;
	int rc;
	if (o->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "%s: expected a map with id, field, score and n", path);
	if ((rc = cval_id(o, "id", true, &t->id, path, err, errlen)) < 0 ||
	    (rc = parse_field(o, t, path, err, errlen)) < 0)
		return rc;
	s = slp_get(o, "score");
	if (!s || s->type == MSGPACK_OBJECT_NIL || slp_str_eq(s, "places"))
		t->score = TEAM_PLACES;
	else if (slp_str_eq(s, "times"))
		t->score = TEAM_TIMES;
	else
		CVAL_FAIL(SL_EINVAL, "%s.score: expected places or times", path);
	if ((rc = parse_counts(o, t, path, err, errlen)) < 0)
		return rc;
	if (t->displacers && t->score != TEAM_PLACES)
		CVAL_FAIL(SL_EINVAL, "%s.displacers: only with score: places", path);
	if ((rc = cval_id(o, "category", false, &t->category, path, err, errlen)) < 0)
		return rc;
	if (t->category && cfg_cat_find(r, t->category, strlen(t->category)) < 0)
		CVAL_FAIL(SL_EINVAL, "%s.category: race '%s' has no category '%s'", path, r->id,
			  t->category);
	return 0;
}

static int parse_teams(const msgpack_object *race, struct cfg_race *r, const char *rpath, char *err,
		       size_t errlen)
{
	char path[96];
	const msgpack_object *o = race_key(race, "teams", rpath, path);
	int rc;
	if (!o)
		return 0;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		CVAL_FAIL(SL_EINVAL, "%s: expected a list of team rules", path);
	if (o->via.array.size > CFG_MAX_TEAMS)
		CVAL_FAIL(SL_EINVAL, "%s: at most %d team rules", path, CFG_MAX_TEAMS);
	r->teams = sl_calloc(o->via.array.size ? o->via.array.size : 1, sizeof(*r->teams));
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		char ip[112];
		snprintf(ip, sizeof(ip), "%s[%u]", path, i);
		r->nteams = i + 1;
		if ((rc = parse_team(&o->via.array.ptr[i], r, &r->teams[i], ip, err, errlen)) < 0)
			return rc;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(r->teams[j].id, r->teams[i].id) == 0)
				CVAL_FAIL(SL_EINVAL, "%s.id: duplicate team rule '%s'", ip,
					  r->teams[i].id);
	}
	return 0;
}

void cfg__score_release(struct cfg_race *r)
{
	for (size_t i = 0; i < r->nteams; i++)
		SL_FREE_MANY(r->teams[i].id, r->teams[i].field, r->teams[i].category);
	free(r->teams);
	r->teams = NULL;
	r->nteams = 0;
}

int cfg__score(const msgpack_object *map, struct cfg *c, int flags, char *err, size_t errlen)
{
	const msgpack_object *races = slp_get(map, "races");
	for (size_t i = 0; i < c->nraces; i++) {
		const msgpack_object *ro = &races->via.array.ptr[i];
		struct cfg_race *r = &c->races[i];
		char rp[32];
		int rc;
		snprintf(rp, sizeof(rp), "races[%zu]", i);
		r->awards = (struct cfg_awards){AWARDS_OVERALL, AWARDS_CATEGORY, false};
		rc = parse_awards(ro, &r->awards, rp, err, errlen);
		if (rc < 0 && (flags & CFG_STRICT))
			return rc;
		if (rc < 0) /* a record of old: the key meant nothing then */
			r->awards = (struct cfg_awards){AWARDS_OVERALL, AWARDS_CATEGORY, false};
		rc = parse_teams(ro, r, rp, err, errlen);
		if (rc < 0 && (flags & CFG_STRICT))
			return rc;
		if (rc < 0)
			cfg__score_release(r);
		cval_err(err, errlen, "%s", "");
	}
	return 0;
}

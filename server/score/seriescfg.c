/*
 * seriescfg.c: a series document (PROTOCOL.md, "Series") parsed and
 * checked: keys against protocol/evkeys.c's tables (with a "did you mean"),
 * each value with an error naming its path ("events[2]: duplicate event
 * 'spring-5k'"), as the event config is.  Whether the events exist, and
 * their races, is checked when standings are computed (series.c): events
 * are created over the season, after their series.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cval.h"
#include "evkeys.h"
#include "score.h"
#include "slp.h"

#define POINTS_MAX 100000

static int parse_events(const msgpack_object *doc, struct series_cfg *c, char *err, size_t errlen)
{
	const msgpack_object *a = slp_get(doc, "events");
	if (!a || a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size == 0)
		CVAL_FAIL(SL_EINVAL, "events: expected a list of 1 to %d event ids",
			  SERIES_MAX_EVENTS);
	if (a->via.array.size > SERIES_MAX_EVENTS)
		CVAL_FAIL(SL_EINVAL, "events: at most %d events", SERIES_MAX_EVENTS);
	c->events = sl_calloc(a->via.array.size, sizeof(*c->events));
	c->races = sl_calloc(a->via.array.size, sizeof(*c->races));
	for (uint32_t i = 0; i < a->via.array.size; i++) {
		const msgpack_object *o = &a->via.array.ptr[i];
		if (o->type != MSGPACK_OBJECT_STR ||
		    !sl_event_id_ok(o->via.str.ptr, o->via.str.size))
			CVAL_FAIL(SL_EINVAL,
				  "events[%u]: expected an event id of " SL_EVENT_ID_WORDS, i);
		c->events[i] = sl_strndup(o->via.str.ptr, o->via.str.size);
		c->nevents = i + 1;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(c->events[j], c->events[i]) == 0)
				CVAL_FAIL(SL_EINVAL, "events[%u]: duplicate event '%s'", i,
					  c->events[i]);
	}
	return 0;
}

/* races: {<event>: <race>}, each key one of the events. */
static int parse_races(const msgpack_object *doc, struct series_cfg *c, char *err, size_t errlen)
{
	const msgpack_object *m = slp_get(doc, "races");
	if (!m || m->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (m->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "races: expected a map of event: race");
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;
		size_t ev = c->nevents;
		for (size_t j = 0; k->type == MSGPACK_OBJECT_STR && j < c->nevents; j++)
			if (strlen(c->events[j]) == k->via.str.size &&
			    memcmp(c->events[j], k->via.str.ptr, k->via.str.size) == 0)
				ev = j;
		if (ev == c->nevents)
			CVAL_FAIL(SL_EINVAL, "races.%.*s: not one of the series' events",
				  k->type == MSGPACK_OBJECT_STR
					  ? (int)(k->via.str.size > 64 ? 64 : k->via.str.size)
					  : 1,
				  k->type == MSGPACK_OBJECT_STR ? k->via.str.ptr : "?");
		char *race = cval_id_obj(&m->via.map.ptr[i].val);
		if (!race || !sl_id_ok(race, strlen(race))) {
			free(race);
			CVAL_FAIL(SL_EINVAL, "races.%s: expected a race id of " SL_ID_WORDS,
				  c->events[ev]);
		}
		free(c->races[ev]);
		c->races[ev] = race;
	}
	return 0;
}

static int parse_table(const msgpack_object *t, struct series_cfg *c, char *err, size_t errlen)
{
	if (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size == 0 ||
	    t->via.array.size > SERIES_MAX_TABLE)
		CVAL_FAIL(SL_EINVAL, "points.table: expected a list of 1 to %d points",
			  SERIES_MAX_TABLE);
	c->table = sl_calloc(t->via.array.size, sizeof(*c->table));
	c->ntable = t->via.array.size;
	for (uint32_t i = 0; i < t->via.array.size; i++) {
		int64_t v;
		if (slp_as_int(&t->via.array.ptr[i], &v) < 0 || v < 0 || v > POINTS_MAX)
			CVAL_FAIL(SL_EINVAL, "points.table[%u]: expected an integer 0..%d", i,
				  POINTS_MAX);
		c->table[i] = v;
	}
	return 0;
}

static int parse_points(const msgpack_object *doc, struct series_cfg *c, char *err, size_t errlen)
{
	static const char *const bys[] = {"overall", "sex", "category"};
	const msgpack_object *p = slp_get(doc, "points"), *by, *t;
	bool has_first;
	int rc;
	if (!p || p->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "points: expected a map with by and a table or a rule");
	if ((rc = cfg__keys_of(p, EVK_SPOINTS, "points", err, errlen)) < 0)
		return rc;
	by = slp_get(p, "by");
	c->by = -1;
	for (int i = 0; i < 3; i++)
		if (!by || by->type == MSGPACK_OBJECT_NIL || slp_str_eq(by, bys[i]))
			c->by = by && by->type != MSGPACK_OBJECT_NIL ? i : SERIES_OVERALL;
	if (c->by < 0)
		CVAL_FAIL(SL_EINVAL, "points.by: expected overall, sex or category");
	if ((rc = cval_int(p, "first", 1, POINTS_MAX, &c->first, &has_first, "points", err,
			   errlen)) < 0 ||
	    (rc = cval_int(p, "step", 0, POINTS_MAX, &c->step, NULL, "points", err, errlen)) < 0 ||
	    (rc = cval_int(p, "floor", 0, POINTS_MAX, &c->floor, NULL, "points", err, errlen)) < 0)
		return rc;
	t = slp_get(p, "table");
	if (t && t->type != MSGPACK_OBJECT_NIL && has_first)
		CVAL_FAIL(SL_EINVAL, "points: a table or a rule (first, step, floor), not both");
	if (t && t->type != MSGPACK_OBJECT_NIL)
		return parse_table(t, c, err, errlen);
	if (!has_first)
		CVAL_FAIL(SL_EINVAL, "points: expected a table or a rule (first, step, floor)");
	if (c->floor > c->first)
		CVAL_FAIL(SL_EINVAL, "points.floor: %lld is above first (%lld)",
			  (long long)c->floor, (long long)c->first);
	return 0;
}

static int parse_ties(const msgpack_object *doc, struct series_cfg *c, char *err, size_t errlen)
{
	static const char *const names[] = {"wins", "countback", "last"};
	const msgpack_object *a = slp_get(doc, "ties");
	if (!a || a->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size > 3)
		CVAL_FAIL(SL_EINVAL, "ties: expected a list of wins, countback and last");
	for (uint32_t i = 0; i < a->via.array.size; i++) {
		int t = -1;
		for (int k = 0; k < 3; k++)
			if (slp_str_eq(&a->via.array.ptr[i], names[k]))
				t = k;
		if (t < 0)
			CVAL_FAIL(SL_EINVAL, "ties[%u]: expected wins, countback or last", i);
		for (size_t j = 0; j < c->nties; j++)
			if (c->ties[j] == t)
				CVAL_FAIL(SL_EINVAL, "ties[%u]: '%s' is already in the list", i,
					  names[t]);
		c->ties[c->nties++] = t;
	}
	return 0;
}

/*
 * same: {id: id}: an official's confirmation that two match ids are one
 * athlete (a likely duplicate of the report): the first counts as the
 * second.  No chains (the second may not itself be a key) and no id to itself.
 */
static int parse_same(const msgpack_object *doc, struct series_cfg *c, char *err, size_t errlen)
{
	const msgpack_object *m = slp_get(doc, "same");
	if (!m || m->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (m->type != MSGPACK_OBJECT_MAP || m->via.map.size > SERIES_MAX_TABLE)
		CVAL_FAIL(SL_EINVAL, "same: expected a map of id: id (at most %d)",
			  SERIES_MAX_TABLE);
	c->same_from = sl_calloc(m->via.map.size + 1, sizeof(char *));
	c->same_to = sl_calloc(m->via.map.size + 1, sizeof(char *));
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		char *a = cval_id_obj(&m->via.map.ptr[i].key), *b = cval_id_obj(&m->via.map.ptr[i].val);
		if (!a || !b || !sl_id_ok(a, strlen(a)) || !sl_id_ok(b, strlen(b)) || !strcmp(a, b)) {
			SL_FREE_MANY(a, b);
			CVAL_FAIL(SL_EINVAL, "same[%u]: expected two different ids of " SL_ID_WORDS, i);
		}
		c->same_from[c->nsame] = a;
		c->same_to[c->nsame++] = b;
	}
	for (size_t i = 0; i < c->nsame; i++)
		for (size_t j = 0; j < c->nsame; j++)
			if (!strcmp(c->same_to[i], c->same_from[j]))
				CVAL_FAIL(SL_EINVAL, "same.%s: '%s' is itself the same as '%s'",
					  c->same_from[i], c->same_to[i], c->same_to[j]);
	return 0;
}

static int parse(const msgpack_object *doc, struct series_cfg *c, char *err, size_t errlen)
{
	int64_t best;
	bool given;
	int rc;
	if (doc->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "series: expected a map with series, events and points");
	if ((rc = cfg__keys_of(doc, EVK_SERIES, "", err, errlen)) < 0 ||
	    (rc = cval_id(doc, "series", true, &c->id, "", err, errlen)) < 0 ||
	    (rc = cval_str(doc, "name", false, &c->name, "", err, errlen)) < 0 ||
	    (rc = parse_events(doc, c, err, errlen)) < 0 ||
	    (rc = parse_races(doc, c, err, errlen)) < 0 ||
	    (rc = cval_str(doc, "match", false, &c->match, "", err, errlen)) < 0)
		return rc;
	if (!c->name)
		c->name = sl_strdup(c->id);
	if (!c->match)
		c->match = sl_strdup("reg");
	size_t ml = strlen(c->match);
	if (strcmp(c->match, "reg") != 0 &&
	    !(ml > 7 && ml <= 7 + 64 && strncmp(c->match, "fields.", 7) == 0))
		CVAL_FAIL(SL_EINVAL, "match: expected reg or fields.<name>");
	if ((rc = parse_points(doc, c, err, errlen)) < 0 ||
	    (rc = cval_int(doc, "best", 1, (int64_t)c->nevents, &best, &given, "", err, errlen)) <
		    0)
		return rc;
	c->best = given ? (size_t)best : c->nevents;
	if ((rc = parse_same(doc, c, err, errlen)) < 0)
		return rc;
	return parse_ties(doc, c, err, errlen);
}

int series_cfg_parse(const msgpack_object *doc, struct series_cfg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int rc = parse(doc, out, err, errlen);
	if (rc < 0)
		series_cfg_release(out);
	return rc;
}

void series_cfg_release(struct series_cfg *c)
{
	for (size_t i = 0; i < c->nevents; i++)
		SL_FREE_MANY(c->events[i], c->races[i]);
	for (size_t i = 0; i < c->nsame; i++)
		SL_FREE_MANY(c->same_from[i], c->same_to[i]);
	SL_FREE_MANY(c->events, c->races, c->id, c->name, c->match, c->table, c->same_from,
		     c->same_to);
	memset(c, 0, sizeof(*c));
}

/*
 * evcfg.c: event configuration YAML -> checked tree -> msgpack.
 *
 * Three passes.  (1) ytree.c builds a small tree of nodes (map, sequence,
 * scalar) that remember their line; aliases, deep nesting and more than one
 * document are refused there.  (2) The validator walks the
 * tree with a path ("races[0].points[2]") and collects every problem as
 * "FILE:LINE: PATH: what", extracting the waves and points the replay
 * needs; id fields are marked to pack as strings.  (3) Only when nothing was
 * wrong, the tree is packed into msgpack.
 *
 * Ownership: the tree belongs to one load call and is freed before it
 * returns; the evcfg returned owns copies of everything it holds.
 */
#include "evcfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evkeys.h"
#include "ftext.h"
#include "evtime.h"
#include "slid.h"
#include "slp.h"
#include "ytree.h"

typedef struct ctx {
	const char *name;
	sl_buf *errs;
	int nerr;
	evcfg *cfg;
	const char *tz; /* the config's timezone when it is a zone, else NULL */
	bool tz_bad;    /* a timezone was given and is not one (already reported) */
} ctx;

static void __attribute__((format(printf, 4, 5)))
fail(ctx *x, int line, const char *path, const char *fmt, ...)
{
	x->nerr++;
	if (x->nerr > EVCFG_MAX_ERRORS)
		return;
	va_list ap;
	sl_buf_addf(x->errs, "%s:%d: ", x->name, line);
	if (path && *path)
		sl_buf_addf(x->errs, "%s: ", path);
	va_start(ap, fmt);
	sl_buf_vaddf(x->errs, fmt, ap);
	va_end(ap);
	sl_buf_addc(x->errs, '\n');
}

/* ---- validation helpers ---- */

static const ynode *map_get(const ynode *m, const char *key)
{
	for (size_t i = 0; i + 1 < m->nkids; i += 2)
		if (m->kids[i]->kind == YT_SCALAR && strcmp(m->kids[i]->s, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

static bool is_null(const ynode *n)
{
	int64_t iv;
	double dv;
	bool bv;
	return !n || (n->kind == YT_SCALAR && ytree_scalar_type(n, &iv, &dv, &bv) == YT_NULL);
}

/* vsnprintf: paths longer than the buffer are cut, which is fine */
static void __attribute__((format(printf, 3, 4))) pathf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

static void path_key(char *out, size_t cap, const char *path, const char *key)
{
	pathf(out, cap, "%s%s%s", path, *path ? "." : "", key);
}

/*
 * The value at key, its path written to p (EVCFG_PATH bytes); NULL when it
 * is null or missing, and then, when missing is given, that problem said.
 */
#define EVCFG_PATH 256
static const ynode *get_node(ctx *x, const ynode *m, const char *path, const char *key, char *p,
			     const char *missing)
{
	const ynode *n = map_get(m, key);
	path_key(p, EVCFG_PATH, path, key);
	if (!is_null(n))
		return n;
	if (missing)
		fail(x, n ? n->line : m->line, p, "%s", missing);
	return NULL;
}

/* get_node, and a value of kind (a YT_* node kind), else "expected <what>". */
static const ynode *get_kind(ctx *x, const ynode *m, const char *path, const char *key,
			     char p[EVCFG_PATH], const char *missing, int kind, const char *what)
{
	const ynode *n = get_node(x, m, path, key, p, missing);
	if (n && n->kind != kind) {
		fail(x, n->line, p, "expected %s", what);
		return NULL;
	}
	return n;
}

/* A string field (plain numbers accepted and kept as strings if as_id). */
static const char *get_str(ctx *x, const ynode *m, const char *path, const char *key, bool required,
			   bool as_id)
{
	char p[EVCFG_PATH];
	const ynode *n =
		get_kind(x, m, path, key, p, required ? "missing" : NULL, YT_SCALAR, "a string");
	if (!n)
		return NULL;
	int64_t iv;
	double dv;
	bool bv;
	int t = ytree_scalar_type(n, &iv, &dv, &bv);
	if (t == YT_INT && as_id) {
		((ynode *)n)->as_str = true;
		return n->s;
	}
	if (t != YT_STR) {
		fail(x, n->line, p, "expected a string, not '%s'", n->s);
		return NULL;
	}
	if (as_id)
		((ynode *)n)->as_str = true;
	return n->s;
}

/* A number field; returns true and *v when present and valid. */
static bool get_num(ctx *x, const ynode *m, const char *path, const char *key, bool integer,
		    double lo, double hi, double *v)
{
	char p[EVCFG_PATH];
	const ynode *n = get_node(x, m, path, key, p, NULL);
	if (!n)
		return false;
	int64_t iv = 0;
	double dv = 0;
	bool bv;
	int t = n->kind == YT_SCALAR ? ytree_scalar_type(n, &iv, &dv, &bv) : YT_STR;
	if (t == YT_INT)
		dv = (double)iv;
	if (t != YT_INT && (integer || t != YT_FLOAT)) {
		fail(x, n->line, p, "expected %s, not '%s'", integer ? "an integer" : "a number",
		     n->kind == YT_SCALAR ? n->s : "a list or map");
		return false;
	}
	if (dv < lo || dv > hi) {
		fail(x, n->line, p, "%s is out of range (%.15g..%.15g)", n->s, lo, hi);
		return false;
	}
	*v = dv;
	return true;
}

/* A field restricted to some words; returns the index or -1. */
static int get_enum(ctx *x, const ynode *m, const char *path, const char *key,
		    const char *const *words, const char *expect)
{
	char p[EVCFG_PATH];
	const ynode *n = get_node(x, m, path, key, p, NULL);
	if (!n)
		return -1;
	if (n->kind == YT_SCALAR)
		for (int i = 0; words[i]; i++)
			if (strcmp(n->s, words[i]) == 0)
				return i;
	fail(x, n->line, p, "expected %s", expect);
	return -1;
}

/* The line of a key (for problems of the whole value), else the map's. */
static int key_line(const ynode *m, const char *key)
{
	for (size_t i = 0; i + 1 < m->nkids; i += 2)
		if (m->kids[i]->kind == YT_SCALAR && strcmp(m->kids[i]->s, key) == 0)
			return m->kids[i]->line;
	return m->line;
}

static const ynode *get_seq(ctx *x, const ynode *m, const char *path, const char *key,
			    bool required)
{
	char p[EVCFG_PATH];
	const ynode *n = get_kind(x, m, path, key, p, required ? "missing: expected a list" : NULL,
				  YT_SEQ, "a list");
	if (!n)
		return NULL;
	if (required && n->nkids == 0)
		fail(x, key_line(m, key), p, "expected at least one entry");
	return n;
}

/* Ids: the one grammar of protocol/slid.h (PROTOCOL.md "Names"). */
static bool id_ok(const char *s)
{
	return sl_id_ok(s, strlen(s));
}

static bool parse_range(const char *s, int64_t *lo, int64_t *hi)
{
	char *end;
	errno = 0;
	long long a = strtoll(s, &end, 10);
	if (end == s || *end != '-' || errno)
		return false;
	const char *s2 = end + 1;
	long long b = strtoll(s2, &end, 10);
	if (end == s2 || *end || errno || a < 0 || b < a)
		return false;
	*lo = a;
	*hi = b;
	return true;
}

/* Report duplicate ids among entries of a list. */
static bool seen_before(char **ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] && strcmp(ids[i], id) == 0)
			return true;
	return false;
}

/*
 * Every key of map m is one of kind's (protocol/evkeys.h, the table the
 * server checks by too); else "path.key: unknown key; did you mean ...?"
 * at the key's line.  Keys that are not plain words are check_dup_keys'.
 */
static void check_keys(ctx *x, const ynode *m, int kind, const char *path)
{
	char p[256];
	if (m->kind != YT_MAP)
		return;
	for (size_t i = 0; i + 1 < m->nkids; i += 2) {
		const ynode *k = m->kids[i];
		if (k->kind != YT_SCALAR || evkeys_known(kind, k->s, k->n))
			continue;
		path_key(p, sizeof(p), path, k->s);
		const char *near = evkeys_suggest(kind, k->s, k->n);
		if (kind == EVK_STATION && !near && evkeys_known(EVK_POINT, k->s, k->n))
			fail(x, k->line, p,
			     "unknown key; a backup station (station_of) has only id and "
			     "station_of");
		else if (near)
			fail(x, k->line, p, "unknown key; did you mean '%s'?", near);
		else
			fail(x, k->line, p, "unknown key");
	}
}

/*
 * The start of a list entry (a race, wave, point or category): a map, else
 * "expected <what>" and false; its keys those of kind; its id read (required:
 * *id is NULL when it is missing or not text).
 */
static bool open_entry(ctx *x, const ynode *m, const char *path, int kind, const char *what,
		       const char **id)
{
	if (m->kind != YT_MAP) {
		fail(x, m->line, path, "expected %s", what);
		return false;
	}
	check_keys(x, m, kind, path);
	*id = get_str(x, m, path, "id", true, true);
	return true;
}

/* An entry's id breaks a rule: "path.id: '<id>' <why>" at the id's line. */
static void id_fail(ctx *x, const ynode *m, const char *path, const char *id, const char *why)
{
	char p[256];
	path_key(p, sizeof(p), path, "id");
	fail(x, map_get(m, "id")->line, p, "'%s' %s", id, why);
}

#define NOT_AN_ID "is not an id (" SL_ID_WORDS ")"

/* ---- the config ---- */

static const char *const roles[] = {"start", "split", "finish", NULL};

static void check_wave(ctx *x, evcfg_race *r, const ynode *w, const char *path)
{
	const char *id;
	if (!open_entry(x, w, path, EVK_WAVE, "a map with id, start and bibs", &id))
		return;
	evcfg_wave wv = {0};
	char p[256];
	if (id) {
		char *ids[256];
		size_t k = 0;
		for (size_t i = 0; i < r->nwaves && k < 256; i++)
			ids[k++] = r->waves[i].id;
		if (seen_before(ids, k, id))
			id_fail(x, w, path, id, "is used twice");
	}
	const char *start = get_str(x, w, path, "start", false, false);
	if (start) {
		ynode *sn = (ynode *)map_get(w, "start");
		bool zoned;
		char why[256];
		path_key(p, sizeof(p), path, "start");
		if (sl_parse_iso_ex(start, &wv.start_ms, &zoned) != 0) {
			fail(x, sn->line, p, "'%s' is not a time (2015-04-20T10:00:00-04:00)",
			     start);
		} else if (zoned) {
			wv.has_start = true;
		} else if (x->tz_bad) {
			/* the timezone's own error says it all */
		} else if (!x->tz) {
			fail(x, sn->line, p,
			     "'%s' has no UTC offset: write it (2015-04-20T10:00:00-04:00), or "
			     "give "
			     "the event a timezone (timezone: America/New_York) to read it in",
			     start);
		} else {
			/* read in the event's zone; sent with the offset it has that day */
			sl_buf iso = SL_BUF_INIT;
			if (evtime_zone_iso(start, x->tz, &iso, &wv.start_ms, why, sizeof(why)) <
			    0) {
				fail(x, sn->line, p, "%s", why);
			} else {
				free(sn->s);
				sn->s = sl_buf_detach(&iso, &sn->n);
				wv.has_start = true;
			}
			sl_buf_release(&iso);
		}
	}
	const char *bibs = get_str(x, w, path, "bibs", false, false);
	if (bibs) {
		path_key(p, sizeof(p), path, "bibs");
		wv.bibs_line = map_get(w, "bibs")->line;
		if (!parse_range(bibs, &wv.bib_lo, &wv.bib_hi))
			fail(x, wv.bibs_line, p, "'%s' is not a bib range (1-8999)", bibs);
		else
			wv.has_bibs = true;
	}
	wv.id = sl_strdup(id ? id : "");
	r->waves = sl_realloc(r->waves, (r->nwaves + 1) * sizeof(*r->waves));
	r->waves[r->nwaves++] = wv;
}

static void check_point(ctx *x, evcfg_race *r, const ynode *pt, const char *path)
{
	const char *id;
	if (!open_entry(x, pt, path, EVK_POINT, "a map with id, distance_m and role", &id))
		return;
	evcfg_point ep = {0};
	char p[256];
	if (id) {
		if (!id_ok(id))
			id_fail(x, pt, path, id, NOT_AN_ID);
		for (size_t i = 0; i < r->npoints; i++)
			if (strcmp(r->points[i].id, id) == 0)
				id_fail(x, pt, path, id, "is used twice");
	}
	int role = get_enum(x, pt, path, "role", roles, "start, split or finish");
	if (role < 0 && is_null(map_get(pt, "role"))) {
		path_key(p, sizeof(p), path, "role");
		fail(x, pt->line, p, "missing: expected start, split or finish");
	}
	ep.role = role < 0 ? EVCFG_SPLIT : role;
	static const char *const rules[] = {"first", "last", NULL};
	get_enum(x, pt, path, "rule", rules, "first or last");
	double v;
	ep.distance_m = 0;
	if (get_num(x, pt, path, "distance_m", false, 0, 1e7, &v))
		ep.distance_m = v;
	ep.window_s = -1;
	if (get_num(x, pt, path, "window_s", false, 0, 7 * 86400, &v))
		ep.window_s = v;
	get_num(x, pt, path, "min_s", false, 0, 7 * 86400, &v);
	get_num(x, pt, path, "dedupe_s", false, 0, 7 * 86400, &v);
	get_str(x, pt, path, "name", false, false);
	ep.id = sl_strdup(id ? id : "");
	r->points = sl_realloc(r->points, (r->npoints + 1) * sizeof(*r->points));
	r->points[r->npoints++] = ep;
}

/* A backup station of a point ({id: finish2, station_of: finish}); the
 * server checks that the point exists and the ids are unique. */
static void check_station(ctx *x, const ynode *st, const char *path)
{
	check_keys(x, st, EVK_STATION, path);
	const char *id = get_str(x, st, path, "id", true, true);
	if (id && !id_ok(id))
		id_fail(x, st, path, id, NOT_AN_ID);
	get_str(x, st, path, "station_of", true, true);
}

/* A category's rule, to find two categories with the same one. */
struct catrule {
	const char *id;
	int sex, lo, hi; /* -1: any */
	const char *field, *equals;
};

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_category(ctx *x, const ynode *c, const char *path, struct catrule **rules,
			   size_t *nrules)
{
	const char *id;
	if (!open_entry(x, c, path, EVK_CATEGORY, "a map with id, name and a rule", &id))
		return;
	char p[256];
	if (id) {
		if (!id_ok(id))
			id_fail(x, c, path, id, NOT_AN_ID);
		else
			for (size_t i = 0; i < *nrules; i++)
				if (strcmp((*rules)[i].id, id) == 0)
					id_fail(x, c, path, id, "is used twice");
	}
	get_str(x, c, path, "name", false, false);
	static const char *const sexes[] = {"M", "F", "X", NULL};
	int sex = get_enum(x, c, path, "sex", sexes, "M, F or X");
	double lo = 0, hi = 150;
	bool has_lo = get_num(x, c, path, "age_min", true, 0, 150, &lo);
	bool has_hi = get_num(x, c, path, "age_max", true, 0, 150, &hi);
	if (has_lo && has_hi && lo > hi) {
		path_key(p, sizeof(p), path, "age_max");
		fail(x, map_get(c, "age_max")->line, p, "%g is below age_min %g", hi, lo);
	}
	const char *field = get_str(x, c, path, "field", false, false);
	const ynode *eq = map_get(c, "equals");
	if (field && is_null(eq)) {
		path_key(p, sizeof(p), path, "equals");
		fail(x, c->line, p, "missing: 'field' needs 'equals'");
	}
	if (!id)
		return;
	/* overlapping categories are fine (masters and age groups); copies are not
	 * (pairwise: past the server's 1000 a race, the server says no anyway) */
	struct catrule r = {id,
			    sex,
			    has_lo ? (int)lo : -1,
			    has_hi ? (int)hi : -1,
			    field,
			    eq && eq->kind == YT_SCALAR && !is_null(eq) ? eq->s : NULL};
	for (size_t i = 0; i < *nrules && *nrules < 1000; i++) {
		const struct catrule *o = &(*rules)[i];
		if (o->sex == r.sex && o->lo == r.lo && o->hi == r.hi &&
		    same_text(o->field, r.field) && same_text(o->equals, r.equals)) {
			fail(x, c->line, path,
			     "the same rule as category '%s' (categories[%zu]): one of the two is "
			     "a copy",
			     o->id, i);
			break;
		}
	}
	*rules = sl_realloc(*rules, (*nrules + 1) * sizeof(**rules));
	(*rules)[(*nrules)++] = r;
}

/* A regatta's handicap: only its keys here, its values are the server's. */
static void check_handicap(ctx *x, const ynode *h, const char *path)
{
	char q[256];
	check_keys(x, h, EVK_HANDICAP, path);
	const ynode *rows = h->kind == YT_MAP ? map_get(h, "rows") : NULL;
	for (size_t i = 0; rows && rows->kind == YT_SEQ && i < rows->nkids; i++) {
		pathf(q, sizeof(q), "%s.rows[%zu]", path, i);
		check_keys(x, rows->kids[i], EVK_HCAP_ROW, q);
	}
}

static void check_race(ctx *x, const ynode *rn, const char *path, size_t idx)
{
	evcfg *cfg = x->cfg;
	evcfg_race *r = &cfg->races[idx];
	char p[256], q[256];

	const char *id;
	if (!open_entry(x, rn, path, EVK_RACE, "a map with id, waves and points", &id)) {
		r->id = sl_strdup("");
		return;
	}
	if (id) {
		if (!id_ok(id))
			id_fail(x, rn, path, id, NOT_AN_ID);
		for (size_t i = 0; i < idx; i++)
			if (strcmp(cfg->races[i].id, id) == 0)
				id_fail(x, rn, path, id, "is used twice");
	}
	r->id = sl_strdup(id ? id : "");
	get_str(x, rn, path, "name", false, false);
	static const char *const kinds[] = {"mass", "trial", "lanes", NULL};
	get_enum(x, rn, path, "kind", kinds, "mass, trial or lanes");
	static const char *const rankings[] = {"net", "gun", NULL};
	get_enum(x, rn, path, "ranking", rankings, "net or gun");
	double v;
	get_num(x, rn, path, "distance_m", false, 0, 1e7, &v);
	get_num(x, rn, path, "precision_ms", true, 1, 3600000, &v);

	const ynode *waves = get_seq(x, rn, path, "waves", false);
	for (size_t i = 0; waves && i < waves->nkids; i++) {
		pathf(q, sizeof(q), "%s.waves[%zu]", path, i);
		check_wave(x, r, waves->kids[i], q);
	}
	const ynode *pts = get_seq(x, rn, path, "points", true);
	for (size_t i = 0; pts && i < pts->nkids; i++) {
		const ynode *pn = pts->kids[i];
		pathf(q, sizeof(q), "%s.points[%zu]", path, i);
		if (pn->kind == YT_MAP && !is_null(map_get(pn, "station_of")))
			check_station(x, pn, q);
		else
			check_point(x, r, pn, q);
	}
	if (pts && pts->nkids) {
		int nstart = 0, nfinish = 0;
		for (size_t i = 0; i < r->npoints; i++) {
			nstart += r->points[i].role == EVCFG_START;
			nfinish += r->points[i].role == EVCFG_FINISH;
		}
		path_key(p, sizeof(p), path, "points");
		if (nfinish != 1)
			fail(x, key_line(rn, "points"), p,
			     "expected exactly one point with role finish, found %d", nfinish);
		if (nstart > 1)
			fail(x, key_line(rn, "points"), p,
			     "expected at most one point with role start, found %d", nstart);
	}
	const ynode *cats = get_seq(x, rn, path, "categories", false);
	struct catrule *rules = NULL;
	size_t nrules = 0;
	for (size_t i = 0; cats && i < cats->nkids; i++) {
		pathf(q, sizeof(q), "%s.categories[%zu]", path, i);
		check_category(x, cats->kids[i], q, &rules, &nrules);
	}
	free(rules);
	r->ncats = cats ? cats->nkids : 0;
	const ynode *hc = map_get(rn, "handicap");
	if (hc && !is_null(hc)) {
		path_key(p, sizeof(p), path, "handicap");
		check_handicap(x, hc, p);
	}
	/* awards and teams: their keys here (a typo with its line), values the server's */
	const ynode *aw = map_get(rn, "awards"), *tm = map_get(rn, "teams");
	if (aw && !is_null(aw)) {
		path_key(p, sizeof(p), path, "awards");
		check_keys(x, aw, EVK_AWARDS, p);
	}
	for (size_t i = 0; tm && tm->kind == YT_SEQ && i < tm->nkids; i++) {
		pathf(q, sizeof(q), "%s.teams[%zu]", path, i);
		check_keys(x, tm->kids[i], EVK_TEAM, q);
	}
}

/* Each overlap of two waves' bib ranges, at the later wave in the file. */
static bool overlap_failed(const struct evspan *a, const struct evspan *b, const char *both,
			   void *arg)
{
	ctx *x = arg;
	const evcfg *cfg = x->cfg;
	char p[128];
	const evcfg_race *ra = &cfg->races[a->race];
	const evcfg_wave *wb = &cfg->races[b->race].waves[b->wave];
	pathf(p, sizeof(p), "races[%u].waves[%u].bibs", b->race, b->wave);
	if (a->race == b->race)
		fail(x, wb->bibs_line, p,
		     "%lld-%lld overlaps wave '%s' (%lld-%lld): %s would "
		     "be in both",
		     (long long)b->lo, (long long)b->hi, ra->waves[a->wave].id, (long long)a->lo,
		     (long long)a->hi, both);
	else
		fail(x, wb->bibs_line, p,
		     "%lld-%lld overlaps wave '%s' of race '%s' "
		     "(%lld-%lld): %s would be in both races (a bib is one athlete in one "
		     "race)",
		     (long long)b->lo, (long long)b->hi, ra->waves[a->wave].id, ra->id,
		     (long long)a->lo, (long long)a->hi, both);
	return true; /* report them all */
}

/*
 * No bib in two waves' ranges, within a race or across races: a bib is one
 * athlete in one race (the server's rule too, protocol/evkeys.c).
 */
static void check_overlaps(ctx *x)
{
	const evcfg *cfg = x->cfg;
	struct evspan *v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < cfg->nraces; i++)
		for (size_t j = 0; j < cfg->races[i].nwaves; j++)
			if (cfg->races[i].waves[j].has_bibs) {
				v = sl_realloc(v, (n + 1) * sizeof(*v));
				v[n++] = (struct evspan){cfg->races[i].waves[j].bib_lo,
							 cfg->races[i].waves[j].bib_hi, (uint32_t)i,
							 (uint32_t)j};
			}
	evkeys_overlaps(v, n, overlap_failed, x);
	free(v);
}

static void check_dup_keys(ctx *x, const ynode *n)
{
	if (n->kind == YT_MAP) {
		for (size_t i = 0; i + 1 < n->nkids; i += 2) {
			const ynode *k = n->kids[i];
			if (k->kind != YT_SCALAR) {
				fail(x, k->line, NULL,
				     "a key must be a plain word, not a list or map");
				continue;
			}
			for (size_t j = 0; j < i; j += 2)
				if (n->kids[j]->kind == YT_SCALAR &&
				    strcmp(n->kids[j]->s, k->s) == 0)
					fail(x, k->line, NULL, "key '%s' appears twice", k->s);
		}
	}
	for (size_t i = 0; i < n->nkids; i++)
		check_dup_keys(x, n->kids[i]);
}

static void check_config(ctx *x, const ynode *root)
{
	evcfg *cfg = x->cfg;
	check_dup_keys(x, root);
	if (root->kind != YT_MAP) {
		fail(x, root->line, NULL, "expected a map with 'event' and 'races'");
		return;
	}
	check_keys(x, root, EVK_EVENT, "");
	const char *ev = get_str(x, root, "", "event", true, true);
	if (ev && !sl_event_id_ok(ev, strlen(ev)))
		fail(x, map_get(root, "event")->line, "event",
		     "'%s' is not an event id (" SL_EVENT_ID_WORDS ")", ev);
	cfg->event = sl_strdup(ev ? ev : "");
	get_str(x, root, "", "name", false, false);
	const char *date = get_str(x, root, "", "date", false, false);
	int64_t ms;
	if (date && (strlen(date) != 10 || sl_parse_iso(date, &ms) != 0))
		fail(x, map_get(root, "date")->line, "date", "'%s' is not a date (YYYY-MM-DD)",
		     date);
	const char *tz = get_str(x, root, "", "timezone", false, false);
	if (tz) {
		char why[256];
		if (evtime_zone_check(tz, why, sizeof(why)) < 0) {
			fail(x, map_get(root, "timezone")->line, "timezone", "%s", why);
			x->tz_bad = true;
		} else {
			cfg->timezone = sl_strdup(tz);
			x->tz = cfg->timezone;
		}
	}
	const ynode *races = get_seq(x, root, "", "races", true);
	if (!races)
		return;
	cfg->races = sl_calloc(races->nkids ? races->nkids : 1, sizeof(*cfg->races));
	cfg->nraces = races->nkids;
	for (size_t i = 0; i < races->nkids; i++) {
		char p[64];
		pathf(p, sizeof(p), "races[%zu]", i);
		check_race(x, races->kids[i], p, i);
	}
	check_overlaps(x);
}

/* ---- public ---- */

void evcfg_free(evcfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nraces; i++) {
		evcfg_race *r = &c->races[i];
		for (size_t j = 0; j < r->nwaves; j++)
			free(r->waves[j].id);
		for (size_t j = 0; j < r->npoints; j++)
			free(r->points[j].id);
		SL_FREE_MANY(r->waves, r->points, r->id);
	}
	SL_FREE_MANY(c->races, c->event, c->timezone, c->mp, c);
}

int evcfg_load_mem(const char *name, const char *buf, size_t len, evcfg **out, sl_buf *errs)
{
	ctx x = {.name = name, .errs = errs};
	*out = NULL;
	char why[256];
	int line = 1;
	ynode *root = ytree_parse(buf, len, &line, why, sizeof(why));
	if (!root) {
		fail(&x, line, NULL, "%s", why);
		return SL_EPARSE;
	}
	x.cfg = sl_calloc(1, sizeof(*x.cfg));
	check_config(&x, root);
	if (x.nerr > EVCFG_MAX_ERRORS)
		sl_buf_addf(errs, "%s: ... and %d more errors\n", name, x.nerr - EVCFG_MAX_ERRORS);
	int rc = 0;
	if (x.nerr == 0) {
		sl_buf b = SL_BUF_INIT;
		msgpack_packer pk;
		slp_packer_init(&pk, &b);
		ytree_pack(&pk, root);
		if (b.len > SLP_MAX_FRAME - 4096) {
			sl_buf_addf(errs,
				    "%s: too large: the config packs to %zu bytes (limit %u)\n",
				    name, b.len, SLP_MAX_FRAME - 4096);
			sl_buf_release(&b);
			rc = SL_ETOOBIG;
		} else {
			x.cfg->mp = sl_buf_detach(&b, &x.cfg->mp_len);
		}
	} else {
		rc = SL_EPARSE;
	}
	ytree_free(root);
	if (rc) {
		evcfg_free(x.cfg);
		return rc;
	}
	*out = x.cfg;
	return 0;
}

int evcfg_load_file(const char *path, evcfg **out, sl_buf *errs)
{
	*out = NULL;
	sl_buf b = SL_BUF_INIT;
	const char *why;
	int rc = ftext_read(path, 16u << 20, &b, &why);
	if (rc) {
		if (rc == SL_ENOENT)
			sl_buf_addf(errs, "cannot open '%s': %s\n", path, why);
		else
			sl_buf_addf(errs, "cannot read '%s': %s\n", path,
				    rc == SL_EIO ? why : "larger than 16 MiB");
		sl_buf_release(&b);
		return SL_EIO;
	}
	rc = evcfg_load_mem(path, b.data ? b.data : "", b.len, out, errs);
	sl_buf_release(&b);
	return rc;
}

const evcfg_race *evcfg_find_race(const evcfg *c, const char *id)
{
	for (size_t i = 0; i < c->nraces; i++)
		if (strcmp(c->races[i].id, id) == 0)
			return &c->races[i];
	return NULL;
}

const evcfg_wave *evcfg_wave_of(const evcfg_race *r, const char *bib)
{
	if (!r->nwaves)
		return NULL;
	char *end;
	errno = 0;
	long long v = strtoll(bib, &end, 10);
	if (end != bib && *end == '\0' && errno == 0)
		for (size_t i = 0; i < r->nwaves; i++)
			if (r->waves[i].has_bibs && v >= r->waves[i].bib_lo &&
			    v <= r->waves[i].bib_hi)
				return &r->waves[i];
	return &r->waves[0];
}

const evcfg_point *evcfg_point_by_role(const evcfg_race *r, int role)
{
	for (size_t i = 0; i < r->npoints; i++)
		if (r->points[i].role == role)
			return &r->points[i];
	return NULL;
}

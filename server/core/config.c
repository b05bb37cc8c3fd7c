/*
 * config.c: parsing and validating the event configuration (see config.h).
 *
 * The parser fills a cfg as it goes and, on the first error, releases what
 * it built: the caller sees either a whole valid cfg or nothing.  Rules that
 * span fields: ids unique within their list; at most one start point, and
 * it comes first; exactly one finish, and it comes last; point distances
 * never decrease; a category's field and equals come together.
 *
 * The strict rules (CFG_STRICT) live in cfgstrict.c, a pass on either side
 * of the parse; looking things up in a parsed cfg, in cfgfind.c.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "boatclass.h"
#include "cval.h"
#include "evkeys.h"
#include "progression.h"
#include "slp.h"

const char *cfg_sex_name(int sex)
{
	static const char *names[] = {"M", "F", "X"};
	return sex >= 0 && sex < NSEX ? names[sex] : NULL;
}

int cfg_sex_parse(const char *s, size_t n)
{
	if (n == 1 && (s[0] == 'M' || s[0] == 'm'))
		return SEX_M;
	if (n == 1 && (s[0] == 'F' || s[0] == 'f'))
		return SEX_F;
	if (n == 1 && (s[0] == 'X' || s[0] == 'x'))
		return SEX_X;
	return -2;
}

static int enum_field(const msgpack_object *map, const char *key, const char *const *names,
		      int dflt, int *out, const char *path, const char *expect, char *err,
		      size_t errlen)
{
	char pb[256];
	const msgpack_object *o = slp_get(map, key);
	*out = dflt;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	for (int i = 0; names[i]; i++) {
		if (slp_str_eq(o, names[i])) {
			*out = i;
			return 0;
		}
	}
	CVAL_FAIL(SL_EINVAL, "%s: expected %s", cval_path(pb, sizeof(pb), path, key), expect);
}

static int get_arr(const msgpack_object *map, const char *key, bool required,
		   const msgpack_object_array **a, const char *path, char *err, size_t errlen)
{
	char pb[256];
	int rc = slp_get_arr(map, key, a);
	if (rc == SL_ENOENT) {
		*a = NULL;
		if (required)
			CVAL_FAIL(SL_EINVAL, "%s: required", cval_path(pb, sizeof(pb), path, key));
		return 0;
	}
	if (rc < 0)
		CVAL_FAIL(SL_EINVAL, "%s: expected array", cval_path(pb, sizeof(pb), path, key));
	return 0;
}

/* An optional "name" that defaults to the id (races, points, categories). */
static int parse_name(const msgpack_object *o, const char *id, char **name, const char *path,
		      char *err, size_t errlen)
{
	int rc = cval_str(o, "name", false, name, path, err, errlen);
	if (rc == 0 && !*name)
		*name = sl_strdup(id);
	return rc;
}

/* How a listed item (point, wave, category) starts: a map with a required id. */
static int parse_head(const msgpack_object *o, char **id, const char *path, char *err,
		      size_t errlen)
{
	if (o->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "%s: expected map", path);
	return cval_id(o, "id", true, id, path, err, errlen);
}

static int parse_point(const msgpack_object *o, struct cfg_point *p, const char *path, char *err,
		       size_t errlen)
{
	static const char *const roles[] = {"start", "split", "finish", NULL};
	static const char *const rules[] = {"first", "last", NULL};
	char pb[256];
	double d;
	bool present;
	int rc;

	if ((rc = parse_head(o, &p->id, path, err, errlen)) < 0 ||
	    (rc = parse_name(o, p->id, &p->name, path, err, errlen)) < 0)
		return rc;
	if (!slp_get(o, "role"))
		CVAL_FAIL(SL_EINVAL, "%s: required", cval_path(pb, sizeof(pb), path, "role"));
	if ((rc = enum_field(o, "role", roles, PT_SPLIT, &p->role, path,
			     "start, split or finish", err, errlen)) < 0)
		return rc;
	rc = slp_get_num(o, "distance_m", &d);
	if (rc == SL_ENOENT && p->role == PT_START)
		d = 0;
	else if (rc == SL_ENOENT)
		CVAL_FAIL(SL_EINVAL, "%s: required", cval_path(pb, sizeof(pb), path, "distance_m"));
	else if (rc < 0 || !(d >= 0) || d > 1e7)
		CVAL_FAIL(SL_EINVAL, "%s: expected a distance in metres from 0 to 10000000",
			  cval_path(pb, sizeof(pb), path, "distance_m"));
	p->distance_m = d;
	if ((rc = enum_field(o, "rule", rules, p->role == PT_START ? RULE_LAST : RULE_FIRST,
			     &p->rule, path, "first or last", err, errlen)) < 0)
		return rc;
	p->window_ms = -1;
	if ((rc = cval_secs(o, "window_s", &p->window_ms, &present, path, err, errlen)) < 0)
		return rc;
	if (!present)
		p->window_ms = -1;
	/* Default minimum: nobody runs faster than 12 m/s. */
	p->min_ms = p->role == PT_START ? 0 : llround(p->distance_m * 1000.0 / 12.0);
	if ((rc = cval_secs(o, "min_s", &p->min_ms, &present, path, err, errlen)) < 0)
		return rc;
	if (!present)
		p->min_ms = p->role == PT_START ? 0 : llround(p->distance_m * 1000.0 / 12.0);
	p->dedupe_ms = 0;
	if ((rc = cval_secs(o, "dedupe_s", &p->dedupe_ms, &present, path, err, errlen)) < 0)
		return rc;
	return 0;
}

/* A bib range: "lo-hi", "n" or an integer n (numeric bibs, lo <= hi). */
static int parse_range(const msgpack_object *b, int64_t *lo_, int64_t *hi_, const char *pb,
		       char *err, size_t errlen)
{
	char tb[64];
	long long lo, hi;
	int used = 0;

	if (b->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*lo_ = *hi_ = (int64_t)(b->via.u64 > INT64_MAX ? INT64_MAX : b->via.u64);
		return 0;
	}
	if (b->type != MSGPACK_OBJECT_STR || b->via.str.size >= sizeof(tb))
		CVAL_FAIL(SL_EINVAL, "%s: expected a range such as \"1-8999\"", pb);
	memcpy(tb, b->via.str.ptr, b->via.str.size);
	tb[b->via.str.size] = '\0';
	if (sscanf(tb, "%lld-%lld%n", &lo, &hi, &used) == 2 && tb[used] == '\0' && lo >= 0 &&
	    hi >= lo) {
		*lo_ = lo;
		*hi_ = hi;
		return 0;
	}
	if (sscanf(tb, "%lld%n", &lo, &used) == 1 && tb[used] == '\0' && lo >= 0) {
		*lo_ = *hi_ = lo;
		return 0;
	}
	CVAL_FAIL(SL_EINVAL, "%s: expected a range such as \"1-8999\", got '%s'", pb, tb);
}

static int parse_bibs(const msgpack_object *o, struct cfg_wave *w, const char *path, char *err,
		      size_t errlen)
{
	char pb[256];
	const msgpack_object *b = slp_get(o, "bibs");
	int rc;

	if (!b || b->type == MSGPACK_OBJECT_NIL)
		return 0;
	cval_path(pb, sizeof(pb), path, "bibs");
	if ((rc = parse_range(b, &w->bib_lo, &w->bib_hi, pb, err, errlen)) < 0)
		return rc;
	w->has_bibs = true;
	return 0;
}

/* bib_pool: one range, or a list of at most CFG_MAX_POOL ranges. */
static int parse_pool(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		      size_t errlen)
{
	char pb[256], ib[300];
	const msgpack_object *b = slp_get(o, "bib_pool");
	const msgpack_object *items;
	uint32_t n = 1;
	int rc;

	if (!b || b->type == MSGPACK_OBJECT_NIL)
		return 0;
	cval_path(pb, sizeof(pb), path, "bib_pool");
	items = b;
	if (b->type == MSGPACK_OBJECT_ARRAY) {
		n = b->via.array.size;
		items = b->via.array.ptr;
		if (n < 1 || n > CFG_MAX_POOL)
			CVAL_FAIL(SL_EINVAL, "%s: expected 1 to %d ranges", pb, CFG_MAX_POOL);
	}
	r->pool = sl_calloc(n, sizeof(*r->pool));
	r->npool = n;
	for (uint32_t i = 0; i < n; i++) {
		if (b->type == MSGPACK_OBJECT_ARRAY)
			snprintf(ib, sizeof(ib), "%s[%u]", pb, i);
		else
			snprintf(ib, sizeof(ib), "%s", pb);
		if ((rc = parse_range(&items[i], &r->pool[i].lo, &r->pool[i].hi, ib, err, errlen)) <
		    0)
			return rc;
		if (r->pool[i].hi > 999999999999LL)
			CVAL_FAIL(SL_EINVAL, "%s: bibs up to 999999999999", ib);
	}
	return 0;
}

static int parse_wave(const msgpack_object *o, void *item, const char *path, char *err,
		      size_t errlen)
{
	struct cfg_wave *w = item;
	bool present;
	int rc;
	if ((rc = parse_head(o, &w->id, path, err, errlen)) < 0)
		return rc;
	if ((rc = cval_time(o, "start", &w->t0, &present, path, err, errlen)) < 0)
		return rc;
	if (!present)
		w->t0 = NO_TIME;
	return parse_bibs(o, w, path, err, errlen);
}

/* age_min and age_max (0 to 200; -1 when absent), max not below min. */
static int parse_ages(const msgpack_object *o, int *lo, int *hi, const char *path, char *err,
		      size_t errlen)
{
	char pb[256];
	int64_t v;
	bool present;
	int rc;
	*lo = *hi = -1;
	if ((rc = cval_int(o, "age_min", 0, 200, &v, &present, path, err, errlen)) < 0)
		return rc;
	if (present)
		*lo = (int)v;
	if ((rc = cval_int(o, "age_max", 0, 200, &v, &present, path, err, errlen)) < 0)
		return rc;
	if (present)
		*hi = (int)v;
	if (*lo >= 0 && *hi >= 0 && *hi < *lo)
		CVAL_FAIL(SL_EINVAL, "%s: less than age_min",
			  cval_path(pb, sizeof(pb), path, "age_max"));
	return 0;
}

static int parse_cat(const msgpack_object *o, void *item, const char *path, char *err,
		     size_t errlen)
{
	struct cfg_cat *k = item;
	char pb[256];
	const char *s;
	size_t n;
	int rc;

	if ((rc = parse_head(o, &k->id, path, err, errlen)) < 0 ||
	    (rc = parse_name(o, k->id, &k->name, path, err, errlen)) < 0)
		return rc;
	k->sex = SEX_NONE;
	rc = slp_get_str(o, "sex", &s, &n);
	if (rc == 0 && (k->sex = cfg_sex_parse(s, n)) == -2)
		rc = SL_EINVAL;
	if (rc == SL_EINVAL)
		CVAL_FAIL(SL_EINVAL, "%s: expected M, F or X",
			  cval_path(pb, sizeof(pb), path, "sex"));
	if (rc == SL_ENOENT)
		k->sex = SEX_NONE;
	if ((rc = parse_ages(o, &k->age_min, &k->age_max, path, err, errlen)) < 0)
		return rc;
	if ((rc = cval_str(o, "field", false, &k->field, path, err, errlen)) < 0)
		return rc;
	const msgpack_object *eq = slp_get(o, "equals");
	if (eq && eq->type != MSGPACK_OBJECT_NIL) {
		if (!(k->equals = cval_id_obj(eq)) || (eq->type == MSGPACK_OBJECT_STR &&
						       memchr(eq->via.str.ptr, '\0', eq->via.str.size)))
			CVAL_FAIL(SL_EINVAL, "%s: expected string",
				  cval_path(pb, sizeof(pb), path, "equals"));
	}
	if (k->field && !k->equals)
		CVAL_FAIL(SL_EINVAL, "%s: required with field",
			  cval_path(pb, sizeof(pb), path, "equals"));
	if (!k->field && k->equals)
		CVAL_FAIL(SL_EINVAL, "%s: required with equals",
			  cval_path(pb, sizeof(pb), path, "field"));
	if (k->field && !*k->field)
		CVAL_FAIL(SL_EINVAL, "%s: expected a field name",
			  cval_path(pb, sizeof(pb), path, "field"));
	return 0;
}

static int parse_hcap(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		      size_t errlen)
{
	static const char *const units[] = {"secs", "factor", NULL};
	const msgpack_object_array *a;
	char pb[256], ip[300];
	int unit, rc;
	if (o->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "%s: expected map", path);
	if ((rc = enum_field(o, "unit", units, 0, &unit, path, "secs or factor", err, errlen)) < 0)
		return rc;
	r->hcap_factor = unit == 1;
	if ((rc = get_arr(o, "rows", true, &a, path, err, errlen)) < 0)
		return rc;
	if (a->size > CFG_MAX_ITEMS)
		CVAL_FAIL(SL_EINVAL, "%s: at most %d rows", cval_path(pb, sizeof(pb), path, "rows"),
			  CFG_MAX_ITEMS);
	r->hcap = sl_calloc(a->size ? a->size : 1, sizeof(*r->hcap));
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *h = &a->ptr[i];
		struct cfg_hcap *b = &r->hcap[i];
		double d;
		snprintf(ip, sizeof(ip), "%s.rows[%u]", path, i);
		r->nhcap = i + 1;
		if (h->type != MSGPACK_OBJECT_MAP)
			CVAL_FAIL(SL_EINVAL, "%s: expected map", ip);
		if ((rc = cval_str(h, "class", false, &b->cls, ip, err, errlen)) < 0 ||
		    (rc = parse_ages(h, &b->age_min, &b->age_max, ip, err, errlen)) < 0)
			return rc;
		rc = slp_get_num(h, "value", &d);
		if (rc < 0 || !(d >= 0) || d > 86400 || (r->hcap_factor && !(d > 0)))
			CVAL_FAIL(SL_EINVAL, "%s: expected %s",
				  cval_path(pb, sizeof(pb), ip, "value"),
				  r->hcap_factor ? "a factor above 0" : "seconds from 0 to 86400");
		b->value = d;
	}
	return 0;
}

static int parse_regatta(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
			 size_t errlen)
{
	const msgpack_object_array *a;
	const msgpack_object *h;
	char pb[256];
	int64_t v;
	bool present;
	int rc;

	r->start_interval_ms = -1;
	if ((rc = cval_secs(o, "start_interval_s", &r->start_interval_ms, &present, path, err,
			    errlen)) < 0)
		return rc;
	if (!present)
		r->start_interval_ms = -1;
	r->nlanes = 8;
	if ((rc = cval_int(o, "lanes", 1, 64, &v, &present, path, err, errlen)) < 0)
		return rc;
	if (present)
		r->nlanes = (int)v;
	if ((rc = get_arr(o, "lane_order", false, &a, path, err, errlen)) < 0)
		return rc;
	r->lane_order = sl_calloc((size_t)r->nlanes, sizeof(int));
	if (a) {
		cval_path(pb, sizeof(pb), path, "lane_order");
		if (a->size != (uint32_t)r->nlanes)
			CVAL_FAIL(SL_EINVAL, "%s: expected %d lanes", pb, r->nlanes);
		for (uint32_t i = 0; i < a->size; i++) {
			int64_t l;
			if (slp_as_int(&a->ptr[i], &l) < 0 || l < 1 || l > r->nlanes)
				CVAL_FAIL(SL_EINVAL, "%s[%u]: expected a lane from 1 to %d", pb, i,
					  r->nlanes);
			for (uint32_t j = 0; j < i; j++)
				if (r->lane_order[j] == l)
					CVAL_FAIL(SL_EINVAL, "%s[%u]: lane %d twice", pb, i,
						  (int)l);
			r->lane_order[i] = (int)l;
		}
	} else {
		prog_centre_lanes(r->nlanes, r->lane_order);
	}
	if ((rc = cval_str(o, "progression", false, &r->progression, path, err, errlen)) < 0)
		return rc;
	if (r->progression) {
		struct prog_rule pr;
		char perr[200];
		if (prog_parse(r->progression, &pr, perr, sizeof(perr)) == SL_EINVAL)
			CVAL_FAIL(SL_EINVAL, "%s: %s",
				  cval_path(pb, sizeof(pb), path, "progression"), perr);
	}
	if ((rc = cval_str(o, "boat_class", false, &r->boat_class, path, err, errlen)) < 0)
		return rc;
	if (!r->boat_class) {
		struct boatclass bc;
		if (boatclass_parse(r->name, &bc) == 0)
			r->boat_class = sl_strdup(bc.code);
	}
	if ((rc = parse_pool(o, r, path, err, errlen)) < 0)
		return rc;
	h = slp_get(o, "handicap");
	if (h && h->type != MSGPACK_OBJECT_NIL)
		return parse_hcap(h, r, cval_path(pb, sizeof(pb), path, "handicap"), err, errlen);
	return 0;
}

/*
 * A race's keys, each read by its parser in the order of race_keys[] (so
 * the first error a config shows is always the same one).
 */
typedef int race_parser(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
			size_t errlen);

static int race_id(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		   size_t errlen)
{
	return cval_id(o, "id", true, &r->id, path, err, errlen);
}

static int race_name(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		     size_t errlen)
{
	return parse_name(o, r->id, &r->name, path, err, errlen);
}

static int race_kind(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		     size_t errlen)
{
	static const char *const kinds[] = {"mass", "trial", "lanes", NULL};
	return enum_field(o, "kind", kinds, RACE_MASS, &r->kind, path, "mass, trial or lanes", err,
			  errlen);
}

static int race_ranking(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
			size_t errlen)
{
	static const char *const rankings[] = {"net", "gun", NULL};
	return enum_field(o, "ranking", rankings, RANK_NET, &r->ranking, path, "net or gun", err,
			  errlen);
}

static int race_precision(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
			  size_t errlen)
{
	int64_t v;
	bool present;
	int rc;
	r->precision_ms = 1000;
	if ((rc = cval_int(o, "precision_ms", 1, 3600000, &v, &present, path, err, errlen)) < 0)
		return rc;
	if (present)
		r->precision_ms = v;
	return 0;
}

/* One item of a list (a wave, a category) into *item. */
typedef int item_parser(const msgpack_object *o, void *item, const char *path, char *err,
			size_t errlen);

/*
 * The optional list key of a race (waves, categories): at most
 * CFG_MAX_ITEMS, each parsed by parse into *items (size bytes each, its id
 * a char * at id_off) and *n counting those parsed (released with the race
 * on error); ids unique ("duplicate <what>").
 */
static int parse_items(const msgpack_object *o, const char *key, const char *what, void **items,
		       size_t *n, size_t size, size_t id_off, item_parser *parse, const char *path,
		       char *err, size_t errlen)
{
	const msgpack_object_array *a;
	char pb[256], ip[256];
	int rc;
	if ((rc = get_arr(o, key, false, &a, path, err, errlen)) < 0)
		return rc;
	if (a && a->size > CFG_MAX_ITEMS)
		CVAL_FAIL(SL_EINVAL, "%s: at most %d %s", cval_path(pb, sizeof(pb), path, key),
			  CFG_MAX_ITEMS, key);
	if (!a || !a->size)
		return 0;
	char *base = *items = sl_calloc(a->size, size);
	for (uint32_t i = 0; i < a->size; i++) {
		snprintf(ip, sizeof(ip), "%s.%s[%u]", path, key, i);
		*n = i + 1;
		if ((rc = parse(&a->ptr[i], base + i * size, ip, err, errlen)) < 0)
			return rc;
		const char *id = *(char **)(base + i * size + id_off);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(*(char **)(base + j * size + id_off), id))
				CVAL_FAIL(SL_EINVAL, "%s.id: duplicate %s '%s'", ip, what, id);
	}
	return 0;
}

static int race_waves(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		      size_t errlen)
{
	void *items = NULL;
	int rc = parse_items(o, "waves", "wave", &items, &r->nwaves, sizeof(*r->waves),
			     offsetof(struct cfg_wave, id), parse_wave, path, err, errlen);
	r->waves = items; /* also on error: released with the race */
	return rc;
}

/* One timing point (not a backup station) at ip, appended to r->points. */
static int race_point(const msgpack_object *po, struct cfg_race *r, const char *ip, char *err,
		      size_t errlen)
{
	struct cfg_point *p = &r->points[r->npoints];
	size_t k = r->npoints++;
	int rc;
	if ((rc = parse_point(po, p, ip, err, errlen)) < 0)
		return rc;
	for (size_t j = 0; j < k; j++)
		if (!strcmp(r->points[j].id, p->id))
			CVAL_FAIL(SL_EINVAL, "%s.id: duplicate point '%s'", ip, p->id);
	if (p->role == PT_START && k != 0)
		CVAL_FAIL(SL_EINVAL, "%s.role: the start must be the first point", ip);
	if (r->finish_pt >= 0)
		CVAL_FAIL(SL_EINVAL, "%s.role: the finish must be the last point", ip);
	if (p->role == PT_START)
		r->start_pt = (int)k;
	if (p->role == PT_FINISH)
		r->finish_pt = (int)k;
	if (k > 0 && p->distance_m < r->points[k - 1].distance_m)
		CVAL_FAIL(SL_EINVAL, "%s.distance_m: less than the previous point's", ip);
	const msgpack_object_array *sa;
	if ((rc = get_arr(po, "stations", false, &sa, ip, err, errlen)) < 0)
		return rc;
	for (uint32_t q = 0; sa && q < sa->size; q++) {
		char *sid = cval_id_obj(&sa->ptr[q]);
		if (!sid || !sl_id_ok(sid, strlen(sid))) {
			free(sid);
			CVAL_FAIL(SL_EINVAL, "%s.stations[%u]: expected a station id", ip, q);
		}
		if (p->nstations == CFG_MAX_STATIONS) {
			free(sid);
			CVAL_FAIL(SL_EINVAL, "%s.stations: at most %d", ip, CFG_MAX_STATIONS);
		}
		p->stations = sl_realloc(p->stations, (p->nstations + 1) * sizeof(char *));
		p->stations[p->nstations++] = sid;
		r->nbackups++;
	}
	return 0;
}

/* Backup stations declared as points of their own ({id, station_of}). */
struct backups {
	char **id, **of;
	uint32_t n;
};

/* Each backup station joins the point it records; ids stay unique. */
static int race_backups(struct cfg_race *r, struct backups *b, const char *path, char *err,
			size_t errlen)
{
	char pb[256];
	for (uint32_t q = 0; q < b->n; q++) {
		int j = cfg_point_find(r, b->of[q], strlen(b->of[q]));
		if (j < 0)
			CVAL_FAIL(SL_EINVAL, "%s: station '%s': station_of: no point '%s'",
				  cval_path(pb, sizeof(pb), path, "points"), b->id[q], b->of[q]);
		struct cfg_point *p = &r->points[j];
		if (p->nstations == CFG_MAX_STATIONS)
			CVAL_FAIL(SL_EINVAL, "%s: point '%s': at most %d stations",
				  cval_path(pb, sizeof(pb), path, "points"), p->id,
				  CFG_MAX_STATIONS);
		p->stations = sl_realloc(p->stations, (p->nstations + 1) * sizeof(char *));
		p->stations[p->nstations++] = b->id[q];
		b->id[q] = NULL;
		r->nbackups++;
	}
	/* station ids are unique among points and stations */
	for (size_t j = 0; j < r->npoints; j++)
		for (size_t q = 0; q < r->points[j].nstations; q++) {
			const char *sid = r->points[j].stations[q];
			int slot, pj = cfg_station_find(r, sid, strlen(sid), &slot);
			if (pj != (int)j || slot != (int)q + 1)
				CVAL_FAIL(SL_EINVAL, "%s: duplicate station '%s'",
					  cval_path(pb, sizeof(pb), path, "points"), sid);
		}
	return 0;
}

static int race_points(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		       size_t errlen)
{
	const msgpack_object_array *a;
	char pb[256], ip[256];
	int rc;
	if ((rc = get_arr(o, "points", true, &a, path, err, errlen)) < 0)
		return rc;
	if (!a->size)
		CVAL_FAIL(SL_EINVAL, "%s: expected at least a finish point",
			  cval_path(pb, sizeof(pb), path, "points"));
	if (a->size > CFG_MAX_ITEMS)
		CVAL_FAIL(SL_EINVAL, "%s: at most %d points",
			  cval_path(pb, sizeof(pb), path, "points"), CFG_MAX_ITEMS);
	r->points = sl_calloc(a->size, sizeof(*r->points));
	r->start_pt = r->finish_pt = -1;
	struct backups b = {sl_calloc(a->size, sizeof(char *)), sl_calloc(a->size, sizeof(char *)),
			    0};
	rc = 0;
	for (uint32_t i = 0; i < a->size && rc == 0; i++) {
		snprintf(ip, sizeof(ip), "%s.points[%u]", path, i);
		const msgpack_object *po = &a->ptr[i];
		if (po->type == MSGPACK_OBJECT_MAP && slp_get(po, "station_of") &&
		    slp_get(po, "station_of")->type != MSGPACK_OBJECT_NIL) {
			/* a backup station: only its id and the point it records */
			if ((rc = cval_id(po, "id", true, &b.id[b.n], ip, err, errlen)) == 0)
				rc = cval_id(po, "station_of", true, &b.of[b.n], ip, err, errlen);
			b.n++;
			continue;
		}
		rc = race_point(po, r, ip, err, errlen);
	}
	if (rc == 0)
		rc = race_backups(r, &b, path, err, errlen);
	for (uint32_t q = 0; q < b.n; q++) {
		free(b.id[q]);
		free(b.of[q]);
	}
	free(b.id);
	free(b.of);
	if (rc < 0)
		return rc;
	if (!r->npoints)
		CVAL_FAIL(SL_EINVAL, "%s: expected at least a finish point",
			  cval_path(pb, sizeof(pb), path, "points"));
	if (r->finish_pt < 0)
		CVAL_FAIL(SL_EINVAL, "%s: expected a point with role finish",
			  cval_path(pb, sizeof(pb), path, "points"));
	return 0;
}

/* After the points: the race's distance defaults to its finish's. */
static int race_distance(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
			 size_t errlen)
{
	char pb[256];
	double d;
	int rc = slp_get_num(o, "distance_m", &d);
	if (rc == SL_ENOENT)
		d = r->points[r->finish_pt].distance_m;
	else if (rc < 0 || !(d >= 0) || d > 1e7)
		CVAL_FAIL(SL_EINVAL, "%s: expected a distance in metres from 0 to 10000000",
			  cval_path(pb, sizeof(pb), path, "distance_m"));
	r->distance_m = d;
	return 0;
}


/*
 * What the event directory lists (optional): level (district, street or
 * community), organizer and venue, texts of at most 200 bytes.  A config
 * of old has none of them.
 */
static int parse_listing(const msgpack_object *map, struct cfg *c, char *err, size_t errlen)
{
	static const char *const levels[] = {"district", "street", "community"};
	char **txt[2] = {&c->organizer, &c->venue};
	static const char *const keys[2] = {"organizer", "venue"};
	int rc;

	if ((rc = cval_str(map, "level", false, &c->level, "", err, errlen)) < 0)
		return rc;
	if (c->level) {
		size_t k = 0;
		while (k < 3 && strcmp(c->level, levels[k]) != 0)
			k++;
		if (k == 3)
			CVAL_FAIL(SL_EINVAL, "level: '%.64s' is not one of district, street, community",
				  c->level);
	}
	for (int i = 0; i < 2; i++) {
		if ((rc = cval_str(map, keys[i], false, txt[i], "", err, errlen)) < 0)
			return rc;
		if (*txt[i] && strlen(*txt[i]) > 200)
			CVAL_FAIL(SL_EINVAL, "%s: at most 200 bytes", keys[i]);
	}
	return 0;
}

/* The course as a GPX document (text): kept for pages, which draw it (PROTOCOL.md). */
static int race_gpx(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		    size_t errlen)
{
	char pb[256];
	int rc = cval_str(o, "gpx", false, &r->gpx, path, err, errlen);
	if (rc < 0)
		return rc;
	if (r->gpx && strlen(r->gpx) > CFG_GPX_MAX)
		CVAL_FAIL(SL_EINVAL, "%s: %zu bytes, at most %d: keep fewer track points",
			  cval_path(pb, sizeof(pb), path, "gpx"), strlen(r->gpx), CFG_GPX_MAX);
	if (r->gpx && !strstr(r->gpx, "<trkpt") && !strstr(r->gpx, "<rtept"))
		CVAL_FAIL(SL_EINVAL, "%s: no <trkpt> or <rtept> in it: expected a GPX track",
			  cval_path(pb, sizeof(pb), path, "gpx"));
	return 0;
}

static int race_cats(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		     size_t errlen)
{
	void *items = NULL;
	int rc = parse_items(o, "categories", "category", &items, &r->ncats, sizeof(*r->cats),
			     offsetof(struct cfg_cat, id), parse_cat, path, err, errlen);
	r->cats = items; /* also on error: released with the race */
	return rc;
}

static const struct {
	const char *key; /* what the parser reads first (documentation) */
	race_parser *parse;
} race_keys[] = {
	{"id", race_id},
	{"name", race_name},
	{"kind", race_kind},
	{"ranking", race_ranking},
	{"precision_ms", race_precision},
	{"waves", race_waves},
	{"points", race_points},
	{"distance_m", race_distance},
	{"categories", race_cats},
	{"gpx", race_gpx},
	{"boat_class", parse_regatta}, /* and the other regatta keys */
};

static int parse_race(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		      size_t errlen)
{
	int rc;
	if (o->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "%s: expected map", path);
	for (size_t i = 0; i < sizeof(race_keys) / sizeof(race_keys[0]); i++)
		if ((rc = race_keys[i].parse(o, r, path, err, errlen)) < 0)
			return rc;
	return 0;
}

static int parse(const msgpack_object *map, struct cfg *c, int flags, char *err, size_t errlen)
{
	const msgpack_object_array *a;
	char ip[64];
	int rc;

	if (map->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL(SL_EINVAL, "config: expected map");
	if ((rc = cval_str(map, "event", true, &c->event, "", err, errlen)) < 0)
		return rc;
	if (!sl_event_id_ok(c->event, strlen(c->event)))
		CVAL_FAIL(SL_EINVAL, "event: expected an id of " SL_EVENT_ID_WORDS);
	if ((rc = cval_str(map, "name", false, &c->name, "", err, errlen)) < 0)
		return rc;
	if (!c->name)
		c->name = sl_strdup(c->event);
	char *date = NULL;
	if ((rc = cval_str(map, "date", true, &date, "", err, errlen)) < 0)
		return rc;
	rc = strlen(date) == 10 ? sl_parse_iso(date, &c->date_ms) : SL_EPARSE;
	free(date);
	if (rc < 0)
		CVAL_FAIL(SL_EINVAL, "date: expected YYYY-MM-DD");
	cval_civil(c->date_ms, &c->date_y, &c->date_m, &c->date_d);
	rc = cval_str(map, "timezone", false, &c->timezone, "", err, errlen);
	if (rc == 0 && c->timezone && !evkeys_tz_name_ok(c->timezone, strlen(c->timezone))) {
		cval_err(err, errlen,
			 "timezone: '%.64s' is not a time zone name such as America/New_York",
			 c->timezone);
		rc = SL_EINVAL;
	}
	if (rc < 0 && (flags & CFG_STRICT))
		return rc;
	if (rc < 0) { /* a record of old: the key meant nothing then */
		free(c->timezone);
		c->timezone = NULL;
		cval_err(err, errlen, "%s", "");
	}

	if ((rc = parse_listing(map, c, err, errlen)) < 0)
		return rc;

	if ((rc = get_arr(map, "races", true, &a, "", err, errlen)) < 0)
		return rc;
	if (!a->size)
		CVAL_FAIL(SL_EINVAL, "races: expected at least one race");
	if (a->size > CFG_MAX_ITEMS)
		CVAL_FAIL(SL_EINVAL, "races: at most %d races", CFG_MAX_ITEMS);
	c->races = sl_calloc(a->size, sizeof(*c->races));
	for (uint32_t i = 0; i < a->size; i++) {
		snprintf(ip, sizeof(ip), "races[%u]", i);
		c->nraces = i + 1;
		if ((rc = parse_race(&a->ptr[i], &c->races[i], ip, err, errlen)) < 0)
			return rc;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(c->races[j].id, c->races[i].id))
				CVAL_FAIL(SL_EINVAL, "%s.id: duplicate race '%s'", ip,
					  c->races[i].id);
	}
	return 0;
}

int cfg_parse(const msgpack_object *map, struct cfg *out, int flags, char *err, size_t errlen)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (flags & CFG_STRICT)
		rc = cfg__strict_keys(map, err, errlen);
	if (rc == 0)
		rc = parse(map, out, flags, err, errlen);
	if (rc == 0)
		rc = cfg__score(map, out, flags, err, errlen);
	if (rc == 0 && (flags & CFG_STRICT))
		rc = cfg__strict_rules(map, out, err, errlen);
	if (rc < 0)
		cfg_release(out);
	return rc;
}

void cfg_release(struct cfg *c)
{
	for (size_t i = 0; i < c->nraces; i++) {
		struct cfg_race *r = &c->races[i];
		for (size_t j = 0; j < r->nwaves; j++)
			free(r->waves[j].id);
		for (size_t j = 0; j < r->npoints; j++) {
			for (size_t q = 0; q < r->points[j].nstations; q++)
				free(r->points[j].stations[q]);
			SL_FREE_MANY(r->points[j].id, r->points[j].name, r->points[j].stations);
		}
		for (size_t j = 0; j < r->nhcap; j++)
			free(r->hcap[j].cls);
		for (size_t j = 0; j < r->ncats; j++)
			SL_FREE_MANY(r->cats[j].id, r->cats[j].name, r->cats[j].field,
				     r->cats[j].equals);
		cfg__score_release(r);
		SL_FREE_MANY(r->hcap, r->lane_order, r->pool, r->progression, r->boat_class,
			     r->gpx, r->waves, r->points, r->cats, r->id, r->name);
	}
	SL_FREE_MANY(c->races, c->event, c->name, c->timezone, c->level, c->organizer, c->venue);
	memset(c, 0, sizeof(*c));
}

int64_t cfg_hcap_apply(const struct cfg_race *r, const char *cls, double age, int64_t raw)
{
	for (size_t i = 0; i < r->nhcap; i++) {
		const struct cfg_hcap *b = &r->hcap[i];
		if (b->cls && (!cls || strcmp(b->cls, cls) != 0))
			continue;
		if ((b->age_min >= 0 || b->age_max >= 0) && !(age >= 0))
			continue;
		if (b->age_min >= 0 && age < b->age_min)
			continue;
		if (b->age_max >= 0 && age >= b->age_max + 1)
			continue;
		if (r->hcap_factor)
			return llround((double)raw * b->value);
		return raw - llround(b->value * 1000.0);
	}
	return raw;
}

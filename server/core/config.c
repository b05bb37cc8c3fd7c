/*
 * config.c: parsing and validating the event configuration (see config.h).
 *
 * The parser fills a cfg as it goes and, on the first error, releases what
 * it built: the caller sees either a whole valid cfg or nothing.  Rules that
 * span fields: ids unique within their list; at most one start point, and
 * it comes first; exactly one finish, and it comes last; point distances
 * never decrease; a category's field and equals come together.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "cval.h"
#include "slp.h"

#define E(...)                                                                 \
	do {                                                                   \
		cval_err(err, errlen, __VA_ARGS__);                            \
		return SL_EINVAL;                                              \
	} while (0)

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
	E("%s: expected %s", cval_path(pb, sizeof(pb), path, key), expect);
}

static int get_arr(const msgpack_object *map, const char *key, bool required,
		   const msgpack_object_array **a, const char *path, char *err, size_t errlen)
{
	char pb[256];
	int rc = slp_get_arr(map, key, a);
	if (rc == SL_ENOENT) {
		*a = NULL;
		if (required)
			E("%s: required", cval_path(pb, sizeof(pb), path, key));
		return 0;
	}
	if (rc < 0)
		E("%s: expected array", cval_path(pb, sizeof(pb), path, key));
	return 0;
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

	if (o->type != MSGPACK_OBJECT_MAP)
		E("%s: expected map", path);
	if ((rc = cval_id(o, "id", true, &p->id, path, err, errlen)) < 0)
		return rc;
	if ((rc = cval_str(o, "name", false, &p->name, path, err, errlen)) < 0)
		return rc;
	if (!p->name)
		p->name = sl_strdup(p->id);
	if (!slp_get(o, "role"))
		E("%s: required", cval_path(pb, sizeof(pb), path, "role"));
	if ((rc = enum_field(o, "role", roles, PT_SPLIT, &p->role, path,
			     "start, split or finish", err, errlen)) < 0)
		return rc;
	rc = slp_get_num(o, "distance_m", &d);
	if (rc == SL_ENOENT && p->role == PT_START)
		d = 0;
	else if (rc == SL_ENOENT)
		E("%s: required", cval_path(pb, sizeof(pb), path, "distance_m"));
	else if (rc < 0 || !(d >= 0) || d > 1e7)
		E("%s: expected a distance in metres from 0 to 10000000",
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

static int parse_bibs(const msgpack_object *o, struct cfg_wave *w, const char *path, char *err,
		      size_t errlen)
{
	char pb[256], tb[64];
	const msgpack_object *b = slp_get(o, "bibs");
	long long lo, hi;
	int used = 0;

	if (!b || b->type == MSGPACK_OBJECT_NIL)
		return 0;
	cval_path(pb, sizeof(pb), path, "bibs");
	if (b->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		w->has_bibs = true;
		w->bib_lo = w->bib_hi = (int64_t)(b->via.u64 > INT64_MAX ? INT64_MAX : b->via.u64);
		return 0;
	}
	if (b->type != MSGPACK_OBJECT_STR || b->via.str.size >= sizeof(tb))
		E("%s: expected a range such as \"1-8999\"", pb);
	memcpy(tb, b->via.str.ptr, b->via.str.size);
	tb[b->via.str.size] = '\0';
	if (sscanf(tb, "%lld-%lld%n", &lo, &hi, &used) == 2 && tb[used] == '\0' && lo >= 0 &&
	    hi >= lo) {
		w->has_bibs = true;
		w->bib_lo = lo;
		w->bib_hi = hi;
		return 0;
	}
	if (sscanf(tb, "%lld%n", &lo, &used) == 1 && tb[used] == '\0' && lo >= 0) {
		w->has_bibs = true;
		w->bib_lo = w->bib_hi = lo;
		return 0;
	}
	E("%s: expected a range such as \"1-8999\", got '%s'", pb, tb);
}

static int parse_wave(const msgpack_object *o, struct cfg_wave *w, const char *path, char *err,
		      size_t errlen)
{
	bool present;
	int rc;
	if (o->type != MSGPACK_OBJECT_MAP)
		E("%s: expected map", path);
	if ((rc = cval_id(o, "id", true, &w->id, path, err, errlen)) < 0)
		return rc;
	if ((rc = cval_time(o, "start", &w->t0, &present, path, err, errlen)) < 0)
		return rc;
	if (!present)
		w->t0 = NO_TIME;
	return parse_bibs(o, w, path, err, errlen);
}

static int parse_cat(const msgpack_object *o, struct cfg_cat *k, const char *path, char *err,
		     size_t errlen)
{
	char pb[256];
	const char *s;
	size_t n;
	int64_t v;
	bool present;
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP)
		E("%s: expected map", path);
	if ((rc = cval_id(o, "id", true, &k->id, path, err, errlen)) < 0)
		return rc;
	if ((rc = cval_str(o, "name", false, &k->name, path, err, errlen)) < 0)
		return rc;
	if (!k->name)
		k->name = sl_strdup(k->id);
	k->sex = SEX_NONE;
	rc = slp_get_str(o, "sex", &s, &n);
	if (rc == 0 && (k->sex = cfg_sex_parse(s, n)) == -2)
		rc = SL_EINVAL;
	if (rc == SL_EINVAL)
		E("%s: expected M, F or X", cval_path(pb, sizeof(pb), path, "sex"));
	if (rc == SL_ENOENT)
		k->sex = SEX_NONE;
	k->age_min = k->age_max = -1;
	if ((rc = cval_int(o, "age_min", 0, 200, &v, &present, path, err, errlen)) < 0)
		return rc;
	if (present)
		k->age_min = (int)v;
	if ((rc = cval_int(o, "age_max", 0, 200, &v, &present, path, err, errlen)) < 0)
		return rc;
	if (present)
		k->age_max = (int)v;
	if (k->age_min >= 0 && k->age_max >= 0 && k->age_max < k->age_min)
		E("%s: less than age_min", cval_path(pb, sizeof(pb), path, "age_max"));
	if ((rc = cval_str(o, "field", false, &k->field, path, err, errlen)) < 0)
		return rc;
	const msgpack_object *eq = slp_get(o, "equals");
	if (eq && eq->type != MSGPACK_OBJECT_NIL) {
		if (!(k->equals = cval_id_obj(eq)) || (eq->type == MSGPACK_OBJECT_STR &&
						       memchr(eq->via.str.ptr, '\0', eq->via.str.size)))
			E("%s: expected string", cval_path(pb, sizeof(pb), path, "equals"));
	}
	if (k->field && !k->equals)
		E("%s: required with field", cval_path(pb, sizeof(pb), path, "equals"));
	if (!k->field && k->equals)
		E("%s: required with equals", cval_path(pb, sizeof(pb), path, "field"));
	if (k->field && !*k->field)
		E("%s: expected a field name", cval_path(pb, sizeof(pb), path, "field"));
	return 0;
}

static int parse_race(const msgpack_object *o, struct cfg_race *r, const char *path, char *err,
		      size_t errlen)
{
	static const char *const kinds[] = {"mass", "trial", "lanes", NULL};
	static const char *const rankings[] = {"net", "gun", NULL};
	const msgpack_object_array *a;
	char pb[256], ip[256];
	int64_t v;
	double d;
	bool present;
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP)
		E("%s: expected map", path);
	if ((rc = cval_id(o, "id", true, &r->id, path, err, errlen)) < 0)
		return rc;
	if ((rc = cval_str(o, "name", false, &r->name, path, err, errlen)) < 0)
		return rc;
	if (!r->name)
		r->name = sl_strdup(r->id);
	if ((rc = enum_field(o, "kind", kinds, RACE_MASS, &r->kind, path, "mass, trial or lanes",
			     err, errlen)) < 0)
		return rc;
	if ((rc = enum_field(o, "ranking", rankings, RANK_NET, &r->ranking, path, "net or gun",
			     err, errlen)) < 0)
		return rc;
	r->precision_ms = 1000;
	if ((rc = cval_int(o, "precision_ms", 1, 3600000, &v, &present, path, err, errlen)) < 0)
		return rc;
	if (present)
		r->precision_ms = v;

	/* waves */
	if ((rc = get_arr(o, "waves", false, &a, path, err, errlen)) < 0)
		return rc;
	if (a && a->size > CFG_MAX_ITEMS)
		E("%s: at most %d waves", cval_path(pb, sizeof(pb), path, "waves"), CFG_MAX_ITEMS);
	if (a && a->size) {
		r->waves = sl_calloc(a->size, sizeof(*r->waves));
		for (uint32_t i = 0; i < a->size; i++) {
			snprintf(ip, sizeof(ip), "%s.waves[%u]", path, i);
			r->nwaves = i + 1;
			if ((rc = parse_wave(&a->ptr[i], &r->waves[i], ip, err, errlen)) < 0)
				return rc;
			for (uint32_t j = 0; j < i; j++)
				if (!strcmp(r->waves[j].id, r->waves[i].id))
					E("%s.id: duplicate wave '%s'", ip, r->waves[i].id);
		}
	}

	/* points */
	if ((rc = get_arr(o, "points", true, &a, path, err, errlen)) < 0)
		return rc;
	if (!a->size)
		E("%s: expected at least a finish point", cval_path(pb, sizeof(pb), path, "points"));
	if (a->size > CFG_MAX_ITEMS)
		E("%s: at most %d points", cval_path(pb, sizeof(pb), path, "points"), CFG_MAX_ITEMS);
	r->points = sl_calloc(a->size, sizeof(*r->points));
	r->start_pt = r->finish_pt = -1;
	for (uint32_t i = 0; i < a->size; i++) {
		struct cfg_point *p = &r->points[i];
		snprintf(ip, sizeof(ip), "%s.points[%u]", path, i);
		r->npoints = i + 1;
		if ((rc = parse_point(&a->ptr[i], p, ip, err, errlen)) < 0)
			return rc;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(r->points[j].id, p->id))
				E("%s.id: duplicate point '%s'", ip, p->id);
		if (p->role == PT_START && i != 0)
			E("%s.role: the start must be the first point", ip);
		if (r->finish_pt >= 0)
			E("%s.role: the finish must be the last point", ip);
		if (p->role == PT_START)
			r->start_pt = (int)i;
		if (p->role == PT_FINISH)
			r->finish_pt = (int)i;
		if (i > 0 && p->distance_m < r->points[i - 1].distance_m)
			E("%s.distance_m: less than the previous point's", ip);
	}
	if (r->finish_pt < 0)
		E("%s: expected a point with role finish", cval_path(pb, sizeof(pb), path, "points"));

	rc = slp_get_num(o, "distance_m", &d);
	if (rc == SL_ENOENT)
		d = r->points[r->finish_pt].distance_m;
	else if (rc < 0 || !(d >= 0) || d > 1e7)
		E("%s: expected a distance in metres from 0 to 10000000",
		  cval_path(pb, sizeof(pb), path, "distance_m"));
	r->distance_m = d;

	/* categories */
	if ((rc = get_arr(o, "categories", false, &a, path, err, errlen)) < 0)
		return rc;
	if (a && a->size > CFG_MAX_ITEMS)
		E("%s: at most %d categories", cval_path(pb, sizeof(pb), path, "categories"),
		  CFG_MAX_ITEMS);
	if (a && a->size) {
		r->cats = sl_calloc(a->size, sizeof(*r->cats));
		for (uint32_t i = 0; i < a->size; i++) {
			snprintf(ip, sizeof(ip), "%s.categories[%u]", path, i);
			r->ncats = i + 1;
			if ((rc = parse_cat(&a->ptr[i], &r->cats[i], ip, err, errlen)) < 0)
				return rc;
			for (uint32_t j = 0; j < i; j++)
				if (!strcmp(r->cats[j].id, r->cats[i].id))
					E("%s.id: duplicate category '%s'", ip, r->cats[i].id);
		}
	}
	return 0;
}

static bool event_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int parse(const msgpack_object *map, struct cfg *c, char *err, size_t errlen)
{
	const msgpack_object_array *a;
	char ip[64];
	int rc;

	if (map->type != MSGPACK_OBJECT_MAP)
		E("config: expected map");
	if ((rc = cval_str(map, "event", true, &c->event, "", err, errlen)) < 0)
		return rc;
	if (!event_id_ok(c->event))
		E("event: expected an id of a-z, 0-9 and '-' (1 to 64 characters)");
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
		E("date: expected YYYY-MM-DD");
	cval_civil(c->date_ms, &c->date_y, &c->date_m, &c->date_d);

	if ((rc = get_arr(map, "races", true, &a, "", err, errlen)) < 0)
		return rc;
	if (!a->size)
		E("races: expected at least one race");
	if (a->size > CFG_MAX_ITEMS)
		E("races: at most %d races", CFG_MAX_ITEMS);
	c->races = sl_calloc(a->size, sizeof(*c->races));
	for (uint32_t i = 0; i < a->size; i++) {
		snprintf(ip, sizeof(ip), "races[%u]", i);
		c->nraces = i + 1;
		if ((rc = parse_race(&a->ptr[i], &c->races[i], ip, err, errlen)) < 0)
			return rc;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(c->races[j].id, c->races[i].id))
				E("%s.id: duplicate race '%s'", ip, c->races[i].id);
	}
	return 0;
}

int cfg_parse(const msgpack_object *map, struct cfg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int rc = parse(map, out, err, errlen);
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
			free(r->points[j].id);
			free(r->points[j].name);
		}
		for (size_t j = 0; j < r->ncats; j++) {
			free(r->cats[j].id);
			free(r->cats[j].name);
			free(r->cats[j].field);
			free(r->cats[j].equals);
		}
		free(r->waves);
		free(r->points);
		free(r->cats);
		free(r->id);
		free(r->name);
	}
	free(c->races);
	free(c->event);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

static bool eqn(const char *a, const char *b, size_t n)
{
	return strlen(a) == n && memcmp(a, b, n) == 0;
}

int cfg_race_find(const struct cfg *c, const char *id, size_t n)
{
	for (size_t i = 0; i < c->nraces; i++)
		if (eqn(c->races[i].id, id, n))
			return (int)i;
	return -1;
}

int cfg_wave_find(const struct cfg_race *r, const char *id, size_t n)
{
	for (size_t i = 0; i < r->nwaves; i++)
		if (eqn(r->waves[i].id, id, n))
			return (int)i;
	return -1;
}

int cfg_point_find(const struct cfg_race *r, const char *id, size_t n)
{
	for (size_t i = 0; i < r->npoints; i++)
		if (eqn(r->points[i].id, id, n))
			return (int)i;
	return -1;
}

int cfg_cat_find(const struct cfg_race *r, const char *id, size_t n)
{
	for (size_t i = 0; i < r->ncats; i++)
		if (eqn(r->cats[i].id, id, n))
			return (int)i;
	return -1;
}

int cfg_wave_for_bib(const struct cfg_race *r, const char *bib)
{
	if (!r->nwaves)
		return -1;
	char *end;
	if (*bib >= '0' && *bib <= '9') {
		long long v = strtoll(bib, &end, 10);
		if (*end == '\0')
			for (size_t i = 0; i < r->nwaves; i++)
				if (r->waves[i].has_bibs && v >= r->waves[i].bib_lo &&
				    v <= r->waves[i].bib_hi)
					return (int)i;
	}
	return 0;
}

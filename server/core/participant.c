/*
 * participant.c: participant rows: parse, pack back, derived facts (age on
 * race day) and the bib order used for ties and listings.
 */
#include "participant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cval.h"
#include "slp.h"

bool entry_chip_ok(const char *s, size_t n)
{
	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == '/')
			return false;
	return true;
}

/* An entry with nothing in it: no strings, no sex, age or lane. */
static void entry_clear(struct entry *e)
{
	memset(e, 0, sizeof(*e));
	e->sex = SEX_NONE;
	e->age = e->lane = -1;
}

static int add_chip(struct entry *e, const msgpack_object *o, const char *pb, char *err,
		    size_t errlen)
{
	int rc = 0;
	if (o->type == MSGPACK_OBJECT_NIL)
		return 0;
	char *s = cval_id_obj(o);
	if (!s || !entry_chip_ok(s, strlen(s))) {
		free(s);
		CVAL_FAIL_OUT(SL_EINVAL, "%s: expected a chip code (1 to 64 printable characters)",
			      pb);
	}
	if (e->nchips == ENTRY_MAX_CHIPS) {
		free(s);
		CVAL_FAIL_OUT(SL_EINVAL, "%s: at most %d chips", pb, ENTRY_MAX_CHIPS);
	}
	for (int i = 0; i < e->nchips; i++) {
		if (!strcmp(e->chips[i], s)) {
			free(s);
			return 0;
		}
	}
	e->chips[e->nchips++] = s;
out:
	return rc;
}

/*
 * The person of a row (name, club, sex, age, birth, fields, crew): what a
 * swap exchanges and a transfer replaces.
 */
static int parse_person(const msgpack_object *row, struct entry *e, const char *path,
			bool name_required, char *err, size_t errlen)
{
	char pb[256];
	const msgpack_object *o;
	const char *s;
	size_t n;
	int64_t v;
	bool present;
	int rc = 0;

	if ((rc = cval_str(row, "name", name_required, &e->name, path, err, errlen)) < 0)
		goto out;
	if ((rc = cval_str(row, "club", false, &e->club, path, err, errlen)) < 0)
		goto out;

	rc = slp_get_str(row, "sex", &s, &n);
	if (rc == 0 && n > 0 && (e->sex = cfg_sex_parse(s, n)) == -2)
		rc = SL_EINVAL;
	if (rc == SL_EINVAL)
		CVAL_FAIL_OUT(SL_EINVAL, "%s: expected M, F or X",
			      cval_path(pb, sizeof(pb), path, "sex"));
	if (e->sex < 0)
		e->sex = SEX_NONE;
	rc = 0;

	if ((rc = cval_int(row, "age", 0, 150, &v, &present, path, err, errlen)) < 0)
		goto out;
	if (present)
		e->age = (int)v;
	if ((rc = cval_str(row, "birth", false, &e->birth, path, err, errlen)) < 0)
		goto out;
	if (e->birth && !*e->birth) {
		free(e->birth);
		e->birth = NULL;
	}
	if (e->birth && (strlen(e->birth) != 10 || sl_parse_iso(e->birth, &e->birth_ms) < 0))
		CVAL_FAIL_OUT(SL_EINVAL, "%s: '%s' is not a date YYYY-MM-DD",
			      cval_path(pb, sizeof(pb), path, "birth"), e->birth);

	o = slp_get(row, "fields");
	if (o && o->type != MSGPACK_OBJECT_NIL) {
		if (o->type != MSGPACK_OBJECT_MAP)
			CVAL_FAIL_OUT(SL_EINVAL, "%s: expected map",
				      cval_path(pb, sizeof(pb), path, "fields"));
		uint32_t cnt = o->via.map.size;
		e->fkeys = sl_calloc(cnt ? cnt : 1, sizeof(char *));
		e->fvals = sl_calloc(cnt ? cnt : 1, sizeof(char *));
		for (uint32_t i = 0; i < cnt; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			if (kv->key.type != MSGPACK_OBJECT_STR || !kv->key.via.str.size ||
			    kv->key.via.str.size > 64 ||
			    memchr(kv->key.via.str.ptr, '\0', kv->key.via.str.size))
				CVAL_FAIL_OUT(SL_EINVAL,
					      "%s: field names must be strings of 1 to 64 bytes",
					      cval_path(pb, sizeof(pb), path, "fields"));
			char *k = sl_strndup(kv->key.via.str.ptr, kv->key.via.str.size);
			char *val = kv->val.type == MSGPACK_OBJECT_NIL ? sl_strdup("")
								       : cval_id_obj(&kv->val);
			e->fkeys[e->nfields] = k;
			e->fvals[e->nfields] = val;
			e->nfields++;
			if (!val || (kv->val.type == MSGPACK_OBJECT_STR &&
				     memchr(kv->val.via.str.ptr, '\0', kv->val.via.str.size))) {
				char fb[128];
				snprintf(fb, sizeof(fb), "fields.%s", k);
				CVAL_FAIL_OUT(SL_EINVAL, "%s: expected string",
					      cval_path(pb, sizeof(pb), path, fb));
			}
			for (size_t j = 0; j + 1 < e->nfields; j++)
				if (!strcmp(e->fkeys[j], k))
					CVAL_FAIL_OUT(SL_EINVAL, "%s: duplicate field '%s'",
						      cval_path(pb, sizeof(pb), path, "fields"), k);
		}
	}
	o = slp_get(row, "members");
	if (o && o->type != MSGPACK_OBJECT_NIL) {
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > ENTRY_MAX_MEMBERS)
			CVAL_FAIL_OUT(SL_EINVAL, "%s: expected an array of at most %d members",
				      cval_path(pb, sizeof(pb), path, "members"),
				      ENTRY_MAX_MEMBERS);
		e->members =
			sl_calloc(o->via.array.size ? o->via.array.size : 1, sizeof(*e->members));
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			const msgpack_object *m = &o->via.array.ptr[i];
			struct member *mb = &e->members[e->nmembers++];
			char mp[300];
			bool cox = false;
			mb->age = -1;
			snprintf(mp, sizeof(mp), "%s.members[%u]", path, i);
			if (m->type != MSGPACK_OBJECT_MAP)
				CVAL_FAIL_OUT(SL_EINVAL, "%s: expected map", mp);
			if ((rc = cval_str(m, "name", false, &mb->name, mp, err, errlen)) < 0)
				goto out;
			if (!mb->name)
				mb->name = sl_strdup("");
			if ((rc = cval_int(m, "age", 0, 150, &v, &present, mp, err, errlen)) < 0)
				goto out;
			if (present)
				mb->age = (int)v;
			rc = slp_get_bool(m, "cox", &cox);
			if (rc == SL_EINVAL || (rc < 0 && rc != SL_ENOENT))
				CVAL_FAIL_OUT(SL_EINVAL, "%s: expected true or false",
					      cval_path(pb, sizeof(pb), mp, "cox"));
			rc = 0;
			mb->cox = cox;
		}
	}
	if (!e->name)
		e->name = sl_strdup("");
	if (!e->club)
		e->club = sl_strdup("");
out:
	return rc;
}

int entry_parse(const msgpack_object *row, struct entry *e, const char *path, char *err,
		size_t errlen)
{
	char pb[256];
	const msgpack_object *o;
	int64_t v;
	bool present;
	int rc = 0;

	entry_clear(e);
	if (row->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL_OUT(SL_EINVAL, "%s: expected map", path);
	if ((rc = cval_id(row, "reg", false, &e->reg, path, err, errlen)) < 0)
		goto out;
	if ((rc = cval_id(row, "bib", !e->reg, &e->bib, path, err, errlen)) < 0)
		goto out;
	if ((rc = cval_id(row, "race", false, &e->race, path, err, errlen)) < 0)
		goto out;
	if ((rc = cval_id(row, "wave", false, &e->wave, path, err, errlen)) < 0)
		goto out;
	o = slp_get(row, "chips");
	if (o && o->type != MSGPACK_OBJECT_NIL) {
		if (o->type != MSGPACK_OBJECT_ARRAY)
			CVAL_FAIL_OUT(SL_EINVAL, "%s: expected array",
				      cval_path(pb, sizeof(pb), path, "chips"));
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			char ib[64];
			snprintf(ib, sizeof(ib), "chips[%u]", i);
			if ((rc = add_chip(e, &o->via.array.ptr[i],
					   cval_path(pb, sizeof(pb), path, ib), err, errlen)) < 0)
				goto out;
		}
	}
	static const char *const single[] = {"chip", "chip2"};
	for (int i = 0; i < 2; i++)
		if ((o = slp_get(row, single[i])) &&
		    (rc = add_chip(e, o, cval_path(pb, sizeof(pb), path, single[i]), err, errlen)) <
			    0)
			goto out;

	if ((rc = parse_person(row, e, path, false, err, errlen)) < 0)
		goto out;
	if ((rc = cval_int(row, "lane", 1, 99, &v, &present, path, err, errlen)) < 0)
		goto out;
	if (!present && (rc = cval_int(row, "bow", 1, 99, &v, &present, path, err, errlen)) < 0)
		goto out;
	if (present)
		e->lane = (int)v;
	o = slp_get(row, "blank");
	if (o && o->type != MSGPACK_OBJECT_NIL) {
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			CVAL_FAIL_OUT(SL_EINVAL, "%s: expected true or false",
				      cval_path(pb, sizeof(pb), path, "blank"));
		e->blank = o->via.boolean;
	}
	if (e->blank && (e->reg || *e->name || e->nmembers))
		CVAL_FAIL_OUT(SL_EINVAL,
			      "%s: a blank bib has no athlete yet (no name, reg or crew)",
			      cval_path(pb, sizeof(pb), path, "blank"));
out:
	if (rc < 0)
		entry_release(e);
	return rc;
}

int entry_parse_person(const msgpack_object *m, struct entry *e, const char *path, char *err,
		       size_t errlen)
{
	int rc = 0;
	entry_clear(e);
	if (m->type != MSGPACK_OBJECT_MAP)
		CVAL_FAIL_OUT(SL_EINVAL, "%s: expected map", path);
	rc = parse_person(m, e, path, true, err, errlen);
out:
	if (rc < 0)
		entry_release(e);
	return rc;
}

static char *dup_or_null(const char *s)
{
	return s ? sl_strdup(s) : NULL;
}

void entry_dup(struct entry *dst, const struct entry *src)
{
	*dst = *src;
	dst->bib = dup_or_null(src->bib);
	dst->reg = dup_or_null(src->reg);
	dst->race = dup_or_null(src->race);
	dst->wave = dup_or_null(src->wave);
	for (int i = 0; i < src->nchips; i++)
		dst->chips[i] = sl_strdup(src->chips[i]);
	dst->name = sl_strdup(src->name);
	dst->club = sl_strdup(src->club);
	dst->birth = dup_or_null(src->birth);
	dst->fkeys = dst->fvals = NULL;
	if (src->nfields) {
		dst->fkeys = sl_calloc(src->nfields, sizeof(char *));
		dst->fvals = sl_calloc(src->nfields, sizeof(char *));
		for (size_t i = 0; i < src->nfields; i++) {
			dst->fkeys[i] = sl_strdup(src->fkeys[i]);
			dst->fvals[i] = sl_strdup(src->fvals[i]);
		}
	}
	dst->members = NULL;
	if (src->nmembers) {
		dst->members = sl_calloc(src->nmembers, sizeof(*dst->members));
		for (size_t i = 0; i < src->nmembers; i++) {
			dst->members[i] = src->members[i];
			dst->members[i].name = sl_strdup(src->members[i].name);
		}
	}
}

void entry_swap_person(struct entry *a, struct entry *b)
{
#define SW(f)                                                                                      \
	do {                                                                                       \
		__typeof__(a->f) t_ = a->f;                                                        \
		a->f = b->f;                                                                       \
		b->f = t_;                                                                         \
	} while (0)
	SW(reg);
	SW(name);
	SW(club);
	SW(sex);
	SW(birth);
	SW(birth_ms);
	SW(age);
	SW(nfields);
	SW(fkeys);
	SW(fvals);
	SW(nmembers);
	SW(members);
#undef SW
}

void entry_release(struct entry *e)
{
	free(e->bib);
	free(e->reg);
	free(e->race);
	free(e->wave);
	for (int i = 0; i < e->nchips; i++)
		free(e->chips[i]);
	free(e->name);
	free(e->club);
	free(e->birth);
	for (size_t i = 0; i < e->nfields; i++) {
		free(e->fkeys[i]);
		free(e->fvals[i]);
	}
	free(e->fkeys);
	free(e->fvals);
	for (size_t i = 0; i < e->nmembers; i++)
		free(e->members[i].name);
	free(e->members);
	entry_clear(e);
}

double entry_crew_age(const struct entry *e, int age)
{
	double sum = 0;
	int n = 0;
	for (size_t i = 0; i < e->nmembers; i++)
		if (!e->members[i].cox && e->members[i].age >= 0) {
			sum += e->members[i].age;
			n++;
		}
	return n ? sum / n : age;
}

void entry_pack(msgpack_packer *pk, const struct entry *e)
{
	int n = 2 + (e->bib != NULL) + (e->reg != NULL) + e->blank + (e->race != NULL) +
		(e->wave != NULL) +
		(e->nchips > 0) + (e->sex != SEX_NONE) + (e->birth != NULL) + (e->age >= 0) +
		(e->nfields > 0) + (e->lane >= 0) + (e->nmembers > 0);
	msgpack_pack_map(pk, (size_t)n);
	slp_pack_kv_str_opt(pk, "bib", e->bib);
	slp_pack_kv_str_opt(pk, "reg", e->reg);
	slp_pack_kv_flag(pk, "blank", e->blank);
	slp_pack_kv_str_opt(pk, "race", e->race);
	slp_pack_kv_str_opt(pk, "wave", e->wave);
	if (e->nchips) {
		slp_pack_key(pk, "chips");
		msgpack_pack_array(pk, (size_t)e->nchips);
		for (int i = 0; i < e->nchips; i++)
			slp_pack_str(pk, e->chips[i]);
	}
	slp_pack_kv_str(pk, "name", e->name);
	if (e->sex != SEX_NONE)
		slp_pack_kv_str(pk, "sex", cfg_sex_name(e->sex));
	slp_pack_kv_str_opt(pk, "birth", e->birth);
	if (e->age >= 0)
		slp_pack_kv_int(pk, "age", e->age);
	slp_pack_kv_str(pk, "club", e->club);
	if (e->nfields) {
		slp_pack_key(pk, "fields");
		msgpack_pack_map(pk, e->nfields);
		for (size_t i = 0; i < e->nfields; i++) {
			slp_pack_str(pk, e->fkeys[i]);
			slp_pack_str(pk, e->fvals[i]);
		}
	}
	if (e->lane >= 0)
		slp_pack_kv_int(pk, "lane", e->lane);
	if (e->nmembers) {
		slp_pack_key(pk, "members");
		msgpack_pack_array(pk, e->nmembers);
		for (size_t i = 0; i < e->nmembers; i++) {
			const struct member *m = &e->members[i];
			msgpack_pack_map(pk, 1 + (m->age >= 0) + m->cox);
			slp_pack_kv_str(pk, "name", m->name);
			if (m->age >= 0)
				slp_pack_kv_int(pk, "age", m->age);
			slp_pack_kv_flag(pk, "cox", m->cox);
		}
	}
}

const char *entry_field(const struct entry *e, const char *key)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (!strcmp(e->fkeys[i], key))
			return e->fvals[i];
	return NULL;
}

int entry_age(const struct entry *e, const struct cfg *c)
{
	if (e->birth) {
		int y, m, d;
		cval_civil(e->birth_ms, &y, &m, &d);
		int age = c->date_y - y -
			  ((c->date_m < m || (c->date_m == m && c->date_d < d)) ? 1 : 0);
		return age >= 0 ? age : -1;
	}
	return e->age;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int entry_bib_cmp(const char *a, const char *b)
{
	bool da = all_digits(a), db = all_digits(b);
	if (da && db) {
		const char *x = a, *y = b;
		while (*x == '0' && x[1])
			x++;
		while (*y == '0' && y[1])
			y++;
		size_t lx = strlen(x), ly = strlen(y);
		if (lx != ly)
			return lx < ly ? -1 : 1;
		int c = strcmp(x, y);
		if (c)
			return c < 0 ? -1 : 1;
		/* same value, different zero padding: fall through to bytes */
	} else if (da != db) {
		return da ? -1 : 1;
	}
	int c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

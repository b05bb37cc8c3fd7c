/*
 * csvimport_row.c: pass 2 of the participants CSV import (see
 * csvimport_int.h): each record's values checked (every problem reported,
 * FILE:LINE: field 'x': ...) and, when the row is clean, packed as its
 * msgpack map; bibs, chips and regs are kept in string sets for uniqueness.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvimport_int.h"
#include "ftext.h"
#include "slp.h"

const char *const csvimp__field_names[F_COUNT] = {
	"bib",  "name", "first", "last", "sex",   "age", "birth",
	"club", "wave", "race",  "chip", "chip2", "reg",
};

/* ---- error lines ---- */

void csvimp__rowerr(csvimp__st *s, int line, const char *fmt, ...)
{
	csvimp *ci = s->ci;
	ci->nerrors++;
	if (ci->nerrors > s->max_errors)
		return;
	va_list ap;
	sl_buf_addf(&ci->errs, "%s:%d: ", s->name, line);
	va_start(ap, fmt);
	sl_buf_vaddf(&ci->errs, fmt, ap);
	va_end(ap);
	sl_buf_addc(&ci->errs, '\n');
}

/* ---- a string set: key -> line ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Insert key; returns 0, or the line it was seen on before. */
int csvimp__sset_put(csvimp__sset *s, const char *key, int line)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		struct slot *ns = sl_calloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slots[i].key)
				continue;
			size_t j = hash_str(s->slots[i].key) & (ncap - 1);
			while (ns[j].key)
				j = (j + 1) & (ncap - 1);
			ns[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = ns;
		s->cap = ncap;
	}
	size_t j = hash_str(key) & (s->cap - 1);
	while (s->slots[j].key) {
		if (strcmp(s->slots[j].key, key) == 0)
			return s->slots[j].line;
		j = (j + 1) & (s->cap - 1);
	}
	s->slots[j].key = sl_strdup(key);
	s->slots[j].line = line;
	s->n++;
	return 0;
}

void csvimp__sset_release(csvimp__sset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i].key);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/* ---- normalization ---- */

const char *csvimp_norm_sex(const char *s)
{
	static const char *const m[] = {
		"m", "male", "man", "men", "mens", "boy", "boys", "herren", "m\xc3\xa4nnlich",
		NULL};
	static const char *const f[] = {"f",      "female",   "woman", "women", "w",
					"womens", "girl",     "girls", "lady",  "ladies",
					"damen",  "weiblich", NULL};
	static const char *const x[] = {
		"x",       "non-binary",    "nonbinary",         "non binary",
		"nb",      "not specified", "unspecified",       "other",
		"diverse", "divers",        "prefer not to say", NULL};
	for (int i = 0; m[i]; i++)
		if (strcasecmp(s, m[i]) == 0)
			return "M";
	for (int i = 0; f[i]; i++)
		if (strcasecmp(s, f[i]) == 0)
			return "F";
	for (int i = 0; x[i]; i++)
		if (strcasecmp(s, x[i]) == 0)
			return "X";
	return NULL;
}

static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n;
		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2) {
			n = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
		} else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4) {
			n = 3;
		} else {
			return false;
		}
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* ---- dates of birth ---- */

bool csvimp__ymd_ok(int y, int mo, int d)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(mo == 2 && d == 29 && !leap);
}

/* Digits at *p (1 to max of them); their value, or -1. */
static int digits(const char **p, int max, int *n)
{
	int v = 0;
	*n = 0;
	while (isdigit((unsigned char)**p)) {
		if (++*n > max)
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return *n ? v : -1;
}

int csvimp__date_split(const char *s, int *a, int *b, int *y)
{
	const char *p = s;
	int n1, n2, n3;
	int v1 = digits(&p, 4, &n1);
	char sep = *p;
	if (v1 < 0 || (sep != '-' && sep != '/' && sep != '.'))
		return DS_BAD;
	p++;
	int v2 = digits(&p, 2, &n2);
	if (v2 < 0 || *p != sep)
		return DS_BAD;
	p++;
	int v3 = digits(&p, 4, &n3);
	if (v3 < 0 || *p)
		return DS_BAD;
	if (n1 == 4 && n3 <= 2) {
		*y = v1, *a = v2, *b = v3;
		return DS_YMD;
	}
	if (n1 > 2 || n3 == 1 || n3 == 3)
		return DS_BAD;
	*a = v1, *b = v2, *y = v3;
	if (n3 == 2)
		return DS_YY;
	return sep == '.' ? DS_DOTS : DS_SLASH;
}

/*
 * A birth text to YYYY-MM-DD in out; A/B/Y read in order.  Returns 0, or -1
 * with why (the end of "field 'birth': 'X' ...").
 */
static int birth_parse(const char *s, int order, char out[11], const char **why)
{
	int a = 0, b = 0, y = 0, d, m;
	int k = csvimp__date_split(s, &a, &b, &y);
	*why = "is not a date (YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY or MM/DD/YYYY)";
	switch (k) {
	case DS_YMD: m = a, d = b; break;
	case DS_DOTS: d = a, m = b; break;
	case DS_SLASH:
		if (order == CSVIMP_DATE_DMY || (order == CSVIMP_DATE_AUTO && a == b)) {
			d = a, m = b;
		} else if (order == CSVIMP_DATE_MDY) {
			m = a, d = b;
		} else {
			*why = "reads as day/month and as month/day: say which with "
			       "--date-format DD/MM/YYYY or MM/DD/YYYY";
			return -1;
		}
		break;
	case DS_YY: *why = "has a two-digit year: write the year in full"; return -1;
	default: return -1;
	}
	if (!csvimp__ymd_ok(y, m, d)) {
		if (k == DS_SLASH && csvimp__ymd_ok(y, d, m))
			*why = order == CSVIMP_DATE_DMY ? "is not a date in DD/MM/YYYY (the file's "
							  "order; see --date-format)"
							: "is not a date in MM/DD/YYYY (the file's "
							  "order; see --date-format)";
		return -1;
	}
	/* in range (csvimp__ymd_ok); unsigned and bounded so the compiler sees 10 bytes */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
	return 0;
}

int csvimp_date_order_parse(const char *s)
{
	if (strcasecmp(s, "dmy") == 0 || strcasecmp(s, "DD/MM/YYYY") == 0)
		return CSVIMP_DATE_DMY;
	if (strcasecmp(s, "mdy") == 0 || strcasecmp(s, "MM/DD/YYYY") == 0)
		return CSVIMP_DATE_MDY;
	return SL_EINVAL;
}

static char *val(csvimp__st *s, int col)
{
	if (col < 0 || (size_t)col >= s->nf)
		return NULL;
	return ftext_trim(s->f[col]);
}

/* One record on its way to a msgpack map: the values read and checked. */
struct row {
	int line;
	char *v[F_COUNT]; /* trimmed values, NULL when empty or bad */
	const char *reg, *bib, *sex;
	bool has_age;
	int64_t age;
	char birth[11];
	const char *chips[3];
	int nchips;
	char *cv[MAX_CUSTOM]; /* custom fields' values */
};

/* Every field's value, NULL when empty or not UTF-8. */
static void row_values(csvimp__st *s, struct row *r)
{
	for (int i = 0; i < F_COUNT; i++) {
		r->v[i] = val(s, s->col[i]);
		if (r->v[i] && !*r->v[i])
			r->v[i] = NULL;
		if (r->v[i] && !utf8_ok(r->v[i])) {
			csvimp__rowerr(s, r->line, "field '%s': not valid UTF-8",
				       csvimp__field_names[i]);
			r->v[i] = NULL;
		}
	}
}

/* reg: a registration code, 1 to 64 of [A-Za-z0-9_.+-], unique; none in a
 * chip file (--blank), which has bibs and chips only, no athlete. */
static void row_reg(csvimp__st *s, struct row *r)
{
	const char *reg = r->v[F_REG];
	if (reg) {
		size_t n = strspn(reg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789_.-+");
		if (reg[n] || n > MAX_REG) {
			csvimp__rowerr(s, r->line,
				       "field 'reg': '%.40s' is not a registration code (1 to %d "
				       "letters, digits, _ . - +)",
				       reg, MAX_REG);
			reg = NULL;
		} else {
			int prev = csvimp__sset_put(&s->regs, reg, r->line);
			if (prev)
				csvimp__rowerr(s, r->line, "field 'reg': '%s' is also on line %d",
					       reg, prev);
		}
	}
	if (s->o->blank && (reg || r->v[F_NAME] || r->v[F_FIRST] || r->v[F_LAST])) {
		csvimp__rowerr(s, r->line,
			       "field '%s': a blank bib has no athlete (no name or reg)",
			       reg ? "reg" : "name");
		reg = NULL;
	}
	r->reg = reg;
}

/* bib: required unless the row has a reg (a bib given at pickup). */
static void row_bib(csvimp__st *s, struct row *r)
{
	const char *bib = r->bib = r->v[F_BIB];
	if (!bib && (!r->v[F_REG] || s->o->blank)) {
		csvimp__rowerr(s, r->line, "field 'bib': missing%s",
			       s->col[F_REG] >= 0 ? " (and no 'reg': give one of the two)" : "");
	} else if (!bib) {
		/* none yet */
	} else if (strlen(bib) > MAX_BIB) {
		csvimp__rowerr(s, r->line, "field 'bib': '%.40s' is longer than %d characters", bib,
			       MAX_BIB);
	} else {
		int prev = csvimp__sset_put(&s->bibs, bib, r->line);
		if (prev)
			csvimp__rowerr(s, r->line, "field 'bib': '%s' is also on line %d", bib,
				       prev);
	}
}

/* sex, age, and birth (to YYYY-MM-DD). */
static void row_person(csvimp__st *s, struct row *r)
{
	char **v = r->v;
	if (v[F_SEX]) {
		r->sex = csvimp_norm_sex(v[F_SEX]);
		if (!r->sex)
			csvimp__rowerr(s, r->line, "field 'sex': '%.40s' is not M, F or X",
				       v[F_SEX]);
	}
	if (v[F_AGE]) {
		char *end;
		errno = 0;
		long a = strtol(v[F_AGE], &end, 10);
		if (!isdigit((unsigned char)v[F_AGE][0]) || *end || errno || a < 0 || a > 120)
			csvimp__rowerr(s, r->line, "field 'age': '%.40s' is not an age (0..120)",
				       v[F_AGE]);
		else
			r->has_age = true, r->age = a;
	}
	const char *why;
	if (v[F_BIRTH] && birth_parse(v[F_BIRTH], s->ci->date_order, r->birth, &why) != 0) {
		csvimp__rowerr(s, r->line, "field 'birth': '%.40s' %s", v[F_BIRTH], why);
		v[F_BIRTH] = NULL;
	} else if (v[F_BIRTH]) {
		v[F_BIRTH] = r->birth;
	}
}

/* chips: the bib (--chip-from-bib), chip, chip2; at most two, each unique. */
static void row_chips(csvimp__st *s, struct row *r)
{
	if (s->o->chip_from_bib && r->bib)
		r->chips[r->nchips++] = r->bib;
	for (int i = F_CHIP; i <= F_CHIP2; i++) {
		if (!r->v[i])
			continue;
		if (strlen(r->v[i]) > 64) {
			csvimp__rowerr(s, r->line,
				       "field '%s': '%.40s' is longer than 64 characters",
				       csvimp__field_names[i], r->v[i]);
			continue;
		}
		if (r->nchips == 2) {
			csvimp__rowerr(s, r->line,
				       "field '%s': a participant has at most two chips "
				       "(the bib is one with --chip-from-bib)",
				       csvimp__field_names[i]);
			continue;
		}
		r->chips[r->nchips++] = r->v[i];
	}
	for (int i = 0; i < r->nchips; i++) {
		int prev = csvimp__sset_put(&s->chips, r->chips[i], r->line);
		if (prev && prev != r->line)
			csvimp__rowerr(s, r->line, "field 'chip': '%s' is also on line %d",
				       r->chips[i], prev);
		else if (prev == r->line)
			csvimp__rowerr(s, r->line,
				       "field 'chip2': '%s' is the same as the first chip",
				       r->chips[i]);
	}
}

static void row_custom(csvimp__st *s, struct row *r)
{
	for (size_t i = 0; i < s->map.ncustom; i++) {
		r->cv[i] = val(s, s->ccol[i]);
		if (r->cv[i] && !utf8_ok(r->cv[i])) {
			csvimp__rowerr(s, r->line, "field 'fields.%s': not valid UTF-8",
				       s->map.ckey[i]);
			r->cv[i] = NULL;
		}
	}
}

/* name: "Last, First" -> "First Last"; or first + last. */
static void row_name(char *const *v, sl_buf *name)
{
	if (v[F_NAME]) {
		const char *c = strchr(v[F_NAME], ',');
		if (c && !strchr(c + 1, ',') && c != v[F_NAME] && c[1]) {
			const char *first = c + 1;
			while (*first == ' ')
				first++;
			size_t ln = (size_t)(c - v[F_NAME]);
			while (ln && v[F_NAME][ln - 1] == ' ')
				ln--;
			if (*first && ln) {
				sl_buf_adds(name, first);
				sl_buf_addc(name, ' ');
				sl_buf_add(name, v[F_NAME], ln);
			}
		}
		if (!name->len)
			sl_buf_adds(name, v[F_NAME]);
	} else if (v[F_FIRST] || v[F_LAST]) {
		sl_buf_addf(name, "%s%s%s", v[F_FIRST] ? v[F_FIRST] : "",
			    v[F_FIRST] && v[F_LAST] ? " " : "", v[F_LAST] ? v[F_LAST] : "");
	}
}

struct kv {
	const char *k;
	const char *v; /* string value, or NULL with iv */
	int64_t iv;
};

/* The row's msgpack map, appended to ci->mp and listed in ci->rows. */
static void row_pack(csvimp__st *s, const struct row *r, const char *name)
{
	csvimp *ci = s->ci;
	struct kv kv[11];
	int n = 0;
	const char *const *v = (const char *const *)r->v;
	if (r->bib)
		kv[n++] = (struct kv){"bib", r->bib, 0};
	if (r->reg)
		kv[n++] = (struct kv){"reg", r->reg, 0};
	const char *race = v[F_RACE] ? v[F_RACE] : s->o->race;
	if (race)
		kv[n++] = (struct kv){"race", race, 0};
	if (v[F_WAVE])
		kv[n++] = (struct kv){"wave", v[F_WAVE], 0};
	if (*name)
		kv[n++] = (struct kv){"name", name, 0};
	if (r->sex)
		kv[n++] = (struct kv){"sex", r->sex, 0};
	if (v[F_BIRTH])
		kv[n++] = (struct kv){"birth", v[F_BIRTH], 0};
	if (r->has_age)
		kv[n++] = (struct kv){"age", NULL, r->age};
	if (v[F_CLUB])
		kv[n++] = (struct kv){"club", v[F_CLUB], 0};

	size_t ncustom = 0;
	for (size_t i = 0; i < s->map.ncustom; i++)
		ncustom += r->cv[i] && *r->cv[i];

	size_t off = ci->mp.len;
	msgpack_packer pk;
	slp_packer_init(&pk, &ci->mp);
	msgpack_pack_map(&pk, (size_t)n + (r->nchips > 0) + (ncustom > 0) + s->o->blank);
	slp_pack_kv_flag(&pk, "blank", s->o->blank);
	for (int i = 0; i < n; i++) {
		if (kv[i].v)
			slp_pack_kv_str(&pk, kv[i].k, kv[i].v);
		else
			slp_pack_kv_int(&pk, kv[i].k, kv[i].iv);
	}
	if (r->nchips) {
		slp_pack_key(&pk, "chips");
		msgpack_pack_array(&pk, (size_t)r->nchips);
		for (int i = 0; i < r->nchips; i++)
			slp_pack_str(&pk, r->chips[i]);
	}
	if (ncustom) {
		slp_pack_key(&pk, "fields");
		msgpack_pack_map(&pk, ncustom);
		for (size_t i = 0; i < s->map.ncustom; i++)
			if (r->cv[i] && *r->cv[i])
				slp_pack_kv_str(&pk, s->map.ckey[i], r->cv[i]);
	}
	SL_GROW(ci->rows, ci->cap, ci->nrows + 1);
	ci->rows[ci->nrows++] = (csvimp_row){r->line, off, ci->mp.len - off};
}

void csvimp__take_row(csvimp__st *s, int line)
{
	size_t before = s->ci->nerrors;
	struct row r = {.line = line};
	row_values(s, &r);
	row_reg(s, &r);
	row_bib(s, &r);
	row_person(s, &r);
	row_chips(s, &r);
	row_custom(s, &r);
	if (s->ci->nerrors != before)
		return;
	sl_buf name = SL_BUF_INIT;
	row_name(r.v, &name);
	row_pack(s, &r, name.len ? name.data : "");
	sl_buf_release(&name);
}

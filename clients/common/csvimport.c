/*
 * csvimport.c: participants CSV with libcsv, checked row by row.
 *
 * libcsv reports fields and record ends but not lines, so the text is fed
 * one physical line at a time: a record starts on the first line fed after
 * the previous record ended (blank lines, which libcsv skips, do not
 * count).  That gives every record the line it starts on, quoted newlines
 * included.
 *
 * Each record is turned into its msgpack map at once and appended to
 * ci->mp; only the header and two small string sets (bibs and chips, for
 * uniqueness) live for the whole parse.
 */
#include "csvimport.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slp.h"

enum {
	F_BIB, F_NAME, F_FIRST, F_LAST, F_SEX, F_AGE, F_BIRTH, F_CLUB, F_WAVE,
	F_RACE, F_CHIP, F_CHIP2, F_REG, F_COUNT
};
static const char *const field_names[F_COUNT] = {
	"bib", "name", "first", "last", "sex", "age", "birth", "club", "wave",
	"race", "chip", "chip2", "reg",
};

#define MAX_BIB 32
#define MAX_REG 64
#define MAX_CUSTOM 32

/* ---- a string set: key -> line ---- */

typedef struct sset {
	struct slot {
		char *key;
		int line;
	} *slots;
	size_t cap, n;
} sset;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Insert key; returns 0, or the line it was seen on before. */
static int sset_put(sset *s, const char *key, int line)
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

static void sset_release(sset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i].key);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/* ---- the --map option ---- */

typedef struct mapping {
	char *header[F_COUNT];     /* explicit header per field, or NULL */
	char *ckey[MAX_CUSTOM];    /* custom field names */
	char *cheader[MAX_CUSTOM]; /* and their headers */
	size_t ncustom;
} mapping;

static void mapping_release(mapping *m)
{
	for (int i = 0; i < F_COUNT; i++)
		free(m->header[i]);
	for (size_t i = 0; i < m->ncustom; i++) {
		free(m->ckey[i]);
		free(m->cheader[i]);
	}
	memset(m, 0, sizeof(*m));
}

static int mapping_parse(mapping *m, const char *text, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (!text)
		return 0;
	const char *p = text;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *item = sl_strndup(p, n);
		p += n + (end ? 1 : 0);
		char *eq = strchr(item, '=');
		if (!eq || eq == item || !eq[1]) {
			snprintf(err, errlen, "bad --map item '%s': expected field=Header", item);
			free(item);
			mapping_release(m);
			return SL_EINVAL;
		}
		*eq = '\0';
		const char *field = item, *hdr = eq + 1;
		int f = -1;
		for (int i = 0; i < F_COUNT; i++)
			if (strcmp(field, field_names[i]) == 0)
				f = i;
		if (f >= 0) {
			free(m->header[f]);
			m->header[f] = sl_strdup(hdr);
		} else if (strncmp(field, "fields.", 7) == 0 && field[7] &&
			   m->ncustom < MAX_CUSTOM) {
			m->ckey[m->ncustom] = sl_strdup(field + 7);
			m->cheader[m->ncustom++] = sl_strdup(hdr);
		} else {
			snprintf(err, errlen,
				 "unknown field '%s' in --map (fields: bib reg name first last "
				 "sex age birth club wave race chip chip2 fields.<name>)",
				 field);
			free(item);
			mapping_release(m);
			return SL_EINVAL;
		}
		free(item);
	}
	return 0;
}

int csvimp_check_map(const char *map, char *err, size_t errlen)
{
	mapping m;
	int rc = mapping_parse(&m, map, err, errlen);
	mapping_release(&m);
	return rc;
}

/* ---- normalization ---- */

const char *csvimp_norm_sex(const char *s)
{
	static const char *const m[] = {"m", "male", "man", "men", NULL};
	static const char *const f[] = {"f", "female", "woman", "women", "w", NULL};
	static const char *const x[] = {"x", "non-binary", "nonbinary", "non binary", "nb",
					"not specified", "unspecified", "other", "diverse",
					NULL};
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

static bool date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(mo == 2 && d == 29 && !leap);
}

/* ---- the parse ---- */

typedef struct st {
	csvimp *ci;
	const csvimp_opts *o;
	const char *name;
	mapping map;
	size_t max_errors;
	/* the current record */
	char **f;
	size_t nf, capf;
	int rec_line; /* line the current record starts on, 0: none yet */
	/* the header */
	bool have_header, header_bad;
	char **hdr;
	size_t nhdr;
	int col[F_COUNT];
	int ccol[MAX_CUSTOM];
	sset bibs, chips, regs;
} st;

static void __attribute__((format(printf, 3, 4))) rowerr(st *s, int line, const char *fmt, ...)
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

static char *trim(char *t)
{
	while (*t && isspace((unsigned char)*t))
		t++;
	size_t n = strlen(t);
	while (n && isspace((unsigned char)t[n - 1]))
		t[--n] = '\0';
	return t;
}

static int find_col(st *s, const char *hdr)
{
	for (size_t i = 0; i < s->nhdr; i++)
		if (strcmp(s->hdr[i], hdr) == 0)
			return (int)i;
	for (size_t i = 0; i < s->nhdr; i++)
		if (strcasecmp(s->hdr[i], hdr) == 0)
			return (int)i;
	return -1;
}

static void take_header(st *s, int line)
{
	s->hdr = s->f;
	s->nhdr = s->nf;
	s->f = NULL;
	s->nf = s->capf = 0;
	for (size_t i = 0; i < s->nhdr; i++) {
		char *t = trim(s->hdr[i]);
		if (i == 0 && strncmp(t, "\xef\xbb\xbf", 3) == 0)
			t += 3;
		memmove(s->hdr[i], t, strlen(t) + 1);
	}
	for (int i = 0; i < F_COUNT; i++) {
		const char *want = s->map.header[i] ? s->map.header[i] : field_names[i];
		s->col[i] = find_col(s, want);
		if (s->col[i] < 0 && s->map.header[i]) {
			rowerr(s, line, "no column '%s' (mapped to field '%s')", want,
			       field_names[i]);
			s->header_bad = true;
		}
	}
	for (size_t i = 0; i < s->map.ncustom; i++) {
		s->ccol[i] = find_col(s, s->map.cheader[i]);
		if (s->ccol[i] < 0) {
			rowerr(s, line, "no column '%s' (mapped to field 'fields.%s')",
			       s->map.cheader[i], s->map.ckey[i]);
			s->header_bad = true;
		}
	}
	if (s->col[F_BIB] < 0 && s->col[F_REG] < 0 && !s->map.header[F_BIB]) {
		rowerr(s, line, "no column for field 'bib' (name one with --map bib=Header)");
		s->header_bad = true;
	}
	s->have_header = true;
}

/* The trimmed value of a column of the current record ("" when short). */
static char *val(st *s, int col)
{
	if (col < 0 || (size_t)col >= s->nf)
		return NULL;
	return trim(s->f[col]);
}

struct kv {
	const char *k;
	const char *v; /* string value, or NULL with iv */
	int64_t iv;
};

static void take_row(st *s, int line)
{
	csvimp *ci = s->ci;
	size_t before = ci->nerrors;
	char *v[F_COUNT];
	for (int i = 0; i < F_COUNT; i++) {
		v[i] = val(s, s->col[i]);
		if (v[i] && !*v[i])
			v[i] = NULL;
		if (v[i] && !utf8_ok(v[i])) {
			rowerr(s, line, "field '%s': not valid UTF-8", field_names[i]);
			v[i] = NULL;
		}
	}
	/* reg: a registration code, 1 to 64 of [A-Za-z0-9_.+-], unique */
	const char *reg = v[F_REG];
	if (reg) {
		size_t n = strspn(reg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789_.-+");
		if (reg[n] || n > MAX_REG) {
			rowerr(s, line, "field 'reg': '%.40s' is not a registration code (1 to %d "
					"letters, digits, _ . - +)", reg, MAX_REG);
			reg = NULL;
		} else {
			int prev = sset_put(&s->regs, reg, line);
			if (prev)
				rowerr(s, line, "field 'reg': '%s' is also on line %d", reg, prev);
		}
	}
	/* a chip file (--blank): bibs and chips only, no athlete */
	if (s->o->blank && (reg || v[F_NAME] || v[F_FIRST] || v[F_LAST])) {
		rowerr(s, line, "field '%s': a blank bib has no athlete (no name or reg)",
		       reg ? "reg" : "name");
		reg = NULL;
	}
	/* bib: required unless the row has a reg (a bib given at pickup) */
	const char *bib = v[F_BIB];
	if (!bib && (!v[F_REG] || s->o->blank)) {
		rowerr(s, line, "field 'bib': missing%s",
		       s->col[F_REG] >= 0 ? " (and no 'reg': give one of the two)" : "");
	} else if (!bib) {
		/* none yet */
	} else if (strlen(bib) > MAX_BIB) {
		rowerr(s, line, "field 'bib': '%.40s' is longer than %d characters", bib, MAX_BIB);
	} else {
		int prev = sset_put(&s->bibs, bib, line);
		if (prev)
			rowerr(s, line, "field 'bib': '%s' is also on line %d", bib, prev);
	}
	/* sex */
	const char *sex = NULL;
	if (v[F_SEX]) {
		sex = csvimp_norm_sex(v[F_SEX]);
		if (!sex)
			rowerr(s, line, "field 'sex': '%.40s' is not M, F or X", v[F_SEX]);
	}
	/* age */
	bool has_age = false;
	int64_t age = 0;
	if (v[F_AGE]) {
		char *end;
		errno = 0;
		long a = strtol(v[F_AGE], &end, 10);
		if (!isdigit((unsigned char)v[F_AGE][0]) || *end || errno || a < 0 || a > 120)
			rowerr(s, line, "field 'age': '%.40s' is not an age (0..120)", v[F_AGE]);
		else
			has_age = true, age = a;
	}
	/* birth */
	if (v[F_BIRTH] && !date_ok(v[F_BIRTH])) {
		rowerr(s, line, "field 'birth': '%.40s' is not a date (YYYY-MM-DD)", v[F_BIRTH]);
		v[F_BIRTH] = NULL;
	}
	/* chips */
	const char *chips[3];
	int nchips = 0;
	if (s->o->chip_from_bib && bib)
		chips[nchips++] = bib;
	for (int i = F_CHIP; i <= F_CHIP2; i++) {
		if (!v[i])
			continue;
		if (strlen(v[i]) > 64) {
			rowerr(s, line, "field '%s': '%.40s' is longer than 64 characters",
			       field_names[i], v[i]);
			continue;
		}
		if (nchips == 2) {
			rowerr(s, line, "field '%s': a participant has at most two chips "
				       "(the bib is one with --chip-from-bib)", field_names[i]);
			continue;
		}
		chips[nchips++] = v[i];
	}
	for (int i = 0; i < nchips; i++) {
		int prev = sset_put(&s->chips, chips[i], line);
		if (prev && prev != line)
			rowerr(s, line, "field 'chip': '%s' is also on line %d", chips[i], prev);
		else if (prev == line)
			rowerr(s, line, "field 'chip2': '%s' is the same as the first chip",
			       chips[i]);
	}
	/* custom fields */
	char *cv[MAX_CUSTOM];
	for (size_t i = 0; i < s->map.ncustom; i++) {
		cv[i] = val(s, s->ccol[i]);
		if (cv[i] && !utf8_ok(cv[i])) {
			rowerr(s, line, "field 'fields.%s': not valid UTF-8", s->map.ckey[i]);
			cv[i] = NULL;
		}
	}
	if (ci->nerrors != before)
		return;

	/* name: "Last, First" -> "First Last"; or first + last */
	sl_buf name = SL_BUF_INIT;
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
				sl_buf_adds(&name, first);
				sl_buf_addc(&name, ' ');
				sl_buf_add(&name, v[F_NAME], ln);
			}
		}
		if (!name.len)
			sl_buf_adds(&name, v[F_NAME]);
	} else if (v[F_FIRST] || v[F_LAST]) {
		sl_buf_addf(&name, "%s%s%s", v[F_FIRST] ? v[F_FIRST] : "",
			    v[F_FIRST] && v[F_LAST] ? " " : "", v[F_LAST] ? v[F_LAST] : "");
	}

	struct kv kv[11];
	int n = 0;
	if (bib)
		kv[n++] = (struct kv){"bib", bib, 0};
	if (reg)
		kv[n++] = (struct kv){"reg", reg, 0};
	const char *race = v[F_RACE] ? v[F_RACE] : s->o->race;
	if (race)
		kv[n++] = (struct kv){"race", race, 0};
	if (v[F_WAVE])
		kv[n++] = (struct kv){"wave", v[F_WAVE], 0};
	if (name.len)
		kv[n++] = (struct kv){"name", name.data, 0};
	if (sex)
		kv[n++] = (struct kv){"sex", sex, 0};
	if (v[F_BIRTH])
		kv[n++] = (struct kv){"birth", v[F_BIRTH], 0};
	if (has_age)
		kv[n++] = (struct kv){"age", NULL, age};
	if (v[F_CLUB])
		kv[n++] = (struct kv){"club", v[F_CLUB], 0};

	size_t ncustom = 0;
	for (size_t i = 0; i < s->map.ncustom; i++)
		ncustom += cv[i] && *cv[i];

	size_t off = ci->mp.len;
	msgpack_packer pk;
	slp_packer_init(&pk, &ci->mp);
	msgpack_pack_map(&pk, (size_t)n + (nchips > 0) + (ncustom > 0) + s->o->blank);
	if (s->o->blank)
		slp_pack_kv_bool(&pk, "blank", true);
	for (int i = 0; i < n; i++) {
		if (kv[i].v)
			slp_pack_kv_str(&pk, kv[i].k, kv[i].v);
		else
			slp_pack_kv_int(&pk, kv[i].k, kv[i].iv);
	}
	if (nchips) {
		slp_pack_key(&pk, "chips");
		msgpack_pack_array(&pk, (size_t)nchips);
		for (int i = 0; i < nchips; i++)
			slp_pack_str(&pk, chips[i]);
	}
	if (ncustom) {
		slp_pack_key(&pk, "fields");
		msgpack_pack_map(&pk, ncustom);
		for (size_t i = 0; i < s->map.ncustom; i++)
			if (cv[i] && *cv[i])
				slp_pack_kv_str(&pk, s->map.ckey[i], cv[i]);
	}
	sl_buf_release(&name);
	SL_GROW(ci->rows, ci->cap, ci->nrows + 1);
	ci->rows[ci->nrows++] = (csvimp_row){line, off, ci->mp.len - off};
}

static void on_field(void *data, size_t len, void *p)
{
	st *s = p;
	SL_GROW(s->f, s->capf, s->nf + 1);
	s->f[s->nf++] = sl_strndup(data ? data : "", data ? len : 0);
}

static void clear_record(st *s)
{
	for (size_t i = 0; i < s->nf; i++)
		free(s->f[i]);
	s->nf = 0;
}

static void on_record(int c, void *p)
{
	st *s = p;
	int line = s->rec_line ? s->rec_line : 1;
	s->rec_line = 0;
	if (!s->have_header)
		take_header(s, line);
	else if (!s->header_bad)
		take_row(s, line);
	clear_record(s);
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return false;
	return true;
}

int csvimp_parse_mem(csvimp *ci, const char *name, const char *buf, size_t len,
		     const csvimp_opts *o)
{
	static const csvimp_opts none;
	st s = {0};
	struct csv_parser p;
	char err[256];
	int rc = 0;

	memset(ci, 0, sizeof(*ci));
	s.ci = ci;
	s.o = o ? o : &none;
	s.name = name;
	s.max_errors = s.o->max_errors ? s.o->max_errors : 50;
	if (mapping_parse(&s.map, s.o->map, err, sizeof(err)) != 0) {
		sl_buf_addf(&ci->errs, "%s\n", err);
		ci->nerrors = 1;
		return SL_EINVAL;
	}
	if (csv_init(&p, CSV_APPEND_NULL) != 0) {
		mapping_release(&s.map);
		return SL_EIO;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	int line = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
		line++;
		if (!s.rec_line)
			s.rec_line = line;
		if (csv_parse(&p, buf + pos, n, on_field, on_record, &s) != n) {
			rowerr(&s, line, "%s", csv_strerror(csv_error(&p)));
			rc = SL_EPARSE;
			break;
		}
		if (s.rec_line == line && s.nf == 0 && blank(buf + pos, n))
			s.rec_line = 0;
		pos += n;
	}
	/* strict only now: csv_fini reports an unterminated quote only in
	 * strict mode, while stray quotes inside fields are accepted above */
	csv_set_opts(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	if (!rc && csv_fini(&p, on_field, on_record, &s) != 0) {
		rowerr(&s, s.rec_line ? s.rec_line : line, "unterminated quoted field");
		rc = SL_EPARSE;
	}
	csv_free(&p);
	clear_record(&s);
	free(s.f);
	for (size_t i = 0; i < s.nhdr; i++)
		free(s.hdr[i]);
	free(s.hdr);
	if (!s.have_header && !rc) {
		rowerr(&s, 1, "empty file: expected a header line");
	}
	if (ci->nerrors > s.max_errors)
		sl_buf_addf(&ci->errs, "%s: ... and %zu more errors\n", name,
			    ci->nerrors - s.max_errors);
	sset_release(&s.bibs);
	sset_release(&s.chips);
	sset_release(&s.regs);
	mapping_release(&s.map);
	return ci->nerrors ? SL_EPARSE : 0;
}

int csvimp_parse_file(csvimp *ci, const char *path, const csvimp_opts *o)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		memset(ci, 0, sizeof(*ci));
		sl_buf_addf(&ci->errs, "cannot open '%s': %s\n", path, strerror(errno));
		ci->nerrors = 1;
		return SL_EIO;
	}
	sl_buf b = SL_BUF_INIT;
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		sl_buf_add(&b, tmp, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		sl_buf_release(&b);
		memset(ci, 0, sizeof(*ci));
		sl_buf_addf(&ci->errs, "cannot read '%s': read error\n", path);
		ci->nerrors = 1;
		return SL_EIO;
	}
	int rc = csvimp_parse_mem(ci, path, b.data ? b.data : "", b.len, o);
	sl_buf_release(&b);
	return rc;
}

void csvimp_release(csvimp *ci)
{
	sl_buf_release(&ci->mp);
	sl_buf_release(&ci->errs);
	free(ci->rows);
	memset(ci, 0, sizeof(*ci));
}

/*
 * csvimport.c: participants CSV with libcsv, checked row by row.
 *
 * libcsv reports fields and record ends but not lines, so the text is fed
 * one physical line at a time: a record starts on the first line fed after
 * the previous record ended (blank lines, which libcsv skips, do not
 * count).  That gives every record the line it starts on, quoted newlines
 * included.
 *
 * The text is read twice.  The first pass takes the header, picks the
 * column of each field (--map, else the header spellings below) and looks
 * at the values only for what a header cannot say: whether dates like
 * 05/03/1990 are day or month first, whether a column holds values, and
 * which unnamed column may hold the bibs when none is named.  Then the
 * header's verdict is fixed (the columns to read, or the file refused),
 * and the second pass turns each record into its msgpack map at once,
 * appended to ci->mp.  Only the header, its column stats and three small
 * string sets (bibs, chips, regs, for uniqueness) live for the whole parse.
 * CSV syntax errors are reported by the second pass only, so each is said
 * once; both passes see the same records, cut at the same places.
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
	bool none[F_COUNT];        /* "field=": read from no column */
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
		if (!eq || eq == item) {
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
			m->header[f] = *hdr ? sl_strdup(hdr) : NULL;
			m->none[f] = !*hdr;
		} else if (strncmp(field, "fields.", 7) == 0 && field[7] && !*hdr) {
			snprintf(err, errlen, "bad --map item '%s=': a custom field needs a column",
				 field);
			free(item);
			mapping_release(m);
			return SL_EINVAL;
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

/* ---- header spellings ---- */

/*
 * A header is compared by its key: ASCII letters in lower case and digits,
 * every other ASCII character dropped (spaces, _ - . # / and brackets),
 * other bytes kept: "Date of Birth", "date_of_birth" and "DOB" give
 * "dateofbirth" and "dob"; "Bib #" and "Bib No." give "bib" and "bibno".
 *
 * Tier 0 is the field's own name; tier 1 a spelling that means the field
 * wherever it is found; tier 2 a word that usually means it but may be
 * something else.  A field takes the column of its best tier; two columns
 * of that tier are refused (Boston's "M/F" and "Gender", the latter a place
 * by sex), so a weaker column beside a stronger one ("Team" beside "Club")
 * is left out and listed as not imported rather than guessed at.  --map
 * always wins, and "field=" turns a guess off.
 *
 * Why the tier-2 words are weak:
 * - number, no, nr, num: the bib in most small races' files, but "No." is
 *   also a row counter.
 * - team, team name, organisation: the club in Webscorer's and most sign-up
 *   exports, but a relay or company team in others.
 * - crew: the entry's name in rowing and paddling (the server's regatta
 *   export, which splitline-scan labels reads), but beside an athlete's
 *   name it is the boat.
 * - event, distance, course, contest, race name: the race in multi-race
 *   sign-up exports (RunSignup's "Event", Webscorer's "Distance"), but the
 *   event's own name in others.  The values must be the event's race ids,
 *   so a wrong guess is refused by the server (FILE:LINE: race: no race
 *   'X'), and --map race= turns it off.
 * Left out on purpose: "id" (a database id as often as a bib), "order id"
 * (one order pays for a family, not one athlete), category, division and
 * age group (the server computes categories from sex and age), year of
 * birth and "Jahrgang" (birth is a date), and anything with a time in it.
 * German spellings are in (Startnummer, Vorname, Geschlecht, ...): race
 * files from German-speaking timers are common and the words are not
 * ambiguous; other languages are a --map away.
 */
/* clang-format off */
static const struct spelling {
	const char *key;
	signed char field, tier;
} spellings[] = {
	{"bibnumber", F_BIB, 1}, {"bibno", F_BIB, 1}, {"bibnr", F_BIB, 1},
	{"bibnum", F_BIB, 1}, {"racenumber", F_BIB, 1}, {"raceno", F_BIB, 1},
	{"racenr", F_BIB, 1}, {"startnumber", F_BIB, 1}, {"startno", F_BIB, 1},
	{"startnr", F_BIB, 1}, {"startnummer", F_BIB, 1}, {"dossard", F_BIB, 1},
	{"number", F_BIB, 2}, {"no", F_BIB, 2}, {"nr", F_BIB, 2}, {"num", F_BIB, 2},
	{"nummer", F_BIB, 2},

	{"registration", F_REG, 1}, {"registrationcode", F_REG, 1},
	{"registrationid", F_REG, 1}, {"registrationnumber", F_REG, 1},
	{"registrationno", F_REG, 1}, {"regcode", F_REG, 1}, {"regid", F_REG, 1},
	{"regno", F_REG, 1}, {"regnumber", F_REG, 1}, {"confirmation", F_REG, 1},
	{"confirmationcode", F_REG, 1}, {"confirmationnumber", F_REG, 1},
	{"confirmationno", F_REG, 1}, {"confirmationid", F_REG, 1}, {"entryid", F_REG, 1},

	{"fullname", F_NAME, 1}, {"athlete", F_NAME, 1}, {"athletename", F_NAME, 1},
	{"participant", F_NAME, 1}, {"participantname", F_NAME, 1}, {"runner", F_NAME, 1},
	{"runnername", F_NAME, 1}, {"competitor", F_NAME, 1}, {"competitorname", F_NAME, 1},
	{"crew", F_NAME, 2},

	{"firstname", F_FIRST, 1}, {"givenname", F_FIRST, 1}, {"givennames", F_FIRST, 1},
	{"forename", F_FIRST, 1}, {"fname", F_FIRST, 1}, {"vorname", F_FIRST, 1},

	{"lastname", F_LAST, 1}, {"surname", F_LAST, 1}, {"familyname", F_LAST, 1},
	{"lname", F_LAST, 1}, {"nachname", F_LAST, 1}, {"familienname", F_LAST, 1},

	{"gender", F_SEX, 1}, {"mf", F_SEX, 1}, {"sexmf", F_SEX, 1}, {"gendermf", F_SEX, 1},
	{"geschlecht", F_SEX, 1},

	{"ageonraceday", F_AGE, 1}, {"raceage", F_AGE, 1}, {"alter", F_AGE, 1},

	{"dateofbirth", F_BIRTH, 1}, {"dob", F_BIRTH, 1}, {"birthdate", F_BIRTH, 1},
	{"birthday", F_BIRTH, 1}, {"born", F_BIRTH, 1}, {"geburtsdatum", F_BIRTH, 1},

	{"clubname", F_CLUB, 1}, {"affiliation", F_CLUB, 1}, {"verein", F_CLUB, 1},
	{"team", F_CLUB, 2}, {"teamname", F_CLUB, 2}, {"organisation", F_CLUB, 2},
	{"organization", F_CLUB, 2},

	{"waveid", F_WAVE, 1}, {"wavename", F_WAVE, 1}, {"startwave", F_WAVE, 1},
	{"startgroup", F_WAVE, 1}, {"corral", F_WAVE, 1}, {"startcorral", F_WAVE, 1},

	{"raceid", F_RACE, 1}, {"racename", F_RACE, 2}, {"event", F_RACE, 2},
	{"distance", F_RACE, 2}, {"course", F_RACE, 2}, {"contest", F_RACE, 2},

	{"chip1", F_CHIP, 1}, {"chipid", F_CHIP, 1}, {"chipnumber", F_CHIP, 1},
	{"chipno", F_CHIP, 1}, {"chipcode", F_CHIP, 1}, {"tag", F_CHIP, 1},
	{"tagid", F_CHIP, 1}, {"tag1", F_CHIP, 1}, {"transponder", F_CHIP, 1},
	{"transponderid", F_CHIP, 1}, {"rfid", F_CHIP, 1}, {"epc", F_CHIP, 1},

	{"chipid2", F_CHIP2, 1}, {"secondchip", F_CHIP2, 1}, {"tag2", F_CHIP2, 1},
	{"transponder2", F_CHIP2, 1},
};
/* clang-format on */

#define KEY_MAX 96

static void norm_key(const char *s, char *out)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 1 < KEY_MAX; p++)
		if (isalnum(*p) || *p >= 0x80)
			out[n++] = (char)tolower(*p);
	out[n] = '\0';
}

/* The field a header spells and how well (tier), or -1. */
static int spelled_field(const char *header, int *tier)
{
	char key[KEY_MAX];
	norm_key(header, key);
	for (int i = 0; i < F_COUNT; i++)
		if (strcmp(key, field_names[i]) == 0) {
			*tier = 0;
			return i;
		}
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		if (strcmp(key, spellings[i].key) == 0) {
			*tier = spellings[i].tier;
			return spellings[i].field;
		}
	return -1;
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

static bool ymd_ok(int y, int mo, int d)
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

/*
 * The shapes of a date: Y-M-D (year first, with - / or .), D.M.Y (dots,
 * day first wherever dots are written), A/B/Y (also A-B-Y: day or month
 * first), A/B/YY (a two-digit year, refused).
 */
enum { DS_BAD, DS_YMD, DS_DOTS, DS_SLASH, DS_YY };

static int date_split(const char *s, int *a, int *b, int *y)
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

static const char *const order_name[] = {"", "DD/MM/YYYY", "MM/DD/YYYY"};

/*
 * A birth text to YYYY-MM-DD in out; A/B/Y read in order.  Returns 0, or -1
 * with why (the end of "field 'birth': 'X' ...").
 */
static int birth_parse(const char *s, int order, char out[11], const char **why)
{
	int a = 0, b = 0, y = 0, d, m;
	int k = date_split(s, &a, &b, &y);
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
	if (!ymd_ok(y, m, d)) {
		if (k == DS_SLASH && ymd_ok(y, d, m))
			*why = order == CSVIMP_DATE_DMY ? "is not a date in DD/MM/YYYY (the file's "
							  "order; see --date-format)"
							: "is not a date in MM/DD/YYYY (the file's "
							  "order; see --date-format)";
		return -1;
	}
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
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

/* ---- the parse ---- */

/* What the first pass learns of a column's values. */
struct colstat {
	size_t filled; /* rows with a value */
	size_t maxlen;
	bool digits; /* every value is digits */
};

/* How a field got its column. */
enum { HOW_NONE, HOW_MAP, HOW_SPELLING };

typedef struct st {
	csvimp *ci;
	const csvimp_opts *o;
	const char *name;
	mapping map;
	size_t max_errors;
	int pass; /* 1: header and values looked at, 2: rows */
	/* the current record */
	char **f;
	size_t nf, capf;
	int rec_line;       /* line the current record starts on, 0: none yet */
	bool header_passed; /* pass 2 has skipped the header record */
	/* the header */
	bool have_header, header_bad;
	char **hdr;
	size_t nhdr;
	int hdr_line;
	signed char *kfield, *ktier; /* per column: the field its header spells, or -1 */
	bool *claimed;               /* per column: named in --map */
	struct colstat *stat;
	size_t nrecords; /* records after the header (pass 1) */
	int col[F_COUNT];
	int how[F_COUNT];
	int moved; /* F_FIRST or F_LAST when the name column became it, else -1 */
	int ccol[MAX_CUSTOM];
	/* dates like 05/03/1990 seen in pass 1: the first line of each kind */
	int dmy_line, mdy_line, amb_line;
	char dmy_ex[24], mdy_ex[24], amb_ex[24];
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

/* The column of a --map header: as written, else any case, else the same key. */
static int find_col(st *s, const char *hdr)
{
	char want[KEY_MAX], key[KEY_MAX];
	for (size_t i = 0; i < s->nhdr; i++)
		if (strcmp(s->hdr[i], hdr) == 0)
			return (int)i;
	for (size_t i = 0; i < s->nhdr; i++)
		if (strcasecmp(s->hdr[i], hdr) == 0)
			return (int)i;
	norm_key(hdr, want);
	for (size_t i = 0; *want && i < s->nhdr; i++) {
		norm_key(s->hdr[i], key);
		if (strcmp(key, want) == 0)
			return (int)i;
	}
	return -1;
}

/* A value quoted for a shell when it needs it. */
static void shell_word(sl_buf *b, const char *v)
{
	if (*v && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_./,=:+@%-") == strlen(v)) {
		sl_buf_adds(b, v);
		return;
	}
	sl_buf_addc(b, '\'');
	for (; *v; v++) {
		if (*v == '\'')
			sl_buf_adds(b, "'\\''");
		else
			sl_buf_addc(b, *v);
	}
	sl_buf_addc(b, '\'');
}

/* "--map X" where X is the user's --map and then items. */
static void map_line(st *s, sl_buf *b, const char *items)
{
	sl_buf v = SL_BUF_INIT;
	if (s->o->map && *s->o->map)
		sl_buf_addf(&v, "%s,", s->o->map);
	sl_buf_adds(&v, items);
	sl_buf_adds(b, "--map ");
	shell_word(b, v.data);
	sl_buf_release(&v);
}

/* "'Bib'", or "column 3" for a column without a header. */
static void col_label(sl_buf *b, const char *header, size_t i)
{
	if (*header)
		sl_buf_addf(b, "'%s'", header);
	else
		sl_buf_addf(b, "column %zu", i + 1);
}

static void take_header(st *s, int line)
{
	s->hdr = s->f;
	s->nhdr = s->nf;
	s->f = NULL;
	s->nf = s->capf = 0;
	s->hdr_line = line;
	s->ci->header_line = line;
	for (size_t i = 0; i < s->nhdr; i++) {
		char *t = trim(s->hdr[i]);
		if (i == 0 && strncmp(t, "\xef\xbb\xbf", 3) == 0)
			t += 3;
		memmove(s->hdr[i], t, strlen(t) + 1);
	}
	size_t nh = s->nhdr ? s->nhdr : 1;
	s->kfield = sl_calloc(nh, 1);
	s->ktier = sl_calloc(nh, 1);
	s->claimed = sl_calloc(nh, sizeof(bool));
	s->stat = sl_calloc(nh, sizeof(*s->stat));
	for (size_t j = 0; j < s->nhdr; j++) {
		int tier = 0;
		s->kfield[j] = (signed char)spelled_field(s->hdr[j], &tier);
		s->ktier[j] = (signed char)tier;
		s->stat[j].digits = true;
	}
	/* --map first: its columns are taken */
	for (int i = 0; i < F_COUNT; i++) {
		s->col[i] = -1;
		s->how[i] = HOW_NONE;
		if (!s->map.header[i])
			continue;
		s->col[i] = find_col(s, s->map.header[i]);
		if (s->col[i] < 0) {
			rowerr(s, line, "no column '%s' (mapped to field '%s')", s->map.header[i],
			       field_names[i]);
			s->header_bad = true;
		} else {
			s->claimed[s->col[i]] = true;
			s->how[i] = HOW_MAP;
		}
	}
	for (size_t i = 0; i < s->map.ncustom; i++) {
		s->ccol[i] = find_col(s, s->map.cheader[i]);
		if (s->ccol[i] < 0) {
			rowerr(s, line, "no column '%s' (mapped to field 'fields.%s')",
			       s->map.cheader[i], s->map.ckey[i]);
			s->header_bad = true;
		} else {
			s->claimed[s->ccol[i]] = true;
		}
	}
	/* then the spellings: the best tier, refused when two columns share it */
	for (int i = 0; i < F_COUNT; i++) {
		if (s->map.header[i] || s->map.none[i])
			continue;
		int best = -1, other = -1, tier = 3;
		for (size_t j = 0; j < s->nhdr; j++) {
			if (s->claimed[j] || s->kfield[j] != i)
				continue;
			if (s->ktier[j] < tier)
				best = (int)j, tier = s->ktier[j], other = -1;
			else if (s->ktier[j] == tier && other < 0)
				other = (int)j;
		}
		if (other >= 0) {
			sl_buf b = SL_BUF_INIT, item = SL_BUF_INIT;
			col_label(&b, s->hdr[best], (size_t)best);
			sl_buf_adds(&b, " and ");
			col_label(&b, s->hdr[other], (size_t)other);
			if (strcmp(s->hdr[best], s->hdr[other]) == 0)
				sl_buf_addf(&b, " (columns %d and %d)", best + 1, other + 1);
			sl_buf_addf(&b, " both look like field '%s': pick one with ",
				    field_names[i]);
			sl_buf_addf(&item, "%s=%s", field_names[i], s->hdr[best]);
			map_line(s, &b, item.data);
			rowerr(s, line, "columns %s", b.data);
			sl_buf_release(&b);
			sl_buf_release(&item);
			s->header_bad = true;
		} else if (best >= 0) {
			s->col[i] = best;
			s->how[i] = HOW_SPELLING;
		}
	}
	/*
	 * "Vorname, Name" and "Name, Surname": a column headed just "Name"
	 * beside only a first or only a last name holds the other half.  A
	 * "Full Name" beside a "First Name" stays the name.
	 */
	s->moved = -1;
	if (s->how[F_NAME] == HOW_SPELLING && s->ktier[s->col[F_NAME]] == 0 &&
	    (s->col[F_FIRST] >= 0) != (s->col[F_LAST] >= 0)) {
		int half = s->col[F_FIRST] >= 0 ? F_LAST : F_FIRST;
		if (!s->map.none[half] && !s->map.header[half]) {
			s->col[half] = s->col[F_NAME];
			s->how[half] = HOW_SPELLING;
			s->col[F_NAME] = -1;
			s->how[F_NAME] = HOW_NONE;
			s->moved = half;
		}
	}
	s->have_header = true;
}

/* Pass 1: what a record says about its columns and dates. */
static void scan_row(st *s, int line)
{
	s->nrecords++;
	for (size_t j = 0; j < s->nf && j < s->nhdr; j++) {
		const char *v = trim(s->f[j]);
		size_t n = strlen(v);
		if (!n)
			continue;
		struct colstat *cs = &s->stat[j];
		cs->filled++;
		if (n > cs->maxlen)
			cs->maxlen = n;
		if (strspn(v, "0123456789") != n)
			cs->digits = false;
	}
	int c = s->col[F_BIRTH];
	if (c < 0 || (size_t)c >= s->nf)
		return;
	int a, b, y;
	const char *v = trim(s->f[c]);
	if (date_split(v, &a, &b, &y) != DS_SLASH || a == b)
		return;
	bool dmy = ymd_ok(y, b, a), mdy = ymd_ok(y, a, b);
	int *at = dmy && mdy ? &s->amb_line : dmy ? &s->dmy_line : mdy ? &s->mdy_line : NULL;
	char *ex = dmy && mdy ? s->amb_ex : dmy ? s->dmy_ex : s->mdy_ex;
	if (at && !*at) {
		*at = line;
		snprintf(ex, sizeof(s->amb_ex), "%s", v);
	}
}

/* Is column j read for any field? */
static bool col_used(const st *s, size_t j)
{
	for (int i = 0; i < F_COUNT; i++)
		if (s->col[i] == (int)j)
			return true;
	for (size_t i = 0; i < s->map.ncustom; i++)
		if (s->ccol[i] == (int)j)
			return true;
	return false;
}

static bool key_has(const char *key, const char *const *words, bool suffix_only)
{
	size_t n = strlen(key);
	for (int i = 0; words[i]; i++) {
		size_t m = strlen(words[i]);
		if (suffix_only ? n >= m && strcmp(key + n - m, words[i]) == 0
				: strstr(key, words[i]) != NULL)
			return true;
	}
	return false;
}

/* An unread column whose header or values look like words (a header with a
 * comma cannot be named in --map: never suggested). */
static int guess_col(const st *s, const char *const *inside, const char *const *ends)
{
	char key[KEY_MAX];
	for (size_t j = 0; j < s->nhdr; j++) {
		if (col_used(s, j) || !*s->hdr[j] || strchr(s->hdr[j], ',') || !s->stat[j].filled)
			continue;
		norm_key(s->hdr[j], key);
		if (key_has(key, inside, false) || (ends && key_has(key, ends, true)))
			return (int)j;
	}
	return -1;
}

/* An unread column that may hold bibs: its header says number, or failing
 * that its values are short numbers in every row. */
static int guess_bib(const st *s)
{
	static const char *const inside[] = {"bib", "startn", "dossard", "number", "nummer", NULL};
	static const char *const ends[] = {"no", "nr", "num", NULL};
	char key[KEY_MAX];
	for (size_t j = 0; j < s->nhdr; j++) {
		if (col_used(s, j) || !*s->hdr[j] || strchr(s->hdr[j], ',') || !s->stat[j].filled ||
		    s->stat[j].maxlen > 7)
			continue;
		norm_key(s->hdr[j], key);
		if (key_has(key, inside, false) || key_has(key, ends, true))
			return (int)j;
	}
	for (size_t j = 0; j < s->nhdr; j++)
		if (!col_used(s, j) && *s->hdr[j] && !strchr(s->hdr[j], ',') &&
		    s->stat[j].filled == s->nrecords && s->nrecords && s->stat[j].digits &&
		    s->stat[j].maxlen <= 6)
			return (int)j;
	return -1;
}

/* ", the columns are 'A', 'B', ..." (the first ten). */
static void list_cols(const st *s, sl_buf *b)
{
	sl_buf_adds(b, "; the columns are ");
	for (size_t j = 0; j < s->nhdr && j < 10; j++) {
		if (j)
			sl_buf_adds(b, ", ");
		col_label(b, s->hdr[j], j);
	}
	if (s->nhdr > 10)
		sl_buf_addf(b, " and %zu more", s->nhdr - 10);
}

static void no_bib(st *s)
{
	sl_buf b = SL_BUF_INIT, item = SL_BUF_INIT;
	int c = guess_bib(s);
	if (c >= 0) {
		sl_buf_addf(&item, "bib=%s", s->hdr[c]);
		sl_buf_adds(&b, "no bib column: add ");
		map_line(s, &b, item.data);
		sl_buf_addf(&b,
			    " if '%s' holds the bib numbers (or reg=Header for registration "
			    "codes)",
			    s->hdr[c]);
	} else {
		sl_buf_adds(&b,
			    "no bib column: name the one with the bib numbers with "
			    "--map bib=Header (or the registration codes with --map reg=Header)");
		list_cols(s, &b);
	}
	rowerr(s, s->hdr_line, "%s", b.data);
	sl_buf_release(&b);
	sl_buf_release(&item);
}

static void no_name(st *s)
{
	static const char *const name_w[] = {"name",        "athlete",    "runner",
					     "participant", "competitor", NULL};
	static const char *const first_w[] = {"first", "given", "vor", NULL};
	static const char *const last_w[] = {"last", "family", "surname", "nach", NULL};
	sl_buf b = SL_BUF_INIT, item = SL_BUF_INIT;
	int first = guess_col(s, first_w, NULL), last = guess_col(s, last_w, NULL);
	int name = guess_col(s, name_w, NULL);
	if (first >= 0 && last >= 0 && first != last)
		sl_buf_addf(&item, "first=%s,last=%s", s->hdr[first], s->hdr[last]);
	else if (name >= 0)
		sl_buf_addf(&item, "name=%s", s->hdr[name]);
	sl_buf_adds(&b, "no name column: ");
	if (item.len) {
		sl_buf_adds(&b, "add ");
		map_line(s, &b, item.data);
		sl_buf_adds(&b, " if that is where the names are, or ");
	} else {
		sl_buf_adds(&b,
			    "name it with --map name=Header (or first=Header,last=Header), or ");
	}
	map_line(s, &b, "name=");
	sl_buf_adds(&b, " to import athletes without names");
	bool chips_only = true;
	for (int i = 0; i < F_COUNT; i++)
		if (s->col[i] >= 0 && i != F_BIB && i != F_CHIP && i != F_CHIP2)
			chips_only = false;
	if (chips_only && s->col[F_CHIP] >= 0)
		sl_buf_adds(&b, " (a chip file of bibs and chips is imported with --blank)");
	else if (!item.len)
		list_cols(s, &b);
	rowerr(s, s->hdr_line, "%s", b.data);
	sl_buf_release(&b);
	sl_buf_release(&item);
}

/* The verdict on the header, once pass 1 has seen the values. */
static void finish_header(st *s)
{
	csvimp *ci = s->ci;
	if (!s->have_header)
		return;
	bool bib = s->col[F_BIB] >= 0 || s->col[F_REG] >= 0 || s->map.header[F_BIB] ||
		   s->map.header[F_REG];
	if (!bib) {
		no_bib(s);
		s->header_bad = true;
	}
	bool name = s->col[F_NAME] >= 0 || s->col[F_FIRST] >= 0 || s->col[F_LAST] >= 0 ||
		    s->map.header[F_NAME] || s->map.header[F_FIRST] || s->map.header[F_LAST];
	if (!name && !s->o->blank && !s->map.none[F_NAME]) {
		no_name(s);
		s->header_bad = true;
	}
	/* dates like 05/03/1990: the order given, else the one the file shows */
	ci->date_order = s->o->date_order;
	if (s->col[F_BIRTH] >= 0 && ci->date_order == CSVIMP_DATE_AUTO) {
		if (s->dmy_line && s->mdy_line) {
			rowerr(s, s->dmy_line,
			       "field 'birth': '%s' is day first, but '%s' on line %d is month "
			       "first: correct one, or say the order with --date-format "
			       "DD/MM/YYYY or MM/DD/YYYY",
			       s->dmy_ex, s->mdy_ex, s->mdy_line);
			s->header_bad = true;
		} else if (s->dmy_line) {
			ci->date_order = CSVIMP_DATE_DMY;
		} else if (s->mdy_line) {
			ci->date_order = CSVIMP_DATE_MDY;
		} else if (s->amb_line) {
			rowerr(s, s->amb_line,
			       "field 'birth': '%s' reads as day/month and as month/day, and so "
			       "does every such date in the file: say which with --date-format "
			       "DD/MM/YYYY or MM/DD/YYYY",
			       s->amb_ex);
			s->header_bad = true;
		}
	}
	/* what became of each column */
	ci->ncols = s->nhdr;
	ci->cols = sl_calloc(s->nhdr ? s->nhdr : 1, sizeof(*ci->cols));
	for (size_t j = 0; j < s->nhdr; j++) {
		csvimp_col *c = &ci->cols[j];
		sl_buf feeds = SL_BUF_INIT, note = SL_BUF_INIT;
		c->header = sl_strdup(s->hdr[j]);
		c->values = s->stat[j].filled > 0;
		bool mapped = false;
		for (int i = 0; i < F_COUNT; i++) {
			if (s->col[i] != (int)j)
				continue;
			sl_buf_addf(&feeds, "%s%s", feeds.len ? " " : "", field_names[i]);
			mapped |= s->how[i] == HOW_MAP;
			if (i == s->moved)
				sl_buf_addf(&note, "%s",
					    i == F_LAST ? "the last name, beside a first-name "
							  "column"
							: "the first name, beside a "
							  "last-name column");
			if (i == F_BIRTH && ci->date_order != CSVIMP_DATE_AUTO)
				sl_buf_addf(&note, "%sdates like 05/03/1990 read as %s%s",
					    note.len ? "; " : "", order_name[ci->date_order],
					    s->o->date_order ? " (--date-format)" : "");
			if (i == F_BIRTH && ci->date_order != CSVIMP_DATE_AUTO && !s->o->date_order)
				sl_buf_addf(&note, ", as line %d shows",
					    ci->date_order == CSVIMP_DATE_DMY ? s->dmy_line
									      : s->mdy_line);
		}
		for (size_t i = 0; i < s->map.ncustom; i++)
			if (s->ccol[i] == (int)j) {
				sl_buf_addf(&feeds, "%sfields.%s", feeds.len ? " " : "",
					    s->map.ckey[i]);
				mapped = true;
			}
		if (mapped)
			sl_buf_addf(&note, "%s--map", note.len ? "; " : "");
		int k = s->kfield[j];
		if (!feeds.len && k >= 0 && s->map.none[k])
			sl_buf_addf(&note, "--map %s= reads %s from no column", field_names[k],
				    field_names[k]);
		else if (!feeds.len && k >= 0 && s->col[k] >= 0)
			sl_buf_addf(&note, "%s is read from '%s'", field_names[k],
				    s->hdr[s->col[k]]);
		else if (!feeds.len && k >= 0)
			for (size_t o = 0; o < s->nhdr; o++)
				if (o != j && s->kfield[o] == k && s->ktier[o] == s->ktier[j] &&
				    !note.len) {
					sl_buf_addf(&note, "looks like %s, as does ",
						    field_names[k]);
					col_label(&note, s->hdr[o], o);
				}
		c->feeds = feeds.len ? sl_buf_detach(&feeds, NULL) : NULL;
		c->note = note.len ? sl_buf_detach(&note, NULL) : NULL;
		sl_buf_release(&feeds);
		sl_buf_release(&note);
	}
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
	/* birth, to YYYY-MM-DD */
	char birth[11];
	const char *why;
	if (v[F_BIRTH] && birth_parse(v[F_BIRTH], ci->date_order, birth, &why) != 0) {
		rowerr(s, line, "field 'birth': '%.40s' %s", v[F_BIRTH], why);
		v[F_BIRTH] = NULL;
	} else if (v[F_BIRTH]) {
		v[F_BIRTH] = birth;
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
	(void)c;
	s->rec_line = 0;
	if (s->pass == 1) {
		if (!s->have_header)
			take_header(s, line);
		else
			scan_row(s, line);
	} else if (!s->header_passed) {
		s->header_passed = true; /* taken by pass 1 */
	} else if (!s->header_bad) {
		take_row(s, line);
	}
	clear_record(s);
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return false;
	return true;
}

/* One pass over the text (see the top); pass 2 reports syntax errors.
 * Returns 0, SL_EPARSE on a syntax error, SL_EIO when libcsv cannot start. */
static int feed(st *s, const char *buf, size_t len)
{
	struct csv_parser p;
	int rc = 0;
	if (csv_init(&p, CSV_APPEND_NULL) != 0)
		return SL_EIO;
	s->rec_line = 0;
	int line = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
		line++;
		if (!s->rec_line)
			s->rec_line = line;
		if (csv_parse(&p, buf + pos, n, on_field, on_record, s) != n) {
			if (s->pass == 2)
				rowerr(s, line, "%s", csv_strerror(csv_error(&p)));
			rc = SL_EPARSE;
			break;
		}
		if (s->rec_line == line && s->nf == 0 && blank(buf + pos, n))
			s->rec_line = 0;
		pos += n;
	}
	/* strict only now: csv_fini reports an unterminated quote only in
	 * strict mode, while stray quotes inside fields are accepted above */
	csv_set_opts(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	if (!rc && csv_fini(&p, on_field, on_record, s) != 0) {
		if (s->pass == 2)
			rowerr(s, s->rec_line ? s->rec_line : line, "unterminated quoted field");
		rc = SL_EPARSE;
	}
	csv_free(&p);
	clear_record(s);
	return rc;
}

int csvimp_parse_mem(csvimp *ci, const char *name, const char *buf, size_t len,
		     const csvimp_opts *o)
{
	static const csvimp_opts none;
	st s = {0};
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
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	s.pass = 1;
	if (feed(&s, buf, len) == SL_EIO) {
		rc = SL_EIO;
		goto out;
	}
	finish_header(&s);
	s.pass = 2;
	rc = feed(&s, buf, len);
	if (rc == SL_EIO)
		goto out;
	if (!s.have_header && !rc)
		rowerr(&s, 1, "empty file: expected a header line");
	if (ci->nerrors > s.max_errors)
		sl_buf_addf(&ci->errs, "%s: ... and %zu more errors\n", name,
			    ci->nerrors - s.max_errors);
	rc = ci->nerrors ? SL_EPARSE : 0;
out:
	free(s.f);
	for (size_t i = 0; i < s.nhdr; i++)
		free(s.hdr[i]);
	free(s.hdr);
	free(s.kfield);
	free(s.ktier);
	free(s.claimed);
	free(s.stat);
	sset_release(&s.bibs);
	sset_release(&s.chips);
	sset_release(&s.regs);
	mapping_release(&s.map);
	return rc;
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
	for (size_t i = 0; i < ci->ncols; i++) {
		free(ci->cols[i].header);
		free(ci->cols[i].feeds);
		free(ci->cols[i].note);
	}
	free(ci->cols);
	memset(ci, 0, sizeof(*ci));
}

/* ---- what became of the columns ---- */

void csvimp_columns_text(const csvimp *ci, sl_buf *out)
{
	sl_buf label = SL_BUF_INIT;
	size_t w = 0;
	for (size_t j = 0; j < ci->ncols; j++) {
		sl_buf_reset(&label);
		col_label(&label, ci->cols[j].header, j);
		if (label.len > w)
			w = label.len;
	}
	if (w > 30)
		w = 30;
	for (size_t j = 0; j < ci->ncols; j++) {
		const csvimp_col *c = &ci->cols[j];
		sl_buf_reset(&label);
		col_label(&label, c->header, j);
		sl_buf_addf(out, "  %-*s -> %s", (int)w, label.data,
			    c->feeds ? c->feeds : "not imported");
		if (c->note)
			sl_buf_addf(out, " (%s)", c->note);
		sl_buf_addc(out, '\n');
	}
	sl_buf_release(&label);
}

size_t csvimp_unused_text(const csvimp *ci, sl_buf *out)
{
	size_t n = 0;
	for (size_t j = 0; j < ci->ncols; j++) {
		const csvimp_col *c = &ci->cols[j];
		if (c->feeds || (!*c->header && !c->values))
			continue;
		if (n++)
			sl_buf_adds(out, ", ");
		col_label(out, c->header, j);
	}
	return n;
}

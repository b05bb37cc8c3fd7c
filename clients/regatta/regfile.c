/*
 * regfile.c: reading a regatta export and building the records that
 * reproduce it (see regfile.h for the mapping).
 *
 * The table is read whole with libcsv (the files are a few thousand rows);
 * every cell is an owned NUL-terminated string, short rows are padded with
 * "".  At load, rows are grouped into races (EventNum and Event name, in
 * order of first appearance), bibs are computed once, and the intermediate
 * stations are found in the header.  Builders append to a reg_recs list and
 * never fail: bad cells (a time that does not parse) only leave a reading
 * out; what the file leaves unclear or to a guess (an event number naming
 * two events, a distance, the date, where a split is) is said in a warning
 * line.
 */
#include "regfile.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <msgpack.h>

#include "slp.h"

/* An intermediate station: a G_<name>_time_raw column that is no start or finish. */
struct station {
	char *name; /* <name> */
	char *id;   /* its point id: name in lower case, other characters '-' */
	int col;
};

struct regfile {
	char **hdr;
	size_t nhdr;
	char ***rows; /* rows[i][j], nhdr cells each */
	size_t nrows, crows;
	char **cur;
	size_t ncur;
	bool in_hdr;
	char **bibs;
	size_t *row_race; /* the race of each row */
	size_t *evfirst;  /* first row of each race */
	char **race_id;   /* id of each race */
	size_t nev;
	struct station *st; /* in column (course) order */
	size_t nst;
	size_t *race_day; /* day of each race, 0 .. ndays-1 */
	size_t ndays;
	long day_base; /* the first day, days since 1970-01-01 */
	char date[16];
};

/* ---- CSV ------------------------------------------------------------------ */

static void cb_field(void *s, size_t n, void *vt)
{
	regfile *t = vt;
	char *v = sl_strndup(s ? s : "", s ? n : 0);
	if (t->in_hdr) {
		t->hdr = sl_realloc(t->hdr, (t->nhdr + 1) * sizeof(char *));
		t->hdr[t->nhdr++] = v;
		return;
	}
	if (!t->cur)
		t->cur = sl_calloc(t->nhdr + 1, sizeof(char *));
	if (t->ncur < t->nhdr)
		t->cur[t->ncur++] = v;
	else
		free(v);
}

static void cb_row(int c, void *vt)
{
	regfile *t = vt;
	(void)c;
	if (t->in_hdr) {
		t->in_hdr = false;
		return;
	}
	if (!t->cur)
		t->cur = sl_calloc(t->nhdr + 1, sizeof(char *));
	while (t->ncur < t->nhdr)
		t->cur[t->ncur++] = sl_strdup("");
	if (t->nrows == t->crows) {
		t->crows = t->crows ? 2 * t->crows : 256;
		t->rows = sl_realloc(t->rows, t->crows * sizeof(char **));
	}
	t->rows[t->nrows++] = t->cur;
	t->cur = NULL;
	t->ncur = 0;
}

static int col(const regfile *t, const char *name)
{
	for (size_t j = 0; j < t->nhdr; j++)
		if (!strcmp(t->hdr[j], name))
			return (int)j;
	return -1;
}

const char *regfile_cell(const regfile *t, size_t i, const char *name)
{
	int j = col(t, name);
	return j < 0 || i >= t->nrows ? "" : t->rows[i][j];
}

bool regfile_has_col(const regfile *rf, const char *name)
{
	return col(rf, name) >= 0;
}

size_t regfile_nrows(const regfile *rf)
{
	return rf->nrows;
}

const char *regfile_bib(const regfile *rf, size_t i)
{
	return rf->bibs[i];
}

size_t regfile_nevents(const regfile *rf)
{
	return rf->nev;
}

const char *regfile_race_id(const regfile *rf, size_t e)
{
	return rf->race_id[e];
}

size_t regfile_event_first(const regfile *rf, size_t e)
{
	return rf->evfirst[e];
}

size_t regfile_row_race(const regfile *rf, size_t i)
{
	return rf->row_race[i];
}

size_t regfile_nsplits(const regfile *rf)
{
	return rf->nst;
}

const char *regfile_split_id(const regfile *rf, size_t k)
{
	return rf->st[k].id;
}

const char *regfile_split_name(const regfile *rf, size_t k)
{
	return rf->st[k].name;
}

static char *bib_of(const regfile *t, size_t i)
{
	char b[160];
	const char *race = t->race_id[t->row_race[i]], *bow = regfile_cell(t, i, "Bow");
	snprintf(b, sizeof(b), "%s-%s", race, bow);
	/* a Bow seen twice in the race ("X" for "No Race" rows): add the row */
	for (size_t k = 0; k < i; k++)
		if (t->row_race[k] == t->row_race[i] && !strcmp(regfile_cell(t, k, "Bow"), bow)) {
			snprintf(b, sizeof(b), "%s-%s.%zu", race, bow, i);
			break;
		}
	return sl_strdup(b);
}

void regfile_free(regfile *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->nhdr; j++)
			free(t->rows[i][j]);
		free(t->rows[i]);
		free(t->bibs ? t->bibs[i] : NULL);
	}
	if (t->cur) {
		for (size_t j = 0; j < t->ncur; j++)
			free(t->cur[j]);
		free(t->cur);
	}
	for (size_t j = 0; j < t->nhdr; j++)
		free(t->hdr[j]);
	for (size_t e = 0; e < t->nev; e++)
		free(t->race_id[e]);
	for (size_t k = 0; k < t->nst; k++) {
		free(t->st[k].name);
		free(t->st[k].id);
	}
	free(t->rows);
	free(t->hdr);
	free(t->bibs);
	free(t->row_race);
	free(t->evfirst);
	free(t->race_id);
	free(t->race_day);
	free(t->st);
	free(t);
}

/* Does an Event cell name an event?  ("." or "" in a row does not: the row
 * belongs to the first event of its number.) */
static bool is_name(const char *s)
{
	for (; *s; s++)
		if (isalnum((unsigned char)*s))
			return true;
	return false;
}

static bool id_taken(const regfile *t, const char *id)
{
	for (size_t e = 0; e < t->nev; e++)
		if (!strcasecmp(t->race_id[e], id))
			return true;
	for (size_t i = 0; i < t->nrows; i++)
		if (!strcasecmp(regfile_cell(t, i, "EventNum"), id))
			return true;
	return false;
}

/* The race of row i: the event of that number and name, else a new race. */
static size_t race_of_row(regfile *t, size_t i)
{
	const char *num = regfile_cell(t, i, "EventNum"), *name = regfile_cell(t, i, "Event");
	size_t first = t->nev;
	for (size_t e = 0; e < t->nev; e++) {
		size_t f = t->evfirst[e];
		if (strcmp(regfile_cell(t, f, "EventNum"), num) != 0)
			continue;
		if (first == t->nev)
			first = e;
		if (!strcmp(regfile_cell(t, f, "Event"), name))
			return e;
	}
	if (first < t->nev && !is_name(name))
		return first;
	char id[80];
	snprintf(id, sizeof(id), "%s", num);
	if (first < t->nev) { /* a second event under this number: 12b, 12c, ... */
		for (char c = 'b'; c <= 'z'; c++) {
			snprintf(id, sizeof(id), "%s%c", num, c);
			if (!id_taken(t, id))
				break;
		}
		for (unsigned k = 2; id_taken(t, id); k++)
			snprintf(id, sizeof(id), "%s-%u", num, k);
	}
	t->evfirst[t->nev] = i;
	t->race_id[t->nev] = sl_strdup(id);
	return t->nev++;
}

/* G_<name>_time_raw columns that are not the start or the finish (or their backups). */
static void find_stations(regfile *t)
{
	static const char *const ends[] = {"Start",  "Start2",  "Start3",
					   "Finish", "Finish2", "Finish3"};
	t->st = sl_calloc(t->nhdr + 1, sizeof(*t->st));
	for (size_t j = 0; j < t->nhdr; j++) {
		const char *h = t->hdr[j];
		size_t n = strlen(h);
		if (n <= 11 || strncmp(h, "G_", 2) != 0 || strcmp(h + n - 9, "_time_raw") != 0)
			continue;
		char *name = sl_strndup(h + 2, n - 11);
		bool end = false;
		for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++)
			end |= !strcmp(name, ends[k]);
		if (end) {
			free(name);
			continue;
		}
		char id[72];
		size_t m = 0;
		for (const char *p = name; *p && m < 60; p++) {
			unsigned char ch = (unsigned char)*p;
			id[m++] = isalnum(ch) || ch == '_' || ch == '.' || ch == '+'
					  ? (char)tolower(ch)
					  : '-';
		}
		id[m] = '\0';
		/* an id taken by another point (start2, a station of the same name) */
		for (unsigned k = 2;; k++) {
			bool taken = !strcmp(id, "start") || !strcmp(id, "finish") ||
				     !strcmp(id, "start2") || !strcmp(id, "start3") ||
				     !strcmp(id, "finish2") || !strcmp(id, "finish3");
			for (size_t q = 0; q < t->nst; q++)
				taken |= !strcmp(t->st[q].id, id);
			if (!taken)
				break;
			snprintf(id + m, sizeof(id) - m, "-%u", k);
		}
		t->st[t->nst++] = (struct station){name, sl_strdup(id), (int)j};
	}
}

int regfile_load(const char *path, regfile **out, char *err, size_t errlen)
{
	static const char *const need[] = {"EventNum", "Event", "RaceType", "Bow", "Crew"};
	struct csv_parser p;
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return SL_EIO;
	}
	regfile *t = sl_calloc(1, sizeof(*t));
	t->in_hdr = true;
	csv_init(&p, CSV_APPEND_NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (csv_parse(&p, buf, n, cb_field, cb_row, t) != n)
			break;
	int perr = csv_error(&p);
	csv_fini(&p, cb_field, cb_row, t);
	csv_free(&p);
	fclose(f);
	if (perr != CSV_SUCCESS) {
		snprintf(err, errlen, "'%s': %s", path, csv_strerror(perr));
		regfile_free(t);
		return SL_EPARSE;
	}
	for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
		if (col(t, need[k]) < 0) {
			snprintf(err, errlen, "'%s': no column '%s'", path, need[k]);
			regfile_free(t);
			return SL_EPARSE;
		}
	t->bibs = sl_calloc(t->nrows + 1, sizeof(char *));
	t->row_race = sl_calloc(t->nrows + 1, sizeof(size_t));
	t->evfirst = sl_calloc(t->nrows + 1, sizeof(size_t));
	t->race_id = sl_calloc(t->nrows + 1, sizeof(char *));
	t->race_day = sl_calloc(t->nrows + 1, sizeof(size_t));
	for (size_t i = 0; i < t->nrows; i++)
		t->row_race[i] = race_of_row(t, i);
	for (size_t i = 0; i < t->nrows; i++)
		t->bibs[i] = bib_of(t, i);
	find_stations(t);
	t->ndays = 1;
	t->day_base = regfile_utc_midnight(2023, 1, 1) / 86400000;
	snprintf(t->date, sizeof(t->date), "%s", REGFILE_DATE0);
	*out = t;
	return 0;
}

int64_t regfile_ms(const char *s)
{
	int64_t v = 0, part = 0, frac = 0;
	int fd = 0;
	bool dot = false, any = false;
	if (!*s)
		return REGFILE_NO_T;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			any = true;
			if (dot) {
				if (fd < 3) {
					frac = frac * 10 + (*s - '0');
					fd++;
				}
			} else {
				if (part > 1000000)
					return REGFILE_NO_T;
				part = part * 10 + (*s - '0');
			}
		} else if (*s == ':' && !dot) {
			if (v > 1000000)
				return REGFILE_NO_T;
			v = (v + part) * 60;
			part = 0;
		} else if (*s == '.' && !dot) {
			dot = true;
		} else {
			return REGFILE_NO_T;
		}
	}
	if (!any)
		return REGFILE_NO_T;
	while (fd < 3) {
		frac *= 10;
		fd++;
	}
	return (v + part) * 1000 + frac;
}

static const char *const STATUS_WORDS[][3] = {
	/* AdjTime, adjust type, status shown */
	{"DNS", "dns", "dns"},
	{"DNF", "dnf", "dnf"},
	{"DQ", "dq", "dsq"},
	{"Scratch", "scratch", "scratch"},
};
#define NSTATUS (sizeof(STATUS_WORDS) / sizeof(STATUS_WORDS[0]))

void regfile_expect(const regfile *rf, size_t i, struct reg_expect *x)
{
	const char *adj = regfile_cell(rf, i, "AdjTime");
	memset(x, 0, sizeof(*x));
	x->raw = regfile_ms(regfile_cell(rf, i, "RawTime"));
	x->adj = regfile_ms(adj);
	x->exhibition = !strncmp(adj, "Exh ", 4);
	if (x->exhibition)
		x->adj = regfile_ms(adj + 4);
	x->place = atol(regfile_cell(rf, i, "Place"));
	for (size_t k = 0; k < NSTATUS; k++)
		if (!strcmp(adj, STATUS_WORDS[k][0]))
			x->status = STATUS_WORDS[k][2];
}

/* ---- distances ------------------------------------------------------------ */

/*
 * A number followed by a unit, standing alone: "2000m", "1000 m", "2k",
 * "6 km", "1.5 km", "500 metres".  The number must not follow a letter or
 * digit ("E304", "R201") and the unit must end the word ("2 Mens" is no
 * distance; "K-1" is a boat, not 1 km).
 */
long regfile_name_distance(const char *name)
{
	static const struct {
		const char *unit;
		double m;
	} units[] = {{"kilometres", 1000}, {"kilometers", 1000}, {"metres", 1},
		     {"meters", 1},        {"metre", 1},         {"meter", 1},
		     {"km", 1000},         {"k", 1000},          {"m", 1}};
	for (const char *p = name; *p; p++) {
		if (!isdigit((unsigned char)*p) ||
		    (p > name && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			continue;
		const char *u = end;
		if (*u == ' ')
			u++;
		for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			size_t n = strlen(units[k].unit);
			if (strncasecmp(u, units[k].unit, n) != 0 || isalnum((unsigned char)u[n]) ||
			    u[n] == '-')
				continue;
			double m = v * units[k].m;
			if (m >= 50 && m <= 100000)
				return lround(m);
			break;
		}
		while (isdigit((unsigned char)p[1]) || p[1] == '.')
			p++;
	}
	return 0;
}

/* ---- days ----------------------------------------------------------------- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int64_t regfile_utc_midnight(int y, int mo, int d)
{
	return (int64_t)days_from_civil(y, mo, d) * 86400000LL;
}

static const char *const WDAYS[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
				    "Thursday", "Friday", "Saturday"};

/* "YYYY-MM-DD", a real date in the years 2000 to 2100: days since the epoch, or -1. */
static long iso_day(const char *s)
{
	int y, m, d, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[n] || y < 2000 ||
	    y > 2100 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	long z = days_from_civil(y, m, d);
	int y2, m2, d2;
	civil_from_days(z, &y2, &m2, &d2);
	return y2 == y && m2 == m && d2 == d ? z : -1;
}

/* "Sat", "Saturday", "sat." (3 letters at least): 0 (Sunday) .. 6, or -1. */
static int weekday_of(const char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	if (n < 3)
		return -1;
	for (int w = 0; w < 7; w++)
		if (n <= strlen(WDAYS[w]) && !strncasecmp(s, WDAYS[w], n))
			return w;
	return -1;
}

/* "Day 2", "day2" or "2": 1 .. REGFILE_MAX_DAYS, or 0. */
static int day_number(const char *s)
{
	char *end;
	if (!strncasecmp(s, "day", 3))
		s += 3;
	while (*s == ' ')
		s++;
	long n = isdigit((unsigned char)*s) ? strtol(s, &end, 10) : 0;
	return n >= 1 && n <= REGFILE_MAX_DAYS && !*end ? (int)n : 0;
}

static int weekday(long z)
{
	return (int)(((z % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

int regfile_days(regfile *t, const char *date, sl_buf *warn, char *err, size_t errlen)
{
	long base = -1, first_iso = -1;
	int first_w = -1; /* the weekday of the file's first race that names one */
	bool named[7] = {false}, any_day = false;
	char names[80] = "";
	sl_buf other = SL_BUF_INIT;
	int rc = 0;

	if (date && (base = iso_day(date)) < 0) {
		snprintf(err, errlen, "--date: '%s' is not a date (YYYY-MM-DD, 2000 to 2100)",
			 date);
		return SL_EINVAL;
	}
	for (size_t e = 0; e < t->nev; e++) {
		const char *s = regfile_cell(t, t->evfirst[e], "Day");
		long z = iso_day(s);
		int w = weekday_of(s);
		any_day |= *s != 0;
		if (z >= 0 && (first_iso < 0 || z < first_iso))
			first_iso = z;
		if (w >= 0 && first_w < 0)
			first_w = w;
		if (w >= 0 && !named[w]) {
			named[w] = true;
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%.3s",
				 *names ? ", " : "", WDAYS[w]);
		}
	}
	if (base >= 0 && first_iso >= 0 && base != first_iso && warn)
		sl_buf_addf(warn,
			    "--date %s: the file's dates begin %ld days %s: its races keep "
			    "their days after its first\n",
			    date, labs(first_iso - base), first_iso > base ? "later" : "earlier");
	if (base < 0)
		base = first_iso;
	if (base < 0) {
		if (warn && any_day)
			sl_buf_addf(warn,
				    "no date: the file's Day column names days (%s), not dates, "
				    "and no --date was given: every race is put on %s; give "
				    "--date YYYY-MM-DD, the regatta's first day\n",
				    *names ? names : "not weekdays", REGFILE_DATE0);
		else if (warn)
			sl_buf_addf(warn,
				    "no date in the file and no --date: the regatta is put on "
				    "%s; give --date YYYY-MM-DD\n",
				    REGFILE_DATE0);
		for (size_t e = 0; e < t->nev; e++)
			t->race_day[e] = 0;
		t->ndays = 1;
		t->day_base = days_from_civil(2023, 1, 1);
		snprintf(t->date, sizeof(t->date), "%s", REGFILE_DATE0);
		return 0;
	}
	int y, m, d, w0 = weekday(base);
	civil_from_days(base, &y, &m, &d);
	if (first_w >= 0 && first_w != w0) {
		snprintf(err, errlen,
			 "the first day, %04d-%02d-%02d, is a %s, but the file's races are on %s, "
			 "the first on a %s: give the regatta's first day with --date",
			 y, m, d, WDAYS[w0], names, WDAYS[first_w]);
		return SL_EINVAL;
	}
	size_t ndays = 1;
	bool used[REGFILE_MAX_DAYS] = {true};
	for (size_t e = 0; e < t->nev; e++) {
		const char *s = regfile_cell(t, t->evfirst[e], "Day");
		long z = iso_day(s), off = 0;
		int w = weekday_of(s), n = day_number(s);
		if (z >= 0)
			off = z - first_iso;
		else if (w >= 0)
			off = (w - w0 + 7) % 7;
		else if (n > 0)
			off = n - 1;
		else if (*s && !strstr(other.data ? other.data : "", s))
			sl_buf_addf(&other, "%s'%s'", other.len ? ", " : "", s);
		if (off >= REGFILE_MAX_DAYS) {
			snprintf(err, errlen,
				 "race %s: its day '%s' is %ld days after the first: at "
				 "most %d days",
				 t->race_id[e], s, off, REGFILE_MAX_DAYS - 1);
			for (size_t k = 0; k < t->nev; k++)
				t->race_day[k] = 0; /* below ndays, whatever it is */
			rc = SL_EINVAL;
			goto out;
		}
		t->race_day[e] = (size_t)off;
		used[off] = true;
		if ((size_t)off + 1 > ndays)
			ndays = (size_t)off + 1;
	}
	if (warn && other.len)
		sl_buf_addf(warn,
			    "Day %s names no date, weekday or day number: put on the first "
			    "day\n",
			    other.data);
	for (size_t k = 0; k < ndays && warn; k++)
		if (!used[k]) {
			sl_buf_addf(
				warn,
				"the races are not on consecutive days from %04d-%02d-%02d (none "
				"on day %zu): is that the regatta's first day?\n",
				y, m, d, k + 1);
			break;
		}
	t->ndays = ndays;
	t->day_base = base;
	snprintf(t->date, sizeof(t->date), "%04d-%02d-%02d", y, m, d);
out:
	sl_buf_release(&other);
	return rc;
}

const char *regfile_date(const regfile *rf)
{
	return rf->date;
}

size_t regfile_ndays(const regfile *rf)
{
	return rf->ndays;
}

void regfile_day(const regfile *rf, size_t k, int *y, int *mo, int *d)
{
	civil_from_days(rf->day_base + (long)k, y, mo, d);
}

size_t regfile_race_day(const regfile *rf, size_t e)
{
	return rf->race_day[e];
}

/* ---- records -------------------------------------------------------------- */

static sl_buf *rec_new(reg_recs *l, msgpack_packer *pk)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->r = sl_realloc(l->r, l->cap * sizeof(sl_buf));
	}
	sl_buf *b = &l->r[l->n++];
	*b = (sl_buf)SL_BUF_INIT;
	slp_packer_init(pk, b);
	return b;
}

void reg_recs_release(reg_recs *l)
{
	for (size_t i = 0; i < l->n; i++)
		sl_buf_release(&l->r[i]);
	free(l->r);
	memset(l, 0, sizeof(*l));
}

static const char *const BACKUPS[] = {"Start2", "Start3", "Finish2", "Finish3"};

/* The fastest and slowest time of race e in the file (RawTime, else finish -
 * start); false when no crew has one. */
static bool race_times(const regfile *t, size_t e, int64_t *fast, int64_t *slow)
{
	*fast = *slow = REGFILE_NO_T;
	for (size_t i = t->evfirst[e]; i < t->nrows; i++) {
		if (t->row_race[i] != e)
			continue;
		int64_t v = regfile_ms(regfile_cell(t, i, "RawTime"));
		int64_t s0 = regfile_ms(regfile_cell(t, i, "G_Start_time_raw"));
		int64_t f1 = regfile_ms(regfile_cell(t, i, "G_Finish_time_raw"));
		if (v == REGFILE_NO_T && s0 != REGFILE_NO_T && f1 != REGFILE_NO_T)
			v = f1 - s0;
		if (v == REGFILE_NO_T || v <= 0)
			continue;
		if (*fast == REGFILE_NO_T || v < *fast)
			*fast = v;
		if (*slow == REGFILE_NO_T || v > *slow)
			*slow = v;
	}
	return *fast != REGFILE_NO_T;
}

/* A split point of a race: station k, at d metres, read in [min_s, min_s + window_s]. */
struct split {
	size_t k;
	long d, min_s, window_s;
};

/*
 * The splits of race e of dist metres: the stations with a reading in one
 * of its rows, in course order.  Their distances are their names' when
 * every name gives one, increasing and short of the finish; else they are
 * spread evenly (*spread).  The read rule is the core's own (PROTOCOL.md,
 * "Event configuration"): `first` inside [start + min_s, start + min_s +
 * window_s], the window being the plausible pace pro rata of the
 * distance: from 0.8 x the race's fastest time to 1.25 x its slowest (room
 * for a fast first part of the course, and for a crew slower there than
 * at the finish), or 8 m/s to 1.5 m/s when no crew has a time (no boat is
 * faster).  A read outside it is not this crew's passing: a bow number
 * mistyped or misread, another crew's crossing.  No dedupe_s: a station
 * of these files has one reading per crew.
 */
static size_t race_splits(const regfile *t, size_t e, long dist, struct split *sp, bool *spread)
{
	size_t n = 0;
	for (size_t k = 0; k < t->nst; k++) {
		bool any = false;
		for (size_t i = t->evfirst[e]; i < t->nrows && !any; i++)
			any = t->row_race[i] == e &&
			      regfile_ms(t->rows[i][t->st[k].col]) != REGFILE_NO_T;
		if (any)
			sp[n++] = (struct split){.k = k};
	}
	*spread = false;
	for (size_t q = 0, prev = 0; q < n; q++) {
		long d = regfile_name_distance(t->st[sp[q].k].name);
		if (d <= (long)prev || d >= dist) {
			*spread = true;
			break;
		}
		sp[q].d = d;
		prev = (size_t)d;
	}
	for (size_t q = 0; q < n && *spread; q++)
		sp[q].d = lround((double)dist * (double)(q + 1) / (double)(n + 1));
	int64_t fast, slow;
	bool timed = race_times(t, e, &fast, &slow);
	for (size_t q = 0; q < n; q++) {
		double f = (double)sp[q].d / (double)dist;
		double lo = timed ? f * (double)fast * 0.8 / 1000.0 : (double)sp[q].d / 8.0;
		double hi = timed ? f * (double)slow * 1.25 / 1000.0 : (double)sp[q].d / 1.5;
		sp[q].min_s = (long)floor(lo);
		sp[q].window_s = (long)ceil(hi) - sp[q].min_s;
	}
	return n;
}

/* Race e's distance: its name's, else the option's; 0 when neither says. */
static long race_distance(const regfile *t, size_t e, const struct reg_opts *o)
{
	long d = regfile_name_distance(regfile_cell(t, t->evfirst[e], "Event"));
	return d ? d : o->distance_m;
}

static void list_add(sl_buf *b, const char *s)
{
	sl_buf_addf(b, "%s%s", b->len ? ", " : "", s);
}

static void pack_config(msgpack_packer *pk, const regfile *t, const struct reg_opts *o,
			sl_buf *warn)
{
	sl_buf assumed = SL_BUF_INIT, spread_races = SL_BUF_INIT, spread_st = SL_BUF_INIT;
	size_t nassumed = 0;
	struct split *sp = sl_calloc(t->nst + 1, sizeof(*sp));
	msgpack_pack_map(pk, 2);
	slp_pack_kv_str(pk, "k", "config");
	slp_pack_key(pk, "config");
	msgpack_pack_map(pk, o->timezone ? 5 : 4);
	slp_pack_kv_str(pk, "event", o->event);
	slp_pack_kv_str(pk, "name", o->event);
	slp_pack_kv_str(pk, "date", t->date);
	if (o->timezone)
		slp_pack_kv_str(pk, "timezone", o->timezone);
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, t->nev);
	size_t nb = 0;
	for (size_t k = 0; k < 4; k++) {
		char h[64];
		snprintf(h, sizeof(h), "G_%s_time_raw", BACKUPS[k]);
		nb += col(t, h) >= 0;
	}
	for (size_t e = 0; e < t->nev; e++) {
		size_t i = t->evfirst[e];
		bool head = !strcmp(regfile_cell(t, i, "RaceType"), "Head");
		const char *info = regfile_cell(t, i, "EventInfo");
		long dist = race_distance(t, e, o);
		if (!dist) {
			dist = 1000;
			list_add(&assumed, t->race_id[e]);
			nassumed++;
		}
		bool spread;
		size_t ns = race_splits(t, e, dist, sp, &spread);
		if (spread) {
			list_add(&spread_races, t->race_id[e]);
			for (size_t q = 0; q < ns; q++) {
				char qn[80];
				snprintf(qn, sizeof(qn), "'%s'", t->st[sp[q].k].name);
				if (!strstr(spread_st.data ? spread_st.data : "", qn))
					list_add(&spread_st, qn);
			}
		}
		msgpack_pack_map(pk, 7 + (*info != 0));
		slp_pack_kv_str(pk, "id", t->race_id[e]);
		slp_pack_kv_str(pk, "name", regfile_cell(t, i, "Event"));
		slp_pack_kv_str(pk, "kind", head ? "trial" : "lanes");
		slp_pack_kv_int(pk, "precision_ms", 1);
		slp_pack_kv_int(pk, "distance_m", dist);
		if (*info)
			slp_pack_kv_str(pk, "progression", info);
		slp_pack_key(pk, "waves");
		msgpack_pack_array(pk, 1);
		msgpack_pack_map(pk, 1);
		slp_pack_kv_str(pk, "id", "1");
		slp_pack_key(pk, "points");
		msgpack_pack_array(pk, 2 + ns + nb);
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "id", "start");
		slp_pack_kv_str(pk, "role", "start");
		slp_pack_kv_str(pk, "rule", "first");
		for (size_t q = 0; q < ns; q++) {
			msgpack_pack_map(pk, 7);
			slp_pack_kv_str(pk, "id", t->st[sp[q].k].id);
			slp_pack_kv_str(pk, "name", t->st[sp[q].k].name);
			slp_pack_kv_str(pk, "role", "split");
			slp_pack_kv_str(pk, "rule", "first");
			slp_pack_kv_int(pk, "distance_m", sp[q].d);
			slp_pack_kv_int(pk, "min_s", sp[q].min_s);
			slp_pack_kv_int(pk, "window_s", sp[q].window_s);
		}
		msgpack_pack_map(pk, 4);
		slp_pack_kv_str(pk, "id", "finish");
		slp_pack_kv_str(pk, "role", "finish");
		slp_pack_kv_int(pk, "distance_m", dist);
		slp_pack_kv_int(pk, "min_s", 0);
		for (size_t k = 0; k < 4; k++) {
			char h[64], id[16];
			snprintf(h, sizeof(h), "G_%s_time_raw", BACKUPS[k]);
			if (col(t, h) < 0)
				continue;
			snprintf(id, sizeof(id), "%s", BACKUPS[k]);
			id[0] = (char)(id[0] - 'A' + 'a');
			msgpack_pack_map(pk, 2);
			slp_pack_kv_str(pk, "id", id);
			slp_pack_kv_str(pk, "station_of", k < 2 ? "start" : "finish");
		}
	}
	if (warn && nassumed)
		sl_buf_addf(warn,
			    "no distance for %zu races (%s): 1000 m assumed; give --distance M, "
			    "or write it in the event name (\"2000m\")\n",
			    nassumed, assumed.data);
	if (warn && spread_races.len)
		sl_buf_addf(warn,
			    "stations %s: no distance in the name (or not one before the finish) "
			    "in races %s: spread evenly over the course\n",
			    spread_st.data, spread_races.data);
	sl_buf_release(&assumed);
	sl_buf_release(&spread_races);
	sl_buf_release(&spread_st);
	free(sp);
}

static void pack_members(msgpack_packer *pk, const char *crew)
{
	size_t n = 1;
	for (const char *p = crew; (p = strstr(p, " / ")); p += 3)
		n++;
	slp_pack_key(pk, "members");
	msgpack_pack_array(pk, n);
	const char *s = crew;
	for (size_t k = 0; k < n; k++) {
		const char *e = strstr(s, " / ");
		size_t len = e ? (size_t)(e - s) : strlen(s);
		msgpack_pack_map(pk, 1);
		slp_pack_kv_strn(pk, "name", s, len);
		s = e ? e + 3 : s + len;
	}
}

static void pack_participants(msgpack_packer *pk, const regfile *t, size_t from, size_t n)
{
	msgpack_pack_map(pk, 2);
	slp_pack_kv_str(pk, "k", "participants");
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, n);
	for (size_t i = from; i < from + n; i++) {
		const char *bow = regfile_cell(t, i, "Bow"), *crew = regfile_cell(t, i, "Crew");
		char *end;
		long lane = strtol(bow, &end, 10);
		bool has_lane = *bow && !*end && lane >= 1 && lane <= 99;
		bool members = strstr(crew, " / ") != NULL;
		msgpack_pack_map(pk, 4 + has_lane + members);
		slp_pack_kv_str(pk, "bib", t->bibs[i]);
		slp_pack_kv_str(pk, "race", t->race_id[t->row_race[i]]);
		slp_pack_kv_str(pk, "name", crew);
		slp_pack_kv_str(pk, "club", regfile_cell(t, i, "CrewAbbrev"));
		if (has_lane)
			slp_pack_kv_int(pk, "lane", lane);
		if (members)
			pack_members(pk, crew);
	}
}

struct adj_arg {
	const char *type, *reason, *official;
	const char *key; /* an integer field, or NULL */
	int64_t v;
	const char *station; /* a station choice at the finish, or NULL */
	bool dead_heat;      /* a judges' place shared with the crew holding it */
};

static void pack_adjust(reg_recs *out, const char *bib, const struct adj_arg *a)
{
	msgpack_packer pk;
	rec_new(out, &pk);
	msgpack_pack_map(&pk, 5 + (a->key != NULL) + 2 * (a->station != NULL) + a->dead_heat);
	slp_pack_kv_str(&pk, "k", "adjust");
	slp_pack_kv_str(&pk, "bib", bib);
	slp_pack_kv_str(&pk, "type", a->type);
	slp_pack_kv_str(&pk, "reason", a->reason);
	slp_pack_kv_str(&pk, "official", a->official);
	if (a->key)
		slp_pack_kv_int(&pk, a->key, a->v);
	if (a->station) {
		slp_pack_kv_str(&pk, "pt", "finish");
		slp_pack_kv_str(&pk, "station", a->station);
	}
	if (a->dead_heat)
		slp_pack_kv_bool(&pk, "dead_heat", true);
}

/*
 * The judges' places (--places-from-file): the place the file gives a crew,
 * where it differs from the rank of the crew's AdjTime in its race (what
 * the results would show without a decision).  Where they agree there is
 * nothing to decide, and a judged place would pin a crew that a later
 * correction of a time should move.  A place shared with a crew that holds
 * it (by time, or by an earlier judged place) is a dead heat.  Timed crews
 * the file leaves unplaced, and placed crews with a status, are warned: no
 * `place` decision says either.
 */
static void pack_places(reg_recs *out, const regfile *t, const struct reg_opts *o, sl_buf *warn)
{
	size_t n = t->nrows;
	struct reg_expect *x = sl_calloc(n + 1, sizeof(*x));
	long *comp = sl_calloc(n + 1, sizeof(*comp));
	bool *sent = sl_calloc(n + 1, sizeof(*sent));
	sl_buf unplaced = SL_BUF_INIT, statused = SL_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		regfile_expect(t, i, &x[i]);
	for (size_t i = 0; i < n; i++) {
		if (x[i].adj == REGFILE_NO_T || x[i].exhibition || x[i].status)
			continue;
		comp[i] = 1;
		for (size_t j = 0; j < n; j++)
			comp[i] += t->row_race[j] == t->row_race[i] && x[j].adj != REGFILE_NO_T &&
				   !x[j].exhibition && !x[j].status && x[j].adj < x[i].adj;
	}
	for (size_t i = 0; i < n; i++) {
		if (x[i].place == comp[i])
			continue;
		if (!x[i].place) {
			list_add(&unplaced, t->bibs[i]);
			continue;
		}
		if (x[i].status) {
			list_add(&statused, t->bibs[i]);
			continue;
		}
		bool dh = false;
		for (size_t j = 0; j < n && !dh; j++)
			dh = j != i && t->row_race[j] == t->row_race[i] &&
			     x[j].place == x[i].place &&
			     (comp[j] == x[i].place || (j < i && sent[j]));
		pack_adjust(out, t->bibs[i],
			    &(struct adj_arg){"place", "place from the results file", o->official,
					      "place", x[i].place, NULL, dh});
		sent[i] = true;
	}
	if (warn && unplaced.len)
		sl_buf_addf(warn,
			    "timed but without a place in the file: %s: their places are the "
			    "times' (no decision takes a place away)\n",
			    unplaced.data);
	if (warn && statused.len)
		sl_buf_addf(warn,
			    "a place in the file for a crew that did not finish (DNS, DNF, DQ, "
			    "scratch): %s: not imported\n",
			    statused.data);
	sl_buf_release(&unplaced);
	sl_buf_release(&statused);
	free(x);
	free(comp);
	free(sent);
}

/* An EventNum naming two events: both kept, apart; said once per extra race. */
static void warn_dups(const regfile *t, sl_buf *warn)
{
	for (size_t e = 0; e < t->nev && warn; e++) {
		const char *num = regfile_cell(t, t->evfirst[e], "EventNum");
		if (!strcmp(t->race_id[e], num))
			continue;
		size_t f = 0;
		while (f < e && strcmp(regfile_cell(t, t->evfirst[f], "EventNum"), num) != 0)
			f++;
		sl_buf_addf(warn,
			    "event number %s names two events, '%s' and '%s': kept apart, as "
			    "races %s and %s (bibs %s-<Bow>)\n",
			    num, regfile_cell(t, t->evfirst[f], "Event"),
			    regfile_cell(t, t->evfirst[e], "Event"), t->race_id[f], t->race_id[e],
			    t->race_id[e]);
	}
}

void regfile_import(const regfile *t, const struct reg_opts *o, reg_recs *out, sl_buf *warn)
{
	msgpack_packer pk;
	const char *official = o->official;
	size_t chunk = o->chunk;
	warn_dups(t, warn);
	rec_new(out, &pk);
	pack_config(&pk, t, o, warn);
	if (chunk == 0)
		chunk = t->nrows ? t->nrows : 1;
	for (size_t off = 0; off < t->nrows; off += chunk) {
		rec_new(out, &pk);
		pack_participants(&pk, t, off, t->nrows - off < chunk ? t->nrows - off : chunk);
	}
	bool backups = col(t, "G_Finish2_time_raw") >= 0;
	for (size_t i = 0; i < t->nrows; i++) {
		const char *adj = regfile_cell(t, i, "AdjTime");
		const char *pen = regfile_cell(t, i, "PenaltyCode");
		const char *fin = regfile_cell(t, i, "G_Finish_time_raw");
		if (*fin && backups) {
			const char *st =
				!strcmp(fin, regfile_cell(t, i, "G_Finish2_time_raw"))   ? "finish2"
				: !strcmp(fin, regfile_cell(t, i, "G_Finish3_time_raw")) ? "finish3"
											 : NULL;
			if (st)
				pack_adjust(out, t->bibs[i],
					    &(struct adj_arg){"station", "official finish camera",
							      official, NULL, 0, st, false});
		}
		if (!strcmp(pen, "Exhib"))
			pack_adjust(out, t->bibs[i],
				    &(struct adj_arg){"exhibition", "Exhib", official, NULL, 0,
						      NULL, false});
		const char *paren = strrchr(pen, '(');
		int secs;
		if (paren && sscanf(paren, "(%ds)", &secs) == 1 && secs >= 0 && secs <= 86400)
			pack_adjust(out, t->bibs[i],
				    &(struct adj_arg){"penalty", pen, official, "ms", secs * 1000LL,
						      NULL, false});
		for (size_t k = 0; k < NSTATUS; k++)
			if (!strcmp(adj, STATUS_WORDS[k][0]))
				pack_adjust(out, t->bibs[i],
					    &(struct adj_arg){STATUS_WORDS[k][1],
							      STATUS_WORDS[k][0], official, NULL, 0,
							      NULL, false});
	}
	if (o->places)
		pack_places(out, t, o, warn);
}

static int read_cmp(const void *a, const void *b)
{
	const slp_read *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	/* stable on the row: bibs are unique, compare them */
	int c = strcmp(x->bib, y->bib);
	return c;
}

/* A station device of the replay: its column and point id. */
struct dev {
	int col;
	const char *id;
	bool start, finish; /* the primary start or finish */
};

void regfile_replay(const regfile *t, size_t batch, int64_t rx, const int64_t *day0, reg_recs *out)
{
	static const char *const ends[][2] = {
		{"G_Start_time_raw", "start"},     {"G_Start2_time_raw", "start2"},
		{"G_Start3_time_raw", "start3"},   {"G_Finish_time_raw", "finish"},
		{"G_Finish2_time_raw", "finish2"}, {"G_Finish3_time_raw", "finish3"}};
	int fin2 = col(t, "G_Finish2_time_raw"), fin3 = col(t, "G_Finish3_time_raw");
	msgpack_packer pk;
	if (batch == 0)
		batch = 100;

	/* side-by-side races: the start fires once, at the first crew's reading */
	for (size_t e = 0; e < t->nev; e++) {
		size_t i = t->evfirst[e];
		if (!strcmp(regfile_cell(t, i, "RaceType"), "Head"))
			continue;
		int64_t t0 = REGFILE_NO_T;
		for (size_t k = i; k < t->nrows && t0 == REGFILE_NO_T; k++)
			if (t->row_race[k] == e)
				t0 = regfile_ms(regfile_cell(t, k, "G_Start_time_raw"));
		if (t0 == REGFILE_NO_T)
			continue;
		rec_new(out, &pk);
		msgpack_pack_map(&pk, 4);
		slp_pack_kv_str(&pk, "k", "wave_start");
		slp_pack_kv_str(&pk, "race", t->race_id[e]);
		slp_pack_kv_str(&pk, "wave", "1");
		slp_pack_kv_int(&pk, "t0", day0[t->race_day[e]] + t0);
	}

	/* the devices in course order: starts, intermediate stations, finishes */
	struct dev *devs = sl_calloc(6 + t->nst, sizeof(*devs));
	size_t nd = 0;
	for (size_t k = 0; k < 3; k++)
		devs[nd++] = (struct dev){col(t, ends[k][0]), ends[k][1], k == 0, false};
	for (size_t k = 0; k < t->nst; k++)
		devs[nd++] = (struct dev){t->st[k].col, t->st[k].id, false, false};
	for (size_t k = 3; k < 6; k++)
		devs[nd++] = (struct dev){col(t, ends[k][0]), ends[k][1], false, k == 3};

	slp_read *rs = sl_calloc(t->nrows + 1, sizeof(*rs));
	for (size_t d = 0; d < nd; d++) {
		if (devs[d].col < 0)
			continue;
		size_t n = 0;
		for (size_t i = 0; i < t->nrows; i++) {
			const char *v = t->rows[i][devs[d].col];
			int64_t ms = regfile_ms(v);
			if (ms == REGFILE_NO_T)
				continue;
			if (devs[d].start && strcmp(regfile_cell(t, i, "RaceType"), "Head") != 0)
				continue; /* lanes: the race's start is the wave start */
			if (devs[d].finish && ((fin2 >= 0 && !strcmp(v, t->rows[i][fin2])) ||
					       (fin3 >= 0 && !strcmp(v, t->rows[i][fin3]))))
				continue; /* the official finish is a backup's reading */
			rs[n] = (slp_read){0};
			rs[n].bib = t->bibs[i];
			rs[n].bib_len = strlen(t->bibs[i]);
			rs[n].pt = devs[d].id;
			rs[n].pt_len = strlen(devs[d].id);
			rs[n].t = day0[t->race_day[t->row_race[i]]] + ms;
			rs[n].kind = SLP_KIND_RFID;
			rs[n].hits = -1;
			n++;
		}
		qsort(rs, n, sizeof(*rs), read_cmp);
		for (size_t off = 0; off < n; off += batch) {
			size_t m = n - off < batch ? n - off : batch;
			rec_new(out, &pk);
			msgpack_pack_map(&pk, 5);
			slp_pack_kv_str(&pk, "k", "passings");
			slp_pack_kv_str(&pk, "dev", devs[d].id);
			slp_pack_kv_int(&pk, "seq", (int64_t)off + 1);
			slp_pack_key(&pk, "reads");
			slp_pack_reads(&pk, rs + off, m);
			slp_pack_kv_int(&pk, "rx", rx);
		}
	}
	free(rs);
	free(devs);
}

int regfile_to_msg(const char *rec, size_t len, uint64_t id, sl_buf *out)
{
	msgpack_zone z;
	msgpack_object root;
	size_t off = 0;
	const char *k;
	size_t kn;
	int rc = SL_EINVAL;
	msgpack_packer pk;

	msgpack_zone_init(&z, 4096);
	if (msgpack_unpack(rec, len, &off, &z, &root) != MSGPACK_UNPACK_SUCCESS ||
	    root.type != MSGPACK_OBJECT_MAP || slp_get_str(&root, "k", &k, &kn) != 0)
		goto out;
	const char *t = NULL;
	bool drop_rx = false;
	if (kn == 6 && !memcmp(k, "config", 6))
		t = "event_create";
	else if (kn == 8 && !memcmp(k, "passings", 8))
		t = "passings", drop_rx = true;
	else if ((kn == 12 && !memcmp(k, "participants", 12)) ||
		 (kn == 10 && !memcmp(k, "wave_start", 10)) || (kn == 6 && !memcmp(k, "adjust", 6)))
		t = NULL;
	else
		goto out;
	sl_buf_reset(out);
	slp_packer_init(&pk, out);
	size_t n = 2;
	const msgpack_object_map *m = &root.via.map;
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object_str *key = &m->ptr[i].key.via.str;
		bool is_k = key->size == 1 && key->ptr[0] == 'k';
		bool is_rx = key->size == 2 && !memcmp(key->ptr, "rx", 2);
		n += !is_k && !(drop_rx && is_rx);
	}
	msgpack_pack_map(&pk, n);
	if (t)
		slp_pack_kv_str(&pk, "t", t);
	else
		slp_pack_kv_strn(&pk, "t", k, kn);
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object_str *key = &m->ptr[i].key.via.str;
		bool is_k = key->size == 1 && key->ptr[0] == 'k';
		bool is_rx = key->size == 2 && !memcmp(key->ptr, "rx", 2);
		if (is_k || (drop_rx && is_rx))
			continue;
		msgpack_pack_object(&pk, m->ptr[i].key);
		msgpack_pack_object(&pk, m->ptr[i].val);
	}
	rc = 0;
out:
	msgpack_zone_destroy(&z);
	return rc;
}

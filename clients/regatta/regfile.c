/*
 * regfile.c: reading a regatta export (see regfile.h for the mapping; the
 * records built from it are in regfile_rec.c).
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

#include "regfile_int.h"

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

int regfile__col(const regfile *t, const char *name)
{
	for (size_t j = 0; j < t->nhdr; j++)
		if (!strcmp(t->hdr[j], name))
			return (int)j;
	return -1;
}

const char *regfile_cell(const regfile *t, size_t i, const char *name)
{
	int j = regfile__col(t, name);
	return j < 0 || i >= t->nrows ? "" : t->rows[i][j];
}

bool regfile_has_col(const regfile *rf, const char *name)
{
	return regfile__col(rf, name) >= 0;
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
	for (size_t k = 0; k < t->nbk; k++) {
		free(t->bk[k].name);
		free(t->bk[k].id);
	}
	SL_FREE_MANY(t->rows, t->hdr, t->bibs, t->row_race, t->evfirst, t->race_id, t->race_day,
		     t->st, t->bk, t);
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

/* The point id of a station: its name in lower case, other characters '-',
 * made unique among the ends and ids[0..n) ("-2", "-3": two names of one id). */
static char *station_id(const char *name, char *const *ids, size_t n)
{
	static const char *const end_ids[] = {"start",  "start2",  "start3",
					      "finish", "finish2", "finish3"};
	char id[72];
	size_t m = 0;
	for (const char *p = name; *p && m < 60; p++) {
		unsigned char ch = (unsigned char)*p;
		id[m++] = isalnum(ch) || ch == '_' || ch == '.' || ch == '+' ? (char)tolower(ch)
									     : '-';
	}
	id[m] = '\0';
	for (unsigned k = 2;; k++) {
		bool taken = false;
		for (size_t q = 0; q < sizeof(end_ids) / sizeof(end_ids[0]); q++)
			taken |= !strcmp(id, end_ids[q]);
		for (size_t q = 0; q < n; q++)
			taken |= !strcmp(ids[q], id);
		if (!taken)
			break;
		snprintf(id + m, sizeof(id) - m, "-%u", k);
	}
	return sl_strdup(id);
}

/*
 * The station that station j backs up, or -1: its name is another's
 * followed by a digit 2..9 ("500m2" of "500m", as "Start2" of "Start");
 * through a backup's backup ("500m22" of "500m2" of "500m") to the first
 * that backs up none.  "Mark2" without a "Mark" backs up nothing.
 */
static int backed_up(char *const *names, size_t n, size_t j)
{
	const char *s = names[j];
	int of = -1;
	bool found = true;
	for (size_t len = strlen(s); found && len > 1 && s[len - 1] >= '2' && s[len - 1] <= '9';
	     len--) {
		found = false;
		for (size_t k = 0; k < n && !found; k++)
			if (strlen(names[k]) == len - 1 && !strncmp(names[k], s, len - 1)) {
				of = (int)k;
				found = true;
			}
	}
	return of;
}

/* Backups in order of their split, then of their names: "500m2" before
 * "500m3" before "500m22" (columns in any order). */
static bool backup_after(const struct station *a, const struct station *b)
{
	size_t la = strlen(a->name), lb = strlen(b->name);
	if (a->of != b->of)
		return a->of > b->of;
	return la != lb ? la > lb : strcmp(a->name, b->name) > 0;
}

/*
 * G_<name>_time_raw columns that are not the start or the finish (or their
 * backups): the split points in t->st, their backup stations in t->bk.
 * Ids are given in column order, unique among all of them.
 */
static void find_stations(regfile *t)
{
	static const char *const ends[] = {"Start",  "Start2",  "Start3",
					   "Finish", "Finish2", "Finish3"};
	char **names = sl_calloc(t->nhdr + 1, sizeof(char *)),
	     **ids = sl_calloc(t->nhdr + 1, sizeof(char *));
	int *cols = sl_calloc(t->nhdr + 1, sizeof(int)), *of = sl_calloc(t->nhdr + 1, sizeof(int));
	size_t n = 0, *split = sl_calloc(t->nhdr + 1, sizeof(size_t));
	for (size_t j = 0; j < t->nhdr; j++) {
		const char *h = t->hdr[j];
		size_t len = strlen(h);
		if (len <= 11 || strncmp(h, "G_", 2) != 0 || strcmp(h + len - 9, "_time_raw") != 0)
			continue;
		char *name = sl_strndup(h + 2, len - 11);
		bool end = false;
		for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++)
			end |= !strcmp(name, ends[k]);
		if (end) {
			free(name);
			continue;
		}
		ids[n] = station_id(name, ids, n);
		names[n] = name;
		cols[n++] = (int)j;
	}
	t->st = sl_calloc(n + 1, sizeof(*t->st));
	t->bk = sl_calloc(n + 1, sizeof(*t->bk));
	for (size_t k = 0; k < n; k++)
		if ((of[k] = backed_up(names, n, k)) < 0) {
			split[k] = t->nst;
			t->st[t->nst++] = (struct station){names[k], ids[k], cols[k], 0};
		}
	for (size_t k = 0; k < n; k++) {
		if (of[k] < 0)
			continue;
		struct station b = {names[k], ids[k], cols[k], split[of[k]]};
		size_t q = t->nbk++;
		for (; q > 0 && backup_after(&t->bk[q - 1], &b); q--)
			t->bk[q] = t->bk[q - 1];
		t->bk[q] = b;
	}
	SL_FREE_MANY(names, ids, cols, of, split);
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
		if (regfile__col(t, need[k]) < 0) {
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

const char *const regfile__status[REGFILE__NSTATUS][3] = {
	/* AdjTime, adjust type, status shown */
	{"DNS", "dns", "dns"},
	{"DNF", "dnf", "dnf"},
	{"DQ", "dq", "dsq"},
	{"Scratch", "scratch", "scratch"},
};

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
	for (size_t k = 0; k < REGFILE__NSTATUS; k++)
		if (!strcmp(adj, regfile__status[k][0]))
			x->status = regfile__status[k][2];
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

/*
 * boston.c: Boston results file -> sorted mat reads.
 *
 * Two passes: the CSV (libcsv) is read into runners (bib, line, elapsed
 * per column, wave); then each wave's runners are ranked by bib to get the
 * corral delay, and the reads are made and sorted.  See boston.h for the
 * rules.
 */
#include "boston.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ftext.h"

#define NCOLS 10
static const char *const col_names[NCOLS] = {"5K",  "10K", "15K", "20K", "Half",
					     "25K", "30K", "35K", "40K", "Official Time"};
static const char *const col_points[NCOLS] = {"5k",  "10k", "15k", "20k", "half",
					      "25k", "30k", "35k", "40k", NULL /* finish */};

#define CORRAL_MS (20 * 60 * 1000)

typedef struct runner {
	char bib[36];
	int line;
	bool numeric;
	long long num;
	const evcfg_wave *wave;
	int64_t el[NCOLS]; /* elapsed ms, -1 when missing or bad */
	size_t rank, nwave;
} runner;

typedef struct st {
	boston *b;
	const char *name;
	const evcfg_race *race;
	const boston_opts *o;
	/* the current record */
	char **f;
	size_t nf, capf;
	int line, rec_line;
	bool have_header, fatal, stop;
	int col_bib, col[NCOLS];
	runner *runners;
	size_t nrunners, caprunners;
	char *err;
	size_t errlen;
} st;

int boston_parse_hms(const char *s, int64_t *ms)
{
	const char *p = s;
	long long h = 0;
	int nd = 0;
	while (isdigit((unsigned char)*p) && nd < 6) {
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (!nd || *p != ':' || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    p[3] != ':' || !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]) || p[6])
		return SL_EPARSE;
	int m = (p[1] - '0') * 10 + (p[2] - '0');
	int sec = (p[4] - '0') * 10 + (p[5] - '0');
	if (m > 59 || sec > 59)
		return SL_EPARSE;
	*ms = ((h * 60 + m) * 60 + sec) * 1000;
	return 0;
}

static void on_field(void *data, size_t len, void *p)
{
	st *s = p;
	SL_GROW(s->f, s->capf, s->nf + 1);
	s->f[s->nf++] = sl_strndup(data ? data : "", data ? len : 0);
}

static void take_header(st *s)
{
	s->col_bib = -1;
	for (int c = 0; c < NCOLS; c++)
		s->col[c] = -1;
	for (size_t i = 0; i < s->nf; i++) {
		char *h = ftext_trim(s->f[i]);
		if (i == 0 && strncmp(h, "\xef\xbb\xbf", 3) == 0)
			h += 3;
		if (strcasecmp(h, "Bib") == 0 && s->col_bib < 0)
			s->col_bib = (int)i;
		for (int c = 0; c < NCOLS; c++)
			if (strcasecmp(h, col_names[c]) == 0 && s->col[c] < 0)
				s->col[c] = (int)i;
	}
	if (s->col_bib < 0 || s->col[NCOLS - 1] < 0) {
		snprintf(s->err, s->errlen, "'%s' is not a Boston results file: no '%s' column",
			 s->name, s->col_bib < 0 ? "Bib" : "Official Time");
		s->fatal = true;
	}
	s->have_header = true;
}

static void add_bad(boston *b, int line, const char *bib, const char *field, const char *value,
		    bool finish)
{
	SL_GROW(b->bad, b->capbad, b->nbad + 1);
	boston_bad *x = &b->bad[b->nbad++];
	memset(x, 0, sizeof(*x));
	x->line = line;
	snprintf(x->bib, sizeof(x->bib), "%s", bib);
	x->field = field;
	snprintf(x->value, sizeof(x->value), "%.40s", value);
	x->finish = finish;
}

static void take_row(st *s, int line)
{
	boston *b = s->b;
	if (s->o->limit && s->nrunners >= s->o->limit) {
		s->stop = true;
		return;
	}
	const char *bib = (size_t)s->col_bib < s->nf ? ftext_trim(s->f[s->col_bib]) : "";
	if (!*bib || strlen(bib) >= sizeof(((runner *)0)->bib)) {
		sl_buf_addf(&b->errs, "%s:%d: field 'Bib': '%.40s' is not a bib\n", s->name, line,
			    bib);
		add_bad(b, line, "", "Bib", bib, false);
		return;
	}
	SL_GROW(s->runners, s->caprunners, s->nrunners + 1);
	runner *r = &s->runners[s->nrunners++];
	memset(r, 0, sizeof(*r));
	strcpy(r->bib, bib);
	r->line = line;
	char *end;
	errno = 0;
	r->num = strtoll(bib, &end, 10);
	r->numeric = isdigit((unsigned char)bib[0]) && !*end && !errno;
	r->wave = evcfg_wave_of(s->race, bib);
	for (int c = 0; c < NCOLS; c++) {
		r->el[c] = -1;
		if (s->col[c] < 0 || (size_t)s->col[c] >= s->nf)
			continue;
		const char *v = ftext_trim(s->f[s->col[c]]);
		if (!*v || strcmp(v, "-") == 0)
			continue;
		if (boston_parse_hms(v, &r->el[c]) != 0) {
			r->el[c] = -1;
			sl_buf_addf(&b->errs, "%s:%d: field '%s': '%.40s' is not H:MM:SS\n",
				    s->name, line, col_names[c], v);
			add_bad(b, line, r->bib, col_names[c], v, !col_points[c]);
		}
	}
}

static void on_record(int c, void *p)
{
	st *s = p;
	int line = s->rec_line ? s->rec_line : s->line;
	s->rec_line = 0;
	if (!s->fatal && !s->stop) {
		if (!s->have_header)
			take_header(s);
		else
			take_row(s, line);
	}
	for (size_t i = 0; i < s->nf; i++)
		free(s->f[i]);
	s->nf = 0;
}

/* Wave order: non-numeric bibs first (by text), then by number. */
static int cmp_rank(const void *a, const void *b)
{
	const runner *x = *(const runner *const *)a, *y = *(const runner *const *)b;
	if (x->wave != y->wave)
		return x->wave < y->wave ? -1 : 1;
	if (x->numeric != y->numeric)
		return x->numeric ? 1 : -1;
	if (x->numeric && x->num != y->num)
		return x->num < y->num ? -1 : 1;
	int c = strcmp(x->bib, y->bib);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_read(const void *a, const void *b)
{
	const boston_read *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->pt, y->pt);
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void add_read(boston *b, int64_t t, const char *pt, const runner *r)
{
	SL_GROW(b->reads, b->cap, b->nreads + 1);
	boston_read *rd = &b->reads[b->nreads++];
	rd->t = t;
	rd->pt = pt;
	strcpy(rd->bib, r->bib);
	rd->line = r->line;
}

/*
 * The race the replay is for, with a start for every wave and a finish;
 * pts[c]: the point of column c (NULL when the race has none).  0, or
 * SL_EINVAL with err.
 */
static int race_points(st *s, const evcfg *cfg, const char *pts[NCOLS], char *err, size_t errlen)
{
	const boston_opts *o = s->o;
	s->race = o->race ? evcfg_find_race(cfg, o->race) : (cfg->nraces ? &cfg->races[0] : NULL);
	if (!s->race) {
		snprintf(err, errlen, "no race '%s' in the config", o->race ? o->race : "");
		return SL_EINVAL;
	}
	if (!s->race->nwaves) {
		snprintf(err, errlen, "race '%s' has no waves: the replay needs wave starts",
			 s->race->id);
		return SL_EINVAL;
	}
	for (size_t i = 0; i < s->race->nwaves; i++)
		if (!s->race->waves[i].has_start) {
			snprintf(err, errlen,
				 "wave '%s' of race '%s' has no start: the replay needs one",
				 s->race->waves[i].id, s->race->id);
			return SL_EINVAL;
		}
	const evcfg_point *finish = evcfg_point_by_role(s->race, EVCFG_FINISH);
	if (!finish) {
		snprintf(err, errlen, "race '%s' has no finish point", s->race->id);
		return SL_EINVAL;
	}
	for (int c = 0; c < NCOLS; c++) {
		pts[c] = NULL;
		if (!col_points[c]) {
			pts[c] = finish->id;
			continue;
		}
		for (size_t i = 0; i < s->race->npoints; i++)
			if (strcmp(s->race->points[i].id, col_points[c]) == 0)
				pts[c] = s->race->points[i].id;
	}
	return 0;
}

/* The CSV, one physical line at a time (as csvimport.c), into runners.
 * 0, or SL_EIO when libcsv cannot start; s->fatal with s->err on a bad file. */
static int read_csv(st *s, const char *buf, size_t len)
{
	struct csv_parser p;
	if (csv_init(&p, CSV_APPEND_NULL) != 0)
		return SL_EIO;
	size_t pos = 0;
	while (pos < len && !s->fatal && !s->stop) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
		s->line++;
		if (!s->rec_line)
			s->rec_line = s->line;
		if (csv_parse(&p, buf + pos, n, on_field, on_record, s) != n) {
			snprintf(s->err, s->errlen, "%s:%d: %s", s->name, s->line,
				 csv_strerror(csv_error(&p)));
			s->fatal = true;
			break;
		}
		if (s->rec_line == s->line && s->nf == 0 && ftext_blank(buf + pos, n))
			s->rec_line = 0;
		pos += n;
	}
	if (!s->fatal && !s->stop)
		csv_fini(&p, on_field, on_record, s);
	csv_free(&p);
	for (size_t i = 0; i < s->nf; i++)
		free(s->f[i]);
	free(s->f);
	if (!s->fatal && !s->have_header) {
		snprintf(s->err, s->errlen, "'%s' is empty", s->name);
		s->fatal = true;
	}
	return 0;
}

/* Each runner's rank by bib within its wave, and the wave's size. */
static void rank_waves(st *s)
{
	runner **order = sl_calloc(s->nrunners ? s->nrunners : 1, sizeof(*order));
	for (size_t i = 0; i < s->nrunners; i++)
		order[i] = &s->runners[i];
	qsort(order, s->nrunners, sizeof(*order), cmp_rank);
	for (size_t i = 0; i < s->nrunners;) {
		size_t j = i;
		while (j < s->nrunners && order[j]->wave == order[i]->wave)
			j++;
		for (size_t k = i; k < j; k++) {
			order[k]->rank = k - i;
			order[k]->nwave = j - i;
		}
		i = j;
	}
	free(order);
}

/* The reads: a start (the corral delay by rank) and one per time column. */
static void make_reads(st *s, const char *const pts[NCOLS])
{
	boston *b = s->b;
	const evcfg_point *start = evcfg_point_by_role(s->race, EVCFG_START);
	int64_t max_delay = CORRAL_MS;
	if (start && start->window_s >= 0) {
		int64_t w = (int64_t)(start->window_s * 1000) - 1000;
		if (w < 0)
			w = 0;
		if (w < max_delay)
			max_delay = w;
	}
	uint64_t rng = s->o->seed;
	for (size_t i = 0; i < s->nrunners; i++) {
		const runner *r = &s->runners[i];
		int64_t t0 = r->wave->start_ms +
			     (r->nwave ? (int64_t)((double)r->rank * max_delay / r->nwave) : 0);
		if (s->o->seed) /* the sub-second part of the crossing */
			t0 += (int64_t)(splitmix(&rng) % 1000);
		if (start)
			add_read(b, t0, start->id, r);
		for (int c = 0; c < NCOLS; c++)
			if (r->el[c] >= 0 && pts[c])
				add_read(b, t0 + r->el[c], pts[c], r);
	}
	b->nrunners = s->nrunners;
	if (b->nreads)
		qsort(b->reads, b->nreads, sizeof(*b->reads), cmp_read);
}

int boston_load_mem(boston *b, const char *name, const char *buf, size_t len, const evcfg *cfg,
		    const boston_opts *o, char *err, size_t errlen)
{
	static const boston_opts none;
	st s = {0};
	const char *pts[NCOLS];
	int rc;

	memset(b, 0, sizeof(*b));
	s.b = b;
	s.name = name;
	s.o = o ? o : &none;
	s.err = err;
	s.errlen = errlen;
	if ((rc = race_points(&s, cfg, pts, err, errlen)) || (rc = read_csv(&s, buf, len)))
		return rc;
	if (s.fatal) {
		free(s.runners);
		boston_release(b);
		return SL_EPARSE;
	}
	rank_waves(&s);
	make_reads(&s, pts);
	free(s.runners);
	return 0;
}

int boston_load_file(boston *b, const char *path, const evcfg *cfg, const boston_opts *o, char *err,
		     size_t errlen)
{
	memset(b, 0, sizeof(*b));
	sl_buf buf = SL_BUF_INIT;
	const char *why;
	int rc = ftext_read(path, 0, &buf, &why);
	if (rc) {
		sl_buf_release(&buf);
		if (rc == SL_ENOENT)
			snprintf(err, errlen, "cannot open '%s': %s", path, why);
		else
			snprintf(err, errlen, "cannot read '%s'", path);
		return SL_EIO;
	}
	rc = boston_load_mem(b, path, buf.data ? buf.data : "", buf.len, cfg, o, err, errlen);
	sl_buf_release(&buf);
	return rc;
}

void boston_release(boston *b)
{
	free(b->reads);
	free(b->bad);
	sl_buf_release(&b->errs);
	memset(b, 0, sizeof(*b));
}

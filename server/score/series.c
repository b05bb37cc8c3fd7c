/*
 * series.c: a series' standings over its events (PROTOCOL.md, "Series").
 *
 * Each event's counting race gives each placed entry points by its place in
 * the ranking the series is by (overall: the place shown; sex: the place in
 * the sex; category: the place in the entry's first category).  Entries are
 * one athlete across events when they hold the same match id (`reg`, or a
 * custom field); a placed entry without one is listed apart (noid), in no
 * standing.  An athlete's best `best` results count (more points first,
 * then the earlier event); the total is their sum.
 *
 * Standings are per group: one ("") overall, else the sex or the category
 * the athlete had in their latest placed event (groups in byte order).  In a
 * group: more points first; equal totals go through the series' `ties` in
 * order (wins: more first places; countback: the better list of places,
 * best first, compared in turn, more results winning a prefix; last: the
 * better place in the latest event either was placed in, going back while
 * equal); still equal, they share the place and are listed by id.
 *
 * Duplicates for an official to confirm: one id under different names
 * (normalised: ASCII letters folded to lower case, other ASCII dropped), one
 * id twice in one event (the better place counts), and different ids with
 * the same normalised name and birth date.
 */
#include <stdlib.h>
#include <string.h>

#include "cval.h"
#include "participant.h"
#include "score.h"

struct rec {
	size_t ev;
	const char *id, *name, *birth, *bib, *group;
	char *norm;
	size_t place;
	int64_t points;
};

static char *norm_name(const char *s)
{
	char *o = sl_malloc(strlen(s) + 1), *w = o;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 'A' && ch <= 'Z')
			*w++ = (char)(ch - 'A' + 'a');
		else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch >= 0x80)
			*w++ = (char)ch;
	}
	*w = '\0';
	return o;
}

static int64_t points_of(const struct series_cfg *c, size_t place)
{
	if (c->table)
		return place <= c->ntable ? c->table[place - 1] : 0;
	int64_t p = c->first - (int64_t)(place - 1) * c->step;
	return p > c->floor ? p : c->floor;
}

/* The entry's place and group in the ranking the series is by; 0: none. */
static size_t place_of(const struct series_cfg *c, const struct core_entries *x,
		       const struct core_entry *e, const char **group)
{
	*group = "";
	if (!e->ranked)
		return 0;
	if (c->by == SERIES_SEX) {
		*group = e->sex ? e->sex : "";
		return e->sex ? e->place_sex : 0;
	}
	if (c->by == SERIES_CATEGORY) {
		if (!e->ncats)
			return 0;
		*group = x->race->cats[e->cats[0]].id;
		return e->place_cats[0];
	}
	return e->place;
}

static int rec_id_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int d = strcmp(x->id, y->id);
	if (d)
		return d;
	if (x->ev != y->ev)
		return x->ev < y->ev ? -1 : 1;
	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	return entry_bib_cmp(x->bib, y->bib);
}

static int rec_person_cmp(const void *a, const void *b)
{
	const struct rec *x = *(const struct rec *const *)a, *y = *(const struct rec *const *)b;
	int d = strcmp(x->norm, y->norm);
	if (!d)
		d = strcmp(x->birth, y->birth);
	return d ? d : rec_id_cmp(x, y);
}

static void add_dup(struct series_table *t, size_t *cap, int kind, const struct rec *a,
		    const struct rec *b)
{
	if (t->ndups == *cap) {
		*cap = 2 * *cap + 8;
		t->dups = sl_realloc(t->dups, *cap * sizeof(*t->dups));
	}
	t->dups[t->ndups++] = (struct series_dup){
		kind,
		{a->id, b->id},
		{a->name, b->name},
		{t->cfg->events[a->ev], t->cfg->events[b->ev]},
		{a->bib, b->bib},
		kind == DUP_SAME_PERSON ? a->birth : NULL,
	};
}

/* Every placed entry of every event given, as a rec; the others in noid. */
static struct rec *collect(struct series_table *t, const struct core_entries *const *ev,
			   size_t *nrec)
{
	const struct series_cfg *c = t->cfg;
	size_t n = 0, cap = 0, ncap = 0;
	struct rec *r = NULL;
	for (size_t i = 0; i < c->nevents; i++) {
		for (size_t j = 0; ev[i] && j < ev[i]->n; j++) {
			const struct core_entry *e = &ev[i]->v[j];
			const char *group, *id = core_entry_field(e, c->match);
			for (size_t k = 0; id && k < c->nsame; k++) /* confirmed the same */
				if (!strcmp(id, c->same_from[k]))
					id = c->same_to[k];
			size_t place = place_of(c, ev[i], e, &group);
			if (!place)
				continue;
			if (!id || !*id) {
				SL_GROW(t->noid, ncap, t->nnoid + 1);
				t->noid[t->nnoid++] =
					(struct series_noid){c->events[i], e->bib, e->name};
				continue;
			}
			SL_GROW(r, cap, n + 1);
			r[n++] = (struct rec){i,
					      id,
					      e->name,
					      e->birth,
					      e->bib,
					      group,
					      norm_name(e->name),
					      place,
					      points_of(c, place)};
		}
	}
	*nrec = n;
	return r;
}

/* Different ids with the same normalised name and birth date. */
static void same_persons(struct series_table *t, struct rec *r, size_t n, size_t *cap)
{
	struct rec **by = sl_calloc(n ? n : 1, sizeof(*by));
	size_t nb = 0;
	for (size_t i = 0; i < n; i++)
		if (r[i].birth && *r[i].norm)
			by[nb++] = &r[i];
	qsort(by, nb, sizeof(*by), rec_person_cmp);
	for (size_t i = 1; i < nb; i++)
		if (!strcmp(by[i]->norm, by[i - 1]->norm) &&
		    !strcmp(by[i]->birth, by[i - 1]->birth) &&
		    strcmp(by[i]->id, by[i - 1]->id) != 0)
			add_dup(t, cap, DUP_SAME_PERSON, by[i - 1], by[i]);
	free(by);
}

/* The athlete of recs [i, j) (one id, by event then place) into row. */
static void fill_row(struct series_table *t, struct series_row *row, struct rec *r, size_t i,
		     size_t j, size_t *cap)
{
	const struct series_cfg *c = t->cfg;
	const struct rec *named = NULL;
	bool same_id_reported = false; /* once per id */
	row->athlete = r[i].id;
	for (size_t k = i; k < j; k++) {
		if (k > i && r[k].ev == r[k - 1].ev) {
			add_dup(t, cap, DUP_TWICE, &r[k - 1], &r[k]);
			continue; /* the better place of the two counts */
		}
		if (named && strcmp(named->norm, r[k].norm) != 0 && !same_id_reported) {
			add_dup(t, cap, DUP_SAME_ID, named, &r[k]);
			same_id_reported = true;
		}
		named = &r[k];
		row->cells[r[k].ev] = (struct series_cell){true, false, r[k].place, r[k].points};
	}
	row->name = named->name;
	row->group = named->group;
	for (size_t counted = 0; counted < c->best; counted++) { /* the best results */
		struct series_cell *top = NULL;
		for (size_t e = 0; e < c->nevents; e++) {
			struct series_cell *cl = &row->cells[e];
			if (cl->scored && !cl->counted && (!top || cl->points > top->points))
				top = cl;
		}
		if (!top)
			break;
		top->counted = true;
		row->total += top->points;
	}
}

static int places_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Tie rule tie between two rows of equal totals: < 0 when a is ahead. */
static int tie_cmp(int tie, size_t nev, const struct series_row *a, const struct series_row *b)
{
	size_t pa[SERIES_MAX_EVENTS], pb[SERIES_MAX_EVENTS], na = 0, nb = 0;
	if (tie == TIE_LAST) {
		for (size_t e = nev; e-- > 0;) {
			size_t x = a->cells[e].scored ? a->cells[e].place : SIZE_MAX,
			       y = b->cells[e].scored ? b->cells[e].place : SIZE_MAX;
			if (x != y)
				return x < y ? -1 : 1;
		}
		return 0;
	}
	for (size_t e = 0; e < nev; e++) {
		if (a->cells[e].scored && (tie != TIE_WINS || a->cells[e].place == 1))
			pa[na++] = a->cells[e].place;
		if (b->cells[e].scored && (tie != TIE_WINS || b->cells[e].place == 1))
			pb[nb++] = b->cells[e].place;
	}
	if (tie == TIE_WINS)
		return na == nb ? 0 : na > nb ? -1 : 1;
	qsort(pa, na, sizeof(*pa), places_cmp);
	qsort(pb, nb, sizeof(*pb), places_cmp);
	for (size_t k = 0; k < na && k < nb; k++)
		if (pa[k] != pb[k])
			return pa[k] < pb[k] ? -1 : 1;
	return na == nb ? 0 : na > nb ? -1 : 1;
}

/* Same group and total, and no tie rule tells them apart. */
static int standing_cmp(const struct series_cfg *c, const struct series_row *a,
			const struct series_row *b)
{
	int d = strcmp(a->group, b->group);
	if (d)
		return d;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	for (size_t k = 0; k < c->nties; k++)
		if ((d = tie_cmp(c->ties[k], c->nevents, a, b)) != 0)
			return d;
	return 0;
}

static int row_qcmp(const void *a, const void *b, void *ctx)
{
	const struct series_row *x = a, *y = b;
	int d = standing_cmp(ctx, x, y);
	return d ? d : strcmp(x->athlete, y->athlete);
}

void series_compute(const struct series_cfg *cfg, const struct core_entries *const *ev,
		    struct series_table *out)
{
	size_t n, cap = 0;
	memset(out, 0, sizeof(*out));
	out->cfg = cfg;
	out->missing = sl_calloc(cfg->nevents, sizeof(*out->missing));
	for (size_t i = 0; i < cfg->nevents; i++)
		out->missing[i] = !ev[i];
	struct rec *r = collect(out, ev, &n);
	if (n > 1)
		qsort(r, n, sizeof(*r), rec_id_cmp);
	size_t nath = 0;
	for (size_t i = 0; i < n; i++)
		nath += i == 0 || strcmp(r[i].id, r[i - 1].id) != 0;
	out->rows = sl_calloc(nath ? nath : 1, sizeof(*out->rows));
	out->cells_ = sl_calloc(nath * cfg->nevents + 1, sizeof(*out->cells_));
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(r[j].id, r[i].id) == 0; j++)
			;
		struct series_row *row = &out->rows[out->n];
		row->cells = &out->cells_[out->n * cfg->nevents];
		out->n++;
		fill_row(out, row, r, i, j, &cap);
	}
	same_persons(out, r, n, &cap);
	qsort_r(out->rows, out->n, sizeof(*out->rows), row_qcmp, (void *)cfg);
	for (size_t i = 0, first = 0; i < out->n; i++) { /* first: the group's first row */
		struct series_row *p = i ? &out->rows[i - 1] : NULL, *row = &out->rows[i];
		if (!p || strcmp(p->group, row->group) != 0)
			first = i;
		row->place =
			p && i > first && standing_cmp(cfg, p, row) == 0 ? p->place : i - first + 1;
	}
	for (size_t i = 0; i < n; i++)
		free(r[i].norm);
	free(r);
}

int series_compute_cores(const struct series_cfg *cfg, const core *const *cores,
			 struct series_table *out, char *err, size_t errlen)
{
	struct core_entries *x = sl_calloc(cfg->nevents, sizeof(*x));
	const struct core_entries **ev = sl_calloc(cfg->nevents, sizeof(*ev));
	int rc = 0;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < cfg->nevents && rc == 0; i++) {
		const char *id = cores[i] ? core_event_id(cores[i]) : NULL;
		if (!id) /* not created, or no config yet: no results */
			continue;
		if (strcmp(id, cfg->events[i]) != 0) {
			cval_err(err, errlen, "events[%zu]: '%s' was given the results of '%s'", i,
				 cfg->events[i], id);
			rc = SL_EINVAL;
		} else if (core_race_entries(cores[i], cfg->races[i], &x[i]) < 0) {
			cval_err(err, errlen, "races.%s: event '%s' has no race '%s'",
				 cfg->events[i], cfg->events[i],
				 cfg->races[i] ? cfg->races[i] : "");
			rc = SL_ENOENT;
		} else {
			ev[i] = &x[i];
		}
	}
	if (rc == 0)
		series_compute(cfg, ev, out);
	for (size_t i = 0; i < cfg->nevents; i++)
		core_entries_release(&x[i]);
	SL_FREE_MANY(x, ev);
	return rc;
}

void series_table_release(struct series_table *t)
{
	SL_FREE_MANY(t->missing, t->rows, t->cells_, t->dups, t->noid);
	memset(t, 0, sizeof(*t));
}

void series_dups_text(const struct series_table *t, sl_buf *out)
{
	for (size_t i = 0; i < t->ndups; i++) {
		const struct series_dup *d = &t->dups[i];
		if (d->kind == DUP_SAME_PERSON)
			sl_buf_addf(out,
				    "same person? '%s' (%s, bib %s) and '%s' (%s, bib %s): "
				    "ids %s and %s, born %s\n",
				    d->name[0], d->event[0], d->bib[0], d->name[1], d->event[1],
				    d->bib[1], d->id[0], d->id[1], d->birth);
		else
			sl_buf_addf(out, "%s: id %s is '%s' (%s, bib %s) and '%s' (%s, bib %s)\n",
				    d->kind == DUP_TWICE ? "twice in one event"
							 : "one id, two names",
				    d->id[0], d->name[0], d->event[0], d->bib[0], d->name[1],
				    d->event[1], d->bib[1]);
	}
	for (size_t i = 0; i < t->nnoid; i++)
		sl_buf_addf(out, "no id: '%s' (%s, bib %s) is in no standing\n", t->noid[i].name,
			    t->noid[i].event, t->noid[i].bib);
}

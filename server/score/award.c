/*
 * award.c: a race's award list (PROTOCOL.md, "Awards").
 *
 * Sections in order: the first `overall` of each sex (women, men, X) by
 * their place in the sex, or, in a race whose placed entries have no sex
 * (a regatta), the first `overall` by the place shown; then the first
 * `category` of each category of the race, in config order.  Only placed
 * entries (finished, not exhibition) win.  Ties share a place, and every
 * entry whose place is within N is listed, so a tie at the boundary lists
 * them all (N = 3, places 1, 2, 3, 3: four awards).
 *
 * exclude_overall: whoever won an overall award (any sex) gets no category
 * award, and the category's places are counted again among the others (1
 * + those of them strictly ahead), so the next ones move up.
 */
#include <stdlib.h>
#include <string.h>

#include "participant.h"
#include "score.h"

struct cand {
	size_t place;
	const struct core_entry *e;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	return entry_bib_cmp(x->e->bib, y->e->bib);
}

struct acc {
	struct award_list *l;
	size_t cap;
	bool *won; /* per entry: an overall award */
	struct cand *c;
};

/* Sorts the n candidates and awards those placed within max. */
static void emit(struct acc *a, const struct core_entries *x, size_t n, size_t max, int kind,
		 const char *section, const char *title)
{
	qsort(a->c, n, sizeof(*a->c), cand_cmp);
	for (size_t i = 0; i < n && a->c[i].place <= max; i++) {
		if (a->l->n == a->cap) {
			a->cap = 2 * a->cap + 16;
			a->l->rows = sl_realloc(a->l->rows, a->cap * sizeof(*a->l->rows));
		}
		const struct core_entry *e = a->c[i].e;
		a->l->rows[a->l->n++] = (struct award_row){
			kind, section, title, a->c[i].place, e->bib, e->name, e->time_ms};
		if (kind != AWARD_CAT)
			a->won[e - x->v] = true;
	}
}

static void overall(struct acc *a, const struct core_entries *x)
{
	static const char *const sexes[] = {"F", "M", "X"}, *const titles[] = {"Women", "Men", "X"};
	size_t max = (size_t)x->race->awards.overall;
	bool any_sex = false;
	for (size_t i = 0; i < x->n; i++)
		any_sex |= x->v[i].ranked && x->v[i].sex;
	if (!any_sex) {
		size_t n = 0;
		for (size_t i = 0; i < x->n; i++)
			if (x->v[i].ranked && x->v[i].place)
				a->c[n++] = (struct cand){x->v[i].place, &x->v[i]};
		emit(a, x, n, max, AWARD_OVERALL, "", "Overall");
		return;
	}
	for (int s = 0; s < 3; s++) {
		size_t n = 0;
		for (size_t i = 0; i < x->n; i++) {
			const struct core_entry *e = &x->v[i];
			if (e->ranked && e->place_sex && e->sex && strcmp(e->sex, sexes[s]) == 0)
				a->c[n++] = (struct cand){e->place_sex, e};
		}
		emit(a, x, n, max, AWARD_SEX, sexes[s], titles[s]);
	}
}

/* The entry's place in category k of the race, 0 when not in it. */
static size_t cat_place(const struct core_entry *e, size_t k)
{
	for (size_t j = 0; j < e->ncats; j++)
		if (e->cats[j] == k)
			return e->place_cats[j];
	return 0;
}

static void category(struct acc *a, const struct core_entries *x, size_t k)
{
	const struct cfg_cat *cat = &x->race->cats[k];
	bool excl = x->race->awards.exclude_overall;
	size_t n = 0;
	for (size_t i = 0; i < x->n; i++) {
		size_t p = x->v[i].ranked ? cat_place(&x->v[i], k) : 0;
		if (p && !(excl && a->won[i]))
			a->c[n++] = (struct cand){p, &x->v[i]};
	}
	if (excl) { /* counted again among those left: 1 + those strictly ahead */
		qsort(a->c, n, sizeof(*a->c), cand_cmp);
		size_t prev = 0, place = 0;
		for (size_t i = 0; i < n; i++) {
			if (i == 0 || a->c[i].place != prev)
				place = i + 1;
			prev = a->c[i].place;
			a->c[i].place = place;
		}
	}
	emit(a, x, n, (size_t)x->race->awards.category, AWARD_CAT, cat->id, cat->name);
}

void award_list(const struct core_entries *x, struct award_list *out)
{
	struct acc a = {out, 0, NULL, NULL};
	memset(out, 0, sizeof(*out));
	if (!x->race)
		return;
	a.won = sl_calloc(x->n ? x->n : 1, sizeof(*a.won));
	a.c = sl_calloc(x->n ? x->n : 1, sizeof(*a.c));
	overall(&a, x);
	for (size_t k = 0; k < x->race->ncats; k++)
		category(&a, x, k);
	SL_FREE_MANY(a.won, a.c);
}

void award_list_release(struct award_list *l)
{
	free(l->rows);
	memset(l, 0, sizeof(*l));
}

void award_text(const struct core_entries *x, const struct award_list *l, sl_buf *out)
{
	int prec = x->race && x->race->precision_ms > 0 && x->race->precision_ms < 1000000
			   ? (int)x->race->precision_ms
			   : 1000;
	for (size_t i = 0; i < l->n; i++) {
		const struct award_row *r = &l->rows[i];
		size_t tens = r->place % 100, ones = r->place % 10;
		const char *suf = "th";
		if (tens < 11 || tens > 13)
			suf = ones == 1 ? "st" : ones == 2 ? "nd" : ones == 3 ? "rd" : "th";
		sl_buf_addf(out, "%s, %zu%s: %s (%s)", r->title, r->place, suf, r->name, r->bib);
		if (r->time_ms != INT64_MIN) {
			sl_buf_adds(out, ", ");
			sl_fmt_hms(out, r->time_ms, prec);
		}
		sl_buf_addc(out, '\n');
	}
}

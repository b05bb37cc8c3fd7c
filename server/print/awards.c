/*
 * awards.c: a race's award list and a finisher's certificate, as PDF, on
 * the frame of pdf.c and from the rows of the race's CSV export.
 *
 * Award list (PROTOCOL.md, "Awards"): server/score's award_list under the
 * race's `awards` rule (by default the first 5 of each sex, then the first
 * 3 of each category; overall winners excluded from the categories or not,
 * by config), each row with its club and time as the CSV export shows
 * them.  Sections flow on, a new page when the next one does not fit; the
 * page count is found by laying out once without drawing.
 *
 * Certificate: one landscape page for one finisher (status finished):
 * name, bib, race, event, date, the time that ranks (the net time for an
 * exhibition entry, which has no place), the places overall, in the sex
 * and in each category with the number of finishers in each.
 */
#include <stdlib.h>
#include <string.h>

#include "print_int.h"
#include "score.h"

#define LINE_H 13.0

struct award_ctx {
	struct pr_pdf *p;
	const struct pr_table *t;
	bool draw;
	double y;
	int place, bib, name, club, time, sex, place_sex, cats, place_cats, status;
};

/* "1st".. for a place in text. */
static void ordinal(sl_buf *b, long n)
{
	long t = n % 100, u = n % 10;
	const char *suf = (t >= 11 && t <= 13) ? "th"
			  : u == 1             ? "st"
			  : u == 2             ? "nd"
			  : u == 3             ? "rd"
					       : "th";

	sl_buf_addf(b, "%ld%s", n, suf);
}

/* The place of row r in its section: 0 when not in it, or above max. */
static long section_place(const struct award_ctx *a, size_t r, const char *sex, const char *cat,
			  long max, sl_buf *tmp)
{
	const char *v;
	long pl;

	if (strcmp(pr_cell(a->t, r, a->status), "finished") != 0)
		return 0;
	if (cat) {
		size_t k = 0;
		for (;; k++) {
			pr_list_item(pr_cell(a->t, r, a->cats), k, tmp);
			if (tmp->len == 0 || strcmp(tmp->data, cat) == 0)
				break;
		}
		if (tmp->len == 0)
			return 0;
		pr_list_item(pr_cell(a->t, r, a->place_cats), k, tmp);
		v = tmp->data ? tmp->data : "";
	} else if (sex) {
		if (strcmp(pr_cell(a->t, r, a->sex), sex) != 0)
			return 0;
		v = pr_cell(a->t, r, a->place_sex);
	} else {
		v = pr_cell(a->t, r, a->place);
	}
	pl = strtol(v, NULL, 10);
	return pl >= 1 && pl <= max ? pl : 0;
}

static void need(struct award_ctx *a, double h)
{
	if (a->y + h <= PR_PAGE_H - PR_MARGIN - 18 && a->p->page > 0)
		return;
	if (a->draw) {
		a->y = pr_pdf_page(a->p, "Awards");
	} else {
		a->p->page++;
		a->y = PR_MARGIN + 50;
	}
}

/* The export's row of bib (its club and time as the CSV shows them), or 0. */
static size_t row_of(const struct award_ctx *a, const char *bib)
{
	for (size_t r = 1; r < a->t->nrows; r++)
		if (strcmp(pr_cell(a->t, r, a->bib), bib) == 0)
			return r;
	return 0;
}

/* Rows [i, j) of the award list: one section. */
static void award_section(struct award_ctx *a, const struct award_list *l, size_t i, size_t j)
{
	const struct award_row *w = &l->rows[i];
	cairo_t *cr = a->p->cr;
	sl_buf tmp = SL_BUF_INIT;

	need(a, LINE_H * (2.5 + (double)(j - i < 4 ? j - i : 4)));
	a->y += LINE_H * 0.6;
	if (a->draw) {
		if (w->kind == AWARD_SEX)
			sl_buf_addf(&tmp, "Overall \xe2\x80\x94 %s", w->title);
		else
			sl_buf_adds(&tmp, w->title);
		pr_font(cr, 11, true);
		pr_text(cr, tmp.data, PR_MARGIN, a->y, 0, false);
	}
	a->y += LINE_H * 1.3;
	for (size_t k = i; k < j; k++) {
		need(a, LINE_H);
		if (a->draw) {
			size_t r = row_of(a, l->rows[k].bib);
			sl_buf_reset(&tmp);
			ordinal(&tmp, (long)l->rows[k].place);
			pr_font(cr, 9.5, false);
			pr_text(cr, tmp.data, PR_MARGIN, a->y, 30, true);
			pr_text(cr, l->rows[k].bib, PR_MARGIN + 36, a->y, 44, true);
			pr_text(cr, r ? pr_cell(a->t, r, a->name) : l->rows[k].name, PR_MARGIN + 90,
				a->y, 190, false);
			pr_text(cr, r ? pr_cell(a->t, r, a->club) : "", PR_MARGIN + 286, a->y, 150,
				false);
			pr_text(cr, r ? pr_cell(a->t, r, a->time) : "", PR_MARGIN + 440, a->y, 83,
				true);
		}
		a->y += LINE_H;
	}
	sl_buf_release(&tmp);
}

/* The race's award list (server/score: its `awards` rule), section by section. */
static void award_sections(struct award_ctx *a, const struct award_list *l)
{
	for (size_t i = 0, j; i < l->n; i = j) {
		for (j = i + 1; j < l->n && l->rows[j].kind == l->rows[i].kind &&
				strcmp(l->rows[j].section, l->rows[i].section) == 0;
		     j++)
			;
		award_section(a, l, i, j);
	}
	if (a->p->page == 0) /* nobody to award yet: one page that says so */
		need(a, 0);
}

static void award_cols(struct award_ctx *a, const struct pr_table *t)
{
	a->t = t;
	a->place = pr_col(t, "place");
	a->bib = pr_col(t, "bib");
	a->name = pr_col(t, pr_col(t, "crew") >= 0 ? "crew" : "name");
	a->club = pr_col(t, "club");
	a->time = pr_col(t, "adjusted");
	a->sex = pr_col(t, "sex");
	a->place_sex = pr_col(t, "place_sex");
	a->cats = pr_col(t, "categories");
	a->place_cats = pr_col(t, "place_categories");
	a->status = pr_col(t, "status");
}

static int draw_awards(struct pr_doc *d, const void *arg)
{
	const struct award_list *l = arg;
	struct award_ctx a = {.p = &d->p};

	award_cols(&a, &d->t);
	award_sections(&a, l); /* count the pages */
	d->p.npages = d->p.page;
	d->p.page = 0;
	a.draw = true;
	a.y = 0;
	award_sections(&a, l);
	if (d->p.page == 1 && a.y <= PR_MARGIN + 50) {
		pr_font(d->p.cr, 10, false);
		pr_text(d->p.cr, "No finishers yet.", PR_MARGIN, a.y + LINE_H, 0, false);
	}
	return 0;
}

int print_awards_pdf(const core *c, const char *race, sl_buf *out, char *err, size_t errlen)
{
	struct core_entries x = {0};
	struct award_list l = {0};
	int rc;

	if (core_race_entries(c, race, &x) == 0)
		award_list(&x, &l);
	rc = pr_doc_print(c, race, "awards", false, draw_awards, &l, out, err, errlen);
	award_list_release(&l);
	core_entries_release(&x);
	return rc;
}

/* ---- the certificate -------------------------------------------------------- */

/* Finishers of row r's section (sex, or category cat), for "of N". */
static size_t finishers(const struct award_ctx *a, const char *sex, const char *cat)
{
	sl_buf tmp = SL_BUF_INIT;
	size_t n = 0;

	for (size_t r = 1; r < a->t->nrows; r++)
		n += section_place(a, r, sex, cat, 1L << 30, &tmp) > 0;
	sl_buf_release(&tmp);
	return n;
}

static void centre(cairo_t *cr, const char *s, double y, double size, bool bold)
{
	pr_font(cr, size, bold);
	pr_text(cr, s, 60, y, PR_PAGE_H - 120, PR_CENTRE);
}

static void place_line(const struct award_ctx *a, size_t r, sl_buf *b)
{
	static const char *const sexes[][2] = {{"F", "women"}, {"M", "men"}, {"X", "X"}};
	const char *sx = pr_cell(a->t, r, a->sex);
	long pl = strtol(pr_cell(a->t, r, a->place), NULL, 10);

	sl_buf_reset(b);
	if (pl < 1) {
		sl_buf_adds(b, "Exhibition: not placed");
		return;
	}
	ordinal(b, pl);
	sl_buf_addf(b, " of %zu overall", finishers(a, NULL, NULL));
	pl = strtol(pr_cell(a->t, r, a->place_sex), NULL, 10);
	for (size_t s = 0; pl > 0 && s < 3; s++) {
		if (strcmp(sx, sexes[s][0]) != 0)
			continue;
		sl_buf_adds(b, "  \xc2\xb7  ");
		ordinal(b, pl);
		sl_buf_addf(b, " of %zu %s", finishers(a, sx, NULL), sexes[s][1]);
	}
}

static void cat_lines(cairo_t *cr, const struct award_ctx *a, const struct pr_race *pr, size_t r,
		      double y)
{
	sl_buf id = SL_BUF_INIT, pl = SL_BUF_INIT, line = SL_BUF_INIT;

	for (size_t k = 0;; k++) {
		pr_list_item(pr_cell(a->t, r, a->cats), k, &id);
		if (id.len == 0)
			break;
		pr_list_item(pr_cell(a->t, r, a->place_cats), k, &pl);
		long n = pl.len ? strtol(pl.data, NULL, 10) : 0;
		const char *name = id.data;
		for (size_t j = 0; j < pr->ncats; j++)
			if (strcmp(pr->cats[j].id, id.data) == 0)
				name = pr->cats[j].name;
		if (n < 1)
			continue;
		sl_buf_reset(&line);
		ordinal(&line, n);
		sl_buf_addf(&line, " of %zu in %s", finishers(a, NULL, id.data), name);
		centre(cr, line.data, y, 14, false);
		y += 20;
	}
	SL_FREE_MANY(id.data, pl.data, line.data);
}

static void draw_certificate(struct pr_pdf *p, const struct award_ctx *a, const struct pr_race *pr,
			     size_t r)
{
	cairo_t *cr = p->cr;
	sl_buf b = SL_BUF_INIT;
	const double W = PR_PAGE_H, H = PR_PAGE_W; /* landscape */
	const char *time = pr_cell(a->t, r, a->time);

	p->page = 1;
	cairo_set_source_rgb(cr, 0.15, 0.25, 0.45);
	cairo_set_line_width(cr, 4);
	cairo_rectangle(cr, 24, 24, W - 48, H - 48);
	cairo_stroke(cr);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, 32, 32, W - 64, H - 64);
	cairo_stroke(cr);
	centre(cr, "Certificate of Finish", 100, 30, true);
	cairo_set_source_rgb(cr, 0, 0, 0);
	centre(cr, p->ev->name, 140, 18, false);
	centre(cr, p->ev->date, 162, 12, false);
	centre(cr, "This certifies that", 210, 13, false);
	centre(cr, pr_cell(a->t, r, a->name), 252, 30, true);
	sl_buf_addf(&b, "bib %s", pr_cell(a->t, r, a->bib));
	centre(cr, b.data, 274, 11, false);
	sl_buf_reset(&b);
	sl_buf_addf(&b, "finished the %s in", pr->name);
	centre(cr, b.data, 312, 14, false);
	if (!*time)
		time = pr_cell(a->t, r, pr_col(a->t, "net"));
	centre(cr, time, 356, 32, true);
	place_line(a, r, &b);
	centre(cr, b.data, 396, 14, false);
	cat_lines(cr, a, pr, r, 418);
	sl_buf_reset(&b);
	sl_buf_addf(&b, "Results %s", p->state);
	centre(cr, b.data, H - 50, 9, false);
	sl_buf_release(&b);
}

/* Whose certificate, and where to say that there is none. */
struct cert_req {
	const char *race, *bib;
	char *err;
	size_t errlen;
};

static int draw_cert(struct pr_doc *d, const void *arg)
{
	const struct cert_req *q = arg;
	struct award_ctx a = {.p = &d->p};
	size_t r;

	award_cols(&a, &d->t);
	r = pr_find_bib(&d->t, q->bib);
	if (r && strcmp(pr_cell(&d->t, r, a.status), "finished") == 0) {
		draw_certificate(&d->p, &a, d->race, r);
		return 0;
	}
	snprintf(q->err, q->errlen,
		 r ? "bib '%s' has no finish in race '%s'" : "bib '%s' is not in race '%s'", q->bib,
		 q->race);
	return SL_ENOENT;
}

int print_certificate_pdf(const core *c, const char *race, const char *bib, sl_buf *out, char *err,
			  size_t errlen)
{
	struct cert_req q = {race, bib, err, errlen};
	return pr_doc_print(c, race, "certificate", true, draw_cert, &q, out, err, errlen);
}

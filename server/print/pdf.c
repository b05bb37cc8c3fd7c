/*
 * pdf.c: the page frame every PDF printout shares (A4 portrait, cairo's PDF
 * surface streaming into an sl_buf), and the results list of one race:
 * the overall list, then one section per category of the race, each
 * section from a new page.  Every page carries the event's name, its date,
 * the race, the section, the results' state (PROVISIONAL, OFFICIAL,
 * CORRECTED) and "Page N of M".
 *
 * Who is listed: every row of the CSV export but the registered (never
 * started) and the dns, in the export's order (place order; dnf and dsq
 * after the finishers).  A category section numbers by the category's
 * place.  The page count is known before the first page (sections and rows
 * per page are fixed), so each page can say "of M".
 *
 * Text uses cairo's toy font API ("sans-serif" through fontconfig), made
 * valid UTF-8 first (sl_utf8_clean: a bad string would put the context in
 * an error state), with unhinted metrics so that widths are the same on
 * every machine with the same fonts.  A cell too wide for its column is
 * cut with an ellipsis.
 */
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "print_int.h"

#define ROW_H 12.5
#define BODY_TOP (PR_MARGIN + 50)
#define BODY_BOTTOM (PR_PAGE_H - PR_MARGIN - 18)
#define ROWS_PER_PAGE ((int)((BODY_BOTTOM - BODY_TOP - ROW_H * 1.6) / ROW_H))
#define GAP 6.0

/* ---- the frame ------------------------------------------------------------- */

static cairo_status_t on_write(void *closure, const unsigned char *data, unsigned int len)
{
	sl_buf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

void pr_font(cairo_t *cr, double size, bool bold)
{
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

static double advance(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

void pr_text(cairo_t *cr, const char *raw, double x, double y, double w, int align)
{
	sl_buf t = SL_BUF_INIT;

	sl_utf8_clean(&t, raw);
	if (t.len == 0)
		goto out;
	if (w > 0 && advance(cr, t.data) > w) {
		/* whole characters off the end until it fits with the ellipsis */
		size_t keep = t.len;
		do {
			while (keep > 0 && ((unsigned char)t.data[keep - 1] & 0xc0) == 0x80)
				keep--;
			keep -= keep > 0;
			t.len = keep;
			sl_buf_adds(&t, "\xe2\x80\xa6");
		} while (keep > 0 && advance(cr, t.data) > w);
	}
	double tw = align == PR_LEFT ? 0 : advance(cr, t.data);
	cairo_move_to(cr,
		      align == PR_RIGHT    ? x + w - tw
		      : align == PR_CENTRE ? x + (w - tw) / 2
					   : x,
		      y);
	cairo_show_text(cr, t.data);
out:
	sl_buf_release(&t);
}

void pr_pdf_begin(struct pr_pdf *p, sl_buf *out, const struct pr_event *ev, const char *title,
		  bool landscape)
{
	sl_buf t = SL_BUF_INIT;
	char when[32];
	cairo_font_options_t *fo = cairo_font_options_create();

	memset(p, 0, sizeof(*p));
	p->out = out;
	p->ev = ev;
	p->s = cairo_pdf_surface_create_for_stream(on_write, out, landscape ? PR_PAGE_H : PR_PAGE_W,
						   landscape ? PR_PAGE_W : PR_PAGE_H);
	sl_utf8_clean(&t, title);
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_TITLE, t.data ? t.data : "");
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_CREATOR, "splitlined");
	/* the event's date, not the clock: the bytes depend on the results only */
	int64_t s = ev->date_ms / 1000;
	struct tm tm;
	time_t tt = (time_t)s;
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_CREATE_DATE, when);
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_MOD_DATE, when);
	p->cr = cairo_create(p->s);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_set_font_options(p->cr, fo);
	cairo_font_options_destroy(fo);
	sl_buf_release(&t);
}

int pr_pdf_end(struct pr_pdf *p, char *err, size_t errlen)
{
	cairo_status_t st;

	if (p->page > 0)
		cairo_show_page(p->cr);
	st = cairo_status(p->cr);
	cairo_destroy(p->cr);
	cairo_surface_finish(p->s); /* the last page and the trailer */
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(p->s);
	cairo_surface_destroy(p->s);
	p->cr = NULL;
	p->s = NULL;
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "cannot make the PDF: %s", cairo_status_to_string(st));
		return SL_EIO;
	}
	return 0;
}

double pr_pdf_page(struct pr_pdf *p, const char *section)
{
	cairo_t *cr = p->cr;
	const double w = PR_PAGE_W - 2 * PR_MARGIN;
	double y = PR_MARGIN + 14;
	sl_buf t = SL_BUF_INIT;

	if (p->page++ > 0)
		cairo_show_page(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	pr_font(cr, 10, false);
	pr_text(cr, p->ev->date, PR_PAGE_W - PR_MARGIN - 140, y, 140, true);
	pr_font(cr, 15, true);
	pr_text(cr, p->ev->name, PR_MARGIN, y, w - 150, false);
	y += 18;
	pr_font(cr, 11, true);
	pr_text(cr, p->state, PR_PAGE_W - PR_MARGIN - 120, y, 120, true);
	sl_buf_adds(&t, p->race_name ? p->race_name : "");
	if (section && *section)
		sl_buf_addf(&t, " \xe2\x80\x94 %s", section);
	pr_font(cr, 11, false);
	pr_text(cr, t.data, PR_MARGIN, y, w - 130, false);
	y += 7;
	cairo_set_line_width(cr, 0.8);
	cairo_move_to(cr, PR_MARGIN, y);
	cairo_line_to(cr, PR_PAGE_W - PR_MARGIN, y);
	cairo_stroke(cr);
	sl_buf_reset(&t);
	if (p->npages > 0)
		sl_buf_addf(&t, "Page %d of %d", p->page, p->npages);
	else
		sl_buf_addf(&t, "Page %d", p->page);
	pr_font(cr, 8, false);
	pr_text(cr, t.data, PR_MARGIN, PR_PAGE_H - PR_MARGIN, w, true);
	pr_text(cr, p->state, PR_MARGIN, PR_PAGE_H - PR_MARGIN, w / 2, false);
	sl_buf_release(&t);
	return BODY_TOP;
}

int pr_doc_open(struct pr_doc *d, const core *c, const char *race, const char *what, bool landscape,
		sl_buf *out, char *err, size_t errlen)
{
	sl_buf title = SL_BUF_INIT;
	int rc = pr_event_load(c, &d->ev, err, errlen);

	if (rc < 0)
		return rc;
	if ((rc = pr_table_load(c, race, &d->t, err, errlen)) < 0 ||
	    !(d->race = pr_event_race(&d->ev, race))) {
		if (rc == 0)
			pr_table_release(&d->t);
		pr_event_release(&d->ev);
		snprintf(err, errlen, "no such race");
		return rc < 0 ? rc : SL_ENOENT;
	}
	sl_buf_addf(&title, "%s: %s %s", d->ev.name, d->race->name, what);
	pr_pdf_begin(&d->p, out, &d->ev, title.data, landscape);
	d->p.race_name = d->race->name;
	d->p.state = pr_state_word(c, race);
	sl_buf_release(&title);
	return 0;
}

int pr_doc_close(struct pr_doc *d, char *err, size_t errlen)
{
	int rc = pr_pdf_end(&d->p, err, errlen);

	pr_table_release(&d->t);
	pr_event_release(&d->ev);
	return rc;
}

int pr_doc_print(const core *c, const char *race, const char *what, bool landscape,
		 pr_draw_fn *draw, const void *arg, sl_buf *out, char *err, size_t errlen)
{
	struct pr_doc d;
	char cerr[200];
	int rc = pr_doc_open(&d, c, race, what, landscape, out, err, errlen);

	if (rc < 0)
		return rc;
	if ((rc = draw(&d, arg)) < 0) {
		pr_doc_close(&d, cerr, sizeof(cerr)); /* draw's sentence stands */
		return rc;
	}
	return pr_doc_close(&d, err, errlen);
}

void print_cleanup(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}

/* ---- the results list ------------------------------------------------------- */

struct colspec {
	const char *csv, *title;
	double w;
	bool right;
};

/* The columns of a road race and of a regatta (its CSV has "crew"). */
static const struct colspec road_cols[] = {{"place", "Place", 32, true},
					   {"bib", "Bib", 40, true},
					   {"name", "Name", 130, false},
					   {"club", "Club", 96, false},
					   {"categories", "Category", 60, false},
					   {"place_sex", "Sex pl.", 36, true},
					   {"adjusted", "Time", 52, true},
					   {"pace", "Pace", 34, true},
					   {NULL, NULL, 0, false}};
static const struct colspec regatta_cols[] = {
	{"place", "Place", 32, true},   {"lane", "Lane", 30, true},
	{"bib", "Bib", 40, true},       {"crew", "Crew", 150, false},
	{"club", "Club", 110, false},   {"adjusted", "Time", 56, true},
	{"margin", "Margin", 56, true}, {NULL, NULL, 0, false}};

struct list {
	const struct pr_table *t;
	const struct colspec *cols;
	int col[12];
	int status, cats, place_cats;
	size_t *rows, n; /* the rows of a section */
};

static bool listed(const struct list *l, size_t r)
{
	const char *st = pr_cell(l->t, r, l->status);

	return strcmp(st, "registered") != 0 && strcmp(st, "dns") != 0;
}

/* The k-th category (from 0) of row r that is cat, or -1. */
static int cat_index(const struct list *l, size_t r, const char *cat, sl_buf *tmp)
{
	for (int k = 0;; k++) {
		pr_list_item(pr_cell(l->t, r, l->cats), (size_t)k, tmp);
		if (tmp->len == 0)
			return -1;
		if (strcmp(tmp->data, cat) == 0)
			return k;
	}
}

/* The section's rows: everyone listed (cat NULL) or those of cat. */
static void section_rows(struct list *l, const char *cat)
{
	sl_buf tmp = SL_BUF_INIT;

	l->n = 0;
	for (size_t r = 1; r < l->t->nrows; r++)
		if (listed(l, r) && (!cat || cat_index(l, r, cat, &tmp) >= 0))
			l->rows[l->n++] = r;
	sl_buf_release(&tmp);
}

static int pages_of(size_t n)
{
	return n == 0 ? 1 : (int)((n + (size_t)ROWS_PER_PAGE - 1) / (size_t)ROWS_PER_PAGE);
}

static void cell_text(const struct list *l, size_t r, size_t k, const char *cat, sl_buf *out)
{
	const char *name = l->cols[k].csv, *st = pr_cell(l->t, r, l->status);
	const char *v = pr_cell(l->t, r, l->col[k]);

	sl_buf_reset(out);
	if (cat && strcmp(name, "place") == 0) { /* the place in the category */
		pr_list_item(pr_cell(l->t, r, l->place_cats), (size_t)cat_index(l, r, cat, out),
			     out);
		return;
	}
	if (strcmp(name, "adjusted") == 0 && strcmp(st, "finished") != 0) {
		sl_buf_adds(out, strcmp(st, "dnf") == 0   ? "DNF"
				 : strcmp(st, "dsq") == 0 ? "DSQ"
							  : "on course");
		return;
	}
	if (strcmp(name, "adjusted") == 0 && !*v) /* exhibition: not ranked */
		v = pr_cell(l->t, r, pr_col(l->t, "net"));
	if (strcmp(name, "pace") == 0 && strncmp(v, "0:", 2) == 0)
		v += v[2] == '0' && v[3] != ':' ? 3 : 2; /* per km: "3:25", not "0:03:25" */
	sl_buf_adds(out, v);
}

static void draw_rows(struct pr_pdf *p, const struct list *l, size_t from, size_t to,
		      const char *cat, double y)
{
	cairo_t *cr = p->cr;
	sl_buf v = SL_BUF_INIT;
	double x = PR_MARGIN;

	pr_font(cr, 8.5, true);
	for (size_t k = 0; l->cols[k].csv; x += l->cols[k].w + GAP, k++)
		if (l->col[k] >= 0)
			pr_text(cr, l->cols[k].title, x, y, l->cols[k].w, l->cols[k].right);
	y += ROW_H * 1.4;
	pr_font(cr, 8.5, false);
	for (size_t i = from; i < to; i++, y += ROW_H) {
		if ((i - from) % 2 == 1) {
			cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
			cairo_rectangle(cr, PR_MARGIN - 2, y - ROW_H + 3,
					PR_PAGE_W - 2 * PR_MARGIN + 4, ROW_H);
			cairo_fill(cr);
			cairo_set_source_rgb(cr, 0, 0, 0);
		}
		x = PR_MARGIN;
		for (size_t k = 0; l->cols[k].csv; x += l->cols[k].w + GAP, k++) {
			if (l->col[k] < 0)
				continue;
			cell_text(l, l->rows[i], k, cat, &v);
			pr_text(cr, v.data, x, y, l->cols[k].w, l->cols[k].right);
		}
	}
	sl_buf_release(&v);
}

static void draw_section(struct pr_pdf *p, struct list *l, const char *title, const char *cat)
{
	size_t per = (size_t)ROWS_PER_PAGE;

	for (size_t from = 0; from < l->n || from == 0; from += per) {
		double y = pr_pdf_page(p, title);
		if (l->n == 0) {
			pr_font(p->cr, 10, false);
			pr_text(p->cr, "No results yet.", PR_MARGIN, y + ROW_H, 0, false);
			break;
		}
		draw_rows(p, l, from, from + per < l->n ? from + per : l->n, cat, y);
	}
}

static int draw_results(struct pr_doc *d, const void *arg)
{
	const struct pr_race *pr = d->race;
	struct list l = {.t = &d->t};

	(void)arg;
	l.cols = pr_col(&d->t, "crew") >= 0 ? regatta_cols : road_cols;
	for (size_t k = 0; l.cols[k].csv; k++)
		l.col[k] = pr_col(&d->t, l.cols[k].csv);
	l.status = pr_col(&d->t, "status");
	l.cats = pr_col(&d->t, "categories");
	l.place_cats = pr_col(&d->t, "place_categories");
	l.rows = sl_calloc(d->t.nrows + 1, sizeof(*l.rows));
	section_rows(&l, NULL);
	d->p.npages = pages_of(l.n);
	for (size_t k = 0; k < pr->ncats; k++) {
		section_rows(&l, pr->cats[k].id);
		d->p.npages += l.n ? pages_of(l.n) : 0;
	}
	section_rows(&l, NULL);
	draw_section(&d->p, &l, "Overall", NULL);
	for (size_t k = 0; k < pr->ncats; k++) {
		section_rows(&l, pr->cats[k].id);
		if (l.n)
			draw_section(&d->p, &l, pr->cats[k].name, pr->cats[k].id);
	}
	free(l.rows);
	return 0;
}

int print_results_pdf(const core *c, const char *race, sl_buf *out, char *err, size_t errlen)
{
	return pr_doc_print(c, race, "results", false, draw_results, NULL, out, err, errlen);
}

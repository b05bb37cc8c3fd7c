/*
 * print_int.h: what the printouts share (print.h is the public side): a
 * race's CSV export parsed into a table (table.c), the event's facts from
 * the `event` topic, and the page frame of the PDFs (pdf.c).
 *
 * Ownership: a pr_table and a pr_event own every string they point to and
 * are released with pr_table_release / pr_event_release.
 */
#ifndef SL_PRINT_INT_H
#define SL_PRINT_INT_H

#include <stdbool.h>
#include <cairo.h>

#include "print.h"

/*
 * A CSV export parsed back: row 0 is the header.  A text cell the CSV
 * defused with a ' (a formula, see core/export.c) has it removed again: a
 * printout or a typed spreadsheet cell is never run as a formula.
 */
struct pr_table {
	size_t ncols, nrows; /* nrows counts the header */
	char **cells;        /* nrows * ncols, never NULL cells: into text */
	char *text;          /* the CSV, its cells unquoted in place */
};

/* 0, or SL_ENOENT (no such race) with err. */
int pr_table_load(const core *c, const char *race, struct pr_table *t, char *err, size_t errlen);
void pr_table_release(struct pr_table *t);
/* Column index of name in the header, or -1. */
int pr_col(const struct pr_table *t, const char *name);
/* Row r's cell in column col ("" when col < 0). */
const char *pr_cell(const struct pr_table *t, size_t r, int col);
/* The row of bib (r >= 1), or 0. */
size_t pr_find_bib(const struct pr_table *t, const char *bib);
/* n-th item (from 0) of a ';' list cell into out ("" when none). */
void pr_list_item(const char *cell, size_t n, sl_buf *out);

struct pr_cat {
	char *id, *name;
};
struct pr_race {
	char *id, *name;
	struct pr_cat *cats;
	size_t ncats;
};
struct pr_event {
	char *name;
	char date[40]; /* "20 April 2015" */
	int64_t date_ms;
	struct pr_race *races;
	size_t nraces;
};

/* 0, or SL_ENOENT before any config. */
int pr_event_load(const core *c, struct pr_event *e, char *err, size_t errlen);
void pr_event_release(struct pr_event *e);
const struct pr_race *pr_event_race(const struct pr_event *e, const char *id);

/* ---- the PDF frame (pdf.c) ---- */

#define PR_PAGE_W 595.0 /* A4 in points */
#define PR_PAGE_H 842.0
#define PR_MARGIN 36.0

struct pr_pdf {
	cairo_surface_t *s;
	cairo_t *cr;
	sl_buf *out;
	const struct pr_event *ev;
	const char *race_name, *state; /* state: "PROVISIONAL", ... */
	int page, npages;              /* npages 0: no "of N" */
};

/* A document titled title: A4, portrait or landscape. */
void pr_pdf_begin(struct pr_pdf *p, sl_buf *out, const struct pr_event *ev, const char *title,
		  bool landscape);
/* 0, or SL_EIO with err; destroys the surface either way. */
int pr_pdf_end(struct pr_pdf *p, char *err, size_t errlen);
/* A new page (showing the previous one) with the header: event, date,
 * race, section and state; the page number below.  Returns the y where
 * the body starts. */
double pr_pdf_page(struct pr_pdf *p, const char *section);
/* Text (any bytes) at x, y: cut with an ellipsis to fit w (w <= 0: no
 * limit), aligned in [x, x + w] (PR_RIGHT, PR_CENTRE need w > 0). */
enum { PR_LEFT, PR_RIGHT, PR_CENTRE };
void pr_text(cairo_t *cr, const char *raw, double x, double y, double w, int align);
void pr_font(cairo_t *cr, double size, bool bold);
/*
 * A PDF of one race: the event, the race's table, the race and the frame
 * with the race's name and results state.  pr_doc_open: 0, or SL_ENOENT
 * with err (nothing to close then); the document is titled
 * "<event>: <race> <what>".  pr_doc_close ends the PDF (0, or SL_EIO with
 * err) and releases the rest.
 */
struct pr_doc {
	struct pr_event ev;
	struct pr_table t;
	const struct pr_race *race;
	struct pr_pdf p;
};
int pr_doc_open(struct pr_doc *d, const core *c, const char *race, const char *what, bool landscape,
		sl_buf *out, char *err, size_t errlen);
int pr_doc_close(struct pr_doc *d, char *err, size_t errlen);
/*
 * The PDF of one race, drawn by draw(d, arg) between pr_doc_open and
 * pr_doc_close: 0, or pr_doc_open's or pr_doc_close's error.  draw returns
 * 0, or a negative code with its own sentence written: the document is
 * closed then (its bytes are not used) and that code returned.
 */
typedef int pr_draw_fn(struct pr_doc *d, const void *arg);
int pr_doc_print(const core *c, const char *race, const char *what, bool landscape,
		 pr_draw_fn *draw, const void *arg, sl_buf *out, char *err, size_t errlen);

/* The race's results state as printed: "PROVISIONAL", "OFFICIAL", ... */
const char *pr_state_word(const core *c, const char *race);

#endif

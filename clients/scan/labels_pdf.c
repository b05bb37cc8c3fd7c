/*
 * labels_pdf.c: the label sheet as PDF (see labels.h), drawn with cairo's
 * PDF surface streaming into the caller's sl_buf.  Same layout as the SVG:
 * the label geometry and the code/symbol of each label come from labels.c.
 *
 * Units: the cairo context is scaled once so that user space is in
 * millimetres, y down (cairo's PDF surface works in points).  A symbol's
 * dark modules are added to one path, horizontal runs merged, and filled
 * once, so no anti-aliasing seams appear between adjacent modules.
 *
 * Text uses cairo's toy font API ("sans-serif", resolved by fontconfig);
 * every string passed to cairo is first made valid UTF-8 (labels__utf8),
 * since invalid UTF-8 would put the context into an error state and lose
 * the whole document.  Metrics are not hinted, so that widths scale with
 * the size and a text set smaller to fit does fit.  Text wider than the
 * column is set smaller down to a floor, then cut at a character boundary
 * with an ellipsis.
 *
 * Process-wide state: cairo's toy font faces and fontconfig's
 * configuration are cached for the life of the process, which leak
 * checkers (ASan, valgrind) report.  labels_pdf is this program's only
 * user of cairo and fontconfig, so it ends by releasing both
 * (cairo_debug_reset_static_data, FcFini) once every cairo object of its
 * own is destroyed; fontconfig loads its configuration again, lazily, on
 * the next call.
 *
 * Ownership: the surface and context live only inside labels_pdf and are
 * destroyed on every path; out is borrowed and only appended to.
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <string.h>

#include "labels.h"

#define MM_PT (72.0 / 25.4)
#define TEXT_W (LABELS__W - LABELS__TEXT_X - 2) /* width of the text column */

static cairo_status_t on_write(void *closure, const unsigned char *data, unsigned int len)
{
	sl_buf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

static double text_w(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

/*
 * Show raw (any bytes) at (x, y) in the current face: at size, or smaller
 * down to min to fit in w, or at min cut with an ellipsis.
 */
static void fit_text(cairo_t *cr, const char *raw, double x, double y, double size, double min,
		     double w)
{
	sl_buf t = SL_BUF_INIT;
	labels__utf8(&t, raw);
	if (!t.len) {
		sl_buf_release(&t);
		return;
	}
	cairo_set_font_size(cr, size);
	double tw = text_w(cr, t.data);
	if (tw > w) {
		size = size * w / tw * 0.99 < min ? min : size * w / tw * 0.99;
		cairo_set_font_size(cr, size);
	}
	if (text_w(cr, t.data) > w) {
		/* drop whole characters from the end until it fits with "…" */
		size_t len = t.len;
		for (;;) {
			while (len > 0 && ((unsigned char)t.data[len - 1] & 0xc0) == 0x80)
				len--; /* continuation bytes of the last character */
			if (len > 0)
				len--; /* its lead byte */
			t.len = len;
			t.data[len] = '\0';
			sl_buf_adds(&t, "\xe2\x80\xa6");
			if (len == 0 || text_w(cr, t.data) <= w)
				break;
		}
	}
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, t.data);
	sl_buf_release(&t);
}

static void draw_symbol(cairo_t *cr, const QRcode *qr, double x, double y)
{
	int w = qr->width;
	double m = LABELS__QR_MM / (w + 2 * LABELS_QUIET);
	double x0 = x + 2 + m * LABELS_QUIET, y0 = y + 2 + m * LABELS_QUIET;
	cairo_new_path(cr);
	for (int r = 0; r < w; r++) {
		for (int c = 0; c < w;) {
			if (!(qr->data[r * w + c] & 1)) {
				c++;
				continue;
			}
			int c1 = c;
			while (c1 < w && (qr->data[r * w + c1] & 1))
				c1++;
			cairo_rectangle(cr, x0 + c * m, y0 + r * m, (c1 - c) * m, m);
			c = c1;
		}
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_fill(cr);
}

static void draw_label(cairo_t *cr, const label *l, const QRcode *qr, const char *shown,
		       int reg, double x, double y)
{
	cairo_rectangle(cr, x, y, LABELS__W, LABELS__H);
	cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
	cairo_set_line_width(cr, 0.2);
	cairo_stroke(cr);
	draw_symbol(cr, qr, x, y);

	double tx = x + LABELS__TEXT_X;
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	if (reg) {
		fit_text(cr, shown, tx, y + 16, 6, 2.5, TEXT_W);
		cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_NORMAL);
		cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
		fit_text(cr, "check-in code", tx, y + 8.5, 2.6, 2.6, TEXT_W);
		cairo_set_source_rgb(cr, 0, 0, 0);
	} else {
		fit_text(cr, shown, tx, y + 16, 9, 4, TEXT_W);
		cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_NORMAL);
	}
	fit_text(cr, l->name, tx, y + 24, 3.2, 2.4, TEXT_W);
}

int labels_pdf(sl_buf *out, const char *event, const label *l, size_t n, char *err,
	       size_t errlen)
{
	sl_buf code = SL_BUF_INIT, title = SL_BUF_INIT;
	cairo_surface_t *s = NULL;
	cairo_t *cr = NULL;
	const char *shown;
	int reg, rc = labels__check(event, l, n, err, errlen);
	if (rc < 0)
		goto out;

	s = cairo_pdf_surface_create_for_stream(on_write, out, LABELS__PAGE_W * MM_PT,
						LABELS__PAGE_H * MM_PT);
	sl_buf_adds(&title, "bib labels: ");
	labels__utf8(&title, event);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title.data);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "splitline-scan");
	cr = cairo_create(s);
	cairo_scale(cr, MM_PT, MM_PT);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_set_font_options(cr, fo);
	cairo_font_options_destroy(fo);
	for (size_t i = 0; i < n; i++) {
		QRcode *qr;
		rc = labels__prepare(event, l, i, &code, &shown, &reg, &qr, err, errlen);
		if (rc < 0) /* checked above; only if libqrencode changed its mind */
			goto out;
		if (i > 0 && i % LABELS__PER_PAGE == 0)
			cairo_show_page(cr);
		double x, y;
		labels__origin(i, &x, &y);
		draw_label(cr, &l[i], qr, shown, reg, x, y);
		QRcode_free(qr);
	}
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cr = NULL;
	cairo_surface_finish(s); /* writes the last page and the trailer */
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "cannot make the PDF: %s", cairo_status_to_string(st));
		rc = SL_EIO;
	}
out:
	if (cr)
		cairo_destroy(cr);
	if (s)
		cairo_surface_destroy(s);
	/* no cairo object is alive now: drop the process-wide font caches */
	cairo_debug_reset_static_data();
	FcFini();
	sl_buf_release(&code);
	sl_buf_release(&title);
	return rc;
}

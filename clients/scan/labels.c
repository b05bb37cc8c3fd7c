/*
 * labels.c: bib labels with QR codes as SVG (see labels.h), and what the
 * SVG and PDF writers share: the code, the text and the symbol of a label
 * (labels__prepare; labels__check for all of them) and where it sits on its
 * page (labels__origin).
 * libqrencode makes the symbol; these files only lay it out.  Nothing is
 * kept between calls.
 */
#include "labels.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void labels_code(char *buf, size_t n, const char *event, const char *bib)
{
	snprintf(buf, n, "sl:%s:%s", event, bib);
}

int labels__prepare(const char *event, const label *l, size_t i, sl_buf *code,
		    const char **shown, int *is_reg, QRcode **qr, char *err, size_t errlen)
{
	const label *x = &l[i];
	int reg = !(x->bib && *x->bib);
	const char *s = reg ? x->reg : x->bib;
	if (!s || !*s) {
		snprintf(err, errlen, "label %zu: empty bib and no registration code", i + 1);
		return SL_EINVAL;
	}
	/* built whole (not in a fixed buffer) so that a long code is refused, not cut */
	sl_buf_reset(code);
	sl_buf_addf(code, "sl:%s:%s", event, s);
	*shown = s;
	*is_reg = reg;
	QRcode *q = QRcode_encodeString8bit(code->data, 0, QR_ECLEVEL_M);
	if (!q) {
		int e = errno;
		snprintf(err, errlen, "label %zu: cannot make a QR code of '%.40s%s' (%zu bytes): %s",
			 i + 1, code->data, code->len > 40 ? "..." : "", code->len,
			 e == ERANGE ? "too long for a QR symbol" : strerror(e));
		return SL_EINVAL;
	}
	if (qr)
		*qr = q;
	else
		QRcode_free(q);
	return 0;
}

int labels__check(const char *event, const label *l, size_t n, char *err, size_t errlen)
{
	sl_buf code = SL_BUF_INIT;
	const char *shown;
	int reg, rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = labels__prepare(event, l, i, &code, &shown, &reg, NULL, err, errlen);
	sl_buf_release(&code);
	return rc;
}

void labels__origin(size_t i, double *x, double *y)
{
	size_t k = i % LABELS__PER_PAGE;
	*x = (LABELS__PAGE_W - LABELS__COLS * LABELS__W) / 2 + (double)(k % LABELS__COLS) * LABELS__W;
	*y = (LABELS__PAGE_H - LABELS__ROWS * LABELS__H) / 2 + (double)(k / LABELS__COLS) * LABELS__H;
}

void labels__utf8(sl_buf *o, const char *s)
{
	sl_utf8_clean(o, s);
}

static void esc(sl_buf *o, const char *raw)
{
	sl_buf t = SL_BUF_INIT;
	labels__utf8(&t, raw);
	for (const char *s = t.data; s && *s; s++) {
		switch (*s) {
		case '&': sl_buf_adds(o, "&amp;"); break;
		case '<': sl_buf_adds(o, "&lt;"); break;
		case '>': sl_buf_adds(o, "&gt;"); break;
		case '"': sl_buf_adds(o, "&quot;"); break;
		case '\'': sl_buf_adds(o, "&apos;"); break;
		default:
			/* control characters (not allowed in XML 1.0) are gone already */
			sl_buf_addc(o, *s);
		}
	}
	sl_buf_release(&t);
}

int labels_svg(sl_buf *out, const char *event, const label *l, size_t n, char *err,
	       size_t errlen)
{
	size_t pages = n ? (n + LABELS__PER_PAGE - 1) / LABELS__PER_PAGE : 1;
	sl_buf code = SL_BUF_INIT;
	const char *shown;
	int reg, rc = labels__check(event, l, n, err, errlen);
	if (rc < 0)
		goto out;
	sl_buf_addf(out,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%gmm\" height=\"%gmm\" "
		    "viewBox=\"0 0 %g %g\" data-labels=\"%zu\">\n"
		    "<style>.bib{font:bold 9px sans-serif}.reg{font:bold 6px sans-serif}"
		    ".cap{font:2.6px sans-serif;fill:#555}.name{font:3.2px sans-serif}</style>\n",
		    LABELS__PAGE_W, LABELS__PAGE_H * (double)pages, LABELS__PAGE_W,
		    LABELS__PAGE_H * (double)pages, n);
	for (size_t i = 0; i < n; i++) {
		QRcode *qr;
		rc = labels__prepare(event, l, i, &code, &shown, &reg, &qr, err, errlen);
		if (rc < 0) /* checked above; only if libqrencode changed its mind */
			goto out;
		double x, y;
		labels__origin(i, &x, &y);
		y += (double)(i / LABELS__PER_PAGE) * LABELS__PAGE_H;
		int w = qr->width;
		double m = LABELS__QR_MM / (w + 2 * LABELS_QUIET);
		sl_buf_adds(out, reg ? "<g class=\"label\" data-reg=\"" : "<g class=\"label\" data-bib=\"");
		esc(out, shown);
		sl_buf_adds(out, "\" data-code=\"");
		esc(out, code.data);
		sl_buf_addf(out, "\" data-modules=\"%d\">\n", w);
		sl_buf_addf(out,
			    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%g\" height=\"%g\" fill=\"#fff\" "
			    "stroke=\"#ccc\" stroke-width=\"0.2\"/>\n",
			    x, y, LABELS__W, LABELS__H);
		sl_buf_addf(out,
			    "<path class=\"qr\" transform=\"translate(%.2f %.2f) scale(%.5f)\" d=\"",
			    x + 2 + m * LABELS_QUIET, y + 2 + m * LABELS_QUIET, m);
		for (int r = 0; r < w; r++)
			for (int c = 0; c < w; c++)
				if (qr->data[r * w + c] & 1)
					sl_buf_addf(out, "M%d %dh1v1h-1z", c, r);
		sl_buf_adds(out, "\"/>\n");
		if (reg)
			sl_buf_addf(out,
				    "<text class=\"cap\" x=\"%.2f\" y=\"%.2f\">check-in code</text>\n",
				    x + LABELS__TEXT_X, y + 8.5);
		sl_buf_addf(out, "<text class=\"%s\" x=\"%.2f\" y=\"%.2f\">", reg ? "reg" : "bib",
			    x + LABELS__TEXT_X, y + 16);
		esc(out, shown);
		sl_buf_addf(out, "</text>\n<text class=\"name\" x=\"%.2f\" y=\"%.2f\">",
			    x + LABELS__TEXT_X, y + 24);
		esc(out, l[i].name);
		sl_buf_adds(out, "</text>\n</g>\n");
		QRcode_free(qr);
	}
	sl_buf_adds(out, "</svg>\n");
out:
	sl_buf_release(&code);
	return rc;
}

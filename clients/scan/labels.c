/*
 * labels.c: bib labels with QR codes as SVG (see labels.h).  libqrencode
 * makes the symbol; this file only lays it out.  Nothing is kept between
 * calls.
 */
#include "labels.h"

#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#define PAGE_W 210.0
#define PAGE_H 297.0
#define COLS 3
#define ROWS 8
#define LBL_W 70.0
#define LBL_H 37.0
#define QR_MM 33.0 /* side of the symbol with its quiet zone */

void labels_code(char *buf, size_t n, const char *event, const char *bib)
{
	snprintf(buf, n, "sl:%s:%s", event, bib);
}

static void esc(sl_buf *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': sl_buf_adds(o, "&amp;"); break;
		case '<': sl_buf_adds(o, "&lt;"); break;
		case '>': sl_buf_adds(o, "&gt;"); break;
		case '"': sl_buf_adds(o, "&quot;"); break;
		case '\'': sl_buf_adds(o, "&apos;"); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			if ((unsigned char)*s < 0x20)
				sl_buf_adds(o, " ");
			else
				sl_buf_addc(o, *s);
		}
	}
}

int labels_svg(sl_buf *out, const char *event, const label *l, size_t n, char *err,
	       size_t errlen)
{
	size_t pages = n ? (n + COLS * ROWS - 1) / (COLS * ROWS) : 1;
	char code[256];
	sl_buf_addf(out,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%gmm\" height=\"%gmm\" "
		      "viewBox=\"0 0 %g %g\" data-labels=\"%zu\">\n"
		      "<style>.bib{font:bold 9px sans-serif}.name{font:3.2px sans-serif}</style>\n",
		      PAGE_W, PAGE_H * (double)pages, PAGE_W, PAGE_H * (double)pages, n);
	for (size_t i = 0; i < n; i++) {
		if (!l[i].bib || !*l[i].bib) {
			snprintf(err, errlen, "label %zu: empty bib", i + 1);
			return SL_EINVAL;
		}
		labels_code(code, sizeof(code), event, l[i].bib);
		QRcode *qr = QRcode_encodeString8bit(code, 0, QR_ECLEVEL_M);
		if (!qr) {
			snprintf(err, errlen, "bib '%s': cannot make a QR code of '%s': %s", l[i].bib,
				 code, strerror(errno));
			return SL_EINVAL;
		}
		size_t page = i / (COLS * ROWS), k = i % (COLS * ROWS);
		double x = (PAGE_W - COLS * LBL_W) / 2 + (double)(k % COLS) * LBL_W;
		double y = (double)page * PAGE_H + (PAGE_H - ROWS * LBL_H) / 2 +
			   (double)(k / COLS) * LBL_H;
		int w = qr->width;
		double m = QR_MM / (w + 2 * LABELS_QUIET);
		sl_buf_adds(out, "<g class=\"label\" data-bib=\"");
		esc(out, l[i].bib);
		sl_buf_adds(out, "\" data-code=\"");
		esc(out, code);
		sl_buf_addf(out, "\" data-modules=\"%d\">\n", w);
		sl_buf_addf(out,
			      "<rect x=\"%.2f\" y=\"%.2f\" width=\"%g\" height=\"%g\" fill=\"#fff\" "
			      "stroke=\"#ccc\" stroke-width=\"0.2\"/>\n",
			      x, y, LBL_W, LBL_H);
		sl_buf_addf(out,
			      "<path class=\"qr\" transform=\"translate(%.2f %.2f) scale(%.5f)\" d=\"",
			      x + 2 + m * LABELS_QUIET, y + 2 + m * LABELS_QUIET, m);
		for (int r = 0; r < w; r++)
			for (int c = 0; c < w; c++)
				if (qr->data[r * w + c] & 1)
					sl_buf_addf(out, "M%d %dh1v1h-1z", c, r);
		sl_buf_adds(out, "\"/>\n");
		sl_buf_addf(out, "<text class=\"bib\" x=\"%.2f\" y=\"%.2f\">", x + QR_MM + 4,
			      y + 16);
		esc(out, l[i].bib);
		sl_buf_addf(out, "</text>\n<text class=\"name\" x=\"%.2f\" y=\"%.2f\">",
			      x + QR_MM + 4, y + 24);
		esc(out, l[i].name);
		sl_buf_adds(out, "</text>\n</g>\n");
		QRcode_free(qr);
	}
	sl_buf_adds(out, "</svg>\n");
	return 0;
}

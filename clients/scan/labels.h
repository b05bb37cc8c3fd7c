/*
 * labels.h: a printable sheet of bib labels, each with a QR code of the
 * code "sl:<event>:<bib>" (PROTOCOL.md, "Check-in": what a handheld scanner
 * reads at the check-in desk), as SVG (labels.c) or PDF (labels_pdf.c).
 *
 * A label with no bib but a registration code is a confirmation-code label
 * (for an athlete who gets a bib at pickup): its code is "sl:<event>:<reg>"
 * and it shows the registration code, under the caption "check-in code",
 * where a bib label shows the bib.
 *
 * Layout: A4 portrait pages (210 x 297 mm), 3 x 8 labels of 70 x 37 mm per
 * page (the common 24-up label stock), centred.  Each label holds the QR
 * symbol at its left (33 mm square with a quiet zone of 4 modules, 2 mm
 * from the label's edge), the bib in large type and the name below it.
 * Codes are encoded as 8-bit bytes at error correction level M, in the
 * smallest version that fits.
 *
 * SVG: one tall SVG whose user unit is the millimetre.  Each label is one
 * <g class="label" data-bib="..."> (data-reg="..." for a confirmation-code
 * label) holding a <path class="qr">, one unit square "M x y h1v1h-1z" per
 * dark module, in module units, scaled by the path's transform.  Text is
 * XML-escaped (and made valid UTF-8 as for the PDF).
 *
 * PDF: one page per 24 labels, drawn with cairo's PDF surface; text in
 * cairo's "sans-serif" with its glyphs embedded (so it can be searched and
 * extracted); names too wide for the label are set smaller, then cut with
 * an ellipsis; bytes that are not UTF-8 print as '?'.
 *
 * Both writers check every label before writing anything, so on SL_EINVAL
 * out is unchanged.
 *
 * Ownership: the labels are borrowed; the document is appended to a
 * caller-owned sl_buf.  labels_pdf leaves no cairo or fontconfig state
 * behind (it ends with cairo_debug_reset_static_data and FcFini, so leak
 * checkers stay quiet): call it only while the process holds no other
 * cairo or fontconfig object (Splitline has none), and from one thread.
 */
#ifndef SL_SCAN_LABELS_H
#define SL_SCAN_LABELS_H

#include <qrencode.h> /* for the internal section below */
#include <stddef.h>

#include "sl.h"

/*
 * One label.  bib set (non-empty): a bib label.  bib NULL or empty and reg
 * set: a confirmation-code label.  Strings are borrowed, UTF-8.
 */
typedef struct label {
	const char *bib;
	const char *name; /* may be NULL */
	const char *reg;  /* registration code; may be NULL; used when bib is empty */
} label;

#define LABELS_QUIET 4 /* modules of white around a symbol */

/*
 * Append the SVG for n labels of event to out.  Returns 0, or SL_EINVAL
 * (err set, out unchanged) for a code too long for a QR symbol or a label
 * with neither bib nor registration code.
 */
int labels_svg(sl_buf *out, const char *event, const label *l, size_t n, char *err,
	       size_t errlen);

/*
 * Append a PDF of n labels of event to out (same layout, codes and errors
 * as labels_svg).  Returns 0, SL_EINVAL as labels_svg (out unchanged), or
 * SL_EIO (err set) if cairo fails; out may then hold a partial document.
 */
int labels_pdf(sl_buf *out, const char *event, const label *l, size_t n, char *err,
	       size_t errlen);

/* "sl:<event>:<bib>" into buf (truncated to n). */
void labels_code(char *buf, size_t n, const char *event, const char *bib);

/* ---- internal to labels.c and labels_pdf.c ---- */

#define LABELS__PAGE_W 210.0
#define LABELS__PAGE_H 297.0
#define LABELS__COLS 3
#define LABELS__ROWS 8
#define LABELS__PER_PAGE (LABELS__COLS * LABELS__ROWS)
#define LABELS__W 70.0
#define LABELS__H 37.0
#define LABELS__QR_MM 33.0 /* side of the symbol with its quiet zone */
#define LABELS__TEXT_X (LABELS__QR_MM + 4) /* text column, from the label's left */

/*
 * Label i of l: its code into *code (reset first), the text shown large
 * into *shown (borrowed from l: the bib or the registration code), *is_reg,
 * and its symbol into *qr (returns owned: QRcode_free) unless qr is NULL.
 * Returns 0 or SL_EINVAL with err set.
 */
int labels__prepare(const char *event, const label *l, size_t i, sl_buf *code,
		    const char **shown, int *is_reg, QRcode **qr, char *err, size_t errlen);
/* labels__prepare for each of l[0..n), before anything is written: 0, or
 * SL_EINVAL with err naming the first label that cannot be made. */
int labels__check(const char *event, const label *l, size_t n, char *err, size_t errlen);

/*
 * Append s to o as valid UTF-8: each byte that does not start a well-formed
 * sequence becomes '?', each control character a space.
 */
void labels__utf8(sl_buf *o, const char *s);

/* Top-left corner (mm) of label i within its page. */
void labels__origin(size_t i, double *x, double *y);

#endif

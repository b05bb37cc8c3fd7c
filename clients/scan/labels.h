/*
 * labels.h: a printable sheet of bib labels as SVG, each with a QR code of
 * the registration code "sl:<event>:<bib>" (PROTOCOL.md, "Check-in": what
 * a handheld scanner reads at the check-in desk).
 *
 * Layout: A4 portrait pages (210 x 297 mm, in one tall SVG whose user unit
 * is the millimetre), 3 x 8 labels of 70 x 37 mm per page (the common
 * 24-up label stock).  Each label is one <g class="label" data-bib="...">
 * holding a QR symbol (<path class="qr">, one unit square "M x y h1v1h-1z"
 * per dark module, in module units, scaled by the group's transform; a
 * quiet zone of 4 modules is left around it), the bib in large type and
 * the name.  Text is XML-escaped; codes are encoded as 8-bit bytes at error
 * correction level M, the smallest version that fits.
 *
 * Ownership: the labels are borrowed; the SVG is appended to a caller-owned
 * sl_buf.
 */
#ifndef SL_SCAN_LABELS_H
#define SL_SCAN_LABELS_H

#include <stddef.h>

#include "sl.h"

typedef struct label {
	const char *bib;
	const char *name; /* may be NULL */
} label;

#define LABELS_QUIET 4 /* modules of white around a symbol */

/*
 * Append the SVG for n labels of event to out.  Returns 0, SL_EINVAL (with
 * err set) for a code too long for a QR symbol or an empty bib.
 */
int labels_svg(sl_buf *out, const char *event, const label *l, size_t n, char *err,
	       size_t errlen);

/* "sl:<event>:<bib>" into buf (truncated to n). */
void labels_code(char *buf, size_t n, const char *event, const char *bib);

#endif

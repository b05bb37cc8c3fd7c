/*
 * print.h: the printouts of an event's results, encoded from a core: a
 * race's results as a paginated PDF, its award list as PDF, a finisher's
 * certificate as PDF (cairo's PDF surface), and the results as XLSX, a sheet
 * per race (libxlsxwriter).  PROTOCOL.md, "HTTP", says what each shows.
 *
 * Not part of the pure core (no cairo or libxlsxwriter there) and not of the
 * loop: the export cache (server/net/export_cache.c) calls these on a worker
 * thread, on its private copy of the core, one at a time.  Everything is
 * read through the core's public exports: the rows and columns are those of
 * the race's CSV export (core_export_csv), parsed back (table.c), so every
 * printout shows the same cells as the CSV; the event's name, date, races
 * and categories come from the `event` topic.
 *
 * The bytes are a function of the core's state alone (no clock: the PDF's
 * and the workbook's creation dates are the event's date), so an export's
 * ETag changes exactly when what it shows does, on every node.
 *
 * Every function returns 0 with the document appended to out, or a negative
 * SL_E* code with a sentence in err ("no such race", "bib '12' has no
 * finish"): SL_ENOENT for what does not exist, SL_EIO when cairo or
 * libxlsxwriter fails.  The core and strings are borrowed.
 */
#ifndef SL_PRINT_H
#define SL_PRINT_H

#include <stddef.h>

#include "core.h"
#include "sl.h"


int print_results_pdf(const core *c, const char *race, sl_buf *out, char *err, size_t errlen);
int print_awards_pdf(const core *c, const char *race, sl_buf *out, char *err, size_t errlen);
int print_certificate_pdf(const core *c, const char *race, const char *bib, sl_buf *out, char *err,
			  size_t errlen);
/* race NULL: the whole event, a sheet per race. */
int print_xlsx(const core *c, const char *race, sl_buf *out, char *err, size_t errlen);

/*
 * Drop cairo's and fontconfig's process-wide caches (leak checkers report
 * them); only when no encode runs and none will until the next call.
 */
void print_cleanup(void);

#endif

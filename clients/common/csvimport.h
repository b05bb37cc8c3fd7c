/*
 * csvimport.h: participants CSV -> checked msgpack rows (PROTOCOL.md,
 * "Participant row"), for `splitline participants import`.
 *
 * The first record is the header.  Fields are found by header name:
 * by default a column whose name equals the field name, ignoring case
 * ("Bib" is bib); --map field=Header,... overrides (fields: bib reg name
 * first last sex age birth club wave race chip chip2, and fields.<custom>).
 * Columns nothing maps to are ignored.
 *
 * Every row is checked and normalized, and every problem reported as
 * "FILE:LINE: field 'sex': 'Q' is not M, F or X" (LINE is the physical line
 * where the record starts, so quoted newlines are counted):
 * - bib: at most 32 characters, unique in the file; required unless the
 *   row has a reg (an athlete who gets a bib at pickup: no bib is sent).
 * - reg: the registration code, 1 to 64 letters, digits, _ . - +, unique in
 *   the file; optional.
 * - name: as given; "Last, First" (one comma) becomes "First Last"; when no
 *   name column is mapped, first and last are joined.
 * - sex: M/F/X, case-insensitive; also Male/Man/Men -> M, Female/Woman/Women/W
 *   -> F, and Non-binary/Nonbinary/NB/Not specified/Unspecified/Other/Diverse
 *   -> X (the non-binary and undeclared share X, the third ranking list).
 *   Empty leaves sex out.
 * - age: an integer 0..120 (on race day); birth: a real date YYYY-MM-DD.
 * - chip, chip2: up to two chips, each unique in the file; with
 *   chip_from_bib the bib (when the row has one) is the first chip.
 * - race: the column, else opts.race, else left out (the server picks the
 *   only race); wave: the column, else left out (the server picks by bibs).
 *
 * Ownership: csvimp_parse_* fill a caller-owned csvimp (release with
 * csvimp_release); names and options are borrowed during the call.
 */
#ifndef SL_CSVIMPORT_H
#define SL_CSVIMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "sl.h"

typedef struct csvimp_opts {
	const char *map;   /* "field=Header,..." or NULL */
	const char *race;  /* default race id or NULL */
	bool chip_from_bib;
	bool blank;        /* rows are blank bibs: bib and chips, no athlete (a chip file) */
	size_t max_errors; /* error lines kept (0: 50) */
} csvimp_opts;

typedef struct csvimp_row {
	int line;   /* physical line in the file, 1-based */
	size_t off; /* the row's msgpack map in mp.data[off, off + len) */
	size_t len;
} csvimp_row;

typedef struct csvimp {
	sl_buf mp;        /* all rows' msgpack maps back to back */
	csvimp_row *rows; /* valid rows, in file order */
	size_t nrows, cap;
	size_t nerrors;   /* problems found (rows and header) */
	sl_buf errs;      /* the first max_errors of them, one line each */
} csvimp;

/*
 * Check that a --map text names known fields ("unknown field 'x' in --map").
 * Returns 0 or SL_EINVAL with a sentence in err.
 */
int csvimp_check_map(const char *map, char *err, size_t errlen);

/*
 * Parse and check a whole file.  Returns 0 when every row is good,
 * SL_EPARSE when some row or the header is bad (see nerrors and errs; the
 * good rows are still in rows), SL_EIO when the file cannot be read, and
 * SL_EINVAL for a bad map.
 */
int csvimp_parse_mem(csvimp *ci, const char *name, const char *buf, size_t len,
		     const csvimp_opts *o);
int csvimp_parse_file(csvimp *ci, const char *path, const csvimp_opts *o);
void csvimp_release(csvimp *ci);

/* Normalize a sex text to "M", "F" or "X"; NULL when not recognized. */
const char *csvimp_norm_sex(const char *s);

#endif

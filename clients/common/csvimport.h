/*
 * csvimport.h: participants CSV -> checked msgpack rows (PROTOCOL.md,
 * "Participant row"), for `splitline participants import` and
 * `splitline-scan labels --from-csv`.
 *
 * The first record is the header.  Each field is read from one column:
 * - --map field=Header,... names it (fields: bib reg name first last sex age
 *   birth club wave race chip chip2, and fields.<custom>); "field=" with
 *   nothing after the '=' reads that field from no column.  A column named
 *   in --map feeds only the fields --map gives it.
 * - otherwise the column whose header is a known spelling of the field
 *   (csvimport.c, "Header spellings": "Bib No", "First Name", "Gender",
 *   "Date of Birth", "Chip ID", ...), compared ignoring case, spaces and
 *   punctuation.  Two columns that spell one field equally well are
 *   refused, naming both ("M/F" and "Gender" in the Boston file): --map
 *   picks one.
 * Every column is listed in ci->cols with what it feeds; the ones that feed
 * nothing are reported by csvimp_unused_text (a warning: they are dropped).
 *
 * The file is refused (nothing in rows, an error naming the --map that
 * would fix it, guessed from the headers) when no column gives the bib or
 * the reg, or none gives a name (name, or first and/or last), unless it is
 * a chip file (blank) or --map says name=.
 *
 * Every row is checked and normalized, and every problem reported as
 * "FILE:LINE: field 'sex': 'Q' is not M, F or X" (LINE is the physical line
 * where the record starts, so quoted newlines are counted):
 * - bib: at most 32 characters, unique in the file; required unless the
 *   row has a reg (an athlete who gets a bib at pickup: no bib is sent).
 * - reg: the registration code, 1 to 64 letters, digits, _ . - +, unique in
 *   the file; optional.
 * - name: as given; "Last, First" (one comma) becomes "First Last"; when the
 *   row has no name, first and last are joined.  A column headed just
 *   "Name" beside only a first-name column is the last name ("Vorname,
 *   Name"), beside only a last-name column the first ("Name, Surname").
 * - sex: sent as M, F or X, the only values the server takes
 *   (cfg_sex_parse); csvimp_norm_sex lists the spellings read.  Empty
 *   leaves sex out.
 * - age: an integer 0..120 (on race day).
 * - birth: sent as YYYY-MM-DD; read from YYYY-MM-DD (also with / or .),
 *   DD.MM.YYYY, and DD/MM/YYYY or MM/DD/YYYY (also with -).  Which of the
 *   last two is the file's order comes from date_order, else from the file:
 *   a date that reads only one way ("13/05/1990") decides it for every row.
 *   A file whose dates all read both ways, or that has both kinds, is
 *   refused, asking for date_order.  Two-digit years are refused.
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

/* The order of day and month in dates like 05/03/1990. */
enum { CSVIMP_DATE_AUTO = 0, CSVIMP_DATE_DMY, CSVIMP_DATE_MDY };

typedef struct csvimp_opts {
	const char *map;  /* "field=Header,..." or NULL */
	const char *race; /* default race id or NULL */
	bool chip_from_bib;
	bool blank;        /* rows are blank bibs: bib and chips, no athlete (a chip file) */
	int date_order;    /* CSVIMP_DATE_*: for birth dates like 05/03/1990 */
	size_t max_errors; /* error lines kept (0: 50) */
} csvimp_opts;

typedef struct csvimp_row {
	int line;   /* physical line in the file, 1-based */
	size_t off; /* the row's msgpack map in mp.data[off, off + len) */
	size_t len;
} csvimp_row;

/* A column of the file and what became of it. */
typedef struct csvimp_col {
	char *header; /* as in the file, trimmed (owned) */
	char *feeds;  /* the fields it feeds, "sex" or "bib chip" or "fields.team";
			 NULL: not imported (owned) */
	char *note;   /* how it was chosen when worth saying, or NULL (owned) */
	bool values;  /* some row has a value in it */
} csvimp_col;

typedef struct csvimp {
	sl_buf mp;        /* all rows' msgpack maps back to back */
	csvimp_row *rows; /* valid rows, in file order */
	size_t nrows, cap;
	size_t nerrors;   /* problems found (rows and header) */
	sl_buf errs;      /* the first max_errors of them, one line each */
	csvimp_col *cols; /* the header's columns, in file order (none when unread) */
	size_t ncols;
	int header_line; /* the header's line, 0 when there is none */
	int date_order;  /* CSVIMP_DATE_* used for dates like 05/03/1990 */
} csvimp;

/*
 * Check that a --map text names known fields ("unknown field 'x' in --map").
 * Returns 0 or SL_EINVAL with a sentence in err.
 */
int csvimp_check_map(const char *map, char *err, size_t errlen);

/* "dmy" or "DD/MM/YYYY", "mdy" or "MM/DD/YYYY" (any case) -> CSVIMP_DATE_*;
 * SL_EINVAL otherwise. */
int csvimp_date_order_parse(const char *s);

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

/*
 * The columns, one line each, for an official to check before importing:
 *   "  'Gender'         -> sex\n"
 *   "  'Shirt Size'     -> not imported\n"
 * Appends to out.
 */
void csvimp_columns_text(const csvimp *ci, sl_buf *out);

/*
 * The columns that feed nothing, quoted and comma-separated ("'Shirt Size',
 * 'Emergency Phone'"; a column without a header is "column 7" and listed
 * only when it holds values), appended to out; returns how many.
 */
size_t csvimp_unused_text(const csvimp *ci, sl_buf *out);

/* Normalize a sex text to "M", "F" or "X"; NULL when not recognized.
 * M: M Male Man Men Boy(s) Mens Herren Männlich; F: F W Female Woman Women
 * Girl(s) Womens Lady Ladies Damen Weiblich; X: X Non-binary Nonbinary NB
 * Not specified Unspecified Other Diverse Divers Prefer not to say.  Any
 * case; a W is a woman (German forms: m/w/d), a D is not read (divers in
 * German, dame in French). */
const char *csvimp_norm_sex(const char *s);

#endif

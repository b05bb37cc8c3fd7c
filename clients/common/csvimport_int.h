/*
 * csvimport_int.h: what the three files of the participants CSV import
 * share (csvimport.h is the interface).
 *
 *   csvimport.c         the driver: libcsv fed line by line, the two passes,
 *                       the public parse/release/columns calls
 *   csvimport_header.c  --map and the header spellings: which column feeds
 *                       which field, pass 1's look at the values, and the
 *                       verdict on the header (csvimp__finish_header)
 *   csvimport_row.c     pass 2: one record checked and packed as its
 *                       msgpack map (csvimp__take_row), with the value
 *                       rules (sex, dates, chips), the uniqueness sets and
 *                       the error lines (csvimp__rowerr)
 *
 * Calls go one way: csvimport.c -> csvimport_header.c -> csvimport_row.c
 * (which calls none of the others).
 *
 * The parse state (csvimp__st) lives on csvimp_parse_mem()'s stack and
 * owns everything in it; it is released there.  Internal: not for callers
 * outside clients/common/csvimport*.c.
 */
#ifndef SL_CSVIMPORT_INT_H
#define SL_CSVIMPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csvimport.h"

enum {
	F_BIB,
	F_NAME,
	F_FIRST,
	F_LAST,
	F_SEX,
	F_AGE,
	F_BIRTH,
	F_CLUB,
	F_WAVE,
	F_RACE,
	F_CHIP,
	F_CHIP2,
	F_REG,
	F_COUNT
};
/* The fields' names, by F_* (csvimport_row.c). */
extern const char *const csvimp__field_names[F_COUNT];

#define MAX_BIB 32
#define MAX_REG 64
#define MAX_CUSTOM 32

/* ---- a string set: key -> line (csvimport_row.c) ---- */

typedef struct csvimp__sset {
	struct slot {
		char *key;
		int line;
	} * slots;
	size_t cap, n;
} csvimp__sset;

/* Insert key; returns 0, or the line it was seen on before. */
int csvimp__sset_put(csvimp__sset *s, const char *key, int line);
void csvimp__sset_release(csvimp__sset *s);

/* ---- the --map option (csvimport_header.c) ---- */

typedef struct csvimp__map {
	char *header[F_COUNT];     /* explicit header per field, or NULL */
	bool none[F_COUNT];        /* "field=": read from no column */
	char *ckey[MAX_CUSTOM];    /* custom field names */
	char *cheader[MAX_CUSTOM]; /* and their headers */
	size_t ncustom;
} csvimp__map;

int csvimp__map_parse(csvimp__map *m, const char *text, char *err, size_t errlen);
void csvimp__map_release(csvimp__map *m);

/* ---- dates (csvimport_row.c) ---- */

/*
 * The shapes of a date: Y-M-D (year first, with - / or .), D.M.Y (dots,
 * day first wherever dots are written), A/B/Y (also A-B-Y: day or month
 * first), A/B/YY (a two-digit year, refused).
 */
enum { DS_BAD, DS_YMD, DS_DOTS, DS_SLASH, DS_YY };

int csvimp__date_split(const char *s, int *a, int *b, int *y);
bool csvimp__ymd_ok(int y, int mo, int d);

/* ---- the parse ---- */

/* What the first pass learns of a column's values. */
struct colstat {
	size_t filled; /* rows with a value */
	size_t maxlen;
	bool digits; /* every value is digits */
};

/* How a field got its column. */
enum { HOW_NONE, HOW_MAP, HOW_SPELLING };

typedef struct csvimp__st {
	csvimp *ci;
	const csvimp_opts *o;
	const char *name;
	csvimp__map map;
	size_t max_errors;
	int pass; /* 1: header and values looked at, 2: rows */
	/* the current record */
	char **f;
	size_t nf, capf;
	int rec_line;       /* line the current record starts on, 0: none yet */
	bool header_passed; /* pass 2 has skipped the header record */
	/* the header */
	bool have_header, header_bad;
	char **hdr;
	size_t nhdr;
	int hdr_line;
	signed char *kfield, *ktier; /* per column: the field its header spells, or -1 */
	bool *claimed;               /* per column: named in --map */
	struct colstat *stat;
	size_t nrecords; /* records after the header (pass 1) */
	int col[F_COUNT];
	int how[F_COUNT];
	int moved; /* F_FIRST or F_LAST when the name column became it, else -1 */
	int ccol[MAX_CUSTOM];
	/* dates like 05/03/1990 seen in pass 1: the first line of each kind */
	int dmy_line, mdy_line, amb_line;
	char dmy_ex[24], mdy_ex[24], amb_ex[24];
	csvimp__sset bibs, chips, regs;
} csvimp__st;

/* ---- csvimport_header.c ---- */

/* "'Bib'", or "column 3" for a column without a header. */
void csvimp__col_label(sl_buf *b, const char *header, size_t i);

/* Pass 1: the header record (takes s->f), then each record's values. */
void csvimp__take_header(csvimp__st *s, int line);
void csvimp__scan_row(csvimp__st *s, int line);
/* The verdict on the header, once pass 1 has seen the values. */
void csvimp__finish_header(csvimp__st *s);

/* ---- csvimport_row.c ---- */

/* An error line "NAME:LINE: ..." (the first max_errors kept; all counted). */
void __attribute__((format(printf, 3, 4)))
csvimp__rowerr(csvimp__st *s, int line, const char *fmt, ...);

/* Pass 2: the current record checked and appended to s->ci (or its errors). */
void csvimp__take_row(csvimp__st *s, int line);

#endif

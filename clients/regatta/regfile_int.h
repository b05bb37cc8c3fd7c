/*
 * regfile_int.h: the loaded table of a regatta export, shared by the two
 * files of slregatta (regfile.h is the interface):
 *
 *   regfile.c      reading the file (libcsv), races, bibs, stations, the
 *                  cells' times, distances and days
 *   regfile_rec.c  the records built from it: import (config,
 *                  participants, places, penalties) and replay (reads)
 *
 * A regfile owns every string in it; regfile_free() releases all.  The
 * records code only reads it.  Internal: not for callers outside
 * clients/regatta/regfile*.c.
 */
#ifndef SL_REGFILE_INT_H
#define SL_REGFILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "regfile.h"

/*
 * An intermediate station: a G_<name>_time_raw column that is no start or
 * finish.  A split point (a waypoint), or a backup station of one: a name
 * that is another station's followed by a digit 2..9 ("500m2", "500m3" of
 * "500m"), as Start2 and Finish2 name theirs.
 */
struct station {
	char *name; /* <name> */
	char *id;   /* its point id: name in lower case, other characters '-' */
	int col;
	size_t of; /* a backup's split point (index in st) */
};

struct regfile {
	char **hdr;
	size_t nhdr;
	char ***rows; /* rows[i][j], nhdr cells each */
	size_t nrows, crows;
	char **cur;
	size_t ncur;
	bool in_hdr;
	char **bibs;
	size_t *row_race; /* the race of each row */
	size_t *evfirst;  /* first row of each race */
	char **race_id;   /* id of each race */
	size_t nev;
	struct station *st; /* the split points, in column (course) order */
	size_t nst;
	struct station *bk; /* their backup stations, by split, then name ("500m2", "500m3") */
	size_t nbk;
	size_t *race_day; /* day of each race, 0 .. ndays-1 */
	size_t ndays;
	long day_base; /* the first day, days since 1970-01-01 */
	char date[16];
};

/* AdjTime words: {AdjTime, adjust type, status shown}. */
#define REGFILE__NSTATUS 4
extern const char *const regfile__status[REGFILE__NSTATUS][3];

/* The column of a header, or -1. */
int regfile__col(const regfile *t, const char *name);

#endif

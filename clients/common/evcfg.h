/*
 * evcfg.h: the event configuration file (YAML) of `splitline event create`
 * and `splitline-replay`, read into the msgpack map that `event_create`
 * carries (protocol/PROTOCOL.md, "Event configuration").
 *
 * Reading keeps every node's line, so whatever is wrong is reported as
 * "race.yaml:12: races[0].points[2].role: expected start, split or finish".
 * Scalars are typed the YAML 1.2 core way: plain 12 is an integer, 1.5 a
 * float, true/false booleans, null/~/empty nil; a quoted scalar is always a
 * string.  Ids (event, race, wave, point and category ids) are sent as
 * strings even when written as plain numbers (`id: 1` is the wave "1").
 * Anchors and aliases are refused (no alias bombs), and so are documents
 * deeper than SLP_MAX_DEPTH or packing to more than SLP_MAX_FRAME bytes.
 *
 * Validation checks what a client can check alone: every map's keys (the
 * table protocol/evkeys.c, which the server checks by too, so a typo is
 * reported here with its line and a "did you mean"), the event id format,
 * the timezone (a zone file under /usr/share/zoneinfo), races non-empty with
 * unique ids, race kind/ranking, waves (id, start parseable as ISO 8601,
 * bibs "LO-HI" overlapping no other wave's, in any race), points (id, role
 * start/split/finish, rule first/last, non-negative numbers), backup
 * stations (id, station_of) and categories (sex, ages; no two with the same
 * rule).  The server validates the rest.
 *
 * Times: a wave start with its UTC offset is sent as written; one without
 * (or a date alone) is read in the config's timezone, DST included, and
 * sent with the offset it has on that date ("2015-04-20T10:00:00" in
 * America/New_York goes as "2015-04-20T10:00:00-04:00"), so the server only
 * ever sees instants.  Without a timezone it is an error that says to add
 * one.
 *
 * Ownership: evcfg_load_* return an owned evcfg (free with evcfg_free)
 * only on success; every string in it is owned by it.
 */
#ifndef SL_EVCFG_H
#define SL_EVCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl.h"

enum evcfg_role { EVCFG_START = 0, EVCFG_SPLIT, EVCFG_FINISH };

typedef struct evcfg_wave {
	char *id;
	bool has_start;
	int64_t start_ms; /* wave start (T0), when has_start */
	bool has_bibs;
	int64_t bib_lo, bib_hi; /* inclusive range, when has_bibs */
	int bibs_line;          /* the line of bibs in the file */
} evcfg_wave;

typedef struct evcfg_point {
	char *id;
	int role; /* enum evcfg_role */
	double distance_m;
	double window_s; /* -1 when not given */
} evcfg_point;

typedef struct evcfg_race {
	char *id;
	size_t nwaves;
	evcfg_wave *waves;
	size_t npoints;
	evcfg_point *points;
	size_t ncats;
} evcfg_race;

typedef struct evcfg {
	char *event;     /* the event id */
	char *timezone;  /* the IANA zone (a zone file exists), or NULL */
	char *mp;        /* the config map, msgpack */
	size_t mp_len;
	size_t nraces;
	evcfg_race *races;
} evcfg;

/* Keep at most this many error lines (then "... and N more"). */
#define EVCFG_MAX_ERRORS 50

/*
 * Read and validate.  name is the file name used in messages (borrowed).
 * On success returns 0 and *out (owned).  On failure returns SL_EPARSE
 * (bad YAML or bad config), SL_EIO (cannot read the file) or SL_ETOOBIG,
 * *out stays NULL and errs gets one line per problem, each ending in '\n'.
 */
int evcfg_load_mem(const char *name, const char *buf, size_t len, evcfg **out,
		   sl_buf *errs);
int evcfg_load_file(const char *path, evcfg **out, sl_buf *errs);
void evcfg_free(evcfg *c);

/* The race with this id, or NULL. */
const evcfg_race *evcfg_find_race(const evcfg *c, const char *id);
/*
 * The wave of a bib as the server picks it: the first wave whose bibs range
 * holds the (numeric) bib, else the race's first wave.  NULL when the race
 * has no waves.
 */
const evcfg_wave *evcfg_wave_of(const evcfg_race *r, const char *bib);
/* The first point with this role, or NULL. */
const evcfg_point *evcfg_point_by_role(const evcfg_race *r, int role);

#endif

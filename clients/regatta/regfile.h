/*
 * regfile.h: a regatta export file (data/regatta-*.csv,
 * canoe-kayak-*.csv; columns EventNum, Event, RaceType, EventInfo, Day, Bow,
 * Crew, CrewAbbrev, Place, G_<Station>_time_raw, RawTime, PenaltyCode,
 * AdjTime) and the Splitline log records that reproduce it.
 *
 * One builder, two users: splitline-regatta sends the records to a server
 * (turned into messages by regfile_to_msg), tests/unit/test_regatta_data.c
 * folds them straight through the core.  Both must see the same records, so
 * they are made only here.
 *
 * The mapping (docs/regatta.md):
 *   - races: one per event, that is per EventNum and Event name.  An
 *     EventNum that names two events (two Event names) gives two races:
 *     the first keeps the number as its id, the next get a letter added
 *     ("12", "12b", "12c"; a letter no other race id of the file uses), and
 *     import warns naming both;
 *   - config: per race, id, name = Event, kind `trial` for RaceType Head,
 *     `lanes` otherwise, precision_ms 1, the EventInfo text as
 *     `progression`, distance_m from the event name ("2000m", "2k",
 *     "1000 m", "6 km"), else the --distance option, else 1000 (warned);
 *     points `start`, then one split per intermediate station (every
 *     G_<Station>_time_raw column but Start/Start2/Start3/Finish/Finish2/
 *     Finish3 and the waypoints' backups, in column order, when the race
 *     has a reading there or at a backup of it), then `finish`, plus
 *     start2/start3/finish2/finish3 as backup stations (`station_of`) when
 *     the file has those columns, and each split's backup stations: a
 *     station named as another followed by a digit 2..9 ("500m2",
 *     "1000m3"; "Mark2" without a "Mark" is a split of its own), in the
 *     order of their names (the core takes the primary's reading, else
 *     the first backup's).  A split's distance comes from the station's
 *     name ("500m"), else the splits are spread evenly over the course
 *     (warned); its read rule (its backups' too) is `first` inside a
 *     window of plausible pace: from min_s = 0.8 x the race's fastest
 *     RawTime pro rata of the distance, to 1.25 x its slowest (without
 *     times: 8 m/s to 1.5 m/s), so that a read before the start, one too
 *     soon after it (a bow number mistyped: another crew's passing) or too
 *     late is not taken;
 *   - the date: the config's `date` is the regatta's first day (--date, else
 *     the earliest ISO date in Day, else 2023-01-01, warned); each race is
 *     on the day its Day column names: a date, a weekday ("Sat",
 *     "Sunday": the first such day on or after the first day) or "Day N";
 *   - participants: one per row, bib "<race>-<Bow>" (a Bow seen twice in
 *     a race gets ".<row>" added), lane = Bow when numeric, name = Crew,
 *     club = CrewAbbrev, members from "A / B / C" crew names;
 *   - adjust records (import): DNS, DNF, DQ, Scratch (AdjTime), Exhib, a
 *     "(Ns)" penalty (PenaltyCode), and a `station` choice when the official
 *     finish (G_Finish_time_raw) is the reading of a backup station; with
 *     places (--places-from-file), a judges' `place` for every crew whose
 *     Place differs from the rank of its AdjTime in its race (dead heats
 *     shared), `dead_heat` when another crew holds that place;
 *   - replay: a wave_start per side-by-side (non-Head) race at its first
 *     G_Start_time_raw, then passings, one device per station column
 *     (start only for Head races; the primary finish only when it is not a
 *     copy of a backup's reading; a split station's device is its point
 *     id, a backup's its station id), each device's reads in time order,
 *     seq from 1, at most `batch` reads per record.
 * Clock times of day are counted from the midnight of the race's day, UTC
 * or in the event's time zone (the caller computes the midnights), so that
 * pages show the file's clock times.
 *
 * Warnings (an EventNum naming two events, a race assumed 1000 m, no date,
 * ...) are appended to `warn`, one line each, for the caller to print.
 *
 * Ownership: regfile_load returns an owned regfile (regfile_free).  Record
 * lists own their buffers (reg_recs_release).  Strings returned by the
 * accessors point into the regfile.
 */
#ifndef SL_REGFILE_H
#define SL_REGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl.h"

#define REGFILE_DAY0 1672531200000LL /* 2023-01-01T00:00:00Z */
#define REGFILE_DATE0 "2023-01-01"   /* the date when neither file nor option gives one */
#define REGFILE_NO_T INT64_MIN
#define REGFILE_MAX_DAYS 31

typedef struct regfile regfile;

/* 0, or SL_EIO / SL_EPARSE with err ("cannot open 'F': ...", "F: no column 'Bow'"). */
int regfile_load(const char *path, regfile **out, char *err, size_t errlen);
void regfile_free(regfile *rf);

size_t regfile_nrows(const regfile *rf);
/* The cell of row i (0-based, header excluded) in column name; "" when absent. */
const char *regfile_cell(const regfile *rf, size_t i, const char *name);
bool regfile_has_col(const regfile *rf, const char *name);
const char *regfile_bib(const regfile *rf, size_t i);
/* Races: one per event (EventNum and Event name), in order of first appearance. */
size_t regfile_nevents(const regfile *rf);
const char *regfile_race_id(const regfile *rf, size_t e); /* "12", or "12b" for a second event 12 */
size_t regfile_event_first(const regfile *rf, size_t e);  /* its first row */
size_t regfile_row_race(const regfile *rf, size_t i);     /* the race of row i */

/* The intermediate stations (split points, not their backups), in course
 * order: point id and name. */
size_t regfile_nsplits(const regfile *rf);
const char *regfile_split_id(const regfile *rf, size_t k);   /* "1000m" */
const char *regfile_split_name(const regfile *rf, size_t k); /* the <Station> of its column */

/* "08:34:25.954", "06:42.696", "00.757" -> ms; REGFILE_NO_T when not a time. */
int64_t regfile_ms(const char *s);

/* The distance an event or station name says ("2000m", "2k", "1000 m", "6 km",
 * "1.5 km"), in metres; 0 when it says none. */
long regfile_name_distance(const char *name);

/*
 * The regatta's days: date ("YYYY-MM-DD", --date) is its first day, else
 * the earliest ISO date of the Day column, else REGFILE_DATE0 (warned, with
 * every race on it).  Each race goes on the day its Day names (see the top).
 * 0, or SL_EINVAL with err: a date that is not one, a first day whose
 * weekday is not that of the file's first race naming a weekday (the
 * programme lists its days in order), days spread over more than
 * REGFILE_MAX_DAYS.  Without this call: REGFILE_DATE0, one day.
 */
int regfile_days(regfile *rf, const char *date, sl_buf *warn, char *err, size_t errlen);
const char *regfile_date(const regfile *rf); /* the first day, "YYYY-MM-DD" */
size_t regfile_ndays(const regfile *rf);
void regfile_day(const regfile *rf, size_t k, int *y, int *mo, int *d); /* day k's date */
size_t regfile_race_day(const regfile *rf, size_t e);                   /* 0 .. ndays-1 */
/* Midnight UTC of a date, ms since the epoch. */
int64_t regfile_utc_midnight(int y, int mo, int d);

/* What the file publishes for row i. */
struct reg_expect {
	int64_t raw, adj; /* REGFILE_NO_T when none */
	long place;       /* 0: none */
	bool exhibition;
	const char *status; /* "dns", "dnf", "dsq", "scratch", or NULL (timed) */
};
void regfile_expect(const regfile *rf, size_t i, struct reg_expect *x);

/* A list of msgpack log records. */
typedef struct reg_recs {
	sl_buf *r;
	size_t n, cap;
} reg_recs;
void reg_recs_release(reg_recs *l);

/* What the import is told (splitline-regatta's options); borrowed strings. */
struct reg_opts {
	const char *event;    /* the event id */
	const char *official; /* who signs the adjust records */
	const char *timezone; /* the event's IANA zone, or NULL */
	long distance_m;      /* races whose name says no distance; 0: 1000 m, warned */
	size_t chunk;         /* crews per participants record; 0: one record */
	bool places;          /* judges' places where the file's differ from the times' */
};

/*
 * The import: the config, participants and adjust records; warnings to
 * warn (may be NULL).
 */
void regfile_import(const regfile *rf, const struct reg_opts *o, reg_recs *out, sl_buf *warn);
/* The replay: wave_start records, then passings (rx: the `rx` field), the
 * file's clock times counted from day0[the race's day] (regfile_ndays
 * midnights, UTC or in the event's zone). */
void regfile_replay(const regfile *rf, size_t batch, int64_t rx, const int64_t *day0,
		    reg_recs *out);

/*
 * A log record as the protocol message an official or device sends:
 * config -> event_create, passings without rx, others renamed k -> t; the
 * message gets "id": id.  0, or SL_EINVAL for a record of unknown kind.
 */
int regfile_to_msg(const char *rec, size_t len, uint64_t id, sl_buf *out);

#endif

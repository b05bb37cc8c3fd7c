/*
 * core.h: the pure domain of Splitline.  One `core` holds one event: its
 * configuration (races, waves, timing points, categories), its participants,
 * every read ever accepted, and the results derived from them.
 *
 * The core folds log records (msgpack maps, see protocol/PROTOCOL.md, "Log
 * records") and knows nothing of sockets, Redis or the loop.  It is
 * deterministic: the same records in the same order give the same state and
 * the same bytes out of every function below.  A record that fails
 * validation changes nothing.
 *
 * Results are derived, never stored: a read is kept as a fact; the crossing
 * chosen at each timing point, net/gun time, status and places are computed
 * from the reads under the point's read rule, so a changed wave start or a
 * late read recomputes whatever it touches.  Places live in order-statistic
 * trees per ranking list, so a new finisher costs O(log n).
 *
 * Change tracking: every participant whose derived result changed since the
 * last core_changes_clear() is in the change set; views (view.c) encode
 * snapshots and deltas of subscription topics from it.
 *
 * Ownership: core_new() returns owned, core_free() releases.  All buffers
 * passed in are borrowed.
 */
#ifndef SL_CORE_H
#define SL_CORE_H

#include <msgpack.h>
#include <stdbool.h>

#include "sl.h"

typedef struct core core;

core *core_new(void);
void core_free(core *c);

/*
 * Fold one log record (the msgpack bytes of its map).  Returns 0, or a
 * negative SL_E* code with a sentence naming the field at fault in err (for
 * participants: "rows[12].sex: expected M, F or X"); on error nothing changed.
 */
int core_apply(core *c, const char *rec, size_t len, char *err, size_t errlen);
/* Same checks as core_apply, changing nothing (used before appending). */
int core_check(const core *c, const char *rec, size_t len, char *err, size_t errlen);
/*
 * core_check, and the row at fault as a number: for a participants record
 * refused because of one of its rows, *row is that row (the N of the
 * "rows[N]" the sentence starts with), else -1.
 */
int core_check_row(const core *c, const char *rec, size_t len, char *err, size_t errlen,
		   int64_t *row);

/*
 * The rows of a participants record that fit no category of their race
 * (PROTOCOL.md, "participants"): n counts them; bibs holds the first
 * CORE_NOCAT_BIBS (the bib, or the reg of a registration without one),
 * owned: core_nocat_release frees them.  Rows of a race without
 * categories, blank bibs and rows that do not parse are not counted.  Meant
 * for rows core_check accepted; rows is borrowed.
 */
#define CORE_NOCAT_BIBS 20
struct core_nocat {
	size_t n, nbibs;
	char *bibs[CORE_NOCAT_BIBS];
};
void core_nocat(const core *c, const msgpack_object *rows, struct core_nocat *out);
void core_nocat_release(struct core_nocat *x);

/* The event id from the config, or NULL before any config record. */
const char *core_event_id(const core *c);
/* Number of records folded (for snapshots and health). */
uint64_t core_nrecords(const core *c);

/*
 * One participant's result as officials see it (regattas and road races):
 * status name, start used, raw and adjusted time (INT64_MIN when not
 * finished or not timed), penalty, the place shown (0: none; a judges'
 * place is flagged place_manual), exhibition and relegation flags, lane.
 * Strings point into the core (valid until the next apply).
 */
struct core_result {
	const char *status;
	int64_t start, raw_ms, adj_ms, penalty_ms;
	size_t place;
	bool place_manual, exhibition, relegated;
	int lane;
};
/* 0, or SL_ENOENT when no participant has that bib. */
int core_result(const core *c, const char *bib, struct core_result *out);

/*
 * Why a read would not count the way an official entering it expects: no
 * participant with that bib or chip, a point the athlete's race does not
 * have ("did you mean"), a time before the athlete's wave start, a hand
 * read where a mat read exists.  Appends one sentence per line to out;
 * returns how many.  Pure: changes nothing.
 */
/* A race's results: "provisional", "official" (race_official) or
 * "corrected" (a result changed after official). */
const char *core_race_results_state(const core *c, const char *race);

struct slp_read;
int core_read_warnings(const core *c, const struct slp_read *r, sl_buf *out);

/*
 * The line-up of a race fed by others through their progression rules
 * (PROTOCOL.md, "Regatta"): an official's line-up (override) when there is
 * one, else the one the feeders' current results give, seeded and drawn
 * into lanes (lane 0: more crews than lanes).  complete: every feeder is
 * official (race_official).  Rows point into the core (valid until the next
 * apply); release with core_lineup_release.  0, or SL_ENOENT (no such race).
 */
struct core_lineup_row {
	const char *bib, *name, *club, *from; /* from: the feeding race */
	int place;    /* in its race, 0: none */
	int64_t time; /* adjusted, INT64_MIN when none */
	int seed, lane;
};
struct core_lineup {
	const char *race;
	size_t nfeeders;
	bool complete, override;
	struct core_lineup_row *rows;
	size_t n;
};
int core_lineup(const core *c, const char *race, struct core_lineup *out);
void core_lineup_release(struct core_lineup *l);

/* Change tracking for views. */
bool core_changed_all(const core *c); /* config/wave change: resend snapshots */
size_t core_changed(const core *c, const uint32_t **pidx);
/* The bib of a participant of the change set (its athlete/<bib> topic), or NULL. */
const char *core_part_bib(const core *c, uint32_t pidx);
void core_changes_clear(core *c);

/*
 * Views.  A topic is a string, see PROTOCOL.md "Topics":
 *   results/<race>  results/<race>/sex/<M|F|X>  results/<race>/cat/<cat>
 *   athlete/<bib>  finishes/<race>  unknown  status  progression/<race>
 * core_topic_check: 0, SL_EINVAL (malformed) or SL_ENOENT (no such race...).
 * core_topic_snapshot packs a whole "snapshot" message map into pk
 *   (rows from offset, at most limit; limit 0 = all).
 * core_topic_delta packs a "delta" message for the current change set, or
 *   packs nothing and sets *empty when the topic is untouched.
 */
int core_topic_check(const core *c, const char *topic, size_t n);
int core_topic_snapshot(const core *c, const char *topic, size_t n, size_t offset,
			size_t limit, msgpack_packer *pk);
int core_topic_delta(const core *c, const char *topic, size_t n, msgpack_packer *pk,
		     bool *empty);

/*
 * Exports of one race's results, every participant in place order.  Trial
 * and lanes races (regattas) have their own CSV columns (PROTOCOL.md,
 * "Regatta"); road races keep theirs.
 */
int core_export_csv(const core *c, const char *race, sl_buf *out);
int core_export_json(const core *c, const char *race, sl_buf *out);
/*
 * The whole event (a regatta's every race): CSV with the regatta columns and
 * a race column; JSON {"event","name","races":[{"race","name","kind",
 * "boat_class","progression","rows"}]}.  SL_ENOENT before any config.
 */
int core_export_event_csv(const core *c, sl_buf *out);
int core_export_event_json(const core *c, sl_buf *out);

/* Snapshot of the whole state as msgpack; load into a fresh core. */
/*
 * The event for the deployment's directory (summary.c): {id, name, date,
 * timezone, level, organizer, venue, state, races: [{id, name, kind}]};
 * state upcoming, live, provisional or official.  SL_ENOENT before the
 * event's config.
 */
int core_summary(const core *c, msgpack_packer *pk);

void core_snapshot_save(const core *c, sl_buf *out);
int core_snapshot_load(core *c, const char *buf, size_t len, char *err, size_t errlen);

/*
 * A race's entries as server/score reads them (awards, team scores,
 * series; entries.c): every participant of the race, in bib order, with
 * what those are computed from, and the race's config (its categories,
 * precision, awards and teams; config.h).  Strings point into the core and
 * the arrays are owned by out: valid until the next apply, freed by
 * core_entries_release.  race NULL: the event's first race.  0, or
 * SL_ENOENT (no such race, or no config).
 */
struct cfg_race;
struct entry;
struct core_entry {
	const char *bib, *name, *club; /* never NULL ("" when not given) */
	const char *reg, *birth;       /* NULL when not given; birth YYYY-MM-DD */
	const char *sex;               /* "M", "F", "X", or NULL */
	const char *status;            /* "finished", "dnf", ... */
	bool ranked;                   /* finished and placed (not an exhibition) */
	int64_t time_ms;               /* the time that ranks; INT64_MIN when not ranked */
	size_t place, place_sex;       /* the place shown, in the sex; 0: none */
	size_t ncats;
	const uint16_t *cats; /* indices into the race's categories */
	size_t *place_cats;   /* the place in each of cats (0: none) */
	const struct entry *e;
};
struct core_entries {
	const struct cfg_race *race;
	struct core_entry *v;
	size_t n;
	size_t *places_; /* one block for every place_cats */
};
int core_race_entries(const core *c, const char *race, struct core_entries *out);
void core_entries_release(struct core_entries *x);
/* An entry's field by the name a config gives it: bib, name, club, reg,
 * birth, sex or fields.<name>; NULL when it has none (or "" for club). */
const char *core_entry_field(const struct core_entry *e, const char *name);

#endif

/*
 * score.h: what is computed from races' results besides their places:
 * award lists (award.c), team scores (team.c) and series standings over
 * several events (series.c, its document parsed by seriescfg.c).  The
 * rules are in PROTOCOL.md, "Awards", "Team scores" and "Series".
 *
 * Pure: no loop, socket, Redis or file; it reads a race through the core's
 * public core_race_entries (core.h) and the race's config (config.h: the
 * `awards` and `teams` the core parsed), so the same state gives the same
 * rows, in the same order, on every node.  Every list is in a stable order
 * (ties by bib or id in entry_bib_cmp / byte order), so a page or an
 * export built from it is a function of the results alone.
 *
 * Ownership: results borrow their strings from the core_entries (so from
 * the core: valid until its next apply) and from the config they were
 * computed with; their arrays are owned and freed by the *_release
 * functions.  Functions return 0 or a negative SL_E* code with a sentence
 * in err where they take one.
 */
#ifndef SL_SCORE_H
#define SL_SCORE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "core.h"
#include "sl.h"

/* ---- awards (award.c) --------------------------------------------------------- */

enum award_kind { AWARD_SEX, AWARD_OVERALL, AWARD_CAT };
struct award_row {
	int kind;            /* enum award_kind */
	const char *section; /* "F", "M", "X"; "" for overall; the category id */
	const char *title;   /* "Women", "Men", "X", "Overall", the category's name */
	size_t place;        /* in the section (ties share) */
	const char *bib, *name;
	int64_t time_ms;
};
struct award_list {
	struct award_row *rows;
	size_t n;
};
/* The race's award list under its `awards` config: sections women, men,
 * X (or overall in a race without sexes), then its categories in config
 * order; in each, by place, then bib. */
void award_list(const struct core_entries *x, struct award_list *out);
void award_list_release(struct award_list *l);
/* One line per award to read out: "Women, 1st: Ann Lee (12), 0:35:12". */
void award_text(const struct core_entries *x, const struct award_list *l, sl_buf *out);
/* {"race","rows":[{"kind","section","title","place","bib","name","time"}]} (pack.c) */
void award_pack(msgpack_packer *pk, const struct core_entries *x, const struct award_list *l);

/* ---- team scores (team.c) ----------------------------------------------------- */

struct team_member {
	const char *bib, *name;
	size_t place;      /* in the race, or in the rule's category */
	size_t team_place; /* the place that scores (PROTOCOL.md); 0: none */
	int64_t time_ms;
	bool scoring; /* one of the team's first n */
};
struct team_row {
	size_t place;     /* 0: incomplete, unranked */
	const char *team; /* the field's value */
	size_t finishers;
	int64_t score;               /* sum of team places, or of times in ms; 0 when incomplete */
	int64_t tiebreak;            /* the (n+1)th's team place or time; INT64_MAX: none */
	struct team_member *members; /* the team's finishers, in place order */
	size_t nmembers;
};
struct team_table {
	const struct cfg_team *rule;
	struct team_row *rows; /* ranked teams by place, then incomplete ones */
	size_t n;
	struct team_member *members_; /* one block for every row's members */
};
/* The table of the race's team rule id; SL_ENOENT (no such rule). */
int team_table(const struct core_entries *x, const char *id, struct team_table *out);
void team_table_release(struct team_table *t);
/* {"rule","field","score","category","rows":[{"place","team","finishers","score",
 * "tiebreak","members":[{"bib","name","place","team_place","time","scoring"}]}]} */
void team_pack(msgpack_packer *pk, const struct team_table *t);

/* ---- series (seriescfg.c, series.c) ---------------------------------------- */

enum series_by { SERIES_OVERALL, SERIES_SEX, SERIES_CATEGORY };
enum series_tie { TIE_WINS, TIE_COUNTBACK, TIE_LAST };
#define SERIES_MAX_EVENTS 100
#define SERIES_MAX_TABLE 1000
struct series_cfg {
	char *id, *name;
	char **events; /* event ids, in series order */
	char **races;  /* per event: the race that counts, or NULL: its first race */
	size_t nevents;
	char *match;    /* "reg" or "fields.<name>" */
	int by;         /* enum series_by */
	int64_t *table; /* points for places 1..ntable (then 0), or NULL: the rule */
	size_t ntable;
	int64_t first, step, floor; /* the rule: max(first - (place - 1) * step, floor) */
	size_t best;                /* results that count, 1..nevents */
	int ties[3];                /* enum series_tie, in order */
	size_t nties;
	char **same_from, **same_to; /* confirmed: id same_from[i] is athlete same_to[i] */
	size_t nsame;
};
/* A series document (a msgpack map; the CLI turns YAML into one): 0, or
 * SL_EINVAL with the path ("points.table[2]: expected an integer 0..100000"). */
int series_cfg_parse(const msgpack_object *doc, struct series_cfg *out, char *err, size_t errlen);
void series_cfg_release(struct series_cfg *c);

struct series_cell {
	bool scored;  /* placed in the event's counting race */
	bool counted; /* one of the athlete's best results */
	size_t place; /* in the ranking the points are by */
	int64_t points;
};
struct series_row {
	size_t place;              /* in the group (ties share) */
	const char *group;         /* "" (by overall), the sex, or the category id */
	const char *athlete;       /* the match id */
	const char *name;          /* as in the athlete's latest event */
	struct series_cell *cells; /* nevents */
	int64_t total;
};
enum series_dup_kind { DUP_SAME_PERSON, DUP_SAME_ID, DUP_TWICE };
struct series_dup {
	int kind;
	const char *id[2], *name[2], *event[2], *bib[2];
	const char *birth; /* DUP_SAME_PERSON */
};
struct series_noid {
	const char *event, *bib, *name;
};
struct series_table {
	const struct series_cfg *cfg;
	bool *missing;           /* per event: no results given for it */
	struct series_row *rows; /* by group, then place, then athlete id */
	size_t n;
	struct series_dup *dups; /* for an official to confirm */
	size_t ndups;
	struct series_noid *noid; /* placed entries without a match id: not in the series */
	size_t nnoid;
	struct series_cell *cells_;
};
/* Standings from ev[i], the entries of event i's counting race, or NULL
 * when the event has no results (yet): it is marked missing and counts for
 * no one. */
void series_compute(const struct series_cfg *cfg, const struct core_entries *const *ev,
		    struct series_table *out);
/* The same from the events' cores (cores[i] for cfg->events[i], NULL when
 * not loaded or not created): SL_EINVAL when a core holds another event,
 * SL_ENOENT when an event's race is not in it; err names the event. */
int series_compute_cores(const struct series_cfg *cfg, const core *const *cores,
			 struct series_table *out, char *err, size_t errlen);
void series_table_release(struct series_table *t);
/* The duplicates report, one line each, for an official to confirm. */
void series_dups_text(const struct series_table *t, sl_buf *out);
/* {"series","name","events":[{"event","missing"}],"rows":[{"place","group","athlete",
 * "name","results":[{"place","points","counted"} or nil per event],"total"}],
 * "duplicates":[{"kind","birth","entries":[{"id","name","event","bib"}]}]} */
void series_pack(msgpack_packer *pk, const struct series_table *t);
/* The standings as CSV (series_csv.c): place,group,athlete,name,total, then
 * per event its points, "(N)" when they do not count, empty when none. */
void score_series_csv(const struct series_table *t, sl_buf *b);

#endif

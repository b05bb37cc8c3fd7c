/*
 * config.h: the event configuration (PROTOCOL.md, "Event configuration"):
 * races with their kind, waves, ordered timing points with read rules, and
 * categories as predicates over participant fields.
 *
 * cfg_parse() validates a whole config map and builds a cfg, or fails with
 * a sentence naming the path ("races[0].points[2].role: expected start,
 * split or finish") and leaves nothing allocated.  Defaults are filled in by
 * the parser, so the rest of the core never looks at "absent".
 *
 * Two strengths.  A config sent now (event_create, checked by core_check)
 * is parsed with CFG_STRICT, which also refuses what a config once got
 * through with and should not have: a key no map knows (evkeys.h; with a
 * "did you mean"), a time without a UTC offset, wave bib ranges that
 * overlap (a bib is one athlete in one race), two categories with the same
 * rule, a malformed timezone.  A config record already in the log is a
 * fact and is folded as it always was (without CFG_STRICT): what was
 * accepted then gives the same results now.
 *
 * Ownership: a cfg owns all its strings and arrays; cfg_release() frees
 * them.  Lookups borrow.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

enum race_kind { RACE_MASS, RACE_TRIAL, RACE_LANES };
enum race_ranking { RANK_NET, RANK_GUN };
enum pt_role { PT_START, PT_SPLIT, PT_FINISH };
enum pt_rule { RULE_FIRST, RULE_LAST };
enum sex { SEX_NONE = -1, SEX_M = 0, SEX_F = 1, SEX_X = 2 };
#define NSEX 3
#define NO_TIME INT64_MIN
/* At most this many races, waves per race, points per race, categories. */
#define CFG_MAX_ITEMS 1000
/* Backup stations per point. */
#define CFG_MAX_STATIONS 16
/* Ranges in a race's bib_pool. */
#define CFG_MAX_POOL 64

struct cfg_point {
	char *id, *name;
	double distance_m;
	int role; /* enum pt_role */
	int rule; /* enum pt_rule */
	int64_t window_ms; /* -1: no upper bound */
	int64_t min_ms;    /* after the athlete's own start (0 for the start) */
	int64_t dedupe_ms;
	/* Backup stations for this crossing ("finish2", declared with
	 * station_of or stations); the point's own id is the primary. */
	char **stations;
	size_t nstations;
};

struct cfg_wave {
	char *id;
	int64_t t0; /* NO_TIME until a start is known */
	bool has_bibs;
	int64_t bib_lo, bib_hi;
};

struct cfg_cat {
	char *id, *name;
	int sex;              /* SEX_NONE: any */
	int age_min, age_max; /* -1: no bound */
	char *field, *equals; /* both or neither */
};

/* One handicap band: crews of class cls (NULL: any) whose age is in
 * [age_min, age_max] (-1: open) get value: seconds off, or a factor. */
struct cfg_hcap {
	char *cls;
	int age_min, age_max;
	double value;
};

/*
 * What a race's results are scored into besides places (scorecfg.c;
 * PROTOCOL.md, "Awards" and "Team scores"); server/score computes them.
 */
struct cfg_awards {
	int overall;          /* per sex (overall without sexes), 0..100, default 5 */
	int category;         /* per category, 0..100, default 3 */
	bool exclude_overall; /* an overall award winner gets no category award */
};
enum team_score { TEAM_PLACES, TEAM_TIMES };
#define CFG_MAX_TEAMS 16 /* team rules per race */
struct cfg_team {
	char *id;
	char *field;    /* "club" or "fields.<name>" */
	char *category; /* a category id of the race, or NULL: every finisher */
	int score;      /* enum team_score */
	int n, min;     /* scorers; finishers a team needs to be ranked (n..100) */
	int max;        /* a team's finishers that get team places (n..100; default n + 2) */
	bool displacers;
};

/* A race's `gpx` course: pages get it in the event topic, so it stays small. */
#define CFG_GPX_MAX (256 * 1024)

struct cfg_race {
	char *id, *name;
	int kind;    /* enum race_kind */
	int ranking; /* enum race_ranking */
	double distance_m;
	int64_t precision_ms;
	struct cfg_wave *waves;
	size_t nwaves;
	struct cfg_point *points;
	size_t npoints;
	struct cfg_cat *cats;
	size_t ncats;
	char *gpx; /* the course as GPX text (at most CFG_GPX_MAX bytes), or NULL */
	/* regattas (all optional) */
	int64_t start_interval_ms; /* trial: stagger by lane when no start read; -1 */
	int nlanes;                /* lanes for a line-up draw (default 8) */
	int *lane_order;           /* seeds to lanes, nlanes long (default centre out) */
	char *progression;         /* rule text, or NULL (checked by prog_parse) */
	char *boat_class;          /* given, or parsed from the name; NULL */
	bool hcap_factor;          /* handicap values are factors, else seconds */
	struct cfg_hcap *hcap;
	size_t nhcap;
	/* bib_pool: numeric bibs handed out at pickup, ranges in the given
	 * order (PROTOCOL.md "Event configuration") */
	struct cfg_range {
		int64_t lo, hi;
	} * pool;
	size_t npool;
	size_t nbackups; /* stations over all points: 0 for road races */
	int start_pt;  /* index of the start point, or -1 */
	int finish_pt; /* index of the finish point (always one) */
	/* awards (the defaults when not given) and team rules (scorecfg.c) */
	struct cfg_awards awards;
	struct cfg_team *teams;
	size_t nteams;
};

struct cfg {
	char *event, *name;
	char *timezone; /* IANA name (only its syntax is checked), or NULL */
	char *level, *organizer, *venue; /* the directory's (optional), or NULL */
	int64_t date_ms; /* midnight UTC of race day */
	int date_y, date_m, date_d;
	struct cfg_race *races;
	size_t nraces;
};

/* cfg_parse flags */
#define CFG_STRICT 1 /* a config sent now: the rules for new input (above) */

/* Parse and validate; 0 or SL_EINVAL with err.  *out is zeroed on error. */
int cfg_parse(const msgpack_object *map, struct cfg *out, int flags, char *err, size_t errlen);
/* The strict rules (cfgstrict.c): keys before the parse, values after it. */
int cfg__strict_keys(const msgpack_object *map, char *err, size_t errlen);
int cfg__strict_rules(const msgpack_object *map, const struct cfg *c, char *err, size_t errlen);
/* Every key of map is one of the evkeys map kind's (evkeys.h), else
 * SL_EINVAL "path.key: unknown key; did you mean ...?" (also for a series
 * document, server/score). */
int cfg__keys_of(const msgpack_object *map, int kind, const char *path, char *err, size_t errlen);
void cfg_release(struct cfg *c);
/* Each race's awards and teams (scorecfg.c), after the parse; with
 * CFG_STRICT a bad one refuses the config, else it is left out (the
 * defaults, no teams); its release. */
int cfg__score(const msgpack_object *map, struct cfg *c, int flags, char *err, size_t errlen);
void cfg__score_release(struct cfg_race *r);

/* Index or -1. */
int cfg_race_find(const struct cfg *c, const char *id, size_t n);
int cfg_wave_find(const struct cfg_race *r, const char *id, size_t n);
int cfg_point_find(const struct cfg_race *r, const char *id, size_t n);
/* The point a station id records (its own id: slot 0; backups 1..), or -1. */
int cfg_station_find(const struct cfg_race *r, const char *id, size_t n, int *slot);
/* The handicapped time of raw for a crew of class cls and age; raw when no
 * band matches.  Seconds are taken off; factors multiply (rounded to ms). */
int64_t cfg_hcap_apply(const struct cfg_race *r, const char *cls, double age, int64_t raw);
int cfg_cat_find(const struct cfg_race *r, const char *id, size_t n);
/* The wave whose bibs range holds bib, else the first wave; -1 if none. */
int cfg_wave_for_bib(const struct cfg_race *r, const char *bib);

const char *cfg_sex_name(int sex); /* "M", "F", "X" or NULL */
int cfg_sex_parse(const char *s, size_t n); /* SEX_* or -2 when invalid */

#endif

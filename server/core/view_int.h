/*
 * view_int.h: the inside of the views, shared by view.c (topics),
 * view_rows.c (lists, rows) and export.c.  Nothing else includes it.
 */
#ifndef SL_VIEW_INT_H
#define SL_VIEW_INT_H

#include "core_int.h"

enum {
	TOP_RESULTS,
	TOP_SEX,
	TOP_CAT,
	TOP_ATHLETE,
	TOP_FINISHES,
	TOP_UNKNOWN,
	TOP_STATUS,
	TOP_PROG,
	TOP_EVENT
};

struct topic {
	int kind;
	int race, sex, cat;
	uint32_t pidx; /* athlete: the participant, or NONE32 */
};

/* The regatta facts of a row: raw and adjusted time, margin to the leader. */
struct reg_row {
	bool timed;
	int64_t raw, adj, margin; /* margin: NO_TIME when there is no leader */
	int64_t penalty;
	size_t place;
	bool manual, exhib, releg;
};

/* view_rows.c */
/* The race named s (n bytes), or -1 (also before any config). */
int view__find_race(const core *c, const char *s, size_t n);
/* Pace (ms per km) of a net time over the race's distance. */
int64_t view__pace_of(const struct cfg_race *r, int64_t net);
/* Trial and lanes races: regatta rows and columns. */
bool view__is_regatta(const struct cfg_race *r);
void view__reg_row_of(const core *c, const struct part *p, struct reg_row *o);
/* The adjust records in force for bib (out: ADJ_NTYPES slots); how many. */
size_t view__reasons_of(const core *c, const char *bib, const struct adj_rec **out);
/* One participant's row (PROTOCOL.md, "Result row"). */
void view__pack_row(const core *c, msgpack_packer *pk, uint32_t pi);
/* Is p in the list of topic t? How many are? */
bool view__member(const core *c, const struct topic *t, const struct part *p);
size_t view__count_of(const core *c, const struct topic *t);
/* Rows [off, off+lim) of a ranking list (lim 0: all); returns owned ids. */
uint32_t *view__list_range(const core *c, const struct topic *t, size_t off, size_t lim,
			   size_t *cnt);

#endif

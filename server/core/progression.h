/*
 * progression.h: progression rules ("1-8 to Final A, 9-16 to Final B",
 * "1-2 to Final, rest to Repechage", "Top 3 + 3 fastest to race 252",
 * "Top 3 per Semi + Next 2 fastest from either Semi to Final A, 9-16 to
 * Final B", "3 to Final") and the line-up they give for the next round.
 *
 * A rule is a list of clauses, each sending some crews to a target:
 *   RANGE   places lo..hi of each heat ("9-16 to Final B"; "3 to Final" is
 *           places 1..3);
 *   TOPFAST places 1..top of each heat, then the `fastest` quickest of the
 *           crews not yet qualified, over all heats (ties at the last spot
 *           all go through);
 *   REST    every placed crew not sent anywhere by an earlier clause.
 * After a TOPFAST clause, a RANGE is an overall rank: "Top 3 per Semi +
 * Next 2 fastest to Final A, 9-16 to Final B" sends the crews not yet
 * qualified, fastest first, as overall places 9, 10, ... (the 8 qualified
 * so far being 1..8).
 * A clause without "to ..." goes to "Final".  Clauses are applied in order
 * and a crew goes to the first that takes it.  Crews without a place
 * (DNS, DNF, DQ, scratch, exhibition) never progress.
 *
 * Seeding of a target: direct qualifiers by place in heat, then by time;
 * then the fastest qualifiers by time.  Seed i gets lanes[i] (centre lanes
 * for the fastest with prog_centre_lanes()); seeds beyond the lanes get
 * lane 0, which the caller must report.
 *
 * Pure functions: no allocation beyond what the caller passes, no state.
 */
#ifndef SL_PROGRESSION_H
#define SL_PROGRESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum prog_kind { PROG_RANGE, PROG_TOPFAST, PROG_REST };
#define PROG_MAX_CLAUSES 8

struct prog_clause {
	int kind;     /* enum prog_kind */
	int lo, hi;   /* RANGE: places lo..hi; TOPFAST: 1..hi */
	int fastest;  /* TOPFAST: how many next-fastest */
	bool to_race; /* the target was written "race N": target is N */
	char target[48];
};

struct prog_rule {
	size_t n;
	struct prog_clause c[PROG_MAX_CLAUSES];
};

/*
 * 0 and *out; SL_ENOENT when the text is no rule at all (a trophy name,
 * "Final Only", "From Heats", ""); SL_EINVAL with err naming the clause
 * when it starts like a rule but cannot be read.
 */
int prog_parse(const char *s, struct prog_rule *out, char *err, size_t errlen);

/* One crew's result in a heat feeding the next round (borrowed strings). */
struct prog_result {
	const char *heat;
	const char *crew;
	int place;    /* 0: no place */
	int64_t time; /* adjusted time in ms, INT64_MIN when none */
};

struct prog_pick {
	size_t idx;  /* into the results */
	int seed;    /* 1-based */
	int lane;    /* 0: more crews than lanes */
	int clause;  /* the clause that sent it */
};

/*
 * The line-up of target (case-insensitive; for "race N" targets the N)
 * from results of every heat that feeds it.  out holds room for n picks;
 * returns the number of picks.
 */
size_t prog_lineup(const struct prog_rule *r, const char *target, const struct prog_result *res,
		   size_t n, const int *lanes, size_t nlanes, struct prog_pick *out);

/* Lanes 1..n ordered from the centre out (8: 4 5 3 6 2 7 1 8). */
void prog_centre_lanes(int n, int *out);

#endif

/*
 * adjust.h: officials' adjustments (PROTOCOL.md, "Log records": adjust).
 *
 * An adjust record is a fact about one bib: a penalty (total time added),
 * a flag set or cleared (dq, dns, dnf, scratch, exhibition, relegation), a
 * place set by hand (judges' decision), or, for one timing point, the
 * station whose reading is official or a time entered by hand.  Every
 * record carries the reason and the official.  Records are kept in log
 * order; the folded state of a bib (struct adj_state) is what the last
 * record of each kind said.
 *
 * Ownership: adj_parse fills an owned adj_rec (adj_release frees); an
 * adj_state owns its strings (adj_state_release).
 */
#ifndef SL_ADJUST_H
#define SL_ADJUST_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

enum adj_type {
	ADJ_PENALTY,
	ADJ_DQ,
	ADJ_DNS,
	ADJ_DNF,
	ADJ_SCRATCH,
	ADJ_EXHIB,
	ADJ_RELEG,
	ADJ_PLACE,
	ADJ_STATION,
	ADJ_HAND,
	ADJ_NTYPES
};

struct adj_rec {
	char *bib;
	int type;       /* enum adj_type */
	int64_t ms;     /* penalty: total time added */
	bool on;        /* flags: set (true) or cleared */
	int place;      /* place: 0 clears */
	bool dead_heat; /* place: shared with whoever else is there (no renumbering) */
	char *pt;       /* station, hand time: the point */
	char *station;  /* station: NULL clears (back to the primary) */
	int64_t t;      /* hand time: INT64_MIN clears */
	char *reason, *official;
};

struct adj_point {
	char *pt;
	char *station; /* or NULL */
	int64_t hand;  /* or INT64_MIN */
};

struct adj_state {
	char *bib;
	int64_t penalty_ms;
	bool place_dh; /* the judges' place is a declared dead heat */
	bool flag[ADJ_NTYPES]; /* by adj_type, for the flag kinds */
	int place;
	struct adj_point *pts;
	size_t npts;
};

int adj_parse(const msgpack_object *root, struct adj_rec *a, char *err, size_t errlen);
void adj_release(struct adj_rec *a);
/* The record map back ({"k":"adjust",...}), as parsed. */
void adj_pack(msgpack_packer *pk, const struct adj_rec *a);
const char *adj_type_name(int type);
bool adj_is_flag(int type);

void adj_state_apply(struct adj_state *s, const struct adj_rec *a);
void adj_state_release(struct adj_state *s);
/* The point's override, or NULL. */
const struct adj_point *adj_state_point(const struct adj_state *s, const char *pt);

#endif

/*
 * boatclass.h: the boat class named in a regatta event name.
 *
 * boatclass_parse() scans an event name ("Men's Novice 4+", "W1x",
 * "R201 E304 Mens Bantam C-1 1000m - Heat1", "Womens Novice 4x+") word by
 * word and reports the boat: rowing (seats 1, 2, 4 or 8; sculls "x",
 * coxed "+", coxless "-"), kayak K-n, canoe C-n, para classes (KL1, VL2,
 * PV1), plus the sex word and a distance ("1000m") when present.  The
 * canonical code is what handicap tables key on: "4+", "1x", "4x+", "2-",
 * "K-2", "C-1", "KL1".  Pure: no allocation, no state.
 */
#ifndef SL_BOATCLASS_H
#define SL_BOATCLASS_H

#include <stdbool.h>

enum boat_kind { BOAT_ROW, BOAT_KAYAK, BOAT_CANOE, BOAT_PARA };

struct boatclass {
	int kind;     /* enum boat_kind */
	int seats;    /* paddlers or rowers, not counting a coxswain */
	bool sculls;  /* rowing: two oars each */
	bool coxed;   /* rowing: with coxswain */
	char sex;     /* 'M', 'W', 'X' (mixed) or 0 when not named */
	int distance_m; /* 0 when not named */
	char code[8]; /* canonical: "4+", "1x", "4x+", "2-", "K-2", "C-1", "KL1" */
};

/* 0, or SL_ENOENT when the name holds no boat class.  s is NUL-terminated. */
int boatclass_parse(const char *s, struct boatclass *out);

#endif

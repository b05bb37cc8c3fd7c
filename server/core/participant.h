/*
 * participant.h: one participant row (PROTOCOL.md, "Participant row"), as
 * given: bib, race and wave (NULL when left to the defaults, so a new config
 * can re-resolve them), up to two chips, name, sex, birth date or age, club
 * and custom fields.
 *
 * entry_parse() checks the row on its own (types, formats); checks against
 * the config (does the race exist?) are the core's.  Errors name the field:
 * "rows[12].sex: expected M, F or X".
 *
 * Ownership: an entry owns its strings; entry_release() frees them.
 */
#ifndef SL_PARTICIPANT_H
#define SL_PARTICIPANT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define ENTRY_MAX_CHIPS 2

struct entry {
	char *bib;  /* NULL only for a registration without a bib (reg set) */
	char *reg;  /* registration code, or NULL */
	bool blank; /* a bib (with its chips) not given to anyone yet: in no race */
	char *race; /* as given, or NULL */
	char *wave; /* as given, or NULL */
	char *chips[ENTRY_MAX_CHIPS];
	int nchips;
	char *name, *club; /* never NULL */
	int sex;           /* SEX_* */
	char *birth;       /* "YYYY-MM-DD" or NULL */
	int64_t birth_ms;
	int age; /* given age on race day, or -1 */
	size_t nfields;
	char **fkeys, **fvals;
	/* regattas: an entry is a boat */
	int lane; /* "lane" (or "bow") 1..99, or -1 */
	size_t nmembers;
	struct member {
		char *name;
		int age; /* -1 */
		bool cox;
	} *members;
};

#define ENTRY_MAX_MEMBERS 16
/* Average age of the crew without coxswains (members' given ages), else
 * the entry's age; -1 when unknown. */
double entry_crew_age(const struct entry *e, int age);

int entry_parse(const msgpack_object *row, struct entry *e, const char *path, char *err,
		size_t errlen);
void entry_release(struct entry *e);
/* The person fields of a transfer's "to" map (name required); the entry's
 * bib, race, chips... stay empty. */
int entry_parse_person(const msgpack_object *m, struct entry *e, const char *path, char *err,
		       size_t errlen);
/* A deep copy of src into dst (returns owned, release with entry_release). */
void entry_dup(struct entry *dst, const struct entry *src);
/* Exchange the persons of two entries (reg, name, club, sex, birth, age,
 * fields, members); bib, race, wave, chips and lane stay. */
void entry_swap_person(struct entry *a, struct entry *b);
/* Pack the row back (the same fields, only those given). */
void entry_pack(msgpack_packer *pk, const struct entry *e);
/* The custom field's value, or NULL. */
const char *entry_field(const struct entry *e, const char *key);
/* Age on race day: from the birth date when given, else the given age; -1. */
int entry_age(const struct entry *e, const struct cfg *c);
/* A chip code: 1 to 64 printable bytes, no space or '/'. */
bool entry_chip_ok(const char *s, size_t n);
/* Bib order: numeric bibs by value, before other bibs in byte order. */
int entry_bib_cmp(const char *a, const char *b);

#endif

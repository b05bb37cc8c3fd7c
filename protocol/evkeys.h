/*
 * evkeys.h: the keys each map of the event configuration may hold
 * (PROTOCOL.md, "Event configuration"), in one table that both readers of
 * a config use: the core's validator (server/core/config.c) refuses a
 * config sent over the wire with a key outside it, and the CLI's YAML
 * reader (clients/common/evcfg.c) reports it as FILE:LINE before anything
 * is sent.  A key added to the config is added here, once.  A series
 * document (PROTOCOL.md, "Series") is checked against the same kind of
 * table by its own parser (server/score/seriescfg.c).
 *
 * A key that is not known gets a suggestion: the known key of the same map
 * at the smallest edit distance (insertions, deletions, substitutions and
 * swaps of two neighbours each count 1), when it is close enough to be a
 * typo ("rankng" -> "ranking", "distanse_m" -> "distance_m").
 *
 * Everything here is static data or pure functions; nothing is owned.
 */
#ifndef SL_EVKEYS_H
#define SL_EVKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The maps of a config, by where they appear. */
enum evkeys_map {
	EVK_EVENT,    /* the top level */
	EVK_RACE,     /* races[i] */
	EVK_WAVE,     /* races[i].waves[j] */
	EVK_POINT,    /* races[i].points[j] (a timing point) */
	EVK_STATION,  /* races[i].points[j] with station_of (a backup station) */
	EVK_CATEGORY, /* races[i].categories[j] */
	EVK_HANDICAP, /* races[i].handicap */
	EVK_HCAP_ROW, /* races[i].handicap.rows[j] */
	EVK_AWARDS,   /* races[i].awards (PROTOCOL.md, "Awards") */
	EVK_TEAM,     /* races[i].teams[j] (PROTOCOL.md, "Team scores") */
	EVK_SERIES,   /* a series document, its top level (PROTOCOL.md, "Series") */
	EVK_SPOINTS,  /* a series document's points */
	EVK_NMAPS
};

/* The keys of a map, NULL-terminated, in the order PROTOCOL.md gives them. */
const char *const *evkeys_of(int map);
/* Whether key (n bytes, not NUL-terminated) is one of the map's keys. */
bool evkeys_known(int map, const char *key, size_t n);
/* The map's known key closest to key when it looks like a typo, else NULL. */
const char *evkeys_suggest(int map, const char *key, size_t n);

/*
 * Waves' bib ranges that overlap: a bib is one athlete in one race and one
 * wave.  v holds each wave's range (race i, wave j); sorted by lo here, a
 * range overlaps an earlier one exactly when it begins at or below the
 * highest end seen so far.  For each overlap, fn gets the two waves in
 * config order (a first) and the bibs both hold, in text ("bib 7", "bibs
 * 5-9"); fn returns false to stop.
 */
struct evspan {
	int64_t lo, hi;
	uint32_t race, wave;
};
typedef bool (*evspan_fn)(const struct evspan *a, const struct evspan *b, const char *both,
			  void *ctx);
void evkeys_overlaps(struct evspan *v, size_t n, evspan_fn fn, void *ctx);
/*
 * Optimal string alignment distance between a (an bytes) and b (bn bytes),
 * capped: any distance above cap is returned as cap + 1.
 */
size_t evkeys_distance(const char *a, size_t an, const char *b, size_t bn, size_t cap);

/*
 * An IANA time zone name as the config's `timezone` holds it: 1 to 64
 * bytes of letters, digits, '_', '+', '-' in parts separated by '/', no
 * part empty, none beginning with '-' (America/New_York,
 * Europe/Berlin, UTC, Etc/GMT+5).  Only the syntax: whether the zone
 * exists is for whoever has a zone database (the CLI checks
 * /usr/share/zoneinfo; pages ask Intl).
 */
bool evkeys_tz_name_ok(const char *s, size_t n);

#endif

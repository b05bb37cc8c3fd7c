/*
 * evkeys.c: the table of the event configuration's keys (see evkeys.h).
 */
#include "evkeys.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

static const char *const k_event[] = {"event", "name",  "date",  "timezone", "level",
				       "organizer", "venue", "races", NULL};
/* clang-format off */
static const char *const k_race[] = {
	"id", "name", "kind", "distance_m", "ranking", "precision_ms", "waves", "points",
	"categories", "bib_pool", "gpx",
	/* regattas (PROTOCOL.md, "Regatta") */
	"start_interval_s", "lanes", "lane_order", "progression", "boat_class", "handicap",
	/* results computed from the race's (PROTOCOL.md, "Awards", "Team scores") */
	"awards", "teams", NULL};
/* clang-format on */
static const char *const k_wave[] = {"id", "start", "bibs", NULL};
static const char *const k_point[] = {"id",       "name",  "distance_m", "role",     "rule",
				      "window_s", "min_s", "dedupe_s",   "stations", NULL};
static const char *const k_station[] = {"id", "station_of", NULL};
static const char *const k_category[] = {"id",      "name",  "sex",    "age_min",
					 "age_max", "field", "equals", NULL};
static const char *const k_handicap[] = {"unit", "rows", NULL};
static const char *const k_hcap_row[] = {"class", "age_min", "age_max", "value", NULL};

static const char *const k_awards[] = {"overall", "category", "exclude_overall", NULL};
static const char *const k_team[] = {"id",         "field", "score",    "n", "min",
				     "displacers", "max",   "category", NULL};
static const char *const k_series[] = {"series", "name", "events", "races", "match",
				       "points", "best", "ties",   "same",  NULL};
static const char *const k_series_points[] = {"by", "table", "first", "step", "floor", NULL};

static const char *const *const tables[EVK_NMAPS] = {
	[EVK_EVENT] = k_event,       [EVK_RACE] = k_race,         [EVK_WAVE] = k_wave,
	[EVK_POINT] = k_point,       [EVK_STATION] = k_station,   [EVK_CATEGORY] = k_category,
	[EVK_HANDICAP] = k_handicap, [EVK_HCAP_ROW] = k_hcap_row, [EVK_AWARDS] = k_awards,
	[EVK_TEAM] = k_team,         [EVK_SERIES] = k_series,     [EVK_SPOINTS] = k_series_points,
};

const char *const *evkeys_of(int map)
{
	static const char *const none[] = {NULL};
	return map >= 0 && map < EVK_NMAPS ? tables[map] : none;
}

bool evkeys_known(int map, const char *key, size_t n)
{
	for (const char *const *k = evkeys_of(map); *k; k++)
		if (strlen(*k) == n && memcmp(*k, key, n) == 0)
			return true;
	return false;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* Keys are short; longer input is not a typo of any of them. */
#define DIST_MAX_LEN 64

size_t evkeys_distance(const char *a, size_t an, const char *b, size_t bn, size_t cap)
{
	if (an > DIST_MAX_LEN || bn > DIST_MAX_LEN)
		return cap + 1;
	size_t d[DIST_MAX_LEN + 1][DIST_MAX_LEN + 1];
	for (size_t i = 0; i <= an; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= bn; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= an; i++)
		for (size_t j = 1; j <= bn; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1; /* two neighbours swapped */
		}
	return d[an][bn] > cap ? cap + 1 : d[an][bn];
}

const char *evkeys_suggest(int map, const char *key, size_t n)
{
	const char *best = NULL;
	size_t best_d = 0;
	for (const char *const *k = evkeys_of(map); *k; k++) {
		size_t kn = strlen(*k), longer = kn > n ? kn : n;
		/* one slip in a short key, two in a longer one */
		size_t allowed = longer >= 6 ? 2 : 1;
		size_t d = evkeys_distance(key, n, *k, kn, allowed);
		if (d <= allowed && (!best || d < best_d)) {
			best = *k;
			best_d = d;
		}
	}
	return best;
}

bool evkeys_tz_name_ok(const char *s, size_t n)
{
	if (n < 1 || n > 64)
		return false;
	size_t part = 0; /* bytes of the current part so far */
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (part == 0)
				return false;
			part = 0;
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-';
		if (!ok || (part == 0 && c == '-'))
			return false;
		part++;
	}
	return true;
}

static int span_cmp(const void *a, const void *b)
{
	const struct evspan *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->race != y->race)
		return x->race < y->race ? -1 : 1;
	return x->wave < y->wave ? -1 : x->wave > y->wave;
}

void evkeys_overlaps(struct evspan *v, size_t n, evspan_fn fn, void *ctx)
{
	size_t top = 0;
	char both[64];
	if (n > 1)
		qsort(v, n, sizeof(*v), span_cmp);
	for (size_t k = 1; k < n; k++) {
		if (v[k].lo > v[top].hi) {
			top = k;
			continue;
		}
		const struct evspan *a = &v[top], *b = &v[k];
		if (a->race > b->race || (a->race == b->race && a->wave > b->wave)) {
			const struct evspan *t = a;
			a = b;
			b = t;
		}
		int64_t lo = a->lo > b->lo ? a->lo : b->lo, hi = a->hi < b->hi ? a->hi : b->hi;
		if (lo == hi)
			snprintf(both, sizeof(both), "bib %lld", (long long)lo);
		else
			snprintf(both, sizeof(both), "bibs %lld-%lld", (long long)lo, (long long)hi);
		if (!fn(a, b, both, ctx))
			return;
		if (v[k].hi > v[top].hi)
			top = k;
	}
}

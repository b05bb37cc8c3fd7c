/*
 * cfgfind.c: looking things up in a parsed event configuration (see
 * config.h): a race, wave, point, category or station by id (ids as
 * (pointer, length), not NUL-terminated), and the wave a bib falls in by
 * the waves' bib ranges.  Lists are short (a few races, waves and points):
 * a linear scan in config order, so the first match wins.
 */
#include <stddef.h>
#include <string.h>

#include "config.h"

static bool eqn(const char *a, const char *b, size_t n)
{
	return strlen(a) == n && memcmp(a, b, n) == 0;
}

/*
 * One scan for the four lists.  Each item type starts with its `char *id`
 * (checked below), so a pointer to an item is a pointer to its id.
 */
_Static_assert(offsetof(struct cfg_race, id) == 0, "a race starts with its id");
_Static_assert(offsetof(struct cfg_wave, id) == 0, "a wave starts with its id");
_Static_assert(offsetof(struct cfg_point, id) == 0, "a point starts with its id");
_Static_assert(offsetof(struct cfg_cat, id) == 0, "a category starts with its id");

static int find_id(const void *items, size_t count, size_t size, const char *id, size_t n)
{
	const char *p = items;
	for (size_t i = 0; i < count; i++, p += size)
		if (eqn(*(char *const *)p, id, n))
			return (int)i;
	return -1;
}

int cfg_race_find(const struct cfg *c, const char *id, size_t n)
{
	return find_id(c->races, c->nraces, sizeof(*c->races), id, n);
}

int cfg_wave_find(const struct cfg_race *r, const char *id, size_t n)
{
	return find_id(r->waves, r->nwaves, sizeof(*r->waves), id, n);
}

int cfg_point_find(const struct cfg_race *r, const char *id, size_t n)
{
	return find_id(r->points, r->npoints, sizeof(*r->points), id, n);
}

int cfg_cat_find(const struct cfg_race *r, const char *id, size_t n)
{
	return find_id(r->cats, r->ncats, sizeof(*r->cats), id, n);
}

int cfg_wave_for_bib(const struct cfg_race *r, const char *bib)
{
	if (!r->nwaves)
		return -1;
	char *end;
	if (*bib >= '0' && *bib <= '9') {
		long long v = strtoll(bib, &end, 10);
		if (*end == '\0')
			for (size_t i = 0; i < r->nwaves; i++)
				if (r->waves[i].has_bibs && v >= r->waves[i].bib_lo &&
				    v <= r->waves[i].bib_hi)
					return (int)i;
	}
	return 0;
}

int cfg_station_find(const struct cfg_race *r, const char *id, size_t n, int *slot)
{
	for (size_t i = 0; i < r->npoints; i++) {
		if (eqn(r->points[i].id, id, n)) {
			*slot = 0;
			return (int)i;
		}
		for (size_t q = 0; q < r->points[i].nstations; q++)
			if (eqn(r->points[i].stations[q], id, n)) {
				*slot = (int)q + 1;
				return (int)i;
			}
	}
	return -1;
}

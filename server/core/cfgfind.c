/*
 * cfgfind.c: looking things up in a parsed event configuration (see
 * config.h): a race, wave, point, category or station by id (ids as
 * (pointer, length), not NUL-terminated), and the wave a bib falls in by
 * the waves' bib ranges.  Lists are short (a few races, waves and points):
 * a linear scan in config order, so the first match wins.
 */
#include <string.h>

#include "config.h"

static bool eqn(const char *a, const char *b, size_t n)
{
	return strlen(a) == n && memcmp(a, b, n) == 0;
}

int cfg_race_find(const struct cfg *c, const char *id, size_t n)
{
	for (size_t i = 0; i < c->nraces; i++)
		if (eqn(c->races[i].id, id, n))
			return (int)i;
	return -1;
}

int cfg_wave_find(const struct cfg_race *r, const char *id, size_t n)
{
	for (size_t i = 0; i < r->nwaves; i++)
		if (eqn(r->waves[i].id, id, n))
			return (int)i;
	return -1;
}

int cfg_point_find(const struct cfg_race *r, const char *id, size_t n)
{
	for (size_t i = 0; i < r->npoints; i++)
		if (eqn(r->points[i].id, id, n))
			return (int)i;
	return -1;
}

int cfg_cat_find(const struct cfg_race *r, const char *id, size_t n)
{
	for (size_t i = 0; i < r->ncats; i++)
		if (eqn(r->cats[i].id, id, n))
			return (int)i;
	return -1;
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

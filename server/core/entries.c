/*
 * entries.c: a race's entries for what is computed from its results
 * outside the core (server/score: awards, team scores, series; core.h,
 * core_race_entries).  A read-only walk of the race's by-bib listing: the
 * places are the ones every view shows (a judges' place included), the time
 * is the one that ranks (handicap and penalties in).
 */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

int core_race_entries(const core *c, const char *race, struct core_entries *out)
{
	memset(out, 0, sizeof(*out));
	int ri = !c->has_cfg ? -1 : race ? cfg_race_find(&c->cfg, race, strlen(race)) : 0;
	if (ri < 0)
		return SL_ENOENT;
	const struct race_state *rs = &c->rs[ri];
	size_t ncat = 0;
	for (size_t j = 0; j < rs->nby_bib; j++)
		ncat += c->parts[rs->by_bib[j]].ncats;
	out->race = &c->cfg.races[ri];
	out->n = rs->nby_bib;
	out->v = sl_calloc(out->n ? out->n : 1, sizeof(*out->v));
	out->places_ = sl_calloc(ncat ? ncat : 1, sizeof(*out->places_));
	size_t at = 0;
	for (size_t j = 0; j < rs->nby_bib; j++) {
		const struct part *p = &c->parts[rs->by_bib[j]];
		struct core_entry *e = &out->v[j];
		bool manual;
		e->bib = p->e.bib ? p->e.bib : "";
		e->name = p->e.name;
		e->club = p->e.club;
		e->reg = p->e.reg;
		e->birth = p->e.birth;
		e->sex = cfg_sex_name(p->e.sex);
		e->status = core__status_name(p->status);
		e->ranked = p->ranked;
		e->time_ms = p->ranked ? p->adj_ms : INT64_MIN;
		e->place = core__shown_place(c, p, &manual);
		if (p->ranked && p->e.sex >= 0)
			e->place_sex = core__place(p, &rs->sex[p->e.sex]);
		e->ncats = p->ncats;
		e->cats = p->cats;
		e->place_cats = out->places_ + at;
		for (uint16_t k = 0; k < p->ncats; k++)
			e->place_cats[k] = p->ranked ? core__place(p, &rs->cat[p->cats[k]]) : 0;
		at += p->ncats;
		e->e = &p->e;
	}
	return 0;
}

void core_entries_release(struct core_entries *x)
{
	SL_FREE_MANY(x->v, x->places_);
	memset(x, 0, sizeof(*x));
}

const char *core_entry_field(const struct core_entry *e, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} direct[] = {
		{"bib", offsetof(struct core_entry, bib)},
		{"name", offsetof(struct core_entry, name)},
		{"club", offsetof(struct core_entry, club)},
		{"reg", offsetof(struct core_entry, reg)},
		{"birth", offsetof(struct core_entry, birth)},
		{"sex", offsetof(struct core_entry, sex)},
	};
	for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
		if (strcmp(name, direct[i].name) == 0)
			return *(const char *const *)((const char *)e + direct[i].off);
	if (strncmp(name, "fields.", 7) == 0 && e->e)
		return entry_field(e->e, name + 7);
	return NULL;
}

/*
 * roster.c: the participant store.  Entries by bib, registrations without
 * a bib (until a desk assigns one), codes attached to participants (chips
 * and the bib itself), race/wave/age/category resolution, member counts and
 * the by-bib listing of each race, the bib pool, and officials' adjustments
 * per bib.
 *
 * Putting an entry resolves it and recomputes its result (crossing.c);
 * check-in (checkin.c) and the participants record (fold.c) come through
 * here.  Takes ownership of the entries and adjustments handed in.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "core_int.h"

/*
 * A numeric bib's value + 1, or 0 for other bibs (and numbers of more than
 * 18 digits).  Bibs with different non-zero keys are in entry_bib_cmp()
 * order by key alone; anything else needs the full comparison.
 */
static uint64_t bib_key(const char *b)
{
	uint64_t v = 0;
	size_t n = 0;
	if (!*b)
		return 0;
	while (*b == '0' && b[1])
		b++;
	for (; b[n]; n++) {
		if (b[n] < '0' || b[n] > '9' || n >= 18)
			return 0;
		v = v * 10 + (uint64_t)(b[n] - '0');
	}
	return v + 1;
}

/* Whether an entry whose age on race day is age (-1: unknown) is in k. */
static bool cat_match(const struct cfg_cat *k, const struct entry *e, int age)
{
	if (k->sex != SEX_NONE && e->sex != k->sex)
		return false;
	if (k->age_min >= 0 || k->age_max >= 0) {
		if (age < 0 || (k->age_min >= 0 && age < k->age_min) ||
		    (k->age_max >= 0 && age > k->age_max))
			return false;
	}
	if (k->field) {
		const char *v = entry_field(e, k->field);
		if (!v || strcmp(v, k->equals) != 0)
			return false;
	}
	return true;
}

void core_nocat(const core *c, const msgpack_object *rows, struct core_nocat *out)
{
	memset(out, 0, sizeof(*out));
	if (!c->has_cfg || !rows || rows->type != MSGPACK_OBJECT_ARRAY)
		return;
	for (uint32_t i = 0; i < rows->via.array.size; i++) {
		struct entry e;
		char ebuf[8];
		int ri = -1;
		memset(&e, 0, sizeof(e));
		if (entry_parse(&rows->via.array.ptr[i], &e, "", ebuf, sizeof(ebuf)) < 0)
			continue;
		if (!e.blank && e.race)
			ri = cfg_race_find(&c->cfg, e.race, strlen(e.race));
		else if (!e.blank && c->cfg.nraces == 1)
			ri = 0;
		if (ri >= 0 && c->cfg.races[ri].ncats) {
			const struct cfg_race *r = &c->cfg.races[ri];
			int age = entry_age(&e, &c->cfg);
			size_t k = 0;
			while (k < r->ncats && !cat_match(&r->cats[k], &e, age))
				k++;
			const char *who = e.bib ? e.bib : e.reg;
			if (k == r->ncats && who) {
				if (out->nbibs < CORE_NOCAT_BIBS)
					out->bibs[out->nbibs++] = sl_strdup(who);
				out->n++;
			}
		}
		entry_release(&e);
	}
}

void core_nocat_release(struct core_nocat *x)
{
	for (size_t i = 0; i < x->nbibs; i++)
		free(x->bibs[i]);
	memset(x, 0, sizeof(*x));
}

/* Resolve race, wave, age and categories; reset the derived result. The
 * participant must be out of every tree. */
void core__resolve(core *c, struct part *p)
{
	core__set_status(c, p, ST_REGISTERED);
	p->race = p->wave = -1;
	p->ncats = 0;
	p->start = p->t0 = NO_TIME;
	p->last = -1;
	p->ranked = p->fin = false;
	p->age = p->e.age;
	if (!c->has_cfg || p->e.blank) /* a blank bib is in no race until given */
		return;
	p->age = entry_age(&p->e, &c->cfg);
	if (p->e.race)
		p->race = cfg_race_find(&c->cfg, p->e.race, strlen(p->e.race));
	else if (c->cfg.nraces == 1)
		p->race = 0;
	if (p->race < 0)
		return;
	const struct cfg_race *r = &c->cfg.races[p->race];
	if (p->e.wave)
		p->wave = cfg_wave_find(r, p->e.wave, strlen(p->e.wave));
	if (p->wave < 0)
		p->wave = cfg_wave_for_bib(r, p->e.bib);
	p->cats = sl_realloc(p->cats, (r->ncats ? r->ncats : 1) * sizeof(*p->cats));
	for (size_t k = 0; k < r->ncats; k++)
		if (cat_match(&r->cats[k], &p->e, p->age))
			p->cats[p->ncats++] = (uint16_t)k;
	p->cross = sl_realloc(p->cross, 3 * r->npoints * sizeof(*p->cross));
	p->best = p->cross + r->npoints;
	for (size_t j = 0; j < r->npoints; j++)
		p->cross[j] = p->best[2 * j] = p->best[2 * j + 1] = NO_TIME;
}

static void attach(core *c, uint32_t pi, int slot, uint32_t ci)
{
	struct code *k = &c->codes[ci];
	if (k->pidx == pi) {
		c->parts[pi].code[slot] = ci;
		return;
	}
	if (k->pidx != NONE32) {
		/* The code moves to this participant: the other one loses it. */
		struct part *o = &c->parts[k->pidx];
		for (int s = 0; s < PART_NCODES; s++)
			if (o->code[s] == ci)
				o->code[s] = NONE32;
		core__queue(c, k->pidx);
	} else if (k->nreads) {
		c->nunknown--;
		core__mark_uchg(c, ci);
	}
	k->pidx = pi;
	c->parts[pi].code[slot] = ci;
}

static void detach(core *c, uint32_t pi)
{
	struct part *p = &c->parts[pi];
	for (int s = 0; s < PART_NCODES; s++) {
		uint32_t ci = p->code[s];
		if (ci == NONE32)
			continue;
		c->codes[ci].pidx = NONE32;
		if (c->codes[ci].nreads) {
			c->nunknown++;
			core__mark_uchg(c, ci);
		}
		p->code[s] = NONE32;
	}
}

void core__put_entry(core *c, struct entry *e, bool now)
{
	bool added;
	uint32_t pi = *hmap_upsert(&c->bibs, e->bib, strlen(e->bib), (uint32_t)c->nparts, &added);
	struct part *p;
	int old_race = -1, old_sex = SEX_NONE;
	uint16_t old_cats[64];
	uint16_t old_ncats = 0;

	if (added) {
		SL_GROW(c->parts, c->cparts, c->nparts + 1);
		p = &c->parts[c->nparts++];
		memset(p, 0, sizeof(*p));
		for (int s = 0; s < PART_NCODES; s++)
			p->code[s] = NONE32;
		p->race = p->wave = p->last = p->listed = -1;
		p->start = p->t0 = NO_TIME;
		p->ast = NONE32;
	} else {
		p = &c->parts[pi];
		old_race = p->race;
		old_sex = p->e.sex;
		old_ncats = p->ncats < 64 ? p->ncats : 64;
		if (old_ncats)
			memcpy(old_cats, p->cats, old_ncats * sizeof(*old_cats));
		core__unrank(c, p, pi);
		detach(c, pi);
		entry_release(&p->e);
	}
	p->e = *e;
	p->bibkey = bib_key(p->e.bib);
	if (!hmap_get(&c->astmap, p->e.bib, strlen(p->e.bib), &p->ast))
		p->ast = NONE32;
	memset(e, 0, sizeof(*e));
	if (p->e.reg)
		hmap_set(&c->regmap, p->e.reg, strlen(p->e.reg), pi);
	core__resolve(c, p);
	for (int i = 0; i < p->e.nchips; i++)
		attach(c, pi, i,
		       core__code_upsert(c, NS_CHIP, p->e.chips[i], strlen(p->e.chips[i])));
	attach(c, pi, ENTRY_MAX_CHIPS, core__code_upsert(c, NS_BIB, p->e.bib, strlen(p->e.bib)));
	if (!added && (old_race != p->race || old_sex != p->e.sex || old_ncats != p->ncats ||
		       (old_ncats && memcmp(old_cats, p->cats, old_ncats * sizeof(*old_cats)))))
		c->chg_all = true; /* it left a topic: views resend snapshots */
	if (now)
		core__recompute(c, pi, true);
}

int core__reg_find(const core *c, const char *reg, size_t n, uint32_t *pi, uint32_t *pend)
{
	uint32_t v;
	if (!hmap_get(&c->regmap, reg, n, &v))
		return 0;
	if (v & REG_PEND) {
		const struct entry *e = &c->pend[v & ~REG_PEND];
		if (!e->reg || strlen(e->reg) != n || memcmp(e->reg, reg, n) != 0)
			return 0;
		*pend = v & ~REG_PEND;
		return 2;
	}
	const struct entry *e = &c->parts[v].e;
	if (!e->reg || strlen(e->reg) != n || memcmp(e->reg, reg, n) != 0)
		return 0; /* the code moved on (swap, transfer) */
	*pi = v;
	return 1;
}

void core__put_pending(core *c, struct entry *e)
{
	uint32_t pi, q;
	size_t n = strlen(e->reg);
	if (core__reg_find(c, e->reg, n, &pi, &q) == 2) {
		entry_release(&c->pend[q]);
		c->pend[q] = *e;
	} else {
		SL_GROW(c->pend, c->cpend, c->npend + 1);
		q = (uint32_t)c->npend++;
		c->pend[q] = *e;
		hmap_set(&c->regmap, e->reg, n, REG_PEND | q);
	}
	memset(e, 0, sizeof(*e));
}

int core__pending_race(const core *c, const struct entry *e)
{
	if (!c->has_cfg)
		return -1;
	if (e->race)
		return cfg_race_find(&c->cfg, e->race, strlen(e->race));
	return c->cfg.nraces == 1 ? 0 : -1;
}

uint32_t core__chip_owner(const core *c, const char *chip, size_t n)
{
	uint32_t ci;
	return core__code_find(c, NS_CHIP, chip, n, &ci) ? c->codes[ci].pidx : NONE32;
}

int core__pool_next(core *c, int ri, char *buf, size_t n)
{
	const struct cfg_race *r = &c->cfg.races[ri];
	struct race_state *rs = &c->rs[ri];
	uint32_t pi;
	if (!r->npool)
		return SL_ENOENT;
	for (; rs->pool_range < r->npool; rs->pool_range++, rs->pool_next = 0) {
		const struct cfg_range *g = &r->pool[rs->pool_range];
		if (rs->pool_next < g->lo)
			rs->pool_next = g->lo;
		for (; rs->pool_next <= g->hi; rs->pool_next++) {
			snprintf(buf, n, "%lld", (long long)rs->pool_next);
			if (!hmap_get(&c->bibs, buf, strlen(buf), &pi) || c->parts[pi].e.blank)
				return 0; /* free, or a blank bib (with its chips) waiting */
		}
	}
	return SL_ERANGE;
}

static int race_bib_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return core__by_key(c, x, y, c->parts[x].race, c->parts[y].race);
}

/*
 * Member counts per topic, and the by-bib listing of each race.  The
 * listing is kept, not rebuilt: members that left are filtered out, and the
 * newcomers (part.listed != race) are sorted and merged in, so importing in
 * chunks costs O(n + k log k) per chunk, not a sort of everyone.
 */
void core__recount(core *c)
{
	if (!c->has_cfg)
		return;
	for (size_t i = 0; i < c->cfg.nraces; i++) {
		struct race_state *rs = &c->rs[i];
		rs->n_all = 0;
		memset(rs->n_sex, 0, sizeof(rs->n_sex));
		memset(rs->n_cat, 0,
		       (c->cfg.races[i].ncats ? c->cfg.races[i].ncats : 1) * sizeof(*rs->n_cat));
		size_t kept = 0;
		for (size_t k = 0; k < rs->nby_bib; k++) {
			uint32_t pi = rs->by_bib[k];
			if (c->parts[pi].race == (int)i)
				rs->by_bib[kept++] = pi;
			else
				c->parts[pi].listed = -1;
		}
		rs->nby_bib = kept;
	}
	uint32_t *nw = NULL;
	size_t nnw = 0, cnw = 0;
	for (size_t pi = 0; pi < c->nparts; pi++) {
		struct part *p = &c->parts[pi];
		if (p->race < 0)
			continue;
		struct race_state *rs = &c->rs[p->race];
		rs->n_all++;
		if (p->e.sex >= 0)
			rs->n_sex[p->e.sex]++;
		for (uint16_t k = 0; k < p->ncats; k++)
			rs->n_cat[p->cats[k]]++;
		if (p->listed != p->race) {
			SL_GROW(nw, cnw, nnw + 1);
			nw[nnw++] = (uint32_t)pi;
		}
	}
	if (nnw > 1)
		qsort_r(nw, nnw, sizeof(*nw), race_bib_qcmp, c);
	size_t at = 0;
	for (size_t i = 0; i < c->cfg.nraces; i++) {
		struct race_state *rs = &c->rs[i];
		size_t from = at;
		while (at < nnw && c->parts[nw[at]].race == (int)i)
			at++;
		if (at == from)
			continue;
		uint32_t *old = rs->by_bib,
			 *m = sl_malloc((rs->n_all ? rs->n_all : 1) * sizeof(*m));
		size_t x = 0, y = from, k = 0;
		while (x < rs->nby_bib || y < at) {
			if (y == at || (x < rs->nby_bib && core__tie(c, old[x], nw[y]) < 0))
				m[k++] = old[x++];
			else
				m[k++] = nw[y++];
		}
		for (size_t j = from; j < at; j++)
			c->parts[nw[j]].listed = (int16_t)i;
		free(old);
		rs->by_bib = m;
		rs->nby_bib = k;
	}
	free(nw);
}

void core__add_adj(core *c, struct adj_rec *a, bool now)
{
	bool added;
	uint32_t si = *hmap_upsert(&c->astmap, a->bib, strlen(a->bib), (uint32_t)c->nast, &added);
	if (added) {
		SL_GROW(c->ast, c->cast, c->nast + 1);
		memset(&c->ast[c->nast], 0, sizeof(c->ast[0]));
		c->ast[c->nast++].bib = sl_strdup(a->bib);
	}
	adj_state_apply(&c->ast[si], a);
	SL_GROW(c->adjs, c->cadjs, c->nadjs + 1);
	c->adjs[c->nadjs++] = *a;
	memset(a, 0, sizeof(*a));
	uint32_t pi;
	const char *bib = c->ast[si].bib;
	if (!hmap_get(&c->bibs, bib, strlen(bib), &pi))
		return;
	c->parts[pi].ast = si;
	if (now)
		core__recompute(c, pi, true);
}

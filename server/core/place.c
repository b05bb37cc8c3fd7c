/*
 * place.c: where a place is computed.  The race state (ranking trees,
 * point maps, effective T0 per wave) and a participant's way in and out of
 * its ranking trees; the place shown (a judges' place, the others
 * renumbered around it); one participant's result as officials see it.
 *
 * A finisher is ranked by its time (net, or gun when the race says so),
 * with handicap and penalty applied, truncated to the race precision
 * (rk_a) and in full (rk_b); ties break by bib (core__tie).  A place is
 * 1 + the number of entries strictly ahead at the precision: it is read
 * from the tree when asked (O(log n)), never stored.  Exhibition crews are
 * timed and never placed; relegated crews rank after every other.
 *
 * Calls only official.c (whether a race is official).  Owns nothing: the
 * trees live in c->rs, built here and released by core__rs_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

const char *core__status_name(int st)
{
	static const char *names[] = {"registered", "started", "on_course", "finished",
				      "dnf",        "dns",     "dsq",       "scratch"};
	return st >= 0 && st <= ST_SCRATCH ? names[st] : "registered";
}

/* The tree key part c: numeric bibs by value, then all others. */
static uint64_t tie_key(const struct part *p)
{
	return p->bibkey ? p->bibkey : UINT64_MAX;
}

int core__tie(const void *ctx, uint32_t x, uint32_t y)
{
	const core *c = ctx;
	uint64_t kx = c->parts[x].bibkey, ky = c->parts[y].bibkey;
	if (kx && ky && kx != ky)
		return kx < ky ? -1 : 1;
	int r = entry_bib_cmp(c->parts[x].e.bib, c->parts[y].e.bib);
	if (r)
		return r;
	return x < y ? -1 : x > y;
}

size_t core__place(const struct part *p, const ost *t)
{
	return p->ranked ? 1 + ost_count_less_a(t, p->rk_a) : 0;
}

/*
 * What a race publishes, as one number: every entry's bib, status, place
 * and adjusted time.  A record that rebuilds everything (a config, a chunk
 * of participants) corrects an official race only when this changes.
 */
uint64_t core__results_digest(const core *c, int ri)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		if (p->race != ri || p->e.blank)
			continue;
		const struct race_state *rs = &c->rs[ri];
		uint64_t v[6] = {hmap_hash_pfx('b', p->e.bib, strlen(p->e.bib)),
				 (uint64_t)p->status,
				 p->ranked ? core__place(p, &rs->overall) : 0,
				 p->ranked ? (uint64_t)p->adj_ms : 0,
				 (uint64_t)(p->e.sex + 1),
				 p->ranked && p->e.sex >= 0 ? core__place(p, &rs->sex[p->e.sex])
							    : 0};
		for (int k = 0; k < 6; k++)
			h = (h ^ v[k]) * 1099511628211ull;
		for (uint16_t k = 0; k < p->ncats; k++)
			h = (h ^ ((uint64_t)p->cats[k] << 32 |
				  (p->ranked ? core__place(p, &rs->cat[p->cats[k]]) : 0))) *
			    1099511628211ull;
	}
	return h;
}

static int64_t eff_t0(const core *c, const struct cfg_race *r, const struct cfg_wave *w)
{
	for (size_t i = 0; i < c->novr; i++)
		if (!strcmp(c->ovr[i].race, r->id) && !strcmp(c->ovr[i].wave, w->id))
			return c->ovr[i].t0;
	return w->t0;
}

void core__rs_free(core *c)
{
	if (!c->rs)
		return;
	for (size_t i = 0; i < c->cfg.nraces; i++) {
		struct race_state *rs = &c->rs[i];
		free(rs->ptmap);
		free(rs->stmap);
		free(rs->t0);
		ost_release(&rs->overall);
		ost_release(&rs->fin);
		for (int s = 0; s < NSEX; s++)
			ost_release(&rs->sex[s]);
		for (size_t k = 0; k < c->cfg.races[i].ncats; k++)
			ost_release(&rs->cat[k]);
		free(rs->cat);
		free(rs->n_cat);
		free(rs->by_bib);
	}
	free(c->rs);
	c->rs = NULL;
}

void core__rs_build(core *c)
{
	c->rs = sl_calloc(c->cfg.nraces, sizeof(*c->rs));
	for (size_t i = 0; i < c->cfg.nraces; i++) {
		const struct cfg_race *r = &c->cfg.races[i];
		struct race_state *rs = &c->rs[i];
		rs->nptmap = c->ngpts;
		rs->ptmap = sl_malloc((c->ngpts ? c->ngpts : 1) * sizeof(*rs->ptmap));
		rs->stmap = sl_malloc((c->ngpts ? c->ngpts : 1) * sizeof(*rs->stmap));
		for (size_t g = 0; g < c->ngpts; g++) {
			int slot = 0;
			rs->ptmap[g] =
				(int16_t)cfg_station_find(r, c->gpts[g], strlen(c->gpts[g]), &slot);
			rs->stmap[g] = (int16_t)slot;
		}
		rs->official = core__race_is_official(c, r->id);
		rs->t0 = sl_malloc((r->nwaves ? r->nwaves : 1) * sizeof(*rs->t0));
		for (size_t w = 0; w < r->nwaves; w++)
			rs->t0[w] = eff_t0(c, r, &r->waves[w]);
		ost_init(&rs->overall, core__tie, c);
		ost_init(&rs->fin, core__tie, c);
		for (int s = 0; s < NSEX; s++)
			ost_init(&rs->sex[s], core__tie, c);
		rs->cat = sl_calloc(r->ncats ? r->ncats : 1, sizeof(*rs->cat));
		rs->n_cat = sl_calloc(r->ncats ? r->ncats : 1, sizeof(*rs->n_cat));
		for (size_t k = 0; k < r->ncats; k++)
			ost_init(&rs->cat[k], core__tie, c);
	}
}

void core__unrank(core *c, struct part *p, uint32_t pi)
{
	if (p->race < 0 || !c->rs)
		return;
	struct race_state *rs = &c->rs[p->race];
	uint64_t tk = tie_key(p);
	if (p->ranked) {
		ost_remove(&rs->overall, p->rk_a, p->rk_b, tk, pi);
		if (p->e.sex >= 0)
			ost_remove(&rs->sex[p->e.sex], p->rk_a, p->rk_b, tk, pi);
		for (uint16_t k = 0; k < p->ncats; k++)
			ost_remove(&rs->cat[p->cats[k]], p->rk_a, p->rk_b, tk, pi);
		p->ranked = false;
	}
	if (p->fin) {
		ost_remove(&rs->fin, p->fin_t, p->fin_t, tk, pi);
		p->fin = false;
	}
}

void core__rank(core *c, struct part *p, uint32_t pi)
{
	const struct cfg_race *r = &c->cfg.races[p->race];
	struct race_state *rs = &c->rs[p->race];
	uint64_t tk = tie_key(p);
	if (p->status != ST_FINISHED)
		return;
	p->fin = true;
	p->fin_t = p->cross[r->finish_pt];
	ost_insert(&rs->fin, p->fin_t, p->fin_t, tk, pi);
	int64_t t;
	if (r->ranking == RANK_GUN) {
		if (p->t0 == NO_TIME)
			return;
		t = p->fin_t - p->t0;
	} else {
		t = p->fin_t - p->start;
	}
	int64_t off = 0;
	p->raw_ms = p->adj_ms = t;
	if (p->ast != NONE32 || r->nhcap) {
		const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
		if (r->nhcap)
			t = cfg_hcap_apply(r, r->boat_class, entry_crew_age(&p->e, p->age), t);
		if (a)
			t += a->penalty_ms;
		p->adj_ms = t;
		if (a && a->flag[ADJ_EXHIB])
			return; /* timed, never placed */
		if (a && a->flag[ADJ_RELEG])
			off = RELEG_BASE;
	}
	p->ranked = true;
	p->rk_b = t + off;
	p->rk_a = core__floordiv(t, r->precision_ms) * r->precision_ms + off;
	ost_insert(&rs->overall, p->rk_a, p->rk_b, tk, pi);
	if (p->e.sex >= 0)
		ost_insert(&rs->sex[p->e.sex], p->rk_a, p->rk_b, tk, pi);
	for (uint16_t k = 0; k < p->ncats; k++)
		ost_insert(&rs->cat[p->cats[k]], p->rk_a, p->rk_b, tk, pi);
}

/*
 * The place shown: a judges' place where one was set; every other placed
 * entry is renumbered around the judged ones, so that places stay 1..n
 * without a hole or a double: its place among the entries not judged, then
 * one more for each judged place at or before it.  A judged place declared
 * a dead heat is shared with the entry there, and those after it move on
 * (1, 2, 3, 3, 5).
 */
size_t core__shown_place(const core *c, const struct part *p, bool *manual)
{
	const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
	*manual = false;
	if (a && a->place > 0 && p->race >= 0) {
		*manual = true;
		return (size_t)a->place;
	}
	if (p->race < 0 || !p->ranked)
		return 0;
	size_t q = core__place(p, &c->rs[p->race].overall);
	int jp[64]; /* judged places; a dead heat as -place */
	size_t njp = 0, ahead = 0;
	for (size_t i = 0; i < c->nast && njp < 64; i++) {
		const struct adj_state *s = &c->ast[i];
		uint32_t pi;
		if (s->place <= 0 || !hmap_get(&c->bibs, s->bib, strlen(s->bib), &pi))
			continue;
		const struct part *o = &c->parts[pi];
		if (o == p || o->race != p->race)
			continue;
		if (o->ranked && o->rk_a < p->rk_a)
			ahead++; /* its ranked place is taken out of p's */
		jp[njp++] = s->place_dh ? -s->place : s->place;
	}
	if (!njp)
		return q;
	size_t m = q - ahead;
	for (size_t i = 1; i < njp; i++) /* few: insertion sort by place */
		for (size_t k = i; k > 0 && abs(jp[k - 1]) > abs(jp[k]); k--) {
			int t = jp[k];
			jp[k] = jp[k - 1];
			jp[k - 1] = t;
		}
	/* a judged place takes its number; a dead heat shares it: those after move on */
	for (size_t i = 0; i < njp; i++)
		if ((size_t)abs(jp[i]) < m || (jp[i] > 0 && (size_t)jp[i] == m))
			m++;
	return m;
}

int core_result(const core *c, const char *bib, struct core_result *out)
{
	uint32_t pi;
	memset(out, 0, sizeof(*out));
	out->raw_ms = out->adj_ms = out->start = NO_TIME;
	out->lane = -1;
	if (!hmap_get(&c->bibs, bib, strlen(bib), &pi))
		return SL_ENOENT;
	const struct part *p = &c->parts[pi];
	const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
	out->status = core__status_name(p->status);
	out->start = p->start;
	out->lane = p->e.lane;
	if (p->race >= 0 && p->status == ST_FINISHED && p->fin) {
		out->raw_ms = p->raw_ms;
		out->adj_ms = p->adj_ms;
	}
	if (a) {
		out->penalty_ms = a->penalty_ms;
		out->exhibition = a->flag[ADJ_EXHIB];
		out->relegated = a->flag[ADJ_RELEG];
	}
	out->place = core__shown_place(c, p, &out->place_manual);
	return 0;
}

/*
 * core.c: folding log records into the event state, and results from it.
 *
 * A record is decoded, validated as a whole, and only then applied, so an
 * error changes nothing.  Applying stores facts (config, entries, reads,
 * watermarks, wave starts) and queues the participants they touch; at the
 * end of the record each queued participant is recomputed once:
 *
 *   start  = the point's rule (default last) over reads in [T0, T0+window];
 *            none -> T0 (no start read)
 *   point  = the rule (default first) over reads in
 *            [max(T0, start + min), + window]
 *   rfid reads win at a point; handheld/manual/backup reads count only when
 *   no rfid read qualifies there.
 *
 * When a recomputed result differs, the participant leaves the ranking
 * trees under its old key and enters under the new one (O(log n) each), and
 * joins the change set.  A new config or a wave start recomputes all it
 * touches and sets chg_all so views send fresh snapshots.
 *
 * Device watermarks live here too: a read whose seq is at or below its
 * device's watermark was folded before and is skipped, so overlapping
 * batches count each read once, whatever the store did.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "mpr.h"
#include "slp.h"

/* ---- small helpers ---------------------------------------------------- */

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

const char *core__status_name(int st)
{
	static const char *names[] = {"registered", "started", "on_course", "finished",
				      "dnf",        "dns",     "dsq",       "scratch"};
	return st >= 0 && st <= ST_SCRATCH ? names[st] : "registered";
}

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
 * A result really changed: counted once per record (the audit trail says
 * how many results a decision changed), and an official race is corrected.
 */
static void result_changed(core *c, struct part *p)
{
	if (p->cur_gen != c->cur.gen) {
		p->cur_gen = c->cur.gen;
		c->cur.nchanged++;
	}
	if (p->race >= 0 && c->rs && c->rs[p->race].official && c->cur.why && !c->cur.bulk)
		core__race_corrected(c, p->race);
}

/*
 * What a race publishes, as one number: every entry's bib, status, place
 * and adjusted time.  A record that rebuilds everything (a config, a chunk
 * of participants) corrects an official race only when this changes.
 */
static uint64_t results_digest(const core *c, int ri)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		if (p->race != ri || p->e.blank)
			continue;
		const struct race_state *rs = &c->rs[ri];
		uint64_t v[6] = {hmap_hash_pfx('b', p->e.bib, strlen(p->e.bib)), (uint64_t)p->status,
				 p->ranked ? core__place(p, &rs->overall) : 0,
				 p->ranked ? (uint64_t)p->adj_ms : 0, (uint64_t)(p->e.sex + 1),
				 p->ranked && p->e.sex >= 0 ? core__place(p, &rs->sex[p->e.sex]) : 0};
		for (int k = 0; k < 6; k++)
			h = (h ^ v[k]) * 1099511628211ull;
		for (uint16_t k = 0; k < p->ncats; k++)
			h = (h ^ ((uint64_t)p->cats[k] << 32 |
				  (p->ranked ? core__place(p, &rs->cat[p->cats[k]]) : 0))) *
			    1099511628211ull;
	}
	return h;
}

static void mark_chg(core *c, uint32_t pi)
{
	struct part *p = &c->parts[pi];
	if (p->chg)
		return;
	p->chg = true;
	SL_GROW(c->chg, c->cchg, c->nchg + 1);
	c->chg[c->nchg++] = pi;
}

static void mark_uchg(core *c, uint32_t ci)
{
	if (c->codes[ci].uchg)
		return;
	c->codes[ci].uchg = true;
	SL_GROW(c->uchg, c->cuchg, c->nuchg + 1);
	c->uchg[c->nuchg++] = ci;
}

static void fold_read(core *c, uint32_t pi, const struct rd *x);

static void queue(core *c, uint32_t pi)
{
	struct part *p = &c->parts[pi];
	if (p->dirty == c->epoch)
		return;
	p->dirty = c->epoch;
	SL_GROW(c->dirty, c->cdirty, c->ndirty + 1);
	c->dirty[c->ndirty++] = pi;
}

static void set_status(core *c, struct part *p, int st)
{
	bool was_started = p->status >= ST_STARTED && p->status <= ST_FINISHED;
	bool now_started = st >= ST_STARTED && st <= ST_FINISHED;
	c->nstarted += (uint32_t)now_started - (uint32_t)was_started;
	c->nfinished += (uint32_t)(st == ST_FINISHED) - (uint32_t)(p->status == ST_FINISHED);
	p->status = st;
}

/* ---- race state: trees, point maps, effective T0 ---------------------- */

static int64_t eff_t0(const core *c, const struct cfg_race *r, const struct cfg_wave *w)
{
	for (size_t i = 0; i < c->novr; i++)
		if (!strcmp(c->ovr[i].race, r->id) && !strcmp(c->ovr[i].wave, w->id))
			return c->ovr[i].t0;
	return w->t0;
}

static void rs_free(core *c)
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

static void rs_build(core *c)
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
			rs->ptmap[g] = (int16_t)cfg_station_find(r, c->gpts[g], strlen(c->gpts[g]), &slot);
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

/* ---- interning: codes, point ids, devices ----------------------------- */

static char ns_pfx(int ns)
{
	return ns == NS_BIB ? 'b' : 'c';
}

static uint32_t code_upsert_h(core *c, int ns, const char *s, size_t n, uint64_t h)
{
	bool added;
	uint32_t ci = *hmap_upsert_pfx(&c->codemap, ns_pfx(ns), s, n, h, (uint32_t)c->ncodes, &added);
	if (added) {
		SL_GROW(c->codes, c->ccodes, c->ncodes + 1);
		c->codes[c->ncodes++] = (struct code){
			.s = sl_strndup(s, n),
			.len = (uint32_t)n,
			.ns = (uint8_t)ns,
			.pidx = NONE32,
			.head = NONE32,
		};
	}
	return ci;
}

uint32_t core__code_upsert(core *c, int ns, const char *s, size_t n)
{
	return code_upsert_h(c, ns, s, n, hmap_hash_pfx(ns_pfx(ns), s, n));
}

static bool code_find(const core *c, int ns, const char *s, size_t n, uint32_t *ci)
{
	char kb[80];
	if (n + 1 > sizeof(kb))
		return false; /* longer than any valid code */
	kb[0] = ns == NS_BIB ? 'b' : 'c';
	memcpy(kb + 1, s, n);
	return hmap_get(&c->codemap, kb, n + 1, ci);
}

uint32_t core__gpt_intern(core *c, const char *s, size_t n)
{
	bool added;
	uint32_t g = *hmap_upsert(&c->gptmap, s, n, (uint32_t)c->ngpts, &added);
	if (!added)
		return g;
	SL_GROW(c->gpts, c->cgpts, c->ngpts + 1);
	c->gpts[c->ngpts++] = sl_strndup(s, n);
	if (c->has_cfg) {
		for (size_t i = 0; i < c->cfg.nraces; i++) {
			struct race_state *rs = &c->rs[i];
			int slot = 0;
			rs->ptmap = sl_realloc(rs->ptmap, c->ngpts * sizeof(*rs->ptmap));
			rs->stmap = sl_realloc(rs->stmap, c->ngpts * sizeof(*rs->stmap));
			rs->ptmap[g] = (int16_t)cfg_station_find(&c->cfg.races[i], s, n, &slot);
			rs->stmap[g] = (int16_t)slot;
			rs->nptmap = c->ngpts;
		}
	}
	return g;
}

void core__set_dev(core *c, const char *id, size_t n, uint64_t seq)
{
	bool added;
	uint32_t di = *hmap_upsert(&c->devmap, id, n, (uint32_t)c->ndevs, &added);
	if (added) {
		SL_GROW(c->devs, c->cdevs, c->ndevs + 1);
		c->devs[c->ndevs++] = (struct dev){sl_strndup(id, n), 0};
	}
	c->devs[di].seq = seq;
}

void core__add_read(core *c, uint32_t ci, uint32_t gpt, int64_t t, int kind)
{
	if (c->nreads == c->creads)
		SL_GROW(c->reads, c->creads, c->nreads + 1);
	uint32_t ri = (uint32_t)c->nreads++;
	struct code *k = &c->codes[ci];
	/* newest first: linking needs no visit to the previous read */
	c->reads[ri] = (struct rd){t, k->head, ci, gpt, (uint8_t)kind};
	k->head = ri;
	if (k->nreads == 0 || t < k->first)
		k->first = t;
	k->nreads++;
	if (k->pidx != NONE32) {
		fold_read(c, k->pidx, &c->reads[ri]);
	} else {
		if (k->nreads == 1)
			c->nunknown++;
		mark_uchg(c, ci);
	}
}

/* ---- results ------------------------------------------------------------ */

static void unrank(core *c, struct part *p, uint32_t pi)
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

static void rank(core *c, struct part *p, uint32_t pi)
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
	p->rk_a = floordiv(t, r->precision_ms) * r->precision_ms + off;
	ost_insert(&rs->overall, p->rk_a, p->rk_b, tk, pi);
	if (p->e.sex >= 0)
		ost_insert(&rs->sex[p->e.sex], p->rk_a, p->rk_b, tk, pi);
	for (uint16_t k = 0; k < p->ncats; k++)
		ost_insert(&rs->cat[p->cats[k]], p->rk_a, p->rk_b, tk, pi);
}

/* Pick under rule among gathered reads of point j in [lo, hi]; rfid first. */
static void consider(int64_t *best, int rule, int64_t t, int kind)
{
	int cls = kind != SLP_KIND_RFID;
	if (best[cls] == NO_TIME || (rule == RULE_FIRST ? t < best[cls] : t > best[cls]))
		best[cls] = t;
}

/* Status and furthest point from the crossings. */
static void derive(core *c, struct part *p, const struct cfg_race *r)
{
	int st = ST_REGISTERED;
	p->last = -1;
	for (size_t j = 0; j < r->npoints; j++) {
		if (p->cross[j] == NO_TIME)
			continue;
		p->last = (int)j;
		if ((int)j == r->finish_pt)
			st = ST_FINISHED;
		else if ((int)j != r->start_pt && st < ST_ON_COURSE)
			st = ST_ON_COURSE;
		else if (st < ST_STARTED)
			st = ST_STARTED;
	}
	set_status(c, p, st);
}

/* The window [*lo, *hi] of point j, for an athlete started at start. */
static void bounds(const struct cfg_race *r, int j, int64_t t0, int64_t start, int64_t *lo,
		   int64_t *hi)
{
	const struct cfg_point *pt = &r->points[j];
	if (j == r->start_pt) {
		*lo = t0 != NO_TIME ? t0 : INT64_MIN;
		*hi = (t0 != NO_TIME && pt->window_ms >= 0) ? t0 + pt->window_ms : INT64_MAX;
		return;
	}
	*lo = start + pt->min_ms;
	if (t0 != NO_TIME && *lo < t0)
		*lo = t0;
	*hi = pt->window_ms >= 0 ? *lo + pt->window_ms : INT64_MAX;
}

/*
 * Full recompute from every read of the participant.  Needed when the start
 * crossing, T0, the config or the participant's codes change; a read at a
 * split or finish is folded in incrementally by fold_read().
 */
static void recompute_ext(core *c, uint32_t pi, bool force);

/* Regatta semantics (lanes/trial starts, stations, adjustments, handicaps)
 * take the general path; road races without them keep the fast one. */
static bool needs_ext(const core *c, const struct part *p, const struct cfg_race *r)
{
	return r->kind != RACE_MASS || r->nbackups || r->nhcap || p->ast != NONE32;
}

static void recompute(core *c, uint32_t pi, bool force)
{
	struct part *p = &c->parts[pi];
	if (p->race < 0) {
		if (force) {
			set_status(c, p, ST_REGISTERED);
			p->start = p->t0 = NO_TIME;
			p->last = -1;
			mark_chg(c, pi);
		}
		return;
	}
	if (needs_ext(c, p, &c->cfg.races[p->race])) {
		recompute_ext(c, pi, force);
		return;
	}
	const struct cfg_race *r = &c->cfg.races[p->race];
	const struct race_state *rs = &c->rs[p->race];
	size_t np = r->npoints, ng = 0;
	int64_t t0 = p->wave >= 0 ? rs->t0[p->wave] : NO_TIME;
	int64_t lo, hi;

	for (int k = 0; k < PART_NCODES; k++) {
		uint32_t ci = p->code[k];
		if (ci == NONE32)
			continue;
		for (uint32_t ri = c->codes[ci].head; ri != NONE32; ri = c->reads[ri].next) {
			const struct rd *x = &c->reads[ri];
			int j = x->gpt < rs->nptmap ? rs->ptmap[x->gpt] : -1;
			if (j < 0)
				continue;
			if (ng == c->cg)
				SL_GROW(c->g, c->cg, ng + 1);
			c->g[ng++] = (struct gath){x->t, (int16_t)j, x->kind};
		}
	}
	SL_GROW(c->sc, c->csc, 3 * np);
	int64_t *nc = c->sc, *best = c->sc + np;
	for (size_t j = 0; j < np; j++)
		nc[j] = best[2 * j] = best[2 * j + 1] = NO_TIME;

	int64_t start = NO_TIME;
	if (r->start_pt >= 0) {
		int64_t *b = &best[2 * r->start_pt];
		bounds(r, r->start_pt, t0, 0, &lo, &hi);
		for (size_t i = 0; i < ng; i++)
			if (c->g[i].j == r->start_pt && c->g[i].t >= lo && c->g[i].t <= hi)
				consider(b, r->points[r->start_pt].rule, c->g[i].t, c->g[i].kind);
		start = nc[r->start_pt] = b[0] != NO_TIME ? b[0] : b[1];
	}
	if (start == NO_TIME)
		start = t0;
	if (start != NO_TIME) {
		for (size_t i = 0; i < ng; i++) {
			int j = c->g[i].j;
			if (j == r->start_pt)
				continue;
			bounds(r, j, t0, start, &lo, &hi);
			if (c->g[i].t >= lo && c->g[i].t <= hi)
				consider(&best[2 * j], r->points[j].rule, c->g[i].t, c->g[i].kind);
		}
		for (size_t j = 0; j < np; j++)
			if ((int)j != r->start_pt)
				nc[j] = best[2 * j] != NO_TIME ? best[2 * j] : best[2 * j + 1];
	}
	memcpy(p->best, best, 2 * np * sizeof(*best));

	bool same = start == p->start && t0 == p->t0 &&
		    memcmp(nc, p->cross, np * sizeof(*nc)) == 0;
	if (!force && same)
		return;

	unrank(c, p, pi);
	memcpy(p->cross, nc, np * sizeof(*nc));
	p->start = start;
	p->t0 = t0;
	derive(c, p, r);
	rank(c, p, pi);
	if (!same)
		result_changed(c, p);
	mark_chg(c, pi);
}


/*
 * The general recompute.  Per point, each station's reading is chosen
 * under the point's rule (rfid first); the official crossing is the hand
 * time an official entered, else the station an official chose (when it
 * has a reading), else the primary's, else the first backup's in declared
 * order.  The start: lanes races start together at T0 (a hand start time
 * wins); trial and mass races take the crew's own start crossing, and a
 * trial without one starts at T0 + (lane - 1) * start_interval.  Then the
 * status flags (scratch, dns, dnf, dq, in that order of precedence)
 * override the derived status, and rank() applies handicap, penalty,
 * exhibition and relegation.
 */
static int64_t pick_station(const core *c, const struct cfg_race *r, int j, const int64_t *sb,
			    const struct adj_state *a)
{
	const struct cfg_point *pt = &r->points[j];
	const struct adj_point *ap = a ? adj_state_point(a, pt->id) : NULL;
	size_t ns = 1 + pt->nstations;
	if (ap && ap->hand != NO_TIME)
		return ap->hand;
	if (ap && ap->station) {
		int slot, pj = cfg_station_find(r, ap->station, strlen(ap->station), &slot);
		if (pj == j && (sb[2 * slot] != NO_TIME || sb[2 * slot + 1] != NO_TIME))
			return sb[2 * slot] != NO_TIME ? sb[2 * slot] : sb[2 * slot + 1];
	}
	for (size_t q = 0; q < ns; q++)
		if (sb[2 * q] != NO_TIME || sb[2 * q + 1] != NO_TIME)
			return sb[2 * q] != NO_TIME ? sb[2 * q] : sb[2 * q + 1];
	(void)c;
	return NO_TIME;
}

static void recompute_ext(core *c, uint32_t pi, bool force)
{
	struct part *p = &c->parts[pi];
	const struct cfg_race *r = &c->cfg.races[p->race];
	const struct race_state *rs = &c->rs[p->race];
	const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
	size_t np = r->npoints, ng = 0, nslots = np + r->nbackups;
	int64_t t0 = p->wave >= 0 ? rs->t0[p->wave] : NO_TIME;
	int64_t lo, hi;

	for (int k = 0; k < PART_NCODES; k++) {
		uint32_t ci = p->code[k];
		if (ci == NONE32)
			continue;
		for (uint32_t ri = c->codes[ci].head; ri != NONE32; ri = c->reads[ri].next) {
			const struct rd *x = &c->reads[ri];
			int j = x->gpt < rs->nptmap ? rs->ptmap[x->gpt] : -1;
			if (j < 0)
				continue;
			if (ng == c->cg)
				SL_GROW(c->g, c->cg, ng + 1);
			/* kind keeps the read kind; the slot rides in the high bits of j */
			c->g[ng++] = (struct gath){x->t, (int16_t)(j | (rs->stmap[x->gpt] << 10)),
						   x->kind};
		}
	}
	SL_GROW(c->sc, c->csc, 3 * np + 2 * nslots + np + 1);
	int64_t *nc = c->sc, *best = c->sc + np, *sb = c->sc + 3 * np;
	int64_t *off = sb + 2 * nslots; /* slot offset of each point, as int64 */
	for (size_t j = 0, o = 0; j < np; j++) {
		off[j] = (int64_t)o;
		o += 1 + r->points[j].nstations;
	}
	for (size_t j = 0; j < np; j++)
		nc[j] = best[2 * j] = best[2 * j + 1] = NO_TIME;
	for (size_t q = 0; q < 2 * nslots; q++)
		sb[q] = NO_TIME;

	int64_t start = NO_TIME;
	if (r->start_pt >= 0) {
		int sp = r->start_pt;
		bounds(r, sp, t0, 0, &lo, &hi);
		for (size_t i = 0; i < ng; i++) {
			int j = c->g[i].j & 1023, slot = c->g[i].j >> 10;
			if (j == sp && c->g[i].t >= lo && c->g[i].t <= hi)
				consider(&sb[2 * (off[sp] + slot)], r->points[sp].rule, c->g[i].t,
					 c->g[i].kind);
		}
		int64_t own = pick_station(c, r, sp, &sb[2 * off[sp]], a);
		const struct adj_point *ap = a ? adj_state_point(a, r->points[sp].id) : NULL;
		if (r->kind == RACE_LANES && t0 != NO_TIME && !(ap && ap->hand != NO_TIME))
			own = t0;
		start = nc[sp] = own;
		best[2 * sp] = own;
	}
	if (start == NO_TIME && r->kind == RACE_TRIAL && t0 != NO_TIME && r->start_interval_ms >= 0 &&
	    p->e.lane >= 1)
		start = t0 + (int64_t)(p->e.lane - 1) * r->start_interval_ms;
	if (start == NO_TIME)
		start = t0;
	if (start != NO_TIME) {
		for (size_t i = 0; i < ng; i++) {
			int j = c->g[i].j & 1023, slot = c->g[i].j >> 10;
			if (j == r->start_pt)
				continue;
			bounds(r, j, t0, start, &lo, &hi);
			if (c->g[i].t >= lo && c->g[i].t <= hi)
				consider(&sb[2 * (off[j] + slot)], r->points[j].rule, c->g[i].t,
					 c->g[i].kind);
		}
		for (size_t j = 0; j < np; j++)
			if ((int)j != r->start_pt)
				best[2 * j] = nc[j] = pick_station(c, r, (int)j, &sb[2 * off[j]], a);
	} else if (a) {
		for (size_t j = 0; j < np; j++) { /* hand times count even without a start */
			const struct adj_point *ap = adj_state_point(a, r->points[j].id);
			if ((int)j != r->start_pt && ap && ap->hand != NO_TIME)
				best[2 * j] = nc[j] = ap->hand;
		}
	}
	memcpy(p->best, best, 2 * np * sizeof(*best));

	unrank(c, p, pi);
	bool same = start == p->start && t0 == p->t0 && memcmp(nc, p->cross, np * sizeof(*nc)) == 0;
	int old_status = p->status;
	bool old_ranked = p->ranked;
	int64_t old_adj = p->adj_ms, old_rk = p->rk_b;
	memcpy(p->cross, nc, np * sizeof(*nc));
	p->start = start;
	p->t0 = t0;
	derive(c, p, r);
	if (a) {
		static const int order[][2] = {{ADJ_SCRATCH, ST_SCRATCH},
					       {ADJ_DNS, ST_DNS},
					       {ADJ_DNF, ST_DNF},
					       {ADJ_DQ, ST_DSQ}};
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
			if (a->flag[order[k][0]]) {
				set_status(c, p, order[k][1]);
				break;
			}
	}
	rank(c, p, pi);
	if (!same || p->status != old_status || p->ranked != old_ranked ||
	    (p->ranked && (p->adj_ms != old_adj || p->rk_b != old_rk)))
		result_changed(c, p);
	if (force || !same || p->status != old_status)
		mark_chg(c, pi);
}

/*
 * Fold one new read into its participant's result.  Under a point's rule
 * the choice is a min (first) or max (last) over the reads inside a window
 * that depends only on T0 and the start crossing, so a split or finish read
 * updates that point in O(1); a start read that changes the start crossing
 * moves every window and queues a full recompute.
 */
static void fold_read(core *c, uint32_t pi, const struct rd *x)
{
	struct part *p = &c->parts[pi];
	if (p->dirty == c->epoch || p->race < 0)
		return; /* a full recompute is queued, or nothing to compute */
	const struct cfg_race *r = &c->cfg.races[p->race];
	const struct race_state *rs = &c->rs[p->race];
	int j = x->gpt < rs->nptmap ? rs->ptmap[x->gpt] : -1;
	int64_t lo, hi;
	if (j < 0)
		return;
	if (needs_ext(c, p, r)) {
		queue(c, pi); /* a few crews per race: recompute in full */
		return;
	}
	int64_t t0 = p->wave >= 0 ? rs->t0[p->wave] : NO_TIME;
	if (j != r->start_pt && p->start == NO_TIME)
		return; /* no start and no T0: nothing counts yet */
	bounds(r, j, t0, p->start, &lo, &hi);
	if (x->t < lo || x->t > hi)
		return;
	int64_t *b = &p->best[2 * j];
	int cls = x->kind != SLP_KIND_RFID;
	int64_t was = b[cls];
	consider(b, r->points[j].rule, x->t, x->kind);
	if (b[cls] == was)
		return;
	int64_t nv = b[0] != NO_TIME ? b[0] : b[1];
	if (nv == p->cross[j])
		return;
	if (j == r->start_pt) {
		queue(c, pi);
		return;
	}
	if (j == r->finish_pt)
		unrank(c, p, pi);
	if (p->cross[j] == NO_TIME) {
		/* a new crossing can only move the athlete on: no rescan needed */
		if (j > p->last)
			p->last = (int16_t)j;
		int st = j == r->finish_pt ? ST_FINISHED : ST_ON_COURSE;
		if (st > p->status)
			set_status(c, p, st);
	}
	p->cross[j] = nv;
	if (j == r->finish_pt)
		rank(c, p, pi);
	result_changed(c, p);
	mark_chg(c, pi);
}

static void next_epoch(core *c)
{
	c->ndirty = 0;
	if (++c->epoch == 0) {
		/* after 2^32 records: restart the epochs so no stale mark matches */
		for (size_t i = 0; i < c->nparts; i++)
			c->parts[i].dirty = 0;
		c->epoch = 1;
	}
}

static void flush(core *c)
{
	for (size_t i = 0; i < c->ndirty; i++)
		recompute(c, c->dirty[i], false);
	next_epoch(c);
}

/* ---- participants ----------------------------------------------------- */

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
static void resolve(core *c, struct part *p)
{
	set_status(c, p, ST_REGISTERED);
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
		queue(c, k->pidx);
	} else if (k->nreads) {
		c->nunknown--;
		mark_uchg(c, ci);
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
			mark_uchg(c, ci);
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
		unrank(c, p, pi);
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
	resolve(c, p);
	for (int i = 0; i < p->e.nchips; i++)
		attach(c, pi, i, core__code_upsert(c, NS_CHIP, p->e.chips[i], strlen(p->e.chips[i])));
	attach(c, pi, ENTRY_MAX_CHIPS, core__code_upsert(c, NS_BIB, p->e.bib, strlen(p->e.bib)));
	if (!added && (old_race != p->race || old_sex != p->e.sex || old_ncats != p->ncats ||
		       (old_ncats && memcmp(old_cats, p->cats, old_ncats * sizeof(*old_cats)))))
		c->chg_all = true; /* it left a topic: views resend snapshots */
	if (now)
		recompute(c, pi, true);
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
	return code_find(c, NS_CHIP, chip, n, &ci) ? c->codes[ci].pidx : NONE32;
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
	if (c->parts[x].race != c->parts[y].race)
		return c->parts[x].race < c->parts[y].race ? -1 : 1;
	return core__tie(ctx, x, y);
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
		memset(rs->n_cat, 0, (c->cfg.races[i].ncats ? c->cfg.races[i].ncats : 1) *
					     sizeof(*rs->n_cat));
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
		uint32_t *old = rs->by_bib, *m = sl_malloc((rs->n_all ? rs->n_all : 1) * sizeof(*m));
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

void core__rebuild(core *c)
{
	rs_free(c);
	if (c->has_cfg)
		rs_build(c);
	for (size_t pi = 0; pi < c->nparts; pi++) {
		resolve(c, &c->parts[pi]);
		c->parts[pi].listed = -1; /* the new race states list nobody yet */
	}
	for (size_t pi = 0; pi < c->nparts; pi++)
		recompute(c, (uint32_t)pi, true);
	core__recount(c);
	next_epoch(c);
	c->chg_all = c->chg_status = true;
}

void core__install_cfg(core *c, struct cfg *cfg, const msgpack_object *raw)
{
	msgpack_packer pk;
	rs_free(c);
	if (c->has_cfg)
		cfg_release(&c->cfg);
	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	c->has_cfg = true;
	sl_buf_reset(&c->cfg_mp);
	slp_packer_init(&pk, &c->cfg_mp);
	msgpack_pack_object(&pk, *raw);
	core__rebuild(c);
}

void core__set_override(core *c, const char *race, const char *wave, int64_t t0)
{
	size_t i;
	for (i = 0; i < c->novr; i++)
		if (!strcmp(c->ovr[i].race, race) && !strcmp(c->ovr[i].wave, wave))
			break;
	if (i == c->novr) {
		SL_GROW(c->ovr, c->covr, c->novr + 1);
		c->ovr[c->novr++] = (struct wave_ovr){sl_strdup(race), sl_strdup(wave), t0};
	}
	c->ovr[i].t0 = t0;
	if (!c->has_cfg)
		return;
	int ri = cfg_race_find(&c->cfg, race, strlen(race));
	if (ri < 0)
		return;
	int wi = cfg_wave_find(&c->cfg.races[ri], wave, strlen(wave));
	if (wi < 0)
		return;
	c->rs[ri].t0[wi] = t0;
	for (size_t pi = 0; pi < c->nparts; pi++)
		if (c->parts[pi].race == ri && c->parts[pi].wave == wi)
			recompute(c, (uint32_t)pi, false);
	c->chg_all = true;
}

/* ---- records ---------------------------------------------------------- */

#define E(code, ...)                                                           \
	do {                                                                   \
		cval_err(err, errlen, __VA_ARGS__);                            \
		return (code);                                                 \
	} while (0)

static int do_config(core *c, const msgpack_object *root, bool dry, char *err, size_t errlen)
{
	const msgpack_object *m;
	struct cfg cfg;
	int rc = slp_get_map(root, "config", &m);
	if (rc == SL_ENOENT)
		E(SL_EINVAL, "config: required");
	if (rc < 0)
		E(SL_EINVAL, "config: expected map");
	/* core_check (dry) judges a config sent now; the log's are facts */
	if ((rc = cfg_parse(m, &cfg, dry ? CFG_STRICT : 0, err, errlen)) < 0)
		return rc;
	if (c->has_cfg && strcmp(cfg.event, c->cfg.event) != 0) {
		cval_err(err, errlen, "event: '%s' is not this event '%s'", cfg.event,
			 c->cfg.event);
		cfg_release(&cfg);
		return SL_EINVAL;
	}
	if (dry) {
		cfg_release(&cfg);
		return 0;
	}
	core__install_cfg(c, &cfg, m);
	return 0;
}

static int check_rows(const core *c, const msgpack_object_array *a, struct entry *es, char *err,
		      size_t errlen)
{
	hmap chips = HMAP_INIT, bibs = HMAP_INIT, regs = HMAP_INIT;
	char path[48];
	int rc = 0;
	size_t i;

	for (i = 0; i < a->size; i++) {
		struct entry *e = &es[i];
		snprintf(path, sizeof(path), "rows[%zu]", i);
		if ((rc = entry_parse(&a->ptr[i], e, path, err, errlen)) < 0)
			goto out;
		int ri = 0;
		if (e->race) {
			if ((ri = cfg_race_find(&c->cfg, e->race, strlen(e->race))) < 0) {
				cval_err(err, errlen, "%s.race: no race '%s'", path, e->race);
				rc = SL_EINVAL;
				i++;
				goto out;
			}
		} else if (c->cfg.nraces > 1 && !e->blank) {
			cval_err(err, errlen, "%s.race: required when the event has several races",
				 path);
			rc = SL_EINVAL;
			i++;
			goto out;
		}
		if (e->wave && cfg_wave_find(&c->cfg.races[ri], e->wave, strlen(e->wave)) < 0) {
			cval_err(err, errlen, "%s.wave: no wave '%s' in race '%s'", path, e->wave,
				 c->cfg.races[ri].id);
			rc = SL_EINVAL;
			i++;
			goto out;
		}
		if (e->reg) {
			bool added;
			uint32_t pi, q,
				*o = hmap_upsert(&regs, e->reg, strlen(e->reg), (uint32_t)i,
						 &added);
			if (!added) {
				cval_err(err, errlen, "%s.reg: '%s' is also in rows[%u]", path,
					 e->reg, *o);
				rc = SL_EINVAL;
				i++;
				goto out;
			}
			if (core__reg_find(c, e->reg, strlen(e->reg), &pi, &q) == 1) {
				/* given a bib at pickup: the row updates that athlete,
				 * keeping the bib and, when it names none, the chips */
				const struct entry *pe = &c->parts[pi].e;
				if (!e->bib) {
					e->bib = sl_strdup(pe->bib);
					if (!e->nchips) {
						for (int k = 0; k < pe->nchips; k++)
							e->chips[k] = sl_strdup(pe->chips[k]);
						e->nchips = pe->nchips;
					}
				} else if (strcmp(e->bib, pe->bib) != 0) {
					cval_err(err, errlen, "%s.reg: '%s' belongs to bib '%s'",
						 path, e->reg, pe->bib);
					rc = SL_EINVAL;
					i++;
					goto out;
				}
			}
		}
		if (!e->bib) {
			if (e->nchips) {
				cval_err(err, errlen,
					 "%s.chips: a registration without a bib gets "
					 "its chip at pickup",
					 path);
				rc = SL_EINVAL;
				i++;
				goto out;
			}
			continue;
		}
		uint32_t held;
		if (e->blank && hmap_get(&c->bibs, e->bib, strlen(e->bib), &held) &&
		    !c->parts[held].e.blank) {
			cval_err(err, errlen, "%s.blank: bib '%s' is already given to '%s'", path,
				 e->bib, c->parts[held].e.name);
			rc = SL_EINVAL;
			i++;
			goto out;
		}
		hmap_set(&bibs, e->bib, strlen(e->bib), (uint32_t)i);
		for (int k = 0; k < e->nchips; k++) {
			bool added;
			uint32_t *o = hmap_upsert(&chips, e->chips[k], strlen(e->chips[k]),
						  (uint32_t)i, &added);
			if (!added && strcmp(es[*o].bib, e->bib) != 0) {
				cval_err(err, errlen, "%s.chips[%d]: chip '%s' is also given to bib '%s'",
					 path, k, e->chips[k], es[*o].bib);
				rc = SL_EINVAL;
				i++;
				goto out;
			}
			*o = (uint32_t)i;
		}
	}
	/* A chip may move to another bib only when its holder is re-imported. */
	for (size_t r = 0; r < a->size; r++) {
		const struct entry *e = &es[r];
		for (int k = 0; k < e->nchips; k++) {
			uint32_t ci, dummy;
			if (!code_find(c, NS_CHIP, e->chips[k], strlen(e->chips[k]), &ci))
				continue;
			uint32_t owner = c->codes[ci].pidx;
			if (owner == NONE32)
				continue;
			const char *ob = c->parts[owner].e.bib;
			if (strcmp(ob, e->bib) != 0 && !hmap_get(&bibs, ob, strlen(ob), &dummy)) {
				cval_err(err, errlen, "rows[%zu].chips[%d]: chip '%s' belongs to bib '%s'",
					 r, k, e->chips[k], ob);
				rc = SL_EINVAL;
				goto out;
			}
		}
	}
out:
	if (rc < 0)
		for (size_t j = 0; j < i && j < a->size; j++)
			entry_release(&es[j]);
	hmap_release(&chips);
	hmap_release(&bibs);
	hmap_release(&regs);
	return rc;
}

static int do_participants(core *c, const msgpack_object *root, bool dry, char *err,
			   size_t errlen)
{
	const msgpack_object_array *a;
	if (!c->has_cfg)
		E(SL_ESTATE, "participants: no event config yet");
	int rc = slp_get_arr(root, "rows", &a);
	if (rc == SL_ENOENT)
		E(SL_EINVAL, "rows: required");
	if (rc < 0)
		E(SL_EINVAL, "rows: expected array");
	struct entry *es = sl_calloc(a->size ? a->size : 1, sizeof(*es));
	if ((rc = check_rows(c, a, es, err, errlen)) < 0) {
		free(es);
		return rc;
	}
	for (uint32_t i = 0; i < a->size; i++) {
		uint32_t pi, q;
		if (dry) {
			entry_release(&es[i]);
		} else if (!es[i].bib) {
			core__put_pending(c, &es[i]);
		} else {
			if (es[i].reg &&
			    core__reg_find(c, es[i].reg, strlen(es[i].reg), &pi, &q) == 2)
				entry_release(&c->pend[q]); /* the registration got its bib */
			core__put_entry(c, &es[i], true);
		}
	}
	free(es);
	if (!dry)
		core__recount(c);
	return 0;
}

/* raw: the batch already read by mpr_passings(), or NULL to parse root. */
static int do_passings(core *c, const msgpack_object *root, msgpack_zone *z, const slp_batch *raw,
		       bool dry, char *err, size_t errlen)
{
	slp_batch b;
	int rc = 0;
	if (raw)
		b = *raw;
	else
		rc = slp_batch_parse(root, z, &b, err, errlen);
	if (rc < 0)
		return rc;
	if (!b.dev || !b.dev_len)
		E(SL_EINVAL, "dev: required");
	if (dry)
		return 0;
	uint32_t di;
	uint64_t wm = hmap_get(&c->devmap, b.dev, b.dev_len, &di) ? c->devs[di].seq : 0;
	/* seqs rise through the batch: only a prefix can have been folded before */
	size_t first = wm >= b.seq ? (size_t)(wm - b.seq + 1) : 0;
	if (first > b.nreads)
		first = b.nreads;
	size_t m = b.nreads - first;
	const slp_read *rs = b.reads + first;

	/*
	 * Memory latency, not arithmetic, is the cost of a read: its code's
	 * hash slot, the code, the participant and its result are in four
	 * random places.  So the batch goes through in passes, each one
	 * prefetching what the next needs, and the misses overlap.
	 */
	SL_GROW(c->pre, c->cpre, m);
	struct pre *pre = c->pre;
	for (size_t i = 0; i < m; i++) {
		const slp_read *r = &rs[i];
		pre[i].h = r->chip ? hmap_hash_pfx('c', r->chip, r->chip_len)
				   : hmap_hash_pfx('b', r->bib, r->bib_len);
		hmap_prefetch(&c->codemap, pre[i].h);
	}
	for (size_t i = 0; i < m; i++) {
		const slp_read *r = &rs[i];
		pre[i].ci = r->chip ? code_upsert_h(c, NS_CHIP, r->chip, r->chip_len, pre[i].h)
				    : code_upsert_h(c, NS_BIB, r->bib, r->bib_len, pre[i].h);
		__builtin_prefetch(&c->codes[pre[i].ci]);
	}
	/* a batch names a few points over and over: look each up once */
	struct ptc {
		const char *s;
		size_t n;
		uint32_t g;
	} pc[16];
	size_t npc = 0;
	for (size_t i = 0; i < m; i++) {
		size_t q = 0;
		for (; q < npc; q++) {
			size_t e = 0;
			if (pc[q].n != rs[i].pt_len)
				continue;
			while (e < pc[q].n && pc[q].s[e] == rs[i].pt[e])
				e++;
			if (e == pc[q].n)
				break;
		}
		if (q < npc) {
			pre[i].g = pc[q].g;
		} else {
			pre[i].g = core__gpt_intern(c, rs[i].pt, rs[i].pt_len);
			if (npc < 16)
				pc[npc++] = (struct ptc){rs[i].pt, rs[i].pt_len, pre[i].g};
		}
		uint32_t pi = c->codes[pre[i].ci].pidx;
		if (pi != NONE32) { /* the hot fields may straddle two lines */
			__builtin_prefetch(&c->parts[pi]);
			__builtin_prefetch((const char *)&c->parts[pi] + 55);
		}
	}
	for (size_t i = 0; i < m; i++) {
		uint32_t pi = c->codes[pre[i].ci].pidx;
		if (pi == NONE32 || c->parts[pi].race < 0)
			continue;
		const struct race_state *st = &c->rs[c->parts[pi].race];
		int j = pre[i].g < st->nptmap ? st->ptmap[pre[i].g] : -1;
		if (j >= 0) {
			__builtin_prefetch(&c->parts[pi].best[2 * j]);
			__builtin_prefetch(&c->parts[pi].cross[j]);
		}
	}
	for (size_t i = 0; i < m; i++)
		core__add_read(c, pre[i].ci, pre[i].g, rs[i].t, rs[i].kind);
	uint64_t last = b.seq + b.nreads - 1;
	if (last > wm)
		core__set_dev(c, b.dev, b.dev_len, last);
	return 0;
}

static int do_wave_start(core *c, const msgpack_object *root, bool dry, char *err, size_t errlen)
{
	char *race = NULL, *wave = NULL;
	int64_t t0;
	int rc, ri;

	if (!c->has_cfg)
		E(SL_ESTATE, "wave_start: no event config yet");
	if ((rc = cval_id(root, "race", true, &race, "", err, errlen)) < 0)
		goto out;
	if ((rc = cval_id(root, "wave", true, &wave, "", err, errlen)) < 0)
		goto out;
	if ((rc = slp_get_int(root, "t0", &t0)) < 0) {
		cval_err(err, errlen, rc == SL_ENOENT ? "t0: required" : "t0: expected integer");
		rc = SL_EINVAL;
		goto out;
	}
	if (!sl_time_ok(t0)) {
		cval_err(err, errlen,
			 "t0: %lld is not a time in the years 2000 to 2100 (ms since the epoch)",
			 (long long)t0);
		rc = SL_ERANGE;
		goto out;
	}
	if ((ri = cfg_race_find(&c->cfg, race, strlen(race))) < 0) {
		cval_err(err, errlen, "race: no race '%s'", race);
		rc = SL_ENOENT;
		goto out;
	}
	if (cfg_wave_find(&c->cfg.races[ri], wave, strlen(wave)) < 0) {
		cval_err(err, errlen, "wave: no wave '%s' in race '%s'", wave, race);
		rc = SL_ENOENT;
		goto out;
	}
	/* after official, a change says why and who (it corrects the results) */
	const char *why, *who;
	size_t wn = 0, on = 0;
	if (slp_get_str(root, "reason", &why, &wn) == SL_EINVAL ||
	    slp_get_str(root, "official", &who, &on) == SL_EINVAL) {
		cval_err(err, errlen, "%s: expected string",
			 slp_get_str(root, "reason", &why, &wn) == SL_EINVAL ? "reason" : "official");
		rc = SL_EINVAL;
		goto out;
	}
	if (core__race_is_official(c, race) &&
	    (slp_get_str(root, "reason", &why, &wn) != 0 || wn == 0 ||
	     slp_get_str(root, "official", &who, &on) != 0 || on == 0)) {
		cval_err(err, errlen,
			 "race '%s' is official: a wave start now needs a reason and an official "
			 "(--reason, --official)",
			 race);
		rc = SL_ESTATE;
		goto out;
	}
	if (!dry)
		core__set_override(c, race, wave, t0);
out:
	free(race);
	free(wave);
	return rc;
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
		recompute(c, pi, true);
}

static int do_adjust(core *c, const msgpack_object *root, bool dry, char *err, size_t errlen)
{
	struct adj_rec a;
	uint32_t pi;
	int rc;
	if (!c->has_cfg)
		E(SL_ESTATE, "adjust: no event config yet");
	if ((rc = adj_parse(root, &a, err, errlen)) < 0)
		return rc;
	rc = 0;
	if (!hmap_get(&c->bibs, a.bib, strlen(a.bib), &pi)) {
		cval_err(err, errlen, "bib: no participant '%s'", a.bib);
		rc = SL_ENOENT;
	} else if (a.pt) {
		const struct part *p = &c->parts[pi];
		const struct cfg_race *r = p->race >= 0 ? &c->cfg.races[p->race] : NULL;
		int slot;
		if (!r || cfg_point_find(r, a.pt, strlen(a.pt)) < 0) {
			cval_err(err, errlen, "pt: no point '%s' in the race of bib '%s'", a.pt, a.bib);
			rc = SL_ENOENT;
		} else if (a.station && cfg_station_find(r, a.station, strlen(a.station), &slot) !=
						cfg_point_find(r, a.pt, strlen(a.pt))) {
			cval_err(err, errlen, "station: '%s' is no station of point '%s'", a.station,
				 a.pt);
			rc = SL_ENOENT;
		}
	}
	if (rc < 0 || dry) {
		adj_release(&a);
		return rc;
	}
	core__add_adj(c, &a, true);
	return 0;
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

/* Edit distance of two short ids (for "did you mean"); capped at 99. */
static size_t id_distance(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b), row[65];
	if (an > 64 || bn > 64)
		return 99;
	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[bn];
}

int core_read_warnings(const core *c, const slp_read *r, sl_buf *out)
{
	uint32_t pi = NONE32, ci;
	const char *code = r->bib ? r->bib : r->chip;
	size_t cn = r->bib ? r->bib_len : r->chip_len;
	int n = 0;

	if (!c->has_cfg) {
		sl_buf_adds(out, "the event has no configuration yet: no read counts\n");
		return 1;
	}
	if (r->bib) {
		char bib[72];
		snprintf(bib, sizeof(bib), "%.*s", (int)(cn < 64 ? cn : 64), code);
		if (!hmap_get(&c->bibs, bib, strlen(bib), &pi) || c->parts[pi].e.blank)
			pi = NONE32;
	} else if (code_find(c, NS_CHIP, code, cn, &ci)) {
		pi = c->codes[ci].pidx;
	}
	if (pi == NONE32) {
		sl_buf_addf(out, "no participant has %s '%.*s': the read counts for nobody (it is "
				 "kept, and counts once someone gets that %s)\n",
			    r->bib ? "bib" : "chip", (int)(cn < 64 ? cn : 64), code,
			    r->bib ? "bib" : "chip");
		return 1;
	}
	const struct part *p = &c->parts[pi];
	if (p->race < 0) {
		sl_buf_addf(out, "bib '%s' is in no race: the read counts for nothing\n", p->e.bib);
		return 1;
	}
	const struct cfg_race *rc = &c->cfg.races[p->race];
	int slot = 0, j = cfg_station_find(rc, r->pt, r->pt_len, &slot);
	if (j < 0) {
		size_t best = 99;
		const char *near = NULL;
		sl_buf pts = SL_BUF_INIT;
		for (size_t k = 0; k < rc->npoints; k++) {
			size_t d = id_distance(r->pt, r->pt_len, rc->points[k].id);
			if (d < best)
				best = d, near = rc->points[k].id;
			sl_buf_addf(&pts, "%s%s", k ? ", " : "", rc->points[k].id);
		}
		sl_buf_addf(out, "point '%.*s' is not a timing point of race '%s' (bib '%s'); ",
			    (int)(r->pt_len < 64 ? r->pt_len : 64), r->pt, rc->id, p->e.bib);
		if (near && best <= 2)
			sl_buf_addf(out, "did you mean '%s'?\n", near);
		else
			sl_buf_addf(out, "its points: %s\n", pts.data ? pts.data : "none");
		sl_buf_release(&pts);
		return 1;
	}
	int64_t t0 = p->wave >= 0 ? c->rs[p->race].t0[p->wave] : NO_TIME;
	if (t0 != NO_TIME && r->t < t0) {
		sl_buf ts = SL_BUF_INIT, ss = SL_BUF_INIT;
		sl_fmt_iso(&ts, r->t);
		sl_fmt_iso(&ss, t0);
		sl_buf_addf(out, "%s is before the start of bib '%s''s wave '%s' (%s): the read "
				 "does not count\n",
			    ts.data, p->e.bib, rc->waves[p->wave].id, ss.data);
		sl_buf_release(&ts);
		sl_buf_release(&ss);
		n++;
	}
	bool by_hand = r->kind == SLP_KIND_MANUAL || r->kind == SLP_KIND_HANDHELD ||
		       r->kind == SLP_KIND_BACKUP;
	if (by_hand && p->best && p->best[2 * j] != NO_TIME) {
		sl_buf ts = SL_BUF_INIT;
		sl_fmt_iso(&ts, p->best[2 * j]);
		sl_buf_addf(out, "bib '%s' has a mat read at '%s' (%s): a %s read there does not "
				 "count (use adjust ... hand_time to replace a mat's time)\n",
			    p->e.bib, rc->points[j].id, ts.data, slp_kind_name(r->kind));
		sl_buf_release(&ts);
		n++;
	}
	return n;
}

/*
 * What a record would correct in a race that is official (c->cur): who,
 * why, when.  Officials' records say it themselves (official, reason);
 * device input is "reads from device D"; race_official and lineup correct
 * nothing.
 */
static void describe(core *c, const msgpack_object *root, const char *k, size_t kn,
		     const slp_batch *raw)
{
	memset(&c->cur, 0, sizeof(c->cur));
	c->cur.gen = ++c->rec_gen;
	slp_get_int(root, "rx", &c->cur.at);
	if ((kn == 13 && !memcmp(k, "race_official", 13)) || (kn == 6 && !memcmp(k, "lineup", 6)))
		return;
	if (slp_get_str(root, "reason", &c->cur.why, &c->cur.whylen) == 0 && c->cur.whylen) {
		slp_get_str(root, "official", &c->cur.by, &c->cur.bylen);
		return;
	}
	const char *dev = raw ? raw->dev : NULL;
	size_t dn = raw ? raw->dev_len : 0;
	if (!dev)
		slp_get_str(root, "dev", &dev, &dn);
	if (dev && dn) {
		int n = snprintf(c->cur.buf, sizeof(c->cur.buf), "%s from device '%.*s'",
				 kn == 8 && !memcmp(k, "passings", 8) ? "reads" : "scans",
				 (int)(dn > 64 ? 64 : dn), dev);
		c->cur.why = c->cur.buf;
		c->cur.whylen = (size_t)n;
		c->cur.by = dev;
		c->cur.bylen = dn;
		return;
	}
	c->cur.bulk = (kn == 12 && !memcmp(k, "participants", 12)) || (kn == 6 && !memcmp(k, "config", 6));
	static const char *const what[][2] = {{"participants", "participants changed"},
					      {"config", "event configuration changed"},
					      {"wave_start", "wave start changed"}};
	const char *w = "record";
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		if (strlen(what[i][0]) == kn && !memcmp(what[i][0], k, kn))
			w = what[i][1];
	int n = snprintf(c->cur.buf, sizeof(c->cur.buf), "%s", w);
	c->cur.why = c->cur.buf;
	c->cur.whylen = (size_t)n;
}

/* ---- officials' decisions in the audit trail ----------------------------- */

static void fmt_ms_time(char *out, size_t n, int64_t t)
{
	sl_buf b = SL_BUF_INIT;
	if (t == NO_TIME)
		sl_buf_adds(&b, "none");
	else
		sl_fmt_iso(&b, t);
	snprintf(out, n, "%s", b.data);
	sl_buf_release(&b);
}

static void fmt_adjustment(char *out, size_t n, int64_t ms)
{
	sl_buf b = SL_BUF_INIT;
	if (ms == 0) {
		snprintf(out, n, "none");
		return;
	}
	sl_buf_addc(&b, ms < 0 ? '-' : '+');
	sl_fmt_hms(&b, ms < 0 ? -ms : ms, ms % 1000 ? 1 : 1000);
	snprintf(out, n, "%s", b.data);
	sl_buf_release(&b);
}

/* An adjust's value of its kind in a bib's state, as text. */
static void adj_value(const struct adj_rec *a, const struct adj_state *s, char *out, size_t n)
{
	const struct adj_point *ap = s && a->pt ? adj_state_point(s, a->pt) : NULL;
	switch (a->type) {
	case ADJ_PENALTY:
		fmt_adjustment(out, n, s ? s->penalty_ms : 0);
		break;
	case ADJ_PLACE:
		if (s && s->place > 0)
			snprintf(out, n, "%d%s", s->place, s->place_dh ? " (dead heat)" : "");
		else
			snprintf(out, n, "none");
		break;
	case ADJ_STATION:
		snprintf(out, n, "%s", ap && ap->station ? ap->station : "primary");
		break;
	case ADJ_HAND:
		fmt_ms_time(out, n, ap ? ap->hand : NO_TIME);
		break;
	default:
		snprintf(out, n, "%s", s && s->flag[a->type] ? "on" : "off");
	}
}

/*
 * Before an official's decision folds: what it is about and the value it
 * replaces (c->cur); after, audit_decision adds the new value and writes
 * the row.  Hand-entered passings are those of an official's own device.
 */
static void audit_prepare(core *c, const msgpack_object *root, const char *k, size_t kn,
			  const slp_batch *raw)
{
	const char *s;
	size_t sn;
	c->cur.audit = false;
	if (kn == 6 && !memcmp(k, "adjust", 6)) {
		struct adj_rec a;
		char e[8];
		uint32_t pi;
		if (adj_parse(root, &a, e, sizeof(e)) < 0)
			return;
		const struct adj_state *st = NULL;
		if (hmap_get(&c->bibs, a.bib, strlen(a.bib), &pi) && c->parts[pi].ast != NONE32)
			st = &c->ast[c->parts[pi].ast];
		c->cur.op = adj_type_name(a.type);
		snprintf(c->cur.bib, sizeof(c->cur.bib), "%s", a.bib);
		snprintf(c->cur.pt, sizeof(c->cur.pt), "%s", a.pt ? a.pt : "");
		adj_value(&a, st, c->cur.from, sizeof(c->cur.from));
		adj_release(&a);
		c->cur.audit = true;
	} else if (kn == 10 && !memcmp(k, "wave_start", 10)) {
		const char *w;
		size_t wn;
		int ri, wi;
		if (!c->has_cfg || slp_get_str(root, "race", &s, &sn) != 0 ||
		    slp_get_str(root, "wave", &w, &wn) != 0 ||
		    (ri = cfg_race_find(&c->cfg, s, sn)) < 0 ||
		    (wi = cfg_wave_find(&c->cfg.races[ri], w, wn)) < 0)
			return;
		c->cur.op = "wave_start";
		snprintf(c->cur.race, sizeof(c->cur.race), "%.*s", (int)sn, s);
		snprintf(c->cur.pt, sizeof(c->cur.pt), "wave %.*s", (int)(wn < 60 ? wn : 60), w);
		fmt_ms_time(c->cur.from, sizeof(c->cur.from), c->rs[ri].t0[wi]);
		c->cur.audit = true;
	} else if ((kn == 13 && !memcmp(k, "race_official", 13)) || (kn == 6 && !memcmp(k, "lineup", 6))) {
		if (slp_get_str(root, "race", &s, &sn) != 0 || sn >= sizeof(c->cur.race))
			return;
		c->cur.op = kn == 6 ? "lineup" : "race_official";
		snprintf(c->cur.race, sizeof(c->cur.race), "%.*s", (int)sn, s);
		if (kn == 13)
			snprintf(c->cur.from, sizeof(c->cur.from), "%s",
				 core_race_results_state(c, c->cur.race));
		c->cur.audit = true;
	} else if (kn == 8 && !memcmp(k, "passings", 8)) {
		const char *dev = raw ? raw->dev : NULL;
		size_t dn = raw ? raw->dev_len : 0;
		if (!dev && slp_get_str(root, "dev", &dev, &dn) != 0)
			return;
		bool own = (dn >= 9 && !memcmp(dev, "official-", 9)) || (dn == 5 && !memcmp(dev, "admin", 5)) ||
			   (dn >= 6 && !memcmp(dev, "admin-", 6));
		if (!own)
			return; /* a timing device's reads are not decisions */
		c->cur.op = "passing";
		c->cur.audit = true;
	}
}

static void audit_decision(core *c, const msgpack_object *root, const slp_batch *raw)
{
	const char *reason = NULL, *by = NULL, *dev = NULL;
	size_t rn = 0, bn = 0, dn = 0;
	slp_get_str(root, "reason", &reason, &rn);
	slp_get_str(root, "official", &by, &bn);
	if (!strcmp(c->cur.op, "race_official")) {
		snprintf(c->cur.to, sizeof(c->cur.to), "%s", core_race_results_state(c, c->cur.race));
	} else if (!strcmp(c->cur.op, "lineup")) {
		const msgpack_object *lo = slp_get(root, "lanes");
		snprintf(c->cur.to, sizeof(c->cur.to), "%s",
			 lo && lo->type != MSGPACK_OBJECT_NIL ? "set by hand" : "drawn");
	} else if (!strcmp(c->cur.op, "wave_start")) {
		int64_t t0 = NO_TIME;
		slp_get_int(root, "t0", &t0);
		fmt_ms_time(c->cur.to, sizeof(c->cur.to), t0);
	} else if (!strcmp(c->cur.op, "passing")) {
		/* the reads: "bib 12 at finish 2015-...Z (manual)"; a few, then how many */
		slp_batch b;
		msgpack_zone z;
		char e[8];
		msgpack_zone_init(&z, 1024);
		if (raw)
			b = *raw;
		else if (slp_batch_parse(root, &z, &b, e, sizeof(e)) < 0)
			b.nreads = 0;
		size_t off = 0;
		for (size_t i = 0; i < b.nreads && i < 3; i++) {
			const slp_read *r = &b.reads[i];
			char t[40];
			fmt_ms_time(t, sizeof(t), r->t);
			off += (size_t)snprintf(c->cur.to + off, sizeof(c->cur.to) - off,
						"%s%s %.*s at %.*s %s (%s)", i ? "; " : "",
						r->bib ? "bib" : "chip",
						(int)(r->bib ? r->bib_len : r->chip_len),
						r->bib ? r->bib : r->chip, (int)r->pt_len, r->pt, t,
						slp_kind_name(r->kind) ? slp_kind_name(r->kind) : "?");
			if (off >= sizeof(c->cur.to))
				break;
		}
		if (b.nreads > 3 && off < sizeof(c->cur.to))
			snprintf(c->cur.to + off, sizeof(c->cur.to) - off, "; %zu reads in all",
				 b.nreads);
		if (b.nreads == 1)
			snprintf(c->cur.bib, sizeof(c->cur.bib), "%.*s",
				 (int)(b.reads[0].bib ? b.reads[0].bib_len : b.reads[0].chip_len),
				 b.reads[0].bib ? b.reads[0].bib : b.reads[0].chip);
		dev = b.dev;
		dn = b.dev_len;
		by = dev;
		bn = dn;
		msgpack_zone_destroy(&z);
	} else {
		/* adjust: the value in force now */
		struct adj_rec a;
		char e[8];
		uint32_t pi;
		if (adj_parse(root, &a, e, sizeof(e)) == 0) {
			const struct adj_state *st = NULL;
			if (hmap_get(&c->bibs, a.bib, strlen(a.bib), &pi) &&
			    c->parts[pi].ast != NONE32)
				st = &c->ast[c->parts[pi].ast];
			adj_value(&a, st, c->cur.to, sizeof(c->cur.to));
			adj_release(&a);
		}
	}
	checkin_audit_decision(c, c->cur.at, c->cur.at != 0, dev, dn, by, bn, reason, rn);
}

static int fold(core *c, const char *rec, size_t len, bool dry, char *err, size_t errlen)
{
	msgpack_zone z;
	msgpack_object root;
	size_t off = 0;
	const char *k;
	size_t kn;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!rec || !len) {
		cval_err(err, errlen, "record: empty");
		return SL_EPARSE;
	}
	/* Applying reuses the core's zone (its first chunk stays allocated). */
	msgpack_zone *zp = dry ? &z : &c->zone;
	if (dry)
		msgpack_zone_init(&z, 4096);
	/* A plain passings record skips the object tree (mpr_passings()). */
	static const msgpack_object_kv raw_kv = {
		{MSGPACK_OBJECT_STR, {.str = {1, "k"}}},
		{MSGPACK_OBJECT_STR, {.str = {8, "passings"}}}};
	slp_batch rawb;
	bool raw = !dry && mpr_passings(rec, len, &rawb, &c->rawreads, &c->crawreads);
	int ur = MSGPACK_UNPACK_SUCCESS;
	if (raw)
		root = (msgpack_object){MSGPACK_OBJECT_MAP,
					{.map = {1, (msgpack_object_kv *)&raw_kv}}};
	else if (slp_check_bounds(rec, len, NULL, 0) < 0) /* counts backed by bytes */
		ur = MSGPACK_UNPACK_PARSE_ERROR;
	else
		ur = msgpack_unpack(rec, len, &off, zp, &root);
	if (ur != MSGPACK_UNPACK_SUCCESS) {
		cval_err(err, errlen, ur == MSGPACK_UNPACK_EXTRA_BYTES
					      ? "record: trailing bytes after the map"
					      : "record: malformed msgpack");
		rc = SL_EPARSE;
		goto out;
	}
	if (root.type != MSGPACK_OBJECT_MAP) {
		cval_err(err, errlen, "record: expected map");
		rc = SL_EPARSE;
		goto out;
	}
	if ((rc = slp_get_str(&root, "k", &k, &kn)) < 0) {
		cval_err(err, errlen, rc == SL_ENOENT ? "k: required" : "k: expected string");
		rc = SL_EINVAL;
		goto out;
	}
	/* official races' results before a record that rebuilds (see results_digest) */
	struct {
		char *race;
		uint64_t h;
	} *was = NULL;
	size_t nwas = 0;
	if (!dry) {
		describe(c, &root, k, kn, raw ? &rawb : NULL);
		audit_prepare(c, &root, k, kn, raw ? &rawb : NULL);
		for (size_t i = 0; c->cur.bulk && c->has_cfg && c->rs && i < c->cfg.nraces; i++) {
			if (!c->rs[i].official)
				continue;
			was = sl_realloc(was, (nwas + 1) * sizeof(*was));
			was[nwas].race = sl_strdup(c->cfg.races[i].id);
			was[nwas++].h = results_digest(c, (int)i);
		}
	}
	if (kn == 8 && !memcmp(k, "passings", 8))
		rc = do_passings(c, &root, zp, raw ? &rawb : NULL, dry, err, errlen);
	else if (kn == 12 && !memcmp(k, "participants", 12))
		rc = do_participants(c, &root, dry, err, errlen);
	else if (kn == 10 && !memcmp(k, "wave_start", 10))
		rc = do_wave_start(c, &root, dry, err, errlen);
	else if (kn == 6 && !memcmp(k, "config", 6))
		rc = do_config(c, &root, dry, err, errlen);
	else if (kn == 6 && !memcmp(k, "adjust", 6))
		rc = do_adjust(c, &root, dry, err, errlen);
	else if (kn == 13 && !memcmp(k, "race_official", 13))
		rc = core__race_record(c, &root, rec, len, false, dry, err, errlen);
	else if (kn == 6 && !memcmp(k, "lineup", 6))
		rc = core__race_record(c, &root, rec, len, true, dry, err, errlen);
	else if ((kn == 8 && !memcmp(k, "checkins", 8)) || (kn == 12 && !memcmp(k, "checkin_undo", 12)))
		rc = checkin_fold(c, &root, kn == 12, dry, err, errlen);
	else {
		cval_err(err, errlen, "k: unknown record kind '%.*s'", (int)(kn > 40 ? 40 : kn), k);
		rc = SL_EINVAL;
	}
	if (rc == 0 && !dry) {
		flush(c);
		c->nrecords++;
		c->chg_status = true;
	}
	if (rc == 0 && !dry && c->cur.audit)
		audit_decision(c, &root, raw ? &rawb : NULL);
	for (size_t i = 0; i < nwas; i++) {
		int ri = rc == 0 ? cfg_race_find(&c->cfg, was[i].race, strlen(was[i].race)) : -1;
		if (ri >= 0 && c->rs[ri].official && results_digest(c, ri) != was[i].h)
			core__race_corrected(c, ri);
		free(was[i].race);
	}
	free(was);
	memset(&c->cur, 0, sizeof(c->cur));
out:
	if (dry)
		msgpack_zone_destroy(&z);
	else
		msgpack_zone_clear(&c->zone);
	return rc;
}

/* ---- the facade --------------------------------------------------------- */


static void release_all(core *c)
{
	rs_free(c);
	if (c->has_cfg)
		cfg_release(&c->cfg);
	sl_buf_release(&c->cfg_mp);
	sl_buf_release(&c->key);
	for (size_t i = 0; i < c->novr; i++) {
		free(c->ovr[i].race);
		free(c->ovr[i].wave);
	}
	free(c->ovr);
	for (size_t i = 0; i < c->nparts; i++) {
		entry_release(&c->parts[i].e);
		free(c->parts[i].cats);
		free(c->parts[i].cross);
	}
	free(c->parts);
	hmap_release(&c->bibs);
	for (size_t i = 0; i < c->npend; i++)
		entry_release(&c->pend[i]);
	free(c->pend);
	hmap_release(&c->regmap);
	for (size_t i = 0; i < c->ncodes; i++)
		free(c->codes[i].s);
	free(c->codes);
	hmap_release(&c->codemap);
	free(c->reads);
	for (size_t i = 0; i < c->ngpts; i++)
		free(c->gpts[i]);
	free(c->gpts);
	hmap_release(&c->gptmap);
	for (size_t i = 0; i < c->ndevs; i++)
		free(c->devs[i].id);
	free(c->devs);
	hmap_release(&c->devmap);
	for (size_t i = 0; i < c->nadjs; i++)
		adj_release(&c->adjs[i]);
	free(c->adjs);
	core__rfacts_free(c);
	for (size_t i = 0; i < c->nast; i++)
		adj_state_release(&c->ast[i]);
	free(c->ast);
	hmap_release(&c->astmap);
	free(c->chg);
	free(c->uchg);
	free(c->dirty);
	free(c->g);
	free(c->sc);
	free(c->pre);
	free(c->rawreads);
	msgpack_zone_destroy(&c->zone);
	checkin_free(c);
}

static void init(core *c)
{
	memset(c, 0, sizeof(*c));
	hmap_init(&c->bibs);
	hmap_init(&c->regmap);
	hmap_init(&c->codemap);
	hmap_init(&c->gptmap);
	hmap_init(&c->devmap);
	hmap_init(&c->astmap);
	sl_buf_init(&c->cfg_mp);
	sl_buf_init(&c->key);
	msgpack_zone_init(&c->zone, 1 << 18);
	c->epoch = 1;
}

void core__reset(core *c)
{
	release_all(c);
	init(c);
}

void core_free(core *c)
{
	if (!c)
		return;
	release_all(c);
	free(c);
}

core *core_new(void)
{
	core *c = sl_malloc(sizeof(*c));
	init(c);
	return c;
}

int core_apply(core *c, const char *rec, size_t len, char *err, size_t errlen)
{
	return fold(c, rec, len, false, err, errlen);
}

int core_check(const core *c, const char *rec, size_t len, char *err, size_t errlen)
{
	/* The dry path never writes to the core. */
	return fold((core *)c, rec, len, true, err, errlen);
}

const char *core_event_id(const core *c)
{
	return c->has_cfg ? c->cfg.event : NULL;
}

uint64_t core_nrecords(const core *c)
{
	return c->nrecords;
}

bool core_changed_all(const core *c)
{
	return c->chg_all;
}

size_t core_changed(const core *c, const uint32_t **pidx)
{
	*pidx = c->chg;
	return c->nchg;
}

void core_changes_clear(core *c)
{
	for (size_t i = 0; i < c->nchg; i++) {
		struct part *p = &c->parts[c->chg[i]];
		p->chg = false;
		p->fin_at_clear = p->status == ST_FINISHED;
	}
	c->nchg = 0;
	for (size_t i = 0; i < c->nuchg; i++)
		c->codes[c->uchg[i]].uchg = false;
	c->nuchg = 0;
	c->chg_all = c->chg_status = false;
	c->prog_chg = false;
	checkin_changes_clear(c);
}

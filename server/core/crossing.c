/*
 * crossing.c: where a read becomes a crossing.  The read store (codes,
 * interned point ids, device watermarks), the fold of a batch of reads, and
 * the computation of each participant's crossings from its reads:
 *
 *   start  = the point's rule (default last) over reads in [T0, T0+window];
 *            none -> T0 (no start read)
 *   point  = the rule (default first) over reads in
 *            [max(T0, start + min), + window]
 *   rfid reads win at a point; handheld/manual/backup reads count only when
 *   no rfid read qualifies there.
 *
 * A read at a split or finish is folded in O(1) (fold_read); anything that
 * moves the windows (a start read, T0, the config, the codes) queues the
 * participant, and at the end of the record each queued one is recomputed
 * once (core__flush).  When a recomputed result differs, the participant
 * leaves its ranking trees and enters again (place.c), and joins the change
 * set.
 *
 * Device watermarks live here too: a read whose seq is at or below its
 * device's watermark was folded before and is skipped, so overlapping
 * batches count each read once, whatever the store did.  Each device also
 * knows where its reads are (segments of seqs -> read indices), so that an
 * official can name one read by (device, seq) and make it void
 * (read_void): a void read stays in the store and counts for nothing.
 *
 * Calls place.c (rank, unrank) and official.c (a result that changes in an
 * official race corrects it); the roster calls in, never the other way.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "core_int.h"

static void mark_chg(core *c, uint32_t pi)
{
	struct part *p = &c->parts[pi];
	if (p->chg)
		return;
	p->chg = true;
	SL_GROW(c->chg, c->cchg, c->nchg + 1);
	c->chg[c->nchg++] = pi;
}

static inline void mark_uchg(core *c, uint32_t ci)
{
	if (c->codes[ci].uchg)
		return;
	c->codes[ci].uchg = true;
	SL_GROW(c->uchg, c->cuchg, c->nuchg + 1);
	c->uchg[c->nuchg++] = ci;
}

static void fold_read(core *c, uint32_t pi, const struct rd *x);

static inline void queue(core *c, uint32_t pi)
{
	struct part *p = &c->parts[pi];
	if (p->dirty == c->epoch)
		return;
	p->dirty = c->epoch;
	SL_GROW(c->dirty, c->cdirty, c->ndirty + 1);
	c->dirty[c->ndirty++] = pi;
}

static inline void set_status(core *c, struct part *p, int st)
{
	bool was_started = p->status >= ST_STARTED && p->status <= ST_FINISHED;
	bool now_started = st >= ST_STARTED && st <= ST_FINISHED;
	c->nstarted += (uint32_t)now_started - (uint32_t)was_started;
	c->nfinished += (uint32_t)(st == ST_FINISHED) - (uint32_t)(p->status == ST_FINISHED);
	p->status = st;
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

/* The change set and status counts, for the roster (inline here: hot). */
void core__mark_uchg(core *c, uint32_t ci)
{
	mark_uchg(c, ci);
}

void core__queue(core *c, uint32_t pi)
{
	queue(c, pi);
}

void core__set_status(core *c, struct part *p, int st)
{
	set_status(c, p, st);
}

static char ns_pfx(int ns)
{
	return ns == NS_BIB ? 'b' : 'c';
}

static uint32_t code_upsert_h(core *c, int ns, const char *s, size_t n, uint64_t h)
{
	bool added;
	uint32_t ci =
		*hmap_upsert_pfx(&c->codemap, ns_pfx(ns), s, n, h, (uint32_t)c->ncodes, &added);
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

bool core__code_find(const core *c, int ns, const char *s, size_t n, uint32_t *ci)
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
	uint32_t g;
	if (!HMAP_INTERN(&c->gptmap, s, n, c->gpts, c->cgpts, c->ngpts, &g))
		return g;
	c->gpts[g] = sl_strndup(s, n);
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

uint32_t core__dev_index(core *c, const char *id, size_t n)
{
	uint32_t di;
	if (HMAP_INTERN(&c->devmap, id, n, c->devs, c->cdevs, c->ndevs, &di))
		c->devs[di].id = sl_strndup(id, n);
	return di;
}

void core__set_dev(core *c, const char *id, size_t n, uint64_t seq)
{
	c->devs[core__dev_index(c, id, n)].seq = seq;
}

void core__dev_seg(core *c, uint32_t di, uint64_t seq, uint32_t ri, uint32_t n)
{
	struct dev *d = &c->devs[di];
	struct rseg *l = d->nseg ? &d->seg[d->nseg - 1] : NULL;
	if (l && l->seq + l->n == seq && l->ri + l->n == ri) {
		l->n += n; /* one device alone: its batches lie end to end */
		return;
	}
	SL_GROW(d->seg, d->cseg, d->nseg + 1);
	d->seg[d->nseg++] = (struct rseg){seq, ri, n};
}

int core__read_find(const core *c, const char *dev, size_t dn, uint64_t seq, uint32_t *ri)
{
	uint32_t di;
	if (!hmap_get(&c->devmap, dev, dn, &di))
		return SL_ENOENT;
	const struct dev *d = &c->devs[di];
	size_t lo = 0, hi = d->nseg; /* the last segment starting at or before seq */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->seg[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || seq - d->seg[lo - 1].seq >= d->seg[lo - 1].n)
		return SL_ENOENT;
	*ri = d->seg[lo - 1].ri + (uint32_t)(seq - d->seg[lo - 1].seq);
	return 0;
}

/* A code's count and first time, over its reads that count. */
static void code_count(core *c, uint32_t ci)
{
	struct code *k = &c->codes[ci];
	k->nreads = 0;
	for (uint32_t ri = k->head; ri != NONE32; ri = c->reads[ri].next) {
		if (c->reads[ri].vd)
			continue;
		if (k->nreads == 0 || c->reads[ri].t < k->first)
			k->first = c->reads[ri].t;
		k->nreads++;
	}
}

void core__read_void(core *c, uint32_t ri, bool on)
{
	struct rd *x = &c->reads[ri];
	struct code *k = &c->codes[x->code];
	if (x->vd == on)
		return;
	x->vd = on;
	uint32_t had = k->nreads;
	code_count(c, x->code);
	if (k->pidx != NONE32) {
		queue(c, k->pidx);
		return;
	}
	c->nunknown += (uint32_t)(k->nreads > 0) - (uint32_t)(had > 0);
	mark_uchg(c, x->code);
}

void core__add_read(core *c, uint32_t ci, uint32_t gpt, int64_t t, int kind)
{
	if (c->nreads == c->creads)
		SL_GROW(c->reads, c->creads, c->nreads + 1);
	uint32_t ri = (uint32_t)c->nreads++;
	struct code *k = &c->codes[ci];
	/* newest first: linking needs no visit to the previous read */
	c->reads[ri] = (struct rd){t, k->head, ci, gpt, (uint8_t)kind, false};
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
 * Every read of p's codes at a point of its race into c->g (newest first per
 * code); how many.  slots: the station slot rides in the high bits of j
 * (the general recompute), the read kind stays in kind.
 */
static inline size_t gather(core *c, const struct part *p, const struct race_state *rs, bool slots)
{
	size_t ng = 0;
	for (int k = 0; k < PART_NCODES; k++) {
		uint32_t ci = p->code[k];
		if (ci == NONE32)
			continue;
		for (uint32_t ri = c->codes[ci].head; ri != NONE32; ri = c->reads[ri].next) {
			const struct rd *x = &c->reads[ri];
			int j = x->gpt < rs->nptmap ? rs->ptmap[x->gpt] : -1;
			if (j < 0 || x->vd)
				continue;
			if (ng == c->cg)
				SL_GROW(c->g, c->cg, ng + 1);
			if (slots)
				j |= rs->stmap[x->gpt] << 10;
			c->g[ng++] = (struct gath){x->t, (int16_t)j, x->kind};
		}
	}
	return ng;
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

void core__recompute(core *c, uint32_t pi, bool force)
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
	size_t np = r->npoints;
	int64_t t0 = p->wave >= 0 ? rs->t0[p->wave] : NO_TIME;
	int64_t lo, hi;

	size_t ng = gather(c, p, rs, false);
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

	bool same = start == p->start && t0 == p->t0 && memcmp(nc, p->cross, np * sizeof(*nc)) == 0;
	if (!force && same)
		return;

	core__unrank(c, p, pi);
	memcpy(p->cross, nc, np * sizeof(*nc));
	p->start = start;
	p->t0 = t0;
	derive(c, p, r);
	core__rank(c, p, pi);
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
 * override the derived status, and core__rank() applies handicap, penalty,
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

/* The split after point `after` in course order (distance, then index; -1: the first), or -1. */
static int next_split(const struct cfg_race *r, int after)
{
	int best = -1;
	for (int j = 0; j < (int)r->npoints; j++) {
		if (j == r->start_pt || j == r->finish_pt)
			continue;
		double d = r->points[j].distance_m;
		bool later = after < 0 || d > r->points[after].distance_m ||
			     (d == r->points[after].distance_m && j > after);
		bool sooner = best < 0 || d < r->points[best].distance_m ||
			      (d == r->points[best].distance_m && j < best);
		if (later && sooner)
			best = j;
	}
	return best;
}

/*
 * Regattas: a station's reading must also fit the crew's neighbouring
 * crossings in course order.  A split comes at least the difference of the
 * two points' min_s after the crew's previous crossing (the start, or the
 * split before it that stood), and not after its finish.  A reading that
 * does not fit (another crew's crossing inside the plausible window, a
 * button pressed late) is set aside, and the point is chosen again from
 * its other readings, under its rule, primary station first.  A hand time
 * or a station an official chose is a decision and stays.  The finish is
 * judged against the start only: an intermediate station never takes a
 * crew's finish away.  sb/off/best/nc as in recompute_ext.
 */
static void neighbour_rule(core *c, const struct cfg_race *r, const struct adj_state *a,
			   int64_t t0, int64_t start, size_t ng, const int64_t *off, int64_t *sb,
			   int64_t *best, int64_t *nc)
{
	int64_t tf = r->finish_pt >= 0 ? nc[r->finish_pt] : NO_TIME;
	int64_t prev_t = start, prev_min = 0;
	for (int j = next_split(r, -1); j >= 0; j = next_split(r, j)) {
		const struct cfg_point *pt = &r->points[j];
		const struct adj_point *ap = a ? adj_state_point(a, pt->id) : NULL;
		int64_t lo, hi, seg = pt->min_ms > prev_min ? pt->min_ms - prev_min : 0;
		bounds(r, j, t0, start, &lo, &hi);
		if (lo < prev_t + seg)
			lo = prev_t + seg;
		if (tf != NO_TIME && hi > tf)
			hi = tf;
		bool decided = ap && (ap->hand != NO_TIME || ap->station);
		if (!decided && nc[j] != NO_TIME && (nc[j] < lo || nc[j] > hi)) {
			int64_t *s = &sb[2 * off[j]];
			for (size_t q = 0; q < 2 * (1 + pt->nstations); q++)
				s[q] = NO_TIME;
			for (size_t i = 0; i < ng; i++)
				if ((c->g[i].j & 1023) == j && c->g[i].t >= lo && c->g[i].t <= hi)
					consider(&s[2 * (c->g[i].j >> 10)], pt->rule, c->g[i].t,
						 c->g[i].kind);
			best[2 * j] = nc[j] = pick_station(c, r, j, s, a);
		}
		if (nc[j] != NO_TIME) {
			prev_t = nc[j];
			prev_min = pt->min_ms;
		}
	}
}

static void recompute_ext(core *c, uint32_t pi, bool force)
{
	struct part *p = &c->parts[pi];
	const struct cfg_race *r = &c->cfg.races[p->race];
	const struct race_state *rs = &c->rs[p->race];
	const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
	size_t np = r->npoints, nslots = np + r->nbackups;
	int64_t t0 = p->wave >= 0 ? rs->t0[p->wave] : NO_TIME;
	int64_t lo, hi;

	size_t ng = gather(c, p, rs, true);
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
	if (start == NO_TIME && r->kind == RACE_TRIAL && t0 != NO_TIME &&
	    r->start_interval_ms >= 0 && p->e.lane >= 1)
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
				best[2 * j] = nc[j] =
					pick_station(c, r, (int)j, &sb[2 * off[j]], a);
		if (r->kind != RACE_MASS)
			neighbour_rule(c, r, a, t0, start, ng, off, sb, best, nc);
	} else if (a) {
		for (size_t j = 0; j < np; j++) { /* hand times count even without a start */
			const struct adj_point *ap = adj_state_point(a, r->points[j].id);
			if ((int)j != r->start_pt && ap && ap->hand != NO_TIME)
				best[2 * j] = nc[j] = ap->hand;
		}
	}
	memcpy(p->best, best, 2 * np * sizeof(*best));

	core__unrank(c, p, pi);
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
	core__rank(c, p, pi);
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
		core__unrank(c, p, pi);
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
		core__rank(c, p, pi);
	result_changed(c, p);
	mark_chg(c, pi);
}

void core__next_epoch(core *c)
{
	c->ndirty = 0;
	if (++c->epoch == 0) {
		/* after 2^32 records: restart the epochs so no stale mark matches */
		for (size_t i = 0; i < c->nparts; i++)
			c->parts[i].dirty = 0;
		c->epoch = 1;
	}
}

void core__flush(core *c)
{
	for (size_t i = 0; i < c->ndirty; i++)
		core__recompute(c, c->dirty[i], false);
	core__next_epoch(c);
}

/*
 * Fold a batch of reads (b: checked, its seqs from b->seq): the reads at
 * or below the device's watermark were folded before and are skipped, each
 * other becomes a read of its code and, through fold_read(), a crossing.
 */
void core__fold_batch(core *c, const slp_batch *raw)
{
	slp_batch b = *raw;
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
	uint32_t ri = (uint32_t)c->nreads;
	for (size_t i = 0; i < m; i++)
		core__add_read(c, pre[i].ci, pre[i].g, rs[i].t, rs[i].kind);
	uint64_t last = b.seq + b.nreads - 1;
	if (last > wm) {
		uint32_t di = core__dev_index(c, b.dev, b.dev_len);
		c->devs[di].seq = last;
		core__dev_seg(c, di, b.seq + first, ri, (uint32_t)m);
	}
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
	} else if (core__code_find(c, NS_CHIP, code, cn, &ci)) {
		pi = c->codes[ci].pidx;
	}
	if (pi == NONE32) {
		sl_buf_addf(out,
			    "no participant has %s '%.*s': the read counts for nobody (it is "
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
		sl_buf_addf(out,
			    "%s is before the start of bib '%s''s wave '%s' (%s): the read "
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
		sl_buf_addf(out,
			    "bib '%s' has a mat read at '%s' (%s): a %s read there does not "
			    "count (use adjust ... hand_time to replace a mat's time)\n",
			    p->e.bib, rc->points[j].id, ts.data, slp_kind_name(r->kind));
		sl_buf_release(&ts);
		n++;
	}
	return n;
}

/*
 * flt.c: read groups, group time and dead time (see flt.h).
 *
 * Chips live in an open-addressing hash table (power-of-two size, linear
 * probing, never deleted: a race has a bounded set of chips).  Open groups
 * are listed in open[] (indices into the entries) so closing scans only
 * them.
 */
#include "flt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ent {
	char chip[RDR_CHIP_MAX + 1];
	bool used, open;
	int64_t last_pass; /* INT64_MIN: none */
	jrn_rec g;         /* the group's passing so far */
	int64_t g_last;    /* time of its last read */
	int32_t g_peak;
} ent;

struct flt {
	flt_cfg cfg;
	ent *e;
	size_t cap, used;
	size_t *open;
	size_t nopen, capopen;
	jrn_rec *out;
	size_t capout;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static ent *lookup(flt *f, const char *chip)
{
	if ((f->used + 1) * 2 > f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 1024;
		ent *ne = sl_calloc(ncap, sizeof(*ne));
		for (size_t i = 0; i < f->cap; i++)
			if (f->e[i].used) {
				size_t k = hash(f->e[i].chip) & (ncap - 1);
				while (ne[k].used)
					k = (k + 1) & (ncap - 1);
				ne[k] = f->e[i];
			}
		/* open[] holds indices: rebuild it */
		f->nopen = 0;
		for (size_t k = 0; k < ncap; k++)
			if (ne[k].used && ne[k].open) {
				SL_GROW(f->open, f->capopen, f->nopen + 1);
				f->open[f->nopen++] = k;
			}
		free(f->e);
		f->e = ne;
		f->cap = ncap;
	}
	size_t k = hash(chip) & (f->cap - 1);
	while (f->e[k].used && strcmp(f->e[k].chip, chip) != 0)
		k = (k + 1) & (f->cap - 1);
	if (!f->e[k].used) {
		f->e[k].used = true;
		snprintf(f->e[k].chip, sizeof(f->e[k].chip), "%s", chip);
		f->e[k].last_pass = INT64_MIN;
		f->used++;
	}
	return &f->e[k];
}

flt *flt_new(const flt_cfg *cfg)
{
	flt *f = sl_calloc(1, sizeof(*f));
	f->cfg = *cfg;
	return f;
}

void flt_free(flt *f)
{
	if (!f)
		return;
	SL_FREE_MANY(f->e, f->open, f->out, f);
}

int flt_mode_parse(const char *s)
{
	return !strcmp(s, "first") ? FLT_FIRST
	       : !strcmp(s, "last") ? FLT_LAST
	       : !strcmp(s, "peak") ? FLT_PEAK
				    : -1;
}

void flt_seed(flt *f, const char *chip, int64_t t)
{
	ent *e = lookup(f, chip);
	if (e->last_pass == INT64_MIN || t > e->last_pass)
		e->last_pass = t;
}

static int by_time(const void *a, const void *b)
{
	const jrn_rec *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t ? 1 : strcmp(x->chip, y->chip);
}

/* Close open groups with g_last < before (all with INT64_MAX). */
static void close_groups(flt *f, int64_t before, flt_emit_fn emit, void *ctx)
{
	size_t nout = 0;
	for (size_t i = 0; i < f->nopen;) {
		ent *e = &f->e[f->open[i]];
		if (e->g_last >= before) {
			i++;
			continue;
		}
		e->open = false;
		f->open[i] = f->open[--f->nopen];
		bool keep = e->last_pass == INT64_MIN ||
			    (e->g.t > e->last_pass && e->g.t - e->last_pass >= f->cfg.dead_ms);
		if (!keep)
			continue;
		e->last_pass = e->g.t;
		SL_GROW(f->out, f->capout, nout + 1);
		f->out[nout++] = e->g;
	}
	if (nout > 1)
		qsort(f->out, nout, sizeof(*f->out), by_time);
	for (size_t i = 0; i < nout; i++)
		emit(ctx, &f->out[i]);
}

void flt_feed(flt *f, const jrn_rec *raw, flt_emit_fn emit, void *ctx)
{
	close_groups(f, raw->t - f->cfg.gap_ms, emit, ctx);
	ent *e = lookup(f, raw->chip);
	int32_t rssi = raw->rssi ? raw->rssi : -999;
	if (!e->open) {
		e->open = true;
		e->g = *raw;
		e->g.hits = 0;
		e->g_peak = rssi;
		e->g_last = raw->t;
		SL_GROW(f->open, f->capopen, f->nopen + 1);
		f->open[f->nopen++] = (size_t)(e - f->e);
	} else {
		if (f->cfg.mode == FLT_LAST && raw->t >= e->g.t) {
			int32_t h = e->g.hits, r = e->g.rssi;
			e->g = *raw;
			e->g.hits = h;
			e->g.rssi = r;
		} else if (f->cfg.mode == FLT_PEAK && rssi > e->g_peak) {
			int32_t h = e->g.hits;
			e->g = *raw;
			e->g.hits = h;
		} else if (f->cfg.mode == FLT_FIRST && raw->t < e->g.t) {
			int32_t h = e->g.hits, r = e->g.rssi;
			e->g = *raw;
			e->g.hits = h;
			e->g.rssi = r;
		}
		if (raw->t > e->g_last)
			e->g_last = raw->t;
	}
	if (rssi > e->g_peak) {
		e->g_peak = rssi;
		e->g.rssi = raw->rssi;
	}
	e->g.hits += raw->hits > 0 ? raw->hits : 1;
}

void flt_advance(flt *f, int64_t now, flt_emit_fn emit, void *ctx)
{
	close_groups(f, now - f->cfg.gap_ms, emit, ctx);
}

void flt_flush(flt *f, flt_emit_fn emit, void *ctx)
{
	close_groups(f, INT64_MAX, emit, ctx);
}

size_t flt_open_groups(const flt *f)
{
	return f->nopen;
}

/*
 * core.c: the event as a whole: a core's lifetime (new, reset, free), a
 * config installed and everything derived rebuilt from the facts, wave
 * start overrides, and the change set that views read and clear.
 *
 * The files of server/core, from the bottom: official.c (what officials
 * said about races), place.c (race state, ranking trees: where a place is
 * computed), crossing.c (the read store: where a read becomes a crossing),
 * roster.c (the participant store), check-in (checkin*.c: needs only the
 * roster), this file; then lineup.c (progression, from places and
 * officials' facts), the views (view.c, view_rows.c, export.c),
 * snapshot.c, and at the top fold.c (record dispatch) with audit.c.  A file
 * calls only files below it, never one that calls it back; core_int.h
 * holds the state they share (config.c, participant.c, adjust.c, cval.c,
 * hmap.c, ost.c and progression.c are leaves that know no core).
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "slp.h"

void core__rebuild(core *c)
{
	core__rs_free(c);
	if (c->has_cfg)
		core__rs_build(c);
	for (size_t pi = 0; pi < c->nparts; pi++) {
		core__resolve(c, &c->parts[pi]);
		c->parts[pi].listed = -1; /* the new race states list nobody yet */
	}
	for (size_t pi = 0; pi < c->nparts; pi++)
		core__recompute(c, (uint32_t)pi, true);
	core__recount(c);
	core__next_epoch(c);
	c->chg_all = c->chg_status = true;
}

void core__install_cfg(core *c, struct cfg *cfg, const msgpack_object *raw)
{
	msgpack_packer pk;
	core__rs_free(c);
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
			core__recompute(c, (uint32_t)pi, false);
	c->chg_all = true;
}

/* fn on each of the core's maps, for init and release alike. */
static void each_map(core *c, void (*fn)(hmap *))
{
	hmap *maps[] = {&c->bibs, &c->regmap, &c->codemap, &c->gptmap, &c->devmap, &c->astmap};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fn(maps[i]);
}

static void release_all(core *c)
{
	core__rs_free(c);
	if (c->has_cfg)
		cfg_release(&c->cfg);
	sl_buf_release(&c->cfg_mp);
	sl_buf_release(&c->key);
	/* what the elements own, then the maps, then the arrays */
	for (size_t i = 0; i < c->novr; i++)
		SL_FREE_MANY(c->ovr[i].race, c->ovr[i].wave);
	for (size_t i = 0; i < c->nparts; i++) {
		entry_release(&c->parts[i].e);
		SL_FREE_MANY(c->parts[i].cats, c->parts[i].cross);
	}
	for (size_t i = 0; i < c->npend; i++)
		entry_release(&c->pend[i]);
	for (size_t i = 0; i < c->ncodes; i++)
		free(c->codes[i].s);
	for (size_t i = 0; i < c->ngpts; i++)
		free(c->gpts[i]);
	for (size_t i = 0; i < c->ndevs; i++)
		SL_FREE_MANY(c->devs[i].id, c->devs[i].seg);
	for (size_t i = 0; i < c->nadjs; i++)
		adj_release(&c->adjs[i]);
	core__rfacts_free(c);
	for (size_t i = 0; i < c->nast; i++)
		adj_state_release(&c->ast[i]);
	each_map(c, hmap_release);
	SL_FREE_MANY(c->ovr, c->parts, c->pend, c->codes, c->reads, c->gpts, c->devs, c->adjs,
		     c->ast, c->chg, c->uchg, c->dirty, c->g, c->sc, c->pre, c->rawreads);
	msgpack_zone_destroy(&c->zone);
	checkin_free(c);
}

static void init(core *c)
{
	memset(c, 0, sizeof(*c));
	each_map(c, hmap_init);
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

const char *core_part_bib(const core *c, uint32_t pidx)
{
	return pidx < c->nparts ? c->parts[pidx].e.bib : NULL;
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

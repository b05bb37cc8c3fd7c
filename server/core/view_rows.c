/*
 * view_rows.c: the lists and the one row format of the views (topics in
 * view.c, exports in export.c).
 *
 * A participant's row is packed as msgpack by view__pack_row(); topics, the
 * JSON export and (through slp_msgpack_to_json) JSON clients all use it.
 * Order of a ranking list (results/<race>, .../sex/<S>, .../cat/<cat>, and
 * the exports): ranked participants in tree order (time at the precision,
 * full time, bib), then everyone else in the list by bib.  Regatta rows
 * add raw and adjusted times, the margin to the leader and the decisions in
 * force (view__reg_row_of, view__reasons_of).
 *
 * Pure: reads the core, changes nothing.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "slp.h"
#include "view_int.h"

int view__find_race(const core *c, const char *s, size_t n)
{
	if (!c->has_cfg)
		return -1;
	return cfg_race_find(&c->cfg, s, n);
}

int64_t view__pace_of(const struct cfg_race *r, int64_t net)
{
	return (int64_t)((double)net * 1000.0 / r->distance_m);
}

static bool proj_of(const struct cfg_race *r, const struct part *p, int64_t *proj)
{
	if (p->status == ST_FINISHED || p->last < 0 || p->last == r->start_pt ||
	    p->start == NO_TIME)
		return false;
	double d = r->points[p->last].distance_m;
	if (!(d > 0) || !(r->distance_m > d))
		return false;
	*proj = (int64_t)((double)(p->cross[p->last] - p->start) * r->distance_m / d);
	return true;
}

bool view__is_regatta(const struct cfg_race *r)
{
	return r && (r->kind == RACE_TRIAL || r->kind == RACE_LANES);
}

void view__reg_row_of(const core *c, const struct part *p, struct reg_row *o)
{
	const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
	memset(o, 0, sizeof(*o));
	o->raw = o->adj = o->margin = NO_TIME;
	o->timed = p->race >= 0 && p->status == ST_FINISHED && p->fin;
	if (o->timed) {
		o->raw = p->raw_ms;
		o->adj = p->adj_ms;
		uint32_t lead;
		if (ost_range(&c->rs[p->race].overall, 0, 1, &lead) == 1) {
			const struct part *l = &c->parts[lead];
			if (l->status == ST_FINISHED && l->fin)
				o->margin = p->adj_ms - l->adj_ms;
		}
	}
	if (a) {
		o->penalty = a->penalty_ms;
		o->exhib = a->flag[ADJ_EXHIB];
		o->releg = a->flag[ADJ_RELEG];
	}
	o->place = core__shown_place(c, p, &o->manual);
}

/*
 * The decisions in force for a bib: for each adjust type, its last record
 * when that record sets something (a flag on, a penalty, a place, a station,
 * a hand time).  out holds ADJ_NTYPES; returns how many.
 */
size_t view__reasons_of(const core *c, const char *bib, const struct adj_rec **out)
{
	bool seen[ADJ_NTYPES] = {false};
	size_t n = 0;
	for (size_t i = c->nadjs; i-- > 0;) {
		const struct adj_rec *a = &c->adjs[i];
		if (a->type < 0 || a->type >= ADJ_NTYPES || strcmp(a->bib, bib) != 0)
			continue;
		bool key_pt = a->type == ADJ_STATION || a->type == ADJ_HAND;
		if (!key_pt && seen[a->type])
			continue;
		if (key_pt) { /* one per point: skip when a later one named it (a withdrawal too) */
			bool later = false;
			for (size_t k = i + 1; k < c->nadjs && !later; k++) {
				const struct adj_rec *b = &c->adjs[k];
				later = b->type == a->type && b->pt && a->pt && !strcmp(b->pt, a->pt) &&
					!strcmp(b->bib, bib);
			}
			if (later)
				continue;
		}
		seen[a->type] = true;
		bool active = adj_is_flag(a->type)     ? a->on
			      : a->type == ADJ_PENALTY ? a->ms != 0
			      : a->type == ADJ_PLACE   ? a->place > 0
			      : a->type == ADJ_STATION ? a->station != NULL
						       : a->t != NO_TIME;
		if (active && n < ADJ_NTYPES)
			out[n++] = a;
	}
	/* log order */
	for (size_t i = 0; i < n / 2; i++) {
		const struct adj_rec *t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return n;
}

static void pack_reasons(const core *c, msgpack_packer *pk, const char *bib)
{
	const struct adj_rec *rs[ADJ_NTYPES];
	size_t n = view__reasons_of(c, bib, rs);
	slp_pack_key(pk, "reasons");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "type", adj_type_name(rs[i]->type));
		slp_pack_kv_str(pk, "reason", rs[i]->reason ? rs[i]->reason : "");
		slp_pack_kv_str(pk, "official", rs[i]->official ? rs[i]->official : "");
	}
}

void view__pack_row(const core *c, msgpack_packer *pk, uint32_t pi)
{
	const struct part *p = &c->parts[pi];
	const struct cfg_race *r = p->race >= 0 ? &c->cfg.races[p->race] : NULL;
	const struct race_state *rs = p->race >= 0 ? &c->rs[p->race] : NULL;
	bool fin = r && p->status == ST_FINISHED;
	int64_t net = fin ? p->fin_t - p->start : 0;
	int64_t proj = 0;

	bool reg = view__is_regatta(r);
	struct reg_row rr;
	if (reg)
		view__reg_row_of(c, p, &rr);

	/* the custom field "country", where the import kept one (pages filter by it) */
	const char *country = entry_field(&p->e, "country");
	if (country && !*country)
		country = NULL;
	msgpack_pack_map(pk, (reg ? 28 : 22) + (country != NULL));
	slp_pack_kv_str(pk, "bib", p->e.bib);
	slp_pack_kv_str_opt(pk, "country", country);
	slp_pack_kv_str(pk, "name", p->e.name);
	slp_pack_key(pk, "sex");
	if (p->e.sex >= 0)
		slp_pack_str(pk, cfg_sex_name(p->e.sex));
	else
		msgpack_pack_nil(pk);
	slp_pack_kv_int_or_nil(pk, "age", p->age, p->age >= 0);
	slp_pack_kv_str(pk, "club", p->e.club);
	slp_pack_key(pk, "race");
	if (r)
		slp_pack_str(pk, r->id);
	else
		msgpack_pack_nil(pk);
	slp_pack_key(pk, "wave");
	if (r && p->wave >= 0)
		slp_pack_str(pk, r->waves[p->wave].id);
	else
		msgpack_pack_nil(pk);
	slp_pack_key(pk, "cats");
	msgpack_pack_array(pk, r ? p->ncats : 0);
	for (uint16_t k = 0; r && k < p->ncats; k++)
		slp_pack_str(pk, r->cats[p->cats[k]].id);
	slp_pack_kv_str(pk, "status", core__status_name(p->status));
	if (reg)
		slp_pack_kv_int_or_nil(pk, "place", (int64_t)rr.place, rr.place > 0);
	else { /* a judges' place where one was set, the others renumbered around it */
		bool manual;
		size_t shown = r ? core__shown_place(c, p, &manual) : 0;
		slp_pack_kv_int_or_nil(pk, "place", (int64_t)shown, shown > 0);
	}
	slp_pack_kv_int_or_nil(pk, "place_sex",
			       r && p->e.sex >= 0 ? (int64_t)core__place(p, &rs->sex[p->e.sex]) : 0,
			       r && p->ranked && p->e.sex >= 0);
	slp_pack_key(pk, "place_cat");
	msgpack_pack_map(pk, r ? p->ncats : 0);
	for (uint16_t k = 0; r && k < p->ncats; k++) {
		slp_pack_str(pk, r->cats[p->cats[k]].id);
		if (p->ranked)
			msgpack_pack_int64(pk, (int64_t)core__place(p, &rs->cat[p->cats[k]]));
		else
			msgpack_pack_nil(pk);
	}
	slp_pack_kv_int_or_nil(pk, "start", p->start, r && p->start != NO_TIME);
	slp_pack_kv_int_or_nil(pk, "net", net, fin);
	bool gun = fin && p->t0 != NO_TIME;
	slp_pack_kv_int_or_nil(pk, "gun", gun ? p->fin_t - p->t0 : 0, gun);
	slp_pack_kv_int_or_nil(pk, "pace", fin ? view__pace_of(r, net) : 0,
			       fin && r->distance_m > 0);
	slp_pack_key(pk, "splits");
	size_t ns = 0;
	for (size_t j = 0; r && p->start != NO_TIME && j < r->npoints; j++)
		ns += (int)j != r->start_pt && p->cross[j] != NO_TIME;
	msgpack_pack_map(pk, ns);
	for (size_t j = 0; ns && j < r->npoints; j++) {
		if ((int)j == r->start_pt || p->cross[j] == NO_TIME)
			continue;
		slp_pack_str(pk, r->points[j].id);
		msgpack_pack_int64(pk, p->cross[j] - p->start);
	}
	slp_pack_key(pk, "last");
	if (r && p->last >= 0)
		slp_pack_str(pk, r->points[p->last].id);
	else
		msgpack_pack_nil(pk);
	bool hp = r && proj_of(r, p, &proj);
	slp_pack_kv_int_or_nil(pk, "proj", proj, hp);
	if (!reg) {
		/* officials' decisions: the adjustment, the time that ranks, and why */
		const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
		slp_pack_kv_int(pk, "penalty", a ? a->penalty_ms : 0);
		/* an exhibition is timed, never placed */
		slp_pack_kv_int_or_nil(pk, "adj", p->adj_ms,
				       fin && (p->ranked || (a && a->flag[ADJ_EXHIB])));
		if (a)
			pack_reasons(c, pk, p->e.bib);
		else {
			slp_pack_key(pk, "reasons");
			msgpack_pack_array(pk, 0);
		}
		return;
	}
	slp_pack_kv_int_or_nil(pk, "lane", p->e.lane, p->e.lane > 0);
	slp_pack_kv_int_or_nil(pk, "raw", rr.raw, rr.raw != NO_TIME);
	slp_pack_kv_int_or_nil(pk, "adj", rr.adj, rr.adj != NO_TIME);
	slp_pack_kv_int(pk, "penalty", rr.penalty);
	slp_pack_kv_int_or_nil(pk, "margin", rr.margin, rr.margin != NO_TIME);
	slp_pack_kv_bool(pk, "exhibition", rr.exhib);
	slp_pack_kv_bool(pk, "relegated", rr.releg);
	slp_pack_kv_bool(pk, "place_manual", rr.manual);
	pack_reasons(c, pk, p->e.bib);
}

bool view__member(const core *c, const struct topic *t, const struct part *p)
{
	if (p->race != t->race)
		return false;
	if (t->kind == TOP_SEX)
		return p->e.sex == t->sex;
	if (t->kind == TOP_CAT) {
		for (uint16_t k = 0; k < p->ncats; k++)
			if (p->cats[k] == t->cat)
				return true;
		return false;
	}
	return true;
}

static const ost *tree_of(const core *c, const struct topic *t)
{
	const struct race_state *rs = &c->rs[t->race];
	if (t->kind == TOP_SEX)
		return &rs->sex[t->sex];
	if (t->kind == TOP_CAT)
		return &rs->cat[t->cat];
	return &rs->overall;
}

size_t view__count_of(const core *c, const struct topic *t)
{
	const struct race_state *rs = &c->rs[t->race];
	if (t->kind == TOP_SEX)
		return rs->n_sex[t->sex];
	if (t->kind == TOP_CAT)
		return rs->n_cat[t->cat];
	return rs->n_all;
}

/* Rows [off, off+lim) of a ranking list (lim 0: all); returns owned ids. */
uint32_t *view__list_range(const core *c, const struct topic *t, size_t off, size_t lim,
			   size_t *cnt)
{
	const ost *tree = tree_of(c, t);
	size_t total = view__count_of(c, t), nt = ost_size(tree), got = 0;
	size_t want = off < total ? total - off : 0;
	if (lim && lim < want)
		want = lim;
	uint32_t *ids = sl_malloc((want ? want : 1) * sizeof(*ids));
	if (off < nt)
		got = ost_range(tree, off, want, ids);
	if (got < want) {
		const struct race_state *rs = &c->rs[t->race];
		size_t skip = off > nt ? off - nt : 0;
		for (size_t i = 0; i < rs->nby_bib && got < want; i++) {
			const struct part *p = &c->parts[rs->by_bib[i]];
			if (p->ranked || !view__member(c, t, p))
				continue;
			if (skip) {
				skip--;
				continue;
			}
			ids[got++] = rs->by_bib[i];
		}
	}
	*cnt = got;
	return ids;
}

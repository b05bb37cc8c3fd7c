/*
 * pack.c: award lists, team tables and series standings as msgpack maps
 * (score.h), the shapes PROTOCOL.md gives under "Awards", "Team scores"
 * and "Series"; a topic sends them as they are, an HTTP export as their
 * JSON (slp_msgpack_to_json).  Times are integer ms (the time that ranks,
 * as `adj` in a result row); a value that does not exist is nil.
 */
#include <string.h>

#include "score.h"
#include "slp.h"

void award_pack(msgpack_packer *pk, const struct core_entries *x, const struct award_list *l)
{
	static const char *const kinds[] = {"sex", "overall", "category"};
	msgpack_pack_map(pk, 2);
	slp_pack_kv_str(pk, "race", x->race ? x->race->id : "");
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct award_row *r = &l->rows[i];
		msgpack_pack_map(pk, 7);
		slp_pack_kv_str(pk, "kind", kinds[r->kind]);
		slp_pack_kv_str(pk, "section", r->section);
		slp_pack_kv_str(pk, "title", r->title);
		slp_pack_kv_int(pk, "place", (int64_t)r->place);
		slp_pack_kv_str(pk, "bib", r->bib);
		slp_pack_kv_str(pk, "name", r->name);
		slp_pack_kv_int_or_nil(pk, "time", r->time_ms, r->time_ms != INT64_MIN);
	}
}

/* key: an array of n maps, the i-th packed by one(pk, base, i). */
static void pack_list(msgpack_packer *pk, const char *key, size_t n,
		      void (*one)(msgpack_packer *pk, const void *base, size_t i), const void *base)
{
	slp_pack_key(pk, key);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		one(pk, base, i);
}

static void pack_member(msgpack_packer *pk, const void *base, size_t k)
{
	const struct team_member *m = (const struct team_member *)base + k;

	msgpack_pack_map(pk, 6);
	slp_pack_kv_str(pk, "bib", m->bib);
	slp_pack_kv_str(pk, "name", m->name);
	slp_pack_kv_int(pk, "place", (int64_t)m->place);
	slp_pack_kv_int_or_nil(pk, "team_place", (int64_t)m->team_place, m->team_place > 0);
	slp_pack_kv_int(pk, "time", m->time_ms);
	slp_pack_kv_bool(pk, "scoring", m->scoring);
}

static void pack_members(msgpack_packer *pk, const struct team_row *r)
{
	pack_list(pk, "members", r->nmembers, pack_member, r->members);
}

void team_pack(msgpack_packer *pk, const struct team_table *t)
{
	msgpack_pack_map(pk, 5);
	slp_pack_kv_str(pk, "rule", t->rule->id);
	slp_pack_kv_str(pk, "field", t->rule->field);
	slp_pack_kv_str(pk, "score", t->rule->score == TEAM_TIMES ? "times" : "places");
	slp_pack_kv_str_or_nil(pk, "category", t->rule->category);
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct team_row *r = &t->rows[i];
		msgpack_pack_map(pk, 6);
		slp_pack_kv_int_or_nil(pk, "place", (int64_t)r->place, r->place > 0);
		slp_pack_kv_str(pk, "team", r->team);
		slp_pack_kv_int(pk, "finishers", (int64_t)r->finishers);
		slp_pack_kv_int_or_nil(pk, "score", r->score, r->place > 0);
		slp_pack_kv_int_or_nil(pk, "tiebreak", r->tiebreak,
				       r->place > 0 && r->tiebreak != INT64_MAX);
		pack_members(pk, r);
	}
}

/* A series row; base is the table (its rows and events). */
static void pack_row(msgpack_packer *pk, const void *base, size_t i)
{
	const struct series_table *t = base;
	const struct series_row *r = &t->rows[i];

	msgpack_pack_map(pk, 6);
	slp_pack_kv_int(pk, "place", (int64_t)r->place);
	slp_pack_kv_str(pk, "group", r->group);
	slp_pack_kv_str(pk, "athlete", r->athlete);
	slp_pack_kv_str(pk, "name", r->name);
	slp_pack_key(pk, "results"); /* one per event, nil where none */
	msgpack_pack_array(pk, t->cfg->nevents);
	for (size_t e = 0; e < t->cfg->nevents; e++) {
		const struct series_cell *c = &r->cells[e];
		if (!c->scored) {
			msgpack_pack_nil(pk);
			continue;
		}
		msgpack_pack_map(pk, 3);
		slp_pack_kv_int(pk, "place", (int64_t)c->place);
		slp_pack_kv_int(pk, "points", c->points);
		slp_pack_kv_bool(pk, "counted", c->counted);
	}
	slp_pack_kv_int(pk, "total", r->total);
}

static void pack_rows(msgpack_packer *pk, const struct series_table *t)
{
	pack_list(pk, "rows", t->n, pack_row, t);
}

static void pack_dups(msgpack_packer *pk, const struct series_table *t)
{
	static const char *const kinds[] = {"same_person", "same_id", "twice"};
	slp_pack_key(pk, "duplicates");
	msgpack_pack_array(pk, t->ndups + t->nnoid);
	for (size_t i = 0; i < t->ndups; i++) {
		const struct series_dup *d = &t->dups[i];
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "kind", kinds[d->kind]);
		slp_pack_kv_str_or_nil(pk, "birth", d->birth);
		slp_pack_key(pk, "entries");
		msgpack_pack_array(pk, 2);
		for (int k = 0; k < 2; k++) {
			msgpack_pack_map(pk, 4);
			slp_pack_kv_str(pk, "id", d->id[k]);
			slp_pack_kv_str(pk, "name", d->name[k]);
			slp_pack_kv_str(pk, "event", d->event[k]);
			slp_pack_kv_str(pk, "bib", d->bib[k]);
		}
	}
	for (size_t i = 0; i < t->nnoid; i++) { /* the same shape, one entry without id */
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "kind", "no_id");
		slp_pack_kv_str_or_nil(pk, "birth", NULL);
		slp_pack_key(pk, "entries");
		msgpack_pack_array(pk, 1);
		msgpack_pack_map(pk, 4);
		slp_pack_kv_str_or_nil(pk, "id", NULL);
		slp_pack_kv_str(pk, "name", t->noid[i].name);
		slp_pack_kv_str(pk, "event", t->noid[i].event);
		slp_pack_kv_str(pk, "bib", t->noid[i].bib);
	}
}

void series_pack(msgpack_packer *pk, const struct series_table *t)
{
	static const char *const bys[] = {"overall", "sex", "category"};
	const struct series_cfg *c = t->cfg;
	msgpack_pack_map(pk, 7);
	slp_pack_kv_str(pk, "series", c->id);
	slp_pack_kv_str(pk, "name", c->name);
	slp_pack_kv_str(pk, "by", bys[c->by]);
	slp_pack_kv_int(pk, "best", (int64_t)c->best);
	slp_pack_key(pk, "events");
	msgpack_pack_array(pk, c->nevents);
	for (size_t e = 0; e < c->nevents; e++) {
		msgpack_pack_map(pk, 2);
		slp_pack_kv_str(pk, "event", c->events[e]);
		slp_pack_kv_bool(pk, "missing", t->missing[e]);
	}
	pack_rows(pk, t);
	pack_dups(pk, t);
}

/*
 * export.c: one race's results, or the whole event's, as CSV or JSON
 * (PROTOCOL.md, "Regatta" and "HTTP"), every participant in place order
 * (the list order of view_rows.c).  Trial and lanes races (regattas) have their own
 * CSV columns; road races keep theirs.  The JSON rows are the rows of the
 * topics (view__pack_row).
 *
 * Text cells come from outside (names, clubs, bibs): csv_field quotes them
 * and defuses what a spreadsheet would run as a formula.  Nothing here
 * iterates a hash table, so the bytes are a function of the state alone.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "slp.h"
#include "view_int.h"

static int export_race(const core *c, const char *race, struct topic *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = TOP_RESULTS;
	t->race = race ? view__find_race(c, race, strlen(race)) : -1;
	return t->race < 0 ? SL_ENOENT : 0;
}

/*
 * A text cell.  Text comes from outside (names, clubs, bibs, ids): a cell
 * that begins with = + - @ or a tab or CR would be a formula to a
 * spreadsheet (OWASP "CSV injection"), so it is written quoted with a ' in
 * front, which spreadsheets show as text.
 */
static void csv_field(sl_buf *b, const char *s)
{
	bool formula = s[0] && strchr("=+-@\t\r", s[0]);

	if (!formula && !strpbrk(s, ",\"\r\n")) {
		sl_buf_adds(b, s);
		return;
	}
	sl_buf_addc(b, '"');
	if (formula)
		sl_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			sl_buf_addc(b, '"');
		sl_buf_addc(b, *s);
	}
	sl_buf_addc(b, '"');
}

static void csv_time(sl_buf *b, int64_t ms, int64_t prec)
{
	sl_fmt_hms(b, core__floordiv(ms, prec) * prec, (int)prec);
}

/*
 * Regatta CSV (trial and lanes races, and the whole-event export): one line
 * per crew in place order; times at the race precision; reasons as
 * "type: reason" joined by "; ".  Points only for one race's export.
 */
static const char REG_CSV_HEAD[] = "place,lane,bib,crew,club,race,status,start_time,raw,penalty,"
				   "adjusted,margin,exhibition,relegated,place_manual,reasons";

/* An adjustment: a penalty as a time, a bonus (negative) with a '-' in front. */
static void csv_signed_time(sl_buf *b, int64_t ms, int64_t prec)
{
	if (ms < 0) {
		sl_buf_addc(b, '-');
		ms = -ms;
	}
	csv_time(b, ms, prec);
}

/* The decisions in force, "type: reason; type: reason", as one text cell. */
static void csv_reasons(const core *c, sl_buf *out, const char *bib)
{
	const struct adj_rec *rs[ADJ_NTYPES];
	size_t nr = view__reasons_of(c, bib, rs);
	sl_buf txt = SL_BUF_INIT;
	for (size_t k = 0; k < nr; k++)
		sl_buf_addf(&txt, "%s%s: %s", k ? "; " : "", adj_type_name(rs[k]->type),
			    rs[k]->reason ? rs[k]->reason : "");
	csv_field(out, txt.data ? txt.data : "");
	sl_buf_release(&txt);
}

static void csv_opt_time(sl_buf *b, int64_t ms, int64_t prec)
{
	if (ms != NO_TIME)
		csv_time(b, ms, prec);
}

static void regatta_csv_rows(const core *c, int race, bool points, sl_buf *out)
{
	struct topic t = {.kind = TOP_RESULTS, .race = race};
	const struct cfg_race *r = &c->cfg.races[race];
	size_t cnt;
	uint32_t *ids = view__list_range(c, &t, 0, 0, &cnt);
	for (size_t i = 0; i < cnt; i++) {
		const struct part *p = &c->parts[ids[i]];
		struct reg_row rr;
		view__reg_row_of(c, p, &rr);
		if (rr.place)
			sl_buf_addf(out, "%zu", rr.place);
		sl_buf_addc(out, ',');
		if (p->e.lane > 0)
			sl_buf_addf(out, "%d", p->e.lane);
		sl_buf_addc(out, ',');
		csv_field(out, p->e.bib);
		sl_buf_addc(out, ',');
		csv_field(out, p->e.name);
		sl_buf_addc(out, ',');
		csv_field(out, p->e.club);
		sl_buf_addc(out, ',');
		csv_field(out, r->id);
		sl_buf_addf(out, ",%s,", core__status_name(p->status));
		if (p->start != NO_TIME)
			sl_fmt_iso(out, p->start);
		sl_buf_addc(out, ',');
		csv_opt_time(out, rr.raw, r->precision_ms);
		sl_buf_addc(out, ',');
		if (rr.penalty)
			csv_signed_time(out, rr.penalty, r->precision_ms);
		sl_buf_addc(out, ',');
		csv_opt_time(out, rr.adj, r->precision_ms);
		sl_buf_addc(out, ',');
		csv_opt_time(out, rr.margin, r->precision_ms);
		sl_buf_addf(out, ",%s,%s,%s,", rr.exhib ? "yes" : "", rr.releg ? "yes" : "",
			    rr.manual ? "yes" : "");
		csv_reasons(c, out, p->e.bib);
		for (size_t j = 0; points && j < r->npoints; j++) {
			sl_buf_addc(out, ',');
			if (p->start != NO_TIME && p->cross[j] != NO_TIME)
				csv_time(out, p->cross[j] - p->start, r->precision_ms);
		}
		sl_buf_addc(out, '\n');
	}
	free(ids);
}

int core_export_csv(const core *c, const char *race, sl_buf *out)
{
	struct topic t;
	size_t cnt;
	int rc = export_race(c, race, &t);
	if (rc < 0)
		return rc;
	const struct cfg_race *r = &c->cfg.races[t.race];
	const struct race_state *rs = &c->rs[t.race];

	if (view__is_regatta(r)) {
		sl_buf_adds(out, REG_CSV_HEAD);
		for (size_t j = 0; j < r->npoints; j++) {
			sl_buf_addc(out, ',');
			csv_field(out, r->points[j].id);
		}
		sl_buf_addc(out, '\n');
		regatta_csv_rows(c, t.race, true, out);
		return 0;
	}

	sl_buf_adds(out, "place,bib,name,sex,age,club,race,wave,status,start_time,net,gun,penalty,"
			 "adjusted,pace,place_sex,categories,place_categories,reasons,results");
	for (size_t j = 0; j < r->npoints; j++) {
		sl_buf_addc(out, ',');
		csv_field(out, r->points[j].id);
	}
	sl_buf_addc(out, '\n');

	const char *state = core_race_results_state(c, r->id);
	uint32_t *ids = view__list_range(c, &t, 0, 0, &cnt);
	for (size_t i = 0; i < cnt; i++) {
		const struct part *p = &c->parts[ids[i]];
		bool fin = p->status == ST_FINISHED;
		int64_t net = fin ? p->fin_t - p->start : 0;
		bool manual;
		size_t shown = core__shown_place(c, p, &manual);
		if (shown)
			sl_buf_addf(out, "%zu", shown);
		sl_buf_addc(out, ',');
		csv_field(out, p->e.bib);
		sl_buf_addc(out, ',');
		csv_field(out, p->e.name);
		sl_buf_addf(out, ",%s,", p->e.sex >= 0 ? cfg_sex_name(p->e.sex) : "");
		if (p->age >= 0)
			sl_buf_addf(out, "%d", p->age);
		sl_buf_addc(out, ',');
		csv_field(out, p->e.club);
		sl_buf_addc(out, ',');
		csv_field(out, r->id);
		sl_buf_addc(out, ',');
		if (p->wave >= 0)
			csv_field(out, r->waves[p->wave].id);
		sl_buf_addf(out, ",%s,", core__status_name(p->status));
		if (p->start != NO_TIME)
			sl_fmt_iso(out, p->start);
		sl_buf_addc(out, ',');
		if (fin)
			csv_time(out, net, r->precision_ms);
		sl_buf_addc(out, ',');
		if (fin && p->t0 != NO_TIME)
			csv_time(out, p->fin_t - p->t0, r->precision_ms);
		sl_buf_addc(out, ',');
		const struct adj_state *a = p->ast != NONE32 ? &c->ast[p->ast] : NULL;
		if (a && a->penalty_ms)
			csv_signed_time(out, a->penalty_ms, r->precision_ms);
		sl_buf_addc(out, ',');
		if (fin && (p->ranked || (a && a->flag[ADJ_EXHIB]))) /* exhibition: timed */
			csv_time(out, p->adj_ms, r->precision_ms);
		sl_buf_addc(out, ',');
		if (fin && r->distance_m > 0)
			csv_time(out, view__pace_of(r, net), 1000);
		sl_buf_addc(out, ',');
		if (p->ranked && p->e.sex >= 0)
			sl_buf_addf(out, "%zu", core__place(p, &rs->sex[p->e.sex]));
		sl_buf_addc(out, ',');
		for (uint16_t k = 0; k < p->ncats; k++) {
			if (k)
				sl_buf_addc(out, ';');
			csv_field(out, r->cats[p->cats[k]].id);
		}
		sl_buf_addc(out, ',');
		for (uint16_t k = 0; k < p->ncats; k++) {
			if (k)
				sl_buf_addc(out, ';');
			if (p->ranked)
				sl_buf_addf(out, "%zu", core__place(p, &rs->cat[p->cats[k]]));
		}
		sl_buf_addc(out, ',');
		if (a)
			csv_reasons(c, out, p->e.bib);
		sl_buf_addc(out, ',');
		sl_buf_adds(out, state); /* the race's results: provisional, official, corrected */
		for (size_t j = 0; j < r->npoints; j++) {
			sl_buf_addc(out, ',');
			if (p->start != NO_TIME && p->cross[j] != NO_TIME)
				csv_time(out, p->cross[j] - p->start, r->precision_ms);
		}
		sl_buf_addc(out, '\n');
	}
	free(ids);
	return 0;
}

/* "rows": every row of the list t, in list order (the JSON exports). */
static void pack_rows(const core *c, msgpack_packer *pk, const struct topic *t)
{
	size_t cnt;
	uint32_t *ids = view__list_range(c, t, 0, 0, &cnt);
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, cnt);
	for (size_t i = 0; i < cnt; i++)
		view__pack_row(c, pk, ids[i]);
	free(ids);
}

/*
 * A JSON export is packed as msgpack (the one row format, view_rows.c) and
 * converted at the end; the event's id is the first of its nkeys keys.
 */
static void json_begin(const core *c, sl_buf *mp, msgpack_packer *pk, size_t nkeys)
{
	slp_packer_init(pk, mp);
	msgpack_pack_map(pk, nkeys);
	slp_pack_kv_str(pk, "event", c->cfg.event);
}

/* Converts and releases mp. */
static int json_end(sl_buf *mp, sl_buf *out)
{
	int rc = slp_msgpack_to_json(mp->data, mp->len, out);
	sl_buf_release(mp);
	return rc;
}

int core_export_json(const core *c, const char *race, sl_buf *out)
{
	struct topic t;
	int rc = export_race(c, race, &t);
	if (rc < 0)
		return rc;
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	json_begin(c, &mp, &pk, 4);
	slp_pack_kv_str(&pk, "race", c->cfg.races[t.race].id);
	slp_pack_key(&pk, "results"); /* provisional, official or corrected, by whom, when */
	core__pack_results_state(c, &pk, c->cfg.races[t.race].id);
	pack_rows(c, &pk, &t);
	return json_end(&mp, out);
}

int core_export_event_csv(const core *c, sl_buf *out)
{
	if (!c->has_cfg)
		return SL_ENOENT;
	sl_buf_adds(out, REG_CSV_HEAD);
	sl_buf_addc(out, '\n');
	for (size_t k = 0; k < c->cfg.nraces; k++)
		regatta_csv_rows(c, (int)k, false, out);
	return 0;
}

int core_export_event_json(const core *c, sl_buf *out)
{
	if (!c->has_cfg)
		return SL_ENOENT;
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	json_begin(c, &mp, &pk, 3);
	slp_pack_kv_str(&pk, "name", c->cfg.name ? c->cfg.name : "");
	slp_pack_key(&pk, "races");
	msgpack_pack_array(&pk, c->cfg.nraces);
	for (size_t k = 0; k < c->cfg.nraces; k++) {
		const struct cfg_race *r = &c->cfg.races[k];
		struct topic t = {.kind = TOP_RESULTS, .race = (int)k};
		static const char *const kinds[] = {"mass", "trial", "lanes"};
		msgpack_pack_map(&pk, 6);
		slp_pack_kv_str(&pk, "race", r->id);
		slp_pack_kv_str(&pk, "name", r->name ? r->name : "");
		slp_pack_kv_str(&pk, "kind", kinds[r->kind]);
		slp_pack_kv_str_or_nil(&pk, "boat_class", r->boat_class);
		slp_pack_kv_str_or_nil(&pk, "progression", r->progression);
		pack_rows(c, &pk, &t);
	}
	return json_end(&mp, out);
}

/*
 * view.c: what subscribers and exports see of a core (PROTOCOL.md, "Topics",
 * "Result row"): topic parsing, snapshot and delta messages, CSV and JSON
 * exports.
 *
 * One row format: a participant's row is packed as msgpack by pack_row();
 * topics, the JSON export and (through slp_msgpack_to_json) JSON clients all
 * use it.  The CSV export formats the same fields as text.
 *
 * Order of a ranking list (results/<race>, .../sex/<S>, .../cat/<cat>, and
 * the exports): ranked participants in tree order (time at the precision,
 * full time, bib), then everyone else in the list by bib.  A place is
 * 1 + the number of entries strictly faster at the race precision, so ties
 * share a place; it is computed when a row is packed (O(log n)), so the
 * places of others that shift when someone finishes ahead of them are not
 * re-sent in deltas: clients order rows by place, then net.
 *
 * finishes/<race> lists finishers by finish clock time; its delta carries
 * the participants who finished since the last core_changes_clear().
 * unknown lists codes with reads and no participant, by first read; in a
 * delta a code that found its participant comes with "reads":0 (it leaves
 * the list).
 *
 * Nothing here iterates a hash table, so the bytes are a function of the
 * state alone.
 */
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "slp.h"

enum {
	TOP_RESULTS,
	TOP_SEX,
	TOP_CAT,
	TOP_ATHLETE,
	TOP_FINISHES,
	TOP_UNKNOWN,
	TOP_STATUS,
	TOP_PROG,
	TOP_EVENT
};

struct topic {
	int kind;
	int race, sex, cat;
	uint32_t pidx; /* athlete: the participant, or NONE32 */
};

static bool pfx(const char *s, size_t n, const char *p, size_t *rest)
{
	size_t pn = strlen(p);
	if (n < pn || memcmp(s, p, pn) != 0)
		return false;
	*rest = pn;
	return true;
}

static int find_race(const core *c, const char *s, size_t n)
{
	if (!c->has_cfg)
		return -1;
	return cfg_race_find(&c->cfg, s, n);
}

static int topic_parse(const core *c, const char *s, size_t n, struct topic *t)
{
	size_t off;
	memset(t, 0, sizeof(*t));
	t->pidx = NONE32;
	if (!s || n == 0 || n > 256)
		return SL_EINVAL;
	if (n == 7 && !memcmp(s, "unknown", 7)) {
		t->kind = TOP_UNKNOWN;
		return 0;
	}
	if (n == 6 && !memcmp(s, "status", 6)) {
		t->kind = TOP_STATUS;
		return 0;
	}
	if (n == 5 && !memcmp(s, "event", 5)) {
		t->kind = TOP_EVENT;
		return 0;
	}
	if (pfx(s, n, "athlete/", &off)) {
		t->kind = TOP_ATHLETE;
		if (!cval_id_ok(s + off, n - off))
			return SL_EINVAL;
		if (!hmap_get(&c->bibs, s + off, n - off, &t->pidx))
			t->pidx = NONE32;
		return 0;
	}
	if (pfx(s, n, "progression/", &off)) {
		t->kind = TOP_PROG;
		if (!cval_id_ok(s + off, n - off))
			return SL_EINVAL;
		return (t->race = find_race(c, s + off, n - off)) < 0 ? SL_ENOENT : 0;
	}
	if (pfx(s, n, "finishes/", &off)) {
		t->kind = TOP_FINISHES;
		if (!cval_id_ok(s + off, n - off))
			return SL_EINVAL;
		return (t->race = find_race(c, s + off, n - off)) < 0 ? SL_ENOENT : 0;
	}
	if (!pfx(s, n, "results/", &off))
		return SL_EINVAL;
	const char *r = s + off, *slash = memchr(r, '/', n - off);
	size_t rn = slash ? (size_t)(slash - r) : n - off;
	if (!cval_id_ok(r, rn))
		return SL_EINVAL;
	int race = find_race(c, r, rn);
	t->race = race;
	t->kind = TOP_RESULTS;
	if (!slash)
		return race < 0 ? SL_ENOENT : 0;
	const char *sub = slash + 1;
	size_t sn = n - (size_t)(sub - s);
	if (pfx(sub, sn, "sex/", &off)) {
		t->kind = TOP_SEX;
		if ((t->sex = cfg_sex_parse(sub + off, sn - off)) < 0 || sub[off] == 'm' ||
		    sub[off] == 'f' || sub[off] == 'x')
			return SL_EINVAL;
		return race < 0 ? SL_ENOENT : 0;
	}
	if (pfx(sub, sn, "cat/", &off)) {
		t->kind = TOP_CAT;
		if (!cval_id_ok(sub + off, sn - off))
			return SL_EINVAL;
		if (race < 0)
			return SL_ENOENT;
		t->cat = cfg_cat_find(&c->cfg.races[race], sub + off, sn - off);
		return t->cat < 0 ? SL_ENOENT : 0;
	}
	return SL_EINVAL;
}

int core_topic_check(const core *c, const char *topic, size_t n)
{
	struct topic t;
	int rc;
	if (topic && checkin_topic_check(c, topic, n, &rc)) /* scans/<dev>, checkin/<race> */
		return rc;
	return topic_parse(c, topic, n, &t);
}

/* ---- rows ----------------------------------------------------------------- */

static int64_t pace_of(const struct cfg_race *r, int64_t net)
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

/* ---- regatta fields ----------------------------------------------------- */

static bool is_regatta(const struct cfg_race *r)
{
	return r && (r->kind == RACE_TRIAL || r->kind == RACE_LANES);
}

/* The regatta facts of a row: raw and adjusted time, margin to the leader. */
struct reg_row {
	bool timed;
	int64_t raw, adj, margin; /* margin: NO_TIME when there is no leader */
	int64_t penalty;
	size_t place;
	bool manual, exhib, releg;
};

static void reg_row_of(const core *c, const struct part *p, struct reg_row *o)
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
static size_t reasons_of(const core *c, const char *bib, const struct adj_rec **out)
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
		if (key_pt) { /* one per point: skip when a later one named it */
			bool later = false;
			for (size_t k = 0; k < n; k++)
				later |= out[k]->type == a->type && out[k]->pt && a->pt &&
					 !strcmp(out[k]->pt, a->pt);
			if (later)
				continue;
		}
		seen[a->type] = true;
		bool active = adj_is_flag(a->type)   ? a->on
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
	size_t n = reasons_of(c, bib, rs);
	slp_pack_key(pk, "reasons");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "type", adj_type_name(rs[i]->type));
		slp_pack_kv_str(pk, "reason", rs[i]->reason ? rs[i]->reason : "");
		slp_pack_kv_str(pk, "official", rs[i]->official ? rs[i]->official : "");
	}
}

static void pack_row(const core *c, msgpack_packer *pk, uint32_t pi)
{
	const struct part *p = &c->parts[pi];
	const struct cfg_race *r = p->race >= 0 ? &c->cfg.races[p->race] : NULL;
	const struct race_state *rs = p->race >= 0 ? &c->rs[p->race] : NULL;
	bool fin = r && p->status == ST_FINISHED;
	int64_t net = fin ? p->fin_t - p->start : 0;
	int64_t proj = 0;

	bool reg = is_regatta(r);
	struct reg_row rr;
	if (reg)
		reg_row_of(c, p, &rr);

	msgpack_pack_map(pk, reg ? 28 : 22);
	slp_pack_kv_str(pk, "bib", p->e.bib);
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
	slp_pack_kv_int_or_nil(pk, "pace", fin ? pace_of(r, net) : 0, fin && r->distance_m > 0);
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

static int gpt_name_cmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	return strcmp(c->gpts[*(const uint32_t *)a], c->gpts[*(const uint32_t *)b]);
}

static void pack_code(const core *c, msgpack_packer *pk, uint32_t ci)
{
	const struct code *k = &c->codes[ci];
	bool unknown = k->pidx == NONE32;
	uint32_t *g = NULL;
	size_t ng = 0, cap = 0;

	if (unknown) {
		for (uint32_t ri = k->head; ri != NONE32; ri = c->reads[ri].next) {
			size_t i;
			for (i = 0; i < ng && g[i] != c->reads[ri].gpt; i++)
				;
			if (i < ng)
				continue;
			SL_GROW(g, cap, ng + 1);
			g[ng++] = c->reads[ri].gpt;
		}
		if (ng > 1)
			qsort_r(g, ng, sizeof(*g), gpt_name_cmp, (void *)c);
	}
	msgpack_pack_map(pk, 5);
	slp_pack_kv_str(pk, "code", k->s);
	slp_pack_kv_str(pk, "ns", k->ns == NS_BIB ? "bib" : "chip");
	slp_pack_kv_int(pk, "reads", unknown ? k->nreads : 0);
	slp_pack_kv_int_or_nil(pk, "first", k->first, unknown && k->nreads);
	slp_pack_key(pk, "pts");
	msgpack_pack_array(pk, ng);
	for (size_t i = 0; i < ng; i++)
		slp_pack_str(pk, c->gpts[g[i]]);
	free(g);
}

static void pack_status(const core *c, msgpack_packer *pk)
{
	size_t nr = c->has_cfg ? c->cfg.nraces : 0;
	uint32_t *k = sl_calloc(3 * nr + 1, sizeof(*k)); /* per race: all, started, finished */
	size_t athletes = 0;
	for (size_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		athletes += !p->e.blank;
		if (p->race < 0 || (size_t)p->race >= nr)
			continue;
		k[3 * p->race]++;
		k[3 * p->race + 1] += p->status >= ST_STARTED && p->status <= ST_FINISHED;
		k[3 * p->race + 2] += p->status == ST_FINISHED;
	}
	msgpack_pack_map(pk, 7);
	slp_pack_kv_int(pk, "participants", (int64_t)athletes);
	slp_pack_kv_int(pk, "started", c->nstarted);
	slp_pack_kv_int(pk, "finished", c->nfinished);
	slp_pack_kv_int(pk, "reads", (int64_t)c->nreads);
	slp_pack_kv_int(pk, "unknown", c->nunknown);
	slp_pack_kv_int(pk, "records", (int64_t)c->nrecords);
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, nr);
	for (size_t r = 0; r < nr; r++) {
		msgpack_pack_map(pk, 5);
		slp_pack_kv_str(pk, "race", c->cfg.races[r].id);
		slp_pack_kv_int(pk, "participants", k[3 * r]);
		slp_pack_kv_int(pk, "started", k[3 * r + 1]);
		slp_pack_kv_int(pk, "finished", k[3 * r + 2]);
		slp_pack_key(pk, "results");
		core__pack_results_state(c, pk, c->cfg.races[r].id);
	}
	free(k);
}

static const char *const kind_names[] = {"mass", "trial", "lanes"};
static const char *const role_names[] = {"start", "split", "finish"};

/*
 * The event as spectators' pages need it (topic "event"): its time zone,
 * races with their waves (and effective starts), timing points and
 * categories.
 */
static void pack_event(const core *c, msgpack_packer *pk)
{
	const struct cfg *g = &c->cfg;
	char date[16];
	snprintf(date, sizeof(date), "%04d-%02d-%02d", g->date_y, g->date_m, g->date_d);
	msgpack_pack_map(pk, 5);
	slp_pack_kv_str(pk, "event", g->event);
	slp_pack_kv_str(pk, "name", g->name ? g->name : g->event);
	slp_pack_kv_str(pk, "date", date);
	/* pages show clock times in it; null: the viewer's own zone */
	slp_pack_key(pk, "timezone");
	if (g->timezone)
		slp_pack_str(pk, g->timezone);
	else
		msgpack_pack_nil(pk);
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, g->nraces);
	for (size_t i = 0; i < g->nraces; i++) {
		const struct cfg_race *r = &g->races[i];
		msgpack_pack_map(pk, 9);
		slp_pack_kv_str(pk, "id", r->id);
		slp_pack_kv_str(pk, "name", r->name ? r->name : r->id);
		slp_pack_kv_str(pk, "kind", kind_names[r->kind]);
		slp_pack_key(pk, "distance_m");
		msgpack_pack_double(pk, r->distance_m);
		slp_pack_kv_str(pk, "ranking", r->ranking == RANK_GUN ? "gun" : "net");
		slp_pack_kv_int(pk, "precision_ms", r->precision_ms);
		slp_pack_key(pk, "waves");
		msgpack_pack_array(pk, r->nwaves);
		for (size_t w = 0; w < r->nwaves; w++) {
			msgpack_pack_map(pk, 2);
			slp_pack_kv_str(pk, "id", r->waves[w].id);
			slp_pack_kv_int_or_nil(pk, "start", c->rs[i].t0[w], c->rs[i].t0[w] != NO_TIME);
		}
		slp_pack_key(pk, "points");
		msgpack_pack_array(pk, r->npoints);
		for (size_t j = 0; j < r->npoints; j++) {
			const struct cfg_point *pt = &r->points[j];
			msgpack_pack_map(pk, 4);
			slp_pack_kv_str(pk, "id", pt->id);
			slp_pack_kv_str(pk, "name", pt->name ? pt->name : pt->id);
			slp_pack_key(pk, "distance_m");
			msgpack_pack_double(pk, pt->distance_m);
			slp_pack_kv_str(pk, "role", role_names[pt->role]);
		}
		slp_pack_key(pk, "categories");
		msgpack_pack_array(pk, r->ncats);
		for (size_t k = 0; k < r->ncats; k++) {
			msgpack_pack_map(pk, 2);
			slp_pack_kv_str(pk, "id", r->cats[k].id);
			slp_pack_kv_str(pk, "name", r->cats[k].name ? r->cats[k].name : r->cats[k].id);
		}
	}
}

/* ---- lists ---------------------------------------------------------------- */

static bool member(const core *c, const struct topic *t, const struct part *p)
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

static size_t count_of(const core *c, const struct topic *t)
{
	const struct race_state *rs = &c->rs[t->race];
	if (t->kind == TOP_SEX)
		return rs->n_sex[t->sex];
	if (t->kind == TOP_CAT)
		return rs->n_cat[t->cat];
	return rs->n_all;
}

/* Rows [off, off+lim) of a ranking list (lim 0: all); returns owned ids. */
static uint32_t *list_range(const core *c, const struct topic *t, size_t off, size_t lim,
			    size_t *cnt)
{
	const ost *tree = tree_of(c, t);
	size_t total = count_of(c, t), nt = ost_size(tree), got = 0;
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
			if (p->ranked || !member(c, t, p))
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

static int code_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	const struct code *x = &c->codes[*(const uint32_t *)a], *y = &c->codes[*(const uint32_t *)b];
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	int r = strcmp(x->s, y->s);
	return r < 0 ? -1 : r > 0;
}

static int fin_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (c->parts[x].fin_t != c->parts[y].fin_t)
		return c->parts[x].fin_t < c->parts[y].fin_t ? -1 : 1;
	return core__tie(c, x, y);
}

/*
 * A ranking topic's head also says how it ranks ("net" or "gun" time, and
 * the precision at which equal times share a place), so that a client
 * holding rows can re-place those a delta did not name: a new finisher
 * moves everyone behind it down one place, and only its own row is sent.
 */
static void pack_head(const core *c, const struct topic *t, msgpack_packer *pk, const char *type,
		      const char *topic, size_t n, size_t total, bool has_off, size_t off)
{
	const struct cfg_race *r = NULL;

	if (t->kind == TOP_RESULTS || t->kind == TOP_SEX || t->kind == TOP_CAT)
		r = &c->cfg.races[t->race];
	msgpack_pack_map(pk, 4 + has_off + (r ? 2 : 0));
	slp_pack_kv_str(pk, "t", type);
	slp_pack_kv_strn(pk, "topic", topic, n);
	slp_pack_kv_int(pk, "n", (int64_t)total);
	if (has_off)
		slp_pack_kv_int(pk, "offset", (int64_t)off);
	if (r) {
		slp_pack_kv_str(pk, "ranking", r->ranking == RANK_GUN ? "gun" : "net");
		slp_pack_kv_int(pk, "precision_ms", r->precision_ms);
	}
}

/*
 * progression/<race>: the whole line-up in every snapshot and delta (it is
 * at most a few dozen rows, and a change in any feeding heat can reseed
 * all of it).
 */
static void pack_prog(const core *c, const struct topic *t, msgpack_packer *pk, const char *type,
		      const char *topic, size_t n)
{
	struct core_lineup l;
	core_lineup(c, c->cfg.races[t->race].id, &l);
	bool snap = type[0] == 's';
	msgpack_pack_map(pk, 8 + snap);
	slp_pack_kv_str(pk, "t", type);
	slp_pack_kv_strn(pk, "topic", topic, n);
	slp_pack_kv_int(pk, "n", (int64_t)l.n);
	if (snap)
		slp_pack_kv_int(pk, "offset", 0);
	slp_pack_kv_str(pk, "race", c->cfg.races[t->race].id);
	slp_pack_key(pk, "feeders");
	msgpack_pack_array(pk, l.nfeeders);
	for (size_t k = 0; k < c->cfg.nraces; k++)
		if (core__feeds(c, (int)k, t->race, NULL, NULL, 0))
			slp_pack_str(pk, c->cfg.races[k].id);
	slp_pack_kv_bool(pk, "complete", l.complete);
	slp_pack_kv_bool(pk, "override", l.override);
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, l.n);
	for (size_t i = 0; i < l.n; i++) {
		const struct core_lineup_row *r = &l.rows[i];
		msgpack_pack_map(pk, 8);
		slp_pack_kv_int(pk, "seed", r->seed);
		slp_pack_kv_int_or_nil(pk, "lane", r->lane, r->lane > 0);
		slp_pack_kv_str(pk, "bib", r->bib);
		slp_pack_kv_str(pk, "name", r->name ? r->name : "");
		slp_pack_kv_str(pk, "club", r->club ? r->club : "");
		slp_pack_kv_str(pk, "from", r->from ? r->from : "");
		slp_pack_kv_int_or_nil(pk, "place", r->place, r->place > 0);
		slp_pack_kv_int_or_nil(pk, "time", r->time, r->time != NO_TIME);
	}
	core_lineup_release(&l);
}

static bool prog_touched(const core *c, const struct topic *t)
{
	if (c->chg_all || c->prog_chg)
		return true;
	bool *feeds = sl_calloc(c->cfg.nraces + 1, sizeof(bool));
	bool any = false, hit = false;
	for (size_t k = 0; k < c->cfg.nraces; k++)
		any |= feeds[k] = core__feeds(c, (int)k, t->race, NULL, NULL, 0);
	for (size_t i = 0; any && !hit && i < c->nchg; i++) {
		int r = c->parts[c->chg[i]].race;
		hit = r >= 0 && (feeds[r] || r == t->race);
	}
	free(feeds);
	return hit;
}

int core_topic_snapshot(const core *c, const char *topic, size_t n, size_t offset, size_t limit,
			msgpack_packer *pk)
{
	struct topic t;
	int rc = topic_parse(c, topic, n, &t);
	uint32_t *ids = NULL;
	size_t cnt = 0, total = 0;

	if (topic && checkin_topic_snapshot(c, topic, n, offset, limit, pk, &rc))
		return rc;
	if (rc < 0)
		return rc;
	switch (t.kind) {
	case TOP_PROG:
		pack_prog(c, &t, pk, "snapshot", topic, n);
		return 0;
	case TOP_RESULTS:
	case TOP_SEX:
	case TOP_CAT:
		total = count_of(c, &t);
		ids = list_range(c, &t, offset, limit, &cnt);
		break;
	case TOP_ATHLETE:
		total = t.pidx != NONE32;
		ids = sl_malloc(sizeof(*ids));
		if (t.pidx != NONE32 && offset == 0)
			ids[cnt++] = t.pidx;
		break;
	case TOP_FINISHES: {
		const ost *f = &c->rs[t.race].fin;
		size_t lim = limit ? limit : 50;
		total = ost_size(f);
		offset = total > lim ? total - lim : 0;
		ids = sl_malloc((total - offset + 1) * sizeof(*ids));
		cnt = ost_range(f, offset, total - offset, ids);
		break;
	}
	case TOP_UNKNOWN: {
		size_t all = 0;
		ids = sl_malloc((c->ncodes + 1) * sizeof(*ids));
		for (size_t ci = 0; ci < c->ncodes; ci++)
			if (c->codes[ci].pidx == NONE32 && c->codes[ci].nreads)
				ids[all++] = (uint32_t)ci;
		qsort_r(ids, all, sizeof(*ids), code_qcmp, (void *)c);
		total = all;
		size_t from = offset < all ? offset : all;
		cnt = all - from;
		if (limit && limit < cnt)
			cnt = limit;
		memmove(ids, ids + from, cnt * sizeof(*ids));
		break;
	}
	case TOP_STATUS:
		total = 1;
		cnt = offset == 0;
		break;
	case TOP_EVENT:
		total = c->has_cfg;
		cnt = offset == 0 && c->has_cfg;
		break;
	}
	pack_head(c, &t, pk, "snapshot", topic, n, total, true, offset);
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, cnt);
	for (size_t i = 0; i < cnt; i++) {
		if (t.kind == TOP_UNKNOWN)
			pack_code(c, pk, ids[i]);
		else if (t.kind == TOP_STATUS)
			pack_status(c, pk);
		else if (t.kind == TOP_EVENT)
			pack_event(c, pk);
		else
			pack_row(c, pk, ids[i]);
	}
	free(ids);
	return 0;
}

int core_topic_delta(const core *c, const char *topic, size_t n, msgpack_packer *pk, bool *empty)
{
	struct topic t;
	int rc = topic_parse(c, topic, n, &t);
	uint32_t *ids = NULL;
	size_t cnt = 0, total = 0;

	*empty = true;
	if (topic && checkin_topic_delta(c, topic, n, pk, empty, &rc))
		return rc;
	if (rc < 0)
		return rc;
	switch (t.kind) {
	case TOP_PROG:
		if (prog_touched(c, &t)) {
			*empty = false;
			pack_prog(c, &t, pk, "delta", topic, n);
		}
		return 0;
	case TOP_RESULTS:
	case TOP_SEX:
	case TOP_CAT:
		total = count_of(c, &t);
		ids = sl_malloc((c->nchg + 1) * sizeof(*ids));
		for (size_t i = 0; i < c->nchg; i++)
			if (member(c, &t, &c->parts[c->chg[i]]))
				ids[cnt++] = c->chg[i];
		break;
	case TOP_ATHLETE:
		total = t.pidx != NONE32;
		ids = sl_malloc(sizeof(*ids));
		if (t.pidx != NONE32 && c->parts[t.pidx].chg)
			ids[cnt++] = t.pidx;
		break;
	case TOP_FINISHES:
		total = ost_size(&c->rs[t.race].fin);
		ids = sl_malloc((c->nchg + 1) * sizeof(*ids));
		for (size_t i = 0; i < c->nchg; i++) {
			const struct part *p = &c->parts[c->chg[i]];
			if (p->race == t.race && p->status == ST_FINISHED && !p->fin_at_clear)
				ids[cnt++] = c->chg[i];
		}
		qsort_r(ids, cnt, sizeof(*ids), fin_qcmp, (void *)c);
		break;
	case TOP_UNKNOWN:
		total = c->nunknown;
		cnt = c->nuchg;
		break;
	case TOP_STATUS:
		total = 1;
		cnt = c->chg_status || c->nchg;
		break;
	case TOP_EVENT: /* changes with the config or a wave start: snapshots are sent again */
		return 0;
	}
	if (cnt) {
		*empty = false;
		pack_head(c, &t, pk, "delta", topic, n, total, false, 0);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, cnt);
		for (size_t i = 0; i < cnt; i++) {
			if (t.kind == TOP_UNKNOWN)
				pack_code(c, pk, c->uchg[i]);
			else if (t.kind == TOP_STATUS)
				pack_status(c, pk);
			else
				pack_row(c, pk, ids[i]);
		}
	}
	free(ids);
	return 0;
}

/* ---- exports ----------------------------------------------------------- */

static int export_race(const core *c, const char *race, struct topic *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = TOP_RESULTS;
	t->race = race ? find_race(c, race, strlen(race)) : -1;
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

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static void csv_time(sl_buf *b, int64_t ms, int64_t prec)
{
	sl_fmt_hms(b, floordiv(ms, prec) * prec, (int)prec);
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
	size_t nr = reasons_of(c, bib, rs);
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
	uint32_t *ids = list_range(c, &t, 0, 0, &cnt);
	for (size_t i = 0; i < cnt; i++) {
		const struct part *p = &c->parts[ids[i]];
		struct reg_row rr;
		reg_row_of(c, p, &rr);
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

	if (is_regatta(r)) {
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
	uint32_t *ids = list_range(c, &t, 0, 0, &cnt);
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
			csv_time(out, pace_of(r, net), 1000);
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

int core_export_json(const core *c, const char *race, sl_buf *out)
{
	struct topic t;
	size_t cnt;
	int rc = export_race(c, race, &t);
	if (rc < 0)
		return rc;
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &mp);
	msgpack_pack_map(&pk, 4);
	slp_pack_kv_str(&pk, "event", c->cfg.event);
	slp_pack_kv_str(&pk, "race", c->cfg.races[t.race].id);
	slp_pack_key(&pk, "results"); /* provisional, official or corrected, by whom, when */
	core__pack_results_state(c, &pk, c->cfg.races[t.race].id);
	slp_pack_key(&pk, "rows");
	uint32_t *ids = list_range(c, &t, 0, 0, &cnt);
	msgpack_pack_array(&pk, cnt);
	for (size_t i = 0; i < cnt; i++)
		pack_row(c, &pk, ids[i]);
	free(ids);
	rc = slp_msgpack_to_json(mp.data, mp.len, out);
	sl_buf_release(&mp);
	return rc;
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
	slp_packer_init(&pk, &mp);
	msgpack_pack_map(&pk, 3);
	slp_pack_kv_str(&pk, "event", c->cfg.event);
	slp_pack_kv_str(&pk, "name", c->cfg.name ? c->cfg.name : "");
	slp_pack_key(&pk, "races");
	msgpack_pack_array(&pk, c->cfg.nraces);
	for (size_t k = 0; k < c->cfg.nraces; k++) {
		const struct cfg_race *r = &c->cfg.races[k];
		struct topic t = {.kind = TOP_RESULTS, .race = (int)k};
		size_t cnt;
		static const char *const kinds[] = {"mass", "trial", "lanes"};
		msgpack_pack_map(&pk, 6);
		slp_pack_kv_str(&pk, "race", r->id);
		slp_pack_kv_str(&pk, "name", r->name ? r->name : "");
		slp_pack_kv_str(&pk, "kind", kinds[r->kind]);
		slp_pack_key(&pk, "boat_class");
		if (r->boat_class)
			slp_pack_str(&pk, r->boat_class);
		else
			msgpack_pack_nil(&pk);
		slp_pack_key(&pk, "progression");
		if (r->progression)
			slp_pack_str(&pk, r->progression);
		else
			msgpack_pack_nil(&pk);
		slp_pack_key(&pk, "rows");
		uint32_t *ids = list_range(c, &t, 0, 0, &cnt);
		msgpack_pack_array(&pk, cnt);
		for (size_t i = 0; i < cnt; i++)
			pack_row(c, &pk, ids[i]);
		free(ids);
	}
	int rc = slp_msgpack_to_json(mp.data, mp.len, out);
	sl_buf_release(&mp);
	return rc;
}

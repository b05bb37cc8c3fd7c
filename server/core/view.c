/*
 * view.c: what subscribers see of a core (PROTOCOL.md, "Topics", "Result
 * row"): topic parsing, snapshot and delta messages.  The lists and the row
 * format are in view_rows.c, shared with the exports (export.c).
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
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "slp.h"
#include "view_int.h"

static bool pfx(const char *s, size_t n, const char *p, size_t *rest)
{
	size_t pn = strlen(p);
	if (n < pn || memcmp(s, p, pn) != 0)
		return false;
	*rest = pn;
	return true;
}

/* Topics that are a whole name, and topics that are a prefix and a race id. */
static const struct {
	const char *name;
	int kind;
} whole[] = {{"unknown", TOP_UNKNOWN}, {"status", TOP_STATUS}, {"event", TOP_EVENT}},
  of_race[] = {{"progression/", TOP_PROG}, {"finishes/", TOP_FINISHES}};

static int topic_parse(const core *c, const char *s, size_t n, struct topic *t)
{
	size_t off;
	memset(t, 0, sizeof(*t));
	t->pidx = NONE32;
	if (!s || n == 0 || n > 256)
		return SL_EINVAL;
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (n == strlen(whole[i].name) && !memcmp(s, whole[i].name, n)) {
			t->kind = whole[i].kind;
			return 0;
		}
	if (pfx(s, n, "athlete/", &off)) {
		t->kind = TOP_ATHLETE;
		if (!sl_id_ok(s + off, n - off))
			return SL_EINVAL;
		if (!hmap_get(&c->bibs, s + off, n - off, &t->pidx))
			t->pidx = NONE32;
		return 0;
	}
	for (size_t i = 0; i < sizeof(of_race) / sizeof(of_race[0]); i++)
		if (pfx(s, n, of_race[i].name, &off)) {
			t->kind = of_race[i].kind;
			if (!sl_id_ok(s + off, n - off))
				return SL_EINVAL;
			return (t->race = view__find_race(c, s + off, n - off)) < 0 ? SL_ENOENT : 0;
		}
	if (!pfx(s, n, "results/", &off))
		return SL_EINVAL;
	const char *r = s + off, *slash = memchr(r, '/', n - off);
	size_t rn = slash ? (size_t)(slash - r) : n - off;
	if (!sl_id_ok(r, rn))
		return SL_EINVAL;
	int race = view__find_race(c, r, rn);
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
		if (!sl_id_ok(sub + off, sn - off))
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
			if (c->reads[ri].vd)
				continue;
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
	slp_pack_kv_str_or_nil(pk, "timezone", g->timezone);
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, g->nraces);
	for (size_t i = 0; i < g->nraces; i++) {
		const struct cfg_race *r = &g->races[i];
		/* optional keys only when set: boat class, progression rule, GPX course */
		msgpack_pack_map(pk, 9 + (r->boat_class != NULL) + (r->progression != NULL) +
					     (r->gpx != NULL));
		slp_pack_kv_str(pk, "id", r->id);
		slp_pack_kv_str_opt(pk, "boat_class", r->boat_class);
		slp_pack_kv_str_opt(pk, "progression", r->progression);
		slp_pack_kv_str_opt(pk, "gpx", r->gpx);
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
	return core__by_key(c, x, y, c->parts[x].fin_t, c->parts[y].fin_t);
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

/* A topic's "rows": cnt of them, ids[i] the i-th row's participant (code for unknown/). */
static void pack_rows(const core *c, const struct topic *t, msgpack_packer *pk, const uint32_t *ids,
		      size_t cnt)
{
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, cnt);
	for (size_t i = 0; i < cnt; i++) {
		if (t->kind == TOP_UNKNOWN)
			pack_code(c, pk, ids[i]);
		else if (t->kind == TOP_STATUS)
			pack_status(c, pk);
		else if (t->kind == TOP_EVENT)
			pack_event(c, pk);
		else
			view__pack_row(c, pk, ids[i]);
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
		total = view__count_of(c, &t);
		ids = view__list_range(c, &t, offset, limit, &cnt);
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
	pack_rows(c, &t, pk, ids, cnt);
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
		total = view__count_of(c, &t);
		ids = sl_malloc((c->nchg + 1) * sizeof(*ids));
		for (size_t i = 0; i < c->nchg; i++)
			if (view__member(c, &t, &c->parts[c->chg[i]]))
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
		pack_rows(c, &t, pk, t.kind == TOP_UNKNOWN ? c->uchg : ids, cnt);
	}
	free(ids);
	return 0;
}

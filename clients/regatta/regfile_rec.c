/*
 * regfile_rec.c: the Splitline log records that reproduce a regatta export
 * (see regfile.h for the mapping): regfile_import() (config, participants,
 * places and penalties, with warnings for what the file leaves to a
 * guess), regfile_replay() (the timing devices' reads, in batches) and
 * regfile_to_msg().  Builders append to a reg_recs list and never fail.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <msgpack.h>

#include "regfile_int.h"
#include "slp.h"

/* ---- records -------------------------------------------------------------- */

static sl_buf *rec_new(reg_recs *l, msgpack_packer *pk)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->r = sl_realloc(l->r, l->cap * sizeof(sl_buf));
	}
	sl_buf *b = &l->r[l->n++];
	*b = (sl_buf)SL_BUF_INIT;
	slp_packer_init(pk, b);
	return b;
}

void reg_recs_release(reg_recs *l)
{
	for (size_t i = 0; i < l->n; i++)
		sl_buf_release(&l->r[i]);
	free(l->r);
	memset(l, 0, sizeof(*l));
}

static const char *const BACKUPS[] = {"Start2", "Start3", "Finish2", "Finish3"};

/* The fastest and slowest time of race e in the file (RawTime, else finish -
 * start); false when no crew has one. */
static bool race_times(const regfile *t, size_t e, int64_t *fast, int64_t *slow)
{
	*fast = *slow = REGFILE_NO_T;
	for (size_t i = t->evfirst[e]; i < t->nrows; i++) {
		if (t->row_race[i] != e)
			continue;
		int64_t v = regfile_ms(regfile_cell(t, i, "RawTime"));
		int64_t s0 = regfile_ms(regfile_cell(t, i, "G_Start_time_raw"));
		int64_t f1 = regfile_ms(regfile_cell(t, i, "G_Finish_time_raw"));
		if (v == REGFILE_NO_T && s0 != REGFILE_NO_T && f1 != REGFILE_NO_T)
			v = f1 - s0;
		if (v == REGFILE_NO_T || v <= 0)
			continue;
		if (*fast == REGFILE_NO_T || v < *fast)
			*fast = v;
		if (*slow == REGFILE_NO_T || v > *slow)
			*slow = v;
	}
	return *fast != REGFILE_NO_T;
}

/* Has row i a reading at split k, or at a backup station of it? */
static bool read_at(const regfile *t, size_t i, size_t k)
{
	if (regfile_ms(t->rows[i][t->st[k].col]) != REGFILE_NO_T)
		return true;
	for (size_t b = 0; b < t->nbk; b++)
		if (t->bk[b].of == k && regfile_ms(t->rows[i][t->bk[b].col]) != REGFILE_NO_T)
			return true;
	return false;
}

/* A split point of a race: station k, at d metres, read in [min_s, min_s + window_s]. */
struct split {
	size_t k;
	long d, min_s, window_s;
};

/*
 * The splits of race e of dist metres: the stations with a reading in one
 * of its rows (theirs or a backup station's), in course order.  Their
 * distances are their names' when every name gives one, increasing and
 * short of the finish; else they are spread evenly (*spread).  The read
 * rule is the core's own (PROTOCOL.md, "Event configuration"): `first`
 * inside [start + min_s, start + min_s + window_s], the window being the
 * plausible pace pro rata of the distance: from 0.8 x the race's fastest
 * time to 1.25 x its slowest (room for a fast first part of the course,
 * and for a crew slower there than at the finish), or 8 m/s to 1.5 m/s
 * when no crew has a time (no boat is faster).  A read outside it is not
 * this crew's passing: a bow number mistyped or misread, another crew's
 * crossing.  No dedupe_s: a station of these files has one reading per
 * crew.
 */
static size_t race_splits(const regfile *t, size_t e, long dist, struct split *sp, bool *spread)
{
	size_t n = 0;
	for (size_t k = 0; k < t->nst; k++) {
		bool any = false;
		for (size_t i = t->evfirst[e]; i < t->nrows && !any; i++)
			any = t->row_race[i] == e && read_at(t, i, k);
		if (any)
			sp[n++] = (struct split){.k = k};
	}
	*spread = false;
	for (size_t q = 0, prev = 0; q < n; q++) {
		long d = regfile_name_distance(t->st[sp[q].k].name);
		if (d <= (long)prev || d >= dist) {
			*spread = true;
			break;
		}
		sp[q].d = d;
		prev = (size_t)d;
	}
	for (size_t q = 0; q < n && *spread; q++)
		sp[q].d = lround((double)dist * (double)(q + 1) / (double)(n + 1));
	int64_t fast, slow;
	bool timed = race_times(t, e, &fast, &slow);
	for (size_t q = 0; q < n; q++) {
		double f = (double)sp[q].d / (double)dist;
		double lo = timed ? f * (double)fast * 0.8 / 1000.0 : (double)sp[q].d / 8.0;
		double hi = timed ? f * (double)slow * 1.25 / 1000.0 : (double)sp[q].d / 1.5;
		sp[q].min_s = (long)floor(lo);
		sp[q].window_s = (long)ceil(hi) - sp[q].min_s;
	}
	return n;
}

/* Race e's distance: its name's, else the option's; 0 when neither says. */
static long race_distance(const regfile *t, size_t e, const struct reg_opts *o)
{
	long d = regfile_name_distance(regfile_cell(t, t->evfirst[e], "Event"));
	return d ? d : o->distance_m;
}

static void list_add(sl_buf *b, const char *s)
{
	sl_buf_addf(b, "%s%s", b->len ? ", " : "", s);
}

/*
 * The points of a race with the splits sp[0..ns): start, the splits,
 * finish, then the backup stations (`station_of`): start2 and start3, the
 * splits' (in course order), finish2 and finish3; only those the file has.
 */
static void pack_points(msgpack_packer *pk, const regfile *t, const struct split *sp, size_t ns,
			long dist)
{
	size_t nb = 0;
	for (size_t k = 0; k < 4; k++) {
		char h[64];
		snprintf(h, sizeof(h), "G_%s_time_raw", BACKUPS[k]);
		nb += regfile__col(t, h) >= 0;
	}
	for (size_t q = 0; q < ns; q++)
		for (size_t b = 0; b < t->nbk; b++)
			nb += t->bk[b].of == sp[q].k;
	slp_pack_key(pk, "points");
	msgpack_pack_array(pk, 2 + ns + nb);
	msgpack_pack_map(pk, 3);
	slp_pack_kv_str(pk, "id", "start");
	slp_pack_kv_str(pk, "role", "start");
	slp_pack_kv_str(pk, "rule", "first");
	for (size_t q = 0; q < ns; q++) {
		msgpack_pack_map(pk, 7);
		slp_pack_kv_str(pk, "id", t->st[sp[q].k].id);
		slp_pack_kv_str(pk, "name", t->st[sp[q].k].name);
		slp_pack_kv_str(pk, "role", "split");
		slp_pack_kv_str(pk, "rule", "first");
		slp_pack_kv_int(pk, "distance_m", sp[q].d);
		slp_pack_kv_int(pk, "min_s", sp[q].min_s);
		slp_pack_kv_int(pk, "window_s", sp[q].window_s);
	}
	msgpack_pack_map(pk, 4);
	slp_pack_kv_str(pk, "id", "finish");
	slp_pack_kv_str(pk, "role", "finish");
	slp_pack_kv_int(pk, "distance_m", dist);
	slp_pack_kv_int(pk, "min_s", 0);
	for (size_t k = 0; k < 4; k++) {
		char h[64], id[16];
		for (size_t q = 0; k == 2 && q < ns; q++) /* the splits' backups, before finish2 */
			for (size_t b = 0; b < t->nbk; b++) {
				if (t->bk[b].of != sp[q].k)
					continue;
				msgpack_pack_map(pk, 2);
				slp_pack_kv_str(pk, "id", t->bk[b].id);
				slp_pack_kv_str(pk, "station_of", t->st[sp[q].k].id);
			}
		snprintf(h, sizeof(h), "G_%s_time_raw", BACKUPS[k]);
		if (regfile__col(t, h) < 0)
			continue;
		snprintf(id, sizeof(id), "%s", BACKUPS[k]);
		id[0] = (char)(id[0] - 'A' + 'a');
		msgpack_pack_map(pk, 2);
		slp_pack_kv_str(pk, "id", id);
		slp_pack_kv_str(pk, "station_of", k < 2 ? "start" : "finish");
	}
}

static void pack_config(msgpack_packer *pk, const regfile *t, const struct reg_opts *o,
			sl_buf *warn)
{
	sl_buf assumed = SL_BUF_INIT, spread_races = SL_BUF_INIT, spread_st = SL_BUF_INIT;
	size_t nassumed = 0;
	struct split *sp = sl_calloc(t->nst + 1, sizeof(*sp));
	msgpack_pack_map(pk, 2);
	slp_pack_kv_str(pk, "k", "config");
	slp_pack_key(pk, "config");
	msgpack_pack_map(pk, o->timezone ? 5 : 4);
	slp_pack_kv_str(pk, "event", o->event);
	slp_pack_kv_str(pk, "name", o->event);
	slp_pack_kv_str(pk, "date", t->date);
	slp_pack_kv_str_opt(pk, "timezone", o->timezone);
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, t->nev);
	for (size_t e = 0; e < t->nev; e++) {
		size_t i = t->evfirst[e];
		bool head = !strcmp(regfile_cell(t, i, "RaceType"), "Head");
		const char *info = regfile_cell(t, i, "EventInfo");
		long dist = race_distance(t, e, o);
		if (!dist) {
			dist = 1000;
			list_add(&assumed, t->race_id[e]);
			nassumed++;
		}
		bool spread;
		size_t ns = race_splits(t, e, dist, sp, &spread);
		if (spread) {
			list_add(&spread_races, t->race_id[e]);
			for (size_t q = 0; q < ns; q++) {
				char qn[80];
				snprintf(qn, sizeof(qn), "'%s'", t->st[sp[q].k].name);
				if (!strstr(spread_st.data ? spread_st.data : "", qn))
					list_add(&spread_st, qn);
			}
		}
		msgpack_pack_map(pk, 7 + (*info != 0));
		slp_pack_kv_str(pk, "id", t->race_id[e]);
		slp_pack_kv_str(pk, "name", regfile_cell(t, i, "Event"));
		slp_pack_kv_str(pk, "kind", head ? "trial" : "lanes");
		slp_pack_kv_int(pk, "precision_ms", 1);
		slp_pack_kv_int(pk, "distance_m", dist);
		if (*info)
			slp_pack_kv_str(pk, "progression", info);
		slp_pack_key(pk, "waves");
		msgpack_pack_array(pk, 1);
		msgpack_pack_map(pk, 1);
		slp_pack_kv_str(pk, "id", "1");
		pack_points(pk, t, sp, ns, dist);
	}
	if (warn && nassumed)
		sl_buf_addf(warn,
			    "no distance for %zu races (%s): 1000 m assumed; give --distance M, "
			    "or write it in the event name (\"2000m\")\n",
			    nassumed, assumed.data);
	if (warn && spread_races.len)
		sl_buf_addf(warn,
			    "stations %s: no distance in the name (or not one before the finish) "
			    "in races %s: spread evenly over the course\n",
			    spread_st.data, spread_races.data);
	sl_buf_release(&assumed);
	sl_buf_release(&spread_races);
	sl_buf_release(&spread_st);
	free(sp);
}

static void pack_members(msgpack_packer *pk, const char *crew)
{
	size_t n = 1;
	for (const char *p = crew; (p = strstr(p, " / ")); p += 3)
		n++;
	slp_pack_key(pk, "members");
	msgpack_pack_array(pk, n);
	const char *s = crew;
	for (size_t k = 0; k < n; k++) {
		const char *e = strstr(s, " / ");
		size_t len = e ? (size_t)(e - s) : strlen(s);
		msgpack_pack_map(pk, 1);
		slp_pack_kv_strn(pk, "name", s, len);
		s = e ? e + 3 : s + len;
	}
}

static void pack_participants(msgpack_packer *pk, const regfile *t, size_t from, size_t n)
{
	msgpack_pack_map(pk, 2);
	slp_pack_kv_str(pk, "k", "participants");
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, n);
	for (size_t i = from; i < from + n; i++) {
		const char *bow = regfile_cell(t, i, "Bow"), *crew = regfile_cell(t, i, "Crew");
		char *end;
		long lane = strtol(bow, &end, 10);
		bool has_lane = *bow && !*end && lane >= 1 && lane <= 99;
		bool members = strstr(crew, " / ") != NULL;
		msgpack_pack_map(pk, 4 + has_lane + members);
		slp_pack_kv_str(pk, "bib", t->bibs[i]);
		slp_pack_kv_str(pk, "race", t->race_id[t->row_race[i]]);
		slp_pack_kv_str(pk, "name", crew);
		slp_pack_kv_str(pk, "club", regfile_cell(t, i, "CrewAbbrev"));
		if (has_lane)
			slp_pack_kv_int(pk, "lane", lane);
		if (members)
			pack_members(pk, crew);
	}
}

struct adj_arg {
	const char *type, *reason, *official;
	const char *key; /* an integer field, or NULL */
	int64_t v;
	const char *station; /* a station choice at the finish, or NULL */
	bool dead_heat;      /* a judges' place shared with the crew holding it */
};

static void pack_adjust(reg_recs *out, const char *bib, const struct adj_arg *a)
{
	msgpack_packer pk;
	rec_new(out, &pk);
	msgpack_pack_map(&pk, 5 + (a->key != NULL) + 2 * (a->station != NULL) + a->dead_heat);
	slp_pack_kv_str(&pk, "k", "adjust");
	slp_pack_kv_str(&pk, "bib", bib);
	slp_pack_kv_str(&pk, "type", a->type);
	slp_pack_kv_str(&pk, "reason", a->reason);
	slp_pack_kv_str(&pk, "official", a->official);
	if (a->key)
		slp_pack_kv_int(&pk, a->key, a->v);
	if (a->station) {
		slp_pack_kv_str(&pk, "pt", "finish");
		slp_pack_kv_str(&pk, "station", a->station);
	}
	slp_pack_kv_flag(&pk, "dead_heat", a->dead_heat);
}

/*
 * The judges' places (--places-from-file): the place the file gives a crew,
 * where it differs from the rank of the crew's AdjTime in its race (what
 * the results would show without a decision).  Where they agree there is
 * nothing to decide, and a judged place would pin a crew that a later
 * correction of a time should move.  A place shared with a crew that holds
 * it (by time, or by an earlier judged place) is a dead heat.  Timed crews
 * the file leaves unplaced, and placed crews with a status, are warned: no
 * `place` decision says either.
 */
static void pack_places(reg_recs *out, const regfile *t, const struct reg_opts *o, sl_buf *warn)
{
	size_t n = t->nrows;
	struct reg_expect *x = sl_calloc(n + 1, sizeof(*x));
	long *comp = sl_calloc(n + 1, sizeof(*comp));
	bool *sent = sl_calloc(n + 1, sizeof(*sent));
	sl_buf unplaced = SL_BUF_INIT, statused = SL_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		regfile_expect(t, i, &x[i]);
	for (size_t i = 0; i < n; i++) {
		if (x[i].adj == REGFILE_NO_T || x[i].exhibition || x[i].status)
			continue;
		comp[i] = 1;
		for (size_t j = 0; j < n; j++)
			comp[i] += t->row_race[j] == t->row_race[i] && x[j].adj != REGFILE_NO_T &&
				   !x[j].exhibition && !x[j].status && x[j].adj < x[i].adj;
	}
	for (size_t i = 0; i < n; i++) {
		if (x[i].place == comp[i])
			continue;
		if (!x[i].place) {
			list_add(&unplaced, t->bibs[i]);
			continue;
		}
		if (x[i].status) {
			list_add(&statused, t->bibs[i]);
			continue;
		}
		bool dh = false;
		for (size_t j = 0; j < n && !dh; j++)
			dh = j != i && t->row_race[j] == t->row_race[i] &&
			     x[j].place == x[i].place &&
			     (comp[j] == x[i].place || (j < i && sent[j]));
		pack_adjust(out, t->bibs[i],
			    &(struct adj_arg){"place", "place from the results file", o->official,
					      "place", x[i].place, NULL, dh});
		sent[i] = true;
	}
	if (warn && unplaced.len)
		sl_buf_addf(warn,
			    "timed but without a place in the file: %s: their places are the "
			    "times' (no decision takes a place away)\n",
			    unplaced.data);
	if (warn && statused.len)
		sl_buf_addf(warn,
			    "a place in the file for a crew that did not finish (DNS, DNF, DQ, "
			    "scratch): %s: not imported\n",
			    statused.data);
	sl_buf_release(&unplaced);
	sl_buf_release(&statused);
	free(x);
	free(comp);
	free(sent);
}

/* An EventNum naming two events: both kept, apart; said once per extra race. */
static void warn_dups(const regfile *t, sl_buf *warn)
{
	for (size_t e = 0; e < t->nev && warn; e++) {
		const char *num = regfile_cell(t, t->evfirst[e], "EventNum");
		if (!strcmp(t->race_id[e], num))
			continue;
		size_t f = 0;
		while (f < e && strcmp(regfile_cell(t, t->evfirst[f], "EventNum"), num) != 0)
			f++;
		sl_buf_addf(warn,
			    "event number %s names two events, '%s' and '%s': kept apart, as "
			    "races %s and %s (bibs %s-<Bow>)\n",
			    num, regfile_cell(t, t->evfirst[f], "Event"),
			    regfile_cell(t, t->evfirst[e], "Event"), t->race_id[f], t->race_id[e],
			    t->race_id[e]);
	}
}

void regfile_import(const regfile *t, const struct reg_opts *o, reg_recs *out, sl_buf *warn)
{
	msgpack_packer pk;
	const char *official = o->official;
	size_t chunk = o->chunk;
	warn_dups(t, warn);
	rec_new(out, &pk);
	pack_config(&pk, t, o, warn);
	if (chunk == 0)
		chunk = t->nrows ? t->nrows : 1;
	for (size_t off = 0; off < t->nrows; off += chunk) {
		rec_new(out, &pk);
		pack_participants(&pk, t, off, t->nrows - off < chunk ? t->nrows - off : chunk);
	}
	bool backups = regfile__col(t, "G_Finish2_time_raw") >= 0;
	for (size_t i = 0; i < t->nrows; i++) {
		const char *adj = regfile_cell(t, i, "AdjTime");
		const char *pen = regfile_cell(t, i, "PenaltyCode");
		const char *fin = regfile_cell(t, i, "G_Finish_time_raw");
		if (*fin && backups) {
			const char *st =
				!strcmp(fin, regfile_cell(t, i, "G_Finish2_time_raw"))   ? "finish2"
				: !strcmp(fin, regfile_cell(t, i, "G_Finish3_time_raw")) ? "finish3"
											 : NULL;
			if (st)
				pack_adjust(out, t->bibs[i],
					    &(struct adj_arg){"station", "official finish camera",
							      official, NULL, 0, st, false});
		}
		if (!strcmp(pen, "Exhib"))
			pack_adjust(out, t->bibs[i],
				    &(struct adj_arg){"exhibition", "Exhib", official, NULL, 0,
						      NULL, false});
		const char *paren = strrchr(pen, '(');
		int secs;
		if (paren && sscanf(paren, "(%ds)", &secs) == 1 && secs >= 0 && secs <= 86400)
			pack_adjust(out, t->bibs[i],
				    &(struct adj_arg){"penalty", pen, official, "ms", secs * 1000LL,
						      NULL, false});
		for (size_t k = 0; k < REGFILE__NSTATUS; k++)
			if (!strcmp(adj, regfile__status[k][0]))
				pack_adjust(out, t->bibs[i],
					    &(struct adj_arg){regfile__status[k][1],
							      regfile__status[k][0], official, NULL,
							      0, NULL, false});
	}
	if (o->places)
		pack_places(out, t, o, warn);
}

static int read_cmp(const void *a, const void *b)
{
	const slp_read *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	/* stable on the row: bibs are unique, compare them */
	int c = strcmp(x->bib, y->bib);
	return c;
}

/* A station device of the replay: its column and point (or station) id. */
struct dev {
	int col;
	const char *id;
	bool start, finish; /* the primary start or finish */
};

void regfile_replay(const regfile *t, size_t batch, int64_t rx, const int64_t *day0, reg_recs *out)
{
	static const char *const ends[][2] = {
		{"G_Start_time_raw", "start"},     {"G_Start2_time_raw", "start2"},
		{"G_Start3_time_raw", "start3"},   {"G_Finish_time_raw", "finish"},
		{"G_Finish2_time_raw", "finish2"}, {"G_Finish3_time_raw", "finish3"}};
	int fin2 = regfile__col(t, "G_Finish2_time_raw"),
	    fin3 = regfile__col(t, "G_Finish3_time_raw");
	msgpack_packer pk;
	if (batch == 0)
		batch = 100;

	/* side-by-side races: the start fires once, at the first crew's reading */
	for (size_t e = 0; e < t->nev; e++) {
		size_t i = t->evfirst[e];
		if (!strcmp(regfile_cell(t, i, "RaceType"), "Head"))
			continue;
		int64_t t0 = REGFILE_NO_T;
		for (size_t k = i; k < t->nrows && t0 == REGFILE_NO_T; k++)
			if (t->row_race[k] == e)
				t0 = regfile_ms(regfile_cell(t, k, "G_Start_time_raw"));
		if (t0 == REGFILE_NO_T)
			continue;
		rec_new(out, &pk);
		msgpack_pack_map(&pk, 4);
		slp_pack_kv_str(&pk, "k", "wave_start");
		slp_pack_kv_str(&pk, "race", t->race_id[e]);
		slp_pack_kv_str(&pk, "wave", "1");
		slp_pack_kv_int(&pk, "t0", day0[t->race_day[e]] + t0);
	}

	/* the devices in course order: starts, intermediate stations (each
	 * followed by its backups), finishes */
	struct dev *devs = sl_calloc(6 + t->nst + t->nbk, sizeof(*devs));
	size_t nd = 0;
	for (size_t k = 0; k < 3; k++)
		devs[nd++] = (struct dev){regfile__col(t, ends[k][0]), ends[k][1], k == 0, false};
	for (size_t k = 0; k < t->nst; k++) {
		devs[nd++] = (struct dev){t->st[k].col, t->st[k].id, false, false};
		for (size_t b = 0; b < t->nbk; b++)
			if (t->bk[b].of == k)
				devs[nd++] = (struct dev){t->bk[b].col, t->bk[b].id, false, false};
	}
	for (size_t k = 3; k < 6; k++)
		devs[nd++] = (struct dev){regfile__col(t, ends[k][0]), ends[k][1], false, k == 3};

	slp_read *rs = sl_calloc(t->nrows + 1, sizeof(*rs));
	for (size_t d = 0; d < nd; d++) {
		if (devs[d].col < 0)
			continue;
		size_t n = 0;
		for (size_t i = 0; i < t->nrows; i++) {
			const char *v = t->rows[i][devs[d].col];
			int64_t ms = regfile_ms(v);
			if (ms == REGFILE_NO_T)
				continue;
			if (devs[d].start && strcmp(regfile_cell(t, i, "RaceType"), "Head") != 0)
				continue; /* lanes: the race's start is the wave start */
			if (devs[d].finish && ((fin2 >= 0 && !strcmp(v, t->rows[i][fin2])) ||
					       (fin3 >= 0 && !strcmp(v, t->rows[i][fin3]))))
				continue; /* the official finish is a backup's reading */
			rs[n] = (slp_read){0};
			rs[n].bib = t->bibs[i];
			rs[n].bib_len = strlen(t->bibs[i]);
			rs[n].pt = devs[d].id;
			rs[n].pt_len = strlen(devs[d].id);
			rs[n].t = day0[t->race_day[t->row_race[i]]] + ms;
			rs[n].kind = SLP_KIND_RFID;
			rs[n].hits = -1;
			n++;
		}
		qsort(rs, n, sizeof(*rs), read_cmp);
		for (size_t off = 0; off < n; off += batch) {
			size_t m = n - off < batch ? n - off : batch;
			rec_new(out, &pk);
			msgpack_pack_map(&pk, 5);
			slp_pack_kv_str(&pk, "k", "passings");
			slp_pack_kv_str(&pk, "dev", devs[d].id);
			slp_pack_kv_int(&pk, "seq", (int64_t)off + 1);
			slp_pack_key(&pk, "reads");
			slp_pack_reads(&pk, rs + off, m);
			slp_pack_kv_int(&pk, "rx", rx);
		}
	}
	free(rs);
	free(devs);
}

int regfile_to_msg(const char *rec, size_t len, uint64_t id, sl_buf *out)
{
	msgpack_zone z;
	msgpack_object root;
	size_t off = 0;
	const char *k;
	size_t kn;
	int rc = SL_EINVAL;
	msgpack_packer pk;

	msgpack_zone_init(&z, 4096);
	if (msgpack_unpack(rec, len, &off, &z, &root) != MSGPACK_UNPACK_SUCCESS ||
	    root.type != MSGPACK_OBJECT_MAP || slp_get_str(&root, "k", &k, &kn) != 0)
		goto out;
	const char *t = NULL;
	bool drop_rx = false;
	if (kn == 6 && !memcmp(k, "config", 6))
		t = "event_create";
	else if (kn == 8 && !memcmp(k, "passings", 8))
		t = "passings", drop_rx = true;
	else if ((kn == 12 && !memcmp(k, "participants", 12)) ||
		 (kn == 10 && !memcmp(k, "wave_start", 10)) || (kn == 6 && !memcmp(k, "adjust", 6)))
		t = NULL;
	else
		goto out;
	sl_buf_reset(out);
	slp_packer_init(&pk, out);
	size_t n = 2;
	const msgpack_object_map *m = &root.via.map;
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object_str *key = &m->ptr[i].key.via.str;
		bool is_k = key->size == 1 && key->ptr[0] == 'k';
		bool is_rx = key->size == 2 && !memcmp(key->ptr, "rx", 2);
		n += !is_k && !(drop_rx && is_rx);
	}
	msgpack_pack_map(&pk, n);
	if (t)
		slp_pack_kv_str(&pk, "t", t);
	else
		slp_pack_kv_strn(&pk, "t", k, kn);
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object_str *key = &m->ptr[i].key.via.str;
		bool is_k = key->size == 1 && key->ptr[0] == 'k';
		bool is_rx = key->size == 2 && !memcmp(key->ptr, "rx", 2);
		if (is_k || (drop_rx && is_rx))
			continue;
		msgpack_pack_object(&pk, m->ptr[i].key);
		msgpack_pack_object(&pk, m->ptr[i].val);
	}
	rc = 0;
out:
	msgpack_zone_destroy(&z);
	return rc;
}

/*
 * scores.c: the HTTP routes of server/score: an event's award lists and
 * team scores, and the deployment's series standings (PROTOCOL.md, "HTTP").
 *
 *   /api/awards/<race>.json|txt   the race's award list (the text: one line
 *                                 per award, to read out)
 *   /api/teams/<race>.json        the tables of the race's team rules
 *   /api/series.json              the series (id, name, events)
 *   /api/series/<id>.json|csv     a series' standings
 *
 * Computed on the loop when asked (a race's entries and a sort: a few ms
 * for a marathon), from cores that have caught up: http.c makes the request
 * wait for that.  The series' documents are the registry's (event.c keeps
 * them, read every EV_LIST_MS; a series put on this node at once).
 */
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"
#include "score.h"
#include "slid.h"

static void json_err(sl_buf *b, const char *fmt, const char *arg)
{
	sl_buf_reset(b);
	sl_buf_adds(b, "{\"error\":\"");
	sl_buf_addf(b, fmt, arg); /* arg is an id: no quote or backslash */
	sl_buf_adds(b, "\"}\n");
}

static void to_json(const sl_buf *mp, sl_buf *b)
{
	if (slp_msgpack_to_json(mp->data, mp->len, b) < 0) {
		sl_buf_reset(b);
		sl_buf_adds(b, "{\"error\":\"cannot encode\"}");
	}
	sl_buf_addc(b, '\n');
}

/* "<prefix><race>.<ext>" -> race (in buf) and ext; false when it is not that. */
static bool split_race(const char *uri, const char *prefix, char *buf, size_t cap,
		       const char **ext)
{
	size_t pl = strlen(prefix);
	const char *dot;

	if (strncmp(uri, prefix, pl) != 0 || !(dot = strrchr(uri + pl, '.')))
		return false;
	size_t n = (size_t)(dot - (uri + pl));
	if (n == 0 || n >= cap)
		return false;
	memcpy(buf, uri + pl, n);
	buf[n] = '\0';
	*ext = dot + 1;
	return true;
}

bool scores_path(const char *uri)
{
	if (strncmp(uri, "/api/teams/", 11) == 0)
		return true;
	return strncmp(uri, "/api/awards/", 12) == 0 && !strstr(uri, ".pdf"); /* the PDF: an export */
}

/* A packer's map as the JSON body: 200, or 404 for an unknown race. */
static unsigned packed(const struct event *e, const char *race,
		       int (*pack)(const struct event *, const char *, msgpack_packer *), sl_buf *b)
{
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	unsigned status = 200;

	slp_packer_init(&pk, &mp);
	if (pack(e, race, &pk) < 0) {
		json_err(b, "no such race '%s'", race);
		status = 404;
	} else {
		to_json(&mp, b);
	}
	sl_buf_release(&mp);
	return status;
}

/* The award list of e's race as a map (award_pack); SL_ENOENT: no such race. */
int scores_pack_awards(const struct event *e, const char *race, msgpack_packer *pk)
{
	struct core_entries x;
	struct award_list l;

	if (core_race_entries(e->core, race, &x) < 0)
		return SL_ENOENT;
	award_list(&x, &l);
	award_pack(pk, &x, &l);
	award_list_release(&l);
	core_entries_release(&x);
	return 0;
}

/* {race, tables: [one team table per rule of the race, in config order]}. */
int scores_pack_teams(const struct event *e, const char *race, msgpack_packer *pk)
{
	struct core_entries x;

	if (core_race_entries(e->core, race, &x) < 0)
		return SL_ENOENT;
	msgpack_pack_map(pk, 2);
	slp_pack_kv_str(pk, "race", race);
	slp_pack_key(pk, "tables");
	msgpack_pack_array(pk, x.race->nteams);
	for (size_t i = 0; i < x.race->nteams; i++) {
		struct team_table t;
		if (team_table(&x, x.race->teams[i].id, &t) < 0) {
			msgpack_pack_nil(pk);
			continue;
		}
		team_pack(pk, &t);
		team_table_release(&t);
	}
	core_entries_release(&x);
	return 0;
}

static unsigned awards(const struct event *e, const char *race, bool txt, sl_buf *b,
		       const char **ctype)
{
	struct core_entries x;
	struct award_list l;

	if (!txt)
		return packed(e, race, scores_pack_awards, b);
	if (core_race_entries(e->core, race, &x) < 0) {
		json_err(b, "no such race '%s'", race);
		return 404;
	}
	award_list(&x, &l);
	award_text(&x, &l, b);
	*ctype = "text/plain; charset=utf-8";
	award_list_release(&l);
	core_entries_release(&x);
	return 200;
}

unsigned scores_route(const struct event *e, const char *uri, sl_buf *b, const char **ctype)
{
	char race[80];
	const char *ext;

	*ctype = "application/json";
	if (split_race(uri, "/api/awards/", race, sizeof(race), &ext) && sl_id_ok(race, strlen(race)) &&
	    (strcmp(ext, "json") == 0 || strcmp(ext, "txt") == 0))
		return awards(e, race, ext[0] == 't', b, ctype);
	if (split_race(uri, "/api/teams/", race, sizeof(race), &ext) && sl_id_ok(race, strlen(race)) &&
	    strcmp(ext, "json") == 0)
		return packed(e, race, scores_pack_teams, b);
	json_err(b, "%s",
		 strncmp(uri, "/api/teams/", 11) == 0
			 ? "not found: expected /api/teams/<race>.json"
			 : "not found: expected /api/awards/<race>.pdf, .json or .txt");
	return 404;
}

/* ---- series ----------------------------------------------------------------- */

void scores_series_list(net *n, sl_buf *b)
{
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;

	slp_packer_init(&pk, &mp);
	msgpack_pack_map(&pk, 1);
	slp_pack_key(&pk, "series");
	size_t k = 0;
	struct series_cfg *cfgs = sl_calloc(n->series.n + 1, sizeof(*cfgs));
	for (size_t i = 0; i < n->series.n; i++) {
		msgpack_unpacked u;
		char err[200];
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, n->series.v[i].mp.data, n->series.v[i].mp.len, NULL) ==
			    MSGPACK_UNPACK_SUCCESS &&
		    series_cfg_parse(&u.data, &cfgs[k], err, sizeof(err)) == 0)
			k++;
		msgpack_unpacked_destroy(&u);
	}
	msgpack_pack_array(&pk, k);
	for (size_t i = 0; i < k; i++) {
		msgpack_pack_map(&pk, 3);
		slp_pack_kv_str(&pk, "id", cfgs[i].id);
		slp_pack_kv_str(&pk, "name", cfgs[i].name ? cfgs[i].name : cfgs[i].id);
		slp_pack_key(&pk, "events");
		msgpack_pack_array(&pk, cfgs[i].nevents);
		for (size_t j = 0; j < cfgs[i].nevents; j++)
			slp_pack_str(&pk, cfgs[i].events[j]);
		series_cfg_release(&cfgs[i]);
	}
	free(cfgs);
	to_json(&mp, b);
	sl_buf_release(&mp);
}

int scores_series_cfg(net *n, const char *id, struct series_cfg *cfg, char *err, size_t errlen)
{
	struct ev_listed *d = listing_find(&n->series, id, strlen(id));
	msgpack_unpacked u;
	int rc;

	if (!d)
		return SL_ENOENT;
	msgpack_unpacked_init(&u);
	rc = msgpack_unpack_next(&u, d->mp.data, d->mp.len, NULL) == MSGPACK_UNPACK_SUCCESS
		     ? series_cfg_parse(&u.data, cfg, err, errlen)
		     : SL_EINVAL;
	msgpack_unpacked_destroy(&u);
	return rc;
}

/* The standings of series id as a map (series_pack), from the events this
 * node holds and that have caught up; SL_ENOENT (no such series) or an
 * error of series_compute_cores (err: an event named). */
int scores_pack_series(net *n, const char *id, msgpack_packer *pk, sl_buf *csv, char *err,
		       size_t errlen)
{
	struct series_cfg cfg;
	struct series_table t;
	const core **cores;
	int rc;

	if (scores_series_cfg(n, id, &cfg, err, errlen) < 0)
		return SL_ENOENT;
	cores = sl_calloc(cfg.nevents + 1, sizeof(*cores));
	for (size_t i = 0; i < cfg.nevents; i++) {
		struct event *e = event_find(n, cfg.events[i], strlen(cfg.events[i]));
		cores[i] = e && evlog_caught_up(e->log) ? e->core : NULL;
	}
	rc = series_compute_cores(&cfg, cores, &t, err, errlen);
	if (rc == 0) {
		if (csv)
			score_series_csv(&t, csv);
		else
			series_pack(pk, &t);
		series_table_release(&t);
	}
	free(cores);
	series_cfg_release(&cfg);
	return rc == SL_ENOENT ? SL_EINVAL : rc;
}

unsigned scores_series(net *n, const char *id, bool csv, sl_buf *b, const char **ctype)
{
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	char err[256];
	int rc;

	*ctype = csv ? "text/csv; charset=utf-8" : "application/json";
	slp_packer_init(&pk, &mp);
	rc = scores_pack_series(n, id, &pk, csv ? b : NULL, err, sizeof(err));
	if (rc == SL_ENOENT) {
		*ctype = "application/json";
		json_err(b, "no such series '%s'", id);
	} else if (rc < 0) {
		*ctype = "application/json";
		json_err(b, "%s", err); /* names an event: an id */
	} else if (!csv) {
		to_json(&mp, b);
	}
	sl_buf_release(&mp);
	return rc == SL_ENOENT ? 404 : rc < 0 ? 500 : 200;
}


/*
 * summary.c: an event in one small map, for the deployment's event
 * directory (GET /api/events.json): who, when, where and how far along.
 *
 *   state  upcoming    no read folded yet;
 *          live        reads, and someone still on course (started, not
 *                      finished or out), or nobody finished yet;
 *          provisional nobody on course any more, results not all official;
 *          official    every race's results official (or corrected).
 */
#include <string.h>

#include "core_int.h"

static const char *const kinds[] = {"mass", "trial", "lanes"};

static const char *state_of(const core *c)
{
	const struct cfg *g = &c->cfg;
	size_t on_course = 0, official = 0;

	for (size_t r = 0; r < g->nraces; r++)
		official += strcmp(core_race_results_state(c, g->races[r].id), "provisional") != 0;
	if (g->nraces > 0 && official == g->nraces)
		return "official";
	if (c->nreads == 0)
		return "upcoming";
	for (size_t i = 0; i < c->nparts; i++)
		on_course += c->parts[i].status == ST_STARTED || c->parts[i].status == ST_ON_COURSE;
	return on_course > 0 || c->nfinished == 0 ? "live" : "provisional";
}

int core_summary(const core *c, msgpack_packer *pk)
{
	const struct cfg *g = &c->cfg;
	char date[16];

	if (!c->has_cfg)
		return SL_ENOENT;
	snprintf(date, sizeof(date), "%04d-%02d-%02d", g->date_y, g->date_m, g->date_d);
	const char *const kv[][2] = {
		{"id", g->event},	  {"name", g->name ? g->name : g->event},
		{"date", date},		  {"timezone", g->timezone},
		{"level", g->level},	  {"organizer", g->organizer},
		{"venue", g->venue},	  {"state", state_of(c)},
	};
	msgpack_pack_map(pk, sizeof(kv) / sizeof(kv[0]) + 1);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		slp_pack_kv_str_or_nil(pk, kv[i][0], kv[i][1]); /* null: not in the config */
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, g->nraces);
	for (size_t i = 0; i < g->nraces; i++) {
		const struct cfg_race *r = &g->races[i];
		const char *const rkv[][2] = {
			{"id", r->id}, {"name", r->name ? r->name : r->id}, {"kind", kinds[r->kind]}};
		msgpack_pack_map(pk, 3);
		for (size_t k = 0; k < 3; k++)
			slp_pack_kv_str(pk, rkv[k][0], rkv[k][1]);
	}
	return 0;
}

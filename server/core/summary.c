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
	msgpack_pack_map(pk, 9);
	slp_pack_kv_str(pk, "id", g->event);
	slp_pack_kv_str(pk, "name", g->name ? g->name : g->event);
	slp_pack_kv_str(pk, "date", date);
	slp_pack_kv_str_or_nil(pk, "timezone", g->timezone);
	slp_pack_kv_str_or_nil(pk, "level", g->level);
	slp_pack_kv_str_or_nil(pk, "organizer", g->organizer);
	slp_pack_kv_str_or_nil(pk, "venue", g->venue);
	slp_pack_kv_str(pk, "state", state_of(c));
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, g->nraces);
	for (size_t i = 0; i < g->nraces; i++) {
		const struct cfg_race *r = &g->races[i];
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "id", r->id);
		slp_pack_kv_str(pk, "name", r->name ? r->name : r->id);
		slp_pack_kv_str(pk, "kind", kinds[r->kind]);
	}
	return 0;
}

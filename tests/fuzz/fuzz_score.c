/*
 * fuzz_score.c: libFuzzer driver for what server/score computes and reads:
 * a race's `awards` and `teams` config (through the core's config check),
 * the award lists and team tables on whatever results the input makes, and
 * series documents (seriescfg.c) with their standings (series.c).
 *
 * An input is lines: JSON (or raw msgpack) records folded into a core that
 * already holds a small event (race r with categories, awards, four team
 * rules, runners with clubs, schools, regs and birth dates, some
 * finished), as fuzz_core folds them; a line whose map has a `series` key
 * is a series document instead (the last one parsed counts).  Besides
 * memory errors and undefined behaviour it traps when a promise is broken:
 *   - a refused config or series document says why in err;
 *   - an award section lists places in order, each within its N;
 *   - a ranked team has exactly n scorers and its score is their sum;
 *     ranked teams come first, by place;
 *   - a series row's total is the sum of its counted cells, at most
 *     `best` of them, and places in a group never go down;
 *   - what the packers write is one well-formed object that converts to
 *     JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"
#include "slp.h"

/* What a packer wrote is one well-formed object that converts to JSON. */
#define CHECK_PACKED(b)                                                                            \
	do {                                                                                       \
		sl_buf js_ = SL_BUF_INIT;                                                          \
		char e_[160];                                                                      \
		CHECK(slp_check_bounds((b).data, (b).len, e_, sizeof(e_)) == 0);                   \
		CHECK(slp_msgpack_to_json((b).data, (b).len, &js_) == 0);                          \
		sl_buf_release(&js_);                                                              \
		sl_buf_release(&(b));                                                              \
	} while (0)

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

static const char *const prelude[] = {
	"{\"k\":\"config\",\"config\":{\"event\":\"ev\",\"date\":\"2023-11-14\",\"races\":[{"
	"\"id\":\"r\",\"waves\":[{\"id\":\"1\",\"start\":1700000000000}],\"points\":[{\"id\":"
	"\"finish\",\"role\":\"finish\",\"distance_m\":5000,\"min_s\":0}],\"categories\":[{\"id\":"
	"\"F\",\"sex\":\"F\"},{\"id\":\"M40\",\"sex\":\"M\",\"age_min\":40}],\"awards\":{"
	"\"overall\":2,\"category\":1,\"exclude_overall\":true},\"teams\":[{\"id\":\"xc\",\"n\":2,"
	"\"min\":2,\"max\":3,\"displacers\":true},{\"id\":\"t\",\"field\":\"fields.school\","
	"\"score\":\"times\",\"n\":1},{\"id\":\"f\",\"n\":2,\"category\":\"F\"},{\"id\":\"p\","
	"\"n\":3,\"min\":4}]}]}}",
	"{\"k\":\"participants\",\"rows\":[{\"bib\":\"1\",\"name\":\"Ann\",\"sex\":\"F\",\"age\":"
	"45,\"club\":\"A\",\"reg\":\"R1\",\"birth\":\"1978-01-01\"},{\"bib\":\"2\",\"name\":"
	"\"ann\","
	"\"sex\":\"F\",\"club\":\"B\",\"reg\":\"R2\",\"birth\":\"1978-01-01\",\"fields\":{"
	"\"school\":\"X\"}},{\"bib\":\"3\",\"name\":\"Al\",\"sex\":\"M\",\"age\":44,\"club\":\"A\","
	"\"reg\":\"R3\"},{\"bib\":\"4\",\"name\":\"Bo\",\"sex\":\"M\",\"age\":50,\"club\":\"B\","
	"\"fields\":{\"school\":\"X\"}},{\"bib\":\"5\",\"name\":\"Cy\",\"club\":\"A\",\"reg\":"
	"\"R1\"}]}",
	"{\"k\":\"passings\",\"dev\":\"mat\",\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"finish\","
	"\"t\":1700001000000},{\"bib\":\"2\",\"pt\":\"finish\",\"t\":1700001000000},{\"bib\":\"3\","
	"\"pt\":\"finish\",\"t\":1700001010000},{\"bib\":\"4\",\"pt\":\"finish\",\"t\":"
	"1700001020000}]}",
};

static bool have_series;
static struct series_cfg series;

/* A series document, or a record folded as fuzz_core folds one. */
static void line(core *c, const char *s, size_t n)
{
	sl_buf mp = SL_BUF_INIT;
	char err[256] = "";
	if (slp_json_to_msgpack(s, n, &mp) < 0)
		sl_buf_add(&mp, s, n);
	if (slp_check_bounds(mp.data, mp.len, err, sizeof(err)) == 0) {
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		size_t off = 0;
		if (msgpack_unpack_next(&u, mp.data, mp.len, &off) == MSGPACK_UNPACK_SUCCESS &&
		    u.data.type == MSGPACK_OBJECT_MAP && slp_get(&u.data, "series")) {
			struct series_cfg s2;
			if (series_cfg_parse(&u.data, &s2, err, sizeof(err)) == 0) {
				if (have_series)
					series_cfg_release(&series);
				series = s2;
				have_series = true;
			} else {
				CHECK(err[0] != '\0');
			}
			msgpack_unpacked_destroy(&u);
			sl_buf_release(&mp);
			return;
		}
		msgpack_unpacked_destroy(&u);
	}
	if (core_check(c, mp.data, mp.len, err, sizeof(err)) == 0)
		CHECK(core_apply(c, mp.data, mp.len, err, sizeof(err)) == 0);
	else
		CHECK(err[0] != '\0');
	sl_buf_release(&mp);
}

static void awards(const struct core_entries *x)
{
	struct award_list l;
	sl_buf text = SL_BUF_INIT;
	award_list(x, &l);
	for (size_t i = 0; i < l.n; i++) {
		const struct award_row *r = &l.rows[i];
		size_t max = (size_t)(r->kind == AWARD_CAT ? x->race->awards.category
							   : x->race->awards.overall);
		CHECK(r->place >= 1 && r->place <= max);
		if (i && l.rows[i - 1].kind == r->kind &&
		    !strcmp(l.rows[i - 1].section, r->section))
			CHECK(l.rows[i - 1].place <= r->place);
	}
	award_text(x, &l, &text);
	sl_buf_release(&text);
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &mp);
	award_pack(&pk, x, &l);
	CHECK_PACKED(mp);
	award_list_release(&l);
}

static void teams(const struct core_entries *x)
{
	for (size_t k = 0; k < x->race->nteams; k++) {
		struct team_table t;
		CHECK(team_table(x, x->race->teams[k].id, &t) == 0);
		for (size_t i = 0; i < t.n; i++) {
			const struct team_row *r = &t.rows[i];
			int64_t sum = 0;
			size_t scorers = 0;
			for (size_t m = 0; m < r->nmembers; m++)
				if (r->members[m].scoring) {
					scorers++;
					sum += t.rule->score == TEAM_TIMES
						       ? r->members[m].time_ms
						       : (int64_t)r->members[m].team_place;
				}
			if (r->place) {
				CHECK(scorers == (size_t)t.rule->n && sum == r->score);
				CHECK(i == 0 ||
				      (t.rows[i - 1].place && t.rows[i - 1].place <= r->place));
			}
		}
		sl_buf mp = SL_BUF_INIT;
		msgpack_packer pk;
		slp_packer_init(&pk, &mp);
		team_pack(&pk, &t);
		CHECK_PACKED(mp);
		team_table_release(&t);
	}
}

static void standings(const core *c)
{
	const core *cores[SERIES_MAX_EVENTS];
	struct series_table t;
	char err[256] = "";
	for (size_t i = 0; i < series.nevents; i++)
		cores[i] = strcmp(series.events[i], "ev") == 0 ? c : NULL;
	if (series_compute_cores(&series, cores, &t, err, sizeof(err)) < 0) {
		CHECK(err[0] != '\0');
		series_table_release(&t);
		return;
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct series_row *r = &t.rows[i];
		int64_t sum = 0;
		size_t counted = 0;
		for (size_t e = 0; e < series.nevents; e++)
			if (r->cells[e].counted) {
				counted++;
				sum += r->cells[e].points;
			}
		CHECK(sum == r->total && counted <= series.best);
		if (i && !strcmp(t.rows[i - 1].group, r->group))
			CHECK(t.rows[i - 1].place <= r->place);
	}
	sl_buf text = SL_BUF_INIT, mp = SL_BUF_INIT;
	msgpack_packer pk;
	series_dups_text(&t, &text);
	sl_buf_release(&text);
	slp_packer_init(&pk, &mp);
	series_pack(&pk, &t);
	CHECK_PACKED(mp);
	series_table_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	core *c = core_new();
	for (size_t i = 0; i < sizeof(prelude) / sizeof(prelude[0]); i++)
		line(c, prelude[i], strlen(prelude[i]));
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line(c, p, n);
		p += n + 1;
	}
	struct core_entries x;
	for (int r = 0; r < 2; r++) /* the first race, and race r by name */
		if (core_race_entries(c, r ? "r" : NULL, &x) == 0) {
			awards(&x);
			teams(&x);
			core_entries_release(&x);
		}
	if (have_series) {
		standings(c);
		series_cfg_release(&series);
		have_series = false;
	}
	core_free(c);
	return 0;
}

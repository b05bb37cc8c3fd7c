/*
 * test_clients.c: unit tests of the client library (clients/common): the
 * event config reader, the participants CSV importer, the Boston replay
 * generator and the URL parser.  No server, no network: everything runs
 * on strings, plus the demo YAML and the real Boston file when present
 * (SL_SOURCE_DIR, SL_DATA_DIR).
 */
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "boston.h"
#include "csvimport.h"
#include "evcfg.h"
#include "evtime.h"
#include "slp.h"
#include "t.h"
#include "wsc.h"

/* ---- helpers ---- */

static bool has(const sl_buf *b, const char *needle)
{
	bool ok = b->data && strstr(b->data, needle);
	if (!ok)
		fprintf(stderr, "  missing \"%s\" in:\n%s\n", needle, b->data ? b->data : "(empty)");
	return ok;
}

static int count_lines(const sl_buf *b)
{
	int n = 0;
	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/* Unpack msgpack bytes; returns the root (zone owned by *u). */
static msgpack_object unpack(msgpack_unpacked *u, const char *p, size_t n)
{
	msgpack_unpacked_init(u);
	size_t off = 0;
	int rc = msgpack_unpack_next(u, p, n, &off);
	ASSERT(rc == MSGPACK_UNPACK_SUCCESS);
	ASSERT_EQ(off, n);
	return u->data;
}

static bool str_is(const msgpack_object *o, const char *s)
{
	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
	       memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static const char *good_yaml =
	"event: demo-1\n"
	"name: Demo\n"
	"date: 2015-04-20\n"
	"races:\n"
	"  - id: run\n"
	"    kind: mass\n"
	"    ranking: net\n"
	"    precision_ms: 1000\n"
	"    distance_m: 10000.5\n"
	"    progression: ~\n"
	"    name: \"123\"\n"
	"    waves:\n"
	"      - {id: 1, start: \"2015-04-20T10:00:00-04:00\", bibs: \"1-99\"}\n"
	"      - {id: 2, start: \"2015-04-20T10:30:00-04:00\", bibs: \"100-199\"}\n"
	"    points:\n"
	"      - {id: start, distance_m: 0, role: start, window_s: 600}\n"
	"      - {id: 5k, distance_m: 5000, role: split}\n"
	"      - {id: finish, distance_m: 10000, role: finish}\n"
	"    categories:\n"
	"      - {id: M18-39, sex: M, age_min: 18, age_max: 39}\n";

/* ---- event config ---- */

static void yaml_good_config_types(void)
{
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	int rc = evcfg_load_mem("ok.yaml", good_yaml, strlen(good_yaml), &c, &errs);
	ASSERT_EQ(rc, 0);
	if (!c) {
		fprintf(stderr, "%s", errs.data);
		sl_buf_release(&errs);
		return;
	}
	ASSERT_STREQ(c->event, "demo-1");
	ASSERT_EQ(c->nraces, 1);
	ASSERT_EQ(c->races[0].nwaves, 2);
	ASSERT_STREQ(c->races[0].waves[0].id, "1");
	ASSERT_EQ(c->races[0].waves[0].start_ms, 1429538400000LL);
	ASSERT_EQ(c->races[0].waves[1].bib_lo, 100);
	ASSERT_EQ(c->races[0].npoints, 3);
	ASSERT_EQ(c->races[0].points[0].role, EVCFG_START);
	ASSERT_EQ(c->races[0].points[2].role, EVCFG_FINISH);

	msgpack_unpacked u;
	msgpack_object root = unpack(&u, c->mp, c->mp_len);
	ASSERT(root.type == MSGPACK_OBJECT_MAP);
	const msgpack_object_array *races;
	ASSERT_EQ(slp_get_arr(&root, "races", &races), 0);
	const msgpack_object *race = &races->ptr[0];
	int64_t v;
	ASSERT_EQ(slp_get_int(race, "precision_ms", &v), 0);
	ASSERT_EQ(v, 1000);
	double d;
	ASSERT_EQ(slp_get_num(race, "distance_m", &d), 0);
	ASSERT(d == 10000.5);
	ASSERT(slp_get(race, "progression") && slp_get(race, "progression")->type == MSGPACK_OBJECT_NIL);
	ASSERT(str_is(slp_get(race, "name"), "123"));
	const msgpack_object_array *waves;
	ASSERT_EQ(slp_get_arr(race, "waves", &waves), 0);
	/* a plain `id: 1` is sent as the string "1" */
	ASSERT(str_is(slp_get(&waves->ptr[0], "id"), "1"));
	ASSERT(str_is(slp_get(&root, "date"), "2015-04-20"));
	msgpack_unpacked_destroy(&u);

	const evcfg_race *r = evcfg_find_race(c, "run");
	ASSERT(r != NULL);
	ASSERT_STREQ(evcfg_wave_of(r, "150")->id, "2");
	ASSERT_STREQ(evcfg_wave_of(r, "5")->id, "1");
	ASSERT_STREQ(evcfg_wave_of(r, "F1")->id, "1");   /* no range: the first */
	ASSERT_STREQ(evcfg_wave_of(r, "5000")->id, "1"); /* outside: the first */
	evcfg_free(c);
	sl_buf_release(&errs);
}

static void yaml_errors_name_line_and_path(void)
{
	const char *y = "event: demo\n"                            /* 1 */
			"races:\n"                                 /* 2 */
			"  - id: run\n"                            /* 3 */
			"    precision_ms: -5\n"                   /* 4 */
			"    ranking: fastest\n"                   /* 5 */
			"    waves:\n"                             /* 6 */
			"      - {id: a, start: \"10:00\"}\n"      /* 7 */
			"    points:\n"                            /* 8 */
			"      - {id: start, role: start}\n"       /* 9 */
			"      - {id: 5k, role: middle}\n"         /* 10 */
			"      - {id: finish, role: finish}\n";    /* 11 */
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	ASSERT_EQ(evcfg_load_mem("race.yaml", y, strlen(y), &c, &errs), SL_EPARSE);
	ASSERT(c == NULL);
	ASSERT(has(&errs, "race.yaml:4: races[0].precision_ms: -5 is out of range"));
	ASSERT(has(&errs, "race.yaml:5: races[0].ranking: expected net or gun"));
	ASSERT(has(&errs, "race.yaml:7: races[0].waves[0].start: '10:00' is not a time"));
	ASSERT(has(&errs,
		   "race.yaml:10: races[0].points[1].role: expected start, split or finish"));
	ASSERT_EQ(count_lines(&errs), 4);
	sl_buf_release(&errs);
}

static void yaml_structure_errors(void)
{
	struct {
		const char *y, *want;
	} cases[] = {
		{"event: Bad_Id\nraces: [{id: r, precision_ms: 1, points: [{id: f, role: finish}]}]\n",
		 "x.yaml:1: event: 'Bad_Id' is not an event id"},
		/* the one id grammar (protocol/slid.h): ':' is in none of them */
		{"event: e\nraces: [{id: 'r:1', precision_ms: 1, points: [{id: f, role: finish}]}]\n",
		 "x.yaml:2: races[0].id: 'r:1' is not an id (1 to 64 letters, digits, '-', '_', '.' "
		 "or '+')"},
		{"event: e\nraces: [{id: r, precision_ms: 1, points: [{id: 'f/x', role: finish}]}]\n",
		 "x.yaml:2: races[0].points[0].id: 'f/x' is not an id"},
		{"event: e\n", "x.yaml:1: races: missing"},
		{"event: e\nraces: []\n", "x.yaml:2: races: expected at least one entry"},
		{"event: e\nraces:\n  - id: r\n    precision_ms: 1\n    points:\n"
		 "      - {id: a, role: split}\n",
		 "x.yaml:5: races[0].points: expected exactly one point with role finish"},
		{"event: e\nevent: f\nraces: []\n", "x.yaml:2: key 'event' appears twice"},
		{"event: e\nraces: [{id: r, precision_ms: true, points: [{id: f, role: finish}]}]\n",
		 "x.yaml:2: races[0].precision_ms: expected an integer, not 'true'"},
		{"event: [unclosed\n", "x.yaml:2: "},
		{"a: &x 1\nb: *x\n", "x.yaml:2: aliases are not supported"},
		{"", "x.yaml:1: empty file"},
		{"- 1\n- 2\n", "x.yaml:1: expected a map with 'event' and 'races'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_buf errs = SL_BUF_INIT;
		evcfg *c = NULL;
		int rc = evcfg_load_mem("x.yaml", cases[i].y, strlen(cases[i].y), &c, &errs);
		ASSERT(rc != 0);
		ASSERT(c == NULL);
		ASSERT(has(&errs, cases[i].want));
		sl_buf_release(&errs);
	}
}

static void yaml_deep_nesting_refused(void)
{
	sl_buf y = SL_BUF_INIT;
	for (int i = 0; i < 100; i++)
		sl_buf_addc(&y, '[');
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	ASSERT_EQ(evcfg_load_mem("deep.yaml", y.data, y.len, &c, &errs), SL_EPARSE);
	ASSERT(has(&errs, "nested deeper than"));
	sl_buf_release(&y);
	sl_buf_release(&errs);
}

static void yaml_demo_file(void)
{
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	int rc = evcfg_load_file(SL_SOURCE_DIR "/scripts/demo/boston-2015.yaml", &c, &errs);
	ASSERT_EQ(rc, 0);
	if (!c) {
		fprintf(stderr, "%s", errs.data ? errs.data : "");
		sl_buf_release(&errs);
		return;
	}
	ASSERT_STREQ(c->event, "boston-2015");
	ASSERT_STREQ(c->timezone, "America/New_York");
	const evcfg_race *r = evcfg_find_race(c, "marathon");
	ASSERT(r != NULL);
	if (r) {
		ASSERT_EQ(r->nwaves, 5);
		ASSERT_EQ(r->npoints, 11);
		ASSERT_EQ(r->ncats, 20);
		ASSERT_STREQ(evcfg_wave_of(r, "9000")->id, "2");
		ASSERT_STREQ(evcfg_wave_of(r, "31618")->id, "4");
		ASSERT_STREQ(evcfg_wave_of(r, "F7")->id, "elite-women");
		ASSERT_EQ(evcfg_wave_of(r, "1")->start_ms, 1429538400000LL);
		const evcfg_point *s = evcfg_point_by_role(r, EVCFG_START);
		ASSERT(s && s->window_s == 3600);
	}
	evcfg_free(c);
	sl_buf_release(&errs);
}

static void yaml_unknown_keys_everywhere(void)
{
	const char *y = "event: e\n"                                               /* 1 */
			"date: 2015-04-20\n"                                       /* 2 */
			"timezon: America/New_York\n"                              /* 3 */
			"races:\n"                                                 /* 4 */
			"  - id: r\n"                                              /* 5 */
			"    rankng: gun\n"                                        /* 6 */
			"    distanse_m: 5000\n"                                   /* 7 */
			"    colour: red\n"                                        /* 8 */
			"    waves:\n"                                             /* 9 */
			"      - {id: a, bib: \"1-9\"}\n"                          /* 10 */
			"    points:\n"                                            /* 11 */
			"      - {id: f, distance_m: 9, role: finish, windw_s: 1}\n" /* 12 */
			"      - {id: f2, station_of: f, role: finish}\n"          /* 13 */
			"    categories:\n"                                        /* 14 */
			"      - {id: c, agemin: 40}\n"                            /* 15 */
			"    handicap:\n"                                          /* 16 */
			"      unt: secs\n"                                        /* 17 */
			"      rows: [{clas: 1x, value: 1}]\n"                     /* 18 */
			"    awards: {overal: 3}\n"                                /* 19 */
			"    teams:\n"                                             /* 20 */
			"      - {id: t, feild: club}\n";                          /* 21 */
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	ASSERT_EQ(evcfg_load_mem("k.yaml", y, strlen(y), &c, &errs), SL_EPARSE);
	ASSERT(c == NULL);
	/* every one, each at its line, before anything is sent */
	ASSERT(has(&errs, "k.yaml:3: timezon: unknown key; did you mean 'timezone'?\n"));
	ASSERT(has(&errs, "k.yaml:6: races[0].rankng: unknown key; did you mean 'ranking'?\n"));
	ASSERT(has(&errs, "k.yaml:7: races[0].distanse_m: unknown key; did you mean 'distance_m'?\n"));
	ASSERT(has(&errs, "k.yaml:8: races[0].colour: unknown key\n"));
	ASSERT(has(&errs, "k.yaml:10: races[0].waves[0].bib: unknown key; did you mean 'bibs'?\n"));
	ASSERT(has(&errs,
		   "k.yaml:12: races[0].points[0].windw_s: unknown key; did you mean 'window_s'?\n"));
	ASSERT(has(&errs, "k.yaml:13: races[0].points[1].role: unknown key; a backup station "
			  "(station_of) has only id and station_of\n"));
	ASSERT(has(&errs,
		   "k.yaml:15: races[0].categories[0].agemin: unknown key; did you mean 'age_min'?\n"));
	ASSERT(has(&errs, "k.yaml:17: races[0].handicap.unt: unknown key; did you mean 'unit'?\n"));
	ASSERT(has(&errs,
		   "k.yaml:18: races[0].handicap.rows[0].clas: unknown key; did you mean 'class'?\n"));
	ASSERT(has(&errs, "k.yaml:19: races[0].awards.overal: unknown key; did you mean "
			  "'overall'?\n"));
	ASSERT(has(&errs, "k.yaml:21: races[0].teams[0].feild: unknown key; did you mean 'field'?\n"));
	ASSERT_EQ(count_lines(&errs), 12);
	sl_buf_release(&errs);

	/* a backup station with only its keys is fine, and is not a point */
	const char *ok = "event: e\nraces:\n  - id: r\n    points:\n"
			 "      - {id: f, distance_m: 9, role: finish}\n"
			 "      - {id: f2, station_of: f}\n";
	ASSERT_EQ(evcfg_load_mem("s.yaml", ok, strlen(ok), &c, &errs), 0);
	if (c) {
		ASSERT_EQ(c->races[0].npoints, 1);
		evcfg_free(c);
	}
	sl_buf_release(&errs);
}

/* The start of wave w of race 0 as packed for the server. */
static void packed_start(const evcfg *c, size_t w, char *out, size_t n)
{
	msgpack_unpacked u;
	msgpack_object root = unpack(&u, c->mp, c->mp_len);
	const msgpack_object_array *races, *waves;
	const msgpack_object *st;
	snprintf(out, n, "(none)");
	if (slp_get_arr(&root, "races", &races) == 0 &&
	    slp_get_arr(&races->ptr[0], "waves", &waves) == 0 && w < waves->size &&
	    (st = slp_get(&waves->ptr[w], "start")) && st->type == MSGPACK_OBJECT_STR)
		snprintf(out, n, "%.*s", (int)st->via.str.size, st->via.str.ptr);
	msgpack_unpacked_destroy(&u);
}

static void yaml_times_read_in_the_event_zone(void)
{
	const char *y = "event: e\n"
			"date: 2015-04-20\n"
			"timezone: America/New_York\n"
			"races:\n"
			"  - id: r\n"
			"    waves:\n"
			"      - {id: a, start: \"2015-04-20T10:00:00\"}\n"          /* EDT */
			"      - {id: b, start: \"2015-01-20T10:00:00.250\"}\n"      /* EST */
			"      - {id: c, start: \"2015-04-20T09:00:00+02:00\"}\n"    /* as written */
			"      - {id: d, start: \"2015-04-21\"}\n"                   /* midnight there */
			"    points:\n"
			"      - {id: f, distance_m: 9, role: finish}\n";
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	char st[64];
	ASSERT_EQ(evcfg_load_mem("tz.yaml", y, strlen(y), &c, &errs), 0);
	if (!c) {
		fprintf(stderr, "%s", errs.data ? errs.data : "");
		sl_buf_release(&errs);
		return;
	}
	ASSERT_STREQ(c->timezone, "America/New_York");
	ASSERT_EQ(c->races[0].waves[0].start_ms, 1429538400000LL); /* 14:00Z */
	packed_start(c, 0, st, sizeof(st));
	ASSERT_STREQ(st, "2015-04-20T10:00:00-04:00");
	packed_start(c, 1, st, sizeof(st));
	ASSERT_STREQ(st, "2015-01-20T10:00:00.250-05:00");
	ASSERT_EQ(c->races[0].waves[1].start_ms, 1421766000250LL);
	packed_start(c, 2, st, sizeof(st));
	ASSERT_STREQ(st, "2015-04-20T09:00:00+02:00");
	packed_start(c, 3, st, sizeof(st));
	ASSERT_STREQ(st, "2015-04-21T00:00:00-04:00");
	evcfg_free(c);
	sl_buf_release(&errs);

	/* without a timezone, no offset is an error that says what to add */
	const char *noz = "event: e\nraces:\n  - id: r\n    waves:\n"
			  "      - {id: a, start: \"2015-04-20T10:00:00\"}\n"
			  "    points:\n      - {id: f, distance_m: 9, role: finish}\n";
	ASSERT_EQ(evcfg_load_mem("n.yaml", noz, strlen(noz), &c, &errs), SL_EPARSE);
	ASSERT(has(&errs, "n.yaml:5: races[0].waves[0].start: '2015-04-20T10:00:00' has no UTC "
			  "offset: write it (2015-04-20T10:00:00-04:00), or give the event a timezone "
			  "(timezone: America/New_York) to read it in\n"));
	sl_buf_reset(&errs);

	/* no such zone; wall times the zone skips or has twice */
	const char *bad = "event: e\ntimezone: America/Nowhere\nraces:\n  - id: r\n    waves:\n"
			  "      - {id: a, start: \"2015-04-20T10:00:00\"}\n"
			  "    points:\n      - {id: f, distance_m: 9, role: finish}\n";
	ASSERT_EQ(evcfg_load_mem("b.yaml", bad, strlen(bad), &c, &errs), SL_EPARSE);
	ASSERT(has(&errs, "b.yaml:2: timezone: 'America/Nowhere' is not a time zone"));
	ASSERT_EQ(count_lines(&errs), 1); /* the starts are not blamed for it */
	sl_buf_reset(&errs);
	const char *dst = "event: e\ntimezone: America/New_York\nraces:\n  - id: r\n    waves:\n"
			  "      - {id: a, start: \"2024-03-10T02:30:00\"}\n"
			  "      - {id: b, start: \"2024-11-03T01:30:00\"}\n"
			  "    points:\n      - {id: f, distance_m: 9, role: finish}\n";
	ASSERT_EQ(evcfg_load_mem("d.yaml", dst, strlen(dst), &c, &errs), SL_EPARSE);
	ASSERT(has(&errs, "d.yaml:6: races[0].waves[0].start: 2024-03-10T02:30:00 does not exist in "
			  "America/New_York"));
	ASSERT(has(&errs, "d.yaml:7: races[0].waves[1].start: 2024-11-03T01:30:00 happens twice in "
			  "America/New_York (the clocks go back): give the offset, "
			  "2024-11-03T01:30:00-04:00 or 2024-11-03T01:30:00-05:00\n"));
	sl_buf_release(&errs);
}

static void yaml_overlaps_and_copies(void)
{
	const char *y = "event: e\n"                                              /* 1 */
			"races:\n"                                                /* 2 */
			"  - id: 10k\n"                                           /* 3 */
			"    waves:\n"                                            /* 4 */
			"      - {id: \"1\", bibs: \"1-999\"}\n"                  /* 5 */
			"      - {id: \"2\", bibs: \"900-1999\"}\n"               /* 6 */
			"    points: [{id: f, distance_m: 9, role: finish}]\n"    /* 7 */
			"    categories:\n"                                       /* 8 */
			"      - {id: M40-44, sex: M, age_min: 40, age_max: 44}\n" /* 9 */
			"      - {id: M40+, sex: M, age_min: 40}\n"                /* 10: overlaps: fine */
			"      - {id: Men40, sex: M, age_min: 40, age_max: 44}\n"  /* 11: a copy */
			"  - id: 5k\n"                                            /* 12 */
			"    waves:\n"                                            /* 13 */
			"      - {id: \"1\", bibs: \"2000-2999\"}\n"              /* 14: meets, fine */
			"      - {id: \"2\", bibs: \"1999-1999\"}\n"              /* 15 */
			"    points: [{id: f, distance_m: 9, role: finish}]\n";   /* 16 */
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	ASSERT_EQ(evcfg_load_mem("o.yaml", y, strlen(y), &c, &errs), SL_EPARSE);
	ASSERT(has(&errs, "o.yaml:6: races[0].waves[1].bibs: 900-1999 overlaps wave '1' (1-999): "
			  "bibs 900-999 would be in both\n"));
	ASSERT(has(&errs, "o.yaml:15: races[1].waves[1].bibs: 1999-1999 overlaps wave '2' of race "
			  "'10k' (900-1999): bib 1999 would be in both races (a bib is one athlete in "
			  "one race)\n"));
	ASSERT(has(&errs, "o.yaml:11: races[0].categories[2]: the same rule as category 'M40-44' "
			  "(categories[0]): one of the two is a copy\n"));
	ASSERT_EQ(count_lines(&errs), 3);
	sl_buf_release(&errs);
}

static void times_typed_by_officials(void)
{
	const char *ny = "America/New_York";
	int64_t ms;
	char err[256];
	sl_buf b = SL_BUF_INIT;
	/* a clock time on the event's date, in its zone */
	ASSERT_EQ(evtime_parse("9:55", ny, "2015-04-20", &ms, err, sizeof(err)), 0);
	ASSERT_EQ(ms, 1429538100000LL); /* 13:55Z */
	ASSERT_EQ(evtime_parse("09:55:00.5", ny, "2015-04-20", &ms, err, sizeof(err)), 0);
	ASSERT_EQ(ms, 1429538100500LL);
	ASSERT_EQ(evtime_parse("10:00", "America/Chicago", "2023-10-08", &ms, err, sizeof(err)), 0);
	ASSERT_EQ(ms, 1696777200000LL); /* 15:00Z: CDT is UTC-5 */
	ASSERT_EQ(evtime_parse("2015-04-20T10:00:00", ny, NULL, &ms, err, sizeof(err)), 0);
	ASSERT_EQ(ms, 1429538400000LL);
	/* with an offset: as written, zone or not */
	ASSERT_EQ(evtime_parse("2015-04-20T10:00:00-04:00", NULL, NULL, &ms, err, sizeof(err)), 0);
	ASSERT_EQ(ms, 1429538400000LL);
	ASSERT_EQ(evtime_parse("now", NULL, NULL, &ms, err, sizeof(err)), 0);
	/* what cannot be read says why */
	ASSERT_EQ(evtime_parse("9:55", NULL, "2015-04-20", &ms, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "'9:55' is a clock time and the event has no timezone"));
	ASSERT_EQ(evtime_parse("2015-04-20T10:00:00", NULL, NULL, &ms, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "has no UTC offset and the event has no timezone"));
	ASSERT_EQ(evtime_parse("25:00", ny, "2015-04-20", &ms, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "'25:00' is not a time"));
	ASSERT_EQ(evtime_parse("9:5", ny, "2015-04-20", &ms, err, sizeof(err)), SL_EINVAL);
	ASSERT_EQ(evtime_parse("02:30", ny, "2024-03-10", &ms, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "does not exist in America/New_York"));
	/* and back, in the zone */
	evtime_fmt(&b, 1429538400000LL, ny);
	ASSERT_STREQ(b.data, "2015-04-20T10:00:00-04:00");
	sl_buf_reset(&b);
	evtime_fmt(&b, 1421766000250LL, ny);
	ASSERT_STREQ(b.data, "2015-01-20T10:00:00.250-05:00");
	sl_buf_reset(&b);
	evtime_fmt(&b, 1429538400000LL, "Asia/Kolkata");
	ASSERT_STREQ(b.data, "2015-04-20T19:30:00+05:30");
	sl_buf_reset(&b);
	evtime_fmt(&b, 1429538400000LL, NULL);
	ASSERT_STREQ(b.data, "2015-04-20T14:00:00.000Z");
	sl_buf_reset(&b);
	evtime_fmt(&b, 1429538400000LL, "Mars/Olympus_Mons"); /* not here: UTC, said as such */
	ASSERT_STREQ(b.data, "2015-04-20T14:00:00.000Z");
	sl_buf_reset(&b);
	/* the server's sentences and audit values: each UTC instant in the zone */
	static const char said[] = "2015-04-20T13:00:00.000Z is before the start of bib '7''s wave "
				   "'1' (2015-04-20T14:00:05.250Z); 12015-04-20T14:00:00Z, "
				   "2015-04-20T14:00:00.000+01:00, 2015-04-20T14:00Z, 2015-04-20T14:00:00.000Z";
	evtime_relocalize(&b, said, sizeof(said) - 1, ny);
	ASSERT_STREQ(b.data, "2015-04-20T09:00:00-04:00 is before the start of bib '7''s wave '1' "
			     "(2015-04-20T10:00:05.250-04:00); 12015-04-20T14:00:00Z, "
			     "2015-04-20T14:00:00.000+01:00, 2015-04-20T14:00Z, 2015-04-20T10:00:00-04:00");
	sl_buf_reset(&b);
	evtime_relocalize(&b, said, 24, NULL); /* no zone: as it came */
	ASSERT_STREQ(b.data, "2015-04-20T13:00:00.000Z");
	sl_buf_release(&b);
	/* the zone is looked up, and TZ is left as it was */
	ASSERT_EQ(evtime_zone_check("Europe/Berlin", err, sizeof(err)), 0);
	ASSERT_EQ(evtime_zone_check("Europe", err, sizeof(err)), SL_EINVAL);
	ASSERT_EQ(evtime_zone_check("../../etc/passwd", err, sizeof(err)), SL_EINVAL);
	ASSERT(getenv("TZ") == NULL || strcmp(getenv("TZ"), ":America/New_York") != 0);
}

/* ---- participants CSV ---- */

static void csv_bad_rows_reported_with_lines(void)
{
	const char *csv = "Bib,Name,Sex,Age,Birth,Chip\n"          /* 1 */
			  "1,\"Doe, Jane\",F,30,1985-01-02,A1\n"   /* 2 */
			  "2,John,Q,130,1990-02-30,A1\n"           /* 3 */
			  "\n"                                     /* 4: blank */
			  ",\"Two\nlines\",M,20,,\n"               /* 5-6 */
			  "1,Again,M,x,,\n"                        /* 7 */
			  "7,Fine,m,44,,\n";                       /* 8 */
	csvimp ci;
	int rc = csvimp_parse_mem(&ci, "p.csv", csv, strlen(csv), NULL);
	ASSERT_EQ(rc, SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:3: field 'sex': 'Q' is not M, F or X\n"));
	ASSERT(has(&ci.errs, "p.csv:3: field 'age': '130' is not an age (0..120)\n"));
	ASSERT(has(&ci.errs, "p.csv:3: field 'birth': '1990-02-30' is not a date"));
	ASSERT(has(&ci.errs, "p.csv:3: field 'chip': 'A1' is also on line 2\n"));
	ASSERT(has(&ci.errs, "p.csv:5: field 'bib': missing\n"));
	ASSERT(has(&ci.errs, "p.csv:7: field 'bib': '1' is also on line 2\n"));
	ASSERT(has(&ci.errs, "p.csv:7: field 'age': 'x' is not an age"));
	ASSERT_EQ(ci.nerrors, 7);
	ASSERT_EQ(count_lines(&ci.errs), 7);
	/* the good rows are kept, with their lines */
	ASSERT_EQ(ci.nrows, 2);
	if (ci.nrows == 2) {
		ASSERT_EQ(ci.rows[0].line, 2);
		ASSERT_EQ(ci.rows[1].line, 8);
	}
	csvimp_release(&ci);
}

static void csv_error_cap(void)
{
	sl_buf csv = SL_BUF_INIT;
	sl_buf_adds(&csv, "bib,name,sex\n");
	for (int i = 0; i < 80; i++)
		sl_buf_addf(&csv, "%d,R%d,Q\n", i + 1, i + 1);
	csvimp ci;
	ASSERT_EQ(csvimp_parse_mem(&ci, "many.csv", csv.data, csv.len, NULL), SL_EPARSE);
	ASSERT_EQ(ci.nerrors, 80);
	ASSERT_EQ(count_lines(&ci.errs), 51); /* 50 and a closing "... and 30 more" */
	ASSERT(has(&ci.errs, "many.csv:51: field 'sex'"));
	ASSERT(has(&ci.errs, "... and 30 more errors"));
	csvimp_release(&ci);
	sl_buf_release(&csv);
}

static void csv_header_mapping(void)
{
	const char *csv = "Number,Runner,M/F,AGE,Team\n3,\"Mensah, Umar\",M,25,elite\n";
	char err[256];
	ASSERT_EQ(csvimp_check_map("bib=Number,name=Runner,sex=M/F,fields.team=Team", err,
				   sizeof(err)),
		  0);
	ASSERT_EQ(csvimp_check_map("sexx=M/F", err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "unknown field 'sexx'") != NULL);
	ASSERT_EQ(csvimp_check_map("bib", err, sizeof(err)), SL_EINVAL);

	csvimp ci;
	csvimp_opts o = {.map = "bib=Number,name=Runner,sex=M/F,fields.team=Team",
			 .race = "marathon",
			 .chip_from_bib = true};
	ASSERT_EQ(csvimp_parse_mem(&ci, "m.csv", csv, strlen(csv), &o), 0);
	ASSERT_EQ(ci.nrows, 1);
	if (ci.nrows == 1) {
		msgpack_unpacked u;
		msgpack_object row = unpack(&u, ci.mp.data + ci.rows[0].off, ci.rows[0].len);
		ASSERT(str_is(slp_get(&row, "bib"), "3"));
		ASSERT(str_is(slp_get(&row, "race"), "marathon"));
		ASSERT(str_is(slp_get(&row, "name"), "Umar Mensah")); /* "Last, First" */
		ASSERT(str_is(slp_get(&row, "sex"), "M"));
		int64_t age = 0;
		ASSERT_EQ(slp_get_int(&row, "age", &age), 0); /* AGE: case-insensitive */
		ASSERT_EQ(age, 25);
		const msgpack_object_array *chips;
		ASSERT_EQ(slp_get_arr(&row, "chips", &chips), 0);
		ASSERT(chips->size == 1 && str_is(&chips->ptr[0], "3"));
		const msgpack_object *fields;
		ASSERT_EQ(slp_get_map(&row, "fields", &fields), 0);
		ASSERT(str_is(slp_get(fields, "team"), "elite"));
		ASSERT(slp_get(&row, "wave") == NULL);
		msgpack_unpacked_destroy(&u);
	}
	csvimp_release(&ci);

	/* a mapped column that is not there */
	csvimp_opts o2 = {.map = "sex=Gender"};
	ASSERT_EQ(csvimp_parse_mem(&ci, "m.csv", csv, strlen(csv), &o2), SL_EPARSE);
	ASSERT(has(&ci.errs, "m.csv:1: no column 'Gender' (mapped to field 'sex')"));
	ASSERT_EQ(ci.nerrors, 1); /* Number and Runner are known spellings of bib and name */
	ASSERT_EQ(ci.nrows, 0);
	csvimp_release(&ci);
	/* no bib column at all */
	const char *nobib = "Runner,AGE\nUmar,25\n";
	ASSERT_EQ(csvimp_parse_mem(&ci, "m.csv", nobib, strlen(nobib), NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "m.csv:1: no bib column"));
	ASSERT_EQ(ci.nrows, 0);
	csvimp_release(&ci);
}

static void csv_normalization(void)
{
	static const struct {
		const char *in, *out;
	} sexes[] = {{"M", "M"},          {"m", "M"},     {"Male", "M"},       {"MEN", "M"},
		     {"F", "F"},          {"w", "F"},     {"Female", "F"},     {"Women", "F"},
		     {"X", "X"},          {"Non-binary", "X"}, {"Not specified", "X"},
		     {"other", "X"},      {"Q", NULL},    {"", NULL}};
	for (size_t i = 0; i < sizeof(sexes) / sizeof(sexes[0]); i++) {
		const char *got = csvimp_norm_sex(sexes[i].in);
		if (sexes[i].out)
			ASSERT_STREQ(got, sexes[i].out);
		else
			ASSERT(got == NULL);
	}
	const char *csv = "\xef\xbb\xbf"
			  "bib,first,last,sex,birth,chip,chip2,wave\r\n"
			  " 12 ,Ada,Lovelace,Women,1815-12-10,C1,C2,2\r\n"
			  "13,,Solo,,2000-02-29,,,\r\n";
	csvimp ci;
	ASSERT_EQ(csvimp_parse_mem(&ci, "n.csv", csv, strlen(csv), NULL), 0);
	ASSERT_EQ(ci.nrows, 2);
	if (ci.nrows == 2) {
		msgpack_unpacked u;
		msgpack_object row = unpack(&u, ci.mp.data + ci.rows[0].off, ci.rows[0].len);
		ASSERT(str_is(slp_get(&row, "bib"), "12"));
		ASSERT(str_is(slp_get(&row, "name"), "Ada Lovelace"));
		ASSERT(str_is(slp_get(&row, "sex"), "F"));
		ASSERT(str_is(slp_get(&row, "birth"), "1815-12-10"));
		ASSERT(str_is(slp_get(&row, "wave"), "2"));
		ASSERT(slp_get(&row, "race") == NULL);
		const msgpack_object_array *chips;
		ASSERT_EQ(slp_get_arr(&row, "chips", &chips), 0);
		ASSERT(chips->size == 2 && str_is(&chips->ptr[1], "C2"));
		msgpack_unpacked_destroy(&u);
		row = unpack(&u, ci.mp.data + ci.rows[1].off, ci.rows[1].len);
		ASSERT_EQ(ci.rows[1].line, 3);
		ASSERT(str_is(slp_get(&row, "name"), "Solo"));
		ASSERT(slp_get(&row, "sex") == NULL); /* empty: left out */
		ASSERT(slp_get(&row, "chips") == NULL);
		msgpack_unpacked_destroy(&u);
	}
	csvimp_release(&ci);

	/* more than two chips, bad UTF-8, an unterminated quote */
	const char *bad = "bib,chip,chip2,name\n1,A,B,x\n2,C,D,\xff\xfe\n";
	csvimp_opts o = {.chip_from_bib = true};
	ASSERT_EQ(csvimp_parse_mem(&ci, "b.csv", bad, strlen(bad), &o), SL_EPARSE);
	ASSERT(has(&ci.errs, "b.csv:2: field 'chip2': a participant has at most two chips"));
	ASSERT(has(&ci.errs, "b.csv:3: field 'name': not valid UTF-8"));
	csvimp_release(&ci);
	const char *unterminated = "bib,name\n1,\"open\n2,x\n";
	ASSERT_EQ(csvimp_parse_mem(&ci, "u.csv", unterminated, strlen(unterminated), NULL),
		  SL_EPARSE);
	ASSERT(has(&ci.errs, "u.csv:2: unterminated quoted field"));
	csvimp_release(&ci);
}

/* ---- Boston replay ---- */

static const char *replay_yaml =
	"event: t\n"
	"races:\n"
	"  - id: m\n"
	"    precision_ms: 1000\n"
	"    waves:\n"
	"      - {id: E, start: \"2015-04-20T09:30:00-04:00\"}\n"
	"      - {id: \"1\", start: \"2015-04-20T10:00:00-04:00\", bibs: \"1-99\"}\n"
	"      - {id: \"2\", start: \"2015-04-20T10:30:00-04:00\", bibs: \"100-199\"}\n"
	"    points:\n"
	"      - {id: start, role: start, window_s: 3600}\n"
	"      - {id: 5k, role: split}\n"
	"      - {id: half, role: split}\n"
	"      - {id: finish, role: finish}\n";

static const char *replay_csv =
	"Bib,Name,Age,M/F,State,Country,5K,10K,15K,20K,Half,25K,30K,35K,40K,Official Time,Overall,Gender,Division\n"
	"3,\"A, B\",25,M,,ETH,0:14:43,0:29:43,-,-,1:04:02,-,-,-,-,2:09:17,1,1,1\n"
	"F1,\"C, D\",30,F,,KEN,0:16:00,-,-,-,1:10:00,-,-,-,-,2:25:00,2,1,1\n"
	"150,\"E, F\",40,M,,USA,0:20:00,-,-,-,1:30:00,-,-,-,-,0.124548611,3,2,1\n"
	"50,\"G, H\",41,F,,USA,-,-,-,-,1:31:00,-,-,-,-,3:01:02,4,2,1\n"
	"120,\"I, J\",42,M,,USA,0:21:00,-,-,-,x:y,-,-,-,-,3:05:00,5,3,2\n";

static const boston_read *find_read(const boston *b, const char *bib, const char *pt)
{
	for (size_t i = 0; i < b->nreads; i++)
		if (strcmp(b->reads[i].bib, bib) == 0 && strcmp(b->reads[i].pt, pt) == 0)
			return &b->reads[i];
	return NULL;
}

static void boston_generation(void)
{
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	ASSERT_EQ(evcfg_load_mem("r.yaml", replay_yaml, strlen(replay_yaml), &c, &errs), 0);
	if (!c) {
		fprintf(stderr, "%s", errs.data);
		sl_buf_release(&errs);
		return;
	}
	for (uint64_t seed = 0; seed < 2; seed++) {
		boston b;
		char err[256];
		boston_opts o = {.seed = seed};
		ASSERT_EQ(boston_load_mem(&b, "bos.csv", replay_csv, strlen(replay_csv), c, &o, err,
					  sizeof(err)),
			  0);
		ASSERT_EQ(b.nrunners, 5);
		/* one line per bad cell, naming file, line and field */
		ASSERT_EQ(b.nbad, 2);
		ASSERT_EQ(count_lines(&b.errs), 2);
		ASSERT(has(&b.errs, "bos.csv:4: field 'Official Time': '0.124548611' is not "
				    "H:MM:SS\n"));
		ASSERT(has(&b.errs, "bos.csv:6: field 'Half': 'x:y' is not H:MM:SS\n"));
		/* reads: 3 and F1 start, 5k, half, finish; 150 loses its finish,
		 * 50 has no 5K, 120 loses its half */
		ASSERT_EQ(b.nreads, 4 + 4 + 3 + 3 + 3);
		for (size_t i = 1; i < b.nreads; i++)
			ASSERT(b.reads[i - 1].t <= b.reads[i].t);
		/* the start crossing lies in the wave's window; splits = start + elapsed */
		struct {
			const char *bib;
			int64_t wave;
		} w[] = {{"3", 1429538400000LL},
			 {"F1", 1429536600000LL},
			 {"150", 1429540200000LL},
			 {"50", 1429538400000LL},
			 {"120", 1429540200000LL}};
		for (size_t k = 0; k < 5; k++) {
			const boston_read *s = find_read(&b, w[k].bib, "start");
			ASSERT(s != NULL);
			if (!s)
				continue;
			ASSERT(s->t >= w[k].wave && s->t < w[k].wave + 3600 * 1000);
			ASSERT(s->t <= w[k].wave + 20 * 60 * 1000 + 999);
			if (!seed)
				ASSERT_EQ(s->t % 1000, 0);
		}
		const boston_read *s3 = find_read(&b, "3", "start");
		const boston_read *f3 = find_read(&b, "3", "finish");
		const boston_read *h3 = find_read(&b, "3", "half");
		ASSERT(s3 && f3 && h3);
		if (s3 && f3 && h3) {
			ASSERT_EQ(f3->t - s3->t, (2 * 3600 + 9 * 60 + 17) * 1000LL);
			ASSERT_EQ(h3->t - s3->t, (3600 + 4 * 60 + 2) * 1000LL);
			ASSERT_EQ(s3->line, 2);
		}
		/* corral delay grows with the bib's rank in its wave: 3 before 50 */
		const boston_read *s50 = find_read(&b, "50", "start");
		ASSERT(s3 && s50 && s3->t < s50->t);
		/* a column without its point (10K: no point 10k) gives no read */
		ASSERT(find_read(&b, "3", "10k") == NULL);
		ASSERT(find_read(&b, "150", "finish") == NULL);
		ASSERT(find_read(&b, "120", "half") == NULL);
		ASSERT(find_read(&b, "120", "finish") != NULL);
		boston_release(&b);
	}
	/* --limit */
	boston b;
	char err[256];
	boston_opts o = {.limit = 2};
	ASSERT_EQ(boston_load_mem(&b, "bos.csv", replay_csv, strlen(replay_csv), c, &o, err,
				  sizeof(err)),
		  0);
	ASSERT_EQ(b.nrunners, 2);
	ASSERT_EQ(b.nreads, 4 + 4);
	boston_release(&b);
	/* a file without the columns, a race without starts */
	const char *notboston = "a,b\n1,2\n";
	ASSERT_EQ(boston_load_mem(&b, "x.csv", notboston, strlen(notboston), c, NULL, err,
				  sizeof(err)),
		  SL_EPARSE);
	ASSERT(strstr(err, "not a Boston results file") != NULL);
	evcfg_free(c);
	const char *nostart = "event: t\nraces:\n  - id: m\n    precision_ms: 1\n"
			      "    waves: [{id: a}]\n    points: [{id: finish, role: finish}]\n";
	ASSERT_EQ(evcfg_load_mem("n.yaml", nostart, strlen(nostart), &c, &errs), 0);
	if (c) {
		ASSERT_EQ(boston_load_mem(&b, "bos.csv", replay_csv, strlen(replay_csv), c, NULL,
					  err, sizeof(err)),
			  SL_EINVAL);
		ASSERT(strstr(err, "wave 'a' of race 'm' has no start") != NULL);
		evcfg_free(c);
	}
	sl_buf_release(&errs);
}

static void boston_parse_hms_strict(void)
{
	int64_t ms = 0;
	ASSERT_EQ(boston_parse_hms("2:09:17", &ms), 0);
	ASSERT_EQ(ms, 7757000);
	ASSERT_EQ(boston_parse_hms("12:00:00", &ms), 0);
	ASSERT_EQ(boston_parse_hms("0.124548611", &ms), SL_EPARSE);
	ASSERT_EQ(boston_parse_hms("1:60:00", &ms), SL_EPARSE);
	ASSERT_EQ(boston_parse_hms("1:00", &ms), SL_EPARSE);
	ASSERT_EQ(boston_parse_hms("1:00:00x", &ms), SL_EPARSE);
	ASSERT_EQ(boston_parse_hms("", &ms), SL_EPARSE);
}

/* The real 2015 file with the demo config, when the data is there. */
static void boston_real_file(void)
{
	const char *path = SL_DATA_DIR "/boston-2015.csv";
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "  (skipped: no %s)\n", path);
		return;
	}
	fclose(f);
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	ASSERT_EQ(evcfg_load_file(SL_SOURCE_DIR "/scripts/demo/boston-2015.yaml", &c, &errs), 0);
	if (!c) {
		sl_buf_release(&errs);
		return;
	}
	boston b;
	char err[256];
	boston_opts o = {.seed = 1};
	ASSERT_EQ(boston_load_file(&b, path, c, &o, err, sizeof(err)), 0);
	ASSERT_EQ(b.nrunners, 26598);
	ASSERT_EQ(b.nbad, 1);
	ASSERT(has(&b.errs, "boston-2015.csv:"));
	ASSERT(has(&b.errs, ": field 'Official Time': '0.124548611' is not H:MM:SS\n"));
	/* 26,598 start reads + every split except 435 "-" and the bad cell */
	ASSERT_EQ(b.nreads, 26598 + 26598 * 10 - 435 - 1);
	boston_release(&b);
	evcfg_free(c);

	/* and the importer takes the whole file as the demo does */
	csvimp ci;
	csvimp_opts io = {.map = "sex=M/F", .chip_from_bib = true};
	ASSERT_EQ(csvimp_parse_file(&ci, path, &io), 0);
	ASSERT_EQ(ci.nrows, 26598);
	ASSERT_EQ(ci.nerrors, 0);
	csvimp_release(&ci);
	sl_buf_release(&errs);
}

/* ---- URLs ---- */

static void url_parsing(void)
{
	wsc_url u;
	ASSERT_EQ(wsc_url_parse("ws://127.0.0.1:8080/ws", &u), 0);
	ASSERT_STREQ(u.host, "127.0.0.1");
	ASSERT_EQ(u.port, 8080);
	ASSERT_STREQ(u.path, "/ws");
	ASSERT(!u.tls);
	ASSERT_EQ(wsc_url_parse("wss://example.org", &u), 0);
	ASSERT_EQ(u.port, 443);
	ASSERT_STREQ(u.path, "/");
	ASSERT(u.tls);
	ASSERT_EQ(wsc_url_parse("ws://[::1]:9000/ws", &u), 0);
	ASSERT_STREQ(u.host, "::1");
	ASSERT_EQ(u.port, 9000);
	ASSERT_EQ(wsc_url_parse("tcp://x:1", &u), SL_EINVAL);
	ASSERT_EQ(wsc_url_parse("ws://x:0/", &u), SL_EINVAL);
	ASSERT_EQ(wsc_url_parse("ws://x:99999/", &u), SL_EINVAL);
	ASSERT_EQ(wsc_url_parse("ws://:80/", &u), SL_EINVAL);
	ASSERT_EQ(wsc_err_from_code("not_found", 9), SL_ENOENT);
	ASSERT_EQ(wsc_err_from_code("unavailable", 11), SL_EUNAVAIL);
	ASSERT_EQ(wsc_err_from_code("whatever", 8), SL_EIO);
}

/* Connecting to a port where nothing listens fails fast with a sentence. */
static void connect_refused(void)
{
	wsc *c = NULL;
	char err[256] = "";
	int rc = wsc_connect(&c, "ws://127.0.0.1:1/ws", WSC_SUBPROTOCOL, 3000, err, sizeof(err));
	ASSERT(rc == SL_EIO || rc == SL_ETIMEOUT);
	ASSERT(c == NULL);
	ASSERT(strstr(err, "cannot connect to 'ws://127.0.0.1:1/ws'") != NULL);
	int status = 0;
	sl_buf body = SL_BUF_INIT;
	rc = httpc_get("127.0.0.1", 1, "/health", 3000, &status, &body, err, sizeof(err));
	ASSERT(rc != 0);
	ASSERT(strstr(err, "cannot connect to '127.0.0.1:1'") != NULL);
	sl_buf_release(&body);
}

#define TESTS(X)                                                               \
	X(yaml_good_config_types)                                              \
	X(yaml_errors_name_line_and_path)                                      \
	X(yaml_structure_errors)                                               \
	X(yaml_deep_nesting_refused)                                           \
	X(yaml_demo_file)                                                      \
	X(yaml_unknown_keys_everywhere)                                        \
	X(yaml_times_read_in_the_event_zone)                                   \
	X(yaml_overlaps_and_copies)                                            \
	X(times_typed_by_officials)                                            \
	X(csv_bad_rows_reported_with_lines)                                    \
	X(csv_error_cap)                                                       \
	X(csv_header_mapping)                                                  \
	X(csv_normalization)                                                   \
	X(boston_generation)                                                   \
	X(boston_parse_hms_strict)                                             \
	X(boston_real_file)                                                    \
	X(url_parsing)                                                         \
	X(connect_refused)

T_MAIN()

/*
 * test_regatta.c: regatta pieces of the core on small hand-made fixtures:
 * boat classes, progression rules and line-ups, handicaps, adjustments
 * (penalty, relegation, exhibition, dq, judges' place, station choice, hand
 * time), dead heats at 1 ms, lanes and trial starts, snapshot round trip.
 */
#include <msgpack.h>
#include <stdarg.h>
#include <string.h>

#include "boatclass.h"
#include "core.h"
#include "progression.h"
#include "slp.h"
#include "t.h"
#include "rec.h"



static uint64_t seq;
static void rd(core *c, const char *bib, const char *pt, long long t)
{
	ASSERT_EQ(recf(c, "{'k':'passings','dev':'d','seq':%llu,'reads':[{'bib':'%s','pt':'%s','t':%lld}]}",
		       (unsigned long long)++seq, bib, pt, t),
		  0);
}

#define T0 1700000000000LL

/* ---- boat classes ----------------------------------------------------------- */

static void boat_classes(void)
{
	struct boatclass b;
	ASSERT_EQ(boatclass_parse("Men's Novice 4+", &b), 0);
	ASSERT_STREQ(b.code, "4+");
	ASSERT_EQ(b.sex, 'M');
	ASSERT_EQ(b.seats, 4);
	ASSERT(b.coxed && !b.sculls);
	ASSERT_EQ(boatclass_parse("W1x", &b), 0);
	ASSERT_STREQ(b.code, "1x");
	ASSERT_EQ(b.sex, 'W');
	ASSERT_EQ(boatclass_parse("K-2 1000m", &b), 0);
	ASSERT_STREQ(b.code, "K-2");
	ASSERT_EQ(b.kind, BOAT_KAYAK);
	ASSERT_EQ(b.distance_m, 1000);
	ASSERT_EQ(boatclass_parse("C-1", &b), 0);
	ASSERT_STREQ(b.code, "C-1");
	ASSERT_EQ(b.kind, BOAT_CANOE);
	ASSERT_EQ(boatclass_parse("R201 E304 Mens Bantam C-1 1000m - Heat1", &b), 0);
	ASSERT_STREQ(b.code, "C-1");
	ASSERT_EQ(b.sex, 'M');
	ASSERT_EQ(boatclass_parse("70 Womens Novice 4x+ Final", &b), 0);
	ASSERT_STREQ(b.code, "4x+");
	ASSERT_EQ(b.sex, 'W');
	ASSERT_EQ(boatclass_parse("17 Womens Varsity 2- Semi 1", &b), 0);
	ASSERT_STREQ(b.code, "2-");
	ASSERT_EQ(boatclass_parse("1 Womens Novice 8+ Time Trial", &b), 0);
	ASSERT_STREQ(b.code, "8+");
	ASSERT_EQ(boatclass_parse("Mens ParaCanoe PV1 200m", &b), 0);
	ASSERT_STREQ(b.code, "PV1");
	ASSERT_EQ(boatclass_parse("Mixed K4 500m", &b), 0);
	ASSERT_STREQ(b.code, "K-4");
	ASSERT_EQ(b.sex, 'X');
	ASSERT_EQ(boatclass_parse("HS1 Hot Seat Buffer 1", &b), SL_ENOENT);
	ASSERT_EQ(boatclass_parse("", &b), SL_ENOENT);
	ASSERT_EQ(boatclass_parse("1 to 3", &b), SL_ENOENT);
}

/* ---- progression ------------------------------------------------------------ */

static void prog_rules(void)
{
	struct prog_rule r;
	char e[200];
	ASSERT_EQ(prog_parse("1-8 to Final A, 9-16 to Final B", &r, e, sizeof(e)), 0);
	ASSERT_EQ(r.n, 2);
	ASSERT_EQ(r.c[0].kind, PROG_RANGE);
	ASSERT_EQ(r.c[1].lo, 9);
	ASSERT_EQ(r.c[1].hi, 16);
	ASSERT_STREQ(r.c[1].target, "Final B");
	ASSERT_EQ(prog_parse("1-2 to Final, rest to Repechage", &r, e, sizeof(e)), 0);
	ASSERT_EQ(r.c[1].kind, PROG_REST);
	ASSERT_STREQ(r.c[1].target, "Repechage");
	ASSERT_EQ(prog_parse("Top 3 + 3 fastest to race 252", &r, e, sizeof(e)), 0);
	ASSERT_EQ(r.c[0].kind, PROG_TOPFAST);
	ASSERT_EQ(r.c[0].hi, 3);
	ASSERT_EQ(r.c[0].fastest, 3);
	ASSERT(r.c[0].to_race);
	ASSERT_STREQ(r.c[0].target, "252");
	ASSERT_EQ(prog_parse("Top 1+ 5 fastest to race 280", &r, e, sizeof(e)), 0);
	ASSERT_EQ(r.c[0].hi, 1);
	ASSERT_EQ(r.c[0].fastest, 5);
	ASSERT_EQ(prog_parse("Top 3 per Semi + Next 2 fastest from either Semi", &r, e, sizeof(e)), 0);
	ASSERT_EQ(r.c[0].fastest, 2);
	ASSERT_STREQ(r.c[0].target, "Final");
	ASSERT_EQ(prog_parse("Top 3 per Semi + Next 2 fastest from either Semi to Final A, 9-16 to "
			     "Final B",
			     &r, e, sizeof(e)),
		  0);
	ASSERT_EQ(r.n, 2);
	ASSERT_STREQ(r.c[0].target, "Final A");
	ASSERT_EQ(prog_parse("3 to Final", &r, e, sizeof(e)), 0);
	ASSERT_EQ(r.c[0].lo, 1);
	ASSERT_EQ(r.c[0].hi, 3);
	ASSERT_EQ(prog_parse("1-8 to Final A", &r, e, sizeof(e)), 0);
	ASSERT_EQ(prog_parse("Frank Sands Trophy", &r, e, sizeof(e)), SL_ENOENT);
	ASSERT_EQ(prog_parse("Final Only", &r, e, sizeof(e)), SL_ENOENT);
	ASSERT_EQ(prog_parse("From Heats", &r, e, sizeof(e)), SL_ENOENT);
	ASSERT_EQ(prog_parse("No Race", &r, e, sizeof(e)), SL_ENOENT);
	ASSERT_EQ(prog_parse("", &r, e, sizeof(e)), SL_ENOENT);
	ASSERT_EQ(prog_parse("1-8 to Final A, banana", &r, e, sizeof(e)), SL_EINVAL);
	ASSERT(strstr(e, "clause 2") != NULL);
}

static void lanes_centre(void)
{
	int l[9];
	prog_centre_lanes(8, l);
	int want8[] = {4, 5, 3, 6, 2, 7, 1, 8};
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(l[i], want8[i]);
	prog_centre_lanes(6, l);
	int want6[] = {3, 4, 2, 5, 1, 6};
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(l[i], want6[i]);
}

static void lineup_topfast(void)
{
	/* two heats, "Top 2 + 2 fastest to race 9" */
	struct prog_result res[] = {
		{"h1", "a", 1, 60000}, {"h1", "b", 2, 61000}, {"h1", "c", 3, 62500},
		{"h1", "d", 4, 64000}, {"h1", "e", 0, INT64_MIN}, /* DNS */
		{"h2", "f", 1, 59000}, {"h2", "g", 2, 62000}, {"h2", "h", 3, 62100},
		{"h2", "i", 4, 63000},
	};
	struct prog_rule r;
	struct prog_pick out[9];
	int lanes[8];
	prog_centre_lanes(8, lanes);
	ASSERT_EQ(prog_parse("Top 2 + 2 fastest to race 9", &r, NULL, 0), 0);
	size_t n = prog_lineup(&r, "9", res, 9, lanes, 6, out);
	ASSERT_EQ(n, 6);
	/* seeds: winners by time (f, a), seconds (b, g), fastest losers (h, c) */
	const char *want[] = {"f", "a", "b", "g", "h", "c"};
	int wlane[] = {4, 5, 3, 6, 2, 7};
	for (size_t i = 0; i < n && i < 6; i++) {
		ASSERT_STREQ(res[out[i].idx].crew, want[i]);
		ASSERT_EQ(out[i].lane, wlane[i]);
		ASSERT_EQ(out[i].seed, (int)i + 1);
	}
	/* more crews than lanes: lane 0 */
	n = prog_lineup(&r, "9", res, 9, lanes, 4, out);
	ASSERT_EQ(out[4].lane, 0);
	/* a target nobody goes to */
	ASSERT_EQ(prog_lineup(&r, "10", res, 9, lanes, 8, out), 0);
}

static void lineup_ranges(void)
{
	struct prog_result res[] = {{"tt", "a", 1, 1}, {"tt", "b", 2, 2}, {"tt", "c", 3, 3},
				    {"tt", "d", 4, 4}, {"tt", "e", 0, INT64_MIN}};
	struct prog_rule r;
	struct prog_pick out[5];
	int lanes[8];
	prog_centre_lanes(8, lanes);
	ASSERT_EQ(prog_parse("1-2 to Final, rest to Repechage", &r, NULL, 0), 0);
	ASSERT_EQ(prog_lineup(&r, "final", res, 5, lanes, 8, out), 2);
	ASSERT_STREQ(res[out[0].idx].crew, "a");
	ASSERT_EQ(prog_lineup(&r, "Repechage", res, 5, lanes, 8, out), 2);
	ASSERT_STREQ(res[out[0].idx].crew, "c");
	ASSERT_STREQ(res[out[1].idx].crew, "d");
}

/* ---- the core ---------------------------------------------------------------- */

static const char *LANES_CFG =
	"{'k':'config','config':{'event':'reg','date':'2023-11-14','races':["
	"{'id':'1','name':'1 Mens Masters 1x Final','kind':'lanes','precision_ms':1,"
	"'waves':[{'id':'1'}],%s"
	"'points':[{'id':'start','role':'start'},"
	"{'id':'finish','role':'finish','distance_m':1000,'min_s':0},"
	"{'id':'finish2','station_of':'finish'},{'id':'finish3','station_of':'finish'}]},"
	"{'id':'2','name':'2 W1x Time Trial','kind':'trial','precision_ms':1,'start_interval_s':30,"
	"'waves':[{'id':'1'}],"
	"'points':[{'id':'start','role':'start','rule':'first'},"
	"{'id':'finish','role':'finish','distance_m':1000,'min_s':0}]}]}}";

static const char *ROWS =
	"{'k':'participants','rows':["
	"{'bib':'1-1','race':'1','name':'A','lane':1,'members':[{'name':'a','age':40}]},"
	"{'bib':'1-2','race':'1','name':'B','lane':2,'members':[{'name':'b','age':60}]},"
	"{'bib':'1-3','race':'1','name':'C','lane':3,'age':30},"
	"{'bib':'1-4','race':'1','name':'D','lane':4},"
	"{'bib':'2-1','race':'2','name':'E','lane':1},"
	"{'bib':'2-2','race':'2','name':'F','lane':2}]}";

static core *lanes_core(const char *extra)
{
	core *c = core_new();
	ASSERT_EQ(recf(c, LANES_CFG, extra), 0);
	ASSERT_EQ(recf(c, "%s", ROWS), 0);
	return c;
}

static struct core_result res_of(core *c, const char *bib)
{
	struct core_result r;
	ASSERT_EQ(core_result(c, bib, &r), 0);
	return r;
}

static void lanes_start_and_dead_heat(void)
{
	core *c = lanes_core("");
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'1','wave':'1','t0':%lld}", T0), 0);
	rd(c, "1-1", "start", T0 + 900); /* a crew's own start read: ignored in lanes */
	rd(c, "1-1", "finish", T0 + 400000);
	rd(c, "1-2", "finish", T0 + 400001);
	rd(c, "1-3", "finish", T0 + 400001);
	rd(c, "1-4", "finish", T0 + 400002);
	struct core_result a = res_of(c, "1-1"), b = res_of(c, "1-2"), d = res_of(c, "1-4");
	ASSERT_EQ(a.raw_ms, 400000);
	ASSERT_EQ(a.place, 1);
	ASSERT_EQ(b.place, 2);
	ASSERT_EQ(res_of(c, "1-3").place, 2); /* dead heat at 1 ms */
	ASSERT_EQ(d.place, 4);
	ASSERT_EQ(a.lane, 1);
	core_free(c);
}

static void stations(void)
{
	core *c = lanes_core("");
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'1','wave':'1','t0':%lld}", T0), 0);
	rd(c, "1-1", "finish2", T0 + 401000); /* backup only: counts */
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 401000);
	rd(c, "1-1", "finish3", T0 + 400500);
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 401000); /* first backup in order */
	rd(c, "1-1", "finish", T0 + 400700);
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 400700); /* the primary is official */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'station','pt':'finish',"
			  "'station':'finish3','reason':'camera','official':'ref'}"),
		  0);
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 400500);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'hand_time','pt':'finish','at':%lld,"
			  "'reason':'photo','official':'ref'}",
		       T0 + 400600),
		  0);
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 400600);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'hand_time','pt':'finish','at':null,"
			  "'reason':'undo','official':'ref'}"),
		  0);
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 400500);
	/* bad station, bad point, unknown bib, missing official */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'station','pt':'finish',"
			  "'station':'start','reason':'x','official':'ref'}"),
		  SL_ENOENT);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'hand_time','pt':'nope','at':%lld,"
			  "'reason':'x','official':'ref'}",
		       (long long)T0),
		  SL_ENOENT);
	/* a hand time outside the years 2000..2100 is refused */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'hand_time','pt':'finish','at':1,"
			  "'reason':'x','official':'ref'}"),
		  SL_ERANGE);
	ASSERT(strstr(err, "at: 1 is not a time in the years 2000 to 2100") != NULL);
	/* records written before "at" carry the hand time as "t" */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'hand_time','pt':'finish','t':%lld,"
			  "'reason':'photo','official':'ref'}",
		       T0 + 400650),
		  0);
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 400650);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'hand_time','pt':'finish','at':null,"
			  "'reason':'undo','official':'ref'}"),
		  0);
	/* a hand time must be given, or null to clear */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'hand_time','pt':'finish',"
			  "'reason':'x','official':'ref'}"),
		  SL_EINVAL);
	ASSERT(strstr(err, "at: required") != NULL);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'9-9','type':'dq','reason':'x','official':'ref'}"),
		  SL_ENOENT);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'dq','reason':'x'}"), SL_EINVAL);
	ASSERT(strstr(err, "official") != NULL);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'boo','reason':'x','official':'r'}"),
		  SL_EINVAL);
	core_free(c);
}

static void penalties_and_flags(void)
{
	core *c = lanes_core("");
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'1','wave':'1','t0':%lld}", T0), 0);
	rd(c, "1-1", "finish", T0 + 400000);
	rd(c, "1-2", "finish", T0 + 405000);
	rd(c, "1-3", "finish", T0 + 410000);
	rd(c, "1-4", "finish", T0 + 415000);
	/* 10 s penalty: A 410.000 ties C */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-1','type':'penalty','ms':10000,"
			  "'reason':'Finished Off Course','official':'ref'}"),
		  0);
	struct core_result a = res_of(c, "1-1");
	ASSERT_EQ(a.raw_ms, 400000);
	ASSERT_EQ(a.adj_ms, 410000);
	ASSERT_EQ(a.penalty_ms, 10000);
	ASSERT_EQ(a.place, 2);
	ASSERT_EQ(res_of(c, "1-2").place, 1);
	ASSERT_EQ(res_of(c, "1-3").place, 2);
	ASSERT_EQ(res_of(c, "1-4").place, 4);
	/* relegation: B goes last of the finishers; others move up */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-2','type':'relegation','reason':'lane',"
			  "'official':'ref'}"),
		  0);
	ASSERT_EQ(res_of(c, "1-2").place, 4);
	ASSERT(res_of(c, "1-2").relegated);
	ASSERT_EQ(res_of(c, "1-2").adj_ms, 405000);
	ASSERT_EQ(res_of(c, "1-1").place, 1);
	ASSERT_EQ(res_of(c, "1-4").place, 3);
	/* exhibition: timed, no place */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-3','type':'exhibition','reason':'Exhib',"
			  "'official':'ref'}"),
		  0);
	ASSERT_EQ(res_of(c, "1-3").place, 0);
	ASSERT_EQ(res_of(c, "1-3").adj_ms, 410000);
	ASSERT_EQ(res_of(c, "1-4").place, 2);
	/* dq: no time, no place; clearing it restores */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-4','type':'dq','reason':'x','official':'ref'}"),
		  0);
	ASSERT_STREQ(res_of(c, "1-4").status, "dsq");
	ASSERT_EQ(res_of(c, "1-4").place, 0);
	ASSERT_EQ(res_of(c, "1-4").raw_ms, INT64_MIN);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-4','type':'dq','on':false,'reason':'appeal',"
			  "'official':'ref'}"),
		  0);
	ASSERT_STREQ(res_of(c, "1-4").status, "finished");
	/* judges' place, shown as such */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-4','type':'place','place':1,'reason':'photo',"
			  "'official':'ref'}"),
		  0);
	ASSERT_EQ(res_of(c, "1-4").place, 1);
	ASSERT(res_of(c, "1-4").place_manual);
	/* the others are renumbered around it: 1..n, no double, no hole (issue 12) */
	ASSERT_EQ(res_of(c, "1-1").place, 2);
	ASSERT_EQ(res_of(c, "1-2").place, 3); /* relegated: still last */
	/* judged 2nd in a dead heat: shared with the crew there, nobody moves up */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-4','type':'place','place':2,'dead_heat':true,"
			  "'reason':'photo: dead heat','official':'ref'}"),
		  0);
	ASSERT_EQ(res_of(c, "1-1").place, 1);
	ASSERT_EQ(res_of(c, "1-4").place, 2);
	ASSERT_EQ(res_of(c, "1-2").place, 2);
	/* cleared: ranked places again */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-4','type':'place','place':0,'reason':'appeal',"
			  "'official':'ref'}"),
		  0);
	ASSERT(!res_of(c, "1-4").place_manual);
	ASSERT_EQ(res_of(c, "1-1").place, 1);
	ASSERT_EQ(res_of(c, "1-4").place, 2);
	ASSERT_EQ(res_of(c, "1-2").place, 3);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-4','type':'place','place':1,'reason':'photo',"
			  "'official':'ref'}"),
		  0);
	/* snapshot round trip keeps every adjustment */
	core *d = reload(c);
	const char *bibs[] = {"1-1", "1-2", "1-3", "1-4"};
	for (int i = 0; i < 4; i++) {
		struct core_result x = res_of(c, bibs[i]), y = res_of(d, bibs[i]);
		ASSERT_EQ(x.place, y.place);
		ASSERT_EQ(x.adj_ms, y.adj_ms);
		ASSERT_STREQ(x.status, y.status);
		ASSERT_EQ(x.place_manual, y.place_manual);
	}
	core_free(d);
	/* dns / dnf / scratch */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-3','type':'scratch','reason':'x','official':'r'}"),
		  0);
	ASSERT_STREQ(res_of(c, "1-3").status, "scratch");
	core_free(c);
}

static void handicaps(void)
{
	/* seconds off by age band for 1x; C has the entry age, D no age */
	core *c = lanes_core("'handicap':{'unit':'secs','rows':["
			     "{'class':'1x','age_min':27,'age_max':49,'value':5},"
			     "{'class':'1x','age_min':50,'value':20},"
			     "{'class':'2x','value':99}]},");
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'1','wave':'1','t0':%lld}", T0), 0);
	rd(c, "1-1", "finish", T0 + 400000); /* 40: -5 s  -> 395 */
	rd(c, "1-2", "finish", T0 + 410000); /* 60: -20 s -> 390 */
	rd(c, "1-3", "finish", T0 + 399000); /* 30: -5 s  -> 394 */
	rd(c, "1-4", "finish", T0 + 396000); /* none      -> 396 */
	ASSERT_EQ(res_of(c, "1-1").adj_ms, 395000);
	ASSERT_EQ(res_of(c, "1-1").raw_ms, 400000);
	ASSERT_EQ(res_of(c, "1-2").adj_ms, 390000);
	ASSERT_EQ(res_of(c, "1-3").adj_ms, 394000);
	ASSERT_EQ(res_of(c, "1-4").adj_ms, 396000);
	ASSERT_EQ(res_of(c, "1-2").place, 1);
	ASSERT_EQ(res_of(c, "1-3").place, 2);
	ASSERT_EQ(res_of(c, "1-1").place, 3);
	ASSERT_EQ(res_of(c, "1-4").place, 4);
	core_free(c);
	/* factors */
	c = lanes_core("'handicap':{'unit':'factor','rows':[{'age_min':50,'value':0.9}]},");
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'1','wave':'1','t0':%lld}", T0), 0);
	rd(c, "1-2", "finish", T0 + 410005);
	ASSERT_EQ(res_of(c, "1-2").adj_ms, 369005); /* 369004.5: halves round away from 0 */
	core_free(c);
}

static void trial_starts(void)
{
	core *c = lanes_core("");
	rd(c, "2-1", "start", T0 + 1000);
	rd(c, "2-1", "finish", T0 + 301000);
	ASSERT_EQ(res_of(c, "2-1").raw_ms, 300000);
	/* no start read: T0 + (lane-1) * interval */
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'2','wave':'1','t0':%lld}", T0), 0);
	rd(c, "2-2", "finish", T0 + 330000);
	ASSERT_EQ(res_of(c, "2-2").start, T0 + 30000);
	ASSERT_EQ(res_of(c, "2-2").raw_ms, 300000);
	ASSERT_EQ(res_of(c, "2-2").place, 1);
	ASSERT_EQ(res_of(c, "2-1").place, 1);
	core_free(c);
}

/*
 * A head race with waypoint stations: a reading that fits the start's
 * window but not the crew's neighbouring crossings is set aside, and the
 * point is chosen again from its other readings (here the backup
 * station's); a split after the crew's finish does not count; the finish
 * itself is never taken away by a station; an official's choice of
 * station stands.  Course: start, 500m (min 60 s), 1000m (min 120 s, a
 * backup 1000m2), finish 1500m.
 */
/* The athlete topic's snapshot of bib, as JSON (static buffer). */
static const char *athlete_json(const core *c, const char *bib)
{
	static char out[4096];
	char topic[80];
	slp_msg m;
	snprintf(topic, sizeof(topic), "athlete/%s", bib);
	out[0] = '\0';
	if (snap(c, topic, 0, 0, &m)) {
		sl_buf b = SL_BUF_INIT;
		slp_object_to_json(&m.root, &b);
		snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
		sl_buf_release(&b);
		slp_msg_release(&m);
	}
	return out;
}

static void stations_fit_their_neighbours(void)
{
	core *c = core_new();
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'reg','date':'2023-11-14','races':["
			  "{'id':'3','name':'3 M4+ Head','kind':'trial','precision_ms':1,"
			  "'waves':[{'id':'1'}],"
			  "'points':[{'id':'start','role':'start','rule':'first'},"
			  "{'id':'500m','role':'split','distance_m':500,'min_s':60,'window_s':400},"
			  "{'id':'1000m','role':'split','distance_m':1000,'min_s':120,'window_s':600},"
			  "{'id':'1000m2','station_of':'1000m'},"
			  "{'id':'finish','role':'finish','distance_m':1500,'min_s':0}]}]}}"),
		  0);
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'3-1','race':'3','name':'A'},"
			  "{'bib':'3-2','race':'3','name':'B'},{'bib':'3-3','race':'3','name':'C'}]}"),
		  0);
	const long long S = 1000;
	/* 3-1: 500m at 140 s; the 1000m station's 150 s is another crew's (it fits the
	 * start's window, from 120 s, not 500m + 60 s); its backup read 250 s */
	rd(c, "3-1", "start", T0);
	rd(c, "3-1", "500m", T0 + 140 * S);
	rd(c, "3-1", "1000m", T0 + 150 * S);
	ASSERT_EQ(rowi(c, "3-1", "splits.1000m"), NIL_V);
	rd(c, "3-1", "1000m2", T0 + 250 * S);
	rd(c, "3-1", "finish", T0 + 330 * S);
	ASSERT_EQ(rowi(c, "3-1", "splits.500m"), 140 * S);
	ASSERT_EQ(rowi(c, "3-1", "splits.1000m"), 250 * S);
	ASSERT_EQ(res_of(c, "3-1").raw_ms, 330 * S);
	/* 3-2: a 500m reading after its finish does not count; the 1000m then follows
	 * the start (from 120 s) */
	rd(c, "3-2", "start", T0 + 30 * S);
	rd(c, "3-2", "500m", T0 + 430 * S);
	rd(c, "3-2", "1000m", T0 + 280 * S);
	rd(c, "3-2", "finish", T0 + 360 * S);
	ASSERT_EQ(rowi(c, "3-2", "splits.500m"), NIL_V);
	ASSERT_EQ(rowi(c, "3-2", "splits.1000m"), 250 * S);
	ASSERT_EQ(res_of(c, "3-2").raw_ms, 330 * S);
	/* 3-3: the station is late, the finish stands */
	rd(c, "3-3", "start", T0 + 60 * S);
	rd(c, "3-3", "1000m", T0 + 420 * S);
	rd(c, "3-3", "finish", T0 + 400 * S);
	ASSERT_EQ(res_of(c, "3-3").raw_ms, 340 * S);
	ASSERT_EQ(rowi(c, "3-3", "splits.1000m"), NIL_V);
	ASSERT_EQ(res_of(c, "3-3").place, 3);
	/* an official's choice of station is a decision: it stands */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'3-1','type':'station','pt':'1000m','station':'1000m',"
			  "'reason':'the camera says so','official':'ref'}"),
		  0);
	ASSERT_EQ(rowi(c, "3-1", "splits.1000m"), 150 * S);
	ASSERT(strstr(athlete_json(c, "3-1"), "\"type\":\"station\"") != NULL);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'3-1','type':'station','pt':'1000m',"
			  "'reason':'withdrawn','official':'ref'}"),
		  0);
	ASSERT_EQ(rowi(c, "3-1", "splits.1000m"), 250 * S);
	/* withdrawn: no longer among the decisions in force */
	ASSERT(strstr(athlete_json(c, "3-1"), "\"reasons\":[]") != NULL);
	core_free(c);
}

static void config_errors(void)
{
	core *c = core_new();
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'e','date':'2023-01-01','races':[{'id':'1',"
			  "'points':[{'id':'finish','role':'finish','distance_m':1},"
			  "{'id':'f2','station_of':'nope'}]}]}}"),
		  SL_EINVAL);
	ASSERT(strstr(err, "no point 'nope'") != NULL);
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'e','date':'2023-01-01','races':[{'id':'1',"
			  "'progression':'1-8 to Final A, banana',"
			  "'points':[{'id':'finish','role':'finish','distance_m':1}]}]}}"),
		  SL_EINVAL);
	ASSERT(strstr(err, "progression") != NULL);
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'e','date':'2023-01-01','races':[{'id':'1',"
			  "'points':[{'id':'finish','role':'finish','distance_m':1,"
			  "'stations':['finish']}]}]}}"),
		  SL_EINVAL);
	ASSERT(strstr(err, "duplicate station") != NULL);
	core_free(c);
}

/* "Top 3 + 2 fastest to Final A, 9-16 to Final B": the range is overall. */
static void lineup_overall_range(void)
{
	struct prog_result res[12];
	static const char *const crews[] = {"a", "b", "c", "d", "e", "f",
					    "g", "h", "i", "j", "k", "l"};
	for (int i = 0; i < 12; i++) /* two semis of 6: places 1..6, slower down the list */
		res[i] = (struct prog_result){i < 6 ? "s1" : "s2", crews[i], i % 6 + 1,
					      100000 + 1000 * (i % 6) + (i >= 6 ? 500 : 0)};
	struct prog_rule r;
	struct prog_pick out[12];
	int lanes[8];
	prog_centre_lanes(8, lanes);
	ASSERT_EQ(prog_parse("Top 3 per Semi + Next 2 fastest from either Semi to Final A, "
			     "9-16 to Final B",
			     &r, NULL, 0),
		  0);
	ASSERT_EQ(prog_lineup(&r, "Final A", res, 12, lanes, 8, out), 8);
	ASSERT_EQ(prog_lineup(&r, "Final B", res, 12, lanes, 8, out), 4);
	ASSERT_STREQ(res[out[0].idx].crew, "e"); /* places 5 before places 6 */
	ASSERT_STREQ(res[out[1].idx].crew, "k");
}

/* Heats feeding finals: targets, race_official, the topic, an override, snapshots. */
static const char *PROG_CFG =
	"{'k':'config','config':{'event':'reg','date':'2023-11-14','races':["
	"{'id':'16A','name':'16A Mens Novice 4+ Heat 1','kind':'lanes','precision_ms':1,"
	"'progression':'2 to Final','waves':[{'id':'1'}],"
	"'points':[{'id':'start','role':'start'},{'id':'finish','role':'finish','distance_m':1000,'min_s':0}]},"
	"{'id':'16B','name':'16B Mens Novice 4+ Heat 2','kind':'lanes','precision_ms':1,"
	"'waves':[{'id':'1'}],"
	"'points':[{'id':'start','role':'start'},{'id':'finish','role':'finish','distance_m':1000,'min_s':0}]},"
	"{'id':'16','name':'16 Mens Novice 4+','kind':'lanes','precision_ms':1,"
	"'waves':[{'id':'1'}],"
	"'points':[{'id':'start','role':'start'},{'id':'finish','role':'finish','distance_m':1000,'min_s':0}]},"
	"{'id':'R201','name':'R201 K-1 - Heat1','kind':'lanes','precision_ms':1,"
	"'progression':'Top 1 + 1 fastest to race 252','waves':[{'id':'1'}],"
	"'points':[{'id':'start','role':'start'},{'id':'finish','role':'finish','distance_m':1000,'min_s':0}]},"
	"{'id':'R252','name':'R252 K-1 - Final','kind':'lanes','precision_ms':1,"
	"'waves':[{'id':'1'}],"
	"'points':[{'id':'start','role':'start'},{'id':'finish','role':'finish','distance_m':1000,'min_s':0}]}]}}";

static void progression_applied(void)
{
	core *c = core_new();
	ASSERT_EQ(recf(c, "%s", PROG_CFG), 0);
	ASSERT_EQ(recf(c, "{'k':'participants','rows':["
			  "{'bib':'16A-1','race':'16A','name':'A1','lane':1},"
			  "{'bib':'16A-2','race':'16A','name':'A2','lane':2},"
			  "{'bib':'16A-3','race':'16A','name':'A3','lane':3},"
			  "{'bib':'16B-1','race':'16B','name':'B1','lane':1},"
			  "{'bib':'16B-2','race':'16B','name':'B2','lane':2},"
			  "{'bib':'16B-3','race':'16B','name':'B3','lane':3},"
			  "{'bib':'R201-1','race':'R201','name':'K1','lane':1},"
			  "{'bib':'R201-2','race':'R201','name':'K2','lane':2},"
			  "{'bib':'R201-3','race':'R201','name':'K3','lane':3}]}"),
		  0);
	const char *heats[] = {"16A", "16B", "R201"};
	for (int h = 0; h < 3; h++)
		ASSERT_EQ(recf(c, "{'k':'wave_start','race':'%s','wave':'1','t0':%lld}", heats[h], T0),
			  0);
	rd(c, "16A-1", "finish", T0 + 400300);
	rd(c, "16A-2", "finish", T0 + 400100);
	rd(c, "16A-3", "finish", T0 + 400200);
	rd(c, "16B-1", "finish", T0 + 400050);
	rd(c, "16B-2", "finish", T0 + 400500);
	rd(c, "R201-1", "finish", T0 + 300000);
	rd(c, "R201-2", "finish", T0 + 310000);
	rd(c, "R201-3", "finish", T0 + 320000);

	/* "Final": the sibling without a round; 16B takes 16A's rule */
	struct core_lineup l;
	ASSERT_EQ(core_lineup(c, "16", &l), 0);
	ASSERT_EQ(l.nfeeders, 2);
	ASSERT_EQ(l.n, 4);
	ASSERT(!l.complete && !l.override);
	ASSERT_STREQ(l.rows[0].bib, "16B-1"); /* winners by time first */
	ASSERT_EQ(l.rows[0].lane, 4);         /* centre lanes for the fastest */
	ASSERT_STREQ(l.rows[1].bib, "16A-2");
	ASSERT_EQ(l.rows[1].lane, 5);
	ASSERT_STREQ(l.rows[2].bib, "16A-3");
	ASSERT_STREQ(l.rows[3].bib, "16B-2");
	core_lineup_release(&l);
	/* "race 252" is R252: top 1 + 1 fastest */
	ASSERT_EQ(core_lineup(c, "R252", &l), 0);
	ASSERT_EQ(l.n, 2);
	ASSERT_STREQ(l.rows[1].bib, "R201-2");
	core_lineup_release(&l);
	ASSERT_EQ(core_lineup(c, "16A", &l), 0);
	ASSERT_EQ(l.nfeeders, 0);
	core_lineup_release(&l);

	/* the topic: snapshot, then a delta when a heat becomes official */
	sl_buf b = SL_BUF_INIT, js = SL_BUF_INIT;
	msgpack_packer pk;
	bool empty;
	ASSERT_EQ(core_topic_check(c, "progression/16", 14), 0);
	ASSERT_EQ(core_topic_check(c, "progression/nope", 16), SL_ENOENT);
	core_changes_clear(c);
	slp_packer_init(&pk, &b);
	ASSERT_EQ(core_topic_delta(c, "progression/16", 14, &pk, &empty), 0);
	ASSERT(empty);
	ASSERT_EQ(recf(c, "{'k':'race_official','race':'16A','official':'chief'}"), 0);
	ASSERT_EQ(core_topic_delta(c, "progression/16", 14, &pk, &empty), 0);
	ASSERT(!empty);
	core_changes_clear(c);
	ASSERT_EQ(recf(c, "{'k':'race_official','race':'16B','official':'chief'}"), 0);
	sl_buf_reset(&b);
	ASSERT_EQ(core_topic_snapshot(c, "progression/16", 14, 0, 0, &pk), 0);
	ASSERT_EQ(slp_msgpack_to_json(b.data, b.len, &js), 0);
	ASSERT(strstr(js.data, "\"complete\":true") != NULL);
	ASSERT(strstr(js.data, "\"feeders\":[\"16A\",\"16B\"]") != NULL);
	ASSERT(strstr(js.data, "{\"seed\":1,\"lane\":4,\"bib\":\"16B-1\",\"name\":\"B1\"") !=
	       NULL);
	/* a result change in a feeding heat is pushed too */
	core_changes_clear(c);
	rd(c, "16A-1", "finish", T0 + 400000);
	sl_buf_reset(&b);
	ASSERT_EQ(core_topic_delta(c, "progression/16", 14, &pk, &empty), 0);
	ASSERT(!empty);

	/* an official's line-up replaces the generated one; null clears it */
	ASSERT_EQ(recf(c, "{'k':'lineup','race':'16','official':'chief','reason':'appeal',"
			  "'lanes':[{'bib':'16A-1','lane':3},{'bib':'16B-3','lane':6}]}"),
		  0);
	ASSERT_EQ(recf(c, "{'k':'lineup','race':'16','official':'chief','reason':'x',"
			  "'lanes':[{'bib':'nobody','lane':3}]}"),
		  SL_ENOENT);
	ASSERT_EQ(recf(c, "{'k':'race_official','race':'nope','official':'chief'}"), SL_ENOENT);
	ASSERT_EQ(recf(c, "{'k':'race_official','race':'16'}"), SL_EINVAL);
	ASSERT_EQ(core_lineup(c, "16", &l), 0);
	ASSERT(l.override);
	ASSERT_EQ(l.n, 2);
	ASSERT_STREQ(l.rows[1].bib, "16B-3");
	ASSERT_EQ(l.rows[1].lane, 6);
	core_lineup_release(&l);

	/* snapshot round trip keeps officials and overrides */
	core *d = reload(c);
	ASSERT_EQ(core_lineup(d, "16", &l), 0);
	ASSERT(l.override && l.complete);
	ASSERT_EQ(l.n, 2);
	core_lineup_release(&l);
	ASSERT_EQ(recf(d, "{'k':'lineup','race':'16','official':'chief','reason':'undo',"
			  "'lanes':null}"),
		  0);
	ASSERT_EQ(core_lineup(d, "16", &l), 0);
	ASSERT(!l.override);
	ASSERT_EQ(l.n, 4);
	core_lineup_release(&l);
	core_free(d);
	sl_buf_release(&b);
	sl_buf_release(&js);
	core_free(c);
}

/* Rows and exports of regatta races carry the regatta fields. */
static void regatta_rows(void)
{
	core *c = lanes_core("");
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'1','wave':'1','t0':%lld}", T0), 0);
	rd(c, "1-1", "finish", T0 + 400000);
	rd(c, "1-2", "finish", T0 + 401000);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1-2','type':'penalty','ms':10000,"
			  "'reason':'Off course','official':'judge'}"),
		  0);
	sl_buf b = SL_BUF_INIT;
	ASSERT_EQ(core_export_json(c, "1", &b), 0);
	ASSERT(strstr(b.data, "\"lane\":2,\"raw\":401000,\"adj\":411000,\"penalty\":10000,"
			      "\"margin\":11000,\"exhibition\":false,\"relegated\":false,"
			      "\"place_manual\":false,\"reasons\":[{\"type\":\"penalty\","
			      "\"reason\":\"Off course\",\"official\":\"judge\"}]") != NULL);
	sl_buf_reset(&b);
	ASSERT_EQ(core_export_csv(c, "1", &b), 0);
	ASSERT(strstr(b.data, "2,2,1-2,B,,1,finished,") != NULL);
	ASSERT(strstr(b.data, ",0:06:41.000,0:00:10.000,0:06:51.000,0:00:11.000,,,,penalty: Off "
			      "course,") != NULL);
	sl_buf_reset(&b);
	ASSERT_EQ(core_export_event_csv(c, &b), 0);
	ASSERT(!strncmp(b.data, "place,lane,bib,crew", 19));
	sl_buf_reset(&b);
	ASSERT_EQ(core_export_event_json(c, &b), 0);
	ASSERT(strstr(b.data, "\"races\":[{\"race\":\"1\",\"name\":") != NULL);
	sl_buf_release(&b);
	core_free(c);
}

#define TESTS(X)                                                                                   \
	X(boat_classes)                                                                            \
	X(prog_rules)                                                                              \
	X(lanes_centre)                                                                            \
	X(lineup_topfast)                                                                          \
	X(lineup_ranges)                                                                           \
	X(lanes_start_and_dead_heat)                                                               \
	X(stations_fit_their_neighbours)                                                           \
	X(stations)                                                                                \
	X(penalties_and_flags)                                                                     \
	X(handicaps)                                                                               \
	X(trial_starts)                                                                            \
	X(config_errors)                                                                           \
	X(lineup_overall_range)                                                                    \
	X(progression_applied)                                                                     \
	X(regatta_rows)

T_MAIN()

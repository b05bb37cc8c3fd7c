/*
 * test_series.c: series standings (server/score/series.c, seriescfg.c;
 * PROTOCOL.md, "Series") over three real cores, one per event: best 2 of
 * 3, ties broken by the series' rules (and shared when none is given),
 * athletes matched across events by a custom field, the duplicates report,
 * standings by sex with a points rule, an event missing, and the series
 * document: each bad value refused with its path; a core given for the
 * wrong event and a race an event does not have, refused.
 *
 * Standings are compared as "place:athlete:total" words (by sex: the group
 * first), each computed by hand in the comment above it.
 */
#include "core.h"
#include "slp.h"
#include "t.h"

#include "rec.h"
#include "score_fix.h"

/*
 * The three events (race r in each; times make the places; aid is the
 * match id, fields.aid):
 *   e1: 1 Ann Lee F A1 1st, 2 Bea Kim F A2 2nd, 3 Cy Oh M A3 3rd,
 *       4 Dan Roe M A5 (born 1980-01-01) 4th, 5 Eva Fox F A4 5th, 6 No Id M (no aid) 6th
 *   e2: 1 Bea Kim A2 1st, 2 Ann Lee A1 2nd, 3 Cy Oh A3 3rd, 4 DAN ROE M A6 (born 1980-01-01) 4th
 *   e3: 1 Cy Oh A3 1st, 2 Eve Fox F A4 2nd, 3 Ann Lee A1 3rd
 */
static const struct ath {
	const char *ev, *bib, *name, *sex, *aid, *birth;
	long s;
} ATH[] = {
	{"e1", "1", "Ann Lee", "F", "A1", NULL, 1000},
	{"e1", "2", "Bea Kim", "F", "A2", NULL, 1010},
	{"e1", "3", "Cy Oh", "M", "A3", NULL, 1020},
	{"e1", "4", "Dan Roe", "M", "A5", "1980-01-01", 1030},
	{"e1", "5", "Eva Fox", "F", "A4", NULL, 1040},
	{"e1", "6", "No Id", "M", NULL, NULL, 1050},
	{"e2", "1", "Bea Kim", "F", "A2", NULL, 1000},
	{"e2", "2", "Ann Lee", "F", "A1", NULL, 1010},
	{"e2", "3", "Cy Oh", "M", "A3", NULL, 1020},
	{"e2", "4", "DAN ROE", "M", "A6", "1980-01-01", 1030},
	{"e3", "1", "Cy Oh", "M", "A3", NULL, 1000},
	{"e3", "2", "Eve Fox", "F", "A4", NULL, 1010},
	{"e3", "3", "Ann Lee", "F", "A1", NULL, 1020},
};

static core *event_core(const char *ev)
{
	core *c = race_core(ev, "");
	sl_buf rows = SL_BUF_INIT;
	size_t n = 0;
	sl_buf_adds(&rows, "{'k':'participants','rows':[");
	for (size_t i = 0; i < sizeof(ATH) / sizeof(ATH[0]); i++) {
		const struct ath *a = &ATH[i];
		if (strcmp(a->ev, ev) != 0)
			continue;
		sl_buf_addf(&rows, "%s{'bib':'%s','name':'%s','sex':'%s'", n++ ? "," : "", a->bib,
			    a->name, a->sex);
		if (a->aid)
			sl_buf_addf(&rows, ",'fields':{'aid':'%s'}", a->aid);
		if (a->birth)
			sl_buf_addf(&rows, ",'birth':'%s'", a->birth);
		sl_buf_addc(&rows, '}');
	}
	sl_buf_adds(&rows, "]}");
	sl_buf_addc(&rows, '\0');
	ASSERT_EQ(recf(c, "%s", rows.data), 0);
	sl_buf_release(&rows);
	for (size_t i = 0; i < sizeof(ATH) / sizeof(ATH[0]); i++)
		if (strcmp(ATH[i].ev, ev) == 0)
			fin(c, ATH[i].bib, ATH[i].s);
	return c;
}

/* A series document written as JSON with ' for "; err in why. */
static int parse_doc(const char *doc, struct series_cfg *c, char *why, size_t n)
{
	char js[2048];
	sl_buf mp = SL_BUF_INIT;
	msgpack_unpacked u;
	snprintf(js, sizeof(js), "%s", doc);
	for (char *p = js; *p; p++)
		if (*p == '\'')
			*p = '"';
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
	msgpack_unpacked_init(&u);
	ASSERT_EQ(msgpack_unpack_next(&u, mp.data, mp.len, NULL), MSGPACK_UNPACK_SUCCESS);
	why[0] = '\0';
	int rc = series_cfg_parse(&u.data, c, why, n);
	msgpack_unpacked_destroy(&u);
	sl_buf_release(&mp);
	return rc;
}

#define DOC(points, extra)                                                                         \
	"{'series':'road-cup','name':'Road Cup','events':['e1','e2','e3'],'races':{'e2':'r'},"     \
	"'match':'fields.aid','points':" points extra "}"
#define TABLE "{'by':'overall','table':[10,8,6,5]}"

/* Standings as "[group]place:athlete:total ..."; cells of athlete who into cells. */
static char *standings(const struct series_table *t, const char *who, sl_buf *cells)
{
	sl_buf b = SL_BUF_INIT;
	for (size_t i = 0; i < t->n; i++) {
		const struct series_row *r = &t->rows[i];
		sl_buf_addf(&b, "%s%s%zu:%s:%lld", i ? " " : "", r->group, r->place, r->athlete,
			    (long long)r->total);
		for (size_t e = 0; who && strcmp(r->athlete, who) == 0 && e < t->cfg->nevents;
		     e++) {
			const struct series_cell *c = &r->cells[e];
			if (c->scored)
				sl_buf_addf(cells, "%s%lld%s", e ? "," : "", (long long)c->points,
					    c->counted ? "*" : "");
			else
				sl_buf_adds(cells, e ? ",-" : "-");
		}
	}
	sl_buf_addc(&b, '\0');
	if (cells)
		sl_buf_addc(cells, '\0');
	return sl_buf_detach(&b, NULL);
}

/* The standings of doc over the three events (cores[i] NULL: drop event i). */
static char *run(const char *doc, int drop, const char *who, sl_buf *cells, sl_buf *dups)
{
	struct series_cfg cfg;
	struct series_table t;
	char why[256];
	const core *cores[3];
	core *own[3];
	static const char *const ev[] = {"e1", "e2", "e3"};
	ASSERT_EQ(parse_doc(doc, &cfg, why, sizeof(why)), 0);
	ASSERT_STREQ(why, "");
	for (int i = 0; i < 3; i++) {
		own[i] = event_core(ev[i]);
		cores[i] = i == drop ? NULL : own[i];
	}
	ASSERT_EQ(series_compute_cores(&cfg, cores, &t, why, sizeof(why)), 0);
	char *s = standings(&t, who, cells);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(t.missing[i], i == drop);
	if (dups) {
		series_dups_text(&t, dups);
		sl_buf_addc(dups, '\0');
	}
	series_table_release(&t);
	series_cfg_release(&cfg);
	for (int i = 0; i < 3; i++)
		core_free(own[i]);
	return s;
}

/*
 * Points 10, 8, 6, 5 by overall place (then 0), best 2 of 3, ties: wins,
 * then last.
 *   A1 Ann: 10, 8, 6 -> 10 + 8 = 18      A2 Bea: 8, 10, - -> 18
 *   A3 Cy: 6, 6, 10 -> 10 + 6 (e1's: of equal points the earlier counts) = 16
 *   A4 Eva/Eve Fox: 0 (5th), -, 8 -> 8   A5 Dan Roe: 5, -, - -> 5
 *   A6 DAN ROE: -, 5, - -> 5             No Id: in no standing
 * A1 and A2: one win each; last: in e3 Ann is 3rd, Bea not placed: A1.
 * A5 and A6: no wins; last: e3 neither, e2 A6 4th: A6.
 */
static void best_two_of_three(void)
{
	sl_buf cells = SL_BUF_INIT, dups = SL_BUF_INIT;
	char *got = run(DOC(TABLE, ",'best':2,'ties':['wins','last']"), -1, "A3", &cells, &dups);
	ASSERT_STREQ(got, "1:A1:18 2:A2:18 3:A3:16 4:A4:8 5:A6:5 6:A5:5");
	ASSERT_STREQ(cells.data, "6*,6,10*");
	free(got);
	/* the report: A4 under two names, A5 and A6 the same name and birth
	 * date (case and spaces aside), No Id in no standing */
	ASSERT_STREQ(dups.data,
		     "one id, two names: id A4 is 'Eva Fox' (e1, bib 5) and 'Eve Fox' (e3, bib 2)\n"
		     "same person? 'Dan Roe' (e1, bib 4) and 'DAN ROE' (e2, bib 4): ids A5 and A6, "
		     "born 1980-01-01\n"
		     "no id: 'No Id' (e1, bib 6) is in no standing\n");
	sl_buf_release(&cells);
	sl_buf_release(&dups);
	/* the athlete's name is the one of their latest event */
	struct series_cfg cfg;
	struct series_table t;
	char why[200];
	core *c[3] = {event_core("e1"), event_core("e2"), event_core("e3")};
	ASSERT_EQ(parse_doc(DOC(TABLE, ""), &cfg, why, sizeof(why)), 0);
	ASSERT_EQ(series_compute_cores(&cfg, (const core *const *)c, &t, why, sizeof(why)), 0);
	for (size_t i = 0; i < t.n; i++)
		if (strcmp(t.rows[i].athlete, "A4") == 0)
			ASSERT_STREQ(t.rows[i].name, "Eve Fox");
	ASSERT_EQ(cfg.best, 3);  /* best not given: every result counts */
	sl_buf mp = SL_BUF_INIT; /* the report as a topic or an export carries it */
	msgpack_packer pk;
	slp_packer_init(&pk, &mp);
	series_pack(&pk, &t);
	char *js = packed_json(&mp);
	ASSERT(strstr(js, ",\"duplicates\":[{\"kind\":\"same_id\",\"birth\":null,\"entries\":["
			  "{\"id\":\"A4\",\"name\":\"Eva Fox\",\"event\":\"e1\",\"bib\":\"5\"},"
			  "{\"id\":\"A4\",\"name\":\"Eve Fox\",\"event\":\"e3\",\"bib\":\"2\"}]},"
			  "{\"kind\":\"same_person\",\"birth\":\"1980-01-01\",\"entries\":["
			  "{\"id\":\"A5\",\"name\":\"Dan Roe\",\"event\":\"e1\",\"bib\":\"4\"},"
			  "{\"id\":\"A6\",\"name\":\"DAN ROE\",\"event\":\"e2\",\"bib\":\"4\"}]},"
			  "{\"kind\":\"no_id\",\"birth\":null,\"entries\":[{\"id\":null,"
			  "\"name\":\"No Id\",\"event\":\"e1\",\"bib\":\"6\"}]}]}"));
	free(js);
	sl_buf_release(&mp);
	series_table_release(&t);
	series_cfg_release(&cfg);
	for (int i = 0; i < 3; i++)
		core_free(c[i]);
}

/*
 * The tie rules.  Without any, A1 and A2 share 1st (listed by id), A3 is
 * 3rd; A5 and A6 share 5th.  countback: A1's places 1, 2, 3 against A2's
 * 1, 2: equal as far as both go, and A1 has one more: A1; A5 (4) and A6
 * (4) still share.  All three results counting: A1 24, A3 22, A2 18, A4 8.
 */
static void tie_rules(void)
{
	char *got = run(DOC(TABLE, ",'best':2"), -1, NULL, NULL, NULL);
	ASSERT_STREQ(got, "1:A1:18 1:A2:18 3:A3:16 4:A4:8 5:A5:5 5:A6:5");
	free(got);
	got = run(DOC(TABLE, ",'best':2,'ties':['countback']"), -1, NULL, NULL, NULL);
	ASSERT_STREQ(got, "1:A1:18 2:A2:18 3:A3:16 4:A4:8 5:A5:5 5:A6:5");
	free(got);
	got = run(DOC(TABLE, ",'best':3"), -1, NULL, NULL, NULL);
	ASSERT_STREQ(got, "1:A1:24 2:A3:22 3:A2:18 4:A4:8 5:A5:5 5:A6:5");
	free(got);
}

/*
 * By sex, points by a rule: first 20, step 5, floor 1 (places 1..5: 20,
 * 15, 10, 5, 1).  Places in the sex:
 *   e1 F: Ann 1, Bea 2, Eva 3; M: Cy 1, Dan 2 (No Id 3: no id)
 *   e2 F: Bea 1, Ann 2; M: Cy 1, DAN 2        e3 M: Cy 1; F: Eve 1, Ann 2
 * best 2: F: A1 20 + 15 = 35, A2 15 + 20 = 35, A4 10 + 20 = 30;
 *         M: A3 20 + 20 = 40, A5 15, A6 15.
 * Ties (wins, last): A1 and A2 one win each, e3: Ann 2nd: A1; A6 before A5.
 */
static void by_sex_with_a_rule(void)
{
	char *got = run(DOC("{'by':'sex','first':20,'step':5,'floor':1}",
			    ",'best':2,'ties':['wins','last']"),
			-1, NULL, NULL, NULL);
	ASSERT_STREQ(got, "F1:A1:35 F2:A2:35 F3:A4:30 M1:A3:40 M2:A6:15 M3:A5:15");
	free(got);
}

/*
 * e3 has no results (not created yet): it counts for no one.
 *   A1: 10, 8 = 18; A2: 8, 10 = 18; A3: 6, 6 = 12; A4: 0; A5 5; A6 5.
 * A1 and A2: wins one each; last: e3 neither, e2: Bea 1st: A2 ahead.
 */
static void event_missing(void)
{
	sl_buf cells = SL_BUF_INIT;
	char *got = run(DOC(TABLE, ",'best':2,'ties':['wins','last']"), 2, "A1", &cells, NULL);
	ASSERT_STREQ(got, "1:A2:18 2:A1:18 3:A3:12 4:A6:5 5:A5:5 6:A4:0");
	ASSERT_STREQ(cells.data, "10*,8*,-");
	free(got);
	sl_buf_release(&cells);
	/* no event at all: no standing */
	struct series_cfg cfg;
	struct series_table t;
	char why[200];
	const core *none[3] = {NULL, NULL, NULL};
	ASSERT_EQ(parse_doc(DOC(TABLE, ""), &cfg, why, sizeof(why)), 0);
	ASSERT_EQ(series_compute_cores(&cfg, none, &t, why, sizeof(why)), 0);
	ASSERT_EQ(t.n, 0);
	ASSERT(t.missing[0] && t.missing[1] && t.missing[2]);
	series_table_release(&t);
	/* an event whose race is empty: no one scores there */
	core *c[3] = {race_core("e1", ""), event_core("e2"), race_core("e3", "")};
	ASSERT_EQ(series_compute_cores(&cfg, (const core *const *)c, &t, why, sizeof(why)), 0);
	ASSERT_EQ(t.n, 4); /* A1, A2, A3, A6 of e2 */
	ASSERT(!t.missing[0] && !t.missing[2]);
	series_table_release(&t);
	/* a core of another event, or a race the event does not have: refused */
	const core *wrong[3] = {c[1], NULL, NULL};
	ASSERT_EQ(series_compute_cores(&cfg, wrong, &t, why, sizeof(why)), SL_EINVAL);
	ASSERT_STREQ(why, "events[0]: 'e1' was given the results of 'e2'");
	series_table_release(&t);
	series_cfg_release(&cfg);
	ASSERT_EQ(parse_doc("{'series':'s','events':['e1','e2','e3'],'races':{'e2':'nope'},"
			    "'points':" TABLE "}",
			    &cfg, why, sizeof(why)),
		  0);
	ASSERT_EQ(series_compute_cores(&cfg, (const core *const *)c, &t, why, sizeof(why)),
		  SL_ENOENT);
	ASSERT_STREQ(why, "races.e2: event 'e2' has no race 'nope'");
	series_table_release(&t);
	series_cfg_release(&cfg);
	for (int i = 0; i < 3; i++)
		core_free(c[i]);
}

/*
 * One id twice in one event (a registration entered twice): reported, and
 * the better place counts (Ann's 1st in e1, not bib 7's 7th).  And the
 * default match, reg: two events whose rows carry only a reg.
 */
static void twice_and_reg(void)
{
	struct series_cfg cfg;
	struct series_table t;
	char why[200];
	core *c[3] = {event_core("e1"), NULL, NULL};
	ASSERT_EQ(recf(c[0], "{'k':'participants','rows':[{'bib':'7','name':'Ann Lee',"
			     "'fields':{'aid':'A1'}}]}"),
		  0);
	fin(c[0], "7", 1060);
	ASSERT_EQ(parse_doc(DOC(TABLE, ""), &cfg, why, sizeof(why)), 0);
	ASSERT_EQ(series_compute_cores(&cfg, (const core *const *)c, &t, why, sizeof(why)), 0);
	ASSERT_STREQ(t.rows[0].athlete, "A1");
	ASSERT_EQ(t.rows[0].total, 10);
	ASSERT_EQ(t.ndups, 1); /* e1 alone: A4 has one name, A6 is not there */
	ASSERT_EQ(t.dups[0].kind, DUP_TWICE);
	sl_buf b = SL_BUF_INIT;
	series_dups_text(&t, &b);
	sl_buf_addc(&b, '\0');
	ASSERT(strstr(b.data, "twice in one event: id A1 is 'Ann Lee' (e1, bib 1) and 'Ann Lee' "
			      "(e1, bib 7)\n") == b.data);
	sl_buf_release(&b);
	series_table_release(&t);
	series_cfg_release(&cfg);
	core_free(c[0]);
	/* match reg (the default): R-1 is one athlete in e1 (1st) and e2 (2nd) */
	ASSERT_EQ(parse_doc("{'series':'s','events':['e1','e2'],'points':{'table':[3,2,1]}}", &cfg,
			    why, sizeof(why)),
		  0);
	ASSERT_STREQ(cfg.match, "reg");
	c[0] = race_core("e1", "");
	c[1] = race_core("e2", "");
	ASSERT_EQ(recf(c[0], "{'k':'participants','rows':[{'bib':'1','reg':'R-1','name':'A'},"
			     "{'bib':'2','reg':'R-2','name':'B'}]}"),
		  0);
	ASSERT_EQ(recf(c[1], "{'k':'participants','rows':[{'bib':'5','reg':'R-2','name':'B'},"
			     "{'bib':'6','reg':'R-1','name':'A'}]}"),
		  0);
	fin(c[0], "1", 100);
	fin(c[0], "2", 110);
	fin(c[1], "5", 100);
	fin(c[1], "6", 110);
	ASSERT_EQ(series_compute_cores(&cfg, (const core *const *)c, &t, why, sizeof(why)), 0);
	char *got = standings(&t, NULL, NULL);
	ASSERT_STREQ(got, "1:R-1:5 1:R-2:5"); /* 3 + 2 each; no tie rule: shared */
	free(got);
	sl_buf mp = SL_BUF_INIT; /* as a topic or an export carries it */
	msgpack_packer pk;
	slp_packer_init(&pk, &mp);
	series_pack(&pk, &t);
	char *js = packed_json(&mp);
	ASSERT_STREQ(js,
		     "{\"series\":\"s\",\"name\":\"s\",\"by\":\"overall\",\"best\":2,\"events\":["
		     "{\"event\":\"e1\",\"missing\":false},{\"event\":\"e2\",\"missing\":false}],"
		     "\"rows\":[{\"place\":1,\"group\":\"\",\"athlete\":\"R-1\",\"name\":\"A\","
		     "\"results\":[{\"place\":1,\"points\":3,\"counted\":true},"
		     "{\"place\":2,\"points\":2,\"counted\":true}],\"total\":5},"
		     "{\"place\":1,\"group\":\"\",\"athlete\":\"R-2\",\"name\":\"B\","
		     "\"results\":[{\"place\":2,\"points\":2,\"counted\":true},"
		     "{\"place\":1,\"points\":3,\"counted\":true}],\"total\":5}],"
		     "\"duplicates\":[]}");
	free(js);
	sl_buf_release(&mp);
	series_table_release(&t);
	series_cfg_release(&cfg);
	core_free(c[0]);
	core_free(c[1]);
}

/* Each bad value of a series document is refused, naming its path. */
static void doc_refused(void)
{
	static const struct {
		const char *doc, *why;
	} bad[] = {
		{"['road-cup']", "series: expected a map with series, events and points"},
		{DOC(TABLE, ",'evnts':[]"), "evnts: unknown key; did you mean 'events'?"},
		{"{'events':['e1'],'points':" TABLE "}", "series: required"},
		{"{'series':'s','events':[],'points':" TABLE "}",
		 "events: expected a list of 1 to 100 event ids"},
		{"{'series':'s','events':['e1','E 1'],'points':" TABLE "}",
		 "events[1]: expected an event id of 1 to 64 of a-z, 0-9 and '-'"},
		{"{'series':'s','events':['e1','e2','e1'],'points':" TABLE "}",
		 "events[2]: duplicate event 'e1'"},
		{"{'series':'s','events':['e1'],'races':{'e9':'r'},'points':" TABLE "}",
		 "races.e9: not one of the series' events"},
		{"{'series':'s','events':['e1'],'races':{'e1':'a b'},'points':" TABLE "}",
		 "races.e1: expected a race id of 1 to 64 letters, digits, '-', '_', '.' or '+'"},
		{"{'series':'s','events':['e1'],'match':'aid','points':" TABLE "}",
		 "match: expected reg or fields.<name>"},
		{"{'series':'s','events':['e1']}",
		 "points: expected a map with by and a table or a rule"},
		{DOC("{'by':'age','table':[1]}", ""),
		 "points.by: expected overall, sex or category"},
		{DOC("{'table':[10,8,-1]}", ""), "points.table[2]: expected an integer 0..100000"},
		{DOC("{'table':[]}", ""), "points.table: expected a list of 1 to 1000 points"},
		{DOC("{'table':[10],'first':10}", ""),
		 "points: a table or a rule (first, step, floor), not both"},
		{DOC("{'by':'sex'}", ""),
		 "points: expected a table or a rule (first, step, floor)"},
		{DOC("{'tabel':[10]}", ""), "points.tabel: unknown key; did you mean 'table'?"},
		{DOC("{'first':20,'floor':50}", ""), "points.floor: 50 is above first (20)"},
		{DOC("{'first':20,'step':-1}", ""), "points.step: -1 is out of range 0..100000"},
		{DOC(TABLE, ",'best':4"), "best: 4 is out of range 1..3"},
		{DOC(TABLE, ",'best':0"), "best: 0 is out of range 1..3"},
		{DOC(TABLE, ",'ties':['wins','coin']"),
		 "ties[1]: expected wins, countback or last"},
		{DOC(TABLE, ",'ties':['wins','wins']"), "ties[1]: 'wins' is already in the list"},
	};
	struct series_cfg c;
	char why[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(parse_doc(bad[i].doc, &c, why, sizeof(why)), SL_EINVAL);
		ASSERT_STREQ(why, bad[i].why);
		ASSERT(c.events == NULL && c.id == NULL); /* nothing left allocated */
	}
	/* the bounds are taken: best 3 of 3, best 1 */
	ASSERT_EQ(parse_doc(DOC(TABLE, ",'best':3"), &c, why, sizeof(why)), 0);
	series_cfg_release(&c);
	ASSERT_EQ(parse_doc(DOC(TABLE, ",'best':1"), &c, why, sizeof(why)), 0);
	ASSERT_EQ(c.best, 1);
	ASSERT_STREQ(c.races[1], "r");
	ASSERT(c.races[0] == NULL); /* e1: its first race */
	series_cfg_release(&c);
}

#define TESTS(X)                                                                                   \
	X(best_two_of_three)                                                                       \
	X(tie_rules)                                                                               \
	X(by_sex_with_a_rule)                                                                      \
	X(event_missing)                                                                           \
	X(twice_and_reg)                                                                           \
	X(doc_refused)
T_MAIN()

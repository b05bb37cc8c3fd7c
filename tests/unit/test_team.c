/*
 * test_team.c: team scores (server/score/team.c; PROTOCOL.md, "Team
 * scores") on a real core: a cross-country race with displacers (and the
 * same race without them), a tie broken by the sixth runner, times, a tie
 * nothing breaks, a category rule, incomplete teams, an empty race, and the
 * `teams` config: each bad value refused with its path.
 *
 * Tables are compared as "place:team:score" words (place 0: incomplete,
 * with its finishers in brackets), members as "bib:team place" with a *
 * on the scorers; each computed by hand in the comment above it.
 */
#include "core.h"
#include "slp.h"
#include "t.h"

#include "rec.h"
#include "score_fix.h"

/* Runners: bib, club (NULL: none), finish in seconds. */
struct runner {
	const char *bib, *club;
	long s;
	const char *school, *sex;
};

static core *race_of(const char *event, const char *extra, const struct runner *r, size_t n)
{
	core *c = race_core(event, extra);
	sl_buf rows = SL_BUF_INIT;
	sl_buf_adds(&rows, "{'k':'participants','rows':[");
	for (size_t i = 0; i < n; i++) {
		sl_buf_addf(&rows, "%s{'bib':'%s','name':'Runner %s'", i ? "," : "", r[i].bib,
			    r[i].bib);
		if (r[i].club)
			sl_buf_addf(&rows, ",'club':'%s'", r[i].club);
		if (r[i].school)
			sl_buf_addf(&rows, ",'fields':{'school':'%s'}", r[i].school);
		if (r[i].sex)
			sl_buf_addf(&rows, ",'sex':'%s'", r[i].sex);
		sl_buf_addc(&rows, '}');
	}
	sl_buf_adds(&rows, "]}");
	sl_buf_addc(&rows, '\0');
	ASSERT_EQ(recf(c, "%s", rows.data), 0);
	sl_buf_release(&rows);
	for (size_t i = 0; i < n; i++)
		if (r[i].s > 0)
			fin(c, r[i].bib, r[i].s);
	return c;
}

/* Rule id's table as "place:team:score ..."; team who's members into mem. */
static char *table_of(const core *c, const char *id, const char *who, sl_buf *mem)
{
	struct core_entries x;
	struct team_table t;
	sl_buf b = SL_BUF_INIT;
	ASSERT_EQ(core_race_entries(c, "r", &x), 0);
	ASSERT_EQ(team_table(&x, id, &t), 0);
	for (size_t i = 0; i < t.n; i++) {
		const struct team_row *r = &t.rows[i];
		sl_buf_addf(&b, "%s%zu:%s:%lld", i ? " " : "", r->place, r->team,
			    (long long)r->score);
		if (!r->place)
			sl_buf_addf(&b, "(%zu)", r->finishers);
		for (size_t k = 0; who && strcmp(r->team, who) == 0 && k < r->nmembers; k++)
			sl_buf_addf(mem, "%s%s:%zu%s", k ? " " : "", r->members[k].bib,
				    r->members[k].team_place, r->members[k].scoring ? "*" : "");
	}
	team_table_release(&t);
	core_entries_release(&x);
	sl_buf_addc(&b, '\0');
	if (mem)
		sl_buf_addc(mem, '\0');
	return sl_buf_detach(&b, NULL);
}

/*
 * Cross-country, n 5, min 5, max 7 (the 6th and 7th displace).  Finish
 * order (race places 1..17):
 *   1 a1, 2 u1 (no club), 3 b1, 4 a2, 5 c1, 6 b2, 7 a3, 8 b3, 9 a4, 10 c2,
 *   11 b4, 12 a5, 13 a6, 14 b5, 15 a7, 16 a8, 17 b6
 * Team C has 2 finishers: incomplete.  With displacers the places are
 * counted again without u1, c1, c2 and a8 (A's 8th: past max):
 *   a1 1, b1 2, a2 3, b2 4, a3 5, b3 6, a4 7, b4 8, a5 9, a6 10, b5 11, a7 12, b6 13
 *   A = 1 + 3 + 5 + 7 + 9 = 25, B = 2 + 4 + 6 + 8 + 11 = 31.
 * Without displacers, race places: A = 1 + 4 + 7 + 9 + 12 = 33,
 *   B = 3 + 6 + 8 + 11 + 14 = 42.
 */
#define R(bib, club, s)                                                                            \
	{                                                                                          \
		bib, club, s, NULL, NULL                                                           \
	}
static const struct runner XC[] = {
	R("a1", "A", 1010), R("u1", NULL, 1020), R("b1", "B", 1030), R("a2", "A", 1040),
	R("c1", "C", 1050), R("b2", "B", 1060),  R("a3", "A", 1070), R("b3", "B", 1080),
	R("a4", "A", 1090), R("c2", "C", 1100),  R("b4", "B", 1110), R("a5", "A", 1120),
	R("a6", "A", 1130), R("b5", "B", 1140),  R("a7", "A", 1150), R("a8", "A", 1160),
	R("b6", "B", 1170),
};
#define XC_RULES                                                                                   \
	",'teams':[{'id':'xc','field':'club','score':'places','n':5,'min':5,'displacers':true},"   \
	"{'id':'plain','field':'club','n':5}]"

static void places_with_displacers(void)
{
	core *c = race_of("xc", XC_RULES, XC, sizeof(XC) / sizeof(XC[0]));
	sl_buf mem = SL_BUF_INIT;
	char *got = table_of(c, "xc", "A", &mem);
	ASSERT_STREQ(got, "1:A:25 2:B:31 0:C:0(2)");
	ASSERT_STREQ(mem.data, "a1:1* a2:3* a3:5* a4:7* a5:9* a6:10 a7:12 a8:0");
	free(got);
	sl_buf_release(&mem);
	got = table_of(c, "plain", "C", &mem);
	ASSERT_STREQ(got, "1:A:33 2:B:42 0:C:0(2)");
	ASSERT_STREQ(mem.data,
		     "c1:5 c2:10"); /* an incomplete team's runners: listed, not scoring */
	free(got);
	sl_buf_release(&mem);
	core_free(c);
}

/*
 * A tie broken by the sixth runner (n 5, max 7, displacers; every team
 * complete, so team places are race places):
 *   A: 1, 2, 8, 10, 11 = 32, 6th 16     B: 3, 4, 6, 7, 12 = 32, 6th 13
 *   C: 5, 9, 14, 15, 17 = 60
 * B's 6th (13) beats A's (16): B 1st, A 2nd, although A's 5th (11) beats
 * B's (12): the last scorer does not break it.
 */
static void tie_sixth_runner(void)
{
	static const int a[] = {1, 2, 8, 10, 11, 16}, b[] = {3, 4, 6, 7, 12, 13},
			 cc[] = {5, 9, 14, 15, 17};
	struct runner r[17];
	char bibs[17][8];
	size_t n = 0;
	for (size_t i = 0; i < 6; i++) {
		snprintf(bibs[n], 8, "a%zu", i + 1);
		r[n] = (struct runner){bibs[n], "A", 1000 + 10 * a[i], NULL, NULL};
		n++;
		snprintf(bibs[n], 8, "b%zu", i + 1);
		r[n] = (struct runner){bibs[n], "B", 1000 + 10 * b[i], NULL, NULL};
		n++;
	}
	for (size_t i = 0; i < 5; i++, n++) {
		snprintf(bibs[n], 8, "c%zu", i + 1);
		r[n] = (struct runner){bibs[n], "C", 1000 + 10 * cc[i], NULL, NULL};
	}
	core *c = race_of("tie", XC_RULES, r, n);
	char *got = table_of(c, "xc", NULL, NULL);
	ASSERT_STREQ(got, "1:B:32 2:A:32 3:C:60");
	free(got);
	core_free(c);
}

/*
 * Times and a category.  Schools (field fields.school):
 *   x1 F 1000 s, z1 M 1000 s, y1 F 1040 s, y2 F 1060 s, x2 F 1100 s, y3 M 1200 s, x3 M 1300 s
 * times, n 2: X = 1000 + 1100 = 2100 (3rd 1300), Y = 1040 + 1060 = 2100
 *   (3rd 1200): Y 1st by its 3rd; Z has 1 finisher: incomplete.
 * girls (category F, places, n 2): category places x1 1, y1 2, y2 3, x2 4:
 *   X = 1 + 4 = 5, Y = 2 + 3 = 5, and neither has a 3rd girl: nothing
 *   breaks the tie, both 1st, by name.
 */
static void times_and_category(void)
{
	static const struct runner r[] = {
		{"x1", NULL, 1000, "X", "F"}, {"z1", NULL, 1000, "Z", "M"},
		{"y1", NULL, 1040, "Y", "F"}, {"y2", NULL, 1060, "Y", "F"},
		{"x2", NULL, 1100, "X", "F"}, {"y3", NULL, 1200, "Y", "M"},
		{"x3", NULL, 1300, "X", "M"}, {"n1", NULL, 0, "X", "F"}, /* no finish */
	};
	core *c = race_of("schools",
			  ",'categories':[{'id':'F','name':'Girls','sex':'F'},"
			  "{'id':'M','name':'Boys','sex':'M'}],'teams':["
			  "{'id':'t','field':'fields.school','score':'times','n':2},"
			  "{'id':'girls','field':'fields.school','n':2,'category':'F'}]",
			  r, sizeof(r) / sizeof(r[0]));
	sl_buf mem = SL_BUF_INIT;
	char *got = table_of(c, "t", "X", &mem);
	ASSERT_STREQ(got, "1:Y:2100000 2:X:2100000 0:Z:0(1)");
	ASSERT_STREQ(mem.data, "x1:1* x2:5* x3:7"); /* race places, the scorers marked */
	free(got);
	sl_buf_release(&mem);
	got = table_of(c, "girls", NULL, NULL);
	ASSERT_STREQ(got, "1:X:5 1:Y:5");
	free(got);
	core_free(c);
}

/* No entries, or nobody finished: no team; an unknown rule is SL_ENOENT. */
static void empty_and_unknown(void)
{
	core *c = race_core("none", XC_RULES);
	char *got = table_of(c, "xc", NULL, NULL);
	ASSERT_STREQ(got, "");
	free(got);
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'1','name':'A','club':'A'}]}"), 0);
	got = table_of(c, "xc", NULL, NULL);
	ASSERT_STREQ(got, "");
	free(got);
	fin(c, "1", 100);
	got = table_of(c, "xc", NULL, NULL);
	ASSERT_STREQ(got, "0:A:0(1)");
	free(got);
	struct core_entries x;
	struct team_table t;
	ASSERT_EQ(core_race_entries(c, "r", &x), 0);
	ASSERT_EQ(team_table(&x, "nope", &t), SL_ENOENT);
	/* as a topic or an export carries it: an incomplete team has no place,
	 * score or team places */
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &mp);
	ASSERT_EQ(team_table(&x, "xc", &t), 0);
	team_pack(&pk, &t);
	char *js = packed_json(&mp);
	ASSERT_STREQ(js, "{\"rule\":\"xc\",\"field\":\"club\",\"score\":\"places\","
			 "\"category\":null,\"rows\":[{\"place\":null,\"team\":\"A\","
			 "\"finishers\":1,\"score\":null,\"tiebreak\":null,\"members\":["
			 "{\"bib\":\"1\",\"name\":\"A\",\"place\":1,\"team_place\":null,"
			 "\"time\":100000,\"scoring\":false}]}]}");
	free(js);
	sl_buf_release(&mp);
	team_table_release(&t);
	core_entries_release(&x);
	core_free(c);
}

/* Each bad teams value is refused, naming its path. */
static void config_refused(void)
{
	static const struct bad_cfg bad[] = {
		{",'teams':{'id':'a'}", "races[0].teams: expected a list of team rules"},
		{",'teams':[{'id':'a'},{'id':'b','n':0}]",
		 "races[0].teams[1].n: 0 is out of range 1..100"},
		{",'teams':[{'id':'a','n':101}]",
		 "races[0].teams[0].n: 101 is out of range 1..100"},
		{",'teams':[{'id':'a','n':5,'min':4}]",
		 "races[0].teams[0].min: 4 is out of range 5..100"},
		{",'teams':[{'id':'a','n':3,'max':2}]",
		 "races[0].teams[0].max: 2 is out of range 3..100"},
		{",'teams':[{'id':'a','score':'points'}]",
		 "races[0].teams[0].score: expected places or times"},
		{",'teams':[{'id':'a','field':'school'}]",
		 "races[0].teams[0].field: expected club or fields.<name>"},
		{",'teams':[{'id':'a','field':'fields.'}]",
		 "races[0].teams[0].field: expected club or fields.<name>"},
		{",'teams':[{'id':'a','category':'W'}]",
		 "races[0].teams[0].category: race 'r' has no category 'W'"},
		{",'teams':[{'id':'a'},{'id':'a'}]",
		 "races[0].teams[1].id: duplicate team rule 'a'"},
		{",'teams':[{'n':5}]", "races[0].teams[0].id: required"},
		{",'teams':['a']", "races[0].teams[0]: expected a map with id, field, score and n"},
		{",'teams':[{'id':'a','scor':'times'}]",
		 "races[0].teams[0].scor: unknown key; did you mean 'score'?"},
		{",'teams':[{'id':'a','score':'times','displacers':true}]",
		 "races[0].teams[0].displacers: only with score: places"},
		{",'teams':[{'id':'a','displacers':'yes'}]",
		 "races[0].teams[0].displacers: expected true or false"},
	};
	char why[256];
	refused_each(bad, sizeof(bad) / sizeof(bad[0]));
	/* 16 rules are taken, 17 refused */
	for (int n = 16; n <= 17; n++) {
		sl_buf b = SL_BUF_INIT;
		sl_buf_adds(&b, ",'teams':[");
		for (int i = 0; i < n; i++)
			sl_buf_addf(&b, "%s{'id':'t%d'}", i ? "," : "", i);
		sl_buf_adds(&b, "]");
		sl_buf_addc(&b, '\0');
		ASSERT_EQ(race_refused(b.data, why, sizeof(why)), n == 16 ? 0 : SL_EINVAL);
		if (n == 17)
			ASSERT_STREQ(why, "races[0].teams: at most 16 team rules");
		sl_buf_release(&b);
	}
}

/* A record of old with a bad teams value is folded as written: no teams. */
static void old_record_folded(void)
{
	core *c = old_core(",'teams':[{'id':'a'},{'id':'b','n':0}]");
	struct core_entries x;
	struct team_table t;
	ASSERT_EQ(core_race_entries(c, "r", &x), 0);
	if (!x.race) { /* refused: the assertion above says so */
		core_free(c);
		return;
	}
	ASSERT_EQ(x.race->nteams, 0);
	ASSERT_EQ(team_table(&x, "a", &t), SL_ENOENT);
	core_entries_release(&x);
	core_free(c);
}

#define TESTS(X)                                                                                   \
	X(places_with_displacers)                                                                  \
	X(tie_sixth_runner)                                                                        \
	X(times_and_category)                                                                      \
	X(empty_and_unknown)                                                                       \
	X(config_refused)                                                                          \
	X(old_record_folded)
T_MAIN()

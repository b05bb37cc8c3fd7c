/*
 * test_award.c: award lists (server/score/award.c; PROTOCOL.md, "Awards")
 * on a real core: the rule with and without exclude_overall, ties at the
 * boundary of a section, a race without sexes, an empty race, the text to
 * read out, and the `awards` config: each bad value refused with its path,
 * and a record of old with a bad one folded as written.
 *
 * The lists are compared as "section:place:bib" words, in list order, each
 * computed by hand in the comment above it.
 */
#include "core.h"
#include "slp.h"
#include "t.h"

#include "rec.h"
#include "score_fix.h"

/*
 * The road race of these tests (precision 1 s; ages on race day):
 *   women: 1 Ann 45 2000 s, 2 Bea 30 2010 s, 3 Cat 42 2020 s, 4 Dee 41 2030 s, 5 Eve 50 2040 s
 *   men:  11 Al 44 1900 s, 12 Bo 30 1950 s, 13 Cy 41 1960 s, 14 Di 47 1960 s (a tie with Cy),
 *         15 Ed 52 1990 s, 16 Fu 40 no finish (DNF: never in a list)
 * Categories F40 (women 40+) and M40 (men 40+).  Places in the sex:
 *   women Ann 1, Bea 2, Cat 3, Dee 4, Eve 5; men Al 1, Bo 2, Cy 3, Di 3, Ed 5.
 * In the categories: F40 Ann 1, Cat 2, Dee 3, Eve 4; M40 Al 1, Cy 2, Di 2, Ed 4.
 */
static core *road(const char *awards)
{
	char extra[512];
	snprintf(extra, sizeof(extra),
		 ",'categories':[{'id':'F40','name':'Women 40+','sex':'F','age_min':40},"
		 "{'id':'M40','name':'Men 40+','sex':'M','age_min':40}]%s",
		 awards);
	core *c = race_core("road", extra);
	ASSERT_EQ(recf(c, "{'k':'participants','rows':["
			  "{'bib':'1','name':'Ann','sex':'F','age':45},"
			  "{'bib':'2','name':'Bea','sex':'F','age':30},"
			  "{'bib':'3','name':'Cat','sex':'F','age':42},"
			  "{'bib':'4','name':'Dee','sex':'F','age':41},"
			  "{'bib':'5','name':'Eve','sex':'F','age':50},"
			  "{'bib':'11','name':'Al','sex':'M','age':44},"
			  "{'bib':'12','name':'Bo','sex':'M','age':30},"
			  "{'bib':'13','name':'Cy','sex':'M','age':41},"
			  "{'bib':'14','name':'Di','sex':'M','age':47},"
			  "{'bib':'15','name':'Ed','sex':'M','age':52},"
			  "{'bib':'16','name':'Fu','sex':'M','age':40}]}"),
		  0);
	static const struct {
		const char *bib;
		long s;
	} t[] = {{"1", 2000},  {"2", 2010},  {"3", 2020},  {"4", 2030},  {"5", 2040},
		 {"11", 1900}, {"12", 1950}, {"13", 1960}, {"14", 1960}, {"15", 1990}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		fin(c, t[i].bib, t[i].s);
	return c;
}

/* The award list of race r as "section:place:bib ..."; its text into text. */
static char *awards_of(const core *c, sl_buf *text)
{
	struct core_entries x;
	struct award_list l;
	sl_buf b = SL_BUF_INIT;
	ASSERT_EQ(core_race_entries(c, "r", &x), 0);
	award_list(&x, &l);
	for (size_t i = 0; i < l.n; i++)
		sl_buf_addf(&b, "%s%s:%zu:%s", i ? " " : "", l.rows[i].section, l.rows[i].place,
			    l.rows[i].bib);
	if (text)
		award_text(&x, &l, text);
	award_list_release(&l);
	core_entries_release(&x);
	sl_buf_addc(&b, '\0');
	return sl_buf_detach(&b, NULL);
}

static void check(const char *awards, const char *want)
{
	core *c = road(awards);
	char *got = awards_of(c, NULL);
	ASSERT_STREQ(got, want);
	free(got);
	core_free(c);
}

/*
 * overall 2, category 2, no exclusion: women Ann 1, Bea 2; men Al 1, Bo 2;
 * F40 Ann 1, Cat 2 (Ann wins twice); M40 Al 1, Cy 2, Di 2: the tie at the
 * boundary lists both.
 */
static void exclusion_off(void)
{
	check(",'awards':{'overall':2,'category':2}", "F:1:1 F:2:2 M:1:11 M:2:12 "
						      "F40:1:1 F40:2:3 M40:1:11 M40:2:13 M40:2:14");
	/* the defaults (5 and 3): every woman; men Al, Bo, Cy, Di (3, tied), Ed (5);
	 * F40 Ann, Cat, Dee; M40 Al, Cy, Di (2, tied: Ed is 4th) */
	check("", "F:1:1 F:2:2 F:3:3 F:4:4 F:5:5 M:1:11 M:2:12 M:3:13 M:3:14 M:5:15 "
		  "F40:1:1 F40:2:3 F40:3:4 M40:1:11 M40:2:13 M40:2:14");
}

/*
 * overall 2, category 2, exclude_overall: Ann, Bea, Al and Bo won overall.
 * F40 counted again without Ann: Cat 1, Dee 2 (Eve 3: out).  M40 without
 * Al: Cy 1, Di 1 (tied), Ed 3: out.
 */
static void exclusion_on(void)
{
	check(",'awards':{'overall':2,'category':2,'exclude_overall':true}",
	      "F:1:1 F:2:2 M:1:11 M:2:12 F40:1:3 F40:2:4 M40:1:13 M40:1:14");
}

/*
 * A tie at the overall boundary: overall 3 lists Cy and Di (both 3rd), so
 * with exclusion both leave M40, where Ed is then 1st; F40 without Ann and
 * Cat (women's 1st and 3rd): Dee 1 (category 1).
 */
static void tie_at_boundary(void)
{
	check(",'awards':{'overall':3,'category':1,'exclude_overall':true}",
	      "F:1:1 F:2:2 F:3:3 M:1:11 M:2:12 M:3:13 M:3:14 F40:1:4 M40:1:15");
	/* none at all: overall 0 and category 0 */
	check(",'awards':{'overall':0,'category':0}", "");
}

/* Race r with awards overall 1, these rows, and finishes "bib=secs ...". */
static core *small(const char *event, const char *rows, const char *fins)
{
	core *c = race_core(event, ",'awards':{'overall':1}");
	char bib[16];
	long secs;
	int used;
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[%s]}", rows), 0);
	for (const char *p = fins; sscanf(p, " %15[^=]=%ld%n", bib, &secs, &used) == 2; p += used)
		fin(c, bib, secs);
	return c;
}

/*
 * A race without sexes (a regatta's crews): one overall section by the
 * place shown.  Crews b1 and b2 100 s (tied 1st), b3 105 s (3rd); overall
 * 1 lists both tied crews.
 */
static void no_sexes(void)
{
	core *c = small("boats",
			"{'bib':'b1','name':'Crew 1'},{'bib':'b2','name':'Crew 2'},"
			"{'bib':'b3','name':'Crew 3'}",
			"b1=100 b2=100 b3=105");
	sl_buf text = SL_BUF_INIT;
	char *got = awards_of(c, &text);
	ASSERT_STREQ(got, ":1:b1 :1:b2");
	sl_buf_addc(&text, '\0');
	ASSERT_STREQ(text.data, "Overall, 1st: Crew 1 (b1), 0:01:40\n"
				"Overall, 1st: Crew 2 (b2), 0:01:40\n");
	free(got);
	sl_buf_release(&text);
	/* as a topic or an export carries it */
	struct core_entries x;
	struct award_list l;
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &mp);
	ASSERT_EQ(core_race_entries(c, "r", &x), 0);
	award_list(&x, &l);
	award_pack(&pk, &x, &l);
	char *js = packed_json(&mp);
	ASSERT_STREQ(js, "{\"race\":\"r\",\"rows\":["
			 "{\"kind\":\"overall\",\"section\":\"\",\"title\":\"Overall\",\"place\":1,"
			 "\"bib\":\"b1\",\"name\":\"Crew 1\",\"time\":100000},"
			 "{\"kind\":\"overall\",\"section\":\"\",\"title\":\"Overall\",\"place\":1,"
			 "\"bib\":\"b2\",\"name\":\"Crew 2\",\"time\":100000}]}");
	free(js);
	sl_buf_release(&mp);
	award_list_release(&l);
	core_entries_release(&x);
	core_free(c);
}

/*
 * A race with sexes where one entry has none: n1 (no sex) 90 s is 1st
 * overall but in no sex, so it wins nothing; s1 (F, 100 s) is the first
 * woman.
 */
static void entry_without_sex(void)
{
	core *c = small("mixed", "{'bib':'n1','name':'N'},{'bib':'s1','name':'S','sex':'F'}",
			"n1=90 s1=100");
	char *got = awards_of(c, NULL);
	ASSERT_STREQ(got, "F:1:s1");
	free(got);
	core_free(c);
}

/* The text to read out: one line per award, the time at the race's precision. */
static void text_to_read(void)
{
	core *c = road(",'awards':{'overall':1,'category':3,'exclude_overall':true}");
	sl_buf text = SL_BUF_INIT;
	char *got = awards_of(c, &text);
	sl_buf_addc(&text, '\0');
	/* F40 without Ann: Cat 1, Dee 2, Eve 3; M40 without Al: Cy 1, Di 1, Ed 3 */
	ASSERT_STREQ(text.data, "Women, 1st: Ann (1), 0:33:20\n"
				"Men, 1st: Al (11), 0:31:40\n"
				"Women 40+, 1st: Cat (3), 0:33:40\n"
				"Women 40+, 2nd: Dee (4), 0:33:50\n"
				"Women 40+, 3rd: Eve (5), 0:34:00\n"
				"Men 40+, 1st: Cy (13), 0:32:40\n"
				"Men 40+, 1st: Di (14), 0:32:40\n"
				"Men 40+, 3rd: Ed (15), 0:33:10\n");
	free(got);
	sl_buf_release(&text);
	core_free(c);
}

/* A race nobody finished (or without entries) has an empty list. */
static void empty_race(void)
{
	core *c = race_core("empty", "");
	char *got = awards_of(c, NULL);
	ASSERT_STREQ(got, "");
	free(got);
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'1','name':'A','sex':'F'}]}"), 0);
	got = awards_of(c, NULL);
	ASSERT_STREQ(got, "");
	free(got);
	struct core_entries x;
	ASSERT_EQ(core_race_entries(c, "nope", &x), SL_ENOENT);
	core_free(c);
}

/* Each bad awards value is refused, naming its path. */
static void config_refused(void)
{
	static const struct bad_cfg bad[] = {
		{",'awards':{'overall':101}",
		 "races[0].awards.overall: 101 is out of range 0..100"},
		{",'awards':{'overall':-1}", "races[0].awards.overall: -1 is out of range 0..100"},
		{",'awards':{'category':'3'}", "races[0].awards.category: expected integer"},
		{",'awards':{'exclude_overall':1}",
		 "races[0].awards.exclude_overall: expected true or false"},
		{",'awards':[5,3]",
		 "races[0].awards: expected a map with overall, category and exclude_overall"},
		{",'awards':{'overal':5}",
		 "races[0].awards.overal: unknown key; did you mean 'overall'?"},
		{",'award':{'overall':5}", "races[0].award: unknown key; did you mean 'awards'?"},
	};
	char why[256];
	refused_each(bad, sizeof(bad) / sizeof(bad[0]));
	/* the bounds themselves are taken */
	ASSERT_EQ(race_refused(",'awards':{'overall':100,'category':0}", why, sizeof(why)), 0);
}

/*
 * A config record already in the log is folded as written: a bad awards
 * value there means nothing (the defaults), as an unknown key did then.
 */
static void old_record_folded(void)
{
	core *c = old_core(",'awards':{'overall':500}");
	struct core_entries x;
	ASSERT_EQ(core_race_entries(c, "r", &x), 0);
	if (!x.race) { /* refused: the assertion above says so */
		core_free(c);
		return;
	}
	ASSERT_EQ(x.race->awards.overall, 5);
	ASSERT_EQ(x.race->awards.category, 3);
	core_entries_release(&x);
	core *d = reload(c); /* and from a snapshot */
	ASSERT_EQ(core_race_entries(d, NULL, &x), 0);
	ASSERT_EQ(x.race->awards.overall, 5);
	core_entries_release(&x);
	core_free(d);
	core_free(c);
}

#define TESTS(X)                                                                                   \
	X(exclusion_off)                                                                           \
	X(exclusion_on)                                                                            \
	X(tie_at_boundary)                                                                         \
	X(no_sexes)                                                                                \
	X(entry_without_sex)                                                                       \
	X(text_to_read)                                                                            \
	X(empty_race)                                                                              \
	X(config_refused)                                                                          \
	X(old_record_folded)
T_MAIN()

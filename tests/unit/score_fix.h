/*
 * score_fix.h: the fixtures of the score tests (test_award.c, test_team.c,
 * test_series.c): a real core per event, built from records as a client
 * sends them (rec.h), with one mass-start race `r` (precision 1 s, a
 * finish mat only) whose extra keys (categories, awards, teams) the test
 * gives, participants, and finish reads at T0 + seconds.  A runner's time
 * is then exactly the seconds given.  Include after rec.h.
 */
#ifndef SL_TEST_SCORE_FIX_H
#define SL_TEST_SCORE_FIX_H

#include "score.h"

#define T0 1700000000000LL

#define FIX_CFG                                                                                    \
	"{'k':'config','config':{'event':'%s','date':'2023-11-14','races':[{'id':'r',"             \
	"'waves':[{'id':'1','start':%lld}],'points':[{'id':'finish','role':'finish',"              \
	"'distance_m':5000,'min_s':0}]%s}]}}"

/* "{...}" of race r's extra keys, e.g. ",'awards':{'overall':2}". */
static inline core *race_core(const char *event, const char *extra)
{
	core *c = core_new();
	int rc = recf(c, FIX_CFG, event, T0, extra);
	if (rc < 0) {
		fprintf(stderr, "fixture config refused: %s\n", err);
		abort();
	}
	return c;
}

/* The config sentence of a refused race r (extra keys as above). */
static inline int race_refused(const char *extra, char *why, size_t n)
{
	core *c = core_new();
	int rc = recf(c, FIX_CFG, "x", T0, extra);
	snprintf(why, n, "%s", err);
	core_free(c);
	return rc;
}

/*
 * A config record with race r's extra keys as if already in the log: the
 * check (a config sent now) refuses it, the fold takes it as written.
 */
static inline core *old_core(const char *extra)
{
	char js[1024];
	sl_buf mp = SL_BUF_INIT;
	snprintf(js, sizeof(js), FIX_CFG, "old", T0, extra);
	for (char *p = js; *p; p++)
		if (*p == '\'')
			*p = '"';
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
	core *c = core_new();
	ASSERT_EQ(core_check(c, mp.data, mp.len, err, sizeof(err)), SL_EINVAL); /* sent now */
	ASSERT_EQ(core_apply(c, mp.data, mp.len, err, sizeof(err)), 0);         /* in the log */
	sl_buf_release(&mp);
	return c;
}

/* Race r's extra keys, and the sentence that refuses them. */
struct bad_cfg {
	const char *extra, *why;
};
static inline void refused_each(const struct bad_cfg *bad, size_t n)
{
	char why[256];
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(race_refused(bad[i].extra, why, sizeof(why)), SL_EINVAL);
		ASSERT_STREQ(why, bad[i].why);
	}
}

/* What a packer wrote, as JSON text (owned). */
static inline char *packed_json(const sl_buf *mp)
{
	sl_buf js = SL_BUF_INIT;
	ASSERT_EQ(slp_msgpack_to_json(mp->data, mp->len, &js), 0);
	sl_buf_addc(&js, '\0');
	return sl_buf_detach(&js, NULL);
}

static uint64_t fix_seq;

/* Runner bib crosses the finish secs seconds after T0. */
static inline void fin(core *c, const char *bib, long secs)
{
	ASSERT_EQ(recf(c,
		       "{'k':'passings','dev':'mat','seq':%llu,'reads':[{'bib':'%s','pt':'finish',"
		       "'t':%lld}]}",
		       (unsigned long long)++fix_seq, bib, T0 + secs * 1000LL),
		  0);
}

#endif

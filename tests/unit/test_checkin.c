/*
 * test_checkin.c: check-in folded by the core (server/core/checkin*.c):
 * once per athlete, duplicates warned with who and when, unknown and
 * wrong-event codes, a desk's race, resends counted once, undo by an
 * official, the scans/<dev> and checkin/<race> topics, and a snapshot
 * round trip that gives the same answers.  Records are JSON (with ' for ")
 * transcoded to msgpack, as a client would send them.
 */
#include <msgpack.h>
#include <stdarg.h>

#include "checkin.h"
#include "core.h"
#include "slp.h"
#include "t.h"
#include "rec.h"

#define T0 1429520000000LL


static core *setup(void)
{
	core *c = core_new();
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'ev-1','name':'T','date':'2015-04-20',"
			  "'races':[{'id':'m','name':'M','kind':'mass','distance_m':42195,"
			  "'waves':[{'id':'1','bibs':'1-99'},{'id':'2','bibs':'100-199'}],"
			  "'points':[{'id':'start','distance_m':0,'role':'start'},"
			  "{'id':'finish','distance_m':42195,'role':'finish'}]},"
			  "{'id':'k10','name':'10K','kind':'mass','distance_m':10000,"
			  "'waves':[{'id':'1','bibs':'500-599'}],"
			  "'points':[{'id':'finish','distance_m':10000,'role':'finish'}]}]}}"),
		  0);
	ASSERT_EQ(recf(c, "{'k':'participants','rows':["
			  "{'bib':'1','name':'Ann A','chips':['C1'],'race':'m'},"
			  "{'bib':'2','name':'Bob B','race':'m'},{'bib':'150','name':'Cy C','race':'m'},"
			  "{'bib':'500','name':'Di D','race':'k10'}]}"),
		  0);
	return c;
}

static int scan(core *c, const char *dev, int seq, const char *code, const char *vol)
{
	return recf(c, "{'k':'checkins','dev':'%s','seq':%d,'scans':[{'code':'%s','t':%lld,"
		       "'volunteer':'%s'}],'rx':1}",
		    dev, seq, code, T0 + seq * 1000LL, vol);
}

static const char *warn_of(const core *c, const char *dev, int seq)
{
	const char *w = "(none)", *bib;
	if (checkin_answer(c, dev, (uint64_t)seq, &w, &bib) < 0)
		return "(not folded)";
	return w;
}

static void once_per_athlete(void)
{
	core *c = setup();
	struct checkin_info ci;
	size_t n, in;

	ASSERT_EQ(scan(c, "s1", 1, "1", "amy"), 0);
	ASSERT_STREQ(warn_of(c, "s1", 1), "");
	ASSERT_EQ(checkin_get(c, "1", &ci), 0);
	ASSERT(ci.in);
	ASSERT_STREQ(ci.dev, "s1");
	ASSERT_STREQ(ci.volunteer, "amy");
	ASSERT_EQ(ci.t, T0 + 1000);
	/* the same athlete by its chip, on another device: warned, not counted */
	ASSERT_EQ(scan(c, "s2", 7, "C1", "bo"), 0);
	ASSERT_STREQ(warn_of(c, "s2", 7), "already_checked_in");
	/* by its registration code */
	ASSERT_EQ(scan(c, "s2", 8, "sl:ev-1:1", "bo"), 0);
	ASSERT_STREQ(warn_of(c, "s2", 8), "already_checked_in");
	ASSERT_EQ(scan(c, "s2", 9, "sl:ev-1:2", "bo"), 0);
	ASSERT_STREQ(warn_of(c, "s2", 9), "");
	checkin_counts(c, "m", &n, &in);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(in, 2);
	checkin_counts(c, NULL, &n, &in);
	ASSERT_EQ(n, 4);
	ASSERT_EQ(in, 2);
	core_free(c);
}

static void bad_codes_warned(void)
{
	core *c = setup();
	size_t n, in;
	ASSERT_EQ(scan(c, "s1", 1, "9999", "amy"), 0);
	ASSERT_STREQ(warn_of(c, "s1", 1), "unknown_code");
	ASSERT_EQ(scan(c, "s1", 2, "sl:other-ev:1", "amy"), 0);
	ASSERT_STREQ(warn_of(c, "s1", 2), "wrong_event");
	ASSERT_EQ(scan(c, "s1", 3, "sl:ev-1", "amy"), 0);
	ASSERT_STREQ(warn_of(c, "s1", 3), "unknown_code");
	/* a desk of the 10K scanning a marathoner */
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':4,'scans':[{'code':'2','t':%lld,"
			  "'race':'k10'}]}",
		       T0),
		  0);
	ASSERT_STREQ(warn_of(c, "s1", 4), "not_registered_for_race");
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':5,'scans':[{'code':'500','t':%lld,"
			  "'race':'k10'}]}",
		       T0),
		  0);
	ASSERT_STREQ(warn_of(c, "s1", 5), "");
	checkin_counts(c, NULL, &n, &in);
	ASSERT_EQ(in, 1);
	core_free(c);
}

static void bad_records_refused(void)
{
	core *c = setup();
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':0,'scans':[{'code':'1','t':%lld}]}",
		       T0),
		  SL_EINVAL);
	ASSERT_STREQ(err, "seq: expected an integer in 1..2^53-1");
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':9007199254740992,'scans':[{'code':'1',"
			  "'t':%lld}]}",
		       T0),
		  SL_EINVAL);
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':1,'scans':[{'code':'1','t':5}]}"),
		  SL_ERANGE);
	ASSERT(strstr(err, "scans[0].t") != NULL);
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':1,'scans':[{'code':'','t':%lld}]}",
		       T0),
		  SL_EINVAL);
	ASSERT(strstr(err, "scans[0].code") != NULL);
	ASSERT_EQ(recf(c, "{'k':'checkins','seq':1,'scans':[{'code':'1','t':%lld}]}", T0),
		  SL_EINVAL);
	ASSERT(strstr(err, "dev") != NULL);
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':1,'scans':[]}"), SL_EINVAL);
	struct checkin_info ci;
	ASSERT_EQ(checkin_get(c, "1", &ci), 0);
	ASSERT(!ci.in);
	ASSERT_EQ(checkin_get(c, "nope", &ci), SL_ENOENT);
	core_free(c);
}

static void resends_count_once(void)
{
	core *c = setup();
	const char *js = "{'k':'checkins','dev':'s1','seq':10,'scans':[{'code':'1','t':%lld},"
			 "{'code':'2','t':%lld}]}";
	ASSERT_EQ(recf(c, js, T0, T0 + 1), 0);
	ASSERT_EQ(recf(c, js, T0, T0 + 1), 0); /* the same batch again */
	ASSERT_STREQ(warn_of(c, "s1", 10), "");
	ASSERT_STREQ(warn_of(c, "s1", 11), "");
	/* overlapping: 11 folded before, 12 is new (a duplicate of bib 1) */
	ASSERT_EQ(recf(c, "{'k':'checkins','dev':'s1','seq':11,'scans':[{'code':'2','t':%lld},"
			  "{'code':'1','t':%lld}]}",
		       T0 + 1, T0 + 2),
		  0);
	ASSERT_STREQ(warn_of(c, "s1", 11), "");
	ASSERT_STREQ(warn_of(c, "s1", 12), "already_checked_in");
	size_t n, in;
	checkin_counts(c, "m", &n, &in);
	ASSERT_EQ(in, 2);
	core_free(c);
}

static void undo_by_official(void)
{
	core *c = setup();
	struct checkin_info ci;
	ASSERT_EQ(recf(c, "{'k':'checkin_undo','bib':'1','official':'chief'}"), SL_ESTATE);
	ASSERT(strstr(err, "not checked in") != NULL);
	ASSERT_EQ(recf(c, "{'k':'checkin_undo','bib':'77','official':'chief'}"), SL_ENOENT);
	ASSERT_EQ(scan(c, "s1", 1, "1", "amy"), 0);
	ASSERT_EQ(recf(c, "{'k':'checkin_undo','bib':'1'}"), SL_EINVAL);
	ASSERT(strstr(err, "official") != NULL);
	ASSERT_EQ(recf(c, "{'k':'checkin_undo','bib':'1','official':'chief','reason':'wrong'}"),
		  0);
	ASSERT_EQ(checkin_get(c, "1", &ci), 0);
	ASSERT(!ci.in);
	ASSERT_EQ(ci.undone, 1);
	ASSERT_EQ(scan(c, "s2", 1, "1", "bo"), 0);
	ASSERT_STREQ(warn_of(c, "s2", 1), "");
	ASSERT_EQ(checkin_get(c, "1", &ci), 0);
	ASSERT(ci.in);
	ASSERT_STREQ(ci.dev, "s2");
	core_free(c);
}

static int64_t geti(const msgpack_object *o, const char *k)
{
	int64_t v = -1;
	slp_get_int(o, k, &v);
	return v;
}

static void topics(void)
{
	core *c = setup();
	slp_msg m;
	const msgpack_object_array *rows;
	const char *s;
	size_t sn;

	ASSERT_EQ(core_topic_check(c, "scans/s1", 8), 0);
	ASSERT_EQ(core_topic_check(c, "checkin/m", 9), 0);
	ASSERT_EQ(core_topic_check(c, "checkin/zz", 10), SL_ENOENT);
	ASSERT_EQ(core_topic_check(c, "checkin/", 8), SL_EINVAL);
	ASSERT_EQ(scan(c, "s1", 1, "1", "amy"), 0);
	ASSERT_EQ(scan(c, "s1", 2, "1", "amy"), 0);
	ASSERT(snap(c, "scans/s1", 0, 0, &m));
	ASSERT_EQ(slp_get_arr(&m.root, "rows", &rows), 0);
	ASSERT_EQ(rows->size, 2);
	ASSERT_EQ(slp_get_str(&rows->ptr[1], "warning", &s, &sn), 0);
	ASSERT(sn == 18 && !memcmp(s, "already_checked_in", 18));
	ASSERT_EQ(slp_get_str(&rows->ptr[1], "name", &s, &sn), 0);
	ASSERT(sn == 5 && !memcmp(s, "Ann A", 5));
	const msgpack_object *by = slp_get(&rows->ptr[1], "by");
	ASSERT(by != NULL);
	if (by) {
		ASSERT_EQ(geti(by, "t"), T0 + 1000);
		ASSERT_EQ(slp_get_str(by, "volunteer", &s, &sn), 0);
	}
	ASSERT_EQ(slp_get_str(&rows->ptr[1], "wave", &s, &sn), 0);
	ASSERT(sn == 1 && s[0] == '1');
	slp_msg_release(&m);
	/* offset = first seq wanted */
	ASSERT(snap(c, "scans/s1", 2, 0, &m));
	ASSERT_EQ(slp_get_arr(&m.root, "rows", &rows), 0);
	ASSERT_EQ(rows->size, 1);
	slp_msg_release(&m);

	ASSERT(snap(c, "checkin/m", 0, 0, &m));
	ASSERT_EQ(geti(&m.root, "n"), 3);
	ASSERT_EQ(geti(&m.root, "checked_in"), 1);
	ASSERT_EQ(geti(&m.root, "no_shows"), 2);
	ASSERT_EQ(slp_get_arr(&m.root, "rows", &rows), 0);
	ASSERT_EQ(rows->size, 2); /* bibs 2 and 150 */
	const msgpack_object_array *waves;
	ASSERT_EQ(slp_get_arr(&m.root, "waves", &waves), 0);
	ASSERT_EQ(waves->size, 2);
	ASSERT_EQ(geti(&waves->ptr[0], "checked_in"), 1);
	ASSERT_EQ(geti(&waves->ptr[1], "n"), 1);
	slp_msg_release(&m);

	/* deltas: new answers only, and the changed athletes of the race */
	core_changes_clear(c);
	ASSERT_EQ(scan(c, "s1", 3, "150", "amy"), 0);
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	bool empty;
	slp_packer_init(&pk, &b);
	ASSERT_EQ(core_topic_delta(c, "scans/s1", 8, &pk, &empty), 0);
	ASSERT(!empty);
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_MSGPACK), 0);
	ASSERT_EQ(slp_get_arr(&m.root, "rows", &rows), 0);
	ASSERT_EQ(rows->size, 1);
	ASSERT_EQ(geti(&rows->ptr[0], "seq"), 3);
	slp_msg_release(&m);
	sl_buf_reset(&b);
	ASSERT_EQ(core_topic_delta(c, "checkin/m", 9, &pk, &empty), 0);
	ASSERT(!empty);
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_MSGPACK), 0);
	ASSERT_EQ(geti(&m.root, "checked_in"), 2);
	slp_msg_release(&m);
	sl_buf_reset(&b);
	ASSERT_EQ(core_topic_delta(c, "checkin/k10", 11, &pk, &empty), 0);
	ASSERT(empty);
	core_changes_clear(c);
	ASSERT_EQ(core_topic_delta(c, "scans/s1", 8, &pk, &empty), 0);
	ASSERT(empty);
	sl_buf_release(&b);
	core_free(c);
}

static void snapshot_round_trip(void)
{
	core *c = setup();
	ASSERT_EQ(scan(c, "s1", 1, "1", "amy"), 0);
	ASSERT_EQ(scan(c, "s2", 1, "1", "bo"), 0);
	ASSERT_EQ(scan(c, "s2", 2, "2", "bo"), 0);
	ASSERT_EQ(recf(c, "{'k':'checkin_undo','bib':'2','official':'chief'}"), 0);
	core *d = reload(c);
	ASSERT_STREQ(warn_of(d, "s2", 1), "already_checked_in");
	struct checkin_info ci;
	ASSERT_EQ(checkin_get(d, "2", &ci), 0);
	ASSERT(!ci.in);
	ASSERT_EQ(ci.undone, 1);
	/* folding on after a load: a resend stays a resend */
	ASSERT_EQ(scan(d, "s2", 2, "2", "bo"), 0);
	ASSERT_EQ(checkin_get(d, "2", &ci), 0);
	ASSERT(!ci.in);
	ASSERT_EQ(scan(d, "s2", 3, "2", "bo"), 0);
	ASSERT_EQ(checkin_get(d, "2", &ci), 0);
	ASSERT(ci.in);
	core_free(c);
	core_free(d);
}

#define TESTS(X)                                                                \
	X(once_per_athlete)                                                     \
	X(bad_codes_warned)                                                     \
	X(bad_records_refused)                                                  \
	X(resends_count_once)                                                   \
	X(undo_by_official)                                                     \
	X(topics)                                                               \
	X(snapshot_round_trip)
T_MAIN()

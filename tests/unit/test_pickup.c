/*
 * test_pickup.c: bib and chip at pickup, swaps, transfers and the audit
 * trail, folded by the core (server/core/checkin*.c, PROTOCOL.md
 * "Check-in"): registrations without a bib, the next free bib of a pool
 * (in log order, skipping bibs already held), a bib from the desk's stack,
 * chip pairing (and reads of that chip counting for the athlete, even
 * reads that came before the pairing), every warning, the checks that
 * refuse a malformed scan, re-imports that keep what pickup decided, and
 * a snapshot round trip that restores the same state and answers.
 * Records are JSON (with ' for ") transcoded to msgpack.
 */
#include <msgpack.h>
#include <stdarg.h>

#include "checkin.h"
#include "core.h"
#include "slp.h"
#include "t.h"
#include "rec.h"

#define T0 1429520000000LL


/* Race m (pool 30-32 and 40), race k (no pool); bibs 1, 2, 31 (in the
 * pool, so it is skipped); registrations R1..R5 without bibs. */
static core *setup(void)
{
	core *c = core_new();
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'ev','name':'T','date':'2015-04-20',"
			  "'races':[{'id':'m','name':'M','kind':'mass','distance_m':42195,"
			  "'bib_pool':['30-32','40'],"
			  "'waves':[{'id':'1','bibs':'1-99','start':'2015-04-20T10:00:00Z'}],"
			  "'points':[{'id':'start','distance_m':0,'role':'start'},"
			  "{'id':'finish','distance_m':42195,'role':'finish','min_s':60}]},"
			  "{'id':'k','name':'K','kind':'mass','distance_m':5000,"
			  "'waves':[{'id':'1'}],"
			  "'points':[{'id':'finish','distance_m':5000,'role':'finish'}]}]}}"),
		  0);
	ASSERT_STREQ(err, "");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':["
			  "{'bib':'1','name':'Ann "
			  "A','sex':'F','age':30,'chips':['C1'],'race':'m','reg':'R0'},"
			  "{'bib':'2','name':'Bob B','sex':'M','age':40,'race':'m'},"
			  "{'bib':'31','name':'Cy C','race':'m'},"
			  "{'reg':'R1','name':'Dee D','sex':'F','age':25,'race':'m'},"
			  "{'reg':'R2','name':'Eve E','race':'m'},"
			  "{'reg':'R3','name':'Fay F','race':'m'},"
			  "{'reg':'R4','name':'Gus G','race':'m'},"
			  "{'reg':'R5','name':'Hal H','race':'k'}]}"),
		  0);
	ASSERT_STREQ(err, "");
	return c;
}

static int seqs[8];

/* One scan (extra: more JSON fields, starting with a comma, or ""). */
static int op(core *c, const char *dev, const char *code, const char *extra)
{
	int d = dev[1] - '0';
	int s = ++seqs[d];
	return recf(c,
		    "{'k':'checkins','dev':'%s','seq':%d,'scans':[{'code':'%s','t':%lld,"
		    "'volunteer':'vol%d'%s}],'rx':1}",
		    dev, s, code, T0 + s * 1000LL, d, extra);
}

/* The answer to the last scan of dev, decoded into m. */
static bool answer(const core *c, const char *dev, slp_msg *m, const msgpack_object **row)
{
	char topic[32];
	const msgpack_object_array *rows;
	snprintf(topic, sizeof(topic), "scans/%s", dev);
	if (!snap(c, topic, 0, 1, m))
		return false;
	if (slp_get_arr(&m->root, "rows", &rows) < 0 || rows->size != 1) {
		slp_msg_release(m);
		return false;
	}
	*row = &rows->ptr[0];
	return true;
}

static char sbuf[4][256];
static int sbi;
/* A string field of a map, or "(nil)" / "(none)". */
static const char *gets_(const msgpack_object *o, const char *k)
{
	const char *s;
	size_t n;
	const msgpack_object *v = slp_get(o, k);
	if (!v)
		return "(none)";
	if (v->type == MSGPACK_OBJECT_NIL)
		return "(nil)";
	if (slp_get_str(o, k, &s, &n) < 0)
		return "(not a string)";
	char *b = sbuf[sbi++ % 4];
	snprintf(b, 256, "%.*s", (int)n, s);
	return b;
}

/* Last answer's warning ("" when ok) and bib. */
static void last(const core *c, const char *dev, const char *warning, const char *bib)
{
	slp_msg m;
	const msgpack_object *row = NULL;
	bool found = answer(c, dev, &m, &row);
	ASSERT(found);
	if (!found)
		return;
	bool ok = false;
	slp_get_bool(row, "ok", &ok);
	ASSERT_EQ(ok, warning[0] == '\0');
	ASSERT_STREQ(gets_(row, "warning"), warning[0] ? warning : "(nil)");
	ASSERT_STREQ(gets_(row, "bib"), bib);
	slp_msg_release(&m);
}

static const char *name_of(const core *c, const char *bib)
{
	slp_msg m;
	char topic[40];
	static char name[64];
	const msgpack_object_array *rows;
	snprintf(topic, sizeof(topic), "athlete/%s", bib);
	name[0] = '\0';
	if (snap(c, topic, 0, 0, &m)) {
		if (slp_get_arr(&m.root, "rows", &rows) == 0 && rows->size == 1)
			snprintf(name, sizeof(name), "%s", gets_(&rows->ptr[0], "name"));
		slp_msg_release(&m);
	}
	return name;
}

/* An audit row (a bare map, not a message) into u. */
static const msgpack_object *row_of(msgpack_unpacked *u, const char *mp, size_t len)
{
	msgpack_unpacked_init(u);
	if (msgpack_unpack_next(u, mp, len, NULL) != MSGPACK_UNPACK_SUCCESS)
		return NULL;
	return &u->data;
}

static bool is_in(const core *c, const char *bib)
{
	struct checkin_info ci;
	return checkin_get(c, bib, &ci) == 0 && ci.in;
}

static void next_free_bib_in_log_order(void)
{
	memset(seqs, 0, sizeof(seqs));
	core *c = setup();
	size_t reg, in;
	checkin_counts(c, "m", &reg, &in);
	ASSERT_EQ(reg, 7); /* 3 with bibs, 4 waiting */
	ASSERT_EQ(in, 0);
	/* checkin of a registration without a bib: told to assign one */
	ASSERT_EQ(op(c, "d1", "R1", ""), 0);
	last(c, "d1", "no_bib", "(nil)");
	/* two desks: 30, then 32 (31 is held), then 40 from the next range */
	ASSERT_EQ(op(c, "d1", "R1", ",'op':'assign'"), 0);
	last(c, "d1", "", "30");
	ASSERT_EQ(op(c, "d2", "sl:ev:R2", ",'op':'assign'"), 0);
	last(c, "d2", "", "32");
	ASSERT_EQ(op(c, "d1", "R3", ",'op':'assign'"), 0);
	last(c, "d1", "", "40");
	ASSERT_EQ(op(c, "d2", "R4", ",'op':'assign'"), 0);
	last(c, "d2", "pool_empty", "(nil)");
	/* a bib from the desk's stack; a taken one is refused */
	ASSERT_EQ(op(c, "d2", "R4", ",'op':'assign','bib':'2'"), 0);
	last(c, "d2", "bib_taken", "(nil)");
	ASSERT_EQ(op(c, "d2", "R4", ",'op':'assign','bib':'77'"), 0);
	last(c, "d2", "", "77");
	/* race k has no pool */
	ASSERT_EQ(op(c, "d2", "R5", ",'op':'assign'"), 0);
	last(c, "d2", "no_pool", "(nil)");
	/* assign of an athlete who has a bib: a check-in; another bib: has_bib */
	ASSERT_EQ(op(c, "d1", "R1", ",'op':'assign'"), 0);
	last(c, "d1", "already_checked_in", "30");
	ASSERT_EQ(op(c, "d1", "2", ",'op':'assign','bib':'55'"), 0);
	last(c, "d1", "has_bib", "2");
	ASSERT(!is_in(c, "2"));
	ASSERT_EQ(op(c, "d1", "2", ",'op':'assign'"), 0);
	last(c, "d1", "", "2");

	/* the new participants are real: named, in results, checked in */
	ASSERT_STREQ(name_of(c, "30"), "Dee D");
	ASSERT_STREQ(name_of(c, "77"), "Gus G");
	ASSERT(is_in(c, "30") && is_in(c, "32") && is_in(c, "40") && is_in(c, "77"));
	checkin_counts(c, "m", &reg, &in);
	ASSERT_EQ(reg, 7);
	ASSERT_EQ(in, 5);
	/* the registration code now finds the bib */
	ASSERT_EQ(op(c, "d1", "R3", ""), 0);
	last(c, "d1", "already_checked_in", "40");
	core_free(c);
}

static void chip_pairing(void)
{
	memset(seqs, 0, sizeof(seqs));
	core *c = setup();
	/* reads of chip X9 before anyone has it: unknown; then paired at pickup */
	ASSERT_EQ(recf(c,
		       "{'k':'passings','dev':'mat','seq':1,'reads':["
		       "{'chip':'X9','pt':'finish','t':%lld}],'rx':1}",
		       1429527600000LL),
		  0);
	ASSERT_EQ(op(c, "d1", "R1", ",'op':'assign','chip':'C1'"), 0);
	last(c, "d1", "chip_in_use", "(nil)"); /* Ann's chip */
	ASSERT_EQ(op(c, "d1", "R1", ",'op':'assign','chip':'X9'"), 0);
	last(c, "d1", "", "30");
	struct core_result r;
	ASSERT_EQ(core_result(c, "30", &r), 0);
	ASSERT_STREQ(r.status, "finished");
	/* pair replaces the first chip; the old one no longer counts */
	ASSERT_EQ(op(c, "d1", "1", ",'op':'pair','chip':'C7'"), 0);
	last(c, "d1", "", "1");
	ASSERT(is_in(c, "1"));
	ASSERT_EQ(recf(c,
		       "{'k':'passings','dev':'mat','seq':2,'reads':["
		       "{'chip':'C1','pt':'finish','t':%lld}],'rx':1}",
		       1429527700000LL),
		  0);
	ASSERT_EQ(core_result(c, "1", &r), 0);
	ASSERT_STREQ(r.status, "registered");
	ASSERT_EQ(recf(c,
		       "{'k':'passings','dev':'mat','seq':3,'reads':["
		       "{'chip':'C7','pt':'finish','t':%lld}],'rx':1}",
		       1429527800000LL),
		  0);
	ASSERT_EQ(core_result(c, "1", &r), 0);
	ASSERT_STREQ(r.status, "finished");
	/* pairing the same chip again changes nothing; a registration without
	 * a bib cannot be paired */
	size_t na = checkin_audit(c, 99, NULL, NULL);
	ASSERT_EQ(op(c, "d1", "1", ",'op':'pair','chip':'C7'"), 0);
	last(c, "d1", "", "1");
	ASSERT_EQ(checkin_audit(c, 99, NULL, NULL), na);
	ASSERT_EQ(op(c, "d1", "R2", ",'op':'pair','chip':'Z1'"), 0);
	last(c, "d1", "no_bib", "(nil)");
	ASSERT_EQ(op(c, "d1", "2", ",'op':'pair','chip':'X9'"), 0);
	last(c, "d1", "chip_in_use", "2");
	/* a re-import of the registrations keeps bib and paired chip */
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'reg':'R1','name':'Dee "
			  "Dee','race':'m'}]}"),
		  0);
	ASSERT_STREQ(err, "");
	ASSERT_STREQ(name_of(c, "30"), "Dee Dee");
	ASSERT_EQ(core_result(c, "30", &r), 0);
	ASSERT_STREQ(r.status, "finished");
	/* ...and a row giving that reg another bib is refused */
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'88','reg':'R1','race':'m'}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].reg: 'R1' belongs to bib '30'");
	core_free(c);
}

static void swap_and_transfer(void)
{
	memset(seqs, 0, sizeof(seqs));
	core *c = setup();
	ASSERT_EQ(op(c, "d1", "1", ""), 0);
	ASSERT_EQ(op(c, "d1", "1", ",'op':'swap','with':'2','reason':'crossed'"), 0);
	last(c, "d1", "", "1");
	ASSERT_STREQ(name_of(c, "1"), "Bob B");
	ASSERT_STREQ(name_of(c, "2"), "Ann A");
	ASSERT(is_in(c, "1") && !is_in(c, "2")); /* the check-in stays with the bib */
	/* Ann's registration code follows her to bib 2 */
	ASSERT_EQ(op(c, "d1", "R0", ""), 0);
	last(c, "d1", "", "2");
	/* the chip stays with the bib */
	ASSERT_EQ(op(c, "d1", "C1", ""), 0);
	last(c, "d1", "already_checked_in", "1");
	ASSERT_EQ(op(c, "d1", "1", ",'op':'swap','with':'sl:ev:1'"), 0);
	last(c, "d1", "same_athlete", "1");
	ASSERT_EQ(op(c, "d1", "1", ",'op':'swap','with':'R2'"), 0);
	last(c, "d1", "no_bib", "1");
	ASSERT_EQ(op(c, "d1", "1", ",'op':'swap','with':'nobody'"), 0);
	last(c, "d1", "unknown_code", "1");

	ASSERT_EQ(op(c, "d2", "31",
		     ",'op':'transfer','reason':'injured',"
		     "'to':{'name':'Ivy I','sex':'F','age':33,'club':'RC'}"),
		  0);
	last(c, "d2", "", "31");
	ASSERT_STREQ(name_of(c, "31"), "Ivy I");
	/* the audit trail: swap, then transfer, with before and after */
	const char *mp;
	size_t len;
	ASSERT_EQ(checkin_audit(c, 0, &mp, &len), 2);
	msgpack_unpacked u;
	const msgpack_object *ar = row_of(&u, mp, len);
	ASSERT(ar != NULL);
	if (!ar)
		return;
	ASSERT_STREQ(gets_(ar, "op"), "swap");
	ASSERT_STREQ(gets_(ar, "bib"), "1");
	ASSERT_STREQ(gets_(ar, "with"), "2");
	ASSERT_STREQ(gets_(ar, "by"), "vol1");
	ASSERT_STREQ(gets_(ar, "reason"), "crossed");
	ASSERT_STREQ(gets_(slp_get(ar, "from"), "name"), "Ann A");
	ASSERT_STREQ(gets_(slp_get(ar, "to"), "name"), "Bob B");
	msgpack_unpacked_destroy(&u);
	ASSERT_EQ(checkin_audit(c, 1, &mp, &len), 2);
	ar = row_of(&u, mp, len);
	ASSERT(ar != NULL);
	if (!ar)
		return;
	ASSERT_STREQ(gets_(ar, "op"), "transfer");
	ASSERT_STREQ(gets_(slp_get(ar, "from"), "name"), "Cy C");
	ASSERT_STREQ(gets_(slp_get(ar, "to"), "name"), "Ivy I");
	ASSERT_STREQ(gets_(slp_get(ar, "to"), "sex"), "F");
	msgpack_unpacked_destroy(&u);
	/* an undo is audited too */
	ASSERT_EQ(recf(c, "{'k':'checkin_undo','bib':'1','official':'chief','reason':"
			  "'oops','rx':5}"),
		  0);
	ASSERT_EQ(checkin_audit(c, 2, &mp, &len), 3);
	ar = row_of(&u, mp, len);
	ASSERT(ar != NULL);
	if (!ar)
		return;
	ASSERT_STREQ(gets_(ar, "op"), "undo");
	ASSERT_STREQ(gets_(ar, "by"), "chief");
	msgpack_unpacked_destroy(&u);
	core_free(c);
}

static void malformed_scans_refused(void)
{
	memset(seqs, 0, sizeof(seqs));
	core *c = setup();
	static const struct {
		const char *extra, *err;
	} bad[] = {
		{",'op':'grab'", "scans[0].op: expected checkin, assign, pair, swap or transfer"},
		{",'op':'pair'",
		 "scans[0].chip: expected a chip code (1 to 64 printable characters)"},
		{",'op':'pair','chip':'a b'",
		 "scans[0].chip: expected a chip code (1 to 64 printable characters)"},
		{",'chip':'X1'", "scans[0].chip: only assign and pair name a chip"},
		{",'op':'swap'", "scans[0].with: expected a string of 1 to 128 bytes"},
		{",'op':'transfer'", "scans[0].to: required (the new person)"},
		{",'op':'transfer','to':{'sex':'F'}", "scans[0].to.name: required"},
		{",'op':'transfer','to':{'name':'Z','sex':'Q'}",
		 "scans[0].to.sex: expected M, F or X"},
		{",'op':'assign','bib':'a b'", "scans[0].bib: expected a bib id"},
		{",'bib':'5'", "scans[0].bib: only an assign names a bib"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		seqs[1] = 0;
		ASSERT_EQ(op(c, "d1", "R1", bad[i].extra), SL_EINVAL);
		ASSERT_STREQ(err, bad[i].err);
	}
	struct checkin_info ci;
	ASSERT_EQ(checkin_get(c, "1", &ci), 0);
	ASSERT_EQ(checkin_audit(c, 0, NULL, NULL), 0);
	/* registration rows: a chip before a bib, a reg twice */
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'reg':'R9','race':'m','chips'"
			  ":['Q']}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].chips: a registration without a bib gets its chip at pickup");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'reg':'R9','race':'m'},"
			  "{'reg':'R9','race':'m'}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[1].reg: 'R9' is also in rows[0]");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'name':'no bib','race':'m'}]}"), SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].bib: required");
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'ev','name':'T','date':'2015-04-20',"
			  "'races':[{'id':'m','name':'M','kind':'mass','bib_pool':'9-3',"
			  "'points':[{'id':'finish','distance_m':1,'role':'finish'}]}]}}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].bib_pool: expected a range such as \"1-8999\", got '9-3'");
	core_free(c);
}

/* Pre-chipped bibs imported blank: in no race, taken over at pickup with
 * their chips; the pool hands them out; anything else on them is refused. */
static void blank_bibs(void)
{
	memset(seqs, 0, sizeof(seqs));
	core *c = setup();
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'30','chips':['B30'],'blank':true},"
			  "{'bib':'33','chips':['B33'],'blank':true}]}"),
		  0);
	ASSERT_STREQ(err, "");
	size_t reg, in;
	checkin_counts(c, NULL, &reg, &in);
	ASSERT_EQ(reg, 8); /* 4 with bibs + 4 registrations: blanks are nobody */
	/* a read of a blank's chip before pickup waits for its athlete */
	ASSERT_EQ(recf(c, "{'k':'passings','dev':'mat','seq':1,'reads':["
			  "{'chip':'B30','pt':'finish','t':%lld}],'rx':1}",
		       1429527600000LL),
		  0);
	struct core_result r;
	ASSERT_EQ(core_result(c, "30", &r), 0);
	ASSERT_STREQ(r.status, "registered");
	ASSERT_EQ(op(c, "d1", "30", ""), 0); /* scanning a blank: nobody */
	last(c, "d1", "blank_bib", "30");
	ASSERT_EQ(op(c, "d1", "B30", ""), 0);
	last(c, "d1", "blank_bib", "30");
	/* the pool's next bib is the blank 30: taken over with its chip */
	ASSERT_EQ(op(c, "d1", "R1", ",'op':'assign'"), 0);
	last(c, "d1", "", "30");
	ASSERT_STREQ(name_of(c, "30"), "Dee D");
	ASSERT_EQ(core_result(c, "30", &r), 0);
	ASSERT_STREQ(r.status, "finished"); /* the early read counts now */
	/* 31 is held, 32 free, then the blank 33 */
	ASSERT_EQ(op(c, "d1", "R2", ",'op':'assign'"), 0);
	last(c, "d1", "", "32");
	/* a bib from the stack: the blank 33, its chip scanned with it */
	ASSERT_EQ(op(c, "d1", "R3", ",'op':'assign','bib':'33','chip':'B33'"), 0);
	last(c, "d1", "", "33");
	ASSERT_EQ(op(c, "d1", "B33", ""), 0);
	last(c, "d1", "already_checked_in", "33");
	ASSERT_EQ(op(c, "d1", "1", ",'op':'swap','with':'R4'"), 0);
	last(c, "d1", "no_bib", "1");
	checkin_counts(c, "m", &reg, &in);
	ASSERT_EQ(reg, 7);
	ASSERT_EQ(in, 3);
	/* a blank row may not take an athlete's bib, nor name anyone */
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'30','blank':true}]}"), SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].blank: bib '30' is already given to 'Dee D'");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'50','name':'X','blank':true}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].blank: a blank bib has no athlete yet (no name, reg or crew)");
	core_free(c);
}

/* Save, load into a fresh core: same bytes; then both fold the same
 * records and still agree. */
static void snapshot_round_trip(void)
{
	memset(seqs, 0, sizeof(seqs));
	core *c = setup();
	ASSERT_EQ(op(c, "d1", "R1", ",'op':'assign','chip':'X1'"), 0);
	ASSERT_EQ(op(c, "d1", "1", ",'op':'swap','with':'2'"), 0);
	ASSERT_EQ(op(c, "d2", "31", ",'op':'transfer','to':{'name':'Ivy I'}"), 0);
	ASSERT_EQ(op(c, "d2", "R2", ""), 0);
	core *d = reload(c);
	int save[8];
	memcpy(save, seqs, sizeof(save));
	ASSERT_EQ(op(c, "d2", "R2", ",'op':'assign'"), 0);
	memcpy(seqs, save, sizeof(save));
	ASSERT_EQ(op(d, "d2", "R2", ",'op':'assign'"), 0);
	last(c, "d2", "", "32");
	last(d, "d2", "", "32");
	ASSERT(same_snapshot(c, d));
	ASSERT_EQ(checkin_audit(d, 0, NULL, NULL), 4);
	core_free(c);
	core_free(d);
}

#define TESTS(X)                                                                                   \
	X(next_free_bib_in_log_order)                                                              \
	X(chip_pairing)                                                                            \
	X(swap_and_transfer)                                                                       \
	X(malformed_scans_refused)                                                                 \
	X(blank_bibs)                                                           \
	X(snapshot_round_trip)
T_MAIN()

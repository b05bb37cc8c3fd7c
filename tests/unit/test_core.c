/*
 * test_core.c: the core's read rules, places, categories, change sets,
 * validation and snapshots, driven through its public API with records
 * built by the protocol library (JSON transcoded to msgpack, and the
 * passings packer).  Results are read back the way a client would: from a
 * topic snapshot message.
 */
#include <msgpack.h>
#include <stdarg.h>

#include "checkin.h"
#include "config.h"
#include "core.h"
#include "slp.h"
#include "t.h"
#include "rec.h"

#define T0 1429538400000LL /* 2015-04-20T10:00:00-04:00 */
#define H (3600 * 1000LL)

static uint64_t seq;

/* ---- record helpers ----------------------------------------------------- */


struct r {
	const char *chip, *bib, *pt;
	int64_t t;
	int kind;
};

static void pack_passings(sl_buf *b, const char *dev, uint64_t s, const struct r *rs, size_t n)
{
	slp_read *reads = calloc(n, sizeof(*reads));
	for (size_t i = 0; i < n; i++) {
		reads[i].chip = rs[i].chip;
		reads[i].chip_len = rs[i].chip ? strlen(rs[i].chip) : 0;
		reads[i].bib = rs[i].bib;
		reads[i].bib_len = rs[i].bib ? strlen(rs[i].bib) : 0;
		reads[i].pt = rs[i].pt;
		reads[i].pt_len = strlen(rs[i].pt);
		reads[i].t = rs[i].t;
		reads[i].kind = rs[i].kind;
		reads[i].hits = -1;
	}
	msgpack_packer pk;
	slp_packer_init(&pk, b);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "k", "passings");
	slp_pack_kv_str(&pk, "dev", dev);
	slp_pack_kv_int(&pk, "seq", (int64_t)s);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, reads, n);
	slp_pack_kv_int(&pk, "rx", 1700000000000LL);
	free(reads);
}

static int pass_dev(core *c, const char *dev, uint64_t s, const struct r *rs, size_t n)
{
	sl_buf b = SL_BUF_INIT;
	pack_passings(&b, dev, s, rs, n);
	int rc = core_apply(c, b.data, b.len, err, sizeof(err));
	sl_buf_release(&b);
	return rc;
}

/* One rfid read of a chip on device "mat". */
static void rd(core *c, const char *chip, const char *pt, int64_t t)
{
	struct r x = {chip, NULL, pt, t, SLP_KIND_RFID};
	ASSERT_EQ(pass_dev(c, "mat", ++seq, &x, 1), 0);
}

static void rdk(core *c, const char *chip, const char *pt, int64_t t, int kind)
{
	struct r x = {chip, NULL, pt, t, kind};
	ASSERT_EQ(pass_dev(c, "hand", ++seq, &x, 1), 0);
}

static const char *CONFIG =
	"{'k':'config','config':{'event':'test-1','name':'Test','date':'2015-04-20',"
	"'races':[{'id':'m','name':'Marathon','kind':'mass','distance_m':42195,'ranking':'net',"
	"'precision_ms':%d,"
	"'waves':[{'id':'1','start':'2015-04-20T10:00:00-04:00','bibs':'1-999'},"
	"{'id':'2','bibs':'1000-1999'}],"
	"'points':[{'id':'start','name':'Start','distance_m':0,'role':'start','window_s':1800},"
	"{'id':'5k','distance_m':5000,'role':'split'},"
	"{'id':'finish','distance_m':42195,'role':'finish','min_s':3600,'dedupe_s':60}],"
	"'categories':[{'id':'M18-39','name':'Men 18-39','sex':'M','age_min':18,'age_max':39},"
	"{'id':'F40+','sex':'F','age_min':40},"
	"{'id':'elite','name':'Elite','field':'team','equals':'elite'}]}]}}";

static core *setup_prec(int prec)
{
	core *c = core_new();
	seq = 0;
	ASSERT_EQ(recf(c, CONFIG, prec), 0);
	ASSERT_STREQ(err, "");
	return c;
}

static core *setup(void)
{
	return setup_prec(1000);
}

static void add(core *c, const char *bib, const char *chip, const char *sex)
{
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'%s','name':'P %s','sex':'%s',"
			  "'age':30,'chips':['%s']}]}",
		       bib, bib, sex, chip),
		  0);
}

/* ---- reading results back ----------------------------------------------- */

static const char *rows_str(const core *c, const char *bib, const char *key)
{
	static char out[256];
	char topic[80];
	slp_msg m;
	const msgpack_object_array *rows;
	snprintf(out, sizeof(out), "(absent)");
	snprintf(topic, sizeof(topic), "athlete/%s", bib);
	if (!snap(c, topic, 0, 0, &m))
		return out;
	if (slp_get_arr(&m.root, "rows", &rows) == 0 && rows->size == 1) {
		const msgpack_object *o = sub(&rows->ptr[0], key);
		sl_buf b = SL_BUF_INIT;
		if (o)
			slp_object_to_json(o, &b);
		else
			sl_buf_adds(&b, "null");
		snprintf(out, sizeof(out), "%s", b.data);
		sl_buf_release(&b);
	}
	slp_msg_release(&m);
	return out;
}

static void export(const core *c, sl_buf *csv, sl_buf *json)
{
	ASSERT_EQ(core_export_csv(c, "m", csv), 0);
	ASSERT_EQ(core_export_json(c, "m", json), 0);
}

/* ---- read rules ------------------------------------------------------- */

static void start_last_in_window(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	rd(c, "C1", "start", T0 - 5000);    /* before T0: ignored */
	rd(c, "C1", "start", T0 + 61000);   /* on the mat */
	rd(c, "C1", "start", T0 + 63000);   /* still on the mat: the last one counts */
	rd(c, "C1", "start", T0 + 1900000); /* after the 1800 s window: ignored */
	ASSERT_EQ(rowi(c, "1", "start"), T0 + 63000);
	ASSERT_STREQ(rows_str(c, "1", "status"), "\"started\"");
	rd(c, "C1", "finish", T0 + 63000 + 4 * H);
	ASSERT_EQ(rowi(c, "1", "net"), 4 * H);
	ASSERT_EQ(rowi(c, "1", "gun"), 4 * H + 63000);
	ASSERT_STREQ(rows_str(c, "1", "status"), "\"finished\"");
	core_free(c);
}

static void finish_first_after_min(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	rd(c, "C1", "start", T0 + 10000);
	rd(c, "C1", "finish", T0 + 10000 + 1000000);  /* 1000 s: under min_s 3600 */
	rd(c, "C1", "5k", T0 + 10000 + 300000);       /* 5 km in 5:00: under 5000/12 s */
	rd(c, "C1", "5k", T0 + 10000 + 1200000);      /* 20:00: first plausible */
	rd(c, "C1", "5k", T0 + 10000 + 1201000);      /* later: ignored */
	rd(c, "C1", "finish", T0 + 10000 + 3 * H + 5000);
	rd(c, "C1", "finish", T0 + 10000 + 3 * H);    /* arrives late, but is first */
	ASSERT_EQ(rowi(c, "1", "splits.5k"), 1200000);
	ASSERT_EQ(rowi(c, "1", "net"), 3 * H);
	ASSERT_EQ(rowi(c, "1", "splits.finish"), 3 * H);
	core_free(c);
}

static void duplicates_ignored(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	rd(c, "C1", "start", T0 + 2000);
	rd(c, "C1", "finish", T0 + 2000 + 3 * H);
	int64_t net = rowi(c, "1", "net");
	for (int i = 0; i < 5; i++)
		rd(c, "C1", "finish", T0 + 2000 + 3 * H + 1000 * i); /* the mat reads again */
	rd(c, "C1", "finish", T0 + 2000 + 3 * H);
	ASSERT_EQ(rowi(c, "1", "net"), net);
	ASSERT_EQ(rowi(c, "1", "place"), 1);
	core_free(c);
}

static void before_t0_ignored(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	rd(c, "C1", "start", T0 - 60000);
	rd(c, "C1", "5k", T0 - 1000);
	rd(c, "C1", "finish", T0 - 500);
	ASSERT_STREQ(rows_str(c, "1", "status"), "\"registered\"");
	ASSERT_EQ(rowi(c, "1", "net"), NIL_V);
	ASSERT_EQ(rowi(c, "1", "start"), T0); /* no start read in the window: T0 */
	core_free(c);
}

static void no_start_read_uses_t0(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	rd(c, "C1", "finish", T0 + 2 * H + 7000);
	ASSERT_EQ(rowi(c, "1", "start"), T0);
	ASSERT_EQ(rowi(c, "1", "net"), 2 * H + 7000);
	ASSERT_EQ(rowi(c, "1", "gun"), 2 * H + 7000);
	ASSERT_EQ(rowi(c, "1", "pace"), (2 * H + 7000) * 1000 / 42195);
	core_free(c);
}

static void pace_and_projection(void)
{
	core *c = setup();
	add(c, "3", "C3", "M");
	rd(c, "C3", "start", T0 + 1000);
	rd(c, "C3", "5k", T0 + 1000 + 883000);
	ASSERT_EQ(rowi(c, "3", "proj"), (int64_t)(883000.0 * 42195 / 5000));
	ASSERT_STREQ(rows_str(c, "3", "last"), "\"5k\"");
	ASSERT_STREQ(rows_str(c, "3", "status"), "\"on_course\"");
	ASSERT_EQ(rowi(c, "3", "pace"), NIL_V);
	rd(c, "C3", "finish", T0 + 1000 + 7757000);
	ASSERT_EQ(rowi(c, "3", "pace"), 183836);
	ASSERT_EQ(rowi(c, "3", "proj"), NIL_V);
	ASSERT_STREQ(rows_str(c, "3", "last"), "\"finish\"");
	core_free(c);
}

static void handheld_fills_never_overrides(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "M");
	rd(c, "C1", "start", T0 + 1000);
	rd(c, "C2", "start", T0 + 1000);
	/* 1: the mat missed, a volunteer's handheld saw it */
	rdk(c, "C1", "finish", T0 + 1000 + 3 * H, SLP_KIND_HANDHELD);
	ASSERT_EQ(rowi(c, "1", "net"), 3 * H);
	/* 2: the handheld read is earlier, but the mat read wins */
	rdk(c, "C2", "finish", T0 + 1000 + 3 * H - 10000, SLP_KIND_MANUAL);
	ASSERT_EQ(rowi(c, "2", "net"), 3 * H - 10000);
	rd(c, "C2", "finish", T0 + 1000 + 3 * H);
	ASSERT_EQ(rowi(c, "2", "net"), 3 * H);
	rdk(c, "C2", "finish", T0 + 1000 + 3 * H - 20000, SLP_KIND_BACKUP);
	ASSERT_EQ(rowi(c, "2", "net"), 3 * H);
	/* a mat read for 1 later on replaces the handheld fill */
	rd(c, "C1", "finish", T0 + 1000 + 3 * H + 400);
	ASSERT_EQ(rowi(c, "1", "net"), 3 * H + 400);
	core_free(c);
}

static void overlapping_batches_count_once(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	struct r rs[14];
	for (int i = 0; i < 14; i++)
		rs[i] = (struct r){"C1", NULL, "5k", T0 + 1000000 + 1000 * i, SLP_KIND_RFID};
	ASSERT_EQ(pass_dev(c, "d1", 1, rs, 10), 0);     /* seq 1..10 */
	ASSERT_EQ(pass_dev(c, "d1", 5, rs + 4, 10), 0); /* seq 5..14: 4 new */
	ASSERT_EQ(pass_dev(c, "d1", 1, rs, 10), 0);     /* a resend: nothing new */
	ASSERT_EQ(pass_dev(c, "d2", 1, rs, 2), 0);      /* another device: its own seqs */
	slp_msg m;
	ASSERT(snap(c, "status", 0, 0, &m));
	const msgpack_object_array *rows;
	int64_t reads = -1;
	ASSERT_EQ(slp_get_arr(&m.root, "rows", &rows), 0);
	ASSERT_EQ(slp_get_int(&rows->ptr[0], "reads", &reads), 0);
	ASSERT_EQ(reads, 16);
	slp_msg_release(&m);
	ASSERT_EQ(rowi(c, "1", "splits.5k"), 1000000);
	core_free(c);
}

/* ---- unknown codes ------------------------------------------------------- */

static void unknown_then_attached(void)
{
	core *c = setup();
	rd(c, "Z9", "start", T0 + 3000);
	rd(c, "Z9", "5k", T0 + 3000 + 1500000);
	rd(c, "Z9", "finish", T0 + 3000 + 3 * H);
	slp_msg m;
	ASSERT(snap(c, "unknown", 0, 0, &m));
	sl_buf js = SL_BUF_INIT;
	slp_object_to_json(&m.root, &js);
	ASSERT_STREQ(js.data, "{\"t\":\"snapshot\",\"topic\":\"unknown\",\"n\":1,\"offset\":0,"
			      "\"rows\":[{\"code\":\"Z9\",\"ns\":\"chip\",\"reads\":3,"
			      "\"first\":1429538403000,\"pts\":[\"5k\",\"finish\",\"start\"]}]}");
	sl_buf_release(&js);
	slp_msg_release(&m);
	core_changes_clear(c);

	add(c, "77", "Z9", "F");
	ASSERT_EQ(rowi(c, "77", "net"), 3 * H);
	ASSERT_EQ(rowi(c, "77", "place"), 1);
	ASSERT(snap(c, "unknown", 0, 0, &m));
	int64_t n = -1;
	ASSERT_EQ(slp_get_int(&m.root, "n", &n), 0);
	ASSERT_EQ(n, 0);
	slp_msg_release(&m);

	/* the delta tells unknown subscribers the code left the list */
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	bool empty;
	slp_packer_init(&pk, &b);
	ASSERT_EQ(core_topic_delta(c, "unknown", 7, &pk, &empty), 0);
	ASSERT(!empty);
	sl_buf_release(&b);

	/* bib reads live in their own namespace */
	struct r x = {NULL, "78", "finish", T0 + 4 * H, SLP_KIND_MANUAL};
	ASSERT_EQ(pass_dev(c, "desk", 1, &x, 1), 0);
	add(c, "78", "C78", "M");
	ASSERT_EQ(rowi(c, "78", "net"), 4 * H);
	core_free(c);
}

/* ---- wave starts ------------------------------------------------------- */

static void t0_change_recomputes(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "M");
	add(c, "1500", "C1500", "M"); /* wave 2: no start yet */
	rd(c, "C1", "finish", T0 + 3 * H);         /* no start read: net from T0 */
	rd(c, "C2", "start", T0 + 30000);
	rd(c, "C2", "finish", T0 + 30000 + 3 * H - 20000);
	rd(c, "C1500", "finish", T0 + 4 * H);
	ASSERT_EQ(rowi(c, "1", "place"), 2);
	ASSERT_EQ(rowi(c, "2", "place"), 1);
	ASSERT_STREQ(rows_str(c, "1500", "status"), "\"registered\""); /* no T0: nothing yet */
	core_changes_clear(c);

	/* the real gun went 60 s later */
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'1','t0':%lld}",
		       (long long)(T0 + 60000)),
		  0);
	ASSERT(core_changed_all(c));
	ASSERT_EQ(rowi(c, "1", "net"), 3 * H - 60000);
	ASSERT_EQ(rowi(c, "1", "place"), 1);
	/* 2's start read is now before T0: ignored, so T0 is its start */
	ASSERT_EQ(rowi(c, "2", "start"), T0 + 60000);
	ASSERT_EQ(rowi(c, "2", "net"), 3 * H - 20000 + 30000 - 60000);
	ASSERT_EQ(rowi(c, "2", "place"), 2);

	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'2','t0':%lld}",
		       (long long)(T0 + 25 * 60000)),
		  0);
	ASSERT_EQ(rowi(c, "1500", "net"), 4 * H - 25 * 60000);
	/* a later wave_start for the same wave wins */
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'2','t0':%lld}",
		       (long long)(T0 + 26 * 60000)),
		  0);
	ASSERT_EQ(rowi(c, "1500", "net"), 4 * H - 26 * 60000);
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'9','t0':%lld}", (long long)T0),
		  SL_ENOENT);
	ASSERT_STREQ(err, "wave: no wave '9' in race 'm'");
	/* a wave start outside the years 2000..2100 is refused and changes nothing:
	 * 2^63-1 once turned every finisher of the wave back into "registered" */
	static const long long bad[] = {-1, 0, 1, SL_T_MIN - 1, SL_T_MAX, INT64_MAX};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'2','t0':%lld}", bad[i]),
			  SL_ERANGE);
		ASSERT(strstr(err, "is not a time in the years 2000 to 2100") != NULL);
		ASSERT_EQ(rowi(c, "1500", "net"), 4 * H - 26 * 60000);
	}
	/* the bounds themselves are times */
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'9','t0':%lld}", SL_T_MIN),
		  SL_ENOENT);
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'9','t0':%lld}", SL_T_MAX - 1),
		  SL_ENOENT);
	core_free(c);
}

/* ---- places ------------------------------------------------------------ */

static void ties_share_place(void)
{
	static const int64_t nets[] = {10000000, 10001100, 10001900, 10002000};
	for (int pass = 0; pass < 2; pass++) {
		core *c = setup_prec(pass == 0 ? 1000 : 100);
		char bib[8], chip[8];
		for (int i = 0; i < 4; i++) {
			snprintf(bib, sizeof(bib), "%d", 4 - i); /* bib order against time order */
			snprintf(chip, sizeof(chip), "C%d", 4 - i);
			add(c, bib, chip, "M");
			rd(c, chip, "start", T0 + 1000);
			rd(c, chip, "finish", T0 + 1000 + nets[i]);
		}
		int64_t want[2][4] = {{1, 2, 2, 4}, {1, 2, 3, 4}};
		for (int i = 0; i < 4; i++) {
			snprintf(bib, sizeof(bib), "%d", 4 - i);
			ASSERT_EQ(rowi(c, bib, "place"), want[pass][i]);
			ASSERT_EQ(rowi(c, bib, "place_sex"), want[pass][i]);
		}
		/* within a shared place the list follows the full time */
		sl_buf csv = SL_BUF_INIT, js = SL_BUF_INIT;
		export(c, &csv, &js);
		if (pass == 0) {
			const char *p3 = strstr(csv.data, "\n2,3,P 3,"),
				   *p2 = strstr(csv.data, "\n2,2,P 2,");
			ASSERT(p3 != NULL);
			ASSERT(p2 != NULL);
			ASSERT(p3 < p2);
		}
		sl_buf_release(&csv);
		sl_buf_release(&js);
		core_free(c);
	}
}

static void config_precision_change_reranks(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "M");
	rd(c, "C1", "finish", T0 + 3 * H + 100);
	rd(c, "C2", "finish", T0 + 3 * H + 900);
	ASSERT_EQ(rowi(c, "2", "place"), 1);
	ASSERT_EQ(recf(c, CONFIG, 10), 0);
	ASSERT(core_changed_all(c));
	ASSERT_EQ(rowi(c, "1", "place"), 1);
	ASSERT_EQ(rowi(c, "2", "place"), 2);
	core_free(c);
}

/* ---- categories ------------------------------------------------------- */

static void category_predicates(void)
{
	core *c = setup();
	ASSERT_EQ(recf(c, "{'k':'participants','rows':["
			  "{'bib':'1','sex':'M','birth':'1975-04-20','chips':['C1']},"   /* 40 today */
			  "{'bib':'2','sex':'M','birth':'1975-04-21','chips':['C2']},"   /* 39 */
			  "{'bib':'3','sex':'F','birth':'1975-04-20','chips':['C3']},"   /* F40+ */
			  "{'bib':'4','sex':'F','age':39,'chips':['C4']},"
			  "{'bib':'5','sex':'X','age':25,'fields':{'team':'elite'},'chips':['C5']},"
			  "{'bib':'6','sex':'M','age':17,'fields':{'team':'Elite'},'chips':['C6']}]}"),
		  0);
	ASSERT_STREQ(err, "");
	ASSERT_EQ(rowi(c, "1", "age"), 40);
	ASSERT_EQ(rowi(c, "2", "age"), 39);
	ASSERT_STREQ(rows_str(c, "1", "cats"), "[]");
	ASSERT_STREQ(rows_str(c, "2", "cats"), "[\"M18-39\"]");
	ASSERT_STREQ(rows_str(c, "3", "cats"), "[\"F40+\"]");
	ASSERT_STREQ(rows_str(c, "4", "cats"), "[]");
	ASSERT_STREQ(rows_str(c, "5", "cats"), "[\"elite\"]");
	ASSERT_STREQ(rows_str(c, "6", "cats"), "[]"); /* 17, and 'Elite' != 'elite' */
	rd(c, "C2", "finish", T0 + 3 * H);
	rd(c, "C5", "finish", T0 + 2 * H);
	ASSERT_EQ(rowi(c, "2", "place_cat.M18-39"), 1);
	ASSERT_EQ(rowi(c, "5", "place_cat.elite"), 1);
	ASSERT_EQ(rowi(c, "2", "place"), 2);
	ASSERT_EQ(core_topic_check(c, "results/m/cat/F40+", 18), 0);
	slp_msg m;
	int64_t n = -1;
	ASSERT(snap(c, "results/m/cat/M18-39", 0, 0, &m));
	ASSERT_EQ(slp_get_int(&m.root, "n", &n), 0);
	ASSERT_EQ(n, 1);
	slp_msg_release(&m);
	ASSERT(snap(c, "results/m/sex/M", 0, 0, &m));
	ASSERT_EQ(slp_get_int(&m.root, "n", &n), 0);
	ASSERT_EQ(n, 3);
	slp_msg_release(&m);
	/* re-import replaces the entry: bib 6 is now elite */
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'6','sex':'M','age':17,"
			  "'fields':{'team':'elite'},'chips':['C6']}]}"),
		  0);
	ASSERT_STREQ(rows_str(c, "6", "cats"), "[\"elite\"]");
	core_free(c);
}

/* ---- validation ------------------------------------------------------- */

/* core_check_row: the row at fault as a number, for the server's "row". */
static int check_row_of(const core *c, const char *js, int64_t *row)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", js);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	sl_buf mp = SL_BUF_INIT;
	ASSERT(slp_json_to_msgpack(buf, strlen(buf), &mp) == 0);
	int rc = core_check_row(c, mp.data, mp.len, err, sizeof(err), row);
	sl_buf_release(&mp);
	return rc;
}

static void check_row_numbers(void)
{
	core *c = setup();
	int64_t row = 99;
	add(c, "1", "C1", "M");
	/* a row's own field, a duplicate within the record, a chip held outside it */
	ASSERT_EQ(check_row_of(c, "{'k':'participants','rows':[{'bib':'2'},{'bib':'3'},"
				  "{'bib':'4','sex':'Q'}]}",
			       &row),
		  SL_EINVAL);
	ASSERT_EQ(row, 2);
	ASSERT_STREQ(err, "rows[2].sex: expected M, F or X");
	ASSERT_EQ(check_row_of(c, "{'k':'participants','rows':[{'bib':'2','reg':'R'},"
				  "{'bib':'3','reg':'R'}]}",
			       &row),
		  SL_EINVAL);
	ASSERT_EQ(row, 1);
	ASSERT_STREQ(err, "rows[1].reg: 'R' is also in rows[0]");
	ASSERT_EQ(check_row_of(c, "{'k':'participants','rows':[{'bib':'2'},{'bib':'3',"
				  "'chips':['C1']}]}",
			       &row),
		  SL_EINVAL);
	ASSERT_EQ(row, 1);
	ASSERT_STREQ(err, "rows[1].chips[0]: chip 'C1' belongs to bib '1'");
	/* not a row's fault: -1 */
	ASSERT_EQ(check_row_of(c, "{'k':'participants','rows':{}}", &row), SL_EINVAL);
	ASSERT_EQ(row, -1);
	ASSERT_EQ(check_row_of(c, "{'k':'participants','rows':[{'bib':'2'}]}", &row), 0);
	ASSERT_EQ(row, -1);
	ASSERT_EQ(check_row_of(c, "{'k':'nonsense','rows':[{'bib':'2'}]}", &row), SL_EINVAL);
	ASSERT_EQ(row, -1);
	core_free(c);
}

static void bad_input_changes_nothing(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	rd(c, "C1", "finish", T0 + 3 * H);
	sl_buf before = SL_BUF_INIT, after = SL_BUF_INIT;
	core_snapshot_save(c, &before);
	uint64_t nrec = core_nrecords(c);

	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'test-1','date':'2015-04-20',"
			  "'races':[{'id':'m','points':[{'id':'s','role':'start'},"
			  "{'id':'a','distance_m':5,'role':'split'},{'id':'f','distance_m':9,"
			  "'role':'end'}]}]}}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].points[2].role: expected start, split or finish");
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'test-1','date':'2015-04-20',"
			  "'races':[{'id':'m','points':[{'id':'f','distance_m':9,'role':'finish'}],"
			  "'categories':[{'id':'x','sex':'Q'}]}]}}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].categories[0].sex: expected M, F or X");
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'Bad Id','date':'2015-04-20',"
			  "'races':[]}}"),
		  SL_EINVAL);
	ASSERT(strncmp(err, "event:", 6) == 0);
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'test-1','date':'20-4-2015',"
			  "'races':[]}}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "date: expected YYYY-MM-DD");
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'test-1','date':'2015-04-20',"
			  "'races':[{'id':'m','waves':[{'id':'1','start':'noon'}],"
			  "'points':[{'id':'f','distance_m':9,'role':'finish'}]}]}}"),
		  SL_EINVAL);
	ASSERT(strncmp(err, "races[0].waves[0].start:", 24) == 0);

	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'2','sex':'M'},"
			  "{'bib':'3','sex':'Q'}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[1].sex: expected M, F or X");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'2','birth':'1990-02-30'}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].birth: '1990-02-30' is not a date YYYY-MM-DD");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'name':'x'}]}"), SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].bib: required");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'2','chips':['A','B','C']}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].chips[2]: at most 2 chips");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'2','race':'half'}]}"), SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].race: no race 'half'");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'2','chips':['C1']}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].chips[0]: chip 'C1' belongs to bib '1'");
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'2','age':'old'}]}"), SL_EINVAL);
	ASSERT_STREQ(err, "rows[0].age: expected integer");
	ASSERT_EQ(recf(c, "{'k':'passings','dev':'d','seq':1,'reads':[{'chip':'A','pt':'5k',"
			  "'t':'soon'}]}"),
		  SL_EINVAL);
	ASSERT(strncmp(err, "reads[0].t", 10) == 0);
	ASSERT_EQ(recf(c, "{'k':'nonsense'}"), SL_EINVAL);
	ASSERT_STREQ(err, "k: unknown record kind 'nonsense'");
	ASSERT_EQ(core_apply(c, "\xc1", 1, err, sizeof(err)), SL_EPARSE);

	ASSERT_EQ(core_nrecords(c), nrec);
	core_snapshot_save(c, &after);
	ASSERT_EQ(before.len, after.len);
	ASSERT(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
	sl_buf_release(&before);
	sl_buf_release(&after);

	/* the same checks without applying */
	core *fresh = core_new();
	sl_buf mp = SL_BUF_INIT;
	const char *js = "{\"k\":\"participants\",\"rows\":[{\"bib\":\"1\"}]}";
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
	ASSERT_EQ(core_check(fresh, mp.data, mp.len, err, sizeof(err)), SL_ESTATE);
	ASSERT_EQ(core_check(c, mp.data, mp.len, err, sizeof(err)), 0);
	ASSERT_EQ(core_nrecords(c), nrec);
	sl_buf_release(&mp);
	core_free(fresh);
	core_free(c);
}

/* ---- topics and change sets -------------------------------------------- */

static void topics_and_deltas(void)
{
	core *c = setup();
	ASSERT_EQ(core_topic_check(c, "results/m", 9), 0);
	ASSERT_EQ(core_topic_check(c, "results/x", 9), SL_ENOENT);
	ASSERT_EQ(core_topic_check(c, "results/m/sex/F", 15), 0);
	ASSERT_EQ(core_topic_check(c, "results/m/sex/Q", 15), SL_EINVAL);
	ASSERT_EQ(core_topic_check(c, "results/m/cat/nope", 18), SL_ENOENT);
	ASSERT_EQ(core_topic_check(c, "finishes/m", 10), 0);
	ASSERT_EQ(core_topic_check(c, "athlete/123", 11), 0);
	ASSERT_EQ(core_topic_check(c, "unknown", 7), 0);
	ASSERT_EQ(core_topic_check(c, "status", 6), 0);
	ASSERT_EQ(core_topic_check(c, "weather", 7), SL_EINVAL);
	ASSERT_EQ(core_topic_check(c, "results/", 8), SL_EINVAL);

	add(c, "1", "C1", "M");
	add(c, "2", "C2", "F");
	rd(c, "C1", "finish", T0 + 3 * H);
	core_changes_clear(c);
	ASSERT(!core_changed_all(c));

	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	bool empty;
	slp_packer_init(&pk, &b);
	ASSERT_EQ(core_topic_delta(c, "results/m", 9, &pk, &empty), 0);
	ASSERT(empty);
	ASSERT_EQ(b.len, 0);

	rd(c, "C2", "finish", T0 + 2 * H);
	const uint32_t *ids;
	ASSERT_EQ(core_changed(c, &ids), 1);
	ASSERT_EQ(core_topic_delta(c, "results/m/sex/M", 15, &pk, &empty), 0);
	ASSERT(empty);
	ASSERT_EQ(core_topic_delta(c, "finishes/m", 10, &pk, &empty), 0);
	ASSERT(!empty);
	slp_msg m;
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_MSGPACK), 0);
	sl_buf js = SL_BUF_INIT;
	slp_object_to_json(&m.root, &js);
	ASSERT_STREQ(js.data,
		     "{\"t\":\"delta\",\"topic\":\"finishes/m\",\"n\":2,\"rows\":[{\"bib\":\"2\","
		     "\"name\":\"P 2\",\"sex\":\"F\",\"age\":30,\"club\":\"\",\"race\":\"m\","
		     "\"wave\":\"1\",\"cats\":[],\"status\":\"finished\",\"place\":1,"
		     "\"place_sex\":1,\"place_cat\":{},\"start\":1429538400000,\"net\":7200000,"
		     "\"gun\":7200000,\"pace\":170636,\"splits\":{\"finish\":7200000},"
		     "\"last\":\"finish\",\"proj\":null,\"penalty\":0,\"adj\":7200000,\"reasons\":[]}]}");
	sl_buf_release(&js);
	slp_msg_release(&m);
	core_changes_clear(c);

	/* a later read of a finisher is not a new finish */
	rd(c, "C2", "5k", T0 + 1800000);
	sl_buf_reset(&b);
	ASSERT_EQ(core_topic_delta(c, "finishes/m", 10, &pk, &empty), 0);
	ASSERT(empty);
	ASSERT_EQ(core_topic_delta(c, "athlete/2", 9, &pk, &empty), 0);
	ASSERT(!empty);

	/* snapshot windows */
	sl_buf_reset(&b);
	ASSERT(snap(c, "results/m", 1, 1, &m));
	const msgpack_object_array *rows;
	ASSERT_EQ(slp_get_arr(&m.root, "rows", &rows), 0);
	ASSERT_EQ(rows->size, 1);
	ASSERT(slp_str_eq(slp_get(&rows->ptr[0], "bib"), "1"));
	slp_msg_release(&m);
	sl_buf_release(&b);
	core_free(c);
}

/* The topic as JSON text (snapshot from offset 0). */
static const char *snap_json(const core *c, const char *topic)
{
	static sl_buf js = SL_BUF_INIT;
	slp_msg m;
	sl_buf_reset(&js);
	ASSERT(snap(c, topic, 0, 0, &m));
	slp_object_to_json(&m.root, &js);
	slp_msg_release(&m);
	return js.data ? js.data : "";
}

static void event_and_status_topics(void)
{
	core *c = core_new();
	seq = 0;
	ASSERT_EQ(core_topic_check(c, "event", 5), 0);
	ASSERT_STREQ(snap_json(c, "event"), "{\"t\":\"snapshot\",\"topic\":\"event\",\"n\":0,"
					    "\"offset\":0,\"rows\":[]}");
	ASSERT_EQ(recf(c, CONFIG, 1000), 0);
	ASSERT_STREQ(
		snap_json(c, "event"),
		"{\"t\":\"snapshot\",\"topic\":\"event\",\"n\":1,\"offset\":0,\"rows\":[{\"event\":"
		"\"test-1\",\"name\":\"Test\",\"date\":\"2015-04-20\",\"timezone\":null,"
		"\"races\":[{\"id\":\"m\",\"name\":"
		"\"Marathon\",\"kind\":\"mass\",\"distance_m\":42195.0,\"ranking\":\"net\","
		"\"precision_ms\":1000,\"waves\":[{\"id\":\"1\",\"start\":1429538400000},{\"id\":\"2\","
		"\"start\":null}],\"points\":[{\"id\":\"start\",\"name\":\"Start\",\"distance_m\":0.0,"
		"\"role\":\"start\"},{\"id\":\"5k\",\"name\":\"5k\",\"distance_m\":5000.0,\"role\":"
		"\"split\"},{\"id\":\"finish\",\"name\":\"finish\",\"distance_m\":42195.0,\"role\":"
		"\"finish\"}],\"categories\":[{\"id\":\"M18-39\",\"name\":\"Men 18-39\"},{\"id\":"
		"\"F40+\",\"name\":\"F40+\"},{\"id\":\"elite\",\"name\":\"Elite\"}]}]}]}");
	/* a wave start: known to spectators, through a fresh snapshot */
	core_changes_clear(c);
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'2','t0':%lld}", T0 + 1500000), 0);
	ASSERT(core_changed_all(c));
	ASSERT(strstr(snap_json(c, "event"), "{\"id\":\"2\",\"start\":1429539900000}") != NULL);
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	bool empty;
	slp_packer_init(&pk, &b);
	ASSERT_EQ(core_topic_delta(c, "event", 5, &pk, &empty), 0);
	ASSERT(empty);
	sl_buf_release(&b);

	/* per-race counts on status */
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "F");
	add(c, "3", "C3", "F");
	rd(c, "C1", "finish", T0 + 3 * H);
	rd(c, "C2", "5k", T0 + 1800000);
	ASSERT(strstr(snap_json(c, "status"), "\"races\":[{\"race\":\"m\",\"participants\":3,"
					      "\"started\":2,\"finished\":1,\"results\":{\"state\":"
					      "\"provisional\",") != NULL);
	core_free(c);
}

static void csv_export_format(void)
{
	core *c = setup();
	ASSERT_EQ(recf(c, "{'k':'participants','rows':["
			  "{'bib':'3','name':'Umar Mensah','sex':'M','age':25,'chips':['C3'],'club':'A, B'},"
			  "{'bib':'10','name':'Not Started','sex':'F','age':45,'chips':['C10']},"
			  "{'bib':'4','name':'Kwame','sex':'M','age':30,'chips':['C4']}]}"),
		  0);
	rd(c, "C3", "start", T0 + 1000);
	rd(c, "C3", "5k", T0 + 1000 + 883000);
	rd(c, "C3", "finish", T0 + 1000 + 7757000);
	rd(c, "C4", "start", T0 + 2000);
	rd(c, "C4", "5k", T0 + 2000 + 883400);
	sl_buf csv = SL_BUF_INIT, js = SL_BUF_INIT;
	export(c, &csv, &js);
	ASSERT_STREQ(csv.data,
		     "place,bib,name,sex,age,club,race,wave,status,start_time,net,gun,penalty,"
		     "adjusted,pace,place_sex,categories,place_categories,reasons,results,start,5k,"
		     "finish\n"
		     "1,3,Umar Mensah,M,25,\"A, B\",m,1,finished,2015-04-20T14:00:01.000Z,2:09:17,"
		     "2:09:18,,2:09:17,0:03:03,1,M18-39,1,,provisional,0:00:00,0:14:43,2:09:17\n"
		     ",4,Kwame,M,30,,m,1,on_course,2015-04-20T14:00:02.000Z,,,,,,,M18-39,,,provisional,"
		     "0:00:00,0:14:43,\n"
		     ",10,Not Started,F,45,,m,1,registered,2015-04-20T14:00:00.000Z,,,,,,,F40+,,,"
		     "provisional,,,\n");
	ASSERT(strstr(js.data, "{\"event\":\"test-1\",\"race\":\"m\",\"results\":{\"state\":"
			       "\"provisional\",") == js.data);
	ASSERT(strstr(js.data, "\"rows\":[{\"bib\":\"3\"") != NULL);
	ASSERT_EQ(core_export_csv(c, "nope", &csv), SL_ENOENT);
	sl_buf_release(&csv);
	sl_buf_release(&js);
	core_free(c);
}

/*
 * A road race's penalties, bonuses and disqualifications: the row carries
 * the raw time, the adjustment and the adjusted time, which ranks; the
 * reasons go into the row and the CSV (issue 12: the winner with a penalty
 * used to drop to 2nd with the same time shown, and a DQ had no reason).
 */
static void road_race_decisions_show(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "M");
	add(c, "3", "C3", "M");
	rd(c, "C1", "finish", T0 + 2 * H);
	rd(c, "C2", "finish", T0 + 2 * H + 30000);
	rd(c, "C3", "finish", T0 + 2 * H + 90000);
	ASSERT_EQ(rowi(c, "1", "place"), 1);
	ASSERT_EQ(rowi(c, "1", "adj"), 2 * H);
	ASSERT_EQ(rowi(c, "1", "penalty"), 0);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1','type':'penalty','ms':60000,"
			  "'reason':'cup not in the bin','official':'ref'}"),
		  0);
	ASSERT_EQ(rowi(c, "1", "place"), 2);
	ASSERT_EQ(rowi(c, "1", "net"), 2 * H); /* as measured */
	ASSERT_EQ(rowi(c, "1", "penalty"), 60000);
	ASSERT_EQ(rowi(c, "1", "adj"), 2 * H + 60000); /* what ranks */
	ASSERT(strstr(rows_str(c, "1", "reasons"), "\"cup not in the bin\"") != NULL);
	/* a bonus takes time off */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'3','type':'penalty','ms':-120000,"
			  "'reason':'prime at 5 km','official':'ref'}"),
		  0);
	ASSERT_EQ(rowi(c, "3", "adj"), 2 * H + 90000 - 120000);
	ASSERT_EQ(rowi(c, "3", "place"), 1);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'2','type':'dq','reason':'shortcut at 20 km',"
			  "'official':'ref'}"),
		  0);
	ASSERT_STREQ(rows_str(c, "2", "status"), "\"dsq\"");
	ASSERT(strstr(rows_str(c, "2", "reasons"), "\"shortcut at 20 km\"") != NULL);
	sl_buf csv = SL_BUF_INIT, js = SL_BUF_INIT;
	export(c, &csv, &js);
	/* place,bib,...,net,gun,penalty,adjusted,pace,...,reasons */
	ASSERT(strstr(csv.data, "\n1,3,P 3,M,30,,m,1,finished,2015-04-20T14:00:00.000Z,2:01:30,"
				"2:01:30,-0:02:00,1:59:30,") != NULL);
	ASSERT(strstr(csv.data, "\n2,1,P 1,M,30,,m,1,finished,2015-04-20T14:00:00.000Z,2:00:00,"
				"2:00:00,0:01:00,2:01:00,") != NULL);
	ASSERT(strstr(csv.data, ",penalty: cup not in the bin") != NULL);
	ASSERT(strstr(csv.data, "\n,2,P 2,M,30,,m,1,dsq,") != NULL);
	ASSERT(strstr(csv.data, ",dq: shortcut at 20 km") != NULL);
	/* cleared: back to the measured time */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1','type':'penalty','ms':0,'reason':'appeal',"
			  "'official':'ref'}"),
		  0);
	ASSERT_EQ(rowi(c, "1", "adj"), 2 * H);
	ASSERT_EQ(rowi(c, "1", "penalty"), 0);
	sl_buf_release(&csv);
	sl_buf_release(&js);
	core_free(c);
}

/*
 * Provisional, official, corrected: a race made official, then a result that
 * changes (an official's decision, late reads) marks it corrected with who,
 * why and when; made official again it is official; a snapshot keeps it.
 */
static void results_official_then_corrected(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "M");
	rd(c, "C1", "finish", T0 + 2 * H);
	ASSERT_STREQ(core_race_results_state(c, "m"), "provisional");
	ASSERT_EQ(recf(c, "{'k':'race_official','race':'m','official':'chief','rx':%lld}",
		       (long long)(T0 + 5 * H)),
		  0);
	ASSERT_STREQ(core_race_results_state(c, "m"), "official");
	ASSERT(strstr(snap_json(c, "status"), "\"state\":\"official\",\"official_by\":"
					      "\"chief\"") != NULL);
	/* a record that changes no result corrects nothing */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'2','type':'penalty','ms':0,'reason':'none',"
			  "'official':'ref','rx':%lld}",
		       (long long)(T0 + 5 * H + 1)),
		  0);
	ASSERT_STREQ(core_race_results_state(c, "m"), "official");
	/* a late read that finishes someone does */
	rd(c, "C2", "finish", T0 + 2 * H + 5000);
	ASSERT_STREQ(core_race_results_state(c, "m"), "corrected");
	ASSERT(strstr(snap_json(c, "status"), "\"corrected_why\":\"reads from device") != NULL);
	/* when: the record's receipt, also for reads that take the fast path (mpr) */
	ASSERT(strstr(snap_json(c, "status"), "\"corrected_at\":1700000000000") != NULL);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1','type':'penalty','ms':30000,'reason':'litter',"
			  "'official':'ref','rx':%lld}",
		       (long long)(T0 + 6 * H)),
		  0);
	const char *st = snap_json(c, "status");
	ASSERT(strstr(st, "\"state\":\"corrected\",\"official_by\":\"chief\"") != NULL);
	ASSERT(strstr(st, "\"corrected_by\":\"ref\",\"corrected_why\":\"litter\"") != NULL);
	/* a snapshot knows */
	core *d = reload(c);
	ASSERT_STREQ(core_race_results_state(d, "m"), "corrected");
	ASSERT(strstr(snap_json(d, "status"), "\"corrected_why\":\"litter\"") != NULL);
	core_free(d);
	/* the export says it on every row */
	sl_buf csv = SL_BUF_INIT, js = SL_BUF_INIT;
	export(c, &csv, &js);
	ASSERT(strstr(csv.data, ",corrected,") != NULL && strstr(csv.data, ",provisional,") == NULL);
	ASSERT(strstr(js.data, "\"results\":{\"state\":\"corrected\"") != NULL);
	sl_buf_release(&csv);
	sl_buf_release(&js);
	/* official again */
	ASSERT_EQ(recf(c, "{'k':'race_official','race':'m','official':'chief','rx':%lld}",
		       (long long)(T0 + 7 * H)),
		  0);
	ASSERT_STREQ(core_race_results_state(c, "m"), "official");
	/* the same entries again change no result: still official */
	add(c, "1", "C1", "M");
	ASSERT_STREQ(core_race_results_state(c, "m"), "official");
	/* an entry corrected (her sex) moves places: corrected */
	add(c, "2", "C2", "F");
	ASSERT_STREQ(core_race_results_state(c, "m"), "corrected");
	ASSERT(strstr(snap_json(c, "status"), "\"corrected_why\":\"participants changed\"") != NULL);
	core_free(c);
}

/*
 * Every official's decision is a row of the audit trail: what, who, when,
 * why, the value before and after, and how many results it changed; a
 * timing device's reads are not decisions, an official's own are.
 */
static void decisions_in_the_audit_trail(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "M");
	rd(c, "C1", "finish", T0 + 2 * H);
	rd(c, "C2", "finish", T0 + 2 * H + 30000);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1','type':'penalty','ms':60000,'reason':'litter',"
			  "'official':'ref','rx':%lld}",
		       (long long)(T0 + 3 * H)),
		  0);
	const char *a = snap_json(c, "audit");
	ASSERT(strstr(a, "\"op\":\"penalty\",\"t\":1429549200000,\"dev\":null,\"by\":\"ref\","
			 "\"bib\":\"1\",\"race\":null,\"pt\":null,\"reason\":\"litter\","
			 "\"from\":\"none\",\"to\":\"+0:01:00\",\"changed\":1") != NULL);
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'2','type':'dq','reason':'shortcut','official':'ref',"
			  "'rx':%lld}",
		       (long long)(T0 + 3 * H + 1)),
		  0);
	ASSERT(strstr(snap_json(c, "audit"), "\"op\":\"dq\"") &&
	       strstr(snap_json(c, "audit"), "\"from\":\"off\",\"to\":\"on\",\"changed\":1"));
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'1','t0':%lld,'reason':'clock',"
			  "'official':'starter','rx':%lld}",
		       (long long)(T0 + 5000), (long long)(T0 + 4 * H)),
		  0);
	a = snap_json(c, "audit");
	ASSERT(strstr(a, "\"op\":\"wave_start\"") && strstr(a, "\"race\":\"m\",\"pt\":\"wave 1\"") &&
	       strstr(a, "\"from\":\"2015-04-20T14:00:00.000Z\",\"to\":\"2015-04-20T14:00:05.000Z\""));
	ASSERT_EQ(recf(c, "{'k':'race_official','race':'m','official':'chief','rx':%lld}",
		       (long long)(T0 + 5 * H)),
		  0);
	ASSERT(strstr(snap_json(c, "audit"), "\"from\":\"provisional\",\"to\":\"official\""));
	/* a timing device's reads are no decision; an official's hand-entered one is */
	size_t before = checkin_audit(c, 0, NULL, NULL);
	rd(c, "C1", "5k", T0 + 900000);
	ASSERT_EQ(checkin_audit(c, 0, NULL, NULL), before);
	ASSERT_EQ(recf(c, "{'k':'passings','dev':'official-0123456789ab','seq':1,'reads':[{'bib':'2',"
			  "'pt':'5k','t':%lld,'kind':'manual'}],'rx':%lld}",
		       (long long)(T0 + 950000), (long long)(T0 + 6 * H)),
		  0);
	ASSERT_EQ(checkin_audit(c, 0, NULL, NULL), before + 1);
	ASSERT(strstr(snap_json(c, "audit"), "\"op\":\"passing\"") &&
	       strstr(snap_json(c, "audit"), "\"to\":\"bib 2 at 5k 2015-04-20T14:15:50.000Z (manual) seq 1\""));
	/* undone by another decision, also in the trail */
	ASSERT_EQ(recf(c, "{'k':'adjust','bib':'1','type':'penalty','ms':0,'reason':'appeal',"
			  "'official':'jury','rx':%lld}",
		       (long long)(T0 + 7 * H)),
		  0);
	ASSERT(strstr(snap_json(c, "audit"), "\"reason\":\"appeal\",\"from\":\"+0:01:00\","
					     "\"to\":\"none\""));
	/* a snapshot keeps the trail */
	core *d = reload(c);
	ASSERT_EQ(checkin_audit(d, 0, NULL, NULL), checkin_audit(c, 0, NULL, NULL));
	core_free(d);
	core_free(c);
}

/*
 * read_void: an official names one read by (device, seq) and it counts for
 * nothing, whichever device sent it; restored (on false), it counts again.
 * Both are decisions in the audit trail; a snapshot keeps the state and
 * still finds reads folded before it; a resend of the voided batch does not
 * bring the read back.  Refused, changing nothing: a device or seq with no
 * read, a read void already, a restore of a counted read, no reason, no
 * official, a bad device name or seq.
 */
static void read_void_takes_back_a_read(void)
{
	core *c = setup();
	add(c, "1", "C1", "M");
	add(c, "2", "C2", "M");
	rd(c, "C1", "finish", T0 + 2 * H);               /* mat seq 1 */
	rd(c, "C1", "finish", T0 + 2 * H + 20000);       /* mat seq 2: first rule keeps seq 1 */
	ASSERT_EQ(rowi(c, "1", "net"), 2 * H);
	/* an official's hand entry for the wrong bib, then taken back */
	ASSERT_EQ(recf(c, "{'k':'passings','dev':'official-0123456789ab','seq':1,'reads':[{'bib':'2',"
			  "'pt':'finish','t':%lld,'kind':'manual'}],'rx':%lld}",
		       (long long)(T0 + 2 * H + 5000), (long long)(T0 + 3 * H)),
		  0);
	ASSERT_STREQ(rows_str(c, "2", "status"), "\"finished\"");
	size_t before = checkin_audit(c, 0, NULL, NULL);
	ASSERT_EQ(recf(c, "{'k':'read_void','dev':'official-0123456789ab','seq':1,'reason':'wrong bib',"
			  "'official':'ref','rx':%lld}",
		       (long long)(T0 + 3 * H + 1)),
		  0);
	ASSERT_STREQ(rows_str(c, "2", "status"), "\"registered\"");
	ASSERT_EQ(rowi(c, "2", "net"), NIL_V);
	ASSERT_EQ(checkin_audit(c, 0, NULL, NULL), before + 1);
	const char *a = snap_json(c, "audit");
	ASSERT(strstr(a, "\"op\":\"read_void\",\"t\":1429549200001,\"dev\":null,\"by\":\"ref\","
			 "\"bib\":\"2\",\"race\":null,\"pt\":\"finish\",\"reason\":\"wrong bib\","
			 "\"from\":\"bib 2 at finish 2015-04-20T16:00:05.000Z (manual), device "
			 "official-0123456789ab seq 1\",\"to\":\"void\",\"changed\":1") != NULL);
	/* the batch sent again is a duplicate: the read stays void */
	ASSERT_EQ(recf(c, "{'k':'passings','dev':'official-0123456789ab','seq':1,'reads':[{'bib':'2',"
			  "'pt':'finish','t':%lld,'kind':'manual'}],'rx':%lld}",
		       (long long)(T0 + 2 * H + 5000), (long long)(T0 + 3 * H)),
		  0);
	ASSERT_STREQ(rows_str(c, "2", "status"), "\"registered\"");

	/* a timing mat's read: the next read under the rule takes its place */
	ASSERT_EQ(recf(c, "{'k':'read_void','dev':'mat','seq':1,'reason':'spectator near the mat',"
			  "'official':'ref'}"),
		  0);
	ASSERT_EQ(rowi(c, "1", "net"), 2 * H + 20000);

	/* refused, and nothing changes */
	core *d = reload(c);
	struct {
		int rc;
		const char *js, *want;
	} bad[] = {
		{SL_ENOENT, "'dev':'nobody','seq':1", "dev: no read came from device 'nobody'"},
		{SL_ENOENT, "'dev':'mat','seq':3", "seq: device 'mat' has no read 3 (its reads go up to 2)"},
		{SL_ESTATE, "'dev':'mat','seq':1", "read 1 of device 'mat' is void already"},
		{SL_ESTATE, "'dev':'mat','seq':2,'on':false",
		 "read 2 of device 'mat' is not void: nothing to restore"},
		{SL_EINVAL, "'dev':'mat','seq':0", "seq: expected an integer from 1 to 2^53-1"},
		{SL_EINVAL, "'dev':'mat','seq':'1'", "seq: expected an integer from 1 to 2^53-1"},
		{SL_EINVAL, "'seq':1", "dev: required: the device that sent the read"},
		{SL_EINVAL, "'dev':'../mat','seq':1", "dev: not a device name ([A-Za-z0-9_.-], 1 to 64)"},
		{SL_EINVAL, "'dev':'mat','seq':2,'on':1", "on: expected boolean"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(recf(c, "{'k':'read_void',%s,'reason':'r','official':'ref'}", bad[i].js),
			  bad[i].rc);
		ASSERT_STREQ(err, bad[i].want);
	}
	ASSERT_EQ(recf(c, "{'k':'read_void','dev':'mat','seq':2,'official':'ref'}"), SL_EINVAL);
	ASSERT_STREQ(err, "reason: required (why the read does not count)");
	ASSERT_EQ(recf(c, "{'k':'read_void','dev':'mat','seq':2,'reason':'r','official':''}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "official: required (who decided)");
	ASSERT(same_snapshot(c, d));

	/* a snapshot keeps what is void and finds the reads folded before it */
	ASSERT_EQ(rowi(d, "1", "net"), 2 * H + 20000);
	ASSERT_STREQ(rows_str(d, "2", "status"), "\"registered\"");
	ASSERT_EQ(recf(d, "{'k':'read_void','dev':'official-0123456789ab','seq':1,'on':false,"
			  "'reason':'it was bib 2 after all','official':'jury'}"),
		  0);
	ASSERT_STREQ(rows_str(d, "2", "status"), "\"finished\"");
	ASSERT_EQ(rowi(d, "2", "net"), 2 * H + 5000);
	ASSERT(strstr(snap_json(d, "audit"), "\"op\":\"read_restore\"") != NULL);
	ASSERT(strstr(snap_json(d, "audit"), "\"from\":\"void\",\"to\":\"bib 2 at finish") != NULL);
	core_free(d);

	/* a device at the last seq there is (2^53-1): its read found, and the snapshot loads */
	struct r last = {"C2", NULL, "finish", T0 + 2 * H + 30000, SLP_KIND_RFID};
	ASSERT_EQ(pass_dev(c, "edge", 9007199254740991ULL, &last, 1), 0);
	ASSERT_EQ(rowi(c, "2", "net"), 2 * H + 30000);
	core *e = reload(c);
	ASSERT_EQ(recf(e, "{'k':'read_void','dev':'edge','seq':9007199254740991,'reason':'r',"
			  "'official':'ref'}"),
		  0);
	ASSERT_EQ(rowi(e, "2", "net"), NIL_V);
	core_free(e);

	/* an unknown chip's only read, void: no longer in the unknown list */
	rd(c, "STRAY", "finish", T0 + 2 * H);
	ASSERT(strstr(snap_json(c, "status"), "\"unknown\":1") != NULL);
	ASSERT_EQ(recf(c, "{'k':'read_void','dev':'mat','seq':3,'reason':'test tag','official':'ref'}"),
		  0);
	ASSERT(strstr(snap_json(c, "status"), "\"unknown\":0") != NULL);
	core_free(c);
}

/* Text a spreadsheet would run as a formula is exported as text (OWASP). */
static void csv_cells_are_never_formulas(void)
{
	core *c = setup();
	ASSERT_EQ(recf(c, "{'k':'participants','rows':["
			  "{'bib':'5','name':'=HYPERLINK(\\\"http://x\\\",\\\"y\\\")','club':'+1',"
			  "'chips':['C5']},"
			  "{'bib':'6','name':'@SUM(A1)','club':'-2','chips':['C6']},"
			  "{'bib':'7','name':'Ann = Bo','club':'A-1','chips':['C7']}]}"),
		  0);
	sl_buf csv = SL_BUF_INIT, js = SL_BUF_INIT;
	export(c, &csv, &js);
	ASSERT(strstr(csv.data, ",5,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",,,\"'+1\",") != NULL);
	ASSERT(strstr(csv.data, ",6,\"'@SUM(A1)\",,,\"'-2\",") != NULL);
	ASSERT(strstr(csv.data, ",7,Ann = Bo,,,A-1,") != NULL); /* only a leading sign */
	/* JSON keeps the text as it is */
	ASSERT(strstr(js.data, "\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\"") != NULL);
	sl_buf_release(&csv);
	sl_buf_release(&js);
	core_free(c);
}

/* ---- snapshots and determinism ------------------------------------------ */

/* A scripted event: every kind of record, in a fixed order. */
static size_t script(sl_buf **recs)
{
	size_t n = 0, cap = 64;
	sl_buf *r = calloc(cap, sizeof(*r));
	char js[4096];
#define ADD_JSON(...)                                                                 \
	do {                                                                          \
		snprintf(js, sizeof(js), __VA_ARGS__);                                \
		for (char *p = js; *p; p++)                                           \
			if (*p == '\'')                                               \
				*p = '"';                                             \
		if (n == cap)                                                         \
			r = realloc(r, (cap *= 2) * sizeof(*r));                      \
		sl_buf_init(&r[n]);                                                   \
		ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &r[n]), 0);             \
		n++;                                                                  \
	} while (0)
	ADD_JSON(CONFIG, 1000);
	unsigned rng = 12345;
	for (int b = 0; b < 6; b++) {
		char rows[3000] = "";
		for (int i = 0; i < 10; i++) {
			char row[200];
			int bib = b * 10 + i + 1 + (b >= 3 ? 1000 : 0);
			snprintf(row, sizeof(row),
				 "%s{'bib':'%d','name':'R%d','sex':'%s','age':%d,'chips':['K%d']}",
				 i ? "," : "", bib, bib, i % 3 == 0 ? "F" : "M", 20 + i * 3, bib);
			strcat(rows, row);
		}
		ADD_JSON("{'k':'participants','rows':[%s]}", rows);
	}
	ADD_JSON("{'k':'wave_start','race':'m','wave':'2','t0':%lld}", (long long)(T0 + 1500000));
	for (int b = 0; b < 30; b++) {
		char reads[4000] = "";
		for (int i = 0; i < 8; i++) {
			char one[200];
			rng = rng * 1103515245u + 12345u;
			int who = (int)(rng >> 16) % 62;
			int bib = who < 30 ? who + 1 : 1000 + who - 30 + 1;
			const char *pt = (rng >> 8) % 3 == 0 ? "start" : (rng >> 9) % 2 ? "5k" : "finish";
			int64_t t = T0 + (int64_t)((rng >> 4) % 12000) * 1000;
			snprintf(one, sizeof(one), "%s{'chip':'K%d','pt':'%s','t':%lld%s}", i ? "," : "",
				 bib, pt, (long long)t, (rng & 7) == 0 ? ",'kind':'handheld'" : "");
			strcat(reads, one);
		}
		ADD_JSON("{'k':'passings','dev':'d%d','seq':%d,'reads':[%s]}", b % 3, (b / 3) * 8 + 1,
			 reads);
		if (b == 17) /* a resend of an earlier batch */
			ADD_JSON("{'k':'passings','dev':'d0','seq':1,'reads':[{'chip':'K1','pt':'finish','t':%lld}]}",
				 (long long)(T0 + 100));
		if (b == 20)
			ADD_JSON("{'k':'wave_start','race':'m','wave':'1','t0':%lld}",
				 (long long)(T0 + 20000));
		if (b == 24)
			ADD_JSON("{'k':'participants','rows':[{'bib':'2','name':'R2b','sex':'F','age':41,"
				 "'chips':['K2','Z2']}]}");
		if (b == 22 || b == 26) /* read 3 of d1 void, then read 2 of d2 */
			ADD_JSON("{'k':'read_void','dev':'d%d','seq':%d,'reason':'r','official':'o'}",
				 b == 22 ? 1 : 2, b == 22 ? 3 : 2);
		if (b == 28) /* and read 3 of d1 counts again */
			ADD_JSON("{'k':'read_void','dev':'d1','seq':3,'on':false,'reason':'r',"
				 "'official':'o'}");
	}
	ADD_JSON("{'k':'passings','dev':'x','seq':1,'reads':[{'chip':'Z2','pt':'finish','t':%lld},"
		 "{'chip':'NOPE','pt':'5k','t':%lld}]}",
		 (long long)(T0 + 3 * H), (long long)(T0 + H));
	ADD_JSON("{'k':'read_void','dev':'x','seq':2,'reason':'r','official':'o'}");
#undef ADD_JSON
	*recs = r;
	return n;
}

static void state_bytes(const core *c, sl_buf *all)
{
	sl_buf csv = SL_BUF_INIT, js = SL_BUF_INIT, snapb = SL_BUF_INIT;
	export(c, &csv, &js);
	core_snapshot_save(c, &snapb);
	sl_buf_add(all, csv.data, csv.len);
	sl_buf_add(all, js.data, js.len);
	sl_buf_add(all, snapb.data, snapb.len);
	sl_buf_release(&csv);
	sl_buf_release(&js);
	sl_buf_release(&snapb);
}

static void snapshot_then_rest_equals_full(void)
{
	sl_buf *recs;
	size_t n = script(&recs);
	core *full = core_new();
	for (size_t i = 0; i < n; i++)
		ASSERT_EQ(core_apply(full, recs[i].data, recs[i].len, err, sizeof(err)), 0);
	sl_buf want = SL_BUF_INIT;
	state_bytes(full, &want);
	ASSERT_EQ(core_nrecords(full), n);

	for (size_t cut = 0; cut <= n; cut += 3) {
		core *a = core_new();
		for (size_t i = 0; i < cut; i++)
			ASSERT_EQ(core_apply(a, recs[i].data, recs[i].len, err, sizeof(err)), 0);
		sl_buf s = SL_BUF_INIT;
		core_snapshot_save(a, &s);
		core_free(a);
		core *b = core_new();
		ASSERT_EQ(core_snapshot_load(b, s.data, s.len, err, sizeof(err)), 0);
		ASSERT_EQ(core_nrecords(b), cut);
		for (size_t i = cut; i < n; i++)
			ASSERT_EQ(core_apply(b, recs[i].data, recs[i].len, err, sizeof(err)), 0);
		sl_buf got = SL_BUF_INIT;
		state_bytes(b, &got);
		ASSERT_EQ(got.len, want.len);
		ASSERT(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
		sl_buf_release(&got);
		sl_buf_release(&s);
		core_free(b);
	}
	/* a second full fold gives the same bytes */
	core *again = core_new();
	for (size_t i = 0; i < n; i++)
		core_apply(again, recs[i].data, recs[i].len, err, sizeof(err));
	sl_buf got = SL_BUF_INIT;
	state_bytes(again, &got);
	ASSERT(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
	sl_buf_release(&got);
	core_free(again);

	/* a corrupt snapshot is refused and leaves the core empty */
	sl_buf s = SL_BUF_INIT;
	core_snapshot_save(full, &s);
	core *bad = core_new();
	ASSERT(core_snapshot_load(bad, s.data, s.len / 2, err, sizeof(err)) < 0);
	ASSERT(core_event_id(bad) == NULL);
	ASSERT_EQ(core_snapshot_load(bad, s.data, s.len, err, sizeof(err)), 0);
	ASSERT_STREQ(core_event_id(bad), "test-1");
	ASSERT_EQ(core_snapshot_load(bad, s.data, s.len, err, sizeof(err)), SL_ESTATE);
	core_free(bad);
	sl_buf_release(&s);

	sl_buf_release(&want);
	for (size_t i = 0; i < n; i++)
		sl_buf_release(&recs[i]);
	free(recs);
	core_free(full);
}

/* ---- randomized places against a brute-force ranking -------------------- */

static void check_places(const core *c, const char *topic)
{
	slp_msg m;
	const msgpack_object_array *rows;
	ASSERT(snap(c, topic, 0, 0, &m));
	ASSERT_EQ(slp_get_arr(&m.root, "rows", &rows), 0);
	size_t n = rows->size;
	int64_t *net = calloc(n + 1, sizeof(*net)), *place = calloc(n + 1, sizeof(*place));
	bool key_sex = strstr(topic, "/sex/") != NULL;
	for (size_t i = 0; i < n; i++) {
		if (slp_get_int(&rows->ptr[i], "net", &net[i]) < 0)
			net[i] = -1;
		if (slp_get_int(&rows->ptr[i], key_sex ? "place_sex" : "place", &place[i]) < 0)
			place[i] = -1;
	}
	int64_t prev = 0;
	bool seen_unranked = false;
	for (size_t i = 0; i < n; i++) {
		if (net[i] < 0) {
			ASSERT_EQ(place[i], -1);
			seen_unranked = true;
			continue;
		}
		ASSERT(!seen_unranked); /* finishers first */
		int64_t want = 1;
		for (size_t j = 0; j < n; j++)
			if (net[j] >= 0 && net[j] / 1000 < net[i] / 1000)
				want++;
		if (place[i] != want) {
			fprintf(stderr, "%s row %zu: place %lld, brute force %lld\n", topic, i,
				(long long)place[i], (long long)want);
			t_failed_asserts++;
			break;
		}
		ASSERT(place[i] >= prev);
		prev = place[i];
	}
	free(net);
	free(place);
	slp_msg_release(&m);
}

static void random_places_match_bruteforce(void)
{
	core *c = setup();
	unsigned rng = 777;
#define RND() (rng = rng * 1664525u + 1013904223u, rng >> 8)
	char bib[16], chip[16];
	for (int i = 1; i <= 300; i++) {
		snprintf(bib, sizeof(bib), "%d", i);
		snprintf(chip, sizeof(chip), "C%d", i);
		add(c, bib, chip, RND() % 2 ? "M" : "F");
	}
	for (int step = 0; step < 1500; step++) {
		unsigned op = RND() % 20;
		int who = 1 + (int)(RND() % 300);
		snprintf(bib, sizeof(bib), "%d", who);
		snprintf(chip, sizeof(chip), "C%d", who);
		if (op < 13) {
			/* finish reads in a narrow band: plenty of ties at 1 s */
			rd(c, chip, "finish", T0 + 3 * H + (int64_t)(RND() % 40000));
		} else if (op < 17) {
			rd(c, chip, "start", T0 + (int64_t)(RND() % 20000));
		} else if (op < 19) {
			/* re-import: may change sex, moves between sex lists */
			add(c, bib, chip, RND() % 2 ? "M" : "F");
		} else {
			ASSERT_EQ(recf(c, "{'k':'wave_start','race':'m','wave':'1','t0':%lld}",
				       (long long)(T0 + (int64_t)(RND() % 5000))),
				  0);
		}
		if (step % 150 == 149) {
			check_places(c, "results/m");
			check_places(c, "results/m/sex/M");
			check_places(c, "results/m/sex/F");
		}
	}
#undef RND
	core_free(c);
}

/*
 * The fold reads the server's own passings records straight from their
 * bytes when "k" comes first, and through the general msgpack tree
 * otherwise.  Both must give the same result, the same error and the same
 * state for every shape of record, good or bad.
 */
static void fast_and_general_paths_agree(void)
{
	static const char *const bodies[] = {
		"'dev':'mat','seq':1,'reads':[{'chip':'A1','pt':'start','t':1429538410000},"
		"{'chip':'A2','pt':'start','t':1429538411000,'kind':'rfid','hits':3,'rssi':-60}]",
		"'dev':'mat','seq':3,'reads':[{'bib':'1','pt':'5k','t':1429539600000,'kind':'handheld'}]",
		"'dev':'mat','seq':4,'reads':[{'chip':'A1','bib':'1','pt':'5k','t':1429539600000}]",
		"'dev':'mat','seq':4,'reads':[{'chip':'A1','pt':'5k'}]",
		"'dev':'mat','seq':4,'reads':[{'chip':'A1','pt':'5k','t':1429539600000,'kind':'bogus'}]",
		"'dev':'mat','seq':4,'reads':[{'chip':'A2','pt':'5k','t':1429539700000.0}]",
		"'dev':'mat','seq':5,'x':{'a':[1,2]},'reads':[{'chip':'A1','pt':'finish',"
		"'t':1429547000000,'y':1.5}],'rx':1700000000000",
		"'dev':'mat','seq':0,'reads':[{'chip':'A1','pt':'5k','t':1429539600000}]",
		"'dev':'mat','seq':6,'reads':[]",
		"'dev':'','seq':6,'reads':[{'chip':'A1','pt':'5k','t':1429539600000}]",
		"'seq':6,'reads':[{'chip':'A1','pt':'5k','t':1429539600000}]",
		"'dev':'mat','seq':6,'reads':[{'chip':'A9','pt':'nowhere','t':1429539600000}]",
		"'dev':'mat','seq':5,'reads':[{'chip':'A2','pt':'finish','t':1429548000000},"
		"{'chip':'A2','pt':'finish','t':1429548500000}]",
		"'dev':'mat','seq':8,'reads':[{'chip':'A2','pt':'finish','t':99}]",
		"'dev':'mat','seq':8,'reads':[{'chip':'','pt':'finish','t':1429548000000}]",
		"'dev':'mat','seq':8,'reads':{'chip':'A2'}",
	};
	core *a = setup(), *b = setup();
	add(a, "1", "A1", "M");
	add(a, "2", "A2", "F");
	add(b, "1", "A1", "M");
	add(b, "2", "A2", "F");
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char erra[256];
		int ra = recf(a, "{'k':'passings',%s}", bodies[i]);
		snprintf(erra, sizeof(erra), "%s", err);
		int rb = recf(b, "{%s,'k':'passings'}", bodies[i]);
		if (ra != rb || strcmp(erra, err) != 0) {
			fprintf(stderr, "record %zu: k first %d '%s', k last %d '%s'\n", i, ra, erra,
				rb, err);
			t_failed_asserts++;
		}
	}
	ASSERT_EQ(rowi(a, "2", "net"), rowi(b, "2", "net"));
	ASSERT(rowi(a, "1", "net") > 0);
	sl_buf sa = SL_BUF_INIT, sb = SL_BUF_INIT;
	state_bytes(a, &sa);
	state_bytes(b, &sb);
	ASSERT(sa.len == sb.len && memcmp(sa.data, sb.data, sa.len) == 0);
	sl_buf_release(&sa);
	sl_buf_release(&sb);
	core_free(a);
	core_free(b);
}

/* ---- a config sent now: the strict rules (config.h) --------------------- */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* core_check of a config record whose races[0] is race (JSON, ' for "). */
static int cfg_race(const char *race)
{
	core *c = core_new();
	char js[4096];
	snprintf(js, sizeof(js), "{'k':'config','config':{'event':'e','date':'2015-04-20','races':[%s]}}",
		 race);
	for (char *p = js; *p; p++)
		if (*p == '\'')
			*p = '"';
	sl_buf mp = SL_BUF_INIT;
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
	err[0] = '\0';
	int rc = core_check(c, mp.data, mp.len, err, sizeof(err));
	sl_buf_release(&mp);
	core_free(c);
	return rc;
}

#define FIN "'points':[{'id':'f','distance_m':9,'role':'finish'}]"

static void config_unknown_keys(void)
{
	core *c = core_new();
	/* every map of the config, with the nearest known key when close */
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'e','date':'2015-04-20','timezon':'UTC',"
			  "'races':[{'id':'m'," FIN "}]}}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "timezon: unknown key; did you mean 'timezone'?");
	ASSERT_EQ(cfg_race("{'id':'m','rankng':'gun'," FIN "}"), SL_EINVAL);
	ASSERT_STREQ(err, "races[0].rankng: unknown key; did you mean 'ranking'?");
	ASSERT_EQ(cfg_race("{'id':'m','distanse_m':9," FIN "}"), SL_EINVAL);
	ASSERT_STREQ(err, "races[0].distanse_m: unknown key; did you mean 'distance_m'?");
	ASSERT_EQ(cfg_race("{'id':'m','waves':[{'id':'1','bib':'1-9'}]," FIN "}"), SL_EINVAL);
	ASSERT_STREQ(err, "races[0].waves[0].bib: unknown key; did you mean 'bibs'?");
	ASSERT_EQ(cfg_race("{'id':'m','points':[{'id':'f','distanse_m':9,'role':'finish'}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].points[0].distanse_m: unknown key; did you mean 'distance_m'?");
	ASSERT_EQ(cfg_race("{'id':'m'," FIN ",'categories':[{'id':'a','agemin':40}]}"), SL_EINVAL);
	ASSERT_STREQ(err, "races[0].categories[0].agemin: unknown key; did you mean 'age_min'?");
	ASSERT_EQ(cfg_race("{'id':'m'," FIN ",'handicap':{'units':'secs','rows':[]}}"), SL_EINVAL);
	ASSERT_STREQ(err, "races[0].handicap.units: unknown key; did you mean 'unit'?");
	ASSERT_EQ(cfg_race("{'id':'m'," FIN ",'handicap':{'rows':[{'value':1,'clas':'1x'}]}}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].handicap.rows[0].clas: unknown key; did you mean 'class'?");
	ASSERT_EQ(cfg_race("{'id':'m','points':[{'id':'f','distance_m':9,'role':'finish'},"
			   "{'id':'f2','station_of':'f','role':'finish'}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].points[1].role: unknown key; a backup station (station_of) has "
			  "only id and station_of");
	/* far from every key: no guess */
	ASSERT_EQ(cfg_race("{'id':'m','colour':'red'," FIN "}"), SL_EINVAL);
	ASSERT_STREQ(err, "races[0].colour: unknown key");
	/* regatta keys are known */
	ASSERT_EQ(cfg_race("{'id':'m','kind':'lanes','lanes':6,'lane_order':[3,4,2,5,1,6],"
			   "'start_interval_s':10,'progression':'1-2 to Final','boat_class':'1x',"
			   "'bib_pool':'1-9','handicap':{'unit':'factor','rows':[{'class':'1x',"
			   "'age_min':50,'age_max':59,'value':0.9}]},'points':[{'id':'f',"
			   "'distance_m':9,'role':'finish','stations':['f2']}]}"),
		  0);
	ASSERT_STREQ(err, "");
	ASSERT_EQ(core_nrecords(c), 0);
	core_free(c);
}

/*
 * A race's optional GPX course: in the event topic for pages (with the boat
 * class and progression rule when set); not a string, no track point or
 * over CFG_GPX_MAX bytes is refused, naming the key.
 */
static void config_gpx_course(void)
{
	const char *gpx = "<gpx><trk><trkseg><trkpt lat=42.1 lon=-71.5></trkpt></trkseg></trk></gpx>";
	char race[512];
	snprintf(race, sizeof(race), "{'id':'m','gpx':'%s'," FIN "}", gpx);
	ASSERT_EQ(cfg_race(race), 0);
	ASSERT_EQ(cfg_race("{'id':'m','gpx':42," FIN "}"), SL_EINVAL);
	ASSERT(starts(err, "races[0].gpx"));
	ASSERT_EQ(cfg_race("{'id':'m','gpx':'<gpx></gpx>'," FIN "}"), SL_EINVAL);
	ASSERT_STREQ(err, "races[0].gpx: no <trkpt> or <rtept> in it: expected a GPX track");

	core *c = core_new();
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'e','date':'2015-04-20','races':[{'id':'m',"
			  "'gpx':'%s'," FIN "},{'id':'r','name':'16 Men 4+','kind':'lanes',"
			  "'progression':'3 to Final'," FIN "}]}}", gpx),
		  0);
	const char *ev = snap_json(c, "event");
	char want[512];
	snprintf(want, sizeof(want), "{\"id\":\"m\",\"gpx\":\"%s\",\"name\"", gpx);
	ASSERT(strstr(ev, want) != NULL);
	ASSERT(strstr(ev, "{\"id\":\"r\",\"boat_class\":\"4+\",\"progression\":\"3 to Final\","
			  "\"name\"") != NULL);
	/* the bound: CFG_GPX_MAX bytes go in, one more is refused */
	size_t cap = CFG_GPX_MAX + 256;
	char *js = malloc(cap);
	for (int extra = 0; extra <= 1; extra++) {
		size_t body = CFG_GPX_MAX - strlen(gpx) + (size_t)extra;
		int n = snprintf(js, cap, "{\"k\":\"config\",\"config\":{\"event\":\"e\",\"date\":"
				 "\"2015-04-20\",\"races\":[{\"id\":\"m\",\"gpx\":\"%s", gpx);
		memset(js + n, ' ', body);
		snprintf(js + n + body, cap - (size_t)n - body,
			 "\",\"points\":[{\"id\":\"f\",\"distance_m\":9,\"role\":\"finish\"}]}]}}");
		sl_buf mp = SL_BUF_INIT;
		ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
		err[0] = '\0';
		ASSERT_EQ(core_check(c, mp.data, mp.len, err, sizeof(err)), extra ? SL_EINVAL : 0);
		if (extra)
			ASSERT(starts(err, "races[0].gpx: 262145 bytes, at most 262144"));
		sl_buf_release(&mp);
	}
	free(js);
	core_free(c);
}

/* A participant's custom field "country" is in their result row (pages filter by it); none, no key. */
static void result_row_country(void)
{
	core *c = setup();
	ASSERT_EQ(recf(c, "{'k':'participants','rows':[{'bib':'1','name':'Ann','sex':'F','age':30,"
			  "'fields':{'country':'ETH','team':'elite'}},{'bib':'2','name':'Bo','sex':'M',"
			  "'age':30,'fields':{'team':'x'}},{'bib':'3','name':'Cy','sex':'M','age':30,"
			  "'fields':{'country':''}}]}"),
		  0);
	const char *js = snap_json(c, "athlete/1");
	ASSERT(strstr(js, "{\"bib\":\"1\",\"country\":\"ETH\",\"name\":\"Ann\"") != NULL);
	ASSERT(strstr(snap_json(c, "athlete/2"), "country") == NULL);
	ASSERT(strstr(snap_json(c, "athlete/3"), "country") == NULL);
	core_free(c);
}

static void config_times_need_an_offset(void)
{
	ASSERT_EQ(cfg_race("{'id':'m','waves':[{'id':'1','start':'2015-04-20T10:00:00'}]," FIN "}"),
		  SL_EINVAL);
	ASSERT(starts(err, "races[0].waves[0].start: '2015-04-20T10:00:00' has no UTC offset: add one"));
	ASSERT_EQ(cfg_race("{'id':'m','waves':[{'id':'1','start':'2015-04-20'}]," FIN "}"), SL_EINVAL);
	ASSERT(starts(err, "races[0].waves[0].start: '2015-04-20' has no UTC offset"));
	ASSERT_EQ(cfg_race("{'id':'m','waves':[{'id':'1','start':'2015-04-20T14:00:00Z'},"
			   "{'id':'2','start':'2015-04-20T10:25:00-04:00'},"
			   "{'id':'3','start':1429540200000}]," FIN "}"),
		  0);

	/* a timezone: its syntax here, on the event topic for pages */
	core *c = core_new();
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'e','date':'2015-04-20',"
			  "'timezone':'../etc/passwd','races':[{'id':'m'," FIN "}]}}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "timezone: '../etc/passwd' is not a time zone name such as America/New_York");
	ASSERT_EQ(recf(c, "{'k':'config','config':{'event':'e','date':'2015-04-20',"
			  "'timezone':'America/New_York','races':[{'id':'m'," FIN "}]}}"),
		  0);
	ASSERT(strstr(snap_json(c, "event"), "\"date\":\"2015-04-20\",\"timezone\":\"America/New_York\""));
	core_free(c);
}

static void config_overlapping_waves(void)
{
	ASSERT_EQ(cfg_race("{'id':'m','waves':[{'id':'1','bibs':'1-999'},{'id':'2','bibs':'1000-1999'},"
			   "{'id':'3','bibs':'1500-2999'}]," FIN "}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].waves[2].bibs: 1500-2999 overlaps wave '2' (1000-1999): bibs "
			  "1500-1999 would be in both");
	/* listed out of order, one bib in common */
	ASSERT_EQ(cfg_race("{'id':'m','waves':[{'id':'b','bibs':'100-200'},{'id':'a','bibs':'1-100'}],"
			   FIN "}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].waves[1].bibs: 1-100 overlaps wave 'b' (100-200): bib 100 would be "
			  "in both");
	/* a bib is one athlete in one race */
	ASSERT_EQ(cfg_race("{'id':'10k','waves':[{'id':'1','bibs':'1-999'}]," FIN "},"
			   "{'id':'5k','waves':[{'id':'1','bibs':'900-1999'}]," FIN "}"),
		  SL_EINVAL);
	ASSERT(starts(err, "races[1].waves[0].bibs: 900-1999 overlaps wave '1' of race '10k' (1-999): "
			   "bibs 900-999 would be in both races"));
	/* ranges that meet without sharing a bib, and waves without a range */
	ASSERT_EQ(cfg_race("{'id':'10k','waves':[{'id':'e'},{'id':'1','bibs':'1-999'},{'id':'2',"
			   "'bibs':'1000-1999'}]," FIN "},{'id':'5k','waves':[{'id':'1','bibs':"
			   "'2000-2999'},{'id':'2'}]," FIN "}"),
		  0);
}

static void config_duplicate_categories(void)
{
	/* overlapping on purpose: an age group and the masters */
	ASSERT_EQ(cfg_race("{'id':'m'," FIN ",'categories':[{'id':'M40-44','sex':'M','age_min':40,"
			   "'age_max':44},{'id':'M40+','sex':'M','age_min':40}]}"),
		  0);
	ASSERT_EQ(cfg_race("{'id':'m'," FIN ",'categories':[{'id':'M40-44','sex':'M','age_min':40,"
			   "'age_max':44},{'id':'W','sex':'F'},{'id':'M40-44b','name':'Men 40-44',"
			   "'sex':'M','age_min':40,'age_max':44}]}"),
		  SL_EINVAL);
	ASSERT_STREQ(err, "races[0].categories[2]: the same rule as category 'M40-44' "
			  "(categories[0]): one of the two is a copy");
	ASSERT_EQ(cfg_race("{'id':'m'," FIN ",'categories':[{'id':'a','field':'team','equals':'x'},"
			   "{'id':'b','field':'team','equals':'x'}]}"),
		  SL_EINVAL);
	ASSERT_EQ(cfg_race("{'id':'m'," FIN ",'categories':[{'id':'a','field':'team','equals':'x'},"
			   "{'id':'b','field':'team','equals':'y'}]}"),
		  0);
}

/* A config record of old, already in the log, folds as it did then. */
static void config_in_the_log_folds_as_before(void)
{
	const char *js = "{\"k\":\"config\",\"config\":{\"event\":\"e\",\"date\":\"2015-04-20\","
			 "\"races\":[{\"id\":\"m\",\"rankng\":\"gun\",\"waves\":[{\"id\":\"1\","
			 "\"start\":\"2015-04-20T14:00:00\",\"bibs\":\"1-9\"},{\"id\":\"2\","
			 "\"bibs\":\"5-20\"}],\"points\":[{\"id\":\"f\",\"distance_m\":9,"
			 "\"role\":\"finish\"}]}]}}";
	sl_buf mp = SL_BUF_INIT;
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
	core *c = core_new();
	ASSERT(core_check(c, mp.data, mp.len, err, sizeof(err)) == SL_EINVAL);
	ASSERT_EQ(core_apply(c, mp.data, mp.len, err, sizeof(err)), 0);
	/* the typo meant nothing then and means nothing now: net; no offset: UTC */
	ASSERT(strstr(snap_json(c, "event"), "\"ranking\":\"net\""));
	ASSERT(strstr(snap_json(c, "event"), "{\"id\":\"1\",\"start\":1429538400000}"));
	sl_buf_release(&mp);
	core_free(c);
}

/* participants: who fits no category of their race */
static void no_category_reported(void)
{
	core *c = setup();
	const char *js = "{\"k\":\"participants\",\"rows\":["
			 "{\"bib\":\"1\",\"sex\":\"M\",\"age\":30},"	/* M18-39 */
			 "{\"bib\":\"2\",\"sex\":\"M\",\"age\":45},"	/* none */
			 "{\"bib\":\"3\",\"sex\":\"F\",\"age\":45},"	/* F40+ */
			 "{\"bib\":\"4\",\"sex\":\"F\",\"age\":30,\"fields\":{\"team\":\"elite\"}},"
			 "{\"bib\":\"5\"},"				/* no sex, no age */
			 "{\"reg\":\"R-1\",\"sex\":\"F\",\"age\":20},"	/* none, no bib yet */
			 "{\"bib\":\"6\",\"blank\":true}]}";		/* a blank bib: in no race */
	sl_buf mp = SL_BUF_INIT;
	msgpack_zone z;
	msgpack_object root;
	size_t off = 0;
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
	ASSERT_EQ(core_check(c, mp.data, mp.len, err, sizeof(err)), 0);
	msgpack_zone_init(&z, 1024);
	ASSERT_EQ(msgpack_unpack(mp.data, mp.len, &off, &z, &root), MSGPACK_UNPACK_SUCCESS);
	struct core_nocat nc;
	core_nocat(c, slp_get(&root, "rows"), &nc);
	ASSERT_EQ(nc.n, 3);
	ASSERT_EQ(nc.nbibs, 3);
	ASSERT_STREQ(nc.bibs[0], "2");
	ASSERT_STREQ(nc.bibs[1], "5");
	ASSERT_STREQ(nc.bibs[2], "R-1");
	core_nocat_release(&nc);
	msgpack_zone_destroy(&z);
	sl_buf_release(&mp);

	/* at most CORE_NOCAT_BIBS named, all counted */
	sl_buf rows = SL_BUF_INIT;
	sl_buf_adds(&rows, "{\"k\":\"participants\",\"rows\":[");
	for (int i = 0; i < 30; i++)
		sl_buf_addf(&rows, "%s{\"bib\":\"%d\",\"sex\":\"X\",\"age\":50}", i ? "," : "", 100 + i);
	sl_buf_adds(&rows, "]}");
	ASSERT_EQ(slp_json_to_msgpack(rows.data, rows.len, &mp), 0);
	msgpack_zone_init(&z, 1024);
	off = 0;
	ASSERT_EQ(msgpack_unpack(mp.data, mp.len, &off, &z, &root), MSGPACK_UNPACK_SUCCESS);
	core_nocat(c, slp_get(&root, "rows"), &nc);
	ASSERT_EQ(nc.n, 30);
	ASSERT_EQ(nc.nbibs, CORE_NOCAT_BIBS);
	ASSERT_STREQ(nc.bibs[19], "119");
	core_nocat_release(&nc);
	msgpack_zone_destroy(&z);
	sl_buf_release(&mp);
	sl_buf_release(&rows);
	core_free(c);
}

#define TESTS(X)                                                               \
	X(start_last_in_window)                                                \
	X(finish_first_after_min)                                              \
	X(duplicates_ignored)                                                  \
	X(before_t0_ignored)                                                   \
	X(no_start_read_uses_t0)                                               \
	X(pace_and_projection)                                                 \
	X(handheld_fills_never_overrides)                                      \
	X(overlapping_batches_count_once)                                      \
	X(unknown_then_attached)                                               \
	X(t0_change_recomputes)                                                \
	X(ties_share_place)                                                    \
	X(config_precision_change_reranks)                                     \
	X(category_predicates)                                                 \
	X(bad_input_changes_nothing)                                           \
	X(config_unknown_keys)                                                 \
	X(config_times_need_an_offset)                                         \
	X(config_gpx_course)                                                   \
	X(result_row_country)                                                  \
	X(config_overlapping_waves)                                            \
	X(config_duplicate_categories)                                         \
	X(config_in_the_log_folds_as_before)                                   \
	X(no_category_reported)                                                \
	X(check_row_numbers)                                                   \
	X(topics_and_deltas)                                                   \
	X(event_and_status_topics)                                              \
	X(csv_export_format)                                                   \
	X(csv_cells_are_never_formulas)                                        \
	X(road_race_decisions_show)                                            \
	X(results_official_then_corrected)                                     \
	X(decisions_in_the_audit_trail)                                        \
	X(read_void_takes_back_a_read)                                         \
	X(snapshot_then_rest_equals_full)                                      \
	X(random_places_match_bruteforce)                                      \
	X(fast_and_general_paths_agree)
T_MAIN()

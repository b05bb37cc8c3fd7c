/*
 * test_reader.c: unit tests of splitline-reader's pure parts: the four
 * decoder line parsers (with their formatters, round trip), line framing,
 * the journal (recovery of a torn tail, acked position) and the filter
 * (groups, group time, dead time, feeding again makes nothing twice).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctp.h"
#include "flt.h"
#include "jcp.h"
#include "jrn.h"
#include "mlp.h"
#include "rdr.h"
#include "rrp.h"
#include "rsc.h"
#include "t.h"

#define S(lit) lit, strlen(lit)

static void rr_lines(void)
{
	rrp_msg m;
	char err[160];
	ASSERT_EQ(rrp_parse(S("#P;17;A123;2023-10-08;07:44:28.120;1;12;-61;0;1;2;1;0;0;0;0;0;Box;0;1;1"),
			    &m, err, sizeof(err)),
		  0);
	ASSERT_EQ(m.type, RRP_PASSING);
	ASSERT(m.push);
	ASSERT_EQ(m.raw.no, 17);
	ASSERT_STREQ(m.raw.chip, "A123");
	ASSERT_EQ(m.raw.tod, ((7 * 60 + 44) * 60 + 28) * 1000 + 120);
	ASSERT_EQ(m.raw.day, rdr_days(2023, 10, 8));
	ASSERT_EQ(m.raw.hits, 12);
	ASSERT_EQ(m.raw.rssi, -61);
	/* older short form, no date */
	ASSERT_EQ(rrp_parse(S("1;33;0000-00-00;00:00:02.773;6692;12;-68;09ca52"), &m, err,
			    sizeof(err)),
		  0);
	ASSERT_EQ(m.push, 0);
	ASSERT_EQ(m.raw.day, INT32_MIN);
	ASSERT_EQ(m.raw.tod, 2773);
	ASSERT_EQ(rrp_parse(S("GETPROTOCOL;3.0;1.0;3.0"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, RRP_REPLY);
	ASSERT_EQ(m.nf, 4);
	ASSERT_EQ(rrp_parse(S(""), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, RRP_EMPTY);
	ASSERT_EQ(rrp_parse(S("#P;x;A;2023-10-08;07:00:00.000"), &m, err, sizeof(err)), SL_EPARSE);
	ASSERT(strstr(err, "PassingNo") != NULL);
	ASSERT_EQ(rrp_parse(S("#P;1;A;2023-13-08;07:00:00.000"), &m, err, sizeof(err)), SL_EPARSE);
	ASSERT_EQ(rrp_parse(S("#P;1;A;2023-10-08;25:00:00.000"), &m, err, sizeof(err)), SL_EPARSE);
	ASSERT_EQ(rrp_parse(S("#P;1;A"), &m, err, sizeof(err)), SL_EPARSE);
	/* round trip */
	rdr_raw r;
	rdr_raw_init(&r);
	strcpy(r.chip, "B77");
	r.no = 5;
	r.tod = 3723456;
	r.day = rdr_days(2023, 10, 8);
	r.hits = 3;
	r.rssi = -55;
	sl_buf b = SL_BUF_INIT;
	rrp_fmt_passing(&b, &r, true);
	ASSERT(b.len > 2 && b.data[b.len - 1] == '\n');
	ASSERT_EQ(rrp_parse(b.data, b.len - 2, &m, err, sizeof(err)), 0);
	ASSERT_STREQ(m.raw.chip, "B77");
	ASSERT_EQ(m.raw.tod, 3723456);
	ASSERT_EQ(m.raw.no, 5);
	ASSERT_EQ(m.raw.rssi, -55);
	sl_buf_release(&b);
}

static void ctp_lines(void)
{
	ctp_msg m;
	char err[160];
	ASSERT_EQ(ctp_parse(S("SimpleClient~1.0~CTP01"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, CTP_HELLO);
	ASSERT_EQ(ctp_parse(S("CT01_33~12~finish~A55~14:02:15.31~3~1~2"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, CTP_READ);
	ASSERT_EQ(m.raw.no, 12);
	ASSERT_STREQ(m.loc, "finish");
	ASSERT_STREQ(m.raw.chip, "A55");
	ASSERT_EQ(m.raw.tod, (14 * 3600 + 2 * 60 + 15) * 1000 + 310);
	ASSERT_EQ(m.raw.hits, 3);
	ASSERT_EQ(m.raw.ant, 2);
	ASSERT_EQ(ctp_parse(S("CT01_33~1~l~A~2008-10-16T14:02:15.31~1~1~1"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.raw.day, rdr_days(2008, 10, 16));
	ASSERT_EQ(ctp_parse(S("CT01_33~1~l~A~1223863335.31~1~1~1"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.raw.unix_ms, 1223863335310LL);
	ASSERT_EQ(ctp_parse(S("CT01_33~1~l~guntime~08:00:00.00~1~1~1"), &m, err, sizeof(err)), 0);
	ASSERT(m.guntime);
	ASSERT_EQ(ctp_parse(S("ack~ping"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, CTP_ACK);
	ASSERT_EQ(ctp_parse(S("CT01_33~1~l~A~noon~1~1~1"), &m, err, sizeof(err)), SL_EPARSE);
	ASSERT(strstr(err, "time") != NULL);
	ASSERT_EQ(ctp_parse(S("CT01_33~z~l~A~08:00:00"), &m, err, sizeof(err)), SL_EPARSE);
	rdr_raw r;
	rdr_raw_init(&r);
	strcpy(r.chip, "C9");
	r.no = 44;
	r.tod = 28800500;
	sl_buf b = SL_BUF_INIT;
	ctp_fmt_read(&b, &r, "5k");
	ASSERT_EQ(ctp_parse(b.data, b.len - 2, &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.raw.tod, 28800500);
	ASSERT_EQ(m.raw.no, 44);
	sl_buf_release(&b);
}

static void mlp_messages(void)
{
	mlp_msg m;
	memset(&m, 0, sizeof(m));
	char err[160];
	ASSERT_EQ(mlp_parse(S("Box1@Pong@"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, MLP_PONG);
	ASSERT_STREQ(m.name, "Box1");
	ASSERT_EQ(mlp_parse(S("Box1@Passing@c=A1|t=07:44:28.120|d=231008|h=4|am=-60@c=B1|t=07:44:28.300@42@"),
			    &m, err, sizeof(err)),
		  0);
	ASSERT_EQ(m.type, MLP_PASSING);
	ASSERT_EQ(m.nreads, 2);
	ASSERT_STREQ(m.msgno, "42");
	ASSERT_STREQ(m.reads[0].chip, "A1");
	ASSERT_EQ(m.reads[0].day, rdr_days(2023, 10, 8));
	ASSERT_EQ(m.reads[0].hits, 4);
	ASSERT_EQ(m.reads[0].rssi, -60);
	ASSERT_EQ(m.reads[1].tod, ((7 * 60 + 44) * 60 + 28) * 1000 + 300);
	ASSERT_EQ(mlp_parse(S("Box1@Marker@mt=Gunshot|t=07:30:00.000|n=gun@7@"), &m, err, sizeof(err)),
		  0);
	ASSERT_EQ(m.type, MLP_MARKER);
	ASSERT_STREQ(m.msgno, "7");
	ASSERT_EQ(mlp_parse(S("Box1@Passing@t=07:44:28.120@1@"), &m, err, sizeof(err)), SL_EPARSE);
	ASSERT(strstr(err, "'c'") != NULL);
	ASSERT_EQ(mlp_parse(S("Box1"), &m, err, sizeof(err)), SL_EPARSE);
	rdr_raw r[2];
	rdr_raw_init(&r[0]);
	rdr_raw_init(&r[1]);
	strcpy(r[0].chip, "X1");
	strcpy(r[1].chip, "X2");
	r[0].tod = 1000;
	r[1].tod = 2000;
	sl_buf b = SL_BUF_INIT;
	mlp_fmt_passing(&b, "emu", r, 2, 9);
	ASSERT_EQ(b.data[b.len - 1], '$');
	ASSERT_EQ(mlp_parse(b.data, b.len - 1, &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.nreads, 2);
	ASSERT_STREQ(m.msgno, "9");
	ASSERT_EQ(m.reads[1].tod, 2000);
	sl_buf_release(&b);
	mlp_msg_release(&m);
}

static void jcp_lines(void)
{
	jcp_msg m;
	char err[160];
	ASSERT_EQ(jcp_parse(S("N0000mat-5k"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, JCP_NAME);
	ASSERT_STREQ(m.name, "mat-5k");
	ASSERT_EQ(jcp_parse(S("GT007443012 date=20231008"), &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.type, JCP_TIME);
	ASSERT_EQ(m.raw.tod, ((7 * 60 + 44) * 60 + 30) * 1000 + 120);
	ASSERT_EQ(m.raw.day, rdr_days(2023, 10, 8));
	ASSERT_EQ(jcp_parse(S("DA058003 07:44:28.12 10  0001F      C7 date=20231008"), &m, err,
			    sizeof(err)),
		  0);
	ASSERT_EQ(m.type, JCP_READ);
	ASSERT_STREQ(m.raw.chip, "058003");
	ASSERT_EQ(m.raw.no, 31);
	ASSERT_EQ(m.raw.tod, ((7 * 60 + 44) * 60 + 28) * 1000 + 120);
	ASSERT_EQ(jcp_parse(S("DA058003 7:44 10 1"), &m, err, sizeof(err)), SL_EPARSE);
	ASSERT_EQ(jcp_parse(S("DA058003 07:44:28.12 10 zz"), &m, err, sizeof(err)), SL_EPARSE);
	rdr_raw r;
	rdr_raw_init(&r);
	strcpy(r.chip, "T1");
	r.no = 0x12345;
	r.tod = 45296789;
	r.day = rdr_days(2023, 10, 8);
	sl_buf b = SL_BUF_INIT;
	jcp_fmt_read(&b, &r);
	ASSERT_EQ(jcp_parse(b.data, b.len - 1, &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.raw.no, 0x12345);
	ASSERT_EQ(m.raw.tod, 45296789);
	ASSERT_EQ(m.raw.day, r.day);
	sl_buf_reset(&b);
	jcp_fmt_time(&b, 45296780, r.day);
	ASSERT_EQ(jcp_parse(b.data, b.len - 1, &m, err, sizeof(err)), 0);
	ASSERT_EQ(m.raw.tod, 45296780);
	sl_buf_release(&b);
}

static void framing(void)
{
	rdr_frame f;
	rdr_frame_init(&f, '\n', 16);
	const char *l;
	size_t n;
	rdr_frame_feed(&f, S("ab\r\ncd"));
	ASSERT(rdr_frame_next(&f, &l, &n));
	ASSERT_EQ(n, 2);
	ASSERT(!memcmp(l, "ab", 2));
	ASSERT(!rdr_frame_next(&f, &l, &n));
	rdr_frame_feed(&f, S("e\n0123456789012345678901234\nok\n"));
	ASSERT(rdr_frame_next(&f, &l, &n));
	ASSERT_EQ(n, 3);
	ASSERT(rdr_frame_next(&f, &l, &n)); /* the long line is skipped */
	ASSERT_EQ(n, 2);
	ASSERT(!memcmp(l, "ok", 2));
	ASSERT_EQ(f.overflows, 1);
	rdr_frame_release(&f);
	rdr_frame_init(&f, '$', 100);
	rdr_frame_feed(&f, S("a@Ping@$\r\nb@Pong@$"));
	ASSERT(rdr_frame_next(&f, &l, &n));
	ASSERT_EQ(n, 7);
	ASSERT(rdr_frame_next(&f, &l, &n));
	ASSERT(!memcmp(l, "b@Pong@", 7));
	rdr_frame_release(&f);
}

static char dir[256];

static void tmpdir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_reader.XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static int count_each(void *ctx, uint64_t idx, const jrn_rec *r)
{
	int64_t *sum = ctx;
	*sum += r->t;
	return 0;
}

static void journal_recovery(void)
{
	tmpdir();
	char path[512], ack[512], err[600];
	snprintf(path, sizeof(path), "%s/raw.jrn", dir);
	snprintf(ack, sizeof(ack), "%s/acked", dir);
	jrn j;
	ASSERT_EQ(jrn_open(&j, path, NULL, NULL, NULL, err, sizeof(err)), 0);
	for (int i = 1; i <= 10; i++) {
		jrn_rec r = {.t = i, .dt = i + 5, .no = i, .rssi = -60, .hits = 1};
		snprintf(r.chip, sizeof(r.chip), "C%d", i);
		jrn_append(&j, &r);
	}
	ASSERT_EQ(jrn_sync(&j), 0);
	jrn_close(&j);
	/* a torn last record: cut 3 bytes off */
	struct stat st;
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(truncate(path, st.st_size - 3), 0);
	int64_t sum = 0;
	uint64_t torn = 0;
	ASSERT_EQ(jrn_open(&j, path, count_each, &sum, &torn, err, sizeof(err)), 0);
	ASSERT_EQ(j.count, 9);
	ASSERT_EQ(sum, 45);
	ASSERT(torn > 0);
	/* appending after recovery continues cleanly */
	jrn_rec r = {.t = 100, .no = -1, .hits = -1};
	strcpy(r.chip, "Z");
	jrn_append(&j, &r);
	ASSERT_EQ(jrn_sync(&j), 0);
	jrn_close(&j);
	/* garbage in the middle of the last record: CRC catches it */
	int fd = open(path, O_WRONLY | O_APPEND);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "SLJ1garbagegarbage", 18), 18);
	close(fd);
	sum = 0;
	ASSERT_EQ(jrn_open(&j, path, count_each, &sum, &torn, err, sizeof(err)), 0);
	ASSERT_EQ(j.count, 10);
	ASSERT_EQ(sum, 145);
	ASSERT_EQ(torn, 18);
	jrn_close(&j);
	/* acked persists */
	uint64_t a = 7;
	ASSERT_EQ(jrn_ack_load(ack, &a), 0);
	ASSERT_EQ(a, 0);
	ASSERT_EQ(jrn_ack_store(ack, 1234), 0);
	ASSERT_EQ(jrn_ack_load(ack, &a), 0);
	ASSERT_EQ(a, 1234);
	unlink(path);
	unlink(ack);
	rmdir(dir);
}

typedef struct out {
	jrn_rec v[64];
	int n;
} out;

static void collect(void *ctx, const jrn_rec *p)
{
	out *o = ctx;
	if (o->n < 64)
		o->v[o->n++] = *p;
}

static jrn_rec rd(const char *chip, int64_t t, int rssi)
{
	jrn_rec r = {.t = t, .dt = t, .no = -1, .rssi = rssi, .hits = -1};
	snprintf(r.chip, sizeof(r.chip), "%s", chip);
	return r;
}

static void filter_groups(void)
{
	const int modes[3] = {FLT_FIRST, FLT_LAST, FLT_PEAK};
	const int64_t want[3] = {1000, 1450, 1300};
	for (int k = 0; k < 3; k++) {
		flt_cfg c = {400, modes[k], 3000};
		flt *f = flt_new(&c);
		out o = {0};
		jrn_rec reads[] = {rd("A", 1000, -70), rd("B", 1100, -65), rd("A", 1150, -62),
				   rd("A", 1300, -50), rd("A", 1450, -66), rd("B", 1200, -60)};
		for (size_t i = 0; i < 6; i++)
			flt_feed(f, &reads[i], collect, &o);
		ASSERT_EQ(o.n, 0);
		flt_advance(f, 1700, collect, &o); /* B closes (1200 + 400 < 1700) */
		ASSERT_EQ(o.n, 1);
		ASSERT_STREQ(o.v[0].chip, "B");
		flt_advance(f, 1900, collect, &o);
		ASSERT_EQ(o.n, 2);
		ASSERT_STREQ(o.v[1].chip, "A");
		ASSERT_EQ(o.v[1].t, want[k]);
		ASSERT_EQ(o.v[1].hits, 4);
		ASSERT_EQ(o.v[1].rssi, -50);
		/* dead time: A again 2 s later is dropped, 5 s later kept */
		jrn_rec again = rd("A", 3000, -60), later = rd("A", 6500, -60);
		flt_feed(f, &again, collect, &o);
		flt_feed(f, &later, collect, &o);
		flt_flush(f, collect, &o);
		ASSERT_EQ(o.n, 3);
		ASSERT_EQ(o.v[2].t, 6500);
		flt_free(f);
	}
}

static void filter_refeed(void)
{
	/* after a restart: seeded with the passings made, the same raw reads
	 * fed again give only what was still open */
	flt_cfg c = {400, FLT_FIRST, 0};
	jrn_rec reads[] = {rd("A", 1000, -60), rd("A", 1100, -60), rd("B", 2000, -60),
			   rd("A", 9000, -60), rd("C", 9100, -60)};
	flt *f = flt_new(&c);
	out o = {0};
	for (size_t i = 0; i < 5; i++)
		flt_feed(f, &reads[i], collect, &o);
	ASSERT_EQ(o.n, 2); /* A@1000, B@2000; A@9000 and C still open */
	flt_free(f);
	f = flt_new(&c);
	out o2 = {0};
	for (int i = 0; i < o.n; i++)
		flt_seed(f, o.v[i].chip, o.v[i].t);
	for (size_t i = 0; i < 5; i++)
		flt_feed(f, &reads[i], collect, &o2);
	flt_flush(f, collect, &o2);
	ASSERT_EQ(o2.n, 2);
	ASSERT_STREQ(o2.v[0].chip, "A");
	ASSERT_EQ(o2.v[0].t, 9000);
	ASSERT_STREQ(o2.v[1].chip, "C");
	flt_free(f);
}


static int rec_each(void *ctx, uint64_t idx, const jrn_rec *r)
{
	out *o = ctx;
	if (o->n < 64)
		o->v[o->n++] = *r;
	return 0;
}

/* --rescore's core: raw.jrn filtered again with other settings. */
static void rescore(void)
{
	tmpdir();
	char raw[512], pass[512], pass2[512], err[600];
	snprintf(raw, sizeof(raw), "%s/raw.jrn", dir);
	snprintf(pass, sizeof(pass), "%s/pass.jrn", dir);
	snprintf(pass2, sizeof(pass2), "%s/pass2.jrn", dir);
	jrn j;
	ASSERT_EQ(jrn_open(&j, raw, NULL, NULL, NULL, err, sizeof(err)), 0);
	/* A crosses at 1000..1350 and again at 3000..3100; B reads at 1100
	 * and, after a quiet gap, at 1900 */
	jrn_rec reads[] = {rd("A", 1000, -70), rd("B", 1100, -60), rd("A", 1200, -50),
			   rd("A", 1350, -65), rd("B", 1900, -40), rd("A", 3000, -60),
			   rd("A", 3100, -55)};
	for (size_t i = 0; i < 7; i++)
		jrn_append(&j, &reads[i]);
	ASSERT_EQ(jrn_sync(&j), 0);
	jrn_close(&j);
	/* a live reader half way through an append: ignored, not truncated */
	FILE *f = fopen(raw, "a");
	ASSERT(f != NULL);
	fwrite("SLJ1\x05", 1, 5, f);
	fclose(f);
	struct stat st0, st1;
	ASSERT_EQ(stat(raw, &st0), 0);

	/* the original settings: A@1000, B@1100; A@3000 and B@1900 dead */
	flt_cfg orig = {400, FLT_FIRST, 3000};
	rsc_stats rs;
	ASSERT_EQ(rsc_run(raw, &orig, pass2, &rs, err, sizeof(err)), 0);
	ASSERT_EQ(rs.raw, 7);
	ASSERT_EQ(rs.torn, 5);
	ASSERT_EQ(rs.passes, 2);
	out o = {0};
	ASSERT_EQ(rsc_scan(pass2, rec_each, &o, NULL, err, sizeof(err)), 0);
	ASSERT_EQ(o.n, 2);
	ASSERT_STREQ(o.v[0].chip, "A");
	ASSERT_EQ(o.v[0].t, 1000);
	ASSERT_STREQ(o.v[1].chip, "B");
	ASSERT_EQ(o.v[1].t, 1100);
	unlink(pass2);

	/* rescored: group time last, dead time 1 s */
	flt_cfg c = {400, FLT_LAST, 1000};
	ASSERT_EQ(rsc_run(raw, &c, pass, &rs, err, sizeof(err)), 0);
	ASSERT_EQ(rs.raw, 7);
	ASSERT_EQ(rs.passes, 3);
	ASSERT_EQ(rs.kept, 0);
	ASSERT_EQ(stat(raw, &st1), 0);
	ASSERT_EQ(st1.st_size, st0.st_size);
	o.n = 0;
	ASSERT_EQ(rsc_scan(pass, rec_each, &o, NULL, err, sizeof(err)), 0);
	ASSERT_EQ(o.n, 3);
	ASSERT_STREQ(o.v[0].chip, "B"); /* closed with A@1350 by B@1900: time order */
	ASSERT_EQ(o.v[0].t, 1100);
	ASSERT_EQ(o.v[0].hits, 1);
	ASSERT_STREQ(o.v[1].chip, "A");
	ASSERT_EQ(o.v[1].t, 1350);
	ASSERT_EQ(o.v[1].hits, 3);
	ASSERT_EQ(o.v[1].rssi, -50);
	ASSERT_STREQ(o.v[2].chip, "A"); /* the second crossing, 1.75 s later */
	ASSERT_EQ(o.v[2].t, 3100);
	ASSERT_EQ(o.v[2].hits, 2);
	ASSERT_EQ(o.v[2].rssi, -55);

	/* run again (interrupted forwarding): the journal is kept as it is */
	ASSERT_EQ(rsc_run(raw, &c, pass, &rs, err, sizeof(err)), 0);
	ASSERT_EQ(rs.passes, 3);
	ASSERT_EQ(rs.kept, 3);
	out o2 = {0};
	ASSERT_EQ(rsc_scan(pass, rec_each, &o2, NULL, err, sizeof(err)), 0);
	ASSERT_EQ(o2.n, 3);

	/* interrupted while writing: the prefix is kept, the rest appended */
	ASSERT_EQ(jrn_open(&j, pass2, NULL, NULL, NULL, err, sizeof(err)), 0);
	jrn_append(&j, &o.v[0]);
	ASSERT_EQ(jrn_sync(&j), 0);
	jrn_close(&j);
	ASSERT_EQ(rsc_run(raw, &c, pass2, &rs, err, sizeof(err)), 0);
	ASSERT_EQ(rs.kept, 1);
	ASSERT_EQ(rs.passes, 3);
	o2.n = 0;
	ASSERT_EQ(rsc_scan(pass2, rec_each, &o2, NULL, err, sizeof(err)), 0);
	ASSERT_EQ(o2.n, 3);
	ASSERT_EQ(o2.v[2].t, 3100);

	/* other settings into the same journal: refused, journal untouched */
	ASSERT_EQ(rsc_run(raw, &orig, pass, &rs, err, sizeof(err)), SL_ESTATE);
	ASSERT(strstr(err, "new --device") != NULL);
	o2.n = 0;
	ASSERT_EQ(rsc_scan(pass, rec_each, &o2, NULL, err, sizeof(err)), 0);
	ASSERT_EQ(o2.n, 3);
	ASSERT_EQ(o2.v[0].t, 1100);

	/* no raw journal */
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/none.jrn", dir);
	ASSERT_EQ(rsc_run(missing, &c, pass2, &rs, err, sizeof(err)), SL_EIO);
	ASSERT(strstr(err, "none.jrn") != NULL);
	unlink(raw);
	unlink(pass);
	unlink(pass2);
	rmdir(dir);
}

static void times(void)
{
	rdr_raw r;
	rdr_raw_init(&r);
	r.tod = 7 * 3600000;
	/* 2023-10-08 07:00 CDT (UTC-5) = 12:00 UTC */
	int32_t d = rdr_days(2023, 10, 8);
	int64_t t = rdr_time(&r, d, -300);
	int64_t want;
	ASSERT_EQ(sl_parse_iso("2023-10-08T12:00:00Z", &want), 0);
	ASSERT_EQ(t, want);
	int y, m, dd;
	rdr_civil(d, &y, &m, &dd);
	ASSERT_EQ(y * 10000 + m * 100 + dd, 20231008);
	ASSERT_EQ(rdr_days(2023, 2, 30), INT32_MIN);
}

#define TESTS(X)                                                               \
	X(rr_lines)                                                            \
	X(ctp_lines)                                                           \
	X(mlp_messages)                                                        \
	X(jcp_lines)                                                           \
	X(framing)                                                             \
	X(journal_recovery)                                                    \
	X(filter_groups)                                                       \
	X(filter_refeed)                                                       \
	X(rescore)                                                             \
	X(times)
T_MAIN()

/*
 * test_regatta_data.c: the core reproduces published regatta results.
 *
 * For each regatta export in the data dir (argv[1]; files named in FILES),
 * the test builds the records a replay sends -- one config (a race per
 * EventNum: Head -> trial, Sprint -> lanes, precision 1 ms, points start
 * and finish with the Start2/Start3/Finish2/Finish3 columns as backup
 * stations), one participants record (bib "<EventNum>-<Bow>", lane = Bow,
 * members from "A / B" crew names), a wave_start per Sprint event at its
 * G_Start_time_raw, passings of every station reading, and adjust records
 * for DNS, DNF, DQ, Scratch, Exhib, "(10s)" penalties, and the finish
 * station the officials chose when it is not the primary -- folds them
 * through core_apply, and compares every entry's raw time, adjusted time
 * and place with the file, to the millisecond.  Any difference is listed.
 */
#include <csv.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "slp.h"
#include "t.h"

static const char *data_dir = "../shared/data";
static const char *FILES[] = {"regatta-midwest-2023.csv", "regatta-hebda-2023.csv",
			      "canoe-kayak-tedhouk-2022.csv"};
#define DAY0 1672531200000LL /* 2023-01-01T00:00:00Z: the replay's race day */
#define NO_T INT64_MIN

/* ---- CSV ------------------------------------------------------------------ */

struct table {
	char **hdr;
	size_t nhdr;
	char ***rows; /* rows[i][j], nhdr cells each */
	size_t nrows;
	char **cur;
	size_t ncur;
	bool in_hdr;
};

static void cb_field(void *s, size_t n, void *vt)
{
	struct table *t = vt;
	char *v = strndup(s, n);
	if (t->in_hdr) {
		t->hdr = realloc(t->hdr, (t->nhdr + 1) * sizeof(char *));
		t->hdr[t->nhdr++] = v;
		return;
	}
	if (!t->cur)
		t->cur = calloc(t->nhdr + 1, sizeof(char *));
	if (t->ncur < t->nhdr)
		t->cur[t->ncur++] = v;
	else
		free(v);
}

static void cb_row(int c, void *vt)
{
	struct table *t = vt;
	(void)c;
	if (t->in_hdr) {
		t->in_hdr = false;
		return;
	}
	while (t->ncur < t->nhdr)
		t->cur[t->ncur++] = strdup("");
	t->rows = realloc(t->rows, (t->nrows + 1) * sizeof(char **));
	t->rows[t->nrows++] = t->cur;
	t->cur = NULL;
	t->ncur = 0;
}

static int load(const char *path, struct table *t)
{
	struct csv_parser p;
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	memset(t, 0, sizeof(*t));
	t->in_hdr = true;
	if (!f)
		return -1;
	csv_init(&p, CSV_APPEND_NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		csv_parse(&p, buf, n, cb_field, cb_row, t);
	csv_fini(&p, cb_field, cb_row, t);
	csv_free(&p);
	fclose(f);
	return 0;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->nhdr; j++)
			free(t->rows[i][j]);
		free(t->rows[i]);
	}
	for (size_t j = 0; j < t->nhdr; j++)
		free(t->hdr[j]);
	free(t->rows);
	free(t->hdr);
}

static int col(const struct table *t, const char *name)
{
	for (size_t j = 0; j < t->nhdr; j++)
		if (!strcmp(t->hdr[j], name))
			return (int)j;
	return -1;
}

static const char *cell(const struct table *t, size_t i, const char *name)
{
	int j = col(t, name);
	return j < 0 ? "" : t->rows[i][j];
}

/* "08:34:25.954", "06:42.696", "00.757" -> ms; NO_T when not a time. */
static int64_t ms_of(const char *s)
{
	int64_t v = 0, part = 0, frac = 0;
	int fd = 0;
	bool dot = false, any = false;
	if (!*s)
		return NO_T;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			any = true;
			if (dot) {
				if (fd < 3) {
					frac = frac * 10 + (*s - '0');
					fd++;
				}
			} else {
				part = part * 10 + (*s - '0');
			}
		} else if (*s == ':' && !dot) {
			v = (v + part) * 60;
			part = 0;
		} else if (*s == '.' && !dot) {
			dot = true;
		} else {
			return NO_T;
		}
	}
	if (!any)
		return NO_T;
	while (fd < 3) {
		frac *= 10;
		fd++;
	}
	return (v + part) * 1000 + frac;
}

/* ---- records ---------------------------------------------------------------- */

static char err[512];
static int napply_fail;

static void apply(core *c, sl_buf *b)
{
	int rc = core_apply(c, b->data, b->len, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "record refused: %s\n", err);
		napply_fail++;
	}
	sl_buf_reset(b);
}

struct ev {
	const char *num;
	size_t first; /* first row */
};

static char *bib_of(const struct table *t, size_t i)
{
	char b[128];
	snprintf(b, sizeof(b), "%s-%s", cell(t, i, "EventNum"), cell(t, i, "Bow"));
	/* a Bow seen twice in the event ("X" for "No Race" rows): add the row */
	for (size_t k = 0; k < i; k++)
		if (!strcmp(cell(t, k, "EventNum"), cell(t, i, "EventNum")) &&
		    !strcmp(cell(t, k, "Bow"), cell(t, i, "Bow"))) {
			snprintf(b, sizeof(b), "%s-%s.%zu", cell(t, i, "EventNum"), cell(t, i, "Bow"), i);
			break;
		}
	return strdup(b);
}

static const char *STATIONS[] = {"Start2", "Start3", "Finish2", "Finish3"};

static void pack_config(msgpack_packer *pk, const struct table *t, struct ev *evs, size_t nev)
{
	msgpack_pack_map(pk, 2);
	slp_pack_kv_str(pk, "k", "config");
	slp_pack_key(pk, "config");
	msgpack_pack_map(pk, 4);
	slp_pack_kv_str(pk, "event", "regatta");
	slp_pack_kv_str(pk, "name", "regatta");
	slp_pack_kv_str(pk, "date", "2023-01-01");
	slp_pack_key(pk, "races");
	msgpack_pack_array(pk, nev);
	for (size_t e = 0; e < nev; e++) {
		size_t i = evs[e].first;
		bool head = !strcmp(cell(t, i, "RaceType"), "Head");
		const char *info = cell(t, i, "EventInfo");
		msgpack_pack_map(pk, 7 + (*info != 0));
		slp_pack_kv_str(pk, "id", evs[e].num);
		slp_pack_kv_str(pk, "name", cell(t, i, "Event"));
		slp_pack_kv_str(pk, "kind", head ? "trial" : "lanes");
		slp_pack_kv_int(pk, "precision_ms", 1);
		slp_pack_kv_int(pk, "distance_m", 1000);
		if (*info)
			slp_pack_kv_str(pk, "progression", info);
		slp_pack_key(pk, "waves");
		msgpack_pack_array(pk, 1);
		msgpack_pack_map(pk, 1);
		slp_pack_kv_str(pk, "id", "1");
		size_t nst = 0;
		for (size_t k = 0; k < 4; k++) {
			char h[64];
			snprintf(h, sizeof(h), "G_%s_time_raw", STATIONS[k]);
			nst += col(t, h) >= 0;
		}
		slp_pack_key(pk, "points");
		msgpack_pack_array(pk, 2 + nst);
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "id", "start");
		slp_pack_kv_str(pk, "role", "start");
		slp_pack_kv_str(pk, "rule", "first");
		msgpack_pack_map(pk, 4);
		slp_pack_kv_str(pk, "id", "finish");
		slp_pack_kv_str(pk, "role", "finish");
		slp_pack_kv_int(pk, "distance_m", 1000);
		slp_pack_kv_int(pk, "min_s", 0);
		for (size_t k = 0; k < 4; k++) {
			char h[64], id[16];
			snprintf(h, sizeof(h), "G_%s_time_raw", STATIONS[k]);
			if (col(t, h) < 0)
				continue;
			snprintf(id, sizeof(id), "%s", STATIONS[k]);
			id[0] = (char)(id[0] - 'A' + 'a');
			msgpack_pack_map(pk, 2);
			slp_pack_kv_str(pk, "id", id);
			slp_pack_kv_str(pk, "station_of", k < 2 ? "start" : "finish");
		}
	}
}

static void pack_members(msgpack_packer *pk, const char *crew)
{
	size_t n = 1;
	for (const char *p = crew; (p = strstr(p, " / ")); p += 3)
		n++;
	slp_pack_key(pk, "members");
	msgpack_pack_array(pk, n);
	const char *s = crew;
	for (size_t k = 0; k < n; k++) {
		const char *e = strstr(s, " / ");
		size_t len = e ? (size_t)(e - s) : strlen(s);
		msgpack_pack_map(pk, 1);
		slp_pack_kv_strn(pk, "name", s, len);
		s = e ? e + 3 : s + len;
	}
}

static void adjust(core *c, sl_buf *b, const char *bib, const char *type, const char *reason,
		   const char *key, int64_t v, const char *skey, const char *sval)
{
	msgpack_packer pk;
	slp_packer_init(&pk, b);
	msgpack_pack_map(&pk, 5 + (key != NULL) + 2 * (skey != NULL));
	slp_pack_kv_str(&pk, "k", "adjust");
	slp_pack_kv_str(&pk, "bib", bib);
	slp_pack_kv_str(&pk, "type", type);
	slp_pack_kv_str(&pk, "reason", reason);
	slp_pack_kv_str(&pk, "official", "chief-judge");
	if (key)
		slp_pack_kv_int(&pk, key, v);
	if (skey) {
		slp_pack_kv_str(&pk, "pt", "finish");
		slp_pack_kv_str(&pk, skey, sval);
	}
	apply(c, b);
}

static int check_file(const char *name)
{
	char path[1024];
	struct table t;
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	if (load(path, &t) < 0) {
		fprintf(stderr, "cannot open '%s'\n", path);
		return 1;
	}
	core *c = core_new();
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	struct ev *evs = calloc(t.nrows + 1, sizeof(*evs));
	char **bibs = calloc(t.nrows + 1, sizeof(char *));
	size_t nev = 0;
	for (size_t i = 0; i < t.nrows; i++) {
		bibs[i] = bib_of(&t, i);
		size_t e;
		for (e = 0; e < nev; e++)
			if (!strcmp(evs[e].num, cell(&t, i, "EventNum")))
				break;
		if (e == nev)
			evs[nev++] = (struct ev){cell(&t, i, "EventNum"), i};
	}
	napply_fail = 0;
	slp_packer_init(&pk, &b);
	pack_config(&pk, &t, evs, nev);
	apply(c, &b);

	/* participants: one record, as an import would send */
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "k", "participants");
	slp_pack_key(&pk, "rows");
	msgpack_pack_array(&pk, t.nrows);
	for (size_t i = 0; i < t.nrows; i++) {
		const char *bow = cell(&t, i, "Bow"), *crew = cell(&t, i, "Crew");
		int lane = atoi(bow);
		bool members = strstr(crew, " / ") != NULL;
		msgpack_pack_map(&pk, 4 + (lane >= 1 && lane <= 99) + members);
		slp_pack_kv_str(&pk, "bib", bibs[i]);
		slp_pack_kv_str(&pk, "race", cell(&t, i, "EventNum"));
		slp_pack_kv_str(&pk, "name", crew);
		slp_pack_kv_str(&pk, "club", cell(&t, i, "CrewAbbrev"));
		if (lane >= 1 && lane <= 99)
			slp_pack_kv_int(&pk, "lane", lane);
		if (members)
			pack_members(&pk, crew);
	}
	apply(c, &b);

	/* wave starts of side-by-side races: the start station fires once */
	for (size_t e = 0; e < nev; e++) {
		size_t i = evs[e].first;
		if (!strcmp(cell(&t, i, "RaceType"), "Head"))
			continue;
		int64_t t0 = NO_T;
		for (size_t k = i; k < t.nrows && t0 == NO_T; k++)
			if (!strcmp(cell(&t, k, "EventNum"), evs[e].num))
				t0 = ms_of(cell(&t, k, "G_Start_time_raw"));
		if (t0 == NO_T)
			continue;
		slp_packer_init(&pk, &b);
		msgpack_pack_map(&pk, 4);
		slp_pack_kv_str(&pk, "k", "wave_start");
		slp_pack_kv_str(&pk, "race", evs[e].num);
		slp_pack_kv_str(&pk, "wave", "1");
		slp_pack_kv_int(&pk, "t0", DAY0 + t0);
		apply(c, &b);
	}

	/* station readings: one device per station, every reading in time order */
	static const char *dev_cols[] = {"G_Start_time_raw", "G_Start2_time_raw", "G_Start3_time_raw",
					 "G_Finish_time_raw", "G_Finish2_time_raw",
					 "G_Finish3_time_raw"};
	static const char *dev_pts[] = {"start", "start2", "start3", "finish", "finish2", "finish3"};
	for (size_t d = 0; d < 6; d++) {
		if (col(&t, dev_cols[d]) < 0)
			continue;
		slp_read *rs = calloc(t.nrows + 1, sizeof(*rs));
		size_t n = 0;
		for (size_t i = 0; i < t.nrows; i++) {
			int64_t v = ms_of(cell(&t, i, dev_cols[d]));
			if (v == NO_T)
				continue;
			if (d == 0 && strcmp(cell(&t, i, "RaceType"), "Head") != 0)
				continue; /* lanes: the race's start is the wave start */
			if (d == 3) { /* the official finish: a backup's reading when equal */
				if ((col(&t, "G_Finish2_time_raw") >= 0 &&
				     !strcmp(cell(&t, i, dev_cols[3]), cell(&t, i, "G_Finish2_time_raw"))) ||
				    (col(&t, "G_Finish3_time_raw") >= 0 &&
				     !strcmp(cell(&t, i, dev_cols[3]), cell(&t, i, "G_Finish3_time_raw"))))
					continue;
			}
			rs[n].bib = bibs[i];
			rs[n].bib_len = strlen(bibs[i]);
			rs[n].pt = dev_pts[d];
			rs[n].pt_len = strlen(dev_pts[d]);
			rs[n].t = DAY0 + v;
			rs[n].kind = SLP_KIND_RFID;
			rs[n].hits = -1;
			n++;
		}
		for (size_t x = 1; x < n; x++) /* sort by time (insertion; small) */
			for (size_t y = x; y > 0 && rs[y - 1].t > rs[y].t; y--) {
				slp_read tmp = rs[y];
				rs[y] = rs[y - 1];
				rs[y - 1] = tmp;
			}
		for (size_t off = 0; off < n; off += 100) {
			size_t m = n - off < 100 ? n - off : 100;
			slp_packer_init(&pk, &b);
			msgpack_pack_map(&pk, 5);
			slp_pack_kv_str(&pk, "k", "passings");
			slp_pack_kv_str(&pk, "dev", dev_pts[d]);
			slp_pack_kv_int(&pk, "seq", (int64_t)off + 1);
			slp_pack_key(&pk, "reads");
			slp_pack_reads(&pk, rs + off, m);
			slp_pack_kv_int(&pk, "rx", DAY0);
			apply(c, &b);
		}
		free(rs);
	}

	/* officials' decisions */
	for (size_t i = 0; i < t.nrows; i++) {
		const char *adj = cell(&t, i, "AdjTime"), *pen = cell(&t, i, "PenaltyCode");
		const char *fin = cell(&t, i, "G_Finish_time_raw");
		if (*fin && col(&t, "G_Finish2_time_raw") >= 0) {
			const char *st = !strcmp(fin, cell(&t, i, "G_Finish2_time_raw")) ? "finish2"
					 : !strcmp(fin, cell(&t, i, "G_Finish3_time_raw")) ? "finish3"
											    : NULL;
			if (st)
				adjust(c, &b, bibs[i], "station", "official finish camera", NULL, 0,
				       "station", st);
		}
		if (!strcmp(pen, "Exhib"))
			adjust(c, &b, bibs[i], "exhibition", "Exhib", NULL, 0, NULL, NULL);
		const char *paren = strrchr(pen, '(');
		int secs;
		if (paren && sscanf(paren, "(%ds)", &secs) == 1)
			adjust(c, &b, bibs[i], "penalty", pen, "ms", secs * 1000LL, NULL, NULL);
		static const char *const words[][2] = {
			{"DNS", "dns"}, {"DNF", "dnf"}, {"DQ", "dq"}, {"Scratch", "scratch"}};
		for (size_t k = 0; k < 4; k++)
			if (!strcmp(adj, words[k][0]))
				adjust(c, &b, bibs[i], words[k][1], words[k][0], NULL, 0, NULL, NULL);
	}

	/* compare */
	int bad = 0;
	size_t nplaced = 0, ntimed = 0;
	for (size_t i = 0; i < t.nrows; i++) {
		struct core_result r;
		char why[256] = "";
		if (core_result(c, bibs[i], &r) < 0) {
			fprintf(stderr, "%s: %s: no result\n", name, bibs[i]);
			bad++;
			continue;
		}
		const char *adj = cell(&t, i, "AdjTime");
		int64_t xraw = ms_of(cell(&t, i, "RawTime")), xadj = ms_of(adj);
		bool xexh = !strncmp(adj, "Exh ", 4);
		if (xexh)
			xadj = ms_of(adj + 4);
		long xplace = atol(cell(&t, i, "Place"));
		static const char *const words[][2] = {
			{"DNS", "dns"}, {"DNF", "dnf"}, {"DQ", "dsq"}, {"Scratch", "scratch"}};
		const char *xst = NULL;
		for (size_t k = 0; k < 4; k++)
			if (!strcmp(adj, words[k][0]))
				xst = words[k][1];
		if ((long)r.place != xplace)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " place %zu != %ld",
				 r.place, xplace);
		if (r.raw_ms != xraw)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " raw %lld != %lld",
				 (long long)r.raw_ms, (long long)xraw);
		if (r.adj_ms != xadj)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " adj %lld != %lld",
				 (long long)r.adj_ms, (long long)xadj);
		if (r.exhibition != xexh && !xst)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " exhibition %d != %d",
				 r.exhibition, xexh);
		if (xst && strcmp(r.status, xst) != 0)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " status %s != %s",
				 r.status, xst);
		if (*why) {
			fprintf(stderr, "%s: row %zu bib %s:%s\n", name, i + 2, bibs[i], why);
			bad++;
		}
		nplaced += r.place > 0;
		ntimed += r.adj_ms != NO_T;
	}
	printf("%s: %zu entries in %zu events, %zu timed, %zu placed, %d differences, %d records "
	       "refused\n",
	       name, t.nrows, nev, ntimed, nplaced, bad, napply_fail);
	for (size_t i = 0; i < t.nrows; i++)
		free(bibs[i]);
	free(bibs);
	free(evs);
	sl_buf_release(&b);
	core_free(c);
	table_free(&t);
	return bad + napply_fail;
}

static void midwest(void)
{
	ASSERT_EQ(check_file(FILES[0]), 0);
}

static void hebda(void)
{
	ASSERT_EQ(check_file(FILES[1]), 0);
}

static void tedhouk(void)
{
	ASSERT_EQ(check_file(FILES[2]), 0);
}

#define TESTS(X) X(midwest) X(hebda) X(tedhouk)

TESTS(T_DECL)
int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} all[] = {TESTS(T_ENTRY)};
	int passed = 0, failed = 0;
	if (argc > 1)
		data_dir = argv[1];
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (argc > 2 && strcmp(argv[2], all[i].name) != 0)
			continue;
		int before = t_failed_asserts;
		all[i].fn();
		if (t_failed_asserts == before) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s\n", all[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

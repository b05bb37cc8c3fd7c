/*
 * fold_bench.c: how fast the core folds a marathon's passings.
 *
 *   fold_bench [boston-2015.csv] [--rounds N]
 *
 * Builds, in memory and the way splitline-replay does, the records of the
 * Boston 2015 race: the config (4 waves by bib, 11 timing points, 20
 * sex/age categories), the participants (chip = bib) in chunks of 1000, and
 * the passings: a start crossing at the wave's T0 plus a corral delay that
 * grows with the bib's position in its wave (0..20 min), then each split at
 * start + elapsed; all reads sorted by time, in batches of 500 on one
 * device.  Then it times core_apply() over the passings records and prints
 * reads per second, next to two references measured in the same run on the
 * same data (msgpack-decoding the same records; qsort of as many int64
 * keys), so figures from a noisy machine can be compared.  It checks the
 * places against the official ones and prints the peak RSS.  Then the
 * export cache's steps and the printouts' times (PDF, XLSX).
 */
#include <csv.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

#include "core.h"
#include "print/print.h"
#include "slp.h"

#ifndef SL_DATA_DIR
#define SL_DATA_DIR "data"
#endif

#define NSPLITS 10
static const char *split_cols[NSPLITS] = {"5K",  "10K", "15K", "20K", "Half",
					  "25K", "30K", "35K", "40K", "Official Time"};
static const char *split_pts[NSPLITS] = {"5k", "10k", "15k", "20k", "half",
					 "25k", "30k", "35k", "40k", "finish"};
static const double split_m[NSPLITS] = {5000,  10000, 15000, 20000, 21097.5,
					25000, 30000, 35000, 40000, 42195};

/* Wave T0s: 2015-04-20 10:00, 10:25, 10:50, 11:15 at UTC-4. */
#define DAY0 1429538400000LL /* 10:00 -04:00 */
static const int64_t wave_t0[4] = {DAY0, DAY0 + 25 * 60000LL, DAY0 + 50 * 60000LL,
				   DAY0 + 75 * 60000LL};

struct runner {
	char bib[16];
	char name[64];
	char sex;
	int age;
	int wave;
	long num; /* numeric bib, or a large number */
	int64_t elapsed[NSPLITS]; /* -1: missing */
	long overall;
	int64_t start;
};

struct rread {
	int64_t t;
	uint32_t runner;
	uint8_t pt; /* 0 start, 1.. splits */
};

/* ---- CSV --------------------------------------------------------------- */

struct parse {
	struct runner *rs;
	size_t n, cap;
	int col, line;
	int idx[32]; /* column -> field */
	char hdr[32][32];
	int ncols;
	struct runner cur;
	size_t bad;
};

enum { F_BIB = 0, F_NAME, F_AGE, F_SEX, F_OVERALL, F_SPLIT0 };

static void on_field(void *s, size_t len, void *data)
{
	struct parse *p = data;
	char v[128];
	if (len >= sizeof(v))
		len = sizeof(v) - 1;
	memcpy(v, s ? s : "", len);
	v[len] = '\0';
	if (p->line == 0) {
		if (p->col < 32)
			snprintf(p->hdr[p->col], sizeof(p->hdr[0]), "%.31s", v);
		p->col++;
		return;
	}
	int f = p->col < 32 ? p->idx[p->col] : -1;
	p->col++;
	switch (f) {
	case F_BIB:
		snprintf(p->cur.bib, sizeof(p->cur.bib), "%.15s", v);
		break;
	case F_NAME:
		snprintf(p->cur.name, sizeof(p->cur.name), "%.63s", v);
		break;
	case F_AGE:
		p->cur.age = atoi(v);
		break;
	case F_SEX:
		p->cur.sex = v[0];
		break;
	case F_OVERALL:
		p->cur.overall = atol(v);
		break;
	default:
		if (f >= F_SPLIT0 && f < F_SPLIT0 + NSPLITS) {
			int64_t ms;
			if (strcmp(v, "-") != 0 && v[0] && strchr(v, ':') && sl_parse_hms(v, &ms) == 0)
				p->cur.elapsed[f - F_SPLIT0] = ms;
			else if (strcmp(v, "-") != 0)
				p->bad++; /* a bad time cell: that read is skipped */
		}
	}
}

static void on_row(int c, void *data)
{
	struct parse *p = data;
	(void)c;
	if (p->line == 0) {
		p->ncols = p->col;
		for (int i = 0; i < 32; i++)
			p->idx[i] = -1;
		for (int i = 0; i < p->ncols && i < 32; i++) {
			const char *h = p->hdr[i];
			if (!strcmp(h, "Bib"))
				p->idx[i] = F_BIB;
			else if (!strcmp(h, "Name"))
				p->idx[i] = F_NAME;
			else if (!strcmp(h, "Age"))
				p->idx[i] = F_AGE;
			else if (!strcmp(h, "M/F"))
				p->idx[i] = F_SEX;
			else if (!strcmp(h, "Overall"))
				p->idx[i] = F_OVERALL;
			for (int k = 0; k < NSPLITS; k++)
				if (!strcmp(h, split_cols[k]))
					p->idx[i] = F_SPLIT0 + k;
		}
	} else if (p->cur.bib[0]) {
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 1024;
			p->rs = realloc(p->rs, p->cap * sizeof(*p->rs));
		}
		p->rs[p->n++] = p->cur;
	}
	p->line++;
	p->col = 0;
	memset(&p->cur, 0, sizeof(p->cur));
	for (int k = 0; k < NSPLITS; k++)
		p->cur.elapsed[k] = -1;
}

static int load_csv(const char *path, struct parse *p)
{
	struct csv_parser cp;
	char buf[1 << 16];
	size_t n;
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fold_bench: cannot open '%s'\n", path);
		return -1;
	}
	memset(p, 0, sizeof(*p));
	for (int k = 0; k < NSPLITS; k++)
		p->cur.elapsed[k] = -1;
	csv_init(&cp, CSV_APPEND_NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		csv_parse(&cp, buf, n, on_field, on_row, p);
	csv_fini(&cp, on_field, on_row, p);
	csv_free(&cp);
	fclose(f);
	return 0;
}

/* ---- records ------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int rread_cmp(const void *a, const void *b)
{
	const struct rread *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->runner != y->runner)
		return x->runner < y->runner ? -1 : 1;
	return (int)x->pt - (int)y->pt;
}

static int runner_num_cmp(const void *a, const void *b)
{
	const struct runner *const *x = a, *const *y = b;
	if ((*x)->num != (*y)->num)
		return (*x)->num < (*y)->num ? -1 : 1;
	return strcmp((*x)->bib, (*y)->bib);
}

static int bib_cmp(const void *a, const void *b)
{
	return strcmp((*(struct runner *const *)a)->bib, (*(struct runner *const *)b)->bib);
}

static int bib_key_cmp(const void *key, const void *b)
{
	return strcmp(key, (*(struct runner *const *)b)->bib);
}

static int i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void build_config(sl_buf *b)
{
	msgpack_packer pk;
	char id[32], name[64];
	slp_packer_init(&pk, b);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "k", "config");
	slp_pack_key(&pk, "config");
	msgpack_pack_map(&pk, 4);
	slp_pack_kv_str(&pk, "event", "boston-2015");
	slp_pack_kv_str(&pk, "name", "Boston Marathon 2015");
	slp_pack_kv_str(&pk, "date", "2015-04-20");
	slp_pack_key(&pk, "races");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 9);
	slp_pack_kv_str(&pk, "id", "marathon");
	slp_pack_kv_str(&pk, "name", "Marathon");
	slp_pack_kv_str(&pk, "kind", "mass");
	slp_pack_kv_int(&pk, "distance_m", 42195);
	slp_pack_kv_str(&pk, "ranking", "net");
	slp_pack_kv_int(&pk, "precision_ms", 1000);
	slp_pack_key(&pk, "waves");
	static const char *ranges[4] = {"1-8999", "9000-17999", "18000-26999", "27000-99999"};
	msgpack_pack_array(&pk, 4);
	for (int w = 0; w < 4; w++) {
		msgpack_pack_map(&pk, 3);
		snprintf(id, sizeof(id), "%d", w + 1);
		slp_pack_kv_str(&pk, "id", id);
		slp_pack_kv_int(&pk, "start", wave_t0[w]);
		slp_pack_kv_str(&pk, "bibs", ranges[w]);
	}
	slp_pack_key(&pk, "points");
	msgpack_pack_array(&pk, NSPLITS + 1);
	msgpack_pack_map(&pk, 4);
	slp_pack_kv_str(&pk, "id", "start");
	slp_pack_kv_str(&pk, "role", "start");
	slp_pack_kv_int(&pk, "distance_m", 0);
	slp_pack_kv_int(&pk, "window_s", 1800);
	for (int k = 0; k < NSPLITS; k++) {
		msgpack_pack_map(&pk, 3);
		slp_pack_kv_str(&pk, "id", split_pts[k]);
		slp_pack_kv_str(&pk, "role", k == NSPLITS - 1 ? "finish" : "split");
		slp_pack_key(&pk, "distance_m");
		msgpack_pack_double(&pk, split_m[k]);
	}
	/* Boston divisions: sex x 18-39, 40-44, ..., 75-79, 80+ */
	slp_pack_key(&pk, "categories");
	msgpack_pack_array(&pk, 20);
	for (int s = 0; s < 2; s++) {
		for (int g = 0; g < 10; g++) {
			int lo = g == 0 ? 18 : 35 + 5 * g, hi = g == 0 ? 39 : g == 9 ? -1 : lo + 4;
			msgpack_pack_map(&pk, hi < 0 ? 4 : 5);
			if (hi < 0)
				snprintf(id, sizeof(id), "%c%d+", "MF"[s], lo);
			else
				snprintf(id, sizeof(id), "%c%d-%d", "MF"[s], lo, hi);
			snprintf(name, sizeof(name), "%s %s", s ? "Women" : "Men", id + 1);
			slp_pack_kv_str(&pk, "id", id);
			slp_pack_kv_str(&pk, "name", name);
			slp_pack_kv_str(&pk, "sex", s ? "F" : "M");
			slp_pack_kv_int(&pk, "age_min", lo);
			if (hi >= 0)
				slp_pack_kv_int(&pk, "age_max", hi);
		}
	}
}

static void build_participants(const struct runner *rs, size_t from, size_t to, sl_buf *b)
{
	msgpack_packer pk;
	char wave[16];
	slp_packer_init(&pk, b);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "k", "participants");
	slp_pack_key(&pk, "rows");
	msgpack_pack_array(&pk, to - from);
	for (size_t i = from; i < to; i++) {
		const struct runner *r = &rs[i];
		char sex[2] = {r->sex == 'F' ? 'F' : 'M', 0};
		msgpack_pack_map(&pk, 6);
		slp_pack_kv_str(&pk, "bib", r->bib);
		slp_pack_kv_str(&pk, "name", r->name);
		slp_pack_kv_str(&pk, "sex", sex);
		slp_pack_kv_int(&pk, "age", r->age);
		snprintf(wave, sizeof(wave), "%d", r->wave + 1);
		slp_pack_kv_str(&pk, "wave", wave);
		slp_pack_key(&pk, "chips");
		msgpack_pack_array(&pk, 1);
		slp_pack_str(&pk, r->bib);
	}
}

/* The timed fold, out of line so that a profiler can single it out
 * (valgrind --tool=callgrind --toggle-collect=fold_batches). */
__attribute__((noinline)) static int fold_batches(core *c, const sl_buf *recs, size_t nb)
{
	char err[256];
	for (size_t b = 0; b < nb; b++) {
		if (core_apply(c, recs[b].data, recs[b].len, err, sizeof(err)) < 0) {
			fprintf(stderr, "fold_bench: batch %zu: %s\n", b, err);
			return -1;
		}
	}
	return 0;
}

static const char *pt_name(int pt)
{
	return pt == 0 ? "start" : split_pts[pt - 1];
}

/* gzip (zlib, windowBits 31) of in at level into out; returns out's length. */
static size_t gzip_len(const sl_buf *in, int level, sl_buf *out)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	uLong bound = deflateBound(&z, in->len);
	sl_buf_reset(out);
	sl_buf_reserve(out, bound);
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)bound;
	deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return out->len;
}

/*
 * What the HTTP export cache (server/net/export_cache.c) does per change:
 * on the loop, a snapshot of the core; off it, the snapshot loaded into a
 * private core, the export, its gzip.  Times each step, the gzip at
 * several levels, and checks that the export of the loaded copy is the
 * live core's to the byte.
 */
static void export_figures(const core *c)
{
	sl_buf js = SL_BUF_INIT, cs = SL_BUF_INIT, snap = SL_BUF_INIT, js2 = SL_BUF_INIT;
	sl_buf gz = SL_BUF_INIT;
	char err[256];
	double t0 = now_s();
	core_export_event_json(c, &js);
	double t1 = now_s();
	core_export_event_csv(c, &cs);
	double t2 = now_s();
	core_snapshot_save(c, &snap);
	double t3 = now_s();
	core *copy = core_new();
	int rc = core_snapshot_load(copy, snap.data, snap.len, err, sizeof(err));
	double t4 = now_s();
	core_export_event_json(copy, &js2);
	double t5 = now_s();
	core_free(copy);

	printf("event export: json %.1f ms (%zu bytes), csv %.1f ms (%zu bytes)\n",
	       (t1 - t0) * 1e3, js.len, (t2 - t1) * 1e3, cs.len);
	printf("export cache path: snapshot save %.1f ms (on the loop, %zu bytes); load %.1f ms "
	       "+ json export %.1f ms (off the loop); copy's export %s\n",
	       (t3 - t2) * 1e3, snap.len, (t4 - t3) * 1e3, (t5 - t4) * 1e3,
	       rc < 0                                                     ? err
	       : js2.len == js.len && !memcmp(js.data, js2.data, js.len) ? "identical"
									   : "DIFFERS");
	static const int levels[] = {1, 3, 6, 9};
	for (size_t li = 0; li < sizeof(levels) / sizeof(*levels); li++) {
		const sl_buf *in[2] = {&js, &cs};
		int level = levels[li];
		for (int k = 0; k < 2; k++) {
			double g0 = now_s();
			size_t n = gzip_len(in[k], level, &gz);
			double g1 = now_s();
			printf("gzip -%d %s: %.1f ms, %zu -> %zu bytes (%.1f%%)\n", level,
			       k ? "csv " : "json", (g1 - g0) * 1e3, in[k]->len, n,
			       100.0 * n / (in[k]->len ? in[k]->len : 1));
		}
	}
	sl_buf *bufs[] = {&js, &cs, &snap, &js2, &gz};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(*bufs); i++)
		sl_buf_release(bufs[i]);
}

/*
 * The printouts (server/print), as the export cache's worker makes them
 * from its private core: each one's time and size.
 */
/* The pages of a PDF: its "/Type /Page" objects (not "/Pages"). */
static size_t pdf_pages(const sl_buf *b)
{
	size_t n = 0;
	const char *p = b->data, *end = b->data + b->len;

	while (p && (p = memmem(p, (size_t)(end - p), "/Type /Page", 11))) {
		p += 11;
		n += p < end && *p != 's';
	}
	return n;
}

static void print_figures(const core *c)
{
	sl_buf out = SL_BUF_INIT;
	char err[256];
	static const char *const what[] = {"results pdf", "awards pdf", "certificate pdf",
					   "race xlsx"};

	for (int k = 0; k < 4; k++) {
		sl_buf_reset(&out);
		double t0 = now_s();
		int rc = k == 0	  ? print_results_pdf(c, "marathon", &out, err, sizeof(err))
			 : k == 1 ? print_awards_pdf(c, "marathon", &out, err, sizeof(err))
			 : k == 2 ? print_certificate_pdf(c, "marathon", "3", &out, err, sizeof(err))
				  : print_xlsx(c, "marathon", &out, err, sizeof(err));
		double t1 = now_s();
		printf("printout %s: %.1f ms, %zu bytes", what[k], (t1 - t0) * 1e3, out.len);
		if (k < 3)
			printf(", %zu pages", pdf_pages(&out));
		printf("%s%s\n", rc < 0 ? ": " : "", rc < 0 ? err : "");
	}
	sl_buf_release(&out);
	print_cleanup();
}

int main(int argc, char **argv)
{
	const char *path = SL_DATA_DIR "/boston-2015.csv";
	int rounds = 3;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: fold_bench [FILE.csv] [--rounds N]\n");
			return 0;
		} else
			path = argv[i];
	}
	if (rounds < 1)
		rounds = 1;

	struct parse p;
	if (load_csv(path, &p) < 0)
		return 1;
	size_t n = p.n;

	/* waves and corral delays */
	struct runner **byw[4];
	size_t nw[4] = {0};
	for (int w = 0; w < 4; w++)
		byw[w] = malloc((n + 1) * sizeof(**byw));
	for (size_t i = 0; i < n; i++) {
		struct runner *r = &p.rs[i];
		char *end;
		long v = strtol(r->bib, &end, 10);
		r->num = (*end || !r->bib[0]) ? 1000000 : v;
		r->wave = r->num <= 8999 ? 0 : r->num <= 17999 ? 1 : r->num <= 26999 ? 2 : 3;
		byw[r->wave][nw[r->wave]++] = r;
	}
	for (int w = 0; w < 4; w++) {
		qsort(byw[w], nw[w], sizeof(*byw[w]), runner_num_cmp);
		for (size_t i = 0; i < nw[w]; i++)
			byw[w][i]->start = wave_t0[w] + (int64_t)(i * 1200000.0 / (nw[w] ? nw[w] : 1));
		free(byw[w]);
	}

	/* reads, sorted by time */
	struct rread *reads = malloc(n * (NSPLITS + 1) * sizeof(*reads));
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		reads[nr++] = (struct rread){p.rs[i].start, (uint32_t)i, 0};
		for (int k = 0; k < NSPLITS; k++)
			if (p.rs[i].elapsed[k] >= 0)
				reads[nr++] = (struct rread){p.rs[i].start + p.rs[i].elapsed[k],
							     (uint32_t)i, (uint8_t)(k + 1)};
	}
	qsort(reads, nr, sizeof(*reads), rread_cmp);

	/* records */
	enum { BATCH = 500 };
	size_t nb = (nr + BATCH - 1) / BATCH, nsetup = 0;
	sl_buf *recs = calloc(nb, sizeof(*recs));
	sl_buf setup[64];
	memset(setup, 0, sizeof(setup));
	build_config(&setup[nsetup++]);
	for (size_t i = 0; i < n; i += 1000)
		build_participants(p.rs, i, i + 1000 < n ? i + 1000 : n, &setup[nsetup++]);
	slp_read *sr = calloc(BATCH, sizeof(*sr));
	for (size_t b = 0; b < nb; b++) {
		size_t from = b * BATCH, cnt = nr - from < BATCH ? nr - from : BATCH;
		for (size_t i = 0; i < cnt; i++) {
			const struct rread *x = &reads[from + i];
			const char *bib = p.rs[x->runner].bib;
			sr[i] = (slp_read){.chip = bib, .chip_len = strlen(bib), .pt = pt_name(x->pt),
					   .pt_len = strlen(pt_name(x->pt)), .t = x->t,
					   .kind = SLP_KIND_RFID, .hits = -1};
		}
		msgpack_packer pk;
		slp_packer_init(&pk, &recs[b]);
		msgpack_pack_map(&pk, 5);
		slp_pack_kv_str(&pk, "k", "passings");
		slp_pack_kv_str(&pk, "dev", "replay");
		slp_pack_kv_int(&pk, "seq", (int64_t)from + 1);
		slp_pack_key(&pk, "reads");
		slp_pack_reads(&pk, sr, cnt);
		slp_pack_kv_int(&pk, "rx", reads[from].t);
	}
	free(sr);
	size_t bytes = 0;
	for (size_t b = 0; b < nb; b++)
		bytes += recs[b].len;
	printf("fold_bench: %s: %zu runners, %zu reads in %zu batches of %d (%.1f MB msgpack), "
	       "%zu bad time cells skipped\n",
	       path, n, nr, nb, BATCH, bytes / 1e6, p.bad);

	/* timing: best of rounds, each on a fresh core */
	char err[256];
	double best_dup = 1e9, best_fold = 1e9, best_setup = 1e9, best_decode = 1e9, best_sort = 1e9;
	core *c = NULL;
	for (int round = 0; round < rounds; round++) {
		core_free(c);
		c = core_new();
		double t0 = now_s();
		for (size_t i = 0; i < nsetup; i++) {
			if (core_apply(c, setup[i].data, setup[i].len, err, sizeof(err)) < 0) {
				fprintf(stderr, "fold_bench: setup record %zu: %s\n", i, err);
				return 1;
			}
		}
		double t1 = now_s();
		if (fold_batches(c, recs, nb) < 0)
			return 1;
		double t2 = now_s();
		/* the same batches again: all duplicates (decode, parse, skip) */
		for (size_t b = 0; b < nb; b++)
			core_apply(c, recs[b].data, recs[b].len, err, sizeof(err));
		double t3 = now_s();
		if (t3 - t2 < best_dup)
			best_dup = t3 - t2;
		if (t1 - t0 < best_setup)
			best_setup = t1 - t0;
		if (t2 - t1 < best_fold)
			best_fold = t2 - t1;

		/* reference 1: just decode the same records */
		double d0 = now_s();
		size_t objs = 0;
		for (size_t b = 0; b < nb; b++) {
			msgpack_zone z;
			msgpack_object o;
			size_t off = 0;
			msgpack_zone_init(&z, 4096);
			if (msgpack_unpack(recs[b].data, recs[b].len, &off, &z, &o) ==
			    MSGPACK_UNPACK_SUCCESS)
				objs += o.via.map.size;
			msgpack_zone_destroy(&z);
		}
		double d1 = now_s();
		if (d1 - d0 < best_decode)
			best_decode = d1 - d0;

		/* reference 2: qsort as many int64 keys */
		int64_t *keys = malloc(nr * sizeof(*keys));
		uint64_t x = 88172645463325252ULL;
		for (size_t i = 0; i < nr; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			keys[i] = (int64_t)(x >> 1);
		}
		double s0 = now_s();
		qsort(keys, nr, sizeof(*keys), i64_cmp);
		double s1 = now_s();
		free(keys);
		if (s1 - s0 < best_sort)
			best_sort = s1 - s0;
		if (!objs)
			printf("(decode produced nothing)\n");
	}

	/* exports, and the places against the official ones */
	sl_buf csv = SL_BUF_INIT;
	double e0 = now_s();
	core_export_csv(c, "marathon", &csv);
	double e1 = now_s();
	sl_buf snapb = SL_BUF_INIT;
	core_snapshot_save(c, &snapb);
	double e2 = now_s();

	/* official: Overall is in [1 + strictly faster, number with time <=] at 1 s */
	int64_t *fin = malloc((n + 1) * sizeof(*fin));
	size_t nf = 0;
	for (size_t i = 0; i < n; i++)
		if (p.rs[i].elapsed[NSPLITS - 1] >= 0)
			fin[nf++] = p.rs[i].elapsed[NSPLITS - 1] / 1000;
	qsort(fin, nf, sizeof(*fin), i64_cmp);
	size_t checked = 0, outside = 0, wrong_net = 0, wrong_place = 0;
	struct runner **index = malloc((n + 1) * sizeof(*index));
	for (size_t k = 0; k < n; k++)
		index[k] = &p.rs[k];
	qsort(index, n, sizeof(*index), bib_cmp);
	sl_buf sb = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &sb);
	core_topic_snapshot(c, "results/marathon", 16, 0, 0, &pk);
	/* a whole-race snapshot is larger than a wire frame: unpack it directly */
	msgpack_zone mz;
	msgpack_object root;
	size_t moff = 0;
	msgpack_zone_init(&mz, 1 << 20);
	if (msgpack_unpack(sb.data, sb.len, &moff, &mz, &root) == MSGPACK_UNPACK_SUCCESS) {
		const msgpack_object_array *rows;
		if (slp_get_arr(&root, "rows", &rows) == 0) {
			/* bib -> runner by a linear map over numeric bibs */
			for (uint32_t i = 0; i < rows->size; i++) {
				int64_t place, net;
				const char *b;
				size_t bl;
				if (slp_get_int(&rows->ptr[i], "place", &place) < 0 ||
				    slp_get_int(&rows->ptr[i], "net", &net) < 0 ||
				    slp_get_str(&rows->ptr[i], "bib", &b, &bl) < 0)
					continue;
				char key[16];
				snprintf(key, sizeof(key), "%.*s", (int)(bl < 15 ? bl : 15), b);
				struct runner **hit =
					bsearch(key, index, n, sizeof(*index), bib_key_cmp);
				struct runner *r = hit ? *hit : NULL;
				if (!r)
					continue;
				checked++;
				int64_t sec = net / 1000;
				if (net != r->elapsed[NSPLITS - 1])
					wrong_net++;
				/* lo: finish times < sec; hi: <= sec (fin is sorted) */
				size_t lo = 0, hi = nf;
				while (lo < hi) {
					size_t mid = lo + (hi - lo) / 2;
					if (fin[mid] < sec)
						lo = mid + 1;
					else
						hi = mid;
				}
				hi = lo;
				while (hi < nf && fin[hi] <= sec)
					hi++;
				/* runners whose time cell was bad are missing here, so the
				 * official place may be up to p.bad higher */
				if (place != (int64_t)lo + 1)
					wrong_place++;
				if (r->overall < (long)lo + 1 || r->overall > (long)(hi + p.bad))
					outside++;
			}
		}
	}
	msgpack_zone_destroy(&mz);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("setup (config + %zu participant records): %.1f ms\n", nsetup - 1,
	       best_setup * 1e3);
	printf("fold: %zu reads in %.1f ms = %.2f M reads/s (best of %d)\n", nr, best_fold * 1e3,
	       nr / best_fold / 1e6, rounds);
	printf("refold of the same batches (all duplicates: decode, parse, skip): %.1f ms\n",
	       best_dup * 1e3);
	printf("reference: msgpack decode of the same records %.1f ms (%.2f M reads/s); "
	       "qsort of %zu int64 keys %.1f ms\n",
	       best_decode * 1e3, nr / best_decode / 1e6, nr, best_sort * 1e3);
	printf("ratio: fold = %.2fx decode, %.2fx qsort\n", best_fold / best_decode,
	       best_fold / best_sort);
	printf("export csv %.1f ms (%zu bytes); snapshot save %.1f ms (%zu bytes)\n",
	       (e1 - e0) * 1e3, csv.len, (e2 - e1) * 1e3, snapb.len);
	printf("places: %zu finishers checked: %zu not 1 + strictly faster, %zu official places "
	       "outside [place, ties + %zu skipped], %zu net times differ\n",
	       checked, wrong_place, outside, p.bad, wrong_net);
	printf("peak RSS: %.1f MB\n", ru.ru_maxrss / 1024.0);
	export_figures(c);
	print_figures(c);

	sl_buf_release(&csv);
	sl_buf_release(&snapb);
	sl_buf_release(&sb);
	core_free(c);
	for (size_t b = 0; b < nb; b++)
		sl_buf_release(&recs[b]);
	for (size_t i = 0; i < nsetup; i++)
		sl_buf_release(&setup[i]);
	free(recs);
	free(reads);
	free(fin);
	free(index);
	free(p.rs);
	return 0;
}

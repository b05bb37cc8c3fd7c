/*
 * test_regatta_data.c: the core reproduces published regatta results.
 *
 * For each regatta export in the data dir (argv[1]; files named in FILES),
 * the test takes the records splitline-regatta sends, built by
 * clients/regatta/regfile.c (shared with the client; the mapping is in
 * regfile.h): the import (config, participants, adjust records for DNS,
 * DNF, DQ, Scratch, Exhib, "(10s)" penalties and the finish station the
 * officials chose) and the replay (a wave_start per side-by-side event,
 * passings of every station reading), folds them through core_apply, and
 * compares every entry's raw time, adjusted time, place and status with the
 * file, to the millisecond.  Any difference is listed.  Every record must
 * also convert to its protocol message (regfile_to_msg).
 *
 * Files of the tests' own (tests/data, SL_TESTS_DATA) are folded alike:
 * each test that reads one says how it was made from real rows.
 */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "regfile.h"
#include "slp.h"
#include "t.h"

static const char *data_dir = "data";
static const char *FILES[] = {"regatta-midwest-2023.csv", "regatta-hebda-2023.csv",
			      "canoe-kayak-tedhouk-2022.csv"};

static int apply_all(core *c, const reg_recs *l)
{
	char err[512];
	int nfail = 0;
	for (size_t i = 0; i < l->n; i++)
		if (core_apply(c, l->r[i].data, l->r[i].len, err, sizeof(err)) < 0) {
			fprintf(stderr, "record %zu refused: %s\n", i, err);
			nfail++;
		}
	return nfail;
}

/* Every record also survives the trip to a protocol message. */
static int check_msgs(const reg_recs *l)
{
	sl_buf m = SL_BUF_INIT;
	int bad = 0;
	for (size_t i = 0; i < l->n; i++)
		bad += regfile_to_msg(l->r[i].data, l->r[i].len, i + 1, &m) < 0;
	sl_buf_release(&m);
	return bad;
}

/* Did row i race (a time, or a DNF/DQ on the water)? */
static bool raced(const regfile *rf, size_t i)
{
	struct reg_expect x;
	regfile_expect(rf, i, &x);
	return x.raw != REGFILE_NO_T || (x.status && (!strcmp(x.status, "dnf") ||
						      !strcmp(x.status, "dsq")));
}

/* The race of row i, as imported. */
static const char *race_of(const regfile *rf, size_t i)
{
	return regfile_race_id(rf, regfile_row_race(rf, i));
}

/* Is a crew of that name entered in race ev? */
static bool entered(const regfile *rf, const char *ev, const char *crew)
{
	for (size_t i = 0; i < regfile_nrows(rf); i++)
		if (!strcmp(race_of(rf, i), ev) &&
		    !strcmp(regfile_cell(rf, i, "Crew"), crew))
			return true;
	return false;
}

/* "Saline A" raced race ev as "Saline". */
static bool renamed(const regfile *rf, const char *ev, const char *g)
{
	size_t gl = strlen(g);
	if (gl < 3 || g[gl - 2] != ' ' || g[gl - 1] < 'A' || g[gl - 1] > 'Z')
		return false;
	char base[256];
	snprintf(base, sizeof(base), "%.*s", (int)(gl - 2), g);
	return entered(rf, ev, base);
}

/*
 * For every race fed by others (its feeders' rules name it), the line-up
 * the core generates must hold every crew that raced it in the file.  The
 * differences either way are listed with what explains them.  Returns the
 * number of crews that raced the next round and are not in the line-up.
 */
/*
 * Do crew names carry from round to round in this file?  The data's names
 * are made up per entry in some files (canoe-kayak-tedhouk: a person's
 * fake name from the bib), so no crew of a final is found in its heats.
 */
static bool names_carry(const regfile *rf, const core *c)
{
	size_t raced_n = 0, known = 0;
	for (size_t e = 0; e < regfile_nevents(rf); e++) {
		const char *ev = regfile_race_id(rf, e);
		struct core_lineup l;
		if (core_lineup(c, ev, &l) < 0 || l.nfeeders == 0) {
			core_lineup_release(&l);
			continue;
		}
		for (size_t i = 0; i < regfile_nrows(rf); i++) {
			if (strcmp(race_of(rf, i), ev) || !raced(rf, i))
				continue;
			raced_n++;
			for (size_t k = 0; k < regfile_nrows(rf); k++) {
				const char *from = race_of(rf, k);
				bool feeder = false;
				for (size_t j = 0; j < l.n; j++)
					feeder |= !strcmp(l.rows[j].from, from);
				if (feeder && !strcmp(regfile_cell(rf, k, "Crew"),
						      regfile_cell(rf, i, "Crew"))) {
					known++;
					break;
				}
			}
		}
		core_lineup_release(&l);
	}
	return known * 2 >= raced_n;
}

/*
 * Without names to follow, the line-ups are compared by size: fewer crews
 * raced than the line-up holds (scratches, DNS) or more (crews added by the
 * officials); both are listed, neither can fail the test, since which crews
 * they are cannot be told.
 */
static int check_progression_counts(const char *name, const regfile *rf, const core *c)
{
	size_t nrounds = 0, nraced_all = 0, ngen_all = 0;
	int bad = 0;
	printf("%s: crew names differ between rounds in this file (made up per entry): line-ups "
	       "compared by size\n",
	       name);
	for (size_t e = 0; e < regfile_nevents(rf); e++) {
		const char *ev = regfile_race_id(rf, e);
		struct core_lineup l;
		if (core_lineup(c, ev, &l) < 0 || l.nfeeders == 0) {
			core_lineup_release(&l);
			continue;
		}
		size_t nraced = 0, nentered = 0;
		for (size_t i = 0; i < regfile_nrows(rf); i++)
			if (!strcmp(race_of(rf, i), ev)) {
				nentered++;
				nraced += raced(rf, i);
			}
		nrounds++;
		nraced_all += nraced;
		ngen_all += l.n;
		if (nraced > l.n) {
			/* listed, not failed: who was added cannot be told without names */
			printf("  %s: race %s: %zu crews raced it, the rule gives %zu: %zu added by "
			       "the officials (a lineup override)\n",
			       name, ev, nraced, l.n, nraced - l.n);
			bad++;
		} else if (nraced < l.n) {
			printf("  %s: race %s: line-up of %zu, %zu raced (%zu entered): %zu scratched "
			       "or did not start\n",
			       name, ev, l.n, nraced, nentered, l.n - nraced);
		}
		core_lineup_release(&l);
	}
	printf("%s: progression: %zu next rounds fed by a rule, %zu crews in the generated "
	       "line-ups, %zu raced them, %d rounds with more crews than the rule gives\n",
	       name, nrounds, ngen_all, nraced_all, bad);
	return 0;
}

static int check_progression(const char *name, const regfile *rf, const core *c)
{
	size_t nrows = regfile_nrows(rf), nrounds = 0, ncrews = 0, nmiss = 0, nextra = 0;
	if (!names_carry(rf, c))
		return check_progression_counts(name, rf, c);
	for (size_t e = 0; e < regfile_nevents(rf); e++) {
		const char *ev = regfile_race_id(rf, e);
		struct core_lineup l;
		if (core_lineup(c, ev, &l) < 0 || l.nfeeders == 0) {
			core_lineup_release(&l);
			continue;
		}
		nrounds++;
		for (size_t i = 0; i < nrows; i++) {
			if (strcmp(race_of(rf, i), ev) != 0)
				continue;
			const char *crew = regfile_cell(rf, i, "Crew");
			bool in = false;
			for (size_t k = 0; k < l.n; k++)
				in |= !strcmp(l.rows[k].name, crew);
			/* a crew renamed for the final: "Saline A" races as "Saline" */
			for (size_t k = 0; k < l.n && !in; k++) {
				const char *g = l.rows[k].name;
				size_t gl = strlen(g), cl = strlen(crew);
				if (gl == cl + 2 && !strncmp(g, crew, cl) && g[cl] == ' ' &&
				    g[cl + 1] >= 'A' && g[cl + 1] <= 'Z' && !entered(rf, ev, g)) {
					in = true;
					printf("  %s: race %s: '%s' raced as '%s'\n", name, ev, g, crew);
				}
			}
			if (in) {
				ncrews++;
				continue;
			}
			if (!raced(rf, i)) {
				printf("  %s: race %s: '%s' is entered but did not race (%s) and was "
				       "not generated\n",
				       name, ev, crew, regfile_cell(rf, i, "AdjTime"));
				continue;
			}
			nmiss++;
			fprintf(stderr, "  %s: race %s: '%s' raced it but is not in the generated "
					"line-up\n",
				name, ev, crew);
		}
		for (size_t k = 0; k < l.n; k++) {
			bool found = false;
			const char *why = "not entered";
			for (size_t i = 0; i < nrows; i++)
				if (!strcmp(race_of(rf, i), ev) &&
				    !strcmp(regfile_cell(rf, i, "Crew"), l.rows[k].name)) {
					found = true;
					why = regfile_cell(rf, i, "AdjTime");
				}
			if (found && strcmp(why, "Scratch") && strcmp(why, "DNS"))
				continue;
			if (!found && renamed(rf, ev, l.rows[k].name))
				continue;
			nextra++;
			printf("  %s: race %s: '%s' qualified (%s place %d) but %s: listed as a "
			       "difference (scratch)\n",
			       name, ev, l.rows[k].name, l.rows[k].from, l.rows[k].place,
			       found ? (!strcmp(why, "DNS") ? "did not start" : "scratched")
				     : "is not in the file's next round");
		}
		core_lineup_release(&l);
	}
	printf("%s: progression: %zu next rounds fed by a rule, %zu crews found in the generated "
	       "line-ups, %zu qualified but scratched or absent, %zu raced but not generated\n",
	       name, nrounds, ncrews, nextra, nmiss);
	return (int)nmiss;
}

/* The regatta exports: CSV header and a line per crew, JSON per race and whole. */
static int check_exports(const char *name, const regfile *rf, const core *c)
{
	sl_buf b = SL_BUF_INIT;
	int bad = 0;
	if (core_export_event_csv(c, &b) < 0) {
		bad++;
	} else {
		size_t lines = 0;
		for (size_t i = 0; i < b.len; i++)
			lines += b.data[i] == '\n';
		if (lines != regfile_nrows(rf) + 1 ||
		    strncmp(b.data, "place,lane,bib,crew,club,race,status,start_time,raw,penalty,adjusted,"
				    "margin,exhibition,relegated,place_manual,reasons\n",
			    112) != 0) {
			fprintf(stderr, "%s: whole-regatta CSV: %zu lines for %zu crews\n", name,
				lines, regfile_nrows(rf));
			bad++;
		}
	}
	sl_buf_reset(&b);
	bad += core_export_event_json(c, &b) < 0;
	sl_buf_reset(&b);
	bad += core_export_csv(c, regfile_race_id(rf, 0), &b) < 0;
	sl_buf_release(&b);
	return bad;
}

/* What splitline-regatta is told, and what it says back. */
struct run {
	const char *date; /* --date, or NULL */
	long distance_m;  /* --distance, 0: none */
	bool places;      /* --places-from-file */
	sl_buf warn;      /* the warnings of the days and the import */
	reg_recs imp, rep;
};

static void run_release(struct run *o)
{
	sl_buf_release(&o->warn);
	reg_recs_release(&o->imp);
	reg_recs_release(&o->rep);
}

/*
 * The file at path imported and replayed as splitline-regatta does it, and
 * folded through a fresh core (*cp, owned).  UTC midnights.  The number of
 * records refused or not convertible to a message.
 */
static int fold_file(const char *path, struct run *o, regfile **rfp, core **cp)
{
	char err[512];
	int64_t day0[REGFILE_MAX_DAYS];
	*cp = NULL;
	if (regfile_load(path, rfp, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	regfile *rf = *rfp;
	if (regfile_days(rf, o->date, &o->warn, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (size_t k = 0; k < regfile_ndays(rf); k++) {
		int y, mo, d;
		regfile_day(rf, k, &y, &mo, &d);
		day0[k] = regfile_utc_midnight(y, mo, d);
	}
	struct reg_opts ro = {.event = "regatta",
			      .official = "chief-judge",
			      .distance_m = o->distance_m,
			      .chunk = 500,
			      .places = o->places};
	regfile_import(rf, &ro, &o->imp, &o->warn);
	regfile_replay(rf, 100, REGFILE_DAY0, day0, &o->rep);
	*cp = core_new();
	int bad = apply_all(*cp, &o->imp) + apply_all(*cp, &o->rep);
	return bad + check_msgs(&o->imp) + check_msgs(&o->rep);
}

/* How many adjust records of that type (any type: NULL) the list holds. */
static size_t count_adjusts(const reg_recs *l, const char *type)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		msgpack_zone z;
		msgpack_object root;
		size_t off = 0;
		msgpack_zone_init(&z, 1024);
		if (msgpack_unpack(l->r[i].data, l->r[i].len, &off, &z, &root) ==
			    MSGPACK_UNPACK_SUCCESS &&
		    slp_str_eq(slp_get(&root, "k"), "adjust") &&
		    (!type || slp_str_eq(slp_get(&root, "type"), type)))
			n++;
		msgpack_zone_destroy(&z);
	}
	return n;
}

/* Every entry's raw time, adjusted time, place and status against the file's. */
static int compare_rows(const char *name, const regfile *rf, const core *c)
{
	int bad = 0;
	size_t nplaced = 0, ntimed = 0, nrows = regfile_nrows(rf);
	for (size_t i = 0; i < nrows; i++) {
		struct core_result r;
		struct reg_expect x;
		char why[256] = "";
		const char *bib = regfile_bib(rf, i);
		if (core_result(c, bib, &r) < 0) {
			fprintf(stderr, "%s: %s: no result\n", name, bib);
			bad++;
			continue;
		}
		regfile_expect(rf, i, &x);
		if ((long)r.place != x.place)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " place %zu != %ld",
				 r.place, x.place);
		if (r.raw_ms != x.raw)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " raw %lld != %lld",
				 (long long)r.raw_ms, (long long)x.raw);
		if (r.adj_ms != x.adj)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " adj %lld != %lld",
				 (long long)r.adj_ms, (long long)x.adj);
		if (r.exhibition != x.exhibition && !x.status)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " exhibition %d != %d",
				 r.exhibition, x.exhibition);
		if (x.status && strcmp(r.status, x.status) != 0)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " status %s != %s",
				 r.status, x.status);
		if (*why) {
			fprintf(stderr, "%s: row %zu bib %s:%s\n", name, i + 2, bib, why);
			bad++;
		}
		nplaced += r.place > 0;
		ntimed += r.adj_ms != REGFILE_NO_T;
	}
	printf("%s: %zu entries in %zu races, %zu timed, %zu placed, %d differences\n", name, nrows,
	       regfile_nevents(rf), ntimed, nplaced, bad);
	return bad;
}

/*
 * A published file end to end.  The import is run with --places-from-file:
 * the file's places are the ranks of its times, so no judges' place may be
 * sent (and the results are the file's all the same).
 */
static int check_file(const char *name, const char *date)
{
	char path[1024];
	regfile *rf = NULL;
	core *c;
	struct run o = {.date = date, .places = true};
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	int bad = fold_file(path, &o, &rf, &c);
	if (c) {
		bad += compare_rows(name, rf, c);
		size_t np = count_adjusts(&o.imp, "place");
		if (np) {
			fprintf(stderr, "%s: %zu judges' places sent where the file's places are the "
					"times'\n",
				name, np);
			bad++;
		}
		bad += check_progression(name, rf, c);
		bad += check_exports(name, rf, c);
	}
	printf("%s warnings:\n%s", name, o.warn.data ? o.warn.data : "");
	run_release(&o);
	core_free(c);
	regfile_free(rf);
	return bad;
}

/* The midwest regatta (Sat and Sun) on 2023-05-13, a Saturday chosen for the test. */
static void midwest(void)
{
	ASSERT_EQ(check_file(FILES[0], "2023-05-13"), 0);
}

static void hebda(void)
{
	ASSERT_EQ(check_file(FILES[1], NULL), 0);
}

static void tedhouk(void)
{
	ASSERT_EQ(check_file(FILES[2], NULL), 0);
}

/* The splits of bib (its result row's "splits": point -> ms since its start). */
static int64_t split_of(const core *c, const char *race, const char *bib, const char *pt)
{
	char topic[80];
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	msgpack_zone z;
	msgpack_object root;
	const msgpack_object_array *rows;
	size_t off = 0;
	int64_t v = REGFILE_NO_T;
	snprintf(topic, sizeof(topic), "results/%s", race);
	slp_packer_init(&pk, &b);
	msgpack_zone_init(&z, 65536);
	if (core_topic_snapshot(c, topic, strlen(topic), 0, 0, &pk) == 0 &&
	    msgpack_unpack(b.data, b.len, &off, &z, &root) == MSGPACK_UNPACK_SUCCESS &&
	    slp_get_arr(&root, "rows", &rows) == 0)
		for (uint32_t i = 0; i < rows->size; i++) {
			const msgpack_object *row = &rows->ptr[i], *sp;
			if (!slp_str_eq(slp_get(row, "bib"), bib) || !(sp = slp_get(row, "splits")))
				continue;
			int64_t t;
			if (slp_get_int(sp, pt, &t) == 0)
				v = t;
		}
	msgpack_zone_destroy(&z);
	sl_buf_release(&b);
	return v;
}

/* Does a passings record of device dev carry a read of bib? */
static bool replayed(const reg_recs *l, const char *dev, const char *bib)
{
	bool found = false;
	for (size_t i = 0; i < l->n && !found; i++) {
		msgpack_zone z;
		msgpack_object root;
		const msgpack_object_array *a;
		size_t off = 0;
		msgpack_zone_init(&z, 4096);
		if (msgpack_unpack(l->r[i].data, l->r[i].len, &off, &z, &root) ==
			    MSGPACK_UNPACK_SUCCESS &&
		    slp_str_eq(slp_get(&root, "dev"), dev) && slp_get_arr(&root, "reads", &a) == 0)
			for (uint32_t k = 0; k < a->size; k++)
				found |= slp_str_eq(slp_get(&a->ptr[k], "bib"), bib);
		msgpack_zone_destroy(&z);
	}
	return found;
}

/*
 * tests/data/regatta-head-splits.csv: a head race with intermediate
 * stations.  Real rows of data/regatta-midwest-2023.csv, head races 7 (bows
 * 128-136 and 149) and 8 (bows 150-158), with every column as published
 * but:
 *   - two made-up waypoint stations, G_500m_time_raw and G_1000m_time_raw
 *     (and their elapsed G_500m_time, G_1000m_time), between the start and
 *     the finish stations: start + 0.32 x RawTime and start + 0.655 x
 *     RawTime, to the ms (taken as a 1500 m course whose first 500 m is
 *     the fastest);
 *   - two bad station reads: bow 131's 1000m reading is bow 128's (a bow
 *     number mistyped at the station: 129 s after 131's start, a pace of
 *     7.7 m/s where the field rows 5 m/s), and bow 157's 500m reading is
 *     bow 153's (33 s before 157 started);
 *   - Place renumbered within these crews by AdjTime, then two judges'
 *     decisions: a dead heat for first in race 8 (bows 156 and 154, 16 ms
 *     apart, both 1st, the next 3rd), and the photo finish in race 7 put
 *     bow 128 first, 14 ms behind 149 on time;
 *   - race 8's name says its course ("8 Womens Jr 8+ Time Trial 1500m");
 *     race 7's does not (--distance 1500).
 * Imported with --places-from-file and --distance 1500 and replayed: every
 * crew has a split at each station equal to the file's, but for the two
 * bad reads, which are replayed and not taken by the read rules (the split
 * is missing); places and times are the file's, three judges' places
 * were sent (the crews whose place the times do not give), and the dead
 * heat is shared.
 */
static void head_splits(void)
{
	regfile *rf = NULL;
	core *c;
	struct run o = {.date = "2023-05-13", .distance_m = 1500, .places = true};
	ASSERT_EQ(fold_file(SL_TESTS_DATA "/regatta-head-splits.csv", &o, &rf, &c), 0);
	ASSERT(c != NULL);
	if (!c)
		goto out;
	ASSERT_EQ(compare_rows("regatta-head-splits.csv", rf, c), 0);
	ASSERT_EQ(regfile_nsplits(rf), 2);
	ASSERT_STREQ(regfile_split_id(rf, 0), "500m");
	ASSERT_STREQ(regfile_split_id(rf, 1), "1000m");
	ASSERT(o.warn.data == NULL || !strstr(o.warn.data, "no distance"));
	ASSERT(o.warn.data == NULL || !strstr(o.warn.data, "spread evenly"));
	size_t nsplits = 0;
	for (size_t i = 0; i < regfile_nrows(rf); i++) {
		const char *bib = regfile_bib(rf, i), *race = race_of(rf, i);
		int64_t st = regfile_ms(regfile_cell(rf, i, "G_Start_time_raw"));
		for (size_t k = 0; k < 2; k++) {
			const char *pt = regfile_split_id(rf, k);
			char colname[64];
			snprintf(colname, sizeof(colname), "G_%s_time_raw", regfile_split_name(rf, k));
			int64_t want = regfile_ms(regfile_cell(rf, i, colname)) - st;
			bool bad = (!strcmp(bib, "7-131") && k == 1) || (!strcmp(bib, "8-157") && k == 0);
			int64_t got = split_of(c, race, bib, pt);
			if (bad) {
				ASSERT(replayed(&o.rep, pt, bib));
				ASSERT_EQ(got, REGFILE_NO_T);
				printf("  %s %s: the bad read (%+.3f s after its start) is not taken\n",
				       bib, pt, (double)want / 1000.0);
			} else {
				ASSERT_EQ(got, want);
				nsplits += got == want;
			}
		}
		int64_t fin = split_of(c, race, bib, "finish");
		struct reg_expect x;
		regfile_expect(rf, i, &x);
		ASSERT_EQ(fin, x.raw);
	}
	printf("regatta-head-splits.csv: %zu splits as the file's, 2 bad reads not taken\n", nsplits);
	ASSERT_EQ(nsplits, 2 * regfile_nrows(rf) - 2);
	ASSERT_EQ(count_adjusts(&o.imp, "place"), 3);
	struct core_result r;
	ASSERT_EQ(core_result(c, "8-154", &r), 0);
	ASSERT(r.place == 1 && r.place_manual);
	ASSERT_EQ(core_result(c, "8-156", &r), 0);
	ASSERT(r.place == 1 && !r.place_manual);
	ASSERT_EQ(core_result(c, "7-128", &r), 0);
	ASSERT(r.place == 1 && r.place_manual);
	ASSERT_EQ(core_result(c, "7-136", &r), 0);
	ASSERT(r.place == 3 && !r.place_manual);
	run_release(&o);
	core_free(c);
	regfile_free(rf);

	/* without --places-from-file the judges' places are not there: the times' are */
	o = (struct run){.date = "2023-05-13", .distance_m = 1500};
	ASSERT_EQ(fold_file(SL_TESTS_DATA "/regatta-head-splits.csv", &o, &rf, &c), 0);
	ASSERT_EQ(count_adjusts(&o.imp, "place"), 0);
	ASSERT_EQ(core_result(c, "8-154", &r), 0);
	ASSERT_EQ(r.place, 2);
	ASSERT_EQ(core_result(c, "7-128", &r), 0);
	ASSERT_EQ(r.place, 2);
	run_release(&o);
	core_free(c);
	regfile_free(rf);

	/* without --distance race 7 is assumed 1000 m, and said */
	o = (struct run){.date = "2023-05-13"};
	ASSERT_EQ(fold_file(SL_TESTS_DATA "/regatta-head-splits.csv", &o, &rf, &c), 0);
	ASSERT(o.warn.data && strstr(o.warn.data, "no distance for 1 races (7): 1000 m assumed"));
	ASSERT(o.warn.data && strstr(o.warn.data, "in races 7: spread evenly"));
out:
	run_release(&o);
	core_free(c);
	regfile_free(rf);
}

/* The points of race `race` in the config record (the import's first), to
 * out: "id:role" for a point, "id<point" for a backup station of it. */
static void config_points(const reg_recs *l, const char *race, sl_buf *out)
{
	msgpack_zone z;
	msgpack_object root;
	const msgpack_object *cfg;
	const msgpack_object_array *races, *pts;
	size_t off = 0;
	sl_buf_reset(out);
	msgpack_zone_init(&z, 65536);
	if (l->n &&
	    msgpack_unpack(l->r[0].data, l->r[0].len, &off, &z, &root) == MSGPACK_UNPACK_SUCCESS &&
	    slp_get_map(&root, "config", &cfg) == 0 && slp_get_arr(cfg, "races", &races) == 0)
		for (uint32_t i = 0; i < races->size; i++) {
			if (!slp_str_eq(slp_get(&races->ptr[i], "id"), race) ||
			    slp_get_arr(&races->ptr[i], "points", &pts) < 0)
				continue;
			for (uint32_t k = 0; k < pts->size; k++) {
				const char *id = "", *v = "";
				size_t idn = 0, vn = 0;
				bool st = slp_get(&pts->ptr[k], "station_of") != NULL;
				slp_get_str(&pts->ptr[k], "id", &id, &idn);
				slp_get_str(&pts->ptr[k], st ? "station_of" : "role", &v, &vn);
				sl_buf_addf(out, "%s%.*s%c%.*s", out->len ? " " : "", (int)idn, id,
					    st ? '<' : ':', (int)vn, v);
			}
		}
	msgpack_zone_destroy(&z);
}

/*
 * tests/data/regatta-head-backup.csv (made as tests/data/README.md says):
 * 500m2, a backup of the 500m waypoint, is a station of it (as finish2 of
 * finish), not a split: every 500m split is the 500m reading, else the
 * 500m2 one (bows 130, 152); bow 157's bad reading is taken at neither.  In
 * a file made here, Mark2 (no Mark) stays a split, and backups read where
 * the primary has none (1000m3, 1000m2 of 1000m, columns in any order) make
 * it a split of that race only, 1000m2 the first backup.
 */
static void head_backup(void)
{
	static const char both[] = "start:start 500m:split 1000m:split finish:finish start2<start "
				   "start3<start 500m2<500m finish2<finish finish3<finish";
	regfile *rf = NULL;
	core *c;
	sl_buf pts = SL_BUF_INIT;
	size_t nprimary = 0, nbackup = 0;
	struct run o = {.date = "2023-05-13", .distance_m = 1500, .places = true};
	ASSERT_EQ(fold_file(SL_TESTS_DATA "/regatta-head-backup.csv", &o, &rf, &c), 0);
	if (!c)
		goto out;
	ASSERT_EQ(compare_rows("regatta-head-backup.csv", rf, c), 0);
	config_points(&o.imp, "7", &pts);
	ASSERT_STREQ(pts.data, both);
	config_points(&o.imp, "8", &pts);
	ASSERT_STREQ(pts.data, both);
	for (size_t i = 0; i < regfile_nrows(rf); i++) {
		const char *bib = regfile_bib(rf, i), *race = race_of(rf, i);
		int64_t st = regfile_ms(regfile_cell(rf, i, "G_Start_time_raw"));
		int64_t p = regfile_ms(regfile_cell(rf, i, "G_500m_time_raw"));
		int64_t b = regfile_ms(regfile_cell(rf, i, "G_500m2_time_raw"));
		int64_t got = split_of(c, race, bib, "500m");
		ASSERT(b != REGFILE_NO_T && replayed(&o.rep, "500m2", bib));
		ASSERT_EQ(split_of(c, race, bib, "500m2"), REGFILE_NO_T);
		if (!strcmp(bib, "8-157")) { /* before its start at both stations */
			ASSERT_EQ(got, REGFILE_NO_T);
			continue;
		}
		ASSERT_EQ(got, (p != REGFILE_NO_T ? p : b) - st);
		nprimary += p != REGFILE_NO_T && got == p - st;
		nbackup += p == REGFILE_NO_T && got == b - st;
	}
	printf("regatta-head-backup.csv: %zu 500m splits from 500m, %zu from its backup 500m2\n",
	       nprimary, nbackup);
	ASSERT_EQ(nprimary, regfile_nrows(rf) - 3);
	ASSERT_EQ(nbackup, 2);
	run_release(&o);
	core_free(c);
	regfile_free(rf);
	c = NULL, rf = NULL;
	static const char csv[] =
		"EventNum,Event,RaceType,Bow,Crew,G_Start_time_raw,G_Mark2_time_raw,"
		"G_1000m3_time_raw,G_1000m_time_raw,G_1000m2_time_raw,G_Finish_time_raw,RawTime\n"
		"1,1 Test 2000m,Head,1,A,09:00:00,09:03:30,,,,09:07:00,07:00\n"
		"2,2 Test 2000m,Head,1,B,10:00:00,,10:03:30,,10:03:31,10:07:00,07:00\n";
	char tmp[] = "/tmp/test_regatta_backup_XXXXXX";
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	ASSERT(f != NULL);
	if (!f)
		goto out;
	fputs(csv, f);
	fclose(f);
	o = (struct run){0};
	ASSERT_EQ(fold_file(tmp, &o, &rf, &c), 0);
	unlink(tmp);
	if (!c)
		goto out;
	config_points(&o.imp, "1", &pts);
	ASSERT_STREQ(pts.data, "start:start mark2:split finish:finish");
	config_points(&o.imp, "2", &pts);
	ASSERT_STREQ(pts.data, "start:start 1000m:split finish:finish 1000m2<1000m 1000m3<1000m");
	ASSERT_EQ(split_of(c, "1", "1-1", "mark2"), 210000);
	ASSERT_EQ(split_of(c, "2", "2-1", "1000m"), 211000); /* 1000m2's: the first backup */
out:
	sl_buf_release(&pts);
	run_release(&o);
	core_free(c);
	regfile_free(rf);
}

/*
 * tests/data/regatta-dup-events.csv: races 1 and 2 of
 * data/regatta-hebda-2023.csv as published, but race 2's EventNum is 1 (a
 * typo in a programme): two events under one number.  They stay two races
 * (1 and 1b), each with its own crews and places, and the import says so.
 */
static void dup_events(void)
{
	regfile *rf = NULL;
	core *c;
	struct run o = {0};
	ASSERT_EQ(fold_file(SL_TESTS_DATA "/regatta-dup-events.csv", &o, &rf, &c), 0);
	if (!c)
		goto out;
	ASSERT_EQ(regfile_nevents(rf), 2);
	ASSERT_STREQ(regfile_race_id(rf, 0), "1");
	ASSERT_STREQ(regfile_race_id(rf, 1), "1b");
	ASSERT_STREQ(regfile_bib(rf, 5), "1b-4");
	ASSERT(o.warn.data &&
	       strstr(o.warn.data, "event number 1 names two events, '1 Women's Jr 4+' and '2 Men's "
				   "Novice 8+': kept apart, as races 1 and 1b (bibs 1b-<Bow>)"));
	ASSERT_EQ(compare_rows("regatta-dup-events.csv", rf, c), 0);
	printf("%s", o.warn.data ? o.warn.data : "");
out:
	run_release(&o);
	core_free(c);
	regfile_free(rf);
}

static void distances(void)
{
	static const struct {
		const char *name;
		long m;
	} cases[] = {
		{"R201 E304 Mens Bantam C-1 1000m - Heat1", 1000},
		{"R220 E711 Mens ParaCanoe PV1 200m - Direct Final", 200},
		{"Mens 8+ 2k", 2000},
		{"Head of the River 6 km", 6000},
		{"Championship 8+ 1000 m", 1000},
		{"1.5 km Time Trial", 1500},
		{"5K Fun Row", 5000},
		{"Masters 1x 2000 meters", 2000},
		{"8 Womens Jr 8+ Time Trial 1500m", 1500},
		{"2 Mens Novice 8+ Time Trial", 0},
		{"R418 E715 Mens ParaCanoe PV1 - Direct Final", 0},
		{"Mens Open K-1 - Direct Final", 0},
		{"16A Men's Novice 4+ Heat 1", 0},
		{"Womens 2 K-2", 0},
		{"1000m", 1000},
		{"Mid", 0},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		long got = regfile_name_distance(cases[k].name);
		if (got != cases[k].m)
			fprintf(stderr, "'%s': %ld m, not %ld\n", cases[k].name, got, cases[k].m);
		ASSERT_EQ(got, cases[k].m);
	}

	/* the canoe regatta's names give every distance but one race's */
	char path[1024];
	regfile *rf = NULL;
	core *c;
	struct run o = {0};
	snprintf(path, sizeof(path), "%s/%s", data_dir, FILES[2]);
	ASSERT_EQ(fold_file(path, &o, &rf, &c), 0);
	ASSERT(o.warn.data && strstr(o.warn.data, "no distance for 1 races (R418): 1000 m assumed"));
	run_release(&o);
	core_free(c);
	regfile_free(rf);
}

/* The day of the race with that id. */
static size_t day_of(const regfile *rf, const char *race)
{
	for (size_t e = 0; e < regfile_nevents(rf); e++)
		if (!strcmp(regfile_race_id(rf, e), race))
			return regfile_race_day(rf, e);
	return 99;
}

static void days(void)
{
	char path[1024], err[256];
	regfile *rf;
	sl_buf w = SL_BUF_INIT;
	int y, mo, d;

	/* midwest: Sat and Sun; the first day a Saturday */
	snprintf(path, sizeof(path), "%s/%s", data_dir, FILES[0]);
	ASSERT_EQ(regfile_load(path, &rf, err, sizeof(err)), 0);
	ASSERT_STREQ(regfile_date(rf), REGFILE_DATE0); /* before regfile_days */
	ASSERT_EQ(regfile_days(rf, "2023-05-13", &w, err, sizeof(err)), 0);
	ASSERT_EQ(w.len, 0);
	ASSERT_STREQ(regfile_date(rf), "2023-05-13");
	ASSERT_EQ(regfile_ndays(rf), 2);
	ASSERT_EQ(day_of(rf, "1"), 0);
	ASSERT_EQ(day_of(rf, "EOD"), 0);
	ASSERT_EQ(day_of(rf, "43"), 1);
	regfile_day(rf, 1, &y, &mo, &d);
	ASSERT(y == 2023 && mo == 5 && d == 14);
	/* a Sunday is not its first day */
	ASSERT_EQ(regfile_days(rf, "2023-05-14", &w, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "2023-05-14, is a Sunday, but the file's races are on Sat, Sun, the "
			   "first on a Saturday") != NULL);
	ASSERT_EQ(regfile_days(rf, "2023-02-30", &w, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "'2023-02-30' is not a date") != NULL);
	/* no date: every race on 2023-01-01, said */
	sl_buf_reset(&w);
	ASSERT_EQ(regfile_days(rf, NULL, &w, err, sizeof(err)), 0);
	ASSERT_EQ(regfile_ndays(rf), 1);
	ASSERT_EQ(day_of(rf, "43"), 0);
	ASSERT(w.data && strstr(w.data, "no date: the file's Day column names days (Sat, Sun), not "
					 "dates, and no --date was given") != NULL);
	regfile_free(rf);

	/* the canoe regatta: Saturday and Sunday */
	snprintf(path, sizeof(path), "%s/%s", data_dir, FILES[2]);
	ASSERT_EQ(regfile_load(path, &rf, err, sizeof(err)), 0);
	sl_buf_reset(&w);
	ASSERT_EQ(regfile_days(rf, "2022-06-11", &w, err, sizeof(err)), 0);
	ASSERT_EQ(regfile_ndays(rf), 2);
	ASSERT_EQ(day_of(rf, "R201"), 0);
	ASSERT_EQ(day_of(rf, "R401"), 1);
	regfile_free(rf);

	/* hebda: no Day at all */
	snprintf(path, sizeof(path), "%s/%s", data_dir, FILES[1]);
	ASSERT_EQ(regfile_load(path, &rf, err, sizeof(err)), 0);
	sl_buf_reset(&w);
	ASSERT_EQ(regfile_days(rf, NULL, &w, err, sizeof(err)), 0);
	ASSERT(w.data && strstr(w.data, "no date in the file and no --date") != NULL);
	sl_buf_reset(&w);
	ASSERT_EQ(regfile_days(rf, "2023-04-29", &w, err, sizeof(err)), 0);
	ASSERT_EQ(w.len, 0);
	ASSERT_STREQ(regfile_date(rf), "2023-04-29");
	ASSERT_EQ(regfile_utc_midnight(2023, 4, 29), 1682726400000LL);
	regfile_free(rf);

	/* a Day column of dates, day numbers and other words (a file made here) */
	static const char csv[] = "EventNum,Event,RaceType,Day,Bow,Crew\n"
				  "1,1 Heat,Sprint,2023-06-10,1,A\n"
				  "2,2 Heat,Sprint,2023-06-12,1,B\n"
				  "3,3 Final,Sprint,Day 2,1,C\n"
				  "4,4 Final,Sprint,Morning,1,D\n";
	char tmp[] = "/tmp/test_regatta_days_XXXXXX";
	int fd = mkstemp(tmp);
	ASSERT(fd >= 0);
	if (fd < 0)
		goto out;
	FILE *f = fdopen(fd, "w");
	fputs(csv, f);
	fclose(f);
	ASSERT_EQ(regfile_load(tmp, &rf, err, sizeof(err)), 0);
	unlink(tmp);
	sl_buf_reset(&w);
	ASSERT_EQ(regfile_days(rf, NULL, &w, err, sizeof(err)), 0);
	ASSERT_STREQ(regfile_date(rf), "2023-06-10"); /* the earliest date */
	ASSERT_EQ(regfile_ndays(rf), 3);
	ASSERT_EQ(day_of(rf, "1"), 0);
	ASSERT_EQ(day_of(rf, "2"), 2);
	ASSERT_EQ(day_of(rf, "3"), 1);
	ASSERT_EQ(day_of(rf, "4"), 0);
	ASSERT(w.data && strstr(w.data, "Day 'Morning' names no date, weekday or day number") != NULL);
	/* --date moves them all, keeping their days */
	sl_buf_reset(&w);
	ASSERT_EQ(regfile_days(rf, "2023-06-17", &w, err, sizeof(err)), 0);
	ASSERT_STREQ(regfile_date(rf), "2023-06-17");
	ASSERT_EQ(day_of(rf, "2"), 2);
	ASSERT(w.data && strstr(w.data, "the file's dates begin 7 days earlier") != NULL);
	regfile_free(rf);
out:
	sl_buf_release(&w);
}

#define TESTS(X)                                                                           \
	X(midwest) X(hebda) X(tedhouk) X(head_splits) X(head_backup) X(dup_events) X(distances) X(days)

TESTS(T_DECL)
int main(int argc, char **argv)
{
	static const struct t_case all[] = {TESTS(T_ENTRY)};
	if (argc > 1)
		data_dir = argv[1];
	return t_run(argv[0], all, sizeof(all) / sizeof(all[0]), argc > 2 ? argv[2] : NULL);
}

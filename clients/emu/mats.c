/*
 * mats.c: splitline-emu's reads, made from chicago-2023-mats.csv (main.c
 * has the rules: crossings, reads per crossing, chips A and B, strays) and
 * the random stream they are drawn from.  Owns reads[] (freed at exit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mats.h"

static const char *prog = "splitline-emu";

static const char *const mats[] = {"05K", "10K", "15K", "20K", "HALF", "25K",
			     "30K", "35K", "40K", "Finish"};
#define NMATS 10

read_t *reads;
size_t nreads;
static size_t capreads;
static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double mats_rndf(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int rnd_in(int lo, int hi)
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

void mats_add_read(int64_t t, const char *chip, int rssi, int hits)
{
	SL_GROW(reads, capreads, nreads + 1);
	read_t *r = &reads[nreads++];
	r->t = t;
	snprintf(r->chip, sizeof(r->chip), "%.*s", (int)sizeof(r->chip) - 1, chip);
	r->rssi = rssi;
	r->hits = hits;
}

static int cmp_read(const void *a, const void *b)
{
	const read_t *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* "07:44:28AM" -> seconds since midnight, or -1. */
static int64_t parse_12h(const char *s)
{
	int h, m, sec;
	char ap[3] = "";
	if (sscanf(s, "%d:%d:%d%2s", &h, &m, &sec, ap) != 4 || h < 1 || h > 12 || m > 59 ||
	    sec > 59)
		return -1;
	if (ap[0] == 'A')
		h = h == 12 ? 0 : h;
	else if (ap[0] == 'P')
		h = h == 12 ? 12 : h + 12;
	else
		return -1;
	return (int64_t)h * 3600 + m * 60 + sec;
}

/* "01:02:03" -> seconds, or -1. */
static int64_t parse_hms(const char *s)
{
	int h, m, sec;
	char extra;
	if (sscanf(s, "%d:%d:%d%c", &h, &m, &sec, &extra) != 3 || h < 0 || m > 59 || sec > 59)
		return -1;
	return (int64_t)h * 3600 + m * 60 + sec;
}

/* Build the read list from the file.  0 or -1 (message printed). */
int mats_load(const char *path, const char *mat, long limit, int64_t day_utc_ms, double miss,
		int is_rr, mats_stats *st)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path, strerror(errno));
		return -1;
	}
	int mi = -1; /* -1: start */
	for (int i = 0; i < NMATS; i++)
		if (!strcasecmp(mat, mats[i]))
			mi = i;
	char line[4096];
	int lineno = 0;
	unsigned char *seen = sl_calloc(1, 1 << 17);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (lineno == 1)
			continue;
		if (limit >= 0 && st->runners + st->dup_bibs >= limit)
			break;
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *fld[32];
		int nf = 0;
		char *p = line;
		while (nf < 32) {
			fld[nf++] = p;
			char *c = strchr(p, ',');
			if (!c)
				break;
			*c = '\0';
			p = c + 1;
		}
		if (nf < 4 + 2 * NMATS) {
			fprintf(stderr, "%s: %s:%d: expected %d fields, found %d\n", prog, path, lineno,
				4 + 2 * NMATS, nf);
			continue;
		}
		long bib = strtol(fld[0], NULL, 10);
		if (bib <= 0 || bib >= (1 << 20)) {
			fprintf(stderr, "%s: %s:%d: field 'bib': '%s' is not a bib\n", prog, path,
				lineno, fld[0]);
			continue;
		}
		if (seen[bib / 8] >> (bib % 8) & 1) {
			st->dup_bibs++;
			continue;
		}
		seen[bib / 8] |= (unsigned char)(1u << (bib % 8));
		st->runners++;
		const char *est = nf > 4 + 2 * NMATS ? fld[4 + 2 * NMATS] : "";
		int64_t tod[NMATS], net[NMATS];
		bool estm[NMATS];
		for (int i = 0; i < NMATS; i++) {
			tod[i] = parse_12h(fld[4 + 2 * i]);
			net[i] = parse_hms(fld[5 + 2 * i]);
			/* the marks are mat names joined by ';' */
			estm[i] = false;
			for (const char *q = est; (q = strcasestr(q, mats[i])); q++) {
				size_t l = strlen(mats[i]);
				if ((q == est || q[-1] == ';' || q[-1] == ' ' || q[-1] == '*') &&
				    (!q[l] || q[l] == ';' || q[l] == ' ' || q[l] == '*'))
					estm[i] = true;
			}
		}
		int64_t start = -1;
		if (tod[NMATS - 1] >= 0 && net[NMATS - 1] >= 0 && !estm[NMATS - 1])
			start = tod[NMATS - 1] - net[NMATS - 1];
		for (int i = 0; start < 0 && i < NMATS; i++)
			if (tod[i] >= 0 && net[i] >= 0 && !estm[i])
				start = tod[i] - net[i];
		if (start < 0) {
			st->missing++;
			continue;
		}
		int64_t t;
		if (mi < 0) {
			t = start * 1000 + 200;
		} else if (estm[mi]) {
			st->estimated++;
			continue;
		} else if (net[mi] < 0) {
			st->missing++;
			continue;
		} else {
			t = (start + net[mi]) * 1000 + 500;
		}
		t += day_utc_ms;
		st->crossings++;
		char chip[16];
		bool b = mats_rndf() < miss;
		if (b)
			st->miss_a++;
		snprintf(chip, sizeof(chip), "%c%ld", b ? 'B' : 'A', bib);
		int k = rnd_in(3, 6), peak = rnd_in(1, k - 2), peak_rssi = rnd_in(-62, -50);
		int64_t rt = t, peak_t = t;
		for (int j = 0; j < k; j++) {
			int rssi = peak_rssi - 4 * abs(j - peak) - rnd_in(0, 2);
			if (j == peak)
				rssi = peak_rssi, peak_t = rt;
			if (!is_rr)
				mats_add_read(rt, chip, rssi, 1);
			rt += rnd_in(40, 85);
		}
		if (is_rr)
			mats_add_read(peak_t, chip, peak_rssi, k);
	}
	fclose(f);
	free(seen);
	if (lineno <= 1) {
		fprintf(stderr, "%s: '%s' holds no runner\n", prog, path);
		return -1;
	}
	return 0;
}

bool mats_valid(const char *mat)
{
	bool ok = !strcasecmp(mat, "start");
	for (int i = 0; i < NMATS; i++)
		ok |= !strcasecmp(mat, mats[i]);
	return ok;
}

void mats_seed(uint64_t seed, const char *mat)
{
	rng = seed;
	for (const char *m = mat; *m; m++)
		rng = rng * 131 + (unsigned char)*m; /* each mat its own stream */
}

void mats_strays(long strays, mats_stats *st)
{
	if (!nreads || !strays)
		return;
	int64_t lo = reads[0].t, hi = reads[0].t;
	for (size_t i = 0; i < nreads; i++) {
		lo = reads[i].t < lo ? reads[i].t : lo;
		hi = reads[i].t > hi ? reads[i].t : hi;
	}
	for (long i = 1; i <= strays; i++) {
		char chip[24];
		snprintf(chip, sizeof(chip), "S%04ld", i);
		mats_add_read(lo + (int64_t)(mats_rndf() * (double)(hi - lo)), chip, -75, 1);
		st->strays++;
	}
}

void mats_sort(void)
{
	qsort(reads, nreads, sizeof(*reads), cmp_read);
}

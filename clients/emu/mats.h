/*
 * mats.h: splitline-emu's reads from the Chicago 2023 mats file (mats.c).
 * reads[0..nreads) is the emulator's one read list: built by mats_load and
 * mats_strays, then sorted by time (mats_sort) and only read after that.
 */
#ifndef SL_EMU_MATS_H
#define SL_EMU_MATS_H

#include <stdbool.h>
#include <stdint.h>

#include "sl.h"

typedef struct read {
	int64_t t; /* true UTC ms */
	char chip[16];
	int rssi, hits;
} read_t;

extern read_t *reads;
extern size_t nreads;

typedef struct mats_stats {
	long runners, crossings, estimated, missing, miss_a, strays, dup_bibs;
} mats_stats;

/* Whether mat is start or one of the file's mats (any case). */
bool mats_valid(const char *mat);
/* Seed the random stream: seed, then each mat its own. */
void mats_seed(uint64_t seed, const char *mat);
double mats_rndf(void);
void mats_add_read(int64_t t, const char *chip, int rssi, int hits);
/* The reads of mat from the file (limit runners, -1: all); day_utc_ms: the
 * race day's local midnight; miss: the probability chip A is not read;
 * is_rr: one read per crossing.  0 or -1 (message printed). */
int mats_load(const char *path, const char *mat, long limit, int64_t day_utc_ms, double miss,
	      int is_rr, mats_stats *st);
/* strays reads of unknown tags S0001.. at random times within the reads. */
void mats_strays(long strays, mats_stats *st);
void mats_sort(void);

#endif

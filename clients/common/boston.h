/*
 * boston.h: mat reads made up from a Boston Marathon results file, for
 * splitline-replay (see /work/TEAM.md, "splitline-replay").
 *
 * A file has one row per finisher: Bib, ..., 5K, 10K, 15K, 20K, Half, 25K,
 * 30K, 35K, 40K, Official Time, each an elapsed H:MM:SS from the runner's
 * own start-mat crossing ("-" when missing).  For each runner:
 * - its wave is the one the server would give it (evcfg_wave_of: the wave
 *   whose bibs range holds the bib, else the first);
 * - its start-mat crossing is the wave's start plus a corral delay that
 *   grows with the runner's rank among the wave's runners in the file,
 *   from 0 to 20 minutes (capped one second inside the start point's
 *   window_s); non-numeric bibs (elite "F1") rank first;
 * - each split column gives a read at that point at crossing + elapsed
 *   (columns map to points 5k 10k 15k 20k half 25k 30k 35k 40k and the
 *   race's finish point; a column whose point the race lacks is skipped).
 * With a seed other than 0, each runner's crossing gets 0..999 ms more,
 * drawn from a generator seeded with it, and its splits move with it: net
 * times are exactly the file's, only the crossings' milliseconds vary.
 * A bad time cell costs that one read and is reported in errs as
 * "FILE:LINE: field 'Official Time': '0.124548611' is not H:MM:SS", and in
 * bad[] with its bib, so a caller can name the runner and tell a lost
 * finish (the runner will never finish) from a lost split.  A row without a
 * usable bib is skipped whole (one entry, field "Bib", bib "").
 * Reads are returned sorted by time (ties in file order).
 *
 * Ownership: boston_load_* fill a caller-owned boston; release with
 * boston_release.  pt strings point into the evcfg, which must outlive it.
 */
#ifndef SL_BOSTON_H
#define SL_BOSTON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evcfg.h"
#include "sl.h"

typedef struct boston_read {
	int64_t t;      /* ms since the epoch */
	const char *pt; /* point id (borrowed from the evcfg) */
	char bib[36];   /* also the chip */
	int line;       /* the file line it came from */
} boston_read;

/* A bad cell, in file order. */
typedef struct boston_bad {
	int line;          /* the file line */
	char bib[36];      /* the runner's bib; "" when the bib itself is bad */
	const char *field; /* the column: "Bib", "5K" ... "Official Time" (static) */
	char value[44];    /* the cell, cut to 40 bytes */
	bool finish;       /* the race's finish read is lost */
} boston_bad;

typedef struct boston {
	boston_read *reads;
	size_t nreads, cap;
	size_t nrunners; /* rows used */
	size_t nbad;     /* bad cells skipped */
	sl_buf errs;     /* one line per bad cell */
	boston_bad *bad; /* bad[0..nbad), one per bad cell */
	size_t capbad;
} boston;

typedef struct boston_opts {
	const char *race; /* race id; NULL: the first race */
	size_t limit;     /* use only the first N runners; 0: all */
	uint64_t seed;    /* 0: reads at whole seconds after the crossing */
} boston_opts;

/*
 * Returns 0 (bad cells are not failures), or SL_EINVAL / SL_EPARSE / SL_EIO
 * with a sentence in err when the file or the config cannot be used at all
 * (no such race, a wave without a start, missing columns, unreadable file).
 */
int boston_load_mem(boston *b, const char *name, const char *buf, size_t len,
		    const evcfg *cfg, const boston_opts *o, char *err, size_t errlen);
int boston_load_file(boston *b, const char *path, const evcfg *cfg,
		     const boston_opts *o, char *err, size_t errlen);
void boston_release(boston *b);

/* Strict "H:MM:SS" (hours any digits) -> ms; 0 or SL_EPARSE. */
int boston_parse_hms(const char *s, int64_t *ms);

#endif

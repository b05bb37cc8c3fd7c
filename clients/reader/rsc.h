/*
 * rsc.h: rescoring: the raw journal filtered again, with other settings,
 * into a new passings journal (splitline-reader --rescore).
 *
 * Raw reads are never thrown away (raw.jrn); when the filter settings of
 * a race turn out wrong (dead time too long, group time first where peak
 * was wanted), a crew re-runs the filter over raw.jrn and forwards the
 * result as a new device with its own seq space.  The server folds each
 * (device, seq) once and its read rules pick the first/last read per
 * point, so passings equal to the original ones change nothing and the
 * ones the original filter dropped fill in.
 *
 * rsc_run is the pure core: raw.jrn is only read (never opened for
 * writing: a live reader may still append to it; a torn tail is ignored,
 * not truncated), its reads are fed to a fresh filter in journal order
 * and flushed at the end, and the passings journal is made to hold
 * exactly the result.  An existing passings journal (an interrupted
 * rescore) must hold a prefix of the result: the rest is appended and
 * nothing already there (maybe already forwarded under those seqs)
 * changes; anything else is SL_ESTATE (use a new device).
 *
 * Ownership: paths and cfg are borrowed.
 */
#ifndef SL_RSC_H
#define SL_RSC_H

#include "flt.h"

typedef struct rsc_stats {
	uint64_t raw;     /* intact raw reads read */
	uint64_t torn;    /* bytes of raw.jrn after the last intact record */
	uint64_t passes;  /* passings in the result (= records of pass_path) */
	uint64_t kept;    /* of which were already in pass_path */
} rsc_stats;

/* Read every intact record of a journal file without modifying it; each()
 * as for jrn_open.  *torn (may be NULL) gets the bytes ignored at the end.
 * 0, SL_EIO (cannot read) or each()'s non-zero code. */
int rsc_scan(const char *path, jrn_each_fn each, void *ctx, uint64_t *torn, char *err,
	     size_t errlen);

/* Rescore raw_path with cfg into pass_path (see above).  st may be NULL.
 * 0, SL_EIO or SL_ESTATE, with err. */
int rsc_run(const char *raw_path, const flt_cfg *cfg, const char *pass_path, rsc_stats *st,
	    char *err, size_t errlen);

#endif

/*
 * flt.h: device-side filtering of raw reads into passings.
 *
 * Reads of one chip form a group while each comes within gap_ms of the
 * previous one (a quiet gap closes it).  A closed group becomes one
 * passing whose time is its first read, its last, or its strongest
 * (peak RSSI, the earliest of equals), with hits = the group's reads and
 * rssi = its peak.  Dead time: a group whose time is less than dead_ms
 * after the chip's last passing is dropped, and so is any group not later
 * than that last passing.  The second rule makes feeding the same raw
 * reads again harmless: after a restart the reader seeds each chip's last
 * passing from its journal (flt_seed) and feeds every raw read again;
 * nothing already forwarded is made twice.
 *
 * Time is the reads' corrected time (jrn_rec.t); closing is driven by the
 * reads themselves (flt_feed) and by the caller's clock (flt_advance).
 * Groups closed together are emitted in time order.  Raw reads are never
 * dropped by the filter's owner: they are in the raw journal.
 * Ownership: flt_new returns an owned filter (flt_free).
 */
#ifndef SL_FLT_H
#define SL_FLT_H

#include "jrn.h"

enum flt_mode { FLT_FIRST, FLT_LAST, FLT_PEAK };

typedef struct flt_cfg {
	int64_t gap_ms;  /* default 400 */
	int mode;        /* default FLT_FIRST */
	int64_t dead_ms; /* default 3000 */
} flt_cfg;

typedef struct flt flt;
typedef void (*flt_emit_fn)(void *ctx, const jrn_rec *pass);

flt *flt_new(const flt_cfg *cfg);
void flt_free(flt *f);
/* "first", "last", "peak" -> mode, or -1. */
int flt_mode_parse(const char *s);
/* The chip's last passing (from the journal), at time t. */
void flt_seed(flt *f, const char *chip, int64_t t);
void flt_feed(flt *f, const jrn_rec *raw, flt_emit_fn emit, void *ctx);
/* Close groups whose last read is more than gap_ms before now. */
void flt_advance(flt *f, int64_t now, flt_emit_fn emit, void *ctx);
void flt_flush(flt *f, flt_emit_fn emit, void *ctx);
size_t flt_open_groups(const flt *f);

#endif

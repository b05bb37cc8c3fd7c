/*
 * export_cache.h: the HTTP results exports (GET /api/results.csv|json|xlsx,
 * /api/results/<race>.csv|json|pdf|xlsx, /api/awards/<race>.pdf and
 * /api/certificate/<race>/<bib>.pdf), encoded once per change of the core
 * and shared by every request until the next change.  The printouts (PDF,
 * XLSX) are server/print's.
 *
 * An export is a body (struct xc_body): the plain bytes, their gzip form
 * (CSV and JSON only: PDF and XLSX are compressed already) and an ETag
 * derived from a hash of the plain bytes (so it changes exactly when the
 * bytes do, and two nodes folding the same log give the same ETag).  A
 * body is immutable once published and reference-counted: a response holds
 * one reference for as long as it sends, so a new body can replace it in the
 * cache while slow clients are still reading the old one.
 *
 * Encoding never runs on the loop: the loop takes a snapshot of the core
 * (core_snapshot_save), and a libuv worker thread loads it into a private
 * core, exports, hashes and gzips every body that is waited for, then the
 * loop publishes them (after_work).  Two lanes, each with one encode at a
 * time: CSV and JSON in one, the printouts (PDF, XLSX: seconds for a
 * marathon) in the other, so that a printout never holds up the data
 * exports.  In a lane, from one start to the next at least XC_INTERVAL_MS
 * or twice what its last encode took when the core changed in between
 * (each lane's worker uses at most about half a core however busy the
 * race; while nothing changes, a first request for another race or format
 * starts an encode at once);
 * requests that arrive meanwhile wait for it (xc_wait).  A request never
 * gets a body older than the core it asked: body generation >=
 * core_nrecords() at the time of the request.  So an answer waits at most
 * for its lane's encode in flight, the rest of the gap, and one encode.
 *
 * Entries: one per race (or the event) and format, and one per certificate
 * asked for; certificates beyond XC_CERT_MAX replace the one asked for least
 * recently (so a crawler walking every bib costs one encode per request,
 * not memory).
 *
 * Ownership: xcache_new() returns owned, xcache_free() releases (after the
 * loop ended, or while xcache_idle(): no encode is then in flight).  The core is borrowed and read
 * on the loop only.  A body from xcache_get() or on_ready is a reference
 * the caller owns (xcache_unref).  A struct xc_wait lives in its owner (the
 * HTTP request) and stays linked until on_ready or xcache_cancel().
 */
#ifndef SL_EXPORT_CACHE_H
#define SL_EXPORT_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core.h"
#include "net/export_req.h"
#include "sl.h"

/* At least this many ms from one encode's start to the next (a live race
 * changes the core every tick). */
#define XC_INTERVAL_MS 500
/* zlib level of the gzip bodies (BENCHMARKS.md, "HTTP exports"). */
#define XC_GZIP_LEVEL 6

/* Certificates kept at most (each a body of some 20 KB). */
#define XC_CERT_MAX 64

typedef struct xcache xcache;

struct xc_body {
	unsigned refs;
	unsigned status;   /* 200, or 404/500 with a JSON error body */
	const char *ctype; /* static string */
	char disp[160];    /* Content-Disposition, or "" */
	sl_buf plain, gz;  /* gz: empty unless status is 200 */
	char etag[40];     /* "\"<32 hex>\"" (status 200), else "" */
	char etag_gz[48];  /* the gzip representation's: "\"<32 hex>-gzip\"" */
};

struct xc_wait {
	struct xc_wait *next, *prev; /* NULL: not waiting */
	uint64_t gen;                /* core_nrecords() when it asked */
	/* b: a reference the callee owns; called from the loop, never from
	 * inside xcache_get() */
	void (*on_ready)(struct xc_wait *w, struct xc_body *b);
};

xcache *xcache_new(uv_loop_t *loop, core *c);
void xcache_free(xcache *x);
/* No encode in flight and nobody waiting: xcache_free may run now (an
 * idle event unloads). */
bool xcache_idle(const xcache *x);

/*
 * The export of race (NULL: the whole event, CSV, JSON and XLSX only) in
 * fmt; bib is XC_CERT's (ignored otherwise).  Returns a reference to a body
 * as new as the core, or NULL after parking w: its on_ready runs once such
 * a body exists.  race must name a race of the core and bib a participant
 * (the caller checks: the cache keeps an entry for each).
 */
struct xc_body *xcache_get(xcache *x, const char *race, enum xc_format fmt, const char *bib,
			   struct xc_wait *w);
/* w stops waiting (its request closed); no-op when not waiting. */
void xcache_cancel(struct xc_wait *w);
void xcache_unref(struct xc_body *b);
/* Start an encode that XC_INTERVAL_MS held back; from the net's tick. */
void xcache_tick(xcache *x);
/* Bodies encoded since start (a body re-encoded to the same bytes counts). */
uint64_t xcache_encodes(const xcache *x);

#endif

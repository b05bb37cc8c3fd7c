/*
 * export_cache.h: the HTTP results exports (GET /api/results.csv|json and
 * /api/results/<race>.csv|json), encoded once per change of the core and
 * shared by every request until the next change.
 *
 * An export is a body (struct xc_body): the plain bytes, their gzip form and
 * an ETag derived from a hash of the plain bytes (so it changes exactly when
 * the bytes do, and two nodes folding the same log give the same ETag).  A
 * body is immutable once published and reference-counted: a response holds
 * one reference for as long as it sends, so a new body can replace it in the
 * cache while slow clients are still reading the old one.
 *
 * Encoding never runs on the loop: the loop takes a snapshot of the core
 * (core_snapshot_save), and a libuv worker thread loads it into a private
 * core, exports, hashes and gzips every body that is waited for, then the
 * loop publishes them (after_work).  One encode at a time, and from one
 * start to the next at least XC_INTERVAL_MS or twice what the last encode
 * took when the core changed in between (the worker uses at most about
 * half a core however busy the race; while nothing changes, a first request
 * for another race or format starts an encode at once);
 * requests that arrive meanwhile wait for it (xc_wait).  A request never
 * gets a body older than the core it asked: body generation >=
 * core_nrecords() at the time of the request.  So an answer waits at most
 * for the encode in flight, the rest of the gap, and one encode.
 *
 * Ownership: xcache_new() returns owned, xcache_free() releases (after the
 * loop ended: no encode is then in flight).  The core is borrowed and read
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
#include "sl.h"

/* At least this many ms from one encode's start to the next (a live race
 * changes the core every tick). */
#define XC_INTERVAL_MS 500
/* zlib level of the gzip bodies (BENCHMARKS.md, "HTTP exports"). */
#define XC_GZIP_LEVEL 6

typedef struct xcache xcache;

struct xc_body {
	unsigned refs;
	unsigned status;   /* 200, or 404/500 with a JSON error body */
	const char *ctype; /* static string */
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

/*
 * The export of race (NULL: the whole event) as CSV or JSON.  Returns a
 * reference to a body as new as the core, or NULL after parking w: its
 * on_ready runs once such a body exists.  race must name a race of the core
 * (the caller checks; the cache keeps one entry per race and format).
 */
struct xc_body *xcache_get(xcache *x, const char *race, bool csv, struct xc_wait *w);
/* w stops waiting (its request closed); no-op when not waiting. */
void xcache_cancel(struct xc_wait *w);
void xcache_unref(struct xc_body *b);
/* Start an encode that XC_INTERVAL_MS held back; from the net's tick. */
void xcache_tick(xcache *x);
/* Bodies encoded since start (a body re-encoded to the same bytes counts). */
uint64_t xcache_encodes(const xcache *x);

/*
 * Accept-Encoding (RFC 9110 12.5.3): true when ae accepts gzip: "gzip" or
 * "x-gzip" with q > 0, or "*" with q > 0 and gzip not named.  Case does not
 * matter; a malformed element counts as q=0, so garbage means identity.
 */
bool xcache_accepts_gzip(const char *ae);
/*
 * If-None-Match (RFC 9110 13.1.2, weak comparison): true when inm is "*" or
 * lists etag (W/ ignored).  A malformed list stops at the fault: what came
 * before it still counts.
 */
bool xcache_etag_match(const char *inm, const char *etag);

#endif

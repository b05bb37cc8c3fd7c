/*
 * export_req.h: what the HTTP exports read from a request: the export a
 * path names, and the Accept-Encoding and If-None-Match headers.  Pure (no
 * loop, no lws): export_req.c, tested by tests/unit/test_export_req.c and
 * fuzzed by tests/fuzz/fuzz_export_req.c.  Everything here is from outside:
 * any bytes, NUL-terminated.
 */
#ifndef SL_EXPORT_REQ_H
#define SL_EXPORT_REQ_H

#include <stdbool.h>

enum xc_format {
	XC_CSV,
	XC_JSON,
	XC_PDF,    /* a race's results list */
	XC_AWARDS, /* a race's award list (PDF) */
	XC_CERT,   /* one finisher's certificate (PDF) */
	XC_XLSX
};

/*
 * An export's path (PROTOCOL.md, "HTTP"): 1 with r filled, 0 when uri is no
 * export, or -1 when it starts like one but is malformed (r->err: the
 * sentence of the 404, with the form expected).  <race> is 1 to 64 of [A-Za-z0-9_-]
 * and <bib> an id (sl_id_ok).
 */
struct xc_route {
	char race_buf[72], bib[72];
	const char *race; /* race_buf, or NULL: the event */
	enum xc_format fmt;
	const char *err;
};
int xcache_route(const char *uri, struct xc_route *r);

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

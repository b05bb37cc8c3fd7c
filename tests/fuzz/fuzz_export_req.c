/*
 * fuzz_export_req.c: libFuzzer driver for what the HTTP exports read from a
 * request (server/net/export_req.c): the path, Accept-Encoding and
 * If-None-Match, any bytes up to the first NUL.
 *
 * Besides memory errors and undefined behaviour it traps when a promise is
 * broken: a path named as an export has a race that is an id (slid.h:
 * 1 to 64 of [A-Za-z0-9_.+-]; or none, for the event's CSV, JSON and XLSX
 * only), a certificate a bib that is an id; a refused path has a sentence; an
 * If-None-Match never matches an empty ETag.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/export_req.h"
#include "slid.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct xc_route r;
	int rc;

	memcpy(s, data, size);
	s[size] = '\0';
	rc = xcache_route(s, &r);
	if (rc > 0) {
		if (r.race) {
			CHECK(sl_id_ok(r.race, strlen(r.race)));
		} else {
			CHECK(r.fmt == XC_CSV || r.fmt == XC_JSON || r.fmt == XC_XLSX);
		}
		if (r.fmt == XC_CERT)
			CHECK(r.race && sl_id_ok(r.bib, strlen(r.bib)));
	} else if (rc < 0) {
		CHECK(r.err && *r.err);
	}
	(void)xcache_accepts_gzip(s);
	CHECK(!xcache_etag_match(s, ""));
	(void)xcache_etag_match(s, "\"0123\"");
	free(s);
	return 0;
}

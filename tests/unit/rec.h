/*
 * rec.h: log records for the core's unit tests, written as JSON with ' for "
 * (printf-style), transcoded to msgpack as a client's message would be, then
 * checked (core_check) and applied (core_apply).  err holds the sentence of
 * the last refusal ("" after a record went in).  Include once per test
 * program, after core.h, slp.h and t.h.
 */
#ifndef SL_TEST_REC_H
#define SL_TEST_REC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

static int recf(core *c, const char *fmt, ...)
{
	char js[16384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(js, sizeof(js), fmt, ap);
	va_end(ap);
	for (char *p = js; *p; p++)
		if (*p == '\'')
			*p = '"';
	sl_buf mp = SL_BUF_INIT;
	if (slp_json_to_msgpack(js, strlen(js), &mp) < 0) {
		fprintf(stderr, "bad test json: %s\n", js);
		abort();
	}
	err[0] = '\0';
	int rc = core_check(c, mp.data, mp.len, err, sizeof(err));
	if (rc == 0)
		rc = core_apply(c, mp.data, mp.len, err, sizeof(err));
	sl_buf_release(&mp);
	return rc;
}

#endif

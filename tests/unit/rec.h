/*
 * rec.h: log records for the core's unit tests, written as JSON with ' for "
 * (printf-style), transcoded to msgpack as a client's message would be, then
 * checked (core_check_row, whose row must match the sentence) and applied
 * (core_apply).  err holds the sentence of
 * the last refusal ("" after a record went in).  Also: topic snapshots
 * read back (snap) and snapshot round trips (reload, same_snapshot).  Include once per test
 * program, after core.h, slp.h and t.h.
 */
#ifndef SL_TEST_REC_H
#define SL_TEST_REC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

static inline int recf(core *c, const char *fmt, ...)
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
	int64_t row;
	int rc = core_check_row(c, mp.data, mp.len, err, sizeof(err), &row);
	/* the row at fault is the N of the "rows[N]" a participants error starts with */
	char want[32];
	snprintf(want, sizeof(want), "rows[%lld]", (long long)row);
	if ((row >= 0 && strncmp(err, want, strlen(want)) != 0) ||
	    (row < 0 && rc < 0 && strstr(js, "\"participants\"") && strstr(err, "rows["))) {
		fprintf(stderr, "core_check_row: row %lld for '%s'\n", (long long)row, err);
		abort();
	}
	if (rc == 0)
		rc = core_apply(c, mp.data, mp.len, err, sizeof(err));
	sl_buf_release(&mp);
	return rc;
}

/* Snapshot of a topic from offset off, at most lim rows, decoded into m. */
static inline bool snap(const core *c, const char *topic, size_t off, size_t lim, slp_msg *m)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &b);
	int rc = core_topic_snapshot(c, topic, strlen(topic), off, lim, &pk);
	if (rc == 0)
		rc = slp_decode(m, b.data, b.len, SLP_MSGPACK);
	sl_buf_release(&b);
	return rc == 0;
}

#define NIL_V (INT64_MIN + 7)  /* rowi: the field is nil */
#define ABSENT (INT64_MIN + 9) /* rowi: no such row or field */

static inline const msgpack_object *sub(const msgpack_object *row, const char *key)
{
	char k[64];
	const char *dot = strchr(key, '.');
	if (!dot)
		return slp_get(row, key);
	snprintf(k, sizeof(k), "%.*s", (int)(dot - key), key);
	const msgpack_object *m = slp_get(row, k);
	return m ? slp_get(m, dot + 1) : NULL;
}

/* An integer field of a participant's row ("splits.5k" reaches into maps). */
static inline int64_t rowi(const core *c, const char *bib, const char *key)
{
	char topic[80];
	slp_msg m;
	const msgpack_object_array *rows;
	int64_t v = ABSENT;
	snprintf(topic, sizeof(topic), "athlete/%s", bib);
	if (!snap(c, topic, 0, 0, &m))
		return ABSENT;
	if (slp_get_arr(&m.root, "rows", &rows) == 0 && rows->size == 1) {
		const msgpack_object *o = sub(&rows->ptr[0], key);
		if (!o || o->type == MSGPACK_OBJECT_NIL)
			v = NIL_V;
		else if (slp_as_int(o, &v) < 0)
			v = ABSENT;
	}
	slp_msg_release(&m);
	return v;
}

/* Do two cores save the same snapshot bytes? */
static inline bool same_snapshot(const core *a, const core *b)
{
	sl_buf x = SL_BUF_INIT, y = SL_BUF_INIT;
	core_snapshot_save(a, &x);
	core_snapshot_save(b, &y);
	bool eq = x.len == y.len && !memcmp(x.data, y.data, x.len);
	sl_buf_release(&x);
	sl_buf_release(&y);
	return eq;
}

/* c's snapshot loaded into a new core (returned owned), which must save
 * the same bytes. */
static inline core *reload(const core *c)
{
	sl_buf a = SL_BUF_INIT;
	core_snapshot_save(c, &a);
	core *d = core_new();
	err[0] = '\0';
	ASSERT_EQ(core_snapshot_load(d, a.data, a.len, err, sizeof(err)), 0);
	ASSERT_STREQ(err, "");
	sl_buf_release(&a);
	ASSERT(same_snapshot(c, d));
	return d;
}

#endif

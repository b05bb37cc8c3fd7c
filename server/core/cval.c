/*
 * cval.c: typed field readers over msgpack maps (see cval.h).  Built on the
 * protocol library's accessors; this file only adds paths to the errors.
 */
#include "cval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "slp.h"

void cval_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *cval_path(char *out, size_t outlen, const char *path, const char *key)
{
	if (path && *path)
		snprintf(out, outlen, "%s.%s", path, key);
	else
		snprintf(out, outlen, "%s", key);
	return out;
}

#define P(key) cval_path(pb, sizeof(pb), path, key)

int cval_str(const msgpack_object *map, const char *key, bool required, char **out,
	     const char *path, char *err, size_t errlen)
{
	char pb[256];
	const char *s;
	size_t n;
	int rc = slp_get_str(map, key, &s, &n);
	*out = NULL;
	if (rc == SL_ENOENT) {
		if (!required)
			return 0;
		cval_err(err, errlen, "%s: required", P(key));
		return SL_EINVAL;
	}
	if (rc < 0 || memchr(s, '\0', n)) {
		cval_err(err, errlen, "%s: expected string", P(key));
		return SL_EINVAL;
	}
	*out = sl_strndup(s, n);
	return 0;
}

char *cval_id_obj(const msgpack_object *o)
{
	char nb[32];
	if (o->type == MSGPACK_OBJECT_STR)
		return sl_strndup(o->via.str.ptr, o->via.str.size);
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(nb, sizeof(nb), "%llu", (unsigned long long)o->via.u64);
		return sl_strdup(nb);
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		snprintf(nb, sizeof(nb), "%lld", (long long)o->via.i64);
		return sl_strdup(nb);
	}
	return NULL;
}

int cval_id(const msgpack_object *map, const char *key, bool required, char **out,
	    const char *path, char *err, size_t errlen)
{
	char pb[256];
	const msgpack_object *o = slp_get(map, key);
	*out = NULL;
	if (!o || o->type == MSGPACK_OBJECT_NIL) {
		if (!required)
			return 0;
		cval_err(err, errlen, "%s: required", P(key));
		return SL_EINVAL;
	}
	char *s = cval_id_obj(o);
	if (!s || !sl_id_ok(s, strlen(s))) {
		cval_err(err, errlen, "%s: expected an id of " SL_ID_WORDS,
			 P(key));
		free(s);
		return SL_EINVAL;
	}
	*out = s;
	return 0;
}

int cval_int(const msgpack_object *map, const char *key, int64_t lo, int64_t hi, int64_t *out,
	     bool *present, const char *path, char *err, size_t errlen)
{
	char pb[256];
	int rc = slp_get_int(map, key, out);
	if (present)
		*present = rc == 0;
	if (rc == SL_ENOENT)
		return 0;
	if (rc < 0) {
		cval_err(err, errlen, "%s: expected integer", P(key));
		return SL_EINVAL;
	}
	if (*out < lo || *out > hi) {
		cval_err(err, errlen, "%s: %lld is out of range %lld..%lld", P(key),
			 (long long)*out, (long long)lo, (long long)hi);
		return SL_EINVAL;
	}
	return 0;
}

int cval_secs(const msgpack_object *map, const char *key, int64_t *ms, bool *present,
	      const char *path, char *err, size_t errlen)
{
	char pb[256];
	double v;
	int rc = slp_get_num(map, key, &v);
	*present = rc == 0;
	if (rc == SL_ENOENT)
		return 0;
	if (rc < 0 || !(v >= 0) || v > 1e7) {
		cval_err(err, errlen, "%s: expected a number of seconds from 0 to 10000000",
			 P(key));
		return SL_EINVAL;
	}
	*ms = llround(v * 1000.0);
	return 0;
}

int cval_time(const msgpack_object *map, const char *key, int64_t *ms, bool *present,
	      const char *path, char *err, size_t errlen)
{
	char pb[256];
	const msgpack_object *o = slp_get(map, key);
	*present = false;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	bool ok = slp_as_int(o, ms) == 0;
	if (!ok && o->type == MSGPACK_OBJECT_STR && o->via.str.size < 64) {
		char tb[64];
		memcpy(tb, o->via.str.ptr, o->via.str.size);
		tb[o->via.str.size] = '\0';
		ok = sl_parse_iso(tb, ms) == 0;
	}
	if (ok && !sl_time_ok(*ms)) {
		cval_err(err, errlen, "%s: %lld is not a time in the years 2000 to 2100", P(key),
			 (long long)*ms);
		return SL_ERANGE;
	}
	if (ok) {
		*present = true;
		return 0;
	}
	cval_err(err, errlen, "%s: expected an ISO 8601 time or milliseconds since the epoch",
		 P(key));
	return SL_EINVAL;
}

void cval_civil(int64_t ms, int *y, int *m, int *d)
{
	/* Howard Hinnant's civil_from_days. */
	int64_t z = (ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000)) + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

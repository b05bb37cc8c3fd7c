/*
 * cval.h: reading typed fields out of untrusted msgpack maps, with errors
 * that name the path of the field ("races[0].points[2].role: expected ...").
 *
 * Every reader takes the map, the key, the path of the map ("" at the top)
 * and an err buffer; it returns 0 (field read, or absent and optional) or
 * SL_EINVAL with the sentence in err.  *present says whether the field was
 * there.  Strings handed out are owned by the caller (free()).
 */
#ifndef SL_CVAL_H
#define SL_CVAL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "sl.h"
#include "slid.h"

void cval_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * The two ways a checker fails, for functions with `char *err, size_t
 * errlen` in scope: CVAL_FAIL returns code with the sentence in err;
 * CVAL_FAIL_OUT sets rc to code and jumps to the function's `out:` (where it
 * releases what it holds).
 */
#define CVAL_FAIL(code, ...)                                                                       \
	do {                                                                                       \
		cval_err(err, errlen, __VA_ARGS__);                                                \
		return (code);                                                                     \
	} while (0)
#define CVAL_FAIL_OUT(code, ...)                                                                   \
	do {                                                                                       \
		cval_err(err, errlen, __VA_ARGS__);                                                \
		rc = (code);                                                                       \
		goto out;                                                                          \
	} while (0)
/* Join path and key ("races[0]" + "id" -> "races[0].id") into out. */
const char *cval_path(char *out, size_t outlen, const char *path, const char *key);

int cval_str(const msgpack_object *map, const char *key, bool required, char **out,
	     const char *path, char *err, size_t errlen);
/*
 * An identifier: a string, or an integer written in decimal (YAML turns
 * `id: 1` into a number).  1..64 bytes of [A-Za-z0-9_.-].
 */
int cval_id(const msgpack_object *map, const char *key, bool required, char **out,
	    const char *path, char *err, size_t errlen);
/* An id from a bare object (string or integer); NULL when it is neither. */
char *cval_id_obj(const msgpack_object *o);
int cval_int(const msgpack_object *map, const char *key, int64_t lo, int64_t hi, int64_t *out,
	     bool *present, const char *path, char *err, size_t errlen);
/* A number of seconds (integer or float, >= 0) as milliseconds. */
int cval_secs(const msgpack_object *map, const char *key, int64_t *ms, bool *present,
	      const char *path, char *err, size_t errlen);
/* A time: integer ms since the epoch, or an ISO 8601 string. */
int cval_time(const msgpack_object *map, const char *key, int64_t *ms, bool *present,
	      const char *path, char *err, size_t errlen);

/* Civil date of a ms-since-epoch instant (UTC). */
void cval_civil(int64_t ms, int *y, int *m, int *d);

#endif

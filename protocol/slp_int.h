/*
 * slp_int.h: internals shared by slp.c (msgpack side) and slp_json.c (JSON
 * side).  Not for use outside protocol/.
 */
#ifndef SLP_INT_H
#define SLP_INT_H

#include <inttypes.h>

#include "slp.h"

/*
 * Check that buf[*off..len) starts with one complete msgpack object no
 * deeper than SLP_MAX_DEPTH containers, each container's count backed by
 * enough bytes (so that msgpack_unpack, which allocates a container's
 * elements up front, allocates at most a small multiple of len).  Advances
 * *off past the object.  Returns 0, SL_EPARSE or SL_ETOOBIG with a sentence
 * in err.
 */
int slp__scan(const char *buf, size_t len, size_t *off, char *err, size_t errlen);

/*
 * Append the JSON text of o to out.  strict: fail with SL_EPARSE (and a
 * sentence in err) on anything JSON cannot carry: a non-string map key, bin,
 * ext, a string that is not valid UTF-8, a float that is not finite; and
 * with SL_ETOOBIG past SLP_MAX_DEPTH containers.  Not strict: never fails,
 * writes a stand-in (see slp_object_to_json).  out may be NULL to only
 * check.  On failure out holds partial text: the caller truncates it.
 */
int slp__emit_json(const msgpack_object *o, sl_buf *out, bool strict, int depth, char *err,
		   size_t errlen);

/* JSON text -> msgpack appended to out, with jansson's line/column in err. */
int slp__json_to_msgpack(const char *js, size_t len, sl_buf *out, char *err, size_t errlen);

/* snprintf into err when errlen > 0. */
void slp__errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

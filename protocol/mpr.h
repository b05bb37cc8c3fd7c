/*
 * mpr.h: a raw msgpack reader, bounds-checked, for the one shape read on the
 * hot path: a passings record ({k:"passings", dev, seq, reads:[...], rx}).
 *
 * msgpack_unpack() builds an object tree of the whole batch (a map per
 * read) only for slp_batch_parse() to walk it once; mpr walks the bytes
 * instead, into the same slp_batch.  It takes only the plain shape the
 * server writes ("k" first, no repeated keys, other values scalars) and
 * only when every field is valid under slp_batch_parse()'s rules; on
 * anything else it says no (false or -1), and the caller goes the general
 * way (msgpack_unpack + slp_batch_parse), which then gives the same result
 * or the same error.  It never reads outside [p, end).
 *
 * Strings handed out (slp_read.chip/bib/pt, slp_batch.dev) borrow from the
 * bytes read.  Nothing here allocates except mpr_passings(), which grows
 * the caller's read array.
 */
#ifndef SL_MPR_H
#define SL_MPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slp.h"

/* A cursor over [p, end): each reader moves p past what it read. */
struct mpr {
	const unsigned char *p, *end;
};

/* A map (map true) or array header: its count, or -1. */
int64_t mpr_hdr(struct mpr *m, bool map);
/* Any str (fixstr, str8/16/32): 0 and *s, *n, or -1. */
int mpr_str_any(struct mpr *m, const char **s, size_t *n);
/* An integer that fits int64: 0 and *v, or -1. */
int mpr_int(struct mpr *m, int64_t *v);
/* Skip a scalar (nil, bool, int, float, str, bin): 0, or -1. */
int mpr_skip_scalar(struct mpr *m);
/* One read (a map) into *r under slp_batch_parse()'s rules: true, or false. */
bool mpr_read(struct mpr *m, slp_read *r);
/*
 * A whole passings record of len bytes: true and *b, its reads in *reads
 * (grown as needed, *cap its capacity; owned by the caller), or false.
 * b->dev and the strings borrow from rec.
 */
bool mpr_passings(const char *rec, size_t len, slp_batch *b, slp_read **reads, size_t *cap);

/* A str: 0 and *s, *n, or -1 (not a str, or truncated).  Fixstr inline. */
static inline int mpr_str(struct mpr *m, const char **s, size_t *n)
{
	if (m->p < m->end && (*m->p & 0xe0) == 0xa0) { /* fixstr */
		size_t len = *m->p & 0x1f;
		if ((size_t)(m->end - m->p) <= len)
			return -1;
		*s = (const char *)m->p + 1;
		*n = len;
		m->p += 1 + len;
		return 0;
	}
	return mpr_str_any(m, s, n);
}

/* Is the key s (n bytes) the string k (kn bytes)? */
static inline bool mpr_key(const char *k, size_t kn, const char *s, size_t n)
{
	return kn == n && memcmp(k, s, n) == 0;
}

#endif

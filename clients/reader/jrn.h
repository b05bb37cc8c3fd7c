/*
 * jrn.h: the reader's journal: an append-only file of fixed-meaning
 * records (raw reads, or the passings made from them), plus the durable
 * "acked" position of the passings journal.
 *
 * On disk a record is: u32 magic "SLJ1", u32 payload length, u32 CRC-32 of
 * the payload, payload (host byte order: the journal never leaves its
 * machine).  Record i (from 1) is the i-th record of the file; for the
 * passings journal that number is the device seq sent to the server.
 *
 * Recovery (jrn_open): records are read in order until the end or the
 * first one that is torn or corrupt (short, bad magic, length or CRC); the
 * file is truncated there, so a crash mid-append loses only the record
 * that was never synced.  Durability: jrn_append buffers, jrn_sync writes
 * the buffer and fdatasyncs; nothing is forwarded before it is synced.
 *
 * The acked position is a separate small file written whole to a
 * temporary name, fsynced and renamed over (atomic); missing means 0.
 *
 * Ownership: jrn owns its fd, path and buffer (jrn_close frees them).
 * Not thread-safe: one thread appends.
 */
#ifndef SL_JRN_H
#define SL_JRN_H

#include <stdint.h>

#include "rdr.h"
#include "sl.h"

typedef struct jrn_rec {
	int64_t t;    /* UTC ms on our reference clock (decoder time - offset) */
	int64_t dt;   /* UTC ms on the decoder's own clock, as it said */
	int64_t no;   /* the decoder's passing number, or -1 */
	int32_t rssi; /* 0 unknown */
	int32_t hits; /* -1 unknown */
	char chip[RDR_CHIP_MAX + 1];
} jrn_rec;

typedef struct jrn {
	int fd;
	char *path;
	uint64_t count; /* records in the file (synced or buffered) */
	uint64_t synced;
	sl_buf pend;    /* encoded, not yet written */
} jrn;

/* each() sees every intact record in order (idx from 1); a non-zero
 * return stops recovery with that code. */
typedef int (*jrn_each_fn)(void *ctx, uint64_t idx, const jrn_rec *r);

/* A growable list of records (v owned: free it), and the jrn_each_fn that
 * appends to one (ctx: the jrn_vec). */
typedef struct jrn_vec {
	jrn_rec *v;
	size_t n, cap;
} jrn_vec;
int jrn_vec_add(void *ctx, uint64_t idx, const jrn_rec *r);

/* Open (create) path, recover, truncate a torn tail.  *torn gets the
 * number of bytes cut (may be NULL).  0 or SL_EIO with err. */
int jrn_open(jrn *j, const char *path, jrn_each_fn each, void *ctx, uint64_t *torn, char *err,
	     size_t errlen);
void jrn_append(jrn *j, const jrn_rec *r);
/* Write what is buffered and fdatasync.  0 or SL_EIO. */
int jrn_sync(jrn *j);
void jrn_close(jrn *j);

int jrn_ack_load(const char *path, uint64_t *acked);
int jrn_ack_store(const char *path, uint64_t acked);

/* Encode/decode one payload (exposed for tests and fuzzing). */
void jrn_encode(sl_buf *out, const jrn_rec *r);
int jrn_decode(const char *p, size_t n, jrn_rec *r);
uint32_t jrn_crc32(const void *p, size_t n);

#endif

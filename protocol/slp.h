/*
 * slp.h: the Splitline wire message model and its two codecs.
 *
 * One model: a message is a msgpack map with a string "t" (its type) and,
 * for requests, an unsigned "id" that the reply repeats.  The msgpack form is
 * the canonical one; the JSON subprotocol is a transcoding of it (maps,
 * arrays, strings, integers, floats, booleans and nil map one to one; bin is
 * not used on the wire).  So a message is built once with a msgpack_packer,
 * and turned into JSON text once when a JSON subscriber needs it.
 *
 * Decoding never trusts its input: depth, sizes and types are checked and a
 * malformed buffer gives SL_EPARSE with a sentence in slp_msg.err, never an
 * assert.  A decoded message owns its memory (a msgpack zone); release it
 * with slp_msg_release().
 *
 * Accessors borrow from the message: strings are not NUL-terminated, they
 * come as (pointer, length) and live as long as the message.
 */
#ifndef SLP_H
#define SLP_H

#include <msgpack.h>
#include <stdbool.h>

#include "sl.h"

enum slp_format { SLP_MSGPACK = 0, SLP_JSON = 1 };

#define SLP_MAX_DEPTH 32
#define SLP_MAX_FRAME (1u << 20) /* 1 MiB: larger frames are refused */

typedef struct slp_msg {
	msgpack_zone *zone;  /* owns everything root points into */
	msgpack_object root; /* a map once decoded successfully */
	char err[160];       /* why decoding failed */
} slp_msg;

/*
 * Decode one frame.  fmt says which codec.  On success root is a map that
 * holds a string "t".  Returns 0, SL_EPARSE (malformed, err says where),
 * SL_ETOOBIG (over SLP_MAX_FRAME or too deep).  *m is always safe to release.
 * *m is overwritten: release a message before decoding into it again.
 * Depth counts containers, the root map included: at most SLP_MAX_DEPTH.
 * Refused as SL_EPARSE, so that every decoded message can be sent as JSON:
 * trailing bytes, map keys that are not strings, bin, ext, strings that are
 * not valid UTF-8, NaN/infinite floats; in JSON also duplicate keys and
 * integers beyond int64 (err has jansson's "line L, column C").
 * The buffer is borrowed for the call only: the message keeps a copy.
 */
int slp_decode(slp_msg *m, const char *buf, size_t len, enum slp_format fmt);
/*
 * Is buf exactly one well-formed msgpack object whose every container count
 * is backed by bytes (depth at most SLP_MAX_DEPTH)?  0, or SL_EPARSE with
 * err set.  What to run before msgpack_unpack() on bytes from elsewhere
 * (the core's log records): msgpack_unpack allocates what a header claims.
 */
int slp_check_bounds(const char *buf, size_t len, char *err, size_t errlen);
/*
 * A device batch record (a map with "seq" s and an array "reads" or
 * "scans" of n items, item i having seq s + i) cut to the items from seq
 * from on: the same map in the same key order, "seq" from, the array's
 * first from - s items dropped; appended to out.  0, or SL_EINVAL (not such
 * a record, or from not in s + 1 .. s + n - 1).  The store appends only
 * what a device has not appended before (a resend with other boundaries).
 */
int slp_trim_batch(const char *rec, size_t len, uint64_t from, sl_buf *out);
void slp_msg_release(slp_msg *m);

/*
 * Transcoding of any value (not only maps).  Both append to out and return 0
 * or SL_EPARSE/SL_ETOOBIG (too deep); on error out is left as it was.  No
 * size limit (they also serve the server's own large snapshots).  JSON text
 * written is compact and canonical: floats in the fewest digits that read
 * back to the same value, always with '.' or an exponent.
 */
int slp_msgpack_to_json(const char *mp, size_t len, sl_buf *out);
int slp_json_to_msgpack(const char *js, size_t len, sl_buf *out);
/* Append the JSON text of one object (used for exports and debugging).
 * Never fails: a non-string key is written as the string of its JSON text,
 * bin/ext and NaN as null, invalid UTF-8 bytes as U+FFFD. */
void slp_object_to_json(const msgpack_object *o, sl_buf *out);

/*
 * Accessors on a map.  Each returns 0, SL_ENOENT when the key is absent
 * (or nil), or SL_EINVAL when present with the wrong type.  Integers accept
 * positive and negative msgpack ints, and floats with no fraction (JSON
 * numbers such as 1.0).
 */
const msgpack_object *slp_get(const msgpack_object *map, const char *key);
int slp_get_str(const msgpack_object *map, const char *key, const char **s, size_t *n);
int slp_get_int(const msgpack_object *map, const char *key, int64_t *v);
int slp_get_num(const msgpack_object *map, const char *key, double *v);
int slp_get_bool(const msgpack_object *map, const char *key, bool *v);
int slp_get_arr(const msgpack_object *map, const char *key, const msgpack_object_array **a);
int slp_get_map(const msgpack_object *map, const char *key, const msgpack_object **m);
/* Same, on a bare object. */
int slp_as_int(const msgpack_object *o, int64_t *v);
int slp_as_str(const msgpack_object *o, const char **s, size_t *n);
/* Compare a msgpack string object with a C string. */
bool slp_str_eq(const msgpack_object *o, const char *s);
/* The message type ("t"), or NULL.  *n gets its length. */
const char *slp_type(const slp_msg *m, size_t *n);

/*
 * Building: a packer that writes into an sl_buf.
 *   sl_buf b = SL_BUF_INIT; msgpack_packer pk; slp_packer_init(&pk, &b);
 *   msgpack_pack_map(&pk, 2); slp_pack_kv_str(&pk, "t", "ok"); ...
 */
void slp_packer_init(msgpack_packer *pk, sl_buf *b);
void slp_pack_str(msgpack_packer *pk, const char *s);
void slp_pack_strn(msgpack_packer *pk, const char *s, size_t n);
void slp_pack_kv_str(msgpack_packer *pk, const char *k, const char *v);
void slp_pack_kv_strn(msgpack_packer *pk, const char *k, const char *v, size_t n);
void slp_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v);
void slp_pack_kv_bool(msgpack_packer *pk, const char *k, bool v);
/* k, then v, or nil when v is NULL (str) or not present (int). */
void slp_pack_kv_str_or_nil(msgpack_packer *pk, const char *k, const char *v);
void slp_pack_kv_int_or_nil(msgpack_packer *pk, const char *k, int64_t v, bool present);
/* An optional key: k and v when v is not NULL, nothing when it is (the map's
 * count has the pair only when v is set). */
void slp_pack_kv_str_opt(msgpack_packer *pk, const char *k, const char *v);
/* A flag: k and true when on, nothing when not. */
void slp_pack_kv_flag(msgpack_packer *pk, const char *k, bool on);
void slp_pack_key(msgpack_packer *pk, const char *k);

/* Standard replies, appended to out as msgpack.  id 0 when the request's
 * id is unknown (the frame could not be decoded). */
void slp_build_ok(sl_buf *out, uint64_t id);
/* err: code is sl_errcode(err); msg a human sentence. */
void slp_build_err(sl_buf *out, uint64_t id, int err, const char *msg);
/* Same, with "row": the index of the bad row (participants, PROTOCOL.md). */
void slp_build_err_row(sl_buf *out, uint64_t id, int err, const char *msg, int64_t row);

/*
 * The device passings batch, shared by server and clients.
 *   {t:"passings", id, dev, seq, reads:[{chip|bib, pt, t, kind?, hits?, rssi?}]}
 * reads[i] carries sequence number seq + i.  Parsing checks every field and
 * says which one is wrong ("reads[3].t: expected integer").
 */
enum slp_read_kind { SLP_KIND_RFID = 0, SLP_KIND_HANDHELD, SLP_KIND_MANUAL, SLP_KIND_BACKUP };
const char *slp_kind_name(int kind); /* NULL if out of range */
int slp_kind_parse(const char *s, size_t n); /* kind or -1 */

typedef struct slp_read {
	const char *chip; size_t chip_len; /* chip code, or NULL */
	const char *bib; size_t bib_len;   /* bib, or NULL (one of the two) */
	const char *pt; size_t pt_len;     /* timing point id */
	int64_t t;                         /* device clock, ms since epoch */
	int kind;                          /* enum slp_read_kind */
	int hits;                          /* -1 if unknown */
	int rssi;                          /* 0 if unknown (dBm, negative) */
} slp_read;

typedef struct slp_batch {
	const char *dev; size_t dev_len; /* may be NULL: the token's device */
	uint64_t seq;                    /* seq of reads[0], >= 1 */
	size_t nreads;                   /* 1 .. SLP_MAX_READS */
	slp_read *reads;                 /* allocated in the message's zone */
	int64_t rx;                      /* log records: the server's receipt, ms; 0 if absent
					    (only mpr_passings() reads it) */
} slp_batch;
#define SLP_MAX_READS 10000

/*
 * Parse a passings batch from a decoded map (a "passings" message or log
 * record: "t"/"k" is not looked at); err gets the field at fault.  Rules:
 * dev optional, 1..64 bytes; seq integer in 1..SL_SEQ_MAX (2^53-1), and so
 * is the last read's seq + n - 1; reads 1..SLP_MAX_READS maps;
 * exactly one of chip/bib, 1..64 bytes; pt 1..64 bytes; t integer ms in
 * the years 2000..2100; kind optional (default rfid); hits optional int
 * >= 0; rssi optional int.  Unknown fields are ignored.  Returns 0,
 * SL_EINVAL (missing or wrong type) or SL_ERANGE (bad value).  Strings
 * borrow from the message; reads are allocated in zone (borrowed, not NULL).
 */
int slp_batch_parse(const msgpack_object *map, msgpack_zone *zone, slp_batch *b,
		    char *err, size_t errlen);
/* The same with flags: SLP_SEQ_NONE: the batch must have no seq (the server
 * numbers it; b->seq is 1). */
#define SLP_SEQ_NONE 1u
int slp_batch_parse_flags(const msgpack_object *map, msgpack_zone *zone, unsigned flags,
			  slp_batch *b, char *err, size_t errlen);
/* Pack reads (as in the wire batch) into pk as an array of maps with keys
 * chip|bib, pt, t, kind, then hits (if >= 0) and rssi (if != 0). */
void slp_pack_reads(msgpack_packer *pk, const slp_read *reads, size_t n);

#endif

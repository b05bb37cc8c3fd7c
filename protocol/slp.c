/*
 * slp.c: decoding, accessors, packers and the passings batch (slp.h).  The
 * JSON side lives in slp_json.c.
 *
 * Decoding trusts nothing.  A msgpack frame is first walked by a small
 * bounds-checked scanner (slp__scan) that checks completeness, depth and
 * that every container's element count is backed by bytes; only then is it
 * handed to msgpack_unpack, which would otherwise allocate whatever count a
 * header claims.  The frame is copied into the message's zone first, because
 * msgpack_unpack makes strings point into the buffer it decodes: so the
 * message owns everything it points to, and the caller's buffer may go.
 *
 * A decoded message is always representable as JSON (string keys, valid
 * UTF-8, no bin or ext, finite floats): whatever the server accepts from a
 * msgpack client it can later send to a JSON subscriber.  A JSON frame is
 * converted to msgpack bytes and then decoded like a msgpack frame, so both
 * formats give the same msgpack_object tree.
 */
#include "slp_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void slp__errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- scanner ------------------------------------------------------------ */

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int slp__scan(const char *buf, size_t len, size_t *off, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t pos = *off;
	/* need[d]: objects still to read in the container open at depth d;
	 * depth 0 is the top level, which holds one object. */
	uint64_t need[SLP_MAX_DEPTH + 1];
	int d = 0;
	need[0] = 1;

	while (d >= 0) {
		if (need[d] == 0) {
			d--;
			continue;
		}
		need[d]--;
		if (pos >= len)
			goto truncated;
		unsigned c = p[pos++];
		uint64_t skip = 0, count = 0;
		int lenbytes = 0, container = 0; /* 1 array, 2 map */

		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
			/* fixint, nil, bool */
		} else if (c <= 0x8f) {
			container = 2, count = c & 0x0f;
		} else if (c <= 0x9f) {
			container = 1, count = c & 0x0f;
		} else if (c <= 0xbf) {
			skip = c & 0x1f;
		} else {
			switch (c) {
			case 0xc4: case 0xd9: lenbytes = 1; break;  /* bin8 str8 */
			case 0xc5: case 0xda: lenbytes = 2; break;  /* bin16 str16 */
			case 0xc6: case 0xdb: lenbytes = 4; break;  /* bin32 str32 */
			case 0xc7: lenbytes = 1, skip = 1; break;  /* ext8: + type */
			case 0xc8: lenbytes = 2, skip = 1; break;
			case 0xc9: lenbytes = 4, skip = 1; break;
			case 0xca: skip = 4; break;                /* float32 */
			case 0xcb: skip = 8; break;                /* float64 */
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;                /* fixext: type + data */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: container = 1, lenbytes = 2; break;
			case 0xdd: container = 1, lenbytes = 4; break;
			case 0xde: container = 2, lenbytes = 2; break;
			case 0xdf: container = 2, lenbytes = 4; break;
			default: /* 0xc1 */
				slp__errf(err, errlen, "msgpack: invalid byte 0x%02x at offset %zu", c,
					  pos - 1);
				return SL_EPARSE;
			}
		}
		if (lenbytes) {
			if (len - pos < (size_t)lenbytes)
				goto truncated;
			uint64_t n = be(p + pos, lenbytes);
			pos += (size_t)lenbytes;
			if (container)
				count = n;
			else
				skip += n;
		}
		if (skip > len - pos)
			goto truncated;
		pos += (size_t)skip;
		if (container) {
			if (d + 1 > SLP_MAX_DEPTH) {
				slp__errf(err, errlen, "msgpack: nested deeper than %d levels",
					  SLP_MAX_DEPTH);
				return SL_ETOOBIG;
			}
			if (container == 2)
				count *= 2; /* count <= 2^32, no overflow */
			/* Each element takes at least one byte. */
			if (count > len - pos)
				goto truncated;
			if (count)
				need[++d] = count;
		}
	}
	*off = pos;
	return 0;
truncated:
	slp__errf(err, errlen, "msgpack: truncated at offset %zu of %zu", pos, len);
	return SL_EPARSE;
}

/* ---- decoding ----------------------------------------------------------- */

static void msg_clear(slp_msg *m)
{
	m->zone = NULL;
	m->root.type = MSGPACK_OBJECT_NIL;
	m->root.via.u64 = 0;
	m->err[0] = '\0';
}

int slp_check_bounds(const char *buf, size_t len, char *err, size_t errlen)
{
	size_t off = 0;
	int rc = slp__scan(buf, len, &off, err, errlen);
	if (rc < 0)
		return rc;
	if (off != len) {
		slp__errf(err, errlen, "%zu trailing bytes after the object", len - off);
		return SL_EPARSE;
	}
	return 0;
}

int slp_trim_batch(const char *rec, size_t len, uint64_t from, sl_buf *out)
{
	msgpack_zone z;
	msgpack_object root;
	const msgpack_object_array *items = NULL;
	size_t off = 0;
	int64_t seq;
	int rc = SL_EINVAL;

	if (slp_check_bounds(rec, len, NULL, 0) < 0)
		return SL_EINVAL;
	msgpack_zone_init(&z, 4096);
	if (msgpack_unpack(rec, len, &off, &z, &root) != MSGPACK_UNPACK_SUCCESS ||
	    root.type != MSGPACK_OBJECT_MAP || slp_get_int(&root, "seq", &seq) < 0 || seq < 1)
		goto out;
	if (slp_get_arr(&root, "reads", &items) < 0 && slp_get_arr(&root, "scans", &items) < 0)
		goto out;
	if (from <= (uint64_t)seq || from - (uint64_t)seq >= items->size)
		goto out;
	uint32_t skip = (uint32_t)(from - (uint64_t)seq);
	msgpack_packer pk;
	slp_packer_init(&pk, out);
	msgpack_pack_map(&pk, root.via.map.size);
	for (uint32_t i = 0; i < root.via.map.size; i++) {
		const msgpack_object_kv *kv = &root.via.map.ptr[i];
		msgpack_pack_object(&pk, kv->key);
		if (slp_str_eq(&kv->key, "seq")) {
			msgpack_pack_uint64(&pk, from);
		} else if (kv->val.type == MSGPACK_OBJECT_ARRAY && &kv->val.via.array == items) {
			msgpack_pack_array(&pk, items->size - skip);
			for (uint32_t j = skip; j < items->size; j++)
				msgpack_pack_object(&pk, items->ptr[j]);
		} else {
			msgpack_pack_object(&pk, kv->val);
		}
	}
	rc = 0;
out:
	msgpack_zone_destroy(&z);
	return rc;
}

/* Decode msgpack bytes (already size-checked by the caller) into m. */
static int decode_mp(slp_msg *m, const char *buf, size_t len)
{
	size_t off = 0;
	int rc = slp__scan(buf, len, &off, m->err, sizeof(m->err));
	if (rc < 0)
		return rc;
	if (off != len) {
		slp__errf(m->err, sizeof(m->err), "%zu trailing bytes after the message",
			  len - off);
		return SL_EPARSE;
	}
	/* Cheap checks on the first byte before allocating anything. */
	unsigned c = (unsigned char)buf[0];
	if (!((c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf)) {
		slp__errf(m->err, sizeof(m->err), "message is not a map");
		return SL_EPARSE;
	}

	m->zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	char *copy = m->zone ? msgpack_zone_malloc(m->zone, len) : NULL;
	if (!copy) {
		sl_error("out of memory decoding a message of %zu bytes", len);
		abort();
	}
	memcpy(copy, buf, len);
	off = 0;
	msgpack_unpack_return ur = msgpack_unpack(copy, len, &off, m->zone, &m->root);
	if (ur == MSGPACK_UNPACK_NOMEM_ERROR) {
		sl_error("out of memory decoding a message of %zu bytes", len);
		abort();
	}
	if (ur != MSGPACK_UNPACK_SUCCESS || off != len) {
		/* The scanner accepted it, so this is a disagreement with msgpack-c. */
		slp__errf(m->err, sizeof(m->err), "msgpack: cannot decode (error %d)", (int)ur);
		goto fail;
	}
	rc = slp__emit_json(&m->root, NULL, true, 0, m->err, sizeof(m->err));
	if (rc < 0)
		goto fail;
	if (m->root.type != MSGPACK_OBJECT_MAP) {
		slp__errf(m->err, sizeof(m->err), "message is not a map");
		rc = SL_EPARSE;
		goto fail;
	}
	const msgpack_object *t = slp_get(&m->root, "t");
	if (!t || t->type == MSGPACK_OBJECT_NIL) {
		slp__errf(m->err, sizeof(m->err), "missing field 't'");
		rc = SL_EPARSE;
		goto fail;
	}
	if (t->type != MSGPACK_OBJECT_STR) {
		slp__errf(m->err, sizeof(m->err), "field 't': expected string");
		rc = SL_EPARSE;
		goto fail;
	}
	return 0;
fail:
	if (rc == 0)
		rc = SL_EPARSE;
	msgpack_zone_free(m->zone);
	m->zone = NULL;
	m->root.type = MSGPACK_OBJECT_NIL;
	return rc;
}

int slp_decode(slp_msg *m, const char *buf, size_t len, enum slp_format fmt)
{
	msg_clear(m);
	if (len > SLP_MAX_FRAME) {
		slp__errf(m->err, sizeof(m->err), "message of %zu bytes is over the limit of %u",
			  len, SLP_MAX_FRAME);
		return SL_ETOOBIG;
	}
	if (len == 0) {
		slp__errf(m->err, sizeof(m->err), "empty message");
		return SL_EPARSE;
	}
	if (fmt == SLP_MSGPACK)
		return decode_mp(m, buf, len);
	if (fmt != SLP_JSON) {
		slp__errf(m->err, sizeof(m->err), "unknown format %d", (int)fmt);
		return SL_EINVAL;
	}
	/* The msgpack form of a JSON frame may be larger than the frame (floats
	 * take 9 bytes): the limit applies to what came over the wire. */
	sl_buf mp = SL_BUF_INIT;
	int rc = slp__json_to_msgpack(buf, len, &mp, m->err, sizeof(m->err));
	if (rc == 0)
		rc = decode_mp(m, mp.data, mp.len);
	sl_buf_release(&mp);
	return rc;
}

void slp_msg_release(slp_msg *m)
{
	if (m->zone)
		msgpack_zone_free(m->zone);
	m->zone = NULL;
	m->root.type = MSGPACK_OBJECT_NIL;
}

const char *slp_type(const slp_msg *m, size_t *n)
{
	const char *s;
	size_t len;
	if (!m->zone || slp_get_str(&m->root, "t", &s, &len) != 0)
		return NULL;
	if (n)
		*n = len;
	return s;
}

/* ---- transcoding -------------------------------------------------------- */

int slp_msgpack_to_json(const char *mp, size_t len, sl_buf *out)
{
	char err[160];
	size_t off = 0, start = out->len;
	int rc = slp__scan(mp, len, &off, err, sizeof(err));
	if (rc < 0)
		return rc;
	if (off != len)
		return SL_EPARSE;
	msgpack_zone zone;
	msgpack_object o;
	if (!msgpack_zone_init(&zone, MSGPACK_ZONE_CHUNK_SIZE)) {
		sl_error("out of memory transcoding %zu bytes", len);
		abort();
	}
	off = 0;
	msgpack_unpack_return ur = msgpack_unpack(mp, len, &off, &zone, &o);
	if (ur == MSGPACK_UNPACK_NOMEM_ERROR) {
		sl_error("out of memory transcoding %zu bytes", len);
		abort();
	}
	if (ur != MSGPACK_UNPACK_SUCCESS || off != len)
		rc = SL_EPARSE;
	else
		rc = slp__emit_json(&o, out, true, 0, err, sizeof(err));
	msgpack_zone_destroy(&zone);
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int slp_json_to_msgpack(const char *js, size_t len, sl_buf *out)
{
	char err[160];
	return slp__json_to_msgpack(js, len, out, err, sizeof(err));
}

void slp_object_to_json(const msgpack_object *o, sl_buf *out)
{
	slp__emit_json(o, out, false, 0, NULL, 0);
}

/* ---- accessors ---------------------------------------------------------- */

bool slp_str_eq(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);
	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       (n == 0 || memcmp(o->via.str.ptr, s, n) == 0);
}

const msgpack_object *slp_get(const msgpack_object *map, const char *key)
{
	if (!map || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++)
		if (slp_str_eq(&map->via.map.ptr[i].key, key))
			return &map->via.map.ptr[i].val;
	return NULL;
}

/* The value at key, NULL when absent or nil. */
static const msgpack_object *present(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = slp_get(map, key);
	return o && o->type != MSGPACK_OBJECT_NIL ? o : NULL;
}

int slp_as_str(const msgpack_object *o, const char **s, size_t *n)
{
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return SL_ENOENT;
	if (o->type != MSGPACK_OBJECT_STR)
		return SL_EINVAL;
	*s = o->via.str.ptr;
	*n = o->via.str.size;
	return 0;
}

int slp_as_int(const msgpack_object *o, int64_t *v)
{
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return SL_ENOENT;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > (uint64_t)INT64_MAX)
			return SL_EINVAL;
		*v = (int64_t)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = o->via.i64;
		return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: {
		double f = o->via.f64;
		/* 2^63 is exact as a double; the range check precedes the cast. */
		if (!isfinite(f) || f != floor(f) || f < -9223372036854775808.0 ||
		    f >= 9223372036854775808.0)
			return SL_EINVAL;
		*v = (int64_t)f;
		return 0;
	}
	default:
		return SL_EINVAL;
	}
}

int slp_get_str(const msgpack_object *map, const char *key, const char **s, size_t *n)
{
	return slp_as_str(present(map, key), s, n);
}

int slp_get_int(const msgpack_object *map, const char *key, int64_t *v)
{
	return slp_as_int(present(map, key), v);
}

int slp_get_num(const msgpack_object *map, const char *key, double *v)
{
	const msgpack_object *o = present(map, key);
	if (!o)
		return SL_ENOENT;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*v = (double)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = (double)o->via.i64;
		return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*v = o->via.f64;
		return 0;
	default:
		return SL_EINVAL;
	}
}

/* The value at key if it has type t: 0, SL_ENOENT (absent) or SL_EINVAL. */
static int get_typed(const msgpack_object *map, const char *key, msgpack_object_type t,
		     const msgpack_object **o)
{
	*o = present(map, key);
	if (!*o)
		return SL_ENOENT;
	return (*o)->type == t ? 0 : SL_EINVAL;
}

int slp_get_bool(const msgpack_object *map, const char *key, bool *v)
{
	const msgpack_object *o;
	int rc = get_typed(map, key, MSGPACK_OBJECT_BOOLEAN, &o);
	if (rc == 0)
		*v = o->via.boolean;
	return rc;
}

int slp_get_arr(const msgpack_object *map, const char *key, const msgpack_object_array **a)
{
	const msgpack_object *o;
	int rc = get_typed(map, key, MSGPACK_OBJECT_ARRAY, &o);
	if (rc == 0)
		*a = &o->via.array;
	return rc;
}

int slp_get_map(const msgpack_object *map, const char *key, const msgpack_object **m)
{
	const msgpack_object *o;
	int rc = get_typed(map, key, MSGPACK_OBJECT_MAP, &o);
	if (rc == 0)
		*m = o;
	return rc;
}

/* ---- packing ------------------------------------------------------------ */

static int on_write(void *data, const char *buf, size_t len)
{
	sl_buf_add(data, buf, len);
	return 0;
}

void slp_packer_init(msgpack_packer *pk, sl_buf *b)
{
	msgpack_packer_init(pk, b, on_write);
}

void slp_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void slp_pack_str(msgpack_packer *pk, const char *s)
{
	slp_pack_strn(pk, s, strlen(s));
}

void slp_pack_key(msgpack_packer *pk, const char *k)
{
	slp_pack_str(pk, k);
}

void slp_pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	slp_pack_str(pk, k);
	slp_pack_str(pk, v);
}

void slp_pack_kv_strn(msgpack_packer *pk, const char *k, const char *v, size_t n)
{
	slp_pack_str(pk, k);
	slp_pack_strn(pk, v, n);
}

void slp_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
	slp_pack_str(pk, k);
	msgpack_pack_int64(pk, v);
}

void slp_pack_kv_str_or_nil(msgpack_packer *pk, const char *k, const char *v)
{
	slp_pack_str(pk, k);
	if (v)
		slp_pack_str(pk, v);
	else
		msgpack_pack_nil(pk);
}

void slp_pack_kv_str_opt(msgpack_packer *pk, const char *k, const char *v)
{
	if (v)
		slp_pack_kv_str(pk, k, v);
}

void slp_pack_kv_flag(msgpack_packer *pk, const char *k, bool on)
{
	if (on)
		slp_pack_kv_bool(pk, k, true);
}

void slp_pack_kv_int_or_nil(msgpack_packer *pk, const char *k, int64_t v, bool present)
{
	slp_pack_str(pk, k);
	if (present)
		msgpack_pack_int64(pk, v);
	else
		msgpack_pack_nil(pk);
}

void slp_pack_kv_bool(msgpack_packer *pk, const char *k, bool v)
{
	slp_pack_str(pk, k);
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void slp_build_ok(sl_buf *out, uint64_t id)
{
	msgpack_packer pk;
	slp_packer_init(&pk, out);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "t", "ok");
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
}

static void build_err(sl_buf *out, uint64_t id, int err, const char *msg, bool with_row,
		      int64_t row)
{
	msgpack_packer pk;
	slp_packer_init(&pk, out);
	msgpack_pack_map(&pk, with_row ? 5 : 4);
	slp_pack_kv_str(&pk, "t", "err");
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	slp_pack_kv_str(&pk, "code", sl_errcode(err));
	slp_pack_kv_str(&pk, "msg", msg ? msg : sl_strerror(err));
	if (with_row)
		slp_pack_kv_int(&pk, "row", row);
}

void slp_build_err(sl_buf *out, uint64_t id, int err, const char *msg)
{
	build_err(out, id, err, msg, false, 0);
}

void slp_build_err_row(sl_buf *out, uint64_t id, int err, const char *msg, int64_t row)
{
	build_err(out, id, err, msg, true, row);
}

/* ---- passings batch ----------------------------------------------------- */

static const char *const kind_names[] = {"rfid", "handheld", "manual", "backup"};
#define NKINDS (int)(sizeof(kind_names) / sizeof(kind_names[0]))

const char *slp_kind_name(int kind)
{
	return kind >= 0 && kind < NKINDS ? kind_names[kind] : NULL;
}

int slp_kind_parse(const char *s, size_t n)
{
	for (int i = 0; i < NKINDS; i++)
		if (strlen(kind_names[i]) == n && memcmp(kind_names[i], s, n) == 0)
			return i;
	return -1;
}

/* Device clock readings must fall in [2000-01-01, 2101-01-01) UTC. */
#define ID_MAX 64

/* An optional string of 1..ID_MAX bytes at key; *s NULL when absent. */
static int id_field(const msgpack_object *map, const char *key, const char *where,
		    const char **s, size_t *n, char *err, size_t errlen)
{
	int rc = slp_get_str(map, key, s, n);
	if (rc == SL_ENOENT) {
		*s = NULL;
		*n = 0;
		return 0;
	}
	if (rc < 0) {
		slp__errf(err, errlen, "%s%s: expected string", where, key);
		return SL_EINVAL;
	}
	if (*n < 1 || *n > ID_MAX) {
		slp__errf(err, errlen, "%s%s: expected 1 to %d bytes, got %zu", where, key, ID_MAX,
			  *n);
		return SL_EINVAL;
	}
	return 0;
}

/*
 * One read.  This is the hot path of every device batch (and of the fold,
 * which parses the same records again), so the map is walked once, keys
 * dispatched by their first byte, and the "reads[i]." prefix of an error is
 * formatted only when there is an error.
 */
static int read_id(const msgpack_object *v, size_t i, const char *key, const char **s,
		   size_t *n, char *err, size_t errlen)
{
	if (v->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (v->type != MSGPACK_OBJECT_STR) {
		slp__errf(err, errlen, "reads[%zu].%s: expected string", i, key);
		return SL_EINVAL;
	}
	if (v->via.str.size < 1 || v->via.str.size > ID_MAX) {
		slp__errf(err, errlen, "reads[%zu].%s: expected 1 to %d bytes, got %u", i, key,
			  ID_MAX, (unsigned)v->via.str.size);
		return SL_EINVAL;
	}
	*s = v->via.str.ptr;
	*n = v->via.str.size;
	return 0;
}

static bool key_is(const msgpack_object *k, const char *s, size_t n)
{
	return k->via.str.size == n && memcmp(k->via.str.ptr, s, n) == 0;
}

static int parse_read(const msgpack_object *o, size_t i, slp_read *r, char *err, size_t errlen)
{
	const msgpack_object *tv = NULL, *kindv = NULL, *hitsv = NULL, *rssiv = NULL;
	int64_t v;
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP) {
		slp__errf(err, errlen, "reads[%zu]: expected map", i);
		return SL_EINVAL;
	}
	r->chip = r->bib = r->pt = NULL;
	r->chip_len = r->bib_len = r->pt_len = 0;
	/* First occurrence of a key wins, as in slp_get(). */
	for (uint32_t j = o->via.map.size; j-- > 0;) {
		const msgpack_object *k = &o->via.map.ptr[j].key, *val = &o->via.map.ptr[j].val;
		if (k->type != MSGPACK_OBJECT_STR)
			continue;
		rc = 0;
		if (key_is(k, "chip", 4))
			rc = read_id(val, i, "chip", &r->chip, &r->chip_len, err, errlen);
		else if (key_is(k, "bib", 3))
			rc = read_id(val, i, "bib", &r->bib, &r->bib_len, err, errlen);
		else if (key_is(k, "pt", 2))
			rc = read_id(val, i, "pt", &r->pt, &r->pt_len, err, errlen);
		else if (key_is(k, "t", 1))
			tv = val;
		else if (key_is(k, "kind", 4))
			kindv = val;
		else if (key_is(k, "hits", 4))
			hitsv = val;
		else if (key_is(k, "rssi", 4))
			rssiv = val;
		if (rc < 0)
			return rc;
	}
	if (!r->chip == !r->bib) {
		slp__errf(err, errlen, "reads[%zu]: expected exactly one of 'chip' and 'bib'", i);
		return SL_EINVAL;
	}
	if (!r->pt) {
		slp__errf(err, errlen, "reads[%zu].pt: missing", i);
		return SL_EINVAL;
	}

	if (!tv || tv->type == MSGPACK_OBJECT_NIL) {
		slp__errf(err, errlen, "reads[%zu].t: missing", i);
		return SL_EINVAL;
	} else if (slp_as_int(tv, &r->t) < 0) {
		slp__errf(err, errlen, "reads[%zu].t: expected integer", i);
		return SL_EINVAL;
	}
	if (!sl_time_ok(r->t)) {
		slp__errf(err, errlen,
			  "reads[%zu].t: %" PRId64 " is not a time in the years 2000 to 2100 (ms since epoch)",
			  i, r->t);
		return SL_ERANGE;
	}

	r->kind = SLP_KIND_RFID;
	if (kindv && kindv->type != MSGPACK_OBJECT_NIL) {
		if (kindv->type != MSGPACK_OBJECT_STR) {
			slp__errf(err, errlen, "reads[%zu].kind: expected string", i);
			return SL_EINVAL;
		}
		const char *k = kindv->via.str.ptr;
		size_t kn = kindv->via.str.size;
		if ((r->kind = slp_kind_parse(k, kn)) < 0) {
			slp__errf(err, errlen,
				  "reads[%zu].kind: '%.*s' is not rfid, handheld, manual or backup", i,
				  kn > 20 ? 20 : (int)kn, k);
			return SL_EINVAL;
		}
	}

	r->hits = -1;
	if (hitsv && hitsv->type != MSGPACK_OBJECT_NIL) {
		if (slp_as_int(hitsv, &v) < 0) {
			slp__errf(err, errlen, "reads[%zu].hits: expected integer", i);
			return SL_EINVAL;
		}
		if (v < 0 || v > INT32_MAX) {
			slp__errf(err, errlen, "reads[%zu].hits: %" PRId64 " is out of range", i, v);
			return SL_ERANGE;
		}
		r->hits = (int)v;
	}

	r->rssi = 0;
	if (rssiv && rssiv->type != MSGPACK_OBJECT_NIL) {
		if (slp_as_int(rssiv, &v) < 0) {
			slp__errf(err, errlen, "reads[%zu].rssi: expected integer", i);
			return SL_EINVAL;
		}
		if (v < INT32_MIN || v > INT32_MAX) {
			slp__errf(err, errlen, "reads[%zu].rssi: %" PRId64 " is out of range", i, v);
			return SL_ERANGE;
		}
		r->rssi = (int)v;
	}
	return 0;
}

int slp_batch_parse(const msgpack_object *map, msgpack_zone *zone, slp_batch *b, char *err,
		    size_t errlen)
{
	return slp_batch_parse_flags(map, zone, 0, b, err, errlen);
}

int slp_batch_parse_flags(const msgpack_object *map, msgpack_zone *zone, unsigned flags,
			  slp_batch *b, char *err, size_t errlen)
{
	int64_t seq = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	if (!map || map->type != MSGPACK_OBJECT_MAP) {
		slp__errf(err, errlen, "batch is not a map");
		return SL_EINVAL;
	}
	if ((rc = id_field(map, "dev", "", &b->dev, &b->dev_len, err, errlen)) < 0)
		return rc;

	rc = slp_get_int(map, "seq", &seq);
	if (flags & SLP_SEQ_NONE) {
		if (rc != SL_ENOENT) {
			slp__errf(err, errlen,
				  "seq: this device is numbered by the server: leave seq out (or "
				  "issue the token with --device to number its own)");
			return SL_EINVAL;
		}
		seq = 1; /* for the bounds below; the caller numbers the batch */
	} else if (rc == SL_ENOENT) {
		slp__errf(err, errlen, "seq: missing");
		return SL_EINVAL;
	} else if (rc < 0) {
		slp__errf(err, errlen, "seq: expected integer");
		return SL_EINVAL;
	} else if (seq < 1 || (uint64_t)seq > SL_SEQ_MAX) {
		slp__errf(err, errlen, "seq: %" PRId64 " is not in 1..%llu (2^53-1)", seq,
			  (unsigned long long)SL_SEQ_MAX);
		return SL_ERANGE;
	}
	b->seq = (uint64_t)seq;

	const msgpack_object_array *a = NULL;
	rc = slp_get_arr(map, "reads", &a);
	if (rc == SL_ENOENT) {
		slp__errf(err, errlen, "reads: missing");
		return SL_EINVAL;
	} else if (rc < 0) {
		slp__errf(err, errlen, "reads: expected array");
		return SL_EINVAL;
	}
	if (a->size < 1 || a->size > SLP_MAX_READS) {
		slp__errf(err, errlen, "reads: expected 1 to %d reads, got %" PRIu32, SLP_MAX_READS,
			  a->size);
		return a->size ? SL_ERANGE : SL_EINVAL;
	}
	if ((uint64_t)a->size - 1 > SL_SEQ_MAX - b->seq) {
		slp__errf(err, errlen,
			  "seq: %" PRIu64 " + %" PRIu32 " reads goes past the largest seq %llu (2^53-1)",
			  b->seq, a->size, (unsigned long long)SL_SEQ_MAX);
		return SL_ERANGE;
	}
	if (!zone) {
		slp__errf(err, errlen, "batch: no zone to allocate reads in");
		return SL_EINVAL;
	}
	b->reads = msgpack_zone_malloc(zone, a->size * sizeof(slp_read));
	if (!b->reads) {
		sl_error("out of memory parsing %" PRIu32 " reads", a->size);
		abort();
	}
	for (uint32_t i = 0; i < a->size; i++) {
		if ((rc = parse_read(&a->ptr[i], i, &b->reads[i], err, errlen)) < 0) {
			b->reads = NULL; /* stays in the zone, freed with it */
			return rc;
		}
	}
	b->nreads = a->size;
	return 0;
}

void slp_pack_reads(msgpack_packer *pk, const slp_read *reads, size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		const slp_read *r = &reads[i];
		const char *kind = slp_kind_name(r->kind);
		size_t nk = 2 + !!r->chip + !!r->bib + !!kind + (r->hits >= 0) + (r->rssi != 0);
		msgpack_pack_map(pk, nk);
		if (r->chip)
			slp_pack_kv_strn(pk, "chip", r->chip, r->chip_len);
		if (r->bib)
			slp_pack_kv_strn(pk, "bib", r->bib, r->bib_len);
		slp_pack_kv_strn(pk, "pt", r->pt ? r->pt : "", r->pt ? r->pt_len : 0);
		slp_pack_kv_int(pk, "t", r->t);
		if (kind)
			slp_pack_kv_str(pk, "kind", kind);
		if (r->hits >= 0)
			slp_pack_kv_int(pk, "hits", r->hits);
		if (r->rssi != 0)
			slp_pack_kv_int(pk, "rssi", r->rssi);
	}
}

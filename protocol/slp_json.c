/*
 * slp_json.c: the JSON side of the codec.
 *
 * msgpack -> JSON is our own writer (slp__emit_json), because it runs for
 * every frame fanned out to a JSON subscriber and needs exact control:
 * floats are printed with the fewest digits that read back to the same
 * value and always with a '.' or an exponent (so they stay floats), strings
 * must be valid UTF-8 and are written as is except for '"', '\\' and control
 * characters.  In strict mode anything JSON cannot carry is an error; the
 * lenient mode (slp_object_to_json, for exports and debugging) writes a
 * stand-in instead and never fails.
 *
 * JSON -> msgpack goes through jansson (it validates UTF-8, rejects
 * duplicate keys and integers beyond int64) and packs the tree it returns;
 * jansson keeps object keys in document order, so the msgpack map has them
 * in the same order.
 */
#include "slp_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* out may be NULL throughout: then the input is only checked. */
static void addc(sl_buf *out, char c)
{
	if (out)
		sl_buf_addc(out, c);
}

static void adds(sl_buf *out, const char *str)
{
	if (out)
		sl_buf_adds(out, str);
}

/* ---- UTF-8 -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* ---- msgpack -> JSON ---------------------------------------------------- */

static int emit_str(const char *p, size_t n, sl_buf *out, bool strict, char *err,
		    size_t errlen)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, run = 0;

	addc(out, '"');
	while (i < n) {
		unsigned c = s[i];
		const char *esc = NULL;
		char ubuf[8];
		size_t k = 1;
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c < 0x20) {
			switch (c) {
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			default:
				snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
				esc = ubuf;
			}
		} else if (c >= 0x80 && (k = utf8_seq(s + i, n - i)) == 0) {
			if (strict) {
				slp__errf(err, errlen, "string is not valid UTF-8 at byte %zu", i);
				return SL_EPARSE;
			}
			esc = "\\ufffd";
			k = 1;
		}
		if (!esc) {
			i += k;
			continue;
		}
		if (out) {
			sl_buf_add(out, p + run, i - run);
			sl_buf_adds(out, esc);
		}
		i += k;
		run = i;
	}
	if (out) {
		if (run < n) /* p may be NULL when n == 0 */
			sl_buf_add(out, p + run, n - run);
		sl_buf_addc(out, '"');
	}
	return 0;
}

static bool reads_back(const char *s, double f, bool f32)
{
	return f32 ? strtof(s, NULL) == (float)f : strtod(s, NULL) == f;
}

/*
 * The fewest significant digits that read back to the same value (as a
 * float32 when it was one), written without an exponent when the value is
 * an integer below 1e17 or its exponent is at least -4 (as %g does), and
 * always with a '.' or an exponent so that it is read back as a float.
 */
static void emit_float(double f, bool f32, sl_buf *out)
{
	char tmp[64];
	int sig, maxsig = f32 ? 9 : 17;
	for (sig = 1; sig < maxsig; sig++) {
		snprintf(tmp, sizeof(tmp), "%.*e", sig - 1, f);
		if (reads_back(tmp, f, f32))
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", sig - 1, f);
	const char *e = strchr(tmp, 'e');
	int x = e ? atoi(e + 1) : 0;
	int prec = x >= 0 && x < 17 && x + 1 > sig ? x + 1 : sig;
	snprintf(tmp, sizeof(tmp), "%.*g", prec, f);
	sl_buf_adds(out, tmp);
	if (!strpbrk(tmp, ".eE"))
		sl_buf_adds(out, ".0");
}

int slp__emit_json(const msgpack_object *o, sl_buf *out, bool strict, int depth, char *err,
		   size_t errlen)
{
	int rc;
	bool nests = o->type == MSGPACK_OBJECT_ARRAY || o->type == MSGPACK_OBJECT_MAP;
	if (nests && depth >= SLP_MAX_DEPTH && strict) {
		slp__errf(err, errlen, "nested deeper than %d levels", SLP_MAX_DEPTH);
		return SL_ETOOBIG;
	}
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		adds(out, "null");
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		adds(out, o->via.boolean ? "true" : "false");
		return 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (out)
			sl_buf_addf(out, "%" PRIu64, o->via.u64);
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		if (out)
			sl_buf_addf(out, "%" PRId64, o->via.i64);
		return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64)) {
			if (strict) {
				slp__errf(err, errlen, "float %g has no JSON form", o->via.f64);
				return SL_EPARSE;
			}
			adds(out, "null");
			return 0;
		}
		if (out)
			emit_float(o->via.f64, o->type == MSGPACK_OBJECT_FLOAT32, out);
		return 0;
	case MSGPACK_OBJECT_STR:
		return emit_str(o->via.str.ptr, o->via.str.size, out, strict, err, errlen);
	case MSGPACK_OBJECT_ARRAY:
		addc(out, '[');
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i)
				addc(out, ',');
			rc = slp__emit_json(&o->via.array.ptr[i], out, strict, depth + 1, err, errlen);
			if (rc < 0)
				return rc;
		}
		addc(out, ']');
		return 0;
	case MSGPACK_OBJECT_MAP:
		addc(out, '{');
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			if (i)
				addc(out, ',');
			if (kv->key.type == MSGPACK_OBJECT_STR) {
				rc = emit_str(kv->key.via.str.ptr, kv->key.via.str.size, out, strict,
					      err, errlen);
				if (rc < 0)
					return rc;
			} else if (strict) {
				slp__errf(err, errlen, "map key is not a string");
				return SL_EPARSE;
			} else if (out) {
				/* The key's JSON text, as a string. */
				sl_buf k = SL_BUF_INIT;
				slp__emit_json(&kv->key, &k, false, depth + 1, NULL, 0);
				emit_str(k.data, k.len, out, false, NULL, 0);
				sl_buf_release(&k);
			}
			addc(out, ':');
			rc = slp__emit_json(&kv->val, out, strict, depth + 1, err, errlen);
			if (rc < 0)
				return rc;
		}
		addc(out, '}');
		return 0;
	case MSGPACK_OBJECT_BIN:
	case MSGPACK_OBJECT_EXT:
	default:
		if (strict) {
			slp__errf(err, errlen, "%s has no JSON form",
				  o->type == MSGPACK_OBJECT_BIN   ? "bin"
				  : o->type == MSGPACK_OBJECT_EXT ? "ext"
								  : "unknown msgpack type");
			return SL_EPARSE;
		}
		adds(out, "null");
		return 0;
	}
}

/* ---- JSON -> msgpack ---------------------------------------------------- */

static int pack_json(const json_t *j, msgpack_packer *pk, int depth, char *err, size_t errlen)
{
	int rc;
	if ((json_is_object(j) || json_is_array(j)) && depth >= SLP_MAX_DEPTH) {
		slp__errf(err, errlen, "json: nested deeper than %d levels", SLP_MAX_DEPTH);
		return SL_ETOOBIG;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		size_t klen;
		json_t *val;
		msgpack_pack_map(pk, json_object_size(j));
		json_object_keylen_foreach((json_t *)j, key, klen, val)
		{
			slp_pack_strn(pk, key, klen);
			if ((rc = pack_json(val, pk, depth + 1, err, errlen)) < 0)
				return rc;
		}
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *val;
		msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach(j, i, val)
		{
			if ((rc = pack_json(val, pk, depth + 1, err, errlen)) < 0)
				return rc;
		}
		return 0;
	}
	case JSON_STRING:
		slp_pack_strn(pk, json_string_value(j), json_string_length(j));
		return 0;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(j));
		return 0;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		return 0;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		return 0;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		return 0;
	case JSON_NULL:
	default:
		msgpack_pack_nil(pk);
		return 0;
	}
}

int slp__json_to_msgpack(const char *js, size_t len, sl_buf *out, char *err, size_t errlen)
{
	json_error_t je;
	size_t start = out->len;
	/* Duplicate keys are refused: a reader could not tell which one counts. */
	json_t *root = json_loadb(js, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
				  &je);
	if (!root) {
		enum json_error_code code = json_error_code(&je);
		if (code == json_error_out_of_memory) {
			sl_error("out of memory parsing %zu bytes of JSON", len);
			abort();
		}
		slp__errf(err, errlen, "json: line %d, column %d: %s", je.line, je.column, je.text);
		return code == json_error_stack_overflow ? SL_ETOOBIG : SL_EPARSE;
	}
	msgpack_packer pk;
	slp_packer_init(&pk, out);
	int rc = pack_json(root, &pk, 0, err, errlen);
	json_decref(root);
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

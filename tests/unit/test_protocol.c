/*
 * test_protocol.c: the message codec (protocol/slp*.c).  Round trips between
 * msgpack and JSON, every way a frame can be malformed, the accessors, the
 * standard replies and the passings batch with its field-naming errors.
 */
#include "slp.h"

#include <math.h>

#include "t.h"

/* ---- helpers ------------------------------------------------------------ */

static int decode_js(slp_msg *m, const char *js)
{
	return slp_decode(m, js, strlen(js), SLP_JSON);
}

/* JSON text -> msgpack -> JSON text. */
static int js_round_trip(const char *js, sl_buf *out)
{
	sl_buf mp = SL_BUF_INIT;
	int rc = slp_json_to_msgpack(js, strlen(js), &mp);
	if (rc == 0)
		rc = slp_msgpack_to_json(mp.data, mp.len, out);
	sl_buf_release(&mp);
	return rc;
}

/* The JSON text of a decoded message, in a static buffer. */
static const char *msg_json(const slp_msg *m)
{
	static sl_buf b = SL_BUF_INIT;
	sl_buf_reset(&b);
	slp_object_to_json(&m->root, &b);
	return b.data;
}

/* ---- decoding ------------------------------------------------------------ */

static void decode_msgpack_message(void)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	slp_pack_kv_str(&pk, "t", "hello");
	slp_pack_kv_int(&pk, "id", 1);
	slp_pack_kv_str(&pk, "event", "boston-2015");

	slp_msg m;
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_MSGPACK), 0);
	size_t n = 0;
	const char *t = slp_type(&m, &n);
	ASSERT(t && n == 5 && memcmp(t, "hello", 5) == 0);
	int64_t id = 0;
	ASSERT_EQ(slp_get_int(&m.root, "id", &id), 0);
	ASSERT_EQ(id, 1);
	ASSERT_STREQ(msg_json(&m), "{\"t\":\"hello\",\"id\":1,\"event\":\"boston-2015\"}");

	/* The message owns its strings: scribbling over the frame changes nothing. */
	memset(b.data, 0, b.len);
	ASSERT(slp_str_eq(slp_get(&m.root, "event"), "boston-2015"));
	slp_msg_release(&m);
	slp_msg_release(&m); /* idempotent */
	ASSERT(slp_type(&m, &n) == NULL);
	sl_buf_release(&b);
}

static void json_and_msgpack_give_the_same_tree(void)
{
	const char *js = "{\"t\":\"passings\",\"id\":4,\"dev\":\"mat-5k\",\"seq\":101,"
			 "\"reads\":[{\"chip\":\"A1B2\",\"pt\":\"5k\",\"t\":1429538400123,"
			 "\"kind\":\"rfid\",\"hits\":7,\"rssi\":-61}],\"x\":[1.5,null,true]}";
	sl_buf mp = SL_BUF_INIT;
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);

	slp_msg a, b;
	ASSERT_EQ(decode_js(&a, js), 0);
	ASSERT_EQ(slp_decode(&b, mp.data, mp.len, SLP_MSGPACK), 0);
	ASSERT(msgpack_object_equal(a.root, b.root));
	ASSERT_STREQ(msg_json(&a), js);
	/* Integers come out as msgpack ints, never floats. */
	const msgpack_object *seq = slp_get(&a.root, "seq");
	ASSERT(seq && seq->type == MSGPACK_OBJECT_POSITIVE_INTEGER);
	slp_msg_release(&a);
	slp_msg_release(&b);
	sl_buf_release(&mp);
}

static void unknown_types_still_decode(void)
{
	/* The type check is the server's job, not the codec's. */
	slp_msg m;
	ASSERT_EQ(decode_js(&m, "{\"t\":\"frobnicate\",\"id\":9,\"whatever\":{\"a\":[]}}"), 0);
	size_t n;
	const char *t = slp_type(&m, &n);
	ASSERT(t && n == 10 && memcmp(t, "frobnicate", n) == 0);
	slp_msg_release(&m);
	ASSERT_EQ(decode_js(&m, "{\"t\":\"\"}"), 0);
	slp_msg_release(&m);
	/* Empty strings from msgpack (found by the fuzzer: a NULL pointer). */
	ASSERT_EQ(slp_decode(&m, "\x81\xa1t\xa0", 4, SLP_MSGPACK), 0);
	ASSERT_STREQ(msg_json(&m), "{\"t\":\"\"}");
	slp_msg_release(&m);
}

static void expect_mp_error(const char *buf, size_t len, int rc, const char *needle, int line)
{
	slp_msg m;
	int got = slp_decode(&m, buf, len, SLP_MSGPACK);
	if (got != rc || (needle && !strstr(m.err, needle))) {
		fprintf(stderr, "%s:%d: decode gave %d '%s', expected %d '%s'\n", __FILE__, line, got,
			m.err, rc, needle ? needle : "");
		t_failed_asserts++;
	}
	ASSERT(m.zone == NULL);
	slp_msg_release(&m);
}
#define MP_ERR(lit, rc, needle) expect_mp_error(lit, sizeof(lit) - 1, rc, needle, __LINE__)

static void malformed_msgpack(void)
{
	MP_ERR("", SL_EPARSE, "empty");
	MP_ERR("\x92\x01\x02", SL_EPARSE, "message is not a map");
	MP_ERR("\xa3" "abc", SL_EPARSE, "message is not a map");
	MP_ERR("\x2a", SL_EPARSE, "message is not a map");
	MP_ERR("\x80", SL_EPARSE, "missing field 't'");
	MP_ERR("\x81\xa2id\x01", SL_EPARSE, "missing field 't'");
	MP_ERR("\x81\xa1t\xc0", SL_EPARSE, "missing field 't'");
	MP_ERR("\x81\xa1t\x05", SL_EPARSE, "field 't': expected string");
	MP_ERR("\x81\xa1t\xa2ok\x00", SL_EPARSE, "1 trailing bytes");
	MP_ERR("\x81\xa1t\xa2o", SL_EPARSE, "truncated");
	MP_ERR("\xc1", SL_EPARSE, "invalid byte 0xc1");
	/* A header claiming 4 billion elements must not allocate them. */
	MP_ERR("\xdf\xff\xff\xff\xff\xa1t", SL_EPARSE, "truncated");
	MP_ERR("\x81\xa1t\xdb\xff\xff\xff\xff", SL_EPARSE, "truncated");
	/* What JSON cannot carry is refused at the door. */
	MP_ERR("\x82\xa1t\xa1x\x01\x02", SL_EPARSE, "map key is not a string");
	MP_ERR("\x82\xa1t\xa1x\xa1" "b\xc4\x01z", SL_EPARSE, "bin");
	MP_ERR("\x82\xa1t\xa1x\xa1" "e\xd4\x01\x02", SL_EPARSE, "ext");
	MP_ERR("\x81\xa1t\xa2\xc3\x28", SL_EPARSE, "UTF-8");
	MP_ERR("\x81\xa1t\xa3\xed\xa0\x80", SL_EPARSE, "UTF-8"); /* a surrogate */
	MP_ERR("\x81\xa1t\xa2\xc0\x80", SL_EPARSE, "UTF-8");     /* overlong NUL */
	MP_ERR("\x82\xa1t\xa1x\xa1" "f\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", SL_EPARSE,
	       "no JSON form"); /* NaN */

	/* Every strict prefix of a valid message is truncated. */
	sl_buf b = SL_BUF_INIT;
	const char *js = "{\"t\":\"passings\",\"seq\":1,\"reads\":[{\"bib\":\"3\",\"pt\":\"5k\","
			 "\"t\":1429538400123,\"x\":-1.25}]}";
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &b), 0);
	for (size_t n = 1; n < b.len; n++) {
		slp_msg m;
		int rc = slp_decode(&m, b.data, n, SLP_MSGPACK);
		if (rc != SL_EPARSE) {
			fprintf(stderr, "prefix %zu of %zu: rc %d\n", n, b.len, rc);
			t_failed_asserts++;
		}
		slp_msg_release(&m);
	}
	sl_buf_release(&b);
}

/* A map {"t":"x","d":[[[...]]]} with `arrays` nested arrays. */
static void nested(sl_buf *b, int arrays, enum slp_format fmt)
{
	sl_buf_reset(b);
	if (fmt == SLP_JSON) {
		sl_buf_adds(b, "{\"t\":\"x\",\"d\":");
		for (int i = 0; i < arrays; i++)
			sl_buf_addc(b, '[');
		for (int i = 0; i < arrays; i++)
			sl_buf_addc(b, ']');
		sl_buf_addc(b, '}');
	} else {
		sl_buf_add(b, "\x82\xa1t\xa1x\xa1" "d", 7);
		for (int i = 0; i < arrays; i++)
			sl_buf_addc(b, i + 1 < arrays ? (char)0x91 : (char)0x90);
	}
}

static void depth_limit(void)
{
	sl_buf b = SL_BUF_INIT;
	for (int fmt = SLP_MSGPACK; fmt <= SLP_JSON; fmt++) {
		slp_msg m;
		/* The root map counts: 1 + 31 arrays is the deepest allowed. */
		nested(&b, SLP_MAX_DEPTH - 1, fmt);
		ASSERT_EQ(slp_decode(&m, b.data, b.len, fmt), 0);
		slp_msg_release(&m);
		nested(&b, SLP_MAX_DEPTH, fmt);
		ASSERT_EQ(slp_decode(&m, b.data, b.len, fmt), SL_ETOOBIG);
		ASSERT(strstr(m.err, "deeper than 32") != NULL);
		slp_msg_release(&m);
		/* Far deeper than the limit: still a clean error. */
		nested(&b, 5000, fmt);
		ASSERT_EQ(slp_decode(&m, b.data, b.len, fmt), SL_ETOOBIG);
		slp_msg_release(&m);
	}
	/* The transcoders have the same limit. */
	sl_buf out = SL_BUF_INIT;
	nested(&b, SLP_MAX_DEPTH, SLP_JSON);
	ASSERT_EQ(slp_json_to_msgpack(b.data, b.len, &out), SL_ETOOBIG);
	ASSERT_EQ(out.len, 0);
	nested(&b, SLP_MAX_DEPTH, SLP_MSGPACK);
	ASSERT_EQ(slp_msgpack_to_json(b.data, b.len, &out), SL_ETOOBIG);
	ASSERT_EQ(out.len, 0);
	sl_buf_release(&out);
	sl_buf_release(&b);
}

static void size_limit(void)
{
	sl_buf b = SL_BUF_INIT;
	slp_msg m;
	/* A valid message of exactly SLP_MAX_FRAME bytes passes: map16 with
	 * "t" and "p": a str32 filling the rest. */
	size_t head = 1 + 2 + 2 + 2 + 5; /* 0x82 "t" "x" "p" str32-header */
	size_t fill = SLP_MAX_FRAME - head;
	sl_buf_add(&b, "\x82\xa1t\xa1x\xa1p\xdb", 8);
	unsigned char l[4] = {(unsigned char)(fill >> 24), (unsigned char)(fill >> 16),
			      (unsigned char)(fill >> 8), (unsigned char)fill};
	sl_buf_add(&b, l, 4);
	sl_buf_reserve(&b, fill);
	memset(b.data + b.len, 'a', fill);
	b.len += fill;
	ASSERT_EQ(b.len, SLP_MAX_FRAME);
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_MSGPACK), 0);
	slp_msg_release(&m);
	sl_buf_addc(&b, 'a');
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_MSGPACK), SL_ETOOBIG);
	ASSERT(strstr(m.err, "over the limit") != NULL);
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_JSON), SL_ETOOBIG);
	slp_msg_release(&m);

	/* A JSON frame under the limit whose msgpack form is over it is fine:
	 * the limit is on what came over the wire. */
	sl_buf_reset(&b);
	sl_buf_adds(&b, "{\"t\":\"x\",\"f\":[");
	while (b.len < SLP_MAX_FRAME - 10)
		sl_buf_adds(&b, "1.5,");
	sl_buf_adds(&b, "1.5]}");
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_JSON), 0);
	slp_msg_release(&m);
	sl_buf_release(&b);
}

static void expect_js_error(const char *js, int rc, const char *needle, int line)
{
	slp_msg m;
	int got = decode_js(&m, js);
	if (got != rc || (needle && !strstr(m.err, needle))) {
		fprintf(stderr, "%s:%d: decode gave %d '%s', expected %d '%s'\n", __FILE__, line, got,
			m.err, rc, needle ? needle : "");
		t_failed_asserts++;
	}
	slp_msg_release(&m);
}
#define JS_ERR(js, rc, needle) expect_js_error(js, rc, needle, __LINE__)

static void malformed_json(void)
{
	JS_ERR("", SL_EPARSE, "empty");
	JS_ERR("{\"t\":\"x\",}", SL_EPARSE, "line 1, column 10");
	JS_ERR("{\n  \"t\": \"x\",\n  \"id\": 1,,\n}", SL_EPARSE, "line 3, column 11");
	JS_ERR("{\"t\":\"x\"} {}", SL_EPARSE, "end of file expected");
	JS_ERR("{\"t\":\"x\",\"t\":\"y\"}", SL_EPARSE, "duplicate");
	JS_ERR("[1,2]", SL_EPARSE, "message is not a map");
	JS_ERR("\"t\"", SL_EPARSE, "message is not a map");
	JS_ERR("{\"id\":1}", SL_EPARSE, "missing field 't'");
	JS_ERR("{\"t\":null}", SL_EPARSE, "missing field 't'");
	JS_ERR("{\"t\":7}", SL_EPARSE, "field 't': expected string");
	JS_ERR("{\"t\":\"x\",\"n\":18446744073709551615}", SL_EPARSE, "too big");
	JS_ERR("{\"t\":\"x\",\"n\":-9223372036854775809}", SL_EPARSE, "too big");
	JS_ERR("{\"t\":\"x\",\"n\":1e999}", SL_EPARSE, "overflow");
	JS_ERR("{\"t\":\"x\",\"n\":NaN}", SL_EPARSE, "line 1");
	JS_ERR("{\"t\":\"\xc3\x28\"}", SL_EPARSE, "unable to decode byte 0xc3");
	JS_ERR("{\"t\":\"x\",\"s\":\"\\ud800\"}", SL_EPARSE, "invalid Unicode");
	JS_ERR("{\"t\":\"x\"", SL_EPARSE, "line 1");

	/* Limits of int64 are fine. */
	slp_msg m;
	ASSERT_EQ(decode_js(&m, "{\"t\":\"x\",\"a\":9223372036854775807,\"b\":-9223372036854775808}"),
		  0);
	int64_t v;
	ASSERT_EQ(slp_get_int(&m.root, "a", &v), 0);
	ASSERT_EQ(v, INT64_MAX);
	ASSERT_EQ(slp_get_int(&m.root, "b", &v), 0);
	ASSERT_EQ(v, INT64_MIN);
	slp_msg_release(&m);
}

/* ---- transcoding --------------------------------------------------------- */

static void json_round_trips(void)
{
	/* Written in the canonical form, so the text comes back byte for byte. */
	static const char *const docs[] = {
		"{\"t\":\"x\"}",
		"{}",
		"[]",
		"null",
		"[true,false,null,0,-1,127,128,-32,-33,65535,65536,4294967296]",
		"[9223372036854775807,-9223372036854775808]",
		"[1.5,-0.25,0.1,1.0,-0.0,1e+21,1.7976931348623157e+308,5e-324,3.141592653589793]",
		"[\"\",\"plain\",\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]",
		"[\"q\\\"b\\\\s/ \\n\\t\\r\\b\\f \\u0001\\u001f\\u0000 \x7f\"]",
		"{\"a\":{\"b\":{\"c\":[{\"d\":[]}]}},\"\":1,\"k\\n\":2}",
	};
	sl_buf out = SL_BUF_INIT;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		sl_buf_reset(&out);
		ASSERT_EQ(js_round_trip(docs[i], &out), 0);
		ASSERT_STREQ(out.data, docs[i]);
	}
	/* Non-canonical text comes back canonical: whitespace gone, numbers
	 * normalised, escapes of printable characters resolved. */
	sl_buf_reset(&out);
	ASSERT_EQ(js_round_trip(" { \"a\" : [ 1E2 , 2.50 , 1e0 , \"\\u00e9\\/\" ] } ", &out), 0);
	ASSERT_STREQ(out.data, "{\"a\":[100.0,2.5,1.0,\"\xc3\xa9/\"]}");
	sl_buf_release(&out);
}

static void msgpack_round_trips_to_the_byte(void)
{
	sl_buf a = SL_BUF_INIT, js = SL_BUF_INIT, b = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &a);
	msgpack_pack_map(&pk, 6);
	slp_pack_kv_str(&pk, "t", "snapshot");
	slp_pack_kv_int(&pk, "big", INT64_MAX);
	slp_pack_kv_int(&pk, "neg", -129);
	slp_pack_key(&pk, "f");
	msgpack_pack_double(&pk, 0.1 + 0.2);
	slp_pack_kv_bool(&pk, "ok", true);
	slp_pack_key(&pk, "rows");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_nil(&pk);
	slp_pack_strn(&pk, "a\0b", 3);

	ASSERT_EQ(slp_msgpack_to_json(a.data, a.len, &js), 0);
	ASSERT_STREQ(js.data, "{\"t\":\"snapshot\",\"big\":9223372036854775807,\"neg\":-129,"
			      "\"f\":0.30000000000000004,\"ok\":true,\"rows\":[null,\"a\\u0000b\"]}");
	ASSERT_EQ(slp_json_to_msgpack(js.data, js.len, &b), 0);
	ASSERT_EQ(a.len, b.len);
	ASSERT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);

	/* float32 prints its own shortest form, and comes back as a float64. */
	sl_buf_reset(&a);
	sl_buf_reset(&js);
	msgpack_pack_float(&pk, 0.1f);
	ASSERT_EQ(slp_msgpack_to_json(a.data, a.len, &js), 0);
	ASSERT_STREQ(js.data, "0.1");

	/* uint64 beyond int64 is printed, but cannot come back from JSON. */
	sl_buf_reset(&a);
	sl_buf_reset(&js);
	sl_buf_reset(&b);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	ASSERT_EQ(slp_msgpack_to_json(a.data, a.len, &js), 0);
	ASSERT_STREQ(js.data, "18446744073709551615");
	ASSERT_EQ(slp_json_to_msgpack(js.data, js.len, &b), SL_EPARSE);
	ASSERT_EQ(b.len, 0);

	sl_buf_release(&a);
	sl_buf_release(&js);
	sl_buf_release(&b);
}

static void msgpack_to_json_refuses_and_keeps_out(void)
{
	sl_buf out = SL_BUF_INIT;
	sl_buf_adds(&out, "prefix");
	/* {"k": bin} */
	ASSERT_EQ(slp_msgpack_to_json("\x81\xa1k\xc4\x01z", 6, &out), SL_EPARSE);
	/* {1: 2} */
	ASSERT_EQ(slp_msgpack_to_json("\x81\x01\x02", 3, &out), SL_EPARSE);
	/* ext */
	ASSERT_EQ(slp_msgpack_to_json("\xd4\x01\x02", 3, &out), SL_EPARSE);
	/* invalid UTF-8 deep inside */
	ASSERT_EQ(slp_msgpack_to_json("\x91\x81\xa1k\xa1\xff", 6, &out), SL_EPARSE);
	/* truncated, trailing */
	ASSERT_EQ(slp_msgpack_to_json("\x92\x01", 2, &out), SL_EPARSE);
	ASSERT_EQ(slp_msgpack_to_json("\x01\x02", 2, &out), SL_EPARSE);
	ASSERT_STREQ(out.data, "prefix");
	ASSERT_EQ(out.len, 6);
	/* And appends on success. */
	ASSERT_EQ(slp_msgpack_to_json("\x92\x01\xa1" "a", 4, &out), 0);
	ASSERT_STREQ(out.data, "prefix[1,\"a\"]");
	sl_buf_release(&out);
}

static void object_to_json_is_lenient(void)
{
	msgpack_zone z;
	msgpack_object o;
	size_t off = 0;
	msgpack_zone_init(&z, 1024);
	/* {1: bin "z", "s": "\xff", "n": NaN} */
	static const char mp[] = "\x83\x01\xc4\x01z\xa1s\xa1\xff\xa1n\xcb\x7f\xf8\0\0\0\0\0\0";
	ASSERT_EQ(msgpack_unpack(mp, sizeof(mp) - 1, &off, &z, &o), MSGPACK_UNPACK_SUCCESS);
	sl_buf b = SL_BUF_INIT;
	slp_object_to_json(&o, &b);
	ASSERT_STREQ(b.data, "{\"1\":null,\"s\":\"\\ufffd\",\"n\":null}");
	sl_buf_release(&b);
	msgpack_zone_destroy(&z);
}

/* ---- accessors ----------------------------------------------------------- */

static void accessors(void)
{
	slp_msg m;
	ASSERT_EQ(decode_js(&m, "{\"t\":\"x\",\"i\":-5,\"f\":3.0,\"g\":3.5,\"s\":\"abc\",\"n\":null,"
				"\"b\":true,\"a\":[1,2],\"m\":{\"k\":1},\"h\":1e300}"),
		  0);
	const msgpack_object *r = &m.root;
	int64_t v = 0;
	double d = 0;
	const char *s = NULL;
	size_t n = 0;
	bool bo = false;
	const msgpack_object_array *a = NULL;
	const msgpack_object *mm = NULL;

	ASSERT_EQ(slp_get_int(r, "i", &v), 0);
	ASSERT_EQ(v, -5);
	ASSERT_EQ(slp_get_int(r, "f", &v), 0); /* JSON 3.0 is an integer */
	ASSERT_EQ(v, 3);
	ASSERT_EQ(slp_get_int(r, "g", &v), SL_EINVAL);
	ASSERT_EQ(slp_get_int(r, "h", &v), SL_EINVAL); /* whole but out of range */
	ASSERT_EQ(slp_get_int(r, "s", &v), SL_EINVAL);
	ASSERT_EQ(slp_get_int(r, "n", &v), SL_ENOENT);
	ASSERT_EQ(slp_get_int(r, "zz", &v), SL_ENOENT);
	ASSERT_EQ(slp_get_num(r, "g", &d), 0);
	ASSERT(d == 3.5);
	ASSERT_EQ(slp_get_num(r, "i", &d), 0);
	ASSERT(d == -5.0);
	ASSERT_EQ(slp_get_num(r, "s", &d), SL_EINVAL);
	ASSERT_EQ(slp_get_str(r, "s", &s, &n), 0);
	ASSERT(n == 3 && memcmp(s, "abc", 3) == 0);
	ASSERT_EQ(slp_get_str(r, "i", &s, &n), SL_EINVAL);
	ASSERT_EQ(slp_get_str(r, "n", &s, &n), SL_ENOENT);
	ASSERT_EQ(slp_get_bool(r, "b", &bo), 0);
	ASSERT(bo);
	ASSERT_EQ(slp_get_bool(r, "i", &bo), SL_EINVAL);
	ASSERT_EQ(slp_get_arr(r, "a", &a), 0);
	ASSERT(a && a->size == 2);
	ASSERT_EQ(slp_get_arr(r, "m", &a), SL_EINVAL);
	ASSERT_EQ(slp_get_map(r, "m", &mm), 0);
	ASSERT_EQ(slp_get_int(mm, "k", &v), 0);
	ASSERT_EQ(v, 1);
	ASSERT_EQ(slp_get_map(r, "a", &mm), SL_EINVAL);
	ASSERT(slp_get(r, "n") != NULL); /* slp_get does see nil */
	ASSERT(slp_get(r, "nope") == NULL);
	ASSERT(slp_get(slp_get(r, "a"), "x") == NULL); /* not a map */
	ASSERT(slp_str_eq(slp_get(r, "s"), "abc"));
	ASSERT(!slp_str_eq(slp_get(r, "s"), "ab"));
	ASSERT(!slp_str_eq(slp_get(r, "i"), "-5"));
	ASSERT(!slp_str_eq(NULL, "x"));
	slp_msg_release(&m);

	/* uint64 beyond int64 is not an int64. */
	msgpack_object big = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = UINT64_MAX};
	ASSERT_EQ(slp_as_int(&big, &v), SL_EINVAL);
	msgpack_object two63 = {.type = MSGPACK_OBJECT_FLOAT64, .via.f64 = 9223372036854775808.0};
	ASSERT_EQ(slp_as_int(&two63, &v), SL_EINVAL);
	msgpack_object m263 = {.type = MSGPACK_OBJECT_FLOAT64, .via.f64 = -9223372036854775808.0};
	ASSERT_EQ(slp_as_int(&m263, &v), 0);
	ASSERT_EQ(v, INT64_MIN);
	ASSERT_EQ(slp_as_int(NULL, &v), SL_ENOENT);
}

static void replies(void)
{
	sl_buf b = SL_BUF_INIT, js = SL_BUF_INIT;
	slp_build_ok(&b, 7);
	ASSERT_EQ(slp_msgpack_to_json(b.data, b.len, &js), 0);
	ASSERT_STREQ(js.data, "{\"t\":\"ok\",\"id\":7}");
	sl_buf_reset(&b);
	sl_buf_reset(&js);
	slp_build_err(&b, 7, SL_EPARSE, "reads[3].t: expected integer");
	ASSERT_EQ(slp_msgpack_to_json(b.data, b.len, &js), 0);
	ASSERT_STREQ(js.data, "{\"t\":\"err\",\"id\":7,\"code\":\"bad_request\","
			      "\"msg\":\"reads[3].t: expected integer\"}");
	sl_buf_reset(&b);
	sl_buf_reset(&js);
	slp_build_err(&b, UINT64_MAX, SL_EUNAVAIL, NULL);
	ASSERT_EQ(slp_msgpack_to_json(b.data, b.len, &js), 0);
	ASSERT_STREQ(js.data, "{\"t\":\"err\",\"id\":18446744073709551615,\"code\":\"unavailable\","
			      "\"msg\":\"store unavailable, try again\"}");
	sl_buf_reset(&b);
	sl_buf_reset(&js);
	slp_build_err_row(&b, 6, SL_EINVAL, "rows[12].sex: expected M, F or X", 12);
	ASSERT_EQ(slp_msgpack_to_json(b.data, b.len, &js), 0);
	ASSERT_STREQ(js.data, "{\"t\":\"err\",\"id\":6,\"code\":\"bad_request\","
			      "\"msg\":\"rows[12].sex: expected M, F or X\",\"row\":12}");
	/* A reply decodes as a message. */
	slp_msg m;
	ASSERT_EQ(slp_decode(&m, b.data, b.len, SLP_MSGPACK), 0);
	ASSERT(slp_str_eq(slp_get(&m.root, "code"), "bad_request"));
	int64_t row = 0;
	ASSERT_EQ(slp_get_int(&m.root, "row", &row), 0);
	ASSERT_EQ(row, 12);
	slp_msg_release(&m);
	sl_buf_release(&b);
	sl_buf_release(&js);
}

/* ---- passings batch ------------------------------------------------------ */

static void batch_parses(void)
{
	slp_msg m;
	ASSERT_EQ(decode_js(&m, "{\"t\":\"passings\",\"id\":4,\"dev\":\"mat-5k\",\"seq\":101,\"reads\":["
				"{\"chip\":\"A1B2\",\"pt\":\"5k\",\"t\":1429538400123,\"kind\":\"rfid\","
				"\"hits\":7,\"rssi\":-61},"
				"{\"bib\":\"3\",\"pt\":\"finish\",\"t\":1429546157000.0,"
				"\"kind\":\"handheld\",\"extra\":[1]}]}"),
		  0);
	slp_batch b;
	char err[128] = "";
	ASSERT_EQ(slp_batch_parse(&m.root, m.zone, &b, err, sizeof(err)), 0);
	ASSERT_STREQ(err, "");
	ASSERT(b.dev && b.dev_len == 6 && memcmp(b.dev, "mat-5k", 6) == 0);
	ASSERT_EQ(b.seq, 101);
	ASSERT_EQ(b.nreads, 2);
	ASSERT(b.reads[0].chip && b.reads[0].chip_len == 4 && !b.reads[0].bib);
	ASSERT(memcmp(b.reads[0].chip, "A1B2", 4) == 0);
	ASSERT(b.reads[0].pt_len == 2 && memcmp(b.reads[0].pt, "5k", 2) == 0);
	ASSERT_EQ(b.reads[0].t, 1429538400123LL);
	ASSERT_EQ(b.reads[0].kind, SLP_KIND_RFID);
	ASSERT_EQ(b.reads[0].hits, 7);
	ASSERT_EQ(b.reads[0].rssi, -61);
	ASSERT(!b.reads[1].chip && b.reads[1].bib_len == 1 && b.reads[1].bib[0] == '3');
	ASSERT_EQ(b.reads[1].t, 1429546157000LL);
	ASSERT_EQ(b.reads[1].kind, SLP_KIND_HANDHELD);
	ASSERT_EQ(b.reads[1].hits, -1);
	ASSERT_EQ(b.reads[1].rssi, 0);
	slp_msg_release(&m);

	/* dev is optional; kind defaults to rfid. */
	ASSERT_EQ(decode_js(&m, "{\"t\":\"passings\",\"seq\":1,\"reads\":[{\"bib\":\"9\",\"pt\":\"a\","
				"\"t\":946684800000,\"kind\":null}]}"),
		  0);
	ASSERT_EQ(slp_batch_parse(&m.root, m.zone, &b, err, sizeof(err)), 0);
	ASSERT(b.dev == NULL);
	ASSERT_EQ(b.reads[0].kind, SLP_KIND_RFID);
	slp_msg_release(&m);

	/* A log record (k instead of t) parses the same way. */
	sl_buf mp = SL_BUF_INIT;
	const char *rec = "{\"k\":\"passings\",\"dev\":\"d\",\"seq\":5,\"reads\":[{\"bib\":\"1\","
			  "\"pt\":\"x\",\"t\":1429538400000}],\"rx\":1700000000000}";
	ASSERT_EQ(slp_json_to_msgpack(rec, strlen(rec), &mp), 0);
	msgpack_zone z;
	msgpack_object o;
	size_t off = 0;
	msgpack_zone_init(&z, 1024);
	ASSERT_EQ(msgpack_unpack(mp.data, mp.len, &off, &z, &o), MSGPACK_UNPACK_SUCCESS);
	ASSERT_EQ(slp_batch_parse(&o, &z, &b, err, sizeof(err)), 0);
	ASSERT_EQ(b.seq, 5);
	msgpack_zone_destroy(&z);
	sl_buf_release(&mp);
}

static void expect_batch_error(const char *body, int rc, const char *msg, int line)
{
	sl_buf js = SL_BUF_INIT;
	sl_buf_addf(&js, "{\"t\":\"passings\",\"id\":1,%s}", body);
	slp_msg m;
	if (slp_decode(&m, js.data, js.len, SLP_JSON) != 0) {
		fprintf(stderr, "%s:%d: test message does not decode: %s\n", __FILE__, line, m.err);
		t_failed_asserts++;
		sl_buf_release(&js);
		return;
	}
	slp_batch b;
	char err[128] = "";
	int got = slp_batch_parse(&m.root, m.zone, &b, err, sizeof(err));
	if (got != rc || strcmp(err, msg) != 0) {
		fprintf(stderr, "%s:%d: batch gave %d \"%s\", expected %d \"%s\"\n", __FILE__, line,
			got, err, rc, msg);
		t_failed_asserts++;
	}
	slp_msg_release(&m);
	sl_buf_release(&js);
}
#define BATCH_ERR(body, rc, msg) expect_batch_error(body, rc, msg, __LINE__)
#define R0 "{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000}"

static void batch_errors_name_the_field(void)
{
	BATCH_ERR("\"seq\":1", SL_EINVAL, "reads: missing");
	BATCH_ERR("\"reads\":[" R0 "]", SL_EINVAL, "seq: missing");
	BATCH_ERR("\"seq\":\"1\",\"reads\":[" R0 "]", SL_EINVAL, "seq: expected integer");
	BATCH_ERR("\"seq\":1.5,\"reads\":[" R0 "]", SL_EINVAL, "seq: expected integer");
	BATCH_ERR("\"seq\":0,\"reads\":[" R0 "]", SL_ERANGE,
		  "seq: 0 is not in 1..9007199254740991 (2^53-1)");
	BATCH_ERR("\"seq\":-3,\"reads\":[" R0 "]", SL_ERANGE,
		  "seq: -3 is not in 1..9007199254740991 (2^53-1)");
	/* seqs are exact up to 2^53-1 (the append script compares doubles) */
	BATCH_ERR("\"seq\":9007199254740992,\"reads\":[" R0 "]", SL_ERANGE,
		  "seq: 9007199254740992 is not in 1..9007199254740991 (2^53-1)");
	BATCH_ERR("\"seq\":9007199254740993,\"reads\":[" R0 "]", SL_ERANGE,
		  "seq: 9007199254740993 is not in 1..9007199254740991 (2^53-1)");
	BATCH_ERR("\"seq\":9223372036854775807,\"reads\":[" R0 "," R0 "]", SL_ERANGE,
		  "seq: 9223372036854775807 is not in 1..9007199254740991 (2^53-1)");
	BATCH_ERR("\"seq\":9007199254740991,\"reads\":[" R0 "," R0 "]", SL_ERANGE,
		  "seq: 9007199254740991 + 2 reads goes past the largest seq 9007199254740991 "
		  "(2^53-1)");
	BATCH_ERR("\"seq\":9007199254740991,\"reads\":[" R0 "]", 0, ""); /* the bound */
	BATCH_ERR("\"seq\":9007199254740990,\"reads\":[" R0 "," R0 "]", 0, "");
	BATCH_ERR("\"dev\":5,\"seq\":1,\"reads\":[" R0 "]", SL_EINVAL, "dev: expected string");
	BATCH_ERR("\"dev\":\"\",\"seq\":1,\"reads\":[" R0 "]", SL_EINVAL,
		  "dev: expected 1 to 64 bytes, got 0");
	BATCH_ERR("\"dev\":\"12345678901234567890123456789012345678901234567890123456789012345\","
		  "\"seq\":1,\"reads\":[" R0 "]",
		  SL_EINVAL, "dev: expected 1 to 64 bytes, got 65");
	BATCH_ERR("\"seq\":1,\"reads\":{}", SL_EINVAL, "reads: expected array");
	BATCH_ERR("\"seq\":1,\"reads\":[]", SL_EINVAL, "reads: expected 1 to 10000 reads, got 0");
	BATCH_ERR("\"seq\":1,\"reads\":[" R0 ",7]", SL_EINVAL, "reads[1]: expected map");
	BATCH_ERR("\"seq\":1,\"reads\":[" R0 "," R0 "," R0 ",{\"bib\":\"1\",\"pt\":\"5k\",\"t\":\"x\"}]",
		  SL_EINVAL, "reads[3].t: expected integer");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000.5}]", SL_EINVAL,
		  "reads[0].t: expected integer");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\"}]", SL_EINVAL,
		  "reads[0].t: missing");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400}]", SL_ERANGE,
		  "reads[0].t: 1429538400 is not a time in the years 2000 to 2100 (ms since epoch)");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":4133980800000}]", SL_ERANGE,
		  "reads[0].t: 4133980800000 is not a time in the years 2000 to 2100 (ms since epoch)");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"pt\":\"5k\",\"t\":1429538400000}]", SL_EINVAL,
		  "reads[0]: expected exactly one of 'chip' and 'bib'");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"chip\":\"A\",\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000}]",
		  SL_EINVAL, "reads[0]: expected exactly one of 'chip' and 'bib'");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"chip\":3,\"pt\":\"5k\",\"t\":1429538400000}]", SL_EINVAL,
		  "reads[0].chip: expected string");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"\",\"pt\":\"5k\",\"t\":1429538400000}]", SL_EINVAL,
		  "reads[0].bib: expected 1 to 64 bytes, got 0");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"t\":1429538400000}]", SL_EINVAL,
		  "reads[0].pt: missing");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":[],\"t\":1429538400000}]", SL_EINVAL,
		  "reads[0].pt: expected string");
	BATCH_ERR("\"seq\":1,\"reads\":[" R0 ",{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000,"
		  "\"kind\":\"laser\"}]",
		  SL_EINVAL, "reads[1].kind: 'laser' is not rfid, handheld, manual or backup");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000,\"kind\":1}]",
		  SL_EINVAL, "reads[0].kind: expected string");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000,\"hits\":-1}]",
		  SL_ERANGE, "reads[0].hits: -1 is out of range");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000,\"hits\":\"7\"}]",
		  SL_EINVAL, "reads[0].hits: expected integer");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000,"
		  "\"rssi\":-1e10}]",
		  SL_ERANGE, "reads[0].rssi: -10000000000 is out of range");
	BATCH_ERR("\"seq\":1,\"reads\":[{\"bib\":\"1\",\"pt\":\"5k\",\"t\":1429538400000,\"rssi\":true}]",
		  SL_EINVAL, "reads[0].rssi: expected integer");
}

static void batch_size_limit(void)
{
	sl_buf js = SL_BUF_INIT;
	for (int n = SLP_MAX_READS; n <= SLP_MAX_READS + 1; n++) {
		sl_buf_reset(&js);
		sl_buf_adds(&js, "{\"t\":\"passings\",\"seq\":1,\"reads\":[");
		for (int i = 0; i < n; i++)
			sl_buf_addf(&js, "%s{\"bib\":\"%d\",\"pt\":\"f\",\"t\":1429538400000}",
				    i ? "," : "", i);
		sl_buf_adds(&js, "]}");
		slp_msg m;
		ASSERT_EQ(slp_decode(&m, js.data, js.len, SLP_JSON), 0);
		slp_batch b;
		char err[128];
		int rc = slp_batch_parse(&m.root, m.zone, &b, err, sizeof(err));
		if (n == SLP_MAX_READS) {
			ASSERT_EQ(rc, 0);
			ASSERT_EQ(b.nreads, SLP_MAX_READS);
			ASSERT(b.reads[9999].bib_len == 4 && memcmp(b.reads[9999].bib, "9999", 4) == 0);
		} else {
			ASSERT_EQ(rc, SL_ERANGE);
			ASSERT_STREQ(err, "reads: expected 1 to 10000 reads, got 10001");
		}
		slp_msg_release(&m);
	}
	sl_buf_release(&js);
}

static void pack_reads_is_the_inverse(void)
{
	const char *in = "{\"t\":\"passings\",\"seq\":7,\"reads\":["
			 "{\"chip\":\"A1B2\",\"pt\":\"5k\",\"t\":1429538400123,\"kind\":\"rfid\",\"hits\":7,"
			 "\"rssi\":-61},"
			 "{\"bib\":\"3\",\"pt\":\"finish\",\"t\":1429546157000,\"kind\":\"manual\","
			 "\"hits\":0}]}";
	slp_msg m;
	ASSERT_EQ(decode_js(&m, in), 0);
	slp_batch b;
	char err[128];
	ASSERT_EQ(slp_batch_parse(&m.root, m.zone, &b, err, sizeof(err)), 0);

	sl_buf out = SL_BUF_INIT, js = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &out);
	msgpack_pack_map(&pk, 3);
	slp_pack_kv_str(&pk, "t", "passings");
	slp_pack_kv_int(&pk, "seq", (int64_t)b.seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, b.reads, b.nreads);
	ASSERT_EQ(slp_msgpack_to_json(out.data, out.len, &js), 0);
	/* Same keys, same order; hits 0 is kept, unknown rssi omitted. */
	ASSERT_STREQ(js.data, in);

	slp_msg m2;
	slp_batch b2;
	ASSERT_EQ(slp_decode(&m2, out.data, out.len, SLP_MSGPACK), 0);
	ASSERT_EQ(slp_batch_parse(&m2.root, m2.zone, &b2, err, sizeof(err)), 0);
	ASSERT_EQ(b2.nreads, 2);
	for (size_t i = 0; i < 2; i++) {
		ASSERT_EQ(b2.reads[i].t, b.reads[i].t);
		ASSERT_EQ(b2.reads[i].kind, b.reads[i].kind);
		ASSERT_EQ(b2.reads[i].hits, b.reads[i].hits);
		ASSERT_EQ(b2.reads[i].rssi, b.reads[i].rssi);
		ASSERT_EQ(b2.reads[i].pt_len, b.reads[i].pt_len);
	}
	slp_msg_release(&m);
	slp_msg_release(&m2);
	sl_buf_release(&out);
	sl_buf_release(&js);
}

static void kinds(void)
{
	ASSERT_STREQ(slp_kind_name(SLP_KIND_BACKUP), "backup");
	ASSERT(slp_kind_name(4) == NULL);
	ASSERT(slp_kind_name(-1) == NULL);
	ASSERT_EQ(slp_kind_parse("manual", 6), SLP_KIND_MANUAL);
	ASSERT_EQ(slp_kind_parse("manua", 5), -1);
	ASSERT_EQ(slp_kind_parse("RFID", 4), -1);
}

/* A record cut by slp_trim_batch, as JSON text ("" when refused). */
static const char *trimmed(const char *js, uint64_t from)
{
	static sl_buf out = SL_BUF_INIT;
	sl_buf mp = SL_BUF_INIT, t = SL_BUF_INIT;
	sl_buf_reset(&out);
	ASSERT_EQ(slp_json_to_msgpack(js, strlen(js), &mp), 0);
	if (slp_trim_batch(mp.data, mp.len, from, &t) == 0)
		ASSERT_EQ(slp_msgpack_to_json(t.data, t.len, &out), 0);
	else
		ASSERT_EQ(t.len, 0);
	sl_buf_release(&mp);
	sl_buf_release(&t);
	return out.data ? out.data : "";
}

static void trim_batch(void)
{
	const char *rec = "{\"k\":\"passings\",\"dev\":\"m\",\"seq\":10,\"reads\":["
			  "{\"chip\":\"a\",\"t\":1},{\"chip\":\"b\",\"t\":2},"
			  "{\"chip\":\"c\",\"t\":3}],\"rx\":7}";
	ASSERT_STREQ(trimmed(rec, 11), "{\"k\":\"passings\",\"dev\":\"m\",\"seq\":11,\"reads\":"
				       "[{\"chip\":\"b\",\"t\":2},{\"chip\":\"c\",\"t\":3}],\"rx\":7}");
	ASSERT_STREQ(trimmed(rec, 12), "{\"k\":\"passings\",\"dev\":\"m\",\"seq\":12,\"reads\":"
				       "[{\"chip\":\"c\",\"t\":3}],\"rx\":7}");
	ASSERT_STREQ(trimmed(rec, 10), ""); /* nothing to cut */
	ASSERT_STREQ(trimmed(rec, 13), ""); /* nothing left */
	ASSERT_STREQ(trimmed("{\"k\":\"checkins\",\"seq\":1,\"scans\":[{\"code\":\"1\"},"
			     "{\"code\":\"2\"}]}", 2),
		     "{\"k\":\"checkins\",\"seq\":2,\"scans\":[{\"code\":\"2\"}]}");
	ASSERT_STREQ(trimmed("{\"k\":\"x\",\"seq\":1}", 2), "");
	ASSERT_STREQ(trimmed("[1,2]", 2), "");
	/* a count that no bytes back is refused before anything is allocated */
	sl_buf t = SL_BUF_INIT;
	ASSERT_EQ(slp_trim_batch("\x81\xa5reads\xdd\xff\xff\xff\xff", 11, 2, &t), SL_EINVAL);
	ASSERT_EQ(t.len, 0);
}

#define TESTS(X)                                                               \
	X(decode_msgpack_message)                                              \
	X(json_and_msgpack_give_the_same_tree)                                 \
	X(unknown_types_still_decode)                                          \
	X(malformed_msgpack)                                                   \
	X(depth_limit)                                                         \
	X(size_limit)                                                          \
	X(malformed_json)                                                      \
	X(json_round_trips)                                                    \
	X(msgpack_round_trips_to_the_byte)                                     \
	X(msgpack_to_json_refuses_and_keeps_out)                               \
	X(object_to_json_is_lenient)                                           \
	X(accessors)                                                           \
	X(replies)                                                             \
	X(batch_parses)                                                        \
	X(batch_errors_name_the_field)                                         \
	X(batch_size_limit)                                                    \
	X(pack_reads_is_the_inverse)                                           \
	X(trim_batch)                                                          \
	X(kinds)
T_MAIN()

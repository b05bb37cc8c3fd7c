/*
 * fuzz_slp.c: libFuzzer driver for the wire codec (protocol/slp*.c).
 *
 * Each input is tried as a msgpack frame and as a JSON frame, and through
 * both transcoders.  Besides memory errors and undefined behaviour (ASan,
 * UBSan) it checks the codec's promises, and traps when one is broken:
 *   - a decoded message always transcodes to JSON (slp_decode refuses what
 *     JSON cannot carry);
 *   - JSON text written by the codec is canonical: decoding it and writing
 *     it again gives the same text, and JSON -> msgpack -> JSON -> msgpack
 *     gives the same bytes twice;
 *   - a passings batch that parses, packed again with slp_pack_reads,
 *     parses to the same reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slp.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void check_batch(const slp_msg *m)
{
	size_t n;
	const char *t = slp_type(m, &n);
	if (!t || !same(t, n, "passings", 8))
		return;
	slp_batch b;
	char err[160];
	if (slp_batch_parse(&m->root, m->zone, &b, err, sizeof(err)) != 0) {
		CHECK(err[0] != '\0');
		return;
	}
	CHECK(b.nreads >= 1 && b.nreads <= SLP_MAX_READS && b.seq >= 1);

	sl_buf out = SL_BUF_INIT;
	msgpack_packer pk;
	slp_packer_init(&pk, &out);
	msgpack_pack_map(&pk, b.dev ? 4 : 3);
	slp_pack_kv_str(&pk, "t", "passings");
	if (b.dev)
		slp_pack_kv_strn(&pk, "dev", b.dev, b.dev_len);
	slp_pack_kv_int(&pk, "seq", (int64_t)b.seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, b.reads, b.nreads);

	slp_msg m2;
	slp_batch b2;
	if (out.len <= SLP_MAX_FRAME) {
		CHECK(slp_decode(&m2, out.data, out.len, SLP_MSGPACK) == 0);
		CHECK(slp_batch_parse(&m2.root, m2.zone, &b2, err, sizeof(err)) == 0);
		CHECK(b2.nreads == b.nreads && b2.seq == b.seq);
		CHECK(same(b2.dev, b2.dev_len, b.dev, b.dev_len));
		for (size_t i = 0; i < b.nreads; i++) {
			const slp_read *r = &b.reads[i], *s = &b2.reads[i];
			CHECK(same(r->chip, r->chip_len, s->chip, s->chip_len));
			CHECK(same(r->bib, r->bib_len, s->bib, s->bib_len));
			CHECK(same(r->pt, r->pt_len, s->pt, s->pt_len));
			CHECK(r->t == s->t && r->kind == s->kind && r->hits == s->hits &&
			      r->rssi == s->rssi);
		}
		slp_msg_release(&m2);
	}
	sl_buf_release(&out);
}

/* A decoded message: check it, and that its JSON text is a fixpoint. */
static void check_msg(const slp_msg *m)
{
	check_batch(m);

	sl_buf j1 = SL_BUF_INIT, j2 = SL_BUF_INIT, j3 = SL_BUF_INIT;
	slp_object_to_json(&m->root, &j1);
	slp_msg m2, m3;
	/* uint64 above int64 has no way back from JSON: that is allowed. */
	if (slp_decode(&m2, j1.data, j1.len, SLP_JSON) == 0) {
		slp_object_to_json(&m2.root, &j2);
		CHECK(slp_decode(&m3, j2.data, j2.len, SLP_JSON) == 0);
		slp_object_to_json(&m3.root, &j3);
		CHECK(same(j2.data, j2.len, j3.data, j3.len));
		slp_msg_release(&m3);
	}
	slp_msg_release(&m2);
	sl_buf_release(&j1);
	sl_buf_release(&j2);
	sl_buf_release(&j3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	slp_msg m;

	if (slp_decode(&m, buf, size, SLP_MSGPACK) == 0) {
		sl_buf js = SL_BUF_INIT;
		CHECK(slp_msgpack_to_json(buf, size, &js) == 0);
		sl_buf_release(&js);
		check_msg(&m);
	} else {
		CHECK(m.zone == NULL && m.err[0] != '\0');
	}
	slp_msg_release(&m);

	if (slp_decode(&m, buf, size, SLP_JSON) == 0)
		check_msg(&m);
	else
		CHECK(m.zone == NULL && m.err[0] != '\0');
	slp_msg_release(&m);

	/* The transcoders on any value, not only messages. */
	sl_buf a = SL_BUF_INIT, j = SL_BUF_INIT, b = SL_BUF_INIT;
	if (slp_json_to_msgpack(buf, size, &a) == 0) {
		CHECK(slp_msgpack_to_json(a.data, a.len, &j) == 0);
		CHECK(slp_json_to_msgpack(j.data, j.len, &b) == 0);
		CHECK(same(a.data, a.len, b.data, b.len));
	} else {
		CHECK(a.len == 0);
	}
	sl_buf_reset(&j);
	if (slp_msgpack_to_json(buf, size, &j) != 0)
		CHECK(j.len == 0);
	sl_buf_release(&a);
	sl_buf_release(&j);
	sl_buf_release(&b);
	return 0;
}

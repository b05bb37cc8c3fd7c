/*
 * fuzz_mpr.c: libFuzzer driver for the raw msgpack reader of passings
 * records (protocol/mpr.c), the fold's fast path.
 *
 * An input is a record: raw msgpack bytes, or JSON text (first byte '{')
 * transcoded to msgpack first, so that seeds can be written by hand.  The
 * reader's promise, checked against the general path (msgpack_unpack +
 * slp_batch_parse) and trapped when broken:
 *   - it never reads outside the bytes (ASan: the record is copied into a
 *     buffer of its exact size);
 *   - a record it accepts is one map with nothing after it, which the
 *     general path parses to the same batch: dev, seq, and every read's
 *     code, point, time, kind, hits and rssi, and the receipt time rx
 *     the fold reads from the map on the general path;
 *   - reading the same bytes twice gives the same answer (the read array
 *     is reused, as the core reuses it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpr.h"
#include "slp.h"

/* A broken promise stops the fuzzer with the input that broke it. */
#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

/* Two (pointer, length) strings, NULL meaning absent: equal? */
static bool eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (!a || !b)
		return !a && !b;
	return an == bn && !memcmp(a, b, an);
}

static bool same_read(const slp_read *x, const slp_read *y)
{
	return eq(x->chip, x->chip_len, y->chip, y->chip_len) &&
	       eq(x->bib, x->bib_len, y->bib, y->bib_len) && eq(x->pt, x->pt_len, y->pt, y->pt_len) &&
	       x->t == y->t && x->kind == y->kind && x->hits == y->hits && x->rssi == y->rssi;
}

/* The general path agrees with what mpr_passings read into b. */
static void check_general(const char *rec, size_t len, const slp_batch *b)
{
	msgpack_zone z;
	msgpack_object root;
	size_t off = 0;
	slp_batch g;
	char err[160];
	msgpack_zone_init(&z, 4096);
	CHECK(msgpack_unpack(rec, len, &off, &z, &root) == MSGPACK_UNPACK_SUCCESS);
	CHECK(off == len && root.type == MSGPACK_OBJECT_MAP);
	CHECK(slp_batch_parse(&root, &z, &g, err, sizeof(err)) == 0);
	CHECK(eq(b->dev, b->dev_len, g.dev, g.dev_len) && b->seq == g.seq);
	int64_t rx = 0; /* the fold reads it from the map when not from mpr */
	slp_get_int(&root, "rx", &rx);
	CHECK(b->rx == rx);
	CHECK(b->nreads == g.nreads);
	for (size_t i = 0; i < b->nreads; i++)
		CHECK(same_read(&b->reads[i], &g.reads[i]));
	msgpack_zone_destroy(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_buf mp = SL_BUF_INIT;
	const char *rec = (const char *)data;
	size_t len = size;
	if (size && data[0] == '{') {
		if (slp_json_to_msgpack((const char *)data, size, &mp) < 0)
			goto out;
		rec = mp.data;
		len = mp.len;
	}
	char *own = malloc(len ? len : 1); /* exact size: ASan sees any overread */
	memcpy(own, rec, len);
	slp_read *reads = NULL;
	size_t cap = 0;
	slp_batch b, b2;
	bool ok = mpr_passings(own, len, &b, &reads, &cap);
	if (ok) {
		CHECK(b.nreads >= 1 && b.nreads <= SLP_MAX_READS && b.seq >= 1);
		check_general(own, len, &b);
	}
	CHECK(mpr_passings(own, len, &b2, &reads, &cap) == ok);
	if (ok) {
		CHECK(b2.nreads == b.nreads && b2.seq == b.seq);
		check_general(own, len, &b2);
	}
	free(reads);
	free(own);
out:
	sl_buf_release(&mp);
	return 0;
}

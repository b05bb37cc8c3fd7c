/*
 * fuzz_core.c: libFuzzer driver for the core's record checks and folds
 * (server/core), above all check-in records: scans with every op (assign,
 * pair, swap, transfer), undos, participants with and without bibs, and
 * reads made void and restored (read_void; corpus/core/voids.txt).
 *
 * An input is JSON records, one per line, folded in order into a core that
 * already holds a small event (two races, one with a bib_pool; athletes
 * with bibs and registrations without).  A line that is not JSON is also
 * tried as raw msgpack.  Besides memory errors and undefined behaviour it
 * traps when a promise of the core is broken:
 *   - core_check and core_apply agree (a record checked good applies; one
 *     refused says why in err);
 *   - a snapshot saved, loaded into a fresh core and saved again gives the
 *     same bytes, and folding one more record into both keeps them equal;
 *   - the check-in topics (scans/<dev>, checkin/<race>, audit) always pack.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkin.h"
#include "core.h"
#include "slp.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

static const char *const prelude[] = {
	"{\"k\":\"config\",\"config\":{\"event\":\"ev\",\"name\":\"T\",\"date\":\"2015-04-20\","
	"\"timezone\":\"America/New_York\","
	"\"races\":[{\"id\":\"m\",\"name\":\"M\",\"kind\":\"mass\",\"distance_m\":42195,"
	"\"bib_pool\":[\"30-33\",\"40\"],\"waves\":[{\"id\":\"1\",\"bibs\":\"1-99\","
	"\"start\":\"2015-04-20T10:00:00Z\"}],\"points\":[{\"id\":\"start\",\"distance_m\":0,"
	"\"role\":\"start\"},{\"id\":\"finish\",\"distance_m\":42195,\"role\":\"finish\"}]},"
	"{\"id\":\"k\",\"name\":\"K\",\"kind\":\"mass\",\"distance_m\":5000,\"waves\":[{\"id\":"
	"\"1\"}],\"points\":[{\"id\":\"finish\",\"distance_m\":5000,\"role\":\"finish\"}]}]}}",
	"{\"k\":\"participants\",\"rows\":[{\"bib\":\"1\",\"name\":\"A\",\"sex\":\"F\",\"age\":30,"
	"\"chips\":[\"C1\"],\"race\":\"m\",\"reg\":\"R0\"},{\"bib\":\"2\",\"name\":\"B\","
	"\"race\":\"m\"},{\"bib\":\"31\",\"name\":\"C\",\"race\":\"m\"},{\"reg\":\"R1\","
	"\"name\":\"D\",\"race\":\"m\"},{\"reg\":\"R2\",\"name\":\"E\",\"race\":\"m\"},"
	"{\"reg\":\"R5\",\"name\":\"H\",\"race\":\"k\"},{\"bib\":\"7\",\"name\":\"G\","
	"\"race\":\"k\"},{\"bib\":\"30\",\"chips\":[\"B30\"],\"blank\":true},"
	"{\"bib\":\"40\",\"blank\":true}]}",
};

static void fold(core *c, const char *rec, size_t len)
{
	char err[256] = "", err2[256] = "";
	int rc = core_check(c, rec, len, err, sizeof(err));
	if (rc < 0) {
		CHECK(err[0] != '\0');
		return;
	}
	rc = core_apply(c, rec, len, err2, sizeof(err2));
	CHECK(rc == 0);
}

static void fold_line(core *c, const char *s, size_t n)
{
	sl_buf mp = SL_BUF_INIT;
	if (slp_json_to_msgpack(s, n, &mp) == 0)
		fold(c, mp.data, mp.len);
	else
		fold(c, s, n);
	sl_buf_release(&mp);
}

static void topics(const core *c)
{
	static const char *const t[] = {"scans/d1", "scans/d2", "checkin/m", "checkin/k",
					"audit"};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sl_buf b = SL_BUF_INIT;
		msgpack_packer pk;
		slp_packer_init(&pk, &b);
		CHECK(core_topic_snapshot(c, t[i], strlen(t[i]), 0, 0, &pk) == 0);
		slp_msg m;
		CHECK(slp_decode(&m, b.data, b.len, SLP_MSGPACK) == 0);
		slp_msg_release(&m);
		sl_buf_release(&b);
	}
}

static bool same_snapshot(const core *a, const core *b)
{
	sl_buf x = SL_BUF_INIT, y = SL_BUF_INIT;
	core_snapshot_save(a, &x);
	core_snapshot_save(b, &y);
	bool eq = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	sl_buf_release(&x);
	sl_buf_release(&y);
	return eq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	core *c = core_new();
	for (size_t i = 0; i < sizeof(prelude) / sizeof(prelude[0]); i++)
		fold_line(c, prelude[i], strlen(prelude[i]));
	const char *p = (const char *)data, *end = p + size, *last = NULL;
	size_t lastn = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		fold_line(c, p, n);
		last = p;
		lastn = n;
		p += n + 1;
	}
	topics(c);

	sl_buf snap = SL_BUF_INIT;
	char err[256] = "";
	core_snapshot_save(c, &snap);
	core *d = core_new();
	CHECK(core_snapshot_load(d, snap.data, snap.len, err, sizeof(err)) == 0);
	CHECK(same_snapshot(c, d));
	topics(d);
	if (last) { /* one more record into both: they stay the same */
		fold_line(c, last, lastn);
		fold_line(d, last, lastn);
		CHECK(same_snapshot(c, d));
	}
	sl_buf_release(&snap);
	core_free(d);
	core_free(c);
	return 0;
}

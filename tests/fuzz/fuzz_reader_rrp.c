/* fuzz_reader_rrp.c: libFuzzer driver of the RaceResult line parser (and
 * the line framing): arbitrary bytes are framed into lines, each parsed;
 * a parsed passing is formatted and parsed again (must round-trip). */
#include <stdlib.h>
#include <string.h>

#include "rrp.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	rdr_frame f;
	rdr_frame_init(&f, '\n', 4096);
	rdr_frame_feed(&f, (const char *)data, size);
	const char *l;
	size_t n;
	char err[160];
	while (rdr_frame_next(&f, &l, &n)) {
		rrp_msg m;
		if (rrp_parse(l, n, &m, err, sizeof(err)) == 0 && m.type == RRP_PASSING &&
		    m.raw.day != INT32_MIN && m.raw.day >= rdr_days(1900, 1, 1)) {
			sl_buf b = SL_BUF_INIT;
			rrp_fmt_passing(&b, &m.raw, true);
			rrp_msg m2;
			if (rrp_parse(b.data, b.len - 2, &m2, err, sizeof(err)) != 0 ||
			    strcmp(m2.raw.chip, m.raw.chip) != 0 || m2.raw.tod != m.raw.tod)
				abort();
			sl_buf_release(&b);
		}
	}
	rdr_frame_release(&f);
	return 0;
}

/* fuzz_reader_jcp.c: libFuzzer driver of the JChip line parser (with '\r'
 * framing); a parsed read is formatted and parsed again. */
#include <stdlib.h>
#include <string.h>

#include "jcp.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	rdr_frame f;
	rdr_frame_init(&f, '\r', 4096);
	rdr_frame_feed(&f, (const char *)data, size);
	const char *l;
	size_t n;
	char err[160];
	while (rdr_frame_next(&f, &l, &n)) {
		jcp_msg m;
		if (jcp_parse(l, n, &m, err, sizeof(err)) == 0 && m.type == JCP_READ) {
			sl_buf b = SL_BUF_INIT;
			jcp_fmt_read(&b, &m.raw);
			jcp_msg m2;
			if (jcp_parse(b.data, b.len - 1, &m2, err, sizeof(err)) != 0 ||
			    strcmp(m2.raw.chip, m.raw.chip) != 0)
				abort();
			sl_buf_release(&b);
		}
	}
	rdr_frame_release(&f);
	return 0;
}

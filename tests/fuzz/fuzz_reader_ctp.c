/* fuzz_reader_ctp.c: libFuzzer driver of the ChronoTrack CTP01 line parser
 * (with the line framing). */
#include "ctp.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	rdr_frame f;
	rdr_frame_init(&f, '\n', 4096);
	rdr_frame_feed(&f, (const char *)data, size);
	const char *l;
	size_t n;
	char err[160];
	while (rdr_frame_next(&f, &l, &n)) {
		ctp_msg m;
		if (ctp_parse(l, n, &m, err, sizeof(err)) == 0 && m.type == CTP_READ) {
			sl_buf b = SL_BUF_INIT;
			ctp_fmt_read(&b, &m.raw, m.loc);
			sl_buf_release(&b);
		}
	}
	rdr_frame_release(&f);
	return 0;
}

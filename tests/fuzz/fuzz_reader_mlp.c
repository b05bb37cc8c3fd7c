/* fuzz_reader_mlp.c: libFuzzer driver of the MYLAPS exporter message parser
 * (with '$' framing); one mlp_msg is reused across messages as the reader
 * does. */
#include <string.h>

#include "mlp.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	rdr_frame f;
	rdr_frame_init(&f, '$', 1 << 16);
	rdr_frame_feed(&f, (const char *)data, size);
	const char *l;
	size_t n;
	char err[160];
	mlp_msg m;
	memset(&m, 0, sizeof(m));
	while (rdr_frame_next(&f, &l, &n))
		mlp_parse(l, n, &m, err, sizeof(err));
	mlp_msg_release(&m);
	rdr_frame_release(&f);
	return 0;
}

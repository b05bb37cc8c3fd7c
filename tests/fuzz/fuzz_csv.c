/*
 * fuzz_csv.c: libFuzzer driver for the participants CSV importer
 * (clients/common/csvimport.c).  The first byte picks options (header map,
 * chip from bib, default race) so that every path of the row checks runs;
 * the rest is the file.  Any crash, leak or sanitizer report is a bug: the
 * importer must turn every input into rows or file:line errors.
 */
#include <stddef.h>
#include <stdint.h>

#include "csvimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const maps[] = {NULL, "sex=M/F", "bib=Number,fields.team=Team",
					   "name=Runner,chip=Tag,chip2=Tag2"};
	if (size < 1)
		return 0;
	csvimp_opts o = {0};
	o.map = maps[data[0] & 3];
	o.chip_from_bib = data[0] & 4;
	o.race = data[0] & 8 ? "marathon" : NULL;
	o.max_errors = data[0] & 16 ? 3 : 0;
	csvimp ci;
	csvimp_parse_mem(&ci, "fuzz.csv", (const char *)data + 1, size - 1, &o);
	csvimp_release(&ci);
	return 0;
}

/*
 * fuzz_csv.c: libFuzzer driver for the participants CSV importer
 * (clients/common/csvimport.c).  The first byte picks options so that
 * every path of the header and row checks runs: bits 0-1 and 7 a --map
 * (explicit columns, "field=" for none, custom fields), bit 2 chip from
 * bib, bit 3 a default race, bit 4 a small error cap, bits 5-6 the date
 * order (auto, DD/MM, MM/DD) or a chip file (blank).  The rest is the
 * file.  Any crash, leak or sanitizer report is a bug: the importer must
 * turn every input into rows or file:line errors, and its account of the
 * columns must list every column of the header (the ones not imported
 * agreeing with csvimp_unused_text).
 */
#include <stddef.h>
#include <stdint.h>

#include "csvimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const maps[] = {NULL,
					   "sex=M/F",
					   "bib=Number,fields.team=Team",
					   "name=Runner,chip=Tag,chip2=Tag2",
					   "name=,race=",
					   "fields.shirt=Shirt Size,first=Vorname",
					   "sex=,bib=No",
					   "reg=Confirmation,name=Athlete Full Name,chip2="};
	if (size < 1)
		return 0;
	csvimp_opts o = {0};
	o.map = maps[(data[0] & 3) | ((data[0] >> 5) & 4)];
	o.chip_from_bib = data[0] & 4;
	o.race = data[0] & 8 ? "marathon" : NULL;
	o.max_errors = data[0] & 16 ? 3 : 0;
	int d = (data[0] >> 5) & 3;
	o.date_order = d == 3 ? CSVIMP_DATE_AUTO : d;
	o.blank = d == 3;
	csvimp ci;
	csvimp_parse_mem(&ci, "fuzz.csv", (const char *)data + 1, size - 1, &o);
	sl_buf b = SL_BUF_INIT;
	csvimp_columns_text(&ci, &b);
	size_t unused = 0;
	for (size_t j = 0; j < ci.ncols; j++) {
		if (!ci.cols[j].header)
			__builtin_trap();
		unused += !ci.cols[j].feeds && (ci.cols[j].header[0] || ci.cols[j].values);
	}
	if (csvimp_unused_text(&ci, &b) != unused)
		__builtin_trap();
	sl_buf_release(&b);
	csvimp_release(&ci);
	return 0;
}

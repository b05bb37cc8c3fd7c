/*
 * fuzz_yaml.c: libFuzzer driver for the event config reader
 * (clients/common/evcfg.c): YAML text in, either a config or file:line
 * errors out, never a crash, a leak or an alias blow-up.
 */
#include <stddef.h>
#include <stdint.h>

#include "evcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_buf errs = SL_BUF_INIT;
	evcfg *c = NULL;
	if (evcfg_load_mem("fuzz.yaml", (const char *)data, size, &c, &errs) == 0) {
		const evcfg_race *r = c->nraces ? &c->races[0] : NULL;
		if (r && r->nwaves)
			evcfg_wave_of(r, "42");
		evcfg_free(c);
	}
	sl_buf_release(&errs);
	return 0;
}

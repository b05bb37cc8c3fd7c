/*
 * series_csv.c: a series' standings as CSV (GET /api/series/<id>.csv):
 * place,group,athlete,name,total, then one column per event of the series:
 * the athlete's points there, in brackets when they do not count (best N
 * of M), empty when none.  A text a spreadsheet would run gets a ' in
 * front, as in the results exports.
 */
#include <string.h>

#include "score.h"

/* A CSV cell: quoted when it holds a comma, quote or line break; a text a
 * spreadsheet would run gets a ' in front (as the results exports). */
static void csv_cell(sl_buf *b, const char *s)
{
	bool q = strpbrk(s, ",\"\r\n") != NULL, inj = strchr("=+-@\t\r", s[0]) && s[0];

	if (!q && !inj) {
		sl_buf_adds(b, s);
		return;
	}
	sl_buf_addc(b, '"');
	if (inj)
		sl_buf_addc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			sl_buf_addc(b, '"');
		sl_buf_addc(b, *p);
	}
	sl_buf_addc(b, '"');
}

void score_series_csv(const struct series_table *t, sl_buf *b)
{
	const struct series_cfg *c = t->cfg;

	sl_buf_adds(b, "place,group,athlete,name,total");
	for (size_t k = 0; k < c->nevents; k++) {
		sl_buf_addc(b, ',');
		csv_cell(b, c->events[k]);
	}
	sl_buf_addc(b, '\n');
	for (size_t i = 0; i < t->n; i++) {
		const struct series_row *r = &t->rows[i];
		sl_buf_addf(b, "%zu,", r->place);
		csv_cell(b, r->group);
		sl_buf_addc(b, ',');
		csv_cell(b, r->athlete);
		sl_buf_addc(b, ',');
		csv_cell(b, r->name);
		sl_buf_addf(b, ",%lld", (long long)r->total);
		for (size_t k = 0; k < c->nevents; k++) {
			const struct series_cell *x = &r->cells[k];
			if (!x->scored)
				sl_buf_adds(b, ",");
			else if (x->counted)
				sl_buf_addf(b, ",%lld", (long long)x->points);
			else /* a result that does not count (best N of M): in brackets */
				sl_buf_addf(b, ",(%lld)", (long long)x->points);
		}
		sl_buf_addc(b, '\n');
	}
}

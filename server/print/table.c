/*
 * table.c: what every printout reads: a race's CSV export parsed back into
 * cells, and the event's facts (name, date, races, categories) from the
 * `event` topic (print_int.h).
 *
 * The CSV is the core's own (core/export.c): RFC 4180 quoting, one line per
 * row, '\n' line ends.  The parser here needs no more than that and never
 * reads past the buffer whatever it gets.  Cells are unquoted in place in
 * the CSV's own buffer (a Boston export is 800,000 cells: no allocation
 * per cell).  A quoted cell that starts with
 * ' and then = + - @ tab or CR is a text the export defused (a would-be
 * formula); the ' is dropped.  A name that really starts with ' and = and
 * also holds a comma or a quote loses its ' too: a printout shows it
 * without.
 */
#include <stdlib.h>
#include <string.h>

#include "print_int.h"
#include "slp.h"

/* ---- the CSV table ---------------------------------------------------------- */

/*
 * One cell from *pp, unquoted in place (a cell never grows: quotes only
 * go), NUL-terminated; *eol set when it ended its row (or the text).
 */
static char *csv_cell(char **pp, char *end, bool *eol)
{
	char *p = *pp, *w = p, *cell = p;
	bool quoted = p < end && *p == '"';

	if (quoted) {
		for (p++; p < end; p++) {
			if (*p == '"' && p + 1 < end && p[1] == '"')
				*w++ = *p++;
			else if (*p == '"')
				break;
			else
				*w++ = *p;
		}
		p += p < end; /* the closing quote */
	}
	while (p < end && *p != ',' && *p != '\n')
		*w++ = *p++; /* unquoted, or junk after the quote */
	*eol = p >= end || *p == '\n';
	*pp = p + (p < end);
	*w = '\0'; /* w <= p: over the separator at the latest */
	if (quoted && w - cell > 1 && cell[0] == '\'' && strchr("=+-@\t\r", cell[1]))
		cell++;
	return cell;
}

static void table_parse(struct pr_table *t, char *p, size_t len)
{
	static char blank[] = "";
	char *end = p + len;
	size_t cap = 0, ncells = 0, col = 0;

	while (p < end) {
		bool eol;
		char *cell = csv_cell(&p, end, &eol);
		/* room for this cell and a short row's blanks */
		if (ncells + t->ncols + 1 > cap) {
			cap = 2 * cap + t->ncols + 64;
			t->cells = sl_realloc(t->cells, cap * sizeof(char *));
		}
		if (t->nrows == 0) { /* the header fixes the width */
			t->cells[ncells++] = cell;
			t->ncols++;
			t->nrows = eol;
			continue;
		}
		if (col < t->ncols) /* a row longer than the header: cut */
			t->cells[ncells++] = cell;
		col++;
		if (eol) {
			for (; col < t->ncols; col++) /* a short row: blanks */
				t->cells[ncells++] = blank;
			col = 0;
			t->nrows++;
		}
	}
}

int pr_table_load(const core *c, const char *race, struct pr_table *t, char *err, size_t errlen)
{
	sl_buf csv = SL_BUF_INIT;
	int rc = core_export_csv(c, race, &csv);

	memset(t, 0, sizeof(*t));
	if (rc < 0) {
		snprintf(err, errlen, rc == SL_ENOENT ? "no such race" : "cannot export the race");
		sl_buf_release(&csv);
		return rc;
	}
	sl_buf_addc(&csv, '\0'); /* the last cell's end */
	size_t len = csv.len - 1;
	t->text = sl_buf_detach(&csv, NULL);
	table_parse(t, t->text, len);
	return 0;
}

void pr_table_release(struct pr_table *t)
{
	SL_FREE_MANY(t->cells, t->text);
	memset(t, 0, sizeof(*t));
}

int pr_col(const struct pr_table *t, const char *name)
{
	for (size_t k = 0; t->nrows && k < t->ncols; k++)
		if (strcmp(t->cells[k], name) == 0)
			return (int)k;
	return -1;
}

const char *pr_cell(const struct pr_table *t, size_t r, int col)
{
	return col < 0 || r >= t->nrows ? "" : t->cells[r * t->ncols + (size_t)col];
}

size_t pr_find_bib(const struct pr_table *t, const char *bib)
{
	int col = pr_col(t, "bib");

	for (size_t r = 1; col >= 0 && r < t->nrows; r++)
		if (strcmp(pr_cell(t, r, col), bib) == 0)
			return r;
	return 0;
}

void pr_list_item(const char *cell, size_t n, sl_buf *out)
{
	const char *p = cell, *q;

	sl_buf_reset(out);
	for (; n > 0 && (q = strchr(p, ';')); n--)
		p = q + 1;
	if (n > 0)
		return;
	q = strchr(p, ';');
	sl_buf_add(out, p, q ? (size_t)(q - p) : strlen(p)); /* NUL-terminated */
}

/* ---- the event ---------------------------------------------------------------- */

static char *str_dup(const msgpack_object *map, const char *key)
{
	const char *s = "";
	size_t n = 0;

	slp_get_str(map, key, &s, &n);
	return strndup(s, n);
}

static void long_date(struct pr_event *e, const char *iso)
{
	static const char *const months[] = {"January",   "February", "March",    "April",
					     "May",       "June",     "July",     "August",
					     "September", "October",  "November", "December"};
	int y, m, d;

	if (sscanf(iso, "%d-%d-%d", &y, &m, &d) == 3 && m >= 1 && m <= 12)
		snprintf(e->date, sizeof(e->date), "%d %s %d", d, months[m - 1], y);
	else
		snprintf(e->date, sizeof(e->date), "%.30s", iso);
	if (sl_parse_iso(iso, &e->date_ms) < 0)
		e->date_ms = 0;
}

static void race_of(struct pr_race *r, const msgpack_object *o)
{
	const msgpack_object_array *cats;

	r->id = str_dup(o, "id");
	r->name = str_dup(o, "name");
	if (slp_get_arr(o, "categories", &cats) < 0)
		return;
	r->cats = sl_calloc(cats->size + 1, sizeof(*r->cats));
	for (uint32_t k = 0; k < cats->size; k++) {
		r->cats[k].id = str_dup(&cats->ptr[k], "id");
		r->cats[k].name = str_dup(&cats->ptr[k], "name");
	}
	r->ncats = cats->size;
}

int pr_event_load(const core *c, struct pr_event *e, char *err, size_t errlen)
{
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	msgpack_unpacked u;
	const msgpack_object_array *rows, *races;
	int rc = SL_ENOENT;

	memset(e, 0, sizeof(*e));
	slp_packer_init(&pk, &mp);
	msgpack_unpacked_init(&u);
	if (core_topic_snapshot(c, "event", 5, 0, 0, &pk) < 0 ||
	    msgpack_unpack_next(&u, mp.data, mp.len, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    slp_get_arr(&u.data, "rows", &rows) < 0 || rows->size < 1) {
		snprintf(err, errlen, "no event to export yet");
		goto out;
	}
	const msgpack_object *ev = &rows->ptr[0];
	char *date = str_dup(ev, "date");
	e->name = str_dup(ev, "name");
	long_date(e, date);
	free(date);
	if (slp_get_arr(ev, "races", &races) == 0) {
		e->races = sl_calloc(races->size + 1, sizeof(*e->races));
		for (uint32_t i = 0; i < races->size; i++)
			race_of(&e->races[i], &races->ptr[i]);
		e->nraces = races->size;
	}
	rc = 0;
out:
	msgpack_unpacked_destroy(&u);
	sl_buf_release(&mp);
	return rc;
}

void pr_event_release(struct pr_event *e)
{
	for (size_t i = 0; i < e->nraces; i++) {
		struct pr_race *r = &e->races[i];
		for (size_t k = 0; k < r->ncats; k++)
			SL_FREE_MANY(r->cats[k].id, r->cats[k].name);
		SL_FREE_MANY(r->id, r->name, r->cats);
	}
	SL_FREE_MANY(e->name, e->races);
	memset(e, 0, sizeof(*e));
}

const struct pr_race *pr_event_race(const struct pr_event *e, const char *id)
{
	for (size_t i = 0; i < e->nraces; i++)
		if (strcmp(e->races[i].id, id) == 0)
			return &e->races[i];
	return NULL;
}

const char *pr_state_word(const core *c, const char *race)
{
	const char *s = core_race_results_state(c, race);

	if (s && strcmp(s, "official") == 0)
		return "OFFICIAL";
	if (s && strcmp(s, "corrected") == 0)
		return "CORRECTED";
	return "PROVISIONAL";
}

/*
 * xlsx.c: results as an Excel workbook (libxlsxwriter): one sheet per race,
 * with the columns and rows of the race's CSV export, in the same order.
 *
 * Cells are typed: place, age, place_sex and lane as numbers when the CSV
 * cell is a whole number; every other cell as text, times included
 * ("2:09:17", as in the CSV), so that bibs keep their leading zeros and a
 * time reads the same everywhere.  An empty CSV cell is an empty cell.
 * Text the CSV defused with a ' (a would-be formula) is written without it:
 * a text cell is never a formula.  The header row is bold, frozen and
 * filtered; names, crews, clubs, reasons and start times get wide columns.
 *
 * A sheet is named by its race id, cut to Excel's 31 characters (a race id
 * is [A-Za-z0-9_-], which Excel allows); a name already taken gets "~2",
 * "~3"... in place of its last characters.
 *
 * libxlsxwriter 1.1 writes to a file only: the workbook goes to a temporary
 * file (mkstemp in $TMPDIR or /tmp), read back and removed.  Its creation
 * date is set to the event's date, so that the bytes are a function of the
 * results alone (the zip entries carry a fixed date already).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "print_int.h"

static bool numeric_col(const char *name)
{
	return !strcmp(name, "place") || !strcmp(name, "age") || !strcmp(name, "place_sex") ||
	       !strcmp(name, "lane");
}

/* A whole number of at most 9 digits without a leading zero. */
static bool whole(const char *s, double *v)
{
	size_t n = strlen(s);

	if (n == 0 || n > 9 || (s[0] == '0' && n > 1) || strspn(s, "0123456789") != n)
		return false;
	*v = (double)strtol(s, NULL, 10);
	return true;
}

static lxw_error write_sheet(lxw_workbook *wb, lxw_format *bold, const char *name,
			     const struct pr_table *t)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, name);
	sl_buf clean = SL_BUF_INIT;
	bool num[256] = {false};
	lxw_error err = LXW_NO_ERROR;

	if (!ws)
		return LXW_ERROR_SHEETNAME_ALREADY_USED;
	for (size_t k = 0; k < t->ncols && k < 256; k++)
		num[k] = numeric_col(pr_cell(t, 0, (int)k));
	for (size_t r = 0; r < t->nrows && !err; r++) {
		for (size_t k = 0; k < t->ncols && k <= LXW_COL_MAX && !err; k++) {
			const char *v = pr_cell(t, r, (int)k);
			double d;
			if (!*v)
				continue;
			if (r > 0 && k < 256 && num[k] && whole(v, &d)) {
				err = worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)k, d,
							     NULL);
				continue;
			}
			sl_buf_reset(&clean);
			sl_utf8_clean(&clean, v);
			err = worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)k, clean.data,
						     r == 0 ? bold : NULL);
		}
	}
	worksheet_freeze_panes(ws, 1, 0);
	if (!err && t->nrows > 0 && t->ncols > 0) /* a filter on each column */
		err = worksheet_autofilter(ws, 0, 0, (lxw_row_t)(t->nrows - 1),
					   (lxw_col_t)(t->ncols - 1));
	for (size_t k = 0; !err && k < t->ncols && k <= LXW_COL_MAX; k++) {
		const char *h = pr_cell(t, 0, (int)k);
		bool wide = !strcmp(h, "name") || !strcmp(h, "crew") || !strcmp(h, "club") ||
			    !strcmp(h, "reasons") || !strcmp(h, "start_time");
		if (wide)
			err = worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k, 24, NULL);
	}
	sl_buf_release(&clean);
	return err;
}

/* The sheet name of race id: 31 characters at most, unique in names[n]. */
static void sheet_name(char out[32], const char *id, char (*names)[32], size_t n)
{
	snprintf(out, 32, "%.31s", id);
	for (int k = 2;; k++) {
		bool taken = false;
		for (size_t i = 0; i < n && !taken; i++)
			taken = strcasecmp(names[i], out) == 0;
		if (!taken)
			return;
		char suf[16];
		int sl = snprintf(suf, sizeof(suf), "~%d", k);
		snprintf(out, 32, "%.*s%s", 31 - sl, id, suf);
	}
}

static int read_back(const char *path, sl_buf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (!f)
		return SL_EIO;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sl_buf_add(out, buf, n);
	n = (size_t)ferror(f);
	fclose(f);
	return n ? SL_EIO : 0;
}

/* The sheets of races[n] into a workbook at path. */
static int workbook(const core *c, const struct pr_event *ev, const struct pr_race *const *races,
		    size_t n, const char *path, char *err, size_t errlen)
{
	lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = NULL};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_doc_properties props = {0};
	char(*names)[32] = sl_calloc(n + 1, 32);
	lxw_error xe = LXW_NO_ERROR;
	int rc = 0;

	if (!wb) {
		snprintf(err, errlen, "cannot make the workbook");
		free(names);
		return SL_EIO;
	}
	props.title = ev->name;
	props.created = (time_t)(ev->date_ms / 1000);
	workbook_set_properties(wb, &props);
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	for (size_t i = 0; i < n && !xe && rc == 0; i++) {
		struct pr_table t;
		if ((rc = pr_table_load(c, races[i]->id, &t, err, errlen)) < 0)
			break;
		sheet_name(names[i], races[i]->id, names, i);
		xe = write_sheet(wb, bold, names[i], &t);
		pr_table_release(&t);
	}
	lxw_error ce = workbook_close(wb); /* frees wb whatever happened */
	if (rc == 0 && (xe || ce)) {
		snprintf(err, errlen, "cannot make the workbook: %s", lxw_strerror(xe ? xe : ce));
		rc = SL_EIO;
	}
	free(names);
	return rc;
}

int print_xlsx(const core *c, const char *race, sl_buf *out, char *err, size_t errlen)
{
	struct pr_event ev;
	const struct pr_race **races;
	size_t n = 0;
	const char *dir = getenv("TMPDIR");
	char path[512];
	int fd, rc = pr_event_load(c, &ev, err, errlen);

	if (rc < 0)
		return rc;
	races = sl_calloc(ev.nraces + 1, sizeof(*races));
	for (size_t i = 0; i < ev.nraces; i++)
		if (!race || strcmp(ev.races[i].id, race) == 0)
			races[n++] = &ev.races[i];
	if (race && n == 0) {
		snprintf(err, errlen, "no such race");
		rc = SL_ENOENT;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/splitline-xlsx-XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		snprintf(err, errlen, "cannot make the workbook: '%s': %s", path, strerror(errno));
		rc = SL_EIO;
		goto out;
	}
	close(fd);
	rc = workbook(c, &ev, races, n, path, err, errlen);
	if (rc == 0 && (rc = read_back(path, out)) < 0)
		snprintf(err, errlen, "cannot read the workbook back from '%s'", path);
	unlink(path);
out:
	free(races);
	pr_event_release(&ev);
	return rc;
}

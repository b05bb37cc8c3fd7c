/*
 * csvimport.c: participants CSV with libcsv, checked row by row.
 *
 * libcsv reports fields and record ends but not lines, so the text is fed
 * one physical line at a time: a record starts on the first line fed after
 * the previous record ended (blank lines, which libcsv skips, do not
 * count).  That gives every record the line it starts on, quoted newlines
 * included.
 *
 * The text is read twice.  The first pass takes the header, picks the
 * column of each field (--map, else the header spellings below) and looks
 * at the values only for what a header cannot say: whether dates like
 * 05/03/1990 are day or month first, whether a column holds values, and
 * which unnamed column may hold the bibs when none is named.  Then the
 * header's verdict is fixed (the columns to read, or the file refused),
 * and the second pass turns each record into its msgpack map at once,
 * appended to ci->mp.  Only the header, its column stats and three small
 * string sets (bibs, chips, regs, for uniqueness) live for the whole parse.
 * CSV syntax errors are reported by the second pass only, so each is said
 * once; both passes see the same records, cut at the same places.
 */
#include "csvimport.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvimport_int.h"
#include "ftext.h"

static void on_field(void *data, size_t len, void *p)
{
	csvimp__st *s = p;
	SL_GROW(s->f, s->capf, s->nf + 1);
	s->f[s->nf++] = sl_strndup(data ? data : "", data ? len : 0);
}

static void clear_record(csvimp__st *s)
{
	for (size_t i = 0; i < s->nf; i++)
		free(s->f[i]);
	s->nf = 0;
}

static void on_record(int c, void *p)
{
	csvimp__st *s = p;
	int line = s->rec_line ? s->rec_line : 1;
	(void)c;
	s->rec_line = 0;
	if (s->pass == 1) {
		if (!s->have_header)
			csvimp__take_header(s, line);
		else
			csvimp__scan_row(s, line);
	} else if (!s->header_passed) {
		s->header_passed = true; /* taken by pass 1 */
	} else if (!s->header_bad) {
		csvimp__take_row(s, line);
	}
	clear_record(s);
}

/* One pass over the text (see the top); pass 2 reports syntax errors.
 * Returns 0, SL_EPARSE on a syntax error, SL_EIO when libcsv cannot start. */
static int feed(csvimp__st *s, const char *buf, size_t len)
{
	struct csv_parser p;
	int rc = 0;
	if (csv_init(&p, CSV_APPEND_NULL) != 0)
		return SL_EIO;
	s->rec_line = 0;
	int line = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
		line++;
		if (!s->rec_line)
			s->rec_line = line;
		if (csv_parse(&p, buf + pos, n, on_field, on_record, s) != n) {
			if (s->pass == 2)
				csvimp__rowerr(s, line, "%s", csv_strerror(csv_error(&p)));
			rc = SL_EPARSE;
			break;
		}
		if (s->rec_line == line && s->nf == 0 && ftext_blank(buf + pos, n))
			s->rec_line = 0;
		pos += n;
	}
	/* strict only now: csv_fini reports an unterminated quote only in
	 * strict mode, while stray quotes inside fields are accepted above */
	csv_set_opts(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	if (!rc && csv_fini(&p, on_field, on_record, s) != 0) {
		if (s->pass == 2)
			csvimp__rowerr(s, s->rec_line ? s->rec_line : line,
				       "unterminated quoted field");
		rc = SL_EPARSE;
	}
	csv_free(&p);
	clear_record(s);
	return rc;
}

int csvimp_parse_mem(csvimp *ci, const char *name, const char *buf, size_t len,
		     const csvimp_opts *o)
{
	static const csvimp_opts none;
	csvimp__st s = {0};
	char err[256];
	int rc = 0;

	memset(ci, 0, sizeof(*ci));
	s.ci = ci;
	s.o = o ? o : &none;
	s.name = name;
	s.max_errors = s.o->max_errors ? s.o->max_errors : 50;
	if (csvimp__map_parse(&s.map, s.o->map, err, sizeof(err)) != 0) {
		sl_buf_addf(&ci->errs, "%s\n", err);
		ci->nerrors = 1;
		return SL_EINVAL;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	s.pass = 1;
	if (feed(&s, buf, len) == SL_EIO) {
		rc = SL_EIO;
		goto out;
	}
	csvimp__finish_header(&s);
	s.pass = 2;
	rc = feed(&s, buf, len);
	if (rc == SL_EIO)
		goto out;
	if (!s.have_header && !rc)
		csvimp__rowerr(&s, 1, "empty file: expected a header line");
	if (ci->nerrors > s.max_errors)
		sl_buf_addf(&ci->errs, "%s: ... and %zu more errors\n", name,
			    ci->nerrors - s.max_errors);
	rc = ci->nerrors ? SL_EPARSE : 0;
out:
	free(s.f);
	for (size_t i = 0; i < s.nhdr; i++)
		free(s.hdr[i]);
	free(s.hdr);
	free(s.kfield);
	free(s.ktier);
	free(s.claimed);
	free(s.stat);
	csvimp__sset_release(&s.bibs);
	csvimp__sset_release(&s.chips);
	csvimp__sset_release(&s.regs);
	csvimp__map_release(&s.map);
	return rc;
}

int csvimp_parse_file(csvimp *ci, const char *path, const csvimp_opts *o)
{
	sl_buf b = SL_BUF_INIT;
	const char *why;
	int rc = ftext_read(path, 0, &b, &why);
	if (rc) {
		sl_buf_release(&b);
		memset(ci, 0, sizeof(*ci));
		if (rc == SL_ENOENT)
			sl_buf_addf(&ci->errs, "cannot open '%s': %s\n", path, why);
		else
			sl_buf_addf(&ci->errs, "cannot read '%s': read error\n", path);
		ci->nerrors = 1;
		return SL_EIO;
	}
	rc = csvimp_parse_mem(ci, path, b.data ? b.data : "", b.len, o);
	sl_buf_release(&b);
	return rc;
}

void csvimp_release(csvimp *ci)
{
	sl_buf_release(&ci->mp);
	sl_buf_release(&ci->errs);
	free(ci->rows);
	for (size_t i = 0; i < ci->ncols; i++) {
		free(ci->cols[i].header);
		free(ci->cols[i].feeds);
		free(ci->cols[i].note);
	}
	free(ci->cols);
	memset(ci, 0, sizeof(*ci));
}

/* ---- what became of the columns ---- */

void csvimp_columns_text(const csvimp *ci, sl_buf *out)
{
	sl_buf label = SL_BUF_INIT;
	size_t w = 0;
	for (size_t j = 0; j < ci->ncols; j++) {
		sl_buf_reset(&label);
		csvimp__col_label(&label, ci->cols[j].header, j);
		if (label.len > w)
			w = label.len;
	}
	if (w > 30)
		w = 30;
	for (size_t j = 0; j < ci->ncols; j++) {
		const csvimp_col *c = &ci->cols[j];
		sl_buf_reset(&label);
		csvimp__col_label(&label, c->header, j);
		sl_buf_addf(out, "  %-*s -> %s", (int)w, label.data,
			    c->feeds ? c->feeds : "not imported");
		if (c->note)
			sl_buf_addf(out, " (%s)", c->note);
		sl_buf_addc(out, '\n');
	}
	sl_buf_release(&label);
}

size_t csvimp_unused_text(const csvimp *ci, sl_buf *out)
{
	size_t n = 0;
	for (size_t j = 0; j < ci->ncols; j++) {
		const csvimp_col *c = &ci->cols[j];
		if (c->feeds || (!*c->header && !c->values))
			continue;
		if (n++)
			sl_buf_adds(out, ", ");
		csvimp__col_label(out, c->header, j);
	}
	return n;
}

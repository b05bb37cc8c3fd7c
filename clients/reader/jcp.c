/*
 * jcp.c: JChip lines (see jcp.h).  Pure.
 */
#include "jcp.h"

#include <string.h>

/* "date=YYYYMMDD" anywhere among the tokens */
static int find_date(const char *s, size_t n, int32_t *day)
{
	for (size_t i = 0; i + 13 <= n; i++)
		if (memcmp(s + i, "date=", 5) == 0) {
			int64_t y = rdr_digits(s + i + 5, 4), mo = rdr_digits(s + i + 9, 2),
				d = rdr_digits(s + i + 11, 2);
			if (y < 0 || mo < 0 || d < 0)
				return SL_EPARSE;
			*day = rdr_days((int)y, (int)mo, (int)d);
			return *day == INT32_MIN ? SL_EPARSE : 0;
		}
	return 0;
}

static int hexval(const char *s, size_t n, int64_t *v)
{
	int64_t x = 0;
	if (n == 0 || n > 8)
		return SL_EPARSE;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return SL_EPARSE;
		x = x * 16 + d;
	}
	*v = x;
	return 0;
}

int jcp_parse(const char *s, size_t n, jcp_msg *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	rdr_raw_init(&m->raw);
	m->type = JCP_OTHER;
	if (n >= 1 && s[0] == 'N') {
		m->type = JCP_NAME;
		size_t skip = n >= 5 ? 5 : n; /* "N0000" */
		size_t l = n - skip;
		if (l > 64)
			return rdr_fail(err, errlen, "name: longer than 64 bytes");
		memcpy(m->name, s + skip, l);
		m->name[l] = '\0';
		return 0;
	}
	if (n >= 2 && s[0] == 'G' && s[1] == 'T') {
		m->type = JCP_TIME;
		/* GT0HHMMSShh */
		if (n < 11)
			return rdr_fail(err, errlen, "time: expected GT0HHMMSShh");
		int64_t h = rdr_digits(s + 3, 2), mi = rdr_digits(s + 5, 2), se = rdr_digits(s + 7, 2),
			hh = rdr_digits(s + 9, 2);
		if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || hh < 0)
			return rdr_fail(err, errlen, "time: expected GT0HHMMSShh");
		m->raw.tod = ((h * 60 + mi) * 60 + se) * 1000 + hh * 10;
		if (find_date(s, n, &m->raw.day))
			return rdr_fail(err, errlen, "time: bad date=YYYYMMDD");
		return 0;
	}
	if (n >= 2 && (s[0] == 'D' || s[0] == 'C') && s[1] == 'A') {
		m->type = JCP_READ;
		const char *tok[8];
		size_t tl[8], nt = 0, i = 2;
		while (i < n && nt < 8) {
			while (i < n && s[i] == ' ')
				i++;
			if (i >= n)
				break;
			size_t b = i;
			while (i < n && s[i] != ' ')
				i++;
			tok[nt] = s + b;
			tl[nt++] = i - b;
		}
		if (nt < 4)
			return rdr_fail(err, errlen, "read: expected DA<tag> <time> 10 <seq>");
		if (rdr_set_chip(&m->raw, tok[0], tl[0]))
			return rdr_fail(err, errlen, "read: bad tag");
		if (rdr_parse_tod(tok[1], tl[1], &m->raw.tod))
			return rdr_fail(err, errlen, "read: bad time HH:MM:SS.ff");
		if (hexval(tok[3], tl[3], &m->raw.no))
			return rdr_fail(err, errlen, "read: bad hex sequence number");
		if (find_date(s, n, &m->raw.day))
			return rdr_fail(err, errlen, "read: bad date=YYYYMMDD");
		return 0;
	}
	return 0;
}

void jcp_fmt_read(sl_buf *out, const rdr_raw *r)
{
	int64_t t = r->tod < 0 ? 0 : r->tod;
	sl_buf_addf(out, "DA%s %02d:%02d:%02d.%03d 10  %05llX      C7", r->chip,
		    (int)(t / 3600000), (int)(t / 60000 % 60), (int)(t / 1000 % 60), (int)(t % 1000),
		    (unsigned long long)(r->no & 0xFFFFF));
	if (r->day != INT32_MIN) {
		int y, mo, d;
		rdr_civil(r->day, &y, &mo, &d);
		sl_buf_addf(out, " date=%04d%02d%02d", y, mo, d);
	}
	sl_buf_addc(out, '\r');
}

void jcp_fmt_time(sl_buf *out, int64_t tod, int32_t day)
{
	int y, mo, d;
	rdr_civil(day, &y, &mo, &d);
	sl_buf_addf(out, "GT0%02d%02d%02d%02d date=%04d%02d%02d\r", (int)(tod / 3600000),
		    (int)(tod / 60000 % 60), (int)(tod / 1000 % 60), (int)(tod % 1000 / 10), y, mo,
		    d);
}

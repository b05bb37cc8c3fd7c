/*
 * rrp.c: RaceResult decoder lines (see rrp.h).  Pure.
 */
#include "rrp.h"

#include <string.h>

int rrp_parse(const char *line, size_t n, rrp_msg *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	rdr_raw_init(&m->raw);
	if (n == 0) {
		m->type = RRP_EMPTY;
		return 0;
	}
	if (n >= 3 && memcmp(line, "#P;", 3) == 0) {
		m->push = true;
		line += 3;
		n -= 3;
	}
	m->nf = rdr_split(line, n, ';', m->f, m->fl, RRP_MAX_FIELDS);
	bool num = rdr_digits(m->f[0], m->fl[0]) >= 0;
	if (!m->push && !num) {
		m->type = RRP_REPLY;
		return 0;
	}
	m->type = RRP_PASSING;
	if (m->nf < 4)
		return rdr_fail(err, errlen, "passing: fewer than 4 fields");
	rdr_raw *r = &m->raw;
	if ((r->no = rdr_digits(m->f[0], m->fl[0])) < 0)
		return rdr_fail(err, errlen, "passing field 1 (PassingNo): not a number");
	if (rdr_set_chip(r, m->f[1], m->fl[1]))
		return rdr_fail(err, errlen, "passing field 2 (Bib|TranspCode): bad chip code");
	const char *d = m->f[2];
	if (m->fl[2] != 10 || d[4] != '-' || d[7] != '-')
		return rdr_fail(err, errlen, "passing field 3 (Date): not YYYY-MM-DD");
	int64_t y = rdr_digits(d, 4), mo = rdr_digits(d + 5, 2), dd = rdr_digits(d + 8, 2);
	if (y < 0 || mo < 0 || dd < 0)
		return rdr_fail(err, errlen, "passing field 3 (Date): not YYYY-MM-DD");
	if (y != 0 || mo != 0 || dd != 0) {
		r->day = rdr_days((int)y, (int)mo, (int)dd);
		if (r->day == INT32_MIN)
			return rdr_fail(err, errlen, "passing field 3 (Date): no such date");
	}
	if (rdr_parse_tod(m->f[3], m->fl[3], &r->tod))
		return rdr_fail(err, errlen, "passing field 4 (Time): not hh:mm:ss.kkk");
	if (rdr_opt_int(m->f, m->fl, m->nf, 5, 0, 1000000, &r->hits))
		return rdr_fail(err, errlen, "passing field 6 (Hits): not a count");
	if (rdr_opt_int(m->f, m->fl, m->nf, 6, -200, 200, &r->rssi))
		return rdr_fail(err, errlen, "passing field 7 (MaxRSSI): not a dBm value");
	if (rdr_opt_int(m->f, m->fl, m->nf, 9, 0, 1000, &r->ant))
		return rdr_fail(err, errlen, "passing field 10 (Channel): not a number");
	return 0;
}

void rrp_fmt_passing(sl_buf *out, const rdr_raw *r, bool push)
{
	int y = 0, mo = 0, d = 0;
	if (r->day != INT32_MIN)
		rdr_civil(r->day, &y, &mo, &d);
	int64_t t = r->tod < 0 ? 0 : r->tod;
	sl_buf_addf(out,
		    "%s%lld;%s;%04d-%02d-%02d;%02d:%02d:%02d.%03d;1;%d;%d;0;0;%d;1;0;0;0;0;0;Box;0;1;1\r\n",
		    push ? "#P;" : "", (long long)r->no, r->chip, y, mo, d, (int)(t / 3600000),
		    (int)(t / 60000 % 60), (int)(t / 1000 % 60), (int)(t % 1000),
		    r->hits < 0 ? 1 : r->hits, r->rssi, r->ant);
}

/*
 * ctp.c: ChronoTrack CTP01 lines (see ctp.h).  Pure.
 */
#include "ctp.h"

#include <string.h>

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int parse_time(const char *s, size_t n, rdr_raw *r)
{
	const char *t = memchr(s, 'T', n);
	if (t) { /* iso */
		if (t - s != 10 || s[4] != '-' || s[7] != '-')
			return SL_EPARSE;
		int64_t y = rdr_digits(s, 4), mo = rdr_digits(s + 5, 2), d = rdr_digits(s + 8, 2);
		if (y < 0 || mo < 0 || d < 0)
			return SL_EPARSE;
		r->day = rdr_days((int)y, (int)mo, (int)d);
		if (r->day == INT32_MIN)
			return SL_EPARSE;
		return rdr_parse_tod(t + 1, n - 11, &r->tod);
	}
	if (memchr(s, ':', n))
		return rdr_parse_tod(s, n, &r->tod);
	/* unix seconds, optional fraction */
	const char *dot = memchr(s, '.', n);
	size_t il = dot ? (size_t)(dot - s) : n;
	int64_t sec = rdr_digits(s, il);
	if (sec < 0 || sec > 9999999999LL)
		return SL_EPARSE;
	int64_t ms = 0;
	if (dot) {
		size_t fl = n - il - 1;
		if (fl == 0 || fl > 9 || rdr_digits(dot + 1, fl) < 0)
			return SL_EPARSE;
		int scale = 100;
		for (size_t i = 0; i < fl && i < 3; i++, scale /= 10)
			ms += (dot[1 + i] - '0') * scale;
	}
	r->unix_ms = sec * 1000 + ms;
	return 0;
}

int ctp_parse(const char *line, size_t n, ctp_msg *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	rdr_raw_init(&m->raw);
	m->nf = rdr_split(line, n, '~', m->f, m->fl, CTP_MAX_FIELDS);
	if (eq(m->f[0], m->fl[0], "SimpleClient")) {
		m->type = CTP_HELLO;
		if (m->nf < 3 || !eq(m->f[2], m->fl[2], "CTP01"))
			return rdr_fail(err, errlen,
					"greeting: expected SimpleClient~<version>~CTP01");
		return 0;
	}
	if (eq(m->f[0], m->fl[0], "ack")) {
		m->type = CTP_ACK;
		if (m->nf < 2)
			return rdr_fail(err, errlen, "ack: no command");
		return 0;
	}
	if (m->fl[0] < 4 || memcmp(m->f[0], "CT01", 4) != 0) {
		m->type = CTP_OTHER;
		return 0;
	}
	m->type = CTP_READ;
	if (m->nf < 5)
		return rdr_fail(err, errlen, "read: fewer than 5 fields");
	rdr_raw *r = &m->raw;
	if ((r->no = rdr_digits(m->f[1], m->fl[1])) < 0)
		return rdr_fail(err, errlen, "read field 2 (seq): not a number");
	if (m->fl[2] > 64)
		return rdr_fail(err, errlen, "read field 3 (location): longer than 64 bytes");
	memcpy(m->loc, m->f[2], m->fl[2]);
	m->loc[m->fl[2]] = '\0';
	if (eq(m->f[3], m->fl[3], "guntime"))
		m->guntime = true;
	else if (eq(m->f[3], m->fl[3], "newlocation"))
		m->newlocation = true;
	if (rdr_set_chip(r, m->f[3], m->fl[3]))
		return rdr_fail(err, errlen, "read field 4 (tag): bad chip code");
	if (parse_time(m->f[4], m->fl[4], r))
		return rdr_fail(err, errlen,
				"read field 5 (time): not hh:mm:ss.ff, ISO or Unix seconds");
	if (rdr_opt_int(m->f, m->fl, m->nf, 5, 0, 1000000, &r->hits))
		return rdr_fail(err, errlen, "read field 6 (read count): not a count");
	if (rdr_opt_int(m->f, m->fl, m->nf, 7, 0, 1000, &r->ant))
		return rdr_fail(err, errlen, "read field 8 (antenna): not a number");
	return 0;
}

void ctp_fmt_read(sl_buf *out, const rdr_raw *r, const char *loc)
{
	int64_t t = r->tod < 0 ? 0 : r->tod;
	sl_buf_addf(out, "CT01_33~%lld~%s~%s~", (long long)r->no, loc, r->chip);
	if (r->day != INT32_MIN) {
		int y, mo, d;
		rdr_civil(r->day, &y, &mo, &d);
		sl_buf_addf(out, "%04d-%02d-%02dT", y, mo, d);
	}
	sl_buf_addf(out, "%02d:%02d:%02d.%03d~%d~1~%d\r\n", (int)(t / 3600000),
		    (int)(t / 60000 % 60), (int)(t / 1000 % 60), (int)(t % 1000),
		    r->hits < 0 ? 1 : r->hits, r->ant);
}

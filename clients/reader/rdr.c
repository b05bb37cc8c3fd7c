/*
 * rdr.c: shared helpers of the decoder line parsers (see rdr.h).  Pure.
 */
#include "rdr.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

void rdr_raw_init(rdr_raw *r)
{
	memset(r, 0, sizeof(*r));
	r->tod = -1;
	r->day = INT32_MIN;
	r->unix_ms = -1;
	r->no = -1;
	r->hits = -1;
}

int32_t rdr_days(int y, int m, int d)
{
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		return INT32_MIN;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d > mdays[m - 1])
		return INT32_MIN;
	/* Howard Hinnant's days_from_civil */
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int)doe - 719468;
}

void rdr_civil(int32_t z, int *yy, int *mm, int *dd)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int y = (int)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	*yy = y + (m <= 2);
	*mm = (int)m;
	*dd = (int)d;
}

int64_t rdr_time(const rdr_raw *r, int32_t day_default, int utc_off_min)
{
	if (r->unix_ms >= 0)
		return r->unix_ms;
	int32_t day = r->day != INT32_MIN ? r->day : day_default;
	return (int64_t)day * 86400000 + (r->tod < 0 ? 0 : r->tod) -
	       (int64_t)utc_off_min * 60000;
}

int64_t rdr_digits(const char *s, size_t n)
{
	int64_t v = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int rdr_parse_tod(const char *s, size_t n, int64_t *ms)
{
	size_t i = 0;
	while (i < n && i < 3 && s[i] != ':')
		i++;
	if (i == 0 || i > 2 || i + 6 > n || s[i] != ':' || s[i + 3] != ':')
		return SL_EPARSE;
	int64_t h = rdr_digits(s, i), m = rdr_digits(s + i + 1, 2), sec = rdr_digits(s + i + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
		return SL_EPARSE;
	size_t p = i + 6;
	int64_t frac = 0;
	if (p < n) {
		if (s[p] != '.' && s[p] != ',')
			return SL_EPARSE;
		p++;
		if (p >= n)
			return SL_EPARSE;
		int scale = 100;
		for (; p < n; p++) {
			if (s[p] < '0' || s[p] > '9')
				return SL_EPARSE;
			frac += (s[p] - '0') * scale;
			scale /= 10;
		}
	}
	*ms = ((h * 60 + m) * 60 + sec) * 1000 + frac;
	return 0;
}

int rdr_set_chip(rdr_raw *r, const char *s, size_t n)
{
	if (n == 0 || n > RDR_CHIP_MAX)
		return SL_EPARSE;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] >= 0x7f)
			return SL_EPARSE;
	memcpy(r->chip, s, n);
	r->chip[n] = '\0';
	return 0;
}

size_t rdr_split(const char *s, size_t n, char sep, const char **f, size_t *fl, size_t max)
{
	size_t k = 0, start = 0;
	if (max == 0)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || (s[i] == sep && k + 1 < max)) {
			f[k] = s + start;
			fl[k] = i - start;
			k++;
			start = i + 1;
			if (i == n)
				break;
		}
	}
	return k;
}

int rdr_int(const char *s, size_t n, int64_t *v)
{
	bool neg = n > 0 && (s[0] == '-' || s[0] == '+');
	int64_t x = rdr_digits(s + neg, n - neg);
	if (n == 0 || x < 0)
		return SL_EPARSE;
	*v = neg && s[0] == '-' ? -x : x;
	return 0;
}

int rdr_opt_int(const char *const *f, const size_t *fl, size_t nf, size_t k, int64_t lo, int64_t hi,
		int *out)
{
	int64_t v;
	if (k >= nf || fl[k] == 0)
		return 0;
	if (rdr_int(f[k], fl[k], &v) || v < lo || v > hi)
		return SL_EPARSE;
	*out = (int)v;
	return 0;
}

int rdr_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return SL_EPARSE;
}

void rdr_frame_init(rdr_frame *f, char term, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->term = term;
	f->max = max;
}

void rdr_frame_release(rdr_frame *f)
{
	sl_buf_release(&f->buf);
	sl_buf_release(&f->line);
}

void rdr_frame_feed(rdr_frame *f, const char *p, size_t n)
{
	if (f->pos > 0 && f->pos == f->buf.len) {
		sl_buf_reset(&f->buf);
		f->pos = 0;
	} else if (f->pos > 65536) {
		memmove(f->buf.data, f->buf.data + f->pos, f->buf.len - f->pos);
		f->buf.len -= f->pos;
		f->pos = 0;
	}
	sl_buf_add(&f->buf, p, n);
}

bool rdr_frame_next(rdr_frame *f, const char **line, size_t *len)
{
	for (;;) {
		const char *s = f->buf.data + f->pos;
		size_t avail = f->buf.len - f->pos;
		const char *e = avail ? memchr(s, f->term, avail) : NULL;
		if (!e) {
			if (avail > f->max) { /* overlong: drop what we have */
				if (!f->skipping)
					f->overflows++;
				f->skipping = true;
				f->pos = f->buf.len;
			}
			return false;
		}
		size_t n = (size_t)(e - s);
		f->pos += n + 1;
		if (f->skipping || n > f->max) {
			if (!f->skipping)
				f->overflows++;
			f->skipping = false;
			continue;
		}
		/* CRLF: a '\n' terminator drops a '\r' before it; a '\r'
		 * terminator drops a '\n' at the line's start */
		if (f->term == '\n' && n && s[n - 1] == '\r')
			n--;
		while (f->term != '\n' && n && (s[0] == '\n' || s[0] == '\r')) {
			s++;
			n--;
		}
		sl_buf_reset(&f->line);
		sl_buf_add(&f->line, s, n);
		*line = f->line.data ? f->line.data : "";
		*len = n;
		return true;
	}
}

/*
 * sl.c: the shared basics declared in sl.h: the error table, the
 * out-of-memory policy, sl_buf, hex, logging, the clock and the time text
 * helpers.
 *
 * Invariants: an sl_buf with data != NULL always has data[len] == '\0' and
 * cap > len; a fresh buffer (SL_BUF_INIT) has data == NULL, and every
 * function here treats it as the empty string.  Allocation failures are not
 * errors a caller can handle: they are logged and abort(), so no caller ever
 * checks for NULL.
 *
 * The time parsers are strict on purpose: they read cells from files written
 * by people and spreadsheets ("0.124548611", "-", "1:60:00"), and a cell that
 * is not exactly a time must be reported, never guessed.
 */
#include "sl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- errors ------------------------------------------------------------ */

/* One row per SL_ERRNO_MAP entry; the three lookups below read it. */
static const struct errrow {
	int err;
	const char *code;
	enum sl_retry retry;
	const char *msg;
} errtab[] = {
#define SL_XX(name, val, code, retry, msg) {SL_E##name, code, SL_RETRY_##retry, msg},
	SL_ERRNO_MAP(SL_XX)
#undef SL_XX
};

static const struct errrow *errrow(int err)
{
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].err == err)
			return &errtab[i];
	return NULL;
}

const char *sl_strerror(int err)
{
	const struct errrow *r = errrow(err);
	return err == 0 ? "success" : r ? r->msg : "unknown error";
}

const char *sl_errcode(int err)
{
	const struct errrow *r = errrow(err);
	return err == 0 ? "ok" : r ? r->code : "internal";
}

enum sl_retry sl_err_retry(int err)
{
	const struct errrow *r = errrow(err);
	return r ? r->retry : SL_RETRY_NO;
}

/* ---- allocation -------------------------------------------------------- */

static void oom(size_t n)
{
	/* No allocation here: write the message with what is on the stack. */
	char msg[96];
	int len = snprintf(msg, sizeof(msg), "fatal: out of memory allocating %zu bytes\n", n);
	if (len > 0)
		(void)!fwrite(msg, 1, (size_t)len, stderr);
	abort();
}

void *sl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *sl_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	return p;
}

void *sl_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *sl_strdup(const char *s)
{
	return sl_strndup(s, strlen(s));
}

char *sl_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = sl_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void sl_free_many(void *const *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
}

void sl_grow(void **p, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return;
	size_t ncap = *cap < 8 ? 8 : *cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (sz && ncap > SIZE_MAX / sz)
		oom(SIZE_MAX);
	*p = sl_realloc(*p, ncap * sz);
	*cap = ncap;
}

/* ---- sl_buf ------------------------------------------------------------ */

void sl_buf_init(sl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void sl_buf_release(sl_buf *b)
{
	free(b->data);
	sl_buf_init(b);
}

void sl_buf_reset(sl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sl_buf_reserve(sl_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		oom(SIZE_MAX);
	sl_grow((void **)&b->data, &b->cap, b->len + extra + 1, 1);
}

void sl_buf_add(sl_buf *b, const void *p, size_t n)
{
	sl_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void sl_buf_adds(sl_buf *b, const char *s)
{
	sl_buf_add(b, s, strlen(s));
}

void sl_buf_addc(sl_buf *b, char c)
{
	sl_buf_add(b, &c, 1);
}

void sl_buf_vaddf(sl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	sl_buf_reserve(b, 64);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->data[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		sl_buf_reserve(b, (size_t)n);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		if (n < 0) {
			b->data[b->len] = '\0';
			return;
		}
	}
	b->len += (size_t)n;
}

void sl_buf_addf(sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *sl_buf_detach(sl_buf *b, size_t *len)
{
	char *p = b->data ? b->data : sl_calloc(1, 1);
	if (len)
		*len = b->len;
	sl_buf_init(b);
	return p;
}

/* ---- hex ---------------------------------------------------------------- */

void sl_hex(char *out, const void *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = b;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- logging ----------------------------------------------------------- */

int sl_log_level = SL_LOG_INFO;
static char log_prefix[64];

void sl_log_set_prefix(const char *prog)
{
	const char *slash = prog ? strrchr(prog, '/') : NULL;
	snprintf(log_prefix, sizeof(log_prefix), "%s", slash ? slash + 1 : prog ? prog : "");
}

void sl_logf(int level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	int saved = errno;
	char line[1024];
	size_t n = 0;
	const char *lv = level >= 0 && level <= SL_LOG_DEBUG ? names[level] : "log";

	if (log_prefix[0])
		n = (size_t)snprintf(line, sizeof(line), "%s: %s: ", log_prefix, lv);
	else
		n = (size_t)snprintf(line, sizeof(line), "%s: ", lv);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += (size_t)m;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep room for the newline */
	while (n && line[n - 1] == '\n')
		n--;
	line[n++] = '\n';
	/* One write per line, so that lines of concurrent writers do not mix. */
	if (fwrite(line, 1, n, stderr) != n)
		clearerr(stderr);
	errno = saved;
}

/* ---- clock -------------------------------------------------------------- */

int64_t sl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- time text ---------------------------------------------------------- */

/* Read between min and max digits at *p; advance *p.  -1 if fewer than min. */
static int64_t digits(const char **p, int min, int max)
{
	int64_t v = 0;
	int n = 0;
	while (n < max && (*p)[n] >= '0' && (*p)[n] <= '9') {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n < min)
		return -1;
	*p += n;
	return v;
}

/* ".f" .. ".f{maxd}" -> ms (digits past the third are truncated).  0 if none. */
static int fraction(const char **p, int maxd, int64_t *ms)
{
	*ms = 0;
	if (**p != '.')
		return 0;
	(*p)++;
	int n = 0;
	int64_t v = 0;
	while ((*p)[n] >= '0' && (*p)[n] <= '9') {
		if (n < 3)
			v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n == 0 || n > maxd)
		return SL_EPARSE;
	for (int i = n; i < 3; i++)
		v *= 10;
	*p += n;
	*ms = v;
	return 0;
}

int sl_parse_hms(const char *s, int64_t *ms)
{
	const char *p = s;
	int64_t f[3];
	int nf = 0, frac;
	int64_t fms;

	if (!s)
		return SL_EPARSE;
	/* Up to three colon-separated fields; the first may be 1-3 digits
	 * (multi-day events), the others exactly two. */
	f[nf] = digits(&p, 1, 3);
	if (f[nf++] < 0)
		return SL_EPARSE;
	while (*p == ':' && nf < 3) {
		p++;
		f[nf] = digits(&p, 2, 2);
		if (f[nf++] < 0)
			return SL_EPARSE;
	}
	if (nf < 2)
		return SL_EPARSE; /* "0.124548611", "42" */
	frac = fraction(&p, 3, &fms);
	if (frac < 0 || *p != '\0')
		return SL_EPARSE;
	int64_t h = 0, m, sec;
	if (nf == 3) {
		h = f[0];
		m = f[1];
		sec = f[2];
	} else {
		if (f[0] > 99)
			return SL_EPARSE;
		m = f[0];
		sec = f[1];
	}
	if (m > 59 || sec > 59)
		return SL_EPARSE;
	*ms = ((h * 60 + m) * 60 + sec) * 1000 + fms;
	return 0;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int sl_parse_iso(const char *s, int64_t *ms)
{
	return sl_parse_iso_ex(s, ms, NULL);
}

int sl_parse_iso_ex(const char *s, int64_t *ms, bool *zoned)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	int64_t y, mo, d, h = 0, mi = 0, sec = 0, fms = 0, off = 0;

	if (zoned)
		*zoned = false;
	if (!s)
		return SL_EPARSE;
	if ((y = digits(&p, 4, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2, 2)) < 0 ||
	    *p++ != '-' || (d = digits(&p, 2, 2)) < 0)
		return SL_EPARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return SL_EPARSE;
	if (*p == 'T') {
		p++;
		if ((h = digits(&p, 2, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2, 2)) < 0 ||
		    *p++ != ':' || (sec = digits(&p, 2, 2)) < 0)
			return SL_EPARSE;
		if (h > 23 || mi > 59 || sec > 59)
			return SL_EPARSE;
		if (fraction(&p, 9, &fms) < 0)
			return SL_EPARSE;
		if (*p == 'Z') {
			p++;
			if (zoned)
				*zoned = true;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			int64_t oh, om;
			if ((oh = digits(&p, 2, 2)) < 0 || *p++ != ':' ||
			    (om = digits(&p, 2, 2)) < 0 || oh > 23 || om > 59)
				return SL_EPARSE;
			off = sign * (oh * 60 + om) * 60;
			if (zoned)
				*zoned = true;
		}
	}
	if (*p != '\0')
		return SL_EPARSE;

	struct tm tm = {0};
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	time_t t = timegm(&tm);
	/* Local time = UTC + offset, so UTC = local - offset. */
	*ms = ((int64_t)t - off) * 1000 + fms;
	return 0;
}

/* Floor division, so that times before the epoch format correctly. */
static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void sl_fmt_hms(sl_buf *b, int64_t ms, int prec_ms)
{
	uint64_t u;
	if (ms < 0) {
		sl_buf_addc(b, '-');
		u = (uint64_t)0 - (uint64_t)ms;
	} else {
		u = (uint64_t)ms;
	}
	uint64_t sec = u / 1000, frac = u % 1000;
	sl_buf_addf(b, "%llu:%02u:%02u", (unsigned long long)(sec / 3600),
		    (unsigned)(sec / 60 % 60), (unsigned)(sec % 60));
	/* Digits shown follow the precision; the rest is truncated, not rounded. */
	if (prec_ms >= 100 && prec_ms < 1000)
		sl_buf_addf(b, ".%01u", (unsigned)(frac / 100));
	else if (prec_ms >= 10 && prec_ms < 100)
		sl_buf_addf(b, ".%02u", (unsigned)(frac / 10));
	else if (prec_ms < 10)
		sl_buf_addf(b, ".%03u", (unsigned)frac);
}

void sl_fmt_iso(sl_buf *b, int64_t ms)
{
	int64_t sec = floordiv(ms, 1000);
	int frac = (int)(ms - sec * 1000);
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		sl_buf_adds(b, "invalid-time");
		return;
	}
	sl_buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void sl_utf8_clean(sl_buf *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (p && *p) {
		unsigned char c = *p;
		/* the length of a well-formed sequence starting at p, 0 if none */
		size_t len = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
		unsigned char lo = 0x80, hi = 0xbf; /* bounds of the second byte */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
		for (size_t k = 1; k < len; k++)
			if (p[k] < (k == 1 ? lo : 0x80) || p[k] > (k == 1 ? hi : 0xbf))
				len = 0;
		if (len == 0) {
			sl_buf_addc(o, '?');
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			sl_buf_addc(o, ' ');
			p++;
		} else {
			sl_buf_add(o, p, len);
			p += len;
		}
	}
}

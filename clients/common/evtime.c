/*
 * evtime.c: wall times in the event's zone (see evtime.h).
 *
 * The C library does the zone arithmetic: TZ is set to ":<zone>" (the
 * colon makes glibc read the zone file, never parse the name as a POSIX
 * rule), mktime() turns a wall time into an instant and localtime_r() an
 * instant back into a wall time with its offset (tm_gmtoff).  A wall time
 * is tried as standard time, as daylight time and as "either"; the
 * instants that really show that wall time in the zone are its readings:
 * none (skipped when clocks go forward), one, or two (clocks go back).
 */
#include "evtime.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evkeys.h"

/* ---- TZ for the length of a conversion ---- */

struct tzsave {
	char *old; /* TZ before, or NULL when unset */
	bool had;
};

static void tz_enter(struct tzsave *s, const char *tz)
{
	const char *old = getenv("TZ");
	s->had = old != NULL;
	s->old = old ? sl_strdup(old) : NULL;
	sl_buf b = SL_BUF_INIT;
	sl_buf_addf(&b, ":%s", tz);
	setenv("TZ", b.data, 1);
	sl_buf_release(&b);
	tzset();
}

static void tz_leave(struct tzsave *s)
{
	if (s->had)
		setenv("TZ", s->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(s->old);
	s->old = NULL;
}

static const char *zonedir(void)
{
	const char *d = getenv("TZDIR");
	return d && *d ? d : "/usr/share/zoneinfo";
}

int evtime_zone_check(const char *tz, char *err, size_t errlen)
{
	if (!tz || !evkeys_tz_name_ok(tz, strlen(tz))) {
		snprintf(err, errlen, "'%s' is not a time zone name such as America/New_York",
			 tz ? tz : "");
		return SL_EINVAL;
	}
	sl_buf path = SL_BUF_INIT;
	sl_buf_addf(&path, "%s/%s", zonedir(), tz);
	FILE *f = fopen(path.data, "rb");
	char magic[4];
	bool ok = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	if (f)
		fclose(f);
	if (!ok)
		snprintf(err, errlen,
			 "'%s' is not a time zone (no zone file '%s'; is tzdata installed?)", tz,
			 path.data);
	sl_buf_release(&path);
	return ok ? 0 : SL_EINVAL;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool civil_ok(int y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= mdays[mo - 1] + (mo == 2 && is_leap(y)) && h >= 0 && h <= 23 && mi >= 0 &&
	       mi <= 59 && s >= 0 && s <= 59;
}

/* "+hh:mm" into out (8 bytes); zones are within a day of UTC */
static void fmt_offset(char out[8], long gmtoff)
{
	unsigned m = (unsigned)((gmtoff < 0 ? -gmtoff : gmtoff) / 60 % 1440);
	snprintf(out, 8, "%c%02u:%02u", gmtoff < 0 ? '-' : '+', m / 60 % 24, m % 60);
}

int evtime_local(const char *tz, int y, int mo, int d, int h, int mi, int s, int ms, int64_t *out,
		 char *err, size_t errlen)
{
	static const int tries[] = {0, 1, -1};
	char wall[40];
	time_t found[3];
	long offs[3];
	int nfound = 0;

	snprintf(wall, sizeof(wall), "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, s);
	if (!civil_ok(y, mo, d, h, mi, s) || ms < 0 || ms > 999) {
		snprintf(err, errlen, "'%s' is not a time", wall);
		return SL_EINVAL;
	}
	if (evtime_zone_check(tz, err, errlen) < 0)
		return SL_EINVAL;
	struct tzsave sv;
	tz_enter(&sv, tz);
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct tm tm = {0}, back;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = s;
		tm.tm_isdst = tries[i];
		errno = 0;
		time_t t = mktime(&tm);
		if (t == (time_t)-1 && errno)
			continue;
		if (!localtime_r(&t, &back) || back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
		    back.tm_mday != d || back.tm_hour != h || back.tm_min != mi || back.tm_sec != s)
			continue; /* not a reading of this wall time */
		bool seen = false;
		for (int k = 0; k < nfound; k++)
			seen |= found[k] == t;
		if (!seen) {
			found[nfound] = t;
			offs[nfound++] = back.tm_gmtoff;
		}
	}
	tz_leave(&sv);
	if (nfound == 0) {
		snprintf(err, errlen,
			 "%s does not exist in %s (the clocks skip it): give the time with its "
			 "offset",
			 wall, tz);
		return SL_EINVAL;
	}
	if (nfound > 1) {
		char a[8], b[8];
		fmt_offset(a, offs[0] > offs[1] ? offs[0] : offs[1]);
		fmt_offset(b, offs[0] > offs[1] ? offs[1] : offs[0]);
		snprintf(err, errlen,
			 "%s happens twice in %s (the clocks go back): give the offset, %s%s or "
			 "%s%s",
			 wall, tz, wall, a, wall, b);
		return SL_EINVAL;
	}
	*out = (int64_t)found[0] * 1000 + ms;
	return 0;
}

void evtime_fmt(sl_buf *b, int64_t ms, const char *tz)
{
	char why[256];
	if (!tz || evtime_zone_check(tz, why, sizeof(why)) < 0) {
		sl_fmt_iso(b, ms); /* the C library would say UTC with the zone's name */
		return;
	}
	int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int frac = (int)(ms - sec * 1000);
	time_t t = (time_t)sec;
	struct tm tm;
	struct tzsave sv;
	char off[8];
	tz_enter(&sv, tz);
	bool ok = localtime_r(&t, &tm) != NULL;
	tz_leave(&sv);
	if (!ok) {
		sl_buf_adds(b, "invalid-time");
		return;
	}
	fmt_offset(off, tm.tm_gmtoff);
	sl_buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (frac)
		sl_buf_addf(b, ".%03d", frac);
	sl_buf_adds(b, off);
}

/* Length of the UTC instant at s (YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z), or 0. */
static size_t utc_instant_len(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i = 0;
	for (; shape[i]; i++) {
		if (i >= n)
			return 0;
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	}
	if (i < n && s[i] == '.') {
		size_t f = ++i;
		while (i < n && i - f < 3 && isdigit((unsigned char)s[i]))
			i++;
		if (i == f)
			return 0;
	}
	return i < n && s[i] == 'Z' ? i + 1 : 0;
}

void evtime_relocalize(sl_buf *out, const char *text, size_t n, const char *tz)
{
	char why[256], one[32];
	bool zone = tz && *tz && evtime_zone_check(tz, why, sizeof(why)) == 0;
	size_t i = 0, from = 0;
	while (zone && i < n) {
		size_t len = (i == 0 || !isdigit((unsigned char)text[i - 1]))
				     ? utc_instant_len(text + i, n - i)
				     : 0;
		int64_t ms;
		if (len && len < sizeof(one)) {
			memcpy(one, text + i, len);
			one[len] = '\0';
			if (sl_parse_iso(one, &ms) == 0) {
				sl_buf_add(out, text + from, i - from);
				evtime_fmt(out, ms, tz);
				i += len;
				from = i;
				continue;
			}
		}
		i++;
	}
	sl_buf_add(out, text + from, n - from);
}

/* Civil fields of an ISO text without offset, read as if UTC by sl_parse_iso. */
static int iso_fields(const char *text, int f[7])
{
	int64_t ms;
	bool zoned;
	if (sl_parse_iso_ex(text, &ms, &zoned) < 0 || zoned)
		return SL_EINVAL;
	int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return SL_EINVAL;
	f[0] = tm.tm_year + 1900;
	f[1] = tm.tm_mon + 1;
	f[2] = tm.tm_mday;
	f[3] = tm.tm_hour;
	f[4] = tm.tm_min;
	f[5] = tm.tm_sec;
	f[6] = (int)(ms - sec * 1000);
	return 0;
}

int evtime_zone_iso(const char *text, const char *tz, sl_buf *out, int64_t *ms, char *err,
		    size_t errlen)
{
	int f[7];
	if (iso_fields(text, f) < 0) {
		snprintf(err, errlen, "'%s' is not a time without an offset (2015-04-20T10:00:00)",
			 text);
		return SL_EINVAL;
	}
	if (evtime_local(tz, f[0], f[1], f[2], f[3], f[4], f[5], f[6], ms, err, errlen) < 0)
		return SL_EINVAL;
	evtime_fmt(out, *ms, tz);
	return 0;
}

/* "H:MM", "HH:MM", "HH:MM:SS", "HH:MM:SS.f..fff" -> fields; -1 when not one. */
static int clock_fields(const char *s, int *h, int *mi, int *sec, int *ms)
{
	const char *p = s;
	int n = 0, v[3] = {0, 0, 0}, nf = 0;
	*ms = 0;
	while (nf < 3) {
		int digits = 0, x = 0;
		while (isdigit((unsigned char)*p) && digits < 3) {
			x = x * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 2 || (nf > 0 && digits != 2))
			return -1;
		v[nf++] = x;
		if (*p != ':')
			break;
		p++;
	}
	if (nf < 2)
		return -1;
	if (*p == '.' && nf == 3) {
		p++;
		int scale = 100;
		while (isdigit((unsigned char)*p) && n < 3) {
			*ms += (*p++ - '0') * scale;
			scale /= 10;
			n++;
		}
		if (n == 0)
			return -1;
	}
	if (*p != '\0' || v[0] > 23 || v[1] > 59 || v[2] > 59)
		return -1;
	*h = v[0];
	*mi = v[1];
	*sec = v[2];
	return 0;
}

int evtime_kind(const char *s)
{
	int64_t v;
	bool zoned;
	int h, mi, sec, frac;
	if (strcmp(s, "now") == 0)
		return EVTIME_NOW;
	if (sl_parse_iso_ex(s, &v, &zoned) == 0)
		return zoned ? EVTIME_INSTANT : EVTIME_LOCAL;
	if (clock_fields(s, &h, &mi, &sec, &frac) == 0)
		return EVTIME_CLOCK;
	return EVTIME_BAD;
}

int evtime_parse(const char *s, const char *tz, const char *date, int64_t *ms, char *err,
		 size_t errlen)
{
	int64_t v;
	bool zoned;
	int h, mi, sec, frac, y, mo, d;
	char tail;

	if (strcmp(s, "now") == 0) {
		*ms = sl_now_ms();
		return 0;
	}
	if (sl_parse_iso_ex(s, &v, &zoned) == 0) {
		if (zoned) {
			*ms = v;
			return 0;
		}
		if (!tz) {
			snprintf(err, errlen,
				 "'%s' has no UTC offset and the event has no timezone: write the "
				 "offset (Z, +hh:mm or -hh:mm) or add a timezone to the event's "
				 "config",
				 s);
			return SL_EINVAL;
		}
		sl_buf tmp = SL_BUF_INIT;
		int rc = evtime_zone_iso(s, tz, &tmp, ms, err, errlen);
		sl_buf_release(&tmp);
		return rc;
	}
	if (clock_fields(s, &h, &mi, &sec, &frac) == 0) {
		if (!tz || !date) {
			snprintf(err, errlen,
				 "'%s' is a clock time and the event has no %s to read it in: give "
				 "an "
				 "ISO 8601 time with its offset (2015-04-20T10:00:00-04:00) or add "
				 "a "
				 "timezone to the event's config",
				 s, !date ? "date" : "timezone");
			return SL_EINVAL;
		}
		if (sscanf(date, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3) {
			snprintf(err, errlen, "the event's date '%s' is not YYYY-MM-DD", date);
			return SL_EINVAL;
		}
		return evtime_local(tz, y, mo, d, h, mi, sec, frac, ms, err, errlen);
	}
	snprintf(err, errlen,
		 "'%s' is not a time: give HH:MM[:SS] (on the event's date, in its zone), ISO 8601 "
		 "or now",
		 s);
	return SL_EINVAL;
}

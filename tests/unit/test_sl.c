/*
 * test_sl.c: the shared basics (protocol/sl.c): error table, sl_buf, the
 * time parsers and formatters.  The bad time cells are taken from the real
 * race files (see data/README.md).
 */
#include "evkeys.h"
#include "sl.h"

#include "t.h"

static void errors_have_codes_and_sentences(void)
{
	ASSERT_STREQ(sl_strerror(0), "success");
	ASSERT_STREQ(sl_strerror(SL_EPARSE), "malformed input");
	ASSERT_STREQ(sl_errcode(SL_EPARSE), "bad_request");
	ASSERT_STREQ(sl_errcode(SL_ETYPE), "unknown_type");
	ASSERT_STREQ(sl_errcode(SL_ETOOBIG), "too_large");
	ASSERT_STREQ(sl_errcode(SL_EUNAVAIL), "unavailable");
	ASSERT_STREQ(sl_errcode(SL_EFULL), "busy");
	ASSERT_STREQ(sl_errcode(SL_EDUP), "duplicate");
	ASSERT_EQ(SL_EDUP, -15);
	ASSERT_STREQ(sl_strerror(-999), "unknown error");
	ASSERT_STREQ(sl_errcode(-999), "internal");
}

static void buf_grows_and_stays_terminated(void)
{
	sl_buf b = SL_BUF_INIT;
	sl_buf_adds(&b, "abc");
	sl_buf_addc(&b, '-');
	for (int i = 0; i < 1000; i++)
		sl_buf_addf(&b, "%d,", i);
	ASSERT(b.len > 3000);
	ASSERT_EQ(b.data[b.len], 0);
	ASSERT(strncmp(b.data, "abc-0,1,2,", 10) == 0);
	ASSERT(strstr(b.data, ",999,") != NULL);
	ASSERT_EQ(strlen(b.data), b.len);

	/* A long formatted string takes the second vsnprintf path. */
	sl_buf_reset(&b);
	ASSERT_EQ(b.len, 0);
	ASSERT_STREQ(b.data, "");
	char big[500];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	sl_buf_addf(&b, "[%s]", big);
	ASSERT_EQ(b.len, 501);
	ASSERT_EQ(b.data[500], ']');

	size_t n;
	char *p = sl_buf_detach(&b, &n);
	ASSERT_EQ(n, 501);
	ASSERT(b.data == NULL && b.len == 0);
	free(p);

	/* Detaching a never-used buffer still gives an owned empty string. */
	p = sl_buf_detach(&b, &n);
	ASSERT_STREQ(p, "");
	ASSERT_EQ(n, 0);
	free(p);
	sl_buf_release(&b);
}

static void grow_keeps_elements(void)
{
	int *a = NULL;
	size_t cap = 0;
	for (int i = 0; i < 100; i++) {
		SL_GROW(a, cap, (size_t)i + 1);
		a[i] = i * 3;
	}
	ASSERT(cap >= 100);
	ASSERT_EQ(a[0], 0);
	ASSERT_EQ(a[99], 297);
	free(a);
	char *s = sl_strndup("abcdef", 3);
	ASSERT_STREQ(s, "abc");
	free(s);
	s = sl_strndup("ab", 10);
	ASSERT_STREQ(s, "ab");
	free(s);
}

static int64_t hms(const char *s)
{
	int64_t ms = -12345;
	int rc = sl_parse_hms(s, &ms);
	return rc < 0 ? rc : ms;
}

static void parse_hms_good(void)
{
	ASSERT_EQ(hms("2:09:17"), (2 * 3600 + 9 * 60 + 17) * 1000LL);
	ASSERT_EQ(hms("0:14:43"), (14 * 60 + 43) * 1000LL);
	ASSERT_EQ(hms("02:09:17"), (2 * 3600 + 9 * 60 + 17) * 1000LL);
	ASSERT_EQ(hms("14:43"), (14 * 60 + 43) * 1000LL);
	ASSERT_EQ(hms("4:03"), (4 * 60 + 3) * 1000LL);
	ASSERT_EQ(hms("2:09:17.5"), 7757500);
	ASSERT_EQ(hms("2:09:17.25"), 7757250);
	ASSERT_EQ(hms("2:09:17.125"), 7757125);
	ASSERT_EQ(hms("0:00:00"), 0);
	ASSERT_EQ(hms("26:00:01"), (26 * 3600 + 1) * 1000LL);
	ASSERT_EQ(hms("100:00:00"), 100 * 3600 * 1000LL);
	ASSERT_EQ(hms("59:59.999"), 3599999);
}

static void parse_hms_bad_cells(void)
{
	/* Boston 2015 bib 3820: a spreadsheet day fraction. */
	ASSERT_EQ(hms("0.124548611"), SL_EPARSE);
	ASSERT_EQ(hms("-"), SL_EPARSE);
	ASSERT_EQ(hms(""), SL_EPARSE);
	ASSERT_EQ(hms("1:60:00"), SL_EPARSE);
	ASSERT_EQ(hms("1:00:60"), SL_EPARSE);
	ASSERT_EQ(hms("60:00"), SL_EPARSE);
	ASSERT_EQ(hms("1:2:03"), SL_EPARSE);
	ASSERT_EQ(hms("1:02:3"), SL_EPARSE);
	ASSERT_EQ(hms("2:09:17."), SL_EPARSE);
	ASSERT_EQ(hms("2:09:17.1234"), SL_EPARSE);
	ASSERT_EQ(hms("2:09:17 "), SL_EPARSE);
	ASSERT_EQ(hms(" 2:09:17"), SL_EPARSE);
	ASSERT_EQ(hms("1:02:03:04"), SL_EPARSE);
	ASSERT_EQ(hms("-1:02:03"), SL_EPARSE);
	ASSERT_EQ(hms("1000:00:00"), SL_EPARSE);
	ASSERT_EQ(hms("42"), SL_EPARSE);
	ASSERT_EQ(hms("1:02:03Z"), SL_EPARSE);
	ASSERT_EQ(hms("\xe2\x80\x93"), SL_EPARSE); /* the en dash of the Chicago file */
	ASSERT_EQ(hms(NULL), SL_EPARSE);
}

static int64_t iso(const char *s)
{
	int64_t ms = -12345;
	int rc = sl_parse_iso(s, &ms);
	return rc < 0 ? rc : ms;
}

static void parse_iso(void)
{
	/* 2015-04-20T14:00:00Z = 1429538400 (Boston 2015, wave 1: 10:00 EDT). */
	ASSERT_EQ(iso("2015-04-20T14:00:00Z"), 1429538400000LL);
	ASSERT_EQ(iso("2015-04-20T10:00:00-04:00"), 1429538400000LL);
	ASSERT_EQ(iso("2015-04-20T16:30:00+02:30"), 1429538400000LL);
	ASSERT_EQ(iso("2015-04-20T14:00:00"), 1429538400000LL);
	ASSERT_EQ(iso("2015-04-20T14:00:00.123Z"), 1429538400123LL);
	ASSERT_EQ(iso("2015-04-20T14:00:00.1Z"), 1429538400100LL);
	ASSERT_EQ(iso("2015-04-20T14:00:00.123456Z"), 1429538400123LL);
	ASSERT_EQ(iso("2015-04-20"), 1429488000000LL);
	ASSERT_EQ(iso("1970-01-01"), 0);
	ASSERT_EQ(iso("1969-12-31T23:59:59.500Z"), -500);
	ASSERT_EQ(iso("2024-02-29"), 1709164800000LL);

	ASSERT_EQ(iso("2023-02-29"), SL_EPARSE);
	ASSERT_EQ(iso("2015-13-01"), SL_EPARSE);
	ASSERT_EQ(iso("2015-04-31"), SL_EPARSE);
	ASSERT_EQ(iso("2015-04-20T24:00:00Z"), SL_EPARSE);
	ASSERT_EQ(iso("2015-04-20T10:00Z"), SL_EPARSE);
	ASSERT_EQ(iso("2015-04-20T10:00:00+0400"), SL_EPARSE);
	ASSERT_EQ(iso("2015-04-20T10:00:00ZZ"), SL_EPARSE);
	ASSERT_EQ(iso("2015-04-20T10:00:00."), SL_EPARSE);
	ASSERT_EQ(iso("2015-04-20 10:00:00"), SL_EPARSE);
	ASSERT_EQ(iso("2015-4-20"), SL_EPARSE);
	ASSERT_EQ(iso("now"), SL_EPARSE);
	ASSERT_EQ(iso(""), SL_EPARSE);
}

static const char *fmt_hms(int64_t ms, int prec)
{
	static sl_buf b = SL_BUF_INIT;
	sl_buf_reset(&b);
	sl_fmt_hms(&b, ms, prec);
	return b.data;
}

static void format_hms(void)
{
	ASSERT_STREQ(fmt_hms(7757000, 1000), "2:09:17");
	ASSERT_STREQ(fmt_hms(7757999, 1000), "2:09:17"); /* truncated, not rounded */
	ASSERT_STREQ(fmt_hms(7757987, 100), "2:09:17.9");
	ASSERT_STREQ(fmt_hms(7757987, 10), "2:09:17.98");
	ASSERT_STREQ(fmt_hms(7757987, 1), "2:09:17.987");
	ASSERT_STREQ(fmt_hms(5, 1), "0:00:00.005");
	ASSERT_STREQ(fmt_hms(0, 1000), "0:00:00");
	ASSERT_STREQ(fmt_hms(100 * 3600 * 1000LL, 1000), "100:00:00");
	ASSERT_STREQ(fmt_hms(-61000, 1000), "-0:01:01");
	/* What is formatted parses back. */
	int64_t ms;
	ASSERT_EQ(sl_parse_hms(fmt_hms(7757987, 1), &ms), 0);
	ASSERT_EQ(ms, 7757987);
}

static void format_iso(void)
{
	sl_buf b = SL_BUF_INIT;
	sl_fmt_iso(&b, 1429538400123LL);
	ASSERT_STREQ(b.data, "2015-04-20T14:00:00.123Z");
	sl_buf_reset(&b);
	sl_fmt_iso(&b, -500);
	ASSERT_STREQ(b.data, "1969-12-31T23:59:59.500Z");
	int64_t ms;
	ASSERT_EQ(sl_parse_iso(b.data, &ms), 0);
	ASSERT_EQ(ms, -500);
	sl_buf_release(&b);
}

static void now_is_plausible(void)
{
	int64_t t = sl_now_ms();
	ASSERT(t > 1700000000000LL);   /* after Nov 2023 */
	ASSERT(t < 4102444800000LL);   /* before 2100 */
}

static void log_respects_level(void)
{
	/* Only checks that filtered levels do not evaluate their arguments. */
	int calls = 0;
	int saved = sl_log_level;
	sl_log_set_prefix("/usr/bin/test_sl");
	sl_log_level = SL_LOG_ERROR;
	sl_debug("never %d", ++calls);
	ASSERT_EQ(calls, 0);
	sl_log_level = saved;
}

static void parse_iso_says_if_zoned(void)
{
	int64_t ms;
	bool zoned = true;
	ASSERT_EQ(sl_parse_iso_ex("2015-04-20T14:00:00", &ms, &zoned), 0);
	ASSERT(!zoned);
	ASSERT_EQ(sl_parse_iso_ex("2015-04-20", &ms, &zoned), 0);
	ASSERT(!zoned);
	ASSERT_EQ(sl_parse_iso_ex("2015-04-20T14:00:00Z", &ms, &zoned), 0);
	ASSERT(zoned);
	ASSERT_EQ(sl_parse_iso_ex("2015-04-20T10:00:00.5-04:00", &ms, &zoned), 0);
	ASSERT(zoned);
	ASSERT_EQ(ms, 1429538400500LL);
	ASSERT_EQ(sl_parse_iso_ex("2015-04-20T10:00:00-04:00", &ms, NULL), 0);
}

static const char *suggest(int map, const char *key)
{
	const char *s = evkeys_suggest(map, key, strlen(key));
	return s ? s : "(none)";
}

static void config_keys_and_suggestions(void)
{
	ASSERT(evkeys_known(EVK_RACE, "ranking", 7));
	ASSERT(!evkeys_known(EVK_RACE, "rankin", 6));
	ASSERT(!evkeys_known(EVK_WAVE, "ranking", 7));
	ASSERT(evkeys_known(EVK_EVENT, "timezone", 8));
	ASSERT_STREQ(suggest(EVK_RACE, "rankng"), "ranking");
	ASSERT_STREQ(suggest(EVK_RACE, "distanse_m"), "distance_m");
	ASSERT_STREQ(suggest(EVK_RACE, "categroies"), "categories"); /* a swap is one slip */
	ASSERT_STREQ(suggest(EVK_RACE, "Kind"), "kind");
	ASSERT_STREQ(suggest(EVK_POINT, "windows_s"), "window_s");
	ASSERT_STREQ(suggest(EVK_EVENT, "time_zone"), "timezone");
	ASSERT_STREQ(suggest(EVK_RACE, "colour"), "(none)");
	ASSERT_STREQ(suggest(EVK_WAVE, "x"), "(none)");
	ASSERT_STREQ(suggest(EVK_CATEGORY, "gender"), "(none)");
	ASSERT_EQ(evkeys_distance("ab", 2, "ba", 2, 5), 1);
	ASSERT_EQ(evkeys_distance("kitten", 6, "sitting", 7, 5), 3);
	ASSERT_EQ(evkeys_distance("kitten", 6, "sitting", 7, 2), 3); /* capped: cap + 1 */
	ASSERT(evkeys_tz_name_ok("America/New_York", 16));
	ASSERT(evkeys_tz_name_ok("America/Argentina/Buenos_Aires", 30));
	ASSERT(evkeys_tz_name_ok("Etc/GMT+5", 9));
	ASSERT(evkeys_tz_name_ok("UTC", 3));
	ASSERT(!evkeys_tz_name_ok("", 0));
	ASSERT(!evkeys_tz_name_ok("/etc/passwd", 11));
	ASSERT(!evkeys_tz_name_ok("../x", 4));
	ASSERT(!evkeys_tz_name_ok("America//Chicago", 16));
	ASSERT(!evkeys_tz_name_ok("America/New York", 16));
	ASSERT(!evkeys_tz_name_ok("-x", 2));
}

#define TESTS(X)                                                               \
	X(errors_have_codes_and_sentences)                                     \
	X(buf_grows_and_stays_terminated)                                      \
	X(grow_keeps_elements)                                                 \
	X(parse_hms_good)                                                      \
	X(parse_hms_bad_cells)                                                 \
	X(parse_iso)                                                           \
	X(parse_iso_says_if_zoned)                                             \
	X(config_keys_and_suggestions)                                         \
	X(format_hms)                                                          \
	X(format_iso)                                                          \
	X(now_is_plausible)                                                    \
	X(log_respects_level)
T_MAIN()

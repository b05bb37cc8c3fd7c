/*
 * test_slid.c: the name grammar (protocol/slid.c) at its edges: each kind's
 * characters, the lengths 0, 1, 64 and 65, and the characters where the
 * three kinds differ (upper case, '_', '.', '+', ':', a leading dot).
 */
#include <string.h>

#include "slid.h"
#include "t.h"

#define OK(f, s) ASSERT(f(s, strlen(s)))
#define NO(f, s) ASSERT(!f(s, strlen(s)))

static void lengths(void)
{
	char b[66];
	memset(b, 'a', sizeof(b));
	ASSERT(!sl_event_id_ok(b, 0) && !sl_id_ok(b, 0) && !sl_device_ok(b, 0));
	ASSERT(sl_event_id_ok(b, 1) && sl_id_ok(b, 1) && sl_device_ok(b, 1));
	ASSERT(sl_event_id_ok(b, 64) && sl_id_ok(b, 64) && sl_device_ok(b, 64));
	ASSERT(!sl_event_id_ok(b, 65) && !sl_id_ok(b, 65) && !sl_device_ok(b, 65));
	/* n counts, not a NUL: "ab\0" of 3 bytes is not a name */
	ASSERT(!sl_id_ok("ab\0", 3));
}

static void event_ids(void)
{
	OK(sl_event_id_ok, "boston-2015");
	OK(sl_event_id_ok, "0");
	NO(sl_event_id_ok, "Boston-2015");
	NO(sl_event_id_ok, "boston_2015");
	NO(sl_event_id_ok, "boston.2015");
	NO(sl_event_id_ok, "a+b");
	NO(sl_event_id_ok, "a:b");
	NO(sl_event_id_ok, "a/b");
	NO(sl_event_id_ok, "a b");
}

static void ids(void)
{
	OK(sl_id_ok, "marathon");
	OK(sl_id_ok, "M80+");
	OK(sl_id_ok, "W18-39");
	OK(sl_id_ok, "K1_500.m");
	OK(sl_id_ok, ".x");
	NO(sl_id_ok, "a:b");
	NO(sl_id_ok, "a/b");
	NO(sl_id_ok, "a b");
	NO(sl_id_ok, "caf\xc3\xa9");
}

static void devices(void)
{
	OK(sl_device_ok, "mat-5k");
	OK(sl_device_ok, "Reader_2.backup");
	OK(sl_device_ok, "official-0123456789ab");
	NO(sl_device_ok, ".hidden");
	NO(sl_device_ok, "..");
	NO(sl_device_ok, "a/b");
	NO(sl_device_ok, "mat:5k");
	NO(sl_device_ok, "a+b");
	NO(sl_device_ok, "a b");
}

#define TESTS(X) X(lengths) X(event_ids) X(ids) X(devices)
T_MAIN()

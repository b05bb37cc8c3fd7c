/*
 * slid.c: the name grammar of slid.h.  One character class per kind of
 * name, so that the three kinds can differ only where the header says why.
 */
#include "slid.h"

enum { LOWER = 1, UPPER = 2, DIGIT = 4, DASH = 8, USCORE_DOT = 16, PLUS = 32 };

static int class_of(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return LOWER;
	if (c >= 'A' && c <= 'Z')
		return UPPER;
	if (c >= '0' && c <= '9')
		return DIGIT;
	if (c == '-')
		return DASH;
	if (c == '_' || c == '.')
		return USCORE_DOT;
	if (c == '+')
		return PLUS;
	return 0;
}

static bool all_in(const char *s, size_t n, int allowed)
{
	if (n < 1 || n > SL_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(class_of((unsigned char)s[i]) & allowed))
			return false;
	return true;
}

bool sl_event_id_ok(const char *s, size_t n)
{
	return all_in(s, n, LOWER | DIGIT | DASH);
}

bool sl_id_ok(const char *s, size_t n)
{
	return all_in(s, n, LOWER | UPPER | DIGIT | DASH | USCORE_DOT | PLUS);
}

bool sl_device_ok(const char *s, size_t n)
{
	return all_in(s, n, LOWER | UPPER | DIGIT | DASH | USCORE_DOT) && s[0] != '.';
}

/*
 * boatclass.c: see boatclass.h.  The name is cut into words at spaces,
 * commas and parentheses; each word is tried as a boat ("4+", "W1x", "K-2",
 * "C1", "PV1"), a distance ("1000m") or a sex word ("Men's", "Womens",
 * "Mixed", "Boys", "Girls").  The first boat found wins; a word such as
 * "R201" or "E304" is none of these and is skipped.
 */
#include "boatclass.h"

#include <ctype.h>
#include <string.h>

#include "sl.h"

static bool ieq(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(w, lit, n);
}

static char sex_word(const char *w, size_t n)
{
	static const struct {
		const char *s;
		char sex;
	} words[] = {{"men's", 'M'},   {"mens", 'M'},   {"men", 'M'},   {"man", 'M'},
		     {"boys", 'M'},    {"women's", 'W'}, {"womens", 'W'}, {"women", 'W'},
		     {"girls", 'W'},   {"ladies", 'W'}, {"mixed", 'X'},  {"mix", 'X'},
		     {"open", 0}};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (ieq(w, n, words[i].s))
			return words[i].sex ? words[i].sex : 0;
	return 0;
}

/* Rowing: [M|W|F|X]? (1|2|4|8) then x, +, -, x+ or x- (4x+ is a coxed quad). */
static bool rowing(const char *w, size_t n, struct boatclass *b)
{
	size_t i = 0;
	char sex = 0;
	if (n >= 2 && strchr("MWFXmwfx", w[0]) && isdigit((unsigned char)w[1])) {
		sex = (char)toupper((unsigned char)w[0]);
		sex = sex == 'F' ? 'W' : sex;
		i = 1;
	}
	if (i >= n || !strchr("1248", w[i]))
		return false;
	int seats = w[i++] - '0';
	bool x = false, plus = false, minus = false;
	if (i < n && (w[i] == 'x' || w[i] == 'X'))
		x = true, i++;
	if (i < n && w[i] == '+')
		plus = true, i++;
	else if (i < n && w[i] == '-')
		minus = true, i++;
	if (i != n || (!x && !plus && !minus))
		return false;
	if (seats == 1 && (!x || plus))
		return false;
	b->kind = BOAT_ROW;
	b->seats = seats;
	b->sculls = x;
	b->coxed = plus;
	if (sex)
		b->sex = sex;
	char *o = b->code;
	*o++ = (char)('0' + seats);
	if (x)
		*o++ = 'x';
	if (plus)
		*o++ = '+';
	else if (minus || (!x && !plus))
		*o++ = '-';
	*o = '\0';
	return true;
}

/* K-2, K2, C-1, C1, and para classes KL1..3, VL1..3, PV1 (1 to 3). */
static bool paddle(const char *w, size_t n, struct boatclass *b)
{
	if (n >= 2 && (w[0] == 'K' || w[0] == 'C' || w[0] == 'k' || w[0] == 'c')) {
		size_t i = 1;
		if (w[i] == '-')
			i++;
		if (i + 1 == n && w[i] >= '1' && w[i] <= '9') {
			b->kind = toupper((unsigned char)w[0]) == 'K' ? BOAT_KAYAK : BOAT_CANOE;
			b->seats = w[i] - '0';
			b->code[0] = (char)toupper((unsigned char)w[0]);
			b->code[1] = '-';
			b->code[2] = w[i];
			b->code[3] = '\0';
			return true;
		}
	}
	if (n == 3 && isalpha((unsigned char)w[0]) && isalpha((unsigned char)w[1]) &&
	    w[2] >= '1' && w[2] <= '3') {
		char u0 = (char)toupper((unsigned char)w[0]), u1 = (char)toupper((unsigned char)w[1]);
		if ((u0 == 'K' && u1 == 'L') || (u0 == 'V' && u1 == 'L') || (u0 == 'P' && u1 == 'V')) {
			b->kind = BOAT_PARA;
			b->seats = 1;
			b->code[0] = u0;
			b->code[1] = u1;
			b->code[2] = w[2];
			b->code[3] = '\0';
			return true;
		}
	}
	return false;
}

static bool distance(const char *w, size_t n, int *m)
{
	if (n < 2 || n > 7 || (w[n - 1] != 'm' && w[n - 1] != 'M'))
		return false;
	int v = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (!isdigit((unsigned char)w[i]))
			return false;
		v = v * 10 + (w[i] - '0');
	}
	*m = v;
	return v > 0;
}

int boatclass_parse(const char *s, struct boatclass *out)
{
	struct boatclass b;
	bool found = false;
	memset(&b, 0, sizeof(b));
	for (const char *p = s; *p;) {
		while (*p && strchr(" \t,()/", *p))
			p++;
		const char *w = p;
		while (*p && !strchr(" \t,()/", *p))
			p++;
		size_t n = (size_t)(p - w);
		if (!n)
			continue;
		char sx = sex_word(w, n);
		int d;
		if (sx && !b.sex)
			b.sex = sx;
		else if (distance(w, n, &d)) {
			if (!b.distance_m)
				b.distance_m = d;
		} else if (!found && (rowing(w, n, &b) || paddle(w, n, &b)))
			found = true;
	}
	if (!found)
		return SL_ENOENT;
	*out = b;
	return 0;
}

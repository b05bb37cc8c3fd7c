/*
 * progression.c: see progression.h.  The parser cuts the text into clauses
 * at commas, and a clause into tokens: runs of letters/digits/'.', and '+'
 * and '-' on their own ("1-8" is 1, -, 8; "Top 1+ 5" is top, 1, +, 5).
 * Keywords are matched case-insensitively; the target keeps its case.
 */
#include "progression.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl.h"

#define MAXTOK 32

struct tok {
	const char *s;
	size_t n;
};

static size_t tokenize(const char *s, size_t len, struct tok *t)
{
	size_t n = 0, i = 0;
	while (i < len && n < MAXTOK) {
		if (isspace((unsigned char)s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		if (s[i] == '+' || s[i] == '-')
			j++;
		else
			while (j < len && !isspace((unsigned char)s[j]) && s[j] != '+' && s[j] != '-')
				j++;
		t[n++] = (struct tok){s + i, j - i};
		i = j;
	}
	return n;
}

static bool kw(const struct tok *t, const char *w)
{
	return strlen(w) == t->n && !strncasecmp(t->s, w, t->n);
}

static bool num(const struct tok *t, int *v)
{
	if (!t->n || t->n > 4)
		return false;
	int x = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!isdigit((unsigned char)t->s[i]))
			return false;
		x = x * 10 + (t->s[i] - '0');
	}
	*v = x;
	return true;
}

/* "to" TARGET at t[i..n): fills the clause; false when malformed. */
static bool target(const struct tok *t, size_t i, size_t n, struct prog_clause *c)
{
	if (i == n) {
		snprintf(c->target, sizeof(c->target), "Final");
		return true;
	}
	if (!kw(&t[i], "to") || i + 1 == n)
		return false;
	i++;
	if (kw(&t[i], "race") && i + 1 < n) {
		c->to_race = true;
		i++;
	}
	size_t o = 0;
	for (; i < n; i++) {
		if (o + t[i].n + 2 > sizeof(c->target))
			return false;
		if (o)
			c->target[o++] = ' ';
		memcpy(c->target + o, t[i].s, t[i].n);
		o += t[i].n;
	}
	c->target[o] = '\0';
	return o > 0;
}

static int clause(const char *s, size_t len, struct prog_clause *c, bool first)
{
	struct tok t[MAXTOK];
	size_t n = tokenize(s, len, t), i = 0;
	int a, b;
	memset(c, 0, sizeof(*c));
	if (!n)
		return SL_EINVAL;
	if (kw(&t[0], "top")) {
		if (n < 2 || !num(&t[1], &a) || a < 1)
			return SL_EINVAL;
		c->kind = PROG_TOPFAST;
		c->lo = 1;
		c->hi = a;
		i = 2;
		if (i + 1 < n && kw(&t[i], "per"))
			i += 2; /* "per Semi", "per Heat" */
		if (i < n && t[i].n == 1 && t[i].s[0] == '+') {
			i++;
			if (i < n && kw(&t[i], "next"))
				i++;
			if (i + 1 >= n || !num(&t[i], &b) || !kw(&t[i + 1], "fastest"))
				return SL_EINVAL;
			c->fastest = b;
			i += 2;
			if (i < n && kw(&t[i], "from")) /* "from either Semi" */
				while (i < n && !kw(&t[i], "to"))
					i++;
		}
		return target(t, i, n, c) ? 0 : SL_EINVAL;
	}
	if (kw(&t[0], "rest") || kw(&t[0], "others")) {
		c->kind = PROG_REST;
		return target(t, 1, n, c) ? 0 : SL_EINVAL;
	}
	if (num(&t[0], &a)) {
		c->kind = PROG_RANGE;
		i = 1;
		if (i + 1 < n && t[i].n == 1 && t[i].s[0] == '-' && num(&t[i + 1], &b)) {
			c->lo = a;
			c->hi = b;
			i += 2;
		} else {
			c->lo = 1; /* "3 to Final": the first three */
			c->hi = a;
		}
		if (c->lo < 1 || c->hi < c->lo)
			return SL_EINVAL;
		if (i == n || !kw(&t[i], "to"))
			return SL_EINVAL;
		return target(t, i, n, c) ? 0 : SL_EINVAL;
	}
	return first ? SL_ENOENT : SL_EINVAL;
}

int prog_parse(const char *s, struct prog_rule *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	size_t len = strlen(s);
	size_t sp = 0;
	while (sp < len && isspace((unsigned char)s[sp]))
		sp++;
	if (sp == len)
		return SL_ENOENT; /* no text, no rule */
	for (size_t i = 0, k = 0; i <= len; k++) {
		const char *e = memchr(s + i, ',', len - i);
		size_t cl = e ? (size_t)(e - (s + i)) : len - i;
		if (out->n == PROG_MAX_CLAUSES) {
			if (err)
				snprintf(err, errlen, "progression '%s': at most %d clauses", s,
					 PROG_MAX_CLAUSES);
			return SL_EINVAL;
		}
		int rc = clause(s + i, cl, &out->c[out->n], k == 0);
		if (rc == SL_ENOENT) {
			out->n = 0;
			return SL_ENOENT;
		}
		if (rc < 0) {
			if (err)
				snprintf(err, errlen, "progression '%s': cannot read clause %zu '%.*s'",
					 s, k + 1, (int)cl, s + i);
			out->n = 0;
			return SL_EINVAL;
		}
		out->n++;
		i += cl + 1;
	}
	return 0;
}

/* ---- line-up ------------------------------------------------------------ */

struct ctx {
	const struct prog_result *res;
	const int *clause_of; /* per result: clause index or -1 */
	const bool *fast;     /* qualified as a fastest loser */
};

static int time_cmp(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int seed_cmp(const void *x, const void *y, void *vc)
{
	const struct ctx *c = vc;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	if (c->fast[a] != c->fast[b])
		return c->fast[a] ? 1 : -1;
	if (!c->fast[a] && c->res[a].place != c->res[b].place)
		return c->res[a].place < c->res[b].place ? -1 : 1;
	int r = time_cmp(c->res[a].time, c->res[b].time);
	if (r)
		return r;
	return a < b ? -1 : a > b;
}

static int fast_cmp(const void *x, const void *y, void *vc)
{
	const struct prog_result *res = vc;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int r = time_cmp(res[a].time, res[b].time);
	return r ? r : (a < b ? -1 : a > b);
}

static bool target_is(const struct prog_clause *c, const char *t)
{
	return !strcasecmp(c->target, t);
}

size_t prog_lineup(const struct prog_rule *r, const char *tgt, const struct prog_result *res,
		   size_t n, const int *lanes, size_t nlanes, struct prog_pick *out)
{
	int *cl = sl_malloc((n ? n : 1) * sizeof(*cl));
	bool *fast = sl_calloc(n ? n : 1, sizeof(*fast));
	size_t *ix = sl_malloc((n ? n : 1) * sizeof(*ix));
	for (size_t i = 0; i < n; i++)
		cl[i] = -1;
	bool overall = false; /* a TOPFAST clause came before: ranges are overall */
	for (size_t k = 0; k < r->n; k++) {
		const struct prog_clause *c = &r->c[k];
		if (overall && c->kind == PROG_RANGE) {
			size_t q = 0, m = 0;
			for (size_t i = 0; i < n; i++) {
				q += cl[i] >= 0;
				if (cl[i] < 0 && res[i].place > 0 && res[i].time != INT64_MIN)
					ix[m++] = i;
			}
			qsort_r(ix, m, sizeof(*ix), fast_cmp, (void *)res);
			for (size_t j = 0; j < m; j++) {
				size_t pos = q + j + 1;
				if (pos >= (size_t)c->lo && pos <= (size_t)c->hi)
					cl[ix[j]] = (int)k;
			}
			continue;
		}
		overall |= c->kind == PROG_TOPFAST;
		for (size_t i = 0; i < n; i++) {
			if (cl[i] >= 0 || res[i].place <= 0)
				continue;
			if ((c->kind == PROG_RANGE && res[i].place >= c->lo && res[i].place <= c->hi) ||
			    (c->kind == PROG_TOPFAST && res[i].place <= c->hi) || c->kind == PROG_REST)
				cl[i] = (int)k;
		}
		if (c->kind != PROG_TOPFAST || c->fastest <= 0)
			continue;
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (cl[i] < 0 && res[i].place > 0 && res[i].time != INT64_MIN)
				ix[m++] = i;
		qsort_r(ix, m, sizeof(*ix), fast_cmp, (void *)res);
		for (size_t j = 0; j < m; j++) {
			if ((int)j >= c->fastest && res[ix[j]].time != res[ix[c->fastest - 1]].time)
				break;
			cl[ix[j]] = (int)k;
			fast[ix[j]] = true;
		}
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (cl[i] >= 0 && target_is(&r->c[cl[i]], tgt))
			ix[m++] = i;
	struct ctx cx = {res, cl, fast};
	qsort_r(ix, m, sizeof(*ix), seed_cmp, &cx);
	for (size_t j = 0; j < m; j++)
		out[j] = (struct prog_pick){ix[j], (int)j + 1, j < nlanes ? lanes[j] : 0, cl[ix[j]]};
	free(cl);
	free(fast);
	free(ix);
	return m;
}

void prog_centre_lanes(int n, int *out)
{
	/* by distance from the centre (n+1)/2, the lower lane first on a tie */
	int k = 0;
	for (int d2 = 0; k < n; d2++) /* d2: twice the distance */
		for (int lane = 1; lane <= n; lane++)
			if (abs(2 * lane - (n + 1)) == d2)
				out[k++] = lane;
}

/*
 * opt.c: option tables for the clients (see opt.h).  The syntax is
 * slc_parse's (cliutil.c); this file adds the rows' types, defaults, bounds
 * and help.
 */
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "sl.h"

opt *opt_find(opt *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* The index of v in choices "a|b|c", or -1. */
static int choice(const char *choices, const char *v)
{
	size_t n = strlen(v);
	int i = 0;
	for (const char *p = choices; *p; i++) {
		size_t k = strcspn(p, "|");
		if (k == n && !strncmp(p, v, n))
			return i;
		p += k + (p[k] == '|');
	}
	return -1;
}

static bool check_int(opt *o)
{
	char *end;
	const char *s = o->val;
	errno = 0;
	if (o->type == OPT_INT) {
		o->i = strtoll(s, &end, 10);
		return *s && !*end && !errno && o->i >= o->min && o->i <= o->max;
	}
	o->u = strtoull(s, &end, 10);
	return *s && !*end && !errno && s[0] != '-' && o->u >= o->umin && o->u <= o->umax;
}

/* Check and convert one row's value; false when bad (printed). */
static bool check(opt *o, const char *prog)
{
	char *end;
	switch (o->type) {
	case OPT_INT:
	case OPT_U64:
		if (!check_int(o)) {
			char range[64];
			if (o->type == OPT_INT)
				snprintf(range, sizeof(range), "%lld..%lld", o->min, o->max);
			else
				snprintf(range, sizeof(range), "%llu..%llu", o->umin, o->umax);
			fprintf(stderr, "%s: %s '%s' is not a number in %s\n", prog, o->name,
				o->val, range);
			return false;
		}
		break;
	case OPT_NUM:
		errno = 0;
		o->d = strtod(o->val, &end);
		if (!*o->val || *end || errno || !(o->d >= o->dmin) || !(o->d <= o->dmax) ||
		    !isfinite(o->d)) {
			if (o->dmax == HUGE_VAL)
				fprintf(stderr, "%s: %s '%s' is not a number >= %g\n", prog,
					o->name, o->val, o->dmin);
			else
				fprintf(stderr, "%s: %s '%s' is not a number in %g..%g\n", prog,
					o->name, o->val, o->dmin, o->dmax);
			return false;
		}
		break;
	case OPT_ENUM:
		o->e = choice(o->choices, o->val);
		if (o->e < 0) {
			fprintf(stderr, "%s: %s '%s' is not one of ", prog, o->name, o->val);
			for (const char *p = o->choices; *p;) {
				size_t k = strcspn(p, "|");
				fprintf(stderr, "%s%.*s", p == o->choices ? "" : ", ", (int)k, p);
				p += k + (p[k] == '|');
			}
			fputc('\n', stderr);
			return false;
		}
		break;
	default: break;
	}
	return true;
}

int opt_parse(opt *t, int argc, char **argv, const char **pos, int maxpos, int *npos,
	      const char *prog)
{
	size_t n = 0;
	while (t[n].name)
		n++;
	slc_opt *so = sl_calloc(n + 1, sizeof(*so));
	const char **given = sl_calloc(n + 1, sizeof(*given));
	for (size_t k = 0; k < n; k++) {
		so[k].name = t[k].name;
		so[k].arg = t[k].type != OPT_FLAG;
		so[k].val = &given[k];
		so[k].flag = &t[k].on;
	}
	int rc = slc_parse(argc, argv, so, pos, maxpos, npos, prog);
	for (size_t k = 0; k < n && rc == SLC_OK; k++) {
		opt *o = &t[k];
		if (given[k] || (o->type == OPT_FLAG && o->on)) {
			o->set = true;
			if (given[k])
				o->val = given[k];
		}
		if (!o->val)
			o->val = o->def;
		if (o->val && !check(o, prog))
			rc = OPT_BAD;
	}
	free(so);
	free(given);
	return rc == SLC_HELP ? OPT_HELP : rc == SLC_USAGE ? OPT_USAGE : rc;
}

int opt_cli(opt *t, int argc, char **argv, const char **pos, int maxpos, int *npos,
	    const char *prog, void (*usage)(FILE *), int on_error)
{
	int p = opt_parse(t, argc, argv, pos, maxpos, npos, prog);
	if (p == OPT_HELP)
		usage(stdout);
	if (p == OPT_USAGE && on_error == OPT_ON_ERROR_USAGE)
		usage(stderr);
	if (p == OPT_USAGE && on_error == OPT_ON_ERROR_SEE_HELP)
		fprintf(stderr, "see '%s --help'\n", prog);
	return p == OPT_OK ? -1 : p == OPT_HELP ? 0 : 2;
}

int opt_utc_offset(const char *s, int *minutes)
{
	int hh, mm;
	char sign;
	if (sscanf(s, "%c%d:%d", &sign, &hh, &mm) != 3 || (sign != '+' && sign != '-') || hh > 14 ||
	    mm > 59)
		return -1;
	*minutes = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
	return 0;
}

int opt_sim_clock(const char *s, int64_t *wall0, int64_t *race0, double *speed)
{
	long long w0, r0;
	double sp;
	if (sscanf(s, "%lld:%lld:%lf", &w0, &r0, &sp) != 3 || !(sp > 0))
		return -1;
	*wall0 = w0;
	*race0 = r0;
	*speed = sp;
	return 0;
}

void opt_help(const opt *t, int width, FILE *f)
{
	for (; t->name; t++) {
		if (!t->syn)
			continue;
		fprintf(f, "  %s", t->syn);
		int pad = width - (int)strlen(t->syn);
		if (t->help[0] != '\n')
			fprintf(f, "%*s ", pad > 0 ? pad : 0, "");
		/* continuation lines start under the first one */
		for (const char *h = t->help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "%*s", width + 3, "");
		}
		fputc('\n', f);
	}
}

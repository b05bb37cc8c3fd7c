/*
 * team.c: a race's team scores under one of its `teams` rules
 * (PROTOCOL.md, "Team scores").
 *
 * The finishers that count are the placed entries of the race (or of the
 * rule's category) with a team: the rule's field, not blank, compared as
 * written.  A team with at least `min` of them is complete; the others are
 * listed, unranked, after the ranked teams.
 *
 * Team places: without displacers, a runner's place in the race (or the
 * category).  With displacers (cross-country), places are counted again
 * among the runners that get one: those of complete teams, each team's
 * first `max`; a runner's team place is 1 + those of them strictly ahead
 * (ties share).  So runners of incomplete teams and without a team do not
 * take a place from anyone, and a team's 6th and 7th take one without
 * scoring.
 *
 * A complete team scores the sum of its first n team places (score:
 * places) or times (score: times); lower wins.  Equal scores are broken by
 * the (n+1)th runner (the cross-country "sixth runner"): the better team
 * place or time wins, a team without one loses; still equal, the place is
 * shared.
 */
#include <stdlib.h>
#include <string.h>

#include "participant.h"
#include "score.h"

struct fin {
	size_t place;
	const char *team; /* NULL: none */
	const struct core_entry *e;
	size_t team_place;
};

static int fin_cmp(const void *a, const void *b)
{
	const struct fin *x = a, *y = b;
	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	return entry_bib_cmp(x->e->bib, y->e->bib);
}

static int team_name_cmp(const void *a, const void *b)
{
	const struct fin *x = *(const struct fin *const *)a, *y = *(const struct fin *const *)b;
	int d = strcmp(x->team, y->team);
	return d ? d : fin_cmp(x, y);
}

static int row_cmp(const void *a, const void *b)
{
	const struct team_row *x = a, *y = b;
	bool cx = x->place > 0, cy = y->place > 0; /* marked complete before the sort */
	if (cx != cy)
		return cx ? -1 : 1;
	if (cx && x->score != y->score)
		return x->score < y->score ? -1 : 1;
	if (cx && x->tiebreak != y->tiebreak)
		return x->tiebreak < y->tiebreak ? -1 : 1;
	if (!cx && x->finishers != y->finishers)
		return x->finishers > y->finishers ? -1 : 1;
	return strcmp(x->team, y->team);
}

/* The finishers that count, in place order; *n of them. */
static struct fin *finishers(const struct core_entries *x, const struct cfg_team *rule, size_t *n)
{
	int cat =
		rule->category ? cfg_cat_find(x->race, rule->category, strlen(rule->category)) : -1;
	struct fin *f = sl_calloc(x->n ? x->n : 1, sizeof(*f));
	*n = 0;
	for (size_t i = 0; i < x->n; i++) {
		const struct core_entry *e = &x->v[i];
		size_t place = rule->category ? 0 : e->place;
		for (size_t k = 0; cat >= 0 && k < e->ncats; k++)
			if (e->cats[k] == (uint16_t)cat)
				place = e->place_cats[k];
		if (!e->ranked || !place)
			continue;
		const char *team = core_entry_field(e, rule->field);
		f[(*n)++] = (struct fin){place, team && *team ? team : NULL, e, place};
	}
	qsort(f, *n, sizeof(*f), fin_cmp);
	return f;
}

/* The teams' members: by[] points at the finishers with a team, by team
 * then place; the runs of one team fill the rows. */
static void build_rows(struct team_table *t, struct fin **by, size_t nby)
{
	const struct cfg_team *rule = t->rule;
	t->rows = sl_calloc(nby ? nby : 1, sizeof(*t->rows));
	t->members_ = sl_calloc(nby ? nby : 1, sizeof(*t->members_));
	for (size_t i = 0, m = 0; i < nby;) {
		struct team_row *r = &t->rows[t->n++];
		size_t j = i;
		r->team = by[i]->team;
		r->members = &t->members_[m];
		for (; j < nby && strcmp(by[j]->team, r->team) == 0; j++) {
			const struct fin *f = by[j];
			size_t k = r->nmembers++;
			r->members[k] = (struct team_member){f->e->bib,     f->e->name,    f->place,
							     f->team_place, f->e->time_ms, false};
		}
		m += r->nmembers;
		r->finishers = r->nmembers;
		r->tiebreak = INT64_MAX;
		i = j;
		if (r->finishers < (size_t)rule->min)
			continue;
		r->place = 1; /* complete: ranked below */
		for (size_t k = 0; k < r->nmembers && k <= (size_t)rule->n; k++) {
			struct team_member *mb = &r->members[k];
			int64_t v =
				rule->score == TEAM_TIMES ? mb->time_ms : (int64_t)mb->team_place;
			if (rule->score == TEAM_PLACES && !mb->team_place)
				break; /* past max: no place (cannot happen for k <= n) */
			if (k < (size_t)rule->n) {
				mb->scoring = true;
				r->score += v;
			} else {
				r->tiebreak = v;
			}
		}
	}
}

/* With displacers: team places counted again among the runners that get one. */
static void recount(struct fin *f, size_t n, struct fin **by, size_t nby,
		    const struct cfg_team *rule)
{
	for (size_t i = 0; i < n; i++)
		f[i].team_place = 0;
	for (size_t i = 0; i < nby;) { /* mark each complete team's first max */
		size_t j = i;
		while (j < nby && strcmp(by[j]->team, by[i]->team) == 0)
			j++;
		if (j - i >= (size_t)rule->min)
			for (size_t k = i; k < j && k - i < (size_t)rule->max; k++)
				by[k]->team_place = 1;
		i = j;
	}
	size_t counted = 0, prev = 0, place = 0;
	for (size_t i = 0; i < n; i++) {
		if (!f[i].team_place)
			continue;
		if (counted == 0 || f[i].place != prev)
			place = counted + 1;
		prev = f[i].place;
		f[i].team_place = place;
		counted++;
	}
}

int team_table(const struct core_entries *x, const char *id, struct team_table *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; x->race && i < x->race->nteams; i++)
		if (strcmp(x->race->teams[i].id, id) == 0)
			out->rule = &x->race->teams[i];
	if (!out->rule)
		return SL_ENOENT;
	size_t n, nby = 0;
	struct fin *f = finishers(x, out->rule, &n);
	struct fin **by = sl_calloc(n ? n : 1, sizeof(*by));
	for (size_t i = 0; i < n; i++)
		if (f[i].team)
			by[nby++] = &f[i];
	qsort(by, nby, sizeof(*by), team_name_cmp);
	if (out->rule->displacers)
		recount(f, n, by, nby, out->rule);
	build_rows(out, by, nby);
	qsort(out->rows, out->n, sizeof(*out->rows), row_cmp);
	for (size_t i = 0; i < out->n && out->rows[i].place; i++) {
		struct team_row *r = &out->rows[i], *p = i ? &out->rows[i - 1] : NULL;
		r->place =
			p && p->score == r->score && p->tiebreak == r->tiebreak ? p->place : i + 1;
	}
	for (size_t i = 0; i < out->n; i++)
		if (!out->rows[i].place)
			out->rows[i].score = 0;
	SL_FREE_MANY(f, by);
	return 0;
}

void team_table_release(struct team_table *t)
{
	SL_FREE_MANY(t->rows, t->members_);
	memset(t, 0, sizeof(*t));
}

/*
 * lineup.c: progression applied (PROTOCOL.md, "Regatta"): which race a
 * rule's target names, the races that feed a race, and the line-up they
 * give.  The officials' records about races (race_official, lineup) are
 * folded in official.c.
 *
 * Targets: "race 252" is the race whose id is 252, or ends in 252 after a
 * non-digit prefix (R252).  Other targets ("Final A", "Final") name a
 * sibling: a race whose name has the same stem (the name without its
 * event number and round words: "1 Womens Novice 8+ Time Trial" and
 * "46 Womens Novice 8+ Final A" share "Womens Novice 8+") and whose round is
 * the target; "Final" also takes a sibling with no round at all
 * ("16 Men's Novice 4+" for "16A Men's Novice 4+ Heat 1").  The first such
 * race in config order wins.  A heat or semi without rule text takes the
 * rule of a sibling heat (same stem) that has one.
 *
 * The line-up is derived, never stored: the official override (official.c)
 * when there is one, else prog_lineup over the feeders' current results
 * (their places from place.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core_int.h"
#include "cval.h"
#include "progression.h"
#include "slp.h"

/* ---- names -------------------------------------------------------------- */

static bool round_word(const char *w, size_t n)
{
	static const char *const words[] = {"time", "semi", "semis", "heat", "final", "finals",
					    "repechage", "rep", "direct", "-"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wn = strlen(words[i]);
		/* "Heat1", "Semi2": a word with digits after it */
		if (n >= wn && !strncasecmp(w, words[i], wn)) {
			size_t k = wn;
			while (k < n && isdigit((unsigned char)w[k]))
				k++;
			if (k == n)
				return true;
		}
	}
	return false;
}

/* stem and round of a race name, into buffers of size n (NUL-terminated). */
static void name_parts(const struct cfg_race *r, char *stem, char *round, size_t n)
{
	const char *s = r->name ? r->name : r->id;
	size_t sn = 0, rn = 0;
	bool first = true, in_round = false;
	stem[0] = round[0] = '\0';
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t wl = (size_t)(s - w);
		if (first && strlen(r->id) == wl && !strncasecmp(w, r->id, wl)) {
			first = false;
			continue;
		}
		first = false;
		if (!in_round && round_word(w, wl))
			in_round = true;
		if (in_round && wl == 1 && *w == '-')
			continue;
		char *dst = in_round ? round : stem;
		size_t *len = in_round ? &rn : &sn;
		if (*len + wl + 2 > n)
			continue;
		if (*len)
			dst[(*len)++] = ' ';
		memcpy(dst + *len, w, wl);
		*len += wl;
		dst[*len] = '\0';
	}
}

int core__prog_target(const core *c, int from, const struct prog_clause *cl)
{
	const struct cfg *cfg = &c->cfg;
	if (cl->to_race) {
		size_t tn = strlen(cl->target);
		for (size_t k = 0; k < cfg->nraces; k++) {
			const char *id = cfg->races[k].id;
			size_t in = strlen(id);
			if (in < tn || strcasecmp(id + in - tn, cl->target) != 0)
				continue;
			bool prefix_ok = true;
			for (size_t j = 0; j < in - tn; j++)
				prefix_ok &= !isdigit((unsigned char)id[j]);
			if (prefix_ok && (int)k != from)
				return (int)k;
		}
		return -1;
	}
	char st[256], rd[128], st2[256], rd2[128];
	name_parts(&cfg->races[from], st, rd, sizeof(rd));
	int loose = -1;
	for (size_t k = 0; k < cfg->nraces; k++) {
		if ((int)k == from)
			continue;
		name_parts(&cfg->races[k], st2, rd2, sizeof(rd2));
		if (strcasecmp(st, st2) != 0)
			continue;
		if (!strcasecmp(rd2, cl->target))
			return (int)k;
		if (loose < 0 && !rd2[0] && !strcasecmp(cl->target, "final"))
			loose = (int)k;
	}
	return loose;
}

/* ---- line-ups ----------------------------------------------------------- */

static bool heat_round(const char *round)
{
	return !strncasecmp(round, "heat", 4) || !strncasecmp(round, "semi", 4);
}

/*
 * The rule of race k: its own, else (a heat or semi without any rule text)
 * the rule of its first sibling heat that has one: exports leave the rule
 * out of one heat of a round now and then.
 */
static const char *rule_of(const core *c, int k)
{
	const struct cfg_race *r = &c->cfg.races[k];
	if (r->progression && *r->progression)
		return r->progression;
	char st[256], rd[128], st2[256], rd2[128];
	name_parts(r, st, rd, sizeof(rd));
	if (!heat_round(rd))
		return NULL;
	for (size_t j = 0; j < c->cfg.nraces; j++) {
		const struct cfg_race *o = &c->cfg.races[j];
		if ((int)j == k || !o->progression || !*o->progression)
			continue;
		name_parts(o, st2, rd2, sizeof(rd2));
		if (!strcasecmp(st, st2) && heat_round(rd2))
			return o->progression;
	}
	return NULL;
}

bool core__feeds(const core *c, int from, int target, struct prog_rule *rule, char *tgt,
		 size_t tn)
{
	struct prog_rule pr;
	const char *text = rule_of(c, from);
	if (!text || prog_parse(text, &pr, NULL, 0) != 0)
		return false;
	for (size_t k = 0; k < pr.n; k++)
		if (core__prog_target(c, from, &pr.c[k]) == target) {
			if (rule)
				*rule = pr;
			if (tgt)
				snprintf(tgt, tn, "%s", pr.c[k].target);
			return true;
		}
	return false;
}

int core_lineup(const core *c, const char *race, struct core_lineup *out)
{
	memset(out, 0, sizeof(*out));
	if (!c->has_cfg)
		return SL_ENOENT;
	int t = cfg_race_find(&c->cfg, race, strlen(race));
	if (t < 0)
		return SL_ENOENT;
	const struct cfg_race *tr = &c->cfg.races[t];
	out->race = tr->id;
	struct prog_rule rule;
	char tgt[48] = "";
	bool have_rule = false;
	size_t nfeed = 0;
	out->complete = true;
	/* the feeders' crews, in config then bib order */
	size_t cap = 64, n = 0;
	struct prog_result *res = sl_malloc(cap * sizeof(*res));
	uint32_t *who = sl_malloc(cap * sizeof(*who));
	for (size_t k = 0; k < c->cfg.nraces; k++) {
		struct prog_rule pr;
		char tg[48];
		if (!core__feeds(c, (int)k, t, &pr, tg, sizeof(tg)))
			continue;
		if (!have_rule) {
			rule = pr;
			snprintf(tgt, sizeof(tgt), "%s", tg);
			have_rule = true;
		}
		nfeed++;
		const struct rfact *f = core__rfact_get(c, c->cfg.races[k].id);
		out->complete &= f && f->official;
		const struct race_state *rs = &c->rs[k];
		for (size_t j = 0; j < rs->nby_bib; j++) {
			const struct part *p = &c->parts[rs->by_bib[j]];
			bool manual;
			if (n == cap) {
				cap *= 2;
				res = sl_realloc(res, cap * sizeof(*res));
				who = sl_realloc(who, cap * sizeof(*who));
			}
			res[n].heat = c->cfg.races[k].id;
			res[n].crew = p->e.name;
			res[n].place = (int)core__shown_place(c, p, &manual);
			res[n].time = p->status == ST_FINISHED && p->fin ? p->adj_ms : INT64_MIN;
			who[n++] = rs->by_bib[j];
		}
	}
	out->nfeeders = nfeed;
	if (!nfeed)
		out->complete = false;
	const struct rfact *tf = core__rfact_get(c, tr->id);
	if (tf && tf->has_ovr) {
		out->override = true;
		out->rows = sl_calloc(tf->novr + 1, sizeof(*out->rows));
		for (size_t i = 0; i < tf->novr; i++) {
			uint32_t pi;
			struct core_lineup_row *row = &out->rows[out->n++];
			row->seed = (int)i + 1;
			row->lane = tf->ovr[i].lane;
			row->bib = tf->ovr[i].bib;
			row->time = INT64_MIN;
			if (hmap_get(&c->bibs, row->bib, strlen(row->bib), &pi)) {
				const struct part *p = &c->parts[pi];
				row->name = p->e.name;
				row->club = p->e.club;
				row->from = p->race >= 0 ? c->cfg.races[p->race].id : "";
				for (size_t j = 0; j < n; j++)
					if (who[j] == pi) {
						row->place = res[j].place;
						row->time = res[j].time;
					}
			}
		}
	} else if (nfeed) {
		struct prog_pick *picks = sl_calloc(n + 1, sizeof(*picks));
		size_t m = prog_lineup(&rule, tgt, res, n, tr->lane_order, (size_t)tr->nlanes, picks);
		out->rows = sl_calloc(m + 1, sizeof(*out->rows));
		for (size_t i = 0; i < m; i++) {
			const struct part *p = &c->parts[who[picks[i].idx]];
			struct core_lineup_row *row = &out->rows[out->n++];
			row->bib = p->e.bib;
			row->name = p->e.name;
			row->club = p->e.club;
			row->from = res[picks[i].idx].heat;
			row->place = res[picks[i].idx].place;
			row->time = res[picks[i].idx].time;
			row->seed = picks[i].seed;
			row->lane = picks[i].lane;
		}
		free(picks);
	}
	free(res);
	free(who);
	return 0;
}

void core_lineup_release(struct core_lineup *l)
{
	free(l->rows);
	memset(l, 0, sizeof(*l));
}

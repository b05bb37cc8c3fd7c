/*
 * audit.c: officials' decisions in the audit trail.  Before a decision
 * folds (an adjust, a wave start, race_official, lineup, hand-entered
 * passings), core__audit_prepare notes what it is about and the value it
 * replaces (c->cur); after it folded, core__audit_decision adds the new
 * value and writes the row through checkin_audit_decision().
 *
 * Pure formatting of the core's state: it changes nothing but c->cur.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin.h"
#include "core_int.h"

static void fmt_ms_time(char *out, size_t n, int64_t t)
{
	sl_buf b = SL_BUF_INIT;
	if (t == NO_TIME)
		sl_buf_adds(&b, "none");
	else
		sl_fmt_iso(&b, t);
	snprintf(out, n, "%s", b.data);
	sl_buf_release(&b);
}

static void fmt_adjustment(char *out, size_t n, int64_t ms)
{
	sl_buf b = SL_BUF_INIT;
	if (ms == 0) {
		snprintf(out, n, "none");
		return;
	}
	sl_buf_addc(&b, ms < 0 ? '-' : '+');
	sl_fmt_hms(&b, ms < 0 ? -ms : ms, ms % 1000 ? 1 : 1000);
	snprintf(out, n, "%s", b.data);
	sl_buf_release(&b);
}

/* An adjust's value of its kind in a bib's state, as text. */
static void adj_value(const struct adj_rec *a, const struct adj_state *s, char *out, size_t n)
{
	const struct adj_point *ap = s && a->pt ? adj_state_point(s, a->pt) : NULL;
	switch (a->type) {
	case ADJ_PENALTY: fmt_adjustment(out, n, s ? s->penalty_ms : 0); break;
	case ADJ_PLACE:
		if (s && s->place > 0)
			snprintf(out, n, "%d%s", s->place, s->place_dh ? " (dead heat)" : "");
		else
			snprintf(out, n, "none");
		break;
	case ADJ_STATION:
		snprintf(out, n, "%s", ap && ap->station ? ap->station : "primary");
		break;
	case ADJ_HAND: fmt_ms_time(out, n, ap ? ap->hand : NO_TIME); break;
	default: snprintf(out, n, "%s", s && s->flag[a->type] ? "on" : "off");
	}
}

/*
 * Before an official's decision folds: what it is about and the value it
 * replaces (c->cur); after, audit_decision adds the new value and writes
 * the row.  Hand-entered passings are those of an official's own device.
 */
/*
 * A read_void: the read it names (op read_void, or read_restore with on
 * false), its athlete's bib and point, and the read as it counted: "chip
 * C at finish <time> (rfid), device D seq S" goes from there to "void", or
 * back.
 */
static void read_void_prepare(core *c, const msgpack_object *root)
{
	const char *dev;
	size_t dn;
	int64_t seq;
	bool on = true;
	uint32_t ri;
	char t[40], *read;
	if (slp_get_str(root, "dev", &dev, &dn) != 0 || slp_get_int(root, "seq", &seq) != 0 ||
	    seq < 1 || core__read_find(c, dev, dn, (uint64_t)seq, &ri) < 0)
		return;
	slp_get_bool(root, "on", &on);
	const struct rd *x = &c->reads[ri];
	const struct code *k = &c->codes[x->code];
	c->cur.op = on ? "read_void" : "read_restore";
	snprintf(c->cur.bib, sizeof(c->cur.bib), "%s",
		 k->pidx != NONE32 && c->parts[k->pidx].e.bib ? c->parts[k->pidx].e.bib : "");
	snprintf(c->cur.pt, sizeof(c->cur.pt), "%s", c->gpts[x->gpt]);
	fmt_ms_time(t, sizeof(t), x->t);
	read = on ? c->cur.from : c->cur.to;
	snprintf(read, on ? sizeof(c->cur.from) : sizeof(c->cur.to),
		 "%s %.*s at %s %s (%s), device %.*s seq %lld", k->ns == NS_BIB ? "bib" : "chip",
		 (int)(k->len > 24 ? 24 : k->len), k->s, c->gpts[x->gpt], t,
		 slp_kind_name(x->kind) ? slp_kind_name(x->kind) : "?", (int)(dn > 64 ? 64 : dn),
		 dev, (long long)seq);
	snprintf(on ? c->cur.to : c->cur.from, sizeof(c->cur.from), "void");
	c->cur.audit = true;
}

void core__audit_prepare(core *c, const msgpack_object *root, const char *k, size_t kn,
			 const slp_batch *raw)
{
	const char *s;
	size_t sn;
	c->cur.audit = false;
	if (kn == 6 && !memcmp(k, "adjust", 6)) {
		struct adj_rec a;
		char e[8];
		uint32_t pi;
		if (adj_parse(root, &a, e, sizeof(e)) < 0)
			return;
		const struct adj_state *st = NULL;
		if (hmap_get(&c->bibs, a.bib, strlen(a.bib), &pi) && c->parts[pi].ast != NONE32)
			st = &c->ast[c->parts[pi].ast];
		c->cur.op = adj_type_name(a.type);
		snprintf(c->cur.bib, sizeof(c->cur.bib), "%s", a.bib);
		snprintf(c->cur.pt, sizeof(c->cur.pt), "%s", a.pt ? a.pt : "");
		adj_value(&a, st, c->cur.from, sizeof(c->cur.from));
		adj_release(&a);
		c->cur.audit = true;
	} else if (kn == 10 && !memcmp(k, "wave_start", 10)) {
		const char *w;
		size_t wn;
		int ri, wi;
		if (!c->has_cfg || slp_get_str(root, "race", &s, &sn) != 0 ||
		    slp_get_str(root, "wave", &w, &wn) != 0 ||
		    (ri = cfg_race_find(&c->cfg, s, sn)) < 0 ||
		    (wi = cfg_wave_find(&c->cfg.races[ri], w, wn)) < 0)
			return;
		c->cur.op = "wave_start";
		snprintf(c->cur.race, sizeof(c->cur.race), "%.*s", (int)sn, s);
		snprintf(c->cur.pt, sizeof(c->cur.pt), "wave %.*s", (int)(wn < 60 ? wn : 60), w);
		fmt_ms_time(c->cur.from, sizeof(c->cur.from), c->rs[ri].t0[wi]);
		c->cur.audit = true;
	} else if ((kn == 13 && !memcmp(k, "race_official", 13)) ||
		   (kn == 6 && !memcmp(k, "lineup", 6))) {
		if (slp_get_str(root, "race", &s, &sn) != 0 || sn >= sizeof(c->cur.race))
			return;
		c->cur.op = kn == 6 ? "lineup" : "race_official";
		snprintf(c->cur.race, sizeof(c->cur.race), "%.*s", (int)sn, s);
		if (kn == 13)
			snprintf(c->cur.from, sizeof(c->cur.from), "%s",
				 core_race_results_state(c, c->cur.race));
		c->cur.audit = true;
	} else if (kn == 9 && !memcmp(k, "read_void", 9)) {
		read_void_prepare(c, root);
	} else if (kn == 8 && !memcmp(k, "passings", 8)) {
		const char *dev = raw ? raw->dev : NULL;
		size_t dn = raw ? raw->dev_len : 0;
		if (!dev && slp_get_str(root, "dev", &dev, &dn) != 0)
			return;
		bool own = (dn >= 9 && !memcmp(dev, "official-", 9)) ||
			   (dn == 5 && !memcmp(dev, "admin", 5)) ||
			   (dn >= 6 && !memcmp(dev, "admin-", 6));
		if (!own)
			return; /* a timing device's reads are not decisions */
		c->cur.op = "passing";
		c->cur.audit = true;
	}
}

void core__audit_decision(core *c, const msgpack_object *root, const slp_batch *raw)
{
	const char *reason = NULL, *by = NULL, *dev = NULL;
	size_t rn = 0, bn = 0, dn = 0;
	slp_get_str(root, "reason", &reason, &rn);
	slp_get_str(root, "official", &by, &bn);
	if (!strcmp(c->cur.op, "race_official")) {
		snprintf(c->cur.to, sizeof(c->cur.to), "%s",
			 core_race_results_state(c, c->cur.race));
	} else if (!strcmp(c->cur.op, "lineup")) {
		const msgpack_object *lo = slp_get(root, "lanes");
		snprintf(c->cur.to, sizeof(c->cur.to), "%s",
			 lo && lo->type != MSGPACK_OBJECT_NIL ? "set by hand" : "drawn");
	} else if (!strcmp(c->cur.op, "wave_start")) {
		int64_t t0 = NO_TIME;
		slp_get_int(root, "t0", &t0);
		fmt_ms_time(c->cur.to, sizeof(c->cur.to), t0);
	} else if (!strncmp(c->cur.op, "read_", 5)) {
		/* from and to were set before: the read, and "void" */
	} else if (!strcmp(c->cur.op, "passing")) {
		/* the reads: "bib 12 at finish 2015-...Z (manual) seq 7" (seq: what a
		 * read_void names); a few, then how many */
		slp_batch b;
		msgpack_zone z;
		char e[8];
		msgpack_zone_init(&z, 1024);
		if (raw)
			b = *raw;
		else if (slp_batch_parse(root, &z, &b, e, sizeof(e)) < 0)
			b.nreads = 0;
		size_t off = 0;
		for (size_t i = 0; i < b.nreads && i < 3; i++) {
			const slp_read *r = &b.reads[i];
			char t[40];
			fmt_ms_time(t, sizeof(t), r->t);
			off += (size_t)snprintf(
				c->cur.to + off, sizeof(c->cur.to) - off,
				"%s%s %.*s at %.*s %s (%s) seq %llu", i ? "; " : "",
				r->bib ? "bib" : "chip", (int)(r->bib ? r->bib_len : r->chip_len),
				r->bib ? r->bib : r->chip, (int)r->pt_len, r->pt, t,
				slp_kind_name(r->kind) ? slp_kind_name(r->kind) : "?",
				(unsigned long long)(b.seq + i));
			if (off >= sizeof(c->cur.to))
				break;
		}
		if (b.nreads > 3 && off < sizeof(c->cur.to))
			snprintf(c->cur.to + off, sizeof(c->cur.to) - off, "; %zu reads in all",
				 b.nreads);
		if (b.nreads == 1)
			snprintf(c->cur.bib, sizeof(c->cur.bib), "%.*s",
				 (int)(b.reads[0].bib ? b.reads[0].bib_len : b.reads[0].chip_len),
				 b.reads[0].bib ? b.reads[0].bib : b.reads[0].chip);
		dev = b.dev;
		dn = b.dev_len;
		by = dev;
		bn = dn;
		msgpack_zone_destroy(&z);
	} else {
		/* adjust: the value in force now */
		struct adj_rec a;
		char e[8];
		uint32_t pi;
		if (adj_parse(root, &a, e, sizeof(e)) == 0) {
			const struct adj_state *st = NULL;
			if (hmap_get(&c->bibs, a.bib, strlen(a.bib), &pi) &&
			    c->parts[pi].ast != NONE32)
				st = &c->ast[c->parts[pi].ast];
			adj_value(&a, st, c->cur.to, sizeof(c->cur.to));
			adj_release(&a);
		}
	}
	checkin_audit_decision(c, c->cur.at, c->cur.at != 0, dev, dn, by, bn, reason, rn);
}

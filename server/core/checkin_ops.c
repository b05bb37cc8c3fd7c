/*
 * checkin_ops.c: the pickup ops of a scan (PROTOCOL.md, "Check-in"):
 * assign a bib (given, or the next free one of the race's pool), pair a
 * chip, swap two persons' bibs, transfer an entry to another person.  An
 * op that changes a participant builds the new entry and puts it through
 * core__put_entry(), exactly like an imported row, and writes a row of the
 * audit trail; an op that cannot be carried out answers with a warning and
 * changes nothing.  Called by checkin_fold.c, one scan at a time.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin_int.h"
#include "cval.h"
#include "slp.h"

/*
 * Pair, swap and transfer act on a participant's bib: a registration
 * without one gets the warning, ending in what to do instead (or why not).
 */
static bool no_bib(struct scan_out *o, const char *what)
{
	if (o->kind != R_PEND)
		return false;
	o->w = W_NO_BIB;
	sl_buf_addf(&o->msg, "registered without a bib: %s", what);
	return true;
}

/* A chip change of pi as a row of the audit trail. */
static void audit_chip(core *c, const char *op, int64_t t, uint32_t di, const char *vol, size_t vn,
		       uint32_t pi, const char *chip, size_t cn, const char *old_chip)
{
	struct checkin *k = c->ck;
	msgpack_packer pk;
	sl_buf *row;
	const struct entry *e = &c->parts[pi].e;
	checkin__audit_begin(k, &pk, &row, 3, op, true, t, k->devs[di].id, vol, vn, e->bib);
	slp_pack_kv_str_or_nil(&pk, "reg", e->reg);
	checkin__opt_strn(&pk, "chip", chip, cn);
	slp_pack_kv_str_or_nil(&pk, "old_chip", old_chip);
}

/*
 * Pair chip (n bytes) with participant *pi as its first chip: -1 when
 * another athlete holds it (o says so), 0 when it is already this one's,
 * 1 when paired, with a row of the audit trail ("pair", the scan's time t,
 * device di and volunteer vol).
 */
static int pair_chip(core *c, uint32_t *pi, const char *chip, size_t n, struct scan_out *o,
		     int64_t t, uint32_t di, const char *vol, size_t vn)
{
	uint32_t owner = core__chip_owner(c, chip, n);
	char *old_chip = NULL;
	if (owner != NONE32 && owner != *pi) {
		o->w = W_CHIP_IN_USE;
		sl_buf_addf(&o->msg, "chip '%.*s' belongs to bib %s (%s)", (int)n, chip,
			    c->parts[owner].e.bib, c->parts[owner].e.name);
		return -1;
	}
	if (owner == *pi) {
		sl_buf_addf(&o->msg, "chip '%.*s' already paired", (int)n, chip);
		return 0;
	}
	struct entry e;
	entry_dup(&e, &c->parts[*pi].e);
	if (e.nchips)
		old_chip = e.chips[0];
	else
		e.nchips = 1;
	e.chips[0] = sl_strndup(chip, n);
	char *bib = sl_strdup(e.bib);
	core__put_entry(c, &e, true);
	core__recount(c);
	*pi = checkin__bib_index(c, bib);
	free(bib);
	sl_buf_addf(&o->msg, "chip '%.*s' paired", (int)n, chip);
	audit_chip(c, "pair", t, di, vol, vn, *pi, chip, n, old_chip);
	free(old_chip);
	return 1;
}

void checkin__assign(core *c, const msgpack_object *s, uint32_t di, uint64_t sq, int64_t t,
		     const char *vol, size_t vn, const char *race, size_t rn, struct scan_out *o)
{
	const char *want = NULL, *chip = NULL;
	size_t wn = 0, cn = 0;
	char bib[72];
	if (slp_get_str(s, "bib", &want, &wn) != 0)
		want = NULL;
	if (slp_get_str(s, "chip", &chip, &cn) != 0)
		chip = NULL;

	if (o->kind == R_PART) {
		const struct entry *pe = &c->parts[o->pi].e;
		if (checkin__race_differs(c, c->parts[o->pi].race, race, rn)) {
			o->w = W_RACE;
			return;
		}
		if (want && (strlen(pe->bib) != wn || memcmp(pe->bib, want, wn) != 0)) {
			o->w = W_HAS_BIB;
			sl_buf_addf(&o->msg, "already has bib %s", pe->bib);
			return;
		}
		bool was_in = checkin__is_in(c, &c->parts[o->pi]);
		if (chip) {
			if (pair_chip(c, &o->pi, chip, cn, o, t, di, vol, vn) < 0)
				return;
			sl_buf_adds(&o->msg, ", ");
		}
		checkin__check_in(c, o->pi, di, sq, t, vol, vn, chip != NULL, o);
		if (o->w == W_NONE)
			sl_buf_addf(&o->msg, "bib %s%s", c->parts[o->pi].e.bib,
				    was_in ? ", already checked in" : ", checked in");
		return;
	}
	/* a registration without a bib */
	struct entry *pe = &c->pend[o->pend];
	int ri = core__pending_race(c, pe);
	if (checkin__race_differs(c, ri, race, rn)) {
		o->w = W_RACE;
		return;
	}
	if (want) {
		uint32_t holder;
		if (wn >= sizeof(bib))
			wn = sizeof(bib) - 1;
		memcpy(bib, want, wn);
		bib[wn] = '\0';
		if (hmap_get(&c->bibs, bib, wn, &holder) && !c->parts[holder].e.blank) {
			o->w = W_BIB_TAKEN;
			sl_buf_addf(&o->msg, "bib %s belongs to %s", bib, c->parts[holder].e.name);
			return;
		}
	} else if (ri < 0) {
		o->w = W_NO_POOL;
		sl_buf_adds(&o->msg, "no race to take a bib from");
		return;
	} else {
		int rc = core__pool_next(c, ri, bib, sizeof(bib));
		if (rc == SL_ENOENT) {
			o->w = W_NO_POOL;
			sl_buf_addf(&o->msg, "race '%s' has no bib_pool: give a bib",
				    c->cfg.races[ri].id);
			return;
		}
		if (rc < 0) {
			o->w = W_POOL_EMPTY;
			sl_buf_addf(&o->msg, "every bib of race '%s''s bib_pool is taken",
				    c->cfg.races[ri].id);
			return;
		}
	}
	/* a blank bib (imported with its chips, given to nobody) is taken over */
	uint32_t blank = NONE32;
	if (hmap_get(&c->bibs, bib, strlen(bib), &blank) && !c->parts[blank].e.blank)
		blank = NONE32;
	if (chip) {
		uint32_t owner = core__chip_owner(c, chip, cn);
		if (owner != NONE32 && owner != blank) {
			o->w = W_CHIP_IN_USE;
			sl_buf_addf(&o->msg, "chip '%.*s' belongs to bib %s (%s)", (int)cn, chip,
				    c->parts[owner].e.bib, c->parts[owner].e.name);
			return;
		}
	}
	struct entry e = *pe;
	memset(pe, 0, sizeof(*pe)); /* the slot is spent (reg NULL) */
	e.bib = sl_strdup(bib);
	if (chip) {
		e.chips[0] = sl_strndup(chip, cn);
		e.nchips = 1;
	} else if (blank != NONE32) { /* the chips on the bib */
		const struct entry *be = &c->parts[blank].e;
		for (int i = 0; i < be->nchips; i++)
			e.chips[i] = sl_strdup(be->chips[i]);
		e.nchips = be->nchips;
	}
	if (!chip && e.nchips) {
		chip = e.chips[0];
		cn = strlen(chip);
	}
	core__put_entry(c, &e, true);
	core__recount(c);
	o->kind = R_PART;
	o->pi = checkin__bib_index(c, bib);
	struct checkin *k = c->ck;
	msgpack_packer pk;
	sl_buf *row;
	const struct entry *ne = &c->parts[o->pi].e;
	checkin__audit_begin(k, &pk, &row, 3, "assign", true, t, k->devs[di].id, vol, vn, ne->bib);
	slp_pack_kv_str_or_nil(&pk, "reg", ne->reg);
	checkin__opt_strn(&pk, "chip", chip, cn);
	slp_pack_key(&pk, "to");
	checkin__pack_person(c, &pk, ne);
	checkin__check_in(c, o->pi, di, sq, t, vol, vn, true, o);
	sl_buf_addf(&o->msg, "bib %s assigned%s%.*s%s, checked in", bib, chip ? ", chip '" : "",
		    (int)cn, chip ? chip : "", chip ? "' paired" : "");
}

void checkin__pair(core *c, const msgpack_object *s, uint32_t di, uint64_t sq, int64_t t,
		   const char *vol, size_t vn, const char *race, size_t rn, struct scan_out *o)
{
	const char *chip;
	size_t cn;
	slp_get_str(s, "chip", &chip, &cn);
	if (no_bib(o, "assign one first"))
		return;
	if (checkin__race_differs(c, c->parts[o->pi].race, race, rn)) {
		o->w = W_RACE;
		return;
	}
	bool was_in = checkin__is_in(c, &c->parts[o->pi]);
	if (pair_chip(c, &o->pi, chip, cn, o, t, di, vol, vn) < 0)
		return;
	checkin__check_in(c, o->pi, di, sq, t, vol, vn, true, o);
	sl_buf_addf(&o->msg, " to bib %s%s", c->parts[o->pi].e.bib, was_in ? "" : ", checked in");
}

void checkin__swap(core *c, const msgpack_object *s, uint32_t di, int64_t t, const char *vol,
		   size_t vn, struct scan_out *o)
{
	const char *with, *reason;
	size_t wn, rn;
	uint32_t q, pb;
	int w2;
	slp_get_str(s, "with", &with, &wn);
	if (slp_get_str(s, "reason", &reason, &rn) != 0)
		reason = NULL;
	if (no_bib(o, "nothing to swap"))
		return;
	int kind = checkin__resolve(c, with, wn, &w2, &pb, &q);
	if (kind == R_PART && c->parts[pb].e.blank) {
		o->w = W_BLANK;
		sl_buf_addf(&o->msg, "with: bib %s is not given to anyone yet", c->parts[pb].e.bib);
		return;
	}
	if (kind != R_PART) {
		o->w = kind == R_PEND ? W_NO_BIB : w2;
		sl_buf_addf(&o->msg, "with: '%.*s' %s", (int)wn, with,
			    kind == R_PEND ? "has no bib yet" : "names no athlete");
		return;
	}
	if (pb == o->pi) {
		o->w = W_SAME;
		sl_buf_addf(&o->msg, "'%.*s' is the same athlete", (int)wn, with);
		return;
	}
	struct entry a, b;
	entry_dup(&a, &c->parts[o->pi].e);
	entry_dup(&b, &c->parts[pb].e);
	struct checkin *k = c->ck;
	msgpack_packer pk;
	sl_buf *row;
	checkin__audit_begin(k, &pk, &row, 4, "swap", true, t, k->devs[di].id, vol, vn, a.bib);
	slp_pack_kv_str(&pk, "with", b.bib);
	checkin__opt_strn(&pk, "reason", reason, rn);
	slp_pack_key(&pk, "from");
	checkin__pack_person(c, &pk, &a);
	slp_pack_key(&pk, "to");
	checkin__pack_person(c, &pk, &b);
	sl_buf_addf(&o->msg, "bibs %s and %s swapped: %s now has bib %s, %s bib %s", a.bib, b.bib,
		    b.name, a.bib, a.name, b.bib);
	char *abib = sl_strdup(a.bib), *bbib = sl_strdup(b.bib);
	entry_swap_person(&a, &b);
	core__put_entry(c, &a, true);
	core__put_entry(c, &b, true);
	core__recount(c);
	o->pi = checkin__bib_index(c, abib);
	o->with = checkin__bib_index(c, bbib);
	free(abib);
	free(bbib);
}

void checkin__transfer(core *c, const msgpack_object *s, uint32_t di, int64_t t, const char *vol,
		       size_t vn, struct scan_out *o)
{
	const char *reason;
	size_t rn;
	struct entry to, e;
	char perr[8];
	if (slp_get_str(s, "reason", &reason, &rn) != 0)
		reason = NULL;
	if (no_bib(o, "import the new person instead"))
		return;
	if (entry_parse_person(slp_get(s, "to"), &to, "to", perr, sizeof(perr)) < 0)
		return; /* checked before folding */
	entry_dup(&e, &c->parts[o->pi].e);
	struct checkin *k = c->ck;
	msgpack_packer pk;
	sl_buf *row;
	checkin__audit_begin(k, &pk, &row, 3, "transfer", true, t, k->devs[di].id, vol, vn, e.bib);
	checkin__opt_strn(&pk, "reason", reason, rn);
	slp_pack_key(&pk, "from");
	checkin__pack_person(c, &pk, &e);
	slp_pack_key(&pk, "to");
	checkin__pack_person(c, &pk, &to);
	sl_buf_addf(&o->msg, "bib %s transferred from %s to %s", e.bib, e.name, to.name);
	entry_swap_person(&e, &to); /* e gets the new person, and no reg */
	entry_release(&to);
	char *bib = sl_strdup(e.bib);
	core__put_entry(c, &e, true);
	core__recount(c);
	o->pi = checkin__bib_index(c, bib);
	free(bib);
}

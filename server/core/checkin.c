/*
 * checkin.c: check-in scans, bib and chip assignment at pickup, swaps and
 * transfers, and their answers (see checkin.h, and PROTOCOL.md "Check-in").
 * This file holds the state, answers, audit rows and checking in; the ops
 * are in checkin_ops.c, the records in checkin_fold.c, snapshots and topics
 * in checkin_view.c (see checkin_int.h).
 *
 * A scanned code is a bib ("1234"), a registration code (a row's `reg`),
 * a chip of a participant, or "sl:<event>:<bib or reg>" (what the printed
 * QR codes hold).  Each scan of a checkins record, in seq order, past its
 * device's watermark, gets one answer, decided when the log folds it:
 *   - wrong_event: a registration code of another event;
 *   - unknown_code: no participant or registration has that code;
 *   - not_registered_for_race: the scan names a race (the desk's race) and
 *     the athlete runs another; nothing changes;
 *   - already_checked_in: with the device, volunteer and time of the scan
 *     that checked the athlete in;
 *   - the op's own warnings (no_bib, has_bib, bib_taken, no_pool,
 *     pool_empty, chip_in_use, same_athlete): nothing changes;
 *   - "" (none): the op was carried out (the athlete checked in, a bib
 *     assigned, a chip paired, two persons swapped, an entry transferred).
 * Ops that change a participant build the new entry and put it through
 * core__put_entry(), exactly like an imported row, so reads of a newly
 * paired chip (even reads that came first, listed as unknown) count for
 * the athlete from then on, and results follow.  "The next free bib" is
 * the lowest bib of the race's pool nobody holds at fold time: two desks
 * asking at the same moment get two bibs, in log order.
 *
 * checkin_undo (an official) clears a bib's check-in; its next scan checks
 * it in again.  Every change of a bib's holder or chip, and every undo, is
 * a row of the audit trail (topic "audit").
 *
 * Answers and audit rows are packed when folded (the msgpack map as sent)
 * and kept as bytes: they say what happened then, whatever changes later.
 * The answers of a device are kept in seq order (rising, not necessarily
 * contiguous: a device may also send passings in the same seq space).
 *
 * Snapshots save the state itself (athletes, devices with their answers,
 * the audit trail), not the records: an op's effect depends on the
 * participants when it was folded, so folding the records again on top of
 * the participants they changed would answer differently.
 *
 * Invariants: a bib is checked in by at most one scan at a time; the count
 * of checked-in bibs equals the number of scans that checked in minus the
 * undos applied.  Nothing iterates a hash table, so bytes out are a
 * function of the records.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin_int.h"
#include "cval.h"
#include "slp.h"

const char *const checkin__opnames[OP_N] = {"checkin", "assign", "pair", "swap", "transfer"};
const char *const checkin__wnames[W_N] = {"",
					  "already_checked_in",
					  "unknown_code",
					  "wrong_event",
					  "not_registered_for_race",
					  "no_bib",
					  "has_bib",
					  "bib_taken",
					  "no_pool",
					  "pool_empty",
					  "chip_in_use",
					  "same_athlete",
					  "blank_bib"};

struct checkin *checkin__ck_of(core *c)
{
	if (!c->ck) {
		c->ck = sl_calloc(1, sizeof(*c->ck));
		hmap_init(&c->ck->athmap);
		hmap_init(&c->ck->devmap);
	}
	return c->ck;
}

void checkin_free(core *c)
{
	struct checkin *k = c->ck;
	if (!k)
		return;
	for (size_t i = 0; i < k->naths; i++)
		SL_FREE_MANY(k->aths[i].bib, k->aths[i].vol);
	for (size_t i = 0; i < k->ndevs; i++) {
		for (size_t j = 0; j < k->devs[i].n; j++)
			sl_buf_release(&k->devs[i].a[j].mp);
		SL_FREE_MANY(k->devs[i].a, k->devs[i].id);
	}
	for (size_t i = 0; i < k->naudit; i++)
		sl_buf_release(&k->audit[i]);
	hmap_release(&k->athmap);
	hmap_release(&k->devmap);
	c->ck = NULL;
	SL_FREE_MANY(k->aths, k->devs, k->audit, k->chg, k);
}

uint32_t checkin__ath_upsert(struct checkin *k, const char *bib, size_t n)
{
	uint32_t ai;
	if (HMAP_INTERN(&k->athmap, bib, n, k->aths, k->caths, k->naths, &ai))
		k->aths[ai].bib = sl_strndup(bib, n);
	return ai;
}

uint32_t checkin__dev_upsert(struct checkin *k, const char *id, size_t n)
{
	uint32_t di;
	if (HMAP_INTERN(&k->devmap, id, n, k->devs, k->cdevs, k->ndevs, &di))
		k->devs[di].id = sl_strndup(id, n);
	return di;
}

void checkin__mark(struct checkin *k, uint32_t ai)
{
	k->any = true;
	if (k->aths[ai].chg)
		return;
	k->aths[ai].chg = true;
	SL_GROW(k->chg, k->cchg, k->nchg + 1);
	k->chg[k->nchg++] = ai;
}

bool checkin__str_field(const msgpack_object *m, const char *key, size_t maxn, bool required,
			const char **s, size_t *n, const char *path, char *err, size_t errlen)
{
	int rc = slp_get_str(m, key, s, n);
	if (rc == SL_ENOENT && !required) {
		*s = NULL;
		*n = 0;
		return true;
	}
	if (rc < 0 || *n > maxn || (required && *n == 0) || memchr(*s, '\0', *n)) {
		cval_err(err, errlen, "%s%s: expected a string of %s to %zu bytes", path, key,
			 required ? "1" : "0", maxn);
		return false;
	}
	return true;
}

/* {name, sex, age, club} of a person (an entry). */
void checkin__pack_person(const core *c, msgpack_packer *pk, const struct entry *e)
{
	int age = c->has_cfg ? entry_age(e, &c->cfg) : e->age;
	msgpack_pack_map(pk, 4);
	slp_pack_kv_str(pk, "name", e->name);
	slp_pack_key(pk, "sex");
	if (cfg_sex_name(e->sex))
		slp_pack_str(pk, cfg_sex_name(e->sex));
	else
		msgpack_pack_nil(pk);
	slp_pack_key(pk, "age");
	if (age >= 0)
		msgpack_pack_int(pk, age);
	else
		msgpack_pack_nil(pk);
	slp_pack_kv_str(pk, "club", e->club);
}

void checkin__opt_strn(msgpack_packer *pk, const char *k, const char *v, size_t n)
{
	slp_pack_key(pk, k);
	if (v)
		slp_pack_strn(pk, v, n);
	else
		msgpack_pack_nil(pk);
}

void checkin__pack_entry(const core *c, msgpack_packer *pk, const struct entry *e, int race,
			 int wave)
{
	const struct cfg_race *r = race >= 0 && c->has_cfg ? &c->cfg.races[race] : NULL;
	slp_pack_kv_str_or_nil(pk, "bib", e->bib);
	slp_pack_kv_str_or_nil(pk, "reg", e->reg);
	slp_pack_kv_str(pk, "name", e->name);
	slp_pack_kv_str_or_nil(pk, "race", r ? r->id : NULL);
	slp_pack_key(pk, "wave");
	if (r && wave >= 0 && (size_t)wave < r->nwaves)
		slp_pack_str(pk, r->waves[wave].id);
	else if (r && !e->bib && e->wave)
		slp_pack_str(pk, e->wave);
	else
		msgpack_pack_nil(pk);
	slp_pack_key(pk, "chips");
	msgpack_pack_array(pk, e->nchips);
	for (int i = 0; i < e->nchips; i++)
		slp_pack_str(pk, e->chips[i]);
}

void checkin__pack_part(const core *c, msgpack_packer *pk, uint32_t pi)
{
	const struct part *p = &c->parts[pi];
	checkin__pack_entry(c, pk, &p->e, p->race, p->wave);
}

/*
 * One answer: {"seq","code","t","volunteer","ok","warning","msg", "op"
 * unless a checkin, and when an athlete was found the ATH_FIELDS; with
 * already_checked_in "by":{"dev","volunteer","t"}; a swap "with":{"bib",
 * "name"}}.
 */
void checkin__pack_ans(const core *c, sl_buf *out, uint64_t seq, const char *code, size_t cn,
		       int64_t t, const char *vol, size_t vn, const struct scan_out *o)
{
	msgpack_packer pk;
	bool ath = o->kind != R_NONE, by = o->w == W_ALREADY,
	     with = o->op == OP_SWAP && o->with != NONE32;
	slp_packer_init(&pk, out);
	msgpack_pack_map(&pk, 7 + (o->op != OP_CHECKIN) + (ath ? ATH_FIELDS : 0) + by + with);
	slp_pack_key(&pk, "seq");
	msgpack_pack_uint64(&pk, seq);
	slp_pack_kv_strn(&pk, "code", code, cn);
	slp_pack_kv_int(&pk, "t", t);
	checkin__opt_strn(&pk, "volunteer", vol, vn);
	slp_pack_kv_bool(&pk, "ok", o->w == W_NONE);
	slp_pack_kv_str_or_nil(&pk, "warning", o->w == W_NONE ? NULL : checkin__wnames[o->w]);
	slp_pack_kv_strn(&pk, "msg", o->msg.data ? o->msg.data : "", o->msg.len);
	if (o->op != OP_CHECKIN)
		slp_pack_kv_str(&pk, "op", checkin__opnames[o->op]);
	if (o->kind == R_PART)
		checkin__pack_part(c, &pk, o->pi);
	else if (o->kind == R_PEND)
		checkin__pack_entry(c, &pk, &c->pend[o->pend],
				    core__pending_race(c, &c->pend[o->pend]), -1);
	if (by) {
		slp_pack_key(&pk, "by");
		msgpack_pack_map(&pk, 3);
		slp_pack_kv_str(&pk, "dev", c->ck->devs[o->by_dev].id);
		slp_pack_kv_str_or_nil(&pk, "volunteer", o->by_vol);
		slp_pack_kv_int(&pk, "t", o->by_t);
	}
	if (with) {
		slp_pack_key(&pk, "with");
		msgpack_pack_map(&pk, 2);
		slp_pack_kv_str(&pk, "bib", c->parts[o->with].e.bib);
		slp_pack_kv_str(&pk, "name", c->parts[o->with].e.name);
	}
}

/* An audit row under construction: the fields every row has. */
void checkin__audit_begin(struct checkin *k, msgpack_packer *pk, sl_buf **row, size_t nfields,
			  const char *op, bool has_t, int64_t t, const char *dev, const char *by,
			  size_t byn, const char *bib)
{
	SL_GROW(k->audit, k->caudit, k->naudit + 1);
	*row = &k->audit[k->naudit];
	sl_buf_init(*row);
	slp_packer_init(pk, *row);
	msgpack_pack_map(pk, 6 + nfields);
	slp_pack_kv_int(pk, "i", (int64_t)k->naudit);
	slp_pack_kv_str(pk, "op", op);
	slp_pack_key(pk, "t");
	if (has_t)
		msgpack_pack_int64(pk, t);
	else
		msgpack_pack_nil(pk);
	slp_pack_kv_str_or_nil(pk, "dev", dev);
	checkin__opt_strn(pk, "by", by, byn);
	slp_pack_kv_str(pk, "bib", bib);
	k->naudit++;
	k->any = true;
}

void checkin_audit_decision(core *c, int64_t t, bool has_t, const char *dev, size_t devn,
			    const char *by, size_t byn, const char *reason, size_t rn)
{
	struct checkin *k = checkin__ck_of(c);
	msgpack_packer pk;
	sl_buf *row;
	char d[72];
	snprintf(d, sizeof(d), "%.*s", (int)(devn < 64 ? devn : 64), dev ? dev : "");
	checkin__audit_begin(k, &pk, &row, 6, c->cur.op, has_t, t, d[0] ? d : NULL, by, byn,
			     c->cur.bib[0] ? c->cur.bib : "");
	slp_pack_kv_str_or_nil(&pk, "race", c->cur.race[0] ? c->cur.race : NULL);
	slp_pack_kv_str_or_nil(&pk, "pt", c->cur.pt[0] ? c->cur.pt : NULL);
	checkin__opt_strn(&pk, "reason", reason, rn);
	slp_pack_kv_str_or_nil(&pk, "from", c->cur.from[0] ? c->cur.from : NULL);
	slp_pack_kv_str_or_nil(&pk, "to", c->cur.to[0] ? c->cur.to : NULL);
	slp_pack_kv_int(&pk, "changed", c->cur.nchanged);
}

bool checkin__race_differs(const core *c, int race, const char *want, size_t wn)
{
	return want && (race < 0 || !c->has_cfg || strlen(c->cfg.races[race].id) != wn ||
			memcmp(c->cfg.races[race].id, want, wn) != 0);
}

/* Check the athlete pi in by this scan, or say who did. */
void checkin__check_in(core *c, uint32_t pi, uint32_t di, uint64_t sq, int64_t t, const char *vol,
		       size_t vn, bool quiet_if_in, struct scan_out *o)
{
	struct checkin *k = c->ck;
	const char *bib = c->parts[pi].e.bib;
	uint32_t ai = checkin__ath_upsert(k, bib, strlen(bib));
	struct ath *at = &k->aths[ai];
	if (at->in) {
		if (!quiet_if_in) {
			o->w = W_ALREADY;
			o->by_dev = at->dev;
			o->by_vol = at->vol;
			o->by_t = at->t;
		}
		return;
	}
	at->in = true;
	at->dev = di;
	free(at->vol);
	at->vol = vol ? sl_strndup(vol, vn) : NULL;
	at->t = t;
	at->seq = sq;
	checkin__mark(k, ai);
}

uint32_t checkin__bib_index(const core *c, const char *bib)
{
	uint32_t pi = NONE32;
	hmap_get(&c->bibs, bib, strlen(bib), &pi);
	return pi;
}

/* The check-in of a bib, or NULL when it was never scanned. */
const struct ath *checkin__ath_of(const core *c, const char *bib, size_t n)
{
	uint32_t ai;
	if (!c->ck || !hmap_get(&c->ck->athmap, bib, n, &ai))
		return NULL;
	return &c->ck->aths[ai];
}

bool checkin__is_in(const core *c, const struct part *p)
{
	const struct ath *a = checkin__ath_of(c, p->e.bib, strlen(p->e.bib));
	return a && a->in;
}

void checkin_changes_clear(core *c)
{
	struct checkin *k = c->ck;
	if (!k)
		return;
	for (size_t i = 0; i < k->nchg; i++)
		k->aths[k->chg[i]].chg = false;
	k->nchg = 0;
	for (size_t i = 0; i < k->ndevs; i++)
		k->devs[i].nclear = k->devs[i].n;
	k->nclear_audit = k->naudit;
	k->any = false;
}

bool checkin_changed(const core *c)
{
	return c->ck && c->ck->any;
}

bool checkin_any(const core *c)
{
	return c->ck && (c->ck->naths || c->ck->ndevs || c->ck->naudit);
}

/*
 * Whom a code names: a participant (*pi), a registration without a bib
 * (*pend), or nobody (*w says why).  bib, bin, reg and reg in sl:<ev>:<x>.
 */
int checkin__resolve(const core *c, const char *code, size_t n, int *w, uint32_t *pi,
		     uint32_t *pend)
{
	*w = W_NONE;
	if (n > 3 && !memcmp(code, "sl:", 3)) {
		const char *ev = code + 3, *colon = memchr(ev, ':', n - 3);
		const char *mine = c->has_cfg ? c->cfg.event : "";
		if (!colon) {
			*w = W_UNKNOWN;
			return R_NONE;
		}
		if ((size_t)(colon - ev) != strlen(mine) || memcmp(ev, mine, strlen(mine)) != 0) {
			*w = W_EVENT;
			return R_NONE;
		}
		size_t skip = (size_t)(colon + 1 - code);
		code += skip;
		n -= skip;
	}
	if (n == 0) {
		*w = W_UNKNOWN;
		return R_NONE;
	}
	if (hmap_get(&c->bibs, code, n, pi))
		return R_PART;
	switch (core__reg_find(c, code, n, pi, pend)) {
	case 1: return R_PART;
	case 2: return R_PEND;
	}
	if ((*pi = core__chip_owner(c, code, n)) != NONE32)
		return R_PART;
	*w = W_UNKNOWN;
	return R_NONE;
}

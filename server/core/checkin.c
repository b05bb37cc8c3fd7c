/*
 * checkin.c: check-in scans, bib and chip assignment at pickup, swaps and
 * transfers, and their answers (see checkin.h, and PROTOCOL.md "Check-in").
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

#include "checkin.h"
#include "core_int.h"
#include "cval.h"
#include "slp.h"

enum {
	W_NONE,
	W_ALREADY,
	W_UNKNOWN,
	W_EVENT,
	W_RACE,
	W_NO_BIB,
	W_HAS_BIB,
	W_BIB_TAKEN,
	W_NO_POOL,
	W_POOL_EMPTY,
	W_CHIP_IN_USE,
	W_SAME,
	W_BLANK,
	W_N
};
static const char *const wnames[W_N] = {"",
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

enum { OP_CHECKIN, OP_ASSIGN, OP_PAIR, OP_SWAP, OP_TRANSFER, OP_N };
static const char *const opnames[OP_N] = {"checkin", "assign", "pair", "swap", "transfer"};

#define MAX_SCANS 10000

struct ath {
	char *bib;
	bool in, chg;
	uint32_t dev; /* device index of the checking scan */
	char *vol;    /* volunteer of that scan, or NULL */
	int64_t t;
	uint64_t seq;
	uint32_t undone;
};

struct ans {
	uint64_t seq;
	uint8_t w, op;
	uint32_t ath; /* NONE32: no athlete with a bib */
	sl_buf mp;    /* the answer row as sent */
};

struct ckdev {
	char *id;
	uint64_t wm;
	struct ans *a;
	size_t n, cap, nclear; /* answers [nclear, n) are new since the last clear */
};

struct checkin {
	hmap athmap; /* bib -> ath index */
	struct ath *aths;
	size_t naths, caths;
	hmap devmap; /* device -> ckdev index */
	struct ckdev *devs;
	size_t ndevs, cdevs;
	sl_buf *audit; /* audit rows as sent, log order */
	size_t naudit, caudit, nclear_audit;
	uint32_t *chg; /* aths changed since the last clear */
	size_t nchg, cchg;
	bool any;
};

static struct checkin *ck_of(core *c)
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
	for (size_t i = 0; i < k->naths; i++) {
		free(k->aths[i].bib);
		free(k->aths[i].vol);
	}
	free(k->aths);
	hmap_release(&k->athmap);
	for (size_t i = 0; i < k->ndevs; i++) {
		for (size_t j = 0; j < k->devs[i].n; j++)
			sl_buf_release(&k->devs[i].a[j].mp);
		free(k->devs[i].a);
		free(k->devs[i].id);
	}
	free(k->devs);
	hmap_release(&k->devmap);
	for (size_t i = 0; i < k->naudit; i++)
		sl_buf_release(&k->audit[i]);
	free(k->audit);
	free(k->chg);
	free(k);
	c->ck = NULL;
}

static uint32_t ath_upsert(struct checkin *k, const char *bib, size_t n)
{
	bool added;
	uint32_t ai = *hmap_upsert(&k->athmap, bib, n, (uint32_t)k->naths, &added);
	if (added) {
		SL_GROW(k->aths, k->caths, k->naths + 1);
		k->aths[k->naths++] = (struct ath){.bib = sl_strndup(bib, n)};
	}
	return ai;
}

static uint32_t dev_upsert(struct checkin *k, const char *id, size_t n)
{
	bool added;
	uint32_t di = *hmap_upsert(&k->devmap, id, n, (uint32_t)k->ndevs, &added);
	if (added) {
		SL_GROW(k->devs, k->cdevs, k->ndevs + 1);
		k->devs[k->ndevs++] = (struct ckdev){.id = sl_strndup(id, n)};
	}
	return di;
}

static void mark(struct checkin *k, uint32_t ai)
{
	k->any = true;
	if (k->aths[ai].chg)
		return;
	k->aths[ai].chg = true;
	SL_GROW(k->chg, k->cchg, k->nchg + 1);
	k->chg[k->nchg++] = ai;
}

static bool str_field(const msgpack_object *m, const char *key, size_t maxn, bool required,
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


/* The op of a scan: OP_*, or -1 when malformed. */
static int scan_op(const msgpack_object *s)
{
	const char *x;
	size_t n;
	if (!slp_get(s, "op"))
		return OP_CHECKIN;
	if (slp_get_str(s, "op", &x, &n) != 0)
		return -1;
	for (int i = 0; i < OP_N; i++)
		if (strlen(opnames[i]) == n && !memcmp(opnames[i], x, n))
			return i;
	return -1;
}

/*
 * Whom a code names: a participant (*pi), a registration without a bib
 * (*pend), or nobody (*w says why).  bib, bin, reg and reg in sl:<ev>:<x>.
 */
enum { R_NONE, R_PART, R_PEND };
static int resolve(const core *c, const char *code, size_t n, int *w, uint32_t *pi, uint32_t *pend)
{
	uint32_t ci;
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
	char kb[136];
	if (n + 1 <= sizeof(kb)) {
		kb[0] = 'c';
		memcpy(kb + 1, code, n);
		if (hmap_get(&c->codemap, kb, n + 1, &ci) && c->codes[ci].pidx != NONE32) {
			*pi = c->codes[ci].pidx;
			return R_PART;
		}
	}
	*w = W_UNKNOWN;
	return R_NONE;
}

/* ---- checking a record ------------------------------------------------- */

static int check_scan(const msgpack_object *s, uint32_t i, char *err, size_t errlen)
{
	char path[32];
	const char *x;
	size_t xn;
	int64_t t;
	snprintf(path, sizeof(path), "scans[%u].", i);
	if (s->type != MSGPACK_OBJECT_MAP) {
		cval_err(err, errlen, "scans[%u]: expected map", i);
		return SL_EINVAL;
	}
	if (!str_field(s, "code", 128, true, &x, &xn, path, err, errlen) ||
	    !str_field(s, "volunteer", 64, false, &x, &xn, path, err, errlen) ||
	    !str_field(s, "reason", 256, false, &x, &xn, path, err, errlen))
		return SL_EINVAL;
	if (slp_get_int(s, "t", &t) < 0) {
		cval_err(err, errlen, "scans[%u].t: expected integer", i);
		return SL_EINVAL;
	}
	if (!sl_time_ok(t)) {
		cval_err(err, errlen, "scans[%u].t: %lld is not within the years 2000 to 2100", i,
			 (long long)t);
		return SL_ERANGE;
	}
	if (slp_get(s, "race") && (slp_get_str(s, "race", &x, &xn) < 0 || !cval_id_ok(x, xn))) {
		cval_err(err, errlen, "scans[%u].race: expected a race id", i);
		return SL_EINVAL;
	}
	int op = scan_op(s);
	if (op < 0) {
		cval_err(err, errlen,
			 "scans[%u].op: expected checkin, assign, pair, swap or transfer", i);
		return SL_EINVAL;
	}
	if (slp_get(s, "bib") &&
	    (op != OP_ASSIGN || slp_get_str(s, "bib", &x, &xn) < 0 || !cval_id_ok(x, xn))) {
		cval_err(err, errlen, "scans[%u].bib: %s", i,
			 op != OP_ASSIGN ? "only an assign names a bib" : "expected a bib id");
		return SL_EINVAL;
	}
	if (slp_get(s, "chip") || op == OP_PAIR) {
		if (op != OP_ASSIGN && op != OP_PAIR) {
			cval_err(err, errlen, "scans[%u].chip: only assign and pair name a chip",
				 i);
			return SL_EINVAL;
		}
		if (slp_get_str(s, "chip", &x, &xn) < 0 || !entry_chip_ok(x, xn)) {
			cval_err(err, errlen,
				 "scans[%u].chip: expected a chip code (1 to 64 printable "
				 "characters)",
				 i);
			return SL_EINVAL;
		}
	}
	if ((slp_get(s, "with") || op == OP_SWAP) &&
	    (op != OP_SWAP || !str_field(s, "with", 128, true, &x, &xn, path, err, errlen))) {
		if (op != OP_SWAP)
			cval_err(err, errlen, "scans[%u].with: only a swap names another athlete",
				 i);
		return SL_EINVAL;
	}
	const msgpack_object *to = slp_get(s, "to");
	if (to || op == OP_TRANSFER) {
		struct entry e;
		char tp[40];
		snprintf(tp, sizeof(tp), "scans[%u].to", i);
		if (op != OP_TRANSFER) {
			cval_err(err, errlen, "%s: only a transfer names a new person", tp);
			return SL_EINVAL;
		}
		if (!to) {
			cval_err(err, errlen, "%s: required (the new person)", tp);
			return SL_EINVAL;
		}
		if (entry_parse_person(to, &e, tp, err, errlen) < 0)
			return SL_EINVAL;
		entry_release(&e);
	}
	return 0;
}

/* ---- packing answers and audit rows ------------------------------------ */

/* {name, sex, age, club} of a person (an entry). */
static void pack_person(const core *c, msgpack_packer *pk, const struct entry *e)
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

static void opt_strn(msgpack_packer *pk, const char *k, const char *v, size_t n)
{
	slp_pack_key(pk, k);
	if (v)
		slp_pack_strn(pk, v, n);
	else
		msgpack_pack_nil(pk);
}

/* The ATH_FIELDS athlete fields of answers and no-show rows: bib, reg, name,
 * race, wave, chips; and the race/wave resolution of an entry. */
#define ATH_FIELDS 6
static void pack_entry(const core *c, msgpack_packer *pk, const struct entry *e, int race, int wave)
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

static void pack_part(const core *c, msgpack_packer *pk, uint32_t pi)
{
	const struct part *p = &c->parts[pi];
	pack_entry(c, pk, &p->e, p->race, p->wave);
}

/* What a scan found and did, for its answer. */
struct scan_out {
	int w, op, kind; /* kind: R_* of the athlete shown */
	uint32_t pi, pend;
	sl_buf msg;
	/* already_checked_in */
	uint32_t by_dev;
	const char *by_vol;
	int64_t by_t;
	/* swap: the other athlete */
	uint32_t with;
};

/*
 * One answer: {"seq","code","t","volunteer","ok","warning","msg", "op"
 * unless a checkin, and when an athlete was found the ATH_FIELDS; with
 * already_checked_in "by":{"dev","volunteer","t"}; a swap "with":{"bib",
 * "name"}}.
 */
static void pack_ans(const core *c, sl_buf *out, uint64_t seq, const char *code, size_t cn,
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
	opt_strn(&pk, "volunteer", vol, vn);
	slp_pack_kv_bool(&pk, "ok", o->w == W_NONE);
	slp_pack_kv_str_or_nil(&pk, "warning", o->w == W_NONE ? NULL : wnames[o->w]);
	slp_pack_kv_strn(&pk, "msg", o->msg.data ? o->msg.data : "", o->msg.len);
	if (o->op != OP_CHECKIN)
		slp_pack_kv_str(&pk, "op", opnames[o->op]);
	if (o->kind == R_PART)
		pack_part(c, &pk, o->pi);
	else if (o->kind == R_PEND)
		pack_entry(c, &pk, &c->pend[o->pend], core__pending_race(c, &c->pend[o->pend]), -1);
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
static void audit_begin(struct checkin *k, msgpack_packer *pk, sl_buf **row, size_t nfields,
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
	opt_strn(pk, "by", by, byn);
	slp_pack_kv_str(pk, "bib", bib);
	k->naudit++;
	k->any = true;
}

void checkin_audit_decision(core *c, int64_t t, bool has_t, const char *dev, size_t devn,
			    const char *by, size_t byn, const char *reason, size_t rn)
{
	struct checkin *k = ck_of(c);
	msgpack_packer pk;
	sl_buf *row;
	char d[72];
	snprintf(d, sizeof(d), "%.*s", (int)(devn < 64 ? devn : 64), dev ? dev : "");
	audit_begin(k, &pk, &row, 6, c->cur.op, has_t, t, d[0] ? d : NULL, by, byn,
		    c->cur.bib[0] ? c->cur.bib : "");
	slp_pack_kv_str_or_nil(&pk, "race", c->cur.race[0] ? c->cur.race : NULL);
	slp_pack_kv_str_or_nil(&pk, "pt", c->cur.pt[0] ? c->cur.pt : NULL);
	opt_strn(&pk, "reason", reason, rn);
	slp_pack_kv_str_or_nil(&pk, "from", c->cur.from[0] ? c->cur.from : NULL);
	slp_pack_kv_str_or_nil(&pk, "to", c->cur.to[0] ? c->cur.to : NULL);
	slp_pack_kv_int(&pk, "changed", c->cur.nchanged);
}

/* ---- folding ----------------------------------------------------------- */

static bool race_differs(const core *c, int race, const char *want, size_t wn)
{
	return want && (race < 0 || !c->has_cfg || strlen(c->cfg.races[race].id) != wn ||
			memcmp(c->cfg.races[race].id, want, wn) != 0);
}

/* Check the athlete pi in by this scan, or say who did. */
static void check_in(core *c, uint32_t pi, uint32_t di, uint64_t sq, int64_t t, const char *vol,
		     size_t vn, bool quiet_if_in, struct scan_out *o)
{
	struct checkin *k = c->ck;
	const char *bib = c->parts[pi].e.bib;
	uint32_t ai = ath_upsert(k, bib, strlen(bib));
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
	mark(k, ai);
}

static uint32_t bib_index(const core *c, const char *bib)
{
	uint32_t pi = NONE32;
	hmap_get(&c->bibs, bib, strlen(bib), &pi);
	return pi;
}

/* The check-in of a bib, or NULL when it was never scanned. */
static const struct ath *ath_of(const core *c, const char *bib, size_t n)
{
	uint32_t ai;
	if (!c->ck || !hmap_get(&c->ck->athmap, bib, n, &ai))
		return NULL;
	return &c->ck->aths[ai];
}

static bool is_in(const core *c, const struct part *p)
{
	const struct ath *a = ath_of(c, p->e.bib, strlen(p->e.bib));
	return a && a->in;
}

/*
 * Pair chip (n bytes) with participant *pi as its first chip: -1 when
 * another athlete holds it (o says so), 0 when it is already this one's,
 * 1 when paired (*old_chip: the chip it replaced, owned, or NULL).
 */
static int pair_chip(core *c, uint32_t *pi, const char *chip, size_t n, struct scan_out *o,
		     char **old_chip)
{
	uint32_t owner = core__chip_owner(c, chip, n);
	*old_chip = NULL;
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
		*old_chip = e.chips[0];
	else
		e.nchips = 1;
	e.chips[0] = sl_strndup(chip, n);
	char *bib = sl_strdup(e.bib);
	core__put_entry(c, &e, true);
	core__recount(c);
	*pi = bib_index(c, bib);
	free(bib);
	sl_buf_addf(&o->msg, "chip '%.*s' paired", (int)n, chip);
	return 1;
}

static void audit_chip(core *c, const char *op, int64_t t, uint32_t di, const char *vol, size_t vn,
		       uint32_t pi, const char *chip, size_t cn, const char *old_chip)
{
	struct checkin *k = c->ck;
	msgpack_packer pk;
	sl_buf *row;
	const struct entry *e = &c->parts[pi].e;
	audit_begin(k, &pk, &row, 3, op, true, t, k->devs[di].id, vol, vn, e->bib);
	slp_pack_kv_str_or_nil(&pk, "reg", e->reg);
	opt_strn(&pk, "chip", chip, cn);
	slp_pack_kv_str_or_nil(&pk, "old_chip", old_chip);
}

static void do_assign(core *c, const msgpack_object *s, uint32_t di, uint64_t sq, int64_t t,
		      const char *vol, size_t vn, const char *race, size_t rn, struct scan_out *o)
{
	const char *want = NULL, *chip = NULL;
	size_t wn = 0, cn = 0;
	char bib[72], *old_chip = NULL;
	if (slp_get_str(s, "bib", &want, &wn) != 0)
		want = NULL;
	if (slp_get_str(s, "chip", &chip, &cn) != 0)
		chip = NULL;

	if (o->kind == R_PART) {
		const struct entry *pe = &c->parts[o->pi].e;
		if (race_differs(c, c->parts[o->pi].race, race, rn)) {
			o->w = W_RACE;
			return;
		}
		if (want && (strlen(pe->bib) != wn || memcmp(pe->bib, want, wn) != 0)) {
			o->w = W_HAS_BIB;
			sl_buf_addf(&o->msg, "already has bib %s", pe->bib);
			return;
		}
		bool was_in = is_in(c, &c->parts[o->pi]);
		if (chip) {
			int rc = pair_chip(c, &o->pi, chip, cn, o, &old_chip);
			if (rc < 0)
				return;
			if (rc > 0)
				audit_chip(c, "pair", t, di, vol, vn, o->pi, chip, cn, old_chip);
			free(old_chip);
			sl_buf_adds(&o->msg, ", ");
		}
		check_in(c, o->pi, di, sq, t, vol, vn, chip != NULL, o);
		if (o->w == W_NONE)
			sl_buf_addf(&o->msg, "bib %s%s", c->parts[o->pi].e.bib,
				    was_in ? ", already checked in" : ", checked in");
		return;
	}
	/* a registration without a bib */
	struct entry *pe = &c->pend[o->pend];
	int ri = core__pending_race(c, pe);
	if (race_differs(c, ri, race, rn)) {
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
	o->pi = bib_index(c, bib);
	struct checkin *k = c->ck;
	msgpack_packer pk;
	sl_buf *row;
	const struct entry *ne = &c->parts[o->pi].e;
	audit_begin(k, &pk, &row, 3, "assign", true, t, k->devs[di].id, vol, vn, ne->bib);
	slp_pack_kv_str_or_nil(&pk, "reg", ne->reg);
	opt_strn(&pk, "chip", chip, cn);
	slp_pack_key(&pk, "to");
	pack_person(c, &pk, ne);
	check_in(c, o->pi, di, sq, t, vol, vn, true, o);
	sl_buf_addf(&o->msg, "bib %s assigned%s%.*s%s, checked in", bib, chip ? ", chip '" : "",
		    (int)cn, chip ? chip : "", chip ? "' paired" : "");
}

static void do_pair(core *c, const msgpack_object *s, uint32_t di, uint64_t sq, int64_t t,
		    const char *vol, size_t vn, const char *race, size_t rn, struct scan_out *o)
{
	const char *chip;
	size_t cn;
	char *old_chip = NULL;
	slp_get_str(s, "chip", &chip, &cn);
	if (o->kind == R_PEND) {
		o->w = W_NO_BIB;
		sl_buf_adds(&o->msg, "registered without a bib: assign one first");
		return;
	}
	if (race_differs(c, c->parts[o->pi].race, race, rn)) {
		o->w = W_RACE;
		return;
	}
	bool was_in = is_in(c, &c->parts[o->pi]);
	int rc = pair_chip(c, &o->pi, chip, cn, o, &old_chip);
	if (rc < 0)
		return;
	if (rc > 0)
		audit_chip(c, "pair", t, di, vol, vn, o->pi, chip, cn, old_chip);
	free(old_chip);
	check_in(c, o->pi, di, sq, t, vol, vn, true, o);
	sl_buf_addf(&o->msg, " to bib %s%s", c->parts[o->pi].e.bib, was_in ? "" : ", checked in");
}

static void do_swap(core *c, const msgpack_object *s, uint32_t di, int64_t t, const char *vol,
		    size_t vn, struct scan_out *o)
{
	const char *with, *reason;
	size_t wn, rn;
	uint32_t q, pb;
	int w2;
	slp_get_str(s, "with", &with, &wn);
	if (slp_get_str(s, "reason", &reason, &rn) != 0)
		reason = NULL;
	if (o->kind == R_PEND) {
		o->w = W_NO_BIB;
		sl_buf_adds(&o->msg, "registered without a bib: nothing to swap");
		return;
	}
	int kind = resolve(c, with, wn, &w2, &pb, &q);
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
	audit_begin(k, &pk, &row, 4, "swap", true, t, k->devs[di].id, vol, vn, a.bib);
	slp_pack_kv_str(&pk, "with", b.bib);
	opt_strn(&pk, "reason", reason, rn);
	slp_pack_key(&pk, "from");
	pack_person(c, &pk, &a);
	slp_pack_key(&pk, "to");
	pack_person(c, &pk, &b);
	sl_buf_addf(&o->msg, "bibs %s and %s swapped: %s now has bib %s, %s bib %s", a.bib, b.bib,
		    b.name, a.bib, a.name, b.bib);
	char *abib = sl_strdup(a.bib), *bbib = sl_strdup(b.bib);
	entry_swap_person(&a, &b);
	core__put_entry(c, &a, true);
	core__put_entry(c, &b, true);
	core__recount(c);
	o->pi = bib_index(c, abib);
	o->with = bib_index(c, bbib);
	free(abib);
	free(bbib);
}

static void do_transfer(core *c, const msgpack_object *s, uint32_t di, int64_t t, const char *vol,
			size_t vn, struct scan_out *o)
{
	const char *reason;
	size_t rn;
	struct entry to, e;
	char perr[8];
	if (slp_get_str(s, "reason", &reason, &rn) != 0)
		reason = NULL;
	if (o->kind == R_PEND) {
		o->w = W_NO_BIB;
		sl_buf_adds(&o->msg, "registered without a bib: import the new person instead");
		return;
	}
	if (entry_parse_person(slp_get(s, "to"), &to, "to", perr, sizeof(perr)) < 0)
		return; /* checked before folding */
	entry_dup(&e, &c->parts[o->pi].e);
	struct checkin *k = c->ck;
	msgpack_packer pk;
	sl_buf *row;
	audit_begin(k, &pk, &row, 3, "transfer", true, t, k->devs[di].id, vol, vn, e.bib);
	opt_strn(&pk, "reason", reason, rn);
	slp_pack_key(&pk, "from");
	pack_person(c, &pk, &e);
	slp_pack_key(&pk, "to");
	pack_person(c, &pk, &to);
	sl_buf_addf(&o->msg, "bib %s transferred from %s to %s", e.bib, e.name, to.name);
	entry_swap_person(&e, &to); /* e gets the new person, and no reg */
	entry_release(&to);
	char *bib = sl_strdup(e.bib);
	core__put_entry(c, &e, true);
	core__recount(c);
	o->pi = bib_index(c, bib);
	free(bib);
}

static int fold_scans(core *c, const msgpack_object *root, bool dry, char *err, size_t errlen)
{
	const char *dev;
	size_t devn;
	int64_t seq;
	const msgpack_object_array *a;
	int rc;

	if (!str_field(root, "dev", 64, true, &dev, &devn, "", err, errlen))
		return SL_EINVAL;
	if (slp_get_int(root, "seq", &seq) < 0 || seq < 1 || (uint64_t)seq > SL_SEQ_MAX) {
		cval_err(err, errlen, "seq: expected an integer in 1..2^53-1");
		return SL_EINVAL;
	}
	if (slp_get_arr(root, "scans", &a) < 0 || a->size < 1 || a->size > MAX_SCANS) {
		cval_err(err, errlen, "scans: expected an array of 1 to %d maps", MAX_SCANS);
		return SL_EINVAL;
	}
	for (uint32_t i = 0; i < a->size; i++)
		if ((rc = check_scan(&a->ptr[i], i, err, errlen)) < 0)
			return rc;
	if (dry)
		return 0;

	struct checkin *k = ck_of(c);
	uint32_t di = dev_upsert(k, dev, devn);
	for (uint32_t i = 0; i < a->size; i++) {
		uint64_t sq = (uint64_t)seq + i;
		if (sq <= k->devs[di].wm)
			continue; /* folded before: a resend */
		const msgpack_object *s = &a->ptr[i];
		const char *code, *vol, *race;
		size_t cn, vn = 0, rn = 0;
		int64_t t;
		struct scan_out o = {.op = scan_op(s), .with = NONE32, .pi = NONE32};
		sl_buf_init(&o.msg);
		slp_get_str(s, "code", &code, &cn);
		if (slp_get_str(s, "volunteer", &vol, &vn) != 0 || vn == 0)
			vol = NULL;
		if (slp_get_str(s, "race", &race, &rn) != 0)
			race = NULL;
		slp_get_int(s, "t", &t);
		o.kind = resolve(c, code, cn, &o.w, &o.pi, &o.pend);
		if (o.kind == R_PART && c->parts[o.pi].e.blank) {
			o.w = W_BLANK; /* whatever the op: nobody to act on */
			sl_buf_addf(&o.msg, "bib %s is not given to anyone yet (a blank bib)",
				    c->parts[o.pi].e.bib);
		} else if (o.kind == R_NONE) {
			sl_buf_addf(&o.msg,
				    o.w == W_EVENT ? "code '%.*s' is for another event"
						   : "unknown code '%.*s'",
				    (int)cn, code);
		} else {
			switch (o.op) {
			case OP_CHECKIN:
				if (o.kind == R_PEND) {
					o.w = W_NO_BIB;
					sl_buf_adds(&o.msg, "registered without a bib: assign one");
				} else if (race_differs(c, c->parts[o.pi].race, race, rn)) {
					o.w = W_RACE;
				} else {
					check_in(c, o.pi, di, sq, t, vol, vn, false, &o);
					if (o.w == W_NONE)
						sl_buf_adds(&o.msg, "checked in");
				}
				break;
			case OP_ASSIGN: do_assign(c, s, di, sq, t, vol, vn, race, rn, &o); break;
			case OP_PAIR: do_pair(c, s, di, sq, t, vol, vn, race, rn, &o); break;
			case OP_SWAP: do_swap(c, s, di, t, vol, vn, &o); break;
			case OP_TRANSFER: do_transfer(c, s, di, t, vol, vn, &o); break;
			}
		}
		if (o.w == W_RACE) {
			sl_buf_reset(&o.msg);
			sl_buf_adds(&o.msg, "not registered for this race");
		} else if (o.w == W_ALREADY) {
			sl_buf_reset(&o.msg);
			sl_buf_addf(&o.msg, "already checked in by %s on %s at ",
				    o.by_vol ? o.by_vol : "?", k->devs[o.by_dev].id);
			sl_fmt_iso(&o.msg, o.by_t);
		}
		struct ckdev *d = &k->devs[di];
		SL_GROW(d->a, d->cap, d->n + 1);
		struct ans *an = &d->a[d->n++];
		*an = (struct ans){
			.seq = sq, .w = (uint8_t)o.w, .op = (uint8_t)o.op, .ath = NONE32};
		if (o.kind == R_PART) {
			const char *bib = c->parts[o.pi].e.bib;
			an->ath = ath_upsert(k, bib, strlen(bib));
		}
		sl_buf_init(&an->mp);
		pack_ans(c, &an->mp, sq, code, cn, t, vol, vn, &o);
		sl_buf_release(&o.msg);
		d->wm = sq;
		k->any = true;
	}
	return 0;
}

static int fold_undo(core *c, const msgpack_object *root, bool dry, char *err, size_t errlen)
{
	const char *bib, *off, *reason;
	size_t bn, on, rn;
	uint32_t pi, ai;
	int64_t rx = 0;

	if (!str_field(root, "bib", 64, true, &bib, &bn, "", err, errlen) ||
	    !str_field(root, "official", 64, true, &off, &on, "", err, errlen) ||
	    !str_field(root, "reason", 256, false, &reason, &rn, "", err, errlen))
		return SL_EINVAL;
	if (!hmap_get(&c->bibs, bib, bn, &pi)) {
		cval_err(err, errlen, "bib: '%.*s' is not registered", (int)bn, bib);
		return SL_ENOENT;
	}
	if (!c->ck || !hmap_get(&c->ck->athmap, bib, bn, &ai) || !c->ck->aths[ai].in) {
		cval_err(err, errlen, "bib: '%.*s' is not checked in", (int)bn, bib);
		return SL_ESTATE;
	}
	if (dry)
		return 0;
	struct checkin *k = c->ck;
	struct ath *at = &k->aths[ai];
	at->in = false;
	at->undone++;
	free(at->vol);
	at->vol = NULL;
	mark(k, ai);
	bool has_t = slp_get_int(root, "rx", &rx) == 0;
	msgpack_packer pk;
	sl_buf *row;
	audit_begin(k, &pk, &row, 1, "undo", has_t, rx, NULL, off, on, c->parts[pi].e.bib);
	opt_strn(&pk, "reason", reason, rn);
	return 0;
}

int checkin_fold(core *c, const msgpack_object *root, bool undo, bool dry, char *err, size_t errlen)
{
	return undo ? fold_undo(c, root, dry, err, errlen) : fold_scans(c, root, dry, err, errlen);
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

/* ---- snapshots ----------------------------------------------------------- */

bool checkin_any(const core *c)
{
	return c->ck && (c->ck->naths || c->ck->ndevs || c->ck->naudit);
}

static void pack_bin(msgpack_packer *pk, const sl_buf *b)
{
	msgpack_pack_bin(pk, b->len);
	msgpack_pack_bin_body(pk, b->data, b->len);
}

/*
 * {"aths":[[bib, in, dev, volunteer|nil, t, seq, undone]...],
 *  "devs":[[id, wm, [[seq, warning, op, ath|-1, answer bin]...]]...],
 *  "audit":[row bin...]}; indices as in memory.
 */
void checkin_snapshot_pack(const core *c, msgpack_packer *pk)
{
	const struct checkin *k = c->ck;
	msgpack_pack_map(pk, 3);
	slp_pack_key(pk, "aths");
	msgpack_pack_array(pk, k->naths);
	for (size_t i = 0; i < k->naths; i++) {
		const struct ath *a = &k->aths[i];
		msgpack_pack_array(pk, 7);
		slp_pack_str(pk, a->bib);
		if (a->in)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		msgpack_pack_uint32(pk, a->in ? a->dev : 0);
		if (a->vol)
			slp_pack_str(pk, a->vol);
		else
			msgpack_pack_nil(pk);
		msgpack_pack_int64(pk, a->in ? a->t : 0);
		msgpack_pack_uint64(pk, a->in ? a->seq : 0);
		msgpack_pack_uint32(pk, a->undone);
	}
	slp_pack_key(pk, "devs");
	msgpack_pack_array(pk, k->ndevs);
	for (size_t i = 0; i < k->ndevs; i++) {
		const struct ckdev *d = &k->devs[i];
		msgpack_pack_array(pk, 3);
		slp_pack_str(pk, d->id);
		msgpack_pack_uint64(pk, d->wm);
		msgpack_pack_array(pk, d->n);
		for (size_t j = 0; j < d->n; j++) {
			const struct ans *an = &d->a[j];
			msgpack_pack_array(pk, 5);
			msgpack_pack_uint64(pk, an->seq);
			msgpack_pack_uint8(pk, an->w);
			msgpack_pack_uint8(pk, an->op);
			msgpack_pack_int64(pk, an->ath == NONE32 ? -1 : (int64_t)an->ath);
			pack_bin(pk, &an->mp);
		}
	}
	slp_pack_key(pk, "audit");
	msgpack_pack_array(pk, k->naudit);
	for (size_t i = 0; i < k->naudit; i++)
		pack_bin(pk, &k->audit[i]);
}

static bool as_u64(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	int64_t x;
	if (slp_as_int(o, &x) < 0 || x < 0 || (uint64_t)x > max)
		return false;
	*v = (uint64_t)x;
	return true;
}

static bool as_str(const msgpack_object *o, size_t max)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size > 0 && o->via.str.size <= max &&
	       !memchr(o->via.str.ptr, '\0', o->via.str.size);
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		cval_err(err, errlen, __VA_ARGS__);                                                \
		return SL_EPARSE;                                                                  \
	} while (0)

int checkin_snapshot_load(core *c, const msgpack_object *m, char *err, size_t errlen)
{
	const msgpack_object_array *aths, *devs, *audit;
	if (m->type != MSGPACK_OBJECT_MAP || slp_get_arr(m, "aths", &aths) < 0 ||
	    slp_get_arr(m, "devs", &devs) < 0 || slp_get_arr(m, "audit", &audit) < 0)
		BAD("snapshot.checkins: expected {aths, devs, audit}");
	struct checkin *k = ck_of(c);
	for (uint32_t i = 0; i < aths->size; i++) {
		const msgpack_object *o = &aths->ptr[i];
		const msgpack_object *f = o->via.array.ptr;
		uint64_t dev, seq, undone;
		int64_t t;
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 7 ||
		    !as_str(&f[0], 64) || f[1].type != MSGPACK_OBJECT_BOOLEAN ||
		    !as_u64(&f[2], UINT32_MAX, &dev) ||
		    !(f[3].type == MSGPACK_OBJECT_NIL || as_str(&f[3], 64)) ||
		    slp_as_int(&f[4], &t) < 0 || !as_u64(&f[5], UINT64_MAX >> 1, &seq) ||
		    !as_u64(&f[6], UINT32_MAX, &undone) ||
		    ath_upsert(k, f[0].via.str.ptr, f[0].via.str.size) != i)
			BAD("snapshot.checkins.aths[%u]: expected a new [bib, in, dev, "
			    "volunteer, t, "
			    "seq, undone]",
			    i);
		struct ath *a = &k->aths[i];
		a->in = f[1].via.boolean;
		a->dev = (uint32_t)dev;
		a->vol = f[3].type == MSGPACK_OBJECT_NIL
				 ? NULL
				 : sl_strndup(f[3].via.str.ptr, f[3].via.str.size);
		a->t = t;
		a->seq = seq;
		a->undone = (uint32_t)undone;
		if (a->in && dev >= devs->size)
			BAD("snapshot.checkins.aths[%u]: no device %llu", i,
			    (unsigned long long)dev);
	}
	for (uint32_t i = 0; i < devs->size; i++) {
		const msgpack_object *o = &devs->ptr[i];
		const msgpack_object *f = o->via.array.ptr;
		uint64_t wm;
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
		    !as_str(&f[0], 64) || !as_u64(&f[1], UINT64_MAX >> 1, &wm) ||
		    f[2].type != MSGPACK_OBJECT_ARRAY ||
		    dev_upsert(k, f[0].via.str.ptr, f[0].via.str.size) != i)
			BAD("snapshot.checkins.devs[%u]: expected a new [device, wm, answers]", i);
		struct ckdev *d = &k->devs[i];
		d->wm = wm;
		for (uint32_t j = 0; j < f[2].via.array.size; j++) {
			const msgpack_object *x = &f[2].via.array.ptr[j];
			const msgpack_object *g = x->via.array.ptr;
			uint64_t sq, w, op;
			int64_t ath;
			if (x->type != MSGPACK_OBJECT_ARRAY || x->via.array.size != 5 ||
			    !as_u64(&g[0], UINT64_MAX >> 1, &sq) || !as_u64(&g[1], W_N - 1, &w) ||
			    !as_u64(&g[2], OP_N - 1, &op) || slp_as_int(&g[3], &ath) < 0 ||
			    ath < -1 || ath >= (int64_t)k->naths ||
			    g[4].type != MSGPACK_OBJECT_BIN || (d->n && sq <= d->a[d->n - 1].seq))
				BAD("snapshot.checkins.devs[%u][%u]: expected [seq, warning, op, "
				    "ath, "
				    "answer] in seq order",
				    i, j);
			SL_GROW(d->a, d->cap, d->n + 1);
			struct ans *an = &d->a[d->n++];
			*an = (struct ans){.seq = sq,
					   .w = (uint8_t)w,
					   .op = (uint8_t)op,
					   .ath = ath < 0 ? NONE32 : (uint32_t)ath};
			sl_buf_init(&an->mp);
			sl_buf_add(&an->mp, g[4].via.bin.ptr, g[4].via.bin.size);
		}
		d->nclear = d->n;
	}
	for (uint32_t i = 0; i < audit->size; i++) {
		const msgpack_object *o = &audit->ptr[i];
		if (o->type != MSGPACK_OBJECT_BIN)
			BAD("snapshot.checkins.audit[%u]: expected bin", i);
		SL_GROW(k->audit, k->caudit, k->naudit + 1);
		sl_buf_init(&k->audit[k->naudit]);
		sl_buf_add(&k->audit[k->naudit], o->via.bin.ptr, o->via.bin.size);
		k->naudit++;
	}
	k->nclear_audit = k->naudit;
	return 0;
}

/* ---- queries ------------------------------------------------------------- */

int checkin_get(const core *c, const char *bib, struct checkin_info *out)
{
	uint32_t pi;
	memset(out, 0, sizeof(*out));
	if (!hmap_get(&c->bibs, bib, strlen(bib), &pi))
		return SL_ENOENT;
	const struct ath *a = ath_of(c, bib, strlen(bib));
	if (a) {
		out->in = a->in;
		out->undone = a->undone;
		if (a->in) {
			out->dev = c->ck->devs[a->dev].id;
			out->volunteer = a->vol;
			out->t = a->t;
			out->seq = a->seq;
		}
	}
	return 0;
}

static bool in_race(const struct part *p, int race)
{
	return race < 0 ? p->race >= 0 : p->race == race; /* blank bibs: in no race */
}

/* Registrations without a bib still waiting, of a race (-1: any). */
static size_t pending_n(const core *c, int race)
{
	size_t n = 0;
	for (size_t i = 0; i < c->npend; i++)
		n += c->pend[i].reg && (race < 0 || core__pending_race(c, &c->pend[i]) == race);
	return n;
}

void checkin_counts(const core *c, const char *race, size_t *registered, size_t *checked_in)
{
	int r = -1;
	*registered = *checked_in = 0;
	if (race) {
		if (!c->has_cfg || (r = cfg_race_find(&c->cfg, race, strlen(race))) < 0)
			return;
	}
	for (size_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		if (!in_race(p, r))
			continue;
		(*registered)++;
		*checked_in += is_in(c, p);
	}
	*registered += pending_n(c, r);
}

int checkin_answer(const core *c, const char *dev, uint64_t seq, const char **warning,
		   const char **bib)
{
	uint32_t di;
	if (!c->ck || !hmap_get(&c->ck->devmap, dev, strlen(dev), &di))
		return SL_ENOENT;
	const struct ckdev *d = &c->ck->devs[di];
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->a[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= d->n || d->a[lo].seq != seq)
		return SL_ENOENT;
	*warning = wnames[d->a[lo].w];
	*bib = d->a[lo].ath != NONE32 ? c->ck->aths[d->a[lo].ath].bib : "";
	return 0;
}

size_t checkin_audit(const core *c, size_t i, const char **mp, size_t *len)
{
	if (!c->ck || i >= c->ck->naudit || !mp || !len)
		return c->ck ? c->ck->naudit : 0;
	*mp = c->ck->audit[i].data;
	*len = c->ck->audit[i].len;
	return c->ck->naudit;
}

/* ---- topics -------------------------------------------------------------- */

enum { CT_SCANS, CT_COUNTS, CT_AUDIT };

static bool pfx(const char *s, size_t n, const char *p, size_t *off)
{
	size_t pn = strlen(p);
	if (n < pn || memcmp(s, p, pn) != 0)
		return false;
	*off = pn;
	return true;
}

/* 1 when ours; *kind, *arg (the device index or NONE32; the race). */
static bool parse(const core *c, const char *s, size_t n, int *kind, int *rc, uint32_t *dev,
		  int *race)
{
	size_t off;
	*rc = 0;
	if (pfx(s, n, "scans/", &off)) {
		*kind = CT_SCANS;
		if (n - off > 64 || n == off || memchr(s + off, '\0', n - off))
			*rc = SL_EINVAL;
		else if (!c->ck || !hmap_get(&c->ck->devmap, s + off, n - off, dev))
			*dev = NONE32;
		return true;
	}
	if (n == 5 && !memcmp(s, "audit", 5)) {
		*kind = CT_AUDIT;
		return true;
	}
	if (pfx(s, n, "checkin/", &off)) {
		*kind = CT_COUNTS;
		if (!cval_id_ok(s + off, n - off))
			*rc = SL_EINVAL;
		else if (!c->has_cfg || (*race = cfg_race_find(&c->cfg, s + off, n - off)) < 0)
			*rc = SL_ENOENT;
		return true;
	}
	return false;
}

bool checkin_topic_check(const core *c, const char *topic, size_t n, int *rc)
{
	int kind, race;
	uint32_t dev;
	return parse(c, topic, n, &kind, rc, &dev, &race);
}

static void head(msgpack_packer *pk, const char *type, const char *topic, size_t n, size_t total,
		 size_t extra)
{
	msgpack_pack_map(pk, 3 + extra);
	slp_pack_kv_str(pk, "t", type);
	slp_pack_kv_strn(pk, "topic", topic, n);
	slp_pack_kv_int(pk, "n", (int64_t)total);
}

/* checkin/<race> head: race, checked_in, waves [{wave, n, checked_in}]. */
static void pack_counts(const core *c, msgpack_packer *pk, int race)
{
	const struct cfg_race *r = &c->cfg.races[race];
	size_t *nw = sl_calloc(2 * r->nwaves + 2, sizeof(*nw)), in = 0;
	for (size_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		if (p->race != race)
			continue;
		bool x = is_in(c, p);
		in += x;
		if (p->wave >= 0 && (size_t)p->wave < r->nwaves) {
			nw[2 * p->wave]++;
			nw[2 * p->wave + 1] += x;
		}
	}
	for (size_t i = 0; i < c->npend; i++) { /* waiting for a bib: in a wave when given */
		const struct entry *e = &c->pend[i];
		int w;
		if (e->reg && e->wave && core__pending_race(c, e) == race &&
		    (w = cfg_wave_find(r, e->wave, strlen(e->wave))) >= 0)
			nw[2 * w]++;
	}
	slp_pack_kv_str(pk, "race", r->id);
	slp_pack_kv_int(pk, "checked_in", (int64_t)in);
	slp_pack_key(pk, "waves");
	msgpack_pack_array(pk, r->nwaves);
	for (size_t w = 0; w < r->nwaves; w++) {
		msgpack_pack_map(pk, 3);
		slp_pack_kv_str(pk, "wave", r->waves[w].id);
		slp_pack_kv_int(pk, "n", (int64_t)nw[2 * w]);
		slp_pack_kv_int(pk, "checked_in", (int64_t)nw[2 * w + 1]);
	}
	free(nw);
}

static size_t race_n(const core *c, int race)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nparts; i++)
		n += c->parts[i].race == race;
	return n + pending_n(c, race);
}

/* Bytes packed before (an answer, an audit row) into the packer's output. */
static void pack_raw(msgpack_packer *pk, const sl_buf *b)
{
	pk->callback(pk->data, b->data, b->len);
}

/* A no-show (or changed) row: the athlete and "in". */
static void pack_nsrow(const core *c, msgpack_packer *pk, uint32_t pi)
{
	msgpack_pack_map(pk, ATH_FIELDS + 1);
	pack_part(c, pk, pi);
	slp_pack_kv_bool(pk, "in", is_in(c, &c->parts[pi]));
}

/* A registration without a bib: a no-show until it gets one. */
static void pack_pendrow(const core *c, msgpack_packer *pk, uint32_t q, int race)
{
	msgpack_pack_map(pk, ATH_FIELDS + 1);
	pack_entry(c, pk, &c->pend[q], race, -1);
	slp_pack_kv_bool(pk, "in", false);
}

static int reg_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	return strcmp(c->pend[*(const uint32_t *)a].reg, c->pend[*(const uint32_t *)b].reg);
}

static int bib_qcmp(const void *a, const void *b, void *ctx)
{
	const core *c = ctx;
	return entry_bib_cmp(c->parts[*(const uint32_t *)a].e.bib,
			     c->parts[*(const uint32_t *)b].e.bib);
}

bool checkin_topic_snapshot(const core *c, const char *topic, size_t n, size_t offset, size_t limit,
			    msgpack_packer *pk, int *rc)
{
	int kind, race = -1;
	uint32_t dev = NONE32;
	if (!parse(c, topic, n, &kind, rc, &dev, &race))
		return false;
	if (*rc < 0)
		return true;
	if (kind == CT_SCANS) {
		/* offset: the first seq wanted; limit: at most the last limit answers */
		const struct ckdev *d = dev != NONE32 ? &c->ck->devs[dev] : NULL;
		size_t from = 0, cnt = d ? d->n : 0;
		while (from < cnt && d->a[from].seq < offset)
			from++;
		if (limit && cnt - from > limit)
			from = cnt - limit;
		head(pk, "snapshot", topic, n, cnt, 2);
		slp_pack_kv_int(pk, "offset", (int64_t)offset);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, cnt - from);
		for (size_t i = from; i < cnt; i++)
			pack_raw(pk, &d->a[i].mp);
		return true;
	}
	if (kind == CT_AUDIT) {
		/* offset: the first row wanted (i); limit: at most that many rows */
		size_t total = c->ck ? c->ck->naudit : 0;
		size_t from = offset < total ? offset : total, cnt = total - from;
		if (limit && limit < cnt)
			cnt = limit;
		head(pk, "snapshot", topic, n, total, 2);
		slp_pack_kv_int(pk, "offset", (int64_t)offset);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, cnt);
		for (size_t i = 0; i < cnt; i++)
			pack_raw(pk, &c->ck->audit[from + i]);
		return true;
	}
	/* checkin/<race>: counts, and the no-shows: by bib, then those waiting
	 * for a bib by reg (from offset, limit) */
	uint32_t *ids = sl_malloc((c->nparts + 1) * sizeof(*ids));
	uint32_t *pids = sl_malloc((c->npend + 1) * sizeof(*pids));
	size_t m = 0, pm = 0;
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i].race == race && !is_in(c, &c->parts[i]))
			ids[m++] = (uint32_t)i;
	qsort_r(ids, m, sizeof(*ids), bib_qcmp, (void *)c);
	for (size_t i = 0; i < c->npend; i++)
		if (c->pend[i].reg && core__pending_race(c, &c->pend[i]) == race)
			pids[pm++] = (uint32_t)i;
	qsort_r(pids, pm, sizeof(*pids), reg_qcmp, (void *)c);
	size_t all = m + pm, from = offset < all ? offset : all, cnt = all - from;
	if (limit && limit < cnt)
		cnt = limit;
	head(pk, "snapshot", topic, n, race_n(c, race), 6);
	slp_pack_kv_int(pk, "offset", (int64_t)offset);
	slp_pack_kv_int(pk, "no_shows", (int64_t)all);
	pack_counts(c, pk, race);
	slp_pack_key(pk, "rows");
	msgpack_pack_array(pk, cnt);
	for (size_t i = from; i < from + cnt; i++) {
		if (i < m)
			pack_nsrow(c, pk, ids[i]);
		else
			pack_pendrow(c, pk, pids[i - m], race);
	}
	free(ids);
	free(pids);
	return true;
}

bool checkin_topic_delta(const core *c, const char *topic, size_t n, msgpack_packer *pk,
			 bool *empty, int *rc)
{
	int kind, race = -1;
	uint32_t dev = NONE32;
	*empty = true;
	if (!parse(c, topic, n, &kind, rc, &dev, &race))
		return false;
	if (*rc < 0 || !c->ck)
		return true;
	const struct checkin *k = c->ck;
	if (kind == CT_SCANS) {
		if (dev == NONE32 || k->devs[dev].nclear == k->devs[dev].n)
			return true;
		const struct ckdev *d = &k->devs[dev];
		*empty = false;
		head(pk, "delta", topic, n, d->n, 1);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, d->n - d->nclear);
		for (size_t i = d->nclear; i < d->n; i++)
			pack_raw(pk, &d->a[i].mp);
		return true;
	}
	if (kind == CT_AUDIT) {
		if (k->nclear_audit == k->naudit)
			return true;
		*empty = false;
		head(pk, "delta", topic, n, k->naudit, 1);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, k->naudit - k->nclear_audit);
		for (size_t i = k->nclear_audit; i < k->naudit; i++)
			pack_raw(pk, &k->audit[i]);
		return true;
	}
	/* rows whose check-in changed; an athlete who just got a bib carries
	 * its reg, so a client drops the row it kept for the registration */
	uint32_t *ids = sl_malloc((k->nchg + 1) * sizeof(*ids));
	size_t m = 0;
	for (size_t i = 0; i < k->nchg; i++) {
		const char *bib = k->aths[k->chg[i]].bib;
		uint32_t pi;
		if (hmap_get(&c->bibs, bib, strlen(bib), &pi) && c->parts[pi].race == race)
			ids[m++] = pi;
	}
	if (m) {
		size_t ns = 0;
		for (size_t i = 0; i < c->nparts; i++)
			ns += c->parts[i].race == race && !is_in(c, &c->parts[i]);
		ns += pending_n(c, race);
		*empty = false;
		head(pk, "delta", topic, n, race_n(c, race), 5);
		slp_pack_kv_int(pk, "no_shows", (int64_t)ns);
		pack_counts(c, pk, race);
		slp_pack_key(pk, "rows");
		msgpack_pack_array(pk, m);
		for (size_t i = 0; i < m; i++)
			pack_nsrow(c, pk, ids[i]);
	}
	free(ids);
	return true;
}

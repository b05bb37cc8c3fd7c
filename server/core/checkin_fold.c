/*
 * checkin_fold.c: the checkins and checkin_undo records.  A record is
 * checked as a whole first (every scan well formed), then each scan past
 * its device's watermark is resolved (bib, registration code, chip, or
 * sl:<event>:<code>), carried out (checkin.c, checkin_ops.c) and answered,
 * in seq order.  checkin_undo clears a bib's check-in.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "checkin_int.h"
#include "cval.h"
#include "slp.h"

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
		if (strlen(checkin__opnames[i]) == n && !memcmp(checkin__opnames[i], x, n))
			return i;
	return -1;
}

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
	if (!checkin__str_field(s, "code", 128, true, &x, &xn, path, err, errlen) ||
	    !checkin__str_field(s, "volunteer", 64, false, &x, &xn, path, err, errlen) ||
	    !checkin__str_field(s, "reason", 256, false, &x, &xn, path, err, errlen))
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
	if (slp_get(s, "race") && (slp_get_str(s, "race", &x, &xn) < 0 || !sl_id_ok(x, xn))) {
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
	    (op != OP_ASSIGN || slp_get_str(s, "bib", &x, &xn) < 0 || !sl_id_ok(x, xn))) {
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
	    (op != OP_SWAP ||
	     !checkin__str_field(s, "with", 128, true, &x, &xn, path, err, errlen))) {
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

static int fold_scans(core *c, const msgpack_object *root, bool dry, char *err, size_t errlen)
{
	const char *dev;
	size_t devn;
	int64_t seq;
	const msgpack_object_array *a;
	int rc;

	if (!checkin__str_field(root, "dev", 64, true, &dev, &devn, "", err, errlen))
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

	struct checkin *k = checkin__ck_of(c);
	uint32_t di = checkin__dev_upsert(k, dev, devn);
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
		o.kind = checkin__resolve(c, code, cn, &o.w, &o.pi, &o.pend);
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
				} else if (checkin__race_differs(c, c->parts[o.pi].race, race,
								 rn)) {
					o.w = W_RACE;
				} else {
					checkin__check_in(c, o.pi, di, sq, t, vol, vn, false, &o);
					if (o.w == W_NONE)
						sl_buf_adds(&o.msg, "checked in");
				}
				break;
			case OP_ASSIGN:
				checkin__assign(c, s, di, sq, t, vol, vn, race, rn, &o);
				break;
			case OP_PAIR: checkin__pair(c, s, di, sq, t, vol, vn, race, rn, &o); break;
			case OP_SWAP: checkin__swap(c, s, di, t, vol, vn, &o); break;
			case OP_TRANSFER: checkin__transfer(c, s, di, t, vol, vn, &o); break;
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
			an->ath = checkin__ath_upsert(k, bib, strlen(bib));
		}
		sl_buf_init(&an->mp);
		checkin__pack_ans(c, &an->mp, sq, code, cn, t, vol, vn, &o);
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

	if (!checkin__str_field(root, "bib", 64, true, &bib, &bn, "", err, errlen) ||
	    !checkin__str_field(root, "official", 64, true, &off, &on, "", err, errlen) ||
	    !checkin__str_field(root, "reason", 256, false, &reason, &rn, "", err, errlen))
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
	checkin__mark(k, ai);
	bool has_t = slp_get_int(root, "rx", &rx) == 0;
	msgpack_packer pk;
	sl_buf *row;
	checkin__audit_begin(k, &pk, &row, 1, "undo", has_t, rx, NULL, off, on, c->parts[pi].e.bib);
	checkin__opt_strn(&pk, "reason", reason, rn);
	return 0;
}

int checkin_fold(core *c, const msgpack_object *root, bool undo, bool dry, char *err, size_t errlen)
{
	return undo ? fold_undo(c, root, dry, err, errlen) : fold_scans(c, root, dry, err, errlen);
}

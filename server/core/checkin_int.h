/*
 * checkin_int.h: the inside of check-in, shared by its files, from the
 * bottom up: checkin.c (state, answers, audit rows, checking in),
 * checkin_ops.c (pickup ops: assign, pair, swap, transfer),
 * checkin_fold.c (checkins and checkin_undo records) and checkin_view.c
 * (snapshots, queries, topics).  A file calls only those before it.
 * Nothing outside these files includes it.
 */
#ifndef SL_CHECKIN_INT_H
#define SL_CHECKIN_INT_H

#include "checkin.h"
#include "core_int.h"

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
extern const char *const checkin__wnames[W_N]; /* answer names, W_NONE "" */

enum { OP_CHECKIN, OP_ASSIGN, OP_PAIR, OP_SWAP, OP_TRANSFER, OP_N };
extern const char *const checkin__opnames[OP_N];

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

/* Whom a code names: nobody, a participant, a registration without a bib. */
enum { R_NONE, R_PART, R_PEND };
/* The athlete fields of answers and no-show rows: bib, reg, name, race,
 * wave, chips (checkin__pack_entry). */
#define ATH_FIELDS 6

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

/* checkin.c */
/*
 * Whom a code names: R_PART and *pi, R_PEND and *pend, or R_NONE (*w says
 * why).  bib, chip, reg, and reg or bib in sl:<event>:<x>.
 */
int checkin__resolve(const core *c, const char *code, size_t n, int *w, uint32_t *pi,
		     uint32_t *pend);
struct checkin *checkin__ck_of(core *c);
uint32_t checkin__ath_upsert(struct checkin *k, const char *bib, size_t n);
uint32_t checkin__dev_upsert(struct checkin *k, const char *id, size_t n);
void checkin__mark(struct checkin *k, uint32_t ai);
bool checkin__str_field(const msgpack_object *m, const char *key, size_t maxn, bool required,
			const char **s, size_t *n, const char *path, char *err, size_t errlen);
void checkin__pack_person(const core *c, msgpack_packer *pk, const struct entry *e);
void checkin__opt_strn(msgpack_packer *pk, const char *k, const char *v, size_t n);
void checkin__pack_entry(const core *c, msgpack_packer *pk, const struct entry *e, int race,
			 int wave);
void checkin__pack_part(const core *c, msgpack_packer *pk, uint32_t pi);
void checkin__pack_ans(const core *c, sl_buf *out, uint64_t seq, const char *code, size_t cn,
		       int64_t t, const char *vol, size_t vn, const struct scan_out *o);
void checkin__audit_begin(struct checkin *k, msgpack_packer *pk, sl_buf **row, size_t nfields,
			  const char *op, bool has_t, int64_t t, const char *dev, const char *by,
			  size_t byn, const char *bib);
bool checkin__race_differs(const core *c, int race, const char *want, size_t wn);
void checkin__check_in(core *c, uint32_t pi, uint32_t di, uint64_t sq, int64_t t, const char *vol,
		       size_t vn, bool quiet_if_in, struct scan_out *o);
uint32_t checkin__bib_index(const core *c, const char *bib);
const struct ath *checkin__ath_of(const core *c, const char *bib, size_t n);
bool checkin__is_in(const core *c, const struct part *p);

/* checkin_ops.c: one scan's op; the answer in *o */
void checkin__assign(core *c, const msgpack_object *s, uint32_t di, uint64_t sq, int64_t t,
		     const char *vol, size_t vn, const char *race, size_t rn, struct scan_out *o);
void checkin__pair(core *c, const msgpack_object *s, uint32_t di, uint64_t sq, int64_t t,
		   const char *vol, size_t vn, const char *race, size_t rn, struct scan_out *o);
void checkin__swap(core *c, const msgpack_object *s, uint32_t di, int64_t t, const char *vol,
		   size_t vn, struct scan_out *o);
void checkin__transfer(core *c, const msgpack_object *s, uint32_t di, int64_t t, const char *vol,
		       size_t vn, struct scan_out *o);

#endif

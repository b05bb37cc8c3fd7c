/*
 * core_int.h: the inside of a core, shared by the files of server/core
 * (see core.c for their order).  Nothing outside server/core includes it.
 *
 * Facts: the config (with the raw msgpack it came as), wave start overrides,
 * participants (entries as given), reads, device watermarks.  Derived: each
 * participant's resolved race/wave/age/categories, chosen crossings, status
 * and its keys in the ranking trees.  Derived state can always be rebuilt
 * from the facts (core__rebuild), which is what a snapshot load does.
 *
 * Indices, not pointers, link things (participant <-> code, read -> code,
 * read -> point name), so arrays can grow and nothing depends on addresses.
 * Reads of one code form a singly linked list through rd.next, in arrival
 * order, newest first.  Codes live in two namespaces, chip and bib, keyed in
 * one hash table as "c<code>" and "b<code>".
 */
#ifndef SL_CORE_INT_H
#define SL_CORE_INT_H

#include "adjust.h"
#include "config.h"
#include "core.h"
#include "hmap.h"
#include "ost.h"
#include "participant.h"
#include "slp.h"

#define NONE32 UINT32_MAX

/* a / b rounded towards minus infinity (times before T0 are negative). */
static inline int64_t core__floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
enum { NS_CHIP = 0, NS_BIB = 1 };
enum part_status {
	ST_REGISTERED,
	ST_STARTED,
	ST_ON_COURSE,
	ST_FINISHED,
	ST_DNF,
	ST_DNS,
	ST_DSQ,
	ST_SCRATCH
};
/* Relegated crews rank after every other: their key is offset by this. */
#define RELEG_BASE ((int64_t)1 << 50)

struct rd {
	int64_t t;
	uint32_t next; /* the previous read of the same code, or NONE32 */
	uint32_t code;
	uint32_t gpt; /* interned point id */
	uint8_t kind; /* enum slp_read_kind */
	bool vd;      /* void: an official took it back (read_void); counts for nothing */
};

struct code {
	char *s; /* NUL-terminated, owned */
	uint32_t len;
	uint8_t ns;
	bool uchg;     /* in the unknown-change list */
	uint32_t pidx; /* owner, or NONE32 (unknown) */
	uint32_t head; /* newest read, or NONE32 */
	uint32_t nreads;
	int64_t first; /* earliest read */
};

#define PART_NCODES (ENTRY_MAX_CHIPS + 1) /* chips, then the bib */
#define REG_PEND 0x80000000u

struct part {
	/* hot: touched by every read (dirty .. best: 56 bytes) */
	uint32_t dirty; /* == core.epoch: queued for recompute */
	int16_t race, wave;
	int8_t status;
	bool chg;          /* in the change set */
	bool ranked, fin;
	bool fin_at_clear; /* finished at the last core_changes_clear() */
	int16_t last;      /* furthest point reached, or -1 */
	uint32_t ast;      /* adjustments: index into core.ast, or NONE32 */
	int64_t start;     /* own start crossing, or T0; NO_TIME */
	int64_t t0;        /* the wave's T0 used, or NO_TIME */
	int64_t *cross;    /* per point of the race, NO_TIME when none */
	int64_t *best;     /* per point: [rfid, other] choice (same block as cross) */
	int64_t rk_a, rk_b; /* ranking key: truncated and full time */
	int64_t fin_t;
	/* cold */
	uint64_t bibkey; /* numeric bib + 1, or 0: a fast path for bib order */
	int16_t listed;  /* the race whose by_bib listing holds it, or -1 */
	int age;
	uint16_t ncats;
	uint16_t *cats;
	uint32_t code[PART_NCODES];
	int64_t raw_ms, adj_ms; /* finished: raw and adjusted time (regattas) */
	uint32_t cur_gen; /* == core.cur.gen: counted in this record's changes */
	struct entry e;
};

struct race_state {
	int16_t *ptmap; /* interned point/station id -> point index, or -1 */
	int16_t *stmap; /* interned id -> station slot (0: primary) */
	size_t nptmap;
	int64_t *t0; /* effective T0 per wave */
	ost overall, sex[NSEX], fin;
	ost *cat;
	uint32_t n_all, n_sex[NSEX];
	uint32_t *n_cat;
	uint32_t *by_bib; /* members sorted by bib */
	size_t nby_bib;
	/* bib_pool: every bib of the pool before (range, next) is taken (bibs
	 * are never freed), so the next free one is found from there */
	size_t pool_range;
	int64_t pool_next; /* 0: start of the range */
	bool official; /* race_official on: a result that changes corrects it */
};

struct wave_ovr {
	char *race, *wave;
	int64_t t0;
};

/* Reads seq .. seq+n-1 of a device are c->reads[ri .. ri+n-1]. */
struct rseg {
	uint64_t seq;
	uint32_t ri, n;
};

struct dev {
	char *id;
	uint64_t seq;     /* watermark: the highest seq folded */
	struct rseg *seg; /* where its reads are, in seq order */
	size_t nseg, cseg;
};

struct gath {
	int64_t t;
	int16_t j;
	uint8_t kind;
};

/* An official's line-up entry (lineup record). */
struct lu_ovr {
	char *bib;
	int lane;
};

/* What officials said about one race (race_official, lineup records). */
struct rfact {
	char *race;
	bool official;
	char *official_by;
	int64_t official_at; /* the record's rx, or 0 */
	/* a result changed after official: the last such change, and how many */
	bool corrected;
	char *corr_by, *corr_why;
	int64_t corr_at;
	uint32_t ncorr;
	bool has_ovr; /* a line-up set by hand */
	struct lu_ovr *ovr;
	size_t novr;
};

struct pre {
	uint64_t h;
	uint32_t ci, g;
};

struct core {
	uint32_t rec_gen; /* counts records folded (cur.gen) */
	bool has_cfg;
	struct cfg cfg;
	sl_buf cfg_mp; /* the config map as received (msgpack) */
	struct race_state *rs;

	struct wave_ovr *ovr;
	size_t novr, covr;

	struct part *parts;
	size_t nparts, cparts;
	hmap bibs; /* bib -> participant */
	/* registrations without a bib (rows with reg and no bib), until a desk
	 * assigns one; a slot whose reg is NULL was assigned (or replaced) */
	struct entry *pend;
	size_t npend, cpend;
	hmap regmap; /* reg -> participant, or REG_PEND | pend index; checked
			on lookup (core__reg_find): stale values are ignored */

	struct code *codes;
	size_t ncodes, ccodes;
	hmap codemap;
	sl_buf key; /* scratch for code keys */

	struct rd *reads;
	size_t nreads, creads;

	char **gpts; /* interned point ids */
	size_t ngpts, cgpts;
	hmap gptmap;

	struct dev *devs;
	size_t ndevs, cdevs;
	hmap devmap;

	struct adj_rec *adjs; /* adjust records, in log order (facts) */
	size_t nadjs, cadjs;
	struct adj_state *ast; /* folded per bib */
	size_t nast, cast;
	hmap astmap; /* bib -> ast index */

	struct rfact *rfacts; /* by race id, folded from rrecs */
	size_t nrfacts;
	sl_buf *rrecs; /* race_official and lineup records as received, log order */
	size_t nrrecs;
	bool prog_chg; /* a race record since the last core_changes_clear() */

	uint64_t nrecords;
	/* The record being folded, as a correction would be described: who
	 * (an official, a device), why, when (its rx); why NULL: no record, or
	 * one that corrects nothing (race_official, lineup).  Borrowed from the
	 * record while it folds. */
	struct {
		const char *by, *why;
		size_t bylen, whylen;
		int64_t at;
		char buf[128];
		bool bulk; /* config, participants: compared by digest instead */
		/* an official's decision, as a row of the audit trail */
		uint32_t gen;      /* counts records: a result counts once */
		uint32_t nchanged; /* results this record changed */
		bool audit;
		const char *op;
		char bib[72], race[72], pt[72], from[160], to[160];
	} cur;
	uint32_t nstarted, nfinished, nunknown;

	/* change set */
	bool chg_all, chg_status;
	uint32_t *chg;
	size_t nchg, cchg;
	uint32_t *uchg;
	size_t nuchg, cuchg;

	/* recompute queue */
	uint32_t *dirty;
	size_t ndirty, cdirty;
	uint32_t epoch;

	/* scratch for recompute */
	struct gath *g;
	size_t cg;
	int64_t *sc;
	size_t csc;
	msgpack_zone zone; /* decoded records being applied */
	struct pre *pre;   /* per read of a batch being folded */
	size_t cpre;
	slp_read *rawreads; /* the batch being folded, read by mpr_passings() */
	size_t crawreads;

	struct checkin *ck; /* check-in state (checkin.c), NULL until used */
};

/*
 * Cross-file functions, by the file that holds them, from the bottom of the
 * core up: a file calls only those above its own section.
 */

/* official.c: what officials said about races */
struct rfact *core__rfact(core *c, const char *race, bool create);
const struct rfact *core__rfact_get(const core *c, const char *race);
void core__rfacts_free(core *c);
/*
 * Fold a race_official (lineup false) or lineup record; rec/len: its bytes.
 * mode 0 checks and applies, 1 only checks, 2 applies without looking the
 * race and bibs up (snapshot load: they existed when it was first applied).
 */
int core__race_record(core *c, const msgpack_object *root, const char *rec, size_t len, bool lineup,
		      int mode, char *err, size_t errlen);
bool core__race_is_official(const core *c, const char *race);
/* A result of race ri changed while it is official: it is corrected (by c->cur). */
void core__race_corrected(core *c, int ri);
/* {state, official_by, official_at, corrected_by, corrected_why, corrected_at}. */
void core__pack_results_state(const core *c, msgpack_packer *pk, const char *race);
/* A race_corrected fact from a snapshot's rrecs. */
int core__race_corrected_load(core *c, const msgpack_object *root, const char *rec, size_t len,
			      char *err, size_t errlen);

/* place.c: race state, ranking trees, places */
const char *core__status_name(int st);
int core__tie(const void *ctx, uint32_t x, uint32_t y);
/* Participants x and y ordered by a key (kx, ky), ties by core__tie. */
static inline int core__by_key(const core *c, uint32_t x, uint32_t y, int64_t kx, int64_t ky)
{
	return kx != ky ? (kx < ky ? -1 : 1) : core__tie(c, x, y);
}
/* 1-based place of p in a ranking tree, or 0 when unranked there. */
size_t core__place(const struct part *p, const ost *t);
/* The place shown: a judges' place, else the ranked place; 0 when none. */
size_t core__shown_place(const core *c, const struct part *p, bool *manual);
/* What race ri publishes (bibs, statuses, places, times) as one number. */
uint64_t core__results_digest(const core *c, int ri);
/* Build (for c->cfg) or release the race states c->rs. */
void core__rs_build(core *c);
void core__rs_free(core *c);
/* A finished participant enters its ranking trees; leaves them. */
void core__rank(core *c, struct part *p, uint32_t pi);
void core__unrank(core *c, struct part *p, uint32_t pi);

/* crossing.c: the read store, crossings from reads, the change set */
uint32_t core__code_upsert(core *c, int ns, const char *s, size_t n);
bool core__code_find(const core *c, int ns, const char *s, size_t n, uint32_t *ci);
uint32_t core__gpt_intern(core *c, const char *s, size_t n);
void core__add_read(core *c, uint32_t code, uint32_t gpt, int64_t t, int kind);
void core__set_dev(core *c, const char *id, size_t n, uint64_t seq);
/* The device's index, added when new. */
uint32_t core__dev_index(core *c, const char *id, size_t n);
/* Reads seq.. of device di are c->reads[ri..ri+n-1] (joined to the last). */
void core__dev_seg(core *c, uint32_t di, uint64_t seq, uint32_t ri, uint32_t n);
/* Read seq of a device: 0 and *ri, or SL_ENOENT. */
int core__read_find(const core *c, const char *dev, size_t dn, uint64_t seq, uint32_t *ri);
/* Make read ri void (on) or count again; its owner is recomputed. */
void core__read_void(core *c, uint32_t ri, bool on);
/* Fold a checked batch of reads, past its device's watermark. */
void core__fold_batch(core *c, const slp_batch *b);
/* Recompute one participant now (force: mark it changed even if equal). */
void core__recompute(core *c, uint32_t pi, bool force);
/* Queue one participant for a recompute at the end of the record. */
void core__queue(core *c, uint32_t pi);
/* Recompute the queued participants; start the next epoch. */
void core__flush(core *c);
void core__next_epoch(core *c);
void core__set_status(core *c, struct part *p, int st);
/* A code with reads and no participant (or no longer one) changed. */
void core__mark_uchg(core *c, uint32_t ci);

/* roster.c: participants */
/* Resolve race, wave, age and categories; reset the derived result. */
void core__resolve(core *c, struct part *p);
/* Takes ownership of *e. */
void core__put_entry(core *c, struct entry *e, bool recompute);
/* Member counts and listings after participants were put. */
void core__recount(core *c);
/* The owner of a chip (participant index), or NONE32. */
uint32_t core__chip_owner(const core *c, const char *chip, size_t n);
/*
 * The athlete a registration code names: 1 and *pi (a participant), 2 and
 * *pend (a registration without a bib), or 0.
 */
int core__reg_find(const core *c, const char *reg, size_t n, uint32_t *pi, uint32_t *pend);
/* Store a registration without a bib (takes ownership of *e; e->reg set,
 * e->bib NULL), replacing the one of the same reg. */
void core__put_pending(core *c, struct entry *e);
/* The race of a pending registration, or -1. */
int core__pending_race(const core *c, const struct entry *e);
/*
 * The next free bib of race ri's bib_pool into buf: 0, SL_ENOENT (no pool)
 * or SL_ERANGE (every bib of the pool is taken).
 */
int core__pool_next(core *c, int ri, char *buf, size_t n);
/* Takes ownership of *a: store the record, fold it, recompute its bib now
 * or later (snapshot load). */
void core__add_adj(core *c, struct adj_rec *a, bool now);

/* lineup.c: progression applied */
struct prog_clause;
struct prog_rule;
/* The race a clause of race from's rule sends crews to, or -1. */
int core__prog_target(const core *c, int from, const struct prog_clause *cl);
/* Does race from's rule send crews to target? (its rule and clause target) */
bool core__feeds(const core *c, int from, int target, struct prog_rule *rule, char *tgt,
		 size_t tn);

/* core.c: the event as a whole */
void core__install_cfg(core *c, struct cfg *cfg, const msgpack_object *raw);
void core__set_override(core *c, const char *race, const char *wave, int64_t t0);
/* Re-resolve every participant and recompute every result. */
void core__rebuild(core *c);
/* Empty the core in place (as core_new() left it). */
void core__reset(core *c);

/* audit.c: officials' decisions in the audit trail (fold.c calls) */
void core__audit_prepare(core *c, const msgpack_object *root, const char *k, size_t kn,
			 const slp_batch *raw);
void core__audit_decision(core *c, const msgpack_object *root, const slp_batch *raw);

#endif

/*
 * ost.h: an order-statistic tree: a treap whose nodes carry subtree sizes,
 * so insert, remove, rank and select are O(log n) expected.
 *
 * A key is (a, b, c, id): three integers compared in order, then a
 * caller-given tie-break on ids, which must be a total order on the ids with
 * equal c.  The core puts the numeric value of the bib in c, so that the
 * common tie-break needs no visit to the participant.  For a ranking, a is the time truncated to
 * the race precision, b the full time: so ost_count_less_a() counts the
 * entries strictly faster at that precision, and equal times share a place.
 *
 * Priorities come from a xorshift generator with a fixed seed, so the tree
 * is deterministic; its shape never shows in any output anyway.  Nodes live
 * in one array addressed by index (0 is the nil node), freed nodes are
 * recycled through a free list.
 *
 * Ownership: ost_init() sets up an empty tree; ost_release() frees it.  The
 * tie function's ctx is borrowed and must outlive the tree's use.
 */
#ifndef SL_OST_H
#define SL_OST_H

#include <stddef.h>
#include <stdint.h>

typedef int (*ost_tie_fn)(const void *ctx, uint32_t x, uint32_t y);

struct ost_node {
	int64_t a, b;
	uint64_t c;
	uint32_t id;
	uint32_t l, r;
	uint32_t size;
	uint32_t prio;
};

typedef struct ost {
	struct ost_node *n; /* n[0] is nil: size 0 */
	size_t cap;
	uint32_t used; /* nodes handed out, including nil */
	uint32_t root;
	uint32_t freel;
	uint64_t rng;
	ost_tie_fn tie;
	const void *ctx;
} ost;

void ost_init(ost *t, ost_tie_fn tie, const void *ctx);
void ost_release(ost *t);
/* Remove everything, keep the memory. */
void ost_clear(ost *t);
size_t ost_size(const ost *t);
/* Insert (a, b, c, id); the key must not be present. */
void ost_insert(ost *t, int64_t a, int64_t b, uint64_t c, uint32_t id);
/* Remove (a, b, c, id): 0, or SL_ENOENT when absent. */
int ost_remove(ost *t, int64_t a, int64_t b, uint64_t c, uint32_t id);
/* Entries whose a is strictly less than a. */
size_t ost_count_less_a(const ost *t, int64_t a);
/* Entries strictly less than the key (its 0-based position when present). */
size_t ost_rank(const ost *t, int64_t a, int64_t b, uint64_t c, uint32_t id);
/*
 * Ids of the entries at positions [off, off + lim) in order into out (which
 * holds lim); returns how many were written.
 */
size_t ost_range(const ost *t, size_t off, size_t lim, uint32_t *out);

#endif

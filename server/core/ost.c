/*
 * ost.c: a size-augmented treap over an index-addressed node pool (see
 * ost.h).  Insert splits at the new key where the new node's priority wins;
 * remove merges the removed node's children.  Recursion depth is the tree
 * height, O(log n) expected.
 */
#include "ost.h"
#include <stdbool.h>
#include <stdlib.h>

#include "sl.h"

#define NIL 0u

void ost_init(ost *t, ost_tie_fn tie, const void *ctx)
{
	t->cap = 64;
	t->n = sl_calloc(t->cap, sizeof(*t->n));
	t->used = 1;
	t->root = NIL;
	t->freel = NIL;
	t->rng = 0x9e3779b97f4a7c15ULL;
	t->tie = tie;
	t->ctx = ctx;
}

void ost_release(ost *t)
{
	free(t->n);
	t->n = NULL;
	t->cap = 0;
	t->used = 0;
	t->root = t->freel = NIL;
}

void ost_clear(ost *t)
{
	t->used = 1;
	t->root = NIL;
	t->freel = NIL;
	t->rng = 0x9e3779b97f4a7c15ULL;
}

size_t ost_size(const ost *t)
{
	return t->n[t->root].size;
}

static int cmp(const ost *t, int64_t a, int64_t b, uint64_t c, uint32_t id,
	       const struct ost_node *x)
{
	if (a != x->a)
		return a < x->a ? -1 : 1;
	if (b != x->b)
		return b < x->b ? -1 : 1;
	if (c != x->c)
		return c < x->c ? -1 : 1;
	if (id == x->id)
		return 0;
	return t->tie(t->ctx, id, x->id);
}

static void fix(ost *t, uint32_t x)
{
	t->n[x].size = 1 + t->n[t->n[x].l].size + t->n[t->n[x].r].size;
}

/* Split tree x into keys < key (*l) and keys > key (*r). */
static void split(ost *t, uint32_t x, int64_t a, int64_t b, uint64_t c, uint32_t id,
		  uint32_t *l, uint32_t *r)
{
	if (x == NIL) {
		*l = *r = NIL;
		return;
	}
	if (cmp(t, a, b, c, id, &t->n[x]) > 0) {
		split(t, t->n[x].r, a, b, c, id, &t->n[x].r, r);
		*l = x;
	} else {
		split(t, t->n[x].l, a, b, c, id, l, &t->n[x].l);
		*r = x;
	}
	fix(t, x);
}

static uint32_t merge(ost *t, uint32_t l, uint32_t r)
{
	if (l == NIL)
		return r;
	if (r == NIL)
		return l;
	if (t->n[l].prio > t->n[r].prio) {
		t->n[l].r = merge(t, t->n[l].r, r);
		fix(t, l);
		return l;
	}
	t->n[r].l = merge(t, l, t->n[r].l);
	fix(t, r);
	return r;
}

static uint32_t insert(ost *t, uint32_t x, uint32_t nw)
{
	struct ost_node *k = &t->n[nw];
	if (x == NIL)
		return nw;
	if (k->prio > t->n[x].prio) {
		split(t, x, k->a, k->b, k->c, k->id, &k->l, &k->r);
		fix(t, nw);
		return nw;
	}
	if (cmp(t, k->a, k->b, k->c, k->id, &t->n[x]) < 0)
		t->n[x].l = insert(t, t->n[x].l, nw);
	else
		t->n[x].r = insert(t, t->n[x].r, nw);
	fix(t, x);
	return x;
}

/*
 * insert() with the walk down as a loop: descend while the nodes outrank
 * the new one (each gains one in size), then split the subtree found there
 * (short: expected O(1) nodes) under the new node.  The same comparisons as
 * insert(), so the same tree.  false, having changed nothing, when the
 * path is deeper than the stack.
 */
#define OST_STACK 128
static bool insert_iter(ost *t, uint32_t nw)
{
	struct ost_node *k = &t->n[nw];
	uint32_t down[OST_STACK];
	size_t nd = 0;
	uint32_t *link = &t->root, x = t->root;
	while (x != NIL && !(k->prio > t->n[x].prio)) {
		if (nd == OST_STACK)
			return false;
		down[nd++] = x;
		link = cmp(t, k->a, k->b, k->c, k->id, &t->n[x]) < 0 ? &t->n[x].l : &t->n[x].r;
		x = *link;
	}
	split(t, x, k->a, k->b, k->c, k->id, &k->l, &k->r);
	fix(t, nw);
	*link = nw;
	for (size_t i = 0; i < nd; i++)
		t->n[down[i]].size++;
	return true;
}

void ost_insert(ost *t, int64_t a, int64_t b, uint64_t c, uint32_t id)
{
	uint32_t x;
	if (t->freel != NIL) {
		x = t->freel;
		t->freel = t->n[x].l;
	} else {
		if (t->used == t->cap)
			SL_GROW(t->n, t->cap, (size_t)t->used + 1);
		x = t->used++;
	}
	/* xorshift64: fixed seed, so the same inserts build the same tree. */
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	t->n[x] = (struct ost_node){a, b, c, id, NIL, NIL, 1, (uint32_t)(t->rng >> 32)};
	if (!insert_iter(t, x))
		t->root = insert(t, t->root, x);
}

static uint32_t remove_at(ost *t, uint32_t x, int64_t a, int64_t b, uint64_t c, uint32_t id,
			  uint32_t *gone)
{
	if (x == NIL)
		return NIL;
	int d = cmp(t, a, b, c, id, &t->n[x]);
	if (d == 0) {
		*gone = x;
		return merge(t, t->n[x].l, t->n[x].r);
	}
	if (d < 0)
		t->n[x].l = remove_at(t, t->n[x].l, a, b, c, id, gone);
	else
		t->n[x].r = remove_at(t, t->n[x].r, a, b, c, id, gone);
	fix(t, x);
	return x;
}

int ost_remove(ost *t, int64_t a, int64_t b, uint64_t c, uint32_t id)
{
	uint32_t gone = NIL;
	t->root = remove_at(t, t->root, a, b, c, id, &gone);
	if (gone == NIL)
		return SL_ENOENT;
	t->n[gone].l = t->freel;
	t->freel = gone;
	return 0;
}

size_t ost_count_less_a(const ost *t, int64_t a)
{
	size_t cnt = 0;
	uint32_t x = t->root;
	while (x != NIL) {
		if (t->n[x].a < a) {
			cnt += t->n[t->n[x].l].size + 1;
			x = t->n[x].r;
		} else {
			x = t->n[x].l;
		}
	}
	return cnt;
}

size_t ost_rank(const ost *t, int64_t a, int64_t b, uint64_t c, uint32_t id)
{
	size_t cnt = 0;
	uint32_t x = t->root;
	while (x != NIL) {
		if (cmp(t, a, b, c, id, &t->n[x]) > 0) {
			cnt += t->n[t->n[x].l].size + 1;
			x = t->n[x].r;
		} else {
			x = t->n[x].l;
		}
	}
	return cnt;
}

static void range(const ost *t, uint32_t x, size_t *off, size_t lim, uint32_t *out, size_t *got)
{
	if (x == NIL || *got == lim)
		return;
	size_t ls = t->n[t->n[x].l].size;
	if (*off >= ls) {
		*off -= ls; /* the whole left subtree is before the window */
	} else {
		range(t, t->n[x].l, off, lim, out, got);
		if (*got == lim)
			return;
	}
	if (*off > 0)
		(*off)--;
	else
		out[(*got)++] = t->n[x].id;
	if (*got == lim)
		return;
	if (*off >= t->n[t->n[x].r].size) {
		*off -= t->n[t->n[x].r].size;
		return;
	}
	range(t, t->n[x].r, off, lim, out, got);
}

size_t ost_range(const ost *t, size_t off, size_t lim, uint32_t *out)
{
	size_t got = 0;
	range(t, t->root, &off, lim, out, &got);
	return got;
}

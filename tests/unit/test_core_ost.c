/*
 * test_core_ost.c: the order-statistic treap against a brute-force sorted
 * array, under many random inserts and removes with plenty of equal keys.
 */
#include <stdbool.h>
#include <stdint.h>

#include "ost.h"
#include "sl.h"
#include "t.h"

struct key {
	int64_t a, b;
	uint64_t c;
	uint32_t id;
};

static int tie(const void *ctx, uint32_t x, uint32_t y)
{
	(void)ctx;
	/* reverse id order, to prove the tie-break is the caller's */
	return x > y ? -1 : x < y;
}

static int kcmp(const void *p, const void *q)
{
	const struct key *x = p, *y = q;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	return tie(NULL, x->id, y->id);
}

static void random_against_sort(void)
{
	enum { N = 2000 };
	static struct key live[N], sorted[N];
	static bool in[N];
	size_t nlive = 0;
	ost t;
	uint64_t rng = 42;
	ost_init(&t, tie, NULL);
	for (int step = 0; step < 20000; step++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t id = (uint32_t)((rng >> 33) % N);
		if (!in[id]) {
			int64_t b = (int64_t)((rng >> 13) % 5000);
			live[id] = (struct key){b / 100 * 100, b, id % 3, id};
			ost_insert(&t, live[id].a, live[id].b, live[id].c, id);
			in[id] = true;
			nlive++;
		} else {
			ASSERT_EQ(ost_remove(&t, live[id].a, live[id].b, live[id].c, id), 0);
			ASSERT_EQ(ost_remove(&t, live[id].a, live[id].b, live[id].c, id), SL_ENOENT);
			in[id] = false;
			nlive--;
		}
		if (step % 500 != 499)
			continue;
		size_t n = 0;
		for (uint32_t i = 0; i < N; i++)
			if (in[i])
				sorted[n++] = live[i];
		qsort(sorted, n, sizeof(*sorted), kcmp);
		ASSERT_EQ(ost_size(&t), nlive);
		ASSERT_EQ(n, nlive);
		uint32_t *ids = malloc((n + 1) * sizeof(*ids));
		ASSERT_EQ(ost_range(&t, 0, n, ids), n);
		for (size_t i = 0; i < n; i++) {
			if (ids[i] != sorted[i].id) {
				ASSERT_EQ(ids[i], sorted[i].id);
				break;
			}
		}
		for (size_t i = 0; i < n; i += 7) {
			ASSERT_EQ(ost_rank(&t, sorted[i].a, sorted[i].b, sorted[i].c, sorted[i].id), i);
			size_t less = 0;
			while (less < n && sorted[less].a < sorted[i].a)
				less++;
			ASSERT_EQ(ost_count_less_a(&t, sorted[i].a), less);
		}
		/* windows */
		size_t off = n / 3, got = ost_range(&t, off, 10, ids);
		ASSERT_EQ(got, n - off < 10 ? n - off : 10);
		for (size_t i = 0; i < got; i++)
			ASSERT_EQ(ids[i], sorted[off + i].id);
		free(ids);
	}
	ost_release(&t);
}

static void empty_and_clear(void)
{
	ost t;
	uint32_t id;
	ost_init(&t, tie, NULL);
	ASSERT_EQ(ost_size(&t), 0);
	ASSERT_EQ(ost_count_less_a(&t, 5), 0);
	ASSERT_EQ(ost_range(&t, 0, 1, &id), 0);
	ASSERT_EQ(ost_remove(&t, 1, 1, 0, 1), SL_ENOENT);
	for (uint32_t i = 0; i < 100; i++)
		ost_insert(&t, i, i, 0, i);
	ASSERT_EQ(ost_size(&t), 100);
	ASSERT_EQ(ost_range(&t, 99, 5, &id), 1);
	ASSERT_EQ(id, 99);
	ost_clear(&t);
	ASSERT_EQ(ost_size(&t), 0);
	ost_insert(&t, 1, 1, 0, 1);
	ASSERT_EQ(ost_size(&t), 1);
	ost_release(&t);
}

#define TESTS(X) X(random_against_sort) X(empty_and_clear)
T_MAIN()

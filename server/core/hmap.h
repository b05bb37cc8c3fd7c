/*
 * hmap.h: an open-addressing hash table from byte strings to uint32 values.
 *
 * Linear probing over a power-of-two array of 32-byte slots, kept at most
 * 70% full.  Keys of up to 16 bytes (chip codes, bibs, point ids) live in
 * the slot itself, so a lookup touches one cache line; longer keys are
 * copied to the heap.  There is no deletion: the core only ever adds keys,
 * and a key that stops being used keeps its slot.  Iteration order is never
 * exposed, so the table cannot leak hash order into outputs.
 *
 * The core's tables of names (devices, point ids, check-in bibs) are an
 * hmap from name to index beside an array in index order; hmap_intern
 * grows the two together.
 *
 * Ownership: the table copies every key it stores and frees them in
 * hmap_release().  Lookups borrow the key.  The arrays beside it are the
 * caller's.
 */
#ifndef SL_HMAP_H
#define SL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMAP_INLINE 16

struct hmap_slot {
	uint64_t h; /* 0: empty (hashes are never 0) */
	uint32_t n;
	uint32_t v;
	union {
		char in[HMAP_INLINE]; /* n <= HMAP_INLINE */
		char *ptr;            /* n > HMAP_INLINE, owned */
	} k;
};

typedef struct hmap {
	struct hmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t len;
} hmap;

#define HMAP_INIT {NULL, 0, 0}

void hmap_init(hmap *m);
void hmap_release(hmap *m);
uint64_t hmap_hash(const char *k, size_t n);
/* true and *v set when k is present. */
bool hmap_get(const hmap *m, const char *k, size_t n, uint32_t *v);
/* The hash of the byte pfx followed by k (== hmap_hash of those bytes). */
uint64_t hmap_hash_pfx(char pfx, const char *k, size_t n);
/* hmap_upsert with the key's hash already computed. */
uint32_t *hmap_upsert_h(hmap *m, const char *k, size_t n, uint64_t h, uint32_t dflt,
			bool *added);
/* hmap_upsert_h of the key pfx followed by k (h == hmap_hash_pfx(pfx, k, n)),
 * without the caller building that key. */
uint32_t *hmap_upsert_pfx(hmap *m, char pfx, const char *k, size_t n, uint64_t h, uint32_t dflt,
			  bool *added);
/* Ask the CPU to load the slot where a key of hash h starts probing. */
static inline void hmap_prefetch(const hmap *m, uint64_t h)
{
	if (m->cap)
		__builtin_prefetch(&m->slots[h & (m->cap - 1)]);
}
/* Set k to v, adding it if absent (the key is copied). */
void hmap_set(hmap *m, const char *k, size_t n, uint32_t v);
/* The value slot for k, adding it with value dflt if absent; *added says which. */
uint32_t *hmap_upsert(hmap *m, const char *k, size_t n, uint32_t dflt, bool *added);
/*
 * A name's index in a table of names kept beside m: *idx is k's value in m.
 * When k is new it gets the next index, *len, and the caller's array *arr
 * (*len elements of sz bytes, room for *cap) grows by one zeroed element at
 * that index, for the caller to fill: true then, false when k was known.
 * HMAP_INTERN takes the array, its room and its length as they are named.
 */
bool hmap_intern(hmap *m, const char *k, size_t n, void **arr, size_t *cap, size_t *len, size_t sz,
		 uint32_t *idx);
#define HMAP_INTERN(m, k, n, arr, cap, len, idx)                                                   \
	hmap_intern((m), (k), (n), (void **)&(arr), &(cap), &(len), sizeof(*(arr)), (idx))

#endif

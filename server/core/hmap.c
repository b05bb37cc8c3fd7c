/*
 * hmap.c: open addressing, linear probing, no deletion (see hmap.h).
 * The stored 64-bit hash makes probing and growth cheap: a slot's key bytes
 * are compared only when the full hashes agree.
 */
#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include "sl.h"

void hmap_init(hmap *m)
{
	m->slots = NULL;
	m->cap = m->len = 0;
}

void hmap_release(hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].h && m->slots[i].n > HMAP_INLINE)
			free(m->slots[i].k.ptr);
	free(m->slots);
	hmap_init(m);
}

static uint64_t fnv(uint64_t h, const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

/* FNV-1a, then a final avalanche so the low bits are well mixed. */
uint64_t hmap_hash(const char *k, size_t n)
{
	return mix(fnv(1469598103934665603ULL, k, n));
}

uint64_t hmap_hash_pfx(char pfx, const char *k, size_t n)
{
	return mix(fnv(fnv(1469598103934665603ULL, &pfx, 1), k, n));
}

static const char *key_of(const struct hmap_slot *s)
{
	return s->n > HMAP_INLINE ? s->k.ptr : s->k.in;
}

static struct hmap_slot *find(const hmap *m, const char *k, size_t n, uint64_t h)
{
	size_t mask = m->cap - 1;
	if (n <= HMAP_INLINE) {
		/* inline keys are zero-padded: compare 16 bytes of constant size */
		char pad[HMAP_INLINE] = {0};
		memcpy(pad, k, n);
		for (size_t i = h & mask;; i = (i + 1) & mask) {
			struct hmap_slot *s = &m->slots[i];
			if (!s->h || (s->h == h && s->n == n && !memcmp(s->k.in, pad, HMAP_INLINE)))
				return s;
		}
	}
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hmap_slot *s = &m->slots[i];
		if (!s->h)
			return s;
		if (s->h == h && s->n == n && memcmp(key_of(s), k, n) == 0)
			return s;
	}
}

static void grow(hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct hmap_slot *old = m->slots;
	size_t ocap = m->cap;
	m->slots = sl_calloc(ncap, sizeof(*m->slots));
	m->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].h)
			continue;
		size_t mask = ncap - 1, j = old[i].h & mask;
		while (m->slots[j].h)
			j = (j + 1) & mask;
		m->slots[j] = old[i];
	}
	free(old);
}

bool hmap_get(const hmap *m, const char *k, size_t n, uint32_t *v)
{
	if (!m->cap)
		return false;
	struct hmap_slot *s = find(m, k, n, hmap_hash(k, n));
	if (!s->h)
		return false;
	*v = s->v;
	return true;
}

uint32_t *hmap_upsert(hmap *m, const char *k, size_t n, uint32_t dflt, bool *added)
{
	return hmap_upsert_h(m, k, n, hmap_hash(k, n), dflt, added);
}

bool hmap_intern(hmap *m, const char *k, size_t n, void **arr, size_t *cap, size_t *len, size_t sz,
		 uint32_t *idx)
{
	bool added;
	*idx = *hmap_upsert(m, k, n, (uint32_t)*len, &added);
	if (!added)
		return false;
	sl_grow(arr, cap, *len + 1, sz);
	memset((char *)*arr + *len * sz, 0, sz);
	(*len)++;
	return true;
}

uint32_t *hmap_upsert_h(hmap *m, const char *k, size_t n, uint64_t h, uint32_t dflt,
			bool *added)
{
	if ((m->len + 1) * 10 > m->cap * 7)
		grow(m);
	struct hmap_slot *s = find(m, k, n, h);
	if (s->h) {
		if (added)
			*added = false;
		return &s->v;
	}
	s->h = h;
	s->n = (uint32_t)n;
	if (n > HMAP_INLINE)
		s->k.ptr = sl_strndup(k, n);
	else if (n)
		memcpy(s->k.in, k, n);
	s->v = dflt;
	m->len++;
	if (added)
		*added = true;
	return &s->v;
}

uint32_t *hmap_upsert_pfx(hmap *m, char pfx, const char *k, size_t n, uint64_t h, uint32_t dflt,
			  bool *added)
{
	if (n + 1 > HMAP_INLINE) {
		char *key = sl_malloc(n + 1);
		key[0] = pfx;
		memcpy(key + 1, k, n);
		uint32_t *v = hmap_upsert_h(m, key, n + 1, h, dflt, added);
		free(key);
		return v;
	}
	/* the zero-padded inline key, built once, compared 16 bytes at a time */
	char pad[HMAP_INLINE] = {pfx};
	for (size_t i = 0; i < n; i++)
		pad[1 + i] = k[i];
	if ((m->len + 1) * 10 > m->cap * 7)
		grow(m);
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hmap_slot *s = &m->slots[i];
		if (!s->h) {
			s->h = h;
			s->n = (uint32_t)(n + 1);
			memcpy(s->k.in, pad, HMAP_INLINE);
			s->v = dflt;
			m->len++;
			if (added)
				*added = true;
			return &s->v;
		}
		if (s->h == h && s->n == n + 1 && !memcmp(s->k.in, pad, HMAP_INLINE)) {
			if (added)
				*added = false;
			return &s->v;
		}
	}
}

void hmap_set(hmap *m, const char *k, size_t n, uint32_t v)
{
	*hmap_upsert(m, k, n, v, NULL) = v;
}

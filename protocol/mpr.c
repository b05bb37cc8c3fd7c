/*
 * mpr.c: the raw msgpack reader of passings records (see mpr.h).  Every
 * read checks the bytes left first; integers and lengths are big-endian as
 * msgpack writes them.  Field rules are slp_batch_parse()'s: when this
 * reader accepts a record, the general path would accept it with the same
 * reads (tests/fuzz/fuzz_mpr.c checks exactly that).
 */
#include "mpr.h"

static inline uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The w-byte length (or count) after a type byte (str, bin, map and array
 * headers), into *len: -1 when the bytes end first.
 */
static inline int len_field(struct mpr *m, int w, size_t *len)
{
	if (m->end - m->p < w)
		return -1;
	*len = (size_t)be(m->p, w);
	m->p += w;
	return 0;
}

int64_t mpr_hdr(struct mpr *m, bool map)
{
	if (m->p >= m->end)
		return -1;
	unsigned b = *m->p++;
	if (map && (b & 0xf0) == 0x80)
		return b & 0x0f;
	if (!map && (b & 0xf0) == 0x90)
		return b & 0x0f;
	int w = b == (map ? 0xde : 0xdc) ? 2 : b == (map ? 0xdf : 0xdd) ? 4 : 0;
	size_t n;
	if (!w || len_field(m, w, &n) < 0)
		return -1;
	return (int64_t)n;
}

int mpr_str_any(struct mpr *m, const char **s, size_t *n)
{
	if (m->p >= m->end)
		return -1;
	unsigned b = *m->p++;
	size_t len;
	if ((b & 0xe0) == 0xa0)
		len = b & 0x1f;
	else if (b < 0xd9 || b > 0xdb || len_field(m, 1 << (b - 0xd9), &len) < 0)
		return -1;
	if ((size_t)(m->end - m->p) < len)
		return -1;
	*s = (const char *)m->p;
	*n = len;
	m->p += len;
	return 0;
}

int mpr_int(struct mpr *m, int64_t *v)
{
	if (m->p >= m->end)
		return -1;
	unsigned b = *m->p++;
	if (b <= 0x7f) {
		*v = b;
		return 0;
	}
	if (b >= 0xe0) {
		*v = (int8_t)b;
		return 0;
	}
	if ((b == 0xcf || b == 0xd3) && m->end - m->p >= 8) { /* 64 bits: times */
		uint64_t u;
		memcpy(&u, m->p, 8);
		u = __builtin_bswap64(u);
		m->p += 8;
		if (b == 0xcf && u > (uint64_t)INT64_MAX)
			return -1;
		*v = (int64_t)u;
		return 0;
	}
	static const signed char w[] = {1, 2, 4, 8, 1, 2, 4, 8}; /* 0xcc..0xd3 */
	if (b < 0xcc || b > 0xd3)
		return -1;
	int n = w[b - 0xcc];
	if (m->end - m->p < n)
		return -1;
	uint64_t u = be(m->p, n);
	m->p += n;
	if (b <= 0xcf) { /* unsigned */
		if (u > (uint64_t)INT64_MAX)
			return -1;
		*v = (int64_t)u;
	} else { /* signed: sign-extend */
		int sh = 64 - 8 * n;
		*v = (int64_t)(u << sh) >> sh;
	}
	return 0;
}

int mpr_skip_scalar(struct mpr *m)
{
	if (m->p >= m->end)
		return -1;
	unsigned b = *m->p;
	const char *s;
	size_t n;
	if ((b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb))
		return mpr_str(m, &s, &n);
	m->p++;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if (b >= 0xcc && b <= 0xd3) {
		n = (size_t)1 << ((b - 0xcc) & 3);
	} else if (b == 0xca || b == 0xcb) {
		n = b == 0xca ? 4 : 8;
	} else if (b >= 0xc4 && b <= 0xc6) {
		if (len_field(m, 1 << (b - 0xc4), &n) < 0)
			return -1;
	} else {
		return -1;
	}
	if ((size_t)(m->end - m->p) < n)
		return -1;
	m->p += n;
	return 0;
}

/* Inline into mpr_passings(): it runs once per read of every batch. */
static inline __attribute__((always_inline)) bool read_one(struct mpr *m, slp_read *r)
{
	int64_t n = mpr_hdr(m, true), v;
	unsigned seen = 0;
	const char *k, *s;
	size_t kn, sn;
	if (n < 0)
		return false;
	memset(r, 0, sizeof(*r));
	r->kind = SLP_KIND_RFID;
	r->hits = -1;
	for (int64_t i = 0; i < n; i++) {
		unsigned bit = 0;
		if (mpr_str(m, &k, &kn) < 0)
			return false;
		switch (kn) {
		case 1: bit = k[0] == 't' ? 16 : 0; break;
		case 2: bit = mpr_key(k, kn, "pt", 2) ? 4 : 0; break;
		case 3: bit = mpr_key(k, kn, "bib", 3) ? 2 : 0; break;
		case 4:
			bit = mpr_key(k, kn, "chip", 4)   ? 1
			      : mpr_key(k, kn, "kind", 4) ? 8
			      : mpr_key(k, kn, "hits", 4) ? 32
			      : mpr_key(k, kn, "rssi", 4) ? 64
							  : 0;
			break;
		}
		if (bit & 15) {
			if (mpr_str(m, &s, &sn) < 0 || sn < 1 || sn > 64)
				return false;
			if (bit == 1)
				r->chip = s, r->chip_len = sn;
			else if (bit == 2)
				r->bib = s, r->bib_len = sn;
			else if (bit == 4)
				r->pt = s, r->pt_len = sn;
			else if (sn == 4 && !memcmp(s, "rfid", 4))
				r->kind = SLP_KIND_RFID;
			else if ((r->kind = slp_kind_parse(s, sn)) < 0)
				return false;
		} else if (bit) {
			if (mpr_int(m, &v) < 0)
				return false;
			if (bit == 16) {
				if (!sl_time_ok(v))
					return false;
				r->t = v;
			} else if (bit == 32) {
				if (v < 0 || v > INT32_MAX)
					return false;
				r->hits = (int)v;
			} else {
				if (v < INT32_MIN || v > INT32_MAX)
					return false;
				r->rssi = (int)v;
			}
		} else if (mpr_skip_scalar(m) < 0) {
			return false;
		}
		if (seen & bit)
			return false; /* a repeated key */
		seen |= bit;
	}
	/* exactly one of chip and bib, pt and t */
	return (seen & 3) && (seen & 3) != 3 && (seen & 4) && (seen & 16);
}

bool mpr_read(struct mpr *m, slp_read *r)
{
	return read_one(m, r);
}

bool mpr_passings(const char *rec, size_t len, slp_batch *b, slp_read **reads, size_t *cap)
{
	struct mpr m = {(const unsigned char *)rec, (const unsigned char *)rec + len};
	const char *k, *s;
	size_t kn, sn;
	int64_t n = mpr_hdr(&m, true), v, nr = -1;
	unsigned seen = 0;
	if (n < 1 || mpr_str(&m, &k, &kn) < 0 || !mpr_key(k, kn, "k", 1) ||
	    mpr_str(&m, &s, &sn) < 0 || !mpr_key(s, sn, "passings", 8))
		return false;
	memset(b, 0, sizeof(*b));
	for (int64_t i = 1; i < n; i++) {
		unsigned bit;
		if (mpr_str(&m, &k, &kn) < 0)
			return false;
		if (mpr_key(k, kn, "k", 1)) {
			return false;
		} else if (mpr_key(k, kn, "dev", 3)) {
			bit = 1;
			if (mpr_str(&m, &s, &sn) < 0 || sn < 1 || sn > 64)
				return false;
			b->dev = s;
			b->dev_len = sn;
		} else if (mpr_key(k, kn, "seq", 3)) {
			bit = 2;
			if (mpr_int(&m, &v) < 0 || v < 1)
				return false;
			b->seq = (uint64_t)v;
		} else if (mpr_key(k, kn, "rx", 2)) {
			bit = 8;
			if (mpr_int(&m, &v) < 0)
				return false;
			b->rx = v;
		} else if (mpr_key(k, kn, "reads", 5)) {
			bit = 4;
			if ((nr = mpr_hdr(&m, false)) < 1 || nr > SLP_MAX_READS)
				return false;
			SL_GROW(*reads, *cap, (size_t)nr);
			for (int64_t j = 0; j < nr; j++)
				if (!read_one(&m, &(*reads)[j]))
					return false;
		} else {
			bit = 0;
			if (mpr_skip_scalar(&m) < 0)
				return false;
		}
		if (seen & bit)
			return false;
		seen |= bit;
	}
	if (m.p != m.end || (seen & 7) != 7 || b->seq > SL_SEQ_MAX ||
	    (uint64_t)nr - 1 > SL_SEQ_MAX - b->seq)
		return false;
	b->reads = *reads;
	b->nreads = (size_t)nr;
	return true;
}

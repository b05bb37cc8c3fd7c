/*
 * rdr.h: what the four decoder line parsers share: one raw read as a
 * decoder reports it, and the small text helpers they are built from.
 *
 * A raw read carries the decoder's own clock: a time of day (ms since its
 * local midnight) and, when the protocol says it, the local date or an
 * absolute Unix time.  Turning that into UTC milliseconds needs the race
 * date and the decoder's UTC offset (config), done once in rdr_time().
 * Clock offsets (decoder vs. our reference) are the caller's business.
 *
 * Parsers are pure: no I/O, no allocation except where a header says so;
 * input is untrusted (every length and digit is checked; errors come back
 * as SL_EPARSE with a sentence naming the field).
 */
#ifndef SL_RDR_H
#define SL_RDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl.h"

#define RDR_CHIP_MAX 64

typedef struct rdr_raw {
	char chip[RDR_CHIP_MAX + 1]; /* NUL-terminated, 1..64 bytes */
	int64_t tod;                 /* ms since the decoder's local midnight, or -1 */
	int32_t day;                 /* local date, days since 1970-01-01, or INT32_MIN */
	int64_t unix_ms;             /* absolute UTC ms when the protocol gives it, or -1 */
	int64_t no;                  /* the decoder's own passing number / seq, or -1 */
	int rssi;                    /* dBm, 0 unknown */
	int hits;                    /* -1 unknown */
	int ant;                     /* antenna / channel, 0 unknown */
} rdr_raw;

void rdr_raw_init(rdr_raw *r);

/* UTC ms of a raw read: unix_ms if set, else (day, or day_default when
 * unknown) + tod - utc_off_min minutes. */
int64_t rdr_time(const rdr_raw *r, int32_t day_default, int utc_off_min);

/* Days since 1970-01-01 of a proleptic Gregorian date; INT32_MIN if bad. */
int32_t rdr_days(int y, int m, int d);
/* Inverse of rdr_days. */
void rdr_civil(int32_t days, int *y, int *m, int *d);

/* Parse exactly n decimal digits at s; -1 if any is not a digit. */
int64_t rdr_digits(const char *s, size_t n);
/* "HH:MM:SS[.f...]" (1-2 digit hours, any number of fraction digits, only
 * the first 3 count) -> ms since midnight; 0 or SL_EPARSE. */
int rdr_parse_tod(const char *s, size_t n, int64_t *ms);
/* Copy a chip code; SL_EPARSE if empty, too long or holding bytes < 0x21. */
int rdr_set_chip(rdr_raw *r, const char *s, size_t n);
/* Split s[0..n) at sep into at most max fields (pointers borrow s);
 * returns the number of fields (the last gets the rest when there are more). */
size_t rdr_split(const char *s, size_t n, char sep, const char **f, size_t *fl, size_t max);
/* Signed decimal integer filling the whole field; 0 or SL_EPARSE. */
int rdr_int(const char *s, size_t n, int64_t *v);
/* Optional field k of f/fl (nf fields): absent or empty leaves *out as it
 * is; else an integer in lo..hi into *out.  0, or SL_EPARSE. */
int rdr_opt_int(const char *const *f, const size_t *fl, size_t nf, size_t k, int64_t lo, int64_t hi,
		int *out);
/* The parsers' one way to refuse: what into err, returns SL_EPARSE. */
int rdr_fail(char *err, size_t errlen, const char *what);

/*
 * Line framing over a byte stream, for all four protocols.  Bytes are
 * appended with rdr_frame_feed; rdr_frame_next returns each whole line
 * (terminator removed, a trailing '\r' or '\n' of a CRLF pair dropped) until
 * none is left.  Lines longer than max are dropped whole (counted in
 * overflows) so a broken peer cannot grow memory.  Owns its buffer.
 */
typedef struct rdr_frame {
	sl_buf buf;
	size_t pos;      /* start of the unread bytes */
	char term;       /* '\n', '\r' or '$' */
	size_t max;
	bool skipping;   /* inside an overlong line */
	size_t overflows;
	sl_buf line;     /* the current line (borrowed by the caller until next) */
} rdr_frame;

void rdr_frame_init(rdr_frame *f, char term, size_t max);
void rdr_frame_release(rdr_frame *f);
void rdr_frame_feed(rdr_frame *f, const char *p, size_t n);
/* true with line and len set (valid until the next call), false when none. */
bool rdr_frame_next(rdr_frame *f, const char **line, size_t *len);

#endif

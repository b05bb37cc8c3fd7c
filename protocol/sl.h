/*
 * sl.h: the few things every part of Splitline shares: error codes, the
 * out-of-memory policy (and SL_FREE_MANY for destructors), a growable byte
 * buffer, hex, the logging macro and the close request (sl_close_req) of
 * the objects that close in steps.
 *
 * Errors are values: functions return 0 or a negative SL_E* code, and
 * sl_strerror() names it.  Allocation goes through sl_malloc() and friends,
 * which log and abort on failure, so nothing else checks malloc for NULL.
 * This header includes no loop, socket or Redis header: protocol/ and
 * server/core/ must stay pure.
 */
#ifndef SL_H
#define SL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * X(name, value, wire code, retry, sentence).  retry says what a client
 * that sent a request and got this code back does about it (clients/common/
 * outbox.h; sl_err_retry):
 *   AGAIN    the server is busy or slow: send the same request again later
 *            (after a backoff, on a new connection where the client drops it);
 *   RESEND   the device's seqs have a gap: resend from the seq it expects;
 *   REFUSED  the token, its scope or the request is refused: sending it again
 *            cannot help (a client stops, or skips what was refused);
 *   NO       none of these: each client says what it does (give up, or retry
 *            slowly).  IO is also what a lost connection looks like locally;
 *            the clients treat that as a reconnect, not as this column.
 */
#define SL_ERRNO_MAP(X)                                                        \
	X(INVAL, 1, "bad_request", REFUSED, "invalid argument")                \
	X(PARSE, 2, "bad_request", NO, "malformed input")                      \
	X(TYPE, 3, "unknown_type", NO, "unknown message type")                 \
	X(TOOBIG, 4, "too_large", NO, "message too large")                     \
	X(AUTH, 5, "unauthorized", REFUSED, "unknown or revoked token")        \
	X(PERM, 6, "forbidden", REFUSED, "not allowed for this role")          \
	X(NOENT, 7, "not_found", REFUSED, "no such object")                    \
	X(EXIST, 8, "conflict", NO, "already exists")                          \
	X(UNAVAIL, 9, "unavailable", AGAIN, "store unavailable, try again")    \
	X(TIMEOUT, 10, "timeout", AGAIN, "timed out")                          \
	X(IO, 11, "io", NO, "input/output error")                              \
	X(RANGE, 12, "bad_request", REFUSED, "value out of range")             \
	X(FULL, 13, "busy", AGAIN, "queue full, try again")                    \
	X(STATE, 14, "conflict", NO, "not allowed in this state")              \
	X(DUP, 15, "duplicate", NO, "duplicate")                               \
	X(GAP, 16, "gap", RESEND, "sequence gap: resend from the expected seq") \
	X(UNSAFE, 17, "unavailable", AGAIN,                                    \
	  "written, but not yet confirmed by enough replicas: send again")

enum {
#define SL_XX(name, val, code, retry, msg) SL_E##name = -(val),
	SL_ERRNO_MAP(SL_XX)
#undef SL_XX
};

/* A sentence for a negative SL_E* code (or "success" for 0). */
const char *sl_strerror(int err);
/* The short wire code ("bad_request", ...) for a negative SL_E* code. */
const char *sl_errcode(int err);

/* The retry column of SL_ERRNO_MAP: what to do about an err reply. */
enum sl_retry { SL_RETRY_NO, SL_RETRY_AGAIN, SL_RETRY_RESEND, SL_RETRY_REFUSED };
/* The retry class of a negative SL_E* code (SL_RETRY_NO for 0 and codes
 * outside the map). */
enum sl_retry sl_err_retry(int err);

/* Out-of-memory policy: these log and abort, never return NULL. */
void *sl_malloc(size_t n);
void *sl_calloc(size_t nmemb, size_t size);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);
/* Grow *p (holding *cap elements of size sz) to hold at least need. */
void sl_grow(void **p, size_t *cap, size_t need, size_t sz);
#define SL_GROW(arr, cap, need) sl_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))
/*
 * Free every pointer given (any may be NULL), as a destructor's last step:
 * SL_FREE_MANY(t->rows, t->hdr, t).  All are read before the first is freed,
 * so the owner itself may come last.
 */
void sl_free_many(void *const *p, size_t n);
#define SL_FREE_MANY(...)                                                      \
	sl_free_many((void *const[]){__VA_ARGS__},                             \
		     sizeof((void *const[]){__VA_ARGS__}) / sizeof(void *))

/*
 * sl_buf: a growable byte buffer, always NUL-terminated after len.
 * init with SL_BUF_INIT or sl_buf_init(); sl_buf_release() frees the bytes;
 * sl_buf_detach() hands them to the caller (returns owned).
 */
typedef struct sl_buf {
	char *data;
	size_t len;
	size_t cap;
} sl_buf;
#define SL_BUF_INIT {NULL, 0, 0}
void sl_buf_init(sl_buf *b);
void sl_buf_release(sl_buf *b);
void sl_buf_reset(sl_buf *b); /* len = 0, keeps memory */
void sl_buf_reserve(sl_buf *b, size_t extra);
void sl_buf_add(sl_buf *b, const void *p, size_t n);
void sl_buf_adds(sl_buf *b, const char *s);
void sl_buf_addc(sl_buf *b, char c);
void sl_buf_addf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_buf_vaddf(sl_buf *b, const char *fmt, va_list ap);
char *sl_buf_detach(sl_buf *b, size_t *len);

/*
 * Append s (NULL: nothing) to o as valid UTF-8: each byte that does not
 * start a well-formed sequence becomes '?', each control character a space
 * (text for cairo, whose context a bad string breaks, and for XML).
 */
void sl_utf8_clean(sl_buf *o, const char *s);

/* The n bytes at b as 2n lower-case hex digits + NUL in out (2n+1 bytes). */
void sl_hex(char *out, const void *b, size_t n);

/* Logging: one macro, levels; messages in lower case like git's. */
enum sl_log_level { SL_LOG_ERROR, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG };
extern int sl_log_level; /* messages above this level are dropped */
void sl_log_set_prefix(const char *prog);
void sl_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define sl_log(level, ...)                                                     \
	do {                                                                   \
		if ((level) <= sl_log_level)                                   \
			sl_logf((level), __VA_ARGS__);                         \
	} while (0)
#define sl_error(...) sl_log(SL_LOG_ERROR, __VA_ARGS__)
#define sl_warn(...) sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_info(...) sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)

/*
 * A request to close (or drain) an object that closes in steps: made once
 * (on), with whom to tell when the last step is done (done(ctx), may be
 * NULL).  sl_close_begin records the first request and returns false for
 * any later one; sl_close_done calls done once, however often it is reached.
 */
typedef struct sl_close_req {
	bool on;
	void (*done)(void *ctx);
	void *ctx;
} sl_close_req;

static inline bool sl_close_begin(sl_close_req *c, void (*done)(void *ctx), void *ctx)
{
	if (c->on)
		return false;
	*c = (sl_close_req){true, done, ctx};
	return true;
}

static inline void sl_close_done(sl_close_req *c)
{
	void (*done)(void *ctx) = c->done;

	c->done = NULL;
	if (done)
		done(c->ctx);
}

/* Wall clock, milliseconds since the Unix epoch, UTC. */
int64_t sl_now_ms(void);

/*
 * The times anyone may send (reads, scans, wave starts, hand times, config
 * times): the years 2000 to 2100, UTC, in ms since the epoch.  Outside them
 * a time is a typo or an attack (2^63-1 as a wave start would turn every
 * finisher of the wave back into "registered"), refused with SL_ERANGE.
 */
#define SL_T_MIN 946684800000LL  /* 2000-01-01T00:00:00Z */
#define SL_T_MAX 4133980800000LL /* 2101-01-01T00:00:00Z, excluded */
static inline bool sl_time_ok(int64_t t)
{
	return t >= SL_T_MIN && t < SL_T_MAX;
}

/*
 * The largest seq a device may use: 2^53 - 1.  The append script in Redis
 * compares seqs as Lua numbers (doubles), exact only up to 2^53; above, two
 * seqs would compare equal and a new batch would be taken for a resend.
 */
#define SL_SEQ_MAX 9007199254740991ULL

/*
 * Time text helpers, shared by clients and core.  All return 0 or SL_EPARSE.
 * sl_parse_hms: "H:MM:SS", "HH:MM:SS.fff", "MM:SS" -> milliseconds.
 * sl_parse_iso: "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)" or "YYYY-MM-DD"
 *   -> ms since epoch (a date alone is midnight UTC).
 * sl_parse_iso_ex: the same; *zoned (may be NULL) says whether the text gave
 *   its UTC offset (Z or +hh:mm/-hh:mm), i.e. whether it names one instant
 *   without a time zone to read it in.
 * sl_fmt_hms: ms -> "H:MM:SS" (prec_ms >= 1000) or "H:MM:SS.f..".
 */
int sl_parse_hms(const char *s, int64_t *ms);
int sl_parse_iso(const char *s, int64_t *ms);
int sl_parse_iso_ex(const char *s, int64_t *ms, bool *zoned);
void sl_fmt_hms(sl_buf *b, int64_t ms, int prec_ms);
void sl_fmt_iso(sl_buf *b, int64_t ms);

#endif

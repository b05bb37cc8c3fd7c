/*
 * outbox.h: the pending-input window every device client shares
 * (splitline-replay, the reader's forwarder, splitline-regatta and
 * splitline-scan): which batches of device input are in flight, what the
 * server has acknowledged, how an ack, a duplicate, a gap or an err reply is
 * read, and how long to wait before the next try.
 *
 * What stays with each client: where the input comes from and how it is kept
 * (the reader's journal, the scanner's DIR/outbox file, replay's batches cut
 * from a results file), the connection, and what it prints.  The outbox holds
 * no connection and does no I/O, so the unit test drives it with made-up
 * replies (tests/unit/test_outbox.c).
 *
 * Sequence numbers: a device numbers its input from 1; a batch is (seq of its
 * first item, n items).  The window holds the batches sent on the current
 * connection, in seq order, each with the request id it went out with.
 *
 * Invariants: every seq <= acked is acknowledged; the flights are in seq
 * order and all above acked; inflight counts the flights not yet acked (an
 * acked flight stays in the window until every flight before it is acked
 * too: acks may come out of order, acked only moves over a prefix).
 *
 * Which err codes are retried is the retry column of SL_ERRNO_MAP
 * (protocol/sl.h, sl_err_retry); outbox_reply_read gives the class of a
 * reply's code.
 *
 * Backoff: after a failure wait outbox_backoff_next(): the current delay
 * less a random part of up to jitter_pct percent of it (so that many clients
 * cut off together do not come back together), then the delay doubles up to
 * max; outbox_backoff_reset after a success.
 *
 * Ownership: the outbox owns its flight array (outbox_release frees it).
 * outbox_reply borrows the strings of the message it was read from.
 */
#ifndef SL_OUTBOX_H
#define SL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl.h"
#include "slp.h"

/* ---- backoff with jitter ---- */

typedef struct outbox_backoff {
	int64_t min_ms, max_ms; /* first delay, cap */
	int64_t cur_ms;         /* the delay the next failure waits (before jitter) */
	int jitter_pct;         /* 0..100: up to this share of a delay is taken off */
	uint64_t rng;           /* xorshift state, never 0 */
} outbox_backoff;

/* seed 0 picks one from the clock and the pid. */
void outbox_backoff_init(outbox_backoff *b, int64_t min_ms, int64_t max_ms, int jitter_pct,
			 uint64_t seed);
/* The wait before the next try (cur_ms less the jitter, >= 1 when cur_ms
 * is), then cur_ms doubles up to max_ms. */
int64_t outbox_backoff_next(outbox_backoff *b);
/* After a success: back to min_ms. */
void outbox_backoff_reset(outbox_backoff *b);

/* Up to this share of each wait is taken off, in every client that retries. */
#define OUTBOX_JITTER_PCT 20
/* The reconnect policy of the clients that stream to the server (replay, the
 * reader's forwarder, the regatta importer): from 100 ms doubling to 5 s,
 * with OUTBOX_JITTER_PCT. */
void outbox_backoff_reconnect(outbox_backoff *b);

/* ---- the window ---- */

typedef struct outbox_flight {
	uint64_t seq, n; /* items [seq, seq + n) */
	uint64_t id;     /* request id it was sent with */
	int64_t sent_at; /* mono ms */
	size_t tag;      /* the caller's (replay: its batch index) */
	bool acked;
} outbox_flight;

typedef struct outbox {
	uint64_t acked; /* every seq <= acked is acknowledged */
	size_t window;  /* at most this many unacked flights (the caller may change it) */
	size_t inflight;
	outbox_flight *fl; /* the window, in seq order */
	size_t nfl, cap;
} outbox;

void outbox_init(outbox *o, size_t window, uint64_t acked);
void outbox_release(outbox *o);

/* Whether another batch may go out (fewer than window unacked). */
bool outbox_room(const outbox *o);
/* A batch was sent (above every flight in the window). */
void outbox_sent(outbox *o, uint64_t seq, uint64_t n, uint64_t id, size_t tag, int64_t now);
/* The unacked flight sent with request id, or NULL (not ours, or acked). */
const outbox_flight *outbox_find(const outbox *o, uint64_t id);

/*
 * An ack of request id.  last: the ack's "last" (every seq <= last is on the
 * server), or 0 when the client does not read it.  The flight is marked
 * acked, acked moves to last and over every leading flight acked or wholly
 * <= acked, which leave the window.  Returns 0 with *out the flight, or
 * SL_ENOENT when id is no unacked flight (nothing changes).
 */
int outbox_ack(outbox *o, uint64_t id, uint64_t last, outbox_flight *out);
/* The connection is gone: every flight leaves the window.  Returns how many
 * were unacked (the batches to send again). */
size_t outbox_drop(outbox *o);
/* A gap err: the server has everything before expected (>= 1): acked =
 * expected - 1, and the window empties (the rest failed the same way). */
void outbox_gap(outbox *o, uint64_t expected);
/* The send time of the oldest unacked flight, or -1 when none. */
int64_t outbox_oldest(const outbox *o);

/* ---- replies ---- */

enum { OUTBOX_OTHER, OUTBOX_ACK, OUTBOX_ERR, OUTBOX_OK };

typedef struct outbox_reply {
	int kind; /* OUTBOX_* from "t" */
	bool has_id, has_last, has_seq, has_expected;
	uint64_t id;
	int64_t last, seq, expected;
	bool dup;
	const char *code, *msg; /* err: "" when absent */
	size_t code_len, msg_len;
	int err;             /* err: the SL_E* of code (SL_EIO for an unknown code) */
	enum sl_retry retry; /* err: sl_err_retry(err) */
} outbox_reply;

/* Read the fields a device client looks at from a decoded message. */
void outbox_reply_read(const slp_msg *m, outbox_reply *r);

#endif

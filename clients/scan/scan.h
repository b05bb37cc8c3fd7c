/*
 * scan.h: what the files of splitline-scan share (main.c has the design):
 * the one scanner state S (defined in main.c), the scans and taps it
 * holds, and the cross-file functions: input.c (the stdin thread),
 * outbox.c (the files in DIR), modes.c (a line, by mode), sync.c (the
 * server), labels_cmd.c (the labels command).
 *
 * Threads: S is the main thread's; the input thread touches only input.c's
 * queue.  Ownership: S owns its scans' strings, taps and the say buffer.
 */
#ifndef SL_SCAN_H
#define SL_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cliutil.h"
#include "outbox.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define CONNECT_MS 3000
#define RETRY_MS 1000
#define REPLY_MS 10000
#define MAX_BATCH 500
#define MAX_LINE 128 /* a scanned line */
#define MAX_ID 64    /* a bib or a chip (PROTOCOL.md) */

enum mode { M_CHECKIN, M_CHECKPOINT, M_FINISH_TAP, M_PICKUP };

struct scan {
	uint64_t seq;
	int64_t t;
	char *code; /* the code, or the bib of a passing */
	char *chip; /* pickup --pair-chip: the chip to pair, or NULL */
	char *bib;  /* pickup --bib-from-stack: the bib handed out, or NULL */
	uint64_t tap; /* finish-tap: the tap it attached, else 0 */
	bool assign;  /* op assign (pickup) */
	bool answered;
};

struct tap {
	uint64_t n;
	int64_t t;
};


struct line {
	int64_t t;  /* when the read that completed it returned */
	char *text; /* owned */
	bool toolong;
};

struct scan_state {
	slc_conn conn;
	const char *dev, *dir, *point, *vol, *race;
	enum mode mode;
	bool passings; /* checkpoint and finish-tap send passings */
	bool pair_chip, bib_from_stack;
	struct scan *s;
	size_t n, cap;
	outbox ob;      /* ob.acked: the last seq acked; the batch in flight */
	outbox_backoff bo; /* between connects */
	int outfd, tapfd;
	bool out_dirty, tap_dirty; /* written since the last fsync */
	sl_buf say;                /* what to print once the fsyncs are done */
	struct tap *taps;          /* finish-tap: waiting taps, oldest first */
	size_t ntaps, captaps;
	uint64_t next_tap;
	char *want_chip_for; /* pickup: the code waiting for its bib and/or chip */
	char *want_bib;      /* pickup --bib-from-stack: its bib, once scanned */
	bool want_chip;      /* the next line is the chip (else the bib) */
	int64_t want_t;
	wsc *c;
	int64_t next_try;
	size_t answers, warnings;
	bool fatal;
};


extern struct scan_state S;
extern const char scan__usage[];
void scan__usage_print(FILE *f);

/* input.c */
int scan__input_start(void);
/* Take every line queued so far (owned by the caller); *eof once at EOF. */
struct line *scan__input_take(size_t *n, bool *eof);
/* A byte arrives here with every line: poll it. */
int scan__input_fd(void);
void scan__input_join(void);

/* outbox.c */
void scan__say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t scan__pending(void);
size_t scan__unanswered(void);
void scan__hms(char *buf, size_t n, int64_t ms);
int scan__save_acked(void);
/* Load the outbox, the acked watermark and (finish-tap) the taps. */
int scan__load(void);
/* Append one scan to the outbox (fsync'd by scan__commit) and return it. */
struct scan *scan__enqueue(const char *code, int64_t t, const char *chip, const char *bib,
			   uint64_t tap);
int scan__journal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void scan__tap_remove(struct tap *tp);
/* fsync what this turn wrote, then print what it said. */
int scan__commit(void);

/* modes.c: handle the lines taken this turn, then commit; -1 when a file fails */
int scan__on_lines(struct line *q, size_t n);

/* sync.c */
void scan__connect(void);
/* Send the first unacked scans as one batch; 0 when acked. */
int scan__sync(void);
/* Read pushes (answers) for up to ms. */
void scan__pump(int ms);

/* labels_cmd.c: the labels command; the exit status */
int scan__labels(int argc, char **argv);

#endif

/*
 * fwd.h: the forwarder: a thread that sends the passings journal to the
 * Splitline server as device batches and records what the server acked.
 *
 * Design: the loop thread owns decoder I/O and the journals; once a
 * passing is synced to the passings journal it hands a copy to the
 * forwarder (fwd_push).  Passing i (from 1) is device seq i.  The
 * forwarder thread, on the blocking wsc client, keeps up to `window`
 * batches of up to `batch` passings in flight; an ack {last} moves
 * `acked` (persisted to ack_path at most every 200 ms and at exit: after
 * a crash a few acked batches are sent again and acknowledged dup:true).
 * On a disconnect, an unavailable/timeout/busy err or an ack that does
 * not come within 30 s, it reconnects with backoff (0.1 s doubling to 5 s,
 * less up to 20% jitter; the window, acks and backoff are outbox.h's)
 * and resends from acked + 1, first one read per batch until an ack is not
 * dup (so no resent batch overlaps one appended unacked: fwd.c).  An err "gap" with "expected": E means the
 * server has everything before E: acked becomes E - 1 and sending resumes
 * at E.  Any other err is logged and retried after 5 s (never skipped:
 * a passing is never dropped).
 *
 * Thread safety: every field under "shared" is guarded by mu.
 * Ownership: the fwd struct is the caller's; strings in cfg are borrowed
 * for the forwarder's life.
 */
#ifndef SL_FWD_H
#define SL_FWD_H

#include <pthread.h>
#include <stdbool.h>

#include "cliutil.h"
#include "jrn.h"

typedef struct fwd_cfg {
	slc_conn conn;        /* server, event, token */
	const char *device;   /* dev of the batches */
	const char *pt;       /* timing point of every read */
	const char *ack_path; /* where acked is persisted */
	size_t batch, window;
} fwd_cfg;

typedef struct fwd_stats {
	uint64_t total, acked, dup_batches, sends, reconnects;
	bool connected;
	char last_err[256];
} fwd_stats;

typedef struct fwd {
	fwd_cfg cfg;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* shared */
	jrn_rec *pass; /* pass[i] is seq i + 1 */
	size_t npass, cap;
	fwd_stats st;
	bool stop;
} fwd;

/* acked: the persisted position.  Passings already in the journal are
 * pushed before or after start, in seq order. */
void fwd_init(fwd *f, const fwd_cfg *cfg, uint64_t acked);
void fwd_push(fwd *f, const jrn_rec *r);
int fwd_start(fwd *f);
/* Ask the thread to stop; wait at most drain_ms for everything to be
 * acked first; persists acked; joins. */
void fwd_stop(fwd *f, int drain_ms);
void fwd_get_stats(fwd *f, fwd_stats *st);
void fwd_release(fwd *f);

#endif

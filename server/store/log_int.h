/*
 * log_int.h: what log.c and log_tok.c share (the evlog itself); not for
 * other files, which use log.h.
 */
#ifndef SL_STORE_LOG_INT_H
#define SL_STORE_LOG_INT_H

#include "sl.h"
#include "store/cluster.h"
#include "store/log.h"
#include "store/redis.h"

struct evlog {
	uv_loop_t *loop;
	core *core;
	char *event;
	char *k_log, *k_dev, *k_devc, *k_snap, *k_tok;
	char sha[41];
	uint32_t timeout_ms, wait_ms;
	int wait; /* < 0: by the store's kind */
	uint64_t snapshot_every;
	size_t max_pending;

	cluster *cl;                  /* borrowed */
	struct cluster_follow follow; /* the tail's address: the slot's primary */
	redis *t;                     /* tail */
	size_t inflight;              /* commands on the shared connections */

	char last_id[48];
	bool snap_read, tail_busy, caught_up;
	uint64_t since_snap; /* records folded since the last snapshot written */
	bool snap_busy;
	uv_timer_t retry;

	sl_close_req closing;
	int open;     /* closing: things still open (the tail, the timer, in-flight) */
	bool drained; /* closing: nothing in flight any more */
};

/* Replicas an append or a token change waits for (the wait option, or by
 * the store's kind). */
int evlog__wait_n(const evlog *l);
/* A write's timeout: it may queue behind a WAIT on its connection. */
uint32_t evlog__write_timeout(const evlog *l);
/* A command of l on the shared connections ended (counted in l->inflight
 * when sent); the last one, when closing, is the last part closed. */
void evlog__inflight_done(evlog *l);

#endif

/*
 * reader.h: what the files of splitline-reader share (main.c has the
 * design): the reader and its decoder connections, and the cross-file
 * functions of main.c (clock, journals), dec.c (decoder connections) and
 * rescore.c (--rescore).  All of it runs on the loop thread except the
 * forwarder (fwd.h), which it talks to through fwd_push and fwd_get_stats.
 */
#ifndef SL_READER_H
#define SL_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cliutil.h"
#include "flt.h"
#include "fwd.h"
#include "jrn.h"
#include "mlp.h"
#include "outbox.h"
#include "rdr.h"

enum proto { P_RR, P_CTP, P_MLP, P_JCP };

/* The options the decoder side and the status need later (borrowed from
 * argv or the --config file's words). */
typedef struct reader_opts {
	const char *protocol, *decoder, *listen, *point, *device, *journal;
	bool rescore;
} reader_opts;

struct reader;

typedef struct conn {
	uv_tcp_t tcp;
	struct reader *r;
	rdr_frame fr;
	mlp_msg mm;
	bool handshake_offset; /* offset measured at the handshake */
	bool est_set;
	int64_t offset, est;
	int state;
	char name[96];
	sl_buf acks; /* replies to send once synced */
	struct conn *next;
	bool closing;
} conn;

typedef struct reader {
	uv_loop_t *loop;
	int proto;
	reader_opts o;
	int32_t day;
	int utc_off_min;
	bool fix, fixed_offset;
	int64_t fixed_offset_ms, warn_ms;
	double sim_speed;
	int64_t sim_wall0, sim_race0;
	jrn raw, pass;
	flt *flt;
	fwd fw;
	jrn_rec *newpass;
	size_t nnew, capnew;
	conn *conns;
	int ndecoders;
	uv_tcp_t server;
	uv_timer_t tick, rr_timer;
	uv_signal_t sigint, sigterm;
	/* RaceResult: passing numbers seen */
	unsigned char *seen;
	size_t capseen;
	int64_t rr_max;
	conn *rr;
	outbox_backoff rr_backoff; /* 0.5 s doubling to 5 s, no jitter */
	uint64_t faults;
	jrn_rec last;
	bool have_last;
	int64_t last_status;
	int status_every;
	char status_path[4096];
	bool refeeding;
} reader;


/* main.c */
/* The reference clock: the wall clock, or the --sim-clock race clock. */
int64_t reader__ref_now(reader *r);
/* The filter made a passing: journal it, hand it over at the next commit. */
void reader__on_pass(void *ctx, const jrn_rec *p);
/* Sync both journals, then hand new passings to the forwarder; 0 or < 0. */
int reader__commit(reader *r);

/* dec.c */
void reader__rr_mark(reader *r, int64_t no);
void reader__on_closed(uv_handle_t *h);
void reader__on_accept(uv_stream_t *srv, int status);
/* RaceResult: connect to --decoder (a timer callback: r in t->data). */
void reader__rr_connect(uv_timer_t *t);
/* ChronoTrack: ping every connection. */
void reader__on_ping(uv_timer_t *t);

/* rescore.c */
int reader__rescore(const reader_opts *o, fwd_cfg *fc, const flt_cfg *fcfg, int status_every);

#endif

/*
 * fwd.c: the forwarder thread (see fwd.h for the design).
 *
 * Probing after a (re)connect: batches in flight when a connection (or the
 * server, or this process) died may have been appended without their ack
 * reaching us.  Resent with other boundaries they would overlap what was
 * appended (the server then writes only the reads past its watermark, so
 * the log holds each seq once either way).  After every connect we send one
 * read per batch, one at a time, until an ack is not a duplicate: the
 * device's appended position is then exactly the last probe, and full
 * batches resume after it, so a reconnect resends (and the server checks)
 * as little as possible.
 */
#include "fwd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outbox.h"

#define ACK_TIMEOUT_MS 30000
#define PERSIST_MS 200

/* The thread's own state (nothing here is shared). */
typedef struct fwd_run {
	fwd *f;
	wsc *c;
	outbox ob;          /* in flight on c; ob.acked mirrors f->st.acked */
	outbox_backoff bo;  /* between connects */
	bool probing;       /* see the top of this file */
	uint64_t next;      /* next seq to send */
	uint64_t stored;    /* acked as last persisted */
	int64_t persisted_at;
	sl_buf out, in;
	char why[400];      /* why the connection is dropped ("" while it is not) */
} fwd_run;

void fwd_init(fwd *f, const fwd_cfg *cfg, uint64_t acked)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->st.acked = acked;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
}

void fwd_push(fwd *f, const jrn_rec *r)
{
	pthread_mutex_lock(&f->mu);
	SL_GROW(f->pass, f->cap, f->npass + 1);
	f->pass[f->npass++] = *r;
	f->st.total = f->npass;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void fwd_get_stats(fwd *f, fwd_stats *st)
{
	pthread_mutex_lock(&f->mu);
	*st = f->st;
	pthread_mutex_unlock(&f->mu);
}

static void set_err(fwd *f, const char *msg)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->st.last_err, sizeof(f->st.last_err), "%.250s", msg);
	pthread_mutex_unlock(&f->mu);
}

/* Pack passings [seq, seq + n) into a batch message. */
static void build(fwd *f, sl_buf *buf, uint64_t id, uint64_t seq, size_t n)
{
	slp_read *reads = sl_calloc(n, sizeof(*reads));
	pthread_mutex_lock(&f->mu);
	/* the array may move under fwd_push: copy the chips' records */
	jrn_rec *copy = sl_malloc(n * sizeof(*copy));
	memcpy(copy, &f->pass[seq - 1], n * sizeof(*copy));
	pthread_mutex_unlock(&f->mu);
	for (size_t i = 0; i < n; i++) {
		reads[i].chip = copy[i].chip;
		reads[i].chip_len = strlen(copy[i].chip);
		reads[i].pt = f->cfg.pt;
		reads[i].pt_len = strlen(f->cfg.pt);
		reads[i].t = copy[i].t;
		reads[i].kind = SLP_KIND_RFID;
		reads[i].hits = copy[i].hits;
		reads[i].rssi = copy[i].rssi;
	}
	msgpack_packer pk;
	sl_buf_reset(buf);
	slp_packer_init(&pk, buf);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "t", "passings");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "dev", f->cfg.device);
	slp_pack_kv_int(&pk, "seq", (int64_t)seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, reads, n);
	free(reads);
	free(copy);
}

static void persist(fwd *f, uint64_t *stored, int64_t *at, bool force)
{
	int64_t now = wsc_mono_ms();
	pthread_mutex_lock(&f->mu);
	uint64_t a = f->st.acked;
	pthread_mutex_unlock(&f->mu);
	if (a == *stored || (!force && now - *at < PERSIST_MS))
		return;
	if (jrn_ack_store(f->cfg.ack_path, a) == 0)
		*stored = a;
	else
		sl_warn("cannot write '%s'", f->cfg.ack_path);
	*at = now;
}

static void set_connected(fwd *f, bool c)
{
	pthread_mutex_lock(&f->mu);
	f->st.connected = c;
	if (c)
		f->st.reconnects++;
	pthread_mutex_unlock(&f->mu);
}

static bool stop_asked(fwd *f)
{
	pthread_mutex_lock(&f->mu);
	bool stop = f->stop;
	pthread_mutex_unlock(&f->mu);
	return stop;
}

/* Set acked (shared) from the window's. */
static void publish_acked(fwd_run *fr)
{
	pthread_mutex_lock(&fr->f->mu);
	fr->f->st.acked = fr->ob.acked;
	pthread_mutex_unlock(&fr->f->mu);
}

/* Connect and say hello; false after a failed try (and its backoff). */
static bool connect_step(fwd_run *fr)
{
	fwd *f = fr->f;
	slp_msg hello;
	char err[512];
	int rc = slc_open(&f->cfg.conn, &fr->c, &hello, SLC_CONNECT_MS, err, sizeof(err));
	if (rc) {
		int64_t wait = outbox_backoff_next(&fr->bo);
		set_err(f, err);
		sl_warn("%s (retrying in %lld ms)", err, (long long)wait);
		fr->c = NULL;
		for (int64_t w = 0; w < wait; w += 50) {
			usleep(50000);
			if (stop_asked(f))
				break;
		}
		return false;
	}
	slp_msg_release(&hello);
	fr->probing = true;
	outbox_backoff_reset(&fr->bo);
	outbox_drop(&fr->ob);
	fr->next = fr->ob.acked + 1;
	set_connected(f, true);
	sl_info("connected to %s; sending from seq %llu", f->cfg.conn.server,
		(unsigned long long)fr->next);
	return true;
}

/* Send batches while the window has room; false when a send failed. */
static bool fill(fwd_run *fr, uint64_t total)
{
	fwd *f = fr->f;
	size_t per = fr->probing ? 1 : f->cfg.batch;
	fr->ob.window = fr->probing ? 1 : f->cfg.window;
	while (outbox_room(&fr->ob) && fr->next <= total) {
		uint64_t n = total - fr->next + 1;
		if (n > per)
			n = per;
		uint64_t id = wsc_next_id(fr->c);
		build(f, &fr->out, id, fr->next, (size_t)n);
		if (wsc_send(fr->c, fr->out.data, fr->out.len, true, SLC_CONNECT_MS)) {
			snprintf(fr->why, sizeof(fr->why), "%s", wsc_errmsg(fr->c));
			return false;
		}
		outbox_sent(&fr->ob, fr->next, n, id, 0, wsc_mono_ms());
		fr->next += n;
		pthread_mutex_lock(&f->mu);
		f->st.sends++;
		pthread_mutex_unlock(&f->mu);
	}
	return true;
}

/* Nothing in flight: wait up to 100 ms for passings, keep the connection
 * serviced (pings); false when it is lost. */
static bool idle(fwd_run *fr, uint64_t total)
{
	fwd *f = fr->f;
	pthread_mutex_lock(&f->mu);
	if (f->npass == total && !f->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&f->cv, &f->mu, &ts);
	}
	pthread_mutex_unlock(&f->mu);
	bool bin;
	if (wsc_recv(fr->c, &fr->in, &bin, 0) == SL_EIO) {
		snprintf(fr->why, sizeof(fr->why), "%s", wsc_errmsg(fr->c));
		return false;
	}
	return true;
}

static void on_ack(fwd_run *fr, const outbox_reply *rp)
{
	fwd *f = fr->f;
	const outbox_flight *fl = outbox_find(&fr->ob, rp->id);
	outbox_flight done;
	int64_t last = rp->has_last ? rp->last : (int64_t)(fl->seq + fl->n - 1);
	pthread_mutex_lock(&f->mu);
	bool valid = last > 0 && (uint64_t)last <= f->npass;
	pthread_mutex_unlock(&f->mu);
	outbox_ack(&fr->ob, rp->id, valid ? (uint64_t)last : 0, &done);
	pthread_mutex_lock(&f->mu);
	if (fr->ob.acked > f->st.acked)
		f->st.acked = fr->ob.acked;
	if (rp->dup)
		f->st.dup_batches++;
	else
		fr->probing = false;
	pthread_mutex_unlock(&f->mu);
}

/* An err reply to a batch: always drops the connection. */
static void on_err(fwd_run *fr, const outbox_reply *rp)
{
	fwd *f = fr->f;
	const outbox_flight *fl = outbox_find(&fr->ob, rp->id);
	char line[400];
	snprintf(line, sizeof(line), "batch seq %llu: %.*s: %.*s", (unsigned long long)fl->seq,
		 (int)rp->code_len, rp->code, (int)rp->msg_len, rp->msg);
	set_err(f, line);
	if (rp->err == SL_EGAP && rp->has_expected && rp->expected >= 1) {
		sl_warn("%s: resending from seq %lld", line, (long long)rp->expected);
		pthread_mutex_lock(&f->mu);
		bool ok = (uint64_t)rp->expected - 1 <= f->npass;
		pthread_mutex_unlock(&f->mu);
		if (ok)
			outbox_gap(&fr->ob, (uint64_t)rp->expected);
		publish_acked(fr);
		/* the rest in flight will fail the same way: reconnect */
		snprintf(fr->why, sizeof(fr->why), "gap");
		return;
	}
	sl_warn("%s", line);
	snprintf(fr->why, sizeof(fr->why), "%s", line);
	if (rp->retry != SL_RETRY_AGAIN)
		fr->bo.cur_ms = fr->bo.max_ms; /* never skipped: retried slowly */
}

/* Read replies while batches are in flight; false when the connection is
 * to be dropped (why set). */
static bool replies(fwd_run *fr)
{
	while (fr->ob.inflight > 0) {
		bool bin;
		int w = wsc_recv(fr->c, &fr->in, &bin, 50);
		if (w == SL_ETIMEOUT) {
			int64_t oldest = outbox_oldest(&fr->ob);
			if (oldest >= 0 && wsc_mono_ms() - oldest > ACK_TIMEOUT_MS) {
				snprintf(fr->why, sizeof(fr->why), "no ack for 30 s");
				return false;
			}
			return true;
		}
		if (w) {
			snprintf(fr->why, sizeof(fr->why), "%s", wsc_errmsg(fr->c));
			return false;
		}
		slp_msg m;
		memset(&m, 0, sizeof(m));
		if (slp_decode(&m, fr->in.data, fr->in.len, bin ? SLP_MSGPACK : SLP_JSON) != 0) {
			slp_msg_release(&m);
			continue;
		}
		outbox_reply rp;
		outbox_reply_read(&m, &rp);
		bool ours = rp.has_id && outbox_find(&fr->ob, rp.id);
		if (ours && rp.kind == OUTBOX_ACK)
			on_ack(fr, &rp);
		else if (ours && rp.kind == OUTBOX_ERR)
			on_err(fr, &rp);
		slp_msg_release(&m);
		if (fr->why[0])
			return false;
	}
	return true;
}

static void drop(fwd_run *fr)
{
	sl_warn("server connection lost: %s; resending unacknowledged batches", fr->why);
	bool gap = strcmp(fr->why, "gap") == 0;
	wsc_free(fr->c);
	fr->c = NULL;
	outbox_drop(&fr->ob);
	set_connected(fr->f, false);
	int64_t wait = outbox_backoff_next(&fr->bo);
	if (!gap)
		usleep((useconds_t)wait * 1000);
	fr->why[0] = '\0';
}

static void *run(void *arg)
{
	fwd_run fr = {.f = arg, .out = SL_BUF_INIT, .in = SL_BUF_INIT};
	fwd *f = fr.f;
	outbox_init(&fr.ob, f->cfg.window, f->st.acked);
	outbox_backoff_reconnect(&fr.bo);
	fr.stored = f->st.acked;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		bool stop = f->stop;
		uint64_t total = f->npass;
		pthread_mutex_unlock(&f->mu);
		persist(f, &fr.stored, &fr.persisted_at, false);
		if (stop)
			break;
		if (!fr.c && !connect_step(&fr))
			continue;
		if (fr.next <= fr.ob.acked)
			fr.next = fr.ob.acked + 1;
		bool ok = fill(&fr, total);
		if (ok && fr.ob.inflight == 0)
			ok = idle(&fr, total);
		if (ok)
			ok = replies(&fr);
		if (!ok)
			drop(&fr);
	}
	persist(f, &fr.stored, &fr.persisted_at, true);
	wsc_free(fr.c);
	set_connected(f, false);
	outbox_release(&fr.ob);
	sl_buf_release(&fr.out);
	sl_buf_release(&fr.in);
	return NULL;
}

int fwd_start(fwd *f)
{
	if (pthread_create(&f->th, NULL, run, f) != 0)
		return SL_EIO;
	f->started = true;
	return 0;
}

void fwd_stop(fwd *f, int drain_ms)
{
	if (!f->started)
		return;
	int64_t until = wsc_mono_ms() + drain_ms;
	for (;;) {
		fwd_stats st;
		fwd_get_stats(f, &st);
		if (st.acked >= st.total || wsc_mono_ms() >= until)
			break;
		usleep(20000);
	}
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	f->started = false;
}

void fwd_release(fwd *f)
{
	free(f->pass);
	f->pass = NULL;
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
}

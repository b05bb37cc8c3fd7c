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

#define CONNECT_MS 5000
#define ACK_TIMEOUT_MS 30000
#define PERSIST_MS 200

typedef struct flight {
	uint64_t seq, n, id;
	int64_t sent_at;
} flight;

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

static void *run(void *arg)
{
	fwd *f = arg;
	wsc *c = NULL;
	int64_t backoff = 100, persisted_at = 0;
	uint64_t stored = f->st.acked;
	flight *fl = sl_calloc(f->cfg.window, sizeof(*fl));
	size_t nfl = 0;
	bool probing = false; /* see the top of this file */
	uint64_t next = 0; /* next seq to send */
	sl_buf out = SL_BUF_INIT, in = SL_BUF_INIT;
	char err[512];
	for (;;) {
		pthread_mutex_lock(&f->mu);
		bool stop = f->stop;
		uint64_t total = f->npass, acked = f->st.acked;
		pthread_mutex_unlock(&f->mu);
		persist(f, &stored, &persisted_at, false);
		if (stop)
			break;
		if (!c) {
			slp_msg hello;
			int rc = slc_open(&f->cfg.conn, &c, &hello, CONNECT_MS, err, sizeof(err));
			if (rc) {
				set_err(f, err);
				sl_warn("%s (retrying in %lld ms)", err, (long long)backoff);
				c = NULL;
				for (int64_t w = 0; w < backoff; w += 50) {
					usleep(50000);
					pthread_mutex_lock(&f->mu);
					stop = f->stop;
					pthread_mutex_unlock(&f->mu);
					if (stop)
						break;
				}
				backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
				continue;
			}
			slp_msg_release(&hello);
			probing = true;
			backoff = 100;
			nfl = 0;
			next = acked + 1;
			set_connected(f, true);
			sl_info("connected to %s; sending from seq %llu", f->cfg.conn.server,
				(unsigned long long)next);
		}
		if (next <= acked)
			next = acked + 1;
		/* fill the window */
		int rc = 0;
		while (nfl < (probing ? 1 : f->cfg.window) && next <= total) {
			uint64_t n = total - next + 1;
			if (n > (probing ? 1 : f->cfg.batch))
				n = probing ? 1 : f->cfg.batch;
			uint64_t id = wsc_next_id(c);
			build(f, &out, id, next, (size_t)n);
			rc = wsc_send(c, out.data, out.len, true, CONNECT_MS);
			if (rc)
				break;
			fl[nfl++] = (flight){next, n, id, wsc_mono_ms()};
			next += n;
			pthread_mutex_lock(&f->mu);
			f->st.sends++;
			pthread_mutex_unlock(&f->mu);
		}
		bool drop = rc != 0;
		const char *why = rc ? wsc_errmsg(c) : "";
		char why_buf[400]; /* outlives the err branch's line */
		if (!drop && nfl == 0) {
			/* idle: wait for passings */
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
			/* keep the connection serviced (pings) */
			bool bin;
			int w = wsc_recv(c, &in, &bin, 0);
			if (w == SL_EIO) {
				drop = true;
				why = wsc_errmsg(c);
			}
		}
		while (!drop && nfl > 0) {
			bool bin;
			int w = wsc_recv(c, &in, &bin, 50);
			if (w == SL_ETIMEOUT) {
				if (wsc_mono_ms() - fl[0].sent_at > ACK_TIMEOUT_MS) {
					drop = true;
					why = "no ack for 30 s";
				}
				break;
			}
			if (w) {
				drop = true;
				why = wsc_errmsg(c);
				break;
			}
			slp_msg m;
			memset(&m, 0, sizeof(m));
			if (slp_decode(&m, in.data, in.len, bin ? SLP_MSGPACK : SLP_JSON) != 0) {
				slp_msg_release(&m);
				continue;
			}
			size_t tn;
			const char *t = slp_type(&m, &tn);
			int64_t id;
			size_t k = nfl;
			if (t && slp_get_int(&m.root, "id", &id) == 0)
				for (k = 0; k < nfl && fl[k].id != (uint64_t)id; k++)
					;
			if (k == nfl) {
				slp_msg_release(&m);
				continue;
			}
			if (tn == 3 && !memcmp(t, "ack", 3)) {
				int64_t last = (int64_t)(fl[k].seq + fl[k].n - 1);
				slp_get_int(&m.root, "last", &last);
				bool dup = false;
				slp_get_bool(&m.root, "dup", &dup);
				pthread_mutex_lock(&f->mu);
				if ((uint64_t)last > f->st.acked && (uint64_t)last <= f->npass)
					f->st.acked = (uint64_t)last;
				if (dup)
					f->st.dup_batches++;
				else
					probing = false;
				acked = f->st.acked;
				pthread_mutex_unlock(&f->mu);
				memmove(&fl[k], &fl[k + 1], (nfl - k - 1) * sizeof(*fl));
				nfl--;
				/* drop flights wholly acked */
				size_t j = 0;
				for (size_t i = 0; i < nfl; i++)
					if (fl[i].seq + fl[i].n - 1 > acked)
						fl[j++] = fl[i];
				nfl = j;
			} else if (tn == 3 && !memcmp(t, "err", 3)) {
				const char *code = "", *msg = "";
				size_t cn = 0, mn = 0;
				slp_get_str(&m.root, "code", &code, &cn);
				slp_get_str(&m.root, "msg", &msg, &mn);
				int64_t expected = 0;
				char line[400];
				snprintf(line, sizeof(line), "batch seq %llu: %.*s: %.*s",
					 (unsigned long long)fl[k].seq, (int)cn, code, (int)mn, msg);
				set_err(f, line);
				if (cn == 3 && !memcmp(code, "gap", 3) &&
				    slp_get_int(&m.root, "expected", &expected) == 0 && expected >= 1) {
					sl_warn("%s: resending from seq %lld", line, (long long)expected);
					pthread_mutex_lock(&f->mu);
					if ((uint64_t)expected - 1 <= f->npass)
						f->st.acked = (uint64_t)expected - 1;
					acked = f->st.acked;
					pthread_mutex_unlock(&f->mu);
					/* the rest in flight will fail the same way: reconnect */
					drop = true;
					why = "gap";
				} else {
					int e = wsc_err_from_code(code, cn);
					sl_warn("%s", line);
					drop = true;
					snprintf(why_buf, sizeof(why_buf), "%s", line);
					why = why_buf;
					if (e != SL_EUNAVAIL && e != SL_ETIMEOUT && e != SL_EFULL)
						backoff = 5000;
				}
			}
			slp_msg_release(&m);
		}
		if (drop) {
			sl_warn("server connection lost: %s; resending unacknowledged batches", why);
			/* why may point into c: decide before freeing it */
			bool gap = strcmp(why, "gap") == 0;
			wsc_free(c);
			c = NULL;
			nfl = 0;
			set_connected(f, false);
			if (!gap)
				usleep((useconds_t)backoff * 1000);
			backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
		}
	}
	persist(f, &stored, &persisted_at, true);
	wsc_free(c);
	set_connected(f, false);
	free(fl);
	sl_buf_release(&out);
	sl_buf_release(&in);
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

/*
 * sync.c: splitline-scan and the server: connect (and check the token
 * fits the mode), send the first unacked scans as one batch, read the
 * answers pushed on scans/<device>.  One request at a time, on the
 * blocking wsc client; the batch in flight, the acked watermark, the
 * retried codes and the backoff are clients/common/outbox.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

static const char *prog = "splitline-scan";

static struct scan *by_seq(uint64_t seq)
{
	size_t lo = 0, hi = S.n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (S.s[m].seq < seq)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < S.n && S.s[lo].seq == seq ? &S.s[lo] : NULL;
}

static void str_of(const msgpack_object *o, const char *k, char *out, size_t n)
{
	const char *s;
	size_t sn;
	if (slp_get_str(o, k, &s, &sn) != 0) {
		snprintf(out, n, "-");
		return;
	}
	snprintf(out, n, "%.*s", (int)sn, s);
}

/* A snapshot or delta of scans/<dev>: print each new answer. */
static void on_answers(const msgpack_object *root)
{
	const msgpack_object_array *rows;
	if (slp_get_arr(root, "rows", &rows) != 0)
		return;
	for (uint32_t i = 0; i < rows->size; i++) {
		const msgpack_object *r = &rows->ptr[i];
		int64_t seq;
		bool ok = false;
		if (slp_get_int(r, "seq", &seq) != 0)
			continue;
		struct scan *sc = by_seq((uint64_t)seq);
		if (!sc || sc->answered)
			continue;
		sc->answered = true;
		S.answers++;
		slp_get_bool(r, "ok", &ok);
		char bib[80], name[200], race[80], wave[80], w[64], msg[300];
		str_of(r, "bib", bib, sizeof(bib));
		str_of(r, "name", name, sizeof(name));
		str_of(r, "race", race, sizeof(race));
		str_of(r, "wave", wave, sizeof(wave));
		str_of(r, "warning", w, sizeof(w));
		str_of(r, "msg", msg, sizeof(msg));
		if (ok && S.mode == M_PICKUP) {
			/* the bib to hand over first, and big: its own word */
			printf("answer %lld ok BIB %s NAME %s race %s wave %s: %s\n", (long long)seq,
			       bib, name, race, wave, msg);
		} else if (ok) {
			printf("answer %lld ok %s %s race %s wave %s\n", (long long)seq, bib, name,
			       race, wave);
		} else {
			S.warnings++;
			printf("answer %lld warning %s: %s (bib %s %s)\a\n", (long long)seq, w, msg,
			       bib, name);
		}
	}
	fflush(stdout);
}

static void drop(const char *why)
{
	if (S.c) {
		fprintf(stderr, "%s: offline: %s\n", prog, why);
		wsc_free(S.c);
		S.c = NULL;
	}
	S.next_try = wsc_mono_ms() + outbox_backoff_next(&S.bo);
}

/* Handle one message; returns 1 when it is the reply to id (in *m). */
static int dispatch(slp_msg *m, uint64_t id)
{
	size_t tn;
	const char *t = slp_type(m, &tn);
	int64_t rid;
	if (!t)
		return 0;
	if ((tn == 8 && !memcmp(t, "snapshot", 8)) || (tn == 5 && !memcmp(t, "delta", 5))) {
		on_answers(&m->root);
		return 0;
	}
	if (slp_get_int(&m->root, "id", &rid) == 0 && (uint64_t)rid == id)
		return 1;
	return 0;
}

/* Send req and wait for its reply, handling pushes meanwhile. */
static int request(const sl_buf *req, uint64_t id, slp_msg *reply, char *err, size_t errlen)
{
	int rc = wsc_send(S.c, req->data, req->len, true, REPLY_MS);
	sl_buf in = SL_BUF_INIT;
	int64_t until = wsc_mono_ms() + REPLY_MS;
	if (rc < 0) {
		snprintf(err, errlen, "%s", wsc_errmsg(S.c));
		return rc;
	}
	while (wsc_mono_ms() < until) {
		bool bin;
		rc = wsc_recv(S.c, &in, &bin, (int)(until - wsc_mono_ms()));
		if (rc < 0)
			break;
		if (slp_decode(reply, in.data, in.len, bin ? SLP_MSGPACK : SLP_JSON) < 0)
			continue;
		if (dispatch(reply, id)) {
			size_t tn;
			const char *t = slp_type(reply, &tn);
			sl_buf_release(&in);
			if (tn == 3 && !memcmp(t, "err", 3)) {
				outbox_reply rp;
				outbox_reply_read(reply, &rp);
				snprintf(err, errlen, "%.*s", (int)rp.msg_len, rp.msg);
				return rp.err;
			}
			return 0;
		}
		slp_msg_release(reply);
	}
	sl_buf_release(&in);
	snprintf(err, errlen, "%s", rc < 0 ? wsc_errmsg(S.c) : "no reply");
	return rc < 0 ? rc : SL_ETIMEOUT;
}

static void subscribe(void)
{
	uint64_t first = 0;
	for (size_t i = 0; i < S.n && !first; i++)
		if (!S.s[i].answered)
			first = S.s[i].seq;
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	char topic[96], err[300];
	slp_msg reply;
	uint64_t id = wsc_next_id(S.c);
	snprintf(topic, sizeof(topic), "scans/%s", S.dev);
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 4);
	slp_pack_kv_str(&pk, "t", "subscribe");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "topic", topic);
	slp_pack_kv_int(&pk, "offset", (int64_t)(first ? first : S.ob.acked + 1));
	if (request(&b, id, &reply, err, sizeof(err)) == 0)
		slp_msg_release(&reply);
	else
		fprintf(stderr, "%s: subscribe %s: %s\n", prog, topic, err);
	sl_buf_release(&b);
}

/* Whether the token of the hello reply can do what this mode sends. */
static bool role_fits(const slp_msg *hello)
{
	char role[32], point[80];
	str_of(&hello->root, "role", role, sizeof(role));
	str_of(&hello->root, "point", point, sizeof(point));
	if (S.mode == M_PICKUP && strcmp(role, "-") && strcmp(role, "desk") &&
	    strcmp(role, "official") && strcmp(role, "admin")) {
		fprintf(stderr, "%s: pickup needs a desk, official or admin token (this one is "
				"'%s')\n", prog, role);
		return false;
	}
	char device[80], seqs[16];
	str_of(&hello->root, "device", device, sizeof(device));
	str_of(&hello->root, "seqs", seqs, sizeof(seqs));
	if (!strcmp(seqs, "server")) {
		fprintf(stderr, "%s: this %s token has no device of its own to number: issue one "
				"with --device %s\n", prog, role, S.dev);
		return false;
	}
	if (strcmp(device, "-") && strcmp(device, S.dev)) {
		fprintf(stderr, "%s: this token writes as device '%s', not '%s': give --device %s\n",
			prog, device, S.dev, device);
		return false;
	}
	if (S.passings && !strcmp(role, "scanner") && strcmp(point, S.point)) {
		fprintf(stderr, "%s: a scanner token sends passings only at its point: this one "
				"is for '%s', not '%s'\n", prog, point, S.point);
		return false;
	}
	return true;
}

void scan__connect(void)
{
	char err[300];
	slp_msg hello;
	if (S.c || wsc_mono_ms() < S.next_try)
		return;
	int rc = slc_open(&S.conn, &S.c, &hello, CONNECT_MS, err, sizeof(err));
	if (sl_err_retry(rc) == SL_RETRY_REFUSED) {
		fprintf(stderr, "%s: %s\n", prog, err);
		S.fatal = true;
		return;
	}
	if (rc < 0) {
		S.c = NULL;
		S.next_try = wsc_mono_ms() + outbox_backoff_next(&S.bo);
		return;
	}
	outbox_backoff_reset(&S.bo);
	if (!role_fits(&hello)) {
		slp_msg_release(&hello);
		wsc_free(S.c);
		S.c = NULL;
		S.fatal = true;
		return;
	}
	slp_msg_release(&hello);
	fprintf(stderr, "%s: online\n", prog);
	if (!S.passings)
		subscribe();
}

/* Send the first unacked scans as one batch; 0 when acked. */
int scan__sync(void)
{
	size_t from = 0;
	while (from < S.n && S.s[from].seq <= S.ob.acked)
		from++;
	if (from == S.n || !S.c)
		return 0;
	size_t cnt = 0;
	while (from + cnt < S.n && cnt < MAX_BATCH &&
	       S.s[from + cnt].seq == S.s[from].seq + cnt)
		cnt++;
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t id = wsc_next_id(S.c);
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "t", S.passings ? "passings" : "checkins");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "dev", S.dev);
	slp_pack_kv_int(&pk, "seq", (int64_t)S.s[from].seq);
	slp_pack_key(&pk, S.passings ? "reads" : "scans");
	msgpack_pack_array(&pk, cnt);
	for (size_t i = 0; i < cnt; i++) {
		const struct scan *sc = &S.s[from + i];
		if (S.passings) {
			msgpack_pack_map(&pk, 4);
			slp_pack_kv_str(&pk, "bib", sc->code);
			slp_pack_kv_str(&pk, "pt", S.point);
			slp_pack_kv_int(&pk, "t", sc->t);
			slp_pack_kv_str(&pk, "kind", "handheld");
		} else {
			msgpack_pack_map(&pk, 2 + !!S.vol + !!S.race + sc->assign + !!sc->chip +
						      !!sc->bib);
			slp_pack_kv_str(&pk, "code", sc->code);
			slp_pack_kv_int(&pk, "t", sc->t);
			if (S.vol)
				slp_pack_kv_str(&pk, "volunteer", S.vol);
			if (S.race)
				slp_pack_kv_str(&pk, "race", S.race);
			if (sc->assign)
				slp_pack_kv_str(&pk, "op", "assign");
			if (sc->chip)
				slp_pack_kv_str(&pk, "chip", sc->chip);
			if (sc->bib)
				slp_pack_kv_str(&pk, "bib", sc->bib);
		}
	}
	slp_msg reply;
	char err[400];
	outbox_sent(&S.ob, S.s[from].seq, cnt, id, from, wsc_mono_ms());
	int rc = request(&b, id, &reply, err, sizeof(err));
	sl_buf_release(&b);
	if (rc == 0) {
		outbox_reply rp;
		outbox_flight f;
		outbox_reply_read(&reply, &rp);
		if (rp.has_last && (uint64_t)rp.last > S.ob.acked) {
			uint64_t first = S.ob.acked + 1, last = (uint64_t)rp.last;
			outbox_ack(&S.ob, id, last, &f);
			if (scan__save_acked() < 0)
				S.fatal = true;
			printf("saved %llu..%llu (pending %zu)\n", (unsigned long long)first,
			       (unsigned long long)last, scan__pending());
			fflush(stdout);
		}
		outbox_drop(&S.ob); /* one batch at a time: the window is done */
		slp_msg_release(&reply);
		return 0;
	}
	outbox_drop(&S.ob);
	if (rc == SL_EGAP) {
		int64_t exp;
		if (slp_get_int(&reply.root, "expected", &exp) == 0 && exp >= 1 &&
		    (uint64_t)exp <= S.ob.acked + 1)
			outbox_gap(&S.ob, (uint64_t)exp); /* resend from there */
		else
			fprintf(stderr, "%s: %s\n", prog, err);
		slp_msg_release(&reply);
		return rc;
	}
	if (sl_err_retry(rc) == SL_RETRY_REFUSED) {
		/* a refused batch: the token is revoked, or out of its scope */
		fprintf(stderr, "%s: error: %s (%s)\a\n", prog, err, sl_errcode(rc));
		S.fatal = true;
		if (rc != SL_EIO && rc != SL_ETIMEOUT)
			slp_msg_release(&reply);
		return rc;
	}
	if (rc != SL_EIO && rc != SL_ETIMEOUT)
		slp_msg_release(&reply);
	drop(err);
	return rc;
}

/* Read pushes (answers) for up to ms. */
void scan__pump(int ms)
{
	sl_buf in = SL_BUF_INIT;
	bool bin;
	if (!S.c)
		return;
	int rc = wsc_recv(S.c, &in, &bin, ms);
	if (rc == 0) {
		slp_msg m;
		if (slp_decode(&m, in.data, in.len, bin ? SLP_MSGPACK : SLP_JSON) == 0) {
			dispatch(&m, 0);
			slp_msg_release(&m);
		}
	} else if (rc != SL_ETIMEOUT) {
		drop(wsc_errmsg(S.c));
	}
	sl_buf_release(&in);
}


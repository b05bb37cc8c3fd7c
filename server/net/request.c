/*
 * request.c: requests waiting for Redis and the writes through the event
 * log, shared by the handlers (request.h).
 *
 * Requests that write go through the event log (store/log.h) and are
 * answered only when Redis answered: records reach the core from the tail,
 * never from here, so every node folds the same log.  Every write carries
 * the session's token hash; the append script checks it in the same step,
 * so a token revoked on any node writes nothing from that moment, and its
 * session becomes a spectator (sess_forget).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "net/request.h"

void req_reply_begin(msgpack_packer *pk, sl_buf *b, uint32_t n, const char *t, uint64_t id)
{
	slp_packer_init(pk, b);
	msgpack_pack_map(pk, n);
	slp_pack_kv_str(pk, "t", t);
	slp_pack_key(pk, "id");
	msgpack_pack_uint64(pk, id);
}

struct req *req_new(sess *s, uint64_t id, int kind)
{
	struct req *r = sl_calloc(1, sizeof(*r));

	r->s = s;
	s->refs++;
	r->id = id;
	r->kind = kind;
	return r;
}

void req_free(struct req *r)
{
	sess_unref(r->s);
	free(r->dev);
	core_nocat_release(&r->nocat);
	free(r);
}

const char *req_store_msg(int err)
{
	switch (err) {
	case SL_EUNAVAIL: return "store unavailable: nothing was written, send again later";
	case SL_ETIMEOUT: return "store timed out: send again (resends are idempotent)";
	case SL_EFULL: return "too many requests in flight: send again later";
	case SL_EUNSAFE:
		return "written, but not yet confirmed by a replica (--redis-wait): send again "
		       "(resends are idempotent)";
	case SL_EIO: return "store error: send again later (resends are idempotent)";
	default: return sl_strerror(err);
	}
}

/* Back to a spectator: no token, no device, no topic a spectator may not follow. */
void sess_forget(sess *s)
{
	s->role = ROLE_SPECTATOR;
	free(s->device);
	s->device = NULL;
	s->srv_seq = false;
	free(s->point);
	s->point = NULL;
	s->tokhash[0] = '\0';
	fanout_drop_denied(s);
}

void req_send_store_err(sess *s, uint64_t id, int err)
{
	if (err == SL_EAUTH) {
		/* revoked, here or on another node: a spectator from now on */
		sess_forget(s);
		sess_send_err(s, id, err, "token revoked: nothing was written");
	} else {
		sess_send_err(s, id, err == SL_EIO || err == SL_EUNSAFE ? SL_EUNAVAIL : err,
			      req_store_msg(err));
	}
}

/* The err of a write that failed (err != 0) to r's session. */
static void reply_failed(struct req *r, int err, const struct evlog_ack *ack)
{
	sess *s = r->s;

	if (err == SL_EGAP) {
		/* The device must resend from the first seq the log lacks. */
		sl_buf b = SL_BUF_INIT;
		msgpack_packer pk;
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "seq %" PRIu64 " leaves a gap: device '%s' has %" PRIu64
			 " appended; resend from %" PRIu64,
			 r->seq, r->dev, ack->watermark, ack->watermark + 1);
		req_reply_begin(&pk, &b, 5, "err", r->id);
		slp_pack_kv_str(&pk, "code", sl_errcode(err));
		slp_pack_kv_str(&pk, "msg", msg);
		slp_pack_key(&pk, "expected");
		msgpack_pack_uint64(&pk, ack->watermark + 1);
		sess_send_mp(s, b.data, b.len);
		sl_buf_release(&b);
	} else if (err == SL_ERANGE) {
		sess_send_errf(s, r->id, err,
			       "device '%s' has used every seq up to %" PRIu64
			       ": nothing was written",
			       r->dev, ack->watermark);
	} else {
		req_send_store_err(s, r->id, err);
	}
}

void req_on_appended(void *ctx, const struct evlog_ack *ack)
{
	struct req *r = ctx;
	sess *s = r->s;
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;

	if (!s->wsi)
		goto out;
	if (ack->err) {
		reply_failed(r, ack->err, ack);
		goto out;
	}
	switch (r->kind) {
	case RQ_PASSINGS:
	case RQ_CHECKINS:
		if (r->srv_seq && !ack->dup) {
			r->last = ack->first + (r->last - r->seq);
			r->seq = ack->first;
		}
		req_reply_begin(&pk, &b, 6, "ack", r->id);
		slp_pack_kv_str(&pk, "dev", r->dev);
		slp_pack_key(&pk, "seq");
		msgpack_pack_uint64(&pk, r->seq);
		slp_pack_key(&pk, "last");
		msgpack_pack_uint64(&pk, r->last);
		slp_pack_kv_bool(&pk, "dup", ack->dup);
		break;
	case RQ_PARTICIPANTS:
		req_reply_begin(&pk, &b, 5, "ok", r->id);
		slp_pack_key(&pk, "count");
		msgpack_pack_uint64(&pk, r->count);
		slp_pack_key(&pk, "no_category");
		msgpack_pack_uint64(&pk, r->nocat.n);
		slp_pack_key(&pk, "no_category_bibs");
		msgpack_pack_array(&pk, r->nocat.nbibs);
		for (size_t i = 0; i < r->nocat.nbibs; i++)
			slp_pack_str(&pk, r->nocat.bibs[i]);
		break;
	default:
		if (!r->at) {
			slp_build_ok(&b, r->id);
			break;
		}
		req_reply_begin(&pk, &b, 3, "ok", r->id);
		slp_pack_kv_int(&pk, "at", r->at); /* find its audit row by this */
		break;
	}
	sess_send_mp(s, b.data, b.len);
out:
	sl_buf_release(&b);
	req_free(r);
}

void req_append(sess *s, struct req *r, const sl_buf *rec, enum evlog_space space, size_t seq_off)
{
	struct evlog_write w = {
		.tokhash = s->tokhash[0] ? s->tokhash : NULL,
		.dev = r->dev,
		.dev_len = r->dev ? strlen(r->dev) : 0,
		.space = space,
		.first = r->seq,
		.last = r->last,
		.seq_off = seq_off,
	};
	int rc = evlog_append(s->ev->log, &w, rec->data, rec->len, req_on_appended, r);

	if (rc < 0) {
		sess_send_err(s, r->id, rc, req_store_msg(rc));
		req_free(r);
	}
}

bool req_denied(sess *s, uint64_t id, int rc, sl_buf *why)
{
	if (rc < 0)
		sess_send_err(s, id, rc, why->data);
	sl_buf_release(why);
	return rc < 0;
}

const char *req_writer_device(sess *s, uint64_t id, const char *dev, size_t devlen)
{
	sl_buf why = SL_BUF_INIT;

	if (req_denied(s, id, net_writer_allowed(s->role, s->device, dev, devlen, &why), &why))
		return NULL;
	return s->device;
}

/* Where the seq goes: a server-numbered batch gets an 8-byte slot (0xcf
 * and seq 1 until the append script fills it in); the offset of the slot. */
size_t req_pack_seq(msgpack_packer *pk, sl_buf *rec, bool srv_seq, uint64_t seq)
{
	slp_pack_key(pk, "seq");
	if (!srv_seq) {
		msgpack_pack_uint64(pk, seq);
		return 0;
	}
	sl_buf_add(rec, "\xcf\0\0\0\0\0\0\0\x01", 9);
	return rec->len - 8;
}

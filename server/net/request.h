/*
 * request.h: what the message handlers (h_*.c) share: a request waiting
 * for Redis, the write of a record through the event log and its reply,
 * the device a session writes as, and the way back to a spectator.
 *
 * Ownership: a struct req holds a reference to its session while Redis
 * works; the reply is dropped when the session closed meanwhile
 * (s->wsi NULL).  req_append takes ownership of r: it is freed after its
 * reply, or at once when the write could not be sent (the err sent).
 */
#ifndef SL_NET_REQUEST_H
#define SL_NET_REQUEST_H

#include "net/net_int.h"

enum req_kind {
	RQ_HELLO,
	RQ_PASSINGS,
	RQ_APPEND,
	RQ_PARTICIPANTS,
	RQ_TOKEN_ISSUE,
	RQ_TOKEN_REVOKE,
	RQ_CHECKINS
};

struct req {
	sess *s;
	uint64_t id;
	int kind;
	char *dev;
	uint64_t seq, last;
	bool srv_seq; /* seqs from the server: seq 1..n until the ack */
	size_t count;
	int64_t at;              /* an official's record: its rx (the t of its audit row), or 0 */
	struct core_nocat nocat; /* participants: rows that fit no category */
	char token[33];
	char hash[65]; /* hello, revoke: the token's hash */
	/* hello: the event named, whether a token came, parked on the event */
	char event[65];
	bool has_tok, admin; /* admin: the deployment's admin token */
	struct ev_wait ew;
};

/* Start a reply of n keys into b (empty): the map's header, t and id. */
void req_reply_begin(msgpack_packer *pk, sl_buf *b, uint32_t n, const char *t, uint64_t id);
/* Returns owned; holds a reference to s. */
struct req *req_new(sess *s, uint64_t id, int kind);
void req_free(struct req *r);
/* The err sentence of a store error (unavailable, timeout, busy...). */
const char *req_store_msg(int err);
/* The err of a write Redis refused or could not take: a revoked token
 * (and s is a spectator from now on), or the store's err (req_store_msg). */
void req_send_store_err(sess *s, uint64_t id, int err);
/*
 * Append rec for s (its token goes along, checked by the script) and
 * answer r when Redis did: ack (device input), ok, or err.  seq_off: the
 * offset of a server-numbered seq slot in rec, else 0.
 */
void req_append(sess *s, struct req *r, const sl_buf *rec, enum evlog_space space, size_t seq_off);
/* The ack, ok or err of an append (dry runs call it with a zero ack). */
void req_on_appended(void *ctx, const struct evlog_ack *ack);
/* A rule of roles.h said rc: when it is an error, send it as the reply to
 * id; true then.  Releases why either way. */
bool req_denied(sess *s, uint64_t id, int rc, sl_buf *why);
/*
 * The device s writes device input as, or an err sent (and NULL returned):
 * dev (from the message, may be NULL) must be absent or that device.
 */
const char *req_writer_device(sess *s, uint64_t id, const char *dev, size_t devlen);
/* Pack "seq": seq, or for a server-numbered batch an 8-byte slot; returns
 * the slot's offset in rec, or 0. */
size_t req_pack_seq(msgpack_packer *pk, sl_buf *rec, bool srv_seq, uint64_t seq);
/* Back to a spectator: no token, no device, no topic a spectator may not follow. */
void sess_forget(sess *s);

#endif

/*
 * ws.c: WebSocket sessions on /ws: gather a message, decode it with the
 * session's subprotocol, dispatch on "t", reply.
 *
 * Every request gets exactly one reply (ok, ack or err) carrying its id,
 * except subscribe, whose ok is followed by the topic's snapshot.  Requests
 * that write go through the event log (store/log.h) and are answered only
 * when Redis answered: records reach the core from the tail, never from
 * here, so every node folds the same log.  An err leaves the connection
 * open; only a message over SLP_MAX_FRAME closes it (1009), since the rest
 * of that message cannot be read.
 *
 * Ownership: see net_int.h.  A `struct req` holds a session reference while
 * Redis works; the reply is dropped when the session closed meanwhile.
 * While a hello waits for its token lookup the session stops reading
 * (lws_rx_flow_control), so later messages are judged with the right role.
 *
 * Tokens: a hello that does not succeed leaves a spectator, whatever the
 * session was before.  A session that said hello with a token from Redis
 * keeps its hash, and every write carries it to Redis, where the append
 * script checks it in the same step as the write: a token revoked on any
 * node writes nothing from that moment.  A token revoked on this node also
 * closes its sessions here (4001).  Roles desk and scanner (check-in) sit
 * beside the others: each message type lists the roles it allows.  A
 * scanner token may carry a timing point: it then sends handheld passings
 * at that point only, and no check-ins.
 *
 * Devices: a token of a device role (reader, scanner, desk) writes device
 * input as its own device only, with its own seqs (one space for passings,
 * one for check-ins); no token can write as another device.  An official or
 * admin token issued with a device is such a device too; one without writes
 * its passings and check-ins as its own device, "official-" or "admin-" and
 * the first 12 hex digits of its hash ("admin" for the deployment's admin
 * token), numbered by the server: it sends no seq.
 */
#include <ctype.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "net/door.h"
#include "net/net_int.h"

static const char *const role_names[] = {"spectator", "reader", "official",
					 "admin",     "desk",   "scanner"};

const char *net_role_name(int role)
{
	return role >= 0 && role <= ROLE_LAST ? role_names[role] : "none";
}

int net_role_parse(const char *s, size_t n)
{
	for (int i = 0; i <= ROLE_LAST; i++)
		if (strlen(role_names[i]) == n && memcmp(role_names[i], s, n) == 0)
			return i;
	return ROLE_NONE;
}

/* ---- sessions ------------------------------------------------------------ */

static sess *sess_new(net *n, struct lws *wsi, enum slp_format fmt)
{
	sess *s = sl_calloc(1, sizeof(*s));
	char ip[48] = "";

	s->refs = 1;
	s->n = n;
	s->wsi = wsi;
	s->fmt = fmt;
	s->role = ROLE_NONE;
	lws_get_peer_simple(wsi, ip, sizeof(ip));
	snprintf(s->peer, sizeof(s->peer), "ws client %s", ip[0] ? ip : "?");
	s->next = &n->sessions;
	s->prev = n->sessions.prev;
	s->prev->next = s;
	n->sessions.prev = s;
	n->nsessions++;
	return s;
}

void sess_unref(sess *s)
{
	if (!s || --s->refs > 0)
		return;
	sess_queue_clear(s);
	free(s->q);
	sl_buf_release(&s->rx);
	free(s->device);
	free(s->point);
	free(s);
}

/* LWS_CALLBACK_CLOSED: lws is done with wsi. */
static void sess_closed(sess *s)
{
	net *n = s->n;

	fanout_drop_sess(n, s);
	sess_queue_clear(s);
	s->wsi = NULL;
	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->prev = s->next = NULL;
	n->nsessions--;
	sess_unref(s);
}

void sess_close(sess *s, int code, const char *reason, bool flush)
{
	if (!s->wsi || s->close_code)
		return;
	s->close_code = code;
	s->close_flush = flush;
	snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
	if (!flush)
		sess_queue_clear(s);
	lws_callback_on_writable(s->wsi);
}

void sess_send_mp(sess *s, const char *mp, size_t len)
{
	sess_send_mp_bulk(s, mp, len, false);
}

void sess_send_mp_bulk(sess *s, const char *mp, size_t len, bool bulk)
{
	struct frame *f;

	if (!s->wsi || s->close_code)
		return;
	if (s->fmt == SLP_JSON) {
		sl_buf js = SL_BUF_INIT;
		if (slp_msgpack_to_json(mp, len, &js) < 0) {
			sl_warn("cannot transcode a reply to JSON for %s", s->peer);
			sl_buf_release(&js);
			return;
		}
		f = frame_new(js.data, js.len, true);
		sl_buf_release(&js);
	} else {
		f = frame_new(mp, len, false);
	}
	f->bulk = bulk;
	sess_queue(s, f);
	frame_unref(f);
}

void sess_send_err(sess *s, uint64_t id, int err, const char *msg)
{
	sl_buf b = SL_BUF_INIT;

	slp_build_err(&b, id, err, msg);
	sess_send_mp(s, b.data, b.len);
	sl_buf_release(&b);
}

static void send_errf(sess *s, uint64_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void send_errf(sess *s, uint64_t id, int err, const char *fmt, ...)
{
	sl_buf msg = SL_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sl_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sess_send_err(s, id, err, msg.data);
	sl_buf_release(&msg);
}

static void send_ok(sess *s, uint64_t id)
{
	sl_buf b = SL_BUF_INIT;

	slp_build_ok(&b, id);
	sess_send_mp(s, b.data, b.len);
	sl_buf_release(&b);
}

/* ---- requests waiting for Redis ------------------------------------------ */

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
	struct core_nocat nocat; /* participants: rows that fit no category */
	char token[33];
	char hash[65]; /* hello, revoke: the token's hash */
};

static struct req *req_new(sess *s, uint64_t id, int kind)
{
	struct req *r = sl_calloc(1, sizeof(*r));

	r->s = s;
	s->refs++;
	r->id = id;
	r->kind = kind;
	return r;
}

static void req_free(struct req *r)
{
	sess_unref(r->s);
	free(r->dev);
	core_nocat_release(&r->nocat);
	free(r);
}

static const char *store_msg(int err)
{
	switch (err) {
	case SL_EUNAVAIL:
		return "store unavailable: nothing was written, send again later";
	case SL_ETIMEOUT:
		return "store timed out: send again (resends are idempotent)";
	case SL_EFULL:
		return "too many requests in flight: send again later";
	default:
		return sl_strerror(err);
	}
}

/* ---- hello --------------------------------------------------------------- */

static void reply_hello(sess *s, uint64_t id)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;

	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 4 + 2 * !!s->device + !!s->point);
	slp_pack_kv_str(&pk, "t", "ok");
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	slp_pack_kv_str(&pk, "role", net_role_name(s->role));
	slp_pack_kv_str(&pk, "event", evlog_event(s->n->log));
	if (s->device) {
		slp_pack_kv_str(&pk, "device", s->device);
		/* "device": the device numbers its input; "server": send no seq */
		slp_pack_kv_str(&pk, "seqs", s->srv_seq ? "server" : "device");
	}
	if (s->point)
		slp_pack_kv_str(&pk, "point", s->point);
	sess_send_mp(s, b.data, b.len);
	sl_buf_release(&b);
}

/* An official's or admin's own device: "official-" or "admin-" and the
 * first 12 hex digits of the token's hash, or "admin" for the deployment's
 * admin token.  Its seqs come from the server. */
static void own_device(sess *s)
{
	char d[32];

	if (s->tokhash[0])
		snprintf(d, sizeof(d), "%s-%.12s", net_role_name(s->role), s->tokhash);
	else
		snprintf(d, sizeof(d), "admin");
	free(s->device);
	s->device = sl_strdup(d);
	s->srv_seq = true;
}

/*
 * Who may follow a topic (NULL: allowed; else why not).  Who checked in,
 * where and when, and the audit trail (names, ages, transfers) are for
 * desks and officials; a device follows the answers to its own scans.
 */
const char *net_topic_denied(int role, const char *device, const char *topic, size_t tn)
{
	bool staff = role == ROLE_DESK || role == ROLE_OFFICIAL || role == ROLE_ADMIN;

	if (tn == 5 && !memcmp(topic, "audit", 5))
		return staff ? NULL : "the audit trail is for desks and officials";
	if (tn > 6 && !memcmp(topic, "scans/", 6)) {
		if (staff || (device && (role == ROLE_SCANNER || role == ROLE_READER) &&
			      strlen(device) == tn - 6 && !memcmp(device, topic + 6, tn - 6)))
			return NULL;
		return "a device's scans are for that device, desks and officials";
	}
	if (tn > 8 && !memcmp(topic, "checkin/", 8))
		return staff || role == ROLE_SCANNER ? NULL
						     : "check-in lists are for desks, scanners and officials";
	return NULL;
}

/* Back to a spectator: no token, no device, no topic a spectator may not follow. */
static void sess_forget(sess *s)
{
	s->role = ROLE_SPECTATOR;
	free(s->device);
	s->device = NULL;
	s->srv_seq = false;
	free(s->point);
	s->point = NULL;
	s->tokhash[0] = '\0';
	fanout_drop_denied(s->n, s);
}

static void on_token(void *ctx, int err, const char *val, size_t len)
{
	struct req *r = ctx;
	sess *s = r->s;
	msgpack_unpacked u;
	const char *role, *dev;
	size_t rn, dn;
	int rc;

	if (!s->wsi)
		goto out;
	lws_rx_flow_control(s->wsi, 1);
	if (err == SL_ENOENT) {
		sess_send_err(s, r->id, SL_EAUTH, "unknown or revoked token");
		goto out;
	}
	if (err) {
		sess_send_err(s, r->id, err == SL_EIO ? SL_EUNAVAIL : err, NULL);
		goto out;
	}
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, val, len, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    u.data.type != MSGPACK_OBJECT_MAP || slp_get_str(&u.data, "role", &role, &rn) != 0 ||
	    net_role_parse(role, rn) == ROLE_NONE) {
		sl_warn("token record in Redis is malformed");
		sess_send_err(s, r->id, SL_EAUTH, "unknown or revoked token");
		msgpack_unpacked_destroy(&u);
		goto out;
	}
	s->role = net_role_parse(role, rn);
	rc = slp_get_str(&u.data, "device", &dev, &dn);
	if (rc == 0 && dn > 0)
		s->device = sl_strndup(dev, dn);
	rc = slp_get_str(&u.data, "point", &dev, &dn);
	if (rc == 0 && dn > 0)
		s->point = sl_strndup(dev, dn);
	memcpy(s->tokhash, r->hash, sizeof(s->tokhash));
	if (!s->device && (s->role == ROLE_OFFICIAL || s->role == ROLE_ADMIN))
		own_device(s);
	msgpack_unpacked_destroy(&u);
	sl_debug("%s: hello as %s%s%s", s->peer, net_role_name(s->role),
		 s->device ? " device " : "", s->device ? s->device : "");
	reply_hello(s, r->id);
out:
	req_free(r);
}

void net_sha256_hex(const char *s, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(s, n, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static bool hash_eq(const char *a, const char *b)
{
	unsigned char d = 0;

	for (int i = 0; i < 64; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void h_hello(sess *s, uint64_t id, const msgpack_object *root)
{
	net *n = s->n;
	const char *ev, *tok;
	size_t evn, tokn;
	char hash[65];
	struct req *r;
	int rc;

	/*
	 * Whatever this session was, it is a spectator until this hello
	 * succeeds: a hello that fails (a revoked token, a typo, another
	 * event) can never leave an earlier role, device or token in place.
	 */
	sess_forget(s);
	rc = slp_get_str(root, "event", &ev, &evn);
	if (rc == SL_EINVAL)
		return sess_send_err(s, id, SL_EINVAL, "event: expected string");
	if (rc == 0 && (evn != strlen(evlog_event(n->log)) ||
			memcmp(ev, evlog_event(n->log), evn) != 0))
		return send_errf(s, id, SL_ENOENT, "no event '%.*s' on this server", (int)evn, ev);
	rc = slp_get_str(root, "token", &tok, &tokn);
	if (rc == SL_EINVAL)
		return sess_send_err(s, id, SL_EINVAL, "token: expected string");
	if (rc == SL_ENOENT || tokn == 0)
		return reply_hello(s, id);
	net_sha256_hex(tok, tokn, hash);
	if (n->admin_hash && hash_eq(hash, n->admin_hash)) {
		s->role = ROLE_ADMIN;
		own_device(s);
		return reply_hello(s, id);
	}
	r = req_new(s, id, RQ_HELLO);
	memcpy(r->hash, hash, sizeof(r->hash));
	rc = evlog_token_get(n->log, hash, on_token, r);
	if (rc < 0) {
		req_free(r);
		return sess_send_err(s, id, rc, NULL);
	}
	lws_rx_flow_control(s->wsi, 0);
}

/* ---- subscriptions ------------------------------------------------------- */

static int get_size(const msgpack_object *root, const char *key, size_t *v, sess *s, uint64_t id)
{
	int64_t x;
	int rc = slp_get_int(root, key, &x);

	if (rc == SL_ENOENT)
		return 0;
	if (rc < 0 || x < 0 || x > 100000000) {
		send_errf(s, id, SL_EINVAL, "%s: expected a non-negative integer", key);
		return SL_EINVAL;
	}
	*v = (size_t)x;
	return 0;
}

static void h_subscribe(sess *s, uint64_t id, const msgpack_object *root)
{
	const char *topic;
	size_t tn, offset = 0, limit = 0;
	int rc;

	if (slp_get_str(root, "topic", &topic, &tn) != 0 || tn == 0)
		return sess_send_err(s, id, SL_EINVAL, "topic: expected string");
	if (get_size(root, "offset", &offset, s, id) < 0 || get_size(root, "limit", &limit, s, id) < 0)
		return;
	const char *why = net_topic_denied(s->role, s->device, topic, tn);
	if (why)
		return send_errf(s, id, SL_EPERM, "topic '%.*s': %s", (int)tn, topic, why);
	rc = fanout_subscribe(s->n, s, id, topic, tn, offset, limit);
	if (rc == SL_EINVAL)
		send_errf(s, id, rc, "topic '%.*s' is malformed", (int)tn, topic);
	else if (rc == SL_ENOENT)
		send_errf(s, id, rc, "no topic '%.*s'", (int)tn, topic);
	else if (rc == SL_ERANGE)
		send_errf(s, id, rc, "too many subscriptions (at most %d)", NET_MAX_SUBS);
	else if (rc < 0)
		sess_send_err(s, id, rc, NULL);
}

static void h_unsubscribe(sess *s, uint64_t id, const msgpack_object *root)
{
	const char *topic;
	size_t tn;

	if (slp_get_str(root, "topic", &topic, &tn) != 0)
		return sess_send_err(s, id, SL_EINVAL, "topic: expected string");
	fanout_unsubscribe(s->n, s, topic, tn);
	send_ok(s, id);
}

/* ---- writes through the log ---------------------------------------------- */

static void on_appended(void *ctx, const struct evlog_ack *ack)
{
	struct req *r = ctx;
	sess *s = r->s;
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	int err = ack->err;

	if (!s->wsi)
		goto out;
	if (err == SL_EGAP) {
		/* The device must resend from the first seq the log lacks. */
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "seq %" PRIu64 " leaves a gap: device '%s' has %" PRIu64
			 " appended; resend from %" PRIu64,
			 r->seq, r->dev, ack->watermark, ack->watermark + 1);
		slp_packer_init(&pk, &b);
		msgpack_pack_map(&pk, 5);
		slp_pack_kv_str(&pk, "t", "err");
		slp_pack_key(&pk, "id");
		msgpack_pack_uint64(&pk, r->id);
		slp_pack_kv_str(&pk, "code", sl_errcode(err));
		slp_pack_kv_str(&pk, "msg", msg);
		slp_pack_key(&pk, "expected");
		msgpack_pack_uint64(&pk, ack->watermark + 1);
		sess_send_mp(s, b.data, b.len);
		goto out;
	}
	if (err == SL_EAUTH) {
		/* revoked, here or on another node: a spectator from now on */
		sess_forget(s);
		sess_send_err(s, r->id, err, "token revoked: nothing was written");
		goto out;
	}
	if (err == SL_ERANGE) {
		send_errf(s, r->id, err, "device '%s' has used every seq up to %" PRIu64
			  ": nothing was written", r->dev, ack->watermark);
		goto out;
	}
	if (err) {
		sess_send_err(s, r->id, err == SL_EIO ? SL_EUNAVAIL : err, store_msg(err));
		goto out;
	}
	slp_packer_init(&pk, &b);
	switch (r->kind) {
	case RQ_PASSINGS:
	case RQ_CHECKINS:
		if (r->srv_seq && !ack->dup) {
			r->last = ack->first + (r->last - r->seq);
			r->seq = ack->first;
		}
		msgpack_pack_map(&pk, 6);
		slp_pack_kv_str(&pk, "t", "ack");
		slp_pack_key(&pk, "id");
		msgpack_pack_uint64(&pk, r->id);
		slp_pack_kv_str(&pk, "dev", r->dev);
		slp_pack_key(&pk, "seq");
		msgpack_pack_uint64(&pk, r->seq);
		slp_pack_key(&pk, "last");
		msgpack_pack_uint64(&pk, r->last);
		slp_pack_kv_bool(&pk, "dup", ack->dup);
		break;
	case RQ_PARTICIPANTS:
		msgpack_pack_map(&pk, 5);
		slp_pack_kv_str(&pk, "t", "ok");
		slp_pack_key(&pk, "id");
		msgpack_pack_uint64(&pk, r->id);
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
		slp_build_ok(&b, r->id);
		break;
	}
	sess_send_mp(s, b.data, b.len);
out:
	sl_buf_release(&b);
	req_free(r);
}

/* Append rec for s (its token goes along, checked by the script). */
static void append(sess *s, struct req *r, const sl_buf *rec, enum evlog_space space,
		   size_t seq_off)
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
	int rc = evlog_append(s->n->log, &w, rec->data, rec->len, on_appended, r);

	if (rc < 0) {
		sess_send_err(s, r->id, rc, store_msg(rc));
		req_free(r);
	}
}

/*
 * The device s writes device input as, or an err sent (and NULL returned):
 * a device role's own, an official's own; dev (from the message, may be
 * NULL) must be absent or that device.  *srv_seq: the server numbers it.
 */
static const char *writer_device(sess *s, uint64_t id, const char *dev, size_t devlen)
{
	if (!s->device) {
		send_errf(s, id, SL_EPERM,
			  "this %s token has no device: issue one with --device to send device "
			  "input", net_role_name(s->role));
		return NULL;
	}
	if (dev && (devlen != strlen(s->device) || memcmp(dev, s->device, devlen) != 0)) {
		send_errf(s, id, SL_EPERM, "dev '%.*s' is not this token's device '%s'",
			  (int)(devlen > 64 ? 64 : devlen), dev, s->device);
		return NULL;
	}
	return s->device;
}

/* Where the seq goes: a server-numbered batch gets an 8-byte slot (0xcf
 * and seq 1 until the append script fills it in); the offset of the slot. */
static size_t pack_seq(msgpack_packer *pk, sl_buf *rec, bool srv_seq, uint64_t seq)
{
	slp_pack_key(pk, "seq");
	if (!srv_seq) {
		msgpack_pack_uint64(pk, seq);
		return 0;
	}
	sl_buf_add(rec, "\xcf\0\0\0\0\0\0\0\x01", 9);
	return rec->len - 8;
}

/*
 * "check": true: nothing is written; the reply says, per read, why it would
 * not count as whoever types it by hand expects (core_read_warnings).
 */
static void reply_read_warnings(sess *s, uint64_t id, const slp_batch *b)
{
	sl_buf out = SL_BUF_INIT, w = SL_BUF_INIT;
	msgpack_packer pk;
	size_t n = 0;

	for (size_t i = 0; i < b->nreads; i++) {
		sl_buf_reset(&w);
		core_read_warnings(s->n->core, &b->reads[i], &w);
		for (const char *p = w.data; p && *p;) {
			const char *nl = strchr(p, '\n');
			n++;
			p = nl ? nl + 1 : p + strlen(p);
		}
	}
	slp_packer_init(&pk, &out);
	msgpack_pack_map(&pk, 3);
	slp_pack_kv_str(&pk, "t", "ok");
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	slp_pack_key(&pk, "warnings");
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < b->nreads; i++) {
		sl_buf_reset(&w);
		core_read_warnings(s->n->core, &b->reads[i], &w);
		for (const char *p = w.data; p && *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			msgpack_pack_map(&pk, 2);
			slp_pack_kv_int(&pk, "i", (int64_t)i);
			slp_pack_kv_strn(&pk, "msg", p, len);
			p += len + (nl != NULL);
		}
	}
	sess_send_mp(s, out.data, out.len);
	sl_buf_release(&w);
	sl_buf_release(&out);
}

static void h_passings(sess *s, uint64_t id, const msgpack_object *root, msgpack_zone *zone)
{
	slp_batch b;
	char err[200] = "";
	const char *dev;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	struct req *r;
	size_t seq_off;
	int rc;

	bool check = false;
	if (slp_get_bool(root, "check", &check) == SL_EINVAL)
		return sess_send_err(s, id, SL_EINVAL, "check: expected true or false");
	rc = slp_batch_parse_flags(root, zone, s->srv_seq ? SLP_SEQ_NONE : 0, &b, err,
				   sizeof(err));
	if (rc < 0)
		return sess_send_err(s, id, rc, err[0] ? err : NULL);
	if (!(dev = writer_device(s, id, b.dev, b.dev_len)))
		return;
	if (check)
		return reply_read_warnings(s, id, &b);
	if (s->role == ROLE_SCANNER) {
		/* a checkpoint scanner: handheld reads at its own point only */
		if (!s->point)
			return sess_send_err(s, id, SL_EPERM,
					     "this scanner token has no timing point: it sends "
					     "checkins only");
		for (size_t i = 0; i < b.nreads; i++) {
			if (b.reads[i].kind != SLP_KIND_HANDHELD)
				return send_errf(s, id, SL_EPERM,
						 "reads[%zu].kind: a scanner sends handheld reads "
						 "only",
						 i);
			if (b.reads[i].pt_len != strlen(s->point) ||
			    memcmp(b.reads[i].pt, s->point, b.reads[i].pt_len) != 0)
				return send_errf(s, id, SL_EPERM,
						 "reads[%zu].pt '%.*s' is outside this token's "
						 "scope: point '%s'",
						 i, (int)b.reads[i].pt_len, b.reads[i].pt, s->point);
		}
	}

	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "k", "passings");
	slp_pack_kv_str(&pk, "dev", dev);
	seq_off = pack_seq(&pk, &rec, s->srv_seq, b.seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, b.reads, b.nreads);
	slp_pack_kv_int(&pk, "rx", sl_now_ms());

	r = req_new(s, id, RQ_PASSINGS);
	r->dev = sl_strdup(dev);
	r->srv_seq = s->srv_seq;
	r->seq = s->srv_seq ? 1 : b.seq;
	r->last = r->seq + b.nreads - 1;
	append(s, r, &rec, EVLOG_PASSINGS, seq_off);
	sl_buf_release(&rec);
}

/*
 * checkins: a device's batch of check-in scans, {dev, seq, scans}; the same
 * device/seq rules as passings (ack, dup, gap); the core checks the scans.
 * The answers come from the core after the fold, on topic scans/<dev>.
 */
static void h_checkins(sess *s, uint64_t id, const msgpack_object *root)
{
	const char *dev;
	size_t devlen;
	int64_t seq = 0;
	const msgpack_object_array *scans;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	char err[256] = "";
	struct req *r;
	size_t seq_off;
	int rc;

	if (s->role == ROLE_SCANNER && s->point)
		return send_errf(s, id, SL_EPERM,
				 "this scanner token is scoped to point '%s': it may not check "
				 "athletes in",
				 s->point);
	rc = slp_get_str(root, "dev", &dev, &devlen);
	if (rc == SL_EINVAL || (rc == 0 && (devlen == 0 || devlen > 64)))
		return sess_send_err(s, id, SL_EINVAL, "dev: expected a string of 1 to 64 bytes");
	if (!(dev = writer_device(s, id, rc == 0 ? dev : NULL, devlen)))
		return;
	rc = slp_get_int(root, "seq", &seq);
	if (s->srv_seq) {
		if (rc != SL_ENOENT)
			return send_errf(s, id, SL_EINVAL,
					 "seq: device '%s' is numbered by the server: leave seq out "
					 "(or issue the token with --device to number its own)",
					 s->device);
	} else if (rc < 0 || seq < 1 || (uint64_t)seq > SL_SEQ_MAX) {
		return send_errf(s, id, rc == SL_ENOENT || rc == SL_EINVAL ? SL_EINVAL : SL_ERANGE,
				 "seq: expected an integer in 1..%llu (2^53-1)",
				 (unsigned long long)SL_SEQ_MAX);
	}
	if (slp_get_arr(root, "scans", &scans) < 0 || scans->size == 0 || scans->size > 10000)
		return sess_send_err(s, id, SL_EINVAL, "scans: expected an array of 1 to 10000 maps");
	if (!s->srv_seq && (uint64_t)scans->size - 1 > SL_SEQ_MAX - (uint64_t)seq)
		return send_errf(s, id, SL_ERANGE,
				 "seq: %lld + %u scans goes past the largest seq %llu (2^53-1)",
				 (long long)seq, scans->size, (unsigned long long)SL_SEQ_MAX);

	slp_packer_init(&pk, &rec);
	/* a volunteer's scanner checks in; bibs and chips change at a desk */
	for (uint32_t i = 0; s->role == ROLE_SCANNER && i < scans->size; i++) {
		const char *op;
		size_t on;
		if (scans->ptr[i].type == MSGPACK_OBJECT_MAP &&
		    slp_get_str(&scans->ptr[i], "op", &op, &on) == 0 &&
		    !(on == 7 && !memcmp(op, "checkin", 7)))
			return send_errf(s, id, SL_EPERM,
					 "scans[%u].op: '%.*s' needs a desk or official token", i,
					 (int)(on > 32 ? 32 : on), op);
	}
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "k", "checkins");
	slp_pack_kv_str(&pk, "dev", dev);
	seq_off = pack_seq(&pk, &rec, s->srv_seq, (uint64_t)seq);
	slp_pack_key(&pk, "scans");
	msgpack_pack_object(&pk, *slp_get(root, "scans"));
	slp_pack_kv_int(&pk, "rx", sl_now_ms());
	rc = core_check(s->n->core, rec.data, rec.len, err, sizeof(err));
	if (rc < 0) {
		sl_buf_release(&rec);
		return sess_send_err(s, id, rc, err[0] ? err : NULL);
	}
	r = req_new(s, id, RQ_CHECKINS);
	r->dev = sl_strdup(dev);
	r->srv_seq = s->srv_seq;
	r->seq = s->srv_seq ? 1 : (uint64_t)seq;
	r->last = r->seq + scans->size - 1;
	append(s, r, &rec, EVLOG_CHECKINS, seq_off);
	sl_buf_release(&rec);
}

/* core_check, then append; err with "row" for participants, whose rows
 * (borrowed) are also looked at for athletes that fit no category. */
static void check_and_append(sess *s, uint64_t id, sl_buf *rec, int kind, size_t count,
			     bool dry_run, const msgpack_object *rows)
{
	char err[512] = "";
	int64_t row;
	int rc = core_check_row(s->n->core, rec->data, rec->len, err, sizeof(err), &row);
	struct req *r;

	if (rc < 0) {
		if (kind == RQ_PARTICIPANTS && row >= 0) {
			sl_buf b = SL_BUF_INIT;
			msgpack_packer pk;
			slp_packer_init(&pk, &b);
			msgpack_pack_map(&pk, 5);
			slp_pack_kv_str(&pk, "t", "err");
			slp_pack_key(&pk, "id");
			msgpack_pack_uint64(&pk, id);
			slp_pack_kv_str(&pk, "code", sl_errcode(rc));
			slp_pack_kv_str(&pk, "msg", err);
			slp_pack_key(&pk, "row");
			msgpack_pack_uint64(&pk, (uint64_t)row);
			sess_send_mp(s, b.data, b.len);
			sl_buf_release(&b);
			return;
		}
		return sess_send_err(s, id, rc, err[0] ? err : NULL);
	}
	r = req_new(s, id, kind);
	r->count = count;
	if (rows)
		core_nocat(s->n->core, rows, &r->nocat);
	if (dry_run) {
		struct evlog_ack ack = {0};
		on_appended(r, &ack);
		return;
	}
	append(s, r, rec, EVLOG_PASSINGS, 0);
}

static void h_event_create(sess *s, uint64_t id, const msgpack_object *root)
{
	const msgpack_object *cfg;
	const char *ev;
	size_t evn;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;

	if (slp_get_map(root, "config", &cfg) != 0)
		return sess_send_err(s, id, SL_EINVAL, "config: expected map");
	if (slp_get_str(cfg, "event", &ev, &evn) != 0)
		return sess_send_err(s, id, SL_EINVAL, "config.event: expected string");
	if (evn != strlen(evlog_event(s->n->log)) || memcmp(ev, evlog_event(s->n->log), evn) != 0)
		return send_errf(s, id, SL_EINVAL,
				 "config.event '%.*s' is not this server's event '%s'", (int)evn,
				 ev, evlog_event(s->n->log));
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "k", "config");
	slp_pack_key(&pk, "config");
	msgpack_pack_object(&pk, *cfg);
	check_and_append(s, id, &rec, RQ_APPEND, 0, false, NULL);
	sl_buf_release(&rec);
}

static void h_participants(sess *s, uint64_t id, const msgpack_object *root)
{
	const msgpack_object *rows = slp_get(root, "rows");
	bool dry_run = false;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;

	if (!rows || rows->type != MSGPACK_OBJECT_ARRAY)
		return sess_send_err(s, id, SL_EINVAL, "rows: expected array");
	if (slp_get_bool(root, "dry_run", &dry_run) == SL_EINVAL)
		return sess_send_err(s, id, SL_EINVAL, "dry_run: expected boolean");
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "k", "participants");
	slp_pack_key(&pk, "rows");
	msgpack_pack_object(&pk, *rows);
	check_and_append(s, id, &rec, RQ_PARTICIPANTS, rows->via.array.size, dry_run, rows);
	sl_buf_release(&rec);
}

static void h_wave_start(sess *s, uint64_t id, const msgpack_object *root)
{
	/* required, then optional (why and who: required by the core once official) */
	static const char *const keys[] = {"race", "wave", "t0", "reason", "official"};
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	uint32_t n = 2;

	for (int i = 0; i < 5; i++) {
		if (i < 3 && !slp_get(root, keys[i]))
			return send_errf(s, id, SL_EINVAL, "%s: required", keys[i]);
		n += slp_get(root, keys[i]) != NULL;
	}
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, n);
	slp_pack_kv_str(&pk, "k", "wave_start");
	slp_pack_kv_int(&pk, "rx", sl_now_ms()); /* server clock at receipt */
	for (int i = 0; i < 5; i++) {
		if (!slp_get(root, keys[i]))
			continue;
		slp_pack_key(&pk, keys[i]);
		msgpack_pack_object(&pk, *slp_get(root, keys[i]));
	}
	check_and_append(s, id, &rec, RQ_APPEND, 0, false, NULL);
	sl_buf_release(&rec);
}

/*
 * An official's record sent as a message of the same name (adjust,
 * race_official, lineup): the
 * message's fields but t and id, as record {"k":<type>,...}; the core checks
 * them.
 */
/* The message's own keys (t, id), a stray k and a client's rx are not copied to
 * the record. */
static bool envelope_key(const msgpack_object *key)
{
	return slp_str_eq(key, "t") || slp_str_eq(key, "id") || slp_str_eq(key, "k") ||
	       slp_str_eq(key, "rx");
}

static void h_official_rec(sess *s, uint64_t id, const msgpack_object *root, const char *k)
{
	const msgpack_object_map *m = &root->via.map;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	uint32_t n = 2;

	for (uint32_t i = 0; i < m->size; i++) {
		n += !envelope_key(&m->ptr[i].key);
	}
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, n);
	slp_pack_kv_str(&pk, "k", k);
	slp_pack_kv_int(&pk, "rx", sl_now_ms()); /* server clock at receipt */
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *key = &m->ptr[i].key;
		if (envelope_key(key))
			continue;
		msgpack_pack_object(&pk, *key);
		msgpack_pack_object(&pk, m->ptr[i].val);
	}
	check_and_append(s, id, &rec, RQ_APPEND, 0, false, NULL);
	sl_buf_release(&rec);
}

/* ---- tokens -------------------------------------------------------------- */

static void on_token_done(void *ctx, int err)
{
	struct req *r = ctx;
	sess *s = r->s;
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;

	if (!s->wsi)
		goto out;
	if (err == SL_ENOENT && r->kind == RQ_TOKEN_REVOKE) {
		sess_send_err(s, r->id, SL_ENOENT, "no such token");
	} else if (err == SL_EAUTH) {
		sess_forget(s);
		sess_send_err(s, r->id, err, "token revoked: nothing was written");
	} else if (err) {
		sess_send_err(s, r->id, err == SL_EIO ? SL_EUNAVAIL : err, store_msg(err));
	} else if (r->kind == RQ_TOKEN_ISSUE) {
		slp_packer_init(&pk, &b);
		msgpack_pack_map(&pk, 3);
		slp_pack_kv_str(&pk, "t", "ok");
		slp_pack_key(&pk, "id");
		msgpack_pack_uint64(&pk, r->id);
		slp_pack_kv_str(&pk, "token", r->token);
		sess_send_mp(s, b.data, b.len);
	} else {
		send_ok(s, r->id);
	}
out:
	if (!err && r->kind == RQ_TOKEN_REVOKE) {
		/* every session of this node holding the token ends at once; on
		 * other nodes its next write is refused by the append script */
		net *n = r->s->n;
		for (sess *x = n->sessions.next; x != &n->sessions; x = x->next)
			if (x->tokhash[0] && hash_eq(x->tokhash, r->hash)) {
				sess_forget(x);
				sess_close(x, NET_CLOSE_REVOKED, "token revoked", true);
			}
	}
	sl_buf_release(&b);
	req_free(r);
}

static bool device_ok(const char *d, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)d[i]) && !strchr("-_.:", d[i]))
			return false;
	return true;
}

static void h_token_issue(sess *s, uint64_t id, const msgpack_object *root)
{
	const char *role, *dev = NULL;
	size_t rn, dn = 0;
	unsigned char rnd[16];
	char hash[65];
	sl_buf val = SL_BUF_INIT;
	msgpack_packer pk;
	struct req *r;
	int rc;

	const char *pt = NULL;
	size_t pn = 0;
	if (slp_get_str(root, "role", &role, &rn) != 0 || net_role_parse(role, rn) == ROLE_NONE)
		return sess_send_err(s, id, SL_EINVAL,
				     "role: expected admin, official, reader, spectator, desk or "
				     "scanner");
	rc = slp_get_str(root, "device", &dev, &dn);
	if (rc == SL_EINVAL || (rc == 0 && dn > 0 && !device_ok(dev, dn)))
		return sess_send_err(s, id, SL_EINVAL,
				     "device: expected 1 to 64 letters, digits or -_.:");
	rc = slp_get_str(root, "point", &pt, &pn);
	if (rc == SL_EINVAL || (rc == 0 && pn > 0 && !device_ok(pt, pn)))
		return sess_send_err(s, id, SL_EINVAL,
				     "point: expected 1 to 64 letters, digits or -_.:");
	if (pn > 0 && net_role_parse(role, rn) != ROLE_SCANNER)
		return sess_send_err(s, id, SL_EINVAL, "point: only a scanner token has a point");
	int rl = net_role_parse(role, rn);
	if (dn == 0 && (rl == ROLE_READER || rl == ROLE_SCANNER || rl == ROLE_DESK))
		return send_errf(s, id, SL_EINVAL,
				 "device: required for a %s token (a token writes as one device)",
				 net_role_name(rl));
	if (dn > 0 && rl == ROLE_SPECTATOR)
		return sess_send_err(s, id, SL_EINVAL, "device: a spectator token writes nothing");
	/* the officials' own devices are named after their tokens (own_device) */
	if (dn > 0 && ((dn == 5 && !memcmp(dev, "admin", 5)) ||
		       (dn >= 6 && !memcmp(dev, "admin-", 6)) ||
		       (dn >= 9 && !memcmp(dev, "official-", 9))))
		return send_errf(s, id, SL_EINVAL,
				 "device: '%.*s' is reserved: 'admin' and names beginning with "
				 "'admin-' or 'official-' are the officials' own devices",
				 (int)dn, dev);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return sess_send_err(s, id, SL_EIO, "cannot draw random bytes");
	r = req_new(s, id, RQ_TOKEN_ISSUE);
	for (int i = 0; i < 16; i++)
		snprintf(r->token + 2 * i, 3, "%02x", rnd[i]);
	net_sha256_hex(r->token, 32, hash);
	slp_packer_init(&pk, &val);
	msgpack_pack_map(&pk, 1 + (dn > 0) + (pn > 0));
	slp_pack_kv_strn(&pk, "role", role, rn);
	if (dn > 0)
		slp_pack_kv_strn(&pk, "device", dev, dn);
	if (pn > 0)
		slp_pack_kv_strn(&pk, "point", pt, pn);
	rc = evlog_token_put(s->n->log, s->tokhash[0] ? s->tokhash : NULL, hash, val.data,
			     val.len, on_token_done, r);
	sl_buf_release(&val);
	if (rc < 0) {
		sess_send_err(s, id, rc, store_msg(rc));
		req_free(r);
	}
}

static void h_token_revoke(sess *s, uint64_t id, const msgpack_object *root)
{
	const char *tok;
	size_t tn;
	char hash[65];
	struct req *r;
	int rc;

	if (slp_get_str(root, "token", &tok, &tn) != 0 || tn == 0)
		return sess_send_err(s, id, SL_EINVAL, "token: expected string");
	net_sha256_hex(tok, tn, hash);
	r = req_new(s, id, RQ_TOKEN_REVOKE);
	memcpy(r->hash, hash, sizeof(r->hash));
	rc = evlog_token_del(s->n->log, s->tokhash[0] ? s->tokhash : NULL, hash, on_token_done,
			     r);
	if (rc < 0) {
		sess_send_err(s, id, rc, store_msg(rc));
		req_free(r);
	}
}

/* ---- dispatch ------------------------------------------------------------ */

#define R(x) (1u << (x))
#define R_ANY (R(ROLE_SPECTATOR) | R(ROLE_READER) | R(ROLE_OFFICIAL) | R(ROLE_ADMIN) | \
	       R(ROLE_DESK) | R(ROLE_SCANNER))
#define R_OFF (R(ROLE_OFFICIAL) | R(ROLE_ADMIN))

static const struct {
	const char *t;
	unsigned roles; /* the roles allowed; 0: anyone, even before hello */
} types[] = {
	{"hello", 0},
	{"subscribe", R_ANY},
	{"unsubscribe", R_ANY},
	{"passings", R(ROLE_READER) | R_OFF | R(ROLE_SCANNER)},
	{"participants", R_OFF},
	{"wave_start", R_OFF},
	{"event_create", R(ROLE_ADMIN)},
	{"token_issue", R(ROLE_ADMIN)},
	{"token_revoke", R(ROLE_ADMIN)},
	{"adjust", R_OFF},
	{"race_official", R_OFF},
	{"lineup", R_OFF},
	{"checkins", R_OFF | R(ROLE_DESK) | R(ROLE_SCANNER)},
	{"checkin_undo", R_OFF},
};

static void handle_msg(sess *s, const char *buf, size_t len)
{
	slp_msg m;
	const char *t;
	size_t tn;
	int64_t idv;
	uint64_t id = 0;
	int which = -1, rc;

	rc = slp_decode(&m, buf, len, s->fmt);
	if (rc < 0) {
		sess_send_err(s, 0, rc, m.err[0] ? m.err : NULL);
		goto out;
	}
	if (slp_get_int(&m.root, "id", &idv) == 0 && idv >= 0)
		id = (uint64_t)idv;
	t = slp_type(&m, &tn);
	for (size_t i = 0; t && i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].t) == tn && memcmp(types[i].t, t, tn) == 0)
			which = (int)i;
	if (which < 0) {
		send_errf(s, id, SL_ETYPE, "unknown message type '%.*s'", (int)(t ? tn : 0),
			  t ? t : "");
		goto out;
	}
	if (s->role == ROLE_NONE && which != 0) {
		sess_send_err(s, id, SL_EAUTH, "send hello first");
		goto out;
	}
	if (types[which].roles && !(types[which].roles & R(s->role))) {
		send_errf(s, id, SL_EPERM, "role '%s' may not send '%s'", net_role_name(s->role),
			  types[which].t);
		goto out;
	}
	switch (which) {
	case 0: h_hello(s, id, &m.root); break;
	case 1: h_subscribe(s, id, &m.root); break;
	case 2: h_unsubscribe(s, id, &m.root); break;
	case 3: h_passings(s, id, &m.root, m.zone); break;
	case 4: h_participants(s, id, &m.root); break;
	case 5: h_wave_start(s, id, &m.root); break;
	case 6: h_event_create(s, id, &m.root); break;
	case 7: h_token_issue(s, id, &m.root); break;
	case 8: h_token_revoke(s, id, &m.root); break;
	case 9: h_official_rec(s, id, &m.root, "adjust"); break;
	case 10: h_official_rec(s, id, &m.root, "race_official"); break;
	case 11: h_official_rec(s, id, &m.root, "lineup"); break;
	case 12: h_checkins(s, id, &m.root); break;
	case 13: h_official_rec(s, id, &m.root, "checkin_undo"); break;
	}
out:
	slp_msg_release(&m);
}

static void on_receive(sess *s, struct lws *wsi, const char *in, size_t len)
{
	bool final = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;

	if (s->close_code)
		return;
	if (s->rx_overflow) {
		/*
		 * Read the rest of the oversized message before closing: closing
		 * with unread data makes the kernel reset the connection, and
		 * the client would never see the err and the 1009.  A sender
		 * that never ends its message is cut off after a bound.
		 */
		s->rx_discarded += len;
		if (final || s->rx_discarded > 16 * (size_t)SLP_MAX_FRAME)
			sess_close(s, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large",
				   true);
		return;
	}
	if (s->rx.len + len > SLP_MAX_FRAME) {
		sl_info("%s: message over %u bytes, closing", s->peer, SLP_MAX_FRAME);
		send_errf(s, 0, SL_ETOOBIG, "message over %u bytes", SLP_MAX_FRAME);
		sl_buf_release(&s->rx);
		s->rx_overflow = true;
		s->rx_discarded = 0;
		if (final)
			sess_close(s, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large",
				   true);
		return;
	}
	sl_buf_add(&s->rx, in, len);
	if (!final)
		return;
	handle_msg(s, s->rx.data ? s->rx.data : "", s->rx.len);
	if (s->rx.cap > (64u << 10))
		sl_buf_release(&s->rx);
	else
		sl_buf_reset(&s->rx);
}

static int on_writeable(sess *s, struct lws *wsi)
{
	struct frame *f;

	for (int i = 0; i < 16 && (f = sess_pop(s)); i++) {
		int rc = lws_write(wsi, FRAME_DATA(f), f->len,
				   f->text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY);
		frame_unref(f);
		if (rc < 0)
			return -1;
		if (lws_send_pipe_choked(wsi))
			break;
	}
	if (s->close_code && (s->qhead == s->qtail || !s->close_flush)) {
		/*
		 * Write the close frame ourselves: lws 4.1 treats a -1 from
		 * this callback as a failed write and drops the socket without
		 * the close frame that lws_close_reason() prepared.  Opcode 4
		 * is lws's internal LWS_WRITE_CLOSE (lws-write.h reserves it).
		 */
		unsigned char cl[LWS_PRE + 125], *p = cl + LWS_PRE;
		size_t rl = strlen(s->close_reason);
		if (rl > 123)
			rl = 123;
		p[0] = (unsigned char)(s->close_code >> 8);
		p[1] = (unsigned char)(s->close_code & 0xff);
		memcpy(p + 2, s->close_reason, rl);
		lws_write(wsi, p, 2 + rl, (enum lws_write_protocol)4);
		return -1;
	}
	if (s->qhead != s->qtail)
		lws_callback_on_writable(wsi);
	return 0;
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	net *n = lws_context_user(lws_get_context(wsi));
	sess **ps = user;
	char uri[32];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* only /ws speaks WebSocket */
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
		    strcmp(uri, "/ws") != 0)
			return 1;
		return n->shutting_down ? 1 : 0;
	case LWS_CALLBACK_ESTABLISHED: {
		const struct lws_protocols *p = lws_get_protocol(wsi);
		enum slp_format fmt = strstr(p->name, "json") ? SLP_JSON : SLP_MSGPACK;
		*ps = sess_new(n, wsi, fmt);
		sl_debug("%s: connected (%s)", (*ps)->peer, p->name);
		door_bind(lws_get_socket_fd(wsi), *ps);
		return 0;
	}
	case LWS_CALLBACK_RECEIVE:
		if (*ps)
			on_receive(*ps, wsi, in, len);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return *ps ? on_writeable(*ps, wsi) : 0;
	case LWS_CALLBACK_CLOSED:
		if (*ps) {
			sl_debug("%s: closed", (*ps)->peer);
			door_unbind(lws_get_socket_fd(wsi));
			sess_closed(*ps);
			*ps = NULL;
		}
		if (n->shutting_down)
			net__maybe_drained(n);
		return 0;
	default:
		return 0;
	}
}

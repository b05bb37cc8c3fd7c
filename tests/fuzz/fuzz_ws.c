/*
 * fuzz_ws.c: libFuzzer driver for the WebSocket message handlers
 * (server/net/ws.c, its handlers h_*.c, request.c, session.c, roles.c and
 * the fan-out it subscribes to, server/net/fanout.c):
 * decoded frames into the session dispatcher, with a fake store.
 *
 * The real server/net sources run on a real core (server/core) that holds a
 * small event; libwebsockets is replaced by stubs (a session's frames are
 * what the lws_write stub was given, whole messages kept in order, then
 * what is left in its queue) and the store by the fake below, which does
 * what the append script in Redis does: it checks the writer's token, the
 * device's watermark (one per kind of input) and numbers a server-numbered
 * batch in its seq slot.  Its answers come later, as Redis's do: after each
 * message every answer waiting is delivered.
 *
 * An input: the first byte picks the subprotocol (bit 0: msgpack), how the
 * store fails (bits 1-3: every Nth write answers "unavailable", 0 never) and
 * whether the session is closed with writes still in the store (bit 4);
 * then messages, one JSON text per line (in msgpack sessions transcoded,
 * or the raw line when it is not JSON).  The tokens of the fake store are
 * in tokens[] below (the seeds use them).
 *
 * Besides memory errors, leaks and undefined behaviour it traps when a
 * promise of the handlers is broken:
 *   - every request with a positive integer id is answered exactly once
 *     (ok, ack or err, carrying the id), unless the session was closed;
 *   - a write reaches the store only from a session whose last hello
 *     succeeded, with that hello's token;
 *   - device input (passings, checkins) is written only as the writer's
 *     own device: the token's device, or an official's own device
 *     (official-<12 hex of its hash>, "admin" for the deployment's admin);
 *     a token of a device role without a device writes none;
 *   - seqs are within 1..SL_SEQ_MAX; a server-numbered batch has its slot
 *     (0xcf and 8 bytes) where the write says.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "net/door.h"
#include "net/net_int.h"
#include "sl.h"
#include "slp.h"
#include "store/log.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

/* ---- the fake store -------------------------------------------------------- */

static const struct {
	const char *token, *role, *device, *point;
} tokens[] = {
	{"reader-token-1", "reader", "d1", NULL},
	{"reader-nodev-1", "reader", NULL, NULL},
	{"official-token-1", "official", NULL, NULL},
	{"official-token-2", "official", "mix-1", NULL},
	{"scanner-token-1", "scanner", "s1", NULL},
	{"scanner-point-1", "scanner", "s2", "finish"},
	{"desk-token-1", "desk", "desk-1", NULL},
	{"admin-redis-token", "admin", NULL, NULL},
};
#define NTOK (sizeof(tokens) / sizeof(tokens[0]))
#define ADMIN_FILE_TOKEN "deployment-admin-token-0001"

struct tok {
	char hash[65];
	sl_buf rec; /* msgpack {role, device, point}; empty: revoked */
	bool live;
};
static struct tok toks[64];
static size_t ntoks;

struct wm {
	char dev[80];
	int space;
	uint64_t seq;
};
static struct wm wms[256];
static size_t nwms;

enum { OP_APPEND, OP_GET, OP_DONE };
struct op {
	int kind;
	evlog_append_fn acb;
	evlog_get_fn gcb;
	evlog_done_fn dcb;
	void *ctx;
	struct evlog_ack ack;
	int err;
	sl_buf val;
};
static struct op ops[4096];
static size_t nops;

static unsigned fail_every, nwrites;

/* What the dispatcher may write as, after the last hello (the test's view). */
static struct {
	bool ok;         /* the last hello succeeded */
	char hash[65];   /* its token's hash, "" for the deployment admin */
	char device[80]; /* the device it writes as, "" for none */
} who;

static void hash_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned mdl = 0;
	EVP_Digest(s, strlen(s), md, &mdl, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static struct tok *tok_find(const char *hash)
{
	for (size_t i = 0; i < ntoks; i++)
		if (!strcmp(toks[i].hash, hash))
			return &toks[i];
	return NULL;
}

static void store_reset(void)
{
	for (size_t i = 0; i < ntoks; i++)
		sl_buf_release(&toks[i].rec);
	ntoks = 0;
	for (size_t i = 0; i < NTOK; i++) {
		struct tok *t = &toks[ntoks++];
		msgpack_packer pk;
		hash_hex(tokens[i].token, t->hash);
		sl_buf_init(&t->rec);
		slp_packer_init(&pk, &t->rec);
		msgpack_pack_map(&pk, 1 + !!tokens[i].device + !!tokens[i].point);
		slp_pack_kv_str(&pk, "role", tokens[i].role);
		if (tokens[i].device)
			slp_pack_kv_str(&pk, "device", tokens[i].device);
		if (tokens[i].point)
			slp_pack_kv_str(&pk, "point", tokens[i].point);
		t->live = true;
	}
	nwms = 0;
	nops = 0;
	nwrites = 0;
}

static struct op *op_new(int kind, void *ctx)
{
	CHECK(nops < sizeof(ops) / sizeof(ops[0]));
	struct op *o = &ops[nops++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->ctx = ctx;
	return o;
}

static bool store_fails(void)
{
	return fail_every && ++nwrites % fail_every == 0;
}

const char *evlog_event(const evlog *l)
{
	(void)l;
	return "ev";
}

bool evlog_caught_up(const evlog *l)
{
	(void)l;
	return true;
}

bool evlog_up(const evlog *l)
{
	(void)l;
	return true;
}

int evlog_append(evlog *l, const struct evlog_write *w, const char *rec, size_t len,
		 evlog_append_fn cb, void *ctx)
{
	(void)l;
	/* the promises about who writes what */
	CHECK(who.ok);
	CHECK(!strcmp(w->tokhash ? w->tokhash : "", who.hash));
	if (w->dev && w->dev_len) {
		CHECK(who.device[0] && strlen(who.device) == w->dev_len &&
		      !memcmp(who.device, w->dev, w->dev_len));
		CHECK(w->first >= 1 && w->first <= w->last && w->last <= SL_SEQ_MAX);
	}
	if (w->seq_off)
		CHECK(w->seq_off >= 1 && w->seq_off + 8 <= len &&
		      (unsigned char)rec[w->seq_off - 1] == 0xcf);

	struct op *o = op_new(OP_APPEND, ctx);
	o->acb = cb;
	if (store_fails()) {
		o->ack.err = SL_EUNAVAIL;
		return 0;
	}
	if (w->tokhash && (!tok_find(w->tokhash) || !tok_find(w->tokhash)->live)) {
		o->ack.err = SL_EAUTH;
		return 0;
	}
	o->ack.id = "1-0";
	o->ack.first = w->first;
	if (!w->dev || !w->dev_len)
		return 0;
	struct wm *m = NULL;
	for (size_t i = 0; i < nwms; i++)
		if (wms[i].space == (int)w->space && strlen(wms[i].dev) == w->dev_len &&
		    !memcmp(wms[i].dev, w->dev, w->dev_len))
			m = &wms[i];
	if (!m) {
		CHECK(nwms < sizeof(wms) / sizeof(wms[0]) && w->dev_len < sizeof(m->dev));
		m = &wms[nwms++];
		memcpy(m->dev, w->dev, w->dev_len);
		m->dev[w->dev_len] = '\0';
		m->space = (int)w->space;
		m->seq = 0;
	}
	if (w->seq_off) {
		uint64_t n = w->last - w->first;
		o->ack.first = m->seq + 1;
		m->seq += n + 1;
	} else if (m->seq && w->last <= m->seq) {
		o->ack.id = NULL;
		o->ack.dup = true;
		o->ack.watermark = m->seq;
	} else if (m->seq && w->first > m->seq + 1) {
		o->ack.id = NULL;
		o->ack.err = SL_EGAP;
		o->ack.watermark = m->seq;
	} else {
		m->seq = w->last;
	}
	return 0;
}

int evlog_token_get(evlog *l, const char *hash, evlog_get_fn cb, void *ctx)
{
	(void)l;
	struct op *o = op_new(OP_GET, ctx);
	struct tok *t = tok_find(hash);
	o->gcb = cb;
	if (store_fails())
		o->err = SL_EUNAVAIL;
	else if (!t || !t->live)
		o->err = SL_ENOENT;
	else
		sl_buf_add(&o->val, t->rec.data, t->rec.len);
	return 0;
}

static int token_write(const char *issuer, const char *hash, const char *val, size_t len,
		       bool put, evlog_done_fn cb, void *ctx)
{
	CHECK(who.ok && !strcmp(issuer ? issuer : "", who.hash));
	struct op *o = op_new(OP_DONE, ctx);
	o->dcb = cb;
	if (store_fails()) {
		o->err = SL_EUNAVAIL;
		return 0;
	}
	if (issuer && (!tok_find(issuer) || !tok_find(issuer)->live)) {
		o->err = SL_EAUTH;
		return 0;
	}
	struct tok *t = tok_find(hash);
	if (!put) {
		if (!t || !t->live)
			o->err = SL_ENOENT;
		else
			t->live = false;
		return 0;
	}
	if (!t) {
		if (ntoks == sizeof(toks) / sizeof(toks[0])) {
			o->err = SL_EUNAVAIL;
			return 0;
		}
		t = &toks[ntoks++];
		snprintf(t->hash, sizeof(t->hash), "%s", hash);
		sl_buf_init(&t->rec);
	}
	sl_buf_reset(&t->rec);
	sl_buf_add(&t->rec, val, len);
	t->live = true;
	return 0;
}

int evlog_token_put(evlog *l, const char *issuer, const char *hash, const char *val, size_t len,
		    evlog_done_fn cb, void *ctx)
{
	(void)l;
	return token_write(issuer, hash, val, len, true, cb, ctx);
}

int evlog_token_del(evlog *l, const char *issuer, const char *hash, evlog_done_fn cb, void *ctx)
{
	(void)l;
	return token_write(issuer, hash, "", 0, false, cb, ctx);
}

/* Deliver every answer waiting (they may queue more: loop). */
static void store_flush(void)
{
	size_t i = 0;
	while (i < nops) {
		struct op o = ops[i++];
		if (o.kind == OP_APPEND)
			o.acb(o.ctx, &o.ack);
		else if (o.kind == OP_GET)
			o.gcb(o.ctx, o.err, o.val.data, o.val.len);
		else
			o.dcb(o.ctx, o.err);
		sl_buf_release(&o.val);
	}
	nops = 0;
}

/* ---- libwebsockets, stubbed ------------------------------------------------ */

static struct lws_protocols proto_json = {.name = "splitline.v1.json"};
static struct lws_protocols proto_mp = {.name = "splitline.v1.msgpack"};
static const struct lws_protocols *proto;
static net the_net;
static struct event the_event; /* the server's one event ("ev", its --event) */

/* ---- event.c, stubbed: one event, the node's --event ------------------------ */

struct event *event_find(net *n, const char *id, size_t len)
{
	(void)n;
	return len == 2 && memcmp(id, "ev", 2) == 0 ? &the_event : NULL;
}
struct event *event_load(net *n, const char *id, size_t len)
{
	(void)n, (void)id, (void)len;
	__builtin_trap(); /* a node with --event never loads another */
}
void event_ref(struct event *e)
{
	e->refs++;
}
void event_unref(struct event *e)
{
	if (e)
		e->refs--;
}
void event_bind(sess *s, struct event *e)
{
	if (s->ev == e)
		return;
	fanout_drop_sess(s);
	event_unref(s->ev);
	s->ev = e;
	event_ref(e);
}
void event_wait(struct event *e, struct ev_wait *w, uint32_t timeout_ms)
{
	(void)e, (void)w, (void)timeout_ms;
	__builtin_trap(); /* the fake store is always up */
}
/* series_put reaches the registry: a store that is down (answered at once) */
int registry_series_put(registry *g, const char *id, const char *doc, size_t len,
			registry_done_fn cb, void *ctx)
{
	(void)g, (void)id, (void)doc, (void)len, (void)cb, (void)ctx;
	return SL_EUNAVAIL;
}
void listing_put(struct ev_listing *l, const char *id, const char *val, size_t len)
{
	(void)l, (void)id, (void)val, (void)len;
}
/* score_topics.c: its topics are not fuzzed here (they read server/score) */
bool score_topic(const char *topic, size_t tn)
{
	(void)topic, (void)tn;
	return false;
}
int score_subscribe(net *n, sess *s, uint64_t id, const char *topic, size_t tn)
{
	(void)n, (void)s, (void)id, (void)topic, (void)tn;
	__builtin_trap(); /* score_topic said no */
}
void score_unsubscribe(net *n, sess *s, const char *topic, size_t tn)
{
	(void)n, (void)s, (void)topic, (void)tn;
}
void score_drop_sess(net *n, sess *s)
{
	(void)n, (void)s;
}
int registry_exists(registry *g, const char *event, registry_exists_fn cb, void *ctx)
{
	(void)g, (void)event, (void)cb, (void)ctx;
	__builtin_trap(); /* a node with --event asks nobody */
}

int lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	return 1;
}
int lws_rx_flow_control(struct lws *wsi, int enable)
{
	(void)wsi;
	(void)enable;
	return 0;
}
const char *lws_get_peer_simple(struct lws *wsi, char *name, size_t namelen)
{
	(void)wsi;
	snprintf(name, namelen, "fuzz");
	return name;
}
const struct lws_protocols *lws_get_protocol(struct lws *wsi)
{
	(void)wsi;
	return proto;
}
struct lws_context *lws_get_context(const struct lws *wsi)
{
	(void)wsi;
	return (struct lws_context *)&the_net;
}
void *lws_context_user(struct lws_context *ctx)
{
	return ctx;
}
lws_sockfd_type lws_get_socket_fd(struct lws *wsi)
{
	(void)wsi;
	return -1;
}
int lws_is_final_fragment(struct lws *wsi)
{
	(void)wsi;
	return 1;
}
size_t lws_remaining_packet_payload(struct lws *wsi)
{
	(void)wsi;
	return 0;
}
int lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h)
{
	(void)wsi;
	(void)h;
	snprintf(dest, (size_t)len, "/ws");
	return 3;
}
int lws_send_pipe_choked(struct lws *wsi)
{
	(void)wsi;
	return 0;
}
/* What the session wrote straight to the socket (session.c write_now, the
 * writeable callback): whole messages, in order, joined from fragments. */
static struct frame **wrote;
static size_t nwrote, cwrote;
static sl_buf wpart = SL_BUF_INIT;
static bool wpart_text;

int lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol wp)
{
	int op = (int)wp & 0x0f;

	(void)wsi;
	if (op == 4) /* the close frame */
		return (int)len;
	if (op != LWS_WRITE_CONTINUATION) {
		sl_buf_reset(&wpart);
		wpart_text = op == LWS_WRITE_TEXT;
	}
	sl_buf_add(&wpart, buf, len);
	if (!((int)wp & LWS_WRITE_NO_FIN)) {
		SL_GROW(wrote, cwrote, nwrote + 1);
		wrote[nwrote++] = frame_new(wpart.data ? wpart.data : "", wpart.len, wpart_text);
		sl_buf_reset(&wpart);
	}
	return (int)len;
}

/* The next message the session sent: written, else still queued. */
static struct frame *next_frame(sess *s)
{
	static size_t taken;

	if (taken < nwrote)
		return wrote[taken++];
	taken = nwrote = 0;
	return s ? sess_pop(s) : NULL;
}
void lws_close_reason(struct lws *wsi, enum lws_close_status status, unsigned char *buf,
		      size_t len)
{
	(void)wsi;
	(void)status;
	(void)buf;
	(void)len;
}
int lws_partial_buffered(struct lws *wsi)
{
	(void)wsi;
	return 0; /* lws_write above takes every byte */
}
void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
	(void)wsi;
	(void)reason;
	(void)secs;
}
uint64_t uv_now(const uv_loop_t *loop)
{
	(void)loop;
	return 0;
}
uint64_t uv_hrtime(void)
{
	return 0;
}
void door_bind(int fd, void *owner)
{
	(void)fd;
	(void)owner;
}
void door_unbind(int fd)
{
	(void)fd;
}

/* ---- the driver ------------------------------------------------------------ */

static core *the_core;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static const char cfg[] =
		"{\"k\":\"config\",\"config\":{\"event\":\"ev\",\"name\":\"T\",\"date\":"
		"\"2015-04-20\",\"races\":[{\"id\":\"m\",\"name\":\"M\",\"kind\":\"mass\","
		"\"distance_m\":42195,\"waves\":[{\"id\":\"1\",\"bibs\":\"1-99\",\"start\":"
		"\"2015-04-20T10:00:00Z\"}],\"points\":[{\"id\":\"start\",\"distance_m\":0,"
		"\"role\":\"start\"},{\"id\":\"finish\",\"distance_m\":42195,\"role\":\"finish\"}]}]}}";
	static const char parts[] =
		"{\"k\":\"participants\",\"rows\":[{\"bib\":\"1\",\"name\":\"A\",\"sex\":\"F\","
		"\"age\":30,\"race\":\"m\"},{\"bib\":\"2\",\"name\":\"B\",\"race\":\"m\"}]}";
	char err[256];
	sl_buf mp = SL_BUF_INIT;
	sl_log_level = SL_LOG_ERROR - 1; /* quiet */
	the_core = core_new();
	CHECK(slp_json_to_msgpack(cfg, sizeof(cfg) - 1, &mp) == 0);
	CHECK(core_apply(the_core, mp.data, mp.len, err, sizeof(err)) == 0);
	sl_buf_reset(&mp);
	CHECK(slp_json_to_msgpack(parts, sizeof(parts) - 1, &mp) == 0);
	CHECK(core_apply(the_core, mp.data, mp.len, err, sizeof(err)) == 0);
	sl_buf_release(&mp);
	return 0;
}

/* The session is closing (1009, 4001...): its queue may have been dropped. */
static bool keep_closing(const sess *s)
{
	return !s || !s->wsi || s->close_code != 0;
}

/* Read the session's frames; count the replies to id (ok/ack/err). */
static size_t replies_to(sess *s, int64_t id, bool *hello_ok)
{
	size_t n = 0;
	struct frame *f;
	while ((f = next_frame(s))) {
		slp_msg m;
		if (slp_decode(&m, (const char *)FRAME_DATA(f), f->len,
			       f->text ? SLP_JSON : SLP_MSGPACK) == 0) {
			size_t tn;
			const char *t = slp_type(&m, &tn);
			int64_t rid;
			bool reply = t && ((tn == 2 && !memcmp(t, "ok", 2)) ||
					   (tn == 3 && !memcmp(t, "ack", 3)) ||
					   (tn == 3 && !memcmp(t, "err", 3)));
			if (reply && slp_get_int(&m.root, "id", &rid) == 0 && rid == id) {
				n++;
				if (hello_ok)
					*hello_ok = tn == 2;
			}
		}
		slp_msg_release(&m);
		frame_unref(f);
	}
	return n;
}

/* The test's view after a hello of the given token (NULL: none). */
static void expect_hello(const char *token, bool ok)
{
	memset(&who, 0, sizeof(who));
	if (!ok || !token || !*token)
		return; /* a spectator: nothing may be written */
	who.ok = true;
	if (!strcmp(token, ADMIN_FILE_TOKEN)) {
		snprintf(who.device, sizeof(who.device), "admin");
		return;
	}
	hash_hex(token, who.hash);
	struct tok *t = tok_find(who.hash);
	if (!t)
		return;
	msgpack_unpacked u;
	const char *s;
	size_t sn;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, t->rec.data, t->rec.len, NULL) == MSGPACK_UNPACK_SUCCESS) {
		if (slp_get_str(&u.data, "device", &s, &sn) == 0 && sn && sn < sizeof(who.device))
			snprintf(who.device, sizeof(who.device), "%.*s", (int)sn, s);
		else if (slp_get_str(&u.data, "role", &s, &sn) == 0 &&
			 ((sn == 8 && !memcmp(s, "official", 8)) || (sn == 5 && !memcmp(s, "admin", 5))))
			snprintf(who.device, sizeof(who.device), "%.*s-%.12s", (int)sn, s, who.hash);
	}
	msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	bool mp = flags & 1;
	fail_every = (flags >> 1) & 7;
	bool close_early = flags & 16;
	data++;
	size--;

	char admin_hash[65];
	hash_hex(ADMIN_FILE_TOKEN, admin_hash);
	memset(&the_net, 0, sizeof(the_net));
	memset(&the_event, 0, sizeof(the_event));
	memcpy(the_event.id, "ev", 3);
	the_event.n = &the_net;
	the_event.core = the_core;
	the_event.log = (evlog *)&the_net; /* opaque to ws.c: the fake store ignores it */
	the_event.fan.core = the_event.core;
	the_event.fan.log = the_event.log;
	the_net.only = (char *)"ev";
	the_net.admin_hash = admin_hash;
	the_net.sessions.next = the_net.sessions.prev = &the_net.sessions;
	store_reset();
	memset(&who, 0, sizeof(who));
	proto = mp ? &proto_mp : &proto_json;

	char wsi_storage;
	struct lws *wsi = (struct lws *)&wsi_storage;
	sess *s = NULL;
	CHECK(ws_callback(wsi, LWS_CALLBACK_ESTABLISHED, &s, NULL, 0) == 0 && s);
	sess *held = s;
	s->refs++; /* keep it readable after CLOSED */

	sl_buf frame = SL_BUF_INIT;
	const uint8_t *p = data, *end = data + size;
	bool closed = false;
	while (p < end && !closed) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		sl_buf_reset(&frame);
		if (!mp || slp_json_to_msgpack((const char *)p, n, &frame) != 0) {
			sl_buf_reset(&frame);
			sl_buf_add(&frame, p, n);
		}
		/* what the line asks: its id, and the token of a hello */
		int64_t id = 0;
		char token[128] = "";
		bool is_hello = false;
		slp_msg m;
		if (slp_decode(&m, (const char *)p, n, SLP_JSON) == 0) {
			size_t tn, kn;
			const char *t = slp_type(&m, &tn), *k;
			/* the id of the reply: the message's, 0 when it has none */
			if (slp_get_int(&m.root, "id", &id) < 0 || id < 0)
				id = 0;
			is_hello = t && tn == 5 && !memcmp(t, "hello", 5);
			if (is_hello && slp_get_str(&m.root, "token", &k, &kn) == 0 &&
			    kn < sizeof(token))
				snprintf(token, sizeof(token), "%.*s", (int)kn, k);
		}
		slp_msg_release(&m);
		if (is_hello)
			memset(&who, 0, sizeof(who)); /* nothing may be written meanwhile */

		ws_callback(wsi, LWS_CALLBACK_RECEIVE, &s, frame.data ? frame.data : "", frame.len);
		if (close_early && nops > 0) {
			/* the connection goes while the store works */
			ws_callback(wsi, LWS_CALLBACK_CLOSED, &s, NULL, 0);
			closed = true;
		}
		bool hello_ok = false;
		store_flush();
		if (closed || keep_closing(s))
			closed = true;
		size_t got = closed ? 0 : replies_to(s, id, is_hello ? &hello_ok : NULL);
		if (!closed && id > 0) /* id 0 is also every unnumbered error's */
			CHECK(got == 1);
		if (is_hello)
			expect_hello(token, hello_ok);
		p = nl ? nl + 1 : end;
	}
	sl_buf_release(&frame);
	sess *keep = s ? s : held;
	if (s)
		ws_callback(wsi, LWS_CALLBACK_CLOSED, &s, NULL, 0);
	store_flush();
	struct frame *f;
	while ((f = next_frame(keep)))
		frame_unref(f);
	sl_buf_release(&wpart);
	sess_kills_release(&the_net); /* closes the tick would have ended */
	sess_unref(keep);
	CHECK(the_event.refs == 0); /* the closed session let go of its event */
	fanout_free(&the_event.fan);
	return 0;
}

/*
 * h_session.c: the session's messages: hello (which event, and who the
 * session is: a token looked up in the event's Redis hash, the deployment's
 * admin token, or none), subscribe and unsubscribe.
 *
 * The event: one this node holds already, or one whose log exists in Redis
 * (looked up in the registry, then loaded: event.c); the deployment's admin
 * may name a new one (to create it with event_create).  A token is looked
 * up in the event's tokens once its store is up (the hello waits for it, at
 * most twice the Redis timeout).  The session is bound to the event from
 * then on, even when its token is refused (a spectator of it).
 *
 * A hello that does not succeed leaves a spectator, whatever the session
 * was before.  While a hello waits for its token lookup the session stops
 * reading (lws_rx_flow_control), so later messages are judged with the
 * right role.  An official or admin token without a device writes as its
 * own device, "official-" or "admin-" and the first 12 hex digits of its
 * hash ("admin" for the deployment's admin token), numbered by the server.
 *
 * A spectator's subscribe gets a window of at most NET_SPECTATOR_ROWS rows
 * (roles.h, net_window_limit); its ok then says the limit granted.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "net/handlers.h"
#include "slid.h"

static void reply_hello(sess *s, uint64_t id)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;

	req_reply_begin(&pk, &b, 4 + 2 * !!s->device + !!s->point, "ok", id);
	slp_pack_kv_str(&pk, "role", net_role_name(s->role));
	slp_pack_kv_str(&pk, "event", s->ev->id);
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

static void token_lookup(struct req *r)
{
	sess *s = r->s;
	int rc = evlog_token_get(s->ev->log, r->hash, on_token, r);

	if (rc < 0) {
		lws_rx_flow_control(s->wsi, 1);
		sess_send_err(s, r->id, rc, NULL);
		req_free(r);
	}
}

static void on_event_up(struct ev_wait *w, int err)
{
	struct req *r = (struct req *)((char *)w - offsetof(struct req, ew));
	sess *s = r->s;

	if (!s->wsi || s->ev == NULL) {
		req_free(r);
		return;
	}
	if (err) {
		lws_rx_flow_control(s->wsi, 1);
		sess_forget(s); /* the admin's role was set before the wait */
		sess_send_errf(s, r->id, SL_EUNAVAIL, "event '%s': the store is not reachable",
			       s->ev->id);
		req_free(r);
		return;
	}
	if (r->admin) {
		lws_rx_flow_control(s->wsi, 1);
		reply_hello(s, r->id);
		req_free(r);
		return;
	}
	token_lookup(r);
}

/*
 * The event is known: bind the session, then who it is.  A session with a
 * token may write: its hello is answered once the event's store is up (an
 * event just loaded connects first), so that its first write is not
 * refused as unavailable.
 */
static void hello_event(struct req *r, struct event *e, bool admin)
{
	sess *s = r->s;

	event_bind(s, e);
	r->admin = admin;
	if (admin) {
		s->role = ROLE_ADMIN;
		own_device(s);
	}
	if (!r->has_tok || (admin && evlog_up(e->log))) {
		lws_rx_flow_control(s->wsi, 1);
		reply_hello(s, r->id);
		req_free(r);
		return;
	}
	lws_rx_flow_control(s->wsi, 0);
	if (evlog_up(e->log))
		return token_lookup(r);
	r->ew.need_caught_up = false;
	r->ew.fn = on_event_up;
	event_wait(e, &r->ew, 2 * s->n->store.timeout_ms);
}

static void on_exists(void *ctx, int err, bool exists)
{
	struct req *r = ctx;
	sess *s = r->s;
	struct event *e;

	if (!s->wsi) {
		req_free(r);
		return;
	}
	lws_rx_flow_control(s->wsi, 1);
	if (err || !exists) {
		if (err)
			sess_send_err(s, r->id, err == SL_EIO ? SL_EUNAVAIL : err, NULL);
		else
			sess_send_errf(s, r->id, SL_ENOENT, "no event '%s'", r->event);
		req_free(r);
		return;
	}
	e = event_find(s->n, r->event, strlen(r->event));
	if (!e && !(e = event_load(s->n, r->event, strlen(r->event)))) {
		sess_send_err(s, r->id, SL_EUNAVAIL, "the server is stopping");
		req_free(r);
		return;
	}
	hello_event(r, e, false);
}

void h_hello(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	net *n = s->n;
	const char *ev, *tok;
	size_t evn, tokn = 0;
	bool admin = false;
	struct event *e;
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
	if (rc == SL_ENOENT && !n->only)
		return sess_send_err(s, id, SL_EINVAL,
				     "event: required (this server serves many events: "
				     "/api/events.json lists them)");
	if (rc == SL_ENOENT) {
		ev = n->only;
		evn = strlen(ev);
	}
	if (!sl_event_id_ok(ev, evn))
		return sess_send_err(s, id, SL_EINVAL, "event: expected an id of " SL_EVENT_ID_WORDS);
	if (n->only && (evn != strlen(n->only) || memcmp(ev, n->only, evn) != 0))
		return sess_send_errf(s, id, SL_ENOENT, "no event '%.*s' on this server", (int)evn,
				      ev);
	rc = slp_get_str(root, "token", &tok, &tokn);
	if (rc == SL_EINVAL)
		return sess_send_err(s, id, SL_EINVAL, "token: expected string");
	r = req_new(s, id, RQ_HELLO);
	memcpy(r->event, ev, evn);
	r->has_tok = rc == 0 && tokn > 0;
	if (r->has_tok) {
		net_sha256_hex(tok, tokn, r->hash);
		admin = n->admin_hash && net__hash_eq(r->hash, n->admin_hash);
	}
	if ((e = event_find(n, ev, evn)))
		return hello_event(r, e, admin);
	if (admin) { /* the deployment's admin may open a new event */
		if (!(e = event_load(n, ev, evn))) {
			req_free(r);
			return sess_send_err(s, id, SL_EUNAVAIL, "the server is stopping");
		}
		return hello_event(r, e, true);
	}
	rc = registry_exists(n->reg, r->event, on_exists, r);
	if (rc < 0) {
		req_free(r);
		return sess_send_err(s, id, rc, NULL);
	}
	lws_rx_flow_control(s->wsi, 0);
}

static int get_size(const msgpack_object *root, const char *key, size_t *v, sess *s, uint64_t id)
{
	int64_t x;
	int rc = slp_get_int(root, key, &x);

	if (rc == SL_ENOENT)
		return 0;
	if (rc < 0 || x < 0 || x > 100000000) {
		sess_send_errf(s, id, SL_EINVAL, "%s: expected a non-negative integer", key);
		return SL_EINVAL;
	}
	*v = (size_t)x;
	return 0;
}

void h_subscribe(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	const char *topic;
	size_t tn, offset = 0, limit = 0;
	int rc;

	if (slp_get_str(root, "topic", &topic, &tn) != 0 || tn == 0)
		return sess_send_err(s, id, SL_EINVAL, "topic: expected string");
	if (get_size(root, "offset", &offset, s, id) < 0 ||
	    get_size(root, "limit", &limit, s, id) < 0)
		return;
	const char *why = net_topic_denied(s->role, s->device, topic, tn);
	if (why)
		return sess_send_errf(s, id, SL_EPERM, "topic '%.*s': %s", (int)tn, topic, why);
	if (score_topic(topic, tn))
		rc = score_subscribe(s->n, s, id, topic, tn);
	else
		rc = fanout_subscribe(&s->ev->fan, s, id, topic, tn, offset,
				      net_window_limit(s->role, topic, tn, limit), limit);
	if (rc == SL_EINVAL)
		sess_send_errf(s, id, rc, "topic '%.*s' is malformed", (int)tn, topic);
	else if (rc == SL_ENOENT)
		sess_send_errf(s, id, rc, "no topic '%.*s'", (int)tn, topic);
	else if (rc == SL_ERANGE)
		sess_send_errf(s, id, rc, "too many subscriptions (at most %d, %d of them "
					  "teams/, awards/ or series/)",
			       NET_MAX_SUBS, NET_SCORE_SUBS_MAX);
	else if (rc < 0)
		sess_send_err(s, id, rc, NULL);
}

void h_unsubscribe(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	const char *topic;
	size_t tn;

	if (slp_get_str(root, "topic", &topic, &tn) != 0)
		return sess_send_err(s, id, SL_EINVAL, "topic: expected string");
	fanout_unsubscribe(s, topic, tn);
	score_unsubscribe(s->n, s, topic, tn);
	sess_send_ok(s, id);
}

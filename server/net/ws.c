/*
 * ws.c: WebSocket sessions on /ws: gather a message, decode it with the
 * session's subprotocol, check the role (roles.c), dispatch on "t" through
 * the table of handlers (handlers.h), and lws's callback for the protocol.
 *
 * Every request gets exactly one reply (ok, ack or err) carrying its id,
 * except subscribe, whose ok is followed by the topic's snapshot.  Requests
 * that write go through the event log (request.h) and are answered only
 * when Redis answered.  An err leaves the connection open; only a message
 * over SLP_MAX_FRAME closes it (1009), since the rest of that message
 * cannot be read.
 *
 * Every WebSocket gets TCP_NOTSENT_LOWAT: the kernel then reports it
 * writable only while little of what it took is unsent, so a client that
 * stops reading leaves its backlog in our queue, where the cap sees it
 * (session.h), not in the kernel's buffer.
 *
 * Ownership: see session.h.  Who may send what: roles.h.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "net/door.h"
#include "net/handlers.h"

/* The handlers, one per message type: keyed by the enum, as the names and
 * roles in roles.c are, so no table depends on the order of another. */
static net_handler_fn *const handlers[NET_MSG_COUNT] = {
	[NET_MSG_HELLO] = h_hello,
	[NET_MSG_SUBSCRIBE] = h_subscribe,
	[NET_MSG_UNSUBSCRIBE] = h_unsubscribe,
	[NET_MSG_PASSINGS] = h_passings,
	[NET_MSG_PARTICIPANTS] = h_participants,
	[NET_MSG_WAVE_START] = h_wave_start,
	[NET_MSG_EVENT_CREATE] = h_event_create,
	[NET_MSG_TOKEN_ISSUE] = h_token_issue,
	[NET_MSG_TOKEN_REVOKE] = h_token_revoke,
	[NET_MSG_ADJUST] = h_adjust,
	[NET_MSG_RACE_OFFICIAL] = h_race_official,
	[NET_MSG_LINEUP] = h_lineup,
	[NET_MSG_CHECKINS] = h_checkins,
	[NET_MSG_CHECKIN_UNDO] = h_checkin_undo,
	[NET_MSG_READ_VOID] = h_read_void,
	[NET_MSG_SERIES_PUT] = h_series_put,
};

static void handle_msg(sess *s, const char *buf, size_t len)
{
	sl_buf why = SL_BUF_INIT;
	slp_msg m;
	const char *t;
	size_t tn;
	int64_t idv;
	uint64_t id = 0;
	int msg, rc;

	rc = slp_decode(&m, buf, len, s->fmt);
	if (rc < 0) {
		sess_send_err(s, 0, rc, m.err[0] ? m.err : NULL);
		goto out;
	}
	if (slp_get_int(&m.root, "id", &idv) == 0 && idv >= 0)
		id = (uint64_t)idv;
	t = slp_type(&m, &tn);
	msg = net_msg_parse(t, tn);
	if (msg < 0) {
		sess_send_errf(s, id, SL_ETYPE, "unknown message type '%.*s'", (int)(t ? tn : 0),
			       t ? t : "");
		goto out;
	}
	rc = net_allowed(s->role, msg, &why);
	if (rc < 0) {
		sess_send_err(s, id, rc, why.data);
		goto out;
	}
	if (msg != NET_MSG_HELLO && !s->ev) {
		sess_send_err(s, id, SL_ENOENT, "no event yet: send hello with the event first");
		goto out;
	}
	handlers[msg](s, id, &m);
out:
	sl_buf_release(&why);
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
		sess_send_errf(s, 0, SL_ETOOBIG, "message over %u bytes", SLP_MAX_FRAME);
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

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
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
		return n->drain.on ? 1 : 0;
	case LWS_CALLBACK_ESTABLISHED: {
		const struct lws_protocols *p = lws_get_protocol(wsi);
		enum slp_format fmt = strstr(p->name, "json") ? SLP_JSON : SLP_MSGPACK;
		int lowat = NET_NOTSENT_LOWAT;
		*ps = sess_new(n, wsi, fmt);
		sl_debug("%s: connected (%s)", (*ps)->peer, p->name);
		if (setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
			       sizeof(lowat)) < 0)
			sl_debug("%s: no TCP_NOTSENT_LOWAT", (*ps)->peer);
		door_bind(lws_get_socket_fd(wsi), *ps);
		return 0;
	}
	case LWS_CALLBACK_RECEIVE:
		if (*ps)
			on_receive(*ps, wsi, in, len);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE: return *ps ? sess_on_writeable(*ps, wsi) : 0;
	case LWS_CALLBACK_CLOSED:
		if (*ps) {
			sl_debug("%s: closed", (*ps)->peer);
			door_unbind(lws_get_socket_fd(wsi));
			fanout_drop_sess(*ps);
			score_drop_sess(n, *ps);
			event_unref((*ps)->ev);
			(*ps)->ev = NULL;
			sess_closed(*ps);
			*ps = NULL;
		}
		return 0;
	default: return 0;
	}
}

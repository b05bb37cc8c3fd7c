/*
 * session.c: a session's life (new, close, closed, unref), its outbound
 * queue of shared frames, and the writeable callback that drains it.  See
 * session.h for ownership and bounds.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"

/* ---- sessions ------------------------------------------------------------ */

sess *sess_new(net *n, struct lws *wsi, enum slp_format fmt)
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

void sess_closed(sess *s)
{
	net *n = s->n;

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

void sess_send_errf(sess *s, uint64_t id, int err, const char *fmt, ...)
{
	sl_buf msg = SL_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sl_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sess_send_err(s, id, err, msg.data);
	sl_buf_release(&msg);
}

void sess_send_ok(sess *s, uint64_t id)
{
	sl_buf b = SL_BUF_INIT;

	slp_build_ok(&b, id);
	sess_send_mp(s, b.data, b.len);
	sl_buf_release(&b);
}

/* ---- frames and queues --------------------------------------------------- */

struct frame *frame_new(const void *p, size_t len, bool text)
{
	struct frame *f = sl_malloc(sizeof(*f) + LWS_PRE + len);

	f->refs = 1;
	f->text = text;
	f->bulk = false;
	f->len = len;
	memcpy(f->buf + LWS_PRE, p, len);
	return f;
}

void frame_unref(struct frame *f)
{
	if (f && --f->refs == 0)
		free(f);
}

void sess_queue(sess *s, struct frame *f)
{
	size_t qlen = s->qtail - s->qhead;

	if (!s->wsi || s->close_code)
		return;
	if (qlen + 1 > NET_QUEUE_MAX_FRAMES || (f->bulk && s->qbulk + 1 > NET_QUEUE_MAX_BULK) ||
	    (!f->bulk && s->qbytes > 0 && s->qbytes + f->len > NET_QUEUE_MAX_BYTES)) {
		sl_info("closing %s: outbound queue full (%zu frames, %zu bytes)", s->peer, qlen,
			s->qbytes);
		sess_close(s, NET_CLOSE_SLOW, "too slow: outbound queue full", false);
		return;
	}
	if (s->qtail == s->qcap) {
		if (s->qhead > 0) {
			memmove(s->q, s->q + s->qhead, qlen * sizeof(*s->q));
			s->qhead = 0;
			s->qtail = qlen;
		} else {
			SL_GROW(s->q, s->qcap, s->qtail + 1);
		}
	}
	f->refs++;
	s->q[s->qtail++] = f;
	if (f->bulk)
		s->qbulk++;
	else
		s->qbytes += f->len;
	lws_callback_on_writable(s->wsi);
}

struct frame *sess_pop(sess *s)
{
	struct frame *f;

	if (s->qhead == s->qtail)
		return NULL;
	f = s->q[s->qhead++];
	if (f->bulk)
		s->qbulk--;
	else
		s->qbytes -= f->len;
	if (s->qhead == s->qtail)
		s->qhead = s->qtail = 0;
	return f;
}

void sess_queue_clear(sess *s)
{
	struct frame *f;

	while ((f = sess_pop(s)))
		frame_unref(f);
}

/* ---- writing -------------------------------------------------------------- */

int sess_on_writeable(sess *s, struct lws *wsi)
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

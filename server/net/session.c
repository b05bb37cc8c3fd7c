/*
 * session.c: a session's life (new, close, closed, unref), its outbound
 * queue of shared frames and its bound in bytes, the writeable callback
 * that drains it, and giving memory back after many closes.  See session.h
 * for ownership and bounds.
 */
#include <malloc.h>
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
	n->closes_since_trim++;
	sess_unref(s);
}

/*
 * Connections to end are listed and ended by the tick, not handed to lws's
 * timer (LWS_TO_KILL_ASYNC): lws 4.1 keeps its timers in one sorted list
 * and inserts each new one after every earlier one due sooner, so N
 * connections closed at once (a flood of slow readers, a shutdown's flush
 * timeouts) cost N^2/2 steps of that list: seconds at 20,000.  Here each
 * costs one entry, and the tick ends those due with LWS_TO_KILL_SYNC (it
 * runs in no lws callback).  The list holds a reference: a connection that
 * ended by itself meanwhile is simply dropped.
 */
static void kill_at(sess *s, uint64_t at_ms)
{
	net *n = s->n;

	SL_GROW(n->kills, n->kcap, n->nkills + 1);
	s->refs++;
	n->kills[n->nkills++] = (struct sess_kill){s, at_ms};
}

static void kill_due(net *n, uint64_t now)
{
	size_t end = n->nkills, k = 0;

	if (end == 0)
		return;
	for (size_t i = 0; i < end; i++) {
		struct sess_kill x = n->kills[i];
		if (x.s->wsi && x.at_ms > now) {
			n->kills[k++] = x;
			continue;
		}
		/* its LWS_CALLBACK_CLOSED may close others: they go behind end */
		if (x.s->wsi)
			lws_set_timeout(x.s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
		sess_unref(x.s);
	}
	memmove(n->kills + k, n->kills + end, (n->nkills - end) * sizeof(*n->kills));
	n->nkills = k + (n->nkills - end);
}

void sess_kills_release(net *n)
{
	for (size_t i = 0; i < n->nkills; i++)
		sess_unref(n->kills[i].s);
	free(n->kills);
	n->kills = NULL;
	n->nkills = n->kcap = 0;
}

/* The close frame: code, then the reason (cut to fit a control frame). */
static void write_close_frame(sess *s)
{
	/*
	 * Opcode 4 is lws's internal LWS_WRITE_CLOSE (lws-write.h reserves
	 * it): lws 4.1 treats a -1 from the writeable callback as a failed
	 * write and drops the socket without the close frame that
	 * lws_close_reason() prepared, so we write it ourselves.
	 */
	unsigned char cl[LWS_PRE + 125], *p = cl + LWS_PRE;
	size_t rl = strlen(s->close_reason);

	if (s->close_sent)
		return;
	s->close_sent = true;
	if (rl > 123)
		rl = 123;
	p[0] = (unsigned char)(s->close_code >> 8);
	p[1] = (unsigned char)(s->close_code & 0xff);
	memcpy(p + 2, s->close_reason, rl);
	lws_write(s->wsi, p, 2 + rl, (enum lws_write_protocol)4);
}

void sess_close(sess *s, int code, const char *reason, bool flush)
{
	if (!s->wsi || s->close_code)
		return;
	s->close_code = code;
	s->close_flush = flush;
	snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
	if (flush) {
		/* a client that does not read what is left is cut off */
		kill_at(s, uv_now(s->n->loop) + NET_CLOSE_FLUSH_S * 1000);
		lws_callback_on_writable(s->wsi);
		return;
	}
	/*
	 * Now, not when the socket drains (it may never): drop the queue,
	 * write the close frame unless lws still holds part of a frame (it
	 * would cut into it), and have the next tick end the connection,
	 * which frees what lws holds.  The kernel sends what it took, the
	 * close frame last, then ends the connection.
	 */
	sess_queue_clear(s);
	if (!lws_partial_buffered(s->wsi))
		write_close_frame(s);
	kill_at(s, 0);
}

size_t sess_cap(const sess *s)
{
	bool spectator = s->role == ROLE_NONE || s->role == ROLE_SPECTATOR;

	return spectator ? s->n->spectator_cap : s->n->queue_cap;
}

size_t sess_unsent(const sess *s)
{
	return s->qbytes - s->qoff + s->lws_pending;
}

void sess_tick(net *n)
{
	uint64_t now = uv_now(n->loop), t0;

	kill_due(n, now);
	if (n->slow_closed) {
		sl_info("closed %zu connections too slow to keep up (4008): up to %zu bytes "
			"unsent (caps %zu, spectators %zu)",
			n->slow_closed, n->slow_max_unsent, n->queue_cap, n->spectator_cap);
		n->slow_closed = n->slow_max_unsent = 0;
	}
	/*
	 * glibc keeps what closed sessions freed (lws's buffers, our queues,
	 * frames only they held) in its arenas; malloc_trim gives the free
	 * pages back.  It walks the heap (tens of ms after thousands of
	 * closes), so only after a wave of closes, and not often.
	 */
	if (n->closes_since_trim < NET_TRIM_CLOSES || now - n->last_trim_ms < NET_TRIM_EVERY_MS)
		return;
	t0 = uv_hrtime();
	malloc_trim(0);
	sl_info("%zu connections closed since the last trim: freed memory given back in %.1f ms",
		n->closes_since_trim, (double)(uv_hrtime() - t0) / 1e6);
	n->closes_since_trim = 0;
	n->last_trim_ms = now;
}

void sess_send_mp(sess *s, const char *mp, size_t len)
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

static void write_now(sess *s);

struct frame *frame_new(const void *p, size_t len, bool text)
{
	struct frame *f = sl_malloc(sizeof(*f) + LWS_PRE + len);

	f->refs = 1;
	f->text = text;
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
	size_t qlen = s->qtail - s->qhead, unsent = sess_unsent(s);

	if (!s->wsi || s->close_code)
		return;
	if (qlen + 1 > NET_QUEUE_MAX_FRAMES || (unsent > 0 && unsent + f->len > sess_cap(s))) {
		sl_debug("closing %s: too slow (%zu bytes unsent in %zu frames, cap %zu)", s->peer,
			 unsent, qlen, sess_cap(s));
		s->n->slow_closed++;
		if (unsent > s->n->slow_max_unsent)
			s->n->slow_max_unsent = unsent;
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
	s->qbytes += f->len;
	/* a queue that was not empty has its writeable callback asked for
	 * already (sess_on_writeable asks again while frames are left) */
	if (qlen == 0)
		write_now(s);
}

struct frame *sess_pop(sess *s)
{
	struct frame *f;

	if (s->qhead == s->qtail)
		return NULL;
	f = s->q[s->qhead++];
	s->qbytes -= f->len;
	s->qoff = 0;
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

/*
 * The next piece of the queue's first frame: all of it when it is at most
 * NET_WRITE_CHUNK bytes, written from the shared frame (its headroom takes
 * the header, the same bytes for every subscriber); else a fragment of
 * NET_WRITE_CHUNK bytes copied behind headroom of our own, since lws writes
 * a fragment's header in the bytes before it, which are the previous
 * fragment's and other subscribers' still to send.  0 or -1 (lws failed).
 */
static int write_piece(sess *s, struct lws *wsi)
{
	static unsigned char scratch[LWS_PRE + NET_WRITE_CHUNK];
	struct frame *f = s->q[s->qhead];
	size_t off = s->qoff, k = f->len - off;
	int wp = off > 0 ? LWS_WRITE_CONTINUATION : f->text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY;
	unsigned char *p = FRAME_DATA(f);

	if (f->len > NET_WRITE_CHUNK) {
		if (k > NET_WRITE_CHUNK) {
			k = NET_WRITE_CHUNK;
			wp |= LWS_WRITE_NO_FIN;
		}
		memcpy(scratch + LWS_PRE, p + off, k);
		p = scratch + LWS_PRE;
	}
	if (lws_write(wsi, p, k, (enum lws_write_protocol)wp) < 0)
		return -1;
	s->lws_pending = lws_partial_buffered(wsi) ? k + 14 : 0; /* and the longest header */
	s->qoff += k;
	if (s->qoff == f->len)
		frame_unref(sess_pop(s));
	return 0;
}

int sess_on_writeable(sess *s, struct lws *wsi)
{
	/*
	 * Each piece is written while the kernel holds less than half its
	 * TCP_NOTSENT_LOWAT unsent (lws_send_pipe_choked polls for that, and
	 * so does the writeable callback), and is at most NET_WRITE_CHUNK:
	 * the kernel takes it whole, and keeps room for a close frame.
	 */
	s->lws_pending = 0; /* lws calls us only once it has sent what it kept */
	for (int i = 0; i < 16 && s->qhead != s->qtail; i++) {
		if (write_piece(s, wsi) < 0)
			return -1;
		if (s->lws_pending || lws_send_pipe_choked(wsi))
			break;
	}
	if (s->close_code && (s->qhead == s->qtail || !s->close_flush)) {
		write_close_frame(s); /* after what lws holds, if anything */
		return -1;
	}
	if (s->qhead != s->qtail)
		lws_callback_on_writable(wsi);
	return 0;
}

/*
 * A frame queued to a session with nothing else to send goes to the kernel
 * at once when the socket is writable, without the round trip of a
 * writeable callback (which turns POLLOUT on and off through the loop: two
 * epoll_ctl and a wakeup per frame and connection).  Writable is what
 * lws_send_pipe_choked asks the kernel (one poll): less than half of
 * TCP_NOTSENT_LOWAT unsent, so the piece is taken whole and lws keeps
 * nothing (a close frame can still follow it, see session.h).  Only the
 * first piece: the writeable callback writes the rest of a fragmented
 * frame.  Not while lws holds part of an earlier write (the bytes would go
 * out of order).  A write that fails (the peer is gone) ends the
 * connection as sess_close does.
 */
static void write_now(sess *s)
{
	struct lws *wsi = s->wsi;

	if (s->lws_pending || lws_send_pipe_choked(wsi)) {
		lws_callback_on_writable(wsi);
		return;
	}
	if (write_piece(s, wsi) < 0) {
		s->close_code = LWS_CLOSE_STATUS_ABNORMAL_CLOSE;
		s->close_sent = true;
		sess_queue_clear(s);
		kill_at(s, 0);
		return;
	}
	if (s->qhead != s->qtail)
		lws_callback_on_writable(wsi);
}

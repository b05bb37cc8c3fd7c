/*
 * session.h: a WebSocket session of /ws and the frames queued to it.
 *
 * Sessions (sess) are heap objects with a reference count, not lws's
 * per-session memory: lws's memory holds only a pointer.  A request waiting
 * for Redis holds a reference, so when the connection closes first the
 * session stays valid (wsi NULL) and the late reply is dropped.  A session is
 * never freed inside its own lws callback except through the last unref in
 * LWS_CALLBACK_CLOSED, after lws is done with it.
 *
 * Frames are built once and shared: the same refcounted buffer is queued to
 * every subscriber of a topic.  Each frame keeps LWS_PRE bytes of headroom
 * in front of its payload for the WebSocket header that lws_write() writes
 * there; all subscribers get the same header bytes for the same frame, and
 * lws copies whatever it cannot send at once, so sharing is safe on our one
 * thread.
 *
 * Queues are bounded (NET_QUEUE_MAX_FRAMES frames, NET_QUEUE_MAX_BYTES
 * bytes of deltas and replies; one frame alone may exceed the byte bound;
 * snapshots, which can be many MB and are shared by all subscribers, count
 * against NET_QUEUE_MAX_BULK instead): a session that does not keep up is
 * closed with 4008, its queue dropped.  Writes happen only in
 * sess_on_writeable, from lws's writeable callback.
 *
 * session.c calls nothing of server/net above it: closing a session's
 * subscriptions (fanout.c) is the caller's part.
 */
#ifndef SL_NET_SESSION_H
#define SL_NET_SESSION_H

#include <libwebsockets.h>
#include <stdbool.h>

#include "net/net.h"
#include "slp.h"

#define NET_QUEUE_MAX_FRAMES 512
#define NET_QUEUE_MAX_BYTES (8u << 20)
/* Snapshots of a whole marathon run to 12 MB; frames are shared by every
 * subscriber, so they are bounded per session by count, not by bytes. */
#define NET_QUEUE_MAX_BULK 8
#define NET_CLOSE_SLOW 4008
#define NET_CLOSE_REVOKED 4001 /* the session's token was revoked on this node */

struct frame {
	unsigned refs;
	bool text;
	bool bulk; /* a snapshot: bounded by count (NET_QUEUE_MAX_BULK), not bytes */
	size_t len;
	unsigned char buf[]; /* LWS_PRE headroom, then len bytes */
};
/* Returns owned (one reference): a copy of p. */
struct frame *frame_new(const void *p, size_t len, bool text);
void frame_unref(struct frame *f);
#define FRAME_DATA(f) ((f)->buf + LWS_PRE)

struct topic;

typedef struct sess {
	unsigned refs;
	struct sess *prev, *next; /* net's list of open sessions */
	net *n;
	struct lws *wsi; /* NULL once closed */
	enum slp_format fmt;
	char peer[64];

	/*
	 * Who: set by a hello that succeeded, and only then; any other hello
	 * leaves a spectator.  Every write carries tokhash to the append
	 * script, which checks it in the same step (store/log.h).
	 */
	int role;         /* enum role (roles.h): ROLE_NONE until hello */
	char *device;     /* the device this session writes as, or NULL: none */
	bool srv_seq;     /* device is an official's own: the server numbers it */
	char *point;      /* a scanner token's timing point, or NULL */
	char tokhash[65]; /* sha256 of a Redis token ("" for none or the admin file's) */

	struct frame **q; /* outbound queue: q[qhead..qtail) */
	size_t qhead, qtail, qcap, qbytes, qbulk;

	int close_code;   /* nonzero: closing */
	bool close_flush; /* send the queue first */
	char close_reason[100];

	sl_buf rx;        /* a fragmented message being gathered */
	bool rx_overflow; /* discard until the end of this message, then close */
	size_t rx_discarded;

	struct topic **subs; /* topics subscribed to (fanout.c keeps them) */
	size_t nsubs, subcap;
} sess;

/* A new session on wsi, linked into n's list, one reference (lws's). */
sess *sess_new(net *n, struct lws *wsi, enum slp_format fmt);
void sess_unref(sess *s);
/* LWS_CALLBACK_CLOSED: lws is done with wsi; unlinks s and drops lws's
 * reference.  Its subscriptions must be gone (fanout_drop_sess). */
void sess_closed(sess *s);
/* Start closing: code and reason; flush sends the queue first. */
void sess_close(sess *s, int code, const char *reason, bool flush);
/* LWS_CALLBACK_SERVER_WRITEABLE: 0, or -1 to have lws close the connection. */
int sess_on_writeable(sess *s, struct lws *wsi);

/* Queue a message built as msgpack (transcoded for a JSON session). */
void sess_send_mp(sess *s, const char *mp, size_t len);
/* Same; bulk marks a snapshot (queue bound by count, not bytes). */
void sess_send_mp_bulk(sess *s, const char *mp, size_t len, bool bulk);
void sess_send_err(sess *s, uint64_t id, int err, const char *msg);
void sess_send_errf(sess *s, uint64_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void sess_send_ok(sess *s, uint64_t id);

void sess_queue(sess *s, struct frame *f); /* takes a reference */
struct frame *sess_pop(sess *s);           /* returns the queue's reference */
void sess_queue_clear(sess *s);

#endif

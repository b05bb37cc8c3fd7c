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
 * thread.  A frame over NET_WRITE_CHUNK goes as fragments of that size,
 * each copied behind headroom of our own (a fragment's header would land
 * on the shared bytes before it).
 *
 * Queues are bounded in bytes, per connection: a session's unsent bytes
 * are what its queue holds (every frame counted whole, shared or not) plus
 * what lws kept of its last write (lws copies the part of a frame the
 * kernel did not take, and sends it before calling the writeable callback
 * again).  When they would pass the session's cap (net's queue_cap; the
 * smaller spectator_cap for a spectator), or the queue would hold more than
 * NET_QUEUE_MAX_FRAMES frames, the session is closed with 4008 at once: its
 * queue is dropped there and then, the close frame written if lws holds
 * nothing of an earlier write, and the next tick ends the connection
 * (sess_tick, with LWS_TO_KILL_SYNC; see kill_at in session.c for why not
 * lws's own timer), without waiting for the socket to drain.  A frame larger than the cap still goes to a session with nothing
 * unsent.  The client does not read, so a writeable callback would never
 * come for that close frame: it is written at once.
 * Every WebSocket sets TCP_NOTSENT_LOWAT (ws.c): Linux then says the socket
 * is writable while less than half of it is unsent, and takes writes while
 * less than all of it is.  A piece (a frame or fragment of at most
 * NET_WRITE_CHUNK, under half of it) written when the socket is writable
 * is taken whole, so lws keeps nothing, the kernel holds little beyond what
 * the client has read, and there is room left for the close frame; a
 * client that stops reading leaves its backlog in our queue, where the cap
 * sees it.
 *
 * The writes: a frame queued to a session with nothing else unsent goes to
 * the kernel at once when the socket is writable (one poll, then the
 * write), so a fast client costs no writeable callback per frame (each
 * turns POLLOUT on and off in the loop: two epoll_ctl and a wakeup); the
 * rest of a fragmented frame, and frames queued behind unsent bytes, are
 * written by sess_on_writeable from lws's writeable callback.  A close that
 * sends the queue first (flush) waits at most NET_CLOSE_FLUSH_S for a
 * client that does not read, then the tick ends the connection.
 *
 * Each tick (sess_tick) ends the connections due, reports the sessions
 * closed as too slow since the last one, in one line however many there
 * were (each one at debug level), and gives memory back: closing sessions (slow ones by the hundred) leaves
 * glibc holding the freed heap, so after NET_TRIM_CLOSES closes, at most
 * every NET_TRIM_EVERY_MS, malloc_trim returns it to the system (it walks
 * the heap: tens of ms on a big one, so not for the everyday coming and
 * going of spectators' phones).
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
/*
 * Default caps on a session's unsent bytes (main.c's --queue-kib and
 * --spectator-queue-kib).  A whole marathon's snapshot is about 12 MB,
 * which officials and desks may ask for (limit 0); a spectator's window is
 * at most NET_SPECTATOR_ROWS rows (about 650 KB at 1000 finished rows).
 */
#define NET_QUEUE_CAP_DEFAULT (64u << 20)
#define NET_SPECTATOR_CAP_DEFAULT (4u << 20)
#define NET_NOTSENT_LOWAT (128u << 10) /* TCP_NOTSENT_LOWAT of every WebSocket */
/* Frames over this go as fragments of this size (at most half of the
 * above, less a close frame; at most lws's 64 KiB per write). */
#define NET_WRITE_CHUNK (32u << 10)
/*
 * lws's buffer for what a client sends, allocated per connection when it
 * becomes a WebSocket: a message longer than this comes in pieces (ws.c
 * gathers them), and a small one touches a page of the buffer, so 64 KiB
 * made each idle connection cost a resident page of its own.  lws also caps
 * one send() at this size unless the protocol names its own (a write over
 * it is copied and sent in later turns): NET_TX_PACKET lets every piece we
 * write (at most NET_WRITE_CHUNK and its header) go in one send().
 */
#define NET_RX_BUFFER 1024
#define NET_TX_PACKET (2 * NET_WRITE_CHUNK)
#define NET_CLOSE_FLUSH_S 10 /* a close that sends the queue first waits this long */
#define NET_TRIM_CLOSES 256     /* sess_tick: closes between two trims, at least */
#define NET_TRIM_EVERY_MS 10000 /* and time between two trims, at least */
#define NET_CLOSE_SLOW 4008
#define NET_CLOSE_REVOKED 4001 /* the session's token was revoked on this node */

struct frame {
	unsigned refs;
	bool text;
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
	struct event *ev; /* the hello's event (a reference), or NULL: none yet, or closed */
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
	size_t qhead, qtail, qcap;
	size_t qbytes;      /* bytes of the frames in q */
	size_t qoff;        /* bytes of q[qhead] already written (its fragments) */
	size_t lws_pending; /* at most this much of the last write is in lws's buffer */

	int close_code;   /* nonzero: closing */
	bool close_flush; /* send the queue first */
	bool close_sent;  /* the close frame went to lws */
	char close_reason[100];

	sl_buf rx;        /* a fragmented message being gathered */
	bool rx_overflow; /* discard until the end of this message, then close */
	size_t rx_discarded;

	struct sess_sub {
		struct topic *t;
		size_t at; /* where s is in t->subs */
	} *subs;           /* topics subscribed to (fanout.c keeps them) */
	size_t nsubs, subcap;
} sess;

/* A new session on wsi, linked into n's list, one reference (lws's). */
sess *sess_new(net *n, struct lws *wsi, enum slp_format fmt);
void sess_unref(sess *s);
/* LWS_CALLBACK_CLOSED: lws is done with wsi; unlinks s and drops lws's
 * reference.  Its subscriptions must be gone (fanout_drop_sess). */
void sess_closed(sess *s);
/*
 * Start closing: code and reason.  flush: send the queue first, then the
 * close frame, from the writeable callback.  Else the queue goes at once,
 * and so does the connection (see above).
 */
void sess_close(sess *s, int code, const char *reason, bool flush);
/* Bytes queued for s and not yet taken by the kernel (an upper bound). */
size_t sess_unsent(const sess *s);
/* The cap on sess_unsent for s's role. */
size_t sess_cap(const sess *s);
/*
 * From the tick: end the connections due (sess_close's), report slow
 * closes, give memory back after many closes.
 */
void sess_tick(net *n);
/* A connection to end: s (a reference held) at or after at_ms (uv_now). */
struct sess_kill {
	sess *s;
	uint64_t at_ms;
};
/* net_free, after lws closed every connection: drop the kill list's references. */
void sess_kills_release(net *n);
/* LWS_CALLBACK_SERVER_WRITEABLE: 0, or -1 to have lws close the connection. */
int sess_on_writeable(sess *s, struct lws *wsi);

/* Queue a message built as msgpack (transcoded for a JSON session). */
void sess_send_mp(sess *s, const char *mp, size_t len);
void sess_send_err(sess *s, uint64_t id, int err, const char *msg);
void sess_send_errf(sess *s, uint64_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void sess_send_ok(sess *s, uint64_t id);

void sess_queue(sess *s, struct frame *f); /* takes a reference */
struct frame *sess_pop(sess *s);           /* returns the queue's reference */
void sess_queue_clear(sess *s);

#endif

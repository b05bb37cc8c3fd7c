/*
 * net_int.h: what the files of server/net/ share.
 *
 *   net.c     the lws context on the foreign loop, HTTP, lifecycle
 *   ws.c      WebSocket sessions: receive, decode, dispatch, replies
 *   fanout.c  refcounted frames, outbound queues, topics and the tick
 *
 * Sessions (struct sess) are heap objects with a reference count, not lws's
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
 */
#ifndef SL_NET_INT_H
#define SL_NET_INT_H

#include <libwebsockets.h>
#include <stdbool.h>

#include "net/net.h"
#include "slp.h"

#define NET_QUEUE_MAX_FRAMES 512
#define NET_QUEUE_MAX_BYTES (8u << 20)
/* Snapshots of a whole marathon run to 12 MB; frames are shared by every
 * subscriber, so they are bounded per session by count, not by bytes. */
#define NET_QUEUE_MAX_BULK 8
#define NET_MAX_SUBS 64
#define ACCEPT_RETRY_MS 100 /* out of descriptors: try accepting again after */
#define NET_CLOSE_SLOW 4008
#define NET_CLOSE_REVOKED 4001 /* the session's token was revoked on this node */

/* desk and scanner are not above or below the others: ws.c's message table
 * lists the roles each message allows. */
enum role {
	ROLE_NONE = -1,
	ROLE_SPECTATOR = 0,
	ROLE_READER,
	ROLE_OFFICIAL,
	ROLE_ADMIN,
	ROLE_DESK,
	ROLE_SCANNER
};
#define ROLE_LAST ROLE_SCANNER
const char *net_role_name(int role);
int net_role_parse(const char *s, size_t n); /* role or ROLE_NONE */
/* NULL when role (with its device, or NULL) may follow topic, else why not. */
const char *net_topic_denied(int role, const char *device, const char *topic, size_t tn);

struct frame {
	unsigned refs;
	bool text;
	bool bulk; /* a snapshot: bounded by count (NET_QUEUE_MAX_BULK), not bytes */
	size_t len;
	unsigned char buf[]; /* LWS_PRE headroom, then len bytes */
};
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
	int role;         /* ROLE_NONE until hello */
	char *device;     /* the device this session writes as, or NULL: none */
	bool srv_seq;     /* device is an official's own: the server numbers it */
	char *point;      /* a scanner token's timing point, or NULL */
	char tokhash[65]; /* sha256 of a Redis token ("" for none or the admin file's) */

	struct frame **q; /* outbound queue: q[qhead..qtail) */
	size_t qhead, qtail, qcap, qbytes, qbulk;

	int close_code; /* nonzero: closing */
	bool close_flush; /* send the queue first */
	char close_reason[100];

	sl_buf rx;        /* a fragmented message being gathered */
	bool rx_overflow; /* discard until the end of this message, then close */
	size_t rx_discarded;

	struct topic **subs; /* topics subscribed to */
	size_t nsubs, subcap;
} sess;

struct topic {
	char *name;
	size_t len;
	size_t offset, limit; /* the key is (name, offset, limit) */
	sess **subs;
	size_t nsubs, cap;
	bool need_snapshot; /* subscribers waiting for a snapshot */
	uint64_t snap_id;   /* id of the first subscribe, for errors */
	sess *snap_sess;
};

struct net {
	uv_loop_t *loop;
	core *core;
	evlog *log;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	char *listen;
	int port;
	char *web_root;
	char *admin_hash;
	struct lws_http_mount *mounts; /* three, owned */

	sess sessions; /* list sentinel */
	size_t nsessions;

	struct topic **topics;
	size_t ntopics, tcap;

	/* our listening socket: lws serves the connections it accepts */
	int lfd;
	uv_poll_t lpoll;
	bool listening;     /* lpoll is open */
	bool timers_closed; /* net_destroy closed tick and grace */
	bool emfile_logged;
	bool accept_paused;      /* out of descriptors: lpoll stopped a while */
	uv_timer_t accept_retry; /* then polls again */
	long nofile;             /* the open-file limit (for /health) */

	uv_timer_t tick;
	uint32_t tick_ms;
	uint64_t seen_records;
	bool was_caught_up;

	bool shutting_down;
	uv_timer_t grace;
	void (*on_drained)(void *);
	void *drained_ctx;
	int open_handles;
};

/* net.c */
void net__maybe_drained(net *n);

/* ws.c */
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);
void sess_unref(sess *s);
/* Queue a message built as msgpack (transcoded for a JSON session). */
void sess_send_mp(sess *s, const char *mp, size_t len);
/* Same; bulk marks a snapshot (queue bound by count, not bytes). */
void sess_send_mp_bulk(sess *s, const char *mp, size_t len, bool bulk);
void sess_send_err(sess *s, uint64_t id, int err, const char *msg);
/* Start closing: code and reason; flush sends the queue first. */
void sess_close(sess *s, int code, const char *reason, bool flush);

/* fanout.c */
void sess_queue(sess *s, struct frame *f); /* takes a reference */
struct frame *sess_pop(sess *s);
void sess_queue_clear(sess *s);
int fanout_subscribe(net *n, sess *s, uint64_t id, const char *topic, size_t len,
		     size_t offset, size_t limit);
void fanout_unsubscribe(net *n, sess *s, const char *topic, size_t len);
/* Drop the subscriptions s's role and device may no longer follow. */
void fanout_drop_denied(net *n, sess *s);
void fanout_drop_sess(net *n, sess *s);
void fanout_tick(net *n);
void fanout_free(net *n);

#endif

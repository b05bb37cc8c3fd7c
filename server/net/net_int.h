/*
 * net_int.h: what the files of server/net share.
 *
 *   net.c        the lws context on the foreign loop, listening, lifecycle
 *   http.c       HTTP: routes, exports, each event's routes and pages
 *   ws.c         /ws: receive, decode, check the role, dispatch (a table)
 *   session.c    sessions: refcount, frames, outbound queue, send, close
 *   roles.c      who may send what, follow which topic (pure)
 *   fanout.c     topics and the tick
 *   request.c    requests waiting for Redis, writes through the log
 *   h_session.c  hello, subscribe, unsubscribe
 *   h_input.c    passings (device input)
 *   h_checkin.c  checkins, checkin_undo
 *   h_official.c participants, wave_start, event_create, adjust,
 *                race_official, lineup, read_void
 *   h_token.c    token_issue, token_revoke, token hashes
 *   door.c       the front door (door.h)
 *   export_cache.c  the HTTP exports, encoded off the loop and shared
 *   event.c      the events this node holds: loaded on first use, unloaded
 *                when idle; the registry of the deployment's events
 *
 * Calls go one way only: net.c to http.c, event.c, ws.c, session.c and
 * door.c; http.c to event.c and export_cache.c (which calls nothing of
 * server/net);
 * ws.c to the handlers (h_*.c), event.c, fanout.c, roles.c, session.c and
 * door.c; the handlers to request.c, fanout.c, roles.c and session.c
 * (h_checkin.c also to h_official.c, h_session.c to h_token.c and
 * event.c); request.c to fanout.c, roles.c and session.c; event.c to
 * fanout.c and export_cache.c; fanout.c to session.c and roles.c;
 * session.c, roles.c and door.c to nothing of server/net.
 *
 * Ownership of sessions and frames: session.h.
 */
#ifndef SL_NET_INT_H
#define SL_NET_INT_H

#include <libwebsockets.h>
#include <stdbool.h>

#include "net/net.h"
#include "net/roles.h"
#include "net/session.h"
#include "slp.h"
#include "store/registry.h"

#define NET_MAX_SUBS 64
#define NET_SCORE_SUBS_MAX 8 /* of them teams/, awards/, series/ (score_topics.c) */
/*
 * A delta over NET_DELTA_MAX bytes (msgpack) is replaced by the topic's
 * snapshot when that is smaller: a delta carries every changed row of the
 * topic, whatever the window (a busy tick of a marathon: hundreds of KB),
 * while a window's snapshot is bounded by its limit.
 */
#define NET_DELTA_MAX (64u << 10)
#define ACCEPT_RETRY_MS 100 /* out of descriptors: try accepting again after */
#define EV_LIST_MS 2000     /* the registry's list is read again after */
#define EV_SUMMARY_MS 1000  /* an event's summary is written at most this often */

/*
 * Topics (fanout.c).  A chan is one topic name; its windows (struct topic)
 * are the (offset, limit) its subscribers asked for: a snapshot depends on
 * the window, a delta does not, so a tick encodes one delta per chan and
 * shares its frames between the windows.  Links between topics and
 * sessions know their place on the other side, so an unsubscribe or a
 * close costs the same however many subscribers a topic has.
 */
struct topic_sub {
	sess *s;
	size_t at; /* where the topic is in s->subs */
};

struct chan {
	char *name; /* owned */
	size_t len;
	uint64_t h;          /* hash of the name */
	struct fan *f;       /* the event's fan-out it belongs to */
	struct chan *hnext;  /* f's chan table */
	bool athlete;        /* athlete/<bib>: ticked by the change set */
	size_t at;           /* index in f->chans[athlete] */
	struct topic **wins; /* its windows */
	size_t nwins, wcap;
};

struct topic {
	struct chan *c;
	size_t at; /* index in c->wins */
	size_t offset, limit;
	struct topic_sub *subs;
	size_t nsubs, cap;
	bool need_snapshot; /* subscribers waiting for a snapshot */
	size_t snap_len;    /* bytes of the last snapshot encoded (msgpack) */
};

/*
 * One event's fan-out (fanout.c): its core and log (borrowed from its
 * struct event) and the chans its sessions follow.
 */
struct chan_list {
	struct chan **v;
	size_t n, cap;
};

struct fan {
	core *core;
	evlog *log;
	struct chan_list chans[2]; /* one per topic name followed; [1]: athlete/<bib> */
	size_t snap_waiting;       /* windows subscribed before the tail caught up */
	struct chan **chash;       /* by name: chained, nchash a power of two */
	size_t nchash;
	size_t ntopics; /* windows, of every chan */
	uint64_t seen_records;
	bool was_caught_up;
};

/*
 * A parked request (a hello, an HTTP export) waiting for its event: until
 * the event's store is up (a token lookup) or its tail has caught up (an
 * export), or until `until` (then err SL_EUNAVAIL).  Run from the tick.
 */
struct ev_wait {
	struct ev_wait *next;
	bool need_caught_up;
	uint64_t until_ms;
	void (*fn)(struct ev_wait *w, int err);
};

/* One event held by this node (event.c). */
struct event {
	struct event *next; /* net's list */
	net *n;
	char id[65];
	core *core;        /* owned */
	evlog *log;        /* owned */
	struct xcache *xc; /* owned */
	struct fan fan;
	size_t refs;          /* sessions bound to it and requests holding it */
	uint64_t idle_since;  /* ms (uv_now) when refs went to 0 */
	bool pinned;          /* the --event of a single-event node: never unloaded */
	bool closing;         /* unloading: its log is closing */
	struct ev_wait *waits;
	sl_buf summary;       /* the summary last written to the registry (msgpack) */
	uint64_t summary_records, summary_at;
};

struct net {
	uv_loop_t *loop;
	struct event *events; /* loaded, a list */
	size_t nevents;
	char *only;           /* --event: the one event this node serves, or NULL */
	struct evlog_opts store; /* for each event's log (event copied per event) */
	cluster *cl;             /* the store: one Redis or a Redis Cluster */
	uint32_t event_idle_ms;
	registry *reg;
	/* the registry's hashes, as last read (every EV_LIST_MS): the events'
	 * summaries (msgpack, core_summary) and the series' documents */
	struct ev_listing {
		struct ev_listed {
			char *id;  /* owned */
			sl_buf mp; /* the value */
		} *v;
		size_t n;
		bool busy;
	} listed, series;
	uint64_t listed_at; /* when last asked for (ms) */
	size_t closing_events; /* events whose log is closing */
	sl_close_req events_closing; /* events_close */
	struct sgroup *sgroups; /* the score topics followed (score_topics.c) */
	struct lws_context *ctx;
	struct lws_vhost *vh;
	char *listen;
	int port;
	char *web_root;
	char *admin_hash;
	struct lws_http_mount *mounts; /* three, owned */

	sess sessions; /* list sentinel */
	size_t nsessions;
	size_t queue_cap, spectator_cap; /* caps on a session's unsent bytes */
	size_t closes_since_trim;        /* sess_tick */
	uint64_t last_trim_ms;
	size_t slow_closed, slow_max_unsent; /* since the last tick's report */
	struct sess_kill *kills;             /* connections to end (session.c) */
	size_t nkills, kcap;

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

	sl_close_req drain; /* net_shutdown: on, and on_drained */
	uv_timer_t grace;
	int open_handles;
};

/* http.c */
extern const size_t http_pss_size; /* lws's per-connection data of the "http" protocol */
int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len);

/* scores.c: awards, teams and series over HTTP (score.h) */
struct series_cfg;
bool scores_path(const char *uri); /* /api/awards/<race>.json|txt or /api/teams/... */
unsigned scores_route(const struct event *e, const char *uri, sl_buf *b, const char **ctype);
void scores_series_list(net *n, sl_buf *b);
int scores_series_cfg(net *n, const char *id, struct series_cfg *cfg, char *err, size_t errlen);
unsigned scores_series(net *n, const char *id, bool csv, sl_buf *b, const char **ctype);

/* scores.c: the maps of the HTTP routes and the score topics */
int scores_pack_awards(const struct event *e, const char *race, msgpack_packer *pk);
int scores_pack_teams(const struct event *e, const char *race, msgpack_packer *pk);
/* csv NULL: the map into pk; else the CSV into csv.  SL_ENOENT: no such series. */
int scores_pack_series(net *n, const char *id, msgpack_packer *pk, sl_buf *csv, char *err,
		       size_t errlen);

/* score_topics.c: teams/<race>, awards/<race>, series/<id> */
bool score_topic(const char *topic, size_t tn);
int score_subscribe(net *n, sess *s, uint64_t id, const char *topic, size_t tn);
void score_unsubscribe(net *n, sess *s, const char *topic, size_t tn);
void score_drop_sess(net *n, sess *s);
void score_tick(net *n);
void score_free(net *n);

/* ws.c */
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);

/* fanout.c */
/* limit: the window granted; asked: the client's limit (the ok says what
 * was granted when they differ). */
int fanout_subscribe(struct fan *f, sess *s, uint64_t id, const char *topic, size_t len,
		     size_t offset, size_t limit, size_t asked);
void fanout_unsubscribe(sess *s, const char *topic, size_t len);
/* Drop the subscriptions s's role and device may no longer follow. */
void fanout_drop_denied(sess *s);
void fanout_drop_sess(sess *s);
void fanout_tick(struct fan *f);
void fanout_free(struct fan *f);

/* event.c */
struct event *event_find(net *n, const char *id, size_t len);
/* Load an event (its snapshot, then its log's tail), or NULL when the node
 * is stopping. */
struct event *event_load(net *n, const char *id, size_t len);
void event_ref(struct event *e);
void event_unref(struct event *e);
/* Held here, or loaded when the registry lists it (never on a node with --event): or NULL. */
struct event *event_get(net *n, const char *id, size_t len);
/* Each of ids that event_get finds, with a reference: into *out (owned), how many. */
size_t events_hold(net *n, char *const *ids, size_t nids, struct event ***out);
void events_release(struct event **v, size_t nv);
/* Park w until e is up (or caught up); w->fn runs from a later tick. */
void event_wait(struct event *e, struct ev_wait *w, uint32_t timeout_ms);
void event_wait_cancel(struct event *e, struct ev_wait *w);
/* Bind s to e (dropping what it followed of another event). */
void event_bind(sess *s, struct event *e);
/* The tick: fan-out, parked requests, idle events, registry summaries. */
void events_tick(net *n);
/* /api/events.json (the registry's list, loaded events fresher). */
void events_listing(net *n, sl_buf *b);
/* An entry of a listing by id, or NULL. */
struct ev_listed *listing_find(struct ev_listing *l, const char *id, size_t len);
/* Set id's value in l (a series put on this node, before the next read). */
void listing_put(struct ev_listing *l, const char *id, const char *val, size_t len);
/* Shutdown: close every event's log (last snapshots); done runs once all are. */
void events_close(net *n, void (*done)(void *ctx), void *ctx);
void events_free(net *n);

#endif

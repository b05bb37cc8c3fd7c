/*
 * net.c: the lws context on our libuv loop, listening, the fan-out tick
 * timer and the shutdown sequence.
 *
 * lws runs on a foreign loop: LWS_SERVER_OPTION_LIBUV with foreign_loops
 * pointing at our uv_loop_t (the libuv event-lib plugin is loaded by lws at
 * run time).  lws never runs or stops the loop; destroying the context only
 * starts closing lws's handles, so the loop must run on until they are
 * closed.  info.pcontext makes lws clear n->ctx once it is fully gone.
 *
 * HTTP: http.c (the routes, the exports, each event's routes and pages).
 *
 * Listening: the socket is ours, not lws's: bound (with SO_REUSEPORT when
 * asked, so that one node per core can share the port and the kernel spreads
 * connections over them; lws 4.1 does not set it for us) and accepted on a
 * uv_poll_t; each accepted connection is handed to lws
 * (lws_adopt_socket_vhost), which serves HTTP and WebSocket on it as if it
 * had accepted it itself.  The vhost itself listens on nothing.
 *
 * Shutdown: net_shutdown() stops accepting and the tick, and closes every
 * session with 1001 (queued replies first); once none is left or after a
 * grace time, every event's log is closed (a last snapshot each), then the
 * registry's connection; on_drained runs then, from a callback (never
 * inside an lws callback).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/door.h"
#include "net/net_int.h"

#define GRACE_MS 2000

/* ---- lws setup ----------------------------------------------------------- */

static void maybe_drained(net *n);

/* /ws is ws.c's; during a shutdown, the session that closed may be the last. */
static int on_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		 size_t len)
{
	int rc = ws_callback(wsi, reason, user, in, len);

	if (reason == LWS_CALLBACK_CLOSED)
		maybe_drained(lws_context_user(lws_get_context(wsi)));
	return rc;
}

/* protocols[0]'s session size is http.c's (http_pss_size), set by net_new */
static struct lws_protocols protocols[] = {
	{"http", http_callback, 0, 0, 0, NULL, 0},
	{"splitline.v1.msgpack", on_ws, sizeof(sess *), NET_RX_BUFFER, 1, NULL, NET_TX_PACKET},
	{"splitline.v1.json", on_ws, sizeof(sess *), NET_RX_BUFFER, 2, NULL, NET_TX_PACKET},
	{NULL, NULL, 0, 0, 0, NULL, 0}};

/* Extra MIME types of static files: a list lws walks through .next. */
#define MIME(next, ext, type)                                                                      \
	{                                                                                          \
		next, NULL, ext, type                                                              \
	}
static const struct lws_protocol_vhost_options mimes[] = {
	MIME(&mimes[1], ".json", "application/json"),
	MIME(&mimes[2], ".svg", "image/svg+xml"),
	MIME(&mimes[3], ".js", "text/javascript"),
	MIME(&mimes[4], ".mjs", "text/javascript"),
	MIME(&mimes[5], ".map", "application/json"),
	MIME(&mimes[6], ".webmanifest", "application/manifest+json"),
	MIME(&mimes[7], ".webp", "image/webp"),
	MIME(&mimes[8], ".wasm", "application/wasm"),
	MIME(NULL, ".csv", "text/csv"),
};

static void lws_emit(int level, const char *line)
{
	size_t n = strlen(line);
	int sl = level & LLL_ERR ? SL_LOG_ERROR : level & LLL_WARN ? SL_LOG_WARN : SL_LOG_DEBUG;

	/* lws prefixes a timestamp and ends with a newline */
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	sl_log(sl, "lws: %.*s", (int)n, line);
}

static void on_tick(uv_timer_t *t)
{
	net *n = t->data;

	if (!n->drain.on) {
		sess_tick(n);
		events_tick(n);
		score_tick(n);
	}
}

/* ---- listening ------------------------------------------------------ */

/* A listening socket on addr:port: fd, or -1 with err set. */
static int listen_open(const char *addr, int port, bool reuse_port, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char ps[16];
	int fd = -1, one = 1, rc;

	snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(addr, ps, &hints, &ai)) != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
		snprintf(err, errlen, "%s%s", strerror(errno),
			 errno == EADDRINUSE && !reuse_port
				 ? " (another node on this port? give every node --reuse-port yes)"
				 : "");
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void on_accept(uv_poll_t *h, int status, int events);

/* A frame broke RFC 6455 (door.c): its session closes with 1002. */
static void on_door_violation(void *owner, const char *reason)
{
	sl_info("%s: %s: closing with 1002", ((sess *)owner)->peer, reason);
	sess_close(owner, LWS_CLOSE_STATUS_PROTOCOL_ERR, reason, true); /* replies first */
}

/* Out of descriptors a while ago: listen again (the backlog waited). */
static void on_accept_retry(uv_timer_t *t)
{
	net *n = t->data;

	if (n->listening && n->accept_paused) {
		n->accept_paused = false;
		uv_poll_start(&n->lpoll, UV_READABLE, on_accept);
	}
}

static void on_accept(uv_poll_t *h, int status, int events)
{
	net *n = h->data;
	(void)events;
	if (status < 0)
		return;
	for (;;) {
		int fd = accept4(n->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/*
				 * Out of descriptors: the listening socket stays
				 * readable, so polling it now would spin a core.
				 * Stop, and look again after a pause (a
				 * descriptor frees when a client leaves); the
				 * kernel's backlog holds the waiting clients.
				 */
				if (!n->emfile_logged)
					sl_warn("cannot accept connections: %s (limit %ld open "
						"files); pausing",
						strerror(errno), n->nofile);
				n->emfile_logged = true;
				n->accept_paused = true;
				uv_poll_stop(&n->lpoll);
				uv_timer_start(&n->accept_retry, on_accept_retry, ACCEPT_RETRY_MS,
					       0);
			}
			return;
		}
		if (n->emfile_logged)
			sl_info("accepting connections again");
		n->emfile_logged = false;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		door_accept(fd);                        /* before lws reads a byte of it */
		if (!lws_adopt_socket_vhost(n->vh, fd)) /* closes fd on failure */
			sl_warn("cannot take a connection: lws refused it");
	}
}

static void on_lpoll_closed(uv_handle_t *h)
{
	net *n = h->data;
	close(n->lfd);
	n->lfd = -1;
	n->open_handles--;
}

static void listen_close(net *n)
{
	if (!n->listening)
		return;
	n->listening = false;
	uv_poll_stop(&n->lpoll);
	uv_close((uv_handle_t *)&n->lpoll, on_lpoll_closed);
}

/* A mount of http.c's callback at point. */
static void mount_http(struct lws_http_mount *m, const char *point, struct lws_http_mount *next)
{
	m->mountpoint = point;
	m->mountpoint_len = (unsigned char)strlen(point);
	m->origin = "http";
	m->origin_protocol = LWSMPRO_CALLBACK;
	m->mount_next = next;
}

/*
 * The vhost's mounts (they live as long as it: kept in n): the web root's
 * files at /, with index.html (a single-event node) or directory.html as
 * the default; /api, /health and /e/ go to http.c's callback.
 */
static void mounts_new(net *n)
{
	struct lws_http_mount *m_files, *m_api, *m_health, *m_pages;

	m_files = sl_calloc(4, sizeof(*m_files));
	m_api = m_files + 1;
	m_health = m_files + 2;
	m_pages = m_files + 3;
	m_files->mountpoint = "/";
	m_files->mountpoint_len = 1;
	m_files->origin = n->web_root;
	m_files->def = n->only ? "index.html" : "directory.html";
	m_files->origin_protocol = LWSMPRO_FILE;
	m_files->extra_mimetypes = mimes;
	m_files->mount_next = m_api;
	mount_http(m_api, "/api", m_health);
	mount_http(m_health, "/health", m_pages);
	mount_http(m_pages, "/e", NULL);
	n->mounts = m_files;
}

net *net_new(uv_loop_t *loop, const struct net_opts *o)
{
	net *n = sl_calloc(1, sizeof(*n));
	struct lws_context_creation_info info;
	void *loops[1] = {loop};
	int lv = LLL_ERR | LLL_WARN;

	if (sl_log_level >= SL_LOG_DEBUG)
		lv |= LLL_NOTICE;
	lws_set_log_level(lv, lws_emit);

	n->loop = loop;
	n->only = o->only ? sl_strdup(o->only) : NULL;
	n->store = o->store;
	n->store.event = NULL;
	n->event_idle_ms = o->event_idle_ms ? o->event_idle_ms : 600000;
	n->listen = sl_strdup(o->listen);
	n->port = o->port;
	n->web_root = sl_strdup(o->web_root);
	n->admin_hash = o->admin_hash ? sl_strdup(o->admin_hash) : NULL;
	n->tick_ms = o->tick_ms;
	n->nofile = o->nofile;
	n->queue_cap = o->queue_cap ? o->queue_cap : NET_QUEUE_CAP_DEFAULT;
	n->spectator_cap = o->spectator_cap ? o->spectator_cap : NET_SPECTATOR_CAP_DEFAULT;
	n->sessions.next = n->sessions.prev = &n->sessions;
	protocols[0].per_session_data_size = http_pss_size;

	door_init(on_door_violation);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	/* room for any head the door lets through (it answers 431 above) */
	info.max_http_header_data = DOOR_HEAD_MAX + 4096;
	info.foreign_loops = loops;
	info.user = n;
	info.pcontext = &n->ctx;
	n->ctx = lws_create_context(&info);
	if (!n->ctx) {
		sl_error("cannot create the websocket context (is libwebsockets-evlib-uv "
			 "installed?)");
		goto fail;
	}

	mounts_new(n);

	memset(&info, 0, sizeof(info));
	info.vhost_name = "splitline";
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* connections come from on_accept */
	info.protocols = protocols;
	info.mounts = n->mounts;
	n->vh = lws_create_vhost(n->ctx, &info);
	if (!n->vh) {
		sl_error("cannot create the web server (lws vhost)");
		goto fail;
	}
	char lerr[256];
	n->lfd = listen_open(o->listen, o->port, o->reuse_port, lerr, sizeof(lerr));
	if (n->lfd < 0) {
		sl_error("cannot listen on %s:%d: %s", o->listen, o->port, lerr);
		goto fail;
	}

	uv_timer_init(loop, &n->tick);
	uv_timer_init(loop, &n->grace);
	uv_timer_init(loop, &n->accept_retry);
	uv_poll_init(loop, &n->lpoll, n->lfd);
	n->tick.data = n;
	n->grace.data = n;
	n->accept_retry.data = n;
	n->lpoll.data = n;
	n->open_handles = 4;
	n->listening = true;
	uv_poll_start(&n->lpoll, UV_READABLE, on_accept);
	uv_timer_start(&n->tick, on_tick, o->tick_ms, o->tick_ms);
	/* only now: a registry made before a failure above would leave handles open */
	struct cluster_opts co = {.addrs = o->redis, .timeout_ms = o->store.timeout_ms};
	n->cl = cluster_new(loop, &co);
	n->store.cl = n->cl;
	cluster_start(n->cl);
	n->reg = registry_new(n->cl);
	if (n->only)
		event_load(n, n->only, strlen(n->only)); /* pinned */
	sl_info("listening on http://%s:%d", o->listen, o->port);
	return n;
fail:
	if (n->ctx) {
		/*
		 * Nothing else runs yet: let the loop run until lws has closed
		 * its handles, then finish the destruction (pcontext clears
		 * n->ctx once it is complete).
		 */
		lws_context_destroy(n->ctx);
		uv_run(loop, UV_RUN_DEFAULT);
		if (n->ctx)
			lws_context_destroy(n->ctx);
	}
	SL_FREE_MANY(n->mounts, n->listen, n->web_root, n->admin_hash, n->only, n);
	return NULL;
}

static void on_store_closed(void *ctx)
{
	net *n = ctx;

	sl_close_done(&n->drain);
}

/* Last: the events' final snapshots and in-flight commands went through it. */
static void on_events_closed(void *ctx)
{
	net *n = ctx;

	cluster_close(n->cl, on_store_closed, n);
}

static void on_grace(uv_timer_t *t)
{
	net *n = t->data;
	if (n->drain.done && !n->events_closing.on) {
		if (n->nsessions)
			sl_info("%zu connections did not close in time", n->nsessions);
		events_close(n, on_events_closed, n); /* last snapshots */
	}
}

static void maybe_drained(net *n)
{
	if (n->drain.on && n->nsessions == 0 && n->drain.done)
		uv_timer_start(&n->grace, on_grace, 0, 0);
}

void net_shutdown(net *n, void (*on_drained)(void *ctx), void *ctx)
{
	if (!sl_close_begin(&n->drain, on_drained, ctx))
		return;
	listen_close(n); /* no new connections while the others drain */
	uv_timer_stop(&n->tick);
	for (sess *s = n->sessions.next; s != &n->sessions; s = s->next)
		sess_close(s, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down", true);
	uv_timer_start(&n->grace, on_grace, GRACE_MS, 0);
	maybe_drained(n);
}

static void on_handle_closed(uv_handle_t *h)
{
	net *n = h->data;

	n->open_handles--;
}

void net_destroy(net *n)
{
	listen_close(n);
	if (!n->timers_closed) {
		n->timers_closed = true;
		uv_close((uv_handle_t *)&n->tick, on_handle_closed);
		uv_close((uv_handle_t *)&n->grace, on_handle_closed);
		uv_close((uv_handle_t *)&n->accept_retry, on_handle_closed);
	}
	if (n->ctx)
		lws_context_destroy(n->ctx); /* the loop runs on while lws closes */
}

void net_free(net *n)
{
	if (!n)
		return;
	if (n->ctx)
		lws_context_destroy(n->ctx);
	sess_kills_release(n);
	for (sess *s = n->sessions.next; s != &n->sessions; s = s->next)
		fanout_drop_sess(s);
	score_free(n);
	events_free(n);
	registry_free(n->reg);
	cluster_free(n->cl);
	door_free();
	free(n->mounts);
	free(n->listen);
	free(n->web_root);
	free(n->admin_hash);
	free(n->only);
	free(n);
}

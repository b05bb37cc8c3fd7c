/*
 * net.c: the lws context on our libuv loop, the HTTP routes, the fan-out
 * tick timer and the shutdown sequence.
 *
 * lws runs on a foreign loop: LWS_SERVER_OPTION_LIBUV with foreign_loops
 * pointing at our uv_loop_t (the libuv event-lib plugin is loaded by lws at
 * run time).  lws never runs or stops the loop; destroying the context only
 * starts closing lws's handles, so the loop must run on until they are
 * closed.  info.pcontext makes lws clear n->ctx once it is fully gone.
 *
 * HTTP: mounts send /api and /health to the "http" protocol callback below,
 * everything else to the static-file mount on the web root.  Bodies are
 * built whole, then written in chunks from the writeable callback, one
 * chunk per callback, as the socket takes them; a client that takes none
 * for HTTP_STALL_S seconds is closed.  The results exports are the export
 * cache's shared bodies (export_cache.h): a request holds a reference to
 * one, and when none as new as the core exists yet, it waits (no headers
 * sent) until the cache calls on_export_ready, then answers from the
 * writeable callback: 200 with the plain or gzip body and its ETag, or 304
 * when If-None-Match names that ETag.  The printouts (PDF, XLSX) are
 * exports too, never gzip, with a Content-Disposition; export_req.c says
 * which path is which export, and the loop checks that the race (and a
 * certificate's finisher) exists before the cache keeps an entry for it.
 *
 * Listening: the socket is ours, not lws's: bound (with SO_REUSEPORT when
 * asked, so that one node per core can share the port and the kernel spreads
 * connections over them; lws 4.1 does not set it for us) and accepted on a
 * uv_poll_t; each accepted connection is handed to lws
 * (lws_adopt_socket_vhost), which serves HTTP and WebSocket on it as if it
 * had accepted it itself.  The vhost itself listens on nothing.
 *
 * Events: /api/events.json lists the deployment's events (event.c);
 * /api/events/<event>/<route> is <route> of that event (health, the
 * exports, unknown.json), loading it first when this node does not hold it
 * yet and its log exists (the registry's list says so): the request then
 * waits, holding the event, until its tail has caught up.  Today's
 * /health and /api/... routes are the --event's on a single-event node.
 * /e/<event>/<page> is the web root's <page> (index.html for none), so
 * that each event's pages have addresses of their own; `/` is
 * directory.html on a node of many events.
 *
 * Shutdown: net_shutdown() stops accepting and the tick, and closes every
 * session with 1001 (queued replies first); once none is left or after a
 * grace time, every event's log is closed (a last snapshot each), then the
 * registry's connection; on_drained runs then, from a callback (never
 * inside an lws callback).
 */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <ctype.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/door.h"
#include "net/export_cache.h"
#include "net/net_int.h"
#include "slid.h"

#define HTTP_CHUNK 16384
#define HTTP_STALL_S 30 /* a client that takes no byte of a body this long is closed */
#define HTTP_WAIT_S 300 /* no export encode takes this long: close the request */
#define HTTP_LOAD_WAIT_S 60 /* an event loading: answer 503 if its tail has not caught up by then */
#define GRACE_MS 2000

/* One HTTP connection's current request (lws keeps it across keep-alive). */
struct http_pss {
	sl_buf body;         /* our own body (health, errors) */
	struct xc_body *xb;  /* or an export: a reference to a shared body */
	struct xc_wait wait; /* waiting for xb (wait.next set) */
	struct lws *wsi;
	const char *data; /* what is sent: body or one of xb's */
	size_t len, off;
	bool gz;       /* the client accepts gzip */
	bool head_due; /* xb arrived: headers go out from the writeable */
	char *inm;     /* If-None-Match, owned, or NULL */
	struct event *ev;     /* the event asked for (a reference), or NULL */
	struct ev_wait ew;    /* waiting for it to catch up (ew.fn set) */
	bool ev_due;          /* it did (or failed: ev_err): go on from the writeable */
	int ev_err;
	bool is_export;       /* what waits: an export (xr), or route() */
	struct xc_route xr;
	char sub[64];         /* route()'s path within the event */
	struct probe *probe;  /* asking the registry whether the event exists */
	bool probed;          /* it answered (ev_err): event_request once more */
	char path[600];       /* /api/events/<path>, while probed */
};

/* A registry lookup for a request; detached (ps NULL) when the request ends first. */
struct probe {
	struct http_pss *ps;
	char event[72];
};

/* ---- HTTP ---------------------------------------------------------------- */

static void json_error(sl_buf *b, const char *msg)
{
	sl_buf_reset(b);
	sl_buf_adds(b, "{\"error\":");
	/* msg is ours and holds no quote or backslash */
	sl_buf_addf(b, "\"%s\"}\n", msg);
}

static void health(net *n, const struct event *e, sl_buf *b)
{
	bool up = evlog_up(e->log);

	sl_buf_addf(b,
		    "{\"ok\":%s,\"event\":\"%s\",\"redis\":\"%s\",\"records\":%llu,"
		    "\"last_id\":\"%s\",\"caught_up\":%s,\"node\":%ld,"
		    "\"open_files_limit\":%ld,\"accepting\":%s,\"export_encodes\":%llu}\n",
		    up ? "true" : "false", e->id, up ? "up" : "down",
		    (unsigned long long)core_nrecords(e->core), evlog_last_id(e->log),
		    evlog_caught_up(e->log) ? "true" : "false", (long)getpid(), n->nofile,
		    n->accept_paused ? "false" : "true", (unsigned long long)xcache_encodes(e->xc));
}

/* A node of many events: its own state (each event's is at /api/events/<e>/health). */
static void node_health(net *n, sl_buf *b)
{
	bool up = registry_up(n->reg);

	sl_buf_addf(b,
		    "{\"ok\":%s,\"event\":null,\"redis\":\"%s\",\"events_loaded\":%zu,"
		    "\"node\":%ld,\"open_files_limit\":%ld,\"accepting\":%s}\n",
		    up ? "true" : "false", up ? "up" : "down", n->nevents, (long)getpid(),
		    n->nofile, n->accept_paused ? "false" : "true");
}

static int unknown_json(const struct event *e, sl_buf *b)
{
	sl_buf mp = SL_BUF_INIT;
	msgpack_packer pk;
	msgpack_unpacked u;
	const msgpack_object *rows;
	int rc;

	slp_packer_init(&pk, &mp);
	rc = core_topic_snapshot(e->core, "unknown", 7, 0, 0, &pk);
	if (rc < 0)
		goto out;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, mp.data, mp.len, NULL) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP && (rows = slp_get(&u.data, "rows")))
		slp_object_to_json(rows, b);
	else
		sl_buf_adds(b, "[]");
	sl_buf_addc(b, '\n');
	msgpack_unpacked_destroy(&u);
out:
	sl_buf_release(&mp);
	return rc;
}

/*
 * Fill the body of a route other than the exports (of event e, or of the
 * node when e is NULL); returns the HTTP status.
 */
static unsigned route(net *n, const struct event *e, const char *uri, sl_buf *b)
{
	if (strcmp(uri, "/health") == 0) {
		if (e)
			health(n, e, b);
		else
			node_health(n, b);
		return 200;
	}
	if (strcmp(uri, "/api/events.json") == 0) {
		events_listing(n, b);
		return 200;
	}
	if (!e) {
		json_error(b, "not found: this server serves many events; see /api/events.json and "
			      "/api/events/<event>/...");
		return 404;
	}
	if (strcmp(uri, "/api/unknown.json") == 0) {
		if (unknown_json(e, b) < 0) {
			json_error(b, "no unknown reads list");
			return 404;
		}
		return 200;
	}
	json_error(b, "not found");
	return 404;
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
		      unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value, (int)strlen(value), p,
					   end);
}

/* The request is over (sent, or its connection closing): drop what it held. */
static void pss_clear(struct http_pss *ps)
{
	if (ps->ev) {
		if (ps->ew.fn)
			event_wait_cancel(ps->ev, &ps->ew);
		event_unref(ps->ev);
	}
	ps->ev = NULL;
	ps->ew.fn = NULL;
	if (ps->probe)
		ps->probe->ps = NULL; /* its answer is dropped */
	ps->probe = NULL;
	ps->probed = false;
	ps->ev_due = false;
	xcache_cancel(&ps->wait);
	xcache_unref(ps->xb);
	sl_buf_release(&ps->body);
	free(ps->inm);
	ps->xb = NULL;
	ps->inm = NULL;
	ps->data = NULL;
	ps->len = ps->off = 0;
	ps->gz = ps->head_due = false;
}

static int transaction_done(struct lws *wsi, struct http_pss *ps)
{
	pss_clear(ps);
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Send the headers of data[len]; the body follows from the writeable callback. */
static int head_send(struct lws *wsi, struct http_pss *ps, unsigned status, const char *ctype)
{
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start,
					   *end = hdr + sizeof(hdr) - 1;
	const struct xc_body *xb = ps->xb;
	bool ok = xb && xb->status == 200;

	if (lws_add_http_common_headers(wsi, status, ctype, ps->len, &p, end) ||
	    add_header(wsi, "cache-control:", ok ? "no-cache" : "no-store", &p, end) ||
	    (ok && (add_header(wsi, "etag:", ps->gz ? xb->etag_gz : xb->etag, &p, end) ||
		    add_header(wsi, "vary:", "Accept-Encoding", &p, end))) ||
	    (ok && xb->disp[0] && add_header(wsi, "content-disposition:", xb->disp, &p, end)) ||
	    (ok && ps->gz && add_header(wsi, "content-encoding:", "gzip", &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_STALL_S);
	lws_callback_on_writable(wsi);
	return 0;
}

/* An export's answer, once ps->xb is there: 304, or its headers. */
static int export_answer(struct lws *wsi, struct http_pss *ps)
{
	const struct xc_body *xb = ps->xb;

	ps->gz = ps->gz && xb->gz.len > 0; /* PDF and XLSX: never gzip */
	if (xb->status != 200) {
		ps->gz = false;
		ps->data = xb->plain.data;
		ps->len = xb->plain.len;
		return head_send(wsi, ps, xb->status, xb->ctype);
	}
	if (ps->inm && xcache_etag_match(ps->inm, ps->gz ? xb->etag_gz : xb->etag)) {
		unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
						  *end = hdr + sizeof(hdr) - 1;
		if (lws_add_http_header_status(wsi, HTTP_STATUS_NOT_MODIFIED, &p, end) ||
		    add_header(wsi, "etag:", ps->gz ? xb->etag_gz : xb->etag, &p, end) ||
		    add_header(wsi, "vary:", "Accept-Encoding", &p, end) ||
		    add_header(wsi, "cache-control:", "no-cache", &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return 1;
		return transaction_done(wsi, ps);
	}
	ps->data = ps->gz ? xb->gz.data : xb->plain.data;
	ps->len = ps->gz ? xb->gz.len : xb->plain.len;
	return head_send(wsi, ps, 200, xb->ctype);
}

static void on_export_ready(struct xc_wait *w, struct xc_body *b)
{
	struct http_pss *ps = (struct http_pss *)((char *)w - offsetof(struct http_pss, wait));

	ps->xb = b;
	ps->head_due = true;
	lws_callback_on_writable(ps->wsi);
}

/* A copy of a request header, or NULL when absent (owned). */
static char *header_dup(struct lws *wsi, enum lws_token_indexes h)
{
	int l = lws_hdr_total_length(wsi, h);
	char *s;

	if (l <= 0)
		return NULL;
	s = sl_malloc((size_t)l + 1);
	if (lws_hdr_copy(wsi, s, l + 1, h) < 0)
		s[0] = '\0';
	return s;
}

/* An error answer of ours (not an export's body). */
static int error_send(struct lws *wsi, struct http_pss *ps, unsigned status, const char *msg)
{
	json_error(&ps->body, msg);
	ps->data = ps->body.data;
	ps->len = ps->body.len;
	return head_send(wsi, ps, status, "application/json");
}

/*
 * What the loop checks before the cache keeps an entry for a request: the
 * race exists; a certificate's bib is a participant who finished.  NULL,
 * or the error (*status set).
 */
static const char *export_check(const struct event *e, const struct xc_route *r, unsigned *status,
				char *msg, size_t msglen)
{
	struct core_result cr;
	char topic[80];
	int rc;

	*status = 404;
	if (!r->race)
		return NULL;
	snprintf(topic, sizeof(topic), "results/%s", r->race);
	if ((rc = core_topic_check(e->core, topic, strlen(topic))) < 0) {
		*status = rc == SL_ENOENT ? 404 : 500;
		return rc == SL_ENOENT ? "no such race" : "cannot export the race";
	}
	if (r->fmt != XC_CERT)
		return NULL;
	if (core_result(e->core, r->bib, &cr) < 0)
		snprintf(msg, msglen, "no participant has bib '%s'", r->bib);
	else if (strcmp(cr.status, "finished") != 0)
		snprintf(msg, msglen, "bib '%s' has no finish (%s)", r->bib, cr.status);
	else
		return NULL;
	return msg; /* the bib is an id: no quote or backslash */
}

/* GET of an export: answered now from the cache, or once it has encoded. */
static int export_begin(struct event *e, struct lws *wsi, struct http_pss *ps,
			const struct xc_route *r)
{
	char *ae, msg[160];
	unsigned status;
	const char *why = export_check(e, r, &status, msg, sizeof(msg));

	if (why)
		return error_send(wsi, ps, status, why);
	ae = header_dup(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
	ps->gz = ae && xcache_accepts_gzip(ae);
	free(ae);
	ps->inm = header_dup(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
	ps->wait.on_ready = on_export_ready;
	ps->xb = xcache_get(e->xc, r->race, r->fmt, r->bib, &ps->wait);
	if (ps->xb)
		return export_answer(wsi, ps);
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_WAIT_S); /* a safety net */
	return 0;
}

/* The next chunk of data[len]; the request ends with the last. */
static int body_write(struct lws *wsi, struct http_pss *ps)
{
	unsigned char buf[LWS_PRE + HTTP_CHUNK];
	size_t left = ps->len - ps->off, k = left > HTTP_CHUNK ? HTTP_CHUNK : left;
	bool last = k == left;

	memcpy(buf + LWS_PRE, ps->data + ps->off, k);
	if (lws_write(wsi, buf + LWS_PRE, k, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
		return -1;
	ps->off += k;
	if (last)
		return transaction_done(wsi, ps);
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_STALL_S);
	lws_callback_on_writable(wsi);
	return 0;
}

/* ---- events' routes and pages ---------------------------------------------- */

static int event_request(net *n, struct lws *wsi, struct http_pss *ps, const char *path);

static int answer_route(net *n, struct lws *wsi, struct http_pss *ps, const struct event *e,
			const char *uri)
{
	unsigned status = route(n, e, uri, &ps->body);

	ps->data = ps->body.data;
	ps->len = ps->body.len;
	return head_send(wsi, ps, status, "application/json");
}

/* The request parked on its event can go on (from the writeable callback). */
static int event_go(net *n, struct lws *wsi, struct http_pss *ps)
{
	if (ps->probed) { /* the registry answered: once more, now */
		ps->probed = false;
		if (ps->ev_err == SL_ENOENT)
			return error_send(wsi, ps, 404, "no such event");
		if (!ps->ev_err)
			return event_request(n, wsi, ps, ps->path);
	}
	if (ps->ev_err)
		return error_send(wsi, ps, 503, "the event's store is not reachable: try again");
	if (ps->is_export)
		return export_begin(ps->ev, wsi, ps, &ps->xr);
	return answer_route(n, wsi, ps, ps->ev, ps->sub);
}

static void on_event_ready(struct ev_wait *w, int err)
{
	struct http_pss *ps = (struct http_pss *)((char *)w - offsetof(struct http_pss, ew));

	ps->ew.fn = NULL;
	ps->ev_due = true;
	ps->ev_err = err;
	lws_callback_on_writable(ps->wsi);
}

/* In the registry's list (read every EV_LIST_MS): an event whose log exists. */
static bool event_listed(const net *n, const char *id, size_t len)
{
	for (size_t i = 0; i < n->nlisted; i++)
		if (strlen(n->listed[i].id) == len && memcmp(n->listed[i].id, id, len) == 0)
			return true;
	return false;
}

/*
 * GET /api/events/<event>/<rest>: today's /api/<rest> (or /health) of that
 * event, loaded first when this node does not hold it; exports and
 * unknown.json wait until its tail has caught up.
 */
static void on_probed(void *ctx, int err, bool exists)
{
	struct probe *pr = ctx;
	struct http_pss *ps = pr->ps;

	if (ps) {
		net *n = lws_context_user(lws_get_context(ps->wsi));
		ps->probe = NULL;
		if (!err && exists && !event_find(n, pr->event, strlen(pr->event)))
			event_load(n, pr->event, strlen(pr->event));
		ps->ev_due = true;
		ps->probed = true;
		ps->ev_err = err ? SL_EUNAVAIL : exists ? 0 : SL_ENOENT;
		lws_callback_on_writable(ps->wsi);
	}
	free(pr);
}

static int event_request(net *n, struct lws *wsi, struct http_pss *ps, const char *path)
{
	const char *slash = strchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : strlen(path);
	char sub[512];
	struct event *e;
	int is_export;

	if (!slash || !sl_event_id_ok(path, len))
		return error_send(wsi, ps, 404, "not found: expected /api/events/<event>/...");
	if (n->only && (len != strlen(n->only) || memcmp(path, n->only, len) != 0))
		return error_send(wsi, ps, 404, "no such event");
	e = event_find(n, path, len);
	if (!e && event_listed(n, path, len))
		e = event_load(n, path, len);
	if (!e && path != ps->path && strlen(path) < sizeof(ps->path)) {
		/* created since the list was read? ask, then once more (event_go) */
		struct probe *pr = sl_calloc(1, sizeof(*pr));
		pr->ps = ps;
		memcpy(pr->event, path, len);
		memcpy(ps->path, path, strlen(path) + 1);
		if (registry_exists(n->reg, pr->event, on_probed, pr) == 0) {
			ps->probe = pr;
			lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_WAIT_S);
			return 0;
		}
		free(pr);
	}
	if (!e)
		return error_send(wsi, ps, 404, "no such event");
	ps->ev = e;
	event_ref(e);
	if (strcmp(slash, "/health") == 0) /* at once: it says whether it caught up */
		return answer_route(n, wsi, ps, e, "/health");
	if (strlen(slash) + 5 > sizeof(sub))
		return error_send(wsi, ps, 404, "not found");
	snprintf(sub, sizeof(sub), "/api%s", slash);
	if ((is_export = xcache_route(sub, &ps->xr)) < 0)
		return error_send(wsi, ps, 404, ps->xr.err);
	ps->is_export = is_export > 0;
	if (!ps->is_export && strlen(sub) >= sizeof(ps->sub))
		return error_send(wsi, ps, 404, "not found");
	if (!ps->is_export)
		memcpy(ps->sub, sub, strlen(sub) + 1);
	if (!evlog_caught_up(e->log)) {
		ps->ew.need_caught_up = true;
		ps->ew.fn = on_event_ready;
		event_wait(e, &ps->ew, HTTP_LOAD_WAIT_S * 1000);
		lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_WAIT_S);
		return 0;
	}
	return event_go(n, wsi, ps);
}

static const struct {
	const char *ext, *type;
} page_types[] = {
	{".html", "text/html"},        {".js", "text/javascript"},    {".mjs", "text/javascript"},
	{".css", "text/css"},          {".svg", "image/svg+xml"},     {".json", "application/json"},
	{".png", "image/png"},         {".ico", "image/x-icon"},      {".webp", "image/webp"},
	{".map", "application/json"},  {".wasm", "application/wasm"}, {".csv", "text/csv"},
	{".webmanifest", "application/manifest+json"},
};

/* GET /e/<event>/<page>: the web root's <page> (index.html when none). */
static int page_request(net *n, struct lws *wsi, struct http_pss *ps, const char *path)
{
	const char *slash = strchr(path, '/'), *page, *type = NULL, *dot;
	char file[PATH_MAX];
	struct stat st;
	int rc;

	if (!slash || !sl_event_id_ok(path, (size_t)(slash - path)))
		return error_send(wsi, ps, 404, "not found: expected /e/<event>/<page>");
	page = slash[1] ? slash + 1 : "index.html";
	for (const char *c = page; *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.' ||
		      *c == '/') ||
		    (c[0] == '.' && (c == page || c[-1] == '/')))
			return error_send(wsi, ps, 404, "not found");
	dot = strrchr(page, '.');
	for (size_t i = 0; dot && i < sizeof(page_types) / sizeof(page_types[0]); i++)
		if (strcmp(dot, page_types[i].ext) == 0)
			type = page_types[i].type;
	if (!type || (size_t)snprintf(file, sizeof(file), "%s/%s", n->web_root, page) >=
			     sizeof(file) ||
	    stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		return error_send(wsi, ps, 404, "not found");
	rc = lws_serve_http_file(wsi, file, type, NULL, 0);
	if (rc < 0 || (rc > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	net *n = lws_context_user(lws_get_context(wsi));
	struct http_pss *ps = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return 1; /* WebSocket only through the splitline subprotocols */
	case LWS_CALLBACK_HTTP: {
		/* a GET's path; any length the door let through (DOOR_LINE_MAX) */
		char *uri = header_dup(wsi, WSI_TOKEN_GET_URI);
		struct xc_route xr;
		unsigned status;
		int is_export;

		if (!uri) {
			if (lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL))
				return -1;
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		}
		pss_clear(ps);
		ps->wsi = wsi;
		if (strncmp(uri, "/api/events/", 12) == 0) {
			int rc = event_request(n, wsi, ps, uri + 12);
			free(uri);
			return rc;
		}
		if (strncmp(uri, "/e/", 3) == 0) {
			int rc = page_request(n, wsi, ps, uri + 3);
			free(uri);
			return rc;
		}
		/* today's routes: the single event's (--event) */
		struct event *e = n->only ? event_find(n, n->only, strlen(n->only)) : NULL;
		if ((is_export = xcache_route(uri, &xr)) != 0) {
			free(uri);
			if (is_export < 0)
				return error_send(wsi, ps, 404, xr.err);
			if (!e)
				return error_send(wsi, ps, 404,
						  "not found: this server serves many events; see "
						  "/api/events.json and /api/events/<event>/...");
			return export_begin(e, wsi, ps, &xr);
		}
		status = route(n, e, uri, &ps->body);
		free(uri);
		ps->data = ps->body.data;
		ps->len = ps->body.len;
		return head_send(wsi, ps, status, "application/json");
	}
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (ps->ev_due) {
			ps->ev_due = false;
			return event_go(n, wsi, ps);
		}
		if (ps->head_due) {
			ps->head_due = false;
			return export_answer(wsi, ps);
		}
		if (!ps->data)
			break;
		return body_write(wsi, ps);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (ps)
			pss_clear(ps);
		break;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

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

static const struct lws_protocols protocols[] = {
	{"http", http_callback, sizeof(struct http_pss), 0, 0, NULL, 0},
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

net *net_new(uv_loop_t *loop, const struct net_opts *o)
{
	net *n = sl_calloc(1, sizeof(*n));
	struct lws_context_creation_info info;
	struct lws_http_mount *m_files, *m_api, *m_health, *m_pages;
	void *loops[1] = {loop};
	int lv = LLL_ERR | LLL_WARN;

	if (sl_log_level >= SL_LOG_DEBUG)
		lv |= LLL_NOTICE;
	lws_set_log_level(lv, lws_emit);

	n->loop = loop;
	n->only = o->only ? sl_strdup(o->only) : NULL;
	n->store = o->store;
	n->redis_host = sl_strdup(o->store.host);
	n->store.host = n->redis_host;
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

	/* mounts live as long as the vhost: keep them in n */
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
	m_api->mountpoint = "/api";
	m_api->mountpoint_len = 4;
	m_api->origin = "http";
	m_api->origin_protocol = LWSMPRO_CALLBACK;
	m_api->mount_next = m_health;
	m_health->mountpoint = "/health";
	m_health->mountpoint_len = 7;
	m_health->origin = "http";
	m_health->origin_protocol = LWSMPRO_CALLBACK;
	m_health->mount_next = m_pages;
	m_pages->mountpoint = "/e";
	m_pages->mountpoint_len = 2;
	m_pages->origin = "http";
	m_pages->origin_protocol = LWSMPRO_CALLBACK;
	n->mounts = m_files;

	memset(&info, 0, sizeof(info));
	info.vhost_name = "splitline";
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* connections come from on_accept */
	info.protocols = protocols;
	info.mounts = m_files;
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
	n->reg = registry_new(loop, n->redis_host, o->store.port, o->store.timeout_ms);
	registry_start(n->reg);
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
	registry_free(n->reg);
	SL_FREE_MANY(n->mounts, n->listen, n->web_root, n->admin_hash, n->only, n->redis_host, n);
	return NULL;
}

static void on_registry_closed(void *ctx)
{
	net *n = ctx;

	sl_close_done(&n->drain);
}

static void on_events_closed(void *ctx)
{
	net *n = ctx;

	registry_close(n->reg, on_registry_closed, n);
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
	events_free(n);
	registry_free(n->reg);
	door_free();
	free(n->mounts);
	free(n->listen);
	free(n->web_root);
	free(n->admin_hash);
	free(n->only);
	free(n->redis_host);
	free(n);
}

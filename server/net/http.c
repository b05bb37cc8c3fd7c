/*
 * http.c: the HTTP side of splitlined (lws's "http" protocol callback).
 *
 * Mounts send /api and /health to the "http" protocol callback below,
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
 * Events: /api/events.json lists the deployment's events (event.c);
 * /api/events/<event>/<route> is <route> of that event (health, the
 * exports, unknown.json), loading it first when this node does not hold it
 * yet and its log exists (the registry's list says so): the request then
 * waits, holding the event, until its tail has caught up.  Today's
 * /health and /api/... routes are the --event's on a single-event node.
 * /e/<event>/<page> is the web root's <page> (index.html for none), so
 * that each event's pages have addresses of their own; `/` is
 * directory.html on a node of many events.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/export_cache.h"
#include "net/net_int.h"
#include "score.h"
#include "slid.h"

#define HTTP_CHUNK 16384
#define HTTP_STALL_S 30 /* a client that takes no byte of a body this long is closed */
#define HTTP_WAIT_S 300 /* no export encode takes this long: close the request */
#define HTTP_LOAD_WAIT_S 60 /* an event loading: answer 503 if its tail has not caught up by then */

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
	char etag[40]; /* a polled body of ours (lists, standings): its ETag, or "" */
	struct event *ev;     /* the event asked for (a reference), or NULL */
	struct ev_wait ew;    /* waiting for it to catch up (ew.fn set) */
	bool ev_due;          /* it did (or failed: ev_err): go on from the writeable */
	int ev_err;
	bool is_export;       /* what waits: an export (xr), or route() */
	struct xc_route xr;
	char sub[160];        /* route()'s path within the event */
	struct event *ew_ev;  /* the event ew is parked on */
	struct event **sevs;  /* a series' events (references) */
	size_t nsevs;
	char series[72];      /* the series asked for */
	bool series_csv, series_due, series_late;
	struct probe *probe;  /* asking the registry whether the event exists */
	bool probed;          /* it answered (ev_err): event_request once more */
	char path[600];       /* /api/events/<path>, while probed */
};

const size_t http_pss_size = sizeof(struct http_pss);

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

/* "single", "cluster", or "unknown" before the store first answered. */
static const char *redis_mode(const net *n)
{
	if (!cluster_up(n->cl))
		return "unknown";
	return cluster_is_cluster(n->cl) ? "cluster" : "single";
}

static void health(net *n, const struct event *e, sl_buf *b)
{
	bool up = evlog_up(e->log);

	sl_buf_addf(b,
		    "{\"ok\":%s,\"event\":\"%s\",\"redis\":\"%s\",\"redis_mode\":\"%s\","
		    "\"redis_node\":\"%s\",\"records\":%llu,"
		    "\"last_id\":\"%s\",\"caught_up\":%s,\"node\":%ld,"
		    "\"open_files_limit\":%ld,\"accepting\":%s,\"export_encodes\":%llu}\n",
		    up ? "true" : "false", e->id, up ? "up" : "down", redis_mode(n),
		    evlog_node(e->log),
		    (unsigned long long)core_nrecords(e->core), evlog_last_id(e->log),
		    evlog_caught_up(e->log) ? "true" : "false", (long)getpid(), n->nofile,
		    n->accept_paused ? "false" : "true", (unsigned long long)xcache_encodes(e->xc));
}

/* A node of many events: its own state (each event's is at /api/events/<e>/health). */
static void node_health(net *n, sl_buf *b)
{
	bool up = registry_up(n->reg);

	sl_buf_addf(b,
		    "{\"ok\":%s,\"event\":null,\"redis\":\"%s\",\"redis_mode\":\"%s\","
		    "\"events_loaded\":%zu,"
		    "\"node\":%ld,\"open_files_limit\":%ld,\"accepting\":%s}\n",
		    up ? "true" : "false", up ? "up" : "down", redis_mode(n), n->nevents, (long)getpid(),
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
static unsigned route(net *n, const struct event *e, const char *uri, sl_buf *b,
		      const char **ctype)
{
	*ctype = "application/json";
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
	if (strcmp(uri, "/api/series.json") == 0) {
		scores_series_list(n, b);
		return 200;
	}
	if (!e) {
		json_error(b, "not found: this server serves many events; see /api/events.json and "
			      "/api/events/<event>/...");
		return 404;
	}
	if (scores_path(uri))
		return scores_route(e, uri, b, ctype);
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
	if (ps->ew_ev)
		event_wait_cancel(ps->ew_ev, &ps->ew);
	if (ps->ev)
		event_unref(ps->ev);
	events_release(ps->sevs, ps->nsevs);
	ps->sevs = NULL;
	ps->nsevs = 0;
	ps->ew_ev = NULL;
	ps->series_due = ps->series_late = false;
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
	ps->etag[0] = '\0';
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
	const char *etag = ok ? (ps->gz ? xb->etag_gz : xb->etag) : ps->etag[0] ? ps->etag : NULL;

	if (lws_add_http_common_headers(wsi, status, ctype, ps->len, &p, end) ||
	    add_header(wsi, "cache-control:", etag ? "no-cache" : "no-store", &p, end) ||
	    (etag && add_header(wsi, "etag:", etag, &p, end)) ||
	    (ok && add_header(wsi, "vary:", "Accept-Encoding", &p, end)) ||
	    (ok && xb->disp[0] && add_header(wsi, "content-disposition:", xb->disp, &p, end)) ||
	    (ok && ps->gz && add_header(wsi, "content-encoding:", "gzip", &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_STALL_S);
	lws_callback_on_writable(wsi);
	return 0;
}

static char *header_dup(struct lws *wsi, enum lws_token_indexes h);

/* 304 with etag (vary: an export's, whose gzip form has its own). */
static int not_modified(struct lws *wsi, struct http_pss *ps, const char *etag, bool vary)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
					  *end = hdr + sizeof(hdr) - 1;

	if (lws_add_http_header_status(wsi, HTTP_STATUS_NOT_MODIFIED, &p, end) ||
	    add_header(wsi, "etag:", etag, &p, end) ||
	    (vary && add_header(wsi, "vary:", "Accept-Encoding", &p, end)) ||
	    add_header(wsi, "cache-control:", "no-cache", &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	return transaction_done(wsi, ps);
}

/*
 * A body of ours that pages poll (the event and series lists, standings,
 * team tables, award lists): 200 with an ETag (128 bits of the body's
 * SHA-256), or 304 when If-None-Match names it.  /health is never cached.
 */
static int answer_polled(struct lws *wsi, struct http_pss *ps, unsigned status,
			 const char *ctype)
{
	char hex[65], *inm;
	bool match;

	ps->data = ps->body.data;
	ps->len = ps->body.len;
	if (status != 200)
		return head_send(wsi, ps, status, ctype);
	net_sha256_hex(ps->body.data ? ps->body.data : "", ps->body.len, hex);
	snprintf(ps->etag, sizeof(ps->etag), "\"%.32s\"", hex);
	inm = header_dup(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
	match = inm && xcache_etag_match(inm, ps->etag);
	free(inm);
	if (match)
		return not_modified(wsi, ps, ps->etag, false);
	return head_send(wsi, ps, status, ctype);
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
	if (ps->inm && xcache_etag_match(ps->inm, ps->gz ? xb->etag_gz : xb->etag))
		return not_modified(wsi, ps, ps->gz ? xb->etag_gz : xb->etag, true);
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
	const char *ctype;
	unsigned status = route(n, e, uri, &ps->body, &ctype);

	if (strcmp(uri, "/health") != 0)
		return answer_polled(wsi, ps, status, ctype);
	ps->data = ps->body.data;
	ps->len = ps->body.len;
	return head_send(wsi, ps, status, ctype);
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
	ps->ew_ev = NULL;
	ps->ev_due = true;
	ps->ev_err = err;
	lws_callback_on_writable(ps->wsi);
}

/* The request waits for e's tail to catch up (at most HTTP_LOAD_WAIT_S); fn then. */
static int park(struct lws *wsi, struct http_pss *ps, struct event *e,
		void (*fn)(struct ev_wait *w, int err))
{
	ps->ew.need_caught_up = true;
	ps->ew.fn = fn;
	ps->ew_ev = e;
	event_wait(e, &ps->ew, HTTP_LOAD_WAIT_S * 1000);
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_WAIT_S);
	return 0;
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
	int is_export = 0;

	if (!slash || !sl_event_id_ok(path, len))
		return error_send(wsi, ps, 404, "not found: expected /api/events/<event>/...");
	if (n->only && (len != strlen(n->only) || memcmp(path, n->only, len) != 0))
		return error_send(wsi, ps, 404, "no such event");
	e = event_get(n, path, len);
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
	if (!scores_path(sub) && (is_export = xcache_route(sub, &ps->xr)) < 0)
		return error_send(wsi, ps, 404, ps->xr.err);
	if (scores_path(sub))
		is_export = 0;
	ps->is_export = is_export > 0;
	if (!ps->is_export && strlen(sub) >= sizeof(ps->sub))
		return error_send(wsi, ps, 404, "not found");
	if (!ps->is_export)
		memcpy(ps->sub, sub, strlen(sub) + 1);
	if (!evlog_caught_up(e->log))
		return park(wsi, ps, e, on_event_ready);
	return event_go(n, wsi, ps);
}

/* ---- series ------------------------------------------------------------------ */

static int series_step(net *n, struct lws *wsi, struct http_pss *ps);

static void on_series_ready(struct ev_wait *w, int err)
{
	struct http_pss *ps = (struct http_pss *)((char *)w - offsetof(struct http_pss, ew));

	ps->ew.fn = NULL;
	ps->ew_ev = NULL;
	ps->series_due = true;
	ps->series_late |= err != 0; /* then without the events not caught up */
	lws_callback_on_writable(ps->wsi);
}

/* Wait for the next of the series' events to catch up; then the standings. */
static int series_step(net *n, struct lws *wsi, struct http_pss *ps)
{
	const char *ctype;
	unsigned status;

	for (size_t i = 0; i < ps->nsevs && !ps->series_late; i++) {
		struct event *e = ps->sevs[i];
		if (evlog_caught_up(e->log))
			continue;
		return park(wsi, ps, e, on_series_ready);
	}
	status = scores_series(n, ps->series, ps->series_csv, &ps->body, &ctype);
	return answer_polled(wsi, ps, status, ctype);
}

/* GET /api/series/<id>.json|csv: its events loaded (and caught up) first. */
static int series_request(net *n, struct lws *wsi, struct http_pss *ps, const char *path)
{
	const char *dot = strrchr(path, '.');
	struct series_cfg cfg;
	char err[200];

	if (!dot || dot == path || (size_t)(dot - path) >= sizeof(ps->series) ||
	    (strcmp(dot, ".json") != 0 && strcmp(dot, ".csv") != 0) ||
	    !sl_event_id_ok(path, (size_t)(dot - path)))
		return error_send(wsi, ps, 404, "not found: expected /api/series/<series>.json or .csv");
	memcpy(ps->series, path, (size_t)(dot - path));
	ps->series[dot - path] = '\0';
	ps->series_csv = dot[1] == 'c';
	if (scores_series_cfg(n, ps->series, &cfg, err, sizeof(err)) < 0)
		return error_send(wsi, ps, 404, "no such series");
	ps->nsevs = events_hold(n, cfg.events, cfg.nevents, &ps->sevs);
	series_cfg_release(&cfg);
	return series_step(n, wsi, ps);
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

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
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
		if (strncmp(uri, "/api/series/", 12) == 0) {
			int rc = series_request(n, wsi, ps, uri + 12);
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
		if (!scores_path(uri) && (is_export = xcache_route(uri, &xr)) != 0) {
			free(uri);
			if (is_export < 0)
				return error_send(wsi, ps, 404, xr.err);
			if (!e)
				return error_send(wsi, ps, 404,
						  "not found: this server serves many events; see "
						  "/api/events.json and /api/events/<event>/...");
			return export_begin(e, wsi, ps, &xr);
		}
		int rc = answer_route(n, wsi, ps, e, uri);
		free(uri);
		return rc;
	}
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (ps->ev_due) {
			ps->ev_due = false;
			return event_go(n, wsi, ps);
		}
		if (ps->series_due) {
			ps->series_due = false;
			return series_step(n, wsi, ps);
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


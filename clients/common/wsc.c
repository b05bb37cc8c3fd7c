/*
 * wsc.c: blocking WebSocket client on libwebsockets (one context per
 * connection), request/reply on top, and a tiny HTTP/1.0 GET.
 *
 * lws calls on_lws() from inside lws_service(); the callback only moves
 * bytes between the socket and two queues in the wsc (outgoing messages,
 * whole incoming messages) and records state changes.  The blocking calls
 * loop on lws_service() until their condition holds or their deadline
 * passes; a scheduled no-op timer (every <= 50 ms) wakes poll() so that
 * deadlines are kept even when nothing arrives.
 *
 * Invariant: c->wsi is non-NULL only while lws holds the connection; once
 * the state is ST_FAILED or ST_CLOSED it never goes back to ST_OPEN.
 */
#include "wsc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_CONNECTING, ST_OPEN, ST_CLOSED, ST_FAILED };

typedef struct outmsg {
	unsigned char *buf; /* LWS_PRE bytes of headroom, then the payload */
	size_t len;
	bool bin;
} outmsg;

typedef struct inmsg {
	char *data;
	size_t len;
	bool bin;
} inmsg;

struct wsc {
	struct lws_context *ctx;
	struct lws *wsi;
	struct lws_protocols protos[2];
	char subprotocol[64];
	char host_hdr[300];
	wsc_url url;
	int state;
	char err[256];
	lws_sorted_usec_list_t sul;

	outmsg *out;
	size_t nout, outhead, capout;
	bool writing; /* a writeable callback is requested */

	sl_buf cur; /* the message being reassembled */
	bool cur_bin;
	inmsg *in;
	size_t nin, inhead, capin;

	uint64_t next_id;
};

int64_t wsc_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- URL ---- */

int wsc_url_parse(const char *url, wsc_url *u)
{
	static const struct {
		const char *prefix;
		bool tls;
		int port;
	} schemes[] = {
		{"ws://", false, 80},
		{"wss://", true, 443},
		{"http://", false, 80},
		{"https://", true, 443},
	};
	memset(u, 0, sizeof(*u));
	const char *p = NULL;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]) && !p; i++) {
		size_t n = strlen(schemes[i].prefix);
		if (strncmp(url, schemes[i].prefix, n) == 0) {
			p = url + n;
			u->tls = schemes[i].tls;
			u->port = schemes[i].port;
		}
	}
	if (!p)
		return SL_EINVAL;
	const char *slash = strchr(p, '/');
	size_t hostlen = slash ? (size_t)(slash - p) : strlen(p);
	const char *colon = NULL;
	if (*p == '[') { /* [v6]:port */
		const char *rb = memchr(p, ']', hostlen);
		if (!rb)
			return SL_EINVAL;
		if ((size_t)(rb - p - 1) >= sizeof(u->host))
			return SL_EINVAL;
		memcpy(u->host, p + 1, (size_t)(rb - p - 1));
		if (rb + 1 < p + hostlen && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(p, ':', hostlen);
		size_t n = colon ? (size_t)(colon - p) : hostlen;
		if (n == 0 || n >= sizeof(u->host))
			return SL_EINVAL;
		memcpy(u->host, p, n);
	}
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (end != p + hostlen || port < 1 || port > 65535)
			return SL_EINVAL;
		u->port = (int)port;
	}
	snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "/");
	return 0;
}

/* ---- lws glue ---- */

static void on_lws_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	sl_debug("lws: %.*s", (int)n, line);
}

static void set_err(wsc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(wsc *c, const char *fmt, ...)
{
	if (c->err[0])
		return; /* keep the first cause */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	wsc *c = ctx ? lws_context_user(ctx) : NULL;
	if (!c)
		return 0;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (in) {
			set_err(c, "%.*s", (int)(len ? len : strlen(in)), (const char *)in);
			c->err[0] = (char)tolower((unsigned char)c->err[0]); /* git style */
		} else
			set_err(c, "connection failed");
		c->state = ST_FAILED;
		c->wsi = NULL;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->state = ST_OPEN;
		if (c->nout > c->outhead) {
			c->writing = true;
			lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c->cur.len == 0)
			c->cur_bin = lws_frame_is_binary(wsi);
		if (c->cur.len + len > WSC_MAX_MESSAGE) {
			set_err(c, "message from the server larger than %u bytes",
				WSC_MAX_MESSAGE);
			c->state = ST_FAILED;
			return -1;
		}
		sl_buf_add(&c->cur, in, len);
		if (lws_is_final_fragment(wsi)) {
			SL_GROW(c->in, c->capin, c->nin + 1);
			inmsg *m = &c->in[c->nin++];
			m->data = sl_buf_detach(&c->cur, &m->len);
			m->bin = c->cur_bin;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		c->writing = false;
		if (c->outhead >= c->nout)
			break;
		outmsg *m = &c->out[c->outhead];
		int n = lws_write(wsi, m->buf + LWS_PRE, m->len,
				  m->bin ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		free(m->buf);
		m->buf = NULL;
		c->outhead++;
		if (n < 0 || (size_t)n < m->len) {
			set_err(c, "cannot send to the server");
			c->state = ST_FAILED;
			return -1;
		}
		if (c->outhead == c->nout) {
			c->outhead = c->nout = 0;
		} else {
			c->writing = true;
			lws_callback_on_writable(wsi);
		}
		break;
	}
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (in && len >= 2) {
			const unsigned char *b = in;
			unsigned code = (unsigned)b[0] << 8 | b[1];
			if (len > 2)
				set_err(c, "closed by the server (%u: %.*s)", code,
					(int)(len - 2 > 120 ? 120 : len - 2),
					(const char *)in + 2);
			else
				set_err(c, "closed by the server (%u)", code);
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
	case LWS_CALLBACK_WSI_DESTROY:
		if (c->wsi == wsi || reason == LWS_CALLBACK_CLIENT_CLOSED) {
			set_err(c, "connection closed by the server");
			if (c->state != ST_FAILED)
				c->state = ST_CLOSED;
			c->wsi = NULL;
		}
		break;
	default:
		break;
	}
	return 0;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
	(void)sul; /* only wakes poll() */
}

/* Service until done(c) or the deadline; 0, SL_EIO or SL_ETIMEOUT. */
static int service_until(wsc *c, bool (*done)(const wsc *), int64_t deadline)
{
	while (!done(c)) {
		if (c->state == ST_FAILED || c->state == ST_CLOSED)
			return SL_EIO;
		int64_t left = deadline - wsc_mono_ms();
		if (left <= 0)
			return SL_ETIMEOUT;
		lws_sul_schedule(c->ctx, 0, &c->sul, on_tick,
				 (left > 50 ? 50 : left) * LWS_US_PER_MS);
		if (lws_service(c->ctx, 0) < 0) {
			set_err(c, "connection lost");
			c->state = ST_FAILED;
			return SL_EIO;
		}
	}
	return 0;
}

static bool is_not_connecting(const wsc *c)
{
	return c->state != ST_CONNECTING;
}

static bool out_empty(const wsc *c)
{
	return c->outhead >= c->nout;
}

static bool has_in(const wsc *c)
{
	return c->inhead < c->nin;
}

int wsc_connect(wsc **out, const char *url, const char *subprotocol, int timeout_ms,
		char *err, size_t errlen)
{
	static bool log_set;
	*out = NULL;
	if (!log_set) {
		lws_set_log_level(sl_log_level >= SL_LOG_DEBUG ? LLL_ERR | LLL_WARN : 0,
				  on_lws_log);
		log_set = true;
	}
	wsc *c = sl_calloc(1, sizeof(*c));
	if (wsc_url_parse(url, &c->url) != 0) {
		snprintf(err, errlen, "bad server URL '%s': expected ws://HOST:PORT/PATH", url);
		free(c);
		return SL_EINVAL;
	}
	snprintf(c->subprotocol, sizeof(c->subprotocol), "%s", subprotocol);
	snprintf(c->host_hdr, sizeof(c->host_hdr), "%s:%d", c->url.host, c->url.port);
	c->protos[0].name = c->subprotocol;
	c->protos[0].callback = on_lws;
	c->protos[0].rx_buffer_size = 65536;
	c->next_id = 1;

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = c->protos;
	info.user = c;
	info.gid = -1;
	info.uid = -1;
	info.fd_limit_per_thread = 8;
	if (c->url.tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	c->ctx = lws_create_context(&info);
	if (!c->ctx) {
		snprintf(err, errlen, "cannot connect to '%s': cannot create a websocket context",
			 url);
		free(c);
		return SL_EIO;
	}

	struct lws_client_connect_info ci;
	memset(&ci, 0, sizeof(ci));
	ci.context = c->ctx;
	ci.address = c->url.host;
	ci.port = c->url.port;
	ci.path = c->url.path;
	ci.host = c->host_hdr;
	ci.origin = c->host_hdr;
	ci.protocol = c->subprotocol;
	ci.local_protocol_name = c->subprotocol;
	ci.ssl_connection = c->url.tls ? LCCSCF_USE_SSL : 0;
	ci.pwsi = &c->wsi;
	c->state = ST_CONNECTING;
	if (!lws_client_connect_via_info(&ci)) {
		c->wsi = NULL;
		if (c->state != ST_FAILED)
			c->state = ST_FAILED;
		set_err(c, "connection failed");
	}
	int rc = service_until(c, is_not_connecting, wsc_mono_ms() + timeout_ms);
	if (rc == 0 && c->state != ST_OPEN)
		rc = SL_EIO;
	if (rc) {
		snprintf(err, errlen, "cannot connect to '%s': %s", url,
			 rc == SL_ETIMEOUT ? "timed out" : c->err);
		wsc_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int wsc_send(wsc *c, const void *buf, size_t len, bool binary, int timeout_ms)
{
	if (c->state != ST_OPEN || !c->wsi)
		return SL_EIO;
	SL_GROW(c->out, c->capout, c->nout + 1);
	outmsg *m = &c->out[c->nout++];
	m->buf = sl_malloc(LWS_PRE + len + 1);
	memcpy(m->buf + LWS_PRE, buf, len);
	m->len = len;
	m->bin = binary;
	if (!c->writing) {
		c->writing = true;
		lws_callback_on_writable(c->wsi);
	}
	return service_until(c, out_empty, wsc_mono_ms() + timeout_ms);
}

int wsc_recv(wsc *c, sl_buf *out, bool *binary, int timeout_ms)
{
	int rc = 0;
	if (!has_in(c))
		rc = service_until(c, has_in, wsc_mono_ms() + timeout_ms);
	if (!has_in(c))
		return rc ? rc : SL_ETIMEOUT;
	inmsg *m = &c->in[c->inhead++];
	sl_buf_reset(out);
	sl_buf_add(out, m->data, m->len);
	if (binary)
		*binary = m->bin;
	free(m->data);
	if (c->inhead == c->nin)
		c->inhead = c->nin = 0;
	return 0;
}

const char *wsc_errmsg(const wsc *c)
{
	return c->err;
}

bool wsc_is_open(const wsc *c)
{
	return c->state == ST_OPEN && c->wsi;
}

void wsc_free(wsc *c)
{
	if (!c)
		return;
	if (c->ctx) {
		lws_sul_cancel(&c->sul);
		lws_context_destroy(c->ctx);
	}
	for (size_t i = c->outhead; i < c->nout; i++)
		free(c->out[i].buf);
	free(c->out);
	for (size_t i = c->inhead; i < c->nin; i++)
		free(c->in[i].data);
	free(c->in);
	sl_buf_release(&c->cur);
	free(c);
}

/* ---- request / reply ---- */

uint64_t wsc_next_id(wsc *c)
{
	return c->next_id++;
}

int wsc_err_from_code(const char *code, size_t n)
{
#define SL_XX(name, val, wire, retry, msg)                                     \
	if (strlen(wire) == n && memcmp(code, wire, n) == 0)                   \
		return SL_E##name;
	SL_ERRNO_MAP(SL_XX)
#undef SL_XX
	return SL_EIO;
}

int wsc_rpc(wsc *c, const sl_buf *req, uint64_t id, int timeout_ms, slp_msg *reply,
	    char *err, size_t errlen)
{
	memset(reply, 0, sizeof(*reply));
	int64_t deadline = wsc_mono_ms() + timeout_ms;
	int rc = wsc_send(c, req->data, req->len, true, timeout_ms);
	if (rc) {
		snprintf(err, errlen, "%s", rc == SL_ETIMEOUT ? "timed out sending" : c->err);
		return rc;
	}
	sl_buf in = SL_BUF_INIT;
	for (;;) {
		int64_t left = deadline - wsc_mono_ms();
		bool bin = true;
		rc = left > 0 ? wsc_recv(c, &in, &bin, (int)left) : SL_ETIMEOUT;
		if (rc) {
			snprintf(err, errlen, "%s",
				 rc == SL_ETIMEOUT ? "timed out waiting for the reply" : c->err);
			break;
		}
		slp_msg m;
		memset(&m, 0, sizeof(m));
		if (slp_decode(&m, in.data, in.len, bin ? SLP_MSGPACK : SLP_JSON) != 0) {
			snprintf(err, errlen, "bad message from the server: %s", m.err);
			slp_msg_release(&m);
			rc = SL_EPARSE;
			break;
		}
		int64_t rid;
		size_t tn;
		const char *t = slp_type(&m, &tn);
		if (slp_get_int(&m.root, "id", &rid) != 0 || (uint64_t)rid != id || !t ||
		    !((tn == 2 && memcmp(t, "ok", 2) == 0) ||
		      (tn == 3 && memcmp(t, "ack", 3) == 0) ||
		      (tn == 3 && memcmp(t, "err", 3) == 0))) {
			slp_msg_release(&m); /* a push or another reply */
			continue;
		}
		*reply = m;
		if (tn == 3 && memcmp(t, "err", 3) == 0) {
			const char *code = "", *msg = "";
			size_t cn = 0, mn = 0;
			slp_get_str(&m.root, "code", &code, &cn);
			slp_get_str(&m.root, "msg", &msg, &mn);
			snprintf(err, errlen, "%.*s", (int)mn, msg);
			if (!mn)
				snprintf(err, errlen, "%.*s", (int)cn, code);
			rc = wsc_err_from_code(code, cn);
		}
		break;
	}
	sl_buf_release(&in);
	return rc;
}

int wsc_hello(wsc *c, const char *event, const char *token, int timeout_ms,
	      slp_msg *reply, char *err, size_t errlen)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t id = wsc_next_id(c);
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, token ? 4 : 3);
	slp_pack_kv_str(&pk, "t", "hello");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "event", event);
	if (token)
		slp_pack_kv_str(&pk, "token", token);
	int rc = wsc_rpc(c, &b, id, timeout_ms, reply, err, errlen);
	sl_buf_release(&b);
	return rc;
}

/* ---- HTTP ---- */

static int connect_tcp(const char *host, int port, int64_t deadline, char *err,
		       size_t errlen)
{
	struct addrinfo hints = {0}, *res = NULL;
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int g = getaddrinfo(host, ps, &hints, &res);
	if (g) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(g));
		return SL_EIO;
	}
	int fd = -1, rc = SL_EIO;
	const char *why = "no address";
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			rc = 0;
			break;
		}
		if (errno == EINPROGRESS) {
			struct pollfd pfd = {fd, POLLOUT, 0};
			int64_t left = deadline - wsc_mono_ms();
			int pr = left > 0 ? poll(&pfd, 1, (int)left) : 0;
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (pr == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
			    soerr == 0) {
				rc = 0;
				break;
			}
			if (pr == 0) {
				why = "timed out";
				rc = SL_ETIMEOUT;
			} else {
				why = strerror(soerr ? soerr : errno);
			}
		} else {
			why = strerror(errno);
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (rc) {
		snprintf(err, errlen, "cannot connect to '%s:%d': %s", host, port, why);
		return rc;
	}
	return fd;
}

static int dechunk(const char *p, size_t n, sl_buf *body)
{
	size_t i = 0;
	for (;;) {
		char *end;
		if (i >= n)
			return SL_EPARSE;
		unsigned long sz = strtoul(p + i, &end, 16);
		const char *nl = memchr(p + i, '\n', n - i);
		if (!nl || end == p + i)
			return SL_EPARSE;
		i = (size_t)(nl - p) + 1;
		if (sz == 0)
			return 0;
		if (sz > n - i)
			return SL_EPARSE;
		sl_buf_add(body, p + i, sz);
		i += sz;
		if (i < n && p[i] == '\r')
			i++;
		if (i < n && p[i] == '\n')
			i++;
	}
}

int httpc_get(const char *host, int port, const char *path, int timeout_ms,
	      int *status, sl_buf *body, char *err, size_t errlen)
{
	int64_t deadline = wsc_mono_ms() + timeout_ms;
	int fd = connect_tcp(host, port, deadline, err, errlen);
	if (fd < 0)
		return fd;
	sl_buf req = SL_BUF_INIT, resp = SL_BUF_INIT;
	int rc = 0;
	sl_buf_addf(&req, "GET %s HTTP/1.0\r\nHost: %s:%d\r\nUser-Agent: splitline\r\n"
			  "Connection: close\r\n\r\n",
		    path, host, port);
	size_t off = 0;
	while (off < req.len) {
		struct pollfd pfd = {fd, POLLOUT, 0};
		int64_t left = deadline - wsc_mono_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			rc = SL_ETIMEOUT;
			break;
		}
		ssize_t w = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			rc = SL_EIO;
			break;
		}
		if (w > 0)
			off += (size_t)w;
	}
	while (!rc) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int64_t left = deadline - wsc_mono_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			rc = SL_ETIMEOUT;
			break;
		}
		char tmp[65536];
		ssize_t r = recv(fd, tmp, sizeof(tmp), 0);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rc = SL_EIO;
			break;
		}
		sl_buf_add(&resp, tmp, (size_t)r);
		/* stop at Content-Length: some servers keep the socket open */
		const char *hend = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
		if (hend) {
			const char *cl = NULL;
			for (const char *q = resp.data; q && q < hend; q = strchr(q, '\n')) {
				q += *q == '\n';
				if (strncasecmp(q, "Content-Length:", 15) == 0) {
					cl = q + 15;
					break;
				}
			}
			if (cl && resp.len - (size_t)(hend + 4 - resp.data) >=
					  strtoull(cl, NULL, 10))
				break;
		}
	}
	close(fd);
	if (rc) {
		snprintf(err, errlen, "GET http://%s:%d%s: %s", host, port, path,
			 rc == SL_ETIMEOUT ? "timed out" : strerror(errno));
		goto out;
	}
	const char *hend = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
	int code = 0;
	if (!hend || sscanf(resp.data, "HTTP/%*d.%*d %d", &code) != 1) {
		snprintf(err, errlen, "GET http://%s:%d%s: malformed response", host, port, path);
		rc = SL_EIO;
		goto out;
	}
	*status = code;
	const char *b = hend + 4;
	size_t blen = resp.len - (size_t)(b - resp.data);
	bool chunked = false;
	for (const char *q = resp.data; q && q < hend; q = strchr(q, '\n')) {
		q += *q == '\n';
		if (strncasecmp(q, "Transfer-Encoding:", 18) == 0) {
			const char *e = strchr(q, '\n');
			size_t ln = e ? (size_t)(e - q) : strlen(q);
			char line[128];
			snprintf(line, sizeof(line), "%.*s", (int)(ln < 127 ? ln : 127), q);
			chunked = strcasestr(line, "chunked") != NULL;
		}
	}
	sl_buf_reset(body);
	if (chunked) {
		if (dechunk(b, blen, body) != 0) {
			snprintf(err, errlen, "GET http://%s:%d%s: malformed chunked body", host,
				 port, path);
			rc = SL_EIO;
		}
	} else {
		sl_buf_add(body, b, blen);
	}
out:
	sl_buf_release(&req);
	sl_buf_release(&resp);
	return rc;
}

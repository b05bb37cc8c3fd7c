/*
 * wsc.h: a small blocking WebSocket client for the Splitline tools, on
 * libwebsockets, plus the request/reply ("rpc") helper and a tiny HTTP GET.
 *
 * Each wsc owns its own lws context (no listening, the default poll loop)
 * and one client connection.  Nothing runs in the background: the loop is
 * serviced only inside wsc_connect, wsc_send and wsc_recv, each bounded by
 * its timeout.  Messages are whole: fragments are reassembled before
 * wsc_recv returns them (up to WSC_MAX_MESSAGE bytes).  Once the
 * connection fails or closes, every call returns SL_EIO and wsc_errmsg()
 * says why; the caller frees the wsc and connects again.
 *
 * Errors: SL_EINVAL (bad URL), SL_EIO (cannot connect, closed, refused
 * upgrade), SL_ETIMEOUT.  Err replies of the protocol map back to SL_E*
 * codes through wsc_err_from_code.
 *
 * Ownership: wsc_connect returns an owned wsc, wsc_free closes and frees
 * it.  Buffers passed in are borrowed (copied when queued).
 */
#ifndef SL_WSC_H
#define SL_WSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl.h"
#include "slp.h"

#define WSC_SUBPROTOCOL "splitline.v1.msgpack"
#define WSC_MAX_MESSAGE (64u << 20)

typedef struct wsc_url {
	bool tls;       /* wss:// or https:// */
	char host[256];
	int port;
	char path[512];
} wsc_url;

/* "ws://host:port/path" (also wss, http, https) -> parts; 0 or SL_EINVAL. */
int wsc_url_parse(const char *url, wsc_url *u);

typedef struct wsc wsc;

/* Connect and complete the upgrade with this subprotocol. */
int wsc_connect(wsc **out, const char *url, const char *subprotocol, int timeout_ms,
		char *err, size_t errlen);
/* Queue one message and service until it is written (or timeout). */
int wsc_send(wsc *c, const void *buf, size_t len, bool binary, int timeout_ms);
/* Wait up to timeout_ms for one whole message; out is reset and filled. */
int wsc_recv(wsc *c, sl_buf *out, bool *binary, int timeout_ms);
/* Why the connection is unusable ("" while it is fine). */
const char *wsc_errmsg(const wsc *c);
bool wsc_is_open(const wsc *c);
void wsc_free(wsc *c);

/* ---- request / reply ---- */

/* A fresh request id (1, 2, ...). */
uint64_t wsc_next_id(wsc *c);
/* Wire code ("not_found") -> SL_E* code (SL_EIO for unknown codes). */
int wsc_err_from_code(const char *code, size_t n);
/*
 * Send req (a msgpack map holding "id": id) and wait for the reply with the
 * same id, skipping pushes and other replies.  Returns 0 for ok/ack (reply
 * holds it: release with slp_msg_release), the SL_E* code of an err reply
 * (err gets its msg; reply holds it too), or SL_EIO / SL_ETIMEOUT / SL_EPARSE
 * (err says why; reply is empty).
 */
int wsc_rpc(wsc *c, const sl_buf *req, uint64_t id, int timeout_ms, slp_msg *reply,
	    char *err, size_t errlen);
/*
 * Say hello: {t:hello, id, event, token?}.  token may be NULL (spectator).
 * On 0, reply holds the ok (role, device).
 */
int wsc_hello(wsc *c, const char *event, const char *token, int timeout_ms,
	      slp_msg *reply, char *err, size_t errlen);

/* ---- HTTP ---- */

/*
 * GET http://host:port/path with HTTP/1.0; body gets the (de-chunked)
 * body, *status the status code.  Returns 0 (any status), SL_EIO or
 * SL_ETIMEOUT with err set.
 */
int httpc_get(const char *host, int port, const char *path, int timeout_ms,
	      int *status, sl_buf *body, char *err, size_t errlen);

/* Monotonic milliseconds. */
int64_t wsc_mono_ms(void);

#endif

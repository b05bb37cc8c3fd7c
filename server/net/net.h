/*
 * net.h: the HTTP + WebSocket front of splitlined, on libwebsockets running
 * on our libuv loop (a "foreign loop" for lws).
 *
 * It serves GET /health, /api/results/<race>.csv|.json, /api/unknown.json,
 * static files from the web root, and the WebSocket protocol of
 * protocol/PROTOCOL.md on /ws.  It reads the core (borrowed) and writes only
 * through the event log (borrowed): records reach the core from the log tail.
 *
 * Lifecycle: net_new() creates the lws context and starts listening (NULL on
 * failure, the reason logged).  net_shutdown() stops the fan-out tick and
 * closes every WebSocket with 1001; on_drained runs once they are gone (or
 * after a short grace time).  net_destroy() then destroys the lws context:
 * the loop must keep running until lws's handles are closed.  net_free()
 * after the loop ended.
 */
#ifndef SL_NET_H
#define SL_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core.h"
#include "store/log.h"

typedef struct net net;

struct net_opts {
	const char *listen;     /* address, "0.0.0.0" */
	int port;
	const char *web_root;   /* directory of static files */
	uint32_t tick_ms;       /* fan-out period */
	const char *admin_hash; /* sha256 hex of the admin token, or NULL */
	bool reuse_port;        /* SO_REUSEPORT: other nodes may listen on the port */
	long nofile;            /* the open-file limit, reported by /health */
	size_t queue_cap;       /* a session's unsent bytes, at most (0: the default) */
	size_t spectator_cap;   /* the same for spectators (0: the default) */
};

net *net_new(uv_loop_t *loop, const struct net_opts *o, core *c, evlog *l);
void net_shutdown(net *n, void (*on_drained)(void *ctx), void *ctx);
void net_destroy(net *n);
void net_free(net *n);

/* sha256 of s as 64 lower-case hex digits + NUL (OpenSSL EVP). */
void net_sha256_hex(const char *s, size_t n, char out[65]);

#endif

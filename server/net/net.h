/*
 * net.h: the HTTP + WebSocket front of splitlined, on libwebsockets running
 * on our libuv loop (a "foreign loop" for lws).
 *
 * It serves GET /health, /api/events.json, each event's /api/events/<event>/
 * routes (and today's /api/results/... of a single-event node), static
 * files from the web root (also as /e/<event>/<page>), and the WebSocket
 * protocol of protocol/PROTOCOL.md on /ws.  It holds the events it serves
 * (event.c: a core and an event log each, loaded on first use) and writes
 * only through their logs: records reach a core from its log's tail.
 *
 * Lifecycle: net_new() creates the lws context and starts listening (NULL on
 * failure, the reason logged).  net_shutdown() stops the fan-out tick and
 * closes every WebSocket with 1001, then every event's log (last
 * snapshots); on_drained runs once they are gone (or after a short grace
 * time for the WebSockets).  net_destroy() then destroys the lws context:
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
	const char *only;       /* --event: serve this event only (pinned), or NULL: every one */
	const char *redis;      /* --redis: one HOST:PORT, or a Redis Cluster's seeds */
	struct evlog_opts store; /* each event's log (its .event and .cl are the node's) */
	uint32_t event_idle_ms; /* an event with no session or request this long unloads */
};

net *net_new(uv_loop_t *loop, const struct net_opts *o);
void net_shutdown(net *n, void (*on_drained)(void *ctx), void *ctx);
void net_destroy(net *n);
void net_free(net *n);

/* sha256 of s as 64 lower-case hex digits + NUL (OpenSSL EVP). */
void net_sha256_hex(const char *s, size_t n, char out[65]);

#endif

/*
 * registry.h: the deployment's list of events in Redis, for a server that
 * serves many events, through the node's store/cluster.h.
 *
 *   sl:events   hash: event id -> its summary (msgpack: name, date, level,
 *               state... as /api/events.json lists it), written by the nodes
 *               that hold the event, whenever the summary changes;
 *   sl:series   hash: series id -> its document (msgpack, as sent by
 *               series_put: PROTOCOL.md, "Series").
 *
 * An event exists when its log does (EXISTS sl:{<event>}:log): the summary
 * is for listing only, and an event written before the registry existed is
 * listed once a node has loaded it.  In a Redis Cluster the hash lives in
 * its own slot; nothing here touches two slots in one command.
 *
 * Callbacks follow redis.h: a function that returns 0 calls its callback
 * exactly once, later; one that returns < 0 never does.  The registry holds
 * nothing open: commands still in flight when the node stops are failed by
 * cluster_close().  Ownership: registry_new() borrows the cluster (which
 * must outlive it) and returns owned.
 */
#ifndef SL_STORE_REGISTRY_H
#define SL_STORE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/cluster.h"

typedef struct registry registry;

registry *registry_new(cluster *cl);
bool registry_up(const registry *g);

/* err 0 and whether the event's log exists; or the store's err. */
typedef void (*registry_exists_fn)(void *ctx, int err, bool exists);
int registry_exists(registry *g, const char *event, registry_exists_fn cb, void *ctx);

/* Write the event's summary (fire and forget: a failure is logged). */
int registry_put(registry *g, const char *event, const char *summary, size_t len);

/*
 * Every entry of one hash (REGISTRY_EVENTS: the summaries; REGISTRY_SERIES:
 * the series documents): cb gets n pairs (ids[i], vals[i] of lens[i]
 * bytes), borrowed for the call, or err.
 */
#define REGISTRY_EVENTS "sl:events"
#define REGISTRY_SERIES "sl:series"
typedef void (*registry_list_fn)(void *ctx, int err, size_t n, const char *const *ids,
				 const char *const *vals, const size_t *lens);
int registry_list(registry *g, const char *hash, registry_list_fn cb, void *ctx);

/* A series document: put (err only), get (err SL_ENOENT when absent). */
typedef void (*registry_done_fn)(void *ctx, int err);
typedef void (*registry_get_fn)(void *ctx, int err, const char *val, size_t len);
int registry_series_put(registry *g, const char *id, const char *doc, size_t len,
			registry_done_fn cb, void *ctx);
int registry_series_get(registry *g, const char *id, registry_get_fn cb, void *ctx);

void registry_free(registry *g);

#endif

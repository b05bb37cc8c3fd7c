/*
 * cluster.h: where each key's commands go, for one Redis or a Redis Cluster.
 *
 * splitlined's --redis is one HOST:PORT (a single Redis, the default) or a
 * list of seed nodes of a Redis Cluster.  This object holds the slot map
 * (16384 slots, each owned by one primary) and one connection per primary
 * (store/redis.h), and sends each command to the primary that owns its
 * key's slot.  Every key of an event shares the hash tag {event}, so one
 * event's commands all go to one primary.
 *
 * The map: asked with CLUSTER SLOTS of any reachable node (the seeds, then
 * every node learned) when started, after a redirection, a lost connection
 * or CLUSTERDOWN (at most every REFRESH_MIN_MS), and every REFRESH_EVERY_MS.
 * A node that answers "cluster support disabled" is a single Redis: every
 * slot is its own (one address given) and nothing is ever redirected.
 *
 * Commands (cluster_command): sent to the slot's primary.  MOVED: the slot's
 * owner is changed at once, the map refreshed, the command sent to the new
 * owner.  ASK (the slot is being moved and the key already left): ASKING and
 * the command to the named node, the map unchanged.  TRYAGAIN (a move in
 * progress), CLUSTERDOWN (a failover in progress) and a primary not
 * connected yet: the command waits and is tried again every RETRY_MS until
 * its deadline.  At most MAX_HOPS redirections.  NOREPLICAS (a primary
 * with min-replicas-to-write and too few replicas: nothing written) is
 * SL_EUNAVAIL.  Then the callback runs
 * once, as redis.h says, with the node that answered (`via`).
 *
 * WAIT (cluster_wait): after a write answered on a connection, whether N
 * replicas have it: one WAIT per connection in flight at a time, covering
 * every write answered before it was sent (a group commit: the waits that
 * queue behind it share the next one).  A connection that is not the one
 * the write went on (reconnected since) answers SL_EUNAVAIL: WAIT only
 * knows the writes of its own connection.
 *
 * Ownership: cluster_new() returns owned; callbacks follow redis.h (a
 * function that returns 0 calls back exactly once, later; < 0 never).
 * cluster_close() fails every command still waiting or in flight with
 * SL_EUNAVAIL and runs on_closed once every connection is closed.
 */
#ifndef SL_STORE_CLUSTER_H
#define SL_STORE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/redis.h"

#define CLUSTER_SLOTS 16384
#define CLUSTER_ADDRS_MAX 32 /* addresses in --redis */

typedef struct cluster cluster;

struct cluster_opts {
	const char *addrs;   /* "HOST:PORT[,HOST:PORT...]", copied */
	uint32_t timeout_ms; /* connect and command timeout */
	size_t max_pending;  /* commands in flight per primary */
};

/* The connection a reply came on (for cluster_wait). */
struct cluster_via {
	int node;
	int which; /* the command or the write connection */
	uint64_t conn;
};

typedef void (*cluster_reply_fn)(void *ctx, int err, const redisReply *rep,
				 const struct cluster_via *via);
/* err 0 and the replicas that confirmed (may be fewer than asked), or
 * SL_EUNAVAIL / SL_ETIMEOUT / SL_EIO and replicas 0. */
typedef void (*cluster_wait_fn)(void *ctx, int err, int replicas);

/*
 * Checks an --redis value: 1 to CLUSTER_ADDRS_MAX comma-separated HOST:PORT,
 * port 1..65535, host non-empty.  0, or -1 with what is wrong in err.
 */
int cluster_addrs_check(const char *addrs, char *err, size_t errlen);

/* The slot of a key: CRC16 (XMODEM) of the key, or of the text between the
 * first '{' and the next '}' when that is not empty, mod 16384. */
unsigned cluster_keyslot(const char *key, size_t len);

cluster *cluster_new(uv_loop_t *loop, const struct cluster_opts *o);
void cluster_start(cluster *cl);

/* The map is known (the first CLUSTER SLOTS answered, or a single Redis). */
bool cluster_up(const cluster *cl);
/* A Redis Cluster (false: a single Redis, or not known yet). */
bool cluster_is_cluster(const cluster *cl);
/* The primary of slot is known and connected (connects to it if needed). */
bool cluster_slot_up(cluster *cl, unsigned slot);
/* "HOST:PORT" of slot's primary, or "" when not known. */
const char *cluster_slot_addr(const cluster *cl, unsigned slot);

/* Send argv (borrowed, copied) for the slot of key.  timeout_ms 0: the
 * default.  0, or SL_EUNAVAIL (closing, or one Redis that is down now),
 * SL_EFULL, SL_EINVAL. */
int cluster_command(cluster *cl, const char *key, size_t keylen, uint32_t timeout_ms,
		    cluster_reply_fn cb, void *ctx, int argc, const char **argv,
		    const size_t *argvlen);

/* The same, on the node's connection for writes that a cluster_wait()
 * follows (a WAIT holds its connection: nothing else waits behind it). */
int cluster_write(cluster *cl, const char *key, size_t keylen, uint32_t timeout_ms,
		  cluster_reply_fn cb, void *ctx, int argc, const char **argv,
		  const size_t *argvlen);

/* WAIT for n replicas on via's connection (a cluster_write's), at most timeout_ms.  0, or
 * SL_EUNAVAIL when that connection is gone (cb never runs). */
int cluster_wait(cluster *cl, const struct cluster_via *via, int n, uint32_t timeout_ms,
		 cluster_wait_fn cb, void *ctx);

/*
 * For a connection of its own that follows a slot (a blocking XREAD): a
 * redis_addr_fn for struct redis_opts, with a `struct cluster_follow` as
 * its ctx.  Each call asks for a map refresh in a cluster (it is called on
 * every reconnect).  Registered with cluster_follow_add(), a follow is told
 * (on_moved) when the map gives its slot to another node than the one its
 * last address named: a failover or a move seen by any command, so that
 * the connection goes there at once rather than after its backoff.
 * cluster_follow_del() before the follow's memory goes.
 */
struct cluster_follow {
	cluster *cl;
	unsigned slot;
	void (*on_moved)(void *ctx);
	void *ctx;
	int node; /* the node the last address named, -1 */
	struct cluster_follow *next;
};
int cluster_follow_addr(void *ctx, char *host, size_t hostlen, int *port);
void cluster_follow_add(cluster *cl, struct cluster_follow *f);
void cluster_follow_del(cluster *cl, struct cluster_follow *f);

/*
 * An error reply seen on such a connection: MOVED updates the slot's owner
 * and returns 1 (reconnect: redis_reconnect); ASK, TRYAGAIN, CLUSTERDOWN,
 * UNBLOCKED, LOADING, READONLY return 2 (try again shortly; a refresh was
 * asked); anything else 0.
 */
int cluster_note_error(cluster *cl, const char *err);

void cluster_close(cluster *cl, void (*on_closed)(void *ctx), void *ctx);
void cluster_free(cluster *cl);

/* Internal (cluster_addr.c, for cluster.c): one HOST:PORT of [s, s + n);
 * every address of a list, each(ctx, host, port) in order (each may be
 * NULL).  0, or -1 with what is wrong in err. */
int cluster__addr_parse(const char *s, size_t n, char *host, size_t hostlen, int *port, char *err,
			size_t errlen);
int cluster__addrs_each(const char *addrs, char *err, size_t errlen,
			void (*each)(void *ctx, const char *host, int port), void *ctx);

#endif

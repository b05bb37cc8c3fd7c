/*
 * cluster.c: the slot map, one connection per primary, routing and
 * redirections, and WAIT as a group commit.  See cluster.h.
 *
 * Nodes: `struct cnode`, one per address ever learned (the seeds, the
 * primaries of the map, the targets of redirections), never removed while
 * the object lives (a failed primary comes back as a replica; its
 * connection retries with redis.c's backoff and costs nothing meanwhile).
 * A node's connection starts when something is routed to it.
 *
 * Commands: every `struct ccmd` is on cl->cmds from cluster_command() until
 * its callback has run; it is either in flight on one node's connection
 * (redis.c then owns the callback) or parked (waiting for a map, a
 * connection, or the end of a TRYAGAIN pause), and the timer tries parked
 * ones again.  finish() is the only place that calls back and frees.
 *
 * WAIT: per node, the waits asked while one WAIT is in flight queue behind
 * it and are answered by the next one, sent when it returns; the replies of
 * one connection come in order, so a WAIT sent after a write's reply covers
 * that write.
 */
#include "store/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl.h"

#define RETRY_MS 50            /* a parked command is tried again this often */
#define REFRESH_MIN_MS 100     /* map refreshes at most this often */
#define REFRESH_EVERY_MS 10000 /* and at least this often, for a cluster */
#define MAX_HOPS 5             /* MOVED and ASK redirections per command */

/*
 * Two connections per node: writes that are followed by a WAIT go on their
 * own, so that a WAIT (which holds its connection until the replicas answer
 * or its timeout) never delays a token lookup, a snapshot or the registry.
 */
enum { CONN_CMD, CONN_WRITE };

struct waiter {
	struct waiter *next;
	cluster_wait_fn cb;
	void *ctx;
	int n;
	uint32_t timeout_ms;
};

struct cnode {
	cluster *cl;
	int idx;
	char host[256];
	int port;
	redis *conn[2]; /* CONN_CMD, CONN_WRITE */
	bool started[2];
	struct waiter *wq, **wq_tail; /* waits for the next WAIT */
	struct waiter *wbatch;        /* answered by the WAIT in flight */
	bool wbusy;
};

struct ccmd {
	struct ccmd *prev, *next;
	cluster *cl;
	unsigned slot;
	cluster_reply_fn cb;
	void *ctx;
	uint64_t deadline, retry_at; /* ms */
	int hops;
	int ask;   /* node to send ASKING to, or -1 */
	int which; /* CONN_CMD or CONN_WRITE */
	bool parked;
	struct cluster_via via;
	int argc;
	char **argv;
	size_t *argvlen;
};

struct cluster {
	uv_loop_t *loop;
	uint32_t timeout_ms;
	size_t max_pending;
	struct cnode **nodes;
	size_t nnodes, nseeds;
	int16_t owner[CLUSTER_SLOTS]; /* node index, -1 unknown */
	bool known, is_cluster, warned_single;

	bool refreshing, want_refresh;
	uint64_t last_refresh;
	size_t next_ask;
	uv_timer_t timer;
	uint64_t timer_due;

	struct ccmd cmds; /* list sentinel */
	size_t nparked;
	struct cluster_follow *follows;

	bool started;
	sl_close_req closing;
	int open; /* closing: handles still open */
};

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

/* ---- nodes --------------------------------------------------------------- */

static void on_node_state(void *ctx, bool up);
static void on_part_closed(void *ctx);

static struct cnode *node_get(cluster *cl, const char *host, int port)
{
	struct cnode *n;
	struct redis_opts ro = {0};

	for (size_t i = 0; i < cl->nnodes; i++)
		if (cl->nodes[i]->port == port && strcmp(cl->nodes[i]->host, host) == 0)
			return cl->nodes[i];
	n = sl_calloc(1, sizeof(*n));
	n->cl = cl;
	n->idx = (int)cl->nnodes;
	snprintf(n->host, sizeof(n->host), "%s", host);
	n->port = port;
	n->wq_tail = &n->wq;
	ro.host = n->host;
	ro.port = port;
	ro.connect_timeout_ms = cl->timeout_ms;
	ro.command_timeout_ms = cl->timeout_ms;
	ro.max_pending = cl->max_pending;
	ro.name = "store";
	n->conn[CONN_CMD] = redis_new(cl->loop, &ro, on_node_state, n);
	ro.name = "writes";
	n->conn[CONN_WRITE] = redis_new(cl->loop, &ro, on_node_state, n);
	cl->nodes = sl_realloc(cl->nodes, (cl->nnodes + 1) * sizeof(*cl->nodes));
	cl->nodes[cl->nnodes++] = n;
	if (cl->closing.on) { /* learned while closing: closed with the others */
		cl->open += 2;
		redis_close(n->conn[CONN_CMD], on_part_closed, cl);
		redis_close(n->conn[CONN_WRITE], on_part_closed, cl);
	}
	return n;
}

/* "HOST:PORT" (the connections' own copy) */
static const char *node_addr(const struct cnode *n)
{
	return redis_addr(n->conn[CONN_CMD]);
}

static void node_use(struct cnode *n, int which)
{
	if (!n->started[which] && !n->cl->closing.on && n->cl->started) {
		n->started[which] = true;
		redis_start(n->conn[which]);
	}
}

static bool node_up(const struct cnode *n, int which)
{
	return redis_up(n->conn[which]);
}

/* ---- the map ------------------------------------------------------------- */

static void arm(cluster *cl);
static void retry_parked(cluster *cl, bool all);

static void refresh(cluster *cl);
static void follows_check(cluster *cl);

static void map_single(cluster *cl, struct cnode *n)
{
	for (size_t s = 0; s < CLUSTER_SLOTS; s++)
		cl->owner[s] = (int16_t)n->idx;
	if (!cl->known)
		sl_info("redis %s: a single Redis (not a cluster)", node_addr(n));
	cl->known = true;
	cl->is_cluster = false;
}

static long long int_of(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return -1;
}

/* CLUSTER SLOTS: [[start, end, [host, port, id, ...], replicas...], ...] */
static int map_parse(cluster *cl, struct cnode *from, const redisReply *rep)
{
	static int16_t owner[CLUSTER_SLOTS];
	size_t covered = 0;

	if (rep->type != REDIS_REPLY_ARRAY)
		return SL_EIO;
	for (size_t s = 0; s < CLUSTER_SLOTS; s++)
		owner[s] = -1;
	for (size_t i = 0; i < rep->elements; i++) {
		const redisReply *e = rep->element[i], *m;
		long long a, b, port;
		const char *host;
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3)
			return SL_EIO;
		a = int_of(e->element[0]);
		b = int_of(e->element[1]);
		m = e->element[2];
		if (a < 0 || b < a || b >= CLUSTER_SLOTS || m->type != REDIS_REPLY_ARRAY ||
		    m->elements < 2 || (port = int_of(m->element[1])) < 1 || port > 65535)
			return SL_EIO;
		/* an endpoint of "" or "?" (unknown): the address we asked */
		host = m->element[0]->type == REDIS_REPLY_STRING && m->element[0]->len > 0 &&
				       strcmp(m->element[0]->str, "?") != 0
			       ? m->element[0]->str
			       : from->host;
		int idx = node_get(cl, host, (int)port)->idx;
		for (long long s = a; s <= b; s++)
			owner[s] = (int16_t)idx;
		covered += (size_t)(b - a + 1);
	}
	memcpy(cl->owner, owner, sizeof(owner));
	follows_check(cl);
	if (!cl->known || !cl->is_cluster)
		sl_info("redis %s: a cluster of %zu nodes known, %zu of %d slots served",
			node_addr(from), cl->nnodes, covered, CLUSTER_SLOTS);
	cl->known = true;
	cl->is_cluster = true;
	return 0;
}

static void on_slots(void *ctx, int err, const redisReply *rep)
{
	struct cnode *n = ctx;
	cluster *cl = n->cl;

	cl->refreshing = false;
	if (cl->closing.on)
		return;
	if (err == SL_EIO && rep && strstr(rep->str, "cluster support disabled")) {
		if (cl->nseeds == 1 && n->idx == 0) {
			map_single(cl, n);
		} else if (!cl->warned_single) {
			sl_error("redis %s is not a cluster node, but --redis lists %zu addresses: "
				 "a single Redis is one address",
				 node_addr(n), cl->nseeds);
			cl->warned_single = true;
		}
	} else if (err) {
		sl_debug("redis %s: CLUSTER SLOTS: %s", node_addr(n),
			 err == SL_EIO && rep ? rep->str : sl_strerror(err));
		cl->want_refresh = true; /* ask the next node */
	} else if (map_parse(cl, n, rep) < 0) {
		sl_warn("redis %s: CLUSTER SLOTS answered something unexpected", node_addr(n));
		cl->want_refresh = true;
	}
	retry_parked(cl, true);
	arm(cl);
}

/* Ask one connected node for the map now, or as soon as allowed. */
static void refresh(cluster *cl)
{
	uint64_t now = now_ms();

	if (cl->closing.on || !cl->started)
		return;
	cl->want_refresh = true;
	if (cl->refreshing || (cl->last_refresh && now - cl->last_refresh < REFRESH_MIN_MS)) {
		arm(cl);
		return;
	}
	for (size_t i = 0; i < cl->nnodes; i++) {
		struct cnode *n = cl->nodes[(cl->next_ask + i) % cl->nnodes];
		const char *argv[] = {"CLUSTER", "SLOTS"};
		size_t len[] = {7, 5};
		if (!node_up(n, CONN_CMD))
			continue;
		if (redis_command(n->conn[CONN_CMD], 0, on_slots, n, 2, argv, len) == 0) {
			cl->refreshing = true;
			cl->want_refresh = false;
			cl->last_refresh = now;
			cl->next_ask = (size_t)n->idx + 1;
			return;
		}
	}
	/* none connected: the seeds (re)connect on their own and ask when up */
	for (size_t i = 0; i < cl->nseeds; i++)
		node_use(cl->nodes[i], CONN_CMD);
	arm(cl);
}

static void on_node_state(void *ctx, bool up)
{
	struct cnode *n = ctx;
	cluster *cl = n->cl;

	if (cl->closing.on)
		return;
	if (up) {
		if (!cl->known || cl->want_refresh)
			refresh(cl);
		retry_parked(cl, true);
	} else if (cl->is_cluster) {
		refresh(cl); /* a primary lost: failed over? */
	}
}

/* ---- commands ------------------------------------------------------------ */

static void finish(struct ccmd *c, int err, const redisReply *rep)
{
	cluster *cl = c->cl;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (c->parked)
		cl->nparked--;
	c->cb(c->ctx, err, rep, &c->via);
	free(c);
}

static void park(struct ccmd *c, uint32_t ms)
{
	if (!c->parked) {
		c->parked = true;
		c->cl->nparked++;
	}
	c->retry_at = now_ms() + ms;
	arm(c->cl);
}

static void on_asking(void *ctx, int err, const redisReply *rep)
{
	(void)ctx;
	(void)err;
	(void)rep; /* the command after it says what happened */
}

static void on_cmd_reply(void *ctx, int err, const redisReply *rep);

/*
 * An older command of the same slot and connection is parked (a TRYAGAIN, a
 * primary not connected yet): c waits behind it, so that a device's batch
 * k + 1 never reaches Redis before batch k (the append script would refuse
 * it as a gap).  Only looked for while something is parked.
 */
static bool held_back(const struct ccmd *c)
{
	const cluster *cl = c->cl;

	if (!cl->nparked)
		return false;
	for (const struct ccmd *o = cl->cmds.next; o != c && o != &cl->cmds; o = o->next)
		if (o->parked && o->slot == c->slot && o->which == c->which)
			return true;
	return false;
}

/* Route c now: in flight, parked, or finished. */
static void try_send(struct ccmd *c)
{
	cluster *cl = c->cl;
	int idx = c->ask >= 0 ? c->ask : cl->owner[c->slot];
	uint64_t now = now_ms();
	struct cnode *n;
	int rc;

	if (now >= c->deadline || cl->closing.on) {
		/* closing: a callback of one command may close us mid-retry */
		finish(c, SL_EUNAVAIL, NULL);
		return;
	}
	if (idx < 0 || (!cl->known && cl->nseeds > 1)) {
		refresh(cl);
		park(c, RETRY_MS);
		return;
	}
	if (held_back(c)) {
		park(c, RETRY_MS);
		return;
	}
	n = cl->nodes[idx];
	node_use(n, c->which);
	if (!node_up(n, c->which)) {
		if (cl->is_cluster)
			refresh(cl);
		park(c, RETRY_MS);
		return;
	}
	if (c->ask >= 0) {
		const char *argv[] = {"ASKING"};
		size_t len[] = {6};
		redis_command(n->conn[c->which], 0, on_asking, NULL, 1, argv, len);
	}
	rc = redis_command(n->conn[c->which], (uint32_t)(c->deadline - now), on_cmd_reply, c,
			   c->argc, (const char **)c->argv, c->argvlen);
	if (rc < 0) {
		park(c, RETRY_MS);
		return;
	}
	if (c->parked) {
		c->parked = false;
		cl->nparked--;
	}
	c->via.node = idx;
	c->via.which = c->which;
	c->via.conn = redis_conn_id(n->conn[c->which]);
}

/* "MOVED 3999 127.0.0.1:6381": the slot and the node, or -1. */
static int redirect_target(cluster *cl, const char *s, unsigned *slot)
{
	const char *sp = strchr(s, ' '), *sp2;
	char host[256], err[128];
	int port;
	long v;

	if (!sp)
		return -1;
	v = strtol(sp + 1, NULL, 10);
	sp2 = strchr(sp + 1, ' ');
	if (v < 0 || v >= CLUSTER_SLOTS || !sp2 ||
	    cluster__addr_parse(sp2 + 1, strlen(sp2 + 1), host, sizeof(host), &port, err,
				sizeof(err)) < 0)
		return -1;
	*slot = (unsigned)v;
	return node_get(cl, host, port)->idx;
}

static bool starts(const char *s, const char *word)
{
	size_t n = strlen(word);

	return strncmp(s, word, n) == 0 && (s[n] == ' ' || s[n] == '\0');
}

/* Transient cluster states: try the same command again after a pause. */
static bool transient(const char *s)
{
	return starts(s, "TRYAGAIN") || starts(s, "CLUSTERDOWN") || starts(s, "LOADING") ||
	       starts(s, "MASTERDOWN");
}

int cluster_note_error(cluster *cl, const char *err)
{
	unsigned slot;
	int idx;

	if (starts(err, "MOVED")) {
		idx = redirect_target(cl, err, &slot);
		if (idx >= 0)
			cl->owner[slot] = (int16_t)idx;
		follows_check(cl);
		refresh(cl);
		return 1;
	}
	if (starts(err, "ASK") || transient(err) || starts(err, "UNBLOCKED") ||
	    starts(err, "READONLY")) {
		refresh(cl);
		return 2;
	}
	return 0;
}

static void on_cmd_reply(void *ctx, int err, const redisReply *rep)
{
	struct ccmd *c = ctx;
	cluster *cl = c->cl;
	unsigned slot;
	int idx;

	if (cl->closing.on) {
		finish(c, err ? err : SL_EUNAVAIL, err ? rep : NULL);
		return;
	}
	if (err == SL_EIO && rep && rep->str && c->hops < MAX_HOPS) {
		if (starts(rep->str, "MOVED") &&
		    (idx = redirect_target(cl, rep->str, &slot)) >= 0) {
			c->hops++;
			cl->owner[slot] = (int16_t)idx;
			c->ask = -1;
			follows_check(cl);
			refresh(cl);
			try_send(c);
			return;
		}
		if (starts(rep->str, "ASK") && (idx = redirect_target(cl, rep->str, &slot)) >= 0) {
			c->hops++;
			c->ask = idx;
			try_send(c);
			return;
		}
	}
	if (err == SL_EIO && rep && rep->str && transient(rep->str)) {
		if (starts(rep->str, "CLUSTERDOWN"))
			refresh(cl);
		c->ask = -1;
		park(c, RETRY_MS * 2);
		return;
	}
	if ((err == SL_EUNAVAIL || err == SL_ETIMEOUT) && cl->is_cluster)
		refresh(cl);
	if (err == SL_EIO && rep && rep->str && starts(rep->str, "NOREPLICAS")) {
		/* min-replicas-to-write: the primary wrote nothing, for want of a
		 * replica: the store is unavailable for writes, not broken */
		sl_warn("redis %s: %s", c->via.node >= 0 ? node_addr(cl->nodes[c->via.node]) : "?",
			rep->str);
		finish(c, SL_EUNAVAIL, NULL);
		return;
	}
	finish(c, err, rep);
}

static int command(cluster *cl, int which, const char *key, size_t keylen, uint32_t timeout_ms,
		   cluster_reply_fn cb, void *ctx, int argc, const char **argv,
		   const size_t *argvlen)
{
	struct ccmd *c;
	size_t bytes = 0;
	char *p;
	unsigned slot = cluster_keyslot(key, keylen);

	if (!cb || argc < 1)
		return SL_EINVAL;
	if (cl->closing.on || !cl->started)
		return SL_EUNAVAIL;
	/* one Redis that is down: at once, as a single connection answers */
	if (cl->nseeds == 1 && !cl->is_cluster) {
		node_use(cl->nodes[0], which);
		if (!node_up(cl->nodes[0], which))
			return SL_EUNAVAIL;
	}
	for (int i = 0; i < argc; i++)
		bytes += argvlen[i] + 1;
	c = sl_calloc(1, sizeof(*c) + (size_t)argc * (sizeof(char *) + sizeof(size_t)) + bytes);
	c->argv = (char **)(c + 1);
	c->argvlen = (size_t *)(c->argv + argc);
	p = (char *)(c->argvlen + argc);
	for (int i = 0; i < argc; i++) {
		memcpy(p, argv[i], argvlen[i]);
		p[argvlen[i]] = '\0';
		c->argv[i] = p;
		c->argvlen[i] = argvlen[i];
		p += argvlen[i] + 1;
	}
	c->argc = argc;
	c->cl = cl;
	c->slot = slot;
	c->cb = cb;
	c->ctx = ctx;
	c->ask = -1;
	c->which = which;
	c->via.node = -1;
	c->deadline = now_ms() + (timeout_ms ? timeout_ms : cl->timeout_ms);
	c->next = &cl->cmds;
	c->prev = cl->cmds.prev;
	c->prev->next = c;
	cl->cmds.prev = c;
	try_send(c); /* never calls back: a deadline ahead, and what cannot go waits */
	return 0;
}

int cluster_command(cluster *cl, const char *key, size_t keylen, uint32_t timeout_ms,
		    cluster_reply_fn cb, void *ctx, int argc, const char **argv,
		    const size_t *argvlen)
{
	return command(cl, CONN_CMD, key, keylen, timeout_ms, cb, ctx, argc, argv, argvlen);
}

int cluster_write(cluster *cl, const char *key, size_t keylen, uint32_t timeout_ms,
		  cluster_reply_fn cb, void *ctx, int argc, const char **argv,
		  const size_t *argvlen)
{
	return command(cl, CONN_WRITE, key, keylen, timeout_ms, cb, ctx, argc, argv, argvlen);
}

/*
 * Try the parked commands that are due (all: every one, now), oldest first:
 * they stay where they are on cl->cmds (in the order they were made), so a
 * slot's commands keep their order (see held_back).  The due ones are
 * gathered first: try_send may park one again or finish it, and a callback
 * may close the cluster, which finishes every parked one (then stop).
 */
static void retry_parked(cluster *cl, bool all)
{
	uint64_t now = now_ms();
	struct ccmd **due, *c;
	size_t n = 0;

	if (!cl->nparked || cl->closing.on)
		return;
	due = sl_calloc(cl->nparked, sizeof(*due));
	for (c = cl->cmds.next; c != &cl->cmds && n < cl->nparked; c = c->next)
		if (c->parked && (all || c->retry_at <= now || c->deadline <= now))
			due[n++] = c;
	for (size_t i = 0; i < n && !cl->closing.on; i++)
		try_send(due[i]);
	free(due);
}

/* ---- WAIT ---------------------------------------------------------------- */

static int wait_send(struct cnode *n);

static void on_waited(void *ctx, int err, const redisReply *rep)
{
	struct cnode *n = ctx;
	struct waiter *w = n->wbatch, *next;
	int replicas = 0;

	n->wbatch = NULL;
	n->wbusy = false;
	if (!err && rep->type == REDIS_REPLY_INTEGER)
		replicas = (int)rep->integer;
	else if (!err)
		err = SL_EIO;
	if (err == SL_EIO && rep && rep->str)
		sl_warn("redis %s: WAIT: %s", node_addr(n), rep->str);
	for (; w; w = next) {
		next = w->next;
		w->cb(w->ctx, err, err ? 0 : replicas);
		free(w);
	}
	if (n->wq && wait_send(n) < 0) {
		w = n->wq;
		n->wq = NULL;
		n->wq_tail = &n->wq;
		for (; w; w = next) {
			next = w->next;
			w->cb(w->ctx, SL_EUNAVAIL, 0);
			free(w);
		}
	}
}

/* One WAIT for every queued waiter: 0, or < 0 and the queue unchanged. */
static int wait_send(struct cnode *n)
{
	char num[16], ms[16];
	const char *argv[] = {"WAIT", num, ms};
	size_t len[3];
	int most = 0;
	uint32_t tmo = 0;
	int rc;

	for (struct waiter *w = n->wq; w; w = w->next) {
		most = w->n > most ? w->n : most;
		tmo = w->timeout_ms > tmo ? w->timeout_ms : tmo;
	}
	snprintf(num, sizeof(num), "%d", most);
	snprintf(ms, sizeof(ms), "%u", tmo);
	len[0] = 4;
	len[1] = strlen(num);
	len[2] = strlen(ms);
	rc = redis_command(n->conn[CONN_WRITE], tmo + n->cl->timeout_ms, on_waited, n, 3, argv,
			   len);
	if (rc < 0)
		return rc;
	n->wbusy = true;
	n->wbatch = n->wq;
	n->wq = NULL;
	n->wq_tail = &n->wq;
	return 0;
}

int cluster_wait(cluster *cl, const struct cluster_via *via, int n, uint32_t timeout_ms,
		 cluster_wait_fn cb, void *ctx)
{
	struct cnode *node;
	struct waiter *w;

	if (cl->closing.on || via->node < 0 || (size_t)via->node >= cl->nnodes)
		return SL_EUNAVAIL;
	node = cl->nodes[via->node];
	if (via->which != CONN_WRITE || !node_up(node, CONN_WRITE) ||
	    redis_conn_id(node->conn[CONN_WRITE]) != via->conn)
		return SL_EUNAVAIL;
	w = sl_calloc(1, sizeof(*w));
	w->cb = cb;
	w->ctx = ctx;
	w->n = n;
	w->timeout_ms = timeout_ms;
	*node->wq_tail = w;
	node->wq_tail = &w->next;
	if (!node->wbusy && wait_send(node) < 0) {
		node->wq = NULL; /* it was the only one: nothing is queued without a WAIT */
		node->wq_tail = &node->wq;
		free(w);
		return SL_EUNAVAIL;
	}
	return 0;
}

/* ---- state --------------------------------------------------------------- */

bool cluster_up(const cluster *cl)
{
	return cl->known;
}

bool cluster_is_cluster(const cluster *cl)
{
	return cl->is_cluster;
}

bool cluster_slot_up(cluster *cl, unsigned slot)
{
	int idx;

	if (!cl->known || slot >= CLUSTER_SLOTS || (idx = cl->owner[slot]) < 0)
		return false;
	node_use(cl->nodes[idx], CONN_CMD);
	node_use(cl->nodes[idx], CONN_WRITE);
	return node_up(cl->nodes[idx], CONN_CMD) && node_up(cl->nodes[idx], CONN_WRITE);
}

const char *cluster_slot_addr(const cluster *cl, unsigned slot)
{
	int idx = slot < CLUSTER_SLOTS ? cl->owner[slot] : -1;

	return cl->known && idx >= 0 ? node_addr(cl->nodes[idx]) : "";
}

int cluster_follow_addr(void *ctx, char *host, size_t hostlen, int *port)
{
	struct cluster_follow *f = ctx;
	cluster *cl = f->cl;
	int idx = cl->owner[f->slot];

	if (cl->is_cluster || idx < 0)
		refresh(cl);
	if (idx < 0)
		return SL_ENOENT;
	snprintf(host, hostlen, "%s", cl->nodes[idx]->host);
	*port = cl->nodes[idx]->port;
	f->node = idx;
	return 0;
}

void cluster_follow_add(cluster *cl, struct cluster_follow *f)
{
	f->node = -1;
	f->next = cl->follows;
	cl->follows = f;
}

void cluster_follow_del(cluster *cl, struct cluster_follow *f)
{
	for (struct cluster_follow **p = &cl->follows; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			return;
		}
	}
}

/* The map changed: tell each follow whose slot now lives elsewhere. */
static void follows_check(cluster *cl)
{
	struct cluster_follow *f, *next;

	for (f = cl->follows; f; f = next) {
		next = f->next; /* on_moved may not remove others, but may redo its own */
		if (f->node >= 0 && cl->owner[f->slot] >= 0 && cl->owner[f->slot] != f->node) {
			f->node = -1;
			if (f->on_moved)
				f->on_moved(f->ctx);
		}
	}
}

/* ---- the timer ----------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	cluster *cl = t->data;

	cl->timer_due = 0;
	if (cl->is_cluster && now_ms() - cl->last_refresh >= REFRESH_EVERY_MS)
		cl->want_refresh = true;
	if (cl->want_refresh)
		refresh(cl);
	retry_parked(cl, false);
	arm(cl);
}

/* Run the timer soon when something waits, else for the periodic refresh. */
static void arm(cluster *cl)
{
	uint64_t ms, due;

	if (cl->closing.on || !cl->started)
		return;
	if (cl->nparked || cl->want_refresh)
		ms = RETRY_MS;
	else if (cl->is_cluster)
		ms = REFRESH_EVERY_MS;
	else
		return;
	due = now_ms() + ms;
	if (cl->timer_due && cl->timer_due <= due)
		return; /* already due sooner */
	cl->timer_due = due;
	uv_timer_start(&cl->timer, on_timer, ms, 0);
}

/* ---- lifecycle ----------------------------------------------------------- */

static void add_seed(void *ctx, const char *host, int port)
{
	cluster *cl = ctx;

	node_get(cl, host, port);
	cl->nseeds = cl->nnodes;
}

cluster *cluster_new(uv_loop_t *loop, const struct cluster_opts *o)
{
	cluster *cl = sl_calloc(1, sizeof(*cl));
	char err[256];

	cl->loop = loop;
	cl->timeout_ms = o->timeout_ms ? o->timeout_ms : 2000;
	cl->max_pending = o->max_pending ? o->max_pending : 100000;
	cl->cmds.next = cl->cmds.prev = &cl->cmds;
	for (size_t s = 0; s < CLUSTER_SLOTS; s++)
		cl->owner[s] = -1;
	if (cluster__addrs_each(o->addrs, err, sizeof(err), add_seed, cl) < 0)
		sl_error("--redis '%s': %s", o->addrs, err); /* main.c checked it first */
	/* one address: every slot is its; CLUSTER SLOTS says whether it is a cluster */
	if (cl->nseeds == 1)
		for (size_t s = 0; s < CLUSTER_SLOTS; s++)
			cl->owner[s] = 0;
	uv_timer_init(loop, &cl->timer);
	cl->timer.data = cl;
	return cl;
}

void cluster_start(cluster *cl)
{
	if (cl->started || cl->closing.on)
		return;
	cl->started = true;
	for (size_t i = 0; i < cl->nseeds; i++)
		node_use(cl->nodes[i], CONN_CMD);
}

static void on_part_closed(void *ctx)
{
	cluster *cl = ctx;

	if (--cl->open == 0)
		sl_close_done(&cl->closing);
}

static void on_timer_closed(uv_handle_t *h)
{
	on_part_closed(h->data);
}

void cluster_close(cluster *cl, void (*on_closed)(void *ctx), void *ctx)
{
	if (!sl_close_begin(&cl->closing, on_closed, ctx))
		return;
	uv_timer_stop(&cl->timer);
	cl->open = 2 * (int)cl->nnodes + 1;
	/* parked commands fail now; those in flight when their connection closes */
	for (struct ccmd *c = cl->cmds.next, *next; c != &cl->cmds; c = next) {
		next = c->next;
		if (c->parked)
			finish(c, SL_EUNAVAIL, NULL);
	}
	for (size_t i = 0; i < cl->nnodes; i++) {
		redis_close(cl->nodes[i]->conn[CONN_CMD], on_part_closed, cl);
		redis_close(cl->nodes[i]->conn[CONN_WRITE], on_part_closed, cl);
	}
	uv_close((uv_handle_t *)&cl->timer, on_timer_closed);
}

void cluster_free(cluster *cl)
{
	if (!cl)
		return;
	for (size_t i = 0; i < cl->nnodes; i++) {
		redis_free(cl->nodes[i]->conn[CONN_CMD]);
		redis_free(cl->nodes[i]->conn[CONN_WRITE]);
		free(cl->nodes[i]);
	}
	free(cl->nodes);
	free(cl);
}

/*
 * registry.c: the deployment's list of events (registry.h), through the
 * node's store/cluster.h: every command here has one key, argv[1], which
 * says where it goes.
 */
#include "store/registry.h"

#include <stdlib.h>
#include <string.h>

#include "sl.h"
#include "store/cluster.h"

#define REGISTRY_KEY REGISTRY_EVENTS
#define SERIES_KEY REGISTRY_SERIES

struct registry {
	cluster *cl; /* borrowed */
};

struct reg_op {
	registry_exists_fn exists;
	registry_list_fn list;
	registry_done_fn done;
	registry_get_fn get;
	void *ctx;
};

/* Send argv for op (owned: the reply callback frees it; freed here when not sent). */
static int send_op(registry *g, void *op, cluster_reply_fn on_reply, int argc, const char **argv,
		   const size_t *argvlen)
{
	int rc = cluster_command(g->cl, argv[1], argvlen[1], 0, on_reply, op, argc, argv, argvlen);

	if (rc < 0)
		free(op);
	return rc;
}

static struct reg_op *op_new(void *ctx)
{
	struct reg_op *op = sl_calloc(1, sizeof(*op));

	op->ctx = ctx;
	return op;
}

registry *registry_new(cluster *cl)
{
	registry *g = sl_calloc(1, sizeof(*g));

	g->cl = cl;
	return g;
}

bool registry_up(const registry *g)
{
	return cluster_slot_up(g->cl, cluster_keyslot(REGISTRY_KEY, sizeof(REGISTRY_KEY) - 1));
}

static void on_exists(void *ctx, int err, const redisReply *rep, const struct cluster_via *via)
{
	(void)via;
	struct reg_op *op = ctx;

	if (!err && (!rep || rep->type != REDIS_REPLY_INTEGER))
		err = SL_EIO;
	op->exists(op->ctx, err, !err && rep->integer > 0);
	free(op);
}

int registry_exists(registry *g, const char *event, registry_exists_fn cb, void *ctx)
{
	struct reg_op *op = op_new(ctx);
	char key[96]; /* event ids are at most 64 bytes (slid.h) */
	const char *argv[2] = {"EXISTS", key};
	size_t argvlen[2] = {6, 0};

	argvlen[1] = (size_t)snprintf(key, sizeof(key), "sl:{%s}:log", event);
	op->exists = cb;
	return send_op(g, op, on_exists, 2, argv, argvlen);
}

static void on_put(void *ctx, int err, const redisReply *rep, const struct cluster_via *via)
{
	(void)via;
	(void)rep;
	if (err)
		sl_warn("cannot write the summary of event '%s' to the registry: %s",
			(const char *)ctx, sl_strerror(err));
	free(ctx);
}

int registry_put(registry *g, const char *event, const char *summary, size_t len)
{
	const char *argv[4] = {"HSET", REGISTRY_KEY, event, summary};
	size_t argvlen[4] = {4, sizeof(REGISTRY_KEY) - 1, strlen(event), len};
	return send_op(g, sl_strdup(event), on_put, 4, argv, argvlen);
}

static void on_list(void *ctx, int err, const redisReply *rep, const struct cluster_via *via)
{
	(void)via;
	struct reg_op *op = ctx;
	size_t n = 0;
	const char **ids = NULL, **sums = NULL;
	size_t *lens = NULL;

	if (!err && (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements % 2))
		err = SL_EIO;
	if (!err) {
		n = rep->elements / 2;
		ids = sl_calloc(n + 1, sizeof(*ids));
		sums = sl_calloc(n + 1, sizeof(*sums));
		lens = sl_calloc(n + 1, sizeof(*lens));
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			const redisReply *a = rep->element[2 * i], *b = rep->element[2 * i + 1];
			if (a->type != REDIS_REPLY_STRING || b->type != REDIS_REPLY_STRING)
				continue;
			ids[k] = a->str;
			sums[k] = b->str;
			lens[k++] = b->len;
		}
		n = k;
	}
	op->list(op->ctx, err, n, ids, sums, lens);
	SL_FREE_MANY(ids, sums, lens, op);
}

int registry_list(registry *g, const char *hash, registry_list_fn cb, void *ctx)
{
	struct reg_op *op = op_new(ctx);
	const char *argv[2] = {"HGETALL", hash};
	size_t argvlen[2] = {7, strlen(hash)};

	op->list = cb;
	return send_op(g, op, on_list, 2, argv, argvlen);
}

static void on_series_put(void *ctx, int err, const redisReply *rep, const struct cluster_via *via)
{
	(void)via;
	struct reg_op *op = ctx;

	(void)rep;
	op->done(op->ctx, err);
	free(op);
}

int registry_series_put(registry *g, const char *id, const char *doc, size_t len,
			registry_done_fn cb, void *ctx)
{
	struct reg_op *op = op_new(ctx);
	const char *argv[4] = {"HSET", SERIES_KEY, id, doc};
	size_t argvlen[4] = {4, sizeof(SERIES_KEY) - 1, strlen(id), len};

	op->done = cb;
	return send_op(g, op, on_series_put, 4, argv, argvlen);
}

static void on_series_get(void *ctx, int err, const redisReply *rep, const struct cluster_via *via)
{
	(void)via;
	struct reg_op *op = ctx;

	if (!err && rep && rep->type == REDIS_REPLY_NIL)
		err = SL_ENOENT;
	else if (!err && (!rep || rep->type != REDIS_REPLY_STRING))
		err = SL_EIO;
	op->get(op->ctx, err, err ? NULL : rep->str, err ? 0 : rep->len);
	free(op);
}

int registry_series_get(registry *g, const char *id, registry_get_fn cb, void *ctx)
{
	struct reg_op *op = op_new(ctx);
	const char *argv[3] = {"HGET", SERIES_KEY, id};
	size_t argvlen[3] = {4, sizeof(SERIES_KEY) - 1, strlen(id)};

	op->get = cb;
	return send_op(g, op, on_series_get, 3, argv, argvlen);
}

void registry_free(registry *g)
{
	free(g);
}

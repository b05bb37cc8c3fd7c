/*
 * log_tok.c: an event's tokens in Redis (log.h, "Tokens"): looked up on the
 * node's command connection; issued and revoked by a script that checks the
 * issuer's token in the same step, on the connection for writes, followed by
 * a WAIT for the replicas like an append (log.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store/log_int.h"

/*
 * Tokens issued or revoked: KEYS the tokens; ARGV the issuer's token hash
 * ('' for the deployment's admin token), "put" or "del", the token's hash,
 * its record.  The issuer's token is checked in the same step.
 */
static const char token_lua[] =
	"if ARGV[1] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then\n"
	"  return 'auth'\n"
	"end\n"
	"if ARGV[2] == 'put' then\n"
	"  redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])\n"
	"  return 'ok'\n"
	"end\n"
	"if redis.call('HDEL', KEYS[1], ARGV[3]) == 0 then return 'none' end\n"
	"return 'ok'\n";

/* ---- tokens -------------------------------------------------------------- */

struct tok_op {
	evlog *l;
	evlog_get_fn get;
	evlog_done_fn done;
	void *ctx;
};

static void tok_finish(struct tok_op *op, int err)
{
	evlog *l = op->l;

	op->done(op->ctx, err);
	free(op);
	evlog__inflight_done(l);
}

static void on_tok_waited(void *ctx, int err, int replicas)
{
	struct tok_op *op = ctx;
	int want = evlog__wait_n(op->l);

	if (!err && replicas < want) {
		sl_warn("token change in '%s': %d of %d replicas confirmed it in %u ms",
			op->l->k_tok, replicas, want, op->l->wait_ms);
		err = SL_EUNSAFE;
	}
	tok_finish(op, err);
}

static void on_tok(void *ctx, int err, const redisReply *rep, const struct cluster_via *via)
{
	struct tok_op *op = ctx;

	if (op->get) {
		if (!err && rep->type == REDIS_REPLY_STRING)
			op->get(op->ctx, 0, rep->str, rep->len);
		else
			op->get(op->ctx, err ? err : SL_ENOENT, NULL, 0);
		evlog__inflight_done(op->l);
		free(op);
		return;
	}
	/* a Lua string comes back as a bulk string */
	const char *r = !err && rep->type == REDIS_REPLY_STRING ? rep->str : "";
	if (!err && !strcmp(r, "auth"))
		err = SL_EAUTH;
	else if (!err && !strcmp(r, "none"))
		err = SL_ENOENT;
	else if (!err && strcmp(r, "ok") != 0)
		err = SL_EIO;
	if (!err && evlog__wait_n(op->l) > 0) {
		if (cluster_wait(op->l->cl, via, evlog__wait_n(op->l), op->l->wait_ms,
				 on_tok_waited, op) == 0)
			return;
		err = SL_EUNAVAIL;
	}
	tok_finish(op, err);
}

/* Send a token command; op (owned) is freed by on_tok, or here when the
 * command could not be sent. */
static int tok_command(evlog *l, struct tok_op *op, int argc, const char **argv,
		       const size_t *argvlen)
{
	int rc;

	op->l = l;
	if (l->closing.on) {
		rc = SL_EUNAVAIL;
	} else if (op->get) {
		rc = cluster_command(l->cl, l->k_tok, argvlen[1], 0, on_tok, op, argc, argv,
				     argvlen);
	} else {
		rc = cluster_write(l->cl, l->k_tok, strlen(l->k_tok), evlog__write_timeout(l),
				   on_tok, op, argc, argv, argvlen);
	}
	if (rc < 0)
		free(op);
	else
		l->inflight++;
	return rc;
}

int evlog_token_get(evlog *l, const char *hash, evlog_get_fn cb, void *ctx)
{
	struct tok_op *op = sl_calloc(1, sizeof(*op));
	const char *argv[] = {"HGET", l->k_tok, hash};
	size_t argvlen[] = {4, strlen(l->k_tok), strlen(hash)};

	op->get = cb;
	op->ctx = ctx;
	return tok_command(l, op, 3, argv, argvlen);
}

static int token_eval(evlog *l, const char *issuer, const char *op_name, const char *hash,
		      const char *val, size_t len, evlog_done_fn cb, void *ctx)
{
	struct tok_op *op = sl_calloc(1, sizeof(*op));
	const char *argv[] = {"EVAL",  token_lua, "1", l->k_tok, issuer ? issuer : "",
			      op_name, hash,      val};
	size_t argvlen[8];

	for (int i = 0; i < 7; i++)
		argvlen[i] = strlen(argv[i]);
	argvlen[7] = len;
	op->done = cb;
	op->ctx = ctx;
	return tok_command(l, op, 8, argv, argvlen);
}

int evlog_token_put(evlog *l, const char *issuer, const char *hash, const char *val, size_t len,
		    evlog_done_fn cb, void *ctx)
{
	return token_eval(l, issuer, "put", hash, val, len, cb, ctx);
}

int evlog_token_del(evlog *l, const char *issuer, const char *hash, evlog_done_fn cb, void *ctx)
{
	return token_eval(l, issuer, "del", hash, "", 0, cb, ctx);
}

/*
 * h_token.c: tokens: token_issue (32 random hex digits, stored in Redis
 * by their sha256 with role, device and point) and token_revoke.  A token
 * revoked on this node closes its sessions here at once (4001); on other
 * nodes its next write is refused by the append script.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "net/handlers.h"
#include "slid.h"

void net_sha256_hex(const char *s, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(s, n, md, &mdlen, EVP_sha256(), NULL);
	sl_hex(out, md, 32);
}

bool net__hash_eq(const char *a, const char *b)
{
	unsigned char d = 0;

	for (int i = 0; i < 64; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* The reply to token_issue or token_revoke, when the session is still open. */
static void reply_token(sess *s, struct req *r, int err)
{
	if (err == SL_ENOENT && r->kind == RQ_TOKEN_REVOKE) {
		sess_send_err(s, r->id, SL_ENOENT, "no such token");
	} else if (err) {
		req_send_store_err(s, r->id, err);
	} else if (r->kind == RQ_TOKEN_ISSUE) {
		sl_buf b = SL_BUF_INIT;
		msgpack_packer pk;
		req_reply_begin(&pk, &b, 3, "ok", r->id);
		slp_pack_kv_str(&pk, "token", r->token);
		sess_send_mp(s, b.data, b.len);
		sl_buf_release(&b);
	} else {
		sess_send_ok(s, r->id);
	}
}

static void on_token_done(void *ctx, int err)
{
	struct req *r = ctx;
	net *n = r->s->n;

	if (r->s->wsi)
		reply_token(r->s, r, err);
	if ((!err || err == SL_EUNSAFE) && r->kind == RQ_TOKEN_REVOKE) {
		/* every session of this node holding the token ends at once; on
		 * other nodes its next write is refused by the append script (also
		 * when the revoke is written but not yet confirmed by a replica) */
		for (sess *x = n->sessions.next; x != &n->sessions; x = x->next)
			if (x->tokhash[0] && net__hash_eq(x->tokhash, r->hash)) {
				sess_forget(x);
				sess_close(x, NET_CLOSE_REVOKED, "token revoked", true);
			}
	}
	req_free(r);
}

void h_token_issue(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	const char *role, *dev = NULL;
	size_t rn, dn = 0;
	unsigned char rnd[16];
	char hash[65];
	sl_buf val = SL_BUF_INIT;
	msgpack_packer pk;
	struct req *r;
	int rc;

	const char *pt = NULL;
	size_t pn = 0;
	if (slp_get_str(root, "role", &role, &rn) != 0 || net_role_parse(role, rn) == ROLE_NONE)
		return sess_send_err(s, id, SL_EINVAL,
				     "role: expected admin, official, reader, spectator, desk or "
				     "scanner");
	rc = slp_get_str(root, "device", &dev, &dn);
	if (rc == SL_EINVAL || (rc == 0 && dn > 0 && !sl_device_ok(dev, dn)))
		return sess_send_err(s, id, SL_EINVAL, "device: expected " SL_DEVICE_WORDS);
	rc = slp_get_str(root, "point", &pt, &pn);
	if (rc == SL_EINVAL || (rc == 0 && pn > 0 && !sl_id_ok(pt, pn)))
		return sess_send_err(s, id, SL_EINVAL, "point: expected " SL_ID_WORDS);
	if (pn > 0 && net_role_parse(role, rn) != ROLE_SCANNER)
		return sess_send_err(s, id, SL_EINVAL, "point: only a scanner token has a point");
	int rl = net_role_parse(role, rn);
	if (dn == 0 && (rl == ROLE_READER || rl == ROLE_SCANNER || rl == ROLE_DESK))
		return sess_send_errf(
			s, id, SL_EINVAL,
			"device: required for a %s token (a token writes as one device)",
			net_role_name(rl));
	if (dn > 0 && rl == ROLE_SPECTATOR)
		return sess_send_err(s, id, SL_EINVAL, "device: a spectator token writes nothing");
	/* the officials' own devices are named after their tokens (own_device) */
	if (dn > 0 &&
	    ((dn == 5 && !memcmp(dev, "admin", 5)) || (dn >= 6 && !memcmp(dev, "admin-", 6)) ||
	     (dn >= 9 && !memcmp(dev, "official-", 9))))
		return sess_send_errf(
			s, id, SL_EINVAL,
			"device: '%.*s' is reserved: 'admin' and names beginning with "
			"'admin-' or 'official-' are the officials' own devices",
			(int)dn, dev);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return sess_send_err(s, id, SL_EIO, "cannot draw random bytes");
	r = req_new(s, id, RQ_TOKEN_ISSUE);
	sl_hex(r->token, rnd, 16);
	net_sha256_hex(r->token, 32, hash);
	slp_packer_init(&pk, &val);
	msgpack_pack_map(&pk, 1 + (dn > 0) + (pn > 0));
	slp_pack_kv_strn(&pk, "role", role, rn);
	if (dn > 0)
		slp_pack_kv_strn(&pk, "device", dev, dn);
	if (pn > 0)
		slp_pack_kv_strn(&pk, "point", pt, pn);
	rc = evlog_token_put(s->ev->log, s->tokhash[0] ? s->tokhash : NULL, hash, val.data, val.len,
			     on_token_done, r);
	sl_buf_release(&val);
	if (rc < 0) {
		sess_send_err(s, id, rc, req_store_msg(rc));
		req_free(r);
	}
}

void h_token_revoke(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	const char *tok;
	size_t tn;
	char hash[65];
	struct req *r;
	int rc;

	if (slp_get_str(root, "token", &tok, &tn) != 0 || tn == 0)
		return sess_send_err(s, id, SL_EINVAL, "token: expected string");
	net_sha256_hex(tok, tn, hash);
	r = req_new(s, id, RQ_TOKEN_REVOKE);
	memcpy(r->hash, hash, sizeof(r->hash));
	rc = evlog_token_del(s->ev->log, s->tokhash[0] ? s->tokhash : NULL, hash, on_token_done, r);
	if (rc < 0) {
		sess_send_err(s, id, rc, req_store_msg(rc));
		req_free(r);
	}
}

/*
 * h_input.c: device input, passings: a batch of reads from one device.
 *
 * Devices: a token of a device role (reader, scanner, desk) writes device
 * input as its own device only, with its own seqs (one space for passings,
 * one for check-ins); no token can write as another device (roles.h:
 * net_writer_allowed).  An official or admin token issued with a device is
 * such a device too; one without writes its passings and check-ins as its
 * own device, "official-" or "admin-" and the first 12 hex digits of its
 * hash ("admin" for the deployment's admin token), numbered by the server:
 * it sends no seq, and the record carries an 8-byte seq slot the append
 * script fills in.  A scanner token with a timing point sends handheld
 * reads at that point only.  With "check": true nothing is written: the
 * reply lists, per read, why it would not count as expected.
 */
#include <string.h>

#include "net/handlers.h"

/* The lines of w, read i's warnings: counted, and packed as {i, msg} when
 * pk is not NULL. */
static size_t warning_lines(const sl_buf *w, size_t i, msgpack_packer *pk)
{
	size_t n = 0;

	for (const char *p = w->data; p && *p; n++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (pk) {
			msgpack_pack_map(pk, 2);
			slp_pack_kv_int(pk, "i", (int64_t)i);
			slp_pack_kv_strn(pk, "msg", p, len);
		}
		p += len + (nl != NULL);
	}
	return n;
}

/*
 * "check": true: nothing is written; the reply says, per read, why it would
 * not count as whoever types it by hand expects (core_read_warnings).
 */
static void reply_read_warnings(sess *s, uint64_t id, const slp_batch *b)
{
	sl_buf out = SL_BUF_INIT, w = SL_BUF_INIT;
	msgpack_packer pk;
	size_t n = 0;

	for (size_t i = 0; i < b->nreads; i++) {
		sl_buf_reset(&w);
		core_read_warnings(s->ev->core, &b->reads[i], &w);
		n += warning_lines(&w, i, NULL);
	}
	req_reply_begin(&pk, &out, 3, "ok", id);
	slp_pack_key(&pk, "warnings");
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < b->nreads; i++) {
		sl_buf_reset(&w);
		core_read_warnings(s->ev->core, &b->reads[i], &w);
		warning_lines(&w, i, &pk);
	}
	sess_send_mp(s, out.data, out.len);
	sl_buf_release(&w);
	sl_buf_release(&out);
}

void h_passings(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	slp_batch b;
	char err[200] = "";
	const char *dev;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	struct req *r;
	sl_buf why = SL_BUF_INIT;
	size_t seq_off;
	int rc;

	bool check = false;
	if (slp_get_bool(root, "check", &check) == SL_EINVAL)
		return sess_send_err(s, id, SL_EINVAL, "check: expected true or false");
	rc = slp_batch_parse_flags(root, m->zone, s->srv_seq ? SLP_SEQ_NONE : 0, &b, err,
				   sizeof(err));
	if (rc < 0)
		return sess_send_err(s, id, rc, err[0] ? err : NULL);
	if (!(dev = req_writer_device(s, id, b.dev, b.dev_len)))
		return;
	if (check)
		return reply_read_warnings(s, id, &b);
	/* a checkpoint scanner: handheld reads at its own point only */
	if (req_denied(s, id, net_scope_allowed(s->role, NET_MSG_PASSINGS, s->point, &why), &why))
		return;
	for (size_t i = 0; i < b.nreads; i++) {
		const slp_read *rd = &b.reads[i];
		rc = net_read_allowed(s->role, s->point, i, rd->kind, rd->pt, rd->pt_len, &why);
		if (req_denied(s, id, rc, &why))
			return;
	}

	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "k", "passings");
	slp_pack_kv_str(&pk, "dev", dev);
	seq_off = req_pack_seq(&pk, &rec, s->srv_seq, b.seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, b.reads, b.nreads);
	slp_pack_kv_int(&pk, "rx", sl_now_ms());

	r = req_new(s, id, RQ_PASSINGS);
	r->dev = sl_strdup(dev);
	r->srv_seq = s->srv_seq;
	r->seq = s->srv_seq ? 1 : b.seq;
	r->last = r->seq + b.nreads - 1;
	req_append(s, r, &rec, EVLOG_PASSINGS, seq_off);
	sl_buf_release(&rec);
}

/*
 * h_checkin.c: check-in: checkins (a device's batch of scans, numbered
 * like passings in a seq space of its own) and checkin_undo (an official's
 * record).  The core checks the scans; their answers come from the core
 * after the fold, on topic scans/<dev>.
 */
#include <string.h>

#include "net/handlers.h"

/*
 * checkins: a device's batch of check-in scans, {dev, seq, scans}; the same
 * device/seq rules as passings (ack, dup, gap); the core checks the scans.
 * The answers come from the core after the fold, on topic scans/<dev>.
 */
void h_checkins(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	const char *dev;
	size_t devlen;
	int64_t seq = 0;
	const msgpack_object_array *scans;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	char err[256] = "";
	struct req *r;
	sl_buf why = SL_BUF_INIT;
	size_t seq_off;
	int rc;

	if (req_denied(s, id, net_scope_allowed(s->role, NET_MSG_CHECKINS, s->point, &why), &why))
		return;
	rc = slp_get_str(root, "dev", &dev, &devlen);
	if (rc == SL_EINVAL || (rc == 0 && (devlen == 0 || devlen > 64)))
		return sess_send_err(s, id, SL_EINVAL, "dev: expected a string of 1 to 64 bytes");
	if (!(dev = req_writer_device(s, id, rc == 0 ? dev : NULL, devlen)))
		return;
	rc = slp_get_int(root, "seq", &seq);
	if (s->srv_seq) {
		if (rc != SL_ENOENT)
			return sess_send_errf(
				s, id, SL_EINVAL,
				"seq: device '%s' is numbered by the server: leave seq out "
				"(or issue the token with --device to number its own)",
				s->device);
	} else if (rc < 0 || seq < 1 || (uint64_t)seq > SL_SEQ_MAX) {
		return sess_send_errf(s, id,
				      rc == SL_ENOENT || rc == SL_EINVAL ? SL_EINVAL : SL_ERANGE,
				      "seq: expected an integer in 1..%llu (2^53-1)",
				      (unsigned long long)SL_SEQ_MAX);
	}
	if (slp_get_arr(root, "scans", &scans) < 0 || scans->size == 0 || scans->size > 10000)
		return sess_send_err(s, id, SL_EINVAL,
				     "scans: expected an array of 1 to 10000 maps");
	if (!s->srv_seq && (uint64_t)scans->size - 1 > SL_SEQ_MAX - (uint64_t)seq)
		return sess_send_errf(
			s, id, SL_ERANGE,
			"seq: %lld + %u scans goes past the largest seq %llu (2^53-1)",
			(long long)seq, scans->size, (unsigned long long)SL_SEQ_MAX);

	slp_packer_init(&pk, &rec);
	for (uint32_t i = 0; i < scans->size; i++) {
		const char *op = NULL;
		size_t on = 0;
		if (scans->ptr[i].type != MSGPACK_OBJECT_MAP ||
		    slp_get_str(&scans->ptr[i], "op", &op, &on) != 0)
			op = NULL;
		if (req_denied(s, id, net_scan_allowed(s->role, i, op, on, &why), &why))
			return;
	}
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "k", "checkins");
	slp_pack_kv_str(&pk, "dev", dev);
	seq_off = req_pack_seq(&pk, &rec, s->srv_seq, (uint64_t)seq);
	slp_pack_key(&pk, "scans");
	msgpack_pack_object(&pk, *slp_get(root, "scans"));
	slp_pack_kv_int(&pk, "rx", sl_now_ms());
	rc = core_check(s->ev->core, rec.data, rec.len, err, sizeof(err));
	if (rc < 0) {
		sl_buf_release(&rec);
		return sess_send_err(s, id, rc, err[0] ? err : NULL);
	}
	r = req_new(s, id, RQ_CHECKINS);
	r->dev = sl_strdup(dev);
	r->srv_seq = s->srv_seq;
	r->seq = s->srv_seq ? 1 : (uint64_t)seq;
	r->last = r->seq + scans->size - 1;
	req_append(s, r, &rec, EVLOG_CHECKINS, seq_off);
	sl_buf_release(&rec);
}

/* An official's record like adjust (h_official.c): the core checks it. */
void h_checkin_undo(sess *s, uint64_t id, slp_msg *m)
{
	h_official_rec(s, id, &m->root, "checkin_undo");
}

/*
 * h_official.c: the officials' messages: participants, wave_start,
 * event_create, and the records sent as a message of the same name
 * (adjust, race_official, lineup, read_void; checkin_undo in h_checkin.c).  Each
 * becomes one record, checked by the core (core_check_row) before it is
 * appended: an err names what the core refused, for participants with the
 * failing row.
 */
#include <stdlib.h>
#include <string.h>

#include "net/handlers.h"

/* core_check_row, then append; err with "row" for participants, whose rows
 * (borrowed) are also looked at for athletes that fit no category. */
static void check_and_append(sess *s, uint64_t id, sl_buf *rec, int kind, size_t count,
			     bool dry_run, const msgpack_object *rows, int64_t at)
{
	char err[512] = "";
	int64_t row;
	int rc = core_check_row(s->ev->core, rec->data, rec->len, err, sizeof(err), &row);
	struct req *r;

	if (rc < 0) {
		if (kind == RQ_PARTICIPANTS && row >= 0) {
			sl_buf b = SL_BUF_INIT;
			msgpack_packer pk;
			req_reply_begin(&pk, &b, 5, "err", id);
			slp_pack_kv_str(&pk, "code", sl_errcode(rc));
			slp_pack_kv_str(&pk, "msg", err);
			slp_pack_key(&pk, "row");
			msgpack_pack_uint64(&pk, (uint64_t)row);
			sess_send_mp(s, b.data, b.len);
			sl_buf_release(&b);
			return;
		}
		return sess_send_err(s, id, rc, err[0] ? err : NULL);
	}
	r = req_new(s, id, kind);
	r->count = count;
	r->at = at;
	if (rows)
		core_nocat(s->ev->core, rows, &r->nocat);
	if (dry_run) {
		struct evlog_ack ack = {0};
		req_on_appended(r, &ack);
		return;
	}
	req_append(s, r, rec, EVLOG_PASSINGS, 0);
}

void h_event_create(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	const msgpack_object *cfg;
	const char *ev;
	size_t evn;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;

	if (slp_get_map(root, "config", &cfg) != 0)
		return sess_send_err(s, id, SL_EINVAL, "config: expected map");
	if (slp_get_str(cfg, "event", &ev, &evn) != 0)
		return sess_send_err(s, id, SL_EINVAL, "config.event: expected string");
	if (evn != strlen(s->ev->id) || memcmp(ev, s->ev->id, evn) != 0)
		return sess_send_errf(s, id, SL_EINVAL,
				      "config.event '%.*s' is not the event of this session's hello '%s'",
				      (int)evn, ev, s->ev->id);
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "k", "config");
	slp_pack_key(&pk, "config");
	msgpack_pack_object(&pk, *cfg);
	check_and_append(s, id, &rec, RQ_APPEND, 0, false, NULL, 0);
	sl_buf_release(&rec);
}

void h_participants(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	const msgpack_object *rows = slp_get(root, "rows");
	bool dry_run = false;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;

	if (!rows || rows->type != MSGPACK_OBJECT_ARRAY)
		return sess_send_err(s, id, SL_EINVAL, "rows: expected array");
	if (slp_get_bool(root, "dry_run", &dry_run) == SL_EINVAL)
		return sess_send_err(s, id, SL_EINVAL, "dry_run: expected boolean");
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, 2);
	slp_pack_kv_str(&pk, "k", "participants");
	slp_pack_key(&pk, "rows");
	msgpack_pack_object(&pk, *rows);
	check_and_append(s, id, &rec, RQ_PARTICIPANTS, rows->via.array.size, dry_run, rows, 0);
	sl_buf_release(&rec);
}

void h_wave_start(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *root = &m->root;
	/* required, then optional (why and who: required by the core once official) */
	static const char *const keys[] = {"race", "wave", "t0", "reason", "official"};
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	uint32_t n = 2;
	int64_t rx = sl_now_ms(); /* server clock at receipt */

	for (int i = 0; i < 5; i++) {
		if (i < 3 && !slp_get(root, keys[i]))
			return sess_send_errf(s, id, SL_EINVAL, "%s: required", keys[i]);
		n += slp_get(root, keys[i]) != NULL;
	}
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, n);
	slp_pack_kv_str(&pk, "k", "wave_start");
	slp_pack_kv_int(&pk, "rx", rx);
	for (int i = 0; i < 5; i++) {
		if (!slp_get(root, keys[i]))
			continue;
		slp_pack_key(&pk, keys[i]);
		msgpack_pack_object(&pk, *slp_get(root, keys[i]));
	}
	check_and_append(s, id, &rec, RQ_APPEND, 0, false, NULL, rx);
	sl_buf_release(&rec);
}

/* The message's own keys (t, id), a stray k and a client's rx are not copied to
 * the record. */
static bool envelope_key(const msgpack_object *key)
{
	return slp_str_eq(key, "t") || slp_str_eq(key, "id") || slp_str_eq(key, "k") ||
	       slp_str_eq(key, "rx");
}

/*
 * An official's record sent as a message of the same name (adjust,
 * race_official, lineup, read_void, checkin_undo): the message's fields but t and id,
 * as record {"k":<type>,...}; the core checks them.
 */
void h_official_rec(sess *s, uint64_t id, const msgpack_object *root, const char *k)
{
	const msgpack_object_map *m = &root->via.map;
	sl_buf rec = SL_BUF_INIT;
	msgpack_packer pk;
	uint32_t n = 2;
	int64_t rx = sl_now_ms(); /* server clock at receipt */

	for (uint32_t i = 0; i < m->size; i++) {
		n += !envelope_key(&m->ptr[i].key);
	}
	slp_packer_init(&pk, &rec);
	msgpack_pack_map(&pk, n);
	slp_pack_kv_str(&pk, "k", k);
	slp_pack_kv_int(&pk, "rx", rx);
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *key = &m->ptr[i].key;
		if (envelope_key(key))
			continue;
		msgpack_pack_object(&pk, *key);
		msgpack_pack_object(&pk, m->ptr[i].val);
	}
	check_and_append(s, id, &rec, RQ_APPEND, 0, false, NULL, rx);
	sl_buf_release(&rec);
}

void h_adjust(sess *s, uint64_t id, slp_msg *m)
{
	h_official_rec(s, id, &m->root, "adjust");
}

void h_race_official(sess *s, uint64_t id, slp_msg *m)
{
	h_official_rec(s, id, &m->root, "race_official");
}

void h_lineup(sess *s, uint64_t id, slp_msg *m)
{
	h_official_rec(s, id, &m->root, "lineup");
}

void h_read_void(sess *s, uint64_t id, slp_msg *m)
{
	h_official_rec(s, id, &m->root, "read_void");
}

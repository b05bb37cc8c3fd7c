/*
 * h_series.c: series_put, the deployment's admin putting a series document
 * (PROTOCOL.md, "Series") into the registry (sl:series), where every node
 * reads it.  A series spans events, so only the admin token of the
 * deployment (the server's token file) may put one, not an event's admin.
 * The document is checked whole first (series_cfg_parse: the path of the
 * first fault); its id names URLs, so it follows the event id grammar.
 */
#include <stdlib.h>
#include <string.h>

#include "net/handlers.h"
#include "score.h"
#include "slid.h"

struct series_op {
	sess *s;
	uint64_t id;
	char series[72];
	sl_buf doc;
};

static void on_put(void *ctx, int err)
{
	struct series_op *op = ctx;
	sess *s = op->s;

	if (s->wsi) {
		if (err)
			sess_send_err(s, op->id, err == SL_EIO ? SL_EUNAVAIL : err,
				      "the series was not stored: send it again");
		else
			sess_send_ok(s, op->id);
	}
	if (!err) /* this node lists it at once; the others at their next read */
		listing_put(&s->n->series, op->series, op->doc.data, op->doc.len);
	sess_unref(s);
	sl_buf_release(&op->doc);
	free(op);
}

void h_series_put(sess *s, uint64_t id, slp_msg *m)
{
	const msgpack_object *doc;
	struct series_cfg cfg;
	struct series_op *op;
	msgpack_packer pk;
	char err[256];
	int rc;

	if (s->tokhash[0])
		return sess_send_err(s, id, SL_EPERM,
				     "series_put: only the deployment's admin token (the server's "
				     "--admin-token-file) may put a series, not an event's admin");
	if (slp_get_map(&m->root, "series", &doc) != 0)
		return sess_send_err(s, id, SL_EINVAL, "series: expected map");
	if (series_cfg_parse(doc, &cfg, err, sizeof(err)) < 0)
		return sess_send_errf(s, id, SL_EINVAL, "series.%s", err);
	if (!sl_event_id_ok(cfg.id, strlen(cfg.id))) {
		sess_send_err(s, id, SL_EINVAL, "series.series: expected an id of " SL_EVENT_ID_WORDS);
		return series_cfg_release(&cfg);
	}
	op = sl_calloc(1, sizeof(*op));
	op->s = s;
	op->id = id;
	snprintf(op->series, sizeof(op->series), "%s", cfg.id);
	series_cfg_release(&cfg);
	slp_packer_init(&pk, &op->doc);
	msgpack_pack_object(&pk, *doc);
	s->refs++;
	rc = registry_series_put(s->n->reg, op->series, op->doc.data, op->doc.len, on_put, op);
	if (rc < 0) {
		sess_unref(s);
		sl_buf_release(&op->doc);
		free(op);
		sess_send_err(s, id, rc, NULL);
	}
}

/*
 * ctl.c: what the commands of splitline share (see ctl.h): arguments, the
 * one session a command opens, requests, the event's clock, output.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "evtime.h"

const char ctl_prog[] = "splitline";
slc_conn ctl_conn;

/* ---- arguments ---- */

int ctl_usage_error(const char *help)
{
	fputs(help, stderr);
	return 2;
}

int ctl_parse(int argc, char **argv, const slc_opt *opts, const char **pos, int maxpos, int *npos,
	      const char *help, int *exitcode)
{
	int rc = slc_parse(argc, argv, opts, pos, maxpos, npos, ctl_prog);
	if (rc == SLC_HELP) {
		fputs(help, stdout);
		*exitcode = 0;
		return -1;
	}
	if (rc == SLC_USAGE) {
		fprintf(stderr, "see 'splitline --help'\n");
		*exitcode = 2;
		return -1;
	}
	return 0;
}

int ctl_parse_sub(int argc, char **argv, const slc_opt *opts, const char **pos, int npos,
		  const char *verb, const char *help, int *exitcode)
{
	int n;
	if (ctl_parse(argc, argv, opts, pos, npos, &n, help, exitcode))
		return -1;
	if (n != npos || (verb && strcmp(pos[0], verb) != 0)) {
		*exitcode = ctl_usage_error(help);
		return -1;
	}
	return 0;
}

int ctl_parse_int(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *v)
{
	char *end;
	long long x = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || x < lo || x > hi) {
		fprintf(stderr, "%s: %s '%s' is not a number from %lld to %lld\n", ctl_prog, opt,
			s ? s : "", (long long)lo, (long long)hi);
		return -1;
	}
	*v = x;
	return 0;
}

int ctl_check_format(const char *format)
{
	if (strcmp(format, "csv") == 0 || strcmp(format, "json") == 0)
		return 0;
	fprintf(stderr, "%s: --format '%s' is not csv or json\n", ctl_prog, format);
	return 2;
}

/* ---- the server ---- */

int ctl_resolve(void)
{
	char err[512];
	if (slc_conn_resolve(&ctl_conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", ctl_prog, err);
		return 1;
	}
	return 0;
}

int ctl_http_get(const char *path, int *status, sl_buf *body)
{
	wsc_url u;
	char err[512];
	if (wsc_url_parse(ctl_conn.server, &u) != 0) {
		fprintf(stderr, "%s: bad server URL '%s': expected ws://HOST:PORT/ws\n", ctl_prog,
			ctl_conn.server);
		return 2;
	}
	if (u.tls) {
		fprintf(stderr, "%s: HTTPS is not supported for '%s'\n", ctl_prog, ctl_conn.server);
		return 1;
	}
	if (httpc_get(u.host, u.port, path, CTL_RPC_MS, status, body, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", ctl_prog, err);
		return 1;
	}
	return 0;
}

/* When no event is given, ask the server which one it serves. */
static char event_buf[128];
static int need_event(void)
{
	if (ctl_conn.event)
		return 0;
	sl_buf body = SL_BUF_INIT, mp = SL_BUF_INIT;
	int status = 0, rc = ctl_http_get("/health", &status, &body);
	if (rc)
		goto out;
	rc = 1;
	/* /health is a plain JSON object (no "t"): unpack it directly */
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	const char *ev;
	size_t n;
	if (status == 200 && slp_json_to_msgpack(body.data, body.len, &mp) == 0 &&
	    msgpack_unpack_next(&u, mp.data, mp.len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP && slp_get_str(&u.data, "event", &ev, &n) == 0 && n &&
	    n < sizeof(event_buf)) {
		memcpy(event_buf, ev, n);
		event_buf[n] = '\0';
		ctl_conn.event = event_buf;
		rc = 0;
	}
	msgpack_unpacked_destroy(&u);
	if (rc)
		fprintf(stderr, "%s: no event: give --event ID or set SPLITLINE_EVENT\n", ctl_prog);
out:
	sl_buf_release(&body);
	sl_buf_release(&mp);
	return rc;
}

static int open_session(wsc **c, slp_msg *hello)
{
	char err[512];
	int rc = slc_open(&ctl_conn, c, hello, SLC_CONNECT_MS, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", ctl_prog, err);
		return 1;
	}
	return 0;
}

void ctl_req_begin(msgpack_packer *pk, sl_buf *b, wsc *c, const char *type, size_t nmore,
		   uint64_t *id)
{
	slp_packer_init(pk, b);
	*id = wsc_next_id(c);
	msgpack_pack_map(pk, 2 + nmore);
	slp_pack_kv_str(pk, "t", type);
	slp_pack_kv_int(pk, "id", (int64_t)*id);
}

int ctl_session_begin(struct ctl_session *s)
{
	int rc;
	memset(s, 0, sizeof(*s));
	sl_buf_init(&s->b);
	if ((rc = ctl_resolve()) || (rc = need_event()))
		return rc;
	if (open_session(&s->c, &s->hello)) {
		s->c = NULL; /* slc_open frees what it opened */
		return 1;
	}
	return 0;
}

int ctl_session_open(struct ctl_session *s)
{
	int rc = ctl_session_begin(s);
	if (rc)
		ctl_session_end(s);
	return rc;
}

void ctl_session_end(struct ctl_session *s)
{
	slp_msg_release(&s->reply);
	slp_msg_release(&s->hello);
	sl_buf_release(&s->b);
	if (s->c)
		wsc_free(s->c);
}

int ctl_rpc(wsc *c, sl_buf *req, uint64_t id, slp_msg *reply, const char *what)
{
	char err[512];
	int rc = wsc_rpc(c, req, id, CTL_RPC_MS, reply, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s: %s\n", ctl_prog, what, err);
		return 1;
	}
	return 0;
}

int ctl_wait_snapshot(wsc *c, const char *topic, slp_msg *snap)
{
	sl_buf frame = SL_BUF_INIT;
	int64_t deadline = wsc_mono_ms() + CTL_RPC_MS;
	int rc = -1;
	while (wsc_mono_ms() < deadline) {
		bool binary;
		const char *t;
		size_t tn;
		sl_buf_reset(&frame);
		if (wsc_recv(c, &frame, &binary, (int)(deadline - wsc_mono_ms())) != 0)
			break;
		slp_msg_release(snap);
		if (slp_decode(snap, frame.data, frame.len, binary ? SLP_MSGPACK : SLP_JSON) == 0 &&
		    (t = slp_type(snap, &tn)) && tn == 8 && !memcmp(t, "snapshot", 8) &&
		    slp_str_eq(slp_get(&snap->root, "topic"), topic)) {
			rc = 0;
			break;
		}
	}
	sl_buf_release(&frame);
	return rc;
}

/*
 * Subscribed for the one snapshot, then unsubscribed, so that no later
 * snapshot (after a wave start) gets in the way.
 */
void ctl_fetch_clock(struct ctl_session *s, struct ctl_clock *ec)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t id;
	slp_msg reply = {0}, snap = {0};
	char err[256];
	memset(ec, 0, sizeof(*ec));
	ctl_req_begin(&pk, &b, s->c, "subscribe", 1, &id);
	slp_pack_kv_str(&pk, "topic", "event");
	if (wsc_rpc(s->c, &b, id, CTL_RPC_MS, &reply, err, sizeof(err)) != 0)
		goto out;
	const msgpack_object_array *rows;
	const char *v;
	size_t n;
	if (ctl_wait_snapshot(s->c, "event", &snap) == 0 &&
	    slp_get_arr(&snap.root, "rows", &rows) == 0 && rows->size &&
	    rows->ptr[0].type == MSGPACK_OBJECT_MAP) {
		if (slp_get_str(&rows->ptr[0], "date", &v, &n) == 0 && n < sizeof(ec->date))
			memcpy(ec->date, v, n), ec->date[n] = '\0';
		if (slp_get_str(&rows->ptr[0], "timezone", &v, &n) == 0 && n < sizeof(ec->tz))
			memcpy(ec->tz, v, n), ec->tz[n] = '\0';
	}
	slp_msg_release(&reply);
	sl_buf_reset(&b);
	ctl_req_begin(&pk, &b, s->c, "unsubscribe", 1, &id);
	slp_pack_kv_str(&pk, "topic", "event");
	wsc_rpc(s->c, &b, id, CTL_RPC_MS, &reply, err, sizeof(err));
out:
	slp_msg_release(&reply);
	slp_msg_release(&snap);
	sl_buf_release(&b);
}

/* ---- the event's clock ---- */

int ctl_at_form(const char *opt, const char *at)
{
	if (evtime_kind(at) != EVTIME_BAD)
		return 0;
	fprintf(stderr,
		"%s: %s '%s' is not a time: give HH:MM[:SS] (on the event's date, in its time "
		"zone), ISO 8601 or now\n",
		ctl_prog, opt, at);
	return 2;
}

int ctl_at_read(const char *opt, const char *at, const struct ctl_clock *ec, int64_t *t)
{
	char err[384];
	if (evtime_parse(at, ec->tz[0] ? ec->tz : NULL, ec->date[0] ? ec->date : NULL, t, err,
			 sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", ctl_prog, opt, err);
		return 2;
	}
	if (!sl_time_ok(*t)) {
		fprintf(stderr, "%s: %s '%s' is not in the years 2000 to 2100\n", ctl_prog, opt,
			at);
		return 2;
	}
	return 0;
}

int ctl_begin_timed(struct ctl_session *ss, struct ctl_clock *clk, const char *at, int64_t *t)
{
	int rc = ctl_session_begin(ss);
	if (!rc) {
		ctl_fetch_clock(ss, clk);
		rc = ctl_at_read("--at", at, clk, t);
	}
	if (rc)
		ctl_session_end(ss);
	return rc;
}

void ctl_fmt_time(sl_buf *b, int64_t t, const struct ctl_clock *ec)
{
	char why[256];
	bool zone = ec->tz[0] && evtime_zone_check(ec->tz, why, sizeof(why)) == 0;
	evtime_fmt(b, t, zone ? ec->tz : NULL);
	if (zone)
		sl_buf_addf(b, " (%s)", ec->tz);
}

/*
 * Rows [offset, offset+limit) of the audit trail, as its snapshot (n: how
 * many rows it has): subscribed for the one snapshot, then unsubscribed.
 * 0, or -1 (a token that may not read it, no answer).
 */
static int audit_rows(struct ctl_session *ss, int64_t offset, int64_t limit, slp_msg *snap)
{
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t id;
	slp_msg reply = {0};
	char err[256];
	int rc = -1;
	ctl_req_begin(&pk, &b, ss->c, "subscribe", 3, &id);
	slp_pack_kv_str(&pk, "topic", "audit");
	slp_pack_kv_int(&pk, "offset", offset);
	slp_pack_kv_int(&pk, "limit", limit);
	if (wsc_rpc(ss->c, &b, id, CTL_RPC_MS, &reply, err, sizeof(err)) == 0) {
		rc = ctl_wait_snapshot(ss->c, "audit", snap);
		slp_msg_release(&reply);
		sl_buf_reset(&b);
		ctl_req_begin(&pk, &b, ss->c, "unsubscribe", 1, &id);
		slp_pack_kv_str(&pk, "topic", "audit");
		wsc_rpc(ss->c, &b, id, CTL_RPC_MS, &reply, err, sizeof(err));
	}
	slp_msg_release(&reply);
	sl_buf_release(&b);
	return rc;
}

/* One audit row's from/to (a string) in the event's zone, appended to b. */
static void effect_value(sl_buf *b, const msgpack_object *row, const char *key,
			 const struct ctl_clock *clk)
{
	const msgpack_object *v = slp_get(row, key);
	if (v && v->type == MSGPACK_OBJECT_STR)
		evtime_relocalize(b, v->via.str.ptr, v->via.str.size, clk->tz);
}

/*
 * What the decision received at `at` did, from its row of the audit trail
 * (looked for from row `from` on, while the server folds it): "  was X,
 * now Y; N results changed".  A warning when the row does not come.
 */
static void show_effect(struct ctl_session *ss, const char *what, int64_t from, int64_t at)
{
	int64_t deadline = wsc_mono_ms() + 10000;
	slp_msg snap = {0};
	const msgpack_object *row = NULL;
	while (!row && wsc_mono_ms() < deadline) {
		const msgpack_object_array *rows;
		int64_t t;
		slp_msg_release(&snap);
		if (audit_rows(ss, from, 200, &snap) < 0)
			break;
		for (uint32_t i = 0; slp_get_arr(&snap.root, "rows", &rows) == 0 && i < rows->size;
		     i++)
			if (slp_get_int(&rows->ptr[i], "t", &t) == 0 && t == at)
				row = &rows->ptr[i];
		if (!row)
			usleep(100 * 1000);
	}
	if (!row) {
		fprintf(stderr,
			"%s: %s: recorded, but its row of the audit trail did not come within 10 s "
			"(is the server catching up with its log?); see 'splitline audit'\n",
			ctl_prog, what);
		slp_msg_release(&snap);
		return;
	}
	struct ctl_clock clk;
	sl_buf b = SL_BUF_INIT;
	int64_t changed = -1;
	ctl_fetch_clock(ss, &clk);
	if (slp_get(row, "from") && slp_get(row, "from")->type == MSGPACK_OBJECT_STR &&
	    slp_get(row, "to") && slp_get(row, "to")->type == MSGPACK_OBJECT_STR) {
		sl_buf_adds(&b, "was ");
		effect_value(&b, row, "from", &clk);
		sl_buf_adds(&b, ", now ");
		effect_value(&b, row, "to", &clk);
	}
	if (slp_get_int(row, "changed", &changed) == 0)
		sl_buf_addf(&b, "%s%lld result%s changed", b.len ? "; " : "", (long long)changed,
			    changed == 1 ? "" : "s");
	if (b.len)
		printf("  %s\n", b.data);
	sl_buf_release(&b);
	slp_msg_release(&snap);
}

int ctl_request_in(struct ctl_session *ss, const char *type, uint32_t nfields, ctl_fill_fn fill,
		   const void *arg, const char *what, const char *done)
{
	msgpack_packer pk;
	uint64_t id;
	slp_msg snap = {0};
	int64_t rows_before = -1, at;
	/* the audit trail's length now: the decision's row comes after */
	if (audit_rows(ss, 0, 1, &snap) == 0 && slp_get_int(&snap.root, "n", &rows_before) < 0)
		rows_before = -1;
	slp_msg_release(&snap);
	sl_buf_reset(&ss->b);
	ctl_req_begin(&pk, &ss->b, ss->c, type, nfields, &id);
	fill(&pk, arg);
	int rc = ctl_rpc(ss->c, &ss->b, id, &ss->reply, what);
	if (!rc)
		printf("%s\n", done);
	if (!rc && rows_before >= 0 && slp_get_int(&ss->reply.root, "at", &at) == 0) {
		fflush(stdout);
		show_effect(ss, what, rows_before, at);
	}
	return rc;
}

int ctl_one_request(const char *type, uint32_t nfields, ctl_fill_fn fill, const void *arg,
		    const char *what, const char *done)
{
	struct ctl_session ss;
	int rc = ctl_session_begin(&ss);
	if (!rc)
		rc = ctl_request_in(&ss, type, nfields, fill, arg, what, done);
	ctl_session_end(&ss);
	return rc;
}

/* ---- output ---- */

FILE *ctl_out_open(const char *out, const char *mode)
{
	FILE *f = out ? fopen(out, mode) : stdout;
	if (!f)
		fprintf(stderr, "%s: cannot open '%s': %s\n", ctl_prog, out, strerror(errno));
	return f;
}

int ctl_out_close(FILE *f, const char *out, bool written)
{
	if (written && (out ? fclose(f) : fflush(f)) == 0)
		return 0;
	fprintf(stderr, "%s: cannot write '%s': %s\n", ctl_prog, out ? out : "stdout",
		strerror(errno));
	return 1;
}

int ctl_http_save(const char *path, const char *what, const char *out)
{
	sl_buf body = SL_BUF_INIT;
	int status = 0, rc = ctl_http_get(path, &status, &body);

	if (!rc && status != 200) {
		size_t n = body.len;
		while (n && (body.data[n - 1] == '\n' || body.data[n - 1] == '\r'))
			n--;
		fprintf(stderr, "%s: %s: HTTP %d%s%.*s\n", ctl_prog, what, status, n ? ": " : "",
			(int)(n > 300 ? 300 : n), body.data ? body.data : "");
		rc = 1;
	}
	if (!rc) {
		FILE *f = ctl_out_open(out, "wb");
		rc = !f ? 1
			: ctl_out_close(f, out,
					fwrite(body.data ? body.data : "", 1, body.len, f) ==
						body.len);
	}
	sl_buf_release(&body);
	return rc;
}

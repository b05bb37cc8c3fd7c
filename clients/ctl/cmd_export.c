/*
 * splitline results, status, audit: what a server shows, downloaded to
 * stdout or --out FILE.  results and status are plain HTTP GETs on the
 * server's host and port (results as CSV or JSON, or as the printouts the
 * server encodes: a PDF results list, an XLSX workbook); audit is the snapshot of the audit topic,
 * written as CSV (csv_cell: quoted as a spreadsheet needs, a formula
 * defused) or as the JSON rows sent.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "evtime.h"

const char usage_results[] =
	"usage: splitline results RACE [--format csv|json|pdf|xlsx] [--out FILE]\n"
	"\n"
	"Downloads GET /api/results/RACE.csv (or .json, .pdf, .xlsx) from the server's\n"
	"host and port and writes it to stdout or FILE.  Needs no token.  pdf: the\n"
	"results list to print (overall, then each category; event, date and\n"
	"provisional/official on every page); xlsx: a workbook with the CSV's columns\n"
	"and rows (PROTOCOL.md, \"HTTP\").\n"
	"\n"
	"  --format F   csv (default), json, pdf or xlsx\n"
	"  --out FILE   write to FILE instead of stdout\n";

const char usage_status[] =
	"usage: splitline status\n"
	"\n"
	"Prints the event's health as the server answers it (JSON, GET\n"
	"/api/events/<event>/health; /health without an event): event, Redis state,\n"
	"records, last log id, caught_up.  Exit 1 when the server cannot be reached or answers\n"
	"with an error status.\n";
const char usage_audit[] =
	"usage: splitline audit [--format csv|json] [--out FILE]\n"
	"\n"
	"Prints the audit trail (topic audit, PROTOCOL.md \"Topics\"), in log order:\n"
	"every bib assigned at pickup, chip paired, swap, transfer and undone\n"
	"check-in, and every official's decision (penalty, dq, dns, dnf, scratch,\n"
	"exhibition, relegation, place, station, hand_time, wave_start,\n"
	"race_official, lineup, a hand-entered passing, read_void, read_restore),\n"
	"with who, when, on which device, why, the value before and after, and how\n"
	"many results it changed.  CSV columns: i,op,time,dev,by,bib,race,pt,reg,\n"
	"chip,old_chip,with,reason,from,to,changed (time ISO 8601 in the event's time\n"
	"zone, with its offset; from/to: the person's name, or the decision's value,\n"
	"its times in the event's zone too).  The JSON is the trail as the server\n"
	"sends it (t in ms since the epoch, times in UTC).  Needs a desk, official or\n"
	"admin token.\n"
	"\n"
	"  --format csv|json   default csv; json prints the rows as sent\n"
	"  --out FILE          write there instead of stdout\n";

static void url_escape(sl_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')
			sl_buf_addc(b, (char)ch);
		else
			sl_buf_addf(b, "%%%02X", ch);
	}
}

int cmd_results(int argc, char **argv)
{
	const char *format = "csv", *out = NULL;
	const char *pos[1];
	int ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--format", format), CTL_OPT("--out", out),
			  CTL_END};
	if (ctl_parse_sub(argc, argv, opts, pos, 1, NULL, usage_results, &ec))
		return ec;
	if (strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "pdf") &&
	    strcmp(format, "xlsx")) {
		fprintf(stderr, "%s: --format '%s' is not csv, json, pdf or xlsx\n", ctl_prog, format);
		return 2;
	}
	int rc;
	if ((rc = ctl_resolve()))
		return rc;
	sl_buf path = SL_BUF_INIT;
	/* the event's own route: a server of many events has no /api/results/ */
	if (ctl_conn.event)
		sl_buf_addf(&path, "/api/events/%s/results/", ctl_conn.event);
	else
		sl_buf_adds(&path, "/api/results/");
	url_escape(&path, pos[0]);
	sl_buf_addf(&path, ".%s", format);
	char what[96];
	snprintf(what, sizeof(what), "results '%s'", pos[0]);
	rc = ctl_http_save(path.data, what, out);
	sl_buf_release(&path);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	const char *pos[1];
	int npos, ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_END};
	if (ctl_parse(argc, argv, opts, pos, 0, &npos, usage_status, &ec))
		return ec;
	int rc;
	if ((rc = ctl_resolve()))
		return rc;
	sl_buf body = SL_BUF_INIT;
	int status = 0;
	sl_buf path = SL_BUF_INIT;
	if (ctl_conn.event)
		sl_buf_addf(&path, "/api/events/%s/health", ctl_conn.event);
	else
		sl_buf_adds(&path, "/health");
	rc = ctl_http_get(path.data, &status, &body);
	sl_buf_release(&path);
	if (!rc) {
		fwrite(body.data ? body.data : "", 1, body.len, stdout);
		if (!body.len || body.data[body.len - 1] != '\n')
			fputc('\n', stdout);
		if (status != 200) {
			fprintf(stderr, "%s: status: HTTP %d\n", ctl_prog, status);
			rc = 1;
		}
	}
	sl_buf_release(&body);
	return rc;
}

/* ---- audit ---- */

static void csv_cell(FILE *f, const msgpack_object *o)
{
	char buf[64];
	const char *s = NULL;
	size_t n = 0;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return;
	if (o->type == MSGPACK_OBJECT_STR) {
		s = o->via.str.ptr;
		n = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		n = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->via.u64);
		s = buf;
	} else {
		return;
	}
	/* a text cell that a spreadsheet would run as a formula: quoted, after a ' */
	bool formula = o->type == MSGPACK_OBJECT_STR && n && strchr("=+-@\t\r", s[0]);
	bool quote = formula || memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) ||
		     memchr(s, '\r', n);
	if (!quote) {
		fwrite(s, 1, n, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', f);
		fputc(s[i], f);
	}
	fputc('"', f);
}

/* A text cell with its UTC instants in the event's zone (tz). */
static void csv_cell_tz(FILE *f, const msgpack_object *o, const char *tz)
{
	if (!o || o->type != MSGPACK_OBJECT_STR) {
		csv_cell(f, o);
		return;
	}
	sl_buf b = SL_BUF_INIT;
	evtime_relocalize(&b, o->via.str.ptr, o->via.str.size, tz);
	msgpack_object s = {.type = MSGPACK_OBJECT_STR};
	s.via.str.ptr = b.data ? b.data : "";
	s.via.str.size = (uint32_t)b.len;
	csv_cell(f, &s);
	sl_buf_release(&b);
}

/* The trail as CSV; times (the time column, times in from and to) in zone tz. */
static void audit_csv(FILE *f, const msgpack_object_array *rows, const char *tz)
{
	static const char *const cols[] = {"i",      "op",   "time", "dev",    "by",       "bib",
					   "race",   "pt",   "reg",  "chip",   "old_chip", "with",
					   "reason", "from", "to",   "changed"};
	size_t ncols = sizeof(cols) / sizeof(cols[0]);
	for (size_t k = 0; k < ncols; k++)
		fprintf(f, "%s%s", k ? "," : "", cols[k]);
	fputc('\n', f);
	for (uint32_t i = 0; i < rows->size; i++) {
		const msgpack_object *r = &rows->ptr[i];
		for (size_t k = 0; k < ncols; k++) {
			if (k)
				fputc(',', f);
			if (!strcmp(cols[k], "time")) {
				int64_t t;
				if (slp_get_int(r, "t", &t) == 0) {
					sl_buf b = SL_BUF_INIT;
					evtime_fmt(&b, t, tz);
					fputs(b.data, f);
					sl_buf_release(&b);
				}
			} else if (!strcmp(cols[k], "from") || !strcmp(cols[k], "to")) {
				/* a transfer's person (a map: the name), or a decision's value */
				const msgpack_object *p = slp_get(r, cols[k]);
				if (p && p->type == MSGPACK_OBJECT_MAP)
					csv_cell(f, slp_get(p, "name"));
				else
					csv_cell_tz(f, p, tz);
			} else {
				csv_cell(f, slp_get(r, cols[k]));
			}
		}
		fputc('\n', f);
	}
}

int cmd_audit(int argc, char **argv)
{
	const char *format = "csv", *out = NULL;
	const char *pos[1];
	int npos, ec, rc;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--format", format), CTL_OPT("--out", out),
			  CTL_END};
	if (ctl_parse(argc, argv, opts, pos, 0, &npos, usage_audit, &ec))
		return ec;
	if ((ec = ctl_check_format(format)))
		return ec;
	struct ctl_session s;
	struct ctl_clock clk;
	if ((rc = ctl_session_open(&s)))
		return rc;
	ctl_fetch_clock(&s, &clk);
	msgpack_packer pk;
	uint64_t id;
	ctl_req_begin(&pk, &s.b, s.c, "subscribe", 2, &id);
	slp_pack_kv_str(&pk, "topic", "audit");
	slp_pack_kv_int(&pk, "limit", 0);
	if ((rc = ctl_rpc(s.c, &s.b, id, &s.reply, "audit"))) {
		ctl_session_end(&s);
		return rc;
	}
	/* the snapshot follows the ok */
	slp_msg snap = {0};
	rc = ctl_wait_snapshot(s.c, "audit", &snap) ? 1 : 0;
	const msgpack_object_array *rows;
	if (rc || slp_get_arr(&snap.root, "rows", &rows) < 0) {
		fprintf(stderr, "%s: audit: no snapshot of the audit trail from '%s'\n", ctl_prog,
			ctl_conn.server);
		rc = 1;
		goto out;
	}
	FILE *f = ctl_out_open(out, "w");
	if (!f) {
		rc = 1;
		goto out;
	}
	if (!strcmp(format, "json")) {
		sl_buf js = SL_BUF_INIT;
		slp_object_to_json(slp_get(&snap.root, "rows"), &js);
		fwrite(js.data, 1, js.len, f);
		fputc('\n', f);
		sl_buf_release(&js);
	} else {
		audit_csv(f, rows, clk.tz);
	}
	rc = ctl_out_close(f, out, true);
out:
	slp_msg_release(&snap);
	ctl_session_end(&s);
	return rc;
}

/*
 * splitline series: put a series document (PROTOCOL.md, "Series") and show
 * its standings.  put reads the YAML file (ytree.h: line numbers in parse
 * errors) and sends it as series_put, which the server checks whole and
 * answers naming the path of a fault; the deployment's admin token only.
 * show is GET /api/series/<id>.json or .csv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "slid.h"
#include "ytree.h"

const char usage_series[] =
	"usage: splitline series put FILE.yaml\n"
	"       splitline series show ID [--format json|csv] [--out FILE]\n"
	"\n"
	"put: sends the series document (its events, the race that counts in each,\n"
	"the points table, best N of M, the tie rules, how athletes are matched\n"
	"across events; protocol/PROTOCOL.md, \"Series\") to the server, which checks it\n"
	"and stores it for every node; sending it again replaces it.  Needs the\n"
	"deployment's admin token (the server's --admin-token-file), not an event's.\n"
	"show: prints the standings (GET /api/series/ID.json or .csv): place, athlete,\n"
	"points per event (in brackets in the CSV when they do not count), total.\n"
	"\n"
	"  --format json|csv  show's format (default json)\n"
	"  --out FILE         write there instead of standard output\n";

/* The value of a top-level scalar key, or NULL. */
static const char *top_scalar(const ynode *root, const char *key)
{
	for (size_t i = 0; root->kind == YT_MAP && i + 1 < root->nkids; i += 2)
		if (strcmp(root->kids[i]->s, key) == 0 && root->kids[i + 1]->kind == YT_SCALAR)
			return root->kids[i + 1]->s;
	return NULL;
}

/* The first of the document's events: the session's hello names it. */
static const char *first_event(const ynode *root)
{
	for (size_t i = 0; root->kind == YT_MAP && i + 1 < root->nkids; i += 2) {
		const ynode *v = root->kids[i + 1];
		if (strcmp(root->kids[i]->s, "events") == 0 && v->kind == YT_SEQ && v->nkids > 0 &&
		    v->kids[0]->kind == YT_SCALAR)
			return v->kids[0]->s;
	}
	return NULL;
}

/* series_put's one field: the document. */
static void fill_series(msgpack_packer *pk, const void *arg)
{
	slp_pack_key(pk, "series");
	ytree_pack(pk, arg);
}

static int series_put(const char *file)
{
	sl_buf text = SL_BUF_INIT;
	char err[256];
	int line = 0, rc;
	FILE *f = fopen(file, "rb");

	if (!f) {
		fprintf(stderr, "%s: cannot open '%s'\n", ctl_prog, file);
		return 1;
	}
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && text.len < (1u << 20))
		sl_buf_add(&text, chunk, got);
	fclose(f);
	ynode *root = ytree_parse(text.data ? text.data : "", text.len, &line, err, sizeof(err));
	sl_buf_release(&text);
	if (!root) {
		fprintf(stderr, "%s:%d: %s\n", file, line, err);
		return 1;
	}
	const char *id = top_scalar(root, "series"), *ev = first_event(root);
	if (!id || !ev || !sl_event_id_ok(ev, strlen(ev))) {
		fprintf(stderr, "%s: expected 'series: ID' and 'events:' with at least one event id\n",
			file);
		ytree_free(root);
		return 1;
	}
	if (!ctl_conn.event)
		ctl_conn.event = ev;
	char done[96];
	snprintf(done, sizeof(done), "series '%s': stored", id);
	rc = ctl_one_request("series_put", 1, fill_series, root, "series put", done);
	ytree_free(root);
	return rc;
}

static int series_show(const char *id, const char *format, const char *out)
{
	char path[128], what[96];

	if (!sl_event_id_ok(id, strlen(id))) {
		fprintf(stderr, "%s: series id '%s': expected %s\n", ctl_prog, id, SL_EVENT_ID_WORDS);
		return 2;
	}
	snprintf(path, sizeof(path), "/api/series/%s.%s", id, format);
	snprintf(what, sizeof(what), "series '%s'", id);
	return ctl_http_save(path, what, out);
}

int cmd_series(int argc, char **argv)
{
	const char *pos[2], *format = "json", *out = NULL;
	int npos, ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--format", format), CTL_OPT("--out", out),
			  CTL_END};

	if (ctl_parse(argc, argv, opts, pos, 2, &npos, usage_series, &ec))
		return ec;
	if (npos != 2 || (strcmp(pos[0], "put") != 0 && strcmp(pos[0], "show") != 0))
		return ctl_usage_error(usage_series);
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		fprintf(stderr, "%s: --format '%s' is not json or csv\n", ctl_prog, format);
		return 2;
	}
	if ((ec = ctl_resolve()))
		return ec;
	return pos[0][0] == 'p' ? series_put(pos[1]) : series_show(pos[1], format, out);
}

/*
 * labels_cmd.c: `splitline-scan labels`: the bib-label sheet (labels.h) of
 * the participants of a CSV file or of the server's results export.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvimport.h"
#include "labels.h"
#include "opt.h"
#include "scan.h"

static const char *prog = "splitline-scan";

/*
 * The labels of the parsed rows (borrowed from ci) into *out: bib, name
 * and registration code; a row with neither bib nor reg gets none.
 */
static size_t rows_to_labels(const csvimp *ci, label **out)
{
	label *l = sl_calloc(ci->nrows ? ci->nrows : 1, sizeof(*l));
	size_t n = 0;
	for (size_t i = 0; i < ci->nrows; i++) {
		msgpack_unpacked u;
		const char *s;
		size_t sn;
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, ci->mp.data + ci->rows[i].off, ci->rows[i].len, NULL) ==
		    MSGPACK_UNPACK_SUCCESS) {
			if (slp_get_str(&u.data, "bib", &s, &sn) == 0 && sn)
				l[n].bib = sl_strndup(s, sn);
			if (slp_get_str(&u.data, "reg", &s, &sn) == 0 && sn)
				l[n].reg = sl_strndup(s, sn);
			if (l[n].bib || l[n].reg) {
				if (slp_get_str(&u.data, "name", &s, &sn) == 0)
					l[n].name = sl_strndup(s, sn);
				n++;
			}
		}
		msgpack_unpacked_destroy(&u);
	}
	*out = l;
	return n;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int scan__labels(int argc, char **argv)
{
	enum { L_SERVER, L_EVENT, L_OUT, L_RACE, L_FROM_CSV, L_MAP, L_DATE_FORMAT, L_N };
	opt opts[L_N + 1] = {
		[L_SERVER] = {"--server", OPT_STR},	  [L_EVENT] = {"--event", OPT_STR},
		[L_OUT] = {"--out", OPT_STR},		  [L_RACE] = {"--race", OPT_STR},
		[L_FROM_CSV] = {"--from-csv", OPT_STR},	  [L_MAP] = {"--map", OPT_STR},
		[L_DATE_FORMAT] = {"--date-format", OPT_STR},
	};
	slc_conn conn = {0};
	const char *pos[1];
	int npos = 0, rc;
	char err[400];
	int p = opt_cli(opts, argc, argv, pos, 0, &npos, prog, scan__usage_print,
			OPT_ON_ERROR_NOTHING);
	if (p >= 0)
		return p;
	const char *out = opts[L_OUT].val, *race = opts[L_RACE].val, *csv = opts[L_FROM_CSV].val,
		   *map = opts[L_MAP].val, *date_format = opts[L_DATE_FORMAT].val;
	conn.server = opts[L_SERVER].val;
	conn.event = opts[L_EVENT].val;
	if (!out || (!csv && !race) || ((map || date_format) && !csv)) {
		fprintf(stderr, "%s: labels needs --out and either --from-csv (with an optional "
				"--map and --date-format) or --race\n%s", prog, scan__usage);
		return 2;
	}
	int order = date_format ? csvimp_date_order_parse(date_format) : CSVIMP_DATE_AUTO;
	if (order < 0) {
		fprintf(stderr, "%s: --date-format '%s' is not DD/MM/YYYY or MM/DD/YYYY\n", prog,
			date_format);
		return 2;
	}
	conn.token = "-"; /* no token needed: skip the token file */
	slc_conn_resolve(&conn, err, sizeof(err));
	if (!conn.event) {
		fprintf(stderr, "%s: labels needs --event (or SPLITLINE_EVENT)\n", prog);
		return 2;
	}
	csvimp ci = {0};
	csvimp_opts co = {.map = map, .race = race, .date_order = order};
	if (csv) {
		rc = csvimp_parse_file(&ci, csv, &co);
	} else {
		wsc_url u;
		sl_buf body = SL_BUF_INIT;
		char path_[200];
		int status = 0;
		if (wsc_url_parse(conn.server, &u) != 0 || u.tls) {
			fprintf(stderr, "%s: bad server URL '%s': expected ws://HOST:PORT/ws\n", prog,
				conn.server);
			return 2;
		}
		snprintf(path_, sizeof(path_), "/api/results/%s.csv", race);
		if (httpc_get(u.host, u.port, path_, 60000, &status, &body, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			sl_buf_release(&body);
			return 1;
		}
		if (status != 200) {
			fprintf(stderr, "%s: GET '%s' answered %d: %.*s\n", prog, path_, status,
				(int)(body.len > 200 ? 200 : body.len), body.data ? body.data : "");
			sl_buf_release(&body);
			return 1;
		}
		rc = csvimp_parse_mem(&ci, path_, body.data ? body.data : "", body.len, &co);
		sl_buf_release(&body);
	}
	if (rc == SL_EIO || rc == SL_EINVAL || (rc < 0 && ci.nrows == 0)) {
		fprintf(stderr, "%s: cannot read participants from '%s'%s%.*s", prog,
			csv ? csv : race, ci.errs.len ? ":\n" : "\n", (int)ci.errs.len,
			ci.errs.data ? ci.errs.data : "");
		csvimp_release(&ci);
		return 1;
	}
	if (rc < 0)
		fprintf(stderr, "%s: %zu bad rows skipped:\n%.*s", prog, ci.nerrors,
			(int)ci.errs.len, ci.errs.data ? ci.errs.data : "");
	label *l;
	size_t n = rows_to_labels(&ci, &l);
	sl_buf doc = SL_BUF_INIT;
	bool pdf = ends_with(out, ".pdf");
	rc = pdf ? labels_pdf(&doc, conn.event, l, n, err, sizeof(err))
		 : labels_svg(&doc, conn.event, l, n, err, sizeof(err));
	int exit_rc = 0;
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit_rc = 1;
	} else {
		FILE *f = fopen(out, "wb");
		if (!f || fwrite(doc.data, 1, doc.len, f) != doc.len || fclose(f) != 0) {
			fprintf(stderr, "%s: cannot write '%s': %s\n", prog, out, strerror(errno));
			exit_rc = 1;
		} else {
			printf("labels: %zu labels (%zu pages) in %s\n", n, (n + 23) / 24, out);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free((char *)l[i].bib);
		free((char *)l[i].name);
		free((char *)l[i].reg);
	}
	free(l);
	sl_buf_release(&doc);
	csvimp_release(&ci);
	return exit_rc;
}


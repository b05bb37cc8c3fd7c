/*
 * export_req.c: the export a request path names and the two request headers
 * the exports read (export_req.h).  Pure functions of their strings, which
 * come from outside: every read stays inside the NUL-terminated input, and
 * anything malformed is an answer (no export, q=0, no match), never an
 * assert.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/export_req.h"
#include "slid.h"

/* ---- paths ----------------------------------------------------------------- */

/* A race id is any id (slid.h): "5.5k" and "M80+" name races too. */
static bool race_ok(const char *s, size_t n)
{
	return sl_id_ok(s, n);
}

/* s[n] ends with ext: its length cut off into *n. */
static bool ends(const char *s, size_t *n, const char *ext)
{
	size_t el = strlen(ext);

	if (*n <= el || memcmp(s + *n - el, ext, el) != 0)
		return false;
	*n -= el;
	return true;
}

static const struct {
	const char *ext;
	enum xc_format fmt;
	bool event; /* also for the whole event */
} results_exts[] = {{".csv", XC_CSV, true},
		    {".json", XC_JSON, true},
		    {".xlsx", XC_XLSX, true},
		    {".pdf", XC_PDF, false}};

static int route_results(const char *p, size_t n, struct xc_route *r)
{
	for (size_t k = 0; k < sizeof(results_exts) / sizeof(results_exts[0]); k++) {
		size_t rl = n;
		if (!ends(p, &rl, results_exts[k].ext))
			continue;
		r->fmt = results_exts[k].fmt;
		if (!race_ok(p, rl))
			break;
		memcpy(r->race_buf, p, rl);
		r->race_buf[rl] = '\0';
		r->race = r->race_buf;
		return 1;
	}
	r->err = "not found: expected /api/results/<race>.csv, .json, .pdf or .xlsx";
	return -1;
}

int xcache_route(const char *uri, struct xc_route *r)
{
	static const char res[] = "/api/results/", aw[] = "/api/awards/",
			  cert[] = "/api/certificate/";
	size_t ul = strlen(uri);

	memset(r, 0, sizeof(*r));
	for (size_t k = 0; k < sizeof(results_exts) / sizeof(results_exts[0]); k++) {
		size_t n = ul;
		if (results_exts[k].event && ends(uri, &n, results_exts[k].ext) &&
		    n == strlen("/api/results") && strncmp(uri, "/api/results", n) == 0) {
			r->fmt = results_exts[k].fmt;
			return 1;
		}
	}
	if (strncmp(uri, res, sizeof(res) - 1) == 0)
		return route_results(uri + sizeof(res) - 1, ul - (sizeof(res) - 1), r);
	if (strncmp(uri, aw, sizeof(aw) - 1) == 0) {
		size_t n = ul - (sizeof(aw) - 1);
		r->fmt = XC_AWARDS;
		r->err = "not found: expected /api/awards/<race>.pdf";
		if (!ends(uri + sizeof(aw) - 1, &n, ".pdf") || !race_ok(uri + sizeof(aw) - 1, n))
			return -1;
		memcpy(r->race_buf, uri + sizeof(aw) - 1, n);
		r->race_buf[n] = '\0';
		r->race = r->race_buf;
		r->err = NULL;
		return 1;
	}
	if (strncmp(uri, cert, sizeof(cert) - 1) == 0) {
		const char *p = uri + sizeof(cert) - 1, *slash = strchr(p, '/');
		size_t bl;
		r->fmt = XC_CERT;
		r->err = "not found: expected /api/certificate/<race>/<bib>.pdf";
		if (!slash || !race_ok(p, (size_t)(slash - p)))
			return -1;
		bl = strlen(slash + 1);
		if (!ends(slash + 1, &bl, ".pdf") || !sl_id_ok(slash + 1, bl))
			return -1;
		memcpy(r->race_buf, p, (size_t)(slash - p));
		r->race_buf[slash - p] = '\0';
		memcpy(r->bib, slash + 1, bl);
		r->bib[bl] = '\0';
		r->race = r->race_buf;
		r->err = NULL;
		return 1;
	}
	return 0;
}

/* ---- headers --------------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A qvalue ("0", "0.5", "1.000"): thousandths, or -1 when malformed. */
static int qvalue(const char *p, const char **endp)
{
	int q = 0, digits = 0;

	if (*p != '0' && *p != '1')
		return -1;
	q = (*p++ - '0') * 1000;
	if (*p == '.') {
		p++;
		for (int scale = 100; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits == 3)
				return -1;
			q += (*p - '0') * scale;
			scale /= 10;
		}
	}
	*endp = p;
	return q > 1000 ? -1 : q;
}

bool xcache_accepts_gzip(const char *ae)
{
	int gzip_q = -1, star_q = -1;
	const char *p = ae;

	while (*p) {
		const char *tok;
		size_t tl;
		int q = 1000;

		p = skip_ws(p);
		if (*p == ',') {
			p++;
			continue;
		}
		tok = p;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		tl = (size_t)(p - tok);
		/* parameters: only q counts; anything else malformed makes q 0 */
		for (p = skip_ws(p); *p == ';'; p = skip_ws(p)) {
			const char *end = NULL;
			p = skip_ws(p + 1);
			if ((*p == 'q' || *p == 'Q') && p[1] == '=') {
				q = qvalue(p + 2, &end);
				p = end && q >= 0 ? end : p + 2;
			} else {
				q = -1;
			}
			if (q < 0) {
				q = 0;
				while (*p && *p != ',' && *p != ';')
					p++;
			}
		}
		if (*p && *p != ',') { /* junk after the element */
			q = 0;
			while (*p && *p != ',')
				p++;
		}
		if ((tl == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
		    (tl == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
			gzip_q = q > gzip_q ? q : gzip_q;
		else if (tl == 1 && *tok == '*')
			star_q = q;
	}
	return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

bool xcache_etag_match(const char *inm, const char *etag)
{
	size_t el = strlen(etag);
	const char *p = skip_ws(inm);

	if (*p == '*' && *skip_ws(p + 1) == '\0')
		return el > 0;
	while (*p) {
		const char *q;

		p = skip_ws(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"' || !(q = strchr(p + 1, '"')))
			return false;
		if ((size_t)(q + 1 - p) == el && el > 0 && memcmp(p, etag, el) == 0)
			return true;
		p = q + 1;
	}
	return false;
}

/*
 * test_export_req.c: which export a request path names (server/net/
 * export_req.c, slproto only): every export's form, the bounds of a race
 * id and a bib (64 characters, and 65), and the paths that start like an
 * export but are not one (-1, with the form expected) or are no export at
 * all (0).
 */
#include "net/export_req.h"
#include "sl.h"
#include "t.h"

static int route(const char *uri, struct xc_route *r)
{
	return xcache_route(uri, r);
}

static void every_form(void)
{
	struct xc_route r;

	ASSERT_EQ(route("/api/results.csv", &r), 1);
	ASSERT(r.race == NULL && r.fmt == XC_CSV);
	ASSERT_EQ(route("/api/results.json", &r), 1);
	ASSERT(r.race == NULL && r.fmt == XC_JSON);
	ASSERT_EQ(route("/api/results.xlsx", &r), 1);
	ASSERT(r.race == NULL && r.fmt == XC_XLSX);
	ASSERT_EQ(route("/api/results/m-1_A.csv", &r), 1);
	ASSERT(r.fmt == XC_CSV);
	ASSERT_STREQ(r.race, "m-1_A");
	ASSERT_EQ(route("/api/results/marathon.json", &r), 1);
	ASSERT(r.fmt == XC_JSON);
	ASSERT_EQ(route("/api/results/marathon.pdf", &r), 1);
	ASSERT(r.fmt == XC_PDF);
	ASSERT_EQ(route("/api/results/marathon.xlsx", &r), 1);
	ASSERT(r.fmt == XC_XLSX);
	ASSERT_EQ(route("/api/awards/marathon.pdf", &r), 1);
	ASSERT(r.fmt == XC_AWARDS);
	ASSERT_STREQ(r.race, "marathon");
	ASSERT_EQ(route("/api/certificate/marathon/F1.2+x.pdf", &r), 1);
	ASSERT(r.fmt == XC_CERT);
	ASSERT_STREQ(r.race, "marathon");
	ASSERT_STREQ(r.bib, "F1.2+x");
	ASSERT_EQ(route("/api/certificate/marathon/a.pdf.pdf", &r), 1); /* bib "a.pdf" */
	ASSERT_STREQ(r.bib, "a.pdf");
	/* a race id is any id (slid.h): dots and plus signs too */
	ASSERT_EQ(route("/api/results/5.5k.csv", &r), 1);
	ASSERT(r.fmt == XC_CSV);
	ASSERT_STREQ(r.race, "5.5k");
	ASSERT_EQ(route("/api/awards/M80+.pdf", &r), 1);
	ASSERT_STREQ(r.race, "M80+");
	ASSERT_EQ(route("/api/certificate/5.5k/7.pdf", &r), 1);
	ASSERT_STREQ(r.race, "5.5k");
	ASSERT_EQ(route("/api/results/x,y.csv", &r), -1); /* not an id */
}

static void bounds(void)
{
	struct xc_route r;
	char uri[256], id64[65], id65[66];

	memset(id64, 'a', 64);
	id64[64] = '\0';
	memset(id65, 'a', 65);
	id65[65] = '\0';
	snprintf(uri, sizeof(uri), "/api/results/%s.pdf", id64);
	ASSERT_EQ(route(uri, &r), 1);
	ASSERT_STREQ(r.race, id64);
	snprintf(uri, sizeof(uri), "/api/results/%s.pdf", id65);
	ASSERT_EQ(route(uri, &r), -1);
	snprintf(uri, sizeof(uri), "/api/certificate/%s/%s.pdf", id64, id64);
	ASSERT_EQ(route(uri, &r), 1);
	ASSERT_STREQ(r.bib, id64);
	snprintf(uri, sizeof(uri), "/api/certificate/%s/%s.pdf", id64, id65);
	ASSERT_EQ(route(uri, &r), -1);
	snprintf(uri, sizeof(uri), "/api/certificate/%s/1.pdf", id65);
	ASSERT_EQ(route(uri, &r), -1);
	snprintf(uri, sizeof(uri), "/api/awards/%s.pdf", id65);
	ASSERT_EQ(route(uri, &r), -1);
}

static void refused(void)
{
	static const char *const bad[] = {"/api/results/.pdf",
					  "/api/results/x.docx",
					  "/api/results/",
					  "/api/results/x y.csv",
					  "/api/results/x/y.csv",
					  "/api/awards/x.csv",
					  "/api/awards/.pdf",
					  "/api/awards/",
					  "/api/certificate/x/.pdf",
					  "/api/certificate/x/1",
					  "/api/certificate/x",
					  "/api/certificate//1.pdf",
					  "/api/certificate/x/a b.pdf",
					  "/api/certificate/x/a/b.pdf",
					  "/api/certificate/x/%2e%2e.pdf"};
	struct xc_route r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = route(bad[i], &r);
		if (rc != -1 || !r.err || strncmp(r.err, "not found: expected /api/", 25) != 0) {
			fprintf(stderr, "'%s': %d %s\n", bad[i], rc, r.err ? r.err : "(null)");
			ASSERT(0);
		}
	}
	/* not an export at all */
	ASSERT_EQ(route("/api/results.pdf", &r), 0); /* no PDF of the whole event */
	ASSERT_EQ(route("/api/resultsX.csv", &r), 0);
	ASSERT_EQ(route("/api/unknown.json", &r), 0);
	ASSERT_EQ(route("/health", &r), 0);
	ASSERT_EQ(route("", &r), 0);
}

#define TESTS(X)                                                                                   \
	X(every_form)                                                                              \
	X(bounds)                                                                                  \
	X(refused)

T_MAIN()

/*
 * test_print.c: the printouts (server/print) on a core built from records:
 * a road race whose names and clubs a CSV must quote or defuse, and a lanes
 * race (a regatta, with its own columns).  Links slprint + slcore + slproto;
 * pdftotext (poppler-utils), when on PATH, reads the PDFs' text back (the
 * tests that need it are skipped without it).
 *
 * What it holds the printouts to: they show the cells of the CSV export
 * (parsed back: quotes and the formula-defusing ' undone, rows cut or
 * padded to the header); every refusal is SL_ENOENT with its sentence; the
 * bytes are a function of the state (the same twice, others after a read).
 */
#include <unistd.h>

#include "core.h"
#include "print/print_int.h"
#include "slp.h"
#include "t.h"

#include "rec.h"

#define T0 1700000000000LL

static const char *CFG =
	"{'k':'config','config':{'event':'pr','name':'Print Test','date':'2023-11-14','races':["
	"{'id':'road','name':'Road 10k','kind':'mass','distance_m':10000,'precision_ms':1000,"
	"'waves':[{'id':'w1','start':%lld}],"
	"'points':[{'id':'start','role':'start'},{'id':'finish','role':'finish',"
	"'distance_m':10000}],"
	"'categories':[{'id':'F','name':'Women','sex':'F'},{'id':'M','name':'Men','sex':'M'}]},"
	"{'id':'L','name':'Lanes Final','kind':'lanes','precision_ms':1,'waves':[{'id':'1'}],"
	"'points':[{'id':'start','role':'start'},"
	"{'id':'finish','role':'finish','distance_m':1000,'min_s':0}]}]}}";

static const char *ROWS =
	"{'k':'participants','rows':["
	"{'bib':'1','race':'road','name':'=cmd, \\'x\\'','sex':'F','age':30,'club':'Club, Inc.'},"
	"{'bib':'2','race':'road','name':'Bo Chen','sex':'M','age':40},"
	"{'bib':'3','race':'road','name':'Never Started','sex':'M','age':50},"
	"{'bib':'1-1','race':'L','name':'Crew One','lane':1},"
	"{'bib':'1-2','race':'L','name':'Crew Two','lane':2}]}";

static uint64_t seq;
static void rd(core *c, const char *bib, const char *pt, long long t)
{
	ASSERT_EQ(recf(c,
		       "{'k':'passings','dev':'d','seq':%llu,'reads':[{'bib':'%s','pt':'%s',"
		       "'t':%lld}]}",
		       (unsigned long long)++seq, bib, pt, t),
		  0);
}

static core *event(void)
{
	core *c = core_new();
	ASSERT_EQ(recf(c, CFG, T0), 0);
	ASSERT_EQ(recf(c, "%s", ROWS), 0);
	rd(c, "1", "finish", T0 + 2400000);
	rd(c, "2", "finish", T0 + 2500000);
	ASSERT_EQ(recf(c, "{'k':'wave_start','race':'L','wave':'1','t0':%lld}", T0), 0);
	rd(c, "1-1", "finish", T0 + 400000);
	rd(c, "1-2", "finish", T0 + 401500);
	return c;
}

/* The text of a PDF (pdftotext -layout), or NULL without pdftotext. */
static char *pdf_text(const sl_buf *pdf)
{
	char path[] = "/tmp/test_print-XXXXXX", cmd[128];
	sl_buf out = SL_BUF_INIT;
	char buf[4096];
	size_t n;
	int fd = mkstemp(path);
	FILE *p;

	if (fd < 0 || system("command -v pdftotext >/dev/null 2>&1") != 0) {
		if (fd >= 0)
			unlink(path);
		return NULL;
	}
	ASSERT_EQ(write(fd, pdf->data, pdf->len), (long long)pdf->len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "pdftotext -layout %s -", path);
	p = popen(cmd, "r");
	while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
		sl_buf_add(&out, buf, n);
	if (p)
		pclose(p);
	unlink(path);
	sl_buf_addc(&out, '\0');
	return sl_buf_detach(&out, NULL);
}

static void table_is_the_csv(void)
{
	core *c = event();
	struct pr_table t;
	char e[200];

	ASSERT_EQ(pr_table_load(c, "road", &t, e, sizeof(e)), 0);
	ASSERT_EQ(t.nrows, 4); /* the header and three runners */
	int name = pr_col(&t, "name"), club = pr_col(&t, "club");
	ASSERT(name >= 0 && club >= 0 && pr_col(&t, "nope") == -1);
	size_t r = pr_find_bib(&t, "1");
	ASSERT_EQ(r, 1);
	ASSERT_STREQ(pr_cell(&t, r, name), "=cmd, \"x\""); /* unquoted, ' gone */
	ASSERT_STREQ(pr_cell(&t, r, club), "Club, Inc.");
	ASSERT_STREQ(pr_cell(&t, 9, name), ""); /* no such row */
	ASSERT_EQ(pr_find_bib(&t, "nobody"), 0);
	pr_table_release(&t);
	ASSERT_EQ(pr_table_load(c, "nope", &t, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "no such race");
	sl_buf it = SL_BUF_INIT;
	pr_list_item("a;bb;c", 1, &it);
	ASSERT_STREQ(it.data, "bb");
	pr_list_item("a;bb;c", 3, &it);
	ASSERT_EQ(it.len, 0);
	sl_buf_release(&it);
	core_free(c);
}

static void refusals(void)
{
	core *none = core_new(), *c = event();
	sl_buf out = SL_BUF_INIT;
	char e[200];

	ASSERT_EQ(print_results_pdf(none, "road", &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "no event to export yet");
	ASSERT_EQ(print_xlsx(none, NULL, &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "no event to export yet");
	ASSERT_EQ(print_results_pdf(c, "nope", &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "no such race");
	ASSERT_EQ(print_awards_pdf(c, "nope", &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "no such race");
	ASSERT_EQ(print_xlsx(c, "nope", &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "no such race");
	ASSERT_EQ(print_certificate_pdf(c, "nope", "1", &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "no such race");
	ASSERT_EQ(print_certificate_pdf(c, "road", "3", &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "bib '3' has no finish in race 'road'");
	ASSERT_EQ(print_certificate_pdf(c, "road", "1-1", &out, e, sizeof(e)), SL_ENOENT);
	ASSERT_STREQ(e, "bib '1-1' is not in race 'road'");
	ASSERT_EQ(print_certificate_pdf(c, "road", "1", &out, e, sizeof(e)), 0);
	ASSERT(out.len > 5 && memcmp(out.data, "%PDF-", 5) == 0);
	sl_buf_release(&out);
	core_free(none);
	core_free(c);
	print_cleanup();
}

/* The same state, the same bytes; a read later, other bytes. */
static void bytes_follow_the_state(void)
{
	core *c = event();
	sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
	char e[200];

	for (int k = 0; k < 4; k++) {
		int (*pdf)(const core *, const char *, sl_buf *, char *, size_t) =
			k == 0   ? print_results_pdf
			: k == 1 ? print_awards_pdf
				 : print_xlsx;
		sl_buf_reset(&a);
		sl_buf_reset(&b);
		if (k < 3) {
			ASSERT_EQ(pdf(c, "road", &a, e, sizeof(e)), 0);
			ASSERT_EQ(pdf(c, "road", &b, e, sizeof(e)), 0);
		} else {
			ASSERT_EQ(print_certificate_pdf(c, "road", "2", &a, e, sizeof(e)), 0);
			ASSERT_EQ(print_certificate_pdf(c, "road", "2", &b, e, sizeof(e)), 0);
		}
		ASSERT(a.len > 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	}
	sl_buf_reset(&a);
	ASSERT_EQ(print_xlsx(c, NULL, &a, e, sizeof(e)), 0);
	ASSERT(a.len > 2 && memcmp(a.data, "PK", 2) == 0);
	sl_buf_reset(&a);
	ASSERT_EQ(print_results_pdf(c, "road", &a, e, sizeof(e)), 0);
	rd(c, "3", "finish", T0 + 2600000);
	sl_buf_reset(&b);
	ASSERT_EQ(print_results_pdf(c, "road", &b, e, sizeof(e)), 0);
	ASSERT(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
	SL_FREE_MANY(a.data, b.data);
	core_free(c);
	print_cleanup();
}

static void road_and_regatta_text(void)
{
	core *c = event();
	sl_buf out = SL_BUF_INIT;
	char e[200], *txt;

	ASSERT_EQ(print_results_pdf(c, "road", &out, e, sizeof(e)), 0);
	if (!(txt = pdf_text(&out))) {
		sl_buf_release(&out);
		core_free(c);
		print_cleanup();
		T_SKIP("no pdftotext (poppler-utils)");
	}
	ASSERT(strstr(txt, "Print Test") && strstr(txt, "14 November 2023"));
	ASSERT(strstr(txt, "Road 10k") && strstr(txt, "PROVISIONAL"));
	ASSERT(strstr(txt, "=cmd, \"x\"") && strstr(txt, "Club, Inc."));
	ASSERT(!strstr(txt, "'=cmd") && !strstr(txt, "Never Started"));
	ASSERT(strstr(txt, "Women") && strstr(txt, "Men") && strstr(txt, "Page 3 of 3"));
	free(txt);
	sl_buf_reset(&out);
	ASSERT_EQ(print_results_pdf(c, "L", &out, e, sizeof(e)), 0);
	txt = pdf_text(&out);
	ASSERT(txt && strstr(txt, "Crew") && strstr(txt, "Lane") && strstr(txt, "Margin"));
	ASSERT(txt && strstr(txt, "Crew One") && strstr(txt, "Crew Two"));
	ASSERT(txt && strstr(txt, "0:06:40.000") && strstr(txt, "Page 1 of 1"));
	free(txt);
	sl_buf_reset(&out);
	ASSERT_EQ(print_awards_pdf(c, "L", &out, e, sizeof(e)), 0);
	txt = pdf_text(&out);
	ASSERT(txt && strstr(txt, "1st") && strstr(txt, "2nd") && strstr(txt, "Crew Two"));
	free(txt);
	sl_buf_release(&out);
	core_free(c);
	print_cleanup();
}

#define TESTS(X)                                                                                   \
	X(table_is_the_csv)                                                                        \
	X(refusals)                                                                                \
	X(bytes_follow_the_state)                                                                  \
	X(road_and_regatta_text)

T_MAIN()

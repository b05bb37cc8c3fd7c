/*
 * test_labels.c: the bib-label sheets (labels.h).
 *
 * SVG: each symbol is read back from the SVG path into a module matrix and
 * compared with what libqrencode makes of the same text; the SVG is
 * checked to be well-formed XML (balanced tags, quoted attributes, known
 * entities) with one label group per bib and one page per 24 labels.
 *
 * PDF (and SVG once more): checked as a printer and a scanner would see
 * them, with real tools run as child processes: pdftoppm renders each page
 * at 300 dpi, zbarimg decodes every QR code on it (each label's code must
 * come back exactly once, on the right page, and nothing else), pdftotext
 * must show every bib, registration code and name; rsvg-convert renders
 * the SVG for zbarimg.  A missing tool is a failure that names the Debian
 * package to install, never a silent pass.  Scratch files go to a fresh
 * directory under $TMPDIR (or /tmp), removed at the end (kept, and named
 * on stderr, when TEST_LABELS_KEEP is set).
 */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */

#include <errno.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labels.h"
#include "t.h"

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A small well-formedness check: 1 when good. */
static int well_formed(const char *s)
{
	char stack[64][32];
	int depth = 0, roots = 0;
	if (strncmp(s, "<?xml", 5) == 0)
		s = strstr(s, "?>") + 2;
	while (*s) {
		if (*s == '&') {
			if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) &&
			    strncmp(s, "&quot;", 6) && strncmp(s, "&apos;", 6))
				return 0;
			s++;
			continue;
		}
		if (*s == '>')
			return 0;
		if (*s != '<') {
			s++;
			continue;
		}
		bool close = s[1] == '/';
		const char *nm = s + 1 + close;
		size_t nl = strcspn(nm, " \t\n/>");
		if (nl == 0 || nl >= 32)
			return 0;
		const char *p = nm + nl;
		/* attributes: name="value" with no '<' or raw '&' inside */
		while (*p && *p != '>' && *p != '/') {
			if (*p == ' ' || *p == '\n') {
				p++;
				continue;
			}
			size_t an = strcspn(p, "=");
			if (p[an] != '=' || p[an + 1] != '"')
				return 0;
			p += an + 2;
			while (*p && *p != '"') {
				if (*p == '<')
					return 0;
				if (*p == '&' && strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) &&
				    strncmp(p, "&gt;", 4) && strncmp(p, "&quot;", 6) &&
				    strncmp(p, "&apos;", 6))
					return 0;
				p++;
			}
			if (*p != '"')
				return 0;
			p++;
		}
		bool self = *p == '/';
		if (self)
			p++;
		if (*p != '>')
			return 0;
		if (close) {
			if (depth == 0 || strlen(stack[depth - 1]) != nl ||
			    memcmp(stack[depth - 1], nm, nl))
				return 0;
			depth--;
		} else if (!self) {
			if (depth == 0)
				roots++;
			if (depth == 64)
				return 0;
			memcpy(stack[depth], nm, nl);
			stack[depth++][nl] = '\0';
		}
		s = p + 1;
	}
	return depth == 0 && roots == 1;
}

static void make(sl_buf *b, size_t n)
{
	static char bibs[100][16];
	label l[100];
	char err[200];
	for (size_t i = 0; i < n; i++) {
		snprintf(bibs[i], sizeof(bibs[i]), "%zu", 1000 + i);
		l[i] = (label){.bib = bibs[i], .name = i % 2 ? "Ana & Bo <\"O'Neil\">" : NULL};
	}
	ASSERT_EQ(labels_svg(b, "boston-2015", l, n, err, sizeof(err)), 0);
	sl_buf_addc(b, '\0');
}

static void one_symbol_per_bib(void)
{
	sl_buf b = SL_BUF_INIT;
	make(&b, 30);
	ASSERT(well_formed(b.data));
	ASSERT_EQ(count(b.data, "<g class=\"label\""), 30);
	ASSERT_EQ(count(b.data, "<path class=\"qr\""), 30);
	ASSERT(strstr(b.data, "data-labels=\"30\""));
	ASSERT(strstr(b.data, "viewBox=\"0 0 210 594\"")); /* 2 pages */
	ASSERT(strstr(b.data, "data-code=\"sl:boston-2015:1029\""));
	ASSERT(strstr(b.data, ">Ana &amp; Bo &lt;&quot;O&apos;Neil&quot;&gt;</text>"));
	sl_buf_release(&b);
}

/* The symbol of bib 1005, read back from its path, is libqrencode's. */
static void symbol_matches_qrencode(void)
{
	sl_buf b = SL_BUF_INIT;
	make(&b, 8);
	const char *g = strstr(b.data, "data-bib=\"1005\"");
	ASSERT(g);
	if (!g)
		return;
	QRcode *qr = QRcode_encodeString8bit("sl:boston-2015:1005", 0, QR_ECLEVEL_M);
	ASSERT(qr);
	int w = qr->width, mods = 0;
	ASSERT_EQ(w, 17 + 4 * qr->version);
	ASSERT(sscanf(strstr(g, "data-modules=\""), "data-modules=\"%d", &mods) == 1);
	ASSERT_EQ(mods, w);
	unsigned char *got = calloc((size_t)(w * w), 1);
	const char *d = strstr(strstr(g, "<path class=\"qr\""), " d=\"") + 4;
	int x, y, k, dark = 0, want = 0;
	while (*d == 'M' && sscanf(d, "M%d %dh1v1h-1z%n", &x, &y, &k) == 2) {
		ASSERT(x >= 0 && x < w && y >= 0 && y < w);
		if (x >= 0 && x < w && y >= 0 && y < w)
			got[y * w + x] = 1;
		dark++;
		d += k;
	}
	ASSERT_EQ(*d, '"');
	for (int i = 0; i < w * w; i++) {
		want += qr->data[i] & 1;
		if ((qr->data[i] & 1) != got[i]) {
			fprintf(stderr, "module %d,%d differs\n", i % w, i / w);
			t_failed_asserts++;
			break;
		}
	}
	ASSERT_EQ(dark, want);
	/* finder pattern corners: dark top-left 7x7 ring */
	ASSERT(got[0] && got[6] && got[6 * w] && got[6 * w + 6] && !got[1 * w + 1]);
	free(got);
	QRcode_free(qr);
	sl_buf_release(&b);
}

/* ---- errors ---- */

static void empty_bib_refused(void)
{
	label l[3] = {{.bib = "7"}, {.bib = "", .name = "X"}, {.bib = "9"}};
	char err[200] = "";
	sl_buf b = SL_BUF_INIT;
	ASSERT_EQ(labels_svg(&b, "e", l, 3, err, sizeof(err)), SL_EINVAL);
	ASSERT_STREQ(err, "label 2: empty bib and no registration code");
	ASSERT_EQ(b.len, 0); /* nothing written */
	err[0] = '\0';
	ASSERT_EQ(labels_pdf(&b, "e", l, 3, err, sizeof(err)), SL_EINVAL);
	ASSERT_STREQ(err, "label 2: empty bib and no registration code");
	ASSERT_EQ(b.len, 0);
	/* NULL bib, empty reg: the same */
	l[1] = (label){.reg = ""};
	ASSERT_EQ(labels_pdf(&b, "e", l, 3, err, sizeof(err)), SL_EINVAL);
	ASSERT_EQ(labels_svg(&b, "e", l, 3, err, sizeof(err)), SL_EINVAL);
	ASSERT_EQ(b.len, 0);
	sl_buf_release(&b);
}

/* A code beyond QR version 40 (2331 bytes at level M) is refused, not cut. */
static void long_code_refused(void)
{
	static char big[3001], mid[301];
	memset(big, '4', sizeof(big) - 1);
	memset(mid, '5', sizeof(mid) - 1);
	label l[2] = {{.bib = "1"}, {.bib = big}};
	char err[200] = "";
	sl_buf b = SL_BUF_INIT;
	ASSERT_EQ(labels_pdf(&b, "e", l, 2, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "label 2: cannot make a QR code of 'sl:e:4444"));
	ASSERT(strstr(err, "(3005 bytes): too long for a QR symbol"));
	ASSERT_EQ(labels_svg(&b, "e", l, 2, err, sizeof(err)), SL_EINVAL);
	ASSERT_EQ(b.len, 0);
	l[1] = (label){.reg = big};
	ASSERT_EQ(labels_pdf(&b, "e", l, 2, err, sizeof(err)), SL_EINVAL);
	/* 300 bytes fit a symbol, and all of them are encoded (no fixed buffer) */
	l[1] = (label){.bib = mid};
	ASSERT_EQ(labels_svg(&b, "e", l, 2, err, sizeof(err)), 0);
	sl_buf_addc(&b, '\0');
	char want[320];
	snprintf(want, sizeof(want), "data-code=\"sl:e:%s\"", mid);
	ASSERT(strstr(b.data, want));
	sl_buf_release(&b);
}

/* ---- registration-code labels in the SVG ---- */

static void reg_label_svg(void)
{
	label l[2] = {{.bib = "12", .reg = "IGNORED"}, {.bib = "", .name = "Zoë", .reg = "K7Q-2M"}};
	char err[200];
	sl_buf b = SL_BUF_INIT;
	ASSERT_EQ(labels_svg(&b, "ev", l, 2, err, sizeof(err)), 0);
	sl_buf_addc(&b, '\0');
	ASSERT(well_formed(b.data));
	ASSERT(strstr(b.data, "data-bib=\"12\" data-code=\"sl:ev:12\""));
	ASSERT(!strstr(b.data, "IGNORED"));
	ASSERT(strstr(b.data, "data-reg=\"K7Q-2M\" data-code=\"sl:ev:K7Q-2M\""));
	ASSERT(strstr(b.data, ">check-in code</text>"));
	ASSERT(strstr(b.data, "<text class=\"reg\""));
	ASSERT(strstr(b.data, ">Zoë</text>"));
	sl_buf_release(&b);
}

/* ---- real tools ---- */

static char tmp[256];

/* 1 if cmd is on PATH; else a failure naming the Debian package. */
static int need_tool(const char *cmd, const char *pkg)
{
	char sh[128];
	snprintf(sh, sizeof(sh), "command -v %s >/dev/null 2>&1", cmd);
	if (system(sh) == 0)
		return 1;
	fprintf(stderr,
		"test_labels: '%s' not found: install the Debian package %s "
		"(scripts/setup; listed in scripts/lib/packages.txt)\n",
		cmd, pkg);
	t_failed_asserts++;
	return 0;
}

/* need_tool for each (command, package) pair up to a NULL; every one is
 * checked, so that every missing tool is named.  True if all are there. */
static bool __attribute__((sentinel)) need_tools(const char *cmd, ...)
{
	va_list ap;
	int missing = 0;
	va_start(ap, cmd);
	for (; cmd; cmd = va_arg(ap, const char *))
		missing += !need_tool(cmd, va_arg(ap, const char *));
	va_end(ap);
	return missing == 0;
}

static int make_tmp(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmp, sizeof(tmp), "%s/test_labels.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp)) {
		fprintf(stderr, "test_labels: cannot make '%s': %s\n", tmp, strerror(errno));
		t_failed_asserts++;
		return 0;
	}
	return 1;
}

static void rm_tmp(void)
{
	char sh[300];
	if (getenv("TEST_LABELS_KEEP")) { /* for a look at the files */
		fprintf(stderr, "test_labels: kept '%s'\n", tmp);
		return;
	}
	snprintf(sh, sizeof(sh), "rm -rf '%s'", tmp);
	if (system(sh) != 0)
		fprintf(stderr, "test_labels: cannot remove '%s'\n", tmp);
}

static int write_file(const char *path, const sl_buf *b)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(b->data, 1, b->len, f) == b->len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "test_labels: cannot write '%s'\n", path);
		t_failed_asserts++;
	}
	return ok;
}

/* Run a shell command, its stdout into out (NUL-terminated); its exit status. */
static int run(const char *cmd, sl_buf *out)
{
	sl_buf_reset(out);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char buf[4096];
	size_t k;
	while ((k = fread(buf, 1, sizeof(buf), p)) > 0)
		sl_buf_add(out, buf, k);
	sl_buf_addc(out, '\0');
	out->len--;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A greyscale image as pdftoppm -gray writes it (binary PGM, maxval 255). */
typedef struct pgm {
	int w, h;
	unsigned char *px; /* owned */
} pgm;

static int pgm_read(const char *path, pgm *g)
{
	sl_buf b = SL_BUF_INIT;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "cat '%s'", path);
	int n = 0, maxval = 0, ok = 0;
	if (run(cmd, &b) == 0 &&
	    sscanf(b.data, "P5 %d %d %d%n", &g->w, &g->h, &maxval, &n) == 3 && maxval == 255 &&
	    g->w > 0 && g->h > 0 && b.len >= (size_t)n + 1 + (size_t)g->w * (size_t)g->h) {
		g->px = malloc((size_t)g->w * (size_t)g->h);
		memcpy(g->px, b.data + n + 1, (size_t)g->w * (size_t)g->h);
		ok = 1;
	} else {
		fprintf(stderr, "test_labels: '%s' is not a 8-bit PGM\n", path);
		t_failed_asserts++;
	}
	sl_buf_release(&b);
	return ok;
}

/* The rectangle of mm (x, y, w, h) of g, at dpi, into path as a PGM. */
static int pgm_crop(const pgm *g, int dpi, double x, double y, double w, double h,
		    const char *path)
{
	int x0 = (int)(x * dpi / 25.4 + 0.5), y0 = (int)(y * dpi / 25.4 + 0.5);
	int cw = (int)(w * dpi / 25.4 + 0.5), ch = (int)(h * dpi / 25.4 + 0.5);
	if (x0 + cw > g->w)
		cw = g->w - x0;
	if (y0 + ch > g->h)
		ch = g->h - y0;
	FILE *f = fopen(path, "wb");
	if (!f || x0 < 0 || y0 < 0 || cw <= 0 || ch <= 0) {
		fprintf(stderr, "test_labels: cannot crop into '%s'\n", path);
		t_failed_asserts++;
		if (f)
			fclose(f);
		return 0;
	}
	fprintf(f, "P5\n%d %d\n255\n", cw, ch);
	for (int r = 0; r < ch; r++)
		fwrite(g->px + (size_t)(y0 + r) * (size_t)g->w + (size_t)x0, 1, (size_t)cw, f);
	return fclose(f) == 0;
}

/*
 * The labels first..first+n of a rendering (at dpi, labels__origin's
 * layout, the page's top at top mm): each label's rectangle is cropped to
 * its own image and all are decoded by one zbarimg --xml; each must give
 * exactly one symbol, want[i].  Per label, because one symbol among many
 * on a page is sometimes missed by zbar, and because this also proves
 * each code is on its own label.
 */
static void labels_decode(const char *image, int dpi, double top, size_t first, size_t n,
			  const char *const *want)
{
	pgm g = {0};
	if (!pgm_read(image, &g))
		return;
	sl_buf cmd = SL_BUF_INIT, o = SL_BUF_INIT;
	sl_buf_adds(&cmd, "zbarimg -q --nodbus --xml -Sdisable -Sqrcode.enable");
	for (size_t i = first; i < first + n; i++) {
		double x, y;
		char path[300];
		labels__origin(i, &x, &y);
		snprintf(path, sizeof(path), "%s/label-%03zu.pgm", tmp, i);
		if (!pgm_crop(&g, dpi, x, top + y, LABELS__W, LABELS__H, path))
			goto out;
		sl_buf_addf(&cmd, " '%s'", path);
	}
	int st = run(cmd.data, &o);
	if (st != 0 && st != 4) { /* 4: some image without a symbol, found below */
		fprintf(stderr, "test_labels: zbarimg exited %d\n", st);
		t_failed_asserts++;
	}
	for (size_t i = first; i < first + n; i++) {
		char src[300];
		snprintf(src, sizeof(src), "<source href='%s/label-%03zu.pgm'>", tmp, i);
		const char *s = strstr(o.data, src), *end = s ? strstr(s, "</source>") : NULL;
		size_t got = 0, ok = 0;
		for (const char *d = s; d && (d = strstr(d, "<![CDATA[")) && d < end; d++) {
			const char *e = strstr(d, "]]>");
			d += 9;
			got++;
			if (e && (size_t)(e - d) == strlen(want[i - first]) &&
			    memcmp(d, want[i - first], (size_t)(e - d)) == 0)
				ok++;
			else
				fprintf(stderr, "test_labels: label %zu: decoded '%.*s'\n", i + 1,
					e ? (int)(e - d) : 40, d);
		}
		if (got != 1 || ok != 1) {
			fprintf(stderr,
				"test_labels: %s: label %zu: %zu symbols, %zu of them '%s' "
				"(want exactly one)\n",
				image, i + 1, got, ok, want[i - first]);
			t_failed_asserts++;
		}
	}
out:
	free(g.px);
	sl_buf_release(&cmd);
	sl_buf_release(&o);
}

/* The number after "Field:" in pdfinfo's output, -1 if none. */
static long pdfinfo_num(const char *info, const char *field)
{
	const char *p = strstr(info, field);
	return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

#define N_PDF 30

/*
 * 30 labels (2 pages): bib labels, confirmation-code labels (every 7th),
 * names with accents, markup characters, a byte that is not UTF-8, and one
 * too long for the label.
 */
struct pdf_set {
	label l[N_PDF];
	char bibs[N_PDF][16], regs[N_PDF][16], code_s[N_PDF][48];
	const char *codes[N_PDF]; /* what each label's symbol must decode to */
};

static void pdf_labels(struct pdf_set *p)
{
	static const char *names[] = {
		"Zoë Ødegård-Núñez", "José Müller", "Ana & Bo <\"O'Neil\">", NULL,
		"Bad\xff Name",      "Łukasz Żółć",
		"Maximiliana Wilhelmina Fitzgerald-Bartholomew-Vanderbilt",
	};
	for (size_t i = 0; i < N_PDF; i++) {
		snprintf(p->bibs[i], 16, "%zu", 1000 + i);
		snprintf(p->regs[i], 16, "R%zuK-%c", 40 + i, (char)('A' + i % 26));
		p->l[i] = (label){.bib = p->bibs[i], .name = names[i % 7]};
		if (i % 7 == 3)
			p->l[i] = (label){
				.bib = i % 2 ? "" : NULL, .reg = p->regs[i], .name = "Pick Up"};
		snprintf(p->code_s[i], 48, "sl:boston-2015:%s",
			 i % 7 == 3 ? p->regs[i] : p->bibs[i]);
		p->codes[i] = p->code_s[i];
	}
}

typedef int draw_fn(sl_buf *out, const char *event, const label *l, size_t n, char *err,
		    size_t errlen);

/*
 * The label set (pdf_labels into p) drawn by draw (what: its name) into
 * out, and written to a fresh tmp as name: true with its path in path;
 * false, the failure counted, when the tmp cannot be made or the file
 * written (rm_tmp() is the caller's either way).
 */
static bool draw_set(struct pdf_set *p, draw_fn *draw, const char *what, sl_buf *out,
		     const char *name, char *path, size_t pathlen)
{
	char err[200] = "";
	pdf_labels(p);
	ASSERT_EQ(draw(out, "boston-2015", p->l, N_PDF, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "%s: %s\n", what, err);
	if (!make_tmp())
		return false;
	snprintf(path, pathlen, "%s/%s", tmp, name);
	return write_file(path, out);
}

static void pdf_decodes(void)
{
	if (!need_tools("pdftoppm", "poppler-utils", "pdftotext", "poppler-utils", "pdfinfo",
			"poppler-utils", "zbarimg", "zbar-tools", NULL))
		return;
	struct pdf_set p;
	sl_buf pdf = SL_BUF_INIT, o = SL_BUF_INIT;
	char path[300], cmd[800];
	bool drawn = draw_set(&p, labels_pdf, "labels_pdf", &pdf, "labels.pdf", path, sizeof(path));
	ASSERT(pdf.len > 1000 && memcmp(pdf.data, "%PDF-", 5) == 0);
	if (!drawn)
		goto out;

	snprintf(cmd, sizeof(cmd), "pdfinfo '%s'", path);
	ASSERT_EQ(run(cmd, &o), 0);
	ASSERT_EQ(pdfinfo_num(o.data, "\nPages:"), 2);
	ASSERT(strstr(o.data, "bib labels: boston-2015\n"));
	ASSERT(strstr(o.data, "595.276 x 841.89 pts (A4)")); /* A4 portrait */

	/* pages as a 300 dpi printer would print them */
	snprintf(cmd, sizeof(cmd), "pdftoppm -r 300 -gray '%s' '%s/page'", path, tmp);
	ASSERT_EQ(run(cmd, &o), 0);
	char page[300];
	snprintf(page, sizeof(page), "%s/page-1.pgm", tmp);
	labels_decode(page, 300, 0, 0, 24, p.codes); /* 3 x 8 on page 1 */
	snprintf(page, sizeof(page), "%s/page-2.pgm", tmp);
	labels_decode(page, 300, 0, 24, N_PDF - 24, p.codes + 24);
	/* and the rest of page 2 is empty: no symbol anywhere on it but those 6 */
	snprintf(cmd, sizeof(cmd), "zbarimg -q --nodbus --raw -Sdisable -Sqrcode.enable '%s'", page);
	ASSERT_EQ(run(cmd, &o), 0);
	ASSERT_EQ(count(o.data, "\n"), N_PDF - 24);

	snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 '%s' -", path);
	ASSERT_EQ(run(cmd, &o), 0);
	for (size_t i = 0; i < N_PDF; i++) {
		const char *s = i % 7 == 3 ? p.regs[i] : p.bibs[i];
		if (!strstr(o.data, s)) {
			fprintf(stderr, "test_labels: pdftotext: '%s' not shown\n", s);
			t_failed_asserts++;
		}
	}
	static const char *shown[] = {"Zoë Ødegård-Núñez", "José Müller", "Ana & Bo <\"O'Neil\">",
				      "Bad? Name", "Łukasz Żółć", "Pick Up", "check-in code",
				      "Maximiliana Wilhelmina", "\xe2\x80\xa6" /* … of the cut name */};
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (!strstr(o.data, shown[i])) {
			fprintf(stderr, "test_labels: pdftotext: '%s' not shown\n", shown[i]);
			t_failed_asserts++;
		}
	ASSERT_EQ(count(o.data, "Zoë Ødegård-Núñez"), 5); /* i % 7 == 0: not cut */
	ASSERT_EQ(count(o.data, "check-in code"), 4);    /* i % 7 == 3 */
	ASSERT(!strstr(o.data, "Bartholomew-Vanderbilt")); /* cut to fit its label */
	/* the page break is after label 24: a form feed between 1023 and 1025 */
	char *ff = strchr(o.data, '\f');
	ASSERT(ff && strstr(o.data, "1023") < ff && strstr(o.data, "1025") > ff);
out:
	rm_tmp();
	sl_buf_release(&o);
	sl_buf_release(&pdf);
}

/* No labels: one blank page, no codes. */
static void pdf_empty(void)
{
	if (!need_tool("pdfinfo", "poppler-utils"))
		return;
	sl_buf pdf = SL_BUF_INIT, o = SL_BUF_INIT;
	char err[200], path[300], cmd[400];
	ASSERT_EQ(labels_pdf(&pdf, "e", NULL, 0, err, sizeof(err)), 0);
	if (!make_tmp())
		return;
	snprintf(path, sizeof(path), "%s/empty.pdf", tmp);
	if (write_file(path, &pdf)) {
		snprintf(cmd, sizeof(cmd), "pdfinfo '%s'", path);
		ASSERT_EQ(run(cmd, &o), 0);
		ASSERT_EQ(pdfinfo_num(o.data, "\nPages:"), 1);
	}
	rm_tmp();
	sl_buf_release(&o);
	sl_buf_release(&pdf);
}

/*
 * The SVG decodes too (bib and registration labels): librsvg draws it as
 * PDF (its geometry, as a browser or printer driver would read it), which
 * pdftoppm renders at 300 dpi.
 */
static void svg_decodes(void)
{
	if (!need_tools("rsvg-convert", "librsvg2-bin", "pdftoppm", "poppler-utils", "zbarimg",
			"zbar-tools", NULL))
		return;
	struct pdf_set p;
	sl_buf svg = SL_BUF_INIT, o = SL_BUF_INIT;
	char path[300], cmd[1400], page[300];
	if (draw_set(&p, labels_svg, "labels_svg", &svg, "labels.svg", path, sizeof(path))) {
		snprintf(cmd, sizeof(cmd),
			 "rsvg-convert -f pdf -o '%s/svg.pdf' '%s' && "
			 "pdftoppm -r 300 -gray '%s/svg.pdf' '%s/svg'",
			 tmp, path, tmp, tmp);
		ASSERT_EQ(run(cmd, &o), 0);
		/* one tall page: 2 x 297 mm */
		snprintf(page, sizeof(page), "%s/svg-1.pgm", tmp);
		labels_decode(page, 300, 0, 0, 24, p.codes);
		labels_decode(page, 300, LABELS__PAGE_H, 24, N_PDF - 24, p.codes + 24);
	}
	rm_tmp();
	sl_buf_release(&o);
	sl_buf_release(&svg);
}

#define TESTS(X)                                                                    \
	X(one_symbol_per_bib)                                                       \
	X(symbol_matches_qrencode) X(empty_bib_refused) X(long_code_refused)        \
		X(reg_label_svg) X(pdf_decodes) X(pdf_empty) X(svg_decodes)
T_MAIN()

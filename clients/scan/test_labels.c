/*
 * test_labels.c: the bib-label sheet (labels.h).  No QR decoder here, so
 * each symbol is read back from the SVG path into a module matrix and
 * compared with what libqrencode makes of the same text; the SVG is
 * checked to be well-formed XML (balanced tags, quoted attributes, known
 * entities) with one label group per bib and one page per 24 labels.
 */
#include <qrencode.h>
#include <stdbool.h>

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
		l[i] = (label){bibs[i], i % 2 ? "Ana & Bo <\"O'Neil\">" : NULL};
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

static void empty_bib_refused(void)
{
	sl_buf b = SL_BUF_INIT;
	label l[1] = {{"", NULL}};
	char err[200] = "";
	ASSERT_EQ(labels_svg(&b, "e", l, 1, err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "empty bib"));
	sl_buf_release(&b);
}

#define TESTS(X) X(one_symbol_per_bib) X(symbol_matches_qrencode) X(empty_bib_refused)
T_MAIN()

/*
 * outbox.c: splitline-scan's files in DIR (main.c has their formats): the
 * outbox of scans, the acked watermark, the finish-tap journal, appended
 * and fsync'd once a turn (scan__commit) before what the turn says is
 * printed.  The window of what is in flight is clients/common/outbox.h's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scan.h"

static const char *prog = "splitline-scan";

void scan__say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_buf_vaddf(&S.say, fmt, ap);
	va_end(ap);
}

size_t scan__pending(void)
{
	size_t p = 0;
	for (size_t i = 0; i < S.n; i++)
		p += S.s[i].seq > S.ob.acked;
	return p;
}

size_t scan__unanswered(void)
{
	size_t p = 0;
	if (S.passings)
		return 0;
	for (size_t i = 0; i < S.n; i++)
		p += !S.s[i].answered;
	return p;
}

static char *path(const char *name)
{
	size_t n = strlen(S.dir) + strlen(name) + 2;
	char *p = sl_malloc(n);
	snprintf(p, n, "%s/%s", S.dir, name);
	return p;
}

void scan__hms(char *buf, size_t n, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&s, &tm);
	snprintf(buf, n, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ms % 1000));
}

int scan__save_acked(void)
{
	char *p = path("acked"), *tmp = path("acked.tmp");
	char buf[32];
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc = 0;
	int n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)S.ob.acked);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) < 0 || rename(tmp, p) < 0) {
		fprintf(stderr, "%s: cannot write '%s': %s\n", prog, p, strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(p);
	free(tmp);
	return rc;
}

static void add_scan(uint64_t seq, int64_t t, const char *code, const char *chip,
		     const char *bib, uint64_t tap, bool assign)
{
	SL_GROW(S.s, S.cap, S.n + 1);
	S.s[S.n++] = (struct scan){.seq = seq,
				   .t = t,
				   .code = sl_strdup(code),
				   .chip = chip ? sl_strdup(chip) : NULL,
				   .bib = bib ? sl_strdup(bib) : NULL,
				   .tap = tap,
				   .assign = assign};
}

/*
 * Open DIR/name for appending and hand each complete line of it to fn
 * (NUL-terminated, without the newline).  A last line without a newline
 * (a write cut by a crash: never fsync'd, never shown) is cut off the
 * file.  Returns the fd, or -1 (reported).
 */
static int open_log(const char *name, void (*fn)(char *line))
{
	char *p = path(name);
	int fd = open(p, O_RDWR | O_CREAT | O_APPEND, 0644);
	sl_buf b = SL_BUF_INIT;
	if (fd < 0)
		goto fail;
	for (;;) {
		char tmp[65536];
		ssize_t r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		sl_buf_add(&b, tmp, (size_t)r);
	}
	size_t keep = b.len;
	while (keep && b.data[keep - 1] != '\n')
		keep--;
	if (keep != b.len && (ftruncate(fd, (off_t)keep) < 0 || fsync(fd) < 0))
		goto fail;
	for (size_t i = 0; i < keep;) {
		char *nl = memchr(b.data + i, '\n', keep - i);
		*nl = '\0';
		fn(b.data + i);
		i = (size_t)(nl - b.data) + 1;
	}
	sl_buf_release(&b);
	free(p);
	return fd;
fail:
	fprintf(stderr, "%s: cannot open '%s': %s\n", prog, p, strerror(errno));
	if (fd >= 0)
		close(fd);
	sl_buf_release(&b);
	free(p);
	return -1;
}

static void on_outbox_line(char *line)
{
	unsigned long long seq, tap = 0;
	long long t;
	int off = 0;
	if (sscanf(line, "%llu\t%lld\t%n", &seq, &t, &off) < 2 || off <= 0)
		return;
	/* the code, then key=value fields; a field of no known key is part of
	 * the code (older outboxes kept a code's tabs) */
	sl_buf code = SL_BUF_INIT;
	const char *chip = NULL, *bib = NULL;
	bool assign = false, first = true;
	for (char *f = line + off, *next; f; f = next, first = false) {
		next = strchr(f, '\t');
		if (next)
			*next++ = '\0';
		if (first) {
			sl_buf_adds(&code, f);
		} else if (!strcmp(f, "op=assign")) {
			assign = true;
		} else if (!strncmp(f, "chip=", 5) && f[5]) {
			chip = f + 5;
		} else if (!strncmp(f, "bib=", 4) && f[4]) {
			bib = f + 4;
		} else if (strncmp(f, "tap=", 4) != 0 || sscanf(f + 4, "%llu", &tap) != 1) {
			sl_buf_addc(&code, '\t');
			sl_buf_adds(&code, f);
		}
	}
	add_scan(seq, t, code.data ? code.data : "", chip, bib, tap, assign);
	sl_buf_release(&code);
}

static struct tap *tap_find(uint64_t n)
{
	for (size_t i = 0; i < S.ntaps; i++)
		if (S.taps[i].n == n)
			return &S.taps[i];
	return NULL;
}

void scan__tap_remove(struct tap *tp)
{
	size_t i = (size_t)(tp - S.taps);
	memmove(tp, tp + 1, (S.ntaps - i - 1) * sizeof(*tp));
	S.ntaps--;
}

static void on_tap_line(char *line)
{
	unsigned long long n;
	long long t;
	struct tap *tp;
	if (sscanf(line, "tap\t%llu\t%lld", &n, &t) == 2) {
		if (n >= S.next_tap)
			S.next_tap = n + 1;
		if (!tap_find(n)) {
			SL_GROW(S.taps, S.captaps, S.ntaps + 1);
			S.taps[S.ntaps++] = (struct tap){n, t};
		}
	} else if ((sscanf(line, "skip\t%llu", &n) == 1 || sscanf(line, "undo\t%llu", &n) == 1) &&
		   (tp = tap_find(n))) {
		scan__tap_remove(tp);
	}
}

/* Load the outbox, the acked watermark and (finish-tap) the taps. */
int scan__load(void)
{
	S.outfd = open_log("outbox", on_outbox_line);
	if (S.outfd < 0)
		return -1;
	char *p = path("acked");
	FILE *f = fopen(p, "r");
	if (f) {
		unsigned long long a;
		if (fscanf(f, "%llu", &a) == 1)
			S.ob.acked = a;
		fclose(f);
	}
	free(p);
	S.tapfd = -1;
	if (S.mode != M_FINISH_TAP)
		return 0;
	S.next_tap = 1;
	S.tapfd = open_log("taps", on_tap_line);
	if (S.tapfd < 0)
		return -1;
	for (size_t i = 0; i < S.n; i++) {
		struct tap *tp = S.s[i].tap ? tap_find(S.s[i].tap) : NULL;
		if (S.s[i].tap >= S.next_tap)
			S.next_tap = S.s[i].tap + 1;
		if (tp)
			scan__tap_remove(tp);
	}
	for (size_t i = 0; i < S.ntaps; i++) {
		char when[32];
		scan__hms(when, sizeof(when), S.taps[i].t);
		printf("resumed: tap %llu at %s waiting\n", (unsigned long long)S.taps[i].n, when);
	}
	if (S.ntaps)
		printf("resumed: %zu taps waiting\n", S.ntaps);
	fflush(stdout);
	return 0;
}

static int append(int fd, const sl_buf *b, const char *what)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fprintf(stderr, "%s: cannot write the %s: %s\n", prog, what, strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Append one scan to the outbox (fsync'd by commit) and return it. */
struct scan *scan__enqueue(const char *code, int64_t t, const char *chip, const char *bib,
			    uint64_t tap)
{
	sl_buf b = SL_BUF_INIT;
	uint64_t seq = S.n ? S.s[S.n - 1].seq + 1 : S.ob.acked + 1;
	bool assign = S.mode == M_PICKUP;
	sl_buf_addf(&b, "%llu\t%lld\t%s", (unsigned long long)seq, (long long)t, code);
	if (assign)
		sl_buf_adds(&b, "\top=assign");
	if (chip)
		sl_buf_addf(&b, "\tchip=%s", chip);
	if (bib)
		sl_buf_addf(&b, "\tbib=%s", bib);
	if (tap)
		sl_buf_addf(&b, "\ttap=%llu", (unsigned long long)tap);
	sl_buf_addc(&b, '\n');
	int rc = append(S.outfd, &b, "outbox");
	sl_buf_release(&b);
	if (rc < 0)
		return NULL;
	S.out_dirty = true;
	add_scan(seq, t, code, chip, bib, tap, assign);
	return &S.s[S.n - 1];
}

int scan__journal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int scan__journal(const char *fmt, ...)
{
	sl_buf b = SL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sl_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	int rc = append(S.tapfd, &b, "tap journal");
	sl_buf_release(&b);
	S.tap_dirty = true;
	return rc;
}

/* fsync what this turn wrote, then print what it said. */
int scan__commit(void)
{
	if ((S.out_dirty && fsync(S.outfd) < 0) || (S.tap_dirty && fsync(S.tapfd) < 0)) {
		fprintf(stderr, "%s: cannot write the outbox: %s\n", prog, strerror(errno));
		return -1;
	}
	S.out_dirty = S.tap_dirty = false;
	if (S.say.len) {
		fwrite(S.say.data, 1, S.say.len, stdout);
		fflush(stdout);
		sl_buf_reset(&S.say);
	}
	return 0;
}


/*
 * splitline-scan: a handheld scanner (PROTOCOL.md, "Check-in" and "Device
 * input").  A keyboard-wedge barcode scanner (and the keyboard beside it)
 * types one line at a time on stdin.  Modes:
 *
 *   checkin     each line is a code (bib, chip, registration code or
 *               sl:<event>:<bib or reg>): a check-in scan, answered by the
 *               server (name, race, wave, bib, or a warning);
 *   checkpoint  each line is a bib: a handheld passing at --point, with the
 *               time of the scan;
 *   finish-tap  a finish-chute volunteer taps Enter as each athlete
 *               crosses and attaches bibs afterwards, in order:
 *                 empty line      a tap: the time now, waiting for a bib;
 *                 BIB             (or sl:<event>:<bib>) attaches to the
 *                                 oldest waiting tap: a handheld passing
 *                                 {bib, pt, t: the tap's time} is queued;
 *                 "-" or "skip"   drops the oldest waiting tap (not an
 *                                 athlete);
 *                 "undo"          drops the newest waiting tap (a double
 *                                 tap).
 *               A bib with no tap waiting, or one already attached, is an
 *               error (printed with a BEL) and changes nothing;
 *   pickup      a bib-pickup desk: each line is a code (registration code,
 *               sl:<event>:<reg or bib>, or a bib), sent as a check-in scan
 *               with "op":"assign" (the server gives the next free bib of
 *               the race's bib_pool, or checks in an athlete who has one);
 *               the answer shows the bib to hand over.  With
 *               --bib-from-stack the line after each code is the bib (its
 *               barcode) the desk hands out from its stack, assigned as
 *               such (a pre-chipped blank bib brings its chip); with
 *               --pair-chip the next line is the chip scanned off the bib
 *               ("-" for none).  All go in one scan.  Needs a desk (or
 *               official) token.
 *
 * Input is read by a thread that only reads stdin and stamps each line
 * with the time its read(2) returned, so a tap keeps its time even while
 * the main loop waits on the network; the main loop takes every line
 * queued so far in one turn, with one fsync per file per turn, so a fast
 * feed (or a backlog typed while offline) does not wait a turn per line.
 *
 * `splitline-scan labels` writes the bib-label sheet (labels.h) instead.
 *
 * Durability.  Every scan is appended to DIR/outbox and fsync'd before it
 * is shown as queued; DIR/acked holds the last seq the server acknowledged
 * (written with fsync + rename).  An outbox line is "seq<TAB>t<TAB>code",
 * optionally followed by "<TAB>key=value" fields: op=assign (pickup),
 * bib=B (pickup --bib-from-stack), chip=C (pickup --pair-chip),
 * tap=N (finish-tap: the tap the bib was attached to); lines without them
 * (older outboxes) load as before.  In
 * finish-tap mode DIR/taps journals the taps: "tap<TAB>N<TAB>t",
 * "skip<TAB>N", "undo<TAB>N", fsync'd before printed; an attachment is
 * only its outbox line (tap=N), so it is one write and a tap can never be
 * both waiting and queued.  On restart the taps neither dropped nor
 * attached are waiting again, in order.  A last line cut short by a crash
 * (never fsync'd, never shown) is cut off both files on load.
 *
 * A scan shows "saved" only once acked (durable on the server).  Offline,
 * scans wait in the outbox and the connection is retried (1 s apart, less
 * up to 20% jitter; the window, acks and backoff: clients/common/outbox.h); on
 * return every unacked scan is sent again with the same seq (the server
 * counts each seq once).  Answers (checkin, pickup) come on topic
 * scans/<device>: subscribed from the first unanswered seq after each
 * connect, so none is lost across outages.
 *
 * Output (stdout, one line per event): "queued SEQ CODE (pending N)",
 * "saved FIRST..LAST (pending N)", "answer SEQ ok BIB NAME race R wave W"
 * (pickup: "answer SEQ ok BIB B NAME N race R wave W: MSG") or "answer SEQ
 * warning CODE: MSG" (with a BEL for the audible error); finish-tap:
 * "tap N at HH:MM:SS.mmm (waiting K)", "tap N bib B queued SEQ (at
 * HH:MM:SS.mmm, waiting K, pending P)", "tap N skipped|undone (waiting
 * K)" (local time).  At EOF it keeps syncing until every scan is acked
 * (and, in checkin and pickup modes, answered) or --wait seconds passed;
 * then "scan: ..." totals (finish-tap: taps still waiting too; they stay
 * in the journal) and exit 0 when nothing is pending, 1 otherwise.  A
 * refused token exits 1 at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cliutil.h"
#include "csvimport.h"
#include "labels.h"
#include "outbox.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define CONNECT_MS 3000
#define RETRY_MS 1000
#define BACKOFF_JITTER_PCT 20
#define REPLY_MS 10000
#define MAX_BATCH 500
#define MAX_LINE 128 /* a scanned line */
#define MAX_ID 64    /* a bib or a chip (PROTOCOL.md) */

static const char *prog = "splitline-scan";
static const char usage[] =
	"usage: splitline-scan --device ID --outbox DIR\n"
	"                      [--mode checkin|checkpoint|finish-tap|pickup] [--point PT]\n"
	"                      [--bib-from-stack] [--pair-chip] [--volunteer NAME] [--race RACE]\n"
	"                      [--wait SECONDS]\n"
	"                      [--server URL] [--event ID] [--token T | --token-file F]\n"
	"       splitline-scan labels --out FILE.svg|FILE.pdf [--race RACE]\n"
	"                      [--from-csv FILE.csv [--map M] [--date-format ORDER]]\n"
	"                      [--server URL] [--event ID]\n"
	"\n"
	"Reads one scanned line at a time on stdin (a keyboard-wedge scanner) and\n"
	"sends it; scans are kept in DIR/outbox (fsync'd) until the server acked\n"
	"them; offline it retries and syncs when the link returns.  Modes:\n"
	"  checkin     (default) each line a code: a check-in, answered with the\n"
	"              athlete's name, race and wave, or a warning\n"
	"  checkpoint  each line a bib: a handheld passing at --point, timed now\n"
	"  finish-tap  (with --point) Enter records a tap (the time now); then each\n"
	"              bib line attaches to the oldest waiting tap and is sent as a\n"
	"              handheld passing at the tap's time; '-' or 'skip' drops the\n"
	"              oldest waiting tap, 'undo' the newest.  Taps are journaled in\n"
	"              DIR/taps and still waiting after a restart.  Token: a scanner\n"
	"              token for --point, or an official token issued with --device\n"
	"  pickup      each line a registration code, sl:<event>:<reg> or bib: the\n"
	"              server assigns the next free bib of the race's pool (or checks\n"
	"              in an athlete who has one); the answer shows the bib to hand\n"
	"              over.  --bib-from-stack: the next line is the bib handed out\n"
	"              from the desk's stack (scan its barcode), assigned as such; a\n"
	"              pre-chipped bib (imported with --blank) brings its chip.\n"
	"              --pair-chip: then the chip scanned off the bib ('-' for none).\n"
	"              All in one scan.  Needs a desk or official token\n"
	"\n"
	"labels: a sheet of bib labels (A4, 3 x 8), each with a QR code of\n"
	"sl:<event>:<bib> (or sl:<event>:<reg> for a row with a registration code\n"
	"and no bib), for the participants of FILE.csv (header names as for\n"
	"`splitline participants import`, --map and --date-format likewise) or of the\n"
	"server's results export of RACE (GET /api/results/RACE.csv).  An --out name\n"
	"ending in .pdf writes PDF, any other SVG.\n";

enum mode { M_CHECKIN, M_CHECKPOINT, M_FINISH_TAP, M_PICKUP };

struct scan {
	uint64_t seq;
	int64_t t;
	char *code; /* the code, or the bib of a passing */
	char *chip; /* pickup --pair-chip: the chip to pair, or NULL */
	char *bib;  /* pickup --bib-from-stack: the bib handed out, or NULL */
	uint64_t tap; /* finish-tap: the tap it attached, else 0 */
	bool assign;  /* op assign (pickup) */
	bool answered;
};

struct tap {
	uint64_t n;
	int64_t t;
};

static struct {
	slc_conn conn;
	const char *dev, *dir, *point, *vol, *race;
	enum mode mode;
	bool passings; /* checkpoint and finish-tap send passings */
	bool pair_chip, bib_from_stack;
	struct scan *s;
	size_t n, cap;
	outbox ob;      /* ob.acked: the last seq acked; the batch in flight */
	outbox_backoff bo; /* between connects */
	int outfd, tapfd;
	bool out_dirty, tap_dirty; /* written since the last fsync */
	sl_buf say;                /* what to print once the fsyncs are done */
	struct tap *taps;          /* finish-tap: waiting taps, oldest first */
	size_t ntaps, captaps;
	uint64_t next_tap;
	char *want_chip_for; /* pickup: the code waiting for its bib and/or chip */
	char *want_bib;      /* pickup --bib-from-stack: its bib, once scanned */
	bool want_chip;      /* the next line is the chip (else the bib) */
	int64_t want_t;
	wsc *c;
	int64_t next_try;
	size_t answers, warnings;
	bool fatal;
} S;

/* ---- the input thread ---- */

struct line {
	int64_t t;  /* when the read that completed it returned */
	char *text; /* owned */
	bool toolong;
};

static struct {
	pthread_mutex_t mu;
	struct line *q;
	size_t n, cap;
	bool eof;
	int err;     /* errno of a failed read */
	int wake[2]; /* a byte per push: wakes the main loop's poll */
	pthread_t th;
} IN = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void in_push(int64_t t, const char *s, size_t n, bool toolong)
{
	SL_GROW(IN.q, IN.cap, IN.n + 1);
	IN.q[IN.n++] = (struct line){t, sl_strndup(s, n), toolong};
}

/*
 * Read stdin until EOF.  Lines end at LF, CR or CR LF; a line over
 * MAX_LINE characters is queued as toolong (its text cut).  Touches only
 * IN (under IN.mu).
 */
static void *input_main(void *arg)
{
	static char line[MAX_LINE + 1];
	char buf[4096];
	size_t ll = 0;
	bool toolong = false, cr = false;
	(void)arg;
	for (;;) {
		ssize_t r = read(0, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		int64_t t = sl_now_ms();
		pthread_mutex_lock(&IN.mu);
		if (r <= 0) {
			if (r < 0)
				IN.err = errno;
			if (ll > 0 || toolong)
				in_push(t, line, ll, toolong);
			IN.eof = true;
		}
		for (ssize_t i = 0; i < r; i++) {
			char ch = buf[i];
			bool was_cr = cr;
			cr = ch == '\r';
			if (ch == '\n' && was_cr)
				continue;
			if (ch == '\n' || ch == '\r') {
				in_push(t, line, ll, toolong);
				ll = 0;
				toolong = false;
			} else if (ll < MAX_LINE) {
				line[ll++] = ch;
			} else {
				toolong = true;
			}
		}
		pthread_mutex_unlock(&IN.mu);
		if (write(IN.wake[1], "", 1) < 0) {
			/* the pipe is full: the main loop has a wake-up coming */
		}
		if (r <= 0)
			return NULL;
	}
}

static int input_start(void)
{
	if (pipe(IN.wake) < 0 || fcntl(IN.wake[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(IN.wake[1], F_SETFL, O_NONBLOCK) < 0 ||
	    pthread_create(&IN.th, NULL, input_main, NULL) != 0) {
		fprintf(stderr, "%s: cannot start the input thread: %s\n", prog, strerror(errno));
		return -1;
	}
	return 0;
}

/* Take every line queued so far (owned by the caller); *eof once at EOF. */
static struct line *input_take(size_t *n, bool *eof)
{
	char tmp[256];
	while (read(IN.wake[0], tmp, sizeof(tmp)) > 0)
		;
	pthread_mutex_lock(&IN.mu);
	struct line *q = IN.q;
	*n = IN.n;
	*eof = IN.eof;
	if (IN.eof && IN.err) {
		fprintf(stderr, "%s: cannot read stdin: %s\n", prog, strerror(IN.err));
		IN.err = 0;
	}
	IN.q = NULL;
	IN.n = IN.cap = 0;
	pthread_mutex_unlock(&IN.mu);
	return q;
}

/* ---- outbox, acked watermark and tap journal ---- */

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_buf_vaddf(&S.say, fmt, ap);
	va_end(ap);
}

static size_t pending(void)
{
	size_t p = 0;
	for (size_t i = 0; i < S.n; i++)
		p += S.s[i].seq > S.ob.acked;
	return p;
}

static size_t unanswered(void)
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

static void hms(char *buf, size_t n, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&s, &tm);
	snprintf(buf, n, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ms % 1000));
}

static int save_acked(void)
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

static void tap_remove(struct tap *tp)
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
		tap_remove(tp);
	}
}

/* Load the outbox, the acked watermark and (finish-tap) the taps. */
static int load(void)
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
			tap_remove(tp);
	}
	for (size_t i = 0; i < S.ntaps; i++) {
		char when[32];
		hms(when, sizeof(when), S.taps[i].t);
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
static struct scan *enqueue(const char *code, int64_t t, const char *chip, const char *bib,
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

static int journal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int journal(const char *fmt, ...)
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
static int commit(void)
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

/* ---- one input line, by mode ---- */

/* Trim blanks in place; NULL when a control character is left inside. */
static char *clean(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return s;
}

/* sl:<event>:<id> -> id (NULL for another event's code); else s itself. */
static const char *strip_code(const char *s)
{
	size_t en = strlen(S.conn.event);
	if (strncmp(s, "sl:", 3) != 0)
		return s;
	if (strncmp(s + 3, S.conn.event, en) != 0 || s[3 + en] != ':' || !s[4 + en])
		return NULL;
	return s + 4 + en;
}

static bool bib_attached(const char *bib, uint64_t *tap)
{
	for (size_t i = 0; i < S.n; i++)
		if (S.s[i].tap && !strcmp(S.s[i].code, bib)) {
			*tap = S.s[i].tap;
			return true;
		}
	return false;
}

static int on_finish_tap(const char *s, int64_t t)
{
	char when[32];
	if (!*s) {
		uint64_t n = S.next_tap++;
		if (journal("tap\t%llu\t%lld\n", (unsigned long long)n, (long long)t) < 0)
			return -1;
		SL_GROW(S.taps, S.captaps, S.ntaps + 1);
		S.taps[S.ntaps++] = (struct tap){n, t};
		hms(when, sizeof(when), t);
		say("tap %llu at %s (waiting %zu)\n", (unsigned long long)n, when, S.ntaps);
		return 0;
	}
	bool skip = !strcmp(s, "-") || !strcasecmp(s, "skip"), undo = !strcasecmp(s, "undo");
	if ((skip || undo) && !S.ntaps) {
		say("error: %s: no tap waiting\a\n", undo ? "undo" : "skip");
		return 0;
	}
	if (skip || undo) {
		struct tap *tp = undo ? &S.taps[S.ntaps - 1] : &S.taps[0];
		uint64_t n = tp->n;
		if (journal("%s\t%llu\n", undo ? "undo" : "skip", (unsigned long long)n) < 0)
			return -1;
		tap_remove(tp);
		say("tap %llu %s (waiting %zu)\n", (unsigned long long)n,
		    undo ? "undone" : "skipped", S.ntaps);
		return 0;
	}
	const char *bib = strip_code(s);
	uint64_t other;
	if (!bib) {
		say("error: '%s' is not a code of event '%s' (scan ignored)\a\n", s, S.conn.event);
	} else if (strlen(bib) > MAX_ID) {
		say("error: bib '%.40s...' is longer than %d characters (scan ignored)\a\n", bib,
		    MAX_ID);
	} else if (!S.ntaps) {
		say("error: bib %s: no tap waiting (scan ignored)\a\n", bib);
	} else if (bib_attached(bib, &other)) {
		say("error: bib %s is already on tap %llu (scan ignored)\a\n", bib,
		    (unsigned long long)other);
	} else {
		struct tap tp = S.taps[0];
		struct scan *sc = enqueue(bib, tp.t, NULL, NULL, tp.n);
		if (!sc)
			return -1;
		tap_remove(&S.taps[0]);
		hms(when, sizeof(when), tp.t);
		say("tap %llu bib %s queued %llu (at %s, waiting %zu, pending %zu)\n",
		    (unsigned long long)tp.n, bib, (unsigned long long)sc->seq, when, S.ntaps,
		    pending());
	}
	return 0;
}

/* The bib barcode handed out: an id of 1 to 64 letters, digits, _ . - + */
static bool bib_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-+");
	return n >= 1 && n <= 64 && !s[n];
}

/*
 * Pickup: a code, then (--bib-from-stack) the bib handed out, then
 * (--pair-chip) its chip; the scan is queued once the last arrives.
 */
static int on_pickup(const char *s, int64_t t)
{
	const char *chip = NULL;
	if (!S.want_chip_for && (S.pair_chip || S.bib_from_stack)) {
		S.want_chip_for = sl_strdup(s);
		S.want_t = t;
		S.want_chip = !S.bib_from_stack;
		if (S.want_chip)
			say("code %s: scan the chip of the bib handed out ('-' for none)\n", s);
		else
			say("code %s: scan the bib handed out\n", s);
		return 0;
	}
	if (S.want_chip_for && !S.want_chip) { /* the bib from the stack */
		const char *b = strncmp(s, "sl:", 3) == 0 && strrchr(s, ':') ? strrchr(s, ':') + 1 : s;
		if (!bib_ok(b)) {
			say("error: '%.40s' is not a bib: scan the bib handed out again\a\n", s);
			return 0;
		}
		S.want_bib = sl_strdup(b);
		if (S.pair_chip) {
			S.want_chip = true;
			say("code %s bib %s: scan its chip ('-' for none)\n", S.want_chip_for, b);
			return 0;
		}
	} else if (S.want_chip_for) {
		if (strcmp(s, "-") != 0 && strcasecmp(s, "skip") != 0)
			chip = s;
		if (chip && strlen(chip) > MAX_ID) {
			say("error: chip '%.40s...' is longer than %d characters; scan it again "
			    "('-' for none)\a\n", chip, MAX_ID);
			return 0;
		}
	}
	const char *code = S.want_chip_for ? S.want_chip_for : s;
	struct scan *sc = enqueue(code, S.want_chip_for ? S.want_t : t, chip, S.want_bib, 0);
	free(S.want_chip_for);
	free(S.want_bib);
	S.want_chip_for = S.want_bib = NULL;
	if (!sc)
		return -1;
	say("queued %llu %s%s%s%s%s (pending %zu)\n", (unsigned long long)sc->seq, sc->code,
	    sc->bib ? " bib " : "", sc->bib ? sc->bib : "", sc->chip ? " chip " : "",
	    sc->chip ? sc->chip : "", pending());
	return 0;
}

/* Handle the lines taken this turn, then commit.  -1 when a file fails. */
static int on_lines(struct line *q, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *s = clean(q[i].text);
		if (q[i].toolong) {
			say("error: bad scan (over %d characters)\a\n", MAX_LINE);
		} else if (!s) {
			say("error: bad scan (control character)\a\n");
		} else if (S.mode == M_FINISH_TAP) {
			rc = on_finish_tap(s, q[i].t);
		} else if (!*s) {
			/* an empty line: nothing scanned */
		} else if (S.mode == M_PICKUP) {
			rc = on_pickup(s, q[i].t);
		} else {
			struct scan *sc = enqueue(s, q[i].t, NULL, NULL, 0);
			if (!sc)
				rc = -1;
			else
				say("queued %llu %s (pending %zu)\n", (unsigned long long)sc->seq,
				    sc->code, pending());
		}
	}
	for (size_t i = 0; i < n; i++)
		free(q[i].text);
	free(q);
	if (rc == 0)
		rc = commit();
	return rc;
}

/* ---- the server ---- */

static struct scan *by_seq(uint64_t seq)
{
	size_t lo = 0, hi = S.n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (S.s[m].seq < seq)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < S.n && S.s[lo].seq == seq ? &S.s[lo] : NULL;
}

static void str_of(const msgpack_object *o, const char *k, char *out, size_t n)
{
	const char *s;
	size_t sn;
	if (slp_get_str(o, k, &s, &sn) != 0) {
		snprintf(out, n, "-");
		return;
	}
	snprintf(out, n, "%.*s", (int)sn, s);
}

/* A snapshot or delta of scans/<dev>: print each new answer. */
static void on_answers(const msgpack_object *root)
{
	const msgpack_object_array *rows;
	if (slp_get_arr(root, "rows", &rows) != 0)
		return;
	for (uint32_t i = 0; i < rows->size; i++) {
		const msgpack_object *r = &rows->ptr[i];
		int64_t seq;
		bool ok = false;
		if (slp_get_int(r, "seq", &seq) != 0)
			continue;
		struct scan *sc = by_seq((uint64_t)seq);
		if (!sc || sc->answered)
			continue;
		sc->answered = true;
		S.answers++;
		slp_get_bool(r, "ok", &ok);
		char bib[80], name[200], race[80], wave[80], w[64], msg[300];
		str_of(r, "bib", bib, sizeof(bib));
		str_of(r, "name", name, sizeof(name));
		str_of(r, "race", race, sizeof(race));
		str_of(r, "wave", wave, sizeof(wave));
		str_of(r, "warning", w, sizeof(w));
		str_of(r, "msg", msg, sizeof(msg));
		if (ok && S.mode == M_PICKUP) {
			/* the bib to hand over first, and big: its own word */
			printf("answer %lld ok BIB %s NAME %s race %s wave %s: %s\n", (long long)seq,
			       bib, name, race, wave, msg);
		} else if (ok) {
			printf("answer %lld ok %s %s race %s wave %s\n", (long long)seq, bib, name,
			       race, wave);
		} else {
			S.warnings++;
			printf("answer %lld warning %s: %s (bib %s %s)\a\n", (long long)seq, w, msg,
			       bib, name);
		}
	}
	fflush(stdout);
}

static void drop(const char *why)
{
	if (S.c) {
		fprintf(stderr, "%s: offline: %s\n", prog, why);
		wsc_free(S.c);
		S.c = NULL;
	}
	S.next_try = wsc_mono_ms() + outbox_backoff_next(&S.bo);
}

/* Handle one message; returns 1 when it is the reply to id (in *m). */
static int dispatch(slp_msg *m, uint64_t id)
{
	size_t tn;
	const char *t = slp_type(m, &tn);
	int64_t rid;
	if (!t)
		return 0;
	if ((tn == 8 && !memcmp(t, "snapshot", 8)) || (tn == 5 && !memcmp(t, "delta", 5))) {
		on_answers(&m->root);
		return 0;
	}
	if (slp_get_int(&m->root, "id", &rid) == 0 && (uint64_t)rid == id)
		return 1;
	return 0;
}

/* Send req and wait for its reply, handling pushes meanwhile. */
static int request(const sl_buf *req, uint64_t id, slp_msg *reply, char *err, size_t errlen)
{
	int rc = wsc_send(S.c, req->data, req->len, true, REPLY_MS);
	sl_buf in = SL_BUF_INIT;
	int64_t until = wsc_mono_ms() + REPLY_MS;
	if (rc < 0) {
		snprintf(err, errlen, "%s", wsc_errmsg(S.c));
		return rc;
	}
	while (wsc_mono_ms() < until) {
		bool bin;
		rc = wsc_recv(S.c, &in, &bin, (int)(until - wsc_mono_ms()));
		if (rc < 0)
			break;
		if (slp_decode(reply, in.data, in.len, bin ? SLP_MSGPACK : SLP_JSON) < 0)
			continue;
		if (dispatch(reply, id)) {
			size_t tn;
			const char *t = slp_type(reply, &tn);
			sl_buf_release(&in);
			if (tn == 3 && !memcmp(t, "err", 3)) {
				outbox_reply rp;
				outbox_reply_read(reply, &rp);
				snprintf(err, errlen, "%.*s", (int)rp.msg_len, rp.msg);
				return rp.err;
			}
			return 0;
		}
		slp_msg_release(reply);
	}
	sl_buf_release(&in);
	snprintf(err, errlen, "%s", rc < 0 ? wsc_errmsg(S.c) : "no reply");
	return rc < 0 ? rc : SL_ETIMEOUT;
}

static void subscribe(void)
{
	uint64_t first = 0;
	for (size_t i = 0; i < S.n && !first; i++)
		if (!S.s[i].answered)
			first = S.s[i].seq;
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	char topic[96], err[300];
	slp_msg reply;
	uint64_t id = wsc_next_id(S.c);
	snprintf(topic, sizeof(topic), "scans/%s", S.dev);
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 4);
	slp_pack_kv_str(&pk, "t", "subscribe");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "topic", topic);
	slp_pack_kv_int(&pk, "offset", (int64_t)(first ? first : S.ob.acked + 1));
	if (request(&b, id, &reply, err, sizeof(err)) == 0)
		slp_msg_release(&reply);
	else
		fprintf(stderr, "%s: subscribe %s: %s\n", prog, topic, err);
	sl_buf_release(&b);
}

/* Whether the token of the hello reply can do what this mode sends. */
static bool role_fits(const slp_msg *hello)
{
	char role[32], point[80];
	str_of(&hello->root, "role", role, sizeof(role));
	str_of(&hello->root, "point", point, sizeof(point));
	if (S.mode == M_PICKUP && strcmp(role, "-") && strcmp(role, "desk") &&
	    strcmp(role, "official") && strcmp(role, "admin")) {
		fprintf(stderr, "%s: pickup needs a desk, official or admin token (this one is "
				"'%s')\n", prog, role);
		return false;
	}
	char device[80], seqs[16];
	str_of(&hello->root, "device", device, sizeof(device));
	str_of(&hello->root, "seqs", seqs, sizeof(seqs));
	if (!strcmp(seqs, "server")) {
		fprintf(stderr, "%s: this %s token has no device of its own to number: issue one "
				"with --device %s\n", prog, role, S.dev);
		return false;
	}
	if (strcmp(device, "-") && strcmp(device, S.dev)) {
		fprintf(stderr, "%s: this token writes as device '%s', not '%s': give --device %s\n",
			prog, device, S.dev, device);
		return false;
	}
	if (S.passings && !strcmp(role, "scanner") && strcmp(point, S.point)) {
		fprintf(stderr, "%s: a scanner token sends passings only at its point: this one "
				"is for '%s', not '%s'\n", prog, point, S.point);
		return false;
	}
	return true;
}

static void connect_now(void)
{
	char err[300];
	slp_msg hello;
	if (S.c || wsc_mono_ms() < S.next_try)
		return;
	int rc = slc_open(&S.conn, &S.c, &hello, CONNECT_MS, err, sizeof(err));
	if (sl_err_retry(rc) == SL_RETRY_REFUSED) {
		fprintf(stderr, "%s: %s\n", prog, err);
		S.fatal = true;
		return;
	}
	if (rc < 0) {
		S.c = NULL;
		S.next_try = wsc_mono_ms() + outbox_backoff_next(&S.bo);
		return;
	}
	outbox_backoff_reset(&S.bo);
	if (!role_fits(&hello)) {
		slp_msg_release(&hello);
		wsc_free(S.c);
		S.c = NULL;
		S.fatal = true;
		return;
	}
	slp_msg_release(&hello);
	fprintf(stderr, "%s: online\n", prog);
	if (!S.passings)
		subscribe();
}

/* Send the first unacked scans as one batch; 0 when acked. */
static int sync_once(void)
{
	size_t from = 0;
	while (from < S.n && S.s[from].seq <= S.ob.acked)
		from++;
	if (from == S.n || !S.c)
		return 0;
	size_t cnt = 0;
	while (from + cnt < S.n && cnt < MAX_BATCH &&
	       S.s[from + cnt].seq == S.s[from].seq + cnt)
		cnt++;
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t id = wsc_next_id(S.c);
	slp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "t", S.passings ? "passings" : "checkins");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "dev", S.dev);
	slp_pack_kv_int(&pk, "seq", (int64_t)S.s[from].seq);
	slp_pack_key(&pk, S.passings ? "reads" : "scans");
	msgpack_pack_array(&pk, cnt);
	for (size_t i = 0; i < cnt; i++) {
		const struct scan *sc = &S.s[from + i];
		if (S.passings) {
			msgpack_pack_map(&pk, 4);
			slp_pack_kv_str(&pk, "bib", sc->code);
			slp_pack_kv_str(&pk, "pt", S.point);
			slp_pack_kv_int(&pk, "t", sc->t);
			slp_pack_kv_str(&pk, "kind", "handheld");
		} else {
			msgpack_pack_map(&pk, 2 + !!S.vol + !!S.race + sc->assign + !!sc->chip +
						      !!sc->bib);
			slp_pack_kv_str(&pk, "code", sc->code);
			slp_pack_kv_int(&pk, "t", sc->t);
			if (S.vol)
				slp_pack_kv_str(&pk, "volunteer", S.vol);
			if (S.race)
				slp_pack_kv_str(&pk, "race", S.race);
			if (sc->assign)
				slp_pack_kv_str(&pk, "op", "assign");
			if (sc->chip)
				slp_pack_kv_str(&pk, "chip", sc->chip);
			if (sc->bib)
				slp_pack_kv_str(&pk, "bib", sc->bib);
		}
	}
	slp_msg reply;
	char err[400];
	outbox_sent(&S.ob, S.s[from].seq, cnt, id, from, wsc_mono_ms());
	int rc = request(&b, id, &reply, err, sizeof(err));
	sl_buf_release(&b);
	if (rc == 0) {
		outbox_reply rp;
		outbox_flight f;
		outbox_reply_read(&reply, &rp);
		if (rp.has_last && (uint64_t)rp.last > S.ob.acked) {
			uint64_t first = S.ob.acked + 1, last = (uint64_t)rp.last;
			outbox_ack(&S.ob, id, last, &f);
			if (save_acked() < 0)
				S.fatal = true;
			printf("saved %llu..%llu (pending %zu)\n", (unsigned long long)first,
			       (unsigned long long)last, pending());
			fflush(stdout);
		}
		outbox_drop(&S.ob); /* one batch at a time: the window is done */
		slp_msg_release(&reply);
		return 0;
	}
	outbox_drop(&S.ob);
	if (rc == SL_EGAP) {
		int64_t exp;
		if (slp_get_int(&reply.root, "expected", &exp) == 0 && exp >= 1 &&
		    (uint64_t)exp <= S.ob.acked + 1)
			outbox_gap(&S.ob, (uint64_t)exp); /* resend from there */
		else
			fprintf(stderr, "%s: %s\n", prog, err);
		slp_msg_release(&reply);
		return rc;
	}
	if (sl_err_retry(rc) == SL_RETRY_REFUSED) {
		/* a refused batch: the token is revoked, or out of its scope */
		fprintf(stderr, "%s: error: %s (%s)\a\n", prog, err, sl_errcode(rc));
		S.fatal = true;
		if (rc != SL_EIO && rc != SL_ETIMEOUT)
			slp_msg_release(&reply);
		return rc;
	}
	if (rc != SL_EIO && rc != SL_ETIMEOUT)
		slp_msg_release(&reply);
	drop(err);
	return rc;
}

/* Read pushes (answers) for up to ms. */
static void pump(int ms)
{
	sl_buf in = SL_BUF_INIT;
	bool bin;
	if (!S.c)
		return;
	int rc = wsc_recv(S.c, &in, &bin, ms);
	if (rc == 0) {
		slp_msg m;
		if (slp_decode(&m, in.data, in.len, bin ? SLP_MSGPACK : SLP_JSON) == 0) {
			dispatch(&m, 0);
			slp_msg_release(&m);
		}
	} else if (rc != SL_ETIMEOUT) {
		drop(wsc_errmsg(S.c));
	}
	sl_buf_release(&in);
}

/* ---- labels ---- */

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

static int cmd_labels(int argc, char **argv)
{
	const char *out = NULL, *race = NULL, *csv = NULL, *map = NULL, *date_format = NULL;
	slc_conn conn = {0};
	const slc_opt opts[] = {
		{"--server", true, &conn.server, NULL},
		{"--event", true, &conn.event, NULL},
		{"--out", true, &out, NULL},
		{"--race", true, &race, NULL},
		{"--from-csv", true, &csv, NULL},
		{"--map", true, &map, NULL},
		{"--date-format", true, &date_format, NULL},
		{NULL, false, NULL, NULL},
	};
	const char *pos[1];
	int npos = 0, rc;
	char err[400];
	int p = slc_parse(argc, argv, opts, pos, 0, &npos, prog);
	if (p == SLC_HELP) {
		fputs(usage, stdout);
		return 0;
	}
	if (p != SLC_OK)
		return 2;
	if (!out || (!csv && !race) || ((map || date_format) && !csv)) {
		fprintf(stderr, "%s: labels needs --out and either --from-csv (with an optional "
				"--map and --date-format) or --race\n%s", prog, usage);
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

/* ---- main ---- */

int main(int argc, char **argv)
{
	const char *wait_s = "30", *mode = "checkin";
	static const char *const modes[] = {"checkin", "checkpoint", "finish-tap", "pickup"};
	const slc_opt opts[] = {
		{"--server", true, &S.conn.server, NULL},
		{"--event", true, &S.conn.event, NULL},
		{"--token", true, &S.conn.token, NULL},
		{"--token-file", true, &S.conn.token_file, NULL},
		{"--device", true, &S.dev, NULL},
		{"--outbox", true, &S.dir, NULL},
		{"--mode", true, &mode, NULL},
		{"--point", true, &S.point, NULL},
		{"--pair-chip", false, NULL, &S.pair_chip},
		{"--bib-from-stack", false, NULL, &S.bib_from_stack},
		{"--volunteer", true, &S.vol, NULL},
		{"--race", true, &S.race, NULL},
		{"--wait", true, &wait_s, NULL},
		{NULL, false, NULL, NULL},
	};
	const char *pos[1];
	int npos = 0, m = -1;
	char err[300];

	sl_log_set_prefix(prog);
	if (argc > 1 && !strcmp(argv[1], "labels"))
		return cmd_labels(argc - 2, argv + 2);
	int p = slc_parse(argc - 1, argv + 1, opts, pos, 0, &npos, prog);
	if (p == SLC_HELP) {
		fputs(usage, stdout);
		return 0;
	}
	if (p != SLC_OK)
		return 2;
	for (int i = 0; i < 4; i++)
		if (!strcmp(mode, modes[i]))
			m = i;
	S.mode = (enum mode)m;
	S.passings = m == M_CHECKPOINT || m == M_FINISH_TAP;
	const char *bad = NULL;
	if (!S.dev || !S.dir)
		bad = "--device and --outbox are required";
	else if (m < 0)
		bad = "unknown --mode: expected checkin, checkpoint, finish-tap or pickup";
	else if (S.passings && !S.point)
		bad = "this --mode needs --point";
	else if (S.pair_chip && m != M_PICKUP)
		bad = "--pair-chip is for --mode pickup";
	else if (S.bib_from_stack && m != M_PICKUP)
		bad = "--bib-from-stack is for --mode pickup";
	if (bad) {
		fprintf(stderr, "%s: %s\n%s", prog, bad, usage);
		return 2;
	}
	int64_t wait_ms = (int64_t)(atof(wait_s) * 1000);
	if (slc_conn_resolve(&S.conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (!S.conn.event) {
		fprintf(stderr, "%s: needs --event (or SPLITLINE_EVENT)\n", prog);
		return 2;
	}
	if (mkdir(S.dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, S.dir, strerror(errno));
		return 1;
	}
	outbox_init(&S.ob, 1, 0);
	outbox_backoff_init(&S.bo, RETRY_MS, RETRY_MS, BACKOFF_JITTER_PCT, 0);
	if (load() < 0 || input_start() < 0)
		return 1;

	bool eof = false;
	int64_t eof_at = 0;
	int exit_rc = 0;
	while (!S.fatal) {
		if (!eof) {
			/* busy: a turn each for input and the link; idle: wait for input */
			bool busy = S.c && (pending() || unanswered());
			struct pollfd pfd = {IN.wake[0], POLLIN, 0};
			int pr = poll(&pfd, 1, busy ? 0 : 100);
			if (pr > 0) {
				size_t n;
				struct line *q = input_take(&n, &eof);
				if (on_lines(q, n) < 0) {
					exit_rc = 1;
					break;
				}
				if (eof) {
					eof_at = wsc_mono_ms();
					if (S.want_chip_for)
						printf("error: code %s had no %s scanned: not sent\a\n",
						       S.want_chip_for, S.want_chip ? "chip" : "bib");
				}
			}
		}
		if (pending() || unanswered())
			connect_now();
		if (S.c && pending())
			sync_once();
		else if (S.c && unanswered())
			pump(50);
		else if (!S.c && eof)
			usleep(20000);
		if (eof && !pending() && !unanswered())
			break;
		if (eof && wsc_mono_ms() - eof_at > wait_ms)
			break;
	}
	printf("scan: %zu scans, acked %llu, answers %zu, warnings %zu, pending %zu", S.n,
	       (unsigned long long)S.ob.acked, S.answers, S.warnings, pending());
	if (S.mode == M_FINISH_TAP)
		printf(", taps waiting %zu", S.ntaps);
	printf("\n");
	if (S.fatal || pending() || unanswered())
		exit_rc = 1;
	if (eof)
		pthread_join(IN.th, NULL);
	if (S.c)
		wsc_free(S.c);
	slc_conn_release(&S.conn);
	close(S.outfd);
	if (S.tapfd >= 0)
		close(S.tapfd);
	for (size_t i = 0; i < S.n; i++) {
		free(S.s[i].code);
		free(S.s[i].chip);
		free(S.s[i].bib);
	}
	free(S.s);
	outbox_release(&S.ob);
	free(S.taps);
	free(S.want_chip_for);
	free(S.want_bib);
	sl_buf_release(&S.say);
	return exit_rc;
}

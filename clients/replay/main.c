/*
 * splitline-replay: a timing device fed from a race results file (see
 * the README and --help for the interface, clients/common/boston.h for how
 * reads are made up from a Boston file).
 *
 * The reads, sorted by time, are cut into batches as they fall due (race
 * time runs --speed times faster than wall time from the first read to
 * send; with speed 0 everything is due at once).  Read i of the sorted
 * list has seq --first-seq + i (default 1), whatever the batching, and a
 * batch gets the seq of its first read, so a batch is the same (device,
 * seq) every time it is sent and the server (which keeps a watermark per
 * read) can tell what it already has.  --resume-after SEQ drops the reads
 * with seq <= SEQ before anything is cut: they count as acknowledged by an
 * earlier run, and the race clock starts at the first read left.  At most
 * --window batches are in flight.  An ack settles its batch; on a
 * disconnect, an `unavailable`/`timeout`/`busy`/`gap` err or a batch
 * unanswered for 30 s, the connection is dropped, reopened with backoff
 * (0.1 s doubling to 5 s, less up to 20% jitter), and every unacked batch
 * is sent again in seq order (the window, acks and backoff: outbox.h):
 * the server acknowledges a batch it already has with dup:true and
 * changes nothing.  A `gap` below the first seq this run can send (an
 * --resume-after past what the server has) and any other err are fatal
 * (exit 1), and so is 60 s without a connection.
 *
 * What the user sees: the file's bad cells, one warning line each with the
 * runner's bib, and before sending (stderr) and in the summary (stdout)
 * how many runners will never finish because their finish cell is bad.
 * While sending, a progress line (race clock, reads sent, acked, in
 * flight): rewritten in place once a second on a terminal, ended with a
 * newline before any other message (progress_end) and at exit; a plain
 * line every 10 s otherwise, so that logs stay readable.
 *
 * Invariant: batches[] holds every batch cut so far in seq order; each is
 * NEW (cut, never sent on this connection), FLIGHT or ACKED.  Reads
 * [0, skipped) are never cut; cut only grows from skipped to nreads.
 */
#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "boston.h"
#include "cliutil.h"
#include "evcfg.h"
#include "opt.h"
#include "outbox.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define ACK_TIMEOUT_MS 30000
#define FLUSH_MS 200
#define LIVE_EVERY_MS 1000
#define PLAIN_EVERY_MS 10000
#define MAX_BIBS_NAMED 10

static const char *prog = "splitline-replay";

static const char usage_head[] =
	"usage: splitline-replay boston FILE.csv --config EVENT.yaml [--server URL] [--event ID]\n"
	"                        [--token T | --token-file F] [--device ID] [--speed X]\n"
	"                        [--batch N] [--window W] [--limit N] [--seed S] [--first-seq N]\n"
	"                        [--resume-after SEQ] [--progress auto|always|never] [--count]\n"
	"\n"
	"Plays a Boston Marathon results file to the server as a timing device would.\n"
	"Each runner crosses the start mat at its wave's start (waves and their bibs\n"
	"ranges from the config) plus a corral delay growing with its bib's rank in\n"
	"the wave (0 to 20 minutes), then every split column (5K ... 40K, Half,\n"
	"Official Time) gives a read at point 5k ... 40k, half, finish at crossing +\n"
	"elapsed.  Reads carry the bib as their chip: import the participants with\n"
	"--chip-from-bib.  A bad time cell costs only that read and is reported on\n"
	"stderr, one line per cell:\n"
	"  FILE:LINE: warning: bib 3820: field 'Official Time': '0.124548611' is not\n"
	"  H:MM:SS; read skipped\n"
	"(a row without a usable bib is skipped whole).  Before sending (stderr) and\n"
	"in the summary (stdout) it says how many runners will never finish because\n"
	"their 'Official Time' cell is bad, naming up to 10 bibs, and how many other\n"
	"cells were skipped.\n"
	"\n"
	"Reads are sent in time order, in batches; read i (0 = the earliest) has seq\n"
	"--first-seq + i, a batch the seq of its first read.  An unacknowledged batch\n"
	"is sent again after a reconnect (same seq: the server ignores what it\n"
	"already has).  Gives up after 60 s without a connection.  At the end prints:\n"
	"  replay: sent N reads in B batches, acked N, duplicates D\n"
	"(D: reads the server already had), then what was skipped.\n"
	"\n"
	"Progress (stderr): \"replay: race clock 10:42:13 UTC-04:00, sent 12,345 of\n"
	"110,000 reads, acked 12,300, in flight 45\".  The race clock is the race's\n"
	"time of day (the time the reads being sent carry; with --speed 0 the time of\n"
	"the latest read sent) at the UTC offset of the config's first wave start\n"
	"(UTC when it gives none); \"of\" counts the reads this run sends.\n"
	"\n";

static const char usage_tail[] =
	"\n"
	"Exit status: 0 when every read was acknowledged (or nothing was left to send),\n"
	"1 on an error, 2 on a usage error.\n";

/* The options, in the order --help shows them. */
enum {
	O_CONFIG,
	O_SERVER,
	O_EVENT,
	O_TOKEN,
	O_TOKEN_FILE,
	O_DEVICE,
	O_SPEED,
	O_BATCH,
	O_WINDOW,
	O_LIMIT,
	O_SEED,
	O_FIRST_SEQ,
	O_RESUME_AFTER,
	O_PROGRESS,
	O_COUNT_ONLY,
	O_N
};

#define SEQ_MAX ((unsigned long long)1 << 53)
static opt opts[O_N + 1] = {
	[O_CONFIG] = {"--config", OPT_STR, .syn = "--config FILE",
		      .help = "the event config (YAML) with the waves' starts and bibs"},
	[O_SERVER] = OPT_ROW_SERVER,
	[O_EVENT] = {"--event", OPT_STR, .syn = "--event ID",
		     .help = "env SPLITLINE_EVENT, default the config's event"},
	[O_TOKEN] = OPT_ROW_TOKEN,
	[O_TOKEN_FILE] = OPT_ROW_TOKEN_FILE,
	[O_DEVICE] = {"--device", OPT_STR, .syn = "--device ID",
		      .help = "the device id (default: the token's device, else \"replay\")"},
	[O_SPEED] = {"--speed", OPT_NUM, "1", .dmin = 0, .dmax = HUGE_VAL, .syn = "--speed X",
		     .help = "race time runs X times faster than wall time (default 1;\n"
			     "0: as fast as possible)"},
	[O_BATCH] = {"--batch", OPT_U64, "100", .umin = 1, .umax = SLP_MAX_READS,
		     .syn = "--batch N", .help = "reads per batch, 1..10000 (default 100)"},
	[O_WINDOW] = {"--window", OPT_U64, "8", .umin = 1, .umax = 1000, .syn = "--window W",
		      .help = "batches in flight, 1..1000 (default 8)"},
	[O_LIMIT] = {"--limit", OPT_U64, "0", .umax = UINT64_MAX, .syn = "--limit N",
		     .help = "only the first N runners of the file"},
	[O_SEED] = {"--seed", OPT_U64, "0", .umax = UINT64_MAX, .syn = "--seed S",
		    .help = "0 (default): start crossings at the corral delay exactly;\n"
			    "else each runner's crossing (and so its splits) gets\n"
			    "0..999 ms more, drawn from seed S; net times never change"},
	[O_FIRST_SEQ] = {"--first-seq", OPT_U64, "1", .umin = 1, .umax = SEQ_MAX,
			 .syn = "--first-seq N", .help = "seq of the first read (default 1)"},
	[O_RESUME_AFTER] = {"--resume-after", OPT_U64, .umax = SEQ_MAX, .syn = "--resume-after SEQ",
			    .help = "\n"
				    "the reads with seq <= SEQ were acknowledged by an earlier\n"
				    "run with the same file, config, --limit, --seed and\n"
				    "--first-seq: do not send them; the race clock starts at\n"
				    "the first read left, so the race goes on at the same\n"
				    "speed.  When SEQ covers every read, prints \"replay: all N\n"
				    "reads were already acknowledged ...: nothing to send\" and\n"
				    "exits 0 without connecting"},
	[O_PROGRESS] = {"--progress", OPT_ENUM, .choices = "auto|always|never",
			.syn = "--progress WHEN",
			.help = "auto (default): on a terminal rewrite the progress line\n"
				"once a second, otherwise print it every 10 s; always: the\n"
				"rewritten line even when stderr is no terminal; never.\n"
				"Without the option, env SPLITLINE_PROGRESS=0 means never\n"
				"and any other value always"},
	[O_COUNT_ONLY] = {"--count", OPT_FLAG, .syn = "--count",
			  .help = "print the number of reads this run would send (after\n"
				  "--resume-after) on stdout and exit; no server needed"},
};

static void usage(FILE *f)
{
	fputs(usage_head, f);
	opt_help(opts, 16, f);
	fputs(usage_tail, f);
}

enum { B_NEW, B_FLIGHT, B_ACKED };
enum { P_NONE, P_LIVE, P_PLAIN }; /* how progress is shown */

typedef struct batch {
	size_t first, n; /* reads[first, first + n) */
	uint64_t seq;
	int state;
	bool ever_sent;
} batch;

typedef struct replay {
	slc_conn conn;
	const char *device;
	double speed;
	size_t batch_max, window;
	uint64_t first_seq;
	boston b;
	size_t skipped; /* reads [0, skipped) acked by an earlier run */

	batch *batches;
	size_t nbatches, capbatches;
	size_t cut; /* reads [skipped, cut) are cut into batches */
	outbox ob;  /* the FLIGHT batches (tag: their index) */
	size_t inflight_reads;
	size_t low;      /* lowest batch index not ACKED */
	size_t next_new; /* where to look for the next NEW batch (>= low) */

	wsc *c;
	int64_t last_conn; /* mono ms of the last time we had a connection */
	int64_t retry_at;  /* mono ms of the next connect attempt */
	outbox_backoff backoff;
	int64_t start_mono; /* wall start of the race clock */
	int64_t due_since;  /* mono ms since a read has been due and uncut */

	size_t sent_reads, sent_batches; /* distinct, each counted once */
	size_t acked_reads, dup_reads, resent;

	/* progress */
	int pmode;             /* P_* */
	bool line_open;        /* a live line is on screen without its newline */
	int64_t next_progress; /* mono ms */
	int64_t latest_sent;   /* time of the latest read sent (speed 0 clock) */
	int64_t tz_off_ms;     /* the race's UTC offset */
	char tz_label[16];     /* "UTC" or "UTC-04:00" */
} replay;

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the race's time zone, from the config's first wave start */

/* The UTC offset (ms) a start like "2015-04-20T10:00:00-04:00" is written
 * in; 0 for "Z", no offset or a date alone (sl_parse_iso reads those as
 * UTC).  Only called on starts evcfg has accepted. */
static int64_t iso_offset_ms(const char *s, size_t n)
{
	if (n < 6 || (s[n - 6] != '+' && s[n - 6] != '-') || s[n - 3] != ':' || !memchr(s, 'T', n))
		return 0;
	int h = (s[n - 5] - '0') * 10 + (s[n - 4] - '0');
	int m = (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
	int64_t off = ((int64_t)h * 60 + m) * 60000;
	return s[n - 6] == '-' ? -off : off;
}

/* Set tz_off_ms and tz_label from the first race's first wave start (the
 * race boston_load reads). */
static void race_zone(replay *r, const evcfg *cfg)
{
	r->tz_off_ms = 0;
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	const msgpack_object_array *races, *waves;
	const char *st;
	size_t n;
	if (msgpack_unpack_next(&u, cfg->mp, cfg->mp_len, NULL) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP && slp_get_arr(&u.data, "races", &races) == 0 &&
	    races->size && races->ptr[0].type == MSGPACK_OBJECT_MAP &&
	    slp_get_arr(&races->ptr[0], "waves", &waves) == 0) {
		for (uint32_t i = 0; i < waves->size; i++)
			if (waves->ptr[i].type == MSGPACK_OBJECT_MAP &&
			    slp_get_str(&waves->ptr[i], "start", &st, &n) == 0) {
				r->tz_off_ms = iso_offset_ms(st, n);
				break;
			}
	}
	msgpack_unpacked_destroy(&u);
	int64_t m = r->tz_off_ms / 60000, a = m < 0 ? -m : m;
	if (m)
		snprintf(r->tz_label, sizeof(r->tz_label), "UTC%c%02d:%02d", m < 0 ? '-' : '+',
			 (int)(a / 60), (int)(a % 60));
	else
		snprintf(r->tz_label, sizeof(r->tz_label), "UTC");
}

/* ---- progress */

/* 12345 -> "12,345" */
static void fmt_count(char *out, size_t outlen, size_t v)
{
	char d[32];
	int n = snprintf(d, sizeof(d), "%zu", v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < outlen; i++) {
		if (i && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = d[i];
	}
	out[o] = '\0';
}

/* Race time now (ms since epoch), or INT64_MAX with speed 0. */
static int64_t race_now(const replay *r)
{
	if (r->speed <= 0 || r->skipped >= r->b.nreads)
		return INT64_MAX;
	double el = (double)(wsc_mono_ms() - r->start_mono) * r->speed;
	return r->b.reads[r->skipped].t + (int64_t)el;
}

static void status_line(const replay *r, char *out, size_t outlen)
{
	int64_t t = r->speed > 0 ? race_now(r) : r->latest_sent;
	int64_t day = 86400000, tod = ((t + r->tz_off_ms) % day + day) % day / 1000;
	char sent[32], total[32], acked[32], flight[32];
	fmt_count(sent, sizeof(sent), r->sent_reads);
	fmt_count(total, sizeof(total), r->b.nreads - r->skipped);
	fmt_count(acked, sizeof(acked), r->acked_reads);
	fmt_count(flight, sizeof(flight), r->inflight_reads);
	snprintf(
		out, outlen,
		"replay: race clock %02d:%02d:%02d %s, sent %s of %s reads, acked %s, in flight %s",
		(int)(tod / 3600), (int)(tod / 60 % 60), (int)(tod % 60), r->tz_label, sent, total,
		acked, flight);
}

static void progress_show(replay *r)
{
	char line[256], out[272];
	status_line(r, line, sizeof(line));
	struct winsize ws;
	if (r->pmode == P_LIVE && ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
	    strlen(line) >= ws.ws_col)
		line[ws.ws_col - 1] = '\0'; /* a wrapped line cannot be rewritten */
	/* one write, so that nothing can land inside the line */
	int n = r->pmode == P_LIVE ? snprintf(out, sizeof(out), "\r%s\033[K", line)
				   : snprintf(out, sizeof(out), "%s\n", line);
	fwrite(out, 1, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1, stderr);
	fflush(stderr);
	r->line_open = r->pmode == P_LIVE;
}

/* End the live line: call before writing anything else to stderr. */
static void progress_end(replay *r)
{
	if (r->line_open) {
		fputc('\n', stderr);
		r->line_open = false;
	}
}

static void progress_tick(replay *r, int64_t now)
{
	if (r->pmode == P_NONE || now < r->next_progress)
		return;
	progress_show(r);
	r->next_progress = now + (r->pmode == P_LIVE ? LIVE_EVERY_MS : PLAIN_EVERY_MS);
}

/* ---- bad cells */

static void warn_bad_cells(const replay *r, const char *file)
{
	for (size_t i = 0; i < r->b.nbad; i++) {
		const boston_bad *x = &r->b.bad[i];
		if (x->bib[0])
			fprintf(stderr,
				"%s:%d: warning: bib %s: field '%s': '%s' is not H:MM:SS; read "
				"skipped\n",
				file, x->line, x->bib, x->field, x->value);
		else
			fprintf(stderr,
				"%s:%d: warning: field '%s': '%s' is not a bib; row skipped\n",
				file, x->line, x->field, x->value);
	}
}

/* What the bad cells cost: runners who will never finish, other cells. */
static void report_bad_cells(const replay *r, FILE *f)
{
	size_t nfin = 0, nsplit = 0, nrow = 0;
	const char *field = "Official Time";
	for (size_t i = 0; i < r->b.nbad; i++) {
		const boston_bad *x = &r->b.bad[i];
		if (!x->bib[0])
			nrow++;
		else if (x->finish) {
			field = x->field;
			nfin++;
		} else {
			nsplit++;
		}
	}
	if (nfin) {
		fprintf(f, "replay: %zu runner%s will never finish: %s '%s' cell%s (bib%s ", nfin,
			nfin == 1 ? "" : "s", nfin == 1 ? "a bad" : "bad", field,
			nfin == 1 ? "" : "s", nfin == 1 ? "" : "s");
		size_t named = 0;
		for (size_t i = 0; i < r->b.nbad && named < MAX_BIBS_NAMED; i++) {
			const boston_bad *x = &r->b.bad[i];
			if (x->bib[0] && x->finish)
				fprintf(f, "%s%s", named++ ? ", " : "", x->bib);
		}
		if (nfin > named)
			fprintf(f, " and %zu more", nfin - named);
		fputs(")\n", f);
	}
	if (nsplit)
		fprintf(f,
			"replay: %zu other cell%s skipped (bad split time%s): only th%s read%s "
			"%s missing\n",
			nsplit, nsplit == 1 ? "" : "s", nsplit == 1 ? "" : "s",
			nsplit == 1 ? "at" : "ose", nsplit == 1 ? "" : "s",
			nsplit == 1 ? "is" : "are");
	if (nrow)
		fprintf(f, "replay: %zu row%s skipped (bad bib): no reads for %s\n", nrow,
			nrow == 1 ? "" : "s", nrow == 1 ? "it" : "them");
}

/* ---- the connection */

/* Drop the connection: batches in flight go back to NEW. */
static void disconnect(replay *r, const char *why)
{
	if (r->c) {
		progress_end(r);
		sl_warn("connection lost: %s; resending unacknowledged batches", why);
		wsc_free(r->c);
		r->c = NULL;
	}
	for (size_t i = r->low; i < r->nbatches; i++)
		if (r->batches[i].state == B_FLIGHT)
			r->batches[i].state = B_NEW;
	r->resent += outbox_drop(&r->ob);
	r->next_new = r->low;
	r->inflight_reads = 0;
	r->retry_at = wsc_mono_ms() + outbox_backoff_next(&r->backoff);
}

/* Try to connect; returns 0, 1 to retry later, -1 fatal. */
static int try_connect(replay *r)
{
	char err[512];
	slp_msg hello;
	int rc = slc_open(&r->conn, &r->c, &hello, SLC_CONNECT_MS, err, sizeof(err));
	if (sl_err_retry(rc) == SL_RETRY_REFUSED) {
		progress_end(r);
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	if (rc) {
		progress_end(r);
		sl_warn("%s", err);
		r->retry_at = wsc_mono_ms() + outbox_backoff_next(&r->backoff);
		return 1;
	}
	if (!r->device) {
		const char *d;
		size_t n;
		static char dev[128];
		if (slp_get_str(&hello.root, "device", &d, &n) == 0 && n && n < sizeof(dev)) {
			memcpy(dev, d, n);
			dev[n] = '\0';
			r->device = dev;
		} else {
			r->device = "replay";
		}
	}
	slp_msg_release(&hello);
	outbox_backoff_reset(&r->backoff);
	r->last_conn = wsc_mono_ms();
	return 0;
}

/* Cut the next batch from the reads that are due; false when none. */
static bool cut_batch(replay *r)
{
	size_t nreads = r->b.nreads;
	if (r->cut >= nreads)
		return false;
	int64_t now = race_now(r);
	size_t due = 0;
	while (r->cut + due < nreads && due < r->batch_max && r->b.reads[r->cut + due].t <= now)
		due++;
	if (!due) {
		r->due_since = 0;
		return false;
	}
	int64_t mono = wsc_mono_ms();
	if (!r->due_since)
		r->due_since = mono;
	bool full = due == r->batch_max || r->cut + due == nreads;
	if (!full && mono - r->due_since < FLUSH_MS)
		return false;
	SL_GROW(r->batches, r->capbatches, r->nbatches + 1);
	batch *bt = &r->batches[r->nbatches++];
	memset(bt, 0, sizeof(*bt));
	bt->first = r->cut;
	bt->n = due;
	bt->seq = r->first_seq + r->cut;
	bt->state = B_NEW;
	r->cut += due;
	r->due_since = r->cut < nreads && r->b.reads[r->cut].t <= now ? mono : 0;
	return true;
}

static int send_batch(replay *r, batch *bt)
{
	sl_buf buf = SL_BUF_INIT;
	msgpack_packer pk;
	slp_read *reads = sl_calloc(bt->n, sizeof(*reads));
	for (size_t i = 0; i < bt->n; i++) {
		const boston_read *br = &r->b.reads[bt->first + i];
		reads[i].chip = br->bib;
		reads[i].chip_len = strlen(br->bib);
		reads[i].pt = br->pt;
		reads[i].pt_len = strlen(br->pt);
		reads[i].t = br->t;
		reads[i].kind = SLP_KIND_RFID;
		reads[i].hits = -1;
	}
	uint64_t id = wsc_next_id(r->c);
	slp_packer_init(&pk, &buf);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "t", "passings");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "dev", r->device);
	slp_pack_kv_int(&pk, "seq", (int64_t)bt->seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, reads, bt->n);
	free(reads);
	int rc = wsc_send(r->c, buf.data, buf.len, true, SLC_CONNECT_MS);
	sl_buf_release(&buf);
	if (rc)
		return rc;
	bt->state = B_FLIGHT;
	outbox_sent(&r->ob, bt->seq, bt->n, id, (size_t)(bt - r->batches), wsc_mono_ms());
	if (!bt->ever_sent) {
		bt->ever_sent = true;
		r->sent_reads += bt->n;
		r->sent_batches++;
	}
	int64_t last = r->b.reads[bt->first + bt->n - 1].t;
	if (last > r->latest_sent)
		r->latest_sent = last;
	r->inflight_reads += bt->n;
	return 0;
}

/* An err reply to batch bt; returns 1 (reconnect) or -1 (fatal). */
static int on_err(replay *r, const batch *bt, const outbox_reply *rp)
{
	uint64_t lowest = r->first_seq + r->skipped;
	int cn = (int)rp->code_len;
	if (rp->err == SL_EGAP && rp->has_expected && rp->expected >= 1 &&
	    (uint64_t)rp->expected < lowest) {
		/* reads the server lacks and this run will never send */
		progress_end(r);
		fprintf(stderr,
			"%s: device '%s' has seqs up to %lld on the server, but this run "
			"starts at seq %llu: resume after seq %lld or less\n",
			prog, r->device, (long long)rp->expected - 1, (unsigned long long)lowest,
			(long long)rp->expected - 1);
		return -1;
	}
	if (rp->retry == SL_RETRY_AGAIN || rp->retry == SL_RETRY_RESEND) {
		char why[256];
		snprintf(why, sizeof(why), "batch seq %llu: %.*s", (unsigned long long)bt->seq, cn,
			 rp->code);
		disconnect(r, why);
		return 1;
	}
	int lo = r->b.reads[bt->first].line, hi = lo;
	for (size_t i = 1; i < bt->n; i++) {
		int l = r->b.reads[bt->first + i].line;
		lo = l < lo ? l : lo;
		hi = l > hi ? l : hi;
	}
	progress_end(r);
	fprintf(stderr,
		"%s: batch seq %llu (%zu reads from file lines %d..%d) rejected: %.*s: %.*s\n",
		prog, (unsigned long long)bt->seq, bt->n, lo, hi, cn, rp->code, (int)rp->msg_len,
		rp->msg);
	return -1;
}

/* Handle one message; returns 0, 1 (reconnect), -1 (fatal). */
static int on_message(replay *r, const sl_buf *in, bool bin)
{
	slp_msg m;
	memset(&m, 0, sizeof(m));
	if (slp_decode(&m, in->data, in->len, bin ? SLP_MSGPACK : SLP_JSON) != 0) {
		progress_end(r);
		sl_warn("bad message from the server: %s", m.err);
		slp_msg_release(&m);
		return 0;
	}
	outbox_reply rp;
	outbox_flight f;
	int rc = 0;
	outbox_reply_read(&m, &rp);
	const outbox_flight *fl = rp.has_id ? outbox_find(&r->ob, rp.id) : NULL;
	if (fl && rp.kind == OUTBOX_ACK) {
		outbox_ack(&r->ob, rp.id, 0, &f);
		batch *bt = &r->batches[f.tag];
		bt->state = B_ACKED;
		r->inflight_reads -= bt->n;
		r->acked_reads += bt->n;
		if (rp.dup)
			r->dup_reads += bt->n;
	} else if (fl && rp.kind == OUTBOX_ERR) {
		rc = on_err(r, &r->batches[fl->tag], &rp);
	}
	slp_msg_release(&m);
	return rc;
}

static int run(replay *r)
{
	sl_buf in = SL_BUF_INIT;
	int rc = 0;
	outbox_backoff_reconnect(&r->backoff);
	outbox_init(&r->ob, r->window, r->first_seq + r->skipped - 1);
	r->last_conn = wsc_mono_ms();
	r->start_mono = wsc_mono_ms();
	r->cut = r->skipped;
	if (r->skipped < r->b.nreads)
		r->latest_sent = r->b.reads[r->skipped].t;
	r->next_progress = r->start_mono + (r->pmode == P_PLAIN ? PLAIN_EVERY_MS : 0);
	while (!stop) {
		int64_t now = wsc_mono_ms();
		progress_tick(r, now);
		if (!r->c) {
			if (now - r->last_conn > SLC_GIVE_UP_MS) {
				progress_end(r);
				fprintf(stderr, "%s: giving up: no connection to '%s' for %d s\n",
					prog, r->conn.server, SLC_GIVE_UP_MS / 1000);
				rc = 1;
				break;
			}
			if (now < r->retry_at) {
				usleep((useconds_t)((r->retry_at - now) * 1000 > 50000
							    ? 50000
							    : (r->retry_at - now) * 1000));
				/* keep cutting: the race goes on while we are away */
				while (cut_batch(r))
					;
				continue;
			}
			int c = try_connect(r);
			if (c < 0) {
				rc = 1;
				break;
			}
			if (c > 0)
				continue;
		}
		r->last_conn = wsc_mono_ms();
		/* cut what is due, then send NEW batches (oldest first) */
		while (cut_batch(r))
			;
		int sent_rc = 0;
		while (outbox_room(&r->ob) && r->c) {
			size_t i = r->next_new > r->low ? r->next_new : r->low;
			while (i < r->nbatches && r->batches[i].state != B_NEW)
				i++;
			r->next_new = i;
			if (i >= r->nbatches)
				break;
			sent_rc = send_batch(r, &r->batches[i]);
			if (sent_rc)
				break;
		}
		if (sent_rc) {
			disconnect(r, sent_rc == SL_ETIMEOUT ? "send timed out" : wsc_errmsg(r->c));
			continue;
		}
		/* settle acked batches at the front */
		while (r->low < r->nbatches && r->batches[r->low].state == B_ACKED)
			r->low++;
		if (r->cut == r->b.nreads && r->ob.inflight == 0 && r->low >= r->nbatches)
			break;
		/* wait for replies, at most until the next read is due */
		int wait = 50;
		if (r->ob.inflight == 0 && r->cut < r->b.nreads && r->speed > 0) {
			int64_t next = r->b.reads[r->cut].t;
			int64_t ahead = (int64_t)((double)(next - race_now(r)) / r->speed);
			wait = ahead < 1 ? 1 : ahead > 50 ? 50 : (int)ahead;
		}
		bool bin;
		int w = wsc_recv(r->c, &in, &bin, wait);
		while (w == 0) {
			int m = on_message(r, &in, bin);
			if (m < 0) {
				rc = 1;
				goto out;
			}
			if (m > 0 || !r->c)
				break;
			w = wsc_recv(r->c, &in, &bin, 0);
		}
		if (!r->c)
			continue;
		if (w == SL_EIO) {
			disconnect(r, wsc_errmsg(r->c));
			continue;
		}
		/* a batch unanswered for too long: the connection is stuck */
		int64_t oldest = outbox_oldest(&r->ob);
		if (oldest >= 0 && wsc_mono_ms() - oldest > ACK_TIMEOUT_MS)
			disconnect(r, "no ack for 30 s");
	}
out:
	if (r->pmode == P_LIVE) /* the final figures stay on screen */
		progress_show(r);
	progress_end(r);
	if (stop && !rc) {
		fprintf(stderr, "%s: interrupted\n", prog);
		rc = 1;
	}
	sl_buf_release(&in);
	return rc;
}

/* ---- main */

/* What the command line asks for besides the replay's own settings. */
typedef struct args {
	const char *config, *file;
	bool count, resume;
	uint64_t resume_after, limit, seed;
} args;

/* How progress is shown: --progress, else SPLITLINE_PROGRESS, else auto. */
static int progress_mode(void)
{
	const opt *o = &opts[O_PROGRESS];
	const char *pe = getenv("SPLITLINE_PROGRESS");
	int e = o->val ? o->e : pe && *pe ? (strcmp(pe, "0") == 0 ? 2 : 1) : 0;
	return e == 1 ? P_LIVE : e == 2 ? P_NONE : isatty(2) ? P_LIVE : P_PLAIN;
}

/* The command line into r and a; -1 to go on, else the exit status. */
static int parse_args(replay *r, args *a, int argc, char **argv)
{
	const char *pos[2];
	int npos;
	int p = opt_cli(opts, argc - 1, argv + 1, pos, 2, &npos, prog, usage,
			OPT_ON_ERROR_SEE_HELP);
	if (p >= 0)
		return p;
	if (npos != 2 || strcmp(pos[0], "boston") != 0) {
		if (npos >= 1 && strcmp(pos[0], "boston") != 0)
			fprintf(stderr, "%s: unknown file format '%s' (known: boston)\n", prog,
				pos[0]);
		usage(stderr);
		return 2;
	}
	a->config = opts[O_CONFIG].val;
	if (!a->config) {
		fprintf(stderr, "%s: --config EVENT.yaml is required\n", prog);
		return 2;
	}
	a->file = pos[1];
	r->conn.server = opts[O_SERVER].val;
	r->conn.event = opts[O_EVENT].val;
	r->conn.token = opts[O_TOKEN].val;
	r->conn.token_file = opts[O_TOKEN_FILE].val;
	r->device = opts[O_DEVICE].val;
	r->speed = opts[O_SPEED].d;
	r->batch_max = (size_t)opts[O_BATCH].u;
	r->window = (size_t)opts[O_WINDOW].u;
	r->first_seq = opts[O_FIRST_SEQ].u;
	a->limit = opts[O_LIMIT].u;
	a->seed = opts[O_SEED].u;
	a->resume = opts[O_RESUME_AFTER].val != NULL;
	a->resume_after = opts[O_RESUME_AFTER].u;
	a->count = opts[O_COUNT_ONLY].on;
	r->pmode = progress_mode();
	return -1;
}

/* The config and the results file into r (bad cells reported); 0 or 1. */
static int load_input(replay *r, const args *a, evcfg **cfg)
{
	sl_buf errs = SL_BUF_INIT;
	if (evcfg_load_file(a->config, cfg, &errs) != 0) {
		fputs(errs.data ? errs.data : "", stderr);
		sl_buf_release(&errs);
		return 1;
	}
	sl_buf_release(&errs);
	boston_opts bo = {.limit = (size_t)a->limit, .seed = a->seed};
	char err[512];
	if (boston_load_file(&r->b, a->file, *cfg, &bo, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	race_zone(r, *cfg);
	warn_bad_cells(r, a->file);
	report_bad_cells(r, stderr);
	fflush(stderr);
	/* reads [0, skipped) have seq first_seq .. resume */
	if (a->resume && a->resume_after >= r->first_seq)
		r->skipped = a->resume_after - r->first_seq + 1 < r->b.nreads
				     ? (size_t)(a->resume_after - r->first_seq + 1)
				     : r->b.nreads;
	return 0;
}

/* Send the reads left; the exit status. */
static int replay_run(replay *r, const args *a, const evcfg *cfg)
{
	char err[512];
	if (a->resume)
		fprintf(stderr,
			"replay: resuming after seq %llu: %zu reads already acknowledged, %zu to "
			"send\n",
			(unsigned long long)a->resume_after, r->skipped, r->b.nreads - r->skipped);
	if (!r->conn.event && !getenv("SPLITLINE_EVENT"))
		r->conn.event = cfg->event;
	if (slc_conn_resolve(&r->conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	int rc = run(r);
	printf("replay: sent %zu reads in %zu batches, acked %zu, duplicates %zu\n", r->sent_reads,
	       r->sent_batches, r->acked_reads, r->dup_reads);
	if (a->resume)
		printf("replay: %zu reads skipped as already acknowledged (resume after seq "
		       "%llu)\n",
		       r->skipped, (unsigned long long)a->resume_after);
	report_bad_cells(r, stdout);
	if (r->resent)
		fprintf(stderr, "%s: %zu batch sends were repeated after connection problems\n",
			prog, r->resent);
	return rc;
}

int main(int argc, char **argv)
{
	slc_log_init(prog, SL_LOG_WARN);

	replay r;
	args a = {0};
	memset(&r, 0, sizeof(r));
	int rc = parse_args(&r, &a, argc, argv);
	if (rc >= 0)
		return rc;
	evcfg *cfg = NULL;
	rc = load_input(&r, &a, &cfg);
	if (rc)
		goto out;
	if (a.count) {
		printf("%zu\n", r.b.nreads - r.skipped);
	} else if (a.resume && r.b.nreads && r.skipped == r.b.nreads) {
		printf("replay: all %zu reads were already acknowledged (resume after seq %llu): "
		       "nothing to send\n",
		       r.b.nreads, (unsigned long long)a.resume_after);
	} else {
		rc = replay_run(&r, &a, cfg);
	}
out:
	fflush(stdout);
	wsc_free(r.c);
	free(r.batches);
	outbox_release(&r.ob);
	boston_release(&r.b);
	slc_conn_release(&r.conn);
	evcfg_free(cfg);
	return rc;
}

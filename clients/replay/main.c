/*
 * splitline-replay: a timing device fed from a race results file (see
 * /work/TEAM.md for the interface, clients/common/boston.h for how reads
 * are made up from a Boston file).
 *
 * The reads, sorted by time, are cut into batches as they fall due (race
 * time runs --speed times faster than wall time from the first read; with
 * speed 0 everything is due at once).  A batch gets seq = the seq of its
 * first read; reads are numbered from --first-seq (default 1), so a batch
 * is the same (device, seq) every time it is sent.  At most --window
 * batches are in flight.  An ack settles its batch; on a disconnect, an
 * `unavailable`/`timeout`/`busy` err or a batch unanswered for 30 s, the
 * connection is dropped, reopened with backoff (0.1 s doubling to 5 s),
 * and every unacked batch is sent again in seq order: the server
 * acknowledges a batch it already has with dup:true and changes nothing.
 * Any other err is fatal (exit 1), and so is 60 s without a connection.
 *
 * Invariant: batches[] holds every batch cut so far in seq order; each is
 * NEW (cut, never sent on this connection), FLIGHT or ACKED.
 */
#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boston.h"
#include "cliutil.h"
#include "evcfg.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define CONNECT_MS 5000
#define GIVE_UP_MS 60000
#define ACK_TIMEOUT_MS 30000
#define FLUSH_MS 200

static const char *prog = "splitline-replay";

static const char usage[] =
	"usage: splitline-replay boston FILE.csv --config EVENT.yaml [--server URL] [--event ID]\n"
	"                        [--token T | --token-file F] [--device ID] [--speed X]\n"
	"                        [--batch N] [--window W] [--limit N] [--seed S] [--first-seq N]\n"
	"\n"
	"Plays a Boston Marathon results file to the server as a timing device would.\n"
	"Each runner crosses the start mat at its wave's start (waves and their bibs\n"
	"ranges from the config) plus a corral delay growing with its bib's rank in\n"
	"the wave (0 to 20 minutes), then every split column (5K ... 40K, Half,\n"
	"Official Time) gives a read at point 5k ... 40k, half, finish at crossing +\n"
	"elapsed.  Reads carry the bib as their chip: import the participants with\n"
	"--chip-from-bib.  A bad time cell is reported on stderr, one line per cell\n"
	"(FILE:LINE: field 'Official Time': '0.124548611' is not H:MM:SS), and only\n"
	"that read is skipped.\n"
	"\n"
	"Reads are sent in time order, in batches, seq numbered from 1 per device;\n"
	"an unacknowledged batch is sent again after a reconnect (same seq: the server\n"
	"ignores what it already has).  Gives up after 60 s without a connection.\n"
	"At the end prints: replay: sent N reads in B batches, acked N, duplicates D\n"
	"(D: reads the server already had).\n"
	"\n"
	"  --config FILE    the event config (YAML) with the waves' starts and bibs\n"
	"  --server URL     env SPLITLINE_SERVER, default ws://127.0.0.1:8080/ws\n"
	"  --event ID       env SPLITLINE_EVENT, default the config's event\n"
	"  --token T        env SPLITLINE_TOKEN; --token-file F, env SPLITLINE_TOKEN_FILE\n"
	"  --device ID      the device id (default: the token's device, else \"replay\")\n"
	"  --speed X        race time runs X times faster than wall time (default 1;\n"
	"                   0: as fast as possible)\n"
	"  --batch N        reads per batch, 1..10000 (default 100)\n"
	"  --window W       batches in flight, 1..1000 (default 8)\n"
	"  --limit N        only the first N runners of the file\n"
	"  --seed S         0 (default): start crossings at the corral delay exactly;\n"
	"                   else each runner's crossing (and so its splits) gets\n"
	"                   0..999 ms more, drawn from seed S; net times never change\n"
	"  --first-seq N    seq of the first read (default 1)\n"
	"\n"
	"Exit status: 0 when every read was acknowledged, 1 on an error, 2 on a usage error.\n";

enum { B_NEW, B_FLIGHT, B_ACKED };

typedef struct batch {
	size_t first, n; /* reads[first, first + n) */
	uint64_t seq;
	uint64_t id;     /* request id while in flight */
	int64_t sent_at; /* mono ms */
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

	batch *batches;
	size_t nbatches, capbatches;
	size_t cut;      /* reads cut into batches so far */
	size_t inflight;
	size_t low;      /* lowest batch index not ACKED */
	size_t next_new; /* where to look for the next NEW batch (>= low) */

	wsc *c;
	int64_t last_conn;  /* mono ms of the last time we had a connection */
	int64_t retry_at;   /* mono ms of the next connect attempt */
	int64_t backoff;
	int64_t start_mono; /* wall start of the race clock */
	int64_t due_since;  /* mono ms since a read has been due and uncut */

	size_t sent_reads, sent_batches; /* distinct, each counted once */
	size_t acked_reads, dup_reads, resent;
	bool progress;
} replay;

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_u64(const char *s, const char *name, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || x < lo || x > hi) {
		fprintf(stderr, "%s: %s '%s' is not a number in %llu..%llu\n", prog, name, s,
			(unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	*v = x;
	return 0;
}

/* Drop the connection: batches in flight go back to NEW. */
static void disconnect(replay *r, const char *why)
{
	if (r->c) {
		sl_warn("connection lost: %s; resending unacknowledged batches", why);
		wsc_free(r->c);
		r->c = NULL;
	}
	for (size_t i = r->low; i < r->nbatches; i++)
		if (r->batches[i].state == B_FLIGHT) {
			r->batches[i].state = B_NEW;
			r->resent++;
		}
	r->next_new = r->low;
	r->inflight = 0;
	r->retry_at = wsc_mono_ms() + r->backoff;
	r->backoff = r->backoff * 2 > 5000 ? 5000 : r->backoff * 2;
}

/* Try to connect; returns 0, 1 to retry later, -1 fatal. */
static int try_connect(replay *r)
{
	char err[512];
	slp_msg hello;
	int rc = slc_open(&r->conn, &r->c, &hello, CONNECT_MS, err, sizeof(err));
	if (rc == SL_EAUTH || rc == SL_EPERM || rc == SL_ENOENT || rc == SL_EINVAL) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	if (rc) {
		sl_warn("%s", err);
		r->retry_at = wsc_mono_ms() + r->backoff;
		r->backoff = r->backoff * 2 > 5000 ? 5000 : r->backoff * 2;
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
	r->backoff = 100;
	r->last_conn = wsc_mono_ms();
	return 0;
}

/* Race time now (ms since epoch), or INT64_MAX with speed 0. */
static int64_t race_now(const replay *r)
{
	if (r->speed <= 0 || !r->b.nreads)
		return INT64_MAX;
	double el = (double)(wsc_mono_ms() - r->start_mono) * r->speed;
	return r->b.reads[0].t + (int64_t)el;
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
	bt->id = wsc_next_id(r->c);
	slp_packer_init(&pk, &buf);
	msgpack_pack_map(&pk, 5);
	slp_pack_kv_str(&pk, "t", "passings");
	slp_pack_kv_int(&pk, "id", (int64_t)bt->id);
	slp_pack_kv_str(&pk, "dev", r->device);
	slp_pack_kv_int(&pk, "seq", (int64_t)bt->seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, reads, bt->n);
	free(reads);
	int rc = wsc_send(r->c, buf.data, buf.len, true, CONNECT_MS);
	sl_buf_release(&buf);
	if (rc)
		return rc;
	bt->state = B_FLIGHT;
	bt->sent_at = wsc_mono_ms();
	if (!bt->ever_sent) {
		bt->ever_sent = true;
		r->sent_reads += bt->n;
		r->sent_batches++;
	}
	r->inflight++;
	return 0;
}

static batch *find_flight(replay *r, uint64_t id)
{
	for (size_t i = r->low; i < r->nbatches; i++)
		if (r->batches[i].state == B_FLIGHT && r->batches[i].id == id)
			return &r->batches[i];
	return NULL;
}

/* Handle one message; returns 0, 1 (reconnect), -1 (fatal). */
static int on_message(replay *r, const sl_buf *in, bool bin)
{
	slp_msg m;
	memset(&m, 0, sizeof(m));
	if (slp_decode(&m, in->data, in->len, bin ? SLP_MSGPACK : SLP_JSON) != 0) {
		sl_warn("bad message from the server: %s", m.err);
		slp_msg_release(&m);
		return 0;
	}
	size_t tn;
	const char *t = slp_type(&m, &tn);
	int64_t id;
	int rc = 0;
	if (!t || slp_get_int(&m.root, "id", &id) != 0)
		goto out;
	batch *bt = find_flight(r, (uint64_t)id);
	if (!bt)
		goto out;
	if (tn == 3 && memcmp(t, "ack", 3) == 0) {
		bool dup = false;
		slp_get_bool(&m.root, "dup", &dup);
		bt->state = B_ACKED;
		r->inflight--;
		r->acked_reads += bt->n;
		if (dup)
			r->dup_reads += bt->n;
	} else if (tn == 3 && memcmp(t, "err", 3) == 0) {
		const char *code = "", *msg = "";
		size_t cn = 0, mn = 0;
		slp_get_str(&m.root, "code", &code, &cn);
		slp_get_str(&m.root, "msg", &msg, &mn);
		int e = wsc_err_from_code(code, cn);
		if (e == SL_EUNAVAIL || e == SL_ETIMEOUT || e == SL_EFULL || e == SL_EGAP) {
			char why[256];
			snprintf(why, sizeof(why), "batch seq %llu: %.*s",
				 (unsigned long long)bt->seq, (int)cn, code);
			disconnect(r, why);
			rc = 1;
		} else {
			int lo = r->b.reads[bt->first].line, hi = lo;
			for (size_t i = 1; i < bt->n; i++) {
				int l = r->b.reads[bt->first + i].line;
				lo = l < lo ? l : lo;
				hi = l > hi ? l : hi;
			}
			fprintf(stderr,
				"%s: batch seq %llu (%zu reads from file lines %d..%d) rejected: "
				"%.*s: %.*s\n",
				prog, (unsigned long long)bt->seq, bt->n, lo, hi, (int)cn, code,
				(int)mn, msg);
			rc = -1;
		}
	}
out:
	slp_msg_release(&m);
	return rc;
}

static int run(replay *r)
{
	sl_buf in = SL_BUF_INIT;
	int rc = 0;
	r->backoff = 100;
	r->last_conn = wsc_mono_ms();
	r->start_mono = wsc_mono_ms();
	int64_t last_progress = 0;
	while (!stop) {
		int64_t now = wsc_mono_ms();
		if (!r->c) {
			if (now - r->last_conn > GIVE_UP_MS) {
				fprintf(stderr, "%s: giving up: no connection to '%s' for %d s\n",
					prog, r->conn.server, GIVE_UP_MS / 1000);
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
		while (r->inflight < r->window && r->c) {
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
		if (r->cut == r->b.nreads && r->inflight == 0 && r->low >= r->nbatches)
			break;
		/* wait for replies, at most until the next read is due */
		int wait = 50;
		if (r->inflight == 0 && r->cut < r->b.nreads && r->speed > 0) {
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
		now = wsc_mono_ms();
		for (size_t i = r->low; i < r->nbatches && r->c; i++)
			if (r->batches[i].state == B_FLIGHT &&
			    now - r->batches[i].sent_at > ACK_TIMEOUT_MS)
				disconnect(r, "no ack for 30 s");
		if (r->progress && now - last_progress > 500) {
			fprintf(stderr, "\rreplay: %zu/%zu reads acked", r->acked_reads,
				r->b.nreads);
			last_progress = now;
		}
	}
	if (stop && !rc) {
		fprintf(stderr, "%s: interrupted\n", prog);
		rc = 1;
	}
out:
	if (r->progress)
		fputc('\n', stderr);
	sl_buf_release(&in);
	return rc;
}

int main(int argc, char **argv)
{
	sl_log_set_prefix(prog);
	sl_log_level = SL_LOG_WARN;
	const char *dbg = getenv("SPLITLINE_DEBUG");
	if (dbg && *dbg && strcmp(dbg, "0") != 0)
		sl_log_level = SL_LOG_DEBUG;

	replay r;
	memset(&r, 0, sizeof(r));
	const char *config = NULL, *speed = "1", *batchs = "100", *windows = "8", *limits = "0",
		   *seeds = "0", *firsts = "1";
	const char *pos[2];
	int npos;
	slc_opt opts[] = {
		{"--server", true, &r.conn.server, NULL},
		{"--event", true, &r.conn.event, NULL},
		{"--token", true, &r.conn.token, NULL},
		{"--token-file", true, &r.conn.token_file, NULL},
		{"--config", true, &config, NULL},
		{"--device", true, &r.device, NULL},
		{"--speed", true, &speed, NULL},
		{"--batch", true, &batchs, NULL},
		{"--window", true, &windows, NULL},
		{"--limit", true, &limits, NULL},
		{"--seed", true, &seeds, NULL},
		{"--first-seq", true, &firsts, NULL},
		{NULL, 0, 0, 0},
	};
	int p = slc_parse(argc - 1, argv + 1, opts, pos, 2, &npos, prog);
	if (p == SLC_HELP) {
		fputs(usage, stdout);
		return 0;
	}
	if (p == SLC_USAGE) {
		fprintf(stderr, "see 'splitline-replay --help'\n");
		return 2;
	}
	if (npos != 2 || strcmp(pos[0], "boston") != 0) {
		if (npos >= 1 && strcmp(pos[0], "boston") != 0)
			fprintf(stderr, "%s: unknown file format '%s' (known: boston)\n", prog,
				pos[0]);
		fputs(usage, stderr);
		return 2;
	}
	if (!config) {
		fprintf(stderr, "%s: --config EVENT.yaml is required\n", prog);
		return 2;
	}
	char *end;
	errno = 0;
	r.speed = strtod(speed, &end);
	if (!*speed || *end || errno || !(r.speed >= 0) || !isfinite(r.speed)) {
		fprintf(stderr, "%s: --speed '%s' is not a number >= 0\n", prog, speed);
		return 2;
	}
	uint64_t v;
	if (parse_u64(batchs, "--batch", 1, SLP_MAX_READS, &v))
		return 2;
	r.batch_max = v;
	if (parse_u64(windows, "--window", 1, 1000, &v))
		return 2;
	r.window = v;
	uint64_t limit, seed;
	if (parse_u64(limits, "--limit", 0, UINT64_MAX, &limit) ||
	    parse_u64(seeds, "--seed", 0, UINT64_MAX, &seed) ||
	    parse_u64(firsts, "--first-seq", 1, (uint64_t)1 << 53, &r.first_seq))
		return 2;

	sl_buf errs = SL_BUF_INIT;
	evcfg *cfg = NULL;
	if (evcfg_load_file(config, &cfg, &errs) != 0) {
		fputs(errs.data ? errs.data : "", stderr);
		sl_buf_release(&errs);
		return 1;
	}
	sl_buf_release(&errs);
	boston_opts bo = {.limit = (size_t)limit, .seed = seed};
	char err[512];
	if (boston_load_file(&r.b, pos[1], cfg, &bo, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		evcfg_free(cfg);
		return 1;
	}
	fputs(r.b.errs.data ? r.b.errs.data : "", stderr);
	fflush(stderr);
	if (!r.conn.event && !getenv("SPLITLINE_EVENT"))
		r.conn.event = cfg->event;
	if (slc_conn_resolve(&r.conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		boston_release(&r.b);
		evcfg_free(cfg);
		return 1;
	}
	const char *pe = getenv("SPLITLINE_PROGRESS");
	r.progress = pe && *pe ? strcmp(pe, "0") != 0 : isatty(2);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	int rc = run(&r);
	printf("replay: sent %zu reads in %zu batches, acked %zu, duplicates %zu\n",
	       r.sent_reads, r.sent_batches, r.acked_reads, r.dup_reads);
	if (r.resent)
		fprintf(stderr, "%s: %zu batch sends were repeated after connection problems\n",
			prog, r.resent);
	wsc_free(r.c);
	free(r.batches);
	boston_release(&r.b);
	slc_conn_release(&r.conn);
	evcfg_free(cfg);
	return rc;
}

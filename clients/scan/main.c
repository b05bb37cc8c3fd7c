/*
 * splitline-scan: a handheld scanner (PROTOCOL.md, "Check-in").  A
 * keyboard-wedge barcode scanner types one code per line on stdin.
 *
 *   checkin     each line is a code (bib, chip or sl:<event>:<bib>): a
 *               check-in scan, answered by the server (name, race, wave,
 *               bib, or a warning);
 *   checkpoint  each line is a bib: a handheld passing at --point, with the
 *               time of the scan.
 *
 * Input is read in chunks (one read(2) per turn) and every complete line of
 * a chunk queued, with one fsync per chunk, so a fast feed (or a backlog
 * typed while offline) does not wait a turn per line.
 *
 * `splitline-scan labels` prints the bib-label sheet (labels.h) instead.
 *
 * Outbox: every scan is appended to DIR/outbox ("seq<TAB>t<TAB>code") and
 * fsync'd before it is shown as queued; DIR/acked holds the last seq the
 * server acknowledged (written with fsync + rename).  A scan shows "saved"
 * only once acked (durable on the server).  Offline, scans wait in the
 * outbox and the connection is retried (1 s apart); on return every
 * unacked scan is sent again with the same seq (the server counts each seq
 * once).  Answers come on topic scans/<device>: subscribed from the first
 * unanswered seq after each connect, so none is lost across outages.
 *
 * Output (stdout, one line per event): "queued SEQ CODE (pending N)",
 * "saved FIRST..LAST (pending N)", "answer SEQ ok BIB NAME race R wave W"
 * or "answer SEQ warning CODE: MSG" (with a BEL for the audible error).
 * At EOF it keeps syncing until every scan is acked (and, in checkin mode,
 * answered) or --wait seconds passed; then "scan: ..." totals and exit 0
 * when nothing is pending, 1 otherwise.  A refused token exits 1 at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cliutil.h"
#include "csvimport.h"
#include "labels.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define CONNECT_MS 3000
#define RETRY_MS 1000
#define REPLY_MS 10000
#define MAX_BATCH 500

static const char *prog = "splitline-scan";
static const char usage[] =
	"usage: splitline-scan --device ID --outbox DIR [--mode checkin|checkpoint] [--point PT]\n"
	"                      [--volunteer NAME] [--race RACE] [--wait SECONDS]\n"
	"                      [--server URL] [--event ID] [--token T | --token-file F]\n"
	"       splitline-scan labels --out FILE.svg [--race RACE] [--from-csv FILE.csv [--map M]]\n"
	"                      [--server URL] [--event ID]\n"
	"\n"
	"Reads one scanned code per line on stdin (a keyboard-wedge scanner) and sends\n"
	"each as a check-in (mode checkin) or a handheld passing at --point (mode\n"
	"checkpoint).  Scans are kept in DIR/outbox (fsync'd) until the server acked\n"
	"them; offline it retries and syncs when the link returns.\n"
	"\n"
	"labels: an SVG sheet of bib labels (A4, 3 x 8), each with a QR code of\n"
	"sl:<event>:<bib>, for the participants of FILE.csv (header names as for\n"
	"`splitline participants import`, --map likewise) or of the server's results\n"
	"export of RACE (GET /api/results/RACE.csv).\n";

struct scan {
	uint64_t seq;
	int64_t t;
	char *code;
	bool answered;
};

static struct {
	slc_conn conn;
	const char *dev, *dir, *mode, *point, *vol, *race;
	bool checkpoint;
	struct scan *s;
	size_t n, cap;
	uint64_t acked; /* last seq acked */
	int outfd;
	wsc *c;
	int64_t next_try;
	size_t answers, warnings;
	bool fatal;
} S;

static size_t pending(void)
{
	size_t p = 0;
	for (size_t i = 0; i < S.n; i++)
		p += S.s[i].seq > S.acked;
	return p;
}

static size_t unanswered(void)
{
	size_t p = 0;
	if (S.checkpoint)
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

static int save_acked(void)
{
	char *p = path("acked"), *tmp = path("acked.tmp");
	char buf[32];
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc = 0;
	int n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)S.acked);
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

static void add_scan(uint64_t seq, int64_t t, const char *code)
{
	SL_GROW(S.s, S.cap, S.n + 1);
	S.s[S.n++] = (struct scan){seq, t, sl_strdup(code), false};
}

/* Load the outbox and the acked watermark of an earlier run. */
static int load(void)
{
	char *p = path("outbox");
	FILE *f = fopen(p, "r");
	char line[512];
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long seq;
			long long t;
			int off = 0;
			line[strcspn(line, "\n")] = '\0';
			if (sscanf(line, "%llu\t%lld\t%n", &seq, &t, &off) >= 2 && off > 0)
				add_scan(seq, t, line + off);
		}
		fclose(f);
	}
	free(p);
	p = path("acked");
	f = fopen(p, "r");
	if (f) {
		unsigned long long a;
		if (fscanf(f, "%llu", &a) == 1)
			S.acked = a;
		fclose(f);
	}
	free(p);
	p = path("outbox");
	S.outfd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (S.outfd < 0) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

/* Append one scan to the outbox (not yet fsync'd: see flush_outbox). */
static int enqueue(const char *code)
{
	char buf[600];
	uint64_t seq = S.n ? S.s[S.n - 1].seq + 1 : S.acked + 1;
	int64_t t = sl_now_ms();
	int n = snprintf(buf, sizeof(buf), "%llu\t%lld\t%s\n", (unsigned long long)seq,
			 (long long)t, code);
	if (write(S.outfd, buf, (size_t)n) != n) {
		fprintf(stderr, "%s: cannot write the outbox: %s\n", prog, strerror(errno));
		return -1;
	}
	add_scan(seq, t, code);
	return 0;
}

/* fsync the outbox, then show scans [from, S.n) as queued. */
static int flush_outbox(size_t from)
{
	if (from == S.n)
		return 0;
	if (fsync(S.outfd) < 0) {
		fprintf(stderr, "%s: cannot write the outbox: %s\n", prog, strerror(errno));
		return -1;
	}
	size_t p = pending() - (S.n - from);
	for (size_t i = from; i < S.n; i++)
		printf("queued %llu %s (pending %zu)\n", (unsigned long long)S.s[i].seq,
		       S.s[i].code, ++p);
	fflush(stdout);
	return 0;
}

/*
 * Read what stdin has (one read(2), at most 4 KiB) and queue every complete
 * line: codes of 1 to 128 characters; longer lines are reported and
 * dropped; CR and empty lines are ignored.  *eof at end of input (a last
 * line without newline still counts).  Returns -1 when the outbox fails.
 */
static int read_input(bool *eof)
{
	static char line[130];
	static size_t ll;
	static bool toolong;
	char buf[4096];
	size_t from = S.n;
	ssize_t r = read(0, buf, sizeof(buf));
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0) {
		*eof = true;
		if (r < 0)
			fprintf(stderr, "%s: cannot read stdin: %s\n", prog, strerror(errno));
		if (ll > 0 && !toolong) {
			line[ll] = '\0';
			if (enqueue(line) < 0)
				return -1;
		}
		ll = 0;
		return flush_outbox(from);
	}
	for (ssize_t i = 0; i < r; i++) {
		char ch = buf[i];
		if (ch == '\n' || ch == '\r') {
			line[ll] = '\0';
			if (toolong)
				printf("error: bad scan (over 128 characters)\a\n");
			else if (ll > 0 && enqueue(line) < 0)
				return -1;
			ll = 0;
			toolong = false;
		} else if (ll < 128) {
			line[ll++] = ch;
		} else {
			toolong = true;
		}
	}
	return flush_outbox(from);
}

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
		if (ok) {
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
	S.next_try = wsc_mono_ms() + RETRY_MS;
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
				const char *code, *msg;
				size_t cn, mn;
				slp_get_str(&reply->root, "code", &code, &cn);
				if (slp_get_str(&reply->root, "msg", &msg, &mn) != 0) {
					msg = "";
					mn = 0;
				}
				snprintf(err, errlen, "%.*s", (int)mn, msg);
				return wsc_err_from_code(code, cn);
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
	slp_pack_kv_int(&pk, "offset", (int64_t)(first ? first : S.acked + 1));
	if (request(&b, id, &reply, err, sizeof(err)) == 0)
		slp_msg_release(&reply);
	else
		fprintf(stderr, "%s: subscribe %s: %s\n", prog, topic, err);
	sl_buf_release(&b);
}

static void connect_now(void)
{
	char err[300];
	slp_msg hello;
	if (S.c || wsc_mono_ms() < S.next_try)
		return;
	int rc = slc_open(&S.conn, &S.c, &hello, CONNECT_MS, err, sizeof(err));
	if (rc == SL_EAUTH || rc == SL_EPERM || rc == SL_ENOENT || rc == SL_EINVAL) {
		fprintf(stderr, "%s: %s\n", prog, err);
		S.fatal = true;
		return;
	}
	if (rc < 0) {
		S.c = NULL;
		S.next_try = wsc_mono_ms() + RETRY_MS;
		return;
	}
	slp_msg_release(&hello);
	fprintf(stderr, "%s: online\n", prog);
	if (!S.checkpoint)
		subscribe();
}

/* Send the first unacked scans as one batch; 0 when acked. */
static int sync_once(void)
{
	size_t from = 0;
	while (from < S.n && S.s[from].seq <= S.acked)
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
	slp_pack_kv_str(&pk, "t", S.checkpoint ? "passings" : "checkins");
	slp_pack_kv_int(&pk, "id", (int64_t)id);
	slp_pack_kv_str(&pk, "dev", S.dev);
	slp_pack_kv_int(&pk, "seq", (int64_t)S.s[from].seq);
	slp_pack_key(&pk, S.checkpoint ? "reads" : "scans");
	msgpack_pack_array(&pk, cnt);
	for (size_t i = 0; i < cnt; i++) {
		const struct scan *sc = &S.s[from + i];
		if (S.checkpoint) {
			msgpack_pack_map(&pk, 4);
			slp_pack_kv_str(&pk, "bib", sc->code);
			slp_pack_kv_str(&pk, "pt", S.point);
			slp_pack_kv_int(&pk, "t", sc->t);
			slp_pack_kv_str(&pk, "kind", "handheld");
		} else {
			msgpack_pack_map(&pk, 2 + !!S.vol + !!S.race);
			slp_pack_kv_str(&pk, "code", sc->code);
			slp_pack_kv_int(&pk, "t", sc->t);
			if (S.vol)
				slp_pack_kv_str(&pk, "volunteer", S.vol);
			if (S.race)
				slp_pack_kv_str(&pk, "race", S.race);
		}
	}
	slp_msg reply;
	char err[400];
	int rc = request(&b, id, &reply, err, sizeof(err));
	sl_buf_release(&b);
	if (rc == 0) {
		int64_t last;
		if (slp_get_int(&reply.root, "last", &last) == 0 && (uint64_t)last > S.acked) {
			uint64_t first = S.acked + 1;
			S.acked = (uint64_t)last;
			if (save_acked() < 0)
				S.fatal = true;
			printf("saved %llu..%llu (pending %zu)\n", (unsigned long long)first,
			       (unsigned long long)last, pending());
			fflush(stdout);
		}
		slp_msg_release(&reply);
		return 0;
	}
	if (rc == SL_EGAP) {
		int64_t exp;
		if (slp_get_int(&reply.root, "expected", &exp) == 0 && exp >= 1 &&
		    (uint64_t)exp <= S.acked + 1)
			S.acked = (uint64_t)exp - 1; /* resend from there */
		else
			fprintf(stderr, "%s: %s\n", prog, err);
		slp_msg_release(&reply);
		return rc;
	}
	if (rc == SL_EAUTH || rc == SL_EPERM || rc == SL_EINVAL || rc == SL_ERANGE ||
	    rc == SL_ENOENT) {
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

/* Bib and name of each parsed row (borrowed from ci) into *out. */
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
			    MSGPACK_UNPACK_SUCCESS &&
		    slp_get_str(&u.data, "bib", &s, &sn) == 0) {
			l[n].bib = sl_strndup(s, sn);
			if (slp_get_str(&u.data, "name", &s, &sn) == 0)
				l[n].name = sl_strndup(s, sn);
			n++;
		}
		msgpack_unpacked_destroy(&u);
	}
	*out = l;
	return n;
}

static int cmd_labels(int argc, char **argv)
{
	const char *out = NULL, *race = NULL, *csv = NULL, *map = NULL;
	slc_conn conn = {0};
	const slc_opt opts[] = {
		{"--server", true, &conn.server, NULL},
		{"--event", true, &conn.event, NULL},
		{"--out", true, &out, NULL},
		{"--race", true, &race, NULL},
		{"--from-csv", true, &csv, NULL},
		{"--map", true, &map, NULL},
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
	if (!out || (!csv && !race) || (map && !csv)) {
		fprintf(stderr, "%s: labels needs --out and either --from-csv (with an optional "
				"--map) or --race\n%s", prog, usage);
		return 2;
	}
	conn.token = "-"; /* no token needed: skip the token file */
	slc_conn_resolve(&conn, err, sizeof(err));
	if (!conn.event) {
		fprintf(stderr, "%s: labels needs --event (or SPLITLINE_EVENT)\n", prog);
		return 2;
	}
	csvimp ci = {0};
	csvimp_opts co = {.map = map, .race = race};
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
	sl_buf svg = SL_BUF_INIT;
	rc = labels_svg(&svg, conn.event, l, n, err, sizeof(err));
	int exit_rc = 0;
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit_rc = 1;
	} else {
		FILE *f = fopen(out, "w");
		if (!f || fwrite(svg.data, 1, svg.len, f) != svg.len || fclose(f) != 0) {
			fprintf(stderr, "%s: cannot write '%s': %s\n", prog, out, strerror(errno));
			exit_rc = 1;
		} else {
			printf("labels: %zu labels (%zu pages) in %s\n", n, (n + 23) / 24, out);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free((char *)l[i].bib);
		free((char *)l[i].name);
	}
	free(l);
	sl_buf_release(&svg);
	csvimp_release(&ci);
	return exit_rc;
}

int main(int argc, char **argv)
{
	const char *wait_s = "30";
	const slc_opt opts[] = {
		{"--server", true, &S.conn.server, NULL},
		{"--event", true, &S.conn.event, NULL},
		{"--token", true, &S.conn.token, NULL},
		{"--token-file", true, &S.conn.token_file, NULL},
		{"--device", true, &S.dev, NULL},
		{"--outbox", true, &S.dir, NULL},
		{"--mode", true, &S.mode, NULL},
		{"--point", true, &S.point, NULL},
		{"--volunteer", true, &S.vol, NULL},
		{"--race", true, &S.race, NULL},
		{"--wait", true, &wait_s, NULL},
		{NULL, false, NULL, NULL},
	};
	const char *pos[1];
	int npos = 0;
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
	S.mode = S.mode ? S.mode : "checkin";
	S.checkpoint = !strcmp(S.mode, "checkpoint");
	if (!S.dev || !S.dir || (!S.checkpoint && strcmp(S.mode, "checkin")) ||
	    (S.checkpoint && !S.point)) {
		fprintf(stderr, "%s: --device and --outbox are required; --mode checkin or "
				"checkpoint (with --point)\n%s",
			prog, usage);
		return 2;
	}
	int64_t wait_ms = (int64_t)(atof(wait_s) * 1000);
	if (slc_conn_resolve(&S.conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (mkdir(S.dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, S.dir, strerror(errno));
		return 1;
	}
	if (load() < 0)
		return 1;

	bool eof = false;
	int64_t eof_at = 0;
	while (!S.fatal) {
		if (!eof) {
			struct pollfd pfd = {0, POLLIN, 0};
			int pr = poll(&pfd, 1, S.c ? 0 : 100);
			if (pr > 0) {
				if (read_input(&eof) < 0)
					return 1;
				if (eof)
					eof_at = wsc_mono_ms();
			}
		}
		if (pending() || unanswered())
			connect_now();
		if (S.c && pending())
			sync_once();
		else if (S.c && unanswered())
			pump(50);
		else if (!S.c)
			usleep(20000);
		if (eof && !pending() && !unanswered())
			break;
		if (eof && wsc_mono_ms() - eof_at > wait_ms)
			break;
	}
	printf("scan: %zu scans, acked %llu, answers %zu, warnings %zu, pending %zu\n", S.n,
	       (unsigned long long)S.acked, S.answers, S.warnings, pending());
	int exit_rc = S.fatal || pending() || unanswered() ? 1 : 0;
	if (S.c)
		wsc_free(S.c);
	slc_conn_release(&S.conn);
	close(S.outfd);
	for (size_t i = 0; i < S.n; i++)
		free(S.s[i].code);
	free(S.s);
	return exit_rc;
}

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
	"\n"
	"Reads one scanned code per line on stdin (a keyboard-wedge scanner) and sends\n"
	"each as a check-in (mode checkin) or a handheld passing at --point (mode\n"
	"checkpoint).  Scans are kept in DIR/outbox (fsync'd) until the server acked\n"
	"them; offline it retries and syncs when the link returns.\n";

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

static int enqueue(const char *code)
{
	char buf[600];
	uint64_t seq = S.n ? S.s[S.n - 1].seq + 1 : S.acked + 1;
	int64_t t = sl_now_ms();
	int n = snprintf(buf, sizeof(buf), "%llu\t%lld\t%s\n", (unsigned long long)seq,
			 (long long)t, code);
	if (write(S.outfd, buf, (size_t)n) != n || fsync(S.outfd) < 0) {
		fprintf(stderr, "%s: cannot write the outbox: %s\n", prog, strerror(errno));
		return -1;
	}
	add_scan(seq, t, code);
	printf("queued %llu %s (pending %zu)\n", (unsigned long long)seq, code, pending());
	fflush(stdout);
	return 0;
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
	char line[512];
	size_t ll = 0;
	int64_t eof_at = 0;
	while (!S.fatal) {
		if (!eof) {
			struct pollfd pfd = {0, POLLIN, 0};
			int pr = poll(&pfd, 1, S.c ? 0 : 100);
			if (pr > 0) {
				char ch;
				ssize_t r;
				while ((r = read(0, &ch, 1)) == 1) {
					if (ch == '\n' || ch == '\r') {
						line[ll] = '\0';
						if (ll > 0 && ll <= 128) {
							if (enqueue(line) < 0)
								return 1;
						} else if (ll > 128) {
							printf("error: bad scan (over 128 "
							       "characters)\a\n");
						}
						ll = 0;
						break; /* one line per turn */
					}
					if (ll < sizeof(line) - 1)
						line[ll++] = ch;
					else
						ll = sizeof(line); /* too long: reported */
					if (ll >= sizeof(line) - 1)
						ll = sizeof(line) - 1;
				}
				if (r == 0) {
					eof = true;
					eof_at = wsc_mono_ms();
				}
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

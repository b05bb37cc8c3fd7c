/*
 * splitline-emu: one emulated timing decoder on one mat of the Chicago 2023
 * marathon, fed from chicago-2023-mats.csv, speaking a real decoder line
 * protocol (DECODERS.md; the reader's formatters rrp/ctp/mlp/jcp).
 *
 * Crossings: a runner's start-mat crossing S = Finish time of day - Finish
 * net time (or of the first mat holding both when Finish has none); the
 * crossing of mat M is S + M's net time.  The start crossing is placed at
 * S + 200 ms and every other one at + 500 ms, so the net time truncated or
 * rounded to the second is exactly the file's.  Splits the file marks as
 * estimated (a missed read) and missing cells produce no crossing.  A bib
 * seen twice keeps its first row.
 * Reads: 3..6 per crossing, 40..85 ms apart (the last within 450 ms of the
 * first, so no read leaves the crossing's second), signal rising then
 * falling; the first read is never dropped.  The runner wears chips A<bib>
 * and B<bib>; with probability --miss chip A is not read on a crossing and
 * chip B is (the result must not change).  --stray N adds N reads of
 * unknown tags S0001..S<N> at random times.  The decoder's clock runs
 * --skew-ms ahead of true time: every time it reports is on that clock.
 * RaceResult reports one passing per crossing (the decoder filters: time of
 * the peak read, hits and peak RSSI); the others report every read.
 *
 * Pacing: true time runs from the sim clock WALL0:RACE0:SPEED (the same one
 * the reader gets), or from --speed X with RACE0 = the first read - 1 s;
 * each read is reported once its true time has come.  --speed 0 sends all
 * at once.
 *
 * I/O: one blocking-socket loop with poll(), one connection at a time.
 * RaceResult: we listen (--port) and answer the reader's commands (push mode
 * and "<first>:<n>" fetch); the others connect (--connect) and reconnect on
 * loss, resending from the first read not yet written (MYLAPS: not acked).
 * Ends when everything is sent (and acked for MYLAPS) plus --linger-ms.
 * Link cuts (fault tests): --drop-after N asks for a cut once N reads are
 * due, SIGUSR1 asks for one at once.  The cut waits until the link is up
 * (MYLAPS: and a message is in flight, sent and not acked, so that one is
 * certainly sent again), then the link stays down for --down-ms and until
 * --down-reads more reads have come due (or all have): RaceResult closes a
 * reader that connects, the others do not reconnect.  Reads keep their
 * numbers and come due meanwhile, so the reader must recover them
 * (RaceResult: gap fetch by number; MYLAPS: the unacked message and what
 * came due are sent after the reconnect).
 * Outages: whatever ends a connection (a cut, the reader closing it or
 * dying), stdout says so at once, line by line and flushed, so that a
 * test can hold a fault until it has overlapped traffic and then check
 * what the reader recovered: "emu: link down (WHY) with N reads due",
 * "emu: read N came due with the link down" (the first of an outage),
 * "emu: link up after T ms: reads A..B came due while it was down" (or "no
 * read came due ..."), "emu: resending reads A..B (sent before, not
 * acked)" (MYLAPS).  Reads are numbered from 1 (RaceResult: the passing
 * number).  The summary line counts them: due while down, of those the
 * ones a reader fetched by number (RaceResult), reads sent again.
 * Ownership: everything lives in static vectors freed at exit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cliutil.h"
#include "ctp.h"
#include "jcp.h"
#include "mlp.h"
#include "rrp.h"

static const char *prog = "splitline-emu";

static const char usage[] =
	"usage: splitline-emu --protocol raceresult|chronotrack|mylaps|jchip --mat MAT\n"
	"                     --data chicago-2023-mats.csv [options]\n"
	"\n"
	"Emulates the decoder on one mat of the Chicago 2023 marathon.\n"
	"  --mat MAT           start, 05K, 10K, 15K, 20K, HALF, 25K, 30K, 35K, 40K or Finish\n"
	"  --limit N           the first N runners of the file (default all)\n"
	"  --port P            raceresult: listen on 127.0.0.1:P (default 3601)\n"
	"  --listen ADDR       raceresult: the address to listen on (default 127.0.0.1)\n"
	"  --connect HOST:PORT others: the reader to connect to\n"
	"  --speed X           race time runs X times faster (default 1; 0: no pacing)\n"
	"  --sim-clock W:R:S   true time = R + (now - W) * S (ms), as the reader's\n"
	"  --miss P            probability chip A is not read on a crossing (B is)\n"
	"  --stray N           N reads of unknown tags S0001..\n"
	"  --skew-ms S         the decoder clock runs S ms ahead of true time\n"
	"  --seed S            random seed (default 1)\n"
	"  --name NAME         decoder name (default emu-MAT)\n"
	"  --utc-offset +HH:MM the decoder's time zone (default -05:00, Chicago in October)\n"
	"  --linger-ms N       stay connected N ms after the last read (default 1500)\n"
	"  --drop-after N      cut the link once N reads are due (also on SIGUSR1)\n"
	"  --down-ms N         keep a cut link down N ms (default 1000)\n"
	"  --down-reads N      ... and until N more reads have come due (default 0)\n";

enum proto { P_RR, P_CTP, P_MLP, P_JCP };

static const char *mats[] = {"05K", "10K", "15K", "20K", "HALF", "25K",
			     "30K", "35K", "40K", "Finish"};
#define NMATS 10

typedef struct read {
	int64_t t; /* true UTC ms */
	char chip[16];
	int rssi, hits;
} read_t;

static read_t *reads;
static size_t nreads, capreads;
static uint64_t rng;

/* reads [lo, hi) came due while the link was down */
typedef struct span {
	size_t lo, hi;
} span;

static span *downs;
static size_t ndowns, capdowns;
static unsigned char *fetched; /* RaceResult: read i was sent in answer to a fetch */

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rndf(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int rnd_in(int lo, int hi)
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static void add_read(int64_t t, const char *chip, int rssi, int hits)
{
	SL_GROW(reads, capreads, nreads + 1);
	read_t *r = &reads[nreads++];
	r->t = t;
	snprintf(r->chip, sizeof(r->chip), "%s", chip);
	r->rssi = rssi;
	r->hits = hits;
}

static int cmp_read(const void *a, const void *b)
{
	const read_t *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* "07:44:28AM" -> seconds since midnight, or -1. */
static int64_t parse_12h(const char *s)
{
	int h, m, sec;
	char ap[3] = "";
	if (sscanf(s, "%d:%d:%d%2s", &h, &m, &sec, ap) != 4 || h < 1 || h > 12 || m > 59 ||
	    sec > 59)
		return -1;
	if (ap[0] == 'A')
		h = h == 12 ? 0 : h;
	else if (ap[0] == 'P')
		h = h == 12 ? 12 : h + 12;
	else
		return -1;
	return (int64_t)h * 3600 + m * 60 + sec;
}

/* "01:02:03" -> seconds, or -1. */
static int64_t parse_hms(const char *s)
{
	int h, m, sec;
	char extra;
	if (sscanf(s, "%d:%d:%d%c", &h, &m, &sec, &extra) != 3 || h < 0 || m > 59 || sec > 59)
		return -1;
	return (int64_t)h * 3600 + m * 60 + sec;
}

typedef struct stats {
	long runners, crossings, estimated, missing, miss_a, strays, dup_bibs;
} stats;

/* Build the read list from the file.  0 or -1 (message printed). */
static int load(const char *path, const char *mat, long limit, int64_t day_utc_ms, double miss,
		int is_rr, stats *st)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path, strerror(errno));
		return -1;
	}
	int mi = -1; /* -1: start */
	for (int i = 0; i < NMATS; i++)
		if (!strcasecmp(mat, mats[i]))
			mi = i;
	char line[4096];
	int lineno = 0;
	unsigned char *seen = sl_calloc(1, 1 << 17);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (lineno == 1)
			continue;
		if (limit >= 0 && st->runners + st->dup_bibs >= limit)
			break;
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *fld[32];
		int nf = 0;
		char *p = line;
		while (nf < 32) {
			fld[nf++] = p;
			char *c = strchr(p, ',');
			if (!c)
				break;
			*c = '\0';
			p = c + 1;
		}
		if (nf < 4 + 2 * NMATS) {
			fprintf(stderr, "%s: %s:%d: expected %d fields, found %d\n", prog, path, lineno,
				4 + 2 * NMATS, nf);
			continue;
		}
		long bib = strtol(fld[0], NULL, 10);
		if (bib <= 0 || bib >= (1 << 20)) {
			fprintf(stderr, "%s: %s:%d: field 'bib': '%s' is not a bib\n", prog, path,
				lineno, fld[0]);
			continue;
		}
		if (seen[bib / 8] >> (bib % 8) & 1) {
			st->dup_bibs++;
			continue;
		}
		seen[bib / 8] |= (unsigned char)(1u << (bib % 8));
		st->runners++;
		const char *est = nf > 4 + 2 * NMATS ? fld[4 + 2 * NMATS] : "";
		int64_t tod[NMATS], net[NMATS];
		bool estm[NMATS];
		for (int i = 0; i < NMATS; i++) {
			tod[i] = parse_12h(fld[4 + 2 * i]);
			net[i] = parse_hms(fld[5 + 2 * i]);
			/* the marks are mat names joined by ';' */
			estm[i] = false;
			for (const char *q = est; (q = strcasestr(q, mats[i])); q++) {
				size_t l = strlen(mats[i]);
				if ((q == est || q[-1] == ';' || q[-1] == ' ' || q[-1] == '*') &&
				    (!q[l] || q[l] == ';' || q[l] == ' ' || q[l] == '*'))
					estm[i] = true;
			}
		}
		int64_t start = -1;
		if (tod[NMATS - 1] >= 0 && net[NMATS - 1] >= 0 && !estm[NMATS - 1])
			start = tod[NMATS - 1] - net[NMATS - 1];
		for (int i = 0; start < 0 && i < NMATS; i++)
			if (tod[i] >= 0 && net[i] >= 0 && !estm[i])
				start = tod[i] - net[i];
		if (start < 0) {
			st->missing++;
			continue;
		}
		int64_t t;
		if (mi < 0) {
			t = start * 1000 + 200;
		} else if (estm[mi]) {
			st->estimated++;
			continue;
		} else if (net[mi] < 0) {
			st->missing++;
			continue;
		} else {
			t = (start + net[mi]) * 1000 + 500;
		}
		t += day_utc_ms;
		st->crossings++;
		char chip[16];
		bool b = rndf() < miss;
		if (b)
			st->miss_a++;
		snprintf(chip, sizeof(chip), "%c%ld", b ? 'B' : 'A', bib);
		int k = rnd_in(3, 6), peak = rnd_in(1, k - 2), peak_rssi = rnd_in(-62, -50);
		int64_t rt = t, peak_t = t;
		for (int j = 0; j < k; j++) {
			int rssi = peak_rssi - 4 * abs(j - peak) - rnd_in(0, 2);
			if (j == peak)
				rssi = peak_rssi, peak_t = rt;
			if (!is_rr)
				add_read(rt, chip, rssi, 1);
			rt += rnd_in(40, 85);
		}
		if (is_rr)
			add_read(peak_t, chip, peak_rssi, k);
	}
	fclose(f);
	free(seen);
	if (lineno <= 1) {
		fprintf(stderr, "%s: '%s' holds no runner\n", prog, path);
		return -1;
	}
	return 0;
}

/* ---- sockets ---- */

static int set_sock(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int tcp_connect(const char *hostport)
{
	char host[256];
	snprintf(host, sizeof(host), "%s", hostport);
	char *c = strrchr(host, ':');
	if (!c)
		return -1;
	*c = '\0';
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(c + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return set_sock(fd);
}

static int tcp_listen(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* write all; false on error */
static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* ---- the emulator ---- */

typedef struct emu {
	int proto;
	const char *name, *connect_to;
	int64_t skew_ms;
	int utc_off_min;
	double speed;
	int64_t wall0, race0;
	int fd;
	rdr_frame fr;
	int state;     /* 0 handshaking, 1 streaming */
	size_t next;   /* next read to report (by time) */
	size_t sent;   /* reads written on this connection (CTP/JCP resume point) */
	/* MYLAPS: messages in flight */
	size_t acked;  /* reads acked (prefix) */
	unsigned long msgno;
	size_t inflight_end;
	int64_t inflight_at;
	size_t sent_max; /* MYLAPS: reads [0, sent_max) were sent at least once */
	size_t resent;   /* MYLAPS: reads sent again, never acked */
	/* RaceResult */
	bool push;
	size_t pushed;
	char loc[64];
	/* an outage: no connection since one was lost */
	bool down, noted;
	int64_t down_at;  /* wall ms */
	size_t down_from; /* next when the link went down */
} emu;

static volatile sig_atomic_t stop_flag, cut_flag;

static void on_usr1(int s)
{
	(void)s;
	cut_flag = 1;
}

static void on_sig(int s)
{
	(void)s;
	stop_flag = 1;
}

static int64_t true_now(const emu *e)
{
	if (e->speed <= 0)
		return INT64_MAX;
	return e->race0 + (int64_t)((double)(sl_now_ms() - e->wall0) * e->speed);
}

/* The decoder's view of a true time. */
static void to_raw(const emu *e, int64_t t, rdr_raw *r, bool with_day)
{
	rdr_raw_init(r);
	int64_t local = t + e->skew_ms + (int64_t)e->utc_off_min * 60000;
	int64_t day = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
	r->tod = local - day * 86400000;
	r->day = with_day ? (int32_t)day : INT32_MIN;
}

static void read_raw(const emu *e, size_t i, rdr_raw *r, bool with_day)
{
	to_raw(e, reads[i].t, r, with_day);
	snprintf(r->chip, sizeof(r->chip), "%s", reads[i].chip);
	r->rssi = reads[i].rssi;
	r->hits = reads[i].hits;
	r->no = (int64_t)i + 1;
	r->ant = 1;
}

/* A line on stdout at once: a test follows the file while we run. */
__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void drop_conn(emu *e, const char *why)
{
	if (e->fd >= 0) {
		sl_warn("connection lost: %s", why);
		close(e->fd);
		e->down = true;
		e->noted = false;
		e->down_at = sl_now_ms();
		e->down_from = e->next;
		note("emu: link down (%s) with %zu reads due\n", why, e->next);
	}
	e->fd = -1;
	e->state = 0;
	e->push = false;
	rdr_frame_release(&e->fr);
}

/* A connection is up (accepted or made): the end of an outage. */
static void link_up(emu *e)
{
	if (!e->down)
		return;
	e->down = false;
	SL_GROW(downs, capdowns, ndowns + 1);
	downs[ndowns++] = (span){e->down_from, e->next};
	long long ms = (long long)(sl_now_ms() - e->down_at);
	if (e->next > e->down_from)
		note("emu: link up after %lld ms: reads %zu..%zu came due while it was down\n", ms,
		     e->down_from + 1, e->next);
	else
		note("emu: link up after %lld ms: no read came due while it was down\n", ms);
}

static void open_frame(emu *e)
{
	rdr_frame_init(&e->fr, e->proto == P_MLP ? '$' : e->proto == P_JCP ? '\r' : '\n', 1 << 16);
}

static bool out(emu *e, sl_buf *b)
{
	bool ok = send_all(e->fd, b->data, b->len);
	sl_buf_reset(b);
	if (!ok)
		drop_conn(e, "write failed");
	return ok;
}

/* One line from the reader. */
static void on_line(emu *e, const char *s, size_t n)
{
	sl_buf b = SL_BUF_INIT;
	char line[256];
	snprintf(line, sizeof(line), "%.*s", (int)(n > 200 ? 200 : n), s);
	if (e->proto == P_RR) {
		rdr_raw now;
		to_raw(e, true_now(e) == INT64_MAX ? (nreads ? reads[0].t : 0) : true_now(e), &now,
		       true);
		if (!strncmp(line, "GETPROTOCOL", 11)) {
			sl_buf_adds(&b, "GETPROTOCOL;3.0;1.0;3.2\r\n");
		} else if (!strncmp(line, "SETPROTOCOL", 11)) {
			sl_buf_addf(&b, "SETPROTOCOL;%s\r\n", n > 12 ? line + 12 : "3.0");
		} else if (!strcmp(line, "GETTIME")) {
			int y, mo, d;
			rdr_civil(now.day, &y, &mo, &d);
			int64_t t = now.tod;
			sl_buf_addf(&b, "GETTIME;%04d-%02d-%02d;%02d:%02d:%02d.%03d\r\n", y, mo, d,
				    (int)(t / 3600000), (int)(t / 60000 % 60), (int)(t / 1000 % 60),
				    (int)(t % 1000));
		} else if (!strncmp(line, "SETPUSHPASSINGS", 15)) {
			e->push = strncmp(line, "SETPUSHPASSINGS;1", 17) == 0;
			e->pushed = e->next; /* older ones are fetched by number */
			sl_buf_addf(&b, "%s\r\n", line);
		} else if (!strcmp(line, "PASSINGS")) {
			sl_buf_addf(&b, "PASSINGS;%zu;1\r\n", e->next);
		} else if (strchr(line, ':')) {
			long first = 0, cnt = 0;
			if (sscanf(line, "%ld:%ld", &first, &cnt) == 2 && first >= 1 && cnt >= 0) {
				for (long i = first; i < first + cnt && (size_t)i <= e->next; i++) {
					rdr_raw r;
					read_raw(e, (size_t)i - 1, &r, true);
					rrp_fmt_passing(&b, &r, false);
					fetched[i - 1] = 1;
				}
			}
			sl_buf_adds(&b, "\r\n");
		} else if (!strcmp(line, "STARTOPERATION")) {
			sl_buf_adds(&b, "STARTOPERATION;OK\r\n");
		} else {
			sl_buf_addf(&b, "%s;ERROR\r\n", line);
		}
		out(e, &b);
	} else if (e->proto == P_CTP) {
		if (!strcmp(line, "getlocations")) {
			sl_buf_addf(&b, "ack~getlocations~%s\r\n", e->loc);
		} else if (!strncmp(line, "start", 5)) {
			e->state = 1;
		} else if (!strcmp(line, "ping")) {
			sl_buf_adds(&b, "ack~ping\r\n");
		} else if (!strcmp(line, "geteventinfo")) {
			sl_buf_adds(&b, "ack~geteventinfo~Chicago 2023~1~emulated\r\n");
		}
		if (b.len)
			out(e, &b);
	} else if (e->proto == P_JCP) {
		if (!strcmp(line, "GT")) {
			rdr_raw now;
			to_raw(e, true_now(e) == INT64_MAX ? (nreads ? reads[0].t : 0) : true_now(e),
			       &now, true);
			jcp_fmt_time(&b, now.tod, now.day);
			out(e, &b);
		} else if (!strncmp(line, "S0000", 5)) {
			e->state = 1;
		}
	} else {
		/* MYLAPS: <server>@AckPassing@<msgno>@ */
		const char *a = strstr(line, "@AckPassing@");
		if (a) {
			unsigned long no = strtoul(a + 12, NULL, 10);
			if (no == e->msgno && e->inflight_end) {
				e->acked = e->inflight_end;
				e->inflight_end = 0;
			}
		}
	}
	sl_buf_release(&b);
}

static void pump_in(emu *e)
{
	char buf[4096];
	ssize_t n = recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0) {
		drop_conn(e, "closed by the reader");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			drop_conn(e, strerror(errno));
		return;
	}
	rdr_frame_feed(&e->fr, buf, (size_t)n);
	const char *l;
	size_t len;
	while (e->fd >= 0 && rdr_frame_next(&e->fr, &l, &len))
		on_line(e, l, len);
}

/* Report what is due. */
static void pump_out(emu *e)
{
	sl_buf b = SL_BUF_INIT;
	if (e->proto == P_RR) {
		if (e->push)
			for (; e->pushed < e->next && b.len < 60000; e->pushed++) {
				rdr_raw r;
				read_raw(e, e->pushed, &r, true);
				rrp_fmt_passing(&b, &r, true);
			}
	} else if (e->proto == P_MLP) {
		int64_t now = sl_now_ms();
		if (e->inflight_end && now - e->inflight_at > 2000)
			e->inflight_end = 0; /* no ack: send again (a duplicate is normal) */
		if (!e->inflight_end && e->acked < e->next) {
			size_t n = e->next - e->acked;
			if (n > 50)
				n = 50;
			rdr_raw r[50];
			for (size_t i = 0; i < n; i++)
				read_raw(e, e->acked + i, &r[i], true);
			mlp_fmt_passing(&b, e->name, r, n, ++e->msgno);
			if (e->acked < e->sent_max) {
				size_t hi = e->acked + n < e->sent_max ? e->acked + n : e->sent_max;
				e->resent += hi - e->acked;
				note("emu: resending reads %zu..%zu (sent before, not acked)\n",
				     e->acked + 1, hi);
			}
			if (e->acked + n > e->sent_max)
				e->sent_max = e->acked + n;
			e->inflight_end = e->acked + n;
			e->inflight_at = now;
		}
	} else if (e->state == 1) {
		for (; e->sent < e->next && b.len < 60000; e->sent++) {
			rdr_raw r;
			read_raw(e, e->sent, &r, false);
			if (e->proto == P_CTP)
				ctp_fmt_read(&b, &r, e->loc);
			else
				jcp_fmt_read(&b, &r);
		}
	}
	if (b.len)
		out(e, &b);
	sl_buf_release(&b);
}

static void hello(emu *e)
{
	sl_buf b = SL_BUF_INIT;
	if (e->proto == P_CTP)
		sl_buf_adds(&b, "SimpleClient~1.0~CTP01\r\n");
	else if (e->proto == P_JCP)
		sl_buf_addf(&b, "N0000%s\r", e->name);
	else if (e->proto == P_MLP)
		sl_buf_addf(&b, "%s@Pong@$", e->name);
	out(e, &b);
	sl_buf_release(&b);
}

int main(int argc, char **argv)
{
	sl_log_set_prefix(prog);
	sl_log_level = SL_LOG_INFO;
	const char *protocol = NULL, *mat = NULL, *data = NULL, *limit_s = NULL, *speed_s = NULL,
		   *miss_s = NULL, *stray_s = NULL, *skew_s = NULL, *seed_s = NULL, *port_s = NULL,
		   *listen_s = NULL, *connect_s = NULL, *sim_s = NULL, *name_s = NULL,
		   *utc_s = NULL, *linger_s = NULL, *drop_s = NULL, *down_s = NULL,
		   *down_reads_s = NULL;
	slc_opt table[] = {
		{"--protocol", true, &protocol, NULL}, {"--mat", true, &mat, NULL},
		{"--data", true, &data, NULL},	       {"--limit", true, &limit_s, NULL},
		{"--speed", true, &speed_s, NULL},     {"--miss", true, &miss_s, NULL},
		{"--stray", true, &stray_s, NULL},     {"--skew-ms", true, &skew_s, NULL},
		{"--seed", true, &seed_s, NULL},       {"--port", true, &port_s, NULL},
		{"--listen", true, &listen_s, NULL},   {"--connect", true, &connect_s, NULL},
		{"--sim-clock", true, &sim_s, NULL},   {"--name", true, &name_s, NULL},
		{"--utc-offset", true, &utc_s, NULL},  {"--linger-ms", true, &linger_s, NULL},
		{"--drop-after", true, &drop_s, NULL}, {"--down-ms", true, &down_s, NULL},
		{"--down-reads", true, &down_reads_s, NULL},
		{NULL, 0, 0, 0},
	};
	const char *pos[1];
	int npos;
	int pr = slc_parse(argc - 1, argv + 1, table, pos, 1, &npos, prog);
	if (pr == SLC_HELP) {
		fputs(usage, stdout);
		return 0;
	}
	if (pr == SLC_USAGE || npos || !protocol || !mat || !data) {
		if (pr != SLC_USAGE)
			fprintf(stderr, "%s: --protocol, --mat and --data are required\n", prog);
		fputs(usage, stderr);
		return 2;
	}
	static emu E;
	emu *e = &E;
	e->fd = -1;
	e->proto = !strcmp(protocol, "raceresult")    ? P_RR
		   : !strcmp(protocol, "chronotrack") ? P_CTP
		   : !strcmp(protocol, "mylaps")      ? P_MLP
		   : !strcmp(protocol, "jchip")	      ? P_JCP
						      : -1;
	if (e->proto < 0) {
		fprintf(stderr, "%s: unknown protocol '%s' (raceresult, chronotrack, mylaps, jchip)\n",
			prog, protocol);
		return 2;
	}
	bool ok_mat = !strcasecmp(mat, "start");
	for (int i = 0; i < NMATS; i++)
		ok_mat |= !strcasecmp(mat, mats[i]);
	if (!ok_mat) {
		fprintf(stderr, "%s: --mat '%s' is not start, 05K, 10K, ... 40K or Finish\n", prog,
			mat);
		return 2;
	}
	if (e->proto != P_RR && !connect_s) {
		fprintf(stderr, "%s: %s needs --connect HOST:PORT (the decoder connects)\n", prog,
			protocol);
		return 2;
	}
	long limit = limit_s ? strtol(limit_s, NULL, 10) : -1;
	e->speed = speed_s ? strtod(speed_s, NULL) : 1.0;
	double miss = miss_s ? strtod(miss_s, NULL) : 0;
	long strays = stray_s ? strtol(stray_s, NULL, 10) : 0;
	e->skew_ms = skew_s ? strtoll(skew_s, NULL, 10) : 0;
	rng = seed_s ? strtoull(seed_s, NULL, 10) : 1;
	for (const char *m = mat; *m; m++)
		rng = rng * 131 + (unsigned char)*m; /* each mat its own stream */
	long linger = linger_s ? strtol(linger_s, NULL, 10) : 1500;
	long drop_after = drop_s ? strtol(drop_s, NULL, 10) : -1;
	long down_ms = down_s ? strtol(down_s, NULL, 10) : 1000;
	long down_reads = down_reads_s ? strtol(down_reads_s, NULL, 10) : 0;
	long cuts = 0;
	bool want_cut = false, holding = false; /* a cut asked for; a cut link held down */
	int64_t down_until = 0;
	size_t cut_from = 0;
	e->utc_off_min = -300;
	if (utc_s) {
		int hh, mm;
		char sign;
		if (sscanf(utc_s, "%c%d:%d", &sign, &hh, &mm) != 3 || (sign != '+' && sign != '-')) {
			fprintf(stderr, "%s: --utc-offset '%s' is not +HH:MM\n", prog, utc_s);
			return 2;
		}
		e->utc_off_min = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
	}
	static char namebuf[80];
	snprintf(namebuf, sizeof(namebuf), "emu-%s", mat);
	e->name = name_s ? name_s : namebuf;
	snprintf(e->loc, sizeof(e->loc), "%s", mat);
	if (miss < 0 || miss > 1 || strays < 0 || e->speed < 0 || down_ms < 0 || down_reads < 0) {
		fprintf(stderr,
			"%s: --miss is 0..1, --stray, --speed, --down-ms and --down-reads >= 0\n",
			prog);
		return 2;
	}

	/* race day 2023-10-08, local midnight in UTC ms */
	int64_t day_utc = (int64_t)rdr_days(2023, 10, 8) * 86400000 -
			  (int64_t)e->utc_off_min * 60000;
	stats st = {0};
	if (load(data, mat, limit, day_utc, miss, e->proto == P_RR, &st))
		return 1;
	if (nreads && strays) {
		int64_t lo = reads[0].t, hi = reads[0].t;
		for (size_t i = 0; i < nreads; i++) {
			lo = reads[i].t < lo ? reads[i].t : lo;
			hi = reads[i].t > hi ? reads[i].t : hi;
		}
		for (long i = 1; i <= strays; i++) {
			char chip[24];
			snprintf(chip, sizeof(chip), "S%04ld", i);
			add_read(lo + (int64_t)(rndf() * (double)(hi - lo)), chip, -75, 1);
			st.strays++;
		}
	}
	qsort(reads, nreads, sizeof(*reads), cmp_read);
	fetched = sl_calloc(nreads + 1, 1);
	if (sim_s) {
		long long w0, r0;
		double sp;
		if (sscanf(sim_s, "%lld:%lld:%lf", &w0, &r0, &sp) != 3 || !(sp > 0)) {
			fprintf(stderr, "%s: --sim-clock '%s' is not WALL0:RACE0:SPEED\n", prog, sim_s);
			return 2;
		}
		e->wall0 = w0;
		e->race0 = r0;
		e->speed = sp;
	} else {
		e->wall0 = sl_now_ms();
		e->race0 = nreads ? reads[0].t - 1000 : 0;
	}
	sl_info("%s on mat %s: %ld runners, %ld crossings, %zu reads", protocol, mat, st.runners,
		st.crossings, nreads);

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGUSR1, on_usr1);
	int lfd = -1;
	if (e->proto == P_RR) {
		int port = port_s ? atoi(port_s) : RRP_PORT;
		lfd = tcp_listen(listen_s ? listen_s : "127.0.0.1", port);
		if (lfd < 0) {
			fprintf(stderr, "%s: cannot listen on port %d: %s\n", prog, port,
				strerror(errno));
			return 1;
		}
		sl_info("listening like a RaceResult decoder on port %d", port);
	}
	int64_t done_at = -1, backoff = 100, next_try = 0;
	int rc = 0;
	while (!stop_flag) {
		int64_t now = true_now(e);
		while (e->next < nreads && reads[e->next].t <= now)
			e->next++;
		if (e->down && !e->noted && e->next > e->down_from) {
			e->noted = true;
			note("emu: read %zu came due with the link down\n", e->down_from + 1);
		}
		if (cut_flag) {
			cut_flag = 0;
			want_cut = true;
		}
		if (drop_after >= 0 && (long)e->next >= drop_after) {
			drop_after = -1; /* once */
			want_cut = true;
		}
		/* MYLAPS: a message in flight first, so that the cut leaves one unacked */
		if (want_cut && e->fd >= 0 && e->proto == P_MLP && !e->inflight_end)
			pump_out(e);
		if (want_cut && e->fd >= 0 && (e->proto != P_MLP || e->inflight_end)) {
			want_cut = false;
			cuts++;
			sl_info("cutting the link after %zu reads due, down %ld ms and %ld reads",
				e->next, down_ms, down_reads);
			drop_conn(e, "cut (fault injection)");
			holding = true;
			cut_from = e->next;
			down_until = sl_now_ms() + down_ms;
		}
		if (holding && sl_now_ms() >= down_until &&
		    (e->next - cut_from >= (size_t)down_reads || e->next == nreads))
			holding = false;
		if (e->fd < 0 && e->proto != P_RR && !holding && sl_now_ms() >= next_try) {
			e->fd = tcp_connect(connect_s);
			if (e->fd < 0) {
				next_try = sl_now_ms() + backoff;
				backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
			} else {
				backoff = 100;
				sl_info("connected to %s", connect_s);
				link_up(e);
				open_frame(e);
				if (e->proto == P_MLP)
					e->inflight_end = 0;
				hello(e);
			}
		}
		if (e->fd >= 0)
			pump_out(e);
		bool all = e->next == nreads &&
			   (e->proto == P_RR    ? e->push && e->pushed == nreads
			    : e->proto == P_MLP ? e->acked == nreads
						: e->fd >= 0 && e->state == 1 && e->sent == nreads);
		if (all && done_at < 0)
			done_at = sl_now_ms();
		if (done_at >= 0 && sl_now_ms() - done_at >= linger)
			break;
		struct pollfd p[2];
		int np = 0;
		if (e->fd >= 0)
			p[np++] = (struct pollfd){.fd = e->fd, .events = POLLIN};
		if (lfd >= 0)
			p[np++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		if (poll(p, (nfds_t)np, 5) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < np; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[i].fd == lfd) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				if (fd < 0)
					continue;
				if (holding) {
					close(fd); /* the link is cut */
					continue;
				}
				if (e->fd >= 0)
					drop_conn(e, "a new reader connected");
				e->fd = set_sock(fd);
				link_up(e);
				open_frame(e);
				sl_info("reader connected");
			} else if (e->fd >= 0) {
				pump_in(e);
			}
		}
	}
	if (e->fd >= 0) {
		close(e->fd);
		rdr_frame_release(&e->fr);
	}
	if (lfd >= 0)
		close(lfd);
	if (stop_flag)
		rc = 1;
	size_t due_down = 0, fetched_down = 0;
	for (size_t i = 0; i < ndowns; i++)
		for (size_t j = downs[i].lo; j < downs[i].hi; j++) {
			due_down++;
			fetched_down += fetched[j];
		}
	printf("emu: %s %s: runners %ld, crossings %ld, reads %zu, strays %ld, chip B %ld, "
	       "estimated skipped %ld, missing %ld, duplicate bibs %ld, reported %zu, cuts %ld, "
	       "due while down %zu, fetched %zu of them, resent %zu\n",
	       protocol, mat, st.runners, st.crossings, nreads, st.strays, st.miss_a, st.estimated,
	       st.missing, st.dup_bibs, e->next, cuts, due_down, fetched_down, e->resent);
	free(downs);
	free(fetched);
	free(reads);
	return rc;
}

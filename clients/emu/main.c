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
#include <math.h>
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
#include "mats.h"
#include "opt.h"
#include "outbox.h"
#include "ctp.h"
#include "jcp.h"
#include "mlp.h"
#include "rrp.h"

static const char *prog = "splitline-emu";

static const char usage_head[] =
	"usage: splitline-emu --protocol raceresult|chronotrack|mylaps|jchip --mat MAT\n"
	"                     --data chicago-2023-mats.csv [options]\n"
	"\n"
	"Emulates the decoder on one mat of the Chicago 2023 marathon.\n";

enum {
	O_PROTOCOL,
	O_DATA,
	O_MAT,
	O_LIMIT,
	O_PORT,
	O_LISTEN,
	O_CONNECT,
	O_SPEED,
	O_SIM_CLOCK,
	O_MISS,
	O_STRAY,
	O_SKEW_MS,
	O_SEED,
	O_NAME,
	O_UTC_OFFSET,
	O_LINGER_MS,
	O_DROP_AFTER,
	O_DOWN_MS,
	O_DOWN_READS,
	O_N
};

#define DAY_MS 86400000
#define MANY 1000000000 /* reads, runners: no real bound */
/* The options, in the order --help shows them. */
static opt opts[O_N + 1] = {
	[O_PROTOCOL] = {"--protocol", OPT_ENUM, .choices = "raceresult|chronotrack|mylaps|jchip"},
	[O_DATA] = {"--data", OPT_STR},
	[O_MAT] = {"--mat", OPT_STR, .syn = "--mat MAT",
		   .help = "start, 05K, 10K, 15K, 20K, HALF, 25K, 30K, 35K, 40K or Finish"},
	[O_LIMIT] = {"--limit", OPT_INT, NULL, 0, MANY, .syn = "--limit N",
		     .help = "the first N runners of the file (default all)"},
	[O_PORT] = {"--port", OPT_INT, "3601", 1, 65535, .syn = "--port P",
		    .help = "raceresult: listen on 127.0.0.1:P (default 3601)"},
	[O_LISTEN] = {"--listen", OPT_STR, "127.0.0.1", .syn = "--listen ADDR",
		      .help = "raceresult: the address to listen on (default 127.0.0.1)"},
	[O_CONNECT] = {"--connect", OPT_STR, .syn = "--connect HOST:PORT",
		       .help = "others: the reader to connect to"},
	[O_SPEED] = {"--speed", OPT_NUM, "1", .dmin = 0, .dmax = HUGE_VAL, .syn = "--speed X",
		     .help = "race time runs X times faster (default 1; 0: no pacing)"},
	[O_SIM_CLOCK] = {"--sim-clock", OPT_STR, .syn = "--sim-clock W:R:S",
			 .help = "true time = R + (now - W) * S (ms), as the reader's"},
	[O_MISS] = {"--miss", OPT_NUM, "0", .dmin = 0, .dmax = 1, .syn = "--miss P",
		    .help = "probability chip A is not read on a crossing (B is)"},
	[O_STRAY] = {"--stray", OPT_INT, "0", 0, MANY, .syn = "--stray N",
		     .help = "N reads of unknown tags S0001.."},
	[O_SKEW_MS] = {"--skew-ms", OPT_INT, "0", -DAY_MS, DAY_MS, .syn = "--skew-ms S",
		       .help = "the decoder clock runs S ms ahead of true time"},
	[O_SEED] = {"--seed", OPT_U64, "1", .umax = UINT64_MAX, .syn = "--seed S",
		    .help = "random seed (default 1)"},
	[O_NAME] = {"--name", OPT_STR, .syn = "--name NAME", .help = "decoder name (default emu-MAT)"},
	[O_UTC_OFFSET] = {"--utc-offset", OPT_STR, .syn = "--utc-offset +HH:MM",
			  .help = "the decoder's time zone (default -05:00, Chicago in October)"},
	[O_LINGER_MS] = {"--linger-ms", OPT_INT, "1500", 0, DAY_MS, .syn = "--linger-ms N",
			 .help = "stay connected N ms after the last read (default 1500)"},
	[O_DROP_AFTER] = {"--drop-after", OPT_INT, NULL, 0, MANY, .syn = "--drop-after N",
			  .help = "cut the link once N reads are due (also on SIGUSR1)"},
	[O_DOWN_MS] = {"--down-ms", OPT_INT, "1000", 0, DAY_MS, .syn = "--down-ms N",
		       .help = "keep a cut link down N ms (default 1000)"},
	[O_DOWN_READS] = {"--down-reads", OPT_INT, "0", 0, MANY, .syn = "--down-reads N",
			  .help = "... and until N more reads have come due (default 0)"},
};

static void usage(FILE *f)
{
	fputs(usage_head, f);
	opt_help(opts, 19, f);
}


enum proto { P_RR, P_CTP, P_MLP, P_JCP };

/* reads [lo, hi) came due while the link was down */
typedef struct span {
	size_t lo, hi;
} span;

static span *downs;
static size_t ndowns, capdowns;
static unsigned char *fetched; /* RaceResult: read i was sent in answer to a fetch */

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

/* ---- main ---- */

/* The link cuts and the run's end (see the top of this file). */
typedef struct plan {
	long drop_after, down_ms, down_reads, linger, cuts;
	bool want_cut, holding; /* a cut asked for; a cut link held down */
	int64_t down_until, done_at, next_try;
	size_t cut_from;
	outbox_backoff backoff; /* between connects to the reader */
} plan;

/* The command line into e; -1 to go on, else the exit status. */
static int parse_args(emu *e, int argc, char **argv)
{
	const char *pos[1];
	int npos;
	int pr = opt_cli(opts, argc - 1, argv + 1, pos, 1, &npos, prog, usage, OPT_ON_ERROR_USAGE);
	if (pr >= 0)
		return pr;
	const char *protocol = opts[O_PROTOCOL].val, *mat = opts[O_MAT].val;
	if (npos || !protocol || !mat || !opts[O_DATA].val) {
		fprintf(stderr, "%s: --protocol, --mat and --data are required\n", prog);
		usage(stderr);
		return 2;
	}
	static const int protos[] = {P_RR, P_CTP, P_MLP, P_JCP};
	e->proto = protos[opts[O_PROTOCOL].e];
	if (!mats_valid(mat)) {
		fprintf(stderr, "%s: --mat '%s' is not start, 05K, 10K, ... 40K or Finish\n", prog,
			mat);
		return 2;
	}
	if (e->proto != P_RR && !opts[O_CONNECT].val) {
		fprintf(stderr, "%s: %s needs --connect HOST:PORT (the decoder connects)\n", prog,
			protocol);
		return 2;
	}
	e->speed = opts[O_SPEED].d;
	e->skew_ms = opts[O_SKEW_MS].i;
	mats_seed(opts[O_SEED].u, mat);
	e->utc_off_min = -300;
	const char *utc = opts[O_UTC_OFFSET].val;
	if (utc && opt_utc_offset(utc, &e->utc_off_min) < 0) {
		fprintf(stderr, "%s: --utc-offset '%s' is not +HH:MM\n", prog, utc);
		return 2;
	}
	static char namebuf[80];
	snprintf(namebuf, sizeof(namebuf), "emu-%s", mat);
	e->name = opts[O_NAME].val ? opts[O_NAME].val : namebuf;
	snprintf(e->loc, sizeof(e->loc), "%s", mat);
	return -1;
}

/* The reads (file, strays, sorted) and the clock; -1 or the exit status. */
static int make_reads(emu *e, mats_stats *st)
{
	/* race day 2023-10-08, local midnight in UTC ms */
	int64_t day_utc = (int64_t)rdr_days(2023, 10, 8) * 86400000 -
			  (int64_t)e->utc_off_min * 60000;
	long limit = opts[O_LIMIT].val ? (long)opts[O_LIMIT].i : -1;
	if (mats_load(opts[O_DATA].val, opts[O_MAT].val, limit, day_utc, opts[O_MISS].d,
		      e->proto == P_RR, st))
		return 1;
	mats_strays((long)opts[O_STRAY].i, st);
	mats_sort();
	fetched = sl_calloc(nreads + 1, 1);
	const char *sim = opts[O_SIM_CLOCK].val;
	if (sim && opt_sim_clock(sim, &e->wall0, &e->race0, &e->speed) < 0) {
		fprintf(stderr, "%s: --sim-clock '%s' is not WALL0:RACE0:SPEED\n", prog, sim);
		return 2;
	} else if (!sim) {
		e->wall0 = sl_now_ms();
		e->race0 = nreads ? reads[0].t - 1000 : 0;
	}
	sl_info("%s on mat %s: %ld runners, %ld crossings, %zu reads", opts[O_PROTOCOL].val,
		opts[O_MAT].val, st->runners, st->crossings, nreads);
	return -1;
}

/* A cut asked for (SIGUSR1, --drop-after) happens once the link is up
 * (MYLAPS: with a message in flight); a cut link comes back after
 * --down-ms and --down-reads. */
static void cuts(emu *e, plan *p)
{
	if (cut_flag) {
		cut_flag = 0;
		p->want_cut = true;
	}
	if (p->drop_after >= 0 && (long)e->next >= p->drop_after) {
		p->drop_after = -1; /* once */
		p->want_cut = true;
	}
	/* MYLAPS: a message in flight first, so that the cut leaves one unacked */
	if (p->want_cut && e->fd >= 0 && e->proto == P_MLP && !e->inflight_end)
		pump_out(e);
	if (p->want_cut && e->fd >= 0 && (e->proto != P_MLP || e->inflight_end)) {
		p->want_cut = false;
		p->cuts++;
		sl_info("cutting the link after %zu reads due, down %ld ms and %ld reads", e->next,
			p->down_ms, p->down_reads);
		drop_conn(e, "cut (fault injection)");
		p->holding = true;
		p->cut_from = e->next;
		p->down_until = sl_now_ms() + p->down_ms;
	}
	if (p->holding && sl_now_ms() >= p->down_until &&
	    (e->next - p->cut_from >= (size_t)p->down_reads || e->next == nreads))
		p->holding = false;
}

/* Not RaceResult: connect to the reader when the link may be up. */
static void connect_step(emu *e, plan *p)
{
	const char *to = opts[O_CONNECT].val;
	if (e->fd >= 0 || e->proto == P_RR || p->holding || sl_now_ms() < p->next_try)
		return;
	e->fd = tcp_connect(to);
	if (e->fd < 0) {
		p->next_try = sl_now_ms() + outbox_backoff_next(&p->backoff);
		return;
	}
	outbox_backoff_reset(&p->backoff);
	sl_info("connected to %s", to);
	link_up(e);
	open_frame(e);
	if (e->proto == P_MLP)
		e->inflight_end = 0;
	hello(e);
}

/* Wait up to 5 ms for the reader (or, RaceResult, a reader connecting). */
static bool poll_step(emu *e, plan *p, int lfd)
{
	struct pollfd pf[2];
	int np = 0;
	if (e->fd >= 0)
		pf[np++] = (struct pollfd){.fd = e->fd, .events = POLLIN};
	if (lfd >= 0)
		pf[np++] = (struct pollfd){.fd = lfd, .events = POLLIN};
	if (poll(pf, (nfds_t)np, 5) < 0 && errno != EINTR)
		return false;
	for (int i = 0; i < np; i++) {
		if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (pf[i].fd != lfd) {
			if (e->fd >= 0)
				pump_in(e);
			continue;
		}
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (p->holding) {
			close(fd); /* the link is cut */
			continue;
		}
		if (e->fd >= 0)
			drop_conn(e, "a new reader connected");
		e->fd = set_sock(fd);
		link_up(e);
		open_frame(e);
		sl_info("reader connected");
	}
	return true;
}

/* Report the reads as they come due until all are sent (and acked) plus
 * --linger-ms, or a signal. */
static void run(emu *e, plan *p, int lfd)
{
	while (!stop_flag) {
		int64_t now = true_now(e);
		while (e->next < nreads && reads[e->next].t <= now)
			e->next++;
		if (e->down && !e->noted && e->next > e->down_from) {
			e->noted = true;
			note("emu: read %zu came due with the link down\n", e->down_from + 1);
		}
		cuts(e, p);
		connect_step(e, p);
		if (e->fd >= 0)
			pump_out(e);
		bool all = e->next == nreads &&
			   (e->proto == P_RR    ? e->push && e->pushed == nreads
			    : e->proto == P_MLP ? e->acked == nreads
						: e->fd >= 0 && e->state == 1 && e->sent == nreads);
		if (all && p->done_at < 0)
			p->done_at = sl_now_ms();
		if (p->done_at >= 0 && sl_now_ms() - p->done_at >= p->linger)
			break;
		if (!poll_step(e, p, lfd))
			break;
	}
}

int main(int argc, char **argv)
{
	sl_log_set_prefix(prog);
	sl_log_level = SL_LOG_INFO;
	static emu E;
	emu *e = &E;
	e->fd = -1;
	int rc = parse_args(e, argc, argv);
	if (rc >= 0)
		return rc;
	mats_stats st = {0};
	rc = make_reads(e, &st);
	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGUSR1, on_usr1);
	int lfd = -1;
	if (e->proto == P_RR) {
		int port = (int)opts[O_PORT].i;
		lfd = tcp_listen(opts[O_LISTEN].val, port);
		if (lfd < 0) {
			fprintf(stderr, "%s: cannot listen on port %d: %s\n", prog, port,
				strerror(errno));
			return 1;
		}
		sl_info("listening like a RaceResult decoder on port %d", port);
	}
	plan p = {.drop_after = opts[O_DROP_AFTER].val ? (long)opts[O_DROP_AFTER].i : -1,
		  .down_ms = (long)opts[O_DOWN_MS].i,
		  .down_reads = (long)opts[O_DOWN_READS].i,
		  .linger = (long)opts[O_LINGER_MS].i,
		  .done_at = -1};
	outbox_backoff_init(&p.backoff, 100, 2000, 0, 1);
	run(e, &p, lfd);
	if (e->fd >= 0) {
		close(e->fd);
		rdr_frame_release(&e->fr);
	}
	if (lfd >= 0)
		close(lfd);
	rc = stop_flag ? 1 : 0;
	size_t due_down = 0, fetched_down = 0;
	for (size_t i = 0; i < ndowns; i++)
		for (size_t j = downs[i].lo; j < downs[i].hi; j++) {
			due_down++;
			fetched_down += fetched[j];
		}
	printf("emu: %s %s: runners %ld, crossings %ld, reads %zu, strays %ld, chip B %ld, "
	       "estimated skipped %ld, missing %ld, duplicate bibs %ld, reported %zu, cuts %ld, "
	       "due while down %zu, fetched %zu of them, resent %zu\n",
	       opts[O_PROTOCOL].val, opts[O_MAT].val, st.runners, st.crossings, nreads, st.strays,
	       st.miss_a, st.estimated, st.missing, st.dup_bibs, e->next, p.cuts, due_down,
	       fetched_down, e->resent);
	free(downs);
	free(fetched);
	free(reads);
	return rc;
}

/*
 * fanout_load.c: many WebSocket subscribers on one libuv loop, for the
 * fan-out bench (scripts/bench/fanout drives it).
 *
 *   fanout_load HOST PORT PATH NCONNS SRC_ADDR SUBPROTOCOL|- [TEXT...]
 *
 * Opens NCONNS connections from SRC_ADDR (a 127.0.0.x address: each source
 * address has its own ~28,000 ephemeral ports, so the driver gives every
 * process its own), at most MAX_PENDING handshakes at a time, performs the
 * upgrade (with SUBPROTOCOL unless "-"), then sends each TEXT as one masked
 * text frame (a hello, then a subscribe) and counts the data frames it
 * receives.  It answers pings; it never checks what the server sends beyond
 * the status line of the upgrade and the frame headers.
 *
 * Output on stdout, one line each:
 *   every second  "tick up=U failed=F closed=C frames=N bytes=B" (cumulative)
 *   on SIGUSR1    "mark K ns=T frames=N bytes=B": the first mark opens the
 *                 measuring window, the second closes it
 *   on SIGTERM    "bcast HASH FIRST LAST N" per broadcast first seen inside
 *                 the window, then "end", and it exits
 * A broadcast is a payload: identical bytes received by many connections are
 * one broadcast; FIRST and LAST are its first and last arrival (CLOCK_MONOTONIC
 * ns, comparable between processes), N how many connections received it.
 * The driver merges the lines of several processes and computes the spread
 * of each broadcast that reached at least 90% of the subscribers.
 *
 * Memory: one shared 256 KiB read buffer; a connection keeps bytes only when
 * a frame is cut between two reads (its own buffer, freed when drained), so
 * 20,000 connections cost little more than their uv_tcp_t.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define MAX_PENDING 256
#define RDBUF (256 * 1024)
#define SP_BITS 18
#define SP_N (1u << SP_BITS)

struct conn {
	uv_tcp_t tcp;
	int upgraded;
	char *keep; /* bytes of a frame cut between reads, or NULL */
	size_t nkeep;
};

struct bcast {
	uint64_t h, first, last;
	uint32_t n;
};

static const char *host, *path, *subproto, *src_addr;
static char **texts;
static int port, nconns, ntexts, started, pending;
static uint64_t frames, bytes, upgraded, failed, closed;
static int window; /* 0 before the first mark, 1 inside, 2 after */
static int marks, sp_full;
static struct bcast *sp;
static uv_loop_t *loop;
static uv_timer_t tick, ramp;
static uv_signal_t sig_mark, sig_term, sig_int;
static char rdbuf[RDBUF];

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "fanout_load: out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- broadcasts ----------------------------------------------------------- */

static void bcast_add(const unsigned char *p, uint64_t n)
{
	uint64_t h = 1469598103934665603ull, t = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	h |= 1; /* 0 marks a free slot */
	for (uint32_t i = (uint32_t)h & (SP_N - 1), k = 0; k < SP_N / 2; i = (i + 1) & (SP_N - 1), k++) {
		if (sp[i].h == h) {
			sp[i].last = t;
			sp[i].n++;
			return;
		}
		if (!sp[i].h) {
			if (window != 1)
				return; /* only broadcasts that start inside the window */
			sp[i] = (struct bcast){h, t, t, 1};
			return;
		}
	}
	sp_full++;
}

static void dump_and_exit(void)
{
	for (uint32_t i = 0; i < SP_N; i++)
		if (sp[i].h)
			printf("bcast %016llx %llu %llu %u\n", (unsigned long long)sp[i].h,
			       (unsigned long long)sp[i].first, (unsigned long long)sp[i].last,
			       sp[i].n);
	printf("end table_full=%d\n", sp_full);
	fflush(stdout);
	exit(0);
}

/* ---- connections ---------------------------------------------------------- */

static void on_write(uv_write_t *w, int st)
{
	free(w->data);
	free(w);
}

/* Queues a copy of p[0..n) on c. */
static void send_raw(struct conn *c, const void *p, size_t n)
{
	uv_write_t *w = xmalloc(sizeof *w);
	char *cp = xmalloc(n);
	uv_buf_t b = uv_buf_init(cp, (unsigned)n);

	memcpy(cp, p, n);
	w->data = cp;
	if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
		free(cp);
		free(w);
	}
}

static void send_text(struct conn *c, const char *s)
{
	static const unsigned char mask[4] = {0x5a, 0xa5, 0x3c, 0xc3};
	size_t n = strlen(s), h = 0;
	unsigned char *f = xmalloc(n + 14);

	f[h++] = 0x81;
	if (n < 126) {
		f[h++] = 0x80 | (unsigned char)n;
	} else if (n < 65536) {
		f[h++] = 0x80 | 126;
		f[h++] = (unsigned char)(n >> 8);
		f[h++] = (unsigned char)n;
	} else {
		f[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			f[h++] = (unsigned char)(n >> (8 * i));
	}
	memcpy(f + h, mask, 4);
	h += 4;
	for (size_t i = 0; i < n; i++)
		f[h + i] = (unsigned char)s[i] ^ mask[i & 3];
	send_raw(c, f, h + n);
	free(f);
}

static void on_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	free(c->keep);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void start_some(void);

/* The end of c's handshake, good or bad: room for one more. */
static void handshake_done(void)
{
	pending--;
	start_some();
}

/* Consumes the upgrade response at p[0..n); returns the bytes used, 0 when
 * incomplete, -1 when refused (c is closing). */
static long parse_upgrade(struct conn *c, const char *p, size_t n)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);

	if (!e)
		return 0;
	if (n < 12 || memcmp(p + 9, "101", 3) != 0) {
		failed++;
		handshake_done();
		conn_close(c);
		return -1;
	}
	c->upgraded = 1;
	upgraded++;
	handshake_done();
	for (int i = 0; i < ntexts; i++)
		send_text(c, texts[i]);
	return (long)(e - p) + 4;
}

/* Consumes whole frames of p[0..n); returns the bytes used. */
static size_t parse_frames(struct conn *c, const unsigned char *p, size_t n)
{
	size_t off = 0;

	while (n - off >= 2) {
		const unsigned char *f = p + off;
		int op = f[0] & 15;
		uint64_t len = f[1] & 127;
		size_t h = 2;

		if (len == 126) {
			if (n - off < 4)
				break;
			len = ((uint64_t)f[2] << 8) | f[3];
			h = 4;
		} else if (len == 127) {
			if (n - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = (len << 8) | f[2 + i];
			h = 10;
		}
		if (n - off - h < len)
			break;
		if (op <= 2) {
			frames++;
			bytes += len;
			bcast_add(f + h, len);
		} else if (op == 9) {
			static const unsigned char pong[6] = {0x8a, 0x80, 0, 0, 0, 0};
			send_raw(c, pong, sizeof pong);
		}
		off += h + (size_t)len;
	}
	return off;
}

/* Parses p[0..n) for c and keeps what is left of a cut frame. */
static void consume(struct conn *c, const char *p, size_t n)
{
	size_t off = 0;

	if (!c->upgraded) {
		long u = parse_upgrade(c, p, n);
		if (u <= 0) {
			if (u == 0 && n > 8192) {
				failed++;
				handshake_done();
				conn_close(c);
			} else if (u == 0) {
				goto keep;
			}
			return;
		}
		off = (size_t)u;
	}
	off += parse_frames(c, (const unsigned char *)p + off, n - off);
keep:
	if (off == n) {
		free(c->keep);
		c->keep = NULL;
		c->nkeep = 0;
		return;
	}
	char *k = xmalloc(n - off);
	memcpy(k, p + off, n - off);
	free(c->keep);
	c->keep = k;
	c->nkeep = n - off;
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	*b = uv_buf_init(rdbuf, sizeof rdbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;

	if (n < 0) {
		closed++;
		if (!c->upgraded)
			handshake_done();
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	if (!c->keep) {
		consume(c, b->base, (size_t)n);
		return;
	}
	char *all = xmalloc(c->nkeep + (size_t)n);
	memcpy(all, c->keep, c->nkeep);
	memcpy(all + c->nkeep, b->base, (size_t)n);
	consume(c, all, c->nkeep + (size_t)n);
	free(all);
}

static void on_connect(uv_connect_t *req, int st)
{
	struct conn *c = req->data;
	char rq[1024];
	int n;

	free(req);
	if (st < 0) {
		failed++;
		handshake_done();
		conn_close(c);
		return;
	}
	n = snprintf(rq, sizeof rq,
		     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
		     path, host, port, subproto ? "Sec-WebSocket-Protocol: " : "",
		     subproto ? subproto : "", subproto ? "\r\n" : "");
	send_raw(c, rq, (size_t)n);
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void start_some(void)
{
	struct sockaddr_in src, dst;

	uv_ip4_addr(src_addr, 0, &src);
	uv_ip4_addr(host, port, &dst);
	while (pending < MAX_PENDING && started < nconns) {
		struct conn *c = xmalloc(sizeof *c);
		uv_connect_t *r = xmalloc(sizeof *r);

		memset(c, 0, sizeof *c);
		started++;
		pending++;
		uv_tcp_init(loop, &c->tcp);
		c->tcp.data = c;
		r->data = c;
		if (uv_tcp_bind(&c->tcp, (struct sockaddr *)&src, 0) < 0 ||
		    uv_tcp_connect(r, &c->tcp, (struct sockaddr *)&dst, on_connect) < 0) {
			free(r);
			failed++;
			pending--;
			conn_close(c);
		}
	}
}

/* ---- the driver's clock --------------------------------------------------- */

static void on_ramp(uv_timer_t *t)
{
	start_some(); /* connects refused synchronously leave room: retry later */
	if (started >= nconns)
		uv_timer_stop(t);
}

static void on_tick(uv_timer_t *t)
{
	printf("tick up=%llu failed=%llu closed=%llu frames=%llu bytes=%llu\n",
	       (unsigned long long)upgraded, (unsigned long long)failed,
	       (unsigned long long)closed, (unsigned long long)frames, (unsigned long long)bytes);
	fflush(stdout);
}

static void on_signal(uv_signal_t *s, int signum)
{
	if (signum != SIGUSR1) {
		dump_and_exit();
		return;
	}
	marks++;
	window = window < 2 ? window + 1 : 2;
	printf("mark %d ns=%llu frames=%llu bytes=%llu\n", marks, (unsigned long long)now_ns(),
	       (unsigned long long)frames, (unsigned long long)bytes);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: fanout_load HOST PORT PATH NCONNS SRC_ADDR SUBPROTOCOL|- "
				"[TEXT...]\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	path = argv[3];
	nconns = atoi(argv[4]);
	src_addr = argv[5];
	subproto = strcmp(argv[6], "-") ? argv[6] : NULL;
	texts = argv + 7;
	ntexts = argc - 7;
	if (port <= 0 || port > 65535 || nconns <= 0) {
		fprintf(stderr, "fanout_load: bad port '%s' or connection count '%s'\n", argv[2],
			argv[4]);
		return 2;
	}
	sp = calloc(SP_N, sizeof *sp);
	if (!sp)
		return 1;
	loop = uv_default_loop();
	uv_timer_init(loop, &ramp);
	uv_timer_start(&ramp, on_ramp, 0, 20);
	uv_timer_init(loop, &tick);
	uv_timer_start(&tick, on_tick, 1000, 1000);
	uv_signal_init(loop, &sig_mark);
	uv_signal_start(&sig_mark, on_signal, SIGUSR1);
	uv_signal_init(loop, &sig_term);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_init(loop, &sig_int);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	return uv_run(loop, UV_RUN_DEFAULT);
}

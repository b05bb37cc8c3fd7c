/*
 * splitline-reader: one process per timing point (or per decoder).  It
 * takes the reads of RFID timing decoders as they come off the wire,
 * journals them, filters them into passings and forwards those to the
 * Splitline server as a device.
 *
 * Design (two threads):
 *  - the loop thread (libuv) does all decoder I/O: a TCP client for
 *    RaceResult (we connect, push mode, gap fetch by passing number), a TCP
 *    server for ChronoTrack CTP01, MYLAPS and JChip (the decoder connects).
 *    Each read is appended to the raw journal (raw.jrn) and fed to the
 *    filter (flt.h); passings it makes go to the passings journal
 *    (pass.jrn).  After each chunk of input and on a 100 ms timer both
 *    journals are fdatasynced, and only then are the new passings handed
 *    to the forwarder and the decoder's messages acknowledged (MYLAPS).
 *  - the forwarder thread (fwd.h) sends pass.jrn record i as device seq i,
 *    persists the acked position (acked), resends after reconnects.
 * Restart: pass.jrn is loaded into the forwarder (from acked + 1 unsent),
 * every chip's last passing seeds the filter, and every raw read of
 * raw.jrn is fed again (the filter never makes a passing twice: flt.h);
 * RaceResult passing numbers seen are rebuilt from raw.jrn, so a
 * reconnect fetches exactly the missing ones.
 * Clock: each decoder connection gets an offset (decoder clock minus our
 * reference clock): measured at the handshake (RaceResult GETTIME, JChip
 * GT), else estimated from reads (the largest read time minus arrival
 * time).  Past --clock-warn-ms it is logged.  Times are corrected by the
 * handshake offset (or --clock-offset-ms when given); --no-clock-fix keeps
 * the decoder's clock.  The reference clock is the wall clock, or with
 * --sim-clock WALL0:RACE0:SPEED a race clock running SPEED times faster
 * (emulated races).
 * Rescoring (--rescore, rsc.h): raw.jrn filtered again with other
 * settings into <journal>/rescore-<device>/pass.jrn, forwarded as that new
 * device by the same forwarder until all is acked; no decoder, no loop.
 * Status: a line on stderr every --status-every seconds and
 * <journal>/status.json every second (connected, decoders, raw, passings,
 * acked, pending, last read, faults).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cliutil.h"
#include "ctp.h"
#include "flt.h"
#include "fwd.h"
#include "jcp.h"
#include "jrn.h"
#include "mlp.h"
#include "rrp.h"
#include "rsc.h"

static const char *prog = "splitline-reader";

static const char usage[] =
	"usage: splitline-reader --protocol raceresult|chronotrack|mylaps|jchip --point PT\n"
	"                        --journal DIR [--config FILE] [options]\n"
	"\n"
	"Bridges a timing decoder to the Splitline server as device --device.\n"
	"  --config FILE        'key: value' lines, keys are these options without '--'\n"
	"  --protocol P         the decoder's line protocol\n"
	"  --decoder HOST:PORT  raceresult: the decoder to connect to (port 3601)\n"
	"  --listen ADDR:PORT   others: where the decoder connects (default 0.0.0.0 and\n"
	"                       61611 chronotrack, 3097 mylaps, 53135 jchip)\n"
	"  --point PT           the timing point of every read\n"
	"  --device ID          device id (default reader-PT)\n"
	"  --journal DIR        journal directory (raw.jrn, pass.jrn, acked, status.json)\n"
	"  --server URL --event ID --token T | --token-file F   as for splitline\n"
	"  --date YYYY-MM-DD    race date for decoders that send none (default today)\n"
	"  --utc-offset +HH:MM  the decoders' local time zone (default this machine's)\n"
	"  --gap-ms N           quiet gap closing a read group (default 400)\n"
	"  --group-time M       first|last|peak (default first)\n"
	"  --dead-ms N          dead time per chip (default 3000)\n"
	"  --clock-warn-ms N    warn when a decoder clock is off more (default 1000)\n"
	"  --clock-offset-ms N  decoder clock minus true time, for every connection\n"
	"  --no-clock-fix       keep the decoder's clock\n"
	"  --sim-clock W:R:S    reference clock = R + (now - W) * S (ms; emulated races)\n"
	"  --batch N --window W batches to the server (default 500, 4)\n"
	"  --status-every S     status line on stderr every S seconds (0: never, default 10)\n"
	"\n"
	"Rescoring (raw reads are never thrown away):\n"
	"  splitline-reader --rescore --journal DIR --device NEWDEV --point PT\n"
	"                   [--gap-ms N] [--group-time M] [--dead-ms N] --server ... --token ...\n"
	"  filters DIR/raw.jrn again with these settings into DIR/rescore-NEWDEV/pass.jrn\n"
	"  and forwards those passings as the new device NEWDEV (seq from 1), resending\n"
	"  until all are acked, then exits 0.  The server keeps each (device, seq) once\n"
	"  and the first/last read per point: passings equal to the original ones change\n"
	"  nothing, the ones the original filter dropped fill in.  Run it again after an\n"
	"  interruption with the same settings; other settings need another NEWDEV.\n";

enum proto { P_RR, P_CTP, P_MLP, P_JCP };

typedef struct opts {
	const char *protocol, *decoder, *listen, *point, *device, *journal, *date, *utc,
		*gap, *mode, *dead, *warn, *offset, *sim, *batch, *window, *status_every, *config;
	bool no_fix, rescore;
} opts;

struct reader;

typedef struct conn {
	uv_tcp_t tcp;
	struct reader *r;
	rdr_frame fr;
	mlp_msg mm;
	bool handshake_offset; /* offset measured at the handshake */
	bool est_set;
	int64_t offset, est;
	int state;
	char name[96];
	sl_buf acks; /* replies to send once synced */
	struct conn *next;
	bool closing;
} conn;

typedef struct reader {
	uv_loop_t *loop;
	int proto;
	opts o;
	int32_t day;
	int utc_off_min;
	bool fix, fixed_offset;
	int64_t fixed_offset_ms, warn_ms;
	double sim_speed;
	int64_t sim_wall0, sim_race0;
	jrn raw, pass;
	flt *flt;
	fwd fw;
	jrn_rec *newpass;
	size_t nnew, capnew;
	conn *conns;
	int ndecoders;
	uv_tcp_t server;
	uv_timer_t tick, rr_timer;
	uv_signal_t sigint, sigterm;
	/* RaceResult: passing numbers seen */
	unsigned char *seen;
	size_t capseen;
	int64_t rr_max;
	conn *rr;
	int64_t rr_backoff;
	uint64_t faults;
	jrn_rec last;
	bool have_last;
	int64_t last_status;
	int status_every;
	char status_path[4096];
	bool refeeding;
} reader;

static int64_t ref_now(reader *r)
{
	int64_t now = sl_now_ms();
	if (r->sim_speed > 0)
		return r->sim_race0 + (int64_t)((double)(now - r->sim_wall0) * r->sim_speed);
	return now;
}

/* ---- journals and filter ---- */

static void on_pass(void *ctx, const jrn_rec *p)
{
	reader *r = ctx;
	jrn_append(&r->pass, p);
	SL_GROW(r->newpass, r->capnew, r->nnew + 1);
	r->newpass[r->nnew++] = *p;
}

/* Sync both journals, then hand new passings to the forwarder. */
static int commit(reader *r)
{
	int rc = jrn_sync(&r->raw);
	if (!rc)
		rc = jrn_sync(&r->pass);
	if (rc) {
		r->faults++;
		return rc;
	}
	for (size_t i = 0; i < r->nnew; i++)
		fwd_push(&r->fw, &r->newpass[i]);
	r->nnew = 0;
	return 0;
}

static bool rr_seen(reader *r, int64_t no)
{
	return no >= 0 && (size_t)no < r->capseen * 8 && (r->seen[no / 8] >> (no % 8) & 1);
}

static void rr_mark(reader *r, int64_t no)
{
	if (no < 0 || no > 100000000)
		return;
	size_t need = (size_t)no / 8 + 1;
	if (need > r->capseen) {
		size_t old = r->capseen;
		size_t ncap = need * 2;
		r->seen = sl_realloc(r->seen, ncap);
		memset(r->seen + old, 0, ncap - old);
		r->capseen = ncap;
	}
	r->seen[no / 8] |= (unsigned char)(1u << (no % 8));
	if (no > r->rr_max)
		r->rr_max = no;
}

/* One raw read from a decoder connection. */
static void on_raw(reader *r, conn *c, const rdr_raw *raw)
{
	if (r->proto == P_RR) {
		if (rr_seen(r, raw->no))
			return;
		rr_mark(r, raw->no);
	}
	jrn_rec rec;
	memset(&rec, 0, sizeof(rec));
	rec.dt = rdr_time(raw, r->day, r->utc_off_min);
	int64_t now = ref_now(r);
	if (c && !c->handshake_offset) {
		int64_t e = rec.dt - now;
		if (!c->est_set || e > c->est) {
			bool first = !c->est_set;
			c->est = e;
			c->est_set = true;
			if (first && llabs(e) > r->warn_ms)
				sl_warn("decoder '%s': clock looks %+lld ms off (from its reads)",
					c->name, (long long)e);
		}
	}
	int64_t off = r->fixed_offset ? r->fixed_offset_ms
		      : c && c->handshake_offset ? c->offset
						 : 0;
	rec.t = r->fix ? rec.dt - off : rec.dt;
	rec.no = raw->no;
	rec.rssi = raw->rssi;
	rec.hits = raw->hits;
	memcpy(rec.chip, raw->chip, sizeof(rec.chip));
	jrn_append(&r->raw, &rec);
	flt_feed(r->flt, &rec, on_pass, r);
	r->last = rec;
	r->have_last = true;
}

static void set_offset(reader *r, conn *c, int64_t decoder_ms)
{
	c->offset = decoder_ms - ref_now(r);
	c->handshake_offset = true;
	if (llabs(c->offset) > r->warn_ms)
		sl_warn("decoder '%s': clock is %+lld ms off; %s", c->name, (long long)c->offset,
			r->fix ? "correcting its reads" : "not correcting (--no-clock-fix)");
	else
		sl_info("decoder '%s': clock offset %+lld ms", c->name, (long long)c->offset);
}

/* ---- connections ---- */

typedef struct wreq {
	uv_write_t req;
	char *data;
} wreq;

static void on_written(uv_write_t *req, int status)
{
	wreq *w = (wreq *)req;
	free(w->data);
	free(w);
}

static void send_bytes(conn *c, const char *p, size_t n)
{
	if (c->closing || !n)
		return;
	wreq *w = sl_malloc(sizeof(*w));
	w->data = sl_malloc(n);
	memcpy(w->data, p, n);
	uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
		free(w->data);
		free(w);
	}
}

static void send_str(conn *c, const char *s)
{
	send_bytes(c, s, strlen(s));
}

static void on_closed(uv_handle_t *h)
{
	conn *c = h->data;
	rdr_frame_release(&c->fr);
	mlp_msg_release(&c->mm);
	sl_buf_release(&c->acks);
	free(c);
}

static void rr_schedule(reader *r);

static void conn_close(conn *c, const char *why)
{
	if (c->closing)
		return;
	reader *r = c->r;
	c->closing = true;
	sl_warn("decoder '%s': %s", c->name[0] ? c->name : "?", why);
	r->faults++;
	for (conn **p = &r->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	r->ndecoders--;
	if (r->rr == c) {
		r->rr = NULL;
		rr_schedule(r);
	}
	uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
	b->base = sl_malloc(65536);
	b->len = 65536;
}

static void line_rr(reader *r, conn *c, const char *s, size_t n)
{
	rrp_msg m;
	char err[160];
	if (rrp_parse(s, n, &m, err, sizeof(err)) != 0) {
		sl_warn("decoder '%s': bad line '%.*s': %s", c->name, (int)(n > 80 ? 80 : n), s, err);
		r->faults++;
		return;
	}
	if (m.type == RRP_PASSING) {
		if (m.push && m.raw.no > r->rr_max + 1) {
			char req[64];
			snprintf(req, sizeof(req), "%lld:%lld\r\n", (long long)r->rr_max + 1,
				 (long long)(m.raw.no - r->rr_max - 1));
			sl_warn("decoder '%s': passings %lld..%lld missing, fetching", c->name,
				(long long)r->rr_max + 1, (long long)m.raw.no - 1);
			send_str(c, req);
		}
		on_raw(r, c, &m.raw);
		return;
	}
	if (m.type != RRP_REPLY)
		return;
	size_t l0 = m.fl[0];
	const char *f0 = m.f[0];
#define IS(lit) (l0 == strlen(lit) && memcmp(f0, lit, l0) == 0)
	if (IS("GETPROTOCOL")) {
		send_str(c, "SETPROTOCOL;3.0\r\n");
	} else if (IS("SETPROTOCOL")) {
		send_str(c, "GETTIME\r\n");
	} else if (IS("GETTIME") && m.nf >= 3) {
		rdr_raw t;
		rdr_raw_init(&t);
		const char *d = m.f[1];
		if (m.fl[1] == 10 && rdr_digits(d, 4) > 0)
			t.day = rdr_days((int)rdr_digits(d, 4), (int)rdr_digits(d + 5, 2),
					 (int)rdr_digits(d + 8, 2));
		if (rdr_parse_tod(m.f[2], m.fl[2], &t.tod) == 0)
			set_offset(r, c, rdr_time(&t, r->day, r->utc_off_min));
		send_str(c, "SETPUSHPASSINGS;1;0\r\n");
	} else if (IS("SETPUSHPASSINGS")) {
		send_str(c, "PASSINGS\r\n");
	} else if (IS("PASSINGS") && m.nf >= 2) {
		int64_t count = rdr_digits(m.f[1], m.fl[1]);
		if (count > r->rr_max) {
			char req[64];
			snprintf(req, sizeof(req), "%lld:%lld\r\n", (long long)r->rr_max + 1,
				 (long long)(count - r->rr_max));
			sl_info("decoder '%s': fetching passings %lld..%lld", c->name,
				(long long)r->rr_max + 1, (long long)count);
			send_str(c, req);
		}
	}
#undef IS
}

static void line_ctp(reader *r, conn *c, const char *s, size_t n)
{
	ctp_msg m;
	char err[160];
	if (ctp_parse(s, n, &m, err, sizeof(err)) != 0) {
		sl_warn("decoder '%s': bad line '%.*s': %s", c->name, (int)(n > 80 ? 80 : n), s, err);
		r->faults++;
		return;
	}
	if (m.type == CTP_HELLO) {
		snprintf(c->name, sizeof(c->name), "chronotrack %.*s", (int)m.fl[1], m.f[1]);
		send_str(c, "Splitline~4\r\nstream-mode=push\r\ntime-format=normal\r\n"
			    "guntimes=true\r\nnewlocations=true\r\ngetlocations\r\nstart\r\n");
	} else if (m.type == CTP_READ) {
		if (m.guntime) {
			sl_info("decoder '%s': gun time at %s", c->name, m.loc);
		} else if (m.newlocation) {
			send_str(c, "getlocations\r\n");
		} else {
			on_raw(r, c, &m.raw);
		}
	}
}

static void line_mlp(reader *r, conn *c, const char *s, size_t n)
{
	char err[160];
	if (mlp_parse(s, n, &c->mm, err, sizeof(err)) != 0) {
		sl_warn("decoder '%s': bad message '%.*s': %s", c->name, (int)(n > 80 ? 80 : n), s,
			err);
		r->faults++;
		return;
	}
	mlp_msg *m = &c->mm;
	if (!c->name[0])
		snprintf(c->name, sizeof(c->name), "mylaps %s", m->name);
	if (m->type == MLP_PONG)
		sl_buf_adds(&c->acks, "Splitline@AckPong@Version2.1@$");
	else if (m->type == MLP_PING)
		sl_buf_adds(&c->acks, "Splitline@AckPing@$");
	else if (m->type == MLP_PASSING) {
		for (size_t i = 0; i < m->nreads; i++)
			on_raw(r, c, &m->reads[i]);
		sl_buf_addf(&c->acks, "Splitline@AckPassing@%s@$", m->msgno);
	} else if (m->type == MLP_MARKER) {
		sl_info("decoder '%s': marker (gunshot)", c->name);
		sl_buf_addf(&c->acks, "Splitline@AckMarker@%s@$", m->msgno);
	}
}

static void line_jcp(reader *r, conn *c, const char *s, size_t n)
{
	jcp_msg m;
	char err[160];
	if (jcp_parse(s, n, &m, err, sizeof(err)) != 0) {
		sl_warn("decoder '%s': bad line '%.*s': %s", c->name, (int)(n > 80 ? 80 : n), s, err);
		r->faults++;
		return;
	}
	if (m.type == JCP_NAME) {
		snprintf(c->name, sizeof(c->name), "jchip %s", m.name);
		send_str(c, "GT\r");
	} else if (m.type == JCP_TIME) {
		set_offset(r, c, rdr_time(&m.raw, r->day, r->utc_off_min));
		send_str(c, "S0000\r");
	} else if (m.type == JCP_READ) {
		on_raw(r, c, &m.raw);
	}
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	conn *c = s->data;
	reader *r = c->r;
	if (nread < 0) {
		free(b->base);
		conn_close(c, nread == UV_EOF ? "connection closed" : uv_strerror((int)nread));
		return;
	}
	rdr_frame_feed(&c->fr, b->base, (size_t)nread);
	free(b->base);
	const char *line;
	size_t len;
	while (rdr_frame_next(&c->fr, &line, &len)) {
		switch (r->proto) {
		case P_RR: line_rr(r, c, line, len); break;
		case P_CTP: line_ctp(r, c, line, len); break;
		case P_MLP: line_mlp(r, c, line, len); break;
		default: line_jcp(r, c, line, len); break;
		}
	}
	if (commit(r) == 0 && c->acks.len) {
		send_bytes(c, c->acks.data, c->acks.len);
		sl_buf_reset(&c->acks);
	}
}

static conn *conn_new(reader *r)
{
	conn *c = sl_calloc(1, sizeof(*c));
	c->r = r;
	uv_tcp_init(r->loop, &c->tcp);
	c->tcp.data = c;
	rdr_frame_init(&c->fr, r->proto == P_MLP ? '$' : r->proto == P_JCP ? '\r' : '\n', 1 << 20);
	return c;
}

static void conn_add(reader *r, conn *c)
{
	c->next = r->conns;
	r->conns = c;
	r->ndecoders++;
	uv_tcp_nodelay(&c->tcp, 1);
	uv_tcp_keepalive(&c->tcp, 1, 10);
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_accept(uv_stream_t *srv, int status)
{
	reader *r = srv->data;
	if (status < 0)
		return;
	conn *c = conn_new(r);
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return;
	}
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	char host[64] = "?";
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0)
		uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof(host));
	snprintf(c->name, sizeof(c->name), "%s", host);
	sl_info("decoder connected from %s", host);
	conn_add(r, c);
}

/* RaceResult: we connect */
static void rr_connected(uv_connect_t *req, int status)
{
	conn *c = req->data;
	reader *r = c->r;
	free(req);
	if (status < 0) {
		sl_warn("cannot connect to decoder '%s': %s", r->o.decoder, uv_strerror(status));
		r->faults++;
		r->rr = NULL;
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		rr_schedule(r);
		return;
	}
	r->rr_backoff = 500;
	sl_info("connected to decoder %s", r->o.decoder);
	conn_add(r, c);
	send_str(c, "GETPROTOCOL\r\n");
}

static void rr_connect(uv_timer_t *t)
{
	reader *r = t->data;
	char host[256];
	snprintf(host, sizeof(host), "%s", r->o.decoder);
	char *colon = strrchr(host, ':');
	int port = RRP_PORT;
	if (colon) {
		*colon = '\0';
		port = atoi(colon + 1);
	}
	struct sockaddr_in sa;
	if (uv_ip4_addr(host, port, &sa) != 0) {
		sl_error("bad --decoder '%s' (expected IPv4:PORT)", r->o.decoder);
		return;
	}
	conn *c = conn_new(r);
	snprintf(c->name, sizeof(c->name), "raceresult %s", r->o.decoder);
	r->rr = c;
	uv_connect_t *req = sl_malloc(sizeof(*req));
	req->data = c;
	if (uv_tcp_connect(req, &c->tcp, (struct sockaddr *)&sa, rr_connected) != 0) {
		free(req);
		r->rr = NULL;
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		rr_schedule(r);
	}
}

static void rr_schedule(reader *r)
{
	if (uv_is_closing((uv_handle_t *)&r->rr_timer))
		return;
	uv_timer_start(&r->rr_timer, rr_connect, (uint64_t)r->rr_backoff, 0);
	r->rr_backoff = r->rr_backoff * 2 > 5000 ? 5000 : r->rr_backoff * 2;
}

/* ---- status ---- */

static void write_status(reader *r, bool line)
{
	fwd_stats st;
	fwd_get_stats(&r->fw, &st);
	sl_buf b = SL_BUF_INIT;
	sl_buf_addf(&b,
		    "{\"device\":\"%s\",\"point\":\"%s\",\"protocol\":\"%s\",\"connected\":%s,"
		    "\"decoders\":%d,\"raw\":%llu,\"passings\":%llu,\"acked\":%llu,"
		    "\"pending\":%llu,\"faults\":%llu,\"open_groups\":%zu,\"last_error\":\"",
		    r->o.device, r->o.point, r->o.protocol, st.connected ? "true" : "false",
		    r->ndecoders, (unsigned long long)r->raw.count,
		    (unsigned long long)st.total, (unsigned long long)st.acked,
		    (unsigned long long)(st.total - st.acked), (unsigned long long)r->faults,
		    flt_open_groups(r->flt));
	for (const char *p = st.last_err; *p; p++)
		if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			sl_buf_addc(&b, *p);
	sl_buf_adds(&b, "\"");
	if (r->have_last)
		sl_buf_addf(&b, ",\"last_read\":{\"chip\":\"%s\",\"t\":%lld}", r->last.chip,
			    (long long)r->last.t);
	sl_buf_adds(&b, "}\n");
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->status_path);
	FILE *f = fopen(tmp, "w");
	if (f) {
		fwrite(b.data, 1, b.len, f);
		fclose(f);
		rename(tmp, r->status_path);
	}
	if (line)
		fprintf(stderr,
			"%s: %s, %d decoder(s), raw %llu, passings %llu, acked %llu, pending %llu%s%s\n",
			prog, st.connected ? "connected" : "NOT connected", r->ndecoders,
			(unsigned long long)r->raw.count, (unsigned long long)st.total,
			(unsigned long long)st.acked, (unsigned long long)(st.total - st.acked),
			r->have_last ? ", last read " : "", r->have_last ? r->last.chip : "");
	sl_buf_release(&b);
}

static void on_tick(uv_timer_t *t)
{
	reader *r = t->data;
	flt_advance(r->flt, ref_now(r), on_pass, r);
	commit(r);
	int64_t now = wsc_mono_ms();
	if (now - r->last_status >= 1000) {
		bool line = r->status_every > 0 &&
			    (now / 1000) % r->status_every == 0;
		write_status(r, line);
		r->last_status = now;
	}
}

/* CTP: ping every 10 s */
static void on_ping(uv_timer_t *t)
{
	reader *r = t->data;
	for (conn *c = r->conns; c; c = c->next)
		send_str(c, "ping\r\n");
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, h->type == UV_TCP && h->data && h != arg ? on_closed : NULL);
}

static void on_signal(uv_signal_t *s, int sig)
{
	reader *r = s->data;
	sl_info("signal %d: stopping", sig);
	uv_stop(r->loop);
}

/* ---- startup ---- */

static int load_pass(void *ctx, uint64_t idx, const jrn_rec *p)
{
	reader *r = ctx;
	flt_seed(r->flt, p->chip, p->t);
	fwd_push(&r->fw, p);
	return 0;
}

typedef struct rawvec {
	jrn_rec *v;
	size_t n, cap;
} rawvec;

static int load_raw(void *ctx, uint64_t idx, const jrn_rec *p)
{
	rawvec *rv = ctx;
	SL_GROW(rv->v, rv->cap, rv->n + 1);
	rv->v[rv->n++] = *p;
	return 0;
}

static int parse_int(const char *s, const char *name, int64_t lo, int64_t hi, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (!*s || *end || errno || x < lo || x > hi) {
		fprintf(stderr, "%s: %s '%s' is not a number in %lld..%lld\n", prog, name, s,
			(long long)lo, (long long)hi);
		return -1;
	}
	*v = x;
	return 0;
}

/* Read "key: value" lines of a config file into argv form. */
static int load_config(const char *path, char ***av, int *ac)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path, strerror(errno));
		return -1;
	}
	char line[1024];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		char *e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
			*--e = '\0';
		if (!*p || *p == '#')
			continue;
		char *colon = strchr(p, ':');
		if (!colon) {
			fprintf(stderr, "%s: %s:%d: expected 'key: value'\n", prog, path, lineno);
			fclose(f);
			return -1;
		}
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ')
			v++;
		if ((*v == '"' || *v == '\'') && strlen(v) >= 2 && v[strlen(v) - 1] == *v) {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		*av = sl_realloc(*av, sizeof(char *) * (size_t)(*ac + 2));
		char key[300];
		snprintf(key, sizeof(key), "--%s", p);
		(*av)[(*ac)++] = sl_strdup(key);
		if (strcmp(p, "no-clock-fix") != 0)
			(*av)[(*ac)++] = sl_strdup(v);
	}
	fclose(f);
	return 0;
}

/* ---- rescoring (rsc.h) ---- */

static bool device_ok(const char *d)
{
	if (!*d || *d == '.' || strlen(d) > 64)
		return false;
	for (const char *p = d; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '.' && *p != '_' && *p != '-')
			return false;
	return true;
}

static volatile sig_atomic_t rescore_stop;

static void rescore_signal(int sig)
{
	rescore_stop = 1;
}

/* The device the live reader forwards as (from its status.json), if known. */
static bool same_device_as_live(const char *journal, const char *dev)
{
	char path[4200], buf[4096];
	snprintf(path, sizeof(path), "%s/status.json", journal);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char want[128];
	snprintf(want, sizeof(want), "\"device\":\"%s\"", dev);
	return strstr(buf, want) != NULL;
}

static int push_pass(void *ctx, uint64_t idx, const jrn_rec *p)
{
	fwd_push(ctx, p);
	return 0;
}

static void rescore_line(const char *dev, const fwd_stats *st)
{
	fprintf(stderr, "%s: rescore %s: %s, passings %llu, acked %llu, pending %llu\n", prog, dev,
		st->connected ? "connected" : "NOT connected", (unsigned long long)st->total,
		(unsigned long long)st->acked, (unsigned long long)(st->total - st->acked));
}

/* --rescore: filter raw.jrn again into <journal>/rescore-<device>/pass.jrn
 * and forward it as <device> until everything is acked.  Exit code. */
static int rescore(const opts *o, fwd_cfg *fc, const flt_cfg *fcfg, int status_every)
{
	if (same_device_as_live(o->journal, o->device)) {
		fprintf(stderr,
			"%s: --device '%s' is the reader's own device: its seqs are taken; "
			"rescore as a new device\n",
			prog, o->device);
		return 2;
	}
	char dir[4096], raw[4200], pass[4200], ackp[4200], err[600];
	snprintf(raw, sizeof(raw), "%s/raw.jrn", o->journal);
	if (access(raw, R_OK) != 0) {
		fprintf(stderr, "%s: cannot read '%s': %s\n", prog, raw, strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/rescore-%s", o->journal, o->device);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, dir, strerror(errno));
		return 1;
	}
	snprintf(pass, sizeof(pass), "%s/pass.jrn", dir);
	snprintf(ackp, sizeof(ackp), "%s/acked", dir);
	rsc_stats rs;
	if (rsc_run(raw, fcfg, pass, &rs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (rs.torn)
		sl_warn("'%s': %llu bytes at the end not (yet) a whole record: ignored", raw,
			(unsigned long long)rs.torn);
	sl_info("rescore: %llu raw reads -> %llu passings in '%s' (%llu from an earlier run)",
		(unsigned long long)rs.raw, (unsigned long long)rs.passes, pass,
		(unsigned long long)rs.kept);
	uint64_t acked = 0;
	jrn_ack_load(ackp, &acked);
	if (acked > rs.passes)
		acked = 0;
	fc->device = o->device;
	fc->pt = o->point;
	fc->ack_path = ackp;
	fwd f;
	fwd_init(&f, fc, acked);
	/* push the journal as written: seq i = record i */
	if (rsc_scan(pass, push_pass, &f, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		fwd_release(&f);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, rescore_signal);
	signal(SIGTERM, rescore_signal);
	if (fwd_start(&f) != 0) {
		fprintf(stderr, "%s: cannot start the forwarder thread\n", prog);
		fwd_release(&f);
		return 1;
	}
	fwd_stats st;
	int64_t last = wsc_mono_ms();
	for (;;) {
		fwd_get_stats(&f, &st);
		if (st.acked >= st.total || rescore_stop)
			break;
		int64_t now = wsc_mono_ms();
		if (status_every > 0 && now - last >= (int64_t)status_every * 1000) {
			rescore_line(o->device, &st);
			last = now;
		}
		usleep(50000);
	}
	fwd_stop(&f, 0);
	fwd_get_stats(&f, &st);
	rescore_line(o->device, &st);
	fwd_release(&f);
	if (st.acked < st.total) {
		fprintf(stderr, "%s: rescore %s interrupted: %llu passings not acked; run it again\n",
			prog, o->device, (unsigned long long)(st.total - st.acked));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	sl_log_set_prefix(prog);
	sl_log_level = SL_LOG_INFO;
	const char *dbg = getenv("SPLITLINE_DEBUG");
	if (dbg && *dbg && strcmp(dbg, "0") != 0)
		sl_log_level = SL_LOG_DEBUG;
	static reader R;
	reader *r = &R;
	opts *o = &r->o;
	fwd_cfg fc;
	memset(&fc, 0, sizeof(fc));
	slc_opt table[] = {
		{"--config", true, &o->config, NULL},
		{"--protocol", true, &o->protocol, NULL},
		{"--decoder", true, &o->decoder, NULL},
		{"--listen", true, &o->listen, NULL},
		{"--point", true, &o->point, NULL},
		{"--device", true, &o->device, NULL},
		{"--journal", true, &o->journal, NULL},
		{"--server", true, &fc.conn.server, NULL},
		{"--event", true, &fc.conn.event, NULL},
		{"--token", true, &fc.conn.token, NULL},
		{"--token-file", true, &fc.conn.token_file, NULL},
		{"--date", true, &o->date, NULL},
		{"--utc-offset", true, &o->utc, NULL},
		{"--gap-ms", true, &o->gap, NULL},
		{"--group-time", true, &o->mode, NULL},
		{"--dead-ms", true, &o->dead, NULL},
		{"--clock-warn-ms", true, &o->warn, NULL},
		{"--clock-offset-ms", true, &o->offset, NULL},
		{"--no-clock-fix", false, NULL, &o->no_fix},
		{"--rescore", false, NULL, &o->rescore},
		{"--sim-clock", true, &o->sim, NULL},
		{"--batch", true, &o->batch, NULL},
		{"--window", true, &o->window, NULL},
		{"--status-every", true, &o->status_every, NULL},
		{NULL, 0, 0, 0},
	};
	const char *pos[1];
	int npos;
	int p = slc_parse(argc - 1, argv + 1, table, pos, 1, &npos, prog);
	if (p == SLC_HELP) {
		fputs(usage, stdout);
		return 0;
	}
	if (p == SLC_USAGE || npos) {
		fputs(usage, stderr);
		return 2;
	}
	char **cav = NULL;
	int cac = 0;
	if (o->config) {
		/* config first, the command line again after it wins */
		if (load_config(o->config, &cav, &cac))
			return 1;
		for (int i = 1; i < argc; i++) {
			cav = sl_realloc(cav, sizeof(char *) * (size_t)(cac + 1));
			cav[cac++] = argv[i];
		}
		if (slc_parse(cac, cav, table, pos, 1, &npos, prog) != SLC_OK || npos) {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (o->rescore && (!o->point || !o->journal || !o->device)) {
		fprintf(stderr, "%s: --rescore needs --journal, --device and --point\n", prog);
		return 2;
	}
	if (o->rescore && !device_ok(o->device)) {
		fprintf(stderr, "%s: --device '%s' is not letters, digits, '.', '_' or '-'\n",
			prog, o->device);
		return 2;
	}
	if (!o->rescore && (!o->protocol || !o->point || !o->journal)) {
		fprintf(stderr, "%s: --protocol, --point and --journal are required\n", prog);
		return 2;
	}
	/* --rescore talks to no decoder: its protocol is irrelevant (none) */
	r->proto = o->rescore				 ? P_JCP
		   : !strcmp(o->protocol, "raceresult")	 ? P_RR
		   : !strcmp(o->protocol, "chronotrack") ? P_CTP
		   : !strcmp(o->protocol, "mylaps")	 ? P_MLP
		   : !strcmp(o->protocol, "jchip")	 ? P_JCP
							 : -1;
	if (r->proto < 0) {
		fprintf(stderr, "%s: unknown protocol '%s' (raceresult, chronotrack, mylaps, jchip)\n",
			prog, o->protocol);
		return 2;
	}
	if (r->proto == P_RR && !o->decoder) {
		fprintf(stderr, "%s: raceresult needs --decoder HOST:PORT\n", prog);
		return 2;
	}
	static char devbuf[80];
	if (!o->device) {
		snprintf(devbuf, sizeof(devbuf), "reader-%s", o->point);
		o->device = devbuf;
	}
	int64_t v;
	flt_cfg fcfg = {400, FLT_FIRST, 3000};
	if (o->gap && parse_int(o->gap, "--gap-ms", 0, 600000, &fcfg.gap_ms))
		return 2;
	if (o->dead && parse_int(o->dead, "--dead-ms", 0, 86400000, &fcfg.dead_ms))
		return 2;
	if (o->mode && (fcfg.mode = flt_mode_parse(o->mode)) < 0) {
		fprintf(stderr, "%s: --group-time '%s' is not first, last or peak\n", prog, o->mode);
		return 2;
	}
	r->warn_ms = 1000;
	if (o->warn && parse_int(o->warn, "--clock-warn-ms", 0, 86400000, &r->warn_ms))
		return 2;
	if (o->offset) {
		if (parse_int(o->offset, "--clock-offset-ms", -86400000, 86400000,
			      &r->fixed_offset_ms))
			return 2;
		r->fixed_offset = true;
	}
	r->fix = !o->no_fix;
	fc.batch = 500;
	fc.window = 4;
	if (o->batch) {
		if (parse_int(o->batch, "--batch", 1, SLP_MAX_READS, &v))
			return 2;
		fc.batch = (size_t)v;
	}
	if (o->window) {
		if (parse_int(o->window, "--window", 1, 1000, &v))
			return 2;
		fc.window = (size_t)v;
	}
	r->status_every = 10;
	if (o->status_every) {
		if (parse_int(o->status_every, "--status-every", 0, 86400, &v))
			return 2;
		r->status_every = (int)v;
	}
	if (o->sim) {
		long long w0, r0;
		double sp;
		if (sscanf(o->sim, "%lld:%lld:%lf", &w0, &r0, &sp) != 3 || !(sp > 0)) {
			fprintf(stderr, "%s: --sim-clock '%s' is not WALL0:RACE0:SPEED\n", prog,
				o->sim);
			return 2;
		}
		r->sim_wall0 = w0;
		r->sim_race0 = r0;
		r->sim_speed = sp;
	}
	/* time zone and date */
	time_t now = (time_t)(ref_now(r) / 1000);
	struct tm lt;
	localtime_r(&now, &lt);
	r->utc_off_min = (int)(lt.tm_gmtoff / 60);
	if (o->utc) {
		int hh, mm;
		char sign;
		if (sscanf(o->utc, "%c%d:%d", &sign, &hh, &mm) != 3 || (sign != '+' && sign != '-') ||
		    hh > 14 || mm > 59) {
			fprintf(stderr, "%s: --utc-offset '%s' is not +HH:MM\n", prog, o->utc);
			return 2;
		}
		r->utc_off_min = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
	}
	if (o->date) {
		int y, m, d;
		if (sscanf(o->date, "%d-%d-%d", &y, &m, &d) != 3 ||
		    (r->day = rdr_days(y, m, d)) == INT32_MIN) {
			fprintf(stderr, "%s: --date '%s' is not YYYY-MM-DD\n", prog, o->date);
			return 2;
		}
	} else {
		int64_t local = ref_now(r) + (int64_t)r->utc_off_min * 60000;
		r->day = (int32_t)(local / 86400000);
	}
	char err[600];
	if (!fc.conn.event && !getenv("SPLITLINE_EVENT")) {
		fprintf(stderr, "%s: --event (or SPLITLINE_EVENT) is required\n", prog);
		return 2;
	}
	if (slc_conn_resolve(&fc.conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}

	if (o->rescore) {
		int rc = rescore(o, &fc, &fcfg, r->status_every);
		for (int i = 0; i < cac; i++)
			if (i < cac - (argc - 1))
				free(cav[i]);
		free(cav);
		slc_conn_release(&fc.conn);
		return rc;
	}

	/* journals */
	if (mkdir(o->journal, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, o->journal, strerror(errno));
		return 1;
	}
	char path[4096], ackp[4096];
	snprintf(ackp, sizeof(ackp), "%s/acked", o->journal);
	snprintf(r->status_path, sizeof(r->status_path), "%s/status.json", o->journal);
	uint64_t acked = 0;
	jrn_ack_load(ackp, &acked);
	fc.device = o->device;
	fc.pt = o->point;
	fc.ack_path = ackp;
	fwd_init(&r->fw, &fc, acked);
	r->flt = flt_new(&fcfg);
	snprintf(path, sizeof(path), "%s/pass.jrn", o->journal);
	if (jrn_open(&r->pass, path, load_pass, r, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (acked > r->pass.count) {
		sl_warn("'%s' says %llu acked but the journal holds %llu: resending all", ackp,
			(unsigned long long)acked, (unsigned long long)r->pass.count);
		r->fw.st.acked = 0;
	}
	rawvec rv = {0};
	snprintf(path, sizeof(path), "%s/raw.jrn", o->journal);
	if (jrn_open(&r->raw, path, load_raw, &rv, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	/* feed the raw reads again: open groups come back, nothing doubles */
	for (size_t i = 0; i < rv.n; i++) {
		rr_mark(r, rv.v[i].no);
		flt_feed(r->flt, &rv.v[i], on_pass, r);
		r->last = rv.v[i];
		r->have_last = true;
	}
	free(rv.v);
	if (r->pass.count || r->raw.count)
		sl_info("journal: %llu raw reads, %llu passings (%llu acked)",
			(unsigned long long)r->raw.count, (unsigned long long)r->pass.count,
			(unsigned long long)r->fw.st.acked);
	if (commit(r) != 0)
		return 1;
	if (fwd_start(&r->fw) != 0) {
		fprintf(stderr, "%s: cannot start the forwarder thread\n", prog);
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	r->loop = uv_default_loop();
	uv_timer_init(r->loop, &r->tick);
	r->tick.data = r;
	uv_timer_start(&r->tick, on_tick, 100, 100);
	uv_timer_t ping;
	uv_timer_init(r->loop, &ping);
	ping.data = r;
	if (r->proto == P_CTP)
		uv_timer_start(&ping, on_ping, 10000, 10000);
	uv_signal_init(r->loop, &r->sigint);
	uv_signal_init(r->loop, &r->sigterm);
	r->sigint.data = r->sigterm.data = r;
	uv_signal_start(&r->sigint, on_signal, SIGINT);
	uv_signal_start(&r->sigterm, on_signal, SIGTERM);
	uv_timer_init(r->loop, &r->rr_timer);
	r->rr_timer.data = r;
	r->rr_backoff = 500;
	int rc = 0;
	if (r->proto == P_RR) {
		uv_timer_start(&r->rr_timer, rr_connect, 0, 0);
	} else {
		const char *lis = o->listen ? o->listen : "0.0.0.0";
		char host[256];
		int port = r->proto == P_CTP ? CTP_PORT : r->proto == P_MLP ? MLP_PORT : JCP_PORT;
		snprintf(host, sizeof(host), "%s", lis);
		char *colon = strrchr(host, ':');
		if (colon) {
			*colon = '\0';
			port = atoi(colon + 1);
		}
		struct sockaddr_in sa;
		uv_tcp_init(r->loop, &r->server);
		r->server.data = r;
		int e = uv_ip4_addr(host, port, &sa);
		if (!e)
			e = uv_tcp_bind(&r->server, (struct sockaddr *)&sa, 0);
		if (!e)
			e = uv_listen((uv_stream_t *)&r->server, 16, on_accept);
		if (e) {
			fprintf(stderr, "%s: cannot listen on '%s': %s\n", prog, lis, uv_strerror(e));
			rc = 1;
		} else {
			sl_info("listening for %s decoders on %s:%d", o->protocol, host, port);
		}
	}
	if (!rc)
		uv_run(r->loop, UV_RUN_DEFAULT);
	commit(r);
	fwd_stop(&r->fw, 2000);
	write_status(r, r->status_every > 0);
	/* close everything */
	r->server.data = NULL;
	uv_walk(r->loop, close_walk, NULL);
	uv_run(r->loop, UV_RUN_DEFAULT);
	uv_loop_close(r->loop);
	jrn_close(&r->raw);
	jrn_close(&r->pass);
	flt_free(r->flt);
	fwd_release(&r->fw);
	free(r->newpass);
	free(r->seen);
	for (int i = 0; i < cac; i++)
		if (i < cac - (argc - 1))
			free(cav[i]);
	free(cav);
	slc_conn_release(&fc.conn);
	return rc;
}

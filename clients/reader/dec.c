/*
 * dec.c: splitline-reader's decoder side, on the loop thread (main.c has
 * the design): the TCP connections (RaceResult: we connect, with backoff;
 * the others connect to us), each line through its protocol's parser
 * (rrp/ctp/mlp/jcp), each read stamped with the corrected clock, journaled
 * and fed to the filter (reader__commit syncs, then acknowledges).
 * Ownership: a conn is the reader's list's; freed in its close callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctp.h"
#include "jcp.h"
#include "mlp.h"
#include "reader.h"
#include "rrp.h"

static bool rr_seen(reader *r, int64_t no)
{
	return no >= 0 && (size_t)no < r->capseen * 8 && (r->seen[no / 8] >> (no % 8) & 1);
}

void reader__rr_mark(reader *r, int64_t no)
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
		reader__rr_mark(r, raw->no);
	}
	jrn_rec rec;
	memset(&rec, 0, sizeof(rec));
	rec.dt = rdr_time(raw, r->day, r->utc_off_min);
	int64_t now = reader__ref_now(r);
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
	flt_feed(r->flt, &rec, reader__on_pass, r);
	r->last = rec;
	r->have_last = true;
}

static void set_offset(reader *r, conn *c, int64_t decoder_ms)
{
	c->offset = decoder_ms - reader__ref_now(r);
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

void reader__on_closed(uv_handle_t *h)
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
	uv_close((uv_handle_t *)&c->tcp, reader__on_closed);
}

static void on_alloc(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
	b->base = sl_malloc(65536);
	b->len = 65536;
}

/* A line (or message) its parser refused: logged and counted, skipped. */
static void bad_input(reader *r, conn *c, const char *what, const char *s, size_t n,
		      const char *err)
{
	sl_warn("decoder '%s': bad %s '%.*s': %s", c->name, what, (int)(n > 80 ? 80 : n), s, err);
	r->faults++;
}

/* Ask a Race Result decoder for its passings first..last ("FROM:COUNT"). */
static void fetch_passings(conn *c, int64_t first, int64_t last)
{
	char req[64];
	snprintf(req, sizeof(req), "%lld:%lld\r\n", (long long)first,
		 (long long)(last - first + 1));
	send_str(c, req);
}

/* A parsed message of each protocol (on_line parses, these act). */
static void on_rr(reader *r, conn *c, const rrp_msg *m)
{
	if (m->type == RRP_PASSING) {
		if (m->push && m->raw.no > r->rr_max + 1) {
			sl_warn("decoder '%s': passings %lld..%lld missing, fetching", c->name,
				(long long)r->rr_max + 1, (long long)m->raw.no - 1);
			fetch_passings(c, r->rr_max + 1, m->raw.no - 1);
		}
		on_raw(r, c, &m->raw);
		return;
	}
	if (m->type != RRP_REPLY)
		return;
	size_t l0 = m->fl[0];
	const char *f0 = m->f[0];
#define IS(lit) (l0 == strlen(lit) && memcmp(f0, lit, l0) == 0)
	if (IS("GETPROTOCOL")) {
		send_str(c, "SETPROTOCOL;3.0\r\n");
	} else if (IS("SETPROTOCOL")) {
		send_str(c, "GETTIME\r\n");
	} else if (IS("GETTIME") && m->nf >= 3) {
		rdr_raw t;
		rdr_raw_init(&t);
		const char *d = m->f[1];
		if (m->fl[1] == 10 && rdr_digits(d, 4) > 0)
			t.day = rdr_days((int)rdr_digits(d, 4), (int)rdr_digits(d + 5, 2),
					 (int)rdr_digits(d + 8, 2));
		if (rdr_parse_tod(m->f[2], m->fl[2], &t.tod) == 0)
			set_offset(r, c, rdr_time(&t, r->day, r->utc_off_min));
		send_str(c, "SETPUSHPASSINGS;1;0\r\n");
	} else if (IS("SETPUSHPASSINGS")) {
		send_str(c, "PASSINGS\r\n");
	} else if (IS("PASSINGS") && m->nf >= 2) {
		int64_t count = rdr_digits(m->f[1], m->fl[1]);
		if (count > r->rr_max) {
			sl_info("decoder '%s': fetching passings %lld..%lld", c->name,
				(long long)r->rr_max + 1, (long long)count);
			fetch_passings(c, r->rr_max + 1, count);
		}
	}
#undef IS
}

static void on_ctp(reader *r, conn *c, const ctp_msg *m)
{
	if (m->type == CTP_HELLO) {
		snprintf(c->name, sizeof(c->name), "chronotrack %.*s", (int)m->fl[1], m->f[1]);
		send_str(c, "Splitline~4\r\nstream-mode=push\r\ntime-format=normal\r\n"
			    "guntimes=true\r\nnewlocations=true\r\ngetlocations\r\nstart\r\n");
	} else if (m->type == CTP_READ) {
		if (m->guntime) {
			sl_info("decoder '%s': gun time at %s", c->name, m->loc);
		} else if (m->newlocation) {
			send_str(c, "getlocations\r\n");
		} else {
			on_raw(r, c, &m->raw);
		}
	}
}

static void on_mlp(reader *r, conn *c, const mlp_msg *m)
{
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

static void on_jcp(reader *r, conn *c, const jcp_msg *m)
{
	if (m->type == JCP_NAME) {
		snprintf(c->name, sizeof(c->name), "jchip %s", m->name);
		send_str(c, "GT\r");
	} else if (m->type == JCP_TIME) {
		set_offset(r, c, rdr_time(&m->raw, r->day, r->utc_off_min));
		send_str(c, "S0000\r");
	} else if (m->type == JCP_READ) {
		on_raw(r, c, &m->raw);
	}
}

/*
 * A line (a MyLaps message) through the connection's protocol: parsed (a
 * MyLaps message into the conn's own mlp_msg, whose reads array is kept
 * from one message to the next), then acted on; one its parser refuses is
 * logged and counted, and skipped.
 */
static void on_line(reader *r, conn *c, const char *s, size_t n)
{
	union {
		rrp_msg rr;
		ctp_msg ctp;
		jcp_msg jcp;
	} m;
	char err[160];
	int rc;
	switch (r->proto) {
	case P_RR: rc = rrp_parse(s, n, &m.rr, err, sizeof(err)); break;
	case P_CTP: rc = ctp_parse(s, n, &m.ctp, err, sizeof(err)); break;
	case P_MLP: rc = mlp_parse(s, n, &c->mm, err, sizeof(err)); break;
	default: rc = jcp_parse(s, n, &m.jcp, err, sizeof(err)); break;
	}
	if (rc != 0) {
		bad_input(r, c, r->proto == P_MLP ? "message" : "line", s, n, err);
		return;
	}
	switch (r->proto) {
	case P_RR: on_rr(r, c, &m.rr); break;
	case P_CTP: on_ctp(r, c, &m.ctp); break;
	case P_MLP: on_mlp(r, c, &c->mm); break;
	default: on_jcp(r, c, &m.jcp); break;
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
	while (rdr_frame_next(&c->fr, &line, &len))
		on_line(r, c, line, len);
	if (reader__commit(r) == 0 && c->acks.len) {
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

void reader__on_accept(uv_stream_t *srv, int status)
{
	reader *r = srv->data;
	if (status < 0)
		return;
	conn *c = conn_new(r);
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, reader__on_closed);
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
		uv_close((uv_handle_t *)&c->tcp, reader__on_closed);
		rr_schedule(r);
		return;
	}
	outbox_backoff_reset(&r->rr_backoff);
	sl_info("connected to decoder %s", r->o.decoder);
	conn_add(r, c);
	send_str(c, "GETPROTOCOL\r\n");
}

void reader__rr_connect(uv_timer_t *t)
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
		uv_close((uv_handle_t *)&c->tcp, reader__on_closed);
		rr_schedule(r);
	}
}

static void rr_schedule(reader *r)
{
	if (uv_is_closing((uv_handle_t *)&r->rr_timer))
		return;
	uv_timer_start(&r->rr_timer, reader__rr_connect,
		       (uint64_t)outbox_backoff_next(&r->rr_backoff), 0);
}


void reader__on_ping(uv_timer_t *t)
{
	reader *r = t->data;
	for (conn *c = r->conns; c; c = c->next)
		send_str(c, "ping\r\n");
}


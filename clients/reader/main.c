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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "ctp.h"
#include "jcp.h"
#include "mlp.h"
#include "opt.h"
#include "reader.h"
#include "rrp.h"
#include "slid.h"

static const char *prog = "splitline-reader";

static const char usage_head[] =
	"usage: splitline-reader --protocol raceresult|chronotrack|mylaps|jchip --point PT\n"
	"                        --journal DIR [--config FILE] [options]\n"
	"\n"
	"Bridges a timing decoder to the Splitline server as device --device.\n";

static const char usage_tail[] =
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

enum {
	O_CONFIG,
	O_PROTOCOL,
	O_DECODER,
	O_LISTEN,
	O_POINT,
	O_DEVICE,
	O_JOURNAL,
	O_SERVER,
	O_EVENT,
	O_TOKEN,
	O_TOKEN_FILE,
	O_DATE,
	O_UTC_OFFSET,
	O_GAP_MS,
	O_GROUP_TIME,
	O_DEAD_MS,
	O_CLOCK_WARN_MS,
	O_CLOCK_OFFSET_MS,
	O_NO_CLOCK_FIX,
	O_SIM_CLOCK,
	O_BATCH,
	O_WINDOW,
	O_STATUS_EVERY,
	O_RESCORE,
	O_N
};

#define DAY_MS 86400000
/* The options, in the order --help shows them (a --config file's keys are
 * the same names). */
static opt opts[O_N + 1] = {
	[O_CONFIG] = {"--config", OPT_STR, .syn = "--config FILE",
		      .help = "'key: value' lines, keys are these options without '--'"},
	[O_PROTOCOL] = {"--protocol", OPT_ENUM, .choices = "raceresult|chronotrack|mylaps|jchip",
			.syn = "--protocol P", .help = "the decoder's line protocol"},
	[O_DECODER] = {"--decoder", OPT_STR, .syn = "--decoder HOST:PORT",
		       .help = "raceresult: the decoder to connect to (port 3601)"},
	[O_LISTEN] = {"--listen", OPT_STR, .syn = "--listen ADDR:PORT",
		      .help = "others: where the decoder connects (default 0.0.0.0 and\n"
			      "61611 chronotrack, 3097 mylaps, 53135 jchip)"},
	[O_POINT] = {"--point", OPT_STR, .syn = "--point PT",
		     .help = "the timing point of every read"},
	[O_DEVICE] = {"--device", OPT_STR, .syn = "--device ID",
		      .help = "device id (default reader-PT)"},
	[O_JOURNAL] = {"--journal", OPT_STR, .syn = "--journal DIR",
		       .help = "journal directory (raw.jrn, pass.jrn, acked, status.json)"},
	[O_SERVER] = {"--server", OPT_STR,
		      .syn = "--server URL --event ID --token T | --token-file F",
		      .help = "  as for splitline"},
	[O_EVENT] = {"--event", OPT_STR},
	[O_TOKEN] = {"--token", OPT_STR},
	[O_TOKEN_FILE] = {"--token-file", OPT_STR},
	[O_DATE] = {"--date", OPT_STR, .syn = "--date YYYY-MM-DD",
		    .help = "race date for decoders that send none (default today)"},
	[O_UTC_OFFSET] = {"--utc-offset", OPT_STR, .syn = "--utc-offset +HH:MM",
			  .help = "the decoders' local time zone (default this machine's)"},
	[O_GAP_MS] = {"--gap-ms", OPT_INT, "400", 0, 600000, .syn = "--gap-ms N",
		      .help = "quiet gap closing a read group (default 400)"},
	[O_GROUP_TIME] = {"--group-time", OPT_ENUM, "first", .choices = "first|last|peak",
			  .syn = "--group-time M", .help = "first|last|peak (default first)"},
	[O_DEAD_MS] = {"--dead-ms", OPT_INT, "3000", 0, DAY_MS, .syn = "--dead-ms N",
		       .help = "dead time per chip (default 3000)"},
	[O_CLOCK_WARN_MS] = {"--clock-warn-ms", OPT_INT, "1000", 0, DAY_MS,
			     .syn = "--clock-warn-ms N",
			     .help = "warn when a decoder clock is off more (default 1000)"},
	[O_CLOCK_OFFSET_MS] = {"--clock-offset-ms", OPT_INT, NULL, -DAY_MS, DAY_MS,
			       .syn = "--clock-offset-ms N",
			       .help = "decoder clock minus true time, for every connection"},
	[O_NO_CLOCK_FIX] = {"--no-clock-fix", OPT_FLAG, .syn = "--no-clock-fix",
			    .help = "keep the decoder's clock"},
	[O_SIM_CLOCK] = {"--sim-clock", OPT_STR, .syn = "--sim-clock W:R:S",
			 .help = "reference clock = R + (now - W) * S (ms; emulated races)"},
	[O_BATCH] = {"--batch", OPT_INT, "500", 1, SLP_MAX_READS, .syn = "--batch N --window W",
		     .help = "batches to the server (default 500, 4)"},
	[O_WINDOW] = {"--window", OPT_INT, "4", 1, 1000},
	[O_STATUS_EVERY] = {"--status-every", OPT_INT, "10", 0, 86400, .syn = "--status-every S",
			    .help = "status line on stderr every S seconds (0: never, default 10)"},
	[O_RESCORE] = {"--rescore", OPT_FLAG},
};

static void usage(FILE *f)
{
	fputs(usage_head, f);
	opt_help(opts, 20, f);
	fputs(usage_tail, f);
}


int64_t reader__ref_now(reader *r)
{
	int64_t now = sl_now_ms();
	if (r->sim_speed > 0)
		return r->sim_race0 + (int64_t)((double)(now - r->sim_wall0) * r->sim_speed);
	return now;
}

/* ---- journals and filter ---- */

void reader__on_pass(void *ctx, const jrn_rec *p)
{
	reader *r = ctx;
	jrn_append(&r->pass, p);
	SL_GROW(r->newpass, r->capnew, r->nnew + 1);
	r->newpass[r->nnew++] = *p;
}

/* Sync both journals, then hand new passings to the forwarder. */
int reader__commit(reader *r)
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
	flt_advance(r->flt, reader__ref_now(r), reader__on_pass, r);
	reader__commit(r);
	int64_t now = wsc_mono_ms();
	if (now - r->last_status >= 1000) {
		bool line = r->status_every > 0 &&
			    (now / 1000) % r->status_every == 0;
		write_status(r, line);
		r->last_status = now;
	}
}

/* CTP: ping every 10 s */
static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, h->type == UV_TCP && h->data && h != arg ? reader__on_closed : NULL);
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
		size_t kn = strlen(p) + 3; /* "--", the key, NUL: no key is cut short */
		char *key = sl_malloc(kn);
		snprintf(key, kn, "--%s", p);
		(*av)[(*ac)++] = key;
		if (strcmp(p, "no-clock-fix") != 0)
			(*av)[(*ac)++] = sl_strdup(v);
	}
	fclose(f);
	return 0;
}

/* ---- main ---- */

/* The command line (and the --config file under it) into r and fc; -1 to
 * go on, else the exit status.  *cav: the config's words, owned. */
static int parse_args(reader *r, fwd_cfg *fc, int argc, char **argv, char ***cav, int *cac)
{
	reader_opts *o = &r->o;
	const char *pos[1];
	int npos;
	int p = opt_cli(opts, argc - 1, argv + 1, pos, 1, &npos, prog, usage, OPT_ON_ERROR_USAGE);
	if (p >= 0)
		return p;
	if (npos) {
		usage(stderr);
		return 2;
	}
	if (opts[O_CONFIG].val) {
		/* config first, the command line again after it wins */
		if (load_config(opts[O_CONFIG].val, cav, cac))
			return 1;
		int nconf = *cac;
		for (int i = 1; i < argc; i++) {
			*cav = sl_realloc(*cav, sizeof(char *) * (size_t)(*cac + 1));
			(*cav)[(*cac)++] = argv[i];
		}
		p = opt_cli(opts, *cac, *cav, pos, 1, &npos, prog, usage, OPT_ON_ERROR_USAGE);
		*cac = nconf; /* the words the caller frees */
		if (p >= 0)
			return p;
		if (npos) {
			usage(stderr);
			return 2;
		}
	}
	o->protocol = opts[O_PROTOCOL].val;
	o->decoder = opts[O_DECODER].val;
	o->listen = opts[O_LISTEN].val;
	o->point = opts[O_POINT].val;
	o->device = opts[O_DEVICE].val;
	o->journal = opts[O_JOURNAL].val;
	o->rescore = opts[O_RESCORE].on;
	fc->conn.server = opts[O_SERVER].val;
	fc->conn.event = opts[O_EVENT].val;
	fc->conn.token = opts[O_TOKEN].val;
	fc->conn.token_file = opts[O_TOKEN_FILE].val;
	return -1;
}

/* What is required, the protocol and the device; -1 or the exit status. */
static int check_roles(reader *r)
{
	reader_opts *o = &r->o;
	if (o->rescore && (!o->point || !o->journal || !o->device)) {
		fprintf(stderr, "%s: --rescore needs --journal, --device and --point\n", prog);
		return 2;
	}
	if (o->device && !sl_device_ok(o->device, strlen(o->device))) {
		fprintf(stderr, "%s: --device '%s': expected " SL_DEVICE_WORDS "\n", prog,
			o->device);
		return 2;
	}
	if (o->point && !sl_id_ok(o->point, strlen(o->point))) {
		fprintf(stderr, "%s: --point '%s': expected " SL_ID_WORDS "\n", prog, o->point);
		return 2;
	}
	if (!o->rescore && (!o->protocol || !o->point || !o->journal)) {
		fprintf(stderr, "%s: --protocol, --point and --journal are required\n", prog);
		return 2;
	}
	/* --rescore talks to no decoder: its protocol is irrelevant (none) */
	static const int protos[] = {P_RR, P_CTP, P_MLP, P_JCP};
	r->proto = o->rescore ? P_JCP : protos[opts[O_PROTOCOL].e];
	if (r->proto == P_RR && !o->decoder) {
		fprintf(stderr, "%s: raceresult needs --decoder HOST:PORT\n", prog);
		return 2;
	}
	static char devbuf[80];
	if (!o->device) {
		snprintf(devbuf, sizeof(devbuf), "reader-%s", o->point);
		o->device = devbuf;
	}
	return -1;
}

/* The filter, clock and forwarder settings; -1 or the exit status. */
static int settings(reader *r, fwd_cfg *fc, flt_cfg *fcfg)
{
	*fcfg = (flt_cfg){opts[O_GAP_MS].i, flt_mode_parse(opts[O_GROUP_TIME].val),
			  opts[O_DEAD_MS].i};
	r->warn_ms = opts[O_CLOCK_WARN_MS].i;
	r->fixed_offset = opts[O_CLOCK_OFFSET_MS].val != NULL;
	r->fixed_offset_ms = opts[O_CLOCK_OFFSET_MS].i;
	r->fix = !opts[O_NO_CLOCK_FIX].on;
	fc->batch = (size_t)opts[O_BATCH].i;
	fc->window = (size_t)opts[O_WINDOW].i;
	r->status_every = (int)opts[O_STATUS_EVERY].i;
	const char *sim = opts[O_SIM_CLOCK].val;
	if (sim && opt_sim_clock(sim, &r->sim_wall0, &r->sim_race0, &r->sim_speed) < 0) {
		fprintf(stderr, "%s: --sim-clock '%s' is not WALL0:RACE0:SPEED\n", prog, sim);
		return 2;
	}
	return -1;
}

/* The decoders' time zone and race date; -1 or the exit status. */
static int zone_and_date(reader *r)
{
	const char *utc = opts[O_UTC_OFFSET].val, *date = opts[O_DATE].val;
	time_t now = (time_t)(reader__ref_now(r) / 1000);
	struct tm lt;
	localtime_r(&now, &lt);
	r->utc_off_min = (int)(lt.tm_gmtoff / 60);
	if (utc && opt_utc_offset(utc, &r->utc_off_min) < 0) {
		fprintf(stderr, "%s: --utc-offset '%s' is not +HH:MM\n", prog, utc);
		return 2;
	}
	if (date) {
		int y, m, d;
		if (sscanf(date, "%d-%d-%d", &y, &m, &d) != 3 ||
		    (r->day = rdr_days(y, m, d)) == INT32_MIN) {
			fprintf(stderr, "%s: --date '%s' is not YYYY-MM-DD\n", prog, date);
			return 2;
		}
	} else {
		int64_t local = reader__ref_now(r) + (int64_t)r->utc_off_min * 60000;
		r->day = (int32_t)(local / 86400000);
	}
	return -1;
}

/* Open the journals, load them into the filter and the forwarder, start
 * it; 0 or 1 (printed).  ackp: the acked file's path (borrowed by fc). */
static int open_journals(reader *r, fwd_cfg *fc, char *ackp, size_t ackn)
{
	reader_opts *o = &r->o;
	char path[4096], err[600];
	if (mkdir(o->journal, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, o->journal, strerror(errno));
		return 1;
	}
	snprintf(ackp, ackn, "%s/acked", o->journal);
	snprintf(r->status_path, sizeof(r->status_path), "%s/status.json", o->journal);
	uint64_t acked = 0;
	jrn_ack_load(ackp, &acked);
	fc->device = o->device;
	fc->pt = o->point;
	fc->ack_path = ackp;
	fwd_init(&r->fw, fc, acked);
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
	jrn_vec rv = {0};
	snprintf(path, sizeof(path), "%s/raw.jrn", o->journal);
	if (jrn_open(&r->raw, path, jrn_vec_add, &rv, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	/* feed the raw reads again: open groups come back, nothing doubles */
	for (size_t i = 0; i < rv.n; i++) {
		reader__rr_mark(r, rv.v[i].no);
		flt_feed(r->flt, &rv.v[i], reader__on_pass, r);
		r->last = rv.v[i];
		r->have_last = true;
	}
	free(rv.v);
	if (r->pass.count || r->raw.count)
		sl_info("journal: %llu raw reads, %llu passings (%llu acked)",
			(unsigned long long)r->raw.count, (unsigned long long)r->pass.count,
			(unsigned long long)r->fw.st.acked);
	if (reader__commit(r) != 0)
		return 1;
	if (fwd_start(&r->fw) != 0) {
		fprintf(stderr, "%s: cannot start the forwarder thread\n", prog);
		return 1;
	}
	return 0;
}

/* The decoder side: listen, or (RaceResult) connect; 0 or 1 (printed). */
static int open_decoders(reader *r)
{
	reader_opts *o = &r->o;
	if (r->proto == P_RR) {
		uv_timer_start(&r->rr_timer, reader__rr_connect, 0, 0);
		return 0;
	}
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
		e = uv_listen((uv_stream_t *)&r->server, 16, reader__on_accept);
	if (e) {
		fprintf(stderr, "%s: cannot listen on '%s': %s\n", prog, lis, uv_strerror(e));
		return 1;
	}
	sl_info("listening for %s decoders on %s:%d", o->protocol, host, port);
	return 0;
}

/* Run the loop until a signal; then drain the forwarder and close
 * everything.  The exit status. */
static int run(reader *r)
{
	signal(SIGPIPE, SIG_IGN);
	r->loop = uv_default_loop();
	uv_timer_init(r->loop, &r->tick);
	r->tick.data = r;
	uv_timer_start(&r->tick, on_tick, 100, 100);
	uv_timer_t ping;
	uv_timer_init(r->loop, &ping);
	ping.data = r;
	if (r->proto == P_CTP)
		uv_timer_start(&ping, reader__on_ping, 10000, 10000);
	uv_signal_init(r->loop, &r->sigint);
	uv_signal_init(r->loop, &r->sigterm);
	r->sigint.data = r->sigterm.data = r;
	uv_signal_start(&r->sigint, on_signal, SIGINT);
	uv_signal_start(&r->sigterm, on_signal, SIGTERM);
	uv_timer_init(r->loop, &r->rr_timer);
	r->rr_timer.data = r;
	outbox_backoff_init(&r->rr_backoff, 500, 5000, 0, 1);
	int rc = open_decoders(r);
	if (!rc)
		uv_run(r->loop, UV_RUN_DEFAULT);
	reader__commit(r);
	fwd_stop(&r->fw, 2000);
	write_status(r, r->status_every > 0);
	/* close everything */
	r->server.data = NULL;
	uv_walk(r->loop, close_walk, NULL);
	uv_run(r->loop, UV_RUN_DEFAULT);
	uv_loop_close(r->loop);
	return rc;
}

int main(int argc, char **argv)
{
	slc_log_init(prog, SL_LOG_INFO);
	static reader R;
	reader *r = &R;
	fwd_cfg fc;
	flt_cfg fcfg;
	char **cav = NULL, err[600], ackp[4096];
	int cac = 0;
	memset(&fc, 0, sizeof(fc));
	int rc = parse_args(r, &fc, argc, argv, &cav, &cac);
	if (rc < 0)
		rc = check_roles(r);
	if (rc < 0)
		rc = settings(r, &fc, &fcfg);
	if (rc < 0)
		rc = zone_and_date(r);
	if (rc < 0 && !fc.conn.event && !getenv("SPLITLINE_EVENT")) {
		fprintf(stderr, "%s: --event (or SPLITLINE_EVENT) is required\n", prog);
		rc = 2;
	}
	if (rc < 0 && slc_conn_resolve(&fc.conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		rc = 1;
	}
	if (rc >= 0)
		goto out;
	if (r->o.rescore) {
		rc = reader__rescore(&r->o, &fc, &fcfg, r->status_every);
		goto out;
	}
	r->flt = flt_new(&fcfg);
	rc = open_journals(r, &fc, ackp, sizeof(ackp));
	if (rc)
		goto out; /* as before the split: exit without closing what opened */
	rc = run(r);
	jrn_close(&r->raw);
	jrn_close(&r->pass);
	flt_free(r->flt);
	fwd_release(&r->fw);
	free(r->newpass);
	free(r->seen);
out:
	for (int i = 0; i < cac; i++)
		free(cav[i]);
	free(cav);
	slc_conn_release(&fc.conn);
	return rc;
}

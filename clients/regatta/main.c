/*
 * splitline-regatta: a regatta export file (data/regatta-*.csv)
 * played to a Splitline server over the real protocol.
 *
 *   import FILE.csv   the officials' side: event_create (one race per
 *                     event, every station column a timing point: start,
 *                     the intermediate stations as splits, finish, and the
 *                     backup stations: Start2/3, Finish2/3, and <Name>2..9
 *                     of a waypoint <Name>), participants (one entry per
 *                     crew), then one `adjust` per decision the file
 *                     records (DNS, DNF, DQ, scratch, exhibition,
 *                     penalties, the finish station the judges took; with
 *                     --places-from-file, the judges' places where they
 *                     differ from the times');
 *   replay FILE.csv   the timing side: a wave_start per side-by-side race
 *                     (its start gun), then every station column as its own
 *                     device (start, start2, start3, each intermediate
 *                     station and its backups, finish, finish2, finish3)
 *                     sending its readings in time order, each on its own
 *                     connection with a reader token for that device
 *                     (issued on first use with the token given: a token
 *                     writes as one device only).
 *
 * What is sent is built by regfile.c (the same records the core's unit
 * test folds), turned into messages by regfile_to_msg; what regfile.c
 * finds unclear in the file or has to guess (an event number naming two
 * events, a distance, the date, where a split is) is printed as a warning
 * on stderr.
 * Messages go one at a time, each waiting for its reply: an `unavailable`,
 * `timeout` or `busy` err, or a lost connection, makes it wait (0.1 s
 * doubling to 5 s, less up to 20% jitter: outbox.h), reconnect when needed and send the same message again
 * -- passings are idempotent by (device, seq), the other records replace
 * what they say.  Any other err is fatal (exit 1) and names the message.
 * Gives up after 60 s without a connection.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "cliutil.h"
#include "evtime.h"
#include "opt.h"
#include "outbox.h"
#include "regfile.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define RPC_MS 60000
#define MAX_STATIONS 64

static const char *prog = "splitline-regatta";

static const char usage_head[] =
	"usage: splitline-regatta [--server URL] [--event ID] [--token T | --token-file F]\n"
	"                         import FILE.csv [--official NAME] [--chunk N] [--timezone ZONE]\n"
	"                         [--date YYYY-MM-DD] [--distance M] [--places-from-file]\n"
	"       splitline-regatta [...] replay FILE.csv [--batch N] [--timezone ZONE]\n"
	"                         [--date YYYY-MM-DD]\n"
	"\n"
	"Plays a regatta export (EventNum, Event, RaceType, EventInfo, Day, Bow, Crew,\n"
	"CrewAbbrev, Place, G_<Station>_time_raw, PenaltyCode, AdjTime ...) to the server.\n"
	"\n"
	"  import   sends the event config (one race per event: Head races are `trial`,\n"
	"           others `lanes`; EventInfo is the progression rule; every station\n"
	"           column is a point: start, the intermediate stations as splits in\n"
	"           column order, finish, and Start2/3, Finish2/3 as backup stations,\n"
	"           as is <Name>2..9 of a station <Name>: 500m2 is a station of 500m),\n"
	"           the crews (bib <EventNum>-<Bow>, lane = Bow), and the officials'\n"
	"           decisions (DNS, DNF, DQ, Scratch, Exhib, \"(Ns)\" penalties, the\n"
	"           finish station taken) as adjust messages.  An EventNum that names\n"
	"           two events gives two races (12 and 12b, bibs 12b-<Bow>), with a\n"
	"           warning.  Needs an admin token.\n"
	"  replay   sends the start gun of each side-by-side race (wave_start) and\n"
	"           every station reading, one device per station column, each on\n"
	"           its own connection with a reader token for that device, issued\n"
	"           with the token given.  Needs an admin token.\n"
	"\n";

static const char usage_tail[] =
	"\n"
	"Prints at the end: \"import: N races, N crews, N adjustments\" or\n"
	"\"replay: sent N reads in B batches, acked N, duplicates D; W starts\".\n"
	"Warnings (\"splitline-regatta: warning: ...\") go to stderr.\n"
	"Exit status: 0 on success, 1 on an error, 2 on a usage error.\n";


enum {
	O_SERVER,
	O_EVENT,
	O_TOKEN,
	O_TOKEN_FILE,
	O_OFFICIAL,
	O_CHUNK,
	O_BATCH,
	O_TIMEZONE,
	O_DATE,
	O_DISTANCE,
	O_PLACES,
	O_N
};

/* The options, in the order --help shows them. */
static opt opts[O_N + 1] = {
	[O_SERVER] = OPT_ROW_SERVER,
	[O_EVENT] = {"--event", OPT_STR, .syn = "--event ID",
		     .help = "env SPLITLINE_EVENT, default the file name without .csv"},
	[O_TOKEN] = OPT_ROW_TOKEN,
	[O_TOKEN_FILE] = OPT_ROW_TOKEN_FILE,
	[O_OFFICIAL] = {"--official", OPT_STR, "chief-judge", .syn = "--official NAME",
			.help = "who signs the adjustments (default \"chief-judge\")"},
	[O_CHUNK] = {"--chunk", OPT_INT, "500", 1, 100000, .syn = "--chunk N",
		     .help = "crews per participants message (default 500)"},
	[O_BATCH] = {"--batch", OPT_INT, "100", 1, 10000, .syn = "--batch N",
		     .help = "reads per passings message, 1..10000 (default 100)"},
	[O_TIMEZONE] = {"--timezone", OPT_STR, .syn = "--timezone ZONE",
			.help = "the regatta's IANA time zone (Europe/London): import writes\n"
				"it into the config (pages show clock times in it), replay\n"
				"reads the file's times of day in it; give both the same.\n"
				"Default none: times of day are UTC"},
	[O_DATE] = {"--date", OPT_STR, .syn = "--date DATE",
		    .help = "the regatta's first day (YYYY-MM-DD), for import and replay\n"
			    "alike; each race is on the day its Day column names (a\n"
			    "weekday such as Sat or Sunday, a date, or Day 2).  Default:\n"
			    "the earliest date in Day, else 2023-01-01 (warned)"},
	[O_DISTANCE] = {"--distance", OPT_INT, NULL, 50, 100000, .syn = "--distance M",
			.help = "the course in metres of the races whose name gives none\n"
				"(a name such as \"... 2000m\", \"2k\" or \"6 km\" does);\n"
				"default 1000, warned with the races it was assumed for"},
	[O_PLACES] = {"--places-from-file", OPT_FLAG, .syn = "--places-from-file",
		      .help = " import the file's Place where it differs from the rank\n"
			      "of the crew's time, as a judges' place (adjust type place,\n"
			      "reason \"place from the results file\", a shared place as a\n"
			      "dead heat): the judges' decisions, in the audit trail"},
};

static void usage(FILE *f)
{
	fputs(usage_head, f);
	opt_help(opts, 16, f);
	fputs(usage_tail, f);
}

static slc_conn conn;

/*
 * A connection and the token it says hello with: the officials' (the
 * token given) for the event, the decisions and the start guns; one per
 * station device for its readings, with a reader token for that device
 * issued by the officials' connection (a token writes as one device).
 */
struct sender {
	wsc *c;
	slc_conn conn; /* server and event as conn; token: the given or the device's */
	char dev[72];  /* "" for the officials' connection */
	char token[72];
	uint64_t dups; /* reads acknowledged as already there */
};

static void nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static const char *what_of(const char *rec, size_t len, char *out, size_t n)
{
	msgpack_zone z;
	msgpack_object root;
	size_t off = 0;
	const char *k = "record", *s;
	size_t kn = 6, sn;
	msgpack_zone_init(&z, 1024);
	snprintf(out, n, "record");
	if (msgpack_unpack(rec, len, &off, &z, &root) == MSGPACK_UNPACK_SUCCESS &&
	    root.type == MSGPACK_OBJECT_MAP) {
		if (slp_get_str(&root, "k", &k, &kn) == 0)
			snprintf(out, n, "%.*s", (int)kn, k);
		if (slp_get_str(&root, "bib", &s, &sn) == 0)
			snprintf(out + strlen(out), n - strlen(out), " of bib '%.*s'", (int)sn, s);
		if (slp_get_str(&root, "dev", &s, &sn) == 0)
			snprintf(out + strlen(out), n - strlen(out), " of device '%.*s'", (int)sn, s);
		if (slp_get_str(&root, "race", &s, &sn) == 0)
			snprintf(out + strlen(out), n - strlen(out), " of race '%.*s'", (int)sn, s);
	}
	msgpack_zone_destroy(&z);
	return out;
}

/* Builds the message to send with request id `id` into out; 0 or < 0. */
typedef int (*build_fn)(const void *ctx, uint64_t id, sl_buf *out);

static int build_rec(const void *ctx, uint64_t id, sl_buf *out)
{
	const sl_buf *rec = ctx;
	return regfile_to_msg(rec->data, rec->len, id, out);
}

/* Send a message until it is answered; 0 (the reply in *reply when asked
 * for, released by the caller) or 1 (printed).  what names it in errors. */
static int send_msg(struct sender *s, build_fn build, const void *ctx, const char *what,
		    slp_msg *reply_out)
{
	sl_buf msg = SL_BUF_INIT;
	char err[512];
	int64_t lost_since = -1;
	int rc;
	outbox_backoff bo;
	outbox_backoff_reconnect(&bo);
	for (;;) {
		if (!s->c) {
			slp_msg hello;
			rc = slc_open(&s->conn, &s->c, &hello, SLC_CONNECT_MS, err, sizeof(err));
			if (rc == 0) {
				slp_msg_release(&hello);
				lost_since = -1;
			} else if (sl_err_retry(rc) == SL_RETRY_REFUSED) {
				fprintf(stderr, "%s: %s\n", prog, err);
				goto fail;
			} else {
				if (lost_since < 0)
					lost_since = wsc_mono_ms();
				if (wsc_mono_ms() - lost_since > SLC_GIVE_UP_MS) {
					fprintf(stderr, "%s: giving up: %s\n", prog, err);
					goto fail;
				}
				nap((int)outbox_backoff_next(&bo));
				continue;
			}
		}
		uint64_t id = wsc_next_id(s->c);
		if (build(ctx, id, &msg) < 0) {
			fprintf(stderr, "%s: internal: a record of unknown kind\n", prog);
			goto fail;
		}
		slp_msg reply;
		rc = wsc_rpc(s->c, &msg, id, RPC_MS, &reply, err, sizeof(err));
		if (rc == 0) {
			outbox_reply rp;
			outbox_reply_read(&reply, &rp);
			if (rp.dup && rp.has_last && rp.has_seq && rp.last >= rp.seq)
				s->dups += (uint64_t)(rp.last - rp.seq + 1);
			if (reply_out)
				*reply_out = reply;
			else
				slp_msg_release(&reply);
			sl_buf_release(&msg);
			return 0;
		}
		slp_msg_release(&reply);
		if (rc == SL_EIO || sl_err_retry(rc) == SL_RETRY_AGAIN) {
			if (rc == SL_EIO || rc == SL_ETIMEOUT) {
				wsc_free(s->c);
				s->c = NULL;
			}
			fprintf(stderr, "%s: %s: %s; sending again\n", prog, what, err);
			nap((int)outbox_backoff_next(&bo));
			continue;
		}
		fprintf(stderr, "%s: %s: %s\n", prog, what, err);
		if (rc == SL_ETYPE)
			fprintf(stderr, "%s: the server does not take this message type; "
					"a server with regatta support is needed\n",
				prog);
		goto fail;
	}
fail:
	sl_buf_release(&msg);
	return 1;
}

static int build_token_issue(const void *ctx, uint64_t id, sl_buf *out)
{
	msgpack_packer pk;

	sl_buf_reset(out);
	slp_packer_init(&pk, out);
	msgpack_pack_map(&pk, 4);
	slp_pack_kv_str(&pk, "t", "token_issue");
	slp_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	slp_pack_kv_str(&pk, "role", "reader");
	slp_pack_kv_str(&pk, "device", ctx);
	return 0;
}

/* The connection of station device dev (of a passings record), its reader
 * token issued through the officials' connection m on first use; NULL on
 * an error (printed). */
static struct sender *station(struct sender *m, struct sender **devs, size_t *ndevs,
			      const char *dev, size_t devn)
{
	for (size_t i = 0; i < *ndevs; i++)
		if (strlen(devs[i]->dev) == devn && !memcmp(devs[i]->dev, dev, devn))
			return devs[i];
	if (devn >= sizeof(devs[0]->dev) || *ndevs >= MAX_STATIONS) {
		fprintf(stderr, "%s: device '%.*s': too many station devices (at most %d)\n", prog,
			(int)(devn > 64 ? 64 : devn), dev, MAX_STATIONS);
		return NULL;
	}
	struct sender *d = sl_calloc(1, sizeof(*d));
	memcpy(d->dev, dev, devn);
	char what[120];
	snprintf(what, sizeof(what), "a reader token for station device '%s'", d->dev);
	slp_msg reply;
	const char *t;
	size_t tn;
	if (send_msg(m, build_token_issue, d->dev, what, &reply) != 0) {
		free(d);
		return NULL;
	}
	if (slp_get_str(&reply.root, "token", &t, &tn) != 0 || tn == 0 || tn >= sizeof(d->token)) {
		fprintf(stderr, "%s: %s: no token in the reply\n", prog, what);
		slp_msg_release(&reply);
		free(d);
		return NULL;
	}
	memcpy(d->token, t, tn);
	slp_msg_release(&reply);
	d->conn = m->conn;
	d->conn.token = d->token;
	d->conn.token_file = NULL;
	devs[(*ndevs)++] = d;
	return d;
}

/* Send one record as its message until it is answered, a station's
 * readings on the station's own connection; 0 or 1 (printed). */
static int send_rec(struct sender *m, struct sender **devs, size_t *ndevs, const sl_buf *rec)
{
	char what[160];
	struct sender *s = m;
	msgpack_zone z;
	msgpack_object root;
	size_t off = 0;
	const char *k, *dev;
	size_t kn, devn;

	what_of(rec->data, rec->len, what, sizeof(what));
	msgpack_zone_init(&z, 1024);
	if (msgpack_unpack(rec->data, rec->len, &off, &z, &root) == MSGPACK_UNPACK_SUCCESS &&
	    slp_get_str(&root, "k", &k, &kn) == 0 && kn == 8 && !memcmp(k, "passings", 8) &&
	    slp_get_str(&root, "dev", &dev, &devn) == 0 &&
	    !(s = station(m, devs, ndevs, dev, devn))) {
		msgpack_zone_destroy(&z);
		return 1;
	}
	msgpack_zone_destroy(&z);
	int rc = send_msg(s, build_rec, rec, what, NULL);
	if (s != m)
		m->dups += s->dups, s->dups = 0;
	return rc;
}

/* The event id from the file name: "regatta-hebda-2023.csv" -> "regatta-hebda-2023". */
static char event_buf[65];
static void event_from_file(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = 0;
	for (; b[n] && n < sizeof(event_buf) - 1; n++) {
		unsigned char ch = (unsigned char)b[n];
		if (!strcmp(b + n, ".csv"))
			break;
		event_buf[n] = isalnum(ch) ? (char)tolower(ch) : '-';
	}
	event_buf[n] = '\0';
	conn.event = event_buf;
}

/* Print the builder's warning lines, each as "PROG: warning: ...". */
static void print_warnings(const sl_buf *w)
{
	for (const char *p = w->data; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(stderr, "%s: warning: %.*s\n", prog, (int)n, p);
		p += n + (nl != NULL);
	}
}

/* ---- main */

/* The command line: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, const char **cmd, const char **file)
{
	const char *pos[2];
	int npos;
	int rc = opt_cli(opts, argc - 1, argv + 1, pos, 2, &npos, prog, usage, OPT_ON_ERROR_USAGE);
	if (rc >= 0)
		return rc;
	if (npos != 2 ||
	    (strcmp(pos[0], "import") != 0 && strcmp(pos[0], "replay") != 0)) {
		usage(stderr);
		return 2;
	}
	if (!*opts[O_OFFICIAL].val) {
		fprintf(stderr, "%s: --official: expected a name\n", prog);
		return 2;
	}
	char err[512];
	const char *tz = opts[O_TIMEZONE].val;
	if (tz && evtime_zone_check(tz, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: --timezone: %s\n", prog, err);
		return 2;
	}
	conn.server = opts[O_SERVER].val;
	conn.event = opts[O_EVENT].val;
	conn.token = opts[O_TOKEN].val;
	conn.token_file = opts[O_TOKEN_FILE].val;
	*cmd = pos[0];
	*file = pos[1];
	return -1;
}

/* The file, its days and the midnight each day's clock times count from
 * (day0); -1 to go on, else the exit status. */
static int load(const char *file, regfile **rf, sl_buf *warn, int64_t *day0)
{
	char err[512];
	const char *tz = opts[O_TIMEZONE].val;
	if (regfile_load(file, rf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (regfile_days(*rf, opts[O_DATE].val, warn, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	for (size_t k = 0; k < regfile_ndays(*rf); k++) {
		int y, mo, d;
		regfile_day(*rf, k, &y, &mo, &d);
		day0[k] = regfile_utc_midnight(y, mo, d);
		if (tz && evtime_local(tz, y, mo, d, 0, 0, 0, 0, &day0[k], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: --timezone: %s\n", prog, err);
			return 2;
		}
	}
	if (slc_conn_resolve(&conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (!conn.event)
		event_from_file(file);
	return -1;
}

/* What was sent, for the summary. */
struct tally {
	size_t adj, starts, reads, batches;
};

/* Send every record; 0 or 1 (printed).  Counts what went into t. */
static int send_all(struct sender *s, const reg_recs *recs, struct tally *t)
{
	struct sender *devs[MAX_STATIONS];
	size_t ndevs = 0;
	int ec = 0;
	for (size_t i = 0; i < recs->n && !ec; i++) {
		char what[64];
		ec = send_rec(s, devs, &ndevs, &recs->r[i]);
		what_of(recs->r[i].data, recs->r[i].len, what, sizeof(what));
		if (!strncmp(what, "adjust", 6))
			t->adj++;
		else if (!strncmp(what, "wave_start", 10))
			t->starts++;
		else if (!strncmp(what, "passings", 8))
			t->batches++;
	}
	/* count the reads from the records (each batch's array) */
	for (size_t i = 0; i < recs->n; i++) {
		msgpack_zone z;
		msgpack_object root;
		const msgpack_object_array *a;
		size_t off = 0;
		msgpack_zone_init(&z, 4096);
		if (msgpack_unpack(recs->r[i].data, recs->r[i].len, &off, &z, &root) ==
			    MSGPACK_UNPACK_SUCCESS &&
		    slp_get_arr(&root, "reads", &a) == 0)
			t->reads += a->size;
		msgpack_zone_destroy(&z);
	}
	for (size_t i = 0; i < ndevs; i++) {
		if (devs[i]->c)
			wsc_free(devs[i]->c);
		free(devs[i]);
	}
	return ec;
}

int main(int argc, char **argv)
{
	const char *cmd, *file;
	int ec = parse_args(argc, argv, &cmd, &file);
	if (ec >= 0)
		return ec;
	regfile *rf = NULL;
	sl_buf warn = SL_BUF_INIT;
	int64_t day0[REGFILE_MAX_DAYS];
	reg_recs recs = {0};
	ec = load(file, &rf, &warn, day0);
	if (ec >= 0)
		goto out;
	bool import = !strcmp(cmd, "import");
	if (import) {
		struct reg_opts o = {.event = conn.event,
				     .official = opts[O_OFFICIAL].val,
				     .timezone = opts[O_TIMEZONE].val,
				     .distance_m = opts[O_DISTANCE].val ? opts[O_DISTANCE].i : 0,
				     .chunk = (size_t)opts[O_CHUNK].i,
				     .places = opts[O_PLACES].on};
		regfile_import(rf, &o, &recs, &warn);
	} else {
		regfile_replay(rf, (size_t)opts[O_BATCH].i, 0, day0, &recs);
	}
	print_warnings(&warn);
	sl_buf_reset(&warn);

	struct sender s = {.conn = conn};
	struct tally t = {0};
	ec = send_all(&s, &recs, &t);
	if (!ec && import)
		printf("import: %zu races, %zu crews, %zu adjustments\n", regfile_nevents(rf),
		       regfile_nrows(rf), t.adj);
	else if (!ec)
		printf("replay: sent %zu reads in %zu batches, acked %zu, duplicates %llu; %zu "
		       "starts\n",
		       t.reads, t.batches, t.reads, (unsigned long long)s.dups, t.starts);
	if (s.c)
		wsc_free(s.c);
out:
	sl_buf_release(&warn);
	reg_recs_release(&recs);
	regfile_free(rf);
	slc_conn_release(&conn);
	return ec;
}

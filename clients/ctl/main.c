/*
 * splitline: the officials' command line (see /work/TEAM.md for the
 * interface, protocol/PROTOCOL.md for the messages).
 *
 * Each command is one function: it checks its input locally first (a
 * config or a CSV file is validated whole, with file:line errors, before
 * anything is sent), then opens one session (connect + hello), sends its
 * requests and prints the outcome.  Exit 0 on success, 1 on an error reply,
 * a connection failure or bad input, 2 on a usage error.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliutil.h"
#include "csvimport.h"
#include "evcfg.h"
#include "evtime.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define CONNECT_MS 5000
#define RPC_MS 60000
#define CHUNK_ROWS 1000

static const char *prog = "splitline";
static slc_conn conn;

#define GLOBAL_OPTS                                                            \
	{"--server", true, &conn.server, NULL},                                \
	{"--event", true, &conn.event, NULL},                                  \
	{"--token", true, &conn.token, NULL},                                  \
	{"--token-file", true, &conn.token_file, NULL}

static const char usage_main[] =
	"usage: splitline [--server ws://HOST:PORT/ws] [--event ID] [--token T | --token-file F]\n"
	"                 COMMAND [ARGS]\n"
	"\n"
	"The officials' tool for a Splitline server.\n"
	"\n"
	"Commands:\n"
	"  event create FILE.yaml [--dry-run]       create or replace the event from a config file\n"
	"  participants import FILE.csv [--map field=Header,...] [--race ID]\n"
	"                      [--date-format ORDER] [--chip-from-bib] [--blank] [--dry-run]\n"
	"                                           import participants from a CSV file\n"
	"  token issue --role ROLE [--device ID] [--point PT]\n"
	"                                           issue a token (printed alone on stdout)\n"
	"  token revoke TOKEN                       revoke a token\n"
	"  wave start RACE WAVE [--at TIME]         set a wave's start time (default now)\n"
	"  passing add --bib BIB --pt POINT --at TIME [--kind manual|handheld]\n"
	"                                           record a passing by hand\n"
	"  adjust BIB TYPE --reason TEXT --official NAME [--ms N] [--place N]\n"
	"         [--pt PT] [--station ID] [--at TIME] [--clear]\n"
	"                                           an official's decision (penalty, dq, ...)\n"
	"  race official RACE --official NAME [--withdraw]\n"
	"                                           make a race's results official\n"
	"  lineup RACE BIB:LANE... --official NAME --reason TEXT | lineup RACE --clear ...\n"
	"                                           override a generated line-up\n"
	"  results RACE [--format csv|json] [--out FILE]\n"
	"                                           download a race's results\n"
	"  status                                   print the server's /health\n"
	"  checkin undo BIB --official NAME [--reason TEXT]\n"
	"                                           undo an athlete's check-in\n"
	"  audit [--format csv|json] [--out FILE]   the audit trail of bib and chip changes\n"
	"\n"
	"Options (also accepted after the command):\n"
	"  --server URL       the server's WebSocket URL; env SPLITLINE_SERVER,\n"
	"                     default ws://127.0.0.1:8080/ws\n"
	"  --event ID         the event; env SPLITLINE_EVENT; when unset, the event the\n"
	"                     server reports on /health (event create: the file's event)\n"
	"  --token T          the token; env SPLITLINE_TOKEN\n"
	"  --token-file F     a file whose first line is the token; env SPLITLINE_TOKEN_FILE\n"
	"\n"
	"Exit status: 0 on success, 1 on an error reply or bad input, 2 on a usage error.\n"
	"Run 'splitline COMMAND --help' for the details of a command.\n";

static const char usage_event[] =
	"usage: splitline event create FILE.yaml [--dry-run]\n"
	"\n"
	"Reads the event configuration (protocol/PROTOCOL.md, \"Event configuration\"),\n"
	"checks it and sends it as event_create; sending it again replaces the config\n"
	"and the server recomputes the results.  Needs an admin token.  The event id is\n"
	"the file's 'event' (with --event, the two must agree).  Every problem is\n"
	"reported, as FILE:LINE: PATH: what, before anything is sent, e.g.\n"
	"  race.yaml:12: races[0].points[2].role: expected start, split or finish\n"
	"  race.yaml:7: races[0].rankng: unknown key; did you mean 'ranking'?\n"
	"A key the config does not have is an error, not ignored; so are wave bib\n"
	"ranges that overlap (in a race or across races) and two categories with the\n"
	"same rule.\n"
	"\n"
	"Times: 'timezone: America/New_York' (an IANA zone, a file under\n"
	"/usr/share/zoneinfo) gives the event its clock.  A wave start written\n"
	"without an offset (2015-04-20T10:00:00) is read in it, DST included, and\n"
	"sent with the offset it has that day (-04:00); without a timezone such a\n"
	"start is an error.  Pages show clock times in the event's zone.\n"
	"\n"
	"  --dry-run    only check the file; nothing is sent\n";

static const char usage_participants[] =
	"usage: splitline participants import FILE.csv [--map field=Header,...] [--race ID]\n"
	"                                    [--date-format DD/MM/YYYY|MM/DD/YYYY]\n"
	"                                    [--chip-from-bib] [--blank] [--dry-run]\n"
	"\n"
	"Imports participants from a CSV file whose first line is a header.  Fields:\n"
	"bib reg name first last sex age birth club wave race chip chip2, and\n"
	"fields.<name> for custom fields (only through --map).  Each is read from the\n"
	"column --map names, else from a column whose header is a known spelling of\n"
	"it, in any case and ignoring spaces and punctuation: 'Bib No', 'Race Number',\n"
	"'First Name', 'Surname', 'Gender', 'M/F', 'Date of Birth', 'DOB', 'Club',\n"
	"'Chip ID', 'Tag', 'Transponder', 'Registration Code', ... (weaker guesses:\n"
	"'Number' for bib, 'Team' for club, 'Event' or 'Distance' for race, taken only\n"
	"when no better column is there).  Two columns that fit one field equally are\n"
	"refused: pick one with --map.  Every column that feeds nothing is listed as\n"
	"'columns not imported' (a warning); --map fields.NAME=Header keeps one.\n"
	"\n"
	"A file without a bib or reg column, or without a name column (name, or\n"
	"first and/or last), is refused with the --map that would fix it; --map name=\n"
	"(nothing after =) imports athletes without names, and any field= turns a\n"
	"guessed column off.  reg is the registration code (1 to 64 letters, digits,\n"
	"_ . - +, unique); a row with a reg may leave bib empty: that athlete gets a\n"
	"bib at pickup.\n"
	"\n"
	"The whole file is checked first: bib unique and required unless the row has a\n"
	"reg, sex M/F/X (also Male/Men/Female/Women/W/Girl/Boy; Non-binary/Not\n"
	"specified/Other/Prefer not to say give X), age 0..120, at most two chips, each\n"
	"unique, birth a date: YYYY-MM-DD, DD.MM.YYYY, or DD/MM/YYYY or MM/DD/YYYY; a\n"
	"date that reads only one way (13/05/1990) tells the file's order, and a file\n"
	"whose dates all read both ways needs --date-format.  \"Last, First\" names\n"
	"become \"First Last\".  Every bad row is reported (up to 50), e.g.\n"
	"  people.csv:14: field 'sex': 'Q' is not M, F or X\n"
	"and then nothing is sent.  Otherwise the rows go to the server in chunks of\n"
	"1000, first all as a dry run (the server checks them), then for real.  A bib\n"
	"imported again replaces the earlier entry.  Needs an official or admin token.\n"
	"\n"
	"  --map field=Header,...   columns for fields, e.g. --map sex=M/F,fields.team=Team\n"
	"                           (one --map: a second replaces the first)\n"
	"  --race ID                the race of rows without a race column\n"
	"  --date-format ORDER      dates like 05/03/1990 are DD/MM/YYYY (or dmy) or\n"
	"                           MM/DD/YYYY (or mdy)\n"
	"  --chip-from-bib          the bib is also the participant's (first) chip\n"
	"  --blank                  the file is a chip file: bibs with their chips and no\n"
	"                           athlete (pre-chipped bibs that desks hand out at pickup;\n"
	"                           assign gives one to a registration, chips included)\n"
	"  --dry-run                print which column feeds which field, check locally and\n"
	"                           on the server; import nothing\n"
	"\n"
	"A progress line is shown on stderr when it is a terminal (or when\n"
	"SPLITLINE_PROGRESS=1) and the file has more than 1000 rows.\n"
	"\n"
	"Athletes who fit no category of their race (as the server's categories\n"
	"stand) are imported all the same, and listed on stderr as a warning: how\n"
	"many and the first 20 bibs, e.g.\n"
	"  splitline: warning: 2 participants fit no category of their race: 17, 230\n";

static const char usage_token[] =
	"usage: splitline token issue --role ROLE [--device ID] [--point PT]\n"
	"       splitline token revoke TOKEN\n"
	"\n"
	"issue: asks the server for a new token with the role (and its device id)\n"
	"and prints it alone on stdout; the server keeps only its hash, so it cannot\n"
	"be shown again.  A token writes as its device only.  revoke: the token\n"
	"stops writing at once, on every node.  Both need an admin token.\n"
	"\n"
	"  --role ROLE    admin, official, reader (timing device), desk (check-in\n"
	"                 desk) or scanner (handheld)\n"
	"  --device ID    the device the token writes as: required for reader, desk\n"
	"                 and scanner; an official or admin token without one writes\n"
	"                 as official-<hash>/admin-<hash>, numbered by the server\n"
	"  --point PT     scanner only: the one timing point it may send passings at\n"
	"                 (without it, a scanner sends check-ins only)\n";

static const char usage_wave[] =
	"usage: splitline wave start RACE WAVE [--at TIME] [--reason TEXT --official NAME]\n"
	"\n"
	"Sets the start time (T0) of a wave; changing it later recomputes every\n"
	"result of the wave.  Needs an official or admin token.\n"
	"\n"
	"  --at TIME         a clock time on the event's date in its time zone (09:55,\n"
	"                    9:55:30, 09:55:30.250), ISO 8601 with an offset\n"
	"                    (2015-04-20T09:55:00-04:00) or without (read in the event's\n"
	"                    zone), or \"now\" (the default).  Clock times need the\n"
	"                    event's 'timezone' (its config); the time is printed back\n"
	"                    in that zone.\n"
	"  --reason TEXT     why (required once the race's results are official: the\n"
	"                    change marks them corrected)\n"
	"  --official NAME   who (required with --reason)\n";

static const char usage_passing[] =
	"usage: splitline passing add --bib BIB --pt POINT --at TIME [--kind manual|handheld]\n"
	"                             [--force]\n"
	"\n"
	"Records one passing of a bib at a timing point, as a one-read batch of the\n"
	"token's device.  An official's or admin's token without a device writes as\n"
	"its own device (official-<12 hex digits of the token's hash>), numbered by\n"
	"the server, so two officials never take each other's seqs; a token with a\n"
	"device (a reader's, say) numbers it from the clock in ms, and once more from\n"
	"the seq the server expects when it answers \"gap\".  A manual or handheld\n"
	"read counts only where the point has no RFID read for the athlete.\n"
	"\n"
	"  --bib BIB     the athlete's bib\n"
	"  --pt POINT    the timing point id\n"
	"  --at TIME     a clock time on the event's date in its time zone (13:48:05,\n"
	"                9:48), ISO 8601 (with an offset, or without: in the event's\n"
	"                zone) or \"now\" (the years 2000 to 2100)\n"
	"  --kind KIND   manual (default) or handheld\n"
	"  --force       record it even when it will not count as typed: first the\n"
	"                server says why not (no participant with that bib, a point\n"
	"                the athlete's race does not have, a time before the wave's\n"
	"                start, a mat read already there), and without --force\n"
	"                nothing is recorded and the exit status is 1\n";

static const char usage_results[] =
	"usage: splitline results RACE [--format csv|json] [--out FILE]\n"
	"\n"
	"Downloads GET /api/results/RACE.csv (or .json) from the server's host and port\n"
	"and writes it to stdout or FILE.  Needs no token.\n"
	"\n"
	"  --format F   csv (default) or json\n"
	"  --out FILE   write to FILE instead of stdout\n";

static const char usage_status[] =
	"usage: splitline status\n"
	"\n"
	"Prints the server's GET /health answer (JSON): event, Redis state, records,\n"
	"last log id, caught_up.  Exit 1 when the server cannot be reached or answers\n"
	"with an error status.\n";

static const char usage_checkin[] =
	"usage: splitline checkin undo BIB --official NAME [--reason TEXT]\n"
	"\n"
	"Undoes the check-in of BIB (the athlete's next scan checks them in again); the\n"
	"undo is a line of the audit trail.  Needs an official or admin token.\n";

static const char usage_audit[] =
	"usage: splitline audit [--format csv|json] [--out FILE]\n"
	"\n"
	"Prints the audit trail (topic audit, PROTOCOL.md \"Topics\"), in log order:\n"
	"every bib assigned at pickup, chip paired, swap, transfer and undone\n"
	"check-in, and every official's decision (penalty, dq, dns, dnf, scratch,\n"
	"exhibition, relegation, place, station, hand_time, wave_start,\n"
	"race_official, lineup, a hand-entered passing), with who, when, on which\n"
	"device, why, the value before and after, and how many results it changed.\n"
	"CSV columns: i,op,time,dev,by,bib,race,pt,reg,chip,old_chip,with,reason,\n"
	"from,to,changed (time ISO 8601 UTC; from/to: the person's name, or the\n"
	"decision's value).  Needs a desk, official or admin token.\n"
	"\n"
	"  --format csv|json   default csv; json prints the rows as sent\n"
	"  --out FILE          write there instead of stdout\n";

/* ---- helpers ---- */

static int usage_error(const char *help)
{
	fputs(help, stderr);
	return 2;
}

static int parse_or_exit(int argc, char **argv, const slc_opt *opts, const char **pos,
			 int maxpos, int *npos, const char *help, int *exitcode)
{
	int rc = slc_parse(argc, argv, opts, pos, maxpos, npos, prog);
	if (rc == SLC_HELP) {
		fputs(help, stdout);
		*exitcode = 0;
		return -1;
	}
	if (rc == SLC_USAGE) {
		fprintf(stderr, "see 'splitline --help'\n");
		*exitcode = 2;
		return -1;
	}
	return 0;
}

static int resolve(void)
{
	char err[512];
	if (slc_conn_resolve(&conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	return 0;
}

/* GET a path on the server's host:port. */
static int http_get(const char *path, int *status, sl_buf *body)
{
	wsc_url u;
	char err[512];
	if (wsc_url_parse(conn.server, &u) != 0) {
		fprintf(stderr, "%s: bad server URL '%s': expected ws://HOST:PORT/ws\n", prog,
			conn.server);
		return 2;
	}
	if (u.tls) {
		fprintf(stderr, "%s: HTTPS is not supported for '%s'\n", prog, conn.server);
		return 1;
	}
	if (httpc_get(u.host, u.port, path, RPC_MS, status, body, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	return 0;
}

/* When no event is given, ask the server which one it serves. */
static char event_buf[128];
static int need_event(void)
{
	if (conn.event)
		return 0;
	sl_buf body = SL_BUF_INIT, mp = SL_BUF_INIT;
	int status = 0, rc = http_get("/health", &status, &body);
	if (rc)
		goto out;
	rc = 1;
	/* /health is a plain JSON object (no "t"): unpack it directly */
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	const char *ev;
	size_t n;
	if (status == 200 && slp_json_to_msgpack(body.data, body.len, &mp) == 0 &&
	    msgpack_unpack_next(&u, mp.data, mp.len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP &&
	    slp_get_str(&u.data, "event", &ev, &n) == 0 && n && n < sizeof(event_buf)) {
		memcpy(event_buf, ev, n);
		event_buf[n] = '\0';
		conn.event = event_buf;
		rc = 0;
	}
	msgpack_unpacked_destroy(&u);
	if (rc)
		fprintf(stderr, "%s: no event: give --event ID or set SPLITLINE_EVENT\n", prog);
out:
	sl_buf_release(&body);
	sl_buf_release(&mp);
	return rc;
}

static int open_session(wsc **c, slp_msg *hello)
{
	char err[512];
	int rc = slc_open(&conn, c, hello, CONNECT_MS, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	return 0;
}

/* Start a request map: {t, id, ...n more}. */
static void req_begin(msgpack_packer *pk, sl_buf *b, wsc *c, const char *type, size_t nmore,
		      uint64_t *id)
{
	slp_packer_init(pk, b);
	*id = wsc_next_id(c);
	msgpack_pack_map(pk, 2 + nmore);
	slp_pack_kv_str(pk, "t", type);
	slp_pack_kv_int(pk, "id", (int64_t)*id);
}

/*
 * One command's session: resolve the server and event, open the connection
 * and say hello; the request buffer and the reply live here too, so that
 * session_end() releases everything whatever path the command took.
 */
struct session {
	wsc *c;
	slp_msg hello, reply;
	sl_buf b;
};

/* Returns 0, or the exit code (the reason is already printed). */
static int session_begin(struct session *s)
{
	int rc;
	memset(s, 0, sizeof(*s));
	sl_buf_init(&s->b);
	if ((rc = resolve()) || (rc = need_event()))
		return rc;
	if (open_session(&s->c, &s->hello)) {
		s->c = NULL; /* slc_open frees what it opened */
		return 1;
	}
	return 0;
}

static void session_end(struct session *s)
{
	slp_msg_release(&s->reply);
	slp_msg_release(&s->hello);
	sl_buf_release(&s->b);
	if (s->c)
		wsc_free(s->c);
}

/* Send a simple request; on error print "what: msg".  Returns exit code. */
static int simple_rpc(wsc *c, sl_buf *req, uint64_t id, slp_msg *reply, const char *what)
{
	char err[512];
	int rc = wsc_rpc(c, req, id, RPC_MS, reply, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s: %s\n", prog, what, err);
		return 1;
	}
	return 0;
}

/*
 * The event's date and time zone, from the `event` topic: times an official
 * types as clock times are on that date in that zone, and times printed
 * back are in that zone.  Subscribed for the one snapshot, then
 * unsubscribed, so that no later snapshot (after a wave start) gets in the
 * way.  Empty when the server has no event yet or the event no timezone.
 */
struct evclock {
	char date[16];
	char tz[72];
};

static void fetch_clock(struct session *s, struct evclock *ec)
{
	sl_buf b = SL_BUF_INIT, frame = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t id;
	slp_msg reply = {0}, snap = {0};
	char err[256];
	memset(ec, 0, sizeof(*ec));
	req_begin(&pk, &b, s->c, "subscribe", 1, &id);
	slp_pack_kv_str(&pk, "topic", "event");
	if (wsc_rpc(s->c, &b, id, RPC_MS, &reply, err, sizeof(err)) != 0)
		goto out;
	int64_t deadline = wsc_mono_ms() + RPC_MS;
	while (wsc_mono_ms() < deadline) {
		bool binary;
		const char *t;
		size_t tn;
		sl_buf_reset(&frame);
		if (wsc_recv(s->c, &frame, &binary, (int)(deadline - wsc_mono_ms())) != 0)
			break;
		slp_msg_release(&snap);
		if (slp_decode(&snap, frame.data, frame.len, binary ? SLP_MSGPACK : SLP_JSON) != 0 ||
		    !(t = slp_type(&snap, &tn)) || tn != 8 || memcmp(t, "snapshot", 8) != 0 ||
		    !slp_str_eq(slp_get(&snap.root, "topic"), "event"))
			continue;
		const msgpack_object_array *rows;
		const char *v;
		size_t n;
		if (slp_get_arr(&snap.root, "rows", &rows) == 0 && rows->size &&
		    rows->ptr[0].type == MSGPACK_OBJECT_MAP) {
			if (slp_get_str(&rows->ptr[0], "date", &v, &n) == 0 && n < sizeof(ec->date))
				memcpy(ec->date, v, n), ec->date[n] = '\0';
			if (slp_get_str(&rows->ptr[0], "timezone", &v, &n) == 0 && n < sizeof(ec->tz))
				memcpy(ec->tz, v, n), ec->tz[n] = '\0';
		}
		break;
	}
	slp_msg_release(&reply);
	sl_buf_reset(&b);
	req_begin(&pk, &b, s->c, "unsubscribe", 1, &id);
	slp_pack_kv_str(&pk, "topic", "event");
	wsc_rpc(s->c, &b, id, RPC_MS, &reply, err, sizeof(err));
out:
	slp_msg_release(&reply);
	slp_msg_release(&snap);
	sl_buf_release(&b);
	sl_buf_release(&frame);
}

/* --at TIME: 0 or an exit code, with the reason printed.  Before connecting,
 * check only its form (at_form); once connected, read it (at_read). */
static int at_form(const char *opt, const char *at)
{
	if (evtime_kind(at) != EVTIME_BAD)
		return 0;
	fprintf(stderr,
		"%s: %s '%s' is not a time: give HH:MM[:SS] (on the event's date, in its time "
		"zone), ISO 8601 or now\n",
		prog, opt, at);
	return 2;
}

static int at_read(const char *opt, const char *at, const struct evclock *ec, int64_t *t)
{
	char err[384];
	if (evtime_parse(at, ec->tz[0] ? ec->tz : NULL, ec->date[0] ? ec->date : NULL, t, err,
			 sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, opt, err);
		return 2;
	}
	if (!sl_time_ok(*t)) {
		fprintf(stderr, "%s: %s '%s' is not in the years 2000 to 2100\n", prog, opt, at);
		return 2;
	}
	return 0;
}

/*
 * Connect for a command that takes --at: the session, the event's clock
 * (date, zone) and the time read in it.  0, or an exit code (the reason
 * printed; the session is ended then).
 */
static int begin_timed(struct session *ss, struct evclock *clk, const char *at, int64_t *t)
{
	int rc = session_begin(ss);
	if (!rc) {
		fetch_clock(ss, clk);
		rc = at_read("--at", at, clk, t);
	}
	if (rc)
		session_end(ss);
	return rc;
}

/* An instant as the event's clocks show it: "2015-04-20T10:00:00-04:00
 * (America/New_York)", or UTC ("...Z") when it has no zone. */
static void fmt_event_time(sl_buf *b, int64_t t, const struct evclock *ec)
{
	char why[256];
	bool zone = ec->tz[0] && evtime_zone_check(ec->tz, why, sizeof(why)) == 0;
	evtime_fmt(b, t, zone ? ec->tz : NULL);
	if (zone)
		sl_buf_addf(b, " (%s)", ec->tz);
}

/* ---- event create ---- */

static int cmd_event(int argc, char **argv)
{
	bool dry = false;
	const char *pos[2];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS, {"--dry-run", false, NULL, &dry}, {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 2, &npos, usage_event, &ec))
		return ec;
	if (npos < 1 || strcmp(pos[0], "create") != 0 || npos != 2)
		return usage_error(usage_event);
	const char *file = pos[1];
	sl_buf errs = SL_BUF_INIT;
	evcfg *cfg = NULL;
	int rc = evcfg_load_file(file, &cfg, &errs);
	if (rc) {
		fputs(errs.data ? errs.data : "", stderr);
		sl_buf_release(&errs);
		return 1;
	}
	sl_buf_release(&errs);
	if (conn.event && strcmp(conn.event, cfg->event) != 0) {
		fprintf(stderr, "%s: '%s' is for event '%s', not '%s'\n", prog, file, cfg->event,
			conn.event);
		evcfg_free(cfg);
		return 1;
	}
	size_t npoints = 0, nwaves = 0, ncats = 0;
	for (size_t i = 0; i < cfg->nraces; i++) {
		npoints += cfg->races[i].npoints;
		nwaves += cfg->races[i].nwaves;
		ncats += cfg->races[i].ncats;
	}
	char summary[384];
	snprintf(summary, sizeof(summary),
		 "event '%s'%s%s%s: %zu race%s, %zu wave%s, %zu point%s, %zu categor%s", cfg->event,
		 cfg->timezone ? " (" : "", cfg->timezone ? cfg->timezone : "",
		 cfg->timezone ? ")" : "", cfg->nraces, cfg->nraces == 1 ? "" : "s", nwaves,
		 nwaves == 1 ? "" : "s", npoints, npoints == 1 ? "" : "s", ncats,
		 ncats == 1 ? "y" : "ies");
	if (dry) {
		printf("%s: ok (dry run, nothing sent)\n", summary);
		evcfg_free(cfg);
		return 0;
	}
	conn.event = cfg->event;
	if ((rc = resolve()) != 0) {
		evcfg_free(cfg);
		return rc;
	}
	wsc *c;
	slp_msg hello, reply;
	if (open_session(&c, &hello)) {
		evcfg_free(cfg);
		return 1;
	}
	sl_buf b = SL_BUF_INIT;
	msgpack_packer pk;
	uint64_t id;
	req_begin(&pk, &b, c, "event_create", 1, &id);
	slp_pack_key(&pk, "config");
	sl_buf_add(&b, cfg->mp, cfg->mp_len);
	rc = simple_rpc(c, &b, id, &reply, "event create");
	if (!rc)
		printf("%s: created\n", summary);
	slp_msg_release(&reply);
	slp_msg_release(&hello);
	sl_buf_release(&b);
	wsc_free(c);
	evcfg_free(cfg);
	return rc;
}

/* ---- participants import ---- */

static bool show_progress(size_t nrows)
{
	const char *e = getenv("SPLITLINE_PROGRESS");
	if (e && *e)
		return strcmp(e, "0") != 0;
	return nrows > CHUNK_ROWS && isatty(2);
}

/* Map an err reply of chunk k to a file line and print it. */
static void report_row_err(const char *file, const csvimp *ci, size_t first, size_t n,
			   const slp_msg *reply, const char *msg)
{
	int64_t row = -1;
	if (reply->zone)
		slp_get_int(&reply->root, "row", &row);
	const char *m = msg;
	if (strncmp(m, "rows[", 5) == 0) {
		char *end;
		long r = strtol(m + 5, &end, 10);
		if (*end == ']') {
			if (row < 0)
				row = r;
			m = end + 1;
			if (*m == '.')
				m++;
		}
	}
	if (row >= 0 && (size_t)row < n)
		fprintf(stderr, "%s:%d: %s\n", file, ci->rows[first + (size_t)row].line, m);
	else
		fprintf(stderr, "%s: rows %d-%d: %s\n", file, ci->rows[first].line,
			ci->rows[first + n - 1].line, msg);
}

/*
 * Athletes who fit no category of their race, as the server's replies to
 * the chunks count and name them (PROTOCOL.md, participants): a warning.
 */
#define NOCAT_SHOWN 20
struct nocat {
	size_t n, nbibs;
	char bibs[NOCAT_SHOWN][72];
};

static void nocat_add(struct nocat *nc, const slp_msg *reply)
{
	int64_t n;
	const msgpack_object_array *bibs;
	if (slp_get_int(&reply->root, "no_category", &n) == 0 && n > 0)
		nc->n += (size_t)n;
	if (slp_get_arr(&reply->root, "no_category_bibs", &bibs) < 0)
		return;
	for (uint32_t i = 0; i < bibs->size && nc->nbibs < NOCAT_SHOWN; i++) {
		const msgpack_object *o = &bibs->ptr[i];
		if (o->type == MSGPACK_OBJECT_STR && o->via.str.size < sizeof(nc->bibs[0])) {
			memcpy(nc->bibs[nc->nbibs], o->via.str.ptr, o->via.str.size);
			nc->bibs[nc->nbibs++][o->via.str.size] = '\0';
		}
	}
}

static void nocat_warn(const struct nocat *nc)
{
	if (!nc->n)
		return;
	fprintf(stderr, "%s: warning: %zu participant%s no category of their race:", prog, nc->n,
		nc->n == 1 ? " fits" : "s fit");
	for (size_t i = 0; i < nc->nbibs; i++)
		fprintf(stderr, "%s %s", i ? "," : "", nc->bibs[i]);
	if (nc->n > nc->nbibs)
		fprintf(stderr, " and %zu more", nc->n - nc->nbibs);
	fputc('\n', stderr);
}

static int send_chunks(wsc *c, const char *file, const csvimp *ci, bool dry, bool progress,
		       size_t *count, struct nocat *nc)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	*count = 0;
	memset(nc, 0, sizeof(*nc));
	for (size_t first = 0; first < ci->nrows; first += CHUNK_ROWS) {
		size_t n = ci->nrows - first < CHUNK_ROWS ? ci->nrows - first : CHUNK_ROWS;
		msgpack_packer pk;
		uint64_t id;
		sl_buf_reset(&b);
		req_begin(&pk, &b, c, "participants", 2, &id);
		slp_pack_kv_bool(&pk, "dry_run", dry);
		slp_pack_key(&pk, "rows");
		msgpack_pack_array(&pk, n);
		for (size_t i = 0; i < n; i++)
			sl_buf_add(&b, ci->mp.data + ci->rows[first + i].off,
				   ci->rows[first + i].len);
		slp_msg reply;
		char err[512];
		int r = wsc_rpc(c, &b, id, RPC_MS, &reply, err, sizeof(err));
		if (r) {
			if (progress)
				fputc('\n', stderr);
			if (reply.zone)
				report_row_err(file, ci, first, n, &reply, err);
			else
				fprintf(stderr, "%s: participants: %s\n", prog, err);
			if (!dry && first > 0)
				fprintf(stderr,
					"%s: the rows before line %d were imported; fix and import "
					"again (a bib imported again replaces its entry)\n",
					prog, ci->rows[first].line);
			slp_msg_release(&reply);
			rc = 1;
			break;
		}
		int64_t cnt;
		*count += slp_get_int(&reply.root, "count", &cnt) == 0 ? (size_t)cnt : n;
		nocat_add(nc, &reply);
		slp_msg_release(&reply);
		if (progress)
			fprintf(stderr, "\r%s %zu/%zu rows", dry ? "checking" : "importing",
				first + n, ci->nrows);
	}
	if (progress && !rc)
		fputc('\n', stderr);
	sl_buf_release(&b);
	return rc;
}

static int cmd_participants(int argc, char **argv)
{
	bool dry = false, chip_from_bib = false, blank = false;
	const char *map = NULL, *race = NULL, *date_format = NULL;
	const char *pos[2];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--map", true, &map, NULL},
			  {"--race", true, &race, NULL},
			  {"--date-format", true, &date_format, NULL},
			  {"--chip-from-bib", false, NULL, &chip_from_bib},
			  {"--blank", false, NULL, &blank},
			  {"--dry-run", false, NULL, &dry},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 2, &npos, usage_participants, &ec))
		return ec;
	if (npos != 2 || strcmp(pos[0], "import") != 0)
		return usage_error(usage_participants);
	const char *file = pos[1];
	char err[512];
	if (csvimp_check_map(map, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	int order = date_format ? csvimp_date_order_parse(date_format) : CSVIMP_DATE_AUTO;
	if (order < 0) {
		fprintf(stderr, "%s: --date-format '%s' is not DD/MM/YYYY or MM/DD/YYYY\n", prog,
			date_format);
		return 2;
	}
	csvimp ci;
	csvimp_opts o = {.map = map,
			 .race = race,
			 .chip_from_bib = chip_from_bib,
			 .blank = blank,
			 .date_order = order};
	int rc = csvimp_parse_file(&ci, file, &o);
	/* what the columns became, before anything is sent or refused */
	sl_buf text = SL_BUF_INIT;
	if (dry && ci.ncols) {
		csvimp_columns_text(&ci, &text);
		printf("columns of '%s':\n%s", file, text.data);
		fflush(stdout);
		sl_buf_reset(&text);
	}
	if (csvimp_unused_text(&ci, &text))
		fprintf(stderr,
			"%s:%d: warning: columns not imported: %s (use --map fields.NAME=Header "
			"to keep one as a custom field)\n",
			file, ci.header_line, text.data);
	sl_buf_release(&text);
	if (rc) {
		fputs(ci.errs.data ? ci.errs.data : "", stderr);
		if (rc == SL_EPARSE)
			fprintf(stderr, "%s: %zu problem%s in '%s': nothing sent\n", prog,
				ci.nerrors, ci.nerrors == 1 ? "" : "s", file);
		csvimp_release(&ci);
		return 1;
	}
	if (!ci.nrows) {
		fprintf(stderr, "%s: no participants in '%s'\n", prog, file);
		csvimp_release(&ci);
		return 1;
	}
	if ((rc = resolve()) || (rc = need_event())) {
		csvimp_release(&ci);
		return rc;
	}
	wsc *c;
	slp_msg hello;
	if (open_session(&c, &hello)) {
		csvimp_release(&ci);
		return 1;
	}
	bool progress = show_progress(ci.nrows);
	size_t count = 0;
	struct nocat nc;
	rc = send_chunks(c, file, &ci, true, progress, &count, &nc);
	if (!rc && dry) {
		printf("%zu participant%s in '%s' %s valid (dry run, nothing imported)\n",
		       ci.nrows, ci.nrows == 1 ? "" : "s", file, ci.nrows == 1 ? "is" : "are");
		nocat_warn(&nc);
	}
	if (!rc && !dry) {
		rc = send_chunks(c, file, &ci, false, progress, &count, &nc);
		if (!rc) {
			printf("imported %zu participants from '%s'\n", count, file);
			nocat_warn(&nc);
		}
	}
	slp_msg_release(&hello);
	wsc_free(c);
	csvimp_release(&ci);
	return rc;
}

/* ---- token ---- */

static int cmd_token(int argc, char **argv)
{
	const char *role = NULL, *device = NULL, *point = NULL;
	const char *pos[2];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--role", true, &role, NULL},
			  {"--device", true, &device, NULL},
			  {"--point", true, &point, NULL},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 2, &npos, usage_token, &ec))
		return ec;
	bool issue = npos == 1 && strcmp(pos[0], "issue") == 0;
	bool revoke = npos == 2 && strcmp(pos[0], "revoke") == 0;
	if (!issue && !revoke)
		return usage_error(usage_token);
	if (issue && (!role || (strcmp(role, "admin") && strcmp(role, "official") &&
				strcmp(role, "reader") && strcmp(role, "desk") &&
				strcmp(role, "scanner")))) {
		fprintf(stderr,
			"%s: token issue needs --role admin, official, reader, desk or scanner\n",
			prog);
		return 2;
	}
	if (issue && point && strcmp(role, "scanner") != 0) {
		fprintf(stderr, "%s: --point is for --role scanner only\n", prog);
		return 2;
	}
	if (revoke && (role || device || point))
		return usage_error(usage_token);
	struct session ss;
	int rc = session_begin(&ss);
	if (rc) {
		session_end(&ss);
		return rc;
	}
	msgpack_packer pk;
	uint64_t id;
	if (issue) {
		req_begin(&pk, &ss.b, ss.c, "token_issue", 1 + !!device + !!point, &id);
		slp_pack_kv_str(&pk, "role", role);
		if (device)
			slp_pack_kv_str(&pk, "device", device);
		if (point)
			slp_pack_kv_str(&pk, "point", point);
	} else {
		req_begin(&pk, &ss.b, ss.c, "token_revoke", 1, &id);
		slp_pack_kv_str(&pk, "token", pos[1]);
	}
	rc = simple_rpc(ss.c, &ss.b, id, &ss.reply, issue ? "token issue" : "token revoke");
	if (!rc && issue) {
		const char *tok;
		size_t n;
		if (slp_get_str(&ss.reply.root, "token", &tok, &n) == 0) {
			printf("%.*s\n", (int)n, tok);
		} else {
			fprintf(stderr, "%s: token issue: the reply has no token\n", prog);
			rc = 1;
		}
	} else if (!rc) {
		printf("token revoked\n");
	}
	session_end(&ss);
	return rc;
}

/* ---- wave start ---- */

/* Send one request built by fill on an open session, print ok as done. */
typedef void (*fill_fn)(msgpack_packer *pk, const void *arg);
static int request_in(struct session *ss, const char *type, uint32_t nfields, fill_fn fill,
		      const void *arg, const char *what, const char *done)
{
	msgpack_packer pk;
	uint64_t id;
	sl_buf_reset(&ss->b);
	req_begin(&pk, &ss->b, ss->c, type, nfields, &id);
	fill(&pk, arg);
	int rc = simple_rpc(ss->c, &ss->b, id, &ss->reply, what);
	if (!rc)
		printf("%s\n", done);
	return rc;
}

/* Open a session, send one request built by fill, print ok as done. */
static int one_request(const char *type, uint32_t nfields, fill_fn fill, const void *arg,
		       const char *what, const char *done)
{
	struct session ss;
	int rc = session_begin(&ss);
	if (!rc)
		rc = request_in(&ss, type, nfields, fill, arg, what, done);
	session_end(&ss);
	return rc;
}

struct wave_args {
	const char *race, *wave, *reason, *official;
	int64_t t0;
};

static void fill_wave(msgpack_packer *pk, const void *arg)
{
	const struct wave_args *w = arg;
	slp_pack_kv_str(pk, "race", w->race);
	slp_pack_kv_str(pk, "wave", w->wave);
	slp_pack_kv_int(pk, "t0", w->t0);
	if (w->reason)
		slp_pack_kv_str(pk, "reason", w->reason);
	if (w->official)
		slp_pack_kv_str(pk, "official", w->official);
}

static int cmd_wave(int argc, char **argv)
{
	const char *at = "now", *reason = NULL, *official = NULL;
	const char *pos[3];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--at", true, &at, NULL},
			  {"--reason", true, &reason, NULL},
			  {"--official", true, &official, NULL},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 3, &npos, usage_wave, &ec))
		return ec;
	if (npos != 3 || strcmp(pos[0], "start") != 0)
		return usage_error(usage_wave);
	struct wave_args w = {pos[1], pos[2], reason, official, 0};
	int rc;
	if ((rc = at_form("--at", at)))
		return rc;
	struct session ss;
	struct evclock clk;
	if ((rc = begin_timed(&ss, &clk, at, &w.t0)))
		return rc;
	sl_buf done = SL_BUF_INIT;
	sl_buf_addf(&done, "wave '%s' of race '%s' starts at ", w.wave, w.race);
	fmt_event_time(&done, w.t0, &clk);
	rc = request_in(&ss, "wave_start", 3 + !!reason + !!official, fill_wave, &w, "wave start",
			done.data);
	sl_buf_release(&done);
	session_end(&ss);
	return rc;
}

/* ---- passing add ---- */

static int cmd_passing(int argc, char **argv)
{
	const char *bib = NULL, *pt = NULL, *at = NULL, *kind = "manual";
	const char *pos[1];
	bool force = false;
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--bib", true, &bib, NULL},
			  {"--pt", true, &pt, NULL},
			  {"--at", true, &at, NULL},
			  {"--kind", true, &kind, NULL},
			  {"--force", false, NULL, &force},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 1, &npos, usage_passing, &ec))
		return ec;
	if (npos != 1 || strcmp(pos[0], "add") != 0)
		return usage_error(usage_passing);
	if (!bib || !*bib || !pt || !*pt || !at) {
		fprintf(stderr, "%s: passing add needs --bib, --pt and --at\n", prog);
		return 2;
	}
	int k = slp_kind_parse(kind, strlen(kind));
	if (k != SLP_KIND_MANUAL && k != SLP_KIND_HANDHELD) {
		fprintf(stderr, "%s: --kind '%s' is not manual or handheld\n", prog, kind);
		return 2;
	}
	int64_t t;
	int rc;
	if ((rc = at_form("--at", at)))
		return rc;
	struct session ss;
	struct evclock clk;
	if ((rc = begin_timed(&ss, &clk, at, &t)))
		return rc;
	char device[80] = "", seqs[16] = "";
	const char *v;
	size_t vn;
	if (slp_get_str(&ss.hello.root, "device", &v, &vn) == 0 && vn < sizeof(device))
		memcpy(device, v, vn), device[vn] = '\0';
	if (slp_get_str(&ss.hello.root, "seqs", &v, &vn) == 0 && vn < sizeof(seqs))
		memcpy(seqs, v, vn), seqs[vn] = '\0';
	if (!device[0]) {
		fprintf(stderr, "%s: passing add: this token has no device and cannot send passings\n",
			prog);
		session_end(&ss);
		return 1;
	}
	bool by_server = strcmp(seqs, "server") == 0;
	slp_read r = {0};
	r.bib = bib;
	r.bib_len = strlen(bib);
	r.pt = pt;
	r.pt_len = strlen(pt);
	r.t = t;
	r.kind = k;
	r.hits = -1;
	/*
	 * seq: the server's for an official's own device; else the clock in ms
	 * for a device's first passing.  The CLI keeps no journal, so when the
	 * server answers "gap" (the device has passings already) it sends once
	 * more with the seq the server expects.
	 */
	uint64_t seq = (uint64_t)sl_now_ms();
	msgpack_packer pk;
	uint64_t id;
	/*
	 * First ask whether it would count (nothing is written): a bib nobody
	 * has, a point the race does not have, a time before the start, a hand
	 * read where the mat has one.  Then refuse unless --force.
	 */
	char err[512];
	sl_buf warn = SL_BUF_INIT;
	req_begin(&pk, &ss.b, ss.c, "passings", by_server ? 2 : 3, &id);
	slp_pack_kv_bool(&pk, "check", true);
	if (!by_server)
		slp_pack_kv_int(&pk, "seq", (int64_t)seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, &r, 1);
	rc = wsc_rpc(ss.c, &ss.b, id, RPC_MS, &ss.reply, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: passing add: %s\n", prog, err);
		sl_buf_release(&warn);
		session_end(&ss);
		return 1;
	}
	const msgpack_object_array *ws;
	if (slp_get_arr(&ss.reply.root, "warnings", &ws) == 0) {
		for (uint32_t i = 0; i < ws->size; i++) {
			const char *m;
			size_t mn;
			if (slp_get_str(&ws->ptr[i], "msg", &m, &mn) == 0)
				sl_buf_addf(&warn, "%s: passing add: %.*s\n", prog, (int)mn, m);
		}
	}
	slp_msg_release(&ss.reply);
	if (warn.len && !force) {
		fputs(warn.data, stderr);
		fprintf(stderr, "%s: passing add: nothing recorded; if it is right all the same, "
				"run it again with --force\n",
			prog);
		sl_buf_release(&warn);
		session_end(&ss);
		return 1;
	}
	for (int attempt = 0;; attempt++) {
		sl_buf_reset(&ss.b);
		req_begin(&pk, &ss.b, ss.c, "passings", by_server ? 1 : 2, &id);
		if (!by_server)
			slp_pack_kv_int(&pk, "seq", (int64_t)seq);
		slp_pack_key(&pk, "reads");
		slp_pack_reads(&pk, &r, 1);
		rc = wsc_rpc(ss.c, &ss.b, id, RPC_MS, &ss.reply, err, sizeof(err));
		int64_t expected;
		if (rc == SL_EGAP && attempt == 0 && !by_server &&
		    slp_get_int(&ss.reply.root, "expected", &expected) == 0 && expected > 0) {
			seq = (uint64_t)expected;
			slp_msg_release(&ss.reply);
			continue;
		}
		if (rc) {
			fprintf(stderr, "%s: passing add: %s\n", prog, err);
			rc = 1;
		}
		break;
	}
	if (!rc) {
		bool dup = false;
		int64_t got;
		slp_get_bool(&ss.reply.root, "dup", &dup);
		if (slp_get_int(&ss.reply.root, "seq", &got) == 0 && got > 0)
			seq = (uint64_t)got;
		sl_buf ts = SL_BUF_INIT;
		fmt_event_time(&ts, t, &clk);
		printf("passing of bib '%s' at '%s' %s recorded (%s, device '%s', seq %llu)%s\n",
		       bib, pt, ts.data, kind, device, (unsigned long long)seq,
		       dup ? ": already there" : "");
		sl_buf_release(&ts);
		if (warn.len) /* --force: recorded, and said what it will not do */
			fputs(warn.data, stderr);
	}
	sl_buf_release(&warn);
	session_end(&ss);
	return rc;
}

/* ---- results, status ---- */

static void url_escape(sl_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')
			sl_buf_addc(b, (char)ch);
		else
			sl_buf_addf(b, "%%%02X", ch);
	}
}

static int cmd_results(int argc, char **argv)
{
	const char *format = "csv", *out = NULL;
	const char *pos[1];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--format", true, &format, NULL},
			  {"--out", true, &out, NULL},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 1, &npos, usage_results, &ec))
		return ec;
	if (npos != 1)
		return usage_error(usage_results);
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "%s: --format '%s' is not csv or json\n", prog, format);
		return 2;
	}
	int rc;
	if ((rc = resolve()))
		return rc;
	sl_buf path = SL_BUF_INIT, body = SL_BUF_INIT;
	sl_buf_adds(&path, "/api/results/");
	url_escape(&path, pos[0]);
	sl_buf_addf(&path, ".%s", format);
	int status = 0;
	rc = http_get(path.data, &status, &body);
	if (!rc && status != 200) {
		size_t n = body.len;
		while (n && (body.data[n - 1] == '\n' || body.data[n - 1] == '\r'))
			n--;
		fprintf(stderr, "%s: results '%s': HTTP %d%s%.*s\n", prog, pos[0], status,
			n ? ": " : "", (int)(n > 300 ? 300 : n), body.data ? body.data : "");
		rc = 1;
	}
	if (!rc) {
		FILE *f = out ? fopen(out, "wb") : stdout;
		if (!f) {
			fprintf(stderr, "%s: cannot open '%s': %s\n", prog, out, strerror(errno));
			rc = 1;
		} else {
			if (fwrite(body.data ? body.data : "", 1, body.len, f) != body.len ||
			    (out ? fclose(f) : fflush(f)) != 0) {
				fprintf(stderr, "%s: cannot write '%s': %s\n", prog,
					out ? out : "stdout", strerror(errno));
				rc = 1;
			}
		}
	}
	sl_buf_release(&path);
	sl_buf_release(&body);
	return rc;
}

static int cmd_status(int argc, char **argv)
{
	const char *pos[1];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS, {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 0, &npos, usage_status, &ec))
		return ec;
	int rc;
	if ((rc = resolve()))
		return rc;
	sl_buf body = SL_BUF_INIT;
	int status = 0;
	rc = http_get("/health", &status, &body);
	if (!rc) {
		fwrite(body.data ? body.data : "", 1, body.len, stdout);
		if (!body.len || body.data[body.len - 1] != '\n')
			fputc('\n', stdout);
		if (status != 200) {
			fprintf(stderr, "%s: status: HTTP %d\n", prog, status);
			rc = 1;
		}
	}
	sl_buf_release(&body);
	return rc;
}

/* ---- check-in: undo, audit trail ---- */

struct undo_args {
	const char *bib, *official, *reason;
};

static void fill_undo(msgpack_packer *pk, const void *arg)
{
	const struct undo_args *u = arg;
	slp_pack_kv_str(pk, "bib", u->bib);
	slp_pack_kv_str(pk, "official", u->official);
	slp_pack_kv_str(pk, "reason", u->reason ? u->reason : "");
}

static int cmd_checkin(int argc, char **argv)
{
	struct undo_args u = {0};
	const char *pos[2];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--official", true, &u.official, NULL},
			  {"--reason", true, &u.reason, NULL},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 2, &npos, usage_checkin, &ec))
		return ec;
	if (npos != 2 || strcmp(pos[0], "undo") != 0 || !u.official || !*u.official)
		return usage_error(usage_checkin);
	u.bib = pos[1];
	char done[160];
	snprintf(done, sizeof(done), "bib '%s': check-in undone", u.bib);
	return one_request("checkin_undo", 3, fill_undo, &u, "checkin undo", done);
}

static void csv_cell(FILE *f, const msgpack_object *o)
{
	char buf[64];
	const char *s = NULL;
	size_t n = 0;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return;
	if (o->type == MSGPACK_OBJECT_STR) {
		s = o->via.str.ptr;
		n = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		n = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->via.u64);
		s = buf;
	} else {
		return;
	}
	/* a text cell that a spreadsheet would run as a formula: quoted, after a ' */
	bool formula = o->type == MSGPACK_OBJECT_STR && n && strchr("=+-@\t\r", s[0]);
	bool quote = formula || memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) ||
		     memchr(s, '\r', n);
	if (!quote) {
		fwrite(s, 1, n, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', f);
		fputc(s[i], f);
	}
	fputc('"', f);
}

static void audit_csv(FILE *f, const msgpack_object_array *rows)
{
	static const char *const cols[] = {"i",	   "op",   "time", "dev",    "by",
					   "bib",	   "race", "pt",   "reg",    "chip",
					   "old_chip", "with", "reason", "from", "to",
					   "changed"};
	size_t ncols = sizeof(cols) / sizeof(cols[0]);
	for (size_t k = 0; k < ncols; k++)
		fprintf(f, "%s%s", k ? "," : "", cols[k]);
	fputc('\n', f);
	for (uint32_t i = 0; i < rows->size; i++) {
		const msgpack_object *r = &rows->ptr[i];
		for (size_t k = 0; k < ncols; k++) {
			if (k)
				fputc(',', f);
			if (!strcmp(cols[k], "time")) {
				int64_t t;
				if (slp_get_int(r, "t", &t) == 0) {
					sl_buf b = SL_BUF_INIT;
					sl_fmt_iso(&b, t);
					fputs(b.data, f);
					sl_buf_release(&b);
				}
			} else if (!strcmp(cols[k], "from") || !strcmp(cols[k], "to")) {
				/* a transfer's person (a map: the name), or a decision's value */
				const msgpack_object *p = slp_get(r, cols[k]);
				if (p && p->type == MSGPACK_OBJECT_MAP)
					csv_cell(f, slp_get(p, "name"));
				else
					csv_cell(f, p);
			} else {
				csv_cell(f, slp_get(r, cols[k]));
			}
		}
		fputc('\n', f);
	}
}

static int cmd_audit(int argc, char **argv)
{
	const char *format = "csv", *out = NULL;
	const char *pos[1];
	int npos, ec, rc;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--format", true, &format, NULL},
			  {"--out", true, &out, NULL},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 0, &npos, usage_audit, &ec))
		return ec;
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "%s: --format '%s' is not csv or json\n", prog, format);
		return 2;
	}
	struct session s;
	if ((rc = session_begin(&s))) {
		session_end(&s);
		return rc;
	}
	msgpack_packer pk;
	uint64_t id;
	req_begin(&pk, &s.b, s.c, "subscribe", 2, &id);
	slp_pack_kv_str(&pk, "topic", "audit");
	slp_pack_kv_int(&pk, "limit", 0);
	if ((rc = simple_rpc(s.c, &s.b, id, &s.reply, "audit"))) {
		session_end(&s);
		return rc;
	}
	/* the snapshot follows the ok */
	slp_msg snap = {0};
	sl_buf frame = SL_BUF_INIT;
	int64_t deadline = wsc_mono_ms() + RPC_MS;
	rc = 1;
	while (wsc_mono_ms() < deadline) {
		bool binary;
		sl_buf_reset(&frame);
		if (wsc_recv(s.c, &frame, &binary, (int)(deadline - wsc_mono_ms())) != 0)
			break;
		slp_msg_release(&snap);
		const char *t;
		size_t tn;
		if (slp_decode(&snap, frame.data, frame.len, binary ? SLP_MSGPACK : SLP_JSON) == 0 &&
		    (t = slp_type(&snap, &tn)) && tn == 8 && !memcmp(t, "snapshot", 8) &&
		    slp_str_eq(slp_get(&snap.root, "topic"), "audit")) {
			rc = 0;
			break;
		}
	}
	const msgpack_object_array *rows;
	if (rc || slp_get_arr(&snap.root, "rows", &rows) < 0) {
		fprintf(stderr, "%s: audit: no snapshot of the audit trail from '%s'\n", prog,
			conn.server);
		rc = 1;
		goto out;
	}
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, out, strerror(errno));
		rc = 1;
		goto out;
	}
	if (!strcmp(format, "json")) {
		sl_buf js = SL_BUF_INIT;
		slp_object_to_json(slp_get(&snap.root, "rows"), &js);
		fwrite(js.data, 1, js.len, f);
		fputc('\n', f);
		sl_buf_release(&js);
	} else {
		audit_csv(f, rows);
	}
	if ((out ? fclose(f) : fflush(f)) != 0) {
		fprintf(stderr, "%s: cannot write '%s': %s\n", prog, out ? out : "stdout",
			strerror(errno));
		rc = 1;
	}
out:
	slp_msg_release(&snap);
	sl_buf_release(&frame);
	session_end(&s);
	return rc;
}

/* ---- officials' decisions: adjust, race official, lineup ---- */

static const char usage_adjust[] =
	"usage: splitline adjust BIB TYPE --reason TEXT --official NAME [--ms N] [--place N]\n"
	"                        [--dead-heat] [--pt PT] [--station ID] [--at TIME] [--clear]\n"
	"\n"
	"Records an official's decision about one bib (PROTOCOL.md, adjust).  TYPE:\n"
	"  penalty      --ms N: the total time added in ms (negative: a bonus taken\n"
	"               off; 0 clears); the adjusted time ranks the race\n"
	"  dq dns dnf scratch exhibition relegation   set; --clear withdraws it\n"
	"  place        --place N: a judges' place (0 clears); the others are\n"
	"               renumbered around it, unless --dead-heat: shared with\n"
	"               the crew at that place\n"
	"  station      --pt PT --station ID: take that station's reading (no\n"
	"               --station: back to the primary)\n"
	"  hand_time    --pt PT --at TIME: a time entered by hand (--clear removes it);\n"
	"               TIME as for passing add: 10:14:03.120 on the event's date in\n"
	"               its time zone, ISO 8601 or now\n"
	"Results are recomputed at once.  Needs an official or admin token.\n";

static const char usage_race[] =
	"usage: splitline race official RACE --official NAME [--withdraw]\n"
	"\n"
	"Makes a race's results official (or withdraws that with --withdraw); line-ups\n"
	"of the next round are complete once every race feeding them is official.\n";

static const char usage_lineup[] =
	"usage: splitline lineup RACE BIB:LANE... --official NAME --reason TEXT\n"
	"       splitline lineup RACE --clear --official NAME --reason TEXT\n"
	"\n"
	"Replaces the generated line-up of RACE by the crews given, in seeding order,\n"
	"each with its lane (0: none); --clear goes back to the generated line-up.\n";

struct adjust_args {
	const char *bib, *type, *reason, *official, *pt, *station;
	int64_t ms, place, t;
	bool has_ms, has_place, has_t, clear, dead_heat;
};

static uint32_t adjust_nfields(const struct adjust_args *a)
{
	return 4 + (a->has_ms || a->has_place) + a->dead_heat + !!a->pt + !!a->station +
	       (a->has_t || (a->clear && strcmp(a->type, "hand_time") == 0)) +
	       (a->clear && strcmp(a->type, "hand_time") != 0);
}

static void fill_adjust(msgpack_packer *pk, const void *arg)
{
	const struct adjust_args *a = arg;
	slp_pack_kv_str(pk, "bib", a->bib);
	slp_pack_kv_str(pk, "type", a->type);
	slp_pack_kv_str(pk, "reason", a->reason);
	slp_pack_kv_str(pk, "official", a->official);
	if (a->has_ms)
		slp_pack_kv_int(pk, "ms", a->ms);
	else if (a->has_place)
		slp_pack_kv_int(pk, "place", a->place);
	if (a->dead_heat)
		slp_pack_kv_bool(pk, "dead_heat", true);
	if (a->pt)
		slp_pack_kv_str(pk, "pt", a->pt);
	if (a->station)
		slp_pack_kv_str(pk, "station", a->station);
	/* "at", never "t": that is the message's type */
	if (a->has_t) {
		slp_pack_kv_int(pk, "at", a->t);
	} else if (a->clear && strcmp(a->type, "hand_time") == 0) {
		slp_pack_key(pk, "at");
		msgpack_pack_nil(pk);
	}
	if (a->clear && strcmp(a->type, "hand_time") != 0)
		slp_pack_kv_bool(pk, "on", false);
}

static int parse_int_opt(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *v)
{
	char *end;
	long long x = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || x < lo || x > hi) {
		fprintf(stderr, "%s: %s '%s' is not a number from %lld to %lld\n", prog, opt,
			s ? s : "", (long long)lo, (long long)hi);
		return -1;
	}
	*v = x;
	return 0;
}

static int cmd_adjust(int argc, char **argv)
{
	struct adjust_args a = {0};
	const char *ms = NULL, *place = NULL, *at = NULL;
	const char *pos[2];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--reason", true, &a.reason, NULL},
			  {"--official", true, &a.official, NULL},
			  {"--ms", true, &ms, NULL},
			  {"--place", true, &place, NULL},
			  {"--pt", true, &a.pt, NULL},
			  {"--station", true, &a.station, NULL},
			  {"--at", true, &at, NULL},
			  {"--clear", false, NULL, &a.clear},
			  {"--dead-heat", false, NULL, &a.dead_heat},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 2, &npos, usage_adjust, &ec))
		return ec;
	if (npos != 2 || !a.reason || !a.official || !*a.official)
		return usage_error(usage_adjust);
	a.bib = pos[0];
	a.type = pos[1];
	static const char *const types[] = {"penalty", "dq", "dns", "dnf", "scratch",
					    "exhibition", "relegation", "place", "station",
					    "hand_time"};
	bool known = false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		known |= strcmp(a.type, types[i]) == 0;
	if (!known) {
		fprintf(stderr,
			"%s: adjust type '%s' is not penalty, dq, dns, dnf, scratch, exhibition, "
			"relegation, place, station or hand_time\n",
			prog, a.type);
		return 2;
	}
	if (strcmp(a.type, "penalty") == 0) {
		if (parse_int_opt("--ms", ms, -86400000, 86400000, &a.ms))
			return 2;
		a.has_ms = true;
	} else if (strcmp(a.type, "place") == 0) {
		if (parse_int_opt("--place", place, 0, 100000, &a.place))
			return 2;
		a.has_place = true;
	} else if ((strcmp(a.type, "station") == 0 || strcmp(a.type, "hand_time") == 0) &&
		   !a.pt) {
		fprintf(stderr, "%s: adjust %s needs --pt\n", prog, a.type);
		return 2;
	}
	int rc;
	bool timed = strcmp(a.type, "hand_time") == 0 && !a.clear;
	if (timed && !at) {
		fprintf(stderr,
			"%s: adjust hand_time needs --at TIME (HH:MM:SS on the event's date, ISO "
			"8601 or now) or --clear\n",
			prog);
		return 2;
	}
	if (timed && (rc = at_form("--at", at)))
		return rc;
	struct session ss;
	struct evclock clk;
	if ((rc = session_begin(&ss))) {
		session_end(&ss);
		return rc;
	}
	sl_buf done = SL_BUF_INIT;
	sl_buf_addf(&done, "bib '%s': %s %s", a.bib, a.type, a.clear ? "cleared" : "recorded");
	if (timed) {
		fetch_clock(&ss, &clk);
		if ((rc = at_read("--at", at, &clk, &a.t))) {
			sl_buf_release(&done);
			session_end(&ss);
			return rc;
		}
		a.has_t = true;
		sl_buf_adds(&done, " at ");
		fmt_event_time(&done, a.t, &clk);
	}
	rc = request_in(&ss, "adjust", adjust_nfields(&a), fill_adjust, &a, "adjust", done.data);
	sl_buf_release(&done);
	session_end(&ss);
	return rc;
}

struct race_args {
	const char *race, *official;
	bool withdraw;
};

static void fill_race(msgpack_packer *pk, const void *arg)
{
	const struct race_args *r = arg;
	slp_pack_kv_str(pk, "race", r->race);
	slp_pack_kv_str(pk, "official", r->official);
	slp_pack_kv_bool(pk, "on", !r->withdraw);
}

static int cmd_race(int argc, char **argv)
{
	struct race_args r = {0};
	const char *pos[2];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--official", true, &r.official, NULL},
			  {"--withdraw", false, NULL, &r.withdraw},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 2, &npos, usage_race, &ec))
		return ec;
	if (npos != 2 || strcmp(pos[0], "official") != 0 || !r.official || !*r.official)
		return usage_error(usage_race);
	r.race = pos[1];
	char done[160];
	snprintf(done, sizeof(done), "race '%s': results %s", r.race,
		 r.withdraw ? "no longer official" : "official");
	return one_request("race_official", 3, fill_race, &r, "race official", done);
}

struct lineup_args {
	const char *race, *official, *reason;
	const char **crews; /* "BIB:LANE" */
	int n;
	bool clear;
};

static void fill_lineup(msgpack_packer *pk, const void *arg)
{
	const struct lineup_args *l = arg;
	slp_pack_kv_str(pk, "race", l->race);
	slp_pack_kv_str(pk, "official", l->official);
	slp_pack_kv_str(pk, "reason", l->reason);
	slp_pack_key(pk, "lanes");
	if (l->clear) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_array(pk, (size_t)l->n);
	for (int i = 0; i < l->n; i++) {
		const char *colon = strrchr(l->crews[i], ':');
		msgpack_pack_map(pk, 2);
		slp_pack_kv_strn(pk, "bib", l->crews[i], (size_t)(colon - l->crews[i]));
		slp_pack_kv_int(pk, "lane", strtol(colon + 1, NULL, 10));
	}
}

static int cmd_lineup(int argc, char **argv)
{
	struct lineup_args l = {0};
	const char *pos[101];
	int npos, ec;
	slc_opt opts[] = {GLOBAL_OPTS,
			  {"--official", true, &l.official, NULL},
			  {"--reason", true, &l.reason, NULL},
			  {"--clear", false, NULL, &l.clear},
			  {NULL, 0, 0, 0}};
	if (parse_or_exit(argc, argv, opts, pos, 101, &npos, usage_lineup, &ec))
		return ec;
	if (npos < 1 || !l.official || !*l.official || !l.reason || (l.clear != (npos == 1)))
		return usage_error(usage_lineup);
	l.race = pos[0];
	l.crews = pos + 1;
	l.n = npos - 1;
	for (int i = 0; i < l.n; i++) {
		const char *colon = strrchr(l.crews[i], ':');
		int64_t lane;
		if (!colon || colon == l.crews[i] ||
		    parse_int_opt("lane", colon + 1, 0, 99, &lane) != 0) {
			fprintf(stderr, "%s: lineup: '%s' is not BIB:LANE (lane 0 to 99)\n", prog,
				l.crews[i]);
			return 2;
		}
	}
	char done[160];
	snprintf(done, sizeof(done), "race '%s': line-up %s", l.race,
		 l.clear ? "back to the generated one" : "set");
	return one_request("lineup", 4, fill_lineup, &l, "lineup", done);
}

/* ---- main ---- */

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{"event", cmd_event, usage_event},
	{"participants", cmd_participants, usage_participants},
	{"token", cmd_token, usage_token},
	{"wave", cmd_wave, usage_wave},
	{"passing", cmd_passing, usage_passing},
	{"adjust", cmd_adjust, usage_adjust},
	{"race", cmd_race, usage_race},
	{"lineup", cmd_lineup, usage_lineup},
	{"results", cmd_results, usage_results},
	{"status", cmd_status, usage_status},
	{"checkin", cmd_checkin, usage_checkin},
	{"audit", cmd_audit, usage_audit},
};

int main(int argc, char **argv)
{
	sl_log_set_prefix(prog);
	sl_log_level = SL_LOG_WARN;
	const char *lvl = getenv("SPLITLINE_DEBUG");
	if (lvl && *lvl && strcmp(lvl, "0") != 0)
		sl_log_level = SL_LOG_DEBUG;

	/* global options before the command */
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "help") == 0) {
			if (strcmp(a, "help") == 0 && i + 1 < argc)
				for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
					if (strcmp(argv[i + 1], commands[k].name) == 0) {
						fputs(commands[k].help, stdout);
						return 0;
					}
			fputs(usage_main, stdout);
			return 0;
		}
		if (a[0] != '-')
			break;
		slc_opt opts[] = {GLOBAL_OPTS, {NULL, 0, 0, 0}};
		const char *pos[1];
		int npos;
		/* one option (and its value) at a time */
		bool has_val = !strchr(a, '=') && i + 1 < argc;
		int n = has_val ? 2 : 1;
		if (slc_parse(n, argv + i, opts, pos, 0, &npos, prog) != SLC_OK) {
			fprintf(stderr, "see 'splitline --help'\n");
			return 2;
		}
		i += n - 1;
	}
	if (i >= argc) {
		fputs(usage_main, stderr);
		return 2;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0) {
			int rc = commands[k].fn(argc - i - 1, argv + i + 1);
			slc_conn_release(&conn);
			return rc;
		}
	fprintf(stderr, "%s: '%s' is not a command; see 'splitline --help'\n", prog, argv[i]);
	return 2;
}

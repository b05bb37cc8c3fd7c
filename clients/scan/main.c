/*
 * splitline-scan: a handheld scanner (PROTOCOL.md, "Check-in" and "Device
 * input").  A keyboard-wedge barcode scanner (and the keyboard beside it)
 * types one line at a time on stdin.  Modes:
 *
 *   checkin     each line is a code (bib, chip, registration code or
 *               sl:<event>:<bib or reg>): a check-in scan, answered by the
 *               server (name, race, wave, bib, or a warning);
 *   checkpoint  each line is a bib: a handheld passing at --point, with the
 *               time of the scan;
 *   finish-tap  a finish-chute volunteer taps Enter as each athlete
 *               crosses and attaches bibs afterwards, in order:
 *                 empty line      a tap: the time now, waiting for a bib;
 *                 BIB             (or sl:<event>:<bib>) attaches to the
 *                                 oldest waiting tap: a handheld passing
 *                                 {bib, pt, t: the tap's time} is queued;
 *                 "-" or "skip"   drops the oldest waiting tap (not an
 *                                 athlete);
 *                 "undo"          drops the newest waiting tap (a double
 *                                 tap).
 *               A bib with no tap waiting, or one already attached, is an
 *               error (printed with a BEL) and changes nothing;
 *   pickup      a bib-pickup desk: each line is a code (registration code,
 *               sl:<event>:<reg or bib>, or a bib), sent as a check-in scan
 *               with "op":"assign" (the server gives the next free bib of
 *               the race's bib_pool, or checks in an athlete who has one);
 *               the answer shows the bib to hand over.  With
 *               --bib-from-stack the line after each code is the bib (its
 *               barcode) the desk hands out from its stack, assigned as
 *               such (a pre-chipped blank bib brings its chip); with
 *               --pair-chip the next line is the chip scanned off the bib
 *               ("-" for none).  All go in one scan.  Needs a desk (or
 *               official) token.
 *
 * Input is read by a thread that only reads stdin and stamps each line
 * with the time its read(2) returned, so a tap keeps its time even while
 * the main loop waits on the network; the main loop takes every line
 * queued so far in one turn, with one fsync per file per turn, so a fast
 * feed (or a backlog typed while offline) does not wait a turn per line.
 *
 * `splitline-scan labels` writes the bib-label sheet (labels.h) instead.
 *
 * Durability.  Every scan is appended to DIR/outbox and fsync'd before it
 * is shown as queued; DIR/acked holds the last seq the server acknowledged
 * (written with fsync + rename).  An outbox line is "seq<TAB>t<TAB>code",
 * optionally followed by "<TAB>key=value" fields: op=assign (pickup),
 * bib=B (pickup --bib-from-stack), chip=C (pickup --pair-chip),
 * tap=N (finish-tap: the tap the bib was attached to); lines without them
 * (older outboxes) load as before.  In
 * finish-tap mode DIR/taps journals the taps: "tap<TAB>N<TAB>t",
 * "skip<TAB>N", "undo<TAB>N", fsync'd before printed; an attachment is
 * only its outbox line (tap=N), so it is one write and a tap can never be
 * both waiting and queued.  On restart the taps neither dropped nor
 * attached are waiting again, in order.  A last line cut short by a crash
 * (never fsync'd, never shown) is cut off both files on load.
 *
 * A scan shows "saved" only once acked (durable on the server).  Offline,
 * scans wait in the outbox and the connection is retried (1 s apart, less
 * up to 20% jitter; the window, acks and backoff: clients/common/outbox.h); on
 * return every unacked scan is sent again with the same seq (the server
 * counts each seq once).  Answers (checkin, pickup) come on topic
 * scans/<device>: subscribed from the first unanswered seq after each
 * connect, so none is lost across outages.
 *
 * Output (stdout, one line per event): "queued SEQ CODE (pending N)",
 * "saved FIRST..LAST (pending N)", "answer SEQ ok BIB NAME race R wave W"
 * (pickup: "answer SEQ ok BIB B NAME N race R wave W: MSG") or "answer SEQ
 * warning CODE: MSG" (with a BEL for the audible error); finish-tap:
 * "tap N at HH:MM:SS.mmm (waiting K)", "tap N bib B queued SEQ (at
 * HH:MM:SS.mmm, waiting K, pending P)", "tap N skipped|undone (waiting
 * K)" (local time).  At EOF it keeps syncing until every scan is acked
 * (and, in checkin and pickup modes, answered) or --wait seconds passed;
 * then "scan: ..." totals (finish-tap: taps still waiting too; they stay
 * in the journal) and exit 0 when nothing is pending, 1 otherwise.  A
 * refused token exits 1 at once.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opt.h"
#include "scan.h"

static const char *prog = "splitline-scan";
const char scan__usage[] =
	"usage: splitline-scan --device ID --outbox DIR\n"
	"                      [--mode checkin|checkpoint|finish-tap|pickup] [--point PT]\n"
	"                      [--bib-from-stack] [--pair-chip] [--volunteer NAME] [--race RACE]\n"
	"                      [--wait SECONDS]\n"
	"                      [--server URL] [--event ID] [--token T | --token-file F]\n"
	"       splitline-scan labels --out FILE.svg|FILE.pdf [--race RACE]\n"
	"                      [--from-csv FILE.csv [--map M] [--date-format ORDER]]\n"
	"                      [--server URL] [--event ID]\n"
	"\n"
	"Reads one scanned line at a time on stdin (a keyboard-wedge scanner) and\n"
	"sends it; scans are kept in DIR/outbox (fsync'd) until the server acked\n"
	"them; offline it retries and syncs when the link returns.  Modes:\n"
	"  checkin     (default) each line a code: a check-in, answered with the\n"
	"              athlete's name, race and wave, or a warning\n"
	"  checkpoint  each line a bib: a handheld passing at --point, timed now\n"
	"  finish-tap  (with --point) Enter records a tap (the time now); then each\n"
	"              bib line attaches to the oldest waiting tap and is sent as a\n"
	"              handheld passing at the tap's time; '-' or 'skip' drops the\n"
	"              oldest waiting tap, 'undo' the newest.  Taps are journaled in\n"
	"              DIR/taps and still waiting after a restart.  Token: a scanner\n"
	"              token for --point, or an official token issued with --device\n"
	"  pickup      each line a registration code, sl:<event>:<reg> or bib: the\n"
	"              server assigns the next free bib of the race's pool (or checks\n"
	"              in an athlete who has one); the answer shows the bib to hand\n"
	"              over.  --bib-from-stack: the next line is the bib handed out\n"
	"              from the desk's stack (scan its barcode), assigned as such; a\n"
	"              pre-chipped bib (imported with --blank) brings its chip.\n"
	"              --pair-chip: then the chip scanned off the bib ('-' for none).\n"
	"              All in one scan.  Needs a desk or official token\n"
	"\n"
	"labels: a sheet of bib labels (A4, 3 x 8), each with a QR code of\n"
	"sl:<event>:<bib> (or sl:<event>:<reg> for a row with a registration code\n"
	"and no bib), for the participants of FILE.csv (header names as for\n"
	"`splitline participants import`, --map and --date-format likewise) or of the\n"
	"server's results export of RACE (GET /api/results/RACE.csv).  An --out name\n"
	"ending in .pdf writes PDF, any other SVG.\n";


struct scan_state S;

void scan__usage_print(FILE *f)
{
	fputs(scan__usage, f);
}

/* ---- main ---- */

enum {
	O_SERVER,
	O_EVENT,
	O_TOKEN,
	O_TOKEN_FILE,
	O_DEVICE,
	O_OUTBOX,
	O_MODE,
	O_POINT,
	O_PAIR_CHIP,
	O_BIB_FROM_STACK,
	O_VOLUNTEER,
	O_RACE,
	O_WAIT,
	O_N
};

/* The options (the help is scan__usage's prose). */
static opt opts[O_N + 1] = {
	[O_SERVER] = {"--server", OPT_STR},
	[O_EVENT] = {"--event", OPT_STR},
	[O_TOKEN] = {"--token", OPT_STR},
	[O_TOKEN_FILE] = {"--token-file", OPT_STR},
	[O_DEVICE] = {"--device", OPT_STR},
	[O_OUTBOX] = {"--outbox", OPT_STR},
	[O_MODE] = {"--mode", OPT_ENUM, "checkin", .choices = "checkin|checkpoint|finish-tap|pickup"},
	[O_POINT] = {"--point", OPT_STR},
	[O_PAIR_CHIP] = {"--pair-chip", OPT_FLAG},
	[O_BIB_FROM_STACK] = {"--bib-from-stack", OPT_FLAG},
	[O_VOLUNTEER] = {"--volunteer", OPT_STR},
	[O_RACE] = {"--race", OPT_STR},
	[O_WAIT] = {"--wait", OPT_NUM, "30", .dmin = 0, .dmax = HUGE_VAL},
};

/* The command line into S; -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, int64_t *wait_ms)
{
	const char *pos[1];
	int npos = 0;
	char err[300];
	int p = opt_cli(opts, argc - 1, argv + 1, pos, 0, &npos, prog, scan__usage_print,
			OPT_ON_ERROR_NOTHING);
	if (p >= 0)
		return p;
	S.conn.server = opts[O_SERVER].val;
	S.conn.event = opts[O_EVENT].val;
	S.conn.token = opts[O_TOKEN].val;
	S.conn.token_file = opts[O_TOKEN_FILE].val;
	S.dev = opts[O_DEVICE].val;
	S.dir = opts[O_OUTBOX].val;
	S.point = opts[O_POINT].val;
	S.vol = opts[O_VOLUNTEER].val;
	S.race = opts[O_RACE].val;
	S.pair_chip = opts[O_PAIR_CHIP].on;
	S.bib_from_stack = opts[O_BIB_FROM_STACK].on;
	S.mode = (enum mode)opts[O_MODE].e;
	S.passings = S.mode == M_CHECKPOINT || S.mode == M_FINISH_TAP;
	const char *bad = NULL;
	if (!S.dev || !S.dir)
		bad = "--device and --outbox are required";
	else if (S.passings && !S.point)
		bad = "this --mode needs --point";
	else if (S.pair_chip && S.mode != M_PICKUP)
		bad = "--pair-chip is for --mode pickup";
	else if (S.bib_from_stack && S.mode != M_PICKUP)
		bad = "--bib-from-stack is for --mode pickup";
	if (bad) {
		fprintf(stderr, "%s: %s\n%s", prog, bad, scan__usage);
		return 2;
	}
	*wait_ms = (int64_t)(opts[O_WAIT].d * 1000);
	if (slc_conn_resolve(&S.conn, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (!S.conn.event) {
		fprintf(stderr, "%s: needs --event (or SPLITLINE_EVENT)\n", prog);
		return 2;
	}
	return -1;
}

/* Take input, send and read answers until EOF and all is acked (and
 * answered), --wait after EOF, or a fatal error; the exit status so far. */
static int run(int64_t wait_ms, bool *eof)
{
	int64_t eof_at = 0;
	while (!S.fatal) {
		if (!*eof) {
			/* busy: a turn each for input and the link; idle: wait for input */
			bool busy = S.c && (scan__pending() || scan__unanswered());
			struct pollfd pfd = {scan__input_fd(), POLLIN, 0};
			int pr = poll(&pfd, 1, busy ? 0 : 100);
			if (pr > 0) {
				size_t n;
				struct line *q = scan__input_take(&n, eof);
				if (scan__on_lines(q, n) < 0)
					return 1;
				if (*eof) {
					eof_at = wsc_mono_ms();
					if (S.want_chip_for)
						printf("error: code %s had no %s scanned: not sent\a\n",
						       S.want_chip_for, S.want_chip ? "chip" : "bib");
				}
			}
		}
		if (scan__pending() || scan__unanswered())
			scan__connect();
		if (S.c && scan__pending())
			scan__sync();
		else if (S.c && scan__unanswered())
			scan__pump(50);
		else if (!S.c && *eof)
			usleep(20000);
		if (*eof && !scan__pending() && !scan__unanswered())
			break;
		if (*eof && wsc_mono_ms() - eof_at > wait_ms)
			break;
	}
	return 0;
}

static void release(void)
{
	if (S.c)
		wsc_free(S.c);
	slc_conn_release(&S.conn);
	close(S.outfd);
	if (S.tapfd >= 0)
		close(S.tapfd);
	for (size_t i = 0; i < S.n; i++) {
		free(S.s[i].code);
		free(S.s[i].chip);
		free(S.s[i].bib);
	}
	free(S.s);
	outbox_release(&S.ob);
	free(S.taps);
	free(S.want_chip_for);
	free(S.want_bib);
	sl_buf_release(&S.say);
}

int main(int argc, char **argv)
{
	int64_t wait_ms = 0;
	sl_log_set_prefix(prog);
	if (argc > 1 && !strcmp(argv[1], "labels"))
		return scan__labels(argc - 2, argv + 2);
	int rc = parse_args(argc, argv, &wait_ms);
	if (rc >= 0)
		return rc;
	if (mkdir(S.dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, S.dir, strerror(errno));
		return 1;
	}
	outbox_init(&S.ob, 1, 0);
	outbox_backoff_init(&S.bo, RETRY_MS, RETRY_MS, OUTBOX_JITTER_PCT, 0);
	if (scan__load() < 0 || scan__input_start() < 0)
		return 1;
	bool eof = false;
	int exit_rc = run(wait_ms, &eof);
	printf("scan: %zu scans, acked %llu, answers %zu, warnings %zu, pending %zu", S.n,
	       (unsigned long long)S.ob.acked, S.answers, S.warnings, scan__pending());
	if (S.mode == M_FINISH_TAP)
		printf(", taps waiting %zu", S.ntaps);
	printf("\n");
	if (S.fatal || scan__pending() || scan__unanswered())
		exit_rc = 1;
	if (eof)
		scan__input_join();
	release();
	return exit_rc;
}

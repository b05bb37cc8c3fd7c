/*
 * ctl: what the commands of splitline (the officials' command line) share.
 *
 * Layout, as git's builtin/: main.c holds the command table and the global
 * options; each cmd_*.c file holds one command or a family of them, with
 * its --help text; ctl.c holds what they have in common: option parsing
 * with the usage exits, the one session a command opens (connect + hello,
 * its request buffer and reply), requests and their error lines, the
 * event's clock for --at TIME, and writing a download to --out or stdout.
 *
 * Every function that can fail prints its reason (git style: "splitline:
 * what: why") and returns the process's exit code: 0 on success, 1 on an
 * error reply, a connection failure or bad input, 2 on a usage error.
 *
 * Ownership: ctl_conn is the process's one connection setting (filled by
 * the global options, released by main()); a struct ctl_session owns its
 * connection, hello, reply and request buffer until ctl_session_end().
 */
#ifndef SL_CTL_H
#define SL_CTL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cliutil.h"
#include "sl.h"
#include "slp.h"
#include "wsc.h"

#define CTL_RPC_MS 60000

extern const char ctl_prog[]; /* "splitline" */
extern slc_conn ctl_conn;

/* An option table's rows: an option with a value, a flag, the end. */
#define CTL_OPT(name, var)                                                                         \
	{                                                                                          \
		name, true, &(var), NULL                                                           \
	}
#define CTL_FLAG(name, var)                                                                        \
	{                                                                                          \
		name, false, NULL, &(var)                                                          \
	}
#define CTL_END                                                                                    \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

/* The options every command takes too (main.c reads them before the command). */
/* clang-format off */
#define CTL_GLOBAL_OPTS                                                        \
	CTL_OPT("--server", ctl_conn.server), CTL_OPT("--event", ctl_conn.event), \
	CTL_OPT("--token", ctl_conn.token), CTL_OPT("--token-file", ctl_conn.token_file)
/* clang-format on */

/* A command: argv[0] is its first argument (not its name); the exit code. */
typedef int (*ctl_cmd_fn)(int argc, char **argv);

/*
 * The commands, in the order of the table in main.c: each NAME has its
 * int cmd_NAME(int argc, char **argv) and its help text usage_NAME[] in
 * clients/ctl/cmd_*.c (event, participants, token: cmd_<name>.c; wave,
 * passing: cmd_passing.c; adjust, race, lineup, checkin: cmd_decide.c;
 * results, status, audit: cmd_export.c).
 */
/* clang-format off */
#define CTL_COMMANDS(X)                                                        \
	X(event) X(participants) X(token) X(wave) X(passing) X(adjust)         \
	X(race) X(lineup) X(results) X(status) X(checkin) X(audit) X(series)
/* clang-format on */

#define CTL_DECLARE(name)                                                                          \
	int cmd_##name(int argc, char **argv);                                                     \
	extern const char usage_##name[];
CTL_COMMANDS(CTL_DECLARE)
#undef CTL_DECLARE

/* ---- arguments ---- */

/* Print help on stderr; returns 2. */
int ctl_usage_error(const char *help);

/*
 * slc_parse() with the usage exits: 0 to go on; -1 with *exitcode set when
 * the command is done (--help printed: 0; a bad option: 2).
 */
int ctl_parse(int argc, char **argv, const slc_opt *opts, const char **pos, int maxpos, int *npos,
	      const char *help, int *exitcode);

/*
 * ctl_parse() for "COMMAND [VERB] ARGS": exactly npos positionals, the
 * first of them verb (when not NULL); else the usage error (help on
 * stderr, 2).  0 to go on, or -1 with *exitcode set.
 */
int ctl_parse_sub(int argc, char **argv, const slc_opt *opts, const char **pos, int npos,
		  const char *verb, const char *help, int *exitcode);

/* A whole number in [lo, hi]; -1 with the reason printed. */
int ctl_parse_int(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *v);

/* --format csv|json: 0, or 2 with the reason printed. */
int ctl_check_format(const char *format);

/* ---- the server ---- */

/* Resolve ctl_conn (environment, token file): 0 or 1. */
int ctl_resolve(void);

/* GET a path on the server's host:port; body owned by the caller. */
int ctl_http_get(const char *path, int *status, sl_buf *body);

/*
 * One command's session: resolve the server and event, open the connection
 * and say hello; the request buffer and the reply live here too, so that
 * ctl_session_end() releases everything whatever path the command took.
 */
struct ctl_session {
	wsc *c;
	slp_msg hello, reply;
	sl_buf b;
};

/* 0, or the exit code (the reason printed); end the session either way. */
int ctl_session_begin(struct ctl_session *s);
/* As ctl_session_begin(), but ends the session itself when it fails. */
int ctl_session_open(struct ctl_session *s);
void ctl_session_end(struct ctl_session *s);

/* Start a request map: {t, id, ...nmore more}. */
void ctl_req_begin(msgpack_packer *pk, sl_buf *b, wsc *c, const char *type, size_t nmore,
		   uint64_t *id);

/* Send a request; on an error print "what: msg" and return 1. */
int ctl_rpc(wsc *c, sl_buf *req, uint64_t id, slp_msg *reply, const char *what);

/* Wait (up to CTL_RPC_MS) for the snapshot of topic: 0, or -1 (none came). */
int ctl_wait_snapshot(wsc *c, const char *topic, slp_msg *snap);

/* Fills a request's fields after {t, id}. */
typedef void (*ctl_fill_fn)(msgpack_packer *pk, const void *arg);

/*
 * Send one request built by fill on an open session, print done on ok.
 * An official's decision (its ok carries `at`) is then followed to its row
 * of the audit trail, and what it did is printed under done: "  was X, now
 * Y; N results changed" (times in the event's zone).
 */
int ctl_request_in(struct ctl_session *ss, const char *type, uint32_t nfields, ctl_fill_fn fill,
		   const void *arg, const char *what, const char *done);

/* Open a session, send one request built by fill, print done on ok. */
int ctl_one_request(const char *type, uint32_t nfields, ctl_fill_fn fill, const void *arg,
		    const char *what, const char *done);

/* ---- the event's clock ---- */

/*
 * The event's date and time zone, from the `event` topic: times an official
 * types as clock times are on that date in that zone, and times printed
 * back are in that zone.  Empty when the server has no event yet or the
 * event no timezone.
 */
struct ctl_clock {
	char date[16];
	char tz[72];
};

void ctl_fetch_clock(struct ctl_session *s, struct ctl_clock *ec);

/* --at TIME: 0 or an exit code, with the reason printed.  Before connecting,
 * check only its form (ctl_at_form); once connected, read it (ctl_at_read). */
int ctl_at_form(const char *opt, const char *at);
int ctl_at_read(const char *opt, const char *at, const struct ctl_clock *ec, int64_t *t);

/*
 * Connect for a command that takes --at: the session, the event's clock
 * (date, zone) and the time read in it.  0, or an exit code (the reason
 * printed; the session is ended then).
 */
int ctl_begin_timed(struct ctl_session *ss, struct ctl_clock *clk, const char *at, int64_t *t);

/* An instant as the event's clocks show it: "2015-04-20T10:00:00-04:00
 * (America/New_York)", or UTC ("...Z") when it has no zone. */
void ctl_fmt_time(sl_buf *b, int64_t t, const struct ctl_clock *ec);

/* ---- output ---- */

/* --out FILE (opened with mode) or stdout; NULL with the reason printed. */
/* GET path and write its body to out (NULL: stdout); an answer other than
 * 200 is printed as "what: HTTP 404: body" on stderr.  0, or 1. */
int ctl_http_save(const char *path, const char *what, const char *out);
FILE *ctl_out_open(const char *out, const char *mode);
/*
 * Close (a file) or flush (stdout) what was written (written: every byte
 * went out): 0, or 1 with the reason printed.
 */
int ctl_out_close(FILE *f, const char *out, bool written);

#endif

/*
 * cliutil.h: what the command-line tools share: a small option parser,
 * the server/event/token settings with their environment fallbacks, and
 * opening a session (connect + hello).
 *
 * Option parsing: "--name value" and "--name=value"; options and
 * positional words may mix; "--" ends options.  "-h"/"--help" is reported
 * to the caller, which prints the help of the command at hand.
 *
 * Ownership: slc_conn holds borrowed strings except token, which
 * slc_conn_resolve may fill from a file (owned: slc_conn_release frees it).
 */
#ifndef SL_CLIUTIL_H
#define SL_CLIUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "slp.h"
#include "wsc.h"

typedef struct slc_opt {
	const char *name; /* "--map" */
	bool arg;         /* takes a value */
	const char **val; /* where the value goes (arg) */
	bool *flag;       /* set when present (no arg) */
} slc_opt;

enum { SLC_OK = 0, SLC_HELP = 1, SLC_USAGE = 2 };

/*
 * Parse argv[0..argc) against opts (terminated by a NULL name).  Positional
 * words go to pos (at most maxpos, *npos counts them).  On a usage error
 * prints "PROG: msg" to stderr and returns SLC_USAGE; returns SLC_HELP when
 * --help was given.
 */
int slc_parse(int argc, char **argv, const slc_opt *opts, const char **pos, int maxpos,
	      int *npos, const char *prog);

/* Log as prog at level, or at debug level when SPLITLINE_DEBUG is set and
 * not "0". */
void slc_log_init(const char *prog, int level);

typedef struct slc_conn {
	const char *server; /* ws://HOST:PORT/ws */
	const char *event;
	const char *token;
	const char *token_file;
	char *token_owned;
} slc_conn;

/* Fill server/event/token from the environment where not given; reads the
 * token file.  Returns 0, or SL_EIO with err ("cannot open 'F': ..."). */
int slc_conn_resolve(slc_conn *c, char *err, size_t errlen);
void slc_conn_release(slc_conn *c);

/*
 * Connect to c->server and say hello for c->event with c->token.  Returns
 * 0 with *out (owned) and hello (the ok reply, release it), or an SL_E*
 * code with err ("cannot connect to ...", "hello: unknown or revoked
 * token").
 */
/* The tools' wait for a connection and its hello (splitline-scan's is its own). */
#define SLC_CONNECT_MS 5000
/* The streaming tools (replay, regatta) give up after this long without one. */
#define SLC_GIVE_UP_MS 60000
int slc_open(const slc_conn *c, wsc **out, slp_msg *hello, int timeout_ms, char *err,
	     size_t errlen);

#endif

/*
 * opt.h: a client's command-line options declared once, as a table in the
 * server's shape (server/main.c): name, type, default, bounds, help.
 * opt_parse reads argv against it (through slc_parse: the same "--name
 * value", "--name=value", "--" and --help rules, the same messages), fills
 * each row's value and checks it: a bad value stops the program with a
 * message that names the option and the allowed range or words:
 *   splitline-replay: --window '0' is not a number in 1..1000
 *   splitline-replay: --speed 'x' is not a number >= 0
 *   splitline-replay: --progress 'x' is not one of auto, always, never
 * opt_help prints the options part of --help from the same rows.
 *
 * A row the table does not check itself (a free-form value such as a file,
 * a URL, or one with a grammar of its own like --utc-offset) is OPT_STR; the
 * client checks it and says so with its own message.
 *
 * Ownership: the table is the caller's (usually a static array ending with a
 * row whose name is NULL); values point into argv or into the defaults.
 */
#ifndef SL_OPT_H
#define SL_OPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum opt_type {
	OPT_STR,  /* any text */
	OPT_INT,  /* a decimal integer in min..max (i) */
	OPT_U64,  /* a decimal integer in umin..umax (u) */
	OPT_NUM,  /* a finite number in dmin..dmax (d); dmax HUGE_VAL: no upper bound */
	OPT_ENUM, /* one of choices "a|b|c" (e: its index) */
	OPT_FLAG, /* no value (on) */
};

typedef struct opt {
	const char *name; /* "--batch" */
	enum opt_type type;
	const char *def; /* the default as it would be typed; NULL: none */
	long long min, max;
	unsigned long long umin, umax;
	double dmin, dmax;
	const char *choices;
	const char *syn;  /* the option in --help ("--batch N"); NULL: not shown */
	const char *help; /* the text beside it; after a '\n' the next line starts under
			   * the first; starting with '\n': on the lines below the option */
	/* filled by opt_parse */
	const char *val; /* as given, else def; NULL when neither */
	bool set;        /* given on the command line */
	long long i;
	unsigned long long u;
	double d;
	int e;
	bool on;
} opt;

/*
 * The connection's rows as the clients that show them in full show them
 * (the event's help is each client's own): [O_SERVER] = OPT_ROW_SERVER.
 */
/* clang-format off */
#define OPT_ROW_SERVER {"--server", OPT_STR, .syn = "--server URL",              \
	.help = "env SPLITLINE_SERVER, default ws://127.0.0.1:8080/ws"}
#define OPT_ROW_TOKEN {"--token", OPT_STR, .syn = "--token T",                   \
	.help = "env SPLITLINE_TOKEN; --token-file F, env SPLITLINE_TOKEN_FILE"}
#define OPT_ROW_TOKEN_FILE {"--token-file", OPT_STR}
/* clang-format on */

enum { OPT_OK = 0, OPT_HELP = 1, OPT_USAGE = 2, OPT_BAD = 3 };

/*
 * Parse argv[0..argc) against t (ended by a row with a NULL name) and check
 * every value given or defaulted.  Positional words go to pos (at most
 * maxpos).  Returns OPT_OK; OPT_HELP for -h/--help; OPT_USAGE on a syntax
 * error (unknown option, missing value: printed as slc_parse does); OPT_BAD
 * when a value is out of its bounds or choices (printed, see above).  Called
 * again (a config file's options, then the command line) it keeps what the
 * first call set unless given again.
 */
int opt_parse(opt *t, int argc, char **argv, const char **pos, int maxpos, int *npos,
	      const char *prog);
/* What opt_cli prints after a syntax error (besides its message). */
enum { OPT_ON_ERROR_NOTHING, OPT_ON_ERROR_USAGE, OPT_ON_ERROR_SEE_HELP };

/*
 * opt_parse for a main(): -1 to go on; else the exit status, with all
 * printed: 0 after --help (usage to stdout), 2 after a bad value or a
 * syntax error (after which it prints, as on_error says, usage to stderr,
 * "see 'PROG --help'", or nothing more).
 */
int opt_cli(opt *t, int argc, char **argv, const char **pos, int maxpos, int *npos,
	    const char *prog, void (*usage)(FILE *), int on_error);
/* The row named name, or NULL. */
opt *opt_find(opt *t, const char *name);
/* Value grammars two clients share, checked by the caller (each prints its
 * own message).  "+HH:MM" or "-HH:MM" (HH <= 14, MM <= 59) into minutes east
 * of UTC; 0 or -1. */
int opt_utc_offset(const char *s, int *minutes);
/* "WALL0:RACE0:SPEED" (ms, ms, > 0), the emulated race clock; 0 or -1. */
int opt_sim_clock(const char *s, int64_t *wall0, int64_t *race0, double *speed);

/* Print "  SYN HELP" for every shown row, SYN padded to width, so that
 * help starts in column 2 + width + 1 (its continuation lines too). */
void opt_help(const opt *t, int width, FILE *f);

#endif

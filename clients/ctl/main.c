/*
 * splitline: the officials' command line (see /work/TEAM.md for the
 * interface, protocol/PROTOCOL.md for the messages).
 *
 * This file reads the global options and dispatches through the command
 * table; each command lives in its own cmd_*.c file (as git's builtin/),
 * and what they share in ctl.c (ctl.h).
 *
 * Each command checks its input locally first (a config or a CSV file is
 * validated whole, with file:line errors, before anything is sent), then
 * opens one session (connect + hello), sends its requests and prints the
 * outcome.  Exit 0 on success, 1 on an error reply, a connection failure
 * or bad input, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char usage_main[] =
	"usage: splitline [--server ws://HOST:PORT/ws] [--event ID] [--token T | --token-file F]\n"
	"                 COMMAND [ARGS]\n"
	"\n"
	"The officials' tool for a Splitline server.\n"
	"\n"
	"Commands:\n"
	"  event create FILE.yaml [--dry-run]       create or replace the event from a config "
	"file\n"
	"  participants import FILE.csv [--map field=Header,...] [--race ID]\n"
	"                      [--date-format ORDER] [--chip-from-bib] [--blank] [--dry-run]\n"
	"                                           import participants from a CSV file\n"
	"  token issue --role ROLE [--device ID] [--point PT]\n"
	"                                           issue a token (printed alone on stdout)\n"
	"  token revoke TOKEN                       revoke a token\n"
	"  wave start RACE WAVE [--at TIME]         set a wave's start time (default now)\n"
	"  passing add --bib BIB --pt POINT --at TIME [--kind manual|handheld]\n"
	"                                           record a passing by hand\n"
	"  passing void|restore [--dev DEVICE] --seq N --reason TEXT --official NAME\n"
	"                                           take one read back, or count it again\n"
	"  adjust BIB TYPE --reason TEXT --official NAME [--ms N] [--place N]\n"
	"         [--pt PT] [--station ID] [--at TIME] [--clear]\n"
	"                                           an official's decision (penalty, dq, ...)\n"
	"  race official RACE --official NAME [--withdraw]\n"
	"                                           make a race's results official\n"
	"  lineup RACE BIB:LANE... --official NAME --reason TEXT | lineup RACE --clear ...\n"
	"                                           override a generated line-up\n"
	"  results RACE [--format csv|json] [--out FILE]\n"
	"                                           download a race's results\n"
	"  status                                   print the event's health\n"
	"  checkin undo BIB --official NAME [--reason TEXT]\n"
	"                                           undo an athlete's check-in\n"
	"  audit [--format csv|json] [--out FILE]   the audit trail of bib and chip changes\n"
	"  series put FILE.yaml | series show ID [--format json|csv] [--out FILE]\n"
	"                                           a series over several events, its standings\n"
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

static const struct {
	const char *name;
	ctl_cmd_fn fn;
	const char *help;
} commands[] = {
#define CTL_ROW(name) {#name, cmd_##name, usage_##name},
	CTL_COMMANDS(CTL_ROW)
#undef CTL_ROW
};

int main(int argc, char **argv)
{
	sl_log_set_prefix(ctl_prog);
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
		slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_END};
		const char *pos[1];
		int npos;
		/* one option (and its value) at a time */
		bool has_val = !strchr(a, '=') && i + 1 < argc;
		int n = has_val ? 2 : 1;
		if (slc_parse(n, argv + i, opts, pos, 0, &npos, ctl_prog) != SLC_OK) {
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
			slc_conn_release(&ctl_conn);
			return rc;
		}
	fprintf(stderr, "%s: '%s' is not a command; see 'splitline --help'\n", ctl_prog, argv[i]);
	return 2;
}

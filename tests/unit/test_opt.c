/*
 * test_opt.c: the clients' option table (clients/common/opt.h): defaults,
 * bounds of each type, choices, flags, a second parse over the first (a
 * config file, then the command line), the --help lines it prints, and
 * the shared value grammars.  Linked against slclient + slproto only.
 * Messages go to stderr; the test checks the return codes and values.
 */
#include <math.h>

#include "opt.h"
#include "t.h"

enum { A_NAME, A_N, A_BIG, A_X, A_MODE, A_FLAG, A_COUNT };

static void table(opt *t)
{
	opt rows[A_COUNT + 1] = {
		[A_NAME] = {.name = "--name", .type = OPT_STR, .syn = "--name NAME", .help = "who"},
		[A_N] = {.name = "--n", .type = OPT_INT, .def = "5", .min = -3, .max = 10, .syn = "--n N",
			 .help = "how many,\nat most 10"},
		[A_BIG] = {.name = "--big", .type = OPT_U64, .def = "1", .umin = 1, .umax = UINT64_MAX},
		[A_X] = {.name = "--x", .type = OPT_NUM, .def = "0.5", .dmin = 0, .dmax = 1, .syn = "--a-long-option X",
			 .help = "a share"},
		[A_MODE] = {.name = "--mode", .type = OPT_ENUM, .def = "b", .choices = "a|b|c", .syn = "--mode M",
			    .help = "\nbelow"},
		[A_FLAG] = {.name = "--flag", .type = OPT_FLAG},
	};
	memcpy(t, rows, sizeof(rows));
}

static int parse(opt *t, const char *const *args, int n)
{
	const char *pos[2];
	int npos;
	return opt_parse(t, n, (char **)args, pos, 2, &npos, "test");
}

static void defaults(void)
{
	opt t[A_COUNT + 1];
	table(t);
	ASSERT_EQ(parse(t, NULL, 0), OPT_OK);
	ASSERT(t[A_NAME].val == NULL && !t[A_NAME].set);
	ASSERT_EQ(t[A_N].i, 5);
	ASSERT_EQ(t[A_BIG].u, 1);
	ASSERT(t[A_X].d == 0.5);
	ASSERT_EQ(t[A_MODE].e, 1);
	ASSERT(!t[A_FLAG].on);
}

static void values(void)
{
	opt t[A_COUNT + 1];
	table(t);
	const char *args[] = {"--name", "ann", "--n=-3", "--big", "18446744073709551615",
			      "--x", "1", "--mode", "c", "--flag", "word"};
	ASSERT_EQ(parse(t, args, 11), OPT_OK);
	ASSERT_STREQ(t[A_NAME].val, "ann");
	ASSERT(t[A_NAME].set);
	ASSERT_EQ(t[A_N].i, -3);
	ASSERT(t[A_BIG].u == UINT64_MAX);
	ASSERT(t[A_X].d == 1);
	ASSERT_EQ(t[A_MODE].e, 2);
	ASSERT(t[A_FLAG].on && t[A_FLAG].set);
}

static void bounds(void)
{
	static const char *const bad[][2] = {
		{"--n", "11"},	{"--n", "-4"}, {"--n", "1x"},  {"--n", ""},    {"--big", "0"},
		{"--big", "-1"}, {"--x", "1.5"}, {"--x", "nan"}, {"--x", "-0.1"}, {"--mode", "d"},
		{"--mode", "ab"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opt t[A_COUNT + 1];
		table(t);
		ASSERT_EQ(parse(t, bad[i], 2), OPT_BAD);
	}
	opt t[A_COUNT + 1];
	table(t);
	const char *unknown[] = {"--what"}, *novalue[] = {"--n"}, *flagval[] = {"--flag=1"},
		   *help[] = {"--n", "99", "--help"};
	ASSERT_EQ(parse(t, unknown, 1), OPT_USAGE);
	ASSERT_EQ(parse(t, novalue, 1), OPT_USAGE);
	ASSERT_EQ(parse(t, flagval, 1), OPT_USAGE);
	ASSERT_EQ(parse(t, help, 3), OPT_HELP);
}

/* A config file's words, then the command line: what the second gives wins,
 * the rest of the first stays. */
static void second_parse(void)
{
	opt t[A_COUNT + 1];
	table(t);
	const char *first[] = {"--n", "7", "--name", "cfg"}, *second[] = {"--n", "8"};
	ASSERT_EQ(parse(t, first, 4), OPT_OK);
	ASSERT_EQ(parse(t, second, 2), OPT_OK);
	ASSERT_EQ(t[A_N].i, 8);
	ASSERT_STREQ(t[A_NAME].val, "cfg");
}

static void help_lines(void)
{
	opt t[A_COUNT + 1];
	table(t);
	char buf[1024] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	opt_help(t, 8, f);
	fclose(f);
	ASSERT_STREQ(buf, "  --name NAME who\n"
			  "  --n N    how many,\n"
			  "           at most 10\n"
			  "  --a-long-option X a share\n"
			  "  --mode M\n"
			  "           below\n");
}

static void grammars(void)
{
	int m = 0;
	int64_t w, r;
	double s;
	ASSERT_EQ(opt_utc_offset("-05:00", &m), 0);
	ASSERT_EQ(m, -300);
	ASSERT_EQ(opt_utc_offset("+05:30", &m), 0);
	ASSERT_EQ(m, 330);
	ASSERT_EQ(opt_utc_offset("05:00", &m), -1);
	ASSERT_EQ(opt_utc_offset("+15:00", &m), -1);
	ASSERT_EQ(opt_utc_offset("+01:60", &m), -1);
	ASSERT_EQ(opt_sim_clock("1000:2000:2.5", &w, &r, &s), 0);
	ASSERT(w == 1000 && r == 2000 && s == 2.5);
	ASSERT_EQ(opt_sim_clock("1000:2000:0", &w, &r, &s), -1);
	ASSERT_EQ(opt_sim_clock("1000:2000", &w, &r, &s), -1);
}

#define TESTS(X)                                                                                   \
	X(defaults)                                                                                \
	X(values)                                                                                  \
	X(bounds)                                                                                  \
	X(second_parse)                                                                            \
	X(help_lines)                                                                              \
	X(grammars)
T_MAIN()

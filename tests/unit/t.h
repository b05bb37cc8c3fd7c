/*
 * t.h: the unit-test harness.  A test file defines TESTS(X) listing its test
 * functions and ends with T_MAIN(); each test is `static void name(void)`.
 * ASSERT* print file:line and the values, then count the failure; a test
 * program exits 1 if any assertion failed, and prints a closing line
 * "N passed, N failed, N skipped".  A test that cannot run here (a program
 * it needs is missing) says why with T_SKIP(); a program with skipped tests
 * and no failure exits 77, which its ctest entry declares as
 * SKIP_RETURN_CODE, so a skip is reported as one and never as a pass.
 * Run one test by naming it: ./test_core ties_share (an unknown name is an
 * error, exit 2).
 */
#ifndef T_H
#define T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_asserts;
static int t_skips;

#define T_SKIP_RC 77
#define T_SKIP(...)                                                             \
	do {                                                                    \
		fprintf(stderr, "skipped: " __VA_ARGS__);                       \
		fputc('\n', stderr);                                            \
		t_skips++;                                                      \
		return;                                                         \
	} while (0)

#define ASSERT(cond)                                                            \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			t_failed_asserts++;                                     \
		}                                                               \
	} while (0)
#define ASSERT_EQ(a, b)                                                         \
	do {                                                                    \
		long long t_a = (long long)(a), t_b = (long long)(b);           \
		if (t_a != t_b) {                                               \
			fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n", __FILE__, \
				__LINE__, #a, #b, t_a, t_b);                    \
			t_failed_asserts++;                                     \
		}                                                               \
	} while (0)
#define ASSERT_STREQ(a, b)                                                      \
	do {                                                                    \
		const char *t_a = (a), *t_b = (b);                              \
		if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                    \
			fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n",  \
				__FILE__, __LINE__, #a, #b, t_a ? t_a : "(null)", \
				t_b ? t_b : "(null)");                          \
			t_failed_asserts++;                                     \
		}                                                               \
	} while (0)

#define T_DECL(name) static void name(void);
#define T_ENTRY(name) {#name, name},

struct t_case {
	const char *name;
	void (*fn)(void);
};

/* Runs the n tests of all, or only the one named only (NULL: all); prog
 * names the program in messages.  Returns the exit status: 0, 1 (a
 * failure), 2 (no test named so) or T_SKIP_RC (skips and no failure). */
static inline int t_run(const char *prog, const struct t_case *all, size_t n,
			const char *only)
{
	int passed = 0, failed = 0, skipped = 0, ran = 0;
	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, all[i].name) != 0)
			continue;
		int before = t_failed_asserts, skips = t_skips;
		ran++;
		all[i].fn();
		if (t_failed_asserts != before) {
			failed++;
			fprintf(stderr, "FAIL %s\n", all[i].name);
		} else if (t_skips != skips) {
			skipped++;
		} else {
			passed++;
		}
	}
	if (only && !ran) {
		fprintf(stderr, "%s: no test named '%s'\n", prog, only);
		return 2;
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : skipped ? T_SKIP_RC : 0;
}

#define T_MAIN()                                                                \
	TESTS(T_DECL)                                                           \
	int main(int argc, char **argv)                                         \
	{                                                                       \
		static const struct t_case all[] = {TESTS(T_ENTRY)};            \
		return t_run(argv[0], all, sizeof(all) / sizeof(all[0]),        \
			     argc > 1 ? argv[1] : NULL);                        \
	}

#endif

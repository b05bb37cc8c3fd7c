/*
 * t.h: the unit-test harness.  A test file defines TESTS(X) listing its test
 * functions and ends with T_MAIN(); each test is `static void name(void)`.
 * ASSERT* print file:line and the values, then count the failure; a test
 * program exits non-zero if any assertion failed, and prints a closing line
 * "N passed, N failed".  Run one test by naming it: ./test_core ties_share
 */
#ifndef T_H
#define T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_asserts;

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
#define T_MAIN()                                                                \
	TESTS(T_DECL)                                                           \
	int main(int argc, char **argv)                                         \
	{                                                                       \
		static const struct {                                           \
			const char *name;                                       \
			void (*fn)(void);                                       \
		} all[] = {TESTS(T_ENTRY)};                                     \
		int passed = 0, failed = 0;                                     \
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {     \
			if (argc > 1 && strcmp(argv[1], all[i].name) != 0)      \
				continue;                                       \
			int before = t_failed_asserts;                          \
			all[i].fn();                                            \
			if (t_failed_asserts == before) {                       \
				passed++;                                       \
			} else {                                                \
				failed++;                                       \
				fprintf(stderr, "FAIL %s\n", all[i].name);      \
			}                                                       \
		}                                                               \
		printf("%d passed, %d failed\n", passed, failed);               \
		return failed ? 1 : 0;                                          \
	}

#endif

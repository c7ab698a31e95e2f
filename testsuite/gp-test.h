/*
 * Helpers for test cases: stack expectations that hold when a case is built with the plugin
 * (run-case.sh defines GP_INSTRUMENTED) and vanish when it is built plain, so that both
 * builds print the same output. Failures go to stderr and make gp_status() non-zero.
 *
 * Stacks are written root first, joined by '>', e.g. "main>outer>inner"; '|' separates
 * alternatives, for a call the compiler may or may not turn into a sibling call.
 */
#ifndef GOPROF_TESTSUITE_GP_TEST_H
#define GOPROF_TESTSUITE_GP_TEST_H

#include <stdio.h>
#include <string.h>

#define GP_NOINST __attribute__((no_instrument_function))
#define GP_NOINLINE __attribute__((noinline, noclone))

#ifdef GP_INSTRUMENTED
#include <goprof.h>

/* Failed checks, from any thread; GCC's builtins rather than <stdatomic.h> serve C++ too. */
static int gp_failures;

GP_NOINST static inline void gp_count_failure(void)
{
	__atomic_fetch_add(&gp_failures, 1, __ATOMIC_RELAXED);
}

/* The calling function's stack, root first, into buf (skip = innermost frames left out). */
GP_NOINST static inline const char *gp_stack_string(char *buf, size_t size, int skip)
{
	struct goprof_frame f[512];
	int n = goprof_callers(f, 512);
	size_t len = 0;

	buf[0] = '\0';
	for (int i = n - 1; i >= skip; i--) {
		int w = snprintf(buf + len, size - len, "%s%s", len ? ">" : "", f[i].function);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	return buf;
}

GP_NOINST static inline int gp_matches(const char *got, const char *alternatives)
{
	size_t n = strlen(got);
	for (const char *a = alternatives; a; a = strchr(a, '|') ? strchr(a, '|') + 1 : NULL) {
		const char *end = strchr(a, '|');
		size_t len = end ? (size_t)(end - a) : strlen(a);
		if (len == n && strncmp(a, got, n) == 0)
			return 1;
	}
	return 0;
}

GP_NOINST static inline void gp_check(int ok, const char *file, int line, const char *what)
{
	if (!ok) {
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
		gp_count_failure();
	}
}

/* Expect the calling function's whole stack (it is the innermost frame) to match. */
#define GP_EXPECT_STACK(expected)                                                          \
	do {                                                                               \
		char gp_buf_[8192];                                                        \
		gp_stack_string(gp_buf_, sizeof(gp_buf_), 0);                              \
		if (!gp_matches(gp_buf_, expected)) {                                      \
			fprintf(stderr, "%s:%d: stack is\n  %s\nexpected\n  %s\n", __FILE__, \
				__LINE__, gp_buf_, expected);                              \
			gp_count_failure();                                                \
		}                                                                          \
	} while (0)

#define GP_CHECK(cond) gp_check(!!(cond), __FILE__, __LINE__, #cond)

/* The value of a call, checking that the shadow stack is as deep after it as before. */
#define GP_CALL(expr)                                                                       \
	({                                                                                  \
		int depth_before_ = goprof_depth();                                         \
		__typeof__(expr) r_ = (expr);                                               \
		GP_CHECK(goprof_depth() == depth_before_);                                  \
		r_;                                                                         \
	})

GP_NOINST static inline int gp_status(void)
{
	fflush(stdout);
	return __atomic_load_n(&gp_failures, __ATOMIC_RELAXED) ? 1 : 0;
}

#else

#define GP_EXPECT_STACK(expected) ((void)0)
#define GP_CHECK(cond) ((void)0)
#define GP_CALL(expr) (expr)
static inline int gp_status(void)
{
	return 0;
}

#endif
#endif

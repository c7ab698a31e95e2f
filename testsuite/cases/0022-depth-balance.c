/*
 * Every instrumented callee pops exactly what it pushed: after each call of many exit
 * shapes (switch returns, computed goto, varargs, struct returns, nested functions,
 * cleanup attributes, tail calls through pointers, noreturn paths not taken), repeated
 * many times, the caller's goprof_depth() is what it was before the call. A restore-pop
 * would hide a missed pop only until the caller returns; this catches it at the call.
 *
 * goprof-opts: -O0 -O1 -O2 -O3 -Os
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "gp-test.h"

#ifdef GP_INSTRUMENTED
#define CALL(expr)                                                          \
	({                                                                  \
		int depth_before_ = goprof_depth();                          \
		__typeof__(expr) r_ = (expr);                                \
		if (goprof_depth() != depth_before_) {                       \
			fprintf(stderr, "%s:%d: depth %d after %s, was %d\n", \
				__FILE__, __LINE__, goprof_depth(), #expr,    \
				depth_before_);                              \
			gp_count_failure();                                  \
		}                                                           \
		r_;                                                         \
	})
#else
#define CALL(expr) (expr)
#endif

static volatile int sink;

GP_NOINLINE static int many_returns(int x)
{
	switch (x % 5) {
	case 0:
		return 1;
	case 1:
		sink++;
		return 2;
	case 2:
		if (sink & 1)
			return 3;
		break;
	case 3:
		for (int i = 0; i < 10; i++)
			if (i == x % 7)
				return i;
		break;
	default:
		break;
	}
	return 0;
}

GP_NOINLINE static int computed_goto(int x)
{
	static void *const targets[] = { &&zero, &&one, &&two };

	goto *targets[x % 3];
zero:
	return 10;
one:
	sink++;
	return 11;
two:
	return many_returns(x) + 12;
}

GP_NOINLINE static int sum_varargs(int n, ...)
{
	va_list ap;
	int s = 0;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += va_arg(ap, int);
	va_end(ap);
	return s;
}

struct big {
	long v[8];
};

GP_NOINLINE static struct big make_big(int x)
{
	struct big b;

	for (int i = 0; i < 8; i++)
		b.v[i] = x + i;
	if (x & 1)
		return b;
	b.v[0] = many_returns(x);
	return b;
}

GP_NOINLINE static void release(int *p)
{
	sink += *p;
}

GP_NOINLINE static int with_cleanup(int x)
{
	int guard __attribute__((cleanup(release))) = x;

	if (x & 2)
		return many_returns(x);
	return x;
}

GP_NOINLINE static int with_nested(int x)
{
	int base = x;
	int add(int y)
	{
		return base + y + many_returns(y);
	}
	return add(1) + add(2);
}

static int (*volatile fp)(int) = many_returns;

GP_NOINLINE static int tail_through_pointer(int x)
{
	return fp(x + 1);
}

GP_NOINLINE static int maybe_abort(int x)
{
	if (__builtin_expect(x < 0, 0))
		abort();
	return many_returns(x);
}

GP_NOINLINE static int recurse(int n)
{
	if (n <= 0)
		return 0;
	int r = CALL(recurse(n - 1));
	sink++;
	return r + 1;
}

int main(void)
{
	long total = 0;

	for (volatile int i = 0; i < 1000; i++) {
		total += CALL(many_returns(i));
		total += CALL(computed_goto(i));
		total += CALL(sum_varargs(3, i, 1, 2));
		total += CALL(make_big(i)).v[0];
		total += CALL(with_cleanup(i));
		total += CALL(with_nested(i));
		total += CALL(tail_through_pointer(i));
		total += CALL(maybe_abort(i));
	}
	total += CALL(recurse(50));
	GP_CHECK(goprof_depth() == 1);
	printf("total %ld\n", total);
	return gp_status();
}

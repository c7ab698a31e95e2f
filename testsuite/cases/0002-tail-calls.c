/*
 * A function whose last act is a call pops its frame before that call when the compiler
 * turns it into a jump (and keeps it otherwise), and every tail-call shape leaves the
 * caller's stack exact once it returns.
 *
 * This case runs only at levels with or without sibling calls as a whole: __OPTIMIZE__
 * here means -foptimize-sibling-calls is on, and then the tail-call shape is required.
 * The program is never built with AddressSanitizer (--enable-sanitizers; the runtime it
 * links still is): ASan's stack checks turn some of GCC's sibling calls into calls.
 *
 * goprof-opts: -O0 -O2 -O3 -Os
 * goprof-cflags: -fno-sanitize=address
 */
#include <stdio.h>
#include "gp-test.h"

#ifdef __OPTIMIZE__
#define TAIL(with_caller, without) without
#else
#define TAIL(with_caller, without) with_caller
#endif

static volatile int sink;

GP_NOINLINE static int target(int x)
{
	GP_EXPECT_STACK(TAIL("main>tail_int>target", "main>target"));
	sink += x;
	return x + 1;
}

/* Its last act is a call with the same signature: a sibling call at -O2. */
GP_NOINLINE static int tail_int(int x)
{
	sink += x;
	return target(x * 2);
}

GP_NOINLINE static void vtarget(void)
{
	GP_EXPECT_STACK(TAIL("main>tail_void>vtarget", "main>vtarget"));
	sink++;
}

/* A void function ending in a call, after a non-tail call. */
GP_NOINLINE static void tail_void(void)
{
	sink++;
	GP_EXPECT_STACK("main>tail_void");
	vtarget();
}

GP_NOINLINE static int ptr_target(int x)
{
	GP_EXPECT_STACK(TAIL("main>tail_ptr>ptr_target", "main>ptr_target"));
	return x - 1;
}

static int (*volatile fp)(int) = ptr_target;

/* An indirect call in tail position. */
GP_NOINLINE static int tail_ptr(int x)
{
	return fp(x + 1);
}

/* Mutual recursion through tail calls: at -O2 the shadow stack stays two frames deep. */
GP_NOINLINE static int odd(int n);

GP_NOINLINE static int even(int n)
{
	if (n == 0) {
		GP_CHECK(goprof_depth() == TAIL(1 + 1001, 2));
		return 1;
	}
	return odd(n - 1);
}

GP_NOINLINE static int odd(int n)
{
	if (n == 0)
		return 0;
	return even(n - 1);
}

/* More stack arguments than the caller has: expansion may refuse the sibling call. */
GP_NOINLINE static long many(long a, long b, long c, long d, long e, long f, long g, long h,
			     long i, long j)
{
	GP_EXPECT_STACK("main>few>many|main>many");
	return a + b + c + d + e + f + g + h + i + j;
}

GP_NOINLINE static long few(long a)
{
	return many(a, a, a, a, a, a, a, a, a, a);
}

/* A call in tail position that must not be a tail call: a local's address escapes. */
GP_NOINLINE static int use(int *p)
{
	GP_EXPECT_STACK("main>not_tail>use");
	return *p + 1;
}

GP_NOINLINE static int not_tail(int x)
{
	int local = x;
	return use(&local);
}

int main(void)
{
	volatile int v = 5;
	int r = 0;

	r += tail_int(v);
	GP_EXPECT_STACK("main");
	tail_void();
	GP_EXPECT_STACK("main");
	r += tail_ptr(v);
	GP_EXPECT_STACK("main");
	r += even(1000 + v - 5);
	GP_EXPECT_STACK("main");
	r += (int)few(v);
	GP_EXPECT_STACK("main");
	r += not_tail(v);
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("r = %d\n", r);
	return gp_status();
}

/*
 * Functions whose calls sit in branches off a call-free path (pushed per branch where the
 * estimated profile favours it) keep the stack exact at every call and pop exactly once on
 * every way out: a switch with a call in two cases, a call under a rare test inside a loop,
 * a call followed by a jump back to the function's first block (a retry), a branch that
 * ends in a tail call beside ones with an ordinary call, a branch with two exits, one that
 * may end in a noreturn error call beside one that always does, and branches that nest.
 * Each callee checks its own stack; each call in main is followed by a depth check.
 *
 * goprof-opts: -O0 -O1 -O2 -O3 -Os
 */
#include <setjmp.h>
#include <stdio.h>
#include "gp-test.h"

#define CALL(expr) GP_CALL(expr)

static volatile int sink;
static jmp_buf env;

/* One callee for every caller below; its stack names who called it. */
GP_NOINLINE static int callee(int x)
{
	GP_EXPECT_STACK("main>by_case>callee|main>in_loop>callee|main>retry>callee|"
			"main>tail_or_call>callee|main>two_exits>callee|main>catcher>or_error>callee|"
			"main>nested>callee");
	sink++;
	return x + 1;
}

GP_NOINLINE static int other(int x)
{
	GP_EXPECT_STACK("main>by_case>other|main>other|main>tail_or_call>other|"
			"main>two_exits>other|main>nested>other");
	sink++;
	return x * 3;
}

/* A switch: two cases call, three return at once. */
GP_NOINLINE static int by_case(int k, int x)
{
	switch (k % 5) {
	case 0:
		return x + 7;
	case 1:
		return callee(x) * 2;
	case 2:
		return x ^ 0x55;
	case 3:
		return other(x) - 1;
	default:
		return x - 3;
	}
}

/* A call under a rare test inside a loop: the branch's push and pop run each time it is taken. */
GP_NOINLINE static int in_loop(const volatile int *a, int n)
{
	int s = 0;

	for (int i = 0; i < n; i++) {
		if (__builtin_expect(a[i] == 3, 0))
			s += callee(i) * 2;
		s += a[i];
	}
	return s;
}

/* A call, then back to the first block, like an interpreter's retry with a metamethod. */
GP_NOINLINE static int retry(int k)
{
	int rounds = 0;
again:
	switch (k & 3) {
	case 0:
		return k + rounds;
	case 1:
		return k * 2 + rounds;
	case 2:
		k = callee(k);
		rounds++;
		goto again;
	default:
		return k - rounds;
	}
}

/* One branch ends in a tail call (its caller leaves first), two others call and go on. */
GP_NOINLINE static int tail_or_call(int x)
{
	if (__builtin_expect(x % 7 == 1, 0))
		return other(x);
	if (__builtin_expect(x % 7 == 2, 0)) {
		int r = callee(x);
		sink += r;
		return r + 2;
	}
	if (__builtin_expect(x % 7 == 4, 0))
		x = other(x) + 1;
	return x * 9;
}

/* A branch whose call is followed by two exits, one of them shared with the fast path. */
GP_NOINLINE static int two_exits(int x)
{
	int r = x;

	if (__builtin_expect(x % 5 == 2, 0)) {
		r = callee(x);
		if (r & 1)
			return r * 4;
		r += other(r);
	} else if (__builtin_expect(x % 5 == 4, 0)) {
		r = other(x) + 5;
	}
	return r + 1;
}

GP_NOINLINE __attribute__((noreturn)) static void fail(int x)
{
	GP_EXPECT_STACK("main>catcher>or_error>fail");
	longjmp(env, x);
}

/* A branch with a call that may end in a noreturn error path, another that always does. */
GP_NOINLINE static int or_error(int x)
{
	if (__builtin_expect(x % 6 == 1, 0)) {
		int r = callee(x);
		if (r % 4 == 0)
			fail(r);
		return r;
	}
	if (__builtin_expect(x % 13 == 5, 0))
		fail(x + 1);
	if (__builtin_expect(x % 6 == 4, 0))
		x += callee(x);
	return x;
}

GP_NOINLINE static int catcher(int x)
{
	int r = setjmp(env);
	if (r) {
		GP_EXPECT_STACK("main>catcher");
		return -r;
	}
	return or_error(x) + 1;
}

/* A branch with calls inside a branch with none of its own but a call-free path beside it. */
GP_NOINLINE static int nested(int x)
{
	if (__builtin_expect(x % 4 == 3, 0)) {
		if (x % 8 == 3)
			x = callee(x);
		else
			x = other(x) + 1;
	} else if (__builtin_expect(x % 4 == 1, 0)) {
		x += callee(x);
	}
	return x - 2;
}

int main(void)
{
	volatile int a[16];
	long total = 0;

	for (int i = 0; i < 16; i++)
		a[i] = i % 5;
	for (int i = 0; i < 2000; i++) {
		total += CALL(by_case(i, i));
		total += CALL(in_loop(a, 16));
		total += CALL(retry(i));
		total += CALL(tail_or_call(i));
		total += CALL(two_exits(i));
		total += CALL(catcher(i));
		total += CALL(nested(i));
		GP_EXPECT_STACK("main");
	}
	printf("total %ld\n", total);
	GP_CHECK(goprof_depth() == 1);
	return gp_status();
}

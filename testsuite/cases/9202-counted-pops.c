/*
 * Functions of an executable that pop by decrementing (no register kept for the pop) keep
 * the stack exact and balanced in the shapes that could pop twice or not at all: a tail
 * call that GCC emits as a jump, one it has to emit as an ordinary call (stack arguments
 * beyond the caller's), a return block shared by a tail call and an ordinary path, a push
 * placed after an early exit, a longjmp out of counting functions into a restoring one, and
 * error paths that end in a noreturn call (a push of their own, no pop) away from the push
 * region, or in a function with no other call.
 * Each call is followed by a depth check in its caller, each callee checks its own stack.
 *
 * goprof-opts: -O0 -O1 -O2 -O3 -Os
 */
#include <setjmp.h>
#include <stdio.h>
#include "gp-test.h"

#define CALL(expr) GP_CALL(expr)

static volatile int sink;
static jmp_buf env;

GP_NOINLINE static int target(int x)
{
	/* called in tail position too: its caller may have left already */
	GP_EXPECT_STACK("main>target|main>jumps>target|main>cannot_jump>target|"
			"main>shared_return>target|main>catcher>mixed>target");
	sink++;
	return x + 1;
}

/* Nine arguments: three on the stack, more than any caller below receives. */
GP_NOINLINE static int wide(int a, int b, int c, int d, int e, int f, int g, int h, int i)
{
	GP_EXPECT_STACK("main>wide|main>cannot_jump>wide|main>shared_return>wide");
	sink++;
	return a + b + c + d + e + f + g + h + i;
}

GP_NOINLINE static int look(volatile int x)
{
	return x * 2;
}

/* A call, then a tail call on one path and a plain return on the other. */
GP_NOINLINE static int jumps(int x)
{
	int r = target(x);
	GP_EXPECT_STACK("main>jumps");
	if (r & 1)
		return target(r);
	return r * 3;
}

/* The tail call cannot be a jump: its stack arguments do not fit in the caller's. */
GP_NOINLINE static int cannot_jump(int x)
{
	int r = target(x);
	GP_EXPECT_STACK("main>cannot_jump");
	if (r & 1)
		return wide(r, 1, 2, 3, 4, 5, 6, 7, 8);
	return r * 3;
}

/* A return block shared by a tail call and by paths that computed the value. */
GP_NOINLINE static int shared_return(int x)
{
	int r;

	if (x > 100)
		return -1; /* before any call: the push may go below this exit */
	r = target(x);
	GP_EXPECT_STACK("main>shared_return");
	if (r % 3 == 0)
		r = target(r);
	else if (r % 3 == 1)
		r = r + look(r);
	else
		return wide(r, 0, 0, 0, 0, 0, 0, 0, 1);
	return r;
}

GP_NOINLINE static void thrower(int x)
{
	GP_EXPECT_STACK("main>catcher>middle>thrower");
	if (x & 1)
		longjmp(env, x);
	sink++;
}

GP_NOINLINE static int middle(int x)
{
	thrower(x);
	GP_EXPECT_STACK("main>catcher>middle");
	return x + look(x);
}

/* setjmp: this one restores, the ones above it (counting) are left by longjmp. */
GP_NOINLINE static int catcher(int (*f)(int), int x)
{
	int r = setjmp(env);
	if (r) {
		GP_EXPECT_STACK("main>catcher");
		return r;
	}
	r = f(x);
	GP_EXPECT_STACK("main>catcher");
	return r;
}

/* Reached only through error paths: its caller must be on the stack. */
GP_NOINLINE __attribute__((noreturn)) static void raise_error(int x)
{
	GP_EXPECT_STACK("main>catcher>checker>raise_error|main>catcher>mixed>raise_error");
	longjmp(env, x);
}

/* Its only call is the error path's. */
GP_NOINLINE static int checker(int x)
{
	if (x % 7 == 3)
		raise_error(x + 1);
	return x * 5;
}

/* An error path before the region of its ordinary calls. */
GP_NOINLINE static int mixed(int x)
{
	if (x % 11 == 5)
		raise_error(x + 1);
	if (x & 1)
		return x;
	int r = target(x);
	GP_EXPECT_STACK("main>catcher>mixed");
	return r + look(r);
}

int main(void)
{
	long total = 0;

	for (int i = 0; i < 1000; i++) {
		total += CALL(jumps(i));
		total += CALL(cannot_jump(i));
		total += CALL(shared_return(i));
		total += CALL(shared_return(i + 200));
		total += CALL(catcher(middle, i));
		total += CALL(catcher(checker, i));
		total += CALL(catcher(mixed, i));
		GP_EXPECT_STACK("main");
	}
	printf("total %ld\n", total);
	GP_CHECK(goprof_depth() == 1);
	return gp_status();
}

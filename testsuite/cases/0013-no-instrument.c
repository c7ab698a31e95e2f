/*
 * A function marked no_instrument_function never appears on the stack, neither for itself
 * nor under the functions it calls, and the stack is exact around it.
 *
 * goprof-opts: -O0 -O2
 */
#include <stdio.h>
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static void callee(void)
{
	GP_EXPECT_STACK("main>outer>callee");
	sink++;
}

GP_NOINST GP_NOINLINE static void hidden(void)
{
	GP_EXPECT_STACK("main>outer");
	callee();
	GP_EXPECT_STACK("main>outer");
	sink++;
}

/* The attribute on a prototype is enough, as for -finstrument-functions. */
GP_NOINST static void hidden_by_prototype(void);

GP_NOINLINE static void hidden_by_prototype(void)
{
	GP_EXPECT_STACK("main>outer");
	callee();
	sink++;
}

GP_NOINLINE static void outer(void)
{
	hidden();
	GP_EXPECT_STACK("main>outer");
	hidden_by_prototype();
	GP_EXPECT_STACK("main>outer");
	sink++;
}

int main(void)
{
	outer();
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("sink = %d\n", sink);
	return gp_status();
}

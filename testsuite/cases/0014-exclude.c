/*
 * -fplugin-arg-goprof-exclude=NAME,... leaves exactly the named functions out of every
 * stack and instruments all the others, including one whose name merely starts the same.
 *
 * goprof-opts: -O0 -O2
 * goprof-plugin-args: exclude=skipped,also_skipped
 */
#include <stdio.h>
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static void callee(void)
{
	GP_EXPECT_STACK("main>kept>callee|main>kept>skipped_not>callee");
	sink++;
}

GP_NOINLINE static void skipped(void)
{
	GP_EXPECT_STACK("main>kept");
	callee();
	sink++;
}

GP_NOINLINE static void also_skipped(void)
{
	GP_EXPECT_STACK("main>kept");
	callee();
	sink++;
}

/* Not in the list: the list holds whole names, not prefixes. */
GP_NOINLINE static void skipped_not(void)
{
	GP_EXPECT_STACK("main>kept>skipped_not");
	callee();
	sink++;
}

GP_NOINLINE static void kept(void)
{
	skipped();
	GP_EXPECT_STACK("main>kept");
	also_skipped();
	GP_EXPECT_STACK("main>kept");
	skipped_not();
	GP_EXPECT_STACK("main>kept");
}

int main(void)
{
	kept();
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("sink = %d\n", sink);
	return gp_status();
}

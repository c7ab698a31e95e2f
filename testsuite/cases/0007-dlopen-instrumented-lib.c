/*
 * The instrumented library of 0007-dlopen-instrumented.sh: lib_run() checks its own stacks
 * and returns the number of failed checks.
 */
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static void inner(void)
{
	GP_EXPECT_STACK("lib_run>outer>inner");
	sink++;
}

GP_NOINLINE static void outer(void)
{
	GP_EXPECT_STACK("lib_run>outer");
	inner();
	GP_EXPECT_STACK("lib_run>outer");
}

__attribute__((visibility("default"))) int lib_run(void);

int lib_run(void)
{
	GP_EXPECT_STACK("lib_run");
	outer();
	GP_EXPECT_STACK("lib_run");
	GP_CHECK(goprof_depth() == 1);
	return gp_status();
}

/*
 * The second translation unit of 0017-lto.sh.
 */
#include "gp-test.h"

int other_outer(int x);
int main_callback(int x);

static volatile int sink;

GP_NOINLINE static int other_inner(int x)
{
	GP_EXPECT_STACK("main>other_outer>other_inner");
	int r = main_callback(x);
	GP_EXPECT_STACK("main>other_outer>other_inner");
	sink++;
	return r;
}

GP_NOINLINE int other_outer(int x)
{
	int r = other_inner(x) * 2;

	GP_EXPECT_STACK("main>other_outer");
	return r;
}

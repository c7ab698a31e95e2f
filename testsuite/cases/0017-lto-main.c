/*
 * The first translation unit of 0017-lto.sh: calls into the other one and is called back.
 */
#include <stdio.h>
#include "gp-test.h"

int other_outer(int x);
int main_callback(int x);

static volatile int sink;

GP_NOINLINE int main_callback(int x)
{
	GP_EXPECT_STACK("main>other_outer>other_inner>main_callback");
	sink++;
	return x + 1;
}

int main(void)
{
	volatile int x = 4;
	int r = other_outer(x);

	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("r = %d\n", r);
	return gp_status();
}

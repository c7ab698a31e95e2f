/*
 * Multiple and early returns, including returns from inside loops, leave the shadow stack
 * exactly as it was: every check after a call sees the caller's own stack again.
 */
#include <stdio.h>
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static int classify(int x)
{
	GP_EXPECT_STACK("main>walk>classify");
	if (x < 0)
		return -1;
	if (x == 0)
		return 0;
	for (int i = 0; i < x; i++) {
		if (i == 3)
			return 3;
		sink += i;
	}
	return 1;
}

GP_NOINLINE static int walk(int n)
{
	int total = 0;
	for (int i = -2; i < n; i++) {
		total += classify(i);
		GP_EXPECT_STACK("main>walk");
		if (total > 100)
			break;
	}
	return total;
}

int main(void)
{
	volatile int n = 10;
	int r = walk(n);
	GP_EXPECT_STACK("main");
	printf("walk = %d\n", r);
	return gp_status();
}

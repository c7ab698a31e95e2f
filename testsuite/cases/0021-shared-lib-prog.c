/*
 * The instrumented program of 0021-shared-lib.sh, linked with -lshared.
 */
#include <pthread.h>
#include <stdio.h>
#include "gp-test.h"

int lib_outer(int (*cb)(int), int x);

static volatile int sink;
static pthread_t main_thread;

GP_NOINLINE static int callback(int x)
{
	if (pthread_equal(pthread_self(), main_thread))
		GP_EXPECT_STACK("main>prog_outer>lib_outer>lib_inner>callback");
	else
		GP_EXPECT_STACK("lib_thread>callback");
	sink++;
	return x * 2;
}

GP_NOINLINE static int prog_outer(int x)
{
	int r = lib_outer(callback, x) + 2;

	GP_EXPECT_STACK("main>prog_outer");
	return r;
}

int main(void)
{
	volatile int x = 6;

	main_thread = pthread_self();
	int r = prog_outer(x);

	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("r = %d\n", r);
	return gp_status();
}

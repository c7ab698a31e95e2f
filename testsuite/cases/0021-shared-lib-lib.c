/*
 * The instrumented shared library of 0021-shared-lib.sh: calls back into the program,
 * directly and from a thread of its own.
 */
#include <pthread.h>
#include "gp-test.h"

int lib_outer(int (*cb)(int), int x);

static volatile int sink;

GP_NOINLINE static int lib_inner(int (*cb)(int), int x)
{
	GP_EXPECT_STACK("main>prog_outer>lib_outer>lib_inner");
	int r = cb(x);
	GP_EXPECT_STACK("main>prog_outer>lib_outer>lib_inner");
	sink++;
	return r;
}

struct job {
	int (*cb)(int);
	int x, result;
};

GP_NOINLINE static void *lib_thread(void *p)
{
	struct job *j = p;

	GP_EXPECT_STACK("lib_thread");
	j->result = j->cb(j->x);
	GP_EXPECT_STACK("lib_thread");
	return NULL;
}

__attribute__((visibility("default"))) GP_NOINLINE int lib_outer(int (*cb)(int), int x)
{
	struct job j = { cb, x, 0 };
	pthread_t t;

	int r = lib_inner(cb, x);
	GP_EXPECT_STACK("main>prog_outer>lib_outer");
	if (pthread_create(&t, NULL, lib_thread, &j) == 0)
		pthread_join(t, NULL);
	GP_EXPECT_STACK("main>prog_outer>lib_outer");
	sink++;
	return r + j.result;
}

/*
 * The instrumented program of 0008-dlopen-callback.sh: it loads the library given as
 * argument and has it call back, and lets libc's qsort call its comparator.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static void nested(void)
{
	GP_EXPECT_STACK("main>run>callback>nested");
}

GP_NOINLINE static int callback(int x)
{
	GP_EXPECT_STACK("main>run>callback");
	nested();
	sink++;
	return x * 2;
}

/* Called by the library by name (the program is linked with -rdynamic). */
int prog_hook(int x);

GP_NOINLINE int prog_hook(int x)
{
	GP_EXPECT_STACK("main>run>prog_hook");
	sink++;
	return x;
}

GP_NOINLINE static int compare(const void *a, const void *b)
{
	GP_EXPECT_STACK("main>run>compare");
	return *(const int *)a - *(const int *)b;
}

GP_NOINLINE static int run(const char *path)
{
	int v[] = { 5, 3, 9, 1, 7 };
	void *h = dlopen(path, RTLD_NOW);
	int (*apply)(int (*)(int), int);

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return -1;
	}
	*(void **)&apply = dlsym(h, "lib_apply");
	if (!apply)
		return -1;
	GP_EXPECT_STACK("main>run");
	int sum = apply(callback, 10);
	GP_EXPECT_STACK("main>run");
	sum += apply(callback, 10);
	GP_EXPECT_STACK("main>run");
	qsort(v, 5, sizeof(v[0]), compare);
	GP_EXPECT_STACK("main>run");
	dlclose(h);
	return sum;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 99;
	int sum = run(argv[1]);
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("sum %d\n", sum);
	return gp_status();
}

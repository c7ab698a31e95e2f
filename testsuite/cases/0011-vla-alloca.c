/*
 * Functions that grow their frame at run time (variable-length arrays, alloca, in loops
 * and with early exits from inside the array's scope) keep the shadow stack exact.
 *
 * goprof-opts: -O0 -O2
 */
#include <alloca.h>
#include <stdio.h>
#include <string.h>
#include "gp-test.h"

static volatile int sink;

GP_NOINLINE static int consume(const char *what, const int *a, int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += a[i];
	if (strcmp(what, "vla") == 0)
		GP_EXPECT_STACK("main>vla_loop>consume");
	else
		GP_EXPECT_STACK("main>alloca_loop>consume");
	return s;
}

/* A VLA per iteration (saved and restored each time round), left early by break and return. */
GP_NOINLINE static int vla_loop(int n)
{
	int total = 0;

	for (int round = 1; round <= n; round++) {
		int a[round];
		for (int i = 0; i < round; i++)
			a[i] = i;
		total += consume("vla", a, round);
		GP_EXPECT_STACK("main>vla_loop");
		if (total > 1000)
			return total;
		if (round == 40)
			break;
	}
	GP_EXPECT_STACK("main>vla_loop");
	return total;
}

/* alloca memory lives until the function returns: the frame keeps growing. */
GP_NOINLINE static int alloca_loop(int n)
{
	int total = 0;

	for (int round = 1; round <= n; round++) {
		int *a = alloca(sizeof(int) * (size_t)round);
		for (int i = 0; i < round; i++)
			a[i] = round;
		total += consume("alloca", a, round);
		GP_EXPECT_STACK("main>alloca_loop");
	}
	return total;
}

/* A VLA in a function that makes no call. */
GP_NOINLINE static int vla_leaf(int n)
{
	int a[n];
	int s = 0;

	for (int i = 0; i < n; i++)
		a[i] = i * sink;
	for (int i = 0; i < n; i++)
		s += a[i];
	return s;
}

int main(void)
{
	volatile int n = 30, big = 100;
	int r = vla_loop(n);

	GP_EXPECT_STACK("main");
	r += vla_loop(big);
	GP_EXPECT_STACK("main");
	r += alloca_loop(n);
	GP_EXPECT_STACK("main");
	r += vla_leaf(n);
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("r = %d\n", r);
	return gp_status();
}

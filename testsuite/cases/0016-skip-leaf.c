/*
 * By default (and with -fplugin-arg-goprof-skip-leaf) a function that makes no call (or
 * calls only cheap builtins) is not on the stack even while it runs, and its caller is;
 * functions that make a real call are still instrumented. A trap instruction inside the
 * leaf lets a signal handler look at the stack without the leaf making a call. 0023 builds
 * this file with -fplugin-arg-goprof-leaves and GP_LEAVES, and then the leaves are there.
 *
 * goprof-opts: -O0 -O2
 * goprof-plugin-args: skip-leaf
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "gp-test.h"

static volatile int sink;
static const char *volatile expect_in_trap[2];
static volatile int traps;

GP_NOINLINE static void on_trap(int sig)
{
	(void)sig;
	GP_EXPECT_STACK(expect_in_trap[traps & 1]);
	traps++;
}

/* A macro, not a static inline: at -O0 a call to a helper would make the leaf a non-leaf. */
#define TRAP() __asm__ volatile("int3" ::: "memory")

GP_NOINLINE static int leaf(int x)
{
	TRAP();
	return x * 3 + sink;
}

GP_NOINLINE static unsigned builtin_only(unsigned x)
{
	TRAP();
	return __builtin_bswap32(x) + (unsigned)__builtin_popcount(x);
}

GP_NOINLINE static int caller(int x)
{
	GP_EXPECT_STACK("main>caller");
#ifdef GP_LEAVES
	expect_in_trap[0] = "main>caller>leaf>on_trap";
	expect_in_trap[1] = "main>caller>builtin_only>on_trap";
#else
	expect_in_trap[0] = expect_in_trap[1] = "main>caller>on_trap";
#endif
	int r = leaf(x);
	r += (int)builtin_only((unsigned)x);
	GP_EXPECT_STACK("main>caller");
	sink++;
	return r;
}

int main(void)
{
	struct sigaction sa;
	volatile int x = 7;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trap;
	sigaction(SIGTRAP, &sa, NULL);

	int r = caller(x);
	GP_EXPECT_STACK("main");
	GP_CHECK(goprof_depth() == 1);
	printf("r = %d traps = %d\n", r, traps);
	return gp_status();
}

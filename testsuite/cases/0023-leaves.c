/*
 * With -fplugin-arg-goprof-leaves a function that makes no call (or calls only cheap
 * builtins) is on the stack while it runs, as every other function is: a signal handler
 * that interrupts it sees it under the handler. (0016 checks the default, which leaves it
 * out.) A trap instruction inside the leaf lets the handler look without the leaf calling.
 *
 * goprof-opts: -O0 -O2
 * goprof-plugin-args: leaves
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "gp-test.h"

static volatile int sink;
static const char *volatile expect_in_trap;
static const char *volatile expect_in_trap2;
static volatile int traps;

GP_NOINLINE static void on_trap(int sig)
{
	(void)sig;
	if (traps++ == 0)
		GP_EXPECT_STACK(expect_in_trap);
	else
		GP_EXPECT_STACK(expect_in_trap2);
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
	expect_in_trap = "main>caller>leaf>on_trap";
	expect_in_trap2 = "main>caller>builtin_only>on_trap";
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

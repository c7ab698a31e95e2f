/*
 * Work whose place is known to the line, for the line-level profile cases: twice() calls
 * the leaf work() from two lines, 3:1; blend() does as much work in its own loop as in
 * mixin(), a helper always inlined into it; stale() leaves return addresses of its own
 * recursive calls on the machine stack just below its frame, where park() then keeps a
 * big uninitialised buffer while it runs work() (the stale return address case).
 * UNITS (argv[1], default 100) scales everything: one unit is 10 million iterations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIT 10000000ul

volatile unsigned long sink;

/* A leaf: no call, so it is never instrumented; the sampled PC names it. */
__attribute__((noinline)) void work(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

__attribute__((noinline)) void twice(unsigned long n)
{
	work(3 * n); /* LINE-THREE */
	work(n); /* LINE-ONE */
	sink++;
}

static inline __attribute__((always_inline)) void mixin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) /* LINE-MIXIN */
		sink += i * 3;
}

__attribute__((noinline)) void blend(unsigned long n)
{
	mixin(n); /* LINE-INLINED */
	for (unsigned long i = 0; i < n; i++)
		sink += i * 5;
	sink++;
}

/* Its frame covers the stack stale()'s recursion used, holding what that left there. */
__attribute__((noinline)) void park(unsigned long n)
{
	volatile char buf[4096];

	buf[0] = 1;
	work(n); /* LINE-PARK */
	sink += buf[0];
}

/*
 * Recurses first, the inner calls doing nothing else, which leaves return addresses into
 * itself (after LINE-RECURSE) on the stack below its own frame; then calls park(), whose
 * frame holds them, from LINE-STALE.
 */
__attribute__((noinline)) void stale(unsigned long n, unsigned depth)
{
	if (depth)
		stale(0, depth - 1); /* LINE-RECURSE */
	if (n)
		park(n); /* LINE-STALE */
	sink++;
}

int main(int argc, char **argv)
{
	unsigned long units = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	const char *what = argc > 2 ? argv[2] : "all";

	if (!strcmp(what, "all") || !strcmp(what, "twice"))
		twice(units * UNIT);
	if (!strcmp(what, "all") || !strcmp(what, "blend"))
		blend(units * UNIT);
	if (!strcmp(what, "all") || !strcmp(what, "stale"))
		stale(units * UNIT, 40);
	puts("done");
	return 0;
}

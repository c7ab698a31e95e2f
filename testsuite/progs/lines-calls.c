/*
 * Work whose place is known to the line, for the line-level profile cases: twice() calls
 * the leaf work() from two lines, 3:1; blend() does as much work in its own loop as in
 * mixin(), a helper always inlined into it; stale() leaves return addresses of its own
 * recursive calls on the machine stack just below its frame, where park() then keeps a
 * big uninitialised buffer while it runs work() (the stale return address case).
 * UNITS (argv[1], default 100) scales everything: one unit is 10 million iterations.
 * After twice() the program prints "twice NS3 NS1": the thread CPU time of its two calls
 * of work(), as work() measured it (-1 where it cannot), the split a CPU profile should show
 * whatever the machine's load did to each call's speed; after blend() likewise "blend
 * NSMIXIN NSOWN": the CPU time of the inlined mixin and of blend's own loop.
 * settle() (burn.h's spin_settle, a frame of its own) comes before and after each measured
 * part, so that a CPU sample the kernel delivers late never lands in the next part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "burn.h"

#define UNIT 10000000ul

volatile unsigned long sink;
static long work_ns[2];	/* the CPU time of work()'s latest two calls, by parity */
static unsigned nwork;

/*
 * The calling thread's CPU time in ns, -1 if unknown: a system call written inline, which
 * is no call for the compiler and leaves work() a leaf.
 */
static inline long leaf_cpu_ns(void)
{
#if defined(__x86_64__)
	struct timespec ts;
	long rc;

	__asm__ volatile("syscall"
			 : "=a"(rc)
			 : "0"((long)SYS_clock_gettime), "D"((long)CLOCK_THREAD_CPUTIME_ID), "S"(&ts)
			 : "rcx", "r11", "memory");
	return rc == 0 ? ts.tv_sec * 1000000000L + ts.tv_nsec : -1;
#else
	return -1;
#endif
}

/* A leaf: no call, so it is never instrumented; the sampled PC names it. */
__attribute__((noinline)) void work(unsigned long n)
{
	long t0 = leaf_cpu_ns();

	for (unsigned long i = 0; i < n; i++)
		sink += i;
	long t1 = leaf_cpu_ns();
	work_ns[nwork++ % 2] = t0 < 0 || t1 < 0 ? -1 : t1 - t0;
}

/* Burns until the samples of what came before are taken, in a frame of its own. */
__attribute__((noinline)) void settle(void)
{
	spin_settle();
	sink++;
}

__attribute__((noinline)) void twice(unsigned long n)
{
	settle();
	work(3 * n); /* LINE-THREE */
	settle();
	work(n); /* LINE-ONE */
	settle();
	sink++;
}

static inline __attribute__((always_inline)) void mixin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) /* LINE-MIXIN */
		sink += i * 3;
}

static long blend_ns[2];	/* the CPU time of blend's inlined mixin and of its own loop */

__attribute__((noinline)) void blend(unsigned long n)
{
	settle();
	long t0 = leaf_cpu_ns();

	mixin(n); /* LINE-INLINED */
	long t1 = leaf_cpu_ns();
	settle();
	long t2 = leaf_cpu_ns();
	for (unsigned long i = 0; i < n; i++)
		sink += i * 5;
	long t3 = leaf_cpu_ns();
	settle();
	blend_ns[0] = t0 < 0 || t1 < 0 ? -1 : t1 - t0;
	blend_ns[1] = t2 < 0 || t3 < 0 ? -1 : t3 - t2;
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

	if (!strcmp(what, "all") || !strcmp(what, "twice")) {
		nwork = 0;
		twice(units * UNIT);
		printf("twice %ld %ld\n", work_ns[0], work_ns[1]);
	}
	if (!strcmp(what, "all") || !strcmp(what, "blend"))
	{
		blend(units * UNIT);
		printf("blend %ld %ld\n", blend_ns[0], blend_ns[1]);
	}
	if (!strcmp(what, "all") || !strcmp(what, "stale"))
		stale(units * UNIT, 40);
	puts("done");
	return 0;
}

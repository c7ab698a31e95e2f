/*
 * Burning CPU for the profile tests: spin_ms() runs until the calling thread's CPU clock has
 * advanced by the given number of milliseconds; spin() runs a given number of iterations.
 */
#ifndef GOPROF_TESTSUITE_BURN_H
#define GOPROF_TESTSUITE_BURN_H

#include <stdint.h>
#include <time.h>

static inline uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Inlined into each caller, so the samples land in the function that burns. */
static inline __attribute__((always_inline)) void spin_ms(unsigned ms)
{
	uint64_t end = thread_cpu_ns() + (uint64_t)ms * 1000000u;
	volatile uint64_t x = 0;

	while (thread_cpu_ns() < end)
		for (int i = 0; i < 2000; i++)
			x += (uint64_t)i;
}

/*
 * n iterations whose result depends on every one, returned so that the caller keeps it (the
 * call is then not a tail call: the caller's frame stays below spin in the samples). Never
 * inlined: the samples land in spin itself.
 */
__attribute__((noinline, unused)) static unsigned long spin(volatile unsigned long n)
{
	unsigned long x = 0;

	for (unsigned long i = 0; i < n; i++)
		x += i ^ (x >> 3);
	return x;
}

#endif

/*
 * The cheap clock: CLOCK_MONOTONIC nanoseconds read from the CPU's time-stamp counter, for
 * the execution trace's event times and the lock wrappers' wait times. clock_gettime()
 * through the vDSO costs 45-60 ns a call on the virtual machines goprof is measured on; a
 * plain rdtsc and one multiplication cost about half that, and these reads sit around
 * system calls that never blocked and inside contended critical sections.
 *
 * DESIGN. gp_clock_ns() (gp-internal.h) reads the TSC once gp_clock_calibrate() found it
 * usable, and calls clock_gettime(CLOCK_MONOTONIC) until then or when it is not:
 *  - usable means x86, an invariant TSC (CPUID 0x80000007 EDX bit 8: it ticks at one rate
 *    in every power state) and the kernel's own clock source being "tsc", which it picks
 *    only after checking that the CPUs' counters agree: times taken on different CPUs
 *    then compare, which the trace needs (a thread's CREATE before the new thread's
 *    START). GOPROF_CLOCK=monotonic turns the TSC off.
 *  - Calibration runs once, on a cold path (the constructor when a database is written,
 *    the start of a trace): two (TSC, CLOCK_MONOTONIC) pairs 500 us apart, each the
 *    tightest of a few tries, give the rate as a 32.32 fixed-point ns-per-tick factor
 *    (error about 1e-4). Base, factor and the switch are stored before `on` is set with
 *    release; a reader that sees `on` sees them, and they never change afterwards, so the
 *    clock never steps: monotonic per thread, and across threads as far as the counters
 *    agree. It runs at the measured rate, so it drifts from CLOCK_MONOTONIC by that error
 *    over a long run; times are only ever compared with times of this same clock.
 *  - rdtsc is not ordered with the instructions around it: a time may be off by the few
 *    dozen cycles the CPU runs it early or late, which no consumer can see.
 */
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __x86_64__
#include <cpuid.h>
#endif

#include "gp-internal.h"

#define CALIBRATE_NS 500000u		/* the time between the two calibration pairs */

struct gp_clock gp_clock;

static int state;			/* 0 not done, 1 running, 2 done; atomically */

#ifdef __x86_64__
static int tsc_usable(void)
{
	unsigned a, b, c, d;
	char src[32] = "";

	if (gp_config.clock_monotonic)
		return 0;
	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return 0;
	__get_cpuid(0x80000007, &a, &b, &c, &d);
	if (!(d & (1u << 8)))
		return 0;
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
	if (!f)
		return 0;
	if (!fgets(src, sizeof(src), f))
		src[0] = '\0';
	fclose(f);
	return !strcmp(src, "tsc\n");
}

/* A (TSC, CLOCK_MONOTONIC) pair: the TSC halfway through the tightest of 8 tries. */
static void read_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 8; i++) {
		uint64_t a = __builtin_ia32_rdtsc();
		uint64_t t = gp_mono_ns();
		uint64_t b = __builtin_ia32_rdtsc();

		if (b >= a && b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = t;
		}
	}
}

static void calibrate(void)
{
	uint64_t tsc0 = 0, ns0 = 0, tsc1 = 0, ns1 = 0;

	if (!tsc_usable())
		return;
	read_pair(&tsc0, &ns0);
	while (gp_mono_ns() - ns0 < CALIBRATE_NS)
		__builtin_ia32_pause();
	read_pair(&tsc1, &ns1);
	if (tsc1 <= tsc0 || ns1 <= ns0)
		return;
	uint64_t mult = (uint64_t)(((unsigned __int128)(ns1 - ns0) << 32) / (tsc1 - tsc0));
	/* 100 MHz to 20 GHz, or the pairs were not what they seemed */
	if (mult > (10ull << 32) || mult < (1ull << 32) / 20)
		return;
	gp_clock.base_tsc = tsc1;
	gp_clock.base_ns = ns1;
	gp_clock.mult = mult;
	__atomic_store_n(&gp_clock.on, 1, __ATOMIC_RELEASE);
}
#else
static void calibrate(void)
{
}
#endif

uint64_t gp_clock_ns_ticks(uint64_t ns)
{
	if (!__atomic_load_n(&gp_clock.on, __ATOMIC_ACQUIRE))
		return ns;
	return (uint64_t)(((unsigned __int128)ns << 32) / gp_clock.mult);
}

void gp_clock_calibrate(void)
{
	int expect = 0;

	if (__atomic_compare_exchange_n(&state, &expect, 1, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_ACQUIRE)) {
		calibrate();
		__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}

/*
 * In a fork child: a calibration the parent had under way ran on a thread the child does
 * not have, so it starts over (else the child's writer would wait for it forever).
 */
void gp_clock_atfork_child(void)
{
	int expect = 1;

	__atomic_compare_exchange_n(&state, &expect, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

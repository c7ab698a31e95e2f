/*
 * The monotonic clock, for test programs that report how long they really waited.
 */
#ifndef GOPROF_TESTSUITE_WAIT_CLOCK_H
#define GOPROF_TESTSUITE_WAIT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif

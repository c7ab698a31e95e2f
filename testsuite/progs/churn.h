/*
 * What the thread churn programs (thread-churn.c, lock-churn.c) share: hwm() prints the
 * peak RSS so far on stderr, "hwm MARK KIB"; mix() is each thread's value of its argument,
 * a call GCC cannot fold away; join_sum() joins a burst's threads and sums their values.
 */
#ifndef GOPROF_TESTSUITE_CHURN_H
#define GOPROF_TESTSUITE_CHURN_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hwm(const char *mark)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			fprintf(stderr, "hwm %s %ld\n", mark, strtol(line + 6, NULL, 10));
	fclose(f);
}

__attribute__((noinline)) static uintptr_t mix(volatile uintptr_t x)
{
	x ^= x >> 7;
	x *= 0x9e3779b97f4a7c15u;
	return x ^ (x >> 29);
}

static uintptr_t join_sum(const pthread_t *t, int n)
{
	uintptr_t sum = 0;

	for (int i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (uintptr_t)r;
	}
	return sum;
}

#endif

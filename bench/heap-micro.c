/*
 * Heap-profiling micro benchmark: N small malloc/free pairs (sizes 16..271 bytes) from one
 * instrumented function; prints the nanoseconds per pair (CLOCK_MONOTONIC).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void *volatile sink;

__attribute__((noinline)) void churn(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(16 + (size_t)(i & 255));
		sink = p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000000;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	churn(n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.2f\n", ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
				 (double)n);
	return 0;
}

/*
 * Heap-profiling micro benchmark: N small malloc/free pairs (sizes 16..271 bytes) from one
 * instrumented function; prints the nanoseconds per pair (CLOCK_MONOTONIC). With a second
 * argument "thread" an idle thread exists while it runs: glibc's malloc takes its atomic
 * paths once a process has two threads, as it does when goprof's writer thread runs.
 */
#include <pthread.h>
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

static void *idle(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc > 2 && pthread_create(&t, NULL, idle, NULL) == 0)
		pthread_join(t, NULL);
	long n = argc > 1 ? atol(argv[1]) : 100000000;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	churn(n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.2f\n", ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
				 (double)n);
	return 0;
}
